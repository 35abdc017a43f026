//! Contact points: e-mail addresses, phone numbers and postal addresses, validated and
//! normalized.
//!
//! All three redact themselves in `Debug` (they are personal data); `as_str()` or the field
//! getters give the clear value. Error messages never repeat the rejected value either.
//! With `serde` they serialize as the clear, normalized value and are validated again when
//! deserialized.
//!
//! ```
//! use crm_core::{Email, Phone};
//!
//! let email = Email::parse("  Zoe.Smith@BÜCHER.example ")?;
//! assert_eq!(email.as_str(), "zoe.smith@xn--bcher-kva.example");
//! assert_eq!(format!("{email:?}"), "Email(<redacted>)");
//!
//! let phone = Phone::parse("030 / 123-4567", Some("DE"))?;
//! assert_eq!(phone.as_str(), "+49301234567");
//! # Ok::<(), crm_core::ContactError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use crate::personal::REDACTED;

/// Why a contact point was rejected. Messages name the field and the reason but never repeat
/// the personal data itself.
///
/// ```
/// use crm_core::{ContactError, Email, Phone};
/// let err = Email::parse("zoe.example.org").unwrap_err();
/// assert_eq!(err.to_string(), "email: missing '@'");
/// assert!(matches!(Phone::parse("030 1234567", Some("XX")), Err(ContactError::UnknownRegion { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContactError {
    /// The e-mail address is not valid.
    #[error("email: {reason}")]
    InvalidEmail {
        /// Why it is not valid.
        reason: String,
    },
    /// The phone number is not valid.
    #[error("phone: {reason}")]
    InvalidPhone {
        /// Why it is not valid.
        reason: String,
    },
    /// The default region for phone numbers is not an ISO 3166 alpha-2 code known to the
    /// phone number metadata.
    #[error("phone region: unknown region code {region:?}")]
    UnknownRegion {
        /// The region as given.
        region: String,
    },
    /// A field of a postal address is not valid.
    #[error("address.{field}: {reason}")]
    InvalidAddress {
        /// The field (`lines`, `city`, `postal_code`, `region`, `country`).
        field: &'static str,
        /// Why it is not valid.
        reason: &'static str,
    },
}

/// The longest accepted e-mail address, in bytes (RFC 5321 path limit).
///
/// ```
/// use crm_core::{Email, MAX_EMAIL_LEN};
/// let local = "a".repeat(60);
/// let long = format!("{local}@{}.example", "b".repeat(MAX_EMAIL_LEN));
/// assert!(Email::parse(&long).is_err());
/// ```
pub const MAX_EMAIL_LEN: usize = 254;

/// A validated, normalized e-mail address.
///
/// Normalization: surrounding whitespace is trimmed; the domain is lowercased and converted to
/// ASCII (IDNA, punycode: `bücher.example` becomes `xn--bcher-kva.example`); the local part
/// is lowercased too, so **addresses match case-insensitively** (`Ada@x.org` equals
/// `ada@x.org`), which is what real mail systems do in practice even though RFC 5321 allows
/// case-sensitive local parts. Normalizing a normalized address changes nothing.
///
/// Validation uses the `email_address` crate: a domain with at least two labels, no domain
/// literals (`[127.0.0.1]`), no display names (`Ada <ada@x.org>`).
///
/// ```
/// use crm_core::Email;
/// let a = Email::parse("Ada.Lovelace@Example.ORG")?;
/// let b: Email = "ada.lovelace@example.org".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.domain(), "example.org");
/// assert!(Email::parse("not an address").is_err());
/// # Ok::<(), crm_core::ContactError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Email(String);

fn email_error(reason: impl Into<String>) -> ContactError {
    ContactError::InvalidEmail {
        reason: reason.into(),
    }
}

