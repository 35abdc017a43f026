//! [`PostgresStore`]: the repository traits on a PostgreSQL schema.

mod campaigns;
mod import;
mod mapping;
mod store;

use std::str::FromStr;
use std::sync::Arc;

use crm_storage_traits::{StorageError, StorageResult};
use sqlx::Executor;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::schema::SchemaError;

/// The embedded PostgreSQL schema migrations, applied by every `PostgresStore::connect` and
/// `PostgresStore::open` inside the store's schema.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// A PostgreSQL schema holding every kind of CRM record. Cheap to clone (a pool handle).
///
/// The store keeps its tables in one schema of its own (`crm` unless the host names
/// another), so a host can keep them beside its own tables in the same database and query
/// them with SQL or BI tools (`SCHEMA.md` documents every column). Opening a store creates
/// the schema if needed and applies the embedded migrations, upgrading it in place.
///
/// ```no_run
/// use crm_storage_sql::PostgresStore;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // The store builds its own pool ...
/// let store = PostgresStore::connect("postgres://crm@db.example/app").await?;
/// // ... or works in the host's pool, in a schema the host names.
/// let pool = sqlx::postgres::PgPool::connect("postgres://crm@db.example/app").await?;
/// let analytics = PostgresStore::open(pool, "crm_analytics").await?;
/// # let _ = (store, analytics);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    schema: Arc<str>,
}

impl PostgresStore {
    /// The schema a store uses unless told otherwise.
    pub const DEFAULT_SCHEMA: &'static str = "crm";

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// TLS by `?sslmode=require`), with a pool of up to 10 connections, and opens the
    /// store in the schema [`PostgresStore::DEFAULT_SCHEMA`].
    pub async fn connect(url: &str) -> StorageResult<PostgresStore> {
        Self::connect_in_schema(url, Self::DEFAULT_SCHEMA).await
    }

    /// Like [`PostgresStore::connect`], in the schema `schema`.
    pub async fn connect_in_schema(url: &str, schema: &str) -> StorageResult<PostgresStore> {
        check_schema(schema)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect(url)
            .await
            .map_err(StorageError::backend)?;
        Self::open(pool, schema).await
    }

    /// Opens the store in the schema `schema` of the host's pool: creates the schema if
    /// needed and applies the migrations there. A schema name is 1 to 63 lowercase ASCII
    /// letters, digits and underscores, not starting with a digit (else `Invalid`, field
    /// `postgres.schema`).
    pub async fn open(pool: PgPool, schema: &str) -> StorageResult<PostgresStore> {
        check_schema(schema)?;
        pool.execute(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .await
        .map_err(StorageError::backend)?;
        // The migrations name their tables without a schema: they run on a connection of
        // their own whose search path starts with the store's schema (the host's pool is
        // left as it is), and record themselves in that schema.
        let options = (*pool.connect_options())
            .clone()
            .options([("search_path", format!("\"{schema}\""))]);
        let migrations = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(StorageError::backend)?;
        let mut migrator = Migrator::with_migrations(POSTGRES_MIGRATOR.iter().cloned().collect());
        migrator.dangerous_set_table_name(format!("\"{schema}\"._sqlx_migrations"));
        let migrated = migrator.run(&migrations).await;
        migrations.close().await;
        migrated.map_err(StorageError::backend)?;
        Ok(PostgresStore {
            pool,
            schema: schema.into(),
        })
    }

    /// Connects to the database at `url` for reading only, in the schema `schema`
    /// ([`PostgresStore::DEFAULT_SCHEMA`] for the default): nothing is created or migrated,
    /// and the server refuses writes on the store's connections
    /// (`default_transaction_read_only`). The schema must hold the store's tables at this
    /// version, else the error (inside [`StorageError::Backend`]) is a
    /// [`SchemaError`](crate::SchemaError); [`PostgresStore::connect`] upgrades a schema
    /// written by an earlier version.
    pub async fn connect_read_only(url: &str, schema: &str) -> StorageResult<PostgresStore> {
        check_schema(schema)?;
        let options = PgConnectOptions::from_str(url)
            .map_err(StorageError::backend)?
            .options([("default_transaction_read_only", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await
            .map_err(StorageError::backend)?;
        let store = Self::open_read_only(pool.clone(), schema).await;
        if store.is_err() {
            pool.close().await;
        }
        store
    }

    /// Opens the store in the schema `schema` of the host's pool without creating or
    /// migrating anything: the schema must hold the store's tables at this version (see
    /// [`PostgresStore::connect_read_only`]).
    pub async fn open_read_only(pool: PgPool, schema: &str) -> StorageResult<PostgresStore> {
        check_schema(schema)?;
        let table = format!("\"{schema}\"._sqlx_migrations");
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(&table)
            .fetch_one(&pool)
            .await
            .map_err(StorageError::backend)?;
        let applied: Option<Vec<i64>> = if exists {
            Some(
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT version FROM {table} WHERE success ORDER BY version"
                )))
                .fetch_all(&pool)
                .await
                .map_err(StorageError::backend)?,
            )
        } else {
            None
        };
        SchemaError::check(applied.as_deref(), &POSTGRES_MIGRATOR)
            .map_err(StorageError::backend)?;
        Ok(PostgresStore {
            pool,
            schema: schema.into(),
        })
    }

    /// The connection pool, for hosts that query the store's tables or add their own.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The schema holding the store's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Closes every connection of the pool (waiting for running operations).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Checks a schema name (it is written into SQL, always quoted).
fn check_schema(schema: &str) -> StorageResult<()> {
    let ok = (1..=63).contains(&schema.len())
        && !schema.starts_with(|c: char| c.is_ascii_digit())
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StorageError::invalid(
            "postgres.schema",
            "must be 1 to 63 lowercase ASCII letters, digits or underscores, not starting with a digit",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_checked() {
        for good in ["crm", "crm_test_1", "_x", &"a".repeat(63)] {
            assert!(check_schema(good).is_ok(), "{good}");
        }
        for bad in ["", "1crm", "Crm", "crm-x", "crm\"; drop", &"a".repeat(64)] {
            assert!(check_schema(bad).is_err(), "{bad}");
        }
    }
}
