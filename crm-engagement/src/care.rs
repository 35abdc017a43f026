//! Care reminders: birthdays, anniversaries and holidays within a look-ahead window.
//!
//! Dates are calendar days in the customer's time zone when it is known (UTC otherwise):
//! "today" is the as-of instant's local date, so a customer in Tokyo may already have a
//! birthday that is still tomorrow in New York. 29 February falls on 28 February in
//! years that are not leap years.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use crm_core::{Customer, CustomerId, UserId};
use serde::{Deserialize, Serialize};

/// The day a yearly date falls on in `year`: 29 February falls on 28 February in years
/// that are not leap years.
pub(crate) fn anniversary_in(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
}

/// Why a holiday calendar or reminder request was refused.
///
/// ```
/// use crm_engagement::{CareError, HolidayCalendar};
/// let err = HolidayCalendar::from_json(r#"{"fixed": [{"name": "x", "month": 13, "day": 1}]}"#).unwrap_err();
/// assert_eq!(err.to_string(), "holiday \"x\", month: must be 1 to 12");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CareError {
    /// A holiday breaks a rule; names the holiday and the field.
    #[error("holiday {holiday:?}, {field}: {reason}")]
    InvalidHoliday {
        /// The holiday's name as given.
        holiday: String,
        /// The field at fault.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The calendar text could not be read.
    #[error("holiday calendar ({format}): {message}")]
    Parse {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The reader's message.
        message: String,
    },
    /// A look-ahead window past the last representable date.
    #[error("care reminders: a window of {days} days from {from} leaves the calendar")]
    WindowOutOfRange {
        /// The window asked for.
        days: u32,
        /// The first day.
        from: NaiveDate,
    },
}

/// A holiday on the same month and day every year (29 February on 28 February in other
/// years).
///
/// ```
/// use crm_engagement::FixedHoliday;
/// let h = FixedHoliday { name: "New Year".into(), month: 1, day: 1 };
/// assert_eq!(h.month, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedHoliday {
    /// Its name.
    pub name: String,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month.
    pub day: u32,
}

/// A holiday that moves (lunar, Easter-based), given by its dates.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_engagement::DatedHoliday;
/// let h = DatedHoliday { name: "Lunar New Year".into(), dates: vec![NaiveDate::from_ymd_opt(2025, 1, 29).unwrap()] };
/// assert_eq!(h.dates.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedHoliday {
    /// Its name.
    pub name: String,
    /// The dates it falls on.
    pub dates: Vec<NaiveDate>,
}

/// Holidays as data: fixed dates and dated lists.
///
/// ```
/// use crm_engagement::HolidayCalendar;
/// let cal = HolidayCalendar::from_toml(r#"
///     fixed = [{ name = "Christmas", month = 12, day = 25 }]
///     dated = [{ name = "Lunar New Year", dates = ["2025-01-29", "2026-02-17"] }]
/// "#)?;
/// assert_eq!(cal.dated[0].dates.len(), 2);
/// # Ok::<(), crm_engagement::CareError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HolidayCalendar {
    /// Holidays on fixed dates.
    pub fixed: Vec<FixedHoliday>,
    /// Holidays on listed dates.
    pub dated: Vec<DatedHoliday>,
}

impl HolidayCalendar {
    /// Checks names (non-empty) and fixed dates (a real month and day; 29 February allowed).
    ///
    /// ```
    /// use crm_engagement::{FixedHoliday, HolidayCalendar};
    /// let cal = HolidayCalendar { fixed: vec![FixedHoliday { name: "x".into(), month: 4, day: 31 }], dated: vec![] };
    /// assert!(cal.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), CareError> {
        let bad = |holiday: &str, field, reason| {
            Err(CareError::InvalidHoliday {
                holiday: holiday.to_string(),
                field,
                reason,
            })
        };
        for h in &self.fixed {
            if h.name.trim().is_empty() {
                return bad(&h.name, "name", "must not be empty");
            }
            if !(1..=12).contains(&h.month) {
                return bad(&h.name, "month", "must be 1 to 12");
            }
            // 2000 is a leap year, so 29 February passes.
            if NaiveDate::from_ymd_opt(2000, h.month, h.day).is_none() {
                return bad(&h.name, "day", "is not a day of that month");
            }
        }
        for h in &self.dated {
            if h.name.trim().is_empty() {
                return bad(&h.name, "name", "must not be empty");
            }
        }
        Ok(())
    }

    /// Reads and checks a calendar written in TOML.
    ///
    /// ```
    /// use crm_engagement::HolidayCalendar;
    /// assert!(HolidayCalendar::from_toml("").unwrap().fixed.is_empty());
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, CareError> {
        let cal: HolidayCalendar = toml::from_str(text).map_err(|e| CareError::Parse {
            format: "TOML",
            message: e.to_string(),
        })?;
        cal.validate()?;
        Ok(cal)
    }

    /// Reads and checks a calendar written in JSON.
    ///
    /// ```
    /// use crm_engagement::HolidayCalendar;
    /// assert!(HolidayCalendar::from_json("{}").unwrap().dated.is_empty());
    /// ```
    pub fn from_json(text: &str) -> Result<Self, CareError> {
        let cal: HolidayCalendar = serde_json::from_str(text).map_err(|e| CareError::Parse {
            format: "JSON",
            message: e.to_string(),
        })?;
        cal.validate()?;
        Ok(cal)
    }
}

