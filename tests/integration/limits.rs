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

#[test]
fn the_hostile_files_readme_measures_are_refused_or_valid_as_it_says() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| {
        let path = dir.join(p);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{p}: {e}"));
        parse_scenario(p, &text)
    };
    let e = read("tests/hostile/kafka-million-per-s-1000-groups.toml").expect_err("refused");
    assert!(e.message.contains("about 10000000000 deliveries"), "{e}");
    for p in [
        "tests/hostile/kafka-1024-partitions-1000-groups.toml",
        "tests/fuzz/regressions/hostile-duration-10001s.toml",
        "tests/fuzz/regressions/hostile-topic-binding.toml",
    ] {
        read(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    }
}

/// One producer `p` publishing to `t` with `entry` (extra fields of its publish entry), one
/// consumer `c` with `consumer` (extra fields), one Kafka variant with `kafka` options.
fn one(top: &str, entry: &str, consumer: &str, kafka: &str) -> String {
    format!(
        "duration_s = 1.0\n{top}\n[[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = 1.0{entry} }} ]\n\
         [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n{consumer}\n\
         [[variant]]\nname = \"k\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = {{ {kafka} }}\n"
    )
}

/// `at` is accepted; `over` is refused and the message says `says`.
fn edge(what: &str, at: &str, over: &str, says: &str) {
    parse(at).unwrap_or_else(|e| panic!("{what} at the limit: {e}"));
    let e = parse(over).expect_err(what);
    let text = e.to_string();
    assert!(text.contains(says), "{what}: {text}");
}

#[test]
fn every_scalar_limit_accepts_its_edge_and_refuses_just_over() {
    let l = LIMITS;
    let f = |v: f64| format!("{v:?}");
    edge(
        "rate_per_s",
        &one("", "", "", "").replace(
            "rate_per_s = 1.0",
            &format!("rate_per_s = {}", f(l.rate_per_s)),
        ),
        &one("", "", "", "").replace(
            "rate_per_s = 1.0",
            &format!("rate_per_s = {}", f(l.rate_per_s + 1.0)),
        ),
        "rate_per_s is over the limit of 1000000 (got 1000001)",
    );
    edge(
        "latency_ms",
        &one(&format!("latency_ms = {}", f(l.latency_ms)), "", "", ""),
        &one(
            &format!("latency_ms = {}", f(l.latency_ms + 0.001)),
            "",
            "",
            "",
        ),
        "latency_ms is over the limit of 60000 (got 60000.001)",
    );
    edge(
        "service_ms",
        &one("", "", &format!("service_ms = {}", f(l.service_ms)), ""),
        &one(
            "",
            "",
            &format!("service_ms = {}", f(l.service_ms + 0.001)),
            "",
        ),
        "service_ms is over the limit of 3600000 (got 3600000.001)",
    );
    edge(
        "size_bytes",
        &one("", &format!(", size_bytes = {}", l.size_bytes), "", ""),
        &one("", &format!(", size_bytes = {}", l.size_bytes + 1), "", ""),
        "size_bytes is over the limit of 16777216 (got 16777217)",
    );
    edge(
        "partitions",
        &one("", "", "", &format!("partitions = {}", l.partitions)),
        &one("", "", "", &format!("partitions = {}", l.partitions + 1)),
        "kafka.partitions must be 1 to 1024, got 1025",
    );
    edge(
        "replication",
        &one("", "", "", &format!("replication = {}", l.replication)),
        &one("", "", "", &format!("replication = {}", l.replication + 1)),
        "kafka.replication must be 1 to 7, got 8",
    );
    edge(
        "keys",
        &one("", &format!(", keys = {}", l.keys_total), "", ""),
        &one("", &format!(", keys = {}", l.keys_total + 1), "", ""),
        "keys is over the limit of 1000000 (got 1000001)",
    );
}

/// Line and column (from 1) where `needle` starts in `text`.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the text"));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (text[..at].matches('\n').count() + 1, at - line_start + 1)
}

