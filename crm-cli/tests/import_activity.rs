//! `crm import interactions|tickets|deals`: good files, idempotent re-imports, and every
//! class of bad input named by file, line, column and field with nothing written.

mod common;

use common::{arg, crm, fixture_arg, json, stderr};

fn import(db: &str, kind: &str, file: &str) -> serde_json::Value {
    json(&["import", "--db", db, kind, file, "--json"])
}

/// Runs a failing import of `content` (written to `name`) into a fresh database: exit
/// status 3, one line naming the place, and no database file.
fn refused(kind: &str, name: &str, content: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, content).unwrap();
    let db = dir.path().join("crm.db");
    let o = crm(&["import", "--db", &arg(&db), kind, &arg(&file)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
    assert!(e.contains(name), "names the file: {e}");
    assert!(!db.exists(), "nothing written");
    e
}

/// A fresh database path in a temporary directory.
fn database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    (dir, db)
}

fn check_twice(kind: &str, fixture: &str, rows: u64, customers: u64) {
    let (_dir, db) = database();
    let file = fixture_arg(fixture);
    let first = import(&db, kind, &file);
    assert_eq!(first["kind"], kind);
    assert_eq!(first["rows"], rows);
    assert_eq!(first["inserted"], rows);
    assert_eq!(first["skipped"], 0);
    assert_eq!(first["customers_created"], customers);
    let second = import(&db, kind, &file);
    assert_eq!(second["inserted"], 0, "a re-import adds nothing");
    assert_eq!(second["skipped"], rows);
    assert_eq!(second["customers_created"], 0);
}

#[test]
fn interactions_import_once() {
    // Two identical rows without ids stay two interactions.
    check_twice("interactions", "interactions.csv", 4, 2);
}

#[test]
fn tickets_import_once() {
    check_twice("tickets", "tickets.csv", 3, 3);
}

#[test]
fn deals_import_once() {
    check_twice("deals", "deals.csv", 3, 3);
}

#[test]
fn text_output_names_what_was_imported() {
    let (_dir, db) = database();
    let o = crm(&["import", "--db", &db, "deals", &fixture_arg("deals.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("3 deals read, 3 added, 0 already stored"),
        "{text}"
    );
}

#[test]
fn a_changed_ticket_is_refused_and_nothing_is_written() {
    let (dir, db) = database();
    import(&db, "tickets", &fixture_arg("tickets.csv"));
    let changed = dir.path().join("changed.csv");
    std::fs::write(
        &changed,
        "ticket_id,customer_id,created_at,status,priority,category\n\
         t9,c9,2024-03-01,new,low,question\n\
         t2,c2,2024-02-01T08:00:00Z,solved,normal,question\n",
    )
    .unwrap();
    let o = crm(&["import", "--db", &db, "tickets", &arg(&changed)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 3 (ticket_id)"), "{}", stderr(&o));
    // t9 and its customer were not written either.
    let again = import(&db, "tickets", &fixture_arg("tickets.csv"));
    assert_eq!(again["skipped"], 3);
    let only_new = dir.path().join("new.csv");
    std::fs::write(
        &only_new,
        "ticket_id,customer_id,created_at,status,priority,category
t9,c9,2024-03-01,new,low,question
",
    )
    .unwrap();
    let r = import(&db, "tickets", &arg(&only_new));
    assert_eq!(
        (r["inserted"].as_u64(), r["customers_created"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn missing_columns_are_named() {
    let e = refused(
        "interactions",
        "i.csv",
        "interaction_id,customer_id,timestamp,channel\ni1,c1,2024-01-01,phone\n",
    );
    assert!(
        e.contains("i.csv, line 1: expected a column `direction`"),
        "{e}"
    );
    let e = refused(
        "tickets",
        "t.csv",
        "ticket_id,customer_id,created_at,status,category\nt1,c1,2024-01-01,new,question\n",
    );
    assert!(
        e.contains("t.csv, line 1: expected a column `priority`"),
        "{e}"
    );
    let e = refused(
        "deals",
        "d.csv",
        "deal_id,customer_id,stage,created_at\nd1,c1,won,2024-01-01\n",
    );
    assert!(
        e.contains("d.csv, line 1: expected a column `amount`"),
        "{e}"
    );
}

#[test]
fn unknown_columns_are_refused() {
    let e = refused(
        "deals",
        "d.csv",
        "deal_id,customer_id,amount,stage,created_at,colour\nd1,c1,5,won,2024-01-01,red\n",
    );
    assert!(
        e.contains("d.csv, line 1, column 6 (colour): expected only the columns of the header"),
        "{e}"
    );
}

#[test]
fn bad_times_are_located() {
    let e = refused(
        "interactions",
        "i.csv",
        "interaction_id,customer_id,timestamp,channel,direction\ni1,c1,2024-01-01,phone,inbound\ni2,c1,01/02/2024,phone,inbound\n",
    );
    assert!(
        e.contains("i.csv, line 3, column 3 (timestamp): expected a date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM:SS or an RFC 3339 timestamp, found \"01/02/2024\""),
        "{e}"
    );
    let e = refused(
        "tickets",
        "t.csv",
        "ticket_id,customer_id,created_at,status,priority,category,first_response_at\nt1,c1,2024-01-02,open,low,question,yesterday\n",
    );
    assert!(
        e.contains("t.csv, line 2, column 7 (first_response_at)"),
        "{e}"
    );
    // Times out of order are refused by the record's own rules.
    let e = refused(
        "deals",
        "d.csv",
        "deal_id,customer_id,amount,stage,created_at,closed_at\nd1,c1,5,won,2024-02-01,2024-01-01\n",
    );
    assert!(e.contains("d.csv, line 2 (deal.closed_at)"), "{e}");
}

#[test]
fn bad_names_are_located_with_the_names_allowed() {
    let e = refused(
        "interactions",
        "i.csv",
        "interaction_id,customer_id,timestamp,channel,direction\ni1,c1,2024-01-01,phone,sideways\n",
    );
    assert!(
        e.contains(
            "line 2, column 5 (direction): expected one of inbound, outbound, found \"sideways\""
        ),
        "{e}"
    );
    let e = refused(
        "tickets",
        "t.csv",
        "ticket_id,customer_id,created_at,status,priority,category\nt1,c1,2024-01-01,open,critical,question\n",
    );
    assert!(
        e.contains("line 2, column 5 (priority): expected one of low, normal, high, urgent, found \"critical\""),
        "{e}"
    );
    let e = refused(
        "deals",
        "d.csv",
        "deal_id,customer_id,amount,stage,created_at\nd1,c1,5,closing,2024-01-01\n",
    );
    assert!(
        e.contains("line 2, column 4 (stage): expected one of qualification"),
        "{e}"
    );
}

#[test]
fn bad_amounts_and_missing_ids_are_located() {
    let e = refused(
        "deals",
        "d.csv",
        "deal_id,customer_id,amount,stage,created_at\nd1,c1,12O,won,2024-01-01\n",
    );
    assert!(
        e.contains("line 2, column 3 (amount): expected a decimal number"),
        "{e}"
    );
    let e = refused(
        "tickets",
        "t.csv",
        "ticket_id,customer_id,created_at,status,priority,category\n,c1,2024-01-01,open,low,question\n",
    );
    assert!(
        e.contains("line 2, column 1 (ticket_id): expected a non-empty ticket id"),
        "{e}"
    );
}
