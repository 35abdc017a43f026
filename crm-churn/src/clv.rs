//! Customer lifetime value in a non-contractual setting: discounted expected purchases from a
//! fitted transaction model times expected spend per purchase from the Gamma-Gamma model.
//!
//! Following Fader, Hardie & Lee (2005) and the `lifetimes` library, the horizon is cut into
//! `horizon_periods` periods of `period_length` model time units (a month of 30 days by
//! default); the purchases expected in period `k` are discounted by `(1 + d)^k`:
//!
//! `CLV = E(M | x, z̄) · Σ_{k=1..H} [E(N(k L)) - E(N((k-1) L))] / (1 + d)^k`.
//!
//! Any transaction model plugs in through [`ExpectedPurchases`].
//!
//! ```
//! use crm_churn::{customer_lifetime_value, ClvConfig, ClvCustomer, ExpectedPurchases};
//! use crm_churn::GammaGammaParams;
//!
//! /// A customer who buys at a constant rate forever (for illustration).
//! struct ConstantRate(f64);
//! impl ExpectedPurchases for ConstantRate {
//!     type Error = std::convert::Infallible;
//!     fn expected_purchases(&self, t: f64, _x: u32, _t_x: f64, _age: f64) -> Result<f64, Self::Error> {
//!         Ok(self.0 * t)
//!     }
//! }
//!
//! let spend = GammaGammaParams::new(6.25, 3.74, 15.44)?;
//! let customer = ClvCustomer { frequency: 2, recency: 30.0, age: 38.0, mean_spend: 40.0 };
//! let config = ClvConfig { horizon_periods: 12, period_length: 4.0, discount_rate: 0.01 };
//! let value = customer_lifetime_value(&ConstantRate(0.25), &spend, &customer, &config)?;
//! // One purchase a period, discounted over 12 periods.
//! let annuity: f64 = (1..=12).map(|k| 1.01f64.powi(-k)).sum();
//! assert!((value.discounted_expected_purchases - annuity).abs() < 1e-12);
//! assert!((value.value - annuity * value.expected_average_spend).abs() < 1e-9);
//! # Ok::<(), crm_churn::ClvError>(())
//! ```

use crate::bgnbd::BgNbdParams;
use crate::gamma_gamma::{GammaGammaError, GammaGammaParams};
use crate::mbgnbd::MbgNbdParams;
use crate::pareto_nbd::ParetoNbdParams;
use crate::summary::{CustomerHistory, ModelError};
use serde::{Deserialize, Serialize};

/// Expected number of future purchases from a fitted transaction model. Implemented for
/// [`BgNbdParams`], [`MbgNbdParams`] and [`ParetoNbdParams`] (histories are validated with
/// [`CustomerHistory::new`]); any other model can implement it.
///
/// Implementors return `E[N(T, T + t] | x, t_x, T]`: the expected number of purchases in the
/// `t` time units after the end of the calibration period, for a customer with `x` repeat
/// purchases, the last one at `t_x` time units after their first, observed for `T` (`age`)
/// time units since their first purchase. All times are in the model's time unit. The value
/// must be finite, non-negative and non-decreasing in `t`, with 0 at `t = 0`.
///
/// ```
/// use crm_churn::ExpectedPurchases;
/// struct Never;
/// impl ExpectedPurchases for Never {
///     type Error = std::convert::Infallible;
///     fn expected_purchases(&self, _t: f64, _x: u32, _t_x: f64, _age: f64) -> Result<f64, Self::Error> {
///         Ok(0.0)
///     }
/// }
/// assert_eq!(Never.expected_purchases(10.0, 1, 2.0, 5.0), Ok(0.0));
/// ```
pub trait ExpectedPurchases {
    /// The model's error for bad customer histories.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Expected purchases in the next `t` time units given the history `(x, t_x, T)`.
    fn expected_purchases(&self, t: f64, x: u32, t_x: f64, age: f64) -> Result<f64, Self::Error>;
}

