//! The statistics of campaign results: Wilson intervals for rates, the two-proportion
//! z-test and Welch's t-test for uplift, mergeable moments and sample sizes.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::CampaignError;

/// A closed interval `[lower, upper]`.
///
/// ```
/// use crm_engagement::Interval;
/// let i = Interval { lower: -0.5, upper: 1.5 };
/// assert!(i.contains(0.0) && !i.contains(2.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

impl Interval {
    /// Whether `x` lies in the interval (bounds included).
    ///
    /// ```
    /// use crm_engagement::Interval;
    /// assert!(Interval { lower: 0.0, upper: 1.0 }.contains(1.0));
    /// ```
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// A two-sided confidence level strictly between 0 and 1; 0.95 by default.
///
/// ```
/// use crm_engagement::ConfidenceLevel;
/// let level = ConfidenceLevel::new(0.95)?;
/// assert!((level.z() - 1.959964).abs() < 1e-6);
/// assert!(ConfidenceLevel::new(1.0).is_err());
/// # Ok::<(), crm_engagement::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct ConfidenceLevel(f64);

impl ConfidenceLevel {
    /// A level; it must lie strictly between 0 and 1.
    ///
    /// ```
    /// use crm_engagement::ConfidenceLevel;
    /// assert_eq!(ConfidenceLevel::new(0.9)?.value(), 0.9);
    /// # Ok::<(), crm_engagement::CampaignError>(())
    /// ```
    pub fn new(level: f64) -> Result<Self, CampaignError> {
        if level.is_finite() && level > 0.0 && level < 1.0 {
            Ok(Self(level))
        } else {
            Err(CampaignError::InvalidParameter {
                parameter: "confidence level",
                value: level,
                expected: "strictly between 0 and 1",
            })
        }
    }

    /// The level as a number.
    ///
    /// ```
    /// use crm_engagement::ConfidenceLevel;
    /// assert_eq!(ConfidenceLevel::default().value(), 0.95);
    /// ```
    pub fn value(self) -> f64 {
        self.0
    }

    /// The two-sided standard normal quantile (1.959964 for 0.95).
    ///
    /// ```
    /// use crm_engagement::ConfidenceLevel;
    /// assert!((ConfidenceLevel::new(0.90)?.z() - 1.644854).abs() < 1e-6);
    /// # Ok::<(), crm_engagement::CampaignError>(())
    /// ```
    pub fn z(self) -> f64 {
        Normal::standard().inverse_cdf(0.5 + self.0 / 2.0)
    }
}

impl Default for ConfidenceLevel {
    fn default() -> Self {
        Self(0.95)
    }
}

impl TryFrom<f64> for ConfidenceLevel {
    type Error = CampaignError;

    fn try_from(level: f64) -> Result<Self, Self::Error> {
        Self::new(level)
    }
}

impl From<ConfidenceLevel> for f64 {
    fn from(level: ConfidenceLevel) -> f64 {
        level.0
    }
}

/// A rate (`count` of `n`) with its Wilson score interval.
///
/// With `p = count / n` and `z` the two-sided normal quantile of the level, the interval
/// has centre `(p + z²/2n) / (1 + z²/n)` and half-width
/// `z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n)`; it always lies in `[0, 1]` and holds `p`.
///
/// ```
/// use crm_engagement::{ConfidenceLevel, Proportion};
/// // 12 of 50 at 95 %: z² = 3.8415, centre 0.2587, half-width 0.1156.
/// let p = Proportion::new(12, 50, ConfidenceLevel::default()).unwrap();
/// assert_eq!(p.rate, 0.24);
/// assert!((p.wilson.lower - 0.142_974).abs() < 1e-6 && (p.wilson.upper - 0.374_127).abs() < 1e-6);
/// assert!(Proportion::new(0, 0, ConfidenceLevel::default()).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    /// Customers with the event.
    pub count: u64,
    /// Customers.
    pub n: u64,
    /// `count / n`.
    pub rate: f64,
    /// The Wilson score interval.
    pub wilson: Interval,
}

impl Proportion {
    /// The rate of `count` in `n`; `None` when `n` is zero or `count > n`.
    ///
    /// ```
    /// use crm_engagement::{ConfidenceLevel, Proportion};
    /// let p = Proportion::new(0, 10, ConfidenceLevel::default()).unwrap();
    /// assert_eq!(p.wilson.lower, 0.0);
    /// ```
    pub fn new(count: u64, n: u64, level: ConfidenceLevel) -> Option<Self> {
        if n == 0 || count > n {
            return None;
        }
        let z = level.z();
        let nf = n as f64;
        let p = count as f64 / nf;
        let z2 = z * z;
        let denominator = 1.0 + z2 / nf;
        let centre = (p + z2 / (2.0 * nf)) / denominator;
        let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denominator;
        let mut wilson = Interval {
            lower: (centre - half).clamp(0.0, 1.0),
            upper: (centre + half).clamp(0.0, 1.0),
        };
        if count == 0 {
            wilson.lower = 0.0;
        }
        if count == n {
            wilson.upper = 1.0;
        }
        Some(Self {
            count,
            n,
            rate: p,
            wilson,
        })
    }
}

