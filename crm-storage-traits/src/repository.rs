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

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crm_core::{
    Customer, CustomerId, Deal, Email, FieldRules, Interaction, LoyaltyEvent, Phone,
    SurveyResponse, Ticket, Transaction, UserId,
};
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::batch::BatchReport;
use crate::campaigns::CampaignRepository;
use crate::error::{StorageError, StorageResult};
use crate::purchases::PurchaseFold;
use crate::query::{Filter, MAX_PAGE_LIMIT, Page, PageRequest, ScanPosition, TimeRange};
use crate::record::{Record, Versioned, check_time};
use crm_core::{PurchaseSummary, PurchaseTotals};

/// Create, read, update, delete and list records of one kind.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind};
/// use crm_storage_traits::{Filter, MemoryStore, PageRequest, Repository, StorageError};
///
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let ann = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?;
/// assert_eq!(store.create(ann.clone()).await?.version, 1);
/// // Changes name the version they are based on.
/// let mut renamed = ann.clone();
/// renamed.name = "Ann B.".to_string().into();
/// assert_eq!(store.update(renamed, 1).await?.version, 2);
/// let page = Repository::<Customer>::list(&store, &Filter::default(), &PageRequest::first(10)).await?;
/// assert_eq!(page.items.len(), 1);
/// Repository::<Customer>::delete(&store, &ann.id, 2).await?;
/// assert!(matches!(
///     Repository::<Customer>::get(&store, &ann.id).await,
///     Err(StorageError::NotFound { .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
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
    /// [`Cursor`](crate::Cursor) for the order and cursor guarantees).
    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>>;
}

/// Idempotent, all-or-nothing batch imports keyed by the records' ids (the host's own
/// keys).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind, Transaction};
/// use crm_storage_traits::{BatchAppend, MemoryStore, Repository};
///
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
/// let batch: Vec<Transaction> = (0..3)
///     .map(|i| Transaction::new(i.into(), 1.into(), Utc::now(), "5 EUR".parse().unwrap()))
///     .collect();
/// assert_eq!(store.append_batch(&batch).await?.inserted, 3);
/// // Importing the same batch again adds nothing.
/// let again = store.append_batch(&batch).await?;
/// assert_eq!((again.inserted, again.skipped), (0, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
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

/// Checks every record of a batch ([`Record::check`]) before anything is written; an error
/// names the record's position (`batch[3].transaction.quantity`). Stores call it first in
/// [`BatchAppend::append_batch`].
///
/// ```
/// use chrono::Utc;
/// use crm_core::Transaction;
/// use rust_decimal::Decimal;
/// let mut bad = Transaction::new(1.into(), 1.into(), Utc::now(), "5 EUR".parse().unwrap());
/// bad.quantity = Decimal::NEGATIVE_ONE;
/// let err = crm_storage_traits::check_batch(&[bad]).unwrap_err();
/// assert!(err.to_string().starts_with("batch[0].transaction.quantity"));
/// ```
pub fn check_batch<R: Record>(batch: &[R]) -> StorageResult<()> {
    for (i, record) in batch.iter().enumerate() {
        record
            .check()
            .map_err(|e| e.within(&format!("batch[{i}]")))?;
    }
    Ok(())
}

