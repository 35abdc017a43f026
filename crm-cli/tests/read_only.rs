//! Analyses read a database without changing it: another application's SQLite file or an
//! empty one is refused and left byte for byte as it was, a store written by an earlier
//! version is refused until `crm upgrade` upgrades it, and reading a store leaves nothing
//! behind.

mod common;

use std::path::Path;

use common::{arg, crm, stderr, stdout};

/// Every file in `dir` with its length and the offsets of its non-zero bytes' sum (a
/// cheap fingerprint that moves with any change of content), for short messages.
fn files(dir: &Path) -> Vec<(String, usize, u64)> {
    let mut out: Vec<(String, usize, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            let print = bytes.iter().enumerate().fold(0u64, |h, (i, &b)| {
                h.wrapping_mul(1_000_003)
                    .wrapping_add((i as u64) ^ u64::from(b))
            });
            (
                e.file_name().to_string_lossy().into_owned(),
                bytes.len(),
                print,
            )
        })
        .collect();
    out.sort();
    out
}

/// Every command that reads `--db`, with the arguments it needs besides.
fn readers(db: &str, out: &str) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        s(&["rfm", "--db", db]),
        s(&["abc", "--db", db]),
        s(&["tiers", "--db", db]),
        s(&[
            "migration",
            "--db",
            db,
            "--from",
            "2024-01-15",
            "--to",
            "2024-02-15",
        ]),
        s(&[
            "churn",
            "fit",
            "--db",
            db,
            "--calibration-end",
            "2024-03-01",
        ]),
        s(&["nps", "--db", db]),
        s(&["funnel", "--db", db]),
        s(&["report", "--db", db, "--out", out]),
    ]
}

/// A store holding a few transactions, written by `crm import`.
fn store(dir: &Path) -> String {
    let csv = dir.join("tx.csv");
    std::fs::write(
        &csv,
        "customer_id,timestamp,amount\na,2024-01-01,10\nb,2024-02-01,5\na,2024-02-10,7.5\n",
    )
    .unwrap();
    let db = arg(&dir.join("crm.db"));
    let o = crm(&["import", "transactions", &arg(&csv), "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&csv).unwrap();
    db
}

fn assert_refused_untouched(dir: &Path, db: &str, message: &str) {
    let before = files(dir);
    let out = arg(&dir.join("report-out"));
    for args in readers(db, &out) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = crm(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(e.contains(message), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        assert_eq!(files(dir), before, "{args:?} changed the directory");
    }
}

#[test]
fn another_applications_database_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    assert_refused_untouched(dir.path(), &arg(&path), "not a CRM database");
}

#[test]
fn an_empty_file_is_refused_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    assert_refused_untouched(dir.path(), &arg(&path), "not a CRM database");
    let o = crm(&["upgrade", "--db", &arg(&path)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(std::fs::read(&path).unwrap(), b"");
}

#[test]
fn reading_a_store_changes_nothing_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(dir.path());
    let before = files(dir.path());
    let out = dir.path().join("report-out");
    for args in readers(&db, &arg(&out)) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = crm(&args);
        // Some analyses have too little data here; none may write to the database.
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
        let _ = std::fs::remove_dir_all(&out);
        assert_eq!(files(dir.path()), before, "{args:?} changed the directory");
    }
    let o = crm(&["rfm", "--db", &db, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn an_earlier_schema_is_refused_until_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let migrator = &crm_storage_sql::MIGRATOR;
    let first = migrator.iter().next().unwrap().version;
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        migrator.run_to(first, &pool).await.unwrap();
        pool.close().await;
    });
    let db = arg(&path);
    assert_refused_untouched(dir.path(), &db, "crm upgrade --db");

    let o = crm(&["upgrade", "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    let total = migrator.iter().count();
    assert!(
        stdout(&o).contains(&format!("upgraded in place from schema 1 to {total}")),
        "{}",
        stdout(&o)
    );
    let o = crm(&["rfm", "--db", &db]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crm(&["upgrade", "--db", &db, "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["before"], json["after"]);
}
