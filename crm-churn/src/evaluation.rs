//! Evaluation of churn scores against holdout churn labels: ROC AUC and the lift and capture
//! rate of the top fraction (the top decile by default).
//!
//! Scores are "higher means more likely to churn"; a label is `true` when the customer
//! churned in the holdout period. Tied scores are treated as a random order: a tied
//! (churner, non-churner) pair counts one half in the AUC, and a tie group cut by the top
//! fraction contributes its churners in proportion to the share of the group selected.
//!
//! ```
//! use crm_churn::{roc_auc, top_decile_lift};
//! let scores = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.0];
//! let churned = [true, false, true, false, false, false, true, false, false, false];
//! let auc = roc_auc(&scores, &churned)?;
//! assert!((auc - 16.5 / 21.0).abs() < 1e-12);
//! let lift = top_decile_lift(&scores, &churned)?;
//! assert_eq!(lift.selected, 1);
//! assert!((lift.lift - 10.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), crm_churn::EvaluationError>(())
//! ```

use serde::{Deserialize, Serialize};

/// Bad evaluation input.
///
/// ```
/// use crm_churn::{EvaluationError, lift_at, roc_auc};
/// assert_eq!(roc_auc(&[0.2], &[true, false]), Err(EvaluationError::LengthMismatch { scores: 1, labels: 2 }));
/// assert_eq!(roc_auc(&[0.2, 0.4], &[true, true]), Err(EvaluationError::OneClass { positives: 2, negatives: 0 }));
/// assert!(matches!(roc_auc(&[f64::NAN, 0.4], &[true, false]), Err(EvaluationError::NonFiniteScore { row: 0, .. })));
/// assert!(matches!(lift_at(&[0.2, 0.4], &[true, false], 1.5), Err(EvaluationError::InvalidFraction { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvaluationError {
    /// Scores and labels differ in length.
    #[error("{scores} scores but {labels} labels; they must be paired one to one")]
    LengthMismatch {
        /// Number of scores.
        scores: usize,
        /// Number of labels.
        labels: usize,
    },
    /// No customers.
    #[error("no scores to evaluate")]
    Empty,
    /// A score is NaN or infinite.
    #[error("score at row {row} is not finite ({value})")]
    NonFiniteScore {
        /// Zero-based row of the score.
        row: usize,
        /// The value.
        value: f64,
    },
    /// The labels hold no churner, or no non-churner, so the statistic is undefined.
    #[error("labels hold {positives} churners and {negatives} non-churners; both must be positive")]
    OneClass {
        /// Number of `true` labels.
        positives: usize,
        /// Number of `false` labels.
        negatives: usize,
    },
    /// The selected fraction is not in `(0, 1]`.
    #[error("fraction must be in (0, 1], got {value}")]
    InvalidFraction {
        /// The value given.
        value: f64,
    },
}

fn check(scores: &[f64], labels: &[bool]) -> Result<(usize, usize), EvaluationError> {
    if scores.len() != labels.len() {
        return Err(EvaluationError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if scores.is_empty() {
        return Err(EvaluationError::Empty);
    }
    if let Some((row, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(EvaluationError::NonFiniteScore { row, value });
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(EvaluationError::OneClass {
            positives,
            negatives,
        });
    }
    Ok((positives, negatives))
}

/// Row indices sorted by descending score.
fn descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// The area under the ROC curve: the probability that a random churner scores above a
/// random non-churner, ties counting one half (the Mann-Whitney U statistic over P·N).
/// O(n log n).
///
/// ```
/// use crm_churn::roc_auc;
/// assert_eq!(roc_auc(&[0.9, 0.1], &[true, false])?, 1.0);
/// assert_eq!(roc_auc(&[0.5, 0.5], &[true, false])?, 0.5);
/// # Ok::<(), crm_churn::EvaluationError>(())
/// ```
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Result<f64, EvaluationError> {
    let (positives, negatives) = check(scores, labels)?;
    let order = descending(scores);
    // Walk tie groups from the top; count (churner, non-churner) pairs won and tied.
    let mut negatives_above = 0u64;
    let mut wins = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let s = scores[order[i]];
        let mut j = i;
        let (mut pos, mut neg) = (0u64, 0u64);
        while j < order.len() && scores[order[j]] == s {
            if labels[order[j]] {
                pos += 1;
            } else {
                neg += 1;
            }
            j += 1;
        }
        // Churners in this group beat every non-churner below: count those as
        // total - above - tied.
        let below = negatives as u64 - negatives_above - neg;
        wins += (pos * below) as f64 + 0.5 * (pos * neg) as f64;
        negatives_above += neg;
        i = j;
    }
    Ok(wins / (positives as f64 * negatives as f64))
}

/// Lift and capture rate of the customers with the highest scores.
///
/// ```
/// use crm_churn::lift_at;
/// let r = lift_at(&[3.0, 2.0, 1.0, 0.0], &[true, false, true, false], 0.5)?;
/// assert_eq!(r.selected, 2);
/// assert_eq!(r.capture_rate, 0.5);
/// assert_eq!(r.lift, 1.0);
/// # Ok::<(), crm_churn::EvaluationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LiftReport {
    /// The requested fraction of customers.
    pub fraction: f64,
    /// Number of customers selected: `ceil(fraction * n)`.
    pub selected: usize,
    /// Expected number of churners among the selected (fractional when a tie group is cut).
    pub churners_captured: f64,
    /// Share of all churners that are among the selected.
    pub capture_rate: f64,
    /// Churn rate among the selected.
    pub selected_churn_rate: f64,
    /// Churn rate of all customers.
    pub base_churn_rate: f64,
    /// `selected_churn_rate / base_churn_rate`; 1 is no better than random.
    pub lift: f64,
}

/// Lift and capture rate of the top `fraction` of customers by score.
///
/// ```
/// use crm_churn::{lift_at, EvaluationError};
/// assert!(matches!(lift_at(&[1.0], &[true], 0.0), Err(EvaluationError::InvalidFraction { .. })));
/// ```
pub fn lift_at(
    scores: &[f64],
    labels: &[bool],
    fraction: f64,
) -> Result<LiftReport, EvaluationError> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(EvaluationError::InvalidFraction { value: fraction });
    }
    let (positives, _) = check(scores, labels)?;
    let n = scores.len();
    // The product is rounded up; guard against 0.1 * 10 = 1.0000000000000002 style noise.
    let selected = ((fraction * n as f64 - 1e-9).ceil() as usize).clamp(1, n);
    let order = descending(scores);
    let cut = scores[order[selected - 1]];
    let (mut above, mut pos_above, mut tied, mut pos_tied) = (0usize, 0usize, 0usize, 0usize);
    for (&s, &l) in scores.iter().zip(labels) {
        if s > cut {
            above += 1;
            pos_above += usize::from(l);
        } else if s == cut {
            tied += 1;
            pos_tied += usize::from(l);
        }
    }
    let churners_captured =
        pos_above as f64 + (selected - above) as f64 * pos_tied as f64 / tied as f64;
    let selected_churn_rate = churners_captured / selected as f64;
    let base_churn_rate = positives as f64 / n as f64;
    Ok(LiftReport {
        fraction,
        selected,
        churners_captured,
        capture_rate: churners_captured / positives as f64,
        selected_churn_rate,
        base_churn_rate,
        lift: selected_churn_rate / base_churn_rate,
    })
}

