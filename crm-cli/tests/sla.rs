//! `crm sla`: the fixture's service levels worked out by hand, file against database, and
//! refused input.

mod common;

use common::{arg, crm, fixture_arg, json, stderr, stdout};

#[test]
fn the_fixture_levels_are_the_ones_worked_out_by_hand() {
    // As of 2024-02-10: t1 (high) answered in 1 h of 4 and solved in 24 h of 24; t2
    // (normal) answered in 1.5 h of 8 but open for over 9 days of a 72-hour target; t3
    // (urgent) unanswered for 7 days of a 1-hour target.
    let tickets = fixture_arg("tickets.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sla.csv");
    let o = crm(&[
        "sla",
        "--tickets",
        &tickets,
        "--as-of",
        "2024-02-10",
        "--output",
        &arg(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("3 tickets, 33.3% within both targets (2 breached)"),
        "{text}"
    );
    assert!(text.contains("median first response 1.2 h"), "{text}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[1],
        "t1,high,incident,agent-1,14400,3600,false,86400,86400,false,false"
    );
    assert!(lines[2].starts_with("t2,normal,question,agent-2,28800,5400,false,259200,"));
    assert!(lines[2].ends_with(",true,true"), "{}", lines[2]);
    assert!(
        lines[3].starts_with("t3,urgent,complaint,,3600,604800,true,"),
        "{}",
        lines[3]
    );

    let from_file = json(&[
        "sla",
        "--tickets",
        &tickets,
        "--as-of",
        "2024-02-10",
        "--json",
    ]);
    assert_eq!(from_file["sla"]["overall"]["breached"], 2);
    assert_eq!(from_file["sla"]["by_priority"]["urgent"]["breached"], 1);
    assert_eq!(from_file["sla"]["by_agent"]["agent-1"]["breached"], 0);

    let db = arg(&dir.path().join("crm.db"));
    let o = crm(&["import", "tickets", &tickets, "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_db = json(&["sla", "--db", &db, "--as-of", "2024-02-10", "--json"]);
    assert_eq!(from_db, from_file);
}

#[test]
fn bad_tickets_and_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ticket_id,customer_id,created_at,status,priority,category\nt1,c1,2024-13-01,open,high,question\n",
    )
    .unwrap();
    let o = crm(&["sla", "--tickets", &arg(&bad)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.csv, line 2"), "{}", stderr(&o));
    let o = crm(&[
        "sla",
        "--tickets",
        &fixture_arg("tickets.csv"),
        "--as-of",
        "soon",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = crm(&["sla"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
