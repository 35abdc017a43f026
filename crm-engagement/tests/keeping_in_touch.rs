//! Keeping in touch end to end: a cadence policy read from TOML over customers and
//! interactions, care reminders for the same customers, and a loyalty programme from
//! purchases to the programme's figures.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use crm_core::{Channel, ConsentChannel, Customer, Direction, Interaction, PartyKind, Transaction};
use crm_engagement::{
    AbcClass, CadencePolicy, CadenceSubject, CareSubject, HolidayCalendar, LoyaltyProgramme,
    Occasion, care_reminders, due, earn_from, ledger, member_tiers, programme_report,
    qualifying_points, share_within_cadence,
};

#[test]
fn a_month_of_keeping_in_touch() {
    let as_of = Utc.with_ymd_and_hms(2025, 2, 27, 18, 0, 0).unwrap();
    let policy = CadencePolicy::from_toml(
        r#"
        [[rules]]
        name = "key accounts"
        match = { abc_classes = ["A"] }
        max_interval_days = 30
        channels = ["phone", "email"]
        counts = { directions = ["outbound"] }

        [default]
        name = "everyone"
        max_interval_days = 90
        channels = ["email"]
        "#,
    )
    .unwrap();
    let created = Utc.with_ymd_and_hms(2023, 2, 28, 9, 0, 0).unwrap();
    let mut ada = Customer::new(1.into(), PartyKind::Person, "Ada", created).unwrap();
    ada.owner = Some("rep.jane".parse().unwrap());
    ada.birthday = NaiveDate::from_ymd_opt(1992, 2, 29);
    ada.give_consent(ConsentChannel::Phone, created);
    ada.give_consent(ConsentChannel::Email, created);
    let mut bo = Customer::new(2.into(), PartyKind::Person, "Bo", created).unwrap();
    bo.owner = Some("rep.jane".parse().unwrap());
    let interactions = [
        // Ada called in (inbound does not count for key accounts) and was mailed 35 days ago.
        Interaction::new(
            1.into(),
            1.into(),
            Channel::Phone,
            Direction::Inbound,
            as_of - Duration::days(3),
        ),
        Interaction::new(
            2.into(),
            1.into(),
            Channel::Email,
            Direction::Outbound,
            as_of - Duration::days(35),
        ),
        Interaction::new(
            3.into(),
            2.into(),
            Channel::Email,
            Direction::Outbound,
            as_of - Duration::days(10),
        ),
    ];
    let subjects = [
        CadenceSubject::new(&ada).with_abc_class(AbcClass::A),
        CadenceSubject::new(&bo).with_abc_class(AbcClass::C),
    ];
    let report = due(as_of, &subjects, &interactions, &policy).unwrap();
    assert_eq!(report.due.len(), 1);
    let d = &report.due[0];
    assert_eq!(
        (d.customer.clone(), &*d.rule, d.days_overdue),
        (1.into(), "key accounts", Some(5))
    );
    assert_eq!(d.channel, Some(ConsentChannel::Phone)); // she answered by phone
    assert_eq!(share_within_cadence(&report), Some(0.5));

    // Care: in Tokyo it is already 28 February, Ada's birthday this year and the second
    // anniversary of her registration.
    let care = care_reminders(
        as_of,
        0,
        &[CareSubject::new(&ada).with_time_zone(chrono_tz::Asia::Tokyo)],
        &HolidayCalendar::default(),
    )
    .unwrap();
    let occasions: Vec<_> = care[0]
        .reminders
        .iter()
        .map(|r| (r.occasion, r.years))
        .collect();
    assert_eq!(
        occasions,
        [
            (Occasion::Birthday, Some(33)),
            (Occasion::Registration, Some(2))
        ]
    );

    // Loyalty: purchases and a refund to the programme's figures.
    let programme = LoyaltyProgramme::from_toml(
        r#"
        currency = "EUR"
        points_per_unit = "1"
        point_value = "0.01"
        expiry_months = 12
        bonuses = { first_purchase = 100 }
        qualification = { measure = "points", window_months = 12, review_month = 1, review_day = 1, grace_months = 2 }
        tiers = [
            { name = "member", threshold = "0", multiplier = "1" },
            { name = "gold", threshold = "500", multiplier = "2" },
        ]
        "#,
    )
    .unwrap();
    let t = |m, d| Utc.with_ymd_and_hms(2024, m, d, 12, 0, 0).unwrap();
    let txs = [
        Transaction::new(
            "T1".parse().unwrap(),
            1.into(),
            t(1, 5),
            "450.00 EUR".parse().unwrap(),
        ),
        Transaction::new(
            "T2".parse().unwrap(),
            1.into(),
            t(2, 5),
            "-50.00 EUR".parse().unwrap(),
        ),
        Transaction::new(
            "T3".parse().unwrap(),
            2.into(),
            t(3, 5),
            "20.00 EUR".parse().unwrap(),
        ),
    ];
    let events = earn_from(&txs, &programme, &BTreeMap::new()).unwrap();
    let l = ledger(&events, &programme).unwrap();
    assert_eq!(l.balance(&1.into(), t(3, 1)), 450 + 100 - 50);
    let tiers = member_tiers(qualifying_points(&l), &programme, as_of).unwrap();
    // 550 earned points within the window: gold at once on 5 January 2024.
    assert_eq!(tiers.tier_at(&1.into(), t(1, 6)), Some("gold"));
    let figures = programme_report(&l, &tiers, &programme, t(1, 1), as_of).unwrap();
    // Earned: 450 + 100 bonus for Ada, 20 + 100 bonus for Bo. Ada's 500 left after the
    // refund expired on 5 January 2025; Bo's 120 expire on 5 March 2025, after the as-of.
    assert_eq!(
        (figures.earned, figures.expired, figures.outstanding),
        (670, 500, 120)
    );
    assert_eq!(figures.liability.to_string(), "1.20 EUR");
    // Ada still qualifies for gold at the 2025 review (5 January 2024 is in the window).
    assert_eq!(figures.members_per_tier.get("gold"), Some(&1));
    assert_eq!(figures.members_per_tier.get("member"), Some(&1));
}
