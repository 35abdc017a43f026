//! Report sections driven by `crm-lifecycle`'s machines: customer lifecycle stages, the
//! ticket SLA report (with CSAT joined by SLA outcome) and the deal funnel.
//!
//! Both the SLA clock and the funnel run on workflow histories. A stored ticket or deal
//! keeps its state and a few timestamps, not each event, so the history of each record is
//! rebuilt from what it holds ([`ticket_flow`], [`deal_flow`]); figures that would need
//! more than that (time spent pending or on hold, time in each deal stage, the stage a lost
//! deal was lost from) are not reported.

use std::collections::{BTreeMap, HashMap};
use thousands::Separable;

use chrono::{DateTime, Utc};
use crm_core::{Deal, DealStage, SurveyResponse, SurveyScore, Ticket, TicketStatus};
use crm_engagement::{ConfidenceLevel, Proportion};
use crm_lifecycle::{ActivityFacts, Classifier};
use crm_lifecycle::{BreachRate, SlaPolicy, SlaReport, TicketSla};
use crm_lifecycle::{FunnelReport, StageProbabilities, analyze_funnel};
use crm_lifecycle::{Instance, Machine, OPEN_DEAL_STAGES};
use crm_satisfaction::{Csat, Difference, ServiceTicket, StatsConfig, join_service};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;

