//! Shared by the test files: PostgreSQL stores in throw-away schemas.
//!
//! The PostgreSQL tests run against the database named by `CRM_TEST_POSTGRES_URL`
//! (`postgres://postgres@127.0.0.1:5432/test`); when it is unset they print one line
//! saying so and pass. Every store lives in a schema of its own, dropped when the factory
//! that made it is dropped.

#![cfg(feature = "postgres")]
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use crm_storage_sql::PostgresStore;
use sqlx::{Connection, Executor};

/// The variable naming the test database.
pub const URL_VAR: &str = "CRM_TEST_POSTGRES_URL";

/// The test database's URL, or `None` (after saying once per test binary that the
/// PostgreSQL tests are skipped).
pub fn postgres_url() -> Option<String> {
    static SKIPPED: Once = Once::new();
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            SKIPPED.call_once(|| {
                // Straight to stderr: the test harness would capture `eprintln!`.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL tests skipped: {URL_VAR} is not set"
                );
            });
            None
        }
    }
}

/// A unique schema name for this process.
pub fn unique_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "crm_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Schemas to drop when the last handle goes.
pub struct Schemas {
    url: String,
    names: Mutex<Vec<String>>,
}

impl Schemas {
    pub fn new(url: String) -> Arc<Schemas> {
        Arc::new(Schemas {
            url,
            names: Mutex::new(Vec::new()),
        })
    }

    /// A new store in a new schema (dropped with `self`).
    pub async fn store(&self) -> PostgresStore {
        let schema = unique_schema();
        self.names.lock().unwrap().push(schema.clone());
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&self.url)
            .await
            .expect("connect to the test database");
        PostgresStore::open(pool, &schema)
            .await
            .expect("open a PostgreSQL store")
    }
}

impl Drop for Schemas {
    fn drop(&mut self) {
        let names = std::mem::take(&mut *self.names.lock().unwrap());
        if names.is_empty() {
            return;
        }
        let url = self.url.clone();
        // Drop runs inside the tests' runtime: clean up on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let mut conn = sqlx::postgres::PgConnection::connect(&url)
                    .await
                    .expect("connect to drop the test schemas");
                let _ = conn.execute("SET lock_timeout = '20s'").await;
                for name in names {
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
                    )))
                    .await
                    .expect("drop a test schema");
                }
            });
        })
        .join();
    }
}

/// The factory type the conformance kit takes.
pub type Factory = Box<dyn Fn() -> Pin<Box<dyn Future<Output = PostgresStore> + Send>>>;

/// A factory of fresh stores, each in a schema of its own, or `None` when the test
/// database is not configured.
pub fn factory() -> Option<Factory> {
    let schemas = Schemas::new(postgres_url()?);
    Some(Box::new(move || {
        let schemas = schemas.clone();
        Box::pin(async move { schemas.store().await })
    }))
}
