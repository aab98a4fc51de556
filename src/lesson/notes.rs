//! Study notes: a lesson written out as Markdown, in the notation the study notes use. Each step
//! gets its text in the chosen language, a Mermaid `graph TD` diagram of each variant it shows,
//! and the comparison measured when the simulation reaches the step's time; a step that draws a
//! sweep gets its table (what `brokerlab sweep` prints).

use super::{describe, evaluate_with, run_sweeps, sweep};
use crate::report::sweep::SweepReport;
use crate::report::Measured;
use crate::scenario::{to_secs, Lang, Scenario};
use crate::sim::{Simulation, VariantSim};
use crate::topology::{EdgeKind, NodeKind};
use std::fmt::Write as _;

/// The metrics a notes table shows, in this order.
const COLUMNS: &[&str] = &[
    "connections",
    "systems_to_operate",
    "add_consumer_cost",
    "delivered",
    "lost",
    "duplicates",
    "replayed",
    "pending",
    "latency_ms.p99",
];

/// Markdown study notes for `lesson` in `lang`, with numbers from its own run.
#[must_use]
pub fn notes(lesson: Scenario, lang: Lang) -> String {
    let swept = run_sweeps(&lesson, sweep::jobs());
    let mut sim = Simulation::new(lesson);
    let s = std::sync::Arc::clone(&sim.scenario);
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", s.title.get(lang));
    if let Some(d) = &s.description {
        let _ = writeln!(out, "{}\n", d.get(lang));
    }
    let (seed_word, source_word) = match lang {
        Lang::En => ("seed", "scenario"),
        Lang::Ko => ("시드", "시나리오"),
    };
    let _ = writeln!(
        out,
        "_{source_word}: `{}`, {seed_word} {}_\n",
        s.source, s.seed
    );
    for (i, step) in s.steps.iter().enumerate() {
        sim.run_until(step.run_to);
        let _ = writeln!(out, "## {}. {}\n", i + 1, step.title.get(lang));
        if let Some(t) = &step.text {
            let _ = writeln!(out, "{}\n", t.get(lang));
        }
        if let Some(q) = &step.ask {
            let _ = writeln!(
                out,
                "> **{}** {}\n>",
                if lang == Lang::Ko {
                    "질문"
                } else {
                    "Question"
                },
                q.get(lang)
            );
            for (k, c) in step.choices.iter().enumerate() {
                let mark = if step.answer == Some(k) { "x" } else { " " };
                let _ = writeln!(out, "> - [{mark}] {}", c.get(lang));
            }
            out.push('\n');
        }
        let shown: Vec<&VariantSim> = sim
            .variants
            .iter()
            .filter(|v| step.show.is_empty() || step.show.contains(&s.variants[v.index].name))
            .collect();
        for v in &shown {
            let _ = writeln!(out, "### {}\n", s.variants[v.index].name);
            out.push_str(&mermaid(v));
            out.push('\n');
        }
        let at = match lang {
            Lang::En => format!("Measured at {:.1} s", to_secs(step.run_to)),
            Lang::Ko => format!("{:.1}초 시점의 측정값", to_secs(step.run_to)),
        };
        let _ = writeln!(out, "{at}:\n");
        let _ = write!(
            out,
            "| {} |",
            if lang == Lang::Ko {
                "변형"
            } else {
                "variant"
            }
        );
        for c in COLUMNS {
            let _ = write!(out, " {} |", crate::report::path_label(c, lang));
        }
        out.push_str("\n|---|");
        out.push_str(&"---:|".repeat(COLUMNS.len()));
        out.push('\n');
        for v in &shown {
            let m = v.metrics();
            let _ = write!(out, "| {} |", s.variants[v.index].name);
            for c in COLUMNS {
                let x = m.value(c).unwrap_or(0.0);
                if c.starts_with("latency") {
                    let _ = write!(out, " {x:.1} |");
                } else {
                    let _ = write!(out, " {x:.0} |");
                }
            }
            out.push('\n');
        }
        out.push('\n');
        let drawn = step
            .sweep
            .as_ref()
            .and_then(|n| swept.get(n).zip(sweep::named(&s, n)));
        if let Some((w, decl)) = drawn {
            let report = SweepReport::new(&w.plan, &w.runs, &[decl.metric.value.clone()]);
            let _ = writeln!(out, "```text\n{}```\n", report.table());
        }
        let outcomes = evaluate_with(&sim, i, &swept);
        if !outcomes.is_empty() {
            for o in outcomes {
                let e = &o.expect;
                let measured = o
                    .measured
                    .map_or_else(|| "-".to_owned(), |m| format!("{m}"));
                let _ = writeln!(
                    out,
                    "- {} `{}` ({} {measured})",
                    if o.holds { "✅" } else { "❌" },
                    describe(e),
                    if lang == Lang::Ko {
                        "측정"
                    } else {
                        "measured"
                    }
                );
            }
            out.push('\n');
        }
    }
    out
}