/// Time-ordered scans in bounded memory.
///
/// A store implements [`fetch_scan_page`](TimeScan::fetch_scan_page); callers use
/// [`scan_page`](TimeScan::scan_page) (which checks the limit first) or the [`scan`]
/// stream.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Customer, PartyKind, Transaction};
/// use crm_storage_traits::{BatchAppend, MemoryStore, Record, Repository, ScanPosition, TimeRange, TimeScan};
///
/// # futures::executor::block_on(async {
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let store = MemoryStore::new();
/// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", t0)?).await?;
/// let batch: Vec<Transaction> = (0..5)
///     .map(|i| Transaction::new(i.into(), 1.into(), t0 + Duration::days(i), "5 EUR".parse().unwrap()))
///     .collect();
/// store.append_batch(&batch).await?;
/// let first: Vec<Transaction> = store.scan_page(TimeRange::all(), None, 2).await?;
/// let last = first.last().unwrap();
/// let after = ScanPosition { time: last.time(), id: last.id().to_string() };
/// let next: Vec<Transaction> = store.scan_page(TimeRange::all(), Some(after), 2).await?;
/// assert_eq!(next[0].id, batch[2].id);
/// // A page of nothing is a mistake, not an empty answer.
/// assert!(TimeScan::<Transaction>::scan_page(&store, TimeRange::all(), None, 0).await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait TimeScan<R: Record>: Repository<R> {
    /// Up to `limit` records with [`time`](Record::time) in `range`, in ascending order of
    /// (time, id text), strictly after `after`. A limit of 0 is `Invalid` (field
    /// `scan.limit`).
    async fn scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: u32,
    ) -> StorageResult<Vec<R>> {
        let limit = NonZeroU32::new(limit)
            .ok_or_else(|| StorageError::invalid("scan.limit", "must be at least 1"))?;
        self.fetch_scan_page(range, after, limit).await
    }

    /// What [`scan_page`](TimeScan::scan_page) returns, once the limit is checked: the
    /// method a store implements.
    async fn fetch_scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: NonZeroU32,
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
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, Email, PartyKind};
/// use crm_storage_traits::{CustomerRepository, MemoryStore, Repository};
///
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let mut ann = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?;
/// ann.email = Some(Email::parse("Ann@Example.com")?);
/// store.create(ann).await?;
/// // Addresses are normalized on parsing, so any spelling finds her.
/// let found = store.find_by_email(&Email::parse("ann@EXAMPLE.com")?).await?;
/// assert_eq!(found[0].record.name.expose(), "Ann");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait CustomerRepository: Repository<Customer> {
    /// The customers with this (normalized) e-mail address, in ascending order of id text.
    async fn find_by_email(&self, email: &Email) -> StorageResult<Vec<Versioned<Customer>>>;

    /// The customers with this (E.164) phone number, in ascending order of id text.
    async fn find_by_phone(&self, phone: &Phone) -> StorageResult<Vec<Versioned<Customer>>>;
}

/// Declares a per-kind trait bundling the given repository traits, with a blanket
/// implementation for every store implementing them, plus any provided methods.
macro_rules! bundle {
    (
        $(#[$meta:meta])*
        $name:ident: $first:ident<$kind:ty> $(+ $more:ident<$k:ty>)* { $($body:tt)* }
    ) => {
        $(#[$meta])*
        pub trait $name: $first<$kind> $(+ $more<$k>)* { $($body)* }
        impl<T> $name for T where T: $first<$kind> $(+ $more<$k>)* {}
    };
}

bundle! {
    /// Interactions, with idempotent batch import.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Customer, Direction, Interaction, PartyKind};
    /// use crm_storage_traits::{InteractionRepository, MemoryStore, Repository};
    ///
    /// async fn log_calls(store: &dyn InteractionRepository, calls: &[Interaction]) -> usize {
    ///     store.append_batch(calls).await.map(|r| r.inserted).unwrap_or(0)
    /// }
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
    /// let call = Interaction::new(1.into(), 1.into(), Channel::Phone, Direction::Inbound, Utc::now());
    /// assert_eq!(log_calls(&store, &[call.clone(), call]).await, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    InteractionRepository: Repository<Interaction> + BatchAppend<Interaction> {}
}

bundle! {
    /// Tickets.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Customer, PartyKind, Ticket, TicketCategory, TicketStatus};
    /// use crm_storage_traits::{Filter, MemoryStore, Repository, Status, TicketRepository};
    ///
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
    /// let tickets: &dyn TicketRepository = &store;
    /// tickets.create(Ticket::new(1.into(), 1.into(), TicketCategory::Question, Channel::Email, Utc::now())).await?;
    /// let new = Filter { status: Some(Status::Ticket(TicketStatus::New)), ..Filter::default() };
    /// assert_eq!(tickets.list(&new, &Default::default()).await?.items.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    TicketRepository: Repository<Ticket> {}
}

bundle! {
    /// Deals.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Customer, Deal, DealStage, PartyKind};
    /// use crm_storage_traits::{DealRepository, MemoryStore, Repository};
    ///
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
    /// let deals: &dyn DealRepository = &store;
    /// let deal = Deal::new(1.into(), 1.into(), "Renewal", "1200 EUR".parse()?, Utc::now())?;
    /// let stored = deals.create(deal).await?;
    /// let mut won = stored.record.clone();
    /// won.stage = DealStage::Won;
    /// won.closed_at = Some(Utc::now());
    /// assert_eq!(deals.update(won, stored.version).await?.version, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    DealRepository: Repository<Deal> {}
}

bundle! {
    /// Transactions, with idempotent batch import and streaming scans.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Customer, PartyKind, Transaction};
    /// use crm_storage_traits::{BatchAppend, MemoryStore, Repository, TimeRange, TransactionRepository};
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
    /// let txs: Vec<Transaction> = (0..10)
    ///     .map(|i| Transaction::new(i.into(), 1.into(), Utc::now(), "2.50 EUR".parse().unwrap()))
    ///     .collect();
    /// store.append_batch(&txs).await?;
    /// // Pages of at most 4 records, fetched one at a time.
    /// let pages: Vec<Vec<Transaction>> = store.scan_transactions(TimeRange::all(), 4).try_collect().await?;
    /// assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    TransactionRepository:
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
}

bundle! {
    /// Survey responses, with idempotent batch import and streaming scans.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Customer, PartyKind, SurveyResponse, SurveyScore};
    /// use crm_storage_traits::{BatchAppend, MemoryStore, Repository, SurveyRepository, TimeRange};
    /// use futures::TryStreamExt;
    ///
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?).await?;
    /// let answer = SurveyResponse::new(1.into(), 1.into(), Utc::now(), SurveyScore::nps(9)?)?;
    /// store.append_batch(&[answer]).await?;
    /// let pages: Vec<Vec<SurveyResponse>> = store.scan_survey_responses(TimeRange::all(), 100).try_collect().await?;
    /// assert_eq!(pages.concat()[0].score.value(), 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    SurveyRepository:
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
}

/// Every record of kind `R` passing `filter`, read page by page through
/// [`Repository::list`] (in ascending order of id text).
async fn list_all<R: Record, S: Repository<R> + ?Sized>(
    store: &S,
    filter: &Filter,
) -> StorageResult<Vec<R>> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(MAX_PAGE_LIMIT);
    loop {
        let got = store.list(filter, &page).await?;
        out.extend(got.items.into_iter().map(|v| v.record));
        match got.next {
            Some(next) => page.after = Some(next),
            None => return Ok(out),
        }
    }
}

