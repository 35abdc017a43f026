use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{Currency, Customer, LoyaltyEvent, LoyaltyEventKind, PartyKind, Transaction};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn ev(id: i64, kind: LoyaltyEventKind, at: DateTime<Utc>, points: i64) -> LoyaltyEvent {
    let mut e = LoyaltyEvent::new(id.into(), 7.into(), kind, at, points);
    if kind == LoyaltyEventKind::Adjust {
        e.reason = Some("correction".into());
    }
    e
}

fn programme(expiry: Option<u32>) -> LoyaltyProgramme {
    let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, dec!(0.01));
    p.expiry_months = expiry;
    p
}

use LoyaltyEventKind::{Adjust, Earn, Expire, Redeem};

#[test]
fn fifo_expiry_across_a_redemption() {
    // 100 earned on 1 Jan, 50 on 1 Mar; 12-month expiry. Redeeming 120 on 1 Apr takes the
    // 100 of January and 20 of March: nothing expires on 1 Jan 2025, 30 on 1 Mar 2025.
    let p = programme(Some(12));
    let events = [
        ev(1, Earn, day(2024, 1, 1), 100),
        ev(2, Earn, day(2024, 3, 1), 50),
        ev(3, Redeem, day(2024, 4, 1), -120),
    ];
    let l = ledger(&events, &p).unwrap();
    let c = 7.into();
    assert_eq!(l.balance(&c, day(2024, 12, 31)), 30);
    assert_eq!(l.balance(&c, day(2025, 1, 1)), 30);
    assert_eq!(l.expiring(&c, day(2024, 12, 1), day(2025, 1, 31)), 0);
    assert_eq!(l.expiring(&c, day(2025, 2, 1), day(2025, 3, 1)), 30);
    assert_eq!(l.balance(&c, day(2025, 3, 1)), 0);
    // Without the redemption, 100 expire on 1 Jan 2025 and 50 on 1 Mar 2025.
    let l = ledger(&events[..2], &p).unwrap();
    assert_eq!(l.expiring(&c, day(2024, 12, 1), day(2025, 1, 1)), 100);
    assert_eq!(l.balance(&c, day(2025, 1, 1)), 50);
    let s = l.statement(&c, day(2024, 12, 31), day(2025, 12, 31));
    assert_eq!((s.opening, s.closing), (150, 0));
    let kinds: Vec<_> = s
        .lines
        .iter()
        .map(|x| (x.kind, x.points, x.balance))
        .collect();
    assert_eq!(
        kinds,
        [(LineKind::Expiry, -100, 50), (LineKind::Expiry, -50, 0)]
    );
}

#[test]
fn points_expiring_at_an_instant_cannot_be_redeemed_at_it() {
    let p = programme(Some(1));
    let events = [
        ev(1, Earn, day(2024, 1, 31), 100),
        // 31 January + 1 month = 29 February 2024.
        ev(2, Redeem, day(2024, 2, 29), -1),
    ];
    let err = ledger(&events, &p).unwrap_err();
    assert_eq!(
        err,
        LoyaltyError::InsufficientPoints {
            customer: 7.into(),
            event: 2.into(),
            at: day(2024, 2, 29),
            requested: 1,
            available: 0
        }
    );
    let ok = [
        ev(1, Earn, day(2024, 1, 31), 100),
        ev(2, Redeem, day(2024, 2, 28), -100),
    ];
    assert_eq!(
        ledger(&ok, &p).unwrap().balance(&7.into(), day(2024, 3, 1)),
        0
    );
}

#[test]
fn redemption_beyond_the_balance_is_refused_and_adjustments_never_go_negative() {
    let p = programme(None);
    let events = [
        ev(1, Earn, day(2024, 1, 1), 100),
        ev(2, Redeem, day(2024, 1, 2), -101),
    ];
    assert!(matches!(
        ledger(&events, &p),
        Err(LoyaltyError::InsufficientPoints {
            requested: 101,
            available: 100,
            ..
        })
    ));
    let events = [
        ev(1, Earn, day(2024, 1, 1), 100),
        ev(2, Adjust, day(2024, 1, 2), -130),
        ev(3, Expire, day(2024, 1, 3), -5),
    ];
    let l = ledger(&events, &p).unwrap();
    let lines = &l.account(&7.into()).unwrap().lines;
    assert_eq!(
        (lines[1].points, lines[1].unrecovered, lines[1].balance),
        (-100, 30, 0)
    );
    assert_eq!((lines[2].points, lines[2].unrecovered), (0, 5));
}