/// One customer as care reminders see it: the record (birthday, `created_at`, owner), its
/// time zone if known, and the first purchase if known.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind};
/// use crm_engagement::CareSubject;
/// let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
/// let s = CareSubject::new(&c).with_time_zone(chrono_tz::Asia::Tokyo);
/// assert_eq!(s.time_zone, Some(chrono_tz::Asia::Tokyo));
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CareSubject<'a> {
    /// The customer record.
    pub customer: &'a Customer,
    /// The customer's time zone (UTC when `None`).
    pub time_zone: Option<Tz>,
    /// When the customer first bought, if known.
    pub first_purchase: Option<DateTime<Utc>>,
}

impl<'a> CareSubject<'a> {
    /// A subject with no time zone and no first purchase.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, PartyKind};
    /// # use crm_engagement::CareSubject;
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert!(CareSubject::new(&c).time_zone.is_none());
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn new(customer: &'a Customer) -> Self {
        CareSubject {
            customer,
            time_zone: None,
            first_purchase: None,
        }
    }

    /// With the customer's time zone.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, PartyKind};
    /// # use crm_engagement::CareSubject;
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert!(CareSubject::new(&c).with_time_zone(chrono_tz::UTC).time_zone.is_some());
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn with_time_zone(mut self, tz: Tz) -> Self {
        self.time_zone = Some(tz);
        self
    }

    /// With the time of the first purchase.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, PartyKind};
    /// # use crm_engagement::CareSubject;
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// let now = Utc::now();
    /// assert_eq!(CareSubject::new(&c).with_first_purchase(now).first_purchase, Some(now));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn with_first_purchase(mut self, at: DateTime<Utc>) -> Self {
        self.first_purchase = Some(at);
        self
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        match self.time_zone {
            Some(tz) => at.with_timezone(&tz).date_naive(),
            None => at.date_naive(),
        }
    }
}

/// What a reminder is for.
///
/// ```
/// use crm_engagement::Occasion;
/// assert_eq!(serde_json::to_string(&Occasion::FirstPurchase).unwrap(), "\"first_purchase\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    /// The customer's birthday (or an organization's founding day).
    Birthday,
    /// The anniversary of the first purchase.
    FirstPurchase,
    /// The anniversary of the customer's registration (`created_at`).
    Registration,
    /// A holiday from the calendar.
    Holiday,
}

/// One reminder.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_engagement::{CareReminder, Occasion};
/// let r = CareReminder { customer: 1.into(), occasion: Occasion::Birthday, name: None, date: NaiveDate::from_ymd_opt(2025, 2, 28).unwrap(), years: Some(25), days_until: 3 };
/// assert_eq!(r.years, Some(25));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareReminder {
    /// The customer.
    pub customer: CustomerId,
    /// What for.
    pub occasion: Occasion,
    /// The holiday's name (holidays only).
    pub name: Option<String>,
    /// The day, in the customer's time zone.
    pub date: NaiveDate,
    /// The age or the number of years since the first purchase or registration (`None`
    /// for holidays).
    pub years: Option<u32>,
    /// Days from the customer's local today (0: today).
    pub days_until: u32,
}

