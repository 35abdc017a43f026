//! Writers for per-customer tables (CSV or JSON, by the extension of `--output`) and JSON
//! summaries. A table is written to a temporary file beside the target and renamed into
//! place, so a failed write leaves no half-written file.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// The layout of an output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// The layout chosen by a file's extension.
pub fn format_of(path: &Path) -> CliResult<OutputFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(OutputFormat::Csv),
        Some("json") => Ok(OutputFormat::Json),
        _ => Err(CliError::Usage(format!(
            "--output {}: expected a file name ending in .csv or .json",
            path.display()
        ))),
    }
}

/// Writes bytes to `path` atomically (temporary file, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// Renders rows as CSV: the field names of `T` are the header, in declaration order.
pub fn to_csv<T: Serialize>(rows: &[T], header_if_empty: &[&str]) -> CliResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(true)
        .from_writer(Vec::new());
    if rows.is_empty() {
        writer
            .write_record(header_if_empty)
            .map_err(|e| CliError::analysis("csv output", e))?;
    }
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| CliError::analysis("csv output", e))?;
    }
    writer
        .into_inner()
        .map_err(|e| CliError::analysis("csv output", e))
}

/// Writes a per-customer table to `path` as CSV or JSON, by extension.
pub fn write_table<T: Serialize>(path: &Path, rows: &[T], columns: &[&str]) -> CliResult<()> {
    let bytes = match format_of(path)? {
        OutputFormat::Csv => to_csv(rows, columns)?,
        OutputFormat::Json => {
            let mut v = serde_json::to_vec_pretty(rows)
                .map_err(|e| CliError::analysis("json output", e))?;
            v.push(b'\n');
            v
        }
    };
    write_atomic(path, &bytes)
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json<T: Serialize>(value: &T) -> CliResult<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::analysis("json output", e))?;
    println!("{text}");
    Ok(())
}

/// A float for JSON: non-finite values become `null` rather than an invalid document.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        customer_id: String,
        value: f64,
    }

    #[test]
    fn csv_header_follows_field_order() {
        let rows = vec![Row {
            customer_id: "c1".into(),
            value: 1.5,
        }];
        let text = String::from_utf8(to_csv(&rows, &[]).expect("csv")).expect("utf8");
        assert_eq!(text, "customer_id,value\nc1,1.5\n");
        let empty: Vec<Row> = Vec::new();
        let text = String::from_utf8(to_csv(&empty, &["customer_id", "value"]).expect("csv"))
            .expect("utf8");
        assert_eq!(text, "customer_id,value\n");
    }

    #[test]
    fn extension_decides_the_format() {
        assert_eq!(
            format_of(Path::new("a.CSV")).expect("csv"),
            OutputFormat::Csv
        );
        assert_eq!(
            format_of(Path::new("a.json")).expect("json"),
            OutputFormat::Json
        );
        assert!(format_of(Path::new("a.txt")).is_err());
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("out.csv");
        write_atomic(&p, b"one").expect("write");
        write_atomic(&p, b"two").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }
}