impl Email {
    /// Validates and normalizes an address.
    ///
    /// ```
    /// use crm_core::Email;
    /// assert_eq!(Email::parse(" Ada@Example.ORG ")?.as_str(), "ada@example.org");
    /// assert!(Email::parse("ada@localhost").is_err()); // one domain label
    /// assert!(Email::parse("Ada <ada@example.org>").is_err()); // display name
    /// # Ok::<(), crm_core::ContactError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Email, ContactError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(email_error("must not be empty"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(email_error("contains a control character"));
        }
        let (local, domain) = trimmed
            .rsplit_once('@')
            .ok_or_else(|| email_error("missing '@'"))?;
        if local.is_empty() {
            return Err(email_error("empty local part"));
        }
        let ascii_domain = idna::domain_to_ascii(domain)
            .map_err(|_| email_error("domain is not a valid internationalized domain name"))?;
        let normalized = format!("{}@{}", local.to_lowercase(), ascii_domain);
        if normalized.len() > MAX_EMAIL_LEN {
            return Err(email_error(format!("longer than {MAX_EMAIL_LEN} bytes")));
        }
        let options = email_address::Options {
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            ..email_address::Options::default()
        };
        email_address::EmailAddress::parse_with_options(&normalized, options)
            .map_err(|e| email_error(e.to_string()))?;
        Ok(Email(normalized))
    }

    /// The normalized address (clear text).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local part (before the last `@`), lowercased.
    ///
    /// ```
    /// use crm_core::Email;
    /// let e = Email::parse("Sales+EU@Example.org")?;
    /// assert_eq!((e.local_part(), e.domain()), ("sales+eu", "example.org"));
    /// # Ok::<(), crm_core::ContactError>(())
    /// ```
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(l, _)| l)
    }

    /// The domain, in ASCII (punycode) and lowercase.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The domain converted back to Unicode for display (`bücher.example`).
    ///
    /// ```
    /// use crm_core::Email;
    /// let e = Email::parse("info@bücher.example")?;
    /// assert_eq!(e.domain_unicode(), "bücher.example");
    /// # Ok::<(), crm_core::ContactError>(())
    /// ```
    pub fn domain_unicode(&self) -> String {
        idna::domain_to_unicode(self.domain()).0
    }
}

impl FromStr for Email {
    type Err = ContactError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({REDACTED})")
    }
}

/// A phone number normalized to E.164 (`+49301234567`).
///
/// Parsing accepts spaces, dashes, dots, slashes and parentheses, a leading `+` or `00`
/// (international prefix), and national numbers when a default region (ISO 3166 alpha-2, such
/// as `"DE"` or `"US"`) is given. The number must be valid for its region according to
/// the `phonenumber` crate's metadata (libphonenumber). Parsing the E.164 form again gives the
/// same number.
///
/// ```
/// use crm_core::Phone;
/// let a = Phone::parse("0049 30 1234567", None)?;
/// let b = Phone::parse("+49 (30) 123-45-67", None)?;
/// let c = Phone::parse("030 1234567", Some("DE"))?;
/// assert_eq!(a, b);
/// assert_eq!(b, c);
/// assert_eq!(c.as_str(), "+49301234567");
/// # Ok::<(), crm_core::ContactError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Phone(String);

fn phone_error(reason: impl Into<String>) -> ContactError {
    ContactError::InvalidPhone {
        reason: reason.into(),
    }
}

/// The longest accepted phone input, in bytes, before normalization.
///
/// ```
/// use crm_core::{MAX_PHONE_INPUT_LEN, Phone};
/// let padded = format!("+49 30 1234567{}", " ".repeat(MAX_PHONE_INPUT_LEN));
/// assert!(Phone::parse(padded.trim_end(), None).is_ok()); // surrounding spaces are trimmed first
/// let dashed = format!("+49 30 {}1234567", "-".repeat(MAX_PHONE_INPUT_LEN));
/// assert!(Phone::parse(&dashed, None).is_err());
/// ```
pub const MAX_PHONE_INPUT_LEN: usize = 64;

