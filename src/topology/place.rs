//! Where each node goes, given the layers' order and the pane it is drawn in, and how much room
//! its label takes.
//!
//! ```text
//!   labels in one tier                    labels staggered in two tiers (a narrow pane)
//!   [P1]      [P2]      [P3]      [P4]    [P1] [P2] [P3] [P4]
//!   front-1   front-2   db-1      db-2    front-1 :  db-1   :
//!                                                 :         :
//!                                              front-2    db-2
//! ```
//!
//! Every layer's nodes stay in one row, so an edge never passes through a node. When a layer's
//! labels are wider than the pane allows, they are staggered in tiers under the row, each with a
//! leader line up to its node that passes between the labels above it.
//!
//! Sizes are canvas units, which the app draws one pixel each at zoom 1. Labels are measured
//! with an upper bound of the width of egui's default fonts (an app test checks it against the
//! real font), so a placement without overlapping boxes draws without overlapping text. A pane
//! is filled by staggering the widest layers' labels until the picture's aspect suits the
//! pane, then moving the layers apart into the height that is left.

use super::{NodeKind, Topology};
use petgraph::visit::NodeIndexable;

/// Label text size (egui points at zoom 1).
pub const LABEL_FONT: f32 = 12.0;
/// The live detail under a label (depth, lag, status), monospace.
pub const DETAIL_FONT: f32 = 10.0;
/// Height of a line of text (egui lays out 11-point text 13 high, 12-point 14).
pub const LINE_HEIGHT: f32 = 1.2 * LABEL_FONT;
pub const DETAIL_HEIGHT: f32 = 1.2 * DETAIL_FONT;
/// Between a node and its label.
pub const LABEL_GAP: f32 = 2.0;
/// A label line is broken (after '-', ':', '_', '/', '.' or a space) to stay this wide.
const MAX_LINE: f32 = 5.5 * LABEL_FONT;
/// Width kept for a detail line under the label, in monospace characters (a longer detail is
/// shortened to the room its neighbours leave), and a monospace character's width in ems.
const DETAIL_CHARS: f32 = 5.0;
const MONO_EM: f32 = 0.62;
/// Between neighbouring labels in a tier, between neighbouring nodes, between a label and a
/// leader line passing it.
const LABEL_SPACE: f32 = 8.0;
const NODE_SPACE: f32 = 5.0;
const LEADER_SPACE: f32 = 4.0;
/// Between tiers of labels, and between layers (room for the edges).
const TIER_GAP: f32 = 2.0;
const LAYER_GAP: f32 = 24.0;
/// Around the picture.
const MARGIN: f32 = 6.0;
/// A layer's labels are staggered in at most this many tiers.
const MAX_TIERS: usize = 4;
/// Staggering must make the picture this much larger to be worth it.
const STAGGER_GAIN: f32 = 1.12;
/// A small graph is not blown up beyond this zoom.
pub const MAX_ZOOM: f32 = 1.4;
/// Into a pane's spare room, layers move apart by at most this, and a layer's nodes spread
/// at most this much wider.
const MAX_EXTRA_GAP: f32 = 400.0;
const MAX_SPREAD: f32 = 1.6;

impl NodeKind {
    /// Half width and half height of the node's shape.
    #[must_use]
    pub fn half_size(self) -> [f32; 2] {
        match self {
            NodeKind::Producer => [15.0, 9.0],
            NodeKind::Consumer => [10.0, 10.0],
            NodeKind::Broker => [18.0, 10.0],
            NodeKind::Channel => [22.0, 7.0],
            NodeKind::Queue => [8.0, 13.0],
            NodeKind::Log => [20.0, 12.0],
        }
    }

    /// Whether the app writes a live detail line under the label of this kind of node (for the
    /// others, a rare status such as "link down" shows on hover and in the node's colour).
    #[must_use]
    pub fn has_detail(self) -> bool {
        matches!(
            self,
            NodeKind::Consumer | NodeKind::Channel | NodeKind::Queue | NodeKind::Log
        )
    }
}