/// One owner's reminders, soonest first.
///
/// ```
/// use crm_engagement::OwnerReminders;
/// let o = OwnerReminders { owner: None, reminders: vec![] };
/// assert!(o.reminders.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerReminders {
    /// The owner (`None`: customers without an owner).
    pub owner: Option<UserId>,
    /// The reminders, by days until, then customer, then occasion.
    pub reminders: Vec<CareReminder>,
}

/// Care reminders from `as_of` over the next `window_days` days (today included, so 0
/// means today only), grouped by owner (owners in id order, customers without an owner
/// last).
///
/// Birthdays come from `Customer::birthday`, registration anniversaries from `created_at`
/// and first-purchase anniversaries from [`CareSubject::first_purchase`], each as a local
/// date in the customer's time zone; anniversaries start with the first year (no reminder
/// on the day itself). Every customer gets the calendar's holidays.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_core::{Customer, PartyKind};
/// use crm_engagement::{care_reminders, CareSubject, HolidayCalendar, Occasion};
/// let as_of = Utc.with_ymd_and_hms(2025, 2, 27, 12, 0, 0).unwrap();
/// let mut c = Customer::new(1.into(), PartyKind::Person, "Ada", as_of)?;
/// c.birthday = NaiveDate::from_ymd_opt(2000, 2, 29);
/// let r = care_reminders(as_of, 2, &[CareSubject::new(&c)], &HolidayCalendar::default())?;
/// let b = &r[0].reminders[0];
/// assert_eq!((b.occasion, b.date, b.years, b.days_until), (Occasion::Birthday, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap(), Some(25), 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn care_reminders(
    as_of: DateTime<Utc>,
    window_days: u32,
    subjects: &[CareSubject<'_>],
    calendar: &HolidayCalendar,
) -> Result<Vec<OwnerReminders>, CareError> {
    calendar.validate()?;
    let mut by_owner: BTreeMap<Option<UserId>, Vec<CareReminder>> = BTreeMap::new();
    for s in subjects {
        let today = s.local_date(as_of);
        let end = today
            .checked_add_days(Days::new(u64::from(window_days)))
            .ok_or(CareError::WindowOutOfRange {
                days: window_days,
                from: today,
            })?;
        let mut found = Vec::new();
        let mut yearly = |base: NaiveDate, occasion: Occasion| {
            for year in today.year()..=end.year() {
                if year <= base.year() {
                    continue;
                }
                if let Some(d) = anniversary_in(base, year)
                    && d >= today
                    && d <= end
                {
                    found.push(CareReminder {
                        customer: s.customer.id.clone(),
                        occasion,
                        name: None,
                        date: d,
                        years: u32::try_from(year - base.year()).ok(),
                        days_until: days_between(today, d),
                    });
                }
            }
        };
        if let Some(b) = s.customer.birthday {
            yearly(b, Occasion::Birthday);
        }
        if let Some(first) = s.first_purchase {
            yearly(s.local_date(first), Occasion::FirstPurchase);
        }
        yearly(s.local_date(s.customer.created_at), Occasion::Registration);
        let mut holiday = |name: &str, d: NaiveDate| {
            if d >= today && d <= end {
                found.push(CareReminder {
                    customer: s.customer.id.clone(),
                    occasion: Occasion::Holiday,
                    name: Some(name.to_string()),
                    date: d,
                    years: None,
                    days_until: days_between(today, d),
                });
            }
        };
        for h in &calendar.fixed {
            for year in today.year()..=end.year() {
                // Checked by validate(): a real month and day in a leap year.
                if let Some(base) = NaiveDate::from_ymd_opt(2000, h.month, h.day)
                    && let Some(d) = anniversary_in(base, year)
                {
                    holiday(&h.name, d);
                }
            }
        }
        for h in &calendar.dated {
            for &d in &h.dates {
                holiday(&h.name, d);
            }
        }
        by_owner
            .entry(s.customer.owner.clone())
            .or_default()
            .extend(found);
    }
    let mut out: Vec<OwnerReminders> = by_owner
        .into_iter()
        .map(|(owner, mut reminders)| {
            reminders.sort_by(|a, b| {
                (a.days_until, &a.customer, a.occasion, &a.name).cmp(&(
                    b.days_until,
                    &b.customer,
                    b.occasion,
                    &b.name,
                ))
            });
            OwnerReminders { owner, reminders }
        })
        .filter(|o| !o.reminders.is_empty())
        .collect();
    // Owners in id order, customers without an owner last.
    out.sort_by(|a, b| match (&a.owner, &b.owner) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    });
    Ok(out)
}

