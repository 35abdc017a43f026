//! Validation errors for domain records, and the text rules they share.
//!
//! Every [`ValidationError`] names the field at fault as `entity.field`
//! (`customer.name`, `ticket.solved_at`) and says why.
//!
//! Text fields follow one rule set: constructors trim surrounding whitespace; the stored text
//! is non-empty, has no control characters and stays within a per-field length limit in
//! characters. `validate()` methods check the same rules on records built field by field.
//!
//! ```
//! use chrono::Utc;
//! use crm_core::{Customer, CustomerId, PartyKind, ValidationError};
//!
//! let err = Customer::new(CustomerId::from(1), PartyKind::Person, "   ", Utc::now()).unwrap_err();
//! assert_eq!(err, ValidationError::Empty { field: "customer.name" });
//! assert_eq!(err.to_string(), "customer.name: must not be empty");
//! ```

/// Why a domain record (or one of its fields) is not valid.
///
/// Every variant names the field at fault, so a host can point at it in a form:
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, CustomerId, PartyKind, ValidationError};
/// let long = "x".repeat(crm_core::MAX_NAME_CHARS + 1);
/// let err = Customer::new(CustomerId::from(1), PartyKind::Person, &long, Utc::now()).unwrap_err();
/// assert!(matches!(err, ValidationError::TooLong { field: "customer.name", max: 256 }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A required text is empty (or only whitespace).
    #[error("{field}: must not be empty")]
    Empty {
        /// The field, as `entity.field`.
        field: &'static str,
    },
    /// A text is longer than allowed.
    #[error("{field}: longer than {max} characters")]
    TooLong {
        /// The field, as `entity.field`.
        field: &'static str,
        /// The maximum number of characters.
        max: usize,
    },
    /// A text contains a control character (newline, tab, NUL, ...).
    #[error("{field}: contains a control character")]
    ControlCharacter {
        /// The field, as `entity.field`.
        field: &'static str,
    },
    /// A text starts or ends with whitespace (constructors trim; records built field by
    /// field must too).
    #[error("{field}: has leading or trailing whitespace")]
    SurroundingWhitespace {
        /// The field, as `entity.field`.
        field: &'static str,
    },
    /// A number is outside its allowed range.
    #[error("{field}: {value} is outside {expected}")]
    OutOfRange {
        /// The field, as `entity.field`.
        field: &'static str,
        /// The value as given.
        value: String,
        /// The allowed range, such as `0..=10`.
        expected: String,
    },
    /// A timestamp lies before the one it must follow.
    #[error("{field}: is before {earlier}")]
    TimeOrder {
        /// The field, as `entity.field`.
        field: &'static str,
        /// The field it must not precede.
        earlier: &'static str,
    },
    /// A record refers to itself where that makes no sense (a customer as its own parent).
    #[error("{field}: refers to the record itself")]
    SelfReference {
        /// The field, as `entity.field`.
        field: &'static str,
    },
    /// Fields that contradict each other, or a value that breaks a rule of its own.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as `entity.field`.
        field: &'static str,
        /// Why the value is not valid.
        reason: &'static str,
    },
}

/// Trims `value` and checks it against the text rules, returning the trimmed text.
pub(crate) fn clean_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, ValidationError> {
    let t = value.trim();
    check_text(field, t, max_chars)?;
    Ok(t.to_string())
}

/// Checks already-stored text against the text rules (without trimming).
pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::ControlCharacter { field });
    }
    if value.trim() != value {
        return Err(ValidationError::SurroundingWhitespace { field });
    }
    if value.chars().count() > max_chars {
        return Err(ValidationError::TooLong {
            field,
            max: max_chars,
        });
    }
    Ok(())
}

/// Checks optional stored text against the text rules; `None` passes.
pub(crate) fn check_optional_text<S: AsRef<str> + ?Sized>(
    field: &'static str,
    value: Option<&S>,
    max_chars: usize,
) -> Result<(), ValidationError> {
    value.map_or(Ok(()), |v| check_text(field, v.as_ref(), max_chars))
}

/// Checks that `later` (if set) is not before `earlier`.
pub(crate) fn check_order<T: PartialOrd>(
    field: &'static str,
    later: Option<&T>,
    earlier_field: &'static str,
    earlier: Option<&T>,
) -> Result<(), ValidationError> {
    if let (Some(l), Some(e)) = (later, earlier)
        && l < e
    {
        return Err(ValidationError::TimeOrder {
            field,
            earlier: earlier_field,
        });
    }
    Ok(())
}

/// The longest name of a person or organization, in characters (not bytes).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, CustomerId, MAX_NAME_CHARS, PartyKind};
/// // 256 three-byte characters are 768 bytes, and still a valid name.
/// let name = "語".repeat(MAX_NAME_CHARS);
/// assert!(Customer::new(CustomerId::from(1), PartyKind::Person, &name, Utc::now()).is_ok());
/// ```
pub const MAX_NAME_CHARS: usize = 256;
/// The longest short text (subject, title, outcome, reason, product, category), in characters.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Deal, MAX_SHORT_TEXT_CHARS};
/// let title = "t".repeat(MAX_SHORT_TEXT_CHARS + 1);
/// assert!(Deal::new("D-1".parse()?, 42.into(), &title, "1 EUR".parse()?, Utc::now()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_SHORT_TEXT_CHARS: usize = 512;
/// The longest free text (comments, attribute text values), in characters.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, CustomerId, MAX_LONG_TEXT_CHARS, PartyKind};
/// let mut c = Customer::new(CustomerId::from(1), PartyKind::Person, "Ada", Utc::now())?;
/// assert!(c.set_attribute("notes", "n".repeat(MAX_LONG_TEXT_CHARS)).is_ok());
/// assert!(c.set_attribute("notes", "n".repeat(MAX_LONG_TEXT_CHARS + 1)).is_err());
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
pub const MAX_LONG_TEXT_CHARS: usize = 10_000;

/// Implements `Serialize` and a `Deserialize` that calls `validate()` for a record whose
/// derives use `#[serde(remote = "Self")]`: a record read from JSON or a database obeys
/// the same rules as one built in code.
#[cfg(feature = "serde")]
macro_rules! serde_validated {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $name::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// Reads the record and checks it with `validate()`.
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let record = $name::deserialize(deserializer)?;
                record.validate().map_err(serde::de::Error::custom)?;
                Ok(record)
            }
        }
    };
}

#[cfg(feature = "serde")]
pub(crate) use serde_validated;
