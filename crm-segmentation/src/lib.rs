#![doc = include_str!("../README.md")]
mod abc;
mod cohort;
mod customer_state;
mod error;
mod migration;
mod rfm;
mod score;
mod segment;
mod summary;
mod tier;

pub use abc::{AbcClass, AbcMethod};
pub use abc::{AbcClassSummary, AbcEntry, AbcResult, LorenzCurve, LorenzPoint, classify, lorenz};
pub use cohort::{
    Cohort, CohortAccumulator, CohortCell, CohortConfig, CohortPeriod, CohortReport, CohortRow,
    CohortTable, cohorts,
};
pub use crm_core::{Amount, Purchase};
pub use error::{Dimension, SegmentationError};
pub use migration::{ABSENT, SegmentMigration, SegmentMove, migration};
pub use rfm::{
    CurrencyConversion, CustomerRfm, FrequencyMeasure, MonetaryMeasure, RfmAccumulator, RfmConfig,
    RfmReport, RfmTable, rfm, rfm_from_summaries, rfm_from_totals, rfm_parallel,
};
pub use score::{Breakpoints, ScoreMethod};
pub use score::{MAX_BINS, MIN_BINS, quantile_scores, validate_bins};
pub use segment::{OTHER, ScoreRange, SegmentRule, SegmentTable};
pub use segment::{Overlap, TableReport};
pub use summary::GroupSummary;
pub use tier::{CustomerTier, TierAssignment, assign_tiers};
pub use tier::{TierRule, TierTable};
