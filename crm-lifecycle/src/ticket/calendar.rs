//! Business-hours calendars: a weekly schedule in a time zone, minus holidays.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Opening hours on one weekday, `start` inclusive to `end` exclusive, local time.
///
/// ```
/// use chrono::{NaiveTime, Weekday};
/// use crm_lifecycle::OpeningHours;
/// let h = OpeningHours {
///     weekday: Weekday::Sat,
///     start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
///     end: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
/// };
/// assert_eq!(h.weekday, Weekday::Sat);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// The day of the week.
    pub weekday: Weekday,
    /// Opening time.
    pub start: NaiveTime,
    /// Closing time (after `start`; windows do not cross midnight).
    pub end: NaiveTime,
}

/// Why a calendar could not be built.
///
/// ```
/// use chrono::{NaiveTime, Weekday};
/// use chrono_tz::UTC;
/// use crm_lifecycle::{BusinessCalendar, CalendarError};
/// let t = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
/// let err = BusinessCalendar::weekdays(UTC, t, t).unwrap_err();
/// assert!(matches!(err, CalendarError::EmptyWindow { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// Opening hours whose end is not after their start.
    #[error("opening hours on {weekday}: end {end} is not after start {start}")]
    EmptyWindow {
        /// The weekday.
        weekday: Weekday,
        /// The opening time.
        start: NaiveTime,
        /// The closing time.
        end: NaiveTime,
    },
    /// Two windows on the same weekday overlap.
    #[error(
        "opening hours on {weekday}: {first_start}-{first_end} overlaps {second_start}-{second_end}"
    )]
    Overlap {
        /// The weekday.
        weekday: Weekday,
        /// Start of the earlier window.
        first_start: NaiveTime,
        /// End of the earlier window.
        first_end: NaiveTime,
        /// Start of the later window.
        second_start: NaiveTime,
        /// End of the later window.
        second_end: NaiveTime,
    },
    /// The schedule has no opening hours at all, so no SLA clock could ever run.
    #[error("the weekly schedule has no opening hours")]
    NoOpeningHours,
}

#[derive(Deserialize)]
struct CalendarSpec {
    time_zone: Tz,
    weekly: Vec<OpeningHours>,
    #[serde(default)]
    holidays: BTreeSet<NaiveDate>,
}

impl TryFrom<CalendarSpec> for BusinessCalendar {
    type Error = CalendarError;

    fn try_from(spec: CalendarSpec) -> Result<Self, Self::Error> {
        BusinessCalendar::new(spec.time_zone, spec.weekly, spec.holidays)
    }
}

/// A weekly schedule of opening hours in a time zone, with holidays.
///
/// [`BusinessCalendar::working_time`] measures how much of an interval of UTC time falls in
/// working hours. Opening hours are local wall-clock times in the calendar's IANA time zone
/// (`chrono-tz`), so daylight-saving changes are honoured; a window starting in a
/// spring-forward gap starts when the clock reappears. Holidays are local dates.
///
/// ```
/// use chrono::{NaiveTime, TimeDelta, TimeZone, Weekday};
/// use chrono_tz::Europe::Berlin;
/// use crm_lifecycle::BusinessCalendar;
///
/// let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
/// let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
/// let cal = BusinessCalendar::weekdays(Berlin, nine, five)?;
/// // Friday 16:00 to Monday 10:00, Berlin time: 1 h on Friday and 1 h on Monday.
/// let fri = Berlin.with_ymd_and_hms(2024, 3, 8, 16, 0, 0).unwrap().to_utc();
/// let mon = Berlin.with_ymd_and_hms(2024, 3, 11, 10, 0, 0).unwrap().to_utc();
/// assert_eq!(cal.working_time(fri, mon), TimeDelta::hours(2));
/// # Ok::<(), crm_lifecycle::CalendarError>(())
/// ```
///
/// Serialized as `{"time_zone": "Europe/Berlin", "weekly": [...], "holidays": [...]}`;
/// deserializing checks the schedule like [`BusinessCalendar::new`].
///
/// ```
/// use chrono::NaiveTime;
/// use crm_lifecycle::BusinessCalendar;
/// let cal = BusinessCalendar::weekdays(
///     chrono_tz::America::New_York,
///     NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
///     NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
/// )?;
/// let json = serde_json::to_string(&cal).unwrap();
/// assert!(json.contains("America/New_York"));
/// let back: BusinessCalendar = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, cal);
/// # Ok::<(), crm_lifecycle::CalendarError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarSpec")]
pub struct BusinessCalendar {
    time_zone: Tz,
    weekly: Vec<OpeningHours>,
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// A calendar from a weekly schedule and holidays; windows must be non-empty and must not
    /// overlap on the same weekday.
    ///
    /// ```
    /// use chrono::{NaiveDate, NaiveTime, Weekday};
    /// use crm_lifecycle::{BusinessCalendar, OpeningHours};
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// let cal = BusinessCalendar::new(
    ///     chrono_tz::Asia::Tokyo,
    ///     vec![
    ///         OpeningHours { weekday: Weekday::Mon, start: t(9), end: t(12) },
    ///         OpeningHours { weekday: Weekday::Mon, start: t(13), end: t(18) },
    ///     ],
    ///     [NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()].into(),
    /// )?;
    /// assert_eq!(cal.weekly().len(), 2);
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn new(
        time_zone: Tz,
        mut weekly: Vec<OpeningHours>,
        holidays: BTreeSet<NaiveDate>,
    ) -> Result<Self, CalendarError> {
        if weekly.is_empty() {
            return Err(CalendarError::NoOpeningHours);
        }
        for w in &weekly {
            if w.end <= w.start {
                return Err(CalendarError::EmptyWindow {
                    weekday: w.weekday,
                    start: w.start,
                    end: w.end,
                });
            }
        }
        weekly.sort_by_key(|w| (w.weekday.num_days_from_monday(), w.start));
        for pair in weekly.windows(2) {
            if pair[0].weekday == pair[1].weekday && pair[1].start < pair[0].end {
                return Err(CalendarError::Overlap {
                    weekday: pair[0].weekday,
                    first_start: pair[0].start,
                    first_end: pair[0].end,
                    second_start: pair[1].start,
                    second_end: pair[1].end,
                });
            }
        }
        Ok(Self {
            time_zone,
            weekly,
            holidays,
        })
    }

