//! A message's trace as text (`brokerlab trace`): a header saying what the message is, then per
//! variant its events in a table and its outcome per group; or the same as JSON.

use crate::sim::trace::{Fate, MessageTrace, VariantTrace};
use std::fmt::Write as _;

/// `trace --format json`: `{ scenario, message, variants: [ { name, events, outcome } ] }`.
#[must_use]
pub fn json(t: &MessageTrace) -> String {
    serde_json::to_string_pretty(t)
        .map(|j| j + "\n")
        .unwrap_or_default()
}

/// The header, then each variant's events and outcome.
#[must_use]
pub fn table(t: &MessageTrace) -> String {
    let m = &t.message;
    let key = m.key.map(|k| format!(", key {k}")).unwrap_or_default();
    let mut out = format!(
        "{}: message {} from {} on {}{key}, {} bytes, created at {:.6} s\n",
        t.scenario, m.id, m.producer, m.topic, m.size_bytes, m.created_s
    );
    for v in &t.variants {
        out.push('\n');
        variant_table(&mut out, v);
    }
    out
}

fn variant_table(out: &mut String, v: &VariantTrace) {
    let _ = writeln!(out, "{}", v.name);
    let cells: Vec<[String; 6]> = v
        .events
        .iter()
        .map(|e| {
            [
                format!("{:.6}", e.t_s),
                e.at.clone(),
                e.what.to_owned(),
                e.group.clone().unwrap_or_default(),
                e.consumer.clone().unwrap_or_default(),
                e.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let head = ["t_s", "at", "what", "group", "consumer", "detail"].map(str::to_owned);
    let width = |i: usize| {
        std::iter::once(&head)
            .chain(&cells)
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    for r in std::iter::once(&head).chain(&cells) {
        let mut line = format!("  {:>w$}", r[0], w = widths[0]);
        for (i, w) in widths.iter().enumerate().skip(1) {
            let _ = write!(line, "  {:<w$}", r[i]);
        }
        let _ = writeln!(out, "{}", format!("{line}  {}", r[5]).trim_end());
    }
    if v.events_not_kept > 0 {
        let _ = writeln!(
            out,
            "  ... and {} more events not kept (a trace keeps its first {} and then what decides each group's outcome)",
            v.events_not_kept,
            crate::engine::MAX_WATCHED_EVENTS
        );
    }
    let outcome: Vec<String> = v
        .outcome
        .iter()
        .map(|o| match (o.state, &o.reason) {
            (Fate::Lost, Some(r)) => format!("{} lost ({r})", o.group),
            (Fate::Lost, None) => format!("{} lost", o.group),
            (Fate::Delivered, _) => format!("{} delivered", o.group),
            (Fate::Pending, _) => format!("{} pending", o.group),
        })
        .collect();
    let said = if outcome.is_empty() {
        "no group expected it".to_owned()
    } else {
        outcome.join("; ")
    };
    let _ = writeln!(out, "  outcome: {said}");
}
