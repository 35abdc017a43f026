//! [`SqliteStore`]: opening a SQLite database.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crm_storage_traits::{StorageError, StorageResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::common::backend;

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
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = crm_storage_sql::SqliteStore::open(dir.path().join("crm.db")).await?;
    /// # let _ = store;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> StorageResult<SqliteStore> {
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
