//! Validation of machine definitions with `petgraph`.

use std::collections::hash_map::Entry;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, Reversed};
use rustc_hash::FxHashMap;

use crate::definition::{MachineDefinition, TransitionDef};
use crate::finding::Finding;

/// Checks a definition and returns every [`Finding`] at once (empty when the definition is
/// valid):
///
/// * every transition, the initial state and the terminal states name declared states;
/// * no state is declared twice;
/// * at most one transition per `(state, event)` (determinism);
/// * terminal states have no outgoing transitions unless declared re-openable;
/// * every state is reachable from the initial state;
/// * from every non-terminal state some terminal state is reachable (no traps).
///
/// State and event names are resolved once to dense indices; determinism is checked on the
/// transitions grouped by source state (a counting sort), and the graph checks are two
/// depth-first searches over a `petgraph` graph (one forward from the initial state, one
/// backward from all terminal states), so validation is linear in the number of states plus
/// transitions.
///
/// ```
/// use crm_lifecycle::{Finding, MachineDefinition, TransitionDef, validate};
///
/// let def = MachineDefinition::new("m", "a")
///     .with_terminal("done")
///     .with_transition(TransitionDef::new("a", "go", "done"))
///     .with_transition(TransitionDef::new("a", "go", "loop"))
///     .with_transition(TransitionDef::new("loop", "spin", "loop"));
/// let findings = validate(&def);
/// assert!(findings.contains(&Finding::NonDeterministic {
///     state: "a".into(),
///     event: "go".into(),
///     targets: vec!["done".into(), "loop".into()],
/// }));
/// assert!(findings.contains(&Finding::Trap { state: "loop".into() }));
/// ```
///
/// ```
/// use crm_lifecycle::{MachineDefinition, TransitionDef, validate};
/// let ok = MachineDefinition::new("m", "a")
///     .with_terminal("b")
///     .with_transition(TransitionDef::new("a", "go", "b"));
/// assert!(validate(&ok).is_empty());
/// ```
pub fn validate(def: &MachineDefinition) -> Vec<Finding> {
    let mut findings = Vec::new();
    invalid_names(def, &mut findings);
    // Declarations.
    let resolved = Resolved::new(def, &mut findings);
    let initial = resolved.id(&def.initial);
    if initial.is_none() {
        findings.push(unknown_initial(def));
    }
    let terminal = terminal_flags(def, &resolved, &mut findings);
    let reopenable = reopenable_flags(def, &resolved, &terminal, &mut findings);
    if def.terminal.is_empty() {
        findings.push(Finding::NoTerminalState);
    }
    // Transitions, one at a time.
    for (t, &[from, _, to]) in def.transitions.iter().zip(&resolved.endpoints) {
        unknown_states(t, from, to, &mut findings);
        if from != NONE && to != NONE && terminal[from as usize] && !reopenable[from as usize] {
            findings.push(terminal_has_outgoing(t));
        }
    }
    // Transitions together, and the graph checks.
    let by_source = BySource::new(&resolved);
    non_deterministic(def, &resolved, &by_source, &mut findings);
    let graph = by_source.graph(&resolved);
    if let Some(initial) = initial {
        unreachable(&graph, initial, &resolved.names, &mut findings);
    }
    if !def.terminal.is_empty() {
        traps(&graph, &terminal, &resolved.names, &mut findings);
    }
    findings
}

/// Reports every distinct name of the definition that is empty, blank or holds a control
/// character, once per role, in order of first appearance.
fn invalid_names(def: &MachineDefinition, findings: &mut Vec<Finding>) {
    let states = def
        .states
        .iter()
        .chain(std::iter::once(&def.initial))
        .chain(&def.terminal)
        .chain(&def.reopenable)
        .chain(def.transitions.iter().flat_map(|t| [&t.from, &t.to]));
    let events = def.transitions.iter().map(|t| &t.event);
    let guards = def.transitions.iter().filter_map(|t| t.guard.as_ref());
    let roles: [(&str, Box<dyn Iterator<Item = &String> + '_>); 4] = [
        ("machine", Box::new(std::iter::once(&def.name))),
        ("state", Box::new(states)),
        ("event", Box::new(events)),
        ("guard", Box::new(guards)),
    ];
    for (role, names) in roles {
        let mut seen = rustc_hash::FxHashSet::default();
        for name in names {
            if !seen.insert(name.as_str()) {
                continue;
            }
            let reason = if name.is_empty() {
                "is empty"
            } else if name.trim().is_empty() {
                "is only white space"
            } else if name.chars().any(char::is_control) {
                "holds a control character"
            } else {
                continue;
            };
            findings.push(Finding::InvalidName {
                role: role.to_string(),
                name: name.clone(),
                reason: reason.to_string(),
            });
        }
    }
}

/// Marks an undeclared state in a resolved transition.
const NONE: u32 = u32::MAX;

/// The names of a definition resolved to dense indices, in one pass.
struct Resolved<'a> {
    /// State names by index: the declared list, or the order of first mention as in
    /// [`MachineDefinition::state_names`].
    names: Vec<&'a str>,
    /// The index of each state name.
    index: FxHashMap<&'a str, u32>,
    /// Every transition as `[from, event, to]`, with [`NONE`] for an undeclared state.
    endpoints: Vec<[u32; 3]>,
    /// The number of distinct events.
    events: usize,
}

