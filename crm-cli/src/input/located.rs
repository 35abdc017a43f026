//! Records converted from file rows, with the line each came from, and the error for a
//! record the store would refuse.

use std::path::Path;

use crm_storage_traits::StorageError;

use crate::error::{CliError, InputError};

/// A record converted from a file row, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<R> {
    /// The record.
    pub record: R,
    /// The 1-based line of the row.
    pub line: u64,
    /// Whether the id came from the file (rather than from the row's content).
    pub explicit_id: bool,
}

/// A record the store would refuse, located at its row.
pub fn refused(path: &Path, line: u64, e: StorageError) -> CliError {
    match e {
        StorageError::Invalid { field, reason } => InputError {
            line: Some(line),
            field: Some(field),
            ..InputError::file(path, format!("a value the store accepts ({reason})"))
        }
        .into(),
        other => InputError::line(path, line, format!("a valid record ({other})")).into(),
    }
}
