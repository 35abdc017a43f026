//! BG/BB, the beta-geometric/beta-binomial model of Fader, Hardie & Shang (FHS 2010,
//! "Customer-Base Analysis in a Discrete-Time Noncontractual Setting", Marketing Science
//! 29(6)): buy-till-you-die in discrete time, for businesses whose customers can transact only
//! at fixed opportunities (a yearly fund-raising drive, a weekly event, an annual conference).
//!
//! While alive, a customer transacts at each opportunity with probability `p ~ Beta(α, β)`;
//! at the start of each opportunity a living customer dies (becomes inactive for good) with
//! probability `θ ~ Beta(γ, δ)`, so that the customer is alive at opportunity `t` with
//! probability `(1 − θ)ᵗ`. A customer is summarised by `x` repeat transactions in `n`
//! opportunities, the last at opportunity `t_x` (`x = t_x = 0` without any), and the
//! likelihood of one such purchase string is (FHS 2010)
//!
//! `L = B(α+x, β+n−x)/B(α, β) · B(γ, δ+n)/B(γ, δ)
//!    + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α, β) · B(γ+1, δ+t_x+i)/B(γ, δ)`:
//!
//! alive through opportunity `n`, or alive through `t_x + i` and dead at the start of the next.
//! Every beta-function ratio with integer offsets is a ratio of rising factorials,
//! `B(α+x, β+m)/B(α, β) = (α)ₓ (β)ₘ / (α+β)ₓ₊ₘ`, so the log-likelihood is built from running
//! sums `Σ_{k<j} ln(c+k)` computed once per evaluation up to the largest `n` of the data (the
//! terms of each row are then additions, and the sum over `i` a log-sum-exp without overflow
//! or underflow). The gradient is analytic, from the same running sums of `1/(c+k)`.
//!
//! Predictions, as derived in the paper: [`BgBbParams::p_alive`] (alive at
//! opportunity `n + 1`), [`BgBbParams::expected_purchases`] (in the next `n*` opportunities),
//! [`BgBbParams::expected_purchases_new_customer`], [`BgBbParams::purchase_count_probability`]
//! (`P(X(n) = x)`) and [`BgBbParams::discounted_expected_residual_transactions`] (DERT).
//!
//! ```
//! use crm_churn::{BgBbHistory, BgBbParams};
//! // The published estimates on the donations of 11,104 first-time donors (six yearly
//! // opportunities).
//! let m = BgBbParams::new(1.204, 0.750, 0.657, 2.783)?;
//! let every_year = BgBbHistory::new(6, 6, 6)?;
//! let lapsed = BgBbHistory::new(2, 2, 6)?;
//! assert!(m.p_alive(&every_year)? > 0.9);
//! assert!(m.p_alive(&lapsed)? < m.p_alive(&every_year)?);
//! assert!(m.expected_purchases(&every_year, 5)? > m.expected_purchases(&lapsed, 5)?);
//! # Ok::<(), crm_churn::BgBbError>(())
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::fit::{
    FitError, FitOptions, LogLikelihood, MleFit, ParameterBounds, maximize_likelihood_within,
    too_few_customers, validate_all_positive,
};
use super::hyp2f1::ln_hyp2f1;
use super::summary::merge_weighted;

/// The largest number of transaction opportunities a [`BgBbHistory`] may have, and the
/// longest horizon of a prediction: a hundred thousand opportunities, more daily ones than 270
/// years hold. The likelihood and the predictions cost time and memory in proportion to `n`,
/// so larger values come from corrupt data and are refused rather than computed at length.
///
/// ```
/// use crm_churn::{BGBB_MAX_OPPORTUNITIES, BgBbError, BgBbHistory};
/// assert!(BgBbHistory::new(0, 0, BGBB_MAX_OPPORTUNITIES).is_ok());
/// assert!(matches!(
///     BgBbHistory::new(0, 0, BGBB_MAX_OPPORTUNITIES + 1),
///     Err(BgBbError::TooManyOpportunities { .. })
/// ));
/// ```
pub const MAX_OPPORTUNITIES: u32 = 100_000;

/// Bad BG/BB input, or a computation that cannot be carried out.
///
/// ```
/// use crm_churn::{BgBbError, BgBbHistory};
/// assert_eq!(
///     BgBbHistory::new(3, 2, 6),
///     Err(BgBbError::FrequencyExceedsRecency { row: 0, x: 3, t_x: 2 })
/// );
/// assert_eq!(
///     BgBbHistory::new(3, 2, 6).unwrap_err().to_string(),
///     "row 0: x = 3 repeat transactions do not fit in the first t_x = 2 opportunities"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum BgBbError {
    /// More opportunities than [`MAX_OPPORTUNITIES`](crate::BGBB_MAX_OPPORTUNITIES).
    #[error("row {row}: n = {n} opportunities exceed the largest usable number {max}")]
    TooManyOpportunities {
        /// Row index in the input.
        row: usize,
        /// Opportunities.
        n: u32,
        /// The bound.
        max: u32,
    },
    /// The last transaction comes after the last opportunity (`t_x > n`).
    #[error("row {row}: recency t_x = {t_x} exceeds the number of opportunities n = {n}")]
    RecencyAfterEnd {
        /// Row index.
        row: usize,
        /// Recency.
        t_x: u32,
        /// Opportunities.
        n: u32,
    },
    /// No repeat transaction but a recency (`x = 0`, `t_x ≠ 0`).
    #[error("row {row}: frequency x = 0 with recency t_x = {t_x} (no transaction means t_x = 0)")]
    FrequencyRecencyMismatch {
        /// Row index.
        row: usize,
        /// Recency.
        t_x: u32,
    },
    /// More transactions than opportunities up to the last one (`x > t_x`; one transaction
    /// per opportunity at most).
    #[error(
        "row {row}: x = {x} repeat transactions do not fit in the first t_x = {t_x} opportunities"
    )]
    FrequencyExceedsRecency {
        /// Row index.
        row: usize,
        /// Frequency.
        x: u32,
        /// Recency.
        t_x: u32,
    },
    /// A weight is not finite and positive.
    #[error("row {row}: weight {weight} is not finite and positive")]
    BadWeight {
        /// Row index.
        row: usize,
        /// Weight.
        weight: f64,
    },
    /// No rows.
    #[error("no customers to fit")]
    Empty,
    /// Nobody transacted again, so the transaction process cannot be identified.
    #[error("no customer has a repeat transaction (all x = 0): the model cannot be identified")]
    NoRepeatTransactions,
    /// A prediction horizon beyond [`MAX_OPPORTUNITIES`](crate::BGBB_MAX_OPPORTUNITIES).
    #[error("a horizon of {periods} opportunities exceeds the largest usable number {max}")]
    HorizonTooLong {
        /// The horizon asked for.
        periods: u32,
        /// The bound.
        max: u32,
    },
    /// The discount rate is not finite and positive.
    #[error("discount rate must be finite and positive, got {value}")]
    InvalidDiscountRate {
        /// The value given.
        value: f64,
    },
    /// A parameter is not finite and positive, or the fit failed (see [`FitError`]).
    #[error(transparent)]
    Fit(#[from] FitError),
    /// The computation cannot be carried out for these parameters: a series that does not
    /// converge, a result that overflows, a distribution that cannot be sampled.
    #[error("{0}")]
    Unsupported(String),
}

