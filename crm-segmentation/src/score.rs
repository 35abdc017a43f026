//! Turning raw recency, frequency and monetary values into scores `1..=bins`, `bins` being
//! the number of score bins per dimension (5 by default, `--bins` on the command line).
//!
//! Two methods:
//! - [`ScoreMethod::Quantile`] (default): `score = 1 + floor(bins * w / n)`, where `n` is the
//!   number of customers and `w` the number of customers with a strictly worse value. Equal
//!   values always get equal scores, and the result does not depend on input order.
//! - [`ScoreMethod::Breakpoints`]: fixed cut points per dimension, so scores stay comparable
//!   between periods.

use crate::error::{Dimension, SegmentationError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The smallest allowed number of score bins.
///
/// ```
/// use crm_segmentation::{MAX_BINS, MIN_BINS, validate_bins};
/// assert!((MIN_BINS..=MAX_BINS).all(|bins| validate_bins(bins).is_ok()));
/// assert!(validate_bins(MIN_BINS - 1).is_err() && validate_bins(MAX_BINS + 1).is_err());
/// ```
pub const MIN_BINS: u8 = 2;
/// The largest allowed number of score bins (see [`MIN_BINS`]).
pub const MAX_BINS: u8 = 10;

/// Checks that a number of score bins lies in [`MIN_BINS`]`..=`[`MAX_BINS`].
///
/// ```
/// use crm_segmentation::{SegmentationError, validate_bins};
/// assert!(validate_bins(5).is_ok());
/// assert_eq!(validate_bins(1), Err(SegmentationError::InvalidBinCount { bins: 1 }));
/// ```
pub fn validate_bins(bins: u8) -> Result<(), SegmentationError> {
    if (MIN_BINS..=MAX_BINS).contains(&bins) {
        Ok(())
    } else {
        Err(SegmentationError::InvalidBinCount { bins })
    }
}

/// How scores are assigned.
///
/// ```
/// use crm_segmentation::{Breakpoints, RfmConfig, ScoreMethod};
/// assert_eq!(ScoreMethod::default(), ScoreMethod::Quantile);
/// // Fixed cut points, read from a configuration file.
/// let config: RfmConfig = serde_json::from_str(r#"{
///     "bins": 3,
///     "method": {"breakpoints": {"recency_days": [30, 90], "frequency": [2, 5], "monetary": ["50", "200"]}}
/// }"#)?;
/// assert!(matches!(config.method, ScoreMethod::Breakpoints(_)));
/// config.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreMethod {
    /// `score = 1 + floor(bins * w / n)` with `w` the number of strictly worse customers.
    #[default]
    Quantile,
    /// Fixed cut points per dimension.
    Breakpoints(Breakpoints),
}

/// Fixed cut points: `bins - 1` strictly increasing values per dimension.
///
/// - recency (days): `score = bins - #{b : recency > b}` (so recency <= b1 scores bins);
/// - frequency and monetary: `score = 1 + #{b : value >= b}`.
///
/// ```
/// use crm_segmentation::Breakpoints;
/// use rust_decimal::Decimal;
/// let b = Breakpoints {
///     recency_days: vec![30, 90, 180, 365],
///     frequency: vec![2, 3, 5, 10],
///     monetary: vec![Decimal::from(50), Decimal::from(100), Decimal::from(250), Decimal::from(1000)],
/// };
/// assert!(b.validate(5).is_ok());
/// assert_eq!(b.recency_score(10, 5), 5);
/// assert_eq!(b.recency_score(31, 5), 4);
/// assert_eq!(b.frequency_score(1, 5), 1);
/// assert_eq!(b.frequency_score(10, 5), 5);
/// assert_eq!(b.monetary_score(Decimal::from(100), 5), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Breakpoints {
    /// Recency cut points in days, increasing.
    pub recency_days: Vec<u32>,
    /// Frequency cut points, increasing.
    pub frequency: Vec<u64>,
    /// Monetary cut points, increasing.
    pub monetary: Vec<Decimal>,
}

