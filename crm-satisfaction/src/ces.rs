//! Customer effort score (CES) on the 1–7 scale: the mean and the share of "easy" answers
//! (5 and above by default, configurable).
//!
//! The aggregate is the shared [`ScaleAggregate`] on a [`CesScale`]: the mean carries a Wald
//! and a Student t interval, the easy share a Wald and a Wilson score interval.

use serde::{Deserialize, Serialize};

use crate::scale::sealed::{Headline, Sealed};
use crate::{BoundedScale, SatisfactionError, ScaleAggregate};

/// Lowest CES score.
///
/// ```
/// use crm_satisfaction::{CES_MIN, Ces};
/// assert!(Ces::default().add(CES_MIN).is_ok());
/// assert!(Ces::default().add(CES_MIN - 1).is_err());
/// ```
pub const CES_MIN: u8 = 1;
/// Highest CES score.
///
/// ```
/// use crm_satisfaction::{CES_MAX, Ces};
/// assert_eq!(Ces::default().counts().last(), Some(&(CES_MAX, 0)));
/// assert!(Ces::default().add(CES_MAX + 1).is_err());
/// ```
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

impl Sealed for CesScale {
    const HEADLINE: Headline = Headline::Mean;
    const AGGREGATE: &'static str = "Ces";
    fn bounds(&self) -> (u8, u8, u8) {
        (CES_MIN, CES_MAX, self.easy_from)
    }
}

impl BoundedScale for CesScale {}

/// The CES aggregate: the easy threshold and exact counts per point of 1–7.
///
/// A commutative monoid over one threshold (see [`Aggregator`](crate::Aggregator)); the
/// counts, the mean and the merge are those of every [`ScaleAggregate`], the top box is the
/// easy answers ([`easy`](Ces::easy), [`easy_difference`](Ces::easy_difference),
/// [`report`](Ces::report)). Its headline
/// ([`Aggregator::headline`](crate::Aggregator::headline)) is the mean score.
///
/// ```
/// use crm_satisfaction::{Ces, CesScale};
/// let ces = Ces::from_scores(CesScale::default(), &[7, 5, 2, 2]).unwrap();
/// assert_eq!(ces.mean(), Some(4.0));
/// assert_eq!(ces.easy(), 2);
/// ```
pub type Ces = ScaleAggregate<CesScale>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StatsConfig;

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
