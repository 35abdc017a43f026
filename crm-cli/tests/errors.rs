//! Malformed inputs: one message naming file, line, column and what was expected; exit
//! status 3; never a panic.

mod common;

use common::{crm, fixture_arg, stderr};

fn bad(args: &[&str], expected: &[&str]) {
    let o = crm(args);
    assert_eq!(
        o.status.code(),
        Some(3),
        "exit status of {args:?}: {}",
        stderr(&o)
    );
    let e = stderr(&o);
    assert!(e.starts_with("crm: error: "), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one message: {e}");
    for part in expected {
        assert!(e.contains(part), "{e:?} should contain {part:?}");
    }
    assert!(
        !e.contains("panicked") && !e.contains("RUST_BACKTRACE"),
        "{e}"
    );
    assert!(o.stdout.is_empty(), "nothing on stdout");
}

/// [`bad`] on `crm COMMAND FLAG FIXTURE MORE...`.
fn bad_fixture(command: &str, flag: &str, fixture: &str, more: &[&str], expected: &[&str]) {
    let f = fixture_arg(fixture);
    let mut args = vec![command, flag, &f];
    args.extend_from_slice(more);
    bad(&args, expected);
}

#[test]
fn wrong_header_of_transactions() {
    bad_fixture(
        "rfm",
        "--transactions",
        "bad/wrong_header.csv",
        &[],
        &[
            "wrong_header.csv, line 1: expected header `customer_id,timestamp,amount[,currency][,transaction_id]`",
            "found \"customer,timestamp,amount\"",
        ],
    );
}

#[test]
fn wrong_header() {
    bad_fixture(
        "nps",
        "--responses",
        "bad/wrong_header.csv",
        &[],
        &[
            "wrong_header.csv, line 1: expected header `response_id,customer_id,timestamp,score[,group][,tags]`",
            "found \"customer,timestamp,amount\"",
        ],
    );
}

#[test]
fn bad_date() {
    bad_fixture(
        "rfm",
        "--transactions",
        "bad/bad_date.csv",
        &["--json"],
        &[
            "bad_date.csv, line 3, column 2 (timestamp): expected a date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM:SS or an RFC 3339 timestamp, found \"2024-02-30\"",
        ],
    );
}

#[test]
fn non_numeric_amount() {
    bad_fixture(
        "abc",
        "--transactions",
        "bad/bad_amount.csv",
        &[],
        &[
            "bad_amount.csv, line 4, column 3 (amount): expected a decimal number such as 12.50, found \"ten\"",
        ],
    );
}

#[test]
fn out_of_scale_score() {
    bad_fixture(
        "nps",
        "--responses",
        "bad/nps_out_of_scale.csv",
        &["--json"],
        &[
            "nps_out_of_scale.csv, line 3, column 4 (score): expected an integer NPS score from 0 to 10, found \"11\"",
        ],
    );
    bad_fixture(
        "ces",
        "--responses",
        "nps.csv",
        &[],
        &["line 2, column 4 (score): expected an integer CES score from 1 to 7, found \"10\""],
    );
}

#[test]
fn empty_file() {
    let expected = [
        "empty.csv: expected a header line",
        "found \"an empty file\"",
    ];
    bad_fixture("nps", "--responses", "bad/empty.csv", &[], &expected);
    bad_fixture("rfm", "--transactions", "bad/empty.csv", &[], &expected);
}

#[test]
fn missing_file_and_usage_errors() {
    let o = crm(&["nps", "--responses", "/nonexistent/answers.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read /nonexistent/answers.csv"));
    let o = crm(&["nps"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a missing source is a usage error"
    );
    let o = crm(&["rfm", "--bins", "11", "--transactions", "x.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let o = crm(&[
        "nps",
        "--responses",
        &fixture_arg("nps.csv"),
        "--output",
        "table.txt",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected a file name ending in .csv or .json"));
}

#[test]
fn bad_summary_and_cdnow_lines() {
    let f = fixture_arg("bad/summary_recency_gt_t.csv");
    bad(
        &["churn", "fit", "--summary", &f],
        &[
            "summary_recency_gt_t.csv, line 3, column 2 (recency): expected a recency no larger than T (4), found \"5\"",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let cdnow = dir.path().join("cdnow.txt");
    std::fs::write(&cdnow, "00001 19970101 1 11.77\n00002 19970231 2 20.00\n").unwrap();
    bad(
        &[
            "rfm",
            "--transactions",
            cdnow.to_str().unwrap(),
            "--format",
            "cdnow",
        ],
        &["cdnow.txt, line 2, column 2 (date): expected a date as YYYYMMDD, found \"19970231\""],
    );
    std::fs::write(&cdnow, "00001 19970101 1\n").unwrap();
    bad(
        &[
            "import",
            "--db",
            dir.path().join("x.db").to_str().unwrap(),
            "transactions",
            cdnow.to_str().unwrap(),
            "--format",
            "cdnow",
        ],
        &[
            "cdnow.txt, line 1: expected 4 whitespace-separated fields",
            "found \"3 fields\"",
        ],
    );
    assert!(!dir.path().join("x.db").exists());
}
