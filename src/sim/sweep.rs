//! Sweeps: one scenario run over a grid of parameter values and several seeds, on several
//! threads, with results in a fixed order whatever the number of threads.
//!
//! ```text
//!   --param a=1,2 --param b=0.5..1.0:0.5 --seeds 3
//!     grid:  (a=1,b=0.5) (a=1,b=1.0) (a=2,b=0.5) (a=2,b=1.0)      first param outermost
//!     runs:  point 0 seed s, s+1, s+2 | point 1 seed s, s+1, s+2 | ...   run i = point i/3
//!     threads take the next run index from one atomic counter; run i's result goes to slot i
//! ```
//!
//! The driver knows no metric: the caller measures each finished run with a closure (the
//! report layer reads its catalogue there).

use super::params::{self, ParamError};
use super::{Cancel, Simulation};
use crate::scenario::{Nanos, Scenario};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The most values one `--param` takes, and the most runs a sweep makes.
pub const MAX_VALUES: usize = 10_000;
pub const MAX_RUNS: usize = 100_000;

/// The largest seed a scenario file can hold (`seed` is a TOML integer): a sweep's seeds stop there.
const MAX_SEED: u64 = crate::scenario::rules::SEED.max.unsigned_abs();

/// One swept parameter and its values, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<toml::Value>,
}

/// `PATH=V1,V2,...` (TOML values, bare words as strings) or `PATH=FROM..TO[:STEP]` (numbers,
/// both ends included, STEP 1 by default; whole numbers when all three are).
///
/// # Errors
/// The text has neither form; a range that is empty, steps backwards or has too many values.
pub fn axis(text: &str) -> Result<Axis, ParamError> {
    let form = "give PATH=V1,V2,... or PATH=FROM..TO[:STEP]";
    let Some((path, values)) = text.split_once('=') else {
        return Err(ParamError::new(text, form));
    };
    let (path, values) = (path.trim(), values.trim());
    if path.is_empty() || values.is_empty() {
        return Err(ParamError::new(text, form));
    }
    let values = match values.split_once("..") {
        Some((from, to)) => range(path, from, to)?,
        None => split_values(values)
            .into_iter()
            .map(|v| match v.trim() {
                "" => Err(ParamError::new(
                    path,
                    format!("an empty value in {values:?}"),
                )),
                v => params::number_or_value(path, v),
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    if values.len() > MAX_VALUES {
        let message = format!("{} values; the limit is {MAX_VALUES}", values.len());
        return Err(ParamError::new(path, message));
    }
    Ok(Axis {
        path: path.to_owned(),
        values,
    })
}

/// `V1,V2,...` split at the commas outside quotes, brackets and braces: `"a,b",c` is two values
/// and `[1, 2],[3]` two lists.
fn split_values(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut depth) = (Vec::new(), 0, 0i32);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        // A quote opens a quoted value only where the value starts (`o'neil` is a word).
        let at_start = text[start..i].trim().is_empty();
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' if at_start && depth == 0 => quote = Some(c),
                '"' | '\'' if depth > 0 => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                ',' if depth <= 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Digits after the decimal point as written (`0.25` has 2), or None in exponent notation.
fn decimals(text: &str) -> Option<i32> {
    if text.contains(['e', 'E']) {
        return None;
    }
    let d = text.split_once('.').map_or(0, |(_, frac)| frac.len());
    i32::try_from(d).ok()
}

/// `FROM..TO[:STEP]`. Value i is `FROM + i * STEP`, computed from i (no drift from adding
/// steps up) and rounded to the decimals the three numbers are written with, so `0.1..0.3:0.1`
/// gives 0.1, 0.2, 0.3 and not 0.30000000000000004.
fn range(path: &str, from: &str, rest: &str) -> Result<Vec<toml::Value>, ParamError> {
    let (to, step) = rest.split_once(':').unwrap_or((rest, "1"));
    let texts = [from.trim(), to.trim(), step.trim()];
    let mut nums = [0.0; 3];
    for (n, t) in nums.iter_mut().zip(texts) {
        *n = match t.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => {
                let message = format!("{t:?} is no number: give FROM..TO[:STEP]");
                return Err(ParamError::new(path, message));
            }
        };
    }
    let [from, to, step] = nums;
    if step <= 0.0 {
        return Err(ParamError::new(
            path,
            format!(
                "STEP must be greater than 0, got {}",
                crate::scenario::diagnostic::num(step)
            ),
        ));
    }
    if to < from {
        let message = format!("TO ({to}) is below FROM ({from}): a range goes up");
        return Err(ParamError::new(path, message));
    }
    if let [Ok(from), Ok(to), Ok(step)] = texts.map(str::parse::<i64>) {
        return whole_range(path, from, to, step);
    }
    let count = ((to - from) / step + 1e-9).floor() + 1.0;
    if count > MAX_VALUES as f64 {
        let message = format!(
            "{} values; the limit is {MAX_VALUES}",
            crate::scenario::diagnostic::num(count)
        );
        return Err(ParamError::new(path, message));
    }
    let places = texts
        .iter()
        .map(|t| decimals(t))
        .collect::<Option<Vec<_>>>();
    let scale = places.map(|p| 10f64.powi(p.into_iter().max().unwrap_or(0).min(15)));
    Ok((0..count as usize)
        .map(|i| {
            let x = from + i as f64 * step;
            toml::Value::Float(scale.map_or(x, |s| (x * s).round() / s))
        })
        .collect())
}

/// A range of whole numbers, exact at any size (a float has 53 bits: seeds above 2^53 came
/// out rounded, repeated and past TO). `step` > 0, checked by the caller.
fn whole_range(path: &str, from: i64, to: i64, step: i64) -> Result<Vec<toml::Value>, ParamError> {
    if to < from {
        let message = format!("TO ({to}) is below FROM ({from}): a range goes up");
        return Err(ParamError::new(path, message));
    }
    let count = (i128::from(to) - i128::from(from)) / i128::from(step) + 1;
    if count > MAX_VALUES as i128 {
        let message = format!("{count} values; the limit is {MAX_VALUES}");
        return Err(ParamError::new(path, message));
    }
    // Within TO, so within i64.
    let at = |i: i128| i64::try_from(i128::from(from) + i * i128::from(step)).unwrap_or(to);
    Ok((0..count).map(|i| toml::Value::Integer(at(i))).collect())
}

/// Every combination of the axes' values, the first axis outermost.
#[must_use]
pub fn grid(axes: &[Axis]) -> Vec<Vec<(String, toml::Value)>> {
    let mut points = vec![Vec::new()];
    for a in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                a.values.iter().map(move |v| {
                    let mut p = p.clone();
                    p.push((a.path.clone(), v.clone()));
                    p
                })
            })
            .collect();
    }
    points
}