#[test]
fn limits_that_add_up_over_a_file_are_refused_where_they_go_over() {
    let l = LIMITS;
    // Nodes: p0 and c0.. are names 1, 2, ...: c1999 is the 2,001st.
    let text = fan(1.0, 1.0, 1, l.nodes, "") + KAFKA;
    let e = parse(&text).expect_err("2,001 nodes");
    assert!(e.message.contains("over the limit of 2000"), "{e}");
    assert_eq!((e.line, e.col), place_of(&text, "\"c1999\""), "{e}");
    // Topics: the 1,001st name a producer publishes to.
    let entries: Vec<String> = (0..=l.topics)
        .map(|i| format!("{{ topic = \"t{i}\", rate_per_s = 0.001 }}"))
        .collect();
    let text = format!(
        "duration_s = 1.0\n[[producer]]\nname = \"p\"\npublish = [\n{}\n]\n\
         [[consumer]]\nname = \"c\"\nsubscribe = [\"t0\"]\n{KAFKA}",
        entries.join(",\n")
    );
    let e = parse(&text).expect_err("1,001 topics");
    assert!(e.message.contains("topics is over the limit"), "{e}");
    assert_eq!((e.line, e.col), place_of(&text, "\"t1000\""), "{e}");
    // Key slots in all: two entries whose keys add up to the limit, then one more.
    let two = |second: u64| {
        format!(
            "duration_s = 1.0\n[[producer]]\nname = \"p\"\npublish = [\n\
             {{ topic = \"t\", rate_per_s = 1.0, keys = 500000 }},\n\
             {{ topic = \"t\", rate_per_s = 1.0, keys = {second} }} ]\n\
             [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n{KAFKA}"
        )
    };
    parse(&two(l.keys_total - 500_000)).unwrap_or_else(|e| panic!("{e}"));
    let text = two(l.keys_total - 500_000 + 1);
    let e = parse(&text).expect_err("1,000,001 keys in all");
    assert!(e.message.contains("keys in all"), "{e}");
    assert_eq!((e.line, e.col), place_of(&text, "500001"), "{e}");
    // A name of 100 characters (Hangul: 300 bytes) is a name; 101 is over.
    let named = |n: usize| {
        one("", "", "", "").replacen("name = \"c\"", &format!("name = \"{}\"", "가".repeat(n)), 1)
    };
    assert!(
        named(100).contains(&"가".repeat(100)),
        "the consumer is renamed"
    );
    parse(&named(100)).unwrap_or_else(|e| panic!("{e}"));
    let e = parse(&named(101)).expect_err("101 characters");
    assert!(
        e.message.contains("over the limit of 100 characters"),
        "{e}"
    );
    // `*` is no name: in a parameter path it is every one (`consumer.*.service_ms`).
    let star = one("", "", "", "").replacen("name = \"c\"", "name = \"*\"", 1);
    let e = parse(&star).expect_err("a consumer named *");
    assert_eq!(
        e.message,
        "consumer name must not be `*`: in parameter paths `*` means every one"
    );
    assert_eq!((e.line, e.col), place_of(&star, "\"*\""), "{e}");
    parse(&one("", "", "", "").replacen("name = \"c\"", "name = \"c*\"", 1))
        .unwrap_or_else(|e| panic!("{e}"));
    // Nor can a name hold `=`: `--set consumer.a=b.service_ms=2` reads as the path consumer.a.
    let eq = one("", "", "", "").replacen("name = \"c\"", "name = \"a=b\"", 1);
    let e = parse(&eq).expect_err("a consumer named a=b");
    assert!(
        e.message.starts_with("consumer name must not contain `=`"),
        "{e}"
    );
    assert_eq!((e.line, e.col), place_of(&eq, "\"a=b\""), "{e}");
}

