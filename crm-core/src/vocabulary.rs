//! Controlled vocabularies: the closed sets of names the domain uses (channels, stages,
//! statuses, priorities, categories).
//!
//! Every enum has a stable `snake_case` name: [`as_str`](Channel::as_str) gives it,
//! `FromStr` parses it back (exactly; no case folding), `Display` prints it, and serde uses
//! it. State machines (`crm-lifecycle`) and storage use these names as state and column
//! values, so they never change once released. `ALL` lists the variants in declaration order.
//!
//! ```
//! use crm_core::{TicketPriority, TicketStatus};
//! assert_eq!(TicketStatus::OnHold.as_str(), "on_hold");
//! assert_eq!("on_hold".parse::<TicketStatus>()?, TicketStatus::OnHold);
//! assert!(TicketPriority::Urgent > TicketPriority::High);
//! assert!("OnHold".parse::<TicketStatus>().is_err());
//! # Ok::<(), crm_core::UnknownName>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// A name that is not in a vocabulary.
///
/// ```
/// use crm_core::{Channel, UnknownName};
/// let err = "fax".parse::<Channel>().unwrap_err();
/// assert_eq!((err.vocabulary, err.input.as_str()), ("channel", "fax"));
/// assert!(err.expected.starts_with("phone, email, sms"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{vocabulary}: unknown name {input:?} (expected one of: {expected})")]
pub struct UnknownName {
    /// The vocabulary (`"ticket status"`, `"channel"`, ...).
    pub vocabulary: &'static str,
    /// The name as given.
    pub input: String,
    /// The accepted names, comma-separated.
    pub expected: &'static str,
}

