//! Loyalty points and tiers: a programme definition, the points ledger (FIFO expiry,
//! statements), earn events from purchases and refunds, tiers over time, and programme
//! analytics.

mod earn;
mod ledger;
mod programme;
mod report;
mod tiers;

use chrono::{DateTime, Utc};
use crm_core::{Currency, CustomerId, LoyaltyEventId, TransactionId, ValidationError};

pub use earn::{birthday_bonuses, earn_from, referral_bonus};
pub use ledger::{
    Account, LineKind, LoyaltyJournal, LoyaltyLedger, Statement, StatementLine, ledger,
};
pub use programme::{Bonuses, LoyaltyProgramme, Qualification, QualifyingMeasure, TierRule};
pub use report::{ProgrammeReport, programme_report};
pub use tiers::{
    QualifyingActivity, TierChange, TierMove, TierReport, member_tiers, qualifying_points,
    qualifying_spend,
};

/// Why a loyalty computation was refused.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_engagement::LoyaltyError;
/// let e = LoyaltyError::InsufficientPoints {
///     customer: 7.into(), event: "L-3".parse().unwrap(),
///     at: Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap(), requested: 500, available: 120,
/// };
/// assert_eq!(e.to_string(), "loyalty event L-3: customer 7 redeems 500 points at 2024-03-01 00:00:00 UTC but has 120");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoyaltyError {
    /// The programme breaks a rule; names the field.
    #[error("loyalty programme, {field}: {reason}")]
    Programme {
        /// The field at fault.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The programme text could not be read.
    #[error("loyalty programme ({format}): {message}")]
    Parse {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The reader's message.
        message: String,
    },
    /// An event that does not pass `validate()`.
    #[error("loyalty event {event} of customer {customer}: {source}")]
    InvalidEvent {
        /// The event.
        event: LoyaltyEventId,
        /// Its member.
        customer: CustomerId,
        /// What is wrong.
        source: ValidationError,
    },
    /// Two different events share an id.
    #[error("loyalty event {event}: the id is used by another event with different content")]
    ConflictingEvent {
        /// The id.
        event: LoyaltyEventId,
    },
    /// A redemption beyond the balance at its instant.
    #[error(
        "loyalty event {event}: customer {customer} redeems {requested} points at {at} but has {available}"
    )]
    InsufficientPoints {
        /// The member.
        customer: CustomerId,
        /// The redemption.
        event: LoyaltyEventId,
        /// When.
        at: DateTime<Utc>,
        /// Points asked for.
        requested: i64,
        /// The balance then.
        available: i64,
    },
    /// A transaction in another currency than the programme's.
    #[error(
        "transaction {transaction}: amount in {}, the programme counts {}",
        .found.code(),
        .expected.code()
    )]
    Currency {
        /// The transaction.
        transaction: TransactionId,
        /// Its currency.
        found: Currency,
        /// The programme's.
        expected: Currency,
    },
    /// Points or amounts beyond what the numbers hold.
    #[error("loyalty: {context} overflows")]
    Overflow {
        /// What overflowed.
        context: String,
    },
}

#[cfg(test)]
mod tests;
