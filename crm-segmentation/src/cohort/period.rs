//! Calendar periods of a cohort table: ISO weeks, months and quarters (UTC), numbered
//! consecutively so that "periods since acquisition" is a subtraction.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::SegmentationError;

/// The length of a cohort period: customers are grouped by the period of their first
/// purchase, and their activity is counted per period since then.
///
/// Periods are calendar periods of UTC dates: ISO weeks (Monday 00:00 to Sunday 23:59:59),
/// months and quarters (January to March is Q1).
///
/// ```
/// use chrono::NaiveDate;
/// use crm_segmentation::CohortPeriod;
/// let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(CohortPeriod::default(), CohortPeriod::Month);
/// assert_eq!(CohortPeriod::Month.label(day(2024, 1, 31)), "2024-01");
/// assert_eq!(CohortPeriod::Quarter.label(day(2024, 5, 2)), "2024-Q2");
/// // 2024-12-30 is the Monday of ISO week 1 of 2025.
/// assert_eq!(CohortPeriod::Week.label(day(2024, 12, 30)), "2025-W01");
/// assert_eq!("week".parse::<CohortPeriod>()?, CohortPeriod::Week);
/// assert_eq!(CohortPeriod::Quarter.to_string(), "quarter");
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortPeriod {
    /// ISO weeks, starting on Monday; labelled `2024-W05` by ISO week-numbering year.
    Week,
    /// Calendar months; labelled `2024-01`.
    #[default]
    Month,
    /// Calendar quarters; labelled `2024-Q1`.
    Quarter,
}

impl CohortPeriod {
    /// Every period length, shortest first.
    ///
    /// ```
    /// use crm_segmentation::CohortPeriod;
    /// let names: Vec<String> = CohortPeriod::ALL.iter().map(|p| p.to_string()).collect();
    /// assert_eq!(names, ["week", "month", "quarter"]);
    /// ```
    pub const ALL: [CohortPeriod; 3] = [
        CohortPeriod::Week,
        CohortPeriod::Month,
        CohortPeriod::Quarter,
    ];

    /// The name of the period length, as serde and [`FromStr`] spell it.
    ///
    /// ```
    /// use crm_segmentation::CohortPeriod;
    /// assert_eq!(CohortPeriod::Week.name(), "week");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            CohortPeriod::Week => "week",
            CohortPeriod::Month => "month",
            CohortPeriod::Quarter => "quarter",
        }
    }

    /// The label of the period that contains `date`: `2024-W05`, `2024-01` or `2024-Q1`.
    ///
    /// A week belongs to the ISO week-numbering year of its Thursday, so the last days of
    /// December can be in week 1 of the next year, and the first days of January in week
    /// 52 or 53 of the year before.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_segmentation::CohortPeriod;
    /// let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// assert_eq!(CohortPeriod::Week.label(day(2021, 1, 3)), "2020-W53");
    /// assert_eq!(CohortPeriod::Week.label(day(2024, 1, 29)), "2024-W05");
    /// assert_eq!(CohortPeriod::Month.label(day(2024, 2, 29)), "2024-02");
    /// assert_eq!(CohortPeriod::Quarter.label(day(2024, 12, 31)), "2024-Q4");
    /// ```
    pub fn label(self, date: NaiveDate) -> String {
        self.label_of(self.index(date))
    }

    /// The first day of the period that contains `date` (for the week of the earliest
    /// date chrono represents, that date).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_segmentation::CohortPeriod;
    /// let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// assert_eq!(CohortPeriod::Week.start(day(2024, 3, 3)), day(2024, 2, 26)); // a Sunday
    /// assert_eq!(CohortPeriod::Week.start(day(2024, 3, 4)), day(2024, 3, 4)); // a Monday
    /// assert_eq!(CohortPeriod::Month.start(day(2024, 2, 29)), day(2024, 2, 1));
    /// assert_eq!(CohortPeriod::Quarter.start(day(2024, 6, 30)), day(2024, 4, 1));
    /// ```
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        self.first_day(self.index(date)).unwrap_or(date)
    }

    /// The consecutive number of the period that contains `date`: months and quarters
    /// since year 0, weeks since the week of 0001-01-01 (a Monday).
    pub(crate) fn index(self, date: NaiveDate) -> i32 {
        match self {
            CohortPeriod::Week => (date.num_days_from_ce() - 1).div_euclid(7),
            CohortPeriod::Month => date.year() * 12 + date.month0() as i32,
            CohortPeriod::Quarter => date.year() * 4 + (date.month0() / 3) as i32,
        }
    }

    /// The days of a period that chrono represents, as days from the common era.
    fn days(self, index: i32) -> Option<(i32, i32)> {
        let (first, next) = match self {
            CohortPeriod::Week => {
                let first = index.checked_mul(7)?.checked_add(1)?;
                (first, first.checked_add(7)?)
            }
            CohortPeriod::Month | CohortPeriod::Quarter => {
                let months = if self == CohortPeriod::Month { 1 } else { 3 };
                let start = index.checked_mul(months)?;
                let day_of = |month: i32| {
                    NaiveDate::from_ymd_opt(
                        month.div_euclid(12),
                        month.rem_euclid(12) as u32 + 1,
                        1,
                    )
                    .map(|d| d.num_days_from_ce())
                };
                let first = day_of(start)?;
                // The day after the last chrono represents, for the last month.
                let next = match day_of(start.checked_add(months)?) {
                    Some(d) => d,
                    None => NaiveDate::MAX.num_days_from_ce().checked_add(1)?,
                };
                (first, next)
            }
        };
        let lo = first.max(NaiveDate::MIN.num_days_from_ce());
        let hi = next.min(NaiveDate::MAX.num_days_from_ce().checked_add(1)?);
        (lo < hi).then_some((lo, hi))
    }

    /// The first day of period `index` that chrono represents; `None` for a period outside
    /// chrono's dates.
    pub(crate) fn first_day(self, index: i32) -> Option<NaiveDate> {
        let (first, _) = self.days(index)?;
        NaiveDate::from_num_days_from_ce_opt(first)
    }

    /// Whether period `index` holds a date chrono represents.
    pub(crate) fn is_valid(self, index: i32) -> bool {
        self.days(index).is_some()
    }

    /// The label of period `index` (see [`label`](Self::label)).
    pub(crate) fn label_of(self, index: i32) -> String {
        match self {
            CohortPeriod::Week => match self.first_day(index) {
                Some(day) => {
                    let week = day.iso_week();
                    format!("{:04}-W{:02}", week.year(), week.week())
                }
                // Not a period of any date: no input produces it.
                None => format!("week {index}"),
            },
            CohortPeriod::Month => {
                format!(
                    "{:04}-{:02}",
                    index.div_euclid(12),
                    index.rem_euclid(12) + 1
                )
            }
            CohortPeriod::Quarter => {
                format!("{:04}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1)
            }
        }
    }
}

