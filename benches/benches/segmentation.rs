//! Criterion benchmarks for the segmentation hot paths.
//!
//! `rfm_full_table` computes the full RFM table (values, quantile scores, default segments)
//! of 10,000,000 seeded synthetic transactions over 1,000,000 customers: the rows
//! `bench-gen transactions --rows 10000000 --customers 1000000` writes for the side-by-side
//! comparison (`benches/compare/run.sh`), here generated in memory.

use criterion::{Criterion, criterion_group, criterion_main};
use crm_benches::transactions::TransactionSpec;
use crm_segmentation::{RfmConfig, rfm_parallel};
use rust_decimal::Decimal;

const TRANSACTIONS: u64 = 10_000_000;
const CUSTOMERS: u64 = 1_000_000;
/// The default seed of `bench-gen`, so that both see the same rows.
const SEED: u64 = 20_241_124;

fn rfm_benches(c: &mut Criterion) {
    let rows: Vec<_> = TransactionSpec::new(TRANSACTIONS, CUSTOMERS, SEED)
        .rows()
        .map(|t| t.purchase())
        .collect();
    let config = RfmConfig::default();
    let check = rfm_parallel(&rows, &config, 0).expect("rfm");
    assert_eq!(check.customers.len() as u64, CUSTOMERS);
    // The fingerprint the comparison prints for every tool, to show the tables agree.
    let sum = |f: fn(&crm_segmentation::CustomerRfm<u64>) -> u64| -> u64 {
        check.customers.iter().map(f).sum()
    };
    let champions = check
        .customers
        .iter()
        .filter(|c| check.segment_name(c) == "Champions")
        .count();
    let monetary: Decimal = check.customers.iter().map(|c| c.monetary).sum();
    eprintln!(
        "fingerprint (customers, sum r, sum f, sum m, sum monetary, champions) = ({}, {}, {}, {}, {}, {})",
        check.customers.len(),
        sum(|c| u64::from(c.r)),
        sum(|c| u64::from(c.f)),
        sum(|c| u64::from(c.m)),
        monetary,
        champions
    );

    let mut group = c.benchmark_group("segmentation");
    group.sample_size(10);
    // The freeing of each returned table (80 MB) is left out of the timing, as in the
    // side-by-side comparison, which times the computation only.
    group.bench_function("rfm_full_table_10m_tx_1m_customers", |b| {
        b.iter_with_large_drop(|| rfm_parallel(&rows, &config, 0).expect("rfm"))
    });
    group.bench_function("rfm_full_table_10m_tx_1m_customers_1_thread", |b| {
        b.iter_with_large_drop(|| rfm_parallel(&rows, &config, 1).expect("rfm"))
    });
    group.finish();
}

criterion_group!(benches, rfm_benches);
criterion_main!(benches);