/// Lift and capture rate of the top decile (`lift_at(scores, labels, 0.1)`).
///
/// ```
/// use crm_churn::top_decile_lift;
/// let scores: Vec<f64> = (0..20).map(f64::from).collect();
/// let labels: Vec<bool> = (0..20).map(|i| i >= 18).collect();
/// let r = top_decile_lift(&scores, &labels)?;
/// assert_eq!((r.selected, r.capture_rate, r.lift), (2, 1.0, 10.0));
/// # Ok::<(), crm_churn::EvaluationError>(())
/// ```
pub fn top_decile_lift(scores: &[f64], labels: &[bool]) -> Result<LiftReport, EvaluationError> {
    lift_at(scores, labels, 0.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_hand_computed_with_ties() {
        // Churners: 0.8, 0.4, 0.4; non-churners: 0.6, 0.4, 0.2.
        // Pairs (c, n): 0.8 beats all 3; each 0.4 beats 0.2, ties 0.4, loses to 0.6 -> 1.5.
        // (3 + 1.5 + 1.5) / 9 = 2/3.
        let scores = [0.8, 0.6, 0.4, 0.4, 0.4, 0.2];
        let labels = [true, false, true, false, true, false];
        assert!((roc_auc(&scores, &labels).unwrap() - 6.0 / 9.0).abs() < 1e-15);
        // Reversed score flips the AUC.
        let neg: Vec<f64> = scores.iter().map(|s| -s).collect();
        assert!((roc_auc(&neg, &labels).unwrap() - 3.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    fn lift_with_cut_tie_group() {
        // 10 customers, top decile = 1, but the top score is shared by 2 rows, one churner.
        let scores = [5.0, 5.0, 4.0, 3.0, 2.0, 1.0, 1.0, 1.0, 0.0, 0.0];
        let labels = [
            true, false, true, false, false, false, false, false, false, false,
        ];
        let r = top_decile_lift(&scores, &labels).unwrap();
        assert_eq!(r.selected, 1);
        assert!((r.churners_captured - 0.5).abs() < 1e-15);
        assert!((r.capture_rate - 0.25).abs() < 1e-15);
        assert!((r.base_churn_rate - 0.2).abs() < 1e-15);
        assert!((r.lift - 2.5).abs() < 1e-12);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            roc_auc(&[1.0], &[true, false]),
            Err(EvaluationError::LengthMismatch {
                scores: 1,
                labels: 2
            })
        );
        assert_eq!(roc_auc(&[], &[]), Err(EvaluationError::Empty));
        assert!(matches!(
            roc_auc(&[1.0, f64::NAN], &[true, false]),
            Err(EvaluationError::NonFiniteScore { row: 1, .. })
        ));
        assert_eq!(
            top_decile_lift(&[1.0, 2.0], &[true, true]),
            Err(EvaluationError::OneClass {
                positives: 2,
                negatives: 0
            })
        );
        assert!(matches!(
            lift_at(&[1.0, 2.0], &[true, false], f64::NAN),
            Err(EvaluationError::InvalidFraction { .. })
        ));
    }
}
