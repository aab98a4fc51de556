//! Following one message (`brokerlab trace`, `sim::trace`): the acceptance check (a
//! message Pub/Sub loses during an outage, the log delivers after it), the JSON contract, and
//! that a watch changes nothing in the run it follows.

use brokerlab::engine::{Command, MsgId};
use brokerlab::report::Report;
use brokerlab::scenario::{parse_scenario, secs, Scenario};
use brokerlab::sim::trace::{self, Fate, MessageTrace, VariantTrace};
use brokerlab::sim::{Simulation, Tape};
use serde_json::Value;
use std::path::Path;
use std::process::{Command as Process, Output};

/// A `metrics` message web-1 publishes at 25.17 s of consumer-outage, while metric-server-1
/// (group metric-servers-a) is offline from 20 s to 30 s.
const DURING_OUTAGE: &str = "5002";

fn brokerlab(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_brokerlab"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap_or_else(|e| panic!("cannot start brokerlab {args:?}: {e}"))
}

fn ok(args: &[&str]) -> String {
    let o = brokerlab(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "brokerlab {args:?}: {err}");
    String::from_utf8(o.stdout).unwrap_or_else(|e| panic!("{e}"))
}

fn json(args: &[&str]) -> Value {
    let out = ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("no JSON ({e}):\n{out}"))
}

fn builtin(name: &str) -> Scenario {
    let text = brokerlab::builtin::get(name).unwrap_or_else(|| panic!("no built-in {name}"));
    parse_scenario(&format!("builtin:{name}"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn variant<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["variants"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("no variant {name} in {t}"))
}

fn outcome<'a>(v: &'a Value, group: &str) -> &'a Value {
    v["outcome"]
        .as_array()
        .and_then(|o| o.iter().find(|x| x["group"] == group))
        .unwrap_or_else(|| panic!("no outcome for {group} in {v}"))
}

fn events<'a>(v: &'a Value, what: &str, group: &str) -> Vec<&'a Value> {
    v["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["what"] == what && x["group"] == group)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn trace_shows_a_message_lost_by_pubsub_during_an_outage_and_delivered_later_by_the_log() {
    let t = json(&[
        "trace",
        "scenarios/consumer-outage.toml",
        "--message",
        DURING_OUTAGE,
        "--format",
        "json",
    ]);
    let created = t["message"]["created_s"].as_f64().unwrap_or(0.0);
    assert!(
        (20.0..30.0).contains(&created),
        "made during the outage: {t}"
    );
    assert_eq!(t["message"]["topic"], "metrics");

    let pubsub = variant(&t, "redis-pubsub");
    let lost = outcome(pubsub, "metric-servers-a");
    assert_eq!(lost["state"], "lost");
    assert_eq!(lost["reason"], "subscriber-offline");
    let died = events(pubsub, "lost", "metric-servers-a");
    assert_eq!(died.len(), 1, "{pubsub}");
    assert_eq!(died[0]["at"], "redis-pubsub", "lost at the broker");
    assert_eq!(outcome(pubsub, "metric-servers-b")["state"], "delivered");

    let kafka = variant(&t, "kafka");
    assert_eq!(outcome(kafka, "metric-servers-a")["state"], "delivered");
    assert_eq!(outcome(kafka, "metric-servers-a")["reason"], Value::Null);
    let processed = events(kafka, "processed", "metric-servers-a");
    assert_eq!(processed.len(), 1, "{kafka}");
    assert_eq!(processed[0]["consumer"], "metric-server-1");
    assert!(
        processed[0]["t_s"].as_f64().unwrap_or(0.0) >= 30.0,
        "processed once the outage ended: {kafka}"
    );
    let stored = kafka["events"]
        .as_array()
        .and_then(|e| e.iter().find(|x| x["what"] == "stored"))
        .unwrap_or_else(|| panic!("the log stores it: {kafka}"));
    let detail = stored["detail"].as_str().unwrap_or("");
    assert!(detail.starts_with("partition metrics-"), "{detail}");
    assert!(detail.contains("offset"), "{detail}");

    // The table says the same in words.
    let table = ok(&["trace", "consumer-outage", "--message", DURING_OUTAGE]);
    assert!(
        table.contains("metric-servers-a lost (subscriber-offline)"),
        "{table}"
    );
    assert!(table.contains("partition metrics-"), "{table}");
}

