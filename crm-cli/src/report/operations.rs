//! Demo sections driven by `crm-lifecycle`'s machines: customer lifecycle stages, the ticket
//! SLA report (with CSAT joined by SLA outcome) and the deal funnel.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use crm_core::{Deal, SurveyResponse, SurveyScore, Ticket};
use crm_lifecycle::Instance;
use crm_lifecycle::{ActivityFacts, Classifier};
use crm_lifecycle::{BreachRate, SlaPolicy, SlaReport, TicketSla};
use crm_lifecycle::{StageProbabilities, analyze_funnel};
use crm_satisfaction::{Csat, Difference, ServiceTicket, StatsConfig, join_service};
use serde_json::json;

use crate::demo::churn::ServiceFacts;
use crate::demo::collector::{Collector, f1};
use crate::demo::generate::{DealOutcome, DemoData, TicketStep};
use crate::demo::store::Stored;
use crate::error::{CliError, CliResult};
use crate::input::transactions::TransactionRow;
use crate::report::charts;
use crate::report::html::{Chart, Section, Table};

fn life(what: &'static str, e: impl std::fmt::Display) -> CliError {
    CliError::analysis(what, e)
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", 100.0 * v))
        .unwrap_or_else(|| "-".into())
}

fn hours(seconds: Option<f64>) -> String {
    seconds
        .map(|s| format!("{:.1} h", s / 3600.0))
        .unwrap_or_else(|| "-".into())
}

/// Purchase facts per customer: first, last and the mean gap between purchase days.
pub fn activity(rows: &[TransactionRow]) -> HashMap<String, ActivityFacts> {
    let mut days: HashMap<&str, Vec<DateTime<Utc>>> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| r.amount.is_sign_positive() && !r.amount.is_zero())
    {
        days.entry(&r.customer_id).or_default().push(r.timestamp);
    }
    days.into_iter()
        .map(|(id, mut ts)| {
            ts.sort_unstable();
            let first = ts[0];
            let last = ts[ts.len() - 1];
            let gap = (ts.len() > 1)
                .then(|| (last - first).num_seconds() as f64 / 86_400.0 / (ts.len() - 1) as f64);
            (
                id.to_string(),
                ActivityFacts {
                    first_purchase: Some(first),
                    last_purchase: Some(last),
                    typical_gap_days: gap,
                    ..ActivityFacts::default()
                },
            )
        })
        .collect()
}

/// Customer lifecycle stages: every customer starts as a lead and is moved by the classifier
/// along legal transitions to the stage its activity (and churn probability) calls for.
pub fn lifecycle_stages(
    stored: &Stored,
    rows: &[TransactionRow],
    churn_probability: &HashMap<String, f64>,
    now: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<BTreeMap<String, u64>> {
    let machine = crm_lifecycle::CUSTOMER_LIFECYCLE.machine();
    let classifier = Classifier::default();
    let facts = activity(rows);
    let with_deal: std::collections::HashSet<String> = stored
        .deals
        .iter()
        .map(|d| d.customer.to_string())
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut moves = 0u64;
    for customer in &stored.customers {
        let id = customer.id.to_string();
        let mut f = facts.get(&id).cloned().unwrap_or_default();
        f.qualified = with_deal.contains(&id);
        f.churn_probability = churn_probability.get(&id).copied();
        let mut instance = Instance::new(&machine, customer.created_at);
        let step = classifier
            .advance(&machine, &mut instance, &f, now)
            .map_err(|e| life("lifecycle classifier", e))?;
        moves += step.events.len() as u64;
        *counts.entry(instance.state().to_string()).or_default() += 1;
    }
    let order = [
        "lead", "prospect", "new", "active", "at_risk", "churned", "won_back",
    ];
    let labels: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let values: Vec<f64> = order
        .iter()
        .map(|s| counts.get(*s).copied().unwrap_or(0) as f64)
        .collect();
    let total: u64 = counts.values().sum();
    let share = |s: &str| counts.get(s).copied().unwrap_or(0) as f64 / total.max(1) as f64;
    let section = Section {
        title: "Lifecycle".into(),
        text: "Every customer starts as a lead; the lifecycle classifier moves it along legal transitions \
               only, from its purchase facts (first and last purchase, typical gap) and its churn \
               probability (1 - P(alive)) where the churn model is fitted."
            .into(),
        headlines: vec![
            ("active".into(), pct(Some(share("active")))),
            ("at risk".into(), pct(Some(share("at_risk")))),
            ("churned".into(), pct(Some(share("churned")))),
            ("transitions applied".into(), moves.to_string()),
        ],
        charts: vec![Chart {
            caption: "Customers per lifecycle stage at the end of the window".into(),
            svg: charts::bars("Lifecycle stages", &labels, &[("customers", &values)], "customers")?,
        }],
        ..Section::default()
    };
    c.section(
        section,
        "lifecycle",
        json!({ "stages": counts, "transitions": moves }),
    );
    Ok(counts)
}

fn ticket_event(step: TicketStep) -> &'static str {
    match step {
        TicketStep::Assign => "assign",
        TicketStep::Pending => "wait_on_customer",
        TicketStep::Resume => "customer_reply",
        TicketStep::Solve => "solve",
        TicketStep::Reopen => "reopen",
        TicketStep::Close => "close",
    }
}

