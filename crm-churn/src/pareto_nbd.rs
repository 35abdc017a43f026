//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in the form of Fader & Hardie's note
//! "A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005).
//!
//! While alive a customer buys as a Poisson process with rate `λ ~ Gamma(r, α)`; the lifetime
//! is exponential with rate `μ ~ Gamma(s, β)`. The likelihood of `(x, t_x, T)` is
//!
//! `L = Γ(r+x) αʳ βˢ / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀ ]`
//!
//! with, for `α ≥ β`,
//! `A₀ = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+t_x)) / (α+t_x)^(r+s+x)
//!     − ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+T)) / (α+T)^(r+s+x)`
//! and, for `α < β`, the same with `α ↔ β` swapped in the argument and powers and `s+1`
//! replaced by `r+x`. All terms are combined on the log scale (`ln(e^u − e^v)` via `expm1`),
//! and the hypergeometric function comes from [`hyp2f1`](super::hyp2f1), which is exact
//! to a few ulps on the whole range `0 ≤ z < 1` these arguments take.
//!
//! The gradient is analytic: the derivatives of ₂F₁ in its parameters and argument are summed
//! term by term alongside its series
//! ([`ln_hyp2f1_with_derivatives`](super::hyp2f1::ln_hyp2f1_with_derivatives)). The terms
//! `G(x, τ) = ln ₂F₁(…; z(τ)) − (r+s+x) ln(max(α,β)+τ)` depend on a row only through `x` and
//! one time `τ` (`t_x` or `T`), so a fit evaluates them once per distinct `(x, τ)` pair (2,149
//! pairs for the 8,685 distinct rows of the 23,570-customer CDNOW cohort) and combines them
//! per row with a few exponentials.
//!
//! ```
//! use crm_churn::ParetoNbdParams;
//! use crm_churn::CustomerHistory;
//! let m = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
//! let p = m.p_alive(&CustomerHistory::new(2, 30.43, 38.86).unwrap()).unwrap();
//! assert!(p > 0.0 && p < 1.0);
//! ```

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

use super::bgnbd::{check_horizon, finite_prediction};
use super::fit::{
    FitOptions, LogLikelihood, MleFit, ParameterBounds, maximize_likelihood_within,
    too_few_customers, validate_all_positive,
};
use super::hyp2f1::{MAX_TERMS, ln_hyp2f1_with_derivatives_within, ln_hyp2f1_within};
use super::summary::{
    CustomerHistory, ModelError, RisingSums, TimeIndex, WeightedHistories, time_key,
};

const NAMES: [&str; 4] = ["r", "alpha", "s", "beta"];

/// Series terms a ₂F₁ of the likelihood may take before the parameter point counts as
/// unusable (NaN, so the optimiser steps back). Only points where `max(α,β)/min(α,β)` is in
/// the thousands with slowly decaying terms need more; fits that wander there (data with no
/// information on dropout) fail with a typed error in seconds rather than minutes. Scoring
/// ([`ParetoNbdParams::p_alive`]) allows the full [`MAX_TERMS`].
///
/// ```
/// use crm_churn::{HYP2F1_MAX_TERMS, PARETO_NBD_MAX_TERMS};
/// assert!(PARETO_NBD_MAX_TERMS < HYP2F1_MAX_TERMS);
/// ```
pub const LIKELIHOOD_MAX_TERMS: usize = 50_000;

/// Pareto/NBD parameters: purchase rate `λ ~ Gamma(r, α)` and dropout rate
/// `μ ~ Gamma(s, β)`.
///
/// ```
/// use crm_churn::{CustomerHistory, ParetoNbdParams};
/// // Schmittlein, Morrison & Colombo's CDNOW estimates, time in weeks.
/// let m = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67)?;
/// // The mean lifetime of a customer is beta / (s - 1) when s > 1; here it is infinite.
/// assert!(m.s < 1.0);
/// let p = m.p_alive(&CustomerHistory::new(0, 0.0, 38.86)?)?;
/// assert!(0.0 < p && p < 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Rate of the purchase-rate gamma.
    pub alpha: f64,
    /// Shape of the dropout-rate gamma.
    pub s: f64,
    /// Rate of the dropout-rate gamma.
    pub beta: f64,
}

/// A fitted Pareto/NBD model.
///
/// ```
/// use crm_churn::{FitOptions, ParetoNbdParams, simulate_pareto_nbd};
/// use rand::SeedableRng;
/// let truth = ParetoNbdParams::new(0.55, 10.6, 0.6, 11.7)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(5);
/// let data = simulate_pareto_nbd(&truth, &vec![52.0; 2000], 0.0, &mut rng)?.weighted()?;
/// let fit = ParetoNbdParams::fit(&data, &FitOptions::default())?;
/// assert_eq!(fit.mle.names, ["r", "alpha", "s", "beta"]);
/// assert!(fit.mle.report.converged);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdFit {
    /// The maximum-likelihood parameters.
    pub params: ParetoNbdParams,
    /// Names, standard errors, covariance, report.
    pub mle: MleFit,
}

