//! `crm dedupe` and `crm merge`: groups found with their evidence, groups files merged all
//! or nothing, `--auto`, what later imports of merged ids do, bad groups files; on SQLite
//! and, when `CRM_TEST_POSTGRES_URL` names a server, on PostgreSQL.

mod common;

use std::process::Command;

use common::{arg, crm, fails, json, stderr, with_output};

/// Customers C1 and C2 (one person, same e-mail), C3 and C4 (another, same e-mail), C5
/// alone; transactions of C1, C2 and C4; imported into `db` (a SQLite path or a URL).
fn seed(dir: &std::path::Path, db: &str) {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        arg(&path)
    };
    let customers = write(
        "customers.csv",
        "customer_id,name,email,created_at\n\
         C1,Ann Lee,ann.lee@example.com,2023-01-01\n\
         C2,\"Lee, Ann\",ANN.LEE@example.com,2024-01-01\n\
         C3,Bo Berg,bo.berg@example.org,2024-02-01\n\
         C4,Bo Berg,bo.berg@example.org,2022-05-01\n\
         C5,Cy Nguyen,cy@example.net,2023-03-03\n",
    );
    let transactions = write(
        "transactions.csv",
        "transaction_id,customer_id,timestamp,amount\n\
         T1,C1,2024-01-05,10.00\nT2,C2,2024-02-05,20.00\nT3,C2,2024-03-05,5.00\n\
         T4,C4,2024-01-07,7.00\n",
    );
    for (kind, file) in [("customers", &customers), ("transactions", &transactions)] {
        let o = crm(&["import", "--db", db, kind, file, "--json"]);
        assert!(o.status.success(), "import {kind}: {}", stderr(&o));
    }
}

fn sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    seed(dir.path(), &db);
    (dir, db)
}

/// The customers with purchases, from `crm rfm`'s per-customer table.
fn rfm_ids(db: &str) -> Vec<String> {
    let (_, table) = with_output(&["rfm", "--db", db], "rfm.csv");
    let mut ids: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(String::from))
        .collect();
    ids.sort();
    ids
}

