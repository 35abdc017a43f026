//! BG/BB over random parameters and histories: probabilities are probabilities, expectations
//! grow with the horizon, the likelihood is finite, and arbitrary input is an answer or a
//! typed error, never a panic.

use crm_churn::{
    BGBB_MAX_OPPORTUNITIES, BgBbHistories, BgBbHistory, BgBbParams, FitOptions, WeightedBgBbHistory,
};
use proptest::prelude::*;

/// Parameters spread evenly on the log scale over six orders of magnitude.
fn parameter() -> impl Strategy<Value = f64> {
    (-3.0..3.0f64).prop_map(|e| 10f64.powf(e))
}

fn params() -> impl Strategy<Value = BgBbParams> {
    (parameter(), parameter(), parameter(), parameter())
        .prop_map(|(a, b, g, d)| BgBbParams::new(a, b, g, d).unwrap())
}

/// A valid history with up to `max_n` opportunities.
fn history(max_n: u32) -> impl Strategy<Value = BgBbHistory> {
    (0..=max_n)
        .prop_flat_map(|n| (Just(n), 0..=n))
        .prop_flat_map(|(n, t_x)| {
            let x = if t_x == 0 { 0..=0 } else { 1..=t_x };
            (x, Just(t_x), Just(n))
        })
        .prop_map(|(x, t_x, n)| BgBbHistory::new(x, t_x, n).unwrap())
}

/// A count of opportunities: usually small, sometimes anything at all.
fn count() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..40, 1 => any::<u32>()]
}

proptest! {
    #[test]
    fn p_alive_and_likelihood_are_probabilities(p in params(), h in history(60)) {
        let alive = p.p_alive(&h).unwrap();
        prop_assert!((0.0..=1.0).contains(&alive), "{alive}");
        let l = p.likelihood(&h).unwrap();
        prop_assert!((0.0..=1.0).contains(&l), "{l}");
        let q = p.purchase_count_probability(h.x, h.n).unwrap();
        prop_assert!((0.0..=1.0).contains(&q), "{q}");
        // One string with x transactions is at most all of them.
        prop_assert!(l <= q * (1.0 + 1e-12) + 1e-300, "{l} > {q}");
    }

    #[test]
    fn the_log_likelihood_is_finite_and_not_positive(
        p in params(),
        rows in proptest::collection::vec((history(60), 0.5..1e4f64), 1..12),
    ) {
        let data = BgBbHistories::from_weighted(
            rows.iter().map(|&(history, weight)| WeightedBgBbHistory { history, weight }),
        ).unwrap();
        let ll = p.log_likelihood(&data);
        prop_assert!(ll.is_finite() && ll <= 1e-9 * data.total_weight(), "{ll}");
        // Compressing rows changes nothing: the sum over the rows one at a time.
        let one_by_one: f64 = rows
            .iter()
            .map(|&(h, w)| {
                let single = BgBbHistories::from_histories([h]).unwrap();
                w * p.log_likelihood(&single)
            })
            .sum();
        prop_assert!((ll - one_by_one).abs() <= 1e-9 * ll.abs().max(1.0), "{ll} vs {one_by_one}");
    }

    #[test]
    fn expected_transactions_grow_with_the_horizon(
        p in params(), h in history(40), k in 0u32..60
    ) {
        let now = p.expected_purchases(&h, k).unwrap();
        let later = p.expected_purchases(&h, k + 1).unwrap();
        prop_assert!(now >= 0.0 && now <= f64::from(k) + 1e-9, "{now}");
        prop_assert!(later >= now, "{later} < {now}");
        let new_now = p.expected_purchases_new_customer(k).unwrap();
        let new_later = p.expected_purchases_new_customer(k + 1).unwrap();
        prop_assert!(new_now >= 0.0 && new_now <= f64::from(k) + 1e-9);
        prop_assert!(new_later >= new_now);
        // The next opportunity alone: at most P(alive) (one transaction, if alive).
        let next = p.expected_purchases(&h, 1).unwrap();
        prop_assert!(next <= p.p_alive(&h).unwrap() * (1.0 + 1e-12));
    }

    #[test]
    fn dert_is_positive_falls_with_the_discount_rate_and_bounds_each_horizon(
        p in params(), h in history(30), d in 0.01..2.0f64, k in 1u32..30
    ) {
        let dert = p.discounted_expected_residual_transactions(&h, d).unwrap();
        let steeper = p.discounted_expected_residual_transactions(&h, d * 1.5).unwrap();
        prop_assert!(dert >= 0.0 && steeper <= dert * (1.0 + 1e-12), "{steeper} > {dert}");
        // Below one transaction at every opportunity ahead, (1/d); above the first k
        // opportunities discounted as the k-th.
        prop_assert!(dert <= (1.0 / d) * (1.0 + 1e-12));
        let first_k = p.expected_purchases(&h, k).unwrap() / (1.0 + d).powi(k as i32);
        prop_assert!(dert >= first_k * (1.0 - 1e-9), "{dert} < {first_k}");
    }

    #[test]
    fn arbitrary_input_never_panics(
        x in count(), t_x in count(), n in count(), weight in any::<f64>(),
        a in any::<f64>(), b in any::<f64>(), g in any::<f64>(), d in any::<f64>(),
        horizon in count(), rate in any::<f64>(),
    ) {
        let h = BgBbHistory { x, t_x, n };
        let valid = BgBbHistory::new(x, t_x, n).is_ok();
        prop_assert_eq!(valid, n <= BGBB_MAX_OPPORTUNITIES && t_x <= n && x <= t_x && (x == 0) == (t_x == 0));
        let data = BgBbHistories::from_weighted([WeightedBgBbHistory { history: h, weight }]);
        prop_assert_eq!(data.is_ok(), valid && weight.is_finite() && weight > 0.0);
        let field_by_field = BgBbParams { alpha: a, beta: b, gamma: g, delta: d };
        for m in [field_by_field, BgBbParams::new(1.2, 0.75, 0.65, 2.8).unwrap()] {
            let ok = m.validate().is_ok();
            for r in [
                m.p_alive(&h),
                m.likelihood(&h),
                m.expected_purchases(&h, horizon),
                m.expected_purchases_new_customer(horizon),
                m.purchase_count_probability(x, n),
                m.discounted_expected_residual_transactions(&h, rate),
            ] {
                match r {
                    Ok(v) => prop_assert!(v.is_finite() && v >= 0.0 && ok, "{v}"),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }
            if let Ok(data) = &data {
                let ll = m.log_likelihood(data);
                prop_assert!(!ok || ll.is_finite());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Fits of small arbitrary data sets end in an estimate or a typed error.
    #[test]
    fn fits_of_arbitrary_data_never_panic(
        rows in proptest::collection::vec((history(12), prop_oneof![0.5..50.0f64, Just(1e-9), Just(1e12)]), 1..8)
    ) {
        let data = BgBbHistories::from_weighted(
            rows.iter().map(|&(history, weight)| WeightedBgBbHistory { history, weight }),
        ).unwrap();
        match BgBbParams::fit(&data, &FitOptions::default()) {
            Ok(fit) => {
                prop_assert!(fit.params.validate().is_ok());
                prop_assert!(fit.mle.report.log_likelihood.is_finite());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
