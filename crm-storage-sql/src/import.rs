//! Import sessions on SQLite: one write transaction (the database's write lock is held
//! from the start), fed chunk by chunk with the multi-row INSERTs of a batch.

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

/// An import in progress on a [`SqliteStore`].
struct SqliteImport<R> {
    tx: sqlx::Transaction<'static, Sqlite>,
    failed: bool,
    kind: PhantomData<fn() -> R>,
}

impl<R: SqlRecord> SqliteImport<R> {
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

    async fn append_chunk(&mut self, chunk: &[R]) -> StorageResult<ChunkReport> {
        check_batch(chunk)?;
        let inserted = append_in(&mut self.tx, chunk).await?;
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

    async fn commit(self: Box<Self>) -> StorageResult<()> {
        if self.failed {
            let _ = self.tx.rollback().await;
            return Err(StorageError::invalid(
                "import",
                "a chunk failed: the import can only be rolled back",
            ));
        }
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
            kind: PhantomData,
        }))
    }
}
