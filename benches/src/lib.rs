//! Seeded input generators and measurement helpers shared by the criterion benchmarks and the
//! side-by-side comparison with peer tools (`benches/compare/run.sh`).
//!
//! - [`transactions`]: purchases `(customer, day, amount)` generated row by row from a seed, so
//!   the same rows can be streamed, held in memory, or written as CSV for the peers.
//! - [`scores`]: a column of 0–10 NPS scores (one byte each) from a seed.
//! - [`bgbb`]: discrete-time customers simulated from the BG/BB model, compressed into the
//!   `frequency,recency,periods,weights` rows both sides of the comparison fit.
//! - [`cohort`]: customers simulated from the BG/NBD purchase model with Gamma-Gamma spend,
//!   summarised as `(frequency, recency, T, monetary_value)` the way `lifetimes` expects.
//! - [`stored`]: seeded customers and fully filled transactions as a store keeps them, for
//!   the storage benchmark and the bulk-import comparison.
//! - [`measure`]: medians of repeated timings and the peak resident memory of the process.
//!
//! ```
//! use crm_benches::transactions::TransactionSpec;
//! let spec = TransactionSpec::new(1_000, 100, 7);
//! let rows: Vec<_> = spec.rows().collect();
//! assert_eq!(rows.len(), 1_000);
//! // The same seed gives the same rows.
//! assert_eq!(rows, spec.rows().collect::<Vec<_>>());
//! ```

pub mod bgbb;
pub mod cohort;
pub mod measure;
pub mod scores;
pub mod stored;
pub mod transactions;

/// splitmix64: a seeded, stateless 64-bit hash, used to draw every generated value from its
/// row number so that generation needs no state and can be repeated exactly.
///
/// ```
/// assert_ne!(crm_benches::mix(1), crm_benches::mix(2));
/// assert_eq!(crm_benches::mix(42), crm_benches::mix(42));
/// ```
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The examples of the workspace's `README.md`, compiled and run as doc tests (this crate
/// depends on every library the README uses), so the first code a reader sees keeps working.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
