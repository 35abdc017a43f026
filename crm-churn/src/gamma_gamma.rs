//! The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
//! Using iso-value curves for customer base analysis", Journal of Marketing Research 42(4)).
//!
//! A customer's transaction values are `Gamma(p, ν)` (shape `p`, rate `ν`) around their own
//! mean `p / ν`, and the rates ν vary across customers as `Gamma(q, γ)` (shape `q`, rate
//! `γ`). Spend is assumed independent of the purchase process. Given a customer's number of
//! repeat transactions `x` and their mean value `z̄`, the expected value of their future
//! transactions is a weighted average of the population mean and their own mean:
//!
//! `E(M | x, z̄) = p (γ + x z̄) / (p x + q - 1)
//!             = (q - 1)/(p x + q - 1) · p γ/(q - 1) + p x/(p x + q - 1) · z̄`.
//!
//! Spend values are statistical summaries here, so they are `f64`; convert exact amounts
//! with [`SpendObservation::from_decimal`].
//!
//! ```
//! use crm_churn::GammaGammaParams;
//!
//! let params = GammaGammaParams::new(6.25, 3.74, 15.44)?;
//! // A customer with 10 repeat purchases averaging 50 is expected to keep spending close
//! // to 50; the population mean is p γ / (q - 1) = 35.2.
//! let spend = params.conditional_expected_average_spend(10, 50.0)?;
//! assert!(spend > 45.0 && spend < 50.0);
//! assert!((params.population_mean_spend()? - 35.22).abs() < 0.01);
//! # Ok::<(), crm_churn::GammaGammaError>(())
//! ```

use crate::fit::{
    FitError, FitOptions, LogLikelihood, MleFit, ParameterBounds, maximize_likelihood_within,
    too_few_customers,
};
use rand::Rng;
use rand_distr::{Distribution, Gamma};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

/// Bad Gamma-Gamma input, or a quantity the parameters do not define.
///
/// ```
/// use crm_churn::{GammaGammaError, GammaGammaParams, fit_gamma_gamma};
/// assert!(matches!(GammaGammaParams::new(6.25, -1.0, 15.44), Err(GammaGammaError::InvalidParameter { name: "q", .. })));
/// assert!(matches!(fit_gamma_gamma(&[]), Err(GammaGammaError::Empty)));
/// // q <= 1: the population mean spend is infinite.
/// let heavy_tail = GammaGammaParams::new(6.25, 0.5, 15.44)?;
/// assert!(matches!(heavy_tail.population_mean_spend(), Err(GammaGammaError::UndefinedExpectation { .. })));
/// # Ok::<(), GammaGammaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GammaGammaError {
    /// A model parameter is not finite and positive.
    #[error("parameter `{name}` must be finite and positive, got {value}")]
    InvalidParameter {
        /// `p`, `q` or `gamma`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// A customer's mean spend is zero, negative, NaN or infinite.
    #[error("mean spend of row {row} must be finite and positive, got {value}")]
    NonPositiveSpend {
        /// Zero-based row (0 for single-customer calls).
        row: usize,
        /// The value given.
        value: f64,
    },
    /// A customer without repeat transactions was given to the fit.
    #[error(
        "row {row} has no repeat transactions (x = 0); the spend model is fitted on repeat buyers only"
    )]
    NoRepeatTransactions {
        /// Zero-based row.
        row: usize,
    },
    /// No rows to fit.
    #[error("no repeat buyers to fit the spend model on")]
    Empty,
    /// The maximum-likelihood fit failed (not converged, or a degenerate estimate). The
    /// message is the [`FitError`]'s alone: callers name the fit once, in their context.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// The expectation is infinite for these parameters (`p x + q <= 1`, or `q <= 1` for the
    /// population mean).
    #[error("expected spend is undefined: needs p·x + q > 1, got p·x + q = {value}")]
    UndefinedExpectation {
        /// The value of `p x + q`.
        value: f64,
    },
}

fn check_param(name: &'static str, value: f64) -> Result<f64, GammaGammaError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(GammaGammaError::InvalidParameter { name, value })
    }
}

/// One repeat buyer: number of repeat transactions and their mean value.
///
/// ```
/// use crm_churn::SpendObservation;
/// use rust_decimal::Decimal;
/// let obs = SpendObservation::from_decimal(3, Decimal::new(2_550, 2))?;
/// assert_eq!(obs.mean_spend, 25.5);
/// # Ok::<(), crm_churn::GammaGammaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpendObservation {
    /// Number of repeat transactions `x` (at least 1 for fitting).
    pub frequency: u32,
    /// Mean value `z̄` of those transactions (positive).
    pub mean_spend: f64,
}

