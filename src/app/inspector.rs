//! The inspector: the live state of the node the learner clicked, in every shown variant's
//! terms (online or not, queue depth and unacked, partitions with offsets and lag per group,
//! subscriber buffers, brokers up or down), and the scenario's own description.

use super::i18n::tr;
use super::panes::{Panes, Picked};
use super::session::Session;
use crate::engine::state::ModelState;
use crate::engine::{MsgId, MsgRef};
use crate::report::{path_label, path_meaning};
use crate::scenario::{to_secs, Lang, Nanos};
use crate::sim::VariantSim;
use crate::topology::NodeKind;
use eframe::egui;

#[derive(Default)]
pub struct Inspector {
    picked: Option<Picked>,
    /// The number typed in "Follow a message", and a message chosen to follow.
    follow_id: u32,
    chosen: Option<MsgId>,
}

/// Messages a list offers to follow, newest first, at most this many.
const LISTED: usize = 5;

impl Inspector {
    pub fn select(&mut self, p: Picked) {
        self.picked = Some(p);
    }

    /// A message the learner chose to follow since the last call.
    pub fn take_chosen(&mut self) -> Option<MsgId> {
        self.chosen.take()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, s: &mut Session, panes: &Panes, l: Lang) {
        ui.heading(tr(l, "Inspector"));
        egui::ScrollArea::vertical()
            .id_salt("inspector")
            .show(ui, |ui| {
                let Some(p) = self.picked.filter(|p| p.variant < s.sim().variants.len()) else {
                    ui.label(tr(
                        l,
                        "Click a node to see its live state. Right-click it to inject a fault.",
                    ));
                    ui.separator();
                    if let Some(d) = &s.scenario().description {
                        ui.label(d.get(l));
                    }
                    ui.label(format!(
                        "{}: {}",
                        tr(l, "Topics"),
                        s.scenario().topics.join(", ")
                    ));
                    ui.label(format!("{}: {}", tr(l, "Seed"), s.scenario().seed));
                    if !s.scenario().faults.is_empty() {
                        ui.strong(tr(l, "Faults in the scenario"));
                        for f in &s.scenario().faults {
                            let until = f
                                .until()
                                .map(|u| format!(" → {:.1} s", to_secs(u)))
                                .unwrap_or_default();
                            let target = f
                                .target(&s.scenario().topics)
                                .unwrap_or_else(|| tr(l, "every broker"));
                            ui.label(format!(
                                "{:.1} s{until}: {} {target}",
                                to_secs(f.at),
                                super::transport::fault_kind(f.kind().name(), false, l)
                            ));
                        }
                    }
                    ui.separator();
                    self.follow_ui(ui, s, &panes.shown, l);
                    return;
                };
                let v = &s.sim().variants[p.variant];
                let topo = &v.topology;
                let node = topo.node(p.node);
                let var = &s.scenario().variants[v.index];
                ui.strong(format!("{} · {}", node.name, var.name));
                ui.weak(format!("{:?}", node.kind).to_lowercase());
                ui.separator();
                let snap = v.snapshot();
                let st = &snap.model;
                match node.kind {
                    NodeKind::Consumer => {
                        if let Some(c) = snap.consumers.iter().find(|c| c.node == p.node) {
                            grid(
                                ui,
                                &[
                                    (tr(l, "status"), format!("{:?}", c.status).to_lowercase()),
                                    (tr(l, "group"), c.group.clone()),
                                    (
                                        tr(l, "network link"),
                                        if c.link_down {
                                            tr(l, "cut")
                                        } else {
                                            tr(l, "up")
                                        }
                                        .to_owned(),
                                    ),
                                    (tr(l, "slow-down"), format!("×{}", c.slow_factor)),
                                    (tr(l, "held in memory"), c.held.to_string()),
                                    (tr(l, "processed"), c.processed.to_string()),
                                ],
                            );
                            for sub in st.subscribers.iter().filter(|x| x.consumer == c.name) {
                                ui.separator();
                                ui.strong(tr(l, "Redis output buffer"));
                                grid(
                                    ui,
                                    &[
                                        (tr(l, "subscribed"), sub.subscribed.to_string()),
                                        (tr(l, "buffer bytes"), sub.buffer_bytes.to_string()),
                                        (tr(l, "buffer messages"), sub.buffer_messages.to_string()),
                                    ],
                                );
                            }
                            if let Some(g) = v.groups().iter().find(|g| g.name == c.group) {
                                ui.separator();
                                ui.strong(format!("{} {}", tr(l, "Group"), g.name));
                                metric_grid(
                                    ui,
                                    l,
                                    &[
                                        ("delivered", g.delivered),
                                        ("lost", g.lost),
                                        ("pending", g.pending),
                                        ("duplicates", g.duplicates),
                                        ("replayed", g.replayed),
                                    ],
                                    &[(tr(l, "lag"), g.lag.to_string())],
                                );
                            }
                        }
                    }
                    NodeKind::Queue => {
                        if let Some(q) = st.queues.iter().find(|q| q.node == p.node) {
                            grid(
                                ui,
                                &[
                                    (tr(l, "exists"), q.exists.to_string()),
                                    (tr(l, "ready"), q.depth.to_string()),
                                    (tr(l, "unacked"), q.unacked.to_string()),
                                    (tr(l, "bytes"), q.bytes.to_string()),
                                ],
                            );
                        }
                    }
                    NodeKind::Log => {
                        partitions_ui(ui, st, p.node, l);
                        share_ui(ui, st, p.node, l);
                        streams_ui(ui, st, p.node, l);
                    }
                    NodeKind::Broker => {
                        for b in &st.brokers {
                            if b.name.is_empty()
                                || b.name == node.name
                                || b.name.starts_with(&format!("{}/", node.name))
                            {
                                let name = if b.name.is_empty() {
                                    node.name.clone()
                                } else {
                                    b.name.clone()
                                };
                                ui.label(format!(
                                    "{name}: {}",
                                    if b.up { tr(l, "up") } else { tr(l, "down") }
                                ));
                            }
                        }
                    }
                    NodeKind::Channel => {
                        if let Some(c) = &st.channel {
                            grid(
                                ui,
                                &[
                                    (tr(l, "buffered"), c.depth.to_string()),
                                    (tr(l, "capacity"), c.capacity.to_string()),
                                    (tr(l, "blocked senders' messages"), c.blocked.to_string()),
                                ],
                            );
                        }
                    }
                    NodeKind::Producer => {
                        let i = topo
                            .producers
                            .iter()
                            .position(|&x| x == p.node)
                            .unwrap_or(0);
                        if let Some(pr) = s.scenario().producers.get(i) {
                            for pb in &pr.publish {
                                ui.label(format!(
                                    "{}: {} /s, {} B",
                                    s.scenario().topic_name(pb.topic),
                                    pb.rate_per_s,
                                    pb.size_bytes
                                ));
                            }
                        }
                        let down = snap.producers_link_down.get(i).copied().unwrap_or(false);
                        ui.label(format!(
                            "{}: {}",
                            tr(l, "network link"),
                            if down { tr(l, "cut") } else { tr(l, "up") }
                        ));
                    }
                }
                ui.separator();
                if ui.button(tr(l, "Close")).clicked() {
                    self.picked = None;
                }
                // Below the node's state: what the learner clicked comes first.
                ui.separator();
                self.follow_ui(ui, s, &panes.shown, l);
            });
    }
}

