//! Times resumed scan pages deep into a large transaction table: for resume positions at
//! rows 0, 500,000 and 990,000 (in time order) of a database written by
//! `import_speed import DB` (an example of `crm-benches`), the milliseconds per page of ten consecutive 1,000-row pages of
//! `TimeScan::scan_page` over a range holding every row.
//!
//! `cargo run --release -p crm-storage-sql --example scan_speed -- DB`

#![allow(missing_docs)]

use std::time::Instant;

use chrono::{DateTime, Utc};
use crm_core::Transaction;
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{Record, ScanPosition, TimeRange, TimeScan};
use sqlx::Row;

const PAGES: usize = 10;
const PAGE: u32 = 1_000;

fn main() {
    let Some(db) = std::env::args().nth(1) else {
        eprintln!("usage: scan_speed DB");
        std::process::exit(2);
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(&db).await.unwrap();
        let range = TimeRange::new(
            "2000-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "2100-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        )
        .unwrap();
        for depth in [0i64, 500_000, 990_000] {
            let row =
                sqlx::query("SELECT at, id FROM transactions ORDER BY at, id LIMIT 1 OFFSET ?")
                    .bind(depth)
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            let at: String = row.get(0);
            let mut after = Some(ScanPosition {
                time: at.parse().unwrap(),
                id: row.get(1),
            });
            let started = Instant::now();
            let mut rows = 0;
            for _ in 0..PAGES {
                let page: Vec<Transaction> =
                    store.scan_page(range, after.clone(), PAGE).await.unwrap();
                rows += page.len();
                match page.last() {
                    Some(last) => {
                        after = Some(ScanPosition {
                            time: last.time(),
                            id: last.id().to_string(),
                        })
                    }
                    None => break,
                }
            }
            println!(
                "from row {depth}: {rows} rows in {PAGES} pages, {:.1} ms a page",
                started.elapsed().as_secs_f64() * 1e3 / PAGES as f64
            );
        }
    });
}
