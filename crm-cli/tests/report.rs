//! `crm report`: the report of a database equals the analyses run one by one, the report
//! of files equals the report of a database they were imported into, absent data leaves
//! its sections out with a reason, and the output directory is protected.

mod common;

use std::path::Path;

use common::{arg, crm, fixture_arg, json, stderr, stdout};
use serde_json::Value;

/// `summary.json` without what depends on the run (timings) or the source's name.
fn comparable(mut v: Value) -> Value {
    let m = v.as_object_mut().unwrap();
    m.remove("elapsed_seconds");
    m.remove("step_seconds");
    v
}

fn report(args: &[&str], out: &Path) -> Value {
    let mut all = vec!["report", "--out", out.to_str().unwrap(), "--json"];
    all.extend_from_slice(args);
    let v = json(&all);
    assert!(out.join("report.html").exists(), "report.html written");
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        comparable(file),
        comparable(v.clone()),
        "--json prints summary.json"
    );
    v
}

fn section_titles(html: &str) -> Vec<String> {
    html.split("<h2")
        .skip(1)
        .filter_map(|s| {
            let start = s.find('>')? + 1;
            let end = s.find("</h2>")?;
            Some(s[start..end].to_string())
        })
        .collect()
}

#[test]
fn the_report_of_a_demo_database_equals_the_analyses_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let demo_out = dir.path().join("demo-report");
    let o = crm(&[
        "demo",
        "--customers",
        "2000",
        "--seed",
        "5",
        "--db",
        &arg(&db),
        "--out",
        &arg(&demo_out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = arg(&db);
    let out = dir.path().join("report");
    let summary = report(&["--db", &db], &out);
    assert_eq!(summary["data"]["customers"], 2000);
    assert!(
        summary.get("left_out").is_none(),
        "every section: {summary}"
    );

    // The same sections as the demo.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let demo_html = std::fs::read_to_string(demo_out.join("report.html")).unwrap();
    assert_eq!(section_titles(&html), section_titles(&demo_html));
    assert_eq!(
        section_titles(&html).len(),
        12,
        "{:?}",
        section_titles(&html)
    );

    // RFM as `crm rfm --db`: same as-of (the latest transaction), customers and segments.
    let rfm = json(&["rfm", "--db", &db, "--json"]);
    let seg = &summary["segmentation"];
    assert_eq!(seg["customers"], rfm["customers"]);
    assert_eq!(seg["transactions"], rfm["transactions"]);
    assert_eq!(seg["as_of"], rfm["as_of"]);
    assert_eq!(seg["segments"], rfm["segments"]);
    assert_eq!(summary["data"]["as_of"], rfm["as_of"]);
    // The cohort table as `crm cohorts --db` at the same instant.
    let as_of = rfm["as_of"].as_str().unwrap();
    let cohorts = json(&["cohorts", "--db", &db, "--as-of", as_of, "--json"]);
    assert!(!cohorts["cohorts"].as_array().unwrap().is_empty());
    assert_eq!(seg["cohorts"], cohorts);

    // Keeping in touch as `crm followups --db` and `crm care --db` at the same instant.
    let due = json(&["followups", "--db", &db, "--as-of", as_of, "--json"]);
    let touch = &summary["keeping_in_touch"];
    assert_eq!(touch["due"], due["due"].as_array().unwrap().len());
    assert_eq!(
        touch["due_without_consent"],
        due["without_consent"].as_array().unwrap().len()
    );
    assert_eq!(touch["customers"], due["customers"]);
    let care = json(&[
        "care", "--db", &db, "--as-of", as_of, "--days", "14", "--json",
    ]);
    let reminders: usize = care["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["reminders"].as_array().unwrap().len())
        .sum();
    assert!(reminders > 0);
    assert_eq!(touch["care_reminders"], reminders);

    // Loyalty as `crm loyalty report --db` over the same period: from the first event to the
    // report's as-of time.
    let first = json(&["loyalty", "report", "--db", &db, "--json"]);
    let loyalty = json(&["loyalty", "report", "--db", &db, "--to", as_of, "--json"]);
    assert_eq!(summary["loyalty"]["from"], first["from"]);
    for key in ["members", "earned", "redeemed", "outstanding", "liability"] {
        assert_eq!(summary["loyalty"][key], loyalty[key], "loyalty {key}");
    }

    // Campaigns as `crm campaign results --db`: the demo's two campaigns, the win-back
    // e-mail with a true response uplift of 8 points, the text message with none.
    let campaigns = json(&["campaign", "results", "--db", &db, "--json"]);
    assert_eq!(summary["campaigns"]["campaigns"], campaigns["campaigns"]);
    let rows = campaigns["campaigns"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{campaigns}");
    let sms = rows
        .iter()
        .find(|r| r["campaign_id"] == "SMS-2026")
        .unwrap();
    let winback = rows
        .iter()
        .find(|r| r["campaign_id"] == "WINBACK-2026")
        .unwrap();
    assert!(
        winback["response_uplift"].as_f64().unwrap() > 0.0,
        "{winback}"
    );
    assert!(
        winback["treatment"].as_u64().unwrap() > winback["holdout"].as_u64().unwrap(),
        "{winback}"
    );
    assert!(sms["response_p_value"].as_f64().is_some(), "{sms}");

    // Sales as `crm sales --db --by owner --period quarter` at the same instant.
    let sales = json(&[
        "sales", "--db", &db, "--by", "owner", "--period", "quarter", "--as-of", as_of, "--json",
    ]);
    assert!(!sales["rows"].as_array().unwrap().is_empty());
    assert_eq!(summary["sales"]["rows"], sales["rows"]);

    // NPS as `crm nps --db`.
    let nps = json(&["nps", "--db", &db, "--json"]);
    let sat = &summary["satisfaction"]["nps"];
    for key in ["n", "score", "ci_low", "ci_high", "promoters", "detractors"] {
        assert_eq!(sat[key], nps[key], "NPS {key}");
    }
    let csat = json(&["csat", "--db", &db, "--json"]);
    assert_eq!(summary["satisfaction"]["csat"]["score"], csat["score"]);

    // The BG/NBD fit as `crm churn fit --db`.
    let fit = json(&["churn", "fit", "--db", &db, "--json"]);
    let model = &summary["churn"]["purchase_model"];
    assert!(model["params"]["r"].as_f64().unwrap() > 0.0, "{model}");
    assert_eq!(model["params"], fit["params"]);
    assert_eq!(model["n_customers"], fit["n_customers"]);
    assert_eq!(model["log_likelihood"], fit["log_likelihood"]);
}

/// Imports the fixtures into a database.
fn import_fixtures(db: &str) {
    for (kind, file, extra) in [
        ("transactions", "transactions.csv", vec![]),
        ("responses", "nps.csv", vec![]),
        ("responses", "csat.csv", vec!["--survey", "csat"]),
        ("interactions", "interactions.csv", vec![]),
        ("tickets", "tickets.csv", vec![]),
        ("deals", "deals.csv", vec![]),
    ] {
        let f = fixture_arg(file);
        let mut args = vec!["import", "--db", db, kind, &f, "--json"];
        args.extend(extra);
        json(&args);
    }
}

fn fixture_files() -> Vec<String> {
    vec![
        "--transactions".into(),
        fixture_arg("transactions.csv"),
        "--responses".into(),
        fixture_arg("nps.csv"),
        "--responses".into(),
        format!("csat={}", fixture_arg("csat.csv")),
        "--interactions".into(),
        fixture_arg("interactions.csv"),
        "--tickets".into(),
        fixture_arg("tickets.csv"),
        "--deals".into(),
        fixture_arg("deals.csv"),
    ]
}

#[test]
fn the_report_of_files_equals_the_report_of_their_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    import_fixtures(&db);
    let from_db = report(&["--db", &db], &dir.path().join("a"));
    let files = fixture_files();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let from_files = report(&args, &dir.path().join("b"));
    assert_eq!(comparable(from_db.clone()), comparable(from_files));
    assert_eq!(from_db["data"]["transactions"], 9);
    assert_eq!(from_db["data"]["tickets"], 3);
    assert_eq!(from_db["deals"]["deals"], 3);
    assert_eq!(from_db["service"]["sla"]["overall"]["tickets"], 3);
}

#[test]
fn absent_data_leaves_its_sections_out_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let tx = fixture_arg("transactions.csv");
    let o = crm(&["report", "--transactions", &tx, "--out", &arg(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for line in [
        "left out: Service: there are no tickets",
        "left out: Deals: there are no deals",
        "left out: Satisfaction: there are no survey responses",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Left out: there are no tickets."),
        "one line in the page"
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["left_out"]["deals"], "there are no deals");
    assert_eq!(summary["segmentation"]["customers"], 5);
}

#[test]
fn the_period_and_the_reference_date_restrict_the_analyses() {
    let dir = tempfile::tempdir().unwrap();
    let tx = fixture_arg("transactions.csv");
    let all = report(&["--transactions", &tx], &dir.path().join("a"));
    let part = report(
        &[
            "--transactions",
            &tx,
            "--from",
            "2024-02-01",
            "--to",
            "2024-03-31",
            "--as-of",
            "2024-04-01",
        ],
        &dir.path().join("b"),
    );
    let n_all = all["data"]["transactions"].as_u64().unwrap();
    let n_part = part["data"]["transactions"].as_u64().unwrap();
    assert!(n_part > 0 && n_part < n_all, "{n_part} of {n_all}");
    assert_eq!(part["segmentation"]["transactions"], n_part);
    assert_eq!(part["data"]["as_of"], "2024-04-01T00:00:00Z");
    let o = crm(&[
        "report",
        "--transactions",
        &tx,
        "--from",
        "2024-05-01",
        "--to",
        "2024-01-01",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn the_output_directory_is_protected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let tx = fixture_arg("transactions.csv");
    // A previous report may be replaced.
    report(&["--transactions", &tx], &out);
    report(&["--transactions", &tx], &out);
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = crm(&["report", "--transactions", &tx, "--out", &arg(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("notes.txt") && e.contains("--force"), "{e}");
    let o = crm(&[
        "report",
        "--transactions",
        &tx,
        "--out",
        &arg(&out),
        "--force",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn a_report_needs_a_source() {
    let o = crm(&["report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--db"), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let missing = arg(&dir.path().join("none.db"));
    let o = crm(&[
        "report",
        "--db",
        &missing,
        "--out",
        &arg(&dir.path().join("r")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!dir.path().join("none.db").exists(), "no database created");
}

#[test]
fn the_sales_section_with_targets_equals_crm_sales() {
    let dir = tempfile::tempdir().unwrap();
    let targets = dir.path().join("targets.csv");
    std::fs::write(
        &targets,
        "owner,period_start,period_end,target\nrep-1,2024-01-01,2024-03-31,2400\n",
    )
    .unwrap();
    let deals = fixture_arg("deals.csv");
    let targets = arg(&targets);
    let summary = report(
        &[
            "--deals",
            &deals,
            "--targets",
            &targets,
            "--as-of",
            "2024-06-30",
        ],
        &dir.path().join("out"),
    );
    let sales = json(&[
        "sales",
        "--deals",
        &deals,
        "--targets",
        &targets,
        "--by",
        "owner",
        "--period",
        "quarter",
        "--as-of",
        "2024-06-30",
        "--json",
    ]);
    assert_eq!(summary["sales"]["rows"], sales["rows"]);
    assert_eq!(summary["sales"]["quotas"], sales["quotas"]);
    // rep-1 won 1,200.00 of 2,400 in the first quarter.
    assert_eq!(summary["sales"]["quotas"][0]["attainment"], "0.5");
    assert_eq!(summary["left_out"]["campaigns"], "there are no campaigns");
}
