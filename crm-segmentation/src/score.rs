//! Turning raw recency, frequency and monetary values into scores 1..=k.
//!
//! Two methods:
//! - [`ScoreMethod::Quantile`] (default): `score = 1 + floor(k * w / n)`, where `n` is the
//!   number of customers and `w` the number of customers with a strictly worse value. Equal
//!   values always get equal scores, and the result does not depend on input order.
//! - [`ScoreMethod::Breakpoints`]: fixed cut points per dimension, so scores stay comparable
//!   between periods.

use crate::error::{Dimension, SegmentationError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The smallest allowed number of score classes.
pub const MIN_SCORES: u8 = 2;
/// The largest allowed number of score classes.
pub const MAX_SCORES: u8 = 10;

/// Checks that `k` lies in 2..=10.
///
/// ```
/// use crm_segmentation::check_k;
/// assert!(check_k(5).is_ok());
/// assert!(check_k(1).is_err());
/// ```
pub fn check_k(k: u8) -> Result<(), SegmentationError> {
    if (MIN_SCORES..=MAX_SCORES).contains(&k) {
        Ok(())
    } else {
        Err(SegmentationError::InvalidScoreCount { k })
    }
}

/// How scores are assigned.
///
/// ```
/// use crm_segmentation::ScoreMethod;
/// assert_eq!(ScoreMethod::default(), ScoreMethod::Quantile);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreMethod {
    /// `score = 1 + floor(k * w / n)` with `w` the number of strictly worse customers.
    #[default]
    Quantile,
    /// Fixed cut points per dimension.
    Breakpoints(Breakpoints),
}

