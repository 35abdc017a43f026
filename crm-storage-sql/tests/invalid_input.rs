//! Bad input is refused with a `StorageError::Invalid` naming the field, before the SQLite
//! store writes anything: the database file and its write-ahead log are byte for byte what
//! they were before the call.
//!
//! Ids and currencies are typed in `crm-core` (`TransactionId`, `Money` holding an ISO 4217
//! currency), so an invalid id or an unknown currency is stopped where the host decodes its
//! input; the last test shows that boundary for records decoded from JSON.

#![cfg(feature = "sqlite")]

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use crm_core::{Customer, Deal, PartyKind, Personal, SurveyResponse, SurveyScore, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{
    BatchAppend, Filter, PageRequest, Repository, StorageError, StorageResult, TimeScan,
};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap()
}

fn tx(i: usize) -> Transaction {
    Transaction::new(
        format!("TX-{i:04}").parse().unwrap(),
        "A".parse().unwrap(),
        t0() + chrono::Duration::minutes(i as i64),
        "19.99 EUR".parse().unwrap(),
    )
}

fn with_suffix(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The bytes of the database file and of its write-ahead log.
fn files(db: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(db).unwrap(),
        std::fs::read(with_suffix(db, "-wal")).unwrap_or_default(),
    )
}

/// Asserts `result` is `Invalid` with a field containing every one of `parts`.
fn assert_invalid<T: std::fmt::Debug>(result: StorageResult<T>, parts: &[&str]) {
    match &result {
        Err(StorageError::Invalid { field, .. }) if parts.iter().all(|p| field.contains(p)) => {
            let shown = result.as_ref().unwrap_err().to_string();
            assert!(
                shown.starts_with(field.as_str()),
                "the message leads with the field: {shown}"
            );
        }
        other => panic!("expected Invalid naming {parts:?}, got {other:?}"),
    }
}

async fn row_count(store: &SqliteStore, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(store.pool())
        .await
        .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let store = SqliteStore::open(&db).await.unwrap();
    store
        .create(Customer::new("A".parse().unwrap(), PartyKind::Person, "Ann", t0()).unwrap())
        .await
        .unwrap();
    let deal = Deal::new(
        "D-1".parse().unwrap(),
        "A".parse().unwrap(),
        "Renewal",
        "100 EUR".parse().unwrap(),
        t0(),
    )
    .unwrap();
    store.create(deal.clone()).await.unwrap();
    let good: Vec<Transaction> = (0..500).map(tx).collect();
    assert_eq!(store.append_batch(&good).await.unwrap().inserted, 500);
    let before = files(&db);

    // Out-of-range values in a large batch: the record and the field are named.
    let mut batch: Vec<Transaction> = (500..2_500).map(tx).collect();
    batch[1_700].quantity = "-1".parse().unwrap();
    assert_invalid(
        store.append_batch(&batch).await,
        &["batch[1700]", "transaction.quantity"],
    );
    batch[1_700].quantity = "1".parse().unwrap();
    batch[1_999].occurred_at = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    assert_invalid(
        store.append_batch(&batch).await,
        &["batch[1999]", "transaction.occurred_at"],
    );
    batch[1_999].occurred_at = t0();
    batch[3].external_id = Some("x".repeat(10_000));
    assert_invalid(
        store.append_batch(&batch).await,
        &["batch[3]", "transaction.external_id"],
    );
    // The same rules on single writes, creates and updates alike.
    let mut late = tx(9_000);
    late.occurred_at = Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap();
    assert_invalid(store.create(late).await, &["transaction.occurred_at"]);
    let mut negative = deal.clone();
    negative.amount = "-100 EUR".parse().unwrap();
    assert_invalid(store.update(negative, 1).await, &["deal.amount"]);
    let mut untitled = deal.clone();
    untitled.title = String::new();
    assert_invalid(store.update(untitled, 1).await, &["deal.title"]);
    assert_invalid(store.update(deal.clone(), u64::MAX).await, &["version"]);
    let mut survey = SurveyResponse::new(
        "S-1".parse().unwrap(),
        "A".parse().unwrap(),
        t0(),
        SurveyScore::nps(9).unwrap(),
    )
    .unwrap();
    survey.comment = Some(Personal::new("é".repeat(100_000)));
    assert_invalid(
        store.append_batch(&[survey]).await,
        &["batch[0]", "survey.comment"],
    );
    // Out-of-range paging and scanning.
    assert_invalid(
        Repository::<Transaction>::list(&store, &Filter::default(), &PageRequest::first(0)).await,
        &["page.limit"],
    );
    assert_invalid(
        TimeScan::<Transaction>::scan_page(&store, crm_storage_traits::TimeRange::all(), None, 0)
            .await,
        &["scan.limit"],
    );

    assert!(files(&db) == before, "no refused call wrote a byte");
    assert_eq!(row_count(&store, "transactions").await, 500);
    assert_eq!(row_count(&store, "survey_responses").await, 0);
    let stored: crm_storage_traits::Versioned<Deal> = store.get(&deal.id).await.unwrap();
    assert_eq!((stored.record, stored.version), (deal, 1));

    // An unknown customer is found by the database inside the batch's transaction: the
    // batch is rolled back whole and the error names the field.
    batch[3].external_id = None;
    batch[1_234].customer = "NOBODY".parse().unwrap();
    assert_invalid(store.append_batch(&batch).await, &["transaction.customer"]);
    assert_eq!(row_count(&store, "transactions").await, 500);
    store.close().await;
}

/// Ids and currencies cannot be built invalid: the host's parsing of its input refuses
/// them with an error naming the field, so nothing reaches the store.
#[test]
fn invalid_ids_and_currencies_stop_at_parsing() {
    use crm_core::{Money, TransactionId};
    for bad in ["", " TX-1", "TX\u{7}1"] {
        let e = bad.parse::<TransactionId>().unwrap_err().to_string();
        assert!(
            e.starts_with("transaction id"),
            "{bad:?} is refused naming the id: {e}"
        );
    }
    let e = "19.99 XYZ".parse::<Money>().unwrap_err().to_string();
    assert!(
        e.starts_with("currency"),
        "an unknown currency is refused: {e}"
    );
    let json = r#"{"id":"TX-1","customer":"A","occurred_at":"2024-03-01T09:00:00Z",
        "amount":{"amount":"19.99","currency":"EUR"},"quantity":"1"}"#;
    assert!(serde_json::from_str::<Transaction>(json).is_ok());
    assert!(serde_json::from_str::<Transaction>(&json.replace("EUR", "XYZ")).is_err());
    assert!(serde_json::from_str::<Transaction>(&json.replace(r#""TX-1""#, r#""""#)).is_err());
}
