//! One test per behaviour each broker model claims (see each module's doc and
//! shared/reference/broker-behaviour.md). Every run is audited: the ledger must match what the
//! model holds at every half second.

use crate::common::{metrics, run_audited, scenario};
use brokerlab::report::Metrics;
use brokerlab::sim::Simulation;

/// One producer of `topic` at `rate`/s (constant arrivals, key count `keys`), the given consumers,
/// faults and variants; 1 ms hops.
fn lab(
    rate: f64,
    keys: u32,
    consumers: &str,
    faults: &str,
    variants: &str,
    duration: f64,
) -> Simulation {
    let text = format!(
        r#"
seed = 5
duration_s = {duration}
latency_ms = 1.0
[[producer]]
name = "p"
publish = [ {{ topic = "t", rate_per_s = {rate}, keys = {keys}, arrivals = "constant" }} ]
{consumers}
{faults}
{variants}
"#
    );
    Simulation::new(scenario(&text))
}

fn run(sim: &mut Simulation, until: f64) {
    run_audited(sim, until, 0.5);
}

fn reason(m: &Metrics, r: &str) -> u64 {
    m.lost_by_reason.get(r).copied().unwrap_or(0)
}

const ONE: &str = r#"
[[consumer]]
name = "c"
subscribe = ["t"]
service_ms = 1.0
"#;

const OFFLINE_5_TO_10: &str = r#"
[[fault]]
kind = "consumer-offline"
target = "c"
at_s = 5.0
until_s = 10.0
"#;

const CRASH_5_TO_10: &str = r#"
[[fault]]
kind = "consumer-crash"
target = "c"
at_s = 5.0
until_s = 10.0
"#;

// ---------------------------------------------------------------- direct

#[test]
fn direct_send_to_an_offline_consumer_is_lost_without_retry() {
    let mut sim = lab(
        100.0,
        0,
        ONE,
        OFFLINE_5_TO_10,
        "[[variant]]\nname = \"d\"\nshape = \"direct\"",
        20.0,
    );
    run(&mut sim, 21.0);
    let m = metrics(&sim, "d");
    // 5 s at 100/s (give or take the message at each edge).
    assert!((495..=505).contains(&m.lost), "lost {}", m.lost);
    assert_eq!(reason(&m, "receiver-offline"), m.lost);
    assert_eq!(m.delivered + m.lost, m.produced);
}

#[test]
fn direct_retry_delivers_once_the_consumer_is_back() {
    let v = "[[variant]]\nname = \"d\"\nshape = \"direct\"\ndirect = { retry = true, retry_ms = 200.0, max_retries = 100 }";
    let mut sim = lab(100.0, 0, ONE, OFFLINE_5_TO_10, v, 20.0);
    run(&mut sim, 21.0);
    let m = metrics(&sim, "d");
    assert_eq!(m.lost, 0);
    assert_eq!(m.delivered, m.produced);
    assert!(
        m.latency_ms.max >= 4_900.0,
        "the first retried message waited ~5 s: {}",
        m.latency_ms.max
    );
}

#[test]
fn direct_retry_gives_up_after_max_retries() {
    let v = "[[variant]]\nname = \"d\"\nshape = \"direct\"\ndirect = { retry = true, retry_ms = 100.0, max_retries = 3 }";
    let mut sim = lab(100.0, 0, ONE, OFFLINE_5_TO_10, v, 20.0);
    run(&mut sim, 21.0);
    let m = metrics(&sim, "d");
    assert!(
        reason(&m, "retries-exhausted") > 400,
        "{:?}",
        m.lost_by_reason
    );
}

#[test]
fn direct_links_grow_as_producers_times_consumers() {
    let consumers = (1..=3)
        .map(|i| format!("[[consumer]]\nname = \"c{i}\"\nsubscribe = [\"t\"]\n"))
        .collect::<String>();
    let producers = (1..=4)
        .map(|i| format!("[[producer]]\nname = \"p{i}\"\npublish = [ {{ topic = \"t\", rate_per_s = 1.0 }} ]\n"))
        .collect::<String>();
    let text = format!(
        "{producers}{consumers}[[variant]]\nname = \"d\"\nshape = \"direct\"\n[[variant]]\nname = \"k\"\nshape = \"central-log\"\nbroker = \"kafka\"\n"
    );
    let sim = Simulation::new(scenario(&text));
    let (d, k) = (metrics(&sim, "d"), metrics(&sim, "k"));
    assert_eq!(
        (
            d.connections,
            d.max_producer_endpoints,
            d.add_consumer_cost,
            d.systems_to_operate
        ),
        (12, 3, 4, 0)
    );
    assert_eq!(
        (
            k.connections,
            k.max_producer_endpoints,
            k.add_consumer_cost,
            k.systems_to_operate
        ),
        (7, 1, 0, 1)
    );
}

// ---------------------------------------------------------------- IPC channel

const TWO_GROUPS: &str = r#"
[[consumer]]
name = "a"
subscribe = ["t"]
service_ms = 1.0
[[consumer]]
name = "b"
subscribe = ["t"]
service_ms = 1.0
"#;

#[test]
fn channel_gives_each_message_to_one_receiver_only() {
    let mut sim = lab(
        100.0,
        0,
        TWO_GROUPS,
        "",
        "[[variant]]\nname = \"ch\"\nshape = \"channel\"",
        10.0,
    );
    run(&mut sim, 11.0);
    let m = metrics(&sim, "ch");
    assert_eq!(m.expected, 2 * m.produced);
    assert_eq!(
        m.delivered, m.produced,
        "each message processed once, by one receiver"
    );
    assert_eq!(
        reason(&m, "no-fanout"),
        m.produced,
        "the other group never sees it"
    );
    let g = &sim.variants[0].groups();
    assert!(
        g.iter().all(|g| g.delivered > m.produced / 4),
        "both receivers take a share: {g:?}"
    );
}

