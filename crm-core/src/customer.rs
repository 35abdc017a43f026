//! Customers (persons and organizations), their contact persons, marketing consent and
//! custom attributes.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_core::Email;
//! use crm_core::Customer;
//! use crm_core::{ConsentChannel, PartyKind};
//! use crm_core::CustomerId;
//!
//! let t0 = Utc.with_ymd_and_hms(2024, 1, 15, 9, 0, 0).unwrap();
//! let mut c = Customer::new("CUST-000042".parse()?, PartyKind::Person, "Zoë Ångström", t0)?;
//! c.email = Some(Email::parse("zoe@example.org")?);
//! c.give_consent(ConsentChannel::Email, t0);
//! assert!(c.has_consent(ConsentChannel::Email));
//! assert!(!c.has_consent(ConsentChannel::Sms));
//! assert_eq!(c.name.expose(), "Zoë Ångström");
//! assert!(!format!("{c:?}").contains("Zoë"));
//! c.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::contact::{Email, Phone, PostalAddress};
use crate::ids::{ContactId, CustomerId, UserId};
use crate::personal::Personal;
use crate::tag::Tag;
use crate::validation::{
    MAX_LONG_TEXT_CHARS, MAX_NAME_CHARS, MAX_SHORT_TEXT_CHARS, ValidationError,
    check_optional_text, check_order, check_text, clean_text,
};
use crate::vocabulary::{Channel, ConsentChannel, ConsentStatus, LifecycleStage, PartyKind};

/// The longest custom attribute name, in characters.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, CustomerId, MAX_ATTRIBUTE_NAME_CHARS, PartyKind};
/// let mut c = Customer::new(CustomerId::from(1), PartyKind::Person, "Ada", Utc::now())?;
/// assert!(c.set_attribute(&"n".repeat(MAX_ATTRIBUTE_NAME_CHARS), 1).is_ok());
/// assert!(c.set_attribute(&"n".repeat(MAX_ATTRIBUTE_NAME_CHARS + 1), 1).is_err());
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
pub const MAX_ATTRIBUTE_NAME_CHARS: usize = 64;

/// The latest marketing-consent decision on one channel.
///
/// ```
/// use chrono::Utc;
/// use crm_core::Consent;
/// let c = Consent::given(Utc::now());
/// assert!(c.is_given());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Consent {
    /// Given or withdrawn.
    pub status: ConsentStatus,
    /// When the customer gave or withdrew it.
    pub at: DateTime<Utc>,
}

impl Consent {
    /// Consent given at `at`.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Consent, ConsentStatus};
    /// let now = Utc::now();
    /// assert_eq!(Consent::given(now), Consent { status: ConsentStatus::Given, at: now });
    /// ```
    pub fn given(at: DateTime<Utc>) -> Self {
        Consent {
            status: ConsentStatus::Given,
            at,
        }
    }

    /// Consent withdrawn at `at`.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Consent;
    /// assert!(!Consent::withdrawn(Utc::now()).is_given());
    /// ```
    pub fn withdrawn(at: DateTime<Utc>) -> Self {
        Consent {
            status: ConsentStatus::Withdrawn,
            at,
        }
    }

    /// True when consent is given.
    pub fn is_given(&self) -> bool {
        self.status == ConsentStatus::Given
    }
}

/// The value of a custom attribute: a small, typed, JSON-like value.
///
/// With `serde` it is written with its type as the key (`{"integer": 5}`,
/// `{"decimal": "9.50"}`, `{"text": "gold"}`) so that it reads back as exactly the same
/// type. There are no floats: use `Decimal`.
///
/// ```
/// use crm_core::AttributeValue;
/// use rust_decimal::Decimal;
/// let v = AttributeValue::from(Decimal::new(950, 2));
/// assert_eq!(v, AttributeValue::Decimal(Decimal::new(950, 2)));
/// assert_eq!(AttributeValue::from("gold"), AttributeValue::Text("gold".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AttributeValue {
    /// A yes/no value.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// An exact decimal number.
    Decimal(Decimal),
    /// Text (at most [`MAX_LONG_TEXT_CHARS`] characters, no control characters other
    /// than newlines and tabs).
    Text(String),
    /// A calendar date.
    Date(NaiveDate),
    /// A point in time (UTC).
    Timestamp(DateTime<Utc>),
}

