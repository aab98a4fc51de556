//! A report as text: a table (one row per metric, one column per variant) and CSV (one row per
//! variant), both walking the catalogue in its order.

use super::{Kind, Metrics, Report, VariantReport, LATENCY_PARTS, METRICS};
use crate::metrics::LossReason;
use std::fmt::Write as _;

/// The cells a metric prints as, in a table: (row label, value per variant). Loss reasons only
/// where some variant lost for them; latency as p50, p99, max.
fn table_rows(variants: &[&Metrics]) -> Vec<(String, Vec<String>)> {
    let mut rows = Vec::new();
    for m in METRICS {
        match m.kind {
            Kind::Count => rows.push((
                m.name.to_owned(),
                variants
                    .iter()
                    .map(|v| fmt_count(v.count(m.name)))
                    .collect(),
            )),
            Kind::Rate => rows.push((
                m.name.to_owned(),
                variants
                    .iter()
                    .map(|v| format!("{:.1}", v.value(m.name).unwrap_or(0.0)))
                    .collect(),
            )),
            Kind::Latency => {
                for (part, _, _) in LATENCY_PARTS.iter().filter(|(p, _, _)| *p != "mean") {
                    let path = format!("{}.{part}", m.name);
                    rows.push((
                        format!("{} {part}", m.name),
                        variants
                            .iter()
                            .map(|v| format!("{:.3}", v.value(&path).unwrap_or(0.0)))
                            .collect(),
                    ));
                }
            }
            Kind::Reasons => {
                for r in LossReason::ALL {
                    if variants
                        .iter()
                        .all(|v| !v.lost_by_reason.contains_key(r.name()))
                    {
                        continue;
                    }
                    let n = |v: &&Metrics| v.lost_by_reason.get(r.name()).copied().unwrap_or(0);
                    rows.push((
                        format!("  lost: {}", r.name()),
                        variants.iter().map(|v| n(v).to_string()).collect(),
                    ));
                }
            }
        }
    }
    rows
}

fn fmt_count(v: Option<u64>) -> String {
    v.unwrap_or(0).to_string()
}

fn shape_of(v: &VariantReport) -> String {
    match &v.broker {
        Some(b) => format!("{}/{b}", v.shape),
        None => v.shape.clone(),
    }
}

/// One row per metric, one column per variant.
#[must_use]
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), seed {}, {} s simulated",
        r.title, r.scenario, r.seed, r.until_s
    );
    let metrics: Vec<&Metrics> = r.variants.iter().map(|v| &v.metrics).collect();
    let rows = table_rows(&metrics);
    let label_w = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0).max(6);
    let col_w: Vec<usize> = r
        .variants
        .iter()
        .map(|v| v.name.len().max(shape_of(v).len()).max(10))
        .collect();
    let _ = write!(out, "{:<label_w$}", "");
    for (v, w) in r.variants.iter().zip(&col_w) {
        let _ = write!(out, "  {:>w$}", v.name);
    }
    out.push('\n');
    let _ = write!(out, "{:<label_w$}", "shape");
    for (v, w) in r.variants.iter().zip(&col_w) {
        let _ = write!(out, "  {:>w$}", shape_of(v));
    }
    out.push('\n');
    for (n, cells) in &rows {
        let _ = write!(out, "{n:<label_w$}");
        for (cell, w) in cells.iter().zip(&col_w) {
            let _ = write!(out, "  {cell:>w$}");
        }
        out.push('\n');
    }
    out
}

/// The CSV columns of one metric: its paths, and whether each is a whole number.
fn csv_columns(m: &super::Metric) -> Vec<(String, bool)> {
    let name = m.name;
    match m.kind {
        Kind::Count => vec![(name.to_owned(), true)],
        Kind::Rate => vec![(name.to_owned(), false)],
        Kind::Reasons => LossReason::ALL
            .iter()
            .map(|r| (format!("{name}.{}", r.name()), true))
            .collect(),
        Kind::Latency => LATENCY_PARTS
            .iter()
            .filter(|(p, _, _)| *p != "mean")
            .map(|(p, _, _)| (format!("{name}.{p}"), false))
            .collect(),
    }
}

/// One row per variant; every metric a column (latency and loss reasons flattened).
#[must_use]
pub fn csv(r: &Report) -> String {
    let columns: Vec<_> = METRICS.iter().flat_map(csv_columns).collect();
    let mut out = String::from("variant,shape,broker");
    for (h, _) in &columns {
        out.push(',');
        out.push_str(h);
    }
    out.push('\n');
    for v in &r.variants {
        let mut cells = vec![
            csv_field(&v.name),
            v.shape.clone(),
            v.broker.clone().unwrap_or_default(),
        ];
        cells.extend(columns.iter().map(|(path, whole)| {
            if *whole {
                fmt_count(v.metrics.count(path))
            } else {
                format!("{}", v.metrics.value(path).unwrap_or(0.0))
            }
        }));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
