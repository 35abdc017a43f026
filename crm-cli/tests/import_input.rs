//! Input files as people have them: their own column names (`--columns`), another
//! delimiter, times in another layout or zone, phone numbers without a country code,
//! gzip-compressed files and standard input, and `--reject-file` for importing the good
//! rows of a file with bad ones.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{arg, crm, fails, fixture, fixture_arg, json, json_of, stderr};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    arg(&path)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The rows of a query on a SQLite database, every value as text (NULL as "").
fn query(db: &str, sql: &str) -> Vec<Vec<String>> {
    use sqlx::Row;
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(db)
            .read_only(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&pool)
            .await
            .unwrap();
        let out = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<String>, _>(i)
                            .unwrap()
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        pool.close().await;
        out
    })
}

/// `crm import --db DB ARGS --json`, asserting success.
fn import(db: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["import", "--db", db];
    all.extend_from_slice(args);
    all.push("--json");
    json(&all)
}

#[test]
fn mapped_columns_a_delimiter_and_local_times_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    let file = write(
        dir.path(),
        "sales.csv",
        "Date;Client;Total\n01/02/2024 07:30;c1;10.50\n 02/02/2024 12:00 ; c2 ; 5\n15/02/2024 00:15;c1;-2\n",
    );
    let options = [
        "--columns",
        "customer_id=Client,timestamp=Date,amount=Total",
        "--delimiter",
        ";",
        "--date-format",
        "%d/%m/%Y %H:%M",
        "--timezone",
        "Asia/Shanghai",
    ];
    let mut args = vec!["transactions", file.as_str()];
    args.extend(options);
    let r = import(&db, &args);
    assert_eq!(r["rows"], 3);
    assert_eq!(r["inserted"], 3);
    assert_eq!(r["customers_created"], 2);
    assert!(r.get("rejected").is_none(), "{r}");
    let rows = query(
        &db,
        "SELECT customer_id, at, amount FROM transactions ORDER BY at",
    );
    let got: Vec<(String, String, String)> = rows
        .into_iter()
        .map(|r| (r[0].clone(), r[1][..16].to_string(), r[2].clone()))
        .collect();
    // Shanghai is 8 hours ahead of UTC: 07:30 on 1 February is 23:30 on 31 January.
    assert_eq!(
        got,
        [
            ("c1".into(), "2024-01-31T23:30".into(), "10.50".into()),
            ("c2".into(), "2024-02-02T04:00".into(), "5".into()),
            ("c1".into(), "2024-02-14T16:15".into(), "-2".into()),
        ]
    );

    // An analysis reads the file with the same options as the import did.
    let mut rfm = vec!["rfm", "--transactions", file.as_str(), "--json"];
    rfm.extend(options);
    let from_file = json(&rfm);
    let from_db = json(&["rfm", "--db", &db, "--json"]);
    assert_eq!(from_file, from_db);
    assert_eq!(from_file["transactions"], 3);
    assert_eq!(from_file["customers"], 2);
}

#[test]
fn tabs_space_separated_times_and_columns_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = write(
        dir.path(),
        "t.tsv",
        "amount\ttimestamp\tcustomer_id\n10\t2024-03-01 10:00:00\ta\n20\t2024-03-02 23:59:59\tb\n",
    );
    for tab in ["tab", "\\t", "\t"] {
        let db = arg(&dir.path().join(format!("crm-{}.db", tab.len())));
        let r = import(&db, &["transactions", &tsv, "--delimiter", tab]);
        assert_eq!(r["inserted"], 2, "{tab:?}");
        let at = query(&db, "SELECT at FROM transactions ORDER BY at");
        assert!(at[0][0].starts_with("2024-03-01T10:00:00"), "{at:?}");
        assert!(at[1][0].starts_with("2024-03-02T23:59:59"), "{at:?}");
    }
    // Without the delimiter the header is one unknown column.
    fails(
        &["rfm", "--transactions", &tsv],
        3,
        "t.tsv, line 1: expected header `customer_id,timestamp,amount",
    );
}

