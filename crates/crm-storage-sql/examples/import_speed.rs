//! Times the bulk import of 1,000,000 seeded transactions into a SQLite file through
//! `append_batch` (the first 100,000 are the rows of the `storage` criterion benchmark in
//! `benches/`), or exports them for the `sqlite3` shell.
//!
//! * `cargo run --release -p crm-storage-sql --example import_speed -- import DB` imports
//!   into a new database `DB` (first creating the schema and the 10,000 customers, untimed)
//!   in one `append_batch` call (one transaction, all or nothing, as the shell's `.import`
//!   is) and prints the seconds from the start of the append to the database being closed
//!   (the close checkpoints the write-ahead log into the file, as the `sqlite3` shell does
//!   on exit);
//! * `cargo run --release -p crm-storage-sql --example import_speed -- export DIR` writes
//!   `DIR/base.db` (schema and customers) and `DIR/transactions.csv`.

#![allow(missing_docs)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use crm_core::{Channel, Customer, Money, PartyKind, Transaction, money::Currency};
use crm_storage_sql::SqliteStore;
use crm_storage_sql::mapping::SqlRecord;
use crm_storage_traits::{BatchAppend, Repository};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

const TRANSACTIONS: usize = 1_000_000;
const CUSTOMERS: usize = 10_000;
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

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// Writes `dir/base.db` and `dir/transactions.csv` for the run of the `sqlite3` shell.
fn export(dir: &Path, rt: &tokio::runtime::Runtime) {
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("base.db");
    let _ = std::fs::remove_file(&db);
    rt.block_on(async {
        let store = base(&db).await;
        store.checkpoint().await.unwrap();
        store.close().await;
    });
    let file = std::fs::File::create(dir.join("transactions.csv")).unwrap();
    let mut out = std::io::BufWriter::new(file);
    for t in transactions(TRANSACTIONS, SEED) {
        // The exact values the store binds, in table column order (version 1 first).
        let mut fields: Vec<String> = t
            .values()
            .unwrap()
            .into_iter()
            .map(|v| csv_field(&v.unwrap_or_default()))
            .collect();
        fields.insert(1, "1".to_string());
        writeln!(out, "{}", fields.join(",")).unwrap();
    }
    out.flush().unwrap();
    eprintln!(
        "wrote {} and {}",
        db.display(),
        dir.join("transactions.csv").display()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("export"), Some(dir)) => export(Path::new(dir), &rt),
        (Some("import"), Some(db)) => {
            let rows = transactions(TRANSACTIONS, SEED);
            let seconds = rt.block_on(async {
                let store = base(Path::new(db)).await;
                store.checkpoint().await.unwrap();
                let started = Instant::now();
                let report = store.append_batch(&rows).await.unwrap();
                assert_eq!(report.inserted, TRANSACTIONS);
                // Closing the last connection checkpoints the log into the database file,
                // as the `sqlite3` shell does when it exits: part of the import's cost.
                store.close().await;
                started.elapsed().as_secs_f64()
            });
            println!("appended {TRANSACTIONS} transactions in {seconds:.3} s");
        }
        _ => eprintln!("usage: import_speed import DB | export DIR"),
    }
}
