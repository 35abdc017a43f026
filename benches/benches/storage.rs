//! Criterion benchmark of the storage hot path: bulk import of transactions into a SQLite
//! file through `BatchAppend::append_batch`. Each iteration appends one batch of 100,000
//! seeded transactions (one transaction) to a fresh copy of a database holding the 10,000
//! customers, so the whole run takes a minute or two.
//!
//! Run: `cargo bench -p crm-benches --bench storage`.
//!
//! The 1,000,000-row import measured side by side with the `sqlite3` shell's `.import` is
//! the `import_speed` example of `crm-storage-sql` (same generator, same rows); its crate
//! docs record the numbers and the commands.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, SamplingMode, Throughput};
use crm_core::{Channel, Customer, Money, PartyKind, Transaction, money::Currency};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{BatchAppend, Repository};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

const CUSTOMERS: usize = 10_000;
const BATCH: usize = 100_000;
const SEED: u64 = 20_241_124;

/// The customers `CUST-00000` .. `CUST-09999`.
fn customers() -> Vec<Customer> {
    let t0 = Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap();
    (0..CUSTOMERS)
        .map(|i| {
            Customer::new(
                format!("CUST-{i:05}").parse().unwrap(),
                PartyKind::Person,
                &format!("Customer {i}"),
                t0,
            )
            .unwrap()
        })
        .collect()
}

/// Seeded purchases: ids `TX-0000000` upwards, uniformly drawn customers, times uniform
/// over two years at one-second resolution, amounts 0.01..=500.00 EUR (one in twenty a
/// refund), every optional field filled.
fn transactions(n: usize, seed: u64) -> Vec<Transaction> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let channels = [Channel::Web, Channel::Phone, Channel::Email, Channel::Other];
    (0..n)
        .map(|i| {
            let customer = rng.random_range(0..CUSTOMERS);
            let seconds = rng.random_range(0..730 * 86_400i64);
            let cents = rng.random_range(1..=50_000i64);
            let sign = if rng.random_range(0..20) == 0 { -1 } else { 1 };
            let mut t = Transaction::new(
                format!("TX-{i:07}").parse().unwrap(),
                format!("CUST-{customer:05}").parse().unwrap(),
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

/// A fresh database with the schema and the customers.
async fn base(path: &Path) -> SqliteStore {
    let store = SqliteStore::open(path).await.unwrap();
    for c in customers() {
        store.create(c).await.unwrap();
    }
    store
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rows = transactions(BATCH, SEED);
    let dir = std::env::temp_dir().join(format!("crm-storage-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("template.db");
    rt.block_on(async {
        let store = base(&template).await;
        store.checkpoint().await.unwrap();
        store.close().await;
    });

    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    let mut group = criterion.benchmark_group("storage");
    // One iteration is seconds long: one iteration per sample.
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("append_100k_transactions_sqlite_file", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let db = dir.join(format!("run-{i}.db"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
                std::fs::copy(&template, &db).unwrap();
                total += rt.block_on(async {
                    let store = SqliteStore::open(&db).await.unwrap();
                    let started = Instant::now();
                    let report = store.append_batch(&rows).await.unwrap();
                    let elapsed = started.elapsed();
                    store.close().await;
                    assert_eq!(report.inserted, BATCH);
                    elapsed
                });
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
                }
            }
            total
        })
    });
    group.finish();
    criterion.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
}
