//! A seeded column of 0–10 NPS scores, one byte each, with the skew typical of surveys.
//!
//! ```
//! let scores = crm_benches::scores::nps_scores(10_000, 1);
//! assert!(scores.iter().all(|&s| s <= 10));
//! assert_eq!(scores, crm_benches::scores::nps_scores(10_000, 1));
//! ```

use crate::mix;

/// Percent of responses per score 0..=10 (sums to 100).
pub const NPS_WEIGHTS: [u32; 11] = [3, 1, 1, 2, 2, 5, 6, 10, 15, 25, 30];

/// Score of row `i`.
pub fn nps_score(i: u64, seed: u64) -> u8 {
    let u = (mix(i ^ seed.wrapping_mul(0xD6E8_FEB8_6659_FD93)) % 100) as u32;
    let mut acc = 0;
    for (s, w) in NPS_WEIGHTS.iter().enumerate() {
        acc += w;
        if u < acc {
            return s as u8;
        }
    }
    10
}

/// `n` scores.
pub fn nps_scores(n: usize, seed: u64) -> Vec<u8> {
    (0..n as u64).map(|i| nps_score(i, seed)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_weights() {
        let n = 1_000_000;
        let mut counts = [0u64; 11];
        for s in nps_scores(n, 9) {
            counts[usize::from(s)] += 1;
        }
        for (c, w) in counts.iter().zip(NPS_WEIGHTS) {
            let share = *c as f64 / n as f64 * 100.0;
            assert!((share - f64::from(w)).abs() < 0.2, "{share} vs {w}");
        }
    }
}