impl<M: ExpectedPurchases + ?Sized> ExpectedPurchases for &M {
    type Error = M::Error;
    fn expected_purchases(&self, t: f64, x: u32, t_x: f64, age: f64) -> Result<f64, Self::Error> {
        (**self).expected_purchases(t, x, t_x, age)
    }
}

/// Implements [`ExpectedPurchases`] for a buy-till-you-die model by validating the history
/// and calling the model's own conditional expectation.
macro_rules! expected_purchases_via_history {
    ($model:ty) => {
        impl ExpectedPurchases for $model {
            type Error = ModelError;
            fn expected_purchases(
                &self,
                t: f64,
                x: u32,
                t_x: f64,
                age: f64,
            ) -> Result<f64, ModelError> {
                let history = CustomerHistory::new(x, t_x, age)?;
                <$model>::expected_purchases(self, &history, t)
            }
        }
    };
}

expected_purchases_via_history!(BgNbdParams);
expected_purchases_via_history!(MbgNbdParams);
expected_purchases_via_history!(ParetoNbdParams);

/// Bad lifetime-value input.
///
/// ```
/// use crm_churn::{BgNbdParams, ClvConfig, ClvCustomer, ClvError, GammaGammaParams, customer_lifetime_value};
/// let purchases = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let spend = GammaGammaParams::new(6.25, 3.74, 15.44)?;
/// let config = ClvConfig { period_length: 4.0, ..ClvConfig::default() };
/// // Recency after the customer's age: the transaction model refuses the history.
/// let odd = ClvCustomer { frequency: 2, recency: 40.0, age: 30.0, mean_spend: 35.0 };
/// let err = customer_lifetime_value(&purchases, &spend, &odd, &config).unwrap_err();
/// assert!(matches!(err, ClvError::Purchases(_)));
/// let no_horizon = ClvConfig { horizon_periods: 0, ..config };
/// let ok = ClvCustomer { recency: 20.0, ..odd };
/// assert!(matches!(
///     customer_lifetime_value(&purchases, &spend, &ok, &no_horizon),
///     Err(ClvError::InvalidConfig { field: "horizon_periods", .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ClvError {
    /// A configuration value is out of range.
    #[error("CLV config `{field}` {requirement}, got {value}")]
    InvalidConfig {
        /// The field at fault.
        field: &'static str,
        /// What the field must satisfy.
        requirement: &'static str,
        /// The value given.
        value: f64,
    },
    /// The spend model rejected the customer or its parameters.
    #[error("expected spend: {0}")]
    Spend(#[from] GammaGammaError),
    /// The transaction model rejected the customer.
    #[error("expected purchases: {0}")]
    Purchases(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The transaction model returned a non-finite value, a negative value or a decrease.
    #[error(
        "the transaction model's cumulative expected purchases at period {period} is {value}, not finite and non-decreasing"
    )]
    InvalidPrediction {
        /// The period (1-based) at whose end the prediction is invalid.
        period: u32,
        /// The value returned.
        value: f64,
    },
}

/// Horizon and discounting of lifetime value.
///
/// ```
/// use crm_churn::ClvConfig;
/// let c = ClvConfig::default();
/// assert_eq!((c.horizon_periods, c.period_length, c.discount_rate), (12, 30.0, 0.01));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClvConfig {
    /// Number of discounting periods in the horizon (at least 1).
    pub horizon_periods: u32,
    /// Length of one period in the transaction model's time unit (default 30: a month for a
    /// model fitted in days; use `30.0 / 7.0` for a model in weeks).
    pub period_length: f64,
    /// Discount rate per period (default 1% a month), at least 0.
    pub discount_rate: f64,
}

impl Default for ClvConfig {
    fn default() -> Self {
        Self {
            horizon_periods: 12,
            period_length: 30.0,
            discount_rate: 0.01,
        }
    }
}

