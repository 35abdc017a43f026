//! Adapters from the `crm_core` domain model: survey responses and tickets.
//!
//! The aggregators work on plain scores; these functions pick the responses of the right
//! kind (NPS, CSAT on the aggregator's scale, CES) from [`crm_core::SurveyResponse`]s,
//! de-duplicate by response id when asked, and feed batches, breakdowns, timelines, driver
//! analysis and service joins. Responses of other kinds (or CSAT on another scale) are
//! skipped and counted; scores off their scale (possible only for hand-built values) are
//! counted rejections with their ids.

use std::hash::Hash;

use crm_core::{
    SurveyResponse, SurveyResponseId, SurveyScore, Tag, Ticket, TicketCategory, TicketId, UserId,
};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::{
    Aggregator, Breakdown, Ces, Csat, Dedup, DriverCounts, Nps, Rejection, SatisfactionError,
    ServiceJoin, ServiceTicket, TimeBucket, Timeline, join_service,
};

/// An aggregator that knows which survey scores it takes.
///
/// ```
/// use crm_core::{CsatScale as CoreScale, SurveyScore};
/// use crm_satisfaction::{Csat, FromSurvey, Nps};
///
/// let nps = SurveyScore::nps(9).unwrap();
/// assert_eq!(Nps::new().score_of(&nps), Some(9));
/// assert_eq!(Csat::default().score_of(&nps), None);
/// let csat = SurveyScore::csat(4, CoreScale::default()).unwrap();
/// assert_eq!(Csat::default().score_of(&csat), Some(4));
/// ```
pub trait FromSurvey: Aggregator {
    /// The raw score if the survey score is of this aggregator's kind (and, for CSAT, on the
    /// same `min..=max` scale), else `None`.
    fn score_of(&self, score: &SurveyScore) -> Option<u8>;
}

impl FromSurvey for Nps {
    fn score_of(&self, score: &SurveyScore) -> Option<u8> {
        match *score {
            SurveyScore::Nps(s) => Some(s),
            _ => None,
        }
    }
}

impl FromSurvey for Ces {
    fn score_of(&self, score: &SurveyScore) -> Option<u8> {
        match *score {
            SurveyScore::Ces(s) => Some(s),
            _ => None,
        }
    }
}

impl FromSurvey for Csat {
    fn score_of(&self, score: &SurveyScore) -> Option<u8> {
        match *score {
            SurveyScore::Csat { score, scale }
                if scale.min() == self.scale().min() && scale.max() == self.scale().max() =>
            {
                Some(score)
            }
            _ => None,
        }
    }
}

/// What a pass over survey responses built, and what it left out.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{SurveyResponse, SurveyScore};
/// use crm_satisfaction::{aggregate_responses, Dedup, Nps};
///
/// let r = |id: &str, s| SurveyResponse::new(id.parse().unwrap(), 1.into(), Utc::now(), s).unwrap();
/// let responses = vec![
///     r("S-1", SurveyScore::nps(10).unwrap()),
///     r("S-1", SurveyScore::nps(10).unwrap()),
///     r("S-2", SurveyScore::ces(3).unwrap()),
/// ];
/// let out = aggregate_responses(&Nps::new(), &responses, Dedup::FirstWins);
/// assert_eq!(out.value, Nps::from_counts(0, 0, 1));
/// assert_eq!(out.duplicates.len(), 1);
/// assert_eq!(out.other_kind, 1);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponsePass<T> {
    /// The aggregate, breakdown, timeline or driver counts.
    pub value: T,
    /// Responses counted.
    pub accepted: u64,
    /// Responses of another kind (or CSAT on another scale), skipped.
    pub other_kind: u64,
    /// Off-scale responses with their ids.
    pub rejected: Vec<Rejection<SurveyResponseId>>,
    /// Ids of responses skipped as repeats of a counted id.
    pub duplicates: Vec<SurveyResponseId>,
}

