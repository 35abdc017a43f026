//! A SQLite store implementing every `crm-storage-traits` repository, through `sqlx` with
//! SQLite bundled (nothing to install).
//!
//! ```
//! use chrono::Utc;
//! use crm_core::{Customer, PartyKind, Transaction};
//! use crm_storage_sql::SqliteStore;
//! use crm_storage_traits::{BatchAppend, Repository};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = SqliteStore::open_in_memory().await?;
//! store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
//! let batch = vec![Transaction::new("TX-1".parse()?, 1.into(), Utc::now(), "59.90 EUR".parse()?)];
//! assert_eq!(store.append_batch(&batch).await?.inserted, 1);
//! assert_eq!(store.append_batch(&batch).await?.inserted, 0); // idempotent
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Storage
//!
//! * A file ([`SqliteStore::open`]) or an in-memory database
//!   ([`SqliteStore::open_in_memory`]). Files use WAL mode with `synchronous = NORMAL`
//!   (a commit survives a process crash; a power loss can lose the last commits but never
//!   corrupts), foreign keys on, `secure_delete` on (erased data is overwritten, not just
//!   unlinked), a busy timeout so concurrent writers queue, a page cache of up to 64 MiB
//!   per connection and temporary data in memory (see *Speed*).
//! * The schema is embedded (`migrations/`) and applied on open; a database made by an
//!   earlier version of the crate is upgraded in place, keeping its rows.
//! * Every multi-row write (batch append, reassignment, erasure) runs in one transaction
//!   started with `BEGIN IMMEDIATE`: a crash or kill in the middle leaves the database as it
//!   was before (the crate's `crash_safety` test kills a child process mid-import).
//! * Money is exact decimal text plus the currency code; times are fixed-width UTC text;
//!   no floating-point columns. Transactions are stored column by column (they are the
//!   bulk); the other records keep their full JSON in a `body` column next to indexed
//!   copies of the filtered fields.
//! * The SQL is plain and portable except `instr()` in the tag filter, `INSERT OR FAIL` in
//!   batch appends (PostgreSQL statements never half-apply, so it drops the `OR FAIL`) and
//!   `BEGIN IMMEDIATE`/`PRAGMA`s, which a PostgreSQL backend replaces.
//!
//! # Speed
//!
//! Bulk import through [`BatchAppend::append_batch`](crm_storage_traits::BatchAppend)
//! binds each batch into multi-row `INSERT OR FAIL … ON CONFLICT (id) DO NOTHING`
//! statements of up to 1,000 rows (the prepared statement is cached and reused), in one
//! transaction per batch. The customer keys of interactions, transactions and survey
//! responses are `DEFERRABLE INITIALLY DEFERRED` (checked at commit), and any other failed
//! constraint stops the statement without undoing it (`OR FAIL`); the store rolls the whole
//! transaction back on any error, so a batch stays all-or-nothing, and SQLite keeps no
//! statement journal (a copy of every page each INSERT touches). One INSERT per row instead was slower: each statement's result
//! crosses from `sqlx`'s worker thread to the caller. *Measured speed* below has the
//! figures against the `sqlite3` shell's `.import` and the commands that repeat them.
#![doc = include_str!("../README.md")]

pub mod mapping;
mod store;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crm_storage_traits::{StorageError, StorageResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The embedded schema migrations, applied by every `open`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A SQLite database holding every kind of CRM record. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
            // Temporary data (statement journals of multi-row updates and deletes, sorts)
            // stays in memory instead of temporary files.
            .pragma("temp_store", "MEMORY");
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
        let options = SqliteConnectOptions::from_str("sqlite::memory:").map_err(store::backend)?;
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
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            // An in-memory database lives as long as its connection: keep it.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(store::backend)?;
        MIGRATOR.run(&pool).await.map_err(StorageError::backend)?;
        Ok(SqliteStore { pool })
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
            .map_err(store::backend)?;
        Ok(())
    }

    /// Closes every connection (waiting for running operations).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