impl SpendObservation {
    /// Builds an observation from an exact mean amount.
    ///
    /// ```
    /// use crm_churn::{GammaGammaError, SpendObservation};
    /// use rust_decimal::Decimal;
    /// assert!(matches!(
    ///     SpendObservation::from_decimal(2, Decimal::ZERO),
    ///     Err(GammaGammaError::NonPositiveSpend { .. })
    /// ));
    /// ```
    pub fn from_decimal(frequency: u32, mean_spend: Decimal) -> Result<Self, GammaGammaError> {
        let value = mean_spend.to_f64().unwrap_or(f64::NAN);
        if !(value.is_finite() && value > 0.0) {
            return Err(GammaGammaError::NonPositiveSpend { row: 0, value });
        }
        Ok(Self {
            frequency,
            mean_spend: value,
        })
    }
}

/// Gamma-Gamma parameters.
///
/// ```
/// use crm_churn::GammaGammaParams;
/// assert!(GammaGammaParams::new(1.0, 2.0, -3.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// Shape `p` of transaction values around a customer's mean.
    pub p: f64,
    /// Shape `q` of the rates ν across customers.
    pub q: f64,
    /// Rate `γ` of the rates ν across customers (`v` in the `lifetimes` library).
    pub gamma: f64,
}

impl GammaGammaParams {
    /// Checked constructor: all three finite and positive.
    ///
    /// ```
    /// use crm_churn::GammaGammaParams;
    /// let p = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// assert_eq!(p.q, 3.74);
    /// # Ok::<(), crm_churn::GammaGammaError>(())
    /// ```
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self, GammaGammaError> {
        Ok(Self {
            p: check_param("p", p)?,
            q: check_param("q", q)?,
            gamma: check_param("gamma", gamma)?,
        })
    }

    /// Re-checks deserialised parameters.
    ///
    /// ```
    /// use crm_churn::GammaGammaParams;
    /// assert!(GammaGammaParams { p: 1.0, q: 0.0, gamma: 1.0 }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), GammaGammaError> {
        Self::new(self.p, self.q, self.gamma).map(|_| ())
    }

    /// Mean transaction value of a random customer, `p γ / (q - 1)` (needs `q > 1`).
    ///
    /// ```
    /// use crm_churn::GammaGammaParams;
    /// assert_eq!(GammaGammaParams::new(2.0, 3.0, 10.0)?.population_mean_spend()?, 10.0);
    /// assert!(GammaGammaParams::new(2.0, 0.5, 10.0)?.population_mean_spend().is_err());
    /// # Ok::<(), crm_churn::GammaGammaError>(())
    /// ```
    pub fn population_mean_spend(&self) -> Result<f64, GammaGammaError> {
        self.validate()?;
        if self.q <= 1.0 {
            return Err(GammaGammaError::UndefinedExpectation { value: self.q });
        }
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// Expected value of a customer's future transactions given `frequency` repeat
    /// transactions with mean value `mean_spend`. With `frequency == 0` this is the population
    /// mean (and `mean_spend` is ignored).
    ///
    /// ```
    /// use crm_churn::GammaGammaParams;
    /// let p = GammaGammaParams::new(2.0, 3.0, 10.0)?;
    /// // x = 1: weights (q-1)/(px+q-1) = px/(px+q-1) = 1/2 on the population mean 10 and on 40.
    /// assert!((p.conditional_expected_average_spend(1, 40.0)? - 25.0).abs() < 1e-12);
    /// # Ok::<(), crm_churn::GammaGammaError>(())
    /// ```
    pub fn conditional_expected_average_spend(
        &self,
        frequency: u32,
        mean_spend: f64,
    ) -> Result<f64, GammaGammaError> {
        self.validate()?;
        if frequency == 0 {
            return self.population_mean_spend();
        }
        if !(mean_spend.is_finite() && mean_spend > 0.0) {
            return Err(GammaGammaError::NonPositiveSpend {
                row: 0,
                value: mean_spend,
            });
        }
        let px = self.p * f64::from(frequency);
        if px + self.q <= 1.0 {
            return Err(GammaGammaError::UndefinedExpectation { value: px + self.q });
        }
        Ok(self.p * (self.gamma + f64::from(frequency) * mean_spend) / (px + self.q - 1.0))
    }

    /// Log-likelihood of the observations (each the density of `z̄` given `x`).
    ///
    /// ```
    /// use crm_churn::{GammaGammaParams, SpendObservation};
    /// let obs = [SpendObservation { frequency: 2, mean_spend: 30.0 }];
    /// let ll = GammaGammaParams::new(6.0, 4.0, 15.0)?.log_likelihood(&obs)?;
    /// assert!(ll.is_finite() && ll < 0.0);
    /// # Ok::<(), crm_churn::GammaGammaError>(())
    /// ```
    pub fn log_likelihood(
        &self,
        observations: &[SpendObservation],
    ) -> Result<f64, GammaGammaError> {
        self.validate()?;
        let rows = WeightedSpend::from_observations(observations)?;
        Ok(log_likelihood_and_gradient(self.p, self.q, self.gamma, &rows).0)
    }
}