/// One customer in discrete time: `x` repeat transactions in `n` transaction opportunities,
/// the last one at opportunity `t_x` (`1 ≤ t_x ≤ n`; `t_x = 0` when `x = 0`). Opportunities
/// are counted after the first transaction, which is not part of the history.
///
/// ```
/// use crm_churn::BgBbHistory;
/// // Donated in 1995 (the first transaction), then in 1996, 1997 and 1999 of six years.
/// let h = BgBbHistory::new(3, 4, 6)?;
/// assert_eq!((h.x, h.t_x, h.n), (3, 4, 6));
/// assert!(BgBbHistory::new(0, 0, 6).is_ok());
/// assert!(BgBbHistory::new(0, 2, 6).is_err()); // a recency without a transaction
/// assert!(BgBbHistory::new(2, 7, 6).is_err()); // after the last opportunity
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BgBbHistory {
    /// Repeat transactions (frequency): opportunities with a transaction.
    pub x: u32,
    /// The opportunity of the last transaction (recency), `0` without any.
    pub t_x: u32,
    /// Transaction opportunities observed.
    pub n: u32,
}

impl BgBbHistory {
    /// A validated history (row 0 in errors).
    ///
    /// # Errors
    /// See [`BgBbHistory::validate`].
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbHistory};
    /// assert_eq!(BgBbHistory::new(1, 7, 6), Err(BgBbError::RecencyAfterEnd { row: 0, t_x: 7, n: 6 }));
    /// ```
    pub fn new(x: u32, t_x: u32, n: u32) -> Result<Self, BgBbError> {
        let h = Self { x, t_x, n };
        h.validate(0)?;
        Ok(h)
    }

    /// Checks `n ≤` [`MAX_OPPORTUNITIES`](crate::BGBB_MAX_OPPORTUNITIES), `t_x ≤ n`,
    /// `x = 0 ⇒ t_x = 0` and `x ≤ t_x`, naming `row`.
    ///
    /// # Errors
    /// [`BgBbError::TooManyOpportunities`], [`BgBbError::RecencyAfterEnd`],
    /// [`BgBbError::FrequencyRecencyMismatch`], [`BgBbError::FrequencyExceedsRecency`].
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbHistory};
    /// let h = BgBbHistory { x: 0, t_x: 3, n: 6 };
    /// assert_eq!(h.validate(4), Err(BgBbError::FrequencyRecencyMismatch { row: 4, t_x: 3 }));
    /// ```
    pub fn validate(&self, row: usize) -> Result<(), BgBbError> {
        let Self { x, t_x, n } = *self;
        if n > MAX_OPPORTUNITIES {
            return Err(BgBbError::TooManyOpportunities {
                row,
                n,
                max: MAX_OPPORTUNITIES,
            });
        }
        if t_x > n {
            return Err(BgBbError::RecencyAfterEnd { row, t_x, n });
        }
        if x == 0 && t_x != 0 {
            return Err(BgBbError::FrequencyRecencyMismatch { row, t_x });
        }
        if x > t_x {
            return Err(BgBbError::FrequencyExceedsRecency { row, x, t_x });
        }
        Ok(())
    }
}

/// A distinct BG/BB history with the number of customers who share it.
///
/// ```
/// use crm_churn::{BgBbHistories, BgBbHistory, WeightedBgBbHistory};
/// // Two rows of the donations table: 3,464 donors never gave again, 1,203 gave every year.
/// let rows = [
///     WeightedBgBbHistory { history: BgBbHistory::new(0, 0, 6)?, weight: 3464.0 },
///     WeightedBgBbHistory { history: BgBbHistory::new(6, 6, 6)?, weight: 1203.0 },
/// ];
/// let data = BgBbHistories::from_weighted(rows)?;
/// assert_eq!((data.total_weight(), data.repeat_weight()), (4667.0, 1203.0));
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightedBgBbHistory {
    /// The history.
    pub history: BgBbHistory,
    /// How many customers (or total weight) have it.
    pub weight: f64,
}

/// Validated BG/BB histories compressed into distinct weighted rows, ready for fitting.
///
/// Deserialising checks the rows as [`from_weighted`](Self::from_weighted) does (the JSON
/// form is the list of weighted rows).
///
/// ```
/// use crm_churn::{BgBbHistories, BgBbHistory};
/// let data = BgBbHistories::from_histories([
///     BgBbHistory::new(2, 5, 6)?,
///     BgBbHistory::new(0, 0, 6)?,
///     BgBbHistory::new(2, 5, 6)?,
/// ])?;
/// assert_eq!(data.rows().len(), 2);
/// assert_eq!(data.total_weight(), 3.0);
/// let json = serde_json::to_string(&data).unwrap();
/// assert_eq!(serde_json::from_str::<BgBbHistories>(&json).unwrap(), data);
/// assert!(serde_json::from_str::<BgBbHistories>("[]").is_err());
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "Vec<WeightedBgBbHistory>",
    into = "Vec<WeightedBgBbHistory>"
)]
pub struct BgBbHistories {
    rows: Vec<WeightedBgBbHistory>,
    total_weight: f64,
    repeat_weight: f64,
    max_n: u32,
}

