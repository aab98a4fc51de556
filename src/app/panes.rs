//! Topology panes: each shown variant drawn with egui_graphs from the engine's graph and layout,
//! a look per node kind, messages as dots moving along the edges, losses flashing red.
//!
//! Drawing order in a pane: 1. headline counters, 2. the graph (egui_graphs while the pointer is
//! over the pane or the run plays; the same shapes painted directly otherwise, because
//! egui_graphs asks for a repaint every frame and a paused app should sit idle), 3. message dots
//! as an overlay through the view's canvas-to-screen transform, 4. the fault context menu.

use super::i18n::tr;
use super::session::Action;
use super::session::Session;
use super::trace::TRACE_COLOR;
use crate::engine::state::ModelState;
use crate::engine::Snapshot;
use crate::engine::{Command, ConsumerId, Endpoint, Leg, MsgId, ProducerId, Status};
use crate::report::Measured;
use crate::scenario::{secs, to_secs, Lang, Nanos, TopicId};
use crate::sim::trace::{MessageTrace, VariantTrace};
use crate::sim::VariantSim;
use crate::topology::{place, EdgeKind, NodeId, NodeKind, Topology};
use eframe::egui::{self, Color32, Pos2, Rect, Shape, Stroke, Vec2};
use egui_graphs::{
    DisplayEdge, DisplayNode, DrawContext, EdgeProps, GraphView, Layout, LayoutState,
    MetadataFrame, Node, NodeProps, SettingsInteraction, SettingsNavigation, SettingsStyle,
};
use petgraph::stable_graph::{NodeIndex, StableGraph};
use petgraph::Directed;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Live look of one node, refreshed from the engine every frame.
#[derive(Clone, Debug, Default)]
pub struct VisNode {
    pub kind: Option<NodeKind>,
    /// The full name (on hover) and the short one drawn under the node.
    pub name: String,
    pub label: String,
    /// The lines the label is drawn in (from the placement).
    pub lines: Vec<String>,
    /// How wide the text under the node may be, how far below the node it starts, and whether
    /// a leader line joins them (a label staggered into a lower tier), in canvas units.
    pub room: f32,
    pub drop: f32,
    pub leader: bool,
    /// 0..1: queue depth, channel fill, subscriber buffer.
    pub fill: f32,
    /// A second line under the name (depth, lag, status), and a shorter form of it.
    pub detail: String,
    pub short: String,
    pub state: Look,
    /// Partition lanes of a log: (filled fraction, group offset markers as fractions), at
    /// most [`MAX_LANES`] of [`MAX_MARKS`] marks. Shared: the graph widget clones a node for
    /// each of its edges every frame.
    pub lanes: Arc<Lanes>,
    /// 0..1: a loss just happened here.
    pub flash: f32,
    /// The lesson step points at this node.
    pub highlight: bool,
    /// Whether the followed message went (or will go) through this node.
    pub traced: Traced,
}

/// How a node or edge lies on the followed message's path, at the instant shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Traced {
    #[default]
    No,
    /// Later in its life: drawn faint.
    Ahead,
    /// Already crossed.
    Crossed,
}