#[test]
fn channel_full_blocks_senders_and_loses_nothing() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 20.0\n";
    let mut sim = lab(
        100.0,
        0,
        slow,
        "",
        "[[variant]]\nname = \"ch\"\nshape = \"channel\"\nchannel = { capacity = 10 }",
        10.0,
    );
    run(&mut sim, 10.0);
    let st = sim.variants[0].state();
    let ch = st.channel.expect("channel state");
    assert_eq!(ch.depth, 10, "the buffer is full");
    assert!(ch.blocked > 400, "senders wait: {}", ch.blocked);
    assert_eq!(metrics(&sim, "ch").lost, 0);
}

/// While every receiver is busy the channel does not look at them again until one finishes a
/// message, comes up or goes down (debug builds check that none had room meanwhile). Saturated,
/// with a receiver crashing and coming back, a link cut and healed and a receiver added, each
/// one that gets room is given a message at once: it has processed it one hop and one service
/// time later, not after the next receiver finishes.
#[test]
fn channel_saturated_gives_a_receiver_that_gets_room_a_message_at_once() {
    let slow = |name: &str| {
        format!("[[consumer]]\nname = \"{name}\"\nsubscribe = [\"t\"]\ngroup = \"g\"\nservice_ms = 20.0\n")
    };
    let faults = r#"
[[fault]]
kind = "consumer-crash"
target = "a"
at_s = 2.0
until_s = 3.0
[[fault]]
kind = "link-down"
target = "b"
at_s = 4.0
until_s = 5.0
[[fault]]
kind = "add-consumer"
at_s = 6.0
consumer = { name = "late", subscribe = ["t"], group = "g", service_ms = 20.0 }
"#;
    let mut sim = lab(
        200.0,
        0,
        &(slow("a") + &slow("b")),
        faults,
        "[[variant]]\nname = \"ch\"\nshape = \"channel\"\nchannel = { capacity = 10 }",
        8.0,
    );
    sim.variants[0].record_trace();
    run(&mut sim, 8.0);
    let v = &sim.variants[0];
    let ch = v.state().channel.expect("channel state");
    assert!(ch.blocked > 100, "saturated to the end: {ch:?}");
    // One 1 ms hop to the receiver, then 20 ms of service (and the clock's rounding).
    let first_after = |name: &str, t: f64| {
        let c = v.consumer_index(name).expect(name);
        v.trace()
            .iter()
            .find(|p| p.consumer == c && p.at > brokerlab::scenario::secs(t))
            .map(|p| p.at)
    };
    for (name, back) in [("a", 3.0), ("b", 5.0), ("late", 6.0)] {
        let at = first_after(name, back)
            .unwrap_or_else(|| panic!("{name} processed nothing after {back} s"));
        assert!(
            at <= brokerlab::scenario::secs(back + 0.021) + 1,
            "{name} has room from {back} s and got its first message only to process it at {at} ns"
        );
    }
    // One group: only what a receiver held or had coming when it went down is lost (RECV_AHEAD,
    // two, each time).
    let lost = metrics(&sim, "ch").lost;
    assert!(
        lost <= 4,
        "two at most each time a receiver went down: {lost}"
    );
}

#[test]
fn channel_send_without_a_receiver_fails() {
    let mut sim = lab(
        100.0,
        0,
        ONE,
        CRASH_5_TO_10,
        "[[variant]]\nname = \"ch\"\nshape = \"channel\"",
        20.0,
    );
    run(&mut sim, 21.0);
    let m = metrics(&sim, "ch");
    assert!(
        reason(&m, "receiver-offline") >= 490,
        "{:?}",
        m.lost_by_reason
    );
}

// ---------------------------------------------------------------- Redis Pub/Sub

const REDIS: &str =
    "[[variant]]\nname = \"r\"\nshape = \"single-broker\"\nbroker = \"redis-pubsub\"";

#[test]
fn pubsub_subscriber_offline_misses_messages() {
    let mut sim = lab(100.0, 0, ONE, OFFLINE_5_TO_10, REDIS, 20.0);
    run(&mut sim, 21.0);
    let m = metrics(&sim, "r");
    assert!(
        (495..=505).contains(&reason(&m, "subscriber-offline")),
        "{:?}",
        m.lost_by_reason
    );
    assert_eq!(m.delivered + m.lost, m.produced, "nothing kept for later");
    assert_eq!(m.duplicates, 0);
}

#[test]
fn pubsub_fans_out_to_every_subscriber_in_publish_order() {
    let mut sim = lab(200.0, 1, TWO_GROUPS, "", REDIS, 10.0);
    run(&mut sim, 11.0);
    let m = metrics(&sim, "r");
    assert_eq!(m.delivered, 2 * m.produced);
    assert_eq!(m.out_of_order, 0);
}

#[test]
fn pubsub_members_of_one_group_each_get_a_copy() {
    let same = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let mut sim = lab(100.0, 0, &same, "", REDIS, 10.0);
    run(&mut sim, 11.0);
    let m = metrics(&sim, "r");
    assert_eq!(m.delivered, m.produced);
    assert_eq!(
        m.duplicates, m.produced,
        "Pub/Sub has no consumer groups: the work is done twice"
    );
}