impl From<bool> for AttributeValue {
    fn from(v: bool) -> Self {
        AttributeValue::Bool(v)
    }
}

impl From<i64> for AttributeValue {
    fn from(v: i64) -> Self {
        AttributeValue::Integer(v)
    }
}

impl From<Decimal> for AttributeValue {
    fn from(v: Decimal) -> Self {
        AttributeValue::Decimal(v)
    }
}

impl From<&str> for AttributeValue {
    fn from(v: &str) -> Self {
        AttributeValue::Text(v.to_string())
    }
}

impl From<String> for AttributeValue {
    fn from(v: String) -> Self {
        AttributeValue::Text(v)
    }
}

impl From<NaiveDate> for AttributeValue {
    fn from(v: NaiveDate) -> Self {
        AttributeValue::Date(v)
    }
}

impl From<DateTime<Utc>> for AttributeValue {
    fn from(v: DateTime<Utc>) -> Self {
        AttributeValue::Timestamp(v)
    }
}

/// Checks free text that may span lines: newlines and tabs are allowed, other control
/// characters are not.
pub(crate) fn check_long_text(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    {
        return Err(ValidationError::ControlCharacter { field });
    }
    if value.chars().count() > MAX_LONG_TEXT_CHARS {
        return Err(ValidationError::TooLong {
            field,
            max: MAX_LONG_TEXT_CHARS,
        });
    }
    Ok(())
}

