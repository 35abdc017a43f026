//! Seeded input generators shared by the criterion benchmarks and the peer comparison.
