//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").
//!
//! While active, a customer buys as a Poisson process with rate `λ ~ Gamma(r, α)` (shape `r`,
//! rate `α`); after each *repeat* purchase the customer drops out with probability
//! `p ~ Beta(a, b)`. For a customer with `x` repeat purchases, the last at `t_x`, observed for
//! `T`, the likelihood is (FHL 2005, eq. 6)
//!
//! `L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+T)^(r+x))
//!    + 1{x>0} B(a+1, b+x−1)/B(a, b) · Γ(r+x) αʳ / (Γ(r) (α+t_x)^(r+x))`,
//!
//! evaluated here on the log scale as `ln A + softplus(ln D)` with
//! `D = a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)`, so no term over- or underflows. The gradient is
//! analytic; per-`x` sums (`Σ ln(r+k)`, `Σ 1/(r+k)`, the beta-function ratios) are computed
//! once per distinct `x` per evaluation, so each weighted row costs two logarithms and one exponential.
//!
//! ```
//! use crm_churn::BgNbdParams;
//! use crm_churn::CustomerHistory;
//! // FHL (2005) CDNOW estimates, time in weeks.
//! let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
//! let h = CustomerHistory::new(2, 30.43, 38.86).unwrap();
//! let p = m.p_alive(&h);
//! assert!(p > 0.0 && p < 1.0);
//! assert!(m.expected_purchases(&h, 39.0).unwrap() > 0.0);
//! ```

use serde::{Deserialize, Serialize};

use super::fit::{
    FitOptions, LogLikelihood, MleFit, ParameterBounds, maximize_likelihood_within,
    too_few_customers, validate_all_positive,
};
use super::hyp2f1::ln_hyp2f1;
use super::summary::{CustomerHistory, ModelError, RisingSums, TimeIndex, WeightedHistories};

/// BG/NBD parameters: `r`, `alpha` (gamma purchase rate), `a`, `b` (beta dropout).
///
/// With `serde`, parameters read from a file are plain fields; check them with
/// [`BgNbdParams::new`]:
///
/// ```
/// use crm_churn::BgNbdParams;
/// let p: BgNbdParams = serde_json::from_str(r#"{"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}"#)?;
/// let p = BgNbdParams::new(p.r, p.alpha, p.a, p.b)?;
/// // The mean purchase rate of the active population is r / alpha per time unit.
/// assert!((p.r / p.alpha - 0.0551).abs() < 1e-4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Rate (inverse scale, in 1 / time unit) of the purchase-rate gamma.
    pub alpha: f64,
    /// First shape of the dropout beta.
    pub a: f64,
    /// Second shape of the dropout beta.
    pub b: f64,
}

/// A fitted BG/NBD model with its estimate and fit report.
///
/// ```
/// use crm_churn::{BgNbdParams, FitOptions, simulate_bgnbd};
/// use rand::SeedableRng;
/// let truth = BgNbdParams::new(0.5, 5.0, 0.8, 2.5)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(11);
/// let data = simulate_bgnbd(&truth, &vec![52.0; 2000], 0.0, &mut rng)?.weighted()?;
/// let fit = BgNbdParams::fit(&data, &FitOptions::default())?;
/// assert_eq!(fit.mle.names, ["r", "alpha", "a", "b"]);
/// assert_eq!(fit.mle.params, [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b]);
/// assert!(fit.mle.std_errors.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdFit {
    /// The maximum-likelihood parameters.
    pub params: BgNbdParams,
    /// Names, standard errors, covariance, report.
    pub mle: MleFit,
}

pub(crate) const NAMES: [&str; 4] = ["r", "alpha", "a", "b"];

impl BgNbdParams {
    /// Validated parameters (all finite and strictly positive).
    ///
    /// # Errors
    /// [`ModelError::Fit`] naming the bad parameter.
    ///
    /// ```
    /// use crm_churn::{BgNbdParams, FitError, ModelError};
    /// let err = BgNbdParams::new(0.243, 4.414, 0.0, 2.426).unwrap_err();
    /// assert!(matches!(err, ModelError::Fit(FitError::NonPositiveParameter { ref name, .. }) if name == "a"));
    /// ```
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self, ModelError> {
        validate_all_positive(&NAMES, &[r, alpha, a, b])?;
        Ok(Self { r, alpha, a, b })
    }

