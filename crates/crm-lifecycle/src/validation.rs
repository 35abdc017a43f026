//! Validation of machine definitions with `petgraph`.
//!
//! [`validate`] checks a [`MachineDefinition`] and returns every [`Finding`] at once:
//!
//! * every transition, the initial state and the terminal states name declared states;
//! * no state is declared twice;
//! * at most one transition per `(state, event)` (determinism);
//! * terminal states have no outgoing transitions unless declared re-openable;
//! * every state is reachable from the initial state;
//! * from every non-terminal state some terminal state is reachable (no traps).
//!
//! The graph checks are two depth-first searches over a `petgraph` graph (one forward from the
//! initial state, one backward from all terminal states), so validation is linear in the
//! number of states plus transitions.
//!
//! ```
//! use crm_lifecycle::definition::{MachineDefinition, TransitionDef};
//! use crm_lifecycle::validation::{validate, Finding};
//!
//! let def = MachineDefinition::new("m", "a")
//!     .with_terminal("done")
//!     .with_transition(TransitionDef::new("a", "go", "done"))
//!     .with_transition(TransitionDef::new("a", "go", "loop"))
//!     .with_transition(TransitionDef::new("loop", "spin", "loop"));
//! let findings = validate(&def);
//! assert!(findings.contains(&Finding::NonDeterministic {
//!     state: "a".into(),
//!     event: "go".into(),
//!     targets: vec!["done".into(), "loop".into()],
//! }));
//! assert!(findings.contains(&Finding::Trap { state: "loop".into() }));
//! ```

use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, Reversed};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::definition::MachineDefinition;

/// One problem found in a machine definition; each names the states involved.
///
/// ```
/// use crm_lifecycle::validation::Finding;
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
                "transition {from:?} --{event}--> {to:?} names undeclared state {state:?}"
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
        }
    }
}

/// A definition failed validation; carries every finding.
///
/// ```
/// use crm_lifecycle::definition::MachineDefinition;
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