impl BgBbHistories {
    /// Validates and compresses identical histories into weighted rows.
    ///
    /// # Errors
    /// The first invalid row's error (indexed in input order), or [`BgBbError::Empty`].
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbHistories, BgBbHistory};
    /// let bad = BgBbHistory { x: 4, t_x: 3, n: 6 }; // built field by field
    /// let rows = [BgBbHistory::new(0, 0, 6)?, bad];
    /// assert!(matches!(
    ///     BgBbHistories::from_histories(rows),
    ///     Err(BgBbError::FrequencyExceedsRecency { row: 1, .. })
    /// ));
    /// assert_eq!(BgBbHistories::from_histories([]), Err(BgBbError::Empty));
    /// # Ok::<(), BgBbError>(())
    /// ```
    pub fn from_histories<I: IntoIterator<Item = BgBbHistory>>(
        histories: I,
    ) -> Result<Self, BgBbError> {
        Self::from_weighted(histories.into_iter().map(|history| WeightedBgBbHistory {
            history,
            weight: 1.0,
        }))
    }

    /// Validates and compresses weighted rows (weights of equal histories add up).
    ///
    /// # Errors
    /// As [`from_histories`](Self::from_histories), plus [`BgBbError::BadWeight`] for a
    /// weight that is not finite and positive.
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbHistories, BgBbHistory, WeightedBgBbHistory};
    /// let h = BgBbHistory::new(1, 1, 6)?;
    /// let rows = [
    ///     WeightedBgBbHistory { history: h, weight: 1000.0 },
    ///     WeightedBgBbHistory { history: h, weight: 91.0 },
    /// ];
    /// assert_eq!(BgBbHistories::from_weighted(rows)?.rows(), [WeightedBgBbHistory { history: h, weight: 1091.0 }]);
    /// let negative = [WeightedBgBbHistory { history: h, weight: -1.0 }];
    /// assert_eq!(BgBbHistories::from_weighted(negative), Err(BgBbError::BadWeight { row: 0, weight: -1.0 }));
    /// # Ok::<(), BgBbError>(())
    /// ```
    pub fn from_weighted<I: IntoIterator<Item = WeightedBgBbHistory>>(
        rows: I,
    ) -> Result<Self, BgBbError> {
        // Distinct histories are few (at most (n + 1)(n + 2)/2 per n): a modest start.
        let mut out = merge_weighted(
            rows,
            1 << 10,
            |w: &WeightedBgBbHistory| w.history,
            |w, row| {
                w.history.validate(row)?;
                if w.weight.is_finite() && w.weight > 0.0 {
                    Ok(())
                } else {
                    Err(BgBbError::BadWeight {
                        row,
                        weight: w.weight,
                    })
                }
            },
            |w| &mut w.weight,
        )?;
        if out.is_empty() {
            return Err(BgBbError::Empty);
        }
        // Rows sharing (x, t_x) are adjacent, in ascending n: the likelihood extends one sum
        // over the dropout opportunities from each to the next.
        out.sort_unstable_by_key(|r| (r.history.x, r.history.t_x, r.history.n));
        let total_weight = out.iter().map(|r| r.weight).sum();
        let repeat_weight = out
            .iter()
            .filter(|r| r.history.x > 0)
            .map(|r| r.weight)
            .sum();
        let max_n = out.iter().map(|r| r.history.n).max().unwrap_or(0);
        Ok(Self {
            rows: out,
            total_weight,
            repeat_weight,
            max_n,
        })
    }

    /// The distinct rows, sorted by `(x, t_x, n)`.
    ///
    /// ```
    /// use crm_churn::{BgBbHistories, BgBbHistory};
    /// let data = BgBbHistories::from_histories([BgBbHistory::new(1, 3, 6)?, BgBbHistory::new(0, 0, 6)?])?;
    /// assert_eq!(data.rows()[0].history, BgBbHistory::new(0, 0, 6)?);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn rows(&self) -> &[WeightedBgBbHistory] {
        &self.rows
    }

    /// Number of customers represented (the sum of the weights).
    ///
    /// ```
    /// use crm_churn::{BgBbHistories, BgBbHistory};
    /// let data = BgBbHistories::from_histories([BgBbHistory::new(0, 0, 6)?; 4])?;
    /// assert_eq!(data.total_weight(), 4.0);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Number of customers with at least one repeat transaction.
    ///
    /// ```
    /// use crm_churn::{BgBbHistories, BgBbHistory};
    /// let data = BgBbHistories::from_histories([BgBbHistory::new(0, 0, 6)?, BgBbHistory::new(2, 2, 6)?])?;
    /// assert_eq!(data.repeat_weight(), 1.0);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn repeat_weight(&self) -> f64 {
        self.repeat_weight
    }

    /// The largest number of opportunities of any row.
    ///
    /// ```
    /// use crm_churn::{BgBbHistories, BgBbHistory};
    /// let data = BgBbHistories::from_histories([BgBbHistory::new(0, 0, 4)?, BgBbHistory::new(2, 2, 6)?])?;
    /// assert_eq!(data.max_n(), 6);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn max_n(&self) -> u32 {
        self.max_n
    }
}

impl TryFrom<Vec<WeightedBgBbHistory>> for BgBbHistories {
    type Error = BgBbError;
    fn try_from(rows: Vec<WeightedBgBbHistory>) -> Result<Self, BgBbError> {
        Self::from_weighted(rows)
    }
}

impl From<BgBbHistories> for Vec<WeightedBgBbHistory> {
    fn from(data: BgBbHistories) -> Self {
        data.rows
    }
}

/// BG/BB parameters (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a Discrete-Time
/// Noncontractual Setting"): while alive, a customer transacts at each opportunity with
/// probability `p ~ Beta(α, β)`; at the start of each opportunity a living customer drops out
/// for good with probability `θ ~ Beta(γ, δ)`. Customers are described by [`BgBbHistory`].
///
/// With `serde`, parameters read from a file are plain fields; check them with
/// [`BgBbParams::new`] or [`BgBbParams::validate`]:
///
/// ```
/// use crm_churn::BgBbParams;
/// let p: BgBbParams = serde_json::from_str(r#"{"alpha": 1.204, "beta": 0.75, "gamma": 0.657, "delta": 2.783}"#)?;
/// p.validate()?;
/// // The mean transaction probability of a living donor, α / (α + β).
/// assert!((p.alpha / (p.alpha + p.beta) - 0.616).abs() < 1e-3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgBbParams {
    /// First shape of the transaction-probability beta.
    pub alpha: f64,
    /// Second shape of the transaction-probability beta.
    pub beta: f64,
    /// First shape of the dropout-probability beta.
    pub gamma: f64,
    /// Second shape of the dropout-probability beta.
    pub delta: f64,
}

