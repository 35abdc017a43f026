//! Compiled, validated machines with constant-time transition lookup.

use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, EdgeRef};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::definition::{LoadError, MachineDefinition};
use crate::finding::ValidationError;
use crate::validation::validate;

/// The dense index of a state in one [`Machine`].
///
/// ```
/// use crm_lifecycle::{MachineDefinition, TransitionDef};
/// let m = MachineDefinition::new("m", "a").with_terminal("b")
///     .with_transition(TransitionDef::new("a", "go", "b")).build()?;
/// assert_eq!(m.state_id("a").map(|s| s.index()), Some(0));
/// # Ok::<(), crm_lifecycle::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StateId(u32);

impl StateId {
    pub(crate) const fn new(index: u32) -> Self {
        Self(index)
    }

    /// The index, `0..machine.state_count()`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The dense index of an event name in one [`Machine`].
///
/// ```
/// use crm_lifecycle::{MachineDefinition, TransitionDef};
/// let m = MachineDefinition::new("m", "a").with_terminal("b")
///     .with_transition(TransitionDef::new("a", "go", "b")).build()?;
/// assert_eq!(m.event_id("go").map(|e| e.index()), Some(0));
/// # Ok::<(), crm_lifecycle::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId(u32);

impl EventId {
    /// The index, `0..machine.event_count()`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One compiled transition as seen from its source state.
///
/// ```
/// use crm_lifecycle::{MachineDefinition, TransitionDef};
/// let m = MachineDefinition::new("m", "a").with_terminal("b")
///     .with_transition(TransitionDef::new("a", "go", "b").with_guard("ready")).build()?;
/// let t = m.transition(m.state_id("a").unwrap(), m.event_id("go").unwrap()).unwrap();
/// assert_eq!(m.state_name(t.to), "b");
/// assert_eq!(t.guard, Some("ready"));
/// # Ok::<(), crm_lifecycle::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<'m> {
    /// The target state.
    pub to: StateId,
    /// The guard that must allow the transition, if any.
    pub guard: Option<&'m str>,
}

const NONE: u32 = u32::MAX;
/// Largest `states × events` table kept dense (16 MiB of `u32`).
const DENSE_LIMIT: usize = 1 << 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    to: u32,
    guard: u32,
}

#[derive(Debug, Clone)]
enum Table {
    Dense(Vec<Cell>),
    Sparse(FxHashMap<(u32, u32), Cell>),
}

/// A validated state machine, ready to run.
///
/// [`Machine`] is built from a [`MachineDefinition`] by [`MachineDefinition::build`] (which
/// validates first). State and event names are interned to dense indices ([`StateId`],
/// [`EventId`]); the transition relation is a flat `state × event` table when that table is
/// small (at most 4 Mi cells) and a hash map keyed by `(state, event)` otherwise, so
/// [`Machine::step`] is O(1) either way.
///
/// A machine is immutable, holds no global state and is `Send + Sync`; share it with `Arc` or
/// by reference. It serializes as its definition and deserializing validates again.
///
/// ```
/// use crm_lifecycle::{MachineDefinition, TransitionDef};
///
/// let machine = MachineDefinition::new("switch", "off")
///     .with_terminal("broken")
///     .with_transition(TransitionDef::new("off", "toggle", "on"))
///     .with_transition(TransitionDef::new("on", "toggle", "off"))
///     .with_transition(TransitionDef::new("on", "overload", "broken"))
///     .build()?;
/// let off = machine.state_id("off").unwrap();
/// let toggle = machine.event_id("toggle").unwrap();
/// let on = machine.step(off, toggle).unwrap();
/// assert_eq!(machine.state_name(on), "on");
/// assert_eq!(machine.next_state("off", "overload"), None);
/// # Ok::<(), crm_lifecycle::ValidationError>(())
/// ```
///
/// ```
/// use crm_lifecycle::MachineDefinition;
/// let m = MachineDefinition::from_toml(r#"
/// name = "m"
/// initial = "a"
/// terminal = ["b"]
/// [[transition]]
/// from = "a"
/// event = "go"
/// to = "b"
/// "#)?.build()?;
/// assert_eq!(m.name(), "m");
/// assert_eq!(m.initial(), "a");
/// assert!(m.is_terminal("b"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "MachineDefinition", into = "MachineDefinition")]
pub struct Machine {
    name: Arc<str>,
    states: Vec<Arc<str>>,
    events: Vec<Arc<str>>,
    guards: Vec<Arc<str>>,
    state_index: FxHashMap<Arc<str>, u32>,
    event_index: FxHashMap<Arc<str>, u32>,
    initial: u32,
    terminal: Vec<bool>,
    table: Table,
    /// The transitions as a graph: node `i` is state `i`, each edge carries its event index.
    /// Edges are added in reverse definition order, because a `petgraph` graph lists a
    /// node's edges newest first: iterating a state's edges yields definition order.
    graph: DiGraph<(), u32>,
    definition: MachineDefinition,
}

