use super::*;
use chrono::{Duration, TimeZone};
use crm_core::{Channel, Interaction, LifecycleStage, PartyKind, Tag};
use proptest::prelude::*;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn customer(id: i64, consents: &[ConsentChannel]) -> Customer {
    let t0 = at(2023, 1, 1, 0, 0);
    let mut c = Customer::new(id.into(), PartyKind::Person, "Test", t0).unwrap();
    for &ch in consents {
        c.give_consent(ch, t0);
    }
    c
}

fn interaction(
    n: i64,
    customer: i64,
    ch: Channel,
    dir: Direction,
    when: DateTime<Utc>,
) -> Interaction {
    Interaction::new(n.into(), customer.into(), ch, dir, when)
}

fn simple_policy(days: u32, channels: Vec<ConsentChannel>) -> CadencePolicy {
    CadencePolicy::new(vec![], CadenceRule::new("all", days, channels)).unwrap()
}

#[test]
fn boundary_exactly_on_the_day_is_not_due_and_the_day_after_is() {
    let as_of = at(2024, 6, 1, 12, 0);
    let policy = simple_policy(30, vec![ConsentChannel::Email]);
    let c = customer(1, &[ConsentChannel::Email]);
    let subjects = [CadenceSubject::new(&c)];
    // 30 calendar days before: exactly on the interval, not due.
    let on_day = [interaction(
        1,
        1,
        Channel::Email,
        Direction::Outbound,
        at(2024, 5, 2, 23, 59),
    )];
    let r = due(as_of, &subjects, &on_day, &policy).unwrap();
    assert!(r.due.is_empty() && r.without_consent.is_empty());
    assert_eq!(r.on_cadence(), 1);
    // 31 calendar days before (even if less than 31 × 24 hours): 1 day overdue.
    let day_before = [interaction(
        1,
        1,
        Channel::Email,
        Direction::Outbound,
        at(2024, 5, 1, 23, 59),
    )];
    let r = due(as_of, &subjects, &day_before, &policy).unwrap();
    assert_eq!(r.due.len(), 1);
    assert_eq!(r.due[0].days_overdue, Some(1));
    assert_eq!(r.due[0].last_contact, Some(at(2024, 5, 1, 23, 59)));
    assert_eq!(&*r.due[0].rule, "all");
}

#[test]
fn never_contacted_is_due_without_a_day_count() {
    let as_of = at(2024, 6, 1, 12, 0);
    let policy = simple_policy(30, vec![ConsentChannel::Email]);
    let c = customer(1, &[ConsentChannel::Email]);
    let r = due(
        as_of,
        &[CadenceSubject::new(&c)],
        Vec::<Interaction>::new(),
        &policy,
    )
    .unwrap();
    assert_eq!(r.due.len(), 1);
    assert!(r.due[0].never_contacted());
    assert_eq!(r.due[0].days_overdue, None);
    assert_eq!(r.due[0].channel, Some(ConsentChannel::Email));
}

#[test]
fn no_consent_is_listed_apart_and_never_given_a_channel() {
    let as_of = at(2024, 6, 1, 12, 0);
    let policy = simple_policy(30, vec![ConsentChannel::Phone, ConsentChannel::Email]);
    let none = customer(1, &[]);
    let sms_only = customer(2, &[ConsentChannel::Sms]);
    let mut withdrawn = customer(3, &[ConsentChannel::Email]);
    withdrawn.withdraw_consent(ConsentChannel::Email, as_of - Duration::days(1));
    // Customer 3 answered by e-mail recently, but withdrew consent.
    let events = [interaction(
        1,
        3,
        Channel::Email,
        Direction::Inbound,
        as_of - Duration::days(40),
    )];
    let subjects = [&none, &sms_only, &withdrawn].map(CadenceSubject::new);
    let r = due(as_of, &subjects, &events, &policy).unwrap();
    assert!(r.due.is_empty());
    let ids: Vec<_> = r
        .without_consent
        .iter()
        .map(|d| d.customer.clone())
        .collect();
    assert_eq!(ids, [1.into(), 2.into(), 3.into()]);
    assert!(r.without_consent.iter().all(|d| d.channel.is_none()));
    assert_eq!(r.without_consent[2].days_overdue, Some(10));
}

