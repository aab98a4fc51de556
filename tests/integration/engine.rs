//! The engine's API as a viewer drives it: stepping, running, snapshots, faults at run time,
//! the topology and the time series.

use crate::common::{metrics, scenario};
use brokerlab::engine::Command;
use brokerlab::report::Measured;
use brokerlab::scenario::secs;
use brokerlab::sim::Simulation;
use brokerlab::topology::NodeKind;

const ALL_SHAPES: &str = r#"
seed = 9
duration_s = 10.0
latency_ms = 50.0
sample_step_s = 0.5
[[producer]]
name = "p1"
publish = [ { topic = "a", rate_per_s = 100.0 }, { topic = "b", rate_per_s = 50.0 } ]
[[producer]]
name = "p2"
publish = [ { topic = "a", rate_per_s = 100.0 } ]
[[consumer]]
name = "ca"
subscribe = ["a"]
[[consumer]]
name = "cb"
subscribe = ["b"]
[[fault]]
kind = "add-consumer"
at_s = 5.0
consumer = { name = "late", subscribe = ["a", "b"] }
[[variant]]
name = "direct"
shape = "direct"
[[variant]]
name = "channel"
shape = "channel"
[[variant]]
name = "redis"
shape = "single-broker"
broker = "redis-pubsub"
[[variant]]
name = "rabbit"
shape = "broker-per-topic"
broker = "rabbitmq"
[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"
"#;

#[test]
fn topology_is_layered_with_producers_on_top_and_consumers_at_the_bottom() {
    let sim = Simulation::new(scenario(ALL_SHAPES));
    for v in &sim.variants {
        let g = &v.topology.graph;
        let y = |k: NodeKind| {
            g.node_weights()
                .filter(move |n| n.kind == k)
                .map(|n| n.pos[1])
        };
        let top = y(NodeKind::Producer).fold(f32::MIN, f32::max);
        let bottom = y(NodeKind::Consumer).fold(f32::MAX, f32::min);
        assert!(top < bottom, "{}", v.topology.node(0).name);
        for k in [
            NodeKind::Broker,
            NodeKind::Channel,
            NodeKind::Queue,
            NodeKind::Log,
        ] {
            assert!(
                y(k).all(|m| m > top && m < bottom),
                "{k:?} between producers and consumers"
            );
        }
        // Nodes of one layer never overlap.
        let mut pos: Vec<(i64, i64)> = g
            .node_weights()
            .map(|n| (n.pos[0] as i64, n.pos[1] as i64))
            .collect();
        pos.sort_unstable();
        pos.dedup();
        assert_eq!(pos.len(), g.node_count());
        // The added consumer is drawn from the start, marked with its join time.
        assert!(g
            .node_weights()
            .any(|n| n.name == "late" && n.joins_at == Some(secs(5.0))));
    }
    let rabbit = &sim.variants[3].topology;
    assert_eq!(rabbit.brokers.len(), 2, "a RabbitMQ per topic");
    assert_eq!(
        rabbit
            .graph
            .node_weights()
            .filter(|n| n.kind == NodeKind::Queue)
            .count(),
        4,
        "a:ca, a:late, b:cb, b:late"
    );
}

#[test]
fn stepping_event_by_event_reaches_the_same_state_as_running() {
    let mut a = Simulation::new(scenario(ALL_SHAPES));
    let mut b = Simulation::new(scenario(ALL_SHAPES));
    a.run_until(secs(6.0));
    let mut steps = 0;
    while b.next_event_time().is_some_and(|t| t <= secs(6.0)) {
        assert!(b.step());
        steps += 1;
    }
    b.run_until(secs(6.0));
    assert!(steps > 1000);
    let json = |s: &Simulation| brokerlab::report::Report::of(s).json();
    assert_eq!(json(&a), json(&b));
}

#[test]
fn snapshot_lists_messages_in_flight_with_their_times() {
    let mut sim = Simulation::new(scenario(ALL_SHAPES));
    sim.run_until(secs(3.0));
    for v in &sim.variants {
        let snap = v.snapshot();
        assert!(
            !snap.in_flight.is_empty(),
            "50 ms hops at 250 msg/s keep messages on the wire"
        );
        for f in &snap.in_flight {
            assert!(f.depart <= snap.now && snap.now <= f.arrive);
            assert_eq!(f.arrive - f.depart, secs(0.05));
            assert!(v.topology.graph.node_weights().count() > f.to as usize);
        }
    }
}

#[test]
fn a_command_sent_at_run_time_changes_the_counters() {
    let mut sim = Simulation::new(scenario(ALL_SHAPES));
    sim.run_until(secs(2.0));
    let before = metrics(&sim, "redis").lost;
    let ca = sim.consumer("ca").expect("consumer ca");
    sim.command(Command::TakeOffline(ca))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.command_at(secs(4.0), Command::Heal(ca));
    sim.run_until(secs(6.0));
    let redis = metrics(&sim, "redis");
    let kafka = metrics(&sim, "kafka");
    assert!(
        redis.lost >= before + 300,
        "2 s offline at 200/s: {}",
        redis.lost
    );
    assert_eq!(kafka.lost, 0);
    assert!(sim.consumer("nobody").is_none());
    let err = sim
        .command(Command::Heal(ca))
        .expect_err("ca is online again");
    assert_eq!(err.to_string(), "ca is online already");
}

#[test]
fn time_series_are_sampled_at_the_fixed_step() {
    let mut sim = Simulation::new(scenario(ALL_SHAPES));
    sim.run();
    for v in &sim.variants {
        let s = v.series();
        assert_eq!(s.len(), 20, "10 s every 0.5 s");
        assert!(s.t_s.windows(2).all(|w| (w[1] - w[0] - 0.5).abs() < 1e-9));
        assert!(
            s.lost.windows(2).all(|w| w[0] <= w[1]),
            "lost so far never shrinks"
        );
        assert!(s.lost.last().copied().unwrap_or(0) <= v.metrics().lost);
        assert!(s.delivered_per_s.iter().skip(1).all(|&r| r > 0.0));
    }
}

#[test]
fn variants_on_several_threads_give_byte_identical_results() {
    let run = |threads: usize| {
        let text = brokerlab::builtin::get("use-cases").expect("built in");
        let mut sim =
            Simulation::new(brokerlab::scenario::parse_scenario("u", text).expect("valid"));
        sim.set_threads(threads);
        // Long stretches (threads), then short ones (one after the other), mixed.
        for t in [20.0, 20.5, 20.501, 45.0, 60.0] {
            sim.run_until(secs(t));
        }
        brokerlab::report::Report::of(&sim).json()
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(5));
    // `brokerlab run`'s way: each variant run to the end and reported, then let go.
    for threads in [1, 2, 5] {
        let text = brokerlab::builtin::get("use-cases").expect("built in");
        let mut sim =
            Simulation::new(brokerlab::scenario::parse_scenario("u", text).expect("valid"));
        sim.set_threads(threads);
        let report = brokerlab::report::Report::run(sim, secs(60.0));
        assert_eq!(
            one,
            report.json(),
            "{threads} threads, each let go once reported"
        );
    }
}

/// A report is written as it is made (`run --format json` never holds the text whole), and the
/// bytes are those of the whole text, as before.
#[test]
fn a_report_written_as_it_is_made_is_the_whole_text_byte_for_byte() {
    let mut sim = Simulation::new(scenario(ALL_SHAPES));
    sim.run_until(brokerlab::scenario::secs(20.0));
    let report = brokerlab::report::Report::of(&sim);
    let whole = serde_json::to_string_pretty(&report).expect("a report serializes") + "\n";
    let mut streamed = Vec::new();
    report
        .write_json(&mut streamed)
        .expect("writing to a vector");
    assert!(whole.len() > 10_000, "{} bytes", whole.len());
    assert_eq!(String::from_utf8(streamed).expect("UTF-8"), whole);
    assert_eq!(report.json(), whole);
}

/// `finish_each` simulates on worker threads but hands every finished variant to `f` on the
/// calling thread (so that none of `f`'s output is allocated among the variant's memory), each
/// once, and returns what `f` made in the variants' order.
#[test]
fn finish_each_hands_every_variant_over_once_on_the_calling_thread() {
    let text = brokerlab::builtin::get("use-cases").expect("built in");
    let mut sim = Simulation::new(brokerlab::scenario::parse_scenario("u", text).expect("valid"));
    sim.set_threads(2);
    let names: Vec<String> = sim.variants.iter().map(|v| v.name().to_owned()).collect();
    let caller = std::thread::current().id();
    let mut seen = Vec::new();
    let made = sim.finish_each(secs(60.0), |_, v| {
        seen.push((std::thread::current().id(), v.name().to_owned()));
        (v.name().to_owned(), v.now())
    });
    assert!(seen.iter().all(|(id, _)| *id == caller), "{seen:?}");
    let mut got: Vec<String> = seen.into_iter().map(|(_, n)| n).collect();
    got.sort();
    let mut want = names.clone();
    want.sort();
    assert_eq!(got, want, "each variant once");
    assert_eq!(made.iter().map(|m| m.0.clone()).collect::<Vec<_>>(), names);
    assert!(made.iter().all(|m| m.1 == secs(60.0)));
}