impl PartialEq for Machine {
    fn eq(&self, other: &Self) -> bool {
        self.definition == other.definition
    }
}

impl Eq for Machine {}

impl TryFrom<MachineDefinition> for Machine {
    type Error = ValidationError;

    fn try_from(def: MachineDefinition) -> Result<Self, Self::Error> {
        def.build()
    }
}

impl From<Machine> for MachineDefinition {
    fn from(machine: Machine) -> Self {
        machine.definition
    }
}

fn intern(name: &str, index: &mut FxHashMap<Arc<str>, u32>, names: &mut Vec<Arc<str>>) -> u32 {
    if let Some(&i) = index.get(name) {
        return i;
    }
    let arc: Arc<str> = Arc::from(name);
    let i = names.len() as u32;
    names.push(Arc::clone(&arc));
    index.insert(arc, i);
    i
}

impl MachineDefinition {
    /// Validates the definition and compiles it into a runnable [`Machine`]; every finding is
    /// reported at once in the [`ValidationError`].
    ///
    /// ```
    /// use crm_lifecycle::{MachineDefinition, TransitionDef};
    /// let bad = MachineDefinition::new("m", "a")
    ///     .with_terminal("z")
    ///     .with_transition(TransitionDef::new("a", "go", "b")); // b is a trap
    /// let err = bad.build().unwrap_err();
    /// assert_eq!(err.findings.len(), 3); // z is unreachable; a and b are traps
    /// ```
    pub fn build(&self) -> Result<Machine, ValidationError> {
        let findings = validate(self);
        if findings.is_empty() {
            Ok(Machine::compile(self))
        } else {
            Err(ValidationError {
                machine: self.name.clone(),
                findings,
            })
        }
    }
}

impl Machine {
    /// Compiles a definition that has already passed validation.
    pub(crate) fn compile(def: &MachineDefinition) -> Self {
        let mut states = Vec::new();
        let mut state_index = FxHashMap::default();
        for name in def.state_names() {
            intern(name, &mut state_index, &mut states);
        }
        let mut events = Vec::new();
        let mut event_index = FxHashMap::default();
        let mut guards = Vec::new();
        let mut guard_index = FxHashMap::default();
        let mut compiled = Vec::with_capacity(def.transitions.len());
        for t in &def.transitions {
            let from = state_index[t.from.as_str()];
            let to = state_index[t.to.as_str()];
            let event = intern(&t.event, &mut event_index, &mut events);
            let guard = t
                .guard
                .as_deref()
                .map_or(NONE, |g| intern(g, &mut guard_index, &mut guards));
            compiled.push((from, event, Cell { to, guard }));
        }
        let cells = states.len().saturating_mul(events.len());
        let table = if cells <= DENSE_LIMIT {
            let mut dense = vec![
                Cell {
                    to: NONE,
                    guard: NONE
                };
                cells
            ];
            for &(from, event, cell) in &compiled {
                dense[from as usize * events.len() + event as usize] = cell;
            }
            Table::Dense(dense)
        } else {
            Table::Sparse(
                compiled
                    .iter()
                    .map(|&(from, event, cell)| ((from, event), cell))
                    .collect(),
            )
        };
        let mut graph = DiGraph::with_capacity(states.len(), compiled.len());
        for _ in 0..states.len() {
            graph.add_node(());
        }
        for &(from, event, cell) in compiled.iter().rev() {
            graph.add_edge(node(from), node(cell.to), event);
        }
        let mut terminal = vec![false; states.len()];
        for t in &def.terminal {
            terminal[state_index[t.as_str()] as usize] = true;
        }
        Self {
            name: Arc::from(def.name.as_str()),
            initial: state_index[def.initial.as_str()],
            states,
            events,
            guards,
            state_index,
            event_index,
            terminal,
            table,
            graph,
            definition: def.clone(),
        }
    }

