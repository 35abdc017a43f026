//! The shifted-beta-geometric (sBG) model of contract renewal (Fader & Hardie 2007, "How to
//! project customer retention", Journal of Interactive Marketing 21(1)).
//!
//! Each customer of a contractual business (a subscription) renews at the end of every
//! period with a constant probability `1 - θ` until they cancel; the churn probabilities θ
//! vary across customers as `Beta(α, β)`. The model is fitted from one cohort's survivor
//! counts per period and projects survival `S(t)`, the retention rate
//! `r(t) = S(t) / S(t-1) = (β + t - 1) / (α + β + t - 1)` (which rises with `t` because the
//! customers most prone to churn leave first) and the discounted expected residual lifetime
//! (DERL, Fader & Hardie 2010, "Customer-base valuation in a contractual setting").
//!
//! ```
//! use crm_churn::SbgParams;
//!
//! let params = SbgParams::new(0.704, 1.182)?;
//! assert!((params.survival(1) - 0.6268).abs() < 1e-4);
//! assert!(params.retention_rate(2) > params.retention_rate(1));
//! let derl = params.discounted_expected_residual_lifetime(0.10, 0)?;
//! assert!(derl > 0.0);
//! # Ok::<(), crm_churn::SbgError>(())
//! ```

use crate::fit::{
    FitError, FitOptions, LogLikelihood, MleFit, ParameterBounds, maximize_likelihood_within,
    too_few_customers,
};
use rand::Rng;
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

/// Bad sBG input, or a computation that cannot be carried out.
///
/// ```
/// use crm_churn::{CohortSurvival, SbgError, SbgParams, fit_sbg};
/// assert!(matches!(CohortSurvival::new(vec![100]), Err(SbgError::TooFewPeriods { len: 1 })));
/// assert!(matches!(
///     CohortSurvival::new(vec![100, 80, 90]),
///     Err(SbgError::IncreasingSurvivors { period: 2, previous: 80, current: 90 })
/// ));
/// // Nobody left: the churn rate cannot be estimated.
/// assert!(matches!(fit_sbg(&CohortSurvival::new(vec![100, 100, 100])?), Err(SbgError::NoChurn { .. })));
/// assert!(matches!(SbgParams::new(0.0, 1.0), Err(SbgError::InvalidParameter { name: "alpha", .. })));
/// # Ok::<(), SbgError>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SbgError {
    /// A model parameter is not finite and positive.
    #[error("parameter `{name}` must be finite and positive, got {value}")]
    InvalidParameter {
        /// `alpha` or `beta`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The survivor series has fewer than two entries (an initial size and one period).
    #[error(
        "a cohort needs its initial size and at least one period of survivors, got {len} entries"
    )]
    TooFewPeriods {
        /// Number of entries given.
        len: usize,
    },
    /// The cohort starts with no customers.
    #[error("the cohort's initial size (period 0) must be positive")]
    EmptyCohort,
    /// Survivors increase from one period to the next.
    #[error("survivors increase from {previous} in period {} to {current} in period {period}", period - 1)]
    IncreasingSurvivors {
        /// The period whose count exceeds the one before.
        period: usize,
        /// Survivors in the period before.
        previous: u64,
        /// Survivors in `period`.
        current: u64,
    },
    /// The discount rate is not a finite number at least 0.
    #[error("discount rate must be a finite number at least 0, got {value}")]
    InvalidDiscountRate {
        /// The value given.
        value: f64,
    },
    /// Without discounting, the expected lifetime is infinite when `alpha <= 1`.
    #[error(
        "with a discount rate of 0 the expected lifetime is infinite (alpha = {alpha} is at most 1); give a discount rate above 0"
    )]
    UnboundedLifetime {
        /// The fitted alpha.
        alpha: f64,
    },
    /// Nobody in the cohort churned, so the likelihood has no maximum (α → 0).
    #[error("no customer of the cohort churned in {periods} periods; the sBG fit needs churn")]
    NoChurn {
        /// Observed periods.
        periods: usize,
    },
    /// The counts identify only the mean churn probability, not α and β separately: one
    /// observed period, or everyone gone after the first period.
    #[error(
        "the sBG fit needs churn observed over at least two periods with survivors after the first; the cohort has {periods} period(s) and {after_first} survivor(s) after the first"
    )]
    Unidentified {
        /// Observed periods.
        periods: usize,
        /// Survivors after the first period.
        after_first: u64,
    },
    /// The maximum-likelihood fit failed (not converged, or a degenerate estimate). The
    /// message is the [`FitError`]'s alone: callers name the fit once, in their context.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// A joint comparison needs at least two cohorts.
    #[error("the test of same parameters needs at least two cohorts, got {cohorts}")]
    TooFewCohorts {
        /// Cohorts given.
        cohorts: usize,
    },
    /// One cohort of several cannot be fitted alone.
    #[error("cohort {index}: {source}")]
    Cohort {
        /// The cohort's position in the input (from 0).
        index: usize,
        /// Why it cannot be fitted.
        source: Box<SbgError>,
    },
    /// The series for a discounted lifetime did not reach its tolerance.
    #[error("the discounted lifetime series did not converge within {terms} terms")]
    SeriesNotConverged {
        /// Terms summed.
        terms: usize,
    },
}

