#![doc = include_str!("../README.md")]
mod error;
mod query;
mod record;
mod repository;

#[cfg(feature = "memory")]
mod memory;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use error::{StorageError, StorageResult};
#[cfg(feature = "memory")]
pub use memory::MemoryStore;
pub use query::{Cursor, Filter, MAX_PAGE_LIMIT, Page, PageRequest, ScanPosition, TimeRange};
pub use record::{Record, Status, Versioned};
pub use record::{check_time, time_text};
pub use repository::check_reassign;
pub use repository::{
    BatchAppend, BatchReport, CrmStore, CustomerRepository, DealRepository, Erasure, ErasureCounts,
    ErasureReport, InteractionRepository, ReassignReport, Repository, SurveyRepository,
    TicketRepository, TimeScan, TransactionRepository, scan,
};