use crate::error::{CliError, CliResult};
use crate::input::transactions::TransactionRow;
use crate::report::charts;
use crate::report::churn::ServiceFacts;
use crate::report::collector::{Collector, f1};
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
    customers: &[crm_core::Customer],
    deals: &[Deal],
    rows: &[TransactionRow],
    churn_probability: &HashMap<String, f64>,
    now: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<BTreeMap<String, u64>> {
    let machine = crm_lifecycle::CUSTOMER_LIFECYCLE.machine();
    let classifier = Classifier::default();
    let facts = activity(rows);
    let with_deal: std::collections::HashSet<String> =
        deals.iter().map(|d| d.customer.to_string()).collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut moves = 0u64;
    for customer in customers {
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
            ("transitions applied".into(), moves.separate_with_commas()),
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

/// Fires `event` at `at`, or at the latest time already in the history if `at` is earlier
/// (a record's timestamps may be equal or, in imported data, slightly out of step).
fn fire(
    machine: &Machine,
    flow: &mut Instance,
    last: &mut DateTime<Utc>,
    event: &str,
    at: DateTime<Utc>,
) -> CliResult<()> {
    let at = at.max(*last);
    *last = at;
    flow.fire(machine, event, at, None)
        .map(|_| ())
        .map_err(|e| life("workflow history", e))
}

/// The ticket workflow history a ticket record implies: created (state `new`), answered
/// at `first_response_at` (`open`), and then its recorded status: solved at `solved_at`,
/// closed at `closed_at`. A ticket pending or on hold enters that state at `now`, since the
/// record does not say when it did: the SLA clock therefore runs through every pause.
pub fn ticket_flow(machine: &Machine, t: &Ticket, now: DateTime<Utc>) -> CliResult<Instance> {
    let mut flow = Instance::new(machine, t.created_at);
    let mut last = t.created_at;
    if t.status != TicketStatus::New {
        let answered = t.first_response_at.unwrap_or(t.created_at);
        if t.status == TicketStatus::Open || t.first_response_at.is_some() {
            fire(machine, &mut flow, &mut last, "assign", answered)?;
        }
    }
    let solved = t.solved_at.or(t.closed_at).unwrap_or(now);
    match t.status {
        TicketStatus::New | TicketStatus::Open => {}
        TicketStatus::Pending => fire(machine, &mut flow, &mut last, "wait_on_customer", now)?,
        TicketStatus::OnHold => fire(machine, &mut flow, &mut last, "hold", now)?,
        TicketStatus::Solved => fire(machine, &mut flow, &mut last, "solve", solved)?,
        TicketStatus::Closed => {
            fire(machine, &mut flow, &mut last, "solve", solved)?;
            let closed = t.closed_at.unwrap_or(solved);
            fire(machine, &mut flow, &mut last, "close", closed)?;
        }
    }
    Ok(flow)
}

/// Evaluates the SLA of every ticket record on the history it implies.
pub(crate) fn ticket_slas(records: &[&Ticket], now: DateTime<Utc>) -> CliResult<Vec<TicketSla>> {
    let machine = crm_lifecycle::TICKET_WORKFLOW.machine();
    let policy = SlaPolicy::default();
    records
        .iter()
        .map(|t| {
            let flow = ticket_flow(&machine, t, now)?;
            policy
                .evaluate(t, &flow, now)
                .map_err(|e| life("ticket SLA", e))
        })
        .collect()
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

/// SLA attainment (the share of tickets within both targets) with its 95% Wilson interval
/// for each key, labelled with its number of tickets, in the order given.
fn attainment_points<'a>(
    rates: impl Iterator<Item = (&'a str, &'a BreachRate)>,
) -> Vec<(String, f64, f64, f64)> {
    rates
        .filter(|(_, r)| r.tickets > 0)
        .map(|(name, r)| {
            let met = (r.tickets - r.breached.min(r.tickets)) as u64;
            let p = Proportion::new(met, r.tickets as u64, ConfidenceLevel::default());
            let label = format!("{name} (n = {})", r.tickets.separate_with_commas());
            match p {
                Some(p) => (
                    label,
                    100.0 * p.rate,
                    100.0 * p.wilson.lower,
                    100.0 * p.wilson.upper,
                ),
                None => (label, f64::NAN, f64::NAN, f64::NAN),
            }
        })
        .collect()
}

/// Agents drawn in the attainment chart: those with the most tickets.
const AGENTS_DRAWN: usize = 20;

/// SLA attainment by priority, by agent and by category, each with its interval and n.
fn attainment_charts(report: &SlaReport) -> CliResult<Vec<Chart>> {
    let overall = report
        .overall
        .rate()
        .map_or(f64::NAN, |r| 100.0 * (1.0 - r));
    let priorities = ["urgent", "high", "normal", "low"];
    let by_priority = attainment_points(
        priorities
            .iter()
            .filter_map(|p| report.by_priority.get(*p).map(|r| (*p, r))),
    );
    let mut agents: Vec<(&String, &BreachRate)> = report.by_agent.iter().collect();
    agents.sort_by(|a, b| b.1.tickets.cmp(&a.1.tickets).then(a.0.cmp(b.0)));
    let shown = agents.len().min(AGENTS_DRAWN);
    let by_agent = attainment_points(agents[..shown].iter().map(|(k, r)| (k.as_str(), *r)));
    let by_category = attainment_points(report.by_category.iter().map(|(k, r)| (k.as_str(), r)));
    let note = "dot = share of tickets within both their first-response and resolution targets, \
                bar = 95% Wilson interval, n = tickets; the vertical line is the overall attainment";
    let chart = |title: &str, caption: String, points: &[(String, f64, f64, f64)]| {
        Ok::<_, CliError>(Chart {
            caption,
            svg: charts::intervals(
                title,
                points,
                (0.0, 100.0),
                overall,
                "% of tickets within SLA",
            )?,
        })
    };
    Ok(vec![
        chart(
            "SLA attainment by priority",
            format!("SLA attainment by priority: {note}"),
            &by_priority,
        )?,
        chart(
            "SLA attainment by agent",
            format!(
                "SLA attainment by agent ({} of {} agents, those with the most tickets): {note}",
                shown,
                agents.len()
            ),
            &by_agent,
        )?,
        chart(
            "SLA attainment by category",
            format!("SLA attainment by category: {note}"),
            &by_category,
        )?,
    ])
}

/// Histograms of the first-response and resolution times (hours of SLA clock) of the
/// tickets that got a response, or were solved, each up to its 95th percentile.
fn time_charts(slas: &[TicketSla]) -> CliResult<Vec<Chart>> {
    let mut out = Vec::new();
    for (title, what, pick) in [
        (
            "First-response time",
            "first response",
            (|s: &TicketSla| s.first_response) as fn(&TicketSla) -> crm_lifecycle::SlaMeasure,
        ),
        ("Resolution time", "resolution", |s: &TicketSla| {
            s.resolution
        }),
    ] {
        let mut hours: Vec<f64> = slas
            .iter()
            .map(pick)
            .filter(|m| m.achieved)
            .map(|m| m.elapsed_seconds as f64 / 3600.0)
            .collect();
        if hours.is_empty() {
            continue;
        }
        hours.sort_by(f64::total_cmp);
        let rank = ((0.95 * hours.len() as f64).ceil() as usize).clamp(1, hours.len());
        let top = hours[rank - 1].max(1.0);
        let beyond = hours.iter().filter(|h| **h > top).count();
        let median = hours[hours.len().div_ceil(2) - 1];
        out.push(Chart {
            caption: format!(
                "{title} of the {} tickets with a {what}, hours of SLA clock (median {median:.1} h){}",
                hours.len().separate_with_commas(),
                if beyond == 0 {
                    String::new()
                } else {
                    format!(
                        "; the {} tickets above {top:.1} h (the 95th percentile) count in the last bar",
                        beyond.separate_with_commas()
                    )
                }
            ),
            svg: charts::histogram(title, &hours, (0.0, top), 30, "hours", "tickets")?,
        });
    }
    Ok(out)
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
                    r.tickets.separate_with_commas(),
                    r.breached.separate_with_commas(),
                    pct(r.rate()),
                ]
            })
            .collect(),
    }
}