fn check_param(name: &'static str, value: f64) -> Result<f64, SbgError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(SbgError::InvalidParameter { name, value })
    }
}

/// The parameters of the Beta distribution of per-period churn probabilities.
///
/// ```
/// use crm_churn::SbgParams;
/// let p = SbgParams::new(1.0, 3.0)?;
/// assert!((p.mean_churn_probability() - 0.25).abs() < 1e-15);
/// # Ok::<(), crm_churn::SbgError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SbgParams {
    /// Beta shape α (> 0).
    pub alpha: f64,
    /// Beta shape β (> 0).
    pub beta: f64,
}

/// Above this many periods, survival is computed from log-gamma functions instead of the
/// product of retention rates.
const PRODUCT_LIMIT: u32 = 4096;

impl SbgParams {
    /// Checked constructor: both shapes finite and positive.
    ///
    /// ```
    /// use crm_churn::{SbgError, SbgParams};
    /// assert!(matches!(SbgParams::new(0.0, 1.0), Err(SbgError::InvalidParameter { name: "alpha", .. })));
    /// ```
    pub fn new(alpha: f64, beta: f64) -> Result<Self, SbgError> {
        Ok(Self {
            alpha: check_param("alpha", alpha)?,
            beta: check_param("beta", beta)?,
        })
    }

