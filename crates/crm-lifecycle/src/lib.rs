//! Data-defined state machines and churn / lifetime-value models.
//!
//! This crate is filled in by the lifecycle and churn work.

pub mod churn;
pub mod customer;
pub mod deal;
pub mod definition;
pub mod diagram;
pub mod guard;
pub mod instance;
pub mod machine;
pub mod ticket;
pub mod validation;
