//! Criterion benchmarks for the satisfaction hot paths (filled in by the satisfaction work).

fn main() {}
