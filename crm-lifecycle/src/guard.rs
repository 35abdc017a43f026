//! Host-supplied guard predicates, looked up by name.

use std::fmt;

use rustc_hash::FxHashMap;

type Predicate<C> = Box<dyn Fn(&C) -> bool + Send + Sync>;

/// A table of named predicates over a host context `C`.
///
/// A transition may name a guard (`guard = "has_agent"`). The machine only stores the name; at
/// run time the host passes a [`Guards`] table mapping names to predicates over a context of
/// its choosing (the ticket, the deal, a request). A guard that is not in the table is an
/// error, never a silent pass.
///
/// ```
/// use crm_lifecycle::Guards;
///
/// struct Ticket { assignee: Option<String> }
/// let guards = Guards::new().with("has_agent", |t: &Ticket| t.assignee.is_some());
/// assert_eq!(guards.check("has_agent", &Ticket { assignee: None }), Some(false));
/// assert_eq!(guards.check("unknown", &Ticket { assignee: None }), None);
/// ```
///
/// ```
/// use crm_lifecycle::Guards;
/// let guards: Guards<u32> = Guards::new().with("positive", |n: &u32| *n > 0);
/// assert_eq!(guards.check("positive", &3), Some(true));
/// assert_eq!(guards.len(), 1);
/// ```
pub struct Guards<C: ?Sized> {
    predicates: FxHashMap<String, Predicate<C>>,
}

impl<C: ?Sized> Default for Guards<C> {
    fn default() -> Self {
        Self {
            predicates: FxHashMap::default(),
        }
    }
}

impl<C: ?Sized> fmt::Debug for Guards<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.predicates.keys().collect();
        names.sort();
        f.debug_struct("Guards").field("names", &names).finish()
    }
}

impl<C: ?Sized> Guards<C> {
    /// An empty table.
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// assert!(Guards::<()>::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The table with one more predicate (replacing any of the same name).
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// let g = Guards::new().with("always", |_: &()| true);
    /// assert_eq!(g.check("always", &()), Some(true));
    /// ```
    pub fn with(
        mut self,
        name: impl Into<String>,
        predicate: impl Fn(&C) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.insert(name, predicate);
        self
    }

    /// Adds or replaces a predicate.
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// let mut g = Guards::new();
    /// g.insert("never", |_: &()| false);
    /// assert_eq!(g.check("never", &()), Some(false));
    /// ```
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        predicate: impl Fn(&C) -> bool + Send + Sync + 'static,
    ) {
        self.predicates.insert(name.into(), Box::new(predicate));
    }

    /// Evaluates the named guard: `None` when no predicate of that name is registered.
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// let g = Guards::new().with("even", |n: &i64| n % 2 == 0);
    /// assert_eq!(g.check("even", &4), Some(true));
    /// assert_eq!(g.check("odd", &4), None);
    /// ```
    pub fn check(&self, name: &str, context: &C) -> Option<bool> {
        self.predicates.get(name).map(|p| p(context))
    }

    /// Whether a predicate of that name is registered.
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// assert!(Guards::new().with("a", |_: &()| true).contains("a"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.predicates.contains_key(name)
    }

    /// The number of registered predicates.
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// assert_eq!(Guards::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.predicates.len()
    }

    /// Whether no predicate is registered.
    ///
    /// ```
    /// use crm_lifecycle::Guards;
    /// assert!(Guards::<str>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.predicates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Guards<String>>();
    }

    #[test]
    fn later_insert_replaces() {
        let g = Guards::new()
            .with("x", |_: &()| true)
            .with("x", |_: &()| false);
        assert_eq!(g.check("x", &()), Some(false));
        assert_eq!(g.len(), 1);
        assert!(format!("{g:?}").contains("\"x\""));
    }
}
