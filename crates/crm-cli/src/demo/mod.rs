//! `crm demo`: the synthetic data generator and the end-to-end run.

pub mod generate;
pub mod run;
