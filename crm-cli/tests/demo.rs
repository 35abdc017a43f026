//! `crm demo` at a small size: the report and the summary are written, every chart is a
//! well-formed, non-empty SVG document, the database read-back matches what was generated,
//! and the summary holds the headline figures of every section.

mod common;

use std::sync::OnceLock;

use common::{crm, stderr, stdout};
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use serde_json::Value;

/// The inline `<svg>` documents of a page.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else {
            panic!("unterminated <svg>");
        };
        out.push(&rest[start..start + len + "</svg>".len()]);
        rest = &rest[start + len + "</svg>".len()..];
    }
    out
}

/// What an SVG document holds, read with an XML parser.
#[derive(Debug, Default)]
struct SvgFacts {
    width: f64,
    height: f64,
    /// Drawn shapes (rect, line, polyline, polygon, path, circle).
    shapes: usize,
    /// Text elements with non-empty content.
    texts: usize,
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .map(|a| a.expect("well-formed attribute"))
        .find(|a| a.key.as_ref() == name)
        .map(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .expect("attribute value")
                .into_owned()
        })
}

/// Parses an SVG document as XML: it must be well formed, with one `<svg>` root in the
/// SVG namespace holding every other element, a positive size, and only finite numbers.
fn parse_svg(svg: &str) -> SvgFacts {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut facts = SvgFacts::default();
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut in_text = false;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}): {svg:.300}"));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().as_ref().to_vec();
                if depth == 0 {
                    roots += 1;
                    assert_eq!(name, b"svg", "root element is <svg>");
                    assert_eq!(
                        attr(e, b"xmlns").as_deref(),
                        Some("http://www.w3.org/2000/svg")
                    );
                    facts.width = attr(e, b"width").unwrap().parse().unwrap();
                    facts.height = attr(e, b"height").unwrap().parse().unwrap();
                }
                for a in e.attributes() {
                    let value = a
                        .unwrap()
                        .normalized_value(XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned();
                    assert!(
                        !value.contains("NaN") && !value.contains("inf"),
                        "non-finite number in <{}>: {value}",
                        String::from_utf8_lossy(&name)
                    );
                }
                match name.as_slice() {
                    b"rect" | b"line" | b"polyline" | b"polygon" | b"path" | b"circle" => {
                        facts.shapes += 1
                    }
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    in_text = name == b"text";
                }
            }
            Event::Text(t) => {
                assert!(depth > 0, "text outside the root");
                if in_text && !t.decode().unwrap().trim().is_empty() {
                    facts.texts += 1;
                }
            }
            Event::End(_) => {
                depth -= 1;
                in_text = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(roots, 1, "one root element");
    assert_eq!(depth, 0, "every element closed");
    facts
}

fn run_demo(dir: &std::path::Path, customers: &str, seed: &str) -> (String, std::path::PathBuf) {
    let out = dir.join("report");
    let db = dir.join("demo.db");
    let o = crm(&[
        "demo",
        "--customers",
        customers,
        "--seed",
        seed,
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    assert!(db.exists(), "the SQLite database is written");
    (stdout(&o), out)
}

fn number(v: &Value, path: &str) -> f64 {
    let mut cur = v;
    for key in path.split('.') {
        cur = &cur[key];
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("summary.json has no number at {path}: {cur}"))
}

/// What the shared demo run wrote: the terminal summary, the report and `summary.json`.
struct DemoRun {
    text: String,
    html: String,
    summary: Value,
}

/// The demo at 600 customers with seed 7, run once for the tests that read it.
fn demo() -> &'static DemoRun {
    static RUN: OnceLock<DemoRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (text, out) = run_demo(dir.path(), "600", "7");
        let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
        )
        .expect("summary.json is JSON");
        DemoRun {
            text,
            html,
            summary,
        }
    })
}

