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
