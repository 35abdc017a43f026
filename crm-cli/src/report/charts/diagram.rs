//! The state diagram: a machine's layered layout (`Machine::layered_layout`) drawn left to
//! right. States sit in columns by layer; forward transitions run right between neighbouring
//! columns, through a bend in every column they pass; transitions back to an earlier layer
//! leave a state on its left and run back through their own bends, curving below when they
//! join neighbouring columns. Each label sits on its own edge on a white box, clear of
//! states and other labels and, wherever its edge allows, of other edges.

use crm_lifecycle::{
    EventId, LayerSlot, LayeredLayout, LayoutEdge, LayoutEdgeKind, Machine, StateId,
};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Area, BLUE, DARK, GREEN, GREY, RED, draw_err, svg};
use crate::error::CliResult;

/// Font sizes as `plotters` takes them; its SVG output writes `size / 1.24` px, so these are
/// about 14.5, 12 and 11.3 px.
const TITLE_FONT: f64 = 18.0;
const STATE_FONT: f64 = 15.0;
const LABEL_FONT: f64 = 14.0;
/// A generous average glyph width, as a share of the font's pixel size.
const GLYPH: f64 = 0.58;
/// Half the height of a state box, and of the place a bend (and its label) takes.
const BOX_HALF: f64 = 15.0;
const BEND_HALF: f64 = 13.0;
/// Height of a label box.
const LABEL_HEIGHT: f64 = 17.0;
/// Room above the diagram for the title, around it, and below it for the legend.
const TOP: f64 = 44.0;
const MARGIN: f64 = 16.0;
const LEGEND: f64 = 24.0;
/// How far transitions back to an earlier layer curve below their ends.
const BOW: f64 = 24.0;
/// Points per curve piece.
const SAMPLES: usize = 16;
/// The colour of transitions back to an earlier layer.
const BACK: RGBColor = RGBColor(204, 102, 0);

type Point = (f64, f64);

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn around((x, y): Point, half_width: f64, half_height: f64) -> Self {
        Self {
            x0: x - half_width,
            y0: y - half_height,
            x1: x + half_width,
            y1: y + half_height,
        }
    }

    fn grown(self, by: f64) -> Self {
        Self {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    fn within(&self, outer: &Rect) -> bool {
        self.x0 >= outer.x0 && self.x1 <= outer.x1 && self.y0 >= outer.y0 && self.y1 <= outer.y1
    }

    /// Whether the segment `p`–`q` passes through the rectangle (Liang–Barsky clipping).
    fn meets_segment(&self, p: Point, q: Point) -> bool {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (step, room) in [
            (-dx, p.0 - self.x0),
            (dx, self.x1 - p.0),
            (-dy, p.1 - self.y0),
            (dy, self.y1 - p.1),
        ] {
            if step == 0.0 {
                if room < 0.0 {
                    return false;
                }
                continue;
            }
            let t = room / step;
            if step < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
        true
    }

    fn corners(&self) -> [(i32, i32); 2] {
        [
            (self.x0.round() as i32, self.y0.round() as i32),
            (self.x1.round() as i32, self.y1.round() as i32),
        ]
    }
}

/// The width of a text at a `plotters` font size.
fn text_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * font / 1.24 * GLYPH
}

fn style(font: f64, color: RGBColor) -> TextStyle<'static> {
    ("sans-serif", font)
        .into_font()
        .color(&color)
        .pos(Pos::new(HPos::Center, VPos::Center))
}

/// Where everything goes: the centre of every place of the layout, and the state boxes.
struct Geometry {
    /// The centre of each place, by layer and index.
    centres: Vec<Vec<Point>>,
    /// Each state's box.
    boxes: Vec<Rect>,
    /// The whole canvas.
    size: (f64, f64),
}