#[test]
fn pubsub_slow_subscriber_over_the_hard_limit_is_cut_off_and_misses_messages() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 50.0\n";
    let v = format!(
        "{REDIS}\nredis = {{ pubsub_hard_mb = 0.5, pubsub_soft_mb = 0.0, reconnect_ms = 1000.0 }}"
    );
    let text_rate = 1000.0;
    let mut sim = lab(text_rate, 0, slow, "", &v, 20.0);
    run(&mut sim, 20.0);
    let m = metrics(&sim, "r");
    assert!(
        reason(&m, "output-buffer-limit") > 1000,
        "{:?}",
        m.lost_by_reason
    );
    assert!(
        reason(&m, "subscriber-offline") > 0,
        "messages published while it reconnects are missed"
    );
}

#[test]
fn pubsub_soft_limit_disconnects_only_after_its_seconds() {
    // 100 B x 100/s in, 10/s out: ~90 B/s... use 1 kB messages: ~90 kB/s of backlog growth.
    let text = r#"
seed = 1
duration_s = 30.0
[[producer]]
name = "p"
publish = [ { topic = "t", rate_per_s = 100.0, size_bytes = 1000, arrivals = "constant" } ]
[[consumer]]
name = "c"
subscribe = ["t"]
service_ms = 100.0
[[variant]]
name = "r"
shape = "single-broker"
broker = "redis-pubsub"
redis = { pubsub_hard_mb = 0.0, pubsub_soft_mb = 0.5, pubsub_soft_s = 5.0 }
"#;
    let mut sim = Simulation::new(scenario(text));
    // Over 0.5 MB after ~(0.5 MB + 128 kB socket) / 90 kB/s = ~7 s; cut ~5 s later.
    run(&mut sim, 9.0);
    assert_eq!(
        reason(&metrics(&sim, "r"), "output-buffer-limit"),
        0,
        "not yet: under the soft limit's seconds"
    );
    run(&mut sim, 30.0);
    assert!(reason(&metrics(&sim, "r"), "output-buffer-limit") > 0);
}

#[test]
fn pubsub_broker_crash_drops_buffers_and_publishes_fail_while_down() {
    let f = "[[fault]]\nkind = \"broker-crash\"\nat_s = 5.0\nuntil_s = 8.0\n";
    let mut sim = lab(100.0, 0, ONE, f, REDIS, 20.0);
    run(&mut sim, 21.0);
    let m = metrics(&sim, "r");
    assert!(
        (295..=305).contains(&reason(&m, "broker-down")),
        "{:?}",
        m.lost_by_reason
    );
    // Subscribers resubscribe 1 s after the restart: what comes meanwhile has no subscriber.
    assert!(
        (95..=105).contains(&reason(&m, "subscriber-offline")),
        "{:?}",
        m.lost_by_reason
    );
}

// ---------------------------------------------------------------- RabbitMQ

fn rabbit(opts: &str) -> String {
    format!("[[variant]]\nname = \"q\"\nshape = \"single-broker\"\nbroker = \"rabbitmq\"\nrabbitmq = {{ {opts} }}")
}

#[test]
fn rabbitmq_named_queue_keeps_the_backlog_of_an_offline_consumer() {
    let mut sim = lab(
        100.0,
        0,
        ONE,
        OFFLINE_5_TO_10,
        &rabbit("ack = \"manual\""),
        20.0,
    );
    run(&mut sim, 10.0);
    let q = &sim.variants[0].state().queues[0];
    assert!(
        (490..=510).contains(&q.depth),
        "backlog while away: {}",
        q.depth
    );
    run(&mut sim, 21.0);
    let m = metrics(&sim, "q");
    assert_eq!((m.lost, m.delivered), (0, m.produced));
}

#[test]
fn rabbitmq_manual_ack_consumer_crash_requeues_and_loses_nothing() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 5.0\n";
    let mut sim = lab(
        150.0,
        0,
        slow,
        CRASH_5_TO_10,
        &rabbit("ack = \"manual\", prefetch = 50"),
        20.0,
    );
    run(&mut sim, 30.0);
    let m = metrics(&sim, "q");
    assert_eq!(m.lost, 0);
    assert_eq!(m.delivered, m.produced);
    // The one it was processing when it died, or processed with its ack still on the wire, comes again.
    assert!(m.duplicates <= 3, "{}", m.duplicates);
}

#[test]
fn rabbitmq_processed_but_unacked_deliveries_are_redelivered_as_duplicates() {
    // 50 ms hops: acks of the last ~50 ms of work are still on the wire when the consumer dies.
    let text = format!(
        "seed = 1\nduration_s = 20.0\nlatency_ms = 50.0\n[[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = 200.0, arrivals = \"constant\" }} ]\n{ONE}{CRASH_5_TO_10}{}",
        rabbit("ack = \"manual\", prefetch = 100")
    );
    let mut sim = Simulation::new(scenario(&text));
    run(&mut sim, 30.0);
    let m = metrics(&sim, "q");
    assert_eq!(m.lost, 0);
    assert!(
        m.duplicates >= 5,
        "redelivered after the crash: {}",
        m.duplicates
    );
}

#[test]
fn rabbitmq_auto_ack_consumer_crash_loses_what_it_held() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 20.0\n";
    let mut sim = lab(
        100.0,
        0,
        slow,
        CRASH_5_TO_10,
        &rabbit("ack = \"auto\""),
        20.0,
    );
    run(&mut sim, 10.0);
    let m = metrics(&sim, "q");
    // Auto-ack pushes everything at once: after 5 s at 100/s in and 50/s out, it held ~250.
    assert!(
        (240..=260).contains(&reason(&m, "consumer-crash")),
        "{:?}",
        m.lost_by_reason
    );
}