impl ClvConfig {
    /// Checks the horizon, period length and discount rate.
    ///
    /// ```
    /// use crm_churn::ClvConfig;
    /// assert!(ClvConfig { discount_rate: -0.5, ..ClvConfig::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ClvError> {
        if self.horizon_periods == 0 {
            return Err(ClvError::InvalidConfig {
                field: "horizon_periods",
                requirement: "must be at least 1",
                value: 0.0,
            });
        }
        if !(self.period_length.is_finite() && self.period_length > 0.0) {
            return Err(ClvError::InvalidConfig {
                field: "period_length",
                requirement: "must be finite and positive",
                value: self.period_length,
            });
        }
        if !(self.discount_rate.is_finite() && self.discount_rate >= 0.0) {
            return Err(ClvError::InvalidConfig {
                field: "discount_rate",
                requirement: "must be finite and non-negative",
                value: self.discount_rate,
            });
        }
        Ok(())
    }
}

/// What the models need to know about one customer.
///
/// ```
/// use crm_churn::ClvCustomer;
/// let c = ClvCustomer { frequency: 0, recency: 0.0, age: 10.0, mean_spend: 0.0 };
/// assert_eq!(c.frequency, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvCustomer {
    /// Repeat purchases `x` in the calibration period.
    pub frequency: u32,
    /// Recency `t_x`: time from the first to the last purchase.
    pub recency: f64,
    /// Age `T`: time from the first purchase to the end of the calibration period.
    pub age: f64,
    /// Mean value of the repeat purchases (ignored when `frequency == 0`).
    pub mean_spend: f64,
}

/// A customer's lifetime value and its two factors.
///
/// ```
/// use crm_churn::CustomerValue;
/// let v = CustomerValue { expected_average_spend: 20.0, discounted_expected_purchases: 1.5, value: 30.0 };
/// assert_eq!(v.value, v.expected_average_spend * v.discounted_expected_purchases);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerValue {
    /// Gamma-Gamma expected value per future purchase.
    pub expected_average_spend: f64,
    /// Expected purchases over the horizon, each period's discounted.
    pub discounted_expected_purchases: f64,
    /// Their product: the discounted expected value of the customer's purchases.
    pub value: f64,
}

/// Discounted expected purchases over the horizon:
/// `Σ_{k=1..H} [E(N(k L)) - E(N((k-1) L))] / (1 + d)^k`.
///
/// ```
/// use crm_churn::{discounted_expected_purchases, ClvConfig, ExpectedPurchases};
/// struct OnePerUnit;
/// impl ExpectedPurchases for OnePerUnit {
///     type Error = std::convert::Infallible;
///     fn expected_purchases(&self, t: f64, _: u32, _: f64, _: f64) -> Result<f64, Self::Error> { Ok(t) }
/// }
/// let config = ClvConfig { horizon_periods: 2, period_length: 1.0, discount_rate: 0.0 };
/// assert_eq!(discounted_expected_purchases(&OnePerUnit, 0, 0.0, 1.0, &config)?, 2.0);
/// # Ok::<(), crm_churn::ClvError>(())
/// ```
pub fn discounted_expected_purchases<M: ExpectedPurchases>(
    model: &M,
    frequency: u32,
    recency: f64,
    age: f64,
    config: &ClvConfig,
) -> Result<f64, ClvError> {
    config.validate()?;
    let factor = 1.0 / (1.0 + config.discount_rate);
    let mut previous = 0.0f64;
    let mut discount = 1.0;
    let mut total = 0.0;
    for period in 1..=config.horizon_periods {
        let t = config.period_length * f64::from(period);
        let cumulative = model
            .expected_purchases(t, frequency, recency, age)
            .map_err(|e| ClvError::Purchases(Box::new(e)))?;
        // Allow rounding noise of relative size 1e-12 in a non-decreasing prediction.
        if !cumulative.is_finite() || cumulative < previous - 1e-12 * previous.max(1.0) {
            return Err(ClvError::InvalidPrediction {
                period,
                value: cumulative,
            });
        }
        discount *= factor;
        total += (cumulative - previous).max(0.0) * discount;
        previous = cumulative.max(previous);
    }
    Ok(total)
}

