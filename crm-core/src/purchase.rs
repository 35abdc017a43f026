//! Purchases of any shape: the input of the analytics crates (RFM in `crm-segmentation`,
//! customer summaries in `crm-churn`).
//!
//! A purchase is anything that can tell its customer key, its time and its amount. Tuples
//! `(key, DateTime<Utc>, amount)` and stored [`Transaction`]s work out of the box; a storage
//! row type implements [`Purchase`] in a few lines. The key is generic, so a host with `u64`
//! keys never builds a string, and the amount is a bare [`Decimal`] or a [`Money`] (whose
//! currency the analytics check).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::{Purchase, Transaction};
//! use rust_decimal::Decimal;
//!
//! // A host's own row type.
//! struct Order {
//!     customer: u64,
//!     placed: chrono::DateTime<Utc>,
//!     cents: i64,
//! }
//! impl Purchase for Order {
//!     type Customer = u64;
//!     type Amount = Decimal;
//!     fn customer(&self) -> &u64 {
//!         &self.customer
//!     }
//!     fn at(&self) -> chrono::DateTime<Utc> {
//!         self.placed
//!     }
//!     fn amount(&self) -> Decimal {
//!         Decimal::new(self.cents, 2)
//!     }
//! }
//!
//! let t = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
//! let order = Order { customer: 7, placed: t, cents: 1999 };
//! let tuple = (7_u64, t, Decimal::new(1999, 2));
//! assert_eq!((order.customer(), order.at(), order.amount()), (tuple.customer(), tuple.at(), tuple.amount()));
//!
//! let sale = Transaction::new("TX-1".parse()?, 42.into(), t, "19.99 EUR".parse()?);
//! assert_eq!(sale.amount().to_string(), "19.99 EUR");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::hash::Hash;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::ids::CustomerId;
use crate::money::{Currency, Money};
use crate::transaction::Transaction;

/// An amount of money: a bare [`Decimal`] (currency implied) or a [`Money`].
///
/// ```
/// use crm_core::{Amount, Currency, Money};
/// use rust_decimal::Decimal;
/// let m = Money::new(Decimal::new(1250, 2), Currency::EUR);
/// assert_eq!(m.value(), Decimal::new(1250, 2));
/// assert_eq!(Amount::currency(&m), Some(Currency::EUR));
/// assert_eq!(Amount::currency(&Decimal::ONE), None);
/// ```
pub trait Amount {
    /// The amount as a decimal number (negative for refunds).
    fn value(&self) -> Decimal;
    /// The currency, or `None` for a bare number.
    fn currency(&self) -> Option<Currency>;
    /// The amount as [`Money`] if it has a currency.
    ///
    /// ```
    /// use crm_core::{Amount, Money};
    /// use rust_decimal::Decimal;
    /// let m: Money = "3.50 USD".parse()?;
    /// assert_eq!(Amount::as_money(&m), Some(m));
    /// assert_eq!(Decimal::TEN.as_money(), None);
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    fn as_money(&self) -> Option<Money> {
        self.currency().map(|c| Money::new(self.value(), c))
    }
}

impl Amount for Decimal {
    #[inline]
    fn value(&self) -> Decimal {
        *self
    }
    #[inline]
    fn currency(&self) -> Option<Currency> {
        None
    }
}

impl Amount for Money {
    #[inline]
    fn value(&self) -> Decimal {
        self.amount()
    }
    #[inline]
    fn currency(&self) -> Option<Currency> {
        Some(Money::currency(self))
    }
}

impl<A: Amount + ?Sized> Amount for &A {
    #[inline]
    fn value(&self) -> Decimal {
        (**self).value()
    }
    #[inline]
    fn currency(&self) -> Option<Currency> {
        (**self).currency()
    }
}

/// One purchase (or refund): who, when and how much.
///
/// ```
/// use crm_core::Purchase;
/// use chrono::{TimeZone, Utc};
/// use rust_decimal::Decimal;
/// let p = (7_u64, Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap(), Decimal::new(999, 2));
/// assert_eq!(*p.customer(), 7);
/// assert_eq!(p.amount(), Decimal::new(999, 2));
/// // A reference to a purchase is a purchase too.
/// assert_eq!((&p).at(), p.1);
/// ```
pub trait Purchase {
    /// The customer key (an integer id, a UUID, a string...).
    type Customer: Hash + Eq + Clone + Ord;
    /// The amount type.
    type Amount: Amount;
    /// The customer who bought.
    fn customer(&self) -> &Self::Customer;
    /// When the purchase happened.
    fn at(&self) -> DateTime<Utc>;
    /// The amount (negative for a refund).
    fn amount(&self) -> Self::Amount;
}

impl<K, A> Purchase for (K, DateTime<Utc>, A)
where
    K: Hash + Eq + Clone + Ord,
    A: Amount + Clone,
{
    type Customer = K;
    type Amount = A;
    #[inline]
    fn customer(&self) -> &K {
        &self.0
    }
    #[inline]
    fn at(&self) -> DateTime<Utc> {
        self.1
    }
    #[inline]
    fn amount(&self) -> A {
        self.2.clone()
    }
}

impl<P: Purchase + ?Sized> Purchase for &P {
    type Customer = P::Customer;
    type Amount = P::Amount;
    #[inline]
    fn customer(&self) -> &P::Customer {
        (**self).customer()
    }
    #[inline]
    fn at(&self) -> DateTime<Utc> {
        (**self).at()
    }
    #[inline]
    fn amount(&self) -> P::Amount {
        (**self).amount()
    }
}

