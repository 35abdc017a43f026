//! Seeded simulators of the BG/NBD, MBG/NBD, Pareto/NBD and BG/BB purchase processes, used to
//! check parameter recovery and the predictions by Monte Carlo.
//!
//! Each customer makes a first purchase at time 0 and is observed for their age `T` (given per
//! customer); the simulator also runs every customer on for a holdout of `horizon` time units
//! and reports whether they were still active at `T` and how many purchases they made in
//! `(T, T + horizon]`. Times are continuous, except for BG/BB ([`simulate_bgbb`]), whose
//! customers are observed for a whole number of transaction opportunities. The same seed gives
//! the same cohort.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use serde::{Deserialize, Serialize};

use super::bgbb::{BgBbError, BgBbHistories, BgBbHistory, BgBbParams, MAX_OPPORTUNITIES};
use super::bgnbd::BgNbdParams;
use super::mbgnbd::MbgNbdParams;
use super::pareto_nbd::ParetoNbdParams;
use super::summary::{CustomerHistory, HistoryError, ModelError, WeightedHistories};

/// One simulated customer: the history a real customer base would show, and the truth
/// behind it.
///
/// ```
/// use crm_churn::{BgNbdParams, simulate_bgnbd};
/// use rand::SeedableRng;
/// let m = BgNbdParams::new(0.5, 5.0, 0.8, 2.5)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(9);
/// let cohort = simulate_bgnbd(&m, &[52.0; 500], 26.0, &mut rng)?;
/// // A BG/NBD customer who bought only once cannot have dropped out yet.
/// assert!(cohort.customers.iter().filter(|c| c.history.x == 0).all(|c| c.alive_at_end));
/// // Nobody who had left by T buys in the holdout.
/// assert!(cohort.customers.iter().filter(|c| !c.alive_at_end).all(|c| c.holdout_purchases == 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimulatedCustomer {
    /// Calibration history `(x, t_x, T)`.
    pub history: CustomerHistory,
    /// Whether the customer was still active at `T`.
    pub alive_at_end: bool,
    /// Purchases in `(T, T + horizon]`.
    pub holdout_purchases: u32,
}

/// A simulated cohort; the same seed gives the same cohort.
///
/// ```
/// use crm_churn::{ParetoNbdParams, simulate_pareto_nbd};
/// use rand::SeedableRng;
/// let m = ParetoNbdParams::new(0.55, 10.6, 0.6, 11.7)?;
/// let run = |seed| simulate_pareto_nbd(&m, &[10.0, 20.0, 30.0], 5.0, &mut rand::rngs::StdRng::seed_from_u64(seed));
/// assert_eq!(run(1)?, run(1)?);
/// assert_eq!(run(1)?.horizon, 5.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatedCohort {
    /// The customers, in the order of the ages given.
    pub customers: Vec<SimulatedCustomer>,
    /// Holdout length.
    pub horizon: f64,
}

impl SimulatedCohort {
    /// The calibration histories, one per customer, in the order of the ages given.
    ///
    /// ```
    /// use crm_churn::{BgNbdParams, simulate_bgnbd};
    /// use rand::SeedableRng;
    /// let m = BgNbdParams::new(0.5, 5.0, 0.8, 2.5)?;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let ages: Vec<f64> = (1..=4).map(f64::from).collect();
    /// let h = simulate_bgnbd(&m, &ages, 0.0, &mut rng)?.histories();
    /// assert_eq!(h.iter().map(|h| h.t).collect::<Vec<_>>(), ages);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn histories(&self) -> Vec<CustomerHistory> {
        self.customers.iter().map(|c| c.history).collect()
    }

    /// The histories compressed for fitting.
    ///
    /// # Errors
    /// [`HistoryError::Empty`] for an empty cohort.
    ///
    /// ```
    /// use crm_churn::{BgNbdParams, HistoryError, simulate_bgnbd};
    /// use rand::SeedableRng;
    /// let m = BgNbdParams::new(0.5, 5.0, 0.8, 2.5)?;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let cohort = simulate_bgnbd(&m, &[52.0; 1000], 0.0, &mut rng)?;
    /// let w = cohort.weighted()?;
    /// assert_eq!(w.total_weight(), 1000.0);
    /// assert!(w.rows().len() < 1000); // the many customers who never came back share one row
    /// assert_eq!(simulate_bgnbd(&m, &[], 0.0, &mut rng)?.weighted(), Err(HistoryError::Empty));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn weighted(&self) -> Result<WeightedHistories, HistoryError> {
        WeightedHistories::from_histories(self.customers.iter().map(|c| c.history))
    }
}

