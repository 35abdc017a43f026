//! Readers for the input files. Each reader checks the header, parses every field and
//! returns rows, or one [`InputError`] naming the file, line, column, field and what was
//! expected.

pub mod customer_index;
pub mod customers;
#[cfg(test)]
mod properties;
pub mod purchases;
pub mod responses;
pub mod summary;
pub mod transactions;

use std::fs::File;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{CliError, CliResult, InputError};

/// Parses an RFC 3339 timestamp or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(date) = plain_date(text) {
        return date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if text.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
    {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

/// A `YYYY-MM-DD` date read digit by digit, the common case of large files (a format string
/// costs far more per row). `None` when the text has another layout; a text of this layout
/// that names no date (month 13) is left to the general parser, which refuses it as well.
fn plain_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// What a timestamp field must look like, for error messages.
pub const TIMESTAMP_EXPECTED: &str = "a date as YYYY-MM-DD or an RFC 3339 timestamp";

/// The time of a timestamp field (column `column`, 1-based, named `name`), or the error
/// naming it.
pub(crate) fn timestamp_field(
    path: &Path,
    line: u64,
    (column, name): (usize, &str),
    text: &str,
) -> CliResult<DateTime<Utc>> {
    parse_timestamp(text)
        .ok_or_else(|| InputError::field(path, line, column, name, TIMESTAMP_EXPECTED, text).into())
}

/// Refuses an empty customer id (the first column).
pub(crate) fn require_customer_id(path: &Path, line: u64, id: &str) -> CliResult<()> {
    if id.is_empty() {
        return Err(
            InputError::field(path, line, 1, "customer_id", "a non-empty customer id", "").into(),
        );
    }
    Ok(())
}

/// Parses a date given on the command line (`--as-of`, `--calibration-end`, ...).
pub fn parse_cli_date(flag: &str, text: &str) -> CliResult<DateTime<Utc>> {
    parse_timestamp(text).ok_or_else(|| {
        CliError::Usage(format!(
            "--{flag}: expected {TIMESTAMP_EXPECTED}, found {text:?}"
        ))
    })
}

/// A CSV reader over a file, with trimmed fields.
pub(crate) fn open_csv(path: &Path) -> CliResult<csv::Reader<File>> {
    let file = File::open(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(file))
}

/// Reads the header line, refusing an empty file.
pub(crate) fn read_header(
    path: &Path,
    reader: &mut csv::Reader<File>,
    expected: &str,
) -> CliResult<Vec<String>> {
    let header = reader
        .headers()
        .map_err(|e| csv_error(path, e, expected))?
        .clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(
            InputError::file(path, format!("a header line `{expected}`"))
                .with_found("an empty file")
                .into(),
        );
    }
    Ok(header.iter().map(|h| h.trim().to_string()).collect())
}

/// A header that does not match.
pub(crate) fn wrong_header(path: &Path, header: &[String], expected: &str) -> CliError {
    InputError::line(path, 1, format!("header `{expected}`"))
        .with_found(header.join(","))
        .into()
}

/// Maps a CSV-level error (wrong number of fields, invalid UTF-8, I/O) to a user error.
pub(crate) fn csv_error(path: &Path, err: csv::Error, header: &str) -> CliError {
    let line = err.position().map(|p| p.line());
    match err.into_kind() {
        csv::ErrorKind::Io(source) => CliError::Read {
            path: path.to_path_buf(),
            source,
        },
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            let line = pos.map(|p| p.line()).or(line).unwrap_or(0);
            InputError::line(
                path,
                line,
                format!("{expected_len} comma-separated fields as in the header `{header}`"),
            )
            .with_found(format!("{len} fields"))
            .into()
        }
        csv::ErrorKind::Utf8 { pos, .. } => {
            let line = pos.map(|p| p.line()).or(line).unwrap_or(0);
            InputError::line(path, line, "UTF-8 text").into()
        }
        other => InputError {
            line,
            ..InputError::file(path, format!("a CSV file ({other:?})"))
        }
        .into(),
    }
}

/// Refuses a file with a header and no data rows.
pub(crate) fn require_rows<T>(path: &Path, rows: &[T], expected: &str) -> CliResult<()> {
    if rows.is_empty() {
        return Err(InputError::line(
            path,
            2,
            format!("at least one data row after the header `{expected}`"),
        )
        .with_found("end of file")
        .into());
    }
    Ok(())
}

/// A temporary file holding `content`, for the readers' tests.
#[cfg(test)]
pub(crate) fn temp_file(content: &[u8]) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(content).expect("write");
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_both_forms() {
        let d = parse_timestamp("2024-03-01").expect("date");
        assert_eq!(d.to_rfc3339(), "2024-03-01T00:00:00+00:00");
        let t = parse_timestamp("2024-03-01T10:00:00+01:00").expect("rfc3339");
        assert_eq!(t.to_rfc3339(), "2024-03-01T09:00:00+00:00");
        assert!(parse_timestamp("2024-13-01").is_none());
        assert!(parse_timestamp("01/03/2024").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