impl Traced {
    /// On the path since `first` (None: never), seen at `now`.
    fn at(first: Option<Nanos>, now: Nanos) -> Traced {
        match first {
            None => Traced::No,
            Some(t) if t <= now => Traced::Crossed,
            Some(_) => Traced::Ahead,
        }
    }
    /// The path's colour for it (None: not on the path).
    fn color(self) -> Option<Color32> {
        match self {
            Traced::No => None,
            Traced::Ahead => Some(TRACE_COLOR.gamma_multiply(0.35)),
            Traced::Crossed => Some(TRACE_COLOR),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Look {
    #[default]
    Normal,
    Down,
    Slow,
    Waiting,
}

#[derive(Clone, Debug, Default)]
pub struct VisEdge {
    pub kind: Option<EdgeKind>,
    /// Line width in canvas units, from recent traffic.
    pub width: f32,
    /// The part of the canvas the pane shows when fitted (the placement's frame): egui_graphs
    /// fits the graph's bounds, and every edge says the frame belongs to them.
    pub frame: Option<Rect>,
    /// Whether the followed message crossed (or will cross) this edge.
    pub traced: Traced,
}

type Graph = egui_graphs::Graph<VisNode, VisEdge, Directed, u32, NodeShape, EdgeShape>;

/// Size (half extents) of a node in canvas units: the sizes the placement made room for.
fn half_size(n: &VisNode) -> Vec2 {
    n.kind
        .map_or(Vec2::splat(10.0), |k| Vec2::from(k.half_size()))
}

fn boundary(n: &VisNode, center: Pos2, dir: Vec2) -> Pos2 {
    let h = half_size(n);
    if n.kind == Some(NodeKind::Consumer) {
        return center + dir.normalized() * h.x;
    }
    let d = dir.normalized();
    let tx = if d.x.abs() > 1e-6 {
        h.x / d.x.abs()
    } else {
        f32::MAX
    };
    let ty = if d.y.abs() > 1e-6 {
        h.y / d.y.abs()
    } else {
        f32::MAX
    };
    center + d * tx.min(ty)
}

/// A colour per topic, readable in both themes.
#[must_use]
pub fn topic_color(t: TopicId) -> Color32 {
    const PALETTE: [Color32; 8] = [
        Color32::from_rgb(66, 165, 245),
        Color32::from_rgb(255, 167, 38),
        Color32::from_rgb(102, 187, 106),
        Color32::from_rgb(171, 71, 188),
        Color32::from_rgb(38, 198, 218),
        Color32::from_rgb(236, 64, 122),
        Color32::from_rgb(212, 225, 87),
        Color32::from_rgb(141, 110, 99),
    ];
    PALETTE[usize::from(t) % PALETTE.len()]
}

/// The shapes of one node at `center` (screen), `zoom` screen pixels per canvas unit: 1. its
/// body with fill level or partition lanes, 2. marks (down, highlighted, a loss). Its text is
/// drawn over the message dots ([`text_shapes`]).
fn node_shapes(
    n: &VisNode,
    center: Pos2,
    zoom: f32,
    emphasis: bool,
    visuals: &egui::Visuals,
) -> Vec<Shape> {
    let rect = Rect::from_center_size(center, half_size(n) * 2.0 * zoom);
    let mut out = body_shapes(n, rect, zoom, emphasis, visuals);
    out.extend(mark_shapes(n, rect, zoom));
    out
}

fn body_shapes(
    n: &VisNode,
    rect: Rect,
    zoom: f32,
    emphasis: bool,
    visuals: &egui::Visuals,
) -> Vec<Shape> {
    let base = match n.kind {
        Some(NodeKind::Producer) => Color32::from_rgb(52, 101, 164),
        Some(NodeKind::Consumer) => Color32::from_rgb(46, 139, 87),
        Some(NodeKind::Broker) => Color32::from_rgb(117, 80, 123),
        Some(NodeKind::Channel) => Color32::from_rgb(90, 90, 90),
        Some(NodeKind::Queue | NodeKind::Log) => Color32::from_rgb(70, 70, 70),
        None => Color32::GRAY,
    };
    let fill = match n.state {
        Look::Normal => base,
        Look::Down => Color32::from_rgb(160, 40, 40),
        Look::Slow => Color32::from_rgb(200, 130, 20),
        Look::Waiting => Color32::from_gray(if visuals.dark_mode { 70 } else { 190 }),
    };
    let stroke = if emphasis {
        Stroke::new(2.5, visuals.selection.stroke.color)
    } else {
        Stroke::new(1.0, visuals.widgets.noninteractive.fg_stroke.color)
    };
    let round = 3.0 * zoom;
    let circle = n.kind == Some(NodeKind::Consumer);
    let mut out = vec![if circle {
        Shape::circle_filled(rect.center(), rect.width() / 2.0, fill)
    } else {
        Shape::rect_filled(rect, round, fill)
    }];
    // Fill level (queue depth, channel and buffer fill) from the bottom.
    if n.fill > 0.0
        && matches!(
            n.kind,
            Some(NodeKind::Queue | NodeKind::Channel | NodeKind::Consumer)
        )
    {
        let mut r = rect.shrink(2.0 * zoom);
        r.min.y = r.max.y - r.height() * n.fill.clamp(0.0, 1.0);
        out.push(Shape::rect_filled(
            r,
            2.0 * zoom,
            Color32::from_rgb(255, 193, 7).gamma_multiply(0.85),
        ));
    }
    if n.kind == Some(NodeKind::Log) {
        out.extend(lane_shapes(n, rect, zoom, visuals.dark_mode));
    }
    out.push(if circle {
        Shape::circle_stroke(rect.center(), rect.width() / 2.0, stroke)
    } else {
        Shape::rect_stroke(rect, round, stroke, egui::StrokeKind::Outside)
    });
    out
}

/// A log's lanes: (filled fraction, group offset markers as fractions).
pub type Lanes = Vec<(f32, Vec<f32>)>;

/// Lanes a log node draws at most: more partitions share a lane (a node is a few dozen points
/// tall; 1,024 lanes of a point each would draw nothing readable, and a frame slowly).
const MAX_LANES: usize = 32;
/// Group marks a lane draws at most (the first groups'; the inspector lists them all).
const MAX_MARKS: usize = 16;

/// Partition lanes of a log, each with its groups' committed offsets.
fn lane_shapes(n: &VisNode, rect: Rect, zoom: f32, dark: bool) -> Vec<Shape> {
    let mut out = Vec::new();
    if n.lanes.is_empty() {
        return out;
    }
    let inner = rect.shrink(3.0 * zoom);
    let lane_h = inner.height() / n.lanes.len() as f32;
    let gap = (lane_h * 0.15).min(1.0);
    for (i, (filled, marks)) in n.lanes.iter().enumerate() {
        let y0 = inner.min.y + lane_h * i as f32;
        let lane = Rect::from_min_size(
            Pos2::new(inner.min.x, y0 + gap),
            Vec2::new(inner.width(), (lane_h - 2.0 * gap).max(1.0)),
        );
        out.push(Shape::rect_filled(
            lane,
            1.0,
            Color32::from_gray(if dark { 40 } else { 220 }),
        ));
        let mut f = lane;
        f.max.x = f.min.x + lane.width() * filled.clamp(0.0, 1.0);
        out.push(Shape::rect_filled(
            f,
            1.0,
            Color32::from_rgb(66, 165, 245).gamma_multiply(0.8),
        ));
        for (k, m) in marks.iter().enumerate() {
            let x = lane.min.x + lane.width() * m.clamp(0.0, 1.0);
            let c = topic_color(TopicId::try_from(k + 3).unwrap_or(0));
            out.push(Shape::line_segment(
                [
                    Pos2::new(x, lane.min.y - gap),
                    Pos2::new(x, lane.max.y + gap),
                ],
                Stroke::new(2.0, c),
            ));
        }
    }
    out
}

/// A cross on a node that is down, a ring on a highlighted one, a red flash where a loss was,
/// a glow on one the followed message went through.
fn mark_shapes(n: &VisNode, rect: Rect, zoom: f32) -> Vec<Shape> {
    let mut out = Vec::new();
    if let Some(color) = n.traced.color() {
        let glow = Stroke::new(2.5, color);
        let r = rect.expand(2.5 * zoom.max(0.5));
        out.push(if n.kind == Some(NodeKind::Consumer) {
            Shape::circle_stroke(r.center(), r.width() / 2.0, glow)
        } else {
            Shape::rect_stroke(r, 4.0 * zoom, glow, egui::StrokeKind::Outside)
        });
    }
    if n.state == Look::Down {
        let r = rect.shrink(rect.height().min(rect.width()) * 0.15);
        let white = Stroke::new(2.0, Color32::WHITE);
        out.push(Shape::line_segment([r.left_top(), r.right_bottom()], white));
        out.push(Shape::line_segment([r.right_top(), r.left_bottom()], white));
    }
    if n.highlight {
        out.push(Shape::rect_stroke(
            rect.expand(4.0 * zoom.max(0.5)),
            5.0 * zoom,
            Stroke::new(3.0, Color32::from_rgb(255, 202, 40)),
            egui::StrokeKind::Outside,
        ));
    }
    if n.flash > 0.0 {
        let a = (n.flash * 255.0) as u8;
        out.push(Shape::circle_stroke(
            rect.center(),
            rect.size().length() * 0.55,
            Stroke::new(4.0, Color32::from_rgba_unmultiplied(230, 30, 30, a)),
        ));
    }
    out
}

/// The label's lines under the node and the live detail under them, on a backing that keeps
/// them readable where edges pass, within the room the placement gave the node. Sizes follow
/// the zoom, as the placement measured them; too small to read, they are left out (the name
/// is on hover).
fn text_shapes(
    n: &VisNode,
    rect: Rect,
    zoom: f32,
    visuals: &egui::Visuals,
    fonts_ctx: &egui::Context,
) -> Vec<Shape> {
    let size = place::LABEL_FONT * zoom;
    if !readable(size) {
        return Vec::new();
    }
    let text_color = visuals.text_color();
    let mut galleys = Vec::new();
    let whole = [n.label.clone()];
    let lines = if n.lines.is_empty() {
        &whole[..]
    } else {
        &n.lines[..]
    };
    for line in lines {
        let g = fonts_ctx.fonts_mut(|f| {
            f.layout_no_wrap(line.clone(), egui::FontId::proportional(size), text_color)
        });
        galleys.push((g, place::LINE_HEIGHT * zoom));
    }
    if !n.detail.is_empty()
        && n.kind.is_some_and(NodeKind::has_detail)
        && readable(place::DETAIL_FONT * zoom)
    {
        let font = egui::FontId::monospace(place::DETAIL_FONT * zoom);
        let room = n.room.max(2.0 * half_size(n).x) * zoom;
        let text = elide(&n.detail, &n.short, room, &font, fonts_ctx);
        let g = fonts_ctx.fonts_mut(|f| f.layout_no_wrap(text, font, visuals.weak_text_color()));
        galleys.push((g, place::DETAIL_HEIGHT * zoom));
    }
    let width = galleys.iter().map(|(g, _)| g.size().x).fold(0.0, f32::max);
    let height: f32 = galleys.iter().map(|(_, h)| h).sum();
    let top = rect.max.y + n.drop.max(place::LABEL_GAP) * zoom;
    let backing = Rect::from_min_size(
        Pos2::new(rect.center().x - width / 2.0, top),
        Vec2::new(width, height),
    );
    let mut out = Vec::new();
    if n.leader {
        // Dotted, so that it is not taken for an edge.
        let x = rect.center().x;
        out.extend(Shape::dotted_line(
            &[Pos2::new(x, rect.max.y + 2.0 * zoom), Pos2::new(x, top)],
            visuals.weak_text_color(),
            3.0 * zoom,
            0.8,
        ));
    }
    out.push(Shape::rect_filled(
        backing.expand(1.0),
        2.0,
        visuals.panel_fill.gamma_multiply(0.9),
    ));
    let mut y = top;
    for (g, h) in galleys {
        let pos = Pos2::new(rect.center().x - g.size().x / 2.0, y);
        out.push(Shape::galley(pos, g, text_color));
        y += h;
    }
    out
}

/// A broker that is partly up says how much inside its box (one that is down is crossed out;
/// the label below has no line for it).
fn inner_text(n: &VisNode, rect: Rect, zoom: f32, fonts_ctx: &egui::Context) -> Option<Shape> {
    let font = egui::FontId::monospace(place::DETAIL_FONT * zoom);
    if n.kind != Some(NodeKind::Broker) || n.state != Look::Slow || !readable(font.size) {
        return None;
    }
    let text = elide(&n.detail, &n.short, rect.width() - 2.0, &font, fonts_ctx);
    let g = fonts_ctx.fonts_mut(|f| f.layout_no_wrap(text, font, Color32::BLACK));
    Some(Shape::galley(
        rect.center() - g.size() / 2.0,
        g,
        Color32::BLACK,
    ))
}

/// `text` if it fits `width` screen points in `font`, else `short` (if any) cut with "…" to
/// fit.
fn elide(
    text: &str,
    short: &str,
    width: f32,
    font: &egui::FontId,
    fonts_ctx: &egui::Context,
) -> String {
    let fits = |s: &str| {
        fonts_ctx.fonts_mut(|f| {
            f.layout_no_wrap(s.to_owned(), font.clone(), Color32::WHITE)
                .size()
                .x
        }) <= width
    };
    if fits(text) {
        return text.to_owned();
    }
    let text = if short.is_empty() { text } else { short };
    if fits(text) {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    (1..chars.len())
        .rev()
        .map(|k| format!("{}…", chars[..k].iter().collect::<String>().trim_end()))
        .find(|s| fits(s))
        .unwrap_or_default()
}

fn edge_shapes(
    a: (&VisNode, Pos2),
    b: (&VisNode, Pos2),
    e: &VisEdge,
    zoom: f32,
    visuals: &egui::Visuals,
) -> Vec<Shape> {
    let dir = b.1 - a.1;
    if dir.length() < 1e-3 {
        return Vec::new();
    }
    let from = a.1 + (boundary(a.0, Pos2::ZERO, dir) - Pos2::ZERO) * zoom;
    let to = b.1 + (boundary(b.0, Pos2::ZERO, -dir) - Pos2::ZERO) * zoom;
    let color = visuals
        .widgets
        .noninteractive
        .fg_stroke
        .color
        .gamma_multiply(if e.kind == Some(EdgeKind::Internal) {
            0.35
        } else {
            0.6
        });
    let (width, color) = match e.traced.color() {
        Some(c) => ((e.width * zoom).clamp(2.5, 12.0), c),
        None => ((e.width * zoom).clamp(0.5, 12.0), color),
    };
    let mut out = vec![Shape::line_segment([from, to], Stroke::new(width, color))];
    let d = (to - from).normalized();
    let tip = 7.0 * zoom.clamp(0.5, 1.5);
    let side = Vec2::new(-d.y, d.x) * tip * 0.45;
    out.push(Shape::convex_polygon(
        vec![to, to - d * tip + side, to - d * tip - side],
        color,
        Stroke::NONE,
    ));
    out
}

/// egui_graphs node display: our shapes, our hit test.
#[derive(Clone, Debug)]
pub struct NodeShape {
    pos: Pos2,
    emphasis: bool,
    node: VisNode,
}

impl From<NodeProps<VisNode>> for NodeShape {
    fn from(p: NodeProps<VisNode>) -> Self {
        NodeShape {
            pos: p.location(),
            emphasis: p.selected || p.hovered || p.dragged,
            node: p.payload,
        }
    }
}

impl DisplayNode<VisNode, VisEdge, Directed, u32> for NodeShape {
    fn closest_boundary_point(&self, dir: Vec2) -> Pos2 {
        boundary(&self.node, self.pos, dir)
    }
    fn shapes(&mut self, ctx: &DrawContext) -> Vec<Shape> {
        let center = ctx.meta.canvas_to_screen_pos(self.pos);
        let zoom = ctx.meta.zoom;
        node_shapes(
            &self.node,
            center,
            zoom,
            self.emphasis,
            &ctx.ctx.global_style().visuals,
        )
    }
    fn update(&mut self, p: &NodeProps<VisNode>) {
        self.pos = p.location();
        self.emphasis = p.selected || p.hovered || p.dragged;
        self.node.clone_from(&p.payload);
    }
    fn is_inside(&self, pos: Pos2) -> bool {
        Rect::from_center_size(self.pos, half_size(&self.node) * 2.0).contains(pos)
    }
}

#[derive(Clone, Debug)]
pub struct EdgeShape {
    edge: VisEdge,
}

impl From<EdgeProps<VisEdge>> for EdgeShape {
    fn from(p: EdgeProps<VisEdge>) -> Self {
        EdgeShape { edge: p.payload }
    }
}

impl DisplayEdge<VisNode, VisEdge, Directed, u32, NodeShape> for EdgeShape {
    fn shapes(
        &mut self,
        start: &Node<VisNode, VisEdge, Directed, u32, NodeShape>,
        end: &Node<VisNode, VisEdge, Directed, u32, NodeShape>,
        ctx: &DrawContext,
    ) -> Vec<Shape> {
        let a = (
            start.payload(),
            ctx.meta.canvas_to_screen_pos(start.location()),
        );
        let b = (end.payload(), ctx.meta.canvas_to_screen_pos(end.location()));
        edge_shapes(
            a,
            b,
            &self.edge,
            ctx.meta.zoom,
            &ctx.ctx.global_style().visuals,
        )
    }
    fn update(&mut self, p: &EdgeProps<VisEdge>) {
        self.edge.clone_from(&p.payload);
    }
    fn is_inside(
        &self,
        _start: &Node<VisNode, VisEdge, Directed, u32, NodeShape>,
        _end: &Node<VisNode, VisEdge, Directed, u32, NodeShape>,
        _pos: Pos2,
    ) -> bool {
        false
    }
    fn extra_bounds(
        &self,
        _start: &Node<VisNode, VisEdge, Directed, u32, NodeShape>,
        _end: &Node<VisNode, VisEdge, Directed, u32, NodeShape>,
    ) -> Option<(Pos2, Pos2)> {
        self.edge.frame.map(|r| (r.min, r.max))
    }
}

/// A layout that leaves positions alone: they come from the engine's layered layout and from
/// the learner's dragging.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FixedState;
impl LayoutState for FixedState {}

#[derive(Debug, Default)]
pub struct Fixed;
impl Layout<FixedState> for Fixed {
    fn from_state(_: FixedState) -> impl Layout<FixedState> {
        Fixed
    }
    fn next<N, E, Ty, Ix, Dn, De>(
        &mut self,
        _g: &mut egui_graphs::Graph<N, E, Ty, Ix, Dn, De>,
        _ui: &egui::Ui,
    ) where
        N: Clone,
        E: Clone,
        Ty: petgraph::EdgeType,
        Ix: petgraph::stable_graph::IndexType,
        Dn: DisplayNode<N, E, Ty, Ix>,
        De: DisplayEdge<N, E, Ty, Ix, Dn>,
    {
    }
    fn state(&self) -> FixedState {
        FixedState
    }
}

/// A node the learner clicked: which variant, which node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Picked {
    pub variant: usize,
    pub node: u32,
}

struct Pane {
    variant: usize,
    id: String,
    graph: Graph,
    /// Traffic per edge (hops on it), smoothed over frames.
    traffic: Vec<f32>,
    menu_node: Option<u32>,
    fit_next: bool,
    /// The largest depth seen per node, to scale fill levels.
    peak: Vec<f32>,
    /// Canvas-to-screen transform of the last frame (zoom, offset), if the pane was drawn.
    xform: Option<(f32, Vec2)>,
    /// Edge index by (from, to) node ids, and this frame's message count per edge.
    edge_of: std::collections::HashMap<(u32, u32), usize>,
    counts: Vec<u32>,
    /// Size of the pane in the last frame: when it changes the graph is placed again.
    last_size: Vec2,
    /// The zoom the pane's graph would have alone, and the one it was placed at (the smallest
    /// of the panes shown: side by side, every graph is drawn at the same scale).
    natural_zoom: f32,
    zoom: f32,
    /// Per screen cell, the colour key of the last dot painted there this frame (reused).
    painted: Vec<u16>,
    /// Each node's screen position this frame (reused).
    screen: Vec<Pos2>,
    /// Each message dot drawn this frame, where (reused): a click on one follows it.
    hits: Vec<(Pos2, MsgId)>,
    /// When the followed message first reached each node and set out on each edge (None: it
    /// never does), and which trace that is.
    traced_nodes: Vec<Option<Nanos>>,
    traced_edges: Vec<Option<Nanos>>,
    traced_of: Option<*const MessageTrace>,
}

impl Pane {
    fn new(variant: usize, v: &VariantSim, id: String) -> Pane {
        let topo = &v.topology;
        let g: StableGraph<VisNode, VisEdge, Directed, u32> = topo.graph.map(
            |_, n| VisNode {
                kind: Some(n.kind),
                name: n.name.clone(),
                label: n.label.clone(),
                ..VisNode::default()
            },
            |_, k| VisEdge {
                kind: Some(*k),
                width: 1.0,
                frame: None,
                traced: Traced::No,
            },
        );
        let mut graph: Graph = egui_graphs::to_graph_custom(&g, |_n| {}, |_e| {});
        for (ix, n) in topo.graph.node_indices().map(|ix| (ix, &topo.graph[ix])) {
            if let Some(node) = graph.node_mut(NodeIndex::new(ix.index())) {
                node.set_location(Pos2::new(n.pos[0], n.pos[1]));
                node.set_label(n.name.clone());
            }
        }
        let edge_of = graph
            .edges_iter()
            .filter_map(|(e, _)| {
                let (a, b) = graph.edge_endpoints(e)?;
                let a = u32::try_from(a.index()).ok()?;
                let b = u32::try_from(b.index()).ok()?;
                Some(((a, b), e.index()))
            })
            .collect();
        Pane {
            hits: Vec::new(),
            traced_nodes: vec![None; graph.node_count()],
            traced_edges: vec![None; graph.edge_count()],
            traced_of: None,
            screen: Vec::new(),
            painted: Vec::new(),
            last_size: Vec2::ZERO,
            natural_zoom: place::MAX_ZOOM,
            zoom: place::MAX_ZOOM,
            counts: vec![0; graph.edge_count()],
            edge_of,
            variant,
            id,
            traffic: vec![0.0; graph.edge_count()],
            peak: vec![1.0; graph.node_count()],
            graph,
            menu_node: None,
            fit_next: true,
            xform: None,
        }
    }

    /// Place the nodes to fill a pane of `size`, at most at zoom `common` (the learner's
    /// dragging starts over), and fit the view to them in the next frame that shows the graph.
    fn place(&mut self, topo: &Topology, size: Vec2, common: f32) {
        let natural = topo.placement_for([size.x, size.y]);
        self.natural_zoom = natural.zoom;
        let p = if natural.zoom > common {
            topo.placement_within([size.x, size.y], common)
        } else {
            natural
        };
        self.zoom = p.zoom;
        self.last_size = size;
        for (i, (pos, room)) in p.pos.iter().zip(&p.room).enumerate() {
            if let Some(node) = self.graph.node_mut(NodeIndex::new(i)) {
                node.set_location(Pos2::new(pos[0], pos[1]));
                let n = node.payload_mut();
                n.room = *room;
                n.lines.clone_from(&p.lines[i]);
                n.drop = p.label[i][1] - p.body[i][3];
                n.leader = p.leader[i].is_some();
            }
        }
        let frame = Rect::from_min_max(
            Pos2::new(p.frame[0], p.frame[1]),
            Pos2::new(p.frame[2], p.frame[3]),
        );
        for e in 0..self.graph.edge_count() {
            let e = petgraph::stable_graph::EdgeIndex::new(e);
            if let Some(edge) = self.graph.edge_mut(e) {
                edge.payload_mut().frame = Some(frame);
                // The display copies its payload only when drawn, after this frame's fit.
                edge.display_mut().edge.frame = Some(frame);
            }
        }
        self.fit_next = true;
    }
}

/// What a node shows of the engine's state now: its look, fill level, detail (and the
/// detail's short form, where the long one has no room), a log's partition lanes.
#[derive(Default)]
struct Live {
    look: Look,
    fill: f32,
    detail: String,
    short: String,
    lanes: Lanes,
}

/// `n` and what it counts, in the order of the language `l`: "3 held", "보유 3". `word` is
/// already in `l`.
fn counted(l: Lang, n: impl std::fmt::Display, word: &str) -> String {
    match l {
        Lang::En => format!("{n} {word}"),
        Lang::Ko => format!("{word} {n}"),
    }
}

fn producer_live(topo: &Topology, snap: &Snapshot, id: u32, l: Lang) -> Live {
    let p = topo.producers.iter().position(|&x| x == id);
    if p.is_some_and(|p| snap.producers_link_down.get(p).copied().unwrap_or(false)) {
        Live {
            look: Look::Down,
            detail: tr(l, "link down").into(),
            ..Live::default()
        }
    } else {
        Live::default()
    }
}

fn consumer_live(
    snap: &Snapshot,
    id: u32,
    joins_at: Option<Nanos>,
    peak: &mut f32,
    l: Lang,
) -> Live {
    let Some(c) = snap.consumers.iter().find(|c| c.node == id) else {
        return Live::default();
    };
    let look = match c.status {
        Status::NotJoined => Look::Waiting,
        Status::Offline | Status::Crashed | Status::Removed => Look::Down,
        Status::Online if c.link_down => Look::Down,
        Status::Online if c.slow_factor > 1.0 => Look::Slow,
        Status::Online => Look::Normal,
    };
    let joins = to_secs(joins_at.unwrap_or(0));
    let short = match c.status {
        Status::NotJoined => match l {
            Lang::En => format!("at {joins:.0} s"),
            Lang::Ko => format!("{joins:.0}초"),
        },
        Status::Online => c.held.to_string(),
        _ => String::new(),
    };
    let detail = match c.status {
        Status::NotJoined => match l {
            Lang::En => format!("joins at {joins:.0} s"),
            Lang::Ko => format!("{joins:.0}초에 합류"),
        },
        Status::Offline => tr(l, "offline").into(),
        Status::Crashed => tr(l, "crashed").into(),
        Status::Removed => tr(l, "removed").into(),
        Status::Online => counted(l, c.held, tr(l, "held")),
    };
    *peak = peak.max(c.held as f32);
    Live {
        look,
        fill: c.held as f32 / peak.max(20.0),
        detail,
        short,
        lanes: Vec::new(),
    }
}

/// A broker is down when every one of its nodes is, partly up when some are.
fn broker_live(topo: &Topology, state: &ModelState, id: u32, l: Lang) -> Live {
    let Some(b) = topo.brokers.iter().position(|&x| x == id) else {
        return Live::default();
    };
    let name = &topo.node(id).name;
    let mine: Vec<bool> = state
        .brokers
        .iter()
        .filter(|x| x.name == *name || x.name.starts_with(&format!("{name}/")))
        .map(|x| x.up)
        .collect();
    let mine = if mine.is_empty() {
        state.brokers.get(b).map(|x| vec![x.up]).unwrap_or_default()
    } else {
        mine
    };
    let up = mine.iter().filter(|&&u| u).count();
    if !mine.is_empty() && up == 0 {
        Live {
            look: Look::Down,
            detail: tr(l, "down").into(),
            ..Live::default()
        }
    } else if up < mine.len() {
        Live {
            look: Look::Slow,
            detail: counted(l, format!("{up}/{}", mine.len()), tr(l, "up")),
            short: format!("{up}/{}", mine.len()),
            ..Live::default()
        }
    } else {
        Live::default()
    }
}

fn channel_live(state: &ModelState, l: Lang) -> Live {
    let Some(c) = &state.channel else {
        return Live::default();
    };
    Live {
        fill: if c.capacity > 0 {
            c.depth as f32 / c.capacity as f32
        } else {
            0.0
        },
        detail: format!(
            "{}/{} · {}",
            c.depth,
            c.capacity,
            counted(l, c.blocked, tr(l, "blocked"))
        ),
        short: format!("{}/{}", c.depth, c.capacity),
        ..Live::default()
    }
}

fn queue_live(state: &ModelState, id: u32, peak: &mut f32, l: Lang) -> Live {
    let Some(q) = state.queues.iter().find(|q| q.node == id) else {
        return Live::default();
    };
    *peak = peak.max(q.depth as f32);
    let fill = q.depth as f32 / peak.max(50.0);
    if q.exists {
        Live {
            fill,
            detail: format!(
                "{} · {}",
                counted(l, q.depth, tr(l, "ready")),
                counted(l, q.unacked, tr(l, "unacked"))
            ),
            short: format!("{} · {}", q.depth, q.unacked),
            ..Live::default()
        }
    } else {
        Live {
            look: Look::Waiting,
            fill,
            detail: tr(l, "deleted").into(),
            ..Live::default()
        }
    }
}

/// A log's partitions as lanes, filled to their end offset, marked at each group's committed
/// offset; down when a partition has no leader. Past [`MAX_LANES`] partitions, consecutive
/// ones share a lane: filled to the furthest end, marked at each group's least offset.
fn log_live(state: &ModelState, id: u32, l: Lang) -> Live {
    let parts: Vec<_> = state.partitions.iter().filter(|p| p.node == id).collect();
    let max_end = parts
        .iter()
        .map(|p| p.log_end_offset)
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let mut live = Live::default();
    let mut lag = 0;
    let per_lane = parts.len().div_ceil(MAX_LANES).max(1);
    for share in parts.chunks(per_lane) {
        let end = share.iter().map(|p| p.log_end_offset).max().unwrap_or(0);
        let mut marks = vec![
            f32::INFINITY;
            share
                .iter()
                .map(|p| p.groups.len())
                .max()
                .unwrap_or(0)
                .min(MAX_MARKS)
        ];
        for p in share {
            for (m, g) in marks.iter_mut().zip(&p.groups) {
                *m = m.min(g.committed as f32 / max_end);
            }
        }
        live.lanes.push((end as f32 / max_end, marks));
    }
    for p in &parts {
        lag += p.groups.iter().map(|g| g.lag).sum::<u64>();
        if p.leader.is_none() {
            live.look = Look::Down;
        }
    }
    let end: u64 = parts.iter().map(|p| p.log_end_offset).sum();
    live.short = format!("{} {lag}", tr(l, "lag"));
    live.detail = format!("{end} · {}", live.short);
    live
}

/// The full name and the live detail of the node under the pointer.
fn node_tip(ui: &mut egui::Ui, n: &VisNode) {
    ui.strong(&n.name);
    if !n.detail.is_empty() {
        ui.monospace(&n.detail);
    }
}

pub struct Panes {
    panes: Vec<Pane>,
    /// Variant indexes shown, in order (1 to 5).
    pub shown: Vec<usize>,
    fault: Option<Action>,
    /// Producer and consumer names a lesson step highlights.
    highlighted: Vec<String>,
    /// The zoom of the most crowded pane shown: every pane is drawn at it.
    common_zoom: f32,
    /// The followed message's trace: its path lights up in every pane.
    pub traced: Option<Arc<MessageTrace>>,
    /// A message dot the learner clicked, to follow.
    clicked_message: Option<MsgId>,
}

/// Panes side by side at most: as many as a lesson step may show.
pub const MAX_SHOWN: usize = crate::scenario::SHOWN_MAX;
/// Wall seconds a short hop takes on screen.
const VISUAL_HOP_S: f64 = 0.3;
/// Dots drawn per pane at most.
const MAX_DOTS: usize = 20_000;
/// Labels smaller than this (screen points) are not drawn: unreadable, they would only clutter.
const MIN_TEXT: f32 = 6.0;
/// Nor larger than this, zoomed far into a node: a glyph past the font atlas's size made epaint
/// panic (at about 45 steps of Ctrl+scroll). The name is on hover.
const MAX_TEXT: f32 = 160.0;

/// A text of `size` points is drawn.
fn readable(size: f32) -> bool {
    (MIN_TEXT..=MAX_TEXT).contains(&size)
}

impl Panes {
    #[must_use]
    pub fn new(s: &Session) -> Panes {
        let panes: Vec<Pane> = s
            .sim()
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let id = format!(
                    "pane-{}-{}",
                    s.scenario().source,
                    s.scenario().variants[v.index].name
                );
                Pane::new(i, v, id)
            })
            .collect();
        let shown = (0..panes.len().min(MAX_SHOWN)).collect();
        Panes {
            panes,
            shown,
            fault: None,
            highlighted: Vec::new(),
            common_zoom: place::MAX_ZOOM,
            traced: None,
            clicked_message: None,
        }
    }

    /// A message dot the learner clicked since the last call.
    pub fn take_clicked_message(&mut self) -> Option<MsgId> {
        self.clicked_message.take()
    }

    /// The message dots pane `variant` drew in the last frame, with their screen positions.
    #[must_use]
    pub fn dots_drawn(&self, variant: usize) -> &[(Pos2, MsgId)] {
        self.panes
            .iter()
            .find(|p| p.variant == variant)
            .map_or(&[], |p| &p.hits)
    }

    /// Show these variants (indexes into the simulation's variants), at most five.
    pub fn show(&mut self, mut shown: Vec<usize>) {
        shown.retain(|&i| i < self.panes.len());
        shown.truncate(MAX_SHOWN);
        if !shown.is_empty() && shown != self.shown {
            self.shown = shown;
            self.fit_all();
        }
    }

    pub fn highlight(&mut self, names: Vec<String>) {
        self.highlighted = names;
    }

    /// The names of the nodes lit (a lesson step's `highlight`).
    #[must_use]
    pub fn highlighted(&self) -> &[String] {
        &self.highlighted
    }

    pub fn fit_all(&mut self) {
        for p in &mut self.panes {
            p.fit_next = true;
        }
    }

    /// Where node `node` of variant `variant` was drawn in the last frame (screen points).
    #[must_use]
    pub fn node_screen_pos(&self, variant: usize, node: u32) -> Option<Pos2> {
        let pane = self.panes.iter().find(|p| p.variant == variant)?;
        let (zoom, off) = pane.xform?;
        let loc = pane.graph.node(NodeIndex::new(node as usize))?.location();
        Some((loc.to_vec2() * zoom + off).to_pos2())
    }

    /// The size of the graph's area of `variant`'s pane when it was last laid out.
    #[must_use]
    pub fn graph_size(&self, variant: usize) -> Option<Vec2> {
        let pane = self.panes.iter().find(|p| p.variant == variant)?;
        Some(pane.last_size)
    }

    /// A fault the learner chose in a context menu, for the session to inject.
    pub fn take_fault(&mut self) -> Option<Action> {
        self.fault.take()
    }

    /// Draw the picker and every shown pane; returns a node the learner clicked.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &mut Session, l: Lang) -> Option<Picked> {
        ui.horizontal_wrapped(|ui| {
            ui.label(tr(l, "Show:"));
            for (i, v) in s.sim().variants.iter().enumerate() {
                let name = &s.scenario().variants[v.index].name;
                let mut on = self.shown.contains(&i);
                let can = on || self.shown.len() < MAX_SHOWN;
                let r = ui
                    .add_enabled(can, egui::Checkbox::new(&mut on, name.as_str()))
                    .on_hover_text(tr(l, "Show this variant (1 to 5 side by side)"));
                if r.changed() {
                    if on {
                        self.shown.push(i);
                        self.shown.sort_unstable();
                    } else if self.shown.len() > 1 {
                        self.shown.retain(|&x| x != i);
                    }
                    self.fit_all();
                }
            }
        });
        let n = self.shown.len().max(1);
        let mut picked = None;
        let avail = ui.available_rect_before_wrap();
        let w = avail.width() / n as f32;
        let shown = self.shown.clone();
        for (k, &pi) in shown.iter().enumerate() {
            let rect = Rect::from_min_size(
                Pos2::new(avail.min.x + w * k as f32, avail.min.y),
                Vec2::new(w - 4.0, avail.height()),
            );
            let mut child = ui.new_child(
                egui::UiBuilder::new()
                    .max_rect(rect)
                    .layout(egui::Layout::top_down(egui::Align::Min)),
            );
            // A pane never draws over its neighbour, however long its names.
            child.set_clip_rect(rect.intersect(ui.clip_rect()));
            if let Some(p) = self.pane_ui(&mut child, pi, s, l) {
                picked = Some(p);
            }
        }
        ui.advance_cursor_after_rect(avail);
        self.same_scale(ui.ctx());
        picked
    }