/// Distinct (x, z̄) rows with multiplicities, validated for fitting.
#[derive(Debug, Clone)]
pub(crate) struct WeightedSpend {
    /// (x, z̄, weight).
    pub(crate) rows: Vec<(f64, f64, f64)>,
}

impl WeightedSpend {
    pub(crate) fn from_observations(
        observations: &[SpendObservation],
    ) -> Result<Self, GammaGammaError> {
        if observations.is_empty() {
            return Err(GammaGammaError::Empty);
        }
        let mut keyed: Vec<(u32, u64)> = Vec::with_capacity(observations.len());
        for (row, o) in observations.iter().enumerate() {
            if o.frequency == 0 {
                return Err(GammaGammaError::NoRepeatTransactions { row });
            }
            if !(o.mean_spend.is_finite() && o.mean_spend > 0.0) {
                return Err(GammaGammaError::NonPositiveSpend {
                    row,
                    value: o.mean_spend,
                });
            }
            keyed.push((o.frequency, o.mean_spend.to_bits()));
        }
        keyed.sort_unstable();
        let mut rows: Vec<(f64, f64, f64)> = Vec::new();
        let mut last: Option<(u32, u64)> = None;
        for k in keyed {
            if last == Some(k) {
                if let Some(r) = rows.last_mut() {
                    r.2 += 1.0;
                }
            } else {
                rows.push((f64::from(k.0), f64::from_bits(k.1), 1.0));
                last = Some(k);
            }
        }
        Ok(Self { rows })
    }
}

/// Log-likelihood and gradient with respect to (p, q, γ):
/// `ln L = ln Γ(px+q) - ln Γ(px) - ln Γ(q) + q ln γ + (px-1) ln z̄ + px ln x - (px+q) ln(γ + x z̄)`.
pub(crate) fn log_likelihood_and_gradient(
    p: f64,
    q: f64,
    gamma: f64,
    data: &WeightedSpend,
) -> (f64, [f64; 3]) {
    let mut ll = 0.0;
    let mut g = [0.0; 3];
    let (lg_q, dg_q, ln_gamma_rate) = (ln_gamma(q), digamma(q), gamma.ln());
    for &(x, z, w) in &data.rows {
        let px = p * x;
        let (ln_z, ln_x, ln_s) = (z.ln(), x.ln(), (gamma + x * z).ln());
        let lg_pxq = ln_gamma(px + q);
        let dg_pxq = digamma(px + q);
        ll += w
            * (lg_pxq - ln_gamma(px) - lg_q + q * ln_gamma_rate + (px - 1.0) * ln_z + px * ln_x
                - (px + q) * ln_s);
        g[0] += w * x * (dg_pxq - digamma(px) + ln_z + ln_x - ln_s);
        g[1] += w * (dg_pxq - dg_q + ln_gamma_rate - ln_s);
        g[2] += w * (q / gamma - (px + q) / (gamma + x * z));
    }
    (ll, g)
}

