//! Criterion benchmark of the storage hot path: bulk import of transactions into a SQLite
//! file through `BatchAppend::append_batch`. Each iteration appends one batch of 100,000
//! seeded transactions (one transaction) to a fresh copy of a database holding the 10,000
//! customers, so the whole run takes a minute or two.
//!
//! Run: `cargo bench -p crm-benches --bench storage`.
//!
//! The 1,000,000-row import measured side by side with the `sqlite3` shell's `.import` is
//! the `import_speed` example of this crate (same generator, same first rows); its figures
//! are in `benches/RESULTS.md`, how to repeat them in `benches/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use crm_benches::stored::{base, runtime, transactions};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::BatchAppend;

const CUSTOMERS: usize = 10_000;
const BATCH: usize = 100_000;
const SEED: u64 = 20_241_124;

fn main() {
    let rt = runtime().unwrap();
    let rows = transactions(BATCH, CUSTOMERS, SEED);
    let dir = std::env::temp_dir().join(format!("crm-storage-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("template.db");
    rt.block_on(async {
        let store = base(&template, CUSTOMERS).await.unwrap();
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
