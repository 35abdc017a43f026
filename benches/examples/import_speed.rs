//! Times the bulk import of 1,000,000 seeded transactions into a SQLite file through
//! `append_batch` (the first 100,000 are the rows of the `storage` criterion benchmark; both
//! come from `crm_benches::stored`), or exports them for the `sqlite3` shell.
//!
//! * `cargo run --release -p crm-benches --example import_speed -- import DB` imports
//!   into a new database `DB` (first creating the schema and the 10,000 customers, untimed)
//!   in one `append_batch` call (one transaction, all or nothing, as the shell's `.import`
//!   is) and prints the seconds from the start of the append to the database being closed
//!   (the close checkpoints the write-ahead log into the file, as the `sqlite3` shell does
//!   on exit);
//! * `cargo run --release -p crm-benches --example import_speed -- export DIR` writes
//!   `DIR/base.db` (schema and customers) and `DIR/transactions.csv`.

#![allow(missing_docs)]

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crm_benches::stored::{base, runtime, transactions};
use crm_core::Transaction;
use crm_storage_sql::mapping::{SqlRecord, Value};
use crm_storage_traits::BatchAppend;

const TRANSACTIONS: usize = 1_000_000;
const CUSTOMERS: usize = 10_000;
const SEED: u64 = 20_241_124;

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// The columns of the store's `transactions` table in their order in the file (columns
/// added by later migrations come last).
const TABLE_ORDER: [&str; 14] = [
    "id",
    "version",
    "customer_id",
    "at",
    "amount",
    "currency",
    "quantity",
    "external_id",
    "product",
    "category",
    "channel",
    "amount_minor",
    "amount_scale",
    "day",
];

/// Writes `dir/base.db` and `dir/transactions.csv` for the run of the `sqlite3` shell.
fn export(dir: &Path, rt: &tokio::runtime::Runtime) {
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("base.db");
    let _ = std::fs::remove_file(&db);
    rt.block_on(async {
        let store = base(&db, CUSTOMERS).await.unwrap();
        store.close().await;
    });
    let file = std::fs::File::create(dir.join("transactions.csv")).unwrap();
    let mut out = std::io::BufWriter::new(file);
    for t in transactions(TRANSACTIONS, CUSTOMERS, SEED) {
        // The exact values the store binds, in the table's column order (the version is 1).
        let values: Vec<(&str, String)> = Transaction::COLUMNS
            .iter()
            .copied()
            .zip(t.values().unwrap().into_iter().map(|v| match v {
                Value::Text(text) => text.unwrap_or_default(),
                Value::Integer(n) => n.map(|n| n.to_string()).unwrap_or_default(),
            }))
            .collect();
        let fields: Vec<String> = TABLE_ORDER
            .iter()
            .map(|name| match *name {
                "version" => "1".to_string(),
                name => values
                    .iter()
                    .find(|(c, _)| *c == name)
                    .map(|(_, v)| csv_field(v))
                    .unwrap_or_default(),
            })
            .collect();
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
    let rt = runtime().unwrap();
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("export"), Some(dir)) => export(Path::new(dir), &rt),
        (Some("import"), Some(db)) => {
            let rows = transactions(TRANSACTIONS, CUSTOMERS, SEED);
            let seconds = rt.block_on(async {
                let store = base(Path::new(db), CUSTOMERS).await.unwrap();
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