/// A fitted Gamma-Gamma model.
///
/// ```
/// use crm_churn::{fit_gamma_gamma, simulate_spend, GammaGammaParams};
/// use rand::SeedableRng;
/// let truth = GammaGammaParams::new(6.0, 4.0, 15.0)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(3);
/// let frequencies: Vec<u32> = (0..2_000).map(|i| 1 + i % 5).collect();
/// let (obs, _) = simulate_spend(&truth, &frequencies, &mut rng)?;
/// let fit = fit_gamma_gamma(&obs)?;
/// assert!(fit.mle.report.converged);
/// assert!((fit.params.population_mean_spend()? / truth.population_mean_spend()? - 1.0).abs() < 0.1);
/// # Ok::<(), crm_churn::GammaGammaError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    /// The maximum-likelihood parameters.
    pub params: GammaGammaParams,
    /// The estimate in the shared form: names `p`, `q`, `gamma`, standard errors, fit report.
    pub mle: MleFit,
}

struct GammaGammaLikelihood(WeightedSpend);

impl LogLikelihood for GammaGammaLikelihood {
    fn dim(&self) -> usize {
        3
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        log_likelihood_and_gradient(p[0], p[1], p[2], &self.0).0
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let (ll, g) = log_likelihood_and_gradient(p[0], p[1], p[2], &self.0);
        grad.copy_from_slice(&g);
        ll
    }
}

/// Fits `p`, `q` and `γ` by maximum likelihood to repeat buyers (analytic gradient, L-BFGS
/// over log-parameters, standard errors from the Hessian). Identical rows are merged first.
/// The search stays within the default [`ParameterBounds`] (so `γ`, in the unit of spend,
/// should stay below 10⁶ of that unit); a parameter the data drive there — every customer
/// with the same mean spend, say — is held at the bound and named in the fit's
/// [`FitWarning`](crate::FitWarning)s (see
/// [`maximize_likelihood_within`](crate::maximize_likelihood_within)).
///
/// Errors: no rows, a row with `frequency == 0`, a non-positive or non-finite mean spend
/// (each naming the row), or a failed fit.
///
/// ```
/// use crm_churn::{fit_gamma_gamma, GammaGammaError, SpendObservation};
/// let obs = [SpendObservation { frequency: 2, mean_spend: -4.0 }];
/// assert!(matches!(fit_gamma_gamma(&obs), Err(GammaGammaError::NonPositiveSpend { row: 0, .. })));
/// ```
pub fn fit_gamma_gamma(
    observations: &[SpendObservation],
) -> Result<GammaGammaFit, GammaGammaError> {
    fit_gamma_gamma_with(observations, &FitOptions::default())
}

/// [`fit_gamma_gamma`] with explicit optimiser settings.
///
/// ```
/// use crm_churn::FitOptions;
/// use crm_churn::{fit_gamma_gamma_with, GammaGammaError};
/// assert_eq!(fit_gamma_gamma_with(&[], &FitOptions::default()), Err(GammaGammaError::Empty));
/// ```
pub fn fit_gamma_gamma_with(
    observations: &[SpendObservation],
    options: &FitOptions,
) -> Result<GammaGammaFit, GammaGammaError> {
    let data = WeightedSpend::from_observations(observations)?;
    // Start from a population whose mean spend p γ / (q - 1) is the sample mean.
    let (total, weight) = data
        .rows
        .iter()
        .fold((0.0, 0.0), |(t, n), &(_, z, w)| (t + z * w, n + w));
    let mean = total / weight;
    let initial = [1.0, 2.0, mean];
    let mut mle = maximize_likelihood_within(
        &GammaGammaLikelihood(data),
        &["p", "q", "gamma"],
        &initial,
        options,
        &ParameterBounds::default(),
    )?;
    mle.warnings.extend(too_few_customers(weight, 3));
    let params = GammaGammaParams::new(mle.params[0], mle.params[1], mle.params[2])?;
    Ok(GammaGammaFit { params, mle })
}