impl<'a> Resolved<'a> {
    /// Resolves the declared states (reporting each [`Finding::DuplicateState`]), or infers
    /// the states when none are declared.
    fn new(def: &'a MachineDefinition, findings: &mut Vec<Finding>) -> Self {
        let mut index: FxHashMap<&str, u32> = FxHashMap::default();
        let mut names: Vec<&str> = Vec::new();
        let (endpoints, events) = if def.states.is_empty() {
            let mentioned = std::iter::once(def.initial.as_str())
                .chain(def.terminal.iter().map(String::as_str));
            for name in mentioned {
                intern(&mut index, &mut names, name);
            }
            resolve_transitions(def, |name| intern(&mut index, &mut names, name))
        } else {
            for name in &def.states {
                match index.entry(name.as_str()) {
                    Entry::Occupied(_) => findings.push(Finding::DuplicateState {
                        state: name.clone(),
                    }),
                    Entry::Vacant(slot) => {
                        slot.insert(names.len() as u32);
                        names.push(name.as_str());
                    }
                }
            }
            resolve_transitions(def, |name| index.get(name).copied().unwrap_or(NONE))
        };
        Self {
            names,
            index,
            endpoints,
            events,
        }
    }

    /// The index of a state name, if the state is declared.
    fn id(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The number of states.
    fn len(&self) -> usize {
        self.names.len()
    }
}

/// Every transition as `[from, event, to]`, looking states up with `state`, and the number
/// of distinct events.
fn resolve_transitions<'a>(
    def: &'a MachineDefinition,
    mut state: impl FnMut(&'a str) -> u32,
) -> (Vec<[u32; 3]>, usize) {
    let mut events: FxHashMap<&str, u32> = FxHashMap::default();
    let mut endpoints = Vec::with_capacity(def.transitions.len());
    // Definitions usually list a state's transitions together: reuse the previous lookup.
    let mut previous: Option<(&str, u32)> = None;
    for t in &def.transitions {
        let from = match previous {
            Some((name, id)) if name == t.from => id,
            _ => state(&t.from),
        };
        previous = Some((&t.from, from));
        let to = state(&t.to);
        let next = events.len() as u32;
        let event = *events.entry(t.event.as_str()).or_insert(next);
        endpoints.push([from, event, to]);
    }
    (endpoints, events.len())
}

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

/// [`Finding::UnknownInitial`].
fn unknown_initial(def: &MachineDefinition) -> Finding {
    Finding::UnknownInitial {
        state: def.initial.clone(),
    }
}

/// Which states are terminal, reporting each [`Finding::UnknownTerminal`].
fn terminal_flags(
    def: &MachineDefinition,
    resolved: &Resolved<'_>,
    findings: &mut Vec<Finding>,
) -> Vec<bool> {
    let mut terminal = vec![false; resolved.len()];
    for t in &def.terminal {
        match resolved.id(t) {
            Some(i) => terminal[i as usize] = true,
            None => findings.push(Finding::UnknownTerminal { state: t.clone() }),
        }
    }
    terminal
}

/// Which states are re-openable, reporting each [`Finding::ReopenableNotTerminal`].
fn reopenable_flags(
    def: &MachineDefinition,
    resolved: &Resolved<'_>,
    terminal: &[bool],
    findings: &mut Vec<Finding>,
) -> Vec<bool> {
    let mut reopenable = vec![false; resolved.len()];
    for r in &def.reopenable {
        match resolved.id(r) {
            Some(i) if terminal[i as usize] => reopenable[i as usize] = true,
            _ => findings.push(Finding::ReopenableNotTerminal { state: r.clone() }),
        }
    }
    reopenable
}

/// [`Finding::UnknownState`] for the undeclared states of one transition (a self-loop on an
/// undeclared state is reported once).
fn unknown_states(t: &TransitionDef, from: u32, to: u32, findings: &mut Vec<Finding>) {
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
}

/// [`Finding::TerminalHasOutgoing`] for a transition leaving a terminal state that is not
/// re-openable.
fn terminal_has_outgoing(t: &TransitionDef) -> Finding {
    Finding::TerminalHasOutgoing {
        state: t.from.clone(),
        event: t.event.clone(),
        to: t.to.clone(),
    }
}

/// The known transitions (both states declared) grouped by source state: a stable counting
/// sort, so each state's transitions keep definition order.
struct BySource {
    /// `transitions[offsets[s]..offsets[s + 1]]` are the transitions leaving state `s`.
    offsets: Vec<u32>,
    /// Transition indices, grouped by source state.
    transitions: Vec<u32>,
}

impl BySource {
    fn new(resolved: &Resolved<'_>) -> Self {
        let n = resolved.len();
        let known = || {
            resolved
                .endpoints
                .iter()
                .enumerate()
                .filter(|(_, [from, _, to])| *from != NONE && *to != NONE)
        };
        let mut offsets = vec![0u32; n + 1];
        for (_, &[from, _, _]) in known() {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut transitions = vec![0u32; offsets[n] as usize];
        for (k, &[from, _, _]) in known() {
            transitions[cursor[from as usize] as usize] = k as u32;
            cursor[from as usize] += 1;
        }
        Self {
            offsets,
            transitions,
        }
    }

    /// The transitions leaving state `s`, in definition order.
    fn of(&self, s: usize) -> &[u32] {
        &self.transitions[self.offsets[s] as usize..self.offsets[s + 1] as usize]
    }

    /// The known transitions as a graph; node `i` is state `i`.
    fn graph(&self, resolved: &Resolved<'_>) -> DiGraph<(), ()> {
        let n = resolved.len();
        let mut graph = DiGraph::with_capacity(n, self.transitions.len());
        for _ in 0..n {
            graph.add_node(());
        }
        for &k in &self.transitions {
            let [from, _, to] = resolved.endpoints[k as usize];
            graph.add_edge(
                NodeIndex::new(from as usize),
                NodeIndex::new(to as usize),
                (),
            );
        }
        graph
    }
}

/// [`Finding::NonDeterministic`] for each `(state, event)` with more than one transition, in
/// the order of each pair's second transition.
fn non_deterministic(
    def: &MachineDefinition,
    resolved: &Resolved<'_>,
    by_source: &BySource,
    findings: &mut Vec<Finding>,
) {
    // Within one state's transitions an event may appear once. `seen[event]` holds the last
    // state that used the event and the transition that did.
    let mut seen = vec![(NONE, 0u32); resolved.events];
    // Conflicting transitions per (state, event), keyed by the second one.
    let mut conflicts: Vec<(u32, Vec<u32>)> = Vec::new();
    let mut conflict_of: FxHashMap<(u32, u32), usize> = FxHashMap::default();
    for s in 0..resolved.len() {
        for &k in by_source.of(s) {
            let event = resolved.endpoints[k as usize][1];
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
}

/// [`Finding::Unreachable`] for each state a depth-first search from the initial state does
/// not reach.
fn unreachable(graph: &DiGraph<(), ()>, initial: u32, names: &[&str], findings: &mut Vec<Finding>) {
    let mut dfs = Dfs::new(graph, NodeIndex::new(initial as usize));
    while dfs.next(graph).is_some() {}
    for (i, name) in names.iter().enumerate() {
        if !dfs.discovered.contains(i) {
            findings.push(Finding::Unreachable {
                state: name.to_string(),
            });
        }
    }
}

/// [`Finding::Trap`] for each non-terminal state from which no terminal state is reachable
/// (a depth-first search backward from all terminal states does not reach it).
fn traps(graph: &DiGraph<(), ()>, terminal: &[bool], names: &[&str], findings: &mut Vec<Finding>) {
    let reversed = Reversed(graph);
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
                state: names[i].to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn empty_blank_and_control_names_are_findings_once_each() {
        let mut guarded = t("", "", "b\u{1b}[31m");
        guarded.guard = Some(" ".into());
        let def = MachineDefinition::new("", "")
            .with_terminal("b\u{1b}[31m")
            .with_transition(guarded);
        let names: Vec<(String, String, String)> = validate(&def)
            .into_iter()
            .filter_map(|f| match f {
                Finding::InvalidName { role, name, reason } => Some((role, name, reason)),
                _ => None,
            })
            .collect();
        let row = |r: &str, n: &str, why: &str| (r.to_string(), n.to_string(), why.to_string());
        assert_eq!(
            names,
            vec![
                row("machine", "", "is empty"),
                row("state", "", "is empty"),
                row("state", "b\u{1b}[31m", "holds a control character"),
                row("event", "", "is empty"),
                row("guard", " ", "is only white space"),
            ]
        );
        // Shown escaped, never raw.
        let text = Finding::InvalidName {
            role: "state".into(),
            name: "b\u{1b}".into(),
            reason: "holds a control character".into(),
        }
        .to_string();
        assert!(!text.contains('\u{1b}'), "{text}");
        // Names with spaces and non-ASCII letters are fine.
        let ok = MachineDefinition::new("客户 lifecycle", "新 客户")
            .with_terminal("won over")
            .with_transition(t("新 客户", "sign up", "won over"));
        assert_eq!(validate(&ok), vec![]);
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
        let msg = crate::ValidationError {
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
