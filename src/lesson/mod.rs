//! Lessons: a scenario's `[[step]]`s played in order, each step's expectations checked against
//! the metrics measured when the simulation reaches the step's time. Also where a front end
//! loads a scenario or lesson: a file or a built-in, checked down to its expectations' metric
//! names.

pub mod notes;

use crate::report::{is_metric_path, Measured, METRICS};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::{Diagnostic, Diagnostics, Expect, Scenario};
use crate::sim::Simulation;
use serde::Serialize;
use std::path::Path;

/// One expectation and what was measured.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub step: usize,
    pub expect: Expect,
    /// None when the variant is not part of the run.
    pub measured: Option<f64>,
    pub holds: bool,
}

/// Load a scenario from a path, or a built-in one by name, and check it whole.
///
/// # Errors
/// The file cannot be read or is not a valid scenario: every problem found.
pub fn load(file: &str) -> Result<Scenario, Diagnostics> {
    let path = Path::new(file);
    let s = match crate::builtin::get(file).filter(|_| !path.exists()) {
        Some(text) => {
            let name = file.strip_prefix("builtin:").unwrap_or(file);
            Scenario::parse(&format!("builtin:{name}"), text)?
        }
        None => Scenario::load(path)?,
    };
    validate(&s)?;
    Ok(s)
}

/// Parse scenario text and check it whole (see [`load`]).
///
/// # Errors
/// Every problem, with its place in `file`.
pub fn parse(file: &str, text: &str) -> Result<Scenario, Diagnostics> {
    let s = Scenario::parse(file, text)?;
    validate(&s)?;
    Ok(s)
}

/// What the scenario layer cannot know: every expectation names a metric of the catalogue.
///
/// # Errors
/// Each expectation that does not, at its metric's place in the file, with the nearest name.
pub fn validate(s: &Scenario) -> Result<(), Diagnostics> {
    let known = || METRICS.iter().map(|m| m.name);
    let paths = crate::report::metric_paths();
    let errors: Vec<Diagnostic> = s
        .steps
        .iter()
        .flat_map(|st| &st.expect)
        .filter(|e| !is_metric_path(&e.metric))
        .map(|e| {
            let message = format!(
                "unknown metric {:?}; one of: {}",
                e.metric,
                known().collect::<Vec<_>>().join(", ")
            );
            let candidates = paths.iter().map(String::as_str);
            Diagnostic::token(&s.text, e.metric_line, e.metric_col, message)
                .with_label("not a metric")
                .with_help(did_you_mean(&e.metric, candidates))
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Diagnostics::new(&s.source, s.text.clone(), errors))
}

/// Evaluate the expectations of one step against the simulation as it is now.
#[must_use]
pub fn evaluate(sim: &Simulation, step: usize) -> Vec<Outcome> {
    let Some(s) = sim.scenario.steps.get(step) else {
        return Vec::new();
    };
    s.expect
        .iter()
        .map(|e| {
            let measured = sim
                .variants
                .iter()
                .find(|v| v.name() == e.variant)
                .and_then(|v| v.metrics().value(&e.metric));
            Outcome {
                step,
                expect: e.clone(),
                measured,
                holds: measured.is_some_and(|m| e.op.holds(m, e.value)),
            }
        })
        .collect()
}

/// Play every step of `scenario` in order and check all expectations.
#[must_use]
pub fn check(scenario: Scenario) -> Vec<Outcome> {
    let mut sim = Simulation::new(scenario);
    let mut out = Vec::new();
    for i in 0..sim.scenario.steps.len() {
        let t = sim.scenario.steps[i].run_to;
        sim.run_until(t);
        out.extend(evaluate(&sim, i));
    }
    out
}

/// Whether a scenario is a lesson (has steps).
#[must_use]
pub fn is_lesson(s: &Scenario) -> bool {
    !s.steps.is_empty()
}
