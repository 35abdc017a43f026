//! Personal data that never leaks by accident.
//!
//! [`Personal<T>`] wraps a value (a name, a comment, a free-text subject) so that `Debug` and
//! `Display` print `<redacted>`; [`Personal::expose`] gives the clear value when code really
//! needs it. Contact points ([`Email`](crate::contact::Email),
//! [`Phone`](crate::contact::Phone), [`PostalAddress`](crate::contact::PostalAddress)) redact
//! their own `Debug` the same way.
//!
//! **Serialization is not redacted**: with the `serde` feature a `Personal<T>` serializes as
//! the clear `T`, because storage and exports need the value. Redaction protects logs and
//! panic messages, not files you write on purpose.
//!
//! ```
//! use crm_core::Personal;
//! let name = Personal::new(String::from("Zoë Ångström"));
//! assert_eq!(format!("{name:?}"), "<redacted>");
//! assert_eq!(name.to_string(), "<redacted>");
//! assert_eq!(name.expose(), "Zoë Ångström");
//! ```

use std::fmt;

/// The text shown instead of personal data.
///
/// ```
/// use crm_core::{Personal, REDACTED};
/// assert_eq!(format!("{:?}", Personal::new("+49 30 1234567")), REDACTED);
/// ```
pub const REDACTED: &str = "<redacted>";

/// A value holding personal data: redacted in `Debug` and `Display`, clear in serde.
///
/// ```
/// use crm_core::Personal;
/// #[derive(Debug)]
/// struct Note { author: &'static str, text: Personal<String> }
/// let n = Note { author: "agent.smith", text: Personal::new("Zoë called about her bill".into()) };
/// assert_eq!(format!("{n:?}"), r#"Note { author: "agent.smith", text: <redacted> }"#);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Personal<T>(T);

impl<T> Personal<T> {
    /// Wraps a value (also `Personal::from(value)`).
    ///
    /// ```
    /// use crm_core::Personal;
    /// const NOBODY: Personal<&str> = Personal::new("N. N.");
    /// assert_eq!(NOBODY.to_string(), "<redacted>");
    /// assert_eq!(Personal::from("N. N."), NOBODY);
    /// ```
    pub const fn new(value: T) -> Self {
        Personal(value)
    }

    /// The clear value. Call it only where the value is really needed (a mail merge, an
    /// export), never to log.
    ///
    /// ```
    /// use crm_core::Personal;
    /// let name = Personal::new(String::from("Zoë"));
    /// let greeting = format!("Dear {},", name.expose());
    /// assert_eq!(greeting, "Dear Zoë,");
    /// ```
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The clear value, by value.
    ///
    /// ```
    /// use crm_core::Personal;
    /// let name: String = Personal::new(String::from("Zoë")).into_exposed();
    /// assert_eq!(name, "Zoë");
    /// ```
    pub fn into_exposed(self) -> T {
        self.0
    }

    /// Applies `f` to the clear value, keeping the result wrapped.
    ///
    /// ```
    /// use crm_core::Personal;
    /// let n = Personal::new("ada").map(|s| s.len());
    /// assert_eq!(*n.expose(), 3);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Personal<U> {
        Personal(f(self.0))
    }
}

impl<T> From<T> for Personal<T> {
    fn from(value: T) -> Self {
        Personal(value)
    }
}

impl<T> fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Personal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted_even_when_nested() {
        let p = Personal::new(String::from("Jürgen"));
        assert_eq!(
            format!("{p:?} {p} {p:#?}"),
            "<redacted> <redacted> <redacted>"
        );
        let nested = Some(vec![p.clone()]);
        assert_eq!(format!("{nested:?}"), "Some([<redacted>])");
        assert_eq!(p.clone().into_exposed(), "Jürgen");
        assert_eq!(Personal::from(5).map(|x| x * 2).into_exposed(), 10);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_writes_the_clear_value() {
        let p = Personal::new(String::from("Zoë"));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"Zoë\"");
        assert_eq!(serde_json::from_str::<Personal<String>>(&json).unwrap(), p);
    }
}
