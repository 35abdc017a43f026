//! [`StorageError`]: what a store reports when an operation cannot be done.

use crm_core::ValidationError;

/// The result type of every store operation.
pub type StorageResult<T> = Result<T, StorageError>;

/// Why a store operation failed. A failed operation writes nothing.
///
/// ```
/// use crm_storage_traits::StorageError;
/// let err = StorageError::Conflict { entity: "customer", id: "42".into(), expected: 1, actual: 2 };
/// assert_eq!(err.to_string(), "customer 42: expected version 1, but the stored version is 2");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// No record with this id exists.
    #[error("{entity} {id}: not found")]
    NotFound {
        /// The kind of record (`customer`, `ticket`, ...).
        entity: &'static str,
        /// The id, as text.
        id: String,
    },
    /// A record with this id exists already.
    #[error("{entity} {id}: already exists")]
    Duplicate {
        /// The kind of record.
        entity: &'static str,
        /// The id, as text.
        id: String,
    },
    /// The caller's expected version is stale: someone else changed the record first.
    #[error("{entity} {id}: expected version {expected}, but the stored version is {actual}")]
    Conflict {
        /// The kind of record.
        entity: &'static str,
        /// The id, as text.
        id: String,
        /// The version the caller based the change on.
        expected: u64,
        /// The version in the store.
        actual: u64,
    },
    /// The input is not valid; `field` names what is at fault (`transaction.quantity`,
    /// `batch[3].customer`, `page.limit`).
    #[error("{field}: {reason}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// Why.
        reason: String,
    },
    /// The database or another backend failed.
    #[error("storage backend: {source}")]
    Backend {
        /// The backend's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl StorageError {
    /// An [`StorageError::Invalid`] error.
    ///
    /// ```
    /// use crm_storage_traits::StorageError;
    /// let e = StorageError::invalid("page.limit", "must be at least 1");
    /// assert_eq!(e.to_string(), "page.limit: must be at least 1");
    /// ```
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> StorageError {
        StorageError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The error of [`ImportSession::commit`](crate::ImportSession::commit) after a chunk
    /// failed: the session can only be rolled back (every store says it the same way).
    ///
    /// ```
    /// use crm_storage_traits::StorageError;
    /// assert_eq!(
    ///     StorageError::import_failed().to_string(),
    ///     "import: a chunk failed: the import can only be rolled back"
    /// );
    /// ```
    pub fn import_failed() -> StorageError {
        StorageError::invalid(
            "import",
            "a chunk failed: the import can only be rolled back",
        )
    }

    /// A [`StorageError::Backend`] error wrapping `source`.
    ///
    /// ```
    /// use crm_storage_traits::StorageError;
    /// let e = StorageError::backend(std::io::Error::other("disk full"));
    /// assert_eq!(e.to_string(), "storage backend: disk full");
    /// ```
    pub fn backend(source: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError::Backend {
            source: Box::new(source),
        }
    }

    /// Prefixes the field of an [`StorageError::Invalid`] error (for example with
    /// `batch[3]`); other errors are returned unchanged.
    ///
    /// ```
    /// use crm_storage_traits::StorageError;
    /// let e = StorageError::invalid("transaction.quantity", "negative").within("batch[3]");
    /// assert_eq!(e.to_string(), "batch[3].transaction.quantity: negative");
    /// ```
    pub fn within(self, prefix: &str) -> StorageError {
        match self {
            StorageError::Invalid { field, reason } => StorageError::Invalid {
                field: format!("{prefix}.{field}"),
                reason,
            },
            other => other,
        }
    }
}

/// The field a [`ValidationError`] names.
fn validation_field(error: &ValidationError) -> &'static str {
    match error {
        ValidationError::Empty { field }
        | ValidationError::TooLong { field, .. }
        | ValidationError::ControlCharacter { field }
        | ValidationError::SurroundingWhitespace { field }
        | ValidationError::OutOfRange { field, .. }
        | ValidationError::TimeOrder { field, .. }
        | ValidationError::SelfReference { field }
        | ValidationError::Invalid { field, .. } => field,
        _ => "record",
    }
}

impl From<ValidationError> for StorageError {
    fn from(error: ValidationError) -> Self {
        let field = validation_field(&error);
        let message = error.to_string();
        let reason = message
            .strip_prefix(field)
            .and_then(|r| r.strip_prefix(": "))
            .unwrap_or(&message)
            .to_string();
        StorageError::Invalid {
            field: field.to_string(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_keep_their_field() {
        let e: StorageError = ValidationError::Empty {
            field: "customer.name",
        }
        .into();
        match e {
            StorageError::Invalid { field, reason } => {
                assert_eq!(field, "customer.name");
                assert_eq!(reason, "must not be empty");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
