//! Customer summaries for buy-till-you-die models: from transactions to the sufficient
//! statistics `(x, t_x, T)` per customer, and their compression into weighted rows.
//!
//! The convention is that of the literature and of the Python `lifetimes` library:
//! purchases in the same period (a day by default) are merged into one; the frequency `x` is
//! the number of purchase periods after the first; the recency `t_x` is the time from the first
//! to the last purchase period; `T` is the time from the first purchase period to the end of
//! calibration; the monetary value is the mean value of the repeat purchase periods (the
//! first purchase is excluded; zero when `x = 0`). Holdout purchases (after the calibration
//! end, up to the holdout end) are counted the same way. Customers whose first purchase
//! falls after the calibration end are excluded and counted.
//!
//! The input is any [`Purchase`]: `(customer, time, amount)` tuples or stored
//! [`Transaction`](crm_core::Transaction)s, as for RFM in `crm-segmentation`; or, with
//! [`summarize_aggregates`], per-customer purchase summaries of the calibration, holdout and
//! later ranges ([`PurchaseSummary`], as a store aggregates them), which give the same
//! summaries without reading every transaction.

use std::collections::hash_map::Entry;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use crm_core::{Amount, Currency, CustomerId, Purchase, PurchaseSummary};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::fit::FitError;

/// A period length for merging purchases and for measuring times.
///
/// ```
/// use crm_churn::TimeUnit;
/// assert_eq!(TimeUnit::Week.days(), 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TimeUnit {
    /// Calendar days (UTC).
    #[default]
    Day,
    /// Weeks of seven days, starting on Monday (UTC).
    Week,
}

impl TimeUnit {
    /// Length in days.
    ///
    /// ```
    /// use crm_churn::TimeUnit;
    /// assert_eq!(TimeUnit::Day.days() * 7, TimeUnit::Week.days());
    /// ```
    pub fn days(self) -> i64 {
        match self {
            Self::Day => 1,
            Self::Week => 7,
        }
    }

    /// Index of the period containing `time` (days or Monday-based weeks since 1970-01-05).
    fn period(self, time: DateTime<Utc>) -> i64 {
        // 1970-01-05 was a Monday: 4 days after the epoch.
        let day = time.timestamp().div_euclid(86_400);
        match self {
            Self::Day => day,
            Self::Week => (day - 4).div_euclid(7),
        }
    }
}

/// Options of [`summarize`].
///
/// ```
/// use crm_churn::{SummaryOptions, TimeUnit};
/// let o = SummaryOptions::new("1997-09-30T23:59:59Z".parse().unwrap())
///     .with_holdout("1998-06-30T23:59:59Z".parse().unwrap())
///     .with_unit(TimeUnit::Week);
/// assert_eq!(o.period, TimeUnit::Day);
/// assert_eq!(o.holdout_end.map(|t| t.to_string()), Some("1998-06-30 23:59:59 UTC".into()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryOptions {
    /// Last instant of the calibration period (inclusive).
    pub calibration_end: DateTime<Utc>,
    /// Last instant of the holdout period (inclusive); `None` for no holdout.
    #[serde(alias = "observation_end")]
    pub holdout_end: Option<DateTime<Utc>>,
    /// Purchases in the same period are merged (default: day).
    pub period: TimeUnit,
    /// Unit in which `t_x`, `T` and the holdout length are expressed (default: day).
    pub unit: TimeUnit,
}

impl SummaryOptions {
    /// Calibration only, daily periods, times in days.
    ///
    /// ```
    /// use crm_churn::{SummaryOptions, TimeUnit};
    /// let o = SummaryOptions::new("2024-01-31T23:59:59Z".parse().unwrap());
    /// assert_eq!((o.holdout_end, o.period, o.unit), (None, TimeUnit::Day, TimeUnit::Day));
    /// ```
    pub fn new(calibration_end: DateTime<Utc>) -> Self {
        Self {
            calibration_end,
            holdout_end: None,
            period: TimeUnit::Day,
            unit: TimeUnit::Day,
        }
    }

    /// With a holdout period ending at `holdout_end` (inclusive): purchases after the
    /// calibration end up to it are counted in
    /// [`CustomerSummary::holdout_frequency`].
    ///
    /// ```
    /// use crm_churn::{SummaryOptions, summarize};
    /// use rust_decimal::Decimal;
    /// let t = |s: &str| s.parse().unwrap();
    /// let tx = vec![
    ///     (1, t("2024-01-01T10:00:00Z"), Decimal::ONE),
    ///     (1, t("2024-02-03T10:00:00Z"), Decimal::ONE), // holdout
    ///     (1, t("2024-02-05T10:00:00Z"), Decimal::ONE), // holdout
    ///     (1, t("2024-03-05T10:00:00Z"), Decimal::ONE), // after the holdout: ignored
    /// ];
    /// let options = SummaryOptions::new(t("2024-01-31T23:59:59Z")).with_holdout(t("2024-02-29T23:59:59Z"));
    /// let s = summarize(tx, &options)?;
    /// assert_eq!(s.customers[0].holdout_frequency, Some(2));
    /// assert_eq!((s.holdout_duration, s.ignored_transactions), (Some(29.0), 1));
    /// # Ok::<(), crm_churn::SummaryError>(())
    /// ```
    pub fn with_holdout(mut self, holdout_end: DateTime<Utc>) -> Self {
        self.holdout_end = Some(holdout_end);
        self
    }

    /// Times expressed in `unit` (the periods stay whole days unless
    /// [`with_period`](Self::with_period) says otherwise).
    ///
    /// ```
    /// use crm_churn::{SummaryOptions, TimeUnit, summarize};
    /// use rust_decimal::Decimal;
    /// let t = |s: &str| s.parse().unwrap();
    /// let tx = vec![(1, t("2024-01-01T10:00:00Z"), Decimal::ONE), (1, t("2024-01-15T10:00:00Z"), Decimal::ONE)];
    /// let options = SummaryOptions::new(t("2024-01-29T23:59:59Z")).with_unit(TimeUnit::Week);
    /// let h = summarize(tx, &options)?.customers[0].history;
    /// assert_eq!((h.x, h.t_x, h.t), (1, 2.0, 4.0));
    /// # Ok::<(), crm_churn::SummaryError>(())
    /// ```
    pub fn with_unit(mut self, unit: TimeUnit) -> Self {
        self.unit = unit;
        self
    }

    /// Purchases merged per `period`: with weeks, purchases in the same Monday-based week
    /// count once.
    ///
    /// ```
    /// use crm_churn::{SummaryOptions, TimeUnit, summarize};
    /// use rust_decimal::Decimal;
    /// let t = |s: &str| s.parse().unwrap();
    /// // Monday 1 and Friday 5 January 2024 are in one week, Monday 8 January in the next.
    /// let tx = ["2024-01-01", "2024-01-05", "2024-01-08"].map(|d| (1, t(&format!("{d}T10:00:00Z")), Decimal::ONE));
    /// let options = SummaryOptions::new(t("2024-01-14T23:59:59Z")).with_period(TimeUnit::Week);
    /// assert_eq!(summarize(tx, &options)?.customers[0].history.x, 1);
    /// # Ok::<(), crm_churn::SummaryError>(())
    /// ```
    pub fn with_period(mut self, period: TimeUnit) -> Self {
        self.period = period;
        self
    }
}

