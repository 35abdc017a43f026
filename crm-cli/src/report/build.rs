//! The report: every analysis the data supports, run on a [`Dataset`] in a fixed order.
//! `crm report` and `crm demo` both call [`build`], so the demo shows exactly what a user
//! gets on their own data.
//!
//! A section whose data is absent (no tickets, say), or whose analysis cannot be computed
//! from the data (a model that does not converge on a handful of customers), is left out
//! with one line in the page, the summary (`left_out`) and the terminal saying why.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;
use thousands::Separable;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::commands::database::transaction_row;
use crate::error::{CliError, CliResult};
use crate::input::transactions::TransactionRow;
use crate::output::print_json;
use crate::progress::{spinner, summary_table};
use crate::report::collector::Collector;
use crate::report::dataset::Dataset;
use crate::report::html::{Chart, Report, Section, write};
use crate::report::{
    campaigns, charts, churn, duplicates, engagement, operations, satisfaction, segmentation,
};

/// How a report is titled and computed.
#[derive(Debug, Clone)]
pub struct Options {
    /// Page title.
    pub title: String,
    /// The line under the title.
    pub subtitle: String,
    /// What the data is and where it came from (the first section's paragraph).
    pub data_text: String,
    /// More headline figures of the first section.
    pub data_headlines: Vec<(String, String)>,
    /// More entries of `summary.json`'s `data`.
    pub data_summary: Map<String, Value>,
    /// The reference time of every analysis (RFM recency, the end of the churn models'
    /// calibration period, the SLA clock, lifecycle stages).
    pub as_of: DateTime<Utc>,
    /// Start of the segment migration (default: 90 days before `as_of`).
    pub migration_from: Option<DateTime<Utc>>,
    /// The churn section's holdout and chosen customer.
    pub churn: churn::ChurnOptions,
    /// Sales quotas: the sales section shows their attainment.
    pub quotas: Vec<crm_lifecycle::Quota>,
}

/// A section's result, or the section left out with the error as the reason.
fn kept<T>(c: &mut Collector, title: &str, key: &str, result: CliResult<T>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            c.leave_out(
                title,
                key,
                &format!("it could not be computed from this data ({e})"),
            );
            None
        }
    }
}

fn overview(data: &Dataset, options: &Options, c: &mut Collector) {
    let counts = data.counts();
    let section = Section {
        title: "Data set".into(),
        text: options.data_text.clone(),
        headlines: counts
            .iter()
            .map(|(n, v)| {
                (
                    n.replace("responses", "survey responses").replace('_', " "),
                    v.separate_with_commas(),
                )
            })
            .chain(options.data_headlines.iter().cloned())
            .collect(),
        ..Section::default()
    };
    let mut summary: Map<String, Value> = counts
        .iter()
        .map(|(k, v)| ((*k).to_string(), json!(v)))
        .collect();
    summary.insert("as_of".into(), json!(options.as_of));
    for (k, v) in &options.data_summary {
        summary.insert(k.clone(), v.clone());
    }
    c.section(section, "data", Value::Object(summary));
}

