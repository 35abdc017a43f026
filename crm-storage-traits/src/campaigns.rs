//! [`CampaignRepository`]: marketing campaigns and their members.
//!
//! Campaigns belong to no customer and members are keyed by the pair (campaign, customer),
//! so they are not [`Record`](crate::Record)s: the repository has its own, smaller
//! contract. Both kinds are imported in idempotent, all-or-nothing batches keyed by their
//! ids, read back in the order of their id texts, and counted; a customer's memberships go
//! with the customer on erasure (see [`CrmStore::erase_customer`](crate::CrmStore::erase_customer)).

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use async_trait::async_trait;
use crm_core::{Campaign, CampaignId, CampaignMember};
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};

use crate::batch::BatchReport;
use crate::error::{StorageError, StorageResult};
use crate::record::check_time;

/// Where a page of members ends: the campaign and customer id texts of its last member.
/// Members come in ascending order of (campaign id text, customer id text).
///
/// ```
/// use crm_storage_traits::MemberPosition;
/// let a = MemberPosition { campaign: "C-1".into(), customer: "9".into() };
/// let b = MemberPosition { campaign: "C-2".into(), customer: "1".into() };
/// assert!(a < b);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MemberPosition {
    /// The campaign id text.
    pub campaign: String,
    /// The customer id text.
    pub customer: String,
}

impl MemberPosition {
    /// The position of a member.
    ///
    /// ```
    /// use crm_core::{CampaignGroup, CampaignMember};
    /// use crm_storage_traits::MemberPosition;
    /// let m = CampaignMember::new("C-1".parse()?, 7.into(), CampaignGroup::Holdout);
    /// assert_eq!(MemberPosition::of(&m).customer, "7");
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn of(member: &CampaignMember) -> MemberPosition {
        MemberPosition {
            campaign: member.campaign.to_string(),
            customer: member.customer.to_string(),
        }
    }
}

/// Checks a campaign before it is stored: the domain rules and the store's time range,
/// the error's field starting with `campaign.`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Campaign, Channel};
/// let mut c = Campaign::new("C-1".parse()?, "Spring", Channel::Email, Utc::now(), "10 EUR".parse()?)?;
/// assert!(crm_storage_traits::check_campaign(&c).is_ok());
/// c.start = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
/// assert!(crm_storage_traits::check_campaign(&c).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_campaign(campaign: &Campaign) -> StorageResult<()> {
    campaign.validate()?;
    check_time("campaign.start", campaign.start)?;
    if let Some(end) = campaign.end {
        check_time("campaign.end", end)?;
    }
    Ok(())
}

/// Checks a membership before it is stored: the domain rules and the store's time range,
/// the error's field starting with `campaign_member.`.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{CampaignGroup, CampaignMember};
/// let mut m = CampaignMember::new("C-1".parse()?, 7.into(), CampaignGroup::Holdout);
/// assert!(crm_storage_traits::check_member(&m).is_ok());
/// m.sent_at = Some(Utc::now());
/// let err = crm_storage_traits::check_member(&m).unwrap_err();
/// assert!(err.to_string().starts_with("campaign_member.sent_at"));
/// # Ok::<(), crm_core::IdError>(())
/// ```
pub fn check_member(member: &CampaignMember) -> StorageResult<()> {
    member.validate()?;
    for (field, time) in [
        ("campaign_member.sent_at", member.sent_at),
        ("campaign_member.opened_at", member.opened_at),
        ("campaign_member.clicked_at", member.clicked_at),
        ("campaign_member.responded_at", member.responded_at),
    ] {
        if let Some(t) = time {
            check_time(field, t)?;
        }
    }
    Ok(())
}

/// Checks every campaign of a batch, the error naming its position
/// (`batch[2].campaign.name`).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Campaign, Channel};
/// let mut c = Campaign::new("C-1".parse()?, "Spring", Channel::Email, Utc::now(), "10 EUR".parse()?)?;
/// c.name.clear();
/// let err = crm_storage_traits::check_campaign_batch(&[c]).unwrap_err();
/// assert!(err.to_string().starts_with("batch[0].campaign.name"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_campaign_batch(batch: &[Campaign]) -> StorageResult<()> {
    for (i, c) in batch.iter().enumerate() {
        check_campaign(c).map_err(|e| e.within(&format!("batch[{i}]")))?;
    }
    Ok(())
}

