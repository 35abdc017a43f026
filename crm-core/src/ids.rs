//! Identifiers: one key representation, [`Key`], and one newtype per entity.
//!
//! Hosts bring their own keys: database integers, UUIDs, or strings such as `CUST-000042`.
//! A [`Key`] holds any of them (its documentation gives the normalization rules); each
//! entity's id wraps one, so that a customer id is never mistaken for a ticket id.
//!
//! ```
//! use crm_core::{CustomerId, Key};
//!
//! let a: CustomerId = "CUST-000042".parse()?;
//! let b = CustomerId::from(42);
//! let c: CustomerId = "42".parse()?;
//! assert_ne!(a, b);
//! assert_eq!(b, c);
//! assert_eq!(a.to_string(), "CUST-000042");
//! assert!("".parse::<CustomerId>().is_err());
//! # Ok::<(), crm_core::IdError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use uuid::Uuid;

/// The longest accepted textual key, in bytes.
///
/// ```
/// use crm_core::{Key, MAX_KEY_LEN};
/// assert!(Key::parse(&"k".repeat(MAX_KEY_LEN)).is_ok());
/// assert!(Key::parse(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
/// ```
pub const MAX_KEY_LEN: usize = 128;

/// Why a text could not become a key.
///
/// `kind` names the kind of id that was being parsed (`"customer id"`, `"ticket id"`, ...).
///
/// ```
/// use crm_core::{CustomerId, IdError};
/// assert_eq!(
///     CustomerId::parse("CUST-1\t").unwrap_err(),
///     IdError::ControlCharacter { kind: "customer id", position: 6 }
/// );
/// assert_eq!(
///     CustomerId::parse(" CUST-1").unwrap_err().to_string(),
///     "customer id: leading or trailing whitespace"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text was empty.
    #[error("{kind}: must not be empty")]
    Empty {
        /// The kind of id.
        kind: &'static str,
    },
    /// The text was longer than [`MAX_KEY_LEN`] bytes.
    #[error("{kind}: {len} bytes is longer than the maximum of {max}")]
    TooLong {
        /// The kind of id.
        kind: &'static str,
        /// The length of the text in bytes.
        len: usize,
        /// The maximum length in bytes.
        max: usize,
    },
    /// The text contained a control character.
    #[error("{kind}: control character at byte {position}")]
    ControlCharacter {
        /// The kind of id.
        kind: &'static str,
        /// The byte offset of the first control character.
        position: usize,
    },
    /// The text started or ended with whitespace.
    #[error("{kind}: leading or trailing whitespace")]
    SurroundingWhitespace {
        /// The kind of id.
        kind: &'static str,
    },
}

impl IdError {
    /// The kind of id the error is about.
    ///
    /// ```
    /// use crm_core::TicketId;
    /// let err = "".parse::<TicketId>().unwrap_err();
    /// assert_eq!(err.kind(), "ticket id");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            IdError::Empty { kind }
            | IdError::TooLong { kind, .. }
            | IdError::ControlCharacter { kind, .. }
            | IdError::SurroundingWhitespace { kind } => kind,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    Int(i64),
    Uuid(Uuid),
    Str(Arc<str>),
}

/// A host's key: an integer, a UUID or a string, normalized so that equal text gives equal keys.
///
/// It is cheap to clone (an integer, a UUID, or a shared `Arc<str>`), to hash and to
/// compare. Parsing text normalizes deterministically:
///
/// * a hyphenated UUID (`67e55044-10b1-426f-9247-bb680e5fe0c8`, any case) becomes a UUID key;
/// * a canonical decimal integer (optional `-`, no leading zeros, fits `i64`) becomes an
///   integer key;
/// * anything else stays a string key, exactly as given (`"CUST-000042"`, `"00042"`, `"+5"`).
///
/// Empty text, text over [`MAX_KEY_LEN`] bytes, control characters and leading or trailing
/// whitespace are rejected with an [`IdError`] that names the kind of id.
///
/// With `serde`, integer keys are JSON numbers and the others JSON strings; a key survives a
/// round trip exactly.
///
/// Ordering: all integer keys (numerically) before all UUID keys before all string keys
/// (byte-wise).
///
/// The representation is private so that a string key can never hold text that would parse
/// as an integer or UUID; [`Key::view`] shows which kind it is.
///
/// ```
/// use crm_core::{Key, KeyView};
/// let k = Key::parse("00042")?;
/// assert_eq!(k.view(), KeyView::Str("00042"));
/// assert_eq!(Key::parse("42")?.view(), KeyView::Int(42));
/// # Ok::<(), crm_core::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Repr);

