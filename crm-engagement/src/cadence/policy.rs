//! The cadence policy: rules that match customers, each with a maximum interval between
//! contacts, the interactions that count as a contact and the channels allowed.

use std::collections::HashSet;
use std::hash::Hash;

use crm_core::{Channel, ConsentChannel, Direction, LifecycleStage, Tag};
use serde::{Deserialize, Serialize};

use super::CadenceError;

/// A customer's class in an ABC (Pareto) analysis, as the caller computed it.
///
/// Serialized as `"A"`, `"B"` or `"C"`.
///
/// ```
/// use crm_engagement::AbcClass;
/// assert_eq!(serde_json::to_string(&AbcClass::A).unwrap(), "\"A\"");
/// assert!(AbcClass::A < AbcClass::C);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AbcClass {
    /// The few customers who bring most of the value.
    A,
    /// The middle.
    B,
    /// The many customers who bring little of the value.
    C,
}

/// Which customers a rule applies to. Every criterion that lists values must hold (a
/// customer matches a criterion when it has any of the listed values); a criterion with no
/// values is not checked.
///
/// ```
/// use crm_engagement::{AbcClass, CustomerMatch};
/// let m = CustomerMatch { abc_classes: vec![AbcClass::A], ..CustomerMatch::default() };
/// assert!(!m.is_empty());
/// assert!(CustomerMatch::default().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerMatch {
    /// Value tiers (labels given by the caller, such as `"gold"`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub value_tiers: Vec<String>,
    /// ABC classes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub abc_classes: Vec<AbcClass>,
    /// RFM segments (labels given by the caller, such as `"champions"`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rfm_segments: Vec<String>,
    /// Lifecycle stages (the customer record's `lifecycle_stage`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_stages: Vec<LifecycleStage>,
    /// Tags: the customer carries at least one of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl CustomerMatch {
    /// True when no criterion lists a value (the match takes every customer).
    ///
    /// ```
    /// use crm_engagement::CustomerMatch;
    /// assert!(CustomerMatch::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.value_tiers.is_empty()
            && self.abc_classes.is_empty()
            && self.rfm_segments.is_empty()
            && self.lifecycle_stages.is_empty()
            && self.tags.is_empty()
    }
}

/// Which interactions count as a contact for a rule. An empty list accepts every value.
///
/// ```
/// use crm_core::{Channel, Direction};
/// use crm_engagement::CountedContacts;
/// let c = CountedContacts { directions: vec![Direction::Outbound], ..CountedContacts::default() };
/// assert!(c.counts(Channel::Phone, Direction::Outbound, None));
/// assert!(!c.counts(Channel::Phone, Direction::Inbound, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CountedContacts {
    /// Directions that count (empty: both).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub directions: Vec<Direction>,
    /// Channels that count (empty: every channel).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    /// Outcomes that count, compared exactly (empty: any outcome, or none). When the list
    /// is not empty an interaction without an outcome does not count.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
}

impl CountedContacts {
    /// True when an interaction with these properties counts as a contact.
    ///
    /// ```
    /// use crm_core::{Channel, Direction};
    /// use crm_engagement::CountedContacts;
    /// let c = CountedContacts { outcomes: vec!["reached".into()], ..CountedContacts::default() };
    /// assert!(c.counts(Channel::Phone, Direction::Outbound, Some("reached")));
    /// assert!(!c.counts(Channel::Phone, Direction::Outbound, Some("voicemail")));
    /// assert!(!c.counts(Channel::Phone, Direction::Outbound, None));
    /// ```
    pub fn counts(&self, channel: Channel, direction: Direction, outcome: Option<&str>) -> bool {
        (self.directions.is_empty() || self.directions.contains(&direction))
            && (self.channels.is_empty() || self.channels.contains(&channel))
            && (self.outcomes.is_empty()
                || outcome.is_some_and(|o| self.outcomes.iter().any(|x| x == o)))
    }
}

/// One cadence rule: whom it applies to, how long customers may go without a contact, what
/// counts as a contact and which channels a follow-up may use (in order of preference).
///
/// ```
/// use crm_core::ConsentChannel;
/// use crm_engagement::{AbcClass, CadenceRule, CustomerMatch};
/// let rule = CadenceRule::new("a-class", 30, vec![ConsentChannel::Phone, ConsentChannel::Email])
///     .matching(CustomerMatch { abc_classes: vec![AbcClass::A], ..CustomerMatch::default() });
/// assert_eq!(rule.max_interval_days, 30);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadenceRule {
    /// The rule's name, unique in the policy (reported with every due customer).
    pub name: String,
    /// The customers the rule applies to (must be empty for the default rule, must not be
    /// for the others).
    #[serde(default, rename = "match")]
    pub matches: CustomerMatch,
    /// The most days allowed between two counting contacts (at least 1). A customer last
    /// contacted exactly this many days ago (in UTC calendar days) is not yet due.
    pub max_interval_days: u32,
    /// Which interactions count as a contact.
    #[serde(default)]
    pub counts: CountedContacts,
    /// The channels a follow-up may use, in order of preference for ties (at least one).
    pub channels: Vec<ConsentChannel>,
}