/// A fitted BG/BB model with its estimate and fit report.
///
/// ```
/// use crm_churn::{BgBbParams, FitOptions, simulate_bgbb};
/// use rand::SeedableRng;
/// let truth = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(11);
/// let data = simulate_bgbb(&truth, &[6; 3000], 0, &mut rng)?.weighted()?;
/// let fit = BgBbParams::fit(&data, &FitOptions::default())?;
/// assert_eq!(fit.mle.names, ["alpha", "beta", "gamma", "delta"]);
/// assert_eq!(fit.mle.params, [fit.params.alpha, fit.params.beta, fit.params.gamma, fit.params.delta]);
/// assert!(fit.mle.std_errors.is_some());
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgBbFit {
    /// The maximum-likelihood parameters.
    pub params: BgBbParams,
    /// Names, standard errors, covariance, report.
    pub mle: MleFit,
}

const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

impl BgBbParams {
    /// Validated parameters (all finite and strictly positive).
    ///
    /// # Errors
    /// [`BgBbError::Fit`] naming the first bad parameter.
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbParams, FitError};
    /// let err = BgBbParams::new(1.2, 0.75, -0.6, 2.8).unwrap_err();
    /// assert!(matches!(err, BgBbError::Fit(FitError::NonPositiveParameter { ref name, .. }) if name == "gamma"));
    /// ```
    pub fn new(alpha: f64, beta: f64, gamma: f64, delta: f64) -> Result<Self, BgBbError> {
        let p = Self {
            alpha,
            beta,
            gamma,
            delta,
        };
        p.validate()?;
        Ok(p)
    }

    /// Re-checks parameters built field by field or deserialised.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    ///
    /// ```
    /// use crm_churn::BgBbParams;
    /// assert!(BgBbParams { alpha: f64::NAN, beta: 1.0, gamma: 1.0, delta: 1.0 }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), BgBbError> {
        validate_all_positive(&NAMES, &self.as_array())?;
        Ok(())
    }

    fn as_array(&self) -> [f64; 4] {
        [self.alpha, self.beta, self.gamma, self.delta]
    }

    /// Maximum-likelihood fit on compressed histories, over the log-parameters from
    /// `α = β = γ = δ = 1`, within the default [`ParameterBounds`], with standard errors from
    /// the Hessian (see [`maximize_likelihood_within`]) and a warning for too few customers.
    ///
    /// # Errors
    /// [`BgBbError::NoRepeatTransactions`] when nobody transacted again; [`BgBbError::Fit`]
    /// when the optimiser fails.
    ///
    /// ```
    /// use crm_churn::{BgBbError, BgBbHistories, BgBbHistory, BgBbParams, FitOptions};
    /// let once = BgBbHistories::from_histories([BgBbHistory::new(0, 0, 6)?])?;
    /// assert_eq!(BgBbParams::fit(&once, &FitOptions::default()), Err(BgBbError::NoRepeatTransactions));
    /// # Ok::<(), BgBbError>(())
    /// ```
    pub fn fit(data: &BgBbHistories, options: &FitOptions) -> Result<BgBbFit, BgBbError> {
        if data.repeat_weight() <= 0.0 {
            return Err(BgBbError::NoRepeatTransactions);
        }
        let model = BgBbLikelihood { data };
        let mut mle = maximize_likelihood_within(
            &model,
            &NAMES,
            &[1.0; 4],
            options,
            &ParameterBounds::default(),
        )?;
        mle.warnings
            .extend(too_few_customers(data.total_weight(), NAMES.len()));
        let params = Self::new(mle.params[0], mle.params[1], mle.params[2], mle.params[3])?;
        Ok(BgBbFit { params, mle })
    }

    /// Log-likelihood of `data`: `Σ weight · ln L(x, t_x, n)`. Not a number when the
    /// parameters are not valid (see [`validate`](Self::validate)).
    ///
    /// ```
    /// use crm_churn::{BgBbHistories, BgBbHistory, BgBbParams};
    /// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
    /// // One opportunity, no transaction: dead at its start (E[θ]) or alive without one.
    /// let d = BgBbHistories::from_histories([BgBbHistory::new(0, 0, 1)?])?;
    /// let (e_theta, e_no): (f64, f64) = (0.65 / (0.65 + 2.8), 0.75 / (1.2 + 0.75));
    /// let expect = (e_theta + (1.0 - e_theta) * e_no).ln();
    /// assert!((m.log_likelihood(&d) - expect).abs() < 1e-12);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn log_likelihood(&self, data: &BgBbHistories) -> f64 {
        evaluate(data, &self.as_array(), None)
    }

    /// The likelihood of Fader, Hardie & Shang (2010): the probability of one particular
    /// purchase string with these statistics (not of all the strings that share them),
    ///
    /// `L(x, t_x, n) = B(α+x, β+n−x)/B(α, β) · B(γ, δ+n)/B(γ, δ)
    ///   + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α, β) · B(γ+1, δ+t_x+i)/B(γ, δ)`:
    ///
    /// alive through opportunity `n`, or alive through `t_x + i` and dead at the start of the
    /// next.
    ///
    /// # Errors
    /// An invalid history ([`BgBbHistory::validate`]) or parameters
    /// ([`validate`](Self::validate)).
    ///
    /// ```
    /// use crm_churn::{BgBbHistory, BgBbParams};
    /// let m = BgBbParams::new(1.2, 0.75, 0.65, 2.8)?;
    /// // All 2⁶ strings of six opportunities: C(t_x − 1, x − 1) strings per (x ≥ 1, t_x).
    /// let mut total = m.likelihood(&BgBbHistory::new(0, 0, 6)?)?;
    /// for t_x in 1..=6u32 {
    ///     for x in 1..=t_x {
    ///         let strings: f64 = (1..x).map(|k| f64::from(t_x - k) / f64::from(k)).product();
    ///         total += strings * m.likelihood(&BgBbHistory::new(x, t_x, 6)?)?;
    ///     }
    /// }
    /// assert!((total - 1.0).abs() < 1e-12);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn likelihood(&self, h: &BgBbHistory) -> Result<f64, BgBbError> {
        let row = self.row(h)?;
        finite("the likelihood", row.ln_l.exp())
    }

    /// Probability that a customer with this history is alive at opportunity `n + 1`
    /// (Fader, Hardie & Shang 2010):
    /// `B(α+x, β+n−x)/B(α, β) · B(γ, δ+n+1)/B(γ, δ) / L(x, t_x, n)`, that is, the
    /// probability of being alive through `n` given the history, times `(δ+n)/(γ+δ+n)`.
    ///
    /// # Errors
    /// As [`likelihood`](Self::likelihood).
    ///
    /// ```
    /// use crm_churn::{BgBbHistory, BgBbParams};
    /// let m = BgBbParams::new(1.204, 0.750, 0.657, 2.783)?;
    /// // Table 6 of the paper: P(alive in 2002) of donors last seen in 1995, 1999, 2001.
    /// let p = |x, t_x| m.p_alive(&BgBbHistory::new(x, t_x, 6).unwrap()).unwrap();
    /// assert_eq!((p(0, 0) * 100.0).round(), 11.0);
    /// assert_eq!((p(2, 4) * 100.0).round(), 59.0);
    /// assert_eq!((p(6, 6) * 100.0).round(), 93.0);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn p_alive(&self, h: &BgBbHistory) -> Result<f64, BgBbError> {
        let row = self.row(h)?;
        let n = f64::from(h.n);
        let next = (self.delta + n) / (self.gamma + self.delta + n);
        finite("P(alive)", (row.alive_share() * next).clamp(0.0, 1.0))
    }

    /// Expected number of transactions of a customer with this history in the next
    /// `periods` opportunities, `n + 1 ..= n + periods` (Fader, Hardie & Shang 2010):
    /// `B(α+x+1, β+n−x)/B(α, β) / L(x, t_x, n) · Σ_{s=1}^{periods} B(γ, δ+n+s)/B(γ, δ)`.
    ///
    /// # Errors
    /// As [`likelihood`](Self::likelihood), and [`BgBbError::HorizonTooLong`] beyond
    /// [`MAX_OPPORTUNITIES`](crate::BGBB_MAX_OPPORTUNITIES).
    ///
    /// ```
    /// use crm_churn::{BgBbHistory, BgBbParams};
    /// let m = BgBbParams::new(1.204, 0.750, 0.657, 2.783)?;
    /// let h = BgBbHistory::new(4, 6, 6)?;
    /// assert_eq!(m.expected_purchases(&h, 0)?, 0.0);
    /// let (one, five) = (m.expected_purchases(&h, 1)?, m.expected_purchases(&h, 5)?);
    /// assert!(0.0 < one && one < five && five < 5.0);
    /// // The first opportunity ahead: alive then, times the posterior mean of p.
    /// let posterior_p = (m.alpha + 4.0) / (m.alpha + m.beta + 6.0);
    /// assert!((one - m.p_alive(&h)? * posterior_p).abs() < 1e-12);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn expected_purchases(&self, h: &BgBbHistory, periods: u32) -> Result<f64, BgBbError> {
        check_horizon(periods)?;
        let row = self.row(h)?;
        if periods == 0 {
            return Ok(0.0);
        }
        let (x, n) = (f64::from(h.x), f64::from(h.n));
        let posterior_p = (self.alpha + x) / (self.alpha + self.beta + n);
        let survival = self.survival_sum(h.n, periods);
        finite(
            "the expected number of transactions",
            row.alive_share() * posterior_p * survival,
        )
    }

    /// Expected number of transactions of a new customer in their first `periods`
    /// opportunities (Fader, Hardie & Shang 2010):
    /// `α/(α+β) · Σ_{t=1}^{periods} B(γ, δ+t)/B(γ, δ)`, the sum of the paper's closed form
    /// `δ/(γ−1) · [1 − Γ(γ+δ) Γ(1+δ+n) / (Γ(γ+δ+n) Γ(1+δ))]` (which needs `γ ≠ 1`).
    ///
    /// # Errors
    /// Invalid parameters, [`BgBbError::HorizonTooLong`].
    ///
    /// ```
    /// use crm_churn::BgBbParams;
    /// let m = BgBbParams::new(1.204, 0.750, 0.657, 2.783)?;
    /// let (a, b, g, d) = (m.alpha, m.beta, m.gamma, m.delta);
    /// // Two opportunities: E[p] (E[1 − θ] + E[(1 − θ)²]).
    /// let two = a / (a + b) * (d / (g + d) + d * (d + 1.0) / ((g + d) * (g + d + 1.0)));
    /// assert!((m.expected_purchases_new_customer(2)? - two).abs() < 1e-12);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn expected_purchases_new_customer(&self, periods: u32) -> Result<f64, BgBbError> {
        self.validate()?;
        check_horizon(periods)?;
        let mean_p = self.alpha / (self.alpha + self.beta);
        finite(
            "the expected number of transactions",
            mean_p * self.survival_sum(0, periods),
        )
    }

    /// `P(X(n) = x)`: the probability that a new customer makes `x` transactions in their
    /// first `n` opportunities (Fader, Hardie & Shang 2010):
    /// `C(n, x) B(α+x, β+n−x)/B(α, β) · B(γ, δ+n)/B(γ, δ)
    ///  + Σ_{i=x}^{n−1} C(i, x) B(α+x, β+i−x)/B(α, β) · B(γ+1, δ+i)/B(γ, δ)`.
    /// Zero for `x > n`.
    ///
    /// # Errors
    /// Invalid parameters, [`BgBbError::HorizonTooLong`] for `n` beyond
    /// [`MAX_OPPORTUNITIES`](crate::BGBB_MAX_OPPORTUNITIES).
    ///
    /// ```
    /// use crm_churn::BgBbParams;
    /// let m = BgBbParams::new(1.204, 0.750, 0.657, 2.783)?;
    /// let probs: Vec<f64> = (0..=6).map(|x| m.purchase_count_probability(x, 6).unwrap()).collect();
    /// assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    /// // The paper's in-sample fit: of the 11,104 donors, 3,454.9 expected never to give
    /// // again at the unrounded estimates (3,455.8 at these rounded ones).
    /// assert!((probs[0] * 11_104.0 - 3454.9).abs() < 1.0);
    /// assert_eq!(m.purchase_count_probability(7, 6)?, 0.0);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn purchase_count_probability(&self, x: u32, n: u32) -> Result<f64, BgBbError> {
        self.validate()?;
        check_horizon(n)?;
        if x > n {
            return Ok(0.0);
        }
        let t = Tables::new(&self.as_array(), n as usize, false);
        let (xu, nu) = (x as usize, n as usize);
        let ln_binomial = |i: u32| statrs::function::factorial::ln_binomial(i.into(), x.into());
        let mut terms = Vec::with_capacity(nu - xu + 1);
        terms.push(ln_binomial(n) + t.ln_alive(xu, nu));
        for i in x..n {
            terms.push(ln_binomial(i) + t.ln_dropout(xu, i as usize));
        }
        let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = terms.iter().map(|l| (l - max).exp()).sum();
        finite("the probability", (max + sum.ln()).exp().clamp(0.0, 1.0))
    }

    /// Discounted expected residual transactions (DERT, Fader, Hardie & Shang 2010): the transactions
    /// of a customer with this history at opportunities `n + 1, n + 2, …` forever, the one at
    /// `n + s` discounted by `(1 + d)^s` (`discount_rate` `d` per opportunity):
    ///
    /// `DERT = B(α+x+1, β+n−x)/B(α, β) · B(γ, δ+n+1)/((1+d) B(γ, δ))
    ///         · ₂F₁(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / L(x, t_x, n)`.
    ///
    /// Multiply by the value of one transaction for the customer's residual value.
    ///
    /// # Errors
    /// As [`likelihood`](Self::likelihood); [`BgBbError::InvalidDiscountRate`] unless
    /// `discount_rate` is finite and positive; [`BgBbError::Unsupported`] when the
    /// hypergeometric series does not converge (a discount rate very close to zero).
    ///
    /// ```
    /// use crm_churn::{BgBbHistory, BgBbParams};
    /// let m = BgBbParams::new(1.204, 0.750, 0.657, 2.783)?;
    /// let h = BgBbHistory::new(6, 6, 6)?;
    /// let dert = m.discounted_expected_residual_transactions(&h, 0.10)?;
    /// // Term by term: the expected transactions of each opportunity ahead, discounted.
    /// let mut by_terms = 0.0;
    /// let mut before = 0.0;
    /// for s in 1..=400u32 {
    ///     let upto = m.expected_purchases(&h, s)?;
    ///     by_terms += (upto - before) / 1.1f64.powi(s as i32);
    ///     before = upto;
    /// }
    /// assert!((dert - by_terms).abs() < 1e-10);
    /// # Ok::<(), crm_churn::BgBbError>(())
    /// ```
    pub fn discounted_expected_residual_transactions(
        &self,
        h: &BgBbHistory,
        discount_rate: f64,
    ) -> Result<f64, BgBbError> {
        if !(discount_rate.is_finite() && discount_rate > 0.0) {
            return Err(BgBbError::InvalidDiscountRate {
                value: discount_rate,
            });
        }
        let row = self.row(h)?;
        let (x, n) = (f64::from(h.x), f64::from(h.n));
        let Self {
            alpha,
            beta,
            gamma,
            delta,
        } = *self;
        let z = 1.0 / (1.0 + discount_rate);
        let (b, c) = (delta + n + 1.0, gamma + delta + n + 1.0);
        let ln_f = ln_hyp2f1(1.0, b, c, z).ok_or_else(|| {
            BgBbError::Unsupported(format!(
                "the hypergeometric function 2F1(1, {b}; {c}; {z}) of the discounted expected \
                 residual transactions cannot be evaluated at discount rate {discount_rate}"
            ))
        })?;
        // Σ_{s≥1} z^s B(γ, δ+n+s)/B(γ, δ+n) = z (δ+n)/(γ+δ+n) ₂F₁(1, δ+n+1; γ+δ+n+1; z).
        let first = (delta + n) / (gamma + delta + n);
        let posterior_p = (alpha + x) / (alpha + beta + n);
        finite(
            "the discounted expected residual transactions",
            row.alive_share() * posterior_p * z * first * ln_f.exp(),
        )
    }

    /// The likelihood of one validated history at validated parameters.
    fn row(&self, h: &BgBbHistory) -> Result<Row, BgBbError> {
        self.validate()?;
        h.validate(0)?;
        let t = Tables::new(&self.as_array(), h.n as usize, false);
        let mut sum = DropoutSum::new(&t, h.x as usize, h.t_x as usize);
        sum.advance_to(&t, h.n as usize, false);
        let row = sum.row(&t, h.n as usize);
        if row.ln_l.is_finite() {
            Ok(row)
        } else {
            Err(BgBbError::Unsupported(format!(
                "the likelihood of the history {h:?} is not finite for the parameters {self:?}"
            )))
        }
    }

    /// `Σ_{s=1}^{periods} B(γ, δ+n+s)/B(γ, δ+n)`: the expected number of the next `periods`
    /// opportunities a customer alive at `n` lives to.
    fn survival_sum(&self, n: u32, periods: u32) -> f64 {
        let (g, d) = (self.gamma, self.delta);
        let mut k = f64::from(n);
        let (mut survival, mut sum) = (1.0, 0.0);
        for _ in 0..periods {
            survival *= (d + k) / (g + d + k);
            sum += survival;
            k += 1.0;
            if survival == 0.0 {
                break;
            }
        }
        sum
    }
}

