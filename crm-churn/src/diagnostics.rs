//! The fit diagnostics that users of the Python `lifetimes` library expect: the frequency
//! of repeat transactions in the calibration period, actual against model-expected
//! (`plot_period_transactions`), a chi-square goodness-of-fit test over those counts, and
//! calibration against holdout (`plot_calibration_purchases_vs_holdout_purchases`).
//!
//! The expected number of customers with `x` repeat purchases is `Σ_i P(X(T_i) = x)`, the
//! model's probability of `x` purchases in `(0, T_i]` summed over customers; it is
//! available for the models that have that probability ([`PurchaseCountModel`]).
//!
//! ```
//! use crm_churn::{BgNbdParams, CustomerHistory, goodness_of_fit, period_transactions};
//! let model = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
//! let histories: Vec<_> = (0..300u32)
//!     .map(|i| CustomerHistory::new(i % 3, if i % 3 == 0 { 0.0 } else { 20.0 }, 38.0))
//!     .collect::<Result<_, _>>()?;
//! let table = period_transactions(&model, &histories, 7)?;
//! assert_eq!(table.bins.len(), 8); // 0, 1, ..., 6 and 7 or more
//! let total: f64 = table.bins.iter().map(|b| b.expected).sum();
//! assert!((total - 300.0).abs() < 1e-6);
//! let test = goodness_of_fit(&table, 4)?;
//! assert!(test.p_value < 0.05); // made-up data, not from the model
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

use crate::bgnbd::BgNbdParams;
use crate::mbgnbd::MbgNbdParams;
use crate::pareto_nbd::ParetoNbdParams;
use crate::summary::{CustomerHistory, ModelError};

/// A purchase model with the probability of `x` purchases in `(0, t]` for a new customer
/// and the conditional expectation of purchases ahead.
pub trait PurchaseCountModel {
    /// Number of fitted parameters (the degrees of freedom a goodness-of-fit test loses).
    const PARAMETERS: usize;

    /// `P(X(t) = x)`: the probability that a customer makes `x` repeat purchases in the
    /// first `t` time units after the first purchase.
    ///
    /// # Errors
    /// [`ModelError::BadHorizon`] when `t` is negative or not finite.
    fn probability_of_purchases(&self, x: u32, t: f64) -> Result<f64, ModelError>;

    /// Expected purchases in the next `t` time units of a customer with history `h`.
    ///
    /// # Errors
    /// The model's own errors (a bad horizon, a series that does not converge).
    fn conditional_expected_purchases(
        &self,
        h: &CustomerHistory,
        t: f64,
    ) -> Result<f64, ModelError>;
}

fn check_horizon(t: f64) -> Result<(), ModelError> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(ModelError::BadHorizon(t))
    }
}

/// `ln` of the negative-binomial probabilities `P(N(t) = j)`, `j = 0..=x`, of a Poisson
/// count whose rate is `Gamma(r, α)`.
fn ln_nbd(r: f64, alpha: f64, t: f64, x: u32) -> Vec<f64> {
    let ln_p0 = r * (alpha / (alpha + t)).ln();
    let ln_q = (t / (alpha + t)).ln();
    let base = ln_gamma(r);
    (0..=x)
        .map(|j| {
            let j = f64::from(j);
            if j == 0.0 {
                ln_p0
            } else {
                ln_gamma(r + j) - base - ln_gamma(j + 1.0) + ln_p0 + j * ln_q
            }
        })
        .collect()
}

/// `P(N(t) ≥ x)` from the probabilities of `0..x`.
fn tail_from(ln_probs: &[f64], x: usize) -> f64 {
    let below: f64 = ln_probs[..x].iter().map(|l| l.exp()).sum();
    (1.0 - below).max(0.0)
}

impl PurchaseCountModel for BgNbdParams {
    const PARAMETERS: usize = 4;