/// Loyalty-programme events ([`LoyaltyEvent`]), with idempotent batch import by event id
/// (all or nothing, like transactions), streaming scans over a time range, one member's
/// events in time order, and counts.
///
/// Implemented for every store that implements the generic traits for [`LoyaltyEvent`].
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Customer, LoyaltyEvent, LoyaltyEventKind, PartyKind};
/// use crm_storage_traits::{BatchAppend, Filter, LoyaltyRepository, MemoryStore, Repository, TimeRange};
///
/// # futures::executor::block_on(async {
/// let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 9, 0, 0).unwrap();
/// let store = MemoryStore::new();
/// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", t0)?).await?;
/// let earn = LoyaltyEvent::new("L-2".parse()?, 1.into(), LoyaltyEventKind::Earn, t0 + Duration::days(1), 120);
/// let redeem = LoyaltyEvent::new("L-1".parse()?, 1.into(), LoyaltyEventKind::Redeem, t0 + Duration::days(2), -50);
/// let batch = [earn, redeem];
/// assert_eq!(store.append_batch(&batch).await?.inserted, 2);
/// assert_eq!(store.append_batch(&batch).await?.skipped, 2);
/// // One member's events in time order (not id order).
/// let ann = store.customer_loyalty_events(&1.into(), TimeRange::all()).await?;
/// assert_eq!(ann.iter().map(|e| e.points).sum::<i64>(), 70);
/// assert_eq!(ann[0].id.to_string(), "L-2");
/// assert_eq!(store.count_loyalty_events(&Filter::default()).await?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait LoyaltyRepository:
    Repository<LoyaltyEvent> + BatchAppend<LoyaltyEvent> + TimeScan<LoyaltyEvent>
{
    /// Streams the loyalty events in `range` page by page, in ascending order of (time, id
    /// text) (see [`scan`]).
    fn scan_loyalty_events(
        &self,
        range: TimeRange,
        page_size: u32,
    ) -> BoxStream<'_, StorageResult<Vec<LoyaltyEvent>>> {
        scan::<LoyaltyEvent, Self>(self, range, page_size)
    }

    /// The events of one customer with [`time`](Record::time) in `range`, in ascending
    /// order of (time, id text). A customer without events, or not stored, has none (an
    /// empty list, as a listing filtered by an unknown customer is empty).
    async fn customer_loyalty_events(
        &self,
        customer: &CustomerId,
        range: TimeRange,
    ) -> StorageResult<Vec<LoyaltyEvent>> {
        let filter = Filter {
            customer: Some(customer.clone()),
            time: Some(range),
            ..Filter::default()
        };
        let mut events = list_all::<LoyaltyEvent, Self>(self, &filter).await?;
        events.sort_by_cached_key(|e| (e.occurred_at, e.id.to_string()));
        Ok(events)
    }

    /// How many loyalty events pass `filter` (a customer, a time range).
    async fn count_loyalty_events(&self, filter: &Filter) -> StorageResult<u64> {
        let mut n = 0u64;
        let mut page = PageRequest::first(MAX_PAGE_LIMIT);
        loop {
            let got = Repository::<LoyaltyEvent>::list(self, filter, &page).await?;
            n += got.items.len() as u64;
            match got.next {
                Some(next) => page.after = Some(next),
                None => return Ok(n),
            }
        }
    }
}

