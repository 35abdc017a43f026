//! A large SQLite import session builds its table's secondary indexes at the commit: after
//! the commit they are exactly the indexes the schema defines, intact and used by the
//! aggregates; after a rollback or a failed commit they are as they were.

use chrono::{Duration, TimeZone, Utc};
use crm_core::{Customer, PartyKind, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{BulkImport, CrmStore, Repository, TimeRange, summarize_purchases};

fn customer(id: &str) -> Customer {
    let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    Customer::new(id.parse().unwrap(), PartyKind::Person, id, t).unwrap()
}

/// `n` transactions with ids `{prefix}-i`, spread over customers `A`..`D` and 40 days in
/// an order unrelated to the indexes' columns.
fn chunk(prefix: &str, n: usize) -> Vec<Transaction> {
    let t = Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let who = ["A", "B", "C", "D"][(i * 7) % 4];
            Transaction::new(
                format!("{prefix}-{i:05}").parse().unwrap(),
                who.parse().unwrap(),
                t + Duration::minutes(((i * 7919) % 57_600) as i64),
                format!("{}.{:02} EUR", i % 90, i % 100).parse().unwrap(),
            )
        })
        .collect()
}

/// The store's indexes on `transactions` as `(name, sql)`, and SQLite's integrity check.
async fn indexes(store: &SqliteStore) -> Vec<(String, Option<String>)> {
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'transactions' \
         ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// SQLite's schema cookie: it changes with every `DROP INDEX` and `CREATE INDEX`.
async fn schema_version(store: &SqliteStore) -> i64 {
    sqlx::query_scalar("PRAGMA schema_version")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn open(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(dir.path().join("crm.db"))
        .await
        .unwrap()
        .defer_indexes_after(1_000);
    for id in ["A", "B", "C", "D"] {
        store.create(customer(id)).await.unwrap();
    }
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_indexes_are_built_at_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let schema = indexes(&store).await;
    let version = schema_version(&store).await;
    assert!(
        schema.iter().filter(|(_, sql)| sql.is_some()).count() >= 2,
        "the schema has secondary indexes to defer: {schema:?}"
    );
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    let mut all = Vec::new();
    for k in 0..3 {
        let rows = chunk(&format!("T{k}"), 1_500);
        let report = session.append(&rows).await.unwrap();
        assert_eq!(report.inserted, rows.len());
        all.extend(rows);
    }
    // A repeated chunk after the indexes were dropped is still skipped by the unique key.
    let again = session.append(&all[..500]).await.unwrap();
    assert_eq!((again.inserted, again.skipped), (0, 500));
    session.commit().await.unwrap();
    assert_eq!(
        indexes(&store).await,
        schema,
        "the same indexes after the commit"
    );
    assert!(
        schema_version(&store).await > version,
        "the indexes were dropped and built again"
    );
    let reference = summarize_purchases(&store, TimeRange::all()).await.unwrap();
    assert_eq!(reference.iter().map(|s| s.transactions).sum::<u64>(), 4_500);
    assert_eq!(
        store.purchase_summaries(TimeRange::all()).await.unwrap(),
        reference
    );
    let cut = TimeRange::new(
        Utc.with_ymd_and_hms(2024, 2, 10, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    assert_eq!(
        store.purchase_summaries(cut).await.unwrap(),
        summarize_purchases(&store, cut).await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_or_a_failed_commit_keeps_the_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let schema = indexes(&store).await;

    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&chunk("R", 2_500)).await.unwrap();
    session.rollback().await.unwrap();
    assert_eq!(indexes(&store).await, schema, "rolled back");

    // A customer key checked at the commit fails it after the indexes were dropped.
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&chunk("F", 2_500)).await.unwrap();
    let mut orphan = chunk("G", 1);
    orphan[0].customer = "nobody".parse().unwrap();
    session.append(&orphan).await.unwrap();
    assert!(session.commit().await.is_err(), "an unknown customer");
    assert_eq!(indexes(&store).await, schema, "after the failed commit");
    assert!(
        summarize_purchases(&store, TimeRange::all())
            .await
            .unwrap()
            .is_empty(),
        "nothing of either session is stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_sessions_and_large_tables_keep_their_indexes_throughout() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir).await;
    let import = |rows: Vec<Transaction>| {
        let store = &store;
        async move {
            let mut session = BulkImport::<Transaction>::begin_import(store)
                .await
                .unwrap();
            session.append(&rows).await.unwrap();
            session.commit().await.unwrap();
        }
    };
    let version = schema_version(&store).await;
    import(chunk("S", 900)).await;
    assert_eq!(schema_version(&store).await, version, "under the threshold");
    // The table now holds 900 + 4,000 rows: a session of 2,000 is smaller than that.
    import(chunk("L", 4_000)).await;
    let version = schema_version(&store).await;
    import(chunk("M", 2_000)).await;
    assert_eq!(
        schema_version(&store).await,
        version,
        "a session smaller than the table"
    );
    let never = store.clone().defer_indexes_after(u64::MAX);
    let mut session = BulkImport::<Transaction>::begin_import(&never)
        .await
        .unwrap();
    session.append(&chunk("N", 10_000)).await.unwrap();
    session.commit().await.unwrap();
    assert_eq!(
        schema_version(&store).await,
        version,
        "deferral switched off"
    );
    assert_eq!(
        summarize_purchases(&store, TimeRange::all())
            .await
            .unwrap()
            .iter()
            .map(|s| s.transactions)
            .sum::<u64>(),
        900 + 4_000 + 2_000 + 10_000
    );
}
