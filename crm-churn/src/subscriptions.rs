//! Contractual cohorts from subscription records: survivors per period for each start
//! cohort, censored at an `as_of` date, so that the sBG model can be fitted without survivor
//! counts typed by hand; a joint sBG fit over several cohorts (one `(α, β)` for all) and the
//! likelihood-ratio test of "all cohorts share `(α, β)`".
//!
//! A subscription starts in the period of its `start` (its cohort) and, when it has an
//! `end` on or before `as_of`, is counted as a customer in every period from its cohort's up
//! to and including the period of its end, and lost from the next. A subscription without
//! an end, or ending after `as_of`, is still active: it is censored at `as_of`. Each cohort
//! contributes the periods observed as of `as_of` only: a cohort that started `d` periods
//! before the period of `as_of` has survivors for periods `0..=d`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_churn::{RetentionPeriod, Subscription, SubscriptionCohorts};
//!
//! let day = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
//! let mut cohorts = SubscriptionCohorts::new(RetentionPeriod::Month, day(2024, 4, 15));
//! cohorts.add(&Subscription::new(day(2024, 1, 3), None)?)?;
//! cohorts.add(&Subscription::new(day(2024, 1, 20), Some(day(2024, 2, 10)))?)?;
//! cohorts.add(&Subscription::new(day(2024, 1, 31), Some(day(2024, 1, 31)))?)?;
//! let tables = cohorts.tables();
//! assert_eq!(tables[0].start.to_string(), "2024-01-01");
//! // January to April: 3, then 2 (one left in January), 1 (one in February), 1.
//! assert_eq!(tables[0].survivors, vec![3, 2, 1, 1]);
//! # Ok::<(), crm_churn::SubscriptionError>(())
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::fit::{
    FitOptions, LogLikelihood, ParameterBounds, maximize_likelihood_within, too_few_customers,
};
use crate::sbg::{CohortSurvival, SbgError, SbgFit, SbgParams, fit_sbg_with};

/// The calendar period cohorts are formed and survivors counted in (UTC).
///
/// ```
/// use crm_churn::RetentionPeriod;
/// assert_eq!(RetentionPeriod::default(), RetentionPeriod::Month);
/// assert_eq!(RetentionPeriod::Quarter.to_string(), "quarter");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionPeriod {
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    #[default]
    Month,
    /// Calendar quarters (January, April, July, October).
    Quarter,
    /// Calendar years.
    Year,
}

impl std::fmt::Display for RetentionPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        })
    }
}

/// 1970-01-05, a Monday: week indices count from it.
const MONDAY: i64 = 4;

impl RetentionPeriod {
    /// Index of the period containing `time` (consecutive periods have consecutive
    /// indices).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::RetentionPeriod;
    /// let t = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
    /// let month = RetentionPeriod::Month;
    /// assert_eq!(month.index(t(2024, 2, 1)) - month.index(t(2023, 12, 31)), 2);
    /// let week = RetentionPeriod::Week;
    /// // Sunday 2024-03-10 and Monday 2024-03-11 are in consecutive weeks.
    /// assert_eq!(week.index(t(2024, 3, 11)) - week.index(t(2024, 3, 10)), 1);
    /// ```
    pub fn index(self, time: DateTime<Utc>) -> i64 {
        let date = time.date_naive();
        let (year, month0) = (i64::from(date.year()), i64::from(date.month0()));
        match self {
            Self::Week => (time.timestamp().div_euclid(86_400) - MONDAY).div_euclid(7),
            Self::Month => year * 12 + month0,
            Self::Quarter => year * 4 + month0 / 3,
            Self::Year => year,
        }
    }