    /// Fader, Hardie & Lee (2005), equation (8): `P(X(t) = x) = E[(1-p)^x] NB(x; t) +
    /// 1{x > 0} E[p (1-p)^{x-1}] P(N(t) ≥ x)`.
    ///
    /// ```
    /// use crm_churn::{BgNbdParams, PurchaseCountModel};
    /// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let total: f64 = (0..500).map(|x| m.probability_of_purchases(x, 39.0).unwrap()).sum();
    /// assert!((total - 1.0).abs() < 1e-6);
    /// # Ok::<(), crm_churn::ModelError>(())
    /// ```
    fn probability_of_purchases(&self, x: u32, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        let (a, b) = (self.a, self.b);
        let nb = ln_nbd(self.r, self.alpha, t, x);
        let xf = f64::from(x);
        let alive = (ln_beta(a, b + xf) - ln_beta(a, b) + nb[x as usize]).exp();
        if x == 0 {
            return Ok(alive);
        }
        let died = (ln_beta(a + 1.0, b + xf - 1.0) - ln_beta(a, b)).exp();
        Ok(alive + died * tail_from(&nb, x as usize))
    }

    fn conditional_expected_purchases(
        &self,
        h: &CustomerHistory,
        t: f64,
    ) -> Result<f64, ModelError> {
        self.expected_purchases(h, t)
    }
}

impl PurchaseCountModel for MbgNbdParams {
    const PARAMETERS: usize = 4;

    /// Batislam, Denizel & Filiztekin (2007): the customer may also leave at time 0, so
    /// `P(X(t) = x) = E[(1-p)^{x+1}] NB(x; t) + E[p (1-p)^x] P(N(t) ≥ x)`.
    ///
    /// ```
    /// use crm_churn::{MbgNbdParams, PurchaseCountModel};
    /// let m = MbgNbdParams::new(0.525, 6.183, 0.891, 1.614)?;
    /// let total: f64 = (0..500).map(|x| m.probability_of_purchases(x, 39.0).unwrap()).sum();
    /// assert!((total - 1.0).abs() < 1e-6);
    /// # Ok::<(), crm_churn::ModelError>(())
    /// ```
    fn probability_of_purchases(&self, x: u32, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        let (a, b) = (self.a, self.b);
        let nb = ln_nbd(self.r, self.alpha, t, x);
        let xf = f64::from(x);
        let alive = (ln_beta(a, b + xf + 1.0) - ln_beta(a, b) + nb[x as usize]).exp();
        let died = (ln_beta(a + 1.0, b + xf) - ln_beta(a, b)).exp();
        Ok(alive + died * tail_from(&nb, x as usize))
    }

    fn conditional_expected_purchases(
        &self,
        h: &CustomerHistory,
        t: f64,
    ) -> Result<f64, ModelError> {
        self.expected_purchases(h, t)
    }
}

/// Subintervals of the composite Simpson rule for the Pareto/NBD probability (even).
const SIMPSON_INTERVALS: usize = 2_000;

impl PurchaseCountModel for ParetoNbdParams {
    const PARAMETERS: usize = 4;

