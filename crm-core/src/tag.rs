//! Tags: short normalized labels on customers, tickets and survey responses.

use std::fmt;
use std::str::FromStr;

use crate::validation::ValidationError;

/// The longest tag, in characters (after normalization).
///
/// ```
/// use crm_core::{MAX_TAG_CHARS, Tag};
/// // Inner whitespace collapses before the length is checked.
/// let words = format!("{}     {}", "a".repeat(MAX_TAG_CHARS / 2), "b".repeat(MAX_TAG_CHARS / 2 - 1));
/// assert_eq!(Tag::new(&words)?.as_str().chars().count(), MAX_TAG_CHARS);
/// assert!(Tag::new(&"a".repeat(MAX_TAG_CHARS + 1)).is_err());
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
pub const MAX_TAG_CHARS: usize = 64;

/// A normalized label: trimmed, lowercased (Unicode), each run of inner whitespace replaced
/// by one `-`; non-empty, no control characters, at most [`MAX_TAG_CHARS`] characters.
/// Normalizing a tag again changes nothing, so tags compare as users expect.
///
/// ```
/// use crm_core::Tag;
/// let t = Tag::new("  Key   Account ")?;
/// assert_eq!(t.as_str(), "key-account");
/// assert_eq!(Tag::new("KEY-account")?, t);
/// assert_eq!(Tag::new("Größe")?.as_str(), "größe");
/// assert!(Tag::new(" ").is_err());
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "String", into = "String"))]
pub struct Tag(String);

impl Tag {
    /// Normalizes and validates a tag (also `"...".parse::<Tag>()` and `Tag::try_from`).
    ///
    /// ```
    /// use crm_core::{Tag, ValidationError};
    /// assert_eq!("ÉTÉ 2024".parse::<Tag>()?.as_str(), "été-2024");
    /// assert_eq!(Tag::new("vip\u{0}").unwrap_err(), ValidationError::ControlCharacter { field: "tag" });
    /// # Ok::<(), ValidationError>(())
    /// ```
    pub fn new(input: &str) -> Result<Tag, ValidationError> {
        const FIELD: &str = "tag";
        if input.chars().any(char::is_control) {
            return Err(ValidationError::ControlCharacter { field: FIELD });
        }
        let normalized = input
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("-");
        if normalized.is_empty() {
            return Err(ValidationError::Empty { field: FIELD });
        }
        if normalized.chars().count() > MAX_TAG_CHARS {
            return Err(ValidationError::TooLong {
                field: FIELD,
                max: MAX_TAG_CHARS,
            });
        }
        Ok(Tag(normalized))
    }

    /// The normalized tag (also its `Display` and `String::from`).
    ///
    /// ```
    /// use crm_core::Tag;
    /// let t = Tag::new("Key Account")?;
    /// assert_eq!(t.as_str(), "key-account");
    /// assert_eq!(String::from(t), "key-account");
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tag::new(s)
    }
}

impl TryFrom<String> for Tag {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Tag::new(&s)
    }
}

impl TryFrom<&str> for Tag {
    type Error = ValidationError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Tag::new(s)
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> String {
        t.0
    }
}

impl AsRef<str> for Tag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(Tag::new("VIP").unwrap().as_str(), "vip");
        assert_eq!(
            Tag::new(" Key \u{3000} Account ").unwrap().as_str(),
            "key-account"
        );
        assert_eq!(Tag::new("ÉTÉ 2024").unwrap().as_str(), "été-2024");
        assert_eq!(Tag::new("新客户").unwrap().as_str(), "新客户");
        let t = Tag::new("İstanbul Office").unwrap();
        assert_eq!(Tag::new(t.as_str()).unwrap(), t);
    }

    #[test]
    fn rejections_name_the_field() {
        assert_eq!(
            Tag::new("").unwrap_err(),
            ValidationError::Empty { field: "tag" }
        );
        assert_eq!(
            Tag::new("a\u{0}b").unwrap_err(),
            ValidationError::ControlCharacter { field: "tag" }
        );
        assert!(Tag::new(&"x".repeat(MAX_TAG_CHARS)).is_ok());
        assert_eq!(
            Tag::new(&"x".repeat(MAX_TAG_CHARS + 1))
                .unwrap_err()
                .to_string(),
            "tag: longer than 64 characters"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_normalizes_on_read() {
        assert_eq!(
            serde_json::from_str::<Tag>("\"Key Account\"")
                .unwrap()
                .as_str(),
            "key-account"
        );
        assert!(serde_json::from_str::<Tag>("\" \"").is_err());
    }
}
