//! Criterion benchmark of duplicate matching:
//!
//! * `matching/match_customers/1m_5pct_duplicates`: `crm_core::match_customers` with the
//!   default configuration on 1,000,000 customers of which 5 % are duplicates, from
//!   `crm_core::generate_labelled` (seed 20250101: typos, swapped names, missing fields,
//!   e-mail and phone variants, families sharing a phone and an address, CJK names). Only
//!   the matching is timed, not the generation.
//!
//! Run with `cargo bench -p crm-benches --bench matching`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_core::{
    GeneratorConfig, MatchConfig, evaluate_matching, generate_labelled, match_customers,
};

const CUSTOMERS: usize = 1_000_000;

fn matching(c: &mut Criterion) {
    let data = generate_labelled(&GeneratorConfig {
        customers: CUSTOMERS,
        duplicate_share: 0.05,
        ..GeneratorConfig::default()
    });
    let config = MatchConfig::default();
    // The input is what the accuracy test measures, at scale.
    let result = match_customers(&data.customers, &config).expect("valid input");
    let accuracy = evaluate_matching(&result, &data);
    assert!(
        accuracy.precision >= 0.98 && accuracy.recall >= 0.95,
        "{accuracy:?}"
    );
    let mut g = c.benchmark_group("matching");
    g.sample_size(10)
        .throughput(Throughput::Elements(CUSTOMERS as u64));
    g.bench_function("match_customers/1m_5pct_duplicates", |b| {
        b.iter(|| match_customers(black_box(&data.customers), &config).expect("valid input"))
    });
    g.finish();
}

criterion_group!(benches, matching);
criterion_main!(benches);