    /// Re-checks deserialised parameters.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// assert!(SbgParams { alpha: f64::NAN, beta: 1.0 }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), SbgError> {
        Self::new(self.alpha, self.beta).map(|_| ())
    }

    /// Mean per-period churn probability of a new customer, `α / (α + β)`.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// assert_eq!(SbgParams::new(1.0, 1.0)?.mean_churn_probability(), 0.5);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn mean_churn_probability(&self) -> f64 {
        self.alpha / (self.alpha + self.beta)
    }

    /// Retention rate of period `t >= 1`: the share of customers alive at `t - 1` who renew,
    /// `(β + t - 1) / (α + β + t - 1)`. Returns `1 - α/(α+β)` for `t = 0` as well.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// let p = SbgParams::new(1.0, 1.0)?;
    /// assert_eq!(p.retention_rate(1), 0.5);
    /// assert_eq!(p.retention_rate(2), 2.0 / 3.0);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn retention_rate(&self, t: u32) -> f64 {
        let k = f64::from(t.max(1)) - 1.0;
        (self.beta + k) / (self.alpha + self.beta + k)
    }

    /// Survival `S(t)`: the share of a new cohort still customers after `t` periods,
    /// `B(α, β + t) / B(α, β)`; `S(0) = 1`.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// let p = SbgParams::new(1.0, 1.0)?;
    /// // With α = β = 1, S(t) = 1 / (t + 1).
    /// assert!((p.survival(3) - 0.25).abs() < 1e-15);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn survival(&self, t: u32) -> f64 {
        if t <= PRODUCT_LIMIT {
            (1..=t).map(|i| self.retention_rate(i)).product()
        } else {
            let (a, b, t) = (self.alpha, self.beta, f64::from(t));
            (ln_gamma(a + b) - ln_gamma(b) - ln_gamma_ratio(b + t, a)).exp()
        }
    }

    /// Probability that a new customer churns in period `t >= 1` (their lifetime is `t`
    /// periods): `S(t - 1) - S(t)`. Zero for `t = 0`.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// let p = SbgParams::new(2.0, 3.0)?;
    /// assert!((p.churn_probability(1) - 0.4).abs() < 1e-15);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn churn_probability(&self, t: u32) -> f64 {
        if t == 0 {
            return 0.0;
        }
        // P(T = t) = S(t - 1) * θ-share of period t, computed without cancellation.
        let k = f64::from(t) - 1.0;
        self.survival(t - 1) * self.alpha / (self.alpha + self.beta + k)
    }

    /// `S(0), S(1), ..., S(periods)`.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// let curve = SbgParams::new(1.0, 1.0)?.survival_curve(2);
    /// assert_eq!(curve.len(), 3);
    /// assert_eq!(curve[0], 1.0);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn survival_curve(&self, periods: u32) -> Vec<f64> {
        let mut out = Vec::with_capacity(periods as usize + 1);
        let mut s = 1.0;
        out.push(s);
        for t in 1..=periods {
            s *= self.retention_rate(t);
            out.push(s);
        }
        out
    }

    /// Expected survivors of a cohort of `size` new customers after `0..=periods` periods.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// let n = SbgParams::new(1.0, 1.0)?.expected_survivors(1000, 1);
    /// assert_eq!(n, vec![1000.0, 500.0]);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn expected_survivors(&self, size: u64, periods: u32) -> Vec<f64> {
        self.survival_curve(periods)
            .into_iter()
            .map(|s| s * size as f64)
            .collect()
    }

    /// Discounted expected residual lifetime (DERL) of a customer who has made `renewals`
    /// renewals (is in their period `n = renewals + 1`), evaluated just before their next
    /// renewal decision, in units of one per-period payment received at each renewal, the
    /// first one undiscounted:
    ///
    /// `DERL = Σ_{t ≥ n} S(t) / S(n-1) / (1+d)^{t-n}
    ///       = (β+n-1)/(α+β+n-1) · ₂F₁(1, β+n; α+β+n; 1/(1+d))`.
    ///
    /// Multiply by the margin per period for the expected residual value. `discount_rate` is
    /// per period and must be positive.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// // A nearly homogeneous base with churn 0.2 behaves like a geometric lifetime:
    /// // DERL = (1 - θ)(1 + d) / (d + θ).
    /// let p = SbgParams::new(2e6, 8e6)?;
    /// let derl = p.discounted_expected_residual_lifetime(0.1, 0)?;
    /// assert!((derl - 0.8 * 1.1 / 0.3).abs() < 1e-4);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn discounted_expected_residual_lifetime(
        &self,
        discount_rate: f64,
        renewals: u32,
    ) -> Result<f64, SbgError> {
        self.validate()?;
        if !(discount_rate.is_finite() && discount_rate >= 0.0) {
            return Err(SbgError::InvalidDiscountRate {
                value: discount_rate,
            });
        }
        let n = f64::from(renewals) + 1.0;
        let (a, b) = (self.alpha, self.beta);
        if discount_rate == 0.0 {
            // ₂F₁(1, β+n; α+β+n; 1) = (α+β+n-1)/(α-1) by Gauss's theorem when α > 1, and
            // the series diverges otherwise.
            return if a > 1.0 {
                Ok((b + n - 1.0) / (a - 1.0))
            } else {
                Err(SbgError::UnboundedLifetime { alpha: a })
            };
        }
        let z = 1.0 / (1.0 + discount_rate);
        // Series of ₂F₁(1, β+n; α+β+n; z): term_{k+1} / term_k = z (β+n+k)/(α+β+n+k) < z, so
        // the tail after a term is at most term · z / (1 - z) = term / d.
        let mut term = 1.0;
        let mut sum = 1.0;
        const MAX_TERMS: usize = 50_000_000;
        let mut k = 0.0;
        for _ in 0..MAX_TERMS {
            term *= z * (b + n + k) / (a + b + n + k);
            sum += term;
            k += 1.0;
            if term / discount_rate <= 1e-15 * sum {
                return Ok((b + n - 1.0) / (a + b + n - 1.0) * sum);
            }
        }
        Err(SbgError::SeriesNotConverged { terms: MAX_TERMS })
    }

    /// Discounted expected lifetime of a customer just acquired, counting the payment at
    /// acquisition (undiscounted): `DEL = Σ_{t ≥ 0} S(t) / (1+d)^t = 1 + DERL(d, 0) / (1+d)`.
    ///
    /// ```
    /// use crm_churn::SbgParams;
    /// let p = SbgParams::new(0.704, 1.182)?;
    /// let del = p.discounted_expected_lifetime(0.1)?;
    /// let derl = p.discounted_expected_residual_lifetime(0.1, 0)?;
    /// assert!((del - (1.0 + derl / 1.1)).abs() < 1e-12);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn discounted_expected_lifetime(&self, discount_rate: f64) -> Result<f64, SbgError> {
        let derl = self.discounted_expected_residual_lifetime(discount_rate, 0)?;
        Ok(1.0 + derl / (1.0 + discount_rate))
    }

    /// Log-likelihood of a cohort's survivor counts:
    /// `Σ_t (n_{t-1} - n_t) ln P(T = t) + n_last ln S(last)`.
    ///
    /// ```
    /// use crm_churn::{CohortSurvival, SbgParams};
    /// let cohort = CohortSurvival::new(vec![10, 5])?;
    /// let ll = SbgParams::new(1.0, 1.0)?.log_likelihood(&cohort);
    /// assert!((ll - 10.0 * 0.5f64.ln()).abs() < 1e-12);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn log_likelihood(&self, cohort: &CohortSurvival) -> f64 {
        log_likelihood_and_gradient(self.alpha, self.beta, cohort).0
    }
}

