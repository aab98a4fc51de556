//! Engine throughput: simulated events per second, single-threaded, in release.
//!
//! ```text
//!   cargo bench --bench engine                 every case, then allocations (valgrind)
//!   cargo bench --bench engine -- big          only cases whose name contains "big"
//!   ENGINE_BENCH_REPS=3 ENGINE_BENCH_ALLOC=0 ENGINE_BENCH_PROBE=0 cargo bench --bench engine
//!                         (runs per case; skip the valgrind allocation count; skip the probe)
//!   cargo bench --bench engine -- sweep        only the sweep: 100 runs on one thread and on two
//! ```
//!
//! Cases:
//! * `use-cases`: the built-in scenario with all five variants, run to its duration.
//! * `big`: a generated scenario (200 producers at 500 msg/s, 50 ms hops, consumers slower than
//!   the load) through kafka, rabbitmq and redis-pubsub, so that 10,000+ events wait in the queues.
//!
//! Each case is built outside the timed section and run `reps` times; the table gives the median
//! and the range of wall time and events/s, and the ratio to the target of 5 M events/s, by wall
//! time and by on-CPU time (`/proc/thread-self/schedstat`: on a shared machine, wall time also
//! counts the time the thread waited for a CPU). Then, from untimed runs, the peak number of
//! pending events (estimated from snapshots) and the steady state's allocations per event.
//!
//! Allocations: the crate sets `unsafe_code = "forbid"` in `[lints]`, which cargo passes to every
//! target as `-F unsafe-code`, so a counting `#[global_allocator]` (an `unsafe impl GlobalAlloc`)
//! cannot be written here, not even under `#![allow(unsafe_code)]` (E0453). Instead the bench runs
//! itself under `valgrind --tool=dhat` twice per case, once to the warm-up time and once on to the
//! end, and divides the difference in allocated blocks by the difference in events: the steady
//! state's allocations per event (construction and warm-up cancel out; runs are deterministic).

use brokerlab::engine::Status;
use brokerlab::scenario::{parse_scenario, to_secs, Nanos, Scenario};
use brokerlab::sim::{at_secs, Simulation};
use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

/// Events per second the engine should reach.
const TARGET: f64 = 5_000_000.0;
/// Environment variable that turns this binary into an allocation-measuring child.
const CHILD_ENV: &str = "ENGINE_BENCH_CHILD";

struct Case {
    name: &'static str,
    scenario: Scenario,
    /// Simulated time the timed runs stop at.
    run_to: Nanos,
    reps: usize,
    /// Simulated step between the (untimed) snapshots that estimate pending events.
    probe_step: Nanos,
    /// Allocation phase: warm up to `warm`, then count from there to `alloc_end`.
    warm: Nanos,
    alloc_end: Nanos,
}

/// The generated scenario: many producers, slow consumers, long hops.
fn big_toml() -> String {
    const PRODUCERS: usize = 200;
    const TOPICS: usize = 20;
    const WORKERS: usize = 40;
    let mut t = String::new();
    t.push_str(
        "title = { en = \"engine bench: 200 producers, slow consumers\" }\n\
         seed = 7\n\
         duration_s = 10.0\n\
         latency_ms = 50.0\n\n",
    );
    for p in 0..PRODUCERS {
        let _ = write!(
            t,
            "[[producer]]\nname = \"p{p:03}\"\n\
             publish = [ {{ topic = \"t{:02}\", rate_per_s = 500.0, keys = 16, size_bytes = 200 }} ]\n",
            p % TOPICS
        );
    }
    let all: Vec<String> = (0..TOPICS).map(|i| format!("\"t{i:02}\"")).collect();
    let all = all.join(", ");
    // 40 workers sharing everything at 1 ms each: 40 k msg/s of capacity for 100 k msg/s.
    for c in 0..WORKERS {
        let _ = write!(
            t,
            "\n[[consumer]]\nname = \"w{c:02}\"\ngroup = \"workers\"\nsubscribe = [{all}]\n\
             service_ms = 1.0\nservice_dist = \"exponential\"\n"
        );
    }
    // One archiver per topic at 0.25 ms each: 4 k msg/s of capacity for 5 k msg/s.
    for c in 0..TOPICS {
        let _ = write!(
            t,
            "\n[[consumer]]\nname = \"a{c:02}\"\ngroup = \"archive\"\nsubscribe = [\"t{c:02}\"]\n\
             service_ms = 0.25\n"
        );
    }
    t.push_str(
        "\n[[variant]]\nname = \"kafka\"\nshape = \"central-log\"\nbroker = \"kafka\"\n\
         kafka = { partitions = 12, replication = 3, acks = \"all\", offset_reset = \"earliest\" }\n\
         \n[[variant]]\nname = \"rabbitmq\"\nshape = \"single-broker\"\nbroker = \"rabbitmq\"\n\
         rabbitmq = { ack = \"manual\", prefetch = 10 }\n\
         \n[[variant]]\nname = \"redis-pubsub\"\nshape = \"single-broker\"\nbroker = \"redis-pubsub\"\n",
    );
    t
}

