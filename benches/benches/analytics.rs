//! Criterion benchmarks for the hot paths not covered by the per-crate bench files
//! (`segmentation.rs` has RFM, `lifecycle.rs` transitions, validation and the SLA report,
//! `churn.rs` the BG/NBD and Pareto/NBD fits and P(alive), `satisfaction.rs` NPS/CSAT over
//! columns and NPS by group, `storage.rs` the SQLite import):
//!
//! * `segmentation/abc/1m_customers`: ABC classes (cumulative share 80 % / 95 %) of 1,000,000
//!   customer values;
//! * `segmentation/segment_mapping/1m_scores`: the default RFM segment table applied to
//!   1,000,000 `(r, f, m)` score triples;
//! * `satisfaction/csat_by_group/1m_1000_groups`: CSAT per group with hashed keys;
//! * `churn/gamma_gamma_fit/100k_repeat_buyers`: the Gamma-Gamma spend fit (rows merged,
//!   L-BFGS, standard errors) on 100,000 repeat buyers simulated from `p = 6.25`,
//!   `q = 3.74`, `γ = 15.44` with 1..=20 repeat purchases each.
//!
//! Run with `cargo bench -p crm-benches --bench analytics`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_benches::mix;
use crm_churn::{GammaGammaParams, fit_gamma_gamma, simulate_spend};
use crm_satisfaction::{Breakdown, Csat, CsatScale};
use crm_segmentation::SegmentTable;
use crm_segmentation::{AbcMethod, classify};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;

const CUSTOMERS: u64 = 1_000_000;

fn segmentation(c: &mut Criterion) {
    let values: Vec<(u64, Decimal)> = (0..CUSTOMERS)
        .map(|i| {
            // Heavy-tailed values: a few large customers, many small ones, some refunds.
            let u = (mix(i) % 1_000_000) as f64 / 1_000_000.0;
            let cents = (50_000.0 * (1.0 - u).powf(-0.7)) as i64 - 40_000;
            (i, Decimal::new(cents, 2))
        })
        .collect();
    let scores: Vec<(u8, u8, u8)> = (0..CUSTOMERS)
        .map(|i| {
            let h = mix(i ^ 0xABCD);
            (
                1 + (h % 5) as u8,
                1 + ((h >> 8) % 5) as u8,
                1 + ((h >> 16) % 5) as u8,
            )
        })
        .collect();
    let table = SegmentTable::default();
    let mut g = c.benchmark_group("segmentation");
    g.sample_size(10)
        .throughput(Throughput::Elements(CUSTOMERS));
    g.bench_function("abc/1m_customers", |b| {
        b.iter(|| classify(black_box(values.clone()), &AbcMethod::default()).expect("valid"))
    });
    g.bench_function("segment_mapping/1m_scores", |b| {
        b.iter(|| {
            black_box(&scores)
                .iter()
                .map(|&(r, f, m)| table.classify(r, f, m).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn satisfaction(c: &mut Criterion) {
    let n = 1_000_000u64;
    let rows: Vec<(u32, u8)> = (0..n)
        .map(|i| ((mix(i) % 1_000) as u32, 1 + (mix(i ^ 0x5A) % 5) as u8))
        .collect();
    let mut g = c.benchmark_group("satisfaction");
    g.sample_size(10).throughput(Throughput::Elements(n));
    g.bench_function("csat_by_group/1m_1000_groups", |b| {
        b.iter(|| {
            let mut by = Breakdown::new(Csat::new(CsatScale::default()));
            for &(k, s) in black_box(&rows) {
                by.add(k, s).expect("valid");
            }
            by
        })
    });
    g.finish();
}

fn churn(c: &mut Criterion) {
    let n = 100_000usize;
    let truth = GammaGammaParams::new(6.25, 3.74, 15.44).expect("valid parameters");
    let frequencies: Vec<u32> = (0..n as u64)
        .map(|i| 1 + (mix(i ^ 0x77) % 20) as u32)
        .collect();
    let mut rng = StdRng::seed_from_u64(20_241_124);
    let (observations, _) = simulate_spend(&truth, &frequencies, &mut rng).expect("valid");
    let mut g = c.benchmark_group("churn");
    g.sample_size(10).throughput(Throughput::Elements(n as u64));
    g.bench_function("gamma_gamma_fit/100k_repeat_buyers", |b| {
        b.iter(|| fit_gamma_gamma(black_box(&observations)).expect("fit"))
    });
    g.finish();
}

criterion_group!(benches, segmentation, satisfaction, churn);
criterion_main!(benches);