    /// Side by side, graphs are compared: draw them all at the zoom of the most crowded one.
    /// A pane placed at another zoom is placed again in the next frame.
    fn same_scale(&mut self, ctx: &egui::Context) {
        let shown = || self.shown.iter().filter_map(|&i| self.panes.get(i));
        self.common_zoom = shown()
            .map(|p| p.natural_zoom)
            .fold(place::MAX_ZOOM, f32::min);
        let common = self.common_zoom;
        let mut again = false;
        for &i in &self.shown {
            if let Some(p) = self.panes.get_mut(i) {
                if (p.zoom - p.natural_zoom.min(common)).abs() > 0.005 {
                    p.last_size = Vec2::ZERO;
                    again = true;
                }
            }
        }
        if again {
            ctx.request_repaint();
        }
    }

    fn pane_ui(&mut self, ui: &mut egui::Ui, pi: usize, s: &Session, l: Lang) -> Option<Picked> {
        let vsim = &s.sim().variants[self.panes[pi].variant];
        let var = &s.scenario().variants[vsim.index];
        let m = vsim.metrics();
        egui::Frame::group(ui.style())
            .show(ui, |ui| {
                let shape = match var.broker_kind() {
                    Some(b) => format!("{} · {}", var.shape().name(), b.name()),
                    None => var.shape().name().to_owned(),
                };
                ui.add(egui::Label::new(egui::RichText::new(&var.name).strong()).truncate())
                    .on_hover_text(&shape);
                ui.add(egui::Label::new(egui::RichText::new(shape).weak()).truncate());
                ui.horizontal_wrapped(|ui| {
                    headline(
                        ui,
                        tr(l, "delivered"),
                        &m.delivered.to_string(),
                        tr(
                            l,
                            "Expected deliveries processed by a consumer (first time)",
                        ),
                    );
                    let lost_color = if m.lost > 0 {
                        Some(ui.visuals().error_fg_color)
                    } else {
                        None
                    };
                    headline_colored(
                        ui,
                        tr(l, "lost"),
                        &m.lost.to_string(),
                        tr(l, "Expected deliveries that can no longer happen"),
                        lost_color,
                    );
                    headline(
                        ui,
                        "p99",
                        &format!("{:.1} ms", m.latency_ms.p99),
                        tr(l, "99th percentile latency from produce to processed"),
                    );
                    headline(
                        ui,
                        tr(l, "links"),
                        &m.connections.to_string(),
                        tr(l, "Network connections the topology needs"),
                    );
                    headline(
                        ui,
                        tr(l, "systems"),
                        &m.systems_to_operate.to_string(),
                        tr(l, "Separately operated broker systems"),
                    );
                });
                let snap = vsim.overview();
                self.refresh(pi, vsim, &snap, s.speed, l);
                self.graph_ui(ui, pi, vsim, &snap, s, l)
            })
            .inner
    }

