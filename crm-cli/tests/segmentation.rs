//! `crm rfm`, `crm abc`, `crm tiers` and `crm migration` on the hand-checkable transactions
//! fixture.
//!
//! As of 2024-04-01 the five customers are:
//!
//! | customer | last purchase | recency | transactions | net total |
//! |----------|---------------|---------|--------------|-----------|
//! | alice    | 2024-03-20    | 12      | 3            | 175.00    |
//! | bob      | 2024-02-15    | 46      | 2            | 0.00 (a refund) |
//! | carol    | 2024-03-30    | 2       | 1            | 300.00    |
//! | dave     | 2024-01-20    | 72      | 2            | 25.00     |
//! | erin     | 2024-03-25    | 7       | 1            | 60.00     |
//!
//! Quantile scores with k = 5 and n = 5: `1 + floor(5 w / 5) = 1 + w`, where w counts the
//! customers with a strictly worse value; ties share a score.

mod common;

use common::{fixture_arg, json, with_output};

fn tx() -> String {
    fixture_arg("transactions.csv")
}

#[test]
fn rfm_table_matches_hand_computation() {
    let (_, text) = with_output(
        &["rfm", "--transactions", &tx(), "--as-of", "2024-04-01"],
        "rfm.csv",
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment"
    );
    // Recency: carol 2 < erin 7 < alice 12 < bob 46 < dave 72 -> R 5, 4, 3, 2, 1.
    // Frequency: alice 3 > bob 2 = dave 2 > carol 1 = erin 1 -> F 5, 3, 3, 1, 1.
    // Monetary: carol 300 > alice 175 > erin 60 > dave 25 > bob 0 -> M 5, 4, 3, 2, 1.
    let expected = [
        "alice,12,3,175.00,3,5,4,",
        "bob,46,2,0.00,2,3,1,",
        "carol,2,1,300.00,5,1,5,",
        "dave,72,2,25.00,1,3,2,",
        "erin,7,1,60.00,4,1,3,",
    ];
    for (line, want) in lines[1..].iter().zip(expected) {
        assert!(line.starts_with(want), "{line} should start with {want}");
    }
    assert_eq!(lines.len(), 6);
}

#[test]
fn rfm_json_summary_and_as_of_exclusion() {
    let v = json(&[
        "rfm",
        "--transactions",
        &tx(),
        "--as-of",
        "2024-03-01",
        "--json",
    ]);
    // Purchases after 2024-03-01 00:00 are excluded: t2 (03-01 10:00), t3, t6, t9.
    assert_eq!(v["excluded_after_as_of"], 4);
    assert_eq!(v["transactions"], 5);
    assert_eq!(v["customers"], 3);
    let shares: f64 = v["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["customer_share"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-12);
}

#[test]
fn abc_by_share_and_by_rank() {
    let (_, text) = with_output(&["abc", "--transactions", &tx()], "abc.json");
    let rows: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Total 560. Share before carol 0 -> A; before alice 300/560 = 53.6% -> A;
    // before erin 475/560 = 84.8% -> B; before dave 535/560 = 95.5% -> C; bob has no value -> C.
    let got: Vec<(&str, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["customer_id"].as_str().unwrap(),
                r["class"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("carol", "A"),
            ("alice", "A"),
            ("erin", "B"),
            ("dave", "C"),
            ("bob", "C")
        ]
    );
    assert!((rows[1]["cumulative_share"].as_f64().unwrap() - 475.0 / 560.0).abs() < 1e-12);
    assert_eq!(rows[0]["value"], "300.00");
    // Rank mode: the classes partition the customers and the top customer is in A.
    let v = json(&["abc", "--transactions", &tx(), "--mode", "rank", "--json"]);
    let total: u64 = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 5);
    assert_eq!(v["mode"], "rank");
    assert!(v["classes"][0]["customers"].as_u64().unwrap() >= 1);
    assert_eq!(v["classes"][0]["value"], "300.00");
}

#[test]
fn cdnow_layout_is_read() {
    let f = fixture_arg("CDNOW_sample.txt");
    let v = json(&["rfm", "--transactions", &f, "--format", "cdnow", "--json"]);
    // 2,357 customers and 6,919 purchase lines; the latest purchase is on 1998-06-30.
    assert_eq!(v["customers"], 2357);
    assert_eq!(v["transactions"], 6919);
    assert_eq!(v["as_of"], "1998-06-30T00:00:00Z");
}

#[test]
fn rfm_with_three_bins() {
    // With k = 3 and n = 5 a score is 1 + floor(3 w / 5), w = customers strictly worse:
    // recency carol 3, erin 2, alice 2, bob 1, dave 1; frequency alice 3, bob 2, dave 2,
    // carol 1, erin 1; monetary carol 3, alice 2, erin 2, dave 1, bob 1.
    let (_, text) = with_output(
        &[
            "rfm",
            "--transactions",
            &tx(),
            "--as-of",
            "2024-04-01",
            "--bins",
            "3",
        ],
        "rfm.csv",
    );
    let scores: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{} {}{}{}", f[0], f[4], f[5], f[6])
        })
        .collect();
    assert_eq!(
        scores,
        ["alice 232", "bob 121", "carol 313", "dave 121", "erin 212"]
    );
    let v = json(&["rfm", "--transactions", &tx(), "--bins", "3", "--json"]);
    assert_eq!(v["bins"], 3);
}

