//! What a run reports: the metric catalogue (one place for every metric's name, unit, meaning in
//! English and Korean and which way is better) and the renderers that print a run as a table,
//! CSV or JSON. Front ends read the catalogue; none keeps a metric list of its own.
//!
//! ```text
//!   sim::VariantSim ──tally + cost──> Metrics (catalogue) ──> table | csv | json | app | notes
//! ```

mod catalogue;
mod render;
pub mod sweep;
pub mod trace;

pub use catalogue::{
    accumulates, is_metric_path, metric, metric_paths, path_label, path_meaning, reason_label,
    reason_meaning, Better, Kind, Metric, Metrics, LATENCY_PARTS, METRICS,
};
pub use render::{csv, table};

use crate::engine::state::ModelState;
use crate::engine::GroupReport;
use crate::scenario::{to_secs, Nanos, Scenario};
use crate::sim::{Simulation, VariantSim};
use serde::Serialize;

/// A variant's metrics, from the catalogue.
pub trait Measured {
    fn metrics(&self) -> Metrics;
}

impl Measured for VariantSim {
    fn metrics(&self) -> Metrics {
        Metrics::of(&self.tally(), self.topology.cost)
    }
}

/// What `run --format json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub title: String,
    pub seed: u64,
    pub until_s: f64,
    pub variants: Vec<VariantReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VariantReport {
    pub name: String,
    pub shape: String,
    pub broker: Option<String>,
    pub metrics: Metrics,
    pub groups: Vec<GroupReport>,
    /// What a learner can see inside the systems (queues, buffers, partitions, brokers).
    pub state: ModelState,
}

impl VariantReport {
    fn of(scenario: &Scenario, v: &VariantSim) -> VariantReport {
        let var = &scenario.variants[v.index];
        VariantReport {
            name: var.name.clone(),
            shape: var.shape().name().to_owned(),
            broker: var.broker_kind().map(|b| b.name().to_owned()),
            metrics: v.metrics(),
            groups: v.groups(),
            state: v.state(),
        }
    }
}

impl Report {
    /// The report of `sim` as it is now.
    #[must_use]
    pub fn of(sim: &Simulation) -> Report {
        let variants = sim
            .variants
            .iter()
            .map(|v| VariantReport::of(&sim.scenario, v))
            .collect();
        Report::new(&sim.scenario, sim.now(), variants)
    }

    fn new(scenario: &Scenario, now: Nanos, variants: Vec<VariantReport>) -> Report {
        Report {
            scenario: scenario.source.clone(),
            title: scenario.title.en.clone(),
            seed: scenario.seed,
            until_s: to_secs(now),
            variants,
        }
    }

    /// Run `sim` to `until` and report it, letting each variant go once it is reported (what
    /// `brokerlab run` does: its memory is that of the variants under way, not of all).
    #[must_use]
    pub fn run(sim: Simulation, until: Nanos) -> Report {
        let (scenario, now) = (std::sync::Arc::clone(&sim.scenario), sim.now().max(until));
        let variants = sim.finish_each(until, |s, v| VariantReport::of(s, &v));
        Report::new(&scenario, now, variants)
    }

    /// As `run --format json` prints it.
    #[must_use]
    pub fn json(&self) -> String {
        let mut text = Vec::new();
        match self.write_json(&mut text) {
            Ok(()) => String::from_utf8(text).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// [`Report::json`] written to `w` as it is made: a big run's report is hundreds of MB of
    /// text (1,024 partitions x 1,000 groups: 161 MB), never held whole.
    ///
    /// # Errors
    /// What writing to `w` gives.
    pub fn write_json(&self, w: impl std::io::Write) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut w = std::io::BufWriter::new(w);
        serde_json::to_writer_pretty(&mut w, self)?;
        w.write_all(b"\n")?;
        w.flush()
    }
}