impl Phone {
    /// Parses and normalizes a number; national numbers need `default_region`.
    ///
    /// ```
    /// use crm_core::Phone;
    /// assert_eq!(Phone::parse("(212) 555-0123", Some("us"))?.as_str(), "+12125550123");
    /// // A national number without a region cannot be placed.
    /// assert!(Phone::parse("030 1234567", None).is_err());
    /// // An international number ignores the default region.
    /// assert_eq!(Phone::parse("+49 30 1234567", Some("US"))?.as_str(), "+49301234567");
    /// # Ok::<(), crm_core::ContactError>(())
    /// ```
    pub fn parse(input: &str, default_region: Option<&str>) -> Result<Phone, ContactError> {
        let region = match default_region {
            None => None,
            Some(code) => {
                let upper = code.trim().to_ascii_uppercase();
                let id = if upper.len() == 2 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
                    phonenumber::country::Id::from_str(&upper).ok()
                } else {
                    None
                };
                Some(id.ok_or_else(|| ContactError::UnknownRegion {
                    region: code.to_string(),
                })?)
            }
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(phone_error("must not be empty"));
        }
        if trimmed.len() > MAX_PHONE_INPUT_LEN {
            return Err(phone_error(format!(
                "longer than {MAX_PHONE_INPUT_LEN} bytes"
            )));
        }
        if let Some(bad) = trimmed.chars().find(|&c| {
            !(c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '/' | '(' | ')'))
        }) {
            return Err(phone_error(if bad.is_control() {
                "contains a control character".to_string()
            } else {
                format!("unexpected character {bad:?}")
            }));
        }
        let plus_count = trimmed.matches('+').count();
        if plus_count > 1 || (plus_count == 1 && !trimmed.starts_with('+')) {
            return Err(phone_error("'+' only allowed at the start"));
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let candidate = if trimmed.starts_with('+') {
            format!("+{digits}")
        } else if let Some(rest) = digits.strip_prefix("00") {
            format!("+{rest}")
        } else {
            digits
        };
        if candidate.trim_start_matches('+').is_empty() {
            return Err(phone_error("no digits"));
        }
        if !candidate.starts_with('+') && region.is_none() {
            return Err(phone_error(
                "national number without a default region (give one or use +CC)",
            ));
        }
        // An international number ignores the default region: `phonenumber` 0.3 misreads
        // some of them when given one (`+49 171...` with region US loses a digit).
        let region = if candidate.starts_with('+') {
            None
        } else {
            region
        };
        let number = phonenumber::parse(region, &candidate)
            .map_err(|e| phone_error(format!("cannot parse: {e}")))?;
        if !phonenumber::is_valid(&number) {
            return Err(phone_error("not a valid number for its region"));
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        Ok(Phone(e164))
    }

    /// The E.164 form (clear text), such as `+49301234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Phone {
    type Err = ContactError;
    /// Parses an international number (`+` or `00` prefix); see [`Phone::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s, None)
    }
}

impl TryFrom<String> for Phone {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s, None)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({REDACTED})")
    }
}

/// The longest accepted address field, in characters.
///
/// ```
/// use crm_core::{MAX_ADDRESS_FIELD_CHARS, PostalAddress};
/// let city = "x".repeat(MAX_ADDRESS_FIELD_CHARS + 1);
/// assert!(PostalAddress::new(["Main St 1"], &city, None, None, "US").is_err());
/// ```
pub const MAX_ADDRESS_FIELD_CHARS: usize = 200;

/// The most street lines an address may have.
///
/// ```
/// use crm_core::{MAX_ADDRESS_LINES, PostalAddress};
/// let lines = vec!["line"; MAX_ADDRESS_LINES + 1];
/// assert!(PostalAddress::new(&lines, "Paris", None, None, "FR").is_err());
/// assert!(PostalAddress::new(&lines[1..], "Paris", None, None, "FR").is_ok());
/// ```
pub const MAX_ADDRESS_LINES: usize = 4;

/// A postal address with validated fields.
///
/// Every text field is trimmed, non-empty, free of control characters and at most
/// [`MAX_ADDRESS_FIELD_CHARS`] characters; there are 1 to [`MAX_ADDRESS_LINES`] street lines;
/// the country is an ISO 3166-1 alpha-2 code, stored uppercase. `Debug` is redacted.
///
/// ```
/// use crm_core::PostalAddress;
/// let a = PostalAddress::new(["Hauptstraße 5", "3. OG"], "München", Some("80331"), None, "de")?;
/// assert_eq!(a.country(), "DE");
/// assert_eq!(a.lines(), ["Hauptstraße 5", "3. OG"]);
/// assert_eq!(format!("{a:?}"), "PostalAddress(<redacted>)");
/// # Ok::<(), crm_core::ContactError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "PostalAddressFields", into = "PostalAddressFields")
)]
pub struct PostalAddress {
    lines: Vec<String>,
    city: String,
    postal_code: Option<String>,
    region: Option<String>,
    country: String,
}