impl Geometry {
    fn new(machine: &Machine, layout: &LayeredLayout) -> Self {
        let half_width =
            |state| (text_width(machine.state_name(state), STATE_FONT) / 2.0 + 10.0).max(26.0);
        let xs = column_centres(machine, layout, &half_width);
        let ys = align_places(layout);
        let centres: Vec<Vec<Point>> = ys
            .iter()
            .zip(&xs)
            .map(|(column, &x)| column.iter().map(|&y| (x, y)).collect())
            .collect();
        let boxes: Vec<Rect> = machine
            .states()
            .filter_map(|name| machine.state_id(name))
            .map(|s| {
                let (l, k) = layout.place(s).unwrap_or_default();
                Rect::around(centres[l][k], half_width(s), BOX_HALF)
            })
            .collect();
        let right = boxes.iter().map(|b| b.x1).fold(0.0, f64::max) + MARGIN;
        let mut geometry = Self {
            centres,
            boxes,
            size: (right.max(360.0), 0.0),
        };
        geometry.fit(std::iter::empty());
        geometry
    }

    /// Makes the canvas tall enough for the states and these points (of the edges), with
    /// room for labels below the lowest and the legend under everything.
    fn fit(&mut self, points: impl Iterator<Item = Point>) {
        let lowest = self
            .boxes
            .iter()
            .map(|b| b.y1)
            .chain(points.map(|p| p.1))
            .fold(TOP, f64::max);
        self.size.1 = lowest + LABEL_HEIGHT + LEGEND + MARGIN;
    }

    /// Where labels may go: below the title and above the legend.
    fn canvas(&self) -> Rect {
        Rect {
            x0: 0.0,
            y0: TOP - 8.0,
            x1: self.size.0,
            y1: self.size.1 - LEGEND - MARGIN,
        }
    }
}

/// The x of each column: wide enough for its widest state, with room between neighbouring
/// columns for the labels of the edges that join them directly.
fn column_centres(
    machine: &Machine,
    layout: &LayeredLayout,
    half_width: &dyn Fn(StateId) -> f64,
) -> Vec<f64> {
    let layers = layout.layers();
    let column_half: Vec<f64> = layers
        .iter()
        .map(|layer| {
            layer
                .iter()
                .map(|slot| match *slot {
                    LayerSlot::State(s) => half_width(s),
                    LayerSlot::Bend(_) => 10.0,
                })
                .fold(10.0, f64::max)
        })
        .collect();
    // Each gap is wide enough for the labels of the edges crossing it whole (the widest
    // one, or the two of a pair running both ways, side by side), plus room for its edge
    // pieces to spread out.
    let label_width = |e: &LayoutEdge| text_width(&label_text(machine, &e.events), LABEL_FONT);
    let mut label = vec![64.0_f64; layers.len()];
    let mut pieces = vec![0.0; layers.len()];
    for e in layout.edges() {
        let (Some(a), Some(b)) = (layout.place(e.from), layout.place(e.to)) else {
            continue;
        };
        let (first, last) = (a.0.min(b.0), a.0.max(b.0));
        for p in &mut pieces[first..last] {
            *p += 1.0;
        }
        if e.bends.is_empty() && first < last {
            let width = label_width(e);
            let twin = layout
                .edges()
                .iter()
                .find(|t| t.from == e.to && t.to == e.from)
                .map_or(0.0, |t| label_width(t) + 10.0);
            label[first] = label[first].max(width + 56.0).max(width + twin + 24.0);
        }
    }
    let gap: Vec<f64> = label
        .iter()
        .zip(&pieces)
        .map(|(l, p)| l + 5.0 * p)
        .collect();
    let mut xs = Vec::with_capacity(layers.len());
    let mut x = MARGIN;
    for (l, half) in column_half.iter().enumerate() {
        x += half;
        xs.push(x);
        x += half + gap[l];
    }
    xs
}