#[test]
fn channel_is_the_consented_one_answered_last_ties_by_policy_order() {
    let as_of = at(2024, 6, 1, 12, 0);
    let policy = simple_policy(
        7,
        vec![
            ConsentChannel::Phone,
            ConsentChannel::Email,
            ConsentChannel::Sms,
        ],
    );
    let all = [
        ConsentChannel::Phone,
        ConsentChannel::Email,
        ConsentChannel::Sms,
    ];
    let a = customer(1, &all); // answered SMS last
    let b = customer(2, &all); // never answered: policy order, phone
    let c = customer(3, &[ConsentChannel::Email, ConsentChannel::Sms]); // answered on phone (no consent) and email
    let d = customer(4, &all); // outbound only on SMS: not an answer
    let events = [
        interaction(
            1,
            1,
            Channel::Email,
            Direction::Inbound,
            at(2024, 4, 1, 9, 0),
        ),
        interaction(2, 1, Channel::Sms, Direction::Inbound, at(2024, 4, 2, 9, 0)),
        interaction(
            3,
            1,
            Channel::Phone,
            Direction::Inbound,
            at(2024, 3, 2, 9, 0),
        ),
        interaction(
            4,
            3,
            Channel::Phone,
            Direction::Inbound,
            at(2024, 4, 9, 9, 0),
        ),
        interaction(
            5,
            3,
            Channel::Email,
            Direction::Inbound,
            at(2024, 4, 1, 9, 0),
        ),
        interaction(
            6,
            4,
            Channel::Sms,
            Direction::Outbound,
            at(2024, 4, 9, 9, 0),
        ),
        // Chat is no consent channel: counts as a contact, not as an answer anywhere.
        interaction(
            7,
            2,
            Channel::Chat,
            Direction::Inbound,
            at(2024, 4, 9, 9, 0),
        ),
    ];
    let subjects = [&a, &b, &c, &d].map(CadenceSubject::new);
    let r = due(as_of, &subjects, &events, &policy).unwrap();
    let got: Vec<_> = r.due.iter().map(|d| d.channel.unwrap()).collect();
    assert_eq!(
        got,
        [
            ConsentChannel::Sms,
            ConsentChannel::Phone,
            ConsentChannel::Email,
            ConsentChannel::Phone
        ]
    );
    // Days overdue: last contacts 2 April, 9 April (chat), 9 April, 9 April; 7-day interval.
    let over: Vec<_> = r.due.iter().map(|d| d.days_overdue.unwrap()).collect();
    assert_eq!(over, [60 - 7, 53 - 7, 53 - 7, 53 - 7]);
}

#[test]
fn first_matching_rule_wins_and_counting_filters_apply() {
    let as_of = at(2024, 6, 1, 12, 0);
    let a_class = CadenceRule::new("a-class", 30, vec![ConsentChannel::Phone])
        .matching(CustomerMatch {
            abc_classes: vec![AbcClass::A],
            ..Default::default()
        })
        .counting(CountedContacts {
            directions: vec![Direction::Outbound],
            outcomes: vec!["reached".into()],
            ..Default::default()
        });
    let vip = CadenceRule::new("vip", 10, vec![ConsentChannel::Email]).matching(CustomerMatch {
        tags: vec![Tag::new("vip").unwrap()],
        lifecycle_stages: vec![LifecycleStage::Active],
        ..Default::default()
    });
    let gold = CadenceRule::new("gold", 20, vec![ConsentChannel::Email]).matching(CustomerMatch {
        value_tiers: vec!["gold".into()],
        rfm_segments: vec!["champions".into()],
        ..Default::default()
    });
    let policy = CadencePolicy::new(
        vec![a_class, vip, gold],
        CadenceRule::new("rest", 90, vec![ConsentChannel::Email]),
    )
    .unwrap();
    let both = [ConsentChannel::Phone, ConsentChannel::Email];
    let c1 = customer(1, &both);
    let mut c2 = customer(2, &both);
    c2.tags.insert(Tag::new("VIP").unwrap());
    c2.lifecycle_stage = Some(LifecycleStage::Active);
    let mut c3 = customer(3, &both);
    c3.tags.insert(Tag::new("vip").unwrap()); // no stage: not vip
    let c4 = customer(4, &both);
    let subjects = [
        CadenceSubject::new(&c1).with_abc_class(AbcClass::A),
        CadenceSubject::new(&c2).with_abc_class(AbcClass::B),
        CadenceSubject::new(&c3)
            .with_value_tier("gold")
            .with_rfm_segment("champions"),
        CadenceSubject::new(&c4).with_value_tier("gold"),
    ];
    let names: Vec<_> = subjects
        .iter()
        .map(|s| policy.rule_for(s).name.as_str())
        .collect();
    assert_eq!(names, ["a-class", "vip", "gold", "rest"]);

    let day = |d| as_of - Duration::days(d);
    let mut reached = interaction(1, 1, Channel::Phone, Direction::Outbound, day(40));
    reached.outcome = Some("reached".into());
    let mut voicemail = interaction(2, 1, Channel::Phone, Direction::Outbound, day(5));
    voicemail.outcome = Some("voicemail".into());
    let inbound = interaction(3, 1, Channel::Phone, Direction::Inbound, day(2));
    let events = [
        reached,
        voicemail,
        inbound,
        interaction(4, 2, Channel::Email, Direction::Inbound, day(11)),
        interaction(5, 3, Channel::Email, Direction::Outbound, day(20)),
        interaction(6, 4, Channel::Email, Direction::Outbound, day(91)),
    ];
    let r = due(as_of, &subjects, &events, &policy).unwrap();
    let got: Vec<_> = r
        .due
        .iter()
        .map(|d| (d.customer.clone(), &*d.rule, d.days_overdue))
        .collect();
    assert_eq!(
        got,
        [
            (1.into(), "a-class", Some(10)),
            (2.into(), "vip", Some(1)),
            (4.into(), "rest", Some(1)),
        ]
    );
}

