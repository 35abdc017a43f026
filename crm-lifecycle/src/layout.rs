//! A layered (Sugiyama-style) layout of a machine's state graph, for drawing it.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::DfsPostOrder;
use rustc_hash::FxHashMap;

use crate::machine::{EventId, Machine, StateId};

/// Rounds of barycentre ordering (each a sweep down and a sweep up the layers).
const ORDERING_ROUNDS: usize = 12;

/// What occupies one place of a layer in a [`LayeredLayout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerSlot {
    /// A state.
    State(StateId),
    /// A bend of a long edge passing through this layer: the index of the edge in
    /// [`LayeredLayout::edges`].
    Bend(usize),
}

/// How an edge of a [`LayeredLayout`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayoutEdgeKind {
    /// From a layer to a later one (left to right when the layers are drawn left to right).
    Forward,
    /// From a layer back to an earlier one: an edge that closes a cycle.
    Back,
    /// From a state to itself.
    SelfLoop,
}

/// One edge of a [`LayeredLayout`]: every transition from one state to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutEdge {
    /// The source state.
    pub from: StateId,
    /// The target state.
    pub to: StateId,
    /// The events of the transitions it stands for, in definition order.
    pub events: Vec<EventId>,
    /// Whether it runs forward, back or from a state to itself.
    pub kind: LayoutEdgeKind,
    /// The places `(layer, index)` of its bends, one in each layer strictly between the
    /// layers of `from` and `to`, in order from `from` to `to` (empty for edges between
    /// neighbouring layers and for self-loops).
    pub bends: Vec<(usize, usize)>,
}

/// A layered layout of a machine's states, the classic first steps of a Sugiyama drawing.
///
/// 1. **Cycles.** A depth-first search from the initial state (following each state's
///    transitions in definition order, then from any state not yet reached) finds the back
///    edges; without them the graph is acyclic.
/// 2. **Layers.** Each state's layer is the length of the longest path of forward edges
///    from a state without incoming forward edges (the initial state, in a valid machine),
///    so every forward edge runs to a strictly later layer and every back edge to a strictly
///    earlier one.
/// 3. **Bends.** An edge spanning several layers gets a bend in every layer it passes, so
///    that every piece of every edge joins two neighbouring layers.
/// 4. **Order.** The places within each layer are ordered by the barycentre heuristic
///    (sweeps down and up the layers), keeping the order with the fewest crossings.
///
/// Edges group the transitions between one ordered pair of states. The layout says where
/// things go, not how big they are: a renderer turns layers into columns (or rows) and
/// indices into positions along them. It is meant for machines small enough to draw (tens
/// or hundreds of states): every edge gets a bend in each layer it spans.
///
/// ```
/// use crm_lifecycle::{LayerSlot, LayoutEdgeKind, TICKET_WORKFLOW};
///
/// let m = TICKET_WORKFLOW.machine();
/// let layout = m.layered_layout();
/// let state = |name| m.state_id(name).unwrap();
/// // new → open → pending → on_hold → solved → closed, by longest path
/// let layer = |name| layout.place(state(name)).unwrap().0;
/// let order: Vec<usize> = ["new", "open", "pending", "on_hold", "solved", "closed"]
///     .map(layer)
///     .to_vec();
/// assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
/// // reopening closes a cycle: it runs back, through bends in on_hold's and pending's layers
/// let reopen = layout.edges().iter().find(|e| e.from == state("solved") && e.to == state("open")).unwrap();
/// assert_eq!(reopen.kind, LayoutEdgeKind::Back);
/// assert_eq!(reopen.bends.iter().map(|b| b.0).collect::<Vec<_>>(), vec![3, 2]);
/// assert!(layout.layers()[0] == vec![LayerSlot::State(state("new"))]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayeredLayout {
    layers: Vec<Vec<LayerSlot>>,
    places: Vec<(usize, usize)>,
    edges: Vec<LayoutEdge>,
    crossings: usize,
}

