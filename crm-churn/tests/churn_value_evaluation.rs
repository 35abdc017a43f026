//! ROC AUC and top-decile lift against brute-force references.

use crm_churn::{lift_at, roc_auc, top_decile_lift};
use proptest::prelude::*;

/// AUC by counting every (churner, non-churner) pair; ties count one half.
fn brute_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &si) in scores.iter().enumerate() {
        for (j, &sj) in scores.iter().enumerate() {
            if labels[i] && !labels[j] {
                pairs += 1.0;
                if si > sj {
                    wins += 1.0;
                } else if si == sj {
                    wins += 0.5;
                }
            }
        }
    }
    wins / pairs
}

/// Expected churners in the top k when the rows of the tie group cut by the selection are
/// ordered at random: average over every permutation of that group (Heap's algorithm).
/// `None` when the cut tie group is too large to enumerate.
fn brute_captured(scores: &[f64], labels: &[bool], k: usize) -> Option<f64> {
    let mut sorted: Vec<f64> = scores.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let cut = sorted[k - 1];
    let above: Vec<bool> = (0..scores.len())
        .filter(|&i| scores[i] > cut)
        .map(|i| labels[i])
        .collect();
    let mut group: Vec<bool> = (0..scores.len())
        .filter(|&i| scores[i] == cut)
        .map(|i| labels[i])
        .collect();
    if group.len() > 7 {
        return None;
    }
    let slots = k - above.len();
    let fixed = above.iter().filter(|&&l| l).count() as f64;
    let (mut total, mut orders) = (0.0, 0.0);
    let mut visit = |g: &[bool]| {
        total += g[..slots].iter().filter(|&&l| l).count() as f64;
        orders += 1.0;
    };
    // Heap's algorithm, iterative.
    let n = group.len();
    let mut c = vec![0usize; n];
    visit(&group);
    let mut i = 0;
    while i < n {
        if c[i] < i {
            if i % 2 == 0 {
                group.swap(0, i);
            } else {
                group.swap(c[i], i);
            }
            visit(&group);
            c[i] += 1;
            i = 0;
        } else {
            c[i] = 0;
            i += 1;
        }
    }
    Some(fixed + total / orders)
}

#[test]
fn perfect_and_inverted_rankings() {
    let scores: Vec<f64> = (0..100).map(f64::from).collect();
    let labels: Vec<bool> = (0..100).map(|i| i >= 90).collect();
    assert_eq!(roc_auc(&scores, &labels).unwrap(), 1.0);
    let r = top_decile_lift(&scores, &labels).unwrap();
    assert_eq!((r.selected, r.capture_rate, r.lift), (10, 1.0, 10.0));
    let inverted: Vec<f64> = scores.iter().map(|s| -s).collect();
    assert_eq!(roc_auc(&inverted, &labels).unwrap(), 0.0);
    let r = top_decile_lift(&inverted, &labels).unwrap();
    assert_eq!((r.capture_rate, r.lift), (0.0, 0.0));
}

#[test]
fn constant_score_is_random() {
    let scores = vec![1.0; 37];
    let labels: Vec<bool> = (0..37).map(|i| i % 3 == 0).collect();
    assert_eq!(roc_auc(&scores, &labels).unwrap(), 0.5);
    let r = top_decile_lift(&scores, &labels).unwrap();
    assert_eq!(r.selected, 4);
    assert!((r.lift - 1.0).abs() < 1e-12);
}

proptest! {
    #[test]
    fn auc_matches_pairwise_count(
        rows in proptest::collection::vec((0u8..6, any::<bool>()), 2..60)
    ) {
        // Few distinct scores force many ties.
        let scores: Vec<f64> = rows.iter().map(|(s, _)| f64::from(*s) / 2.0).collect();
        let labels: Vec<bool> = rows.iter().map(|(_, l)| *l).collect();
        match roc_auc(&scores, &labels) {
            Ok(auc) => prop_assert!((auc - brute_auc(&scores, &labels)).abs() < 1e-12),
            Err(_) => prop_assert!(labels.iter().all(|&l| l) || labels.iter().all(|&l| !l)),
        }
    }

    #[test]
    fn lift_matches_selection_probabilities(
        rows in proptest::collection::vec((0u8..10, any::<bool>()), 2..30),
        fraction in 0.01..=1.0f64,
    ) {
        let scores: Vec<f64> = rows.iter().map(|(s, _)| f64::from(*s)).collect();
        let labels: Vec<bool> = rows.iter().map(|(_, l)| *l).collect();
        if let Ok(r) = lift_at(&scores, &labels, fraction) {
            let Some(expected) = brute_captured(&scores, &labels, r.selected) else {
                return Ok(());
            };
            prop_assert!((r.churners_captured - expected).abs() < 1e-9);
            prop_assert!((0.0..=1.0 + 1e-12).contains(&r.capture_rate));
            let positives = labels.iter().filter(|&&l| l).count() as f64;
            let n = labels.len() as f64;
            prop_assert!((r.lift - (expected / r.selected as f64) / (positives / n)).abs() < 1e-9);
            prop_assert!(r.selected as f64 >= fraction * n - 1e-6);
            prop_assert!((r.selected as f64) < fraction * n + 1.0);
        }
    }

    #[test]
    fn auc_never_panics(scores in proptest::collection::vec(any::<f64>(), 0..20),
                        labels in proptest::collection::vec(any::<bool>(), 0..20)) {
        if let Ok(auc) = roc_auc(&scores, &labels) {
            prop_assert!((0.0..=1.0).contains(&auc));
        }
    }
}
