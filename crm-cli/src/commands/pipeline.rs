//! `crm funnel`: the deal pipeline of a deal file or a database, overall and per owner;
//! `crm sla`: the service levels of a ticket file or a database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crm_core::{Deal, Ticket};
use crm_lifecycle::{BreachRate, FunnelReport, SlaReport, TicketSla};
use crm_storage_sql::{PostgresStore, SqliteStore};
use crm_storage_traits::{Record, Repository};
use serde::Serialize;

use crate::cli::{FunnelArgs, SlaArgs};
use crate::commands::database::{list_all, reading, with_store};
use crate::commands::import::{Located, check_unique};
use crate::error::{CliError, CliResult};
use crate::input::parse_cli_date_opt;
use crate::input::{activity, transactions};
use crate::output::{outln, print_json, write_table};
use crate::report::operations::{deal_funnel, ticket_slas};

/// The owner key of deals without an owner.
const NO_OWNER: &str = "(none)";

/// The deals of the file or the database the arguments name.
fn load_deals(args: &FunnelArgs) -> CliResult<Vec<Deal>> {
    let currency = transactions::default_currency_option(&args.currency)?;
    load_records(
        (&args.deals, &args.db),
        |path| activity::deals(path, currency),
        ("deal_id", "--deals"),
    )
}

/// The records of a file (read by `read`, its ids checked unique in the column `id`) or
/// of a database (read only), whichever `source` names; `flag` is the file's option.
fn load_records<R>(
    source: (&Option<PathBuf>, &Option<PathBuf>),
    read: impl FnOnce(&Path) -> CliResult<Vec<Located<R>>>,
    (id, flag): (&str, &str),
) -> CliResult<Vec<R>>
where
    R: Record,
    SqliteStore: Repository<R>,
    PostgresStore: Repository<R>,
{
    match source {
        (Some(path), _) => {
            let items = read(path)?;
            check_unique(path, &items, id)?;
            Ok(items.into_iter().map(|i| i.record).collect())
        }
        (None, Some(db)) => reading(
            db,
            async |store| with_store!(store, s => list_all::<R, _>(s, db).await),
        ),
        (None, None) => Err(CliError::Usage(format!("give {flag} FILE or --db PATH"))),
    }
}

/// The funnel as JSON: the library's report without the times in stage (deal records are
/// dated at their creation only, so those would not be measurements).
fn funnel_json(report: &FunnelReport) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("time_in_stage");
    }
    v
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |r| format!("{:.1}%", 100.0 * r))
}