fn check_horizon(periods: u32) -> Result<(), BgBbError> {
    if periods > MAX_OPPORTUNITIES {
        Err(BgBbError::HorizonTooLong {
            periods,
            max: MAX_OPPORTUNITIES,
        })
    } else {
        Ok(())
    }
}

fn finite(quantity: &str, value: f64) -> Result<f64, BgBbError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(BgBbError::Unsupported(format!(
            "{quantity} is not finite ({value}) for these parameters"
        )))
    }
}

/// The BG/BB log-likelihood of compressed histories, for the optimiser.
struct BgBbLikelihood<'a> {
    data: &'a BgBbHistories,
}

impl LogLikelihood for BgBbLikelihood<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        evaluate(self.data, &[p[0], p[1], p[2], p[3]], None)
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let mut g = [0.0; 4];
        let ll = evaluate(self.data, &[p[0], p[1], p[2], p[3]], Some(&mut g));
        grad.copy_from_slice(&g);
        ll
    }
}

/// `Σ_{k<j} ln(c+k)` and (optionally) `Σ_{k<j} 1/(c+k)` for `j = 0..=len`: the logarithm of
/// the rising factorial `(c)ⱼ = Γ(c+j)/Γ(c)` and its derivative in `c`.
struct Rising {
    ln: Vec<f64>,
    inv: Vec<f64>,
}

