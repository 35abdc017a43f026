//! Exact per-point counts on a small contiguous scale (at most 11 points), shared by the CSAT
//! and CES aggregators.

use serde::{Deserialize, Serialize};

use crate::counting::histogram;
use crate::nps::column_error;
use crate::{MeanEstimate, SatisfactionError, StatsConfig};

/// Most points a scale may have (0–10).
///
/// ```
/// use crm_satisfaction::{CsatScale, MAX_POINTS};
/// assert_eq!(MAX_POINTS, 11);
/// assert!(CsatScale::new(0, 10, 9).is_ok()); // 11 points
/// assert!(CsatScale::new(0, 11, 9).is_err()); // 12 points
/// ```
pub const MAX_POINTS: usize = 11;

/// Counts per score on `min..=max`; slot `k` counts score `min + k`, slots past the scale stay 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct PointCounts {
    pub(crate) counts: [u64; MAX_POINTS],
}

impl PointCounts {
    pub(crate) const EMPTY: Self = Self {
        counts: [0; MAX_POINTS],
    };

    pub(crate) fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
    }

    /// Responses scoring at least `from`.
    pub(crate) fn at_least(&self, min: u8, from: u8, max: u8) -> u64 {
        self.counts[usize::from(from - min)..=usize::from(max - min)]
            .iter()
            .sum()
    }

    pub(crate) fn pairs(&self, min: u8, max: u8) -> Vec<(u8, u64)> {
        (min..=max)
            .map(|s| (s, self.counts[usize::from(s - min)]))
            .collect()
    }

    pub(crate) fn mean(&self, min: u8, max: u8, config: &StatsConfig) -> Option<MeanEstimate> {
        MeanEstimate::from_counts(
            &self.pairs(min, max),
            f64::from(min),
            f64::from(max),
            config,
        )
    }

    /// Vectorized count of a column on `min..=max`, or the column error.
    pub(crate) fn from_column(scores: &[u8], min: u8, max: u8) -> Result<Self, SatisfactionError> {
        fn widen<const N: usize>(h: ([u64; N], u8, u8)) -> ([u64; MAX_POINTS], u8, u8) {
            let mut out = [0; MAX_POINTS];
            out[..N].copy_from_slice(&h.0);
            (out, h.1, h.2)
        }
        let (counts, lo, hi) = match max - min + 1 {
            2 => widen(histogram::<2>(scores, min)),
            3 => widen(histogram::<3>(scores, min)),
            4 => widen(histogram::<4>(scores, min)),
            5 => widen(histogram::<5>(scores, min)),
            6 => widen(histogram::<6>(scores, min)),
            7 => widen(histogram::<7>(scores, min)),
            8 => widen(histogram::<8>(scores, min)),
            9 => widen(histogram::<9>(scores, min)),
            10 => widen(histogram::<10>(scores, min)),
            _ => histogram::<MAX_POINTS>(scores, min),
        };
        if !scores.is_empty() && (lo < min || hi > max) {
            return Err(column_error(scores, min, max));
        }
        Ok(Self { counts })
    }
}