impl fmt::Display for CohortPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CohortPeriod {
    type Err = SegmentationError;

    /// Reads `week`, `month` or `quarter` (any case; see the example on [`CohortPeriod`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CohortPeriod::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| SegmentationError::UnknownPeriod {
                name: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(day(1, 1, 1).weekday(), chrono::Weekday::Mon);
        let mut d = day(2023, 12, 1);
        while d < day(2025, 2, 1) {
            let i = CohortPeriod::Week.index(d);
            let monday = CohortPeriod::Week.first_day(i).unwrap();
            assert_eq!(monday.weekday(), chrono::Weekday::Mon, "{d}");
            assert!(monday <= d && (d - monday).num_days() < 7, "{d}");
            assert_eq!(CohortPeriod::Week.label(d), {
                let w = d.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            });
            d = d.succ_opt().unwrap();
        }
    }

    #[test]
    fn consecutive_numbers() {
        for p in CohortPeriod::ALL {
            let a = p.index(day(2023, 12, 31));
            let b = p.index(day(2024, 1, 1));
            assert_eq!(b - a, 1, "{p}");
            assert_eq!(p.first_day(b), Some(day(2024, 1, 1)), "{p}");
        }
        assert_eq!(
            CohortPeriod::Quarter.label_of(CohortPeriod::Quarter.index(day(-1, 12, 31))),
            "-001-Q4"
        );
    }

    #[test]
    fn the_ends_of_the_calendar() {
        for p in CohortPeriod::ALL {
            for d in [NaiveDate::MIN, NaiveDate::MAX] {
                let i = p.index(d);
                assert!(p.is_valid(i), "{p} {d}");
                assert!(p.first_day(i).is_some(), "{p} {d}");
                assert!(p.start(d) <= d);
                assert!(!p.label(d).is_empty());
            }
            assert!(!p.is_valid(p.index(NaiveDate::MIN) - 1), "{p}");
            assert!(!p.is_valid(p.index(NaiveDate::MAX) + 1), "{p}");
            for i in [i32::MIN, i32::MAX, -1_000_000_000, 1_000_000_000] {
                assert!(!p.is_valid(i));
                assert!(p.first_day(i).is_none());
                let _ = p.label_of(i);
            }
        }
    }

    #[test]
    fn parses_names() {
        assert_eq!(" Month ".parse::<CohortPeriod>(), Ok(CohortPeriod::Month));
        assert!(matches!(
            "fortnight".parse::<CohortPeriod>(),
            Err(SegmentationError::UnknownPeriod { .. })
        ));
    }
}
