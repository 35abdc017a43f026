//! Errors the command line reports, and the exit status each one maps to.
//!
//! Every error is printed as one message on standard error, prefixed with `crm: error:`.
//! A bad input file names the file, the line, the column (and field) and what was expected.
//!
//! Exit status:
//! - `0`: success;
//! - `1`: a failure while running (I/O, database, a model that could not be fitted);
//! - `2`: wrong command-line usage (unknown flag, missing argument, conflicting options);
//! - `3`: a malformed input file (header, date, number, score out of scale, empty file);
//! - `4`: `crm lifecycle validate` found problems in a state machine;
//! - `141`: standard output was closed by its reader (`crm ... | head`); nothing is printed
//!   (the status of a process ended by `SIGPIPE`, as a shell reports it, so a pipeline with
//!   `set -o pipefail` still sees that the output was cut short). Any other failure to
//!   write standard output (`> /dev/full`) is reported as an I/O error with status `1`.

use std::fmt;
use std::path::{Path, PathBuf};

/// The name standard output goes by in error messages.
pub const STDOUT: &str = "standard output";

/// Exit status for a failure while running.
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for wrong command-line usage.
pub const EXIT_USAGE: i32 = 2;
/// Exit status for a malformed input file.
pub const EXIT_BAD_INPUT: i32 = 3;
/// Exit status for a state machine with validation findings.
pub const EXIT_INVALID_MACHINE: i32 = 4;
/// Exit status when standard output was closed by its reader (as for a process killed by
/// `SIGPIPE`).
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// The characters of a found value shown in a message; longer values are cut.
const SHOWN_CHARS: usize = 80;

/// Where in an input file a problem lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line, when known.
    pub line: Option<u64>,
    /// The 1-based column (field number), when known.
    pub column: Option<usize>,
    /// The field (header name), when known.
    pub field: Option<String>,
    /// What was expected there.
    pub expected: String,
    /// What was found there, when it helps.
    pub found: Option<String>,
}

impl InputError {
    /// A problem in a whole file (no line).
    pub fn file(file: &Path, expected: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line: None,
            column: None,
            field: None,
            expected: expected.into(),
            found: None,
        }
    }

    /// A problem on one line.
    pub fn line(file: &Path, line: u64, expected: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            ..Self::file(file, expected)
        }
    }

    /// A problem in one field of one line.
    pub fn field(
        file: &Path,
        line: u64,
        column: usize,
        field: &str,
        expected: impl Into<String>,
        found: &str,
    ) -> Self {
        Self {
            line: Some(line),
            column: Some(column),
            field: Some(field.to_string()),
            found: Some(found.to_string()),
            ..Self::file(file, expected)
        }
    }

    /// The same error with what was found.
    pub fn with_found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        write!(f, ": expected {}", self.expected)?;
        if let Some(found) = &self.found {
            match found.char_indices().nth(SHOWN_CHARS) {
                // A hostile field (a megabyte id) is shown by its start and its length.
                Some((cut, _)) => {
                    write!(f, ", found {:?}... ({} bytes)", &found[..cut], found.len())?
                }
                None => write!(f, ", found {found:?}")?,
            }
        }
        Ok(())
    }
}

/// Everything that can make a command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A malformed input file.
    #[error("{0}")]
    Input(Box<InputError>),
    /// A file that could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file that could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Options that do not fit together, beyond what the argument parser checks.
    #[error("{0}")]
    Usage(String),
    /// The database failed.
    #[error("database {}: {message}", path.display())]
    Storage {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An analysis could not be computed from the data.
    #[error("{what}: {message}")]
    Analysis {
        /// The analysis.
        what: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A state machine with validation findings (each on its own line).
    #[error("{} is not a valid state machine ({} finding{}):\n{}", file.display(), findings.len(), if findings.len() == 1 { "" } else { "s" }, findings.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n"))]
    InvalidMachine {
        /// The machine file.
        file: PathBuf,
        /// Every finding.
        findings: Vec<String>,
    },
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => EXIT_BAD_INPUT,
            CliError::Usage(_) => EXIT_USAGE,
            CliError::InvalidMachine { .. } => EXIT_INVALID_MACHINE,
            CliError::Read { .. }
            | CliError::Write { .. }
            | CliError::Storage { .. }
            | CliError::Analysis { .. } => EXIT_FAILURE,
        }
    }

    /// Whether this is a write to standard output whose reader closed the pipe (`crm ... |
    /// head`): the process then ends quietly with [`EXIT_BROKEN_PIPE`].
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Write { path, source }
            if source.kind() == std::io::ErrorKind::BrokenPipe
                && path.as_os_str() == STDOUT)
    }

    /// An analysis error from any displayable library error.
    pub fn analysis(what: &'static str, err: impl fmt::Display) -> Self {
        CliError::Analysis {
            what,
            message: err.to_string(),
        }
    }

    /// A storage error from any displayable library error.
    pub fn storage(path: &Path, err: impl fmt::Display) -> Self {
        CliError::Storage {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }
}

impl From<InputError> for CliError {
    fn from(e: InputError) -> Self {
        CliError::Input(Box::new(e))
    }
}

/// The result of a command.
pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_names_file_line_column_field_and_expectation() {
        let e = InputError::field(
            Path::new("tx.csv"),
            3,
            3,
            "amount",
            "a decimal number",
            "abc",
        );
        assert_eq!(
            e.to_string(),
            "tx.csv, line 3, column 3 (amount): expected a decimal number, found \"abc\""
        );
        assert_eq!(CliError::from(e).exit_code(), EXIT_BAD_INPUT);
    }

    #[test]
    fn machine_findings_are_listed_one_per_line() {
        let e = CliError::InvalidMachine {
            file: "m.toml".into(),
            findings: vec!["a".into(), "b".into()],
        };
        assert_eq!(
            e.to_string(),
            "m.toml is not a valid state machine (2 findings):\n  - a\n  - b"
        );
        assert_eq!(e.exit_code(), EXIT_INVALID_MACHINE);
    }
}
