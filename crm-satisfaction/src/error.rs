//! Typed errors for scores, scales, levels and inputs.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything that can go wrong when aggregating survey scores.
///
/// Every variant names the field, position or value at fault.
///
/// ```
/// use crm_satisfaction::{Nps, SatisfactionError};
///
/// let mut nps = Nps::new();
/// let err = nps.add(11).unwrap_err();
/// assert_eq!(err, SatisfactionError::ScoreOutOfScale { score: 11, min: 0, max: 10 });
/// assert_eq!(err.to_string(), "score 11 is outside the scale 0..=10");
/// ```
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum SatisfactionError {
    /// A single score lies outside the declared scale.
    #[error("score {score} is outside the scale {min}..={max}")]
    ScoreOutOfScale {
        /// The offending score.
        score: u8,
        /// Lowest valid score.
        min: u8,
        /// Highest valid score.
        max: u8,
    },
    /// A column of scores holds values outside the declared scale.
    #[error(
        "column holds {rejected} score(s) outside the scale {min}..={max}; \
         the first is {score} at row {row}"
    )]
    ColumnOutOfScale {
        /// Row of the first offending score.
        row: usize,
        /// The first offending score.
        score: u8,
        /// How many scores in the column are out of scale.
        rejected: u64,
        /// Lowest valid score.
        min: u8,
        /// Highest valid score.
        max: u8,
    },
    /// A scale declaration is not usable.
    #[error("invalid scale {min}..={max} with threshold {threshold}: {reason}")]
    InvalidScale {
        /// Declared lowest score.
        min: u8,
        /// Declared highest score.
        max: u8,
        /// Declared threshold (satisfied or easy from this score on).
        threshold: u8,
        /// Why the declaration was refused.
        reason: Cow<'static, str>,
    },
    /// Two aggregates over different scales cannot be merged or compared.
    #[error("cannot combine aggregates over different scales ({left} vs {right})")]
    ScaleMismatch {
        /// The scale of the receiving aggregate.
        left: String,
        /// The scale of the other aggregate.
        right: String,
    },
    /// A confidence level outside the open interval (0, 1).
    #[error("confidence level {0} must lie strictly between 0 and 1")]
    InvalidLevel(f64),
    /// Two parallel input columns have different lengths.
    #[error("column `{left_name}` has {left} rows but `{right_name}` has {right}")]
    LengthMismatch {
        /// Name of the first column.
        left_name: Cow<'static, str>,
        /// Rows in the first column.
        left: usize,
        /// Name of the second column.
        right_name: Cow<'static, str>,
        /// Rows in the second column.
        right: usize,
    },
    /// A dense group index is not below the declared number of groups.
    #[error("group {group} at row {row} is not below the declared {groups} groups")]
    GroupOutOfRange {
        /// Row of the offending group index.
        row: usize,
        /// The offending group index.
        group: u32,
        /// The declared number of groups.
        groups: usize,
    },
    /// A ticket id appears twice in the service data.
    #[error("ticket at row {row} repeats an earlier ticket id")]
    DuplicateTicket {
        /// Row of the repeated ticket.
        row: usize,
    },
    /// A rolling window of zero periods.
    #[error("a rolling window needs at least one period")]
    EmptyWindow,
}