#[test]
fn future_and_unknown_interactions_are_skipped_and_counted() {
    let as_of = at(2024, 6, 1, 12, 0);
    let policy = simple_policy(30, vec![ConsentChannel::Email]);
    let c = customer(1, &[ConsentChannel::Email]);
    let events = [
        interaction(
            1,
            1,
            Channel::Email,
            Direction::Outbound,
            as_of + Duration::seconds(1),
        ),
        interaction(2, 9, Channel::Email, Direction::Outbound, as_of),
    ];
    let r = due(as_of, &[CadenceSubject::new(&c)], &events, &policy).unwrap();
    assert_eq!((r.skipped_after_as_of, r.skipped_unknown_customer), (1, 1));
    assert!(r.due[0].never_contacted());
    // A touch at a position past the customers is unknown too.
    let r = due(
        as_of,
        &[CadenceSubject::new(&c)],
        [Touch::new(1, as_of, Channel::Sms, Direction::Inbound)],
        &policy,
    )
    .unwrap();
    assert_eq!(r.skipped_unknown_customer, 1);
}

#[test]
fn touches_and_interactions_give_the_same_report() {
    let as_of = at(2024, 6, 1, 12, 0);
    let policy = simple_policy(30, vec![ConsentChannel::Email, ConsentChannel::Sms]);
    let cs: Vec<_> = (0..3)
        .map(|i| customer(i, &[ConsentChannel::Email, ConsentChannel::Sms]))
        .collect();
    let subjects: Vec<_> = cs.iter().map(CadenceSubject::new).collect();
    let events = [
        interaction(1, 0, Channel::Sms, Direction::Inbound, at(2024, 4, 1, 0, 0)),
        interaction(
            2,
            2,
            Channel::Email,
            Direction::Outbound,
            at(2024, 5, 30, 0, 0),
        ),
    ];
    let touches: Vec<_> = events
        .iter()
        .map(|e| {
            let pos = e.customer.key().as_int().unwrap() as u32;
            Touch::new(pos, e.occurred_at, e.channel, e.direction)
        })
        .collect();
    assert_eq!(
        due(as_of, &subjects, &events, &policy).unwrap(),
        due(as_of, &subjects, &touches, &policy).unwrap()
    );
}

