//! Rows refused and left out, for `crm import --reject-file`: when [`enable`]d, a row with
//! an input error is kept here (its line, the reason, the record as written) instead of
//! stopping the read, and the rest is read on. Without it, the first bad row is an error.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::{CliError, CliResult, EXIT_BAD_INPUT};

/// A row left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The 1-based line of the row.
    pub line: u64,
    /// Why it was refused (the message the row would have stopped the import with).
    pub reason: String,
    /// The record as written in the file.
    pub record: String,
}

#[derive(Debug, Default)]
struct Sink {
    rejected: Vec<Rejected>,
    /// The raw text of rows read and not yet accepted, by line.
    raw: BTreeMap<u64, String>,
}

/// `None` while bad rows stop the read (the default).
static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// From now on, keep bad rows instead of stopping at the first.
pub fn enable() {
    if let Ok(mut sink) = SINK.lock() {
        sink.get_or_insert_with(Sink::default);
    }
}

/// Whether bad rows are kept.
pub fn enabled() -> bool {
    SINK.lock().map(|s| s.is_some()).unwrap_or(false)
}

/// Remembers the text of the row on `line`, for a refusal found later.
pub(crate) fn keep_raw(line: u64, raw: impl FnOnce() -> String) {
    if let Ok(mut guard) = SINK.lock()
        && let Some(sink) = guard.as_mut()
    {
        sink.raw.insert(line, raw());
    }
}

/// Forgets the text of rows before `line` (they were accepted or refused already).
pub(crate) fn forget_before(line: u64) {
    if let Ok(mut guard) = SINK.lock()
        && let Some(sink) = guard.as_mut()
    {
        sink.raw = sink.raw.split_off(&line);
    }
}

/// The row on `line` is bad: `err` when bad rows stop the read (or `err` is no input error,
/// such as a read failure), otherwise the row is kept as refused and `Ok`.
pub(crate) fn refuse(line: u64, err: CliError) -> CliResult<()> {
    refuse_with(line, err, None)
}

/// As [`refuse`], with the record's text given.
pub(crate) fn refuse_with(line: u64, err: CliError, raw: Option<String>) -> CliResult<()> {
    if err.exit_code() != EXIT_BAD_INPUT {
        return Err(err);
    }
    let Ok(mut guard) = SINK.lock() else {
        return Err(err);
    };
    let Some(sink) = guard.as_mut() else {
        return Err(err);
    };
    let record = raw.or_else(|| sink.raw.remove(&line)).unwrap_or_default();
    sink.rejected.push(Rejected {
        line,
        reason: err.to_string(),
        record,
    });
    Ok(())
}

/// The rows refused so far, in the order of their lines.
pub fn take() -> Vec<Rejected> {
    let mut out = SINK
        .lock()
        .ok()
        .and_then(|mut s| s.as_mut().map(|s| std::mem::take(&mut s.rejected)))
        .unwrap_or_default();
    out.sort_by_key(|r| r.line);
    out
}

/// The CSV text of refused rows: `line,reason,record`.
pub fn to_csv(rows: &[Rejected]) -> CliResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| CliError::analysis("reject file", e);
    w.write_record(["line", "reason", "record"]).map_err(err)?;
    for r in rows {
        w.write_record([r.line.to_string().as_str(), &r.reason, &r.record])
            .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| CliError::analysis("reject file", e.error()))
}
