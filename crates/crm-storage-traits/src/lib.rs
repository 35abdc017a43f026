//! Async repository traits for CRM data, an in-memory store and a conformance test kit.
//!
//! Host applications keep their own databases. This crate is the contract between them and
//! the analytics: a store implements [`Repository`] for each kind of record (customers,
//! interactions, tickets, deals, transactions, survey responses), [`BatchAppend`] and
//! [`TimeScan`] for the event records, [`CustomerRepository`] for contact look-ups and
//! [`CrmStore`] for reassignment and erasure. [`memory::MemoryStore`] is the reference
//! implementation; the `crm-storage-sql` crate is the SQLite one.
//!
//! # The contract in brief
//!
//! * Records are [`Versioned`]: created at version 1, +1 per update; updates and deletes
//!   name the version they saw and get [`StorageError::Conflict`] if it is stale.
//! * An existing id on create is [`StorageError::Duplicate`]; a missing one is
//!   [`StorageError::NotFound`]; bad input is [`StorageError::Invalid`] naming the field,
//!   detected before anything is written. A failed operation changes nothing.
//! * Listings are ordered by id text and paged with cursors ([`query`]); time ranges are
//!   start-inclusive, end-exclusive.
//! * Batch appends are idempotent (keyed by id) and all-or-nothing.
//! * Scans stream pages in bounded memory.
//!
//! # Implementing the traits for your own database
//!
//! Implement [`Repository<R>`](Repository) once, generically over `R: Record` (the
//! [`Record`] trait gives you the id, customer, owner, status, tags and times of every
//! kind of record, so one implementation with one table per kind covers all six), then
//! [`BatchAppend`] and [`TimeScan`] for the event records, [`CustomerRepository`] and
//! [`CrmStore`]. The named per-kind traits ([`TransactionRepository`], ...) then come for
//! free through blanket implementations. Here a host wraps the in-memory store to show
//! the shape (a real host would talk to its database in each method):
//!
//! ```
//! use async_trait::async_trait;
//! use crm_storage_traits::{
//!     memory::MemoryStore, Filter, Page, PageRequest, Record, Repository, StorageResult,
//!     Versioned,
//! };
//! use crm_core::Customer;
//!
//! struct HostDb { inner: MemoryStore }
//!
//! #[async_trait]
//! impl Repository<Customer> for HostDb {
//!     async fn create(&self, c: Customer) -> StorageResult<Versioned<Customer>> {
//!         c.check()?; // validate before writing anything
//!         self.inner.create(c).await
//!     }
//!     async fn get(&self, id: &crm_core::CustomerId) -> StorageResult<Versioned<Customer>> {
//!         self.inner.get(id).await
//!     }
//!     async fn update(&self, c: Customer, v: u64) -> StorageResult<Versioned<Customer>> {
//!         self.inner.update(c, v).await
//!     }
//!     async fn delete(&self, id: &crm_core::CustomerId, v: u64) -> StorageResult<()> {
//!         Repository::<Customer>::delete(&self.inner, id, v).await
//!     }
//!     async fn list(&self, f: &Filter, p: &PageRequest) -> StorageResult<Page<Customer>> {
//!         self.inner.list(f, p).await
//!     }
//! }
//! ```
//!
//! # Running the conformance kit against your store
//!
//! Enable the `conformance` feature in your dev-dependencies and call every function of
//! the `conformance` module from your tests with a factory that makes a fresh, empty store
//! (`conformance::run_all` runs them all in turn):
//!
//! ```toml
//! [dev-dependencies]
//! crm-storage-traits = { version = "0.1", features = ["conformance"] }
//! ```
//!
//! ```
//! use crm_storage_traits::{conformance, memory::MemoryStore};
//! // In your tests: `#[tokio::test] async fn crud() { conformance::crud(MyStore::fresh).await }`
//! # futures::executor::block_on(async {
//! conformance::crud(|| async { MemoryStore::new() }).await;
//! # });
//! ```
//!
//! The crate's `examples/host_store.rs` is a complete worked example: a host store
//! implementing every trait (generically over [`Record`], validating before it writes,
//! auditing every change) on top of its own backend, and running the whole kit against it
//! (`cargo run -p crm-storage-traits --example host_store`; `cargo test` runs it too).
//!
//! Each kit function panics with a message naming the broken rule, like any test
//! assertion. The crate's own tests run the whole kit against [`memory::MemoryStore`].

pub mod error;
pub mod query;
pub mod record;
pub mod repository;

#[cfg(feature = "memory")]
pub mod memory;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::{StorageError, StorageResult};
pub use query::{Cursor, Filter, MAX_PAGE_LIMIT, Page, PageRequest, ScanPosition, TimeRange};
pub use record::{Record, Status, Versioned};
pub use repository::{
    BatchAppend, BatchReport, CrmStore, CustomerRepository, DealRepository, Erasure, ErasureCounts,
    ErasureReport, InteractionRepository, ReassignReport, Repository, SurveyRepository,
    TicketRepository, TimeScan, TransactionRepository, scan,
};
