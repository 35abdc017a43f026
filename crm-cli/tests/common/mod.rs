//! Helpers shared by the integration tests: run the built `crm` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of a fixture file: the crate's own `tests/fixtures`, or the workspace's shared
/// `testdata/` (the CDNOW sample and its summaries).
pub fn fixture(name: &str) -> PathBuf {
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name);
    if own.exists() {
        own
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata")
            .join(name)
    }
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_string()
}

/// The path of a fixture file as a command-line argument.
pub fn fixture_arg(name: &str) -> String {
    arg(&fixture(name))
}

/// Runs `crm` with arguments.
pub fn crm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(args)
        .output()
        .expect("the crm binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `crm`, asserts success and parses standard output as JSON.
pub fn json(args: &[&str]) -> serde_json::Value {
    let o = crm(args);
    assert!(o.status.success(), "crm {args:?} failed: {}", stderr(&o));
    json_of(&o)
}

/// Standard output parsed as JSON.
pub fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// Approximate equality.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// Runs `crm ARGS --output DIR/NAME` with DIR a fresh temporary directory, asserts success
/// and returns standard output and the text of the written file.
pub fn with_output(args: &[&str], name: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = arg(&dir.path().join(name));
    let mut all = args.to_vec();
    all.extend(["--output", &out]);
    let o = crm(&all);
    assert!(o.status.success(), "crm {all:?} failed: {}", stderr(&o));
    let text = std::fs::read_to_string(&out).expect("the output file is written");
    (stdout(&o), text)
}

/// Runs `crm`, asserts the exit status and that standard error contains `message`;
/// returns standard error.
pub fn fails(args: &[&str], code: i32, message: &str) -> String {
    let o = crm(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "exit status of {args:?}: {e}");
    assert!(e.contains(message), "{e:?} should contain {message:?}");
    e
}

/// The churn score of each customer of a database, as `crm churn score --output` writes it:
/// customer id to (P(alive), risk band).
pub fn churn_scores(
    db: &str,
    dir: &std::path::Path,
) -> std::collections::HashMap<String, (f64, String)> {
    let scores = dir.join("scores.csv");
    json(&[
        "churn",
        "score",
        "--db",
        db,
        "--output",
        &arg(&scores),
        "--json",
    ]);
    let mut reader = csv::Reader::from_path(&scores).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, p, band) = (
        column("customer_id"),
        column("p_alive"),
        column("risk_band"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[id].to_string(),
                (r[p].parse().unwrap(), r[band].to_string()),
            )
        })
        .collect()
}
