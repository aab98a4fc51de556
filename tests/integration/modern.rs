//! The modern answers: RabbitMQ streams and Kafka share groups, one test per behaviour the
//! models claim (src/broker/rabbitmq_stream.rs, src/broker/kafka/share.rs; reference "Modern
//! answers to the notes' questions"). Every run is audited at every quarter second.

use crate::common::{metrics, run_audited, scenario};
use brokerlab::engine::state::{ModelState, RabbitStreamState, SharePartitionState};
use brokerlab::engine::Processing;
use brokerlab::report::Metrics;
use brokerlab::sim::{Simulation, VariantSim};

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

fn state(sim: &Simulation, name: &str) -> ModelState {
    variant(sim, name).state()
}

fn stream(sim: &Simulation, name: &str) -> RabbitStreamState {
    state(sim, name).rabbit_streams[0].clone()
}

fn share(sim: &Simulation, name: &str) -> SharePartitionState {
    state(sim, name).share_partitions[0].clone()
}

/// What consumer `consumer` of variant `name` processed, in order.
fn processed(sim: &Simulation, name: &str, consumer: &str) -> Vec<Processing> {
    let v = variant(sim, name);
    let c = v.consumer_index(consumer).expect("consumer");
    v.trace()
        .iter()
        .filter(|p| p.consumer == c)
        .copied()
        .collect()
}

fn offsets(p: &[Processing]) -> Vec<u64> {
    p.iter().filter_map(|x| x.origin.offset).collect()
}

fn reason(m: &Metrics, r: &str) -> u64 {
    m.lost_by_reason.get(r).copied().unwrap_or(0)
}

/// Producer `p` of `t` at `rate`/s (constant, first at 1/rate s) for `duration` s, then `rest`.
fn lab(duration: f64, rate: f64, rest: &str) -> String {
    format!(
        "seed = 7\nduration_s = {duration}\nlatency_ms = 1.0\n[[producer]]\nname = \"p\"\n\
         publish = [ {{ topic = \"t\", rate_per_s = {rate}, keys = 1, arrivals = \"constant\" }} ]\n{rest}"
    )
}

fn consumer(name: &str, group: &str, service_ms: f64) -> String {
    format!(
        "[[consumer]]\nname = \"{name}\"\nsubscribe = [\"t\"]\ngroup = \"{group}\"\nservice_ms = {service_ms}\n"
    )
}

fn add(name: &str, group: &str, at: f64, service_ms: f64) -> String {
    format!(
        "[[fault]]\nkind = \"add-consumer\"\nat_s = {at}\n\
         consumer = {{ name = \"{name}\", subscribe = [\"t\"], group = \"{group}\", service_ms = {service_ms} }}\n"
    )
}

fn fault(kind: &str, target: &str, at: f64, until: f64) -> String {
    format!("[[fault]]\nkind = \"{kind}\"\ntarget = \"{target}\"\nat_s = {at}\nuntil_s = {until}\n")
}

fn stream_variant(opts: &str) -> String {
    format!(
        "[[variant]]\nname = \"s\"\nshape = \"single-broker\"\nbroker = \"rabbitmq\"\n\
         rabbitmq = {{ queue_type = \"stream\", {opts} }}\n"
    )
}

fn share_variant(name: &str, kafka: &str) -> String {
    format!(
        "[[variant]]\nname = \"{name}\"\nshape = \"central-log\"\nbroker = \"kafka\"\n\
         kafka = {{ partitions = 1, replication = 1, group_type = \"share\", {kafka} }}\n"
    )
}

// ------------------------------------------------------------------------ RabbitMQ streams

#[test]
fn stream_late_reader_replays_from_first() {
    let text = lab(
        5.0,
        10.0,
        &(consumer("a", "a", 1.0) + &add("b", "b", 5.0, 1.0)),
    ) + &stream_variant("stream_offset = \"first\", prefetch = 100");
    let mut sim = traced(&text);
    run(&mut sim, 6.0);
    let m = metrics(&sim, "s");
    assert_eq!((m.delivered, m.replayed, m.lost), (51, 49, 0));
    assert_eq!(
        offsets(&processed(&sim, "s", "b")),
        (0..50).collect::<Vec<_>>()
    );
}

