//! Criterion benchmarks for the segmentation hot paths.
//!
//! `rfm_full_table` computes the full RFM table (values, quantile scores, default segments)
//! of 10,000,000 seeded synthetic transactions over 1,000,000 customers. Set
//! `SEG_EXPORT_CSV=path` to also write the same transactions as CSV
//! (`customer,ts,amount`) for the side-by-side run of peer tools.

use std::io::Write;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crm_segmentation::{RfmConfig, rfm_parallel};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

const TRANSACTIONS: usize = 10_000_000;
const CUSTOMERS: usize = 1_000_000;
const SEED: u64 = 20_240_601;

/// A scrambled, distinct 63-bit customer id for index `i` (splitmix64 finaliser).
fn customer_id(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) >> 1
}

/// Seeded purchases: every customer buys at least once (the first `customers` rows), the rest
/// go to uniformly drawn customers; times uniform over two years at one-second resolution;
/// amounts 0.01..=500.00, one in twenty a refund.
fn purchases(n: usize, customers: usize, seed: u64) -> Vec<(u64, DateTime<Utc>, Decimal)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc
        .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let span = 730 * 86_400;
    (0..n)
        .map(|i| {
            let c = if i < customers {
                i as u64
            } else {
                rng.random_range(0..customers as u64)
            };
            let secs = start + rng.random_range(0..span);
            let mut cents = rng.random_range(1..=50_000i64);
            if rng.random_range(0..20) == 0 {
                cents = -cents;
            }
            (
                customer_id(c),
                DateTime::from_timestamp(secs, 0).unwrap(),
                Decimal::new(cents, 2),
            )
        })
        .collect()
}

fn export_csv(path: &str, rows: &[(u64, DateTime<Utc>, Decimal)]) {
    let file = std::fs::File::create(path).expect("create export file");
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "customer,ts,amount").unwrap();
    for (c, t, a) in rows {
        writeln!(w, "{c},{},{a}", t.format("%Y-%m-%d %H:%M:%S")).unwrap();
    }
}

fn rfm_benches(c: &mut Criterion) {
    let rows = purchases(TRANSACTIONS, CUSTOMERS, SEED);
    if let Ok(path) = std::env::var("SEG_EXPORT_CSV") {
        export_csv(&path, &rows);
    }
    let config = RfmConfig::default();
    let check = rfm_parallel(&rows, &config, 0).expect("rfm");
    assert_eq!(check.customers.len(), CUSTOMERS);
    // The same fingerprint the peer script prints, to show the tables agree.
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
    group.bench_function("rfm_full_table_10m_tx_1m_customers", |b| {
        b.iter(|| rfm_parallel(&rows, &config, 0).expect("rfm"))
    });
    group.bench_function("rfm_full_table_10m_tx_1m_customers_1_thread", |b| {
        b.iter(|| rfm_parallel(&rows, &config, 1).expect("rfm"))
    });
    group.finish();
}

criterion_group!(benches, rfm_benches);
criterion_main!(benches);
