//! RFM: recency, frequency and monetary value per customer, their scores and segments.
//!
//! Feed purchases in one pass, as an iterator ([`rfm`]), page by page
//! ([`RfmAccumulator::add_all`]), or as an in-memory slice on several threads
//! ([`rfm_parallel`]). Memory grows with the number of customers, not of purchases: each
//! customer keeps a 32-byte running state (exact money total as a scaled integer, count,
//! first and last purchase day).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_segmentation::{rfm, RfmConfig};
//! use rust_decimal::Decimal;
//!
//! let day = |d| Utc.with_ymd_and_hms(2024, 1, d, 12, 0, 0).unwrap();
//! let rows = vec![
//!     ("ann", day(1), Decimal::new(5000, 2)),
//!     ("ann", day(20), Decimal::new(2000, 2)),
//!     ("bob", day(10), Decimal::new(1000, 2)),
//! ];
//! let table = rfm(rows, &RfmConfig::default())?;
//! let ann = table.get(&"ann").unwrap();
//! assert_eq!((ann.recency_days, ann.frequency, ann.monetary), (0, 2, Decimal::new(7000, 2)));
//! let bob = table.get(&"bob").unwrap();
//! assert_eq!(bob.recency_days, 10);
//! // n = 2, bins = 5: the better customer has w = 1 -> 1 + floor(5 / 2) = 3.
//! assert_eq!((ann.r, ann.f, ann.m), (3, 3, 3));
//! assert_eq!((bob.r, bob.f, bob.m), (1, 1, 1));
//! assert_eq!(table.segment_name(bob), "Lost");
//! # Ok::<(), crm_segmentation::SegmentationError>(())
//! ```

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_core::{Currency, Money};
use rust_decimal::Decimal;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::customer_state::{Acc, CustomerStates, group_bits, hash_key};
use crate::error::SegmentationError;
use crate::score::{ScoreMethod, validate_bins};
use crate::segment::{OTHER, SegmentTable};
use crm_core::{Amount, Purchase};

mod finish;
mod partitioned;
mod summaries;

pub use summaries::{rfm_from_summaries, rfm_from_totals};

/// What "frequency" counts.
///
/// ```
/// use crm_segmentation::FrequencyMeasure;
/// assert_eq!(FrequencyMeasure::default(), FrequencyMeasure::Transactions);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyMeasure {
    /// The number of transactions (refunds and zero amounts included).
    #[default]
    Transactions,
    /// The number of distinct purchase days (UTC). Needs extra memory proportional to the
    /// number of distinct (customer, day) pairs.
    DistinctDays,
}

/// What "monetary" measures.
///
/// ```
/// use crm_segmentation::MonetaryMeasure;
/// assert_eq!(MonetaryMeasure::default(), MonetaryMeasure::Total);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonetaryMeasure {
    /// The net total of all amounts, refunds included.
    #[default]
    Total,
    /// The net total divided by the number of transactions.
    MeanPerTransaction,
}

type ConvertFn = dyn Fn(&Money) -> Option<Decimal> + Send + Sync;

/// Converts amounts in other currencies into one target currency.
///
/// ```
/// use crm_segmentation::CurrencyConversion;
/// use crm_core::{Currency, Money};
/// use rust_decimal::Decimal;
/// let usd_to_eur = CurrencyConversion::new(Currency::EUR, |m: &Money| {
///     (m.currency() == Currency::USD).then(|| m.amount() * Decimal::new(9, 1))
/// });
/// assert_eq!(usd_to_eur.target(), Currency::EUR);
/// assert_eq!(usd_to_eur.convert(&"10 USD".parse()?), Some(Decimal::new(90, 1)));
/// # Ok::<(), crm_core::MoneyError>(())
/// ```
#[derive(Clone)]
pub struct CurrencyConversion {
    target: Currency,
    convert: Arc<ConvertFn>,
}

