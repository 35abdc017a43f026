//! Customer effort score (CES) on the 1–7 scale: the mean and the share of "easy" answers
//! (5 and above by default, configurable).
//!
//! The mean carries a Wald and a Student t interval, the easy share a Wald and a Wilson
//! score interval (formulas in [`crate::stats`]).

use serde::{Deserialize, Serialize};

use crate::compare::{mean_difference, share_difference};
use crate::points::PointCounts;
use crate::{
    Aggregator, Difference, MeanEstimate, ProportionEstimate, SatisfactionError, StatsConfig,
};

/// Lowest CES score.
pub const CES_MIN: u8 = 1;
/// Highest CES score.
pub const CES_MAX: u8 = 7;

/// The CES settings: the first score counted as easy (default 5).
///
/// ```
/// use crm_satisfaction::CesScale;
/// assert_eq!(CesScale::default().easy_from(), 5);
/// assert!(CesScale::new(8).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct CesScale {
    easy_from: u8,
}

impl TryFrom<u8> for CesScale {
    type Error = SatisfactionError;
    fn try_from(easy_from: u8) -> Result<Self, Self::Error> {
        Self::new(easy_from)
    }
}

impl From<CesScale> for u8 {
    fn from(s: CesScale) -> u8 {
        s.easy_from
    }
}

impl Default for CesScale {
    fn default() -> Self {
        Self { easy_from: 5 }
    }
}

impl std::fmt::Display for CesScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CES 1..=7 easy from {}", self.easy_from)
    }
}

impl CesScale {
    /// Validates the easy threshold: `2 <= easy_from <= 7`.
    ///
    /// ```
    /// use crm_satisfaction::CesScale;
    /// assert_eq!(CesScale::new(6).unwrap().easy_from(), 6);
    /// assert!(CesScale::new(1).is_err());
    /// ```
    pub fn new(easy_from: u8) -> Result<Self, SatisfactionError> {
        if easy_from <= CES_MIN || easy_from > CES_MAX {
            return Err(SatisfactionError::InvalidScale {
                min: CES_MIN,
                max: CES_MAX,
                threshold: easy_from,
                reason: "the easy threshold must lie in 2..=7".into(),
            });
        }
        Ok(Self { easy_from })
    }

    /// First score counted as easy.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::CesScale::default().easy_from(), 5);
    /// ```
    pub fn easy_from(&self) -> u8 {
        self.easy_from
    }
}

fn check(score: u8) -> Result<(), SatisfactionError> {
    if (CES_MIN..=CES_MAX).contains(&score) {
        Ok(())
    } else {
        Err(SatisfactionError::ScoreOutOfScale {
            score,
            min: CES_MIN,
            max: CES_MAX,
        })
    }
}

/// The CES aggregate: the easy threshold and exact counts per point.
///
/// ```
/// use crm_satisfaction::{Ces, CesScale};
/// let ces = Ces::from_scores(CesScale::default(), &[7, 5, 2, 2]).unwrap();
/// assert_eq!(ces.mean(), Some(4.0));
/// assert_eq!(ces.easy(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "CesFields")]
pub struct Ces {
    scale: CesScale,
    counts: PointCounts,
}

/// The serde form of [`Ces`], checked on the way in.
#[derive(Deserialize)]
struct CesFields {
    scale: CesScale,
    counts: PointCounts,
}

impl TryFrom<CesFields> for Ces {
    type Error = SatisfactionError;
    fn try_from(f: CesFields) -> Result<Self, Self::Error> {
        let points = usize::from(CES_MAX - CES_MIN) + 1;
        if f.counts.counts[points..].iter().any(|&c| c > 0) {
            return Err(SatisfactionError::InvalidScale {
                min: CES_MIN,
                max: CES_MAX,
                threshold: f.scale.easy_from(),
                reason: "counts were given for scores outside the scale".into(),
            });
        }
        Ok(Self {
            scale: f.scale,
            counts: f.counts,
        })
    }
}