/// One point of the grid: its values, and the seed and duration of the scenario they make. The
/// scenario itself is made again when a run needs it ([`Plan::scenario`]): each point's is a copy
/// of the file's text, and a grid of them would hold points x file size.
#[derive(Clone, Debug)]
pub struct Point {
    pub values: Vec<(String, toml::Value)>,
    pub seed: u64,
    pub duration: Nanos,
}

/// What a sweep runs: every point, each with `seeds` seeds (the point's seed and the ones after
/// it), the variants given by index (all by default), until `until` (default: each point's
/// duration).
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario the points change.
    pub base: Arc<Scenario>,
    pub params: Vec<String>,
    pub points: Vec<Point>,
    pub seeds: u64,
    pub variants: Vec<usize>,
    pub until: Option<Nanos>,
}

impl Plan {
    /// Build every point's scenario, so a bad path or value fails before anything runs (one at
    /// a time: a point keeps its values, not its scenario).
    ///
    /// # Errors
    /// A path given twice, a path or value [`params::apply`] rejects, too many runs.
    pub fn new(base: &Scenario, axes: &[Axis], seeds: u64) -> Result<Plan, ParamError> {
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.path == a.path) {
                return Err(ParamError::new(&a.path, "swept twice: give it one --param"));
            }
        }
        // Counted before the grid is made: a grid over the limit is never built.
        let n_points = axes
            .iter()
            .try_fold(1u64, |n, a| n.checked_mul(a.values.len() as u64));
        let runs = n_points.and_then(|n| n.checked_mul(seeds.max(1)));
        if runs.is_none_or(|r| r > MAX_RUNS as u64) {
            let points = n_points.map_or_else(|| "too many".to_owned(), |n| n.to_string());
            let message =
                format!("{points} points x {seeds} seeds is over the limit of {MAX_RUNS} runs");
            let swept: Vec<&str> = axes.iter().map(|a| a.path.as_str()).collect();
            let what = if swept.is_empty() {
                "--seeds".to_owned()
            } else {
                swept.join(" x ")
            };
            return Err(ParamError::new(&what, message));
        }
        // Each value as its field takes it, and so reported: `seed=1.0` runs and shows seed 1.
        let axes: Vec<Axis> = axes
            .iter()
            .map(|a| Axis {
                path: a.path.clone(),
                values: params::as_field(base, &a.path, &a.values),
            })
            .collect();
        let points = grid(&axes)
            .into_iter()
            .map(|values| {
                let scenario = params::apply(base, &values)?;
                Ok(Point {
                    values,
                    seed: scenario.seed,
                    duration: scenario.duration,
                })
            })
            .collect::<Result<Vec<_>, ParamError>>()?;
        // A run's seed is one a file can hold, so any run can be written down and run again.
        if let Some(p) = points
            .iter()
            .find(|p| p.seed.saturating_add(seeds.max(1) - 1) > MAX_SEED)
        {
            let message = format!(
                "{seeds} seeds from seed {} go past {MAX_SEED}, the largest seed a file can hold",
                p.seed
            );
            return Err(ParamError::new("--seeds", message));
        }
        Ok(Plan {
            base: Arc::new(base.clone()),
            params: axes.iter().map(|a| a.path.clone()).collect(),
            points,
            seeds: seeds.max(1),
            variants: (0..base.variants.len()).collect(),
            until: None,
        })
    }

    /// Runs in all: points x seeds. Run `i` is point `i / seeds` with seed offset `i % seeds`.
    #[must_use]
    pub fn runs(&self) -> usize {
        self.points.len() * usize::try_from(self.seeds).unwrap_or(usize::MAX)
    }

    /// Run `i`'s point and seed.
    #[must_use]
    pub fn run_at(&self, i: usize) -> Option<(&Point, u64)> {
        let seeds = usize::try_from(self.seeds).unwrap_or(1).max(1);
        let point = self.points.get(i / seeds)?;
        Some((point, point.seed.saturating_add((i % seeds) as u64)))
    }

    /// The shortest `duration_s` of the points: how long every run of the plan can last
    /// (`until` at most; a swept `duration_s` makes some points shorter than the scenario).
    #[must_use]
    pub fn shortest(&self) -> Nanos {
        self.points
            .iter()
            .map(|p| p.duration)
            .min()
            .unwrap_or(self.base.duration)
    }

    /// The scenario `point` makes (as [`Plan::new`] checked it).
    ///
    /// # Errors
    /// None for a point of this plan: its values were applied once already.
    pub fn scenario(&self, point: &Point) -> Result<Scenario, ParamError> {
        params::apply(&self.base, &point.values)
    }

    /// The scenario run `i` runs, as a file would say it (its seed written into the text), to
    /// open in a viewer: run to the plan's end it gives the sweep's numbers.
    ///
    /// # Errors
    /// No run `i`, or the seed does not fit the file's rules.
    pub fn configuration(&self, i: usize) -> Result<Scenario, ParamError> {
        let Some((point, seed)) = self.run_at(i) else {
            let message = format!("no run {i}: the sweep has {}", self.runs());
            return Err(ParamError::new("seed", message));
        };
        let scenario = self.scenario(point)?;
        if seed == point.seed {
            return Ok(scenario);
        }
        let seed = i64::try_from(seed)
            .map_err(|_| ParamError::new("seed", format!("{seed} is too large")))?;
        params::apply(
            &scenario,
            &[("seed".to_owned(), toml::Value::Integer(seed))],
        )
    }

    /// Run `i`, to its end; None if `cancel` was set before it ended.
    #[cfg(test)]
    fn run_one(&self, i: usize, cancel: &dyn Cancel) -> Option<Simulation> {
        let (point, _) = self.run_at(i)?;
        let s = self.scenario(point).ok()?;
        self.run_on(i, &s, cancel)
    }

    /// Run `i` on `base`, its point's scenario, with its seed; None if `cancel` was set before
    /// it ended.
    fn run_on(&self, i: usize, base: &Scenario, cancel: &dyn Cancel) -> Option<Simulation> {
        let (_, seed) = self.run_at(i)?;
        let mut s = base.clone();
        s.seed = seed;
        let until = self.until.unwrap_or(s.duration);
        let mut sim = Simulation::with_variants(Arc::new(s), &self.variants);
        // A sweep's threads each take a run: a run's variants share its thread, so `jobs`
        // threads use `jobs` cores (and one job is one core).
        sim.set_threads(1);
        // In slices, so that Ctrl+C does not wait for a long run to end; the events processed
        // are the same as in one call.
        let slice = (until / 64).max(1);
        let mut t = 0;
        loop {
            if cancel.cancelled() {
                return None;
            }
            t = (t + slice).min(until);
            sim.run_until(t);
            if t >= until {
                return Some(sim);
            }
        }
    }
}