/// A borrowed view of a [`Key`]'s representation, for matching on the kind of key.
///
/// ```
/// use crm_core::{Key, KeyView};
/// let describe = |k: &Key| match k.view() {
///     KeyView::Int(i) => format!("row {i}"),
///     KeyView::Uuid(u) => format!("uuid {}", u.simple()),
///     KeyView::Str(s) => format!("code {s}"),
/// };
/// assert_eq!(describe(&Key::from(7)), "row 7");
/// assert_eq!(describe(&Key::parse("A-7")?), "code A-7");
/// # Ok::<(), crm_core::IdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyView<'a> {
    /// An integer key.
    Int(i64),
    /// A UUID key.
    Uuid(Uuid),
    /// A string key (never text that parses as an integer or UUID).
    Str(&'a str),
}

fn is_canonical_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    if s.starts_with('-') && digits == "0" {
        return None;
    }
    s.parse::<i64>().ok()
}

fn is_hyphenated_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        };
        if !ok {
            return None;
        }
    }
    Uuid::try_parse(s).ok()
}

impl Key {
    /// Parses a key from text (see [`Key`] for the normalization rules).
    ///
    /// ```
    /// use crm_core::{Key, KeyView};
    /// assert_eq!(Key::parse("-7")?.view(), KeyView::Int(-7));
    /// assert!(matches!(Key::parse("67E55044-10B1-426F-9247-BB680E5FE0C8")?.view(), KeyView::Uuid(_)));
    /// assert!(Key::parse(" 42").is_err());
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Key, IdError> {
        Self::parse_kind(text, "key")
    }

    /// Parses a key, reporting errors for the given kind of id (`"customer id"`, ...).
    ///
    /// ```
    /// use crm_core::Key;
    /// assert_eq!(Key::parse_kind("", "order id").unwrap_err().to_string(), "order id: must not be empty");
    /// ```
    pub fn parse_kind(text: &str, kind: &'static str) -> Result<Key, IdError> {
        if text.is_empty() {
            return Err(IdError::Empty { kind });
        }
        if text.len() > MAX_KEY_LEN {
            return Err(IdError::TooLong {
                kind,
                len: text.len(),
                max: MAX_KEY_LEN,
            });
        }
        if let Some((position, _)) = text.char_indices().find(|(_, c)| c.is_control()) {
            return Err(IdError::ControlCharacter { kind, position });
        }
        if text.trim() != text {
            return Err(IdError::SurroundingWhitespace { kind });
        }
        if let Some(i) = is_canonical_int(text) {
            return Ok(Key(Repr::Int(i)));
        }
        if let Some(u) = is_hyphenated_uuid(text) {
            return Ok(Key(Repr::Uuid(u)));
        }
        Ok(Key(Repr::Str(Arc::from(text))))
    }