/// `ln Γ(x + a) - ln Γ(x)` for large `x` (here `x > 4096`) by the difference of Stirling
/// series, arranged to avoid the cancellation of subtracting two large log-gamma values.
fn ln_gamma_ratio(x: f64, a: f64) -> f64 {
    let y = x + a;
    // (y - 1/2) ln y - (x - 1/2) ln x - a, without cancellation.
    let main = (x - 0.5) * (a / x).ln_1p() + a * y.ln() - a;
    // Σ B_{2k} / (2k (2k-1) z^{2k-1}) differences, k = 1..3.
    let series = |z: f64| {
        let z2 = z * z;
        (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * z2)) / z2) / z
    };
    main + series(y) - series(x)
}

/// Log-likelihood and its gradient with respect to (α, β), by the recursions
/// `ln P(1) = ln α - ln(α+β)`, `ln P(t) = ln P(t-1) + ln(β+t-2) - ln(α+β+t-1)` and
/// `ln S(t) = ln S(t-1) + ln(β+t-1) - ln(α+β+t-1)`.
pub(crate) fn log_likelihood_and_gradient(
    alpha: f64,
    beta: f64,
    cohort: &CohortSurvival,
) -> (f64, [f64; 2]) {
    let (a, b) = (alpha, beta);
    let counts = &cohort.survivors;
    let mut ll = 0.0;
    let mut grad = [0.0; 2];
    // Running ln S(t-1) and its derivatives.
    let (mut ls, mut dsa, mut dsb) = (0.0, 0.0, 0.0);
    for t in 1..counts.len() {
        let k = (t - 1) as f64;
        let lost = (counts[t - 1] - counts[t]) as f64;
        // ln P(t) = ln S(t-1) + ln α - ln(α+β+t-1).
        let denom = a + b + k;
        if lost > 0.0 {
            ll += lost * (ls + a.ln() - denom.ln());
            grad[0] += lost * (dsa + 1.0 / a - 1.0 / denom);
            grad[1] += lost * (dsb - 1.0 / denom);
        }
        ls += (b + k).ln() - denom.ln();
        dsa -= 1.0 / denom;
        dsb += 1.0 / (b + k) - 1.0 / denom;
    }
    let alive = counts[counts.len() - 1] as f64;
    if alive > 0.0 {
        ll += alive * ls;
        grad[0] += alive * dsa;
        grad[1] += alive * dsb;
    }
    (ll, grad)
}

