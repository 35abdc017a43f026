//! Cohort retention tables: customers grouped by the period of their first purchase (their
//! acquisition cohort), and per period since then how many of them bought, what they spent
//! and what they have spent so far.
//!
//! One pass over the purchases, in any order: each customer keeps the periods it had
//! transactions in (absolute calendar periods, with the net revenue and the number of
//! purchases of each), so memory grows with customers × the periods they were seen in, not
//! with transactions. The cohort of a customer is only known at the end (its first purchase
//! may come last in the stream), so the table is built by [`CohortAccumulator::finish`].
//! Accumulators of parts of the data merge ([`CohortAccumulator::merge`]) into the state of
//! the whole, in any grouping and order.
//!
//! **Purchases and refunds.** A purchase is a transaction with a positive amount. Refunds
//! (negative amounts) and zero amounts count toward revenue only: they neither make a
//! customer active in a period nor acquire a customer. (RFM counts every transaction in
//! its frequency; a refund is no sign that a customer came back, so retention does not.)
//! A customer's transactions in periods before the period of its first purchase, and
//! every transaction of a customer who never made a purchase, are left out of the table
//! and counted in the [`CohortReport`].
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_segmentation::{CohortConfig, CohortPeriod, cohorts};
//! use rust_decimal::Decimal;
//!
//! let t = |m, d| Utc.with_ymd_and_hms(2024, m, d, 12, 0, 0).unwrap();
//! let rows = vec![
//!     ("ann", t(1, 5), Decimal::from(100)),
//!     ("bob", t(1, 20), Decimal::from(50)),
//!     ("ann", t(3, 2), Decimal::from(40)),
//!     ("cy", t(2, 14), Decimal::from(70)),
//! ];
//! let table = cohorts(rows, &CohortConfig { period: CohortPeriod::Month, ..CohortConfig::default() })?;
//! let january = &table.cohorts[0];
//! assert_eq!((january.label.as_str(), january.size), ("2024-01", 2));
//! // February: nobody of January's cohort bought; March: ann did.
//! let active: Vec<u64> = january.cells.iter().map(|c| c.active).collect();
//! assert_eq!(active, [2, 0, 1]);
//! assert_eq!(january.cells[2].retention, 0.5);
//! assert_eq!(january.cells[2].cumulative_revenue_per_customer, Decimal::from(95));
//! assert_eq!(table.cohorts[1].label, "2024-02");
//! # Ok::<(), crm_segmentation::SegmentationError>(())
//! ```

use std::hash::Hash;

use chrono::{DateTime, Utc};
use crm_core::{Amount, Currency, Purchase};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::SegmentationError;

mod period;
mod table;

pub use period::CohortPeriod;
pub use table::{Cohort, CohortCell, CohortReport, CohortRow, CohortTable};

/// Settings of a cohort table; every field has a default.
///
/// `start` and `as_of` bound the transactions read, both inclusive. A customer who made a
/// purchase before `start` was acquired before the range: it belongs to no cohort of the
/// table, and its transactions in the range are counted in
/// [`CohortReport::excluded_acquired_before_start`] (the input must hold the earlier
/// transactions for this to be known; a customer whose earlier purchases are not in the
/// input is taken as acquired at its first purchase in the range).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{CohortConfig, CohortPeriod};
/// let c: CohortConfig = serde_json::from_str(r#"{"period": "week", "as_of": "2024-06-30T23:59:59Z"}"#)?;
/// assert_eq!(c.period, CohortPeriod::Week);
/// assert_eq!(c.as_of, Some(Utc.with_ymd_and_hms(2024, 6, 30, 23, 59, 59).unwrap()));
/// assert!(c.start.is_none());
/// // `end` is another name for the as-of time.
/// let e: CohortConfig = serde_json::from_str(r#"{"end": "2024-06-30T23:59:59Z"}"#)?;
/// assert_eq!((e.period, e.as_of), (CohortPeriod::Month, c.as_of));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CohortConfig {
    /// The period length (default: month).
    pub period: CohortPeriod,
    /// Transactions before this time are left out (and mark their customer as acquired
    /// before the range if one is a purchase); `None`: no lower bound.
    pub start: Option<DateTime<Utc>>,
    /// Transactions after this time are left out; `None`: no upper bound (the table runs to
    /// the period of the latest transaction).
    #[serde(alias = "end")]
    pub as_of: Option<DateTime<Utc>>,
}

