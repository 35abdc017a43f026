//! What validation reports: one [`Finding`] per problem, and the [`ValidationError`] that
//! carries them all. These types know nothing of compiled machines, so the definition, the
//! validator and the compiler can all name them without depending on each other.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One problem found in a machine definition; each names the states involved.
///
/// ```
/// use crm_lifecycle::Finding;
/// let f = Finding::Unreachable { state: "limbo".into() };
/// assert_eq!(f.to_string(), "state \"limbo\" is not reachable from the initial state");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Finding {
    /// A state is declared more than once in `states`.
    DuplicateState {
        /// The repeated state.
        state: String,
    },
    /// The initial state is not a declared state.
    UnknownInitial {
        /// The initial state as given.
        state: String,
    },
    /// A terminal state is not a declared state.
    UnknownTerminal {
        /// The terminal state as given.
        state: String,
    },
    /// A re-openable state is not one of the terminal states.
    ReopenableNotTerminal {
        /// The state listed as re-openable.
        state: String,
    },
    /// A transition names a state that is not declared.
    UnknownState {
        /// The undeclared state.
        state: String,
        /// The transition's source state.
        from: String,
        /// The transition's event.
        event: String,
        /// The transition's target state.
        to: String,
    },
    /// More than one transition leaves `state` on `event`.
    NonDeterministic {
        /// The source state.
        state: String,
        /// The event with several transitions.
        event: String,
        /// The target states, in definition order.
        targets: Vec<String>,
    },
    /// A terminal state that is not re-openable has an outgoing transition.
    TerminalHasOutgoing {
        /// The terminal state.
        state: String,
        /// The transition's event.
        event: String,
        /// The transition's target.
        to: String,
    },
    /// A state cannot be reached from the initial state.
    Unreachable {
        /// The unreachable state.
        state: String,
    },
    /// No terminal state can be reached from a non-terminal state.
    Trap {
        /// The trapping state.
        state: String,
    },
    /// The machine declares no terminal state at all.
    NoTerminalState,
    /// A name (of the machine, a state, an event or a guard) is empty, only white space,
    /// or holds a control character (which would reach diagrams and terminals raw).
    InvalidName {
        /// What the name names: `machine`, `state`, `event` or `guard`.
        role: String,
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DuplicateState { state } => write!(f, "state {state:?} is declared twice"),
            Self::UnknownInitial { state } => {
                write!(f, "initial state {state:?} is not a declared state")
            }
            Self::UnknownTerminal { state } => {
                write!(f, "terminal state {state:?} is not a declared state")
            }
            Self::ReopenableNotTerminal { state } => {
                write!(f, "re-openable state {state:?} is not a terminal state")
            }
            Self::UnknownState {
                state,
                from,
                event,
                to,
            } => write!(
                f,
                "transition {from:?} --{event:?}--> {to:?} names undeclared state {state:?}"
            ),
            Self::NonDeterministic {
                state,
                event,
                targets,
            } => write!(
                f,
                "state {state:?} has {} transitions on event {event:?} (to {})",
                targets.len(),
                targets
                    .iter()
                    .map(|t| format!("{t:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::TerminalHasOutgoing { state, event, to } => write!(
                f,
                "terminal state {state:?} has an outgoing transition {event:?} to {to:?} but is not re-openable"
            ),
            Self::Unreachable { state } => {
                write!(f, "state {state:?} is not reachable from the initial state")
            }
            Self::Trap { state } => {
                write!(f, "no terminal state is reachable from state {state:?}")
            }
            Self::NoTerminalState => write!(f, "the machine declares no terminal state"),
            Self::InvalidName { role, name, reason } => {
                write!(f, "{role} name {name:?} {reason}")
            }
        }
    }
}

/// A definition failed validation; carries every finding.
///
/// ```
/// use crm_lifecycle::MachineDefinition;
/// let err = MachineDefinition::new("m", "a").with_terminal("z").build().unwrap_err();
/// assert_eq!(err.machine, "m");
/// assert_eq!(
///     err.to_string(),
///     "machine \"m\" is invalid (2 findings); state \"z\" is not reachable from the initial state; \
///      no terminal state is reachable from state \"a\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct ValidationError {
    /// The machine's name.
    pub machine: String,
    /// Every finding, in a stable order (declarations, transitions, then graph checks).
    pub findings: Vec<Finding>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "machine {:?} is invalid ({} finding{})",
            self.machine,
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" }
        )?;
        for finding in &self.findings {
            write!(f, "; {finding}")?;
        }
        Ok(())
    }
}
