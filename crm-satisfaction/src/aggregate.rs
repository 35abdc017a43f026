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
    fn empty_like(&self) -> Self;
    /// Whether a valid score is a negative answer (NPS detractor, dissatisfied CSAT,
    /// difficult CES), used by driver analysis.
    fn is_negative(&self, score: u8) -> Result<bool, SatisfactionError>;
    /// The headline number (NPS, CSAT %, mean CES), `None` without responses.
    fn headline(&self) -> Option<f64>;
    /// The difference of the headline numbers `self − earlier` with its z-test;
    /// `None` when either side has no responses.
    fn compare(
        &self,
        earlier: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError>;
}