/// One cohort's survivor counts: `survivors[0]` customers acquired at period 0, of whom
/// `survivors[t]` are still customers after `t` renewal periods. Non-increasing, starting
/// positive, with at least one period.
///
/// ```
/// use crm_churn::{CohortSurvival, SbgError};
/// let c = CohortSurvival::new(vec![1000, 631, 468])?;
/// assert_eq!(c.periods(), 2);
/// assert!(matches!(CohortSurvival::new(vec![10, 11]), Err(SbgError::IncreasingSurvivors { period: 1, .. })));
/// # Ok::<(), SbgError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<u64>", into = "Vec<u64>")]
pub struct CohortSurvival {
    survivors: Vec<u64>,
}

impl CohortSurvival {
    /// Checked constructor.
    ///
    /// ```
    /// use crm_churn::{CohortSurvival, SbgError};
    /// assert_eq!(CohortSurvival::new(vec![0, 0]), Err(SbgError::EmptyCohort));
    /// ```
    pub fn new(survivors: Vec<u64>) -> Result<Self, SbgError> {
        if survivors.len() < 2 {
            return Err(SbgError::TooFewPeriods {
                len: survivors.len(),
            });
        }
        if survivors[0] == 0 {
            return Err(SbgError::EmptyCohort);
        }
        for period in 1..survivors.len() {
            if survivors[period] > survivors[period - 1] {
                return Err(SbgError::IncreasingSurvivors {
                    period,
                    previous: survivors[period - 1],
                    current: survivors[period],
                });
            }
        }
        Ok(Self { survivors })
    }

    /// The survivor counts, period 0 first.
    ///
    /// ```
    /// use crm_churn::CohortSurvival;
    /// assert_eq!(CohortSurvival::new(vec![3, 2])?.survivors(), &[3, 2]);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn survivors(&self) -> &[u64] {
        &self.survivors
    }

    /// Number of observed renewal periods (entries after period 0).
    ///
    /// ```
    /// use crm_churn::CohortSurvival;
    /// assert_eq!(CohortSurvival::new(vec![3, 2, 2])?.periods(), 2);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn periods(&self) -> usize {
        self.survivors.len() - 1
    }

    /// Observed retention rates `n_t / n_{t-1}` for `t = 1..=periods` (`None` once the
    /// cohort is empty).
    ///
    /// ```
    /// use crm_churn::CohortSurvival;
    /// let r = CohortSurvival::new(vec![10, 5, 0, 0])?.retention_rates();
    /// assert_eq!(r, vec![Some(0.5), Some(0.0), None]);
    /// # Ok::<(), crm_churn::SbgError>(())
    /// ```
    pub fn retention_rates(&self) -> Vec<Option<f64>> {
        self.survivors
            .windows(2)
            .map(|w| (w[0] > 0).then(|| w[1] as f64 / w[0] as f64))
            .collect()
    }
}

