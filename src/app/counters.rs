//! The comparison table: every variant x every metric of the catalogue, the best value marked.
//! Names, meanings and which way is better all come from `report`'s catalogue. While the
//! scenario differs from its file, a value that differs from the file's version at the same
//! time (the baseline) is followed by it: `1234 (was 1500)`.

use super::i18n::tr;
use super::session::Session;
use crate::metrics::LossReason;
use crate::report::{
    metric, path_meaning, reason_label, Better, Kind, Measured, Metric, Metrics, LATENCY_PARTS,
    METRICS,
};
use crate::scenario::Lang;
use crate::sim::Simulation;
use eframe::egui;

#[derive(Default)]
pub struct Counters;

/// One row of the table: its label, what it means, how to compare, and each variant's value.
struct Row {
    label: String,
    /// The metric path each value is read at.
    path: String,
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
                path: m.name.to_owned(),
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
                        path,
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
                        path,
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
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &Session, baseline: Option<&Simulation>, l: Lang) {
        ui.heading(tr(l, "Comparison"));
        let names: Vec<&str> = s.sim().variants.iter().map(|v| v.name()).collect();
        let metrics: Vec<Metrics> = s.sim().variants.iter().map(Measured::metrics).collect();
        // The file's version of each variant (by name), where there is one.
        let base: Option<Vec<Option<Metrics>>> = baseline.map(|b| {
            names
                .iter()
                .map(|n| {
                    b.variants
                        .iter()
                        .find(|v| v.name() == *n)
                        .map(Measured::metrics)
                })
                .collect()
        });
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
                        for (i, &v) in row.values.iter().enumerate() {
                            let was = base
                                .as_ref()
                                .and_then(|b| b.get(i)?.as_ref())
                                .map(|m| m.value(&row.path).unwrap_or(0.0))
                                // Only a difference the table can show.
                                .filter(|&w| {
                                    format!("{w:.*}", row.decimals)
                                        != format!("{v:.*}", row.decimals)
                                });
                            cell_ui(ui, v, row.decimals, best, was, l);
                        }
                        ui.end_row();
                    }
                });
        });
    }
}

/// One value: starred when best, and the file's value after it when it differs.
fn cell_ui(
    ui: &mut egui::Ui,
    v: f64,
    decimals: usize,
    best: Option<f64>,
    was: Option<f64>,
    l: Lang,
) {
    let text = format!("{v:.decimals$}");
    ui.horizontal(|ui| {
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
        if let Some(w) = was {
            ui.label(
                egui::RichText::new(format!("({} {w:.decimals$})", tr(l, "was")))
                    .weak()
                    .small(),
            )
            .on_hover_text(tr(l, "The file's value at the same time"));
        }
    });
}
