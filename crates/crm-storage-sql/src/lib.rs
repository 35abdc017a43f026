//! A SQLite store implementing the `crm-storage-traits` repositories.
//!
//! This crate is filled in by the storage work; it compiles as an empty shell until then.
