//! Sales opportunities.
//!
//! ```
//! use chrono::Utc;
//! use crm_core::Deal;
//! use crm_core::DealStage;
//!
//! let mut d = Deal::new("D-9".parse()?, 42.into(), "Fleet renewal 2025", "120000 EUR".parse()?, Utc::now())?;
//! assert_eq!(d.stage, DealStage::Qualification);
//! d.stage = DealStage::Lost;
//! d.close_reason = Some("price".into());
//! d.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{CustomerId, DealId, UserId};
use crate::money::Money;
use crate::validation::{
    MAX_SHORT_TEXT_CHARS, ValidationError, check_order, check_text, clean_text,
};
use crate::vocabulary::DealStage;

/// A sales opportunity with a customer.
///
/// Only a closed deal ([`DealStage::is_closed`]) has a close reason:
///
/// ```
/// use chrono::{Duration, Utc};
/// use crm_core::{Deal, DealStage};
/// let t0 = Utc::now();
/// let mut d = Deal::new("D-1".parse()?, 42.into(), "Renewal", "5000 EUR".parse()?, t0)?;
/// d.close_reason = Some("budget".into());
/// assert!(d.validate().is_err());
/// d.stage = DealStage::Won;
/// d.closed_at = Some(t0 + Duration::days(14));
/// d.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Deal {
    /// The deal's key.
    pub id: DealId,
    /// The customer.
    pub customer: CustomerId,
    /// A short title (trimmed, 1 to [`MAX_SHORT_TEXT_CHARS`] characters).
    pub title: String,
    /// The expected (or, once won, the agreed) value; never negative.
    pub amount: Money,
    /// Where the deal stands.
    pub stage: DealStage,
    /// The responsible sales rep.
    #[cfg_attr(feature = "serde", serde(default))]
    pub owner: Option<UserId>,
    /// When the deal is expected to close.
    #[cfg_attr(feature = "serde", serde(default))]
    pub expected_close: Option<NaiveDate>,
    /// When the deal was opened.
    pub created_at: DateTime<Utc>,
    /// When it was won or lost (not before `created_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was won or lost (only for a closed deal).
    #[cfg_attr(feature = "serde", serde(default))]
    pub close_reason: Option<String>,
}

impl Deal {
    /// A new deal in [`DealStage::Qualification`]; the title is trimmed and validated and
    /// the amount must not be negative.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Deal, ValidationError};
    /// let d = Deal::new("D-1".parse()?, 42.into(), " Fleet renewal ", "0 JPY".parse()?, Utc::now())?;
    /// assert_eq!(d.title, "Fleet renewal");
    /// let err = Deal::new("D-2".parse()?, 42.into(), "Refund", "-1 EUR".parse()?, Utc::now()).unwrap_err();
    /// assert_eq!(err.to_string(), "deal.amount: must not be negative");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: DealId,
        customer: CustomerId,
        title: &str,
        amount: Money,
        created_at: DateTime<Utc>,
    ) -> Result<Deal, ValidationError> {
        let deal = Deal {
            id,
            customer,
            title: clean_text("deal.title", title, MAX_SHORT_TEXT_CHARS)?,
            amount,
            stage: DealStage::Qualification,
            owner: None,
            expected_close: None,
            created_at,
            closed_at: None,
            close_reason: None,
        };
        deal.validate()?;
        Ok(deal)
    }

    /// Checks the title, the amount, the close reason and the timestamps.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use crm_core::{Deal, DealStage, ValidationError};
    /// let t0 = Utc::now();
    /// let mut d = Deal::new("D-1".parse()?, 42.into(), "Renewal", "5000 EUR".parse()?, t0)?;
    /// d.stage = DealStage::Lost;
    /// d.closed_at = Some(t0 - Duration::days(1));
    /// assert_eq!(
    ///     d.validate().unwrap_err(),
    ///     ValidationError::TimeOrder { field: "deal.closed_at", earlier: "deal.created_at" }
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_text("deal.title", &self.title, MAX_SHORT_TEXT_CHARS)?;
        if self.amount.is_negative() {
            return Err(ValidationError::Invalid {
                field: "deal.amount",
                reason: "must not be negative",
            });
        }
        if let Some(reason) = &self.close_reason {
            check_text("deal.close_reason", reason, MAX_SHORT_TEXT_CHARS)?;
            if !self.stage.is_closed() {
                return Err(ValidationError::Invalid {
                    field: "deal.close_reason",
                    reason: "only a won or lost deal has a close reason",
                });
            }
        }
        check_order(
            "deal.closed_at",
            self.closed_at.as_ref(),
            "deal.created_at",
            Some(&self.created_at),
        )?;
        Ok(())
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Deal);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn deal() -> Deal {
        let t0 = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
        Deal::new(
            1.into(),
            2.into(),
            " Renewal ",
            "0 JPY".parse().unwrap(),
            t0,
        )
        .unwrap()
    }

    #[test]
    fn rules() {
        let d = deal();
        assert_eq!(d.title, "Renewal");
        let t0 = d.created_at;
        assert_eq!(
            Deal::new(1.into(), 2.into(), "x", "-1 EUR".parse().unwrap(), t0).unwrap_err(),
            ValidationError::Invalid {
                field: "deal.amount",
                reason: "must not be negative"
            }
        );
        assert_eq!(
            Deal::new(1.into(), 2.into(), "", "1 EUR".parse().unwrap(), t0).unwrap_err(),
            ValidationError::Empty {
                field: "deal.title"
            }
        );
        let mut open_with_reason = d.clone();
        open_with_reason.close_reason = Some("price".into());
        assert_eq!(
            open_with_reason.validate().unwrap_err().to_string(),
            "deal.close_reason: only a won or lost deal has a close reason"
        );
        let mut won = open_with_reason;
        won.stage = DealStage::Won;
        won.closed_at = Some(t0 + Duration::days(3));
        won.validate().unwrap();
        won.closed_at = Some(t0 - Duration::days(3));
        assert!(matches!(
            won.validate(),
            Err(ValidationError::TimeOrder {
                field: "deal.closed_at",
                ..
            })
        ));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip() {
        let mut d = deal();
        d.amount = "1250.500 KWD".parse().unwrap();
        d.expected_close = chrono::NaiveDate::from_ymd_opt(2024, 12, 31);
        d.owner = Some(3.into());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Deal>(&json).unwrap(), d);
    }
}