/// One customer's summary (see [`summarize`] for how each field is counted).
///
/// ```
/// use crm_churn::{CustomerHistory, CustomerSummary, SummaryOptions, summarize};
/// use rust_decimal::Decimal;
/// let t = |s: &str| s.parse().unwrap();
/// let tx = vec![("ann", t("2024-01-01T10:00:00Z"), Decimal::from(9)), ("ann", t("2024-01-11T10:00:00Z"), Decimal::from(20))];
/// let s = summarize(tx, &SummaryOptions::new(t("2024-01-31T23:59:59Z")))?;
/// assert_eq!(
///     s.customers[0],
///     CustomerSummary {
///         customer: "ann",
///         history: CustomerHistory { x: 1, t_x: 10.0, t: 30.0 },
///         monetary: Decimal::from(20), // the first purchase is left out
///         holdout_frequency: None,
///     }
/// );
/// # Ok::<(), crm_churn::SummaryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary<K> {
    /// Customer key.
    pub customer: K,
    /// The sufficient statistics `(x, t_x, T)` of the calibration period.
    pub history: CustomerHistory,
    /// Mean value of the repeat purchase periods in calibration (zero when `x = 0`).
    pub monetary: Decimal,
    /// Purchase periods in the holdout period (`None` without a holdout).
    pub holdout_frequency: Option<u32>,
}

/// The summaries of all customers first seen by the calibration end (see the example on
/// [`summarize`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summaries<K> {
    /// One row per customer, in order of first appearance in the input ([`summarize`]) or
    /// sorted by key ([`summarize_aggregates`]).
    pub customers: Vec<CustomerSummary<K>>,
    /// Customers whose first purchase is after the calibration end (excluded), including
    /// those whose every purchase is after the holdout end.
    pub excluded_after_calibration: usize,
    /// Transactions after the holdout end (or after calibration without holdout), ignored.
    pub ignored_transactions: usize,
    /// Length of the holdout period in [`SummaryOptions::unit`], when there is one.
    pub holdout_duration: Option<f64>,
}

/// Why summaries could not be built.
///
/// ```
/// use crm_churn::{SummaryError, SummaryOptions, summarize};
/// use crm_core::Money;
/// let t = |s: &str| s.parse().unwrap();
/// let options = SummaryOptions::new(t("2024-01-31T00:00:00Z")).with_holdout(t("2024-01-01T00:00:00Z"));
/// let none: Vec<(u8, chrono::DateTime<chrono::Utc>, Money)> = Vec::new();
/// assert!(matches!(summarize(none, &options), Err(SummaryError::HoldoutBeforeCalibration { .. })));
///
/// let tx = vec![(1_u8, t("2024-01-02T00:00:00Z"), "5 EUR".parse::<Money>()?), (2, t("2024-01-03T00:00:00Z"), "5 USD".parse()?)];
/// let err = summarize(tx, &SummaryOptions::new(t("2024-01-31T00:00:00Z"))).unwrap_err();
/// assert_eq!(err.to_string(), "row 1: amount in USD but earlier rows are in EUR");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum SummaryError {
    /// The holdout end is before the calibration end.
    #[error("holdout end {holdout_end} is before calibration end {calibration_end}")]
    HoldoutBeforeCalibration {
        /// Calibration end.
        calibration_end: DateTime<Utc>,
        /// Holdout end.
        holdout_end: DateTime<Utc>,
    },
    /// A row's amount is in another currency than the earlier rows' (the mean spend of a
    /// customer would add up different currencies).
    #[error(
        "row {row}: amount in {} but earlier rows are in {}",
        .found.code(),
        .expected.code()
    )]
    MixedCurrency {
        /// The row at fault, counted from 0 in input order ([`summarize_aggregates`]
        /// counts purchase summaries: those of calibration, then those of the holdout).
        row: usize,
        /// The currency of the earlier rows.
        expected: Currency,
        /// The currency of this row.
        found: Currency,
    },
    /// Purchases merged per week from purchase summaries, which count distinct days.
    #[error(
        "purchase summaries count distinct days, so purchases cannot be merged per {period:?} period; summarize the transactions instead, or merge per day"
    )]
    UnsupportedPeriod {
        /// The period asked for.
        period: TimeUnit,
    },
    /// A purchase summary that no set of transactions could produce (no transactions,
    /// more purchase days than transactions or than the dates it spans, a first purchase
    /// after the last, totals in another currency than the summary's, a repeat total on a
    /// single purchase day).
    #[error("{range} summary {index} (customer {customer}): {reason}")]
    InconsistentSummary {
        /// The input it came from.
        range: SummaryRange,
        /// Its position there, from 0.
        index: usize,
        /// Its customer.
        customer: CustomerId,
        /// What is wrong.
        reason: String,
    },
    /// A purchase summary with purchases outside its range: after the calibration end in
    /// calibration, outside the calibration end (exclusive) to the holdout end (inclusive)
    /// in the holdout (anything, without a holdout), not after the last end for the later
    /// purchases.
    #[error(
        "{range} summary {index} (customer {customer}): purchases from {first} to {last} fall outside the {range} range"
    )]
    SummaryOutsideRange {
        /// The input it came from.
        range: SummaryRange,
        /// Its position there, from 0.
        index: usize,
        /// Its customer.
        customer: CustomerId,
        /// Its first purchase.
        first: DateTime<Utc>,
        /// Its last purchase.
        last: DateTime<Utc>,
    },
    /// Two purchase summaries of one customer in one range whose purchase dates overlap: a
    /// day in both would count twice.
    #[error(
        "{range} summaries {first} and {second} (customer {customer}): their purchase dates overlap, so their purchase days cannot be added"
    )]
    OverlappingSummaries {
        /// The input they came from.
        range: SummaryRange,
        /// Their customer.
        customer: CustomerId,
        /// The position of the earlier one, from 0.
        first: usize,
        /// The position of the later one, from 0.
        second: usize,
    },
    /// A total or count of purchase summaries beyond its type.
    #[error("{range} summary {index} (customer {customer}): {what} overflows")]
    SummaryOverflow {
        /// The input it came from.
        range: SummaryRange,
        /// The position there of the summary at fault, from 0.
        index: usize,
        /// Its customer.
        customer: CustomerId,
        /// What overflows.
        what: String,
    },
}