fn cases() -> Vec<Case> {
    let text = brokerlab::builtin::get("use-cases").expect("use-cases is built in");
    let uc = parse_scenario("builtin:use-cases", text).expect("use-cases parses");
    let big = parse_scenario("bench:big", &big_toml()).expect("the generated scenario parses");
    vec![
        Case {
            name: "use-cases",
            run_to: uc.duration,
            scenario: uc,
            reps: 7,
            probe_step: at_secs(0.1),
            warm: at_secs(5.0),
            alloc_end: at_secs(60.0),
        },
        Case {
            name: "big",
            run_to: big.duration,
            scenario: big,
            reps: 5,
            probe_step: at_secs(0.02),
            // Shorter than use-cases': valgrind runs ~50x slower than native.
            warm: at_secs(2.0),
            alloc_end: at_secs(3.0),
        },
    ]
}

/// One timed run: wall time per variant, events per variant.
struct Run {
    wall: Vec<Duration>,
    /// Time this thread was on a CPU (`None` where /proc/thread-self/schedstat is missing).
    cpu: Vec<Option<Duration>>,
    events: Vec<u64>,
}

/// Nanoseconds this thread has run on a CPU. On a shared machine, wall time also counts the
/// time spent waiting for a CPU; this does not.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn timed_run(case: &Case) -> Run {
    // Construction (topology, models, first events) stays outside the timed section.
    let mut sim = Simulation::new(case.scenario.clone());
    let mut run = Run {
        wall: Vec::new(),
        cpu: Vec::new(),
        events: Vec::new(),
    };
    // What `Simulation::run_until` does, one variant at a time so each gets its own clock.
    for v in &mut sim.variants {
        let c0 = thread_cpu();
        let t0 = Instant::now();
        v.run_until(case.run_to);
        let wall = t0.elapsed();
        let c1 = thread_cpu();
        run.wall.push(wall);
        run.cpu.push(c0.zip(c1).map(|(a, b)| b.saturating_sub(a)));
        run.events.push(v.events());
    }
    sim.run_until(case.run_to);
    assert_eq!(sim.events(), run.events.iter().sum::<u64>());
    run
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[allow(clippy::cast_precision_loss)]
fn rate(events: u64, wall: Duration) -> f64 {
    events as f64 / wall.as_secs_f64().max(1e-12)
}

fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

struct Summary {
    name: &'static str,
    variants: usize,
    sim_s: f64,
    events: u64,
    reps: usize,
    wall: [f64; 3],
    rate: [f64; 3],
    /// Events per second of on-CPU time: median, min, max.
    cpu_rate: Option<[f64; 3]>,
    /// Name, events, median wall s, median events/s, median events per CPU second.
    per_variant: Vec<(String, u64, f64, f64, Option<f64>)>,
}

/// Median, min and max (sorts `v`).
fn spread(v: &mut [f64]) -> [f64; 3] {
    let m = median(v);
    [m, v[0], v[v.len() - 1]]
}

fn cpu_total(r: &Run) -> Option<Duration> {
    r.cpu.iter().copied().sum()
}

