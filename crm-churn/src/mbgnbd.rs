//! MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD in which a customer may also drop
//! out right after the first purchase, so that `x = 0` customers are not certainly alive.
//!
//! Likelihood: `L = Γ(r+x) αʳ / Γ(r) · [B(a, b+x+1)/B(a, b) (α+T)^−(r+x)
//! + B(a+1, b+x)/B(a, b) (α+t_x)^−(r+x)]`, computed on the log scale with the analytic
//! gradient shared with [`bgnbd`](super::bgnbd).
//!
//! ```
//! use crm_churn::MbgNbdParams;
//! use crm_churn::CustomerHistory;
//! let m = MbgNbdParams::new(0.25, 4.4, 0.8, 2.4).unwrap();
//! let p = m.p_alive(&CustomerHistory::new(0, 0.0, 30.0).unwrap());
//! assert!(p < 1.0); // unlike BG/NBD
//! ```

use serde::{Deserialize, Serialize};

use super::bgnbd::{NAMES, NbdLikelihood, check_horizon, finite_prediction, fit_nbd, hyp_error};
use super::fit::{FitOptions, MleFit, validate_all_positive};
use super::hyp2f1::ln_hyp2f1;
use super::summary::{CustomerHistory, ModelError, WeightedHistories};

/// MBG/NBD parameters (same meaning as for BG/NBD).
///
/// ```
/// use crm_churn::{BgNbdParams, CustomerHistory, MbgNbdParams};
/// let h = CustomerHistory::new(0, 0.0, 30.0)?;
/// // A customer who never came back is certainly alive under BG/NBD, not under MBG/NBD.
/// assert_eq!(BgNbdParams::new(0.25, 4.4, 0.8, 2.4)?.p_alive(&h), 1.0);
/// assert!(MbgNbdParams::new(0.25, 4.4, 0.8, 2.4)?.p_alive(&h) < 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MbgNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Rate of the purchase-rate gamma.
    pub alpha: f64,
    /// First shape of the dropout beta.
    pub a: f64,
    /// Second shape of the dropout beta.
    pub b: f64,
}

/// A fitted MBG/NBD model (the same report as [`BgNbdFit`](crate::BgNbdFit)).
///
/// ```
/// use crm_churn::{FitOptions, MbgNbdParams, simulate_mbgnbd};
/// use rand::SeedableRng;
/// let truth = MbgNbdParams::new(0.8, 5.0, 1.4, 3.0)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(3);
/// let data = simulate_mbgnbd(&truth, &vec![52.0; 2000], 0.0, &mut rng)?.weighted()?;
/// let fit = MbgNbdParams::fit(&data, &FitOptions::default())?;
/// assert!(fit.mle.report.converged);
/// assert!((fit.mle.report.log_likelihood - fit.params.log_likelihood(&data)).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MbgNbdFit {
    /// The maximum-likelihood parameters.
    pub params: MbgNbdParams,
    /// Names, standard errors, covariance, report.
    pub mle: MleFit,
}

impl MbgNbdParams {
    /// Validated parameters, checked as [`BgNbdParams::new`](crate::BgNbdParams::new) checks
    /// them: a [`ModelError::Fit`] names the first that is not finite and strictly positive.
    ///
    /// ```
    /// use crm_churn::MbgNbdParams;
    /// assert!(MbgNbdParams::new(0.25, 4.4, 0.8, 2.4).is_ok());
    /// assert!(MbgNbdParams::new(0.25, f64::INFINITY, 0.8, 2.4).is_err());
    /// ```
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self, ModelError> {
        validate_all_positive(&NAMES, &[r, alpha, a, b])?;
        Ok(Self { r, alpha, a, b })
    }

    /// Maximum-likelihood fit (see [`BgNbdParams::fit`](super::bgnbd::BgNbdParams::fit)).
    ///
    /// # Errors
    /// [`ModelError::History`] when nobody bought again; [`ModelError::Fit`].
    ///
    /// ```
    /// use crm_churn::MbgNbdParams;
    /// use crm_churn::{CustomerHistory, WeightedHistories};
    /// let d = WeightedHistories::from_histories([CustomerHistory::new(0, 0.0, 5.0).unwrap()]).unwrap();
    /// assert!(MbgNbdParams::fit(&d, &Default::default()).is_err()); // no repeat buyers
    /// ```
    pub fn fit(data: &WeightedHistories, options: &FitOptions) -> Result<MbgNbdFit, ModelError> {
        let (mle, [r, alpha, a, b]) = fit_nbd(data, options, true)?;
        let params = Self::new(r, alpha, a, b)?;
        Ok(MbgNbdFit { params, mle })
    }

