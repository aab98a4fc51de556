//! Lessons: a scenario's `[[step]]`s played in order, each step's expectations checked against
//! the metrics measured when the simulation reaches the step's time. Also where a front end
//! loads a scenario or lesson: a file or a built-in, checked down to its expectations' metric
//! names.

pub mod notes;
pub mod sweep;

use crate::report::{is_metric_path, Measured, METRICS};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::{Diagnostic, Diagnostics, Expect, Scenario};
use crate::sim::Simulation;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use sweep::Swept;

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

/// What the scenario layer cannot know: every expectation names a metric of the catalogue, and
/// every sweep's params, metric and the points expectations name hold (see [`sweep::problems`]).
///
/// # Errors
/// Each problem, at its place in the file, with the nearest name where there is one.
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
        .chain(sweep::problems(s))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Diagnostics::new(&s.source, s.text.clone(), errors))
}

/// Evaluate the expectations of one step against the simulation as it is now; those about a
/// sweep's point are not measured (see [`evaluate_with`]).
#[must_use]
pub fn evaluate(sim: &Simulation, step: usize) -> Vec<Outcome> {
    evaluate_with(sim, step, &BTreeMap::new())
}

/// Evaluate the expectations of one step, in the file's order: each about the step's run against
/// the simulation as it is now, each about a sweep's point against the mean over its seeds in
/// `swept` (by sweep name; None measured while the sweep has not run).
#[must_use]
pub fn evaluate_with(
    sim: &Simulation,
    step: usize,
    swept: &BTreeMap<String, Swept>,
) -> Vec<Outcome> {
    let Some(s) = sim.scenario.steps.get(step) else {
        return Vec::new();
    };
    s.expect
        .iter()
        .map(|e| {
            let measured = match &e.sweep {
                Some(at) => swept
                    .get(&at.sweep)
                    .and_then(|w| w.mean_at(at, &e.variant, &e.metric)),
                None => sim
                    .variants
                    .iter()
                    .find(|v| v.name() == e.variant)
                    .and_then(|v| v.metrics().value(&e.metric)),
            };
            Outcome {
                step,
                expect: e.clone(),
                measured,
                holds: measured.is_some_and(|m| e.op.holds(m, e.value)),
            }
        })
        .collect()
}

/// The sweeps the steps of `s` draw (which are those their expectations name), run to their
/// end on `jobs` threads, by name.
#[must_use]
pub fn run_sweeps(s: &Scenario, jobs: usize) -> BTreeMap<String, Swept> {
    let mut out = BTreeMap::new();
    for name in s.steps.iter().filter_map(|st| st.sweep.as_ref()) {
        if out.contains_key(name) {
            continue;
        }
        // A lesson that loaded has sweeps that plan (`validate`); one that does not is left
        // unmeasured, and its expectations fail.
        if let Some(Ok(w)) = sweep::named(s, name).map(|w| sweep::run(s, w, jobs)) {
            out.insert(name.clone(), w);
        }
    }
    out
}

/// Play every step of `scenario` in order and check all expectations (the sweeps' too, each
/// sweep run once on every core).
#[must_use]
pub fn check(scenario: Scenario) -> Vec<Outcome> {
    let swept = run_sweeps(&scenario, sweep::jobs());
    let mut sim = Simulation::new(scenario);
    let mut out = Vec::new();
    for i in 0..sim.scenario.steps.len() {
        let t = sim.scenario.steps[i].run_to;
        sim.run_until(t);
        out.extend(evaluate_with(&sim, i, &swept));
    }
    out
}

/// An expectation as a learner reads it: `kafka lost == 0`, and for a sweep's point
/// `point-to-point connections == 42 at links (scale.producers = 3)`.
#[must_use]
pub fn describe(e: &Expect) -> String {
    let what = format!("{} {} {} {}", e.variant, e.metric, e.op.symbol(), e.value);
    match &e.sweep {
        Some(at) => format!("{what} at {} ({})", at.sweep, at.describe()),
        None => what,
    }
}

/// Whether a scenario is a lesson (has steps).
#[must_use]
pub fn is_lesson(s: &Scenario) -> bool {
    !s.steps.is_empty()
}