impl CadenceRule {
    /// A rule matching every customer (the shape of a default rule), counting every
    /// interaction.
    ///
    /// ```
    /// use crm_core::ConsentChannel;
    /// use crm_engagement::CadenceRule;
    /// let r = CadenceRule::new("everyone", 90, vec![ConsentChannel::Email]);
    /// assert!(r.matches.is_empty());
    /// ```
    pub fn new(name: &str, max_interval_days: u32, channels: Vec<ConsentChannel>) -> Self {
        CadenceRule {
            name: name.to_string(),
            matches: CustomerMatch::default(),
            max_interval_days,
            counts: CountedContacts::default(),
            channels,
        }
    }

    /// The same rule with the given match.
    ///
    /// ```
    /// use crm_core::{ConsentChannel, LifecycleStage};
    /// use crm_engagement::{CadenceRule, CustomerMatch};
    /// let r = CadenceRule::new("at-risk", 14, vec![ConsentChannel::Phone]).matching(CustomerMatch {
    ///     lifecycle_stages: vec![LifecycleStage::AtRisk],
    ///     ..CustomerMatch::default()
    /// });
    /// assert!(!r.matches.is_empty());
    /// ```
    pub fn matching(mut self, matches: CustomerMatch) -> Self {
        self.matches = matches;
        self
    }

    /// The same rule counting only the given interactions.
    ///
    /// ```
    /// use crm_core::{ConsentChannel, Direction};
    /// use crm_engagement::{CadenceRule, CountedContacts};
    /// let r = CadenceRule::new("r", 7, vec![ConsentChannel::Email]).counting(CountedContacts {
    ///     directions: vec![Direction::Outbound],
    ///     ..CountedContacts::default()
    /// });
    /// assert_eq!(r.counts.directions, [Direction::Outbound]);
    /// ```
    pub fn counting(mut self, counts: CountedContacts) -> Self {
        self.counts = counts;
        self
    }

    fn check(&self, default: bool) -> Result<(), CadenceError> {
        let bad = |field: &'static str, reason: &str| CadenceError::InvalidRule {
            rule: self.name.clone(),
            field,
            reason: reason.to_string(),
        };
        if self.name.trim().is_empty() {
            return Err(bad("name", "must not be empty"));
        }
        if self.name.trim() != self.name || self.name.chars().any(char::is_control) {
            return Err(bad(
                "name",
                "must not have surrounding whitespace or control characters",
            ));
        }
        if self.max_interval_days == 0 {
            return Err(bad("max_interval_days", "must be at least 1"));
        }
        if self.channels.is_empty() {
            return Err(bad("channels", "must list at least one channel"));
        }
        unique(&self.channels).map_err(|_| bad("channels", "lists a channel twice"))?;
        unique(&self.counts.directions)
            .map_err(|_| bad("counts.directions", "lists a direction twice"))?;
        unique(&self.counts.channels)
            .map_err(|_| bad("counts.channels", "lists a channel twice"))?;
        labels(&self.counts.outcomes).map_err(|r| bad("counts.outcomes", r))?;
        let m = &self.matches;
        labels(&m.value_tiers).map_err(|r| bad("match.value_tiers", r))?;
        labels(&m.rfm_segments).map_err(|r| bad("match.rfm_segments", r))?;
        unique(&m.abc_classes).map_err(|_| bad("match.abc_classes", "lists a class twice"))?;
        unique(&m.lifecycle_stages)
            .map_err(|_| bad("match.lifecycle_stages", "lists a stage twice"))?;
        unique(&m.tags).map_err(|_| bad("match.tags", "lists a tag twice"))?;
        match (default, m.is_empty()) {
            (true, false) => Err(bad(
                "match",
                "the default rule applies to everyone else and takes no criteria",
            )),
            (false, true) => Err(bad(
                "match",
                "has no criteria, so it matches every customer (make it the default rule)",
            )),
            _ => Ok(()),
        }
    }
}

fn unique<T: Eq + Hash>(values: &[T]) -> Result<(), ()> {
    let mut seen = HashSet::with_capacity(values.len());
    if values.iter().all(|v| seen.insert(v)) {
        Ok(())
    } else {
        Err(())
    }
}

fn labels(values: &[String]) -> Result<(), &'static str> {
    if values
        .iter()
        .any(|v| v.trim().is_empty() || v.chars().any(char::is_control))
    {
        return Err("has an empty label or one with control characters");
    }
    unique(values).map_err(|_| "lists a label twice")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    rules: Vec<CadenceRule>,
    default: CadenceRule,
}

impl TryFrom<RawPolicy> for CadencePolicy {
    type Error = CadenceError;
    fn try_from(raw: RawPolicy) -> Result<Self, CadenceError> {
        CadencePolicy::new(raw.rules, raw.default)
    }
}

