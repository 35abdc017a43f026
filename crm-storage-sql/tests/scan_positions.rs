//! Scan pages of the SQLite store agree with the in-memory reference store for every
//! combination of time range and resume position on a small grid: positions before, inside
//! and after the range, on a time shared by several records, and between their ids.
//! (The SQLite store seeks to the later of the range's start and the position's time; the
//! PostgreSQL store compares (time, nanoseconds, id) rows.)

mod support;

use chrono::{DateTime, TimeZone, Utc};
use crm_core::{Customer, PartyKind, Transaction};
use crm_storage_traits::MemoryStore;
use crm_storage_traits::{
    BatchAppend, CrmStore, Record, Repository, ScanPosition, TimeRange, TimeScan,
};

fn minute(k: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap() + chrono::Duration::minutes(k)
}

/// Three records at each even minute 0..=8 (ids `b`, `d`, `f` after the minute), one at
/// each odd minute.
fn rows() -> Vec<Transaction> {
    let mut out = Vec::new();
    for k in 0..10i64 {
        let suffixes: &[&str] = if k % 2 == 0 { &["b", "d", "f"] } else { &["d"] };
        for s in suffixes {
            out.push(Transaction::new(
                format!("TX-{k}{s}").parse().unwrap(),
                "A".parse().unwrap(),
                minute(k),
                "1.00 EUR".parse().unwrap(),
            ));
        }
    }
    out
}

async fn ids<S: TimeScan<Transaction>>(
    store: &S,
    range: TimeRange,
    after: Option<ScanPosition>,
    limit: u32,
) -> Vec<String> {
    store
        .scan_page(range, after, limit)
        .await
        .unwrap()
        .iter()
        .map(|t: &Transaction| t.id().to_string())
        .collect()
}

/// Compares every scan page of `sql` with the in-memory store's.
async fn pages_match_the_reference<S: CrmStore>(sql: &S) {
    let memory = MemoryStore::new();
    let ann = Customer::new("A".parse().unwrap(), PartyKind::Person, "Ann", minute(0)).unwrap();
    sql.create(ann.clone()).await.unwrap();
    memory.create(ann).await.unwrap();
    sql.append_batch(&rows()).await.unwrap();
    memory.append_batch(&rows()).await.unwrap();

    let mut positions = vec![None];
    for k in -1..=11i64 {
        for s in ["a", "b", "c", "d", "e", "f", "g"] {
            positions.push(Some(ScanPosition {
                time: minute(k),
                id: format!("TX-{k}{s}"),
            }));
        }
    }
    let mut checked = 0;
    for start in -1..=11i64 {
        for end in start..=11i64 {
            let range = TimeRange::new(minute(start), minute(end)).unwrap();
            for after in &positions {
                for limit in [1, 3, 100] {
                    assert_eq!(
                        ids(sql, range, after.clone(), limit).await,
                        ids(&memory, range, after.clone(), limit).await,
                        "range {start}..{end}, after {after:?}, limit {limit}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 91 * 92 * 3);
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_pages_match_the_reference_for_every_range_and_position() {
    let sql = crm_storage_sql::SqliteStore::open_in_memory()
        .await
        .unwrap();
    pages_match_the_reference(&sql).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pages_match_the_reference_for_every_range_and_position() {
    let Some(url) = support::postgres_url() else {
        return;
    };
    let schemas = support::Schemas::new(url);
    let sql = schemas.store().await;
    pages_match_the_reference(&sql).await;
    sql.close().await;
}
