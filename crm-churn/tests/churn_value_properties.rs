//! Algebraic properties of the sBG, Gamma-Gamma and CLV computations over random inputs.

use crm_churn::GammaGammaParams;
use crm_churn::{
    ClvConfig, ClvCustomer, ExpectedPurchases, customer_lifetime_value,
    discounted_expected_purchases,
};
use crm_churn::{CohortSurvival, SbgParams};
use proptest::prelude::*;

/// Expected purchases of a customer who buys at rate λ while alive and dies at rate μ
/// (exponential lifetime): λ/μ (1 - e^{-μt}). Concave, increasing, bounded.
struct DyingPoisson {
    lambda: f64,
    mu: f64,
}

impl ExpectedPurchases for DyingPoisson {
    type Error = std::convert::Infallible;
    fn expected_purchases(&self, t: f64, _: u32, _: f64, _: f64) -> Result<f64, Self::Error> {
        Ok(self.lambda / self.mu * -(-self.mu * t).exp_m1())
    }
}

proptest! {
    #[test]
    fn sbg_survival_is_a_decreasing_probability(
        a in 1e-3..50.0f64, b in 1e-3..50.0f64, t in 0u32..10_000
    ) {
        let p = SbgParams::new(a, b).unwrap();
        let s = p.survival(t);
        let s_next = p.survival(t + 1);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert!(s_next <= s);
        prop_assert!((p.churn_probability(t + 1) - (s - s_next)).abs() < 1e-12);
        let r = p.retention_rate(t + 1);
        prop_assert!(r > 0.0 && r < 1.0);
        prop_assert!(p.retention_rate(t + 2) >= r);
    }

    #[test]
    fn sbg_derl_is_bounded_by_the_annuity(
        a in 0.05..20.0f64, b in 0.05..20.0f64, d in 0.01..1.0f64, n in 0u32..50
    ) {
        let p = SbgParams::new(a, b).unwrap();
        let derl = p.discounted_expected_residual_lifetime(d, n).unwrap();
        // Below a customer who never churns, (1+d)/d; above the first renewal alone.
        prop_assert!(derl < (1.0 + d) / d);
        prop_assert!(derl >= p.retention_rate(n + 1) - 1e-12);
    }

    #[test]
    fn sbg_constructors_never_panic(a in any::<f64>(), b in any::<f64>(),
                                    counts in proptest::collection::vec(0u64..1000, 0..8)) {
        if let Ok(p) = SbgParams::new(a, b) {
            prop_assert!(p.survival(3).is_finite());
        }
        if let Ok(c) = CohortSurvival::new(counts.clone()) {
            prop_assert!(c.survivors().windows(2).all(|w| w[1] <= w[0]));
            if let Ok(p) = SbgParams::new(1.0, 1.0) {
                prop_assert!(!p.log_likelihood(&c).is_nan());
            }
        }
    }

    #[test]
    fn gamma_gamma_spend_shrinks_towards_the_population_mean(
        p in 0.1..20.0f64, q in 1.01..20.0f64, g in 0.1..100.0f64,
        x in 1u32..100, z in 0.01..1000.0f64
    ) {
        let params = GammaGammaParams::new(p, q, g).unwrap();
        let pop = params.population_mean_spend().unwrap();
        let e = params.conditional_expected_average_spend(x, z).unwrap();
        let (lo, hi) = if pop < z { (pop, z) } else { (z, pop) };
        prop_assert!(e >= lo * (1.0 - 1e-12) && e <= hi * (1.0 + 1e-12));
        // More evidence moves the estimate towards the customer's own mean.
        let e_more = params.conditional_expected_average_spend(x + 1, z).unwrap();
        prop_assert!((e_more - z).abs() <= (e - z).abs() * (1.0 + 1e-12));
    }

    #[test]
    fn clv_grows_with_horizon_and_falls_with_discounting(
        lambda in 0.01..5.0f64, mu in 0.001..1.0f64, len in 0.5..60.0f64,
        h in 1u32..60, d in 0.0..0.5f64
    ) {
        let model = DyingPoisson { lambda, mu };
        let config = ClvConfig { horizon_periods: h, period_length: len, discount_rate: d };
        let base = discounted_expected_purchases(&model, 1, 1.0, 2.0, &config).unwrap();
        let longer = ClvConfig { horizon_periods: h + 1, ..config };
        let steeper = ClvConfig { discount_rate: d + 0.05, ..config };
        prop_assert!(discounted_expected_purchases(&model, 1, 1.0, 2.0, &longer).unwrap() >= base);
        prop_assert!(discounted_expected_purchases(&model, 1, 1.0, 2.0, &steeper).unwrap() <= base);
        // Undiscounted, the sum telescopes to the cumulative expectation at the horizon.
        let flat = ClvConfig { discount_rate: 0.0, ..config };
        let total = discounted_expected_purchases(&model, 1, 1.0, 2.0, &flat).unwrap();
        let cumulative = model.expected_purchases(len * f64::from(h), 1, 1.0, 2.0).unwrap();
        prop_assert!((total - cumulative).abs() <= 1e-9 * cumulative.max(1.0));

        let spend = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
        let customer = ClvCustomer { frequency: 3, recency: 10.0, age: 20.0, mean_spend: 25.0 };
        let v = customer_lifetime_value(&model, &spend, &customer, &config).unwrap();
        prop_assert!((v.value - v.expected_average_spend * base).abs() <= 1e-9 * v.value.max(1.0));
    }
}