impl LayeredLayout {
    /// The layers, first to last; each lists its places in order.
    ///
    /// ```
    /// use crm_lifecycle::{DEAL_PIPELINE, LayerSlot};
    /// let m = DEAL_PIPELINE.machine();
    /// let layout = m.layered_layout();
    /// let states = |layer: &[LayerSlot]| layer.iter().filter(|s| matches!(s, LayerSlot::State(_))).count();
    /// let per_layer: Vec<usize> = layout.layers().iter().map(|l| states(l)).collect();
    /// assert_eq!(per_layer, vec![1, 1, 1, 1, 2]); // won and lost share the last layer
    /// ```
    pub fn layers(&self) -> &[Vec<LayerSlot>] {
        &self.layers
    }

    /// The place `(layer, index)` of a state (`None` for an id of another, larger machine).
    ///
    /// ```
    /// use crm_lifecycle::CUSTOMER_LIFECYCLE;
    /// let m = CUSTOMER_LIFECYCLE.machine();
    /// let layout = m.layered_layout();
    /// assert_eq!(layout.place(m.initial_id()).map(|p| p.0), Some(0));
    /// ```
    pub fn place(&self, state: StateId) -> Option<(usize, usize)> {
        self.places.get(state.index()).copied()
    }

    /// The edges, in order of each pair's first transition in the definition.
    ///
    /// ```
    /// use crm_lifecycle::{LayoutEdgeKind, TICKET_WORKFLOW};
    /// let layout = TICKET_WORKFLOW.machine().layered_layout();
    /// let back = layout.edges().iter().filter(|e| e.kind == LayoutEdgeKind::Back).count();
    /// assert_eq!(back, 4); // customer_reply, resume, wait_on_customer from on_hold, reopen
    /// ```
    pub fn edges(&self) -> &[LayoutEdge] {
        &self.edges
    }

    /// The number of crossings between edge pieces of neighbouring layers in this order.
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// assert_eq!(DEAL_PIPELINE.machine().layered_layout().crossings(), 0);
    /// ```
    pub fn crossings(&self) -> usize {
        self.crossings
    }
}

impl Machine {
    /// The machine's states in layers, left to right from the initial state, with back
    /// edges and bends marked, ready to be drawn (see [`LayeredLayout`]).
    ///
    /// ```
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// let m = DEAL_PIPELINE.machine();
    /// let layout = m.layered_layout();
    /// assert_eq!(layout.layers().len(), 5);
    /// assert_eq!(layout.place(m.state_id("won").unwrap()).map(|p| p.0), Some(4));
    /// ```
    pub fn layered_layout(&self) -> LayeredLayout {
        let mut edges = self.layout_edges();
        let graph = edge_graph(self.state_count(), &edges);
        let finished = finish_order(&graph, self.initial_id().index());
        classify(&mut edges, &finished);
        let layer = longest_path_layers(&graph, &edges, &finished);
        let mut slots = Slots::new(&layer, &edges);
        let crossings = slots.order();
        slots.into_layout(edges, crossings)
    }

    /// The edges of the layout: the transitions grouped by `(from, to)`, in order of each
    /// pair's first transition; all of them forward until [`classify`] marks them.
    fn layout_edges(&self) -> Vec<LayoutEdge> {
        let mut edges: Vec<LayoutEdge> = Vec::new();
        let mut of_pair: FxHashMap<(StateId, StateId), usize> = FxHashMap::default();
        for t in &self.definition().transitions {
            let (Some(from), Some(to), Some(event)) = (
                self.state_id(&t.from),
                self.state_id(&t.to),
                self.event_id(&t.event),
            ) else {
                continue;
            };
            let k = *of_pair.entry((from, to)).or_insert_with(|| {
                edges.push(LayoutEdge {
                    from,
                    to,
                    events: Vec::new(),
                    kind: LayoutEdgeKind::Forward,
                    bends: Vec::new(),
                });
                edges.len() - 1
            });
            edges[k].events.push(event);
        }
        edges
    }
}