/// Walks the responses of `template`'s kind, validating and de-duplicating, and hands each
/// accepted `(response, score)` to `sink`.
fn pass<'a, A, T>(
    template: &A,
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
    dedup: Dedup,
    value: T,
    mut sink: impl FnMut(&mut T, &'a SurveyResponse, u8) -> Result<(), SatisfactionError>,
) -> ResponsePass<T>
where
    A: FromSurvey,
{
    let mut out = ResponsePass {
        value,
        accepted: 0,
        other_kind: 0,
        rejected: Vec::new(),
        duplicates: Vec::new(),
    };
    let mut seen: FxHashSet<&'a SurveyResponseId> = FxHashSet::default();
    for r in responses {
        let Some(score) = template.score_of(&r.score) else {
            out.other_kind += 1;
            continue;
        };
        if dedup == Dedup::FirstWins && seen.contains(&r.id) {
            out.duplicates.push(r.id.clone());
            continue;
        }
        let checked = template
            .empty_like()
            .add(score)
            .and_then(|()| sink(&mut out.value, r, score));
        match checked {
            Ok(()) => {
                out.accepted += 1;
                if dedup == Dedup::FirstWins {
                    seen.insert(&r.id);
                }
            }
            Err(error) => out.rejected.push(Rejection {
                id: r.id.clone(),
                score,
                error,
            }),
        }
    }
    out
}

/// Aggregates the responses of `template`'s kind into one aggregate.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{CsatScale as CoreScale, SurveyResponse, SurveyScore};
/// use crm_satisfaction::{aggregate_responses, Csat, Dedup};
///
/// let s = SurveyScore::csat(5, CoreScale::default()).unwrap();
/// let r = SurveyResponse::new("S-9".parse().unwrap(), 1.into(), Utc::now(), s).unwrap();
/// let out = aggregate_responses(&Csat::default(), [&r], Dedup::KeepAll);
/// assert_eq!(out.value.percent(), Some(100.0));
/// ```
pub fn aggregate_responses<'a, A: FromSurvey>(
    template: &A,
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
    dedup: Dedup,
) -> ResponsePass<A> {
    pass(
        template,
        responses,
        dedup,
        template.empty_like(),
        |agg, _, s| agg.add(s),
    )
}

/// Breaks the responses of `template`'s kind down by any key derived from the response
/// (customer, channel looked up elsewhere, a tag...).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{SurveyResponse, SurveyScore};
/// use crm_satisfaction::{breakdown_responses, Dedup, Nps};
///
/// let r = SurveyResponse::new("S-1".parse().unwrap(), 7.into(), Utc::now(), SurveyScore::nps(0).unwrap()).unwrap();
/// let out = breakdown_responses(&Nps::new(), [&r], Dedup::FirstWins, |r| r.customer.clone());
/// assert_eq!(out.value.get(&7.into()).unwrap().detractors, 1);
/// ```
pub fn breakdown_responses<'a, A, K>(
    template: &A,
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
    dedup: Dedup,
    key: impl Fn(&SurveyResponse) -> K,
) -> ResponsePass<Breakdown<K, A>>
where
    A: FromSurvey,
    K: Eq + Hash + Clone,
{
    let value = Breakdown::new(template.empty_like());
    pass(template, responses, dedup, value, |b, r, s| {
        b.add(key(r), s)
    })
}

/// Buckets the responses of `template`'s kind by answer time.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{SurveyResponse, SurveyScore};
/// use crm_satisfaction::{timeline_responses, Dedup, Nps, TimeBucket};
///
/// let at = Utc.with_ymd_and_hms(2024, 3, 5, 8, 0, 0).unwrap();
/// let r = SurveyResponse::new("S-1".parse().unwrap(), 7.into(), at, SurveyScore::nps(9).unwrap()).unwrap();
/// let out = timeline_responses(&Nps::new(), TimeBucket::Month, [&r], Dedup::FirstWins);
/// assert_eq!(out.value.periods()[0].1.promoters, 1);
/// ```
pub fn timeline_responses<'a, A: FromSurvey>(
    template: &A,
    bucket: TimeBucket,
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
    dedup: Dedup,
) -> ResponsePass<Timeline<A>> {
    let value = Timeline::new(bucket, template.empty_like());
    pass(template, responses, dedup, value, |t, r, s| {
        t.add(r.responded_at, s)
    })
}

/// Driver analysis of the response tags among negative answers of `template`'s kind.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{SurveyResponse, SurveyScore, Tag};
/// use crm_satisfaction::{drivers_responses, Dedup, Nps};
///
/// let mut r = SurveyResponse::new("S-1".parse().unwrap(), 7.into(), Utc::now(), SurveyScore::nps(2).unwrap()).unwrap();
/// r.tags.insert(Tag::new("billing").unwrap());
/// let out = drivers_responses(&Nps::new(), [&r], Dedup::FirstWins);
/// assert_eq!(out.value.negative(), 1);
/// ```
pub fn drivers_responses<'a, A: FromSurvey>(
    template: &A,
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
    dedup: Dedup,
) -> ResponsePass<DriverCounts<Tag>> {
    pass(
        template,
        responses,
        dedup,
        DriverCounts::new(),
        |d, r, s| {
            let tags: Vec<Tag> = r.tags.iter().cloned().collect();
            d.add_scored(template, s, &tags)
        },
    )
}

