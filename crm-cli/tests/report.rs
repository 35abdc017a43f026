//! `crm report`: the report of a database equals the analyses run one by one, the report
//! of files equals the report of a database they were imported into, absent data leaves
//! its sections out with a reason, and the output directory is protected.

mod common;

use std::path::Path;

use common::{arg, churn_scores, crm, fixture_arg, json, stderr, stdout};
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
        13,
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

    // Segment migration as `crm migration --db` over the default 90 days.
    let as_of_time = chrono::DateTime::parse_from_rfc3339(as_of).unwrap();
    let from = (as_of_time - chrono::TimeDelta::days(90)).to_rfc3339();
    let moved = json(&[
        "migration",
        "--db",
        &db,
        "--from",
        &from,
        "--to",
        as_of,
        "--json",
    ]);
    let migration = &seg["migration"];
    for key in ["customers", "changed"] {
        assert_eq!(migration[key], moved[key], "migration {key}");
    }
    let cells: u64 = migration["counts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
        .sum();
    assert_eq!(Value::from(cells), moved["customers"]);
    // Revenue per month adds up to the segments' revenue (every transaction to as-of).
    let monthly: f64 = seg["revenue_by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["net_revenue"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    let segments: f64 = seg["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["revenue"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((monthly - segments).abs() < 0.01, "{monthly} vs {segments}");
    // The repeat-purchase diagnostic counts every customer modelled.
    let actual: u64 = summary["churn"]["period_transactions"]["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["actual"].as_u64().unwrap())
        .sum();
    assert_eq!(
        Value::from(actual),
        summary["churn"]["purchase_model"]["n_customers"]
    );
    // The deal values count every deal.
    let deals: u64 = summary["deals"]["value"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["deals"].as_u64().unwrap())
        .sum::<u64>()
        + summary["deals"]["value"]["deals_in_other_currencies"]
            .as_u64()
            .unwrap();
    assert_eq!(Value::from(deals), summary["deals"]["deals"]);

    // The BG/NBD fit as `crm churn fit --db`.
    let fit = json(&["churn", "fit", "--db", &db, "--json"]);
    let model = &summary["churn"]["purchase_model"];
    assert!(model["params"]["r"].as_f64().unwrap() > 0.0, "{model}");
    assert_eq!(model["params"], fit["params"]);
    assert_eq!(model["n_customers"], fit["n_customers"]);
    assert_eq!(model["log_likelihood"], fit["log_likelihood"]);
}

#[test]
fn the_holdout_and_a_customers_history_equal_the_churn_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let o = crm(&[
        "demo",
        "--customers",
        "1500",
        "--seed",
        "9",
        "--db",
        &arg(&db),
        "--out",
        &arg(&dir.path().join("demo-report")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = arg(&db);
    let rfm = json(&["rfm", "--db", &db, "--json"]);
    let as_of = rfm["as_of"].as_str().unwrap().to_string();
    // A customer who bought more than once, and their P(alive) at the reference date.
    let scores = churn_scores(&db, dir.path());
    // Under BG/NBD only a repeat buyer has P(alive) below 1 (the first such, by id).
    let mut repeat: Vec<(&String, f64)> = scores
        .iter()
        .filter(|(_, (p, _))| *p < 0.9)
        .map(|(id, (p, _))| (id, *p))
        .collect();
    repeat.sort_by(|a, b| a.0.cmp(b.0));
    let (customer, p_alive) = repeat
        .first()
        .map(|(id, p)| (id.to_string(), *p))
        .expect("a repeat buyer");

    let holdout_from = "2025-12-31";
    let summary = report(
        &[
            "--db",
            &db,
            "--holdout-from",
            holdout_from,
            "--customer",
            &customer,
        ],
        &dir.path().join("report"),
    );
    let churn = &summary["churn"];
    // The history ends at the reference date with the customer's P(alive) there.
    let weeks = churn["p_alive_history"]["weeks"].as_array().unwrap();
    assert!(weeks.len() > 2, "{weeks:?}");
    assert!(weeks.iter().all(|w| {
        let p = w["p_alive"].as_f64().unwrap();
        (0.0..=1.0).contains(&p)
    }));
    let last = weeks.last().unwrap()["p_alive"].as_f64().unwrap();
    assert!((last - p_alive).abs() < 1e-9, "{last} vs {p_alive}");
    // Calibration against holdout as `crm churn score --calibration-end --holdout-end`.
    let scored = json(&[
        "churn",
        "score",
        "--db",
        &db,
        "--calibration-end",
        holdout_from,
        "--holdout-end",
        &as_of,
        "--json",
    ]);
    let bins = &scored["diagnostics"]["calibration_holdout"];
    let ours = churn["holdout"]["bins"].as_array().unwrap();
    assert_eq!(ours.len(), bins.as_array().unwrap().len());
    for (a, b) in ours.iter().zip(bins.as_array().unwrap()) {
        assert_eq!(a["n"], b["n"]);
        for key in ["mean_actual", "mean_predicted"] {
            let (x, y) = (a[key].as_f64(), b[key].as_f64());
            assert!(
                x.zip(y).is_none_or(|(x, y)| (x - y).abs() < 1e-9),
                "{key}: {x:?} vs {y:?}"
            );
        }
    }
    let auc = churn["holdout"]["roc_auc"].as_f64().unwrap();
    assert!(
        auc > 0.5 && auc <= 1.0,
        "the model ranks better than chance: {auc}"
    );

    // An unknown customer and a holdout after the reference date are refused.
    let o = crm(&[
        "report",
        "--db",
        &db,
        "--customer",
        "nobody",
        "--out",
        &arg(&dir.path().join("r2")),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nobody"), "{}", stderr(&o));
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
