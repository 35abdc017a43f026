//! Shared statistics: confidence levels, intervals, proportion and mean estimates (the
//! formulas are on [`ProportionEstimate`] and [`MeanEstimate`]). All intervals are clamped to
//! the range the statistic can take.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::SatisfactionError;

/// A two-sided confidence level strictly between 0 and 1 (default 0.95).
///
/// ```
/// use crm_satisfaction::ConfidenceLevel;
///
/// let level = ConfidenceLevel::new(0.95).unwrap();
/// assert!((level.z() - 1.959964).abs() < 1e-6);
/// assert!(ConfidenceLevel::new(1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceLevel(f64);

impl ConfidenceLevel {
    /// Validates a level; it must lie strictly between 0 and 1.
    ///
    /// ```
    /// use crm_satisfaction::ConfidenceLevel;
    /// assert_eq!(ConfidenceLevel::new(0.9).unwrap().value(), 0.9);
    /// ```
    pub fn new(level: f64) -> Result<Self, SatisfactionError> {
        if level.is_finite() && level > 0.0 && level < 1.0 {
            Ok(Self(level))
        } else {
            Err(SatisfactionError::InvalidLevel(level))
        }
    }

    /// The level as a number, e.g. `0.95`.
    ///
    /// ```
    /// use crm_satisfaction::ConfidenceLevel;
    /// assert_eq!(ConfidenceLevel::default().value(), 0.95);
    /// ```
    pub fn value(self) -> f64 {
        self.0
    }

    /// The two-sided standard normal quantile `z` for this level (1.959964 for 0.95).
    ///
    /// ```
    /// use crm_satisfaction::ConfidenceLevel;
    /// assert!((ConfidenceLevel::new(0.90).unwrap().z() - 1.644854).abs() < 1e-6);
    /// ```
    pub fn z(self) -> f64 {
        standard_normal().inverse_cdf(0.5 + self.0 / 2.0)
    }

    /// The two-sided Student t quantile with `df` degrees of freedom (`df ≥ 1`).
    ///
    /// ```
    /// use crm_satisfaction::ConfidenceLevel;
    /// // Published table: t(0.975, 9) = 2.262.
    /// assert!((ConfidenceLevel::default().t(9.0) - 2.262157).abs() < 1e-5);
    /// ```
    pub fn t(self, df: f64) -> f64 {
        match StudentsT::new(0.0, 1.0, df.max(1.0)) {
            Ok(t) => t.inverse_cdf(0.5 + self.0 / 2.0),
            Err(_) => f64::INFINITY,
        }
    }
}

impl Default for ConfidenceLevel {
    fn default() -> Self {
        Self(0.95)
    }
}

/// Settings shared by every report: confidence level and the small-sample warning threshold.
///
/// ```
/// use crm_satisfaction::StatsConfig;
/// let config = StatsConfig::default();
/// assert_eq!(config.level.value(), 0.95);
/// assert_eq!(config.min_sample_size, 30);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatsConfig {
    /// Confidence level of every interval and the significance level `1 − level` of tests.
    pub level: ConfidenceLevel,
    /// Below this many responses a report carries the `small_sample` warning flag.
    pub min_sample_size: u64,
}

impl Default for StatsConfig {
    fn default() -> Self {
        Self {
            level: ConfidenceLevel::default(),
            min_sample_size: 30,
        }
    }
}

/// A closed interval `[lower, upper]`.
///
/// ```
/// use crm_satisfaction::Interval;
/// let i = Interval { lower: -1.0, upper: 2.0 };
/// assert!(i.contains(0.5));
/// assert_eq!(i.width(), 3.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    /// Whether `x` lies in the interval (bounds included, with a 1e-9 tolerance for rounding).
    ///
    /// ```
    /// use crm_satisfaction::Interval;
    /// assert!(!Interval { lower: 0.0, upper: 1.0 }.contains(1.5));
    /// ```
    pub fn contains(&self, x: f64) -> bool {
        self.lower - 1e-9 <= x && x <= self.upper + 1e-9
    }

    /// `upper − lower`.
    ///
    /// ```
    /// use crm_satisfaction::Interval;
    /// assert_eq!(Interval { lower: 1.0, upper: 1.0 }.width(), 0.0);
    /// ```
    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }

    pub(crate) fn around(centre: f64, half: f64, lo: f64, hi: f64) -> Self {
        Self {
            lower: (centre - half).clamp(lo, hi),
            upper: (centre + half).clamp(lo, hi),
        }
    }
}

/// A share of responses (e.g. promoters, satisfied) with its uncertainty.
///
/// With `z` the two-sided normal quantile for the level and `p = count / n`:
///
/// * **Wald**: `p ± z·sqrt(p(1−p)/n)`;
/// * **Wilson score** (better coverage for small `n` and shares near 0 or 1): centre
///   `(p + z²/2n) / (1 + z²/n)`, half-width `z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n)`. It
///   always contains `p`.
///
/// Both intervals are clamped to [0, 1].
///
/// ```
/// use crm_satisfaction::{ProportionEstimate, StatsConfig};
///
/// let p = ProportionEstimate::new(40, 100, &StatsConfig::default()).unwrap();
/// assert_eq!(p.share, 0.4);
/// assert!((p.standard_error - 0.04898979).abs() < 1e-8);
/// assert!(p.wilson.contains(0.4));
/// assert!(ProportionEstimate::new(0, 0, &StatsConfig::default()).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProportionEstimate {
    /// Responses in the category.
    pub count: u64,
    /// All responses.
    pub n: u64,
    /// `count / n`.
    pub share: f64,
    /// Wald standard error `sqrt(share(1 − share)/n)`.
    pub standard_error: f64,
    /// Wald interval, clamped to [0, 1].
    pub wald: Interval,
    /// Wilson score interval (formula above).
    pub wilson: Interval,
}

