//! A process killed in the middle of a batch import leaves the database as it was before
//! the batch.
//!
//! The test runs its own test binary again as a child (selecting the ignored
//! `child_imports_forever` test and naming the database in an environment variable). The
//! child starts a very large batch; once the write-ahead log shows the batch's pages being
//! written, the parent kills the child with SIGKILL, reopens the database and checks it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crm_core::{Customer, PartyKind, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{BatchAppend, Filter, PageRequest, Repository};

const DB_ENV: &str = "CRM_STORAGE_SQL_CRASH_DB";
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

async fn count(store: &SqliteStore) -> usize {
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
        store.close().await;
    }
    let wal_before = std::fs::metadata(wal(&db)).map(|m| m.len()).unwrap_or(0);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_imports_forever",
            "--nocapture",
        ])
        .env(DB_ENV, &db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = PathBuf::from(format!("{}.started", db.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    // Wait until the child is inside the batch and the log holds many of its pages.
    loop {
        assert!(
            Instant::now() < deadline,
            "the child never got into the batch"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited before it was killed"
        );
        let wal_now = std::fs::metadata(wal(&db)).map(|m| m.len()).unwrap_or(0);
        if started.exists() && wal_now > wal_before + 4 * 1024 * 1024 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
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
    assert_eq!(
        count(&store).await,
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
