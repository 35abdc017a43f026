//! What a report reads: every record of every kind, from a store through the storage
//! traits (cursor-paged listing for customers, tickets and deals; streaming time scans for
//! transactions, interactions and survey answers).

use std::path::Path;

use chrono::{DateTime, Utc};
use crm_core::{
    Campaign, CampaignMember, Customer, Deal, Interaction, LoyaltyEvent, SurveyResponse, Ticket,
    Transaction,
};
use crm_storage_traits::{CampaignRepository, Repository, TimeScan};
use futures::StreamExt;

use crate::commands::database::{PAGE, list_all, scan_all};
use crate::error::{CliError, CliResult};

/// Every record a report reads.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Customers.
    pub customers: Vec<Customer>,
    /// Transactions.
    pub transactions: Vec<Transaction>,
    /// Interactions.
    pub interactions: Vec<Interaction>,
    /// Tickets.
    pub tickets: Vec<Ticket>,
    /// Survey responses.
    pub responses: Vec<SurveyResponse>,
    /// Deals.
    pub deals: Vec<Deal>,
    /// Loyalty events.
    pub loyalty: Vec<LoyaltyEvent>,
    /// Marketing campaigns, in id order.
    pub campaigns: Vec<Campaign>,
    /// Campaign members, in (campaign, customer) id order.
    pub members: Vec<CampaignMember>,
}

/// Every store a report can read.
pub trait ReportStore:
    Repository<Customer>
    + TimeScan<Transaction>
    + TimeScan<Interaction>
    + Repository<Ticket>
    + TimeScan<SurveyResponse>
    + Repository<Deal>
    + TimeScan<LoyaltyEvent>
    + CampaignRepository
{
}

impl<S> ReportStore for S where
    S: Repository<Customer>
        + TimeScan<Transaction>
        + TimeScan<Interaction>
        + Repository<Ticket>
        + TimeScan<SurveyResponse>
        + Repository<Deal>
        + TimeScan<LoyaltyEvent>
        + CampaignRepository
        + ?Sized
{
}

/// Every campaign member of a store, page by page.
pub async fn all_members<S: CampaignRepository + ?Sized>(
    store: &S,
    db: &Path,
) -> CliResult<Vec<CampaignMember>> {
    let mut out = Vec::new();
    let mut pages = store.scan_campaign_members(None, PAGE);
    while let Some(page) = pages.next().await {
        out.extend(
            page.map_err(|e| CliError::storage(db, format!("reading campaign members: {e}")))?,
        );
    }
    Ok(out)
}

impl Dataset {
    /// Reads every record of a store (`db` names it in error messages).
    pub async fn load<S: ReportStore + ?Sized>(store: &S, db: &Path) -> CliResult<Self> {
        Ok(Self {
            customers: list_all(store, db).await?,
            transactions: scan_all(store, db).await?,
            interactions: scan_all(store, db).await?,
            tickets: list_all(store, db).await?,
            responses: scan_all(store, db).await?,
            deals: list_all(store, db).await?,
            loyalty: scan_all(store, db).await?,
            campaigns: store
                .campaigns()
                .await
                .map_err(|e| CliError::storage(db, format!("reading campaigns: {e}")))?,
            members: all_members(store, db).await?,
        })
    }

    /// Records per kind, in a fixed order (the keys of `summary.json`'s `data`).
    pub fn counts(&self) -> [(&'static str, usize); 9] {
        [
            ("customers", self.customers.len()),
            ("transactions", self.transactions.len()),
            ("interactions", self.interactions.len()),
            ("tickets", self.tickets.len()),
            ("responses", self.responses.len()),
            ("deals", self.deals.len()),
            ("loyalty_events", self.loyalty.len()),
            ("campaigns", self.campaigns.len()),
            ("campaign_members", self.members.len()),
        ]
    }

    /// Keeps the records of the period `from..=to` (either end open): transactions,
    /// interactions, answers and loyalty events by their time, tickets and deals by their
    /// creation.
    /// Customers are all kept.
    pub fn restrict(&mut self, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        let inside = |t: DateTime<Utc>| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e);
        self.transactions.retain(|r| inside(r.occurred_at));
        self.interactions.retain(|r| inside(r.occurred_at));
        self.responses.retain(|r| inside(r.responded_at));
        self.tickets.retain(|r| inside(r.created_at));
        self.deals.retain(|r| inside(r.created_at));
        self.loyalty.retain(|r| inside(r.occurred_at));
    }

    /// The time of the latest transaction.
    pub fn last_transaction(&self) -> Option<DateTime<Utc>> {
        self.transactions.iter().map(|t| t.occurred_at).max()
    }
}
