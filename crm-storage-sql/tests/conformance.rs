//! The SQLite store passes every function of the conformance kit, on a file database and
//! on an in-memory one.

use std::sync::atomic::{AtomicUsize, Ordering};

use crm_storage_sql::SqliteStore;
use crm_storage_traits::conformance;
use tempfile::TempDir;

async fn in_memory() -> SqliteStore {
    SqliteStore::open_in_memory().await.expect("open in memory")
}

async fn in_file(dir: &TempDir, counter: &AtomicUsize) -> SqliteStore {
    let n = counter.fetch_add(1, Ordering::SeqCst);
    SqliteStore::open(dir.path().join(format!("crm-{n}.db")))
        .await
        .expect("open a file database")
}

macro_rules! kit {
    ($($name:ident),+ $(,)?) => {
        mod memory_database {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    conformance::$name(in_memory).await;
                }
            )+
        }
        mod file_database {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let counter = AtomicUsize::new(0);
                    conformance::$name(|| in_file(&dir, &counter)).await;
                }
            )+
        }
    };
}

kit!(
    crud,
    duplicates,
    version_conflicts,
    pagination_under_concurrent_inserts,
    filters,
    time_range_boundaries,
    streaming_scans,
    idempotent_batches,
    atomic_batches,
    invalid_input,
    find_by_contact,
    reassignment,
    erasure_completeness,
    unicode_and_max_length,
    concurrent_writers,
);