#[test]
fn credits_come_before_debits_at_the_same_instant_and_ids_are_deduplicated() {
    let p = programme(None);
    let t = day(2024, 5, 1);
    let events = [
        ev(2, Redeem, t, -50),
        ev(1, Earn, t, 50),
        ev(1, Earn, t, 50),
    ];
    assert_eq!(ledger(&events, &p).unwrap().balance(&7.into(), t), 0);
    let conflicting = [ev(1, Earn, t, 50), ev(1, Earn, t, 60)];
    assert_eq!(
        ledger(&conflicting, &p).unwrap_err().to_string(),
        "loyalty event 1: the id is used by another event with different content"
    );
}

fn tx(id: &str, at: DateTime<Utc>, amount: &str) -> Transaction {
    Transaction::new(id.parse().unwrap(), 7.into(), at, amount.parse().unwrap())
}

#[test]
fn refunds_take_their_points_back() {
    let mut p = programme(None);
    p.tiers.push(TierRule::new("gold", dec!(1000), dec!(1.5)));
    p.category_multipliers.insert("books".into(), dec!(2));
    p.bonuses.first_purchase = Some(50);
    let mut sale = tx("TX-1", day(2024, 1, 10), "80.99 EUR");
    sale.category = Some("books".into());
    let mut refund = tx("TX-2", day(2024, 1, 20), "-40.50 EUR");
    refund.category = Some("books".into());
    let later = tx("TX-3", day(2024, 2, 1), "10 EUR");
    let tiers = BTreeMap::from([(7.into(), "gold".to_string())]);
    let events = earn_from(&[later.clone(), refund.clone(), sale.clone()], &p, &tiers).unwrap();
    let got: Vec<_> = events
        .iter()
        .map(|e| (e.id.to_string(), e.kind, e.points))
        .collect();
    // 80.99 × 1.5 × 2 = 242.97 → 242; 40.50 × 3 = 121.5 → 121 taken back; 10 × 1.5 = 15.
    assert_eq!(
        got,
        [
            ("earn:TX-1".to_string(), Earn, 242),
            ("first:TX-1".to_string(), Earn, 50),
            ("refund:TX-2".to_string(), Adjust, -121),
            ("earn:TX-3".to_string(), Earn, 15),
        ]
    );
    assert_eq!(events[2].transaction, Some("TX-2".parse().unwrap()));
    // Deterministic: deriving again gives the same events, and recording both changes nothing.
    let again = earn_from(&[sale, refund, later], &p, &tiers).unwrap();
    assert_eq!(again, events);
    let l = ledger(events.iter().chain(&again), &p).unwrap();
    assert_eq!(l.balance(&7.into(), day(2024, 3, 1)), 242 + 50 - 121 + 15);
    // A whole refund takes back exactly what the purchase earned.
    let p1 = programme(None);
    let full = earn_from(
        &[
            tx("A", day(2024, 1, 1), "19.99 EUR"),
            tx("B", day(2024, 1, 2), "-19.99 EUR"),
        ],
        &p1,
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(full.iter().map(|e| e.points).sum::<i64>(), 0);
    // Other currencies are refused with the transaction.
    let err = earn_from(&[tx("C", day(2024, 1, 1), "5 USD")], &p1, &BTreeMap::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "transaction C: amount in USD, the programme counts EUR"
    );
    // Long transaction ids still give a valid, deterministic event id.
    let long = "T".repeat(128);
    let a = earn_from(
        &[tx(&long, day(2024, 1, 1), "5 EUR")],
        &p1,
        &BTreeMap::new(),
    )
    .unwrap();
    let b = earn_from(
        &[tx(&long, day(2024, 1, 1), "5 EUR")],
        &p1,
        &BTreeMap::new(),
    )
    .unwrap();
    assert_eq!(a[0].id, b[0].id);
    assert!(a[0].id.key().as_uuid().is_some());
}

#[test]
fn birthday_bonus_on_leap_day_and_referral() {
    let mut p = programme(None);
    p.bonuses.birthday = Some(100);
    let mut c = Customer::new(7.into(), PartyKind::Person, "Ada", day(2020, 1, 1)).unwrap();
    c.birthday = chrono::NaiveDate::from_ymd_opt(2000, 2, 29);
    let no_birthday = Customer::new(8.into(), PartyKind::Person, "Bo", day(2020, 1, 1)).unwrap();
    let e = birthday_bonuses(&[c.clone(), no_birthday], 2025, &p);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].occurred_at, day(2025, 2, 28));
    assert_eq!(e[0].id.to_string(), "birthday:7:2025");
    assert_eq!(
        birthday_bonuses(&[c], 2024, &p)[0].occurred_at,
        day(2024, 2, 29)
    );
}

