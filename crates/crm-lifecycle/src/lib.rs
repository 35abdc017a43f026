//! Data-defined state machines and churn / lifetime-value models.
//!
//! This crate is filled in by the lifecycle and churn work.

pub mod churn;