    /// The first day of the period with index `index` (`None` outside chrono's dates).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::RetentionPeriod;
    /// let q = RetentionPeriod::Quarter;
    /// let i = q.index(Utc.with_ymd_and_hms(2024, 8, 20, 0, 0, 0).unwrap());
    /// assert_eq!(q.start(i).unwrap().to_string(), "2024-07-01");
    /// ```
    pub fn start(self, index: i64) -> Option<NaiveDate> {
        let ymd = |year: i64, month0: i64| {
            NaiveDate::from_ymd_opt(
                i32::try_from(year).ok()?,
                u32::try_from(month0 + 1).ok()?,
                1,
            )
        };
        match self {
            Self::Week => {
                let days = index.checked_mul(7)?.checked_add(MONDAY)?;
                NaiveDate::from_ymd_opt(1970, 1, 1)?
                    .checked_add_signed(chrono::TimeDelta::try_days(days)?)
            }
            Self::Month => ymd(index.div_euclid(12), index.rem_euclid(12)),
            Self::Quarter => ymd(index.div_euclid(4), index.rem_euclid(4) * 3),
            Self::Year => ymd(index, 0),
        }
    }
}

/// A bad subscription record or an incompatible merge.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_churn::{Subscription, SubscriptionError};
/// let t = |d| Utc.with_ymd_and_hms(2024, 5, d, 0, 0, 0).unwrap();
/// let e = Subscription::new(t(9), Some(t(2))).unwrap_err();
/// assert!(matches!(e, SubscriptionError::EndBeforeStart { .. }));
/// assert_eq!(e.to_string(), "the subscription ends (2024-05-02T00:00:00Z) before it starts (2024-05-09T00:00:00Z)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// The end precedes the start.
    #[error("the subscription ends ({}) before it starts ({})", end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true), start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))]
    EndBeforeStart {
        /// The start given.
        start: DateTime<Utc>,
        /// The end given.
        end: DateTime<Utc>,
    },
    /// Two tables built with different periods or `as_of` dates cannot be merged.
    #[error(
        "cannot merge cohort tables by {left_period} as of {left_as_of} with tables by {right_period} as of {right_as_of}"
    )]
    IncompatibleMerge {
        /// This table's period.
        left_period: RetentionPeriod,
        /// This table's `as_of`.
        left_as_of: DateTime<Utc>,
        /// The other table's period.
        right_period: RetentionPeriod,
        /// The other table's `as_of`.
        right_as_of: DateTime<Utc>,
    },
    /// A count would overflow `u64`.
    #[error("a cohort count overflows")]
    Overflow,
}

/// One subscription: when it started and, if it has, when it ended. Checked: the end is
/// not before the start.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_churn::Subscription;
/// let s = Subscription::new(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(), None)?;
/// assert!(s.end().is_none());
/// # Ok::<(), crm_churn::SubscriptionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSubscription")]
pub struct Subscription {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct RawSubscription {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
}

impl TryFrom<RawSubscription> for Subscription {
    type Error = SubscriptionError;
    fn try_from(raw: RawSubscription) -> Result<Self, SubscriptionError> {
        Self::new(raw.start, raw.end)
    }
}

impl Subscription {
    /// Checked constructor: [`SubscriptionError::EndBeforeStart`] when `end < start`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::Subscription;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// assert!(Subscription::new(t, Some(t)).is_ok()); // ended the day it started
    /// ```
    pub fn new(
        start: DateTime<Utc>,
        end: Option<DateTime<Utc>>,
    ) -> Result<Self, SubscriptionError> {
        match end {
            Some(end) if end < start => Err(SubscriptionError::EndBeforeStart { start, end }),
            _ => Ok(Self { start, end }),
        }
    }

    /// When the subscription started.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::Subscription;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// assert_eq!(Subscription::new(t, None)?.start(), t);
    /// # Ok::<(), crm_churn::SubscriptionError>(())
    /// ```
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// When it ended, if it has.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::Subscription;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// assert_eq!(Subscription::new(t, Some(t))?.end(), Some(t));
    /// # Ok::<(), crm_churn::SubscriptionError>(())
    /// ```
    pub fn end(&self) -> Option<DateTime<Utc>> {
        self.end
    }
}

/// The counts of one start cohort: its size, and how many of its subscriptions ended
/// (on or before `as_of`) after `d` periods, by `d` (0 = in the start period).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortTally {
    /// Subscriptions that started in the cohort's period (on or before `as_of`).
    pub size: u64,
    /// Ended subscriptions by the number of periods after the start period they ended in.
    pub ended_after: BTreeMap<u32, u64>,
}