impl CohortConfig {
    /// Checks that the start, if any, is not after the as-of time.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{CohortConfig, SegmentationError};
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
    /// assert!(CohortConfig { start: Some(t(1)), as_of: Some(t(1)), ..CohortConfig::default() }.validate().is_ok());
    /// let swapped = CohortConfig { start: Some(t(6)), as_of: Some(t(1)), ..CohortConfig::default() };
    /// assert!(matches!(swapped.validate(), Err(SegmentationError::InvalidDateRange { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), SegmentationError> {
        match (self.start, self.as_of) {
            (Some(start), Some(as_of)) if start > as_of => {
                Err(SegmentationError::InvalidDateRange { start, as_of })
            }
            _ => Ok(()),
        }
    }
}

/// One customer's transactions in one absolute period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PeriodCell {
    /// The period's consecutive number ([`CohortPeriod::index`]).
    period: i32,
    /// The net revenue, refunds included.
    revenue: Decimal,
    /// The number of transactions (at least one).
    transactions: u64,
    /// How many of them are purchases (positive amounts).
    purchases: u64,
}

/// One customer's state: whether it bought before the range, and its periods in the range,
/// sorted by period.
#[derive(Debug, Clone, Default, PartialEq)]
struct CustomerPeriods {
    acquired_before_start: bool,
    cells: Vec<PeriodCell>,
}

impl CustomerPeriods {
    /// Adds one transaction's cell; `None` (and no change) if the period's revenue would
    /// not fit exactly.
    fn add(&mut self, cell: PeriodCell) -> Option<()> {
        match self.cells.binary_search_by_key(&cell.period, |c| c.period) {
            Ok(i) => {
                let mine = &mut self.cells[i];
                mine.revenue = exact_add(mine.revenue, cell.revenue)?;
                mine.transactions = mine.transactions.saturating_add(cell.transactions);
                mine.purchases = mine.purchases.saturating_add(cell.purchases);
            }
            Err(i) => self.cells.insert(i, cell),
        }
        Some(())
    }

    /// The sums of the cells of both, without changing anything; `None` if a revenue sum
    /// does not fit exactly.
    fn check_absorb(&self, other: &CustomerPeriods) -> Option<()> {
        for cell in &other.cells {
            if let Ok(i) = self.cells.binary_search_by_key(&cell.period, |c| c.period) {
                exact_add(self.cells[i].revenue, cell.revenue)?;
            }
        }
        Some(())
    }

    /// Adds the cells of `other` (after [`check_absorb`](Self::check_absorb)).
    fn absorb(&mut self, other: CustomerPeriods) -> Option<()> {
        self.acquired_before_start |= other.acquired_before_start;
        if other.cells.is_empty() {
            return Some(());
        }
        let mine = std::mem::take(&mut self.cells);
        let mut merged = Vec::with_capacity(mine.len() + other.cells.len());
        let mut a = mine.into_iter().peekable();
        let mut b = other.cells.into_iter().peekable();
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.period < y.period => a.next(),
                (Some(x), Some(y)) if x.period > y.period => b.next(),
                (Some(_), Some(_)) => match (a.next(), b.next()) {
                    (Some(mut x), Some(y)) => {
                        x.revenue = exact_add(x.revenue, y.revenue)?;
                        x.transactions = x.transactions.saturating_add(y.transactions);
                        x.purchases = x.purchases.saturating_add(y.purchases);
                        Some(x)
                    }
                    (x, y) => x.or(y),
                },
                _ => a.next().or_else(|| b.next()),
            };
            match next {
                Some(cell) => merged.push(cell),
                None => break,
            }
        }
        self.cells = merged;
        Some(())
    }
}