/// Builds the customer summaries from purchases in any order: `(customer, time, amount)`
/// tuples, stored [`Transaction`](crm_core::Transaction)s or any other [`Purchase`] (the
/// input of `crm_segmentation::rfm` too). Amounts are bare decimals or [`Money`](crm_core::Money)
/// in one currency.
///
/// # Errors
/// [`SummaryError::HoldoutBeforeCalibration`] for an inconsistent holdout;
/// [`SummaryError::MixedCurrency`] for a row (not after the holdout end) whose currency
/// differs from the earlier rows'.
///
/// ```
/// use crm_churn::{summarize, SummaryOptions};
/// use rust_decimal_macros::dec;
/// let t = |s: &str| s.parse().unwrap();
/// let tx = vec![
///     ("ann", t("2024-01-01T09:00:00Z"), dec!(10)),
///     ("ann", t("2024-01-01T17:00:00Z"), dec!(5)),  // same day: merged
///     ("ann", t("2024-01-11T10:00:00Z"), dec!(20)),
///     ("ann", t("2024-01-21T10:00:00Z"), dec!(30)),
///     ("bob", t("2024-01-31T10:00:00Z"), dec!(7)),
///     ("cy", t("2024-02-05T10:00:00Z"), dec!(7)),   // after calibration: excluded
/// ];
/// let s = summarize(tx, &SummaryOptions::new(t("2024-01-31T23:59:59Z"))).unwrap();
/// let ann = &s.customers[0];
/// assert_eq!((ann.history.x, ann.history.t_x, ann.history.t), (2, 20.0, 30.0));
/// assert_eq!(ann.monetary, dec!(25));
/// assert_eq!(s.customers[1].history.t, 0.0);
/// assert_eq!(s.excluded_after_calibration, 1);
///
/// // The same purchases as stored transactions give the same summaries.
/// use crm_core::{CustomerId, Money, Transaction};
/// let stored: Vec<Transaction> = [(1, "2024-01-01T09:00:00Z", "10"), (1, "2024-01-11T10:00:00Z", "20")]
///     .into_iter()
///     .enumerate()
///     .map(|(n, (c, at, eur))| {
///         let amount: Money = format!("{eur} EUR").parse().unwrap();
///         Transaction::new((n as i64).into(), CustomerId::from(c), t(at), amount)
///     })
///     .collect();
/// let from_stored = summarize(&stored, &SummaryOptions::new(t("2024-01-31T23:59:59Z")))?;
/// assert_eq!(from_stored.customers[0].customer, CustomerId::from(1));
/// assert_eq!(from_stored.customers[0].monetary, dec!(20));
/// # Ok::<(), crm_churn::SummaryError>(())
/// ```
pub fn summarize<K, I>(purchases: I, options: &SummaryOptions) -> Result<Summaries<K>, SummaryError>
where
    K: Eq + Hash + Clone,
    I: IntoIterator,
    I::Item: Purchase<Customer = K>,
{
    if let Some(holdout_end) = options.holdout_end
        && holdout_end < options.calibration_end
    {
        return Err(SummaryError::HoldoutBeforeCalibration {
            calibration_end: options.calibration_end,
            holdout_end,
        });
    }
    let end_instant = options.holdout_end.unwrap_or(options.calibration_end);
    let mut index: FxHashMap<K, usize> = FxHashMap::default();
    let mut keys: Vec<K> = Vec::new();
    let mut calib: Vec<Vec<(i64, Decimal)>> = Vec::new();
    let mut hold: Vec<Vec<i64>> = Vec::new();
    let mut ignored = 0usize;
    let mut currency: Option<Currency> = None;
    for (row, purchase) in purchases.into_iter().enumerate() {
        // Every customer is registered, also one seen only after the end, so that a
        // customer whose first purchase is after the calibration end is counted as excluded.
        let key = purchase.customer();
        let i = match index.get(key) {
            Some(&i) => i,
            None => {
                index.insert(key.clone(), keys.len());
                keys.push(key.clone());
                calib.push(Vec::new());
                hold.push(Vec::new());
                keys.len() - 1
            }
        };
        let time = purchase.at();
        if time > end_instant {
            ignored += 1;
            continue;
        }
        let amount = purchase.amount();
        if let Some(found) = amount.currency() {
            match currency {
                Some(expected) if expected != found => {
                    return Err(SummaryError::MixedCurrency {
                        row,
                        expected,
                        found,
                    });
                }
                _ => currency = Some(found),
            }
        }
        let p = options.period.period(time);
        if time <= options.calibration_end {
            calib[i].push((p, amount.value()));
        } else {
            hold[i].push(p);
        }
    }
    let cal_end = options.period.period(options.calibration_end);
    let to_unit = options.period.days() as f64 / options.unit.days() as f64;
    let holdout_duration = options
        .holdout_end
        .map(|o| (options.period.period(o) - cal_end) as f64 * to_unit);
    let mut customers = Vec::with_capacity(keys.len());
    let mut excluded = 0usize;
    for ((key, mut c), mut h) in keys.into_iter().zip(calib).zip(hold) {
        if c.is_empty() {
            excluded += 1;
            continue;
        }
        c.sort_unstable_by_key(|(p, _)| *p);
        // Merge same-period purchases.
        let mut merged: Vec<(i64, Decimal)> = Vec::with_capacity(c.len());
        for (p, v) in c {
            match merged.last_mut() {
                Some((lp, lv)) if *lp == p => *lv += v,
                _ => merged.push((p, v)),
            }
        }
        let first = merged[0].0;
        let last = merged[merged.len() - 1].0;
        let x = (merged.len() - 1) as u32;
        let monetary = if x == 0 {
            Decimal::ZERO
        } else {
            merged[1..].iter().map(|(_, v)| *v).sum::<Decimal>() / Decimal::from(x)
        };
        let holdout_frequency = options.holdout_end.map(|_| {
            h.sort_unstable();
            h.dedup();
            h.len() as u32
        });
        customers.push(CustomerSummary {
            customer: key,
            history: CustomerHistory {
                x,
                t_x: (last - first) as f64 * to_unit,
                t: (cal_end - first) as f64 * to_unit,
            },
            monetary,
            holdout_frequency,
        });
    }
    Ok(Summaries {
        customers,
        excluded_after_calibration: excluded,
        ignored_transactions: ignored,
        holdout_duration,
    })
}

/// The three ranges of purchase summaries that [`summarize_aggregates`] reads, each one row
/// per customer and currency ([`PurchaseSummary`], as a store computes them with one
/// `GROUP BY`).
///
/// ```
/// use crm_churn::SummaryInputs;
/// let none = SummaryInputs::default();
/// assert!(none.calibration.is_empty() && none.holdout.is_empty() && none.later.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SummaryInputs<'a> {
    /// Purchases up to and including [`SummaryOptions::calibration_end`] (a store's
    /// half-open range ending one nanosecond after it).
    pub calibration: &'a [PurchaseSummary],
    /// Purchases after the calibration end up to and including
    /// [`SummaryOptions::holdout_end`]; empty without a holdout.
    pub holdout: &'a [PurchaseSummary],
    /// Purchases after the holdout end (after the calibration end without a holdout): only
    /// counted, as [`Summaries::ignored_transactions`] and, for customers not seen in
    /// calibration, in [`Summaries::excluded_after_calibration`]. Leave it empty when those
    /// counts are not needed.
    pub later: &'a [PurchaseSummary],
}

/// Which of the [`SummaryInputs`] a purchase summary came from.
///
/// ```
/// use crm_churn::SummaryRange;
/// assert_eq!(SummaryRange::Holdout.to_string(), "holdout");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryRange {
    /// [`SummaryInputs::calibration`].
    Calibration,
    /// [`SummaryInputs::holdout`].
    Holdout,
    /// [`SummaryInputs::later`].
    Later,
}

impl std::fmt::Display for SummaryRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Calibration => "calibration",
            Self::Holdout => "holdout",
            Self::Later => "later",
        })
    }
}