fn print_funnel(title: &str, report: &FunnelReport) -> CliResult<()> {
    outln!(
        "{title}: {} deals ({} open, {} won, {} lost), win rate {}",
        report.deals,
        report.open,
        report.won,
        report.lost,
        percent(report.win_rate)
    )?;
    for c in &report.conversions {
        outln!(
            "  {:<15} -> {:<15} {:>7} of {:>7} ({})",
            c.from.to_string(),
            c.to.to_string(),
            c.reached_to,
            c.reached_from,
            percent(c.rate())
        )?;
    }
    let money = |v: &[crm_core::Money]| {
        v.iter()
            .map(|m| m.round().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !report.open_pipeline.is_empty() {
        outln!(
            "  open pipeline {} (weighted {})",
            money(&report.open_pipeline),
            money(&report.weighted_pipeline)
        )?;
    }
    Ok(())
}

/// `crm funnel`.
pub fn funnel(args: &FunnelArgs) -> CliResult<()> {
    let deals = load_deals(args)?;
    let overall = deal_funnel(&deals)?;
    let mut owners: BTreeMap<String, FunnelReport> = BTreeMap::new();
    if args.by_owner {
        let mut by: BTreeMap<String, Vec<&Deal>> = BTreeMap::new();
        for d in &deals {
            let owner = d
                .owner
                .as_ref()
                .map_or(NO_OWNER.to_string(), |o| o.to_string());
            by.entry(owner).or_default().push(d);
        }
        for (owner, list) in by {
            owners.insert(owner, deal_funnel(list)?);
        }
    }
    if args.json {
        let mut v = serde_json::json!({ "overall": funnel_json(&overall) });
        if args.by_owner {
            v["owners"] = owners
                .iter()
                .map(|(o, r)| (o.clone(), funnel_json(r)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        return print_json(&v);
    }
    print_funnel("deal funnel", &overall)?;
    for (owner, report) in &owners {
        print_funnel(&format!("owner {owner}"), report)?;
    }
    Ok(())
}

/// The tickets of the file or the database the arguments name.
fn load_tickets(args: &SlaArgs) -> CliResult<Vec<Ticket>> {
    load_records(
        (&args.tickets, &args.db),
        activity::tickets,
        ("ticket_id", "--tickets"),
    )
}

/// The latest time a ticket record shows.
fn latest(tickets: &[Ticket]) -> Option<DateTime<Utc>> {
    tickets
        .iter()
        .flat_map(|t| {
            [
                Some(t.created_at),
                t.first_response_at,
                t.solved_at,
                t.closed_at,
            ]
        })
        .flatten()
        .max()
}

/// Columns of `crm sla --output`.
const SLA_COLUMNS: [&str; 11] = [
    "ticket_id",
    "priority",
    "category",
    "agent",
    "first_response_target_seconds",
    "first_response_seconds",
    "first_response_breached",
    "resolution_target_seconds",
    "resolution_seconds",
    "resolution_breached",
    "breached",
];

/// One ticket's service levels.
#[derive(Debug, Serialize)]
struct SlaRow {
    ticket_id: String,
    priority: String,
    category: String,
    agent: String,
    first_response_target_seconds: i64,
    first_response_seconds: i64,
    first_response_breached: bool,
    resolution_target_seconds: i64,
    resolution_seconds: i64,
    resolution_breached: bool,
    breached: bool,
}

fn sla_row(s: &TicketSla) -> SlaRow {
    SlaRow {
        ticket_id: s.ticket.to_string(),
        priority: s.priority.to_string(),
        category: s.category.to_string(),
        agent: s
            .agent
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        first_response_target_seconds: s.first_response.target_seconds,
        first_response_seconds: s.first_response.elapsed_seconds,
        first_response_breached: s.first_response.breached,
        resolution_target_seconds: s.resolution.target_seconds,
        resolution_seconds: s.resolution.elapsed_seconds,
        resolution_breached: s.resolution.breached,
        breached: s.breached(),
    }
}

/// `crm sla`.
pub fn sla(args: &SlaArgs) -> CliResult<()> {
    let tickets = load_tickets(args)?;
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?
        .or_else(|| latest(&tickets))
        .unwrap_or_else(Utc::now);
    let records: Vec<&Ticket> = tickets.iter().collect();
    let slas = ticket_slas(&records, as_of)?;
    let report = SlaReport::from_tickets(&slas);
    if let Some(path) = &args.out.output {
        let rows: Vec<SlaRow> = slas.iter().map(sla_row).collect();
        write_table(path, &rows, &SLA_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&serde_json::json!({
            "as_of": as_of,
            "tickets": slas.len(),
            "sla": report,
        }));
    }
    print_sla(&report, as_of)
}

/// The share of tickets not breached (met, or still within their targets) as a percentage
/// with one decimal, or `-` without tickets.
fn attained(rate: &BreachRate) -> String {
    rate.rate()
        .map(|breached| format!("{:.1}%", (1.0 - breached) * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// A duration in seconds as hours with one decimal.
fn hours(seconds: Option<f64>) -> String {
    seconds
        .map(|s| format!("{:.1} h", s / 3600.0))
        .unwrap_or_else(|| "-".into())
}

fn print_sla(report: &SlaReport, as_of: DateTime<Utc>) -> CliResult<()> {
    use thousands::Separable;
    outln!(
        "SLA as of {}: {} tickets, {} within both targets ({} breached); median first response {}, median resolution {}",
        as_of.format("%Y-%m-%d %H:%M UTC"),
        report.overall.tickets.separate_with_commas(),
        attained(&report.overall),
        report.overall.breached.separate_with_commas(),
        hours(report.median_first_response_seconds),
        hours(report.median_resolution_seconds)
    )?;
    for (title, groups) in [
        ("priority", &report.by_priority),
        ("agent", &report.by_agent),
        ("category", &report.by_category),
    ] {
        outln!(
            "{:<24} {:>9} {:>9} {:>9}",
            title,
            "tickets",
            "breached",
            "within"
        )?;
        for (name, rate) in groups {
            outln!(
                "  {:<22} {:>9} {:>9} {:>9}",
                name,
                rate.tickets.separate_with_commas(),
                rate.breached.separate_with_commas(),
                attained(rate)
            )?;
        }
    }
    Ok(())
}
