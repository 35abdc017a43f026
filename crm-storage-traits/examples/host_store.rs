//! How a host implements the storage traits for its own database and proves the
//! implementation with the conformance kit.
//!
//! `HostStore` is a host's store: it keeps the records in a backend of its choice and
//! writes an audit line for every change. To keep the example self-contained the backend
//! here is the crate's in-memory store; a real host calls its own database in the same
//! places (the `crm-storage-sql` crate is a complete SQLite implementation). `main` runs
//! the whole conformance kit against it:
//!
//! ```text
//! cargo run -p crm-storage-traits --example host_store
//! ```
//!
//! In a host's test suite one macro call runs the kit instead, as one test per kit
//! function so that failures are reported one by one (see the `tests` module below):
//!
//! ```text
//! crm_storage_traits::conformance_tests!(HostStore::fresh);
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::num::NonZeroU32;

use crm_core::{
    Campaign, CampaignId, CampaignMember, Customer, CustomerId, Email, FieldRules, Phone, UserId,
};
use crm_storage_traits::MemoryStore;
use crm_storage_traits::{
    BatchAppend, BatchReport, BulkImport, CampaignRepository, CrmStore, CustomerMerge,
    CustomerRepository, Erasure, ErasureReport, Filter, ImportSession, MemberPosition, MergeEntry,
    MergeReport, MergeStamp, Page, PageRequest, ReassignReport, Record, Repository, ScanPosition,
    StorageResult, TimeRange, TimeScan, Versioned, async_trait, check_batch, conformance,
};

/// The host's store: its database handle plus an audit counter.
struct HostStore {
    db: MemoryStore,
    audit: Arc<AtomicUsize>,
}

