//! Driver analysis: which tags are over-represented among negative answers (NPS detractors,
//! dissatisfied CSAT, not-easy CES); the formulas are on [`DriverCounts`].

use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::compare::share_difference;
use crate::{Aggregator, Difference, SatisfactionError, StatsConfig};

/// Responses carrying a tag, and how many of them were negative.
///
/// ```
/// use crm_satisfaction::TagCounts;
/// assert_eq!(TagCounts::default().responses, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCounts {
    /// Responses with the tag.
    pub responses: u64,
    /// Negative responses with the tag.
    pub negative: u64,
}

/// The driver-analysis aggregate: a commutative monoid of counts per tag.
///
/// For a tag `t` with `n_t` tagged responses of `n`, of which `x_t` are negative out of `x`
/// negative responses overall:
///
/// * `share_of_negative = x_t / x` (how often negative answers carry the tag),
/// * `share_of_all = n_t / n`,
/// * `lift = share_of_negative / share_of_all = (x_t / n_t) / (x / n)`: above 1 the tag is
///   over-represented among negative answers,
/// * `difference`: the negative rate with the tag minus without it, in percentage points,
///   with the two-proportion z-test (see [`Difference`]).
///
/// Each tag is counted once per response even if it is attached twice.
///
/// ```
/// use crm_satisfaction::{DriverCounts, Nps, StatsConfig};
///
/// let mut d = DriverCounts::new();
/// let nps = Nps::new();
/// d.add_scored(&nps, 2, &["billing"]).unwrap();
/// d.add_scored(&nps, 3, &["billing", "slow"]).unwrap();
/// d.add_scored(&nps, 10, &["slow"]).unwrap();
/// d.add_scored(&nps, 9, &[]).unwrap();
/// let report = d.report(&StatsConfig::default());
/// assert_eq!(report[0].tag, "billing");
/// assert_eq!(report[0].lift, Some(2.0)); // (2/2)/(2/4)
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize + Eq + Hash",
    deserialize = "T: Deserialize<'de> + Eq + Hash"
))]
pub struct DriverCounts<T> {
    responses: u64,
    negative: u64,
    tags: FxHashMap<T, TagCounts>,
}

impl<T: Eq + Hash> PartialEq for DriverCounts<T> {
    fn eq(&self, other: &Self) -> bool {
        self.responses == other.responses
            && self.negative == other.negative
            && self.tags == other.tags
    }
}

impl<T: Eq + Hash + Clone> Default for DriverCounts<T> {
    fn default() -> Self {
        Self {
            responses: 0,
            negative: 0,
            tags: FxHashMap::default(),
        }
    }
}

impl<T: Eq + Hash + Clone> DriverCounts<T> {
    /// The empty aggregate.
    ///
    /// ```
    /// use crm_satisfaction::DriverCounts;
    /// assert_eq!(DriverCounts::<u8>::new().responses(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one response, already classified as negative or not, with its tags.
    ///
    /// ```
    /// use crm_satisfaction::DriverCounts;
    /// let mut d = DriverCounts::new();
    /// d.add(true, &["a", "a"]);
    /// assert_eq!(d.tag(&"a").unwrap().responses, 1);
    /// ```
    pub fn add(&mut self, negative: bool, tags: &[T]) {
        self.responses += 1;
        self.negative += u64::from(negative);
        for (i, tag) in tags.iter().enumerate() {
            if tags[..i].contains(tag) {
                continue;
            }
            let c = self.tags.entry(tag.clone()).or_default();
            c.responses += 1;
            c.negative += u64::from(negative);
        }
    }

    /// Adds one response scored on `aggregator`'s scale, classified with
    /// [`Aggregator::is_negative`]; an out-of-scale score is an error and changes nothing.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, DriverCounts};
    /// let mut d = DriverCounts::new();
    /// d.add_scored(&Csat::default(), 2, &["late"]).unwrap();
    /// assert_eq!(d.negative(), 1);
    /// assert!(d.add_scored(&Csat::default(), 0, &["late"]).is_err());
    /// ```
    pub fn add_scored<A: Aggregator>(
        &mut self,
        aggregator: &A,
        score: u8,
        tags: &[T],
    ) -> Result<(), SatisfactionError> {
        let negative = aggregator.is_negative(score)?;
        self.add(negative, tags);
        Ok(())
    }

    /// Merges another aggregate (adds the counts).
    ///
    /// ```
    /// use crm_satisfaction::DriverCounts;
    /// let mut a = DriverCounts::new();
    /// a.add(true, &[1]);
    /// let mut b = DriverCounts::new();
    /// b.add(false, &[1]);
    /// a.merge(&b);
    /// assert_eq!(a.tag(&1).unwrap().responses, 2);
    /// ```
    pub fn merge(&mut self, other: &Self) {
        self.responses += other.responses;
        self.negative += other.negative;
        for (tag, c) in &other.tags {
            let mine = self.tags.entry(tag.clone()).or_default();
            mine.responses += c.responses;
            mine.negative += c.negative;
        }
    }

