//! [`MemoryStore`]: a thread-safe in-memory store, the reference implementation of the
//! contract, for tests and small hosts.
//!
//! ```
//! use chrono::Utc;
//! use crm_core::{Customer, PartyKind};
//! use crm_storage_traits::{MemoryStore, Repository, StorageError};
//!
//! # futures::executor::block_on(async {
//! let store = MemoryStore::new();
//! let ann = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?;
//! let v1 = store.create(ann.clone()).await?;
//! assert_eq!(v1.version, 1);
//! let mut renamed = ann.clone();
//! renamed.name = "Ann B.".to_string().into();
//! let v2 = store.update(renamed.clone(), 1).await?;
//! assert_eq!(v2.version, 2);
//! // A second editor still holding version 1 is refused.
//! assert!(matches!(store.update(ann, 1).await, Err(StorageError::Conflict { .. })));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use crm_core::{
    Campaign, CampaignId, CampaignMember, Customer, CustomerId, Deal, Email, FieldRules,
    Interaction, LoyaltyEvent, PartyKind, Phone, SurveyResponse, Ticket, Transaction, UserId,
};

use crate::batch::BatchReport;
use crate::campaigns::{
    CampaignRepository, MemberPosition, check_campaign_batch, check_member_batch, fresh_members,
    no_such_campaign, no_such_member_customer,
};
use crate::error::{StorageError, StorageResult};
use crate::import::{BulkImport, ChunkReport, ImportSession};
use crate::query::{Cursor, Filter, Page, PageRequest, ScanPosition, TimeRange};
use crate::record::{Record, Versioned};
use crate::repository::{
    BatchAppend, CrmStore, CustomerMerge, CustomerRepository, Erasure, ErasureCounts,
    ErasureReport, MergeEntry, MergeReport, MergeStamp, ReassignReport, Repository, TimeScan,
    check_batch, check_merges, check_reassign, plan_merge,
};

type Table<R> = BTreeMap<String, Versioned<R>>;

#[derive(Debug, Default, Clone)]
struct Tables {
    customers: Table<Customer>,
    interactions: Table<Interaction>,
    tickets: Table<Ticket>,
    deals: Table<Deal>,
    transactions: Table<Transaction>,
    survey_responses: Table<SurveyResponse>,
    loyalty_events: Table<LoyaltyEvent>,
    /// Merge entries by merged id.
    merges: BTreeMap<String, MergeEntry>,
    campaigns: BTreeMap<String, Campaign>,
    campaign_members: BTreeMap<MemberPosition, CampaignMember>,
}

impl Tables {
    fn references(&self, customer: &CustomerId) -> bool {
        fn any<R: Record>(t: &Table<R>, c: &CustomerId) -> bool {
            t.values().any(|v| v.record.customer() == c)
        }
        any(&self.interactions, customer)
            || any(&self.tickets, customer)
            || any(&self.deals, customer)
            || any(&self.transactions, customer)
            || any(&self.survey_responses, customer)
            || any(&self.loyalty_events, customer)
            || self.merges.values().any(|m| &m.survivor == customer)
            || self
                .campaign_members
                .values()
                .any(|m| &m.customer == customer)
    }
}

/// Access to the table of one kind of record.
trait Stored: Record {
    fn table(t: &Tables) -> &Table<Self>;
    fn table_mut(t: &mut Tables) -> &mut Table<Self>;
}

macro_rules! stored {
    ($ty:ty, $field:ident) => {
        impl Stored for $ty {
            fn table(t: &Tables) -> &Table<Self> {
                &t.$field
            }
            fn table_mut(t: &mut Tables) -> &mut Table<Self> {
                &mut t.$field
            }
        }
    };
}
stored!(Customer, customers);
stored!(Interaction, interactions);
stored!(Ticket, tickets);
stored!(Deal, deals);
stored!(Transaction, transactions);
stored!(SurveyResponse, survey_responses);
stored!(LoyaltyEvent, loyalty_events);

/// A thread-safe in-memory store implementing every repository trait.
///
/// Cloning is not offered; share it with `Arc`. Every operation takes one lock, so each
/// is atomic, including batches, reassignments and erasures.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: RwLock<Tables>,
}

#[derive(Debug)]
struct Poisoned;

impl std::fmt::Display for Poisoned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the in-memory store's lock is poisoned (a writer panicked)")
    }
}

