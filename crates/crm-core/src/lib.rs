//! The pure CRM domain model: identifiers, money, customers, contact points, interactions,
//! tickets, deals, transactions and survey responses, with validation.
//!
//! This crate does no I/O and holds no global state; every type is plain data that is
//! `Send + Sync`, `Clone`, `Debug` and (with the default `serde` feature) serializable.

pub mod contact;
pub mod customer;
pub mod deal;
pub mod ids;
pub mod interaction;
pub mod money;
pub mod personal;
pub mod survey;
pub mod tag;
pub mod ticket;
pub mod transaction;
pub mod validation;
pub mod vocabulary;

pub use contact::{ContactError, Email, Phone, PostalAddress};
pub use customer::{AttributeValue, Consent, Contact, Customer};
pub use deal::Deal;
pub use ids::{
    ContactId, CustomerId, DealId, IdError, InteractionId, Interner, Key, KeyView,
    SurveyResponseId, TicketId, TransactionId, UserId,
};
pub use interaction::Interaction;
pub use money::{Currency, Money, MoneyError};
pub use personal::Personal;
pub use survey::{CsatScale, SurveyResponse, SurveyScore};
pub use tag::Tag;
pub use ticket::Ticket;
pub use transaction::Transaction;
pub use validation::ValidationError;
pub use vocabulary::{
    Channel, ConsentChannel, ConsentStatus, DealStage, Direction, LifecycleStage, PartyKind,
    SurveyKind, TicketCategory, TicketPriority, TicketStatus, UnknownName,
};