fn check_inputs(ages: &[f64], horizon: f64) -> Result<(), ModelError> {
    if !(horizon.is_finite() && horizon >= 0.0) {
        return Err(ModelError::BadHorizon(horizon));
    }
    for (row, &t) in ages.iter().enumerate() {
        if !(t.is_finite() && t >= 0.0) {
            return Err(HistoryError::BadTime {
                row,
                field: "T".to_string(),
                value: t,
            }
            .into());
        }
    }
    Ok(())
}

fn distribution_error(e: impl std::fmt::Display) -> ModelError {
    ModelError::Unsupported(format!("cannot sample from the mixing distribution: {e}"))
}

/// Runs one customer: purchases at rate `lambda` until `death` (an absolute time) or, for
/// BG-type dropout, until a coin with probability `p` falls after a repeat purchase.
fn run<R: Rng + ?Sized>(
    rng: &mut R,
    lambda: f64,
    t_end: f64,
    horizon: f64,
    mut death: f64,
    p_after_purchase: f64,
) -> SimulatedCustomer {
    let gaps = Exp::new(lambda).ok();
    let (mut x, mut t_x, mut hold) = (0u32, 0.0, 0u32);
    let mut now = 0.0;
    if let Some(gaps) = gaps {
        loop {
            now += gaps.sample(rng);
            if now > death || now > t_end + horizon {
                break;
            }
            if now <= t_end {
                x += 1;
                t_x = now;
            } else {
                hold += 1;
            }
            if p_after_purchase > 0.0 && rng.random::<f64>() < p_after_purchase {
                death = now;
                break;
            }
        }
    }
    SimulatedCustomer {
        history: CustomerHistory { x, t_x, t: t_end },
        alive_at_end: death > t_end,
        holdout_purchases: hold,
    }
}

/// Simulates BG/NBD customers with ages `ages` and a holdout of `horizon`.
///
/// # Errors
/// [`ModelError::History`] for a negative or non-finite age, [`ModelError::BadHorizon`].
///
/// ```
/// use crm_churn::BgNbdParams;
/// use crm_churn::simulate_bgnbd;
/// use rand::SeedableRng;
/// let m = BgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let c = simulate_bgnbd(&m, &[10.0, 20.0], 5.0, &mut rng).unwrap();
/// assert_eq!(c.customers.len(), 2);
/// assert!(c.customers.iter().all(|c| c.history.validate(0).is_ok()));
/// ```
pub fn simulate_bgnbd<R: Rng + ?Sized>(
    params: &BgNbdParams,
    ages: &[f64],
    horizon: f64,
    rng: &mut R,
) -> Result<SimulatedCohort, ModelError> {
    let BgNbdParams { r, alpha, a, b } = *params;
    simulate_beta_dropout([r, alpha, a, b], false, ages, horizon, rng)
}

/// Simulates MBG/NBD customers: as BG/NBD, but a customer may also drop out right after the
/// first purchase (at time 0).
///
/// # Errors
/// As [`simulate_bgnbd`].
///
/// ```
/// use crm_churn::MbgNbdParams;
/// use crm_churn::simulate_mbgnbd;
/// use rand::SeedableRng;
/// let m = MbgNbdParams::new(0.5, 5.0, 0.8, 2.5).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// assert_eq!(simulate_mbgnbd(&m, &[10.0; 3], 0.0, &mut rng).unwrap().customers.len(), 3);
/// ```
pub fn simulate_mbgnbd<R: Rng + ?Sized>(
    params: &MbgNbdParams,
    ages: &[f64],
    horizon: f64,
    rng: &mut R,
) -> Result<SimulatedCohort, ModelError> {
    let MbgNbdParams { r, alpha, a, b } = *params;
    simulate_beta_dropout([r, alpha, a, b], true, ages, horizon, rng)
}

