//! Breakdowns by time bucket (UTC day, ISO week, calendar month), rolling windows and trend
//! flags.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::breakdown::{merge_groups, merge_into};
use crate::{Aggregator, Difference, SatisfactionError, StatsConfig};

/// A calendar bucket in UTC; a bucket is named by its first day.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_satisfaction::TimeBucket;
///
/// let t = Utc.with_ymd_and_hms(2024, 1, 3, 23, 59, 0).unwrap(); // a Wednesday
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(TimeBucket::Day.start(t), d(2024, 1, 3));
/// assert_eq!(TimeBucket::IsoWeek.start(t), d(2024, 1, 1));
/// assert_eq!(TimeBucket::Month.start(t), d(2024, 1, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeBucket {
    /// A UTC calendar day.
    Day,
    /// An ISO 8601 week, Monday to Sunday.
    IsoWeek,
    /// A calendar month.
    Month,
}

impl TimeBucket {
    /// The first day of the bucket holding `at`.
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use crm_satisfaction::TimeBucket;
    /// // 2021-01-03 is a Sunday in ISO week 2020-W53, which starts on 2020-12-28.
    /// let t = Utc.with_ymd_and_hms(2021, 1, 3, 12, 0, 0).unwrap();
    /// assert_eq!(TimeBucket::IsoWeek.start(t), NaiveDate::from_ymd_opt(2020, 12, 28).unwrap());
    /// ```
    pub fn start(self, at: DateTime<Utc>) -> NaiveDate {
        self.start_of_day(at.date_naive())
    }

    /// The first day of the bucket holding the day `day`.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_satisfaction::TimeBucket;
    /// let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    /// assert_eq!(TimeBucket::Month.start_of_day(d), NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
    /// ```
    pub fn start_of_day(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => day,
            Self::IsoWeek => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Self::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// The first day of the following bucket, given the first day of a bucket.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_satisfaction::TimeBucket;
    /// let jan = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    /// assert_eq!(TimeBucket::Month.next(jan), NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
    /// ```
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        let next = match self {
            Self::Day => start.checked_add_days(Days::new(1)),
            Self::IsoWeek => start.checked_add_days(Days::new(7)),
            Self::Month => start.checked_add_months(Months::new(1)),
        };
        next.unwrap_or(NaiveDate::MAX)
    }
}

/// One aggregate per time bucket; a commutative monoid like [`crate::Breakdown`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_satisfaction::{Nps, TimeBucket, Timeline};
///
/// let mut t = Timeline::new(TimeBucket::Month, Nps::new());
/// t.add(Utc.with_ymd_and_hms(2024, 1, 5, 0, 0, 0).unwrap(), 10).unwrap();
/// t.add(Utc.with_ymd_and_hms(2024, 3, 9, 0, 0, 0).unwrap(), 0).unwrap();
/// let periods = t.periods();
/// assert_eq!(periods.len(), 3); // February is present and empty
/// assert_eq!(periods[1].1.responses(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline<A> {
    bucket: TimeBucket,
    template: A,
    periods: BTreeMap<NaiveDate, A>,
}

impl<A: Aggregator> Timeline<A> {
    /// An empty timeline with the given bucket and aggregator.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, TimeBucket, Timeline};
    /// assert!(Timeline::new(TimeBucket::Day, Csat::default()).periods().is_empty());
    /// ```
    pub fn new(bucket: TimeBucket, template: A) -> Self {
        Self {
            bucket,
            template: template.empty_like(),
            periods: BTreeMap::new(),
        }
    }

    /// The bucket.
    ///
    /// ```
    /// use crm_satisfaction::{Nps, TimeBucket, Timeline};
    /// assert_eq!(Timeline::new(TimeBucket::Day, Nps::new()).bucket(), TimeBucket::Day);
    /// ```
    pub fn bucket(&self) -> TimeBucket {
        self.bucket
    }

    /// Adds a score answered at `at`; an out-of-scale score is an error and changes nothing.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_satisfaction::{Nps, TimeBucket, Timeline};
    /// let mut t = Timeline::new(TimeBucket::Day, Nps::new());
    /// assert!(t.add(Utc::now(), 11).is_err());
    /// assert!(t.periods().is_empty());
    /// ```
    pub fn add(&mut self, at: DateTime<Utc>, score: u8) -> Result<(), SatisfactionError> {
        let mut probe = self.template.clone();
        probe.add(score)?;
        merge_into(&mut self.periods, self.bucket.start(at), probe)
    }