    /// Monday to Friday, the same hours every day, no holidays.
    ///
    /// ```
    /// use chrono::NaiveTime;
    /// use crm_lifecycle::BusinessCalendar;
    /// let cal = BusinessCalendar::weekdays(
    ///     chrono_tz::UTC,
    ///     NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
    ///     NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
    /// )?;
    /// assert_eq!(cal.weekly().len(), 5);
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn weekdays(
        time_zone: Tz,
        start: NaiveTime,
        end: NaiveTime,
    ) -> Result<Self, CalendarError> {
        let weekly = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|weekday| OpeningHours {
            weekday,
            start,
            end,
        })
        .collect();
        Self::new(time_zone, weekly, BTreeSet::new())
    }

    /// The same calendar with more holidays.
    ///
    /// ```
    /// use chrono::{NaiveDate, NaiveTime};
    /// use crm_lifecycle::BusinessCalendar;
    /// let cal = BusinessCalendar::weekdays(chrono_tz::UTC,
    ///     NaiveTime::from_hms_opt(9, 0, 0).unwrap(), NaiveTime::from_hms_opt(17, 0, 0).unwrap())?
    ///     .with_holidays([NaiveDate::from_ymd_opt(2024, 12, 25).unwrap()]);
    /// assert_eq!(cal.holidays().len(), 1);
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn with_holidays(mut self, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.holidays.extend(holidays);
        self
    }

    /// The time zone.
    ///
    /// ```
    /// use chrono::NaiveTime;
    /// use crm_lifecycle::BusinessCalendar;
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// let cal = BusinessCalendar::weekdays(chrono_tz::Europe::Paris, t(9), t(17))?;
    /// assert_eq!(cal.time_zone(), chrono_tz::Europe::Paris);
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// The weekly schedule, sorted by weekday (Monday first) and opening time.
    ///
    /// ```
    /// use chrono::{NaiveTime, Weekday};
    /// use crm_lifecycle::BusinessCalendar;
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// let cal = BusinessCalendar::weekdays(chrono_tz::UTC, t(9), t(17))?;
    /// assert_eq!(cal.weekly()[0].weekday, Weekday::Mon);
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn weekly(&self) -> &[OpeningHours] {
        &self.weekly
    }

    /// The holidays (local dates on which nothing is open).
    ///
    /// ```
    /// use chrono::NaiveTime;
    /// use crm_lifecycle::BusinessCalendar;
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// assert!(BusinessCalendar::weekdays(chrono_tz::UTC, t(9), t(17))?.holidays().is_empty());
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// The UTC instant of a local wall-clock time: the earlier of two in a fall-back overlap,
    /// the first instant after the gap in a spring-forward gap.
    fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        if let Some(t) = self.time_zone.from_local_datetime(&local).earliest() {
            return t.to_utc();
        }
        // Inside a gap: step forward minute by minute (gaps are at most a few hours).
        let mut probe = local;
        for _ in 0..(24 * 60) {
            probe += TimeDelta::minutes(1);
            if let Some(t) = self.time_zone.from_local_datetime(&probe).earliest() {
                return t.to_utc();
            }
        }
        self.time_zone.from_utc_datetime(&local).to_utc()
    }

    /// How much of `[start, end)` lies within opening hours (zero when `end <= start`).
    ///
    /// ```
    /// use chrono::{NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::BusinessCalendar;
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// let cal = BusinessCalendar::weekdays(chrono_tz::UTC, t(9), t(17))?
    ///     .with_holidays([NaiveDate::from_ymd_opt(2024, 3, 6).unwrap()]); // a Wednesday
    /// let mon = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap();
    /// // One calendar week: 5 days × 8 h minus the holiday.
    /// assert_eq!(cal.working_time(mon, mon + TimeDelta::days(7)), TimeDelta::hours(32));
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn working_time(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> TimeDelta {
        if end <= start {
            return TimeDelta::zero();
        }
        let first = start.with_timezone(&self.time_zone).date_naive();
        let last = end.with_timezone(&self.time_zone).date_naive();
        let mut total = TimeDelta::zero();
        let mut day = first;
        while day <= last {
            if !self.holidays.contains(&day) {
                let weekday = day.weekday();
                for w in self.weekly.iter().filter(|w| w.weekday == weekday) {
                    let open = self.to_utc(day.and_time(w.start));
                    let close = self.to_utc(day.and_time(w.end));
                    let from = open.max(start);
                    let to = close.min(end);
                    if to > from {
                        total += to - from;
                    }
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Berlin
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .to_utc()
    }

    #[test]
    fn weekend_is_skipped() {
        let cal = BusinessCalendar::weekdays(Berlin, t(9, 0), t(17, 0)).unwrap();
        // Fri 2024-03-08 15:30 → Mon 2024-03-11 09:45: 1.5 h + 0.75 h.
        assert_eq!(
            cal.working_time(berlin(2024, 3, 8, 15, 30), berlin(2024, 3, 11, 9, 45)),
            TimeDelta::minutes(90 + 45)
        );
        // Entirely inside the weekend.
        assert_eq!(
            cal.working_time(berlin(2024, 3, 9, 8, 0), berlin(2024, 3, 10, 20, 0)),
            TimeDelta::zero()
        );
        assert_eq!(
            cal.working_time(berlin(2024, 3, 10, 0, 0), berlin(2024, 3, 9, 0, 0)),
            TimeDelta::zero()
        );
    }

    #[test]
    fn daylight_saving_days_count_wall_clock_hours() {
        // Berlin springs forward on Sunday 2024-03-31 02:00 → 03:00; open every day 01:00-04:00.
        let weekly = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .map(|weekday| OpeningHours {
            weekday,
            start: t(1, 0),
            end: t(4, 0),
        })
        .collect();
        let cal = BusinessCalendar::new(Berlin, weekly, BTreeSet::new()).unwrap();
        let day = |d| cal.working_time(berlin(2024, 3, d, 0, 0), berlin(2024, 3, d, 12, 0));
        assert_eq!(day(30), TimeDelta::hours(3));
        assert_eq!(day(31), TimeDelta::hours(2)); // the 02:00-03:00 hour does not exist
        // and falls back on 2024-10-27 03:00 → 02:00, so that day has a 4-hour window
        let oct = cal.working_time(
            Berlin
                .with_ymd_and_hms(2024, 10, 27, 0, 0, 0)
                .unwrap()
                .to_utc(),
            Berlin
                .with_ymd_and_hms(2024, 10, 27, 12, 0, 0)
                .unwrap()
                .to_utc(),
        );
        assert_eq!(oct, TimeDelta::hours(4));
    }

    #[test]
    fn schedule_errors_are_typed() {
        let w = |weekday, s, e| OpeningHours {
            weekday,
            start: s,
            end: e,
        };
        assert_eq!(
            BusinessCalendar::new(Berlin, vec![], BTreeSet::new()),
            Err(CalendarError::NoOpeningHours)
        );
        let err = BusinessCalendar::new(
            Berlin,
            vec![
                w(Weekday::Tue, t(13, 0), t(18, 0)),
                w(Weekday::Tue, t(9, 0), t(13, 30)),
            ],
            BTreeSet::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("Tue"), "{err}");
        assert!(matches!(err, CalendarError::Overlap { .. }));
        let json = r#"{"time_zone":"Europe/Berlin","weekly":[{"weekday":"Mon","start":"10:00:00","end":"09:00:00"}]}"#;
        assert!(serde_json::from_str::<BusinessCalendar>(json).is_err());
        let json = r#"{"time_zone":"Mars/Olympus","weekly":[{"weekday":"Mon","start":"09:00:00","end":"10:00:00"}]}"#;
        assert!(serde_json::from_str::<BusinessCalendar>(json).is_err());
    }
}