impl Inspector {
    /// Follow a message: type its number, or pick one just sent, lost or duplicated in the
    /// variants shown.
    fn follow_ui(&mut self, ui: &mut egui::Ui, s: &Session, shown: &[usize], l: Lang) {
        egui::CollapsingHeader::new(tr(l, "Follow a message"))
            .default_open(true)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label("#");
                    ui.add(egui::DragValue::new(&mut self.follow_id));
                    if ui
                        .button(tr(l, "Follow"))
                        .on_hover_text(tr(
                            l,
                            "Follow the message with this number: the N-th produced, from 0",
                        ))
                        .clicked()
                    {
                        self.chosen = Some(MsgId(self.follow_id));
                    }
                });
                ui.weak(tr(l, "Or click a moving dot in a pane, or pick one:"));
                let lists = [
                    (tr(l, "Just sent"), just_sent(s, shown)),
                    (tr(l, "Lost lately"), lost_lately(s, shown)),
                    (tr(l, "Duplicated lately"), duplicated_lately(s, shown)),
                ];
                for (title, items) in lists {
                    if items.is_empty() {
                        continue;
                    }
                    ui.strong(title);
                    for (m, label) in items {
                        if ui.selectable_label(false, label).clicked() {
                            self.follow_id = m.0;
                            self.chosen = Some(m);
                        }
                    }
                }
            });
    }
}