/// `ln(eᵘ − eᵛ)` for `u ≥ v`; `−∞` when they are equal (or rounding made `v > u`).
fn ln_diff_exp(u: f64, v: f64) -> f64 {
    if v >= u {
        f64::NEG_INFINITY
    } else {
        u + (-(v - u).exp_m1()).ln()
    }
}

impl ParetoNbdParams {
    /// Validated parameters (finite, strictly positive).
    ///
    /// # Errors
    /// [`ModelError::Fit`] naming the bad parameter.
    ///
    /// ```
    /// use crm_churn::ParetoNbdParams;
    /// assert!(ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).is_ok());
    /// assert!(ParetoNbdParams::new(0.55, 10.58, -0.61, 11.67).is_err());
    /// ```
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self, ModelError> {
        validate_all_positive(&NAMES, &[r, alpha, s, beta])?;
        Ok(Self { r, alpha, s, beta })
    }

    /// `G(x, τ) = ln ₂F₁(r+s+x, b₁; r+s+x+1; z(τ)) − (r+s+x) ln(max(α,β)+τ)` (see the
    /// module documentation); `None` if ₂F₁ fails.
    fn g_term(&self, x: u32, tau: f64, max_terms: usize) -> Option<f64> {
        let (a1, b1, big, d) = self.g_arguments(x);
        let ln_f = ln_hyp2f1_within(a1, b1, a1 + 1.0, d / (big + tau), max_terms)?;
        Some(ln_f - a1 * (big + tau).ln())
    }

    /// `(r+s+x, b₁, max(α,β), |α−β|)`, with `b₁ = s+1` when `α ≥ β` and `r+x` otherwise.
    fn g_arguments(&self, x: u32) -> (f64, f64, f64, f64) {
        let Self { r, alpha, s, beta } = *self;
        let xf = f64::from(x);
        let a1 = r + s + xf;
        if alpha >= beta {
            (a1, s + 1.0, alpha, alpha - beta)
        } else {
            (a1, r + xf, beta, beta - alpha)
        }
    }

    /// [`g_term`](Self::g_term) and its gradient with respect to `(r, α, s, β)`.
    fn g_term_with_gradient(&self, x: u32, tau: f64) -> Option<(f64, [f64; 4])> {
        let (a1, b1, big, d) = self.g_arguments(x);
        let inv = 1.0 / (big + tau);
        let lb = (big + tau).ln();
        let z = d * inv;
        let [lf, fa, fb, fc, fz] =
            ln_hyp2f1_with_derivatives_within(a1, b1, a1 + 1.0, z, LIKELIHOOD_MAX_TERMS)?;
        // z = (big − small)/(big + τ): ∂z/∂big = (small + τ)/(big + τ)², ∂z/∂small = −1/(big + τ).
        let d_a1 = fa + fc - lb;
        let d_big = fz * (big - d + tau) * inv * inv - a1 * inv;
        let d_small = -fz * inv;
        let grad = if self.alpha >= self.beta {
            // b₁ = s + 1; big = α, small = β.
            [d_a1, d_big, d_a1 + fb, d_small]
        } else {
            // b₁ = r + x; big = β, small = α.
            [d_a1 + fb, d_small, d_a1, d_big]
        };
        Some((lf - a1 * lb, grad))
    }

    /// `ln A₀` and the two log-terms of the likelihood bracket; `None` if ₂F₁ fails.
    /// Returns `(ln first_term, ln (s/(r+s+x) A₀))` without the common factor.
    fn log_terms(&self, h: &CustomerHistory) -> Option<(f64, f64)> {
        let Self { r, alpha, s, beta } = *self;
        let xf = f64::from(h.x);
        let ln_a0 = ln_diff_exp(
            self.g_term(h.x, h.t_x, MAX_TERMS)?,
            self.g_term(h.x, h.t, MAX_TERMS)?,
        );
        let first = -(r + xf) * (alpha + h.t).ln() - s * (beta + h.t).ln();
        Some((first, (s / (r + s + xf)).ln() + ln_a0))
    }

    /// Log-likelihood of `data`.
    ///
    /// ```
    /// use crm_churn::ParetoNbdParams;
    /// use crm_churn::{CustomerHistory, WeightedHistories};
    /// let m = ParetoNbdParams::new(0.5, 10.0, 0.7, 12.0).unwrap();
    /// let d = WeightedHistories::from_histories([CustomerHistory::new(1, 5.0, 30.0).unwrap()]).unwrap();
    /// assert!(m.log_likelihood(&d).is_finite());
    /// ```
    pub fn log_likelihood(&self, data: &WeightedHistories) -> f64 {
        ParetoLikelihood::new(data).evaluate(self, None)
    }

