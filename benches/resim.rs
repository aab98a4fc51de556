//! What a knob costs in the app: the change made to the scenario's text (`params::apply`, which
//! parses and validates the edited file) and the tape simulated again from 0 s to the current
//! time (`Tape::reload`, every variant, checkpoints on the way), on `use-cases.toml` (five
//! variants) at 30 s. Target: 100 ms from release of the knob to the result.
//!
//! `cargo bench --no-default-features --bench resim` (release; `RESIM_REPS` sets the
//! repetitions, 21 by default). Prints the median, min and max of each part and the machine's
//! load average before and after, since the 2-core machine is shared.

use brokerlab::scenario::{parse_scenario, secs};
use brokerlab::sim::{params, Tape};
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn main() {
    let reps: usize = std::env::var("RESIM_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21)
        .max(1);
    let text = brokerlab::builtin::get("use-cases").unwrap_or_default();
    let s = parse_scenario("builtin:use-cases", text).unwrap_or_else(|e| panic!("{e}"));
    let at = secs(30.0);
    let mut tape = Tape::new(s.clone());
    // As the app's session keeps it.
    tape.keep_recent_hops();
    tape.seek(at);
    let load_before = load();
    let (mut apply_ms, mut reload_ms, mut total_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut events = 0u64;
    for k in 0..reps {
        // A different rate every time, as a learner drags it.
        let rate = 20.0 + (k % 7) as f64 * 5.0;
        let change = vec![(
            "producer.front-server-1.rate_per_s".to_owned(),
            toml::Value::Float(rate),
        )];
        let t0 = Instant::now();
        let new = params::apply(&s, &change).unwrap_or_else(|e| panic!("{e}"));
        let t1 = Instant::now();
        tape.reload(new, at);
        let t2 = Instant::now();
        events += std::hint::black_box(tape.sim().events());
        apply_ms.push((t1 - t0).as_secs_f64() * 1e3);
        reload_ms.push((t2 - t1).as_secs_f64() * 1e3);
        total_ms.push((t2 - t0).as_secs_f64() * 1e3);
    }
    println!(
        "use-cases (5 variants) at 30 s: {} events simulated per change (mean), {reps} changes",
        events / reps as u64
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "part", "median ms", "min ms", "max ms", "vs 100 ms"
    );
    for (name, v) in [
        ("params::apply (edit + validate)", &mut apply_ms),
        ("Tape::reload to 30 s", &mut reload_ms),
        ("knob change, total", &mut total_ms),
    ] {
        let med = median(v);
        println!(
            "{name:<34} {med:>10.2} {:>10.2} {:>10.2} {:>9.2}x",
            v[0],
            v[v.len() - 1],
            med / 100.0
        );
    }
    println!("load average before: {load_before}, after: {}", load());
}
