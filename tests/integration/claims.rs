//! Simulated twins of the claims in shared/reference/broker-behaviour.md ("Claims a test can
//! check against a real server", 1-17, and the streams' 18-21 of "Modern answers"): each test
//! sets up the same situation in brokerlab and asserts the outcome the real server gives (counts, order, flags, what survives). Every run is
//! audited: the ledger must match what the model holds at every step.

use crate::common::{metrics, run_audited, scenario};
use brokerlab::broker::kafka::partition_for_key;
use brokerlab::engine::Processing;
use brokerlab::report::Metrics;
use brokerlab::sim::{Simulation, VariantSim};

/// A simulation of `text` that records every processing in every variant.
fn traced(text: &str) -> Simulation {
    let mut sim = Simulation::new(scenario(text));
    for v in &mut sim.variants {
        v.record_trace();
    }
    sim
}

fn run(sim: &mut Simulation, until: f64) {
    run_audited(sim, until, 0.25);
}

fn variant<'a>(sim: &'a Simulation, name: &str) -> &'a VariantSim {
    sim.variants
        .iter()
        .find(|v| sim.scenario.variants[v.index].name == name)
        .unwrap_or_else(|| panic!("no variant {name}"))
}

/// What consumer `consumer` of variant `name` processed, in order.
fn processed(sim: &Simulation, name: &str, consumer: &str) -> Vec<Processing> {
    let v = variant(sim, name);
    let c = v
        .consumer_index(consumer)
        .unwrap_or_else(|| panic!("no consumer {consumer}"));
    v.trace()
        .iter()
        .filter(|p| p.consumer == c)
        .copied()
        .collect()
}

fn msgs(p: &[Processing]) -> Vec<u32> {
    p.iter().map(|x| x.msg.id.0).collect()
}

fn reason(m: &Metrics, r: &str) -> u64 {
    m.lost_by_reason.get(r).copied().unwrap_or(0)
}

/// One producer `p` of topic `t` at `rate`/s, constant arrivals (the first at 1/rate s).
fn workload(duration: f64, rate: f64, extra: &str) -> String {
    format!(
        "seed = 7\nduration_s = {duration}\nlatency_ms = 1.0\n\
         [[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = {rate}, arrivals = \"constant\"{extra} }} ]\n"
    )
}

fn consumer(name: &str, group: &str, service_ms: f64) -> String {
    format!(
        "[[consumer]]\nname = \"{name}\"\nsubscribe = [\"t\"]\ngroup = \"{group}\"\nservice_ms = {service_ms}\n"
    )
}

fn fault(kind: &str, target: &str, at: f64, until: Option<f64>) -> String {
    let until = until
        .map(|u| format!("until_s = {u}\n"))
        .unwrap_or_default();
    format!("[[fault]]\nkind = \"{kind}\"\ntarget = \"{target}\"\nat_s = {at}\n{until}")
}

fn add_consumer(name: &str, group: &str, at: f64, service_ms: f64) -> String {
    format!(
        "[[fault]]\nkind = \"add-consumer\"\nat_s = {at}\n\
         consumer = {{ name = \"{name}\", subscribe = [\"t\"], group = \"{group}\", service_ms = {service_ms} }}\n"
    )
}

fn broker_crash(at: f64, until: f64) -> String {
    format!("[[fault]]\nkind = \"broker-crash\"\nat_s = {at}\nuntil_s = {until}\n")
}

fn variant_of(name: &str, broker: &str, opts: &str) -> String {
    let (key, shape) = match broker {
        "redis-pubsub" | "redis-stream" => ("redis", "single-broker"),
        "rabbitmq" => ("rabbitmq", "single-broker"),
        _ => ("kafka", "central-log"),
    };
    let opts = if opts.is_empty() {
        String::new()
    } else {
        format!("{key} = {{ {opts} }}\n")
    };
    format!("[[variant]]\nname = \"{name}\"\nshape = \"{shape}\"\nbroker = \"{broker}\"\n{opts}")
}

// ------------------------------------------------------------------------------ Redis