/// Width of a character in ems: an upper bound for egui's default proportional font.
fn char_em(c: char) -> f32 {
    match c {
        'f' | 'i' | 'j' | 'l' | 'r' | 't' | 'I' | '-' | ':' | ';' | '.' | ',' | '\'' | ' '
        | '|' | '!' | '(' | ')' | '[' | ']' => 0.4,
        'm' | 'w' | 'M' | 'W' => 0.92,
        'A'..='Z' => 0.8,
        c if c.is_ascii() => 0.6,
        _ => 1.0,
    }
}

/// An upper bound of the width of `text` at `font` points in egui's proportional font.
#[must_use]
pub fn text_width(text: &str, font: f32) -> f32 {
    text.chars().map(char_em).sum::<f32>() * font
}

fn is_break(c: char) -> bool {
    matches!(c, '-' | ':' | '_' | '/' | '.' | ' ')
}

/// The lines a label is drawn in: broken after '-', ':', '_', '/', '.' or a space so that a
/// line stays within `MAX_LINE` when it can (a word is never split).
#[must_use]
pub fn label_lines(label: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let (mut start, mut end) = (0, 0);
    for (i, c) in label.char_indices() {
        let next = i + c.len_utf8();
        if is_break(c) || next == label.len() {
            if end > start && text_width(label[start..next].trim_end(), LABEL_FONT) > MAX_LINE {
                lines.push(label[start..end].trim_end());
                start = end;
            }
            end = next;
        }
    }
    lines.push(label[start..].trim_end());
    lines.retain(|l| !l.is_empty());
    lines
}

/// The lines of a node's label: whole, or broken to stay narrow.
#[must_use]
pub fn lines_of(label: &str, wrap: bool) -> Vec<&str> {
    if wrap {
        label_lines(label)
    } else {
        vec![label]
    }
}

/// Width and height of the text under a node: its label's lines and, if it has one, the detail.
#[must_use]
pub fn text_size(kind: NodeKind, lines: &[&str]) -> [f32; 2] {
    let mut w = lines
        .iter()
        .map(|l| text_width(l, LABEL_FONT))
        .fold(0.0, f32::max);
    let mut h = lines.len() as f32 * LINE_HEIGHT;
    if kind.has_detail() {
        w = w.max(DETAIL_CHARS * MONO_EM * DETAIL_FONT);
        h += DETAIL_HEIGHT;
    }
    [w, h]
}

/// A rectangle: [min x, min y, max x, max y].
pub type Rect4 = [f32; 4];

/// Whether two rectangles share more than an edge.
#[must_use]
pub fn intersects(a: Rect4, b: Rect4) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Nodes placed for a pane.
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// Centre of each node's shape, by node index.
    pub pos: Vec<[f32; 2]>,
    /// The shape of each node, and the text under it.
    pub body: Vec<Rect4>,
    pub label: Vec<Rect4>,
    /// The lines each node's label is drawn in.
    pub lines: Vec<Vec<String>>,
    /// The line from a node down to its label when the label is in a lower tier.
    pub leader: Vec<Option<Rect4>>,
    /// How wide the text under each node may be drawn: as far as its neighbours allow.
    pub room: Vec<f32>,
    /// The part of the canvas to show: everything, centred, in the pane's aspect.
    pub frame: Rect4,
    /// Screen points per canvas unit when `frame` fills the pane.
    pub zoom: f32,
    /// Tiers each layer's labels are staggered in, top to bottom, and whether labels are
    /// broken into lines.
    pub tiers: Vec<usize>,
    pub wrapped: bool,
}

/// How to place: labels broken into lines (where a node has neighbours) or not, label tiers
/// per layer, extra room between layers, horizontal spread.
#[derive(Clone, Debug)]
struct Plan {
    wrap: bool,
    tiers: Vec<usize>,
    extra_gap: f32,
    spread: f32,
}