impl Ces {
    /// The empty aggregate.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale};
    /// assert_eq!(Ces::new(CesScale::default()).responses(), 0);
    /// ```
    pub fn new(scale: CesScale) -> Self {
        Self {
            scale,
            counts: PointCounts::EMPTY,
        }
    }

    /// The settings.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::Ces::default().scale().easy_from(), 5);
    /// ```
    pub fn scale(&self) -> CesScale {
        self.scale
    }

    /// Adds one 1–7 score; an out-of-scale score is a typed error and changes nothing.
    ///
    /// ```
    /// let mut c = crm_satisfaction::Ces::default();
    /// assert!(c.add(0).is_err());
    /// c.add(7).unwrap();
    /// assert_eq!(c.responses(), 1);
    /// ```
    pub fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        check(score)?;
        self.counts.counts[usize::from(score - CES_MIN)] += 1;
        Ok(())
    }

    /// Merges an aggregate with the same threshold; a different threshold is refused.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale};
    /// let mut a = Ces::default();
    /// assert!(a.merge(&Ces::new(CesScale::new(6).unwrap())).is_err());
    /// ```
    pub fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        if self.scale != other.scale {
            return Err(SatisfactionError::ScaleMismatch {
                left: self.scale.to_string(),
                right: other.scale.to_string(),
            });
        }
        self.counts.merge(&other.counts);
        Ok(())
    }

    /// Aggregates a column with a vectorized count; out-of-scale values make it an error.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale};
    /// assert!(Ces::from_scores(CesScale::default(), &[8]).is_err());
    /// ```
    pub fn from_scores(scale: CesScale, scores: &[u8]) -> Result<Self, SatisfactionError> {
        Ok(Self {
            scale,
            counts: PointCounts::from_column(scores, CES_MIN, CES_MAX)?,
        })
    }

    /// Number of responses.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::Ces::default().responses(), 0);
    /// ```
    pub fn responses(&self) -> u64 {
        self.counts.total()
    }

    /// Count of each score 1–7.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale};
    /// let c = Ces::from_scores(CesScale::default(), &[1, 1]).unwrap();
    /// assert_eq!(c.counts()[0], (1, 2));
    /// ```
    pub fn counts(&self) -> Vec<(u8, u64)> {
        self.counts.pairs(CES_MIN, CES_MAX)
    }

    /// Responses at or above the easy threshold.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale};
    /// assert_eq!(Ces::from_scores(CesScale::default(), &[4, 5]).unwrap().easy(), 1);
    /// ```
    pub fn easy(&self) -> u64 {
        self.counts.at_least(CES_MIN, self.scale.easy_from, CES_MAX)
    }

    /// Mean score, `None` without responses.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::Ces::default().mean(), None);
    /// ```
    pub fn mean(&self) -> Option<f64> {
        self.counts
            .mean(CES_MIN, CES_MAX, &StatsConfig::default())
            .map(|m| m.mean)
    }

    /// The full report.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, StatsConfig};
    /// let r = Ces::from_scores(CesScale::default(), &[6, 6]).unwrap().report(&StatsConfig::default());
    /// assert_eq!(r.mean.unwrap().mean, 6.0);
    /// assert_eq!(r.easy_share.unwrap().share, 1.0);
    /// ```
    pub fn report(&self, config: &StatsConfig) -> CesReport {
        let n = self.responses();
        CesReport {
            scale: self.scale,
            responses: n,
            counts: self.counts(),
            easy: self.easy(),
            small_sample: n < config.min_sample_size,
            easy_share: ProportionEstimate::new(self.easy(), n, config),
            mean: self.counts.mean(CES_MIN, CES_MAX, config),
        }
    }

    /// Difference of mean scores (`self − other`) with a z-test; `None` when either is empty.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, StatsConfig};
    /// let a = Ces::from_scores(CesScale::default(), &[7, 6]).unwrap();
    /// let b = Ces::from_scores(CesScale::default(), &[3, 2]).unwrap();
    /// assert_eq!(a.mean_difference(&b, &StatsConfig::default()).unwrap().unwrap().estimate, 4.0);
    /// ```
    pub fn mean_difference(
        &self,
        other: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.same_scale(other)?;
        let a = self.counts.mean(CES_MIN, CES_MAX, config);
        let b = other.counts.mean(CES_MIN, CES_MAX, config);
        Ok(match (a, b) {
            (Some(a), Some(b)) => mean_difference(
                (a.mean, a.std_dev, a.n),
                (b.mean, b.std_dev, b.n),
                f64::from(CES_MAX - CES_MIN),
                config,
            ),
            _ => None,
        })
    }

    /// Difference of easy shares in percentage points with the two-proportion z-test.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, StatsConfig};
    /// let a = Ces::from_scores(CesScale::default(), &[7, 6]).unwrap();
    /// let b = Ces::from_scores(CesScale::default(), &[7, 2]).unwrap();
    /// assert_eq!(a.easy_difference(&b, &StatsConfig::default()).unwrap().unwrap().estimate, 50.0);
    /// ```
    pub fn easy_difference(
        &self,
        other: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.same_scale(other)?;
        Ok(share_difference(
            self.easy(),
            self.responses(),
            other.easy(),
            other.responses(),
            100.0,
            config,
        ))
    }

    fn same_scale(&self, other: &Self) -> Result<(), SatisfactionError> {
        if self.scale == other.scale {
            Ok(())
        } else {
            Err(SatisfactionError::ScaleMismatch {
                left: self.scale.to_string(),
                right: other.scale.to_string(),
            })
        }
    }
}

