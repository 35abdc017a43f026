//! A database created by the first schema is upgraded on open: its rows and indexes are
//! kept, and the customer keys of the batch-appended tables become checked at commit
//! (`migrations/0002_deferred_customer_keys.sql`) while a missing customer still refuses a
//! whole batch and a single write.

#![cfg(feature = "sqlite")]

use chrono::{TimeZone, Utc};
use crm_core::{
    Channel, Customer, Direction, Interaction, PartyKind, SurveyResponse, SurveyScore, Transaction,
};
use crm_storage_sql::mapping::SqlRecord;
use crm_storage_sql::{MIGRATOR, SqliteStore};
use crm_storage_traits::{BatchAppend, Repository, StorageError};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

fn tx(id: &str, customer: &str) -> Transaction {
    Transaction::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        t0(),
        "10.00 EUR".parse().unwrap(),
    )
}

/// Writes `record` as a first-schema row, column by column as the store maps it.
async fn insert_raw<R: SqlRecord>(pool: &SqlitePool, record: &R) {
    let sql = format!(
        "INSERT INTO {} (version, {}) VALUES (1{})",
        R::TABLE,
        R::COLUMNS.join(", "),
        ", ?".repeat(R::COLUMNS.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in record.values().unwrap() {
        q = q.bind(v);
    }
    q.execute(pool).await.unwrap();
}

async fn table_sql(store: &SqliteStore, table: &str) -> String {
    let (sql,): (String,) = sqlx::query_as("SELECT sql FROM sqlite_master WHERE name = ?")
        .bind(table)
        .fetch_one(store.pool())
        .await
        .unwrap();
    sql
}

async fn indexes(store: &SqliteStore, table: &str) -> Vec<String> {
    sqlx::query_as::<_, (String,)>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .bind(table)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|(n,)| n)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_schema_is_upgraded_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v1.db");
    let ann = Customer::new("A".parse().unwrap(), PartyKind::Person, "Ann", t0()).unwrap();
    let call = Interaction::new(
        "I-1".parse().unwrap(),
        "A".parse().unwrap(),
        Channel::Phone,
        Direction::Inbound,
        t0(),
    );
    let answer = SurveyResponse::new(
        "S-1".parse().unwrap(),
        "A".parse().unwrap(),
        t0(),
        SurveyScore::nps(9).unwrap(),
    )
    .unwrap();
    {
        let options = SqliteConnectOptions::new()
            .filename(&db)
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        MIGRATOR.run_to(1, &pool).await.unwrap();
        insert_raw(&pool, &ann).await;
        insert_raw(&pool, &tx("TX-1", "A")).await;
        insert_raw(&pool, &call).await;
        insert_raw(&pool, &answer).await;
        pool.close().await;
    }

    let store = SqliteStore::open(&db).await.unwrap();
    for table in ["interactions", "transactions", "survey_responses"] {
        assert!(
            table_sql(&store, table)
                .await
                .contains("DEFERRABLE INITIALLY DEFERRED"),
            "{table} checks its customer key at commit"
        );
    }
    assert_eq!(
        indexes(&store, "transactions").await,
        ["transactions_customer", "transactions_time"]
    );
    assert_eq!(
        indexes(&store, "interactions").await,
        ["interactions_customer", "interactions_owner"]
    );
    assert_eq!(
        indexes(&store, "survey_responses").await,
        ["survey_responses_customer", "survey_responses_time"]
    );
    assert_eq!(
        Repository::<Transaction>::get(&store, &"TX-1".parse().unwrap())
            .await
            .unwrap()
            .record,
        tx("TX-1", "A")
    );
    assert_eq!(
        Repository::<Interaction>::get(&store, &"I-1".parse().unwrap())
            .await
            .unwrap()
            .record,
        call
    );
    assert_eq!(
        Repository::<SurveyResponse>::get(&store, &"S-1".parse().unwrap())
            .await
            .unwrap()
            .record,
        answer
    );

    // A missing customer refuses the whole batch and a single write.
    let batch = vec![tx("TX-2", "A"), tx("TX-3", "NOBODY"), tx("TX-4", "A")];
    match store.append_batch(&batch).await {
        Err(StorageError::Invalid { field, .. }) => assert!(field.contains("customer"), "{field}"),
        other => panic!("expected Invalid naming the customer, got {other:?}"),
    }
    match store.create(tx("TX-5", "NOBODY")).await {
        Err(StorageError::Invalid { field, .. }) => assert!(field.contains("customer"), "{field}"),
        other => panic!("expected Invalid naming the customer, got {other:?}"),
    }
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM transactions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n, 1, "nothing of the refused writes is stored");
    // The connection that ran the refused batch works on.
    let report = store
        .append_batch(&[tx("TX-1", "A"), tx("TX-2", "A")])
        .await
        .unwrap();
    assert_eq!((report.inserted, report.skipped), (1, 1));
    // A customer others refer to cannot be deleted outside an erasure.
    let version = Repository::<Customer>::get(&store, &"A".parse().unwrap())
        .await
        .unwrap()
        .version;
    assert!(matches!(
        Repository::<Customer>::delete(&store, &"A".parse().unwrap(), version).await,
        Err(StorageError::Invalid { .. })
    ));
}
