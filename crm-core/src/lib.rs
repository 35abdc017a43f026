#![doc = include_str!("../README.md")]
mod campaign;
mod contact;
mod customer;
mod deal;
mod ids;
mod interaction;
mod loyalty;
mod matching;
mod merge;
mod money;
mod personal;
mod purchase;
mod survey;
mod tag;
mod ticket;
mod transaction;
mod validation;
mod vocabulary;

pub use campaign::{Campaign, CampaignGroup, CampaignMember};
/// An IANA time zone ([`Customer::time_zone`]), re-exported from `chrono-tz` so that
/// hosts need no dependency of their own: `"Europe/Berlin".parse::<crm_core::Tz>()`.
pub use chrono_tz::Tz;
pub use contact::{ContactError, Email, Phone, PostalAddress};
pub use contact::{
    MAX_ADDRESS_FIELD_CHARS, MAX_ADDRESS_LINES, MAX_EMAIL_LEN, MAX_PHONE_INPUT_LEN,
    PostalAddressFields,
};
pub use customer::MAX_ATTRIBUTE_NAME_CHARS;
pub use customer::{AttributeValue, Consent, Contact, Customer};
pub use deal::Deal;
pub use ids::MAX_KEY_LEN;
pub use ids::{
    CampaignId, ContactId, CustomerId, DealId, IdError, InteractionId, Key, KeyView,
    LoyaltyEventId, SurveyResponseId, TicketId, TransactionId, UserId,
};
pub use interaction::Interaction;
pub use loyalty::{LoyaltyEvent, LoyaltyEventKind};
pub use matching::{
    Decision, EmailRules, Evidence, Likelihood, Likelihoods, MatchConfig, MatchConfigError,
    MatchError, MatchGroup, MatchResult, MatchStats, Outcome, PairMatch, SurvivorHints,
    SurvivorRule, Thresholds, match_customers, match_customers_with, score_pair,
};
#[cfg(feature = "testgen")]
pub use matching::{
    GeneratorConfig, LabelledCustomers, MatchAccuracy, evaluate_matching, generate_labelled,
};
pub use merge::{FieldRule, FieldRules, FoldError, check_merge_ids, fold_customers};
pub use money::{Currency, Money, MoneyError};
pub use money::{minor_digits, parse_currency};
pub use personal::Personal;
pub use personal::REDACTED;
pub use purchase::{Amount, Purchase, PurchaseSummary, PurchaseTotals};
pub use survey::{CES_MAX, CES_MIN, CsatScaleFields, NPS_MAX, NPS_MIN, SurveyScoreFields};
pub use survey::{CsatScale, SurveyResponse, SurveyScore};
pub use tag::MAX_TAG_CHARS;
pub use tag::Tag;
pub use ticket::Ticket;
pub use transaction::Transaction;
pub use validation::ValidationError;
pub use validation::{MAX_LONG_TEXT_CHARS, MAX_NAME_CHARS, MAX_SHORT_TEXT_CHARS};
pub use vocabulary::{
    Channel, ConsentChannel, ConsentStatus, DealStage, Direction, LifecycleStage, PartyKind,
    SurveyKind, TicketCategory, TicketPriority, TicketStatus, UnknownName,
};
