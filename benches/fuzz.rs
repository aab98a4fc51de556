//! Fuzzing, on stable Rust: random scenario files, made two ways, against the parser and the
//! engine, for a time budget.
//!
//! ```text
//!   cargo bench --no-default-features --bench fuzz                    60 s (what CI runs)
//!   cargo bench --no-default-features --bench fuzz -- --seconds 3600 --seed 7
//! ```
//!
//! * Parse inputs: the shipped scenarios and lessons with byte-level mutations (bytes flipped,
//!   ranges cut or doubled, lines swapped, numbers and names replaced by hostile ones), and
//!   scenarios written from a grammar of the format with values inside and outside the limits.
//!   Each is parsed and validated: an error is fine, a panic or a hang is not.
//! * Simulations: valid scenarios from the grammar (every shape, broker, fault and option, short
//!   and small), run to the end with the ledger audited against what every model holds eight
//!   times on the way (conservation included).
//!
//! A failing input is written to `tests/fuzz/regressions/` (a panic, a failed audit, or an
//! input no step of which finished within 20 s) and the run exits 1; `cargo test` replays every
//! file there. Runs are deterministic for a seed.

use brokerlab::builtin::{LESSONS, SCENARIOS};
use brokerlab::scenario::secs;
use brokerlab::sim::Simulation;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HOSTILE_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0.0",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "1e-300",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999",
    "10000001",
    "1000000.5",
    "1e7",
    "0.0000001",
];
const HOSTILE_STRINGS: &[&str] = &[
    "\"\"",
    "\"#.#.#.#.#.#.#.#.#.#.#.#.#.#.b\"",
    "\"*\"",
    "\"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y\"",
    "\"\\u0000\"",
    "\"유실\"",
    "\"direct\"",
    "\"kafka\"",
    "\"broker-crash\"",
    "\"$\"",
    "\"0\"",
];

struct Args {
    seconds: f64,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        seconds: 60.0,
        seed: 1,
    };
    let v: Vec<String> = std::env::args().collect();
    for w in v.windows(2) {
        match w[0].as_str() {
            "--seconds" => a.seconds = w[1].parse().unwrap_or(a.seconds),
            "--seed" => a.seed = w[1].parse().unwrap_or(a.seed),
            _ => {}
        }
    }
    a
}

/// One mutation of `text`.
fn mutate_once(text: &mut String, rng: &mut ChaCha8Rng) {
    let len = text.len();
    let at = |rng: &mut ChaCha8Rng| {
        let mut i = rng.random_range(0..=len);
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match rng.random_range(0..8) {
        0 if len > 0 => {
            let (a, b) = (at(rng), at(rng));
            text.replace_range(a.min(b)..a.max(b), "");
        }
        1 => {
            let i = at(rng);
            let junk = [
                "[", "]", "{", "}", "=", "\"", ",", "\n", "[[", "é", "\u{0}", "#", "'''",
            ];
            text.insert_str(i, junk[rng.random_range(0..junk.len())]);
        }
        2 | 3 => replace_token(text, rng, HOSTILE_NUMBERS, |c| c.is_ascii_digit()),
        4 => replace_token(text, rng, HOSTILE_STRINGS, |c| c == '"'),
        5 => {
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() > 2 {
                let (a, b) = (
                    rng.random_range(0..lines.len()),
                    rng.random_range(0..lines.len()),
                );
                let mut l: Vec<&str> = lines.clone();
                l.swap(a, b);
                *text = l.join("\n");
            }
        }
        6 => {
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if !lines.is_empty() {
                let i = rng.random_range(0..lines.len());
                let mut l = lines.clone();
                l.insert(i, lines[i].clone());
                *text = l.join("\n");
            }
        }
        _ => {
            let i = at(rng);
            text.truncate(i);
        }
    }
}

/// Replace the token starting at a random position that `starts` accepts.
fn replace_token(text: &mut String, rng: &mut ChaCha8Rng, with: &[&str], starts: fn(char) -> bool) {
    let starts_at: Vec<usize> = text
        .char_indices()
        .filter(|&(_, c)| starts(c))
        .map(|(i, _)| i)
        .collect();
    if starts_at.is_empty() {
        return;
    }
    let a = starts_at[rng.random_range(0..starts_at.len())];
    let rest = &text[a..];
    let end = if let Some(inside) = rest.strip_prefix('"') {
        // The whole string, closing quote included.
        inside.find('"').map_or(text.len(), |i| a + 1 + i + 1)
    } else {
        rest.char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'))
            .map_or(text.len(), |(i, _)| a + i)
    };
    text.replace_range(a..end, with[rng.random_range(0..with.len())]);
}

fn pick<'a>(rng: &mut ChaCha8Rng, v: &[&'a str]) -> &'a str {
    v[rng.random_range(0..v.len())]
}