    /// Which kind of key this is, borrowed (see [`KeyView`]).
    pub fn view(&self) -> KeyView<'_> {
        match &self.0 {
            Repr::Int(i) => KeyView::Int(*i),
            Repr::Uuid(u) => KeyView::Uuid(*u),
            Repr::Str(s) => KeyView::Str(s),
        }
    }

    /// The integer, if this is an integer key.
    ///
    /// ```
    /// use crm_core::Key;
    /// assert_eq!(Key::parse("42")?.as_int(), Some(42));
    /// assert_eq!(Key::parse("042")?.as_int(), None); // not canonical: a string key
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn as_int(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The UUID, if this is a UUID key.
    ///
    /// ```
    /// use crm_core::Key;
    /// let k = Key::parse("67E55044-10B1-426F-9247-BB680E5FE0C8")?;
    /// assert_eq!(k.as_uuid().map(|u| u.to_string()), Some("67e55044-10b1-426f-9247-bb680e5fe0c8".into()));
    /// assert_eq!(Key::from(1).as_uuid(), None);
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn as_uuid(&self) -> Option<Uuid> {
        match self.0 {
            Repr::Uuid(u) => Some(u),
            _ => None,
        }
    }

    /// The text, if this is a string key.
    ///
    /// ```
    /// use crm_core::Key;
    /// assert_eq!(Key::parse("CUST-000042")?.as_str(), Some("CUST-000042"));
    /// assert_eq!(Key::parse("42")?.as_str(), None);
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<i64> for Key {
    fn from(value: i64) -> Self {
        Key(Repr::Int(value))
    }
}

impl From<Uuid> for Key {
    fn from(value: Uuid) -> Self {
        Key(Repr::Uuid(value))
    }
}

impl FromStr for Key {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Key::parse(s)
    }
}

impl TryFrom<&str> for Key {
    type Error = IdError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Key::parse(s)
    }
}

impl TryFrom<String> for Key {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Key::parse(&s)
    }
}

impl fmt::Display for Key {
    /// The key as text: integers in decimal, UUIDs hyphenated lowercase, strings as given.
    /// Parsing the output gives the same key back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Uuid(u) => write!(f, "{}", u.hyphenated()),
            Repr::Str(s) => f.write_str(s),
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Uuid(u) => write!(f, "{}", u.hyphenated()),
            Repr::Str(s) => write!(f, "{s:?}"),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Int(i) => serializer.serialize_i64(*i),
            Repr::Uuid(u) => serializer.collect_str(&u.hyphenated()),
            Repr::Str(s) => serializer.serialize_str(s),
        }
    }
}

#[cfg(feature = "serde")]
pub(crate) fn deserialize_key<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    kind: &'static str,
) -> Result<Key, D::Error> {
    struct Visitor(&'static str);
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Key;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {} (an integer or a string)", self.0)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Key, E> {
            Ok(Key::from(v))
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Key, E> {
            i64::try_from(v).map(Key::from).map_err(|_| {
                E::custom(format_args!(
                    "{}: {v} does not fit a 64-bit signed integer",
                    self.0
                ))
            })
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
            Key::parse_kind(v, self.0).map_err(E::custom)
        }
    }
    deserializer.deserialize_any(Visitor(kind))
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_key(deserializer, "key")
    }
}

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $example:literal) => {
        $(#[$doc])*
        ///
        /// Wraps a [`Key`]: build it from an `i64`, a [`Uuid`] or text (normalized as
        /// described on [`Key`]).
        ///
        /// ```
        #[doc = concat!("use crm_core::", stringify!($name), ";")]
        #[doc = concat!("let id: ", stringify!($name), " = \"", $example, "\".parse()?;")]
        #[doc = concat!("assert_eq!(id.to_string(), \"", $example, "\");")]
        #[doc = concat!("assert_eq!(", stringify!($name), "::from(7).key().as_int(), Some(7));")]
        /// # Ok::<(), crm_core::IdError>(())
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Key);

        impl $name {
            /// The kind of id, as used in error messages.
            ///
            /// ```
            #[doc = concat!("use crm_core::", stringify!($name), ";")]
            #[doc = concat!("let err = ", stringify!($name), "::parse(\"\").unwrap_err();")]
            #[doc = concat!("assert_eq!(err.kind(), ", stringify!($name), "::KIND);")]
            /// ```
            pub const KIND: &'static str = $kind;

            /// Parses an id from text, normalized as described on [`Key`]; errors name the
            /// kind of id.
            ///
            /// ```
            #[doc = concat!("use crm_core::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::parse(\"42\")?, ", stringify!($name), "::from(42));")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::parse(\"\").unwrap_err().to_string(), \"", $kind, ": must not be empty\");")]
            /// # Ok::<(), crm_core::IdError>(())
            /// ```
            pub fn parse(text: &str) -> Result<Self, IdError> {
                Key::parse_kind(text, $kind).map($name)
            }

            /// The underlying key, shared by every kind of id.
            ///
            /// ```
            #[doc = concat!("use crm_core::{", stringify!($name), ", Key};")]
            #[doc = concat!("let id: ", stringify!($name), " = \"", $example, "\".parse()?;")]
            #[doc = concat!("assert_eq!(id.key(), &Key::parse(\"", $example, "\")?);")]
            #[doc = concat!("assert_eq!(id.into_key().to_string(), \"", $example, "\");")]
            /// # Ok::<(), crm_core::IdError>(())
            /// ```
            pub fn key(&self) -> &Key {
                &self.0
            }

            /// The underlying key, by value (see [`key`](Self::key)).
            pub fn into_key(self) -> Key {
                self.0
            }
        }

        impl From<Key> for $name {
            fn from(key: Key) -> Self {
                $name(key)
            }
        }

        impl From<$name> for Key {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(Key::from(value))
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                $name(Key::from(value))
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $name::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl AsRef<Key> for $name {
            fn as_ref(&self) -> &Key {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_key(deserializer, $kind).map($name)
            }
        }
    };
}