/// `a + b` if it fits a decimal exactly: `None` on overflow, and where `rust_decimal`
/// would round away digits after the point to make the sum fit. The sum has the larger
/// scale of the two (`rust_decimal` returns the other operand as is when one is zero), so
/// that a sum's scale does not depend on the order of its terms.
pub(crate) fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let scale = a.scale().max(b.scale());
    let sum = a.checked_add(b)?;
    if sum.scale() >= scale {
        Some(sum)
    } else if a.is_zero() || b.is_zero() {
        let mut wider = sum;
        wider.rescale(scale);
        Some(if wider.scale() == scale { wider } else { sum })
    } else {
        None
    }
}

/// A single-pass, mergeable cohort accumulator: feed purchases in any order (one by one,
/// page by page, or in parts on several threads that are then merged), then
/// [`finish`](CohortAccumulator::finish) for the [`CohortTable`].
///
/// A row that fails (a currency other than the earlier rows', a revenue that does not fit
/// a decimal) changes nothing and the error names it; rows are numbered from 0 in the
/// order they were added.
///
/// The state serializes (customers in key order, periods as consecutive numbers) so a
/// partial result can be stored or sent and merged later; a state that no sequence of
/// rows could produce is refused when read back.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{CohortAccumulator, CohortConfig, CohortPeriod};
/// use rust_decimal::Decimal;
///
/// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 12, 0, 0).unwrap();
/// let config = CohortConfig { period: CohortPeriod::Week, ..CohortConfig::default() };
/// let mut acc = CohortAccumulator::new(&config)?;
/// for page in [vec![(1_u64, t(10), Decimal::TEN)], vec![(2_u64, t(2), Decimal::ONE), (1, t(3), Decimal::ONE)]] {
///     acc.add_all(page)?;
/// }
/// let table = acc.finish()?;
/// // Customer 1's first purchase (3 January) came after its second in the stream.
/// assert_eq!(table.cohorts.len(), 1);
/// assert_eq!((table.cohorts[0].label.as_str(), table.cohorts[0].size), ("2024-W01", 2));
/// assert_eq!(table.cohorts[0].cells[1].active, 1);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CohortAccumulator<K> {
    /// `None` for the merge identity made by `default()`, until a row is added (then the
    /// default configuration) or another accumulator is merged in (then its configuration).
    config: Option<CohortConfig>,
    customers: FxHashMap<K, CustomerPeriods>,
    /// The currency of the amounts, with the row that first had it.
    currency: Option<(Currency, u64)>,
    rows: u64,
    excluded_before_start: u64,
    excluded_after_as_of: u64,
}

/// The configuration of an accumulator made by `default()`.
static DEFAULT_CONFIG: CohortConfig = CohortConfig {
    period: CohortPeriod::Month,
    start: None,
    as_of: None,
};

impl<K> Default for CohortAccumulator<K> {
    /// An empty accumulator: the identity of [`merge`](CohortAccumulator::merge), on
    /// either side, whatever the other's configuration (merged into, it takes the other's
    /// state and configuration). Rows added to it are read with the default configuration
    /// ([`CohortConfig::default`]).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{CohortAccumulator, CohortConfig, CohortPeriod};
    /// use rust_decimal::Decimal;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let config = CohortConfig { period: CohortPeriod::Quarter, ..CohortConfig::default() };
    /// let mut acc = CohortAccumulator::new(&config)?;
    /// acc.add((1_u8, t, Decimal::ONE))?;
    /// let before = acc.finish()?;
    /// acc.merge(CohortAccumulator::default())?;
    /// assert_eq!(acc.finish()?, before);
    /// let mut empty = CohortAccumulator::default();
    /// empty.merge(acc)?;
    /// assert_eq!(empty.finish()?, before);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    fn default() -> Self {
        Self {
            config: None,
            customers: FxHashMap::default(),
            currency: None,
            rows: 0,
            excluded_before_start: 0,
            excluded_after_as_of: 0,
        }
    }
}