fn tier_programme(grace: u32) -> LoyaltyProgramme {
    let mut p = programme(None);
    p.tiers.push(TierRule::new("silver", dec!(500), dec!(1.25)));
    p.tiers.push(TierRule::new("gold", dec!(1000), dec!(1.5)));
    p.qualification = Qualification {
        measure: QualifyingMeasure::Points,
        window_months: 12,
        review_month: 1,
        review_day: 1,
        grace_months: grace,
    };
    p
}

fn act(at: DateTime<Utc>, amount: i64) -> QualifyingActivity {
    QualifyingActivity {
        customer: 7.into(),
        at,
        amount: Decimal::from(amount),
    }
}

#[test]
fn tier_upgrade_at_once_and_downgrade_after_grace() {
    let p = tier_programme(3);
    let acts = [
        act(day(2023, 2, 1), 400),
        act(day(2023, 6, 1), 700), // window 1,100: gold at once
        act(day(2024, 3, 1), 200),
    ];
    let until = day(2025, 12, 31);
    let r = member_tiers(acts, &p, until).unwrap();
    let c = 7.into();
    let got: Vec<_> = r.members[&c]
        .iter()
        .map(|x| (x.at, x.tier.as_str(), x.movement))
        .collect();
    // Review 1 Jan 2024: window (1 Jan 2023, 1 Jan 2024] holds 1,100: kept.
    // Review 1 Jan 2025: window holds 200 (base tier): grace until 1 Apr 2025, then base.
    assert_eq!(
        got,
        [
            (day(2023, 2, 1), "member", TierMove::Join),
            (day(2023, 6, 1), "gold", TierMove::Upgrade),
            (day(2025, 4, 1), "member", TierMove::Downgrade),
        ]
    );
    assert_eq!(r.tier_at(&c, day(2025, 3, 31)), Some("gold"));
    assert_eq!(r.tier_at(&c, day(2025, 4, 1)), Some("member"));
}

#[test]
fn requalifying_in_the_grace_period_keeps_the_tier() {
    let p = tier_programme(3);
    let acts = [
        act(day(2023, 6, 1), 1000),
        act(day(2025, 2, 1), 1000), // within the grace after the 2025 review
    ];
    let r = member_tiers(acts, &p, day(2025, 12, 31)).unwrap();
    let moves: Vec<_> = r.members[&7.into()].iter().map(|x| x.movement).collect();
    assert_eq!(moves, [TierMove::Join]);
    // Without grace the member drops on the review day and climbs back on 1 Feb.
    let r = member_tiers(
        [act(day(2023, 6, 1), 1000), act(day(2025, 2, 1), 1000)],
        &tier_programme(0),
        day(2025, 12, 31),
    )
    .unwrap();
    let got: Vec<_> = r.members[&7.into()]
        .iter()
        .map(|x| (x.at, x.tier.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (day(2023, 6, 1), "gold"),
            (day(2025, 1, 1), "member"),
            (day(2025, 2, 1), "gold")
        ]
    );
}