/// A customer: a person or an organization we sell to or serve.
///
/// Fields are public; [`Customer::new`] builds a valid record with the required fields and
/// [`Customer::validate`] checks one built or changed field by field (call it before every
/// write); deserialization calls it as well. Contact points, ids and tags are valid by
/// construction; `validate` checks the name, attribute names and texts, self-references and
/// the timestamps.
///
/// `Debug` redacts the name and the contact points.
///
/// ```
/// use chrono::{Duration, Utc};
/// use crm_core::{Customer, CustomerId, PartyKind, ValidationError};
/// let t0 = Utc::now();
/// let mut acme = Customer::new(CustomerId::from(7), PartyKind::Organization, "ACME GmbH", t0)?;
/// acme.parent_account = Some(CustomerId::from(7));
/// assert_eq!(
///     acme.validate().unwrap_err(),
///     ValidationError::SelfReference { field: "customer.parent_account" }
/// );
/// acme.parent_account = Some(CustomerId::from(1));
/// acme.updated_at = t0 + Duration::hours(1);
/// acme.validate()?;
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Customer {
    /// The customer's key.
    pub id: CustomerId,
    /// Person or organization.
    pub kind: PartyKind,
    /// Full name of a person or legal name of an organization (trimmed, 1 to
    /// [`MAX_NAME_CHARS`] characters, any script).
    pub name: Personal<String>,
    /// E-mail address.
    #[cfg_attr(feature = "serde", serde(default))]
    pub email: Option<Email>,
    /// Phone number (E.164).
    #[cfg_attr(feature = "serde", serde(default))]
    pub phone: Option<Phone>,
    /// Postal address.
    #[cfg_attr(feature = "serde", serde(default))]
    pub address: Option<PostalAddress>,
    /// The organization (company account) a person belongs to, if it is itself a customer.
    #[cfg_attr(feature = "serde", serde(default))]
    pub account: Option<CustomerId>,
    /// The parent account in a key-account hierarchy (a subsidiary's group).
    #[cfg_attr(feature = "serde", serde(default))]
    pub parent_account: Option<CustomerId>,
    /// The responsible sales rep or account manager.
    #[cfg_attr(feature = "serde", serde(default))]
    pub owner: Option<UserId>,
    /// The channel the customer was acquired through.
    #[cfg_attr(feature = "serde", serde(default))]
    pub source: Option<Channel>,
    /// The current lifecycle stage, if the host tracks it.
    #[cfg_attr(feature = "serde", serde(default))]
    pub lifecycle_stage: Option<LifecycleStage>,
    /// Labels.
    #[cfg_attr(feature = "serde", serde(default))]
    pub tags: BTreeSet<Tag>,
    /// Custom attributes by name (names trimmed, 1 to [`MAX_ATTRIBUTE_NAME_CHARS`]
    /// characters).
    #[cfg_attr(feature = "serde", serde(default))]
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Date of birth (persons) or founding (organizations), for care reminders.
    #[cfg_attr(feature = "serde", serde(default))]
    pub birthday: Option<NaiveDate>,
    /// The customer's IANA time zone (`Europe/Berlin`), for contacting them at local
    /// times; valid by construction (parse it with `"Europe/Berlin".parse::<crm_core::Tz>()`), written
    /// as its IANA name, and an unknown name is refused on read.
    #[cfg_attr(feature = "serde", serde(default))]
    pub time_zone: Option<Tz>,
    /// The latest marketing-consent decision per channel; a missing channel means no consent.
    #[cfg_attr(feature = "serde", serde(default))]
    pub consents: BTreeMap<ConsentChannel, Consent>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record was last changed (not before `created_at`).
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    /// A customer with the required fields; the name is trimmed and validated, `updated_at`
    /// equals `created_at`, everything else is empty.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Customer, CustomerId, PartyKind, ValidationError};
    /// let c = Customer::new(CustomerId::from(1), PartyKind::Person, "  山田 太郎 ", Utc::now())?;
    /// assert_eq!(c.name.expose(), "山田 太郎");
    /// assert_eq!(c.updated_at, c.created_at);
    /// let err = Customer::new(CustomerId::from(2), PartyKind::Person, "Ann\nLee", Utc::now()).unwrap_err();
    /// assert_eq!(err, ValidationError::ControlCharacter { field: "customer.name" });
    /// # Ok::<(), ValidationError>(())
    /// ```
    pub fn new(
        id: CustomerId,
        kind: PartyKind,
        name: &str,
        created_at: DateTime<Utc>,
    ) -> Result<Customer, ValidationError> {
        let name = clean_text("customer.name", name, MAX_NAME_CHARS)?;
        Ok(Customer {
            id,
            kind,
            name: Personal::new(name),
            email: None,
            phone: None,
            address: None,
            account: None,
            parent_account: None,
            owner: None,
            source: None,
            lifecycle_stage: None,
            tags: BTreeSet::new(),
            attributes: BTreeMap::new(),
            birthday: None,
            time_zone: None,
            consents: BTreeMap::new(),
            created_at,
            updated_at: created_at,
        })
    }

    /// Checks every rule a stored customer must satisfy; the error names the first field at
    /// fault.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use crm_core::{Customer, CustomerId, PartyKind, ValidationError};
    /// let mut c = Customer::new(CustomerId::from(1), PartyKind::Person, "Ada", Utc::now())?;
    /// c.updated_at = c.created_at - Duration::seconds(1);
    /// assert_eq!(
    ///     c.validate().unwrap_err().to_string(),
    ///     "customer.updated_at: is before customer.created_at"
    /// );
    /// # Ok::<(), ValidationError>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_text("customer.name", self.name.expose(), MAX_NAME_CHARS)?;
        if self.account.as_ref() == Some(&self.id) {
            return Err(ValidationError::SelfReference {
                field: "customer.account",
            });
        }
        if self.parent_account.as_ref() == Some(&self.id) {
            return Err(ValidationError::SelfReference {
                field: "customer.parent_account",
            });
        }
        for (name, value) in &self.attributes {
            check_text("customer.attributes", name, MAX_ATTRIBUTE_NAME_CHARS)?;
            if let AttributeValue::Text(text) = value {
                check_long_text("customer.attributes", text)?;
            }
        }
        check_order(
            "customer.updated_at",
            Some(&self.updated_at),
            "customer.created_at",
            Some(&self.created_at),
        )?;
        Ok(())
    }

    /// Sets a custom attribute; the name is trimmed and validated.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, CustomerId, PartyKind};
    /// let mut c = Customer::new(CustomerId::from(1), PartyKind::Organization, "ACME GmbH", Utc::now())?;
    /// c.set_attribute(" tier ", "gold")?;
    /// assert!(c.attributes.contains_key("tier"));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn set_attribute(
        &mut self,
        name: &str,
        value: impl Into<AttributeValue>,
    ) -> Result<(), ValidationError> {
        let name = clean_text("customer.attributes", name, MAX_ATTRIBUTE_NAME_CHARS)?;
        let value = value.into();
        if let AttributeValue::Text(text) = &value {
            check_long_text("customer.attributes", text)?;
        }
        self.attributes.insert(name, value);
        Ok(())
    }

    /// Records that consent on `channel` was given at `at`.
    ///
    /// The latest decision per channel wins:
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use crm_core::{ConsentChannel, Customer, CustomerId, PartyKind};
    /// let t0 = Utc::now();
    /// let mut c = Customer::new(CustomerId::from(1), PartyKind::Person, "Ada", t0)?;
    /// c.give_consent(ConsentChannel::Sms, t0);
    /// c.withdraw_consent(ConsentChannel::Sms, t0 + Duration::days(30));
    /// assert!(!c.has_consent(ConsentChannel::Sms));
    /// assert_eq!(c.consents[&ConsentChannel::Sms].at, t0 + Duration::days(30));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn give_consent(&mut self, channel: ConsentChannel, at: DateTime<Utc>) {
        self.consents.insert(channel, Consent::given(at));
    }

    /// Records that consent on `channel` was withdrawn at `at` (see
    /// [`give_consent`](Self::give_consent)).
    pub fn withdraw_consent(&mut self, channel: ConsentChannel, at: DateTime<Utc>) {
        self.consents.insert(channel, Consent::withdrawn(at));
    }

    /// True when the latest decision on `channel` is that consent is given; a channel
    /// without a decision has no consent.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{ConsentChannel, Customer, CustomerId, PartyKind};
    /// let c = Customer::new(CustomerId::from(1), PartyKind::Person, "Ada", Utc::now())?;
    /// assert!(!c.has_consent(ConsentChannel::Post));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn has_consent(&self, channel: ConsentChannel) -> bool {
        self.consents.get(&channel).is_some_and(Consent::is_given)
    }
}

