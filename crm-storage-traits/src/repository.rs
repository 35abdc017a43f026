//! The repository traits a store implements.
//!
//! [`Repository<R>`] is the CRUD and listing contract shared by every kind of record;
//! [`BatchAppend`] and [`TimeScan`] add idempotent imports and streaming scans for the
//! event records. The named traits ([`CustomerRepository`], [`TransactionRepository`], ...)
//! bundle them per kind, and [`CrmStore`] bundles everything plus the operations that span
//! repositories (reassignment, erasure).
//!
//! All traits use [`macro@async_trait`], so their futures are `Send` and every trait can be used
//! as `Arc<dyn …>`:
//!
//! ```
//! use std::sync::Arc;
//! use crm_storage_traits::{CrmStore, CustomerRepository, TransactionRepository};
//! fn pick(_: Arc<dyn CrmStore>, _: Arc<dyn CustomerRepository>, _: Arc<dyn TransactionRepository>) {}
//! ```

use async_trait::async_trait;
use crm_core::{
    Customer, CustomerId, Deal, Email, Interaction, Phone, SurveyResponse, Ticket, Transaction,
    UserId,
};
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::error::{StorageError, StorageResult};
use crate::query::{Filter, Page, PageRequest, ScanPosition, TimeRange};
use crate::record::{Record, Versioned};

/// Create, read, update, delete and list records of one kind.
#[async_trait]
pub trait Repository<R: Record>: Send + Sync {
    /// Stores a new record at version 1. The record is checked first ([`Record::check`]);
    /// an existing id is a [`StorageError::Duplicate`] error; a record other than a
    /// customer must name an existing customer (else `Invalid`, field `<entity>.customer`).
    async fn create(&self, record: R) -> StorageResult<Versioned<R>>;

    /// The record with this id, or [`StorageError::NotFound`].
    async fn get(&self, id: &R::Id) -> StorageResult<Versioned<R>>;

    /// Replaces the record with the same id, if its stored version is `expected_version`
    /// (else [`StorageError::Conflict`] and nothing is written); returns it at the next
    /// version.
    async fn update(&self, record: R, expected_version: u64) -> StorageResult<Versioned<R>>;

    /// Deletes the record, if its stored version is `expected_version`. A customer that
    /// other records still refer to cannot be deleted (`Invalid`, field `customer.id`);
    /// erase it with [`CrmStore::erase_customer`] instead.
    async fn delete(&self, id: &R::Id, expected_version: u64) -> StorageResult<()>;

    /// One page of the records passing `filter`, in ascending order of id text (see
    /// [`query`](crate::query) for the order and cursor guarantees).
    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>>;
}

/// What a batch import did.
///
/// ```
/// let r = crm_storage_traits::BatchReport { inserted: 2, skipped: 1 };
/// assert_eq!(r.inserted + r.skipped, 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Records added.
    pub inserted: usize,
    /// Records whose id was already stored (or repeated in the batch): left as they were.
    pub skipped: usize,
}

/// Idempotent, all-or-nothing batch imports keyed by the records' ids (the host's own
/// keys).
#[async_trait]
pub trait BatchAppend<R: Record>: Repository<R> {
    /// Adds every record whose id is not stored yet, at version 1, in one atomic step.
    ///
    /// Every record is checked before anything is written: an invalid record fails the
    /// whole batch with an `Invalid` error whose field starts with `batch[i]`. A record whose
    /// id is stored already (or appeared earlier in the batch) is skipped, so importing the
    /// same batch twice adds nothing. If anything fails, nothing of the batch is written.
    async fn append_batch(&self, batch: &[R]) -> StorageResult<BatchReport>;
}

/// Time-ordered scans in bounded memory.
#[async_trait]
pub trait TimeScan<R: Record>: Repository<R> {
    /// Up to `limit` records with [`time`](Record::time) in `range`, in ascending order of
    /// (time, id text), strictly after `after`.
    async fn scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> StorageResult<Vec<R>>;
}

/// Streams the records in `range` as pages of at most `page_size` records, fetching one
/// page at a time, in ascending order of (time, id text).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind, Transaction};
/// use crm_storage_traits::{MemoryStore, scan, BatchAppend, Repository, TimeRange};
/// use futures::StreamExt;
///
/// # tokio_test(async {
/// let store = MemoryStore::new();
/// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
/// let txs: Vec<Transaction> = (0..5)
///     .map(|i| Transaction::new(i.into(), 1.into(), Utc::now(), "1 EUR".parse().unwrap()))
///     .collect();
/// store.append_batch(&txs).await?;
/// let pages: Vec<_> = scan::<Transaction, _>(&store, TimeRange::all(), 2).collect().await;
/// assert_eq!(pages.len(), 3); // 2 + 2 + 1
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// # fn tokio_test<F: std::future::Future>(f: F) -> F::Output { futures::executor::block_on(f) }
/// ```
pub fn scan<'a, R, S>(
    store: &'a S,
    range: TimeRange,
    page_size: u32,
) -> BoxStream<'a, StorageResult<Vec<R>>>
where
    R: Record,
    S: TimeScan<R> + ?Sized,
{
    struct State {
        after: Option<ScanPosition>,
        done: bool,
    }
    let state = State {
        after: None,
        done: false,
    };
    stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        match store.scan_page(range, state.after.take(), page_size).await {
            Ok(page) if page.is_empty() => None,
            Ok(page) => {
                state.done = page.len() < page_size as usize;
                let last = page.last().expect("page is not empty");
                state.after = Some(ScanPosition {
                    time: last.time(),
                    id: last.id().to_string(),
                });
                Some((Ok(page), state))
            }
            Err(e) => {
                state.done = true;
                Some((Err(e), state))
            }
        }
    })
    .boxed()
}