#[test]
fn trace_json_has_the_design_fields_and_nothing_else() {
    let t = json(&[
        "trace",
        "use-cases",
        "--message",
        "1200",
        "--format",
        "json",
    ]);
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    assert_eq!(keys(&t), ["message", "scenario", "variants"]);
    assert_eq!(
        keys(&t["message"]),
        ["created_s", "id", "key", "producer", "size_bytes", "topic"]
    );
    assert_eq!(t["message"]["id"], 1200);
    let variants = t["variants"].as_array().cloned().unwrap_or_default();
    assert_eq!(variants.len(), 5, "every variant of use-cases");
    let whats = [
        "produced",
        "published",
        "arrived",
        "stored",
        "requeued",
        "held",
        "removed",
        "delivered",
        "redelivered",
        "received",
        "processed",
        "acked",
        "lost",
        "skipped",
    ];
    for v in &variants {
        assert_eq!(keys(v), ["events", "name", "outcome"]);
        let events = v["events"].as_array().cloned().unwrap_or_default();
        assert_eq!(events[0]["what"], "produced", "{v}");
        let mut last = 0.0;
        for e in &events {
            assert_eq!(
                keys(e),
                ["at", "consumer", "detail", "group", "t_s", "what"]
            );
            let t_s = e["t_s"].as_f64().unwrap_or(-1.0);
            assert!(t_s >= last, "events in time order: {v}");
            last = t_s;
            assert!(whats.contains(&e["what"].as_str().unwrap_or("")), "{e}");
        }
        for o in v["outcome"].as_array().cloned().unwrap_or_default() {
            assert_eq!(keys(&o), ["group", "reason", "state"]);
            let state = o["state"].as_str().unwrap_or("");
            assert!(["delivered", "lost", "pending"].contains(&state), "{o}");
            assert_eq!(o["reason"].is_string(), state == "lost", "{o}");
        }
    }
}

#[test]
fn trace_prints_the_same_bytes_every_time() {
    let args = [
        "trace",
        "consumer-outage",
        "--message",
        "4321",
        "--format",
        "json",
    ];
    assert_eq!(ok(&args), ok(&args));
}