impl Rising {
    fn new(c: f64, len: usize, with_inv: bool) -> Self {
        let mut ln = Vec::with_capacity(len + 1);
        let mut inv = Vec::with_capacity(if with_inv { len + 1 } else { 0 });
        let (mut sl, mut si) = (0.0, 0.0);
        ln.push(sl);
        if with_inv {
            inv.push(si);
        }
        let mut v = c;
        for _ in 0..len {
            sl += v.ln();
            ln.push(sl);
            if with_inv {
                si += 1.0 / v;
                inv.push(si);
            }
            v += 1.0;
        }
        Self { ln, inv }
    }
}

/// The rising factorials of `α`, `β`, `α+β`, `δ` and `γ+δ` up to `n + 1` for one parameter
/// point: every beta-function ratio of the likelihood is a sum of their entries.
struct Tables {
    a: Rising,
    b: Rising,
    ab: Rising,
    d: Rising,
    gd: Rising,
    ln_gamma: f64,
    inv_gamma: f64,
}

impl Tables {
    /// Tables for histories with up to `max_n` opportunities.
    fn new(p: &[f64; 4], max_n: usize, with_inv: bool) -> Self {
        let [alpha, beta, gamma, delta] = *p;
        let len = max_n + 1;
        Self {
            a: Rising::new(alpha, len, with_inv),
            b: Rising::new(beta, len, with_inv),
            ab: Rising::new(alpha + beta, len, with_inv),
            d: Rising::new(delta, len, with_inv),
            gd: Rising::new(gamma + delta, len, with_inv),
            ln_gamma: gamma.ln(),
            inv_gamma: 1.0 / gamma,
        }
    }

