//! Helpers shared by the integration tests: run the built `crm` binary.

#![allow(dead_code)]

use std::path::PathBuf;
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
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)))
}

/// Approximate equality.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}
