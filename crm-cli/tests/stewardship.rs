//! `crm erase`, `crm reassign` and `crm completions`: good input, each class of bad input,
//! text and `--json`.

mod common;

use std::path::Path;

use common::{arg, crm, fails, json, stderr, stdout};

/// A database with two customers owned by alice, their transactions, an open and a won
/// deal and an open and a closed ticket; returns its directory and path.
fn database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        arg(&path)
    };
    let customers = write(
        "customers.csv",
        "customer_id,name,owner\nC1,Ann,alice\nC2,Bo,alice\nC3,Cy,carol\n",
    );
    let transactions = write(
        "transactions.csv",
        "customer_id,timestamp,amount\nC1,2024-01-05,10.00\nC1,2024-02-05,20.00\n\
         C2,2024-01-07,5.00\nC3,2024-03-01,7.00\n",
    );
    let deals = write(
        "deals.csv",
        "deal_id,customer_id,amount,stage,created_at,owner,closed_at\n\
         D1,C1,100,proposal,2024-01-01,alice,\nD2,C1,50,won,2024-01-01,alice,2024-02-01\n",
    );
    let tickets = write(
        "tickets.csv",
        "ticket_id,customer_id,created_at,status,priority,category,assignee,first_response_at,solved_at,closed_at\n\
         T1,C1,2024-01-02,open,normal,question,alice,,,\n\
         T2,C2,2024-01-03,closed,normal,question,alice,2024-01-03,2024-01-04,2024-01-05\n",
    );
    for (kind, file) in [
        ("customers", &customers),
        ("transactions", &transactions),
        ("deals", &deals),
        ("tickets", &tickets),
    ] {
        let o = crm(&["import", "--db", &db, kind, file, "--json"]);
        assert!(o.status.success(), "import {kind}: {}", common::stderr(&o));
    }
    (dir, db)
}

fn rfm_customers(db: &str) -> serde_json::Value {
    json(&["rfm", "--db", db, "--json"])["customers"].clone()
}

#[test]
fn erasing_deletes_every_record_of_the_customer() {
    let (_dir, db) = database();
    let report = json(&["erase", "--db", &db, "--customer", "C1", "--json"]);
    assert_eq!(report["customer"], "C1");
    assert_eq!(report["pseudonym"], serde_json::Value::Null);
    assert_eq!(report["transactions"]["deleted"], 2);
    assert_eq!(report["deals"]["deleted"], 2);
    assert_eq!(report["tickets"]["deleted"], 1);
    assert_eq!(report["transactions"]["anonymized"], 0);
    assert_eq!(rfm_customers(&db), 2, "C2 and C3 remain");
    // The report written with -o is the one printed.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("erasure.json");
    let printed = json(&[
        "erase",
        "--db",
        &db,
        "--customer",
        "C2",
        "--json",
        "-o",
        out.to_str().unwrap(),
    ]);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written, printed);
    assert_eq!(written["customer"], "C2");
    assert!(written["loyalty_events"].is_object(), "{written}");
    // Erasing again: the customer is gone.
    fails(
        &["erase", "--db", &db, "--customer", "C1"],
        1,
        "erasing customer C1",
    );
}