fn measure(case: &Case) -> Summary {
    // A first run pages in code and data and sizes the allocator's arenas; it is thrown away
    // unless it is long enough (over a second) for that not to matter.
    let first = timed_run(case);
    let mut runs = Vec::with_capacity(case.reps);
    if first.wall.iter().sum::<Duration>() > Duration::from_secs(1) {
        runs.push(first);
    }
    while runs.len() < case.reps {
        runs.push(timed_run(case));
    }
    let events: u64 = runs[0].events.iter().sum();
    for r in &runs {
        assert_eq!(
            r.events.iter().sum::<u64>(),
            events,
            "runs must be deterministic"
        );
    }
    let mut walls: Vec<f64> = runs
        .iter()
        .map(|r| r.wall.iter().sum::<Duration>().as_secs_f64())
        .collect();
    let mut rates: Vec<f64> = runs
        .iter()
        .map(|r| rate(events, r.wall.iter().sum()))
        .collect();
    let cpu_rates: Option<Vec<f64>> = runs
        .iter()
        .map(|r| cpu_total(r).map(|c| rate(events, c)))
        .collect();
    let names: Vec<String> = case
        .scenario
        .variants
        .iter()
        .map(|v| v.name.clone())
        .collect();
    let per_variant = (0..names.len())
        .map(|i| {
            let ev = runs[0].events[i];
            let mut w: Vec<f64> = runs.iter().map(|r| r.wall[i].as_secs_f64()).collect();
            let mut r: Vec<f64> = runs.iter().map(|r| rate(ev, r.wall[i])).collect();
            let c: Option<Vec<f64>> = runs.iter().map(|r| r.cpu[i].map(|c| rate(ev, c))).collect();
            (
                names[i].clone(),
                ev,
                median(&mut w),
                median(&mut r),
                c.map(|mut c| median(&mut c)),
            )
        })
        .collect();
    Summary {
        name: case.name,
        variants: names.len(),
        sim_s: to_secs(case.run_to),
        events,
        reps: case.reps,
        wall: spread(&mut walls),
        rate: spread(&mut rates),
        cpu_rate: cpu_rates.map(|mut c| spread(&mut c)),
        per_variant,
    }
}

/// Pending events of one variant, estimated from a snapshot: hops in flight (one arrival each,
/// waiting in the engine's FIFO lane of hops rather than its heap),
/// consumers busy processing (one `ServiceDone` each), producers' next messages (one `Produce`
/// per publish entry) and the sampling event. Model timers (Kafka's high-watermark timers,
/// commits, retention) are not visible through the public API, so this is a lower bound.
struct Pending {
    in_flight: usize,
    estimate: usize,
}

fn pending(sim: &Simulation, streams: usize, before_end: bool) -> Vec<Pending> {
    sim.variants
        .iter()
        .map(|v| {
            let s = v.snapshot();
            let busy = s
                .consumers
                .iter()
                .filter(|c| c.held > 0 && !c.link_down && c.status == Status::Online)
                .count();
            let produce = if before_end { streams } else { 0 };
            Pending {
                in_flight: s.in_flight.len(),
                estimate: s.in_flight.len() + busy + produce + 1,
            }
        })
        .collect()
}

/// Peak pending events (per variant and summed over the variants), sampled every `probe_step`.
fn probe_pending(case: &Case) -> (Vec<(usize, usize)>, usize, f64) {
    let streams: usize = case
        .scenario
        .producers
        .iter()
        .map(|p| p.publish.len())
        .sum();
    let mut sim = Simulation::new(case.scenario.clone());
    let n = sim.variants.len();
    let mut peak = vec![(0usize, 0usize); n];
    let mut peak_sum = (0usize, 0.0f64);
    let mut t = 0;
    while t < case.run_to {
        t = (t + case.probe_step).min(case.run_to);
        sim.run_until(t);
        let p = pending(&sim, streams, t < case.scenario.duration);
        let sum: usize = p.iter().map(|x| x.estimate).sum();
        if sum > peak_sum.0 {
            peak_sum = (sum, to_secs(t));
        }
        for (k, x) in p.iter().enumerate() {
            peak[k].0 = peak[k].0.max(x.in_flight);
            peak[k].1 = peak[k].1.max(x.estimate);
        }
    }
    (peak, peak_sum.0, peak_sum.1)
}

