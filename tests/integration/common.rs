//! Helpers shared by the tests.

use brokerlab::report::Measured;
use brokerlab::scenario::{parse_scenario, Scenario};
use brokerlab::sim::Simulation;

/// Parse a scenario from text, panicking with the error (test input is ours).
pub fn scenario(text: &str) -> Scenario {
    parse_scenario("test.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

/// Run to `t` seconds, auditing the ledger against every variant's holdings every `every` s.
pub fn run_audited(sim: &mut Simulation, t: f64, every: f64) {
    let mut now = 0.0;
    while now < t {
        now = (now + every).min(t);
        sim.run_until(brokerlab::scenario::secs(now));
        if let Err(e) = sim.audit() {
            panic!("at {now} s: {e}");
        }
    }
}

/// The metrics of the variant named `name`.
pub fn metrics(sim: &Simulation, name: &str) -> brokerlab::report::Metrics {
    sim.variants
        .iter()
        .find(|v| sim.scenario.variants[v.index].name == name)
        .unwrap_or_else(|| panic!("no variant {name}"))
        .metrics()
}
