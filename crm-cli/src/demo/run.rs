//! The end-to-end demo: generate, store, read back, analyse, report.

use std::path::Path;
use std::time::Instant;

use crm_satisfaction::{Ces, CesScale, Csat, Nps, StatsConfig};
use serde_json::{Map, Value, json};

use crate::cli::{Breakdown as By, DemoArgs};
use crate::commands::survey::{Scored, Survey, SurveyResult, analyse};
use crate::demo::generate::{DemoData, GeneratorConfig, generate, observation_end};
use crate::error::{CliError, CliResult};
use crate::input::transactions::TransactionRow;
use crate::progress::{spinner, summary_table};
use crate::report::charts;
use crate::report::html::{Chart, Report, Section, Table, write};
use crm_segmentation::RfmTable;

/// Collects the report, the JSON summary and the terminal rows as analyses run.
#[derive(Debug, Default)]
pub struct Collector {
    /// The HTML report.
    pub report: Report,
    /// `summary.json`.
    pub summary: Map<String, Value>,
    /// Terminal summary rows (area, figure, value).
    pub terminal: Vec<(String, String, String)>,
    /// Seconds spent in each step.
    pub timings: Vec<(String, f64)>,
    /// When the current step started.
    pub step_started: Option<Instant>,
}

impl Collector {
    /// Closes the current step under `name` and starts the next one.
    pub fn lap(&mut self, name: &str) {
        let now = Instant::now();
        if let Some(t) = self.step_started {
            self.timings
                .push((name.to_string(), (now - t).as_secs_f64()));
        }
        self.step_started = Some(now);
    }

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

fn scored(responses: &[crm_core::SurveyResponse], survey: &str) -> Vec<Scored> {
    responses
        .iter()
        .filter_map(|r| {
            crate::commands::database::survey_score(r, survey)
                .map(|s| crate::commands::database::scored(r, s))
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

fn satisfaction(
    responses: &[crm_core::SurveyResponse],
    rfm: &RfmTable<String>,
    c: &mut Collector,
) -> CliResult<()> {
    let config = StatsConfig::default();
    // NPS answers grouped by the customer's RFM segment.
    let nps_rows: Vec<Scored> = responses
        .iter()
        .filter_map(|r| {
            let score = crate::commands::database::survey_score(r, "NPS")?;
            let mut row = crate::commands::database::scored(r, score);
            let customer = r.customer.to_string();
            row.group = Some(
                rfm.get(&customer)
                    .map(|c| rfm.segment_name(c).to_string())
                    .unwrap_or_else(|| "no purchase".into()),
            );
            Some(row)
        })
        .collect();
    let csat_rows = scored(responses, "CSAT");
    let ces_rows = scored(responses, "CES");
    let nps = analyse(Nps::new(), &nps_rows, None, &config)?;
    let nps_seg = analyse(Nps::new(), &nps_rows, Some(By::Group), &config)?;
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
    // The CES mean is on a 1-7 scale: one decimal would hide its interval.
    let f2 = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    let ces_interval = format!(
        "{} [{}, {}]",
        f2(ces.overall.score),
        f2(ces.overall.ci_low),
        f2(ces.overall.ci_high)
    );
    let mut charts_v = vec![
        trend_chart("NPS by month", &nps_m, "NPS")?,
        trend_chart("CSAT % by month", &csat_m, "CSAT %")?,
        trend_chart("CES mean by month", &ces_m, "CES (1-7)")?,
    ];
    let by_segment: Vec<&crate::commands::survey::SurveyRow> =
        nps_seg.rows.iter().filter(|r| r.n >= 20).collect();
    charts_v.push(Chart {
        caption: "NPS by the customer's RFM segment: score (dot) and 95% interval (bar), segments with at least 20 answers".into(),
        svg: charts::intervals(
            "NPS by RFM segment",
            &by_segment
                .iter()
                .map(|r| {
                    (
                        r.group.clone(),
                        r.score.unwrap_or(f64::NAN),
                        r.ci_low.unwrap_or(f64::NAN),
                        r.ci_high.unwrap_or(f64::NAN),
                    )
                })
                .collect::<Vec<_>>(),
            (-100.0, 100.0),
            0.0,
            "NPS",
        )?,
    });
    let labels: Vec<String> = nps.drivers.iter().map(|d| d.tag.clone()).collect();
    let values: Vec<f64> = nps.drivers.iter().map(|d| d.lift.unwrap_or(0.0)).collect();
    charts_v.push(Chart {
        caption:
            "NPS drivers: lift of each tag = its share among detractors over its share among all answers (above 1 = over-represented among detractors)"
                .into(),
        svg: charts::bars("NPS drivers", &labels, &[("lift", &values)], "lift")?,
    });
    let drivers = Table {
        caption: "NPS drivers (two-sided test of the detractor rate with and without the tag)"
            .into(),
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
                    match d.p_value {
                        Some(p) if p < 1e-4 => "< 0.0001".into(),
                        Some(p) => format!("{p:.4}"),
                        None => "-".into(),
                    },
                ]
            })
            .collect(),
    };
    let section = Section {
        title: "Satisfaction".into(),
        text: "NPS (0-10; adjusted-Wald interval), CSAT (1-5, satisfied = 4-5; Wilson interval) and CES \
               (1-7, easy = 5-7; Student t interval of the mean), overall and by month with 95% bands, \
               and the tags that drive detractors; computed from the responses read back from the database."
            .into(),
        headlines: vec![
            ("NPS [95% CI]".into(), interval(&nps)),
            ("NPS answers".into(), nps.overall.n.to_string()),
            ("CSAT % [95% CI]".into(), interval(&csat)),
            ("CES mean [95% CI]".into(), ces_interval),
        ],
        charts: charts_v,
        tables: vec![drivers],
        code: Vec::new(),
    };
    let summary = json!({
        "nps": survey_json::<Nps>(&nps, &nps_m, &config),
        "csat": survey_json::<Csat>(&csat, &csat_m, &config),
        "ces": survey_json::<Ces>(&ces, &ces_m, &config),
        "nps_by_rfm_segment": serde_json::to_value(&nps_seg.rows).unwrap_or_default(),
    });
    c.section(section, "satisfaction", summary);
    Ok(())
}

/// What the demo read back from the database: every record of every kind.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Customers, through cursor-paged listing.
    pub customers: Vec<crm_core::Customer>,
    /// Transactions, through the streaming time scan.
    pub transactions: Vec<crm_core::Transaction>,
    /// Interactions, through the streaming time scan.
    pub interactions: Vec<crm_core::Interaction>,
    /// Tickets, through cursor-paged listing.
    pub tickets: Vec<crm_core::Ticket>,
    /// Survey responses, through the streaming time scan.
    pub responses: Vec<crm_core::SurveyResponse>,
    /// Deals, through cursor-paged listing.
    pub deals: Vec<crm_core::Deal>,
    /// Records inserted per kind, as the store reported.
    pub written: Vec<(&'static str, usize)>,
}

impl Stored {
    /// Records read back per kind, in the order of [`Stored::written`].
    pub fn read_back(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("customers", self.customers.len()),
            ("transactions", self.transactions.len()),
            ("interactions", self.interactions.len()),
            ("tickets", self.tickets.len()),
            ("survey_responses", self.responses.len()),
            ("deals", self.deals.len()),
        ]
    }
}