/// Child mode: build the case, run every variant to `warm` (and on to `alloc_end` if `full`),
/// print the events. Run under DHAT by the parent.
fn child(spec: &str) {
    let (name, full) = spec.split_once(':').expect("NAME:warm|full");
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .expect("a known case");
    let mut sim = Simulation::new(case.scenario.clone());
    sim.run_until(case.warm);
    if full == "full" {
        sim.run_until(case.alloc_end);
    }
    println!("events={}", sim.events());
}

struct Dhat {
    events: u64,
    blocks: u64,
    bytes: u64,
}

fn parse_num(s: &str) -> Option<u64> {
    s.chars()
        .filter(|c| *c != ',')
        .collect::<String>()
        .parse()
        .ok()
}

fn run_dhat(exe: &std::path::Path, spec: &str) -> Result<Dhat, String> {
    let out = Command::new("valgrind")
        .args(["--tool=dhat", "--dhat-out-file=/dev/null"])
        .arg(exe)
        .env(CHILD_ENV, spec)
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("valgrind failed: {stderr}"));
    }
    let events = stdout
        .lines()
        .find_map(|l| l.strip_prefix("events="))
        .and_then(parse_num)
        .ok_or("no event count from the child")?;
    // "==123== Total:     1,234 bytes in 56 blocks"
    let total = stderr
        .lines()
        .find_map(|l| l.split_once("Total:").map(|(_, r)| r.to_owned()))
        .ok_or("no DHAT total")?;
    let words: Vec<&str> = total.split_whitespace().collect();
    let bytes = words.first().and_then(|w| parse_num(w));
    let blocks = words.get(3).and_then(|w| parse_num(w));
    match (bytes, blocks) {
        (Some(bytes), Some(blocks)) => Ok(Dhat {
            events,
            blocks,
            bytes,
        }),
        _ => Err(format!("cannot read DHAT total: {total}")),
    }
}

#[allow(clippy::cast_precision_loss)]
fn measure_allocs(case: &Case) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let a = run_dhat(&exe, &format!("{}:warm", case.name))?;
    let b = run_dhat(&exe, &format!("{}:full", case.name))?;
    let ev = b.events.saturating_sub(a.events);
    let blocks = b.blocks.saturating_sub(a.blocks);
    let bytes = b.bytes.saturating_sub(a.bytes);
    Ok(format!(
        "{:<10} {:>6.1}..{:<6.1} {:>13} {:>12} {:>10.4} {:>10.1}   (warm-up alone: {} blocks, {} events)",
        case.name,
        to_secs(case.warm),
        to_secs(case.alloc_end),
        group_digits(ev),
        group_digits(blocks),
        blocks as f64 / ev.max(1) as f64,
        bytes as f64 / ev.max(1) as f64,
        group_digits(a.blocks),
        group_digits(a.events),
    ))
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    // `cargo bench` passes `--bench`; other words filter cases by name.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let reps: Option<usize> = std::env::var("ENGINE_BENCH_REPS")
        .ok()
        .and_then(|s| s.parse().ok());
    let allocs = std::env::var("ENGINE_BENCH_ALLOC").map_or(true, |v| v != "0");
    let probe = std::env::var("ENGINE_BENCH_PROBE").map_or(true, |v| v != "0");
    let mut selected: Vec<Case> = cases()
        .into_iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect();
    for c in &mut selected {
        if let Some(r) = reps {
            c.reps = r.max(1);
        }
    }
    if cfg!(debug_assertions) {
        println!("warning: built without optimizations; run `cargo bench --bench engine`");
    }

    let mut summaries = Vec::new();
    for c in &selected {
        eprintln!("measuring {} ({} runs)...", c.name, c.reps);
        summaries.push(measure(c));
    }

    println!();
    println!(
        "engine throughput: single thread, target {:.1} M events/s; median [min .. max] of the runs",
        TARGET / 1e6
    );
    println!(
        "{:<10} {:>3} {:>6} {:>11} {:>4}  {:>26}  {:>24} {:>7}  {:>24} {:>7}",
        "case",
        "var",
        "sim s",
        "events/run",
        "runs",
        "wall s",
        "M events/s (wall)",
        "target",
        "M events/s (on-CPU)",
        "target"
    );
    for s in &summaries {
        let cpu = s.cpu_rate.map_or_else(
            || format!("{:>24} {:>7}", "n/a", ""),
            |c| {
                format!(
                    "{:>6.2} [{:>5.2} .. {:>5.2}] {:>6.2}x",
                    c[0] / 1e6,
                    c[1] / 1e6,
                    c[2] / 1e6,
                    c[0] / TARGET
                )
            },
        );
        println!(
            "{:<10} {:>3} {:>6.1} {:>11} {:>4}  {:>8.4} [{:>6.4} .. {:>6.4}]  {:>6.2} [{:>5.2} .. {:>5.2}] {:>6.2}x  {cpu}",
            s.name,
            s.variants,
            s.sim_s,
            group_digits(s.events),
            s.reps,
            s.wall[0],
            s.wall[1],
            s.wall[2],
            s.rate[0] / 1e6,
            s.rate[1] / 1e6,
            s.rate[2] / 1e6,
            s.rate[0] / TARGET,
        );
    }
    println!(
        "(on-CPU: time the thread actually ran, from /proc/thread-self/schedstat; on a shared"
    );
    println!(" machine wall time also counts waiting for a CPU)");
    println!();
    println!("per variant (medians)");
    println!(
        "{:<10} {:<24} {:>11} {:>8} {:>11} {:>7} {:>11} {:>7}",
        "case", "variant", "events", "wall s", "M ev/s", "target", "M ev/cpu-s", "target"
    );
    for s in &summaries {
        for (name, ev, wall, r, c) in &s.per_variant {
            let cpu = c.map_or_else(
                || format!("{:>11} {:>7}", "n/a", ""),
                |c| format!("{:>11.2} {:>6.2}x", c / 1e6, c / TARGET),
            );
            println!(
                "{:<10} {:<24} {:>11} {:>8.4} {:>11.2} {:>6.2}x {cpu}",
                s.name,
                name,
                group_digits(*ev),
                wall,
                r / 1e6,
                r / TARGET
            );
        }
    }

    if probe {
        print_pending(&selected);
    }
    if allocs {
        print_allocs(&selected);
    }
    if filters.is_empty() || filters.iter().any(|f| "mm1".contains(f.as_str())) {
        mm1::compare(reps.unwrap_or(5));
    }
    if filters.is_empty() || filters.iter().any(|f| "sweep".contains(f.as_str())) {
        sweep::compare(reps.unwrap_or(7));
    }
}