#[test]
fn rabbitmq_prefetch_caps_unacked_deliveries() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 50.0\n";
    let mut sim = lab(
        100.0,
        0,
        slow,
        "",
        &rabbit("ack = \"manual\", prefetch = 7"),
        10.0,
    );
    run(&mut sim, 5.0);
    let q = &sim.variants[0].state().queues[0];
    assert_eq!(q.unacked, 7);
    assert!(q.depth > 200, "the rest waits in the queue: {}", q.depth);
}

#[test]
fn rabbitmq_competing_consumers_share_a_queue_round_robin() {
    let same = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let mut sim = lab(100.0, 0, &same, "", &rabbit("ack = \"manual\""), 10.0);
    run(&mut sim, 11.0);
    let snap = sim.variants[0].snapshot();
    let (a, b) = (snap.consumers[0].processed, snap.consumers[1].processed);
    assert!(a.abs_diff(b) <= 1, "round-robin: {a} vs {b}");
    assert_eq!(metrics(&sim, "q").duplicates, 0);
}

#[test]
fn rabbitmq_restart_keeps_only_persistent_messages_in_durable_queues() {
    // The consumer is away from 1 s to 12 s, the broker restarts from 5 s to 6 s.
    let faults =
        "[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c\"\nat_s = 1.0\nuntil_s = 12.0\n\
                  [[fault]]\nkind = \"broker-crash\"\nat_s = 5.0\nuntil_s = 6.0\n";
    let variants = [
        ("durable-persistent", "durable = true, persistent = true"),
        ("durable-transient", "durable = true, persistent = false"),
        ("transient-queue", "durable = false, persistent = true"),
    ]
    .iter()
    .map(|(n, o)| format!("[[variant]]\nname = \"{n}\"\nshape = \"single-broker\"\nbroker = \"rabbitmq\"\nrabbitmq = {{ {o} }}\n"))
    .collect::<String>();
    let mut sim = lab(100.0, 0, ONE, faults, &variants, 20.0);
    run(&mut sim, 21.0);
    let keep = metrics(&sim, "durable-persistent");
    // Only what was published while the broker was down is lost.
    assert_eq!(keep.lost, reason(&keep, "broker-down"));
    assert!((95..=105).contains(&keep.lost), "{:?}", keep.lost_by_reason);
    for name in ["durable-transient", "transient-queue"] {
        let m = metrics(&sim, name);
        // The ~400 messages queued from 1 s to 5 s are gone; then ~100 more while it is down.
        assert!(
            (395..=405).contains(&reason(&m, "broker-restart")),
            "{name}: {:?}",
            m.lost_by_reason
        );
        assert!(
            (95..=105).contains(&reason(&m, "broker-down")),
            "{name}: {:?}",
            m.lost_by_reason
        );
    }
    // A transient queue is deleted and redeclared only when its consumer comes back at 12 s:
    // until then messages are unroutable.
    let gone = metrics(&sim, "transient-queue");
    assert!(
        (595..=605).contains(&reason(&gone, "unroutable")),
        "{:?}",
        gone.lost_by_reason
    );
    assert_eq!(reason(&metrics(&sim, "durable-transient"), "unroutable"), 0);
}

#[test]
fn rabbitmq_exclusive_queue_behaves_like_pubsub_when_its_consumer_leaves() {
    let mut sim = lab(
        100.0,
        0,
        ONE,
        OFFLINE_5_TO_10,
        &rabbit("exclusive = true"),
        20.0,
    );
    run(&mut sim, 21.0);
    let m = metrics(&sim, "q");
    assert!(
        (495..=505).contains(&reason(&m, "unroutable")),
        "{:?}",
        m.lost_by_reason
    );
}

// ---------------------------------------------------------------- Kafka

fn kafka(opts: &str) -> String {
    format!("[[variant]]\nname = \"k\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = {{ {opts} }}")
}

#[test]
fn kafka_keeps_records_for_an_offline_consumer_who_resumes_at_its_offset() {
    let mut sim = lab(
        100.0,
        0,
        ONE,
        OFFLINE_5_TO_10,
        &kafka("partitions = 3"),
        20.0,
    );
    run(&mut sim, 10.0);
    let g = &sim.variants[0].groups()[0];
    assert!((490..=510).contains(&g.lag), "lag while away: {}", g.lag);
    run(&mut sim, 21.0);
    let m = metrics(&sim, "k");
    assert_eq!(
        (m.lost, m.duplicates, m.delivered),
        (0, 0, m.produced),
        "a clean leave commits first"
    );
}

#[test]
fn kafka_new_group_with_earliest_replays_history_and_latest_does_not() {
    let add = "[[fault]]\nkind = \"add-consumer\"\nat_s = 10.0\nconsumer = { name = \"late\", subscribe = [\"t\"] }\n";
    let variants = format!(
        "{}\n{}",
        kafka("offset_reset = \"earliest\"").replace("name = \"k\"", "name = \"earliest\""),
        kafka("offset_reset = \"latest\"").replace("name = \"k\"", "name = \"latest\"")
    );
    let mut sim = lab(100.0, 0, ONE, add, &variants, 20.0);
    run(&mut sim, 21.0);
    let e = metrics(&sim, "earliest");
    let l = metrics(&sim, "latest");
    assert!(
        (995..=1005).contains(&e.replayed),
        "the late group read the 10 s before it: {}",
        e.replayed
    );
    assert_eq!(l.replayed, 0);
    // Both see everything after they joined.
    assert_eq!((e.lost, l.lost), (0, 0));
    assert_eq!(e.delivered, l.delivered);
}

