//! Medians of repeated timings, and the peak resident memory of this process.
//!
//! ```
//! use crm_benches::measure::{median, time_runs};
//! let (times, out) = time_runs(3, || (0..1000u64).sum::<u64>());
//! assert_eq!((times.len(), out), (3, 499_500));
//! assert!(median(&times) >= 0.0);
//! ```

use std::time::Instant;

/// Runs `f` `runs` times (at least once); returns the wall times in seconds and the last result.
pub fn time_runs<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut times = Vec::with_capacity(runs.max(1));
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t0 = Instant::now();
        let out = std::hint::black_box(f());
        times.push(t0.elapsed().as_secs_f64());
        last = Some(out);
    }
    (times, last.expect("at least one run"))
}

/// The median (mean of the two middle values for an even count; 0 for none).
///
/// ```
/// assert_eq!(crm_benches::measure::median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(crm_benches::measure::median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
/// ```
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Peak resident set size of this process in KiB (`VmHWM` of `/proc/self/status`), where the
/// system reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_reported_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_kib().is_some_and(|k| k > 0));
        }
    }
}
