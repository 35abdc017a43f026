//! `crm import`, `crm rfm`, `crm nps` and `crm report` on a PostgreSQL database given as a
//! `postgres://` URL to `--db`: the same answers as from the files. Runs when
//! `CRM_TEST_POSTGRES_URL` names a server; otherwise prints one line and passes.

mod common;

use std::process::Command;

use common::{crm, fixture, json, stderr};

/// The server's URL and a schema of this test's own, or `None` (skipped) without a server.
fn server(test: &str) -> Option<(String, String)> {
    let Ok(url) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        println!("skipped {test}: CRM_TEST_POSTGRES_URL is not set");
        return None;
    };
    let schema = format!("crm_cli_{test}_{}", std::process::id());
    Some((url, schema))
}

/// Drops the test's schema through the store's own server (`psql` may be absent).
fn drop_schema(url: &str, schema: &str) {
    // The store keeps everything in its schema; dropping it leaves the database as it was.
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
fn imports_and_analyses_on_postgres_equal_those_on_files() {
    let Some((url, schema)) = server("analyses") else {
        return;
    };
    let db = format!("{url}?schema={schema}");
    let cdnow = fixture("CDNOW_sample.txt");
    let cdnow = cdnow.to_str().unwrap();
    let import = || {
        json(&[
            "import",
            "--db",
            &db,
            "transactions",
            cdnow,
            "--format",
            "cdnow",
            "--json",
        ])
    };
    let first = import();
    assert_eq!(first["inserted"], 6919);
    assert_eq!(first["customers_created"], 2357);
    let again = import();
    assert_eq!(
        (again["inserted"].clone(), again["skipped"].clone()),
        (0.into(), 6919.into())
    );

    let from_db = json(&["rfm", "--db", &db, "--json"]);
    let from_file = json(&[
        "rfm",
        "--transactions",
        cdnow,
        "--format",
        "cdnow",
        "--json",
    ]);
    assert_eq!(from_db, from_file);

    let fit_db = json(&["churn", "fit", "--db", &db, "--json"]);
    let fit_file = json(&[
        "churn",
        "fit",
        "--transactions",
        cdnow,
        "--format",
        "cdnow",
        "--json",
    ]);
    assert_eq!(fit_db["params"], fit_file["params"]);

    let out = tempfile::tempdir().unwrap();
    let o = crm(&[
        "report",
        "--db",
        &db,
        "--out",
        out.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.path().join("report.html").exists());
    drop_schema(&url, &schema);
}

#[test]
fn an_unreachable_server_is_a_storage_error() {
    if server("unreachable").is_none() {
        return;
    }
    // Nothing listens on port 1 of the loopback address.
    let o = crm(&[
        "rfm",
        "--db",
        "postgres://postgres@127.0.0.1:1/test",
        "--json",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("database"), "{}", stderr(&o));
}
