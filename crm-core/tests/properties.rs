//! Properties of every parser and constructor: arbitrary input gives `Ok` or a typed error
//! (never a panic); accepted values survive a JSON round trip unchanged; normalization is
//! idempotent; money addition is associative and never mixes currencies.

#![cfg(feature = "serde")]

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn json_round_trip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let json = serde_json::to_string(value).expect("serializes");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not read back: {e}"))
}

/// Text that mixes ordinary characters, whitespace, controls, digits and non-ASCII.
fn messy_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \\t\\n\\x00a-zA-Z0-9äöüßéñ中文🙂+().@/-]{0,40}",
        "[a-zA-Z0-9 -]{0,200}",
    ]
}

const REGIONS: &[&str] = &[
    "DE", "US", "GB", "FR", "JP", "IN", "BR", "CH", "AT", "de", "xx", "",
];

fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
    (-2_208_988_800i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, n)| DateTime::from_timestamp(s, n).expect("in range"))
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(vec![
        Currency::EUR,
        Currency::USD,
        Currency::JPY,
        Currency::KWD,
        Currency::BHD,
        Currency::CHF,
        Currency::XAU,
    ])
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (-1_000_000_000_000_000i64..1_000_000_000_000_000, 0u32..=6)
        .prop_map(|(m, s)| Decimal::new(m, s))
}

fn money() -> impl Strategy<Value = Money> {
    (decimal(), currency()).prop_map(|(a, c)| Money::new(a, c))
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        any::<i64>().prop_map(Key::from),
        any::<u128>().prop_map(|u| Key::from(Uuid::from_u128(u))),
        "[A-Za-z][A-Za-z0-9_ .:-]{0,30}[A-Za-z0-9]".prop_map(|s| Key::parse(&s).expect("valid")),
    ]
}

fn customer_id() -> impl Strategy<Value = CustomerId> {
    key().prop_map(CustomerId::from)
}

