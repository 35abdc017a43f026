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
use crate::validation::{MAX_SHORT_TEXT_CHARS, ValidationError, check_optional_text, check_order};
use crate::vocabulary::{Channel, TicketCategory, TicketPriority, TicketStatus};

/// A service request from a customer.
///
/// ```
/// use chrono::{Duration, Utc};
/// use crm_core::{Channel, Ticket, TicketCategory, TicketPriority, TicketStatus};
/// let t0 = Utc::now();
/// let mut t = Ticket::new("T-1".parse()?, 42.into(), TicketCategory::Question, Channel::Chat, t0);
/// t.priority = TicketPriority::High;
/// t.assignee = Some("agent.smith".parse()?);
/// t.status = TicketStatus::Solved;
/// t.solved_at = Some(t0 + Duration::hours(2));
/// t.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Ticket, TicketCategory, TicketPriority, TicketStatus};
    /// let t = Ticket::new("T-1".parse()?, 42.into(), TicketCategory::Incident, Channel::Email, Utc::now());
    /// assert_eq!((t.status, t.priority), (TicketStatus::New, TicketPriority::Normal));
    /// assert!(t.assignee.is_none() && t.solved_at.is_none());
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
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

    /// Checks the subject and the order of the timestamps: the first response, solving and
    /// closing not before creation, closing not before solving.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use crm_core::{Channel, Ticket, TicketCategory, ValidationError};
    /// let t0 = Utc::now();
    /// let mut t = Ticket::new("T-1".parse()?, 42.into(), TicketCategory::Request, Channel::Web, t0);
    /// t.solved_at = Some(t0 + Duration::hours(3));
    /// t.closed_at = Some(t0 + Duration::hours(1));
    /// assert_eq!(
    ///     t.validate().unwrap_err(),
    ///     ValidationError::TimeOrder { field: "ticket.closed_at", earlier: "ticket.solved_at" }
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_optional_text(
            "ticket.subject",
            self.subject.as_ref().map(Personal::expose),
            MAX_SHORT_TEXT_CHARS,
        )?;
        let created = Some(&self.created_at);
        let (first_response, solved, closed) = (
            self.first_response_at.as_ref(),
            self.solved_at.as_ref(),
            self.closed_at.as_ref(),
        );
        // (later field, its time, earlier field, its time)
        for (field, later, earlier_field, earlier) in [
            (
                "ticket.first_response_at",
                first_response,
                "ticket.created_at",
                created,
            ),
            ("ticket.solved_at", solved, "ticket.created_at", created),
            ("ticket.closed_at", closed, "ticket.created_at", created),
            ("ticket.closed_at", closed, "ticket.solved_at", solved),
        ] {
            check_order(field, later, earlier_field, earlier)?;
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Ticket);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 8, 0, 0).unwrap()
    }

    /// A new ticket of customer 2, opened at `t0()`.
    fn ticket(id: TicketId, category: TicketCategory, channel: Channel) -> Ticket {
        Ticket::new(id, 2.into(), category, channel, t0())
    }

    #[test]
    fn timestamps_must_follow_creation_and_solving() {
        let t0 = t0();
        let mut t = ticket(1.into(), TicketCategory::Complaint, Channel::Phone);
        t.first_response_at = Some(t0);
        t.solved_at = Some(t0 + Duration::hours(2));
        t.closed_at = Some(t0 + Duration::hours(2));
        t.validate().unwrap();

        // The error of `t` changed by `change`.
        let error_after = |change: &dyn Fn(&mut Ticket)| {
            let mut bad = t.clone();
            change(&mut bad);
            bad.validate().unwrap_err()
        };
        assert_eq!(
            error_after(&|b| b.first_response_at = Some(t0 - Duration::seconds(1))),
            ValidationError::TimeOrder {
                field: "ticket.first_response_at",
                earlier: "ticket.created_at"
            }
        );
        assert_eq!(
            error_after(&|b| b.closed_at = Some(t0 + Duration::hours(1))),
            ValidationError::TimeOrder {
                field: "ticket.closed_at",
                earlier: "ticket.solved_at"
            }
        );
        assert_eq!(
            error_after(&|b| b.subject = Some(Personal::new(String::new()))),
            ValidationError::Empty {
                field: "ticket.subject"
            }
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip() {
        let mut t = ticket(
            "T-1".parse().unwrap(),
            TicketCategory::Request,
            Channel::Web,
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
        let mut t = ticket(1.into(), TicketCategory::Request, Channel::Web);
        t.solved_at = Some(t0() - Duration::hours(1));
        let json = serde_json::to_string(&t).unwrap();
        let err = serde_json::from_str::<Ticket>(&json).unwrap_err();
        assert!(
            err.to_string()
                .contains("ticket.solved_at: is before ticket.created_at"),
            "{err}"
        );
    }
}
