//! Duplicate matching through the public API: one test per evidence rule, the block size
//! limit, the survivor rules, configuration errors, and properties over arbitrary customers.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crm_core::{
    Customer, CustomerId, Decision, Email, MatchConfig, MatchConfigError, MatchError, Outcome,
    PairMatch, PartyKind, Phone, PostalAddress, SurvivorHints, SurvivorRule, match_customers,
    match_customers_with, score_pair,
};
use proptest::prelude::*;

fn t(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + Duration::days(days)
}

fn person(id: i64, name: &str) -> Customer {
    Customer::new(CustomerId::from(id), PartyKind::Person, name, t(id)).unwrap()
}

fn email(s: &str) -> Option<Email> {
    Some(Email::parse(s).unwrap())
}

fn phone(s: &str, region: Option<&str>) -> Option<Phone> {
    Some(Phone::parse(s, region).unwrap())
}

fn address(line: &str, postcode: &str) -> Option<PostalAddress> {
    Some(PostalAddress::new([line], "Berlin", Some(postcode), None, "DE").unwrap())
}

fn score(a: &Customer, b: &Customer) -> PairMatch {
    score_pair(a, b, &MatchConfig::default()).unwrap()
}

fn outcome_of(pair: &PairMatch, field: &str) -> Option<Outcome> {
    pair.evidence
        .iter()
        .map(|e| e.outcome)
        .find(|o| o.name().starts_with(field))
}

#[test]
fn gmail_dots_tags_and_alias_reach_the_same_mailbox() {
    let mut a = person(1, "Jane Doe");
    let mut b = person(2, "Jane Doe");
    a.email = email("jane.doe@gmail.com");
    for other in [
        "janedoe+shop@gmail.com",
        "J.A.N.E.D.O.E@googlemail.com",
        "jane.doe+news@gmail.com",
    ] {
        b.email = email(other);
        assert_eq!(
            outcome_of(&score(&a, &b), "email"),
            Some(Outcome::EmailSameMailbox),
            "{other}"
        );
    }
    b.email = email("Jane.Doe@GMAIL.com");
    assert_eq!(
        outcome_of(&score(&a, &b), "email"),
        Some(Outcome::EmailSame)
    );
    // Other providers keep their dots: a different mailbox, the same local part elsewhere.
    a.email = email("jane.doe@example.org");
    b.email = email("janedoe@example.org");
    assert_eq!(
        outcome_of(&score(&a, &b), "email"),
        Some(Outcome::EmailDifferent)
    );
    b.email = email("jane.doe+crm@example.org");
    assert_eq!(
        outcome_of(&score(&a, &b), "email"),
        Some(Outcome::EmailSameMailbox)
    );
    b.email = email("jane.doe@example.com");
    assert_eq!(
        outcome_of(&score(&a, &b), "email"),
        Some(Outcome::EmailSameLocalPart)
    );
    // A missing address is no evidence either way.
    b.email = None;
    assert_eq!(outcome_of(&score(&a, &b), "email"), None);
}

#[test]
fn every_spelling_of_one_phone_number_is_the_same_phone() {
    let mut a = person(1, "Max Mustermann");
    let mut b = person(2, "Max Mustermann");
    a.phone = phone("+49 30 1234567", None);
    for (text, region) in [
        ("030 1234567", Some("DE")),
        ("0049-30-123 45 67", None),
        ("(030) 123 45 67", Some("DE")),
        ("+49301234567", Some("US")),
    ] {
        b.phone = phone(text, region);
        assert_eq!(
            outcome_of(&score(&a, &b), "phone"),
            Some(Outcome::PhoneSame),
            "{text}"
        );
    }
    b.phone = phone("+49 30 1234568", None);
    assert_eq!(
        outcome_of(&score(&a, &b), "phone"),
        Some(Outcome::PhoneDifferent)
    );
}

