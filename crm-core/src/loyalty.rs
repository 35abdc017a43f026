//! Loyalty-programme events: points earned, redeemed, adjusted or expired.
//!
//! `points` is the change to the customer's balance, so its sign follows the kind: earned
//! points are positive, redeemed and expired points negative, an adjustment either (never
//! zero).
//!
//! ```
//! use chrono::Utc;
//! use crm_core::{LoyaltyEvent, LoyaltyEventKind};
//!
//! let earn = LoyaltyEvent::new("L-1".parse()?, 42.into(), LoyaltyEventKind::Earn, Utc::now(), 120);
//! earn.validate()?;
//! let wrong = LoyaltyEvent::new("L-2".parse()?, 42.into(), LoyaltyEventKind::Redeem, Utc::now(), 50);
//! assert!(wrong.validate().is_err()); // a redemption takes points away: -50
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::ids::{CustomerId, LoyaltyEventId, TransactionId};
use crate::validation::{MAX_SHORT_TEXT_CHARS, ValidationError, check_optional_text};
use crate::vocabulary::UnknownName;

/// What a loyalty event does to a balance.
///
/// Stable `snake_case` names (`earn`, `redeem`, `adjust`, `expire`) in `as_str`, `FromStr`,
/// `Display` and serde.
///
/// ```
/// use crm_core::LoyaltyEventKind;
/// assert_eq!("redeem".parse::<LoyaltyEventKind>()?, LoyaltyEventKind::Redeem);
/// assert_eq!(LoyaltyEventKind::Expire.to_string(), "expire");
/// assert!("Redeem".parse::<LoyaltyEventKind>().is_err());
/// # Ok::<(), crm_core::UnknownName>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum LoyaltyEventKind {
    /// Points earned (positive).
    Earn,
    /// Points spent (negative).
    Redeem,
    /// A manual correction (either sign, never zero).
    Adjust,
    /// Points that lapsed (negative).
    Expire,
}

impl LoyaltyEventKind {
    /// Every kind, in declaration order.
    ///
    /// ```
    /// use crm_core::LoyaltyEventKind;
    /// assert_eq!(LoyaltyEventKind::ALL.len(), 4);
    /// ```
    pub const ALL: &'static [LoyaltyEventKind] = &[
        LoyaltyEventKind::Earn,
        LoyaltyEventKind::Redeem,
        LoyaltyEventKind::Adjust,
        LoyaltyEventKind::Expire,
    ];

    /// The stable `snake_case` name.
    ///
    /// ```
    /// use crm_core::LoyaltyEventKind;
    /// assert_eq!(LoyaltyEventKind::Earn.as_str(), "earn");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            LoyaltyEventKind::Earn => "earn",
            LoyaltyEventKind::Redeem => "redeem",
            LoyaltyEventKind::Adjust => "adjust",
            LoyaltyEventKind::Expire => "expire",
        }
    }
}

impl fmt::Display for LoyaltyEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LoyaltyEventKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LoyaltyEventKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                vocabulary: "loyalty event kind",
                input: s.to_string(),
                expected: "earn, redeem, adjust, expire",
            })
    }
}

/// One change to a customer's loyalty points.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{LoyaltyEvent, LoyaltyEventKind, ValidationError};
/// let mut fix = LoyaltyEvent::new("L-9".parse()?, 42.into(), LoyaltyEventKind::Adjust, Utc::now(), -30);
/// assert_eq!(
///     fix.validate().unwrap_err(),
///     ValidationError::Empty { field: "loyalty_event.reason" }
/// );
/// fix.reason = Some("duplicate booking".into());
/// fix.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct LoyaltyEvent {
    /// The event's key.
    pub id: LoyaltyEventId,
    /// The member.
    pub customer: CustomerId,
    /// Earn, redeem, adjust or expire.
    pub kind: LoyaltyEventKind,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The change to the balance: positive to earn, negative to redeem or expire, either
    /// (not zero) to adjust.
    pub points: i64,
    /// Why (at most [`MAX_SHORT_TEXT_CHARS`] characters); required for adjustments.
    #[cfg_attr(feature = "serde", serde(default))]
    pub reason: Option<String>,
    /// The purchase or refund the points come from.
    #[cfg_attr(feature = "serde", serde(default))]
    pub transaction: Option<TransactionId>,
}

impl LoyaltyEvent {
    /// An event with no reason and no transaction.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{LoyaltyEvent, LoyaltyEventKind};
    /// let e = LoyaltyEvent::new(1.into(), 42.into(), LoyaltyEventKind::Expire, Utc::now(), -10);
    /// assert!(e.reason.is_none() && e.transaction.is_none());
    /// e.validate()?;
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn new(
        id: LoyaltyEventId,
        customer: CustomerId,
        kind: LoyaltyEventKind,
        occurred_at: DateTime<Utc>,
        points: i64,
    ) -> LoyaltyEvent {
        LoyaltyEvent {
            id,
            customer,
            kind,
            occurred_at,
            points,
            reason: None,
            transaction: None,
        }
    }