#[test]
fn gzip_files_and_standard_input_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("transactions.csv")).unwrap();
    // Compressed, whatever the name says.
    let packed = dir.path().join("transactions.data");
    std::fs::write(&packed, gzip(&plain)).unwrap();
    let packed = arg(&packed);
    let expected = json(&[
        "rfm",
        "--transactions",
        &fixture_arg("transactions.csv"),
        "--json",
    ]);
    assert_eq!(expected["transactions"], 9);
    assert_eq!(
        json(&["rfm", "--transactions", &packed, "--json"]),
        expected
    );

    let db = arg(&dir.path().join("crm.db"));
    let r = import(&db, &["transactions", &packed]);
    assert_eq!(
        (r["rows"].as_u64(), r["inserted"].as_u64()),
        (Some(9), Some(9))
    );

    // Standard input, compressed or not, into a second database.
    for (i, bytes) in [gzip(&plain), plain.clone()].into_iter().enumerate() {
        let db2 = arg(&dir.path().join(format!("stdin-{i}.db")));
        let mut child = Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(["import", "--db", &db2, "transactions", "-", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let r = json_of(&o);
        assert_eq!(r["inserted"], 9, "{r}");
        assert_eq!(
            json(&["rfm", "--db", &db2, "--json"]),
            json(&["rfm", "--db", &db, "--json"])
        );
    }

    // A customers file compressed, read by a reader that is not the transaction stream.
    let customers = dir.path().join("customers.csv.gz");
    std::fs::write(
        &customers,
        gzip(b"customer_id,name,email\nalice,Alice,alice@example.com\nbob,Bob,\n"),
    )
    .unwrap();
    let r = import(&db, &["customers", &arg(&customers)]);
    assert_eq!(r["rows"], 2);
    // A file that is not gzip after all is a read error naming it.
    let broken = dir.path().join("broken.csv");
    let mut bytes = gzip(&plain);
    bytes.truncate(20);
    std::fs::write(&broken, bytes).unwrap();
    fails(&["rfm", "--transactions", &arg(&broken)], 1, "broken.csv");
}

#[test]
fn phone_numbers_without_a_country_code_take_the_region() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    let file = write(
        dir.path(),
        "c.csv",
        "customer_id,name,phone\nc1,Li Wei,13800138000\nc2,Ann,+44 20 7946 0958\n",
    );
    let e = fails(
        &["import", "--db", &db, "customers", &file],
        3,
        "c.csv, line 2",
    );
    assert!(e.contains("(phone)"), "{e}");
    assert!(!dir.path().join("crm.db").exists(), "nothing written");
    let r = import(&db, &["customers", &file, "--phone-region", "cn"]);
    assert_eq!(r["inserted"], 2);
    let phones = query(&db, "SELECT id, phone FROM customers ORDER BY id");
    assert_eq!(
        phones,
        [
            vec!["c1".to_string(), "+8613800138000".to_string()],
            vec!["c2".to_string(), "+442079460958".to_string()],
        ]
    );
}

#[test]
fn bad_options_are_usage_errors() {
    let tx = fixture_arg("transactions.csv");
    let e = fails(
        &["rfm", "--transactions", &tx, "--columns", "custid=client"],
        2,
        "unknown field \"custid\"",
    );
    assert!(e.contains("customer_id") && e.contains("timestamp"), "{e}");
    fails(
        &["rfm", "--transactions", &tx, "--delimiter", ";;"],
        2,
        "expected one ASCII character",
    );
    fails(
        &["rfm", "--transactions", &tx, "--timezone", "Mars/Olympus"],
        2,
        "IANA time zone",
    );
    fails(
        &["rfm", "--transactions", &tx, "--date-format", "%Q"],
        2,
        "strftime format",
    );
    fails(
        &[
            "import",
            "--db",
            "x.db",
            "customers",
            &tx,
            "--phone-region",
            "XX",
        ],
        2,
        "ISO 3166",
    );
    // Every file-reading command takes them.
    for cmd in [
        vec!["nps", "--responses", "r.csv", "--delimiter", ";", "--help"],
        vec!["sla", "--tickets", "t.csv", "--timezone", "UTC", "--help"],
        vec![
            "churn",
            "fit",
            "--transactions",
            "t.csv",
            "--columns",
            "amount=x",
            "--help",
        ],
        vec![
            "report",
            "--deals",
            "d.csv",
            "--date-format",
            "%d/%m/%Y",
            "--help",
        ],
    ] {
        let o = crm(&cmd);
        assert!(o.status.success(), "{cmd:?}: {}", stderr(&o));
    }
}