#[test]
fn policies_load_from_toml_and_json_and_errors_name_rule_and_field() {
    let toml = r#"
        [[rules]]
        name = "a-class"
        match = { abc_classes = ["A"], tags = ["Key Account"] }
        max_interval_days = 30
        channels = ["phone", "email"]
        counts = { directions = ["outbound"], channels = ["phone", "meeting"] }

        [default]
        name = "everyone"
        max_interval_days = 90
        channels = ["email"]
    "#;
    let p = CadencePolicy::from_toml(toml).unwrap();
    assert_eq!(
        p.rules()[0].matches.tags,
        [Tag::new("key-account").unwrap()]
    );
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(CadencePolicy::from_json(&json).unwrap(), p);
    assert_eq!(serde_json::from_str::<CadencePolicy>(&json).unwrap(), p);

    let err = CadencePolicy::from_toml(
        &toml.replace("\"email\"]\n        counts", "\"phone\"]\n        counts"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cadence rule \"a-class\", channels: lists a channel twice"
    );
    let err = CadencePolicy::from_toml(&toml.replace("\"everyone\"", "\"a-class\"")).unwrap_err();
    assert_eq!(
        err,
        CadenceError::InvalidRule {
            rule: "a-class".into(),
            field: "name",
            reason: "is used by another rule".into()
        }
    );
    let err = CadencePolicy::from_toml(&toml.replace("match = {", "matchx = {")).unwrap_err();
    assert!(
        matches!(err, CadenceError::Parse { format: "TOML", .. }),
        "{err}"
    );
    let no_criteria = toml.replace(
        r#"match = { abc_classes = ["A"], tags = ["Key Account"] }"#,
        "",
    );
    let err = CadencePolicy::from_toml(&no_criteria).unwrap_err();
    assert!(matches!(
        err,
        CadenceError::InvalidRule { field: "match", .. }
    ));
    let err = CadencePolicy::from_json(
        r#"{"default": {"name": "d", "max_interval_days": 5, "channels": []}}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cadence rule \"d\", channels: must list at least one channel"
    );
    let err = CadencePolicy::from_json(
        r#"{"default": {"name": " ", "max_interval_days": 5, "channels": ["sms"]}}"#,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        CadenceError::InvalidRule { field: "name", .. }
    ));
    // Deserializing through serde checks the same rules.
    assert!(
        serde_json::from_str::<CadencePolicy>(
            r#"{"default": {"name": "d", "max_interval_days": 0, "channels": ["sms"]}}"#
        )
        .is_err()
    );
}

#[test]
fn duplicate_customers_are_refused() {
    let policy = simple_policy(30, vec![ConsentChannel::Email]);
    let c = customer(1, &[]);
    let err = due(
        Utc::now(),
        &[CadenceSubject::new(&c), CadenceSubject::new(&c)],
        Vec::<Interaction>::new(),
        &policy,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "customer 1: listed twice among the cadence's customers"
    );
}

#[test]
fn state_round_trips_through_json() {
    let mut s = CadenceState::EMPTY;
    s.observe(
        &CountedContacts::default(),
        &Touch::new(
            0,
            at(2024, 1, 2, 3, 4),
            Channel::Messaging,
            Direction::Inbound,
        ),
    );
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(
        json,
        r#"{"last_contact":"2024-01-02T03:04:00Z","last_answer":{"messaging":"2024-01-02T03:04:00Z"}}"#
    );
    assert_eq!(serde_json::from_str::<CadenceState>(&json).unwrap(), s);
    assert_eq!(
        serde_json::from_str::<CadenceState>("{}").unwrap(),
        CadenceState::EMPTY
    );
}

fn arb_touch() -> impl Strategy<Value = (u32, i64, usize, bool, Option<u8>)> {
    (
        0u32..6,
        -2_000_000_000_000i64..2_000_000_000_000,
        0usize..Channel::ALL.len(),
        any::<bool>(),
        proptest::option::of(0u8..3),
    )
}

const OUTCOMES: [&str; 3] = ["reached", "voicemail", "declined"];

fn to_touch(t: &(u32, i64, usize, bool, Option<u8>)) -> Touch<'static> {
    let when = DateTime::from_timestamp_millis(t.1).unwrap();
    let dir = if t.3 {
        Direction::Inbound
    } else {
        Direction::Outbound
    };
    let touch = Touch::new(t.0, when, Channel::ALL[t.2], dir);
    match t.4 {
        Some(o) => touch.with_outcome(OUTCOMES[o as usize]),
        None => touch,
    }
}

fn state_of(
    events: &[(u32, i64, usize, bool, Option<u8>)],
    counts: &CountedContacts,
) -> CadenceState {
    let mut s = CadenceState::EMPTY;
    for e in events {
        s.observe(counts, &to_touch(e));
    }
    s
}

fn counts_filter() -> CountedContacts {
    CountedContacts {
        directions: vec![Direction::Outbound],
        channels: vec![],
        outcomes: vec!["reached".into()],
    }
}