/// The customer summaries of [`summarize`] computed from per-customer purchase summaries
/// instead of transactions: for the transactions the summaries describe, the result equals
/// `summarize` on them with the same options, except that the customers come sorted by key
/// (not in order of first appearance, which summaries do not tell).
///
/// Each customer's calibration summary gives `x` = purchase days − 1, `t_x` and `T` from
/// the UTC dates of its first and last purchase and of the calibration end (in
/// [`SummaryOptions::unit`]), and the monetary value `repeat_total / x` (zero when `x = 0`);
/// its holdout summary gives [`CustomerSummary::holdout_frequency`] (its purchase days).
/// Customers seen in the holdout or later but not in calibration are counted as excluded,
/// and the transactions of the later summaries as ignored.
///
/// Purchases merge per day only: a summary counts distinct days, so
/// [`SummaryOptions::period`] must be [`TimeUnit::Day`] (times may be in any unit). A
/// customer may have several summaries in one range (pieces of disjoint time ranges in one
/// currency) when their purchase dates do not overlap: they add up exactly.
///
/// # Errors
///
/// [`SummaryError::HoldoutBeforeCalibration`], as `summarize`;
/// [`SummaryError::UnsupportedPeriod`] for weekly periods;
/// [`SummaryError::MixedCurrency`] for a calibration or holdout summary in another currency
/// than the first one, its `row` counting the calibration summaries from 0 and then the
/// holdout summaries (not transactions, as `summarize` does); and for a summary no
/// transactions could produce ([`SummaryError::InconsistentSummary`]), one with purchases
/// outside its range ([`SummaryError::SummaryOutsideRange`]), summaries of one customer in
/// one range whose dates overlap ([`SummaryError::OverlappingSummaries`]), and totals or
/// counts beyond their types ([`SummaryError::SummaryOverflow`]).
///
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_churn::{SummaryInputs, SummaryOptions, TimeUnit, summarize, summarize_aggregates};
/// use crm_core::{Currency, CustomerId, Money, PurchaseSummary};
///
/// let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
/// let eur = |s: &str| s.parse::<Money>().unwrap();
/// let transactions: Vec<(CustomerId, DateTime<Utc>, Money)> = vec![
///     (1.into(), t("2024-01-01T09:00:00Z"), eur("10 EUR")),
///     (1.into(), t("2024-01-01T17:00:00Z"), eur("5 EUR")),
///     (1.into(), t("2024-01-11T10:00:00Z"), eur("20 EUR")),
///     (1.into(), t("2024-02-03T10:00:00Z"), eur("8 EUR")), // holdout
///     (2.into(), t("2024-02-05T10:00:00Z"), eur("7 EUR")), // holdout: excluded
///     (2.into(), t("2024-03-05T10:00:00Z"), eur("7 EUR")), // later: ignored
/// ];
/// let summary = |customer: i64, first, last, transactions, purchase_days, net, repeat| PurchaseSummary {
///     customer: customer.into(),
///     currency: Currency::EUR,
///     first_purchase: t(first),
///     last_purchase: t(last),
///     transactions,
///     purchase_days,
///     net_total: eur(net),
///     repeat_total: eur(repeat),
/// };
/// let calibration = [summary(1, "2024-01-01T09:00:00Z", "2024-01-11T10:00:00Z", 3, 2, "35 EUR", "20 EUR")];
/// let holdout = [
///     summary(1, "2024-02-03T10:00:00Z", "2024-02-03T10:00:00Z", 1, 1, "8 EUR", "0 EUR"),
///     summary(2, "2024-02-05T10:00:00Z", "2024-02-05T10:00:00Z", 1, 1, "7 EUR", "0 EUR"),
/// ];
/// let later = [summary(2, "2024-03-05T10:00:00Z", "2024-03-05T10:00:00Z", 1, 1, "7 EUR", "0 EUR")];
/// let options = SummaryOptions::new(t("2024-01-31T23:59:59Z"))
///     .with_holdout(t("2024-02-29T23:59:59Z"))
///     .with_unit(TimeUnit::Week);
/// let inputs = SummaryInputs { calibration: &calibration, holdout: &holdout, later: &later };
/// let s = summarize_aggregates(&inputs, &options)?;
/// assert_eq!(s, summarize(transactions, &options)?);
/// assert_eq!((s.customers[0].history.x, s.customers[0].holdout_frequency), (1, Some(1)));
/// assert_eq!((s.excluded_after_calibration, s.ignored_transactions), (1, 1));
/// # Ok::<(), crm_churn::SummaryError>(())
/// ```
pub fn summarize_aggregates(
    inputs: &SummaryInputs<'_>,
    options: &SummaryOptions,
) -> Result<Summaries<CustomerId>, SummaryError> {
    if let Some(holdout_end) = options.holdout_end
        && holdout_end < options.calibration_end
    {
        return Err(SummaryError::HoldoutBeforeCalibration {
            calibration_end: options.calibration_end,
            holdout_end,
        });
    }
    if options.period != TimeUnit::Day {
        return Err(SummaryError::UnsupportedPeriod {
            period: options.period,
        });
    }
    let end_instant = options.holdout_end.unwrap_or(options.calibration_end);
    let mut currency: Option<Currency> = None;
    let mut calibration: FxHashMap<CustomerId, Aggregate> = FxHashMap::default();
    let mut holdout: FxHashMap<CustomerId, Aggregate> = FxHashMap::default();
    let mut elsewhere: FxHashSet<CustomerId> = FxHashSet::default();
    let ranges = [
        (SummaryRange::Calibration, inputs.calibration, 0),
        (
            SummaryRange::Holdout,
            inputs.holdout,
            inputs.calibration.len(),
        ),
    ];
    for (range, summaries, base) in ranges {
        let into = match range {
            SummaryRange::Calibration => &mut calibration,
            _ => &mut holdout,
        };
        for (index, s) in summaries.iter().enumerate() {
            let piece = Aggregate::of(range, index, s)?;
            let inside = match range {
                SummaryRange::Calibration => s.last_purchase <= options.calibration_end,
                _ => options.holdout_end.is_some_and(|h| {
                    s.first_purchase > options.calibration_end && s.last_purchase <= h
                }),
            };
            if !inside {
                return Err(outside(range, index, s));
            }
            match currency {
                Some(expected) if expected != s.currency => {
                    return Err(SummaryError::MixedCurrency {
                        row: base + index,
                        expected,
                        found: s.currency,
                    });
                }
                _ => currency = Some(s.currency),
            }
            match into.entry(s.customer.clone()) {
                Entry::Occupied(mut e) => e.get_mut().absorb(piece, range, &s.customer)?,
                Entry::Vacant(e) => {
                    e.insert(piece);
                }
            }
            if range == SummaryRange::Holdout {
                elsewhere.insert(s.customer.clone());
            }
        }
    }
    let mut ignored = 0usize;
    for (index, s) in inputs.later.iter().enumerate() {
        Aggregate::of(SummaryRange::Later, index, s)?;
        if s.first_purchase <= end_instant {
            return Err(outside(SummaryRange::Later, index, s));
        }
        ignored = usize::try_from(s.transactions)
            .ok()
            .and_then(|n| ignored.checked_add(n))
            .ok_or_else(|| SummaryError::SummaryOverflow {
                range: SummaryRange::Later,
                index,
                customer: s.customer.clone(),
                what: "the number of ignored transactions".to_string(),
            })?;
        elsewhere.insert(s.customer.clone());
    }
    let excluded = elsewhere
        .iter()
        .filter(|c| !calibration.contains_key(*c))
        .count();

    let day = |t| TimeUnit::Day.period(t);
    let cal_end = day(options.calibration_end);
    let to_unit = options.period.days() as f64 / options.unit.days() as f64;
    let holdout_duration = options
        .holdout_end
        .map(|o| (day(o) - cal_end) as f64 * to_unit);
    let mut rows: Vec<(CustomerId, Aggregate)> = calibration.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut customers = Vec::with_capacity(rows.len());
    for (key, c) in rows {
        let overflow = |what: &str| SummaryError::SummaryOverflow {
            range: SummaryRange::Calibration,
            index: c.pieces[0].index,
            customer: key.clone(),
            what: what.to_string(),
        };
        let x = u32::try_from(c.days - 1).map_err(|_| overflow("the number of purchase days"))?;
        let monetary = if x == 0 {
            Decimal::ZERO
        } else {
            c.repeat
                .checked_div(Decimal::from(x))
                .ok_or_else(|| overflow("the mean repeat purchase"))?
        };
        let holdout_frequency = match options.holdout_end {
            None => None,
            Some(_) => Some(match holdout.get(&key) {
                None => 0,
                Some(h) => u32::try_from(h.days)
                    .map_err(|_| overflow("the number of holdout purchase days"))?,
            }),
        };
        customers.push(CustomerSummary {
            history: CustomerHistory {
                x,
                t_x: (c.last_day - c.first_day) as f64 * to_unit,
                t: (cal_end - c.first_day) as f64 * to_unit,
            },
            customer: key,
            monetary,
            holdout_frequency,
        });
    }
    Ok(Summaries {
        customers,
        excluded_after_calibration: excluded,
        ignored_transactions: ignored,
        holdout_duration,
    })
}

/// One customer's purchase summaries of one range, added: the span of its purchase days,
/// their number, the net and repeat totals, and the summaries it was made of.
#[derive(Debug, Clone)]
struct Aggregate {
    first_day: i64,
    last_day: i64,
    days: u64,
    net: Decimal,
    repeat: Decimal,
    pieces: Vec<Piece>,
}