#[test]
fn swapped_name_order_case_and_diacritics_are_the_same_name() {
    let a = person(1, "Zoë Ångström");
    for other in [
        "Ångström, Zoë",
        "ANGSTROM ZOE",
        "zoe angstrom",
        "Ångström Zoë",
    ] {
        let pair = score(&a, &person(2, other));
        assert_eq!(
            outcome_of(&pair, "name"),
            Some(Outcome::NameSame),
            "{other}"
        );
        assert_eq!(pair.evidence[0].similarity, Some(1.0));
    }
    let obrien = score(&person(1, "Conan O'Brien"), &person(2, "Conan OBrien"));
    assert_eq!(outcome_of(&obrien, "name"), Some(Outcome::NameSame));
}

#[test]
fn cjk_names_with_and_without_spaces_are_the_same_name() {
    for (x, y) in [
        ("山田太郎", "山田 太郎"),
        ("王伟", "王 伟"),
        ("王伟", "Wei Wang"),
        ("王建华", "Jianhua Wang"),
        ("ＹＡＭＡＤＡ Taro", "Yamada Taro"),
    ] {
        let pair = score(&person(1, x), &person(2, y));
        assert_eq!(
            outcome_of(&pair, "name"),
            Some(Outcome::NameSame),
            "{x} / {y}"
        );
    }
    // A different given name beside the same family name is a different name.
    for (x, y) in [("山田太郎", "山田花子"), ("张洋", "张陽菜")] {
        let pair = score(&person(1, x), &person(2, y));
        assert_eq!(
            outcome_of(&pair, "name"),
            Some(Outcome::NameDifferent),
            "{x} / {y}"
        );
    }
}

#[test]
fn a_typo_within_the_jaro_winkler_threshold_is_a_similar_name() {
    let config = MatchConfig::default();
    for (x, y) in [
        ("Jonathan Smith", "Jonathon Smith"),
        ("Margarete Allen", "Aleln Margarete"),
        ("Thomas Rossi", "Thomas Ronsi"),
    ] {
        let pair = score(&person(1, x), &person(2, y));
        let name = pair
            .evidence
            .iter()
            .find(|e| e.outcome.name().starts_with("name"));
        let name = name.unwrap();
        assert_eq!(name.outcome, Outcome::NameSimilar, "{x} / {y}");
        let similarity = name.similarity.unwrap();
        assert!(
            similarity >= config.name_similarity && similarity < 1.0,
            "{similarity}"
        );
    }
    // Another first name, or an extra word, is beyond it.
    for (x, y) in [
        ("Anna Smith", "Peter Smith"),
        ("Jack Jackson", "Sophie Jackson"),
        ("Anna Schmidt", "Anna Maria Schmidt"),
        // Words under four letters are similar only when equal.
        ("Ava Russo", "Eva Russo"),
        ("马霞", "马翔"),
    ] {
        let pair = score(&person(1, x), &person(2, y));
        assert_eq!(
            outcome_of(&pair, "name"),
            Some(Outcome::NameDifferent),
            "{x} / {y}"
        );
    }
    // The threshold is the configuration's.
    let strict = MatchConfig {
        name_similarity: 0.99,
        ..MatchConfig::default()
    };
    let pair = score_pair(
        &person(1, "Jonathan Smith"),
        &person(2, "Jonathon Smith"),
        &strict,
    )
    .unwrap();
    assert_eq!(outcome_of(&pair, "name"), Some(Outcome::NameDifferent));
}

#[test]
fn addresses_compare_folded_streets_house_numbers_and_postcodes() {
    let mut a = person(1, "Erika Mustermann");
    let mut b = person(2, "Erika Mustermann");
    a.address = address("Hauptstraße 5", "10115");
    for (line, code, expected) in [
        ("Hauptstr. 5", "10115", Outcome::AddressSame),
        ("HAUPTSTRASSE 5", "10 115", Outcome::AddressSame),
        ("Haupstraße 5", "10115", Outcome::AddressSimilar),
        ("Hauptstraße 7", "10115", Outcome::AddressDifferent),
        ("Hauptstraße 5", "10117", Outcome::AddressDifferent),
    ] {
        b.address = address(line, code);
        assert_eq!(
            outcome_of(&score(&a, &b), "address"),
            Some(expected),
            "{line} {code}"
        );
    }
}