/// 1. subscribe, publish m1 (received); close; publish m2..m6 (PUBLISH returns 0); resubscribe;
///    publish m7 -> only m7 arrives.
#[test]
fn claim_01_pubsub_offline_window_is_lost() {
    let text = workload(7.5, 1.0, "")
        + &consumer("c", "c", 1.0)
        + &fault("consumer-offline", "c", 1.5, Some(6.5))
        + &variant_of("r", "redis-pubsub", "");
    let mut sim = traced(&text);
    run(&mut sim, 3.0);
    let ch = variant(&sim, "r").state().pubsub_channels[0].clone();
    assert_eq!(
        (ch.subscribers, ch.last_receivers),
        (0, 0),
        "nobody listens"
    );
    run(&mut sim, 7.5);
    // Messages are numbered from 0: m1 is 0, m7 is 6.
    assert_eq!(msgs(&processed(&sim, "r", "c")), [0, 6]);
    let st = variant(&sim, "r").state();
    let ch = &st.pubsub_channels[0];
    assert_eq!(
        (ch.published, ch.published_to_nobody, ch.last_receivers),
        (7, 5, 1),
        "PUBLISH returned 0 for m2..m6, 1 for m7"
    );
    let m = metrics(&sim, "r");
    assert_eq!((m.lost, reason(&m, "subscriber-offline")), (5, 5));
}

/// 2. two subscribers, publish 1..1000, both receive 1..1000 in order.
#[test]
fn claim_02_pubsub_fan_out_keeps_publish_order() {
    let text = workload(1.0, 1000.0, "")
        + &consumer("s1", "s1", 0.5)
        + &consumer("s2", "s2", 0.5)
        + &variant_of("r", "redis-pubsub", "");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let all: Vec<u32> = (0..1000).collect();
    for s in ["s1", "s2"] {
        assert_eq!(msgs(&processed(&sim, "r", s)), all, "{s}");
    }
    assert_eq!(metrics(&sim, "r").delivered, 2000);
}

/// 3. `client-output-buffer-limit pubsub 1mb 256kb 2`, a subscriber that never reads, publish
///    20,000 x 1 KiB -> PUBSUB NUMSUB = 0 and the connection is closed.
#[test]
fn claim_03_pubsub_slow_subscriber_is_cut_off() {
    // A consumer that takes an hour per message never reads its socket again; it never comes
    // back either (reconnect after 1e9 ms).
    let text = workload(2.0, 10_000.0, ", size_bytes = 1024")
        + &consumer("c", "c", 3_600_000.0)
        + &variant_of(
            "r",
            "redis-pubsub",
            "pubsub_hard_mb = 1.0, pubsub_soft_mb = 0.25, pubsub_soft_s = 2.0, reconnect_ms = 1e9",
        );
    let mut sim = traced(&text);
    run(&mut sim, 3.0);
    let st = variant(&sim, "r").state();
    assert_eq!(st.pubsub_channels[0].subscribers, 0, "PUBSUB NUMSUB");
    assert!(!st.subscribers[0].subscribed, "the connection is closed");
    assert_eq!(st.subscribers[0].buffer_bytes, 0, "its buffer went with it");
    let m = metrics(&sim, "r");
    assert_eq!(m.produced, 20_000);
    // Cut when the buffer passed 1 MiB: ~1024 buffered messages dropped with it; 128 KiB were
    // already in the client's socket; everything after goes to nobody.
    let cut = reason(&m, "output-buffer-limit");
    assert!((1000..=1100).contains(&cut), "{:?}", m.lost_by_reason);
    assert!(
        reason(&m, "subscriber-offline") > 18_000,
        "{:?}",
        m.lost_by_reason
    );
}

/// 4. XADD 10, remember the id of #3, XADD 5 more, XREAD from that id -> 12 entries in order.
///    Twin: a group reader leaves after #3 and comes back after #15: it resumes after its last
///    id and reads the 12 entries it missed, in order, because the stream kept them.
#[test]
fn claim_04_stream_replay_after_being_offline() {
    let text = workload(15.2, 1.0, "")
        + &consumer("c", "g", 1.0)
        + &fault("consumer-offline", "c", 3.5, Some(15.2))
        + &variant_of("s", "redis-stream", "");
    let mut sim = traced(&text);
    run(&mut sim, 15.1);
    let st = variant(&sim, "s").state();
    assert_eq!(st.streams[0].length, 15, "entries stay whether read or not");
    assert_eq!(st.streams[0].groups[0].last_delivered_id, Some(2));
    run(&mut sim, 16.0);
    let got = msgs(&processed(&sim, "s", "c"));
    assert_eq!(got[..3], [0, 1, 2]);
    assert_eq!(
        got[3..],
        (3..15).collect::<Vec<_>>(),
        "the 12 after #3, in order"
    );
    let m = metrics(&sim, "s");
    assert_eq!((m.delivered, m.lost, m.duplicates), (15, 0, 0));
}