    /// All responses.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::DriverCounts::<u8>::new().responses(), 0);
    /// ```
    pub fn responses(&self) -> u64 {
        self.responses
    }

    /// Negative responses.
    ///
    /// ```
    /// assert_eq!(crm_satisfaction::DriverCounts::<u8>::new().negative(), 0);
    /// ```
    pub fn negative(&self) -> u64 {
        self.negative
    }

    /// Counts of one tag.
    ///
    /// ```
    /// assert!(crm_satisfaction::DriverCounts::<u8>::new().tag(&3).is_none());
    /// ```
    pub fn tag(&self, tag: &T) -> Option<TagCounts> {
        self.tags.get(tag).copied()
    }

    /// One [`Driver`] per tag, by decreasing lift (tags without a lift last), ties by tag.
    ///
    /// ```
    /// use crm_satisfaction::{DriverCounts, StatsConfig};
    /// let mut d = DriverCounts::new();
    /// d.add(false, &["x"]);
    /// let r = d.report(&StatsConfig::default());
    /// assert_eq!(r[0].lift, None); // no negative answers at all
    /// ```
    pub fn report(&self, config: &StatsConfig) -> Vec<Driver<T>>
    where
        T: Ord,
    {
        let (n, x) = (self.responses, self.negative);
        let mut out: Vec<Driver<T>> = self
            .tags
            .iter()
            .map(|(tag, c)| {
                let share_of_all = (n > 0).then(|| c.responses as f64 / n as f64);
                let share_of_negative = (x > 0).then(|| c.negative as f64 / x as f64);
                let lift = match (share_of_negative, share_of_all) {
                    (Some(sn), Some(sa)) if sa > 0.0 => Some(sn / sa),
                    _ => None,
                };
                Driver {
                    tag: tag.clone(),
                    responses: c.responses,
                    negative: c.negative,
                    share_of_all,
                    share_of_negative,
                    lift,
                    difference: share_difference(
                        c.negative,
                        c.responses,
                        x - c.negative,
                        n - c.responses,
                        100.0,
                        config,
                    ),
                }
            })
            .collect();
        out.sort_by(|a, b| match (a.lift, b.lift) {
            (Some(la), Some(lb)) => lb.total_cmp(&la).then_with(|| a.tag.cmp(&b.tag)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.tag.cmp(&b.tag),
        });
        out
    }
}

/// How strongly one tag is associated with negative answers (formulas on [`DriverCounts`]).
///
/// ```
/// use crm_satisfaction::{DriverCounts, StatsConfig};
/// let mut d = DriverCounts::new();
/// d.add(true, &["a"]);
/// d.add(false, &[]);
/// let a = &d.report(&StatsConfig::default())[0];
/// assert_eq!((a.share_of_negative, a.share_of_all, a.lift), (Some(1.0), Some(0.5), Some(2.0)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver<T> {
    /// The tag.
    pub tag: T,
    /// Responses with the tag.
    pub responses: u64,
    /// Negative responses with the tag.
    pub negative: u64,
    /// `responses / all responses`.
    pub share_of_all: Option<f64>,
    /// `negative / all negative responses`; `None` without negative responses.
    pub share_of_negative: Option<f64>,
    /// `share_of_negative / share_of_all`; `None` when either is undefined.
    pub lift: Option<f64>,
    /// Negative rate with the tag minus without it (percentage points) and its z-test;
    /// `None` when every response, or none, carries the tag.
    pub difference: Option<Difference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_lift_and_test() {
        // 100 responses, 20 negative. Tag "t": 25 responses, 10 negative.
        let mut d = DriverCounts::new();
        for i in 0..100 {
            let negative = i < 20;
            let tagged = i < 10 || (20..35).contains(&i);
            d.add(negative, if tagged { &["t"][..] } else { &[] });
        }
        let r = &d.report(&StatsConfig::default())[0];
        assert_eq!((r.responses, r.negative), (25, 10));
        assert_eq!(r.share_of_negative, Some(0.5));
        assert_eq!(r.share_of_all, Some(0.25));
        assert_eq!(r.lift, Some(2.0));
        // Negative rate 10/25 = 40 % vs 10/75 = 13.3 %: +26.67 points.
        let diff = r.difference.unwrap();
        assert!((diff.estimate - (40.0 - 100.0 / 7.5)).abs() < 1e-9);
        assert!(diff.significant);
    }
}