    /// Merges another timeline with the same bucket and scale; otherwise nothing changes.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_satisfaction::{Nps, TimeBucket, Timeline};
    /// let day = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let mut a = Timeline::new(TimeBucket::Day, Nps::new());
    /// a.add(day(1), 10).unwrap();
    /// let mut b = Timeline::new(TimeBucket::Day, Nps::new());
    /// b.add(day(1), 0).unwrap();
    /// b.add(day(2), 9).unwrap();
    /// a.merge(&b).unwrap();
    /// let sizes: Vec<u64> = a.periods().iter().map(|(_, p)| p.responses()).collect();
    /// assert_eq!(sizes, vec![2, 1]);
    /// assert!(a.merge(&Timeline::new(TimeBucket::Month, Nps::new())).is_err());
    /// ```
    pub fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        if self.bucket != other.bucket {
            return Err(SatisfactionError::ScaleMismatch {
                left: format!("{:?} buckets", self.bucket),
                right: format!("{:?} buckets", other.bucket),
            });
        }
        merge_groups(
            &mut self.periods,
            &self.template,
            &other.periods,
            &other.template,
        )
    }

    /// Every bucket from the first to the last response, in order, empty buckets included.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_satisfaction::{Nps, TimeBucket, Timeline};
    /// let mut t = Timeline::new(TimeBucket::Day, Nps::new());
    /// t.add(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(), 9).unwrap();
    /// t.add(Utc.with_ymd_and_hms(2024, 1, 3, 0, 0, 0).unwrap(), 9).unwrap();
    /// assert_eq!(t.periods().len(), 3);
    /// ```
    pub fn periods(&self) -> Vec<(NaiveDate, A)> {
        let (Some(first), Some(last)) = (
            self.periods.keys().next().copied(),
            self.periods.keys().next_back().copied(),
        ) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut day = first;
        while day <= last {
            let agg = self
                .periods
                .get(&day)
                .cloned()
                .unwrap_or_else(|| self.template.clone());
            out.push((day, agg));
            let next = self.bucket.next(day);
            if next <= day {
                break;
            }
            day = next;
        }
        out
    }

    /// Rolling windows: for each bucket, the merge of it and the `window − 1` buckets before
    /// it (fewer at the start). A window of 0 is an error.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_satisfaction::{Nps, TimeBucket, Timeline};
    /// let mut t = Timeline::new(TimeBucket::Day, Nps::new());
    /// for d in 1..=3 {
    ///     t.add(Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap(), 10).unwrap();
    /// }
    /// let r = t.rolling(2).unwrap();
    /// let sizes: Vec<u64> = r.iter().map(|(_, a)| a.responses()).collect();
    /// assert_eq!(sizes, vec![1, 2, 2]);
    /// ```
    pub fn rolling(&self, window: usize) -> Result<Vec<(NaiveDate, A)>, SatisfactionError> {
        if window == 0 {
            return Err(SatisfactionError::EmptyWindow);
        }
        let periods = self.periods();
        let mut out = Vec::with_capacity(periods.len());
        for i in 0..periods.len() {
            let mut agg = self.template.clone();
            for (_, part) in &periods[(i + 1).saturating_sub(window)..=i] {
                agg.merge(part)?;
            }
            out.push((periods[i].0, agg));
        }
        Ok(out)
    }

    /// Trend flags for consecutive buckets (see [`trends`]).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_satisfaction::{Nps, StatsConfig, TimeBucket, Timeline, TrendDirection};
    /// let mut t = Timeline::new(TimeBucket::Month, Nps::new());
    /// for _ in 0..50 {
    ///     t.add(Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap(), 2).unwrap();
    ///     t.add(Utc.with_ymd_and_hms(2024, 2, 2, 0, 0, 0).unwrap(), 10).unwrap();
    /// }
    /// let flags = t.trends(&StatsConfig::default()).unwrap();
    /// assert_eq!(flags[0].direction, TrendDirection::Up);
    /// ```
    pub fn trends(&self, config: &StatsConfig) -> Result<Vec<Trend>, SatisfactionError> {
        trends(&self.periods(), config)
    }
}

