//! Breakdowns by any key (segment, channel, agent, product, ticket category) in one pass,
//! and the dense-key NPS fast path.

use std::collections::BTreeMap;
use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::nps::column_error;
use crate::{Aggregator, Nps, SatisfactionError};

/// One aggregate per key; itself a commutative monoid (merge merges key by key).
///
/// ```
/// use crm_satisfaction::{Breakdown, Nps};
///
/// let mut by_channel = Breakdown::new(Nps::new());
/// for (channel, score) in [("email", 10), ("chat", 2), ("email", 9), ("chat", 9)] {
///     by_channel.add(channel, score).unwrap();
/// }
/// assert_eq!(by_channel.get(&"email").unwrap().score(), Some(100.0));
/// assert_eq!(by_channel.get(&"chat").unwrap().score(), Some(0.0));
/// assert_eq!(by_channel.total().unwrap().responses(), 4);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize + Eq + Hash, A: Serialize",
    deserialize = "K: Deserialize<'de> + Eq + Hash, A: Deserialize<'de>"
))]
pub struct Breakdown<K, A> {
    template: A,
    groups: FxHashMap<K, A>,
}

impl<K: Eq + Hash, A: PartialEq> PartialEq for Breakdown<K, A> {
    fn eq(&self, other: &Self) -> bool {
        self.template == other.template && self.groups == other.groups
    }
}

impl<K: Eq + Hash + Clone, A: Aggregator> Breakdown<K, A> {
    /// An empty breakdown whose groups start as empty copies of `template`.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Csat};
    /// let b: Breakdown<u32, Csat> = Breakdown::new(Csat::default());
    /// assert!(b.is_empty());
    /// ```
    pub fn new(template: A) -> Self {
        Self {
            template: template.empty_like(),
            groups: FxHashMap::default(),
        }
    }

    /// Adds one score to the group `key`; an out-of-scale score is an error and changes nothing.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// let mut b = Breakdown::new(Nps::new());
    /// assert!(b.add("x", 11).is_err());
    /// assert!(b.get(&"x").is_none());
    /// ```
    pub fn add(&mut self, key: K, score: u8) -> Result<(), SatisfactionError> {
        // Validate on a scratch copy first so a refused score does not create the group.
        let mut probe = self.template.clone();
        probe.add(score)?;
        merge_into(&mut self.groups, key, probe)
    }

    /// Adds a pre-aggregated value for `key`; a value over another scale is refused and
    /// nothing changes.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Csat, CsatScale, Nps};
    /// let mut b = Breakdown::new(Nps::new());
    /// b.add_aggregate("x", &Nps::from_counts(1, 2, 3)).unwrap();
    /// assert_eq!(b.get(&"x").unwrap().responses(), 6);
    /// let mut c = Breakdown::new(Csat::default());
    /// let seven = Csat::from_scores(CsatScale::top_two(1, 7).unwrap(), &[7]).unwrap();
    /// assert!(c.add_aggregate("x", &seven).is_err());
    /// assert!(c.is_empty());
    /// ```
    pub fn add_aggregate(&mut self, key: K, value: &A) -> Result<(), SatisfactionError> {
        let mut merged = self.template.clone();
        merged.merge(value)?;
        merge_into(&mut self.groups, key, merged)
    }

