//! Lifetime value against Monte Carlo: purchases from a known individual-level process,
//! values from the Gamma-Gamma simulator's distributions, discounted per period.

use crm_lifecycle::churn::clv::{
    ClvConfig, ClvCustomer, ExpectedPurchases, customer_lifetime_value,
};
use crm_lifecycle::churn::gamma_gamma::GammaGammaParams;
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