/// A stored [`Transaction`] is a purchase, so pages of a transaction store feed the
/// analytics directly: its customer, its time and its amount (with currency).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Amount, Currency, Purchase, Transaction};
///
/// let t = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
/// let refund = Transaction::new("TX-2".parse()?, 42.into(), t, "-19.90 EUR".parse()?);
/// assert_eq!(*refund.customer(), 42.into());
/// assert_eq!(refund.at(), t);
/// assert_eq!(refund.amount().value().to_string(), "-19.90");
/// assert_eq!(Amount::currency(&refund.amount()), Some(Currency::EUR));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Purchase for Transaction {
    type Customer = CustomerId;
    type Amount = Money;
    #[inline]
    fn customer(&self) -> &CustomerId {
        &self.customer
    }
    #[inline]
    fn at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
    #[inline]
    fn amount(&self) -> Money {
        self.amount
    }
}

/// One customer's transactions in one currency within a time range, aggregated.
///
/// Every transaction counts, refunds (negative amounts) included: they lower the totals
/// and count as transactions on their day. A customer who paid in several currencies has
/// one summary per currency (amounts in different currencies are never added).
///
/// Stores compute them (`CrmStore::purchase_summaries` in `crm-storage-traits`, one
/// `GROUP BY` in the SQL stores); RFM in `crm-segmentation` and the customer histories of
/// `crm-churn` read them, so an analysis reads one row per customer instead of one per
/// transaction.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, Money, PurchaseSummary};
///
/// let day = |d, h| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
/// // Ann paid 10 and 5 EUR on 2 May and 20 EUR on 9 May.
/// let ann = PurchaseSummary {
///     customer: 1.into(),
///     currency: Currency::EUR,
///     first_purchase: day(2, 9),
///     last_purchase: day(9, 9),
///     transactions: 3,
///     purchase_days: 2,
///     net_total: "35 EUR".parse()?,
///     repeat_total: "20 EUR".parse()?,
/// };
/// assert_eq!(ann.net_total, Money::new(35.into(), Currency::EUR));
/// # Ok::<(), crm_core::MoneyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PurchaseSummary {
    /// The customer.
    pub customer: CustomerId,
    /// The currency of the transactions summarized here.
    pub currency: Currency,
    /// The time of the customer's first transaction in the range.
    pub first_purchase: DateTime<Utc>,
    /// The time of the customer's last transaction in the range.
    pub last_purchase: DateTime<Utc>,
    /// How many transactions.
    pub transactions: u64,
    /// On how many distinct days (UTC dates) they happened.
    pub purchase_days: u64,
    /// The sum of the amounts, exact.
    pub net_total: Money,
    /// The sum of the amounts of every day but the first purchase day (the repeat
    /// purchases), exact.
    pub repeat_total: Money,
}

impl PurchaseSummary {
    /// The totals part of the summary (what recency, frequency in transactions and
    /// monetary value need).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Currency, PurchaseSummary};
    ///
    /// let t = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
    /// let s = PurchaseSummary {
    ///     customer: 1.into(),
    ///     currency: Currency::EUR,
    ///     first_purchase: t,
    ///     last_purchase: t,
    ///     transactions: 2,
    ///     purchase_days: 1,
    ///     net_total: "15 EUR".parse()?,
    ///     repeat_total: "0 EUR".parse()?,
    /// };
    /// let totals = s.totals();
    /// assert_eq!((totals.transactions, totals.net_total), (2, s.net_total));
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn totals(&self) -> PurchaseTotals {
        PurchaseTotals {
            customer: self.customer.clone(),
            currency: self.currency,
            first_purchase: self.first_purchase,
            last_purchase: self.last_purchase,
            transactions: self.transactions,
            net_total: self.net_total,
        }
    }
}

/// One customer's transactions in one currency within a time range, totalled: a
/// [`PurchaseSummary`] without the distinct purchase days and the repeat total.
///
/// It is what RFM with frequency in transactions and ABC analysis read, and what a
/// database computes with the plainest `GROUP BY` (first and last time, count, sum), so
/// stores answer it faster than the full summary.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, PurchaseTotals};
///
/// let t = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
/// let ann = PurchaseTotals {
///     customer: 1.into(),
///     currency: Currency::EUR,
///     first_purchase: t,
///     last_purchase: t,
///     transactions: 2,
///     net_total: "15 EUR".parse()?,
/// };
/// assert_eq!(ann.net_total.to_string(), "15.00 EUR");
/// # Ok::<(), crm_core::MoneyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PurchaseTotals {
    /// The customer.
    pub customer: CustomerId,
    /// The currency of the transactions totalled here.
    pub currency: Currency,
    /// The time of the customer's first transaction in the range.
    pub first_purchase: DateTime<Utc>,
    /// The time of the customer's last transaction in the range.
    pub last_purchase: DateTime<Utc>,
    /// How many transactions.
    pub transactions: u64,
    /// The sum of the amounts, exact.
    pub net_total: Money,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn tuples_references_and_transactions_agree() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let tx = Transaction::new(1.into(), 9.into(), t, "-2.50 EUR".parse().unwrap());
        let tuple = (CustomerId::from(9), t, tx.amount);
        let seen = |p: &dyn Purchase<Customer = CustomerId, Amount = Money>| {
            (p.customer().clone(), p.at(), p.amount())
        };
        assert_eq!(seen(&tx), seen(&tuple));
        assert_eq!(seen(&&tx), seen(&tx));
        assert_eq!(tx.amount().as_money(), Some(tx.amount));
        assert_eq!(Amount::value(&&Decimal::ONE), Decimal::ONE);
        assert_eq!(Amount::currency(&&tx.amount), Some(Currency::EUR));
    }
}