#[test]
fn bad_input_under_the_options_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    let tx = fixture_arg("transactions.csv");
    // A mapped header the file lacks.
    fails(
        &[
            "import",
            "--db",
            &db,
            "transactions",
            &tx,
            "--columns",
            "customer_id=client",
        ],
        3,
        "transactions.csv, line 1: expected a column `client` (the file's name for `customer_id` in --columns)",
    );
    // A time not in the --date-format.
    let file = write(
        dir.path(),
        "d.csv",
        "customer_id;timestamp;amount\na;31/01/2024;1\nb;2024-01-31;2\n",
    );
    let o = crm(&[
        "import",
        "--db",
        &db,
        "transactions",
        &file,
        "--delimiter",
        ";",
        "--date-format",
        "%d/%m/%Y",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains(
            "d.csv, line 3, column 2 (timestamp): expected a time in the --date-format `%d/%m/%Y`, found \"2024-01-31\""
        ),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    // A row with too few fields for the delimiter.
    let file = write(
        dir.path(),
        "f.csv",
        "customer_id;timestamp;amount\na;2024-01-01\n",
    );
    fails(
        &[
            "import",
            "--db",
            &db,
            "transactions",
            &file,
            "--delimiter",
            ";",
        ],
        3,
        "f.csv, line 2: expected 3 semicolon-separated fields",
    );
    assert!(!dir.path().join("crm.db").exists(), "nothing written");
}

/// A transaction file with good rows and one bad row of each kind.
const MIXED: &str = "customer_id,timestamp,amount,currency,transaction_id
a,2024-01-01,10,USD,t1
b,2024-13-01,5,USD,t2
c,2024-01-03,x1,USD,t3
d,2024-01-04,7
e,2024-01-05,8,EURO,t5
f,2024-01-06,9,USD,t6
a,2024-01-07,11,USD,t1
 ,2024-01-08,12,USD,t8
g,\"2024-01-09\",13,USD,t9
";

#[test]
fn the_default_stays_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mixed.csv", MIXED);
    let db_path = dir.path().join("crm.db");
    let db = arg(&db_path);
    fails(
        &["import", "--db", &db, "transactions", &file],
        3,
        "mixed.csv, line 3, column 2 (timestamp)",
    );
    assert!(!db_path.exists(), "nothing written");
    // Into an existing database: nothing added.
    import(&db, &["transactions", &fixture_arg("transactions.csv")]);
    fails(&["import", "--db", &db, "transactions", &file], 3, "line 3");
    assert_eq!(query(&db, "SELECT id FROM transactions").len(), 9);
    assert_eq!(json(&["rfm", "--db", &db, "--json"])["transactions"], 9);
}