/// A follow-up cadence policy: rules tried in order (the first that matches a customer
/// applies), then the default rule.
///
/// Deserializing checks the policy like [`CadencePolicy::new`];
/// [`from_toml`](CadencePolicy::from_toml) and [`from_json`](CadencePolicy::from_json)
/// return the typed [`CadenceError`] naming the rule and field at fault.
///
/// ```
/// use crm_engagement::{CadenceError, CadencePolicy};
/// let policy = CadencePolicy::from_toml(r#"
///     [[rules]]
///     name = "a-class"
///     match = { abc_classes = ["A"] }
///     max_interval_days = 30
///     channels = ["phone", "email"]
///     counts = { directions = ["outbound"] }
///
///     [default]
///     name = "everyone"
///     max_interval_days = 90
///     channels = ["email"]
/// "#)?;
/// assert_eq!(policy.rules().len(), 1);
///
/// let err = CadencePolicy::from_json(
///     r#"{"default": {"name": "d", "max_interval_days": 0, "channels": ["email"]}}"#,
/// ).unwrap_err();
/// assert_eq!(err.to_string(), "cadence rule \"d\", max_interval_days: must be at least 1");
/// # Ok::<(), CadenceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPolicy")]
pub struct CadencePolicy {
    rules: Vec<CadenceRule>,
    default: CadenceRule,
}

impl CadencePolicy {
    /// The most rules a policy may hold (the default rule included).
    pub const MAX_RULES: usize = u16::MAX as usize;

    /// A checked policy: names non-empty and unique, intervals at least one day, at least
    /// one allowed channel per rule, no duplicate values, criteria on every rule but the
    /// default.
    ///
    /// ```
    /// use crm_core::ConsentChannel;
    /// use crm_engagement::{CadencePolicy, CadenceRule, CadenceError};
    /// let d = CadenceRule::new("everyone", 90, vec![ConsentChannel::Email]);
    /// let err = CadencePolicy::new(vec![d.clone()], d.clone()).unwrap_err();
    /// assert!(matches!(err, CadenceError::InvalidRule { field: "match", .. }));
    /// assert!(CadencePolicy::new(vec![], d).is_ok());
    /// ```
    pub fn new(rules: Vec<CadenceRule>, default: CadenceRule) -> Result<Self, CadenceError> {
        if rules.len() >= Self::MAX_RULES {
            return Err(CadenceError::InvalidRule {
                rule: default.name,
                field: "rules",
                reason: format!("a policy holds at most {} rules", Self::MAX_RULES - 1),
            });
        }
        let mut names = HashSet::new();
        for (rule, is_default) in rules.iter().map(|r| (r, false)).chain([(&default, true)]) {
            rule.check(is_default)?;
            if !names.insert(rule.name.as_str()) {
                return Err(CadenceError::InvalidRule {
                    rule: rule.name.clone(),
                    field: "name",
                    reason: "is used by another rule".into(),
                });
            }
        }
        Ok(CadencePolicy { rules, default })
    }

    /// Reads and checks a policy written in TOML (`[[rules]]` tables and a `[default]`).
    ///
    /// ```
    /// use crm_engagement::{CadenceError, CadencePolicy};
    /// let err = CadencePolicy::from_toml("default = 3").unwrap_err();
    /// assert!(matches!(err, CadenceError::Parse { format: "TOML", .. }));
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, CadenceError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| CadenceError::Parse {
            format: "TOML",
            message: e.to_string(),
        })?;
        raw.try_into()
    }

    /// Reads and checks a policy written in JSON (`{"rules": [...], "default": {...}}`).
    ///
    /// ```
    /// use crm_engagement::CadencePolicy;
    /// let p = CadencePolicy::from_json(
    ///     r#"{"default": {"name": "all", "max_interval_days": 60, "channels": ["sms"]}}"#,
    /// )?;
    /// assert_eq!(p.default_rule().max_interval_days, 60);
    /// # Ok::<(), crm_engagement::CadenceError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, CadenceError> {
        let raw: RawPolicy = serde_json::from_str(text).map_err(|e| CadenceError::Parse {
            format: "JSON",
            message: e.to_string(),
        })?;
        raw.try_into()
    }

    /// The rules, in the order they are tried.
    ///
    /// ```
    /// use crm_core::ConsentChannel;
    /// use crm_engagement::{CadencePolicy, CadenceRule};
    /// let p = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// assert!(p.rules().is_empty());
    /// # Ok::<(), crm_engagement::CadenceError>(())
    /// ```
    pub fn rules(&self) -> &[CadenceRule] {
        &self.rules
    }

    /// The rule for customers no other rule matches.
    ///
    /// ```
    /// use crm_core::ConsentChannel;
    /// use crm_engagement::{CadencePolicy, CadenceRule};
    /// let p = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// assert_eq!(p.default_rule().name, "all");
    /// # Ok::<(), crm_engagement::CadenceError>(())
    /// ```
    pub fn default_rule(&self) -> &CadenceRule {
        &self.default
    }

    /// The rule at a position: the rules in order, then the default at `rules().len()`.
    pub(crate) fn rule_at(&self, index: usize) -> &CadenceRule {
        self.rules.get(index).unwrap_or(&self.default)
    }
}
