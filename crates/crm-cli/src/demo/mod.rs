//! `crm demo`: the synthetic data generator and the end-to-end run.

pub mod domain;
pub mod generate;
pub mod operations;
pub mod run;
pub mod segmentation;
