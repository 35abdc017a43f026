//! Differences between two groups or two periods, with z-tests (the formulas are on
//! [`Difference`]).

use serde::{Deserialize, Serialize};

use crate::stats::two_sided_p;
use crate::{Interval, StatsConfig};

/// The difference of a statistic between two groups or periods, with its z-test.
///
/// * **NPS**: `Δ = NPS₁ − NPS₂`, `SE = 100·sqrt(v₁/n₁ + v₂/n₂)` with the per-response variance
///   `v = p + d − (p − d)²` (shares of promoters `p` and detractors `d`), `z = Δ/SE`.
/// * **Shares** (CSAT satisfied, CES easy, driver negative rates): the two-proportion z-test
///   with the pooled share `p̄ = (x₁ + x₂)/(n₁ + n₂)`,
///   `z = (p₁ − p₂)/sqrt(p̄(1 − p̄)(1/n₁ + 1/n₂))`; the interval uses the unpooled standard
///   error `sqrt(p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂)`.
/// * **Means**: `z = (m₁ − m₂)/sqrt(s₁²/n₁ + s₂²/n₂)`.
///
/// The p-value is two-sided, `2·(1 − Φ(|z|))`. When the standard error is zero (both groups
/// unanimous) a zero difference has `z = 0, p = 1` and any other difference has
/// `z = ±∞, p = 0`.
///
/// ```
/// use crm_satisfaction::{Aggregator, Nps, StatsConfig};
///
/// let before = Nps::from_counts(30, 40, 30); // NPS 0
/// let after = Nps::from_counts(20, 30, 50); // NPS 30
/// let d = after.compare(&before, &StatsConfig::default()).unwrap().unwrap();
/// assert!((d.estimate - 30.0).abs() < 1e-12);
/// assert!(d.significant);
/// assert!(d.p_value < 0.01);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// `statistic(first) − statistic(second)`.
    pub estimate: f64,
    /// Standard error of the difference (unpooled).
    pub standard_error: f64,
    /// Test statistic.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Wald interval of the difference at the configured level.
    pub interval: Interval,
    /// `p_value < 1 − level`.
    pub significant: bool,
}

impl Difference {
    /// Builds a difference from an estimate, the standard error for the interval and the
    /// standard error under the null hypothesis (used for `z`).
    pub(crate) fn from_parts(
        estimate: f64,
        se_interval: f64,
        se_null: f64,
        bound: f64,
        config: &StatsConfig,
    ) -> Self {
        let z = if se_null > 0.0 {
            estimate / se_null
        } else if estimate == 0.0 {
            0.0
        } else {
            estimate.signum() * f64::INFINITY
        };
        let p_value = two_sided_p(z);
        let half = config.level.z() * se_interval;
        Self {
            estimate,
            standard_error: se_interval,
            z,
            p_value,
            interval: Interval::around(estimate, half, -bound, bound),
            significant: p_value < 1.0 - config.level.value(),
        }
    }
}

/// Two-proportion z-test of `x1/n1 − x2/n2` (pooled null standard error); `None` when either
/// `n` is zero. Estimates are expressed as fractions times `scale` (e.g. 100 for percent).
pub(crate) fn share_difference(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    scale: f64,
    config: &StatsConfig,
) -> Option<Difference> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (p1, p2) = (x1 as f64 / n1f, x2 as f64 / n2f);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se_null = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    let se = (p1 * (1.0 - p1) / n1f + p2 * (1.0 - p2) / n2f).sqrt();
    Some(Difference::from_parts(
        (p1 - p2) * scale,
        se * scale,
        se_null * scale,
        scale,
        config,
    ))
}

/// z-test of the difference of two means given `(mean, sd, n)`; `None` when either `n` is 0.
pub(crate) fn mean_difference(
    a: (f64, f64, u64),
    b: (f64, f64, u64),
    bound: f64,
    config: &StatsConfig,
) -> Option<Difference> {
    if a.2 == 0 || b.2 == 0 {
        return None;
    }
    let se = (a.1 * a.1 / a.2 as f64 + b.1 * b.1 / b.2 as f64).sqrt();
    Some(Difference::from_parts(a.0 - b.0, se, se, bound, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_proportion_test_matches_hand_computation() {
        // 60/100 vs 45/100: pooled 0.525, se0 = sqrt(.525·.475·.02) = 0.0706223...
        // z = 0.15/0.0706223 = 2.12398..., p = 0.03367...
        let d = share_difference(60, 100, 45, 100, 1.0, &StatsConfig::default()).unwrap();
        assert!((d.estimate - 0.15).abs() < 1e-12);
        assert!((d.z - 2.123977).abs() < 1e-5, "{}", d.z);
        assert!((d.p_value - 0.033672).abs() < 1e-5, "{}", d.p_value);
        assert!(d.significant);
        // Unpooled se = sqrt(.24/100 + .2475/100) = 0.0698212...
        assert!((d.standard_error - 0.0698212).abs() < 1e-6);
        assert!(share_difference(1, 0, 1, 1, 1.0, &StatsConfig::default()).is_none());
    }

    #[test]
    fn unanimous_groups_give_degenerate_but_finite_answers() {
        let c = StatsConfig::default();
        let same = share_difference(10, 10, 5, 5, 1.0, &c).unwrap();
        assert_eq!((same.z, same.p_value, same.significant), (0.0, 1.0, false));
        let apart = mean_difference((5.0, 0.0, 3), (1.0, 0.0, 3), 4.0, &c).unwrap();
        assert_eq!(apart.z, f64::INFINITY);
        assert_eq!(apart.p_value, 0.0);
        assert_eq!(apart.interval.lower, 4.0);
    }
}