entity_id!(
    /// Identifies a [`Customer`](crate::customer::Customer) (a person or an organization).
    CustomerId, "customer id", "CUST-000042"
);
entity_id!(
    /// Identifies a [`Contact`](crate::customer::Contact) person of an organization.
    ContactId, "contact id", "C-17"
);
entity_id!(
    /// Identifies an [`Interaction`](crate::interaction::Interaction).
    InteractionId, "interaction id", "INT-2024-0001"
);
entity_id!(
    /// Identifies a [`Ticket`](crate::ticket::Ticket).
    TicketId, "ticket id", "T-1001"
);
entity_id!(
    /// Identifies a [`Deal`](crate::deal::Deal).
    DealId, "deal id", "D-9"
);
entity_id!(
    /// Identifies a [`Transaction`](crate::transaction::Transaction).
    TransactionId, "transaction id", "TX-0001"
);
entity_id!(
    /// Identifies a [`SurveyResponse`](crate::survey::SurveyResponse).
    SurveyResponseId, "survey response id", "S-5"
);
entity_id!(
    /// Identifies a loyalty-programme event (points earned, redeemed, adjusted or expired).
    LoyaltyEventId, "loyalty event id", "L-2024-0001"
);
entity_id!(
    /// Identifies a marketing campaign.
    CampaignId, "campaign id", "SPRING-2025"
);
entity_id!(
    /// Identifies a user of the host system: an agent, a sales rep, an account owner.
    UserId, "user id", "agent.smith"
);

