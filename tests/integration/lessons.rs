//! The study lessons (scenarios/lessons/, built in as lesson-1..8): every claim a lesson makes
//! holds in its own run, every text a learner reads exists in English and Korean, and all eight
//! are built in and listed.

use brokerlab::builtin::{get, LESSONS};
use brokerlab::lesson::check;
use brokerlab::report::Measured;
use brokerlab::scenario::{parse_scenario, Scenario, Text};
use std::fmt::Write as _;

fn lesson(name: &str, text: &str) -> Scenario {
    parse_scenario(&format!("builtin:{name}"), text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_lesson_passes_its_expectations() {
    let mut failures = String::new();
    for (name, text) in LESSONS {
        let s = lesson(name, text);
        let outcomes = check(s.clone());
        assert!(!outcomes.is_empty(), "{name} checks nothing");
        for o in outcomes.iter().filter(|o| !o.holds) {
            let e = &o.expect;
            let _ = writeln!(
                failures,
                "{name}:{}:{}: step {} ({}): {} {} {} {} (measured {:?})",
                e.line,
                e.col,
                o.step + 1,
                s.steps[o.step].title.en,
                e.variant,
                e.metric,
                e.op.symbol(),
                e.value,
                o.measured
            );
        }
    }
    assert!(failures.is_empty(), "expectations that fail:\n{failures}");
}

#[test]
fn every_lesson_text_has_english_and_korean() {
    let mut missing = Vec::new();
    let mut need = |name: &str, what: String, t: Option<&Text>| match t {
        Some(t) if t.is_bilingual() => {}
        Some(t) => missing.push(format!("{name}: {what}: {:?}", t.en)),
        None => missing.push(format!("{name}: {what}: absent")),
    };
    for (name, text) in LESSONS {
        let s = lesson(name, text);
        need(name, "title".into(), Some(&s.title));
        need(name, "description".into(), s.description.as_ref());
        for (i, step) in s.steps.iter().enumerate() {
            let n = i + 1;
            need(name, format!("step {n} title"), Some(&step.title));
            need(name, format!("step {n} text"), step.text.as_ref());
            if step.ask.is_some() || !step.choices.is_empty() {
                need(name, format!("step {n} ask"), step.ask.as_ref());
            }
            for (j, c) in step.choices.iter().enumerate() {
                need(name, format!("step {n} choice {j}"), Some(c));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "texts without both en and ko:\n{}",
        missing.join("\n")
    );
}

#[test]
fn lessons_are_built_in_and_listed() {
    let names: Vec<&str> = LESSONS.iter().map(|(n, _)| *n).collect();
    let want: Vec<String> = (1..=9).map(|i| format!("lesson-{i}")).collect();
    assert_eq!(
        names, want,
        "LESSONS must be lesson-1 .. lesson-9, in order"
    );
    for (name, text) in LESSONS {
        assert_eq!(get(name), Some(*text), "get({name}) finds it");
        assert_eq!(get(&format!("builtin:{name}")), Some(*text));
        let s = lesson(name, text);
        assert!(
            (3..=7).contains(&s.steps.len()),
            "{name} has {} steps (3 to 7)",
            s.steps.len()
        );
        for (i, step) in s.steps.iter().enumerate() {
            assert!(
                (1..=5).contains(&step.show.len()),
                "{name} step {} shows {} variants (1 to 5)",
                i + 1,
                step.show.len()
            );
        }
    }

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("list")
        .output()
        .expect("brokerlab runs");
    assert!(out.status.success());
    let out = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = out.lines().collect();
    let at = |n: &str| {
        lines
            .iter()
            .position(|l| l.split_whitespace().next() == Some(n))
            .unwrap_or_else(|| panic!("list lacks {n}:\n{out}"))
    };
    let last_scenario = brokerlab::builtin::SCENARIOS
        .iter()
        .map(|(n, _)| at(n))
        .max()
        .unwrap_or(0);
    let mut prev = last_scenario;
    for n in &want {
        let i = at(n);
        assert!(
            i > prev,
            "{n} is listed after the scenarios and in order:\n{out}"
        );
        assert!(lines[i].contains("lesson"), "{n} is listed as a lesson");
        prev = i;
    }
}

/// Lesson 4, step 4: one system per use case, so a sixth use case (payments) is a sixth system,
/// while the central log of lesson 5 stays one.
#[test]
fn lesson_4_a_sixth_use_case_is_a_sixth_system() {
    let (_, text) = LESSONS[3];
    let with_payments = text.replacen(
        "publish = [ { topic = \"supply-chain\"",
        "publish = [ { topic = \"payments\", rate_per_s = 1.0 }, { topic = \"supply-chain\"",
        1,
    );
    assert_ne!(
        with_payments, text,
        "the backend server's entries are where the test looks"
    );
    let s = lesson("lesson-4", &with_payments);
    let cost = |s: &Scenario, v: &str| {
        let v = s.variant(v).unwrap_or_else(|| panic!("no variant {v}"));
        brokerlab::topology::cost(s, v)
    };
    assert_eq!(cost(&s, "rabbitmq-per-use-case").systems_to_operate, 6);
    assert_eq!(cost(&s, "redis-per-use-case").systems_to_operate, 6);
    let (_, central) = LESSONS[4];
    assert_eq!(
        cost(&lesson("lesson-5", central), "kafka").systems_to_operate,
        1
    );
}

/// Lesson 6, step 2: the worker's pending entries come back only because it reads its own
/// pending list when it returns (`read_history`, XREADGROUP ... 0); Redis never redelivers
/// them by itself, so a worker that reads only new entries leaves them pending for good.
#[test]
fn lesson_6_pending_entries_come_back_only_when_the_worker_reads_its_list() {
    let (_, text) = LESSONS[5];
    let s = lesson("lesson-6", text);
    let order_pending = |read_history: bool, until: f64| {
        let set = [(
            "variant.streams.redis.read_history".to_owned(),
            toml::Value::Boolean(read_history),
        )];
        let s = brokerlab::sim::params::apply(&s, &set).unwrap_or_else(|e| panic!("{e}"));
        let idx = s.variants.iter().position(|v| v.name == "streams");
        let mut sim =
            brokerlab::sim::Simulation::with_variants(std::sync::Arc::new(s), &[idx.unwrap_or(0)]);
        sim.run_until(brokerlab::scenario::secs(until));
        sim.variants[0]
            .groups()
            .iter()
            .find(|g| g.name == "order-workers")
            .map_or(u64::MAX, |g| g.pending)
    };
    assert_eq!(order_pending(true, 28.0), 0, "read again and acknowledged");
    let stuck = order_pending(false, 28.0);
    assert!(stuck >= 1, "the entries it held stay pending: {stuck}");
    assert!(
        order_pending(false, 70.0) >= stuck,
        "and nobody delivers them again"
    );
}

/// Every lesson's notes, in both languages: each variant drawn once, the answer hidden, every
/// Mermaid block closed (as many `end`s as `subgraph`s), Korean tables without snake_case keys.
/// (`../shared/tools/mermaid-check/run` parses the blocks with the real Mermaid parser.)
#[test]
fn every_lessons_notes_draw_each_variant_once_and_hide_the_answers() {
    use brokerlab::scenario::Lang;
    for (name, text) in LESSONS {
        for lang in [Lang::En, Lang::Ko] {
            let s = lesson(name, text);
            let md = brokerlab::lesson::notes::notes(s.clone(), lang);
            for v in &s.variants {
                let shown = s
                    .steps
                    .iter()
                    .any(|st| st.show.is_empty() || st.show.contains(&v.name));
                let drawn = md.matches(&format!("**{}**:", v.name)).count();
                assert_eq!(drawn, usize::from(shown), "{name} {lang:?}: {}", v.name);
            }
            let asked = s.steps.iter().filter(|st| st.ask.is_some()).count();
            assert_eq!(md.matches("<details>").count(), asked, "{name} {lang:?}");
            for block in md.split("```mermaid\n").skip(1) {
                let block = block.split("```").next().unwrap_or("");
                let opens = block
                    .lines()
                    .filter(|l| l.trim_start().starts_with("subgraph "))
                    .count();
                let ends = block.lines().filter(|l| l.trim() == "end").count();
                assert_eq!(opens, ends, "{name} {lang:?}:\n{block}");
            }
            if lang == Lang::Ko {
                for header in md.lines().filter(|l| l.starts_with("| 변형 |")) {
                    assert!(!header.contains('_'), "{name}: {header}");
                }
            }
        }
    }
}

/// The notes' own drawings import back: every variant's flowchart (the block after its
/// `**name**:` line) becomes a scenario whose first variant has the variant's shape and broker,
/// and whose producers are the lesson's, by name. (What a drawing cannot say, a consumer that
/// joins later, is a consumer from the start.)
#[test]
fn every_variant_drawn_in_the_notes_imports_back_as_its_shape_with_its_names() {
    use brokerlab::scenario::Lang;
    for ((name, text), lang) in LESSONS.iter().flat_map(|l| [(l, Lang::En), (l, Lang::Ko)]) {
        let s = lesson(name, text);
        let md = brokerlab::lesson::notes::notes(s.clone(), lang);
        let mut blocks = 0;
        let mut drawn: Option<&str> = None;
        for line in md.lines() {
            if let Some(v) = line.strip_prefix("**").and_then(|l| l.split_once("**: ")) {
                drawn = Some(v.0);
            }
            if line != "```mermaid" {
                continue;
            }
            blocks += 1;
            let Some(variant) = drawn.take() else {
                continue;
            };
            let toml = brokerlab::import::import("notes.md", &md, Some(blocks))
                .unwrap_or_else(|e| panic!("{name} {lang:?} {variant}: {e}"));
            let back = parse_scenario("imported.toml", &toml).unwrap_or_else(|e| panic!("{e}"));
            let v = s
                .variants
                .iter()
                .find(|v| v.name == variant)
                .expect("drawn");
            let first = &back.variants[0];
            assert_eq!(
                (first.shape(), first.broker_kind()),
                (v.shape(), v.broker_kind()),
                "{name} {lang:?} {variant}:\n{toml}"
            );
            let names = |s: &Scenario| {
                s.producers
                    .iter()
                    .map(|p| p.name.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&back), names(&s), "{name} {variant}");
        }
        assert!(blocks > 0, "{name}");
    }
}

/// Lesson 3's step 6 sets `variant.ipc-channel.channel.capacity = 10000`: that step runs the
/// lesson from 0 s with the bigger channel (its buffer holds 674 events at the peak), the file
/// keeps its 100-event channel in the steps around it, and the notes say which knobs the step
/// set.
#[test]
fn a_steps_set_runs_that_step_with_its_knobs_and_only_that_step() {
    let s = lesson("lesson-3", get("lesson-3").unwrap_or_default());
    let knobbed = s
        .steps
        .iter()
        .position(|st| !st.set.is_empty())
        .unwrap_or_else(|| panic!("lesson 3 has a step that sets knobs"));
    let peak = |outcomes: &[brokerlab::lesson::Outcome], step: usize| {
        outcomes
            .iter()
            .find(|o| {
                o.step == step
                    && o.expect.variant == "ipc-channel"
                    && o.expect.metric == "stored_bytes_peak"
            })
            .and_then(|o| o.measured)
    };
    let with = check(s.clone());
    assert_eq!(peak(&with, knobbed), Some(134_800.0), "674 events of 200 B");
    // The same lesson with the step's set taken out: the file's channel, 100 events.
    let mut without = s.clone();
    without.steps[knobbed].set.clear();
    let plain = check(without);
    assert_eq!(peak(&plain, knobbed), Some(20_000.0));
    // The steps around it run the file: a step after it measures what the file measures.
    let after = brokerlab::lesson::Steps::new(s.clone())
        .at(knobbed + 1)
        .variants
        .iter()
        .find(|v| v.name() == "ipc-channel")
        .and_then(|v| v.metrics().value("stored_bytes_peak"));
    assert_eq!(after, Some(20_000.0));
    let md = brokerlab::lesson::notes::notes(s, brokerlab::scenario::Lang::En);
    assert!(
        md.contains("- `variant.ipc-channel.channel.capacity = 10000`"),
        "the notes name the knob"
    );
}