    /// Copy the engine's live state into the graph's node and edge payloads.
    fn refresh(&mut self, pi: usize, v: &VariantSim, snap: &Snapshot, speed: f64, l: Lang) {
        let pane = &mut self.panes[pi];
        let traced = self.traced.as_ref().map(Arc::as_ptr);
        if pane.traced_of != traced {
            let vt = self.traced.as_deref().and_then(|t| t.of_variant(v.index));
            pane.mark_traced(vt);
            pane.traced_of = traced;
        }
        let state: &ModelState = &snap.model;
        let now = snap.now;
        let topo = &v.topology;
        let window = secs(0.6 * speed.max(0.1));
        for ix in 0..pane.graph.node_count() {
            let id = u32::try_from(ix).unwrap_or(0);
            let tn = topo.node(id);
            let peak = &mut pane.peak[ix];
            let live = match tn.kind {
                NodeKind::Producer => producer_live(topo, snap, id, l),
                NodeKind::Consumer => consumer_live(snap, id, tn.joins_at, peak, l),
                NodeKind::Broker => broker_live(topo, state, id, l),
                NodeKind::Channel => channel_live(state, l),
                NodeKind::Queue => queue_live(state, id, peak, l),
                NodeKind::Log => log_live(state, id, l),
            };
            let flash = snap
                .recent_losses
                .iter()
                .filter(|f| f.node == id && now.saturating_sub(f.at) < window)
                .map(|f| 1.0 - (now.saturating_sub(f.at)) as f32 / window as f32)
                .fold(0.0f32, f32::max);
            let highlight = matches!(tn.kind, NodeKind::Producer | NodeKind::Consumer)
                && self.highlighted.contains(&tn.name);
            if let Some(node) = pane.graph.node_mut(NodeIndex::new(ix)) {
                let p = node.payload_mut();
                p.highlight = highlight;
                p.traced = Traced::at(pane.traced_nodes.get(ix).copied().flatten(), now);
                p.state = live.look;
                p.fill = live.fill;
                p.detail = live.detail;
                p.short = live.short;
                if *p.lanes != live.lanes {
                    p.lanes = Arc::new(live.lanes);
                }
                p.flash = flash;
            }
        }
        pane.traffic(v, now);
    }