/// One node's measures: its shape's width and half height, its text's width and height.
#[derive(Clone, Copy)]
struct Measure {
    body_w: f32,
    half_h: f32,
    text_w: f32,
    text_h: f32,
}

impl Measure {
    fn width(&self) -> f32 {
        self.body_w.max(self.text_w)
    }
}

/// How far right of node `j` node `k` (j < k) must be, their labels in tiers `tj` and `tk`.
fn spacing(mj: &Measure, mk: &Measure, tj: usize, tk: usize, consecutive: bool) -> f32 {
    let mut d: f32 = 0.0;
    if consecutive {
        d = d.max((mj.body_w + mk.body_w) / 2.0 + NODE_SPACE);
    }
    if tj == tk {
        d = d.max((mj.text_w + mk.text_w) / 2.0 + LABEL_SPACE);
    } else if tj < tk {
        // k's leader passes j's tier.
        d = d.max(mj.text_w / 2.0 + LEADER_SPACE);
    } else {
        d = d.max(mk.text_w / 2.0 + LEADER_SPACE);
    }
    d
}

/// x of each node of a layer whose labels are staggered in `tiers` tiers (node k's in tier
/// k % tiers), left to right in the layer's order, centred on 0. The layer is as narrow as
/// packing every node as far left as it can go, and within that its nodes are as evenly spaced
/// as the spacings allow.
fn layer_xs(m: &[Measure], tiers: usize) -> Vec<f32> {
    let (n, r) = (m.len(), tiers.max(1));
    let need = |j: usize, k: usize| spacing(&m[j], &m[k], j % r, k % r, j + 1 == k);
    // Leftmost and rightmost places of each node between the same two ends.
    let mut left: Vec<f32> = Vec::with_capacity(n);
    for k in 0..n {
        left.push((0..k).map(|j| left[j] + need(j, k)).fold(0.0, f32::max));
    }
    let span = left.last().copied().unwrap_or(0.0);
    let mut right = vec![span; n];
    for k in (0..n).rev() {
        right[k] = (k + 1..n)
            .map(|j| right[j] - need(k, j))
            .fold(span, f32::min);
    }
    let mut xs: Vec<f32> = Vec::with_capacity(n);
    for (k, most) in right.iter().enumerate() {
        let even = if n > 1 {
            span * k as f32 / (n - 1) as f32
        } else {
            0.0
        };
        let least = (0..k).map(|j| xs[j] + need(j, k)).fold(0.0, f32::max);
        xs.push(least.max(even.min(*most)));
    }
    let [lo, hi] = extent(&xs, m);
    xs.iter().map(|x| x - (lo + hi) / 2.0).collect()
}

fn extent(xs: &[f32], m: &[Measure]) -> [f32; 2] {
    let lo = xs
        .iter()
        .zip(m)
        .map(|(x, m)| x - m.width() / 2.0)
        .fold(f32::MAX, f32::min);
    let hi = xs
        .iter()
        .zip(m)
        .map(|(x, m)| x + m.width() / 2.0)
        .fold(f32::MIN, f32::max);
    [lo, hi]
}

fn union(a: Rect4, b: Rect4) -> Rect4 {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// Half the width node k's text may take: its own and half the slack to its tier's
/// neighbours (so that two neighbours' texts never meet), short of the leaders passing it.
fn half_room(xs: &[f32], m: &[Measure], tiers: usize, k: usize) -> f32 {
    let r = tiers.max(1);
    let own = m[k].text_w / 2.0;
    let mut free = f32::MAX;
    for j in (0..xs.len()).filter(|&j| j != k) {
        let d = (xs[k] - xs[j]).abs();
        if j % r == k % r {
            free = free.min((d - own - m[j].text_w / 2.0 - LABEL_SPACE) / 2.0);
        } else if j % r > k % r {
            free = free.min(d - own - LEADER_SPACE);
        }
    }
    // Alone in its tier, only the frame bounds it ([`Placement::bound_rooms`]).
    own + free.max(0.0)
}

/// Where each node of one layer goes: `y` is the layer's top; returns the layer's height.
struct LayerPlace<'a> {
    p: &'a mut Placement,
    nodes: &'a [petgraph::stable_graph::NodeIndex],
    labels: Vec<&'a str>,
    wrap: bool,
    m: Vec<Measure>,
    tiers: usize,
}

