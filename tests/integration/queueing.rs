//! Queueing sanity: the engine's one-server queue must behave like M/M/1.

use crate::common::{metrics, scenario};
use brokerlab::sim::Simulation;

/// Poisson arrivals at rate `lambda`/s to one consumer with exponential service of mean
/// 1/`mu` s, no network delay: a textbook M/M/1 queue.
fn mm1(lambda: f64, mu: f64, duration_s: f64, seed: u64) -> Simulation {
    let text = format!(
        r#"
seed = {seed}
duration_s = {duration_s}
latency_ms = 0.0
[[producer]]
name = "arrivals"
publish = [ {{ topic = "jobs", rate_per_s = {lambda}, arrivals = "poisson" }} ]
[[consumer]]
name = "server"
subscribe = ["jobs"]
service_ms = {}
service_dist = "exponential"
[[variant]]
name = "mm1"
shape = "direct"
"#,
        1000.0 / mu
    );
    Simulation::new(scenario(&text))
}

#[test]
fn one_poisson_producer_and_one_exponential_consumer_match_mm1_mean_time_in_system() {
    let (lambda, mu) = (800.0, 1000.0);
    let mut sim = mm1(lambda, mu, 2500.0, 2024);
    sim.run();
    let m = metrics(&sim, "mm1");
    assert!(m.delivered > 1_900_000, "a long run: {}", m.delivered);
    let want_ms = 1000.0 / (mu - lambda);
    let got_ms = m.latency_ms.mean;
    let err = (got_ms - want_ms).abs() / want_ms;
    assert!(
        err < 0.03,
        "mean time in system {got_ms:.4} ms vs M/M/1's {want_ms:.4} ms ({:.2}% off)",
        err * 100.0
    );
}
