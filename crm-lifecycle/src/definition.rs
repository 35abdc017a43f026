//! Machine definitions as plain data, loadable from TOML and JSON.

use serde::{Deserialize, Serialize};

use crate::finding::ValidationError;

/// One transition: in state `from`, event `event` moves the machine to state `to`, provided
/// the optional guard allows it.
///
/// ```
/// use crm_lifecycle::TransitionDef;
/// let t = TransitionDef::new("pending", "customer_reply", "open");
/// assert_eq!(t.guard, None);
/// let g = t.with_guard("has_agent");
/// assert_eq!(g.guard.as_deref(), Some("has_agent"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    /// The state the transition leaves.
    pub from: String,
    /// The event that triggers it.
    pub event: String,
    /// The state the transition enters.
    pub to: String,
    /// The name of a host-supplied predicate that must allow the transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
}

impl TransitionDef {
    /// A transition without a guard.
    ///
    /// ```
    /// use crm_lifecycle::TransitionDef;
    /// let t = TransitionDef::new("new", "assign", "open");
    /// assert_eq!((t.from.as_str(), t.event.as_str(), t.to.as_str()), ("new", "assign", "open"));
    /// ```
    pub fn new(from: impl Into<String>, event: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            event: event.into(),
            to: to.into(),
            guard: None,
        }
    }

    /// The same transition, guarded by the named predicate.
    ///
    /// ```
    /// use crm_lifecycle::TransitionDef;
    /// let t = TransitionDef::new("open", "solve", "solved").with_guard("has_reply");
    /// assert_eq!(t.guard.as_deref(), Some("has_reply"));
    /// ```
    pub fn with_guard(mut self, guard: impl Into<String>) -> Self {
        self.guard = Some(guard.into());
        self
    }
}

/// A state machine written down as data.
///
/// A [`MachineDefinition`] is what a host writes down: the machine's name, its states, the
/// initial state, the terminal states and the transitions `(from, event, to)` with an optional
/// guard name. Nothing is checked here; [`MachineDefinition::build`] validates the definition
/// (see [`validate`](crate::validate)) and compiles it into a runnable [`Machine`](crate::Machine).
///
/// The TOML form uses `[[transition]]` tables:
///
/// ```
/// use crm_lifecycle::MachineDefinition;
///
/// let toml = r#"
/// name = "ticket"
/// initial = "new"
/// terminal = ["closed"]
///
/// [[transition]]
/// from = "new"
/// event = "assign"
/// to = "open"
///
/// [[transition]]
/// from = "open"
/// event = "close"
/// to = "closed"
/// guard = "has_resolution"
/// "#;
/// let def = MachineDefinition::from_toml(toml)?;
/// assert_eq!(def.transitions.len(), 2);
/// let machine = def.build()?;
/// assert_eq!(machine.state_count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `states` may be left empty: the states are then the initial state, the terminal states and
/// every state a transition names, in order of first mention. When `states` is given it is the
/// complete list, and a transition naming any other state is a validation finding.
///
/// Terminal states may not have outgoing transitions unless they are listed in `reopenable`
/// (a solved ticket that can be reopened, a churned customer that can be won back).
///
/// ```
/// use crm_lifecycle::{MachineDefinition, TransitionDef};
///
/// let def = MachineDefinition::new("door", "closed")
///     .with_terminal("broken")
///     .with_transition(TransitionDef::new("closed", "open", "opened"))
///     .with_transition(TransitionDef::new("opened", "close", "closed"))
///     .with_transition(TransitionDef::new("opened", "kick", "broken"));
/// assert_eq!(def.state_names(), vec!["closed", "broken", "opened"]);
/// assert!(def.build().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineDefinition {
    /// The machine's name (used in errors and diagrams).
    pub name: String,
    /// The declared states; empty means "infer from the other fields".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    /// The state every new instance starts in.
    pub initial: String,
    /// The states in which an instance's life is complete.
    #[serde(default)]
    pub terminal: Vec<String>,
    /// Terminal states that may nevertheless be left (reopened).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopenable: Vec<String>,
    /// The transitions; `[[transition]]` tables in TOML, a `"transition"` array in JSON.
    #[serde(default, rename = "transition", alias = "transitions")]
    pub transitions: Vec<TransitionDef>,
}