fn check_increasing<T: PartialOrd>(
    v: &[T],
    bins: u8,
    dimension: Dimension,
) -> Result<(), SegmentationError> {
    if v.len() != usize::from(bins) - 1 {
        return Err(SegmentationError::InvalidBreakpoints {
            dimension,
            reason: format!(
                "expected {} cut points for bins = {bins}, got {}",
                bins - 1,
                v.len()
            ),
        });
    }
    if let Some(i) = v.windows(2).position(|w| w[0] >= w[1]) {
        return Err(SegmentationError::InvalidBreakpoints {
            dimension,
            reason: format!("cut points {} and {} are not strictly increasing", i, i + 1),
        });
    }
    Ok(())
}

impl Breakpoints {
    /// Checks that each dimension has `bins - 1` strictly increasing cut points.
    ///
    /// ```
    /// use crm_segmentation::{Breakpoints, Dimension, SegmentationError};
    /// let b = Breakpoints { recency_days: vec![30, 90], frequency: vec![2, 2], monetary: vec![1.into(), 9.into()] };
    /// assert!(matches!(
    ///     b.validate(3),
    ///     Err(SegmentationError::InvalidBreakpoints { dimension: Dimension::Frequency, .. })
    /// ));
    /// assert!(b.validate(4).is_err()); // 4 bins need 3 cut points
    /// ```
    pub fn validate(&self, bins: u8) -> Result<(), SegmentationError> {
        validate_bins(bins)?;
        check_increasing(&self.recency_days, bins, Dimension::Recency)?;
        check_increasing(&self.frequency, bins, Dimension::Frequency)?;
        check_increasing(&self.monetary, bins, Dimension::Monetary)
    }

    /// The recency score of `days` (call [`Breakpoints::validate`] first): `bins` for
    /// recency up to the first cut point, one less past each cut point, at least 1.
    ///
    /// ```
    /// use crm_segmentation::Breakpoints;
    /// let b = Breakpoints { recency_days: vec![30, 90], ..Breakpoints::default() };
    /// let scores: Vec<u8> = [0, 30, 31, 90, 91, 1000].iter().map(|&d| b.recency_score(d, 3)).collect();
    /// assert_eq!(scores, [3, 3, 2, 2, 1, 1]);
    /// ```
    pub fn recency_score(&self, days: u32, bins: u8) -> u8 {
        let above = self.recency_days.iter().filter(|b| days > **b).count() as u8;
        bins.saturating_sub(above).max(1)
    }

    /// The frequency score of `count`: 1 plus the number of cut points it reaches, at most
    /// `bins`.
    ///
    /// ```
    /// use crm_segmentation::Breakpoints;
    /// let b = Breakpoints { frequency: vec![2, 5], ..Breakpoints::default() };
    /// let scores: Vec<u8> = [1, 2, 4, 5, 50].iter().map(|&n| b.frequency_score(n, 3)).collect();
    /// assert_eq!(scores, [1, 2, 2, 3, 3]);
    /// ```
    pub fn frequency_score(&self, count: u64, bins: u8) -> u8 {
        (1 + self.frequency.iter().filter(|b| count >= **b).count() as u8).min(bins)
    }

    /// The monetary score of `value`: 1 plus the number of cut points it reaches, at most
    /// `bins` (a net refund scores 1).
    ///
    /// ```
    /// use crm_segmentation::Breakpoints;
    /// use rust_decimal::Decimal;
    /// let b = Breakpoints { monetary: vec![Decimal::from(50), Decimal::from(200)], ..Breakpoints::default() };
    /// assert_eq!(b.monetary_score(Decimal::from(-20), 3), 1);
    /// assert_eq!(b.monetary_score(Decimal::new(5000, 2), 3), 2);
    /// assert_eq!(b.monetary_score(Decimal::from(999), 3), 3);
    /// ```
    pub fn monetary_score(&self, value: Decimal, bins: u8) -> u8 {
        (1 + self.monetary.iter().filter(|b| value >= **b).count() as u8).min(bins)
    }
}

/// Quantile scores of `values`, where a larger value is better.
///
/// Returns `1 + floor(bins * w / n)` for every value, `w` being the number of values strictly
/// smaller. Runs in linear time: it selects the `bins - 1` order statistics
/// `t_s = ceil(s * n / bins)` (s = 1..bins) and counts, for each value, the cut points strictly
/// below it, which equals `floor(bins * w / n)` because `w >= t_s` exactly when the
/// `t_s`-th smallest value is below the value.
///
/// ```
/// use crm_segmentation::quantile_scores;
/// // n = 4, bins = 2: w = 0, 1, 1, 3 -> 1 + floor(2w/4) = 1, 1, 1, 2
/// assert_eq!(quantile_scores(&[1, 5, 5, 9], 2), vec![1, 1, 1, 2]);
/// ```
pub fn quantile_scores<T: Ord + Copy>(values: &[T], bins: u8) -> Vec<u8> {
    let cuts = quantile_cuts(values, bins);
    values.iter().map(|v| score_against(&cuts, v)).collect()
}