    /// Maximum-likelihood fit, starting from `r = s = 1`, `α = 1/mean rate`, `β = mean T`.
    ///
    /// # Errors
    /// [`ModelError::History`] when nobody bought again; [`ModelError::Fit`].
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, HistoryError, ModelError, ParetoNbdParams, WeightedHistories};
    /// let once = WeightedHistories::from_histories([CustomerHistory::new(0, 0.0, 10.0)?])?;
    /// assert!(matches!(
    ///     ParetoNbdParams::fit(&once, &Default::default()),
    ///     Err(ModelError::History(HistoryError::NoRepeatBuyers))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(data: &WeightedHistories, options: &FitOptions) -> Result<ParetoNbdFit, ModelError> {
        data.require_repeat_buyers()?;
        let mean_t = data
            .rows()
            .iter()
            .map(|r| r.weight * r.history.t)
            .sum::<f64>()
            / data.total_weight();
        let start = [1.0, 1.0 / data.mean_rate().max(1e-12), 1.0, mean_t.max(1.0)];
        let mut mle = maximize_likelihood_within(
            &ParetoLikelihood::new(data),
            &NAMES,
            &start,
            options,
            &ParameterBounds::default(),
        )?;
        mle.warnings
            .extend(too_few_customers(data.total_weight(), NAMES.len()));
        let p = &mle.params;
        let params = Self::new(p[0], p[1], p[2], p[3])?;
        Ok(ParetoNbdFit { params, mle })
    }

    /// Probability of being alive at `T`: `1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A₀)`.
    ///
    /// # Errors
    /// [`ModelError::Unsupported`] when ₂F₁ cannot be evaluated.
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, ParetoNbdParams};
    /// let m = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67)?;
    /// // A purchase at the very end of the observation: certainly alive.
    /// let p = m.p_alive(&CustomerHistory::new(3, 38.86, 38.86)?)?;
    /// assert!((p - 1.0).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn p_alive(&self, h: &CustomerHistory) -> Result<f64, ModelError> {
        let (first, second) = self.log_terms(h).ok_or_else(|| {
            ModelError::Unsupported("the hypergeometric function cannot be evaluated".into())
        })?;
        Ok(1.0 / (1.0 + (second - first).exp()))
    }

    /// [`p_alive`](Self::p_alive) for many customers into `out` (same length; extra entries
    /// of the longer slice are left alone). The ₂F₁ terms depend on a customer only through
    /// `(x, t_x)` and `(x, T)`, which customers share: each distinct pair is evaluated once
    /// and remembered, so a cohort costs about as many series as it has distinct pairs.
    ///
    /// # Errors
    /// [`ModelError::Unsupported`] when ₂F₁ cannot be evaluated for some customer (entries
    /// before it are filled).
    ///
    /// ```
    /// use crm_churn::ParetoNbdParams;
    /// use crm_churn::CustomerHistory;
    /// let m = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
    /// let h = [CustomerHistory::new(2, 30.43, 38.86).unwrap(), CustomerHistory::new(2, 5.0, 38.86).unwrap()];
    /// let mut out = [0.0; 2];
    /// m.p_alive_batch(&h, &mut out).unwrap();
    /// assert_eq!(out[0], m.p_alive(&h[0]).unwrap());
    /// assert!(out[1] < out[0]); // the same purchases long ago: less likely alive
    /// ```
    pub fn p_alive_batch(
        &self,
        histories: &[CustomerHistory],
        out: &mut [f64],
    ) -> Result<(), ModelError> {
        let mut g_cache: FxHashMap<(u32, u64), f64> = FxHashMap::default();
        let mut g = |x: u32, tau: f64| -> Result<f64, ModelError> {
            if let Some(&v) = g_cache.get(&(x, time_key(tau))) {
                return Ok(v);
            }
            let v = self.g_term(x, tau, MAX_TERMS).ok_or_else(|| {
                ModelError::Unsupported("the hypergeometric function cannot be evaluated".into())
            })?;
            g_cache.insert((x, time_key(tau)), v);
            Ok(v)
        };
        let Self { r, alpha, s, beta } = *self;
        for (o, h) in out.iter_mut().zip(histories) {
            let xf = f64::from(h.x);
            let ln_a0 = ln_diff_exp(g(h.x, h.t_x)?, g(h.x, h.t)?);
            let first = -(r + xf) * (alpha + h.t).ln() - s * (beta + h.t).ln();
            let second = (s / (r + s + xf)).ln() + ln_a0;
            *o = 1.0 / (1.0 + (second - first).exp());
        }
        Ok(())
    }

    /// Expected purchases in the next `t`:
    /// `(r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)` (the limit
    /// `ln((β+T+t)/(β+T))` at `s = 1`).
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`], [`ModelError::Unsupported`].
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, ParetoNbdParams};
    /// let m = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67)?;
    /// let h = CustomerHistory::new(2, 30.43, 38.86)?;
    /// let next_year = m.expected_purchases(&h, 52.0)?;
    /// assert!(next_year > 0.0 && next_year < m.expected_purchases(&h, 104.0)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases(&self, h: &CustomerHistory, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        let Self { r, alpha, s, beta } = *self;
        let xf = f64::from(h.x);
        let growth = growth(s, (beta + h.t + t) / (beta + h.t));
        finite_prediction((r + xf) * (beta + h.t) / (alpha + h.t) * growth * self.p_alive(h)?)
    }

    /// Expected purchases of a new customer in `t`: `r β / (α (s−1)) [1 − (β/(β+t))^(s−1)]`.
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`].
    ///
    /// ```
    /// use crm_churn::ParetoNbdParams;
    /// let m = ParetoNbdParams::new(0.5, 10.0, 1.0, 12.0).unwrap();
    /// // s = 1: r β / α · ln((β + t)/β)
    /// let e = m.expected_purchases_new_customer(12.0).unwrap();
    /// assert!((e - 0.5 * 12.0 / 10.0 * 2f64.ln()).abs() < 1e-12);
    /// ```
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        let Self { r, alpha, s, beta } = *self;
        finite_prediction(r * beta / alpha * growth(s, (beta + t) / beta))
    }
}