    /// Maximum-likelihood fit on compressed histories, starting from `r = 1`,
    /// `α = 1 / mean rate`, `a = b = 1`.
    ///
    /// # Errors
    /// [`ModelError::History`] with [`HistoryError::NoRepeatBuyers`](super::summary::HistoryError::NoRepeatBuyers)
    /// when nobody bought again; [`ModelError::Fit`] when the optimiser fails.
    ///
    /// ```
    /// use crm_churn::BgNbdParams;
    /// use crm_churn::FitOptions;
    /// use crm_churn::simulate_bgnbd;
    /// use rand::SeedableRng;
    /// let truth = BgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    /// let data = simulate_bgnbd(&truth, &vec![52.0; 3000], 0.0, &mut rng).unwrap();
    /// let fit = BgNbdParams::fit(&data.weighted().unwrap(), &FitOptions::default()).unwrap();
    /// assert!(fit.mle.report.converged);
    /// ```
    pub fn fit(data: &WeightedHistories, options: &FitOptions) -> Result<BgNbdFit, ModelError> {
        let (mle, [r, alpha, a, b]) = fit_nbd(data, options, false)?;
        let params = Self::new(r, alpha, a, b)?;
        Ok(BgNbdFit { params, mle })
    }

    /// Log-likelihood of `data` under these parameters.
    ///
    /// ```
    /// use crm_churn::BgNbdParams;
    /// use crm_churn::{CustomerHistory, WeightedHistories};
    /// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    /// let d = WeightedHistories::from_histories([CustomerHistory::new(0, 0.0, 38.0).unwrap()]).unwrap();
    /// // x = 0: L = B(a, b)/B(a, b) · (α/(α+T))^r
    /// let expect = 0.243 * (4.414f64 / 42.414).ln();
    /// assert!((m.log_likelihood(&d) - expect).abs() < 1e-12);
    /// ```
    pub fn log_likelihood(&self, data: &WeightedHistories) -> f64 {
        NbdLikelihood::new(data, false).evaluate(&self.as_array(), None)
    }

    fn as_array(&self) -> [f64; 4] {
        [self.r, self.alpha, self.a, self.b]
    }

    /// Probability that a customer with this history is still active at `T` (FHL 2005 eq. 13):
    /// `1 / (1 + 1{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x))`. Allocation-free; the history is
    /// assumed valid (see [`CustomerHistory::validate`]).
    ///
    /// ```
    /// use crm_churn::BgNbdParams;
    /// use crm_churn::CustomerHistory;
    /// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    /// assert_eq!(m.p_alive(&CustomerHistory::new(0, 0.0, 30.0).unwrap()), 1.0);
    /// ```
    #[inline]
    pub fn p_alive(&self, h: &CustomerHistory) -> f64 {
        if h.x == 0 {
            return 1.0;
        }
        let xf = f64::from(h.x);
        let ratio = (self.alpha + h.t) / (self.alpha + h.t_x);
        1.0 / (1.0 + self.a / (self.b + xf - 1.0) * ((self.r + xf) * ratio.ln()).exp())
    }

    /// [`p_alive`](Self::p_alive) for many customers into `out` (same length; extra entries
    /// of the longer slice are left alone).
    ///
    /// ```
    /// use crm_churn::BgNbdParams;
    /// use crm_churn::CustomerHistory;
    /// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    /// let h = [CustomerHistory::new(1, 2.0, 30.0).unwrap(), CustomerHistory::new(1, 29.0, 30.0).unwrap()];
    /// let mut out = [0.0; 2];
    /// m.p_alive_batch(&h, &mut out);
    /// assert!(out[0] < out[1]); // a recent buyer is more likely alive
    /// ```
    pub fn p_alive_batch(&self, histories: &[CustomerHistory], out: &mut [f64]) {
        for (o, h) in out.iter_mut().zip(histories) {
            *o = self.p_alive(h);
        }
    }