impl LayerPlace<'_> {
    fn place(self, y: f32, spread: f32) -> f32 {
        let xs: Vec<f32> = layer_xs(&self.m, self.tiers)
            .iter()
            .map(|x| x * spread)
            .collect();
        let half = self.m.iter().map(|m| m.half_h).fold(0.0, f32::max);
        let tier_h = self.m.iter().map(|m| m.text_h).fold(0.0, f32::max) + TIER_GAP;
        let first = y + 2.0 * half + LABEL_GAP;
        for (k, &ix) in self.nodes.iter().enumerate() {
            let (x, cy, m, i) = (xs[k], y + half, &self.m[k], ix.index());
            let top = first + (k % self.tiers) as f32 * tier_h;
            self.p.pos[i] = [x, cy];
            self.p.body[i] = [
                x - m.body_w / 2.0,
                cy - m.half_h,
                x + m.body_w / 2.0,
                cy + m.half_h,
            ];
            self.p.label[i] = [x - m.text_w / 2.0, top, x + m.text_w / 2.0, top + m.text_h];
            self.p.lines[i] = lines_of(self.labels[k], self.wrap)
                .into_iter()
                .map(str::to_owned)
                .collect();
            self.p.leader[i] =
                (k % self.tiers > 0).then_some([x - 0.5, cy + m.half_h, x + 0.5, top]);
            self.p.room[i] = 2.0 * half_room(&xs, &self.m, self.tiers, k);
            self.p.frame = union(self.p.frame, union(self.p.body[i], self.p.label[i]));
        }
        2.0 * half + LABEL_GAP + self.tiers as f32 * tier_h - TIER_GAP
    }
}

impl Topology {
    /// Whether the labels of `layer` are broken into lines under `plan`: not for a node alone
    /// in its layer, it has the width to itself.
    fn wraps(plan: &Plan, layer: &[petgraph::stable_graph::NodeIndex]) -> bool {
        plan.wrap && layer.len() > 1
    }

    fn measures(&self, layer: &[petgraph::stable_graph::NodeIndex], wrap: bool) -> Vec<Measure> {
        layer
            .iter()
            .map(|&ix| {
                let n = &self.graph[ix];
                let [hw, hh] = n.kind.half_size();
                let [lw, lh] = text_size(n.kind, &lines_of(&n.label, wrap));
                Measure {
                    body_w: 2.0 * hw,
                    half_h: hh,
                    text_w: lw,
                    text_h: lh,
                }
            })
            .collect()
    }