/// The edges as a graph whose edges carry their index, added in order: a `petgraph` graph
/// lists a node's edges newest first, and the post-order search pushes them in that order
/// and takes the last pushed first, so it follows each state's edges in definition order.
fn edge_graph(n: usize, edges: &[LayoutEdge]) -> DiGraph<(), usize> {
    let mut graph = DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        graph.add_node(());
    }
    for (k, e) in edges.iter().enumerate() {
        graph.add_edge(
            NodeIndex::new(e.from.index()),
            NodeIndex::new(e.to.index()),
            k,
        );
    }
    graph
}

/// Each state's position in the finishing order of a depth-first search from `initial`,
/// then from every state not yet reached, in index order.
fn finish_order(graph: &DiGraph<(), usize>, initial: usize) -> Vec<usize> {
    let n = graph.node_count();
    let mut finished = vec![0; n];
    let mut dfs = DfsPostOrder::empty(graph);
    let mut count = 0;
    for start in std::iter::once(initial).chain(0..n) {
        dfs.move_to(NodeIndex::new(start));
        while let Some(state) = dfs.next(graph) {
            finished[state.index()] = count;
            count += 1;
        }
    }
    finished
}

/// Marks self-loops, and back edges: an edge into a state that finishes later than its
/// source is an edge to an ancestor on the search's path. Every other edge runs to a state
/// that finishes earlier, so ordering states by decreasing finish sorts them topologically.
fn classify(edges: &mut [LayoutEdge], finished: &[usize]) {
    for e in edges {
        e.kind = if e.from == e.to {
            LayoutEdgeKind::SelfLoop
        } else if finished[e.to.index()] > finished[e.from.index()] {
            LayoutEdgeKind::Back
        } else {
            LayoutEdgeKind::Forward
        };
    }
}

/// Each state's layer: the longest path of forward edges leading to it.
fn longest_path_layers(
    graph: &DiGraph<(), usize>,
    edges: &[LayoutEdge],
    finished: &[usize],
) -> Vec<usize> {
    let n = graph.node_count();
    let mut topological: Vec<usize> = (0..n).collect();
    topological.sort_unstable_by_key(|&s| std::cmp::Reverse(finished[s]));
    let mut layer = vec![0; n];
    for s in topological {
        for edge in graph.edges(NodeIndex::new(s)) {
            let e = &edges[*edge.weight()];
            if e.kind == LayoutEdgeKind::Forward {
                layer[e.to.index()] = layer[e.to.index()].max(layer[s] + 1);
            }
        }
    }
    layer
}

/// The places of the layout while they are being ordered: states `0..n`, then the bends.
struct Slots {
    /// The number of states.
    states: usize,
    /// What each place holds.
    what: Vec<LayerSlot>,
    /// Each place's layer.
    layer: Vec<usize>,
    /// Each edge's places, from the earlier layer to the later one.
    paths: Vec<Vec<usize>>,
    /// The places of each layer, in order.
    order: Vec<Vec<usize>>,
    /// The neighbours of each place in the previous and in the next layer.
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
}

impl Slots {
    /// The states in their layers and a bend wherever an edge passes a layer; initially
    /// the states of a layer come in index order, followed by the bends in edge order.
    fn new(state_layer: &[usize], edges: &[LayoutEdge]) -> Self {
        let n = state_layer.len();
        let mut what: Vec<LayerSlot> = (0..n as u32)
            .map(|s| LayerSlot::State(StateId::new(s)))
            .collect();
        let mut layer = state_layer.to_vec();
        let mut paths = Vec::with_capacity(edges.len());
        for (k, e) in edges.iter().enumerate() {
            let (a, b) = (e.from.index(), e.to.index());
            let (first, last) = if layer[a] <= layer[b] { (a, b) } else { (b, a) };
            let mut path = vec![first];
            for l in layer[first] + 1..layer[last] {
                path.push(what.len());
                what.push(LayerSlot::Bend(k));
                layer.push(l);
            }
            if last != first {
                path.push(last);
            }
            paths.push(path);
        }
        let depth = layer.iter().max().map_or(0, |&l| l + 1);
        let mut order = vec![Vec::new(); depth];
        for (slot, &l) in layer.iter().enumerate() {
            order[l].push(slot);
        }
        let mut up = vec![Vec::new(); what.len()];
        let mut down = vec![Vec::new(); what.len()];
        for path in &paths {
            for pair in path.windows(2) {
                down[pair[0]].push(pair[1]);
                up[pair[1]].push(pair[0]);
            }
        }
        Self {
            states: n,
            what,
            layer,
            paths,
            order,
            up,
            down,
        }
    }

