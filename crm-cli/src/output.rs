//! Writers for per-customer tables (CSV or JSON, by the extension of `--output`), JSON
//! summaries and everything printed on standard output.
//!
//! Every output file goes through [`write_atomic`]: an output that is the same file as an
//! input read by the command (by device and inode, so `./tx.csv`, a symbolic link or a hard
//! link are caught) is refused before anything is written, and the bytes go to a temporary
//! file beside the target that is renamed into place, so a failed write leaves no
//! half-written file. Standard output is written with [`out!`](crate::output::out) and
//! [`outln!`](crate::output::outln), whose errors (a full disk, a closed pipe) are returned
//! instead of panicking.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

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

/// Writes a value as pretty JSON to `path` (atomically, never over an input).
pub fn write_json_file<T: Serialize>(path: &Path, value: &T) -> CliResult<()> {
    let mut bytes =
        serde_json::to_vec_pretty(value).map_err(|e| CliError::analysis("JSON output", e))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Refuses an output path that names the same file as an input already read.
pub fn check_not_an_input(path: &Path) -> CliResult<()> {
    check_not_an_input_as("--output", path)
}

/// Refuses an output path given with `flag` that names the same file as an input already
/// read.
pub fn check_not_an_input_as(flag: &str, path: &Path) -> CliResult<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // no such file yet: not an input
    };
    match crate::input::same_as_input(path, &meta) {
        Some(input) if meta.is_file() => Err(CliError::Usage(format!(
            "{flag} {}: the same file as the input {}; refusing to overwrite an input",
            path.display(),
            input.display()
        ))),
        _ => Ok(()),
    }
}

/// Temporary files made by this process, numbered so that two outputs never share one.
static TEMPORARIES: AtomicU32 = AtomicU32::new(0);

/// Writes bytes to `path` atomically: refused when `path` is an input (see
/// [`check_not_an_input`]); otherwise written to a new temporary file in the target's
/// directory and renamed over it. A symbolic link is followed (its target is replaced, with
/// its permissions kept); an existing target that is not a regular file (`/dev/null`, a
/// FIFO) is written to directly.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult<()> {
    write_or_probe(path, Some(bytes))
}

/// Checks, before any work whose result it will hold, that [`write_atomic`] can write
/// `path`: not an input, not a directory, and a temporary file can be created beside it
/// (the probe is removed again; nothing at `path` changes).
pub fn check_writable(path: &Path) -> CliResult<()> {
    write_or_probe(path, None)
}

/// [`write_atomic`] with `Some(bytes)`; with `None`, only its checks and a temporary file
/// created and removed again.
fn write_or_probe(path: &Path, bytes: Option<&[u8]>) -> CliResult<()> {
    check_not_an_input(path)?;
    let err = |source| CliError::Write {
        path: path.to_path_buf(),
        source,
    };
    let existing = std::fs::metadata(path).ok();
    if let Some(meta) = &existing
        && !meta.is_file()
    {
        if meta.is_dir() {
            return Err(err(std::io::Error::other("is a directory")));
        }
        let Some(bytes) = bytes else {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map(drop)
                .map_err(err);
        };
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
            .map_err(err);
    }
    let target = match &existing {
        Some(_) => std::fs::canonicalize(path).map_err(err)?,
        None => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let (tmp, mut file) = loop {
        let n = TEMPORARIES.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(err(e)),
        }
    };
    let Some(bytes) = bytes else {
        drop(file);
        return std::fs::remove_file(&tmp).map_err(err);
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| match &existing {
            Some(meta) => file.set_permissions(meta.permissions()),
            None => Ok(()),
        })
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, &target)
        });
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

pub use crate::error::STDOUT;

/// Writes formatted text to standard output and flushes it; a failure (a full disk, a
/// reader that closed the pipe) is returned as [`CliError::Write`] on [`STDOUT`].
pub fn write_stdout(args: fmt::Arguments<'_>) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .map_err(|source| CliError::Write {
            path: PathBuf::from(STDOUT),
            source,
        })
}

/// `print!` for data: writes to standard output and evaluates to a [`CliResult`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` for data: writes a line to standard output and evaluates to a
/// [`CliResult`].
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

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
    outln!("{text}")
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

    #[test]
    fn an_input_is_never_an_output() {
        let dir = tempfile::tempdir().expect("dir");
        let input = dir.path().join("in.csv");
        std::fs::write(&input, b"customer_id,timestamp,amount\n").expect("write");
        let _ = crate::input::open_input(&input).expect("opens");
        let link = dir.path().join("link.csv");
        std::fs::hard_link(&input, &link).expect("link");
        for out in [input.clone(), dir.path().join(".").join("in.csv"), link] {
            let e = write_atomic(&out, b"x").expect_err("an input");
            assert!(
                e.to_string().contains("refusing to overwrite an input"),
                "{e}"
            );
        }
        assert_eq!(
            std::fs::read(&input).expect("read"),
            b"customer_id,timestamp,amount\n"
        );
        write_atomic(&dir.path().join("other.csv"), b"x").expect("not an input");
    }
}