impl CurrencyConversion {
    /// A conversion into `target`; `convert` gets every amount in another currency and
    /// returns its value in `target`, or `None` if it cannot (which fails the row).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Currency, Money};
    /// use crm_segmentation::{CurrencyConversion, RfmConfig, SegmentationError, rfm};
    /// use rust_decimal::Decimal;
    /// let to_eur = CurrencyConversion::new(Currency::EUR, |m: &Money| {
    ///     (m.currency() == Currency::USD).then(|| m.amount() * Decimal::new(9, 1))
    /// });
    /// let config = RfmConfig { conversion: Some(to_eur), ..RfmConfig::default() };
    /// let now = Utc::now();
    /// let rows = vec![(1_u8, now, "10 EUR".parse::<Money>()?), (1, now, "10 USD".parse()?)];
    /// let table = rfm(rows, &config)?;
    /// assert_eq!((table.customers[0].monetary, table.currency), (Decimal::from(19), Some(Currency::EUR)));
    /// // No rate for yen: the row fails.
    /// let err = rfm(vec![(1_u8, now, "10 JPY".parse::<Money>()?)], &config).unwrap_err();
    /// assert!(matches!(err, SegmentationError::ConversionFailed { row: 0, .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        target: Currency,
        convert: impl Fn(&Money) -> Option<Decimal> + Send + Sync + 'static,
    ) -> Self {
        Self {
            target,
            convert: Arc::new(convert),
        }
    }

    /// The target currency (see the example on [`CurrencyConversion`]).
    pub fn target(&self) -> Currency {
        self.target
    }

    /// Converts one amount (amounts already in the target currency are returned as is,
    /// without calling the conversion).
    ///
    /// ```
    /// use crm_core::{Currency, Money};
    /// use crm_segmentation::CurrencyConversion;
    /// let never = CurrencyConversion::new(Currency::EUR, |_: &Money| None);
    /// assert_eq!(never.convert(&"5 EUR".parse()?), Some("5".parse().unwrap()));
    /// assert_eq!(never.convert(&"5 USD".parse()?), None);
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn convert(&self, money: &Money) -> Option<Decimal> {
        if money.currency() == self.target {
            Some(money.amount())
        } else {
            (self.convert)(money)
        }
    }
}

impl fmt::Debug for CurrencyConversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrencyConversion")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PartialEq for CurrencyConversion {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target && Arc::ptr_eq(&self.convert, &other.convert)
    }
}

/// Settings of an RFM computation; every field has a sensible default.
///
/// ```
/// use crm_segmentation::{FrequencyMeasure, RfmConfig};
/// let c: RfmConfig = serde_json::from_str(r#"{"bins": 4, "frequency": "distinct_days"}"#)?;
/// assert_eq!((c.bins, c.frequency), (4, FrequencyMeasure::DistinctDays));
/// assert!(c.as_of.is_none());
/// // Files written before the field was called `bins` still read.
/// assert_eq!(serde_json::from_str::<RfmConfig>(r#"{"k": 3}"#)?.bins, 3);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RfmConfig {
    /// The as-of time; `None` means the time of the latest transaction. Transactions after
    /// it are excluded and counted in [`RfmReport::excluded_after_as_of`].
    pub as_of: Option<DateTime<Utc>>,
    /// What frequency counts.
    pub frequency: FrequencyMeasure,
    /// What monetary measures.
    pub monetary: MonetaryMeasure,
    /// The number of score bins per dimension, [`MIN_BINS`](crate::MIN_BINS)`..=`
    /// [`MAX_BINS`](crate::MAX_BINS) (default 5): every score lies in `1..=bins`.
    #[serde(alias = "k")]
    pub bins: u8,
    /// How scores are assigned.
    pub method: ScoreMethod,
    /// The segment table.
    pub segments: SegmentTable,
    /// Conversion for amounts in several currencies (not serialized). Without it, mixing
    /// currencies is an error.
    #[serde(skip)]
    pub conversion: Option<CurrencyConversion>,
}

impl Default for RfmConfig {
    fn default() -> Self {
        Self {
            as_of: None,
            frequency: FrequencyMeasure::default(),
            monetary: MonetaryMeasure::default(),
            bins: 5,
            method: ScoreMethod::default(),
            segments: SegmentTable::default(),
            conversion: None,
        }
    }
}

impl RfmConfig {
    /// Checks `bins`, the breakpoints and the segment rules.
    ///
    /// ```
    /// use crm_segmentation::{RfmConfig, SegmentationError};
    /// assert!(RfmConfig::default().validate().is_ok());
    /// assert_eq!(
    ///     RfmConfig { bins: 11, ..RfmConfig::default() }.validate(),
    ///     Err(SegmentationError::InvalidBinCount { bins: 11 })
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), SegmentationError> {
        validate_bins(self.bins)?;
        if let ScoreMethod::Breakpoints(b) = &self.method {
            b.validate(self.bins)?;
        }
        self.segments.validate(self.bins).map(|_| ())
    }
}

/// Counts of what happened to the input rows.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmConfig, RfmReport, rfm};
/// use rust_decimal::Decimal;
/// let day = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
/// let rows = vec![(1_u8, day(1), Decimal::ONE), (1, day(2), Decimal::ONE), (2, day(9), Decimal::ONE)];
/// let config = RfmConfig { as_of: Some(day(5)), ..RfmConfig::default() };
/// let report = rfm(rows, &config)?.report;
/// assert_eq!(report, RfmReport { rows: 3, used: 2, excluded_after_as_of: 1, customers: 1 });
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RfmReport {
    /// Rows read.
    pub rows: u64,
    /// Rows used (not after the as-of time).
    pub used: u64,
    /// Rows after the as-of time, left out.
    pub excluded_after_as_of: u64,
    /// Distinct customers with at least one used row.
    pub customers: u64,
}