    /// The lifetime `τ` is exponential with a `Gamma(s, β)` rate, so marginally Lomax:
    /// `P(τ > u) = (β / (β + u))^s`. Given `τ`, the count is negative binomial over
    /// `min(τ, t)`, so `P(X(t) = x) = (β/(β+t))^s NB(x; t) + ∫_0^t s β^s (β+u)^{-s-1}
    /// NB(x; u) du`, the integral by the composite Simpson rule on 2,000 subintervals of
    /// `v = 1 - (β/(β+u))^s` (the lifetime's distribution function, which makes the weight
    /// uniform).
    ///
    /// ```
    /// use crm_churn::{ParetoNbdParams, PurchaseCountModel};
    /// let m = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669)?;
    /// let total: f64 = (0..500).map(|x| m.probability_of_purchases(x, 39.0).unwrap()).sum();
    /// assert!((total - 1.0).abs() < 1e-6);
    /// # Ok::<(), crm_churn::ModelError>(())
    /// ```
    fn probability_of_purchases(&self, x: u32, t: f64) -> Result<f64, ModelError> {
        check_horizon(t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let xf = f64::from(x);
        let constant = ln_gamma(r + xf) - ln_gamma(r) - ln_gamma(xf + 1.0);
        let nb = |u: f64| {
            if u <= 0.0 {
                return if x == 0 { 1.0 } else { 0.0 };
            }
            (constant + r * (alpha / (alpha + u)).ln() + xf * (u / (alpha + u)).ln()).exp()
        };
        let ln_survive_t = -s * (t / beta).ln_1p();
        let survive_t = ln_survive_t.exp();
        // u(v) inverts v = 1 - (β/(β+u))^s on [0, 1 - survive_t].
        let v_max = -ln_survive_t.exp_m1();
        let u_of = |v: f64| beta * (-(-v).ln_1p() / s).exp_m1();
        let n = SIMPSON_INTERVALS;
        let h = v_max / n as f64;
        let mut sum = nb(0.0) + nb(t);
        for i in 1..n {
            let u = u_of(h * i as f64).min(t);
            sum += if i % 2 == 1 { 4.0 } else { 2.0 } * nb(u);
        }
        Ok(survive_t * nb(t) + sum * h / 3.0)
    }

    fn conditional_expected_purchases(
        &self,
        h: &CustomerHistory,
        t: f64,
    ) -> Result<f64, ModelError> {
        self.expected_purchases(h, t)
    }
}

/// Bad diagnostics input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiagnosticsError {
    /// No customers were given.
    #[error("the diagnostics need at least one customer")]
    NoCustomers,
    /// The chi-square test has no degrees of freedom left after merging small bins.
    #[error(
        "after merging bins with an expected count below 5, {bins} bin(s) remain: too few for a chi-square test of a model with {parameters} parameters"
    )]
    TooFewBins {
        /// Bins left after merging.
        bins: usize,
        /// Parameters of the model.
        parameters: usize,
    },
    /// The holdout length is negative or not finite.
    #[error("the holdout length must be a finite number at least 0, got {0}")]
    BadHoldout(f64),
    /// The model could not compute a probability or an expectation.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// One bin of [`PeriodTransactions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodTransactionsBin {
    /// Repeat purchases in the calibration period (the last bin: this many or more).
    pub repeat_purchases: u32,
    /// Whether the bin is open-ended (`repeat_purchases` or more).
    pub open_ended: bool,
    /// Customers observed with this many repeat purchases.
    pub actual: u64,
    /// Customers the model expects with this many: `Σ_i P(X(T_i) = x)`.
    pub expected: f64,
}

/// The frequency of repeat transactions in the calibration period, actual against
/// expected, in bins `0, 1, …, k-1` and `k or more`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodTransactions {
    /// The bins, `0` first.
    pub bins: Vec<PeriodTransactionsBin>,
}

/// Actual and model-expected counts of customers by repeat purchases in their calibration
/// periods `(0, T_i]`, bins `0..k` and `k or more` (`k + 1` bins). The expectation of each
/// bin sums `P(X(T_i) = x)` over customers (the open bin takes the complement), computed
/// once per distinct `T`.
///
/// # Errors
/// [`DiagnosticsError::NoCustomers`] without customers; the model's errors.
pub fn period_transactions<M: PurchaseCountModel>(
    model: &M,
    histories: &[CustomerHistory],
    k: u32,
) -> Result<PeriodTransactions, DiagnosticsError> {
    if histories.is_empty() {
        return Err(DiagnosticsError::NoCustomers);
    }
    let bins = k as usize + 1;
    let mut actual = vec![0u64; bins];
    let mut ages: Vec<f64> = Vec::with_capacity(histories.len());
    for h in histories {
        actual[(h.x.min(k)) as usize] += 1;
        ages.push(h.t);
    }
    ages.sort_by(f64::total_cmp);
    let mut expected = vec![0.0; bins];
    let mut i = 0;
    while i < ages.len() {
        let t = ages[i];
        let mut j = i;
        while j < ages.len() && ages[j] == t {
            j += 1;
        }
        let n = (j - i) as f64;
        let mut below = 0.0;
        for x in 0..k {
            let p = model.probability_of_purchases(x, t)?;
            below += p;
            expected[x as usize] += n * p;
        }
        expected[k as usize] += n * (1.0 - below).max(0.0);
        i = j;
    }
    Ok(PeriodTransactions {
        bins: (0..bins)
            .map(|b| PeriodTransactionsBin {
                repeat_purchases: b as u32,
                open_ended: b == bins - 1,
                actual: actual[b],
                expected: expected[b],
            })
            .collect(),
    })
}

