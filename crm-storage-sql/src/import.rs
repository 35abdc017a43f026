//! Import sessions on SQLite: one write transaction (the database's write lock is held
//! from the start), fed chunk by chunk with the multi-row INSERTs of a batch.
//!
//! A large import (at least [`SqliteStore::defer_indexes_after`] rows, and more than the
//! table held)
//! drops the table's secondary indexes inside its transaction and builds them again just
//! before the commit: inserting rows in file order into indexes on other columns touches
//! index pages at random, while building an index sorts once. The unique indexes stay, so
//! duplicates are still skipped as they come. DDL is transactional in SQLite: a rollback,
//! a failed commit or a crash leaves the indexes as they were, and readers keep seeing the
//! committed snapshot with its indexes meanwhile. The table's triggers are dropped with
//! the indexes and created again after them; for transactions, the per-customer purchase
//! summaries they maintain are rebuilt in one pass first.

use std::collections::HashMap;
use std::marker::PhantomData;

use crm_core::Customer;
use crm_storage_traits::{
    BatchReport, BulkImport, ChunkReport, ImportSession, StorageError, StorageResult, async_trait,
    check_batch,
};
use sqlx::{AssertSqlSafe, Sqlite};

use crate::SqliteStore;
use crate::common::{backend, write_error};
use crate::mapping::SqlRecord;
use crate::store::append_in;

/// Ids per lookup of stored records (well under SQLite's parameter limit).
const IDS_PER_LOOKUP: usize = 900;

/// The page cache while deferred indexes are built: 4 MiB (`PRAGMA cache_size` takes
/// negative sizes in KiB).
const BUILD_CACHE_KIB: i64 = -4_096;

/// The default of [`SqliteStore::defer_indexes_after`].
pub(crate) const DEFER_INDEXES_AFTER: u64 = 100_000;

/// An import in progress on a [`SqliteStore`].
struct SqliteImport<R> {
    tx: sqlx::Transaction<'static, Sqlite>,
    failed: bool,
    /// Rows appended so far.
    appended: u64,
    /// The store's [`SqliteStore::defer_indexes_after`].
    defer_after: u64,
    /// Whether the indexes were considered for deferral.
    considered: bool,
    /// The `CREATE INDEX` statements of the secondary indexes dropped for the session.
    deferred: Vec<String>,
    /// The `CREATE TRIGGER` statements of the table's triggers dropped with them (the
    /// purchase summaries' triggers use the indexes; the summaries are rebuilt at the
    /// commit instead of row by row).
    triggers: Vec<String>,
    kind: PhantomData<fn() -> R>,
}

