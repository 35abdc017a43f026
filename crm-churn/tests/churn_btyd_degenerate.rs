//! Fits the data cannot determine say so: too few customers, parameters driven to the edge of
//! the search box (the no-dropout limit), standard errors that do not exist.

use crm_churn::{
    BgNbdParams, BoundSide, CustomerHistory, FitError, FitOptions, FitWarning, GammaGammaError,
    MbgNbdParams, ParameterBounds, ParetoNbdParams, SbgError, WeightedHistories, simulate_bgnbd,
};
use rand::SeedableRng;

fn six_customers() -> WeightedHistories {
    let rows = [
        (2, 30.0, 38.0),
        (1, 20.0, 38.0),
        (0, 0.0, 38.0),
        (3, 35.0, 38.0),
        (1, 37.0, 38.0),
        (0, 0.0, 30.0),
    ];
    WeightedHistories::from_histories(
        rows.map(|(x, t_x, t)| CustomerHistory::new(x, t_x, t).unwrap()),
    )
    .unwrap()
}

fn in_box(params: &[f64]) -> bool {
    let b = ParameterBounds::default();
    params.iter().all(|&p| (b.lower..=b.upper).contains(&p))
}

#[test]
fn six_customers_fit_with_warnings_inside_the_box() {
    let data = six_customers();
    let fit = BgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert!(in_box(&fit.mle.params), "{:?}", fit.mle.params);
    assert!(
        fit.mle.warnings.contains(&FitWarning::TooFewCustomers {
            customers: 6.0,
            recommended: 40.0
        }),
        "{:?}",
        fit.mle.warnings
    );
    // The estimate runs into the box: the parameters held there are named, without a
    // standard error.
    let held: Vec<&str> = fit
        .mle
        .warnings
        .iter()
        .filter_map(|w| match w {
            FitWarning::ParameterAtBound { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert!(!held.is_empty(), "{:?}", fit.mle.warnings);
    let no_se = fit.mle.warnings.iter().find_map(|w| match w {
        FitWarning::StandardErrorNotFinite { names } => Some(names),
        _ => None,
    });
    let no_se = no_se.expect("held parameters have no standard error");
    for name in &held {
        assert!(no_se.iter().any(|n| n == name), "{name}: {no_se:?}");
    }
    match &fit.mle.std_errors {
        Some(se) => {
            for (name, se) in fit.mle.names.iter().zip(se) {
                assert_eq!(
                    held.contains(&name.as_str()),
                    se.is_infinite(),
                    "{name}: {se}"
                );
            }
        }
        // The Hessian of the free parameters is singular too: none has a standard error.
        None => assert_eq!(no_se, &fit.mle.names),
    }
    // MBG/NBD and Pareto/NBD on the same six customers: a result inside the box with
    // warnings, never a silent extreme estimate.
    let mbg = MbgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert!(in_box(&mbg.mle.params) && !mbg.mle.warnings.is_empty());
    let pareto = ParetoNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert!(in_box(&pareto.mle.params) && !pareto.mle.warnings.is_empty());
    // The warnings serialise for reports.
    let json = serde_json::to_value(&fit.mle.warnings).unwrap();
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "too_few_customers")
    );
}

/// BG/NBD customers who practically never drop out (p ~ Beta(1, 1e5)), simulated with `seed`.
fn no_dropout(seed: u64) -> WeightedHistories {
    let truth = BgNbdParams::new(0.5, 5.0, 1.0, 1e5).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let ages: Vec<f64> = (0..2000).map(|i| (f64::from(i % 40) + 1.0) * 1.3).collect();
    simulate_bgnbd(&truth, &ages, 0.0, &mut rng)
        .unwrap()
        .weighted()
        .unwrap()
}

/// A Pareto/NBD fit of no-dropout data: finite, inside the box, the purchase process
/// recovered (r / α close to the truth's 0.1), and BG/NBD converging on the same data.
fn fit_without_dropout(seed: u64) -> crm_churn::ParetoNbdFit {
    let data = no_dropout(seed);
    let fit = ParetoNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert!(fit.mle.report.log_likelihood.is_finite());
    assert!(in_box(&fit.mle.params), "{:?}", fit.mle.params);
    assert!(
        (fit.params.r / fit.params.alpha - 0.1).abs() < 0.02,
        "{:?}",
        fit.params
    );
    let bg = BgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert!(in_box(&bg.mle.params));
    fit
}

/// On this sample the likelihood keeps rising as s → 0: the fit holds s at its lower bound
/// and says so.
#[test]
fn pareto_nbd_on_data_without_dropout_reports_the_boundary() {
    let fit = fit_without_dropout(1);
    let at_bound = fit.mle.warnings.iter().any(|w| {
        matches!(w,
            FitWarning::ParameterAtBound { name, bound: BoundSide::Lower, .. } if name == "s")
            || matches!(w,
            FitWarning::ParameterAtBound { name, bound: BoundSide::Upper, .. } if name == "beta")
    });
    assert!(at_bound, "{:?} {:?}", fit.params, fit.mle.warnings);
}

#[test]
fn a_well_determined_fit_has_no_warnings() {
    let truth = BgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let data = simulate_bgnbd(&truth, &vec![52.0; 2000], 0.0, &mut rng)
        .unwrap()
        .weighted()
        .unwrap();
    let fit = BgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert_eq!(fit.mle.warnings, []);
}

#[test]
fn fit_errors_name_the_fit_once() {
    let inner = FitError::NonPositiveParameter {
        name: "q".into(),
        value: 0.0,
    };
    // The caller adds the context ("Gamma-Gamma fit: …"); the error itself does not repeat it.
    let gg = GammaGammaError::Fit(inner.clone()).to_string();
    assert_eq!(gg, inner.to_string());
    assert_eq!(
        format!("Gamma-Gamma fit: {gg}")
            .matches("Gamma-Gamma fit")
            .count(),
        1
    );
    let sbg = SbgError::Fit(inner.clone()).to_string();
    assert_eq!(sbg, inner.to_string());
}

/// 2,000 customers of a pure Poisson purchase process (rate ~ Gamma(0.5, 5)) whose last
/// purchase falls just before the end of observation: recency carries no dropout signal.
fn last_purchase_at_the_end() -> WeightedHistories {
    use rand_distr::{Distribution, Gamma, Poisson};
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let rate = Gamma::new(0.5, 1.0 / 5.0).unwrap();
    let rows = (0..2000).map(|i| {
        let t = 30.0 + f64::from(i % 20);
        let lambda: f64 = rate.sample(&mut rng);
        let x = Poisson::new(lambda * t).map_or(0.0, |p| p.sample(&mut rng)) as u32;
        let t_x = if x == 0 { 0.0 } else { t - 0.01 };
        CustomerHistory::new(x, t_x, t).unwrap()
    });
    WeightedHistories::from_histories(rows).unwrap()
}

fn held(warnings: &[FitWarning]) -> Vec<(&str, BoundSide)> {
    warnings
        .iter()
        .filter_map(|w| match w {
            FitWarning::ParameterAtBound { name, bound, .. } => Some((name.as_str(), *bound)),
            _ => None,
        })
        .collect()
}

/// Pareto/NBD used to stop with a log-likelihood of −∞ on this data (₂F₁ out of reach as
/// β grew); it now reaches the no-dropout limit, as BG/NBD does, and says so.
#[test]
fn pareto_nbd_reaches_the_no_dropout_limit_when_recency_says_nothing() {
    let data = last_purchase_at_the_end();
    let fit = ParetoNbdParams::fit(&data, &FitOptions::default()).unwrap();
    assert!(fit.mle.report.log_likelihood.is_finite());
    assert!(in_box(&fit.mle.params), "{:?}", fit.mle.params);
    let pareto_held = held(&fit.mle.warnings);
    assert!(
        pareto_held.contains(&("s", BoundSide::Lower))
            || pareto_held.contains(&("beta", BoundSide::Upper)),
        "{:?}",
        fit.mle.warnings
    );
    let bg = BgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    let bg_held = held(&bg.mle.warnings);
    assert!(
        bg_held.contains(&("a", BoundSide::Lower)) || bg_held.contains(&("b", BoundSide::Upper)),
        "{:?}",
        bg.mle.warnings
    );
    // Both describe the same purchase process and the same likelihood.
    assert!((fit.params.r / fit.params.alpha - bg.params.r / bg.params.alpha).abs() < 1e-4);
    assert!((fit.mle.report.log_likelihood - bg.mle.report.log_likelihood).abs() < 1e-3);
}

/// Every customer churns with probability one half: α and β run off together. The fit used
/// to return α ≈ β ≈ 4·10⁵ without a word; both are now held at the bound and named.
#[test]
fn sbg_with_one_churn_rate_for_everyone_reports_the_bound() {
    let cohort = crm_churn::CohortSurvival::new(vec![1024, 512, 256, 128, 64, 32]).unwrap();
    let fit = crm_churn::fit_sbg(&cohort).unwrap();
    let names: Vec<&str> = held(&fit.mle.warnings).iter().map(|h| h.0).collect();
    assert!(!names.is_empty(), "{:?}", fit.mle.warnings);
    assert!(in_box(&fit.mle.params));
    assert!((fit.params.mean_churn_probability() - 0.5).abs() < 1e-4);
    // A cohort with a real spread of churn rates has no warning.
    let spread = crm_churn::CohortSurvival::new(vec![1000, 869, 743, 653, 593, 551, 517, 491]);
    assert_eq!(
        crm_churn::fit_sbg(&spread.unwrap()).unwrap().mle.warnings,
        []
    );
}

/// One churn rate for everyone, other than one half: α and β run off together at the ratio
/// the data fix (α/(α+β) = 0.2 here). Holding the furthest at the bound and fitting the
/// other keeps that ratio; clamping each to the bound would make the churn rate one half.
#[test]
fn sbg_at_the_bound_keeps_the_churn_rate_the_data_give() {
    let survivors = vec![1000u64, 800, 640, 512, 410, 328, 262];
    let cohort = crm_churn::CohortSurvival::new(survivors.clone()).unwrap();
    let fit = crm_churn::fit_sbg(&cohort).unwrap();
    assert!(!fit.mle.warnings.is_empty());
    let theta = fit.params.mean_churn_probability();
    // The geometric maximum: churned over exposed periods.
    let churned = (survivors[0] - survivors[survivors.len() - 1]) as f64;
    let exposed: f64 = survivors[..survivors.len() - 1]
        .iter()
        .map(|&n| n as f64)
        .sum();
    let mle = churned / exposed;
    assert!((theta - mle).abs() < 1e-4, "{theta} vs {mle}");
    let geometric_ll: f64 = survivors
        .windows(2)
        .map(|w| (w[0] - w[1]) as f64 * mle.ln() + w[1] as f64 * (1.0 - mle).ln())
        .sum();
    assert!(
        (fit.mle.report.log_likelihood - geometric_ll).abs() < 1e-2,
        "{} vs {geometric_ll}",
        fit.mle.report.log_likelihood
    );
}

/// Small random data sets: every model either fails with a typed error or returns a finite
/// log-likelihood with its parameters in the box, and a parameter far out is named in a
/// warning. Nothing panics.
#[test]
fn small_random_fits_never_pass_silently() {
    use rand::RngExt;
    let bounds = ParameterBounds::default();
    let far = |p: &[f64]| p.iter().any(|&v| !(1e-4..=1e4).contains(&v));
    let check = |what: &str, mle: &crm_churn::MleFit| {
        assert!(mle.report.log_likelihood.is_finite(), "{what}: {mle:?}");
        assert!(
            mle.params
                .iter()
                .all(|&v| (bounds.lower..=bounds.upper).contains(&v)),
            "{what}: {mle:?}"
        );
        if far(&mle.params) {
            assert!(!held(&mle.warnings).is_empty(), "{what}: {mle:?}");
        }
        if mle
            .std_errors
            .as_ref()
            .is_none_or(|se| se.iter().any(|v| !v.is_finite()))
        {
            assert!(
                mle.warnings
                    .iter()
                    .any(|w| matches!(w, FitWarning::StandardErrorNotFinite { .. })),
                "{what}: {mle:?}"
            );
        }
    };
    for seed in 0..20u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let rows: Vec<CustomerHistory> = (0..6)
            .map(|_| {
                let t = rng.random_range(1.0..40.0f64);
                let x = rng.random_range(0..4u32);
                let t_x = if x == 0 {
                    0.0
                } else {
                    rng.random_range(0.0..=t)
                };
                CustomerHistory::new(x, t_x, t).unwrap()
            })
            .collect();
        let data = WeightedHistories::from_histories(rows).unwrap();
        let o = FitOptions::default();
        if let Ok(f) = BgNbdParams::fit(&data, &o) {
            check(&format!("BG/NBD {seed}"), &f.mle);
        }
        if let Ok(f) = MbgNbdParams::fit(&data, &o) {
            check(&format!("MBG/NBD {seed}"), &f.mle);
        }
        if let Ok(f) = ParetoNbdParams::fit(&data, &o) {
            check(&format!("Pareto/NBD {seed}"), &f.mle);
        }
        let mut left = 200u64;
        let survivors: Vec<u64> = (0..5)
            .map(|_| {
                left -= rng.random_range(0..=left / 2);
                left
            })
            .collect();
        if let Ok(f) = crm_churn::CohortSurvival::new(survivors)
            .map_err(|e| e.to_string())
            .and_then(|c| crm_churn::fit_sbg(&c).map_err(|e| e.to_string()))
        {
            check(&format!("sBG {seed}"), &f.mle);
        }
        let spend: Vec<crm_churn::SpendObservation> = (0..6)
            .map(|_| crm_churn::SpendObservation {
                frequency: rng.random_range(1..5u32),
                mean_spend: rng.random_range(5.0..50.0f64),
            })
            .collect();
        if let Ok(f) = crm_churn::fit_gamma_gamma(&spend) {
            check(&format!("Gamma-Gamma {seed}"), &f.mle);
        }
    }
}

#[test]
fn parameter_errors_do_not_name_the_model_either() {
    let gg = crm_churn::GammaGammaParams::new(1.0, -2.0, 3.0).unwrap_err();
    assert_eq!(
        gg.to_string(),
        "parameter `q` must be finite and positive, got -2"
    );
    let sbg = crm_churn::SbgParams::new(f64::NAN, 1.0).unwrap_err();
    assert!(sbg.to_string().starts_with("parameter `alpha`"), "{sbg}");
}
