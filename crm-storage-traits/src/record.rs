//! [`Record`]: what a store needs to know about each kind of stored record, and
//! [`Versioned`] records for optimistic concurrency.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::hash::Hash;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use crm_core::{
    Customer, CustomerId, Deal, DealId, DealStage, Interaction, InteractionId, LifecycleStage,
    LoyaltyEvent, LoyaltyEventId, SurveyResponse, SurveyResponseId, Tag, Ticket, TicketId,
    TicketStatus, Transaction, TransactionId, UserId,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::{StorageError, StorageResult};

/// A stored record with its version.
///
/// A record is created at version 1; every successful update adds 1. Updates and deletes
/// name the version they are based on, and a store refuses them with
/// [`StorageError::Conflict`] when the stored version differs, so two editors never
/// silently overwrite each other.
///
/// ```
/// use crm_storage_traits::Versioned;
/// let v = Versioned { record: "anything", version: 1 };
/// assert_eq!(v.version, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versioned<T> {
    /// The record.
    pub record: T,
    /// Its version: 1 after creation, plus 1 per update.
    pub version: u64,
}

/// The status-like value a filter can select on: a customer's lifecycle stage, a ticket's
/// status or a deal's stage.
///
/// ```
/// use crm_core::TicketStatus;
/// use crm_storage_traits::Status;
/// assert_eq!(Status::Ticket(TicketStatus::Open).code(), "ticket:open");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A customer's lifecycle stage.
    Lifecycle(LifecycleStage),
    /// A ticket's status.
    Ticket(TicketStatus),
    /// A deal's stage.
    Deal(DealStage),
}

impl Status {
    /// A stable text code, `kind:name`, unique across kinds (stores index it).
    pub fn code(&self) -> String {
        match self {
            Status::Lifecycle(s) => format!("lifecycle:{}", s.as_str()),
            Status::Ticket(s) => format!("ticket:{}", s.as_str()),
            Status::Deal(s) => format!("deal:{}", s.as_str()),
        }
    }
}

/// The earliest and latest instants a store must accept (years 0 to 9999), so that every
/// backend can keep times in a sortable fixed-width UTC form.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_storage_traits::check_time;
/// assert!(check_time("deal.created_at", Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()).is_ok());
/// assert!(check_time("deal.created_at", Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap()).is_err());
/// ```
pub fn check_time(field: &str, time: DateTime<Utc>) -> StorageResult<()> {
    if (0..=9999).contains(&time.year()) {
        Ok(())
    } else {
        Err(StorageError::invalid(
            field,
            format!("year {} is outside 0..=9999", time.year()),
        ))
    }
}