proptest! {
    #[test]
    fn state_merge_is_a_commutative_monoid(
        a in prop::collection::vec(arb_touch(), 0..8),
        b in prop::collection::vec(arb_touch(), 0..8),
        c in prop::collection::vec(arb_touch(), 0..8),
    ) {
        let k = CountedContacts::default();
        let (a, b, c) = (state_of(&a, &k), state_of(&b, &k), state_of(&c, &k));
        prop_assert_eq!(a.merged(&b).merged(&c), a.merged(&b.merged(&c)));
        prop_assert_eq!(a.merged(&b), b.merged(&a));
        prop_assert_eq!(a.merged(&CadenceState::EMPTY), a);
        prop_assert_eq!(CadenceState::EMPTY.merged(&a), a);
        let back: CadenceState = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        prop_assert_eq!(back, a);
    }

    #[test]
    fn any_split_of_the_interactions_equals_the_whole(
        events in prop::collection::vec(arb_touch(), 0..40),
        cut in 0usize..40,
        reverse in any::<bool>(),
    ) {
        let k = counts_filter();
        let whole = state_of(&events, &k);
        let cut = cut.min(events.len());
        let (l, r) = events.split_at(cut);
        prop_assert_eq!(state_of(l, &k).merged(&state_of(r, &k)), whole);
        let mut shuffled = events.clone();
        if reverse { shuffled.reverse(); } else { shuffled.rotate_left(cut); }
        prop_assert_eq!(state_of(&shuffled, &k), whole);

        // The same through accumulators over several customers.
        let as_of = DateTime::from_timestamp_millis(1_000_000_000_000).unwrap();
        let policy = CadencePolicy::new(
            vec![CadenceRule::new("a", 3, vec![ConsentChannel::Sms, ConsentChannel::Email])
                .matching(CustomerMatch { abc_classes: vec![AbcClass::A], ..Default::default() })
                .counting(counts_filter())],
            CadenceRule::new("rest", 10, vec![ConsentChannel::Email, ConsentChannel::Phone]),
        ).unwrap();
        let cs: Vec<_> = (0..5).map(|i| customer(i, &ConsentChannel::ALL[..(i as usize % 5)])).collect();
        let subjects: Vec<_> = cs.iter().enumerate().map(|(i, c)| {
            let s = CadenceSubject::new(c);
            if i % 2 == 0 { s.with_abc_class(AbcClass::A) } else { s }
        }).collect();
        let touches: Vec<_> = events.iter().map(to_touch).collect();
        let whole = due(as_of, &subjects, &touches, &policy).unwrap();
        let mut left = CadenceAccumulator::new(&policy, as_of, &subjects).unwrap();
        let mut right = left.clone();
        left.observe_all(&touches[..cut]);
        right.observe_all(&touches[cut..]);
        right.merge(left).unwrap();
        let merged = right.finish();
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(whole.on_cadence() as usize + whole.due.len() + whole.without_consent.len(), 5);
        for d in &whole.due {
            // Never a channel without consent, always one the rule allows.
            let pos = d.customer.key().as_int().unwrap() as usize;
            let ch = d.channel.unwrap();
            prop_assert!(cs[pos].has_consent(ch));
            prop_assert!(policy.rule_for(&subjects[pos]).channels.contains(&ch));
        }
    }

    #[test]
    fn arbitrary_policy_text_never_panics(text in ".{0,200}") {
        let _ = CadencePolicy::from_toml(&text);
        let _ = CadencePolicy::from_json(&text);
    }

    #[test]
    fn arbitrary_rules_and_inputs_never_panic(
        days in any::<u32>(),
        channels in prop::collection::vec(0usize..5, 0..6),
        as_of_ms in -8_000_000_000_000_000i64..8_000_000_000_000_000,
        events in prop::collection::vec(arb_touch(), 0..20),
    ) {
        let chans = channels.iter().map(|&i| ConsentChannel::ALL[i]).collect();
        if let Ok(policy) = CadencePolicy::new(vec![], CadenceRule::new("r", days, chans)) {
            let cs: Vec<_> = (0..4).map(|i| customer(i, &[ConsentChannel::Email])).collect();
            let subjects: Vec<_> = cs.iter().map(CadenceSubject::new).collect();
            let as_of = DateTime::from_timestamp_millis(as_of_ms).unwrap();
            let touches: Vec<_> = events.iter().map(to_touch).collect();
            let r = due(as_of, &subjects, &touches, &policy).unwrap();
            prop_assert!(r.due.len() + r.without_consent.len() <= 4);
        }
    }
}
