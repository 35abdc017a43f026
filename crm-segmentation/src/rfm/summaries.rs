//! RFM from per-customer purchase summaries ([`PurchaseSummary`]: one row per customer
//! and currency, as a store computes them with one `GROUP BY`) instead of one row per
//! transaction. The summaries become the same running states a pass over the transactions
//! builds, and the same finish scores them.

use std::num::NonZeroU64;

use chrono::{DateTime, Datelike, Utc};
use crm_core::{Currency, CustomerId, Money, PurchaseSummary, PurchaseTotals};
use rustc_hash::FxHashMap;

use super::finish::{self, DayCounts};
use super::{Acc, FrequencyMeasure, RfmAccumulator, RfmConfig, RfmTable, gather_parts};
use crate::error::SegmentationError;

/// The RFM table of per-customer purchase summaries: for transactions all at or before
/// [`RfmConfig::as_of`] (any transactions when it is `None`), the table equals [`rfm`]'s
/// over those transactions, as `(customer, time, Money)` purchases: every row, score and
/// segment, the currency, and the report (`rows` and `used` count transactions).
///
/// Summaries whose every purchase is after the as-of time are left out and counted in
/// [`RfmReport::excluded_after_as_of`](crate::RfmReport::excluded_after_as_of), as [`rfm`]
/// counts their transactions; a summary with purchases on both sides of it cannot be split
/// ([`SegmentationError::SummaryAcrossAsOf`]).
///
/// A customer may have several summaries: one per currency (their net totals are
/// converted with [`RfmConfig::conversion`] and added; without a conversion, currencies
/// may not mix, as in [`rfm`]), or pieces of disjoint time ranges. They are added exactly,
/// so summaries in one currency whose purchase times overlap (they would count
/// transactions twice) and, when frequency counts distinct days, summaries whose purchase
/// dates overlap (a day in both would count twice) are refused with
/// [`SegmentationError::OverlappingSummaries`].
///
/// A conversion is applied to each summary's net total, where [`rfm`] applies it to every
/// amount: the two agree for conversions that are exact multiplications by a rate.
///
/// # Errors
///
/// Errors that [`rfm`] numbers by row ([`SegmentationError::MixedCurrency`],
/// [`ConversionFailed`](SegmentationError::ConversionFailed),
/// [`AmountOverflow`](SegmentationError::AmountOverflow)) carry here the position of the
/// summary at fault in the input, from 0. Besides those, an invalid configuration, and
/// [`TotalOverflow`](SegmentationError::TotalOverflow) for a customer's total beyond a
/// decimal:
/// [`InconsistentSummary`](SegmentationError::InconsistentSummary) for a summary no
/// transactions could produce, [`SummaryAcrossAsOf`](SegmentationError::SummaryAcrossAsOf),
/// [`OverlappingSummaries`](SegmentationError::OverlappingSummaries) and
/// [`CountOverflow`](SegmentationError::CountOverflow) when the transactions add up beyond
/// a 64-bit count.
///
/// ```
/// use chrono::{DateTime, TimeZone, Utc};
/// use crm_core::{Currency, CustomerId, Money, PurchaseSummary};
/// use crm_segmentation::{RfmConfig, rfm, rfm_from_summaries};
///
/// let day = |d| Utc.with_ymd_and_hms(2024, 5, d, 9, 0, 0).unwrap();
/// let eur = |s: &str| s.parse::<Money>();
/// let transactions: Vec<(CustomerId, DateTime<Utc>, Money)> = vec![
///     (1.into(), day(2), eur("10 EUR")?),
///     (1.into(), day(2), eur("5 EUR")?),
///     (1.into(), day(9), eur("20 EUR")?),
///     (2.into(), day(20), eur("7.50 EUR")?),
/// ];
/// let summaries = [
///     PurchaseSummary {
///         customer: 1.into(),
///         currency: Currency::EUR,
///         first_purchase: day(2),
///         last_purchase: day(9),
///         transactions: 3,
///         purchase_days: 2,
///         net_total: eur("35 EUR")?,
///         repeat_total: eur("20 EUR")?,
///     },
///     PurchaseSummary {
///         customer: 2.into(),
///         currency: Currency::EUR,
///         first_purchase: day(20),
///         last_purchase: day(20),
///         transactions: 1,
///         purchase_days: 1,
///         net_total: eur("7.50 EUR")?,
///         repeat_total: eur("0 EUR")?,
///     },
/// ];
/// let config = RfmConfig::default();
/// let table = rfm_from_summaries(&summaries, &config)?;
/// assert_eq!(table, rfm(transactions, &config)?);
/// assert_eq!((table.report.rows, table.customers[0].recency_days), (4, 11));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`rfm`]: crate::rfm
pub fn rfm_from_summaries<'a, I>(
    summaries: I,
    config: &RfmConfig,
) -> Result<RfmTable<CustomerId>, SegmentationError>
where
    I: IntoIterator<Item = &'a PurchaseSummary>,
{
    rfm_of(summaries, config)
}

