//! A lesson's sweeps (`[[sweep]]`, see [`crate::scenario::Sweep`]): the plan each one makes,
//! the checks only this layer can make (parameter paths and values, metric names, the points
//! expectations name), running them, and measuring an expectation at its point.
//!
//! ```text
//!   [[sweep]] params ──sim::sweep::axis──> axes ──Plan::new──> plan ──sim::sweep::run──> runs
//!   expect { sweep, at } ──point_of(plan)──> point i ──mean over its seeds──> measured
//! ```

use crate::report::sweep::{measure, RunMetrics, Stats};
use crate::report::{is_metric_path, metric_paths, METRICS};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::{Diagnostic, Expect, Scenario, Sweep, SweepPoint};
use crate::sim::params::ParamError;
use crate::sim::sweep::{self as sim_sweep, Axis, Plan};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

/// The most runs (points x seeds) one lesson sweep makes: they all run when the lesson is
/// checked.
pub const MAX_RUNS: usize = 400;

/// A sweep that ran (or is running): its plan and each run's metrics (None: not yet, or
/// stopped).
#[derive(Clone, Debug)]
pub struct Swept {
    pub plan: Plan,
    pub runs: Vec<Option<RunMetrics>>,
}

impl Swept {
    /// Whether every run is in.
    #[must_use]
    pub fn complete(&self) -> bool {
        self.runs.iter().all(Option::is_some)
    }

    /// The mean over the seeds of `metric` of `variant` at the point `at`; None when the point is
    /// not in the grid or none of its runs is in.
    #[must_use]
    pub fn mean_at(&self, at: &SweepPoint, variant: &str, metric: &str) -> Option<f64> {
        let p = point_of(&self.plan, at)?;
        let seeds = usize::try_from(self.plan.seeds).unwrap_or(1).max(1);
        let xs: Vec<f64> = self
            .runs
            .get(p * seeds..(p + 1) * seeds)?
            .iter()
            .flatten()
            .filter_map(|run| {
                let (_, m) = run.iter().find(|(name, _)| name == variant)?;
                m.value(metric)
            })
            .collect();
        Stats::of(&xs).map(|s| s.mean)
    }
}

/// The sweep called `name`.
#[must_use]
pub fn named<'a>(s: &'a Scenario, name: &str) -> Option<&'a Sweep> {
    s.sweeps.iter().find(|w| w.name == name)
}

/// The axes of a sweep's params, each checked at its place in the file.
fn axes(s: &Scenario, w: &Sweep) -> Result<Vec<Axis>, Diagnostic> {
    w.params
        .iter()
        .map(|p| {
            sim_sweep::axis(&p.value).map_err(|e| {
                let message = format!("sweep {:?}: {e}", w.name);
                Diagnostic::at(&s.text, p.span.clone(), message).with_label("not a swept param")
            })
        })
        .collect()
}

/// The plan of sweep `w` of `s`: every point's scenario built (so a bad path or value is found
/// here), its variants and how long each run lasts.
///
/// # Errors
/// A param that is no `PATH=VALUES`, a path or value the scenario refuses, too many runs: at
/// the param's place in the file.
pub fn plan(s: &Scenario, w: &Sweep) -> Result<Plan, Diagnostic> {
    let axes = axes(s, w)?;
    // Counted before every point's scenario is built, which takes a parse each.
    let points: usize = axes.iter().map(|a| a.values.len()).product();
    let runs = points.saturating_mul(usize::try_from(w.seeds).unwrap_or(usize::MAX));
    if runs > MAX_RUNS {
        let message = format!(
            "sweep {:?}: {points} points x {} is {runs} runs; a lesson's sweep makes at most {MAX_RUNS} (they run when the lesson is checked)",
            w.name,
            match w.seeds {
                1 => "1 seed".to_owned(),
                n => format!("{n} seeds"),
            },
        );
        return Err(Diagnostic::at(&s.text, w.span.clone(), message));
    }
    let at_param = |e: &ParamError| {
        let i = w
            .paths()
            .iter()
            .position(|p| *p == e.path)
            .unwrap_or_default();
        let span = w.params.get(i).map_or(w.span.clone(), |p| p.span.clone());
        let message = format!("sweep {:?}: {e}", w.name);
        Diagnostic::at(&s.text, span, message).with_label("not a swept param")
    };
    let mut plan = Plan::new(s, &axes, w.seeds).map_err(|e| at_param(&e))?;
    plan.until = w.until;
    if !w.variants.is_empty() {
        plan.variants = s
            .variants
            .iter()
            .enumerate()
            .filter(|(_, v)| w.variants.contains(&v.name))
            .map(|(i, _)| i)
            .collect();
    }
    Ok(plan)
}