/// The position and the purchase days of one summary.
#[derive(Debug, Clone, Copy)]
struct Piece {
    index: usize,
    first_day: i64,
    last_day: i64,
}

impl Aggregate {
    /// Summary `index` of `range` on its own, after checking that transactions could
    /// produce it.
    fn of(range: SummaryRange, index: usize, s: &PurchaseSummary) -> Result<Self, SummaryError> {
        let first_day = TimeUnit::Day.period(s.first_purchase);
        let last_day = TimeUnit::Day.period(s.last_purchase);
        let fail = |reason: &str| {
            Err(SummaryError::InconsistentSummary {
                range,
                index,
                customer: s.customer.clone(),
                reason: reason.to_string(),
            })
        };
        if s.transactions == 0 {
            return fail("no transactions");
        }
        if s.purchase_days == 0 {
            return fail("no purchase days");
        }
        if s.purchase_days > s.transactions {
            return fail("more purchase days than transactions");
        }
        if s.first_purchase > s.last_purchase {
            return fail("the first purchase is after the last");
        }
        if s.transactions == 1 && s.first_purchase != s.last_purchase {
            return fail("one transaction, but its first and last purchase times differ");
        }
        let span = last_day - first_day + 1;
        if i64::try_from(s.purchase_days).unwrap_or(i64::MAX) > span {
            return fail("more purchase days than dates from the first purchase to the last");
        }
        if s.purchase_days == 1 && span > 1 {
            return fail(
                "one purchase day, but the first and last purchase are on different dates",
            );
        }
        if s.net_total.currency() != s.currency || s.repeat_total.currency() != s.currency {
            return fail("a total is in another currency than the summary");
        }
        if s.purchase_days == 1 && !s.repeat_total.is_zero() {
            return fail("one purchase day, but a repeat total other than zero");
        }
        Ok(Self {
            first_day,
            last_day,
            days: s.purchase_days,
            net: s.net_total.amount(),
            repeat: s.repeat_total.amount(),
            pieces: vec![Piece {
                index,
                first_day,
                last_day,
            }],
        })
    }

    /// Adds another summary of the same customer and range; its dates must not overlap
    /// those of the summaries already added.
    fn absorb(
        &mut self,
        other: Aggregate,
        range: SummaryRange,
        customer: &CustomerId,
    ) -> Result<(), SummaryError> {
        for new in &other.pieces {
            if let Some(old) = self
                .pieces
                .iter()
                .find(|p| p.first_day <= new.last_day && new.first_day <= p.last_day)
            {
                return Err(SummaryError::OverlappingSummaries {
                    range,
                    customer: customer.clone(),
                    first: old.index,
                    second: new.index,
                });
            }
        }
        let overflow = |what: &str| SummaryError::SummaryOverflow {
            range,
            index: other.pieces[0].index,
            customer: customer.clone(),
            what: what.to_string(),
        };
        // The repeat purchases are all but the first day's: that day is the earlier
        // aggregate's, and every purchase of the later one is a repeat purchase.
        let repeat = if other.first_day < self.first_day {
            other.repeat.checked_add(self.net)
        } else {
            self.repeat.checked_add(other.net)
        }
        .ok_or_else(|| overflow("the repeat total"))?;
        self.net = self
            .net
            .checked_add(other.net)
            .ok_or_else(|| overflow("the net total"))?;
        self.repeat = repeat;
        self.days = self
            .days
            .checked_add(other.days)
            .ok_or_else(|| overflow("the number of purchase days"))?;
        self.first_day = self.first_day.min(other.first_day);
        self.last_day = self.last_day.max(other.last_day);
        self.pieces.extend(other.pieces);
        Ok(())
    }
}

fn outside(range: SummaryRange, index: usize, s: &PurchaseSummary) -> SummaryError {
    SummaryError::SummaryOutsideRange {
        range,
        index,
        customer: s.customer.clone(),
        first: s.first_purchase,
        last: s.last_purchase,
    }
}

/// Why a customer history cannot be used by a model.
///
/// ```
/// use crm_churn::{CustomerHistory, HistoryError, WeightedHistories, WeightedHistory};
/// assert_eq!(
///     CustomerHistory::new(0, 2.0, 10.0),
///     Err(HistoryError::FrequencyRecencyMismatch { row: 0, x: 0, t_x: 2.0 })
/// );
/// let rows = [WeightedHistory { history: CustomerHistory::new(1, 2.0, 10.0)?, weight: -1.0 }];
/// assert_eq!(WeightedHistories::from_weighted(rows), Err(HistoryError::BadWeight { row: 0, weight: -1.0 }));
/// assert_eq!(WeightedHistories::from_histories([]), Err(HistoryError::Empty));
/// # Ok::<(), HistoryError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum HistoryError {
    /// A time is negative or not finite.
    #[error("row {row}: {field} = {value} is not a finite non-negative time")]
    BadTime {
        /// Row index in the input.
        row: usize,
        /// `t_x` or `T`.
        field: String,
        /// The value.
        value: f64,
    },
    /// The recency exceeds the customer's age.
    #[error("row {row}: recency t_x = {t_x} exceeds the observation length T = {t}")]
    RecencyAfterEnd {
        /// Row index.
        row: usize,
        /// Recency.
        t_x: f64,
        /// Age.
        t: f64,
    },
    /// Repeat purchases with zero recency, or no repeat purchase with positive recency.
    #[error("row {row}: frequency x = {x} is inconsistent with recency t_x = {t_x}")]
    FrequencyRecencyMismatch {
        /// Row index.
        row: usize,
        /// Frequency.
        x: u32,
        /// Recency.
        t_x: f64,
    },
    /// A weight is not finite and positive.
    #[error("row {row}: weight {weight} is not finite and positive")]
    BadWeight {
        /// Row index.
        row: usize,
        /// Weight.
        weight: f64,
    },
    /// No rows.
    #[error("no customers to fit")]
    Empty,
    /// Nobody bought again, so the purchase process cannot be identified.
    #[error("no customer has a repeat purchase (all x = 0): the model cannot be identified")]
    NoRepeatBuyers,
    /// The frequency exceeds [`MAX_FREQUENCY`]: more repeat purchase periods than any
    /// real history holds (a corrupt count, or a saturated conversion such as `u32::MAX`).
    #[error("row {row}: frequency x = {x} exceeds the largest usable frequency {max}")]
    FrequencyTooLarge {
        /// Row index.
        row: usize,
        /// Frequency.
        x: u32,
        /// The bound, [`MAX_FREQUENCY`].
        max: u32,
    },
}

/// The largest frequency `x` a [`CustomerHistory`] may carry: one million repeat purchase
/// periods, more daily periods than 2,700 years hold. Larger counts come from corrupt data or
/// saturated conversions, and the models' special functions (the hypergeometric series of
/// Pareto/NBD in particular) lose their accuracy long before; [`CustomerHistory::validate`]
/// refuses them with [`HistoryError::FrequencyTooLarge`].
///
/// ```
/// use crm_churn::{CustomerHistory, HistoryError, MAX_FREQUENCY};
/// assert!(CustomerHistory::new(MAX_FREQUENCY, 10.0, 10.0).is_ok());
/// assert!(matches!(
///     CustomerHistory::new(u32::MAX, 10.0, 10.0),
///     Err(HistoryError::FrequencyTooLarge { row: 0, x: u32::MAX, .. })
/// ));
/// ```
pub const MAX_FREQUENCY: u32 = 1_000_000;