    /// Merges another breakdown key by key; if any group is refused (different scale)
    /// nothing changes.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// let mut a = Breakdown::new(Nps::new());
    /// a.add(1, 10).unwrap();
    /// let mut b = Breakdown::new(Nps::new());
    /// b.add(1, 0).unwrap();
    /// b.add(2, 0).unwrap();
    /// a.merge(&b).unwrap();
    /// assert_eq!(a.len(), 2);
    /// assert_eq!(a.get(&1).unwrap().responses(), 2);
    /// ```
    pub fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        merge_groups(
            &mut self.groups,
            &self.template,
            &other.groups,
            &other.template,
        )
    }

    /// The aggregate of one key.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// assert!(Breakdown::<u8, Nps>::new(Nps::new()).get(&0).is_none());
    /// ```
    pub fn get(&self, key: &K) -> Option<&A> {
        self.groups.get(key)
    }

    /// Number of groups.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// assert_eq!(Breakdown::<u8, Nps>::new(Nps::new()).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// assert!(Breakdown::<u8, Nps>::new(Nps::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The groups in arbitrary order.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// let mut b = Breakdown::new(Nps::new());
    /// b.add('a', 9).unwrap();
    /// assert_eq!(b.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&K, &A)> {
        self.groups.iter()
    }

    /// The groups sorted by key.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// let mut b = Breakdown::new(Nps::new());
    /// b.add(2, 9).unwrap();
    /// b.add(1, 9).unwrap();
    /// let keys: Vec<_> = b.sorted().into_iter().map(|(k, _)| k).collect();
    /// assert_eq!(keys, vec![1, 2]);
    /// ```
    pub fn sorted(&self) -> Vec<(K, A)>
    where
        K: Ord,
    {
        let mut v: Vec<(K, A)> = self
            .groups
            .iter()
            .map(|(k, a)| (k.clone(), a.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// All groups merged into one aggregate.
    ///
    /// ```
    /// use crm_satisfaction::{Breakdown, Nps};
    /// assert_eq!(Breakdown::<u8, Nps>::new(Nps::new()).total().unwrap(), Nps::new());
    /// ```
    pub fn total(&self) -> Result<A, SatisfactionError> {
        let mut all = self.template.clone();
        for agg in self.groups.values() {
            all.merge(agg)?;
        }
        Ok(all)
    }
}

/// A map of aggregates: the hashed groups of a [`Breakdown`] and the date-ordered periods of a
/// [`Timeline`](crate::Timeline), which add and merge the same way. New keys are stored
/// through [`Extend`].
pub(crate) trait GroupMap<K, A>: Extend<(K, A)> {
    /// The aggregate of `key`, if the key has one.
    fn group_mut(&mut self, key: &K) -> Option<&mut A>;
}

impl<K: Eq + Hash, A> GroupMap<K, A> for FxHashMap<K, A> {
    fn group_mut(&mut self, key: &K) -> Option<&mut A> {
        self.get_mut(key)
    }
}

impl<K: Ord, A> GroupMap<K, A> for BTreeMap<K, A> {
    fn group_mut(&mut self, key: &K) -> Option<&mut A> {
        self.get_mut(key)
    }
}

/// Merges `value` into the aggregate of `key`, or stores it there when the key is new.
pub(crate) fn merge_into<K, A: Aggregator>(
    map: &mut impl GroupMap<K, A>,
    key: K,
    value: A,
) -> Result<(), SatisfactionError> {
    match map.group_mut(&key) {
        Some(agg) => agg.merge(&value),
        None => {
            map.extend([(key, value)]);
            Ok(())
        }
    }
}

/// Merges every group of `other` into `map`, key by key. `template` and `other_template`
/// are the empty aggregates of the two sides: all of `other` is first merged into a copy of
/// `template`, so a refused scale is found before anything changes.
pub(crate) fn merge_groups<K, A, M>(
    map: &mut M,
    template: &A,
    other: &M,
    other_template: &A,
) -> Result<(), SatisfactionError>
where
    K: Clone,
    A: Aggregator,
    M: GroupMap<K, A>,
    for<'a> &'a M: IntoIterator<Item = (&'a K, &'a A)>,
{
    let mut probe = template.clone();
    probe.merge(other_template)?;
    for (_, agg) in other {
        probe.merge(agg)?;
    }
    for (key, agg) in other {
        merge_into(map, key.clone(), agg.clone())?;
    }
    Ok(())
}

/// NPS per dense group index in one pass: `groups[i]` (below `group_count`) is the group of
/// `scores[i]`. The fast path for breakdowns whose keys are already numbered (e.g. a
/// dictionary-encoded column); the result is indexed by group.
///
/// The loop is branch-free on the scores (the category is computed arithmetically) and
/// spreads consecutive rows over two count tables so that runs of the same group do not
/// serialize on one counter.
///
/// ```
/// use crm_satisfaction::{nps_by_group, Nps};
/// let by = nps_by_group(&[0, 1, 0, 1], &[10, 0, 9, 8], 2).unwrap();
/// assert_eq!(by, vec![Nps::from_counts(0, 0, 2), Nps::from_counts(1, 1, 0)]);
/// assert!(nps_by_group(&[2], &[10], 2).is_err());
/// ```
pub fn nps_by_group(
    groups: &[u32],
    scores: &[u8],
    group_count: usize,
) -> Result<Vec<Nps>, SatisfactionError> {
    if groups.len() != scores.len() {
        return Err(SatisfactionError::LengthMismatch {
            left_name: "groups".into(),
            left: groups.len(),
            right_name: "scores".into(),
            right: scores.len(),
        });
    }
    // Slot 3 counts out-of-scale scores.
    let mut even = vec![[0u64; 4]; group_count];
    let mut odd = vec![[0u64; 4]; group_count];
    let category = |s: u8| usize::from(s >= 7) + usize::from(s >= 9) + usize::from(s > 10);
    let bad_group = |row: usize, group: u32| SatisfactionError::GroupOutOfRange {
        row,
        group,
        groups: group_count,
    };
    let pairs = groups.chunks_exact(2).zip(scores.chunks_exact(2));
    for (row, (g, s)) in pairs.enumerate() {
        let (g0, g1) = (g[0] as usize, g[1] as usize);
        match even.get_mut(g0) {
            Some(slot) => slot[category(s[0])] += 1,
            None => return Err(bad_group(2 * row, g[0])),
        }
        match odd.get_mut(g1) {
            Some(slot) => slot[category(s[1])] += 1,
            None => return Err(bad_group(2 * row + 1, g[1])),
        }
    }
    if groups.len() % 2 == 1 {
        let row = groups.len() - 1;
        match even.get_mut(groups[row] as usize) {
            Some(slot) => slot[category(scores[row])] += 1,
            None => return Err(bad_group(row, groups[row])),
        }
    }
    if even.iter().chain(odd.iter()).any(|slot| slot[3] > 0) {
        return Err(column_error(scores, 0, crate::nps::NPS_MAX));
    }
    Ok(even
        .iter()
        .zip(odd.iter())
        .map(|(a, b)| Nps::from_counts(a[0] + b[0], a[1] + b[1], a[2] + b[2]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Csat;

    #[test]
    fn dense_matches_hashed_breakdown() {
        let groups: Vec<u32> = (0..1001u32).map(|i| i * 31 % 17).collect();
        let scores: Vec<u8> = (0..1001u32).map(|i| (i * 7 % 11) as u8).collect();
        let dense = nps_by_group(&groups, &scores, 17).unwrap();
        let mut hashed = Breakdown::new(Nps::new());
        for (&g, &s) in groups.iter().zip(&scores) {
            hashed.add(g, s).unwrap();
        }
        for (g, nps) in dense.iter().enumerate() {
            assert_eq!(hashed.get(&(g as u32)).unwrap(), nps);
        }
    }

    #[test]
    fn dense_errors_name_the_row() {
        assert_eq!(
            nps_by_group(&[0, 0, 5], &[1, 2, 3], 3),
            Err(SatisfactionError::GroupOutOfRange {
                row: 2,
                group: 5,
                groups: 3
            })
        );
        assert!(matches!(
            nps_by_group(&[0, 0, 1], &[1, 20, 3], 3),
            Err(SatisfactionError::ColumnOutOfScale {
                row: 1,
                score: 20,
                ..
            })
        ));
        assert!(nps_by_group(&[0], &[], 1).is_err());
    }

    #[test]
    fn mismatched_merge_changes_nothing() {
        let mut a = Breakdown::new(Csat::default());
        a.add(1, 5).unwrap();
        let before = a.clone();
        let other = Breakdown::new(Csat::new(crate::CsatScale::top_two(1, 7).unwrap()));
        assert!(a.merge(&other).is_err());
        assert_eq!(a, before);
    }
}
