//! Joins of survey scores with service data on plain inputs: scores by agent and by ticket
//! category, and for tickets whose SLA was breached against those where it was met.

use std::hash::Hash;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::{Aggregator, Breakdown, Difference, Rejection, SatisfactionError, StatsConfig};

/// The service facts of one ticket.
///
/// ```
/// use crm_satisfaction::ServiceTicket;
/// let t = ServiceTicket { ticket: 1, agent: "ann", category: "billing", sla_breached: false };
/// assert!(!t.sla_breached);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTicket<T, A, C> {
    /// Ticket id.
    pub ticket: T,
    /// The agent who handled it.
    pub agent: A,
    /// Its category.
    pub category: C,
    /// Whether its SLA was breached.
    pub sla_breached: bool,
}

/// Scores broken down by the service facts of their tickets.
///
/// ```
/// use crm_satisfaction::{join_service, Csat, ServiceTicket, StatsConfig};
///
/// let tickets = [
///     ServiceTicket { ticket: 1, agent: "ann", category: "billing", sla_breached: false },
///     ServiceTicket { ticket: 2, agent: "bob", category: "billing", sla_breached: true },
/// ];
/// let joined = join_service(&Csat::default(), &tickets, [(1, 5), (2, 2), (3, 4)]).unwrap();
/// assert_eq!(joined.by_agent.get(&"ann").unwrap().percent(), Some(100.0));
/// assert_eq!(joined.by_category.get(&"billing").unwrap().responses(), 2);
/// assert_eq!(joined.sla_breached.percent(), Some(0.0));
/// assert_eq!(joined.unmatched, vec![3]);
/// let d = joined.sla_difference(&StatsConfig::default()).unwrap().unwrap();
/// assert_eq!(d.estimate, 100.0); // met − breached
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize, A: Serialize + Eq + Hash, C: Serialize + Eq + Hash, G: Serialize",
    deserialize = "T: Deserialize<'de>, A: Deserialize<'de> + Eq + Hash, \
                   C: Deserialize<'de> + Eq + Hash, G: Deserialize<'de>"
))]
pub struct ServiceJoin<T, A, C, G> {
    /// Scores per agent.
    pub by_agent: Breakdown<A, G>,
    /// Scores per ticket category.
    pub by_category: Breakdown<C, G>,
    /// Scores of tickets whose SLA was breached.
    pub sla_breached: G,
    /// Scores of tickets whose SLA was met.
    pub sla_met: G,
    /// Ticket ids of responses that match no ticket (not aggregated).
    pub unmatched: Vec<T>,
    /// Out-of-scale responses with their ticket ids (not aggregated).
    pub rejected: Vec<Rejection<T>>,
}

impl<T, A, C, G> ServiceJoin<T, A, C, G>
where
    A: Eq + Hash + Clone,
    C: Eq + Hash + Clone,
    G: Aggregator,
{
    /// Headline difference SLA met − SLA breached with its z-test; `None` when either side
    /// has no responses.
    ///
    /// ```
    /// use crm_satisfaction::{join_service, Nps, ServiceTicket, StatsConfig};
    /// let tickets = [ServiceTicket { ticket: 1, agent: 1, category: 1, sla_breached: false }];
    /// let j = join_service(&Nps::new(), &tickets, [(1, 9)]).unwrap();
    /// assert!(j.sla_difference(&StatsConfig::default()).unwrap().is_none());
    /// ```
    pub fn sla_difference(
        &self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.sla_met.compare(&self.sla_breached, config)
    }
}

/// Joins `(ticket id, score)` responses with ticket facts and aggregates them, in one pass,
/// by agent, by category and by SLA outcome into empty copies of `template` (CSAT, NPS or
/// CES). Responses whose ticket is unknown are listed in `unmatched`; out-of-scale scores in
/// `rejected`. A ticket id listed twice in `tickets` is an error naming the second row.
///
/// ```
/// use crm_satisfaction::{join_service, Csat, SatisfactionError, ServiceTicket};
/// let t = ServiceTicket { ticket: 7, agent: (), category: (), sla_breached: false };
/// let err = join_service(&Csat::default(), &[t.clone(), t], [(7, 5)]).unwrap_err();
/// assert_eq!(err, SatisfactionError::DuplicateTicket { row: 1 });
/// ```
pub fn join_service<T, A, C, G>(
    template: &G,
    tickets: &[ServiceTicket<T, A, C>],
    responses: impl IntoIterator<Item = (T, u8)>,
) -> Result<ServiceJoin<T, A, C, G>, SatisfactionError>
where
    T: Eq + Hash + Clone,
    A: Eq + Hash + Clone,
    C: Eq + Hash + Clone,
    G: Aggregator,
{
    let mut index: FxHashMap<&T, &ServiceTicket<T, A, C>> = FxHashMap::default();
    for (row, t) in tickets.iter().enumerate() {
        if index.insert(&t.ticket, t).is_some() {
            return Err(SatisfactionError::DuplicateTicket { row });
        }
    }
    let mut out = ServiceJoin {
        by_agent: Breakdown::new(template.empty_like()),
        by_category: Breakdown::new(template.empty_like()),
        sla_breached: template.empty_like(),
        sla_met: template.empty_like(),
        unmatched: Vec::new(),
        rejected: Vec::new(),
    };
    for (ticket, score) in responses {
        let Some(facts) = index.get(&ticket) else {
            out.unmatched.push(ticket);
            continue;
        };
        let mut one = template.empty_like();
        if let Err(error) = one.add(score) {
            out.rejected.push(Rejection {
                id: ticket,
                score,
                error,
            });
            continue;
        }
        out.by_agent.add_aggregate(facts.agent.clone(), &one)?;
        out.by_category
            .add_aggregate(facts.category.clone(), &one)?;
        if facts.sla_breached {
            out.sla_breached.merge(&one)?;
        } else {
            out.sla_met.merge(&one)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Csat, CsatScale};

    #[test]
    fn hand_computed_join() {
        let tickets: Vec<ServiceTicket<u32, &str, &str>> = (0..8)
            .map(|i| ServiceTicket {
                ticket: i,
                agent: if i % 2 == 0 { "ann" } else { "bob" },
                category: if i < 4 { "billing" } else { "login" },
                sla_breached: i >= 6,
            })
            .collect();
        // Ticket: 0..8 scores 5,4,3,2,1,5,1,2 and one out-of-scale response.
        let responses = [
            (0, 5),
            (1, 4),
            (2, 3),
            (3, 2),
            (4, 1),
            (5, 5),
            (6, 1),
            (7, 2),
            (0, 9),
        ];
        let j = join_service(&Csat::new(CsatScale::default()), &tickets, responses).unwrap();
        // ann: 5,3,1,1 -> 1 satisfied of 4; bob: 4,2,5,2 -> 2 of 4.
        assert_eq!(j.by_agent.get(&"ann").unwrap().satisfied(), 1);
        assert_eq!(j.by_agent.get(&"bob").unwrap().satisfied(), 2);
        assert_eq!(j.by_category.get(&"billing").unwrap().mean(), Some(3.5));
        assert_eq!(j.by_category.get(&"login").unwrap().mean(), Some(2.25));
        assert_eq!(j.sla_breached.percent(), Some(0.0));
        assert_eq!(j.sla_met.satisfied(), 3);
        assert_eq!((j.rejected[0].id, j.rejected[0].score), (0, 9));
        assert_eq!(j.rejected.len(), 1);
        assert!(j.unmatched.is_empty());
    }
}