/// Survivor tables of start cohorts built from subscription records: a mergeable monoid
/// (tables built from two sets of records and merged equal the table built from all of
/// them) whose state is plain serde data.
///
/// Records starting after `as_of` are counted in [`not_started`](Self::not_started) and
/// otherwise ignored.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_churn::{RetentionPeriod, Subscription, SubscriptionCohorts};
/// let t = |m, d| Utc.with_ymd_and_hms(2024, m, d, 0, 0, 0).unwrap();
/// let mut left = SubscriptionCohorts::new(RetentionPeriod::Month, t(3, 31));
/// let mut right = left.clone();
/// left.add(&Subscription::new(t(1, 5), Some(t(2, 1)))?)?;
/// right.add(&Subscription::new(t(1, 9), None)?)?;
/// left.merge(&right)?;
/// assert_eq!(left.tables()[0].survivors, vec![2, 2, 1]);
/// # Ok::<(), crm_churn::SubscriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionCohorts {
    period: RetentionPeriod,
    as_of: DateTime<Utc>,
    cohorts: BTreeMap<i64, CohortTally>,
    not_started: u64,
}

/// One cohort's survivor table as of the builder's `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortTable {
    /// First day of the cohort's start period.
    pub start: NaiveDate,
    /// Subscriptions active at the start of each period since the cohort's: `survivors[0]`
    /// is the cohort's size, the last entry the period containing `as_of`.
    pub survivors: Vec<u64>,
}

impl CohortTable {
    /// The table as sBG input; errors when no renewal period is observed yet
    /// ([`SbgError::TooFewPeriods`]).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_churn::CohortTable;
    /// let t = CohortTable { start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), survivors: vec![5, 3] };
    /// assert_eq!(t.survival()?.periods(), 1);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn survival(&self) -> Result<CohortSurvival, SbgError> {
        CohortSurvival::new(self.survivors.clone())
    }
}

impl SubscriptionCohorts {
    /// An empty table by `period`, censored at `as_of`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, SubscriptionCohorts};
    /// let c = SubscriptionCohorts::new(RetentionPeriod::Week, Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    /// assert!(c.tables().is_empty());
    /// ```
    pub fn new(period: RetentionPeriod, as_of: DateTime<Utc>) -> Self {
        Self {
            period,
            as_of,
            cohorts: BTreeMap::new(),
            not_started: 0,
        }
    }

    /// The period of the cohorts.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, SubscriptionCohorts};
    /// let c = SubscriptionCohorts::new(RetentionPeriod::Year, Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    /// assert_eq!(c.period(), RetentionPeriod::Year);
    /// ```
    pub fn period(&self) -> RetentionPeriod {
        self.period
    }

    /// The censoring date.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, SubscriptionCohorts};
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// assert_eq!(SubscriptionCohorts::new(RetentionPeriod::Year, t).as_of(), t);
    /// ```
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// Records that started after `as_of` (not counted in any cohort).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, Subscription, SubscriptionCohorts};
    /// let t = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap();
    /// let mut c = SubscriptionCohorts::new(RetentionPeriod::Year, t(2024));
    /// c.add(&Subscription::new(t(2025), None)?)?;
    /// assert_eq!(c.not_started(), 1);
    /// # Ok::<(), crm_churn::SubscriptionError>(())
    /// ```
    pub fn not_started(&self) -> u64 {
        self.not_started
    }

    /// Counts one subscription. Errors only when a count would overflow (the table is
    /// then unchanged).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, Subscription, SubscriptionCohorts};
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
    /// let mut c = SubscriptionCohorts::new(RetentionPeriod::Month, t(3));
    /// c.add(&Subscription::new(t(1), Some(t(2)))?)?;
    /// assert_eq!(c.tables()[0].survivors, vec![1, 1, 0]);
    /// # Ok::<(), crm_churn::SubscriptionError>(())
    /// ```
    pub fn add(&mut self, subscription: &Subscription) -> Result<(), SubscriptionError> {
        if subscription.start > self.as_of {
            self.not_started = self
                .not_started
                .checked_add(1)
                .ok_or(SubscriptionError::Overflow)?;
            return Ok(());
        }
        let cohort = self.period.index(subscription.start);
        let ended = subscription
            .end
            .filter(|end| *end <= self.as_of)
            .map(|end| self.period.index(end) - cohort);
        let tally = self.cohorts.entry(cohort).or_default();
        let size = tally
            .size
            .checked_add(1)
            .ok_or(SubscriptionError::Overflow)?;
        if let Some(d) = ended {
            // 0 <= d: the end is not before the start; d fits u32 for any chrono date by
            // week (about 1.4e10 weeks would be needed to overflow).
            let d = u32::try_from(d).map_err(|_| SubscriptionError::Overflow)?;
            let slot = tally.ended_after.entry(d).or_insert(0);
            *slot = slot.checked_add(1).ok_or(SubscriptionError::Overflow)?;
        }
        tally.size = size;
        Ok(())
    }

