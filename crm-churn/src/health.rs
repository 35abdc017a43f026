//! An explainable churn health score.
//!
//! The score combines plain, already-aggregated signals about one customer into churn-risk
//! points between 0 (no sign of risk) and 100 (every signal at its worst). Each signal is a
//! *factor*: it is mapped to a risk level in `0..=1` by a configurable piecewise-linear
//! [`Ramp`], multiplied by its configurable weight, and the weights of the factors that are
//! available for the customer are normalised to sum to 100 points. The result lists every
//! factor's contribution, so a person can see why a customer is at risk, and sorts the
//! customer into a [`RiskBand`].
//!
//! Invariants (checked by property tests):
//! - the score is in `0..=100`;
//! - the contributions sum to the score;
//! - with the same factors available, the score never decreases when any single risk signal
//!   gets worse (longer relative recency, fewer recent purchases, lower P(alive), more open or
//!   SLA-breached tickets, a detractor or low-CSAT flag, fewer recent interactions).
//!
//! ```
//! use crm_churn::{HealthConfig, HealthInputs, RiskBand, health_score};
//!
//! let inputs = HealthInputs {
//!     periods_since_last_purchase: Some(90.0),
//!     typical_purchase_gap: Some(20.0),
//!     purchases_recent: Some(1),
//!     purchases_previous: Some(4),
//!     p_alive: Some(0.2),
//!     open_tickets: 3,
//!     sla_breached_tickets: 1,
//!     recent_detractor: true,
//!     recent_low_csat: false,
//!     interactions_recent: Some(2),
//!     interactions_previous: Some(10),
//! };
//! let score = health_score(&inputs, &HealthConfig::default())?;
//! assert_eq!(score.band, RiskBand::High);
//! let total: f64 = score.contributions.iter().map(|c| c.points).sum();
//! assert!((total - score.score).abs() < 1e-9);
//! # Ok::<(), crm_churn::HealthError>(())
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// A bad health-score input or configuration. Every variant names the field at fault.
///
/// ```
/// use crm_churn::{HealthConfig, HealthError, HealthInputs, health_score};
/// let config = HealthConfig::default();
/// let bad = HealthInputs { p_alive: Some(1.5), ..HealthInputs::default() };
/// assert_eq!(health_score(&bad, &config), Err(HealthError::InvalidProbability { value: 1.5 }));
/// let bad = HealthInputs { periods_since_last_purchase: Some(-3.0), typical_purchase_gap: Some(30.0), ..HealthInputs::default() };
/// assert!(matches!(health_score(&bad, &config), Err(HealthError::InvalidInput { field: "periods_since_last_purchase", .. })));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HealthError {
    /// An input value is negative, NaN or infinite.
    #[error("health input `{field}` must be a finite non-negative number, got {value}")]
    InvalidInput {
        /// The input field at fault.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// P(alive) outside `0..=1`.
    #[error("health input `p_alive` must be a probability in 0..=1, got {value}")]
    InvalidProbability {
        /// The value given.
        value: f64,
    },
    /// A typical purchase gap of zero (recency relative to it is undefined).
    #[error("health input `typical_purchase_gap` must be positive, got {value}")]
    NonPositiveGap {
        /// The value given.
        value: f64,
    },
    /// A factor weight is negative, NaN or infinite.
    #[error("health config weight `{factor}` must be finite and non-negative, got {value}")]
    InvalidWeight {
        /// The factor whose weight is at fault.
        factor: Factor,
        /// The value given.
        value: f64,
    },
    /// A ramp whose `start` is not finite, or whose `full` is not finite and above `start`.
    #[error(
        "health config ramp `{factor}` needs finite start < full, got start = {start}, full = {full}"
    )]
    InvalidRamp {
        /// The factor whose ramp is at fault.
        factor: Factor,
        /// The ramp start given.
        start: f64,
        /// The ramp end given.
        full: f64,
    },
    /// Band thresholds not finite or not ordered `0 <= medium <= high <= 100`.
    #[error(
        "health config band thresholds need 0 <= medium <= high <= 100, got medium = {medium}, high = {high}"
    )]
    InvalidBands {
        /// The medium-risk threshold given.
        medium: f64,
        /// The high-risk threshold given.
        high: f64,
    },
    /// No factor with a positive weight is available for this customer.
    #[error("no health factor with a positive weight is available for this customer")]
    NoFactorAvailable,
}

