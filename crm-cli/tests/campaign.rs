//! `crm import campaigns|members` and `crm campaign select|results`, from files, from a
//! SQLite database and (when `CRM_TEST_POSTGRES_URL` names a server) from PostgreSQL.

mod common;

use std::process::Command;

use common::{arg, churn_scores, close, crm, fails, json, stderr};

/// A campaign of 20 treatment and 20 holdout members: 8 treated and 3 held-out customers
/// buy 25 EUR within the attribution window, one treated customer buys after it, and
/// everyone bought 10 EUR before the contact (not counted).
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let mut customers = String::from("customer_id,name,created_at\n");
        let mut members = String::from("campaign_id,customer_id,group,sent_at,responded_at\n");
        let mut transactions =
            String::from("customer_id,timestamp,amount,currency,transaction_id\n");
        for i in 1..=40 {
            let id = format!("c{i:02}");
            customers.push_str(&format!("{id},Customer {i},2024-01-01\n"));
            transactions.push_str(&format!("{id},2025-01-15,10.00,EUR,old-{i}\n"));
            let treated = i <= 20;
            let responded = if (1..=8).contains(&i) || (21..=23).contains(&i) {
                "2025-03-05"
            } else {
                ""
            };
            if treated {
                members.push_str(&format!("SPRING,{id},treatment,2025-03-01,{responded}\n"));
            } else {
                members.push_str(&format!("SPRING,{id},holdout,,{responded}\n"));
            }
            if !responded.is_empty() {
                transactions.push_str(&format!("{id},2025-03-05,25.00,EUR,buy-{i}\n"));
            }
        }
        transactions.push_str("c09,2025-05-01,50.00,EUR,late-9\n");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("customers.csv", &customers);
        write("members.csv", &members);
        write("transactions.csv", &transactions);
        write(
            "campaigns.csv",
            "campaign_id,name,channel,start,cost,currency,end\n\
             SPRING,Spring win-back,email,2025-03-01,100.00,EUR,2025-03-31\n",
        );
        Files { dir }
    }

    fn path(&self, name: &str) -> String {
        arg(&self.dir.path().join(name))
    }

    fn file_args(&self) -> Vec<String> {
        [
            ("--campaigns", "campaigns.csv"),
            ("--members", "members.csv"),
            ("--transactions", "transactions.csv"),
            ("--customers", "customers.csv"),
        ]
        .iter()
        .flat_map(|(flag, name)| [flag.to_string(), self.path(name)])
        .collect()
    }

    /// Imports every file into `db` (a SQLite path or a PostgreSQL URL).
    fn import_into(&self, db: &str) {
        for (kind, name) in [
            ("customers", "customers.csv"),
            ("transactions", "transactions.csv"),
            ("campaigns", "campaigns.csv"),
            ("members", "members.csv"),
        ] {
            let r = json(&["import", "--db", db, kind, &self.path(name), "--json"]);
            assert!(r["inserted"].as_u64().unwrap() > 0, "{kind}: {r}");
        }
    }
}

fn run(args: &[&str], extra: &[String]) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(extra.iter().map(String::as_str));
    json(&all)
}