    /// Expected number of purchases in the next `t` time units of a customer with this history
    /// (FHL 2005 eq. 10).
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`] for a negative `t`; [`ModelError::Unsupported`] when the
    /// hypergeometric series cannot be evaluated (e.g. `a + b + x ≤ 1`, or `a = 1`).
    ///
    /// ```
    /// use crm_churn::{BgNbdParams, CustomerHistory, ModelError};
    /// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let recent = CustomerHistory::new(2, 30.43, 38.86)?;
    /// let lapsed = CustomerHistory::new(2, 5.0, 38.86)?;
    /// // Same purchases, but the lapsed customer's are long ago: fewer expected.
    /// assert!(m.expected_purchases(&lapsed, 39.0)? < m.expected_purchases(&recent, 39.0)?);
    /// assert_eq!(m.expected_purchases(&recent, 0.0)?, 0.0);
    /// assert!(matches!(m.expected_purchases(&recent, -1.0), Err(ModelError::BadHorizon(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases(&self, h: &CustomerHistory, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let Self { r, alpha, a, b } = *self;
        let xf = f64::from(h.x);
        let c = a + b + xf - 1.0;
        let z = t / (alpha + h.t + t);
        let ln_f =
            ln_hyp2f1(r + xf, b + xf, c, z).ok_or_else(|| hyp_error(r + xf, b + xf, c, z))?;
        let bracket = -((r + xf) * ((alpha + h.t) / (alpha + h.t + t)).ln() + ln_f).exp_m1();
        let value = c / (a - 1.0) * bracket * self.p_alive(h);
        finite_prediction(value)
    }

    /// Expected number of purchases of a new customer in `t` time units after the first
    /// (FHL 2005 eq. 9).
    ///
    /// # Errors
    /// As [`expected_purchases`](Self::expected_purchases).
    ///
    /// ```
    /// use crm_churn::BgNbdParams;
    /// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    /// let e = m.expected_purchases_new_customer(39.0).unwrap();
    /// assert!(e > 0.5 && e < 2.0);
    /// ```
    pub fn expected_purchases_new_customer(&self, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let Self { r, alpha, a, b } = *self;
        let c = a + b - 1.0;
        let z = t / (alpha + t);
        let ln_f = ln_hyp2f1(r, b, c, z).ok_or_else(|| hyp_error(r, b, c, z))?;
        let bracket = -(r * (alpha / (alpha + t)).ln() + ln_f).exp_m1();
        finite_prediction(c / (a - 1.0) * bracket)
    }
}

/// The maximum-likelihood fit of BG/NBD (`modified = false`) or MBG/NBD and its parameters
/// `[r, α, a, b]`, starting from `r = 1`, `α = 1 / mean rate`, `a = b = 1`, within the
/// default [`ParameterBounds`], with a warning for too few customers.
pub(crate) fn fit_nbd(
    data: &WeightedHistories,
    options: &FitOptions,
    modified: bool,
) -> Result<(MleFit, [f64; 4]), ModelError> {
    data.require_repeat_buyers()?;
    let start = [1.0, 1.0 / data.mean_rate().max(1e-12), 1.0, 1.0];
    let model = NbdLikelihood::new(data, modified);
    let mut mle =
        maximize_likelihood_within(&model, &NAMES, &start, options, &ParameterBounds::default())?;
    mle.warnings
        .extend(too_few_customers(data.total_weight(), NAMES.len()));
    let p = [mle.params[0], mle.params[1], mle.params[2], mle.params[3]];
    Ok((mle, p))
}

pub(crate) fn check_horizon(t: f64) -> Result<(), ModelError> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(ModelError::BadHorizon(t))
    }
}

pub(crate) fn hyp_error(a: f64, b: f64, c: f64, z: f64) -> ModelError {
    ModelError::Unsupported(format!(
        "the hypergeometric function 2F1({a}, {b}; {c}; {z}) cannot be evaluated for these parameters"
    ))
}

pub(crate) fn finite_prediction(v: f64) -> Result<f64, ModelError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ModelError::Unsupported(format!(
            "the prediction is not finite ({v}); a = 1 makes the expected purchases singular"
        )))
    }
}

/// The BG/NBD (`modified = false`) or MBG/NBD (`modified = true`) likelihood, with the
/// distinct times of the data indexed once for all evaluations.
pub(crate) struct NbdLikelihood<'a> {
    data: &'a WeightedHistories,
    modified: bool,
    index: TimeIndex,
}