/// Checks a definition and returns every finding (empty when the definition is valid).
///
/// ```
/// use crm_lifecycle::definition::{MachineDefinition, TransitionDef};
/// use crm_lifecycle::validation::validate;
/// let ok = MachineDefinition::new("m", "a")
///     .with_terminal("b")
///     .with_transition(TransitionDef::new("a", "go", "b"));
/// assert!(validate(&ok).is_empty());
/// ```
pub fn validate(def: &MachineDefinition) -> Vec<Finding> {
    let mut findings = Vec::new();
    let names = def.state_names();
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    index.reserve(names.len());
    for name in &names {
        let next = index.len();
        if index.insert(name, next).is_some() {
            findings.push(Finding::DuplicateState {
                state: (*name).to_string(),
            });
        }
    }
    // Re-number densely in first-declaration order so duplicates do not leave holes.
    let mut dense: FxHashMap<&str, u32> = FxHashMap::default();
    dense.reserve(names.len());
    let mut unique: Vec<&str> = Vec::with_capacity(names.len());
    for name in &names {
        let next = dense.len() as u32;
        dense.entry(name).or_insert_with(|| {
            unique.push(name);
            next
        });
    }
    let n = dense.len();

    let initial = dense.get(def.initial.as_str()).copied();
    if initial.is_none() {
        findings.push(Finding::UnknownInitial {
            state: def.initial.clone(),
        });
    }
    let mut terminal = vec![false; n];
    for t in &def.terminal {
        match dense.get(t.as_str()) {
            Some(&i) => terminal[i as usize] = true,
            None => findings.push(Finding::UnknownTerminal { state: t.clone() }),
        }
    }
    let mut reopenable = vec![false; n];
    for r in &def.reopenable {
        match dense.get(r.as_str()) {
            Some(&i) if terminal[i as usize] => reopenable[i as usize] = true,
            _ => findings.push(Finding::ReopenableNotTerminal { state: r.clone() }),
        }
    }
    if def.terminal.is_empty() {
        findings.push(Finding::NoTerminalState);
    }

    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, def.transitions.len());
    for _ in 0..n {
        graph.add_node(());
    }
    // (from, event) -> targets, to detect non-determinism; keep first-seen order for reports.
    let mut by_key: FxHashMap<(u32, &str), Vec<&str>> = FxHashMap::default();
    by_key.reserve(def.transitions.len());
    let mut key_order: Vec<(u32, &str)> = Vec::new();
    for t in &def.transitions {
        let from = dense.get(t.from.as_str()).copied();
        let to = dense.get(t.to.as_str()).copied();
        for (state, idx) in [(&t.from, from), (&t.to, to)] {
            if idx.is_none() {
                findings.push(Finding::UnknownState {
                    state: state.clone(),
                    from: t.from.clone(),
                    event: t.event.clone(),
                    to: t.to.clone(),
                });
            }
            if t.from == t.to {
                break;
            }
        }
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if terminal[from as usize] && !reopenable[from as usize] {
            findings.push(Finding::TerminalHasOutgoing {
                state: t.from.clone(),
                event: t.event.clone(),
                to: t.to.clone(),
            });
        }
        let targets = by_key.entry((from, t.event.as_str())).or_default();
        if targets.is_empty() {
            key_order.push((from, t.event.as_str()));
        }
        targets.push(t.to.as_str());
        graph.add_edge(
            NodeIndex::new(from as usize),
            NodeIndex::new(to as usize),
            (),
        );
    }
    for key in &key_order {
        let targets = &by_key[key];
        if targets.len() > 1 {
            findings.push(Finding::NonDeterministic {
                state: unique[key.0 as usize].to_string(),
                event: key.1.to_string(),
                targets: targets.iter().map(|s| (*s).to_string()).collect(),
            });
        }
    }

    let state_name = |i: usize| unique[i].to_string();
    if let Some(initial) = initial {
        let mut reached = vec![false; n];
        let mut dfs = Dfs::new(&graph, NodeIndex::new(initial as usize));
        while let Some(node) = dfs.next(&graph) {
            reached[node.index()] = true;
        }
        for (i, r) in reached.iter().enumerate() {
            if !r {
                findings.push(Finding::Unreachable {
                    state: state_name(i),
                });
            }
        }
    }
    if !def.terminal.is_empty() {
        let mut escapes = vec![false; n];
        let reversed = Reversed(&graph);
        let mut dfs = Dfs::empty(reversed);
        for (i, is_terminal) in terminal.iter().enumerate() {
            if *is_terminal {
                dfs.stack.push(NodeIndex::new(i));
            }
        }
        while let Some(node) = dfs.next(reversed) {
            escapes[node.index()] = true;
        }
        for i in 0..n {
            if !escapes[i] && !terminal[i] {
                findings.push(Finding::Trap {
                    state: state_name(i),
                });
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::TransitionDef;

    fn t(from: &str, event: &str, to: &str) -> TransitionDef {
        TransitionDef::new(from, event, to)
    }

    #[test]
    fn valid_machine_has_no_findings() {
        let def = MachineDefinition::new("m", "a")
            .with_terminal("c")
            .with_transition(t("a", "go", "b"))
            .with_transition(t("b", "go", "c"))
            .with_transition(t("b", "back", "a"));
        assert_eq!(validate(&def), vec![]);
    }

    #[test]
    fn unreachable_state_is_named() {
        let def = MachineDefinition::new("m", "a")
            .with_terminal("c")
            .with_transition(t("a", "go", "c"))
            .with_transition(t("island", "go", "c"));
        assert_eq!(
            validate(&def),
            vec![Finding::Unreachable {
                state: "island".into()
            }]
        );
    }

    #[test]
    fn trap_is_named() {
        let def = MachineDefinition::new("m", "a")
            .with_terminal("c")
            .with_transition(t("a", "go", "c"))
            .with_transition(t("a", "fall", "pit"))
            .with_transition(t("pit", "climb", "ledge"))
            .with_transition(t("ledge", "slip", "pit"));
        assert_eq!(
            validate(&def),
            vec![
                Finding::Trap {
                    state: "pit".into()
                },
                Finding::Trap {
                    state: "ledge".into()
                }
            ]
        );
    }

    #[test]
    fn non_determinism_names_state_event_and_targets() {
        let def = MachineDefinition::new("m", "a")
            .with_terminal("b")
            .with_terminal("c")
            .with_transition(t("a", "go", "b"))
            .with_transition(t("a", "go", "c"));
        assert_eq!(
            validate(&def),
            vec![Finding::NonDeterministic {
                state: "a".into(),
                event: "go".into(),
                targets: vec!["b".into(), "c".into()],
            }]
        );
    }

    #[test]
    fn unknown_state_is_named_with_its_transition() {
        let def = MachineDefinition::new("m", "a")
            .with_state("a")
            .with_state("b")
            .with_terminal("b")
            .with_transition(t("a", "go", "b"))
            .with_transition(t("a", "jump", "ghost"));
        assert_eq!(
            validate(&def),
            vec![Finding::UnknownState {
                state: "ghost".into(),
                from: "a".into(),
                event: "jump".into(),
                to: "ghost".into(),
            }]
        );
    }

    #[test]
    fn declarations_are_checked() {
        let def = MachineDefinition::new("m", "start")
            .with_state("a")
            .with_state("b")
            .with_state("a")
            .with_terminal("b")
            .with_terminal("end")
            .with_reopenable("a")
            .with_transition(t("a", "go", "b"));
        let findings = validate(&def);
        assert_eq!(
            findings,
            vec![
                Finding::DuplicateState { state: "a".into() },
                Finding::UnknownInitial {
                    state: "start".into()
                },
                Finding::UnknownTerminal {
                    state: "end".into()
                },
                Finding::ReopenableNotTerminal { state: "a".into() },
            ]
        );
    }

    #[test]
    fn terminal_outgoing_requires_reopenable() {
        let base = MachineDefinition::new("m", "a")
            .with_terminal("done")
            .with_transition(t("a", "finish", "done"))
            .with_transition(t("done", "reopen", "a"));
        assert_eq!(
            validate(&base),
            vec![Finding::TerminalHasOutgoing {
                state: "done".into(),
                event: "reopen".into(),
                to: "a".into(),
            }]
        );
        assert_eq!(validate(&base.with_reopenable("done")), vec![]);
    }

    #[test]
    fn all_findings_are_reported_together() {
        let def = MachineDefinition::new("m", "a")
            .with_terminal("z")
            .with_transition(t("a", "go", "b"))
            .with_transition(t("a", "go", "c"))
            .with_transition(t("q", "go", "z"));
        let findings = validate(&def);
        assert!(findings.contains(&Finding::Unreachable { state: "z".into() }));
        assert!(findings.contains(&Finding::Unreachable { state: "q".into() }));
        assert!(findings.contains(&Finding::Trap { state: "a".into() }));
        assert!(findings.contains(&Finding::Trap { state: "b".into() }));
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, Finding::NonDeterministic { .. }))
        );
        let msg = crate::validation::ValidationError {
            machine: "m".into(),
            findings: findings.clone(),
        }
        .to_string();
        for f in &findings {
            assert!(msg.contains(&f.to_string()), "{msg}");
        }
    }

    #[test]
    fn no_terminal_state_is_a_finding() {
        let def = MachineDefinition::new("m", "a").with_transition(t("a", "go", "a"));
        assert_eq!(validate(&def), vec![Finding::NoTerminalState]);
    }
}