    /// `ln [B(α+x, β+n−x)/B(α, β) · B(γ, δ+n)/B(γ, δ)]`: alive through `n`, transactions at
    /// `x` of the `n` opportunities.
    #[inline]
    fn ln_alive(&self, x: usize, n: usize) -> f64 {
        self.a.ln[x] + self.b.ln[n - x] - self.ab.ln[n] + self.d.ln[n] - self.gd.ln[n]
    }

    /// Its gradient in `(α, β, γ, δ)`.
    #[inline]
    fn d_alive(&self, x: usize, n: usize) -> [f64; 4] {
        [
            self.a.inv[x] - self.ab.inv[n],
            self.b.inv[n - x] - self.ab.inv[n],
            -self.gd.inv[n],
            self.d.inv[n] - self.gd.inv[n],
        ]
    }

    /// `ln [B(α+x, β+j−x)/B(α, β) · B(γ+1, δ+j)/B(γ, δ)]` (`x ≤ j`): alive through `j`, with
    /// transactions at `x` of those `j` opportunities, and dead at the start of `j + 1`.
    #[inline]
    fn ln_dropout(&self, x: usize, j: usize) -> f64 {
        self.a.ln[x] + self.b.ln[j - x] - self.ab.ln[j] + self.ln_gamma + self.d.ln[j]
            - self.gd.ln[j + 1]
    }

    /// Its gradient in `(α, β, γ, δ)`.
    #[inline]
    fn d_dropout(&self, x: usize, j: usize) -> [f64; 4] {
        [
            self.a.inv[x] - self.ab.inv[j],
            self.b.inv[j - x] - self.ab.inv[j],
            self.inv_gamma - self.gd.inv[j + 1],
            self.d.inv[j] - self.gd.inv[j + 1],
        ]
    }
}

/// The sum over the dropout opportunities `j = t_x, t_x + 1, …` of one `(x, t_x)`, scaled by
/// its first (and largest) term, extended as the rows of that `(x, t_x)` come in ascending
/// `n`.
struct DropoutSum {
    x: usize,
    next_j: usize,
    /// `ln` of the term at `j = t_x`: each term is at most this one (the ratio of consecutive
    /// terms, `(β+j−x)/(α+β+j) · (δ+j)/(γ+δ+j+1)`, is below one).
    ln_first: f64,
    /// `Σ exp(ln term − ln_first)`.
    sum: f64,
    /// `Σ exp(ln term − ln_first) · ∇ ln term`.
    grad: [f64; 4],
}

/// The likelihood of one row and the parts of it the predictions need.
struct Row {
    ln_l: f64,
    /// `ln` of the alive-through-`n` term.
    ln_alive: f64,
}

impl Row {
    /// The share of the likelihood in which the customer is alive through `n`: the
    /// posterior probability of being alive at opportunity `n`.
    fn alive_share(&self) -> f64 {
        (self.ln_alive - self.ln_l).exp().min(1.0)
    }
}

impl DropoutSum {
    fn new(t: &Tables, x: usize, t_x: usize) -> Self {
        Self {
            x,
            next_j: t_x,
            ln_first: t.ln_dropout(x, t_x),
            sum: 0.0,
            grad: [0.0; 4],
        }
    }

    /// Adds the terms `j < n` not yet in the sum.
    #[inline]
    fn advance_to(&mut self, t: &Tables, n: usize, want_grad: bool) {
        while self.next_j < n {
            let j = self.next_j;
            let e = (t.ln_dropout(self.x, j) - self.ln_first).exp();
            self.sum += e;
            if want_grad {
                let d = t.d_dropout(self.x, j);
                for (g, dk) in self.grad.iter_mut().zip(d) {
                    *g += e * dk;
                }
            }
            self.next_j += 1;
        }
    }