/// Checks every membership of a batch, the error naming its position
/// (`batch[2].campaign_member.sent_at`).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{CampaignGroup, CampaignMember};
/// let mut m = CampaignMember::new("C-1".parse()?, 7.into(), CampaignGroup::Holdout);
/// m.opened_at = Some(Utc::now());
/// let err = crm_storage_traits::check_member_batch(&[m]).unwrap_err();
/// assert!(err.to_string().starts_with("batch[0].campaign_member.opened_at"));
/// # Ok::<(), crm_core::IdError>(())
/// ```
pub fn check_member_batch(batch: &[CampaignMember]) -> StorageResult<()> {
    for (i, m) in batch.iter().enumerate() {
        check_member(m).map_err(|e| e.within(&format!("batch[{i}]")))?;
    }
    Ok(())
}

/// The error of a membership naming a campaign that is not stored.
///
/// ```
/// let e = crm_storage_traits::no_such_campaign(3);
/// assert_eq!(e.to_string(), "batch[3].campaign_member.campaign: no such campaign");
/// ```
pub fn no_such_campaign(position: usize) -> StorageError {
    StorageError::invalid(
        format!("batch[{position}].campaign_member.campaign"),
        "no such campaign",
    )
}

/// The error of a membership naming a customer that is not stored.
///
/// ```
/// let e = crm_storage_traits::no_such_member_customer(0);
/// assert_eq!(e.to_string(), "batch[0].campaign_member.customer: no such customer");
/// ```
pub fn no_such_member_customer(position: usize) -> StorageError {
    StorageError::invalid(
        format!("batch[{position}].campaign_member.customer"),
        "no such customer",
    )
}

/// Splits a membership batch into the members to add, by position: those whose key is
/// neither in `stored` nor earlier in the batch. Stores call it after checking the batch.
///
/// ```
/// use std::collections::BTreeSet;
/// use crm_core::{CampaignGroup, CampaignMember};
/// use crm_storage_traits::{MemberPosition, fresh_members};
/// let m = CampaignMember::new("C-1".parse()?, 7.into(), CampaignGroup::Holdout);
/// let stored: BTreeSet<MemberPosition> = BTreeSet::new();
/// assert_eq!(fresh_members(&[m.clone(), m], |p: &MemberPosition| stored.contains(p)), [0]);
/// # Ok::<(), crm_core::IdError>(())
/// ```
pub fn fresh_members(
    batch: &[CampaignMember],
    stored: impl Fn(&MemberPosition) -> bool,
) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, m) in batch.iter().enumerate() {
        let key = MemberPosition::of(m);
        if stored(&key) || !seen.insert(key) {
            continue;
        }
        out.push(i);
    }
    out
}