impl<T> LoyaltyRepository for T where
    T: Repository<LoyaltyEvent> + BatchAppend<LoyaltyEvent> + TimeScan<LoyaltyEvent> + ?Sized
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
    /// Delete the customer; keep their transactions, survey scores, interactions, tickets,
    /// deals, loyalty events and campaign memberships with every personal field removed,
    /// under a new customer id `pseudonym` (which must not exist yet and must not be
    /// derivable from the old id: use a random UUID). A placeholder customer named `erased` is stored under the pseudonym, so
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
    /// Loyalty events (kept ones lose their free-text reason).
    pub loyalty_events: ErasureCounts,
    /// Campaign memberships (kept ones move to the pseudonym; they hold no free text).
    #[serde(default)]
    pub campaign_members: ErasureCounts,
    /// Merge entries of ids merged into the customer ([`CrmStore::merge_customers`]),
    /// removed: the merged ids are the person's data too.
    #[serde(default)]
    pub merged_ids: usize,
}

/// Who merged customers, and when: recorded with every merged id.
///
/// ```
/// use chrono::Utc;
/// use crm_storage_traits::MergeStamp;
/// let stamp = MergeStamp { by: Some("alice".parse()?), at: Utc::now() };
/// # let _ = stamp;
/// # Ok::<(), crm_core::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeStamp {
    /// The user who merged, if known.
    pub by: Option<UserId>,
    /// When (also the survivor's new `updated_at`, unless a record is newer).
    pub at: DateTime<Utc>,
}

/// A customer id merged into another ([`CrmStore::merged_into`]): imports naming `merged`
/// mean `survivor`.
///
/// ```
/// use chrono::Utc;
/// use crm_storage_traits::MergeEntry;
/// let e = MergeEntry { merged: 2.into(), survivor: 1.into(), merged_by: None, merged_at: Utc::now() };
/// assert_ne!(e.merged, e.survivor);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeEntry {
    /// The id that no longer exists.
    pub merged: CustomerId,
    /// The customer it now is (followed through later merges: always an existing
    /// customer).
    pub survivor: CustomerId,
    /// Who merged it.
    pub merged_by: Option<UserId>,
    /// When.
    pub merged_at: DateTime<Utc>,
}

/// What a [`CrmStore::merge_customers`] did.
///
/// ```
/// let r = crm_storage_traits::MergeReport::default();
/// assert_eq!(r.moved(), 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeReport {
    /// The surviving customer.
    pub survivor: Option<CustomerId>,
    /// Its version after the merge.
    pub version: u64,
    /// The ids merged into it (deleted), in the order given.
    pub merged: Vec<CustomerId>,
    /// Interactions moved to the survivor.
    pub interactions: usize,
    /// Tickets moved.
    pub tickets: usize,
    /// Deals moved.
    pub deals: usize,
    /// Transactions moved.
    pub transactions: usize,
    /// Survey responses moved.
    pub survey_responses: usize,
    /// Loyalty events moved.
    pub loyalty_events: usize,
    /// Campaign memberships moved (a duplicate's membership of a campaign the survivor is
    /// already in is dropped, not counted).
    #[serde(default)]
    pub campaign_members: usize,
    /// Other customers whose account or parent account named a merged id and now name
    /// the survivor.
    pub linked_customers: usize,
    /// Earlier merge entries that named a merged id as survivor and now name this one.
    pub earlier_merges: usize,
}

impl MergeReport {
    /// Records of every kind moved to the survivor.
    pub fn moved(&self) -> usize {
        self.interactions
            + self.tickets
            + self.deals
            + self.transactions
            + self.survey_responses
            + self.loyalty_events
            + self.campaign_members
    }
}

