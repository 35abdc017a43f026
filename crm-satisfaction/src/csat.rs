//! Customer satisfaction (CSAT): a declared scale (default 1–5), the share of satisfied
//! answers (the top two points by default) and the mean score.
//!
//! The satisfied share carries a Wald and a Wilson score interval, the mean a Wald and a
//! Student t interval (formulas in [`crate::stats`]); CSAT % is `100 × satisfied share`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::compare::{mean_difference, share_difference};
use crate::points::{MAX_POINTS, PointCounts};
use crate::{
    Aggregator, Difference, MeanEstimate, ProportionEstimate, SatisfactionError, StatsConfig,
};

/// A CSAT scale `min..=max` (at most 11 points) and the first score counted as satisfied.
///
/// ```
/// use crm_satisfaction::CsatScale;
///
/// let five = CsatScale::default();
/// assert_eq!((five.min(), five.max(), five.satisfied_from()), (1, 5, 4));
/// let ten = CsatScale::top_two(1, 10).unwrap();
/// assert_eq!(ten.satisfied_from(), 9);
/// assert!(CsatScale::new(1, 5, 6).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawScale", into = "RawScale")]
pub struct CsatScale {
    min: u8,
    max: u8,
    satisfied_from: u8,
}

#[derive(Serialize, Deserialize)]
struct RawScale {
    min: u8,
    max: u8,
    satisfied_from: u8,
}

impl TryFrom<RawScale> for CsatScale {
    type Error = SatisfactionError;
    fn try_from(r: RawScale) -> Result<Self, Self::Error> {
        Self::new(r.min, r.max, r.satisfied_from)
    }
}

impl From<CsatScale> for RawScale {
    fn from(s: CsatScale) -> Self {
        Self {
            min: s.min,
            max: s.max,
            satisfied_from: s.satisfied_from,
        }
    }
}

impl Default for CsatScale {
    fn default() -> Self {
        Self {
            min: 1,
            max: 5,
            satisfied_from: 4,
        }
    }
}

impl std::fmt::Display for CsatScale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CSAT {}..={} satisfied from {}",
            self.min, self.max, self.satisfied_from
        )
    }
}

impl CsatScale {
    /// Validates a scale: `min < max`, at most 11 points, `min < satisfied_from <= max`.
    ///
    /// ```
    /// use crm_satisfaction::CsatScale;
    /// assert!(CsatScale::new(0, 10, 8).is_ok());
    /// assert!(CsatScale::new(0, 11, 8).is_err());
    /// ```
    pub fn new(min: u8, max: u8, satisfied_from: u8) -> Result<Self, SatisfactionError> {
        let refuse = |reason: &'static str| SatisfactionError::InvalidScale {
            min,
            max,
            threshold: satisfied_from,
            reason: Cow::Borrowed(reason),
        };
        if min >= max {
            return Err(refuse("the lowest score must be below the highest"));
        }
        if usize::from(max - min) >= MAX_POINTS {
            return Err(refuse("a scale has at most 11 points"));
        }
        if satisfied_from <= min || satisfied_from > max {
            return Err(refuse(
                "the satisfied threshold must lie above the lowest score",
            ));
        }
        Ok(Self {
            min,
            max,
            satisfied_from,
        })
    }

    /// The scale `min..=max` whose top two points count as satisfied.
    ///
    /// ```
    /// use crm_satisfaction::CsatScale;
    /// assert_eq!(CsatScale::top_two(1, 7).unwrap().satisfied_from(), 6);
    /// ```
    pub fn top_two(min: u8, max: u8) -> Result<Self, SatisfactionError> {
        Self::new(min, max, max.saturating_sub(1))
    }

    /// Lowest score.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::CsatScale::default().min(), 1);
    /// ```
    pub fn min(&self) -> u8 {
        self.min
    }

    /// Highest score.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::CsatScale::default().max(), 5);
    /// ```
    pub fn max(&self) -> u8 {
        self.max
    }

    /// First score counted as satisfied.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::CsatScale::default().satisfied_from(), 4);
    /// ```
    pub fn satisfied_from(&self) -> u8 {
        self.satisfied_from
    }

    /// Whether a score is satisfied; out-of-scale scores are a typed error.
    ///
    /// ```
    /// use crm_satisfaction::CsatScale;
    /// assert!(CsatScale::default().is_satisfied(4).unwrap());
    /// assert!(!CsatScale::default().is_satisfied(3).unwrap());
    /// assert!(CsatScale::default().is_satisfied(0).is_err());
    /// ```
    pub fn is_satisfied(&self, score: u8) -> Result<bool, SatisfactionError> {
        self.check(score)?;
        Ok(score >= self.satisfied_from)
    }

    fn check(&self, score: u8) -> Result<(), SatisfactionError> {
        if score < self.min || score > self.max {
            Err(SatisfactionError::ScoreOutOfScale {
                score,
                min: self.min,
                max: self.max,
            })
        } else {
            Ok(())
        }
    }
}