#[test]
fn birthdays_and_accounts_are_compared_for_equality() {
    let mut a = person(1, "Ada Lovelace");
    let mut b = person(2, "Ada Lovelace");
    a.birthday = NaiveDate::from_ymd_opt(1815, 12, 10);
    b.birthday = a.birthday;
    a.account = Some(CustomerId::from(100));
    b.account = Some(CustomerId::from(100));
    let pair = score(&a, &b);
    assert_eq!(outcome_of(&pair, "birthday"), Some(Outcome::BirthdaySame));
    assert_eq!(outcome_of(&pair, "account"), Some(Outcome::AccountSame));
    b.birthday = NaiveDate::from_ymd_opt(1815, 12, 11);
    b.account = Some(CustomerId::from(101));
    let pair = score(&a, &b);
    assert_eq!(
        outcome_of(&pair, "birthday"),
        Some(Outcome::BirthdayDifferent)
    );
    assert_eq!(
        outcome_of(&pair, "account"),
        Some(Outcome::AccountDifferent)
    );
}

#[test]
fn the_score_is_the_sum_of_the_evidence_weights() {
    let config = MatchConfig::default();
    let mut a = person(1, "Grace Hopper");
    let mut b = person(2, "Hopper, Grace");
    a.email = email("grace@navy.example");
    b.email = email("grace+ships@navy.example");
    a.phone = phone("+1 212 555 0123", None);
    b.phone = phone("+1 212 555 0199", None);
    let pair = score(&a, &b);
    let outcomes: Vec<Outcome> = pair.evidence.iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::EmailSameMailbox,
            Outcome::PhoneDifferent,
            Outcome::NameSame
        ]
    );
    let expected: f64 = outcomes
        .iter()
        .map(|&o| config.likelihoods.get(o).weight())
        .sum();
    assert_eq!(pair.score, expected);
    for e in &pair.evidence {
        assert_eq!(e.weight, config.likelihoods.get(e.outcome).weight());
    }
    let want = if expected >= config.thresholds.same {
        Decision::Same
    } else if expected >= config.thresholds.review {
        Decision::Review
    } else {
        Decision::Different
    };
    assert_eq!(pair.decision, want);
}

/// A family: one phone and one address, different first names and birthdays.
fn household() -> Vec<Customer> {
    let mut family = Vec::new();
    for (id, name, born) in [
        (1, "Anna Schmidt", 1975),
        (2, "Peter Schmidt", 1972),
        (3, "Lena Schmidt", 2004),
    ] {
        let mut c = person(id, name);
        c.phone = phone("+49 30 7654321", None);
        c.address = address("Gartenweg 12", "10115");
        c.birthday = NaiveDate::from_ymd_opt(born, 3, 1);
        family.push(c);
    }
    family
}

#[test]
fn a_family_sharing_phone_and_address_is_not_one_customer() {
    let family = household();
    let pair = score(&family[0], &family[1]);
    assert_eq!(outcome_of(&pair, "phone"), Some(Outcome::PhoneSame));
    assert_eq!(outcome_of(&pair, "address"), Some(Outcome::AddressSame));
    assert_eq!(outcome_of(&pair, "name"), Some(Outcome::NameDifferent));
    assert_ne!(pair.decision, Decision::Same);
    let result = match_customers(&family, &MatchConfig::default()).unwrap();
    assert!(result.groups.is_empty(), "{:?}", result.groups);
    assert_eq!(result.stats.candidate_pairs, 3);

    // Anna's second record, with a typo, joins Anna and nobody else.
    let mut records = household();
    let mut again = person(4, "Anna Schmitd");
    again.phone = phone("030 765 43 21", Some("DE"));
    again.address = address("Gartenweg 12", "10115");
    again.email = email("anna.schmidt@example.org");
    records.push(again);
    let result = match_customers(&records, &MatchConfig::default()).unwrap();
    assert_eq!(result.groups.len(), 1, "{:?}", result.groups);
    assert_eq!(
        result.groups[0].members,
        [CustomerId::from(1), CustomerId::from(4)]
    );
}