/// The `bins - 1` order statistics used by [`quantile_scores`] (empty for no values).
pub(crate) fn quantile_cuts<T: Ord + Copy>(values: &[T], bins: u8) -> Vec<T> {
    quantile_cuts_owned(values.to_vec(), bins)
}

/// [`quantile_cuts`] on a vector it may reorder.
pub(crate) fn quantile_cuts_owned<T: Ord + Copy>(mut work: Vec<T>, bins: u8) -> Vec<T> {
    let n = work.len();
    if n == 0 {
        return Vec::new();
    }
    let bins = usize::from(bins);
    let mut cuts = Vec::with_capacity(bins - 1);
    let mut lo = 0usize;
    for s in 1..bins {
        // t = ceil(s * n / bins) lies in 1..=n.
        let t = (s * n).div_ceil(bins);
        let idx = t - 1;
        if idx > lo || (idx == lo && cuts.is_empty()) {
            let (_, v, _) = work[lo..].select_nth_unstable(idx - lo);
            cuts.push(*v);
            lo = idx;
        } else {
            // Same position as the previous cut: work[idx] is already in its sorted place.
            cuts.push(work[idx]);
        }
    }
    cuts
}

#[inline]
pub(crate) fn score_against<T: Ord>(cuts: &[T], v: &T) -> u8 {
    1 + cuts.iter().filter(|c| *c < v).count() as u8
}

/// The widest value range scored by counting rather than by selection.
const COUNTING_RANGE: u64 = 1 << 20;

