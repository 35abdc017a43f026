//! Imports of any length in one transaction: [`BulkImport`] opens an [`ImportSession`], the
//! caller feeds it chunks as it reads them, and nothing is visible until
//! [`commit`](ImportSession::commit).
//!
//! A batch ([`BatchAppend`]) must be held in memory whole; a session takes the same records
//! a chunk at a time, so an importer's memory does not grow with its file, and still writes
//! all or nothing: dropping a session (or [`rollback`](ImportSession::rollback)) undoes
//! every chunk, as does a failed commit.

use crm_core::Customer;
use serde::{Deserialize, Serialize};

use crate::batch::BatchReport;
use crate::error::StorageResult;
use crate::record::Record;
use crate::repository::BatchAppend;

/// What one chunk of an import did.
///
/// ```
/// let r = crm_storage_traits::ChunkReport { inserted: 2, skipped: 1, conflicts: vec![] };
/// assert_eq!(r.inserted + r.skipped, 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkReport {
    /// Records added.
    pub inserted: usize,
    /// Records whose id was stored already (before the session or earlier in it), left as
    /// they were; [`conflicts`](ChunkReport::conflicts) lists those among them whose stored
    /// content differs.
    pub skipped: usize,
    /// Positions in the chunk of skipped records whose id is stored with *different*
    /// content (in ascending order). The session leaves the stored record alone; an
    /// importer that treats such a row as an error rolls the session back.
    pub conflicts: Vec<usize>,
}

/// One import in progress: a transaction fed in chunks (see [`BulkImport`]).
///
/// After an error the session can only be rolled back (dropping it does that too): a commit
/// after a failed chunk is refused.
#[async_trait::async_trait]
pub trait ImportSession<R: Record>: Send {
    /// Adds the customers whose id is not stored yet (a stored customer is left as it is);
    /// records of the session may refer to them. The report counts the customers added.
    async fn add_customers(&mut self, customers: &[Customer]) -> StorageResult<BatchReport>;

    /// Adds the records of a chunk whose id is not stored yet, at version 1.
    ///
    /// Every record is checked first ([`Record::check`]): an invalid one fails the chunk
    /// with an `Invalid` error whose field starts with `batch[i]` (its position in the
    /// chunk). A record whose customer is neither stored nor added in this session fails
    /// the chunk or the commit. Records stored already are skipped and, when their content
    /// differs, listed in [`ChunkReport::conflicts`].
    async fn append(&mut self, chunk: &[R]) -> StorageResult<ChunkReport>;

    /// Makes every chunk visible at once. On an error nothing of the session is written.
    async fn commit(self: Box<Self>) -> StorageResult<()>;

    /// Undoes every chunk of the session.
    async fn rollback(self: Box<Self>) -> StorageResult<()>;
}

/// Stores that take imports of any length in one transaction.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind, Transaction};
/// use crm_storage_traits::{BulkImport, MemoryStore, Repository, TimeRange, TimeScan};
///
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let mut session = BulkImport::<Transaction>::begin_import(&store).await?;
/// session.add_customers(&[Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?]).await?;
/// for chunk in [[1, 2], [3, 4]] {
///     let chunk: Vec<Transaction> = chunk
///         .iter()
///         .map(|&i| Transaction::new(i.into(), 1.into(), Utc::now(), "5 EUR".parse().unwrap()))
///         .collect();
///     assert_eq!(session.append(&chunk).await?.inserted, 2);
/// }
/// // Nothing is visible before the commit.
/// assert!(TimeScan::<Transaction>::scan_page(&store, TimeRange::all(), None, 10).await?.is_empty());
/// session.commit().await?;
/// assert_eq!(TimeScan::<Transaction>::scan_page(&store, TimeRange::all(), None, 10).await?.len(), 4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait::async_trait]
pub trait BulkImport<R: Record>: BatchAppend<R> + BatchAppend<Customer> {
    /// Starts an import. While it is open, other writers of the same store may wait for it
    /// (SQLite holds its write lock) or for its rows (PostgreSQL, on the same ids).
    async fn begin_import(&self) -> StorageResult<Box<dyn ImportSession<R> + '_>>;
}