#[test]
fn a_reject_file_takes_the_bad_rows_and_the_rest_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mixed.csv", MIXED);
    let db = arg(&dir.path().join("crm.db"));
    let rejects = dir.path().join("rejects.csv");
    let r = import(
        &db,
        &["transactions", &file, "--reject-file", &arg(&rejects)],
    );
    assert_eq!(r["rows"], 3, "{r}");
    assert_eq!(r["inserted"], 3);
    assert_eq!(r["rejected"], 6);
    let stored = query(
        &db,
        "SELECT customer_id, amount FROM transactions ORDER BY customer_id",
    );
    assert_eq!(
        stored,
        [
            vec!["a".to_string(), "10".to_string()],
            vec!["f".to_string(), "9".to_string()],
            vec!["g".to_string(), "13".to_string()],
        ]
    );
    let mut reader = csv::Reader::from_path(&rejects).unwrap();
    assert_eq!(reader.headers().unwrap(), vec!["line", "reason", "record"]);
    let rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[2].to_string())
        })
        .collect();
    let lines: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(lines, ["3", "4", "5", "6", "8", "9"]);
    let expect = [
        ("line 3, column 2 (timestamp)", "b,2024-13-01,5,USD,t2"),
        ("line 4, column 3 (amount)", "c,2024-01-03,x1,USD,t3"),
        (
            "line 5: expected 5 comma-separated fields",
            "d,2024-01-04,7",
        ),
        ("line 6, column 4 (currency)", "e,2024-01-05,8,EURO,t5"),
        ("line 8 (transaction_id)", "a,2024-01-07,11,USD,t1"),
        ("line 9, column 1 (customer_id)", " ,2024-01-08,12,USD,t8"),
    ];
    for ((_, reason, record), (why, raw)) in rows.iter().zip(expect) {
        assert!(reason.contains("mixed.csv, "), "{reason}");
        assert!(reason.contains(why), "{reason:?} should contain {why:?}");
        assert_eq!(record, raw);
    }

    // Again: the good rows are stored, the same rows are refused.
    let r = import(
        &db,
        &["transactions", &file, "--reject-file", &arg(&rejects)],
    );
    assert_eq!(
        (r["inserted"].as_u64(), r["skipped"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(r["rejected"], 6);

    // Without --reject-file the JSON has no `rejected`, and a file without bad rows gives
    // a reject file with the header only.
    let db = arg(&dir.path().join("clean.db"));
    let clean = import(&db, &["transactions", &fixture_arg("transactions.csv")]);
    assert!(clean.get("rejected").is_none());
    let r = import(
        &db,
        &[
            "transactions",
            &fixture_arg("transactions.csv"),
            "--reject-file",
            &arg(&rejects),
        ],
    );
    assert_eq!(
        (r["skipped"].as_u64(), r["rejected"].as_u64()),
        (Some(9), Some(0))
    );
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        "line,reason,record\n"
    );
}

#[test]
fn an_unwritable_reject_file_is_refused_before_anything_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mixed.csv", MIXED);
    let db = arg(&dir.path().join("crm.db"));
    let before = write(
        dir.path(),
        "one.csv",
        "customer_id,timestamp,amount\nz,2024-01-01,1\n",
    );
    import(&db, &["transactions", &before]);
    let rejects = dir.path().join("no-such-directory").join("rejects.csv");
    let o = crm(&[
        "import",
        "--db",
        &db,
        "transactions",
        &file,
        "--reject-file",
        &arg(&rejects),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("rejects.csv"), "{}", stderr(&o));
    // Nothing was imported: the good rows of the file are not in the database.
    assert_eq!(json(&["rfm", "--db", &db, "--json"])["transactions"], 1);
    assert!(!rejects.exists());
}

#[test]
fn a_reject_file_for_customers_and_activity_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    let customers = write(
        dir.path(),
        "c.csv",
        "name,customer_id,email\nAnn,c1,ann@example.com\nBob,c2,not-an-email\nCid,c1,cid@example.com\nDee,c4,\n",
    );
    let rejects = dir.path().join("r.csv");
    let r = import(
        &db,
        &["customers", &customers, "--reject-file", &arg(&rejects)],
    );
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(2))
    );
    let ids = query(&db, "SELECT id FROM customers ORDER BY id");
    assert_eq!(ids, [vec!["c1".to_string()], vec!["c4".to_string()]]);
    let text = std::fs::read_to_string(&rejects).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("line,reason,record"));
    let second = lines.next().unwrap();
    assert!(
        second.starts_with("3,") && second.contains("(email)"),
        "{second}"
    );
    assert!(second.ends_with(",\"Bob,c2,not-an-email\""), "{second}");
    let third = lines.next().unwrap();
    assert!(
        third.starts_with("4,") && third.contains("first used on line 2"),
        "{third}"
    );
    assert_eq!(lines.next(), None);

    let tickets = write(
        dir.path(),
        "t.csv",
        "ticket_id,customer_id,created_at,status,priority,category\n\
         t1,c1,2024-01-01,open,high,question\n\
         t2,c2,2024-01-02,opened,high,question\n",
    );
    let r = import(&db, &["tickets", &tickets, "--reject-file", &arg(&rejects)]);
    assert_eq!(
        (r["inserted"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(
        text.contains("(status)") && text.contains("t2,c2,2024-01-02,opened"),
        "{text}"
    );
}

#[test]
fn the_reject_file_may_not_be_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mixed.csv", MIXED);
    let db_path = dir.path().join("crm.db");
    fails(
        &[
            "import",
            "--db",
            &arg(&db_path),
            "transactions",
            &file,
            "--reject-file",
            &file,
        ],
        2,
        "--reject-file",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MIXED);
    assert!(!db_path.exists());
}

#[test]
fn import_help_documents_the_options() {
    let o = crm(&["import", "--help"]);
    let help = common::stdout(&o);
    for option in [
        "--columns",
        "--delimiter",
        "--date-format",
        "--timezone",
        "--phone-region",
        "--reject-file",
        "gzip",
    ] {
        assert!(help.contains(option), "{option} in {help}");
    }
}