#[test]
fn programme_report_figures() {
    let p = programme(Some(12));
    let mut e2 = ev(2, Earn, day(2024, 1, 1), 300);
    e2.customer = 8.into();
    let events = [
        ev(1, Earn, day(2023, 1, 1), 1000),
        ev(3, Redeem, day(2023, 6, 1), -400),
        e2,
    ];
    let l = ledger(&events, &p).unwrap();
    let tiers = member_tiers(qualifying_points(&l), &tier_programme(0), day(2024, 6, 1)).unwrap();
    let r = programme_report(&l, &tiers, &p, day(2023, 12, 31), day(2024, 6, 1)).unwrap();
    // Customer 7: 600 left expire on 1 Jan 2024. Customer 8: 300 earned, outstanding.
    assert_eq!((r.members, r.active_members), (2, 1));
    assert_eq!((r.earned, r.redeemed, r.expired), (300, 0, 600));
    assert_eq!(r.breakage, Some(dec!(600) / dec!(1300)));
    assert_eq!(r.redemption_rate, Some(Decimal::ZERO));
    assert_eq!(r.earn_rate, Some(dec!(300)));
    assert_eq!(r.outstanding, 300);
    assert_eq!(r.liability.to_string(), "3.00 EUR");
    // Tiers: 7 joined gold on 1 Jan 2023 and fell to the base tier on 1 Jan 2024 (window empty).
    assert_eq!(r.members_per_tier.get("member"), Some(&2));
    assert_eq!((r.downgrades, r.joins, r.upgrades), (1, 1, 0));
}

#[test]
fn programme_loads_from_toml_and_json_and_names_the_field() {
    let text = r#"
        currency = "EUR"
        points_per_unit = "2"
        point_value = "0.005"
        expiry_months = 36
        qualification = { measure = "spend", window_months = 12, review_month = 3, review_day = 1, grace_months = 2 }
        tiers = [ { name = "blue", threshold = "0", multiplier = "1" }, { name = "gold", threshold = "2000", multiplier = "2" } ]
    "#;
    let p = LoyaltyProgramme::from_toml(text).unwrap();
    assert_eq!(p.qualification.measure, QualifyingMeasure::Spend);
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(LoyaltyProgramme::from_json(&json).unwrap(), p);
    let bad = text.replace("\"2000\"", "\"0\"");
    let err = LoyaltyProgramme::from_toml(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            LoyaltyError::Programme {
                field: "tiers.threshold",
                ..
            }
        ),
        "{err}"
    );
    let bad = text.replace("expiry_months = 36", "expiry_months = 0");
    assert!(matches!(
        LoyaltyProgramme::from_toml(&bad),
        Err(LoyaltyError::Programme {
            field: "expiry_months",
            ..
        })
    ));
    assert!(serde_json::from_str::<LoyaltyProgramme>(&json.replace("\"2\"", "\"-2\"")).is_err());
}

// ---- properties ----

fn arb_events() -> impl Strategy<Value = Vec<LoyaltyEvent>> {
    prop::collection::vec((0u8..4, 0i64..1500, 1i64..400, 0i64..3), 0..30).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (k, days, pts, cust))| {
                let kind = [Earn, Redeem, Adjust, Expire][k as usize];
                let points = match kind {
                    Earn => pts,
                    Adjust if i % 2 == 0 => pts,
                    _ => -pts,
                };
                let mut e = LoyaltyEvent::new(
                    (i as i64).into(),
                    cust.into(),
                    kind,
                    day(2020, 1, 1) + Duration::days(days),
                    points,
                );
                if kind == Adjust {
                    e.reason = Some("x".into());
                }
                e
            })
            .collect()
    })
}

