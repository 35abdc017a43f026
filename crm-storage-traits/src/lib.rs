#![doc = include_str!("../README.md")]
mod batch;
mod campaigns;
mod error;
mod import;
mod purchases;
mod query;
mod record;
mod repository;

#[cfg(feature = "memory")]
mod memory;

#[cfg(feature = "conformance")]
pub mod conformance;

/// The attribute every implementation of the storage traits carries (re-exported, so an
/// implementer needs no dependency of its own): `#[crm_storage_traits::async_trait]`.
pub use async_trait::async_trait;
pub use batch::BatchReport;
pub use campaigns::{
    CampaignRepository, MemberPosition, check_campaign, check_campaign_batch, check_member,
    check_member_batch, fresh_members, no_such_campaign, no_such_member_customer,
};
pub use crm_core::{PurchaseSummary, PurchaseTotals};
pub use error::{StorageError, StorageResult};
pub use import::{BulkImport, ChunkReport, ImportSession};
#[cfg(feature = "memory")]
pub use memory::MemoryStore;
pub use query::{Cursor, Filter, MAX_PAGE_LIMIT, Page, PageRequest, ScanPosition, TimeRange};
pub use record::{Record, Status, Versioned};
pub use record::{check_time, time_text};
pub use repository::{
    BatchAppend, CrmStore, CustomerMerge, CustomerRepository, DealRepository, Erasure,
    ErasureCounts, ErasureReport, InteractionRepository, LoyaltyRepository, MergeEntry,
    MergeReport, MergeStamp, ReassignReport, Repository, SurveyRepository, TicketRepository,
    TimeScan, TransactionRepository, scan,
};
pub use repository::{
    check_batch, check_merge, check_merges, check_reassign, plan_merge, summarize_purchases,
};