/// The sufficient statistics of one customer: `x` repeat purchases, the last at `t_x`, observed
/// for `T` (= `t`) time units since the first purchase.
///
/// ```
/// use crm_churn::CustomerHistory;
/// assert!(CustomerHistory::new(2, 30.43, 38.86).is_ok());
/// assert!(CustomerHistory::new(2, 0.0, 38.86).is_err()); // x > 0 needs t_x > 0
/// assert!(CustomerHistory::new(1, 40.0, 38.86).is_err()); // t_x > T
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerHistory {
    /// Number of repeat purchases (purchase periods after the first).
    pub x: u32,
    /// Time of the last purchase since the first.
    pub t_x: f64,
    /// Time from the first purchase to the end of calibration.
    pub t: f64,
}

impl CustomerHistory {
    /// A validated history (row 0 in errors).
    ///
    /// # Errors
    /// See [`CustomerHistory::validate`].
    pub fn new(x: u32, t_x: f64, t: f64) -> Result<Self, HistoryError> {
        let h = Self { x, t_x, t };
        h.validate(0)?;
        Ok(h)
    }

    /// Checks finite non-negative times, `t_x ≤ T`, `x > 0 ⇔ t_x > 0` and
    /// `x ≤` [`MAX_FREQUENCY`], naming `row`.
    ///
    /// # Errors
    /// [`HistoryError::BadTime`], [`HistoryError::RecencyAfterEnd`],
    /// [`HistoryError::FrequencyRecencyMismatch`], [`HistoryError::FrequencyTooLarge`].
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, HistoryError};
    /// let h = CustomerHistory { x: 0, t_x: -1.0, t: 3.0 };
    /// assert!(matches!(h.validate(7), Err(HistoryError::BadTime { row: 7, .. })));
    /// ```
    pub fn validate(&self, row: usize) -> Result<(), HistoryError> {
        if self.x > MAX_FREQUENCY {
            return Err(HistoryError::FrequencyTooLarge {
                row,
                x: self.x,
                max: MAX_FREQUENCY,
            });
        }
        for (field, value) in [("t_x", self.t_x), ("T", self.t)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(HistoryError::BadTime {
                    row,
                    field: field.to_string(),
                    value,
                });
            }
        }
        if self.t_x > self.t {
            return Err(HistoryError::RecencyAfterEnd {
                row,
                t_x: self.t_x,
                t: self.t,
            });
        }
        if (self.x > 0) != (self.t_x > 0.0) {
            return Err(HistoryError::FrequencyRecencyMismatch {
                row,
                x: self.x,
                t_x: self.t_x,
            });
        }
        Ok(())
    }
}

/// A distinct history with the number of customers who share it.
///
/// ```
/// use crm_churn::{CustomerHistory, WeightedHistories, WeightedHistory};
/// // A published summary table: 1,411 customers with x = 0 at T = 38.86 weeks, 439 with x = 1 ...
/// let rows = [
///     WeightedHistory { history: CustomerHistory::new(0, 0.0, 38.86)?, weight: 1411.0 },
///     WeightedHistory { history: CustomerHistory::new(1, 20.0, 38.86)?, weight: 439.0 },
/// ];
/// let w = WeightedHistories::from_weighted(rows)?;
/// assert_eq!((w.total_weight(), w.repeat_weight()), (1850.0, 439.0));
/// # Ok::<(), crm_churn::HistoryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightedHistory {
    /// The history.
    pub history: CustomerHistory,
    /// How many customers (or total weight) have it.
    pub weight: f64,
}

/// Validated histories compressed into distinct weighted rows, ready for fitting.
///
/// ```
/// use crm_churn::{CustomerHistory, WeightedHistories};
/// let h = [
///     CustomerHistory::new(0, 0.0, 10.0).unwrap(),
///     CustomerHistory::new(2, 4.0, 10.0).unwrap(),
///     CustomerHistory::new(0, 0.0, 10.0).unwrap(),
/// ];
/// let w = WeightedHistories::from_histories(h).unwrap();
/// assert_eq!(w.rows().len(), 2);
/// assert_eq!(w.total_weight(), 3.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightedHistories {
    rows: Vec<WeightedHistory>,
    total_weight: f64,
    repeat_weight: f64,
    max_x: u32,
}

/// Checks every weighted row (`check` gets its position in the input) and adds up the
/// weights of rows with equal keys, keeping the first of each in input order. Distinct rows
/// are usually far fewer than customers: the index starts at most `start` entries large,
/// which saves the first rounds of rehashing without committing memory for the worst case.
pub(crate) fn merge_weighted<R, K: Hash + Eq, E>(
    rows: impl IntoIterator<Item = R>,
    start: usize,
    key: impl Fn(&R) -> K,
    check: impl Fn(&R, usize) -> Result<(), E>,
    weight: impl Fn(&mut R) -> &mut f64,
) -> Result<Vec<R>, E> {
    let rows = rows.into_iter();
    let expect = rows.size_hint().0.min(start);
    let mut index: FxHashMap<K, usize> =
        FxHashMap::with_capacity_and_hasher(expect, Default::default());
    let mut out: Vec<R> = Vec::with_capacity(expect);
    for (row, mut r) in rows.enumerate() {
        check(&r, row)?;
        match index.entry(key(&r)) {
            Entry::Occupied(i) => {
                let w = *weight(&mut r);
                *weight(&mut out[*i.get()]) += w;
            }
            Entry::Vacant(slot) => {
                slot.insert(out.len());
                out.push(r);
            }
        }
    }
    Ok(out)
}