#[test]
fn demo_terminal_summary_names_every_area() {
    let text = &demo().text;
    for area in [
        "| Data set",
        "| Segments",
        "| Service",
        "| Deals",
        "| Churn and value",
        "| Lifecycle",
        "| Satisfaction",
    ] {
        assert!(text.contains(area), "terminal summary has {area}: {text}");
    }
}

#[test]
fn demo_writes_report_and_summary() {
    let html = &demo().html;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("@import"),
        "no network resources"
    );
    let charts = svgs(html);
    // Segments 11, churn 6 (the demo has a holdout), lifecycle 1, keeping in touch 3,
    // loyalty 1, campaigns 1, service 5, deals 2, sales 1, satisfaction 5, state machines 3
    // (the duplicates section has a table only).
    assert_eq!(charts.len(), 39, "every chart of the report");
    for svg in &charts {
        let facts = parse_svg(svg);
        assert!(facts.width > 0.0 && facts.height > 0.0, "positive size");
        assert!(facts.shapes > 3, "chart draws shapes: {svg:.300}");
        assert!(facts.texts > 0, "chart has text: {svg:.300}");
    }
    for title in [
        "RFM segments",
        "Recency",
        "Pareto",
        "Cohort retention (%)",
        "P(alive)",
        "Frequency / recency matrix",
        "Lifecycle stages",
        "Follow-ups due by rule",
        "Channel mix",
        "Deals per owner",
        "Campaign uplift with 95 % intervals",
        "Repeat-purchase rate by contacts",
        "Loyalty points per month",
        "Mean monetary value by R and F",
        "Frequency",
        "Monetary value",
        "Segment migration",
        "Revenue over time",
        "Expected purchases, next 52 weeks",
        "Repeat purchases: actual vs model",
        "Calibration vs holdout purchases",
        "SLA attainment by priority",
        "SLA attainment by agent",
        "First-response time",
        "Resolution time",
        "Deal funnel",
        "Deal value per stage",
        "NPS by month",
        "CSAT % by month",
        "NPS by RFM segment",
        "Customer lifecycle",
        "Ticket workflow",
        "Deal pipeline",
    ] {
        assert!(
            charts.iter().any(|s| s.contains(title)),
            "a chart titled {title}"
        );
    }
    // State machines.
    let summary = &demo().summary;
    assert_eq!(summary["state_machines"].as_array().unwrap().len(), 3);
    assert!(number(summary, "elapsed_seconds") > 0.0);
    // Keeping in touch: the demo's customers have birthdays, so some fall in the next 14 days
    // (600 birthdays spread over the year: about 23), and someone is due a follow-up.
    let touch = &summary["keeping_in_touch"];
    assert_eq!(touch["customers"], 600);
    assert!(number(touch, "care_reminders") >= 10.0, "{touch}");
    assert!(
        number(touch, "due") + number(touch, "due_without_consent") > 0.0,
        "{touch}"
    );
    // Loyalty: every purchase earns points and vouchers are redeemed, never beyond a
    // balance (the ledger refuses that), so points are outstanding and some were redeemed.
    let loyalty = &summary["loyalty"];
    assert!(number(loyalty, "members") > 100.0, "{loyalty}");
    assert!(number(loyalty, "redeemed") >= 100.0, "{loyalty}");
    assert!(number(loyalty, "outstanding") > 0.0, "{loyalty}");
}

#[test]
fn demo_reads_back_every_record_written() {
    // Data and the database round trip: every record written is read back.
    let data = &demo().summary["data"];
    assert_eq!(data["customers"], 600);
    assert!(number(data, "transactions") > 600.0);
    let generated = [
        ("customers", "customers"),
        ("transactions", "transactions"),
        ("interactions", "interactions"),
        ("tickets", "tickets"),
        ("survey_responses", "responses"),
        ("deals", "deals"),
    ];
    for (db_key, data_key) in generated {
        let n = number(data, data_key);
        assert!(n > 0.0, "some {data_key} generated");
        assert_eq!(
            number(data, &format!("database.written.{db_key}")),
            n,
            "{db_key} written"
        );
        assert_eq!(
            number(data, &format!("database.read_back.{db_key}")),
            n,
            "{db_key} read back"
        );
    }
}

