//! Import sessions on PostgreSQL: one transaction; each chunk is copied into a staging table
//! (`COPY … FROM STDIN`) and inserted from there, as a batch is.

use std::marker::PhantomData;

use crm_core::Customer;
use crm_storage_traits::{
    BatchReport, BulkImport, ChunkReport, ImportSession, StorageError, StorageResult, async_trait,
    check_batch,
};
use sqlx::{AssertSqlSafe, Postgres, Row};

use super::PostgresStore;
use super::mapping::PgRecord;
use crate::common::{backend, write_error};

/// An import in progress on a [`PostgresStore`].
struct PgImport<'a, R> {
    store: &'a PostgresStore,
    tx: sqlx::Transaction<'static, Postgres>,
    failed: bool,
    kind: PhantomData<fn() -> R>,
}

impl<R: PgRecord> PgImport<'_, R> {
    /// Copies `chunk` into the staging table of its kind and inserts what is new.
    async fn insert<T: PgRecord>(&mut self, chunk: &[T]) -> StorageResult<usize> {
        check_batch(chunk)?;
        if chunk.is_empty() {
            return Ok(0);
        }
        let staging = format!("crm_import_{}", T::TABLE);
        self.store
            .copy_to_staging(&mut self.tx, &staging, chunk)
            .await?;
        self.store.insert_staged::<T>(&mut self.tx, &staging).await
    }

    /// Positions of staged records whose id is stored with other content.
    async fn conflicts(&mut self) -> StorageResult<Vec<usize>> {
        let staging = format!("crm_import_{}", R::TABLE);
        let stored: Vec<String> = R::COLUMNS.iter().map(|c| format!("t.{c}")).collect();
        let staged: Vec<String> = R::COLUMNS.iter().map(|c| format!("s.{c}")).collect();
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT s.ord FROM {staging} AS s JOIN {} AS t ON t.id = s.id \
             WHERE ({}) IS DISTINCT FROM ({}) ORDER BY s.ord",
            self.store.table::<R>(),
            stored.join(", "),
            staged.join(", ")
        )))
        .persistent(false)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map(|o| o as usize).map_err(backend))
            .collect()
    }

    async fn append_chunk(&mut self, chunk: &[R]) -> StorageResult<ChunkReport> {
        let inserted = self.insert(chunk).await?;
        let conflicts = if inserted < chunk.len() {
            self.conflicts().await?
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
impl<R: PgRecord> ImportSession<R> for PgImport<'_, R>
where
    Customer: PgRecord,
{
    async fn add_customers(&mut self, customers: &[Customer]) -> StorageResult<BatchReport> {
        let result = self.insert(customers).await;
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
            return Err(StorageError::import_failed());
        }
        self.tx.commit().await.map_err(write_error::<R>("batch."))
    }

    async fn rollback(self: Box<Self>) -> StorageResult<()> {
        self.tx.rollback().await.map_err(backend)
    }
}

#[async_trait]
impl<R: PgRecord> BulkImport<R> for PostgresStore
where
    Customer: PgRecord,
{
    async fn begin_import(&self) -> StorageResult<Box<dyn ImportSession<R> + '_>> {
        let tx = self.pool.begin().await.map_err(backend)?;
        Ok(Box::new(PgImport::<R> {
            store: self,
            tx,
            failed: false,
            kind: PhantomData,
        }))
    }
}