impl WeightedHistories {
    /// Validates and compresses identical `(x, t_x, T)` rows (exact equality).
    ///
    /// # Errors
    /// The first invalid row's [`HistoryError`] (indexed in input order), or
    /// [`HistoryError::Empty`].
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, HistoryError, WeightedHistories};
    /// let bad = CustomerHistory { x: 1, t_x: 12.0, t: 10.0 }; // built field by field
    /// let rows = [CustomerHistory::new(0, 0.0, 10.0)?, bad];
    /// assert!(matches!(WeightedHistories::from_histories(rows), Err(HistoryError::RecencyAfterEnd { row: 1, .. })));
    /// # Ok::<(), HistoryError>(())
    /// ```
    pub fn from_histories<I: IntoIterator<Item = CustomerHistory>>(
        histories: I,
    ) -> Result<Self, HistoryError> {
        Self::from_weighted(histories.into_iter().map(|history| WeightedHistory {
            history,
            weight: 1.0,
        }))
    }

    /// Validates and compresses already weighted rows (weights of equal rows add up).
    ///
    /// # Errors
    /// As [`from_histories`](Self::from_histories), plus [`HistoryError::BadWeight`].
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, WeightedHistories, WeightedHistory};
    /// let h = CustomerHistory::new(2, 5.0, 10.0)?;
    /// let w = WeightedHistories::from_weighted([
    ///     WeightedHistory { history: h, weight: 2.5 },
    ///     WeightedHistory { history: h, weight: 0.5 },
    /// ])?;
    /// assert_eq!(w.rows(), [WeightedHistory { history: h, weight: 3.0 }]);
    /// # Ok::<(), crm_churn::HistoryError>(())
    /// ```
    pub fn from_weighted<I: IntoIterator<Item = WeightedHistory>>(
        rows: I,
    ) -> Result<Self, HistoryError> {
        let rows = rows.into_iter();
        // Distinct rows are usually far fewer than customers; a modest start saves the first
        // rounds of rehashing without committing memory for the worst case.
        let mut out = merge_weighted(
            rows,
            1 << 12,
            // +0.0 normalises a −0.0 recency so equal values share a key.
            |w: &WeightedHistory| (w.history.x, time_key(w.history.t_x), time_key(w.history.t)),
            |w, row| {
                w.history.validate(row)?;
                if w.weight.is_finite() && w.weight > 0.0 {
                    Ok(())
                } else {
                    Err(HistoryError::BadWeight {
                        row,
                        weight: w.weight,
                    })
                }
            },
            |w| &mut w.weight,
        )?;
        if out.is_empty() {
            return Err(HistoryError::Empty);
        }
        // Sorting by x groups the per-x terms of the likelihoods in cache-friendly order.
        // Validated times are finite and non-negative, so (with −0.0 folded into +0.0) their
        // bits order as their values; the keys are distinct, so the order is total.
        out.sort_unstable_by_key(|r| {
            let h = &r.history;
            (h.x, (h.t + 0.0).to_bits(), (h.t_x + 0.0).to_bits())
        });
        let total_weight = out.iter().map(|r| r.weight).sum();
        let repeat_weight = out
            .iter()
            .filter(|r| r.history.x > 0)
            .map(|r| r.weight)
            .sum();
        let max_x = out.iter().map(|r| r.history.x).max().unwrap_or(0);
        Ok(Self {
            rows: out,
            total_weight,
            repeat_weight,
            max_x,
        })
    }

    /// The distinct rows, sorted by `(x, T, t_x)`.
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, WeightedHistories};
    /// let w = WeightedHistories::from_histories([
    ///     CustomerHistory::new(3, 9.0, 10.0)?,
    ///     CustomerHistory::new(0, 0.0, 20.0)?,
    ///     CustomerHistory::new(0, 0.0, 10.0)?,
    /// ])?;
    /// let keys: Vec<(u32, f64)> = w.rows().iter().map(|r| (r.history.x, r.history.t)).collect();
    /// assert_eq!(keys, [(0, 10.0), (0, 20.0), (3, 10.0)]);
    /// assert_eq!(w.max_x(), 3);
    /// # Ok::<(), crm_churn::HistoryError>(())
    /// ```
    pub fn rows(&self) -> &[WeightedHistory] {
        &self.rows
    }

    /// Number of customers represented.
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Number of customers with `x > 0`.
    pub fn repeat_weight(&self) -> f64 {
        self.repeat_weight
    }

    /// Largest frequency.
    pub fn max_x(&self) -> u32 {
        self.max_x
    }

    /// Mean purchase rate `Σ x / Σ T`, a starting value for the rate parameters.
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, WeightedHistories};
    /// let w = WeightedHistories::from_histories([
    ///     CustomerHistory::new(4, 9.0, 10.0)?,
    ///     CustomerHistory::new(0, 0.0, 10.0)?,
    /// ])?;
    /// assert_eq!(w.mean_rate(), 0.2); // 4 repeat purchases in 20 time units
    /// # Ok::<(), crm_churn::HistoryError>(())
    /// ```
    pub fn mean_rate(&self) -> f64 {
        let (sx, st) = self.rows.iter().fold((0.0, 0.0), |(sx, st), r| {
            (
                sx + r.weight * f64::from(r.history.x),
                st + r.weight * r.history.t,
            )
        });
        if st > 0.0 { sx / st } else { 1.0 }
    }

    /// Fails with [`HistoryError::NoRepeatBuyers`] when nobody bought again.
    ///
    /// # Errors
    /// As described.
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, HistoryError, WeightedHistories};
    /// let once = WeightedHistories::from_histories([CustomerHistory::new(0, 0.0, 10.0)?])?;
    /// assert_eq!(once.require_repeat_buyers(), Err(HistoryError::NoRepeatBuyers));
    /// # Ok::<(), HistoryError>(())
    /// ```
    pub fn require_repeat_buyers(&self) -> Result<(), HistoryError> {
        if self.repeat_weight > 0.0 {
            Ok(())
        } else {
            Err(HistoryError::NoRepeatBuyers)
        }
    }
}

/// A hash key for a time: its bits with −0.0 folded into +0.0, bytes swapped. Times in
/// whole days or weeks differ only in the sign, exponent and top mantissa bits, and the
/// multiplicative hash of `FxHashMap` places keys by their low bits: unswapped, every whole
/// number would land in the same bucket.
#[inline]
pub(crate) fn time_key(v: f64) -> u64 {
    (v + 0.0).to_bits().swap_bytes()
}

/// The distinct times (`T` and `t_x` together) of weighted rows, and for every row the
/// positions of its `T` and `t_x` among them. Likelihoods evaluate functions of `α + τ` once
/// per distinct time instead of once per row: summaries in whole days or weeks take few
/// distinct values (273 distinct times, 84 of them ages, in the 23,570-customer CDNOW cohort).
pub(crate) struct TimeIndex {
    /// Distinct times, ascending.
    pub(crate) times: Vec<f64>,
    /// Per row, the index of its `T` in [`times`](Self::times).
    pub(crate) row_t: Vec<u32>,
    /// Per row, the index of its `t_x` in [`times`](Self::times).
    pub(crate) row_tx: Vec<u32>,
    /// Distinct `(x, index of τ in times)` pairs over `τ` = `t_x` and `T` (in order of first
    /// appearance): terms that depend on a row only through `x` and one of its times.
    pub(crate) pairs: Vec<(u32, u32)>,
    /// Per row, the positions in [`pairs`](Self::pairs) of its `(x, t_x)` and `(x, T)`.
    pub(crate) row_pairs: Vec<(u32, u32)>,
    /// Distinct frequencies, ascending: terms that depend on a row only through `x` are
    /// evaluated once per entry (never once per `k ≤ max x`).
    pub(crate) xs: Vec<u32>,
    /// Per row, the index of its `x` in [`xs`](Self::xs).
    pub(crate) row_x: Vec<u32>,
}

impl TimeIndex {
    pub(crate) fn new(data: &WeightedHistories) -> Self {
        let rows = data.rows();
        // Distinct values by their bits (+0.0 folds −0.0 in), numbered in order of first
        // appearance, then renumbered in ascending order: a hash lookup per time instead of
        // a sort of all of them.
        let mut slot: FxHashMap<u64, u32> = FxHashMap::default();
        let mut first_seen: Vec<f64> = Vec::new();
        let mut id = |v: f64| -> u32 {
            *slot.entry(time_key(v)).or_insert_with(|| {
                first_seen.push(v);
                (first_seen.len() - 1) as u32
            })
        };
        let (mut row_t, mut row_tx): (Vec<u32>, Vec<u32>) = rows
            .iter()
            .map(|r| (id(r.history.t), id(r.history.t_x)))
            .unzip();
        let mut order: Vec<u32> = (0..first_seen.len() as u32).collect();
        order.sort_unstable_by(|&i, &j| first_seen[i as usize].total_cmp(&first_seen[j as usize]));
        let mut rank = vec![0u32; order.len()];
        for (pos, &i) in order.iter().enumerate() {
            rank[i as usize] = pos as u32;
        }
        for j in row_t.iter_mut().chain(row_tx.iter_mut()) {
            *j = rank[*j as usize];
        }
        let times = order.iter().map(|&i| first_seen[i as usize]).collect();
        let mut pair_slot: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut pair_id = |key: (u32, u32)| -> u32 {
            *pair_slot.entry(key).or_insert_with(|| {
                pairs.push(key);
                (pairs.len() - 1) as u32
            })
        };
        let row_pairs = rows
            .iter()
            .zip(row_t.iter().zip(&row_tx))
            .map(|(r, (&jt, &jx))| (pair_id((r.history.x, jx)), pair_id((r.history.x, jt))))
            .collect();
        // The rows are sorted by x: distinct values come in ascending runs.
        let mut xs: Vec<u32> = Vec::new();
        let row_x = rows
            .iter()
            .map(|r| {
                if xs.last() != Some(&r.history.x) {
                    xs.push(r.history.x);
                }
                (xs.len() - 1) as u32
            })
            .collect();
        Self {
            times,
            row_t,
            row_tx,
            pairs,
            row_pairs,
            xs,
            row_x,
        }
    }
}

/// Gaps between consecutive distinct frequencies up to this length are summed term by term;
/// longer ones by differences of `ln Γ` and `ψ`, at a cost independent of the gap.
const TERM_BY_TERM: u32 = 64;