impl std::error::Error for Poisoned {}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// let store = crm_storage_traits::MemoryStore::new();
    /// # let _ = store;
    /// ```
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn read(&self) -> StorageResult<RwLockReadGuard<'_, Tables>> {
        self.tables
            .read()
            .map_err(|_| StorageError::backend(Poisoned))
    }

    fn write(&self) -> StorageResult<RwLockWriteGuard<'_, Tables>> {
        self.tables
            .write()
            .map_err(|_| StorageError::backend(Poisoned))
    }
}

fn check_customer_exists<R: Record>(tables: &Tables, record: &R) -> StorageResult<()> {
    if R::ENTITY != Customer::ENTITY
        && !tables
            .customers
            .contains_key(&record.customer().to_string())
    {
        return Err(StorageError::invalid(
            format!("{}.customer", R::ENTITY),
            "no such customer",
        ));
    }
    Ok(())
}

fn stale<R: Record>(id: &str, expected: u64, actual: u64) -> StorageError {
    StorageError::Conflict {
        entity: R::ENTITY,
        id: id.to_string(),
        expected,
        actual,
    }
}

#[async_trait]
impl<R: Stored> Repository<R> for MemoryStore {
    async fn create(&self, record: R) -> StorageResult<Versioned<R>> {
        record.check()?;
        let key = record.id().to_string();
        let mut tables = self.write()?;
        if R::table(&tables).contains_key(&key) {
            return Err(StorageError::Duplicate {
                entity: R::ENTITY,
                id: key,
            });
        }
        check_customer_exists(&tables, &record)?;
        let stored = Versioned { record, version: 1 };
        R::table_mut(&mut tables).insert(key, stored.clone());
        Ok(stored)
    }

    async fn get(&self, id: &R::Id) -> StorageResult<Versioned<R>> {
        let key = id.to_string();
        let found = R::table(&*self.read()?).get(&key).cloned();
        found.ok_or(StorageError::NotFound {
            entity: R::ENTITY,
            id: key,
        })
    }

    async fn update(&self, record: R, expected_version: u64) -> StorageResult<Versioned<R>> {
        record.check()?;
        let key = record.id().to_string();
        let mut tables = self.write()?;
        let actual = match R::table(&tables).get(&key) {
            None => {
                return Err(StorageError::NotFound {
                    entity: R::ENTITY,
                    id: key,
                });
            }
            Some(v) => v.version,
        };
        if actual != expected_version {
            return Err(stale::<R>(&key, expected_version, actual));
        }
        check_customer_exists(&tables, &record)?;
        let stored = Versioned {
            record,
            version: actual + 1,
        };
        R::table_mut(&mut tables).insert(key, stored.clone());
        Ok(stored)
    }

    async fn delete(&self, id: &R::Id, expected_version: u64) -> StorageResult<()> {
        let key = id.to_string();
        let mut tables = self.write()?;
        let current = R::table(&tables)
            .get(&key)
            .ok_or_else(|| StorageError::NotFound {
                entity: R::ENTITY,
                id: key.clone(),
            })?;
        if current.version != expected_version {
            return Err(stale::<R>(&key, expected_version, current.version));
        }
        if R::ENTITY == Customer::ENTITY && tables.references(current.record.customer()) {
            return Err(StorageError::invalid(
                "customer.id",
                "other records still refer to this customer; erase it instead",
            ));
        }
        R::table_mut(&mut tables).remove(&key);
        Ok(())
    }

    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>> {
        page.check()?;
        let tables = self.read()?;
        let table = R::table(&tables);
        let range = match &page.after {
            None => table.range::<String, _>(..),
            Some(c) => table.range::<String, _>((
                std::ops::Bound::Excluded(c.as_str().to_string()),
                std::ops::Bound::Unbounded,
            )),
        };
        let limit = page.limit as usize;
        let mut items: Vec<Versioned<R>> = range
            .filter(|(_, v)| filter.matches(&v.record))
            .take(limit + 1)
            .map(|(_, v)| v.clone())
            .collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items
                .last()
                .map(|v| Cursor::after_id(v.record.id().to_string()))
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

#[async_trait]
impl<R: Stored> BatchAppend<R> for MemoryStore {
    async fn append_batch(&self, batch: &[R]) -> StorageResult<BatchReport> {
        check_batch(batch)?;
        let mut tables = self.write()?;
        let mut report = BatchReport::default();
        let mut fresh: BTreeMap<String, &R> = BTreeMap::new();
        for (i, record) in batch.iter().enumerate() {
            let key = record.id().to_string();
            if R::table(&tables).contains_key(&key) || fresh.contains_key(&key) {
                report.skipped += 1;
                continue;
            }
            check_customer_exists(&tables, record).map_err(|e| e.within(&format!("batch[{i}]")))?;
            fresh.insert(key, record);
        }
        report.inserted = fresh.len();
        let table = R::table_mut(&mut tables);
        for (key, record) in fresh {
            table.insert(
                key,
                Versioned {
                    record: record.clone(),
                    version: 1,
                },
            );
        }
        Ok(report)
    }
}

/// An import into a [`MemoryStore`]: the chunks wait in the session and go in under one
/// lock at the commit.
struct MemoryImport<'a, R> {
    store: &'a MemoryStore,
    customers: BTreeMap<String, Customer>,
    records: BTreeMap<String, R>,
    failed: bool,
}

#[async_trait]
impl<R: Stored> ImportSession<R> for MemoryImport<'_, R> {
    async fn add_customers(&mut self, customers: &[Customer]) -> StorageResult<BatchReport> {
        let checked = check_batch(customers);
        self.failed |= checked.is_err();
        checked?;
        let tables = self.store.read()?;
        let mut report = BatchReport::default();
        for c in customers {
            let key = c.id.to_string();
            if tables.customers.contains_key(&key) || self.customers.contains_key(&key) {
                report.skipped += 1;
            } else {
                self.customers.insert(key, c.clone());
                report.inserted += 1;
            }
        }
        Ok(report)
    }