/// The scenarios of the points under way: each built once for all its seeds (parsing a large
/// file takes tens of milliseconds), and let go once its last seed has started, so that a sweep
/// holds about one scenario a job.
struct Built<'p> {
    plan: &'p Plan,
    seeds: usize,
    /// A point's scenario (None: it would not build) and how many of its runs have not started.
    cells: Mutex<ScenarioCells>,
}

type ScenarioCells = HashMap<usize, (Arc<OnceLock<Option<Arc<Scenario>>>>, usize)>;

impl<'p> Built<'p> {
    fn new(plan: &'p Plan) -> Built<'p> {
        Built {
            plan,
            seeds: usize::try_from(plan.seeds).unwrap_or(1).max(1),
            cells: Mutex::new(HashMap::new()),
        }
    }

    /// The scenario of run `i`'s point, built by the first of its runs to ask (the others wait
    /// for it).
    fn take(&self, i: usize) -> Option<Arc<Scenario>> {
        let point = i / self.seeds;
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            let (cell, left) = cells
                .entry(point)
                .or_insert_with(|| (Arc::new(OnceLock::new()), self.seeds));
            let cell = Arc::clone(cell);
            *left -= 1;
            if *left == 0 {
                cells.remove(&point);
            }
            cell
        };
        let made = cell.get_or_init(|| {
            let p = self.plan.points.get(point)?;
            self.plan.scenario(p).ok().map(Arc::new)
        });
        made.clone()
    }
}