impl<'a> NbdLikelihood<'a> {
    pub(crate) fn new(data: &'a WeightedHistories, modified: bool) -> Self {
        Self {
            data,
            modified,
            index: TimeIndex::new(data),
        }
    }

    /// Log-likelihood (and gradient w.r.t. `r, α, a, b`) at `p`.
    pub(crate) fn evaluate(&self, p: &[f64; 4], grad: Option<&mut [f64; 4]>) -> f64 {
        nbd_log_likelihood(self.data, &self.index, p, self.modified, grad)
    }
}

impl LogLikelihood for NbdLikelihood<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        self.evaluate(&[p[0], p[1], p[2], p[3]], None)
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let mut g = [0.0; 4];
        let ll = self.evaluate(&[p[0], p[1], p[2], p[3]], Some(&mut g));
        grad.copy_from_slice(&g);
        ll
    }
}

/// `ln(1 + eᵘ)` without overflow, and its derivative `eᵘ/(1 + eᵘ)`.
///
/// `ln(1 + e)` rather than `ln_1p(e)`: the absolute error is the same few ulps of 1 (which is
/// all a sum of log-likelihood terms keeps), and the plain logarithm is the cheaper of the two.
#[inline]
fn softplus(u: f64) -> (f64, f64) {
    if u > 0.0 {
        let e = (-u).exp();
        let one_e = 1.0 + e;
        (u + one_e.ln(), 1.0 / one_e)
    } else {
        let e = u.exp();
        let one_e = 1.0 + e;
        (one_e.ln(), e / one_e)
    }
}

/// The parts of the BG/NBD row terms that depend on `x` only.
struct PerX {
    x: u32,
    c: f64,
    ln_c: f64,
    inv_bx: f64,
    base: f64,
    base_r: f64,
    base_a: f64,
    base_b: f64,
}

/// The per-`x` parts of the row terms for each distinct `x` in `xs` (ascending) at
/// `p = [r, α, a, b]`: D's coefficient `a / (b + x − 1)` for BG (used for `x > 0` only) or
/// `a / (b + x)` for MBG, its log and `1/(b + x [− 1])`, and the parts of ℓ and of its
/// gradient that depend on `x` only (sums over `k < x` of `ln(r+k)`, `1/(r+k)` and the
/// beta-function ratios; MBG takes the beta ratios over `k ≤ x`). The work grows with the
/// number of distinct frequencies, not with the largest (see [`RisingSums`]).
fn per_x_terms(p: &[f64; 4], xs: &[u32], modified: bool) -> Vec<PerX> {
    let [r, alpha, a, b] = *p;
    let shift = u32::from(modified);
    // The gamma sums run over k < x and the beta sums over k < x + shift: two cursors.
    let mut gamma = RisingSums::gamma(r);
    let mut beta = RisingSums::gamma_beta(r, a, b);
    let ln_alpha = alpha.ln();
    let ln_a = a.ln();
    xs.iter()
        .map(|&x| {
            gamma.advance_to(x);
            beta.advance_to(x + shift);
            let xf = f64::from(x);
            let bx = if modified { b + xf } else { b + xf - 1.0 };
            let ln_c = ln_a - bx.ln();
            PerX {
                x,
                c: ln_c.exp(),
                ln_c,
                inv_bx: 1.0 / bx,
                base: gamma.ln_r + r * ln_alpha + beta.ln_beta,
                base_r: gamma.d_r + ln_alpha,
                base_a: beta.d_a,
                base_b: beta.d_b,
            }
        })
        .collect()
}