/// A 100-run sweep on one thread and on two (`brokerlab sweep --jobs 1` and `--jobs 2`).
///
/// ```text
///   cargo bench --no-default-features --bench engine -- sweep
///   point-to-point, scale.rate = 0.5..5.0:0.5 (10 points) x 10 seeds = 100 runs of 60 s
///   reps interleaved (1, 2, then 2, 1, ...) so that a change in the machine's load falls on both
///   ratio = median wall(jobs 1) / median wall(jobs 2); target 1.8 on two cores
/// ```
///
/// The plan (a parse per point) is built outside the timed part; each timed part is
/// `sim::sweep::run` with the CLI's measure, so it is what `brokerlab sweep` spends. Both job
/// counts must give the same results, run by run (checked). The load average is printed before
/// and after: on a shared machine, a speed-up below the target with a load above the cores
/// says more about the machine than about the sweep.
mod sweep {
    use super::median;
    use brokerlab::report::sweep::measure;
    use brokerlab::scenario::parse_scenario;
    use brokerlab::sim::sweep::{axis, run, Plan};
    use std::sync::atomic::AtomicBool;
    use std::time::Instant;

    fn plan() -> Plan {
        let text = brokerlab::builtin::get("point-to-point").expect("built in");
        let s = parse_scenario("builtin:point-to-point", text).expect("valid");
        let axes = [axis("scale.rate=0.5..5.0:0.5").expect("an axis")];
        Plan::new(&s, &axes, 10).expect("a plan")
    }

