//! The `[[step]]` section of a lesson: its time, the variants it shows, its question and the
//! expectations `brokerlab check` runs.

use super::options::Variants;
use super::sweeps;
use super::{Checker, Names, RawExpect, RawScenario, RawStep, Res, Top, LIMITS, SHOWN_MAX};
use crate::scenario::diagnostic::{did_you_mean, line_col};
use crate::scenario::{rules, secs, Expect, Placed, Step, Sweep};
use toml::Spanned;

pub(super) fn steps(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    variants: &Variants,
    names: &Names,
    sweeps: &[Sweep],
) -> Vec<Step> {
    if let Some(extra) = raw.step.get(LIMITS.steps) {
        let _ = c.err::<(), _>(extra, format!("more than {} steps", LIMITS.steps));
        return Vec::new();
    }
    let mut steps = Vec::new();
    let mut last_run_to = 0.0;
    for rs in &raw.step {
        if let Ok(step) = step(c, rs, top, (variants, names, sweeps), &mut last_run_to) {
            steps.push(step);
        }
    }
    steps
}

/// One step; its parts are checked independently.
fn step(
    c: &Checker,
    rs: &Spanned<RawStep>,
    top: &Top,
    (variants, names, sweeps): (&Variants, &Names, &[Sweep]),
    last_run_to: &mut f64,
) -> Res<Step> {
    let s = rs.get_ref();
    let run_to_s = run_to(c, s, top, last_run_to);
    let show: Vec<Res<String>> = s
        .show
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let name = variant_named(c, n, variants, "show")?;
            if i == SHOWN_MAX {
                let why =
                    format!("a step shows at most {SHOWN_MAX} variants (the panes side by side)");
                return c.err(n, why);
            }
            if s.show[..i].iter().any(|m| m.get_ref().trim() == name) {
                return c.err(n, format!("{name:?} is shown twice"));
            }
            Ok(name)
        })
        .collect();
    let expect: Vec<Res<Expect>> = s
        .expect
        .iter()
        .map(|re| expectation(c, re, variants, sweeps))
        .collect();
    let answer = answer(c, rs, s);
    let highlight: Vec<Res<String>> = s.highlight.iter().map(|h| highlight(c, h, names)).collect();
    let expect: Res<Vec<Expect>> = expect.into_iter().collect();
    let sweep = match &expect {
        Ok(expect) => step_sweep(c, s, expect, sweeps),
        Err(_) => Ok(None),
    };
    Ok(Step {
        title: s.title.clone(),
        text: s.text.clone(),
        run_to: secs(run_to_s?),
        show: show.into_iter().collect::<Res<_>>()?,
        ask: s.ask.clone(),
        choices: s.choices.clone(),
        answer: answer?,
        highlight: highlight.into_iter().collect::<Res<_>>()?,
        expect: expect?,
        sweep: sweep?,
        set: knobs(c, s)?,
    })
}

/// `set`: the knobs of the step, in the file's order (their paths and values are checked by
/// `lesson`, which knows the parameters).
fn knobs(c: &Checker, s: &RawStep) -> Res<Vec<(Placed<String>, Placed<toml::Value>)>> {
    let Some(set) = &s.set else {
        return Ok(Vec::new());
    };
    if set.get_ref().len() > LIMITS.step_knobs {
        return c.err(
            set,
            format!("more than {} knobs in a step's set", LIMITS.step_knobs),
        );
    }
    Ok(sweeps::assignments(set.get_ref()))
}

/// `run_to_s`: within the run, never before the previous step's.
fn run_to(c: &Checker, s: &RawStep, top: &Top, last_run_to: &mut f64) -> Res<f64> {
    let run_to_s = c.number(
        &s.run_to_s,
        "run_to_s",
        rules::RUN_TO_S.up_to(top.duration_s),
    )?;
    if run_to_s < *last_run_to {
        return c.err(&s.run_to_s, format!(
            "run_to_s ({run_to_s}) goes back before the previous step's ({last_run_to}): steps move forward"
        ));
    }
    *last_run_to = run_to_s;
    Ok(run_to_s)
}