/// The record read back for each generated item, by id.
fn read_back<'a, T>(
    kind: &'static str,
    ids: impl Iterator<Item = &'a str>,
    records: &'a [T],
    id: impl Fn(&T) -> String,
) -> CliResult<Vec<&'a T>> {
    let by_id: HashMap<String, &T> = records.iter().map(|r| (id(r), r)).collect();
    ids.map(|i| {
        by_id.get(i).copied().ok_or_else(|| {
            life(
                "database read-back",
                format!("{kind} {i} was not read back"),
            )
        })
    })
    .collect()
}

/// Replays each ticket's workflow history and evaluates the SLA of its record.
fn ticket_slas(
    data: &DemoData,
    records: &[&Ticket],
    now: DateTime<Utc>,
) -> CliResult<Vec<TicketSla>> {
    let machine = crm_lifecycle::TICKET_WORKFLOW.machine();
    let policy = SlaPolicy::default();
    let mut slas: Vec<TicketSla> = Vec::with_capacity(data.tickets.len());
    for (t, record) in data.tickets.iter().zip(records) {
        let mut flow = Instance::new(&machine, t.created_at);
        for (step, at) in &t.steps {
            flow.fire(&machine, ticket_event(*step), *at, Some(&t.agent))
                .map_err(|e| life("ticket workflow", e))?;
        }
        slas.push(
            policy
                .evaluate(record, &flow, now)
                .map_err(|e| life("ticket SLA", e))?,
        );
    }
    Ok(slas)
}

/// Service facts per customer: tickets still open, tickets whose SLA was breached, and
/// whether the latest NPS answer was a detractor and the latest CSAT answer dissatisfied.
fn service_facts(
    records: &[&Ticket],
    slas: &[TicketSla],
    responses: &[SurveyResponse],
) -> HashMap<String, ServiceFacts> {
    let mut facts: HashMap<String, ServiceFacts> = HashMap::new();
    for (record, sla) in records.iter().zip(slas) {
        let f = facts.entry(record.customer.to_string()).or_default();
        if !matches!(
            record.status,
            crm_core::TicketStatus::Solved | crm_core::TicketStatus::Closed
        ) {
            f.open_tickets += 1;
        }
        if sla.breached() {
            f.breached_tickets += 1;
        }
    }
    let mut latest: HashMap<(String, bool), (DateTime<Utc>, u8)> = HashMap::new();
    for r in responses {
        let (nps, score) = match r.score {
            SurveyScore::Nps(s) => (true, s),
            SurveyScore::Csat { score, .. } => (false, score),
            _ => continue,
        };
        let e = latest
            .entry((r.customer.to_string(), nps))
            .or_insert((r.responded_at, score));
        if r.responded_at >= e.0 {
            *e = (r.responded_at, score);
        }
    }
    for ((customer, nps), (_, score)) in latest {
        let f = facts.entry(customer).or_default();
        if nps {
            f.detractor = score <= 6;
        } else {
            f.low_csat = score <= 3;
        }
    }
    facts
}

