//! What both SQL stores share: mapping database errors to [`StorageError`]s and reading
//! stored columns back.

use std::str::FromStr;

use crm_storage_traits::{Record, StorageError, StorageResult};

pub(crate) fn backend(e: sqlx::Error) -> StorageError {
    StorageError::backend(e)
}

pub(crate) fn is_foreign_key(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation())
}

pub(crate) fn is_unique(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

pub(crate) fn no_customer<R: Record>(prefix: &str) -> StorageError {
    StorageError::invalid(
        format!("{prefix}{}.customer", R::ENTITY),
        "no such customer",
    )
}

/// Maps a failed write: a missing customer is `Invalid` (field `<prefix><entity>.customer`),
/// anything else a backend error.
pub(crate) fn write_error<R: Record>(prefix: &'static str) -> impl Fn(sqlx::Error) -> StorageError {
    move |e| {
        if is_foreign_key(&e) {
            no_customer::<R>(prefix)
        } else {
            backend(e)
        }
    }
}

/// Why an update or delete wrote nothing: the record is gone, or its version moved on.
pub(crate) fn refused<R: Record>(id: &str, expected: u64, actual: Option<u64>) -> StorageError {
    match actual {
        None => StorageError::NotFound {
            entity: R::ENTITY,
            id: id.to_string(),
        },
        Some(actual) => StorageError::Conflict {
            entity: R::ENTITY,
            id: id.to_string(),
            expected,
            actual,
        },
    }
}

/// An expected version as a `BIGINT` parameter.
pub(crate) fn version_param(expected: u64) -> StorageResult<i64> {
    i64::try_from(expected).map_err(|_| StorageError::invalid("version", "larger than 2^63 - 1"))
}

/// A stored transaction column that cannot be read back.
pub(crate) fn corrupt(column: &str, reason: impl std::fmt::Display) -> StorageError {
    StorageError::backend(std::io::Error::other(format!(
        "stored transaction column {column} cannot be read: {reason}"
    )))
}

/// Parses a stored column's text.
pub(crate) fn parse<T: FromStr>(column: &str, text: &str) -> StorageResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| corrupt(column, e))
}