    /// Adds the counts of `other`, built with the same period and `as_of`
    /// ([`SubscriptionError::IncompatibleMerge`] otherwise). Associative and commutative;
    /// on error `self` is unchanged.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, SubscriptionCohorts, SubscriptionError};
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let mut a = SubscriptionCohorts::new(RetentionPeriod::Month, t);
    /// let b = SubscriptionCohorts::new(RetentionPeriod::Week, t);
    /// assert!(matches!(a.merge(&b), Err(SubscriptionError::IncompatibleMerge { .. })));
    /// ```
    pub fn merge(&mut self, other: &Self) -> Result<(), SubscriptionError> {
        if self.period != other.period || self.as_of != other.as_of {
            return Err(SubscriptionError::IncompatibleMerge {
                left_period: self.period,
                left_as_of: self.as_of,
                right_period: other.period,
                right_as_of: other.as_of,
            });
        }
        let mut merged = self.clone();
        merged.not_started = merged
            .not_started
            .checked_add(other.not_started)
            .ok_or(SubscriptionError::Overflow)?;
        for (cohort, tally) in &other.cohorts {
            let mine = merged.cohorts.entry(*cohort).or_default();
            mine.size = mine
                .size
                .checked_add(tally.size)
                .ok_or(SubscriptionError::Overflow)?;
            for (d, n) in &tally.ended_after {
                let slot = mine.ended_after.entry(*d).or_insert(0);
                *slot = slot.checked_add(*n).ok_or(SubscriptionError::Overflow)?;
            }
        }
        *self = merged;
        Ok(())
    }

    /// The survivor table of every cohort, oldest first: cohort `c` that started `d`
    /// periods before the period of `as_of` has `d + 1` entries (periods `0..=d`), so
    /// later cohorts contribute fewer, censored periods. A cohort whose start period cannot
    /// be named as a date (beyond chrono's range) is left out.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_churn::{RetentionPeriod, Subscription, SubscriptionCohorts};
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
    /// let mut c = SubscriptionCohorts::new(RetentionPeriod::Month, t(3));
    /// c.add(&Subscription::new(t(1), None)?)?;
    /// c.add(&Subscription::new(t(3), None)?)?;
    /// let tables = c.tables();
    /// assert_eq!(tables[0].survivors, vec![1, 1, 1]);
    /// assert_eq!(tables[1].survivors, vec![1]); // no renewal observed yet
    /// # Ok::<(), crm_churn::SubscriptionError>(())
    /// ```
    pub fn tables(&self) -> Vec<CohortTable> {
        let last = self.period.index(self.as_of);
        self.cohorts
            .iter()
            .filter_map(|(&cohort, tally)| {
                let start = self.period.start(cohort)?;
                let observed = usize::try_from(last - cohort).ok()?;
                let mut survivors = Vec::with_capacity(observed + 1);
                let mut alive = tally.size;
                survivors.push(alive);
                for d in 0..observed {
                    let lost = u32::try_from(d)
                        .ok()
                        .and_then(|d| tally.ended_after.get(&d))
                        .copied()
                        .unwrap_or(0);
                    alive = alive.saturating_sub(lost);
                    survivors.push(alive);
                }
                Some(CohortTable { start, survivors })
            })
            .collect()
    }
}

struct JointLikelihood<'a>(&'a [CohortSurvival]);

