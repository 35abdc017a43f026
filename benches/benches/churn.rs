//! Criterion benchmarks for the churn hot paths: BG/NBD, Pareto/NBD, Gamma-Gamma and BG/BB
//! maximum-likelihood fits and P(alive) scoring. The fit groups take ten flat samples after a
//! one-second warm-up, so the whole file runs in a couple of minutes.
//!
//! Data sets:
//! - `cdnow_full`: the full CDNOW cohort (23,570 customers), summarised from `CDNOW_master.txt`
//!   (ships inside the Python `lifetimes` wheel, under `lifetimes/datasets/`; not part of this
//!   repository): same-day purchases merged, calibration to 1997-09-30, times in weeks. Set
//!   `CDNOW_MASTER=/path/to/CDNOW_master.txt`; without it these benchmarks are skipped.
//! - `simulated_1m`: 1,000,000 customers simulated (seed 2005) from BG/NBD
//!   `r = 0.243, α = 4.414, a = 0.793, b = 2.426` with ages of 1..=52 whole weeks and purchase
//!   times recorded to the day (`t_x` rounded up to a whole day), as a transaction system
//!   records them. Set `CHURN_EXPORT_CSV=path` to also write it as `frequency,recency,T` for
//!   the peer run.
//!
//! - `bgbb_simulated_1m`: 1,000,000 discrete-time customers simulated (seed 2010) from BG/BB
//!   `α = 1.204, β = 0.750, γ = 0.657, δ = 2.783` (the published donations estimates), each
//!   observed over 10 opportunities (`crm_benches::bgbb`, the input `bench-gen bgbb` writes for
//!   the comparison): `fit` starts from their compressed rows (at most 56 distinct histories),
//!   `compress_and_fit` from the one history per customer, in a shuffled order.
//! - `simulated_spend_100k`: 100,000 repeat buyers (1..=10 repeat purchases) with mean
//!   spends simulated (seed 2005) from Gamma-Gamma `p = 6.25, q = 3.74, γ = 15.44`.
//!
//! Each fit benchmark includes compressing the histories into weighted rows. The side-by-side
//! comparison with `lifetimes` is in `benches/RESULTS.md`, where the time goes in
//! `benches/PERFORMANCE.md`.
//!
//! Peer run (Python `lifetimes` 0.11.3, same data, same machine):
//!
//! ```text
//! import time, pandas as pd
//! from lifetimes import BetaGeoFitter, ParetoNBDFitter
//! d = pd.read_csv("simulated_1m.csv")            # or the CDNOW summary written the same way
//! for F in (BetaGeoFitter, ParetoNBDFitter):
//!     t = time.perf_counter(); F().fit(d["frequency"], d["recency"], d["T"])
//!     print(F.__name__, time.perf_counter() - t)
//! ```

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
    measurement::WallTime,
};
use crm_benches::bgbb::{self, BgBbSpec};
use crm_churn::BgNbdParams;
use crm_churn::FitOptions;
use crm_churn::ParetoNbdParams;
use crm_churn::simulate_bgnbd;
use crm_churn::{BgBbHistories, BgBbParams};
use crm_churn::{CustomerHistory, SummaryOptions, TimeUnit, WeightedHistories, summarize};
use crm_churn::{GammaGammaParams, SpendObservation, fit_gamma_gamma, simulate_spend};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;

const SIMULATED: usize = 1_000_000;

/// The full CDNOW cohort's calibration histories and the mean spends of its repeat buyers,
/// when `CDNOW_MASTER` points at the file.
fn cdnow_full() -> Option<(Vec<CustomerHistory>, Vec<SpendObservation>)> {
    let path = std::env::var("CDNOW_MASTER").ok()?;
    let text = std::fs::read_to_string(&path).ok()?;
    let tx = text.lines().filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let day = NaiveDate::parse_from_str(f.get(1)?, "%Y%m%d").ok()?;
        let time = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0)?);
        Some((
            f[0].parse::<u32>().ok()?,
            time,
            f.get(3)?.parse::<Decimal>().ok()?,
        ))
    });
    let end = Utc.with_ymd_and_hms(1997, 9, 30, 23, 59, 59).unwrap();
    let s = summarize(tx, &SummaryOptions::new(end).with_unit(TimeUnit::Week)).ok()?;
    let h: Vec<CustomerHistory> = s.customers.iter().map(|c| c.history).collect();
    let spend = s
        .customers
        .iter()
        .filter(|c| c.history.x > 0)
        .filter_map(|c| SpendObservation::from_decimal(c.history.x, c.monetary).ok())
        .collect();
    export("CDNOW_EXPORT_CSV", &h);
    Some((h, spend))
}

/// One million simulated BG/NBD customers, times recorded to the day.
fn simulated() -> Vec<CustomerHistory> {
    let truth = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let ages: Vec<f64> = (0..SIMULATED).map(|i| 1.0 + (i % 52) as f64).collect();
    let mut rng = StdRng::seed_from_u64(2005);
    let cohort = simulate_bgnbd(&truth, &ages, 0.0, &mut rng).unwrap();
    let h: Vec<CustomerHistory> = cohort
        .customers
        .iter()
        .map(|c| {
            let mut h = c.history;
            if h.x > 0 {
                h.t_x = ((h.t_x * 7.0).ceil() / 7.0).min(h.t);
            }
            h
        })
        .collect();
    export("CHURN_EXPORT_CSV", &h);
    h
}