fn convert<G, R>(items: &[G], f: impl Fn(&G) -> CliResult<R>) -> CliResult<Vec<R>> {
    items.iter().map(f).collect()
}

fn remove_database(db: &Path) -> CliResult<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        if path.exists() {
            std::fs::remove_file(&path).map_err(|source| CliError::Write { path, source })?;
        }
    }
    Ok(())
}

/// Writes the data set into a fresh SQLite database through the storage traits and reads
/// every record back through them.
pub fn store_and_read_back(data: &DemoData, db: &Path) -> CliResult<Stored> {
    use crate::commands::database::{append_all, list_all, open, runtime, scan_all};
    use crate::demo::domain;
    remove_database(db)?;
    let customers = convert(&data.customers, domain::customer)?;
    let transactions = convert(&data.transactions, domain::transaction)?;
    let interactions = convert(&data.interactions, domain::interaction)?;
    let tickets = convert(&data.tickets, domain::ticket)?;
    let responses = convert(&data.responses, domain::response)?;
    let deals = convert(&data.deals, domain::deal)?;
    let total = customers.len()
        + transactions.len()
        + interactions.len()
        + tickets.len()
        + responses.len()
        + deals.len();
    let rt = runtime()?;
    rt.block_on(async {
        let store = open(db).await?;
        let pb = crate::progress::bar("storing in SQLite", total as u64);
        let written = vec![
            (
                "customers",
                append_all(&store, db, &customers, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "transactions",
                append_all(&store, db, &transactions, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "interactions",
                append_all(&store, db, &interactions, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "tickets",
                append_all(&store, db, &tickets, Some(&pb)).await?.inserted,
            ),
            (
                "survey_responses",
                append_all(&store, db, &responses, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "deals",
                append_all(&store, db, &deals, Some(&pb)).await?.inserted,
            ),
        ];
        pb.finish_and_clear();
        let pb = spinner("reading back from SQLite");
        let stored = Stored {
            customers: list_all(&store, db).await?,
            transactions: scan_all(&store, db).await?,
            interactions: scan_all(&store, db).await?,
            tickets: list_all(&store, db).await?,
            responses: scan_all(&store, db).await?,
            deals: list_all(&store, db).await?,
            written,
        };
        store.close().await;
        pb.finish_and_clear();
        Ok(stored)
    })
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
    c.step_started = Some(started);
    c.lap("generate");
    let stored = store_and_read_back(&data, &args.db)?;
    c.lap("store and read back");
    overview(&data, &config, &stored, &args.db, &mut c);
    let tx: Vec<TransactionRow> = stored
        .transactions
        .iter()
        .map(crate::commands::database::transaction_row)
        .collect();
    let end = observation_end();
    let pb = spinner("segments");
    let rfm = super::segmentation::section(&tx, end, &mut c)?;
    pb.finish_and_clear();
    c.lap("segments");
    let pb = spinner("service and deals");
    let (_sla, service) = super::operations::service(&data, &stored, end, &mut c)?;
    super::operations::funnel(&data, &stored, &mut c)?;
    pb.finish_and_clear();
    c.lap("service and deals");
    let pb = spinner("churn models and CLV");
    let churn_probability = super::churn::section(&tx, end, &service, &mut c)?;
    pb.finish_and_clear();
    c.lap("churn and value");
    let pb = spinner("lifecycle stages");
    super::operations::lifecycle_stages(&stored, &tx, &churn_probability, end, &mut c)?;
    pb.finish_and_clear();
    c.lap("lifecycle");
    let pb = spinner("satisfaction");
    satisfaction(&stored.responses, &rfm, &mut c)?;
    pb.finish_and_clear();
    state_machines(&mut c)?;
    c.lap("satisfaction and diagrams");
    finish(args, c, started)
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
