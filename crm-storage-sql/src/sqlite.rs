//! [`SqliteStore`]: opening a SQLite database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crm_storage_traits::{StorageError, StorageResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::common::backend;
use crate::schema::SchemaError;

/// The embedded SQLite schema migrations, applied by every `SqliteStore::open`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A SQLite database holding every kind of CRM record. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// Rows an import session appends before it may build secondary indexes at the commit.
    pub(crate) defer_indexes_after: u64,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies the migrations.
    ///
    /// A file it creates is readable and writable by its owner only (mode `0600` on Unix;
    /// SQLite gives the write-ahead log's files the database file's mode): it holds
    /// personal data. A host that wants other permissions creates the file first, or opens
    /// it with [`SqliteStore::open_with`].
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = crm_storage_sql::SqliteStore::open(dir.path().join("crm.db")).await?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> StorageResult<SqliteStore> {
        create_private(path.as_ref())?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // A large batch touches many index pages: a page cache of up to 64 MiB per
            // connection (allocated as needed) keeps them in memory until the commit
            // instead of spilling them to the log and reading them back.
            .pragma("cache_size", "-65536")
            // Temporary data (statement journals, sorts larger than the page cache) goes
            // to temporary files, so building an index on a table of any size takes the
            // memory of the page cache, not of the table.
            .pragma("temp_store", "FILE");
        Self::open_with(options, 4).await
    }

    /// Opens the existing database file at `path` for reading only: nothing is created,
    /// migrated or written (a file the user cannot write is fine). The file must hold the
    /// store's schema at this version, else the error (inside
    /// [`StorageError::Backend`]) is a [`SchemaError`](crate::SchemaError): another
    /// application's database or an empty file is not a store, and a file written by an
    /// earlier version must first be opened with [`SqliteStore::open`], which upgrades it.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use crm_storage_sql::{SchemaError, SqliteStore};
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("crm.db");
    /// SqliteStore::open(&path).await?.close().await;
    /// let store = SqliteStore::open_read_only(&path).await?;
    /// # store.close().await;
    ///
    /// std::fs::write(dir.path().join("empty.db"), b"")?;
    /// let e = SqliteStore::open_read_only(dir.path().join("empty.db")).await.unwrap_err();
    /// assert_eq!(SchemaError::of(&e), Some(&SchemaError::NotAStore));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn open_read_only(path: impl AsRef<Path>) -> StorageResult<SqliteStore> {
        // Opened for reading and writing when the file allows it, with every write refused
        // (`query_only`): the last connection to close then removes the write-ahead log's
        // files as a writer does, where a read-only connection would leave them behind.
        // SQLite falls back to reading only when the file cannot be written.
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .pragma("query_only", "ON")
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "FILE")
            .row_buffer_size(4096)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(backend)?;
        let checked = check_schema(&pool).await;
        if let Err(e) = checked {
            pool.close().await;
            return Err(e);
        }
        Ok(SqliteStore {
            pool,
            defer_indexes_after: crate::import::DEFER_INDEXES_AFTER,
        })
    }

    /// Opens a private in-memory database (one connection, gone when the store is
    /// dropped).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let store = crm_storage_sql::SqliteStore::open_in_memory().await?;
    /// # let _ = store;
    /// # Ok::<(), crm_storage_traits::StorageError>(())
    /// # }).unwrap();
    /// ```
    pub async fn open_in_memory() -> StorageResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(backend)?;
        Self::open_with(options, 1).await
    }

    /// Opens a database with the caller's connection options (foreign keys, the busy
    /// timeout and `secure_delete` are switched on whatever they say) and at most
    /// `max_connections` connections. An in-memory database must use one connection.
    ///
    /// ```
    /// use sqlx::sqlite::SqliteConnectOptions;
    /// use std::str::FromStr;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
    /// let store = crm_storage_sql::SqliteStore::open_with(options, 1).await?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn open_with(
        options: SqliteConnectOptions,
        max_connections: u32,
    ) -> StorageResult<SqliteStore> {
        if max_connections == 0 {
            return Err(StorageError::invalid(
                "max_connections",
                "must be at least 1",
            ));
        }
        let options = options
            // Rows cross from SQLite's worker thread to the reader through a buffer: a deep
            // one lets the worker run ahead while the reader takes rows in batches.
            .row_buffer_size(4096)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("secure_delete", "ON");
        // One connection first creates the file and switches it to the journal mode, alone:
        // the pool opens its connections concurrently, and two of them switching a new file
        // to write-ahead logging at once fail with "database is locked".
        if !options.get_filename().as_os_str().is_empty()
            && options.get_filename() != std::path::Path::new(":memory:")
        {
            use sqlx::Connection;
            sqlx::SqliteConnection::connect_with(&options)
                .await
                .map_err(backend)?
                .close()
                .await
                .map_err(backend)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            // An in-memory database lives as long as its connection: keep it.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(StorageError::backend)?;
        Ok(SqliteStore {
            pool,
            defer_indexes_after: crate::import::DEFER_INDEXES_AFTER,
        })
    }

    /// Sets how many rows an import session ([`BulkImport`](crm_storage_traits::BulkImport))
    /// appends before it drops its table's secondary (non-unique) indexes and builds them
    /// again at the commit, which it does when the session also outnumbers the rows the
    /// table held (default 100,000; `u64::MAX` never does). Building an index once is
    /// faster than inserting rows in file order into indexes on other columns; the
    /// indexes are back when the commit returns, and as they were after a rollback.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let store = crm_storage_sql::SqliteStore::open_in_memory().await?.defer_indexes_after(u64::MAX);
    /// # let _ = store;
    /// # Ok::<(), crm_storage_traits::StorageError>(())
    /// # }).unwrap();
    /// ```
    pub fn defer_indexes_after(mut self, rows: u64) -> SqliteStore {
        self.defer_indexes_after = rows;
        self
    }

    /// The connection pool, for hosts that add their own tables beside the store's.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Copies the write-ahead log into the main file and truncates the log.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = crm_storage_sql::SqliteStore::open(dir.path().join("crm.db")).await?;
    /// store.checkpoint().await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn checkpoint(&self) -> StorageResult<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Closes every connection (waiting for running operations).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates the file at `path`, empty and readable by its owner only, unless it exists.
fn create_private(path: &Path) -> StorageResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StorageError::backend(e)),
    }
}

/// Checks that the database holds the store's schema at this version, reading only.
async fn check_schema(pool: &SqlitePool) -> StorageResult<()> {
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    let applied: Option<Vec<i64>> = if has_table {
        Some(
            sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(pool)
            .await
            .map_err(backend)?,
        )
    } else {
        None
    };
    SchemaError::check(applied.as_deref(), &MIGRATOR).map_err(StorageError::backend)
}
