//! Every input the fuzzer (`benches/fuzz.rs`) once failed on, kept in tests/fuzz/regressions/:
//! it parses without a panic, and if it is a valid scenario it runs with its ledger audited.

use brokerlab::scenario::secs;
use brokerlab::sim::Simulation;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[test]
fn every_input_that_once_failed_now_parses_and_runs_audited() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    files.sort();
    assert!(
        !files.is_empty(),
        "the regression files are found in {}",
        dir.display()
    );
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap_or_default()).into_owned();
        let name = f.display().to_string();
        let run = catch_unwind(AssertUnwindSafe(|| {
            let Ok(s) = brokerlab::lesson::parse(&name, &text) else {
                return Ok(());
            };
            let end = s.duration.min(secs(10.0));
            let mut sim = Simulation::new(s);
            for k in 1..=8u64 {
                sim.run_until(end * k / 8);
                sim.audit()?;
            }
            Ok::<(), String>(())
        }));
        match run {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{name}: audit: {e}"),
            Err(_) => panic!("{name}: panicked"),
        }
    }
}