/// Simulates BG/NBD (`at_first = false`) or MBG/NBD customers with parameters
/// `[r, α, a, b]`: purchase rate `λ ~ Gamma(r, α)`, dropout probability `p ~ Beta(a, b)`
/// after each repeat purchase and, for MBG/NBD, also after the first.
fn simulate_beta_dropout<R: Rng + ?Sized>(
    [r, alpha, a, b]: [f64; 4],
    at_first: bool,
    ages: &[f64],
    horizon: f64,
    rng: &mut R,
) -> Result<SimulatedCohort, ModelError> {
    check_inputs(ages, horizon)?;
    let rate = Gamma::new(r, 1.0 / alpha).map_err(distribution_error)?;
    let drop = Beta::new(a, b).map_err(distribution_error)?;
    let customers = ages
        .iter()
        .map(|&t| {
            let lambda = rate.sample(rng);
            let p = drop.sample(rng);
            let death = if at_first && rng.random::<f64>() < p {
                0.0
            } else {
                f64::INFINITY
            };
            run(rng, lambda, t, horizon, death, p)
        })
        .collect();
    Ok(SimulatedCohort { customers, horizon })
}

/// Simulates Pareto/NBD customers: purchase rate `λ ~ Gamma(r, α)`, lifetime exponential
/// with rate `μ ~ Gamma(s, β)`.
///
/// # Errors
/// As [`simulate_bgnbd`].
///
/// ```
/// use crm_churn::ParetoNbdParams;
/// use crm_churn::simulate_pareto_nbd;
/// use rand::SeedableRng;
/// let m = ParetoNbdParams::new(0.55, 10.6, 0.61, 11.7).unwrap();
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// assert_eq!(simulate_pareto_nbd(&m, &[39.0; 4], 0.0, &mut rng).unwrap().customers.len(), 4);
/// ```
pub fn simulate_pareto_nbd<R: Rng + ?Sized>(
    params: &ParetoNbdParams,
    ages: &[f64],
    horizon: f64,
    rng: &mut R,
) -> Result<SimulatedCohort, ModelError> {
    check_inputs(ages, horizon)?;
    let rate = Gamma::new(params.r, 1.0 / params.alpha).map_err(distribution_error)?;
    let death_rate = Gamma::new(params.s, 1.0 / params.beta).map_err(distribution_error)?;
    let customers = ages
        .iter()
        .map(|&t| {
            let lambda = rate.sample(rng);
            let mu: f64 = death_rate.sample(rng);
            let death = Exp::new(mu).map_or(f64::INFINITY, |e| e.sample(rng));
            run(rng, lambda, t, horizon, death, 0.0)
        })
        .collect();
    Ok(SimulatedCohort { customers, horizon })
}

/// One simulated BG/BB customer: the history a real customer base would show, and the truth
/// behind it.
///
/// ```
/// use crm_churn::{BgBbParams, simulate_bgbb};
/// use rand::SeedableRng;
/// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(9);
/// let cohort = simulate_bgbb(&m, &[6; 500], 5, &mut rng)?;
/// // Nobody who was dead at opportunity 7 transacts in the holdout.
/// assert!(cohort.customers.iter().filter(|c| !c.alive_at_next_opportunity).all(|c| c.holdout_purchases == 0));
/// assert!(cohort.customers.iter().all(|c| c.holdout_purchases <= 5));
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedBgBbCustomer {
    /// Calibration history `(x, t_x, n)`.
    pub history: BgBbHistory,
    /// Whether the customer is still alive at opportunity `n + 1` (survived its start): the
    /// event whose probability [`BgBbParams::p_alive`] gives.
    pub alive_at_next_opportunity: bool,
    /// Transactions at opportunities `n + 1 ..= n + horizon`.
    pub holdout_purchases: u32,
}

/// A simulated BG/BB cohort; the same seed gives the same cohort.
///
/// ```
/// use crm_churn::{BgBbParams, simulate_bgbb};
/// use rand::SeedableRng;
/// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
/// let run = |seed| simulate_bgbb(&m, &[3, 6, 9], 2, &mut rand::rngs::StdRng::seed_from_u64(seed));
/// assert_eq!(run(1)?, run(1)?);
/// assert_eq!(run(1)?.horizon, 2);
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedBgBbCohort {
    /// The customers, in the order of the opportunities given.
    pub customers: Vec<SimulatedBgBbCustomer>,
    /// Holdout length in opportunities.
    pub horizon: u32,
}

