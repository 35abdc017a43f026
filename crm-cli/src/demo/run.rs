//! The end-to-end demo: generate, store, read back, analyse, report.

use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::cli::DemoArgs;
use crate::commands::database::transaction_row;
use crate::demo::collector::Collector;
use crate::demo::generate::{DemoData, GeneratorConfig, generate, observation_end};
use crate::demo::staged::StagedFile;
use crate::demo::store::{Stored, store_and_read_back};
use crate::demo::{churn, operations, satisfaction, segmentation};
use crate::error::CliResult;
use crate::input::transactions::TransactionRow;
use crate::progress::{spinner, summary_table};
use crate::report::charts;
use crate::report::html::{Chart, Report, Section, write};

fn counts_json(counts: &[(&str, usize)]) -> Value {
    Value::Object(
        counts
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect(),
    )
}

fn overview(
    data: &DemoData,
    config: &GeneratorConfig,
    stored: &Stored,
    db: &Path,
    c: &mut Collector,
) {
    let counts = [
        ("customers", data.customers.len()),
        ("transactions", data.transactions.len()),
        ("interactions", data.interactions.len()),
        ("tickets", data.tickets.len()),
        ("survey responses", data.responses.len()),
        ("deals", data.deals.len()),
    ];
    let section = Section {
        title: "Data set".into(),
        text: format!(
            "A synthetic CRM data set generated with seed {}: customers with contact data, owners and consent; \
             purchases from a buy-till-you-die process (BG/NBD with r = {}, alpha = {}, a = {}, b = {}) with \
             Gamma-Gamma spend and refunds; interactions; tickets with SLA timestamps; NPS, CSAT and CES answers; \
             deals through the pipeline. Observation window ends {}. Every record was written to the SQLite \
             database {} through the storage traits and read back through them (paged listing for customers, \
             tickets and deals, streaming time scans for transactions, interactions and survey answers); \
             every analysis below runs on what was read back.",
            config.seed,
            config.r,
            config.alpha,
            config.a,
            config.b,
            observation_end().format("%Y-%m-%d"),
            db.display()
        ),
        headlines: counts
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.to_string()))
            .chain(std::iter::once((
                "records read back from SQLite".to_string(),
                format!(
                    "{} of {}",
                    stored.read_back().iter().map(|r| r.1).sum::<usize>(),
                    counts.iter().map(|r| r.1).sum::<usize>()
                ),
            )))
            .collect(),
        ..Section::default()
    };
    let summary = json!({
        "seed": config.seed,
        "observation_end": observation_end(),
        "customers": data.customers.len(),
        "transactions": data.transactions.len(),
        "interactions": data.interactions.len(),
        "tickets": data.tickets.len(),
        "responses": data.responses.len(),
        "deals": data.deals.len(),
        "database": {
            "path": db.display().to_string(),
            "written": counts_json(&stored.written),
            "read_back": counts_json(&stored.read_back()),
        },
    });
    c.section(section, "data", summary);
}

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

/// `crm demo`.
pub fn run(args: &DemoArgs) -> CliResult<()> {
    let started = Instant::now();
    let config = GeneratorConfig::new(args.customers, args.seed);
    let pb = spinner("generating data");
    let data = generate(&config);
    pb.finish_with_message(format!("generated {} customers", data.customers.len()));
    let mut c = Collector {
        report: Report {
            title: "CRM analytics demo".into(),
            subtitle: format!(
                "{} synthetic customers, seed {}; generated by `crm demo`",
                args.customers, args.seed
            ),
            sections: Vec::new(),
        },
        ..Collector::default()
    };
    c.step_started = Some(started);
    c.lap("generate");
    let staged = StagedFile::begin(&args.db, args.force)?;
    let stored = store_and_read_back(&data, staged.path())?;
    c.lap("store and read back");
    overview(&data, &config, &stored, &args.db, &mut c);
    let tx: Vec<TransactionRow> = stored.transactions.iter().map(transaction_row).collect();
    let end = observation_end();
    let pb = spinner("segments");
    let rfm = segmentation::section(&tx, end, &mut c)?;
    pb.finish_and_clear();
    c.lap("segments");
    let pb = spinner("service and deals");
    let (_sla, service) = operations::service(&data, &stored, end, &mut c)?;
    operations::funnel(&data, &stored, &mut c)?;
    pb.finish_and_clear();
    c.lap("service and deals");
    let pb = spinner("churn models and CLV");
    let churn_probability = churn::section(&tx, end, &service, &mut c)?;
    pb.finish_and_clear();
    c.lap("churn and value");
    let pb = spinner("lifecycle stages");
    operations::lifecycle_stages(&stored, &tx, &churn_probability, end, &mut c)?;
    pb.finish_and_clear();
    c.lap("lifecycle");
    let pb = spinner("satisfaction");
    satisfaction::section(&stored.responses, &rfm, &mut c)?;
    pb.finish_and_clear();
    state_machines(&mut c)?;
    c.lap("satisfaction and diagrams");
    finish(args, c, started)?;
    // Only a complete run replaces the target.
    staged.commit()?;
    Ok(())
}

fn finish(args: &DemoArgs, mut c: Collector, started: Instant) -> CliResult<()> {
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
    let (html, json_path) = write(&args.out, &c.report, &Value::Object(c.summary))?;
    pb.finish_and_clear();
    println!("{}", summary_table(&c.terminal));
    println!("report:  {}", display(&html));
    println!("summary: {}", display(&json_path));
    println!("finished in {elapsed:.1} s");
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