    /// The graph of pane `pi`: 1. placed for the pane's size when that changes, 2. drawn by
    /// egui_graphs (interactive) or painted the same way (idle), 3. message dots over it, 4. the
    /// labels over the dots, all through the view's canvas-to-screen transform.
    fn graph_ui(
        &mut self,
        ui: &mut egui::Ui,
        pi: usize,
        v: &VariantSim,
        snap: &Snapshot,
        s: &Session,
        l: Lang,
    ) -> Option<Picked> {
        let pane = &mut self.panes[pi];
        let rect = ui.available_rect_before_wrap();
        if (rect.size() - pane.last_size).length() > 1.0 {
            pane.place(&v.topology, rect.size(), self.common_zoom);
        }
        let interactive = ui.rect_contains_pointer(rect)
            || s.playing
            || pane.fit_next
            || pane.menu_node.is_some()
            || egui::Popup::is_any_open(ui.ctx());
        let picked = if interactive {
            self.view_ui(ui, pi, s, l)
        } else {
            // Idle: the same picture without egui_graphs' every-frame repaint request.
            self.panes[pi].paint_idle(ui, rect);
            None
        };
        let pane = &mut self.panes[pi];
        let meta = MetadataFrame::new(Some(pane.id.clone())).load(ui);
        let off = rect.left_top().to_vec2();
        pane.xform = Some((meta.zoom, meta.pan + off));
        pane.screen.clear();
        pane.screen.extend((0..pane.graph.node_count()).map(|i| {
            pane.graph.node(NodeIndex::new(i)).map_or(Pos2::ZERO, |n| {
                meta.canvas_to_screen_pos(n.location()) + off
            })
        }));
        let painter = ui.painter_at(rect);
        painter.add(pane.dots(v, snap, s.speed, rect, meta.zoom));
        painter.extend(pane.texts(meta.zoom, ui.visuals(), ui.ctx()));
        if let Some(vt) = self.traced.as_deref().and_then(|t| t.of_variant(v.index)) {
            let pane = &self.panes[pi];
            let when = (snap.now, s.scenario().latency);
            pane.trace_overlay(ui, &painter, vt, when, meta.zoom, l);
        }
        match self.panes[pi].dot_ui(ui, rect, l) {
            // A click on a dot follows the message; the node under it is not picked.
            Some(m) => {
                self.clicked_message = Some(m);
                None
            }
            None => picked,
        }
    }

