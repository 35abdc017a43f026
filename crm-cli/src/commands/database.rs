//! The database side of the command line: writing records through the storage traits in
//! idempotent, all-or-nothing batches, and reading transactions and survey responses back
//! with the traits' streaming scans. Everything here is generic over the traits, so the
//! same code runs on the SQLite store and on the in-memory reference store.

use std::path::Path;

use chrono::{DateTime, Utc};

use crm_core::{SurveyResponse, Transaction};
use crm_storage_sql::{PostgresStore, SchemaError, SqliteStore};
use crm_storage_traits::{
    BatchAppend, BatchReport, CrmStore, Filter, PageRequest, PurchaseSummary, PurchaseTotals,
    Record, Repository, StorageError, StorageResult, TimeRange, TimeScan,
};
use futures::StreamExt;
use futures::future::BoxFuture;
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

/// Refuses a SQLite path that does not exist (a PostgreSQL URL is checked on connecting).
pub fn missing(db: &Path) -> CliResult<()> {
    if is_url(db) || db.exists() {
        Ok(())
    } else {
        Err(CliError::storage(db, "no such database file"))
    }
}

/// Opens the database `db` for reading, runs `work` on it and closes it whatever `work`
/// returned (so SQLite removes the write-ahead log's files as it does after a writer).
pub fn reading<T>(db: &Path, work: impl AsyncFnOnce(&Store) -> CliResult<T>) -> CliResult<T> {
    missing(db)?;
    runtime()?.block_on(async {
        let store = open_for_reading(db).await?;
        let result = work(&store).await;
        store.close().await;
        result
    })
}

/// Every transaction in a database.
pub fn load_transactions(db: &Path) -> CliResult<Vec<TransactionRow>> {
    reading(db, async |store| {
        let all: Vec<Transaction> = with_store!(store, s => scan_all(s, db).await)?;
        Ok(all.iter().map(transaction_row).collect())
    })
}

/// Every transaction in a database, as records.
pub fn load_transaction_records(db: &Path) -> CliResult<Vec<Transaction>> {
    reading(
        db,
        async |store| with_store!(store, s => scan_all(s, db).await),
    )
}

/// Every loyalty event in a database.
pub fn load_loyalty_events(db: &Path) -> CliResult<Vec<crm_core::LoyaltyEvent>> {
    reading(
        db,
        async |store| with_store!(store, s => scan_all(s, db).await),
    )
}

/// Per-customer purchase summaries of a database, one list per time range, each computed
/// by the store (one `GROUP BY` in SQL) instead of reading every transaction.
pub fn load_purchase_summaries(
    db: &Path,
    ranges: &[TimeRange],
) -> CliResult<Vec<Vec<PurchaseSummary>>> {
    load_per_range(db, ranges, "summarizing purchases", |store, range| {
        Box::pin(async move { with_store!(store, s => s.purchase_summaries(range).await) })
    })
}

/// Per-customer purchase totals of a database (no distinct days: the store's plainest
/// `GROUP BY`), one list per time range.
pub fn load_purchase_totals(
    db: &Path,
    ranges: &[TimeRange],
) -> CliResult<Vec<Vec<PurchaseTotals>>> {
    load_per_range(db, ranges, "totalling purchases", |store, range| {
        Box::pin(async move { with_store!(store, s => s.purchase_totals(range).await) })
    })
}

/// What `load` reads from the database for each of the time ranges, in order; `what` names
/// the work in errors.
fn load_per_range<T>(
    db: &Path,
    ranges: &[TimeRange],
    what: &str,
    load: impl for<'a> Fn(&'a Store, TimeRange) -> BoxFuture<'a, StorageResult<Vec<T>>>,
) -> CliResult<Vec<Vec<T>>> {
    reading(db, async |store| {
        let mut out = Vec::with_capacity(ranges.len());
        for range in ranges {
            let rows = load(store, *range)
                .await
                .map_err(|e| CliError::storage(db, format!("{what}: {e}")))?;
            out.push(rows);
        }
        Ok(out)
    })
}

/// The time ranges before and after each of the instants `cuts` (ascending; an instant
/// belongs to the range before it): `[start, c1]`, `(c1, c2]`, …, `(cn, end)`.
pub fn ranges_cut_at(cuts: &[DateTime<Utc>]) -> CliResult<Vec<TimeRange>> {
    let all = TimeRange::all();
    let mut bounds = vec![all.start()];
    for &c in cuts {
        let after = c
            .checked_add_signed(chrono::TimeDelta::nanoseconds(1))
            .unwrap_or(all.end())
            .min(all.end());
        let before = *bounds.last().unwrap_or(&after);
        bounds.push(after.max(before));
    }
    bounds.push(all.end());
    bounds
        .windows(2)
        .map(|w| {
            TimeRange::new(w[0], w[1]).map_err(|e| CliError::Usage(format!("a time range: {e}")))
        })
        .collect()
}