impl<K: Hash + Eq + Clone + Ord> CohortAccumulator<K> {
    /// An empty accumulator; the configuration is validated.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{CohortAccumulator, CohortConfig};
    /// assert!(CohortAccumulator::<u64>::new(&CohortConfig::default()).is_ok());
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
    /// let swapped = CohortConfig { start: Some(t(6)), as_of: Some(t(1)), ..CohortConfig::default() };
    /// assert!(CohortAccumulator::<u64>::new(&swapped).is_err());
    /// ```
    pub fn new(config: &CohortConfig) -> Result<Self, SegmentationError> {
        config.validate()?;
        Ok(Self {
            config: Some(config.clone()),
            ..Self::default()
        })
    }

    /// The configuration (the default one for an accumulator of [`Default`]).
    ///
    /// ```
    /// use crm_segmentation::{CohortAccumulator, CohortConfig, CohortPeriod};
    /// let acc = CohortAccumulator::<u32>::default();
    /// assert_eq!(acc.config().period, CohortPeriod::Month);
    /// ```
    pub fn config(&self) -> &CohortConfig {
        self.config.as_ref().unwrap_or(&DEFAULT_CONFIG)
    }

    /// The number of rows added so far (those left out by the date range included).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_segmentation::CohortAccumulator;
    /// use rust_decimal::Decimal;
    /// let mut acc = CohortAccumulator::default();
    /// acc.add_all([(1_u8, Utc::now(), Decimal::ONE), (1, Utc::now(), Decimal::ONE)])?;
    /// assert_eq!(acc.rows(), 2);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds one transaction. A row that fails changes nothing, and the rows before it stay.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Money;
    /// use crm_segmentation::{CohortAccumulator, SegmentationError};
    /// let mut acc = CohortAccumulator::default();
    /// acc.add((1_u8, Utc::now(), "10 EUR".parse::<Money>()?))?;
    /// let err = acc.add((2_u8, Utc::now(), "10 USD".parse::<Money>()?)).unwrap_err();
    /// assert!(matches!(err, SegmentationError::MixedCurrency { row: 1, .. }));
    /// let table = acc.finish()?;
    /// assert_eq!((table.report.rows, table.currency), (1, Some(crm_core::Currency::EUR)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add<P: Purchase<Customer = K>>(&mut self, purchase: P) -> Result<(), SegmentationError> {
        let row = self.rows;
        let at = purchase.at();
        let &CohortConfig {
            period,
            start,
            as_of,
        } = self.config();
        if start.is_some_and(|s| at < s) {
            if purchase.amount().value() > Decimal::ZERO {
                match self.customers.get_mut(purchase.customer()) {
                    Some(state) => state.acquired_before_start = true,
                    None => {
                        let state = CustomerPeriods {
                            acquired_before_start: true,
                            cells: Vec::new(),
                        };
                        self.customers.insert(purchase.customer().clone(), state);
                    }
                }
            }
            self.excluded_before_start = self.excluded_before_start.saturating_add(1);
        } else if as_of.is_some_and(|a| at > a) {
            self.excluded_after_as_of = self.excluded_after_as_of.saturating_add(1);
        } else {
            let amount = purchase.amount();
            let value = amount.value();
            let new_currency = self.check_currency(row, amount.currency())?;
            let cell = PeriodCell {
                period: period.index(at.date_naive()),
                revenue: value,
                transactions: 1,
                purchases: u64::from(value > Decimal::ZERO),
            };
            match self.customers.get_mut(purchase.customer()) {
                Some(state) => state
                    .add(cell)
                    .ok_or(SegmentationError::AmountOverflow { row })?,
                None => {
                    let state = CustomerPeriods {
                        acquired_before_start: false,
                        cells: vec![cell],
                    };
                    self.customers.insert(purchase.customer().clone(), state);
                }
            }
            if let Some(c) = new_currency {
                self.currency = Some((c, row));
            }
        }
        self.rows = self.rows.saturating_add(1);
        if self.config.is_none() {
            self.config = Some(DEFAULT_CONFIG.clone());
        }
        Ok(())
    }

    /// Adds every transaction of an iterator (for example one page of a storage scan),
    /// stopping at the first that fails; see the example on [`CohortAccumulator`].
    pub fn add_all<I>(&mut self, purchases: I) -> Result<(), SegmentationError>
    where
        I: IntoIterator,
        I::Item: Purchase<Customer = K>,
    {
        purchases.into_iter().try_for_each(|p| self.add(p))
    }

    /// The currency a row of currency `found` sets, if it is the first with one; an error
    /// if it differs from the earlier rows'. Bare numbers go with any currency.
    fn check_currency(
        &self,
        row: u64,
        found: Option<Currency>,
    ) -> Result<Option<Currency>, SegmentationError> {
        match (found, self.currency) {
            (None, _) => Ok(None),
            (Some(found), None) => Ok(Some(found)),
            (Some(found), Some((expected, _))) if found == expected => Ok(None),
            (Some(found), Some((expected, _))) => Err(SegmentationError::MixedCurrency {
                row,
                expected,
                found,
            }),
        }
    }

    /// Adds the state of another accumulator, as if its rows had been added after this
    /// one's (its rows are numbered after this one's in errors). The result is the same in
    /// any grouping and order of merges, and equal to one pass over all the rows; the
    /// accumulator of [`Default`] is the identity. Accumulators made by
    /// [`new`](Self::new) must have the same configuration, even when empty.
    ///
    /// On an error nothing changes.
    ///
    /// # Errors
    ///
    /// [`SegmentationError::IncompatibleMerge`] for different configurations,
    /// [`MixedCurrency`](SegmentationError::MixedCurrency) if their amounts are in
    /// different currencies, and [`AmountOverflow`](SegmentationError::AmountOverflow) if
    /// a customer's revenue in a period does not fit a decimal.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{CohortAccumulator, CohortConfig, cohorts};
    /// use rust_decimal::Decimal;
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 15, 0, 0, 0).unwrap();
    /// let rows: Vec<_> = (1..=12u32).map(|m| (m % 4, t(m), Decimal::from(m))).collect();
    /// let config = CohortConfig::default();
    /// let (mut left, mut right) = (CohortAccumulator::new(&config)?, CohortAccumulator::new(&config)?);
    /// left.add_all(&rows[5..])?;
    /// right.add_all(&rows[..5])?;
    /// left.merge(right)?;
    /// assert_eq!(left.finish()?, cohorts(&rows, &config)?);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn merge(&mut self, other: Self) -> Result<(), SegmentationError> {
        let Some(b) = &other.config else {
            return Ok(()); // the identity
        };
        let Some(a) = &self.config else {
            *self = other;
            return Ok(());
        };
        for (differs, field) in [
            (a.period != b.period, "period"),
            (a.start != b.start, "start"),
            (a.as_of != b.as_of, "as_of"),
        ] {
            if differs {
                return Err(SegmentationError::IncompatibleMerge { field });
            }
        }
        let currency = match (self.currency, other.currency) {
            (Some((expected, _)), Some((found, row))) if expected != found => {
                return Err(SegmentationError::MixedCurrency {
                    row: self.rows.saturating_add(row),
                    expected,
                    found,
                });
            }
            (None, Some((c, row))) => Some((c, self.rows.saturating_add(row))),
            (mine, _) => mine,
        };
        for (key, theirs) in &other.customers {
            if let Some(mine) = self.customers.get(key) {
                mine.check_absorb(theirs)
                    .ok_or(SegmentationError::AmountOverflow { row: self.rows })?;
            }
        }
        let overflow = SegmentationError::AmountOverflow { row: self.rows };
        self.currency = currency;
        self.rows = self.rows.saturating_add(other.rows);
        self.excluded_before_start = self
            .excluded_before_start
            .saturating_add(other.excluded_before_start);
        self.excluded_after_as_of = self
            .excluded_after_as_of
            .saturating_add(other.excluded_after_as_of);
        self.customers.reserve(other.customers.len());
        for (key, theirs) in other.customers {
            match self.customers.get_mut(&key) {
                // Checked above: the sums fit.
                Some(mine) => mine.absorb(theirs).ok_or_else(|| overflow.clone())?,
                None => {
                    self.customers.insert(key, theirs);
                }
            }
        }
        Ok(())
    }

    /// The cohort table of the rows added so far (the accumulator stays usable).
    ///
    /// Cohorts come in period order; each has one cell per period from its own (period 0)
    /// to the last period any row in the range fell in, periods in which none of its
    /// customers bought included (with 0 active customers).
    ///
    /// # Errors
    ///
    /// [`SegmentationError::SumOverflow`] if a cohort's revenue in a period, or its
    /// cumulative revenue, does not fit a decimal.
    ///
    /// ```
    /// use crm_segmentation::CohortAccumulator;
    /// let acc = CohortAccumulator::<u64>::default();
    /// let table = acc.finish()?;
    /// assert!(table.cohorts.is_empty() && table.last_period.is_none());
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn finish(&self) -> Result<CohortTable, SegmentationError> {
        table::build(
            self.config(),
            table::Totals {
                currency: self.currency.map(|(c, _)| c),
                rows: self.rows,
                excluded_before_start: self.excluded_before_start,
                excluded_after_as_of: self.excluded_after_as_of,
            },
            self.customers.values(),
        )
    }

    /// Rebuilds an accumulator from its serialized state, checking that rows could have
    /// produced it.
    fn from_state(state: State<K>) -> Result<Self, String> {
        let Some(config) = &state.config else {
            let empty = state.rows == 0 && state.customers.is_empty() && state.currency.is_none();
            return if empty {
                Ok(Self::default())
            } else {
                Err("cohort state: rows without a configuration".into())
            };
        };
        config.validate().map_err(|e| e.to_string())?;
        let period = config.period;
        let mut customers = FxHashMap::default();
        customers.reserve(state.customers.len());
        let mut transactions = 0u64;
        for (n, entry) in state.customers.into_iter().enumerate() {
            let fail = |what: &str| format!("customer {n} of the cohort state: {what}");
            if entry.periods.is_empty() && !entry.acquired_before_start {
                return Err(fail("no periods"));
            }
            for cell in &entry.periods {
                if !period.is_valid(cell.period) {
                    return Err(fail("a period outside the calendar"));
                }
                if cell.transactions == 0 || cell.purchases > cell.transactions {
                    return Err(fail(
                        "a period with no transactions or more purchases than transactions",
                    ));
                }
                transactions = transactions
                    .checked_add(cell.transactions)
                    .ok_or_else(|| fail("too many transactions"))?;
            }
            if entry.periods.windows(2).any(|w| w[0].period >= w[1].period) {
                return Err(fail("periods not in increasing order"));
            }
            let periods = CustomerPeriods {
                acquired_before_start: entry.acquired_before_start,
                cells: entry.periods,
            };
            if customers.insert(entry.customer, periods).is_some() {
                return Err(fail("listed twice"));
            }
        }
        let counted = transactions
            .checked_add(state.excluded_before_start)
            .and_then(|n| n.checked_add(state.excluded_after_as_of));
        if counted != Some(state.rows) {
            return Err(
                "cohort state: rows do not add up to the transactions and the rows left out".into(),
            );
        }
        if state.currency.is_some_and(|(_, row)| row >= state.rows) {
            return Err("cohort state: the currency's first row is not one of its rows".into());
        }
        Ok(Self {
            config: state.config,
            customers,
            currency: state.currency,
            rows: state.rows,
            excluded_before_start: state.excluded_before_start,
            excluded_after_as_of: state.excluded_after_as_of,
        })
    }
}

