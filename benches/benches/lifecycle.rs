//! Criterion benchmarks for the lifecycle hot paths (filled in by the lifecycle work).

fn main() {}
