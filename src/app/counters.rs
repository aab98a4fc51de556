//! The comparison table: every variant x every metric of the catalogue, the best value marked.
//! Names, meanings and which way is better all come from `report`'s catalogue.

use super::i18n::tr;
use super::session::Session;
use crate::metrics::LossReason;
use crate::report::{
    metric, path_meaning, reason_label, Better, Kind, Measured, Metric, Metrics, LATENCY_PARTS,
    METRICS,
};
use crate::scenario::Lang;
use eframe::egui;

#[derive(Default)]
pub struct Counters;

/// One row of the table: its label, what it means, how to compare, and each variant's value.
struct Row {
    label: String,
    tip: String,
    better: Better,
    values: Vec<f64>,
    decimals: usize,
}

/// The table's rows, in catalogue order: a latency gives three rows (p50, p99, max), loss
/// reasons one row each where some variant lost for it.
fn rows(metrics: &[Metrics], l: Lang) -> Vec<Row> {
    let mut rows = Vec::new();
    let tip = |m: &Metric| format!("{} ({})", m.meaning(l), m.name);
    let values = |path: &str| -> Vec<f64> {
        metrics
            .iter()
            .map(|m| m.value(path).unwrap_or(0.0))
            .collect()
    };
    for m in METRICS {
        match m.kind {
            Kind::Count | Kind::Rate => rows.push(Row {
                label: m.label(l).to_owned(),
                tip: tip(m),
                better: m.better,
                values: values(m.name),
                decimals: usize::from(m.kind == Kind::Rate),
            }),
            Kind::Latency => {
                for (part, en, ko) in LATENCY_PARTS.iter().filter(|(p, _, _)| *p != "mean") {
                    let (short, meaning) = match l {
                        Lang::En => *en,
                        Lang::Ko => *ko,
                    };
                    let path = format!("{}.{part}", m.name);
                    rows.push(Row {
                        label: format!("{} {short}", m.label(l)),
                        tip: format!("{meaning} ({path}, {})", m.unit),
                        better: m.better,
                        values: values(&path),
                        decimals: 2,
                    });
                }
            }
            Kind::Reasons => {
                for r in LossReason::ALL {
                    if metrics
                        .iter()
                        .all(|x| !x.lost_by_reason.contains_key(r.name()))
                    {
                        continue;
                    }
                    let path = format!("{}.{}", m.name, r.name());
                    let lost = metric("lost").map_or("lost", |x| x.label(l));
                    rows.push(Row {
                        label: format!("  {lost}: {}", reason_label(r, l)),
                        tip: path_meaning(&path, l),
                        better: Better::Neither,
                        values: values(&path),
                        decimals: 0,
                    });
                }
            }
        }
    }
    rows
}

/// The best value of a row, if the variants differ on it and it is a contest.
fn best(row: &Row) -> Option<f64> {
    let v = &row.values;
    let b = match row.better {
        Better::Lower => v.iter().copied().fold(f64::INFINITY, f64::min),
        Better::Higher => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Better::Neither => return None,
    };
    v.iter().any(|&x| (x - b).abs() > 1e-9).then_some(b)
}

impl Counters {
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &Session, l: Lang) {
        ui.heading(tr(l, "Comparison"));
        let names: Vec<&str> = s.sim().variants.iter().map(|v| v.name()).collect();
        let metrics: Vec<Metrics> = s.sim().variants.iter().map(Measured::metrics).collect();
        egui::ScrollArea::both().id_salt("counters").show(ui, |ui| {
            egui::Grid::new("comparison")
                .striped(true)
                .min_col_width(60.0)
                .show(ui, |ui| {
                    ui.strong(tr(l, "metric"));
                    for name in &names {
                        ui.strong(*name);
                    }
                    ui.end_row();
                    for row in rows(&metrics, l) {
                        ui.label(&row.label).on_hover_text(&row.tip);
                        let best = best(&row);
                        for &v in &row.values {
                            let text = format!("{v:.*}", row.decimals);
                            if best.is_some_and(|b| (v - b).abs() <= 1e-9) {
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
                });
        });
    }
}