    fn load() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| {
                let v: Vec<&str> = l.split_whitespace().take(3).collect();
                (v.len() == 3).then(|| v.join(" "))
            })
            .unwrap_or_else(|| "n/a".to_owned())
    }

    /// Seconds of CPU this process has used (all threads), from /proc/self/stat.
    #[allow(clippy::cast_precision_loss)]
    fn process_cpu() -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        Some(ticks as f64 / 100.0)
    }

    pub fn compare(reps: usize) {
        let plan = plan();
        let runs = plan.runs();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let before = load();
        let cancel = AtomicBool::new(false);
        let (mut one, mut two, mut cpu_one, mut cpu_two) = (vec![], vec![], vec![], vec![]);
        let mut reference = None;
        for rep in 0..reps.max(1) {
            let order = if rep % 2 == 0 { [1, 2] } else { [2, 1] };
            for jobs in order {
                let (c0, w0) = (process_cpu(), Instant::now());
                let results = run(&plan, jobs, &cancel, &|_, _| {}, &measure);
                let wall = w0.elapsed().as_secs_f64();
                let cpu = process_cpu().zip(c0).map(|(a, b)| a - b);
                match &reference {
                    None => reference = Some(results),
                    Some(r) => assert!(*r == results, "jobs {jobs} gave other results"),
                }
                let (w, c) = if jobs == 1 {
                    (&mut one, &mut cpu_one)
                } else {
                    (&mut two, &mut cpu_two)
                };
                w.push(wall);
                c.extend(cpu);
            }
        }
        let after = load();
        let (m1, m2) = (median(&mut one), median(&mut two));
        let cpu = |v: &mut Vec<f64>| {
            if v.is_empty() {
                "n/a".to_owned()
            } else {
                format!("{:.2} cpu-s", median(v))
            }
        };
        println!();
        println!(
            "sweep: point-to-point scale.rate=0.5..5.0:0.5 x 10 seeds = {runs} runs of 60 s; \
             {reps} interleaved reps; {cores} cores"
        );
        println!("jobs 1   {m1:>7.3} s wall (median)   {}", cpu(&mut cpu_one));
        println!("jobs 2   {m2:>7.3} s wall (median)   {}", cpu(&mut cpu_two));
        println!("speed-up {:>7.2}x (target 1.8)", m1 / m2);
        println!("load average (1, 5, 15 min): before {before}, after {after}");
    }
}

/// M/M/1 through the engine beside a bare event loop doing the same work.
mod mm1 {
    use super::{median, thread_cpu};
    use brokerlab::scenario::{parse_scenario, secs};
    use brokerlab::sim::Simulation;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::cmp::Reverse;
    use std::collections::{BinaryHeap, VecDeque};
    use std::time::Instant;

    const RATE: f64 = 800.0;
    const SERVICE_NS: f64 = 1e6;
    const HOUR_S: f64 = 3600.0;

    fn scenario() -> brokerlab::scenario::Scenario {
        let text = format!(
            "seed = 5\nduration_s = {HOUR_S}\nlatency_ms = 0.0\n\
             [[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = {RATE} }} ]\n\
             [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\nservice_ms = 1.0\nservice_dist = \"exponential\"\n\
             [[variant]]\nname = \"direct\"\nshape = \"direct\"\n"
        );
        parse_scenario("mm1", &text).expect("a valid scenario")
    }

    /// The same M/M/1 as a bare loop: arrival and departure events in a `BinaryHeap` ordered by
    /// (time, sequence), ChaCha draws for gaps and service times, a FIFO queue of arrival
    /// times, the mean time in system summed. Returns (messages, mean seconds in system).
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    fn bare(duration: u64) -> (u64, f64) {
        let mut arrivals = ChaCha8Rng::seed_from_u64(5);
        arrivals.set_stream(100);
        let mut service = ChaCha8Rng::seed_from_u64(5);
        service.set_stream(1);
        let exp = |rng: &mut ChaCha8Rng, mean: f64| {
            let u: f64 = rng.random();
            (-(1.0 - u).ln() * mean).round() as u64
        };
        let mut heap: BinaryHeap<Reverse<(u64, u64, bool)>> = BinaryHeap::new();
        let mut seq = 0u64;
        let mut waiting: VecDeque<u64> = VecDeque::new();
        let mut busy: Option<u64> = None;
        let (mut done, mut total) = (0u64, 0u128);
        heap.push(Reverse((exp(&mut arrivals, 1e9 / RATE).max(1), seq, true)));
        while let Some(Reverse((t, _, arrival))) = heap.pop() {
            seq += 1;
            if arrival {
                let next = t + exp(&mut arrivals, 1e9 / RATE).max(1);
                if next <= duration {
                    heap.push(Reverse((next, seq, true)));
                }
                waiting.push_back(t);
            } else if let Some(born) = busy.take() {
                done += 1;
                total += u128::from(t - born);
            }
            if busy.is_none() {
                if let Some(born) = waiting.pop_front() {
                    busy = Some(born);
                    seq += 1;
                    heap.push(Reverse((t + exp(&mut service, SERVICE_NS), seq, false)));
                }
            }
        }
        (done, total as f64 / done.max(1) as f64 / 1e9)
    }

