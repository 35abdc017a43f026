//! The database side of the command line: writing records through the storage traits in
//! idempotent, all-or-nothing batches, and reading transactions and survey responses back
//! with the traits' streaming scans. Everything here is generic over the traits, so the
//! same code runs on the SQLite store and on the in-memory reference store.

use std::path::Path;

use crm_core::{SurveyResponse, Transaction};
use crm_storage_traits::{
    BatchAppend, BatchReport, Filter, PageRequest, Record, Repository, TimeRange, TimeScan,
};
use futures::StreamExt;
use indicatif::ProgressBar;

use crate::commands::scored::{Scored, scored_of};
use crate::error::{CliError, CliResult};
use crate::input::transactions::TransactionRow;

/// Records per batch when writing and per page when reading.
pub const PAGE: u32 = 5_000;

/// A single-threaded async runtime for the storage calls.
pub fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::analysis("async runtime", e))
}

/// Appends records in batches of [`PAGE`], advancing `progress` by each batch.
pub async fn append_all<R, S>(
    store: &S,
    db: &Path,
    records: &[R],
    progress: Option<&ProgressBar>,
) -> CliResult<BatchReport>
where
    R: Record,
    S: BatchAppend<R> + ?Sized,
{
    let mut total = BatchReport::default();
    for chunk in records.chunks(PAGE as usize) {
        let r = store
            .append_batch(chunk)
            .await
            .map_err(|e| CliError::storage(db, format!("writing {}s: {e}", R::ENTITY)))?;
        total.inserted += r.inserted;
        total.skipped += r.skipped;
        if let Some(pb) = progress {
            pb.inc(chunk.len() as u64);
        }
    }
    Ok(total)
}

/// Appends every record in one all-or-nothing batch (for imports).
pub async fn append_atomic<R, S>(store: &S, db: &Path, records: &[R]) -> CliResult<BatchReport>
where
    R: Record,
    S: BatchAppend<R> + ?Sized,
{
    store
        .append_batch(records)
        .await
        .map_err(|e| CliError::storage(db, format!("importing {}s: {e}", R::ENTITY)))
}

/// Every record of a time-scanned kind, page by page.
pub async fn scan_all<R, S>(store: &S, db: &Path) -> CliResult<Vec<R>>
where
    R: Record,
    S: TimeScan<R> + ?Sized,
{
    let mut out = Vec::new();
    let mut pages = crm_storage_traits::scan::<R, S>(store, TimeRange::all(), PAGE);
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| CliError::storage(db, format!("reading {}s: {e}", R::ENTITY)))?;
        out.extend(page);
    }
    Ok(out)
}

/// Every record of a kind, through cursor-paged listing.
pub async fn list_all<R, S>(store: &S, db: &Path) -> CliResult<Vec<R>>
where
    R: Record,
    S: Repository<R> + ?Sized,
{
    let mut out = Vec::new();
    let mut request = PageRequest::first(PAGE);
    loop {
        let page = store
            .list(&Filter::default(), &request)
            .await
            .map_err(|e| CliError::storage(db, format!("listing {}s: {e}", R::ENTITY)))?;
        out.extend(page.items.into_iter().map(|v| v.record));
        match page.next {
            Some(cursor) => {
                request = PageRequest {
                    after: Some(cursor),
                    limit: PAGE,
                }
            }
            None => return Ok(out),
        }
    }
}

/// A stored transaction in the form the analyses read.
pub fn transaction_row(t: &Transaction) -> TransactionRow {
    TransactionRow {
        customer_id: t.customer.to_string(),
        timestamp: t.occurred_at,
        amount: t.amount.amount(),
        currency: t.amount.currency(),
        transaction_id: Some(t.id.to_string()),
        quantity: Some(t.quantity),
        line: 0,
    }
}

fn missing(db: &Path) -> CliResult<()> {
    if db.exists() {
        Ok(())
    } else {
        Err(CliError::storage(db, "no such database file"))
    }
}

/// Every transaction in a database.
pub fn load_transactions(db: &Path) -> CliResult<Vec<TransactionRow>> {
    missing(db)?;
    runtime()?.block_on(async {
        let store = open(db).await?;
        let all: Vec<Transaction> = scan_all(&store, db).await?;
        Ok(all.iter().map(transaction_row).collect())
    })
}

/// Survey responses of one kind (`NPS`, `CSAT`, `CES`) from a database.
pub fn load_responses(db: &Path, survey: &str) -> CliResult<Vec<Scored>> {
    missing(db)?;
    runtime()?.block_on(async {
        let store = open(db).await?;
        let all: Vec<SurveyResponse> = scan_all(&store, db).await?;
        Ok(scored_of(&all, survey))
    })
}

/// Opens (creating when missing) a SQLite database.
pub async fn open(db: &Path) -> CliResult<crm_storage_sql::SqliteStore> {
    crm_storage_sql::SqliteStore::open(db)
        .await
        .map_err(|e| CliError::storage(db, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::scored::survey_score;
    use crate::demo::domain;
    use crate::demo::generate::{GeneratorConfig, generate};
    use crm_core::Customer;
    use crm_storage_traits::MemoryStore;

    #[test]
    fn demo_records_round_trip_through_the_traits() {
        let data = generate(&GeneratorConfig::new(300, 5));
        let customers: Vec<Customer> = data
            .customers
            .iter()
            .map(|c| domain::customer(c).unwrap())
            .collect();
        let tx: Vec<Transaction> = data
            .transactions
            .iter()
            .map(|t| domain::transaction(t).unwrap())
            .collect();
        let rs: Vec<SurveyResponse> = data
            .responses
            .iter()
            .map(|r| domain::response(r).unwrap())
            .collect();
        let db = Path::new("memory");
        runtime().unwrap().block_on(async {
            let store = MemoryStore::new();
            let r = append_all(&store, db, &customers, None).await.unwrap();
            assert_eq!(r.inserted, 300);
            let r = append_all(&store, db, &tx, None).await.unwrap();
            assert_eq!(r.inserted, tx.len());
            // Idempotent: a second append adds nothing.
            let r = append_all(&store, db, &tx, None).await.unwrap();
            assert_eq!((r.inserted, r.skipped), (0, tx.len()));
            append_all(&store, db, &rs, None).await.unwrap();
            let back: Vec<Transaction> = scan_all(&store, db).await.unwrap();
            assert_eq!(back.len(), tx.len());
            let mut a: Vec<_> = back
                .iter()
                .map(transaction_row)
                .map(|r| (r.transaction_id, r.amount))
                .collect();
            let mut b: Vec<_> = tx
                .iter()
                .map(transaction_row)
                .map(|r| (r.transaction_id, r.amount))
                .collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
            let listed: Vec<Customer> = list_all(&store, db).await.unwrap();
            assert_eq!(listed.len(), 300);
            let back: Vec<SurveyResponse> = scan_all(&store, db).await.unwrap();
            let nps = back
                .iter()
                .filter(|r| survey_score(r, "NPS").is_some())
                .count();
            assert_eq!(
                nps,
                data.responses
                    .iter()
                    .filter(|r| r.survey == crate::demo::generate::GenSurvey::Nps)
                    .count()
            );
        });
    }
}