/// `[1 − q^(−(s−1))] / (s−1)` with `q ≥ 1`, continuous at `s = 1` (value `ln q`).
fn growth(s: f64, q: f64) -> f64 {
    let l = q.ln();
    let e = s - 1.0;
    if e.abs() < 1e-10 {
        l
    } else {
        -(-e * l).exp_m1() / e
    }
}

/// `ln I` with `I = ∫_{t_x}^T (α+τ)^−(r+x) (β+τ)^−(s+1) dτ`, the dropout integral of the
/// likelihood (`s I = s/(r+s+x) A₀`); `−∞` when `t_x = T`, `None` when it cannot be
/// evaluated.
///
/// The ₂F₁ form first. When its series does not finish — `β` far above `α + τ`, where its
/// argument `(β−α)/(β+τ)` approaches 1 — and `β > α`, the integral is split in
/// `u = α + τ` at `u* = (β−α) / (4(s+1))`: below `u*` by the binomial series of
/// `(u + β − α)^−(s+1)` in `u / (β−α)`, whose terms then fall by at least a factor 4 and
/// alternate, integrated term by term; above `u*` by ₂F₁ again, whose argument is now at
/// most `1 / (1 + 1/(4(s+1)))`. So the likelihood stays finite on the way to the
/// no-dropout limit `β → ∞`.
fn ln_dropout_integral(p: &ParetoNbdParams, h: &CustomerHistory) -> Option<f64> {
    if h.t_x >= h.t {
        return Some(f64::NEG_INFINITY);
    }
    let a1 = p.r + p.s + f64::from(h.x);
    // ∫_τ^∞ … dτ = e^G(x, τ) / (r+s+x).
    let by_hyp = |from: f64, to: f64| -> Option<f64> {
        let u = p.g_term(h.x, from, LIKELIHOOD_MAX_TERMS)?;
        let v = p.g_term(h.x, to, LIKELIHOOD_MAX_TERMS)?;
        Some(ln_diff_exp(u, v) - a1.ln())
    };
    if let Some(v) = by_hyp(h.t_x, h.t) {
        return Some(v);
    }
    if p.beta <= p.alpha {
        return None;
    }
    let d = p.beta - p.alpha;
    let (u0, u1) = (p.alpha + h.t_x, p.alpha + h.t);
    let split = d / (4.0 * (p.s + 1.0));
    let m = p.r + f64::from(h.x);
    let v = if u1 <= split {
        ln_binomial_part(m, p.s, d, u0, u1)?
    } else if u0 >= split {
        // ₂F₁ failed above where its argument is no closer to 1: nothing to split.
        return None;
    } else {
        let below = ln_binomial_part(m, p.s, d, u0, split)?;
        let above = by_hyp(split - p.alpha, h.t)?;
        let (hi, lo) = if below >= above {
            (below, above)
        } else {
            (above, below)
        };
        hi + (lo - hi).exp().ln_1p()
    };
    v.is_finite().then_some(v)
}

