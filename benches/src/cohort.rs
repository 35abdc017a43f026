//! Customers simulated from the BG/NBD purchase model (Fader, Hardie & Lee 2005) with
//! Gamma-Gamma spend, summarised per customer as `lifetimes` expects:
//! `frequency` (repeat purchases), `recency` (time of the last repeat purchase, 0 without
//! one), `T` (time from the first purchase to the end of observation) and `monetary_value`
//! (mean value of the repeat purchases, 0 without one). Times are in weeks at a resolution
//! of one day.
//!
//! Each customer has a purchase rate λ ~ Gamma(r, 1/α) and a drop-out probability
//! p ~ Beta(a, b); purchases follow a Poisson process of rate λ, and after each repeat
//! purchase the customer leaves with probability p.
//!
//! ```
//! use crm_benches::cohort::{simulate, CohortSpec};
//! let customers = simulate(&CohortSpec::cdnow_like(1_000, 7));
//! assert_eq!(customers.len(), 1_000);
//! assert!(customers.iter().all(|c| c.recency <= c.t && (c.frequency == 0) == (c.recency == 0.0)));
//! ```

use std::io::{self, BufWriter, Write};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortSpec {
    /// Number of customers.
    pub customers: usize,
    /// The seed.
    pub seed: u64,
    /// BG/NBD `r`, `alpha` (per week), `a`, `b`.
    pub bgnbd: [f64; 4],
    /// Gamma-Gamma `p`, `q`, `gamma`.
    pub gamma_gamma: [f64; 3],
    /// Observation lengths `T` are drawn uniformly from this many days…
    pub min_days: u32,
    /// …to this many days (inclusive).
    pub max_days: u32,
}

impl CohortSpec {
    /// Parameters close to those published for the CDNOW cohort (BG/NBD r = 0.243,
    /// α = 4.414, a = 0.793, b = 2.426; Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44) with
    /// first purchases spread over 12 weeks before a 39-week horizon.
    pub fn cdnow_like(customers: usize, seed: u64) -> Self {
        Self {
            customers,
            seed,
            bgnbd: [0.243, 4.414, 0.793, 2.426],
            gamma_gamma: [6.25, 3.74, 15.44],
            min_days: 27 * 7,
            max_days: 39 * 7,
        }
    }
}

/// One customer's summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    /// Repeat purchases.
    pub frequency: u32,
    /// Weeks from the first to the last purchase.
    pub recency: f64,
    /// Weeks from the first purchase to the end of observation.
    pub t: f64,
    /// Mean value of the repeat purchases (0 without one).
    pub monetary_value: f64,
}

/// Simulates the customers of `spec`.
///
/// # Panics
/// If a parameter is not finite and positive or `min_days > max_days`.
pub fn simulate(spec: &CohortSpec) -> Vec<CustomerSummary> {
    let [r, alpha, a, b] = spec.bgnbd;
    let [p, q, gamma] = spec.gamma_gamma;
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let rate = Gamma::new(r, 1.0 / alpha).expect("valid r, alpha");
    let dropout = Beta::new(a, b).expect("valid a, b");
    let spend_rate = Gamma::new(q, 1.0 / gamma).expect("valid q, gamma");
    (0..spec.customers)
        .map(|_| {
            let days = rng.random_range(spec.min_days..=spec.max_days);
            let horizon = f64::from(days) / 7.0;
            let lambda: f64 = rate.sample(&mut rng);
            let p_drop: f64 = dropout.sample(&mut rng);
            let mut t = 0.0;
            let mut last_day = 0u32;
            let mut frequency = 0u32;
            let mut days_seen = Vec::new();
            if lambda > 0.0 {
                let gap = Exp::new(lambda).expect("positive rate");
                loop {
                    t += gap.sample(&mut rng);
                    if t > horizon {
                        break;
                    }
                    // One purchase per day at most, as in a daily summary.
                    let day = ((t * 7.0).floor() as u32).clamp(1, days);
                    if day > last_day {
                        frequency += 1;
                        last_day = day;
                        days_seen.push(day);
                    }
                    if rng.random::<f64>() < p_drop {
                        break;
                    }
                }
            }
            let monetary_value = if frequency == 0 {
                0.0
            } else {
                let nu: f64 = spend_rate.sample(&mut rng).max(f64::MIN_POSITIVE);
                let value = Gamma::new(p, 1.0 / nu).expect("valid p");
                (0..frequency).map(|_| value.sample(&mut rng)).sum::<f64>() / f64::from(frequency)
            };
            CustomerSummary {
                frequency,
                recency: f64::from(last_day) / 7.0,
                t: horizon,
                monetary_value,
            }
        })
        .collect()
}