/// One signal that feeds the health score.
///
/// ```
/// use crm_churn::{Factor, HealthConfig, HealthInputs, health_score};
/// let inputs = HealthInputs { recent_detractor: true, ..HealthInputs::default() };
/// let score = health_score(&inputs, &HealthConfig::default())?;
/// let detractor = score.contributions.iter().find(|c| c.factor == Factor::Detractor).unwrap();
/// assert!(detractor.available && detractor.risk == 1.0);
/// // Without purchase data the recency factor is left out, not counted as zero risk.
/// let recency = score.contributions.iter().find(|c| c.factor == Factor::Recency).unwrap();
/// assert!(!recency.available);
/// # Ok::<(), crm_churn::HealthError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Time since the last purchase divided by the customer's typical gap between purchases.
    Recency,
    /// Relative decline of purchases in the recent period against the one before.
    FrequencyTrend,
    /// One minus P(alive) from a fitted customer-base model.
    PAlive,
    /// Number of open support tickets.
    OpenTickets,
    /// Number of support tickets that breached their SLA.
    SlaBreaches,
    /// A recent NPS answer in the detractor range (0..=6).
    Detractor,
    /// A recent low CSAT answer.
    LowCsat,
    /// Relative decline of interactions in the recent period against the one before.
    InteractionDecline,
}

impl Factor {
    /// Every factor, in the order the contributions are listed.
    ///
    /// ```
    /// use crm_churn::Factor;
    /// assert_eq!(Factor::ALL.len(), 8);
    /// ```
    pub const ALL: [Factor; 8] = [
        Factor::Recency,
        Factor::FrequencyTrend,
        Factor::PAlive,
        Factor::OpenTickets,
        Factor::SlaBreaches,
        Factor::Detractor,
        Factor::LowCsat,
        Factor::InteractionDecline,
    ];

    /// The factor's `snake_case` name, as used in configuration files.
    ///
    /// ```
    /// use crm_churn::Factor;
    /// assert_eq!(Factor::SlaBreaches.name(), "sla_breaches");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Factor::Recency => "recency",
            Factor::FrequencyTrend => "frequency_trend",
            Factor::PAlive => "p_alive",
            Factor::OpenTickets => "open_tickets",
            Factor::SlaBreaches => "sla_breaches",
            Factor::Detractor => "detractor",
            Factor::LowCsat => "low_csat",
            Factor::InteractionDecline => "interaction_decline",
        }
    }
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A piecewise-linear map from a raw signal to a risk level in `0..=1`: zero at or below
/// `start`, one at or above `full`, linear in between.
///
/// ```
/// use crm_churn::Ramp;
/// let ramp = Ramp { start: 1.0, full: 3.0 };
/// assert_eq!(ramp.risk(0.5), 0.0);
/// assert_eq!(ramp.risk(2.0), 0.5);
/// assert_eq!(ramp.risk(9.0), 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ramp {
    /// The signal value at which risk starts to rise above zero.
    pub start: f64,
    /// The signal value at which risk reaches one.
    pub full: f64,
}

impl Ramp {
    /// The risk level of a signal value; non-decreasing in `value`.
    ///
    /// ```
    /// use crm_churn::Ramp;
    /// assert_eq!(Ramp { start: 0.0, full: 4.0 }.risk(1.0), 0.25);
    /// ```
    pub fn risk(&self, value: f64) -> f64 {
        ((value - self.start) / (self.full - self.start)).clamp(0.0, 1.0)
    }

    fn validate(&self, factor: Factor) -> Result<(), HealthError> {
        if self.start.is_finite() && self.full.is_finite() && self.start < self.full {
            Ok(())
        } else {
            Err(HealthError::InvalidRamp {
                factor,
                start: self.start,
                full: self.full,
            })
        }
    }
}

