//! Times the two phases of an RFM computation (the pass over the purchases, then scores,
//! segments and the output table) on the seeded synthetic data of the `segmentation`
//! benchmark: 10,000,000 purchases over 1,000,000 customers, or over CUSTOMERS customers
//! (a few thousand keep the whole table in cache, which shows what the pass costs apart
//! from waiting for memory).
//!
//! ```text
//! cargo run --release -p crm-benches --example rfm_timing -- [REPEATS] [THREADS] [CUSTOMERS]
//! ```

use std::time::Instant;

use crm_benches::measure::median;
use crm_benches::transactions::{PurchaseRow, TransactionSpec};
use crm_segmentation::{RfmAccumulator, RfmConfig, rfm_parallel};

const TRANSACTIONS: u64 = 10_000_000;
const CUSTOMERS: u64 = 1_000_000;
/// The default seed of `bench-gen`, so that both see the same rows.
const SEED: u64 = 20_241_124;

/// The benchmark's purchases (see `crm_benches::transactions`).
fn purchases(n: u64, customers: u64, seed: u64) -> Vec<PurchaseRow> {
    TransactionSpec::new(n, customers, seed)
        .rows()
        .map(|t| t.purchase())
        .collect()
}

/// CPU time of the calling thread in ms (Linux; NaN elsewhere): on a loaded machine it
/// shows the work done, which wall time hides behind waiting for a core.
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e6)
}

/// CPU time of the whole process, all threads, in ms (Linux, 10 ms resolution; NaN
/// elsewhere).
fn process_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<f64> = s
                .rsplit(')')
                .next()?
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            // utime and stime, in ticks of 10 ms (USER_HZ = 100).
            Some((f.get(10)? + f.get(11)?) * 10.0)
        })
        .unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let repeats: usize = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(5)
        .max(1);
    let threads: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(0);
    let customers: u64 = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(CUSTOMERS)
        .clamp(1, TRANSACTIONS);
    let rows = purchases(TRANSACTIONS, customers, SEED);
    let config = RfmConfig::default();
    let (mut pass, mut finish, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cpu_pass, mut cpu_finish, mut cpu_whole) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repeats {
        let c0 = cpu_ms();
        let t = Instant::now();
        let mut acc = RfmAccumulator::new(&config)?;
        acc.add_slice(&rows)?;
        let t1 = Instant::now();
        let c1 = cpu_ms();
        let table = acc.finish()?;
        let t2 = Instant::now();
        let c2 = cpu_ms();
        cpu_pass.push(c1 - c0);
        cpu_finish.push(c2 - c1);
        std::hint::black_box(&table);
        drop(table);
        pass.push((t1 - t).as_secs_f64() * 1e3);
        finish.push((t2 - t1).as_secs_f64() * 1e3);
        let c = process_cpu_ms();
        let t = Instant::now();
        let table = rfm_parallel(&rows, &config, threads)?;
        whole.push(t.elapsed().as_secs_f64() * 1e3);
        cpu_whole.push(process_cpu_ms() - c);
        std::hint::black_box(&table);
    }
    println!("{TRANSACTIONS} purchases over {customers} customers");
    println!(
        "one thread: pass {:.0} ms, scores/segments/table {:.0} ms; rfm_parallel({threads}) {:.0} ms (medians of {repeats})",
        median(&pass),
        median(&finish),
        median(&whole)
    );
    println!(
        "CPU time: pass {:.0} ms, scores/segments/table {:.0} ms; rfm_parallel {:.0} ms",
        median(&cpu_pass),
        median(&cpu_finish),
        median(&cpu_whole)
    );
    Ok(())
}
