//! The `[[sweep]]` section of a lesson (see [`crate::scenario::Sweep`]): names, seeds, how long
//! each run lasts and the variants it runs. The params and the metric are only read here; the
//! lesson layer checks them against the parameter language and the metric catalogue.

use super::options::Variants;
use super::{Checker, RawExpect, RawScenario, Res, Top, LIMITS};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::{rules, secs, Placed, Sweep, SweepPoint, Text};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A sweep a lesson draws and checks: its scenario run over a grid of parameter values, with
/// several seeds a point.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Sweep")]
pub(super) struct RawSweep {
    /// Unique among sweeps: a step's `sweep` and an expectation's `sweep` name it.
    #[schemars(with = "String", transform = crate::scenario::rules::name_in_schema)]
    name: Spanned<String>,
    /// Shown above the curves; default: the metric.
    title: Option<Text>,
    /// Each swept parameter with its values, as `brokerlab sweep --param` takes them:
    /// `PATH=V1,V2,...` or `PATH=FROM..TO[:STEP]`. Several make a grid; the first is the
    /// curves' x axis.
    #[schemars(with = "Vec<String>", extend("minItems" = 1))]
    params: Spanned<Vec<Spanned<String>>>,
    /// Runs per point (seeds `seed` to `seed + seeds - 1`): curves show their mean and its 95%
    /// confidence interval.
    #[schemars(with = "Option<i64>", transform = rules::SWEEP_SEEDS.in_schema())]
    #[schemars(extend("default" = rules::SWEEP_SEEDS_DEFAULT))]
    seeds: Option<Spanned<i64>>,
    /// The metric the curves show (a metric of `brokerlab run`, nested ones dotted:
    /// `latency_ms.p99`).
    #[schemars(with = "String")]
    metric: Spanned<String>,
    /// The variants it runs; default: all.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    variants: Vec<Spanned<String>>,
    /// Simulated seconds each run lasts, at most the file's `duration_s` (default: that). Short
    /// runs keep `brokerlab check` quick.
    #[schemars(with = "Option<f64>", transform = rules::SWEEP_DURATION_S.in_schema())]
    duration_s: Option<Spanned<f64>>,
}

/// An expectation's point of a sweep: a value for each swept path.
pub(super) type RawAt = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// A value of a swept parameter (for the schema: what `at` holds).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(super) enum AtValue {
    Number(f64),
    Text(String),
    Flag(bool),
}

pub(super) fn sweeps(c: &Checker, raw: &RawScenario, top: &Top, variants: &Variants) -> Vec<Sweep> {
    if let Some(extra) = raw.sweep.get(LIMITS.sweeps) {
        let _ = c.err::<(), _>(extra, format!("more than {} sweeps", LIMITS.sweeps));
        return Vec::new();
    }
    let mut out: Vec<Sweep> = Vec::new();
    for rs in &raw.sweep {
        let Ok(s) = sweep(c, rs, top, variants) else {
            continue;
        };
        if out.iter().any(|o| o.name == s.name) {
            let why = format!("a sweep named {:?} exists already", s.name);
            let _ = c.err::<(), _>(&rs.get_ref().name, why);
            continue;
        }
        out.push(s);
    }
    out
}

/// One sweep; its parts are checked independently.
fn sweep(c: &Checker, rs: &Spanned<RawSweep>, top: &Top, variants: &Variants) -> Res<Sweep> {
    let s = rs.get_ref();
    let name = c.name(&s.name, "sweep");
    let seeds = s
        .seeds
        .as_ref()
        .map_or(Ok(rules::SWEEP_SEEDS_DEFAULT), |n| {
            c.integer(n, "seeds", rules::SWEEP_SEEDS)
        });
    let until = s
        .duration_s
        .as_ref()
        .map(|d| {
            let range = rules::SWEEP_DURATION_S.up_to(top.duration_s);
            c.number(d, "duration_s", range).map(secs)
        })
        .transpose();
    let params = params(c, s);
    let metric = if s.metric.get_ref().trim().is_empty() {
        c.err(&s.metric, "a sweep needs a metric name")
    } else {
        Ok(placed(&s.metric))
    };
    let chosen: Vec<Res<String>> = s.variants.iter().map(|v| variant(c, v, variants)).collect();
    Ok(Sweep {
        name: name?,
        title: s.title.clone(),
        params: params?,
        seeds: u64::try_from(seeds?).unwrap_or(1),
        metric: metric?,
        variants: chosen.into_iter().collect::<Res<_>>()?,
        until: until?,
        span: rs.span(),
    })
}

