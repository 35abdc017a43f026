//! Exact money: a [`Decimal`] amount in an ISO 4217 [`Currency`].
//!
//! Arithmetic refuses to mix currencies: adding euros to dollars is a
//! [`MoneyError::CurrencyMismatch`], never a silent sum. Amounts keep every digit they are
//! given; [`Money::round`] rounds to the currency's minor unit (2 digits for EUR, 0 for JPY,
//! 3 for KWD) when a host wants a payable amount.
//!
//! ```
//! use crm_core::{Currency, Money};
//! use rust_decimal::Decimal;
//!
//! let a = Money::new(Decimal::new(1999, 2), Currency::EUR); // 19.99 EUR
//! let b: Money = "5.01 EUR".parse()?;
//! assert_eq!(a.checked_add(&b)?.to_string(), "25.00 EUR");
//!
//! let yen: Money = "100 JPY".parse()?;
//! assert!(a.checked_add(&yen).is_err());
//! # Ok::<(), crm_core::MoneyError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An ISO 4217 currency (re-exported from the `iso_currency` crate).
///
/// ```
/// use crm_core::Currency;
/// assert_eq!(Currency::from_code("EUR"), Some(Currency::EUR));
/// assert_eq!(Currency::JPY.exponent(), Some(0));
/// ```
pub use iso_currency::Currency;

/// Why a money value could not be built or combined.
///
/// ```
/// use crm_core::{Currency, Money, MoneyError};
/// let eur: Money = "1 EUR".parse()?;
/// let usd: Money = "1 USD".parse()?;
/// assert_eq!(
///     eur.checked_add(&usd),
///     Err(MoneyError::CurrencyMismatch { left: Currency::EUR, right: Currency::USD })
/// );
/// assert!(matches!("1 EURO".parse::<Money>(), Err(MoneyError::UnknownCurrency { .. })));
/// assert!(matches!("1,5 EUR".parse::<Money>(), Err(MoneyError::InvalidAmount { .. })));
/// # Ok::<(), MoneyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// The currency of the left operand.
        left: Currency,
        /// The currency of the right operand.
        right: Currency,
    },
    /// The result does not fit a `Decimal` (about 7.9e28).
    #[error("money overflow in {operation}")]
    Overflow {
        /// The operation that overflowed (`add`, `sub`, `mul`, `neg`, `sum`).
        operation: &'static str,
    },
    /// A currency code that is not in ISO 4217.
    #[error("currency: unknown ISO 4217 code {code:?}")]
    UnknownCurrency {
        /// The code as given.
        code: String,
    },
    /// An amount that is not a decimal number.
    #[error("amount: {input:?} is not a decimal number")]
    InvalidAmount {
        /// The text as given.
        input: String,
    },
    /// Text that is not of the form `AMOUNT CODE` (or `CODE AMOUNT`).
    #[error("money: {input:?} is not of the form \"12.50 EUR\"")]
    InvalidFormat {
        /// The text as given.
        input: String,
    },
}

/// Parses an ISO 4217 alphabetic code, case-insensitively and ignoring surrounding spaces.
///
/// ```
/// use crm_core::{parse_currency, Currency};
/// assert_eq!(parse_currency(" eur ")?, Currency::EUR);
/// assert!(parse_currency("EURO").is_err());
/// # Ok::<(), crm_core::MoneyError>(())
/// ```
pub fn parse_currency(code: &str) -> Result<Currency, MoneyError> {
    let trimmed = code.trim();
    if trimmed.len() != 3 || !trimmed.is_ascii() {
        return Err(MoneyError::UnknownCurrency {
            code: code.to_string(),
        });
    }
    Currency::from_code(&trimmed.to_ascii_uppercase()).ok_or_else(|| MoneyError::UnknownCurrency {
        code: code.to_string(),
    })
}

