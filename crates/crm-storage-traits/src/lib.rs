//! Async repository traits for CRM data, an in-memory store and a conformance test kit.
//!
//! This crate is filled in by the storage work; it compiles as an empty shell until then.