#[test]
fn a_lessons_sweeps_their_runs_and_seeds_at_their_edges() {
    // `sweeps` sweeps of scale.rate over `values` values with `seeds` seeds each.
    let lesson = |sweeps: usize, values: usize, seeds: u64| {
        let mut t = fan(1.0, 1.0, 1, 1, "") + "[[variant]]\nname = \"d\"\nshape = \"direct\"\n";
        for i in 0..sweeps {
            let _ = write!(
                t,
                "[[sweep]]\nname = \"s{i}\"\nparams = [\"scale.rate=1..{values}\"]\n\
                 metric = \"delivered\"\nseeds = {seeds}\nduration_s = 0.1\n"
            );
        }
        t
    };
    let check =
        |text: &str| brokerlab::lesson::parse("lesson.toml", text).map_err(|d| d.to_string());
    check(&lesson(20, 1, 1)).unwrap_or_else(|e| panic!("20 sweeps: {e}"));
    let e = check(&lesson(21, 1, 1)).expect_err("21 sweeps");
    assert!(e.contains("more than 20 sweeps"), "{e}");
    // Runs: 400 points of one seed, then 401; 4 points of 100 seeds, then 101 seeds.
    check(&lesson(1, 400, 1)).unwrap_or_else(|e| panic!("400 runs: {e}"));
    let e = check(&lesson(1, 401, 1)).expect_err("401 runs");
    assert!(e.contains("401 points x 1 seed is 401 runs"), "{e}");
    check(&lesson(1, 4, 100)).unwrap_or_else(|e| panic!("100 seeds: {e}"));
    let e = check(&lesson(1, 1, 101)).expect_err("101 seeds");
    assert!(
        e.contains("seeds") && e.contains("100") && e.contains("101"),
        "{e}"
    );
}

#[test]
fn a_step_shows_five_variants_and_not_six() {
    let six = std::fs::read_to_string("tests/malformed/step-show-six-variants.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let five = six.replace(", \"v5\"]", "]");
    assert_ne!(five, six);
    brokerlab::lesson::parse("five.toml", &five).unwrap_or_else(|d| panic!("{d}"));
    let d = brokerlab::lesson::parse("six.toml", &six).expect_err("six");
    assert!(
        d.to_string().contains("a step shows at most 5 variants"),
        "{d}"
    );
}

#[test]
fn every_count_limit_accepts_its_edge_and_refuses_just_over() {
    let l = LIMITS;
    // Producers and consumers: `n` nodes in all (one producer, n-1 consumers).
    let nodes = |n: usize| fan(1.0, 1.0, 1, n - 1, "") + KAFKA;
    edge(
        "nodes",
        &nodes(l.nodes),
        &nodes(l.nodes + 1),
        "over the limit of 2000",
    );
    // At the edge the topology is built and laid out (the ordering must not take hours).
    let s = parse(&nodes(l.nodes)).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(s);
    sim.run_until(secs(1.0));
    assert!(
        sim.variants[0].topology.graph.node_count() > l.nodes,
        "and a broker, a log"
    );
    // Topics: one producer publishing to n topics, one consumer of the first.
    let topics = |n: usize| {
        let entries: Vec<String> = (0..n)
            .map(|i| format!("{{ topic = \"t{i}\", rate_per_s = 0.001 }}"))
            .collect();
        format!(
            "duration_s = 1.0\n[[producer]]\nname = \"p\"\npublish = [ {} ]\n\
             [[consumer]]\nname = \"c\"\nsubscribe = [\"t0\"]\n{KAFKA}",
            entries.join(", ")
        )
    };
    edge(
        "topics",
        &topics(l.topics),
        &topics(l.topics + 1),
        "topics is over the limit",
    );
    // Publish entries: n entries of one topic, spread over as many producers as the node
    // limit allows.
    let streams = |n: usize| {
        let mut t = String::from("duration_s = 1.0\n");
        let per = n.div_ceil(l.nodes - 1);
        let mut left = n;
        let mut i = 0;
        while left > 0 {
            let k = per.min(left);
            let e = vec!["{ topic = \"t\", rate_per_s = 0.001 }"; k].join(", ");
            let _ = write!(t, "[[producer]]\nname = \"p{i}\"\npublish = [ {e} ]\n");
            left -= k;
            i += 1;
        }
        t + "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n" + KAFKA
    };
    edge(
        "publish streams",
        &streams(l.publish_streams),
        &streams(l.publish_streams + 1),
        "more than 10000 publish entries",
    );
    let variants = |n: usize| {
        let mut t = fan(1.0, 1.0, 1, 1, "");
        for i in 0..n {
            let _ = write!(t, "[[variant]]\nname = \"v{i}\"\nshape = \"direct\"\n");
        }
        t
    };
    edge(
        "variants",
        &variants(l.variants),
        &variants(l.variants + 1),
        "more than 8 variants",
    );
    let faults = |n: usize| {
        let mut t = fan(1.0, 1.0, 1, 1, "") + KAFKA;
        for i in 0..n {
            let _ = write!(
                t,
                "[[fault]]\nkind = \"consumer-crash\"\ntarget = \"c0\"\nat_s = {}\n",
                i as f64 / n as f64
            );
        }
        t
    };
    edge(
        "faults",
        &faults(l.faults),
        &faults(l.faults + 1),
        "more than 1000 faults",
    );
    let steps = |n: usize| {
        let mut t = fan(1.0, 1.0, 1, 1, "") + KAFKA;
        for i in 0..n {
            let _ = write!(
                t,
                "[[step]]\ntitle = \"s{i}\"\ntext = \"t\"\nrun_to_s = 1.0\n"
            );
        }
        t
    };
    edge(
        "steps",
        &steps(l.steps),
        &steps(l.steps + 1),
        "more than 100 steps",
    );
    // Knobs in a step's set: consumers c0..c{n-1}, the step sets each one's service time.
    let knobs = |n: usize| {
        let set: Vec<String> = (0..n)
            .map(|g| format!("\"consumer.c{g}.service_ms\" = 2.0"))
            .collect();
        fan(1.0, 1.0, 1, n, "")
            + KAFKA
            + &format!(
                "[[step]]\ntitle = \"s\"\nrun_to_s = 1.0\nset = {{ {} }}\n",
                set.join(", ")
            )
    };
    edge(
        "knobs in a step",
        &knobs(l.step_knobs),
        &knobs(l.step_knobs + 1),
        "more than 64 knobs in a step's set",
    );
    // At the edge the knobs apply and the step runs.
    let at = brokerlab::lesson::parse("limits.toml", &knobs(l.step_knobs))
        .unwrap_or_else(|e| panic!("{e}"));
    let outcomes = brokerlab::lesson::check(at.clone());
    assert!(outcomes.is_empty(), "the step expects nothing");
    let knobbed = brokerlab::lesson::step_scenario(&at, 0).unwrap_or_else(|e| panic!("{e}"));
    assert!(knobbed.consumers.iter().all(|c| c.service == secs(0.002)));
}