/// The y of every place: the states of the spine (see [`spine`]) on one line, and every
/// other place, column by column in its order, as close as it can be to the places it is
/// joined to, in sweeps right and left over the columns.
fn align_places(layout: &LayeredLayout) -> Vec<Vec<f64>> {
    let layers = layout.layers();
    let half = |slot: &LayerSlot| match slot {
        LayerSlot::State(_) => BOX_HALF + 12.0,
        LayerSlot::Bend(_) => BEND_HALF + 3.0,
    };
    let spine = spine(layout);
    let gaps: Vec<Vec<f64>> = layers
        .iter()
        .map(|layer| {
            layer
                .windows(2)
                .map(|w| half(&w[0]) + half(&w[1]))
                .collect()
        })
        .collect();
    let neighbours = place_neighbours(layout);
    // The spine holds its line; the other places follow their neighbours.
    let pull = |l: usize, k: usize| {
        if spine.contains(&(l, k)) {
            Some((0.0, 50.0))
        } else {
            None
        }
    };
    let mut ys: Vec<Vec<f64>> = layers
        .iter()
        .zip(&gaps)
        .enumerate()
        .map(|(l, (layer, g))| {
            let desired: Vec<(f64, f64)> = (0..layer.len())
                .map(|k| pull(l, k).unwrap_or((0.0, 1.0)))
                .collect();
            spread(&desired, g)
        })
        .collect();
    let order: Vec<usize> = (1..layers.len()).chain((0..layers.len()).rev()).collect();
    for _ in 0..12 {
        for &l in &order {
            let desired: Vec<(f64, f64)> = neighbours[l]
                .iter()
                .enumerate()
                .map(|(k, near)| {
                    pull(l, k).unwrap_or_else(|| {
                        let y = if near.is_empty() {
                            ys[l][k]
                        } else {
                            near.iter().map(|&(m, j)| ys[m][j]).sum::<f64>() / near.len() as f64
                        };
                        (y, 1.0)
                    })
                })
                .collect();
            ys[l] = spread(&desired, &gaps[l]);
        }
    }
    let top = ys.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let shift = TOP + BOX_HALF + 6.0 - if top.is_finite() { top } else { 0.0 };
    for y in ys.iter_mut().flatten() {
        *y = (*y + shift).round();
    }
    ys
}

/// The spine of the diagram: a longest path of states from the first layer to the last
/// (every state's layer is the longest path to it, so each state past the first layer has a
/// forward edge from the layer before), ending in the first state of the last layer.
fn spine(layout: &LayeredLayout) -> Vec<(usize, usize)> {
    let layers = layout.layers();
    let mut at = layers.last().and_then(|last| {
        last.iter()
            .position(|s| matches!(s, LayerSlot::State(_)))
            .map(|k| (layers.len() - 1, k))
    });
    let mut path = Vec::new();
    while let Some((l, k)) = at {
        path.push((l, k));
        let LayerSlot::State(state) = layers[l][k] else {
            break;
        };
        at = layout
            .edges()
            .iter()
            .filter(|e| e.to == state && e.kind == LayoutEdgeKind::Forward && e.bends.is_empty())
            .filter_map(|e| layout.place(e.from))
            .find(|p| p.0 + 1 == l);
    }
    path
}

/// The places each place is joined to in the neighbouring columns, by layer and index.
fn place_neighbours(layout: &LayeredLayout) -> Vec<Vec<Vec<(usize, usize)>>> {
    let mut neighbours: Vec<Vec<Vec<(usize, usize)>>> = layout
        .layers()
        .iter()
        .map(|l| vec![Vec::new(); l.len()])
        .collect();
    for e in layout.edges() {
        let (Some(a), Some(b)) = (layout.place(e.from), layout.place(e.to)) else {
            continue;
        };
        let path: Vec<(usize, usize)> = std::iter::once(a)
            .chain(e.bends.iter().copied())
            .chain(std::iter::once(b))
            .collect();
        for w in path.windows(2).filter(|w| w[0].0 != w[1].0) {
            neighbours[w[0].0][w[0].1].push(w[1]);
            neighbours[w[1].0][w[1].1].push(w[0]);
        }
    }
    neighbours
}

/// The positions closest (in weighted least squares) to the `(desired, weight)` pairs that
/// keep their order and at least `gaps[i]` between neighbours `i` and `i + 1`:
/// pool-adjacent-violators on the positions less their cumulative gaps.
fn spread(desired: &[(f64, f64)], gaps: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; desired.len()];
    for i in 1..desired.len() {
        offset[i] = offset[i - 1] + gaps[i - 1];
    }
    // Pooled blocks: (weighted sum, weight, places).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (&(d, w), o) in desired.iter().zip(&offset) {
        blocks.push(((d - o) * w, w, 1));
        while let [.., a, b] = blocks[..] {
            if a.0 / a.1 <= b.0 / b.1 {
                break;
            }
            blocks.pop();
            blocks.pop();
            blocks.push((a.0 + b.0, a.1 + b.1, a.2 + b.2));
        }
    }
    blocks
        .iter()
        .flat_map(|&(sum, weight, places)| std::iter::repeat_n(sum / weight, places))
        .zip(&offset)
        .map(|(z, o)| z + o)
        .collect()
}