/// The events with every redemption that would overdraw dropped (so the ledger accepts them).
fn feasible(events: &[LoyaltyEvent], p: &LoyaltyProgramme) -> Vec<LoyaltyEvent> {
    let mut kept: Vec<LoyaltyEvent> = Vec::new();
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|e| (e.occurred_at, e.id.clone()));
    for e in sorted {
        kept.push(e);
        if ledger(&kept, p).is_err() {
            kept.pop();
        }
    }
    kept
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn ledger_never_panics_and_balances_never_go_negative(events in arb_events(), expiry in prop::option::of(1u32..30)) {
        let p = programme(expiry);
        match ledger(&events, &p) {
            Ok(l) => {
                for c in l.members() {
                    for line in &l.account(c).unwrap().lines {
                        prop_assert!(line.balance >= 0);
                    }
                }
            }
            Err(e) => prop_assert!(matches!(e, LoyaltyError::InsufficientPoints { .. }), "{e}"),
        }
    }

    #[test]
    fn any_split_merged_equals_the_whole_and_replay_is_stable(
        events in arb_events(), cut in 0usize..30, expiry in prop::option::of(1u32..30),
    ) {
        let p = programme(expiry);
        let events = feasible(&events, &p);
        let whole = ledger(&events, &p).unwrap();
        let cut = cut.min(events.len());
        let mut left = LoyaltyJournal::default();
        left.record_all(events[..cut].iter().rev().cloned()).unwrap();
        let mut right = LoyaltyJournal::default();
        right.record_all(events[cut..].iter().cloned()).unwrap();
        let mut merged = right.clone();
        merged.merge(left.clone()).unwrap();
        prop_assert_eq!(merged.ledger(&p).unwrap(), whole.clone());
        left.merge(right).unwrap();
        prop_assert_eq!(left.ledger(&p).unwrap(), whole.clone());
        // Replaying the same events (twice over, reversed) gives the same balances.
        let mut twice = events.clone();
        twice.extend(events.iter().rev().cloned());
        prop_assert_eq!(ledger(&twice, &p).unwrap(), whole.clone());
        // Conservation: credits = balance + debits taken, for every member.
        for c in whole.members() {
            let lines = &whole.account(c).unwrap().lines;
            let credits: i64 = lines.iter().filter(|l| l.points > 0).map(|l| l.points).sum();
            let debits: i64 = lines.iter().filter(|l| l.points < 0).map(|l| -l.points).sum();
            prop_assert_eq!(credits - debits, lines.last().map_or(0, |l| l.balance));
        }
    }

    #[test]
    fn redeeming_spares_expiry_by_at_most_what_it_takes(
        earns in prop::collection::vec((0i64..700, 1i64..300), 1..10),
        when in 0i64..900, share in 1i64..=100,
    ) {
        // Expiring and redeeming commute as FIFO says: a redemption takes the oldest points,
        // so it lowers later expiry by at most the points it takes, and never raises it;
        // what it takes plus what it spares add up.
        let p = programme(Some(6));
        let events: Vec<_> = earns.iter().enumerate().map(|(i, &(d, pts))| {
            ev(i as i64, Earn, day(2020, 1, 1) + Duration::days(d), pts)
        }).collect();
        let at = day(2020, 1, 1) + Duration::days(when);
        let without = ledger(&events, &p).unwrap();
        let available = without.balance(&7.into(), at);
        prop_assume!(available > 0);
        let r = (available * share / 100).max(1);
        let mut with_events = events.clone();
        with_events.push(ev(1000, Redeem, at, -r));
        let with = ledger(&with_events, &p).unwrap();
        let far = day(2040, 1, 1);
        let exp = |l: &LoyaltyLedger| l.expiring(&7.into(), day(1970, 1, 1), far);
        let spared = exp(&without) - exp(&with);
        prop_assert!((0..=r).contains(&spared));
        // Expiry before the redemption is unchanged: the redemption does not reach back.
        prop_assert_eq!(
            without.expiring(&7.into(), day(1970, 1, 1), at),
            with.expiring(&7.into(), day(1970, 1, 1), at)
        );
        // Every point ends redeemed or expired: the redemption spares exactly what it takes.
        prop_assert_eq!(with.balance(&7.into(), far), 0);
        prop_assert_eq!(exp(&with) + r, exp(&without));
    }

    #[test]
    fn tiers_never_panic(
        acts in prop::collection::vec((0i64..2000, -500i64..1500), 0..20), grace in 0u32..6,
    ) {
        let p = tier_programme(grace);
        let acts: Vec<_> = acts.into_iter().map(|(d, a)| act(day(2020, 1, 1) + Duration::days(d), a)).collect();
        let r = member_tiers(acts, &p, day(2026, 1, 1)).unwrap();
        if let Some(changes) = r.members.get(&7.into()) {
            prop_assert!(changes.windows(2).all(|w| w[0].at <= w[1].at));
        }
    }

    #[test]
    fn programme_text_never_panics(text in ".{0,200}") {
        let _ = LoyaltyProgramme::from_toml(&text);
        let _ = LoyaltyProgramme::from_json(&text);
    }
}