    /// Log-likelihood of `data`.
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, MbgNbdParams, WeightedHistories};
    /// let m = MbgNbdParams::new(0.5, 3.0, 1.2, 2.5)?;
    /// let d = WeightedHistories::from_histories([CustomerHistory::new(0, 0.0, 20.0)?])?;
    /// // x = 0: the customer left at once (a/(a+b)) or made no purchase in T (the rest).
    /// let (r, alpha, a, b, t) = (0.5, 3.0, 1.2, 2.5, 20.0f64);
    /// let expect = (b / (a + b) * (alpha / (alpha + t)).powf(r) + a / (a + b)).ln();
    /// assert!((m.log_likelihood(&d) - expect).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_likelihood(&self, data: &WeightedHistories) -> f64 {
        NbdLikelihood::new(data, true).evaluate(&[self.r, self.alpha, self.a, self.b], None)
    }

    /// `P(alive) = 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x))`.
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, MbgNbdParams};
    /// let m = MbgNbdParams::new(0.25, 4.4, 0.8, 2.4)?;
    /// // x = 0, T = 0: a/(b+0) · 1 = 1/3 → P(alive) = 3/4.
    /// assert!((m.p_alive(&CustomerHistory::new(0, 0.0, 0.0)?) - 0.75).abs() < 1e-12);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn p_alive(&self, h: &CustomerHistory) -> f64 {
        let xf = f64::from(h.x);
        let ratio = (self.alpha + h.t) / (self.alpha + h.t_x);
        1.0 / (1.0 + self.a / (self.b + xf) * ((self.r + xf) * ratio.ln()).exp())
    }

    /// [`p_alive`](Self::p_alive) for many customers into `out` (same length; extra entries
    /// of the longer slice are left alone).
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, MbgNbdParams};
    /// let m = MbgNbdParams::new(0.25, 4.4, 0.8, 2.4)?;
    /// let h = [CustomerHistory::new(1, 2.0, 30.0)?, CustomerHistory::new(1, 29.0, 30.0)?];
    /// let mut out = [0.0; 3];
    /// m.p_alive_batch(&h, &mut out);
    /// assert_eq!(out[1], m.p_alive(&h[1]));
    /// assert_eq!(out[2], 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn p_alive_batch(&self, histories: &[CustomerHistory], out: &mut [f64]) {
        for (o, h) in out.iter_mut().zip(histories) {
            *o = self.p_alive(h);
        }
    }

    /// Expected purchases in the next `t` of a customer with this history:
    /// `(a+b+x)/(a−1) [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive)`.
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`], [`ModelError::Unsupported`].
    ///
    /// ```
    /// use crm_churn::{CustomerHistory, MbgNbdParams};
    /// let m = MbgNbdParams::new(0.52, 6.18, 0.89, 1.61)?;
    /// let h = CustomerHistory::new(3, 30.0, 38.0)?;
    /// let (a, b) = (m.expected_purchases(&h, 10.0)?, m.expected_purchases(&h, 20.0)?);
    /// assert!(0.0 < a && a < b); // more purchases over a longer horizon
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases(&self, h: &CustomerHistory, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let Self { r, alpha, a, b } = *self;
        let xf = f64::from(h.x);
        let c = a + b + xf;
        let z = t / (alpha + h.t + t);
        let ln_f = ln_hyp2f1(r + xf, b + xf + 1.0, c, z)
            .ok_or_else(|| hyp_error(r + xf, b + xf + 1.0, c, z))?;
        let bracket = -((r + xf) * ((alpha + h.t) / (alpha + h.t + t)).ln() + ln_f).exp_m1();
        finite_prediction(c / (a - 1.0) * bracket * self.p_alive(h))
    }

    /// Expected purchases of a new customer in `t`:
    /// `b/(a−1) [1 − (α/(α+t))ʳ ₂F₁(r, b+1; a+b; t/(α+t))]`.
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`], [`ModelError::Unsupported`].
    ///
    /// ```
    /// use crm_churn::{BgNbdParams, MbgNbdParams};
    /// let (r, alpha, a, b) = (0.25, 4.4, 1.8, 2.4);
    /// let mbg = MbgNbdParams::new(r, alpha, a, b)?.expected_purchases_new_customer(39.0)?;
    /// let bg = BgNbdParams::new(r, alpha, a, b)?.expected_purchases_new_customer(39.0)?;
    /// assert!(mbg < bg); // a customer may also leave right after the first purchase
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let Self { r, alpha, a, b } = *self;
        let z = t / (alpha + t);
        let ln_f =
            ln_hyp2f1(r, b + 1.0, a + b, z).ok_or_else(|| hyp_error(r, b + 1.0, a + b, z))?;
        let bracket = -(r * (alpha / (alpha + t)).ln() + ln_f).exp_m1();
        finite_prediction(b / (a - 1.0) * bracket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::beta::ln_beta;
    use statrs::function::gamma::ln_gamma;

    #[test]
    fn likelihood_matches_the_published_formula() {
        let p = MbgNbdParams::new(0.5, 3.0, 1.2, 2.5).unwrap();
        let hs = [
            CustomerHistory::new(0, 0.0, 20.0).unwrap(),
            CustomerHistory::new(3, 12.0, 20.0).unwrap(),
        ];
        let d = WeightedHistories::from_histories(hs).unwrap();
        let direct: f64 = hs
            .iter()
            .map(|h| {
                let x = f64::from(h.x);
                let c = ln_gamma(p.r + x) - ln_gamma(p.r) + p.r * p.alpha.ln() - ln_beta(p.a, p.b);
                let t1 = ln_beta(p.a, p.b + x + 1.0) - (p.r + x) * (p.alpha + h.t).ln();
                let t2 = ln_beta(p.a + 1.0, p.b + x) - (p.r + x) * (p.alpha + h.t_x).ln();
                c + (t1.exp() + t2.exp()).ln()
            })
            .sum();
        assert!((p.log_likelihood(&d) - direct).abs() < 1e-10);
    }
}