    /// Orders the layers by barycentre sweeps and keeps the best order; returns its
    /// number of crossings.
    fn order(&mut self) -> usize {
        let mut best = self.order.clone();
        let mut fewest = self.crossings();
        for _ in 0..ORDERING_ROUNDS {
            if fewest == 0 {
                break;
            }
            for l in 1..self.order.len() {
                self.sort_by_barycentre(l, true);
            }
            for l in (0..self.order.len().saturating_sub(1)).rev() {
                self.sort_by_barycentre(l, false);
            }
            self.transpose();
            let crossings = self.crossings();
            if crossings < fewest {
                fewest = crossings;
                best = self.order.clone();
            }
        }
        self.order = best;
        fewest
    }

    /// Swaps neighbouring places of a layer wherever that removes crossings with the layers
    /// on either side, until no swap helps (at most [`ORDERING_ROUNDS`] passes).
    fn transpose(&mut self) {
        for _ in 0..ORDERING_ROUNDS {
            let mut improved = false;
            for l in 0..self.order.len() {
                let mut position = self.positions();
                for i in 0..self.order[l].len().saturating_sub(1) {
                    let (u, v) = (self.order[l][i], self.order[l][i + 1]);
                    let now = self.pair_crossings(u, v, &position);
                    let swapped = self.pair_crossings(v, u, &position);
                    if swapped < now {
                        self.order[l].swap(i, i + 1);
                        position.swap(u, v);
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    /// The crossings between the edge pieces of `u` and of `v`, with `u` placed just above
    /// `v`: pairs whose other ends come in the other order.
    fn pair_crossings(&self, u: usize, v: usize, position: &[usize]) -> usize {
        [&self.up, &self.down]
            .iter()
            .map(|near| {
                near[u]
                    .iter()
                    .map(|&a| {
                        near[v]
                            .iter()
                            .filter(|&&b| position[a] > position[b])
                            .count()
                    })
                    .sum::<usize>()
            })
            .sum()
    }

    /// Sorts layer `l` by the mean position of each place's neighbours in the previous
    /// layer (`from_above`) or the next one; places without such neighbours keep their
    /// position, and ties keep their order.
    fn sort_by_barycentre(&mut self, l: usize, from_above: bool) {
        let position = self.positions();
        let neighbours = if from_above { &self.up } else { &self.down };
        let mut keyed: Vec<(f64, usize)> = self.order[l]
            .iter()
            .map(|&slot| {
                let near = &neighbours[slot];
                let key = if near.is_empty() {
                    position[slot] as f64
                } else {
                    near.iter().map(|&p| position[p] as f64).sum::<f64>() / near.len() as f64
                };
                (key, slot)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.order[l] = keyed.into_iter().map(|(_, slot)| slot).collect();
    }

    /// Each place's index within its layer.
    fn positions(&self) -> Vec<usize> {
        let mut position = vec![0; self.what.len()];
        for layer in &self.order {
            for (i, &slot) in layer.iter().enumerate() {
                position[slot] = i;
            }
        }
        position
    }

    /// The crossings between neighbouring layers: with the pieces sorted by their upper
    /// end, each pair whose lower ends come in the other order crosses (counted with a
    /// Fenwick tree, so `O(pieces · log places)`).
    fn crossings(&self) -> usize {
        let position = self.positions();
        let mut total = 0;
        for l in 0..self.order.len().saturating_sub(1) {
            let mut pieces: Vec<(usize, usize)> = self.order[l]
                .iter()
                .flat_map(|&a| self.down[a].iter().map(move |&b| (a, b)))
                .map(|(a, b)| (position[a], position[b]))
                .collect();
            pieces.sort_unstable();
            let width = self.order[l + 1].len();
            let mut tree = vec![0usize; width + 1];
            for (seen, &(_, b)) in pieces.iter().enumerate() {
                // Pieces seen so far whose lower end is at most `b`.
                let mut at_most = 0;
                let mut i = b + 1;
                while i > 0 {
                    at_most += tree[i];
                    i &= i - 1;
                }
                total += seen - at_most;
                let mut i = b + 1;
                while i <= width {
                    tree[i] += 1;
                    i += i & i.wrapping_neg();
                }
            }
        }
        total
    }

    /// The finished layout: layers of slots, the states' places and the edges' bends.
    fn into_layout(self, mut edges: Vec<LayoutEdge>, crossings: usize) -> LayeredLayout {
        let position = self.positions();
        let places = (0..self.states)
            .map(|s| (self.layer[s], position[s]))
            .collect();
        for (e, path) in edges.iter_mut().zip(&self.paths) {
            // The places between the two ends (none for a self-loop, whose path is one place).
            let inner = path.get(1..path.len() - 1).unwrap_or_default();
            let mut bends: Vec<(usize, usize)> = inner
                .iter()
                .map(|&slot| (self.layer[slot], position[slot]))
                .collect();
            if e.kind == LayoutEdgeKind::Back {
                bends.reverse();
            }
            e.bends = bends;
        }
        let layers = self
            .order
            .iter()
            .map(|layer| layer.iter().map(|&slot| self.what[slot]).collect())
            .collect();
        LayeredLayout {
            layers,
            places,
            edges,
            crossings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{MachineDefinition, TransitionDef};

    fn machine(initial: &str, terminal: &str, transitions: &[(&str, &str, &str)]) -> Machine {
        let mut def = MachineDefinition::new("m", initial).with_terminal(terminal);
        for (from, event, to) in transitions {
            def = def.with_transition(TransitionDef::new(*from, *event, *to));
        }
        def.build().unwrap()
    }

    fn layer_of(m: &Machine, layout: &LayeredLayout, state: &str) -> usize {
        layout.place(m.state_id(state).unwrap()).unwrap().0
    }

    fn edge<'l>(m: &Machine, layout: &'l LayeredLayout, from: &str, to: &str) -> &'l LayoutEdge {
        let (from, to) = (m.state_id(from).unwrap(), m.state_id(to).unwrap());
        layout
            .edges()
            .iter()
            .find(|e| e.from == from && e.to == to)
            .unwrap()
    }

    /// A diamond whose end loops back to the start:
    ///
    /// ```text
    ///   a → b → d → e
    ///   a → c → d → a
    /// ```
    ///
    /// The search goes a, b, d (d → a closes the cycle), e, then c; the layers are
    /// a | b c | d | e, and d → a bends once, in the layer of b and c.
    #[test]
    fn diamond_with_a_cycle() {
        let m = machine(
            "a",
            "e",
            &[
                ("a", "left", "b"),
                ("a", "right", "c"),
                ("b", "join", "d"),
                ("c", "join", "d"),
                ("d", "again", "a"),
                ("d", "end", "e"),
            ],
        );
        let layout = m.layered_layout();
        let layers: Vec<usize> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| layer_of(&m, &layout, s))
            .collect();
        assert_eq!(layers, vec![0, 1, 1, 2, 3]);
        let again = edge(&m, &layout, "d", "a");
        assert_eq!(again.kind, LayoutEdgeKind::Back);
        assert_eq!(again.bends.len(), 1);
        assert_eq!(again.bends[0].0, 1);
        assert_eq!(layout.layers()[1].len(), 3);
        assert_eq!(
            layout.layers()[1][again.bends[0].1],
            LayerSlot::Bend(layout.edges().iter().position(|e| e == again).unwrap())
        );
        for (from, to) in [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e")] {
            assert_eq!(edge(&m, &layout, from, to).kind, LayoutEdgeKind::Forward);
        }
        assert_eq!(layout.crossings(), 0);
    }

    /// The layer is the longest path: a → d directly and through b and c puts d in layer 3,
    /// and the direct edge bends in layers 1 and 2.
    #[test]
    fn layers_follow_the_longest_path() {
        let m = machine(
            "a",
            "d",
            &[
                ("a", "skip", "d"),
                ("a", "go", "b"),
                ("b", "go", "c"),
                ("c", "go", "d"),
            ],
        );
        let layout = m.layered_layout();
        assert_eq!(layer_of(&m, &layout, "d"), 3);
        let skip = edge(&m, &layout, "a", "d");
        assert_eq!(skip.kind, LayoutEdgeKind::Forward);
        assert_eq!(
            skip.bends.iter().map(|b| b.0).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }

    /// Transitions between the same two states share one edge; a self-loop neither bends
    /// nor moves its state.
    #[test]
    fn parallel_transitions_and_self_loops() {
        let m = machine(
            "a",
            "b",
            &[("a", "wait", "a"), ("a", "x", "b"), ("a", "y", "b")],
        );
        let layout = m.layered_layout();
        assert_eq!(layout.edges().len(), 2);
        let wait = edge(&m, &layout, "a", "a");
        assert_eq!(wait.kind, LayoutEdgeKind::SelfLoop);
        assert!(wait.bends.is_empty());
        let both = edge(&m, &layout, "a", "b");
        let names: Vec<&str> = both.events.iter().map(|&e| m.event_name(e)).collect();
        assert_eq!(names, vec!["x", "y"]);
        assert_eq!(layout.layers().len(), 2);
    }

    /// In index order the edges p → y and q → x cross; ordering by barycentre puts y above
    /// x and removes the crossing.
    #[test]
    fn ordering_removes_a_crossing() {
        let def = MachineDefinition::new("m", "s")
            .with_state("s")
            .with_state("p")
            .with_state("q")
            .with_state("x")
            .with_state("y")
            .with_state("z")
            .with_terminal("z")
            .with_transition(TransitionDef::new("s", "one", "p"))
            .with_transition(TransitionDef::new("s", "two", "q"))
            .with_transition(TransitionDef::new("p", "go", "y"))
            .with_transition(TransitionDef::new("q", "go", "x"))
            .with_transition(TransitionDef::new("x", "end", "z"))
            .with_transition(TransitionDef::new("y", "end", "z"));
        let m = def.build().unwrap();
        let layout = m.layered_layout();
        let state = |name| LayerSlot::State(m.state_id(name).unwrap());
        assert_eq!(layout.crossings(), 0);
        let p_above_q = layout.layers()[1] == vec![state("p"), state("q")];
        let expected = if p_above_q {
            vec![state("y"), state("x")]
        } else {
            vec![state("x"), state("y")]
        };
        assert_eq!(layout.layers()[2], expected);
    }

    /// The hand-worked layers of the built-in machines.
    #[test]
    fn built_in_machines() {
        fn layers(m: &Machine) -> Vec<Vec<&str>> {
            let layout = m.layered_layout();
            let mut by_layer = vec![Vec::new(); layout.layers().len()];
            for s in m.states() {
                by_layer[layer_of(m, &layout, s)].push(s);
            }
            by_layer
        }
        assert_eq!(
            layers(&crate::CUSTOMER_LIFECYCLE.machine()),
            vec![
                vec!["lead"],
                vec!["prospect"],
                vec!["new"],
                vec!["active"],
                vec!["at_risk"],
                vec!["churned"],
                vec!["won_back"],
            ]
        );
        assert_eq!(
            layers(&crate::DEAL_PIPELINE.machine()),
            vec![
                vec!["qualification"],
                vec!["needs_analysis"],
                vec!["proposal"],
                vec!["negotiation"],
                vec!["won", "lost"],
            ]
        );
        let m = crate::CUSTOMER_LIFECYCLE.machine();
        let layout = m.layered_layout();
        let back: Vec<(&str, &str)> = layout
            .edges()
            .iter()
            .filter(|e| e.kind == LayoutEdgeKind::Back)
            .map(|e| (m.state_name(e.from), m.state_name(e.to)))
            .collect();
        assert_eq!(
            back,
            vec![
                ("at_risk", "active"),
                ("won_back", "active"),
                ("won_back", "at_risk"),
                ("won_back", "churned"),
            ]
        );
    }
}