fn tags() -> impl Strategy<Value = BTreeSet<Tag>> {
    prop::collection::vec("[a-zA-Zé ]{1,12}", 0..4)
        .prop_map(|v| v.iter().filter_map(|s| Tag::new(s).ok()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

    // ---- keys and ids ----

    #[test]
    fn key_parse_is_total_and_round_trips(s in messy_text()) {
        match Key::parse(&s) {
            Ok(k) => {
                prop_assert!(s.len() <= MAX_KEY_LEN);
                prop_assert_eq!(k.to_string().parse::<Key>().unwrap(), k.clone());
                prop_assert_eq!(json_round_trip(&k), k.clone());
                if let KeyView::Str(text) = k.view() {
                    prop_assert_eq!(text, s.as_str());
                }
            }
            Err(e) => prop_assert_eq!(e.kind(), "key"),
        }
    }

    #[test]
    fn integer_text_normalizes_to_integer_keys(i in any::<i64>()) {
        prop_assert_eq!(Key::parse(&i.to_string()).unwrap(), Key::from(i));
        prop_assert_eq!(json_round_trip(&Key::from(i)), Key::from(i));
        prop_assert_eq!(serde_json::to_string(&Key::from(i)).unwrap(), i.to_string());
    }

    #[test]
    fn uuid_text_normalizes_to_uuid_keys(u in any::<u128>(), upper in any::<bool>()) {
        let u = Uuid::from_u128(u);
        let mut text = u.hyphenated().to_string();
        if upper {
            text = text.to_ascii_uppercase();
        }
        prop_assert_eq!(Key::parse(&text).unwrap(), Key::from(u));
    }

    #[test]
    fn generated_keys_round_trip(k in key()) {
        prop_assert_eq!(json_round_trip(&k), k.clone());
        prop_assert_eq!(Key::parse(&k.to_string()).unwrap(), k);
    }

    #[test]
    fn every_id_type_parses_totally_and_round_trips(s in messy_text()) {
        macro_rules! check {
            ($($t:ty),*) => {$(
                match <$t>::parse(&s) {
                    Ok(id) => {
                        prop_assert_eq!(json_round_trip(&id), id.clone());
                        prop_assert_eq!(id.to_string().parse::<$t>().unwrap(), id);
                    }
                    Err(e) => prop_assert_eq!(e.kind(), <$t>::KIND),
                }
            )*};
        }
        check!(CustomerId, ContactId, InteractionId, TicketId, DealId, TransactionId, SurveyResponseId, UserId);
    }

    #[test]
    fn a_transaction_is_the_purchase_of_its_tuple(k in key(), at in timestamp(), amount in money()) {
        let t = Transaction::new(TransactionId::from(1), CustomerId::from(k), at, amount);
        let tuple = (t.customer.clone(), at, amount);
        prop_assert_eq!(Purchase::customer(&t), tuple.customer());
        prop_assert_eq!(Purchase::at(&t), tuple.at());
        prop_assert_eq!(Purchase::amount(&t), tuple.amount());
        prop_assert_eq!(t.amount().as_money(), Some(amount));
        prop_assert_eq!(Amount::value(&amount), amount.amount());
        // A bare decimal carries no currency.
        prop_assert_eq!((t.customer.clone(), at, amount.amount()).amount().as_money(), None);
    }

    // ---- contact points ----

    #[test]
    fn email_parse_is_total_idempotent_and_round_trips(s in messy_text()) {
        if let Ok(e) = Email::parse(&s) {
            prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
            prop_assert_eq!(json_round_trip(&e), e.clone());
            prop_assert!(e.domain().is_ascii());
        }
    }

    #[test]
    fn plausible_emails_normalize_idempotently(
        local in "[a-zA-Z0-9._%+-]{1,20}|[a-zäöüéñ]{1,10}",
        label in "[a-zA-Z0-9]{1,10}|[a-zäöüßéñ]{1,10}|[中文字]{1,4}",
        tld in "[a-zA-Z]{2,6}",
        pad in "[ \\t]{0,2}",
    ) {
        let raw = format!("{pad}{local}@{label}.{tld}{pad}");
        if let Ok(e) = Email::parse(&raw) {
            let again = Email::parse(e.as_str()).unwrap();
            prop_assert_eq!(&again, &e);
            prop_assert_eq!(e.as_str().to_lowercase(), e.as_str());
            prop_assert_eq!(json_round_trip(&e), e);
        } else {
            // Only local parts the RFC forbids (dots at the ends or doubled) may fail here.
            prop_assert!(local.starts_with('.') || local.ends_with('.') || local.contains(".."), "{raw:?}");
        }
    }

    #[test]
    fn phone_parse_is_total_idempotent_and_round_trips(
        s in prop_oneof![messy_text(), "(\\+|00)?[0-9 ().-]{3,20}"],
        region in prop::sample::select(REGIONS),
        other in prop::sample::select(REGIONS),
    ) {
        let region = (!region.is_empty()).then_some(region);
        if let Ok(p) = Phone::parse(&s, region) {
            prop_assert!(p.as_str().starts_with('+'));
            prop_assert!(p.as_str()[1..].bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(Phone::parse(p.as_str(), None).unwrap(), p.clone());
            if let Ok(again) = Phone::parse(p.as_str(), Some(other)) {
                prop_assert_eq!(again, p.clone());
            }
            prop_assert_eq!(json_round_trip(&p), p);
        }
    }

    #[test]
    fn real_numbers_in_any_spelling_normalize_to_one_e164(
        (cc, region, area, subscriber) in prop_oneof![
            ("[1-9][0-9]{6}").prop_map(|s| ("49", "DE", "30", s)),
            ("555[0-9]{4}").prop_map(|s| ("1", "US", "212", s)),
            ("7946[0-9]{4}").prop_map(|s| ("44", "GB", "20", s)),
            ("[2-9][0-9]{7}").prop_map(|s| ("33", "FR", "1", s)),
        ],
        style in 0u8..4,
        sep in prop::sample::select(vec![" ", "-", "", ".", " - "]),
        parens in any::<bool>(),
    ) {
        let expected = format!("+{cc}{area}{subscriber}");
        let area_shown = if parens { format!("({area})") } else { area.to_string() };
        let (half1, half2) = subscriber.split_at(3);
        let trunk = if cc == "1" { "1" } else { "0" };
        let raw = match style {
            0 => format!("+{cc}{sep}{area_shown}{sep}{half1}{sep}{half2}"),
            1 => format!("00{cc}{sep}{area_shown}{sep}{half1}{sep}{half2}"),
            2 => format!("{trunk}{area}{sep}{half1}{sep}{half2}"),
            _ => format!(" {area_shown}{sep}{half1}{sep}{half2} "),
        };
        let phone = Phone::parse(&raw, Some(region)).unwrap_or_else(|e| panic!("{raw:?} in {region}: {e}"));
        prop_assert_eq!(phone.as_str(), expected.as_str());
        prop_assert_eq!(Phone::parse(phone.as_str(), None).unwrap(), phone.clone());
        prop_assert_eq!(json_round_trip(&phone), phone);
    }

    #[test]
    fn postal_address_is_total_and_round_trips(
        lines in prop::collection::vec(messy_text(), 0..6),
        city in messy_text(),
        postal in prop::option::of(messy_text()),
        region in prop::option::of(messy_text()),
        country in "[a-zA-Z]{2}|\\PC{0,3}",
    ) {
        if let Ok(a) = PostalAddress::new(&lines, &city, postal.as_deref(), region.as_deref(), &country) {
            prop_assert_eq!(json_round_trip(&a), a.clone());
            prop_assert_eq!(format!("{:?}", a), "PostalAddress(<redacted>)");
        }
    }

    // ---- tags and vocabularies ----

    #[test]
    fn tags_are_total_idempotent_and_round_trip(s in messy_text()) {
        if let Ok(t) = Tag::new(&s) {
            prop_assert_eq!(Tag::new(t.as_str()).unwrap(), t.clone());
            prop_assert_eq!(json_round_trip(&t), t);
        }
    }

    #[test]
    fn vocabulary_parsing_is_total(s in messy_text()) {
        macro_rules! check {
            ($($t:ty),*) => {$(
                if let Ok(v) = s.parse::<$t>() {
                    prop_assert_eq!(v.as_str(), s.as_str());
                    prop_assert_eq!(json_round_trip(&v), v);
                }
            )*};
        }
        check!(PartyKind, Channel, Direction, ConsentChannel, ConsentStatus, LifecycleStage,
               TicketStatus, TicketPriority, TicketCategory, DealStage, SurveyKind);
    }

    // ---- money ----

    #[test]
    fn money_parse_is_total_and_round_trips(s in prop_oneof![messy_text(), "-?[0-9]{1,30}(\\.[0-9]{0,30})? [A-Za-z]{3}"]) {
        if let Ok(m) = s.parse::<Money>() {
            prop_assert_eq!(m.to_string().parse::<Money>().unwrap(), m);
            prop_assert_eq!(json_round_trip(&m), m);
        }
    }

    #[test]
    fn money_addition_is_associative_and_commutative(
        a in decimal(), b in decimal(), c in decimal(), cur in currency(),
    ) {
        let (a, b, c) = (Money::new(a, cur), Money::new(b, cur), Money::new(c, cur));
        let left = a.checked_add(&b).unwrap().checked_add(&c).unwrap();
        let right = a.checked_add(&b.checked_add(&c).unwrap()).unwrap();
        prop_assert_eq!(left, right);
        prop_assert_eq!(a.checked_add(&b).unwrap(), b.checked_add(&a).unwrap());
        prop_assert_eq!(Money::sum(cur, &[a, b, c]).unwrap(), left);
        prop_assert_eq!(a.checked_sub(&b).unwrap(), a.checked_add(&b.negated()).unwrap());
        prop_assert_eq!(left.currency(), cur);
    }

    #[test]
    fn money_never_mixes_currencies(a in money(), b in money()) {
        let add = a.checked_add(&b);
        let sub = a.checked_sub(&b);
        if a.currency() == b.currency() {
            prop_assert!(add.is_ok() && sub.is_ok());
        } else {
            let mismatch = MoneyError::CurrencyMismatch { left: a.currency(), right: b.currency() };
            prop_assert_eq!(add.unwrap_err(), mismatch.clone());
            prop_assert_eq!(sub.unwrap_err(), mismatch);
            prop_assert!(Money::sum(a.currency(), &[a, b]).is_err());
        }
    }

    #[test]
    fn money_overflow_is_an_error_not_a_panic(a in any::<i128>(), s in 0u32..=28, f in any::<i64>()) {
        if let Ok(d) = Decimal::try_from_i128_with_scale(a % 79_228_162_514_264_337_593_543_950_335, s) {
            let m = Money::new(d, Currency::EUR);
            let _ = m.checked_add(&m);
            let _ = m.checked_sub(&m.negated());
            let _ = m.checked_mul(Decimal::from(f));
        }
    }

    #[test]
    fn rounding_is_idempotent_and_keeps_the_currency(m in money()) {
        let r = m.round();
        prop_assert_eq!(r.round(), r);
        prop_assert_eq!(r.currency(), m.currency());
        prop_assert!(r.amount().scale() >= crm_core::minor_digits(m.currency()).min(28));
        prop_assert!((r.amount() - m.amount()).abs() <= Decimal::new(5, crm_core::minor_digits(m.currency()) + 1));
    }

    // ---- surveys ----

    #[test]
    fn survey_scores_are_accepted_exactly_on_their_scales(s in any::<u8>(), min in any::<u8>(), max in any::<u8>()) {
        prop_assert_eq!(SurveyScore::nps(s).is_ok(), s <= 10);
        prop_assert_eq!(SurveyScore::ces(s).is_ok(), (1..=7).contains(&s));
        match CsatScale::new(min, max) {
            Ok(scale) => {
                prop_assert!(min < max);
                let r = SurveyScore::csat(s, scale);
                prop_assert_eq!(r.is_ok(), (min..=max).contains(&s));
                if let Ok(score) = r {
                    prop_assert_eq!(json_round_trip(&score), score);
                }
            }
            Err(_) => prop_assert!(min >= max),
        }
        for score in [SurveyScore::nps(s), SurveyScore::ces(s)].into_iter().flatten() {
            prop_assert_eq!(json_round_trip(&score), score);
        }
    }

    // ---- records ----

    #[test]
    fn customer_new_is_total_and_round_trips(
        id in customer_id(),
        name in messy_text(),
        org in any::<bool>(),
        t in timestamp(),
        email in prop::option::of("[a-z]{1,8}@[a-zé]{1,8}\\.[a-z]{2,4}"),
        tags in tags(),
        birthday in prop::option::of((1900i32..2030, 1u32..=12, 1u32..=28)),
        attrs in prop::collection::vec(("[a-z ]{0,10}", any::<i64>(), messy_text()), 0..4),
        consent in prop::option::of((prop::sample::select(ConsentChannel::ALL), any::<bool>())),
        stage in prop::option::of(prop::sample::select(LifecycleStage::ALL)),
    ) {
        let kind = if org { PartyKind::Organization } else { PartyKind::Person };
        let Ok(mut c) = Customer::new(id, kind, &name, t) else { return Ok(()); };
        prop_assert!(c.validate().is_ok());
        prop_assert_eq!(c.name.expose().as_str(), name.trim());
        c.email = email.and_then(|e| Email::parse(&e).ok());
        c.tags = tags;
        c.birthday = birthday.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
        c.lifecycle_stage = stage;
        for (k, i, text) in attrs {
            let _ = c.set_attribute(&k, i);
            let _ = c.set_attribute(&format!("{k}_text"), text);
        }
        if let Some((channel, given)) = consent {
            if given { c.give_consent(channel, t) } else { c.withdraw_consent(channel, t) }
        }
        prop_assert!(c.validate().is_ok());
        prop_assert_eq!(json_round_trip(&c), c);
    }

    #[test]
    fn deal_new_is_total_and_round_trips(title in messy_text(), amount in money(), t in timestamp()) {
        match Deal::new(1.into(), 2.into(), &title, amount, t) {
            Ok(d) => {
                prop_assert!(!amount.is_negative());
                prop_assert_eq!(json_round_trip(&d), d);
            }
            Err(e) => prop_assert!(amount.is_negative() || e.to_string().starts_with("deal.title")),
        }
    }

    #[test]
    fn ticket_rules_match_timestamp_order(
        t0 in timestamp(), r in prop::option::of(-1000i64..100_000), s in prop::option::of(-1000i64..100_000),
        c in prop::option::of(-1000i64..100_000), status in prop::sample::select(TicketStatus::ALL),
        priority in prop::sample::select(TicketPriority::ALL), tags in tags(),
    ) {
        let at = |o: Option<i64>| o.map(|x| t0 + chrono::Duration::seconds(x));
        let mut t = Ticket::new(3.into(), 4.into(), TicketCategory::Incident, Channel::Email, t0);
        t.first_response_at = at(r);
        t.solved_at = at(s);
        t.closed_at = at(c);
        t.status = status;
        t.priority = priority;
        t.tags = tags;
        let ok = r.is_none_or(|x| x >= 0) && s.is_none_or(|x| x >= 0) && c.is_none_or(|x| x >= 0)
            && !matches!((s, c), (Some(s), Some(c)) if c < s);
        prop_assert_eq!(t.validate().is_ok(), ok);
        let json = serde_json::to_string(&t).unwrap();
        match serde_json::from_str::<Ticket>(&json) {
            Ok(back) => {
                prop_assert!(ok);
                prop_assert_eq!(back, t);
            }
            // Reading checks the same rules as `validate`.
            Err(e) => prop_assert!(!ok && e.to_string().contains("ticket."), "{e}"),
        }
    }

    #[test]
    fn transactions_and_interactions_round_trip(
        amount in money(), t in timestamp(), q in decimal(), product in prop::option::of(messy_text()),
        secs in prop::option::of(any::<u64>()), nanos in 0u32..1_000_000_000,
        channel in prop::sample::select(Channel::ALL), inbound in any::<bool>(),
    ) {
        let mut tx = Transaction::new("TX-9".parse().unwrap(), 5.into(), t, amount);
        tx.quantity = q;
        tx.product = product;
        tx.channel = Some(channel);
        let product_ok = tx.product.as_deref().is_none_or(|p| {
            !p.is_empty() && p.trim() == p && !p.chars().any(char::is_control) && p.chars().count() <= 512
        });
        let quantity_ok = !q.is_sign_negative() || q.is_zero();
        prop_assert_eq!(tx.validate().is_ok(), product_ok && quantity_ok);
        let json = serde_json::to_string(&tx).unwrap();
        prop_assert_eq!(
            serde_json::from_str::<Transaction>(&json).ok(),
            (product_ok && quantity_ok).then(|| tx.clone())
        );
        prop_assert_eq!(tx.is_refund(), amount.is_negative());

        let dir = if inbound { Direction::Inbound } else { Direction::Outbound };
        let mut i = Interaction::new(7.into(), 5.into(), channel, dir, t);
        i.duration = secs.map(|s| Duration::new(s, nanos));
        let _ = i.ended_at();
        prop_assert!(i.validate().is_ok());
        prop_assert_eq!(json_round_trip(&i), i);
    }
}
