//! Criterion benchmarks for keeping in touch (`crm-engagement`).
//!
//! * `engagement/due/1000000_customers_20000000_interactions`: `crm_engagement::due` over
//!   1,000,000 customers (a quarter A class, half with consent on e-mail and phone, a
//!   tenth with none) and 20,000,000 seeded interactions in time order over two years, as
//!   compact `Touch` values (customer by position, the dense form). The policy has three
//!   rules (A class every 30 days counting outbound phone and meeting contacts, an outcome
//!   rule for at-risk customers, tagged VIPs) and a default. Memory is one small state
//!   per customer; the interactions are read once, never sorted.
//!
//! Run with `cargo bench -p crm-benches --bench engagement`.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crm_core::{
    Channel, ConsentChannel, Customer, Direction, LifecycleStage, PartyKind, Tag, UserId,
};
use crm_engagement::{
    AbcClass, CadencePolicy, CadenceRule, CadenceSubject, CountedContacts, CustomerMatch, Touch,
    due,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const CUSTOMERS: usize = 1_000_000;
const INTERACTIONS: usize = 20_000_000;
const SEED: u64 = 20_240_601;

fn policy() -> CadencePolicy {
    let a = CadenceRule::new(
        "a-class",
        30,
        vec![ConsentChannel::Phone, ConsentChannel::Email],
    )
    .matching(CustomerMatch {
        abc_classes: vec![AbcClass::A],
        ..CustomerMatch::default()
    })
    .counting(CountedContacts {
        directions: vec![Direction::Outbound],
        channels: vec![Channel::Phone, Channel::Meeting],
        ..CountedContacts::default()
    });
    let at_risk = CadenceRule::new("at-risk", 14, vec![ConsentChannel::Phone])
        .matching(CustomerMatch {
            lifecycle_stages: vec![LifecycleStage::AtRisk],
            ..CustomerMatch::default()
        })
        .counting(CountedContacts {
            outcomes: vec!["reached".into()],
            ..CountedContacts::default()
        });
    let vip = CadenceRule::new("vip", 21, vec![ConsentChannel::Email]).matching(CustomerMatch {
        tags: vec![Tag::new("vip").expect("a valid tag")],
        ..CustomerMatch::default()
    });
    CadencePolicy::new(
        vec![a, at_risk, vip],
        CadenceRule::new(
            "everyone",
            90,
            vec![ConsentChannel::Email, ConsentChannel::Sms],
        ),
    )
    .expect("a valid policy")
}

fn customers(as_of: DateTime<Utc>) -> Vec<Customer> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let owners: Vec<UserId> = (0..50)
        .map(|i| format!("rep.{i}").parse().expect("a valid user id"))
        .collect();
    let vip = Tag::new("vip").expect("a valid tag");
    (0..CUSTOMERS)
        .map(|i| {
            let mut c = Customer::new((i as i64).into(), PartyKind::Person, "Customer", as_of)
                .expect("a valid customer");
            c.owner = Some(owners[i % owners.len()].clone());
            match rng.random_range(0..10) {
                0 => {}
                1..=5 => {
                    c.give_consent(ConsentChannel::Email, as_of);
                    c.give_consent(ConsentChannel::Phone, as_of);
                }
                _ => c.give_consent(ConsentChannel::Email, as_of),
            }
            if rng.random_range(0..10) == 0 {
                c.lifecycle_stage = Some(LifecycleStage::AtRisk);
            }
            if rng.random_range(0..20) == 0 {
                c.tags.insert(vip.clone());
            }
            c
        })
        .collect()
}

fn touches(as_of: DateTime<Utc>) -> Vec<Touch<'static>> {
    let mut rng = StdRng::seed_from_u64(SEED + 1);
    let span_ms: i64 = 2 * 365 * 86_400_000;
    let start = as_of.timestamp_millis() - span_ms;
    let step = span_ms / INTERACTIONS as i64;
    (0..INTERACTIONS)
        .map(|i| {
            let at = DateTime::from_timestamp_millis(start + step * i as i64).expect("in range");
            let channel = Channel::ALL[rng.random_range(0..Channel::ALL.len())];
            let direction = if rng.random_range(0..3) == 0 {
                Direction::Inbound
            } else {
                Direction::Outbound
            };
            let t = Touch::new(
                rng.random_range(0..CUSTOMERS as u32),
                at,
                channel,
                direction,
            );
            if rng.random_range(0..4) == 0 {
                t.with_outcome("reached")
            } else {
                t
            }
        })
        .collect()
}

fn bench_due(c: &mut Criterion) {
    let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let policy = policy();
    let records = customers(as_of);
    let subjects: Vec<CadenceSubject<'_>> = records
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = CadenceSubject::new(c);
            if i % 4 == 0 {
                s.with_abc_class(AbcClass::A)
            } else {
                s.with_abc_class(AbcClass::C)
            }
        })
        .collect();
    let touches = touches(as_of);

    let mut group = c.benchmark_group("engagement/due");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(INTERACTIONS as u64));
    group.bench_function("1000000_customers_20000000_interactions", |b| {
        b.iter(|| {
            let report =
                due(as_of, black_box(&subjects), black_box(&touches), &policy).expect("due");
            black_box(report.due.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_due);
criterion_main!(benches);