fn params(c: &Checker, s: &RawSweep) -> Res<Vec<Placed<String>>> {
    if s.params.get_ref().is_empty() {
        return c.err(
            &s.params,
            "a sweep needs a param to sweep: params = [\"PATH=V1,V2,...\"]",
        );
    }
    Ok(s.params.get_ref().iter().map(placed).collect())
}

fn placed(v: &Spanned<String>) -> Placed<String> {
    Placed {
        value: v.get_ref().trim().to_owned(),
        span: v.span(),
    }
}

fn variant(c: &Checker, v: &Spanned<String>, variants: &Variants) -> Res<String> {
    let name = v.get_ref().trim();
    if variants.names.iter().any(|n| n == name) {
        return Ok(name.to_owned());
    }
    let why = format!(
        "the sweep names no variant: {name:?} (variants: {})",
        variants.names.join(", ")
    );
    let help = did_you_mean(name, variants.names.iter().map(String::as_str));
    c.err_help(v, why, help)
}

/// An expectation's `sweep` and `at`: the sweep must exist, and each needs the other.
pub(super) fn point(
    c: &Checker,
    re: &Spanned<RawExpect>,
    sweeps: &[Sweep],
) -> Res<Option<SweepPoint>> {
    let e = re.get_ref();
    let (sweep, at) = match (&e.sweep, &e.at) {
        (None, None) => return Ok(None),
        (Some(_), None) => return c.err(
            re,
            "an expectation with `sweep` needs `at`: the point, e.g. at = { \"scale.rate\" = 2.0 }",
        ),
        (None, Some(at)) => return c.err(at, "`at` needs `sweep`: the sweep the point is of"),
        (Some(s), Some(at)) => (s, at),
    };
    let name = named(c, sweep, sweeps)?;
    // In the order the sweep gives its params (those it does not sweep last, for the lesson
    // layer to report).
    let paths = sweeps
        .iter()
        .find(|s| s.name == name)
        .map(Sweep::paths)
        .unwrap_or_default();
    let mut entries = assignments(at.get_ref());
    entries.sort_by_key(|(k, _)| {
        paths
            .iter()
            .position(|p| *p == k.value)
            .unwrap_or(usize::MAX)
    });
    Ok(Some(SweepPoint {
        sweep: name,
        at: entries,
        span: at.span(),
    }))
}

/// A table of `PATH = VALUE` (a sweep point's `at`, a step's `set`), each with its place, in
/// the file's order.
pub(super) fn assignments(t: &RawAt) -> Vec<(Placed<String>, Placed<toml::Value>)> {
    let mut out: Vec<_> = t
        .iter()
        .map(|(k, v)| {
            let key = Placed {
                value: k.get_ref().trim().to_owned(),
                span: k.span(),
            };
            let value = Placed {
                value: v.get_ref().clone(),
                span: v.span(),
            };
            (key, value)
        })
        .collect();
    out.sort_by_key(|(k, _)| k.span.start);
    out
}

/// A sweep's name as a step or an expectation gives it.
pub(super) fn named(c: &Checker, n: &Spanned<String>, sweeps: &[Sweep]) -> Res<String> {
    let name = n.get_ref().trim();
    if sweeps.iter().any(|s| s.name == name) {
        return Ok(name.to_owned());
    }
    let known: Vec<&str> = sweeps.iter().map(|s| s.name.as_str()).collect();
    let why = if known.is_empty() {
        format!("no [[sweep]] is named {name:?}: the file has none")
    } else {
        format!(
            "no [[sweep]] is named {name:?} (sweeps: {})",
            known.join(", ")
        )
    };
    c.err_help(n, why, did_you_mean(name, known))
}
