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
//! State and event names are resolved once to dense indices; determinism is checked on the
//! transitions grouped by source state (a counting sort), and the graph checks are two
//! depth-first searches over a `petgraph` graph (one forward from the initial state, one
//! backward from all terminal states), so validation is linear in the number of states plus
//! transitions.
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

use std::collections::hash_map::Entry;

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
    // Dense state indices in first-declaration order (declared list, or first mention as in
    // `MachineDefinition::state_names`), dense event indices, and every transition resolved
    // to `[from, event, to]` (`NONE` for an undeclared state) in one pass.
    let mut dense: FxHashMap<&str, u32> = FxHashMap::default();
    let mut unique: Vec<&str> = Vec::new();
    let mut events: FxHashMap<&str, u32> = FxHashMap::default();
    let mut endpoints: Vec<[u32; 3]> = Vec::with_capacity(def.transitions.len());
    // Definitions usually list a state's transitions together: reuse the previous lookup.
    let mut previous: Option<(&str, u32)> = None;
    if def.states.is_empty() {
        for name in
            std::iter::once(def.initial.as_str()).chain(def.terminal.iter().map(String::as_str))
        {
            intern(&mut dense, &mut unique, name);
        }
        for t in &def.transitions {
            let from = match previous {
                Some((name, id)) if name == t.from => id,
                _ => intern(&mut dense, &mut unique, &t.from),
            };
            previous = Some((&t.from, from));
            let to = intern(&mut dense, &mut unique, &t.to);
            let event = intern_event(&mut events, &t.event);
            endpoints.push([from, event, to]);
        }
    } else {
        for name in &def.states {
            match dense.entry(name.as_str()) {
                Entry::Occupied(_) => findings.push(Finding::DuplicateState {
                    state: name.clone(),
                }),
                Entry::Vacant(slot) => {
                    slot.insert(unique.len() as u32);
                    unique.push(name.as_str());
                }
            }
        }
        for t in &def.transitions {
            let from = match previous {
                Some((name, id)) if name == t.from => id,
                _ => dense.get(t.from.as_str()).copied().unwrap_or(NONE),
            };
            previous = Some((&t.from, from));
            let to = dense.get(t.to.as_str()).copied().unwrap_or(NONE);
            let event = intern_event(&mut events, &t.event);
            endpoints.push([from, event, to]);
        }
    }
    let n = unique.len();

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

    // Per-transition findings, and the number of known transitions leaving each state.
    let mut offsets = vec![0u32; n + 1];
    for (t, &[from, _, to]) in def.transitions.iter().zip(&endpoints) {
        for (state, idx) in [(&t.from, from), (&t.to, to)] {
            if idx == NONE {
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
        if from == NONE || to == NONE {
            continue;
        }
        if terminal[from as usize] && !reopenable[from as usize] {
            findings.push(Finding::TerminalHasOutgoing {
                state: t.from.clone(),
                event: t.event.clone(),
                to: t.to.clone(),
            });
        }
        offsets[from as usize + 1] += 1;
    }
    // The known transitions grouped by source state (a stable counting sort, so each
    // state's transitions keep definition order), and the graph built from them.
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets.clone();
    let mut by_source = vec![0u32; offsets[n] as usize];
    for (k, &[from, _, to]) in endpoints.iter().enumerate() {
        if from != NONE && to != NONE {
            by_source[cursor[from as usize] as usize] = k as u32;
            cursor[from as usize] += 1;
        }
    }
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, by_source.len());
    for _ in 0..n {
        graph.add_node(());
    }
    for &k in &by_source {
        let [from, _, to] = endpoints[k as usize];
        graph.add_edge(
            NodeIndex::new(from as usize),
            NodeIndex::new(to as usize),
            (),
        );
    }

    // Determinism: within one state's transitions an event may appear once. `seen[event]`
    // holds the last state that used the event and the transition that did.
    let mut seen = vec![(NONE, 0u32); events.len()];
    // Conflicting transitions per (state, event), found in the order of each key's second
    // transition.
    let mut conflicts: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut conflict_of: FxHashMap<(u32, u32), usize> = FxHashMap::default();
    for s in 0..n {
        for &k in &by_source[offsets[s] as usize..offsets[s + 1] as usize] {
            let event = endpoints[k as usize][1];
            let slot = &mut seen[event as usize];
            if slot.0 != s as u32 {
                *slot = (s as u32, k);
                continue;
            }
            let first = slot.1;
            let group = *conflict_of.entry((s as u32, event)).or_insert_with(|| {
                conflicts.push((k, vec![first]));
                conflicts.len() - 1
            });
            conflicts[group].1.push(k);
        }
    }
    conflicts.sort_unstable_by_key(|(second, _)| *second);
    for (_, group) in &conflicts {
        let first = &def.transitions[group[0] as usize];
        findings.push(Finding::NonDeterministic {
            state: first.from.clone(),
            event: first.event.clone(),
            targets: group
                .iter()
                .map(|&k| def.transitions[k as usize].to.clone())
                .collect(),
        });
    }

    let state_name = |i: usize| unique[i].to_string();
    if let Some(initial) = initial {
        let mut dfs = Dfs::new(&graph, NodeIndex::new(initial as usize));
        while dfs.next(&graph).is_some() {}
        for i in 0..n {
            if !dfs.discovered.contains(i) {
                findings.push(Finding::Unreachable {
                    state: state_name(i),
                });
            }
        }
    }
    if !def.terminal.is_empty() {
        let reversed = Reversed(&graph);
        let mut dfs = Dfs::empty(reversed);
        for (i, is_terminal) in terminal.iter().enumerate() {
            if *is_terminal {
                dfs.stack.push(NodeIndex::new(i));
            }
        }
        while dfs.next(reversed).is_some() {}
        for (i, is_terminal) in terminal.iter().enumerate() {
            if !is_terminal && !dfs.discovered.contains(i) {
                findings.push(Finding::Trap {
                    state: state_name(i),
                });
            }
        }
    }
    findings
}

/// Marks an undeclared state in a resolved transition.
const NONE: u32 = u32::MAX;

/// The dense index of a state name, adding it in order of first mention.
fn intern<'a>(index: &mut FxHashMap<&'a str, u32>, names: &mut Vec<&'a str>, name: &'a str) -> u32 {
    match index.entry(name) {
        Entry::Occupied(slot) => *slot.get(),
        Entry::Vacant(slot) => {
            let i = names.len() as u32;
            slot.insert(i);
            names.push(name);
            i
        }
    }
}

/// The dense index of an event name.
fn intern_event<'a>(index: &mut FxHashMap<&'a str, u32>, name: &'a str) -> u32 {
    let next = index.len() as u32;
    *index.entry(name).or_insert(next)
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