/// The events of an edge, as its label.
fn label_text(machine: &Machine, events: &[EventId]) -> String {
    events
        .iter()
        .map(|&e| machine.event_name(e))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One edge as drawn: its curve, its kind and its label.
struct Route {
    points: Vec<Point>,
    kind: LayoutEdgeKind,
    label: String,
    /// Where the label may go, best first.
    anchors: Vec<Point>,
    /// How far up (negative) or down to move the label first, off the edge running the
    /// other way beside this one.
    nudge: f64,
}

/// The curve of every edge, from port to port through its bends.
fn routes(machine: &Machine, layout: &LayeredLayout, geometry: &Geometry) -> Vec<Route> {
    let ports = ports(layout, geometry);
    layout
        .edges()
        .iter()
        .zip(ports)
        .map(|(e, ports)| {
            let label = label_text(machine, &e.events);
            if e.kind == LayoutEdgeKind::SelfLoop {
                return self_loop(geometry.boxes[e.from.index()], label);
            }
            let mut corners = vec![ports.start];
            corners.extend(e.bends.iter().map(|&(l, k)| geometry.centres[l][k]));
            corners.push(ports.end);
            // A back edge straight to the next layer curves below, when nothing runs there.
            let bow = if e.kind == LayoutEdgeKind::Back && e.bends.is_empty() && ports.lowest {
                BOW
            } else {
                0.0
            };
            let points: Vec<Point> = corners
                .windows(2)
                .flat_map(|w| curve(w[0], w[1], bow))
                .collect();
            let mut anchors: Vec<Point> = Vec::new();
            let middle = e.bends.len() / 2;
            let mut bends: Vec<usize> = (0..e.bends.len()).collect();
            bends.sort_by_key(|&i| i.abs_diff(middle));
            anchors.extend(bends.iter().map(|&i| corners[i + 1]));
            // Then along the curve, from its middle outwards.
            for step in 0..10 {
                for f in [0.5 - 0.04 * step as f64, 0.5 + 0.04 * step as f64] {
                    anchors.push(along(&points, f));
                }
            }
            let twin = e.bends.is_empty()
                && layout
                    .edges()
                    .iter()
                    .any(|t| t.from == e.to && t.to == e.from);
            let nudge = match (twin, e.kind) {
                (false, _) => 0.0,
                (true, LayoutEdgeKind::Back) => 8.0,
                (true, _) => -8.0,
            };
            Route {
                points,
                kind: e.kind,
                label,
                anchors,
                nudge,
            }
        })
        .collect()
}

/// Where an edge leaves and enters its states.
#[derive(Debug, Clone, Copy, Default)]
struct Ports {
    start: Point,
    end: Point,
    /// Whether the edge is the lowest on its side of both boxes (so it may curve below).
    lowest: bool,
}

/// Where each edge leaves and enters its states: forward edges leave on the right and
/// enter on the left, back edges the other way round; the edges on one side of a box are
/// spread over it in the order of where they go, forward ones first.
fn ports(layout: &LayeredLayout, geometry: &Geometry) -> Vec<Ports> {
    /// One end of an edge on one side of a box.
    struct End {
        edge: usize,
        /// Whether this is where the edge starts.
        start: bool,
        /// The y of the edge's next point away from the box.
        toward: f64,
        back: bool,
    }
    // By (state, right side?).
    let mut sides: std::collections::BTreeMap<(usize, bool), Vec<End>> = Default::default();
    let centre = |place: (usize, usize)| geometry.centres[place.0][place.1];
    for (k, e) in layout.edges().iter().enumerate() {
        let (Some(a), Some(b)) = (layout.place(e.from), layout.place(e.to)) else {
            continue;
        };
        if e.kind == LayoutEdgeKind::SelfLoop {
            continue;
        }
        let back = e.kind == LayoutEdgeKind::Back;
        let after_start = e.bends.first().map_or(centre(b), |&p| centre(p)).1;
        let before_end = e.bends.last().map_or(centre(a), |&p| centre(p)).1;
        sides.entry((e.from.index(), !back)).or_default().push(End {
            edge: k,
            start: true,
            toward: after_start,
            back,
        });
        sides.entry((e.to.index(), back)).or_default().push(End {
            edge: k,
            start: false,
            toward: before_end,
            back,
        });
    }
    let mut ports = vec![
        Ports {
            lowest: true,
            ..Ports::default()
        };
        layout.edges().len()
    ];
    for ((state, right), mut ends) in sides {
        ends.sort_by(|a, b| a.toward.total_cmp(&b.toward).then(a.back.cmp(&b.back)));
        let b = geometry.boxes[state];
        let x = if right { b.x1 } else { b.x0 };
        let centre_y = (b.y0 + b.y1) / 2.0;
        let n = ends.len();
        let step = if n > 1 {
            ((2.0 * BOX_HALF - 6.0) / (n - 1) as f64).min(12.0)
        } else {
            0.0
        };
        for (i, end) in ends.iter().enumerate() {
            let at = (x, centre_y + (i as f64 - (n - 1) as f64 / 2.0) * step);
            let port = &mut ports[end.edge];
            if end.start {
                port.start = at;
            } else {
                port.end = at;
            }
            port.lowest &= i + 1 == n;
        }
    }
    ports
}

/// A curve from `p` to `q` leaving and arriving level, sagging by `bow` (for back edges).
fn curve(p: Point, q: Point, bow: f64) -> Vec<Point> {
    let arm = (q.0 - p.0) * 0.4;
    let c1 = (p.0 + arm, p.1 + bow * 1.33);
    let c2 = (q.0 - arm, q.1 + bow * 1.33);
    (0..=SAMPLES)
        .map(|i| {
            let t = i as f64 / SAMPLES as f64;
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            (
                w[0] * p.0 + w[1] * c1.0 + w[2] * c2.0 + w[3] * q.0,
                w[0] * p.1 + w[1] * c1.1 + w[2] * c2.1 + w[3] * q.1,
            )
        })
        .collect()
}

/// A loop above a state's box, for a transition from the state to itself.
fn self_loop(b: Rect, label: String) -> Route {
    let x = (b.x0 + b.x1) / 2.0;
    let points: Vec<Point> = (0..=SAMPLES)
        .map(|i| {
            let a = std::f64::consts::PI * (1.0 + i as f64 / SAMPLES as f64);
            let (c, s) = (a.cos(), a.sin());
            (x + 9.0 * c, b.y0 + 22.0 * s)
        })
        .collect();
    let top = (x, b.y0 - 22.0 - LABEL_HEIGHT / 2.0 - 3.0);
    Route {
        points,
        kind: LayoutEdgeKind::SelfLoop,
        label,
        anchors: vec![top],
        nudge: 0.0,
    }
}

/// The point at a share `f` of a polyline's length.
fn along(points: &[Point], f: f64) -> Point {
    let length = |w: &[Point]| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
    let total: f64 = points.windows(2).map(length).sum();
    let mut left = total * f;
    for w in points.windows(2) {
        let l = length(w);
        if left <= l && l > 0.0 {
            let t = left / l;
            return (
                w[0].0 + (w[1].0 - w[0].0) * t,
                w[0].1 + (w[1].1 - w[0].1) * t,
            );
        }
        left -= l;
    }
    points.last().copied().unwrap_or_default()
}

/// The label boxes, one per route: at the first anchor (or the anchor moved up or down)
/// where the box meets no other edge, no state and no earlier label; when there is none,
/// where it meets the fewest.
fn place_labels(routes: &[Route], geometry: &Geometry) -> Vec<Rect> {
    let mut placed: Vec<Rect> = Vec::with_capacity(routes.len());
    for (k, route) in routes.iter().enumerate() {
        let half = text_width(&route.label, LABEL_FONT) / 2.0 + 4.0;
        // On the edge (moved off its twin first), then nudged up or down with the edge
        // still through the box, then just above or below it.
        let off = LABEL_HEIGHT + 2.0;
        let shifts = [route.nudge, 0.0, -6.0, 6.0, -off, off];
        let candidates = shifts.into_iter().flat_map(|shift| {
            route
                .anchors
                .iter()
                .map(move |&(x, y)| Rect::around((x, y + shift), half, LABEL_HEIGHT / 2.0))
        });
        let mut best: Option<(usize, Rect)> = None;
        for rect in candidates {
            let n = Clash::of(&rect, k, routes, geometry, &placed).cost();
            if best.is_none_or(|(m, _)| n < m) {
                best = Some((n, rect));
            }
            if n == 0 {
                break;
            }
        }
        let rect = best.map_or_else(|| Rect::around((0.0, 0.0), 0.0, 0.0), |b| b.1);
        placed.push(rect);
    }
    placed
}

/// What a label box of route `own` runs into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clash {
    /// Other edges passing under the box.
    edges: usize,
    /// States and placed labels the box would hide, and 1 when it leaves the canvas.
    hidden: usize,
}