    async fn append(&mut self, chunk: &[R]) -> StorageResult<ChunkReport> {
        let result = self.append_chunk(chunk);
        self.failed |= result.is_err();
        result
    }

    async fn commit(self: Box<Self>) -> StorageResult<()> {
        if self.failed {
            return Err(StorageError::import_failed());
        }
        let mut tables = self.store.write()?;
        for (key, c) in self.customers {
            tables.customers.entry(key).or_insert(Versioned {
                record: c,
                version: 1,
            });
        }
        for (i, record) in self.records.values().enumerate() {
            check_customer_exists(&tables, record).map_err(|e| e.within(&format!("batch[{i}]")))?;
        }
        // Checked above, so everything goes in or, on an error, nothing.
        let table = R::table_mut(&mut tables);
        for (key, record) in self.records {
            table.entry(key).or_insert(Versioned { record, version: 1 });
        }
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> StorageResult<()> {
        Ok(())
    }
}

impl<R: Stored> MemoryImport<'_, R> {
    fn append_chunk(&mut self, chunk: &[R]) -> StorageResult<ChunkReport> {
        check_batch(chunk)?;
        let tables = self.store.read()?;
        let mut report = ChunkReport::default();
        let mut fresh: BTreeMap<String, &R> = BTreeMap::new();
        for (i, record) in chunk.iter().enumerate() {
            let key = record.id().to_string();
            let stored = R::table(&tables)
                .get(&key)
                .map(|v| &v.record)
                .or_else(|| self.records.get(&key))
                .or_else(|| fresh.get(&key).copied());
            if let Some(stored) = stored {
                report.skipped += 1;
                if stored != record {
                    report.conflicts.push(i);
                }
                continue;
            }
            if R::ENTITY != Customer::ENTITY {
                let customer = record.customer().to_string();
                if !tables.customers.contains_key(&customer)
                    && !self.customers.contains_key(&customer)
                {
                    return Err(StorageError::invalid(
                        format!("batch[{i}].{}.customer", R::ENTITY),
                        "no such customer",
                    ));
                }
            }
            fresh.insert(key, record);
        }
        report.inserted = fresh.len();
        let fresh: Vec<(String, R)> = fresh.into_iter().map(|(k, r)| (k, r.clone())).collect();
        drop(tables);
        self.records.extend(fresh);
        Ok(report)
    }
}

#[async_trait]
impl<R: Stored> BulkImport<R> for MemoryStore {
    async fn begin_import(&self) -> StorageResult<Box<dyn ImportSession<R> + '_>> {
        Ok(Box::new(MemoryImport {
            store: self,
            customers: BTreeMap::new(),
            records: BTreeMap::new(),
            failed: false,
        }))
    }
}