/// One customer's RFM values, scores and segment.
///
/// The segment is stored as an index into the table's [`segment_names`](RfmTable::segment_names)
/// (two bytes a row); [`RfmTable::segment_name`] gives its name.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmConfig, rfm};
/// use rust_decimal::Decimal;
/// let day = |d| Utc.with_ymd_and_hms(2024, 3, d, 0, 0, 0).unwrap();
/// let rows = vec![(7_u32, day(1), Decimal::from(30)), (7, day(4), Decimal::from(-10))];
/// let table = rfm(rows, &RfmConfig::default())?;
/// let row = &table.customers[0];
/// assert_eq!((row.frequency, row.revenue, row.transactions), (2, Decimal::from(20), 2));
/// assert_eq!((row.first_purchase.to_string(), row.recency_days), ("2024-03-01".to_string(), 0));
/// assert_eq!(table.segment_name(row), "Lost"); // one customer scores 1 everywhere
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRfm<K> {
    /// The customer key.
    pub customer: K,
    /// Whole days from the last purchase date to the as-of date (UTC dates).
    pub recency_days: u32,
    /// The frequency measure (transactions or distinct purchase days).
    pub frequency: u64,
    /// The monetary measure (net total or mean per transaction).
    pub monetary: Decimal,
    /// The net total of amounts, refunds included.
    pub revenue: Decimal,
    /// The number of transactions.
    pub transactions: u64,
    /// Date of the first purchase (UTC).
    pub first_purchase: NaiveDate,
    /// Date of the last purchase (UTC).
    pub last_purchase: NaiveDate,
    /// Recency score, 1..=bins (bins = best: most recent).
    pub r: u8,
    /// Frequency score, 1..=bins.
    pub f: u8,
    /// Monetary score, 1..=bins.
    pub m: u8,
    /// Index into [`RfmTable::segment_names`]; the name is [`RfmTable::segment_name`].
    pub segment: u16,
}

/// The RFM table: one row per customer, sorted by customer key.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmConfig, rfm};
/// use rust_decimal::Decimal;
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let rows = vec![("b", t, Decimal::ONE), ("a", t, Decimal::new(250, 2))];
/// let table = rfm(rows, &RfmConfig { bins: 3, ..RfmConfig::default() })?;
/// let keys: Vec<&str> = table.customers.iter().map(|c| c.customer).collect();
/// assert_eq!(keys, ["a", "b"]);
/// assert_eq!((table.bins, table.as_of, table.currency), (3, Some(t), None));
/// assert_eq!(table.segment_names.last().map(String::as_str), Some(crm_segmentation::OTHER));
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmTable<K> {
    /// The as-of time used (`None` only for an empty input without a given as-of).
    pub as_of: Option<DateTime<Utc>>,
    /// The number of score bins per dimension.
    #[serde(alias = "k")]
    pub bins: u8,
    /// The currency of the amounts, if they carried one.
    pub currency: Option<Currency>,
    /// Segment names; the last is [`OTHER`].
    pub segment_names: Vec<String>,
    /// The customers, sorted by key.
    pub customers: Vec<CustomerRfm<K>>,
    /// What happened to the input rows.
    pub report: RfmReport,
}

impl<K> RfmTable<K> {
    /// The same table with every customer key mapped through `f`, for example from keys
    /// borrowed during the pass to owned ones (one conversion per customer rather than one
    /// per transaction). `f` must keep the keys' order (the rows stay where they are, and
    /// [`get`](Self::get) searches them by key).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{rfm, RfmConfig};
    /// use rust_decimal::Decimal;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let ids = [String::from("a"), String::from("b")];
    /// let rows = ids.iter().map(|id| (id.as_str(), t, Decimal::ONE));
    /// let table = rfm(rows, &RfmConfig::default())?.map_keys(str::to_owned);
    /// assert_eq!(table.get(&String::from("b")).unwrap().frequency, 1);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn map_keys<L>(self, mut f: impl FnMut(K) -> L) -> RfmTable<L> {
        RfmTable {
            as_of: self.as_of,
            bins: self.bins,
            currency: self.currency,
            segment_names: self.segment_names,
            customers: self
                .customers
                .into_iter()
                .map(|c| CustomerRfm {
                    customer: f(c.customer),
                    recency_days: c.recency_days,
                    frequency: c.frequency,
                    monetary: c.monetary,
                    revenue: c.revenue,
                    transactions: c.transactions,
                    first_purchase: c.first_purchase,
                    last_purchase: c.last_purchase,
                    r: c.r,
                    f: c.f,
                    m: c.m,
                    segment: c.segment,
                })
                .collect(),
            report: self.report,
        }
    }
}

