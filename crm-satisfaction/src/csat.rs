//! Customer satisfaction (CSAT): a declared scale (default 1–5), the share of satisfied
//! answers (the top two points by default) and the mean score.
//!
//! The aggregate is the shared [`ScaleAggregate`] on a [`CsatScale`]: the satisfied share
//! carries a Wald and a Wilson score interval, the mean a Wald and a Student t interval;
//! CSAT % is `100 × satisfied share`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::points::MAX_POINTS;
use crate::scale::sealed::{Headline, Sealed};
use crate::{BoundedScale, SatisfactionError, ScaleAggregate};

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
        self.validate_score(score)?;
        Ok(score >= self.satisfied_from)
    }
}

impl Sealed for CsatScale {
    const HEADLINE: Headline = Headline::TopBoxPercent;
    const AGGREGATE: &'static str = "Csat";
    fn bounds(&self) -> (u8, u8, u8) {
        (self.min, self.max, self.satisfied_from)
    }
}

impl BoundedScale for CsatScale {}

/// The CSAT aggregate: the scale and exact counts per point.
///
/// A commutative monoid over one scale (see [`Aggregator`](crate::Aggregator)); the counts,
/// the mean and the merge are those of every [`ScaleAggregate`], the top box is the
/// satisfied answers ([`satisfied`](Csat::satisfied), [`percent`](Csat::percent),
/// [`percent_difference`](Csat::percent_difference), [`report`](Csat::report)). Its headline
/// ([`Aggregator::headline`](crate::Aggregator::headline)) is CSAT %.
///
/// ```
/// use crm_satisfaction::{Csat, CsatScale};
///
/// let csat = Csat::from_scores(CsatScale::default(), &[5, 4, 3, 1]).unwrap();
/// assert_eq!(csat.satisfied(), 2);
/// assert_eq!(csat.percent(), Some(50.0));
/// assert_eq!(csat.mean(), Some(3.25));
/// ```
pub type Csat = ScaleAggregate<CsatScale>;

impl Csat {
    /// CSAT %: `100 × satisfied / responses`, `None` without responses.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// assert_eq!(Csat::default().percent(), None);
    /// assert_eq!(Csat::from_scores(CsatScale::default(), &[5, 3]).unwrap().percent(), Some(50.0));
    /// ```
    pub fn percent(&self) -> Option<f64> {
        self.top_box_percent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StatsConfig;

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
