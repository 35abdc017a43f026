//! Seeded customers and fully filled transactions as a store keeps them, for the storage
//! benchmark and the bulk-import comparison (`examples/import_speed.rs`), which import the
//! same rows.
//!
//! ```
//! use crm_benches::stored::{customers, transactions};
//! let people = customers(3);
//! assert_eq!(people[2].id.to_string(), "CUST-00002");
//! let rows = transactions(5, 3, 1);
//! assert_eq!(rows[4].id.to_string(), "TX-0000004");
//! assert_eq!(rows, transactions(5, 3, 1));
//! ```

use std::path::Path;

use chrono::{TimeZone, Utc};
use crm_core::{Channel, Currency, Customer, Money, PartyKind, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{Repository, StorageError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

/// The customers `CUST-00000` upwards (at most 100,000).
///
/// # Panics
/// If `n` exceeds 100,000 (the ids have five digits).
pub fn customers(n: usize) -> Vec<Customer> {
    assert!(n <= 100_000, "customer ids have five digits");
    let t0 = Utc
        .with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    (0..n)
        .map(|i| {
            Customer::new(
                format!("CUST-{i:05}").parse().expect("a valid customer id"),
                PartyKind::Person,
                &format!("Customer {i}"),
                t0,
            )
            .expect("a valid customer")
        })
        .collect()
}

/// Seeded purchases of `customers` customers (those of [`customers`]): ids `TX-0000000`
/// upwards, uniformly drawn customers, times uniform over two years at one-second
/// resolution, amounts 0.01..=500.00 EUR (one in twenty a refund), every optional field
/// filled.
///
/// # Panics
/// If `customers` is zero.
pub fn transactions(n: usize, customers: usize, seed: u64) -> Vec<Transaction> {
    assert!(customers > 0, "at least one customer");
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc
        .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let channels = [Channel::Web, Channel::Phone, Channel::Email, Channel::Other];
    (0..n)
        .map(|i| {
            let customer = rng.random_range(0..customers);
            let seconds = rng.random_range(0..730 * 86_400i64);
            let cents = rng.random_range(1..=50_000i64);
            let sign = if rng.random_range(0..20) == 0 { -1 } else { 1 };
            let mut t = Transaction::new(
                format!("TX-{i:07}")
                    .parse()
                    .expect("a valid transaction id"),
                format!("CUST-{customer:05}")
                    .parse()
                    .expect("a valid customer id"),
                start + chrono::Duration::seconds(seconds),
                Money::new(Decimal::new(sign * cents, 2), Currency::EUR),
            );
            t.external_id = Some(format!("ORD-{i}"));
            t.product = Some(format!("SKU-{}", rng.random_range(0..5_000)));
            t.category = Some(format!("category-{}", rng.random_range(0..40)));
            t.channel = Some(channels[rng.random_range(0..channels.len())]);
            t
        })
        .collect()
}

/// A new SQLite database at `path` with the schema and the first `customers` customers,
/// checkpointed into the file so that what follows starts from a settled database.
pub async fn base(path: &Path, customers: usize) -> Result<SqliteStore, StorageError> {
    let store = SqliteStore::open(path).await?;
    for c in self::customers(customers) {
        store.create(c).await?;
    }
    store.checkpoint().await?;
    Ok(store)
}

/// The runtime the store runs on in the storage benchmark and the import comparison: two
/// worker threads, as the machines the figures come from have two cores.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}