    /// Every node placed by `plan`; the frame is the picture with its margin, at zoom 1.
    fn place(&self, plan: &Plan) -> Placement {
        let n = self.graph.node_bound();
        let mut p = Placement {
            pos: vec![[0.0; 2]; n],
            body: vec![[0.0; 4]; n],
            label: vec![[0.0; 4]; n],
            lines: vec![Vec::new(); n],
            leader: vec![None; n],
            room: vec![0.0; n],
            frame: [f32::MAX, f32::MAX, f32::MIN, f32::MIN],
            zoom: 1.0,
            tiers: Vec::new(),
            wrapped: plan.wrap,
        };
        let mut y = 0.0;
        for (l, nodes) in self.layers.iter().enumerate() {
            let tiers = plan
                .tiers
                .get(l)
                .copied()
                .unwrap_or(1)
                .clamp(1, nodes.len().max(1));
            let wrap = Self::wraps(plan, nodes);
            let layer = LayerPlace {
                p: &mut p,
                nodes,
                labels: nodes
                    .iter()
                    .map(|&ix| self.graph[ix].label.as_str())
                    .collect(),
                wrap,
                m: self.measures(nodes, wrap),
                tiers,
            };
            y += layer.place(y, plan.spread) + LAYER_GAP + plan.extra_gap;
            p.tiers.push(tiers);
        }
        if self.layers.is_empty() {
            p.frame = [0.0; 4];
        }
        p.frame = [
            p.frame[0] - MARGIN,
            p.frame[1] - MARGIN,
            p.frame[2] + MARGIN,
            p.frame[3] + MARGIN,
        ];
        p.bound_rooms();
        p
    }

    /// Label tiers per layer to try, labels broken into lines or not, from one tier everywhere
    /// to the widest layers staggered most: each plan staggers every layer wider than a
    /// threshold into as few tiers as bring it within it.
    fn tier_plans(&self, wrap: bool) -> Vec<Plan> {
        let widths: Vec<Vec<f32>> = self
            .layers
            .iter()
            .map(|nodes| {
                let m = self.measures(nodes, wrap && nodes.len() > 1);
                (1..=MAX_TIERS.min(nodes.len().max(1)))
                    .map(|r| {
                        let [lo, hi] = extent(&layer_xs(&m, r), &m);
                        hi - lo
                    })
                    .collect()
            })
            .collect();
        let mut thresholds: Vec<f32> = widths.iter().flatten().copied().collect();
        thresholds.sort_by(|a, b| b.total_cmp(a));
        thresholds.dedup();
        let mut plans: Vec<Plan> = Vec::new();
        for t in thresholds {
            let tiers: Vec<usize> = widths
                .iter()
                .map(|w| w.iter().position(|&x| x <= t).unwrap_or(w.len() - 1) + 1)
                .collect();
            if plans.last().is_none_or(|p| p.tiers != tiers) {
                plans.push(Plan {
                    wrap,
                    tiers,
                    extra_gap: 0.0,
                    spread: 1.0,
                });
            }
        }
        plans
    }

    /// Labels in one tier per layer at their natural spacing: the layout the nodes carry.
    #[must_use]
    pub fn placement(&self) -> Placement {
        self.place(&Plan {
            wrap: false,
            tiers: vec![1; self.layers.len()],
            extra_gap: 0.0,
            spread: 1.0,
        })
    }

    /// Nodes placed to fill a pane of `size` screen points: the staggering that draws them
    /// largest (whole labels in one tier unless breaking or staggering them draws the picture
    /// clearly larger), then the layers moved apart and spread out into the room left, and the
    /// frame that centres the picture in the pane.
    #[must_use]
    pub fn placement_for(&self, size: [f32; 2]) -> Placement {
        self.placement_within(size, MAX_ZOOM)
    }

    /// As [`Topology::placement_for`], drawn no larger than `zoom` (side by side, panes show
    /// their graphs at the scale of the most crowded one).
    #[must_use]
    pub fn placement_within(&self, size: [f32; 2], zoom: f32) -> Placement {
        let cap = zoom.min(MAX_ZOOM);
        let mut best = self.placement();
        let mut best_zoom = zoom_for(best.frame, size, cap);
        let plans = [self.tier_plans(false), self.tier_plans(true)].concat();
        for plan in plans.iter().skip(1) {
            let p = self.place(plan);
            let z = zoom_for(p.frame, size, cap);
            if z > best_zoom * STAGGER_GAIN {
                (best, best_zoom) = (p, z);
            }
        }
        let [w, h] = [width(best.frame), height(best.frame)];
        let gaps = self.layers.len().saturating_sub(1).max(1) as f32;
        let plan = Plan {
            wrap: best.wrapped,
            tiers: best.tiers.clone(),
            extra_gap: ((size[1] / best_zoom - h) / gaps).clamp(0.0, MAX_EXTRA_GAP),
            spread: ((size[0] / best_zoom - 2.0 * MARGIN) / (w - 2.0 * MARGIN).max(1.0))
                .clamp(1.0, MAX_SPREAD),
        };
        let mut p = self.place(&plan);
        p.fit(size, cap);
        p
    }
}