    /// Checks the sign of the points for the kind, that they can be negated, and the
    /// reason (a one-line text, required for adjustments).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{LoyaltyEvent, LoyaltyEventKind, ValidationError};
    /// let e = LoyaltyEvent::new(1.into(), 42.into(), LoyaltyEventKind::Earn, Utc::now(), 0);
    /// assert!(matches!(e.validate(), Err(ValidationError::Invalid { field: "loyalty_event.points", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        const FIELD: &str = "loyalty_event.points";
        if self.points == i64::MIN {
            return Err(ValidationError::OutOfRange {
                field: FIELD,
                value: self.points.to_string(),
                expected: format!("{}..={}", -i64::MAX, i64::MAX),
            });
        }
        let reason = match self.kind {
            LoyaltyEventKind::Earn if self.points <= 0 => Some("earned points must be positive"),
            LoyaltyEventKind::Redeem if self.points >= 0 => {
                Some("redeemed points must be negative (they leave the balance)")
            }
            LoyaltyEventKind::Expire if self.points >= 0 => {
                Some("expired points must be negative (they leave the balance)")
            }
            LoyaltyEventKind::Adjust if self.points == 0 => {
                Some("an adjustment must change the balance")
            }
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(ValidationError::Invalid {
                field: FIELD,
                reason,
            });
        }
        if self.kind == LoyaltyEventKind::Adjust && self.reason.is_none() {
            return Err(ValidationError::Empty {
                field: "loyalty_event.reason",
            });
        }
        check_optional_text(
            "loyalty_event.reason",
            self.reason.as_ref(),
            MAX_SHORT_TEXT_CHARS,
        )
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(LoyaltyEvent);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(kind: LoyaltyEventKind, points: i64) -> LoyaltyEvent {
        let t0 = Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 0).unwrap();
        LoyaltyEvent::new(1.into(), 2.into(), kind, t0, points)
    }

    #[test]
    fn sign_rules_per_kind() {
        use LoyaltyEventKind::*;
        for (kind, ok, bad) in [
            (Earn, 10, [0, -10]),
            (Redeem, -10, [0, 10]),
            (Expire, -10, [0, 10]),
        ] {
            event(kind, ok).validate().unwrap();
            for b in bad {
                assert!(
                    matches!(
                        event(kind, b).validate(),
                        Err(ValidationError::Invalid {
                            field: "loyalty_event.points",
                            ..
                        })
                    ),
                    "{kind} {b}"
                );
            }
        }
        let mut adjust = event(Adjust, -5);
        adjust.reason = Some("goodwill correction".into());
        adjust.validate().unwrap();
        adjust.points = 5;
        adjust.validate().unwrap();
        adjust.points = 0;
        assert!(adjust.validate().is_err());
        assert!(matches!(
            event(Redeem, i64::MIN).validate(),
            Err(ValidationError::OutOfRange { .. })
        ));
        event(Redeem, -i64::MAX).validate().unwrap();
    }

    #[test]
    fn reason_rules() {
        let mut e = event(LoyaltyEventKind::Adjust, 3);
        assert_eq!(
            e.validate().unwrap_err(),
            ValidationError::Empty {
                field: "loyalty_event.reason"
            }
        );
        e.reason = Some("two\nlines".into());
        assert_eq!(
            e.validate().unwrap_err().to_string(),
            "loyalty_event.reason: contains a control character"
        );
        let mut earn = event(LoyaltyEventKind::Earn, 3);
        earn.reason = Some(" birthday".into());
        assert!(earn.validate().is_err());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip_and_validation_on_read() {
        let mut e = event(LoyaltyEventKind::Earn, 120);
        e.transaction = Some("TX-1".parse().unwrap());
        e.reason = Some("purchase".into());
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains(r#""kind":"earn""#), "{json}");
        assert_eq!(serde_json::from_str::<LoyaltyEvent>(&json).unwrap(), e);
        let bad = json.replace(r#""points":120"#, r#""points":-120"#);
        let err = serde_json::from_str::<LoyaltyEvent>(&bad).unwrap_err();
        assert!(err.to_string().contains("loyalty_event.points"), "{err}");
        let minimal = r#"{"id":"L-1","customer":7,"kind":"expire","occurred_at":"2024-01-01T00:00:00Z","points":-4}"#;
        let m: LoyaltyEvent = serde_json::from_str(minimal).unwrap();
        assert_eq!(m.kind, LoyaltyEventKind::Expire);
        assert_eq!(m.points, -4);
    }
}