/// Checks a merge's arguments before anything is read (shared by the stores): at least one
/// duplicate, none the survivor, none named twice (`Invalid`, field `merge.duplicates`); an
/// expected version for the survivor and every duplicate and for nothing else (field
/// `merge.expected_versions`); a time the store keeps (field `merge.at`).
///
/// ```
/// use std::collections::BTreeMap;
/// use chrono::Utc;
/// use crm_storage_traits::{MergeStamp, check_merge};
/// let stamp = MergeStamp { by: None, at: Utc::now() };
/// let versions = BTreeMap::from([(1.into(), 1), (2.into(), 3)]);
/// assert!(check_merge(&1.into(), &[2.into()], &versions, &stamp).is_ok());
/// let err = check_merge(&1.into(), &[2.into(), 3.into()], &versions, &stamp).unwrap_err();
/// assert_eq!(err.to_string(), "merge.expected_versions: no expected version for customer 3");
/// ```
pub fn check_merge(
    survivor: &CustomerId,
    duplicates: &[CustomerId],
    expected_versions: &BTreeMap<CustomerId, u64>,
    stamp: &MergeStamp,
) -> StorageResult<()> {
    crm_core::check_merge_ids(survivor, duplicates).map_err(|e| {
        let text = e.to_string();
        let reason = text.strip_prefix("merge.duplicates: ").unwrap_or(&text);
        StorageError::invalid("merge.duplicates", reason)
    })?;
    let members: BTreeSet<&CustomerId> = std::iter::once(survivor).chain(duplicates).collect();
    for id in &members {
        if !expected_versions.contains_key(*id) {
            return Err(StorageError::invalid(
                "merge.expected_versions",
                format!("no expected version for customer {id}"),
            ));
        }
    }
    if let Some(extra) = expected_versions.keys().find(|id| !members.contains(id)) {
        return Err(StorageError::invalid(
            "merge.expected_versions",
            format!("customer {extra} is not part of the merge"),
        ));
    }
    check_time("merge.at", stamp.at)
}

/// One group of customers to merge: the survivor, the duplicates merged into it, and the
/// version the caller read of each ([`CrmStore::merge_customer_groups`]).
///
/// ```
/// use std::collections::BTreeMap;
/// use crm_storage_traits::CustomerMerge;
/// let group = CustomerMerge {
///     survivor: 1.into(),
///     duplicates: vec![2.into()],
///     expected_versions: BTreeMap::from([(1.into(), 1), (2.into(), 4)]),
/// };
/// # let _ = group;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMerge {
    /// The customer that stays.
    pub survivor: CustomerId,
    /// The customers merged into it and deleted.
    pub duplicates: Vec<CustomerId>,
    /// The version read of the survivor and of every duplicate.
    pub expected_versions: BTreeMap<CustomerId, u64>,
}

/// Checks the arguments of several merges done together: each group as [`check_merge`]
/// (errors prefixed with `groups[i]`), and no customer in two groups (`Invalid`, field
/// `groups[i].duplicates`).
///
/// ```
/// use std::collections::BTreeMap;
/// use chrono::Utc;
/// use crm_storage_traits::{CustomerMerge, MergeStamp, check_merges};
/// let group = |s: i64, d: i64| CustomerMerge {
///     survivor: s.into(),
///     duplicates: vec![d.into()],
///     expected_versions: BTreeMap::from([(s.into(), 1), (d.into(), 1)]),
/// };
/// let stamp = MergeStamp { by: None, at: Utc::now() };
/// assert!(check_merges(&[group(1, 2), group(3, 4)], &stamp).is_ok());
/// let err = check_merges(&[group(1, 2), group(2, 5)], &stamp).unwrap_err();
/// assert_eq!(err.to_string(), "groups[1].duplicates: customer 2 is in an earlier group too");
/// ```
pub fn check_merges(groups: &[CustomerMerge], stamp: &MergeStamp) -> StorageResult<()> {
    let mut seen = BTreeSet::new();
    for (i, g) in groups.iter().enumerate() {
        let at = format!("groups[{i}]");
        check_merge(&g.survivor, &g.duplicates, &g.expected_versions, stamp)
            .map_err(|e| e.within(&at))?;
        for id in std::iter::once(&g.survivor).chain(&g.duplicates) {
            if !seen.insert(id) {
                return Err(StorageError::invalid(
                    format!("{at}.duplicates"),
                    format!("customer {id} is in an earlier group too"),
                ));
            }
        }
    }
    Ok(())
}