/// The CSV header written by [`write_csv`].
pub const CSV_HEADER: &str = "frequency,recency,T,monetary_value";

/// Writes summaries as CSV ([`CSV_HEADER`]), every float in its shortest exact form.
pub fn write_csv(customers: &[CustomerSummary], out: impl Write) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "{CSV_HEADER}")?;
    for c in customers {
        writeln!(
            w,
            "{},{},{},{}",
            c.frequency, c.recency, c.t, c.monetary_value
        )?;
    }
    w.flush()
}

/// Reads summaries written by [`write_csv`] (or by the comparison script for CDNOW).
///
/// ```
/// use crm_benches::cohort::{read_csv, simulate, write_csv, CohortSpec};
/// let customers = simulate(&CohortSpec::cdnow_like(100, 1));
/// let mut file = Vec::new();
/// write_csv(&customers, &mut file)?;
/// assert_eq!(read_csv(&file[..])?, customers);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_csv(input: impl io::Read) -> Result<Vec<CustomerSummary>, Box<dyn std::error::Error>> {
    let text = io::read_to_string(input)?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(CSV_HEADER) {
        return Err(format!("line 1: expected the header {CSV_HEADER}").into());
    }
    lines
        .enumerate()
        .map(|(n, line)| {
            let f: Vec<&str> = line.split(',').collect();
            let bad = || format!("line {}: expected four numbers, found {line:?}", n + 2);
            if f.len() != 4 {
                return Err(bad().into());
            }
            let num = |s: &str| s.trim().parse::<f64>().map_err(|_| bad());
            let frequency = num(f[0])?;
            if frequency < 0.0 || frequency.fract() != 0.0 {
                return Err(bad().into());
            }
            Ok(CustomerSummary {
                frequency: frequency as u32,
                recency: num(f[1])?,
                t: num(f[2])?,
                monetary_value: num(f[3])?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_buyer_share_matches_the_model() {
        // With p = 0 nobody leaves: the share of customers with no repeat purchase over a
        // fixed horizon T is E[exp(-λT)] = (α / (α + T))^r.
        let spec = CohortSpec {
            customers: 200_000,
            seed: 3,
            bgnbd: [0.5, 4.0, 1e-9, 1e6],
            gamma_gamma: [6.0, 4.0, 15.0],
            min_days: 70,
            max_days: 70,
        };
        let customers = simulate(&spec);
        let zero = customers.iter().filter(|c| c.frequency == 0).count() as f64 / 200_000.0;
        let expected = (4.0f64 / 14.0).powf(0.5);
        assert!((zero - expected).abs() < 0.005, "{zero} vs {expected}");
    }

    #[test]
    fn mean_spend_matches_the_population_mean() {
        let customers = simulate(&CohortSpec::cdnow_like(200_000, 4));
        let spend: Vec<f64> = customers
            .iter()
            .filter(|c| c.frequency > 0)
            .map(|c| c.monetary_value)
            .collect();
        // E[z̄] = p γ / (q - 1) for every x.
        let mean = spend.iter().sum::<f64>() / spend.len() as f64;
        let expected = 6.25 * 15.44 / 2.74;
        assert!((mean / expected - 1.0).abs() < 0.03, "{mean} vs {expected}");
    }

    #[test]
    fn malformed_rows_are_named() {
        let err =
            read_csv(&b"frequency,recency,T,monetary_value\n1,2,3,4\n1.5,2,3,4\n"[..]).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}