#[test]
fn trace_of_a_message_the_run_never_produces_is_bad_input() {
    let o = brokerlab(&["trace", "consumer-outage", "--message", "99999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("builtin:consumer-outage: --message 99999: the run produces "),
        "{err}"
    );
    // The edge: the run's last message is traced, the next number is refused.
    let produced: u64 = err["builtin:consumer-outage: --message 99999: the run produces ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count: {err}"));
    let last = (produced - 1).to_string();
    let r = json(&[
        "trace",
        "consumer-outage",
        "--message",
        &last,
        "--format",
        "json",
    ]);
    assert_eq!(r["message"]["id"].as_u64(), Some(produced - 1));
    let next = produced.to_string();
    let o = brokerlab(&["trace", "consumer-outage", "--message", &next]);
    assert_eq!(o.status.code(), Some(2), "--message {next}");
    let o = brokerlab(&[
        "trace",
        "consumer-outage",
        "--message",
        "1",
        "--variant",
        "kafak",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // The argument is to blame, as `run` and `sweep` say, not a place in the file.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("builtin:consumer-outage: --variant: no variant named \"kafak\""),
        "{err}"
    );
}

/// Every variant's outcome agrees with its events: a delivered group processed it first, a
/// lost one lost its last copy, once.
fn consistent(v: &VariantTrace) {
    for o in &v.outcome {
        let of = |what: &str| {
            v.events
                .iter()
                .filter(|e| e.what == what && e.group.as_deref() == Some(&o.group))
                .count()
        };
        let first = v
            .events
            .iter()
            .filter(|e| e.group.as_deref() == Some(&o.group))
            .filter(|e| e.what == "processed" && e.detail.as_deref() == Some("first"))
            .count();
        match o.state {
            Fate::Delivered => assert_eq!((first, of("lost") + of("skipped")), (1, 0)),
            Fate::Lost => assert_eq!((first, of("lost") + of("skipped")), (0, 1)),
            Fate::Pending => assert_eq!((first, of("lost") + of("skipped")), (0, 0)),
        }
    }
}

#[test]
fn a_watch_changes_nothing_in_the_run_it_follows() {
    for (name, _) in brokerlab::builtin::SCENARIOS {
        let s = builtin(name);
        let mut plain = Simulation::new(s.clone());
        plain.run();
        let mut watched = Simulation::new(s);
        let m = plain.variants[0].produced() / 2;
        watched.watch(MsgId(u32::try_from(m).unwrap_or(0)));
        watched.run();
        assert_eq!(
            Report::of(&watched).json(),
            Report::of(&plain).json(),
            "{name}: the same run with a watch"
        );
        if let Err(e) = watched.audit() {
            panic!("{name}: {e}");
        }
        let t = trace::collect(&watched).unwrap_or_else(|e| panic!("{name}: {e}"));
        for v in &t.variants {
            assert!(!v.events.is_empty(), "{name}/{}", v.name);
            consistent(v);
        }
    }
}

fn tape_trace(t: &Tape, m: u32) -> MessageTrace {
    t.trace(MsgId(m)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_tape_traces_from_a_checkpoint_as_a_run_from_the_start_does_and_with_its_commands() {
    let mut tape = Tape::new(builtin("consumer-outage"));
    tape.seek(secs(40.0));
    let from_start =
        trace::trace(builtin("consumer-outage"), 6000, &[]).unwrap_or_else(|e| panic!("{e}"));
    let from_tape = tape_trace(&tape, 6000);
    assert_eq!(trace_json(&from_tape), trace_json(&from_start));
    assert_eq!(tape.now(), secs(40.0), "the tape stays where it was");

    // metric-server-2 taken offline at 40 s: a message made at 45 s misses it in Pub/Sub.
    let c = tape
        .sim()
        .consumer("metric-server-2")
        .unwrap_or_else(|| panic!("metric-server-2"));
    tape.command(Command::TakeOffline(c))
        .unwrap_or_else(|e| panic!("{e}"));
    let later = (0..200)
        .map(|i| tape_trace(&tape, 9000 + i))
        .find(|t| t.message.topic == "metrics")
        .unwrap_or_else(|| panic!("a metrics message"));
    assert!(later.message.created_s > 40.0);
    let pubsub = &later.variants[0];
    let b = pubsub
        .outcome
        .iter()
        .find(|o| o.group == "metric-servers-b")
        .unwrap_or_else(|| panic!("{pubsub:?}"));
    assert_eq!(
        (b.state, b.reason.as_deref()),
        (Fate::Lost, Some("subscriber-offline"))
    );
}

fn trace_json(t: &MessageTrace) -> String {
    brokerlab::report::trace::json(t)
}

/// A message retried 65,535 times for each of four groups makes over a quarter of a million
/// events: a trace keeps the first 100,000 and every group's outcome, and says how many it
/// left out (such a trace once held gigabytes).
#[test]
fn a_retry_storm_traces_in_bounded_memory_with_every_outcome() {
    use brokerlab::engine::MAX_WATCHED_EVENTS;
    let mut text = String::from(
        "duration_s = 1.0\n[[producer]]\nname = \"p\"\n\
         publish = [ { topic = \"t\", rate_per_s = 2.0, arrivals = \"constant\" } ]\n",
    );
    for c in 0..4 {
        text += &format!("[[consumer]]\nname = \"c{c}\"\nsubscribe = [\"t\"]\n");
        text += &format!("[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c{c}\"\nat_s = 0.0\n");
    }
    text += "[[variant]]\nname = \"d\"\nshape = \"direct\"\n\
             direct = { retry = true, retry_ms = 0.001, max_retries = 65535 }\n";
    let s = parse_scenario("storm.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let t = trace::trace(s, 0, &[]).unwrap_or_else(|e| panic!("{e}"));
    let v = &t.variants[0];
    assert!(
        v.events.len() <= MAX_WATCHED_EVENTS + 4,
        "{}",
        v.events.len()
    );
    assert!(v.events_not_kept > 150_000, "{}", v.events_not_kept);
    assert_eq!(v.outcome.len(), 4);
    for o in &v.outcome {
        assert_eq!(o.state, Fate::Lost, "{o:?}");
        assert_eq!(o.reason.as_deref(), Some("retries-exhausted"), "{o:?}");
    }
    let table = brokerlab::report::trace::table(&t);
    let said = format!("and {} more events not kept", v.events_not_kept);
    assert!(table.contains(&said), "{}", &table[table.len() - 400..]);
    let json: Value = serde_json::from_str(&brokerlab::report::trace::json(&t)).unwrap_or_default();
    assert_eq!(json["variants"][0]["events_not_kept"], v.events_not_kept);
}