/// The relative weight of each factor. Only ratios matter: the weights of the factors
/// available for a customer are normalised to sum to 100 points.
///
/// ```
/// use crm_churn::{Factor, HealthWeights};
/// let w = HealthWeights::default();
/// assert_eq!(w.get(Factor::Recency), 25.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthWeights {
    /// Weight of [`Factor::Recency`].
    pub recency: f64,
    /// Weight of [`Factor::FrequencyTrend`].
    pub frequency_trend: f64,
    /// Weight of [`Factor::PAlive`].
    pub p_alive: f64,
    /// Weight of [`Factor::OpenTickets`].
    pub open_tickets: f64,
    /// Weight of [`Factor::SlaBreaches`].
    pub sla_breaches: f64,
    /// Weight of [`Factor::Detractor`].
    pub detractor: f64,
    /// Weight of [`Factor::LowCsat`].
    pub low_csat: f64,
    /// Weight of [`Factor::InteractionDecline`].
    pub interaction_decline: f64,
}

impl Default for HealthWeights {
    fn default() -> Self {
        Self {
            recency: 25.0,
            frequency_trend: 15.0,
            p_alive: 20.0,
            open_tickets: 8.0,
            sla_breaches: 10.0,
            detractor: 8.0,
            low_csat: 6.0,
            interaction_decline: 8.0,
        }
    }
}

impl HealthWeights {
    /// The weight of one factor.
    ///
    /// ```
    /// use crm_churn::{Factor, HealthWeights};
    /// assert_eq!(HealthWeights::default().get(Factor::PAlive), 20.0);
    /// ```
    pub fn get(&self, factor: Factor) -> f64 {
        match factor {
            Factor::Recency => self.recency,
            Factor::FrequencyTrend => self.frequency_trend,
            Factor::PAlive => self.p_alive,
            Factor::OpenTickets => self.open_tickets,
            Factor::SlaBreaches => self.sla_breaches,
            Factor::Detractor => self.detractor,
            Factor::LowCsat => self.low_csat,
            Factor::InteractionDecline => self.interaction_decline,
        }
    }
}

/// The ramps that turn raw signals into risk levels.
///
/// ```
/// use crm_churn::HealthThresholds;
/// let t = HealthThresholds::default();
/// assert_eq!(t.recency_ratio.risk(1.0), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthThresholds {
    /// Ramp over `periods_since_last_purchase / typical_purchase_gap`.
    pub recency_ratio: Ramp,
    /// Ramp over the relative purchase decline `1 - recent / previous` (negative for growth).
    pub frequency_decline: Ramp,
    /// Ramp over `1 - p_alive`.
    pub p_dead: Ramp,
    /// Ramp over the number of open tickets.
    pub open_tickets: Ramp,
    /// Ramp over the number of SLA-breached tickets.
    pub sla_breaches: Ramp,
    /// Ramp over the relative interaction decline `1 - recent / previous`.
    pub interaction_decline: Ramp,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        Self {
            recency_ratio: Ramp {
                start: 1.5,
                full: 4.0,
            },
            frequency_decline: Ramp {
                start: 0.0,
                full: 0.75,
            },
            p_dead: Ramp {
                start: 0.2,
                full: 0.9,
            },
            open_tickets: Ramp {
                start: 0.0,
                full: 5.0,
            },
            sla_breaches: Ramp {
                start: 0.0,
                full: 2.0,
            },
            interaction_decline: Ramp {
                start: 0.0,
                full: 0.75,
            },
        }
    }
}

/// Score thresholds of the risk bands: `score < medium` is [`RiskBand::Low`],
/// `medium <= score < high` is [`RiskBand::Medium`], `score >= high` is [`RiskBand::High`].
///
/// ```
/// use crm_churn::{BandThresholds, RiskBand};
/// let b = BandThresholds::default();
/// assert_eq!(b.band(10.0), RiskBand::Low);
/// assert_eq!(b.band(50.0), RiskBand::Medium);
/// assert_eq!(b.band(80.0), RiskBand::High);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BandThresholds {
    /// Lowest score of the medium band.
    pub medium: f64,
    /// Lowest score of the high band.
    pub high: f64,
}