fn highlight(c: &Checker, h: &Spanned<String>, names: &Names) -> Res<String> {
    let n = h.get_ref().trim();
    if names.taken.contains_key(n) {
        return Ok(n.to_owned());
    }
    let help = did_you_mean(n, names.taken.keys().map(String::as_str));
    let why = format!("highlight names no producer or consumer: {n:?}");
    c.err_help(h, why, help)
}

/// A variant name a step refers to (`what`: the field).
fn variant_named(c: &Checker, n: &Spanned<String>, variants: &Variants, what: &str) -> Res<String> {
    let name = n.get_ref().trim();
    if variants.names.iter().any(|v| v == name) {
        return Ok(name.to_owned());
    }
    let why = format!(
        "{what} names no variant: {name:?} (variants: {})",
        variants.names.join(", ")
    );
    let help = did_you_mean(name, variants.names.iter().map(String::as_str));
    c.err_help(n, why, help)
}

/// The sweep a step draws: the one it names, which its sweep expectations must be about too,
/// or else the one they are about (one per step).
fn step_sweep(
    c: &Checker,
    s: &RawStep,
    expect: &[Expect],
    sweeps: &[Sweep],
) -> Res<Option<String>> {
    let written = match &s.sweep {
        Some(n) => Some((sweeps::named(c, n, sweeps)?, n.span())),
        None => None,
    };
    let mut drawn = written.clone();
    for (e, re) in expect.iter().zip(&s.expect) {
        let Some(p) = &e.sweep else { continue };
        match &drawn {
            None => drawn = Some((p.sweep.clone(), re.span())),
            Some((name, _)) if *name == p.sweep => {}
            Some((name, _)) => {
                let why = if written.is_some() {
                    format!(
                        "the expectation is about sweep {:?} but the step draws sweep {name:?}: a step checks the sweep it draws",
                        p.sweep
                    )
                } else {
                    format!(
                        "the step's expectations name two sweeps, {name:?} and {:?}: a step draws and checks one",
                        p.sweep
                    )
                };
                return c.err(re, why);
            }
        }
    }
    Ok(drawn.map(|(name, _)| name))
}

fn expectation(
    c: &Checker,
    re: &Spanned<RawExpect>,
    variants: &Variants,
    sweeps: &[Sweep],
) -> Res<Expect> {
    let e = re.get_ref();
    let point = sweeps::point(c, re, sweeps);
    let variant = variant_named(c, &e.variant, variants, "expect");
    // Its name is checked against the metric catalogue a layer up (`lesson::validate`).
    let metric = e.metric.get_ref().trim();
    if metric.is_empty() {
        return c.err(&e.metric, "expect needs a metric name");
    }
    if !e.value.is_finite() {
        return c.err(re, "expect value must be a finite number");
    }
    let (line, col) = line_col(c.text, re.span().start);
    let (metric_line, metric_col) = line_col(c.text, e.metric.span().start);
    Ok(Expect {
        variant: variant?,
        metric: metric.to_owned(),
        op: e.op,
        value: e.value,
        line,
        col,
        metric_line,
        metric_col,
        sweep: point?,
    })
}

/// The index of the right choice, which a step with choices needs (and one without may not have).
fn answer(c: &Checker, rs: &Spanned<RawStep>, s: &RawStep) -> Res<Option<usize>> {
    let answer = match (&s.answer, s.choices.len()) {
        (None, 0) => None,
        (None, _) => {
            return c.err(
                rs,
                "a step with `choices` needs `answer`: the index (from 0) of the right choice",
            );
        }
        (Some(a), 0) => return c.err(a, "`answer` needs `choices` to pick from"),
        (Some(a), n) => {
            let last = i64::try_from(n).unwrap_or(1) - 1;
            let range = rules::IntRange::new(rules::ANSWER.min, last);
            let i = c.integer(a, "answer", range)?;
            Some(usize::try_from(i).unwrap_or(0))
        }
    };
    if !s.choices.is_empty() && s.ask.is_none() {
        return c.err(
            rs,
            "a step with `choices` needs the question they answer: `ask`",
        );
    }
    Ok(answer)
}