impl<K> RfmTable<K> {
    /// The segment name of a row: its [`CustomerRfm::segment`] looked up in
    /// [`segment_names`](Self::segment_names) ([`OTHER`] for an index out of range).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let table = rfm(vec![(1_u8, t(1), Decimal::ONE), (2, t(20), Decimal::TEN)], &RfmConfig::default())?;
    /// let names: Vec<&str> = table.customers.iter().map(|c| table.segment_name(c)).collect();
    /// assert_eq!(names, ["Lost", "About To Sleep"]);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn segment_name(&self, row: &CustomerRfm<K>) -> &str {
        self.segment_names
            .get(usize::from(row.segment))
            .map_or(OTHER, String::as_str)
    }

    /// The index of the segment called `name` in [`segment_names`](Self::segment_names), as
    /// rows store it in [`CustomerRfm::segment`]; `None` for a name not in the table.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{OTHER, RfmConfig, rfm};
    /// use rust_decimal::Decimal;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let table = rfm(vec![(1_u8, t, Decimal::ONE)], &RfmConfig::default())?;
    /// assert_eq!(table.segment_index("Champions"), Some(0));
    /// assert_eq!(table.segment_index(OTHER), Some(11));
    /// assert_eq!(table.segment_index("VIP"), None);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn segment_index(&self, name: &str) -> Option<u16> {
        self.segment_names
            .iter()
            .position(|n| n == name)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// The rows of the segment called `name`, in key order (none for a name not in the
    /// table): the name is looked up once, then rows are compared by index.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let rows = vec![(1_u8, t(1), Decimal::ONE), (2, t(1), Decimal::ONE), (3, t(30), Decimal::ONE)];
    /// let table = rfm(rows, &RfmConfig::default())?;
    /// let lost: Vec<u8> = table.in_segment("Lost").map(|c| c.customer).collect();
    /// assert_eq!(lost, [1, 2]);
    /// assert_eq!(table.in_segment("no such segment").count(), 0);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn in_segment<'a>(
        &'a self,
        name: &str,
    ) -> impl Iterator<Item = &'a CustomerRfm<K>> + use<'a, K> {
        let index = self.segment_index(name);
        self.customers
            .iter()
            .filter(move |c| Some(c.segment) == index)
    }
}

impl<K: Ord> RfmTable<K> {
    /// The row of one customer (a binary search: the rows are sorted by key).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, rfm};
    /// use rust_decimal::Decimal;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let table = rfm(vec![(10_u64, t, Decimal::ONE), (20, t, Decimal::TWO)], &RfmConfig::default())?;
    /// assert_eq!(table.get(&20).map(|c| c.monetary), Some(Decimal::TWO));
    /// assert!(table.get(&15).is_none());
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn get(&self, customer: &K) -> Option<&CustomerRfm<K>> {
        self.customers
            .binary_search_by(|c| c.customer.cmp(customer))
            .ok()
            .map(|i| &self.customers[i])
    }

    /// Whole days from the first purchase date to the as-of date.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
    /// let table = rfm(vec![(1_u8, t(1), Decimal::ONE), (1, t(3), Decimal::ONE)], &RfmConfig::default())?;
    /// assert_eq!(table.tenure_days(&table.customers[0]), 60); // January and February 2024
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn tenure_days(&self, row: &CustomerRfm<K>) -> u32 {
        self.as_of.map_or(0, |a| {
            (a.date_naive() - row.first_purchase).num_days().max(0) as u32
        })
    }
}

const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Rows are processed in batches of this many: every row's table slot is loaded before any
/// row is applied, so the cache misses of a batch overlap.
const BATCH: usize = 32;

/// One row ready to be applied.
#[derive(Debug, Clone, Copy, Default)]
struct Prepared {
    hash: u64,
    minor: i128,
    row: u64,
    day: i32,
    index: u32,
}

/// A single-pass RFM accumulator: feed purchases (one by one or page by page), then
/// [`finish`](RfmAccumulator::finish).
///
/// If a row fails (mixed currency, overflow), that row changes nothing and the error names it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmAccumulator, RfmConfig};
/// use rust_decimal::Decimal;
///
/// let t = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
/// let mut acc = RfmAccumulator::new(&RfmConfig::default())?;
/// for page in [vec![(1_u64, t, Decimal::ONE)], vec![(2_u64, t, Decimal::TWO)]] {
///     acc.add_all(page)?;
/// }
/// let table = acc.finish()?;
/// assert_eq!(table.customers.len(), 2);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RfmAccumulator<K> {
    config: RfmConfig,
    customers: CustomerStates<K>,
    days: FxHashSet<(K, i32)>,
    currency: Option<(Currency, u64)>,
    scale: u32,
    rows: u64,
    excluded: u64,
    latest: Option<DateTime<Utc>>,
}

