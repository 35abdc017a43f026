//! Read-only opens: a store is read without anything being created, migrated or written,
//! and a database that is not a store at this version is refused with a [`SchemaError`].

#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod support;

use std::path::Path;

use chrono::{TimeZone, Utc};
use crm_core::{Customer, PartyKind, Transaction};
use crm_storage_sql::{MIGRATOR, PostgresStore, SchemaError, SqliteStore};
use crm_storage_traits::{BatchAppend, CrmStore, StorageError, TimeRange};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

fn customer(id: &str) -> Customer {
    let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    Customer::new(id.parse().unwrap(), PartyKind::Person, id, t).unwrap()
}

fn tx(id: &str, customer: &str, day: u32) -> Transaction {
    Transaction::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        Utc.with_ymd_and_hms(2024, 6, day, 12, 0, 0).unwrap(),
        "10.00 EUR".parse().unwrap(),
    )
}

/// Every file in `dir` with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn schema_error(e: &StorageError) -> SchemaError {
    SchemaError::of(e)
        .unwrap_or_else(|| panic!("a schema error, got {e}"))
        .clone()
}

#[tokio::test]
async fn a_store_is_read_without_writing_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store.append_batch(&[customer("c1")]).await.unwrap();
    store
        .append_batch(&[tx("t1", "c1", 1), tx("t2", "c1", 3)])
        .await
        .unwrap();
    store.checkpoint().await.unwrap();
    store.close().await;
    let before = files(dir.path());

    let reader = SqliteStore::open_read_only(&path).await.unwrap();
    let totals = reader.purchase_totals(TimeRange::all()).await.unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].transactions, 2);
    let refused = reader.append_batch(&[tx("t3", "c1", 5)]).await;
    assert!(refused.is_err(), "a read-only store must refuse writes");
    reader.close().await;

    // Nothing changed and nothing is left beside the file: the write-ahead log's files
    // go with the last connection, as after a writer.
    assert_eq!(files(dir.path()), before);
}

#[tokio::test]
async fn another_applications_database_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign.db");
    {
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO invoices (total) VALUES ('12.50')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let before = files(dir.path());
    let e = SqliteStore::open_read_only(&path).await.unwrap_err();
    assert_eq!(schema_error(&e), SchemaError::NotAStore);
    assert_eq!(
        files(dir.path()),
        before,
        "the foreign file must be untouched"
    );
}

#[tokio::test]
async fn an_empty_or_missing_file_is_refused_and_nothing_created() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let e = SqliteStore::open_read_only(&empty).await.unwrap_err();
    assert_eq!(schema_error(&e), SchemaError::NotAStore);
    assert_eq!(std::fs::read(&empty).unwrap(), b"");

    let missing = dir.path().join("missing.db");
    assert!(SqliteStore::open_read_only(&missing).await.is_err());
    assert!(
        !missing.exists(),
        "a read-only open must not create the file"
    );
    assert_eq!(files(dir.path()).len(), 1);
}

#[tokio::test]
async fn an_earlier_schema_is_refused_until_opened_for_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let first = MIGRATOR.iter().next().unwrap().version;
    {
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        MIGRATOR.run_to(first, &pool).await.unwrap();
        pool.close().await;
    }
    let before = files(dir.path());
    let e = SqliteStore::open_read_only(&path).await.unwrap_err();
    assert_eq!(
        schema_error(&e),
        SchemaError::Outdated {
            applied: 1,
            current: MIGRATOR.iter().count()
        }
    );
    assert_eq!(files(dir.path()), before);
    SqliteStore::open(&path).await.unwrap().close().await;
    SqliteStore::open_read_only(&path)
        .await
        .unwrap()
        .close()
        .await;
}

#[tokio::test]
async fn postgres_reads_a_schema_without_creating_one_and_refuses_writes() {
    let Some(url) = support::postgres_url() else {
        return;
    };
    let schemas = support::Schemas::new(url.clone());
    let store = schemas.store().await;
    store.append_batch(&[customer("c1")]).await.unwrap();
    store.append_batch(&[tx("t1", "c1", 1)]).await.unwrap();

    let reader = PostgresStore::connect_read_only(&url, store.schema())
        .await
        .unwrap();
    let totals = reader.purchase_totals(TimeRange::all()).await.unwrap();
    assert_eq!(totals.len(), 1);
    assert!(
        reader.append_batch(&[tx("t2", "c1", 2)]).await.is_err(),
        "the server refuses writes on a read-only store's connections"
    );
    reader.close().await;

    let absent = support::unique_schema();
    let e = PostgresStore::connect_read_only(&url, &absent)
        .await
        .unwrap_err();
    assert_eq!(schema_error(&e), SchemaError::NotAStore);
    let pool = sqlx::postgres::PgPool::connect(&url).await.unwrap();
    let created: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = $1)",
    )
    .bind(&absent)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!created, "a read-only open must not create the schema");
    pool.close().await;
}