/// `(α+τ)^(r+x)` for every distinct `(x, τ)` pair of `index`, when no power or coefficient
/// can over- or underflow (exponents within ±600 and ±80); `None` otherwise.
///
/// `D = c ((α+T)/(α+t_x))^(r+x) = c (α+T)^(r+x) / (α+t_x)^(r+x)`: the powers depend on a
/// row only through `(x, τ)`, so they are taken once per distinct pair and each row needs
/// one logarithm, `ln(1 + D)`, instead of an exponential and a logarithm.
fn pair_powers(
    r: f64,
    per_x: &[PerX],
    ln_at: &[f64],
    index: &TimeIndex,
    modified: bool,
) -> Option<Vec<f64>> {
    let max_x = per_x.last().map_or(0, |k| k.x);
    let ln_span = ln_at
        .first()
        .map_or(0.0, |v| v.abs())
        .max(ln_at.last().map_or(0.0, |v| v.abs()));
    // ln c is monotone in x: its extremes are at the smallest and largest x with a D term
    // (BG: x > 0; MBG: every x). Without such rows no coefficient is used.
    let mut with_d = per_x.iter().filter(|k| modified || k.x > 0);
    let coefficients_fit = match (with_d.next(), per_x.last()) {
        (Some(first), Some(last)) => first.ln_c.abs() < 80.0 && last.ln_c.abs() < 80.0,
        _ => true,
    };
    let fits = (r + f64::from(max_x)) * ln_span < 600.0 && coefficients_fit;
    fits.then(|| {
        index
            .pairs
            .iter()
            .map(|&(x, j)| ((r + f64::from(x)) * ln_at[j as usize]).exp())
            .collect()
    })
}

