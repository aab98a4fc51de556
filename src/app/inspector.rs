//! The inspector: the live state of the node the learner clicked, in every shown variant's
//! terms (online or not, queue depth and unacked, partitions with offsets and lag per group,
//! subscriber buffers, brokers up or down), and the scenario's own description.

use super::i18n::tr;
use super::panes::{Panes, Picked};
use super::session::Session;
use crate::report::{path_label, path_meaning};
use crate::scenario::{to_secs, Lang};
use crate::topology::NodeKind;
use eframe::egui;

#[derive(Default)]
pub struct Inspector {
    picked: Option<Picked>,
}

impl Inspector {
    pub fn select(&mut self, p: Picked) {
        self.picked = Some(p);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, s: &mut Session, _panes: &Panes, l: Lang) {
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
                                f.kind().name()
                            ));
                        }
                    }
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
                            for part in st.partitions.iter().filter(|x| x.node == p.node) {
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
            });
    }
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
