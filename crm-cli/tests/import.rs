//! `crm import` into a SQLite database, and the analyses reading `--db` instead of a file:
//! idempotent re-imports, all-or-nothing on a bad row, the same results as from the file.

mod common;

use common::{arg, crm, fails, fixture_arg, json, stderr, stdout};

/// A fresh directory and the path of a database file in it.
fn database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    (dir, db)
}

fn import(db: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["import", "--db", db];
    all.extend_from_slice(args);
    all.push("--json");
    json(&all)
}

#[test]
fn importing_twice_adds_nothing_the_second_time() {
    let (_dir, db) = database();
    let cdnow = fixture_arg("CDNOW_sample.txt");
    let first = import(&db, &["transactions", &cdnow, "--format", "cdnow"]);
    assert_eq!(first["rows"], 6919);
    // Identical purchases (same customer, day, CDs and dollars) stay distinct purchases.
    assert_eq!(first["inserted"], 6919);
    assert_eq!(first["skipped"], 0);
    assert_eq!(first["customers_created"], 2357);
    let second = import(&db, &["transactions", &cdnow, "--format", "cdnow"]);
    assert_eq!(second["rows"], 6919);
    assert_eq!(second["inserted"], 0);
    assert_eq!(second["skipped"], 6919);
    assert_eq!(second["customers_created"], 0);
    // The database holds each purchase once: the same RFM summary as the file.
    let from_db = json(&["rfm", "--db", &db, "--json"]);
    let from_file = json(&[
        "rfm",
        "--transactions",
        &cdnow,
        "--format",
        "cdnow",
        "--json",
    ]);
    assert_eq!(from_db, from_file);
    assert_eq!(from_db["transactions"], 6919);
}

#[test]
fn a_bad_last_row_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("crm.db");
    let db = arg(&db_path);
    let bad = fixture_arg("bad/bad_last_row.csv");
    // Into a new database: no database file is created.
    let o = crm(&["import", "--db", &db, "transactions", &bad]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("bad_last_row.csv, line 5, column 3 (amount): expected a decimal number such as 12.50, found \"1O.00\""),
        "{e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(o.stdout.is_empty());
    assert!(!db_path.exists(), "nothing written");
    // Into an existing database: its content is unchanged.
    import(&db, &["transactions", &fixture_arg("transactions.csv")]);
    let before = json(&["rfm", "--db", &db, "--as-of", "2024-04-01", "--json"]);
    let o = crm(&["import", "--db", &db, "transactions", &bad]);
    assert_eq!(o.status.code(), Some(3));
    let after = json(&["rfm", "--db", &db, "--as-of", "2024-04-01", "--json"]);
    assert_eq!(before, after);
    assert_eq!(after["transactions"], 9);
    assert_eq!(after["customers"], 5);
}