/// Lifetime value of one customer: Gamma-Gamma expected spend times discounted expected
/// purchases from `model`.
///
/// Errors: invalid config, spend or parameters ([`ClvError::Spend`]), a history the model
/// rejects ([`ClvError::Purchases`]), or an invalid model prediction.
///
/// ```
/// use crm_churn::{customer_lifetime_value, ClvConfig, ClvError, ClvCustomer, ExpectedPurchases};
/// use crm_churn::GammaGammaParams;
/// struct Flat;
/// impl ExpectedPurchases for Flat {
///     type Error = std::convert::Infallible;
///     fn expected_purchases(&self, t: f64, _: u32, _: f64, _: f64) -> Result<f64, Self::Error> { Ok(t) }
/// }
/// let spend = GammaGammaParams::new(2.0, 3.0, 10.0)?;
/// let bad = ClvCustomer { frequency: 2, recency: 1.0, age: 2.0, mean_spend: -5.0 };
/// let err = customer_lifetime_value(&Flat, &spend, &bad, &ClvConfig::default());
/// assert!(matches!(err, Err(ClvError::Spend(_))));
/// # Ok::<(), ClvError>(())
/// ```
pub fn customer_lifetime_value<M: ExpectedPurchases>(
    model: &M,
    spend: &GammaGammaParams,
    customer: &ClvCustomer,
    config: &ClvConfig,
) -> Result<CustomerValue, ClvError> {
    let expected_average_spend =
        spend.conditional_expected_average_spend(customer.frequency, customer.mean_spend)?;
    let discounted = discounted_expected_purchases(
        model,
        customer.frequency,
        customer.recency,
        customer.age,
        config,
    )?;
    Ok(CustomerValue {
        expected_average_spend,
        discounted_expected_purchases: discounted,
        value: expected_average_spend * discounted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("bad history")]
    struct Rejects;

    struct Model(fn(f64) -> f64);
    impl ExpectedPurchases for Model {
        type Error = Rejects;
        fn expected_purchases(&self, t: f64, x: u32, _: f64, _: f64) -> Result<f64, Rejects> {
            if x > 100 {
                Err(Rejects)
            } else {
                Ok((self.0)(t))
            }
        }
    }

    #[test]
    fn geometric_discounting_closed_form() {
        // Constant rate λ per unit, L units a period: Σ λL/(1+d)^k = λL (1 - (1+d)^-H) / d.
        let (lambda, l, d, h) = (0.3, 2.5, 0.02, 24u32);
        let model = Model(|t| 0.3 * t);
        let config = ClvConfig {
            horizon_periods: h,
            period_length: l,
            discount_rate: d,
        };
        let got = discounted_expected_purchases(&model, 1, 1.0, 2.0, &config).unwrap();
        let expected = lambda * l * (1.0 - (1.0 + d).powi(-(h as i32))) / d;
        assert!((got - expected).abs() < 1e-12);
    }

    #[test]
    fn errors_are_typed() {
        let spend = GammaGammaParams::new(2.0, 3.0, 10.0).unwrap();
        let c = ClvCustomer {
            frequency: 101,
            recency: 1.0,
            age: 2.0,
            mean_spend: 5.0,
        };
        assert!(matches!(
            customer_lifetime_value(&Model(|t| t), &spend, &c, &ClvConfig::default()),
            Err(ClvError::Purchases(_))
        ));
        let c = ClvCustomer { frequency: 1, ..c };
        assert!(matches!(
            customer_lifetime_value(&Model(|_| f64::NAN), &spend, &c, &ClvConfig::default()),
            Err(ClvError::InvalidPrediction { period: 1, .. })
        ));
        assert!(matches!(
            customer_lifetime_value(&Model(|t| 10.0 - t), &spend, &c, &ClvConfig::default()),
            Err(ClvError::InvalidPrediction { .. })
        ));
        let config = ClvConfig {
            horizon_periods: 0,
            ..ClvConfig::default()
        };
        assert!(matches!(
            customer_lifetime_value(&Model(|t| t), &spend, &c, &config),
            Err(ClvError::InvalidConfig {
                field: "horizon_periods",
                ..
            })
        ));
        let msg = ClvError::InvalidConfig {
            field: "period_length",
            requirement: "must be finite and positive",
            value: -1.0,
        }
        .to_string();
        assert_eq!(
            msg,
            "CLV config `period_length` must be finite and positive, got -1"
        );
    }
}