impl<K: Hash + Eq + Clone + Ord> RfmAccumulator<K> {
    /// An empty accumulator; the configuration is validated.
    ///
    /// ```
    /// use crm_segmentation::{RfmAccumulator, RfmConfig};
    /// assert!(RfmAccumulator::<u64>::new(&RfmConfig::default()).is_ok());
    /// assert!(RfmAccumulator::<u64>::new(&RfmConfig { bins: 1, ..RfmConfig::default() }).is_err());
    /// ```
    pub fn new(config: &RfmConfig) -> Result<Self, SegmentationError> {
        config.validate()?;
        Ok(Self {
            config: config.clone(),
            customers: CustomerStates::default(),
            days: FxHashSet::default(),
            currency: config.conversion.as_ref().map(|c| (c.target(), 0)),
            scale: 0,
            rows: 0,
            excluded: 0,
            latest: None,
        })
    }

    /// Reserves room for `customers` more customers, so that a host that knows its customer
    /// count saves the table's regrowth.
    ///
    /// ```
    /// use crm_segmentation::{RfmAccumulator, RfmConfig};
    /// let mut acc = RfmAccumulator::<u32>::new(&RfmConfig::default())?;
    /// acc.reserve(100_000);
    /// assert!(acc.finish()?.customers.is_empty());
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn reserve(&mut self, customers: usize) {
        self.customers.reserve(customers);
    }

