//! Whether a database holds a store's schema at the version this build writes: checked by
//! the read-only opens, which never create or migrate anything.

use std::collections::BTreeSet;

use crm_storage_traits::StorageError;
use sqlx::migrate::Migrator;

/// Why a database cannot be read as a store without being changed first.
///
/// Returned (inside [`StorageError::Backend`]) by the read-only opens
/// ([`SqliteStore::open_read_only`](crate::SqliteStore::open_read_only),
/// [`PostgresStore::connect_read_only`](crate::PostgresStore::connect_read_only));
/// [`SchemaError::of`] finds it in a [`StorageError`].
///
/// ```
/// use crm_storage_sql::SchemaError;
/// let e = SchemaError::Outdated { applied: 2, current: 3 };
/// assert_eq!(
///     e.to_string(),
///     "the database was written by an earlier version (schema 2 of 3) and must be upgraded before it is read"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The database holds none of the store's tables (an empty file, or another
    /// application's database).
    #[error("not a CRM database (it holds none of the store's tables)")]
    NotAStore,
    /// The database was written by an earlier version: opening it for writing upgrades it.
    #[error(
        "the database was written by an earlier version (schema {applied} of {current}) and must be upgraded before it is read"
    )]
    Outdated {
        /// The schema migrations applied to the database.
        applied: usize,
        /// The migrations this version applies.
        current: usize,
    },
    /// The database was written by a later version, whose schema this version does not
    /// know.
    #[error(
        "the database was written by a later version (schema migration {unknown} is unknown here)"
    )]
    Newer {
        /// The first migration version this build does not know.
        unknown: i64,
    },
}

impl SchemaError {
    /// The schema error inside a storage error, if that is what it is.
    ///
    /// ```
    /// use crm_storage_sql::SchemaError;
    /// use crm_storage_traits::StorageError;
    /// let e = StorageError::backend(SchemaError::NotAStore);
    /// assert_eq!(SchemaError::of(&e), Some(&SchemaError::NotAStore));
    /// assert_eq!(SchemaError::of(&StorageError::invalid("x", "y")), None);
    /// ```
    pub fn of(error: &StorageError) -> Option<&SchemaError> {
        match error {
            StorageError::Backend { source } => source.downcast_ref(),
            _ => None,
        }
    }

    /// Checks the successful migrations recorded in a database (`None`: no migration
    /// table) against the migrator's.
    pub(crate) fn check(applied: Option<&[i64]>, migrator: &Migrator) -> Result<(), SchemaError> {
        let Some(applied) = applied else {
            return Err(SchemaError::NotAStore);
        };
        let known: BTreeSet<i64> = migrator.iter().map(|m| m.version).collect();
        if let Some(&unknown) = applied.iter().find(|v| !known.contains(v)) {
            return Err(SchemaError::Newer { unknown });
        }
        let applied: BTreeSet<i64> = applied.iter().copied().collect();
        if applied.is_empty() {
            return Err(SchemaError::NotAStore);
        }
        if applied.len() < known.len() {
            return Err(SchemaError::Outdated {
                applied: applied.len(),
                current: known.len(),
            });
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    #[test]
    fn applied_migrations_are_compared_with_the_known_ones() {
        let m = &crate::MIGRATOR;
        let all: Vec<i64> = m.iter().map(|m| m.version).collect();
        assert_eq!(SchemaError::check(Some(&all), m), Ok(()));
        assert_eq!(SchemaError::check(None, m), Err(SchemaError::NotAStore));
        assert_eq!(
            SchemaError::check(Some(&[]), m),
            Err(SchemaError::NotAStore)
        );
        assert_eq!(
            SchemaError::check(Some(&all[..1]), m),
            Err(SchemaError::Outdated {
                applied: 1,
                current: all.len()
            })
        );
        let mut newer = all.clone();
        newer.push(99_999);
        assert_eq!(
            SchemaError::check(Some(&newer), m),
            Err(SchemaError::Newer { unknown: 99_999 })
        );
    }
}