impl TryFrom<Vec<u64>> for CohortSurvival {
    type Error = SbgError;
    fn try_from(survivors: Vec<u64>) -> Result<Self, SbgError> {
        Self::new(survivors)
    }
}

impl From<CohortSurvival> for Vec<u64> {
    fn from(c: CohortSurvival) -> Self {
        c.survivors
    }
}

/// A fitted sBG model.
///
/// ```
/// use crm_churn::{fit_sbg, CohortSurvival};
/// let fit = fit_sbg(&CohortSurvival::new(vec![1000, 631, 468, 382, 326, 289, 262, 241])?)?;
/// assert!((fit.params.alpha - 0.704).abs() < 5e-4);
/// assert!(fit.mle.report.converged);
/// # Ok::<(), crm_churn::SbgError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SbgFit {
    /// The maximum-likelihood parameters.
    pub params: SbgParams,
    /// The estimate in the shared form: names `alpha`, `beta`, standard errors, fit report.
    pub mle: MleFit,
}

struct SbgLikelihood<'a>(&'a CohortSurvival);

impl LogLikelihood for SbgLikelihood<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        log_likelihood_and_gradient(p[0], p[1], self.0).0
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let (ll, g) = log_likelihood_and_gradient(p[0], p[1], self.0);
        grad.copy_from_slice(&g);
        ll
    }
}

/// Fits α and β by maximum likelihood to one cohort's survivor counts (analytic gradient,
/// L-BFGS over log-parameters, standard errors from the Hessian), within the default
/// [`ParameterBounds`]: a cohort whose members all churn at the same rate drives α and β
/// to the upper bound together, and the fit then carries [`FitWarning`](crate::FitWarning)s
/// naming them (see [`maximize_likelihood_within`](crate::maximize_likelihood_within)), as it
/// does for a cohort of fewer than 20 customers.
///
/// Errors: [`SbgError::NoChurn`] when nobody churned; [`SbgError::Unidentified`] with a
/// single period or nobody left after the first (only the mean churn rate is identified);
/// [`SbgError::Fit`] when the optimiser does not converge or an estimate degenerates.
///
/// ```
/// use crm_churn::{fit_sbg, CohortSurvival, SbgError};
/// let none_lost = CohortSurvival::new(vec![100, 100, 100])?;
/// assert!(matches!(fit_sbg(&none_lost), Err(SbgError::NoChurn { periods: 2 })));
/// # Ok::<(), SbgError>(())
/// ```
pub fn fit_sbg(cohort: &CohortSurvival) -> Result<SbgFit, SbgError> {
    fit_sbg_with(cohort, &FitOptions::default())
}

/// [`fit_sbg`] with explicit optimiser settings.
///
/// ```
/// use crm_churn::{FitMethod, FitOptions};
/// use crm_churn::{fit_sbg_with, CohortSurvival};
/// let options = FitOptions { method: FitMethod::NelderMead, ..FitOptions::default() };
/// let fit = fit_sbg_with(&CohortSurvival::new(vec![1000, 869, 743, 653, 593, 551, 517, 491])?, &options)?;
/// assert!((fit.params.beta - 3.806).abs() < 5e-4);
/// # Ok::<(), crm_churn::SbgError>(())
/// ```
pub fn fit_sbg_with(cohort: &CohortSurvival, options: &FitOptions) -> Result<SbgFit, SbgError> {
    let s = cohort.survivors();
    if s[0] == s[s.len() - 1] {
        return Err(SbgError::NoChurn {
            periods: cohort.periods(),
        });
    }
    if cohort.periods() < 2 || s[1] == 0 {
        return Err(SbgError::Unidentified {
            periods: cohort.periods(),
            after_first: s[1],
        });
    }
    let mut mle = maximize_likelihood_within(
        &SbgLikelihood(cohort),
        &["alpha", "beta"],
        &[1.0, 1.0],
        options,
        &ParameterBounds::default(),
    )?;
    mle.warnings.extend(too_few_customers(s[0] as f64, 2));
    let params = SbgParams::new(mle.params[0], mle.params[1])?;
    Ok(SbgFit { params, mle })
}