impl Clash {
    fn of(rect: &Rect, own: usize, routes: &[Route], geometry: &Geometry, placed: &[Rect]) -> Self {
        let clear = rect.grown(2.0);
        let edges = routes
            .iter()
            .enumerate()
            .filter(|&(k, r)| {
                k != own && r.points.windows(2).any(|w| clear.meets_segment(w[0], w[1]))
            })
            .count();
        let states = geometry.boxes.iter().filter(|b| b.overlaps(&clear)).count();
        let labels = placed.iter().filter(|p| p.overlaps(&clear)).count();
        let outside = usize::from(!rect.within(&geometry.canvas()));
        Self {
            edges,
            hidden: states + labels + outside,
        }
    }

    /// An edge under a label's white box still shows on both sides; a hidden state or
    /// label, or a label off the canvas, does not: those weigh ten times as much.
    fn cost(self) -> usize {
        self.edges + 10 * self.hidden
    }
}

/// Everything the drawing needs, worked out before anything is drawn.
struct Plan {
    geometry: Geometry,
    routes: Vec<Route>,
    labels: Vec<Rect>,
}

impl Plan {
    fn new(machine: &Machine) -> Self {
        let layout = machine.layered_layout();
        let mut geometry = Geometry::new(machine, &layout);
        let routes = routes(machine, &layout, &geometry);
        geometry.fit(routes.iter().flat_map(|r| r.points.iter().copied()));
        let labels = place_labels(&routes, &geometry);
        Self {
            geometry,
            routes,
            labels,
        }
    }
}