/// The built-in state machines, drawn.
fn state_machines(c: &mut Collector) -> CliResult<()> {
    let mut charts_v = Vec::new();
    let mut code = Vec::new();
    let mut names = Vec::new();
    for (title, def, machine) in [
        (
            "Customer lifecycle",
            crm_lifecycle::CUSTOMER_LIFECYCLE.definition(),
            crm_lifecycle::CUSTOMER_LIFECYCLE.machine(),
        ),
        (
            "Ticket workflow",
            crm_lifecycle::TICKET_WORKFLOW.definition(),
            crm_lifecycle::TICKET_WORKFLOW.machine(),
        ),
        (
            "Deal pipeline",
            crm_lifecycle::DEAL_PIPELINE.definition(),
            crm_lifecycle::DEAL_PIPELINE.machine(),
        ),
    ] {
        let states: Vec<String> = def.state_names().iter().map(|s| s.to_string()).collect();
        let transitions: Vec<(String, String, String)> = def
            .transitions
            .iter()
            .map(|t| (t.from.clone(), t.event.clone(), t.to.clone()))
            .collect();
        charts_v.push(Chart {
            caption: format!("{title}: green = initial state, red = terminal states"),
            svg: charts::state_diagram(title, &machine)?,
        });
        code.push((format!("{title} as Graphviz DOT"), machine.to_dot()));
        code.push((format!("{title} as Mermaid"), machine.to_mermaid()));
        names.push(
            json!({"name": def.name, "states": states.len(), "transitions": transitions.len()}),
        );
    }
    let section = Section {
        title: "State machines".into(),
        text: "The built-in machines every customer, ticket and deal moves through, validated on load \
               (reachability, no traps, determinism). Print any of them with \
               `crm lifecycle dot --builtin customer|ticket|deal`."
            .into(),
        charts: charts_v,
        code,
        ..Section::default()
    };
    c.section(section, "state_machines", Value::Array(names));
    Ok(())
}

/// Runs every analysis the data supports and adds its section to `c`.
pub fn build(data: &Dataset, options: &Options, c: &mut Collector) -> CliResult<()> {
    c.report.title = options.title.clone();
    c.report.subtitle = options.subtitle.clone();
    let end = options.as_of;
    overview(data, options, c);
    let tx: Vec<TransactionRow> = data.transactions.iter().map(transaction_row).collect();

    let pb = spinner("segments");
    let rfm = if tx.is_empty() {
        c.leave_out("Segments", "segmentation", "there are no transactions");
        None
    } else {
        let r = segmentation::section(&tx, end, options.migration_from, c);
        kept(c, "Segments", "segmentation", r)
    };
    pb.finish_and_clear();
    c.lap("segments");

    let pb = spinner("service and deals");
    let mut service = HashMap::new();
    if data.tickets.is_empty() {
        c.leave_out("Service", "service", "there are no tickets");
    } else {
        let r = operations::service(&data.tickets, &data.responses, end, c);
        if let Some((_, facts)) = kept(c, "Service", "service", r) {
            service = facts;
        }
    }
    if data.deals.is_empty() {
        c.leave_out("Deals", "deals", "there are no deals");
    } else {
        let r = operations::funnel(&data.deals, c);
        kept(c, "Deals", "deals", r);
        let r = campaigns::sales(data, &options.quotas, end, c);
        kept(c, "Sales", "sales", r);
    }
    pb.finish_and_clear();
    c.lap("service and deals");

    let pb = spinner("churn models and CLV");
    let mut churn_probability = HashMap::new();
    if tx.is_empty() {
        c.leave_out("Churn and value", "churn", "there are no transactions");
    } else {
        let r = churn::section(&tx, end, &service, &options.churn, c);
        if let Some(p) = kept(c, "Churn and value", "churn", r) {
            churn_probability = p;
        }
    }
    pb.finish_and_clear();
    c.lap("churn and value");

    let pb = spinner("lifecycle stages");
    if data.customers.is_empty() {
        c.leave_out("Lifecycle", "lifecycle", "there are no customers");
    } else {
        let r = operations::lifecycle_stages(
            &data.customers,
            &data.deals,
            &tx,
            &churn_probability,
            end,
            c,
        );
        kept(c, "Lifecycle", "lifecycle", r);
    }
    pb.finish_and_clear();
    c.lap("lifecycle");

    let pb = spinner("duplicates");
    if data.customers.is_empty() {
        c.leave_out("Duplicates", "duplicates", "there are no customers");
    } else {
        let r = duplicates::section(&data.customers, c);
        kept(c, "Duplicates", "duplicates", r);
    }
    pb.finish_and_clear();
    c.lap("duplicates");

    let pb = spinner("keeping in touch");
    if data.customers.is_empty() {
        c.leave_out(
            "Keeping in touch",
            "keeping_in_touch",
            "there are no customers",
        );
    } else if data.interactions.is_empty() {
        c.leave_out(
            "Keeping in touch",
            "keeping_in_touch",
            "there are no interactions",
        );
    } else {
        let r = engagement::keeping_in_touch(data, end, c);
        kept(c, "Keeping in touch", "keeping_in_touch", r);
    }
    if data.loyalty.is_empty() {
        c.leave_out("Loyalty", "loyalty", "there are no loyalty events");
    } else {
        let currency = data.transactions.first().map_or_else(
            || "USD".to_string(),
            |t| t.amount.currency().code().to_string(),
        );
        let r = engagement::loyalty(&data.loyalty, &currency, end, c);
        kept(c, "Loyalty", "loyalty", r);
    }
    if data.campaigns.is_empty() {
        c.leave_out("Campaigns", "campaigns", "there are no campaigns");
    } else {
        let r = campaigns::section(data, c);
        kept(c, "Campaigns", "campaigns", r);
    }
    pb.finish_and_clear();
    c.lap("keeping in touch");

    let pb = spinner("satisfaction");
    if data.responses.is_empty() {
        c.leave_out(
            "Satisfaction",
            "satisfaction",
            "there are no survey responses",
        );
    } else {
        let r = satisfaction::section(&data.responses, rfm.as_ref(), c);
        kept(c, "Satisfaction", "satisfaction", r);
    }
    pb.finish_and_clear();
    state_machines(c)?;
    c.lap("satisfaction and diagrams");
    Ok(())
}