fn export(var: &str, h: &[CustomerHistory]) {
    if let Ok(path) = std::env::var(var) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        writeln!(f, "frequency,recency,T").unwrap();
        for r in h {
            writeln!(f, "{},{},{}", r.x, r.t_x, r.t).unwrap();
        }
    }
}

/// Ten flat samples (one fit each) after a one-second warm-up.
fn fit_group<'c>(c: &'c mut Criterion, name: &str, rows: usize) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(format!("churn_fit/{name}"));
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(rows as u64));
    g
}

fn fits(c: &mut Criterion, name: &str, histories: &[CustomerHistory]) {
    let mut g = fit_group(c, name, histories.len());
    let opts = FitOptions::default();
    g.bench_function("bgnbd", |b| {
        b.iter(|| {
            let w =
                WeightedHistories::from_histories(black_box(histories).iter().copied()).unwrap();
            BgNbdParams::fit(&w, &opts).unwrap()
        })
    });
    g.bench_function("pareto_nbd", |b| {
        b.iter(|| {
            let w =
                WeightedHistories::from_histories(black_box(histories).iter().copied()).unwrap();
            ParetoNbdParams::fit(&w, &opts).unwrap()
        })
    });
    g.finish();
}

fn gamma_gamma(c: &mut Criterion, name: &str, spend: &[SpendObservation]) {
    let mut g = fit_group(c, name, spend.len());
    g.bench_function("gamma_gamma", |b| {
        b.iter(|| fit_gamma_gamma(black_box(spend)).unwrap())
    });
    g.finish();
}

/// Simulated mean spends of 100,000 repeat buyers.
fn simulated_spend() -> Vec<SpendObservation> {
    let truth = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let frequencies: Vec<u32> = (0..100_000u32).map(|i| 1 + i % 10).collect();
    let mut rng = StdRng::seed_from_u64(2005);
    simulate_spend(&truth, &frequencies, &mut rng).unwrap().0
}

fn bench_fits(c: &mut Criterion) {
    match cdnow_full() {
        Some((h, spend)) => {
            fits(c, "cdnow_full", &h);
            gamma_gamma(c, "cdnow_full", &spend);
        }
        None => eprintln!("CDNOW_MASTER not set or unreadable: skipping the full CDNOW cohort"),
    }
    fits(c, "simulated_1m", &simulated());
    gamma_gamma(c, "simulated_spend_100k", &simulated_spend());
}

/// The sub-steps of a fit on the million simulated customers: compressing the histories into
/// weighted rows, and one evaluation of each model's log-likelihood on them at the parameters
/// that generated the data (the optimiser needs about twenty, plus eight with the gradient for
/// the standard errors).
fn bench_fit_steps(c: &mut Criterion) {
    let histories = simulated();
    let mut g = c.benchmark_group("churn_fit_steps/simulated_1m");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(histories.len() as u64));
    g.bench_function("compress", |b| {
        b.iter(|| WeightedHistories::from_histories(black_box(&histories).iter().copied()).unwrap())
    });
    let w = WeightedHistories::from_histories(histories.iter().copied()).unwrap();
    g.throughput(Throughput::Elements(w.rows().len() as u64));
    let bg = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    g.bench_function("bgnbd_log_likelihood", |b| {
        b.iter(|| bg.log_likelihood(black_box(&w)))
    });
    let pn = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
    g.bench_function("pareto_nbd_log_likelihood", |b| {
        b.iter(|| pn.log_likelihood(black_box(&w)))
    });
    g.finish();
}

fn bench_p_alive(c: &mut Criterion) {
    let histories = simulated();
    let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let mut out = vec![0.0; histories.len()];
    let mut g = c.benchmark_group("churn_score");
    g.sample_size(20);
    g.throughput(Throughput::Elements(histories.len() as u64));
    g.bench_function("bgnbd_p_alive_1m", |b| {
        b.iter(|| m.p_alive_batch(black_box(&histories), black_box(&mut out)))
    });
    let pn = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
    g.bench_function("pareto_nbd_p_alive_1m", |b| {
        b.iter(|| {
            pn.p_alive_batch(black_box(&histories), black_box(&mut out))
                .unwrap()
        })
    });
    g.finish();
}

/// BG/BB on a million simulated customers over ten opportunities: the fit from the compressed
/// rows, and from one history per customer with the compression.
fn bench_bgbb(c: &mut Criterion) {
    let data = bgbb::simulate(&BgBbSpec::donations_like(SIMULATED, 10, 2010)).unwrap();
    let customers = bgbb::expand(data.rows(), 1).unwrap();
    let opts = FitOptions::default();
    let mut g = fit_group(c, "bgbb_simulated_1m", SIMULATED);
    g.bench_function("fit", |b| {
        b.iter(|| {
            let d = BgBbHistories::from_weighted(black_box(data.rows()).iter().copied()).unwrap();
            BgBbParams::fit(&d, &opts).unwrap()
        })
    });
    g.bench_function("compress_and_fit", |b| {
        b.iter(|| {
            let d = BgBbHistories::from_histories(black_box(&customers).iter().copied()).unwrap();
            BgBbParams::fit(&d, &opts).unwrap()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_fits,
    bench_fit_steps,
    bench_bgbb,
    bench_p_alive
);
criterion_main!(benches);
