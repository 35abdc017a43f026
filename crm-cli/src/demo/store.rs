//! The demo's database step: every generated record, converted to the `crm-core` types,
//! written to a fresh SQLite file through the storage traits and read back through them.

use std::path::Path;

use crate::commands::database::{append_all, list_all, open, runtime, scan_all};
use crate::demo::domain;
use crate::demo::generate::DemoData;
use crate::error::CliResult;
use crate::progress::spinner;

/// What the demo read back from the database: every record of every kind.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Customers, through cursor-paged listing.
    pub customers: Vec<crm_core::Customer>,
    /// Transactions, through the streaming time scan.
    pub transactions: Vec<crm_core::Transaction>,
    /// Interactions, through the streaming time scan.
    pub interactions: Vec<crm_core::Interaction>,
    /// Tickets, through cursor-paged listing.
    pub tickets: Vec<crm_core::Ticket>,
    /// Survey responses, through the streaming time scan.
    pub responses: Vec<crm_core::SurveyResponse>,
    /// Deals, through cursor-paged listing.
    pub deals: Vec<crm_core::Deal>,
    /// Records inserted per kind, as the store reported.
    pub written: Vec<(&'static str, usize)>,
}

impl Stored {
    /// Records read back per kind, in the order of [`Stored::written`].
    pub fn read_back(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("customers", self.customers.len()),
            ("transactions", self.transactions.len()),
            ("interactions", self.interactions.len()),
            ("tickets", self.tickets.len()),
            ("survey_responses", self.responses.len()),
            ("deals", self.deals.len()),
        ]
    }
}

fn convert<G, R>(items: &[G], f: impl Fn(&G) -> CliResult<R>) -> CliResult<Vec<R>> {
    items.iter().map(f).collect()
}

/// Writes the data set into a fresh SQLite database (a file that does not exist yet)
/// through the storage traits and reads every record back through them.
pub fn store_and_read_back(data: &DemoData, db: &Path) -> CliResult<Stored> {
    let customers = convert(&data.customers, domain::customer)?;
    let transactions = convert(&data.transactions, domain::transaction)?;
    let interactions = convert(&data.interactions, domain::interaction)?;
    let tickets = convert(&data.tickets, domain::ticket)?;
    let responses = convert(&data.responses, domain::response)?;
    let deals = convert(&data.deals, domain::deal)?;
    let total = customers.len()
        + transactions.len()
        + interactions.len()
        + tickets.len()
        + responses.len()
        + deals.len();
    let rt = runtime()?;
    rt.block_on(async {
        let store = open(db).await?;
        let pb = crate::progress::bar("storing in SQLite", total as u64);
        let written = vec![
            (
                "customers",
                append_all(&store, db, &customers, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "transactions",
                append_all(&store, db, &transactions, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "interactions",
                append_all(&store, db, &interactions, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "tickets",
                append_all(&store, db, &tickets, Some(&pb)).await?.inserted,
            ),
            (
                "survey_responses",
                append_all(&store, db, &responses, Some(&pb))
                    .await?
                    .inserted,
            ),
            (
                "deals",
                append_all(&store, db, &deals, Some(&pb)).await?.inserted,
            ),
        ];
        pb.finish_and_clear();
        let pb = spinner("reading back from SQLite");
        let stored = Stored {
            customers: list_all(&store, db).await?,
            transactions: scan_all(&store, db).await?,
            interactions: scan_all(&store, db).await?,
            tickets: list_all(&store, db).await?,
            responses: scan_all(&store, db).await?,
            deals: list_all(&store, db).await?,
            written,
        };
        store.close().await;
        pb.finish_and_clear();
        Ok(stored)
    })
}