#[test]
fn rfm_and_abc_from_the_database_match_the_file() {
    let (dir, db) = database();
    let tx = fixture_arg("transactions.csv");
    let r = import(&db, &["transactions", &tx]);
    assert_eq!(
        (r["inserted"].as_u64(), r["customers_created"].as_u64()),
        (Some(9), Some(5))
    );
    for (cmd, extra) in [
        ("rfm", vec!["--as-of", "2024-04-01"]),
        ("abc", vec!["--mode", "rank"]),
    ] {
        let out_db = dir.path().join(format!("{cmd}-db.csv"));
        let out_file = dir.path().join(format!("{cmd}-file.csv"));
        let mut a = vec![cmd, "--db", &db, "--output", out_db.to_str().unwrap()];
        a.extend(&extra);
        let o = crm(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut b = vec![
            cmd,
            "--transactions",
            &tx,
            "--output",
            out_file.to_str().unwrap(),
        ];
        b.extend(&extra);
        let o2 = crm(&b);
        assert!(o2.status.success(), "{}", stderr(&o2));
        assert_eq!(stdout(&o), stdout(&o2));
        let (t1, t2) = (
            std::fs::read_to_string(&out_db).unwrap(),
            std::fs::read_to_string(&out_file).unwrap(),
        );
        assert_eq!(t1, t2, "{cmd} table from the database and from the file");
        assert_eq!(t1.lines().count(), 6);
    }
}

#[test]
fn surveys_from_the_database_match_the_file() {
    let (_dir, db) = database();
    let r = import(&db, &["responses", &fixture_arg("nps.csv")]);
    assert_eq!(r["inserted"], 8);
    let r = import(
        &db,
        &["responses", &fixture_arg("csat.csv"), "--survey", "csat"],
    );
    assert_eq!(r["inserted"], 5);
    let r = import(
        &db,
        &["responses", &fixture_arg("ces.csv"), "--survey", "ces"],
    );
    assert_eq!(r["inserted"], 4);
    // Each command reads only its own survey from the shared database, groups included.
    for (cmd, file, by) in [
        ("nps", "nps.csv", "group"),
        ("nps", "nps.csv", "week"),
        ("csat", "csat.csv", "group"),
        ("ces", "ces.csv", "month"),
    ] {
        let a = json(&[cmd, "--db", &db, "--json", "--by", by]);
        let b = json(&[cmd, "--responses", &fixture_arg(file), "--json", "--by", by]);
        assert_eq!(a, b, "{cmd} --by {by}");
    }
    let v = json(&["nps", "--db", &db, "--json"]);
    assert_eq!(v["score"], 25.0);
    assert_eq!(v["promoters"], 4);
    // Re-importing adds nothing.
    let r = import(&db, &["responses", &fixture_arg("nps.csv")]);
    assert_eq!(
        (r["inserted"].as_u64(), r["skipped"].as_u64()),
        (Some(0), Some(8))
    );
}

#[test]
fn a_reused_response_id_with_other_content_is_refused() {
    let (dir, db) = database();
    import(&db, &["responses", &fixture_arg("nps.csv")]);
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        "response_id,customer_id,timestamp,score\nr100,c1,2024-02-01,4\nr2,c2,2024-02-02,5\n",
    )
    .unwrap();
    let o = crm(&[
        "import",
        "--db",
        &db,
        "responses",
        other.to_str().unwrap(),
        "--survey",
        "csat",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("other.csv, line 3 (response_id)"), "{e}");
    assert!(e.contains("found \"r2\""), "{e}");
    // Nothing of the file was written: r100 is not there, the CSAT survey is empty.
    let o = crm(&["csat", "--db", &db, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["n"], 0);
}

#[test]
fn customers_import_first_then_their_transactions() {
    let (dir, db) = database();
    let r = import(&db, &["customers", &fixture_arg("customers.csv")]);
    assert_eq!(
        (r["rows"].as_u64(), r["inserted"].as_u64()),
        (Some(3), Some(3))
    );
    let r = import(&db, &["customers", &fixture_arg("customers.csv")]);
    assert_eq!(
        (r["inserted"].as_u64(), r["skipped"].as_u64()),
        (Some(0), Some(3))
    );
    // alice, bob and carol exist; dave and erin are created for their transactions.
    let r = import(&db, &["transactions", &fixture_arg("transactions.csv")]);
    assert_eq!(r["customers_created"], 2);
    let bad = dir.path().join("customers.csv");
    std::fs::write(&bad, "customer_id,name,email\nzed,Zed,not-an-address\n").unwrap();
    fails(
        &["import", "--db", &db, "customers", bad.to_str().unwrap()],
        3,
        "customers.csv, line 2 (email): expected a valid email",
    );
}

#[test]
fn churn_and_clv_read_the_database() {
    let (dir, db) = database();
    let cdnow = fixture_arg("CDNOW_sample.txt");
    import(&db, &["transactions", &cdnow, "--format", "cdnow"]);
    let args = ["--calibration-end", "1997-09-30", "--json"];
    let mut a = vec!["churn", "fit", "--db", &db];
    a.extend(args);
    let mut b = vec![
        "churn",
        "fit",
        "--transactions",
        &cdnow,
        "--format",
        "cdnow",
    ];
    b.extend(args);
    let (x, y) = (json(&a), json(&b));
    assert_eq!(x, y);
    assert_eq!(x["model"], "bgnbd");
    assert_eq!(x["n_customers"], 2357);
    let mut a = vec!["clv", "fit", "--db", &db];
    a.extend(args);
    let mut b = vec!["clv", "fit", "--transactions", &cdnow, "--format", "cdnow"];
    b.extend(args);
    assert_eq!(json(&a), json(&b));
    fails(
        &["rfm", "--db", &arg(&dir.path().join("missing.db"))],
        1,
        "no such database file",
    );
}

#[test]
fn responses_without_ids_are_imported_once() {
    let (dir, db) = database();
    let f = dir.path().join("answers.csv");
    // Two identical answers stay two answers.
    std::fs::write(
        &f,
        "response_id,customer_id,timestamp,score\n,c1,2024-01-01,9\n,c1,2024-01-01,9\n,c2,2024-01-02,3\n",
    )
    .unwrap();
    let f = arg(&f);
    let r = import(&db, &["responses", &f]);
    assert_eq!(
        (r["inserted"].as_u64(), r["skipped"].as_u64()),
        (Some(3), Some(0))
    );
    let r = import(&db, &["responses", &f]);
    assert_eq!(
        (r["inserted"].as_u64(), r["skipped"].as_u64()),
        (Some(0), Some(3))
    );
    let v = json(&["nps", "--db", &db, "--json"]);
    assert_eq!(
        (v["n"].as_u64(), v["promoters"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(v, json(&["nps", "--responses", &f, "--json"]));
}

/// A transaction CSV of `rows` rows of 500 customers, with `bad` (1-based data row) holding
/// an amount that is not a number.
fn long_file(dir: &std::path::Path, rows: usize, bad: Option<usize>) -> String {
    use std::fmt::Write;
    let mut text = String::from("customer_id,timestamp,amount\n");
    for i in 1..=rows {
        let amount = if Some(i) == bad {
            "ten".to_string()
        } else {
            format!("{}.{:02}", i % 97, i % 100)
        };
        let _ = writeln!(
            text,
            "L{:03},2024-{:02}-{:02}T{:02}:{:02}:00Z,{amount}",
            i % 500,
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 60
        );
    }
    let path = dir.join(format!("long-{rows}-{bad:?}.csv"));
    std::fs::write(&path, text).unwrap();
    arg(&path)
}

#[test]
fn a_bad_row_after_many_chunks_rolls_back_every_chunk() {
    let (dir, db) = database();
    let cdnow = fixture_arg("CDNOW_sample.txt");
    import(&db, &["transactions", &cdnow, "--format", "cdnow"]);
    let before = json(&["rfm", "--db", &db, "--json"]);
    // Three chunks of the import session go in before the bad row is read.
    let bad = long_file(dir.path(), 65_000, Some(61_234));
    let o = crm(&["import", "--db", &db, "transactions", &bad]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("line 61235, column 3 (amount)"), "{e}");
    assert_eq!(
        json(&["rfm", "--db", &db, "--json"]),
        before,
        "nothing of the failed import is stored, customers included"
    );
    // The same file without the bad row goes in whole, and once.
    let good = long_file(dir.path(), 65_000, None);
    let r = import(&db, &["transactions", &good]);
    assert_eq!(
        (r["inserted"].as_u64(), r["customers_created"].as_u64()),
        (Some(65_000), Some(500))
    );
    let after = json(&["rfm", "--db", &db, "--json"]);
    assert_eq!(after["transactions"], 6919 + 65_000);
    let again = import(&db, &["transactions", &good]);
    assert_eq!(
        (again["inserted"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(65_000))
    );
}

#[test]
fn standard_input_is_imported_as_a_stream() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let (dir, db) = database();
    let file = long_file(dir.path(), 30_000, None);
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(["import", "--db", &db, "transactions", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes).unwrap());
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (r["rows"].as_u64(), r["inserted"].as_u64()),
        (Some(30_000), Some(30_000))
    );
    // The same rows from the file are the same records.
    let again = import(&db, &["transactions", &file]);
    assert_eq!(again["skipped"], 30_000);
}

/// `crm import` killed in the middle of a file leaves neither transactions nor the
/// customers it created for them: both belong to the import's one database transaction.
#[cfg(unix)]
#[test]
fn an_import_killed_midway_leaves_no_customer_behind() {
    use std::fmt::Write as _;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let (dir, db) = database();
    let mut text = String::from("customer_id,timestamp,amount\n");
    for i in 0..400_000u32 {
        let _ = writeln!(
            text,
            "K{:06},2024-{:02}-{:02},{}.{:02}",
            i % 200_000,
            1 + i % 12,
            1 + i % 28,
            i % 90,
            i % 100
        );
    }
    let file = dir.path().join("many.csv");
    std::fs::write(&file, text).unwrap();
    let wal = std::path::PathBuf::from(format!("{db}-wal"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(["import", "--db", &db, "transactions", &arg(&file)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once the import has written several MiB of its transaction to the log.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let written = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if written > 8 << 20 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed: the test proves nothing"
        );
        assert!(Instant::now() < deadline, "the import never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished");

    let count = |table: &str| -> i64 {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .read_only(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            let n: i64 =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            n
        })
    };
    assert_eq!(count("transactions"), 0);
    assert_eq!(
        count("customers"),
        0,
        "no customer of the killed import is left"
    );

    // Imported again, the file goes in whole.
    let r = import(&db, &["transactions", &arg(&file)]);
    assert_eq!(
        (r["inserted"].as_u64(), r["customers_created"].as_u64()),
        (Some(400_000), Some(200_000))
    );
}
