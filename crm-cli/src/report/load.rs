//! Reading what a report reads: every record of a database, or the files given, read and
//! checked as `crm import` reads them into an in-memory store (so a report from files
//! equals the report from a database the same files were imported into).

use std::path::{Path, PathBuf};

use chrono::Utc;
use crm_core::{Campaign, CampaignMember, Customer};
use crm_storage_traits::{CampaignRepository, MemoryStore};

use crate::cli::{ReportArgs, SurveyKind};
use crate::commands::database::{append_atomic, reading, runtime, with_store};
use crate::commands::import::{
    batch_error, check_unique, customer_records, import_events, response_records,
    transaction_records,
};
use crate::error::{CliError, CliResult};
use crate::input::{activity, customers, responses, transactions};
use crate::report::dataset::Dataset;

/// Reads every record of a database, opened as every other command opens it.
pub fn load_database(db: &Path) -> CliResult<Dataset> {
    reading(
        db,
        async |store| with_store!(store, s => Dataset::load(s, db).await),
    )
}

/// A `--responses` value: `[nps|csat|ces=]FILE`.
pub fn response_file(spec: &str) -> CliResult<(SurveyKind, PathBuf)> {
    let (kind, file) = match spec.split_once('=') {
        Some(("nps", f)) => (SurveyKind::Nps, f),
        Some(("csat", f)) => (SurveyKind::Csat, f),
        Some(("ces", f)) => (SurveyKind::Ces, f),
        _ => (SurveyKind::Nps, spec),
    };
    if file.is_empty() {
        return Err(CliError::Usage(format!(
            "--responses: expected [nps|csat|ces=]FILE, found {spec:?}"
        )));
    }
    Ok((kind, PathBuf::from(file)))
}

/// Reads the files given into an in-memory store through the import calls, and every
/// record back through the storage traits.
pub fn load_files(args: &ReportArgs) -> CliResult<Dataset> {
    // Every file is read and checked before anything is stored, as in `crm import`.
    let customer_items = match &args.customers {
        Some(path) => {
            let items = customer_records(path, &customers::read(path)?, Utc::now())?;
            check_unique(path, &items, "customer_id")?;
            items
        }
        None => Vec::new(),
    };
    let transaction_items = match &args.transactions {
        Some(path) => {
            let rows = transactions::read(path, args.format, &args.currency)?;
            let items = transaction_records(path, &rows)?;
            check_unique(path, &items, "transaction_id")?;
            Some((path, items))
        }
        None => None,
    };
    let mut response_items = Vec::new();
    for spec in &args.responses {
        let (kind, path) = response_file(spec)?;
        let (min, max, label) = match kind {
            SurveyKind::Nps => (0, 10, "NPS"),
            SurveyKind::Csat => (1, args.scale_max, "CSAT"),
            SurveyKind::Ces => (1, 7, "CES"),
        };
        let rows = responses::read(&path, min, max, label)?;
        let items = response_records(&path, &rows, kind, args.scale_max)?;
        check_unique(&path, &items, "response_id")?;
        response_items.push((path, items));
    }
    let interaction_items = match &args.interactions {
        Some(path) => {
            let items = activity::interactions(path)?;
            check_unique(path, &items, "interaction_id")?;
            Some((path, items))
        }
        None => None,
    };
    let ticket_items = match &args.tickets {
        Some(path) => {
            let items = activity::tickets(path)?;
            check_unique(path, &items, "ticket_id")?;
            Some((path, items))
        }
        None => None,
    };
    let deal_items = match &args.deals {
        Some(path) => {
            let currency = transactions::default_currency_option(&args.currency)?;
            let items = activity::deals(path, currency)?;
            check_unique(path, &items, "deal_id")?;
            Some((path, items))
        }
        None => None,
    };
    let campaign_items = match &args.campaigns {
        Some(path) => {
            let currency = transactions::default_currency_option(&args.currency)?;
            Some((path, crate::input::campaigns::campaigns(path, currency)?))
        }
        None => None,
    };
    let member_items = match &args.members {
        Some(path) => Some((path, crate::input::campaigns::members(path)?)),
        None => None,
    };
    let db = Path::new("(files)");
    runtime()?.block_on(async {
        let store = MemoryStore::new();
        let records: Vec<Customer> = customer_items.into_iter().map(|i| i.record).collect();
        append_atomic(&store, db, &records).await?;
        if let Some((path, items)) = &transaction_items {
            import_events(&store, db, path, items, "transaction_id").await?;
        }
        for (path, items) in &response_items {
            import_events(&store, db, path, items, "response_id").await?;
        }
        if let Some((path, items)) = &interaction_items {
            import_events(&store, db, path, items, "interaction_id").await?;
        }
        if let Some((path, items)) = &ticket_items {
            import_events(&store, db, path, items, "ticket_id").await?;
        }
        if let Some((path, items)) = &deal_items {
            import_events(&store, db, path, items, "deal_id").await?;
        }
        if let Some((path, items)) = &campaign_items {
            let records: Vec<Campaign> = items.iter().map(|l| l.record.clone()).collect();
            store
                .append_campaigns(&records)
                .await
                .map_err(|e| batch_error(db, path, items, e))?;
        }
        if let Some((path, items)) = &member_items {
            let records: Vec<CampaignMember> = items.iter().map(|l| l.record.clone()).collect();
            store
                .append_campaign_members(&records)
                .await
                .map_err(|e| batch_error(db, path, items, e))?;
        }
        Dataset::load(&store, db).await
    })
}