#[async_trait]
impl<R: Stored> TimeScan<R> for MemoryStore {
    async fn fetch_scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<R>> {
        let tables = self.read()?;
        let mut hits: Vec<(chrono::DateTime<chrono::Utc>, &String, &Versioned<R>)> =
            R::table(&tables)
                .iter()
                .filter(|(_, v)| range.contains(v.record.time()))
                .map(|(k, v)| (v.record.time(), k, v))
                .filter(|(t, k, _)| {
                    after
                        .as_ref()
                        .is_none_or(|a| (*t, k.as_str()) > (a.time, a.id.as_str()))
                })
                .collect();
        hits.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        Ok(hits
            .into_iter()
            .take(limit.get() as usize)
            .map(|(_, _, v)| v.record.clone())
            .collect())
    }
}

fn customers_where(tables: &Tables, pred: impl Fn(&Customer) -> bool) -> Vec<Versioned<Customer>> {
    tables
        .customers
        .values()
        .filter(|v| pred(&v.record))
        .cloned()
        .collect()
}

#[async_trait]
impl CustomerRepository for MemoryStore {
    async fn find_by_email(&self, email: &Email) -> StorageResult<Vec<Versioned<Customer>>> {
        Ok(customers_where(&*self.read()?, |c| {
            c.email.as_ref() == Some(email)
        }))
    }

    async fn find_by_phone(&self, phone: &Phone) -> StorageResult<Vec<Versioned<Customer>>> {
        Ok(customers_where(&*self.read()?, |c| {
            c.phone.as_ref() == Some(phone)
        }))
    }
}

fn reassign<R: Record>(table: &mut Table<R>, from: &UserId, to: &UserId) -> usize {
    let mut moved = 0;
    for v in table.values_mut() {
        if v.record.owner() == Some(from) && v.record.is_open() {
            v.record.set_owner(to.clone());
            v.version += 1;
            moved += 1;
        }
    }
    moved
}

fn erase_in<R: Record>(
    table: &mut Table<R>,
    customer: &CustomerId,
    pseudonym: Option<&CustomerId>,
) -> ErasureCounts {
    let mut counts = ErasureCounts::default();
    match pseudonym {
        None => table.retain(|_, v| {
            let hit = v.record.customer() == customer;
            counts.deleted += usize::from(hit);
            !hit
        }),
        Some(p) => {
            for v in table.values_mut() {
                if v.record.customer() == customer {
                    v.record.anonymize(p);
                    v.version += 1;
                    counts.anonymized += 1;
                }
            }
        }
    }
    counts
}

/// Moves every record of a duplicate to the survivor; returns how many moved.
fn move_in<R: Record>(
    table: &mut Table<R>,
    duplicates: &BTreeSet<&CustomerId>,
    survivor: &CustomerId,
) -> usize {
    let mut moved = 0;
    for v in table.values_mut() {
        if duplicates.contains(v.record.customer()) {
            v.record.move_to(survivor);
            v.version += 1;
            moved += 1;
        }
    }
    moved
}

/// Merges one group in `tables` (see [`CrmStore::merge_customers`]).
/// Moves the campaign memberships of the duplicates to the survivor, one duplicate after
/// the other: a membership of a campaign the survivor is in by then is dropped; returns how
/// many moved.
fn move_members(
    members: &mut BTreeMap<MemberPosition, CampaignMember>,
    duplicates: &[CustomerId],
    survivor: &CustomerId,
) -> usize {
    let mut moved = 0;
    for d in duplicates {
        let (hit, kept): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(members)
            .into_iter()
            .partition(|(_, m)| &m.customer == d);
        *members = kept;
        for (_, mut m) in hit {
            m.customer = survivor.clone();
            if let std::collections::btree_map::Entry::Vacant(slot) =
                members.entry(MemberPosition::of(&m))
            {
                slot.insert(m);
                moved += 1;
            }
        }
    }
    moved
}

