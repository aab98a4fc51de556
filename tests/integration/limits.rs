//! Every documented limit at its edges: a file just under it is accepted (and, where a run is
//! cheap, runs), just over it is refused with a message that names the limit. The hostile but
//! valid shapes of the "Engine at scale" issue run to the end or are refused.

use brokerlab::scenario::{parse_scenario, secs, Scenario, ScenarioError, LIMITS};
use brokerlab::sim::Simulation;
use std::fmt::Write as _;

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    parse_scenario("limits.toml", text)
}

/// `groups` consumers, each its own group, of topics t0..t{topics-1}; one producer per topic.
fn fan(rate: f64, duration: f64, topics: usize, groups: usize, extra: &str) -> String {
    let mut t = format!("duration_s = {duration}\n");
    for i in 0..topics {
        let _ = write!(
            t,
            "[[producer]]\nname = \"p{i}\"\npublish = [ {{ topic = \"t{i}\", rate_per_s = {rate}{extra} }} ]\n"
        );
    }
    let all: Vec<String> = (0..topics).map(|i| format!("\"t{i}\"")).collect();
    for g in 0..groups {
        let _ = write!(
            t,
            "[[consumer]]\nname = \"c{g}\"\nsubscribe = [{}]\n",
            all.join(", ")
        );
    }
    t
}

const KAFKA: &str = "[[variant]]\nname = \"k\"\nshape = \"central-log\"\nbroker = \"kafka\"\n";

#[test]
fn expected_deliveries_are_accepted_up_to_the_limit_and_refused_over_it() {
    // 1e7 messages to 25 groups: 2.5e8, the limit exactly.
    assert!(parse(&(fan(1_000_000.0, 10.0, 1, 25, "") + KAFKA)).is_ok());
    let e = parse(&(fan(1_000_000.0, 10.0, 1, 26, "") + KAFKA)).expect_err("over");
    assert!(e.message.contains("the limit is 250000000"), "{e}");
    // The shape: 1,000,000 msg/s for 10 s to 1,000 groups is refused, with the estimate.
    let e = parse(&(fan(1_000_000.0, 10.0, 1, 1000, "") + KAFKA)).expect_err("over");
    assert!(e.message.contains("about 10000000000 deliveries"), "{e}");
}

#[test]
fn messages_are_accepted_up_to_the_limit_and_refused_over_it() {
    let per = LIMITS.messages / 2.0 / 1_000_000.0;
    let under = fan(1_000_000.0, per, 2, 1, "") + KAFKA;
    assert!(parse(&under).is_ok());
    let over = fan(1_000_000.0, per * 1.000_001, 2, 1, "") + KAFKA;
    let e = parse(&over).expect_err("over");
    assert!(e.message.contains("the limit is 200000000"), "{e}");
}

#[test]
fn partitions_times_groups_are_accepted_up_to_the_limit_and_refused_over_it() {
    let kafka = |p: u32| format!("{KAFKA}kafka = {{ partitions = {p} }}\n");
    // 1024 partitions x 2 topics x 1953 groups = 3,999,744 <= 4,000,000.
    assert!(parse(&(fan(1.0, 1.0, 2, 1953, "") + &kafka(1024))).is_ok());
    let e = parse(&(fan(1.0, 1.0, 2, 1954, "") + &kafka(1024))).expect_err("over");
    assert!(
        e.message.contains("offsets to keep; the limit is 4000000"),
        "{e}"
    );
}

#[test]
fn keys_times_groups_are_accepted_up_to_the_limit_and_refused_over_it() {
    let keys = ", keys = 1000000";
    assert!(parse(&(fan(1.0, 1.0, 1, 50, keys) + KAFKA)).is_ok());
    let e = parse(&(fan(1.0, 1.0, 1, 51, keys) + KAFKA)).expect_err("over");
    assert!(e.message.contains("the limit is 50000000"), "{e}");
}

#[test]
fn the_longest_run_validates_and_runs_and_one_just_over_ten_thousand_seconds_too() {
    // Scenarios longer than 10,000 s used to panic in validation (the sample step's clamp).
    for d in [10_001.0, LIMITS.duration_s] {
        let s = parse(&(fan(0.001, d, 1, 1, "") + KAFKA)).unwrap_or_else(|e| panic!("{d}: {e}"));
        assert!(
            s.sample_step >= secs(d / LIMITS.samples),
            "at most {} samples",
            LIMITS.samples
        );
        let mut sim = Simulation::new(s);
        sim.run_until(secs(d.min(100_000.0)));
        sim.audit().unwrap_or_else(|e| panic!("{e}"));
    }
    let e =
        parse(&(fan(0.001, LIMITS.duration_s * 1.000_001, 1, 1, "") + KAFKA)).expect_err("over");
    assert!(e.message.contains("duration_s is over the limit"), "{e}");
}

#[test]
fn a_row_of_hash_wildcards_against_a_long_routing_key_binds_at_once() {
    // The hostile binding: 14 `#` then `b`, against a topic of 25 words.
    let pattern = ["#"; 14].join(".") + ".b";
    let topic = ["w"; 24].join(".") + ".b";
    let text = format!(
        "duration_s = 2.0\n[[producer]]\nname = \"p\"\npublish = [ {{ topic = \"{topic}\", rate_per_s = 100.0 }} ]\n\
         [[consumer]]\nname = \"c\"\nsubscribe = [\"{pattern}\"]\n\
         [[variant]]\nname = \"r\"\nshape = \"single-broker\"\nbroker = \"rabbitmq\"\nrabbitmq = {{ exchange = \"topic\" }}\n"
    );
    let mut sim = Simulation::new(parse(&text).unwrap_or_else(|e| panic!("{e}")));
    sim.run();
    let t = sim.variants[0].tally();
    assert!(
        t.counters.delivered > 150,
        "the pattern matches: {:?}",
        t.counters
    );
}