/// Customers, with look-ups by normalized contact points.
#[async_trait]
pub trait CustomerRepository: Repository<Customer> {
    /// The customers with this (normalized) e-mail address, in ascending order of id text.
    async fn find_by_email(&self, email: &Email) -> StorageResult<Vec<Versioned<Customer>>>;

    /// The customers with this (E.164) phone number, in ascending order of id text.
    async fn find_by_phone(&self, phone: &Phone) -> StorageResult<Vec<Versioned<Customer>>>;
}

/// Interactions, with idempotent batch import.
pub trait InteractionRepository: Repository<Interaction> + BatchAppend<Interaction> {}
impl<T> InteractionRepository for T where T: Repository<Interaction> + BatchAppend<Interaction> {}

/// Tickets.
pub trait TicketRepository: Repository<Ticket> {}
impl<T> TicketRepository for T where T: Repository<Ticket> {}

/// Deals.
pub trait DealRepository: Repository<Deal> {}
impl<T> DealRepository for T where T: Repository<Deal> {}

/// Transactions, with idempotent batch import and streaming scans.
pub trait TransactionRepository:
    Repository<Transaction> + BatchAppend<Transaction> + TimeScan<Transaction>
{
    /// Streams the transactions in `range` page by page (see [`scan`]).
    fn scan_transactions(
        &self,
        range: TimeRange,
        page_size: u32,
    ) -> BoxStream<'_, StorageResult<Vec<Transaction>>> {
        scan::<Transaction, Self>(self, range, page_size)
    }
}
impl<T> TransactionRepository for T where
    T: Repository<Transaction> + BatchAppend<Transaction> + TimeScan<Transaction>
{
}

/// Survey responses, with idempotent batch import and streaming scans.
pub trait SurveyRepository:
    Repository<SurveyResponse> + BatchAppend<SurveyResponse> + TimeScan<SurveyResponse>
{
    /// Streams the survey responses in `range` page by page (see [`scan`]).
    fn scan_survey_responses(
        &self,
        range: TimeRange,
        page_size: u32,
    ) -> BoxStream<'_, StorageResult<Vec<SurveyResponse>>> {
        scan::<SurveyResponse, Self>(self, range, page_size)
    }
}
impl<T> SurveyRepository for T where
    T: Repository<SurveyResponse> + BatchAppend<SurveyResponse> + TimeScan<SurveyResponse>
{
}

/// What a reassignment changed: records moved to the new owner (each got a new version).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReassignReport {
    /// Customers whose owner changed.
    pub customers: usize,
    /// Open deals whose owner changed.
    pub deals: usize,
    /// Open tickets whose assignee changed.
    pub tickets: usize,
}

/// How to erase a customer.
///
/// ```
/// use crm_storage_traits::Erasure;
/// let e = Erasure::KeepAnonymizedAggregates { pseudonym: "ERASED-1".parse()? };
/// assert!(matches!(Erasure::default(), Erasure::DeleteEverything));
/// # let _ = e;
/// # Ok::<(), crm_core::IdError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Erasure {
    /// Delete the customer and every record about them.
    #[default]
    DeleteEverything,
    /// Delete the customer; keep their transactions, survey scores, interactions, tickets
    /// and deals with every personal field removed, under a new customer id `pseudonym`
    /// (which must not exist yet and must not be derivable from the old id: use a random
    /// UUID). A placeholder customer named `erased` is stored under the pseudonym, so
    /// per-customer aggregates (amounts, timestamps, scores) stay correct.
    KeepAnonymizedAggregates {
        /// The customer id the kept records move to.
        pseudonym: CustomerId,
    },
}

/// What an erasure removed or anonymized, per kind of record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureCounts {
    /// Records deleted.
    pub deleted: usize,
    /// Records kept with personal data removed.
    pub anonymized: usize,
}

/// The report of a [`CrmStore::erase_customer`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReport {
    /// The erased customer.
    pub customer: Option<CustomerId>,
    /// The pseudonym the kept records now carry, if any were kept.
    pub pseudonym: Option<CustomerId>,
    /// Interactions.
    pub interactions: ErasureCounts,
    /// Tickets.
    pub tickets: ErasureCounts,
    /// Deals.
    pub deals: ErasureCounts,
    /// Transactions.
    pub transactions: ErasureCounts,
    /// Survey responses.
    pub survey_responses: ErasureCounts,
}

/// Every repository, plus the operations that span them.
#[async_trait]
pub trait CrmStore:
    CustomerRepository
    + InteractionRepository
    + TicketRepository
    + DealRepository
    + TransactionRepository
    + SurveyRepository
{
    /// Moves every customer, open deal and open ticket of `from` to `to`, atomically
    /// (each moved record gets a new version). Reassigning to the same user is `Invalid`
    /// (field `reassign.to`).
    async fn reassign_owner(&self, from: &UserId, to: &UserId) -> StorageResult<ReassignReport>;

    /// Erases a customer (right to erasure), atomically: the customer record and every
    /// personal field about them in every repository are removed (see [`Erasure`]).
    /// A customer that does not exist is [`StorageError::NotFound`].
    async fn erase_customer(
        &self,
        customer: &CustomerId,
        how: &Erasure,
    ) -> StorageResult<ErasureReport>;
}

/// Checks a reassignment's arguments (shared by the stores).
pub fn check_reassign(from: &UserId, to: &UserId) -> StorageResult<()> {
    if from == to {
        return Err(StorageError::invalid(
            "reassign.to",
            "is the same user as reassign.from",
        ));
    }
    Ok(())
}
