//! The study lessons (scenarios/lessons/, built in as lesson-1..8): every claim a lesson makes
//! holds in its own run, every text a learner reads exists in English and Korean, and all eight
//! are built in and listed.

use brokerlab::builtin::{get, LESSONS};
use brokerlab::lesson::check;
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
            (3..=6).contains(&s.steps.len()),
            "{name} has {} steps (3 to 6)",
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
