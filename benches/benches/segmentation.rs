//! Criterion benchmarks for the segmentation hot paths (filled in by the segmentation work).

fn main() {}