/// Formats a time as fixed-width UTC text (`2024-05-02T10:30:00.000000000Z`), which sorts
/// as the times do; backends use it for time columns.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_storage_traits::time_text;
/// let t = Utc.with_ymd_and_hms(2024, 5, 2, 10, 30, 0).unwrap();
/// assert_eq!(time_text(t), "2024-05-02T10:30:00.000000000Z");
/// ```
pub fn time_text(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// A kind of record a store keeps: the seven domain records of `crm-core` implement it.
///
/// The methods expose what filters, ordering and erasure need, so that stores can be
/// written once for every kind:
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Channel, Ticket, TicketCategory, TicketStatus};
/// use crm_storage_traits::{Record, Status};
///
/// let mut t = Ticket::new(7.into(), 1.into(), TicketCategory::Question, Channel::Email, Utc::now());
/// t.assignee = Some("alice".parse()?);
/// assert_eq!(<Ticket as Record>::ENTITY, "ticket");
/// assert_eq!(t.id().to_string(), "7");
/// assert_eq!(t.status(), Some(Status::Ticket(TicketStatus::New)));
/// assert!(t.is_open() && t.check().is_ok());
/// // Kept after an erasure: personal fields go, the customer becomes the pseudonym.
/// t.anonymize(&"ANON-1".parse()?);
/// assert_eq!(t.customer().to_string(), "ANON-1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Record:
    Clone + PartialEq + Send + Sync + Serialize + DeserializeOwned + std::fmt::Debug + 'static
{
    /// The id type.
    type Id: Clone
        + Eq
        + Ord
        + Hash
        + Display
        + FromStr
        + Send
        + Sync
        + std::fmt::Debug
        + Serialize
        + DeserializeOwned
        + 'static;

    /// The kind of record, as used in errors (`customer`, `transaction`, ...).
    const ENTITY: &'static str;

    /// The record's id.
    fn id(&self) -> &Self::Id;

    /// The customer the record belongs to (a customer belongs to itself).
    fn customer(&self) -> &CustomerId;

    /// The owning or assigned user, if the kind of record has one.
    fn owner(&self) -> Option<&UserId> {
        None
    }

    /// The status a filter selects on, if the kind of record has one.
    fn status(&self) -> Option<Status> {
        None
    }

    /// The record's tags (empty for kinds without tags).
    fn tags(&self) -> Option<&BTreeSet<Tag>> {
        None
    }

    /// The record's time: when it was created or happened. Time-range filters and scans
    /// select on it.
    fn time(&self) -> DateTime<Utc>;

    /// When the record last changed, as far as the record itself says; the "updated since"
    /// filter selects on it.
    fn updated_at(&self) -> DateTime<Utc> {
        self.time()
    }

    /// Validates the record: the domain rules of `crm-core` plus the store's time range.
    fn check(&self) -> StorageResult<()>;

    /// Removes every piece of personal data from a record that is kept, in anonymized
    /// form, after its customer was erased, and points it at `anonymous` instead.
    fn anonymize(&mut self, anonymous: &CustomerId);

    /// Points the record at another customer: merging customers moves the duplicates'
    /// records to the survivor. A customer record belongs to itself and is left as it is.
    fn move_to(&mut self, customer: &CustomerId);

    /// Whether the record is open: reassigning an owner moves only open tickets and deals.
    fn is_open(&self) -> bool {
        true
    }

    /// Gives the record a new owner (no-op for kinds without one).
    fn set_owner(&mut self, _owner: UserId) {}
}

fn check_times(entity: &str, times: &[(&str, Option<DateTime<Utc>>)]) -> StorageResult<()> {
    for (field, time) in times {
        if let Some(t) = time {
            check_time(&format!("{entity}.{field}"), *t)?;
        }
    }
    Ok(())
}

/// The parts of a [`Record`] implementation every kind shares: the id type and entity
/// name, the id, customer and time fields, and `check` (the domain rules plus the store's
/// time range on the listed time fields, `required` ones always set, `optional` ones
/// `Option`s).
macro_rules! record_basics {
    (
        $id:ty, $entity:literal,
        customer: $customer:ident,
        time: $time:ident,
        required: [$($required:ident),*],
        optional: [$($optional:ident),*] $(,)?
    ) => {
        type Id = $id;
        const ENTITY: &'static str = $entity;
        fn id(&self) -> &$id {
            &self.id
        }
        fn customer(&self) -> &CustomerId {
            &self.$customer
        }
        fn time(&self) -> DateTime<Utc> {
            self.$time
        }
        fn check(&self) -> StorageResult<()> {
            self.validate()?;
            check_times(
                Self::ENTITY,
                &[
                    $((stringify!($required), Some(self.$required)),)*
                    $((stringify!($optional), self.$optional),)*
                ],
            )
        }
    };
}

