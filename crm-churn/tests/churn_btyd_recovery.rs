//! Parameter recovery and Monte-Carlo agreement of BG/NBD, MBG/NBD and Pareto/NBD on data
//! from the crate's seeded simulators.

use crm_churn::BgNbdParams;
use crm_churn::CustomerHistory;
use crm_churn::MbgNbdParams;
use crm_churn::ParetoNbdParams;
use crm_churn::{FitOptions, MleFit, WeightedHistories};
use crm_churn::{SimulatedCohort, simulate_bgnbd, simulate_mbgnbd, simulate_pareto_nbd};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Ages spread over a year of weekly cohorts, as in a real customer base.
fn ages(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 + (i % 52) as f64).collect()
}

/// Every estimate within 3.5 standard errors of the truth (for four parameters the chance
/// that an honest fit misses is about 0.2%; the seeds are fixed).
fn assert_recovered(truth: &[f64], mle: &MleFit) {
    let se = mle.std_errors.as_ref().expect("standard errors");
    for ((t, e), s) in truth.iter().zip(&mle.params).zip(se) {
        assert!(*s > 0.0 && s.is_finite());
        assert!(
            (t - e).abs() <= 3.5 * s,
            "truth {t}, estimate {e} ± {s} ({:?})",
            mle.names
        );
    }
    assert!(mle.report.converged);
}

/// A named subset of a cohort, chosen by the customer's calibration history.
type HistoryGroup = (&'static str, fn(&CustomerHistory) -> bool);

/// Mean of predictions against mean of simulated outcomes, within 4 standard errors of
/// the Monte-Carlo mean; checked on the whole cohort and on `x = 0` / `x > 0` separately
/// (the law of total expectation holds within any group defined by the history).
fn assert_agrees(
    cohort: &SimulatedCohort,
    predicted: impl Fn(&CustomerHistory) -> f64,
    outcome: impl Fn(&crm_churn::SimulatedCustomer) -> f64,
    what: &str,
) {
    let groups: [HistoryGroup; 3] = [
        ("all", |_| true),
        ("x = 0", |h| h.x == 0),
        ("x > 0", |h| h.x > 0),
    ];
    for (name, keep) in groups {
        let rows: Vec<_> = cohort
            .customers
            .iter()
            .filter(|c| keep(&c.history))
            .collect();
        let n = rows.len() as f64;
        assert!(n > 500.0, "{what} {name}: too few customers ({n})");
        let pred = rows.iter().map(|c| predicted(&c.history)).sum::<f64>() / n;
        let obs: Vec<f64> = rows.iter().map(|c| outcome(c)).collect();
        let mean = obs.iter().sum::<f64>() / n;
        let var = obs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt();
        assert!(
            (pred - mean).abs() <= 4.0 * se + 1e-12,
            "{what} {name}: predicted {pred}, simulated {mean} ± {se}"
        );
    }
}

/// Mean repeat purchases of a fresh cohort against the new-customer expectation, within 4 SE.
fn assert_mean(fresh: &SimulatedCohort, expected: f64) {
    let xs: Vec<f64> = fresh
        .customers
        .iter()
        .map(|c| f64::from(c.history.x))
        .collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let se = (xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt();
    assert!(
        (mean - expected).abs() <= 4.0 * se,
        "{mean} ± {se} vs {expected}"
    );
}

/// The checks every model passes: fitted to a cohort of 8,000 simulated customers (from
/// `simulate`, which draws from one seeded generator), the estimates recover `truth`; on a
/// fresh cohort of 40,000 the predicted P(alive) and purchases in a 26-week holdout agree
/// with the simulated outcomes; and a cohort of new customers makes as many purchases in
/// their first 26 weeks as `new_customer` (the model's expectation) says.
fn recovers_and_predicts_like_simulation(
    truth: &[f64],
    mut simulate: impl FnMut(&[f64], f64) -> SimulatedCohort,
    fit: impl Fn(&WeightedHistories) -> MleFit,
    p_alive: impl Fn(&CustomerHistory) -> f64,
    expected_purchases: impl Fn(&CustomerHistory, f64) -> f64,
    new_customer: f64,
) {
    let cohort = simulate(&ages(8000), 26.0);
    assert_recovered(truth, &fit(&cohort.weighted().unwrap()));

    let mc = simulate(&ages(40_000), 26.0);
    assert_agrees(
        &mc,
        p_alive,
        |c| f64::from(u8::from(c.alive_at_end)),
        "P(alive)",
    );
    assert_agrees(
        &mc,
        |h| expected_purchases(h, 26.0),
        |c| f64::from(c.holdout_purchases),
        "E[X(26)]",
    );
    // New customers: purchases in the first 26 weeks after the first one.
    let fresh = simulate(&vec![26.0; 40_000], 0.0);
    assert_mean(&fresh, new_customer);
}

#[test]
fn bgnbd_recovers_parameters_and_predicts_like_simulation() {
    let truth = BgNbdParams::new(0.6, 4.0, 0.7, 2.8).unwrap();
    let mut rng = StdRng::seed_from_u64(20_05);
    recovers_and_predicts_like_simulation(
        &[truth.r, truth.alpha, truth.a, truth.b],
        |ages, horizon| simulate_bgnbd(&truth, ages, horizon, &mut rng).unwrap(),
        |data| BgNbdParams::fit(data, &FitOptions::default()).unwrap().mle,
        |h| truth.p_alive(h),
        |h, t| truth.expected_purchases(h, t).unwrap(),
        truth.expected_purchases_new_customer(26.0).unwrap(),
    );
}

#[test]
fn mbgnbd_recovers_parameters_and_predicts_like_simulation() {
    let truth = MbgNbdParams::new(0.8, 5.0, 1.4, 3.0).unwrap();
    let mut rng = StdRng::seed_from_u64(20_07);
    recovers_and_predicts_like_simulation(
        &[truth.r, truth.alpha, truth.a, truth.b],
        |ages, horizon| simulate_mbgnbd(&truth, ages, horizon, &mut rng).unwrap(),
        |data| MbgNbdParams::fit(data, &FitOptions::default()).unwrap().mle,
        |h| truth.p_alive(h),
        |h, t| truth.expected_purchases(h, t).unwrap(),
        truth.expected_purchases_new_customer(26.0).unwrap(),
    );
}

#[test]
fn pareto_nbd_recovers_parameters_and_predicts_like_simulation() {
    let truth = ParetoNbdParams::new(0.55, 10.6, 0.6, 11.7).unwrap();
    let mut rng = StdRng::seed_from_u64(19_87);
    recovers_and_predicts_like_simulation(
        &[truth.r, truth.alpha, truth.s, truth.beta],
        |ages, horizon| simulate_pareto_nbd(&truth, ages, horizon, &mut rng).unwrap(),
        |data| {
            ParetoNbdParams::fit(data, &FitOptions::default())
                .unwrap()
                .mle
        },
        |h| truth.p_alive(h).unwrap(),
        |h, t| truth.expected_purchases(h, t).unwrap(),
        truth.expected_purchases_new_customer(26.0).unwrap(),
    );
}
