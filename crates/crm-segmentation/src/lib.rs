//! RFM scoring and named segments, ABC/Pareto classes and value tiers for customer bases.
//!
//! - [`rfm()`] / [`rfm_parallel`] / [`RfmAccumulator`]: recency, frequency and monetary value
//!   per customer from any stream of purchases (one pass, memory proportional to customers),
//!   scored 1..=k by the tie-consistent quantile rule `1 + floor(k * w / n)` or by fixed
//!   [`Breakpoints`], and named by a [`SegmentTable`].
//! - [`summary`]: customers, revenue and mean R/F/M per segment or tier.
//! - [`migration`]: who moved from which segment to which between two periods.
//! - [`abc`]: Pareto classes by cumulative value share or by rank share, Lorenz curve, Gini.
//! - [`tier`]: value tiers combining RFM scores, ABC class and tenure.
//!
//! Everything is a pure function of its input: no I/O, no global state.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_segmentation::{rfm, RfmConfig};
//! use rust_decimal::Decimal;
//!
//! let t = |d| Utc.with_ymd_and_hms(2024, 6, d, 9, 0, 0).unwrap();
//! let purchases = vec![
//!     (1_u64, t(1), Decimal::new(12000, 2)),
//!     (1, t(28), Decimal::new(8000, 2)),
//!     (2, t(3), Decimal::new(1500, 2)),
//!     (2, t(4), Decimal::new(-1500, 2)), // a refund
//!     (3, t(30), Decimal::new(4000, 2)),
//! ];
//! let table = rfm(purchases, &RfmConfig::default())?;
//! assert_eq!(table.customers.len(), 3);
//! assert_eq!(table.get(&2).unwrap().monetary, Decimal::ZERO);
//! let summary = table.segment_summary();
//! assert_eq!(summary.iter().map(|s| s.customers).sum::<u64>(), 3);
//! # Ok::<(), crm_segmentation::SegmentationError>(())
//! ```
#![doc = include_str!("../PERFORMANCE.md")]

pub mod abc;
mod customer_state;
pub mod error;
pub mod migration;
pub mod purchase;
pub mod rfm;
pub mod score;
pub mod segment;
pub mod summary;
pub mod tier;

pub use abc::{AbcClass, AbcMethod};
pub use error::{Dimension, SegmentationError};
pub use purchase::{Amount, Purchase};
pub use rfm::{
    CurrencyConversion, CustomerRfm, FrequencyMeasure, MonetaryMeasure, RfmAccumulator, RfmConfig,
    RfmReport, RfmTable, rfm, rfm_parallel,
};
pub use score::{Breakpoints, ScoreMethod};
pub use segment::{OTHER, ScoreRange, SegmentRule, SegmentTable};
pub use summary::GroupSummary;
pub use tier::{TierRule, TierTable};