#[test]
fn blocks_over_the_limit_give_no_pairs_and_are_counted() {
    // Five people behind one office phone, nothing else in common.
    let names = ["Ann Lee", "Bo Park", "Cy Young", "Di Ross", "Ed Kim"];
    let office: Vec<Customer> = (1..)
        .zip(names)
        .map(|(id, name)| {
            let mut c = person(id, name);
            c.phone = phone("+1 212 555 0100", None);
            c
        })
        .collect();
    let small = MatchConfig {
        max_block_size: 4,
        ..MatchConfig::default()
    };
    let result = match_customers(&office, &small).unwrap();
    assert_eq!(result.stats.candidate_pairs, 0);
    assert_eq!(result.stats.skipped_blocks, 1);
    assert_eq!(result.stats.largest_skipped_block, 5);
    let large = MatchConfig {
        max_block_size: 5,
        ..MatchConfig::default()
    };
    let result = match_customers(&office, &large).unwrap();
    assert_eq!(result.stats.candidate_pairs, 10);
    assert_eq!((result.stats.blocks, result.stats.skipped_blocks), (1, 0));
}

fn three_records_of_one_customer() -> Vec<Customer> {
    let mut records = Vec::new();
    for (id, created) in [(10, 300), (11, 100), (12, 200)] {
        let mut c = Customer::new(
            CustomerId::from(id),
            PartyKind::Person,
            "Katherine Johnson",
            t(created),
        )
        .unwrap();
        c.email = email("katherine.johnson@nasa.example");
        records.push(c);
    }
    records[0].phone = phone("+1 757 864 1000", None);
    records[0].birthday = NaiveDate::from_ymd_opt(1918, 8, 26);
    records
}

#[test]
fn survivor_rules() {
    let records = three_records_of_one_customer();
    let survivor = |rule, hints: &SurvivorHints| {
        let config = MatchConfig {
            survivor: rule,
            ..MatchConfig::default()
        };
        let result = match_customers_with(&records, &config, hints).unwrap();
        assert_eq!(result.groups.len(), 1);
        assert_eq!(result.groups[0].members.len(), 3);
        result.groups[0].survivor.clone()
    };
    let none = SurvivorHints::default();
    assert_eq!(survivor(SurvivorRule::Oldest, &none), CustomerId::from(11));
    assert_eq!(
        survivor(SurvivorRule::MostComplete, &none),
        CustomerId::from(10)
    );
    // Without activity or preference, both fall back to the oldest.
    assert_eq!(
        survivor(SurvivorRule::MostRecentActivity, &none),
        CustomerId::from(11)
    );
    assert_eq!(
        survivor(SurvivorRule::Preferred, &none),
        CustomerId::from(11)
    );
    let mut hints = SurvivorHints::default();
    hints.last_activity.insert(CustomerId::from(12), t(900));
    hints.last_activity.insert(CustomerId::from(10), t(800));
    hints.preferred.insert(CustomerId::from(10));
    assert_eq!(
        survivor(SurvivorRule::MostRecentActivity, &hints),
        CustomerId::from(12)
    );
    assert_eq!(
        survivor(SurvivorRule::Preferred, &hints),
        CustomerId::from(10)
    );
}

#[test]
fn invalid_configurations_and_inputs_are_errors() {
    let records = three_records_of_one_customer();
    let mut config = MatchConfig::default();
    config.thresholds.review = 20.0;
    config.thresholds.same = 10.0;
    let err = match_customers(&records, &config).unwrap_err();
    assert_eq!(
        err,
        MatchError::Config(MatchConfigError::ThresholdsOutOfOrder {
            review: 20.0,
            same: 10.0
        })
    );
    assert!(err.to_string().contains("thresholds.review (20)"), "{err}");

    let mut config = MatchConfig::default();
    config.likelihoods.name_same.m = f64::INFINITY;
    assert!(matches!(
        score_pair(&records[0], &records[1], &config),
        Err(MatchConfigError::Probability {
            outcome: "name_same",
            which: "m",
            ..
        })
    ));
    let config = MatchConfig {
        name_similarity: 1.5,
        ..MatchConfig::default()
    };
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "matching config: name_similarity is 1.5, but a similarity must be in [0, 1]"
    );
    let config = MatchConfig {
        max_block_size: 1,
        ..MatchConfig::default()
    };
    assert!(matches!(
        config.validate(),
        Err(MatchConfigError::BlockSize { value: 1 })
    ));

    let mut twice = records.clone();
    twice.push(records[1].clone());
    assert_eq!(
        match_customers(&twice, &MatchConfig::default()).unwrap_err(),
        MatchError::DuplicateId {
            id: CustomerId::from(11)
        }
    );
}