/// The difference of two rates, treatment minus holdout, with its test.
///
/// * `difference = p₁ − p₂`;
/// * `interval`: the unpooled (Wald) interval `difference ± z·sqrt(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂)`;
/// * `z`: the two-proportion z statistic with the pooled rate `p = (x₁ + x₂)/(n₁ + n₂)`,
///   `z = (p₁ − p₂) / sqrt(p(1−p)(1/n₁ + 1/n₂))`, and its two-sided `p_value` (0 when
///   both groups have the same rate of 0 or 1: `z` is then 0 and `p_value` 1).
///
/// ```
/// use crm_engagement::{ConfidenceLevel, RateUplift};
/// // 60 of 500 against 40 of 500: pooled p = 0.1, z = 0.04 / sqrt(0.09 · 0.004) = 2.108.
/// let u = RateUplift::new((60, 500), (40, 500), ConfidenceLevel::default()).unwrap();
/// assert!((u.difference - 0.04).abs() < 1e-12);
/// assert!((u.z - 2.108185).abs() < 1e-6);
/// assert!((u.p_value - 0.035015).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateUplift {
    /// `p₁ − p₂`.
    pub difference: f64,
    /// The unpooled confidence interval of the difference.
    pub interval: Interval,
    /// The pooled z statistic.
    pub z: f64,
    /// Its two-sided p-value.
    pub p_value: f64,
}

impl RateUplift {
    /// The uplift from `(count, n)` of the treatment and of the holdout; `None` when a
    /// group is empty or a count exceeds its `n`.
    ///
    /// ```
    /// use crm_engagement::{ConfidenceLevel, RateUplift};
    /// assert!(RateUplift::new((1, 10), (0, 0), ConfidenceLevel::default()).is_none());
    /// ```
    pub fn new(treatment: (u64, u64), holdout: (u64, u64), level: ConfidenceLevel) -> Option<Self> {
        let ((x1, n1), (x2, n2)) = (treatment, holdout);
        if n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2 {
            return None;
        }
        let (n1f, n2f) = (n1 as f64, n2 as f64);
        let (p1, p2) = (x1 as f64 / n1f, x2 as f64 / n2f);
        let difference = p1 - p2;
        let se = (p1 * (1.0 - p1) / n1f + p2 * (1.0 - p2) / n2f).sqrt();
        let half = level.z() * se;
        let pooled = (x1 as f64 + x2 as f64) / (n1f + n2f);
        let pooled_se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
        let z = if pooled_se > 0.0 {
            difference / pooled_se
        } else {
            0.0
        };
        Some(Self {
            difference,
            interval: Interval {
                lower: difference - half,
                upper: difference + half,
            },
            z,
            p_value: two_sided_normal_p(z),
        })
    }
}

/// Running count, mean and sum of squared deviations of a sample (Welford), mergeable
/// with Chan's formula, in `f64`: used only for variances; money totals are kept exactly
/// beside it.
///
/// ```
/// use crm_engagement::Moments;
/// let mut a = Moments::default();
/// for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] { a.push(x); }
/// assert_eq!(a.mean(), Some(5.0));
/// assert!((a.variance().unwrap() - 32.0 / 7.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Moments {
    /// Observations.
    pub n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Adds one observation.
    ///
    /// ```
    /// use crm_engagement::Moments;
    /// let mut m = Moments::default();
    /// m.push(3.0);
    /// assert_eq!((m.n, m.mean(), m.variance()), (1, Some(3.0), None));
    /// ```
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Adds every observation of `other` (Chan et al.'s parallel update).
    ///
    /// ```
    /// use crm_engagement::Moments;
    /// let (mut a, mut b, mut all) = (Moments::default(), Moments::default(), Moments::default());
    /// for x in [1.0, 2.0] { a.push(x); all.push(x); }
    /// for x in [3.0, 10.0] { b.push(x); all.push(x); }
    /// a.merge(&b);
    /// assert!((a.variance().unwrap() - all.variance().unwrap()).abs() < 1e-12);
    /// ```
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let (na, nb, nf) = (self.n as f64, other.n as f64, n as f64);
        let delta = other.mean - self.mean;
        self.mean += delta * nb / nf;
        self.m2 += other.m2 + delta * delta * na * nb / nf;
        self.n = n;
    }

    /// The mean, `None` without observations.
    ///
    /// ```
    /// use crm_engagement::Moments;
    /// assert_eq!(Moments::default().mean(), None);
    /// ```
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// The sample variance (divisor `n − 1`), `None` below two observations.
    ///
    /// ```
    /// use crm_engagement::Moments;
    /// let mut m = Moments::default();
    /// m.push(1.0);
    /// m.push(3.0);
    /// assert_eq!(m.variance(), Some(2.0));
    /// ```
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).max(0.0))
    }
}