/// A scenario from the format's grammar: `small` keeps it quick to run (and valid), else values
/// range up to and past the limits.
#[allow(clippy::too_many_lines)]
fn generate(rng: &mut ChaCha8Rng, small: bool) -> String {
    let topics = rng.random_range(1..=4usize);
    let (np, nc) = (rng.random_range(1..=4usize), rng.random_range(1..=5usize));
    let duration = if small {
        rng.random_range(1.0..6.0f64)
    } else {
        f64::from(
            pick(
                rng,
                &["1.0", "60.0", "10001.0", "10000000.0", "1e7", "0.001"],
            )
            .parse::<f32>()
            .unwrap_or(1.0),
        )
    };
    let mut t = format!(
        "seed = {}\nduration_s = {duration}\nlatency_ms = {}\n",
        rng.random_range(0..1000u32),
        pick(rng, &["0.0", "1.0", "5.0", "50.0", "60000.0"])
    );
    for i in 0..np {
        let rate = if small {
            f64::from(rng.random_range(1..800u32))
        } else {
            pick(rng, &["1.0", "100.0", "1000000.0", "999999.9", "0.001"])
                .parse()
                .unwrap_or(1.0)
        };
        let a = rng.random_range(0..topics);
        let _ = write!(
            t,
            "[[producer]]\nname = \"p{i}\"\npublish = [ {{ topic = \"t{a}\", rate_per_s = {rate}, keys = {}, size_bytes = {}, arrivals = \"{}\" }}, {{ topic = \"t{}\", rate_per_s = {} }} ]\n",
            pick(rng, &["0", "1", "4", "16", "1000"]),
            pick(rng, &["1", "10", "200", "5000", "16777216"]),
            pick(rng, &["poisson", "constant"]),
            (a + 1) % topics,
            rate / 2.0
        );
    }
    for i in 0..nc {
        let hash = if i == 1 { ", \"#\"" } else { "" };
        let _ = write!(
            t,
            "[[consumer]]\nname = \"c{i}\"\nsubscribe = [\"t{}\", \"t{}\"{hash}]\ngroup = \"g{}\"\nservice_ms = {}\nservice_dist = \"{}\"\n",
            rng.random_range(0..topics),
            rng.random_range(0..topics),
            rng.random_range(0..3u32),
            pick(rng, &["0.0", "0.1", "1.0", "5.0", "20.0"]),
            pick(rng, &["fixed", "exponential"])
        );
    }
    // A broker-crash target must be a topic someone publishes to: p0's first.
    let first_topic = t
        .split("topic = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("t0")
        .to_owned();
    faults(&mut t, rng, duration, np, nc, &first_topic);
    variants(&mut t, rng);
    t
}

fn faults(t: &mut String, rng: &mut ChaCha8Rng, duration: f64, np: usize, nc: usize, topic: &str) {
    let kinds = [
        "consumer-offline",
        "consumer-crash",
        "consumer-slow",
        "link-down",
        "broker-crash",
        "add-consumer",
    ];
    for i in 0..rng.random_range(0..6usize) {
        let kind = pick(rng, &kinds);
        let at = rng.random_range(0.0..duration);
        let len = rng.random_range(0.01..duration.max(0.02));
        let target = match kind {
            "broker-crash" if rng.random_bool(0.5) => String::new(),
            "broker-crash" => format!("target = \"{topic}\"\n"),
            "link-down" if rng.random_bool(0.5) => {
                format!("target = \"p{}\"\n", rng.random_range(0..np))
            }
            "add-consumer" => String::new(),
            _ => format!("target = \"c{}\"\n", rng.random_range(0..nc)),
        };
        let until = if kind == "add-consumer" || rng.random_bool(0.2) {
            String::new()
        } else {
            format!("until_s = {}\n", at + len)
        };
        let extra = if kind == "add-consumer" {
            format!(
                "consumer = {{ name = \"added{i}\", subscribe = [\"t0\"], group = \"g{}\" }}\n",
                i % 4
            )
        } else if kind == "consumer-slow" {
            format!(
                "factor = {}\n",
                pick(rng, &["1.0", "2.0", "100.0", "10000.0"])
            )
        } else {
            String::new()
        };
        let _ = write!(
            t,
            "[[fault]]\nkind = \"{kind}\"\n{target}at_s = {at}\n{until}{extra}"
        );
    }
}

fn variants(t: &mut String, rng: &mut ChaCha8Rng) {
    let b = |rng: &mut ChaCha8Rng| pick(rng, &["true", "false"]);
    let quorum = rng.random_bool(0.3);
    let durable = if quorum { "true" } else { b(rng) };
    let rabbit_shape = pick(rng, &["single-broker", "broker-per-topic"]);
    // A topic exchange routes within one broker (the file's rule).
    let exchange = if rabbit_shape == "single-broker" {
        pick(rng, &["fanout", "direct", "topic"])
    } else {
        pick(rng, &["fanout", "direct"])
    };
    let _ = write!(
        t,
        "[[variant]]\nname = \"direct\"\nshape = \"direct\"\ndirect = {{ retry = {}, retry_ms = 300.0, max_retries = {} }}\n\
         [[variant]]\nname = \"channel\"\nshape = \"channel\"\nchannel = {{ capacity = {} }}\n\
         [[variant]]\nname = \"redis\"\nshape = \"{}\"\nbroker = \"redis-pubsub\"\nredis = {{ pubsub_hard_mb = {}, pubsub_soft_mb = 0.01, pubsub_soft_s = 1.0, reconnect_ms = 500.0 }}\n",
        b(rng),
        pick(rng, &["0", "5", "65535"]),
        pick(rng, &["0", "1", "10", "1000"]),
        pick(rng, &["single-broker", "broker-per-topic"]),
        pick(rng, &["0.0", "0.05", "32.0"]),
    );
    let _ = write!(
        t,
        "[[variant]]\nname = \"rabbit\"\nshape = \"{rabbit_shape}\"\nbroker = \"rabbitmq\"\nrabbitmq = {{ durable = {durable}, persistent = {}, ack = \"{}\", prefetch = {}, exclusive = {}, max_length = {}, overflow = \"{}\", queue_type = \"{}\", mandatory = {}, exchange = \"{exchange}\" }}\n",
        b(rng),
        pick(rng, &["manual", "auto"]),
        pick(rng, &["0", "1", "10", "100"]),
        if quorum { "false" } else { b(rng) },
        pick(rng, &["0", "5", "100"]),
        pick(rng, &["drop-head", "reject-publish"]),
        if quorum { "quorum" } else { "classic" },
        b(rng),
    );
    let _ = write!(
        t,
        "[[variant]]\nname = \"kafka\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = {{ partitions = {}, replication = {}, acks = \"{}\", offset_reset = \"{}\", retention_s = {}, auto_commit_ms = 700.0, session_timeout_ms = 1500.0, max_poll_records = {}, max_poll_interval_ms = {}, segment_ms = {}, segment_bytes = {}, retention_bytes = {} }}\n",
        pick(rng, &["1", "3", "8", "1024"]),
        pick(rng, &["1", "2", "3", "7"]),
        pick(rng, &["0", "1", "all"]),
        pick(rng, &["earliest", "latest"]),
        pick(rng, &["3.0", "604800.0", "0.001"]),
        pick(rng, &["1", "10", "500"]),
        pick(rng, &["1000.0", "300000.0"]),
        pick(rng, &["604800000.0", "500.0", "1.0"]),
        pick(rng, &["14", "2000", "1073741824"]),
        pick(rng, &["-1", "5000", "1"]),
    );
    let _ = write!(
        t,
        "[[variant]]\nname = \"stream\"\nshape = \"{}\"\nbroker = \"redis-stream\"\nredis = {{ maxlen = {}, noack = {}, group_start = \"{}\", min_idle_ms = {}, autoclaim_every_ms = 200.0, read_count = {}, read_history = {}, {} }}\n",
        pick(rng, &["single-broker", "broker-per-topic", "central-log"]),
        pick(rng, &["0", "5", "1000"]),
        b(rng),
        pick(rng, &["0", "$"]),
        pick(rng, &["0.0", "300.0"]),
        pick(rng, &["1", "10"]),
        b(rng),
        pick(rng, &["save = [[1, 1]]", "save = []", "appendonly = true"]),
    );
    modern_variants(t, rng, &exchange_for_stream(rabbit_shape, exchange));
}

/// A stream behind the same exchange as the queues (a topic exchange needs one broker).
fn exchange_for_stream(shape: &str, exchange: &str) -> String {
    format!("shape = \"{shape}\"\nbroker = \"rabbitmq\"\nrabbitmq = {{ exchange = \"{exchange}\", ")
}

/// A RabbitMQ stream and Kafka share groups, with random options.
fn modern_variants(t: &mut String, rng: &mut ChaCha8Rng, head: &str) {
    let explicit = rng.random_bool(0.5);
    let ack = if explicit {
        format!(
            "ack = \"explicit\", fail_every = {}, fail_ack = \"{}\"",
            pick(rng, &["0", "1", "3", "50"]),
            pick(rng, &["release", "reject"])
        )
    } else {
        "ack = \"implicit\"".to_owned()
    };
    let _ = write!(
        t,
        "[[variant]]\nname = \"rabbit-stream\"\n{head}queue_type = \"stream\", stream_offset = {}, prefetch = {}, max_segment_bytes = {}, max_length_bytes = {}, max_age_s = {} }}\n\
         [[variant]]\nname = \"share\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = {{ partitions = {}, replication = {}, retention_s = {}, session_timeout_ms = 1500.0, max_poll_records = {}, segment_bytes = 2000, group_type = \"share\", share = {{ lock_ms = {}, delivery_limit = {}, max_record_locks = {}, release_counts_attempt = {}, auto_offset_reset = \"{}\", {ack} }} }}\n",
        pick(rng, &["\"next\"", "\"first\"", "\"last\"", "0", "7", "\"timestamp:1.5\""]),
        pick(rng, &["1", "10", "1000"]),
        pick(rng, &["1", "1500", "500000000"]),
        pick(rng, &["0", "1", "3000"]),
        pick(rng, &["0.0", "0.5", "3.0"]),
        pick(rng, &["1", "3", "8"]),
        pick(rng, &["1", "2", "3"]),
        pick(rng, &["3.0", "604800.0"]),
        pick(rng, &["1", "10", "500"]),
        pick(rng, &["1000.0", "30000.0"]),
        pick(rng, &["2", "5", "10"]),
        pick(rng, &["100", "2000"]),
        pick(rng, &["true", "false"]),
        pick(rng, &["earliest", "latest"]),
    );
}

/// Why an input failed, if it did.
fn check_parse(text: &str) -> Result<bool, String> {
    catch_unwind(AssertUnwindSafe(|| {
        brokerlab::lesson::parse("fuzz.toml", text).is_ok()
    }))
    .map_err(|p| panic_message(&*p))
}

fn check_run(text: &str) -> Result<u64, String> {
    let s = brokerlab::lesson::parse("fuzz.toml", text).map_err(|e| format!("not valid: {e}"))?;
    catch_unwind(AssertUnwindSafe(|| {
        let end = s.duration.min(secs(10.0));
        let mut sim = Simulation::new(s);
        for k in 1..=8u64 {
            sim.run_until(end * k / 8);
            sim.audit().map_err(|e| format!("audit at {k}/8: {e}"))?;
        }
        Ok(sim.events())
    }))
    .map_err(|p| panic_message(&*p))?
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .map_or_else(|| "panic".to_owned(), |m| format!("panic: {m}"))
}

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions")
}

