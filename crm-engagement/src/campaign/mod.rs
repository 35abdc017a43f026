//! Campaigns: choosing the audience with a reproducible holdout, measuring what the
//! campaign changed (rates with Wilson intervals, uplift with tests, incremental revenue
//! and ROI, per segment and in total, as mergeable tallies), sizing a test, and ranking
//! customers for win-back.

mod audience;
mod results;
mod stats;
mod winback;

pub use audience::{
    Audience, AudienceFilter, AudienceMember, AudienceSpec, CustomerLabels, LabelKind,
    select_audience,
};
pub use results::{
    CampaignConfig, CampaignReport, CampaignResults, CampaignTally, GroupResults, GroupTally,
    MemberOutcome, SegmentResults, analyze_campaign, campaign_tallies,
};
pub use stats::{
    ConfidenceLevel, DetectableEffect, Interval, MeanUplift, Moments, Proportion, RateUplift,
    SampleSize, sample_size_per_group,
};
pub use winback::{WinBackCandidate, WinBackTarget, rank_win_back};

use crm_core::ValidationError;

/// Why a campaign figure could not be computed; every variant names the campaign,
/// customer, transaction or parameter at fault.
///
/// ```
/// use crm_engagement::CampaignError;
/// let e = CampaignError::DuplicateMember { campaign: "SPRING".into(), customer: "42".into() };
/// assert_eq!(e.to_string(), "campaign SPRING: customer 42 is a member twice");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// A parameter outside its range (a share, a level, a rate, an effect).
    #[error("{parameter} is {value}, expected {expected}")]
    InvalidParameter {
        /// The parameter.
        parameter: &'static str,
        /// The value given.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
    /// A customer listed twice among the candidates of an audience or a win-back list.
    #[error("customer {customer} is listed twice")]
    DuplicateCustomer {
        /// The customer.
        customer: String,
    },
    /// The campaign record itself is not valid.
    #[error("campaign {campaign}: {source}")]
    InvalidCampaign {
        /// The campaign.
        campaign: String,
        /// What is wrong.
        source: ValidationError,
    },
    /// A member record that is not valid.
    #[error("campaign {campaign}, customer {customer}: {source}")]
    InvalidMember {
        /// The campaign.
        campaign: String,
        /// The customer.
        customer: String,
        /// What is wrong.
        source: ValidationError,
    },
    /// A member of another campaign among the members.
    #[error("campaign {campaign}: customer {customer} is a member of campaign {other}")]
    ForeignMember {
        /// The campaign analysed.
        campaign: String,
        /// The customer.
        customer: String,
        /// The member's campaign.
        other: String,
    },
    /// The same customer twice among the members.
    #[error("campaign {campaign}: customer {customer} is a member twice")]
    DuplicateMember {
        /// The campaign.
        campaign: String,
        /// The customer.
        customer: String,
    },
    /// An amount in another currency than the campaign's cost (or the first CLV).
    #[error("{context}: {what} in {found}, expected {expected}")]
    CurrencyMismatch {
        /// Where: `campaign SPRING, customer 42`, `campaign SPRING`, `win-back list,
        /// customer 7`.
        context: String,
        /// The amount at fault (`transaction TX-1`, `cost`, `expected CLV`).
        what: String,
        /// The expected currency code.
        expected: &'static str,
        /// The currency found.
        found: &'static str,
    },
    /// Tallies of different campaigns merged.
    #[error("campaign {campaign}: cannot merge the tally of campaign {other}")]
    MergeMismatch {
        /// The campaign of the tally merged into.
        campaign: String,
        /// The other tally's campaign.
        other: String,
    },
    /// A win-back candidate whose probability of being alive is not in `[0, 1]`.
    #[error("customer {customer}: probability alive {value} is outside [0, 1]")]
    InvalidProbability {
        /// The customer.
        customer: String,
        /// The value given.
        value: f64,
    },
    /// A money figure that does not fit a `Decimal`.
    #[error("campaign {campaign}: {figure} overflows")]
    Overflow {
        /// The campaign (or customer, for a win-back list).
        campaign: String,
        /// The figure.
        figure: &'static str,
    },
}