#[test]
fn kafka_consumer_crash_reprocesses_records_since_the_last_commit() {
    let mut sim = lab(
        100.0,
        0,
        ONE,
        CRASH_5_TO_10,
        &kafka("partitions = 2, auto_commit_ms = 5000, static_membership = true"),
        30.0,
    );
    run(&mut sim, 31.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.lost, 0);
    // Committed at 5.000 s just before the crash (at the same instant, after it)... the timer
    // and the crash share 5 s; either way at most one commit interval is reprocessed.
    assert!(m.duplicates <= 500, "{}", m.duplicates);
    // With group.instance.id the restart at 10 s resumes the partitions at once (without it
    // the new member would wait for the old one's session: see the next tests).
    let mut sim = lab(
        100.0,
        0,
        ONE,
        &CRASH_5_TO_10.replace("at_s = 5.0", "at_s = 7.5"),
        &kafka("partitions = 2, static_membership = true"),
        30.0,
    );
    run(&mut sim, 31.0);
    let m = metrics(&sim, "k");
    assert!(
        (240..=260).contains(&m.duplicates),
        "2.5 s since the 5 s commit: {}",
        m.duplicates
    );
}

#[test]
fn kafka_crashed_member_keeps_its_partitions_until_the_session_times_out() {
    let two = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let crash = "[[fault]]\nkind = \"consumer-crash\"\ntarget = \"a\"\nat_s = 5.0\n";
    let mut sim = lab(
        100.0,
        0,
        &two,
        crash,
        &kafka("partitions = 2, session_timeout_ms = 10000"),
        30.0,
    );
    let owners = |sim: &Simulation| -> Vec<Option<String>> {
        sim.variants[0]
            .state()
            .partitions
            .iter()
            .map(|p| p.groups[0].owner.clone())
            .collect()
    };
    run(&mut sim, 14.5);
    // Nobody knows a died: its partition sits unread for the 10 s session timeout.
    assert_eq!(owners(&sim), [Some("a".to_owned()), Some("b".to_owned())]);
    let p0 = &sim.variants[0].state().partitions[0];
    assert!(
        p0.groups[0].lag >= 450,
        "9.5 s of p0's records unread: {}",
        p0.groups[0].lag
    );
    run(&mut sim, 15.5);
    assert_eq!(owners(&sim), [Some("b".to_owned()), Some("b".to_owned())]);
    run(&mut sim, 31.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.lost, 0);
    assert!(
        m.pending < 5,
        "b took over a's partitions: pending {}",
        m.pending
    );
}

/// Two members of group `g`; `a` crashes at 7.5 s (2.5 s after a commit) and restarts at 10 s.
fn crash_and_restart(opts: &str) -> Simulation {
    let two = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let crash = CRASH_5_TO_10
        .replace("target = \"c\"", "target = \"a\"")
        .replace("at_s = 5.0", "at_s = 7.5");
    lab(100.0, 0, &two, &crash, &kafka(opts), 40.0)
}

fn owners(sim: &Simulation) -> Vec<Option<String>> {
    sim.variants[0]
        .state()
        .partitions
        .iter()
        .map(|p| p.groups[0].owner.clone())
        .collect()
}

#[test]
fn kafka_restarted_dynamic_member_waits_for_its_old_session_and_the_group_stops() {
    let mut sim = crash_and_restart("partitions = 2, session_timeout_ms = 20000");
    run(&mut sim, 9.5);
    assert_eq!(owners(&sim), [Some("a".to_owned()), Some("b".to_owned())]);
    // At 10 s a joins as a new member: the rebalance waits for its old self, whose session
    // ends at 27.5 s, and meanwhile b has given up its partition too (eager).
    run(&mut sim, 12.0);
    assert_eq!(owners(&sim), [None, None], "the whole group waits");
    let before = metrics(&sim, "k").delivered;
    run(&mut sim, 27.0);
    assert!(
        metrics(&sim, "k").delivered - before < 20,
        "nothing read while the join waits (what b had fetched aside)"
    );
    run(&mut sim, 28.0);
    assert_eq!(owners(&sim), [Some("a".to_owned()), Some("b".to_owned())]);
    run(&mut sim, 41.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.lost, 0);
    assert!(m.pending < 5, "caught up: {}", m.pending);
}

#[test]
fn kafka_static_member_back_within_its_session_resumes_without_a_rebalance() {
    let mut sim = crash_and_restart("partitions = 2, static_membership = true");
    run(&mut sim, 9.5);
    let lag_a = sim.variants[0].state().partitions[0].groups[0].lag;
    assert!(
        lag_a >= 200,
        "a's partition waits while it is down: {lag_a}"
    );
    assert!(metrics(&sim, "k").pending >= 90, "2 s of a's share unread");
    run(&mut sim, 10.5);
    assert_eq!(owners(&sim), [Some("a".to_owned()), Some("b".to_owned())]);
    run(&mut sim, 12.0);
    let pending = metrics(&sim, "k").pending;
    assert!(pending < 50, "a read its backlog at once: {pending}");
    run(&mut sim, 41.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.lost, 0);
    assert!(
        (100..=150).contains(&m.duplicates),
        "a's share of the 2.5 s since its last commit, again: {}",
        m.duplicates
    );
}