/// The difference of two means, treatment minus holdout, with Welch's t-test.
///
/// With sample variances `s₁², s₂²`: standard error `se = sqrt(s₁²/n₁ + s₂²/n₂)`,
/// `t = (m₁ − m₂)/se`, Welch–Satterthwaite degrees of freedom
/// `df = se⁴ / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1))`, two-sided p-value from Student's t
/// with `df`, and the interval `difference ± t(df)·se`.
///
/// ```
/// use crm_engagement::{ConfidenceLevel, MeanUplift, Moments};
/// let sample = |xs: &[f64]| { let mut m = Moments::default(); xs.iter().for_each(|x| m.push(*x)); m };
/// // Means 20 and 16, variances 8 and 4, six observations each:
/// // se = sqrt(8/6 + 4/6) = √2, t = 4/√2 = 2.8284, df = 2² / ((4/3)²/5 + (2/3)²/5) = 9.
/// let a = sample(&[16.0, 18.0, 20.0, 20.0, 22.0, 24.0]);
/// let b = sample(&[13.0, 15.0, 16.0, 16.0, 17.0, 19.0]);
/// let u = MeanUplift::new(&a, &b, ConfidenceLevel::default()).unwrap();
/// assert_eq!(u.difference, 4.0);
/// assert!((u.t - 2.828_427).abs() < 1e-6);
/// assert!((u.df - 9.0).abs() < 1e-9);
/// assert!((u.p_value - 0.019_773).abs() < 1e-6); // t table: 2·P(T₉ > 2.8284)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanUplift {
    /// `m₁ − m₂`.
    pub difference: f64,
    /// The Welch confidence interval of the difference.
    pub interval: Interval,
    /// Welch's t statistic.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

impl MeanUplift {
    /// The uplift from the two samples' moments; `None` when a group has fewer than two
    /// observations or both have no spread.
    ///
    /// ```
    /// use crm_engagement::{ConfidenceLevel, MeanUplift, Moments};
    /// assert!(MeanUplift::new(&Moments::default(), &Moments::default(), ConfidenceLevel::default()).is_none());
    /// ```
    pub fn new(treatment: &Moments, holdout: &Moments, level: ConfidenceLevel) -> Option<Self> {
        let (v1, v2) = (treatment.variance()?, holdout.variance()?);
        let (n1, n2) = (treatment.n as f64, holdout.n as f64);
        let (a, b) = (v1 / n1, v2 / n2);
        let se2 = a + b;
        if !(se2 > 0.0 && se2.is_finite()) {
            return None;
        }
        let se = se2.sqrt();
        let difference = treatment.mean - holdout.mean;
        let t = difference / se;
        let df = se2 * se2 / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
        let dist = StudentsT::new(0.0, 1.0, df).ok()?;
        let p_value = (2.0 * dist.sf(t.abs())).min(1.0);
        let half = dist.inverse_cdf(0.5 + level.value() / 2.0) * se;
        Some(Self {
            difference,
            interval: Interval {
                lower: difference - half,
                upper: difference + half,
            },
            t,
            df,
            p_value,
        })
    }
}

/// The smallest effect a campaign test should detect.
///
/// ```
/// use crm_engagement::DetectableEffect;
/// let e = DetectableEffect::Rates { holdout: 0.10, treatment: 0.12 };
/// // h = 2·asin(√0.12) − 2·asin(√0.10)
/// assert!((e.effect_size().unwrap() - 0.063_982).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectableEffect {
    /// Rates (response, conversion): the expected holdout rate and the treatment rate to
    /// detect. The effect size is Cohen's `h = 2·asin(√p₁) − 2·asin(√p₂)`.
    Rates {
        /// The holdout's rate.
        holdout: f64,
        /// The treatment's rate.
        treatment: f64,
    },
    /// Means (revenue per customer): the difference to detect and the standard deviation
    /// per customer. The effect size is `difference / std_dev`.
    Means {
        /// The difference in means.
        difference: f64,
        /// The standard deviation per customer.
        std_dev: f64,
    },
}

