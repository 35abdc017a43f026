//! Service tickets. The workflow rules (which status may follow which, SLA clocks) live in
//! `crm-lifecycle`; this module holds the record and its consistency rules.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use crm_core::Ticket;
//! use crm_core::{Channel, TicketCategory, TicketPriority, TicketStatus};
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
//! let mut t = Ticket::new("T-1001".parse()?, 42.into(), TicketCategory::Incident, Channel::Email, t0);
//! assert_eq!((t.status, t.priority), (TicketStatus::New, TicketPriority::Normal));
//! t.first_response_at = Some(t0 + Duration::minutes(30));
//! t.validate()?;
//! t.solved_at = Some(t0 - Duration::minutes(1));
//! assert_eq!(t.validate().unwrap_err().to_string(), "ticket.solved_at: is before ticket.created_at");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::ids::{CustomerId, TicketId, UserId};
use crate::personal::Personal;
use crate::tag::Tag;
use crate::validation::{MAX_SHORT_TEXT_CHARS, ValidationError, check_order, check_text};
use crate::vocabulary::{Channel, TicketCategory, TicketPriority, TicketStatus};

/// A service request from a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Ticket {
    /// The ticket's key.
    pub id: TicketId,
    /// The customer who asked.
    pub customer: CustomerId,
    /// Subject line (personal data; at most [`MAX_SHORT_TEXT_CHARS`] characters).
    #[cfg_attr(feature = "serde", serde(default))]
    pub subject: Option<Personal<String>>,
    /// What kind of request it is.
    pub category: TicketCategory,
    /// How urgent it is.
    pub priority: TicketPriority,
    /// Where it stands.
    pub status: TicketStatus,
    /// The channel it came in on.
    pub channel: Channel,
    /// The agent working on it.
    #[cfg_attr(feature = "serde", serde(default))]
    pub assignee: Option<UserId>,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When an agent first answered (not before `created_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub first_response_at: Option<DateTime<Utc>>,
    /// When it was last solved (not before `created_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub solved_at: Option<DateTime<Utc>>,
    /// When it was closed (not before `created_at` nor `solved_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub closed_at: Option<DateTime<Utc>>,
    /// Labels.
    #[cfg_attr(feature = "serde", serde(default))]
    pub tags: BTreeSet<Tag>,
}

impl Ticket {
    /// A new ticket: status [`TicketStatus::New`], priority [`TicketPriority::Normal`],
    /// no assignee, no later timestamps.
    pub fn new(
        id: TicketId,
        customer: CustomerId,
        category: TicketCategory,
        channel: Channel,
        created_at: DateTime<Utc>,
    ) -> Ticket {
        Ticket {
            id,
            customer,
            subject: None,
            category,
            priority: TicketPriority::Normal,
            status: TicketStatus::New,
            channel,
            assignee: None,
            created_at,
            first_response_at: None,
            solved_at: None,
            closed_at: None,
            tags: BTreeSet::new(),
        }
    }

    /// Checks the subject and the order of the timestamps.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(subject) = &self.subject {
            check_text("ticket.subject", subject.expose(), MAX_SHORT_TEXT_CHARS)?;
        }
        let created = Some(&self.created_at);
        check_order(
            "ticket.first_response_at",
            self.first_response_at.as_ref(),
            "ticket.created_at",
            created,
        )?;
        check_order(
            "ticket.solved_at",
            self.solved_at.as_ref(),
            "ticket.created_at",
            created,
        )?;
        check_order(
            "ticket.closed_at",
            self.closed_at.as_ref(),
            "ticket.created_at",
            created,
        )?;
        check_order(
            "ticket.closed_at",
            self.closed_at.as_ref(),
            "ticket.solved_at",
            self.solved_at.as_ref(),
        )?;
        Ok(())
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Ticket);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn timestamps_must_follow_creation_and_solving() {
        let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
        let mut t = Ticket::new(
            1.into(),
            2.into(),
            TicketCategory::Complaint,
            Channel::Phone,
            t0,
        );
        t.first_response_at = Some(t0);
        t.solved_at = Some(t0 + Duration::hours(2));
        t.closed_at = Some(t0 + Duration::hours(2));
        t.validate().unwrap();

        let mut bad = t.clone();
        bad.first_response_at = Some(t0 - Duration::seconds(1));
        assert_eq!(
            bad.validate().unwrap_err(),
            ValidationError::TimeOrder {
                field: "ticket.first_response_at",
                earlier: "ticket.created_at"
            }
        );
        let mut bad = t.clone();
        bad.closed_at = Some(t0 + Duration::hours(1));
        assert_eq!(
            bad.validate().unwrap_err(),
            ValidationError::TimeOrder {
                field: "ticket.closed_at",
                earlier: "ticket.solved_at"
            }
        );
        let mut bad = t.clone();
        bad.subject = Some(Personal::new(String::new()));
        assert_eq!(
            bad.validate().unwrap_err(),
            ValidationError::Empty {
                field: "ticket.subject"
            }
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip() {
        let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
        let mut t = Ticket::new(
            "T-1".parse().unwrap(),
            2.into(),
            TicketCategory::Request,
            Channel::Web,
            t0,
        );
        t.priority = TicketPriority::Urgent;
        t.status = TicketStatus::OnHold;
        t.tags.insert(Tag::new("billing").unwrap());
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains(r#""status":"on_hold""#));
        assert_eq!(serde_json::from_str::<Ticket>(&json).unwrap(), t);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn reading_checks_the_rules() {
        let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap();
        let mut t = Ticket::new(
            1.into(),
            2.into(),
            TicketCategory::Request,
            Channel::Web,
            t0,
        );
        t.solved_at = Some(t0 - Duration::hours(1));
        let json = serde_json::to_string(&t).unwrap();
        let err = serde_json::from_str::<Ticket>(&json).unwrap_err();
        assert!(
            err.to_string()
                .contains("ticket.solved_at: is before ticket.created_at"),
            "{err}"
        );
    }
}