/// The RFM table of per-customer purchase totals ([`PurchaseTotals`]: a summary without
/// distinct days, what a store's plainest `GROUP BY` returns), for frequency in
/// transactions: equal to [`rfm_from_summaries`] over the summaries these are the totals
/// of, with the same checks and errors.
///
/// # Errors
///
/// Those of [`rfm_from_summaries`], and
/// [`FrequencyNeedsDays`](SegmentationError::FrequencyNeedsDays) when the configuration
/// counts frequency in distinct purchase days, which totals do not hold.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, PurchaseTotals};
/// use crm_segmentation::{FrequencyMeasure, RfmConfig, rfm_from_totals};
///
/// let day = |d| Utc.with_ymd_and_hms(2024, 5, d, 9, 0, 0).unwrap();
/// let totals = [PurchaseTotals {
///     customer: 1.into(),
///     currency: Currency::EUR,
///     first_purchase: day(2),
///     last_purchase: day(9),
///     transactions: 3,
///     net_total: "35 EUR".parse()?,
/// }];
/// let table = rfm_from_totals(&totals, &RfmConfig::default())?;
/// assert_eq!((table.customers[0].frequency, table.report.rows), (3, 3));
/// let by_days = RfmConfig { frequency: FrequencyMeasure::DistinctDays, ..RfmConfig::default() };
/// assert!(rfm_from_totals(&totals, &by_days).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rfm_from_totals<'a, I>(
    totals: I,
    config: &RfmConfig,
) -> Result<RfmTable<CustomerId>, SegmentationError>
where
    I: IntoIterator<Item = &'a PurchaseTotals>,
{
    if config.frequency == FrequencyMeasure::DistinctDays {
        return Err(SegmentationError::FrequencyNeedsDays);
    }
    rfm_of(totals, config)
}

/// What RFM reads of a summary or of totals.
trait Aggregate {
    fn customer(&self) -> &CustomerId;
    fn currency(&self) -> Currency;
    fn first_purchase(&self) -> DateTime<Utc>;
    fn last_purchase(&self) -> DateTime<Utc>;
    fn transactions(&self) -> u64;
    fn net_total(&self) -> &Money;
    /// The distinct purchase days, when known.
    fn purchase_days(&self) -> Option<u64>;
}

macro_rules! aggregate {
    ($t:ty, |$s:ident| $days:expr) => {
        impl Aggregate for $t {
            fn customer(&self) -> &CustomerId {
                &self.customer
            }
            fn currency(&self) -> Currency {
                self.currency
            }
            fn first_purchase(&self) -> DateTime<Utc> {
                self.first_purchase
            }
            fn last_purchase(&self) -> DateTime<Utc> {
                self.last_purchase
            }
            fn transactions(&self) -> u64 {
                self.transactions
            }
            fn net_total(&self) -> &Money {
                &self.net_total
            }
            fn purchase_days(&self) -> Option<u64> {
                let $s = self;
                $days
            }
        }
    };
}
aggregate!(PurchaseSummary, |s| Some(s.purchase_days));
aggregate!(PurchaseTotals, |_s| None);