    /// egui_graphs' view of pane `pi`: dragging, clicking, hover, zoom and pan, the fit, the
    /// fault menu. Returns a node the learner clicked.
    fn view_ui(&mut self, ui: &mut egui::Ui, pi: usize, s: &Session, l: Lang) -> Option<Picked> {
        let pane = &mut self.panes[pi];
        let mut picked = None;
        let r = GraphView::<FixedState, Fixed>::new()
            .with_id(Some(pane.id.clone()))
            .with_interactions(
                &SettingsInteraction::new()
                    .with_dragging_enabled(true)
                    .with_node_clicking_enabled(true)
                    .with_hover_enabled(true),
            )
            .with_navigations(
                &SettingsNavigation::new()
                    .with_zoom_and_pan_enabled(true)
                    .with_fit_to_screen_enabled(pane.fit_next)
                    .with_fit_to_screen_padding(0.0),
            )
            .with_styles(&SettingsStyle::new().with_labels_always(false))
            .show(ui, &mut pane.graph);
        pane.fit_next = false;
        if pane.menu_node.is_none() {
            if let Some(n) = pane.graph.hovered_node().and_then(|n| pane.graph.node(n)) {
                r.response
                    .clone()
                    .on_hover_ui_at_pointer(|ui| node_tip(ui, n.payload()));
            }
        }
        for c in &r.changes {
            if let egui_graphs::GraphChange::NodeClicked { node } = c {
                picked = Some(Picked {
                    variant: pane.variant,
                    node: u32::try_from(node.index()).unwrap_or(0),
                });
            }
        }
        if r.response.secondary_clicked() {
            pane.menu_node = pane
                .graph
                .hovered_node()
                .map(|n| u32::try_from(n.index()).unwrap_or(0));
            if let Some(node) = pane.menu_node {
                picked = Some(Picked {
                    variant: pane.variant,
                    node,
                });
            }
        }
        let (menu_node, variant) = (pane.menu_node, pane.variant);
        let mut fault = None;
        r.response.context_menu(|ui| {
            if let Some(n) = menu_node {
                fault = fault_menu(ui, s, variant, n, l);
                if fault.is_some() {
                    ui.close();
                }
            } else {
                ui.label(tr(l, "Right-click a node for its faults"));
            }
        });
        if fault.is_some() {
            self.fault = fault;
            self.panes[pi].menu_node = None;
        }
        if !egui::Popup::is_any_open(ui.ctx()) && !r.response.secondary_clicked() {
            self.panes[pi].menu_node = None;
        }
        picked
    }
}

impl Pane {
    /// Light up the nodes and edges the followed message crossed in this variant (none: off).
    fn mark_traced(&mut self, vt: Option<&VariantTrace>) {
        self.traced_nodes.fill(None);
        self.traced_edges.fill(None);
        let Some(vt) = vt else { return };
        for (n, t) in vt.nodes() {
            if let Some(x) = self.traced_nodes.get_mut(n as usize) {
                *x = Some(t);
            }
        }
        for (a, b, t) in vt.crossed() {
            let e = self
                .edge_of
                .get(&(a, b))
                .or_else(|| self.edge_of.get(&(b, a)));
            if let Some(x) = e.and_then(|&e| self.traced_edges.get_mut(e)) {
                // An edge crossed both ways (a delivery, then its ack) lights up the first time.
                *x = Some(x.map_or(t, |old| old.min(t)));
            }
        }
    }

    /// Where the followed message is now (a ring on the wire, or a pin on the node of its last
    /// event) and a cross where a delivery of it was lost, with the reason on hover.
    fn trace_overlay(
        &self,
        ui: &egui::Ui,
        painter: &egui::Painter,
        vt: &VariantTrace,
        (now, latency): (Nanos, Nanos),
        zoom: f32,
        l: Lang,
    ) {
        let at = |n: NodeId| self.screen.get(n as usize).copied();
        let half = |n: NodeId| {
            self.graph
                .node(NodeIndex::new(n as usize))
                .map_or(Vec2::splat(10.0), |x| half_size(x.payload()))
                * zoom
        };
        let w = vt.at_time(now, latency);
        let ring = Stroke::new(2.5, TRACE_COLOR);
        for &(a, b, done) in &w.on_wire {
            if let (Some(pa), Some(pb)) = (at(a), at(b)) {
                let c = pa + (pb - pa) * done.clamp(0.0, 1.0);
                painter.circle_stroke(c, 8.0, ring);
                painter.circle_filled(c, 4.0, TRACE_COLOR);
            }
        }
        // A pin where it waits, while it has a future here (once done, the path says it all).
        let waiting = vt.last_time().is_some_and(|t| now < t) && w.on_wire.is_empty();
        if let Some(n) = w.last.filter(|_| waiting) {
            if let Some(c) = at(n) {
                let pin = c - Vec2::new(half(n).x + 7.0, 0.0);
                painter.circle(pin, 5.0, TRACE_COLOR, Stroke::new(1.5, Color32::BLACK));
            }
        }
        let pointer = ui.input(|i| i.pointer.hover_pos());
        for e in vt.losses().filter(|e| e.time <= now) {
            let Some(c) = at(e.node) else { continue };
            let h = half(e.node);
            // Above its node's right corner, kept inside the pane (a producer sits at the top).
            // A pane too small for the shrunk room keeps the mark at its centre
            // (`Pos2::clamp` panics when the minimum passes the maximum).
            let clip = painter.clip_rect();
            let room = clip.shrink(10.0);
            let want = c + Vec2::new(h.x + 4.0, -h.y - 4.0);
            let mark = if room.is_positive() {
                want.clamp(room.min, room.max)
            } else {
                clip.center()
            };
            // A badge in the path's colour, so that it stands out from other losses' flashes.
            painter.circle(
                mark,
                9.0,
                Color32::from_gray(20),
                Stroke::new(2.0, TRACE_COLOR),
            );
            super::trace::cross(painter, mark, 4.5, Color32::from_rgb(255, 70, 70));
            if pointer.is_some_and(|p| (p - mark).length() < 10.0) {
                let id = egui::Id::new(("trace-loss", self.variant, e.node));
                egui::Tooltip::always_open(ui.ctx().clone(), ui.layer_id(), id, mark).show(|ui| {
                    let group = e.group.as_deref().unwrap_or_default();
                    let why = e.detail.as_deref().unwrap_or_default();
                    ui.strong(format!("{} {group}: {why}", tr(l, "Lost for")));
                    ui.label(format!("{} · {:.6} s", e.at, e.t_s));
                });
            }
        }
    }

