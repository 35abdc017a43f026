//! The shifted-beta-geometric model against closed forms, brute-force sums, numerical
//! integration, the published Fader & Hardie (2007) fits and seeded simulation.

use crm_churn::{CohortSurvival, SbgParams, fit_sbg, simulate_cohort};
use rand::SeedableRng;
use statrs::function::gamma::ln_gamma;

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// S(t) = B(α, β + t) / B(α, β), computed from log-gamma functions.
fn survival_closed_form(a: f64, b: f64, t: u32) -> f64 {
    (ln_beta(a, b + f64::from(t)) - ln_beta(a, b)).exp()
}

#[test]
fn projections_match_beta_function_closed_form() {
    for (a, b) in [(0.704, 1.182), (0.668, 3.806), (5.0, 0.3), (1e-2, 40.0)] {
        let p = SbgParams::new(a, b).unwrap();
        let curve = p.survival_curve(60);
        for t in 0..=60u32 {
            let exact = survival_closed_form(a, b, t);
            assert!(
                (curve[t as usize] / exact - 1.0).abs() < 1e-10,
                "S({t}) for ({a}, {b})"
            );
            assert!((p.survival(t) / exact - 1.0).abs() < 1e-10);
            if t > 0 {
                let churn = survival_closed_form(a, b, t - 1) - exact;
                assert!((p.churn_probability(t) - churn).abs() < 1e-12);
                let retention = exact / survival_closed_form(a, b, t - 1);
                assert!((p.retention_rate(t) - retention).abs() < 1e-10);
            }
        }
    }
}

/// Σ_{t ≥ n} S(t)/S(n-1) / (1+d)^{t-n}, summed term by term from closed-form S(t) until the
/// terms are negligible.
fn derl_brute_force(a: f64, b: f64, d: f64, renewals: u32) -> f64 {
    let n = renewals + 1;
    let s_prev = survival_closed_form(a, b, n - 1);
    let mut sum = 0.0;
    for k in 0..20_000u32 {
        let term = survival_closed_form(a, b, n + k) / s_prev / (1.0 + d).powi(k as i32);
        sum += term;
        if term < 1e-17 {
            break;
        }
    }
    sum
}

/// DERL as an expectation over the churn probability of a customer who has survived n-1
/// renewals, θ ~ Beta(α, β + n - 1): E[(1-θ) / (1 - (1-θ)/(1+d))], by tanh-sinh quadrature
/// (robust to the density's endpoint singularities).
fn derl_by_integration(a: f64, b: f64, d: f64, renewals: u32) -> f64 {
    let b_post = b + f64::from(renewals);
    let z = 1.0 / (1.0 + d);
    let h = 1.0 / 128.0;
    let mut sum = 0.0;
    for k in -(6 * 128)..=(6 * 128) {
        let t = f64::from(k) * h;
        let u = std::f64::consts::FRAC_PI_2 * t.sinh();
        // θ and 1 - θ computed without cancellation.
        let theta = 1.0 / (1.0 + (-2.0 * u).exp());
        let one_minus = 1.0 / (1.0 + (2.0 * u).exp());
        if theta <= 0.0 || one_minus <= 0.0 {
            continue;
        }
        let weight = std::f64::consts::FRAC_PI_2 * t.cosh() / (2.0 * u.cosh().powi(2));
        let ln_density =
            (a - 1.0) * theta.ln() + (b_post - 1.0) * one_minus.ln() - ln_beta(a, b_post);
        let g = one_minus / (1.0 - z * one_minus);
        sum += weight * ln_density.exp() * g;
    }
    sum * h
}

#[test]
fn derl_matches_brute_force_sum_and_integral() {
    for (a, b) in [(0.704, 1.182), (0.668, 3.806), (3.0, 2.0)] {
        let p = SbgParams::new(a, b).unwrap();
        for d in [0.05, 0.1, 0.3] {
            for renewals in [0, 1, 4, 10] {
                let got = p
                    .discounted_expected_residual_lifetime(d, renewals)
                    .unwrap();
                let brute = derl_brute_force(a, b, d, renewals);
                assert!(
                    (got / brute - 1.0).abs() < 1e-10,
                    "{a} {b} {d} {renewals}: {got} vs {brute}"
                );
                let integral = derl_by_integration(a, b, d, renewals);
                assert!((got / integral - 1.0).abs() < 1e-8, "{got} vs {integral}");
            }
        }
    }
}

