//! Times `purchase_summaries` (the per-customer purchase aggregates RFM reads) on a large
//! SQLite file.
//!
//! * `purchase_speed build DB TRANSACTIONS CUSTOMERS` writes a new database of seeded
//!   transactions (two years of purchases, amounts with cents, one customer in twenty also
//!   paying in a second currency) through `append_batch`, and prints the time taken.
//! * `purchase_speed time DB` times `purchase_summaries` over every transaction and over
//!   the last year, three runs each.
//!
//! Compare with the `sqlite3` shell running the bare per-customer `GROUP BY` on the same
//! file:
//!
//! ```text
//! time sqlite3 DB "SELECT customer_id, max(at), count(*), sum(amount_minor) \
//!                  FROM transactions GROUP BY customer_id" > /dev/null
//! ```
//!
//! `cargo run --release -p crm-storage-sql --example purchase_speed -- time DB`

#![allow(missing_docs)]

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{Customer, Money, PartyKind, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{BatchAppend, CrmStore, TimeRange};
use rust_decimal::Decimal;

const BATCH: usize = 50_000;

/// A small deterministic generator (xorshift64*), so that every build is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()
}

async fn build(db: &str, transactions: usize, customers: usize) {
    let store = SqliteStore::open(db).await.unwrap();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for c in 0..customers {
        batch.push(
            Customer::new(
                format!("C-{c:08}").parse().unwrap(),
                PartyKind::Person,
                "Buyer",
                start(),
            )
            .unwrap(),
        );
        if batch.len() == BATCH {
            store.append_batch(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.append_batch(&batch).await.unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut batch = Vec::with_capacity(BATCH);
    for n in 0..transactions {
        let c = rng.below(customers as u64);
        let currency = if c.is_multiple_of(20) && rng.below(4) == 0 {
            crm_core::Currency::USD
        } else {
            crm_core::Currency::EUR
        };
        let cents = rng.below(50_000) as i64 - 1_000;
        let at = start() + Duration::seconds(rng.below(2 * 365 * 86_400) as i64);
        batch.push(Transaction::new(
            format!("T-{n:010}").parse().unwrap(),
            format!("C-{c:08}").parse().unwrap(),
            at,
            Money::new(Decimal::new(cents, 2), currency),
        ));
        if batch.len() == BATCH {
            store.append_batch(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.append_batch(&batch).await.unwrap();
    store.checkpoint().await.unwrap();
    println!(
        "wrote {customers} customers and {transactions} transactions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn time(db: &str) {
    let store = SqliteStore::open(db).await.unwrap();
    let last_year =
        TimeRange::new(start() + Duration::days(365), start() + Duration::days(730)).unwrap();
    for (name, range) in [("all", TimeRange::all()), ("last year", last_year)] {
        for _ in 0..3 {
            let started = Instant::now();
            let rows = store.purchase_summaries(range).await.unwrap();
            let transactions: u64 = rows.iter().map(|r| r.transactions).sum();
            println!(
                "{name}: {} summaries of {transactions} transactions in {:.3} s",
                rows.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match args.get(1).map(String::as_str) {
        Some("build") if args.len() == 5 => rt.block_on(build(
            &args[2],
            args[3].parse().expect("TRANSACTIONS is a number"),
            args[4].parse().expect("CUSTOMERS is a number"),
        )),
        Some("time") if args.len() == 3 => rt.block_on(time(&args[2])),
        _ => {
            eprintln!("usage: purchase_speed build DB TRANSACTIONS CUSTOMERS | time DB");
            std::process::exit(2);
        }
    }
}
