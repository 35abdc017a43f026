//! The input of an RFM computation: purchases of any shape.
//!
//! A purchase is anything that can tell its customer key, its time and its amount. Tuples
//! `(key, DateTime<Utc>, amount)` work out of the box; a storage row type implements
//! [`Purchase`] in a few lines. The key is generic, so a host with `u64` keys never builds a
//! string, and the amount is a bare [`Decimal`] or a [`Money`] (whose currency is checked).

use chrono::{DateTime, Utc};
use crm_core::{Currency, Money};
use rust_decimal::Decimal;
use std::hash::Hash;

/// An amount of money: a bare [`Decimal`] (currency implied) or a [`Money`].
///
/// ```
/// use crm_segmentation::Amount;
/// use crm_core::{Currency, Money};
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
/// use crm_segmentation::Purchase;
/// use chrono::{TimeZone, Utc};
/// use rust_decimal::Decimal;
/// let p = (7_u64, Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap(), Decimal::new(999, 2));
/// assert_eq!(*p.customer(), 7);
/// assert_eq!(p.amount(), Decimal::new(999, 2));
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

/// A stored [`Transaction`](crm_core::Transaction) is a purchase, so pages of
/// a transaction store feed an [`RfmAccumulator`](crate::RfmAccumulator) directly.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::Transaction;
/// use crm_segmentation::{RfmAccumulator, RfmConfig};
///
/// let t = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
/// let page = vec![
///     Transaction::new("TX-1".parse()?, 42.into(), t, "59.90 EUR".parse()?),
///     Transaction::new("TX-2".parse()?, 42.into(), t, "-19.90 EUR".parse()?),
/// ];
/// let mut acc = RfmAccumulator::new(&RfmConfig::default())?;
/// acc.add_slice(&page)?;
/// let table = acc.finish()?;
/// assert_eq!(table.customers[0].monetary.to_string(), "40.00");
/// assert_eq!(table.currency, Some(crm_core::Currency::EUR));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl Purchase for crm_core::Transaction {
    type Customer = crm_core::CustomerId;
    type Amount = Money;
    #[inline]
    fn customer(&self) -> &Self::Customer {
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