/// Two values of a param are the same point: numbers by value (`4` is `4.0`), others exactly.
fn same(a: &toml::Value, b: &toml::Value) -> bool {
    let num = |v: &toml::Value| match v {
        toml::Value::Integer(i) =>
        {
            #[allow(clippy::cast_precision_loss)]
            Some(*i as f64)
        }
        toml::Value::Float(f) => Some(*f),
        _ => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
        _ => a == b,
    }
}

/// The index in `plan.points` of the point `at` names.
#[must_use]
pub fn point_of(plan: &Plan, at: &SweepPoint) -> Option<usize> {
    plan.points.iter().position(|p| {
        p.values.len() == at.at.len()
            && p.values.iter().all(|(path, v)| {
                at.at
                    .iter()
                    .any(|(k, x)| k.value == *path && same(&x.value, v))
            })
    })
}

/// Every problem of the sweeps of `s` and of the expectations about their points.
#[must_use]
pub fn problems(s: &Scenario) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut plans = BTreeMap::new();
    for w in &s.sweeps {
        match plan(s, w) {
            Ok(p) => {
                plans.insert(w.name.as_str(), p);
            }
            Err(d) => found.push(d),
        }
        if !is_metric_path(&w.metric.value) {
            found.push(unknown_metric(s, &w.metric.value, w.metric.span.clone()));
        }
    }
    for e in s.steps.iter().flat_map(|st| &st.expect) {
        let Some(at) = &e.sweep else { continue };
        let (Some(w), Some(plan)) = (named(s, &at.sweep), plans.get(at.sweep.as_str())) else {
            continue;
        };
        found.extend(point_problems(s, w, plan, e, at));
    }
    found
}

fn unknown_metric(s: &Scenario, name: &str, span: std::ops::Range<usize>) -> Diagnostic {
    let paths = metric_paths();
    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    let message = format!("unknown metric {name:?}; one of: {}", names.join(", "));
    Diagnostic::at(&s.text, span, message)
        .with_label("not a metric")
        .with_help(did_you_mean(name, paths.iter().map(String::as_str)))
}

/// What is wrong with the point an expectation names: a path the sweep does not sweep, a path
/// left out, a value not in the grid, a variant the sweep does not run.
fn point_problems(
    s: &Scenario,
    w: &Sweep,
    plan: &Plan,
    e: &Expect,
    at: &SweepPoint,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let paths = w.paths();
    for (k, v) in &at.at {
        let Some(i) = paths.iter().position(|p| *p == k.value) else {
            let message = format!(
                "sweep {:?} does not sweep {:?}; it sweeps: {}",
                w.name,
                k.value,
                paths.join(", ")
            );
            let help = did_you_mean(&k.value, paths.iter().copied());
            found.push(Diagnostic::at(&s.text, k.span.clone(), message).with_help(help));
            continue;
        };
        let values: Vec<&toml::Value> = plan
            .points
            .iter()
            .filter_map(|p| p.values.get(i).map(|(_, x)| x))
            .collect();
        if !values.iter().any(|x| same(x, &v.value)) {
            let mut listed: Vec<String> = Vec::new();
            for x in values {
                let x = x.to_string();
                if !listed.contains(&x) {
                    listed.push(x);
                }
            }
            let message = format!(
                "{} = {} is not a point of sweep {:?}: its values are {}",
                k.value,
                v.value,
                w.name,
                listed.join(", ")
            );
            found.push(
                Diagnostic::at(&s.text, v.span.clone(), message).with_label("not in the grid"),
            );
        }
    }
    for p in &paths {
        if !at.at.iter().any(|(k, _)| k.value == *p) {
            let message = format!(
                "`at` gives no value of {p:?}: a point of sweep {:?} gives each of {}",
                w.name,
                paths.join(", ")
            );
            found.push(Diagnostic::at(&s.text, at.span.clone(), message));
        }
    }
    let runs = |name: &str| plan.variants.iter().any(|&i| s.variants[i].name == name);
    if !runs(&e.variant) {
        let message = format!(
            "sweep {:?} does not run variant {:?} (it runs: {})",
            w.name,
            e.variant,
            plan.variants
                .iter()
                .map(|&i| s.variants[i].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        found.push(Diagnostic::token(&s.text, e.line, e.col, message));
    }
    found
}

/// Run sweep `w` of `s` to the end on `jobs` threads.
///
/// # Errors
/// The sweep's plan does not hold (see [`plan`]).
pub fn run(s: &Scenario, w: &Sweep, jobs: usize) -> Result<Swept, Diagnostic> {
    let plan = plan(s, w)?;
    let cancel = AtomicBool::new(false);
    let runs = sim_sweep::run(&plan, jobs, &cancel, &|_, _| {}, &measure);
    Ok(Swept { plan, runs })
}

/// The threads a lesson's sweeps run on: the machine's cores.
#[must_use]
pub fn jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
