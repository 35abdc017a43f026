//! A database file the store creates, and its write-ahead log, are readable by their owner
//! only; a file the host created keeps its mode.

#![cfg(all(feature = "sqlite", unix))]

use std::os::unix::fs::PermissionsExt;

use crm_storage_sql::SqliteStore;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_new_database_and_its_log_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    let wal = dir.path().join("crm.db-wal");
    assert!(wal.exists(), "the store keeps a write-ahead log while open");
    assert_eq!(mode(&wal), 0o600);
    store.close().await;
}

#[tokio::test]
async fn a_file_the_host_created_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(mode(&path), 0o640);
    store.close().await;
}

#[tokio::test]
async fn a_missing_directory_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("crm.db");
    assert!(SqliteStore::open(&path).await.is_err());
}
