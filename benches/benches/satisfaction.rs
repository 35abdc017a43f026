//! Criterion benchmarks for the satisfaction hot paths.
//!
//! * `nps_column`: the NPS aggregate of a column of 100,000,000 seeded 0–10 scores
//!   (`&[u8]`), on one thread and split over two threads.
//! * `csat_column`: the CSAT aggregate (exact counts of every point) of 100,000,000 1–5 scores.
//! * `nps_by_group`: NPS per group for the same 100,000,000 scores with a dense key of 1,000
//!   groups (`&[u32]`), and the hashed `Breakdown` on 1,000,000 rows.
//!
//! Set `SAT_EXPORT_SCORES=path` to also write the NPS score column as raw bytes and
//! `SAT_EXPORT_GROUPS=path` to write the group column as little-endian `u32`, for the
//! side-by-side run of peer tools (`crm-satisfaction/peer/nps_peers.py`).

use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_satisfaction::{Breakdown, Csat, CsatScale, Nps, nps_by_group};

const ROWS: usize = 100_000_000;
const GROUPS: u32 = 1_000;
const SEED: u64 = 20_241_124;

/// splitmix64: a seeded, stateless hash of the row number.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(SEED).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A skewed 0–10 distribution typical of NPS surveys (percent per score, summing to 100).
const NPS_WEIGHTS: [u32; 11] = [3, 1, 1, 2, 2, 5, 6, 10, 15, 25, 30];

fn nps_scores(n: usize) -> Vec<u8> {
    let mut cumulative = [0u32; 11];
    let mut acc = 0;
    for (c, w) in cumulative.iter_mut().zip(NPS_WEIGHTS) {
        acc += w;
        *c = acc;
    }
    (0..n as u64)
        .map(|i| {
            let u = (mix(i) % 100) as u32;
            cumulative.iter().position(|&c| u < c).unwrap_or(10) as u8
        })
        .collect()
}

fn csat_scores(n: usize) -> Vec<u8> {
    (0..n as u64)
        .map(|i| (mix(i ^ 0xC5A7) % 5) as u8 + 1)
        .collect()
}

fn groups(n: usize) -> Vec<u32> {
    (0..n as u64)
        .map(|i| (mix(i ^ 0x6B0F) >> 33) as u32 % GROUPS)
        .collect()
}

fn export(var: &str, bytes: impl Iterator<Item = u8>) {
    if let Ok(path) = std::env::var(var) {
        let file = std::fs::File::create(&path).expect("create export file");
        let mut out = std::io::BufWriter::new(file);
        for b in bytes {
            out.write_all(&[b]).expect("write export file");
        }
        out.flush().expect("flush export file");
    }
}

fn bench(c: &mut Criterion) {
    let scores = nps_scores(ROWS);
    export("SAT_EXPORT_SCORES", scores.iter().copied());
    let expected = Nps::from_scores(&scores).expect("valid scores");
    eprintln!(
        "nps of the column: {:.6} ({} detractors, {} passives, {} promoters)",
        expected.score().unwrap_or(0.0),
        expected.detractors,
        expected.passives,
        expected.promoters
    );

    let mut g = c.benchmark_group("nps_column");
    g.sample_size(20)
        .throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("100M/one_thread", |b| {
        b.iter(|| Nps::from_scores(black_box(&scores)).expect("valid"))
    });
    g.bench_function("100M/two_threads", |b| {
        b.iter(|| Nps::from_scores_parallel(black_box(&scores), 2).expect("valid"))
    });
    g.finish();

    let csat = csat_scores(ROWS);
    let mut g = c.benchmark_group("csat_column");
    g.sample_size(10)
        .throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("100M/five_points", |b| {
        b.iter(|| Csat::from_scores(CsatScale::default(), black_box(&csat)).expect("valid"))
    });
    g.finish();
    drop(csat);

    let keys = groups(ROWS);
    export(
        "SAT_EXPORT_GROUPS",
        keys.iter().flat_map(|k| k.to_le_bytes()),
    );
    let mut g = c.benchmark_group("nps_by_group");
    g.sample_size(10)
        .throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("100M/1000_dense_groups", |b| {
        b.iter(|| {
            nps_by_group(black_box(&keys), black_box(&scores), GROUPS as usize).expect("valid")
        })
    });
    let small = 1_000_000;
    g.throughput(Throughput::Elements(small as u64));
    g.bench_function("1M/1000_hashed_groups", |b| {
        b.iter(|| {
            let mut by = Breakdown::new(Nps::new());
            for (&k, &s) in keys[..small].iter().zip(&scores[..small]) {
                by.add(k, s).expect("valid");
            }
            by
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