#[test]
fn derl_geometric_limit_and_monotonicity() {
    // A nearly homogeneous base with churn θ: DERL = (1-θ)(1+d)/(d+θ), whatever the tenure.
    let p = SbgParams::new(3e6, 7e6).unwrap();
    for renewals in [0, 5, 50] {
        let got = p
            .discounted_expected_residual_lifetime(0.1, renewals)
            .unwrap();
        assert!((got - 0.7 * 1.1 / 0.4).abs() < 1e-4);
    }
    // With heterogeneity, survivors are the loyal ones: DERL rises with tenure.
    let p = SbgParams::new(0.704, 1.182).unwrap();
    let derls: Vec<f64> = (0..10)
        .map(|n| p.discounted_expected_residual_lifetime(0.1, n).unwrap())
        .collect();
    assert!(derls.windows(2).all(|w| w[1] > w[0]));
    // A tiny discount rate still converges (slowly decaying terms, bounded tail).
    let slow = p.discounted_expected_residual_lifetime(1e-4, 0).unwrap();
    assert!(slow.is_finite() && slow > derls[0]);
}

#[test]
fn log_likelihood_matches_direct_formula() {
    let cohort = CohortSurvival::new(vec![1000, 631, 468, 382, 326, 289, 262, 241]).unwrap();
    let (a, b) = (0.704, 1.182);
    let s = cohort.survivors();
    let mut direct = 0.0;
    for t in 1..s.len() {
        let churn = survival_closed_form(a, b, t as u32 - 1) - survival_closed_form(a, b, t as u32);
        direct += (s[t - 1] - s[t]) as f64 * churn.ln();
    }
    direct += s[s.len() - 1] as f64 * survival_closed_form(a, b, 7).ln();
    let ll = SbgParams::new(a, b).unwrap().log_likelihood(&cohort);
    assert!((ll - direct).abs() < 1e-8);
}

#[test]
fn simulated_survivors_agree_with_projection() {
    let params = SbgParams::new(0.704, 1.182).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2007);
    let n = 20_000u64;
    let cohort = simulate_cohort(&params, n, 12, &mut rng).unwrap();
    let expected = params.expected_survivors(n, 12);
    for (t, (&got, &want)) in cohort.survivors().iter().zip(&expected).enumerate() {
        // Customers are independent, each alive at t with probability S(t).
        let s = want / n as f64;
        let sd = (n as f64 * s * (1.0 - s)).sqrt();
        assert!(
            (got as f64 - want).abs() <= 4.0 * sd + 1e-9,
            "t = {t}: {got} vs {want:.1}"
        );
    }
}

#[test]
fn derl_agrees_with_monte_carlo() {
    use rand::RngExt;
    use rand_distr::{Beta, Distribution};
    let (a, b, d) = (0.668, 3.806, 0.1);
    let params = SbgParams::new(a, b).unwrap();
    let beta = Beta::new(a, b).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2010);
    for renewals in [0u32, 3] {
        // Customers who made `renewals` renewals; value one at each later renewal, the
        // first undiscounted.
        let mut values = Vec::new();
        while values.len() < 100_000 {
            let theta: f64 = beta.sample(&mut rng);
            if (0..renewals).any(|_| rng.random::<f64>() < theta) {
                continue;
            }
            let (mut value, mut discount) = (0.0, 1.0);
            while rng.random::<f64>() >= theta {
                value += discount;
                discount /= 1.0 + d;
                if discount < 1e-12 {
                    break;
                }
            }
            values.push(value);
        }
        let m = values.len() as f64;
        let mean = values.iter().sum::<f64>() / m;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
        let derl = params
            .discounted_expected_residual_lifetime(d, renewals)
            .unwrap();
        assert!(
            (mean - derl).abs() < 4.0 * sd / m.sqrt(),
            "{renewals}: {mean} vs {derl}"
        );
    }
}

fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Fader & Hardie (2007), "How to project customer retention", Table 1 (years 0-7) and the
/// maximum-likelihood estimates reported in the paper.
#[test]
fn reproduces_published_fits() {
    let cases = [
        (
            "regular",
            vec![1000, 631, 468, 382, 326, 289, 262, 241],
            0.704,
            1.182,
            -1680.3,
        ),
        (
            "high end",
            vec![1000, 869, 743, 653, 593, 551, 517, 491],
            0.668,
            3.806,
            -1611.2,
        ),
    ];
    for (name, counts, alpha, beta, ll) in cases {
        let cohort = CohortSurvival::new(counts).unwrap();
        let fit = fit_sbg(&cohort).unwrap();
        assert!(fit.mle.report.converged, "{name}");
        assert_eq!(
            round_to(fit.params.alpha, 3),
            alpha,
            "{name}: {:?}",
            fit.params
        );
        assert_eq!(
            round_to(fit.params.beta, 3),
            beta,
            "{name}: {:?}",
            fit.params
        );
        assert_eq!(round_to(fit.mle.report.log_likelihood, 1), ll, "{name}");
        assert!((fit.params.log_likelihood(&cohort) - fit.mle.report.log_likelihood).abs() < 1e-9);
        let se = fit
            .mle
            .std_errors
            .clone()
            .expect("positive definite Hessian");
        assert!(se.iter().all(|s| s.is_finite() && *s > 0.0));
        // Projections of the fitted model are the Beta-function closed form.
        for t in 0..=20 {
            let exact = survival_closed_form(fit.params.alpha, fit.params.beta, t);
            assert!((fit.params.survival(t) / exact - 1.0).abs() < 1e-10);
        }
    }
}

/// Fits of seeded simulated cohorts recover the true parameters: each estimate within 4.5
/// standard errors, and the 95% Wald intervals cover the truth at about the nominal rate.
#[test]
fn recovers_parameters_from_simulation() {
    let truth = SbgParams::new(0.7, 1.2).unwrap();
    let runs = 60;
    let mut covered = [0usize; 2];
    for seed in 0..runs {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1000 + seed);
        let cohort = simulate_cohort(&truth, 5_000, 8, &mut rng).unwrap();
        let fit = fit_sbg(&cohort).unwrap();
        let se = fit.mle.std_errors.clone().unwrap();
        for (i, (est, true_value)) in [
            (fit.params.alpha, truth.alpha),
            (fit.params.beta, truth.beta),
        ]
        .into_iter()
        .enumerate()
        {
            let z = (est - true_value) / se[i];
            assert!(z.abs() < 4.5, "seed {seed}, parameter {i}: z = {z}");
            if z.abs() <= 1.96 {
                covered[i] += 1;
            }
        }
    }
    // Binomial(60, 0.95) falls below 50 with probability about 2e-4.
    assert!(
        covered.iter().all(|&c| c >= 50),
        "coverage {covered:?} of {runs}"
    );
}

#[test]
fn fit_errors_are_typed() {
    use crm_churn::SbgError;
    let none_lost = CohortSurvival::new(vec![50, 50]).unwrap();
    assert_eq!(
        fit_sbg(&none_lost).unwrap_err(),
        SbgError::NoChurn { periods: 1 }
    );
    // Only the mean churn rate is identified: a ridge, not a maximum.
    let all_lost = CohortSurvival::new(vec![50, 0, 0]).unwrap();
    assert_eq!(
        fit_sbg(&all_lost).unwrap_err(),
        SbgError::Unidentified {
            periods: 2,
            after_first: 0
        }
    );
    let one_period = CohortSurvival::new(vec![50, 20]).unwrap();
    assert!(matches!(
        fit_sbg(&one_period),
        Err(SbgError::Unidentified { periods: 1, .. })
    ));
    // Churn only in the first period and none after: the likelihood pushes the
    // heterogeneity to its limit; the result is a typed error or finite positive estimates.
    let early_only = CohortSurvival::new(vec![100, 60, 60, 60]).unwrap();
    match fit_sbg(&early_only) {
        Ok(fit) => assert!(fit.params.validate().is_ok()),
        Err(e) => assert!(matches!(e, SbgError::Fit(_)), "{e}"),
    }
}