impl SimulatedBgBbCohort {
    /// The calibration histories, one per customer, in the order of the opportunities given.
    ///
    /// ```
    /// use crm_churn::{BgBbParams, simulate_bgbb};
    /// use rand::SeedableRng;
    /// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let h = simulate_bgbb(&m, &[1, 2, 3], 0, &mut rng)?.histories();
    /// assert_eq!(h.iter().map(|h| h.n).collect::<Vec<_>>(), [1, 2, 3]);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn histories(&self) -> Vec<BgBbHistory> {
        self.customers.iter().map(|c| c.history).collect()
    }

    /// The histories compressed for fitting.
    ///
    /// # Errors
    /// [`BgBbError::Empty`] for an empty cohort.
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbParams, simulate_bgbb};
    /// use rand::SeedableRng;
    /// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    /// let data = simulate_bgbb(&m, &[6; 1000], 0, &mut rng)?.weighted()?;
    /// assert_eq!(data.total_weight(), 1000.0);
    /// assert!(data.rows().len() <= 22); // (0, 0) and the 21 pairs 1 ≤ x ≤ t_x ≤ 6
    /// assert_eq!(simulate_bgbb(&m, &[], 0, &mut rng)?.weighted(), Err(BgBbError::Empty));
    /// # Ok::<(), BgBbError>(())
    /// ```
    pub fn weighted(&self) -> Result<BgBbHistories, BgBbError> {
        BgBbHistories::from_histories(self.customers.iter().map(|c| c.history))
    }
}

/// Simulates BG/BB customers observed for `opportunities[i]` transaction opportunities each,
/// with a holdout of `horizon` more: each draws a transaction probability `p ~ Beta(α, β)` and
/// a dropout probability `θ ~ Beta(γ, δ)`; at the start of every opportunity a living
/// customer dies with probability `θ`, and a customer still alive then transacts with
/// probability `p`.
///
/// # Errors
/// Invalid parameters; [`BgBbError::TooManyOpportunities`] (naming the entry) or
/// [`BgBbError::HorizonTooLong`] beyond
/// [`BGBB_MAX_OPPORTUNITIES`](crate::BGBB_MAX_OPPORTUNITIES).
///
/// ```
/// use crm_churn::{BgBbParams, simulate_bgbb};
/// use rand::SeedableRng;
/// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let c = simulate_bgbb(&m, &[6, 6], 0, &mut rng)?;
/// assert_eq!(c.customers.len(), 2);
/// assert!(c.customers.iter().all(|c| c.history.validate(0).is_ok()));
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
pub fn simulate_bgbb<R: Rng + ?Sized>(
    params: &BgBbParams,
    opportunities: &[u32],
    horizon: u32,
    rng: &mut R,
) -> Result<SimulatedBgBbCohort, BgBbError> {
    params.validate()?;
    if horizon > MAX_OPPORTUNITIES {
        return Err(BgBbError::HorizonTooLong {
            periods: horizon,
            max: MAX_OPPORTUNITIES,
        });
    }
    if let Some((row, &n)) = opportunities
        .iter()
        .enumerate()
        .find(|&(_, &n)| n > MAX_OPPORTUNITIES)
    {
        return Err(BgBbError::TooManyOpportunities {
            row,
            n,
            max: MAX_OPPORTUNITIES,
        });
    }
    let unsupported = |e: rand_distr::BetaError| {
        BgBbError::Unsupported(format!("cannot sample from the mixing distribution: {e}"))
    };
    let purchase = Beta::new(params.alpha, params.beta).map_err(unsupported)?;
    let dropout = Beta::new(params.gamma, params.delta).map_err(unsupported)?;
    let customers = opportunities
        .iter()
        .map(|&n| {
            let p: f64 = purchase.sample(rng);
            let theta: f64 = dropout.sample(rng);
            let (mut x, mut t_x, mut hold) = (0u32, 0u32, 0u32);
            let mut alive_next = false;
            // Opportunity n + 1 is always drawn, for its survival; its transaction only
            // counts within the holdout.
            for t in 1..=n + horizon.max(1) {
                if rng.random::<f64>() < theta {
                    break;
                }
                if t == n + 1 {
                    alive_next = true;
                }
                if t > n + horizon {
                    break;
                }
                if rng.random::<f64>() < p {
                    if t <= n {
                        x += 1;
                        t_x = t;
                    } else {
                        hold += 1;
                    }
                }
            }
            SimulatedBgBbCustomer {
                history: BgBbHistory { x, t_x, n },
                alive_at_next_opportunity: alive_next,
                holdout_purchases: hold,
            }
        })
        .collect();
    Ok(SimulatedBgBbCohort { customers, horizon })
}