/// Marketing campaigns ([`Campaign`]) and their members ([`CampaignMember`]).
///
/// Campaigns are keyed by their id, members by (campaign, customer). Both are imported in
/// idempotent, all-or-nothing batches: every record is checked first (an error's field
/// starts with `batch[i]`), a key that is stored already or repeated in the batch is
/// skipped (the stored record stays as it was), and on any error nothing of the batch is
/// written. A member must name a stored campaign (else `Invalid`, field
/// `batch[i].campaign_member.campaign`) and a stored customer (field
/// `batch[i].campaign_member.customer`); a customer with memberships cannot be deleted,
/// only erased.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Campaign, CampaignGroup, CampaignMember, Channel, Customer, PartyKind};
/// use crm_storage_traits::{CampaignRepository, MemoryStore, Repository};
///
/// # futures::executor::block_on(async {
/// let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
/// let store = MemoryStore::new();
/// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", t0)?).await?;
/// store.create(Customer::new(2.into(), PartyKind::Person, "Bob", t0)?).await?;
/// let spring = Campaign::new("SPRING".parse()?, "Spring", Channel::Email, t0, "300 EUR".parse()?)?;
/// assert_eq!(store.append_campaigns(&[spring.clone()]).await?.inserted, 1);
/// let mut ann = CampaignMember::new(spring.id.clone(), 1.into(), CampaignGroup::Treatment);
/// ann.sent_at = Some(t0);
/// let bob = CampaignMember::new(spring.id.clone(), 2.into(), CampaignGroup::Holdout);
/// let batch = [ann, bob];
/// assert_eq!(store.append_campaign_members(&batch).await?.inserted, 2);
/// // Importing the same members again adds nothing.
/// assert_eq!(store.append_campaign_members(&batch).await?.skipped, 2);
/// assert_eq!(store.campaign_members(&spring.id).await?, batch);
/// assert_eq!(store.count_campaign_members(Some(&spring.id)).await?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait CampaignRepository: Send + Sync {
    /// Adds every campaign whose id is not stored yet, in one atomic step.
    async fn append_campaigns(&self, batch: &[Campaign]) -> StorageResult<BatchReport>;

    /// The campaign with this id, or [`StorageError::NotFound`] (entity `campaign`).
    async fn get_campaign(&self, id: &CampaignId) -> StorageResult<Campaign>;

    /// Every campaign, in ascending order of id text.
    async fn campaigns(&self) -> StorageResult<Vec<Campaign>>;

    /// How many campaigns are stored.
    async fn count_campaigns(&self) -> StorageResult<u64> {
        Ok(self.campaigns().await?.len() as u64)
    }

    /// Adds every member whose (campaign, customer) is not stored yet, in one atomic step.
    async fn append_campaign_members(&self, batch: &[CampaignMember])
    -> StorageResult<BatchReport>;

    /// Up to `limit` members (of one campaign, or of all), in ascending order of
    /// (campaign id text, customer id text), strictly after `after`: the method a store
    /// implements; callers use [`member_page`](CampaignRepository::member_page).
    async fn fetch_member_page(
        &self,
        campaign: Option<&CampaignId>,
        after: Option<&MemberPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<CampaignMember>>;

    /// What [`fetch_member_page`](CampaignRepository::fetch_member_page) returns, once the
    /// limit is checked: a limit of 0 is `Invalid` (field `scan.limit`).
    async fn member_page(
        &self,
        campaign: Option<&CampaignId>,
        after: Option<&MemberPosition>,
        limit: u32,
    ) -> StorageResult<Vec<CampaignMember>> {
        let limit = NonZeroU32::new(limit)
            .ok_or_else(|| StorageError::invalid("scan.limit", "must be at least 1"))?;
        self.fetch_member_page(campaign, after, limit).await
    }

    /// Streams the members (of one campaign, or of all) as pages of at most `page_size`,
    /// fetching one page at a time, in the order of
    /// [`fetch_member_page`](CampaignRepository::fetch_member_page).
    fn scan_campaign_members(
        &self,
        campaign: Option<CampaignId>,
        page_size: u32,
    ) -> BoxStream<'_, StorageResult<Vec<CampaignMember>>> {
        struct State {
            campaign: Option<CampaignId>,
            after: Option<MemberPosition>,
            done: bool,
        }
        let state = State {
            campaign,
            after: None,
            done: false,
        };
        stream::unfold(state, move |mut state| async move {
            if state.done {
                return None;
            }
            match self
                .member_page(state.campaign.as_ref(), state.after.as_ref(), page_size)
                .await
            {
                Ok(page) if page.is_empty() => None,
                Ok(page) => {
                    state.done = page.len() < page_size as usize;
                    state.after = page.last().map(MemberPosition::of);
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

    /// Every member of one campaign, in ascending order of customer id text (none for an
    /// unknown campaign).
    async fn campaign_members(&self, campaign: &CampaignId) -> StorageResult<Vec<CampaignMember>> {
        let mut out = Vec::new();
        let mut pages = self.scan_campaign_members(Some(campaign.clone()), 1_000);
        while let Some(page) = pages.next().await {
            out.extend(page?);
        }
        Ok(out)
    }

    /// How many members one campaign (or every campaign) has.
    async fn count_campaign_members(&self, campaign: Option<&CampaignId>) -> StorageResult<u64> {
        let mut n = 0u64;
        let mut pages = self.scan_campaign_members(campaign.cloned(), 1_000);
        while let Some(page) = pages.next().await {
            n += page?.len() as u64;
        }
        Ok(n)
    }
}