    /// Loads, validates and compiles a TOML definition.
    ///
    /// ```
    /// use crm_lifecycle::Machine;
    /// let m = Machine::from_toml("name = \"m\"\ninitial = \"a\"\nterminal = [\"a\"]\n")?;
    /// assert_eq!(m.state_count(), 1);
    /// assert!(Machine::from_toml("name = \"m\"\ninitial = \"a\"\n").is_err()); // no terminal
    /// # Ok::<(), crm_lifecycle::LoadError>(())
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, LoadError> {
        Ok(MachineDefinition::from_toml(text)?.build()?)
    }

    /// Loads, validates and compiles a JSON definition.
    ///
    /// ```
    /// use crm_lifecycle::Machine;
    /// let m = Machine::from_json(r#"{"name":"m","initial":"a","terminal":["a"]}"#)?;
    /// assert_eq!(m.initial(), "a");
    /// # Ok::<(), crm_lifecycle::LoadError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        Ok(MachineDefinition::from_json(text)?.build()?)
    }

    /// The definition this machine was compiled from.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert_eq!(TICKET_WORKFLOW.machine().definition().name, "ticket");
    /// ```
    pub fn definition(&self) -> &MachineDefinition {
        &self.definition
    }

    /// The machine's name.
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// assert_eq!(DEAL_PIPELINE.machine().name(), "deal");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of states.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert_eq!(TICKET_WORKFLOW.machine().state_count(), 6);
    /// ```
    pub fn state_count(&self) -> usize {
        self.states.len()
    }

    /// The number of distinct event names.
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// assert!(DEAL_PIPELINE.machine().event_count() >= 3);
    /// ```
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    /// The state names in index order.
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// let m = DEAL_PIPELINE.machine();
    /// assert_eq!(m.states().next(), Some("qualification"));
    /// ```
    pub fn states(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.states.iter().map(|s| &**s)
    }

    /// The event names in index order.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert!(TICKET_WORKFLOW.machine().events().any(|e| e == "reopen"));
    /// ```
    pub fn events(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.events.iter().map(|s| &**s)
    }

    /// The initial state's name.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert_eq!(TICKET_WORKFLOW.machine().initial(), "new");
    /// ```
    pub fn initial(&self) -> &str {
        &self.states[self.initial as usize]
    }

    /// The initial state's id.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// assert_eq!(m.state_name(m.initial_id()), "new");
    /// ```
    pub fn initial_id(&self) -> StateId {
        StateId(self.initial)
    }

    /// Whether the named state is terminal (`false` for unknown names).
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert!(TICKET_WORKFLOW.machine().is_terminal("closed"));
    /// assert!(!TICKET_WORKFLOW.machine().is_terminal("open"));
    /// ```
    pub fn is_terminal(&self, state: &str) -> bool {
        self.state_id(state)
            .is_some_and(|s| self.terminal[s.index()])
    }

    /// Whether the state with this id is terminal.
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// let m = DEAL_PIPELINE.machine();
    /// assert!(m.is_terminal_id(m.state_id("won").unwrap()));
    /// ```
    pub fn is_terminal_id(&self, state: StateId) -> bool {
        self.terminal.get(state.index()).copied().unwrap_or(false)
    }

    /// The id of a state name.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert!(TICKET_WORKFLOW.machine().state_id("pending").is_some());
    /// assert!(TICKET_WORKFLOW.machine().state_id("limbo").is_none());
    /// ```
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.state_index.get(name).map(|&i| StateId(i))
    }

    /// The id of an event name.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert!(TICKET_WORKFLOW.machine().event_id("solve").is_some());
    /// ```
    pub fn event_id(&self, name: &str) -> Option<EventId> {
        self.event_index.get(name).map(|&i| EventId(i))
    }

    /// The name of a state id (empty for an id of another, larger machine).
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// assert_eq!(m.state_name(m.state_id("open").unwrap()), "open");
    /// ```
    pub fn state_name(&self, state: StateId) -> &str {
        self.states.get(state.index()).map_or("", |s| s)
    }

    /// The name of an event id (empty for an id of another, larger machine).
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// assert_eq!(m.event_name(m.event_id("close").unwrap()), "close");
    /// ```
    pub fn event_name(&self, event: EventId) -> &str {
        self.events.get(event.index()).map_or("", |s| s)
    }

    pub(crate) fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    pub(crate) fn terminal_flags(&self) -> &[bool] {
        &self.terminal
    }

    pub(crate) fn state_arc(&self, state: StateId) -> &Arc<str> {
        &self.states[state.index()]
    }

    pub(crate) fn event_arc(&self, event: EventId) -> &Arc<str> {
        &self.events[event.index()]
    }

    /// The transition leaving `state` on `event`, if any: O(1).
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// let t = m.transition(m.state_id("solved").unwrap(), m.event_id("reopen").unwrap());
    /// assert_eq!(t.map(|t| m.state_name(t.to)), Some("open"));
    /// ```
    #[inline]
    pub fn transition(&self, state: StateId, event: EventId) -> Option<Transition<'_>> {
        let cell = match &self.table {
            Table::Dense(cells) => {
                if state.index() >= self.states.len() || event.index() >= self.events.len() {
                    return None;
                }
                cells[state.index() * self.events.len() + event.index()]
            }
            Table::Sparse(map) => *map.get(&(state.0, event.0))?,
        };
        if cell.to == NONE {
            return None;
        }
        Some(Transition {
            to: StateId(cell.to),
            guard: (cell.guard != NONE).then(|| &*self.guards[cell.guard as usize]),
        })
    }

    /// The target of the transition leaving `state` on `event`, ignoring guards: O(1).
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// let m = DEAL_PIPELINE.machine();
    /// let q = m.state_id("qualification").unwrap();
    /// let lose = m.event_id("lose").unwrap();
    /// assert_eq!(m.step(q, lose).map(|s| m.state_name(s)), Some("lost"));
    /// ```
    #[inline]
    pub fn step(&self, state: StateId, event: EventId) -> Option<StateId> {
        self.transition(state, event).map(|t| t.to)
    }

    /// The target state by names, ignoring guards.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// assert_eq!(TICKET_WORKFLOW.machine().next_state("new", "assign"), Some("open"));
    /// assert_eq!(TICKET_WORKFLOW.machine().next_state("closed", "reopen"), None);
    /// ```
    pub fn next_state(&self, state: &str, event: &str) -> Option<&str> {
        let to = self.step(self.state_id(state)?, self.event_id(event)?)?;
        Some(self.state_name(to))
    }

    /// The `(event, target)` pairs leaving a state, in definition order.
    ///
    /// ```
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// let out: Vec<_> = m.outgoing(m.state_id("solved").unwrap())
    ///     .map(|(e, s)| (m.event_name(e), m.state_name(s)))
    ///     .collect();
    /// assert!(out.contains(&("reopen", "open")));
    /// ```
    pub fn outgoing(&self, state: StateId) -> impl Iterator<Item = (EventId, StateId)> + '_ {
        self.graph
            .edges(node(state.0))
            .map(|e| (EventId(*e.weight()), StateId(e.target().index() as u32)))
    }

    /// A shortest sequence of events leading from `from` to `to` (breadth-first search over
    /// the transitions, ignoring guards); `Some(vec![])` when `from == to`, `None` when `to`
    /// cannot be reached. Among equally short paths it takes the one whose transitions come
    /// first in definition order.
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// let m = DEAL_PIPELINE.machine();
    /// let path = m.shortest_path(m.state_id("qualification").unwrap(), m.state_id("proposal").unwrap());
    /// assert_eq!(path.map(|p| p.len()), Some(2));
    /// assert_eq!(m.shortest_path(m.state_id("won").unwrap(), m.state_id("lost").unwrap()), None);
    /// ```
    pub fn shortest_path(&self, from: StateId, to: StateId) -> Option<Vec<EventId>> {
        let n = self.states.len();
        if from.index() >= n || to.index() >= n {
            return None;
        }
        // Each state's predecessor on the breadth-first tree: the state whose expansion
        // discovered it, and that state's first transition to it.
        let mut parent: Vec<Option<(NodeIndex, u32)>> = vec![None; n];
        let (start, goal) = (node(from.0), node(to.0));
        let mut bfs = Bfs::new(&self.graph, start);
        while let Some(state) = bfs.next(&self.graph) {
            if state == goal {
                let mut path = Vec::new();
                let mut cur = goal;
                while let Some((prev, event)) = parent[cur.index()] {
                    path.push(EventId(event));
                    cur = prev;
                }
                path.reverse();
                return Some(path);
            }
            for edge in self.graph.edges(state) {
                let next = edge.target();
                if next != start && parent[next.index()].is_none() {
                    parent[next.index()] = Some((state, *edge.weight()));
                }
            }
        }
        None
    }
}

