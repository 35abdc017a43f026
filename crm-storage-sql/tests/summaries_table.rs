//! SQLite keeps per-customer purchase summaries (the `purchase_summaries` table) up to date
//! through every kind of write: batch appends, single creates, updates, deletes, both kinds
//! of erasure, and bulk imports large enough to rebuild the table at the commit. After each
//! write the table equals a recomputation from the transactions, nothing is left stale, and
//! the store's whole-history summaries (read from the table) equal the default fold.

#![cfg(feature = "sqlite")]

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{Customer, CustomerId, PartyKind, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{
    BatchAppend, BulkImport, CrmStore, Erasure, Repository, TimeRange, summarize_purchases,
};

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

const CUSTOMERS: u64 = 8;

fn customer(c: u64) -> Customer {
    Customer::new(
        format!("C{c}").parse().unwrap(),
        PartyKind::Person,
        "Buyer",
        t0(),
    )
    .unwrap()
}

/// A transaction with a random customer, time (several on a day, some a nanosecond before
/// midnight) and amount: mostly whole cents, sometimes a third decimal place (no integer
/// minor units), sometimes yen, sometimes a refund.
fn transaction(rng: &mut Rng, n: u64) -> Transaction {
    let at = t0()
        + Duration::days(rng.below(20) as i64)
        + match rng.below(4) {
            0 => Duration::days(1) - Duration::nanoseconds(1),
            _ => Duration::hours(rng.below(24) as i64),
        };
    let cents = rng.below(50_000) as i64 - 5_000;
    let amount = match rng.below(10) {
        0 => format!("{}.{:03} EUR", cents / 100, rng.below(1000)),
        1 => format!("{cents} JPY"),
        _ => format!("{}.{:02} EUR", cents / 100, cents.unsigned_abs() % 100),
    };
    Transaction::new(
        format!("T{n:05}").parse().unwrap(),
        format!("C{}", rng.below(CUSTOMERS)).parse().unwrap(),
        at,
        amount.parse().unwrap(),
    )
}

/// The table, and the same rows recomputed from the transactions.
async fn table_and_recomputed(store: &SqliteStore) -> (Vec<Row>, Vec<Row>) {
    let table = sqlx::query_as(
        "SELECT customer_id, currency, first_at, last_at, transactions, purchase_days, \
                first_day, net_minor, first_day_minor \
         FROM purchase_summaries ORDER BY customer_id, currency",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let recomputed = sqlx::query_as(
        "SELECT t.customer_id, t.currency, min(t.at), max(t.at), count(*), \
                count(DISTINCT t.day), min(t.day), \
                CASE WHEN count(t.amount_minor) = count(*) THEN sum(t.amount_minor) END, \
                (SELECT CASE WHEN count(f.amount_minor) = count(*) THEN sum(f.amount_minor) END \
                 FROM transactions AS f WHERE f.customer_id = t.customer_id \
                   AND f.currency = t.currency AND f.day = min(t.day)) \
         FROM transactions AS t GROUP BY t.customer_id, t.currency \
         ORDER BY t.customer_id, t.currency",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    (table, recomputed)
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

/// Everything the module's doc promises, after a write described by `what`.
async fn check(store: &SqliteStore, what: &str) {
    let (table, recomputed) = table_and_recomputed(store).await;
    assert_eq!(table, recomputed, "the summaries table after {what}");
    let stale: i64 = sqlx::query_scalar("SELECT count(*) FROM purchase_summaries_stale")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(stale, 0, "nothing is left stale after {what}");
    let all = TimeRange::all();
    let reference = summarize_purchases(store, all).await.unwrap();
    assert_eq!(
        store.purchase_summaries(all).await.unwrap(),
        reference,
        "the summaries after {what}"
    );
    let totals: Vec<_> = reference.iter().map(|s| s.totals()).collect();
    assert_eq!(
        store.purchase_totals(all).await.unwrap(),
        totals,
        "the totals after {what}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_follows_every_kind_of_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("crm.db"))
        .await
        .unwrap()
        .defer_indexes_after(50);
    let people: Vec<Customer> = (0..CUSTOMERS).map(customer).collect();
    store.append_batch(&people).await.unwrap();
    check(&store, "no transactions").await;

    let mut rng = Rng(0x5eed_cafe);
    let mut next = 0u64;
    let mut fresh = |rng: &mut Rng, k: u64| -> Vec<Transaction> {
        let out = (next..next + k).map(|n| transaction(rng, n)).collect();
        next += k;
        out
    };
    let batch = fresh(&mut rng, 40);
    store.append_batch(&batch).await.unwrap();
    check(&store, "a batch append").await;
    store.append_batch(&batch).await.unwrap();
    check(&store, "the same batch again (all skipped)").await;

    for t in fresh(&mut rng, 5) {
        store.create(t).await.unwrap();
    }
    check(&store, "single creates").await;

    // Updates that move a transaction to another day, customer and currency.
    for (i, t) in batch.iter().enumerate().take(6) {
        let mut changed = t.clone();
        changed.customer = format!("C{}", (i as u64 + 1) % CUSTOMERS).parse().unwrap();
        changed.occurred_at = t.occurred_at + Duration::days(3);
        if i % 2 == 0 {
            changed.amount = "12 JPY".parse().unwrap();
        }
        store.update(changed, 1).await.unwrap();
        check(&store, &format!("update {i}")).await;
    }
    for t in &batch[6..10] {
        Repository::<Transaction>::delete(&store, &t.id, 1)
            .await
            .unwrap();
    }
    check(&store, "deletes").await;

    // A large import (over the store's threshold): triggers dropped, table rebuilt at the
    // commit.
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    for part in fresh(&mut rng, 300).chunks(70) {
        session.append(part).await.unwrap();
    }
    session.commit().await.unwrap();
    check(&store, "a large import").await;
    let triggers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'transactions'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(triggers, 3, "the import created the triggers again");

    // A small import keeps the triggers and updates row by row.
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&fresh(&mut rng, 20)).await.unwrap();
    session.commit().await.unwrap();
    check(&store, "a small import").await;

    // A rolled-back import leaves the table as it was.
    let (before, _) = table_and_recomputed(&store).await;
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&fresh(&mut rng, 120)).await.unwrap();
    session.rollback().await.unwrap();
    assert_eq!(table_and_recomputed(&store).await.0, before);
    check(&store, "a rolled-back import").await;

    let c1: CustomerId = "C1".parse().unwrap();
    let c2: CustomerId = "C2".parse().unwrap();
    store
        .erase_customer(&c1, &Erasure::DeleteEverything)
        .await
        .unwrap();
    check(&store, "erasing a customer").await;
    let (table, _) = table_and_recomputed(&store).await;
    assert!(
        table.iter().all(|r| r.0 != "C1"),
        "no summary names an erased customer"
    );
    store
        .erase_customer(
            &c2,
            &Erasure::KeepAnonymizedAggregates {
                pseudonym: "P-1".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    check(&store, "anonymizing a customer").await;
    let (table, _) = table_and_recomputed(&store).await;
    assert!(table.iter().all(|r| r.0 != "C2"));
    assert!(table.iter().any(|r| r.0 == "P-1"), "the pseudonym has them");
}

/// A range that does not hold every transaction is grouped from the transactions, and a
/// stale table (a host's own SQL deleting rows) is not read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_ranges_and_stale_groups_read_the_transactions() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let people: Vec<Customer> = (0..CUSTOMERS).map(customer).collect();
    store.append_batch(&people).await.unwrap();
    let mut rng = Rng(42);
    let batch: Vec<Transaction> = (0..200).map(|n| transaction(&mut rng, n)).collect();
    store.append_batch(&batch).await.unwrap();
    let cut = TimeRange::new(t0() + Duration::days(5), t0() + Duration::days(12)).unwrap();
    assert_eq!(
        store.purchase_summaries(cut).await.unwrap(),
        summarize_purchases(&store, cut).await.unwrap()
    );
    let empty = TimeRange::new(t0() - Duration::days(9), t0() - Duration::days(1)).unwrap();
    assert!(store.purchase_summaries(empty).await.unwrap().is_empty());
    // Deleted behind the store's back: the trigger marks the group stale and the store,
    // which did not write, reads the transactions.
    sqlx::query("DELETE FROM transactions WHERE id = 'T00003'")
        .execute(store.pool())
        .await
        .unwrap();
    let all = TimeRange::all();
    assert_eq!(
        store.purchase_summaries(all).await.unwrap(),
        summarize_purchases(&store, all).await.unwrap()
    );
    // The next write through the store recomputes it.
    store.create(transaction(&mut rng, 999)).await.unwrap();
    store
        .erase_customer(&"C7".parse().unwrap(), &Erasure::DeleteEverything)
        .await
        .unwrap();
    check(&store, "a delete behind the store's back and an erasure").await;
}

/// More customers than one packed read holds: the reads continue after the last key,
/// across customers with two currencies, and still equal the default fold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_customers_are_read_in_several_packed_parts() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let n = 9_000u64;
    let people: Vec<Customer> = (0..n)
        .map(|c| {
            Customer::new(
                format!("K{c:05}").parse().unwrap(),
                PartyKind::Person,
                "Buyer",
                t0(),
            )
            .unwrap()
        })
        .collect();
    store.append_batch(&people).await.unwrap();
    let mut rng = Rng(7);
    let batch: Vec<Transaction> = (0..n + 600)
        .map(|i| {
            let c = if i < n { i } else { rng.below(n) };
            let amount = if i < n { "10.50 EUR" } else { "700 JPY" };
            Transaction::new(
                format!("T{i:06}").parse().unwrap(),
                format!("K{c:05}").parse().unwrap(),
                t0() + Duration::hours(rng.below(500) as i64),
                amount.parse().unwrap(),
            )
        })
        .collect();
    store.append_batch(&batch).await.unwrap();
    let all = TimeRange::all();
    let reference = summarize_purchases(&store, all).await.unwrap();
    assert!(reference.len() > 9_400, "{} groups", reference.len());
    let got = store.purchase_summaries(all).await.unwrap();
    assert_eq!(got.len(), reference.len());
    assert_eq!(got, reference);
    let totals: Vec<_> = reference.iter().map(|s| s.totals()).collect();
    assert_eq!(store.purchase_totals(all).await.unwrap(), totals);
}