/// Fixed cut points: `k - 1` strictly increasing values per dimension.
///
/// - recency (days): `score = k - #{b : recency > b}` (so recency <= b1 scores k);
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
    k: u8,
    dimension: Dimension,
) -> Result<(), SegmentationError> {
    if v.len() != usize::from(k) - 1 {
        return Err(SegmentationError::InvalidBreakpoints {
            dimension,
            reason: format!("expected {} cut points for k = {k}, got {}", k - 1, v.len()),
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
    /// Checks that each dimension has `k - 1` strictly increasing cut points.
    pub fn validate(&self, k: u8) -> Result<(), SegmentationError> {
        check_k(k)?;
        check_increasing(&self.recency_days, k, Dimension::Recency)?;
        check_increasing(&self.frequency, k, Dimension::Frequency)?;
        check_increasing(&self.monetary, k, Dimension::Monetary)
    }

    /// The recency score of `days` (call [`Breakpoints::validate`] first).
    pub fn recency_score(&self, days: u32, k: u8) -> u8 {
        let above = self.recency_days.iter().filter(|b| days > **b).count() as u8;
        k.saturating_sub(above).max(1)
    }

    /// The frequency score of `count`.
    pub fn frequency_score(&self, count: u64, k: u8) -> u8 {
        (1 + self.frequency.iter().filter(|b| count >= **b).count() as u8).min(k)
    }

    /// The monetary score of `value`.
    pub fn monetary_score(&self, value: Decimal, k: u8) -> u8 {
        (1 + self.monetary.iter().filter(|b| value >= **b).count() as u8).min(k)
    }
}

/// Quantile scores of `values`, where a larger value is better.
///
/// Returns `1 + floor(k * w / n)` for every value, `w` being the number of values strictly
/// smaller. Runs in linear time: it selects the `k - 1` order statistics
/// `t_s = ceil(s * n / k)` (s = 1..k) and counts, for each value, the cut points strictly
/// below it, which equals `floor(k * w / n)` because `w >= t_s` exactly when the
/// `t_s`-th smallest value is below the value.
///
/// ```
/// use crm_segmentation::quantile_scores;
/// // n = 4, k = 2: w = 0, 1, 1, 3 -> 1 + floor(2w/4) = 1, 1, 1, 2
/// assert_eq!(quantile_scores(&[1, 5, 5, 9], 2), vec![1, 1, 1, 2]);
/// ```
pub fn quantile_scores<T: Ord + Copy>(values: &[T], k: u8) -> Vec<u8> {
    let cuts = quantile_cuts(values, k);
    values.iter().map(|v| score_against(&cuts, v)).collect()
}

/// The `k - 1` order statistics used by [`quantile_scores`] (empty for no values).
pub(crate) fn quantile_cuts<T: Ord + Copy>(values: &[T], k: u8) -> Vec<T> {
    quantile_cuts_owned(values.to_vec(), k)
}

/// [`quantile_cuts`] on a vector it may reorder.
pub(crate) fn quantile_cuts_owned<T: Ord + Copy>(mut work: Vec<T>, k: u8) -> Vec<T> {
    let n = work.len();
    if n == 0 {
        return Vec::new();
    }
    let k = usize::from(k);
    let mut cuts = Vec::with_capacity(k - 1);
    let mut lo = 0usize;
    for s in 1..k {
        // t = ceil(s * n / k) lies in 1..=n.
        let t = (s * n).div_ceil(k);
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
pub(crate) fn integer_quantile_scores(values: &[i64], k: u8) -> Vec<u8> {
    let n = values.len();
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let range = max.abs_diff(min);
    if range >= COUNTING_RANGE || range > 4 * n as u64 + 1024 {
        return quantile_scores(values, k);
    }
    let mut table = vec![0u64; range as usize + 1];
    for &v in values {
        table[v.abs_diff(min) as usize] += 1;
    }
    // Replace each count by the score of its value: 1 + floor(k * w / n), w = values below.
    let (k, n) = (k as u64, n as u64);
    let mut below = 0u64;
    for slot in &mut table {
        let count = *slot;
        *slot = 1 + k * below / n;
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
    fn naive(values: &[i64], k: u8) -> Vec<u8> {
        let n = values.len() as u64;
        values
            .iter()
            .map(|v| {
                let w = values.iter().filter(|x| *x < v).count() as u64;
                (1 + u64::from(k) * w / n) as u8
            })
            .collect()
    }

    #[test]
    fn hand_table_k5_ten_values() {
        // n = 10, k = 5: w = index, score = 1 + floor(w / 2).
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(quantile_scores(&v, 5), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_across_a_bin_boundary() {
        // n = 10, k = 5. Values 1,2,3,3,3,3,7,8,9,10.
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
        // n = 3, k = 10: w = 0,1,2 -> 1 + floor(10w/3) = 1, 4, 7.
        assert_eq!(quantile_scores(&[5, 1, 3], 10), vec![7, 1, 4]);
    }

    #[test]
    fn counting_hand_table() {
        // Ties across a bin boundary, n = 10, k = 5 (same table as above), and extreme values.
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
        fn matches_the_literal_rule(values in proptest::collection::vec(-20i64..20, 0..60), k in 2u8..=10) {
            prop_assert_eq!(quantile_scores(&values, k), naive(&values, k));
        }

        #[test]
        fn scores_in_range_monotone_and_tie_consistent(values in proptest::collection::vec(any::<i64>(), 1..80), k in 2u8..=10) {
            let s = quantile_scores(&values, k);
            for i in 0..values.len() {
                prop_assert!((1..=k).contains(&s[i]));
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
            k in 2u8..=10,
        ) {
            // A spread of 1 (range below 1024) is scored by counting, a wide one by selection.
            let values: Vec<i64> = values.iter().map(|v| v * spread).collect();
            prop_assert_eq!(integer_quantile_scores(&values, k), naive(&values, k));
        }

        #[test]
        fn independent_of_order(mut values in proptest::collection::vec(-50i64..50, 1..60), k in 2u8..=10) {
            let s = quantile_scores(&values, k);
            let mut pairs: Vec<(i64, u8)> = values.iter().copied().zip(s).collect();
            values.reverse();
            let mut rev: Vec<(i64, u8)> = values.iter().copied().zip(quantile_scores(&values, k)).collect();
            pairs.sort();
            rev.sort();
            prop_assert_eq!(pairs, rev);
        }

        #[test]
        fn breakpoint_scores_in_range(days in any::<u32>(), f in any::<u64>(), k in 2u8..=10) {
            let b = Breakpoints {
                recency_days: (1..u32::from(k)).map(|i| i * 10).collect(),
                frequency: (1..u64::from(k)).collect(),
                monetary: (1..i64::from(k)).map(Decimal::from).collect(),
            };
            prop_assert!(b.validate(k).is_ok());
            prop_assert!((1..=k).contains(&b.recency_score(days, k)));
            prop_assert!((1..=k).contains(&b.frequency_score(f, k)));
        }
    }
}