fn days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    u32::try_from((to - from).num_days()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use crm_core::PartyKind;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn person(id: i64, created: DateTime<Utc>) -> Customer {
        Customer::new(id.into(), PartyKind::Person, "Test", created).unwrap()
    }

    #[test]
    fn leap_day_birthdays_fall_on_28_february_in_other_years() {
        assert_eq!(
            anniversary_in(date(2000, 2, 29), 2023),
            Some(date(2023, 2, 28))
        );
        assert_eq!(
            anniversary_in(date(2000, 2, 29), 2024),
            Some(date(2024, 2, 29))
        );
        assert_eq!(
            anniversary_in(date(1999, 3, 1), 2024),
            Some(date(2024, 3, 1))
        );
        let created = Utc.with_ymd_and_hms(2020, 6, 1, 0, 0, 0).unwrap();
        let mut c = person(1, created);
        c.birthday = Some(date(1996, 2, 29));
        let subjects = [CareSubject::new(&c)];
        let cal = HolidayCalendar::default();
        // 2023: on 28 February, 27 years; not on 1 March.
        let as_of = Utc.with_ymd_and_hms(2023, 2, 28, 8, 0, 0).unwrap();
        let r = care_reminders(as_of, 0, &subjects, &cal).unwrap();
        assert_eq!(r[0].reminders[0].date, date(2023, 2, 28));
        assert_eq!(r[0].reminders[0].years, Some(27));
        let next_day = Utc.with_ymd_and_hms(2023, 3, 1, 8, 0, 0).unwrap();
        assert!(
            care_reminders(next_day, 0, &subjects, &cal)
                .unwrap()
                .is_empty()
        );
        // 2024: on 29 February itself, not on the 28th.
        let r = care_reminders(
            Utc.with_ymd_and_hms(2024, 2, 28, 8, 0, 0).unwrap(),
            1,
            &subjects,
            &cal,
        )
        .unwrap();
        let days: Vec<_> = r[0]
            .reminders
            .iter()
            .map(|x| (x.date, x.days_until))
            .collect();
        assert_eq!(days, [(date(2024, 2, 29), 1)]);
    }

    #[test]
    fn time_zones_across_midnight() {
        // 23:30 UTC on 9 March: already 10 March in Tokyo, still 9 March in Los Angeles.
        let as_of = Utc.with_ymd_and_hms(2024, 3, 9, 23, 30, 0).unwrap();
        let created = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let mut c = person(1, created);
        c.birthday = Some(date(1990, 3, 10));
        let cal = HolidayCalendar::default();
        let tokyo = [CareSubject::new(&c).with_time_zone(chrono_tz::Asia::Tokyo)];
        let r = care_reminders(as_of, 0, &tokyo, &cal).unwrap();
        assert_eq!(r[0].reminders[0].days_until, 0);
        assert_eq!(r[0].reminders[0].years, Some(34));
        let utc = [CareSubject::new(&c)];
        assert!(care_reminders(as_of, 0, &utc, &cal).unwrap().is_empty());
        assert_eq!(
            care_reminders(as_of, 1, &utc, &cal).unwrap()[0].reminders[0].days_until,
            1
        );
        // A birthday on 9 March: today in Los Angeles, over in Tokyo (next year's is far).
        c.birthday = Some(date(1990, 3, 9));
        let la = [CareSubject::new(&c).with_time_zone(chrono_tz::America::Los_Angeles)];
        assert_eq!(
            care_reminders(as_of, 0, &la, &cal).unwrap()[0].reminders[0].date,
            date(2024, 3, 9)
        );
        let tokyo = [CareSubject::new(&c).with_time_zone(chrono_tz::Asia::Tokyo)];
        assert!(care_reminders(as_of, 30, &tokyo, &cal).unwrap().is_empty());
        // Registration late on 31 December UTC is 1 January in Tokyo.
        let late = Utc.with_ymd_and_hms(2022, 12, 31, 20, 0, 0).unwrap();
        let d = person(2, late);
        let new_year = Utc.with_ymd_and_hms(2023, 12, 31, 16, 0, 0).unwrap(); // 1 Jan 01:00 Tokyo
        let r = care_reminders(
            new_year,
            0,
            &[CareSubject::new(&d).with_time_zone(chrono_tz::Asia::Tokyo)],
            &cal,
        )
        .unwrap();
        let got: Vec<_> = r[0]
            .reminders
            .iter()
            .map(|x| (x.occasion, x.date, x.years))
            .collect();
        assert_eq!(got, [(Occasion::Registration, date(2024, 1, 1), Some(1))]);
    }

    #[test]
    fn anniversaries_holidays_and_owners() {
        let as_of = Utc.with_ymd_and_hms(2025, 1, 25, 9, 0, 0).unwrap();
        let mut a = person(1, Utc.with_ymd_and_hms(2023, 2, 1, 10, 0, 0).unwrap());
        a.owner = Some("rep.b".parse().unwrap());
        let mut b = person(2, Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap());
        b.owner = Some("rep.a".parse().unwrap());
        let c = person(3, Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap());
        let cal = HolidayCalendar::from_json(
            r#"{"fixed": [{"name": "Valentine", "month": 2, "day": 14}],
                "dated": [{"name": "Lunar New Year", "dates": ["2025-01-29", "2026-02-17"]}]}"#,
        )
        .unwrap();
        let subjects = [
            CareSubject::new(&a)
                .with_first_purchase(Utc.with_ymd_and_hms(2024, 1, 28, 0, 0, 0).unwrap()),
            CareSubject::new(&b),
            CareSubject::new(&c),
        ];
        let r = care_reminders(as_of, 10, &subjects, &cal).unwrap();
        let owners: Vec<_> = r
            .iter()
            .map(|o| o.owner.as_ref().map(|u| u.to_string()))
            .collect();
        assert_eq!(owners, [Some("rep.a".into()), Some("rep.b".into()), None]);
        let of_a: Vec<_> = r[1]
            .reminders
            .iter()
            .map(|x| (x.occasion, x.days_until, x.years))
            .collect();
        assert_eq!(
            of_a,
            [
                (Occasion::FirstPurchase, 3, Some(1)),
                (Occasion::Holiday, 4, None),
                (Occasion::Registration, 7, Some(2)),
            ]
        );
        assert_eq!(r[1].reminders[1].name.as_deref(), Some("Lunar New Year"));
        // b registered this year: only the holiday.
        assert_eq!(r[0].reminders.len(), 1);
        let r = care_reminders(as_of, 30, &subjects[2..], &cal).unwrap();
        let names: Vec<_> = r[0]
            .reminders
            .iter()
            .map(|x| x.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["Lunar New Year", "Valentine"]);
        assert!(matches!(
            care_reminders(as_of, u32::MAX, &subjects, &cal),
            Err(CareError::WindowOutOfRange { .. })
        ));
    }

    #[test]
    fn calendars_are_checked() {
        let err = HolidayCalendar::from_toml("fixed = [{ name = \"x\", month = 2, day = 30 }]")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "holiday \"x\", day: is not a day of that month"
        );
        assert!(
            HolidayCalendar::from_toml("fixed = [{ name = \"Leap\", month = 2, day = 29 }]")
                .is_ok()
        );
        assert!(matches!(
            HolidayCalendar::from_toml("fixed = 1"),
            Err(CareError::Parse { .. })
        ));
    }

    proptest! {
        #[test]
        fn reminders_never_panic_and_stay_in_the_window(
            secs in -5_000_000_000i64..5_000_000_000, window in 0u32..800,
            birth in 0i32..100_000, tz in 0usize..3,
        ) {
            let as_of = DateTime::from_timestamp(secs, 0).unwrap();
            let mut c = person(1, as_of - chrono::Duration::days(400));
            c.birthday = NaiveDate::from_num_days_from_ce_opt(600_000 + birth);
            let zones = [chrono_tz::Pacific::Kiritimati, chrono_tz::Pacific::Pago_Pago, chrono_tz::UTC];
            let s = [CareSubject::new(&c).with_time_zone(zones[tz])];
            let cal = HolidayCalendar { fixed: vec![FixedHoliday { name: "Leap".into(), month: 2, day: 29 }], dated: vec![] };
            let r = care_reminders(as_of, window, &s, &cal).unwrap();
            for o in &r {
                for x in &o.reminders {
                    prop_assert!(x.days_until <= window);
                }
            }
        }
    }
}
