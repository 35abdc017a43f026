//! The pure CRM domain model: identifiers, money, customers, contact points, interactions,
//! tickets, deals, transactions and survey responses, with validation.
//!
//! This crate does no I/O and holds no global state; every type is plain data that is
//! `Send + Sync`, `Clone`, `Debug` and (with the default `serde` feature) serializable.

pub mod money;

pub use money::{Currency, Money, MoneyError};