#[test]
fn kafka_static_member_that_closes_stays_in_its_group_until_the_session_ends() {
    let two = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let away = OFFLINE_5_TO_10
        .replace("target = \"c\"", "target = \"a\"")
        .replace("until_s = 10.0", "until_s = 30.0");
    let opts = "partitions = 2, session_timeout_ms = 10000";
    for (static_membership, owner_at_12) in [(false, Some("b")), (true, Some("a"))] {
        let o = format!("{opts}, static_membership = {static_membership}");
        let mut sim = lab(100.0, 0, &two, &away, &kafka(&o), 40.0);
        run(&mut sim, 12.0);
        assert_eq!(
            owners(&sim)[0].as_deref(),
            owner_at_12,
            "static {static_membership}: a dynamic member leaves at close()"
        );
        run(&mut sim, 16.0);
        assert_eq!(
            owners(&sim)[0].as_deref(),
            Some("b"),
            "the session ended at 15 s"
        );
        run(&mut sim, 41.0);
        assert_eq!(metrics(&sim, "k").lost, 0);
    }
}

#[test]
fn kafka_member_whose_link_heals_within_its_session_resumes_as_the_same_member() {
    let two = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let cut = "[[fault]]\nkind = \"link-down\"\ntarget = \"a\"\nat_s = 5.0\nuntil_s = 10.0\n";
    let mut sim = lab(100.0, 0, &two, cut, &kafka("partitions = 2"), 40.0);
    run(&mut sim, 11.0);
    assert_eq!(
        owners(&sim),
        [Some("a".to_owned()), Some("b".to_owned())],
        "the process kept its member id: no new member, no waiting rebalance"
    );
    run(&mut sim, 41.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.lost, 0);
    assert!(m.pending < 5, "{}", m.pending);
}

#[test]
fn kafka_retention_deletes_records_a_lagging_group_never_read() {
    let away =
        "[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c\"\nat_s = 2.0\nuntil_s = 20.0\n";
    let mut sim = lab(
        100.0,
        0,
        ONE,
        away,
        &kafka(
            "partitions = 1, retention_s = 5.0, segment_ms = 1000.0, offset_reset = \"earliest\"",
        ),
        30.0,
    );
    run(&mut sim, 31.0);
    let m = metrics(&sim, "k");
    // Away 18 s with 5 s retention (checked every 0.5 s) over 1 s segments: a segment goes once
    // its newest record is 5 s old, so ~12-13 s of records expire unread.
    assert!(
        (1200..=1400).contains(&reason(&m, "retention")),
        "{:?}",
        m.lost_by_reason
    );
}

#[test]
fn kafka_latest_reset_after_retention_skips_the_backlog() {
    let away =
        "[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c\"\nat_s = 2.0\nuntil_s = 20.0\n";
    let mut sim = lab(
        100.0,
        0,
        ONE,
        away,
        &kafka("partitions = 1, retention_s = 5.0, segment_ms = 1000.0, offset_reset = \"latest\""),
        30.0,
    );
    run(&mut sim, 31.0);
    let m = metrics(&sim, "k");
    assert!(
        reason(&m, "offset-reset") > 300,
        "the retained backlog is skipped too: {:?}",
        m.lost_by_reason
    );
}

#[test]
fn kafka_keyed_records_stay_in_order_per_key_across_partitions_and_members() {
    let two = TWO_GROUPS.replace(
        "service_ms = 1.0",
        "service_ms = 3.0\nservice_dist = \"exponential\"\ngroup = \"g\"",
    );
    let mut sim = lab(300.0, 16, &two, "", &kafka("partitions = 6"), 10.0);
    run(&mut sim, 11.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.out_of_order, 0);
    let snap = sim.variants[0].snapshot();
    assert!(
        snap.consumers.iter().all(|c| c.processed > 300),
        "both members work"
    );
}

#[test]
fn kafka_acks_1_loses_unreplicated_records_on_leader_crash_and_acks_all_does_not() {
    let crash = "[[fault]]\nkind = \"broker-crash\"\ntarget = \"t\"\nat_s = 5.0\nuntil_s = 10.0\n";
    let variants = format!(
        "{}\n{}",
        kafka("partitions = 1, replication = 3, acks = \"1\"")
            .replace("name = \"k\"", "name = \"acks1\""),
        kafka("partitions = 1, replication = 3, acks = \"all\"")
            .replace("name = \"k\"", "name = \"acksall\"")
    );
    // 50 ms hops: the followers are 50 ms behind the leader.
    let text = format!(
        "seed = 1\nduration_s = 20.0\nlatency_ms = 50.0\n[[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = 1000.0, arrivals = \"constant\" }} ]\n{ONE}{crash}{variants}"
    );
    let mut sim = Simulation::new(scenario(&text));
    run(&mut sim, 21.0);
    let one = metrics(&sim, "acks1");
    let all = metrics(&sim, "acksall");
    assert!(
        (45..=55).contains(&reason(&one, "leader-failover")),
        "{:?}",
        one.lost_by_reason
    );
    assert_eq!(all.lost, 0);
    assert_eq!(
        all.duplicates, 0,
        "the idempotent producer resends; the log has it once"
    );
}

#[test]
fn kafka_partition_without_a_live_replica_waits_and_producers_retry() {
    let crash = "[[fault]]\nkind = \"broker-crash\"\nat_s = 5.0\nuntil_s = 10.0\n";
    let mut sim = lab(
        100.0,
        0,
        ONE,
        crash,
        &kafka("partitions = 2, replication = 1"),
        20.0,
    );
    run(&mut sim, 9.0);
    assert!(
        metrics(&sim, "k").pending > 350,
        "held by the producer while the partition is offline"
    );
    run(&mut sim, 21.0);
    let m = metrics(&sim, "k");
    assert_eq!((m.lost, m.delivered), (0, m.produced));
}

