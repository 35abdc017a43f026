//! Mergeable NPS, CSAT and CES aggregation with honest statistics.
//!
//! This crate is filled in by the satisfaction work; it compiles as an empty shell until then.
