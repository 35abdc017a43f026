//! Times NPS over a score column read from a raw byte file, with the same method as the peer
//! script (`peer/nps_peers.py`: load once, warm up, median of repeated runs), so the two can
//! be run back to back on the same column.
//!
//! ```text
//! SAT_EXPORT_SCORES=scores.bin cargo bench -p crm-benches --bench satisfaction -- nps_column
//! cargo run --release -p crm-satisfaction --example nps_column -- scores.bin 15
//! ```

use std::time::Instant;

use crm_satisfaction::Nps;

/// A way of computing the NPS aggregate of a column.
type Kernel = fn(&[u8]) -> Nps;

fn median_ms(repeats: usize, mut f: impl FnMut() -> Nps) -> (f64, f64, Nps) {
    let result = f();
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], result)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: nps_column SCORES_FILE [REPEATS]")?;
    let repeats: usize = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(15)
        .max(1);
    let scores = std::fs::read(&path)?;
    let n = scores.len() as f64;
    let runs: [(&str, Kernel); 2] = [
        ("one thread", |s| Nps::from_scores(s).expect("valid scores")),
        ("two threads", |s| {
            Nps::from_scores_parallel(s, 2).expect("valid scores")
        }),
    ];
    for (name, run) in &runs {
        let (median, best, nps) = median_ms(repeats, || run(&scores));
        println!(
            "crm-satisfaction nps ({name}): {:.6}, median {median:.2} ms, best {best:.2} ms, {:.1} M rows/s",
            nps.score().unwrap_or(f64::NAN),
            n / median / 1e3
        );
    }
    Ok(())
}