    /// `ln L` of the row with `n` opportunities (after [`advance_to`](Self::advance_to)`(n)`),
    /// and, when asked, its gradient added to `grad` with weight `w`.
    #[inline]
    fn row_with_gradient(&self, t: &Tables, n: usize, w: f64, grad: Option<&mut [f64; 4]>) -> Row {
        let ln_alive = t.ln_alive(self.x, n);
        if self.sum <= 0.0 {
            // t_x = n: alive through n is the only way.
            if let Some(g) = grad {
                for (gk, dk) in g.iter_mut().zip(t.d_alive(self.x, n)) {
                    *gk += w * dk;
                }
            }
            return Row {
                ln_l: ln_alive,
                ln_alive,
            };
        }
        let max = ln_alive.max(self.ln_first);
        let e_alive = (ln_alive - max).exp();
        let e_drop = (self.ln_first - max).exp();
        let total = e_alive + e_drop * self.sum;
        if let Some(g) = grad {
            let scale = w / total;
            for (k, (gk, dk)) in g.iter_mut().zip(t.d_alive(self.x, n)).enumerate() {
                *gk += scale * (e_alive * dk + e_drop * self.grad[k]);
            }
        }
        Row {
            ln_l: max + total.ln(),
            ln_alive,
        }
    }

    fn row(&self, t: &Tables, n: usize) -> Row {
        self.row_with_gradient(t, n, 0.0, None)
    }
}

/// `Σ weight · ln L` at `p = [α, β, γ, δ]`, and its gradient when `grad` is given. One pass
/// over the rows: each `(x, t_x)` group extends one [`DropoutSum`] through its ascending `n`.
fn evaluate(data: &BgBbHistories, p: &[f64; 4], grad: Option<&mut [f64; 4]>) -> f64 {
    if !p.iter().all(|v| v.is_finite() && *v > 0.0) {
        return f64::NAN;
    }
    let want_grad = grad.is_some();
    let t = Tables::new(p, data.max_n() as usize, want_grad);
    let mut ll = 0.0;
    let mut g = [0.0; 4];
    let rows = data.rows();
    let mut i = 0;
    while i < rows.len() {
        let head = rows[i].history;
        let mut sum = DropoutSum::new(&t, head.x as usize, head.t_x as usize);
        while i < rows.len() && rows[i].history.x == head.x && rows[i].history.t_x == head.t_x {
            let n = rows[i].history.n as usize;
            let w = rows[i].weight;
            sum.advance_to(&t, n, want_grad);
            let row = sum.row_with_gradient(&t, n, w, want_grad.then_some(&mut g));
            ll += w * row.ln_l;
            i += 1;
        }
    }
    if let Some(out) = grad {
        *out = g;
    }
    ll
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::beta::ln_beta;

    /// The likelihood of FHS (2010) term by term, with the beta function of `statrs`.
    fn direct(p: &BgBbParams, h: &BgBbHistory) -> f64 {
        let BgBbParams {
            alpha,
            beta,
            gamma,
            delta,
        } = *p;
        let (x, t_x, n) = (f64::from(h.x), f64::from(h.t_x), f64::from(h.n));
        let (bab, bgd) = (ln_beta(alpha, beta), ln_beta(gamma, delta));
        let mut l =
            (ln_beta(alpha + x, beta + n - x) - bab + ln_beta(gamma, delta + n) - bgd).exp();
        for i in 0..(h.n - h.t_x) {
            let i = f64::from(i);
            l += (ln_beta(alpha + x, beta + t_x - x + i) - bab
                + ln_beta(gamma + 1.0, delta + t_x + i)
                - bgd)
                .exp();
        }
        l.ln()
    }

    fn sample() -> BgBbHistories {
        let mut rows = Vec::new();
        for n in [1u32, 4, 6, 9] {
            rows.push(BgBbHistory::new(0, 0, n).unwrap());
            for t_x in 1..=n {
                for x in 1..=t_x {
                    rows.push(BgBbHistory::new(x, t_x, n).unwrap());
                }
            }
        }
        BgBbHistories::from_histories(rows).unwrap()
    }

    #[test]
    fn likelihood_matches_the_published_formula() {
        for p in [
            BgBbParams::new(1.204, 0.750, 0.657, 2.783).unwrap(),
            BgBbParams::new(0.3, 4.0, 2.5, 0.4).unwrap(),
        ] {
            let data = sample();
            let expect: f64 = data
                .rows()
                .iter()
                .map(|r| r.weight * direct(&p, &r.history))
                .sum();
            let got = p.log_likelihood(&data);
            assert!(
                (got - expect).abs() < 1e-11 * expect.abs(),
                "{got} {expect}"
            );
            for r in data.rows() {
                let l = p.likelihood(&r.history).unwrap();
                assert!((l.ln() - direct(&p, &r.history)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn analytic_gradient_matches_differences() {
        let data = sample();
        for p in [[1.204, 0.750, 0.657, 2.783], [0.3, 4.0, 2.5, 0.4]] {
            let mut g = [0.0; 4];
            evaluate(&data, &p, Some(&mut g));
            for i in 0..4 {
                let h = 1e-6 * p[i];
                let (mut up, mut dn) = (p, p);
                up[i] += h;
                dn[i] -= h;
                let num = (evaluate(&data, &up, None) - evaluate(&data, &dn, None)) / (2.0 * h);
                assert!(
                    (g[i] - num).abs() < 1e-6 * num.abs().max(1.0),
                    "{i}: {} vs {num}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn invalid_parameters_give_no_number_and_errors() {
        let data = sample();
        assert!(evaluate(&data, &[1.0, -1.0, 1.0, 1.0], None).is_nan());
        let bad = BgBbParams {
            alpha: 1.0,
            beta: 1.0,
            gamma: f64::INFINITY,
            delta: 1.0,
        };
        let h = BgBbHistory::new(1, 1, 2).unwrap();
        assert!(matches!(bad.p_alive(&h), Err(BgBbError::Fit(_))));
        assert!(matches!(
            bad.expected_purchases_new_customer(3),
            Err(BgBbError::Fit(_))
        ));
    }
}