    /// Adds one purchase. A row that fails changes nothing, and the rows before it stay.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Money;
    /// use crm_segmentation::{RfmAccumulator, RfmConfig, SegmentationError};
    /// let mut acc = RfmAccumulator::new(&RfmConfig::default())?;
    /// acc.add((1_u8, Utc::now(), "10 EUR".parse::<Money>()?))?;
    /// let err = acc.add((2_u8, Utc::now(), "10 USD".parse::<Money>()?)).unwrap_err();
    /// assert!(matches!(err, SegmentationError::MixedCurrency { row: 1, .. }));
    /// assert_eq!(acc.finish()?.customers.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add<P: Purchase<Customer = K>>(&mut self, purchase: P) -> Result<(), SegmentationError> {
        self.add_slice(std::slice::from_ref(&purchase))
    }

    /// Adds a slice of purchases (for example one page of a storage scan).
    ///
    /// A stored [`Transaction`](crm_core::Transaction) is a [`Purchase`], so pages of a
    /// transaction store feed the accumulator directly:
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::Transaction;
    /// use crm_segmentation::{RfmAccumulator, RfmConfig};
    ///
    /// let t = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
    /// let page = vec![
    ///     Transaction::new("TX-1".parse()?, 42.into(), t, "59.90 EUR".parse()?),
    ///     Transaction::new("TX-2".parse()?, 42.into(), t, "-19.90 EUR".parse()?),
    /// ];
    /// let mut acc = RfmAccumulator::new(&RfmConfig::default())?;
    /// acc.add_slice(&page)?;
    /// let table = acc.finish()?;
    /// assert_eq!(table.customers[0].monetary.to_string(), "40.00");
    /// assert_eq!(table.currency, Some(crm_core::Currency::EUR));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_slice<P: Purchase<Customer = K>>(
        &mut self,
        purchases: &[P],
    ) -> Result<(), SegmentationError> {
        let base = self.rows;
        let result = self.add_rows(purchases, base, None);
        self.rows = base + purchases.len() as u64;
        if let Err(e) = &result {
            self.rows = error_row(e).min(self.rows - 1) + 1;
        }
        result
    }

    /// Adds every purchase of an iterator (for example one page of a storage scan); see the
    /// example on [`RfmAccumulator`].
    pub fn add_all<I>(&mut self, purchases: I) -> Result<(), SegmentationError>
    where
        I: IntoIterator,
        I::Item: Purchase<Customer = K>,
    {
        let mut buffer = Vec::with_capacity(BATCH);
        for p in purchases {
            buffer.push(p);
            if buffer.len() == BATCH {
                self.add_slice(&buffer)?;
                buffer.clear();
            }
        }
        self.add_slice(&buffer)
    }

    /// Merges another accumulator built with the same configuration (for example on
    /// another thread from another part of the data).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmAccumulator, RfmConfig, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let rows: Vec<_> = (1..=20u32).map(|d| (d % 3, t(d), Decimal::from(d))).collect();
    /// let config = RfmConfig::default();
    /// let (mut left, mut right) = (RfmAccumulator::new(&config)?, RfmAccumulator::new(&config)?);
    /// left.add_slice(&rows[..8])?;
    /// right.add_slice(&rows[8..])?;
    /// left.merge(right)?;
    /// assert_eq!(left.finish()?, rfm(&rows, &config)?);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn merge(&mut self, other: Self) -> Result<(), SegmentationError> {
        if self.config.as_of != other.config.as_of {
            return Err(SegmentationError::IncompatibleMerge { field: "as_of" });
        }
        if self.config.frequency != other.config.frequency {
            return Err(SegmentationError::IncompatibleMerge { field: "frequency" });
        }
        let currency = merged_currency(self.currency, other.currency)?;
        let scale = self.scale.max(other.scale);
        let mut other = other;
        self.rescale(scale, self.rows)?;
        other.rescale(scale, self.rows)?;
        for (key, b) in other.customers.into_entries() {
            self.customers
                .absorb(key, b)
                .ok_or(SegmentationError::AmountOverflow { row: self.rows })?;
        }
        self.days.extend(other.days);
        self.currency = currency;
        self.rows += other.rows;
        self.excluded += other.excluded;
        self.latest = self.latest.max(other.latest);
        Ok(())
    }

    /// Adds `rows` (numbered from `base`), keeping only the customers of hash share
    /// `share = (mine, of)` if given.
    fn add_rows<P: Purchase<Customer = K>>(
        &mut self,
        rows: &[P],
        base: u64,
        share: Option<(u64, u64)>,
    ) -> Result<(), SegmentationError> {
        let mut batch = [Prepared::default(); BATCH];
        for (c, chunk) in rows.chunks(BATCH).enumerate() {
            let mut m = 0;
            for (j, p) in chunk.iter().enumerate() {
                let hash = hash_key(p.customer());
                if let Some((mine, of)) = share
                    && share_of(hash, of) != mine
                {
                    continue;
                }
                let row = base + (c * BATCH + j) as u64;
                let scale = self.scale;
                let prepared = match self.prepare(row, p) {
                    Ok(prepared) => prepared,
                    Err(e) => return Err(self.fail_at(chunk, &batch[..m], e)),
                };
                if self.scale != scale {
                    // The running scale grew: bring the rows waiting in the batch along.
                    let factor = POW10[(self.scale - scale) as usize];
                    for b in &mut batch[..m] {
                        b.minor = b
                            .minor
                            .checked_mul(factor)
                            .ok_or(SegmentationError::AmountOverflow { row: b.row })?;
                    }
                }
                if let Some((day, minor)) = prepared {
                    batch[m] = Prepared {
                        hash,
                        minor,
                        row,
                        day,
                        index: j as u32,
                    };
                    m += 1;
                }
            }
            self.apply(chunk, &batch[..m])?;
        }
        Ok(())
    }

    /// The error of a failed row, after applying the rows of its batch before it (they
    /// count; it and the rest do not), unless one of those fails first.
    #[cold]
    #[inline(never)]
    fn fail_at<P: Purchase<Customer = K>>(
        &mut self,
        chunk: &[P],
        before: &[Prepared],
        error: SegmentationError,
    ) -> SegmentationError {
        match self.apply(chunk, before) {
            Ok(()) => error,
            Err(first) => first,
        }
    }

    /// Applies prepared rows of `chunk`, in order.
    #[inline]
    fn apply<P: Purchase<Customer = K>>(
        &mut self,
        chunk: &[P],
        batch: &[Prepared],
    ) -> Result<(), SegmentationError> {
        // Load every home slot of the batch before applying any row: the loads are
        // independent and overlap.
        let mut seen = 0i32;
        for b in batch {
            seen ^= self.customers.touch(b.hash);
        }
        std::hint::black_box(seen);
        for b in batch {
            let key = chunk[b.index as usize].customer();
            self.customers
                .add(b.hash, key, b.day, b.minor)
                .ok_or(SegmentationError::AmountOverflow { row: b.row })?;
            if self.config.frequency == FrequencyMeasure::DistinctDays {
                self.days.insert((key.clone(), b.day));
            }
        }
        Ok(())
    }

    /// Checks one row and converts it to (day, amount in minor units at the running scale);
    /// `None` for a row after the as-of time.
    #[inline]
    fn prepare<P: Purchase<Customer = K>>(
        &mut self,
        row: u64,
        p: &P,
    ) -> Result<Option<(i32, i128)>, SegmentationError> {
        let at = p.at();
        if let Some(as_of) = self.config.as_of
            && at > as_of
        {
            self.excluded += 1;
            return Ok(None);
        }
        let amount = p.amount();
        let (value, new_currency) = self.value_of(row, &amount)?;
        let minor = self.minor_units(row, value)?;
        if let Some(c) = new_currency {
            self.currency = Some((c, row));
        }
        if self.latest.is_none_or(|l| at > l) {
            self.latest = Some(at);
        }
        Ok(Some((at.naive_utc().date().num_days_from_ce(), minor)))
    }

    #[inline]
    fn value_of<A: Amount>(
        &self,
        row: u64,
        amount: &A,
    ) -> Result<(Decimal, Option<Currency>), SegmentationError> {
        let value = amount.value();
        let Some(found) = amount.currency() else {
            return Ok((value, None));
        };
        if let Some(conv) = &self.config.conversion {
            let money = Money::new(value, found);
            return conv.convert(&money).map(|v| (v, None)).ok_or(
                SegmentationError::ConversionFailed {
                    row,
                    amount: money,
                    target: conv.target(),
                },
            );
        }
        match self.currency {
            None => Ok((value, Some(found))),
            Some((expected, _)) if expected == found => Ok((value, None)),
            Some((expected, _)) => Err(SegmentationError::MixedCurrency {
                row,
                expected,
                found,
            }),
        }
    }

    #[inline]
    fn minor_units(&mut self, row: u64, value: Decimal) -> Result<i128, SegmentationError> {
        let scale = value.scale();
        let mantissa = value.mantissa();
        if scale == self.scale {
            Ok(mantissa)
        } else if scale < self.scale {
            mantissa
                .checked_mul(POW10[(self.scale - scale) as usize])
                .ok_or(SegmentationError::AmountOverflow { row })
        } else {
            self.rescale(scale, row)?;
            Ok(mantissa)
        }
    }

    /// Moves every running total to a finer scale; all or nothing.
    fn rescale(&mut self, scale: u32, row: u64) -> Result<(), SegmentationError> {
        if scale <= self.scale {
            return Ok(());
        }
        self.customers
            .rescale(POW10[(scale - self.scale) as usize])
            .ok_or(SegmentationError::AmountOverflow { row })?;
        self.scale = scale;
        Ok(())
    }

    /// What the pass found so far besides the customers' states.
    fn totals(&self) -> PassTotals {
        PassTotals {
            currency: self.currency,
            scale: self.scale,
            rows: self.rows,
            excluded: self.excluded,
            latest: self.latest,
        }
    }

    /// Scores, segments and the final table (see the example on [`RfmAccumulator`]).
    pub fn finish(self) -> Result<RfmTable<K>, SegmentationError> {
        let config = self.config.clone();
        let (totals, tables, days) = gather_parts(vec![self])?;
        finish::finish(
            &config,
            totals,
            vec![finish::one_run(tables)],
            finish::DayCounts::Pairs(days),
            finish::OneThread,
        )
    }
}