    /// A ring and a tip on the dot under the pointer; returns its message when clicked.
    fn dot_ui(&self, ui: &egui::Ui, rect: Rect, l: Lang) -> Option<MsgId> {
        // A node under the pointer takes the click: dots leave from a node's centre.
        if self.graph.hovered_node().is_some() {
            return None;
        }
        let p = ui
            .input(|i| i.pointer.hover_pos())
            .filter(|p| rect.contains(*p))?;
        let (pos, m) = self
            .hits
            .iter()
            .map(|&(q, m)| ((q - p).length(), q, m))
            .filter(|&(d, _, _)| d < 6.0)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, q, m)| (q, m))?;
        ui.painter_at(rect)
            .circle_stroke(pos, 7.0, Stroke::new(1.5, TRACE_COLOR));
        let id = egui::Id::new(("dot", self.variant));
        egui::Tooltip::always_open(ui.ctx().clone(), ui.layer_id(), id, pos).show(|ui| {
            ui.label(format!(
                "{} #{m}: {}",
                tr(l, "Message"),
                tr(l, "click to follow it")
            ));
        });
        ui.input(|i| i.pointer.primary_clicked()).then_some(m)
    }

    /// Edge width follows traffic: messages on the edge now, smoothed over frames.
    fn traffic(&mut self, v: &VariantSim, now: Nanos) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        for f in v.in_flight() {
            if let Some(&e) = self
                .edge_of
                .get(&(f.from, f.to))
                .or_else(|| self.edge_of.get(&(f.to, f.from)))
            {
                if let Some(c) = self.counts.get_mut(e) {
                    *c += 1;
                }
            }
        }
        for e in 0..self.traffic.len() {
            let t = &mut self.traffic[e];
            *t = *t * 0.85 + self.counts[e] as f32 * 0.15;
            let w = 1.0 + (1.0 + *t).log2() * 1.5;
            if let Some(edge) = self
                .graph
                .edge_mut(petgraph::stable_graph::EdgeIndex::new(e))
            {
                edge.payload_mut().width = w;
                let first = self.traced_edges.get(e).copied().flatten();
                edge.payload_mut().traced = Traced::at(first, now);
            }
        }
    }

    /// Edges and nodes as egui_graphs would draw them, painted once.
    fn paint_idle(&self, ui: &mut egui::Ui, rect: Rect) {
        let (resp, painter) = ui.allocate_painter(rect.size(), egui::Sense::hover());
        let meta = MetadataFrame::new(Some(self.id.clone())).load(ui);
        let off = resp.rect.left_top().to_vec2();
        let to_screen = |p: Pos2| meta.canvas_to_screen_pos(p) + off;
        let visuals = ui.visuals().clone();
        let mut shapes = Vec::new();
        let g = &self.graph;
        for (e, edge) in g.edges_iter() {
            if let Some((a, b)) = g.edge_endpoints(e) {
                if let (Some(na), Some(nb)) = (g.node(a), g.node(b)) {
                    shapes.extend(edge_shapes(
                        (na.payload(), to_screen(na.location())),
                        (nb.payload(), to_screen(nb.location())),
                        edge.payload(),
                        meta.zoom,
                        &visuals,
                    ));
                }
            }
        }
        for (_, n) in g.nodes_iter() {
            shapes.extend(node_shapes(
                n.payload(),
                to_screen(n.location()),
                meta.zoom,
                n.selected(),
                &visuals,
            ));
        }
        painter.extend(shapes);
    }

    /// Every node's label over the graph and its dots, at the nodes' screen positions.
    fn texts(&self, zoom: f32, visuals: &egui::Visuals, ctx: &egui::Context) -> Vec<Shape> {
        let mut out = Vec::new();
        for (ix, n) in self.graph.nodes_iter() {
            if let Some(&center) = self.screen.get(ix.index()) {
                let n = n.payload();
                let rect = Rect::from_center_size(center, half_size(n) * 2.0 * zoom);
                out.extend(inner_text(n, rect, zoom, ctx));
                out.extend(text_shapes(n, rect, zoom, visuals, ctx));
            }
        }
        out
    }

    /// Messages in flight as dots along their edges (and those just arrived, held a moment so
    /// that they can be seen), in one mesh.
    fn dots(
        &mut self,
        v: &VariantSim,
        snap: &Snapshot,
        speed: f64,
        rect: Rect,
        zoom: f32,
    ) -> Shape {
        let radius = (3.0 * zoom).clamp(1.5, 5.0);
        // A hop shorter than a third of a second of wall time is drawn stretched to that, so
        // that it can be seen: hops start and end between frames at most speeds.
        let span = secs(VISUAL_HOP_S * speed).max(1);
        let now = snap.now;
        let finished = v
            .recent_hops()
            .filter(|f| f.arrive <= now && now.saturating_sub(f.depart) < span);
        // One mesh of small squares: ten thousand dots cost one shape to tessellate. A dot that
        // would land on a cell already painted in its colour adds nothing to see: skip it.
        let cell = radius.max(1.0);
        let cols = (rect.width() / cell).ceil().max(1.0) as usize + 1;
        let rows = (rect.height() / cell).ceil().max(1.0) as usize + 1;
        self.painted.clear();
        self.painted.resize(cols * rows, 0);
        let mut mesh = egui::Mesh::default();
        mesh.reserve_vertices(4 * MAX_DOTS.min(8192));
        mesh.reserve_triangles(2 * MAX_DOTS.min(8192));
        let screen = &self.screen;
        self.hits.clear();
        for f in v.in_flight().chain(finished).take(MAX_DOTS) {
            let (Some(&a), Some(&b)) = (screen.get(f.from as usize), screen.get(f.to as usize))
            else {
                continue;
            };
            let t = now.saturating_sub(f.depart) as f32
                / f.arrive.saturating_sub(f.depart).max(span) as f32;
            let c = a + (b - a) * t.clamp(0.0, 1.0);
            if !rect.contains(c) {
                continue;
            }
            let (color, key) = if !f.live {
                (Color32::from_gray(130), 1u16)
            } else if f.kind == Leg::Ack {
                (Color32::from_gray(200), 2)
            } else {
                (topic_color(f.topic), 3 + f.topic)
            };
            let i =
                ((c.y - rect.min.y) / cell) as usize * cols + ((c.x - rect.min.x) / cell) as usize;
            if let Some(slot) = self.painted.get_mut(i) {
                if *slot == key {
                    continue;
                }
                *slot = key;
            }
            let r = if f.kind == Leg::Ack {
                radius * 0.6
            } else {
                radius
            };
            mesh.add_colored_rect(Rect::from_center_size(c, Vec2::splat(2.0 * r)), color);
            self.hits.push((c, f.msg.id));
        }
        Shape::mesh(mesh)
    }
}

fn headline(ui: &mut egui::Ui, name: &str, value: &str, tip: &str) {
    headline_colored(ui, name, value, tip, None);
}

fn headline_colored(ui: &mut egui::Ui, name: &str, value: &str, tip: &str, color: Option<Color32>) {
    // One label that does not wrap: a narrow pane moves the pair to the next row whole, never
    // its number without its name.
    let mut job = egui::text::LayoutJob::default();
    let style = ui.style();
    let (font, valign) = (egui::FontSelection::Default, egui::Align::Center);
    egui::RichText::new(format!("{name} "))
        .weak()
        .append_to(&mut job, style, font.clone(), valign);
    let text = egui::RichText::new(value).monospace().strong();
    match color {
        Some(c) => text.color(c),
        None => text,
    }
    .append_to(&mut job, style, font, valign);
    ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend))
        .on_hover_text(tip);
}

