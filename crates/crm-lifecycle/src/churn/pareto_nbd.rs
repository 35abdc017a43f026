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
//! The gradient is taken by central differences (the derivatives of ₂F₁ in its parameters
//! have no convenient closed form).
//!
//! ```
//! use crm_lifecycle::churn::pareto_nbd::ParetoNbdParams;
//! use crm_lifecycle::churn::summary::CustomerHistory;
//! let m = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
//! let p = m.p_alive(&CustomerHistory::new(2, 30.43, 38.86).unwrap()).unwrap();
//! assert!(p > 0.0 && p < 1.0);
//! ```

use serde::{Deserialize, Serialize};

use super::bgnbd::{check_horizon, finite_prediction};
use super::fit::{FitOptions, LogLikelihood, MleFit, check_positive, maximize_likelihood};
use super::hyp2f1::ln_hyp2f1;
use super::summary::{CustomerHistory, ModelError, WeightedHistories};

const NAMES: [&str; 4] = ["r", "alpha", "s", "beta"];

/// Pareto/NBD parameters.
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

/// `ln(eᵘ + eᵛ)`.
fn ln_add_exp(u: f64, v: f64) -> f64 {
    let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

impl ParetoNbdParams {
    /// Validated parameters (finite, strictly positive).
    ///
    /// # Errors
    /// [`ModelError::Fit`] naming the bad parameter.
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self, ModelError> {
        for (n, v) in NAMES.iter().zip([r, alpha, s, beta]) {
            check_positive(n, v)?;
        }
        Ok(Self { r, alpha, s, beta })
    }

    /// `ln A₀` and the two log-terms of the likelihood bracket; `None` if ₂F₁ fails.
    /// Returns `(ln first_term, ln (s/(r+s+x) A₀))` without the common factor.
    fn log_terms(&self, h: &CustomerHistory) -> Option<(f64, f64)> {
        let Self { r, alpha, s, beta } = *self;
        let xf = f64::from(h.x);
        let a1 = r + s + xf;
        let (big, small, b1) = if alpha >= beta {
            (alpha, beta, s + 1.0)
        } else {
            (beta, alpha, r + xf)
        };
        let d = big - small;
        let at_tx = ln_hyp2f1(a1, b1, a1 + 1.0, d / (big + h.t_x))? - a1 * (big + h.t_x).ln();
        let at_t = ln_hyp2f1(a1, b1, a1 + 1.0, d / (big + h.t))? - a1 * (big + h.t).ln();
        let ln_a0 = ln_diff_exp(at_tx, at_t);
        let first = -(r + xf) * (alpha + h.t).ln() - s * (beta + h.t).ln();
        Some((first, (s / a1).ln() + ln_a0))
    }

    /// Log-likelihood of one history (common factor included); NaN when ₂F₁ fails.
    fn ln_l(&self, h: &CustomerHistory, ln_common_r: f64) -> f64 {
        match self.log_terms(h) {
            Some((first, second)) => ln_common_r + ln_add_exp(first, second),
            None => f64::NAN,
        }
    }

    /// Log-likelihood of `data`.
    ///
    /// ```
    /// use crm_lifecycle::churn::pareto_nbd::ParetoNbdParams;
    /// use crm_lifecycle::churn::summary::{CustomerHistory, WeightedHistories};
    /// let m = ParetoNbdParams::new(0.5, 10.0, 0.7, 12.0).unwrap();
    /// let d = WeightedHistories::from_histories([CustomerHistory::new(1, 5.0, 30.0).unwrap()]).unwrap();
    /// assert!(m.log_likelihood(&d).is_finite());
    /// ```
    pub fn log_likelihood(&self, data: &WeightedHistories) -> f64 {
        let Self { r, alpha, s, beta } = *self;
        let base = r * alpha.ln() + s * beta.ln();
        let mut ll = 0.0;
        let mut cur_x = u32::MAX;
        let mut lnr = 0.0;
        for row in data.rows() {
            let h = &row.history;
            if h.x != cur_x {
                cur_x = h.x;
                lnr = statrs::function::gamma::ln_gamma(r + f64::from(h.x))
                    - statrs::function::gamma::ln_gamma(r);
            }
            ll += row.weight * self.ln_l(h, base + lnr);
        }
        ll
    }

    /// Maximum-likelihood fit, starting from `r = s = 1`, `α = 1/mean rate`, `β = mean T`.
    ///
    /// # Errors
    /// [`ModelError::History`] when nobody bought again; [`ModelError::Fit`].
    pub fn fit(data: &WeightedHistories, options: &FitOptions) -> Result<ParetoNbdFit, ModelError> {
        data.require_repeat_buyers()?;
        let mean_t = data
            .rows()
            .iter()
            .map(|r| r.weight * r.history.t)
            .sum::<f64>()
            / data.total_weight();
        let start = [1.0, 1.0 / data.mean_rate().max(1e-12), 1.0, mean_t.max(1.0)];
        let mle = maximize_likelihood(&ParetoLikelihood(data), &NAMES, &start, options)?;
        let p = &mle.params;
        let params = Self::new(p[0], p[1], p[2], p[3])?;
        Ok(ParetoNbdFit { params, mle })
    }

    /// Probability of being alive at `T`: `1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A₀)`.
    ///
    /// # Errors
    /// [`ModelError::Unsupported`] when ₂F₁ cannot be evaluated.
    pub fn p_alive(&self, h: &CustomerHistory) -> Result<f64, ModelError> {
        let (first, second) = self.log_terms(h).ok_or_else(|| {
            ModelError::Unsupported("the hypergeometric function cannot be evaluated".into())
        })?;
        Ok(1.0 / (1.0 + (second - first).exp()))
    }

    /// Expected purchases in the next `t`:
    /// `(r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)` (the limit
    /// `ln((β+T+t)/(β+T))` at `s = 1`).
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`], [`ModelError::Unsupported`].
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
    /// use crm_lifecycle::churn::pareto_nbd::ParetoNbdParams;
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

struct ParetoLikelihood<'a>(&'a WeightedHistories);

impl LogLikelihood for ParetoLikelihood<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        if !p.iter().all(|v| v.is_finite() && *v > 0.0) {
            return f64::NAN;
        }
        ParetoNbdParams {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
        }
        .log_likelihood(self.0)
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