/// The graph node of a state index.
fn node(state: u32) -> NodeIndex {
    NodeIndex::new(state as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::TransitionDef;

    fn sample() -> MachineDefinition {
        MachineDefinition::new("m", "a")
            .with_terminal("c")
            .with_transition(TransitionDef::new("a", "go", "b"))
            .with_transition(TransitionDef::new("b", "go", "c").with_guard("g"))
            .with_transition(TransitionDef::new("b", "back", "a"))
    }

    #[test]
    fn dense_and_sparse_tables_agree() {
        let def = sample();
        let dense = def.build().unwrap();
        let mut sparse = dense.clone();
        sparse.table = Table::Sparse(
            def.transitions
                .iter()
                .map(|t| {
                    let from = dense.state_id(&t.from).unwrap().0;
                    let event = dense.event_id(&t.event).unwrap().0;
                    let to = dense.state_id(&t.to).unwrap().0;
                    let guard = if t.guard.is_some() { 0 } else { NONE };
                    ((from, event), Cell { to, guard })
                })
                .collect(),
        );
        for s in 0..3 {
            for e in 0..2 {
                assert_eq!(
                    dense.transition(StateId(s), EventId(e)),
                    sparse.transition(StateId(s), EventId(e))
                );
            }
        }
        assert_eq!(dense.next_state("b", "go"), Some("c"));
        assert_eq!(dense.next_state("c", "go"), None);
        assert_eq!(dense.transition(StateId(9), EventId(0)), None);
        assert_eq!(sparse.transition(StateId(9), EventId(0)), None);
    }

    #[test]
    fn run_time_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Machine>();
        assert_send_sync::<crate::instance::Instance>();
        assert_send_sync::<crate::guard::Guards<str>>();
        assert_send_sync::<crate::ticket::sla::SlaPolicy>();
        assert_send_sync::<crate::customer::classifier::Classifier>();
    }

    #[test]
    fn serde_round_trip_revalidates() {
        let m = sample().build().unwrap();
        let json = serde_json::to_string(&m).unwrap();
        let back: Machine = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let bad = json.replace("\"c\"]", "\"zz\"]");
        assert!(serde_json::from_str::<Machine>(&bad).is_err());
    }

    #[test]
    fn shortest_path_follows_transitions() {
        let m = sample().build().unwrap();
        let a = m.state_id("a").unwrap();
        let c = m.state_id("c").unwrap();
        let path = m.shortest_path(a, c).unwrap();
        let names: Vec<_> = path.iter().map(|&e| m.event_name(e)).collect();
        assert_eq!(names, vec!["go", "go"]);
        assert_eq!(m.shortest_path(c, a), None);
        assert_eq!(m.shortest_path(a, a), Some(vec![]));
        assert_eq!(m.shortest_path(a, StateId(9)), None);
    }

    /// Among equally short paths the one whose transitions come first in the definition
    /// wins, at every step.
    #[test]
    fn shortest_path_prefers_definition_order() {
        let m = MachineDefinition::new("m", "a")
            .with_terminal("d")
            .with_transition(TransitionDef::new("a", "via_c", "c"))
            .with_transition(TransitionDef::new("a", "via_b", "b"))
            .with_transition(TransitionDef::new("b", "end", "d"))
            .with_transition(TransitionDef::new("c", "end", "d"))
            .with_transition(TransitionDef::new("c", "also", "d"))
            .build()
            .unwrap();
        let path = m
            .shortest_path(m.state_id("a").unwrap(), m.state_id("d").unwrap())
            .unwrap();
        let names: Vec<_> = path.iter().map(|&e| m.event_name(e)).collect();
        assert_eq!(names, vec!["via_c", "end"]);
    }

    #[test]
    fn outgoing_lists_transitions_in_definition_order() {
        let m = sample().build().unwrap();
        let b = m.state_id("b").unwrap();
        let out: Vec<(&str, &str)> = m
            .outgoing(b)
            .map(|(e, s)| (m.event_name(e), m.state_name(s)))
            .collect();
        assert_eq!(out, vec![("go", "c"), ("back", "a")]);
        assert_eq!(m.outgoing(StateId(9)).count(), 0);
    }
}