/// A state machine drawn in layers, left to right from the initial state (green) to the
/// terminal states (red): forward transitions in grey, transitions back to an earlier layer
/// in orange; each label on its own edge, on a white box.
pub fn state_diagram(title: &str, machine: &Machine) -> CliResult<String> {
    let Plan {
        geometry,
        routes,
        labels,
    } = Plan::new(machine);
    let size = (geometry.size.0.ceil() as u32, geometry.size.1.ceil() as u32);
    svg(size, |root| {
        let centre = (size.0 as i32 / 2, 14);
        root.draw(&Text::new(title, centre, style(TITLE_FONT, BLACK)))
            .map_err(draw_err)?;
        for route in &routes {
            draw_route(root, route)?;
        }
        draw_states(root, machine, &geometry)?;
        for (route, rect) in routes.iter().zip(&labels) {
            draw_label(root, route, rect)?;
        }
        let back = routes.iter().any(|r| r.kind == LayoutEdgeKind::Back);
        draw_legend(root, geometry.size.1, back)
    })
}

fn edge_colour(kind: LayoutEdgeKind) -> RGBColor {
    if kind == LayoutEdgeKind::Back {
        BACK
    } else {
        GREY
    }
}

fn pixel(p: Point) -> (i32, i32) {
    (p.0.round() as i32, p.1.round() as i32)
}

/// An edge's curve and its arrowhead.
fn draw_route(root: &Area<'_>, route: &Route) -> CliResult<()> {
    let colour = edge_colour(route.kind);
    let line: Vec<(i32, i32)> = route.points.iter().copied().map(pixel).collect();
    root.draw(&PathElement::new(line, colour.stroke_width(1)))
        .map_err(draw_err)?;
    let (Some(&end), Some(&before)) = (route.points.last(), route.points.iter().rev().nth(2))
    else {
        return Ok(());
    };
    arrowhead(root, before, end, colour)
}