impl Default for BandThresholds {
    fn default() -> Self {
        Self {
            medium: 35.0,
            high: 60.0,
        }
    }
}

impl BandThresholds {
    /// The band of a score.
    ///
    /// ```
    /// use crm_churn::{BandThresholds, RiskBand};
    /// assert_eq!(BandThresholds { medium: 20.0, high: 40.0 }.band(40.0), RiskBand::High);
    /// ```
    pub fn band(&self, score: f64) -> RiskBand {
        if score >= self.high {
            RiskBand::High
        } else if score >= self.medium {
            RiskBand::Medium
        } else {
            RiskBand::Low
        }
    }
}

/// Weights, ramps and band thresholds of the health score. Deserialises from partial
/// configuration: missing fields take their defaults.
///
/// ```
/// use crm_churn::HealthConfig;
/// let config: HealthConfig = serde_json::from_str(r#"{"weights": {"p_alive": 0.0}}"#).unwrap();
/// assert_eq!(config.weights.p_alive, 0.0);
/// assert_eq!(config.weights.recency, 25.0);
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthConfig {
    /// Relative factor weights.
    pub weights: HealthWeights,
    /// Ramps from raw signals to risk levels.
    pub thresholds: HealthThresholds,
    /// Risk band thresholds on the 0..=100 score.
    pub bands: BandThresholds,
}

impl HealthConfig {
    /// Checks every weight, ramp and band threshold.
    ///
    /// ```
    /// use crm_churn::{HealthConfig, HealthError};
    /// let mut config = HealthConfig::default();
    /// config.weights.recency = -1.0;
    /// assert!(matches!(config.validate(), Err(HealthError::InvalidWeight { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), HealthError> {
        for factor in Factor::ALL {
            let value = self.weights.get(factor);
            if !(value.is_finite() && value >= 0.0) {
                return Err(HealthError::InvalidWeight { factor, value });
            }
        }
        let t = &self.thresholds;
        t.recency_ratio.validate(Factor::Recency)?;
        t.frequency_decline.validate(Factor::FrequencyTrend)?;
        t.p_dead.validate(Factor::PAlive)?;
        t.open_tickets.validate(Factor::OpenTickets)?;
        t.sla_breaches.validate(Factor::SlaBreaches)?;
        t.interaction_decline.validate(Factor::InteractionDecline)?;
        let BandThresholds { medium, high } = self.bands;
        if !(medium.is_finite()
            && high.is_finite()
            && 0.0 <= medium
            && medium <= high
            && high <= 100.0)
        {
            return Err(HealthError::InvalidBands { medium, high });
        }
        Ok(())
    }
}

/// The signals about one customer. Optional signals that are `None` make their factor
/// unavailable; the remaining weights are renormalised.
///
/// ```
/// use crm_churn::HealthInputs;
/// let inputs = HealthInputs { open_tickets: 2, ..HealthInputs::default() };
/// assert_eq!(inputs.p_alive, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthInputs {
    /// Time since the last purchase, in the same unit as `typical_purchase_gap`.
    pub periods_since_last_purchase: Option<f64>,
    /// The customer's typical time between purchases (for example the median gap); `None`
    /// for customers with fewer than two purchases. Recency needs both values.
    pub typical_purchase_gap: Option<f64>,
    /// Purchases in the recent comparison period.
    pub purchases_recent: Option<u32>,
    /// Purchases in the period before it; the trend factor needs a positive count here.
    pub purchases_previous: Option<u32>,
    /// P(alive) from a fitted customer-base model, in `0..=1`.
    pub p_alive: Option<f64>,
    /// Open support tickets (always available; zero is no risk).
    pub open_tickets: u32,
    /// Support tickets that breached their SLA (always available; zero is no risk).
    pub sla_breached_tickets: u32,
    /// A recent NPS answer in the detractor range.
    pub recent_detractor: bool,
    /// A recent low CSAT answer.
    pub recent_low_csat: bool,
    /// Interactions (contacts, logins, opened messages) in the recent comparison period.
    pub interactions_recent: Option<u32>,
    /// Interactions in the period before it; the decline factor needs a positive count here.
    pub interactions_previous: Option<u32>,
}