/// Direction of a period's headline compared with the previous period.
///
/// ```
/// use crm_satisfaction::TrendDirection;
/// assert_ne!(TrendDirection::Up, TrendDirection::Down);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrendDirection {
    /// Significantly higher than the previous period.
    Up,
    /// Significantly lower than the previous period.
    Down,
    /// No significant difference.
    Flat,
    /// One of the two periods has no responses.
    Insufficient,
}

/// The change of a period against the previous one.
///
/// ```
/// use crm_satisfaction::{Trend, TrendDirection};
/// use chrono::NaiveDate;
/// let t = Trend {
///     period: NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
///     previous: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
///     difference: None,
///     direction: TrendDirection::Insufficient,
/// };
/// assert!(t.difference.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// First day of the period.
    pub period: NaiveDate,
    /// First day of the previous period.
    pub previous: NaiveDate,
    /// Headline difference `period − previous` with its z-test.
    pub difference: Option<Difference>,
    /// The flag.
    pub direction: TrendDirection,
}

/// Trend flags for a series (e.g. [`Timeline::periods`] or [`Timeline::rolling`]): each entry
/// after the first is compared with the one before it using the aggregator's headline test
/// ([`Aggregator::compare`]) and flagged `Up`/`Down` when significant at the configured level.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_satisfaction::{trends, Nps, StatsConfig, TrendDirection};
/// let d = |m| NaiveDate::from_ymd_opt(2024, m, 1).unwrap();
/// let series = vec![(d(1), Nps::from_counts(10, 10, 10)), (d(2), Nps::from_counts(10, 11, 9))];
/// assert_eq!(trends(&series, &StatsConfig::default()).unwrap()[0].direction, TrendDirection::Flat);
/// ```
pub fn trends<A: Aggregator>(
    series: &[(NaiveDate, A)],
    config: &StatsConfig,
) -> Result<Vec<Trend>, SatisfactionError> {
    series
        .windows(2)
        .map(|w| {
            let difference = w[1].1.compare(&w[0].1, config)?;
            let direction = match difference {
                None => TrendDirection::Insufficient,
                Some(d) if d.significant && d.estimate > 0.0 => TrendDirection::Up,
                Some(d) if d.significant && d.estimate < 0.0 => TrendDirection::Down,
                Some(_) => TrendDirection::Flat,
            };
            Ok(Trend {
                period: w[1].0,
                previous: w[0].0,
                difference,
                direction,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ces, Nps};
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn iso_weeks_cross_year_boundaries() {
        let mut t = Timeline::new(TimeBucket::IsoWeek, Nps::new());
        t.add(at(2024, 12, 30), 9).unwrap(); // Monday of 2025-W01
        t.add(at(2025, 1, 5), 9).unwrap(); // Sunday of 2025-W01
        t.add(at(2025, 1, 6), 0).unwrap(); // 2025-W02
        let p = t.periods();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].0, NaiveDate::from_ymd_opt(2024, 12, 30).unwrap());
        assert_eq!(p[0].1.promoters, 2);
    }

    #[test]
    fn trends_flag_down_and_insufficient() {
        let mut t = Timeline::new(TimeBucket::Day, Ces::default());
        for _ in 0..40 {
            t.add(at(2024, 5, 1), 7).unwrap();
            t.add(at(2024, 5, 2), 2).unwrap();
        }
        t.add(at(2024, 5, 4), 2).unwrap();
        let flags = t.trends(&StatsConfig::default()).unwrap();
        let dirs: Vec<_> = flags.iter().map(|f| f.direction).collect();
        assert_eq!(
            dirs,
            vec![
                TrendDirection::Down,
                TrendDirection::Insufficient,
                TrendDirection::Insufficient
            ]
        );
        assert_eq!(flags[0].difference.unwrap().estimate, -5.0);
    }

    #[test]
    fn rolling_rejects_empty_window_and_sums_windows() {
        let mut t = Timeline::new(TimeBucket::Month, Nps::new());
        assert_eq!(t.rolling(0), Err(SatisfactionError::EmptyWindow));
        t.add(at(2024, 1, 31), 10).unwrap();
        t.add(at(2024, 4, 1), 0).unwrap();
        let r = t.rolling(3).unwrap();
        let n: Vec<_> = r.iter().map(|(_, a)| (a.promoters, a.detractors)).collect();
        assert_eq!(n, vec![(1, 0), (1, 0), (1, 0), (0, 1)]);
    }
}