fn width(r: Rect4) -> f32 {
    r[2] - r[0]
}

fn height(r: Rect4) -> f32 {
    r[3] - r[1]
}

/// The zoom that shows all of `frame` in a pane of `size`, at most `cap`.
fn zoom_for(frame: Rect4, size: [f32; 2], cap: f32) -> f32 {
    let z = (size[0] / width(frame).max(1.0)).min(size[1] / height(frame).max(1.0));
    if z.is_finite() && z > 0.0 {
        z.min(cap)
    } else {
        1.0
    }
}

impl Placement {
    /// Grow the frame to the pane's aspect around the picture's centre, and set the zoom.
    fn fit(&mut self, size: [f32; 2], cap: f32) {
        self.zoom = zoom_for(self.frame, size, cap);
        if size[0] > 0.0 && size[1] > 0.0 {
            let c = [
                (self.frame[0] + self.frame[2]) / 2.0,
                (self.frame[1] + self.frame[3]) / 2.0,
            ];
            let half = [size[0] / self.zoom / 2.0, size[1] / self.zoom / 2.0];
            self.frame = [
                c[0] - half[0],
                c[1] - half[1],
                c[0] + half[0],
                c[1] + half[1],
            ];
        }
        self.bound_rooms();
    }

    /// No text reaches out of the frame.
    fn bound_rooms(&mut self) {
        for (room, pos) in self.room.iter_mut().zip(&self.pos) {
            let edge = (pos[0] - self.frame[0]).min(self.frame[2] - pos[0]) - MARGIN / 2.0;
            *room = room.min(2.0 * edge.max(0.0));
        }
    }

    /// Pairs of nodes that collide: a text over the other's text, shape or leader line, a
    /// leader through the other's shape, or two shapes. None in a good placement.
    #[must_use]
    pub fn overlaps(&self) -> Vec<(usize, usize)> {
        let n = self.pos.len();
        let hits = |i: usize, j: usize| {
            let lead = self.leader[j].unwrap_or([0.0; 4]);
            intersects(self.label[i], self.label[j])
                || intersects(self.label[i], self.body[j])
                || intersects(self.label[i], lead)
                || intersects(self.body[i], lead)
                || intersects(self.body[i], self.body[j])
        };
        let mut out = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                if hits(i, j) || hits(j, i) {
                    out.push((i, j));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_break_after_separators_and_keep_words_whole() {
        assert_eq!(label_lines("database-server-1"), ["database-", "server-1"]);
        assert_eq!(label_lines("audit"), ["audit"]);
        assert_eq!(label_lines("notifications"), ["notifications"]);
        assert_eq!(
            label_lines("supply-chain-service"),
            ["supply-", "chain-", "service"]
        );
        assert_eq!(label_lines("a b"), ["a b"]);
    }

    #[test]
    fn a_line_stays_within_its_width_unless_it_is_one_word() {
        for name in [
            "front-server-1",
            "queue metrics:metric-server",
            "x-y-z-w-v-u-t-s",
        ] {
            for line in label_lines(name) {
                let one_word = !line.trim_end_matches(is_break).contains(is_break);
                assert!(
                    text_width(line, LABEL_FONT) <= MAX_LINE || one_word,
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn rectangles_touching_at_an_edge_do_not_intersect() {
        assert!(!intersects([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]));
        assert!(intersects([0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 2.0, 2.0]));
    }
}