/// One factor's share of the score.
///
/// ```
/// use crm_churn::{health_score, Factor, HealthConfig, HealthInputs};
/// let s = health_score(&HealthInputs { open_tickets: 5, ..Default::default() }, &HealthConfig::default())?;
/// let tickets = s.contributions.iter().find(|c| c.factor == Factor::OpenTickets).unwrap();
/// assert_eq!(tickets.risk, 1.0);
/// # Ok::<(), crm_churn::HealthError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FactorContribution {
    /// The factor.
    pub factor: Factor,
    /// Whether the customer's inputs made this factor available.
    pub available: bool,
    /// The raw signal the ramp was applied to (`None` when unavailable, `1`/`0` for flags).
    pub signal: Option<f64>,
    /// The factor's risk level in `0..=1` (0 when unavailable).
    pub risk: f64,
    /// The most points this factor can add for this customer (its normalised weight).
    pub max_points: f64,
    /// The points this factor adds to the score: `risk * max_points`.
    pub points: f64,
}

/// Risk band of a score.
///
/// ```
/// use crm_churn::RiskBand;
/// assert!(RiskBand::Low < RiskBand::High);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskBand {
    /// Below the medium threshold.
    Low,
    /// Between the medium and high thresholds.
    Medium,
    /// At or above the high threshold.
    High,
}

/// The explained churn-risk score of one customer.
///
/// ```
/// use crm_churn::{health_score, HealthConfig, HealthInputs, RiskBand};
/// let s = health_score(&HealthInputs::default(), &HealthConfig::default())?;
/// assert_eq!((s.score, s.band), (0.0, RiskBand::Low));
/// # Ok::<(), crm_churn::HealthError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthScore {
    /// Churn-risk points in `0..=100`; higher means more at risk.
    pub score: f64,
    /// The band of the score.
    pub band: RiskBand,
    /// Every factor in [`Factor::ALL`] order, available or not.
    pub contributions: Vec<FactorContribution>,
}

impl HealthScore {
    /// The available factors that add points, largest first: the reasons for the score.
    ///
    /// ```
    /// use crm_churn::{health_score, Factor, HealthConfig, HealthInputs};
    /// let inputs = HealthInputs { sla_breached_tickets: 2, recent_low_csat: true, ..Default::default() };
    /// let s = health_score(&inputs, &HealthConfig::default())?;
    /// let reasons: Vec<Factor> = s.reasons().iter().map(|c| c.factor).collect();
    /// assert_eq!(reasons, [Factor::SlaBreaches, Factor::LowCsat]);
    /// # Ok::<(), crm_churn::HealthError>(())
    /// ```
    pub fn reasons(&self) -> Vec<FactorContribution> {
        let mut out: Vec<FactorContribution> = self
            .contributions
            .iter()
            .filter(|c| c.points > 0.0)
            .copied()
            .collect();
        out.sort_by(|a, b| b.points.total_cmp(&a.points).then(a.factor.cmp(&b.factor)));
        out
    }
}

fn check_non_negative(field: &'static str, value: f64) -> Result<f64, HealthError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(HealthError::InvalidInput { field, value })
    }
}

/// Relative decline `1 - recent / previous`; `None` when there is no positive baseline.
fn decline(recent: Option<u32>, previous: Option<u32>) -> Option<f64> {
    match (recent, previous) {
        (Some(recent), Some(previous)) if previous > 0 => {
            Some(1.0 - f64::from(recent) / f64::from(previous))
        }
        _ => None,
    }
}