/// The survivor as a merge leaves it (shared by the stores, called once the customers are
/// read in the merge's transaction): checks every stored version against the expected one
/// (survivor first, then the duplicates in order; [`StorageError::Conflict`] on the first
/// that moved on) and folds the duplicates in by `rules` ([`crm_core::fold_customers`]).
///
/// ```
/// use std::collections::BTreeMap;
/// use chrono::Utc;
/// use crm_core::{Customer, FieldRules, PartyKind};
/// use crm_storage_traits::{MergeStamp, StorageError, Versioned, plan_merge};
/// let at = Utc::now();
/// let v = |id: i64, version| Versioned { record: Customer::new(id.into(), PartyKind::Person, "Ann", at).unwrap(), version };
/// let stamp = MergeStamp { by: None, at };
/// let expected = BTreeMap::from([(1.into(), 1), (2.into(), 1)]);
/// assert!(plan_merge(&v(1, 1), &[v(2, 1)], &FieldRules::default(), &expected, &stamp).is_ok());
/// let stale = plan_merge(&v(1, 1), &[v(2, 2)], &FieldRules::default(), &expected, &stamp);
/// assert!(matches!(stale, Err(StorageError::Conflict { expected: 1, actual: 2, .. })));
/// ```
pub fn plan_merge(
    survivor: &Versioned<Customer>,
    duplicates: &[Versioned<Customer>],
    rules: &FieldRules,
    expected_versions: &BTreeMap<CustomerId, u64>,
    stamp: &MergeStamp,
) -> StorageResult<Customer> {
    for v in std::iter::once(survivor).chain(duplicates) {
        let id = &v.record.id;
        let expected = expected_versions.get(id).copied().ok_or_else(|| {
            StorageError::invalid(
                "merge.expected_versions",
                format!("no expected version for customer {id}"),
            )
        })?;
        if expected != v.version {
            return Err(StorageError::Conflict {
                entity: Customer::ENTITY,
                id: id.to_string(),
                expected,
                actual: v.version,
            });
        }
    }
    let duplicates: Vec<Customer> = duplicates.iter().map(|v| v.record.clone()).collect();
    let merged = crm_core::fold_customers(&survivor.record, &duplicates, rules, stamp.at)
        .map_err(|e| StorageError::invalid("merge.duplicates", e.to_string()))?;
    merged.check()?;
    Ok(merged)
}