/// Ticket SLA report, and CSAT joined with the tickets' SLA outcome, from the ticket
/// records and the survey answers.
pub fn service(
    tickets: &[Ticket],
    responses: &[SurveyResponse],
    now: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<(SlaReport, HashMap<String, ServiceFacts>)> {
    let records: Vec<&Ticket> = tickets.iter().collect();
    let slas = ticket_slas(&records, now)?;
    let report = SlaReport::from_tickets(&slas);
    let facts = service_facts(&records, &slas, responses);
    let (csat_met, csat_breached, difference) = csat_by_sla(&records, &slas, responses)?;
    let section = Section {
        title: "Service".into(),
        text: "Ticket SLA with the default policy (first response / resolution targets per priority), \
               evaluated on each ticket record's own timestamps (created, first response, solved, closed): \
               the records keep no history of pauses, so time a ticket spent pending or on hold counts \
               against its SLA. CSAT of tickets whose SLA was breached against those met, with a z-test."
            .into(),
        headlines: vec![
            ("tickets".into(), report.overall.tickets.separate_with_commas()),
            ("SLA breach rate".into(), pct(report.overall.rate())),
            ("median first response".into(), hours(report.median_first_response_seconds)),
            ("median resolution".into(), hours(report.median_resolution_seconds)),
            (
                "CSAT % SLA met / breached".into(),
                format!("{} / {}", f1(csat_met), f1(csat_breached)),
            ),
        ],
        charts: attainment_charts(&report)?
            .into_iter()
            .chain(time_charts(&slas)?)
            .collect(),
        tables: vec![
            rate_table("Breaches by priority", &report.by_priority),
            rate_table("Breaches by agent", &report.by_agent),
            rate_table("Breaches by category", &report.by_category),
        ],
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

/// The deal pipeline history a deal record implies: opened in qualification at
/// `created_at`; an open deal advanced to its recorded stage, a won deal through every open
/// stage and won at `closed_at`, a lost deal lost at `closed_at` from qualification (the
/// record does not say which stage it was lost from). Every advance is dated `created_at`,
/// since the record keeps no stage times.
pub fn deal_flow(machine: &Machine, d: &Deal) -> CliResult<Instance> {
    let mut flow = Instance::new(machine, d.created_at);
    let mut last = d.created_at;
    let closed = d.closed_at.unwrap_or(d.created_at);
    let advances = match d.stage {
        DealStage::Lost => 0,
        DealStage::Won => OPEN_DEAL_STAGES.len() - 1,
        open => OPEN_DEAL_STAGES
            .iter()
            .position(|s| *s == open)
            .unwrap_or(0),
    };
    for _ in 0..advances {
        fire(machine, &mut flow, &mut last, "advance", d.created_at)?;
    }
    match d.stage {
        DealStage::Won => fire(machine, &mut flow, &mut last, "win", closed)?,
        DealStage::Lost => fire(machine, &mut flow, &mut last, "lose", closed)?,
        _ => {}
    }
    Ok(flow)
}

/// Deal value per stage and what pipeline velocity needs, in the currency of the most
/// deals (deals in other currencies are counted apart, not converted).
struct DealValues {
    currency: String,
    /// Stage name, deals and total amount, in pipeline order (open stages, won, lost).
    stages: Vec<(String, usize, Decimal)>,
    /// Deals in other currencies, left out of the amounts.
    other_currency: usize,
    /// Mean amount of the won deals.
    mean_won: Option<Decimal>,
    /// Mean days from creation to closing of the won deals.
    cycle_days: Option<f64>,
    /// Open deals.
    open: usize,
}

fn deal_values(deals: &[Deal]) -> DealValues {
    let mut per_currency: HashMap<&str, usize> = HashMap::new();
    for d in deals {
        *per_currency.entry(d.amount.currency().code()).or_default() += 1;
    }
    let currency = per_currency
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or("USD", |(c, _)| c)
        .to_string();
    let order: Vec<DealStage> = OPEN_DEAL_STAGES
        .iter()
        .copied()
        .chain([DealStage::Won, DealStage::Lost])
        .collect();
    let mut stages: Vec<(String, usize, Decimal)> = order
        .iter()
        .map(|s| (s.to_string(), 0, Decimal::ZERO))
        .collect();
    let (mut other_currency, mut open) = (0, 0);
    let (mut won_total, mut won_n) = (Decimal::ZERO, 0u64);
    let (mut cycle_total, mut cycle_n) = (0.0, 0u64);
    for d in deals {
        if !matches!(d.stage, DealStage::Won | DealStage::Lost) {
            open += 1;
        }
        if d.amount.currency().code() != currency {
            other_currency += 1;
            continue;
        }
        if let Some(i) = order.iter().position(|s| *s == d.stage) {
            stages[i].1 += 1;
            stages[i].2 += d.amount.amount();
        }
        if d.stage == DealStage::Won {
            won_total += d.amount.amount();
            won_n += 1;
            if let Some(closed) = d.closed_at {
                cycle_total += (closed - d.created_at).num_seconds().max(0) as f64 / 86_400.0;
                cycle_n += 1;
            }
        }
    }
    DealValues {
        currency,
        stages,
        other_currency,
        mean_won: (won_n > 0).then(|| won_total / Decimal::from(won_n)),
        cycle_days: (cycle_n > 0).then(|| cycle_total / cycle_n as f64),
        open,
    }
}

impl DealValues {
    /// Pipeline velocity: open deals × win rate × mean won deal ÷ mean sales cycle, the
    /// value the pipeline is expected to close per day.
    fn velocity(&self, win_rate: Option<f64>) -> Option<f64> {
        let size = self.mean_won?.to_f64()?;
        let cycle = self.cycle_days.filter(|c| *c > 0.0)?;
        Some(self.open as f64 * win_rate? * size / cycle)
    }

    fn mean_won_text(&self) -> String {
        self.mean_won.map_or("-".into(), |m| {
            format!("{} {}", m.round_dp(0).separate_with_commas(), self.currency)
        })
    }

    fn cycle_text(&self) -> String {
        self.cycle_days
            .map_or("-".into(), |d| format!("{d:.1} days"))
    }

    fn velocity_text(&self, win_rate: Option<f64>) -> String {
        self.velocity(win_rate).map_or("-".into(), |v| {
            format!(
                "{} {} / day",
                (v.round() as i64).separate_with_commas(),
                self.currency
            )
        })
    }

    fn chart(&self) -> CliResult<Chart> {
        let labels: Vec<String> = self.stages.iter().map(|s| s.0.clone()).collect();
        let values: Vec<f64> = self
            .stages
            .iter()
            .map(|s| s.2.to_f64().unwrap_or(0.0))
            .collect();
        Ok(Chart {
            caption: format!(
                "Total amount of the deals now in each stage ({}){}",
                self.currency,
                if self.other_currency == 0 {
                    String::new()
                } else {
                    format!(
                        "; {} deals in other currencies are not included",
                        self.other_currency.separate_with_commas()
                    )
                }
            ),
            svg: charts::bars(
                "Deal value per stage",
                &labels,
                &[("amount", &values)],
                &format!("amount ({})", self.currency),
            )?,
        })
    }

    fn summary(&self, win_rate: Option<f64>) -> serde_json::Value {
        json!({
            "currency": self.currency,
            "stages": self.stages.iter().map(|(s, n, v)| json!({"stage": s, "deals": n, "amount": v})).collect::<Vec<_>>(),
            "deals_in_other_currencies": self.other_currency,
            "mean_won_deal": self.mean_won,
            "mean_sales_cycle_days": self.cycle_days,
            "velocity_per_day": self.velocity(win_rate),
        })
    }
}

/// The funnel of deal records: each deal's path through the pipeline read from its record,
/// with the default stage probabilities.
pub fn deal_funnel<'a>(deals: impl IntoIterator<Item = &'a Deal>) -> CliResult<FunnelReport> {
    let machine = crm_lifecycle::DEAL_PIPELINE.machine();
    let pairs: Vec<(&Deal, Instance)> = deals
        .into_iter()
        .map(|d| Ok((d, deal_flow(&machine, d)?)))
        .collect::<CliResult<_>>()?;
    analyze_funnel(
        pairs.iter().map(|(d, i)| (*d, i)),
        &StageProbabilities::default(),
    )
    .map_err(|e| life("deal funnel", e))
}

/// The deal funnel, from the deal records.
pub fn funnel(deals: &[Deal], c: &mut Collector) -> CliResult<()> {
    let report = deal_funnel(deals)?;
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
            .map(|m| {
                let r = m.round();
                format!(
                    "{} {}",
                    r.amount().separate_with_commas(),
                    r.currency().code()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let value = deal_values(deals);
    let section = Section {
        title: "Deals".into(),
        text: "Deals through the pipeline (qualification, needs analysis, proposal, negotiation, won or lost), \
               from each deal record's stage: deals reaching each stage (an open deal has passed every stage \
               before its own, a won deal every open stage; a deal record does not say which stage a lost deal \
               was lost from, so it counts at qualification only), win rate and the weighted value of the open \
               pipeline; the amount of the deals in each stage; pipeline velocity (open deals × win rate × \
               mean won deal ÷ mean days from creation to winning). Time in stage is not shown: deal \
               records keep no stage times."
            .into(),
        headlines: vec![
            ("deals".into(), report.deals.separate_with_commas()),
            ("win rate".into(), pct(report.win_rate)),
            ("open deals".into(), report.open.separate_with_commas()),
            ("weighted pipeline".into(), money(&report.weighted_pipeline)),
            ("mean won deal".into(), value.mean_won_text()),
            ("mean sales cycle".into(), value.cycle_text()),
            ("pipeline velocity".into(), value.velocity_text(report.win_rate)),
        ],
        charts: vec![
            Chart {
                caption: "Deal funnel: deals that reached each stage".into(),
                svg: charts::funnel("Deal funnel", &stages, &reached)?,
            },
            value.chart()?,
        ],
        tables: vec![
            Table {
                caption: "Stage conversion".into(),
                columns: vec!["from".into(), "to".into(), "reached from".into(), "reached to".into(), "rate".into()],
                rows: report
                    .conversions
                    .iter()
                    .map(|v| vec![v.from.to_string(), v.to.to_string(), v.reached_from.separate_with_commas(), v.reached_to.separate_with_commas(), pct(v.rate())])
                    .collect(),
            },
        ],
        ..Section::default()
    };
    let mut summary = serde_json::to_value(&report).unwrap_or_default();
    if let Some(m) = summary.as_object_mut() {
        // Every stay but the last is dated at the deal's creation: not a measurement.
        m.remove("time_in_stage");
        m.insert("value".into(), value.summary(report.win_rate));
    }
    c.section(section, "deals", summary);
    Ok(())
}