/// The serialized form of an accumulator, borrowed for writing.
#[derive(Serialize)]
#[serde(rename = "CohortAccumulator")]
struct StateRef<'a, K> {
    config: Option<&'a CohortConfig>,
    currency: Option<(Currency, u64)>,
    rows: u64,
    excluded_before_start: u64,
    excluded_after_as_of: u64,
    customers: Vec<CustomerRef<'a, K>>,
}

#[derive(Serialize)]
struct CustomerRef<'a, K> {
    customer: &'a K,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    acquired_before_start: bool,
    periods: &'a [PeriodCell],
}

/// The serialized form of an accumulator, owned for reading.
#[derive(Deserialize)]
#[serde(rename = "CohortAccumulator")]
struct State<K> {
    #[serde(default)]
    config: Option<CohortConfig>,
    #[serde(default)]
    currency: Option<(Currency, u64)>,
    rows: u64,
    excluded_before_start: u64,
    excluded_after_as_of: u64,
    customers: Vec<CustomerEntry<K>>,
}

#[derive(Deserialize)]
struct CustomerEntry<K> {
    customer: K,
    #[serde(default)]
    acquired_before_start: bool,
    periods: Vec<PeriodCell>,
}

impl<K: Serialize + Ord> Serialize for CohortAccumulator<K> {
    /// Writes the configuration, the counts, and every customer (in key order) with its
    /// periods (consecutive numbers), net revenue, transactions and purchases.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{CohortAccumulator, CohortConfig};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let mut acc = CohortAccumulator::default();
    /// acc.add_all([(2_u32, t(3), Decimal::new(250, 2)), (1, t(1), Decimal::ONE)])?;
    /// let json = serde_json::to_string(&acc).unwrap();
    /// let back: CohortAccumulator<u32> = serde_json::from_str(&json).unwrap();
    /// assert_eq!(back.finish()?, acc.finish()?);
    /// assert_eq!(serde_json::to_string(&back).unwrap(), json);
    /// // A state that rows could not have produced is refused.
    /// let broken = json.replace(r#""rows":2"#, r#""rows":3"#);
    /// assert!(serde_json::from_str::<CohortAccumulator<u32>>(&broken).is_err());
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut customers: Vec<CustomerRef<'_, K>> = self
            .customers
            .iter()
            .map(|(customer, c)| CustomerRef {
                customer,
                acquired_before_start: c.acquired_before_start,
                periods: &c.cells,
            })
            .collect();
        customers.sort_unstable_by(|a, b| a.customer.cmp(b.customer));
        StateRef {
            config: self.config.as_ref(),
            currency: self.currency,
            rows: self.rows,
            excluded_before_start: self.excluded_before_start,
            excluded_after_as_of: self.excluded_after_as_of,
            customers,
        }
        .serialize(serializer)
    }
}

