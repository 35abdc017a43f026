//! Purchases and refunds: the input of RFM segmentation and customer-lifetime-value models.
//!
//! ```
//! use chrono::Utc;
//! use crm_core::Transaction;
//!
//! let sale = Transaction::new("TX-1".parse()?, 42.into(), Utc::now(), "59.90 EUR".parse()?);
//! let refund = Transaction::new("TX-2".parse()?, 42.into(), Utc::now(), "-19.90 EUR".parse()?);
//! assert!(!sale.is_refund());
//! assert!(refund.is_refund());
//! refund.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::ids::{CustomerId, MAX_KEY_LEN, TransactionId};
use crate::money::Money;
use crate::validation::{MAX_SHORT_TEXT_CHARS, ValidationError, check_optional_text};
use crate::vocabulary::Channel;

/// A purchase (positive amount) or refund (negative amount) by a customer.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Channel, Transaction};
/// use rust_decimal::Decimal;
/// let mut t = Transaction::new("TX-1".parse()?, 42.into(), Utc::now(), "12.00 EUR".parse()?);
/// t.external_id = Some("INV-2024-17".into());
/// t.quantity = Decimal::new(25, 1); // 2.5 kg
/// t.product = Some("Coffee beans".into());
/// t.channel = Some(Channel::Web);
/// t.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Transaction {
    /// The transaction's key.
    pub id: TransactionId,
    /// The host's own reference (order or invoice number), at most
    /// [`MAX_KEY_LEN`] characters.
    #[cfg_attr(feature = "serde", serde(default))]
    pub external_id: Option<String>,
    /// The buyer.
    pub customer: CustomerId,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The total amount; negative for a refund.
    pub amount: Money,
    /// Units bought or returned (not negative; 1 by default; may be fractional, e.g. kg).
    pub quantity: Decimal,
    /// Product name or SKU.
    #[cfg_attr(feature = "serde", serde(default))]
    pub product: Option<String>,
    /// Product category.
    #[cfg_attr(feature = "serde", serde(default))]
    pub category: Option<String>,
    /// Sales channel.
    #[cfg_attr(feature = "serde", serde(default))]
    pub channel: Option<Channel>,
}

impl Transaction {
    /// A transaction of quantity 1 with no optional fields.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Transaction;
    /// use rust_decimal::Decimal;
    /// let t = Transaction::new("TX-1".parse()?, 42.into(), Utc::now(), "59.90 EUR".parse()?);
    /// assert_eq!(t.quantity, Decimal::ONE);
    /// assert!(t.product.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: TransactionId,
        customer: CustomerId,
        occurred_at: DateTime<Utc>,
        amount: Money,
    ) -> Transaction {
        Transaction {
            id,
            external_id: None,
            customer,
            occurred_at,
            amount,
            quantity: Decimal::ONE,
            product: None,
            category: None,
            channel: None,
        }
    }

    /// True when the amount is negative; a zero amount (a free item) is not a refund.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Transaction;
    /// let free = Transaction::new("TX-1".parse()?, 42.into(), Utc::now(), "0 JPY".parse()?);
    /// assert!(!free.is_refund());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_refund(&self) -> bool {
        self.amount.is_negative()
    }

    /// Checks the texts and the quantity: a refund has a negative amount, never a negative
    /// quantity.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Transaction, ValidationError};
    /// use rust_decimal::Decimal;
    /// let mut t = Transaction::new("TX-1".parse()?, 42.into(), Utc::now(), "-5.00 EUR".parse()?);
    /// t.quantity = Decimal::NEGATIVE_ONE;
    /// assert!(matches!(t.validate(), Err(ValidationError::Invalid { field: "transaction.quantity", .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_optional_text(
            "transaction.external_id",
            self.external_id.as_ref(),
            MAX_KEY_LEN,
        )?;
        if self.quantity.is_sign_negative() && !self.quantity.is_zero() {
            return Err(ValidationError::Invalid {
                field: "transaction.quantity",
                reason: "must not be negative (a refund has a negative amount, not quantity)",
            });
        }
        check_optional_text(
            "transaction.product",
            self.product.as_ref(),
            MAX_SHORT_TEXT_CHARS,
        )?;
        check_optional_text(
            "transaction.category",
            self.category.as_ref(),
            MAX_SHORT_TEXT_CHARS,
        )
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Transaction);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn refunds_zero_amounts_and_quantities() {
        let t0 = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap();
        let mut t = Transaction::new(1.into(), 2.into(), t0, "-5.00 EUR".parse().unwrap());
        assert!(t.is_refund());
        t.quantity = Decimal::new(-1, 0);
        assert!(matches!(
            t.validate(),
            Err(ValidationError::Invalid {
                field: "transaction.quantity",
                ..
            })
        ));
        t.quantity = Decimal::new(25, 1); // 2.5 kg
        t.validate().unwrap();
        let free = Transaction::new(2.into(), 2.into(), t0, "0 JPY".parse().unwrap());
        assert!(!free.is_refund());
        free.validate().unwrap();
        let mut bad = free.clone();
        bad.external_id = Some("x".repeat(MAX_KEY_LEN + 1));
        assert!(matches!(
            bad.validate(),
            Err(ValidationError::TooLong {
                field: "transaction.external_id",
                ..
            })
        ));
        bad.external_id = Some("ORD-1".into());
        bad.category = Some(" shoes".into());
        assert_eq!(
            bad.validate().unwrap_err(),
            ValidationError::SurroundingWhitespace {
                field: "transaction.category"
            }
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip() {
        let t0 = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap();
        let mut t = Transaction::new(
            "TX-1".parse().unwrap(),
            2.into(),
            t0,
            "-19.990 BHD".parse().unwrap(),
        );
        t.external_id = Some("INV-2024-17".into());
        t.product = Some("SKU-1".into());
        t.channel = Some(Channel::Web);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), t);
    }
}
