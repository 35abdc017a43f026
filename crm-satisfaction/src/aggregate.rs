//! The commutative-monoid interface shared by the NPS, CSAT and CES aggregators.

use crate::{Difference, SatisfactionError, StatsConfig};

/// A mergeable aggregate of survey scores: a commutative monoid with exact integer counts.
///
/// * [`empty_like`](Aggregator::empty_like) is the identity (same scale, no responses);
/// * [`merge`](Aggregator::merge) is associative and commutative;
/// * aggregating any split of the responses and merging the parts in any order gives a value
///   equal (`==`) to aggregating them all at once.
///
/// Breakdowns ([`crate::Breakdown`], [`crate::Timeline`]), batches and driver analysis are
/// generic over this trait.
///
/// ```
/// use crm_satisfaction::{Aggregator, Nps};
///
/// let mut left = Nps::new();
/// let mut right = left.empty_like();
/// Aggregator::add(&mut left, 10).unwrap();
/// Aggregator::add(&mut right, 3).unwrap();
/// Aggregator::merge(&mut left, &right).unwrap();
/// assert_eq!(left.responses(), 2);
/// assert_eq!(left.headline(), Some(0.0));
/// ```
pub trait Aggregator: Clone + PartialEq + std::fmt::Debug + Send + Sync {
    /// Adds one score; an out-of-scale score is a typed error and changes nothing.
    fn add(&mut self, score: u8) -> Result<(), SatisfactionError>;
    /// Merges another aggregate into this one; aggregates over different scales are refused
    /// and nothing changes.
    fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError>;
    /// Number of responses aggregated.
    fn responses(&self) -> u64;
    /// The identity element: the same scale and settings, no responses.
    ///
    /// ```
    /// use crm_satisfaction::{Aggregator, Csat, CsatScale};
    /// let seven = Csat::from_scores(CsatScale::top_two(1, 7).unwrap(), &[7, 2]).unwrap();
    /// let empty = seven.empty_like();
    /// assert_eq!((empty.responses(), empty.scale()), (0, seven.scale()));
    /// ```
    fn empty_like(&self) -> Self;
    /// Whether a valid score is a negative answer (NPS detractor, dissatisfied CSAT,
    /// difficult CES), used by driver analysis; an out-of-scale score is an error.
    ///
    /// ```
    /// use crm_satisfaction::{Aggregator, Ces, Csat, Nps};
    /// assert_eq!(Nps::new().is_negative(6), Ok(true));
    /// assert_eq!(Nps::new().is_negative(7), Ok(false)); // passives are not negative
    /// assert_eq!(Csat::default().is_negative(3), Ok(true));
    /// assert_eq!(Ces::default().is_negative(5), Ok(false));
    /// assert!(Ces::default().is_negative(9).is_err());
    /// ```
    fn is_negative(&self, score: u8) -> Result<bool, SatisfactionError>;
    /// The headline number (NPS, CSAT %, mean CES), `None` without responses.
    ///
    /// ```
    /// use crm_satisfaction::{Aggregator, Ces, CesScale, Csat, CsatScale, Nps};
    /// assert_eq!(Nps::from_counts(1, 0, 3).headline(), Some(50.0));
    /// assert_eq!(Csat::from_scores(CsatScale::default(), &[5, 1]).unwrap().headline(), Some(50.0));
    /// assert_eq!(Ces::from_scores(CesScale::default(), &[5, 1]).unwrap().headline(), Some(3.0));
    /// assert_eq!(Ces::default().headline(), None);
    /// ```
    fn headline(&self) -> Option<f64>;
    /// The difference of the headline numbers `self − earlier` with its z-test;
    /// `None` when either side has no responses; aggregates over different scales are
    /// refused.
    ///
    /// ```
    /// use crm_satisfaction::{Aggregator, Ces, CesScale, StatsConfig};
    /// let config = StatsConfig::default();
    /// let before = Ces::from_scores(CesScale::default(), &[2, 3, 2, 3]).unwrap();
    /// let after = Ces::from_scores(CesScale::default(), &[6, 7, 6, 7]).unwrap();
    /// let d = after.compare(&before, &config).unwrap().unwrap();
    /// assert_eq!(d.estimate, 4.0); // mean CES went up by 4 points
    /// assert!(d.significant);
    /// assert_eq!(after.compare(&Ces::default(), &config), Ok(None));
    /// ```
    fn compare(
        &self,
        earlier: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError>;
}