/// Scores one customer.
///
/// Errors: an invalid configuration ([`HealthConfig::validate`]), a negative or non-finite
/// time, a zero typical gap, P(alive) outside `0..=1`, or no available factor with a
/// positive weight.
///
/// ```
/// use crm_churn::{health_score, HealthConfig, HealthInputs, RiskBand};
/// let healthy = HealthInputs {
///     periods_since_last_purchase: Some(10.0),
///     typical_purchase_gap: Some(30.0),
///     purchases_recent: Some(5),
///     purchases_previous: Some(4),
///     p_alive: Some(0.95),
///     ..HealthInputs::default()
/// };
/// let s = health_score(&healthy, &HealthConfig::default())?;
/// assert_eq!(s.band, RiskBand::Low);
/// # Ok::<(), crm_churn::HealthError>(())
/// ```
pub fn health_score(
    inputs: &HealthInputs,
    config: &HealthConfig,
) -> Result<HealthScore, HealthError> {
    config.validate()?;
    let t = &config.thresholds;

    let since = inputs
        .periods_since_last_purchase
        .map(|v| check_non_negative("periods_since_last_purchase", v))
        .transpose()?;
    let gap = inputs
        .typical_purchase_gap
        .map(|v| check_non_negative("typical_purchase_gap", v))
        .transpose()?;
    if let Some(value) = gap.filter(|g| *g == 0.0) {
        return Err(HealthError::NonPositiveGap { value });
    }
    let recency_signal = since.zip(gap).map(|(s, g)| s / g);
    let p_dead_signal = match inputs.p_alive {
        Some(p) if !(0.0..=1.0).contains(&p) => {
            return Err(HealthError::InvalidProbability { value: p });
        }
        Some(p) => Some(1.0 - p),
        None => None,
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };

    // (factor, signal, risk) for every factor in Factor::ALL order.
    let raw: [(Factor, Option<f64>, f64); 8] = {
        let ramp = |signal: Option<f64>, r: &Ramp| signal.map_or(0.0, |s| r.risk(s));
        let freq = decline(inputs.purchases_recent, inputs.purchases_previous);
        let inter = decline(inputs.interactions_recent, inputs.interactions_previous);
        let open = Some(f64::from(inputs.open_tickets));
        let sla = Some(f64::from(inputs.sla_breached_tickets));
        [
            (
                Factor::Recency,
                recency_signal,
                ramp(recency_signal, &t.recency_ratio),
            ),
            (
                Factor::FrequencyTrend,
                freq,
                ramp(freq, &t.frequency_decline),
            ),
            (
                Factor::PAlive,
                p_dead_signal,
                ramp(p_dead_signal, &t.p_dead),
            ),
            (Factor::OpenTickets, open, ramp(open, &t.open_tickets)),
            (Factor::SlaBreaches, sla, ramp(sla, &t.sla_breaches)),
            (
                Factor::Detractor,
                Some(flag(inputs.recent_detractor)),
                flag(inputs.recent_detractor),
            ),
            (
                Factor::LowCsat,
                Some(flag(inputs.recent_low_csat)),
                flag(inputs.recent_low_csat),
            ),
            (
                Factor::InteractionDecline,
                inter,
                ramp(inter, &t.interaction_decline),
            ),
        ]
    };

    let total_weight: f64 = raw
        .iter()
        .filter(|(_, signal, _)| signal.is_some())
        .map(|(factor, _, _)| config.weights.get(*factor))
        .sum();
    if total_weight <= 0.0 {
        return Err(HealthError::NoFactorAvailable);
    }

    let contributions: Vec<FactorContribution> = raw
        .iter()
        .map(|&(factor, signal, risk)| {
            let available = signal.is_some();
            let max_points = if available {
                100.0 * config.weights.get(factor) / total_weight
            } else {
                0.0
            };
            FactorContribution {
                factor,
                available,
                signal,
                risk,
                max_points,
                points: risk * max_points,
            }
        })
        .collect();
    // Each term is at most its normalised weight, so the sum exceeds 100 by rounding only.
    let score = contributions
        .iter()
        .map(|c| c.points)
        .sum::<f64>()
        .min(100.0);
    Ok(HealthScore {
        score,
        band: config.bands.band(score),
        contributions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worst() -> HealthInputs {
        HealthInputs {
            periods_since_last_purchase: Some(100.0),
            typical_purchase_gap: Some(10.0),
            purchases_recent: Some(0),
            purchases_previous: Some(5),
            p_alive: Some(0.0),
            open_tickets: 10,
            sla_breached_tickets: 10,
            recent_detractor: true,
            recent_low_csat: true,
            interactions_recent: Some(0),
            interactions_previous: Some(3),
        }
    }

    #[test]
    fn all_signals_at_worst_score_100() {
        let s = health_score(&worst(), &HealthConfig::default()).unwrap();
        assert!((s.score - 100.0).abs() < 1e-9);
        assert_eq!(s.band, RiskBand::High);
    }

    #[test]
    fn hand_computed_partial_score() {
        // Only the always-available factors plus recency: weights 25 + 8 + 10 + 8 + 6 = 57.
        let inputs = HealthInputs {
            periods_since_last_purchase: Some(27.5),
            typical_purchase_gap: Some(10.0), // ratio 2.75 -> risk (2.75 - 1.5) / 2.5 = 0.5
            open_tickets: 1,                  // risk 1/5 = 0.2
            ..HealthInputs::default()
        };
        let s = health_score(&inputs, &HealthConfig::default()).unwrap();
        let expected = 100.0 * (25.0 * 0.5 + 8.0 * 0.2) / 57.0;
        assert!(
            (s.score - expected).abs() < 1e-12,
            "{} vs {expected}",
            s.score
        );
        assert_eq!(s.band, RiskBand::Low);
        let p_alive = &s.contributions[2];
        assert!(!p_alive.available);
        assert_eq!(p_alive.points, 0.0);
    }

    #[test]
    fn growth_is_no_risk() {
        let inputs = HealthInputs {
            purchases_recent: Some(10),
            purchases_previous: Some(2),
            ..HealthInputs::default()
        };
        let s = health_score(&inputs, &HealthConfig::default()).unwrap();
        assert_eq!(s.contributions[1].risk, 0.0);
        assert_eq!(s.contributions[1].signal, Some(-4.0));
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        let c = HealthConfig::default();
        let bad_p = HealthInputs {
            p_alive: Some(1.5),
            ..Default::default()
        };
        assert_eq!(
            health_score(&bad_p, &c),
            Err(HealthError::InvalidProbability { value: 1.5 })
        );
        let nan_p = HealthInputs {
            p_alive: Some(f64::NAN),
            ..Default::default()
        };
        assert!(matches!(
            health_score(&nan_p, &c),
            Err(HealthError::InvalidProbability { .. })
        ));
        let neg = HealthInputs {
            periods_since_last_purchase: Some(-1.0),
            ..Default::default()
        };
        assert!(matches!(
            health_score(&neg, &c),
            Err(HealthError::InvalidInput {
                field: "periods_since_last_purchase",
                ..
            })
        ));
        let zero_gap = HealthInputs {
            periods_since_last_purchase: Some(1.0),
            typical_purchase_gap: Some(0.0),
            ..Default::default()
        };
        assert!(matches!(
            health_score(&zero_gap, &c),
            Err(HealthError::NonPositiveGap { .. })
        ));
        let zero_weights = HealthConfig {
            weights: HealthWeights {
                recency: 0.0,
                frequency_trend: 0.0,
                p_alive: 0.0,
                open_tickets: 0.0,
                sla_breaches: 0.0,
                detractor: 0.0,
                low_csat: 0.0,
                interaction_decline: 0.0,
            },
            ..HealthConfig::default()
        };
        assert_eq!(
            health_score(&worst(), &zero_weights),
            Err(HealthError::NoFactorAvailable)
        );
        let mut bad_ramp = HealthConfig::default();
        bad_ramp.thresholds.p_dead = Ramp {
            start: 0.5,
            full: 0.5,
        };
        assert!(matches!(
            health_score(&worst(), &bad_ramp),
            Err(HealthError::InvalidRamp {
                factor: Factor::PAlive,
                ..
            })
        ));
        let mut bad_bands = HealthConfig::default();
        bad_bands.bands.medium = 70.0;
        bad_bands.bands.high = 50.0;
        assert!(matches!(
            bad_bands.validate(),
            Err(HealthError::InvalidBands { .. })
        ));
    }

    #[test]
    fn config_round_trips_through_json() {
        let c = HealthConfig::default();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<HealthConfig>(&json).unwrap(), c);
        assert_eq!(serde_json::from_str::<HealthConfig>("{}").unwrap(), c);
    }
}