/// Survey responses of one kind (`NPS`, `CSAT`, `CES`) from a database.
pub fn load_responses(db: &Path, survey: &str) -> CliResult<Vec<Scored>> {
    reading(db, async |store| {
        let all: Vec<SurveyResponse> = with_store!(store, s => scan_all(s, db).await)?;
        Ok(scored_of(&all, survey))
    })
}

/// A database the command line reads or writes: a SQLite file or a PostgreSQL server.
pub enum Store {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database (the store's tables in the schema `crm`).
    Postgres(PostgresStore),
}

impl Store {
    /// Closes the connections, waiting for pending writes.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
            Store::Postgres(s) => s.close().await,
        }
    }
}

/// Runs `$body` with `$s` bound to the concrete store behind a [`Store`], so code that is
/// generic over the storage traits is compiled for each database.
macro_rules! with_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            $crate::commands::database::Store::Sqlite($s) => $body,
            $crate::commands::database::Store::Postgres($s) => $body,
        }
    };
}
pub(crate) use with_store;

/// Whether `--db` names a PostgreSQL server (`postgres://…` or `postgresql://…`) rather than
/// a SQLite file.
pub fn is_url(db: &Path) -> bool {
    let text = db.to_string_lossy();
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// Splits a `schema=NAME` query parameter (the store's schema, default `crm`) off a
/// PostgreSQL URL, keeping every other parameter for the driver.
pub fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("schema=") {
            Some(name) => {
                schema = Some(name.to_string());
                false
            }
            None => !pair.is_empty(),
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

/// Opens the database `--db` names for writing: a PostgreSQL URL (`postgres://…`, with an
/// optional `schema=NAME` parameter choosing the store's schema, default `crm`), or a SQLite
/// file (created when missing); either is upgraded to this version's schema.
pub async fn open_for_writing(db: &Path) -> CliResult<Store> {
    if is_url(db) {
        let (url, schema) = split_schema(&db.to_string_lossy());
        let store = match schema {
            Some(schema) => crm_storage_sql::PostgresStore::connect_in_schema(&url, &schema).await,
            None => crm_storage_sql::PostgresStore::connect(&url).await,
        };
        store
            .map(Store::Postgres)
            .map_err(|e| CliError::storage(db, e))
    } else {
        open_sqlite(db).await.map(Store::Sqlite)
    }
}

/// Opens the database `--db` names for an analysis: read-only, never created or migrated;
/// a database that is not a store at this version is refused with what to do about it.
pub async fn open_for_reading(db: &Path) -> CliResult<Store> {
    open_read_only(db).await.map_err(|e| open_error(db, &e))
}

/// Opens the database `--db` names read-only, with the store's own error.
pub async fn open_read_only(db: &Path) -> StorageResult<Store> {
    if is_url(db) {
        let (url, schema) = split_schema(&db.to_string_lossy());
        let schema = schema.as_deref().unwrap_or(PostgresStore::DEFAULT_SCHEMA);
        PostgresStore::connect_read_only(&url, schema)
            .await
            .map(Store::Postgres)
    } else {
        SqliteStore::open_read_only(db).await.map(Store::Sqlite)
    }
}

/// The error of a refused read-only open, saying what to do.
pub fn open_error(db: &Path, e: &StorageError) -> CliError {
    let shown = db.display();
    match SchemaError::of(e) {
        Some(SchemaError::NotAStore) => CliError::storage(
            db,
            format!(
                "not a CRM database (it holds none of the store's tables): create one with \
                 `crm import --db {shown}` or `crm demo`, or name a database crm wrote"
            ),
        ),
        Some(outdated @ SchemaError::Outdated { .. }) => CliError::storage(
            db,
            format!("{outdated}: run `crm upgrade --db {shown}` to upgrade it in place"),
        ),
        Some(other) => CliError::storage(db, format!("{other}: use a later version of crm")),
        None => CliError::storage(db, e),
    }
}

/// Opens (creating when missing) a SQLite database.
pub async fn open_sqlite(db: &Path) -> CliResult<SqliteStore> {
    SqliteStore::open(db)
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
    fn the_schema_parameter_is_split_off_a_postgres_url() {
        assert_eq!(
            split_schema("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), None)
        );
        assert_eq!(
            split_schema("postgres://u@h/db?schema=crm_a"),
            ("postgres://u@h/db".to_string(), Some("crm_a".to_string()))
        );
        assert_eq!(
            split_schema("postgres://u@h/db?sslmode=require&schema=s&application_name=x"),
            (
                "postgres://u@h/db?sslmode=require&application_name=x".to_string(),
                Some("s".to_string())
            )
        );
        assert!(is_url(Path::new("postgresql://h/db")));
        assert!(!is_url(Path::new("crm.db")));
    }

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