#[test]
fn results_and_configurations_round_trip_through_json() {
    let mut records = three_records_of_one_customer();
    records.extend(household());
    let result = match_customers(&records, &MatchConfig::default()).unwrap();
    assert!(!result.groups.is_empty() && !result.review.is_empty());
    let json = serde_json::to_string(&result).unwrap();
    assert!(json.contains(r#""outcome":"email_same""#), "{json}");
    assert!(json.contains(r#""decision":"review""#), "{json}");
    // Floats come back within their last digit.
    let back: crm_core::MatchResult = serde_json::from_str(&json).unwrap();
    assert_eq!(back.stats, result.stats);
    let pairs = |r: &crm_core::MatchResult| -> Vec<PairMatch> {
        r.groups
            .iter()
            .flat_map(|g| g.pairs.iter())
            .chain(&r.review)
            .cloned()
            .collect()
    };
    for (x, y) in pairs(&back).iter().zip(pairs(&result).iter()) {
        assert_eq!((&x.a, &x.b, x.decision), (&y.a, &y.b, y.decision));
        assert!((x.score - y.score).abs() < 1e-9);
        let outcomes = |p: &PairMatch| p.evidence.iter().map(|e| e.outcome).collect::<Vec<_>>();
        assert_eq!(outcomes(x), outcomes(y));
    }
    assert_eq!(pairs(&back).len(), pairs(&result).len());
    for (x, y) in back.groups.iter().zip(&result.groups) {
        assert_eq!((&x.survivor, &x.members), (&y.survivor, &y.members));
    }

    let config = MatchConfig::default();
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(serde_json::from_str::<MatchConfig>(&json).unwrap(), config);
    // Every field may be left out.
    let partial: MatchConfig = serde_json::from_str(
        r#"{"thresholds":{"same":15.0,"review":5.0},"survivor":"most_complete"}"#,
    )
    .unwrap();
    assert_eq!(partial.thresholds.same, 15.0);
    assert_eq!(partial.survivor, SurvivorRule::MostComplete);
    assert_eq!(partial.likelihoods, crm_core::Likelihoods::default());
}

// ---- properties over arbitrary customers ----

const NAMES: &[&str] = &[
    "Anna Müller",
    "Müller, Anna",
    "Ana Muller",
    "Peter Müller",
    "山田太郎",
    "山田 太郎",
    "王伟",
    "Wei Wang",
    "O'Brien",
    "Zoë",
];
const EMAILS: &[&str] = &[
    "anna.mueller@gmail.com",
    "annamueller+x@googlemail.com",
    "anna.mueller@example.org",
    "peter@example.org",
    "taro@example.jp",
];
const PHONES: &[&str] = &["+49 30 1234567", "+49 30 7654321", "+81 90 1234 5678"];
const STREETS: &[&str] = &["Hauptstraße 5", "Hauptstr. 5", "Gartenweg 1", "Main St 5"];

fn name_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(NAMES).prop_map(str::to_string),
        "[a-zA-ZäöüßéÅøŁ山田太郎王伟花子 ,.'-]{1,24}",
        "\\PC{1,24}",
    ]
}

prop_compose! {
    fn customer_fields()(
        name in name_strategy(),
        email in prop::option::of(prop::sample::select(EMAILS)),
        phone in prop::option::of(prop::sample::select(PHONES)),
        street in prop::option::of((prop::sample::select(STREETS), prop::sample::select(&["10115", "10117"][..]))),
        birthday in prop::option::of(0u32..3),
        account in prop::option::of(100i64..102),
        created in 0i64..5,
        kind in prop::bool::ANY,
    ) -> Fields {
        (name, email, phone, street, birthday, account, created, kind)
    }
}

type Fields = (
    String,
    Option<&'static str>,
    Option<&'static str>,
    Option<(&'static str, &'static str)>,
    Option<u32>,
    Option<i64>,
    i64,
    bool,
);

fn build(id: i64, fields: &Fields) -> Option<Customer> {
    let (name, email, phone, street, birthday, account, created, org) = fields;
    let kind = if *org {
        PartyKind::Organization
    } else {
        PartyKind::Person
    };
    let mut c = Customer::new(CustomerId::from(id), kind, name, t(*created)).ok()?;
    c.email = email.map(|e| Email::parse(e).unwrap());
    c.phone = phone.map(|p| Phone::parse(p, None).unwrap());
    c.address = street
        .map(|(line, code)| PostalAddress::new([line], "Berlin", Some(code), None, "DE").unwrap());
    c.birthday = birthday.and_then(|d| NaiveDate::from_ymd_opt(1990, 1, 1 + d));
    c.account = account.filter(|&a| a != id).map(CustomerId::from);
    Some(c)
}

fn customers() -> impl Strategy<Value = Vec<Customer>> {
    prop::collection::vec(customer_fields(), 0..24).prop_map(|fields| {
        (1..)
            .zip(fields.iter())
            .filter_map(|(id, f)| build(id, f))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn matching_never_fails_on_valid_customers(records in customers()) {
        let result = match_customers(&records, &MatchConfig::default()).unwrap();
        for group in &result.groups {
            prop_assert!(group.members.len() >= 2);
            prop_assert!(group.members.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(group.members.contains(&group.survivor));
            for pair in &group.pairs {
                prop_assert!(pair.a < pair.b);
                prop_assert_eq!(pair.decision, Decision::Same);
                prop_assert!(pair.score.is_finite());
            }
        }
        for pair in &result.review {
            prop_assert_eq!(pair.decision, Decision::Review);
        }
    }

    #[test]
    fn scoring_is_symmetric(a in customer_fields(), b in customer_fields()) {
        let (Some(a), Some(b)) = (build(1, &a), build(2, &b)) else {
            return Ok(());
        };
        let config = MatchConfig::default();
        let ab = score_pair(&a, &b, &config).unwrap();
        let ba = score_pair(&b, &a, &config).unwrap();
        prop_assert_eq!(ab.score.to_bits(), ba.score.to_bits());
        prop_assert_eq!(&ab, &ba);
        // A record compared with itself under another id agrees on every field.
        let mut twin = a.clone();
        twin.id = CustomerId::from(3);
        let self_pair = score_pair(&a, &twin, &config).unwrap();
        prop_assert!(self_pair.evidence.iter().all(|e| e.weight > 0.0), "{:?}", self_pair);
    }

    #[test]
    fn groups_do_not_depend_on_input_order(
        (records, shuffled) in customers().prop_flat_map(|r| {
            let shuffled = Just(r.clone()).prop_shuffle();
            (Just(r), shuffled)
        }),
        rule in prop::sample::select(&[
            SurvivorRule::Oldest,
            SurvivorRule::MostComplete,
            SurvivorRule::MostRecentActivity,
            SurvivorRule::Preferred,
        ][..]),
    ) {
        let config = MatchConfig { survivor: rule, ..MatchConfig::default() };
        let mut hints = SurvivorHints::default();
        for c in records.iter().filter(|c| c.id.key().as_int().unwrap_or(0) % 3 == 0) {
            hints.last_activity.insert(c.id.clone(), t(c.id.key().as_int().unwrap_or(0) % 4));
            hints.preferred.insert(c.id.clone());
        }
        let one = match_customers_with(&records, &config, &hints).unwrap();
        let two = match_customers_with(&shuffled, &config, &hints).unwrap();
        prop_assert_eq!(&one, &two);
        // The survivor is the first member in the rule's order, the same every time.
        if rule == SurvivorRule::Oldest {
            for group in &one.groups {
                let oldest = group
                    .members
                    .iter()
                    .map(|id| records.iter().find(|c| &c.id == id).unwrap())
                    .min_by(|x, y| (x.created_at, &x.id).cmp(&(y.created_at, &y.id)))
                    .unwrap();
                prop_assert_eq!(&group.survivor, &oldest.id);
            }
        }
    }
}
