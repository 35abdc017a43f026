//! Criterion benchmarks for the storage hot paths (filled in by the storage work).

fn main() {}