/// `ln ∫_{u0}^{u1} u^−m (u + d)^−(s+1) du` for `0 < u0 < u1 ≤ d / (4(s+1))`, by the binomial
/// series `(u + d)^−(s+1) = d^−(s+1) Σₖ (−1)ᵏ (s+1)ₖ / k! (u/d)ᵏ` integrated term by term.
fn ln_binomial_part(m: f64, s: f64, d: f64, u0: f64, u1: f64) -> Option<f64> {
    let (ln_u0, ln_u1, ln_d) = (u0.ln(), u1.ln(), d.ln());
    let span = ln_u1 - ln_u0;
    // ln ∫_{u0}^{u1} u^(e−1) du, stable for every sign of e and continuous at e = 0.
    let ln_power_integral = |e: f64| -> f64 {
        let y = e * span;
        if y.abs() < 1e-12 {
            span.ln() + if e >= 0.0 { e * ln_u1 } else { e * ln_u0 }
        } else if e >= 0.0 {
            e * ln_u1 + (-(-y).exp_m1() / e).ln()
        } else {
            e * ln_u0 + (y.exp_m1() / e).ln()
        }
    };
    let ln_first = ln_power_integral(1.0 - m);
    let (mut sum, mut ln_coef) = (1.0, 0.0);
    for k in 1..200 {
        let kf = f64::from(k);
        ln_coef += ((s + kf) / kf).ln() - ln_d;
        let term = (ln_coef + ln_power_integral(kf + 1.0 - m) - ln_first).exp();
        sum += if k % 2 == 1 { -term } else { term };
        if term <= 1e-17 * sum {
            break;
        }
    }
    (sum > 0.0).then(|| -(s + 1.0) * ln_d + ln_first + sum.ln())
}

/// The Pareto/NBD likelihood over weighted rows, with the distinct times and the distinct
/// `(x, τ)` pairs of the data indexed once for all evaluations.
struct ParetoLikelihood<'a> {
    data: &'a WeightedHistories,
    index: TimeIndex,
}

impl<'a> ParetoLikelihood<'a> {
    fn new(data: &'a WeightedHistories) -> Self {
        Self {
            data,
            index: TimeIndex::new(data),
        }
    }

    /// Log-likelihood at `p`, and its gradient w.r.t. `(r, α, s, β)` into `grad` if given.
    ///
    /// The ₂F₁ series per distinct `(x, τ)` pair first; where one of them cannot be summed
    /// within [`LIKELIHOOD_MAX_TERMS`] (β far above α + τ, towards the no-dropout limit),
    /// the likelihood row by row with the dropout integral split (see
    /// [`ln_dropout_integral`]) and the gradient by central differences. NaN only when
    /// neither can be evaluated.
    fn evaluate(&self, p: &ParetoNbdParams, grad: Option<&mut [f64; 4]>) -> f64 {
        let mut g = [0.0; 4];
        let want_grad = grad.is_some();
        let value = self.evaluate_by_pairs(p, want_grad.then_some(&mut g));
        if value.is_nan() {
            return self.evaluate_by_rows(p, grad);
        }
        if let Some(out) = grad {
            *out = g;
        }
        value
    }

    /// The likelihood row by row (see [`evaluate`](Self::evaluate)) and, if asked, its
    /// gradient by central differences in the log-parameters.
    fn evaluate_by_rows(&self, p: &ParetoNbdParams, grad: Option<&mut [f64; 4]>) -> f64 {
        let value = self.by_rows(p);
        if let Some(out) = grad {
            let base = [p.r, p.alpha, p.s, p.beta];
            for i in 0..4 {
                let theta = base[i].ln();
                let h = 1e-6 * theta.abs().max(1.0);
                let at = |t: f64| {
                    let mut q = base;
                    q[i] = t.exp();
                    self.by_rows(&ParetoNbdParams {
                        r: q[0],
                        alpha: q[1],
                        s: q[2],
                        beta: q[3],
                    })
                };
                out[i] = (at(theta + h) - at(theta - h)) / (2.0 * h) / base[i];
            }
        }
        value
    }

    /// `ℓ` as a sum over rows of `ln C + ln((α+T)^−(r+x) (β+T)^−s + s I)` with `I` from
    /// [`ln_dropout_integral`]; NaN when a row cannot be evaluated.
    fn by_rows(&self, p: &ParetoNbdParams) -> f64 {
        let ParetoNbdParams { r, alpha, s, beta } = *p;
        let base = r * alpha.ln() + s * beta.ln() - ln_gamma(r);
        let mut ll = 0.0;
        for row in self.data.rows() {
            let h = &row.history;
            let m = r + f64::from(h.x);
            let first = -m * (alpha + h.t).ln() - s * (beta + h.t).ln();
            let Some(ln_i) = ln_dropout_integral(p, h) else {
                return f64::NAN;
            };
            let second = s.ln() + ln_i;
            let (hi, lo) = if first >= second {
                (first, second)
            } else {
                (second, first)
            };
            let bracket = hi + (lo - hi).exp().ln_1p();
            ll += row.weight * (base + ln_gamma(m) + bracket);
        }
        ll
    }

