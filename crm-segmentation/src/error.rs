//! Typed errors of the segmentation crate.

use chrono::{DateTime, Utc};
use crm_core::{Currency, CustomerId, Money};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One of the three RFM dimensions.
///
/// ```
/// use crm_segmentation::Dimension;
/// assert_eq!(Dimension::Recency.to_string(), "recency");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Days since the last purchase (lower is better).
    Recency,
    /// Number of purchases (higher is better).
    Frequency,
    /// Money spent (higher is better).
    Monetary,
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Recency => "recency",
            Dimension::Frequency => "frequency",
            Dimension::Monetary => "monetary",
        })
    }
}

/// Why a segmentation could not be computed.
///
/// Rows are numbered from 0 in the order they were fed, across all pages of a stream.
///
/// ```
/// use crm_segmentation::SegmentationError;
/// let e = SegmentationError::InvalidBinCount { bins: 11 };
/// assert_eq!(e.to_string(), "bins: 11 is outside 2..=10");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentationError {
    /// A row's currency differs from the currency of earlier rows and no conversion was given.
    #[error(
        "row {row}: amount in {found} but earlier rows are in {expected}; supply a currency conversion to mix currencies"
    )]
    MixedCurrency {
        /// The row at fault.
        row: u64,
        /// The currency of the earlier rows (or of the conversion target).
        expected: Currency,
        /// The currency of this row.
        found: Currency,
    },
    /// The supplied conversion could not convert a row's amount.
    #[error("row {row}: the currency conversion gave no value for {amount} in {target}")]
    ConversionFailed {
        /// The row at fault.
        row: u64,
        /// The amount as given.
        amount: Money,
        /// The currency it was to be converted to.
        target: Currency,
    },
    /// A row's amount made a customer's running total overflow.
    #[error("row {row}: the amount overflows the customer's monetary total")]
    AmountOverflow {
        /// The row at fault.
        row: u64,
    },
    /// A customer's total does not fit a `Decimal` (about 7.9e28).
    #[error(
        "customer at position {position} (in key order): the monetary total does not fit a decimal"
    )]
    TotalOverflow {
        /// The customer's position in the key-sorted table.
        position: usize,
    },
    /// A sum of customers' values does not fit a `Decimal` (about 7.9e28): a total, share or
    /// curve built on it would be wrong, so it is refused.
    #[error(
        "{what} overflows a decimal (about 7.9e28) when adding {}",
        customer.as_deref().map_or_else(|| "a value".to_string(), |c| format!("customer {c}"))
    )]
    SumOverflow {
        /// The sum at fault, e.g. "the total revenue".
        what: &'static str,
        /// The customer whose value made it overflow (the `Display` text of its key), when
        /// the computation knows the keys.
        customer: Option<String>,
    },
    /// The number of score bins is outside 2..=10.
    #[error("bins: {bins} is outside 2..=10")]
    InvalidBinCount {
        /// The value given.
        bins: u8,
    },
    /// Fixed breakpoints that are not `bins - 1` strictly increasing values.
    #[error("breakpoints for {dimension}: {reason}")]
    InvalidBreakpoints {
        /// The dimension at fault.
        dimension: Dimension,
        /// What is wrong.
        reason: String,
    },
    /// A segment or tier rule with an impossible score range or an empty name.
    #[error("rule {index} ({name:?}): {reason}")]
    InvalidRule {
        /// The position of the rule in its table (0-based).
        index: usize,
        /// The rule's name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// ABC thresholds or shares outside (0, 1] or not increasing.
    #[error("ABC {field}: {reason}")]
    InvalidThreshold {
        /// The field at fault (`a`, `b`).
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Two accumulators built with different settings were merged.
    #[error("merge: accumulators differ in {field}")]
    IncompatibleMerge {
        /// The setting that differs.
        field: &'static str,
    },
    /// A purchase summary that no set of transactions could produce (no transactions,
    /// more purchase days than transactions or than the dates it spans, a first purchase
    /// after the last, totals in another currency than the summary's).
    #[error("purchase summary {index} (customer {customer}): {reason}")]
    InconsistentSummary {
        /// The summary's position in the input, from 0.
        index: u64,
        /// Its customer.
        customer: CustomerId,
        /// What is wrong.
        reason: String,
    },
    /// RFM from purchase totals with frequency in distinct purchase days, which totals do
    /// not hold.
    #[error(
        "frequency in distinct purchase days needs purchase summaries (totals hold no days): count transactions, or use the summaries"
    )]
    FrequencyNeedsDays,
    /// A purchase summary with purchases both before and after the as-of time: its totals
    /// cannot be split at the as-of time.
    #[error(
        "purchase summary {index} (customer {customer}): its purchases run from {first} to {last}, across the as-of time {as_of}; summarize the purchases up to the as-of time instead"
    )]
    SummaryAcrossAsOf {
        /// The summary's position in the input, from 0.
        index: u64,
        /// Its customer.
        customer: CustomerId,
        /// Its first purchase.
        first: DateTime<Utc>,
        /// Its last purchase.
        last: DateTime<Utc>,
        /// The as-of time.
        as_of: DateTime<Utc>,
    },
    /// Two purchase summaries of one customer that cannot be added exactly: in one
    /// currency with overlapping purchase times (they would count transactions twice), or,
    /// when frequency counts distinct days, with overlapping purchase dates (a day in both
    /// would count twice).
    #[error("purchase summaries {first} and {second} (customer {customer}): {reason}")]
    OverlappingSummaries {
        /// The customer.
        customer: CustomerId,
        /// The position of the earlier summary in the input, from 0.
        first: u64,
        /// The position of the later summary in the input, from 0.
        second: u64,
        /// Why they cannot be added.
        reason: String,
    },
    /// A cohort range whose start is after its as-of time.
    #[error("cohort range: the start {start} is after the as-of time {as_of}")]
    InvalidDateRange {
        /// The start given.
        start: DateTime<Utc>,
        /// The as-of time given.
        as_of: DateTime<Utc>,
    },
    /// A cohort period name other than `week`, `month` or `quarter`.
    #[error("cohort period {name:?}: expected week, month or quarter")]
    UnknownPeriod {
        /// The name given.
        name: String,
    },
    /// The number of transactions of the purchase summaries does not fit a 64-bit count.
    #[error(
        "purchase summary {index} (customer {customer}): the number of transactions overflows a 64-bit count"
    )]
    CountOverflow {
        /// The position of the summary at fault in the input, from 0.
        index: u64,
        /// Its customer.
        customer: CustomerId,
    },
}
