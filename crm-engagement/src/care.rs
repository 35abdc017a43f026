//! Care reminders: birthdays, anniversaries and holidays within a look-ahead window.

use chrono::NaiveDate;

/// The day a yearly date falls on in `year`: 29 February falls on 28 February in years
/// that are not leap years.
pub(crate) fn anniversary_in(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    use chrono::Datelike;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
}
