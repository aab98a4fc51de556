//! Lessons: a scenario's `[[step]]`s played in order, each step's expectations checked against
//! the metrics measured when the simulation reaches the step's time. Also where a front end
//! loads a scenario or lesson: a file or a built-in, checked down to its expectations' metric
//! names.

pub mod notes;
pub mod sweep;

use crate::report::{is_metric_path, Measured, METRICS};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::{Diagnostic, Diagnostics, Expect, Scenario};
use crate::sim::params::{self, ParamError};
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
    // A file of that name wins over a built-in; a folder of that name does not.
    let s = match crate::builtin::get(file).filter(|_| !path.is_file()) {
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
        .chain(knob_problems(s))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Diagnostics::new(&s.source, s.text.clone(), errors))
}

/// The knobs step `i` sets (`[[step]] set`), as `params::apply` takes them.
#[must_use]
pub fn knobs(s: &Scenario, i: usize) -> Vec<(String, toml::Value)> {
    s.steps.get(i).map_or_else(Vec::new, |st| {
        st.set
            .iter()
            .map(|(k, v)| (k.value.clone(), v.value.clone()))
            .collect()
    })
}

/// The scenario step `i` runs: `s` with the step's knobs, as if the file had them (`s` itself
/// for a step without `set`).
///
/// # Errors
/// A knob's path names nothing or its value is refused (`validate` reports it at its place).
pub fn step_scenario(s: &Scenario, i: usize) -> Result<Scenario, ParamError> {
    params::apply(s, &knobs(s, i))
}

/// Each step's knobs that do not apply: a path that names nothing, a value the file's rules
/// refuse; at the knob (its value when the path is right), with the message `--set` gives.
fn knob_problems(s: &Scenario) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (i, st) in s.steps.iter().enumerate() {
        if st.set.is_empty() {
            continue;
        }
        let Err(e) = step_scenario(s, i) else {
            continue;
        };
        let (key, value) = st
            .set
            .iter()
            .find(|(k, _)| k.value == e.path)
            .unwrap_or(&st.set[0]);
        let unknown = params::get(s, &key.value).is_err();
        let (span, label) = if unknown {
            (key.span.clone(), "no such parameter")
        } else {
            (value.span.clone(), "refused")
        };
        found.push(
            Diagnostic::at(&s.text, span, format!("set: {e}"))
                .with_label(label)
                .with_help(
                    unknown
                        .then(|| "the app's Knobs tab lists every path of the scenario".to_owned()),
                ),
        );
    }
    found
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
    let mut out = Vec::new();
    let mut steps = Steps::new(scenario);
    for i in 0..steps.file.steps.len() {
        let sim = steps.at(i);
        out.extend(evaluate_with(sim, i, &swept));
    }
    out
}

/// A lesson's steps played in order: one run of the file, and a run of its own for each step
/// that sets knobs (from 0 s, then dropped). The simulation is the one the learner sees at the
/// step's end.
pub struct Steps {
    pub file: std::sync::Arc<Scenario>,
    run: Simulation,
    knobbed: Option<Simulation>,
}

impl Steps {
    #[must_use]
    pub fn new(lesson: Scenario) -> Steps {
        let run = Simulation::new(lesson);
        Steps {
            file: std::sync::Arc::clone(&run.scenario),
            run,
            knobbed: None,
        }
    }

    /// Step `i`'s simulation at its `run_to` (steps asked for in order). A step whose knobs do
    /// not apply (`validate` refuses such a lesson) runs the file.
    pub fn at(&mut self, i: usize) -> &Simulation {
        let t = self.file.steps[i].run_to;
        if self.file.steps[i].set.is_empty() {
            self.knobbed = None;
            self.run.run_until(t);
            return &self.run;
        }
        let Ok(s) = step_scenario(&self.file, i) else {
            self.run.run_until(t);
            return &self.run;
        };
        let sim = self.knobbed.insert(Simulation::new(s));
        sim.run_until(t);
        sim
    }
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