impl HostStore {
    /// A fresh, empty store (the factory the conformance kit calls).
    async fn fresh() -> HostStore {
        HostStore {
            db: MemoryStore::new(),
            audit: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn audit(&self, what: &str, entity: &str) {
        let n = self.audit.fetch_add(1, Ordering::Relaxed);
        if std::env::var_os("HOST_STORE_AUDIT").is_some() {
            eprintln!("audit {n}: {what} {entity}");
        }
    }
}

// One generic implementation covers all seven kinds of record: `Record` gives the id,
// customer, owner, status, tags and times a store needs to index and filter on.
#[async_trait]
impl<R: Record> Repository<R> for HostStore
where
    MemoryStore: Repository<R>,
{
    async fn create(&self, record: R) -> StorageResult<Versioned<R>> {
        // Validate before writing anything, and name the field on failure.
        record.check()?;
        self.audit("create", R::ENTITY);
        self.db.create(record).await
    }

    async fn get(&self, id: &R::Id) -> StorageResult<Versioned<R>> {
        self.db.get(id).await
    }

    async fn update(&self, record: R, expected_version: u64) -> StorageResult<Versioned<R>> {
        record.check()?;
        self.audit("update", R::ENTITY);
        // The database compares the stored version and writes in one step, e.g.
        // `UPDATE … SET version = version + 1 … WHERE id = ? AND version = ?`.
        self.db.update(record, expected_version).await
    }

    async fn delete(&self, id: &R::Id, expected_version: u64) -> StorageResult<()> {
        self.audit("delete", R::ENTITY);
        Repository::<R>::delete(&self.db, id, expected_version).await
    }

    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>> {
        page.check()?;
        self.db.list(filter, page).await
    }
}

#[async_trait]
impl<R: Record> BatchAppend<R> for HostStore
where
    MemoryStore: BatchAppend<R>,
{
    async fn append_batch(&self, batch: &[R]) -> StorageResult<BatchReport> {
        // Validate the whole batch first, then write it in one database transaction.
        check_batch(batch)?;
        self.audit("append", R::ENTITY);
        self.db.append_batch(batch).await
    }
}

#[async_trait]
impl<R: Record> TimeScan<R> for HostStore
where
    MemoryStore: TimeScan<R>,
{
    // Callers use the provided `scan_page`, which checks the limit and calls this.
    async fn fetch_scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<R>> {
        self.db.fetch_scan_page(range, after, limit).await
    }
}

#[async_trait]
impl CustomerRepository for HostStore {
    async fn find_by_email(&self, email: &Email) -> StorageResult<Vec<Versioned<Customer>>> {
        self.db.find_by_email(email).await
    }

    async fn find_by_phone(&self, phone: &Phone) -> StorageResult<Vec<Versioned<Customer>>> {
        self.db.find_by_phone(phone).await
    }
}

// `TransactionRepository`, `SurveyRepository` and the other named traits come for free
// through blanket implementations once the generic ones above exist.
#[async_trait]
impl CrmStore for HostStore {
    async fn reassign_owner(&self, from: &UserId, to: &UserId) -> StorageResult<ReassignReport> {
        self.audit("reassign", "owner");
        self.db.reassign_owner(from, to).await
    }

    async fn erase_customer(
        &self,
        customer: &CustomerId,
        how: &Erasure,
    ) -> StorageResult<ErasureReport> {
        self.audit("erase", "customer");
        self.db.erase_customer(customer, how).await
    }

    async fn merge_customer_groups(
        &self,
        groups: &[CustomerMerge],
        rules: &FieldRules,
        stamp: &MergeStamp,
    ) -> StorageResult<Vec<MergeReport>> {
        // One database transaction for every group: per group, read the customers (locking
        // them), compare versions and fold with `plan_merge`, move the records, delete the
        // duplicates, record the merge entries.
        self.audit("merge", "customer");
        self.db.merge_customer_groups(groups, rules, stamp).await
    }

    async fn merged_into(&self, ids: &[CustomerId]) -> StorageResult<Vec<MergeEntry>> {
        self.db.merged_into(ids).await
    }
}

// Campaigns and their members are not `Record`s (a campaign belongs to no customer, a
// member is keyed by campaign and customer), so their repository is implemented on its own.
#[async_trait]
impl CampaignRepository for HostStore {
    async fn append_campaigns(&self, batch: &[Campaign]) -> StorageResult<BatchReport> {
        self.audit("append", "campaign");
        self.db.append_campaigns(batch).await
    }

    async fn get_campaign(&self, id: &CampaignId) -> StorageResult<Campaign> {
        self.db.get_campaign(id).await
    }

    async fn campaigns(&self) -> StorageResult<Vec<Campaign>> {
        self.db.campaigns().await
    }

    async fn append_campaign_members(
        &self,
        batch: &[CampaignMember],
    ) -> StorageResult<BatchReport> {
        self.audit("append", "campaign_member");
        self.db.append_campaign_members(batch).await
    }

    async fn fetch_member_page(
        &self,
        campaign: Option<&CampaignId>,
        after: Option<&MemberPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<CampaignMember>> {
        self.db.fetch_member_page(campaign, after, limit).await
    }
}

// Imports of any length in one transaction: a real host begins a database transaction
// here and returns a session that feeds it (see `crm-storage-sql`).
#[async_trait]
impl<R: Record> BulkImport<R> for HostStore
where
    MemoryStore: BulkImport<R>,
{
    async fn begin_import(&self) -> StorageResult<Box<dyn ImportSession<R> + '_>> {
        self.audit("import", R::ENTITY);
        self.db.begin_import().await
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Each kit function panics with the rule that was broken, like a failing assertion.
    conformance::run_all(HostStore::fresh).await;
    // The store also works behind a trait object, chosen at run time.
    let dynamic: Arc<dyn CrmStore> = Arc::new(HostStore::fresh().await);
    let ann = Customer::new(
        1.into(),
        crm_core::PartyKind::Person,
        "Ann",
        chrono::Utc::now(),
    )
    .expect("a valid customer");
    assert_eq!(dynamic.create(ann).await.map(|v| v.version).ok(), Some(1));
    println!("HostStore passes the whole conformance kit");
}

// `cargo test` runs the example's tests too (`test = true` in Cargo.toml): one test per
// kit function.
#[cfg(test)]
mod tests {
    use super::*;

    crm_storage_traits::conformance_tests!(HostStore::fresh);
}
