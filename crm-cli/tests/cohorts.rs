//! `crm cohorts`: the retention table of the fixture worked out by hand, the same table
//! from a database, the options, and refused input.

mod common;

use common::{arg, crm, fixture_arg, stderr, stdout};

/// The fixture's monthly table, worked out by hand from `fixtures/transactions.csv`:
/// January brings alice and dave (125.00; alice buys again in March for 75.00), February
/// brings bob (a purchase and its refund: active, no revenue), March carol and erin.
const MONTHLY: &str = "\
cohort,cohort_size,period,active,retention,revenue,revenue_retention,cumulative_revenue_per_customer
2024-01,2,0,2,1.0,125.00,1.0,62.50
2024-01,2,1,0,0.0,0,0.0,62.50
2024-01,2,2,1,0.5,75.00,0.6,100.00
2024-02,1,0,1,1.0,0.00,,0
2024-02,1,1,0,0.0,0,,0
2024-03,2,0,2,1.0,360.00,1.0,180.00
";

#[test]
fn the_fixture_table_is_the_one_worked_out_by_hand_from_a_file_or_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let tx = fixture_arg("transactions.csv");
    let out = dir.path().join("cohorts.csv");
    let o = crm(&["cohorts", "--transactions", &tx, "--output", &arg(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), MONTHLY);
    let text = stdout(&o);
    assert!(text.contains("5 customers in 3 cohorts"), "{text}");
    assert!(
        text.contains("2024-01             2 100.0%   0.0%  50.0%"),
        "{text}"
    );

    let db = arg(&dir.path().join("crm.db"));
    let o = crm(&["import", "transactions", &tx, "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_db = dir.path().join("from-db.csv");
    let o = crm(&["cohorts", "--db", &db, "--output", &arg(&from_db)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&from_db).unwrap(), MONTHLY);
}

#[test]
fn periods_and_bounds_change_the_grouping() {
    let tx = fixture_arg("transactions.csv");
    let v = common::json(&[
        "cohorts",
        "--transactions",
        &tx,
        "--period",
        "quarter",
        "--json",
    ]);
    assert_eq!(v["cohorts"].as_array().unwrap().len(), 1);
    assert_eq!(v["cohorts"][0]["label"], "2024-Q1");
    assert_eq!(v["cohorts"][0]["size"], 5);
    assert_eq!(v["cohorts"][0]["cells"][0]["revenue"], "560.00");

    // Through 2024-03-01 (the whole day): alice's March 1 purchase counts, carol and erin
    // are not acquired yet.
    let v = common::json(&[
        "cohorts",
        "--transactions",
        &tx,
        "--as-of",
        "2024-03-01",
        "--json",
    ]);
    let labels: Vec<&str> = v["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2024-01", "2024-02"]);
    assert_eq!(v["cohorts"][0]["cells"][2]["revenue"], "50.00");

    let weekly = common::json(&[
        "cohorts",
        "--transactions",
        &tx,
        "--period",
        "week",
        "--json",
    ]);
    assert_eq!(weekly["cohorts"][0]["label"], "2024-W01");
}

#[test]
fn bad_input_and_bad_options_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let tx = fixture_arg("transactions.csv");
    let o = crm(&[
        "cohorts",
        "--transactions",
        &tx,
        "--from",
        "2024-04-01",
        "--as-of",
        "2024-01-01",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = crm(&["cohorts", "--transactions", &tx, "--as-of", "March"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = crm(&["cohorts", "--transactions", &tx, "--period", "year"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    for (name, content, line) in [
        ("empty.csv", "", None),
        ("header.csv", "customer_id,timestamp,amount\n", None),
        (
            "date.csv",
            "customer_id,timestamp,amount\na,2024-02-30,5\n",
            Some("line 2"),
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let o = crm(&["cohorts", "--transactions", &arg(&path)]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{name}: {e}");
        assert!(e.contains(name), "{name}: {e}");
        if let Some(line) = line {
            assert!(e.contains(line), "{name}: {e}");
        }
        assert!(!e.contains("panicked"), "{e}");
    }
    let o = crm(&["cohorts", "--db", &arg(&dir.path().join("none.db"))]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}