/// Log-likelihood (and gradient w.r.t. `r, α, a, b`) of BG/NBD or MBG/NBD.
///
/// Per evaluation: per-`x` sums once per distinct `x`, `ln(α+τ)` and `1/(α+τ)` once per distinct time
/// `τ`, `(α+τ)^(r+x)` once per distinct `(x, τ)`; per row one logarithm (or, when a power
/// could overflow, an exponential and a logarithm).
fn nbd_log_likelihood(
    data: &WeightedHistories,
    index: &TimeIndex,
    p: &[f64; 4],
    modified: bool,
    grad: Option<&mut [f64; 4]>,
) -> f64 {
    let [r, alpha, a, _] = *p;
    if !p.iter().all(|v| v.is_finite() && *v > 0.0) {
        return f64::NAN;
    }
    let per_x = per_x_terms(p, &index.xs, modified);
    let ln_at: Vec<f64> = index.times.iter().map(|t| (alpha + t).ln()).collect();
    let inv_at: Vec<f64> = if grad.is_some() {
        index.times.iter().map(|t| 1.0 / (alpha + t)).collect()
    } else {
        Vec::new()
    };
    let powers = pair_powers(r, &per_x, &ln_at, index, modified);
    let want_grad = grad.is_some();
    let (mut ll, mut gr, mut gal, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((((row, &jt), &jx), &(ptx, pt)), &xi) in data
        .rows()
        .iter()
        .zip(&index.row_t)
        .zip(&index.row_tx)
        .zip(&index.row_pairs)
        .zip(&index.row_x)
    {
        let (jt, jx) = (jt as usize, jx as usize);
        let h = &row.history;
        let w = row.weight;
        let k = &per_x[xi as usize];
        let rx = r + f64::from(h.x);
        let lw = ln_at[jt];
        let has_d = modified || h.x > 0;
        let (sp, s, lv) = if !has_d {
            (0.0, 0.0, 0.0)
        } else if let Some(powers) = &powers {
            let d = k.c * powers[pt as usize] / powers[ptx as usize];
            let one_d = 1.0 + d;
            (one_d.ln(), d / one_d, ln_at[jx])
        } else {
            let lv = ln_at[jx];
            let (sp, s) = softplus(k.ln_c + rx * (lw - lv));
            (sp, s, lv)
        };
        ll += w * (k.base - rx * lw + sp);
        if want_grad {
            gr += w * (k.base_r - lw + s * (lw - lv));
            let inv_t = inv_at[jt];
            let inv_tx = inv_at[jx];
            gal += w * (r / alpha - rx * inv_t + s * rx * (inv_t - inv_tx));
            ga += w * (k.base_a + s / a);
            // Rows without the dropout term (BG, x = 0) add nothing through `inv_bx`, which
            // is infinite there when b = 1 (0 · ∞ would poison the gradient with NaN).
            let d_b = if has_d { s * k.inv_bx } else { 0.0 };
            gb += w * (k.base_b - d_b);
        }
    }
    if let Some(g) = grad {
        *g = [gr, gal, ga, gb];
    }
    ll
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::beta::ln_beta;
    use statrs::function::gamma::ln_gamma;

    /// FHL (2005) eq. 6 term by term, with the special functions of `statrs`.
    fn direct(p: &BgNbdParams, h: &CustomerHistory) -> f64 {
        let BgNbdParams { r, alpha, a, b } = *p;
        let x = f64::from(h.x);
        let common = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let t1 = ln_beta(a, b + x) - ln_beta(a, b) + common - (r + x) * (alpha + h.t).ln();
        let mut l = t1.exp();
        if h.x > 0 {
            let t2 = ln_beta(a + 1.0, b + x - 1.0) - ln_beta(a, b) + common
                - (r + x) * (alpha + h.t_x).ln();
            l += t2.exp();
        }
        l.ln()
    }

    fn sample() -> WeightedHistories {
        WeightedHistories::from_histories([
            CustomerHistory::new(0, 0.0, 38.86).unwrap(),
            CustomerHistory::new(2, 30.43, 38.86).unwrap(),
            CustomerHistory::new(1, 1.71, 38.86).unwrap(),
            CustomerHistory::new(7, 29.43, 31.0).unwrap(),
            CustomerHistory::new(0, 0.0, 38.86).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn likelihood_matches_the_published_formula() {
        let p = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let d = sample();
        let expect: f64 = d
            .rows()
            .iter()
            .map(|r| r.weight * direct(&p, &r.history))
            .sum();
        assert!((p.log_likelihood(&d) - expect).abs() < 1e-10);
    }

    /// Rows take the per-pair powers when no power can overflow and the per-row exponential
    /// otherwise (here forced by one customer with 700 repeat purchases): both agree.
    #[test]
    fn pair_powers_and_row_exponentials_agree() {
        let small = sample();
        let big = CustomerHistory::new(700, 38.0, 38.86).unwrap();
        let all =
            WeightedHistories::from_histories(small.rows().iter().map(|r| r.history).chain([big]))
                .unwrap();
        for modified in [false, true] {
            let p = [0.7, 3.0, 1.3, 2.2];
            let one = |h: CustomerHistory| {
                let d = WeightedHistories::from_histories([h]).unwrap();
                NbdLikelihood::new(&d, modified).evaluate(&p, None)
            };
            // Each row alone (the big one on the row path, the others on the pair path)…
            let separate: f64 = all.rows().iter().map(|r| r.weight * one(r.history)).sum();
            // …and together, all on the row path.
            let together = NbdLikelihood::new(&all, modified).evaluate(&p, None);
            assert!(
                (separate - together).abs() < 1e-10 * together.abs(),
                "{modified}: {separate} vs {together}"
            );
        }
    }

    #[test]
    fn analytic_gradient_matches_differences() {
        let d = sample();
        for modified in [false, true] {
            let p = [0.7, 3.0, 1.3, 2.2];
            let mut g = [0.0; 4];
            let m = NbdLikelihood::new(&d, modified);
            m.evaluate(&p, Some(&mut g));
            for i in 0..4 {
                let h = 1e-6 * p[i];
                let (mut up, mut dn) = (p, p);
                up[i] += h;
                dn[i] -= h;
                let num = (m.evaluate(&up, None) - m.evaluate(&dn, None)) / (2.0 * h);
                assert!(
                    (g[i] - num).abs() < 1e-6 * num.abs().max(1.0),
                    "{modified} {i}"
                );
            }
        }
    }

    #[test]
    fn p_alive_matches_ratio_of_likelihood_terms() {
        let p = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let h = CustomerHistory::new(2, 30.43, 38.86).unwrap();
        // P(alive) = first term / (first + second) of eq. 6.
        let (r, alpha, a, b, x) = (p.r, p.alpha, p.a, p.b, 2.0);
        let t1 = ln_beta(a, b + x) - (r + x) * (alpha + h.t).ln();
        let t2 = ln_beta(a + 1.0, b + x - 1.0) - (r + x) * (alpha + h.t_x).ln();
        let expect = 1.0 / (1.0 + (t2 - t1).exp());
        assert!((p.p_alive(&h) - expect).abs() < 1e-14);
    }

    #[test]
    fn bad_horizon_is_typed() {
        let p = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let h = CustomerHistory::new(0, 0.0, 1.0).unwrap();
        assert!(matches!(
            p.expected_purchases(&h, -1.0),
            Err(ModelError::BadHorizon(_))
        ));
        assert!(matches!(
            p.expected_purchases_new_customer(f64::NAN),
            Err(ModelError::BadHorizon(_))
        ));
    }
}