/// The number of minor-unit digits of a currency: 2 for EUR, 0 for JPY, 3 for KWD.
///
/// Currencies without a minor unit in ISO 4217 (gold, SDR, `XXX`) keep 4 digits.
///
/// ```
/// use crm_core::{minor_digits, Currency};
/// assert_eq!(minor_digits(Currency::EUR), 2);
/// assert_eq!(minor_digits(Currency::JPY), 0);
/// assert_eq!(minor_digits(Currency::BHD), 3);
/// ```
pub fn minor_digits(currency: Currency) -> u32 {
    currency.exponent().map(u32::from).unwrap_or(4)
}

/// An exact amount of money in one currency.
///
/// Serialized as `{"amount": "12.50", "currency": "EUR"}`; the amount is a string so that
/// no JSON reader turns it into a float.
///
/// Parsing accepts `AMOUNT CODE` or `CODE AMOUNT`, the code in any case; the amount keeps
/// the digits it was given, and display shows at least the currency's minor digits:
///
/// ```
/// use crm_core::{Currency, Money};
/// let m: Money = "eur 12.5".parse()?;
/// assert_eq!((m.currency(), m.to_string()), (Currency::EUR, "12.50 EUR".to_string()));
/// assert_eq!("0.125 EUR".parse::<Money>()?.to_string(), "0.125 EUR");
/// # Ok::<(), crm_core::MoneyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// A money value; the amount is kept exactly as given (negative amounts are refunds).
    ///
    /// ```
    /// use crm_core::{Currency, Money};
    /// use rust_decimal::Decimal;
    /// let refund = Money::new(Decimal::new(-500, 2), Currency::USD);
    /// assert!(refund.is_negative());
    /// ```
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in the given currency.
    ///
    /// ```
    /// use crm_core::{Currency, Money};
    /// assert!(Money::zero(Currency::EUR).is_zero());
    /// ```
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// The amount, exactly as given.
    ///
    /// ```
    /// use crm_core::Money;
    /// use rust_decimal::Decimal;
    /// let m: Money = "19.990 BHD".parse()?;
    /// assert_eq!(m.amount(), Decimal::new(19990, 3));
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    ///
    /// ```
    /// use crm_core::{Currency, Money};
    /// assert_eq!("100 JPY".parse::<Money>()?.currency(), Currency::JPY);
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True when the amount is below zero (a refund); a negative zero is not.
    ///
    /// ```
    /// use crm_core::Money;
    /// assert!("-0.01 EUR".parse::<Money>()?.is_negative());
    /// assert!(!"-0.00 EUR".parse::<Money>()?.is_negative());
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// True when the amount is zero, whatever its scale or sign.
    ///
    /// ```
    /// use crm_core::Money;
    /// assert!("-0.000 KWD".parse::<Money>()?.is_zero());
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// The sum of two amounts in the same currency.
    ///
    /// ```
    /// use crm_core::Money;
    /// let a: Money = "1.10 EUR".parse()?;
    /// let b: Money = "2.205 EUR".parse()?;
    /// assert_eq!(a.checked_add(&b)?.to_string(), "3.305 EUR");
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow { operation: "add" })
    }

    /// The difference of two amounts in the same currency.
    ///
    /// ```
    /// use crm_core::Money;
    /// let a: Money = "1 USD".parse()?;
    /// let b: Money = "2.50 USD".parse()?;
    /// assert_eq!(a.checked_sub(&b)?.to_string(), "-1.50 USD");
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow { operation: "sub" })
    }

    /// The amount times a factor (a quantity, a rate), in the same currency.
    ///
    /// ```
    /// use crm_core::Money;
    /// use rust_decimal::Decimal;
    /// let price: Money = "9.99 EUR".parse()?;
    /// assert_eq!(price.checked_mul(Decimal::from(3))?.to_string(), "29.97 EUR");
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn checked_mul(&self, factor: Decimal) -> Result<Money, MoneyError> {
        self.amount
            .checked_mul(factor)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(MoneyError::Overflow { operation: "mul" })
    }

    /// The same amount with the opposite sign (a refund of a purchase).
    ///
    /// ```
    /// use crm_core::Money;
    /// let sale: Money = "59.90 EUR".parse()?;
    /// assert_eq!(sale.negated().to_string(), "-59.90 EUR");
    /// assert!(sale.checked_add(&sale.negated())?.is_zero());
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn negated(&self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    /// The total of many amounts, all in `currency`; an empty iterator sums to zero.
    ///
    /// ```
    /// use crm_core::{Currency, Money};
    /// let items: Vec<Money> = vec!["1.50 EUR".parse()?, "-0.50 EUR".parse()?];
    /// assert_eq!(Money::sum(Currency::EUR, &items)?.to_string(), "1.00 EUR");
    /// assert!(Money::sum(Currency::USD, &items).is_err());
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn sum<'a, I>(currency: Currency, items: I) -> Result<Money, MoneyError>
    where
        I: IntoIterator<Item = &'a Money>,
    {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// Rounded to the currency's minor unit, halves away from zero (commercial rounding).
    ///
    /// ```
    /// use crm_core::Money;
    /// assert_eq!("2.345 EUR".parse::<Money>()?.round().to_string(), "2.35 EUR");
    /// assert_eq!("-2.345 EUR".parse::<Money>()?.round().to_string(), "-2.35 EUR");
    /// assert_eq!("1234.5 JPY".parse::<Money>()?.round().to_string(), "1235 JPY");
    /// assert_eq!("1.2345 KWD".parse::<Money>()?.round().to_string(), "1.235 KWD");
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn round(&self) -> Money {
        self.round_with(RoundingStrategy::MidpointAwayFromZero)
    }

    /// Rounded to the currency's minor unit with the given strategy (for example
    /// [`RoundingStrategy::MidpointNearestEven`], banker's rounding).
    ///
    /// ```
    /// use crm_core::Money;
    /// use rust_decimal::RoundingStrategy;
    /// let m: Money = "2.345 EUR".parse()?;
    /// assert_eq!(m.round_with(RoundingStrategy::MidpointNearestEven).to_string(), "2.34 EUR");
    /// # Ok::<(), crm_core::MoneyError>(())
    /// ```
    pub fn round_with(&self, strategy: RoundingStrategy) -> Money {
        let mut amount = self
            .amount
            .round_dp_with_strategy(minor_digits(self.currency), strategy);
        // Show the full minor unit ("3.00 EUR", not "3 EUR").
        amount.rescale(minor_digits(self.currency).max(amount.scale()));
        Money::new(amount, self.currency)
    }
}

impl fmt::Display for Money {
    /// `AMOUNT CODE`, the amount with at least the currency's minor digits: `12.50 EUR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.amount;
        let digits = minor_digits(self.currency);
        if shown.scale() < digits {
            shown.rescale(digits);
        }
        write!(f, "{} {}", shown, self.currency.code())
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses `12.50 EUR` or `EUR 12.50` (currency code in any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split_whitespace();
        let (first, second) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), None) => (a, b),
            _ => {
                return Err(MoneyError::InvalidFormat {
                    input: s.to_string(),
                });
            }
        };
        let (amount, code) = if first.chars().all(|c| c.is_ascii_alphabetic()) {
            (second, first)
        } else {
            (first, second)
        };
        let currency = parse_currency(code)?;
        let amount = Decimal::from_str_exact(amount)
            .or_else(|_| Decimal::from_scientific(amount))
            .map_err(|_| MoneyError::InvalidAmount {
                input: amount.to_string(),
            })?;
        Ok(Money::new(amount, currency))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn zero_minor_digit_currencies() {
        assert_eq!(minor_digits(Currency::JPY), 0);
        assert_eq!(minor_digits(Currency::KRW), 0);
        assert_eq!(m("1500 JPY").to_string(), "1500 JPY");
        assert_eq!(m("1500.5 JPY").round().to_string(), "1501 JPY");
        assert_eq!(m("1499.5 KRW").round().amount(), dec!(1500));
        assert_eq!(m("-0.5 JPY").round().to_string(), "-1 JPY");
        assert_eq!(
            m("2.5 JPY")
                .round_with(RoundingStrategy::MidpointNearestEven)
                .to_string(),
            "2 JPY"
        );
    }

    #[test]
    fn three_minor_digit_currencies() {
        for c in [
            Currency::KWD,
            Currency::BHD,
            Currency::JOD,
            Currency::OMR,
            Currency::TND,
        ] {
            assert_eq!(minor_digits(c), 3, "{c:?}");
        }
        assert_eq!(m("1 KWD").to_string(), "1.000 KWD");
        assert_eq!(m("1.2344 BHD").round().to_string(), "1.234 BHD");
        assert_eq!(m("1.2345 BHD").round().to_string(), "1.235 BHD");
        assert_eq!(m("-1.2345 OMR").round().to_string(), "-1.235 OMR");
        let sum = m("0.001 KWD").checked_add(&m("0.0005 KWD")).unwrap();
        assert_eq!(sum.to_string(), "0.0015 KWD");
        assert_eq!(sum.round().to_string(), "0.002 KWD");
    }

    #[test]
    fn zero_amounts() {
        let z = Money::zero(Currency::EUR);
        assert!(z.is_zero());
        assert!(!z.is_negative());
        assert_eq!(z.to_string(), "0.00 EUR");
        assert_eq!(m("0 EUR"), z);
        assert_eq!(m("-0.00 EUR"), z);
        assert!(!m("-0.00 EUR").is_negative());
        assert_eq!(z.negated(), z);
        assert_eq!(z.checked_add(&m("3.10 EUR")).unwrap(), m("3.10 EUR"));
        assert_eq!(Money::sum(Currency::EUR, &[]).unwrap(), z);
        assert_eq!(m("7 EUR").checked_mul(Decimal::ZERO).unwrap(), z);
    }

    #[test]
    fn negative_amounts() {
        let refund = m("-19.99 EUR");
        assert!(refund.is_negative());
        assert_eq!(refund.to_string(), "-19.99 EUR");
        assert_eq!(refund.negated(), m("19.99 EUR"));
        assert_eq!(
            m("10 EUR").checked_add(&refund).unwrap().to_string(),
            "-9.99 EUR"
        );
        assert_eq!(
            refund.checked_sub(&m("-20 EUR")).unwrap().to_string(),
            "0.01 EUR"
        );
        assert_eq!(
            refund.checked_mul(dec!(-2)).unwrap().to_string(),
            "39.98 EUR"
        );
        assert_eq!(m("EUR -5").amount(), dec!(-5));
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let err = m("1 EUR").checked_add(&m("1 USD")).unwrap_err();
        assert_eq!(
            err,
            MoneyError::CurrencyMismatch {
                left: Currency::EUR,
                right: Currency::USD
            }
        );
        assert!(err.to_string().contains("currency mismatch"));
        assert!(m("1 EUR").checked_sub(&m("1 JPY")).is_err());
        assert!(Money::sum(Currency::EUR, &[m("1 EUR"), m("1 USD")]).is_err());
    }

    #[test]
    fn overflow_is_an_error() {
        let big = Money::new(Decimal::MAX, Currency::EUR);
        assert_eq!(
            big.checked_add(&m("1 EUR")).unwrap_err(),
            MoneyError::Overflow { operation: "add" }
        );
        assert!(big.checked_mul(dec!(2)).is_err());
        assert!(big.negated().checked_sub(&m("1 EUR")).is_err());
    }

    #[test]
    fn parsing_errors_are_typed() {
        assert!(matches!(
            "12.50".parse::<Money>(),
            Err(MoneyError::InvalidFormat { .. })
        ));
        assert!(matches!(
            "12.50 EURO".parse::<Money>(),
            Err(MoneyError::UnknownCurrency { .. })
        ));
        assert!(matches!(
            "12,50 EUR".parse::<Money>(),
            Err(MoneyError::InvalidAmount { .. })
        ));
        assert!(matches!(
            "1 2 EUR".parse::<Money>(),
            Err(MoneyError::InvalidFormat { .. })
        ));
        assert_eq!(m("usd 3").currency(), Currency::USD);
        assert_eq!(parse_currency("kwd").unwrap(), Currency::KWD);
        assert!(parse_currency("€").is_err());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_keeps_amount_as_string_and_scale() {
        let a = m("12.50 EUR");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"amount":"12.50","currency":"EUR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.amount().scale(), 2);
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XYZ"}"#).is_err());
    }
}