    /// Median messages per on-CPU second of each, and the ratio, over `reps` interleaved runs.
    #[allow(clippy::cast_precision_loss)]
    pub fn compare(reps: usize) {
        let duration = secs(HOUR_S);
        let (mut engine, mut loop_) = (Vec::new(), Vec::new());
        let mut ratios = Vec::new();
        let mut last = (0, 0, 0.0);
        for _ in 0..reps {
            let s = scenario();
            let mut sim = Simulation::new(s);
            sim.set_threads(1);
            let (c0, w0) = (thread_cpu(), Instant::now());
            sim.run_until(duration);
            let e = thread_cpu().zip(c0).map_or(w0.elapsed(), |(a, b)| a - b);
            let produced = sim.variants[0].tally().produced;
            let (c0, w0) = (thread_cpu(), Instant::now());
            let (done, mean) = bare(duration);
            let b = thread_cpu().zip(c0).map_or(w0.elapsed(), |(a, b)| a - b);
            let (em, bm) = (
                produced as f64 / e.as_secs_f64(),
                done as f64 / b.as_secs_f64(),
            );
            engine.push(em);
            loop_.push(bm);
            ratios.push(em / bm);
            last = (produced, done, mean);
        }
        println!();
        println!("M/M/1 (Poisson {RATE}/s, exponential 1 ms service, one hour; on-CPU, {reps} interleaved runs)");
        println!(
            "engine (direct variant)   {:>6.2} M messages/s   ({} messages)",
            median(&mut engine) / 1e6,
            last.0
        );
        println!(
            "bare BinaryHeap loop      {:>6.2} M messages/s   ({} messages, mean time in system {:.3} ms; 1/(mu-lambda) = 5 ms)",
            median(&mut loop_) / 1e6,
            last.1,
            last.2 * 1e3
        );
        println!(
            "engine / bare loop        {:>6.2} (median of the per-run ratios; target 0.5)",
            median(&mut ratios)
        );
    }
}

fn print_pending(selected: &[Case]) {
    println!();
    println!("pending events (untimed probe runs; estimate = hops in flight + busy consumers");
    println!("+ producers' next messages + sampling; model timers are not visible: lower bound)");
    println!(
        "{:<10} {:<24} {:>16} {:>18}",
        "case", "variant", "peak in flight", "peak est. pending"
    );
    for c in selected {
        let (peak, sum, at) = probe_pending(c);
        for (v, (fl, est)) in c.scenario.variants.iter().zip(&peak) {
            println!(
                "{:<10} {:<24} {:>16} {:>18}",
                c.name,
                v.name,
                group_digits(*fl as u64),
                group_digits(*est as u64)
            );
        }
        println!(
            "{:<10} {:<24} {:>16} {:>18}   (all queues at once, at {at:.2} s, sampled every {} ms)",
            c.name,
            "(sum of variants)",
            "",
            group_digits(sum as u64),
            c.probe_step / 1_000_000
        );
    }
}

fn print_allocs(selected: &[Case]) {
    println!();
    println!(
        "heap allocations in the steady state (valgrind --tool=dhat; blocks include reallocs)"
    );
    println!(
        "{:<10} {:>14} {:>13} {:>12} {:>10} {:>10}",
        "case", "sim s", "events", "allocs", "allocs/ev", "bytes/ev"
    );
    for c in selected {
        eprintln!("counting allocations of {} under valgrind...", c.name);
        match measure_allocs(c) {
            Ok(line) => println!("{line}"),
            Err(e) => println!("{:<10} not measured: {e}", c.name),
        }
    }
}