/// Every repository, plus the operations that span them.
///
/// ```
/// use std::sync::Arc;
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind};
/// use crm_storage_traits::{CrmStore, Erasure, MemoryStore};
///
/// # futures::executor::block_on(async {
/// // Chosen at run time: any store behind one trait object.
/// let store: Arc<dyn CrmStore> = Arc::new(MemoryStore::new());
/// let mut ann = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?;
/// ann.owner = Some("alice".parse()?);
/// store.create(ann.clone()).await?;
/// let moved = store.reassign_owner(&"alice".parse()?, &"bob".parse()?).await?;
/// assert_eq!(moved.customers, 1);
/// let report = store.erase_customer(&ann.id, &Erasure::DeleteEverything).await?;
/// assert_eq!(report.customer, Some(ann.id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait CrmStore:
    CustomerRepository
    + InteractionRepository
    + TicketRepository
    + DealRepository
    + TransactionRepository
    + SurveyRepository
    + LoyaltyRepository
    + CampaignRepository
{
    /// Moves every customer, open deal and open ticket of `from` to `to`, atomically
    /// (each moved record gets a new version). Reassigning to the same user is `Invalid`
    /// (field `reassign.to`).
    async fn reassign_owner(&self, from: &UserId, to: &UserId) -> StorageResult<ReassignReport>;

    /// Erases a customer (right to erasure), atomically: the customer record and every
    /// personal field about them in every repository are removed (see [`Erasure`]). Their
    /// campaign memberships are deleted, or moved to the pseudonym when aggregates are
    /// kept.
    /// A customer that does not exist is [`StorageError::NotFound`].
    async fn erase_customer(
        &self,
        customer: &CustomerId,
        how: &Erasure,
    ) -> StorageResult<ErasureReport>;

    /// Merges `duplicates` into `survivor`, atomically: every interaction, ticket, deal,
    /// transaction, survey response and loyalty event of a duplicate moves to the survivor
    /// (each moved record gets a new version); the duplicates' fields are folded into the
    /// survivor by `rules` ([`crm_core::fold_customers`]: tags and consents united, a
    /// withdrawn consent winning); other customers naming a duplicate as account or parent
    /// account name the survivor; the duplicates are deleted; and a [`MergeEntry`] per
    /// duplicate records who merged it when, so that [`merged_into`](CrmStore::merged_into)
    /// resolves its id to the survivor (earlier entries naming a duplicate as survivor follow
    /// it to the new one).
    ///
    /// `expected_versions` holds the version the caller read of the survivor and of every
    /// duplicate: if any stored version differs the merge is a [`StorageError::Conflict`]
    /// and changes nothing. A customer not stored is [`StorageError::NotFound`]; bad
    /// arguments are `Invalid` ([`check_merge`]). A failed merge writes nothing.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use chrono::Utc;
    /// use crm_core::{Customer, FieldRules, PartyKind, Transaction};
    /// use crm_storage_traits::{CrmStore, MemoryStore, MergeStamp, Repository};
    ///
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// for id in [1, 2] {
    ///     store.create(Customer::new(id.into(), PartyKind::Person, "Ann Lee", Utc::now())?).await?;
    /// }
    /// store.create(Transaction::new(7.into(), 2.into(), Utc::now(), "5 EUR".parse()?)).await?;
    /// let versions = BTreeMap::from([(1.into(), 1), (2.into(), 1)]);
    /// let stamp = MergeStamp { by: Some("alice".parse()?), at: Utc::now() };
    /// let report = store.merge_customers(&1.into(), &[2.into()], &FieldRules::default(), &versions, &stamp).await?;
    /// assert_eq!((report.transactions, report.version), (1, 2));
    /// let moved = Repository::<Transaction>::get(&store, &7.into()).await?;
    /// assert_eq!(moved.record.customer, 1.into());
    /// assert_eq!(store.merged_into(&[2.into()]).await?[0].survivor, 1.into());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn merge_customers(
        &self,
        survivor: &CustomerId,
        duplicates: &[CustomerId],
        rules: &FieldRules,
        expected_versions: &BTreeMap<CustomerId, u64>,
        stamp: &MergeStamp,
    ) -> StorageResult<MergeReport> {
        check_merge(survivor, duplicates, expected_versions, stamp)?;
        let group = CustomerMerge {
            survivor: survivor.clone(),
            duplicates: duplicates.to_vec(),
            expected_versions: expected_versions.clone(),
        };
        let mut reports = self
            .merge_customer_groups(std::slice::from_ref(&group), rules, stamp)
            .await?;
        reports
            .pop()
            .ok_or_else(|| StorageError::invalid("merge", "the store merged no group"))
    }

    /// Merges several groups as [`merge_customers`](CrmStore::merge_customers) does, all
    /// in one atomic step: if any group fails (a conflict, a customer not stored, bad
    /// arguments: [`check_merges`]), no group is merged. Returns one report per group, in
    /// order; the method a store implements.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use chrono::Utc;
    /// use crm_core::{Customer, FieldRules, PartyKind};
    /// use crm_storage_traits::{CrmStore, CustomerMerge, MemoryStore, MergeStamp, Repository, StorageError};
    ///
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// for id in 1..=4 {
    ///     store.create(Customer::new(id.into(), PartyKind::Person, "Ann Lee", Utc::now())?).await?;
    /// }
    /// let group = |s: i64, d: i64, dv| CustomerMerge {
    ///     survivor: s.into(),
    ///     duplicates: vec![d.into()],
    ///     expected_versions: BTreeMap::from([(s.into(), 1), (d.into(), dv)]),
    /// };
    /// let stamp = MergeStamp { by: None, at: Utc::now() };
    /// // The second group is stale: neither is merged.
    /// let r = store.merge_customer_groups(&[group(1, 2, 1), group(3, 4, 9)], &FieldRules::default(), &stamp).await;
    /// assert!(matches!(r, Err(StorageError::Conflict { .. })));
    /// assert!(Repository::<Customer>::get(&store, &2.into()).await.is_ok());
    /// let done = store.merge_customer_groups(&[group(1, 2, 1), group(3, 4, 1)], &FieldRules::default(), &stamp).await?;
    /// assert_eq!(done.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn merge_customer_groups(
        &self,
        groups: &[CustomerMerge],
        rules: &FieldRules,
        stamp: &MergeStamp,
    ) -> StorageResult<Vec<MergeReport>>;

    /// The merge entries of those of `ids` that were merged into another customer, in
    /// ascending order of merged id text; ids never merged have none. An import naming a
    /// merged id uses the entry's survivor instead. Erasing a survivor removes the entries
    /// of the ids merged into it.
    async fn merged_into(&self, ids: &[CustomerId]) -> StorageResult<Vec<MergeEntry>>;

    /// Per customer and currency, the transactions with [`time`](Record::time) in `range`
    /// aggregated: first and last purchase, number of transactions and of distinct
    /// purchase days (UTC), the exact net total and the total of the repeat purchases
    /// (every day but the first purchase day). Refunds count as transactions and lower the
    /// totals. Rows come in ascending order of customer id text, then currency code; a
    /// customer without transactions in the range has none.
    ///
    /// The input of recency-frequency-monetary and lifetime-value analyses, computed where
    /// the data is: the default implementation ([`summarize_purchases`]) reads the range
    /// once through [`TimeScan`]; SQL stores override it with one `GROUP BY` query.
    /// Overrides must return exactly what the default returns (the conformance kit checks
    /// it).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Customer, PartyKind, Transaction};
    /// use crm_storage_traits::{CrmStore, MemoryStore, Repository, TimeRange};
    ///
    /// # futures::executor::block_on(async {
    /// let day = |d, h| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    /// let store = MemoryStore::new();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", day(1, 0))?).await?;
    /// for (id, time, amount) in [(1, day(2, 9), "10 EUR"), (2, day(2, 17), "5 EUR"), (3, day(9, 9), "20 EUR")] {
    ///     store.create(Transaction::new(id.into(), 1.into(), time, amount.parse()?)).await?;
    /// }
    /// let rows = store.purchase_summaries(TimeRange::all()).await?;
    /// let ann = &rows[0];
    /// assert_eq!((ann.transactions, ann.purchase_days), (3, 2));
    /// assert_eq!(ann.net_total.to_string(), "35.00 EUR");
    /// // Repeat purchases: everything after the first purchase day.
    /// assert_eq!(ann.repeat_total.to_string(), "20.00 EUR");
    /// assert_eq!((ann.first_purchase, ann.last_purchase), (day(2, 9), day(9, 9)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn purchase_summaries(&self, range: TimeRange) -> StorageResult<Vec<PurchaseSummary>> {
        summarize_purchases(self, range).await
    }

    /// The totals of every customer with transactions in `range` (first and last time,
    /// count, net total), one per customer and currency, in the order of
    /// [`purchase_summaries`](CrmStore::purchase_summaries), equal to their
    /// [`totals`](PurchaseSummary::totals).
    ///
    /// The default takes them from `purchase_summaries`; the SQL stores run the plainer
    /// `GROUP BY` this needs (no distinct days, no first-day sums), which is what RFM with
    /// frequency in transactions and ABC analysis read.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Customer, PartyKind, Transaction};
    /// use crm_storage_traits::{CrmStore, MemoryStore, Repository, TimeRange};
    /// # futures::executor::block_on(async {
    /// let store = MemoryStore::new();
    /// let day = |d| Utc.with_ymd_and_hms(2024, 5, d, 9, 0, 0).unwrap();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", day(1))?).await?;
    /// store.create(Transaction::new(1.into(), 1.into(), day(2), "10 EUR".parse()?)).await?;
    /// store.create(Transaction::new(2.into(), 1.into(), day(9), "-4 EUR".parse()?)).await?;
    /// let totals = store.purchase_totals(TimeRange::all()).await?;
    /// assert_eq!((totals[0].transactions, totals[0].net_total.to_string()), (2, "6.00 EUR".to_string()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn purchase_totals(&self, range: TimeRange) -> StorageResult<Vec<PurchaseTotals>> {
        Ok(self
            .purchase_summaries(range)
            .await?
            .iter()
            .map(PurchaseSummary::totals)
            .collect())
    }
}

