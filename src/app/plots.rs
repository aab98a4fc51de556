//! Plots over time, one line per variant: delivered per second, backlog, lost so far, p99.
//! While the learner's knobs or edits make the scenario differ from the file, each variant's
//! line from the file's version (the baseline) is drawn beside it, dashed and fainter.

use super::i18n::tr;
use super::session::Session;
use crate::metrics::Series;
use crate::report::{metric, path_label};
use crate::scenario::Lang;
use crate::sim::Simulation;
use eframe::egui::{self, Color32};
use egui_plot::{Line, LineStyle, Plot, PlotPoints};

type Pick = fn(&Series, usize) -> f64;

/// Each plot: the catalogue metric it follows over time (its Korean name and key come from
/// there), its English title, what it shows, and how to read it from a series.
#[allow(clippy::cast_precision_loss)]
pub(crate) const PLOTS: [(&str, &str, &str, Pick); 4] = [
    (
        "throughput_per_s",
        "delivered per second",
        "Deliveries processed per simulated second",
        |s, i| s.delivered_per_s[i],
    ),
    (
        "pending",
        "backlog",
        "Expected deliveries still pending (queued, in flight, in the log)",
        |s, i| s.backlog[i] as f64,
    ),
    (
        "lost",
        "lost so far",
        "Deliveries that can no longer happen, cumulative",
        |s, i| s.lost[i] as f64,
    ),
    (
        "latency_ms.p99",
        "p99 latency (ms)",
        "99th percentile latency of the deliveries of each sample step",
        |s, i| s.p99_ms[i],
    ),
];

/// A plot's title: in Korean the catalogue's name of its metric, in English its own.
fn title(path: &str, en: &str, l: Lang) -> String {
    match l {
        Lang::En => en.to_owned(),
        Lang::Ko => match metric(path.split('.').next().unwrap_or(path)) {
            Some(m) if m.unit == "ms" => format!("{} (ms)", path_label(path, l)),
            _ => path_label(path, l),
        },
    }
}

/// A colour per variant, the same in every plot and in the key above them.
#[must_use]
pub fn variant_color(i: usize) -> Color32 {
    const C: [Color32; 8] = [
        Color32::from_rgb(239, 83, 80),
        Color32::from_rgb(255, 202, 40),
        Color32::from_rgb(102, 187, 106),
        Color32::from_rgb(66, 165, 245),
        Color32::from_rgb(171, 71, 188),
        Color32::from_rgb(38, 198, 218),
        Color32::from_rgb(255, 112, 67),
        Color32::from_rgb(189, 189, 189),
    ];
    C[i % C.len()]
}

/// The points of one plot of one variant's series.
fn points(series: &Series, pick: Pick) -> PlotPoints<'static> {
    (0..series.len())
        .map(|j| [series.t_s[j], pick(series, j)])
        .collect()
}

pub fn ui(ui: &mut egui::Ui, s: &Session, baseline: Option<&Simulation>, l: Lang) {
    ui.horizontal_wrapped(|ui| {
        for (i, v) in s.sim().variants.iter().enumerate() {
            ui.colored_label(
                variant_color(i),
                format!("━ {}", s.scenario().variants[v.index].name),
            );
        }
        if baseline.is_some() {
            ui.weak(tr(l, "dashed: the file's values"))
                .on_hover_text(tr(
                    l,
                    "Dashed: each variant as the file has it, at the same time",
                ));
        }
    });
    let h = ((ui.available_height() - 40.0) / 2.0).max(70.0);
    for row in 0..2 {
        ui.columns(2, |cols| {
            for (c, col) in cols.iter_mut().enumerate() {
                let k = row * 2 + c;
                let (path, en, tip, pick) = PLOTS[k];
                col.label(title(path, en, l))
                    .on_hover_text(format!("{} ({path})", tr(l, tip)));
                Plot::new(("plot", k))
                    .height(h - 22.0)
                    .allow_scroll(false)
                    .show(col, |p| {
                        for (i, v) in s.sim().variants.iter().enumerate() {
                            let name = &s.scenario().variants[v.index].name;
                            let ghost =
                                baseline.and_then(|b| b.variants.iter().find(|x| x.name() == name));
                            if let Some(g) = ghost {
                                p.line(
                                    Line::new(format!("{name} (file)"), points(g.series(), pick))
                                        .color(variant_color(i).gamma_multiply(0.7))
                                        .style(LineStyle::dashed_loose()),
                                );
                            }
                            p.line(
                                Line::new(name.clone(), points(v.series(), pick))
                                    .color(variant_color(i)),
                            );
                        }
                    });
            }
        });
    }
}