/// The sums over `k < n` that the likelihoods need per frequency, advanced over ascending `n`
/// (the distinct frequencies of the data): `Σ ln(r+k)`, `Σ 1/(r+k)` and, for the beta dropout
/// of BG/NBD, `Σ ln((b+k)/(a+b+k))`, `−Σ 1/(a+b+k)` and `Σ (1/(b+k) − 1/(a+b+k))`.
///
/// Short gaps add the terms one by one (exactly as a table of running sums would); long gaps
/// use `Σ_{m≤k<n} ln(c+k) = ln Γ(c+n) − ln Γ(c+m)` and `Σ 1/(c+k) = ψ(c+n) − ψ(c+m)`, so the
/// work per evaluation grows with the number of distinct frequencies, not with the largest.
pub(crate) struct RisingSums {
    r: f64,
    a: f64,
    b: f64,
    beta: bool,
    n: u32,
    /// `Σ_{k<n} ln(r+k)`.
    pub(crate) ln_r: f64,
    /// `Σ_{k<n} 1/(r+k)`.
    pub(crate) d_r: f64,
    /// `Σ_{k<n} ln((b+k)/(a+b+k))`.
    pub(crate) ln_beta: f64,
    /// `−Σ_{k<n} 1/(a+b+k)`.
    pub(crate) d_a: f64,
    /// `Σ_{k<n} (1/(b+k) − 1/(a+b+k))`.
    pub(crate) d_b: f64,
}

impl RisingSums {
    /// Sums at `n = 0` for the gamma shape `r` only.
    pub(crate) fn gamma(r: f64) -> Self {
        Self::new(r, 1.0, 1.0, false)
    }

    /// Sums at `n = 0` for the gamma shape `r` and the beta shapes `a`, `b`.
    pub(crate) fn gamma_beta(r: f64, a: f64, b: f64) -> Self {
        Self::new(r, a, b, true)
    }

    fn new(r: f64, a: f64, b: f64, beta: bool) -> Self {
        Self {
            r,
            a,
            b,
            beta,
            n: 0,
            ln_r: 0.0,
            d_r: 0.0,
            ln_beta: 0.0,
            d_a: 0.0,
            d_b: 0.0,
        }
    }

    /// Moves the sums to `n` (not below the current `n`).
    pub(crate) fn advance_to(&mut self, n: u32) {
        debug_assert!(n >= self.n);
        let (r, a, b) = (self.r, self.a, self.b);
        if n - self.n <= TERM_BY_TERM {
            for k in self.n..n {
                let kf = f64::from(k);
                self.ln_r += (r + kf).ln();
                self.d_r += 1.0 / (r + kf);
                if self.beta {
                    self.ln_beta += ((b + kf) / (a + b + kf)).ln();
                    self.d_a -= 1.0 / (a + b + kf);
                    self.d_b += 1.0 / (b + kf) - 1.0 / (a + b + kf);
                }
            }
        } else {
            use statrs::function::gamma::{digamma, ln_gamma};
            let (m, nf) = (f64::from(self.n), f64::from(n));
            let ln_rise = |c: f64| ln_gamma(c + nf) - ln_gamma(c + m);
            let inv_rise = |c: f64| digamma(c + nf) - digamma(c + m);
            self.ln_r += ln_rise(r);
            self.d_r += inv_rise(r);
            if self.beta {
                let inv_ab = inv_rise(a + b);
                self.ln_beta += ln_rise(b) - ln_rise(a + b);
                self.d_a -= inv_ab;
                self.d_b += inv_rise(b) - inv_ab;
            }
        }
        self.n = n;
    }
}

/// Why a buy-till-you-die model could not be fitted or used.
///
/// ```
/// use crm_churn::{BgNbdParams, CustomerHistory, ModelError};
/// let h = CustomerHistory::new(1, 5.0, 10.0)?;
/// // a = 1 makes the expected number of purchases diverge.
/// let m = BgNbdParams::new(0.5, 5.0, 1.0, 2.0)?;
/// assert!(matches!(m.expected_purchases(&h, 10.0), Err(ModelError::Unsupported(_))));
/// assert_eq!(m.expected_purchases(&h, f64::NAN).unwrap_err().to_string().split(' ').next(), Some("horizon"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum ModelError {
    /// The data are unusable.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// The optimiser failed (see [`FitError`]).
    #[error(transparent)]
    Fit(#[from] FitError),
    /// A prediction needs `a > 1` (the expected number of purchases diverges otherwise) or
    /// another parameter condition.
    #[error("{0}")]
    Unsupported(String),
    /// A prediction horizon is negative or not finite.
    #[error("horizon t = {0} is not a finite non-negative time")]
    BadHorizon(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long gaps (by `ln Γ` and `ψ`) agree with the term-by-term sums to 1e-10 relative.
    #[test]
    fn rising_sums_jump_like_they_step() {
        for (r, a, b) in [(0.243, 0.793, 2.426), (3.0, 0.1, 40.0)] {
            let mut stepped = RisingSums::gamma_beta(r, a, b);
            let mut jumped = RisingSums::gamma_beta(r, a, b);
            for n in [1, 2, 40, 1_000, 5_000] {
                for k in stepped.n..n {
                    stepped.advance_to(k + 1);
                }
                jumped.advance_to(n);
                let pairs = [
                    (stepped.ln_r, jumped.ln_r),
                    (stepped.d_r, jumped.d_r),
                    (stepped.ln_beta, jumped.ln_beta),
                    (stepped.d_a, jumped.d_a),
                    (stepped.d_b, jumped.d_b),
                ];
                for (i, (s, j)) in pairs.into_iter().enumerate() {
                    assert!(
                        (s - j).abs() <= 1e-10 * s.abs().max(1e-3),
                        "{n} {i}: {s} vs {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn time_index_numbers_distinct_frequencies() {
        let data = WeightedHistories::from_histories([
            CustomerHistory::new(7, 3.0, 9.0).unwrap(),
            CustomerHistory::new(0, 0.0, 9.0).unwrap(),
            CustomerHistory::new(7, 4.0, 9.0).unwrap(),
            CustomerHistory::new(MAX_FREQUENCY, 5.0, 9.0).unwrap(),
        ])
        .unwrap();
        let index = TimeIndex::new(&data);
        assert_eq!(index.xs, vec![0, 7, MAX_FREQUENCY]);
        for (row, &xi) in data.rows().iter().zip(&index.row_x) {
            assert_eq!(index.xs[xi as usize], row.history.x);
        }
    }

    #[test]
    fn time_index_lists_distinct_times_in_order_and_finds_each_row() {
        let data = WeightedHistories::from_histories([
            CustomerHistory::new(0, -0.0, 30.0).unwrap(),
            CustomerHistory::new(2, 12.5, 30.0).unwrap(),
            CustomerHistory::new(1, 30.0, 30.0).unwrap(),
            CustomerHistory::new(0, 0.0, 7.0).unwrap(),
            CustomerHistory::new(3, 7.0, 41.0).unwrap(),
        ])
        .unwrap();
        let index = TimeIndex::new(&data);
        assert_eq!(index.times, vec![0.0, 7.0, 12.5, 30.0, 41.0]);
        for (i, row) in data.rows().iter().enumerate() {
            assert_eq!(index.times[index.row_t[i] as usize], row.history.t);
            assert_eq!(index.times[index.row_tx[i] as usize], row.history.t_x);
            let (ptx, pt) = index.row_pairs[i];
            assert_eq!(index.pairs[ptx as usize], (row.history.x, index.row_tx[i]));
            assert_eq!(index.pairs[pt as usize], (row.history.x, index.row_t[i]));
        }
        // (0, 0), (0, 30), (0, 7), (1, 30), (2, 12.5), (2, 30), (3, 7), (3, 41): each once.
        assert_eq!(index.pairs.len(), 8);
    }
}