fn merge_group(
    tables: &mut Tables,
    group: &CustomerMerge,
    rules: &FieldRules,
    stamp: &MergeStamp,
) -> StorageResult<MergeReport> {
    let (survivor, duplicates) = (&group.survivor, &group.duplicates);
    let read = |id: &CustomerId| {
        tables
            .customers
            .get(&id.to_string())
            .cloned()
            .ok_or_else(|| StorageError::NotFound {
                entity: Customer::ENTITY,
                id: id.to_string(),
            })
    };
    let kept = read(survivor)?;
    let others = duplicates
        .iter()
        .map(read)
        .collect::<StorageResult<Vec<_>>>()?;
    let merged = plan_merge(&kept, &others, rules, &group.expected_versions, stamp)?;
    let gone: BTreeSet<&CustomerId> = duplicates.iter().collect();
    let version = kept.version + 1;
    tables.customers.insert(
        survivor.to_string(),
        Versioned {
            record: merged,
            version,
        },
    );
    let mut report = MergeReport {
        survivor: Some(survivor.clone()),
        version,
        merged: duplicates.to_vec(),
        interactions: move_in(&mut tables.interactions, &gone, survivor),
        tickets: move_in(&mut tables.tickets, &gone, survivor),
        deals: move_in(&mut tables.deals, &gone, survivor),
        transactions: move_in(&mut tables.transactions, &gone, survivor),
        survey_responses: move_in(&mut tables.survey_responses, &gone, survivor),
        loyalty_events: move_in(&mut tables.loyalty_events, &gone, survivor),
        campaign_members: move_members(&mut tables.campaign_members, duplicates, survivor),
        ..MergeReport::default()
    };
    for id in duplicates {
        tables.customers.remove(&id.to_string());
    }
    for v in tables.customers.values_mut() {
        let mut changed = false;
        for link in [&mut v.record.account, &mut v.record.parent_account] {
            if link.as_ref().is_some_and(|l| gone.contains(l)) {
                *link = Some(survivor.clone());
                changed = true;
            }
        }
        if changed {
            v.version += 1;
            report.linked_customers += 1;
        }
    }
    for entry in tables.merges.values_mut() {
        if gone.contains(&entry.survivor) {
            entry.survivor = survivor.clone();
            report.earlier_merges += 1;
        }
    }
    for id in duplicates {
        tables.merges.insert(
            id.to_string(),
            MergeEntry {
                merged: id.clone(),
                survivor: survivor.clone(),
                merged_by: stamp.by.clone(),
                merged_at: stamp.at,
            },
        );
    }
    Ok(report)
}

fn erase_members(
    members: &mut BTreeMap<MemberPosition, CampaignMember>,
    customer: &CustomerId,
    pseudonym: Option<&CustomerId>,
) -> ErasureCounts {
    let (hit, kept): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(members)
        .into_iter()
        .partition(|(_, m)| &m.customer == customer);
    *members = kept;
    let mut counts = ErasureCounts::default();
    match pseudonym {
        None => counts.deleted = hit.len(),
        Some(p) => {
            counts.anonymized = hit.len();
            for (_, mut m) in hit {
                m.customer = p.clone();
                members.insert(MemberPosition::of(&m), m);
            }
        }
    }
    counts
}

/// The placeholder customer that anonymized records point at after an erasure.
pub(crate) fn placeholder(pseudonym: &CustomerId, erased: &Customer) -> StorageResult<Customer> {
    Ok(Customer::new(
        pseudonym.clone(),
        PartyKind::Person,
        "erased",
        erased.created_at,
    )?)
}

#[async_trait]
impl CrmStore for MemoryStore {
    async fn reassign_owner(&self, from: &UserId, to: &UserId) -> StorageResult<ReassignReport> {
        check_reassign(from, to)?;
        let mut tables = self.write()?;
        Ok(ReassignReport {
            customers: reassign(&mut tables.customers, from, to),
            deals: reassign(&mut tables.deals, from, to),
            tickets: reassign(&mut tables.tickets, from, to),
        })
    }

    async fn merge_customer_groups(
        &self,
        groups: &[CustomerMerge],
        rules: &FieldRules,
        stamp: &MergeStamp,
    ) -> StorageResult<Vec<MergeReport>> {
        check_merges(groups, stamp)?;
        let mut tables = self.write()?;
        // Work on a copy so that a failing group leaves the store untouched.
        let mut next = tables.clone();
        let reports = groups
            .iter()
            .map(|g| merge_group(&mut next, g, rules, stamp))
            .collect::<StorageResult<Vec<_>>>()?;
        *tables = next;
        Ok(reports)
    }

    async fn merged_into(&self, ids: &[CustomerId]) -> StorageResult<Vec<MergeEntry>> {
        let tables = self.read()?;
        let keys: BTreeSet<String> = ids.iter().map(ToString::to_string).collect();
        Ok(keys
            .iter()
            .filter_map(|k| tables.merges.get(k).cloned())
            .collect())
    }