/// A chi-square goodness-of-fit test of [`PeriodTransactions`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChiSquareTest {
    /// `Σ (actual - expected)² / expected` over the merged bins.
    pub statistic: f64,
    /// Bins after merging those with an expected count below 5 into their neighbours.
    pub bins: usize,
    /// `bins - 1 - parameters`.
    pub df: usize,
    /// `P(χ²_df ≥ statistic)`.
    pub p_value: f64,
}

/// The chi-square test of the period-transactions table against a model with `parameters`
/// fitted parameters: bins with an expected count below 5 are merged into their neighbour
/// (from the open end down, then a small first bin into the next), and the statistic has
/// `bins - 1 - parameters` degrees of freedom.
///
/// # Errors
/// [`DiagnosticsError::TooFewBins`] when no degree of freedom is left.
///
/// ```
/// use crm_churn::{ChiSquareTest, PeriodTransactions, PeriodTransactionsBin, goodness_of_fit};
/// let bin = |x, actual, expected| PeriodTransactionsBin { repeat_purchases: x, open_ended: false, actual, expected };
/// let table = PeriodTransactions { bins: vec![bin(0, 50, 50.0), bin(1, 30, 30.0), bin(2, 10, 10.0), bin(3, 7, 6.0), bin(4, 3, 4.0)] };
/// let test = goodness_of_fit(&table, 1)?;
/// assert_eq!(test.bins, 4); // 4 merged into 3
/// assert_eq!(test.df, 2);
/// assert_eq!(test.statistic, 0.0);
/// # Ok::<(), crm_churn::DiagnosticsError>(())
/// ```
pub fn goodness_of_fit(
    table: &PeriodTransactions,
    parameters: usize,
) -> Result<ChiSquareTest, DiagnosticsError> {
    let mut merged: Vec<(f64, f64)> = table
        .bins
        .iter()
        .map(|b| (b.actual as f64, b.expected))
        .collect();
    // From the open end down: a small bin joins the one before it.
    while merged.len() > 1 && merged[merged.len() - 1].1 < 5.0 {
        let (a, e) = merged.pop().unwrap_or_default();
        if let Some(last) = merged.last_mut() {
            last.0 += a;
            last.1 += e;
        }
    }
    // Then any small bin left inside joins the next one.
    let mut i = 0;
    while i + 1 < merged.len() {
        if merged[i].1 < 5.0 {
            let (a, e) = merged.remove(i);
            merged[i].0 += a;
            merged[i].1 += e;
        } else {
            i += 1;
        }
    }
    let bins = merged.len();
    if bins < parameters + 2 {
        return Err(DiagnosticsError::TooFewBins { bins, parameters });
    }
    let df = bins - 1 - parameters;
    let statistic: f64 = merged
        .iter()
        .map(|&(a, e)| if e > 0.0 { (a - e).powi(2) / e } else { 0.0 })
        .sum();
    let p_value = ChiSquared::new(df as f64)
        .map(|c| c.sf(statistic))
        .unwrap_or(f64::NAN);
    Ok(ChiSquareTest {
        statistic,
        bins,
        df,
        p_value,
    })
}

/// One bin of the calibration-against-holdout table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutBin {
    /// Repeat purchases in the calibration period (the last bin: this many or more).
    pub frequency: u32,
    /// Whether the bin is open-ended.
    pub open_ended: bool,
    /// Customers in the bin.
    pub n: u64,
    /// Mean purchases in the holdout period.
    pub mean_actual: f64,
    /// Mean of the model's conditional expected purchases over the holdout length.
    pub mean_predicted: f64,
}