/// A contact person of an organization customer (a buyer, a decision maker).
///
/// ```
/// # use chrono::Utc;
/// use crm_core::Contact;
/// let c = Contact::new("C-1".parse()?, 7.into(), "Jürgen Weiß", Utc::now())?;
/// assert_eq!(format!("{:?}", c.name), "<redacted>");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Contact {
    /// The contact's key.
    pub id: ContactId,
    /// The organization the contact works for.
    pub customer: CustomerId,
    /// Full name (trimmed, 1 to [`MAX_NAME_CHARS`] characters).
    pub name: Personal<String>,
    /// Job title or role (`"Head of Purchasing"`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub role: Option<String>,
    /// E-mail address.
    #[cfg_attr(feature = "serde", serde(default))]
    pub email: Option<Email>,
    /// Phone number (E.164).
    #[cfg_attr(feature = "serde", serde(default))]
    pub phone: Option<Phone>,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
}

impl Contact {
    /// A contact with the required fields; the name is trimmed and validated.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Contact, ValidationError};
    /// let c = Contact::new("C-1".parse()?, 7.into(), " Jürgen Weiß ", Utc::now())?;
    /// assert_eq!(c.name.expose(), "Jürgen Weiß");
    /// let err = Contact::new("C-2".parse()?, 7.into(), "", Utc::now()).unwrap_err();
    /// assert_eq!(err, ValidationError::Empty { field: "contact.name" });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: ContactId,
        customer: CustomerId,
        name: &str,
        created_at: DateTime<Utc>,
    ) -> Result<Contact, ValidationError> {
        Ok(Contact {
            id,
            customer,
            name: Personal::new(clean_text("contact.name", name, MAX_NAME_CHARS)?),
            role: None,
            email: None,
            phone: None,
            created_at,
        })
    }

    /// Checks every rule a stored contact must satisfy.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Contact, ValidationError};
    /// let mut c = Contact::new("C-1".parse()?, 7.into(), "Jürgen Weiß", Utc::now())?;
    /// c.role = Some("Head of Purchasing".into());
    /// c.validate()?;
    /// c.role = Some(" ".into());
    /// assert_eq!(c.validate().unwrap_err(), ValidationError::SurroundingWhitespace { field: "contact.role" });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_text("contact.name", self.name.expose(), MAX_NAME_CHARS)?;
        check_optional_text("contact.role", self.role.as_ref(), MAX_SHORT_TEXT_CHARS)
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Customer);

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Contact);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn unicode_names_are_kept_exactly_after_trimming() {
        for name in [
            "Zoë Ångström",
            "José María Aznar-López",
            "Łukasz Żółć",
            "Ñoño",
            "山田 太郎",
            "محمد بن سلمان",
            "שרה לוי",
            "Nguyễn Văn A",
            "Ольга Петрова",
            "Kwame Nkrumah 🇬🇭",
            "e\u{301}milie", // combining accent stays as given
            "O'Brien & Söhne GmbH",
        ] {
            let c = Customer::new(
                CustomerId::from(1),
                PartyKind::Person,
                &format!("  {name}\u{a0}"),
                t0(),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(c.name.expose(), name);
            c.validate().unwrap();
        }
    }

    #[test]
    fn name_rules() {
        let new = |n: &str| Customer::new(CustomerId::from(1), PartyKind::Person, n, t0());
        assert_eq!(
            new(" \t ").unwrap_err(),
            ValidationError::Empty {
                field: "customer.name"
            }
        );
        assert_eq!(
            new("Ada\nLovelace").unwrap_err(),
            ValidationError::ControlCharacter {
                field: "customer.name"
            }
        );
        assert!(new(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            new(&"é".repeat(MAX_NAME_CHARS + 1)).unwrap_err(),
            ValidationError::TooLong {
                field: "customer.name",
                max: MAX_NAME_CHARS
            }
        );
    }

    #[test]
    fn validate_names_the_field_at_fault() {
        let mut c =
            Customer::new(CustomerId::from(1), PartyKind::Organization, "ACME", t0()).unwrap();
        c.validate().unwrap();

        let mut bad = c.clone();
        bad.name = Personal::new(" ACME".into());
        assert_eq!(
            bad.validate().unwrap_err(),
            ValidationError::SurroundingWhitespace {
                field: "customer.name"
            }
        );

        let mut bad = c.clone();
        bad.parent_account = Some(CustomerId::from(1));
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "customer.parent_account: refers to the record itself"
        );
        let mut bad = c.clone();
        bad.account = Some(CustomerId::from(1));
        assert!(bad.validate().is_err());

        let mut bad = c.clone();
        bad.updated_at = t0() - chrono::Duration::seconds(1);
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "customer.updated_at: is before customer.created_at"
        );

        let mut bad = c.clone();
        bad.attributes
            .insert(String::new(), AttributeValue::Bool(true));
        assert_eq!(
            bad.validate().unwrap_err(),
            ValidationError::Empty {
                field: "customer.attributes"
            }
        );

        c.parent_account = Some(CustomerId::from(2));
        c.set_attribute("tier", "gold").unwrap();
        c.set_attribute("notes", "line one\nline two").unwrap();
        c.set_attribute("seats", 12).unwrap();
        assert!(c.set_attribute("x", "bad\u{0}").is_err());
        assert!(c.set_attribute("", 1).is_err());
        c.validate().unwrap();
    }

    #[test]
    fn consent_follows_the_latest_decision() {
        let mut c = Customer::new(CustomerId::from(1), PartyKind::Person, "Ada", t0()).unwrap();
        assert!(!c.has_consent(ConsentChannel::Email));
        c.give_consent(ConsentChannel::Email, t0());
        assert!(c.has_consent(ConsentChannel::Email));
        let later = t0() + chrono::Duration::days(30);
        c.withdraw_consent(ConsentChannel::Email, later);
        assert!(!c.has_consent(ConsentChannel::Email));
        assert_eq!(
            c.consents[&ConsentChannel::Email],
            Consent::withdrawn(later)
        );
    }

    #[test]
    fn debug_hides_personal_data() {
        let mut c =
            Customer::new(CustomerId::from(1), PartyKind::Person, "Zoë Secret", t0()).unwrap();
        c.email = Some(Email::parse("zoe.secret@example.org").unwrap());
        c.phone = Some(Phone::parse("+49 30 123456", None).unwrap());
        c.address = Some(PostalAddress::new(["Secretweg 1"], "Berlin", None, None, "DE").unwrap());
        let shown = format!("{c:?}");
        assert!(!shown.to_lowercase().contains("secret"), "{shown}");
        assert!(!shown.contains("123456"), "{shown}");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn full_customer_round_trips_through_json() {
        let mut c = Customer::new(
            "CUST-000042".parse().unwrap(),
            PartyKind::Person,
            "Zoë",
            t0(),
        )
        .unwrap();
        c.email = Some(Email::parse("zoe@bücher.example").unwrap());
        c.phone = Some(Phone::parse("0171 2345678", Some("DE")).unwrap());
        c.address = Some(
            PostalAddress::new(["Hauptstraße 5"], "München", Some("80331"), None, "DE").unwrap(),
        );
        c.account = Some(CustomerId::from(7));
        c.owner = Some("rep.jane".parse().unwrap());
        c.source = Some(Channel::Web);
        c.lifecycle_stage = Some(LifecycleStage::AtRisk);
        c.tags.insert(Tag::new("VIP").unwrap());
        c.set_attribute("ltv", Decimal::new(12345, 2)).unwrap();
        c.set_attribute("since", NaiveDate::from_ymd_opt(2019, 2, 28).unwrap())
            .unwrap();
        c.set_attribute("seen", t0()).unwrap();
        c.birthday = NaiveDate::from_ymd_opt(1990, 2, 28);
        c.time_zone = Some(chrono_tz::Europe::Berlin);
        c.give_consent(ConsentChannel::Sms, t0());
        c.updated_at = t0() + chrono::Duration::hours(1);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""ltv":{"decimal":"123.45"}"#), "{json}");
        assert!(json.contains(r#""time_zone":"Europe/Berlin""#), "{json}");
        let back: Customer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        // Optional fields may be missing on read.
        let minimal = r#"{"id":1,"kind":"organization","name":"ACME","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}"#;
        let m: Customer = serde_json::from_str(minimal).unwrap();
        assert_eq!(
            m,
            Customer::new(CustomerId::from(1), PartyKind::Organization, "ACME", t0()).unwrap()
        );
        // Invalid contact points are rejected on read.
        let bad = minimal.replace(r#""name""#, r#""email":"not-an-email","name""#);
        assert!(serde_json::from_str::<Customer>(&bad).is_err());
        // So are unknown time zones.
        let zoned = minimal.replace(r#""name""#, r#""time_zone":"America/New_York","name""#);
        let z: Customer = serde_json::from_str(&zoned).unwrap();
        assert_eq!(z.time_zone, Some(chrono_tz::America::New_York));
        let bad = minimal.replace(r#""name""#, r#""time_zone":"Mars/Olympus_Mons","name""#);
        assert!(serde_json::from_str::<Customer>(&bad).is_err());
    }

    #[test]
    fn contact_person() {
        let mut p = Contact::new(
            "C-1".parse().unwrap(),
            CustomerId::from(7),
            " Jürgen Weiß ",
            t0(),
        )
        .unwrap();
        assert_eq!(p.name.expose(), "Jürgen Weiß");
        p.role = Some("Einkauf\t".into());
        assert_eq!(
            p.validate().unwrap_err(),
            ValidationError::ControlCharacter {
                field: "contact.role"
            }
        );
        assert!(Contact::new("C-1".parse().unwrap(), CustomerId::from(7), "", t0()).is_err());
    }
}
