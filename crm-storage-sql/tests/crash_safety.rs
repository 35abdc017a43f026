//! A process killed in the middle of a batch import leaves the database as it was before
//! the batch.
//!
//! Each test runs its own test binary again as a child (selecting an ignored `child_…`
//! test and naming the database in environment variables). The child starts a very large
//! batch; once the batch is seen being written (SQLite: the write-ahead log grows;
//! PostgreSQL: the server reports the `COPY` or the `INSERT` running), the parent kills the
//! child with SIGKILL, reopens the store and checks it.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crm_core::{Customer, PartyKind, Transaction};
use crm_storage_traits::{BatchAppend, CrmStore, Filter, PageRequest, Repository};

const BEFORE: usize = 1_000;

fn batch(from: usize, n: usize) -> Vec<Transaction> {
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    (from..from + n)
        .map(|i| {
            Transaction::new(
                format!("TX-{i:09}").parse().unwrap(),
                1.into(),
                t0 + chrono::Duration::seconds(i as i64),
                "12.34 EUR".parse().unwrap(),
            )
        })
        .collect()
}

async fn count<S: CrmStore>(store: &S) -> usize {
    let mut n = 0;
    let mut page = PageRequest::first(10_000);
    loop {
        let got = Repository::<Transaction>::list(store, &Filter::default(), &page)
            .await
            .unwrap();
        n += got.items.len();
        match got.next {
            Some(next) => page.after = Some(next),
            None => return n,
        }
    }
}

/// Runs this test binary again with only the ignored test `name`, with `env` set.
fn spawn_child(name: &str, env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--ignored", "--exact", name, "--nocapture"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().unwrap()
}

/// Polls `in_batch` until it says the child is inside its batch (panicking if the child
/// exits or two minutes pass), then kills the child.
async fn kill_when<F, Fut>(mut child: Child, mut in_batch: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "the child never got into the batch"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited before it was killed"
        );
        if in_batch().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The store holds exactly the first batch, and takes new batches.
async fn unchanged_and_working<S: CrmStore>(store: &S) {
    assert_eq!(
        count(store).await,
        BEFORE,
        "nothing of the killed batch is visible"
    );
    let again = store.append_batch(&batch(0, BEFORE + 10)).await.unwrap();
    assert_eq!(
        (again.inserted, again.skipped),
        (10, BEFORE),
        "the store works on"
    );
}

/// The customer and the first batch every test starts from.
async fn seed<S: CrmStore>(store: &S) {
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    store
        .create(Customer::new(1.into(), PartyKind::Person, "Ann", t0).unwrap())
        .await
        .unwrap();
    assert_eq!(
        store
            .append_batch(&batch(0, BEFORE))
            .await
            .unwrap()
            .inserted,
        BEFORE
    );
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::{Path, PathBuf};

    use crm_storage_sql::SqliteStore;

    use super::*;

    const DB_ENV: &str = "CRM_STORAGE_SQL_CRASH_DB";

    fn wal(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push("-wal");
        PathBuf::from(name)
    }

    /// Not a test on its own: the child process of `killed_mid_import_changes_nothing`.
    #[tokio::test]
    #[ignore = "run as a child process by killed_mid_import_changes_nothing"]
    async fn child_imports_forever() {
        let Ok(db) = std::env::var(DB_ENV) else {
            return;
        };
        let store = SqliteStore::open(&db).await.unwrap();
        let big = batch(BEFORE, 1_000_000);
        std::fs::write(format!("{db}.started"), b"").unwrap();
        store.append_batch(&big).await.unwrap();
        // Reaching this point means the parent did not kill us in time.
        std::fs::write(format!("{db}.finished"), b"").unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_mid_import_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crash.db");
        {
            let store = SqliteStore::open(&db).await.unwrap();
            seed(&store).await;
            store.close().await;
        }
        let wal_before = std::fs::metadata(wal(&db)).map(|m| m.len()).unwrap_or(0);

        let child = spawn_child(
            "sqlite::child_imports_forever",
            &[(DB_ENV, db.to_str().unwrap())],
        );
        let started = PathBuf::from(format!("{}.started", db.display()));
        // Wait until the child is inside the batch and the log holds many of its pages.
        kill_when(child, || {
            let wal_now = std::fs::metadata(wal(&db)).map(|m| m.len()).unwrap_or(0);
            let inside = started.exists() && wal_now > wal_before + 4 * 1024 * 1024;
            async move { inside }
        })
        .await;
        assert!(
            !PathBuf::from(format!("{}.finished", db.display())).exists(),
            "the child finished its batch before the kill; the test proved nothing"
        );

        let store = SqliteStore::open(&db).await.unwrap();
        let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(check.0, "ok", "the database is intact");
        unchanged_and_working(&store).await;
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use crm_storage_sql::PostgresStore;

    use super::support::{Schemas, URL_VAR, postgres_url};
    use super::*;

    const SCHEMA_ENV: &str = "CRM_STORAGE_SQL_CRASH_SCHEMA";
    const APP_ENV: &str = "CRM_STORAGE_SQL_CRASH_APP";

    /// Not a test on its own: the child process of `killed_mid_import_changes_nothing`.
    #[tokio::test]
    #[ignore = "run as a child process by killed_mid_import_changes_nothing"]
    async fn child_imports_forever() {
        let (Ok(url), Ok(schema), Ok(app)) = (
            std::env::var(URL_VAR),
            std::env::var(SCHEMA_ENV),
            std::env::var(APP_ENV),
        ) else {
            return;
        };
        let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        let pool = sqlx::postgres::PgPool::connect_with(options.application_name(&app))
            .await
            .unwrap();
        let store = PostgresStore::open(pool, &schema).await.unwrap();
        store.append_batch(&batch(BEFORE, 1_000_000)).await.unwrap();
        // Reaching this point means the parent did not kill us in time.
        let _ = std::fs::write(std::env::temp_dir().join(format!("{app}.finished")), b"");
    }

    /// Whether the child's connection is inside the batch: a `COPY` well under way, or
    /// the `INSERT` from the staging table running.
    async fn in_batch(store: &PostgresStore, app: &str) -> bool {
        let (copied, inserting): (i64, bool) = sqlx::query_as(
            "SELECT coalesce(max(p.tuples_processed), 0)::bigint, \
                    coalesce(bool_or(a.query LIKE 'INSERT%' AND a.state = 'active'), false) \
             FROM pg_stat_activity a LEFT JOIN pg_stat_progress_copy p ON p.pid = a.pid \
             WHERE a.application_name = $1",
        )
        .bind(app)
        .fetch_one(store.pool())
        .await
        .unwrap();
        copied > 100_000 || inserting
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn killed_mid_import_changes_nothing() {
        let Some(url) = postgres_url() else {
            return;
        };
        let schemas = Schemas::new(url.clone());
        let store = schemas.store().await;
        seed(&store).await;
        let app = format!("crm_crash_{}", std::process::id());
        let child = spawn_child(
            "postgres::child_imports_forever",
            &[
                (URL_VAR, url.as_str()),
                (SCHEMA_ENV, store.schema()),
                (APP_ENV, app.as_str()),
            ],
        );
        kill_when(child, || in_batch(&store, &app)).await;
        assert!(
            !std::env::temp_dir()
                .join(format!("{app}.finished"))
                .exists(),
            "the child finished its batch before the kill; the test proved nothing"
        );
        unchanged_and_working(&store).await;
        // The server ends the killed connection's work on its own.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (left,): (i64,) =
                sqlx::query_as("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
                    .bind(&app)
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            if left == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the killed connection lingers");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        store.close().await;
    }
}