    async fn erase_customer(
        &self,
        customer: &CustomerId,
        how: &Erasure,
    ) -> StorageResult<ErasureReport> {
        let mut tables = self.write()?;
        let key = customer.to_string();
        let erased = tables
            .customers
            .get(&key)
            .ok_or_else(|| StorageError::NotFound {
                entity: Customer::ENTITY,
                id: key.clone(),
            })?
            .record
            .clone();
        let pseudonym = match how {
            Erasure::DeleteEverything => None,
            Erasure::KeepAnonymizedAggregates { pseudonym } => {
                if tables.customers.contains_key(&pseudonym.to_string()) {
                    return Err(StorageError::Duplicate {
                        entity: Customer::ENTITY,
                        id: pseudonym.to_string(),
                    });
                }
                Some(pseudonym)
            }
        };
        // Work on a copy so that a failure leaves the store untouched.
        let mut next = tables.clone();
        next.customers.remove(&key);
        // Other customers may name the erased one as their account or parent account.
        for v in next.customers.values_mut() {
            let mut changed = false;
            for link in [&mut v.record.account, &mut v.record.parent_account] {
                if link.as_ref() == Some(customer) {
                    *link = pseudonym.cloned();
                    changed = true;
                }
            }
            if changed {
                v.version += 1;
            }
        }
        if let Some(p) = pseudonym {
            next.customers.insert(
                p.to_string(),
                Versioned {
                    record: placeholder(p, &erased)?,
                    version: 1,
                },
            );
        }
        let mut report = ErasureReport {
            customer: Some(customer.clone()),
            pseudonym: pseudonym.cloned(),
            interactions: erase_in(&mut next.interactions, customer, pseudonym),
            tickets: erase_in(&mut next.tickets, customer, pseudonym),
            deals: erase_in(&mut next.deals, customer, pseudonym),
            transactions: erase_in(&mut next.transactions, customer, pseudonym),
            survey_responses: erase_in(&mut next.survey_responses, customer, pseudonym),
            loyalty_events: erase_in(&mut next.loyalty_events, customer, pseudonym),
            merged_ids: 0,
            campaign_members: erase_members(&mut next.campaign_members, customer, pseudonym),
        };
        let before = next.merges.len();
        next.merges.retain(|_, m| &m.survivor != customer);
        report.merged_ids = before - next.merges.len();
        *tables = next;
        Ok(report)
    }
}

#[async_trait]
impl CampaignRepository for MemoryStore {
    async fn append_campaigns(&self, batch: &[Campaign]) -> StorageResult<BatchReport> {
        check_campaign_batch(batch)?;
        let mut tables = self.write()?;
        let mut report = BatchReport::default();
        for c in batch {
            match tables.campaigns.entry(c.id.to_string()) {
                std::collections::btree_map::Entry::Occupied(_) => report.skipped += 1,
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(c.clone());
                    report.inserted += 1;
                }
            }
        }
        Ok(report)
    }

    async fn get_campaign(&self, id: &CampaignId) -> StorageResult<Campaign> {
        let key = id.to_string();
        let found = self.read()?.campaigns.get(&key).cloned();
        found.ok_or(StorageError::NotFound {
            entity: "campaign",
            id: key,
        })
    }

    async fn campaigns(&self) -> StorageResult<Vec<Campaign>> {
        Ok(self.read()?.campaigns.values().cloned().collect())
    }

    async fn append_campaign_members(
        &self,
        batch: &[CampaignMember],
    ) -> StorageResult<BatchReport> {
        check_member_batch(batch)?;
        let mut tables = self.write()?;
        let fresh = fresh_members(batch, |k| tables.campaign_members.contains_key(k));
        for &i in &fresh {
            let m = &batch[i];
            if !tables.campaigns.contains_key(&m.campaign.to_string()) {
                return Err(no_such_campaign(i));
            }
            if !tables.customers.contains_key(&m.customer.to_string()) {
                return Err(no_such_member_customer(i));
            }
        }
        for &i in &fresh {
            let m = &batch[i];
            tables
                .campaign_members
                .insert(MemberPosition::of(m), m.clone());
        }
        Ok(BatchReport {
            inserted: fresh.len(),
            skipped: batch.len() - fresh.len(),
        })
    }

    async fn fetch_member_page(
        &self,
        campaign: Option<&CampaignId>,
        after: Option<&MemberPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<CampaignMember>> {
        let tables = self.read()?;
        let campaign = campaign.map(ToString::to_string);
        Ok(tables
            .campaign_members
            .iter()
            .filter(|(k, _)| after.is_none_or(|a| *k > a))
            .filter(|(k, _)| campaign.as_ref().is_none_or(|c| &k.campaign == c))
            .take(limit.get() as usize)
            .map(|(_, m)| m.clone())
            .collect())
    }
}