/// Customers grouped by calibration frequency (bins `0..k` and `k or more`; empty bins
/// are left out): mean actual holdout purchases against the mean the model predicts for
/// the holdout length, per bin with its size.
///
/// # Errors
/// [`DiagnosticsError::NoCustomers`], [`DiagnosticsError::BadHoldout`], the model's errors.
///
/// ```
/// use crm_churn::{BgNbdParams, CustomerHistory, calibration_holdout};
/// let m = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let rows = [(CustomerHistory::new(0, 0.0, 39.0)?, 0), (CustomerHistory::new(2, 30.0, 39.0)?, 1)];
/// let bins = calibration_holdout(&m, &rows, 39.0, 7)?;
/// assert_eq!(bins.len(), 2);
/// assert_eq!(bins[1].frequency, 2);
/// assert_eq!(bins[1].mean_actual, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn calibration_holdout<M: PurchaseCountModel>(
    model: &M,
    rows: &[(CustomerHistory, u32)],
    holdout: f64,
    k: u32,
) -> Result<Vec<HoldoutBin>, DiagnosticsError> {
    if rows.is_empty() {
        return Err(DiagnosticsError::NoCustomers);
    }
    if !(holdout.is_finite() && holdout >= 0.0) {
        return Err(DiagnosticsError::BadHoldout(holdout));
    }
    let bins = k as usize + 1;
    let mut n = vec![0u64; bins];
    let mut actual = vec![0.0; bins];
    let mut predicted = vec![0.0; bins];
    for (h, holdout_purchases) in rows {
        let b = h.x.min(k) as usize;
        n[b] += 1;
        actual[b] += f64::from(*holdout_purchases);
        predicted[b] += model.conditional_expected_purchases(h, holdout)?;
    }
    Ok((0..bins)
        .filter(|&b| n[b] > 0)
        .map(|b| HoldoutBin {
            frequency: b as u32,
            open_ended: b == bins - 1,
            n: n[b],
            mean_actual: actual[b] / n[b] as f64,
            mean_predicted: predicted[b] / n[b] as f64,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{simulate_bgnbd, simulate_mbgnbd, simulate_pareto_nbd};
    use rand::SeedableRng;

    fn empirical(xs: impl Iterator<Item = u32>, k: u32) -> Vec<f64> {
        let mut counts = vec![0.0; k as usize + 1];
        let mut n = 0.0;
        for x in xs {
            counts[x.min(k) as usize] += 1.0;
            n += 1.0;
        }
        counts.iter().map(|c| c / n).collect()
    }

    /// The model's probabilities of 0..k-1 and k or more.
    fn model_probs<M: PurchaseCountModel>(m: &M, t: f64, k: u32) -> Vec<f64> {
        let mut p: Vec<f64> = (0..k)
            .map(|x| m.probability_of_purchases(x, t).unwrap())
            .collect();
        let below: f64 = p.iter().sum();
        p.push(1.0 - below);
        p
    }

    fn assert_close_to_simulation(model: &[f64], sim: &[f64], n: f64) {
        for (x, (m, s)) in model.iter().zip(sim).enumerate() {
            // Four binomial standard errors.
            let se = (m * (1.0 - m) / n).sqrt().max(1e-4);
            assert!(
                (m - s).abs() < 4.0 * se,
                "x = {x}: model {m} vs simulated {s}"
            );
        }
    }

    #[test]
    fn probabilities_sum_to_one() {
        let bg = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
        let mbg = MbgNbdParams::new(0.525, 6.183, 0.891, 1.614).unwrap();
        let pareto = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669).unwrap();
        for t in [0.0, 1.0, 39.0, 200.0] {
            let sum_bg: f64 = (0..2000)
                .map(|x| bg.probability_of_purchases(x, t).unwrap())
                .sum();
            let sum_mbg: f64 = (0..2000)
                .map(|x| mbg.probability_of_purchases(x, t).unwrap())
                .sum();
            let sum_p: f64 = (0..2000)
                .map(|x| pareto.probability_of_purchases(x, t).unwrap())
                .sum();
            for s in [sum_bg, sum_mbg, sum_p] {
                assert!((s - 1.0).abs() < 1e-7, "t = {t}: {s}");
            }
        }
        assert!(bg.probability_of_purchases(0, -1.0).is_err());
        assert!(pareto.probability_of_purchases(0, f64::NAN).is_err());
    }

    #[test]
    fn pareto_probability_matches_its_closed_form_without_dropout_heterogeneity_limit() {
        // With a huge β and s = β μ the lifetime is exponential(μ): for r = 1 (exponential
        // rate mixing) and x = 0, P(X(t) = 0) = E[e^{-λ min(τ,t)}] has the closed form
        // e^{-μt} α/(α+t) + ∫_0^t μ e^{-μu} α/(α+u) du, checked here against a fine sum.
        let mu: f64 = 0.05;
        let beta = 1e7;
        let m = ParetoNbdParams::new(1.0, 5.0, mu * beta, beta).unwrap();
        let t = 30.0;
        let alpha = 5.0;
        let steps = 200_000;
        let h = t / steps as f64;
        let integral: f64 = (0..steps)
            .map(|i| {
                let u = (i as f64 + 0.5) * h;
                mu * (-mu * u).exp() * alpha / (alpha + u) * h
            })
            .sum();
        let exact = (-mu * t).exp() * alpha / (alpha + t) + integral;
        let p = m.probability_of_purchases(0, t).unwrap();
        assert!((p - exact).abs() < 1e-6, "{p} vs {exact}");
    }

    #[test]
    fn probabilities_match_simulation() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
        let (t, n, k) = (39.0, 40_000usize, 8);
        let ages = vec![t; n];
        let bg = BgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
        let sim = simulate_bgnbd(&bg, &ages, 0.0, &mut rng).unwrap();
        let e = empirical(sim.customers.iter().map(|c| c.history.x), k);
        assert_close_to_simulation(&model_probs(&bg, t, k), &e, n as f64);

        let mbg = MbgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
        let sim = simulate_mbgnbd(&mbg, &ages, 0.0, &mut rng).unwrap();
        let e = empirical(sim.customers.iter().map(|c| c.history.x), k);
        assert_close_to_simulation(&model_probs(&mbg, t, k), &e, n as f64);

        let pareto = ParetoNbdParams::new(0.6, 8.0, 0.7, 12.0).unwrap();
        let sim = simulate_pareto_nbd(&pareto, &ages, 0.0, &mut rng).unwrap();
        let e = empirical(sim.customers.iter().map(|c| c.history.x), k);
        assert_close_to_simulation(&model_probs(&pareto, t, k), &e, n as f64);
    }

    #[test]
    fn chi_square_is_small_under_the_model_and_large_under_another() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(77);
        let truth = BgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
        let ages: Vec<f64> = (0..5_000).map(|i| 20.0 + f64::from(i % 30)).collect();
        // Under the model: over 200 samples the test rejects at 5 % about 5 % of the time.
        let mut rejected = 0;
        for _ in 0..200 {
            let sim = simulate_bgnbd(&truth, &ages, 0.0, &mut rng).unwrap();
            let h: Vec<_> = sim.customers.iter().map(|c| c.history).collect();
            let table = period_transactions(&truth, &h, 7).unwrap();
            // The true parameters are not fitted: no degrees of freedom are lost.
            let test = goodness_of_fit(&table, 0).unwrap();
            if test.p_value < 0.05 {
                rejected += 1;
            }
        }
        assert!((2..=22).contains(&rejected), "{rejected} of 200 rejected");
        // Data from Pareto/NBD with a different mean rate: rejected decisively.
        let other = ParetoNbdParams::new(1.5, 5.0, 0.3, 10.0).unwrap();
        let sim = simulate_pareto_nbd(&other, &ages, 0.0, &mut rng).unwrap();
        let h: Vec<_> = sim.customers.iter().map(|c| c.history).collect();
        let test = goodness_of_fit(&period_transactions(&truth, &h, 7).unwrap(), 4).unwrap();
        assert!(test.p_value < 1e-6, "{test:?}");
        assert!(test.statistic > 100.0, "{test:?}");
    }

    #[test]
    fn calibration_holdout_matches_simulated_means() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let truth = BgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
        let sim = simulate_bgnbd(&truth, &vec![39.0; 30_000], 39.0, &mut rng).unwrap();
        let rows: Vec<_> = sim
            .customers
            .iter()
            .map(|c| (c.history, c.holdout_purchases))
            .collect();
        let bins = calibration_holdout(&truth, &rows, 39.0, 7).unwrap();
        assert_eq!(bins.iter().map(|b| b.n).sum::<u64>(), 30_000);
        for b in bins.iter().filter(|b| b.n > 500) {
            let tol = 0.1 * b.mean_predicted.max(0.2);
            assert!((b.mean_actual - b.mean_predicted).abs() < tol, "{b:?}");
        }
        assert!(matches!(
            calibration_holdout(&truth, &rows, -1.0, 7),
            Err(DiagnosticsError::BadHoldout(_))
        ));
        assert!(matches!(
            calibration_holdout(&truth, &[], 1.0, 7),
            Err(DiagnosticsError::NoCustomers)
        ));
    }
}