/// The plain fields of a [`PostalAddress`], unvalidated (its serde form).
///
/// ```
/// use crm_core::{PostalAddress, PostalAddressFields};
/// let fields = PostalAddressFields {
///     lines: vec![" 1600 Amphitheatre Pkwy ".into()],
///     city: "Mountain View".into(),
///     postal_code: Some("94043".into()),
///     region: Some("CA".into()),
///     country: "us".into(),
/// };
/// let address = PostalAddress::try_from(fields)?;
/// assert_eq!(address.lines(), ["1600 Amphitheatre Pkwy"]);
/// assert_eq!(PostalAddressFields::from(address).country, "US");
/// # Ok::<(), crm_core::ContactError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PostalAddressFields {
    /// Street lines.
    pub lines: Vec<String>,
    /// City or locality.
    pub city: String,
    /// Postal code, if the country uses them.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub postal_code: Option<String>,
    /// State, province or region.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

impl fmt::Debug for PostalAddressFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostalAddressFields({REDACTED})")
    }
}

fn address_field(field: &'static str, value: &str) -> Result<String, ContactError> {
    let t = value.trim();
    if t.is_empty() {
        return Err(ContactError::InvalidAddress {
            field,
            reason: "must not be empty",
        });
    }
    if t.chars().any(char::is_control) {
        return Err(ContactError::InvalidAddress {
            field,
            reason: "contains a control character",
        });
    }
    if t.chars().count() > MAX_ADDRESS_FIELD_CHARS {
        return Err(ContactError::InvalidAddress {
            field,
            reason: "longer than 200 characters",
        });
    }
    Ok(t.to_string())
}

impl PostalAddress {
    /// Validates and builds an address: every field trimmed, the country uppercased.
    ///
    /// ```
    /// use crm_core::{ContactError, PostalAddress};
    /// let a = PostalAddress::new(["10 Downing St"], " London ", Some("SW1A 2AA"), None, "gb")?;
    /// assert_eq!((a.city(), a.postal_code(), a.region(), a.country()), ("London", Some("SW1A 2AA"), None, "GB"));
    /// let err = PostalAddress::new(["10 Downing St"], "London", None, None, "GBR").unwrap_err();
    /// assert!(matches!(err, ContactError::InvalidAddress { field: "country", .. }));
    /// # Ok::<(), crm_core::ContactError>(())
    /// ```
    pub fn new<L, S>(
        lines: L,
        city: &str,
        postal_code: Option<&str>,
        region: Option<&str>,
        country: &str,
    ) -> Result<PostalAddress, ContactError>
    where
        L: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let lines = lines
            .into_iter()
            .map(|l| address_field("lines", l.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if lines.is_empty() {
            return Err(ContactError::InvalidAddress {
                field: "lines",
                reason: "at least one street line is needed",
            });
        }
        if lines.len() > MAX_ADDRESS_LINES {
            return Err(ContactError::InvalidAddress {
                field: "lines",
                reason: "more than 4 street lines",
            });
        }
        let city = address_field("city", city)?;
        let postal_code = postal_code
            .map(|p| address_field("postal_code", p))
            .transpose()?;
        let region = region.map(|r| address_field("region", r)).transpose()?;
        let c = country.trim();
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ContactError::InvalidAddress {
                field: "country",
                reason: "must be an ISO 3166-1 alpha-2 code such as \"DE\"",
            });
        }
        Ok(PostalAddress {
            lines,
            city,
            postal_code,
            region,
            country: c.to_ascii_uppercase(),
        })
    }

    /// Street lines.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// City or locality.
    pub fn city(&self) -> &str {
        &self.city
    }

    /// Postal code, if any.
    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    /// State, province or region, if any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// ISO 3166-1 alpha-2 country code, uppercase.
    pub fn country(&self) -> &str {
        &self.country
    }
}

