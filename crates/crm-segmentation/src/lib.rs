//! RFM scoring and named segments, ABC/Pareto classes and value tiers.
//!
//! This crate is filled in by the segmentation work; it compiles as an empty shell until then.