#[allow(dead_code)]
fn _assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Key>();
    check::<CustomerId>();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(s: &str) -> KeyView<'static> {
        match Key::parse(s).unwrap().view() {
            KeyView::Int(i) => KeyView::Int(i),
            KeyView::Uuid(u) => KeyView::Uuid(u),
            KeyView::Str(s) => KeyView::Str(Box::leak(s.to_string().into_boxed_str())),
        }
    }

    #[test]
    fn integers_are_normalized_only_when_canonical() {
        assert_eq!(view("42"), KeyView::Int(42));
        assert_eq!(view("0"), KeyView::Int(0));
        assert_eq!(view("-5"), KeyView::Int(-5));
        assert_eq!(view("-9223372036854775808"), KeyView::Int(i64::MIN));
        assert_eq!(view("9223372036854775807"), KeyView::Int(i64::MAX));
        // Not canonical or not representable: kept as text.
        assert_eq!(view("00042"), KeyView::Str("00042"));
        assert_eq!(view("-0"), KeyView::Str("-0"));
        assert_eq!(view("+5"), KeyView::Str("+5"));
        assert_eq!(
            view("9223372036854775808"),
            KeyView::Str("9223372036854775808")
        );
        assert_eq!(view("1e3"), KeyView::Str("1e3"));
        assert_eq!(view("CUST-000042"), KeyView::Str("CUST-000042"));
    }

    #[test]
    fn uuids_in_any_case_become_uuid_keys_and_display_lowercase() {
        let lower = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let upper = lower.to_ascii_uppercase();
        let a = Key::parse(lower).unwrap();
        let b = Key::parse(&upper).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_uuid(), Some(Uuid::parse_str(lower).unwrap()));
        assert_eq!(b.to_string(), lower);
        // Other UUID spellings are not canonical: kept as text.
        let simple = lower.replace('-', "");
        assert_eq!(Key::parse(&simple).unwrap().as_str(), Some(simple.as_str()));
        let braced = format!("{{{lower}}}");
        assert_eq!(Key::parse(&braced).unwrap().as_str(), Some(braced.as_str()));
    }

    #[test]
    fn rejects_bad_text_and_names_the_kind() {
        assert_eq!(
            CustomerId::parse("").unwrap_err(),
            IdError::Empty {
                kind: "customer id"
            }
        );
        assert_eq!(
            TicketId::parse(" T-1").unwrap_err(),
            IdError::SurroundingWhitespace { kind: "ticket id" }
        );
        assert_eq!(
            DealId::parse("D-1\n").unwrap_err(),
            IdError::ControlCharacter {
                kind: "deal id",
                position: 3
            }
        );
        let long = "x".repeat(MAX_KEY_LEN + 1);
        assert_eq!(
            UserId::parse(&long).unwrap_err().to_string(),
            "user id: 129 bytes is longer than the maximum of 128"
        );
        assert!(UserId::parse(&long[..MAX_KEY_LEN]).is_ok());
        // The limit is in bytes: 43 three-byte characters are 129 bytes.
        assert!(Key::parse(&"€".repeat(43)).is_err());
        assert!(Key::parse(&"€".repeat(42)).is_ok());
    }

    #[test]
    fn unicode_and_inner_spaces_are_fine() {
        let k = Key::parse("Kunde Müller 7").unwrap();
        assert_eq!(k.as_str(), Some("Kunde Müller 7"));
    }

    #[test]
    fn ordering_is_ints_then_uuids_then_strings() {
        let mut keys = [
            Key::parse("b").unwrap(),
            Key::from(Uuid::nil()),
            Key::from(10),
            Key::parse("a").unwrap(),
            Key::from(-3),
        ];
        keys.sort();
        let shown: Vec<String> = keys.iter().map(Key::to_string).collect();
        assert_eq!(
            shown,
            ["-3", "10", "00000000-0000-0000-0000-000000000000", "a", "b"]
        );
    }

    #[test]
    fn ids_of_different_entities_share_keys_but_not_types() {
        let c = CustomerId::from(5);
        let k: Key = c.clone().into();
        assert_eq!(TicketId::from(k.clone()).key(), c.key());
        assert_eq!(format!("{c:?}"), "CustomerId(5)");
        assert_eq!(
            format!("{:?}", CustomerId::parse("A").unwrap()),
            "CustomerId(\"A\")"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_numbers_for_integers_and_strings_otherwise() {
        let int = CustomerId::from(42);
        assert_eq!(serde_json::to_string(&int).unwrap(), "42");
        let text = CustomerId::parse("CUST-000042").unwrap();
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"CUST-000042\"");
        let u = CustomerId::from(Uuid::from_u128(1));
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            "\"00000000-0000-0000-0000-000000000001\""
        );
        for id in [int, text, u] {
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<CustomerId>(&json).unwrap(), id);
        }
        // A numeric string normalizes to the integer key.
        assert_eq!(
            serde_json::from_str::<CustomerId>("\"42\"").unwrap(),
            CustomerId::from(42)
        );
        let err = serde_json::from_str::<CustomerId>("\"\"").unwrap_err();
        assert!(err.to_string().contains("customer id: must not be empty"));
        assert!(serde_json::from_str::<CustomerId>("18446744073709551615").is_err());
        assert!(serde_json::from_str::<CustomerId>("1.5").is_err());
        assert!(serde_json::from_str::<CustomerId>("null").is_err());
    }
}