impl TryFrom<PostalAddressFields> for PostalAddress {
    type Error = ContactError;
    fn try_from(f: PostalAddressFields) -> Result<Self, Self::Error> {
        PostalAddress::new(
            &f.lines,
            &f.city,
            f.postal_code.as_deref(),
            f.region.as_deref(),
            &f.country,
        )
    }
}

impl From<PostalAddress> for PostalAddressFields {
    fn from(a: PostalAddress) -> Self {
        PostalAddressFields {
            lines: a.lines,
            city: a.city,
            postal_code: a.postal_code,
            region: a.region,
            country: a.country,
        }
    }
}

impl fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostalAddress({REDACTED})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_normalizes_case_whitespace_and_idn_domains() {
        let e = Email::parse("  Ada.Lovelace@Example.ORG\t").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.org");
        assert_eq!(e.local_part(), "ada.lovelace");
        assert_eq!(e.domain(), "example.org");

        let idn = Email::parse("info@Bücher.example").unwrap();
        assert_eq!(idn.as_str(), "info@xn--bcher-kva.example");
        assert_eq!(idn.domain_unicode(), "bücher.example");
        // The punycode spelling is the same address.
        assert_eq!(Email::parse("info@xn--bcher-kva.example").unwrap(), idn);

        let cjk = Email::parse("user@例え.テスト").unwrap();
        assert_eq!(cjk.domain(), "xn--r8jz45g.xn--zckzah");
        let cyrillic = Email::parse("почта@пример.рф").unwrap();
        assert_eq!(cyrillic.domain(), "xn--e1afmkfd.xn--p1ai");
        assert_eq!(cyrillic.local_part(), "почта");
    }

    #[test]
    fn email_normalization_is_idempotent_on_examples() {
        for raw in [
            "Zoë@Bücher.Example",
            "\"quoted local\"@example.com",
            "a+tag@sub.EXAMPLE.co.uk",
        ] {
            let once = Email::parse(raw).unwrap();
            let twice = Email::parse(once.as_str()).unwrap();
            assert_eq!(once, twice, "{raw}");
        }
    }

    #[test]
    fn email_rejections_do_not_repeat_the_address() {
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "@example.org",
            "ada@",
            "ada@localhost",
            "Ada <ada@example.org>",
            "ada@[127.0.0.1]",
            "ada@exa mple.org",
            "ada\n@example.org",
            "ada@-bad-.org",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(matches!(err, ContactError::InvalidEmail { .. }), "{bad:?}");
            let msg = err.to_string();
            assert!(msg.starts_with("email: "), "{msg}");
            if bad.len() > 3 {
                assert!(!msg.contains(bad.trim()), "{msg} leaks {bad:?}");
            }
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn phone_accepts_spaces_dashes_parentheses_and_leading_00() {
        let expected = "+4930123456";
        for raw in [
            "+49 30 123456",
            "+49-30-123456",
            "0049 30 123456",
            "0049-(30)-123456",
            "+49 (0)30 123456",
            "  +49.30.123456 ",
            "030 123456",
            "030/123456",
            "(030) 12 34 56",
        ] {
            let p = Phone::parse(raw, Some("DE")).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(p.as_str(), expected, "{raw:?}");
        }
        // International forms need no region.
        assert_eq!(
            Phone::parse("0049 30 123456", None).unwrap().as_str(),
            expected
        );
        assert_eq!("+49 30 123456".parse::<Phone>().unwrap().as_str(), expected);
        // A US number in national and international form.
        let us = Phone::parse("(212) 555-0123", Some("us")).unwrap();
        assert_eq!(us.as_str(), "+12125550123");
        assert_eq!(Phone::parse("+1 212-555-0123", Some("DE")).unwrap(), us);
    }

    #[test]
    fn phone_normalization_is_idempotent_on_examples() {
        for (raw, region) in [
            ("0171 2345678", "DE"),
            ("020 7946 0018", "GB"),
            ("03-1234-5678", "JP"),
        ] {
            let once = Phone::parse(raw, Some(region)).unwrap();
            assert_eq!(Phone::parse(once.as_str(), None).unwrap(), once);
            assert_eq!(Phone::parse(once.as_str(), Some("US")).unwrap(), once);
        }
    }

    #[test]
    fn phone_rejections() {
        assert!(matches!(
            Phone::parse("030 123456", None),
            Err(ContactError::InvalidPhone { .. })
        ));
        assert_eq!(
            Phone::parse("030 123456", Some("XX")).unwrap_err(),
            ContactError::UnknownRegion {
                region: "XX".into()
            }
        );
        assert!(Phone::parse("030 123456", Some("Deutschland")).is_err());
        for bad in [
            "",
            "+",
            "abc",
            "+49 30 12x456",
            "12+34",
            "++49 30 123456",
            "+49 1",
            "0049",
        ] {
            assert!(Phone::parse(bad, Some("DE")).is_err(), "{bad:?}");
        }
        let long = "1".repeat(MAX_PHONE_INPUT_LEN + 1);
        assert!(Phone::parse(&long, Some("DE")).is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let e = Email::parse("secret@example.org").unwrap();
        let p = Phone::parse("+49 30 123456", None).unwrap();
        let a = PostalAddress::new(["Secret Street 1"], "Berlin", None, None, "DE").unwrap();
        let shown = format!("{e:?} {p:?} {a:?}");
        assert!(!shown.contains("secret"));
        assert!(!shown.contains("123456"));
        assert!(!shown.contains("Secret"));
        assert_eq!(
            shown,
            "Email(<redacted>) Phone(<redacted>) PostalAddress(<redacted>)"
        );
    }

    #[test]
    fn postal_address_fields_are_validated_and_named() {
        let a = PostalAddress::new(
            ["  Rua Augusta 10 ", "2º Esq."],
            " Lisboa ",
            Some("1100-053"),
            Some("Lisboa"),
            "pt",
        )
        .unwrap();
        assert_eq!(a.lines(), ["Rua Augusta 10", "2º Esq."]);
        assert_eq!(a.city(), "Lisboa");
        assert_eq!(a.postal_code(), Some("1100-053"));
        assert_eq!(a.region(), Some("Lisboa"));
        assert_eq!(a.country(), "PT");

        let field = |r: Result<PostalAddress, ContactError>| match r {
            Err(ContactError::InvalidAddress { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let none: [&str; 0] = [];
        assert_eq!(
            field(PostalAddress::new(none, "X", None, None, "DE")),
            "lines"
        );
        assert_eq!(
            field(PostalAddress::new(["a"; 5], "X", None, None, "DE")),
            "lines"
        );
        assert_eq!(
            field(PostalAddress::new(["a"], " ", None, None, "DE")),
            "city"
        );
        assert_eq!(
            field(PostalAddress::new(["a"], "X", Some(""), None, "DE")),
            "postal_code"
        );
        assert_eq!(
            field(PostalAddress::new(["a"], "X", None, Some("a\u{7}"), "DE")),
            "region"
        );
        assert_eq!(
            field(PostalAddress::new(["a"], "X", None, None, "DEU")),
            "country"
        );
        assert_eq!(
            field(PostalAddress::new(["a"], "X", None, None, "D1")),
            "country"
        );
        let long = "x".repeat(MAX_ADDRESS_FIELD_CHARS + 1);
        assert_eq!(
            field(PostalAddress::new([long.as_str()], "X", None, None, "DE")),
            "lines"
        );
        assert_eq!(
            PostalAddress::new(["a"], "", None, None, "DE")
                .unwrap_err()
                .to_string(),
            "address.city: must not be empty"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_writes_clear_values_and_validates_on_read() {
        let e = Email::parse("Ada@Example.org").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"ada@example.org\"");
        assert_eq!(
            serde_json::from_str::<Email>("\"ADA@example.org\"").unwrap(),
            e
        );
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());

        let p = Phone::parse("+49 30 123456", None).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+4930123456\"");
        assert!(serde_json::from_str::<Phone>("\"030 123456\"").is_err());

        let a =
            PostalAddress::new(["Hauptstraße 5"], "München", Some("80331"), None, "DE").unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"lines":["Hauptstraße 5"],"city":"München","postal_code":"80331","country":"DE"}"#
        );
        assert_eq!(serde_json::from_str::<PostalAddress>(&json).unwrap(), a);
        assert!(
            serde_json::from_str::<PostalAddress>(r#"{"lines":[],"city":"X","country":"DE"}"#)
                .is_err()
        );
    }
}