impl<R: SqlRecord> SqliteImport<R> {
    /// Once the session is large (and larger than what the table held), drops the table's
    /// non-unique indexes, keeping their definitions to build them again at the commit.
    async fn maybe_defer_indexes(&mut self) -> StorageResult<()> {
        if self.considered || self.appended < self.defer_after {
            return Ok(());
        }
        self.considered = true;
        let table = R::TABLE;
        // The largest row id bounds the rows stored (deleted rows leave gaps).
        let held: Option<i64> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT max(rowid) FROM {table}")))
                .fetch_one(&mut *self.tx)
                .await
                .map_err(backend)?;
        let before = held.unwrap_or(0).saturating_sub(self.appended as i64);
        if before > self.appended as i64 {
            return Ok(());
        }
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.name, s.sql FROM sqlite_schema AS s \
             JOIN pragma_index_list(?1) AS l ON l.name = s.name \
             WHERE s.type = 'index' AND s.tbl_name = ?1 AND s.sql IS NOT NULL AND l.\"unique\" = 0 \
             ORDER BY s.name",
        )
        .bind(table)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(backend)?;
        let triggers: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_schema \
             WHERE type = 'trigger' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
        )
        .bind(table)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(backend)?;
        for (name, sql) in triggers {
            sqlx::query(AssertSqlSafe(format!("DROP TRIGGER \"{name}\"")))
                .execute(&mut *self.tx)
                .await
                .map_err(backend)?;
            self.triggers.push(sql);
        }
        for (name, sql) in indexes {
            sqlx::query(AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .execute(&mut *self.tx)
                .await
                .map_err(backend)?;
            self.deferred.push(sql);
        }
        Ok(())
    }

    /// Positions of the chunk's records whose id is stored with other content (after the
    /// chunk's own inserts, so a record repeated in the chunk with other content counts).
    async fn conflicts(&mut self, chunk: &[R]) -> StorageResult<Vec<usize>> {
        let mut stored: HashMap<String, R> = HashMap::with_capacity(chunk.len());
        for ids in chunk.chunks(IDS_PER_LOOKUP) {
            let marks = vec!["?"; ids.len()].join(", ");
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "SELECT version, {} FROM {} WHERE id IN ({marks})",
                R::SELECT,
                R::TABLE
            )));
            for r in ids {
                q = q.bind(r.id().to_string());
            }
            for row in q.fetch_all(&mut *self.tx).await.map_err(backend)? {
                let record = R::decode(&row)?;
                stored.insert(record.id().to_string(), record);
            }
        }
        Ok(chunk
            .iter()
            .enumerate()
            .filter(|(_, r)| stored.get(&r.id().to_string()).is_some_and(|s| s != *r))
            .map(|(i, _)| i)
            .collect())
    }

    /// Builds the indexes dropped for the session, with a small page cache: a sort holds
    /// up to the cache's size in memory before it spills to temporary files (on disk with
    /// [`SqliteStore::open`]'s `temp_store`), beside the cache itself.
    async fn build_deferred_indexes(&mut self) -> StorageResult<()> {
        if self.deferred.is_empty() {
            return self.restore_triggers().await;
        }
        let cache_size: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(backend)?;
        let run = |sql: String| sqlx::query(AssertSqlSafe(sql));
        run(format!("PRAGMA cache_size = {BUILD_CACHE_KIB}"))
            .execute(&mut *self.tx)
            .await
            .map_err(backend)?;
        let mut built = Ok(());
        for sql in std::mem::take(&mut self.deferred) {
            built = run(sql).execute(&mut *self.tx).await.map(|_| ());
            if built.is_err() {
                break;
            }
        }
        run(format!("PRAGMA cache_size = {cache_size}"))
            .execute(&mut *self.tx)
            .await
            .map_err(backend)?;
        built.map_err(backend)?;
        self.restore_triggers().await
    }

    /// Rebuilds what the dropped triggers maintain (the purchase summaries, for
    /// transactions) and creates the triggers again.
    async fn restore_triggers(&mut self) -> StorageResult<()> {
        if self.triggers.is_empty() {
            return Ok(());
        }
        if R::TABLE == "transactions" {
            crate::summaries::rebuild_all(&mut self.tx).await?;
        }
        for sql in std::mem::take(&mut self.triggers) {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut *self.tx)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn append_chunk(&mut self, chunk: &[R]) -> StorageResult<ChunkReport> {
        check_batch(chunk)?;
        let inserted = append_in(&mut self.tx, chunk).await?;
        self.appended += chunk.len() as u64;
        self.maybe_defer_indexes().await?;
        let conflicts = if inserted < chunk.len() {
            self.conflicts(chunk).await?
        } else {
            Vec::new()
        };
        Ok(ChunkReport {
            inserted,
            skipped: chunk.len() - inserted,
            conflicts,
        })
    }
}

#[async_trait]
impl<R: SqlRecord> ImportSession<R> for SqliteImport<R> {
    async fn add_customers(&mut self, customers: &[Customer]) -> StorageResult<BatchReport> {
        let result = match check_batch(customers) {
            Ok(()) => append_in(&mut self.tx, customers).await,
            Err(e) => Err(e),
        };
        self.failed |= result.is_err();
        let inserted = result?;
        Ok(BatchReport {
            inserted,
            skipped: customers.len() - inserted,
        })
    }

    async fn append(&mut self, chunk: &[R]) -> StorageResult<ChunkReport> {
        let result = self.append_chunk(chunk).await;
        self.failed |= result.is_err();
        result
    }

    async fn commit(mut self: Box<Self>) -> StorageResult<()> {
        if self.failed {
            let _ = self.tx.rollback().await;
            return Err(StorageError::import_failed());
        }
        self.build_deferred_indexes().await?;
        // Customer keys of the appended kinds are checked here (see migrations/0002); a
        // failed commit leaves the transaction open, and dropping it rolls it back.
        self.tx.commit().await.map_err(write_error::<R>("batch."))
    }

    async fn rollback(self: Box<Self>) -> StorageResult<()> {
        self.tx.rollback().await.map_err(backend)
    }
}

#[async_trait]
impl<R: SqlRecord> BulkImport<R> for SqliteStore {
    async fn begin_import(&self) -> StorageResult<Box<dyn ImportSession<R> + '_>> {
        // The write lock is taken up front, as for a batch: concurrent writers queue on the
        // busy timeout instead of failing when a read lock cannot be upgraded.
        let tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        Ok(Box::new(SqliteImport::<R> {
            tx,
            failed: false,
            appended: 0,
            defer_after: self.defer_indexes_after,
            considered: false,
            deferred: Vec::new(),
            triggers: Vec::new(),
            kind: PhantomData,
        }))
    }
}
