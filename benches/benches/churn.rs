//! Criterion benchmarks for the churn hot paths (filled in by the churn work).

fn main() {}
