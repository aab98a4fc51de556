//! `brokerlab check`: validate a scenario and, for a lesson, run every expectation. As text (a
//! summary on stdout, problems on stderr as rustc shows errors) or as JSON for tools (on stdout):
//!
//! ```text
//!   bad file:  { "file", "valid": false, "errors": [ { line, col, end_line, end_col, message, help } ] }
//!   good file: { "file", "valid": true, "producers", "consumers", "topics", "variants", "faults",
//!                "steps", "expectations": [ { step, title, variant, metric, op, value, measured,
//!                holds, line, col, sweep?, at? } ], "passed", "failed" }
//! ```
//!
//! Exit codes as everywhere: 0 valid (and every expectation holds), 1 an expectation failed,
//! 2 bad input.

use super::{print_out, try_load_set, LoadError, Sets};
use crate::lesson::Outcome;
use crate::scenario::Scenario;
use clap::ValueEnum;
use serde::Serialize;
use std::fmt::Write as _;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

pub(super) fn check(file: &str, set: &Sets, format: CheckFormat) -> ExitCode {
    let s = match (try_load_set(file, set), format) {
        (Ok(s), _) => s,
        (Err(e), CheckFormat::Text) => return e.exit(),
        (Err(e), CheckFormat::Json) => {
            print_out(&json_text(&errors_json(&e)));
            return ExitCode::from(2);
        }
    };
    let outcomes = crate::lesson::check(s.clone());
    let failed = outcomes.iter().filter(|o| !o.holds).count();
    let code = match format {
        CheckFormat::Text => text(&s, &outcomes),
        CheckFormat::Json => print_out(&json_text(&summary(&s, &outcomes))),
    };
    if failed > 0 {
        ExitCode::from(1)
    } else {
        code
    }
}

fn json_text(v: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_default();
    text.push('\n');
    text
}

/// A load error as `{ file, valid: false, errors }`; a `--set` that does not apply has no place
/// in the file and stands at 1:1.
fn errors_json(e: &LoadError) -> serde_json::Value {
    let mut v = match e {
        LoadError::File(d) => d.json(),
        LoadError::Set { file, message } => serde_json::json!({
            "file": file,
            "errors": [ { "line": 1, "col": 1, "end_line": 1, "end_col": 1,
                          "message": message, "help": null } ],
        }),
    };
    v["valid"] = false.into();
    v
}

/// One expectation and what was measured, for JSON.
#[derive(Serialize)]
struct Expectation<'a> {
    step: usize,
    title: &'a str,
    variant: &'a str,
    metric: &'a str,
    op: &'static str,
    value: f64,
    measured: Option<f64>,
    holds: bool,
    line: usize,
    col: usize,
    /// For an expectation about a sweep's point: the sweep, and the point's values.
    #[serde(skip_serializing_if = "Option::is_none")]
    sweep: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<serde_json::Map<String, serde_json::Value>>,
}

fn summary(s: &Scenario, outcomes: &[Outcome]) -> serde_json::Value {
    let expectations: Vec<Expectation> = outcomes
        .iter()
        .map(|o| Expectation {
            step: o.step + 1,
            title: &s.steps[o.step].title.en,
            variant: &o.expect.variant,
            metric: &o.expect.metric,
            op: o.expect.op.symbol(),
            value: o.expect.value,
            measured: o.measured,
            holds: o.holds,
            line: o.expect.line,
            col: o.expect.col,
            sweep: o.expect.sweep.as_ref().map(|p| p.sweep.as_str()),
            at: o.expect.sweep.as_ref().map(|p| {
                p.at.iter()
                    .map(|(k, v)| {
                        let v = serde_json::to_value(&v.value).unwrap_or_default();
                        (k.value.clone(), v)
                    })
                    .collect()
            }),
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.holds).count();
    serde_json::json!({
        "file": s.source,
        "valid": true,
        "producers": s.producers.len(),
        "consumers": s.consumers.len(),
        "topics": s.topics.len(),
        "variants": s.variants.len(),
        "faults": s.faults.len(),
        "steps": s.steps.len(),
        "expectations": expectations,
        "passed": passed,
        "failed": outcomes.len() - passed,
    })
}

/// The summary on stdout, each failed expectation at its place on stderr.
fn text(s: &Scenario, outcomes: &[Outcome]) -> ExitCode {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: valid: {} producers, {} consumers, {} topics, {} variants, {} faults, {} steps",
        s.source,
        s.producers.len(),
        s.consumers.len(),
        s.topics.len(),
        s.variants.len(),
        s.faults.len(),
        s.steps.len()
    );
    for o in outcomes {
        let e = &o.expect;
        let measured = o
            .measured
            .map_or_else(|| "not measured".to_owned(), |m| format!("{m}"));
        let what = crate::lesson::describe(e);
        let verdict = if o.holds { "PASS" } else { "FAIL" };
        let title = &s.steps[o.step].title.en;
        let step = o.step + 1;
        let _ = writeln!(
            out,
            "{verdict} step {step} ({title}): {what} (measured {measured})"
        );
        if !o.holds {
            say!(
                "{}:{}:{}: expectation failed: {what} (measured {measured})",
                s.source,
                e.line,
                e.col
            );
        }
    }
    if !outcomes.is_empty() {
        let passed = outcomes.iter().filter(|o| o.holds).count();
        let _ = writeln!(out, "{passed} of {} expectations hold", outcomes.len());
    }
    print_out(&out)
}
