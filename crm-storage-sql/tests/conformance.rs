//! The SQL stores pass every function of the conformance kit: SQLite on a file database
//! and on an in-memory one, PostgreSQL in a throw-away schema per store.

mod support;

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crm_storage_sql::SqliteStore;

    /// A factory of fresh file databases, each a new file in one temporary directory
    /// (removed when the factory is dropped at the end of the test).
    pub fn in_files() -> impl Fn() -> Pin<Box<dyn Future<Output = SqliteStore> + Send>> {
        let dir = Arc::new(tempfile::tempdir().expect("a temporary directory"));
        let counter = Arc::new(AtomicUsize::new(0));
        move || {
            let (dir, counter) = (dir.clone(), counter.clone());
            Box::pin(async move {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                SqliteStore::open(dir.path().join(format!("crm-{n}.db")))
                    .await
                    .expect("open a file database")
            })
        }
    }

    mod memory_database {
        use super::*;
        crm_storage_traits::conformance_tests!(async || {
            SqliteStore::open_in_memory().await.expect("open in memory")
        });
    }

    mod file_database {
        crm_storage_traits::conformance_tests!(super::in_files());
    }
}

#[cfg(feature = "postgres")]
mod postgres_database {
    crm_storage_traits::conformance_tests!(match super::support::factory() {
        Some(factory) => factory,
        None => return,
    });
}