/// CSAT of the tickets whose SLA was met and of those breached (percent satisfied), and
/// the difference met minus breached with its test.
fn csat_by_sla(
    records: &[&Ticket],
    slas: &[TicketSla],
    responses: &[SurveyResponse],
) -> CliResult<(Option<f64>, Option<f64>, Option<Difference>)> {
    let service_tickets: Vec<ServiceTicket<String, String, String>> = records
        .iter()
        .zip(slas)
        .map(|(t, s)| ServiceTicket {
            ticket: t.id.to_string(),
            agent: t
                .assignee
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_else(|| "unassigned".into()),
            category: t.category.to_string(),
            sla_breached: s.breached(),
        })
        .collect();
    let csat = responses.iter().filter_map(|r| match (r.score, &r.ticket) {
        (SurveyScore::Csat { score, .. }, Some(t)) => Some((t.to_string(), score)),
        _ => None,
    });
    let joined = join_service(&Csat::default(), &service_tickets, csat)
        .map_err(|e| life("CSAT by SLA", e))?;
    let config = StatsConfig::default();
    let difference = joined
        .sla_difference(&config)
        .map_err(|e| life("CSAT by SLA", e))?;
    Ok((
        joined.sla_met.percent(),
        joined.sla_breached.percent(),
        difference,
    ))
}

/// The share of tickets breaching their SLA, by priority and by category.
fn breach_charts(report: &SlaReport) -> CliResult<Vec<Chart>> {
    let priorities = ["low", "normal", "high", "urgent"];
    let labels: Vec<String> = priorities.iter().map(|s| s.to_string()).collect();
    let rates: Vec<f64> = priorities
        .iter()
        .map(|p| {
            100.0
                * report
                    .by_priority
                    .get(*p)
                    .and_then(|r| r.rate())
                    .unwrap_or(0.0)
        })
        .collect();
    let categories: Vec<String> = report.by_category.keys().cloned().collect();
    let cat_rates: Vec<f64> = report
        .by_category
        .values()
        .map(|r| 100.0 * r.rate().unwrap_or(0.0))
        .collect();
    Ok(vec![
        Chart {
            caption: "Share of tickets breaching their SLA, by priority".into(),
            svg: charts::bars(
                "SLA breaches by priority",
                &labels,
                &[("breach rate %", &rates)],
                "% breached",
            )?,
        },
        Chart {
            caption: "Share of tickets breaching their SLA, by category".into(),
            svg: charts::bars(
                "SLA breaches by category",
                &categories,
                &[("breach rate %", &cat_rates)],
                "% breached",
            )?,
        },
    ])
}

/// Tickets, breaches and breach rate per key (agent, priority, category).
fn rate_table(caption: &str, map: &BTreeMap<String, BreachRate>) -> Table {
    Table {
        caption: caption.into(),
        columns: vec![
            "".into(),
            "tickets".into(),
            "breached".into(),
            "breach rate".into(),
        ],
        rows: map
            .iter()
            .map(|(k, r)| {
                vec![
                    k.clone(),
                    r.tickets.to_string(),
                    r.breached.to_string(),
                    pct(r.rate()),
                ]
            })
            .collect(),
    }
}

/// Ticket SLA report, and CSAT joined with the tickets' SLA outcome.
///
/// The ticket records and the survey answers are the ones read back from the database;
/// the workflow histories the SLA clock runs on come from the generator, since the stored
/// ticket holds its state and timestamps, not every event.
pub fn service(
    data: &DemoData,
    stored: &Stored,
    now: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<(SlaReport, HashMap<String, ServiceFacts>)> {
    let records: Vec<&Ticket> = read_back(
        "ticket",
        data.tickets.iter().map(|t| t.id.as_str()),
        &stored.tickets,
        |t| t.id.to_string(),
    )?;
    let slas = ticket_slas(data, &records, now)?;
    let report = SlaReport::from_tickets(&slas);
    let facts = service_facts(&records, &slas, &stored.responses);
    let (csat_met, csat_breached, difference) = csat_by_sla(&records, &slas, &stored.responses)?;
    let section = Section {
        title: "Service".into(),
        text: "Ticket SLA with the default policy (first response / resolution targets per priority; the clock \
               pauses while a ticket is pending or on hold), evaluated on each ticket's workflow history; CSAT of \
               tickets whose SLA was breached against those met, with a z-test."
            .into(),
        headlines: vec![
            ("tickets".into(), report.overall.tickets.to_string()),
            ("SLA breach rate".into(), pct(report.overall.rate())),
            ("median first response".into(), hours(report.median_first_response_seconds)),
            ("median resolution".into(), hours(report.median_resolution_seconds)),
            (
                "CSAT % SLA met / breached".into(),
                format!("{} / {}", f1(csat_met), f1(csat_breached)),
            ),
        ],
        charts: breach_charts(&report)?,
        tables: vec![rate_table("Breaches by agent", &report.by_agent)],
        ..Section::default()
    };
    c.section(
        section,
        "service",
        json!({
            "sla": report,
            "csat_sla_met": csat_met,
            "csat_sla_breached": csat_breached,
            "csat_difference_met_minus_breached": difference,
        }),
    );
    Ok((report, facts))
}

fn deal_event(outcome: DealOutcome) -> &'static str {
    match outcome {
        DealOutcome::Won => "win",
        _ => "lose",
    }
}