/// The CSAT aggregate: the scale and exact counts per point.
///
/// A commutative monoid over one scale (see [`Aggregator`]).
///
/// ```
/// use crm_satisfaction::{Csat, CsatScale};
///
/// let csat = Csat::from_scores(CsatScale::default(), &[5, 4, 3, 1]).unwrap();
/// assert_eq!(csat.satisfied(), 2);
/// assert_eq!(csat.percent(), Some(50.0));
/// assert_eq!(csat.mean(), Some(3.25));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "CsatFields")]
pub struct Csat {
    scale: CsatScale,
    counts: PointCounts,
}

impl Default for Csat {
    fn default() -> Self {
        Self::new(CsatScale::default())
    }
}

/// The serde form of [`Csat`], checked on the way in.
#[derive(Deserialize)]
struct CsatFields {
    scale: CsatScale,
    counts: PointCounts,
}

impl TryFrom<CsatFields> for Csat {
    type Error = SatisfactionError;
    fn try_from(f: CsatFields) -> Result<Self, Self::Error> {
        let points = usize::from(f.scale.max() - f.scale.min()) + 1;
        if f.counts.counts[points..].iter().any(|&c| c > 0) {
            return Err(SatisfactionError::InvalidScale {
                min: f.scale.min(),
                max: f.scale.max(),
                threshold: f.scale.satisfied_from(),
                reason: "counts were given for scores outside the scale".into(),
            });
        }
        Ok(Self {
            scale: f.scale,
            counts: f.counts,
        })
    }
}

impl Csat {
    /// The empty aggregate on a scale.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// assert_eq!(Csat::new(CsatScale::default()).responses(), 0);
    /// ```
    pub fn new(scale: CsatScale) -> Self {
        Self {
            scale,
            counts: PointCounts::EMPTY,
        }
    }

    /// The scale.
    ///
    /// ```
    /// use crm_satisfaction::Csat;
    /// assert_eq!(Csat::default().scale().max(), 5);
    /// ```
    pub fn scale(&self) -> CsatScale {
        self.scale
    }