fn rfm_of<'a, S, I>(
    summaries: I,
    config: &RfmConfig,
) -> Result<RfmTable<CustomerId>, SegmentationError>
where
    S: Aggregate + 'a,
    I: IntoIterator<Item = &'a S>,
{
    let mut acc = RfmAccumulator::<CustomerId>::new(config)?;
    let mut seen: FxHashMap<CustomerId, Seen> = FxHashMap::default();
    let distinct_days = config.frequency == FrequencyMeasure::DistinctDays;
    for (index, s) in summaries.into_iter().enumerate() {
        let index = index as u64;
        let piece = Piece::of(index, s)?;
        acc.rows = acc.rows.checked_add(s.transactions()).ok_or_else(|| {
            SegmentationError::CountOverflow {
                index,
                customer: s.customer().clone(),
            }
        })?;
        if let Some(as_of) = config.as_of {
            if s.first_purchase() > as_of {
                acc.excluded += s.transactions();
                continue;
            }
            if s.last_purchase() > as_of {
                return Err(SegmentationError::SummaryAcrossAsOf {
                    index,
                    customer: s.customer().clone(),
                    first: s.first_purchase(),
                    last: s.last_purchase(),
                    as_of,
                });
            }
        }
        let (value, new_currency) = acc.value_of(index, s.net_total())?;
        if let Some(earlier) = seen.get(s.customer()) {
            for p in earlier.pieces() {
                p.check_addable(&piece, s.customer(), distinct_days)?;
            }
        }
        let minor = acc.minor_units(index, value)?;
        let count = NonZeroU64::new(s.transactions())
            .ok_or_else(|| inconsistent(index, s, "no transactions"))?;
        acc.customers
            .absorb(
                s.customer().clone(),
                Acc::from_parts(piece.first_day, piece.last_day, count, minor),
            )
            .ok_or(SegmentationError::AmountOverflow { row: index })?;
        if let Some(c) = new_currency {
            acc.currency = Some((c, index));
        }
        if acc.latest.is_none_or(|l| s.last_purchase() > l) {
            acc.latest = Some(s.last_purchase());
        }
        match seen.get_mut(s.customer()) {
            Some(earlier) => {
                earlier.days = earlier.days.saturating_add(s.purchase_days().unwrap_or(0));
                earlier.more.push(piece);
            }
            None => {
                seen.insert(
                    s.customer().clone(),
                    Seen {
                        days: s.purchase_days().unwrap_or(0),
                        first: piece,
                        more: Vec::new(),
                    },
                );
            }
        }
    }
    let config = acc.config.clone();
    let (totals, tables, _) = gather_parts(vec![acc])?;
    let days = if distinct_days {
        DayCounts::PerCustomer(seen.into_iter().map(|(k, s)| (k, s.days)).collect())
    } else {
        DayCounts::Pairs(Vec::new())
    };
    finish::finish(
        &config,
        totals,
        vec![finish::one_run(tables)],
        days,
        finish::OneThread,
    )
}

/// What one customer's summaries so far cover: their distinct purchase days (added, the
/// dates being disjoint when they are counted) and each summary's span.
struct Seen {
    days: u64,
    first: Piece,
    more: Vec<Piece>,
}

impl Seen {
    fn pieces(&self) -> impl Iterator<Item = &Piece> {
        std::iter::once(&self.first).chain(&self.more)
    }
}

/// The span of one checked summary.
#[derive(Debug, Clone, Copy)]
struct Piece {
    index: u64,
    currency: Currency,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    first_day: i32,
    last_day: i32,
}

impl Piece {
    /// The span of summary `index`, after checking that transactions could produce it.
    fn of(index: u64, s: &impl Aggregate) -> Result<Self, SegmentationError> {
        let first_day = s.first_purchase().date_naive().num_days_from_ce();
        let last_day = s.last_purchase().date_naive().num_days_from_ce();
        let fail = |reason: &str| Err(inconsistent(index, s, reason));
        if s.transactions() == 0 {
            return fail("no transactions");
        }
        let days = s.purchase_days();
        if days == Some(0) {
            return fail("no purchase days");
        }
        if days.is_some_and(|d| d > s.transactions()) {
            return fail("more purchase days than transactions");
        }
        if s.first_purchase() > s.last_purchase() {
            return fail("the first purchase is after the last");
        }
        if s.transactions() == 1 && s.first_purchase() != s.last_purchase() {
            return fail("one transaction, but its first and last purchase times differ");
        }
        let span = i64::from(last_day) - i64::from(first_day) + 1;
        if days.is_some_and(|d| i64::try_from(d).unwrap_or(i64::MAX) > span) {
            return fail("more purchase days than dates from the first purchase to the last");
        }
        if days == Some(1) && span > 1 {
            return fail(
                "one purchase day, but the first and last purchase are on different dates",
            );
        }
        if s.net_total().currency() != s.currency() {
            return fail("the net total is in another currency than the summary");
        }
        Ok(Self {
            index,
            currency: s.currency(),
            first: s.first_purchase(),
            last: s.last_purchase(),
            first_day,
            last_day,
        })
    }

    /// Whether `later` (of the same customer) can be added to this summary exactly.
    fn check_addable(
        &self,
        later: &Piece,
        customer: &CustomerId,
        distinct_days: bool,
    ) -> Result<(), SegmentationError> {
        let overlap = |reason: String| {
            Err(SegmentationError::OverlappingSummaries {
                customer: customer.clone(),
                first: self.index,
                second: later.index,
                reason,
            })
        };
        if self.currency == later.currency && self.first <= later.last && later.first <= self.last {
            return overlap(format!(
                "both are in {} and their purchase times overlap, so they would count the same transactions twice",
                self.currency.code()
            ));
        }
        if distinct_days && self.first_day <= later.last_day && later.first_day <= self.last_day {
            return overlap(
                "their purchase dates overlap, so their distinct purchase days cannot be added"
                    .to_string(),
            );
        }
        Ok(())
    }
}

fn inconsistent(index: u64, s: &impl Aggregate, reason: &str) -> SegmentationError {
    SegmentationError::InconsistentSummary {
        index,
        customer: s.customer().clone(),
        reason: reason.to_string(),
    }
}