#[test]
fn kafka_producer_gives_up_after_the_delivery_timeout() {
    let crash = "[[fault]]\nkind = \"broker-crash\"\nat_s = 5.0\nuntil_s = 200.0\n";
    let mut sim = lab(
        10.0,
        0,
        ONE,
        crash,
        &kafka("partitions = 1, replication = 1"),
        200.0,
    );
    run(&mut sim, 130.0);
    let m = metrics(&sim, "k");
    assert!(
        (45..=55).contains(&reason(&m, "retries-exhausted")),
        "5 s past the 120 s timeout: {:?}",
        m.lost_by_reason
    );
}

#[test]
fn kafka_consumer_slower_than_max_poll_interval_is_evicted_and_its_batch_is_read_again() {
    // From 5 s, a needs 200 ms a record: a batch of 20 takes 4 s, over the 2 s interval.
    let two = TWO_GROUPS.replace("service_ms = 1.0", "service_ms = 1.0\ngroup = \"g\"");
    let slow = "[[fault]]\nkind = \"consumer-slow\"\ntarget = \"a\"\nfactor = 200.0\nat_s = 5.0\nuntil_s = 12.0\n";
    let opts = "partitions = 2, max_poll_records = 20, max_poll_interval_ms = 2000.0";
    let mut sim = lab(50.0, 0, &two, slow, &kafka(opts), 20.0);
    let owners = |sim: &Simulation| -> Vec<Option<String>> {
        sim.variants[0]
            .state()
            .partitions
            .iter()
            .map(|p| p.groups[0].owner.clone())
            .collect()
    };
    run(&mut sim, 4.0);
    assert_eq!(owners(&sim), [Some("a".to_owned()), Some("b".to_owned())]);
    // Batches grow as a falls behind (1, ~5, then 20 records): the first 4 s batch starts
    // ~6.2 s, so a is gone ~8.2 s.
    run(&mut sim, 9.5);
    assert_eq!(
        owners(&sim),
        [Some("b".to_owned()), Some("b".to_owned())],
        "a missed max.poll.interval.ms: b took its partition"
    );
    run(&mut sim, 21.0);
    let m = metrics(&sim, "k");
    assert_eq!(m.lost, 0);
    assert!(
        m.duplicates > 0,
        "b re-read from the last commit what a was still processing"
    );
    assert_eq!(m.pending, 0, "{m:?}");
    // The broker never drops a slow consumer's records: it only lags.
    let mut fast = lab(50.0, 0, &two, slow, &kafka("partitions = 2"), 20.0);
    run(&mut fast, 21.0);
    assert_eq!(metrics(&fast, "k").duplicates, 0, "under the default 300 s");
}

#[test]
fn kafka_retention_deletes_whole_segments_and_never_the_one_being_written() {
    let away =
        "[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c\"\nat_s = 1.0\nuntil_s = 29.0\n";
    // Default segments (1 GiB, 7 days): the one segment is active, nothing is ever deleted.
    let mut sim = lab(
        100.0,
        0,
        ONE,
        away,
        &kafka("partitions = 1, retention_s = 2.0"),
        30.0,
    );
    run(&mut sim, 20.0);
    let p = &sim.variants[0].state().partitions[0];
    assert_eq!((p.segments, p.log_start_offset), (1, 0));
    // 5000-byte segments (50 records of 100 B): whole segments go, the log starts at a boundary.
    let opts = "partitions = 1, retention_s = 2.0, segment_bytes = 5000";
    let mut sim = lab(100.0, 0, ONE, away, &kafka(opts), 30.0);
    run(&mut sim, 20.0);
    let p = &sim.variants[0].state().partitions[0];
    assert!(p.log_start_offset > 1000, "{}", p.log_start_offset);
    assert_eq!(p.log_start_offset % 50, 0, "a segment boundary");
    assert!(
        p.log_end_offset - p.log_start_offset >= 200,
        "2 s and more are kept"
    );
    assert!(p.active_segment_base >= p.log_start_offset);
    // 99 records were read before the consumer left at 1 s; every deleted one after was unread.
    assert_eq!(
        reason(&metrics(&sim, "k"), "retention"),
        p.log_start_offset - 99
    );
}

// ---------------------------------------------------------------- Redis Streams

fn stream(opts: &str) -> String {
    format!("[[variant]]\nname = \"s\"\nshape = \"single-broker\"\nbroker = \"redis-stream\"\nredis = {{ {opts} }}")
}

#[test]
fn stream_noack_loses_what_a_crashed_consumer_had_read() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 50.0\n";
    let mut acked = lab(
        100.0,
        0,
        slow,
        CRASH_5_TO_10,
        &stream("read_count = 10"),
        20.0,
    );
    let mut noack = lab(
        100.0,
        0,
        slow,
        CRASH_5_TO_10,
        &stream("read_count = 10, noack = true"),
        20.0,
    );
    run(&mut acked, 40.0);
    run(&mut noack, 40.0);
    let (a, n) = (metrics(&acked, "s"), metrics(&noack, "s"));
    assert_eq!(a.lost, 0, "the PEL kept them; read again on return");
    assert_eq!(reason(&n, "consumer-crash"), 10, "the 10 it had read");
    assert_eq!(a.duplicates, 0);
}