/// The deal funnel, on the deal records read back from the database and the generator's
/// stage histories.
pub fn funnel(data: &DemoData, stored: &Stored, c: &mut Collector) -> CliResult<()> {
    let machine = crm_lifecycle::DEAL_PIPELINE.machine();
    let records: Vec<&Deal> = read_back(
        "deal",
        data.deals.iter().map(|d| d.id.as_str()),
        &stored.deals,
        |d| d.id.to_string(),
    )?;
    let mut pairs: Vec<(&Deal, Instance)> = Vec::with_capacity(data.deals.len());
    for (d, record) in data.deals.iter().zip(records) {
        let mut flow = Instance::new(&machine, d.stages[0].1);
        for (_, at) in d.stages.iter().skip(1) {
            flow.fire(&machine, "advance", *at, Some(&d.owner))
                .map_err(|e| life("deal pipeline", e))?;
        }
        if let (outcome @ (DealOutcome::Won | DealOutcome::Lost), Some(at)) = d.outcome {
            flow.fire(&machine, deal_event(outcome), at, Some(&d.owner))
                .map_err(|e| life("deal pipeline", e))?;
        }
        pairs.push((record, flow));
    }
    let report = analyze_funnel(
        pairs.iter().map(|(d, i)| (*d, i)),
        &StageProbabilities::default(),
    )
    .map_err(|e| life("deal funnel", e))?;
    let mut stages: Vec<String> = Vec::new();
    let mut reached: Vec<f64> = Vec::new();
    for (i, conv) in report.conversions.iter().enumerate() {
        if i == 0 {
            stages.push(conv.from.to_string());
            reached.push(conv.reached_from as f64);
        }
        stages.push(conv.to.to_string());
        reached.push(conv.reached_to as f64);
    }
    let money = |v: &[crm_core::Money]| {
        if v.is_empty() {
            return "-".to_string();
        }
        v.iter()
            .map(|m| m.round().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let section = Section {
        title: "Deals".into(),
        text: "Deals through the pipeline (qualification, needs analysis, proposal, negotiation, won or lost): \
               deals reaching each stage, stage-to-stage conversion, time in stage, win rate and the weighted \
               value of the open pipeline."
            .into(),
        headlines: vec![
            ("deals".into(), report.deals.to_string()),
            ("win rate".into(), pct(report.win_rate)),
            ("open deals".into(), report.open.to_string()),
            ("weighted pipeline".into(), money(&report.weighted_pipeline)),
        ],
        charts: vec![Chart {
            caption: "Deal funnel: deals that reached each stage".into(),
            svg: charts::funnel("Deal funnel", &stages, &reached)?,
        }],
        tables: vec![
            Table {
                caption: "Stage conversion".into(),
                columns: vec!["from".into(), "to".into(), "reached from".into(), "reached to".into(), "rate".into()],
                rows: report
                    .conversions
                    .iter()
                    .map(|v| vec![v.from.to_string(), v.to.to_string(), v.reached_from.to_string(), v.reached_to.to_string(), pct(v.rate())])
                    .collect(),
            },
            Table {
                caption: "Time in stage (completed stays)".into(),
                columns: vec!["stage".into(), "stays".into(), "mean".into(), "median".into()],
                rows: report
                    .time_in_stage
                    .iter()
                    .map(|t| vec![t.stage.to_string(), t.stays.to_string(), hours(t.mean_seconds), hours(t.median_seconds)])
                    .collect(),
            },
        ],
        ..Section::default()
    };
    c.section(
        section,
        "deals",
        serde_json::to_value(&report).unwrap_or_default(),
    );
    Ok(())
}