#[test]
fn abc_csv_in_both_modes() {
    for (mode, classes) in [("share", "AABCC"), ("rank", "ACCCC")] {
        let (_, text) = with_output(&["abc", "--transactions", &tx(), "--mode", mode], "abc.csv");
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "customer_id,value,cumulative_share,class"
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        let got: String = rows.iter().map(|r| r[3]).collect();
        // Rank mode: A is the top 5% of 5 customers (carol), B the next 15% (nobody).
        assert_eq!(got, classes, "{mode}");
        assert_eq!(rows[0][..3], ["carol", "300.00", "0.5357142857142858"]);
        assert_eq!(rows[4][..3], ["bob", "0.00", "1.0"]);
    }
}

/// Value tiers as of 2024-04-01: tenure counts the days from each first purchase (alice's
/// on 2024-01-05: 87 days), the ABC class is `crm abc`'s, and the same tiers come from a
/// database the file was imported into.
#[test]
fn tiers_from_the_file_and_from_a_database() {
    let args = ["tiers", "--transactions", &tx(), "--as-of", "2024-04-01"];
    let (text, table) = with_output(&args, "tiers.csv");
    assert_eq!(
        table,
        "customer_id,tier,abc_class,tenure_days\n\
         alice,high-value,A,87\nbob,regular,C,51\ncarol,high-value,A,2\n\
         dave,regular,C,90\nerin,potential,B,7\n"
    );
    assert!(text.starts_with("value tiers: 5 customers"), "{text}");
    let (_, abc) = with_output(&["abc", "--transactions", &tx()], "abc.csv");
    for line in abc.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let class = format!(",{},", f[3]);
        let row = table.lines().find(|l| l.starts_with(&format!("{},", f[0])));
        assert!(row.is_some_and(|r| r.contains(&class)), "{line} in {table}");
    }
    let v = json(&[&args[..], &["--json"]].concat());
    assert_eq!(v["customers"], 5);
    let counts: Vec<(String, u64)> = v["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["customers"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("high-value".to_string(), 2),
            ("potential".to_string(), 1),
            ("regular".to_string(), 2)
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let db = common::arg(&dir.path().join("crm.db"));
    let o = common::crm(&["import", "--db", &db, "transactions", &tx()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (_, from_db) = with_output(
        &["tiers", "--db", &db, "--as-of", "2024-04-01"],
        "tiers.csv",
    );
    assert_eq!(from_db, table);
}

#[test]
fn tiers_refuse_bad_input() {
    common::fails(
        &["tiers", "--transactions", &tx(), "--as-of", "soon"],
        2,
        "--as-of",
    );
    common::fails(
        &["tiers", "--transactions", &fixture_arg("absent.csv")],
        1,
        "absent.csv",
    );
    common::fails(
        &[
            "tiers",
            "--transactions",
            &fixture_arg("bad/bad_amount.csv"),
        ],
        3,
        "line 4, column 3 (amount)",
    );
}

/// The segments of `crm rfm --as-of DATE --output` at each date, by customer (`(absent)`
/// for a customer without purchases before the date).
fn segments_at(date: &str) -> std::collections::BTreeMap<String, String> {
    let (_, table) = with_output(
        &["rfm", "--transactions", &tx(), "--as-of", date],
        "rfm.csv",
    );
    let mut out: std::collections::BTreeMap<String, String> =
        ["alice", "bob", "carol", "dave", "erin"]
            .iter()
            .map(|c| (c.to_string(), "(absent)".to_string()))
            .collect();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        out.insert(f[0].to_string(), f[7].to_string());
    }
    out
}

/// Segment migration between 2024-02-01 (alice and dave had bought) and 2024-04-01: each
/// customer's segments are those `crm rfm --as-of` gives at the two dates, from the file
/// and from a database alike.
#[test]
fn migration_between_two_dates() {
    let args = [
        "migration",
        "--transactions",
        &tx(),
        "--from",
        "2024-02-01",
        "--to",
        "2024-04-01",
    ];
    let (text, table) = with_output(&args, "migration.csv");
    let (before, after) = (segments_at("2024-02-01"), segments_at("2024-04-01"));
    assert_eq!(before.values().filter(|s| *s == "(absent)").count(), 3);
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("customer_id,from_segment,to_segment"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 5);
    for r in &rows {
        assert_eq!(before[r[0]], r[1], "{r:?}");
        assert_eq!(after[r[0]], r[2], "{r:?}");
    }
    let changed = rows.iter().filter(|r| r[1] != r[2]).count();
    assert!(
        text.starts_with(&format!(
            "segment migration from 2024-02-01 to 2024-04-01: 5 customers, {changed} changed segment"
        )),
        "{text}"
    );
    let v = json(&[&args[..], &["--json"]].concat());
    assert_eq!(v["customers"], 5);
    assert_eq!(v["changed"], changed);
    let total: u64 = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 5);
    let dir = tempfile::tempdir().unwrap();
    let db = common::arg(&dir.path().join("crm.db"));
    let o = common::crm(&["import", "--db", &db, "transactions", &tx()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (_, from_db) = with_output(
        &[
            "migration",
            "--db",
            &db,
            "--from",
            "2024-02-01",
            "--to",
            "2024-04-01",
        ],
        "migration.csv",
    );
    assert_eq!(from_db, table);
}

#[test]
fn migration_refuses_bad_dates() {
    let run = |from: &str, to: &str| {
        [
            "migration".to_string(),
            "--transactions".to_string(),
            tx(),
            "--from".to_string(),
            from.to_string(),
            "--to".to_string(),
            to.to_string(),
        ]
    };
    let args = run("2024-04-01", "2024-02-01");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::fails(&args, 2, "must be before --to");
    let args = run("yesterday", "2024-02-01");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::fails(&args, 2, "--from");
    common::fails(
        &["migration", "--transactions", &tx(), "--from", "2024-01-01"],
        2,
        "--to",
    );
}
