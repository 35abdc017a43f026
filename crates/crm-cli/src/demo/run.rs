//! The end-to-end demo: generate, store, read back, analyse, report.

use std::path::Path;
use std::time::Instant;

use crm_satisfaction::{Ces, CesScale, Csat, Nps, StatsConfig};
use serde_json::{Map, Value, json};

use crate::cli::{Breakdown as By, DemoArgs};
use crate::commands::survey::{Scored, Survey, SurveyResult, analyse};
use crate::demo::generate::{DemoData, GenSurvey, GeneratorConfig, generate, observation_end};
use crate::error::CliResult;
use crate::input::transactions::TransactionRow;
use crate::progress::{spinner, summary_table};
use crate::report::charts;
use crate::report::html::{Chart, Report, Section, Table, write};

/// Collects the report, the JSON summary and the terminal rows as analyses run.
#[derive(Debug, Default)]
pub struct Collector {
    /// The HTML report.
    pub report: Report,
    /// `summary.json`.
    pub summary: Map<String, Value>,
    /// Terminal summary rows (area, figure, value).
    pub terminal: Vec<(String, String, String)>,
}

impl Collector {
    /// Adds a section; its headline figures also go to the terminal table.
    pub fn section(&mut self, section: Section, key: &str, summary: Value) {
        for (name, value) in &section.headlines {
            self.terminal
                .push((section.title.clone(), name.clone(), value.clone()));
        }
        self.summary.insert(key.to_string(), summary);
        self.report.sections.push(section);
    }
}

/// Formats a float for display.
pub fn f1(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

fn overview(data: &DemoData, config: &GeneratorConfig, c: &mut Collector) {
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
             deals through the pipeline. Observation window ends {}.",
            config.seed,
            config.r,
            config.alpha,
            config.a,
            config.b,
            observation_end().format("%Y-%m-%d")
        ),
        headlines: counts
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.to_string()))
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
    });
    c.section(section, "data", summary);
}

fn scored(data: &DemoData, survey: GenSurvey) -> Vec<Scored> {
    data.responses
        .iter()
        .filter(|r| r.survey == survey)
        .map(|r| Scored {
            timestamp: r.timestamp,
            score: r.score,
            group: Some(r.channel.to_string()),
            tags: r.tags.iter().map(|t| t.to_string()).collect(),
        })
        .collect()
}

fn trend_chart(title: &str, monthly: &SurveyResult, y: &str) -> CliResult<Chart> {
    let points: Vec<(String, f64, f64, f64)> = monthly
        .rows
        .iter()
        .filter(|r| r.n > 0)
        .map(|r| {
            (
                r.group[..7].to_string(),
                r.score.unwrap_or(f64::NAN),
                r.ci_low.unwrap_or(f64::NAN),
                r.ci_high.unwrap_or(f64::NAN),
            )
        })
        .collect();
    Ok(Chart {
        caption: format!("{title}: monthly value with its 95% interval (shaded)"),
        svg: charts::trend_with_band(title, &points, y)?,
    })
}

fn survey_json<A: Survey>(
    overall: &SurveyResult,
    monthly: &SurveyResult,
    config: &StatsConfig,
) -> Value {
    let mut v = crate::commands::survey::json_summary::<A>(overall, config);
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "monthly".into(),
            serde_json::to_value(&monthly.rows).unwrap_or_default(),
        );
    }
    v
}