impl LogLikelihood for JointLikelihood<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        self.0
            .iter()
            .map(|c| crate::sbg::log_likelihood_and_gradient(p[0], p[1], c).0)
            .sum()
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        grad.fill(0.0);
        let mut ll = 0.0;
        for c in self.0 {
            let (l, g) = crate::sbg::log_likelihood_and_gradient(p[0], p[1], c);
            ll += l;
            grad[0] += g[0];
            grad[1] += g[1];
        }
        ll
    }
}

/// Fits one `(α, β)` to several cohorts jointly: the log-likelihood is the sum of the
/// cohorts' (each cohort contributes the periods it has), maximised as in
/// [`fit_sbg_with`](crate::fit_sbg_with).
///
/// Errors: [`SbgError::TooFewPeriods`] without cohorts; [`SbgError::NoChurn`] when nobody
/// churned in any cohort; [`SbgError::Unidentified`] when no cohort has survivors after
/// its first period and a second period observed (only the mean churn rate is
/// identified); [`SbgError::Fit`] when the search fails.
///
/// ```
/// use crm_churn::{CohortSurvival, FitOptions, fit_sbg_joint};
/// // The "regular" and "high end" cohorts of Fader & Hardie (2007), fitted as one.
/// let regular = CohortSurvival::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?;
/// let high_end = CohortSurvival::new(vec![1000, 869, 743, 653, 593, 551, 517, 491])?;
/// let fit = fit_sbg_joint(&[regular, high_end], &FitOptions::default())?;
/// assert!(fit.mle.report.converged);
/// # Ok::<(), crm_churn::SbgError>(())
/// ```
pub fn fit_sbg_joint(cohorts: &[CohortSurvival], options: &FitOptions) -> Result<SbgFit, SbgError> {
    if cohorts.is_empty() {
        return Err(SbgError::TooFewPeriods { len: 0 });
    }
    let periods = cohorts
        .iter()
        .map(CohortSurvival::periods)
        .max()
        .unwrap_or(0);
    let churned = cohorts.iter().any(|c| {
        let s = c.survivors();
        s[0] != s[s.len() - 1]
    });
    if !churned {
        return Err(SbgError::NoChurn { periods });
    }
    let identified = cohorts
        .iter()
        .any(|c| c.periods() >= 2 && c.survivors()[1] > 0);
    if !identified {
        let after_first = cohorts.iter().map(|c| c.survivors()[1]).sum();
        return Err(SbgError::Unidentified {
            periods,
            after_first,
        });
    }
    let mut mle = maximize_likelihood_within(
        &JointLikelihood(cohorts),
        &["alpha", "beta"],
        &[1.0, 1.0],
        options,
        &ParameterBounds::default(),
    )?;
    let size: f64 = cohorts.iter().map(|c| c.survivors()[0] as f64).sum();
    mle.warnings.extend(too_few_customers(size, 2));
    let params = SbgParams::new(mle.params[0], mle.params[1])?;
    Ok(SbgFit { params, mle })
}

/// The likelihood-ratio test of "all cohorts share one `(α, β)`": separate sBG fits per
/// cohort against the joint fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SameParametersTest {
    /// The joint fit (one pair for all cohorts).
    pub joint: SbgFit,
    /// The separate fit of each cohort, in input order.
    pub separate: Vec<SbgFit>,
    /// `2 (Σ ℓ_separate − ℓ_joint)` (clamped at 0 against rounding).
    pub statistic: f64,
    /// Degrees of freedom, `2 (k − 1)` for `k` cohorts.
    pub df: u32,
    /// `P(χ²_df ≥ statistic)`.
    pub p_value: f64,
}