/// The service facts of `crm_core` tickets: agent (the assignee, if any), category, and the
/// SLA outcome decided by `sla_breached` (SLA policies live with the host).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Channel, Ticket, TicketCategory};
/// use crm_satisfaction::service_tickets;
///
/// let t = Ticket::new("T-1".parse().unwrap(), 42.into(), TicketCategory::Incident, Channel::Email, Utc::now());
/// let facts = service_tickets(&[t], |t| t.first_response_at.is_none());
/// assert!(facts[0].sla_breached);
/// assert_eq!(facts[0].agent, None);
/// ```
pub fn service_tickets(
    tickets: &[Ticket],
    sla_breached: impl Fn(&Ticket) -> bool,
) -> Vec<ServiceTicket<TicketId, Option<UserId>, TicketCategory>> {
    tickets
        .iter()
        .map(|t| ServiceTicket {
            ticket: t.id.clone(),
            agent: t.assignee.clone(),
            category: t.category,
            sla_breached: sla_breached(t),
        })
        .collect()
}

/// Joins the responses of `template`'s kind that name a ticket with the ticket facts (see
/// [`join_service`]); responses without a ticket are not part of the join.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Channel, CsatScale as CoreScale, SurveyResponse, SurveyScore, Ticket, TicketCategory};
/// use crm_satisfaction::{join_ticket_responses, service_tickets, Csat};
///
/// let t = Ticket::new("T-1".parse().unwrap(), 42.into(), TicketCategory::Incident, Channel::Email, Utc::now());
/// let mut r = SurveyResponse::new("S-1".parse().unwrap(), 42.into(), Utc::now(),
///     SurveyScore::csat(2, CoreScale::default()).unwrap()).unwrap();
/// r.ticket = Some(t.id.clone());
/// let facts = service_tickets(&[t], |_| true);
/// let j = join_ticket_responses(&Csat::default(), &facts, [&r]).unwrap();
/// assert_eq!(j.by_category.get(&TicketCategory::Incident).unwrap().responses(), 1);
/// assert_eq!(j.sla_breached.percent(), Some(0.0));
/// ```
pub fn join_ticket_responses<'a, A: FromSurvey>(
    template: &A,
    tickets: &[ServiceTicket<TicketId, Option<UserId>, TicketCategory>],
    responses: impl IntoIterator<Item = &'a SurveyResponse>,
) -> Result<ServiceJoin<TicketId, Option<UserId>, TicketCategory, A>, SatisfactionError> {
    let pairs = responses.into_iter().filter_map(|r| {
        let score = template.score_of(&r.score)?;
        Some((r.ticket.clone()?, score))
    });
    join_service(template, tickets, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use crm_core::CsatScale as CoreScale;

    fn response(id: u32, score: SurveyScore) -> SurveyResponse {
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        SurveyResponse::new(format!("S-{id}").parse().unwrap(), 1.into(), at, score).unwrap()
    }

    #[test]
    fn kinds_scales_and_hand_built_out_of_range_values() {
        let five = CoreScale::default();
        let seven = CoreScale::new(1, 7).unwrap();
        let mut bad = response(9, SurveyScore::nps(1).unwrap());
        bad.score = SurveyScore::Nps(12); // hand-built, never validated
        let all = [
            response(1, SurveyScore::nps(10).unwrap()),
            response(2, SurveyScore::csat(5, five).unwrap()),
            response(3, SurveyScore::csat(7, seven).unwrap()),
            response(4, SurveyScore::ces(6).unwrap()),
            bad,
        ];
        let nps = aggregate_responses(&Nps::new(), &all, Dedup::FirstWins);
        assert_eq!(
            (nps.accepted, nps.other_kind, nps.rejected.len()),
            (1, 3, 1)
        );
        assert_eq!(nps.rejected[0].score, 12);
        let csat = aggregate_responses(&Csat::default(), &all, Dedup::FirstWins);
        assert_eq!((csat.accepted, csat.other_kind), (1, 4));
        let ces = aggregate_responses(&Ces::default(), &all, Dedup::FirstWins);
        assert_eq!(ces.value.easy(), 1);
    }
}
