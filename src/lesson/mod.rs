//! Lessons: a scenario's `[[step]]`s played in order, each step's expectations checked against
//! the metrics measured when the simulation reaches the step's time.

pub mod notes;

use crate::scenario::{Expect, Scenario};
use crate::sim::Simulation;
use serde::Serialize;

/// One expectation and what was measured.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub step: usize,
    pub expect: Expect,
    /// None when the variant is not part of the run.
    pub measured: Option<f64>,
    pub holds: bool,
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
                .find(|v| sim.scenario.variants[v.index].name == e.variant)
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