/// A message and how a list names it.
type Listed = (MsgId, String);

/// `#id topic`, then what the list adds.
fn listed(s: &Session, v: &VariantSim, m: MsgRef, rest: &str) -> Listed {
    let topic = s.scenario().topic_name(v.info(m).topic);
    (m.id, format!("#{} {topic}{rest}", m.id))
}

/// The last messages on the wire of the first variant shown.
fn just_sent(s: &Session, shown: &[usize]) -> Vec<Listed> {
    let Some(v) = shown.first().and_then(|&i| s.sim().variants.get(i)) else {
        return Vec::new();
    };
    let hops: Vec<_> = v.recent_hops().collect();
    let mut out: Vec<Listed> = Vec::new();
    for h in hops.iter().rev() {
        if out.len() == LISTED {
            break;
        }
        if !out.iter().any(|(m, _)| *m == h.msg.id) {
            out.push(listed(s, v, h.msg, ""));
        }
    }
    out
}

/// `(time, variant, node, message)` marks of the variants shown, newest first, one a message.
fn newest(
    s: &Session,
    shown: &[usize],
    marks: impl Fn(&VariantSim) -> Vec<(Nanos, u32, MsgRef)>,
) -> Vec<Listed> {
    let mut all: Vec<(Nanos, usize, u32, MsgRef)> = shown
        .iter()
        .filter_map(|&i| Some((i, s.sim().variants.get(i)?)))
        .flat_map(|(i, v)| marks(v).into_iter().map(move |(t, n, m)| (t, i, n, m)))
        .collect();
    all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<Listed> = Vec::new();
    for (t, i, node, m) in all {
        if out.len() == LISTED {
            break;
        }
        if out.iter().any(|(x, _)| *x == m.id) {
            continue;
        }
        let v = &s.sim().variants[i];
        let rest = format!(
            " · {} · {} · {:.3} s",
            v.name(),
            v.topology.node(node).name,
            to_secs(t)
        );
        out.push(listed(s, v, m, &rest));
    }
    out
}

fn lost_lately(s: &Session, shown: &[usize]) -> Vec<Listed> {
    newest(s, shown, |v| {
        v.recent_losses()
            .iter()
            .map(|f| (f.at, f.node, f.msg))
            .collect()
    })
}

fn duplicated_lately(s: &Session, shown: &[usize]) -> Vec<Listed> {
    newest(s, shown, |v| {
        v.recent_duplicates()
            .iter()
            .map(|d| (d.at, d.node, d.msg))
            .collect()
    })
}

/// Counts under the catalogue's names (each name's meaning and key on hover), then `more`.
fn metric_grid(ui: &mut egui::Ui, l: Lang, counts: &[(&str, u64)], more: &[(&str, String)]) {
    egui::Grid::new(ui.next_auto_id())
        .striped(true)
        .show(ui, |ui| {
            for (path, v) in counts {
                ui.label(path_label(path, l))
                    .on_hover_text(path_meaning(path, l));
                ui.monospace(v.to_string());
                ui.end_row();
            }
            for (k, v) in more {
                ui.label(*k);
                ui.monospace(v);
                ui.end_row();
            }
        });
}

/// A table that may be wider than the panel: it scrolls sideways inside it rather than
/// widening the panel over the panes.
fn wide(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    add: impl FnOnce(&mut egui::Ui),
) {
    egui::ScrollArea::horizontal().id_salt(id).show(ui, add);
}

fn grid(ui: &mut egui::Ui, rows: &[(&str, String)]) {
    egui::Grid::new(ui.next_auto_id())
        .striped(true)
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(*k);
                ui.monospace(v);
                ui.end_row();
            }
        });
}