#[test]
fn erasing_with_kept_records_moves_them_to_the_pseudonym() {
    let (dir, db) = database();
    let o = crm(&[
        "erase",
        "--db",
        &db,
        "--customer",
        "C2",
        "--keep-anonymized",
        "--pseudonym",
        "ERASED-1",
    ]);
    let text = stdout(&o);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(text.contains("erased customer C2"), "{text}");
    assert!(text.contains("under customer ERASED-1"), "{text}");
    let out = dir.path().join("rfm.csv");
    let o = crm(&["rfm", "--db", &db, "--output", &arg(&out)]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let table = std::fs::read_to_string(&out).unwrap();
    assert!(table.contains("ERASED-1"), "{table}");
    assert!(!table.lines().any(|l| l.starts_with("C2,")), "{table}");
    assert_eq!(rfm_customers(&db), 3, "the purchases still count");
    // Without --pseudonym a random one is made.
    let report = json(&[
        "erase",
        "--db",
        &db,
        "--customer",
        "C3",
        "--keep-anonymized",
        "--json",
    ]);
    assert_eq!(report["transactions"]["anonymized"], 1);
    let pseudonym = report["pseudonym"].as_str().unwrap();
    assert_eq!(uuid_len(pseudonym), 36, "{pseudonym}");
}

fn uuid_len(text: &str) -> usize {
    text.parse::<uuid::Uuid>().map(|_| text.len()).unwrap_or(0)
}

#[test]
fn erase_refuses_bad_arguments() {
    let (dir, db) = database();
    fails(
        &["erase", "--db", &db, "--customer", "nobody"],
        1,
        "erasing customer nobody",
    );
    fails(
        &["erase", "--db", &db, "--customer", "C1", "--pseudonym", "X"],
        2,
        "--keep-anonymized",
    );
    fails(
        &[
            "erase",
            "--db",
            &db,
            "--customer",
            "C1",
            "--keep-anonymized",
            "--pseudonym",
            "C1",
        ],
        2,
        "must differ",
    );
    fails(&["erase", "--db", &db, "--customer", ""], 2, "--customer");
    let absent = arg(&dir.path().join("absent.db"));
    fails(
        &["erase", "--db", &absent, "--customer", "C1"],
        1,
        "no such database file",
    );
    assert!(!Path::new(&absent).exists(), "no database is created");
    assert_eq!(rfm_customers(&db), 3, "nothing was erased");
}

#[test]
fn reassigning_moves_customers_open_deals_and_open_tickets() {
    let (_dir, db) = database();
    let report = json(&[
        "reassign", "--db", &db, "--from", "alice", "--to", "bob", "--json",
    ]);
    assert_eq!(report["customers"], 2);
    assert_eq!(report["deals"], 1, "the won deal keeps its owner");
    assert_eq!(report["tickets"], 1, "the closed ticket keeps its assignee");
    let o = crm(&["reassign", "--db", &db, "--from", "alice", "--to", "bob"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).trim(),
        "reassigned from alice to bob: 0 customers, 0 open deals, 0 open tickets"
    );
    let back = json(&[
        "reassign", "--db", &db, "--from", "bob", "--to", "alice", "--json",
    ]);
    assert_eq!(
        (&back["customers"], &back["deals"], &back["tickets"]),
        (&2.into(), &1.into(), &1.into())
    );
}

#[test]
fn reassign_refuses_bad_arguments() {
    let (dir, db) = database();
    fails(
        &["reassign", "--db", &db, "--from", "alice", "--to", "alice"],
        2,
        "same owner",
    );
    fails(
        &["reassign", "--db", &db, "--from", "", "--to", "bob"],
        2,
        "--from",
    );
    fails(&["reassign", "--db", &db, "--from", "alice"], 2, "--to");
    let absent = arg(&dir.path().join("absent.db"));
    fails(
        &[
            "reassign", "--db", &absent, "--from", "alice", "--to", "bob",
        ],
        1,
        "no such database file",
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, mark) in [
        ("bash", "_crm()"),
        ("zsh", "#compdef crm"),
        ("fish", "complete -c crm"),
    ] {
        let o = crm(&["completions", shell]);
        assert!(o.status.success());
        let script = stdout(&o);
        assert!(script.contains(mark), "{shell}: {}", &script[..200]);
        assert!(script.contains("reassign"), "{shell} knows every command");
    }
    fails(&["completions", "cmd"], 2, "invalid value");
}

#[test]
fn completions_and_import_reports_can_be_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("crm.bash");
    let o = crm(&["completions", "bash", "-o", script.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let text = std::fs::read_to_string(&script).unwrap();
    assert_eq!(text, stdout(&crm(&["completions", "bash"])));
    assert!(text.contains("followups"), "every command completes");

    let db = dir.path().join("crm.db");
    let report = dir.path().join("import.json");
    let printed = json(&[
        "import",
        "transactions",
        &common::fixture_arg("transactions.csv"),
        "--db",
        db.to_str().unwrap(),
        "--json",
        "-o",
        report.to_str().unwrap(),
    ]);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written, printed);
    assert_eq!(written["inserted"], 9);
}