    /// Adds one score; an out-of-scale score is a typed error and changes nothing.
    ///
    /// ```
    /// use crm_satisfaction::Csat;
    /// let mut c = Csat::default();
    /// c.add(5).unwrap();
    /// assert!(c.add(6).is_err());
    /// assert_eq!(c.responses(), 1);
    /// ```
    pub fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        self.scale.check(score)?;
        self.counts.counts[usize::from(score - self.scale.min)] += 1;
        Ok(())
    }

    /// Merges an aggregate over the same scale; a different scale is refused.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// let mut a = Csat::from_scores(CsatScale::default(), &[5]).unwrap();
    /// a.merge(&Csat::from_scores(CsatScale::default(), &[1]).unwrap()).unwrap();
    /// assert_eq!(a.responses(), 2);
    /// assert!(a.merge(&Csat::new(CsatScale::top_two(1, 7).unwrap())).is_err());
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
    /// use crm_satisfaction::{Csat, CsatScale};
    /// assert!(Csat::from_scores(CsatScale::default(), &[1, 9]).is_err());
    /// ```
    pub fn from_scores(scale: CsatScale, scores: &[u8]) -> Result<Self, SatisfactionError> {
        Ok(Self {
            scale,
            counts: PointCounts::from_column(scores, scale.min, scale.max)?,
        })
    }

    /// Number of responses.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::Csat::default().responses(), 0);
    /// ```
    pub fn responses(&self) -> u64 {
        self.counts.total()
    }

    /// Count of each score, lowest first.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// let c = Csat::from_scores(CsatScale::default(), &[2, 2, 5]).unwrap();
    /// assert_eq!(c.counts(), vec![(1, 0), (2, 2), (3, 0), (4, 0), (5, 1)]);
    /// ```
    pub fn counts(&self) -> Vec<(u8, u64)> {
        self.counts.pairs(self.scale.min, self.scale.max)
    }

    /// Satisfied responses.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// assert_eq!(Csat::from_scores(CsatScale::default(), &[4, 5, 3]).unwrap().satisfied(), 2);
    /// ```
    pub fn satisfied(&self) -> u64 {
        self.counts
            .at_least(self.scale.min, self.scale.satisfied_from, self.scale.max)
    }

    /// CSAT %: `100 × satisfied / responses`, `None` without responses.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::Csat::default().percent(), None);
    /// ```
    pub fn percent(&self) -> Option<f64> {
        let n = self.responses();
        (n > 0).then(|| self.satisfied() as f64 * 100.0 / n as f64)
    }

    /// Mean score, `None` without responses.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// assert_eq!(Csat::from_scores(CsatScale::default(), &[1, 2]).unwrap().mean(), Some(1.5));
    /// ```
    pub fn mean(&self) -> Option<f64> {
        self.counts
            .mean(self.scale.min, self.scale.max, &StatsConfig::default())
            .map(|m| m.mean)
    }

    /// The full report: counts, satisfied share with intervals, mean with intervals, and the
    /// small-sample warning.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale, StatsConfig};
    /// let r = Csat::from_scores(CsatScale::default(), &[5, 4, 4, 2]).unwrap()
    ///     .report(&StatsConfig::default());
    /// assert_eq!(r.satisfied_share.unwrap().share, 0.75);
    /// assert_eq!(r.mean.unwrap().mean, 3.75);
    /// assert!(r.small_sample);
    /// ```
    pub fn report(&self, config: &StatsConfig) -> CsatReport {
        let n = self.responses();
        CsatReport {
            scale: self.scale,
            responses: n,
            counts: self.counts(),
            satisfied: self.satisfied(),
            small_sample: n < config.min_sample_size,
            satisfied_share: ProportionEstimate::new(self.satisfied(), n, config),
            mean: self.counts.mean(self.scale.min, self.scale.max, config),
        }
    }

    /// Difference of CSAT % (`self − other`, in percentage points) with the two-proportion
    /// z-test; `None` when either side is empty; a different scale is refused.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale, StatsConfig};
    /// let a = Csat::from_scores(CsatScale::default(), &[5, 5, 5, 1]).unwrap();
    /// let b = Csat::from_scores(CsatScale::default(), &[5, 1, 1, 1]).unwrap();
    /// let d = a.percent_difference(&b, &StatsConfig::default()).unwrap().unwrap();
    /// assert_eq!(d.estimate, 50.0);
    /// ```
    pub fn percent_difference(
        &self,
        other: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.same_scale(other)?;
        Ok(share_difference(
            self.satisfied(),
            self.responses(),
            other.satisfied(),
            other.responses(),
            100.0,
            config,
        ))
    }

    /// Difference of mean scores (`self − other`) with a z-test; `None` when either side is
    /// empty; a different scale is refused.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale, StatsConfig};
    /// let a = Csat::from_scores(CsatScale::default(), &[5, 4]).unwrap();
    /// let b = Csat::from_scores(CsatScale::default(), &[2, 1]).unwrap();
    /// let d = a.mean_difference(&b, &StatsConfig::default()).unwrap().unwrap();
    /// assert_eq!(d.estimate, 3.0);
    /// ```
    pub fn mean_difference(
        &self,
        other: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.same_scale(other)?;
        let (min, max) = (self.scale.min, self.scale.max);
        let (a, b) = (
            self.counts.mean(min, max, config),
            other.counts.mean(min, max, config),
        );
        Ok(match (a, b) {
            (Some(a), Some(b)) => mean_difference(
                (a.mean, a.std_dev, a.n),
                (b.mean, b.std_dev, b.n),
                f64::from(max - min),
                config,
            ),
            _ => None,
        })
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

impl Aggregator for Csat {
    fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        Csat::add(self, score)
    }
    fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        Csat::merge(self, other)
    }
    fn responses(&self) -> u64 {
        Csat::responses(self)
    }
    fn empty_like(&self) -> Self {
        Self::new(self.scale)
    }
    /// Dissatisfied: below the satisfied threshold.
    fn is_negative(&self, score: u8) -> Result<bool, SatisfactionError> {
        Ok(!self.scale.is_satisfied(score)?)
    }
    fn headline(&self) -> Option<f64> {
        self.percent()
    }
    fn compare(
        &self,
        earlier: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.percent_difference(earlier, config)
    }
}