/// Fits every cohort alone and all jointly, and tests "same parameters" by the likelihood
/// ratio, asymptotically chi-square with `2 (k − 1)` degrees of freedom.
///
/// Errors: [`SbgError::TooFewCohorts`] with fewer than two cohorts, [`SbgError::Cohort`]
/// naming the first cohort (by index) that cannot be fitted alone, and the errors of
/// [`fit_sbg_joint`].
///
/// ```
/// use crm_churn::{CohortSurvival, FitOptions, same_parameters_test};
/// let regular = CohortSurvival::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?;
/// let high_end = CohortSurvival::new(vec![1000, 869, 743, 653, 593, 551, 517, 491])?;
/// let test = same_parameters_test(&[regular, high_end], &FitOptions::default())?;
/// assert_eq!(test.df, 2);
/// assert!(test.p_value < 1e-6); // the two segments churn differently
/// # Ok::<(), crm_churn::SbgError>(())
/// ```
pub fn same_parameters_test(
    cohorts: &[CohortSurvival],
    options: &FitOptions,
) -> Result<SameParametersTest, SbgError> {
    if cohorts.len() < 2 {
        return Err(SbgError::TooFewCohorts {
            cohorts: cohorts.len(),
        });
    }
    let separate = cohorts
        .iter()
        .enumerate()
        .map(|(index, c)| {
            fit_sbg_with(c, options).map_err(|e| SbgError::Cohort {
                index,
                source: Box::new(e),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let joint = fit_sbg_joint(cohorts, options)?;
    let separate_ll: f64 = separate.iter().map(|f| f.mle.report.log_likelihood).sum();
    let statistic = (2.0 * (separate_ll - joint.mle.report.log_likelihood)).max(0.0);
    let df = u32::try_from(2 * (cohorts.len() - 1)).unwrap_or(u32::MAX);
    let p_value = ChiSquared::new(f64::from(df))
        .map(|chi| chi.sf(statistic))
        .unwrap_or(f64::NAN);
    Ok(SameParametersTest {
        joint,
        separate,
        statistic,
        df,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate_cohort;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn sub(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Subscription {
        Subscription::new(start, end).unwrap()
    }

    #[test]
    fn hand_computed_monthly_table_with_censoring() {
        // As of 2024-04-10 (April is period 3 of the January cohort).
        let mut c = SubscriptionCohorts::new(RetentionPeriod::Month, day(2024, 4, 10));
        // January cohort: 5 subscriptions.
        c.add(&sub(day(2024, 1, 2), None)).unwrap(); // active
        c.add(&sub(day(2024, 1, 15), Some(day(2024, 1, 30))))
            .unwrap(); // gone in Jan
        c.add(&sub(day(2024, 1, 20), Some(day(2024, 3, 3))))
            .unwrap(); // gone in Mar
        c.add(&sub(day(2024, 1, 31), Some(day(2024, 4, 5))))
            .unwrap(); // gone in Apr: not yet seen
        c.add(&sub(day(2024, 1, 31), Some(day(2024, 6, 1))))
            .unwrap(); // ends after as_of: active
        // March cohort: 2.
        c.add(&sub(day(2024, 3, 1), Some(day(2024, 3, 2)))).unwrap();
        c.add(&sub(day(2024, 3, 9), None)).unwrap();
        // April cohort: 1, no renewal observed; May: after as_of.
        c.add(&sub(day(2024, 4, 10), None)).unwrap();
        c.add(&sub(day(2024, 5, 1), None)).unwrap();
        let t = c.tables();
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].start, NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        // Jan 5; Feb 4 (one left in Jan); Mar 4; Apr 3 (one left in Mar).
        assert_eq!(t[0].survivors, vec![5, 4, 4, 3]);
        assert_eq!(t[1].start, NaiveDate::from_ymd_opt(2024, 3, 1).unwrap());
        assert_eq!(t[1].survivors, vec![2, 1]);
        assert_eq!(t[2].survivors, vec![1]);
        assert!(t[2].survival().is_err());
        assert_eq!(c.not_started(), 1);
    }

    #[test]
    fn hand_computed_weekly_quarterly_yearly() {
        // Weeks: Monday 2024-03-04 .. Sunday 2024-03-10 is one week.
        let mut w = SubscriptionCohorts::new(RetentionPeriod::Week, day(2024, 3, 25));
        w.add(&sub(day(2024, 3, 4), Some(day(2024, 3, 10))))
            .unwrap(); // same week
        w.add(&sub(day(2024, 3, 10), Some(day(2024, 3, 11))))
            .unwrap(); // next week
        w.add(&sub(day(2024, 3, 6), None)).unwrap();
        let t = w.tables();
        assert_eq!(t[0].start, NaiveDate::from_ymd_opt(2024, 3, 4).unwrap());
        // Weeks of 4, 11, 18, 25 March.
        assert_eq!(t[0].survivors, vec![3, 2, 1, 1]);

        let mut q = SubscriptionCohorts::new(RetentionPeriod::Quarter, day(2024, 12, 31));
        q.add(&sub(day(2024, 2, 1), Some(day(2024, 7, 1)))).unwrap(); // leaves in Q3
        q.add(&sub(day(2024, 3, 31), None)).unwrap();
        q.add(&sub(day(2024, 4, 1), Some(day(2024, 4, 2)))).unwrap(); // Q2 cohort
        let t = q.tables();
        assert_eq!(t[0].start, NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!(t[0].survivors, vec![2, 2, 2, 1]);
        assert_eq!(t[1].start, NaiveDate::from_ymd_opt(2024, 4, 1).unwrap());
        assert_eq!(t[1].survivors, vec![1, 0, 0]);

        let mut y = SubscriptionCohorts::new(RetentionPeriod::Year, day(2023, 6, 1));
        y.add(&sub(day(2020, 12, 31), Some(day(2021, 1, 1))))
            .unwrap();
        y.add(&sub(day(2020, 1, 1), None)).unwrap();
        // The first is still a customer at the start of 2021 and leaves during it.
        assert_eq!(y.tables()[0].survivors, vec![2, 2, 1, 1]);
    }

    #[test]
    fn period_start_inverts_index() {
        for period in [
            RetentionPeriod::Week,
            RetentionPeriod::Month,
            RetentionPeriod::Quarter,
            RetentionPeriod::Year,
        ] {
            for t in [
                day(1969, 12, 31),
                day(2024, 2, 29),
                day(2000, 1, 1),
                day(2031, 7, 15),
            ] {
                let i = period.index(t);
                let start = period.start(i).unwrap();
                let start_time = Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).unwrap());
                assert_eq!(period.index(start_time), i, "{period} {t}");
                assert!(start_time <= t);
                let before = start_time - chrono::TimeDelta::seconds(1);
                assert_eq!(period.index(before), i - 1, "{period} {t}");
            }
        }
    }

    #[test]
    fn bad_records_and_merges_are_errors() {
        assert!(matches!(
            Subscription::new(day(2024, 1, 2), Some(day(2024, 1, 1))),
            Err(SubscriptionError::EndBeforeStart { .. })
        ));
        let bad = r#"{"start":"2024-01-02T00:00:00Z","end":"2024-01-01T00:00:00Z"}"#;
        assert!(serde_json::from_str::<Subscription>(bad).is_err());
        let mut a = SubscriptionCohorts::new(RetentionPeriod::Month, day(2024, 1, 1));
        let b = SubscriptionCohorts::new(RetentionPeriod::Month, day(2024, 1, 2));
        let before = a.clone();
        assert!(a.merge(&b).is_err());
        assert_eq!(a, before);
        assert!(matches!(
            same_parameters_test(&[], &FitOptions::default()),
            Err(SbgError::TooFewCohorts { cohorts: 0 })
        ));
        let none_lost = CohortSurvival::new(vec![10, 10, 10]).unwrap();
        let fine = CohortSurvival::new(vec![1000, 631, 468, 382]).unwrap();
        assert!(matches!(
            same_parameters_test(&[fine, none_lost], &FitOptions::default()),
            Err(SbgError::Cohort { index: 1, .. })
        ));
    }

    /// Cohorts of a simulated business: `sizes[i]` customers acquired `i` periods after the
    /// first cohort, observed up to period `periods` of the first (later cohorts censored).
    fn staggered(
        params: &SbgParams,
        sizes: &[u64],
        periods: u32,
        rng: &mut rand::rngs::StdRng,
    ) -> Vec<CohortSurvival> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| simulate_cohort(params, n, periods - i as u32, rng).unwrap())
            .collect()
    }

    #[test]
    fn joint_fit_recovers_known_parameters_within_two_standard_errors() {
        let truth = SbgParams::new(0.704, 1.182).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(20_240_101);
        let cohorts = staggered(&truth, &[2000, 1500, 1800, 1200, 2500], 12, &mut rng);
        let fit = fit_sbg_joint(&cohorts, &FitOptions::default()).unwrap();
        let se = fit.mle.std_errors.clone().unwrap();
        assert!(
            (fit.params.alpha - truth.alpha).abs() < 2.0 * se[0],
            "{fit:?}"
        );
        assert!(
            (fit.params.beta - truth.beta).abs() < 2.0 * se[1],
            "{fit:?}"
        );
        // The joint log-likelihood is the sum of the cohorts' at any parameters.
        let sum: f64 = cohorts.iter().map(|c| fit.params.log_likelihood(c)).sum();
        assert!((sum - fit.mle.report.log_likelihood).abs() < 1e-9 * sum.abs());
    }

    #[test]
    fn likelihood_ratio_test_size_and_power() {
        let truth = SbgParams::new(1.0, 2.5).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let runs = 300;
        let mut rejected = 0;
        for _ in 0..runs {
            let cohorts = staggered(&truth, &[600, 600, 600], 8, &mut rng);
            let test = same_parameters_test(&cohorts, &FitOptions::default()).unwrap();
            assert_eq!(test.df, 4);
            if test.p_value < 0.05 {
                rejected += 1;
            }
        }
        // Binomial(300, 0.05): mean 15, sd 3.8; a 3.5 sd band.
        let rate = f64::from(rejected) / f64::from(runs);
        assert!((2..=29).contains(&rejected), "rejection rate {rate}");
        // Different parameters: rejected every time.
        let other = SbgParams::new(2.0, 2.5).unwrap();
        for _ in 0..20 {
            let mut cohorts = staggered(&truth, &[600, 600], 8, &mut rng);
            cohorts.push(simulate_cohort(&other, 600, 6, &mut rng).unwrap());
            let test = same_parameters_test(&cohorts, &FitOptions::default()).unwrap();
            assert!(test.p_value < 0.01, "{}", test.p_value);
        }
    }

    fn arb_subscription() -> impl Strategy<Value = (i64, Option<i64>)> {
        // Seconds around 2000..2030, and an end offset that may be negative (a bad record).
        (
            946_684_800i64..1_893_456_000,
            proptest::option::of(-86_400_000i64..200_000_000),
        )
    }

    fn build(
        period: RetentionPeriod,
        as_of: DateTime<Utc>,
        records: &[(i64, Option<i64>)],
    ) -> SubscriptionCohorts {
        let mut c = SubscriptionCohorts::new(period, as_of);
        for &(start, offset) in records {
            let start = Utc.timestamp_opt(start, 0).unwrap();
            let end = offset.map(|o| start + chrono::TimeDelta::seconds(o));
            if let Ok(s) = Subscription::new(start, end) {
                c.add(&s).unwrap();
            }
        }
        c
    }

    fn period_strategy() -> impl Strategy<Value = RetentionPeriod> {
        prop_oneof![
            Just(RetentionPeriod::Week),
            Just(RetentionPeriod::Month),
            Just(RetentionPeriod::Quarter),
            Just(RetentionPeriod::Year),
        ]
    }

    proptest! {
        #[test]
        fn tables_never_panic_and_merge_equals_whole(
            records in proptest::collection::vec(arb_subscription(), 0..80),
            split in 0usize..80,
            period in period_strategy(),
            as_of in 946_684_800i64..1_893_456_000,
        ) {
            let as_of = Utc.timestamp_opt(as_of, 0).unwrap();
            let split = split.min(records.len());
            let whole = build(period, as_of, &records);
            let mut left = build(period, as_of, &records[..split]);
            let right = build(period, as_of, &records[split..]);
            // The state survives a serde round trip.
            let json = serde_json::to_string(&right).unwrap();
            let right: SubscriptionCohorts = serde_json::from_str(&json).unwrap();
            left.merge(&right).unwrap();
            prop_assert_eq!(&left, &whole);
            for table in whole.tables() {
                prop_assert!(table.survivors.windows(2).all(|w| w[1] <= w[0]));
                prop_assert!(table.survivors[0] > 0);
                let _ = table.survival();
            }
        }
    }
}
