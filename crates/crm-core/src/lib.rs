//! The pure CRM domain model: identifiers, money, customers, contact points, interactions,
//! tickets, deals, transactions and survey responses, with validation.
//!
//! Every other crate of the workspace speaks in these types. The crate does no I/O and holds
//! no global state; every type is plain data that is `Send + Sync`, `Clone`, `Debug`,
//! `PartialEq` and (with the default `serde` feature) serializable.
//!
//! # A worked example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::{
//!     Channel, ConsentChannel, Customer, CustomerId, Email, Money, PartyKind, Phone,
//!     SurveyResponse, SurveyScore, Ticket, TicketCategory, Transaction,
//! };
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 5, 2, 10, 30, 0).unwrap();
//!
//! // Hosts keep their own keys: integers, UUIDs or strings.
//! let id: CustomerId = "CUST-000042".parse()?;
//!
//! let mut zoe = Customer::new(id.clone(), PartyKind::Person, "  Zoë Ångström ", t0)?;
//! zoe.email = Some(Email::parse("Zoe@Bücher.example")?);
//! zoe.phone = Some(Phone::parse("0171 234-5678", Some("DE"))?);
//! zoe.give_consent(ConsentChannel::Email, t0);
//! zoe.validate()?;
//!
//! assert_eq!(zoe.name.expose(), "Zoë Ångström");                 // trimmed
//! assert_eq!(zoe.email.as_ref().unwrap().as_str(), "zoe@xn--bcher-kva.example");
//! assert_eq!(zoe.phone.as_ref().unwrap().as_str(), "+491712345678");
//! assert!(!format!("{zoe:?}").contains("Zoë"));                  // Debug is redacted
//!
//! // Money never mixes currencies.
//! let sale = Transaction::new("TX-1".parse()?, id.clone(), t0, "59.90 EUR".parse()?);
//! let refund = Transaction::new("TX-2".parse()?, id.clone(), t0, "-19.90 EUR".parse()?);
//! let net = sale.amount.checked_add(&refund.amount)?;
//! assert_eq!(net, "40.00 EUR".parse::<Money>()?);
//! assert!(net.checked_add(&"1 USD".parse()?).is_err());
//!
//! // Service and satisfaction.
//! let ticket = Ticket::new("T-1".parse()?, id.clone(), TicketCategory::Question, Channel::Chat, t0);
//! ticket.validate()?;
//! let answer = SurveyResponse::new("S-1".parse()?, id, t0, SurveyScore::nps(9)?)?;
//! assert!(SurveyScore::nps(11).is_err());
//!
//! // Everything round-trips through serde.
//! let json = serde_json::to_string(&zoe)?;
//! assert_eq!(serde_json::from_str::<Customer>(&json)?, zoe);
//! # let _ = answer;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Map
//!
//! | module | what |
//! |---|---|
//! | [`ids`] | [`Key`] (integer, UUID or string), one newtype per entity ([`CustomerId`], [`TicketId`], ...), [`Interner`] to dense `u32` indices |
//! | [`money`] | [`Money`]: exact `Decimal` amount + ISO 4217 [`Currency`], no mixing, rounding to the minor unit |
//! | [`personal`] | [`Personal<T>`]: personal data, redacted in `Debug`/`Display`, clear via [`Personal::expose`] |
//! | [`contact`] | [`Email`], [`Phone`] (E.164), [`PostalAddress`], validated and normalized |
//! | [`vocabulary`] | closed sets with stable `snake_case` names: [`Channel`], [`LifecycleStage`], [`TicketStatus`], [`DealStage`], ... |
//! | [`tag`] | [`Tag`]: normalized labels |
//! | [`customer`] | [`Customer`], [`Contact`], [`Consent`], [`AttributeValue`] |
//! | [`interaction`], [`ticket`], [`deal`], [`transaction`], [`survey`] | the other records |
//! | [`validation`] | [`ValidationError`], naming `entity.field` and the reason |
//!
//! # Rules
//!
//! * **Valid by construction where possible.** Ids, contact points, tags, CSAT scales and
//!   survey scores cannot hold invalid values (constructors and deserialization check them).
//!   Records have public fields, a `new` constructor that validates, and a `validate()` method
//!   that checks the rules across fields (text limits, timestamp order, self-references);
//!   call it after building or changing a record field by field. Deserializing a record
//!   runs `validate()` too, so what is read obeys the same rules as what is built.
//! * **Errors, not panics.** Every constructor returns `Ok` or a typed error:
//!   [`IdError`], [`MoneyError`], [`ContactError`], [`ValidationError`], [`UnknownName`].
//!   Messages name the field and the reason, never the personal data itself.
//! * **Personal data** (names, e-mails, phones, addresses, subjects, comments) is redacted
//!   in `Debug`. Serde writes the clear values, because storage needs them.
//! * **Time** is `chrono::DateTime<Utc>`; birthdays and expected close dates are `NaiveDate`.

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