/// CSAT counts with, when there are responses, the statistics.
///
/// ```
/// use crm_satisfaction::{Csat, StatsConfig};
/// let r = Csat::default().report(&StatsConfig::default());
/// assert_eq!(r.responses, 0);
/// assert!(r.satisfied_share.is_none() && r.mean.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsatReport {
    /// The scale.
    pub scale: CsatScale,
    /// All responses.
    pub responses: u64,
    /// Count of each score, lowest first.
    pub counts: Vec<(u8, u64)>,
    /// Satisfied responses.
    pub satisfied: u64,
    /// Fewer responses than [`StatsConfig::min_sample_size`].
    pub small_sample: bool,
    /// Satisfied share (CSAT % / 100) with Wald and Wilson intervals; `None` when empty.
    pub satisfied_share: Option<ProportionEstimate>,
    /// Mean score with Wald and Student t intervals; `None` when empty.
    pub mean: Option<MeanEstimate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_five_point_report() {
        // Scores 5,5,4,3,1: satisfied 3/5, mean 3.6, sd = sqrt(((1.4²)·2+.4²+.6²+2.6²)/4)
        let c = Csat::from_scores(CsatScale::default(), &[5, 5, 4, 3, 1]).unwrap();
        let r = c.report(&StatsConfig::default());
        let p = r.satisfied_share.unwrap();
        assert_eq!(p.share, 0.6);
        assert!((p.standard_error - (0.24f64 / 5.0).sqrt()).abs() < 1e-12);
        // Wilson, z = 1.959964: centre (0.6 + z²/10)/(1 + z²/5) = 0.5641..., published
        // calculators give [0.2307, 0.8824] for 3/5.
        assert!((p.wilson.lower - 0.2307).abs() < 1e-4, "{}", p.wilson.lower);
        assert!((p.wilson.upper - 0.8824).abs() < 1e-4, "{}", p.wilson.upper);
        let m = r.mean.unwrap();
        assert!((m.mean - 3.6).abs() < 1e-12);
        let sd = ((1.96 * 2.0 + 0.16 + 0.36 + 6.76) / 4.0f64).sqrt();
        assert!((m.std_dev - sd).abs() < 1e-12);
        // t(0.975, 4) = 2.776445 (published table); the upper end is clamped to the scale.
        assert!((m.student_t.lower - (3.6 - 2.776_445 * sd / 5f64.sqrt())).abs() < 1e-5);
        assert_eq!(m.student_t.upper, 5.0);
    }

    #[test]
    fn edge_cases() {
        let one = Csat::from_scores(CsatScale::default(), &[2]).unwrap();
        let r = one.report(&StatsConfig::default());
        assert_eq!(r.mean.unwrap().std_dev, 0.0);
        assert_eq!(r.satisfied_share.unwrap().share, 0.0);
        assert_eq!(r.satisfied_share.unwrap().wilson.lower, 0.0);
        let all = Csat::from_scores(CsatScale::default(), &[5; 40]).unwrap();
        assert_eq!(all.percent(), Some(100.0));
        assert!(!all.report(&StatsConfig::default()).small_sample);
        let zero_based = CsatScale::new(0, 10, 9).unwrap();
        let c = Csat::from_scores(zero_based, &[0, 10, 9]).unwrap();
        assert_eq!(c.satisfied(), 2);
        assert!(Csat::from_scores(zero_based, &[11]).is_err());
        assert!(Csat::from_scores(CsatScale::default(), &[0]).is_err());
    }

    #[test]
    fn scale_survives_serde_and_refuses_bad_input() {
        let s = CsatScale::top_two(1, 7).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<CsatScale>(&json).unwrap(), s);
        assert!(
            serde_json::from_str::<CsatScale>(r#"{"min":5,"max":1,"satisfied_from":2}"#).is_err()
        );
    }
}