/// Refuses an output directory that holds anything but a previous report (`report.html`
/// and `summary.json`), unless `force`: writing a report must not mix with other files.
pub fn check_out_dir(out: &Path, force: bool) -> CliResult<()> {
    if !out.exists() || force {
        return Ok(());
    }
    if !out.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {} is not a directory",
            out.display()
        )));
    }
    let entries = std::fs::read_dir(out).map_err(|source| CliError::Read {
        path: out.to_path_buf(),
        source,
    })?;
    let mut others = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CliError::Read {
            path: out.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !["report.html", "summary.json", crate::cli::DEMO_DATABASE].contains(&name.as_str())
            && !name.starts_with(&format!(".{}", crate::cli::DEMO_DATABASE))
        {
            others.push(name);
        }
    }
    if others.is_empty() {
        return Ok(());
    }
    others.sort();
    Err(CliError::Usage(format!(
        "--out {} holds files other than a previous report ({}); choose another directory \
         or pass --force to write into it anyway",
        out.display(),
        others.join(", ")
    )))
}

/// Writes `report.html` and `summary.json` to `out` and tells the user: the terminal
/// summary (or the summary as JSON with `json`), the sections left out and the paths.
pub fn finish(out: &Path, mut c: Collector, started: Instant, json: bool) -> CliResult<()> {
    let pb = spinner("writing report");
    let elapsed = started.elapsed().as_secs_f64();
    c.summary.insert("elapsed_seconds".into(), json!(elapsed));
    c.summary.insert(
        "step_seconds".into(),
        Value::Object(
            c.timings
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        ),
    );
    let summary = Value::Object(std::mem::take(&mut c.summary));
    let (html, json_path) = write(out, &c.report, &summary)?;
    pb.finish_and_clear();
    if json {
        return print_json(&summary);
    }
    println!("{}", summary_table(&c.terminal));
    for (title, reason) in &c.left_out {
        println!("left out: {title}: {reason}");
    }
    println!("report:  {}", html.display());
    println!("summary: {}", json_path.display());
    println!("finished in {elapsed:.1} s");
    Ok(())
}

/// A fresh collector whose first step starts now.
pub fn collector(started: Instant) -> Collector {
    Collector {
        report: Report::default(),
        step_started: Some(started),
        ..Collector::default()
    }
}