/// A Kafka log's partitions: offsets, leader, and each consumer group's committed offset.
fn partitions_ui(ui: &mut egui::Ui, st: &ModelState, node: u32, l: Lang) {
    if !st.partitions.iter().any(|x| x.node == node) {
        return;
    }
    wide(ui, "partitions", |ui| {
        egui::Grid::new("partitions").striped(true).show(ui, |ui| {
            for h in [
                "p",
                tr(l, "start"),
                tr(l, "end"),
                tr(l, "leader"),
                tr(l, "group"),
                tr(l, "committed"),
                tr(l, "lag"),
                tr(l, "owner"),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for part in st.partitions.iter().filter(|x| x.node == node) {
                let leader = part
                    .leader
                    .map_or_else(|| tr(l, "offline").to_owned(), |b| b.to_string());
                if part.groups.is_empty() {
                    for cell in [
                        part.partition.to_string(),
                        part.log_start_offset.to_string(),
                        part.log_end_offset.to_string(),
                        leader.clone(),
                    ] {
                        ui.monospace(cell);
                    }
                    ui.end_row();
                }
                for g in &part.groups {
                    for cell in [
                        part.partition.to_string(),
                        part.log_start_offset.to_string(),
                        part.log_end_offset.to_string(),
                        leader.clone(),
                        g.group.clone(),
                        g.committed.to_string(),
                        g.lag.to_string(),
                        g.owner.clone().unwrap_or_else(|| "–".into()),
                    ] {
                        ui.monospace(cell);
                    }
                    ui.end_row();
                }
            }
        });
    });
}

/// Kafka share groups on this log: one row per share group and partition.
fn share_ui(ui: &mut egui::Ui, st: &ModelState, node: u32, l: Lang) {
    let rows: Vec<_> = st
        .share_partitions
        .iter()
        .filter(|x| x.node == node)
        .collect();
    if rows.is_empty() {
        return;
    }
    ui.separator();
    ui.strong(tr(l, "Share groups"));
    ui.small(tr(
        l,
        "Simulated from KIP-932, not checked against a broker",
    ));
    wide(ui, "share partitions", |ui| {
        egui::Grid::new("share partitions")
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    tr(l, "group"),
                    "p",
                    "SPSO",
                    "SPEO",
                    tr(l, "acquired"),
                    tr(l, "available"),
                    tr(l, "archived (limit / rejected)"),
                    tr(l, "max delivery count"),
                    tr(l, "members"),
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for x in rows {
                    for cell in [
                        x.group.clone(),
                        x.partition.to_string(),
                        x.spso.to_string(),
                        x.speo.map_or_else(|| "–".into(), |o| o.to_string()),
                        x.acquired.to_string(),
                        x.available.to_string(),
                        format!(
                            "{} ({} / {})",
                            x.archived, x.archived_delivery_limit, x.archived_rejected
                        ),
                        x.max_delivery_count.to_string(),
                        x.members.join(", "),
                    ] {
                        ui.monospace(cell);
                    }
                    ui.end_row();
                }
            });
    });
}

/// RabbitMQ streams on this node: the log's offsets, then one row per reader.
fn streams_ui(ui: &mut egui::Ui, st: &ModelState, node: u32, l: Lang) {
    for s in st.rabbit_streams.iter().filter(|x| x.node == node) {
        ui.separator();
        ui.strong(format!("{} {}", tr(l, "Stream"), s.stream));
        grid(
            ui,
            &[
                (tr(l, "first offset"), s.first_offset.to_string()),
                (tr(l, "next offset"), s.next_offset.to_string()),
                (
                    tr(l, "last chunk"),
                    s.last_chunk_offset
                        .map_or_else(|| "–".into(), |o| o.to_string()),
                ),
                (tr(l, "segments"), s.segments.to_string()),
            ],
        );
        if s.readers.is_empty() {
            continue;
        }
        wide(ui, ("stream readers", &s.stream), |ui| {
            egui::Grid::new(("stream readers", &s.stream))
                .striped(true)
                .show(ui, |ui| {
                    for h in [
                        tr(l, "consumer"),
                        tr(l, "attached"),
                        tr(l, "start"),
                        tr(l, "offset"),
                        tr(l, "unacked"),
                        tr(l, "credit"),
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in &s.readers {
                        for cell in [
                            r.consumer.clone(),
                            tr(l, if r.attached { "yes" } else { "no" }).to_owned(),
                            r.start.to_string(),
                            r.offset.map_or_else(|| "–".into(), |o| o.to_string()),
                            r.unacked.to_string(),
                            r.credit.to_string(),
                        ] {
                            ui.monospace(cell);
                        }
                        ui.end_row();
                    }
                });
        });
    }
}