/// The thread share of a key hash: from its top bits mixed with all of its bits.
#[inline]
fn share_of(hash: u64, of: u64) -> u64 {
    (group_bits(hash) >> 48) % of
}

fn merged_currency(
    a: Option<(Currency, u64)>,
    b: Option<(Currency, u64)>,
) -> Result<Option<(Currency, u64)>, SegmentationError> {
    match (a, b) {
        (Some((x, rx)), Some((y, ry))) if x != y => {
            let (expected, found, row) = if rx <= ry { (x, y, ry) } else { (y, x, rx) };
            Err(SegmentationError::MixedCurrency {
                row,
                expected,
                found,
            })
        }
        (Some((x, rx)), Some((_, ry))) => Ok(Some((x, rx.min(ry)))),
        (a, b) => Ok(a.or(b)),
    }
}

/// Runs `f` on every item, the first on the calling thread and each other on a thread of
/// its own, and returns the results in item order (a panic in `f` is passed on).
fn fork_join<T: Send, R: Send>(
    items: impl IntoIterator<Item = T>,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let f = &f;
    std::thread::scope(|s| {
        let mut items = items.into_iter();
        let first = items.next();
        let handles: Vec<_> = items.map(|item| s.spawn(move || f(item))).collect();
        let mut out: Vec<R> = first.into_iter().map(f).collect();
        out.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
        );
        out
    })
}

/// What a pass over the purchases found besides the customers' states.
#[derive(Debug, Clone, Copy, Default)]
struct PassTotals {
    currency: Option<(Currency, u64)>,
    scale: u32,
    rows: u64,
    excluded: u64,
    latest: Option<DateTime<Utc>>,
}

impl PassTotals {
    /// Adds what another part of the same pass found (its rows numbered in the same
    /// sequence); an error if the two met different currencies.
    fn absorb(&mut self, other: &PassTotals) -> Result<(), SegmentationError> {
        self.currency = merged_currency(self.currency, other.currency)?;
        self.scale = self.scale.max(other.scale);
        self.rows = self.rows.max(other.rows);
        self.excluded += other.excluded;
        self.latest = self.latest.max(other.latest);
        Ok(())
    }
}