/// Dedupe, merge the groups file, and import a merged id again.
fn dedupe_then_merge(dir: &std::path::Path, db: &str) {
    let found = json(&["dedupe", "--db", db, "--json"]);
    assert_eq!(found["customers"], 5);
    let groups = found["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{found}");
    assert_eq!(groups[0]["survivor_id"], "C1", "the oldest record survives");
    assert_eq!(groups[1]["survivor_id"], "C4");
    let evidence = &groups[0]["pairs"][0]["evidence"];
    assert!(
        evidence.to_string().contains("email_same"),
        "the evidence is listed per pair: {evidence}"
    );

    let file = dir.join("groups.csv");
    let text = crm(&["dedupe", "--db", db, "--output", &arg(&file)]);
    assert!(text.status.success(), "{}", stderr(&text));
    let shown = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(
        shown.contains("2 duplicate groups among 5 customers"),
        "{shown}"
    );
    assert!(shown.contains("C1 ~ C2"), "{shown}");
    assert!(!shown.contains("Ann"), "no names are printed: {shown}");
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(
        csv.starts_with("group,survivor_id,customer_id,version,score,evidence\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 5, "{csv}");

    let report_file = dir.join("merged.json");
    let merged = json(&[
        "merge",
        "--db",
        db,
        "--groups",
        &arg(&file),
        "--by",
        "steward",
        "--json",
        "-o",
        &arg(&report_file),
    ]);
    assert_eq!(
        (merged["groups"].clone(), merged["customers_merged"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(
        merged["records_moved"], 2,
        "T2 and T3 to C1 (C3 has no records): {merged}"
    );
    assert_eq!(merged["merges"][0]["transactions"], 2);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_file).unwrap()).unwrap();
    assert_eq!(written, merged, "-o writes the report printed");
    assert_eq!(
        rfm_ids(db),
        ["C1", "C4"],
        "the duplicates' purchases are the survivors'"
    );

    // Merging the same file again fails whole: the duplicates are gone.
    fails(
        &["merge", "--db", db, "--groups", &arg(&file)],
        1,
        "nothing was merged",
    );

    // A later import naming a merged id goes to the survivor.
    let later = dir.join("later.csv");
    std::fs::write(
        &later,
        "transaction_id,customer_id,timestamp,amount\nT9,C2,2024-06-01,4.00\n",
    )
    .unwrap();
    let imported = json(&["import", "--db", db, "transactions", &arg(&later), "--json"]);
    assert_eq!(imported["inserted"], 1);
    assert_eq!(
        imported["customers_created"], 0,
        "the merged customer is not created again"
    );
    assert_eq!(rfm_ids(db), ["C1", "C4"]);
    let again = dir.join("again.csv");
    std::fs::write(&again, "customer_id,name\nC2,Ann Lee\nC6,Di Dunn\n").unwrap();
    let imported = json(&["import", "--db", db, "customers", &arg(&again), "--json"]);
    assert_eq!(
        (imported["inserted"].clone(), imported["skipped"].clone()),
        (1.into(), 1.into()),
        "a merged customer's row is skipped: {imported}"
    );
    let found = json(&["dedupe", "--db", db, "--json"]);
    assert_eq!(found["customers"], 4, "C1, C4, C5, C6");
    assert_eq!(found["groups"].as_array().unwrap().len(), 0);
}

#[test]
fn dedupe_lists_groups_and_merge_applies_them() {
    let (dir, db) = sqlite();
    dedupe_then_merge(dir.path(), &db);
    // Erasing a survivor erases the ids merged into it.
    let erased = json(&["erase", "--db", &db, "--customer", "C1", "--json"]);
    assert_eq!(erased["merged_ids"], 1);
    assert_eq!(erased["transactions"]["deleted"], 4);
}

#[test]
fn merge_auto_merges_every_group_found() {
    let (_dir, db) = sqlite();
    let merged = json(&["merge", "--db", &db, "--auto", "--json"]);
    assert_eq!(merged["groups"], 2);
    let text = crm(&["merge", "--db", &db, "--auto"]);
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("no duplicate groups to merge"),
        "a second run finds nothing"
    );
    // A threshold nobody reaches merges nothing.
    let (_dir, db) = sqlite();
    let merged = json(&[
        "merge",
        "--db",
        &db,
        "--auto",
        "--threshold",
        "1000",
        "--json",
    ]);
    assert_eq!(merged["groups"], 0);
}

#[test]
fn a_stale_or_wrong_groups_file_merges_nothing() {
    let (dir, db) = sqlite();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        arg(&path)
    };
    let header = "group,survivor_id,customer_id,version,score,evidence\n";
    // The second group names a version that is not stored: neither group is merged.
    let stale = write(
        "stale.csv",
        &format!("{header}1,C1,C1,1,,\n1,C1,C2,1,,\n2,C4,C4,1,,\n2,C4,C3,7,,\n"),
    );
    fails(
        &["merge", "--db", &db, "--groups", &stale],
        1,
        "customer C3: expected version 7",
    );
    // An unknown customer, without versions.
    let unknown = write(
        "unknown.csv",
        "group,survivor_id,customer_id\n1,C1,C1\n1,C1,C2\n2,C4,C4\n2,C4,NOBODY\n",
    );
    fails(
        &["merge", "--db", &db, "--groups", &unknown],
        1,
        "customer NOBODY: not found",
    );
    assert_eq!(rfm_ids(&db), ["C1", "C2", "C4"], "nothing was merged");

    let bad = write("bad.csv", "group,customer_id\n1,C1\n");
    fails(&["merge", "--db", &db, "--groups", &bad], 3, "survivor_id");
    let bad = write("bad.csv", &format!("{header}1,C1,C1,x,,\n1,C1,C2,1,,\n"));
    let e = fails(&["merge", "--db", &db, "--groups", &bad], 3, "version");
    assert!(
        e.contains("line 2, column 4 (version)"),
        "the line is named: {e}"
    );
    let bad = write("bad.csv", &format!("{header}1,C1,C1,1,,\n1,C2,C2,1,,\n"));
    fails(
        &["merge", "--db", &db, "--groups", &bad],
        3,
        "the survivor of group 1",
    );
    let bad = write("bad.csv", &format!("{header}1,C1,C2,1,,\n"));
    fails(
        &["merge", "--db", &db, "--groups", &bad],
        3,
        "for its survivor C1",
    );
    fails(&["merge", "--db", &db], 2, "--groups");
    fails(
        &["merge", "--db", &db, "--groups", &bad, "--auto"],
        2,
        "cannot be used",
    );
    fails(&["dedupe", "--db", &db, "--threshold", "nan"], 2, "finite");
    assert_eq!(rfm_ids(&db), ["C1", "C2", "C4"], "nothing was merged");
}

/// Drops a test's schema through `psql` (may be absent).
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
fn dedupe_and_merge_on_postgres() {
    let Ok(url) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        println!("skipped dedupe_and_merge_on_postgres: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("crm_cli_dedupe_{}", std::process::id());
    let db = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &db);
    let result = std::panic::catch_unwind(|| dedupe_then_merge(dir.path(), &db));
    drop_schema(&url, &schema);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