#[test]
fn stream_ack_returns_credit_and_the_entry_stays() {
    let text = lab(1.0, 10.0, &consumer("a", "a", 1.0)) + &stream_variant("prefetch = 3");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let st = stream(&sim, "s");
    assert_eq!((st.first_offset, st.next_offset, st.length), (0, 10, 10));
    let r = &st.readers[0];
    assert_eq!((r.unacked, r.credit, r.offset), (0, 3, Some(10)));
    assert_eq!(metrics(&sim, "s").delivered, 10);
}

#[test]
fn stream_next_reader_misses_its_offline_window() {
    let text = lab(
        10.0,
        10.0,
        &(consumer("c", "c", 1.0) + &fault("consumer-offline", "c", 2.0, 4.0)),
    ) + &stream_variant("prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 11.0);
    let m = metrics(&sim, "s");
    assert_eq!(reason(&m, "offset-reset"), m.lost);
    assert!((19..=21).contains(&m.lost), "lost {}", m.lost);
    assert_eq!(m.duplicates, 0);
}

#[test]
fn stream_first_reader_rereads_everything_after_a_reconnect() {
    let text = lab(
        10.0,
        10.0,
        &(consumer("c", "c", 1.0) + &fault("consumer-crash", "c", 2.0, 4.0)),
    ) + &stream_variant("stream_offset = \"first\", prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 11.0);
    let m = metrics(&sim, "s");
    assert_eq!((m.lost, m.delivered), (0, 100));
    // Messages 0..18 came before the crash at 2 s (19 reaches the stream just after it).
    assert_eq!(
        m.duplicates, 19,
        "what it processed before the crash, read again"
    );
}

#[test]
fn stream_consumer_crash_loses_nothing_the_stream_still_holds() {
    // A slow consumer holds 50 unprocessed deliveries when it crashes.
    let text = lab(
        5.0,
        100.0,
        &(consumer("c", "c", 50.0) + &fault("consumer-crash", "c", 3.0, 20.0)),
    ) + &stream_variant("stream_offset = \"first\", prefetch = 50");
    let mut sim = traced(&text);
    run(&mut sim, 3.5);
    assert_eq!(metrics(&sim, "s").lost, 0);
    run(&mut sim, 60.0);
    let m = metrics(&sim, "s");
    assert_eq!((m.lost, m.pending), (0, 0));
}

#[test]
fn stream_last_attaches_at_the_last_chunks_first_offset() {
    // Two producers at the same instants: every chunk has two messages.
    let text = "seed = 7\nduration_s = 1.0\nlatency_ms = 1.0\n\
        [[producer]]\nname = \"p1\"\npublish = [ { topic = \"t\", rate_per_s = 10.0, arrivals = \"constant\" } ]\n\
        [[producer]]\nname = \"p2\"\npublish = [ { topic = \"t\", rate_per_s = 10.0, arrivals = \"constant\" } ]\n"
        .to_owned()
        + &consumer("a", "a", 1.0)
        + &add("b", "b", 0.55, 1.0)
        + &stream_variant("stream_offset = \"last\", prefetch = 100");
    let mut sim = traced(&text);
    run(&mut sim, 0.58);
    // Chunks of two: 0-1 at 0.1 s ... 8-9 at 0.5 s; `last` at 0.55 s is 8.
    assert_eq!(offsets(&processed(&sim, "s", "b")), [8, 9]);
    assert_eq!(stream(&sim, "s").chunks, 5);
}

#[test]
fn stream_credit_is_checked_per_chunk_so_a_chunk_overshoots_prefetch() {
    let text = "seed = 7\nduration_s = 1.0\nlatency_ms = 1.0\n\
        [[producer]]\nname = \"p1\"\npublish = [ { topic = \"t\", rate_per_s = 1.0, arrivals = \"constant\" } ]\n\
        [[producer]]\nname = \"p2\"\npublish = [ { topic = \"t\", rate_per_s = 1.0, arrivals = \"constant\" } ]\n\
        [[producer]]\nname = \"p3\"\npublish = [ { topic = \"t\", rate_per_s = 1.0, arrivals = \"constant\" } ]\n"
        .to_owned()
        + &consumer("a", "a", 500.0)
        + &stream_variant("prefetch = 1");
    let mut sim = traced(&text);
    run(&mut sim, 1.1);
    let r = stream(&sim, "s").readers[0].clone();
    assert_eq!(
        (r.unacked, r.credit),
        (3, -2),
        "one chunk of three on a prefetch of 1"
    );
}

#[test]
fn stream_numeric_offset_past_the_end_waits_for_that_offset() {
    let text = lab(
        2.0,
        10.0,
        &(consumer("a", "a", 1.0) + &add("b", "b", 1.0, 1.0)),
    ) + &stream_variant("stream_offset = 13, prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 3.0);
    assert_eq!(
        offsets(&processed(&sim, "s", "b")),
        (13..20).collect::<Vec<_>>()
    );
    let m = metrics(&sim, "s");
    // Every reader of the variant starts at 13: a skips 0..12, b (whose group expects 9..19:
    // it joined as message 9 was made) skips 9..12.
    assert_eq!(reason(&m, "offset-reset"), 13 + 4);
}

#[test]
fn stream_numeric_offset_below_the_log_start_starts_at_the_first_retained() {
    let text = lab(
        20.0,
        10.0,
        &(consumer("a", "a", 1.0) + &add("b", "b", 20.0, 1.0)),
    ) + &stream_variant(
        "stream_offset = 0, prefetch = 10, max_segment_bytes = 2000, max_length_bytes = 4000",
    );
    let mut sim = traced(&text);
    run(&mut sim, 21.0);
    let st = stream(&sim, "s");
    assert!(st.first_offset > 0);
    let b = offsets(&processed(&sim, "s", "b"));
    assert_eq!(b.first().copied(), Some(st.first_offset));
}

#[test]
fn stream_timestamp_offset_starts_at_the_first_chunk_at_or_after_it() {
    let text = lab(
        5.0,
        10.0,
        &(consumer("a", "a", 1.0) + &add("b", "b", 5.0, 1.0)),
    ) + &stream_variant("stream_offset = \"timestamp:2.0\", prefetch = 100");
    let mut sim = traced(&text);
    run(&mut sim, 6.0);
    // Message i (from 0) is written at (i + 1) / 10 s + 1 ms: message 19 at 2.001 s.
    assert_eq!(
        offsets(&processed(&sim, "s", "b")).first().copied(),
        Some(19)
    );
}

#[test]
fn stream_retention_deletes_whole_segments_only_when_a_new_segment_opens() {
    // 100-byte messages: a segment rolls once it has 2000 bytes: 8 + 14 x 152.
    let text = lab(10.0, 10.0, &consumer("a", "a", 1.0))
        + &stream_variant("prefetch = 10, max_segment_bytes = 2000, max_length_bytes = 3000");
    let mut sim = traced(&text);
    run(&mut sim, 1.3);
    assert_eq!(
        stream(&sim, "s").deleted,
        0,
        "one segment: nothing to delete"
    );
    run(&mut sim, 11.0);
    let st = stream(&sim, "s");
    assert!(
        st.deleted > 0 && st.deleted % 14 == 0,
        "whole segments: {}",
        st.deleted
    );
    assert!(st.segments <= 2);
    assert_eq!(
        metrics(&sim, "s").lost,
        0,
        "a reader that keeps up loses nothing"
    );
}

#[test]
fn stream_retention_keeps_the_newest_segment_even_over_max_length_bytes() {
    let text = lab(10.0, 10.0, &consumer("a", "a", 1.0))
        + &stream_variant("prefetch = 10, max_length_bytes = 500");
    let mut sim = traced(&text);
    run(&mut sim, 11.0);
    let st = stream(&sim, "s");
    assert_eq!((st.segments, st.deleted, st.length), (1, 0, 100));
}

#[test]
fn stream_max_age_deletes_segments_whose_newest_chunk_is_older() {
    let text = lab(20.0, 10.0, &consumer("a", "a", 1.0))
        + &stream_variant("prefetch = 10, max_segment_bytes = 2000, max_age_s = 5.0");
    let mut sim = traced(&text);
    run(&mut sim, 21.0);
    let st = stream(&sim, "s");
    assert!(st.deleted > 0);
    // What is kept goes back at most 5 s plus one segment (1.3 s).
    assert!(st.length <= 64, "kept {}", st.length);
}

#[test]
fn stream_lagging_reader_jumps_to_the_new_log_start() {
    let text = lab(20.0, 10.0, &consumer("slow", "slow", 1000.0))
        + &stream_variant("prefetch = 1, max_segment_bytes = 2000, max_length_bytes = 3000");
    let mut sim = traced(&text);
    run(&mut sim, 21.0);
    let st = stream(&sim, "s");
    let r = &st.readers[0];
    assert!(r.offset.unwrap_or(0) >= st.first_offset);
    let m = metrics(&sim, "s");
    assert!(reason(&m, "retention") > 0, "{:?}", m.lost_by_reason);
}

#[test]
fn stream_survives_broker_restart_even_transient_messages() {
    let text = lab(
        10.0,
        10.0,
        &(consumer("c", "c", 1.0)
            + "[[fault]]\nkind = \"broker-crash\"\nat_s = 5.0\nuntil_s = 6.0\n"),
    ) + &stream_variant("persistent = false, stream_offset = \"first\", prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 5.5);
    // Message 49 (made at 5 s) reaches the broker just after the crash.
    assert_eq!(stream(&sim, "s").length, 49);
    run(&mut sim, 11.0);
    let m = metrics(&sim, "s");
    assert_eq!(reason(&m, "broker-down"), m.lost);
    assert_eq!(m.lost, 10);
    assert_eq!(
        m.duplicates, 49,
        "first: read everything again after the restart"
    );
}

#[test]
fn stream_two_consumers_of_one_group_each_read_everything() {
    let text = lab(
        1.0,
        10.0,
        &(consumer("a1", "a", 1.0) + &consumer("a2", "a", 1.0)),
    ) + &stream_variant("prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let m = metrics(&sim, "s");
    assert_eq!((m.delivered, m.duplicates), (10, 10));
}

#[test]
fn stream_unroutable_topic_without_a_stream_is_returned_with_mandatory() {
    let text = "seed = 7\nduration_s = 1.0\n[[producer]]\nname = \"p\"\n\
        publish = [ { topic = \"t\", rate_per_s = 10.0, arrivals = \"constant\" }, { topic = \"u\", rate_per_s = 10.0, arrivals = \"constant\" } ]\n"
        .to_owned()
        + &consumer("a", "a", 1.0)
        + &stream_variant("prefetch = 10, mandatory = true");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let st = state(&sim, "s");
    assert_eq!((st.exchanges[0].routed, st.exchanges[0].returned), (10, 10));
}

#[test]
fn stream_state_shows_offsets_and_reader_positions() {
    let text = lab(1.0, 10.0, &consumer("a", "a", 1.0)) + &stream_variant("prefetch = 10");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let json = serde_json::to_value(state(&sim, "s")).expect("json");
    let s = &json["rabbit_streams"][0];
    assert_eq!(s["first_offset"], 0);
    assert_eq!(s["next_offset"], 10);
    assert_eq!(s["readers"][0]["offset"], 10);
    assert_eq!(s["readers"][0]["group"], "a");
}

#[test]
fn stream_options_need_queue_type_stream_and_refuse_what_the_server_refuses() {
    let base = lab(1.0, 10.0, &consumer("a", "a", 1.0));
    let bad = |opts: &str| {
        let text = base.clone()
            + "[[variant]]\nname = \"s\"\nshape = \"single-broker\"\nbroker = \"rabbitmq\"\n"
            + &format!("rabbitmq = {{ {opts} }}\n");
        brokerlab::scenario::parse_scenario("t.toml", &text)
            .expect_err(opts)
            .message
    };
    assert!(bad("stream_offset = \"first\"").contains("applies only to queue_type = \"stream\""));
    let m = bad("queue_type = \"stream\", durable = false");
    assert!(
        m.contains("406 PRECONDITION_FAILED - invalid property 'non-durable'"),
        "{m}"
    );
    let m = bad("queue_type = \"stream\", exclusive = true");
    assert!(m.contains("'exclusive-owner'"), "{m}");
    let m = bad("queue_type = \"stream\", prefetch = 0");
    assert!(m.contains("consumer prefetch count is not set"), "{m}");
    let m = bad("queue_type = \"stream\", ack = \"auto\"");
    assert!(
        m.contains("540 NOT_IMPLEMENTED - automatic acknowledgement"),
        "{m}"
    );
    let m = bad("queue_type = \"stream\", max_length = 5");
    assert!(m.contains("invalid arg 'x-max-length'"), "{m}");
    let m = bad("queue_type = \"stream\", stream_offset = \"middle\"");
    assert!(m.contains("timestamp:SECONDS"), "{m}");
    let m = bad("queue_type = \"stream\", max_segment_bytes = 4000000000");
    assert!(m.contains("Exceeded max value"), "{m}");
}

// ------------------------------------------------------------------------ Kafka share groups

#[test]
fn share_one_partition_three_members_all_get_records_each_accepted_once() {
    let text = lab(
        10.0,
        200.0,
        &(consumer("w1", "g", 10.0) + &consumer("w2", "g", 10.0) + &consumer("w3", "g", 10.0)),
    ) + &share_variant("share", "")
        + "[[variant]]\nname = \"classic\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = { partitions = 1, replication = 1 }\n";
    let mut sim = traced(&text);
    run(&mut sim, 15.0);
    for w in ["w1", "w2", "w3"] {
        assert!(!processed(&sim, "share", w).is_empty(), "{w} got nothing");
    }
    let m = metrics(&sim, "share");
    assert_eq!((m.delivered, m.duplicates, m.lost), (2000, 0, 0));
    let c = metrics(&sim, "classic");
    assert!(
        c.pending > 500,
        "one member works one partition: {}",
        c.pending
    );
    assert_eq!(share(&sim, "share").members, ["w1", "w2", "w3"]);
}

/// When b processed message 0 (a took it first and sits on it), with that delivery.
fn first_record_at_b(sim: &Simulation) -> Option<Processing> {
    processed(sim, "share", "b")
        .into_iter()
        .find(|p| p.msg.id.0 == 0)
}

/// a takes record 0 alone at 0.1 s and takes 60 s over it; b joins at 0.5 s and takes the rest.
fn a_sits_on_record_0(extra: &str) -> Simulation {
    let body = consumer("a", "g", 60_000.0) + &add("b", "g", 0.5, 1.0) + extra;
    traced(&(lab(40.0, 10.0, &body) + &share_variant("share", "")))
}

#[test]
fn share_unacknowledged_record_returns_after_the_lock_with_delivery_count_2() {
    let mut sim = a_sits_on_record_0("");
    run(&mut sim, 29.0);
    assert!(first_record_at_b(&sim).is_none());
    run(&mut sim, 31.0);
    let b = first_record_at_b(&sim).expect("b got record 0 when the lock expired");
    assert!(b.redelivered && b.origin.attempt == 2, "{b:?}");
    assert!(b.at >= brokerlab::scenario::secs(30.1));
    run(&mut sim, 62.0);
    assert_eq!(metrics(&sim, "share").duplicates, 1, "a's late processing");
}

#[test]
fn share_record_released_every_time_is_delivered_delivery_limit_times_then_archived() {
    let text = lab(0.1, 10.0, &consumer("a", "g", 1.0))
        + &share_variant(
            "share",
            "share = { ack = \"explicit\", fail_every = 1, fail_ack = \"release\" }",
        );
    let mut sim = traced(&text);
    run(&mut sim, 1.0);
    let m = metrics(&sim, "share");
    assert_eq!(
        (m.lost, reason(&m, "delivery-limit"), m.delivered),
        (1, 1, 0)
    );
    let sp = share(&sim, "share");
    assert_eq!((sp.archived_delivery_limit, sp.spso), (1, 1));
}

#[test]
fn share_reject_archives_at_once() {
    let text = lab(0.1, 10.0, &consumer("a", "g", 1.0))
        + &share_variant(
            "share",
            "share = { ack = \"explicit\", fail_every = 1, fail_ack = \"reject\" }",
        );
    let mut sim = traced(&text);
    run(&mut sim, 0.5);
    let m = metrics(&sim, "share");
    assert_eq!(reason(&m, "consumer-rejected"), 1);
    assert_eq!(share(&sim, "share").archived_rejected, 1);
}

#[test]
fn share_latest_skips_records_before_the_group_started_earliest_does_not() {
    let text = lab(
        10.0,
        10.0,
        &(consumer("a", "a", 1.0) + &add("b", "b", 5.0, 1.0)),
    ) + &share_variant("latest", "")
        + &share_variant("earliest", "share = { auto_offset_reset = \"earliest\" }");
    let mut sim = traced(&text);
    run(&mut sim, 11.0);
    assert_eq!(metrics(&sim, "latest").replayed, 0);
    // b joined as message 49 was made: 0..48 are history.
    assert_eq!(metrics(&sim, "earliest").replayed, 49);
}

#[test]
fn share_spso_waits_for_the_oldest_stuck_record() {
    // a takes record 0 and holds it 20 s; b accepts the others meanwhile.
    let text = lab(
        1.0,
        10.0,
        &(consumer("a", "g", 20_000.0) + &add("b", "g", 0.05, 1.0)),
    ) + &share_variant("share", "share = { auto_offset_reset = \"earliest\" }");
    let mut sim = traced(&text);
    run(&mut sim, 5.0);
    let sp = share(&sim, "share");
    assert_eq!(sp.spso, 0, "record 0 holds it");
    assert_eq!(sp.acknowledged, 9);
    run(&mut sim, 21.0);
    assert_eq!(share(&sim, "share").spso, 10);
}

#[test]
fn share_in_flight_cap_stops_acquisition_at_max_record_locks() {
    let text = lab(1.0, 300.0, &(consumer("a", "g", 10_000.0) + &add("b", "g", 0.002, 1.0)))
        + &share_variant(
            "share",
            "max_poll_records = 1, share = { max_record_locks = 100, auto_offset_reset = \"earliest\" }",
        );
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let sp = share(&sim, "share");
    assert_eq!(sp.in_flight, 100);
    assert_eq!(
        metrics(&sim, "share").delivered,
        99,
        "b accepts up to the cap"
    );
    // a accepts record 0 at 10 s and takes the next one: 99 more, and the cap again.
    run(&mut sim, 12.0);
    assert!(metrics(&sim, "share").delivered >= 199);
    assert_eq!(share(&sim, "share").in_flight, 100);
}

#[test]
fn share_crashed_member_records_are_released_at_once() {
    let mut sim =
        a_sits_on_record_0("[[fault]]\nkind = \"consumer-crash\"\ntarget = \"a\"\nat_s = 1.0\n");
    run(&mut sim, 1.5);
    let b = first_record_at_b(&sim).expect("well before the 30 s lock");
    assert!(b.redelivered);
    assert_eq!(metrics(&sim, "share").lost, 0);
}

#[test]
fn share_link_down_member_records_return_at_lock_expiry() {
    let mut sim =
        a_sits_on_record_0("[[fault]]\nkind = \"link-down\"\ntarget = \"a\"\nat_s = 1.0\n");
    run(&mut sim, 25.0);
    assert!(first_record_at_b(&sim).is_none());
    run(&mut sim, 31.0);
    assert!(first_record_at_b(&sim).is_some());
}

#[test]
fn share_release_on_crash_counts_as_an_attempt_by_default() {
    // a takes the record and crashes five times; b joins at 12 s.
    let crashes: String = (0..5)
        .map(|i| {
            fault(
                "consumer-crash",
                "a",
                1.0 + 2.0 * f64::from(i),
                2.0 + 2.0 * f64::from(i),
            )
        })
        .collect();
    let body = consumer("a", "g", 60_000.0) + &crashes + &add("b", "g", 12.0, 1.0);
    let text = lab(12.0, 10.0, &body)
        + &share_variant("counts", "share = { auto_offset_reset = \"earliest\" }")
        + &share_variant(
            "uncounted",
            "share = { auto_offset_reset = \"earliest\", release_counts_attempt = false }",
        );
    let mut sim = traced(&text);
    run(&mut sim, 14.0);
    // Record 0 was acquired in each of a's five lives: its fifth release archives it. The
    // others came later and were delivered fewer times.
    let m = metrics(&sim, "counts");
    assert_eq!((m.lost, reason(&m, "delivery-limit")), (1, 1));
    assert_eq!(metrics(&sim, "uncounted").lost, 0);
    // a's last batch comes back to b when its lock expires (40 s).
    run(&mut sim, 45.0);
    let u = metrics(&sim, "uncounted");
    assert_eq!((u.lost, u.pending), (0, 0));
}

#[test]
fn share_redeliveries_come_out_of_order() {
    // One key: a's batch, released when it crashes, goes to b after newer records.
    let body = consumer("a", "g", 50.0)
        + &consumer("b", "g", 5.0)
        + &fault("consumer-crash", "a", 2.0, 3.0);
    let text = lab(5.0, 100.0, &body) + &share_variant("share", "");
    let mut sim = traced(&text);
    run(&mut sim, 6.0);
    let m = metrics(&sim, "share");
    assert!(m.out_of_order > 0);
    assert_eq!((m.lost, m.pending), (0, 0));
}

#[test]
fn share_batch_longer_than_the_lock_is_redelivered_to_others() {
    // slow comes back at 1 s and takes the 50 records there at once: 25 s of work on a 15 s
    // lock; b joins at 2 s.
    let body = consumer("slow", "g", 500.0)
        + &fault("consumer-offline", "slow", 0.0, 1.0)
        + &add("b", "g", 2.0, 1.0);
    let text = lab(2.0, 50.0, &body)
        + &share_variant(
            "share",
            "share = { lock_ms = 15000, auto_offset_reset = \"earliest\" }",
        );
    let mut sim = traced(&text);
    run(&mut sim, 60.0);
    let m = metrics(&sim, "share");
    assert!(
        m.duplicates > 0,
        "the slow member finishes what b already did"
    );
    assert_eq!(m.lost, 0);
}

#[test]
fn share_broker_failover_releases_acquired_records() {
    let body = consumer("a", "g", 60_000.0)
        + &add("b", "g", 0.5, 1.0)
        + "[[fault]]\nkind = \"broker-crash\"\ntarget = \"t\"\nat_s = 2.0\n";
    let text = lab(3.0, 10.0, &body)
        + "[[variant]]\nname = \"share\"\nshape = \"central-log\"\nbroker = \"kafka\"\n\
           kafka = { partitions = 1, replication = 3, group_type = \"share\" }\n";
    let mut sim = traced(&text);
    run(&mut sim, 1.9);
    assert!(first_record_at_b(&sim).is_none());
    assert_eq!(share(&sim, "share").acquired, 1, "a's record 0");
    run(&mut sim, 2.5);
    let b = first_record_at_b(&sim).expect("a's record went to b at the failover");
    assert!(b.at < brokerlab::scenario::secs(2.1));
}

#[test]
fn share_retention_archives_unread_records() {
    let text = lab(20.0, 10.0, &consumer("slow", "g", 1000.0))
        + &share_variant(
            "share",
            "retention_s = 2.0, segment_ms = 1000.0, max_poll_records = 1",
        );
    let mut sim = traced(&text);
    run(&mut sim, 21.0);
    let m = metrics(&sim, "share");
    assert!(reason(&m, "retention") > 0, "{:?}", m.lost_by_reason);
    let st = state(&sim, "share");
    assert!(st.share_partitions[0].spso >= st.partitions[0].log_start_offset);
}

#[test]
fn share_options_are_validated() {
    let base = lab(1.0, 10.0, &consumer("a", "a", 1.0));
    let bad = |kafka: &str| {
        let text = base.clone()
            + "[[variant]]\nname = \"k\"\nshape = \"central-log\"\nbroker = \"kafka\"\n"
            + &format!("kafka = {{ {kafka} }}\n");
        brokerlab::scenario::parse_scenario("t.toml", &text)
            .expect_err(kafka)
            .message
    };
    assert!(bad("share = { lock_ms = 20000 }").contains("applies only to group_type"));
    assert!(bad("group_type = \"share\", share = { delivery_limit = 1 }").contains("2 to 10"));
    assert!(bad("group_type = \"share\", share = { lock_ms = 500 }").contains("lock_ms"));
    assert!(bad("group_type = \"share\", share = { max_record_locks = 50 }").contains("100 to"));
    assert!(bad("group_type = \"share\", share = { fail_every = 3 }").contains("explicit"));
    assert!(bad("group_type = \"share\", offset_reset = \"earliest\"")
        .contains("share.auto_offset_reset"));
}

#[test]
fn share_state_reports_spso_speo_and_record_states() {
    let text = lab(1.0, 10.0, &consumer("a", "g", 1.0)) + &share_variant("share", "");
    let mut sim = traced(&text);
    run(&mut sim, 2.0);
    let json = serde_json::to_value(state(&sim, "share")).expect("json");
    let sp = &json["share_partitions"][0];
    assert_eq!(sp["group"], "g");
    assert_eq!(sp["spso"], 10);
    assert_eq!(sp["in_flight"], 0);
    assert_eq!(sp["members"][0], "a");
}