impl ProportionEstimate {
    /// The estimate for `count` of `n`; `None` when `n == 0` (no share is defined) or
    /// `count > n`.
    ///
    /// ```
    /// use crm_satisfaction::{ProportionEstimate, StatsConfig};
    /// let p = ProportionEstimate::new(1, 1, &StatsConfig::default()).unwrap();
    /// assert_eq!((p.wald.lower, p.wald.upper), (1.0, 1.0));
    /// assert!(p.wilson.lower < 0.5);
    /// ```
    pub fn new(count: u64, n: u64, config: &StatsConfig) -> Option<Self> {
        if n == 0 || count > n {
            return None;
        }
        let z = config.level.z();
        let nf = n as f64;
        let p = count as f64 / nf;
        let se = (p * (1.0 - p) / nf).sqrt();
        let z2 = z * z;
        let denom = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denom;
        let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
        let mut wilson = Interval::around(centre, half, 0.0, 1.0);
        // Guard the exact endpoints against rounding so the interval always holds `p`.
        if count == 0 {
            wilson.lower = 0.0;
        }
        if count == n {
            wilson.upper = 1.0;
        }
        Some(Self {
            count,
            n,
            share: p,
            standard_error: se,
            wald: Interval::around(p, z * se, 0.0, 1.0),
            wilson,
        })
    }
}

/// A mean score with its uncertainty.
///
/// With `m` the mean, `s` the sample standard deviation (divisor `n − 1`) and `z` the
/// two-sided normal quantile for the level:
///
/// * **Wald**: `m ± z·s/sqrt(n)`;
/// * **Student t**: `m ± t(n−1)·s/sqrt(n)`, the small-sample interval for means.
///
/// Both intervals are clamped to the scale.
///
/// ```
/// use crm_satisfaction::{MeanEstimate, StatsConfig};
///
/// // Scores 1, 2, 3 (one each): mean 2, sample sd 1.
/// let m = MeanEstimate::from_counts(&[(1, 1), (2, 1), (3, 1)], 1.0, 5.0, &StatsConfig::default())
///     .unwrap();
/// assert_eq!(m.mean, 2.0);
/// assert_eq!(m.std_dev, 1.0);
/// assert!((m.student_t.upper - (2.0 + 4.302653 / 3f64.sqrt())).abs() < 1e-5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanEstimate {
    /// Responses.
    pub n: u64,
    /// Mean score.
    pub mean: f64,
    /// Sample standard deviation (divisor `n − 1`; 0 when `n == 1`).
    pub std_dev: f64,
    /// Standard error `std_dev / sqrt(n)`.
    pub standard_error: f64,
    /// Normal (Wald) interval, clamped to the scale.
    pub wald: Interval,
    /// Student t interval with `n − 1` degrees of freedom, clamped to the scale
    /// (equal to the mean when `n == 1`, where no spread can be estimated).
    pub student_t: Interval,
}

impl MeanEstimate {
    /// The estimate from `(score, count)` pairs on a scale `[lo, hi]`; `None` when there are
    /// no responses. Sums are exact integers, so the mean does not depend on the order.
    ///
    /// ```
    /// use crm_satisfaction::{MeanEstimate, StatsConfig};
    /// assert!(MeanEstimate::from_counts(&[(4, 0)], 1.0, 5.0, &StatsConfig::default()).is_none());
    /// ```
    pub fn from_counts(
        counts: &[(u8, u64)],
        lo: f64,
        hi: f64,
        config: &StatsConfig,
    ) -> Option<Self> {
        let n: u64 = counts.iter().map(|&(_, c)| c).sum();
        if n == 0 {
            return None;
        }
        let sum: u128 = counts
            .iter()
            .map(|&(s, c)| u128::from(s) * u128::from(c))
            .sum();
        let sum_sq: u128 = counts
            .iter()
            .map(|&(s, c)| u128::from(s) * u128::from(s) * u128::from(c))
            .sum();
        let nf = n as f64;
        let mean = sum as f64 / nf;
        // n·Σx² − (Σx)² is exact in integers.
        let centred = (u128::from(n) * sum_sq - sum * sum) as f64;
        let var = if n > 1 {
            centred / (nf * (nf - 1.0))
        } else {
            0.0
        };
        let sd = var.sqrt();
        let se = sd / nf.sqrt();
        let z = config.level.z();
        let t = if n > 1 { config.level.t(nf - 1.0) } else { 0.0 };
        Some(Self {
            n,
            mean,
            std_dev: sd,
            standard_error: se,
            wald: Interval::around(mean, z * se, lo, hi),
            student_t: Interval::around(mean, t * se, lo, hi),
        })
    }
}

pub(crate) fn standard_normal() -> Normal {
    // Parameters are constant and valid.
    Normal::standard()
}

/// Two-sided p-value of a standard normal statistic.
pub(crate) fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    (2.0 * standard_normal().sf(z.abs())).min(1.0)
}