/// Keep a failing input as a regression file and stop.
fn fail(kind: &str, text: &str, why: &str) -> ! {
    let dir = regressions_dir();
    let _ = std::fs::create_dir_all(&dir);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let path = dir.join(format!("{kind}-{h:016x}.toml"));
    let body = format!("# fuzz: {kind}: {}\n{text}", why.replace('\n', " "));
    let _ = std::fs::write(&path, body);
    eprintln!("FAILED ({kind}): {why}\nkept as {}", path.display());
    std::process::exit(1);
}

/// Aborts the run (keeping the input) if no input finishes within 20 s.
fn watchdog(progress: Arc<AtomicU64>, current: Arc<Mutex<(String, String)>>) {
    std::thread::spawn(move || {
        let mut last = u64::MAX;
        loop {
            std::thread::sleep(Duration::from_secs(20));
            let now = progress.load(Ordering::Relaxed);
            if now == last {
                let (kind, text) = current.lock().map(|c| c.clone()).unwrap_or_default();
                fail(&format!("hang-{kind}"), &text, "no progress in 20 s");
            }
            last = now;
        }
    });
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let a = args();
    let seeds: Vec<&str> = SCENARIOS.iter().chain(LESSONS).map(|(_, t)| *t).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let progress = Arc::new(AtomicU64::new(0));
    let current = Arc::new(Mutex::new((String::new(), String::new())));
    watchdog(Arc::clone(&progress), Arc::clone(&current));
    let set = |kind: &str, text: &str| {
        if let Ok(mut c) = current.lock() {
            *c = (kind.to_owned(), text.to_owned());
        }
    };
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let (mut parsed, mut valid, mut sims, mut events) = (0u64, 0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        for _ in 0..200 {
            let text = if rng.random_bool(0.5) {
                let mut t = seeds[rng.random_range(0..seeds.len())].to_owned();
                for _ in 0..rng.random_range(1..=4) {
                    mutate_once(&mut t, &mut rng);
                }
                t
            } else {
                generate(&mut rng, false)
            };
            set("parse", &text);
            match check_parse(&text) {
                Ok(ok) => valid += u64::from(ok),
                Err(why) => fail("parse", &text, &why),
            }
            parsed += 1;
            progress.fetch_add(1, Ordering::Relaxed);
        }
        let text = generate(&mut rng, true);
        set("run", &text);
        match check_run(&text) {
            Ok(n) => events += n,
            Err(why) => fail("run", &text, &why),
        }
        sims += 1;
        progress.fetch_add(1, Ordering::Relaxed);
    }
    println!(
        "fuzz: seed {}, {:.0} s: {parsed} parse inputs ({valid} valid), {sims} simulations \
         audited ({events} events), 0 failures",
        a.seed, a.seconds
    );
}