/// Checks a reassignment's arguments (shared by the stores): reassigning to the same user
/// is `Invalid` (field `reassign.to`).
///
/// ```
/// let alice: crm_core::UserId = "alice".parse().unwrap();
/// assert!(crm_storage_traits::check_reassign(&alice, &alice).is_err());
/// ```
pub fn check_reassign(from: &UserId, to: &UserId) -> StorageResult<()> {
    if from == to {
        return Err(StorageError::invalid(
            "reassign.to",
            "is the same user as reassign.from",
        ));
    }
    Ok(())
}

/// The purchase summaries of every customer with transactions in `range`, in ascending
/// order of customer id text, then currency code: the reference implementation behind
/// [`CrmStore::purchase_summaries`](crate::CrmStore::purchase_summaries), which reads the
/// transactions once through the store's time scan (in pages of 1,000) and keeps one
/// running total per customer and currency.
///
/// ```
/// use crm_storage_traits::{MemoryStore, TimeRange, summarize_purchases};
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// assert!(summarize_purchases(&store, TimeRange::all()).await?.is_empty());
/// # Ok::<(), crm_storage_traits::StorageError>(())
/// # }).unwrap();
/// ```
pub async fn summarize_purchases<S>(
    store: &S,
    range: TimeRange,
) -> StorageResult<Vec<PurchaseSummary>>
where
    S: TimeScan<Transaction> + ?Sized,
{
    let mut fold = PurchaseFold::default();
    let mut pages = scan::<Transaction, S>(store, range, 1_000);
    while let Some(page) = pages.next().await {
        for t in page? {
            fold.add(&t)?;
        }
    }
    Ok(fold.finish())
}