/// A Mermaid `graph TD` of one variant's topology: what talks to what.
#[must_use]
pub fn mermaid(v: &VariantSim) -> String {
    let g = &v.topology.graph;
    let mut out = String::from("```mermaid\ngraph TD\n");
    for ix in g.node_indices() {
        let n = &g[ix];
        let label = n.name.replace('"', "'");
        let id = ix.index();
        let _ = match n.kind {
            NodeKind::Producer => writeln!(out, "    n{id}[\"{label}\"]"),
            NodeKind::Consumer => writeln!(out, "    n{id}([\"{label}\"])"),
            NodeKind::Broker => writeln!(out, "    n{id}{{{{\"{label}\"}}}}"),
            NodeKind::Channel => writeln!(out, "    n{id}>\"{label}\"]"),
            NodeKind::Queue | NodeKind::Log => writeln!(out, "    n{id}[(\"{label}\")]"),
        };
    }
    for e in g.edge_indices() {
        if let Some((a, b)) = g.edge_endpoints(e) {
            let arrow = if g[e] == EdgeKind::Internal {
                "-.->"
            } else {
                "-->"
            };
            let _ = writeln!(out, "    n{} {arrow} n{}", a.index(), b.index());
        }
    }
    out.push_str("```\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    fn lesson() -> Scenario {
        let text = r#"
title = { en = "Links grow", ko = "연결이 늘어난다" }
[[producer]]
name = "s1"
publish = [ { topic = "m", rate_per_s = 10.0 } ]
[[producer]]
name = "s2"
publish = [ { topic = "m", rate_per_s = 10.0 } ]
[[consumer]]
name = "c1"
subscribe = ["m"]
[[consumer]]
name = "c2"
subscribe = ["m"]
[[variant]]
name = "direct"
shape = "direct"
[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"
[[step]]
title = { en = "Count the links", ko = "연결을 세 보자" }
text = { en = "Every server to every consumer.", ko = "모든 서버가 모든 컨슈머로." }
ask = { en = "How many links?", ko = "연결은 몇 개?" }
choices = [ { en = "2", ko = "2개" }, { en = "4", ko = "4개" } ]
answer = 1
run_to_s = 5.0
expect = [ { variant = "direct", metric = "connections", op = "==", value = 4 } ]
"#;
        parse_scenario("lesson.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn notes_have_text_diagrams_and_the_measured_table() {
        let md = notes(lesson(), Lang::En);
        assert!(md.starts_with("# Links grow\n"));
        assert!(md.contains("## 1. Count the links"));
        assert!(md.contains("> - [x] 4"));
        assert_eq!(
            md.matches("```mermaid\ngraph TD\n").count(),
            2,
            "one diagram per shown variant"
        );
        // The direct variant: two producers each linked to both consumers.
        assert!(
            md.contains("n0 --> n2")
                && md.contains("n0 --> n3")
                && md.contains("n1 --> n2")
                && md.contains("n1 --> n3")
        );
        let row = md
            .lines()
            .find(|l| l.starts_with("| direct |"))
            .unwrap_or("");
        assert!(
            row.starts_with("| direct | 4 | 0 | 2 |"),
            "connections, systems, add_consumer_cost: {row}"
        );
        assert!(md.contains("✅ `direct connections == 4`"));
        let ko = notes(lesson(), Lang::Ko);
        assert!(
            ko.contains("# 연결이 늘어난다")
                && ko.contains("## 1. 연결을 세 보자")
                && ko.contains("5.0초 시점의 측정값")
        );
    }
}