/// The totals and the customers' tables of parts whose customer sets are disjoint, every
/// state at the finest scale of any part, and the distinct purchase days if counted.
type Gathered<K> = (PassTotals, Vec<CustomerStates<K>>, Vec<FxHashSet<(K, i32)>>);

fn gather_parts<K: Hash + Eq + Clone + Ord>(
    parts: Vec<RfmAccumulator<K>>,
) -> Result<Gathered<K>, SegmentationError> {
    let mut totals = PassTotals::default();
    for p in &parts {
        totals.absorb(&p.totals())?;
    }
    let mut tables = Vec::with_capacity(parts.len());
    let mut days = Vec::with_capacity(parts.len());
    for mut p in parts {
        p.rescale(totals.scale, totals.rows)?;
        tables.push(p.customers);
        days.push(p.days);
    }
    Ok((totals, tables, days))
}

/// RFM table of a stream of purchases, in one pass.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{rfm, RfmConfig};
/// use rust_decimal::Decimal;
/// let table = rfm(Vec::<(u64, chrono::DateTime<Utc>, Decimal)>::new(), &RfmConfig::default())?;
/// assert!(table.customers.is_empty());
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn rfm<I>(
    purchases: I,
    config: &RfmConfig,
) -> Result<RfmTable<<I::Item as Purchase>::Customer>, SegmentationError>
where
    I: IntoIterator,
    I::Item: Purchase,
{
    let mut acc = RfmAccumulator::new(config)?;
    acc.add_all(purchases)?;
    acc.finish()
}

/// RFM table of an in-memory slice of purchases on `threads` threads (0 = all cores).
///
/// The result, errors included, equals [`rfm`]'s. Two strategies:
///
/// - Keys that own nothing (integers, `&str`, UUIDs, ... : types with no drop glue) and
///   frequency as the number of transactions: the purchases are scattered by key hash into
///   256 partitions, a bounded chunk at a time, and each partition's customers are updated
///   in a table small enough to stay in cache; key ranges are then sorted on separate
///   threads. This is the fast path; it also helps on one thread.
/// - Otherwise (owned keys such as `String`, distinct purchase days), and whenever the fast
///   path meets an error or an amount wider than 64-bit minor units: every thread scans the
///   whole slice and keeps the customers whose key hash falls in its share.
///
/// Memory grows with the customers, plus at most 4,194,304 buffered purchases (96 MB for
/// 8-byte keys) on the fast path.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{rfm, rfm_parallel, RfmConfig};
/// use rust_decimal::Decimal;
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let rows: Vec<_> = (0..1000u64).map(|i| (i % 97, t, Decimal::from(i))).collect();
/// let config = RfmConfig::default();
/// assert_eq!(rfm_parallel(&rows, &config, 2)?, rfm(&rows, &config)?);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn rfm_parallel<P>(
    purchases: &[P],
    config: &RfmConfig,
    threads: usize,
) -> Result<RfmTable<P::Customer>, SegmentationError>
where
    P: Purchase + Sync,
    P::Customer: Send + Sync,
{
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    config.validate()?;
    if purchases.len() >= 1 << 14
        && partitioned::applies::<P::Customer>(config)
        && let Some(table) = partitioned::rfm(
            purchases,
            config,
            threads,
            partitioned::CHUNK_ROWS,
            finish::PARALLEL_SORT_FROM,
        )
    {
        return table;
    }
    if threads == 1 || purchases.len() < 1 << 14 {
        let mut acc = RfmAccumulator::new(config)?;
        acc.add_slice(purchases)?;
        return acc.finish();
    }
    let t = threads as u64;
    let results = fork_join(0..t, |mine| {
        let mut acc = RfmAccumulator::new(config)?;
        acc.add_rows(purchases, 0, Some((mine, t)))?;
        acc.rows = purchases.len() as u64;
        Ok::<_, SegmentationError>(acc)
    });
    let mut parts = Vec::with_capacity(results.len());
    let mut first_err: Option<SegmentationError> = None;
    for r in results {
        match r {
            Ok(p) => parts.push(p),
            Err(e) => {
                if first_err
                    .as_ref()
                    .is_none_or(|f| error_row(&e) < error_row(f))
                {
                    first_err = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let (totals, tables, days) = gather_parts(parts)?;
    let runs = finish::key_order_runs(tables, threads, finish::PARALLEL_SORT_FROM);
    finish::finish(
        config,
        totals,
        runs,
        finish::DayCounts::Pairs(days),
        finish::SideBySide,
    )
}

fn error_row(e: &SegmentationError) -> u64 {
    match e {
        SegmentationError::MixedCurrency { row, .. }
        | SegmentationError::ConversionFailed { row, .. }
        | SegmentationError::AmountOverflow { row } => *row,
        _ => u64::MAX,
    }
}
