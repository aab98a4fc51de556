//! Conservation and honesty of the ledger: `expected == delivered + lost + pending` at every
//! instant, and every pending delivery is really held somewhere.

use crate::common::run_audited;
use brokerlab::builtin::SCENARIOS;
use brokerlab::scenario::parse_scenario;
use brokerlab::sim::Simulation;

#[test]
fn every_shipped_scenario_conserves_deliveries_at_every_step() {
    for (name, text) in SCENARIOS {
        let s = parse_scenario(name, text).unwrap_or_else(|e| panic!("{e}"));
        let d = brokerlab::scenario::to_secs(s.duration);
        let mut sim = Simulation::new(s);
        run_audited(&mut sim, d + 5.0, 0.5);
    }
}
