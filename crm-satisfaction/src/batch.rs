//! Batches of identified responses: de-duplication and counted rejections.

use std::hash::Hash;

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::{Aggregator, SatisfactionError};

/// Whether repeated response ids are counted.
///
/// ```
/// use crm_satisfaction::Dedup;
/// assert_eq!(Dedup::default(), Dedup::FirstWins);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dedup {
    /// Count every response, even with a repeated id.
    KeepAll,
    /// Count the first accepted response of each id; later ones are reported as duplicates.
    #[default]
    FirstWins,
}

/// A response refused, with its id, its score and why.
///
/// ```
/// use crm_satisfaction::{Rejection, SatisfactionError};
/// let r = Rejection {
///     id: "r-1",
///     score: 12,
///     error: SatisfactionError::ScoreOutOfScale { score: 12, min: 0, max: 10 },
/// };
/// assert_eq!(r.score, 12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection<I> {
    /// The response id.
    pub id: I,
    /// The refused score.
    pub score: u8,
    /// Why it was refused (usually [`SatisfactionError::ScoreOutOfScale`]).
    pub error: SatisfactionError,
}

/// The result of aggregating a batch: the aggregate plus what was left out and why.
///
/// ```
/// use crm_satisfaction::{aggregate_batch, Dedup, Nps};
///
/// let out = aggregate_batch(&Nps::new(), [(1, 10), (2, 3), (1, 10), (3, 11)], Dedup::FirstWins);
/// assert_eq!(out.aggregate, Nps::from_counts(1, 0, 1));
/// assert_eq!(out.duplicates, vec![1]);
/// assert_eq!(out.rejected.len(), 1);
/// assert_eq!(out.rejected[0].id, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchOutcome<A, I> {
    /// The aggregate of the accepted responses.
    pub aggregate: A,
    /// Responses counted.
    pub accepted: u64,
    /// Out-of-scale responses with their ids, in input order.
    pub rejected: Vec<Rejection<I>>,
    /// Ids of responses skipped because an earlier response with the same id was counted.
    pub duplicates: Vec<I>,
}

/// Aggregates `(id, score)` pairs into an empty copy of `template`, rejecting out-of-scale
/// scores (kept with their ids) and, with [`Dedup::FirstWins`], counting each id once.
///
/// A rejected response does not claim its id: a later valid response with the same id counts.
///
/// ```
/// use crm_satisfaction::{aggregate_batch, Csat, Dedup};
/// let out = aggregate_batch(&Csat::default(), [("a", 9), ("a", 5)], Dedup::FirstWins);
/// assert_eq!(out.accepted, 1);
/// assert_eq!(out.rejected[0].id, "a");
/// ```
pub fn aggregate_batch<A, I>(
    template: &A,
    responses: impl IntoIterator<Item = (I, u8)>,
    dedup: Dedup,
) -> BatchOutcome<A, I>
where
    A: Aggregator,
    I: Eq + Hash + Clone,
{
    let mut out = BatchOutcome {
        aggregate: template.empty_like(),
        accepted: 0,
        rejected: Vec::new(),
        duplicates: Vec::new(),
    };
    let mut seen: FxHashSet<I> = FxHashSet::default();
    for (id, score) in responses {
        if dedup == Dedup::FirstWins && seen.contains(&id) {
            out.duplicates.push(id);
            continue;
        }
        match out.aggregate.add(score) {
            Ok(()) => {
                out.accepted += 1;
                if dedup == Dedup::FirstWins {
                    seen.insert(id);
                }
            }
            Err(error) => out.rejected.push(Rejection { id, score, error }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ces, Nps};

    #[test]
    fn keep_all_counts_repeats() {
        let out = aggregate_batch(&Nps::new(), [(1, 9), (1, 9)], Dedup::KeepAll);
        assert_eq!(out.accepted, 2);
        assert!(out.duplicates.is_empty());
    }

    #[test]
    fn rejected_first_response_does_not_claim_the_id() {
        let out = aggregate_batch(&Ces::default(), [(7, 0), (7, 3), (7, 4)], Dedup::FirstWins);
        assert_eq!(out.accepted, 1);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!((out.rejected[0].id, out.rejected[0].score), (7, 0));
        assert_eq!(out.duplicates, vec![7]);
        assert_eq!(out.aggregate.mean(), Some(3.0));
    }
}