macro_rules! vocabulary {
    (
        $(#[$doc:meta])*
        $name:ident, $vocab:literal, [$($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)?]
        $(, derive($($extra:ident),*))?
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash $($(, $extra)*)?)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            ///
            /// ```
            #[doc = concat!("use crm_core::", stringify!($name), ";")]
            #[doc = concat!("let names: Vec<&str> = ", stringify!($name), "::ALL.iter().map(|v| v.as_str()).collect();")]
            #[doc = concat!("assert_eq!(names, [", $("\"", $text, "\", ",)+ "]);")]
            /// ```
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The vocabulary's name, as used in error messages.
            ///
            /// ```
            #[doc = concat!("use crm_core::", stringify!($name), ";")]
            #[doc = concat!("let err = \"?\".parse::<", stringify!($name), ">().unwrap_err();")]
            #[doc = concat!("assert_eq!(err.vocabulary, ", stringify!($name), "::VOCABULARY);")]
            /// ```
            pub const VOCABULARY: &'static str = $vocab;

            /// The stable `snake_case` name; `FromStr` parses it back exactly.
            ///
            /// ```
            #[doc = concat!("use crm_core::", stringify!($name), ";")]
            #[doc = concat!("for v in ", stringify!($name), "::ALL {")]
            #[doc = concat!("    assert_eq!(v.as_str().parse::<", stringify!($name), ">(), Ok(*v));")]
            ///     assert_eq!(v.to_string(), v.as_str());
            /// }
            #[doc = concat!("assert!(", stringify!($name), "::ALL[0].as_str().to_uppercase().parse::<", stringify!($name), ">().is_err());")]
            /// ```
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownName {
                        vocabulary: $vocab,
                        input: s.to_string(),
                        expected: concat!($($text, ", "),+).trim_end_matches(", "),
                    }),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = UnknownName;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

vocabulary!(
    /// Whether a customer is a natural person or an organization.
    PartyKind, "party kind", [
        /// A natural person.
        Person => "person",
        /// A company, association or public body.
        Organization => "organization",
    ]
);

vocabulary!(
    /// A communication channel: where an interaction, ticket, transaction or customer came
    /// from.
    Channel, "channel", [
        /// A phone call.
        Phone => "phone",
        /// E-mail.
        Email => "email",
        /// Text message.
        Sms => "sms",
        /// A social network.
        Social => "social",
        /// Live chat on a web site or app.
        Chat => "chat",
        /// A messaging app (WhatsApp, Signal, ...).
        Messaging => "messaging",
        /// An in-person or video meeting.
        Meeting => "meeting",
        /// A web form, shop or portal.
        Web => "web",
        /// Anything else.
        Other => "other",
    ]
);

vocabulary!(
    /// Who started an interaction.
    Direction, "direction", [
        /// The customer contacted us.
        Inbound => "inbound",
        /// We contacted the customer.
        Outbound => "outbound",
    ]
);

vocabulary!(
    /// A channel for which marketing consent is recorded.
    ConsentChannel, "consent channel", [
        /// Marketing e-mail.
        Email => "email",
        /// Marketing text messages.
        Sms => "sms",
        /// Marketing phone calls.
        Phone => "phone",
        /// Postal mail.
        Post => "post",
        /// Messaging apps.
        Messaging => "messaging",
    ],
    derive(PartialOrd, Ord)
);

vocabulary!(
    /// Where a customer stands in the customer lifecycle (the states of the lifecycle
    /// state machine in `crm-lifecycle`).
    LifecycleStage, "lifecycle stage", [
        /// Known contact, not yet qualified.
        Lead => "lead",
        /// Qualified, in conversation, has not bought.
        Prospect => "prospect",
        /// Bought for the first time recently.
        New => "new",
        /// Buys repeatedly.
        Active => "active",
        /// Shows signs of leaving.
        AtRisk => "at_risk",
        /// Has left.
        Churned => "churned",
        /// Came back after churning.
        WonBack => "won_back",
    ]
);

vocabulary!(
    /// The status of a service ticket (states of the ticket workflow in `crm-lifecycle`).
    TicketStatus, "ticket status", [
        /// Received, not yet looked at.
        New => "new",
        /// Being worked on.
        Open => "open",
        /// Waiting for the customer.
        Pending => "pending",
        /// Waiting for a third party or an internal team.
        OnHold => "on_hold",
        /// A solution was given.
        Solved => "solved",
        /// Finished; no further changes.
        Closed => "closed",
    ]
);

vocabulary!(
    /// How urgent a ticket is; ordered `Low < Normal < High < Urgent`.
    TicketPriority, "ticket priority", [
        /// Can wait.
        Low => "low",
        /// The default.
        Normal => "normal",
        /// Needs attention soon.
        High => "high",
        /// Needs attention now.
        Urgent => "urgent",
    ],
    derive(PartialOrd, Ord)
);

#[allow(clippy::derivable_impls)]
impl Default for TicketPriority {
    /// [`TicketPriority::Normal`].
    fn default() -> Self {
        TicketPriority::Normal
    }
}

vocabulary!(
    /// What kind of service request a ticket is.
    TicketCategory, "ticket category", [
        /// A question about a product or service.
        Question => "question",
        /// Something is broken.
        Incident => "incident",
        /// The customer is dissatisfied.
        Complaint => "complaint",
        /// The customer asks for something to be done (a change, a return).
        Request => "request",
        /// Suggestions or praise.
        Feedback => "feedback",
    ]
);

vocabulary!(
    /// The stage of a sales opportunity; `Won` and `Lost` are final.
    DealStage, "deal stage", [
        /// Is this a real opportunity?
        Qualification => "qualification",
        /// Understanding the customer's needs.
        NeedsAnalysis => "needs_analysis",
        /// An offer was made.
        Proposal => "proposal",
        /// Terms are being negotiated.
        Negotiation => "negotiation",
        /// The customer signed.
        Won => "won",
        /// The opportunity was lost.
        Lost => "lost",
    ]
);

impl DealStage {
    /// True for `Won` and `Lost`.
    ///
    /// ```
    /// use crm_core::DealStage;
    /// assert!(DealStage::Lost.is_closed());
    /// assert!(!DealStage::Proposal.is_closed());
    /// ```
    pub const fn is_closed(self) -> bool {
        matches!(self, DealStage::Won | DealStage::Lost)
    }
}

vocabulary!(
    /// Whether marketing consent on a channel is currently given or withdrawn.
    ConsentStatus, "consent status", [
        /// The customer agreed to be contacted.
        Given => "given",
        /// The customer withdrew (or refused) consent.
        Withdrawn => "withdrawn",
    ]
);

vocabulary!(
    /// The kind of satisfaction survey a score belongs to.
    SurveyKind, "survey kind", [
        /// Net Promoter Score, 0 to 10.
        Nps => "nps",
        /// Customer satisfaction on a declared scale.
        Csat => "csat",
        /// Customer effort score, 1 to 7.
        Ces => "ces",
    ]
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr<Err = UnknownName>,
    {
        let mut seen = std::collections::BTreeSet::new();
        for v in all {
            let name = v.to_string();
            assert!(seen.insert(name.clone()), "duplicate name {name}");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name} is not snake_case"
            );
            assert_eq!(name.parse::<T>().unwrap(), *v);
        }
    }

    #[test]
    fn every_vocabulary_round_trips_through_its_names() {
        round_trips(PartyKind::ALL);
        round_trips(Channel::ALL);
        round_trips(Direction::ALL);
        round_trips(ConsentChannel::ALL);
        round_trips(LifecycleStage::ALL);
        round_trips(TicketStatus::ALL);
        round_trips(TicketPriority::ALL);
        round_trips(TicketCategory::ALL);
        round_trips(DealStage::ALL);
        round_trips(ConsentStatus::ALL);
        round_trips(SurveyKind::ALL);
    }

    #[test]
    fn the_names_the_state_machines_use() {
        let names = |v: &[LifecycleStage]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>();
        assert_eq!(
            names(LifecycleStage::ALL),
            [
                "lead", "prospect", "new", "active", "at_risk", "churned", "won_back"
            ]
        );
        assert_eq!(
            TicketStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            ["new", "open", "pending", "on_hold", "solved", "closed"]
        );
        assert_eq!(DealStage::NeedsAnalysis.as_str(), "needs_analysis");
        assert_eq!(Channel::Sms.as_str(), "sms");
    }

    #[test]
    fn priorities_are_ordered_and_default_to_normal() {
        let mut p = TicketPriority::ALL.to_vec();
        p.reverse();
        p.sort();
        assert_eq!(p, TicketPriority::ALL);
        assert_eq!(TicketPriority::default(), TicketPriority::Normal);
    }

    #[test]
    fn unknown_names_are_rejected_with_the_vocabulary() {
        let err = "Open".parse::<TicketStatus>().unwrap_err();
        assert_eq!(err.vocabulary, "ticket status");
        assert_eq!(
            err.to_string(),
            "ticket status: unknown name \"Open\" (expected one of: new, open, pending, on_hold, solved, closed)"
        );
        assert!(Channel::try_from("fax").is_err());
        assert!("".parse::<DealStage>().is_err());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_the_same_names() {
        for s in TicketStatus::ALL {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<TicketStatus>(&json).unwrap(), *s);
        }
        assert_eq!(
            serde_json::to_string(&LifecycleStage::WonBack).unwrap(),
            "\"won_back\""
        );
    }
}