/// Run every run of `plan` on `jobs` threads and measure each; slot `i` holds run `i`'s result,
/// None for a run that `cancel` stopped or kept from starting. `progress(done, total)` is
/// called after each run (from the thread that ran it).
pub fn run<R: Send>(
    plan: &Plan,
    jobs: usize,
    cancel: &dyn Cancel,
    progress: &(dyn Fn(usize, usize) + Sync),
    measure: &(dyn Fn(&Simulation) -> R + Sync),
) -> Vec<Option<R>> {
    let total = plan.runs();
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..total).map(|_| None).collect());
    let done = AtomicUsize::new(0);
    each(plan, jobs, cancel, measure, &|i, r| {
        if let Some(slot) = slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(i)
        {
            *slot = Some(r);
        }
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
    });
    slots.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// Run every run of `plan` on `jobs` threads, measure each and hand `finished(i, result)` the
/// measure of run `i` as soon as it is taken (from the thread that ran it, in no fixed order):
/// what a viewer needs to draw points as they arrive. Returns when every run finished or
/// `cancel` was set.
pub fn each<R>(
    plan: &Plan,
    jobs: usize,
    cancel: &dyn Cancel,
    measure: &(dyn Fn(&Simulation) -> R + Sync),
    finished: &(dyn Fn(usize, R) + Sync),
) {
    let total = plan.runs();
    let next = AtomicUsize::new(0);
    let built = Built::new(plan);
    let worker = || loop {
        if cancel.cancelled() {
            break;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let Some(base) = built.take(i) else {
            break;
        };
        let Some(sim) = plan.run_on(i, &base, cancel) else {
            break;
        };
        let r = measure(&sim);
        drop(sim);
        finished(i, r);
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, total.max(1)) {
            scope.spawn(worker);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;
    use crate::sim::CancelAt;
    use std::sync::atomic::AtomicBool;

    fn point_to_point() -> Scenario {
        let text = crate::builtin::get("point-to-point").unwrap_or_default();
        parse_scenario("builtin:point-to-point", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn floats(a: &Axis) -> Vec<f64> {
        a.values
            .iter()
            .map(|v| v.as_float().unwrap_or(f64::NAN))
            .collect()
    }

    #[test]
    fn a_range_includes_its_end_and_steps_without_drift() {
        let a = axis("scale.rate=0.5..2.0:0.25").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.path, "scale.rate");
        assert_eq!(floats(&a), [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]);
        let a = axis("latency_ms=0.1..0.7:0.1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(floats(&a), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
        let a = axis("scale.producers=1..4").unwrap_or_else(|e| panic!("{e}"));
        let ints: Vec<i64> = a
            .values
            .iter()
            .filter_map(toml::Value::as_integer)
            .collect();
        assert_eq!(ints, [1, 2, 3, 4]);
        let a = axis("seed=-2..7:3").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.values.len(), 4, "-2, 1, 4, 7");
        // Whole numbers beyond a float's 53 bits, exactly.
        let ints = |text: &str| -> Vec<i64> {
            let a = axis(text).unwrap_or_else(|e| panic!("{e}"));
            a.values
                .iter()
                .filter_map(toml::Value::as_integer)
                .collect()
        };
        let big = 9_007_199_254_740_993;
        assert_eq!(
            ints("seed=9007199254740993..9007199254740995"),
            [big, big + 1, big + 2]
        );
        let top = ints("seed=9223372036854775800..9223372036854775807");
        assert_eq!(top, (i64::MAX - 7..=i64::MAX).collect::<Vec<_>>());
        assert_eq!(
            ints("seed=-9223372036854775808..9223372036854775807:9223372036854775807"),
            [i64::MIN, -1, i64::MAX - 1]
        );
        let e = axis("seed=9007199254740995..9007199254740993").map(|a| a.values.len());
        assert!(format!("{e:?}").contains("below FROM"), "{e:?}");
        let a = axis("latency_ms=0..1:0.3").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            floats(&a),
            [0.0, 0.3, 0.6, 0.9],
            "the end is included only when hit"
        );
    }

    #[test]
    fn a_list_takes_toml_values_and_bare_words() {
        let a =
            axis("consumer.*.service_dist=fixed, exponential").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            a.values,
            [
                toml::Value::String("fixed".into()),
                toml::Value::String("exponential".into())
            ]
        );
        let a = axis("seed=4").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.values, [toml::Value::Integer(4)]);
        // A comma inside quotes or a list belongs to its value.
        let a = axis(r#"consumer.c.group="a,b",c, 'd,e'"#).unwrap_or_else(|e| panic!("{e}"));
        let s = |x: &str| toml::Value::String(x.into());
        assert_eq!(a.values, [s("a,b"), s("c"), s("d,e")]);
        let a = axis("consumer.c.group=o'neil,smith").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.values, [s("o'neil"), s("smith")]);
        let a = axis("x=[1, 2],[3]").unwrap_or_else(|e| panic!("{e}"));
        let list =
            |v: &[i64]| toml::Value::Array(v.iter().map(|&i| toml::Value::Integer(i)).collect());
        assert_eq!(a.values, [list(&[1, 2]), list(&[3])]);
    }

    #[test]
    fn bad_axes_say_what_is_wrong() {
        for (text, want) in [
            ("scale.rate", "give PATH=V1,V2,... or PATH=FROM..TO[:STEP]"),
            ("=1,2", "give PATH="),
            ("scale.rate=", "give PATH="),
            ("scale.rate=1,,2", "an empty value"),
            ("scale.rate=2..1", "below FROM"),
            ("scale.rate=1..2:0", "STEP must be greater than 0"),
            ("scale.rate=1..x", "\"x\" is no number"),
            ("seed=0..100000", "the limit is 10000"),
        ] {
            match axis(text) {
                Ok(a) => panic!("{text} should fail, got {a:?}"),
                Err(e) => assert!(e.to_string().contains(want), "{text}: {e}"),
            }
        }
    }

    #[test]
    fn values_and_runs_are_refused_just_over_their_limits() {
        let list = |n: usize| {
            let values: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
            axis(&format!("seed={}", values.join(",")))
        };
        assert_eq!(list(MAX_VALUES).map(|a| a.values.len()), Ok(MAX_VALUES));
        let e = list(MAX_VALUES + 1).expect_err("one value too many");
        assert!(
            e.message.contains("10001 values; the limit is 10000"),
            "{e}"
        );
        // 10 points x 10,000 seeds is the limit; 11 x 9,091 = 100,001 is over.
        let s = point_to_point();
        let points =
            |n: usize| [axis(&format!("scale.rate=1..{n}")).unwrap_or_else(|e| panic!("{e}"))];
        let plan = Plan::new(&s, &points(10), 10_000).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.runs(), MAX_RUNS);
        let e = Plan::new(&s, &points(11), 9_091).expect_err("100,001 runs");
        assert!(
            e.message
                .contains("11 points x 9091 seeds is over the limit of 100000 runs"),
            "{e}"
        );
    }

    #[test]
    fn a_whole_number_typed_with_a_point_is_run_and_reported_as_the_field_takes_it() {
        let s = point_to_point();
        let axes = [
            axis("seed=1.0,2").unwrap_or_else(|e| panic!("{e}")),
            axis("producer.*.rate_per_s=50").unwrap_or_else(|e| panic!("{e}")),
        ];
        let plan = Plan::new(&s, &axes, 1).unwrap_or_else(|e| panic!("{e}"));
        let shown: Vec<Vec<toml::Value>> = plan
            .points
            .iter()
            .map(|p| p.values.iter().map(|(_, v)| v.clone()).collect())
            .collect();
        let (int, rate) = (toml::Value::Integer, toml::Value::Integer(50));
        assert_eq!(shown, [vec![int(1), rate.clone()], vec![int(2), rate]]);
        assert_eq!(plan.run_at(0).map(|(_, seed)| seed), Some(1));
    }

    #[test]
    fn seeds_stop_at_the_largest_seed_a_file_can_hold() {
        let s = point_to_point();
        let from = |seed: i64| [axis(&format!("seed={seed}")).unwrap_or_else(|e| panic!("{e}"))];
        // Three seeds ending at i64::MAX: the edge, accepted; one further is refused.
        let plan = Plan::new(&s, &from(i64::MAX - 2), 3).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.run_at(2).map(|(_, seed)| seed), Some(i64::MAX as u64));
        let e = Plan::new(&s, &from(i64::MAX - 1), 3).expect_err("a seed past i64::MAX");
        assert_eq!(e.path, "--seeds");
        assert_eq!(
            e.message,
            "3 seeds from seed 9223372036854775806 go past 9223372036854775807, \
             the largest seed a file can hold"
        );
    }

    #[test]
    fn the_grid_runs_the_first_axis_outermost() {
        let axes = [
            axis("a=1,2").unwrap_or_else(|e| panic!("{e}")),
            axis("b=x,y,z").unwrap_or_else(|e| panic!("{e}")),
        ];
        let g = grid(&axes);
        assert_eq!(g.len(), 6);
        let show: Vec<String> = g
            .iter()
            .map(|p| {
                p.iter()
                    .map(|(_, v)| v.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        assert_eq!(
            show,
            ["1 \"x\"", "1 \"y\"", "1 \"z\"", "2 \"x\"", "2 \"y\"", "2 \"z\""]
        );
        assert_eq!(grid(&[]).len(), 1, "no axis: the scenario itself");
    }

    #[test]
    fn a_grid_over_the_run_limit_is_refused_before_it_is_built() {
        // 100 million points: built, they would take gigabytes before the count was looked at.
        let axes = [
            axis("seed=1..10000").unwrap_or_else(|e| panic!("{e}")),
            axis("scale.rate=1..10000").unwrap_or_else(|e| panic!("{e}")),
        ];
        let e = Plan::new(&point_to_point(), &axes, 1)
            .err()
            .unwrap_or_else(|| panic!("over the limit"));
        assert_eq!(e.path, "seed x scale.rate");
        assert_eq!(
            e.message,
            "100000000 points x 1 seeds is over the limit of 100000 runs"
        );
    }

    #[test]
    fn a_plan_checks_every_point_before_running() {
        let s = point_to_point();
        let bad = [axis("producer.*.rate_per_s=10,-1").unwrap_or_else(|e| panic!("{e}"))];
        let e = Plan::new(&s, &bad, 1)
            .err()
            .unwrap_or_else(|| panic!("-1 is no rate"));
        assert_eq!(e.path, "producer.*.rate_per_s");
        assert!(e.message.contains("greater than 0"), "{e}");
        let twice = [
            axis("seed=1,2").unwrap_or_else(|e| panic!("{e}")),
            axis("seed=3").unwrap_or_else(|e| panic!("{e}")),
        ];
        assert!(Plan::new(&s, &twice, 1).is_err());
        let many = [axis("seed=1..10000").unwrap_or_else(|e| panic!("{e}"))];
        let e = Plan::new(&s, &many, 11)
            .err()
            .unwrap_or_else(|| panic!("too many runs"));
        assert!(e.message.contains("limit of 100000 runs"), "{e}");
    }

    /// Each run's (seed, events, delivered per variant): what a measure closure can see.
    fn runs(plan: &Plan, jobs: usize) -> Vec<Option<(u64, u64, Vec<u64>)>> {
        let cancel = AtomicBool::new(false);
        run(plan, jobs, &cancel, &|_, _| {}, &|sim: &Simulation| {
            let delivered = sim
                .variants
                .iter()
                .map(|v| v.tally().counters.delivered)
                .collect();
            (sim.scenario.seed, sim.events(), delivered)
        })
    }

    #[test]
    fn results_sit_in_run_order_whatever_the_threads() {
        let s = point_to_point();
        let axes = [axis("scale.rate=0.5,1").unwrap_or_else(|e| panic!("{e}"))];
        let mut plan = Plan::new(&s, &axes, 2).unwrap_or_else(|e| panic!("{e}"));
        plan.until = Some(crate::scenario::secs(5.0));
        plan.variants = vec![0, 2];
        let one = runs(&plan, 1);
        assert_eq!(one.len(), 4);
        let seeds: Vec<u64> = one.iter().flatten().map(|r| r.0).collect();
        assert_eq!(seeds, [7, 8, 7, 8]);
        assert!(one.iter().flatten().all(|r| r.2.len() == 2));
        assert_eq!(runs(&plan, 3), one);
    }

    #[test]
    fn a_points_scenario_is_built_once_for_its_seeds_and_let_go_after_the_last() {
        let s = point_to_point();
        let axes = [axis("scale.rate=0.5,1").unwrap_or_else(|e| panic!("{e}"))];
        let plan = Plan::new(&s, &axes, 3).unwrap_or_else(|e| panic!("{e}"));
        let built = Built::new(&plan);
        let take = |i| built.take(i).unwrap_or_else(|| panic!("run {i} builds"));
        let (a, b) = (take(0), take(1));
        assert!(Arc::ptr_eq(&a, &b), "the second seed gets the first one's");
        let held = || built.cells.lock().map(|c| c.len()).unwrap_or(usize::MAX);
        assert_eq!(held(), 1);
        let c = take(2);
        assert!(Arc::ptr_eq(&a, &c));
        assert_eq!(held(), 0, "its last seed has started: let go");
        let d = take(3);
        assert!(!Arc::ptr_eq(&a, &d), "the next point");
        assert_eq!(
            d.producers[0].publish[0].rate_per_s,
            2.0 * a.producers[0].publish[0].rate_per_s
        );
    }

    #[test]
    fn a_run_in_slices_is_the_run_in_one_go() {
        let s = point_to_point();
        let plan = Plan::new(&s, &[], 1).unwrap_or_else(|e| panic!("{e}"));
        let cancel = AtomicBool::new(false);
        let sliced = plan
            .run_one(0, &cancel)
            .unwrap_or_else(|| panic!("not cancelled"));
        let mut whole = Simulation::new(s.clone());
        whole.run_until(s.duration);
        assert_eq!(sliced.events(), whole.events());
        for (a, b) in sliced.variants.iter().zip(&whole.variants) {
            assert_eq!(format!("{:?}", a.tally()), format!("{:?}", b.tally()));
            assert_eq!(format!("{:?}", a.groups()), format!("{:?}", b.groups()));
        }
    }

    #[test]
    fn a_cancelled_sweep_runs_nothing_more() {
        let s = point_to_point();
        let plan = Plan::new(&s, &[], 3).unwrap_or_else(|e| panic!("{e}"));
        let cancel = AtomicBool::new(true);
        let out = run(&plan, 2, &cancel, &|_, _| {}, &|sim: &Simulation| {
            sim.events()
        });
        assert_eq!(out, [None, None, None]);
    }

    #[test]
    fn a_run_asks_between_slices_and_stops_in_the_middle() {
        let s = point_to_point();
        let plan = Plan::new(&s, &[], 1).unwrap_or_else(|e| panic!("{e}"));
        let never = CancelAt::new(usize::MAX);
        assert!(plan.run_one(0, &never).is_some());
        assert_eq!(never.asked(), 64, "once before each of 64 slices");
        let third = CancelAt::new(3);
        assert!(plan.run_one(0, &third).is_none(), "stopped");
        assert_eq!(third.asked(), 3, "after two slices of 64");
    }

    #[test]
    fn a_runs_configuration_replays_that_run() {
        let s = point_to_point();
        let axes = [axis("scale.rate=0.5,1").unwrap_or_else(|e| panic!("{e}"))];
        let mut plan = Plan::new(&s, &axes, 2).unwrap_or_else(|e| panic!("{e}"));
        plan.until = Some(crate::scenario::secs(3.0));
        let cancel = AtomicBool::new(false);
        let swept = plan
            .run_one(3, &cancel)
            .unwrap_or_else(|| panic!("not cancelled"));
        let c = plan.configuration(3).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.seed, 8, "point 1, second seed");
        assert!(c.text.contains("seed = 8"), "the file says it");
        let mut again = Simulation::new(c);
        again.run_until(crate::scenario::secs(3.0));
        assert_eq!(again.events(), swept.events());
        for (a, b) in again.variants.iter().zip(&swept.variants) {
            assert_eq!(format!("{:?}", a.tally()), format!("{:?}", b.tally()));
        }
        assert!(plan.configuration(4).is_err());
    }

    #[test]
    fn each_hands_over_every_run_by_its_index() {
        let s = point_to_point();
        let axes = [axis("scale.rate=0.5,1").unwrap_or_else(|e| panic!("{e}"))];
        let mut plan = Plan::new(&s, &axes, 2).unwrap_or_else(|e| panic!("{e}"));
        plan.until = Some(crate::scenario::secs(2.0));
        let cancel = AtomicBool::new(false);
        let got = Mutex::new(Vec::new());
        each(&plan, 2, &cancel, &Simulation::events, &|i, r| {
            got.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((i, r));
        });
        let mut got = got.into_inner().unwrap_or_else(PoisonError::into_inner);
        got.sort_unstable();
        let ran: Vec<Option<u64>> = runs(&plan, 1).into_iter().map(|r| r.map(|r| r.1)).collect();
        let each: Vec<Option<u64>> = got.iter().map(|r| Some(r.1)).collect();
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(each, ran);
    }
}