/// Simulates a cohort of `size` new customers for `periods` periods: each draws a churn
/// probability θ ~ Beta(α, β) and then renews each period with probability `1 - θ`.
/// Errors on invalid parameters, `size == 0` or `periods == 0`.
///
/// ```
/// use crm_churn::{simulate_cohort, SbgParams};
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let cohort = simulate_cohort(&SbgParams::new(1.0, 2.0)?, 500, 4, &mut rng)?;
/// assert_eq!(cohort.survivors()[0], 500);
/// assert_eq!(cohort.periods(), 4);
/// # Ok::<(), crm_churn::SbgError>(())
/// ```
pub fn simulate_cohort<R: Rng + ?Sized>(
    params: &SbgParams,
    size: u64,
    periods: u32,
    rng: &mut R,
) -> Result<CohortSurvival, SbgError> {
    params.validate()?;
    if size == 0 {
        return Err(SbgError::EmptyCohort);
    }
    if periods == 0 {
        return Err(SbgError::TooFewPeriods { len: 1 });
    }
    let theta = Beta::new(params.alpha, params.beta).map_err(|_| SbgError::InvalidParameter {
        name: "alpha",
        value: params.alpha,
    })?;
    let mut survivors = vec![0u64; periods as usize + 1];
    for _ in 0..size {
        let churn: f64 = theta.sample(rng);
        survivors[0] += 1;
        for slot in survivors.iter_mut().skip(1) {
            let u: f64 = rand::RngExt::random(rng);
            if u < churn {
                break;
            }
            *slot += 1;
        }
    }
    Ok(CohortSurvival { survivors })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survival_closed_form_alpha_beta_one() {
        // α = β = 1: θ uniform, S(t) = 1/(t+1), P(T = t) = 1/(t(t+1)).
        let p = SbgParams::new(1.0, 1.0).unwrap();
        for t in 0..50 {
            let tf = f64::from(t);
            assert!((p.survival(t) - 1.0 / (tf + 1.0)).abs() < 1e-14);
            if t > 0 {
                assert!((p.churn_probability(t) - 1.0 / (tf * (tf + 1.0))).abs() < 1e-14);
            }
        }
        // The log-gamma branch agrees with the closed form far out.
        let t = 1_000_000;
        assert!((p.survival(t) * 1_000_001.0 - 1.0).abs() < 1e-8);
    }

    #[test]
    fn stirling_ratio_matches_log_gamma() {
        for (x, a) in [(5000.0, 0.5), (1e5, 3.0), (4097.0, 40.0), (1e7, 1e-3)] {
            let direct = ln_gamma(x + a) - ln_gamma(x);
            let r = ln_gamma_ratio(x, a);
            // ln_gamma itself is only good to about 1e-15 relative of its (large) value.
            assert!(
                (r - direct).abs() < 1e-15 * ln_gamma(x + a).abs() * 8.0,
                "{x} {a}"
            );
        }
        // Exact: Γ(x + 1) / Γ(x) = x.
        assert!((ln_gamma_ratio(12345.0, 1.0) - 12345f64.ln()).abs() < 1e-14);
        assert!((ln_gamma_ratio(5000.5, 2.0) - (5000.5f64 * 5001.5).ln()).abs() < 1e-14);
    }

    #[test]
    fn branches_agree_at_the_limit() {
        let p = SbgParams::new(0.704, 1.182).unwrap();
        let product = p.survival(PRODUCT_LIMIT);
        let (a, b, t) = (p.alpha, p.beta, f64::from(PRODUCT_LIMIT));
        let stirling = (ln_gamma(a + b) - ln_gamma(b) - ln_gamma_ratio(b + t, a)).exp();
        assert!((product / stirling - 1.0).abs() < 1e-12);
        let next = p.survival(PRODUCT_LIMIT + 1);
        assert!((next / (product * p.retention_rate(PRODUCT_LIMIT + 1)) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let cohort = CohortSurvival::new(vec![1000, 631, 468, 382, 326, 289, 262, 241]).unwrap();
        let (a, b) = (0.8, 1.3);
        let (_, g) = log_likelihood_and_gradient(a, b, &cohort);
        let h = 1e-6;
        let fd_a = (log_likelihood_and_gradient(a + h, b, &cohort).0
            - log_likelihood_and_gradient(a - h, b, &cohort).0)
            / (2.0 * h);
        let fd_b = (log_likelihood_and_gradient(a, b + h, &cohort).0
            - log_likelihood_and_gradient(a, b - h, &cohort).0)
            / (2.0 * h);
        assert!(
            (g[0] - fd_a).abs() < 1e-4 * fd_a.abs().max(1.0),
            "{} {}",
            g[0],
            fd_a
        );
        assert!(
            (g[1] - fd_b).abs() < 1e-4 * fd_b.abs().max(1.0),
            "{} {}",
            g[1],
            fd_b
        );
    }

    #[test]
    fn bad_inputs() {
        assert!(matches!(
            SbgParams::new(1.0, f64::INFINITY),
            Err(SbgError::InvalidParameter { name: "beta", .. })
        ));
        assert_eq!(
            CohortSurvival::new(vec![5]),
            Err(SbgError::TooFewPeriods { len: 1 })
        );
        let p = SbgParams::new(1.0, 1.0).unwrap();
        assert!(matches!(
            p.discounted_expected_residual_lifetime(0.0, 0),
            Err(SbgError::UnboundedLifetime { .. })
        ));
        for d in [-0.1, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                p.discounted_expected_residual_lifetime(d, 0),
                Err(SbgError::InvalidDiscountRate { .. })
            ));
        }
        assert!(serde_json::from_str::<CohortSurvival>("[3, 4]").is_err());
        let c: CohortSurvival = serde_json::from_str("[4, 3]").unwrap();
        assert_eq!(c.survivors(), &[4, 3]);
    }

    #[test]
    fn undiscounted_residual_lifetime_is_the_limit_of_small_discount_rates() {
        // The geometric limit: (1 - θ)/θ renewals ahead with churn θ = 0.2.
        let geometric = SbgParams::new(2e6, 8e6).unwrap();
        let derl = geometric
            .discounted_expected_residual_lifetime(0.0, 0)
            .unwrap();
        assert!((derl - 4.0).abs() < 1e-4, "{derl}");
        // Heterogeneous: the series at d → 0 approaches Gauss's closed form.
        let p = SbgParams::new(3.5, 2.0).unwrap();
        for renewals in [0, 3] {
            let exact = p
                .discounted_expected_residual_lifetime(0.0, renewals)
                .unwrap();
            let near = p
                .discounted_expected_residual_lifetime(1e-7, renewals)
                .unwrap();
            assert!((exact - near).abs() < 1e-4 * exact, "{exact} vs {near}");
            // A direct sum of the survival ratios S(n+k)/S(n-1) for k ≥ 0 (renewal n).
            let (a, b) = (3.5f64, 2.0f64);
            let n = f64::from(renewals) + 1.0;
            let (mut ratio, mut sum) = (1.0f64, 0.0f64);
            for k in 0..2_000_000 {
                let k = f64::from(k);
                ratio *= (b + n - 1.0 + k) / (a + b + n - 1.0 + k);
                sum += ratio;
            }
            assert!((sum - exact).abs() < 1e-3 * exact, "{sum} vs {exact}");
        }
    }
}
