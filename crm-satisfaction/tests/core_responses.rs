//! End to end from `crm_core` survey responses and tickets, checked against hand-computed
//! tables.

use chrono::{TimeZone, Utc};
use crm_core::{
    Channel, CsatScale as CoreScale, SurveyResponse, SurveyScore, Tag, Ticket, TicketCategory,
    UserId,
};
use crm_satisfaction::{
    Csat, Dedup, Nps, StatsConfig, TimeBucket, aggregate_responses, breakdown_responses,
    drivers_responses, join_ticket_responses, service_tickets, timeline_responses,
};

fn nps(id: u32, month: u32, score: u8, tags: &[&str]) -> SurveyResponse {
    let at = Utc.with_ymd_and_hms(2024, month, 10, 9, 0, 0).unwrap();
    let mut r = SurveyResponse::new(
        format!("S-{id}").parse().unwrap(),
        i64::from(id % 3).into(),
        at,
        SurveyScore::nps(score).unwrap(),
    )
    .unwrap();
    r.tags = tags.iter().map(|t| Tag::new(t).unwrap()).collect();
    r
}

/// Ten NPS answers over two months, one repeated id.
///
/// | id | month | score | category  | tags           |
/// |----|-------|-------|-----------|----------------|
/// | 1  | 1     | 10    | promoter  |                |
/// | 2  | 1     | 9     | promoter  | fast           |
/// | 3  | 1     | 3     | detractor | billing        |
/// | 4  | 1     | 8     | passive   |                |
/// | 5  | 2     | 2     | detractor | billing, slow  |
/// | 6  | 2     | 6     | detractor | slow           |
/// | 7  | 2     | 10    | promoter  | fast           |
/// | 8  | 2     | 0     | detractor | billing        |
/// | 9  | 2     | 7     | passive   |                |
/// | 1  | 2     | 0     | (repeat of id 1, ignored) |
fn responses() -> Vec<SurveyResponse> {
    vec![
        nps(1, 1, 10, &[]),
        nps(2, 1, 9, &["fast"]),
        nps(3, 1, 3, &["billing"]),
        nps(4, 1, 8, &[]),
        nps(5, 2, 2, &["billing", "slow"]),
        nps(6, 2, 6, &["slow"]),
        nps(7, 2, 10, &["fast"]),
        nps(8, 2, 0, &["billing"]),
        nps(9, 2, 7, &[]),
        nps(1, 2, 0, &[]),
    ]
}

#[test]
fn totals_timeline_and_breakdown() {
    let all = responses();
    let total = aggregate_responses(&Nps::new(), &all, Dedup::FirstWins);
    assert_eq!(total.value, Nps::from_counts(4, 2, 3));
    assert_eq!(total.duplicates.len(), 1);
    // (3 − 4)/9 = −11.11...
    assert!((total.value.score().unwrap() + 100.0 / 9.0).abs() < 1e-12);
    let kept = aggregate_responses(&Nps::new(), &all, Dedup::KeepAll);
    assert_eq!(kept.value, Nps::from_counts(5, 2, 3));

    let months = timeline_responses(&Nps::new(), TimeBucket::Month, &all, Dedup::FirstWins);
    let p = months.value.periods();
    assert_eq!(p[0].1, Nps::from_counts(1, 1, 2)); // January: +25
    assert_eq!(p[1].1, Nps::from_counts(3, 1, 1)); // February: −40
    let trend = months.value.trends(&StatsConfig::default()).unwrap();
    let d = trend[0].difference.unwrap();
    assert!((d.estimate + 65.0).abs() < 1e-12);

    let by_customer =
        breakdown_responses(&Nps::new(), &all, Dedup::FirstWins, |r| r.customer.clone());
    // Customers id % 3: 0 → {3, 6, 9}, 1 → {1, 4, 7}, 2 → {2, 5, 8}.
    assert_eq!(
        by_customer.value.get(&0.into()),
        Some(&Nps::from_counts(2, 1, 0))
    );
    assert_eq!(
        by_customer.value.get(&1.into()),
        Some(&Nps::from_counts(0, 1, 2))
    );
    assert_eq!(
        by_customer.value.get(&2.into()),
        Some(&Nps::from_counts(2, 0, 1))
    );
}

#[test]
fn drivers_of_detractors() {
    let out = drivers_responses(&Nps::new(), &responses(), Dedup::FirstWins);
    let report = out.value.report(&StatsConfig::default());
    let tags: Vec<&str> = report.iter().map(|d| d.tag.as_str()).collect();
    // billing: 3 tagged, 3 detractors: lift (3/4)/(3/9) = 2.25; slow: (2/4)/(2/9) = 2.25;
    // fast: 0 detractors of 2: lift 0.
    assert_eq!(tags, vec!["billing", "slow", "fast"]);
    assert!((report[0].lift.unwrap() - 2.25).abs() < 1e-12);
    assert!((report[1].lift.unwrap() - 2.25).abs() < 1e-12);
    assert_eq!(report[2].lift, Some(0.0));
}

#[test]
fn csat_by_agent_category_and_sla() {
    let at = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap();
    let mut tickets = Vec::new();
    for (i, (agent, category)) in [
        (1u64, TicketCategory::Incident),
        (1, TicketCategory::Question),
        (2, TicketCategory::Incident),
        (2, TicketCategory::Incident),
    ]
    .into_iter()
    .enumerate()
    {
        let mut t = Ticket::new(
            format!("T-{i}").parse().unwrap(),
            42.into(),
            category,
            Channel::Email,
            at,
        );
        t.assignee = Some(UserId::from(crm_core::Key::from(agent as i64)));
        if i % 2 == 0 {
            t.first_response_at = Some(at + chrono::Duration::hours(1));
        } else {
            t.first_response_at = Some(at + chrono::Duration::hours(30));
        }
        tickets.push(t);
    }
    let facts = service_tickets(&tickets, |t| {
        t.first_response_at
            .is_some_and(|r| r - t.created_at > chrono::Duration::hours(24))
    });
    let scores = [5u8, 2, 4, 1];
    let responses: Vec<SurveyResponse> = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let mut r = SurveyResponse::new(
                format!("S-{i}").parse().unwrap(),
                42.into(),
                at,
                SurveyScore::csat(s, CoreScale::default()).unwrap(),
            )
            .unwrap();
            r.ticket = Some(tickets[i].id.clone());
            r
        })
        .collect();
    let j = join_ticket_responses(&Csat::default(), &facts, &responses).unwrap();
    let agent = |a: i64| Some(UserId::from(crm_core::Key::from(a)));
    assert_eq!(j.by_agent.get(&agent(1)).unwrap().counts()[1], (2, 1));
    assert_eq!(j.by_agent.get(&agent(1)).unwrap().percent(), Some(50.0));
    assert_eq!(j.by_agent.get(&agent(2)).unwrap().percent(), Some(50.0));
    assert_eq!(
        j.by_category.get(&TicketCategory::Incident).unwrap().mean(),
        Some(10.0 / 3.0)
    );
    // Breached (odd rows): scores 2, 1 → 0 %; met: 5, 4 → 100 %.
    assert_eq!(j.sla_breached.percent(), Some(0.0));
    assert_eq!(j.sla_met.percent(), Some(100.0));
    let d = j.sla_difference(&StatsConfig::default()).unwrap().unwrap();
    assert_eq!(d.estimate, 100.0);
}