impl DetectableEffect {
    /// The standardized effect size (see the variants), or an error naming the bad input.
    ///
    /// ```
    /// use crm_engagement::DetectableEffect;
    /// assert_eq!(DetectableEffect::Means { difference: 5.0, std_dev: 10.0 }.effect_size()?, 0.5);
    /// assert!(DetectableEffect::Rates { holdout: 0.1, treatment: 1.5 }.effect_size().is_err());
    /// # Ok::<(), crm_engagement::CampaignError>(())
    /// ```
    pub fn effect_size(&self) -> Result<f64, CampaignError> {
        let size = match *self {
            DetectableEffect::Rates { holdout, treatment } => {
                for (parameter, value) in [("holdout rate", holdout), ("treatment rate", treatment)]
                {
                    if !(0.0..=1.0).contains(&value) {
                        return Err(CampaignError::InvalidParameter {
                            parameter,
                            value,
                            expected: "in [0, 1]",
                        });
                    }
                }
                2.0 * treatment.sqrt().asin() - 2.0 * holdout.sqrt().asin()
            }
            DetectableEffect::Means {
                difference,
                std_dev,
            } => {
                if !(std_dev.is_finite() && std_dev > 0.0) {
                    return Err(CampaignError::InvalidParameter {
                        parameter: "standard deviation",
                        value: std_dev,
                        expected: "finite and positive",
                    });
                }
                difference / std_dev
            }
        };
        if !(size.is_finite() && size != 0.0) {
            return Err(CampaignError::InvalidParameter {
                parameter: "effect size",
                value: size,
                expected: "finite and not zero",
            });
        }
        Ok(size)
    }
}

/// How many customers each group needs.
///
/// ```
/// use crm_engagement::{DetectableEffect, SampleSize, sample_size_per_group};
/// let s = sample_size_per_group(DetectableEffect::Means { difference: 1.0, std_dev: 2.0 }, 0.05, 0.8)?;
/// assert_eq!(s.per_group, 63); // 2 · ((1.96 + 0.8416) / 0.5)² = 62.79
/// # Ok::<(), crm_engagement::CampaignError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleSize {
    /// The standardized effect size.
    pub effect_size: f64,
    /// The exact solution of the power equation.
    pub exact: f64,
    /// Customers per group: `exact` rounded up.
    pub per_group: u64,
}

/// Customers needed per group (treatment and holdout of equal size) to detect `effect`
/// with a two-sided test at significance `alpha` with probability `power`.
///
/// With `d` the effect size (Cohen's `h` for rates, `difference / std_dev` for means) and
/// `z_q` the standard normal quantiles, `n = 2·((z_{1−α/2} + z_{power}) / d)²` (the normal
/// approximation that ignores the far tail).
///
/// ```
/// use crm_engagement::{DetectableEffect, sample_size_per_group};
/// // Cohen (1988), table 6.4.1: h = 0.2 at α = 0.05 two-sided and power 0.8 needs 392.
/// let h = DetectableEffect::Rates { holdout: 0.5, treatment: (0.5f64.sqrt().asin() + 0.1).sin().powi(2) };
/// assert_eq!(sample_size_per_group(h, 0.05, 0.8)?.per_group, 393);
/// assert!((sample_size_per_group(h, 0.05, 0.8)?.exact - 392.4).abs() < 0.1);
/// # Ok::<(), crm_engagement::CampaignError>(())
/// ```
pub fn sample_size_per_group(
    effect: DetectableEffect,
    alpha: f64,
    power: f64,
) -> Result<SampleSize, CampaignError> {
    for (parameter, value) in [("alpha", alpha), ("power", power)] {
        if !(value.is_finite() && value > 0.0 && value < 1.0) {
            return Err(CampaignError::InvalidParameter {
                parameter,
                value,
                expected: "strictly between 0 and 1",
            });
        }
    }
    let d = effect.effect_size()?;
    let normal = Normal::standard();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power);
    let exact = 2.0 * (z / d).powi(2);
    if !exact.is_finite() || exact > u64::MAX as f64 {
        return Err(CampaignError::InvalidParameter {
            parameter: "effect size",
            value: d,
            expected: "large enough for a finite sample",
        });
    }
    Ok(SampleSize {
        effect_size: d,
        exact,
        per_group: exact.ceil() as u64,
    })
}

/// Two-sided p-value of a standard normal statistic.
pub(crate) fn two_sided_normal_p(z: f64) -> f64 {
    if z.is_nan() {
        return 1.0;
    }
    (2.0 * Normal::standard().sf(z.abs())).min(1.0)
}