    /// Log-likelihood at `p` from the ₂F₁ terms per distinct `(x, τ)` pair, and its analytic
    /// gradient into `grad` if given; NaN when ₂F₁ cannot be evaluated somewhere.
    fn evaluate_by_pairs(&self, p: &ParetoNbdParams, grad: Option<&mut [f64; 4]>) -> f64 {
        let ParetoNbdParams { r, alpha, s, beta } = *p;
        let want_grad = grad.is_some();
        // G and ∂G per distinct (x, τ).
        let mut g = Vec::with_capacity(self.index.pairs.len());
        let mut dg = Vec::with_capacity(if want_grad { self.index.pairs.len() } else { 0 });
        for &(x, j) in &self.index.pairs {
            let tau = self.index.times[j as usize];
            if want_grad {
                let Some((v, d)) = p.g_term_with_gradient(x, tau) else {
                    return f64::NAN;
                };
                g.push(v);
                dg.push(d);
            } else {
                let v = p.g_term(x, tau, LIKELIHOOD_MAX_TERMS);
                let Some(v) = v else {
                    return f64::NAN;
                };
                g.push(v);
            }
        }
        // ln(α+τ), ln(β+τ) (and reciprocals) per distinct time.
        let times = &self.index.times;
        let ln_at: Vec<f64> = times.iter().map(|t| (alpha + t).ln()).collect();
        let ln_bt: Vec<f64> = times.iter().map(|t| (beta + t).ln()).collect();
        // ln Γ(r+x) − ln Γ(r) and its r-derivative Σ_{k<x} 1/(r+k), per x.
        let (inv_at, inv_bt): (Vec<f64>, Vec<f64>) = if want_grad {
            times
                .iter()
                .map(|t| (1.0 / (alpha + t), 1.0 / (beta + t)))
                .unzip()
        } else {
            (Vec::new(), Vec::new())
        };
        // Per x: ln Γ(r+x) − ln Γ(r), its r-derivative Σ_{k<x} 1/(r+k), ln(r+s+x), 1/(r+s+x).
        // Once per distinct x (see `RisingSums`), never once per k ≤ max x.
        let mut sums = RisingSums::gamma(r);
        let per_x: Vec<(f64, f64, f64, f64)> = self
            .index
            .xs
            .iter()
            .map(|&x| {
                sums.advance_to(x);
                let a1 = r + s + f64::from(x);
                (sums.ln_r, sums.d_r, a1.ln(), 1.0 / a1)
            })
            .collect();
        let (ln_alpha, ln_beta, ln_s) = (alpha.ln(), beta.ln(), s.ln());
        let base = r * ln_alpha + s * ln_beta;
        let mut ll = 0.0;
        let mut gsum = [0.0; 4];
        for (((row, &(ptx, pt)), &jt), &xi) in self
            .data
            .rows()
            .iter()
            .zip(&self.index.row_pairs)
            .zip(&self.index.row_t)
            .zip(&self.index.row_x)
        {
            let (ptx, pt, jt) = (ptx as usize, pt as usize, jt as usize);
            let x = xi as usize;
            let rx = r + f64::from(row.history.x);
            let (lnr, dr, ln_a1, inv_a1) = per_x[x];
            let (u, v) = (g[ptx], g[pt]);
            let first = -rx * ln_at[jt] - s * ln_bt[jt];
            // ln A₀ = ln(eᵘ − eᵛ) = u + ln(−expm1(v − u)); A₀ = 0 when t_x = T (no
            // unobserved time), and the bracket is the first term alone.
            let em = (v - u).exp_m1();
            let has_a0 = v < u;
            // ln(e^first + e^second) = hi + ln(1 + e^(lo − hi)); `share` is the weight of
            // the second term, e^second / (e^first + e^second).
            let (bracket, share) = if has_a0 {
                let second = ln_s - ln_a1 + u + (-em).ln();
                let (hi, lo) = if first >= second {
                    (first, second)
                } else {
                    (second, first)
                };
                let e = (lo - hi).exp();
                let one_e = 1.0 + e;
                let w_lo = e / one_e;
                (
                    hi + one_e.ln(),
                    if first >= second { w_lo } else { 1.0 - w_lo },
                )
            } else {
                (first, 0.0)
            };
            ll += row.weight * (base + lnr + bracket);
            if want_grad {
                let w2 = share;
                let w1 = 1.0 - w2;
                let d_first = [-ln_at[jt], -rx * inv_at[jt], -ln_bt[jt], -s * inv_bt[jt]];
                let mut d_second = [0.0; 4];
                if has_a0 {
                    // ∂ ln(eᵘ − eᵛ) = (∂u − q ∂v) / (1 − q), q = e^(v−u) = 1 + em.
                    let q = 1.0 + em;
                    let k = -1.0 / em;
                    let (du, dv) = (&dg[ptx], &dg[pt]);
                    for i in 0..4 {
                        d_second[i] = (du[i] - q * dv[i]) * k;
                    }
                    d_second[0] -= inv_a1;
                    d_second[2] += 1.0 / s - inv_a1;
                }
                let common = [dr + ln_alpha, r / alpha, ln_beta, s / beta];
                for i in 0..4 {
                    gsum[i] += row.weight * (common[i] + w1 * d_first[i] + w2 * d_second[i]);
                }
            }
        }
        if let Some(out) = grad {
            *out = gsum;
        }
        ll
    }
}