impl<'de, K> Deserialize<'de> for CohortAccumulator<K>
where
    K: Deserialize<'de> + Hash + Eq + Clone + Ord,
{
    /// Reads what [`Serialize`] wrote, refusing a state that no rows could produce (see
    /// the example there).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let state = State::<K>::deserialize(deserializer)?;
        Self::from_state(state).map_err(serde::de::Error::custom)
    }
}

/// The cohort table of a stream of transactions, in one pass (see [`CohortAccumulator`]
/// for pages, parts and merging).
///
/// # Errors
///
/// An invalid configuration, [`SegmentationError::MixedCurrency`] for an amount in another
/// currency than the earlier ones, [`AmountOverflow`](SegmentationError::AmountOverflow)
/// for a customer's revenue in a period beyond a decimal, and those of
/// [`CohortAccumulator::finish`].
///
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_segmentation::{CohortConfig, cohorts};
/// use rust_decimal::Decimal;
/// let table = cohorts(Vec::<(u64, DateTime<Utc>, Decimal)>::new(), &CohortConfig::default())?;
/// assert!(table.cohorts.is_empty());
/// assert_eq!(table.rows().count(), 0);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn cohorts<I>(purchases: I, config: &CohortConfig) -> Result<CohortTable, SegmentationError>
where
    I: IntoIterator,
    I::Item: Purchase,
{
    let mut acc = CohortAccumulator::new(config)?;
    acc.add_all(purchases)?;
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exact_add_keeps_every_digit_or_fails() {
        assert_eq!(exact_add(d("1.5"), d("2.25")), Some(d("3.75")));
        assert_eq!(exact_add(d("1.50"), d("2")).map(|s| s.scale()), Some(2));
        let big = Decimal::from_i128_with_scale(5 * 10_i128.pow(28), 0);
        // 5e28 + 0.1 needs a 30-digit mantissa: rust_decimal would round the tenth away.
        assert_eq!(exact_add(big, d("0.1")), None);
        assert!(big.checked_add(d("0.1")).is_some());
        assert_eq!(exact_add(Decimal::MAX, Decimal::ONE), None);
        assert_eq!(exact_add(Decimal::MAX, -Decimal::MAX), Some(Decimal::ZERO));
        // The larger scale, also when one side is zero.
        for (a, b, sum) in [
            ("0.00", "5", "5.00"),
            ("5", "0.00", "5.00"),
            ("0", "0.0", "0.0"),
            ("60.00", "-60.00", "0.00"),
        ] {
            assert_eq!(
                exact_add(d(a), d(b)).map(|s| s.to_string()),
                Some(sum.to_string())
            );
        }
    }

    #[test]
    fn a_failed_row_changes_nothing() {
        let t = chrono::DateTime::<Utc>::MIN_UTC;
        let mut acc = CohortAccumulator::default();
        acc.add((1_u8, t, Decimal::MAX)).unwrap();
        let before = serde_json::to_string(&acc).unwrap();
        let err = acc.add((1_u8, t, Decimal::ONE)).unwrap_err();
        assert_eq!(err, SegmentationError::AmountOverflow { row: 1 });
        assert_eq!(serde_json::to_string(&acc).unwrap(), before);
        // A new customer whose row fails is not kept either.
        let mut acc = CohortAccumulator::default();
        acc.add((1_u8, t, "1 EUR".parse::<crm_core::Money>().unwrap()))
            .unwrap();
        let before = serde_json::to_string(&acc).unwrap();
        assert!(
            acc.add((2_u8, t, "1 USD".parse::<crm_core::Money>().unwrap()))
                .is_err()
        );
        assert_eq!(serde_json::to_string(&acc).unwrap(), before);
    }

    #[test]
    fn a_failed_merge_changes_nothing() {
        let t = chrono::DateTime::<Utc>::MAX_UTC;
        let mut a = CohortAccumulator::default();
        a.add_all([(1_u8, t, Decimal::MAX), (2, t, Decimal::ONE)])
            .unwrap();
        let mut b = CohortAccumulator::default();
        b.add_all([(2_u8, t, Decimal::ONE), (1, t, Decimal::ONE)])
            .unwrap();
        let before = serde_json::to_string(&a).unwrap();
        assert_eq!(
            a.merge(b),
            Err(SegmentationError::AmountOverflow { row: 2 })
        );
        assert_eq!(serde_json::to_string(&a).unwrap(), before);
    }
}