#[test]
fn a_file_is_read_up_to_the_size_limit_and_refused_over_it() {
    let dir = std::env::temp_dir().join(format!("brokerlab-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A valid scenario padded with a comment to exactly the limit, then one byte more.
    let base = "duration_s = 1.0\n[[producer]]\nname = \"p\"\npublish = [ { topic = \"t\", rate_per_s = 1.0 } ]\n[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n[[variant]]\nname = \"d\"\nshape = \"direct\"\n#";
    let limit = usize::try_from(LIMITS.file_bytes).expect("fits");
    let mut text = base.to_owned();
    text.push_str(&"x".repeat(limit - base.len() - 1));
    text.push('\n');
    assert_eq!(text.len(), limit);
    let at = dir.join("edge.toml");
    std::fs::write(&at, &text).expect("write");
    let s = Scenario::load(&at).unwrap_or_else(|e| panic!("at the limit: {e}"));
    assert_eq!(s.producers.len(), 1);
    text.push('\n');
    let over = dir.join("over.toml");
    std::fs::write(&over, &text).expect("write");
    let e = Scenario::load(&over).expect_err("one byte over");
    assert!(
        e.to_string()
            .contains("over.toml:1:1: the file is over the limit of 16777216 bytes (16 MiB)"),
        "{e}"
    );
    // A file that never ends is refused too, not read into memory.
    let e = Scenario::load(std::path::Path::new("/dev/zero")).expect_err("endless");
    assert!(e.to_string().contains("over the limit"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn timer_work_is_accepted_up_to_the_limit_and_refused_over_it() {
    let says = "timer events; the limit is 100000000";
    // Kafka: an auto-commit every 1 ms, and a retention check of 3 partitions every 300 s.
    let kafka = |d: f64| fan(1.0, d, 1, 1, "") + KAFKA + "kafka = { auto_commit_ms = 1.0 }\n";
    // 99,990,000 commits + 999.9 partition checks; 100,000,000 + 1,000.
    edge(
        "kafka auto-commits",
        &kafka(99_990.0),
        &kafka(100_000.0),
        says,
    );
    let e = parse(&kafka(100_000.0)).expect_err("over");
    assert!(
        e.message
            .contains("auto-commits every 1 ms and retention checks every 300 s"),
        "{e}"
    );
    // Retention checks of 1,024 partitions every 0.1 s (retention 1 s): 10,240 partitions
    // looked at a second, 999,997,440 over 97,656 s (the limit is 10^9 partition checks).
    let kafka_for = |d: f64, options: &str| {
        fan(1.0, d, 1, 1, "") + KAFKA + &format!("kafka = {{ {options} }}\n")
    };
    let checks = |d| {
        kafka_for(
            d,
            "partitions = 1024, retention_s = 1.0, segment_ms = 100.0",
        )
    };
    edge(
        "kafka retention checks",
        &checks(97_656.0),
        &checks(97_657.0),
        "partition checks; the limit is 1000000000",
    );
    // The ticks themselves: retention 0.001 s is a check every 0.1 ms, 10^8 of them in 10,000 s.
    let ticks = |d| kafka_for(d, "partitions = 1, retention_s = 0.001, segment_ms = 1.0");
    edge(
        "kafka retention ticks",
        &ticks(9_990.0),
        &ticks(10_000.0),
        says,
    );
    // Direct retries: up to 65,535 for each delivery, 15 or 16 a second for 100 s.
    let direct = |rate: f64| {
        fan(rate, 100.0, 1, 1, "")
            + "[[variant]]\nname = \"d\"\nshape = \"direct\"\n\
               direct = { retry = true, retry_ms = 1.0, max_retries = 65535 }\n"
    };
    edge("direct retries", &direct(15.0), &direct(16.0), says);
    // Redis streams: an autoclaim every 1 ms for each of 2 stream groups.
    let streams = |d: f64| {
        fan(1.0, d, 1, 2, "")
            + "[[variant]]\nname = \"s\"\nshape = \"single-broker\"\nbroker = \"redis-stream\"\n\
               redis = { min_idle_ms = 100.0, autoclaim_every_ms = 1.0 }\n"
    };
    // 2,001 events a second: two groups' autoclaims every 1 ms and the server's save check.
    edge(
        "redis autoclaims",
        &streams(49_975.0),
        &streams(49_976.0),
        says,
    );
    // Redis streams' save checks: once a second on each server, a server a topic here.
    let saves = |topics: usize| {
        fan(0.001, 10_000_000.0, topics, 1, "")
            + "[[variant]]\nname = \"s\"\nshape = \"broker-per-topic\"\nbroker = \"redis-stream\"\n"
    };
    edge("redis save checks", &saves(10), &saves(11), says);
}

#[test]
fn a_file_of_many_problems_is_answered_with_the_first_ones_at_once() {
    // Each problem used to be placed by a pass over the text before it: quadratic, minutes in
    // a debug build for files like these.
    let mut unknown = String::new();
    for i in 0..20_000 {
        let _ = writeln!(unknown, "unknown{i} = 1");
    }
    unknown.push_str(&(fan(1.0, 1.0, 1, 1, "") + KAFKA));
    let e = Scenario::parse("unknown.toml", &unknown).expect_err("bad");
    let shown = e.to_string();
    assert!(
        shown.starts_with("unknown.toml:1:1: unknown field `unknown0`"),
        "{shown}"
    );
    assert!(
        shown.contains("unknown.toml:10:1: unknown field `unknown9`"),
        "{shown}"
    );
    assert!(shown.contains("stopped after 10 problems"), "{shown}");
    // 20,000 producers with a bad rate, found by validation.
    let mut rates = fan(1.0, 1.0, 1, 1, "") + KAFKA;
    let first = rates.lines().count() + 3;
    for i in 0..20_000 {
        let _ = write!(
            rates,
            "[[producer]]\nname = \"x{i}\"\npublish = [ {{ topic = \"t0\", rate_per_s = -1.0 }} ]\n"
        );
    }
    let e = Scenario::parse("rates.toml", &rates).expect_err("bad");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("rates.toml:{first}:")),
        "{shown}"
    );
    assert!(shown.contains("rate_per_s"), "{shown}");
    assert!(shown.contains("stopped after 10 problems"), "{shown}");
}
