//! Lifetime value against Monte Carlo: purchases from a known individual-level process,
//! values from the Gamma-Gamma simulator's distributions, discounted per period.

use crm_churn::BgNbdParams;
use crm_churn::GammaGammaParams;
use crm_churn::ParetoNbdParams;
use crm_churn::{ClvConfig, ClvCustomer, ExpectedPurchases, customer_lifetime_value};
use crm_churn::{ClvError, discounted_expected_purchases};
use crm_churn::{simulate_bgnbd, simulate_pareto_nbd};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Exp, Gamma};

/// Purchases at Poisson rate λ while alive; lifetime exponential with rate μ. For a customer
/// known to be alive now: E[N(t)] = λ/μ (1 - e^{-μt}).
struct AlivePoisson {
    lambda: f64,
    mu: f64,
}

impl ExpectedPurchases for AlivePoisson {
    type Error = std::convert::Infallible;
    fn expected_purchases(&self, t: f64, _: u32, _: f64, _: f64) -> Result<f64, Self::Error> {
        Ok(self.lambda / self.mu * -(-self.mu * t).exp_m1())
    }
}

#[test]
fn lifetime_value_agrees_with_simulation() {
    let (lambda, mu) = (0.3, 0.02);
    let model = AlivePoisson { lambda, mu };
    let spend = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let config = ClvConfig {
        horizon_periods: 12,
        period_length: 30.0 / 7.0,
        discount_rate: 0.01,
    };
    // A new customer (no repeat purchases): expected spend is the population mean.
    let customer = ClvCustomer {
        frequency: 0,
        recency: 0.0,
        age: 0.0,
        mean_spend: 0.0,
    };
    let value = customer_lifetime_value(&model, &spend, &customer, &config).unwrap();

    let mut rng = StdRng::seed_from_u64(2005);
    let lifetime = Exp::new(mu).unwrap();
    let gap = Exp::new(lambda).unwrap();
    let rate = Gamma::new(spend.q, 1.0 / spend.gamma).unwrap();
    let horizon = config.period_length * f64::from(config.horizon_periods);
    let n = 200_000;
    let mut totals = Vec::with_capacity(n);
    for _ in 0..n {
        let death: f64 = lifetime.sample(&mut rng);
        let nu: f64 = rate.sample(&mut rng);
        let value_dist = Gamma::new(spend.p, 1.0 / nu).unwrap();
        let mut t = 0.0;
        let mut total = 0.0;
        loop {
            t += gap.sample(&mut rng);
            if t > death.min(horizon) {
                break;
            }
            // A purchase in period k = ceil(t / L) is discounted by (1 + d)^k.
            let k = (t / config.period_length).ceil();
            let v: f64 = value_dist.sample(&mut rng);
            total += v / (1.0 + config.discount_rate).powf(k);
        }
        totals.push(total);
    }
    let m = n as f64;
    let mean = totals.iter().sum::<f64>() / m;
    let sd = (totals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
    let se = sd / m.sqrt();
    assert!(
        (mean - value.value).abs() < 4.0 * se,
        "simulated {mean} ± {se} vs CLV {}",
        value.value
    );
    // Sanity of the draw itself: not a vacuous comparison.
    assert!(value.value > 10.0 && se < 0.02 * value.value);
}

/// Discounted expected purchases of new customers under BG/NBD and Pareto/NBD against the
/// crate's seeded simulators: E[N(kL)] is estimated from an independent cohort for each k,
/// and the discounted sum Σ_k M_k (w_k − w_{k+1}) has variance Σ_k (w_k − w_{k+1})² Var(M_k).
#[test]
fn discounted_purchases_agree_with_simulated_cohorts() {
    let config = ClvConfig {
        horizon_periods: 6,
        period_length: 30.0 / 7.0,
        discount_rate: 0.01,
    };
    let bgnbd = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let pareto = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
    let n = 60_000;
    let ages = vec![0.0; n];
    for model in ["bgnbd", "pareto"] {
        let mut rng = StdRng::seed_from_u64(1997);
        let h = config.horizon_periods as usize;
        let w: Vec<f64> = (1..=h + 1)
            .map(|k| {
                if k > h {
                    0.0
                } else {
                    (1.0 + config.discount_rate).powi(-(k as i32))
                }
            })
            .collect();
        let (mut estimate, mut variance) = (0.0, 0.0);
        for k in 1..=h {
            let horizon = config.period_length * k as f64;
            let cohort = match model {
                "bgnbd" => simulate_bgnbd(&bgnbd, &ages, horizon, &mut rng).unwrap(),
                _ => simulate_pareto_nbd(&pareto, &ages, horizon, &mut rng).unwrap(),
            };
            let counts: Vec<f64> = cohort
                .customers
                .iter()
                .map(|c| f64::from(c.holdout_purchases))
                .collect();
            let mean = counts.iter().sum::<f64>() / n as f64;
            let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
            let coefficient = w[k - 1] - w[k];
            estimate += coefficient * mean;
            variance += coefficient * coefficient * var / n as f64;
        }
        let predicted = match model {
            "bgnbd" => discounted_expected_purchases(&bgnbd, 0, 0.0, 0.0, &config),
            _ => discounted_expected_purchases(&pareto, 0, 0.0, 0.0, &config),
        }
        .unwrap();
        let se = variance.sqrt();
        assert!(
            (estimate - predicted).abs() < 4.0 * se,
            "{model}: simulated {estimate} ± {se}, predicted {predicted}"
        );
        assert!(predicted > 0.1);
    }
}

#[test]
fn model_rejections_are_typed() {
    let bgnbd = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let spend = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    // x > 0 with t_x = 0 is not a valid history.
    let bad = ClvCustomer {
        frequency: 2,
        recency: 0.0,
        age: 10.0,
        mean_spend: 20.0,
    };
    let err = customer_lifetime_value(&bgnbd, &spend, &bad, &ClvConfig::default()).unwrap_err();
    assert!(matches!(err, ClvError::Purchases(_)), "{err}");
    // CDNOW customer 1 (x = 2, t_x = 30.43, T = 38.86 weeks, z̄ = 22.35): a finite, positive
    // value, below the undiscounted one.
    let customer = ClvCustomer {
        frequency: 2,
        recency: 30.43,
        age: 38.86,
        mean_spend: 22.35,
    };
    let weekly = ClvConfig {
        period_length: 30.0 / 7.0,
        ..ClvConfig::default()
    };
    let v = customer_lifetime_value(&bgnbd, &spend, &customer, &weekly).unwrap();
    let flat = ClvConfig {
        discount_rate: 0.0,
        ..weekly
    };
    let undiscounted = customer_lifetime_value(&bgnbd, &spend, &customer, &flat).unwrap();
    assert!(v.value > 0.0 && v.value < undiscounted.value);
    // Undiscounted, the per-period increments telescope to the model's own expectation.
    let horizon = weekly.period_length * 12.0;
    let total = ExpectedPurchases::expected_purchases(&bgnbd, horizon, 2, 30.43, 38.86).unwrap();
    assert!((undiscounted.discounted_expected_purchases - total).abs() < 1e-12);
}