/// Simulates repeat buyers: for each entry of `frequencies`, a customer draws a rate
/// ν ~ Gamma(q, γ) and that many transaction values from Gamma(p, ν). Returns the
/// observations and each customer's true mean transaction value `p / ν`.
///
/// ```
/// use crm_churn::{simulate_spend, GammaGammaParams};
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let (obs, true_means) = simulate_spend(&GammaGammaParams::new(6.0, 4.0, 15.0)?, &[1, 2, 3], &mut rng)?;
/// assert_eq!(obs.len(), 3);
/// assert!(true_means.iter().all(|m| *m > 0.0));
/// # Ok::<(), crm_churn::GammaGammaError>(())
/// ```
pub fn simulate_spend<R: Rng + ?Sized>(
    params: &GammaGammaParams,
    frequencies: &[u32],
    rng: &mut R,
) -> Result<(Vec<SpendObservation>, Vec<f64>), GammaGammaError> {
    params.validate()?;
    let rate_dist = Gamma::new(params.q, 1.0 / params.gamma).map_err(|_| {
        GammaGammaError::InvalidParameter {
            name: "q",
            value: params.q,
        }
    })?;
    let mut observations = Vec::with_capacity(frequencies.len());
    let mut true_means = Vec::with_capacity(frequencies.len());
    for (row, &x) in frequencies.iter().enumerate() {
        if x == 0 {
            return Err(GammaGammaError::NoRepeatTransactions { row });
        }
        let nu: f64 = rate_dist.sample(rng).max(f64::MIN_POSITIVE);
        let value_dist =
            Gamma::new(params.p, 1.0 / nu).map_err(|_| GammaGammaError::InvalidParameter {
                name: "p",
                value: params.p,
            })?;
        let total: f64 = (0..x).map(|_| value_dist.sample(rng)).sum();
        observations.push(SpendObservation {
            frequency: x,
            mean_spend: total / f64::from(x),
        });
        true_means.push(params.p / nu);
    }
    Ok((observations, true_means))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let obs: Vec<SpendObservation> = [(1, 10.0), (2, 35.5), (5, 20.0), (1, 10.0), (9, 120.0)]
            .iter()
            .map(|&(frequency, mean_spend)| SpendObservation {
                frequency,
                mean_spend,
            })
            .collect();
        let data = WeightedSpend::from_observations(&obs).unwrap();
        assert_eq!(data.rows.len(), 4);
        let theta = [5.0, 3.5, 14.0];
        let (_, g) = log_likelihood_and_gradient(theta[0], theta[1], theta[2], &data);
        for i in 0..3 {
            let h = 1e-6 * theta[i];
            let mut up = theta;
            let mut dn = theta;
            up[i] += h;
            dn[i] -= h;
            let fd = (log_likelihood_and_gradient(up[0], up[1], up[2], &data).0
                - log_likelihood_and_gradient(dn[0], dn[1], dn[2], &data).0)
                / (2.0 * h);
            assert!(
                (g[i] - fd).abs() < 1e-5 * fd.abs().max(1.0),
                "{i}: {} vs {fd}",
                g[i]
            );
        }
    }

    #[test]
    fn density_integrates_to_one() {
        // The density of z̄ given x = 3 integrates to 1 (trapezoid on a log grid).
        let params = GammaGammaParams::new(6.0, 4.0, 15.0).unwrap();
        let (lo, hi, n) = (1e-3f64.ln(), 1e4f64.ln(), 200_000);
        let h = (hi - lo) / f64::from(n);
        let mut total = 0.0;
        for i in 0..=n {
            let u = lo + h * f64::from(i);
            let z = u.exp();
            let data = WeightedSpend {
                rows: vec![(3.0, z, 1.0)],
            };
            let f = log_likelihood_and_gradient(params.p, params.q, params.gamma, &data)
                .0
                .exp()
                * z;
            total += if i == 0 || i == n { 0.5 * f } else { f };
        }
        assert!((total * h - 1.0).abs() < 1e-6, "{}", total * h);
    }

    #[test]
    fn bad_inputs() {
        let params = GammaGammaParams::new(6.0, 4.0, 15.0).unwrap();
        for value in [0.0, -1.0, f64::NAN] {
            let obs = [
                SpendObservation {
                    frequency: 1,
                    mean_spend: 3.0,
                },
                SpendObservation {
                    frequency: 1,
                    mean_spend: value,
                },
            ];
            assert!(matches!(
                params.log_likelihood(&obs),
                Err(GammaGammaError::NonPositiveSpend { row: 1, .. })
            ));
            assert!(matches!(
                params.conditional_expected_average_spend(2, value),
                Err(GammaGammaError::NonPositiveSpend { .. })
            ));
        }
        assert_eq!(params.log_likelihood(&[]), Err(GammaGammaError::Empty));
        assert_eq!(
            params.log_likelihood(&[SpendObservation {
                frequency: 0,
                mean_spend: 1.0
            }]),
            Err(GammaGammaError::NoRepeatTransactions { row: 0 })
        );
        let small = GammaGammaParams::new(0.1, 0.5, 1.0).unwrap();
        assert!(matches!(
            small.conditional_expected_average_spend(1, 5.0),
            Err(GammaGammaError::UndefinedExpectation { .. })
        ));
    }
}