fn satisfaction(data: &DemoData, c: &mut Collector) -> CliResult<()> {
    let config = StatsConfig::default();
    let nps_rows = scored(data, GenSurvey::Nps);
    let csat_rows = scored(data, GenSurvey::Csat);
    let ces_rows = scored(data, GenSurvey::Ces);
    let nps = analyse(Nps::new(), &nps_rows, Some(By::Group), &config)?;
    let nps_m = analyse(Nps::new(), &nps_rows, Some(By::Month), &config)?;
    let csat = analyse(Csat::default(), &csat_rows, None, &config)?;
    let csat_m = analyse(Csat::default(), &csat_rows, Some(By::Month), &config)?;
    let ces = analyse(Ces::new(CesScale::default()), &ces_rows, None, &config)?;
    let ces_m = analyse(
        Ces::new(CesScale::default()),
        &ces_rows,
        Some(By::Month),
        &config,
    )?;
    let interval = |r: &SurveyResult| {
        format!(
            "{} [{}, {}]",
            f1(r.overall.score),
            f1(r.overall.ci_low),
            f1(r.overall.ci_high)
        )
    };
    let mut charts_v = vec![
        trend_chart("NPS by month", &nps_m, "NPS")?,
        trend_chart("CSAT % by month", &csat_m, "CSAT %")?,
        trend_chart("CES mean by month", &ces_m, "CES (1-7)")?,
    ];
    let labels: Vec<String> = nps.rows.iter().map(|r| r.group.clone()).collect();
    let values: Vec<f64> = nps.rows.iter().map(|r| r.score.unwrap_or(0.0)).collect();
    charts_v.push(Chart {
        caption: "NPS by survey channel".into(),
        svg: charts::bars("NPS by channel", &labels, &[("NPS", &values)], "NPS")?,
    });
    let drivers = Table {
        caption: "NPS drivers: tags over-represented among detractors".into(),
        columns: vec![
            "tag".into(),
            "answers".into(),
            "detractors".into(),
            "lift".into(),
            "p-value".into(),
        ],
        rows: nps
            .drivers
            .iter()
            .map(|d| {
                vec![
                    d.tag.clone(),
                    d.responses.to_string(),
                    d.negative.to_string(),
                    d.lift.map(|l| format!("{l:.2}")).unwrap_or("-".into()),
                    d.p_value.map(|p| format!("{p:.4}")).unwrap_or("-".into()),
                ]
            })
            .collect(),
    };
    let section = Section {
        title: "Satisfaction".into(),
        text: "NPS (0-10; adjusted-Wald interval), CSAT (1-5, satisfied = 4-5; Wilson interval) and CES \
               (1-7, easy = 5-7; Student t interval of the mean), overall, by month with 95% bands, by channel, \
               and the tags that drive detractors."
            .into(),
        headlines: vec![
            ("NPS [95% CI]".into(), interval(&nps)),
            ("NPS answers".into(), nps.overall.n.to_string()),
            ("CSAT % [95% CI]".into(), interval(&csat)),
            ("CES mean [95% CI]".into(), interval(&ces)),
        ],
        charts: charts_v,
        tables: vec![drivers],
        code: Vec::new(),
    };
    let summary = json!({
        "nps": survey_json::<Nps>(&nps, &nps_m, &config),
        "csat": survey_json::<Csat>(&csat, &csat_m, &config),
        "ces": survey_json::<Ces>(&ces, &ces_m, &config),
    });
    c.section(section, "satisfaction", summary);
    Ok(())
}

/// The demo's transactions in the form the analyses read.
pub fn transaction_rows(data: &DemoData) -> Vec<TransactionRow> {
    data.transactions
        .iter()
        .enumerate()
        .map(|(i, t)| TransactionRow {
            customer_id: t.customer_id.clone(),
            timestamp: t.timestamp,
            amount: t.amount,
            currency: crm_core::Currency::USD,
            transaction_id: Some(t.id.clone()),
            line: i as u64 + 1,
        })
        .collect()
}

fn state_machines(c: &mut Collector) -> CliResult<()> {
    let mut charts_v = Vec::new();
    let mut code = Vec::new();
    let mut names = Vec::new();
    for (title, def, machine) in [
        (
            "Customer lifecycle",
            crm_lifecycle::customer::definition(),
            crm_lifecycle::customer::machine(),
        ),
        (
            "Ticket workflow",
            crm_lifecycle::ticket::definition(),
            crm_lifecycle::ticket::machine(),
        ),
        (
            "Deal pipeline",
            crm_lifecycle::deal::definition(),
            crm_lifecycle::deal::machine(),
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
            svg: charts::state_diagram(title, &states, &def.initial, &def.terminal, &transitions)?,
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
    overview(&data, &config, &mut c);
    let tx = transaction_rows(&data);
    let end = observation_end();
    let pb = spinner("segments");
    let _rfm = super::segmentation::section(&tx, end, &mut c)?;
    pb.finish_and_clear();
    let pb = spinner("lifecycle stages");
    let churn_probability = std::collections::HashMap::new();
    super::operations::lifecycle_stages(&data, &tx, &churn_probability, end, &mut c)?;
    pb.finish_and_clear();
    let pb = spinner("service and deals");
    super::operations::service(&data, end, &mut c)?;
    super::operations::funnel(&data, &mut c)?;
    pb.finish_and_clear();
    let pb = spinner("satisfaction");
    satisfaction(&data, &mut c)?;
    pb.finish_and_clear();
    state_machines(&mut c)?;
    finish(args, c, started)
}

fn finish(args: &DemoArgs, mut c: Collector, started: Instant) -> CliResult<()> {
    let pb = spinner("writing report");
    let elapsed = started.elapsed().as_secs_f64();
    c.summary.insert("elapsed_seconds".into(), json!(elapsed));
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
