//! The demo's database step: every generated record, converted to the `crm-core` types,
//! and the demo's campaigns, written to a fresh SQLite file through the storage traits (the
//! report then reads it back as `crm report --db` does).

use std::path::Path;

use crate::commands::database::{append_all, open_sqlite, runtime};
use crate::demo::domain;
use crate::demo::generate::DemoData;
use crate::error::{CliError, CliResult};
use crm_storage_traits::CampaignRepository;

fn convert<G, R>(items: &[G], f: impl Fn(&G) -> CliResult<R>) -> CliResult<Vec<R>> {
    items.iter().map(f).collect()
}

/// Records inserted per kind, as the store reported.
pub type Written = Vec<(&'static str, usize)>;

/// Writes the data set into a fresh SQLite database (a file that does not exist yet)
/// through the storage traits, in batches; returns the records inserted per kind.
pub fn store(data: &DemoData, seed: u64, db: &Path) -> CliResult<Written> {
    let customers = convert(&data.customers, domain::customer)?;
    let transactions = convert(&data.transactions, domain::transaction)?;
    let interactions = convert(&data.interactions, domain::interaction)?;
    let tickets = convert(&data.tickets, domain::ticket)?;
    let responses = convert(&data.responses, domain::response)?;
    let deals = convert(&data.deals, domain::deal)?;
    let loyalty = domain::loyalty_events(&transactions)?;
    let (campaigns, members) = crate::demo::campaigns::campaigns(
        &customers,
        seed,
        crate::demo::generate::observation_end(),
    )?;
    let total = customers.len()
        + transactions.len()
        + interactions.len()
        + tickets.len()
        + responses.len()
        + deals.len()
        + loyalty.len()
        + campaigns.len()
        + members.len();
    let rt = runtime()?;
    rt.block_on(async {
        let store = open_sqlite(db).await?;
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
            (
                "loyalty_events",
                append_all(&store, db, &loyalty, Some(&pb)).await?.inserted,
            ),
            (
                "campaigns",
                store
                    .append_campaigns(&campaigns)
                    .await
                    .map_err(|e| CliError::storage(db, format!("writing campaigns: {e}")))?
                    .inserted,
            ),
            (
                "campaign_members",
                store
                    .append_campaign_members(&members)
                    .await
                    .map_err(|e| CliError::storage(db, format!("writing campaign members: {e}")))?
                    .inserted,
            ),
        ];
        pb.inc((campaigns.len() + members.len()) as u64);
        store.close().await;
        pb.finish_and_clear();
        Ok(written)
    })
}