#[test]
fn stream_consumer_back_from_a_crash_reads_its_pending_entries_first() {
    let slow = "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 50.0\n";
    let mut sim = lab(
        100.0,
        0,
        slow,
        CRASH_5_TO_10,
        &stream("read_count = 10"),
        20.0,
    );
    sim.variants[0].record_trace();
    run(&mut sim, 9.0);
    let st = sim.variants[0].state();
    let c = &st.streams[0].groups[0].consumers[0];
    assert_eq!(
        (c.pending, c.max_delivery_count),
        (10, 1),
        "no automatic redelivery"
    );
    run(&mut sim, 40.0);
    let again: Vec<_> = sim.variants[0]
        .trace()
        .iter()
        .filter(|p| p.origin.attempt == 2)
        .map(|p| p.at)
        .collect();
    assert_eq!(again.len(), 10, "its 10 pending entries, delivery count 2");
    let first_new = sim.variants[0]
        .trace()
        .iter()
        .find(|p| p.at > brokerlab::scenario::secs(10.0) && p.origin.attempt == 1)
        .map(|p| p.at);
    assert!(again.iter().all(|&t| Some(t) < first_new), "history first");
    assert_eq!(metrics(&sim, "s").lost, 0);
}

#[test]
fn stream_autoclaim_takes_entries_from_a_slow_live_consumer_and_work_is_done_twice() {
    // a holds 10 entries at 400 ms each: the last waits 4 s, longer than min-idle 1 s, and b
    // claims it while a still has it: both process it.
    let two =
        "[[consumer]]\nname = \"a\"\nsubscribe = [\"t\"]\ngroup = \"g\"\nservice_ms = 400.0\n\
               [[consumer]]\nname = \"b\"\nsubscribe = [\"t\"]\ngroup = \"g\"\nservice_ms = 1.0\n";
    let opts = "read_count = 10, min_idle_ms = 1000.0, autoclaim_every_ms = 500.0";
    let mut sim = lab(20.0, 0, two, "", &stream(opts), 10.0);
    run(&mut sim, 30.0);
    let m = metrics(&sim, "s");
    assert_eq!(m.lost, 0);
    assert!(
        m.duplicates > 0,
        "a slow member's entries were claimed: {m:?}"
    );
    // The broker never disconnects a slow reader.
    let st = sim.variants[0].state();
    assert!(st.brokers[0].up);
}

#[test]
fn stream_snapshot_rules_decide_how_much_a_crash_loses() {
    let away =
        "[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c\"\nat_s = 0.5\nuntil_s = 19.0\n\
                [[fault]]\nkind = \"broker-crash\"\nat_s = 10.5\nuntil_s = 11.0\n";
    let text = format!(
        "seed = 1\nduration_s = 20.0\n[[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = 100.0, arrivals = \"constant\" }} ]\n{ONE}{away}{}\n{}",
        stream("save = [[5, 100]]").replace("name = \"s\"", "name = \"every-5s\""),
        stream("save = []").replace("name = \"s\"", "name = \"none\"")
    );
    let mut sim = Simulation::new(scenario(&text));
    run(&mut sim, 10.6);
    let snap = sim.variants[0].state();
    let p = &snap.persistence[0];
    assert_eq!(
        p.last_save_s,
        Some(6.0),
        "first check past 5 s with 100 changes"
    );
    run(&mut sim, 25.0);
    let (five, none) = (metrics(&sim, "every-5s"), metrics(&sim, "none"));
    // Snapshots at 6 s and, 5 s later, not yet: the 4.5 s since 6 s are lost.
    assert!(
        (440..=460).contains(&reason(&five, "broker-restart")),
        "{:?}",
        five.lost_by_reason
    );
    assert!(
        reason(&none, "broker-restart") >= 1000,
        "{:?}",
        none.lost_by_reason
    );
}

#[test]
fn stream_group_created_at_0_reads_the_whole_stream() {
    let late = "[[fault]]\nkind = \"add-consumer\"\nat_s = 5.0\nconsumer = { name = \"late\", subscribe = [\"t\"] }\n";
    let mut from0 = lab(100.0, 0, ONE, late, &stream("group_start = \"0\""), 10.0);
    let mut latest = lab(100.0, 0, ONE, late, &stream("group_start = \"$\""), 10.0);
    run(&mut from0, 11.0);
    run(&mut latest, 11.0);
    let g = |sim: &Simulation| {
        sim.variants[0]
            .groups()
            .into_iter()
            .find(|g| g.name == "late")
            .expect("late")
    };
    assert!((495..=505).contains(&g(&from0).replayed), "{:?}", g(&from0));
    assert_eq!(g(&latest).replayed, 0);
}

#[test]
fn new_broker_options_are_validated_with_their_position() {
    let base = "[[producer]]\nname = \"p\"\npublish = [ { topic = \"t\", rate_per_s = 1.0 } ]\n[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n";
    let bad = [
        (
            "shape = \"single-broker\"\nbroker = \"rabbitmq\"\nrabbitmq = { queue_type = \"quorum\", durable = false }",
            "always durable",
        ),
        (
            "shape = \"broker-per-topic\"\nbroker = \"rabbitmq\"\nrabbitmq = { exchange = \"topic\" }",
            "routes within one broker",
        ),
        (
            "shape = \"single-broker\"\nbroker = \"redis-stream\"\nredis = { save = [[0, 1]] }",
            "redis.save",
        ),
        (
            "shape = \"central-log\"\nbroker = \"kafka\"\nkafka = { segment_bytes = 3 }",
            "kafka.segment_bytes",
        ),
    ];
    for (variant, want) in bad {
        let text = format!("{base}[[variant]]\nname = \"v\"\n{variant}\n");
        let e = brokerlab::scenario::parse_scenario("bad.toml", &text).expect_err(want);
        assert!(e.message.contains(want), "{e}");
        assert_eq!(e.line, 11, "at the option's value: {e}");
    }
}