/// The customers RFM scored (those who bought).
fn scored_customers(summary: &Value) -> f64 {
    number(&summary["segmentation"], "customers")
}

#[test]
fn demo_segments_cover_every_scored_customer() {
    // Segments: RFM, ABC and tiers over the customers who bought.
    let summary = &demo().summary;
    let seg = &summary["segmentation"];
    let scored = scored_customers(summary);
    assert!(scored > 0.0 && scored <= 600.0);
    assert_eq!(
        number(seg, "transactions"),
        number(&summary["data"], "transactions")
    );
    let gini = number(seg, "gini");
    assert!((0.0..1.0).contains(&gini));
    for key in ["segments", "abc", "tiers"] {
        let total: f64 = seg[key]
            .as_array()
            .unwrap_or_else(|| panic!("segmentation.{key} is a list"))
            .iter()
            .map(|g| g["customers"].as_f64().unwrap())
            .sum();
        assert_eq!(total, scored, "{key} cover every scored customer");
    }
}

#[test]
fn demo_churn_and_value_models_converge() {
    // Churn and value: a converged BG/NBD and Gamma-Gamma fit, P(alive), CLV, health bands.
    let summary = &demo().summary;
    let scored = scored_customers(summary);
    let churn = &summary["churn"];
    let fit = &churn["purchase_model"];
    assert_eq!(fit["model"], "bgnbd");
    assert_eq!(fit["converged"], true);
    for p in ["r", "alpha", "a", "b"] {
        assert!(number(fit, &format!("params.{p}")) > 0.0, "BG/NBD {p}");
    }
    assert_eq!(number(fit, "n_customers"), scored);
    let p_alive = number(fit, "mean_p_alive");
    assert!(p_alive > 0.0 && p_alive < 1.0);
    let spend = &churn["spend_model"];
    assert_eq!(spend["converged"], true);
    for p in ["p", "q", "v"] {
        assert!(
            number(spend, &format!("params.{p}")) > 0.0,
            "Gamma-Gamma {p}"
        );
    }
    assert!(number(churn, "clv_total_52_weeks") > 0.0);
    let share = number(churn, "clv_top_decile_share");
    assert!(share > 0.1 && share <= 1.0);
    let bands: f64 = churn["risk_bands"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert_eq!(bands, scored, "every modelled customer has a risk band");
}

#[test]
fn demo_lifecycle_service_and_deals_cover_every_record() {
    let summary = &demo().summary;
    let data = &summary["data"];
    // Lifecycle: every customer read back has a stage.
    let stages: f64 = summary["lifecycle"]["stages"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert_eq!(stages, 600.0, "every customer has a lifecycle stage");

    // Service: the SLA report covers every ticket.
    let service = &summary["service"];
    assert_eq!(service["sla"]["overall"]["tickets"], data["tickets"]);
    assert!(number(service, "sla.overall.breached") <= number(data, "tickets"));
    assert!(number(service, "sla.median_first_response_seconds") > 0.0);
    assert!(service["csat_difference_met_minus_breached"]["p_value"].is_number());

    // Deals: the funnel covers every deal.
    let deals = &summary["deals"];
    assert_eq!(deals["deals"], data["deals"]);
    assert_eq!(
        number(deals, "won") + number(deals, "lost") + number(deals, "open"),
        number(data, "deals")
    );
    assert!(!deals["conversions"].as_array().unwrap().is_empty());
}

#[test]
fn demo_satisfaction_scores_lie_in_their_intervals() {
    // Satisfaction: scores inside their intervals, counts adding up, monthly trends.
    let summary = &demo().summary;
    let sat = &summary["satisfaction"];
    for (survey, lo, hi) in [
        ("nps", -100.0, 100.0),
        ("csat", 0.0, 100.0),
        ("ces", 1.0, 7.0),
    ] {
        let s = &sat[survey];
        let score = number(s, "score");
        assert!((lo..=hi).contains(&score), "{survey} score {score}");
        assert!(number(s, "ci_low") <= score && score <= number(s, "ci_high"));
        assert!(!s["monthly"].as_array().unwrap().is_empty());
    }
    let nps = &sat["nps"];
    assert_eq!(
        number(nps, "n"),
        number(nps, "promoters") + number(nps, "passives") + number(nps, "detractors")
    );
    assert!(nps["drivers"].is_array());
    let by_segment: f64 = sat["nps_by_rfm_segment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["n"].as_f64().unwrap())
        .sum();
    assert_eq!(
        by_segment,
        number(nps, "n"),
        "the breakdown covers every answer"
    );
    let answers = number(nps, "n") + number(&sat["csat"], "n") + number(&sat["ces"], "n");
    assert_eq!(answers, number(&summary["data"], "responses"));
}

#[test]
fn demo_is_reproducible_for_a_seed() {
    let run = || {
        let dir = tempfile::tempdir().unwrap();
        let (_, out) = run_demo(dir.path(), "300", "11");
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let m = v.as_object_mut().unwrap();
        m.remove("elapsed_seconds");
        m.remove("step_seconds");
        m["data"]["database"]
            .as_object_mut()
            .unwrap()
            .remove("path");
        v
    };
    assert_eq!(run(), run());
}

#[test]
fn demo_refuses_an_existing_database_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("own.db");
    std::fs::write(&db, b"the user's own data").unwrap();
    let out = dir.path().join("report");
    let o = crm(&[
        "demo",
        "--customers",
        "300",
        "--seed",
        "11",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "usage error: {}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("already exists") && e.contains("--force"),
        "the message says why and what to do: {e}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), b"the user's own data");
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn demo_force_replaces_an_existing_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("own.db");
    std::fs::write(&db, b"old").unwrap();
    let out = dir.path().join("report");
    let o = crm(&[
        "demo",
        "--customers",
        "300",
        "--seed",
        "11",
        "--force",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    let bytes = std::fs::read(&db).unwrap();
    assert!(
        bytes.starts_with(b"SQLite format 3\0"),
        "a SQLite database now"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "report")
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("own.db")),
        "no temporary file left: {names:?}"
    );
}

#[test]
fn a_failed_demo_leaves_the_existing_database_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("own.db");
    std::fs::write(&db, b"old").unwrap();
    // The report directory cannot be created under a regular file, so the run fails at its
    // very last step, after the new database was complete.
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let out = blocker.join("report");
    let o = crm(&[
        "demo",
        "--customers",
        "300",
        "--seed",
        "11",
        "--force",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "fails: {}", stderr(&o));
    assert!(stderr(&o).contains("not-a-directory"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"old",
        "the old file is intact"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["not-a-directory", "own.db"],
        "no temporary file left"
    );
}

#[test]
fn without_db_the_demo_keeps_its_database_in_out_and_replaces_it_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let run = || {
        crm(&[
            "demo",
            "--customers",
            "300",
            "--seed",
            "11",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let first = run();
    assert!(first.status.success(), "demo failed: {}", stderr(&first));
    let db = out.join("crm-demo.db");
    assert!(db.is_file(), "the database is part of the demo's output");
    let second = run();
    assert!(
        second.status.success(),
        "a second run replaces its own database: {}",
        stderr(&second)
    );
    assert!(db.is_file());
    // Anything else in --out is still protected.
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let third = run();
    assert_eq!(third.status.code(), Some(2), "{}", stderr(&third));
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
}

#[test]
fn demo_prints_its_summary_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = common::crm(&[
        "demo",
        "--customers",
        "150",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let v = common::json_of(&o);
    assert_eq!(v["data"]["customers"], 150);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(written["data"], v["data"]);
}