impl Record for Customer {
    record_basics!(
        CustomerId, "customer",
        customer: id,
        time: created_at,
        required: [created_at, updated_at],
        optional: [],
    );
    fn owner(&self) -> Option<&UserId> {
        self.owner.as_ref()
    }
    fn status(&self) -> Option<Status> {
        self.lifecycle_stage.map(Status::Lifecycle)
    }
    fn tags(&self) -> Option<&BTreeSet<Tag>> {
        Some(&self.tags)
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    fn anonymize(&mut self, _anonymous: &CustomerId) {
        // Customers are deleted on erasure, never kept.
    }
    fn move_to(&mut self, _customer: &CustomerId) {
        // A customer is merged by folding, never moved.
    }
    fn set_owner(&mut self, owner: UserId) {
        self.owner = Some(owner);
    }
}

impl Record for Interaction {
    record_basics!(
        InteractionId, "interaction",
        customer: customer,
        time: occurred_at,
        required: [occurred_at],
        optional: [],
    );
    fn owner(&self) -> Option<&UserId> {
        self.agent.as_ref()
    }
    fn move_to(&mut self, customer: &CustomerId) {
        self.customer = customer.clone();
    }
    fn anonymize(&mut self, anonymous: &CustomerId) {
        self.customer = anonymous.clone();
        self.contact = None;
        self.subject = None;
        self.notes = None;
        self.outcome = None;
    }
}

impl Record for Ticket {
    record_basics!(
        TicketId, "ticket",
        customer: customer,
        time: created_at,
        required: [created_at],
        optional: [first_response_at, solved_at, closed_at],
    );
    fn owner(&self) -> Option<&UserId> {
        self.assignee.as_ref()
    }
    fn status(&self) -> Option<Status> {
        Some(Status::Ticket(self.status))
    }
    fn tags(&self) -> Option<&BTreeSet<Tag>> {
        Some(&self.tags)
    }
    fn updated_at(&self) -> DateTime<Utc> {
        [self.first_response_at, self.solved_at, self.closed_at]
            .into_iter()
            .flatten()
            .fold(self.created_at, DateTime::max)
    }
    fn move_to(&mut self, customer: &CustomerId) {
        self.customer = customer.clone();
    }
    fn anonymize(&mut self, anonymous: &CustomerId) {
        self.customer = anonymous.clone();
        self.subject = None;
    }
    fn is_open(&self) -> bool {
        !matches!(self.status, TicketStatus::Solved | TicketStatus::Closed)
    }
    fn set_owner(&mut self, owner: UserId) {
        self.assignee = Some(owner);
    }
}

impl Record for Deal {
    record_basics!(
        DealId, "deal",
        customer: customer,
        time: created_at,
        required: [created_at],
        optional: [closed_at],
    );
    fn owner(&self) -> Option<&UserId> {
        self.owner.as_ref()
    }
    fn status(&self) -> Option<Status> {
        Some(Status::Deal(self.stage))
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.closed_at
            .unwrap_or(self.created_at)
            .max(self.created_at)
    }
    fn move_to(&mut self, customer: &CustomerId) {
        self.customer = customer.clone();
    }
    fn anonymize(&mut self, anonymous: &CustomerId) {
        self.customer = anonymous.clone();
        // A title such as "Renewal for Jane Doe" may name the person.
        self.title = "erased".to_string();
        self.close_reason = None;
    }
    fn is_open(&self) -> bool {
        !self.stage.is_closed()
    }
    fn set_owner(&mut self, owner: UserId) {
        self.owner = Some(owner);
    }
}

impl Record for Transaction {
    record_basics!(
        TransactionId, "transaction",
        customer: customer,
        time: occurred_at,
        required: [occurred_at],
        optional: [],
    );
    fn move_to(&mut self, customer: &CustomerId) {
        self.customer = customer.clone();
    }
    fn anonymize(&mut self, anonymous: &CustomerId) {
        self.customer = anonymous.clone();
        // An order or invoice number links back to the person in the host's other systems.
        self.external_id = None;
    }
}

impl Record for SurveyResponse {
    record_basics!(
        SurveyResponseId, "survey_response",
        customer: customer,
        time: responded_at,
        required: [responded_at],
        optional: [],
    );
    fn tags(&self) -> Option<&BTreeSet<Tag>> {
        Some(&self.tags)
    }
    fn move_to(&mut self, customer: &CustomerId) {
        self.customer = customer.clone();
    }
    fn anonymize(&mut self, anonymous: &CustomerId) {
        self.customer = anonymous.clone();
        self.comment = None;
    }
}

impl Record for LoyaltyEvent {
    record_basics!(
        LoyaltyEventId, "loyalty_event",
        customer: customer,
        time: occurred_at,
        required: [occurred_at],
        optional: [],
    );
    fn move_to(&mut self, customer: &CustomerId) {
        self.customer = customer.clone();
    }
    fn anonymize(&mut self, anonymous: &CustomerId) {
        self.customer = anonymous.clone();
        // A free-text reason may name the person ("goodwill for Jane's complaint").
        self.reason = None;
    }
}