/// Quantile scores of integer values (larger is better), by counting when the values span a
/// small range (days, purchase counts), else by selection: the same scores as
/// [`quantile_scores`].
///
/// Counting reads the values twice and needs one counter per value in the range: every
/// value's `w` is the number of values below it, the prefix sum of the counts.
pub(crate) fn integer_quantile_scores(values: &[i64], bins: u8) -> Vec<u8> {
    let n = values.len();
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let range = max.abs_diff(min);
    if range >= COUNTING_RANGE || range > 4 * n as u64 + 1024 {
        return quantile_scores(values, bins);
    }
    let mut table = vec![0u64; range as usize + 1];
    for &v in values {
        table[v.abs_diff(min) as usize] += 1;
    }
    // Replace each count by the score of its value: 1 + floor(bins * w / n), w = values below.
    let (bins, n) = (bins as u64, n as u64);
    let mut below = 0u64;
    for slot in &mut table {
        let count = *slot;
        *slot = 1 + bins * below / n;
        below += count;
    }
    values
        .iter()
        .map(|&v| table[v.abs_diff(min) as usize] as u8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule written out literally: count strictly smaller values.
    fn naive(values: &[i64], bins: u8) -> Vec<u8> {
        let n = values.len() as u64;
        values
            .iter()
            .map(|v| {
                let w = values.iter().filter(|x| *x < v).count() as u64;
                (1 + u64::from(bins) * w / n) as u8
            })
            .collect()
    }

    #[test]
    fn hand_table_k5_ten_values() {
        // n = 10, bins = 5: w = index, score = 1 + floor(w / 2).
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(quantile_scores(&v, 5), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_across_a_bin_boundary() {
        // n = 10, bins = 5. Values 1,2,3,3,3,3,7,8,9,10.
        // w: 0,1,2,2,2,2,6,7,8,9 -> scores 1,1,2,2,2,2,4,4,5,5.
        let v = [1, 2, 3, 3, 3, 3, 7, 8, 9, 10];
        assert_eq!(quantile_scores(&v, 5), vec![1, 1, 2, 2, 2, 2, 4, 4, 5, 5]);
    }

    #[test]
    fn one_customer_scores_one() {
        assert_eq!(quantile_scores(&[42], 5), vec![1]);
    }

    #[test]
    fn all_equal_score_one() {
        assert_eq!(quantile_scores(&[3, 3, 3, 3], 5), vec![1; 4]);
    }

    #[test]
    fn fewer_customers_than_classes() {
        // n = 3, bins = 10: w = 0,1,2 -> 1 + floor(10w/3) = 1, 4, 7.
        assert_eq!(quantile_scores(&[5, 1, 3], 10), vec![7, 1, 4]);
    }

    #[test]
    fn counting_hand_table() {
        // Ties across a bin boundary, n = 10, bins = 5 (same table as above), and extreme values.
        let v = [1, 2, 3, 3, 3, 3, 7, 8, 9, 10];
        assert_eq!(
            integer_quantile_scores(&v, 5),
            vec![1, 1, 2, 2, 2, 2, 4, 4, 5, 5]
        );
        assert_eq!(
            integer_quantile_scores(&[i64::MIN, 0, i64::MAX], 3),
            vec![1, 2, 3]
        );
        assert_eq!(integer_quantile_scores(&[7; 5], 5), vec![1; 5]);
        assert!(integer_quantile_scores(&[], 5).is_empty());
    }

    #[test]
    fn empty_is_empty() {
        assert!(quantile_scores::<i64>(&[], 5).is_empty());
    }

    #[test]
    fn breakpoints_are_validated() {
        let mut b = Breakpoints {
            recency_days: vec![1, 2, 3, 4],
            frequency: vec![1, 2, 3, 4],
            monetary: vec![1.into(), 2.into(), 3.into(), 4.into()],
        };
        assert!(b.validate(5).is_ok());
        assert!(b.validate(4).is_err());
        b.frequency = vec![1, 2, 2, 4];
        assert!(matches!(
            b.validate(5),
            Err(SegmentationError::InvalidBreakpoints {
                dimension: Dimension::Frequency,
                ..
            })
        ));
    }

    proptest! {
        #[test]
        fn matches_the_literal_rule(values in proptest::collection::vec(-20i64..20, 0..60), bins in 2u8..=10) {
            prop_assert_eq!(quantile_scores(&values, bins), naive(&values, bins));
        }

        #[test]
        fn scores_in_range_monotone_and_tie_consistent(values in proptest::collection::vec(any::<i64>(), 1..80), bins in 2u8..=10) {
            let s = quantile_scores(&values, bins);
            for i in 0..values.len() {
                prop_assert!((1..=bins).contains(&s[i]));
                for j in 0..values.len() {
                    if values[i] > values[j] { prop_assert!(s[i] >= s[j]); }
                    if values[i] == values[j] { prop_assert_eq!(s[i], s[j]); }
                }
            }
        }

        #[test]
        fn counting_matches_the_literal_rule(
            values in proptest::collection::vec(-500i64..500, 0..300),
            spread in prop_oneof![Just(1i64), Just(1_000_000_007i64)],
            bins in 2u8..=10,
        ) {
            // A spread of 1 (range below 1024) is scored by counting, a wide one by selection.
            let values: Vec<i64> = values.iter().map(|v| v * spread).collect();
            prop_assert_eq!(integer_quantile_scores(&values, bins), naive(&values, bins));
        }

        #[test]
        fn independent_of_order(mut values in proptest::collection::vec(-50i64..50, 1..60), bins in 2u8..=10) {
            let s = quantile_scores(&values, bins);
            let mut pairs: Vec<(i64, u8)> = values.iter().copied().zip(s).collect();
            values.reverse();
            let mut rev: Vec<(i64, u8)> = values.iter().copied().zip(quantile_scores(&values, bins)).collect();
            pairs.sort();
            rev.sort();
            prop_assert_eq!(pairs, rev);
        }

        #[test]
        fn breakpoint_scores_in_range(days in any::<u32>(), f in any::<u64>(), bins in 2u8..=10) {
            let b = Breakpoints {
                recency_days: (1..u32::from(bins)).map(|i| i * 10).collect(),
                frequency: (1..u64::from(bins)).collect(),
                monetary: (1..i64::from(bins)).map(Decimal::from).collect(),
            };
            prop_assert!(b.validate(bins).is_ok());
            prop_assert!((1..=bins).contains(&b.recency_score(days, bins)));
            prop_assert!((1..=bins).contains(&b.frequency_score(f, bins)));
        }
    }
}
