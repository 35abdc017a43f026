//! An open import session's rows are invisible to the store's other connections until the
//! commit, on a SQLite file and on PostgreSQL; another writer waits for the session or
//! works beside it, and loses nothing.

mod support;

use chrono::{Duration, TimeZone, Utc};
use crm_core::{Customer, PartyKind, Transaction};
use crm_storage_traits::{BulkImport, CrmStore, Repository, StorageError, TimeRange, TimeScan};

fn customer(id: &str) -> Customer {
    let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    Customer::new(id.parse().unwrap(), PartyKind::Person, id, t).unwrap()
}

fn chunk(prefix: &str, who: &str, n: usize) -> Vec<Transaction> {
    let t = Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            Transaction::new(
                format!("{prefix}-{i:05}").parse().unwrap(),
                who.parse().unwrap(),
                t + Duration::minutes(i as i64),
                "3.50 EUR".parse().unwrap(),
            )
        })
        .collect()
}

async fn stored<S: CrmStore>(store: &S) -> usize {
    TimeScan::<Transaction>::scan_page(store, TimeRange::all(), None, 10_000)
        .await
        .unwrap()
        .len()
}

/// The rows of an open session are invisible to other readers, then all visible.
async fn isolated<S: CrmStore + BulkImport<Transaction>>(store: S) {
    store.create(customer("A")).await.unwrap();
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.add_customers(&[customer("B")]).await.unwrap();
    for k in 0..3 {
        let who = if k % 2 == 0 { "A" } else { "B" };
        session
            .append(&chunk(&format!("C{k}"), who, 2_000))
            .await
            .unwrap();
    }
    assert_eq!(
        stored(&store).await,
        0,
        "an open session's rows are invisible"
    );
    assert!(
        matches!(
            Repository::<Customer>::get(&store, &"B".parse().unwrap()).await,
            Err(StorageError::NotFound { .. })
        ),
        "an open session's customers are invisible"
    );
    session.commit().await.unwrap();
    assert_eq!(stored(&store).await, 6_000, "the commit shows every chunk");
    assert!(
        Repository::<Customer>::get(&store, &"B".parse().unwrap())
            .await
            .is_ok()
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_sessions_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    let store = crm_storage_sql::SqliteStore::open(dir.path().join("crm.db"))
        .await
        .unwrap();
    isolated(store).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sessions_are_isolated() {
    let Some(url) = support::postgres_url() else {
        return;
    };
    let schemas = support::Schemas::new(url);
    isolated(schemas.store().await).await;
}