/// The fault actions for node `node` of variant pane `variant`; returns the one chosen.
fn fault_menu(
    ui: &mut egui::Ui,
    s: &Session,
    variant: usize,
    node: u32,
    l: Lang,
) -> Option<Action> {
    let v = &s.sim().variants[variant];
    let topo = &v.topology;
    let tn = topo.node(node);
    ui.strong(&tn.name);
    ui.separator();
    let chosen = match tn.kind {
        NodeKind::Consumer => consumer_menu(ui, s, variant, node, l),
        NodeKind::Producer => {
            let p = topo.producers.iter().position(|&x| x == node);
            let p = p.and_then(ProducerId::from_ix)?;
            let down = v
                .overview()
                .producers_link_down
                .get(p.ix())
                .copied()
                .unwrap_or(false);
            link_menu(ui, Endpoint::Producer(p), down, l)
        }
        NodeKind::Broker | NodeKind::Queue | NodeKind::Log => {
            let topic = tn.topic;
            ui.weak(if topic.is_some() {
                tr(l, "this topic's broker")
            } else {
                tr(l, "every broker")
            });
            if ui.button(tr(l, "Crash the broker")).clicked() {
                Some(Action::Now(Command::CrashBroker(topic)))
            } else if ui.button(tr(l, "Crash and restart in 5 s")).clicked() {
                Some(Action::NowThenLater(
                    Command::CrashBroker(topic),
                    secs(5.0),
                    Command::RestartBroker(topic),
                ))
            } else if ui.button(tr(l, "Restart the broker")).clicked() {
                Some(Action::Now(Command::RestartBroker(topic)))
            } else {
                None
            }
        }
        NodeKind::Channel => {
            ui.label(tr(
                l,
                "An IPC channel lives in the processes: crash a receiver instead",
            ));
            None
        }
    };
    ui.separator();
    chosen.or_else(|| add_consumer_menu(ui, s, l))
}

/// What can be done to the consumer at `node`, given how it is now.
fn consumer_menu(
    ui: &mut egui::Ui,
    s: &Session,
    variant: usize,
    node: u32,
    l: Lang,
) -> Option<Action> {
    let v = &s.sim().variants[variant];
    let snap = v.overview();
    let (i, c) = snap
        .consumers
        .iter()
        .enumerate()
        .find(|(_, c)| c.node == node)?;
    let id = ConsumerId::from_ix(i)?;
    let now = |cmd| Some(Action::Now(cmd));
    match c.status {
        Status::Online => {
            if ui
                .button(tr(l, "Take offline"))
                .on_hover_text(tr(
                    l,
                    "It closes its connection cleanly and stays away until you bring it back",
                ))
                .clicked()
            {
                return now(Command::TakeOffline(id));
            }
            if ui
                .button(tr(l, "Crash"))
                .on_hover_text(tr(l, "Its process dies: what it held in memory is gone"))
                .clicked()
            {
                return now(Command::Crash(id));
            }
            if ui.button(tr(l, "Crash and restart in 5 s")).clicked() {
                return Some(Action::NowThenLater(
                    Command::Crash(id),
                    secs(5.0),
                    Command::Heal(id),
                ));
            }
            if c.slow_factor > 1.0 {
                if ui.button(tr(l, "Restore its speed")).clicked() {
                    return now(Command::RestoreSpeed(id));
                }
            } else if ui
                .button(tr(l, "Slow down ×10"))
                .on_hover_text(tr(l, "It takes ten times longer per message"))
                .clicked()
            {
                return now(Command::Slow(id, 10.0));
            }
            link_menu(ui, Endpoint::Consumer(id), c.link_down, l)
        }
        Status::Offline => ui
            .button(tr(l, "Bring back"))
            .clicked()
            .then_some(Action::Now(Command::Heal(id))),
        Status::Crashed => ui
            .button(tr(l, "Restart"))
            .clicked()
            .then_some(Action::Now(Command::Heal(id))),
        Status::NotJoined => {
            ui.label(tr(l, "Joins later (an add-consumer fault of the scenario)"));
            None
        }
        Status::Removed => None,
    }
}

/// Cut or restore the network link of a producer or consumer.
fn link_menu(ui: &mut egui::Ui, e: Endpoint, down: bool, l: Lang) -> Option<Action> {
    if down {
        ui.button(tr(l, "Restore its link"))
            .clicked()
            .then_some(Action::Now(Command::RestoreLink(e)))
    } else {
        ui.button(tr(l, "Cut its network link"))
            .clicked()
            .then_some(Action::Now(Command::CutLink(e)))
    }
}

/// A new consumer of one topic, in every variant: does it get the history?
fn add_consumer_menu(ui: &mut egui::Ui, s: &Session, l: Lang) -> Option<Action> {
    let mut chosen = None;
    ui.menu_button(tr(l, "Add a consumer of…"), |ui| {
        ui.weak(tr(
            l,
            "A new group joins now in every variant: does it get the history?",
        ));
        for name in &s.scenario().topics {
            if ui.button(name).clicked() {
                chosen = Some(Action::Join(name.clone()));
                ui.close();
            }
        }
    });
    chosen
}

#[cfg(test)]
mod tests {
    use super::{consumer_live, log_live, queue_live, MAX_LANES, MAX_MARKS};
    use crate::scenario::{parse_scenario, secs, Lang};
    use crate::sim::Simulation;
    use crate::topology::NodeKind;

    /// A log of 1,024 partitions read by 1,000 groups draws at most 32 lanes of 16 marks; one
    /// of a few partitions draws each partition, every group marked.
    #[test]
    fn a_log_draws_a_bounded_number_of_lanes_and_marks() {
        let hostile = include_str!("../../tests/hostile/kafka-1024-partitions-1000-groups.toml");
        let small = crate::builtin::get("use-cases").expect("built in");
        for (text, lanes, marks) in [(hostile, MAX_LANES, MAX_MARKS), (small, 0, 0)] {
            let mut sim = Simulation::new(parse_scenario("log", text).expect("valid"));
            let kafka = sim.variants.iter().position(|v| v.name() == "kafka");
            let kafka = kafka.unwrap_or(sim.variants.len() - 1);
            sim.variants.swap(0, kafka);
            sim.variants.truncate(1);
            sim.run_until(secs(1.0));
            let v = &sim.variants[0];
            let snap = v.snapshot();
            let topo = &v.topology;
            let logs = topo.graph.node_indices().map(|i| u32::try_from(i.index()));
            for id in logs.map(|i| i.expect("few nodes")) {
                if topo.node(id).kind != NodeKind::Log {
                    continue;
                }
                let live = log_live(&snap.model, id, Lang::En);
                let parts: Vec<_> = snap
                    .model
                    .partitions
                    .iter()
                    .filter(|p| p.node == id)
                    .collect();
                if lanes == 0 {
                    // Few: one lane a partition, a mark a group.
                    assert_eq!(live.lanes.len(), parts.len());
                    for (lane, p) in live.lanes.iter().zip(&parts) {
                        assert_eq!(lane.1.len(), p.groups.len());
                    }
                } else {
                    assert!(parts.len() > lanes && parts[0].groups.len() > marks);
                    assert_eq!(live.lanes.len(), lanes);
                    assert!(live.lanes.iter().all(|l| l.1.len() == marks));
                    assert!(live
                        .lanes
                        .iter()
                        .flat_map(|l| &l.1)
                        .all(|m| (0.0..=1.0).contains(m)));
                }
            }
        }
    }

    /// The words under the nodes follow the app's language, with the number where each
    /// language puts it.
    #[test]
    fn node_labels_speak_the_language_of_the_app() {
        let text = crate::builtin::get("consumer-outage").expect("built in");
        let mut sim = Simulation::new(parse_scenario("consumer-outage", text).expect("valid"));
        // metric-server-1 is offline from 20 s to 30 s.
        sim.run_until(secs(25.0));
        for v in &sim.variants {
            let snap = v.snapshot();
            let topo = &v.topology;
            for c in &snap.consumers {
                let live = |l| consumer_live(&snap, c.node, None, &mut 0.0, l).detail;
                let (en, ko) = (live(Lang::En), live(Lang::Ko));
                if c.name == "metric-server-1" {
                    assert_eq!((en.as_str(), ko.as_str()), ("offline", "오프라인"));
                } else {
                    assert_eq!(en, format!("{} held", c.held));
                    assert_eq!(ko, format!("보유 {}", c.held));
                }
            }
            let ids = topo.graph.node_indices().map(|i| u32::try_from(i.index()));
            for id in ids.map(|i| i.expect("few nodes")) {
                let (en, ko) = match topo.node(id).kind {
                    NodeKind::Log => (
                        log_live(&snap.model, id, Lang::En).short,
                        log_live(&snap.model, id, Lang::Ko).short,
                    ),
                    NodeKind::Queue => (
                        queue_live(&snap.model, id, &mut 0.0, Lang::En).detail,
                        queue_live(&snap.model, id, &mut 0.0, Lang::Ko).detail,
                    ),
                    _ => continue,
                };
                assert!(en.contains("lag ") || en.contains(" ready · "), "{en}");
                assert!(ko.contains("랙 ") || ko.contains("대기 "), "{ko}");
                assert!(!ko.contains("lag") && !ko.contains("ready"), "{ko}");
            }
        }
    }
}
