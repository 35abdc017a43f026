//! Interactions: contacts with a customer on some channel.
//!
//! ```
//! use std::time::Duration;
//! use chrono::Utc;
//! use crm_core::Interaction;
//! use crm_core::{Channel, Direction};
//!
//! let mut call = Interaction::new(1.into(), 42.into(), Channel::Phone, Direction::Inbound, Utc::now());
//! call.duration = Some(Duration::from_secs(240));
//! call.agent = Some("agent.smith".parse()?);
//! call.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::customer::check_long_text;
use crate::ids::{ContactId, CustomerId, DealId, InteractionId, TicketId, UserId};
use crate::personal::Personal;
use crate::validation::{MAX_SHORT_TEXT_CHARS, ValidationError, check_optional_text};
use crate::vocabulary::{Channel, Direction};

/// One contact with a customer: a call, an e-mail, a chat, a meeting.
///
/// `Debug` redacts the subject and notes.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Channel, Direction, Interaction, Personal};
/// let mut mail = Interaction::new(1.into(), 42.into(), Channel::Email, Direction::Outbound, Utc::now());
/// mail.subject = Some(Personal::new("Your renewal, Zoë".into()));
/// assert!(!format!("{mail:?}").contains("Zoë"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Interaction {
    /// The interaction's key.
    pub id: InteractionId,
    /// The customer contacted.
    pub customer: CustomerId,
    /// The contact person, for organization customers.
    #[cfg_attr(feature = "serde", serde(default))]
    pub contact: Option<ContactId>,
    /// The channel used.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// When it started.
    pub occurred_at: DateTime<Utc>,
    /// How long it lasted, if known.
    #[cfg_attr(feature = "serde", serde(default))]
    pub duration: Option<Duration>,
    /// The agent or rep who handled it.
    #[cfg_attr(feature = "serde", serde(default))]
    pub agent: Option<UserId>,
    /// Subject line or topic (personal data; at most [`MAX_SHORT_TEXT_CHARS`] characters).
    #[cfg_attr(feature = "serde", serde(default))]
    pub subject: Option<Personal<String>>,
    /// Free-text notes (personal data; newlines allowed).
    #[cfg_attr(feature = "serde", serde(default))]
    pub notes: Option<Personal<String>>,
    /// The outcome as a short code or text (`"callback_scheduled"`, `"order placed"`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub outcome: Option<String>,
    /// The ticket this interaction belongs to.
    #[cfg_attr(feature = "serde", serde(default))]
    pub ticket: Option<TicketId>,
    /// The deal this interaction belongs to.
    #[cfg_attr(feature = "serde", serde(default))]
    pub deal: Option<DealId>,
}

impl Interaction {
    /// An interaction with the required fields; optional fields are empty.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Direction, Interaction};
    /// let chat = Interaction::new("INT-1".parse()?, 42.into(), Channel::Chat, Direction::Inbound, Utc::now());
    /// assert!(chat.agent.is_none() && chat.ticket.is_none());
    /// chat.validate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: InteractionId,
        customer: CustomerId,
        channel: Channel,
        direction: Direction,
        occurred_at: DateTime<Utc>,
    ) -> Interaction {
        Interaction {
            id,
            customer,
            contact: None,
            channel,
            direction,
            occurred_at,
            duration: None,
            agent: None,
            subject: None,
            notes: None,
            outcome: None,
            ticket: None,
            deal: None,
        }
    }

    /// When it ended (`occurred_at + duration`), if the duration is known and representable.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Channel, Direction, Interaction};
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
    /// let mut call = Interaction::new(1.into(), 42.into(), Channel::Phone, Direction::Inbound, t0);
    /// assert_eq!(call.ended_at(), None);
    /// call.duration = Some(Duration::from_secs(90));
    /// assert_eq!(call.ended_at(), Some(Utc.with_ymd_and_hms(2024, 1, 1, 12, 1, 30).unwrap()));
    /// ```
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        let d = chrono::Duration::from_std(self.duration?).ok()?;
        self.occurred_at.checked_add_signed(d)
    }

    /// Checks every rule a stored interaction must satisfy: the subject and outcome are
    /// one-line texts, the notes may span lines.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Direction, Interaction, Personal, ValidationError};
    /// let mut call = Interaction::new(1.into(), 42.into(), Channel::Phone, Direction::Inbound, Utc::now());
    /// call.notes = Some(Personal::new("Asked about pricing.\nCall back Monday.".into()));
    /// call.validate()?;
    /// call.outcome = Some("callback\nscheduled".into());
    /// assert_eq!(call.validate().unwrap_err(), ValidationError::ControlCharacter { field: "interaction.outcome" });
    /// # Ok::<(), ValidationError>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_optional_text(
            "interaction.subject",
            self.subject.as_ref().map(Personal::expose),
            MAX_SHORT_TEXT_CHARS,
        )?;
        if let Some(notes) = &self.notes {
            check_long_text("interaction.notes", notes.expose())?;
        }
        check_optional_text(
            "interaction.outcome",
            self.outcome.as_ref(),
            MAX_SHORT_TEXT_CHARS,
        )
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Interaction);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn validation_and_end_time() {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
        let mut i = Interaction::new(
            1.into(),
            2.into(),
            Channel::Meeting,
            Direction::Outbound,
            t0,
        );
        assert_eq!(i.ended_at(), None);
        i.duration = Some(Duration::from_secs(90));
        assert_eq!(i.ended_at(), Some(t0 + chrono::Duration::seconds(90)));
        i.duration = Some(Duration::MAX);
        assert_eq!(i.ended_at(), None);
        i.notes = Some(Personal::new("line 1\nline 2".into()));
        i.subject = Some(Personal::new("Renewal — Zoë".into()));
        i.validate().unwrap();
        i.subject = Some(Personal::new("two\nlines".into()));
        assert_eq!(
            i.validate().unwrap_err(),
            ValidationError::ControlCharacter {
                field: "interaction.subject"
            }
        );
        i.subject = None;
        i.outcome = Some(String::new());
        assert_eq!(
            i.validate().unwrap_err(),
            ValidationError::Empty {
                field: "interaction.outcome"
            }
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip() {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
        let mut i = Interaction::new(
            1.into(),
            "CUST-1".parse().unwrap(),
            Channel::Chat,
            Direction::Inbound,
            t0,
        );
        i.duration = Some(Duration::new(61, 500));
        i.agent = Some("agent-7".parse().unwrap());
        i.ticket = Some(9.into());
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(serde_json::from_str::<Interaction>(&json).unwrap(), i);
    }
}