/// Why a definition could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The TOML text is not a machine definition.
    #[error("machine definition (TOML): {0}")]
    Toml(#[from] toml::de::Error),
    /// The JSON text is not a machine definition.
    #[error("machine definition (JSON): {0}")]
    Json(#[from] serde_json::Error),
    /// The definition parsed but failed validation.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl MachineDefinition {
    /// An empty definition with a name and an initial state.
    ///
    /// ```
    /// use crm_lifecycle::MachineDefinition;
    /// let def = MachineDefinition::new("empty", "start");
    /// assert_eq!(def.initial, "start");
    /// ```
    pub fn new(name: impl Into<String>, initial: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            states: Vec::new(),
            initial: initial.into(),
            terminal: Vec::new(),
            reopenable: Vec::new(),
            transitions: Vec::new(),
        }
    }

    /// Adds a declared state (switching the definition to an explicit state list).
    ///
    /// ```
    /// use crm_lifecycle::MachineDefinition;
    /// let def = MachineDefinition::new("m", "a").with_state("a").with_state("b");
    /// assert_eq!(def.states, vec!["a", "b"]);
    /// ```
    pub fn with_state(mut self, state: impl Into<String>) -> Self {
        self.states.push(state.into());
        self
    }

    /// Adds a terminal state.
    ///
    /// ```
    /// use crm_lifecycle::MachineDefinition;
    /// let def = MachineDefinition::new("m", "a").with_terminal("z");
    /// assert_eq!(def.terminal, vec!["z"]);
    /// ```
    pub fn with_terminal(mut self, state: impl Into<String>) -> Self {
        self.terminal.push(state.into());
        self
    }

    /// Declares a terminal state re-openable.
    ///
    /// ```
    /// use crm_lifecycle::MachineDefinition;
    /// let def = MachineDefinition::new("m", "a").with_terminal("z").with_reopenable("z");
    /// assert_eq!(def.reopenable, vec!["z"]);
    /// ```
    pub fn with_reopenable(mut self, state: impl Into<String>) -> Self {
        self.reopenable.push(state.into());
        self
    }

    /// Adds a transition.
    ///
    /// ```
    /// use crm_lifecycle::{MachineDefinition, TransitionDef};
    /// let def = MachineDefinition::new("m", "a").with_transition(TransitionDef::new("a", "go", "b"));
    /// assert_eq!(def.transitions.len(), 1);
    /// ```
    pub fn with_transition(mut self, transition: TransitionDef) -> Self {
        self.transitions.push(transition);
        self
    }

    /// The state names of the machine: the declared list, or when none is declared the
    /// initial state, the terminal states and every state a transition names, in order of
    /// first mention and without repeats.
    ///
    /// ```
    /// use crm_lifecycle::{MachineDefinition, TransitionDef};
    /// let def = MachineDefinition::new("m", "a")
    ///     .with_transition(TransitionDef::new("a", "go", "b"))
    ///     .with_transition(TransitionDef::new("b", "back", "a"));
    /// assert_eq!(def.state_names(), vec!["a", "b"]);
    /// ```
    pub fn state_names(&self) -> Vec<&str> {
        if !self.states.is_empty() {
            return self.states.iter().map(String::as_str).collect();
        }
        let mut seen = rustc_hash::FxHashSet::default();
        let mut names = Vec::new();
        let mentioned = std::iter::once(self.initial.as_str())
            .chain(self.terminal.iter().map(String::as_str))
            .chain(
                self.transitions
                    .iter()
                    .flat_map(|t| [t.from.as_str(), t.to.as_str()]),
            );
        for name in mentioned {
            if seen.insert(name) {
                names.push(name);
            }
        }
        names
    }

    /// Parses a definition from TOML (not yet validated).
    ///
    /// ```
    /// use crm_lifecycle::MachineDefinition;
    /// let def = MachineDefinition::from_toml("name = \"m\"\ninitial = \"a\"\nterminal = [\"a\"]\n")?;
    /// assert_eq!(def.name, "m");
    /// assert!(MachineDefinition::from_toml("name = 3").is_err());
    /// # Ok::<(), crm_lifecycle::LoadError>(())
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, LoadError> {
        Ok(toml::from_str(text)?)
    }

    /// Parses a definition from JSON (not yet validated).
    ///
    /// ```
    /// use crm_lifecycle::MachineDefinition;
    /// let json = r#"{"name": "m", "initial": "a", "terminal": ["b"],
    ///               "transition": [{"from": "a", "event": "go", "to": "b"}]}"#;
    /// let def = MachineDefinition::from_json(json)?;
    /// assert_eq!(def.transitions[0].to, "b");
    /// # Ok::<(), crm_lifecycle::LoadError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Writes the definition as TOML, in the same `[[transition]]` form it loads from.
    ///
    /// ```
    /// use crm_lifecycle::{MachineDefinition, TransitionDef};
    /// let def = MachineDefinition::new("m", "a")
    ///     .with_terminal("b")
    ///     .with_transition(TransitionDef::new("a", "go", "b"));
    /// let text = def.to_toml();
    /// assert!(text.contains("[[transition]]"));
    /// assert_eq!(MachineDefinition::from_toml(&text)?, def);
    /// # Ok::<(), crm_lifecycle::LoadError>(())
    /// ```
    pub fn to_toml(&self) -> String {
        // A struct of strings and arrays of tables always serializes.
        toml::to_string(self).unwrap_or_default()
    }

    /// Writes the definition as pretty-printed JSON.
    ///
    /// ```
    /// use crm_lifecycle::{MachineDefinition, TransitionDef};
    /// let def = MachineDefinition::new("m", "a").with_terminal("a");
    /// assert_eq!(MachineDefinition::from_json(&def.to_json())?, def);
    /// # Ok::<(), crm_lifecycle::LoadError>(())
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_forms_agree() {
        let toml = r#"
name = "ticket"
initial = "new"
terminal = ["closed"]
[[transition]]
from = "new"
event = "assign"
to = "open"
[[transition]]
from = "open"
event = "close"
to = "closed"
"#;
        let json = r#"{"name":"ticket","initial":"new","terminal":["closed"],
            "transition":[{"from":"new","event":"assign","to":"open"},
                          {"from":"open","event":"close","to":"closed"}]}"#;
        let a = MachineDefinition::from_toml(toml).unwrap();
        let b = MachineDefinition::from_json(json).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.state_names(), vec!["new", "closed", "open"]);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = MachineDefinition::from_toml("name = \"m\"\ninitial = \"a\"\nterminals = []\n")
            .unwrap_err();
        assert!(err.to_string().contains("terminals"), "{err}");
    }

    #[test]
    fn plural_alias_is_accepted_in_json() {
        let json = r#"{"name":"m","initial":"a","terminal":["b"],
            "transitions":[{"from":"a","event":"go","to":"b"}]}"#;
        assert_eq!(
            MachineDefinition::from_json(json)
                .unwrap()
                .transitions
                .len(),
            1
        );
    }
}
