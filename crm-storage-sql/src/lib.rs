#![doc = include_str!("../README.md")]
//!
//! # Cargo features
//!
//! * `sqlite` (default): [`SqliteStore`], a SQLite database file.
//! * `postgres` (default): [`PostgresStore`], a schema in a PostgreSQL database (see
//!   `SCHEMA.md` for its tables).

#[cfg(feature = "sqlite")]
mod campaigns;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod common;
#[cfg(feature = "sqlite")]
mod import;
#[cfg(feature = "sqlite")]
pub mod mapping;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod schema;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod store;
#[cfg(feature = "sqlite")]
mod summaries;

#[cfg(feature = "postgres")]
pub use postgres::{POSTGRES_MIGRATOR, PostgresStore};
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use schema::SchemaError;
#[cfg(feature = "sqlite")]
pub use sqlite::{MIGRATOR, SqliteStore};
