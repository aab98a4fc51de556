//! The comparison table: every variant x every metric of DESIGN.md, the best value marked.

use super::i18n::tr;
use super::session::Session;
use crate::metrics::Metrics;
use crate::scenario::Lang;
use eframe::egui;

/// Which way is better for a metric; `None` when it is not a contest (the workload itself).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Better {
    Low,
    High,
    None,
}

/// (name, explanation, better, value).
type Row = (&'static str, &'static str, Better, fn(&Metrics) -> f64);

#[allow(clippy::cast_precision_loss)]
pub(crate) const ROWS: &[Row] = &[
    (
        "produced",
        "Messages created by producers",
        Better::None,
        |m| m.produced as f64,
    ),
    (
        "expected",
        "Deliveries that should happen: each message x each group subscribed to its topic",
        Better::None,
        |m| m.expected as f64,
    ),
    (
        "delivered",
        "Expected deliveries processed by a consumer (first time)",
        Better::High,
        |m| m.delivered as f64,
    ),
    (
        "duplicates",
        "Deliveries of a message the group had already processed (redelivery)",
        Better::Low,
        |m| m.duplicates as f64,
    ),
    (
        "lost",
        "Expected deliveries that can no longer happen",
        Better::Low,
        |m| m.lost as f64,
    ),
    (
        "pending",
        "Expected deliveries still possible (in flight, queued, in the log ahead of an offset)",
        // Not a contest: zero pending can mean "all delivered" or "all lost".
        Better::None,
        |m| m.pending as f64,
    ),
    (
        "out_of_order",
        "Deliveries that overtook an earlier message with the same key",
        Better::Low,
        |m| m.out_of_order as f64,
    ),
    (
        "replayed",
        "Deliveries of messages published before the group existed (history)",
        Better::High,
        |m| m.replayed as f64,
    ),
    (
        "latency_ms.p50",
        "Median latency from produce to processed",
        Better::Low,
        |m| m.latency_ms.p50,
    ),
    (
        "latency_ms.p99",
        "99th percentile latency from produce to processed",
        Better::Low,
        |m| m.latency_ms.p99,
    ),
    (
        "latency_ms.max",
        "Worst latency from produce to processed",
        Better::Low,
        |m| m.latency_ms.max,
    ),
    (
        "throughput_per_s",
        "Delivered per simulated second",
        Better::High,
        |m| m.throughput_per_s,
    ),
    (
        "connections",
        "Network links the topology needs",
        Better::Low,
        |m| m.connections as f64,
    ),
    (
        "systems_to_operate",
        "Separately operated broker systems",
        Better::Low,
        |m| m.systems_to_operate as f64,
    ),
    (
        "max_producer_endpoints",
        "The most endpoints one producer must know",
        Better::Low,
        |m| m.max_producer_endpoints as f64,
    ),
    (
        "add_consumer_cost",
        "Existing components that must change to add one consumer of a topic",
        Better::Low,
        |m| m.add_consumer_cost as f64,
    ),
    (
        "stored_bytes_peak",
        "Peak bytes held by brokers",
        Better::None,
        |m| m.stored_bytes_peak as f64,
    ),
];

#[derive(Default)]
pub struct Counters;

fn fmt(name: &str, v: f64) -> String {
    if name.starts_with("latency") {
        format!("{v:.2}")
    } else if name == "throughput_per_s" {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

impl Counters {
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &Session, l: Lang) {
        ui.heading(tr(l, "Comparison"));
        let metrics: Vec<(String, Metrics)> = s
            .sim()
            .variants
            .iter()
            .map(|v| (s.scenario().variants[v.index].name.clone(), v.metrics()))
            .collect();
        egui::ScrollArea::both().id_salt("counters").show(ui, |ui| {
            egui::Grid::new("comparison")
                .striped(true)
                .min_col_width(60.0)
                .show(ui, |ui| {
                    ui.strong(tr(l, "metric"));
                    for (name, _) in &metrics {
                        ui.strong(name);
                    }
                    ui.end_row();
                    for &(name, tip, better, get) in ROWS {
                        ui.label(name).on_hover_text(tr(l, tip));
                        let values: Vec<f64> = metrics.iter().map(|(_, m)| get(m)).collect();
                        let best = match better {
                            Better::Low => values.iter().copied().fold(f64::INFINITY, f64::min),
                            Better::High => {
                                values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                            }
                            Better::None => f64::NAN,
                        };
                        let contest = values.iter().any(|&v| (v - best).abs() > 1e-9);
                        for &v in &values {
                            let text = fmt(name, v);
                            if contest && (v - best).abs() <= 1e-9 {
                                ui.label(
                                    egui::RichText::new(format!("★ {text}"))
                                        .strong()
                                        .color(egui::Color32::from_rgb(76, 175, 80)),
                                )
                                .on_hover_text(tr(l, "Best of the variants"));
                            } else {
                                ui.monospace(text);
                            }
                        }
                        ui.end_row();
                    }
                    // Loss reasons: why each variant lost what it lost.
                    let mut reasons: Vec<&String> = metrics
                        .iter()
                        .flat_map(|(_, m)| m.lost_by_reason.keys())
                        .collect();
                    reasons.sort();
                    reasons.dedup();
                    for r in reasons {
                        ui.label(format!("  lost: {r}"))
                            .on_hover_text(tr(l, "Lost deliveries by reason"));
                        for (_, m) in &metrics {
                            ui.monospace(m.lost_by_reason.get(r).copied().unwrap_or(0).to_string());
                        }
                        ui.end_row();
                    }
                });
        });
    }
}
