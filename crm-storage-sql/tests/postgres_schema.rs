//! The PostgreSQL store's schema: created and migrated on open, opened again as it is,
//! typed for SQL and BI tools, and kept out of the host's own search path.

#![cfg(feature = "postgres")]

mod support;

use chrono::{TimeZone, Utc};
use crm_core::{Customer, PartyKind, SurveyResponse, SurveyScore, Transaction};
use crm_storage_sql::{POSTGRES_MIGRATOR, PostgresStore};
use crm_storage_traits::{BatchAppend, Repository, StorageError};
use rust_decimal::Decimal;
use support::{Schemas, postgres_url, unique_schema};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_rows_and_typed_columns_answer_sql() {
    let Some(url) = postgres_url() else {
        return;
    };
    let schemas = Schemas::new(url);
    let store = schemas.store().await;
    let t0 = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
    let mut ann = Customer::new("A".parse().unwrap(), PartyKind::Person, "Ann", t0).unwrap();
    ann.time_zone = Some(crm_core::Tz::Europe__Berlin);
    store.create(ann).await.unwrap();
    let mut tx = Transaction::new(
        "TX-1".parse().unwrap(),
        "A".parse().unwrap(),
        t0 + chrono::Duration::nanoseconds(1_500),
        "-19.990 BHD".parse().unwrap(),
    );
    tx.quantity = Decimal::new(25, 1);
    store.append_batch(std::slice::from_ref(&tx)).await.unwrap();
    let answer = SurveyResponse::new(
        "S-1".parse().unwrap(),
        "A".parse().unwrap(),
        t0,
        SurveyScore::nps(9).unwrap(),
    )
    .unwrap();
    store.create(answer).await.unwrap();

    // Opening the same schema again applies nothing and keeps every row.
    let again = PostgresStore::open(store.pool().clone(), store.schema())
        .await
        .unwrap();
    assert_eq!(
        Repository::<Transaction>::get(&again, &tx.id)
            .await
            .unwrap()
            .record,
        tx
    );
    let (applied,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{}\"._sqlx_migrations",
        store.schema()
    )))
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(applied as usize, POSTGRES_MIGRATOR.iter().count());

    // The analysed fields are typed columns.
    let (amount, currency, at, nanos, quantity): (
        Decimal,
        String,
        chrono::DateTime<Utc>,
        i16,
        Decimal,
    ) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT amount, currency, occurred_at, occurred_nanos, quantity FROM \"{}\".transactions",
        store.schema()
    )))
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(
        (amount.to_string(), currency.as_str()),
        ("-19.990".to_string(), "BHD")
    );
    assert_eq!(at, t0 + chrono::Duration::microseconds(1));
    assert_eq!((nanos, quantity), (500, Decimal::new(25, 1)));
    let (kind, score, min, max): (String, i16, i16, i16) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT kind, score, scale_min, scale_max FROM \"{}\".survey_responses",
            store.schema()
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!((kind.as_str(), score, min, max), ("nps", 9, 0, 10));
    let (zone,): (Option<String>,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT time_zone FROM \"{}\".customers",
        store.schema()
    )))
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(zone.as_deref(), Some("Europe/Berlin"));
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_pool_keeps_its_search_path() {
    let Some(url) = postgres_url() else {
        return;
    };
    let schemas = Schemas::new(url.clone());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let (before,): (String,) = sqlx::query_as("SHOW search_path")
        .fetch_one(&pool)
        .await
        .unwrap();
    // Registered with `schemas` so that it is dropped at the end.
    let store = schemas.store().await;
    let host = PostgresStore::open(pool.clone(), store.schema())
        .await
        .unwrap();
    let (after,): (String,) = sqlx::query_as("SHOW search_path")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        before, after,
        "opening a store leaves the host's connections alone"
    );
    assert_eq!(host.schema(), store.schema());
    pool.close().await;
}

#[tokio::test]
async fn bad_schema_names_are_refused_before_connecting() {
    // No database is needed: the name is checked first.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .unwrap();
    for bad in ["", "Crm", "crm; drop", "1crm"] {
        match PostgresStore::open(pool.clone(), bad).await {
            Err(StorageError::Invalid { field, .. }) => assert_eq!(field, "postgres.schema"),
            other => panic!("{bad:?}: expected Invalid, got {other:?}"),
        }
    }
    assert!(unique_schema().starts_with("crm_test_"));
}