/// 5. Two groups each get all 10; within g1, A and B split them; A's unacked 5 stay pending and
///    XAUTOCLAIM moves them to C with delivery count 2.
#[test]
fn claim_05_stream_groups_split_and_autoclaim_moves_pending_entries() {
    // 10 entries in the first second. In g1, A never finishes one (never acks) and crashes at
    // 1.05 s, B is quick and leaves at 1.05 s, C is away until 2 s; g2 is D alone. A live member
    // of g1 calls XAUTOCLAIM every second with min-idle 3 s: from 2 s that is C.
    let text = workload(1.05, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("a", "g1", 3_600_000.0)
        + &consumer("b", "g1", 1.0)
        + &consumer("cc", "g1", 1.0)
        + &consumer("d", "g2", 1.0)
        + &fault("consumer-offline", "cc", 0.0, Some(2.0))
        + &fault("consumer-crash", "a", 1.05, None)
        + &fault("consumer-offline", "b", 1.05, None)
        + &variant_of(
            "s",
            "redis-stream",
            "min_idle_ms = 3000.0, autoclaim_every_ms = 1000.0",
        );
    let mut sim = traced(&text);
    run(&mut sim, 1.2);
    let at = |sim: &Simulation| variant(sim, "s").state().streams[0].clone();
    let st = at(&sim);
    let g1 = &st.groups[0];
    assert_eq!(g1.group, "g1");
    let a = &g1.consumers[0];
    assert_eq!(
        (a.consumer.as_str(), a.pending, a.max_delivery_count),
        ("a", 5, 1),
        "A's 5 unacked entries"
    );
    assert_eq!(g1.consumers[1].pending, 0, "B acked its 5");
    assert_eq!(st.groups[1].pending, 0, "g2 acked everything");
    assert_eq!(msgs(&processed(&sim, "s", "b")), [1, 3, 5, 7, 9]);
    assert_eq!(
        msgs(&processed(&sim, "s", "d")),
        (0..10).collect::<Vec<_>>(),
        "g2 sees every entry"
    );
    run(&mut sim, 3.5);
    assert_eq!(
        at(&sim).groups[0].consumers[0].pending,
        5,
        "no automatic redelivery: A's entries wait in its PEL"
    );
    assert!(processed(&sim, "s", "cc").is_empty());
    run(&mut sim, 4.5);
    let c = processed(&sim, "s", "cc");
    assert_eq!(
        msgs(&c),
        [0, 2, 4, 6, 8],
        "XAUTOCLAIM moved A's entries to C"
    );
    assert!(
        c.iter().all(|p| p.origin.attempt == 2 && p.redelivered),
        "delivery count 2: {c:?}"
    );
    assert_eq!(at(&sim).groups[0].pending, 0, "C acked them");
    let groups = variant(&sim, "s").groups();
    assert!(groups.iter().all(|g| g.delivered == 10), "{groups:?}");
    let m = metrics(&sim, "s");
    assert_eq!((m.lost, m.duplicates), (0, 0));
}

/// 6. MAXLEN 3 trimming makes a lagging group see only the last 3.
#[test]
fn claim_06_stream_maxlen_trims_what_a_lagging_group_had_not_read() {
    let text = workload(10.2, 1.0, "")
        + &consumer("lag", "lagging", 1.0)
        + &consumer("live", "live", 1.0)
        + &fault("consumer-offline", "lag", 0.5, Some(10.2))
        + &variant_of("s", "redis-stream", "maxlen = 3");
    let mut sim = traced(&text);
    run(&mut sim, 11.0);
    assert_eq!(msgs(&processed(&sim, "s", "lag")), [7, 8, 9]);
    assert_eq!(msgs(&processed(&sim, "s", "live")).len(), 10);
    let st = variant(&sim, "s").state();
    assert_eq!((st.streams[0].length, st.streams[0].trimmed), (3, 7));
    let m = metrics(&sim, "s");
    assert_eq!((m.lost, reason(&m, "trimmed")), (7, 7));
}

/// 7. A stream survives a restart only with persistence (appendonly yes), not with
///    `--save "" --appendonly no`; with the default snapshot rules a crash in the first minutes
///    loses it too.
#[test]
fn claim_07_stream_survives_restart_only_with_persistence() {
    let text = workload(10.0, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("c", "g", 1.0)
        + &fault("consumer-offline", "c", 0.05, Some(9.0))
        + &broker_crash(6.5, 7.0)
        + &variant_of(
            "aof",
            "redis-stream",
            "appendonly = true, appendfsync = \"always\"",
        )
        + &variant_of("aof-everysec", "redis-stream", "appendonly = true")
        + &variant_of("none", "redis-stream", "appendonly = false, save = []")
        + &variant_of("default", "redis-stream", "");
    let mut sim = traced(&text);
    run(&mut sim, 6.45);
    for v in ["aof", "aof-everysec", "none", "default"] {
        assert_eq!(variant(&sim, v).state().streams[0].length, 64, "{v}");
    }
    run(&mut sim, 7.5);
    let len = |v: &str| variant(&sim, v).state().streams[0].length;
    assert_eq!((len("aof"), len("none"), len("default")), (69, 5, 5));
    // everysec keeps everything too: the process died, the kernel had every write (the real
    // redis-server 7.0.15 gives 64 of 64 after a SIGKILL: tests/fidelity, claim 7).
    assert_eq!(len("aof-everysec"), 69);
    run(&mut sim, 10.5);
    let (aof, none, default) = (
        metrics(&sim, "aof"),
        metrics(&sim, "none"),
        metrics(&sim, "default"),
    );
    // While down (6.5-7 s) publishes fail in every variant.
    for m in [&aof, &none, &default] {
        assert_eq!(reason(m, "broker-down"), 5);
    }
    assert_eq!(aof.lost, 5, "the AOF brought the 64 entries back");
    let everysec = metrics(&sim, "aof-everysec");
    assert_eq!(
        reason(&everysec, "broker-restart"),
        0,
        "a process crash loses nothing from the AOF"
    );
    assert_eq!(reason(&none, "broker-restart"), 64);
    assert_eq!(
        reason(&default, "broker-restart"),
        64,
        "no save rule holds in 6.5 s"
    );
    let p = &variant(&sim, "default").state().persistence[0];
    assert_eq!(p.last_save_s, None);
}

// ------------------------------------------------------------------------------ RabbitMQ

/// 8. After a restart the non-durable queue is gone; the durable queue keeps the persistent
///    message and drops the transient one.
#[test]
fn claim_08_rabbitmq_durability_matrix_across_a_restart() {
    let text = workload(5.0, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("c", "g", 1.0)
        + &fault("consumer-offline", "c", 0.05, Some(4.0))
        + &broker_crash(2.05, 2.55)
        + &variant_of(
            "transient-queue",
            "rabbitmq",
            "durable = false, persistent = true",
        )
        + &variant_of(
            "durable-persistent",
            "rabbitmq",
            "durable = true, persistent = true",
        )
        + &variant_of(
            "durable-transient",
            "rabbitmq",
            "durable = true, persistent = false",
        );
    let mut sim = traced(&text);
    run(&mut sim, 2.02);
    for v in ["transient-queue", "durable-persistent", "durable-transient"] {
        assert_eq!(variant(&sim, v).state().queues[0].depth, 20, "{v}");
    }
    run(&mut sim, 2.75);
    let q = |v: &str| variant(&sim, v).state().queues[0].clone();
    assert!(
        !q("transient-queue").exists,
        "the non-durable queue is gone"
    );
    assert_eq!(q("durable-persistent").depth, 22, "20 kept, 2 since");
    assert_eq!(q("durable-transient").depth, 2, "only what came after");
    run(&mut sim, 5.5);
    let gone = metrics(&sim, "transient-queue");
    let kept = metrics(&sim, "durable-persistent");
    let dropped = metrics(&sim, "durable-transient");
    assert_eq!(kept.lost, reason(&kept, "broker-down"));
    assert_eq!(reason(&dropped, "broker-restart"), 20);
    assert_eq!(reason(&gone, "broker-restart"), 20);
    // Until its consumer declares it again at 4 s, the deleted queue is not there to route to.
    assert_eq!(reason(&gone, "unroutable"), 14, "2.6 s to 3.9 s");
}

/// 9. A manual-ack consumer closes without acking -> the next consumer gets m1 first, with
///    redelivered = true.
#[test]
fn claim_09_rabbitmq_unacked_message_goes_to_the_next_consumer_first_redelivered() {
    let text = workload(5.0, 1.0, "")
        + &consumer("first", "g", 10_000.0)
        + &fault("consumer-offline", "first", 1.5, None)
        + &add_consumer("next", "g", 3.0, 1.0)
        + &variant_of("q", "rabbitmq", "ack = \"manual\", prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 2.5);
    let st = variant(&sim, "q").state();
    assert_eq!((st.queues[0].depth, st.queues[0].redelivered_ready), (2, 1));
    run(&mut sim, 3.5);
    let next = processed(&sim, "q", "next");
    assert_eq!(
        (next[0].msg.id.0, next[0].redelivered),
        (0, true),
        "m1 first, redelivered"
    );
    assert_eq!((next[1].msg.id.0, next[1].redelivered), (1, false));
    assert!(processed(&sim, "q", "first").is_empty());
}

/// 10. An auto-ack consumer takes 1 of 10 and closes -> the queue holds 0: 9 were never
///     processed.
#[test]
fn claim_10_rabbitmq_auto_ack_consumer_that_closes_loses_what_it_was_sent() {
    // 10 messages 0.1 s apart; the consumer needs 0.9 s each and closes at 1.05 s.
    let text = workload(1.05, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("c", "g", 900.0)
        + &fault("consumer-offline", "c", 1.05, None)
        + &variant_of("q", "rabbitmq", "ack = \"auto\"");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    assert_eq!(msgs(&processed(&sim, "q", "c")), [0]);
    let q = &variant(&sim, "q").state().queues[0];
    assert_eq!((q.depth, q.unacked), (0, 0), "the queue holds nothing");
    let m = metrics(&sim, "q");
    assert_eq!((m.produced, m.delivered, m.lost, m.pending), (10, 1, 9, 0));
}

/// 11. prefetch 3 without acks -> exactly 3 deliveries; ready 7, unacked 3; one ack -> a 4th.
#[test]
fn claim_11_rabbitmq_prefetch_caps_unacked_deliveries() {
    // 10 messages in 0.1 s; the consumer takes 2 s for the first, then acks it.
    let text = workload(0.1, 100.0, "")
        + &consumer("c", "g", 2000.0)
        + &variant_of("q", "rabbitmq", "ack = \"manual\", prefetch = 3");
    let mut sim = traced(&text);
    run(&mut sim, 1.0);
    let held = |sim: &Simulation| variant(sim, "q").snapshot().consumers[0].held;
    let q = variant(&sim, "q").state().queues[0].clone();
    assert_eq!((held(&sim), q.depth, q.unacked), (3, 7, 3));
    run(&mut sim, 2.5);
    let q = variant(&sim, "q").state().queues[0].clone();
    assert_eq!(
        processed(&sim, "q", "c").len(),
        1,
        "one processed and acked"
    );
    assert_eq!(
        (held(&sim), q.depth, q.unacked),
        (3, 6, 3),
        "the ack let a 4th through"
    );
}

/// 12. x-max-length 3: publish 1..5 -> the consumer gets 3, 4, 5 (drop-head); with
///     reject-publish the 4th and 5th are nacked.
#[test]
fn claim_12_rabbitmq_max_length_drops_head_or_rejects_publish() {
    let text = workload(0.55, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("c", "g", 1.0)
        + &fault("consumer-offline", "c", 0.05, Some(0.58))
        + &variant_of("drop-head", "rabbitmq", "max_length = 3")
        + &variant_of(
            "reject",
            "rabbitmq",
            "max_length = 3, overflow = \"reject-publish\"",
        );
    let mut sim = traced(&text);
    run(&mut sim, 1.0);
    assert_eq!(msgs(&processed(&sim, "drop-head", "c")), [2, 3, 4]);
    assert_eq!(msgs(&processed(&sim, "reject", "c")), [0, 1, 2]);
    let (d, r) = (metrics(&sim, "drop-head"), metrics(&sim, "reject"));
    assert_eq!((d.lost, reason(&d, "queue-overflow")), (2, 2));
    assert_eq!((r.lost, reason(&r, "rejected")), (2, 2));
    assert_eq!(variant(&sim, "reject").state().exchanges[0].nacked, 2);
    assert_eq!(variant(&sim, "drop-head").state().queues[0].overflowed, 2);
}

/// 13. Fanout to qa and qb: each gets 10; two consumers on qa split 5/5. A topic binding
///     `audit.events.#` routes `audit.events` and `audit.events.users.signup`, not `audit.users`.
#[test]
fn claim_13_rabbitmq_fanout_copies_per_queue_and_topic_patterns_route_by_words() {
    let text = workload(1.0, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("a1", "qa", 1.0)
        + &consumer("a2", "qa", 1.0)
        + &consumer("b", "qb", 1.0)
        + &variant_of("fanout", "rabbitmq", "exchange = \"fanout\"");
    let mut sim = traced(&text);
    run(&mut sim, 1.5);
    let n = |c: &str| processed(&sim, "fanout", c).len();
    assert_eq!((n("a1"), n("a2"), n("b")), (5, 5, 10));

    let topics = r#"
seed = 7
duration_s = 1.0
[[producer]]
name = "p"
publish = [ { topic = "audit.events", rate_per_s = 10.0, arrivals = "constant" },
            { topic = "audit.events.users.signup", rate_per_s = 10.0, arrivals = "constant" },
            { topic = "audit.users", rate_per_s = 10.0, arrivals = "constant" } ]
[[consumer]]
name = "auditor"
subscribe = ["audit.events.#"]
[[variant]]
name = "topic"
shape = "single-broker"
broker = "rabbitmq"
rabbitmq = { exchange = "topic" }
[[variant]]
name = "topic-mandatory"
shape = "single-broker"
broker = "rabbitmq"
rabbitmq = { exchange = "topic", mandatory = true }
"#;
    let mut sim = traced(topics);
    run(&mut sim, 1.5);
    let v = variant(&sim, "topic");
    let got: Vec<String> = processed(&sim, "topic", "auditor")
        .iter()
        .map(|p| {
            let t = v.info(p.msg).topic;
            sim.scenario.topic_name(t).to_owned()
        })
        .collect();
    assert_eq!(got.len(), 20);
    assert_eq!(got.iter().filter(|t| *t == "audit.events").count(), 10);
    assert_eq!(
        got.iter()
            .filter(|t| *t == "audit.events.users.signup")
            .count(),
        10
    );
    let m = metrics(&sim, "topic");
    assert_eq!((m.expected, m.delivered, m.lost), (20, 20, 0));
    let ex = &v.state().exchanges[0];
    assert_eq!(
        (ex.kind.as_str(), ex.routed, ex.unroutable, ex.returned),
        ("topic", 20, 10, 0),
        "audit.users matches no binding: dropped"
    );
    let ex = &variant(&sim, "topic-mandatory").state().exchanges[0];
    assert_eq!(
        (ex.unroutable, ex.returned),
        (0, 10),
        "mandatory: returned instead"
    );
}

/// 14. An exclusive-queue subscriber behaves like Pub/Sub; a durable named queue keeps messages
///     for its returning consumer.
#[test]
fn claim_14_rabbitmq_exclusive_queue_is_pubsub_and_a_named_queue_waits() {
    let text = workload(20.0, 100.0, "")
        + &consumer("c", "g", 1.0)
        + &fault("consumer-offline", "c", 5.0, Some(10.0))
        + &variant_of("exclusive", "rabbitmq", "exclusive = true, durable = false")
        + &variant_of("named", "rabbitmq", "durable = true")
        + &variant_of("pubsub", "redis-pubsub", "");
    let mut sim = traced(&text);
    run(&mut sim, 9.0);
    assert!(!variant(&sim, "exclusive").state().queues[0].exists);
    let named = variant(&sim, "named").state().queues[0].clone();
    assert!(named.exists && (390..=410).contains(&named.depth));
    run(&mut sim, 21.0);
    let (ex, named, pubsub) = (
        metrics(&sim, "exclusive"),
        metrics(&sim, "named"),
        metrics(&sim, "pubsub"),
    );
    assert!((495..=505).contains(&ex.lost), "{:?}", ex.lost_by_reason);
    assert_eq!(ex.lost, pubsub.lost, "the same window lost as with Pub/Sub");
    assert_eq!((named.lost, named.delivered), (0, named.produced));
}

/// 15. A quorum queue keeps even a transient message across a restart; an unacked redelivery
///     carries x-delivery-count 1.
#[test]
fn claim_15_rabbitmq_quorum_queue_keeps_transient_messages_and_counts_deliveries() {
    let text = workload(5.0, 10.0, "").replace("rate_per_s = 10", "rate_per_s = 10.0")
        + &consumer("c", "g", 1.0)
        + &fault("consumer-offline", "c", 0.05, Some(4.0))
        + &broker_crash(2.05, 2.55)
        + &variant_of(
            "quorum",
            "rabbitmq",
            "queue_type = \"quorum\", persistent = false",
        )
        + &variant_of("classic", "rabbitmq", "persistent = false");
    let mut sim = traced(&text);
    run(&mut sim, 2.75);
    let q = variant(&sim, "quorum").state().queues[0].clone();
    assert_eq!(
        (q.queue_type.as_str(), q.durable, q.depth),
        ("quorum", true, 22)
    );
    assert_eq!(variant(&sim, "classic").state().queues[0].depth, 2);
    run(&mut sim, 5.5);
    let m = metrics(&sim, "quorum");
    assert_eq!(
        m.lost,
        reason(&m, "broker-down"),
        "nothing lost to the restart"
    );
    assert_eq!(reason(&metrics(&sim, "classic"), "broker-restart"), 20);

    let text = workload(5.0, 1.0, "")
        + &consumer("first", "g", 10_000.0)
        + &fault("consumer-crash", "first", 1.5, None)
        + &add_consumer("next", "g", 3.0, 1.0)
        + &variant_of("quorum", "rabbitmq", "queue_type = \"quorum\"");
    let mut sim = traced(&text);
    run(&mut sim, 3.5);
    let next = processed(&sim, "quorum", "next");
    assert_eq!(
        (
            next[0].msg.id.0,
            next[0].redelivered,
            next[0].origin.attempt
        ),
        (0, true, 2),
        "x-delivery-count 1: the second delivery"
    );
    assert_eq!((next[1].msg.id.0, next[1].origin.attempt), (1, 1));
}

// ------------------------------------------------------------------------------ Kafka

/// 16. Keyed records land in one partition per key (the Java client's murmur2) and are read
///     back in offset order per partition.
#[test]
fn claim_16_kafka_keyed_records_land_in_one_partition_per_key_in_offset_order() {
    let text = workload(5.0, 200.0, ", keys = 12").replace("constant", "poisson")
        + &consumer("c", "g", 1.0)
        + &variant_of("k", "kafka", "partitions = 3, offset_reset = \"earliest\"");
    let mut sim = traced(&text);
    run(&mut sim, 6.0);
    let v = variant(&sim, "k");
    let seen = processed(&sim, "k", "c");
    assert_eq!(seen.len() as u64, metrics(&sim, "k").produced);
    let mut partition_of_key = std::collections::BTreeMap::new();
    let mut last_offset = [None::<u64>; 3];
    for p in &seen {
        let key = v.info(p.msg).key.expect("a keyed message");
        let want = partition_for_key(key.to_string().as_bytes(), 3);
        let (partition, offset) = (
            p.origin.place.expect("a partition"),
            p.origin.offset.expect("an offset"),
        );
        assert_eq!(partition, want, "key {key}");
        assert_eq!(*partition_of_key.entry(key).or_insert(partition), partition);
        let last = &mut last_offset[partition as usize];
        assert!(
            last.is_none_or(|l| offset == l + 1),
            "offset order in {partition}"
        );
        *last = Some(offset);
    }
    assert_eq!(partition_of_key.len(), 12);
    let used: std::collections::BTreeSet<u32> = partition_of_key.values().copied().collect();
    assert!(used.len() > 1, "keys spread over partitions: {used:?}");
}

/// 17. Two consumer groups each read every record; a consumer that starts later with offset
///     reset earliest replays the whole retained history; with latest it sees only new records.
#[test]
fn claim_17_kafka_every_group_reads_everything_and_late_groups_follow_offset_reset() {
    let text = workload(10.0, 100.0, "")
        + &consumer("g1c", "g1", 1.0)
        + &consumer("g2c", "g2", 1.0)
        + &add_consumer("late", "late", 5.0, 0.5)
        + &variant_of(
            "earliest",
            "kafka",
            "partitions = 2, offset_reset = \"earliest\"",
        )
        + &variant_of(
            "latest",
            "kafka",
            "partitions = 2, offset_reset = \"latest\"",
        );
    let mut sim = traced(&text);
    run(&mut sim, 11.0);
    for v in ["earliest", "latest"] {
        let m = metrics(&sim, v);
        assert_eq!(m.produced, 1000);
        let groups = variant(&sim, v).groups();
        for g in ["g1", "g2"] {
            let r = groups.iter().find(|x| x.name == g).expect("a group");
            assert_eq!((r.delivered, r.lost), (1000, 0), "{v} {g}");
        }
    }
    let late = |v: &str| {
        variant(&sim, v)
            .groups()
            .into_iter()
            .find(|x| x.name == "late")
            .expect("the late group")
    };
    let (e, l) = (late("earliest"), late("latest"));
    // The record published at 5 s comes after the join (the fault was scheduled first).
    assert_eq!(
        (e.replayed, e.delivered),
        (499, 501),
        "history before 5 s, then new records"
    );
    assert_eq!(
        (l.replayed, l.delivered),
        (0, 501),
        "only records after it joined"
    );
    let first = processed(&sim, "earliest", "late");
    assert_eq!(first[0].origin.offset, Some(0), "from the first offset");
}

// ------------------------------------------------------------------------------ RabbitMQ streams
// Claims 18-21 ("Modern answers"): the twins in tests/fidelity, which scripts/fidelity also runs
// against rabbitmq-server 3.10.8.

fn stream_readers(sim: &Simulation) -> Vec<brokerlab::engine::state::StreamReaderState> {
    variant(sim, "stream").state().rabbit_streams[0]
        .readers
        .clone()
}

fn offsets_of(sim: &Simulation, consumer: &str) -> Vec<u64> {
    processed(sim, "stream", consumer)
        .iter()
        .filter_map(|p| p.origin.offset)
        .collect()
}

/// 18. A (first) acks all 10; B attaching later with first still gets the same 10, offsets 0..9.
#[test]
fn claim_18_rabbitmq_stream_reads_are_non_destructive() {
    let mut sim = traced(include_str!(
        "../fidelity/claim-18-stream-nondestructive.toml"
    ));
    run(&mut sim, 1.5);
    assert_eq!(offsets_of(&sim, "a"), (0..10).collect::<Vec<_>>());
    assert_eq!(offsets_of(&sim, "b"), (0..10).collect::<Vec<_>>());
    let st = variant(&sim, "stream").state().rabbit_streams[0].clone();
    assert_eq!(
        (st.first_offset, st.length),
        (0, 10),
        "acks took nothing away"
    );
    assert!(stream_readers(&sim).iter().all(|r| r.unacked == 0));
}

/// 19. A consumer attached with no offset (next) after 10 gets none of them, then 10, 11, 12.
#[test]
fn claim_19_rabbitmq_stream_next_reader_gets_only_what_follows() {
    let mut sim = traced(include_str!("../fidelity/claim-19-stream-next.toml"));
    run(&mut sim, 1.08);
    assert!(offsets_of(&sim, "c").is_empty());
    run(&mut sim, 1.5);
    assert_eq!(offsets_of(&sim, "c"), [10, 11, 12]);
}

/// 20. x-stream-offset 7 on 10 delivers 7, 8, 9; a consumer that acked 5 and comes back with first
///     starts at 0 again (no server-side offset).
#[test]
fn claim_20_rabbitmq_stream_numeric_offset_and_no_server_side_offset() {
    let mut sim = traced(include_str!("../fidelity/claim-20-stream-offset-n.toml"));
    run(&mut sim, 1.5);
    assert_eq!(offsets_of(&sim, "c"), [7, 8, 9]);
    let mut sim = traced(include_str!("../fidelity/claim-20-stream-resubscribe.toml"));
    run(&mut sim, 0.64);
    assert_eq!(metrics(&sim, "stream").delivered, 5, "acked before it went");
    run(&mut sim, 3.0);
    let again: Vec<u64> = processed(&sim, "stream", "r")
        .iter()
        .skip(5)
        .filter_map(|p| p.origin.offset)
        .collect();
    assert_eq!(again.first(), Some(&0));
    let m = metrics(&sim, "stream");
    assert_eq!((m.duplicates, m.lost), (5, 0));
}

/// 21. Non-durable and exclusive declares are refused (406), so are prefetch 0 (406) and auto-ack
///     (540): scenario errors quoting the server's reply.
#[test]
fn claim_21_rabbitmq_stream_refuses_non_durable_exclusive_prefetch_zero_and_auto_ack() {
    for (text, reply) in [
        (
            include_str!("../fidelity/claim-21-stream-non-durable.toml"),
            "406 PRECONDITION_FAILED - invalid property 'non-durable'",
        ),
        (
            include_str!("../fidelity/claim-21-stream-exclusive.toml"),
            "406 PRECONDITION_FAILED - invalid property 'exclusive-owner'",
        ),
        (
            include_str!("../fidelity/claim-21-stream-prefetch-zero.toml"),
            "406 PRECONDITION_FAILED - consumer prefetch count is not set",
        ),
        (
            include_str!("../fidelity/claim-21-stream-auto-ack.toml"),
            "540 NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues",
        ),
    ] {
        let e = brokerlab::scenario::parse_scenario("claim-21.toml", text).expect_err(reply);
        assert!(e.message.contains(reply), "{}", e.message);
    }
}