/// The whole-campaign figures, checked against the textbook formulas worked by hand.
fn check_spring(v: &serde_json::Value) {
    let rows = v["campaigns"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    let r = &rows[0];
    assert_eq!(r["campaign_id"], "SPRING");
    assert_eq!(
        (r["treatment"].as_u64(), r["holdout"].as_u64()),
        (Some(20), Some(20))
    );
    let f = |name: &str| r[name].as_f64().unwrap_or_else(|| panic!("{name} in {r}"));
    assert!(close(f("reach"), 1.0, 1e-12));
    assert!(close(f("treatment_conversion"), 0.40, 1e-12));
    assert!(close(f("holdout_conversion"), 0.15, 1e-12));
    assert!(close(f("conversion_uplift"), 0.25, 1e-12));
    // Pooled two-proportion z-test: p = 11/40, z = 0.25 / sqrt(p(1-p)(2/20)) = 1.770536,
    // two-sided p = erfc(z / sqrt 2) = 0.076638; unpooled 95 % interval 0.25 ± 1.96·se.
    assert!(close(f("conversion_p_value"), 0.076_638, 1e-5), "{r}");
    assert!(close(f("conversion_uplift_low"), -0.015_682, 1e-5), "{r}");
    assert!(close(f("conversion_uplift_high"), 0.515_682, 1e-5), "{r}");
    // Wilson interval of 8/20 at 95 % (z = 1.959964): 0.218_807 to 0.613_418.
    assert!(close(f("treatment_conversion_low"), 0.218_807, 1e-5), "{r}");
    assert!(
        close(f("treatment_conversion_high"), 0.613_418, 1e-5),
        "{r}"
    );
    assert_eq!(r["treatment_revenue_per_customer"], "10");
    assert_eq!(r["holdout_revenue_per_customer"], "3.75");
    assert!(close(f("revenue_uplift"), 6.25, 1e-9));
    // 6.25 per customer over 20 treated customers, against a cost of 100.
    assert_eq!(r["incremental_revenue"], "125");
    assert_eq!(r["roi"], "0.25");
    assert_eq!(r["currency"], "EUR");
}

#[test]
fn results_from_files_equal_the_hand_worked_figures_and_those_from_a_database() {
    let files = Files::new();
    let from_files = run(&["campaign", "results", "--json"], &files.file_args());
    check_spring(&from_files);

    let db = arg(&files.dir.path().join("crm.db"));
    files.import_into(&db);
    let again = json(&[
        "import",
        "--db",
        &db,
        "members",
        &files.path("members.csv"),
        "--json",
    ]);
    assert_eq!(
        (again["inserted"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(40))
    );
    let from_db = json(&["campaign", "results", "--db", &db, "--json"]);
    assert_eq!(from_db, from_files, "a database gives the files' results");

    // A shorter window leaves no purchase in it (the contact is 2025-03-01, the purchases
    // four days later).
    let short = json(&[
        "campaign",
        "results",
        "--db",
        &db,
        "--json",
        "--attribution-days",
        "3",
    ]);
    assert!(close(
        short["campaigns"][0]["treatment_conversion"]
            .as_f64()
            .unwrap(),
        0.0,
        1e-12
    ));
}

#[test]
fn per_segment_results_add_up_to_the_campaign() {
    let files = Files::new();
    let v = run(
        &["campaign", "results", "--json", "--by", "tier"],
        &files.file_args(),
    );
    let rows = v["campaigns"].as_array().unwrap();
    assert!(rows.len() >= 2, "a whole row and at least one segment: {v}");
    assert_eq!(rows[0]["segment"], "");
    let sum = |field: &str| -> u64 { rows[1..].iter().map(|r| r[field].as_u64().unwrap()).sum() };
    assert_eq!(sum("treatment"), 20);
    assert_eq!(sum("holdout"), 20);
}

#[test]
fn select_is_reproducible_and_its_members_import() {
    let files = Files::new();
    let db = arg(&files.dir.path().join("crm.db"));
    files.import_into(&db);
    let select = |seed: &str| {
        json(&[
            "campaign",
            "select",
            "--db",
            &db,
            "--campaign",
            "SPRING",
            "--holdout",
            "0.25",
            "--seed",
            seed,
            "--json",
        ])
    };
    let a = select("7");
    assert_eq!(a, select("7"), "the same seed picks the same members");
    assert_eq!(
        (a["members"].as_u64(), a["holdout"].as_u64()),
        (Some(40), Some(10))
    );
    assert_ne!(
        a["rows"],
        select("8")["rows"],
        "another seed another holdout"
    );

    // Stratified by tier, restricted to a list.
    let list = files.dir.path().join("list.csv");
    std::fs::write(&list, "customer_id\nc01\nc02\nc03\nc04\n").unwrap();
    let listed = json(&[
        "campaign",
        "select",
        "--db",
        &db,
        "--campaign",
        "SPRING",
        "--list",
        &arg(&list),
        "--holdout",
        "0.5",
        "--stratify",
        "tier",
        "--json",
    ]);
    assert_eq!(listed["members"], 4);

    // The file written imports as members of a new campaign.
    let out = files.dir.path().join("selected.csv");
    let o = crm(&[
        "campaign",
        "select",
        "--db",
        &db,
        "--campaign",
        "SPRING",
        "--output",
        &arg(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("campaign_id,customer_id,group\n"),
        "{text}"
    );
    let members = json(&["import", "--db", &db, "members", &arg(&out), "--json"]);
    assert_eq!(members["skipped"], 40, "the stored members: {members}");
}

#[test]
fn bad_member_files_name_file_line_and_field() {
    let files = Files::new();
    let db = arg(&files.dir.path().join("crm.db"));
    files.import_into(&db);
    let bad = files.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "campaign_id,customer_id,group\nSPRING,c01,treatment\nWINTER,c02,holdout\n",
    )
    .unwrap();
    let e = fails(&["import", "--db", &db, "members", &arg(&bad)], 3, "line 3");
    assert!(e.contains("bad.csv") && e.contains("campaign"), "{e}");
    std::fs::write(
        &bad,
        "campaign_id,customer_id,group\nSPRING,nobody,holdout\n",
    )
    .unwrap();
    let e = fails(&["import", "--db", &db, "members", &arg(&bad)], 3, "line 2");
    assert!(e.contains("customer"), "{e}");
    std::fs::write(
        &bad,
        "campaign_id,customer_id,group,sent_at\nSPRING,c01,holdout,2025-03-01\n",
    )
    .unwrap();
    fails(
        &["import", "--db", &db, "members", &arg(&bad)],
        3,
        "campaign_member.sent_at",
    );
    // With a reject file the good rows go in and the bad one is set aside.
    std::fs::write(
        &bad,
        "campaign_id,customer_id,group\nSPRING,c01,treatment\nSPRING,c02,control\n",
    )
    .unwrap();
    let rejects = files.dir.path().join("rejects.csv");
    let r = json(&[
        "import",
        "--db",
        &db,
        "members",
        &arg(&bad),
        "--reject-file",
        &arg(&rejects),
        "--json",
    ]);
    assert_eq!(r["rejected"], 1, "{r}");
    assert!(
        std::fs::read_to_string(&rejects)
            .unwrap()
            .contains("control")
    );
}

/// The server's URL and a schema of this test's own, or `None` (skipped) without a server.
fn server(test: &str) -> Option<(String, String)> {
    let Ok(url) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        println!("skipped {test}: CRM_TEST_POSTGRES_URL is not set");
        return None;
    };
    Some((url, format!("crm_cli_{test}_{}", std::process::id())))
}

fn drop_schema(url: &str, schema: &str) {
    let status = Command::new("psql")
        .args([
            url,
            "-q",
            "-c",
            &format!("SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE"),
        ])
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("note: could not drop schema {schema} (psql unavailable)");
    }
}

#[test]
fn results_on_postgres_equal_those_from_files() {
    let Some((url, schema)) = server("campaigns") else {
        return;
    };
    let db = format!("{url}?schema={schema}");
    let files = Files::new();
    files.import_into(&db);
    let from_pg = json(&["campaign", "results", "--db", &db, "--json"]);
    let from_files = run(&["campaign", "results", "--json"], &files.file_args());
    drop_schema(&url, &schema);
    check_spring(&from_pg);
    assert_eq!(from_pg, from_files);
}

#[test]
fn winback_ranks_the_at_risk_customers_and_select_takes_a_risk_band() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let o = crm(&[
        "demo",
        "--customers",
        "800",
        "--seed",
        "3",
        "--db",
        &arg(&db),
        "--out",
        &arg(&dir.path().join("report")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db = arg(&db);
    let scores = churn_scores(&db, dir.path());

    // Win-back: the medium- and high-risk customers, by P(alive) x CLV, highest first.
    let w = json(&["campaign", "winback", "--db", &db, "--json"]);
    let rows = w["rows"].as_array().unwrap();
    let at_risk = scores.values().filter(|(_, b)| b != "low").count();
    assert!(at_risk > 0);
    assert_eq!(rows.len(), at_risk, "every customer at medium or high risk");
    let mut last = f64::INFINITY;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["rank"], i + 1);
        let (p, band) = &scores[r["customer_id"].as_str().unwrap()];
        assert_eq!(r["risk_band"].as_str().unwrap(), band, "{r}");
        assert!(band != "low");
        assert!((r["p_alive"].as_f64().unwrap() - p).abs() < 1e-12, "{r}");
        let clv: f64 = r["expected_clv"].as_str().unwrap().parse().unwrap();
        let value: f64 = r["expected_value"].as_str().unwrap().parse().unwrap();
        assert!((value - p * clv).abs() < 0.01, "P(alive) x CLV: {r}");
        assert!(value <= last, "highest expected value first");
        last = value;
    }
    let top = json(&[
        "campaign", "winback", "--db", &db, "--risk", "medium", "--limit", "5", "--json",
    ]);
    let top = top["rows"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    assert!(top.iter().all(|r| r["risk_band"] == "medium"));
    // The first five medium-risk customers of the whole ranking, renumbered.
    let ids = |rows: &[serde_json::Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["customer_id"].as_str().unwrap().to_string())
            .collect()
    };
    let medium_first: Vec<serde_json::Value> = rows
        .iter()
        .filter(|r| r["risk_band"] == "medium")
        .take(5)
        .cloned()
        .collect();
    assert_eq!(ids(top), ids(&medium_first));
    assert_eq!(top[4]["rank"], 5);

    // Select: only the medium-risk customers, all of them.
    let s = json(&[
        "campaign",
        "select",
        "--db",
        &db,
        "--campaign",
        "WINBACK",
        "--risk",
        "medium",
        "--holdout",
        "0.2",
        "--json",
    ]);
    let medium = scores.values().filter(|(_, b)| b == "medium").count();
    assert!(medium > 0);
    assert_eq!(s["members"], medium);
    for m in s["rows"].as_array().unwrap() {
        assert_eq!(
            scores[m["customer_id"].as_str().unwrap()].1,
            "medium",
            "{m}"
        );
    }
    fails(
        &["campaign", "winback", "--db", &db, "--risk", "severe"],
        2,
        "severe",
    );
}