impl LogLikelihood for ParetoLikelihood<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        match ParetoNbdParams::new(p[0], p[1], p[2], p[3]) {
            Ok(params) => self.evaluate(&params, None),
            Err(_) => f64::NAN,
        }
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let Ok(params) = ParetoNbdParams::new(p[0], p[1], p[2], p[3]) else {
            grad.fill(f64::NAN);
            return f64::NAN;
        };
        let mut g = [0.0; 4];
        let ll = self.evaluate(&params, Some(&mut g));
        grad.copy_from_slice(&g);
        ll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The likelihood by direct quadrature of its defining integral over the dropout time:
    /// `L = C [ (α+T)^−(r+x)(β+T)^−s + s ∫_{t_x}^T (α+τ)^−(r+x) (β+τ)^−(s+1) dτ ]`.
    fn by_quadrature(p: &ParetoNbdParams, h: &CustomerHistory) -> f64 {
        let x = f64::from(h.x);
        let f = |tau: f64| (p.alpha + tau).powf(-(p.r + x)) * (p.beta + tau).powf(-(p.s + 1.0));
        let n = 20_000;
        let step = (h.t - h.t_x) / n as f64;
        // Simpson's rule.
        let mut sum = f(h.t_x) + f(h.t);
        for i in 1..n {
            let w = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += w * f(h.t_x + i as f64 * step);
        }
        let integral = sum * step / 3.0;
        let bracket = (p.alpha + h.t).powf(-(p.r + x)) * (p.beta + h.t).powf(-p.s) + p.s * integral;
        use statrs::function::gamma::ln_gamma;
        ln_gamma(p.r + x) - ln_gamma(p.r) + p.r * p.alpha.ln() + p.s * p.beta.ln() + bracket.ln()
    }

    /// The row-by-row likelihood (the fallback towards β → ∞) agrees with the ₂F₁ form
    /// where both work and with quadrature where only it does, and its split integral with
    /// the ₂F₁ form.
    #[test]
    fn row_likelihood_agrees_and_stays_finite_towards_no_dropout() {
        let rows = [
            CustomerHistory::new(0, 0.0, 38.86).unwrap(),
            CustomerHistory::new(2, 30.43, 38.86).unwrap(),
            CustomerHistory::new(3, 39.99, 40.0).unwrap(),
            CustomerHistory::new(14, 0.5, 70.0).unwrap(),
            CustomerHistory::new(5, 70.0, 70.0).unwrap(),
        ];
        let data = WeightedHistories::from_histories(rows).unwrap();
        let model = ParetoLikelihood::new(&data);
        for p in [
            ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap(),
            ParetoNbdParams::new(1.0, 4.0, 1.0, 900.0).unwrap(),
            ParetoNbdParams::new(2.0, 0.5, 3.0, 400.0).unwrap(),
        ] {
            let (a, b) = (model.evaluate_by_pairs(&p, None), model.by_rows(&p));
            assert!((a - b).abs() < 1e-10 * a.abs(), "{p:?}: {a} {b}");
        }
        for beta in [1e4, 1e5, 1e6] {
            for s in [1e-6, 0.5, 1.0, 5.0] {
                let p = ParetoNbdParams::new(0.49, 4.67, s, beta).unwrap();
                let ll = model.evaluate(&p, None);
                let direct: f64 = data
                    .rows()
                    .iter()
                    .map(|r| by_quadrature(&p, &r.history))
                    .sum();
                assert!(
                    (ll - direct).abs() < 1e-6 * direct.abs(),
                    "{p:?}: {ll} {direct}"
                );
                let mut g = [0.0; 4];
                assert_eq!(model.evaluate(&p, Some(&mut g)), ll);
                assert!(g.iter().all(|v| v.is_finite()), "{p:?}: {g:?}");
            }
        }
        // The split integral against ₂F₁ where the latter converges.
        let p = ParetoNbdParams::new(0.8, 2.0, 0.7, 150.0).unwrap();
        let mut checked = 0;
        for h in &rows {
            let (m, d) = (p.r + f64::from(h.x), p.beta - p.alpha);
            let split = d / (4.0 * (p.s + 1.0));
            let (u0, u1) = (p.alpha + h.t_x, p.alpha + h.t);
            if !(u0 < split && split < u1) {
                continue;
            }
            checked += 1;
            let below = ln_binomial_part(m, p.s, d, u0, split).unwrap();
            let a1 = p.r + p.s + f64::from(h.x);
            let g = |tau: f64| p.g_term(h.x, tau, MAX_TERMS).unwrap();
            let above = ln_diff_exp(g(split - p.alpha), g(h.t)) - a1.ln();
            let whole = ln_diff_exp(g(h.t_x), g(h.t)) - a1.ln();
            let split_sum = (below.exp() + above.exp()).ln();
            assert!(
                (split_sum - whole).abs() < 1e-12,
                "{h:?}: {split_sum} {whole}"
            );
        }
        assert_eq!(checked, 2);
    }

    #[test]
    fn likelihood_equals_quadrature_on_both_branches() {
        for p in [
            ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap(), // α < β
            ParetoNbdParams::new(1.3, 20.0, 0.4, 2.0).unwrap(),      // α > β, z near 0.9
            ParetoNbdParams::new(0.2, 50.0, 2.5, 0.5).unwrap(),      // z close to 1
            ParetoNbdParams::new(0.7, 3.0, 0.9, 3.0).unwrap(),       // α = β
        ] {
            for h in [
                CustomerHistory::new(0, 0.0, 38.86).unwrap(),
                CustomerHistory::new(2, 30.43, 38.86).unwrap(),
                CustomerHistory::new(14, 0.5, 70.0).unwrap(),
                CustomerHistory::new(40, 69.0, 70.0).unwrap(),
            ] {
                let d = WeightedHistories::from_histories([h]).unwrap();
                let ours = p.log_likelihood(&d);
                let q = by_quadrature(&p, &h);
                assert!(
                    (ours - q).abs() < 1e-8 * q.abs().max(1.0),
                    "{p:?} {h:?}: {ours} vs {q}"
                );
            }
        }
    }

    #[test]
    fn analytic_gradient_matches_differences() {
        let d = WeightedHistories::from_histories([
            CustomerHistory::new(0, 0.0, 38.86).unwrap(),
            CustomerHistory::new(2, 30.43, 38.86).unwrap(),
            CustomerHistory::new(1, 1.71, 38.86).unwrap(),
            CustomerHistory::new(7, 29.43, 31.0).unwrap(),
            CustomerHistory::new(3, 20.0, 20.0).unwrap(), // t_x = T: A₀ = 0
            CustomerHistory::new(14, 0.5, 70.0).unwrap(),
        ])
        .unwrap();
        let m = ParetoLikelihood::new(&d);
        // Both branches (α ≥ β and α < β) and z close to 1.
        for p in [
            [0.55, 10.58, 0.61, 11.67],
            [1.3, 20.0, 0.4, 2.0],
            [0.2, 50.0, 2.5, 0.5],
        ] {
            let mut g = [0.0; 4];
            let params = ParetoNbdParams::new(p[0], p[1], p[2], p[3]).unwrap();
            let ll = m.evaluate(&params, Some(&mut g));
            assert!((ll - m.log_likelihood(&p)).abs() < 1e-12 * ll.abs());
            for i in 0..4 {
                let h = 1e-6 * p[i];
                let (mut up, mut dn) = (p, p);
                up[i] += h;
                dn[i] -= h;
                let num = (m.log_likelihood(&up) - m.log_likelihood(&dn)) / (2.0 * h);
                assert!(
                    (g[i] - num).abs() < 1e-6 * num.abs().max(1.0),
                    "{p:?} d{i}: {} vs {num}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn batch_p_alive_equals_one_at_a_time() {
        let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
        let h: Vec<CustomerHistory> = (0..200u32)
            .map(|i| {
                let x = i % 7;
                let t = 20.0 + f64::from(i % 5);
                let t_x = if x == 0 {
                    0.0
                } else {
                    t * f64::from(i % 11 + 1) / 11.0
                };
                CustomerHistory::new(x, t_x, t).unwrap()
            })
            .collect();
        let mut out = vec![0.0; h.len()];
        p.p_alive_batch(&h, &mut out).unwrap();
        for (o, h) in out.iter().zip(&h) {
            assert_eq!(*o, p.p_alive(h).unwrap(), "{h:?}");
        }
    }

    #[test]
    fn p_alive_of_no_repeat_and_instant_recency() {
        let p = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
        // T = t_x: nothing unobserved, so alive for sure.
        let h = CustomerHistory::new(3, 20.0, 20.0).unwrap();
        assert!((p.p_alive(&h).unwrap() - 1.0).abs() < 1e-12);
        let young = p
            .p_alive(&CustomerHistory::new(0, 0.0, 1.0).unwrap())
            .unwrap();
        let old = p
            .p_alive(&CustomerHistory::new(0, 0.0, 100.0).unwrap())
            .unwrap();
        assert!(young > old);
    }
}