impl Aggregator for Ces {
    fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        Ces::add(self, score)
    }
    fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        Ces::merge(self, other)
    }
    fn responses(&self) -> u64 {
        Ces::responses(self)
    }
    fn empty_like(&self) -> Self {
        Self::new(self.scale)
    }
    /// Not easy: below the easy threshold.
    fn is_negative(&self, score: u8) -> Result<bool, SatisfactionError> {
        check(score)?;
        Ok(score < self.scale.easy_from)
    }
    fn headline(&self) -> Option<f64> {
        self.mean()
    }
    fn compare(
        &self,
        earlier: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.mean_difference(earlier, config)
    }
}

/// CES counts with, when there are responses, the statistics.
///
/// ```
/// use crm_satisfaction::{Ces, StatsConfig};
/// assert!(Ces::default().report(&StatsConfig::default()).mean.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CesReport {
    /// The settings.
    pub scale: CesScale,
    /// All responses.
    pub responses: u64,
    /// Count of each score 1–7.
    pub counts: Vec<(u8, u64)>,
    /// Easy responses.
    pub easy: u64,
    /// Fewer responses than [`StatsConfig::min_sample_size`].
    pub small_sample: bool,
    /// Easy share with Wald and Wilson intervals; `None` when empty.
    pub easy_share: Option<ProportionEstimate>,
    /// Mean with Wald and Student t intervals; `None` when empty.
    pub mean: Option<MeanEstimate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_report() {
        // 1, 4, 7, 7: mean 4.75, sd = sqrt((3.75² + .75² + 2·2.25²)/3) = 2.8722813...
        let c = Ces::from_scores(CesScale::default(), &[1, 4, 7, 7]).unwrap();
        let r = c.report(&StatsConfig::default());
        let m = r.mean.unwrap();
        assert_eq!(m.mean, 4.75);
        assert!((m.std_dev - 2.872_281_323).abs() < 1e-8);
        assert_eq!(r.easy, 2);
        assert_eq!(r.easy_share.unwrap().share, 0.5);
        assert!(m.student_t.upper <= 7.0 && m.student_t.lower >= 1.0);
        let strict = Ces::from_scores(CesScale::new(7).unwrap(), &[1, 4, 7, 7]).unwrap();
        assert_eq!(strict.easy(), 2);
        let lenient = Ces::from_scores(CesScale::new(2).unwrap(), &[1, 4, 7, 7]).unwrap();
        assert_eq!(lenient.easy(), 3);
    }
}