fn arrowhead(root: &Area<'_>, from: Point, tip: Point, colour: RGBColor) -> CliResult<()> {
    let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-9);
    let (ux, uy) = (dx / len, dy / len);
    let head = [
        tip,
        (tip.0 - ux * 8.0 - uy * 4.0, tip.1 - uy * 8.0 + ux * 4.0),
        (tip.0 - ux * 8.0 + uy * 4.0, tip.1 - uy * 8.0 - ux * 4.0),
    ];
    root.draw(&Polygon::new(head.map(pixel).to_vec(), colour.filled()))
        .map_err(draw_err)
}

/// The state boxes: green for the initial state, red for terminal states.
fn draw_states(root: &Area<'_>, machine: &Machine, geometry: &Geometry) -> CliResult<()> {
    for (i, name) in machine.states().enumerate() {
        let id = machine.state_id(name);
        let fill = if id == Some(machine.initial_id()) {
            GREEN.mix(0.35)
        } else if id.is_some_and(|s| machine.is_terminal_id(s)) {
            RED.mix(0.3)
        } else {
            BLUE.mix(0.2)
        };
        let b = geometry.boxes[i];
        root.draw(&Rectangle::new(b.corners(), WHITE.filled()))
            .map_err(draw_err)?;
        root.draw(&Rectangle::new(b.corners(), fill.filled()))
            .map_err(draw_err)?;
        root.draw(&Rectangle::new(b.corners(), BLACK.stroke_width(1)))
            .map_err(draw_err)?;
        let centre = pixel(((b.x0 + b.x1) / 2.0, (b.y0 + b.y1) / 2.0));
        root.draw(&Text::new(
            name.to_string(),
            centre,
            style(STATE_FONT, BLACK),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// A label on a white box edged in its edge's colour.
fn draw_label(root: &Area<'_>, route: &Route, rect: &Rect) -> CliResult<()> {
    let colour = edge_colour(route.kind);
    root.draw(&Rectangle::new(rect.corners(), WHITE.filled()))
        .map_err(draw_err)?;
    root.draw(&Rectangle::new(
        rect.corners(),
        colour.mix(0.6).stroke_width(1),
    ))
    .map_err(draw_err)?;
    let centre = pixel(((rect.x0 + rect.x1) / 2.0, (rect.y0 + rect.y1) / 2.0));
    let text = if route.kind == LayoutEdgeKind::Back {
        BACK
    } else {
        DARK
    };
    root.draw(&Text::new(
        route.label.clone(),
        centre,
        style(LABEL_FONT, text),
    ))
    .map_err(draw_err)
}

/// What the arrow colours mean (the orange one only when some edge runs back).
fn draw_legend(root: &Area<'_>, height: f64, back: bool) -> CliResult<()> {
    let y = height - MARGIN - LEGEND / 2.0;
    let mut x = MARGIN;
    let kinds = [
        (LayoutEdgeKind::Forward, "transition"),
        (LayoutEdgeKind::Back, "transition back to an earlier stage"),
    ];
    for (kind, text) in kinds.into_iter().take(if back { 2 } else { 1 }) {
        let colour = edge_colour(kind);
        root.draw(&PathElement::new(
            vec![pixel((x, y)), pixel((x + 26.0, y))],
            colour.stroke_width(1),
        ))
        .map_err(draw_err)?;
        arrowhead(root, (x, y), (x + 26.0, y), colour)?;
        let width = text_width(text, LABEL_FONT);
        let at = pixel((x + 34.0 + width / 2.0, y));
        root.draw(&Text::new(text, at, style(LABEL_FONT, DARK)))
            .map_err(draw_err)?;
        x += 34.0 + width + 24.0;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_lifecycle::{
        CUSTOMER_LIFECYCLE, DEAL_PIPELINE, MachineDefinition, TICKET_WORKFLOW, TransitionDef,
    };

    fn machines() -> Vec<Machine> {
        vec![
            CUSTOMER_LIFECYCLE.machine(),
            TICKET_WORKFLOW.machine(),
            DEAL_PIPELINE.machine(),
        ]
    }

    /// Every label of a built-in machine sits on its own edge and hides no state, no other
    /// label and nothing off the canvas; where another edge has to pass under a label's
    /// white box (the pieces crossing between a pair of states linked both ways), it is one
    /// edge at most, in a handful of places.
    #[test]
    fn labels_of_built_in_machines_are_clear() {
        let mut under = 0;
        for m in machines() {
            let Plan {
                geometry,
                routes,
                labels,
            } = Plan::new(&m);
            for (k, rect) in labels.iter().enumerate() {
                let route = &routes[k];
                let clash = Clash::of(rect, k, &routes, &geometry, &labels[..k]);
                assert_eq!(clash.hidden, 0, "{}: {:?}", m.name(), route.label);
                assert!(clash.edges <= 1, "{}: {:?}", m.name(), route.label);
                under += clash.edges;
                let on_own_edge = route
                    .points
                    .windows(2)
                    .any(|w| rect.meets_segment(w[0], w[1]));
                assert!(on_own_edge, "{}: {:?}", m.name(), route.label);
            }
        }
        assert!(under <= 5, "{under} edges under labels");
    }

    /// No edge passes through a state box other than its own ends.
    #[test]
    fn edges_avoid_other_states() {
        for m in machines() {
            let layout = m.layered_layout();
            let Plan {
                geometry, routes, ..
            } = Plan::new(&m);
            for (e, route) in layout.edges().iter().zip(&routes) {
                for (i, b) in geometry.boxes.iter().enumerate() {
                    if i == e.from.index() || i == e.to.index() {
                        continue;
                    }
                    let hit = route.points.windows(2).any(|w| b.meets_segment(w[0], w[1]));
                    assert!(
                        !hit,
                        "{}: {} crosses {}",
                        m.name(),
                        route.label,
                        m.states().nth(i).unwrap()
                    );
                }
            }
        }
    }

    /// Every state and every event is written, and no text is smaller than 11 px.
    #[test]
    fn diagram_names_everything_in_readable_text() {
        for m in machines() {
            let svg = state_diagram(m.name(), &m).expect("diagram");
            for name in m.states().chain(m.events()) {
                assert!(svg.contains(name), "{name}");
            }
            for size in svg.split("font-size=\"").skip(1) {
                let px: f64 = size[..size.find('"').unwrap()].parse().unwrap();
                assert!(px >= 11.0, "{px}");
            }
        }
    }

    #[test]
    fn self_loops_and_parallel_transitions_draw() {
        let m = MachineDefinition::new("m", "a")
            .with_terminal("b")
            .with_transition(TransitionDef::new("a", "wait", "a"))
            .with_transition(TransitionDef::new("a", "x", "b"))
            .with_transition(TransitionDef::new("a", "y", "b"))
            .build()
            .unwrap();
        let svg = state_diagram("m", &m).expect("diagram");
        assert!(svg.contains("x, y") && svg.contains("wait"));
    }

    #[test]
    fn spread_keeps_order_and_gaps() {
        let even = |ys: &[f64]| ys.iter().map(|&y| (y, 1.0)).collect::<Vec<_>>();
        assert_eq!(
            spread(&even(&[0.0, 0.0, 0.0]), &[10.0, 10.0]),
            vec![-10.0, 0.0, 10.0]
        );
        assert_eq!(spread(&even(&[0.0, 50.0]), &[10.0]), vec![0.0, 50.0]);
        assert_eq!(spread(&even(&[5.0, 0.0]), &[10.0]), vec![-2.5, 7.5]);
        // The heavier place moves less: 3.75 down against 11.25 up, weighed 3 to 1.
        assert_eq!(
            spread(&[(5.0, 3.0), (0.0, 1.0)], &[10.0]),
            vec![1.25, 11.25]
        );
    }

    #[test]
    fn segments_meet_rectangles() {
        let r = Rect::around((0.0, 0.0), 10.0, 5.0);
        assert!(r.meets_segment((-20.0, 0.0), (20.0, 0.0)));
        assert!(r.meets_segment((0.0, 0.0), (1.0, 1.0)));
        assert!(!r.meets_segment((-20.0, 6.0), (20.0, 6.0)));
        assert!(!r.meets_segment((-20.0, -20.0), (-11.0, 20.0)));
        assert!(r.meets_segment((-20.0, -20.0), (20.0, 20.0)));
    }
}
