//! The command line (DESIGN.md): `run`, `check`, `list`, `open`, `notes`, `import`, `sweep`,
//! `trace`, `schema`. It
//! parses arguments, loads scenarios and prints; every rule of the simulation stays in the
//! engine, every parameter path in `sim::params`, every metric in `report`.
//!
//! Exit codes: 0 ok, 1 an expectation failed, 2 bad input, 3 the output could not be written
//! (130: a sweep stopped by Ctrl+C, after printing what it had).

/// `eprintln!` (`say!`) and `eprint!` (`say!(@inline ...)`) that give up quietly if stderr
/// cannot take it: `eprintln!` panics then (`brokerlab list >/dev/full 2>/dev/full`).
macro_rules! say {
    (@inline $($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod check;

use crate::lesson::load;
use crate::report::sweep::SweepReport;
use crate::report::Report;
use crate::scenario::{parse_scenario, secs, to_secs, Diagnostics, Nanos, Scenario, LIMITS};
use crate::sim::params::{self, ParamError};
use crate::sim::sweep::{self as sim_sweep, Plan};
use crate::sim::Simulation;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Parser, Debug)]
#[command(
    name = "brokerlab",
    version,
    about = "Simulate messaging topologies side by side and see why Kafka exists",
    long_about = "Runs one workload through several messaging topologies (point-to-point links, an IPC \
                  channel, a pub/sub broker, a queue system per use case, a central Kafka-style log) \
                  and counts what each costs: links, systems to operate, latency, messages lost, \
                  duplicated or replayed. Without a command it opens the desktop app.\n\n\
                  FILE is a scenario file, or the name of a built-in scenario (see `brokerlab list`).\n\
                  Exit codes: 0 ok, 1 an expectation failed, 2 bad input."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the desktop app with FILE.
    Open {
        /// Scenario file or built-in name.
        file: String,
        /// With changes the app does not watch FILE: a reload would drop them.
        #[command(flatten)]
        set: Sets,
    },
    /// Run a scenario headless and print every variant's metrics.
    Run(RunArgs),
    /// Validate a scenario; for a lesson also run every step and check its expectations.
    Check {
        /// Scenario file or built-in name.
        file: String,
        /// `text`: problems as rustc shows errors, on stderr; `json`: `{ file, errors: [ { line,
        /// col, end_line, end_col, message, help } ] }` or the summary, on stdout.
        #[arg(long, value_enum, default_value_t = check::CheckFormat::Text)]
        format: check::CheckFormat,
        #[command(flatten)]
        set: Sets,
    },
    /// List the built-in scenarios and lessons.
    List,
    /// Turn a Mermaid flowchart of Markdown notes into a scenario (the drawing's topology as
    /// its first variant, the other shapes beside it on the same workload).
    Import {
        /// A Markdown file with ```mermaid graph/flowchart blocks.
        notes: std::path::PathBuf,
        /// Which flowchart (1-based, see --list); needed when there are several.
        #[arg(long, value_name = "K", conflicts_with = "list")]
        diagram: Option<usize>,
        /// List the flowcharts with their lines, node and link counts.
        #[arg(long)]
        list: bool,
        /// Write the scenario to this file instead of standard output.
        #[arg(long, value_name = "FILE", conflicts_with = "list")]
        out: Option<std::path::PathBuf>,
    },
    /// Write a lesson's study notes as Markdown: each step's text, a Mermaid diagram of each
    /// variant it shows, and the comparison measured at the step's time.
    Notes {
        /// Lesson file or built-in name (e.g. lesson-4).
        lesson: String,
        /// Language of the texts.
        #[arg(long, value_enum, default_value_t = NotesLang::En)]
        lang: NotesLang,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        set: Sets,
    },
    /// Run a scenario over a grid of parameter values and seeds, in parallel, and print each
    /// point's metrics (mean, 95% confidence interval, min, max over the seeds).
    Sweep(SweepArgs),
    /// Follow one message (the N-th produced, from 0: the same one in every variant) through
    /// every variant: its events in time (produced, published, stored, delivered, processed,
    /// acked, lost and why) and its outcome per group (delivered, lost with the reason, pending).
    Trace(TraceArgs),
    /// Print the JSON Schema (2020-12) of scenario files, for editors: a `#:schema PATH` line at
    /// the top of a file lets Taplo / Even Better TOML complete and check its fields.
    Schema,
}

/// `--set PATH=VALUE`, for every command that reads a scenario.
#[derive(Args, Debug, Default)]
pub struct Sets {
    /// Change the scenario first (repeatable, in order): PATH=VALUE with a TOML value, e.g.
    /// producer.*.rate_per_s=50, consumer.NAME.service_ms=5, variant.kafka.kafka.partitions=6,
    /// fault.0.until_s=40, scale.consumers=4 (DESIGN.md, "Parameter paths").
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file or built-in name.
    pub file: String,
    /// Only this variant (repeat for several); default: all.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Seed of the random streams (default: the scenario's `seed`), 0 to 2^63 - 1 as in a file.
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX.unsigned_abs()))]
    pub seed: Option<u64>,
    /// Simulated seconds to run (default: the scenario's `duration_s`).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub until: Option<f64>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub set: Sets,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    /// Scenario file or built-in name.
    pub file: String,
    /// The message: the N-th produced in the run, from 0.
    #[arg(long, value_name = "N")]
    pub message: u32,
    /// Only this variant (repeat for several); default: all.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// `table`, or `json`: `{ scenario, message: { id, producer, topic, key, created_s,
    /// size_bytes }, variants: [ { name, events: [ { t_s, at, what, group, consumer, detail } ],
    /// outcome: [ { group, state, reason } ] } ] }`.
    #[arg(long, value_enum, default_value_t = TraceFormat::Table)]
    pub format: TraceFormat,
    #[command(flatten)]
    pub set: Sets,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    Table,
    Json,
}

/// The metrics a sweep reports when no --metric is given (the report's defaults).
pub const SWEEP_METRICS: [&str; 4] = crate::report::sweep::DEFAULT_METRICS;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Scenario file or built-in name.
    pub file: String,
    /// A parameter and its values: PATH=V1,V2,... or PATH=FROM..TO[:STEP] (both ends
    /// included, STEP 1 by default). Several: every combination (the first outermost).
    #[arg(long = "param", value_name = "PATH=VALUES")]
    pub params: Vec<String>,
    /// Runs per point, with seeds seed to seed+N-1: the statistics are over them.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub seeds: u64,
    /// A metric to report (repeat for several; nested ones dotted: latency_ms.p99). Default:
    /// delivered, lost, latency_ms.p99, connections.
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Only this variant (repeat for several); default: all.
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Threads running points at once (default: the machine's cores). The output is the same
    /// for any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    pub jobs: Option<u64>,
    /// Simulated seconds each run lasts (default: each point's `duration_s`).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub until: Option<f64>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub set: Sets,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NotesLang {
    En,
    Ko,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

fn bad_input(e: &dyn std::fmt::Display) -> ExitCode {
    say!("{e}");
    ExitCode::from(2)
}

/// A scenario and the file it came from (None for a built-in one).
pub type Loaded = (Scenario, Option<std::path::PathBuf>);

/// The app, when brokerlab is built with it: it opens with a scenario (and the file it came
/// from), and with study notes whose diagrams its import window lists.
type App<'a> = Option<&'a dyn Fn(Option<Loaded>, Option<std::path::PathBuf>) -> ExitCode>;

/// Run the command line. `app` opens the desktop app (None when built without it).
#[must_use]
pub fn main_with(cli: Cli, app: App) -> ExitCode {
    match cli.command {
        None => match app {
            Some(open) => open(None, None),
            None => {
                say!(
                    "brokerlab was built without the desktop app (cargo feature `app`).\n\
                     Try: brokerlab run use-cases    or    brokerlab --help"
                );
                ExitCode::from(2)
            }
        },
        Some(Command::Open { file, set }) => open(&file, &set, app),
        Some(Command::List) => list(),
        Some(Command::Notes {
            lesson,
            lang,
            out,
            set,
        }) => notes(&lesson, lang, out.as_deref(), &set),
        Some(Command::Import {
            notes,
            diagram,
            list,
            out,
        }) => import(&notes, diagram, list, out.as_deref()),
        Some(Command::Check { file, set, format }) => check::check(&file, &set, format),
        Some(Command::Run(args)) => run(&args),
        Some(Command::Sweep(args)) => sweep(&args),
        Some(Command::Trace(args)) => trace(&args),
        Some(Command::Schema) => print_out(&crate::scenario::json_schema_text()),
    }
}

/// Why a scenario could not be loaded: its file's problems, or a `--set` that does not apply.
pub(crate) enum LoadError {
    File(Diagnostics),
    /// A `--set` that does not apply: the scenario's name (`builtin:NAME` for a built-in, as
    /// a file's errors name it) and the message.
    Set {
        file: String,
        message: String,
    },
}

impl LoadError {
    /// Say it on stderr (a terminal gets colours) and give exit code 2.
    fn exit(self) -> ExitCode {
        match self {
            LoadError::File(d) => {
                say!(@inline "{}", d.render(stderr_colour()));
                ExitCode::from(2)
            }
            LoadError::Set { message, .. } => bad_input(&message),
        }
    }
}

/// Colour on stderr: only on a terminal, and not when `NO_COLOR` is set (no-color.org).
fn stderr_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `file` (a path or a built-in name) with the `--set` changes made, checked whole like a file.
fn load_set(file: &str, set: &Sets) -> Result<Scenario, ExitCode> {
    try_load_set(file, set).map_err(LoadError::exit)
}

/// [`load_set`], with the reason it failed.
pub(crate) fn try_load_set(file: &str, set: &Sets) -> Result<Scenario, LoadError> {
    let s = load(file).map_err(LoadError::File)?;
    if set.set.is_empty() {
        return Ok(s);
    }
    let bad = |e: ParamError| LoadError::Set {
        file: s.source.clone(),
        message: format!("{}: --set {e}", s.source),
    };
    let changes = set
        .set
        .iter()
        .map(|a| params::assignment(a))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    let changed = params::apply(&s, &changes).map_err(bad)?;
    crate::lesson::validate(&changed).map_err(LoadError::File)?;
    Ok(changed)
}

/// `brokerlab open`: the app with the scenario (changed by `--set`, then not tied to its file).
fn open(file: &str, set: &Sets, app: App) -> ExitCode {
    let path = Path::new(file);
    // Study notes: the app lists their diagrams to import (read as TOML, their first line of
    // prose was "a key with no value").
    let notes = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("md"));
    if notes && set.set.is_empty() {
        if let Err(e) = std::fs::metadata(path) {
            return bad_input(&format!("{file}:1:1: cannot read the file: {e}"));
        }
        let Some(open) = app else {
            say!("brokerlab was built without the desktop app (cargo feature `app`): use `brokerlab import {file}`");
            return ExitCode::from(2);
        };
        return open(None, Some(path.to_path_buf()));
    }
    let s = match load_set(file, set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(open) = app else {
        say!("brokerlab was built without the desktop app (cargo feature `app`): use `brokerlab run {file}`");
        return ExitCode::from(2);
    };
    let watched = (path.exists() && set.set.is_empty()).then(|| path.to_path_buf());
    open(Some((s, watched)), None)
}

/// `brokerlab list`: the built-in scenarios and lessons.
fn list() -> ExitCode {
    let mut out = String::new();
    let builtins = crate::builtin::SCENARIOS
        .iter()
        .chain(crate::builtin::LESSONS);
    for (name, text) in builtins {
        match parse_scenario(name, text) {
            Ok(s) => {
                let kind = if crate::lesson::is_lesson(&s) {
                    "lesson"
                } else {
                    "scenario"
                };
                let _ = writeln!(out, "{name:<20} {kind:<9} {}", s.title.en);
            }
            Err(e) => {
                let _ = writeln!(out, "{name:<20} broken: {e}");
            }
        }
    }
    print_out(&out)
}

/// `brokerlab notes`: a lesson as Markdown study notes.
fn notes(lesson: &str, lang: NotesLang, out: Option<&Path>, set: &Sets) -> ExitCode {
    let s = match load_set(lesson, set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if s.steps.is_empty() {
        return bad_input(&format!(
            "{}:1:1: not a lesson: it has no [[step]]",
            s.source
        ));
    }
    let lang = match lang {
        NotesLang::En => crate::scenario::Lang::En,
        NotesLang::Ko => crate::scenario::Lang::Ko,
    };
    let md = crate::lesson::notes::notes_set(s, lang, &set.set);
    match out {
        None => print_out(&md),
        Some(path) => write_file(path, md.as_bytes(), Path::new(lesson)),
    }
}

/// `--until S` of `run`: past the scenario's end (consumers drain what is left) only if the
/// scenario's limits, timer work among them, still hold when reckoned to S (as if `duration_s`
/// were S: an estimate on the safe side, since producers stop at `duration_s`).
fn run_until_arg(until: Option<f64>, s: &Scenario) -> Result<Option<Nanos>, ExitCode> {
    let Some(u) = until.filter(|&u| u.is_finite() && u > to_secs(s.duration)) else {
        return until_arg(until, s.duration);
    };
    if u > LIMITS.duration_s {
        return until_arg(until, s.duration);
    }
    let longer = [("duration_s".to_owned(), toml::Value::Float(u))];
    match params::apply(s, &longer) {
        Ok(_) => Ok(Some(secs(u))),
        Err(e) => Err(bad_input(&format!(
            "--until {}: running on to then goes over a limit: {}",
            crate::scenario::diagnostic::num(u),
            e.message
        ))),
    }
}

/// `--until S` as simulated time, at most `duration` (the scenario's `duration_s`: its limits,
/// timer work among them, are reckoned to there); None: the scenario's duration.
fn until_arg(until: Option<f64>, duration: Nanos) -> Result<Option<Nanos>, ExitCode> {
    until_or(until, duration, "give --set duration_s=")
}

/// [`until_arg`], with what to do to run longer (`longer` then the seconds asked for).
fn until_or(until: Option<f64>, duration: Nanos, longer: &str) -> Result<Option<Nanos>, ExitCode> {
    match until {
        None => Ok(None),
        Some(u) if u.is_finite() && (0.0..=LIMITS.duration_s).contains(&u) => {
            if secs(u) > duration {
                let d = crate::scenario::to_secs(duration);
                let u = crate::scenario::diagnostic::num(u);
                return Err(bad_input(&format!(
                    "--until {u}: past duration_s = {d}, where the run ends; to run longer, \
                     {longer}{u}"
                )));
            }
            Ok(Some(secs(u)))
        }
        Some(u) => Err(bad_input(&format!(
            "--until {}: give simulated seconds from 0 to {}",
            crate::scenario::diagnostic::num(u),
            LIMITS.duration_s
        ))),
    }
}

/// `brokerlab run`: every (or the named) variant to the end, one report.
fn run(a: &RunArgs) -> ExitCode {
    let mut s = match load_set(&a.file, &a.set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(seed) = a.seed {
        s.seed = seed;
    }
    let until = match run_until_arg(a.until, &s) {
        Ok(u) => u.unwrap_or(s.duration),
        Err(code) => return code,
    };
    let sim = match Simulation::select(s, &a.variants) {
        Ok(sim) => sim,
        Err(e) => return bad_input(&variant_arg(&e)),
    };
    let report = Report::run(sim, until);
    let text = match a.format {
        Format::Json => return written(report.write_json(std::io::stdout().lock())),
        Format::Csv => crate::report::csv(&report),
        Format::Table => crate::report::table(&report),
    };
    print_out(&text)
}

/// `brokerlab trace`: one message's life in every (or the named) variant, to the end of the run.
fn trace(a: &TraceArgs) -> ExitCode {
    let s = match load_set(&a.file, &a.set) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match crate::sim::trace::trace(s, a.message, &a.variants) {
        Ok(t) => print_out(&match a.format {
            TraceFormat::Json => crate::report::trace::json(&t),
            TraceFormat::Table => crate::report::trace::table(&t),
        }),
        Err(crate::sim::trace::TraceError::Scenario(e)) => bad_input(&variant_arg(&e)),
        Err(e) => bad_input(&e),
    }
}

/// Set by Ctrl+C during a sweep.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// The first Ctrl+C stops a sweep after the runs under way (their slices); a second ends the
/// process at once.
fn stop_on_ctrl_c() {
    let handler = || {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        say!("brokerlab: Ctrl+C will not stop the sweep cleanly: {e}");
    }
}

/// A `--variant` that names none: about the argument, not a place in the file.
fn variant_arg(e: &crate::scenario::ScenarioError) -> String {
    format!("{}: --variant: {}", e.file, e.message)
}

/// The sweep's plan from its arguments, every point checked.
fn sweep_plan(a: &SweepArgs, base: &Scenario) -> Result<Plan, ExitCode> {
    // Blamed on the argument at fault: a parameter's `--param`, or an option (`--seeds`) itself.
    let bad = |e: ParamError| {
        let arg = if e.path.starts_with("--") {
            ""
        } else {
            "--param "
        };
        bad_input(&format!("{}: {arg}{e}", base.source))
    };
    let axes = a
        .params
        .iter()
        .map(|p| sim_sweep::axis(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)?;
    // A value both set and swept: a scale would multiply twice, a value would be overridden.
    for axis in &axes {
        let given = a.set.set.iter().find(|s| {
            s.split_once('=')
                .is_some_and(|(path, _)| params::overlap(base, path.trim(), &axis.path))
        });
        if let Some(given) = given {
            return Err(bad(ParamError::new(
                &axis.path,
                format!(
                    "changes what --set {given} changes: a value is either set or swept; drop one"
                ),
            )));
        }
    }
    let mut plan = Plan::new(base, &axes, a.seeds).map_err(bad)?;
    // Every point runs to --until: at most the shortest of their durations.
    let longer = if plan.params.iter().any(|p| p == "duration_s") {
        "sweep no duration_s below "
    } else {
        "give --set duration_s="
    };
    plan.until = until_or(a.until, plan.shortest(), longer)?;
    let selected =
        Simulation::select(base.clone(), &a.variants).map_err(|e| bad_input(&variant_arg(&e)))?;
    plan.variants = selected.variants.iter().map(|v| v.index).collect();
    Ok(plan)
}

/// The metric paths asked for, each checked against the catalogue.
fn sweep_metrics(a: &SweepArgs) -> Result<Vec<String>, ExitCode> {
    if a.metrics.is_empty() {
        return Ok(SWEEP_METRICS.map(str::to_owned).to_vec());
    }
    for m in &a.metrics {
        if !crate::report::is_metric_path(m) {
            let paths = crate::report::metric_paths();
            let near = crate::scenario::diagnostic::did_you_mean(m, paths.iter().map(|p| &**p))
                .map_or_else(String::new, |d| format!(" {d}"));
            return Err(bad_input(&format!(
                "--metric {m}: no such metric;{near} one of: {}",
                paths.join(", ")
            )));
        }
    }
    Ok(a.metrics.clone())
}

/// `brokerlab sweep`: every point x seed of the grid on `--jobs` threads, then statistics.
fn sweep(a: &SweepArgs) -> ExitCode {
    // First: a Ctrl+C while the plan is built stops the sweep before its first run.
    stop_on_ctrl_c();
    let prepared =
        load_set(&a.file, &a.set).and_then(|base| Ok((sweep_plan(a, &base)?, sweep_metrics(a)?)));
    let (plan, metrics) = match prepared {
        Ok(p) => p,
        Err(code) => return code,
    };
    let jobs = a.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        |j| usize::try_from(j).unwrap_or(1),
    );
    let tty = std::io::stderr().is_terminal();
    let progress = move |done: usize, total: usize| {
        if tty {
            say!(@inline "\r[{done}/{total}]");
        }
    };
    progress(0, plan.runs());
    let results = sim_sweep::run(
        &plan,
        jobs,
        &CANCEL,
        &progress,
        &crate::report::sweep::measure,
    );
    if tty {
        say!(@inline "\r\x1b[2K");
    }
    let report = SweepReport::new(&plan, &results, &metrics);
    let text = match a.format {
        Format::Json => report.json(),
        Format::Csv => report.csv(),
        Format::Table => report.table(),
    };
    let code = print_out(&text);
    if report.complete {
        return code;
    }
    let done = results.iter().filter(|r| r.is_some()).count();
    say!(
        "brokerlab: sweep stopped: {done} of {} runs finished (points show their runs; points without one are left out)",
        results.len()
    );
    ExitCode::from(130)
}

/// `brokerlab import`: list the flowcharts of a Markdown file, or turn one into a scenario.
fn import(notes: &Path, diagram: Option<usize>, list: bool, out: Option<&Path>) -> ExitCode {
    let file = notes.display().to_string();
    let markdown = match crate::scenario::read_file(notes) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return bad_input(&format!("{file}:1:1: {e}")),
    };
    if list {
        // A broken drawing does not hide the others: each is listed, the broken with its first
        // error (then exit 2).
        let each = crate::import::list_each(&file, &markdown);
        if each.is_empty() {
            // No flowchart: the message `import` gives, with the other blocks it skipped.
            if let Err(e) = crate::import::import(&file, &markdown, None) {
                return bad_input(&e);
            }
        }
        let mut text = String::new();
        let mut broken = 0;
        for (i, d) in each.into_iter().enumerate() {
            let _ = match d {
                Ok(d) => writeln!(
                    text,
                    "{:>2}  line {:<5} {:<14} {:>3} nodes {:>3} links  {}",
                    d.index,
                    d.line,
                    d.kind,
                    d.nodes,
                    d.edges,
                    d.title.unwrap_or_default()
                ),
                Err(e) => {
                    broken += 1;
                    writeln!(text, "{:>2}  broken: {e}", i + 1)
                }
            };
        }
        let code = print_out(&text);
        if broken > 0 {
            return bad_input(&format!(
                "{file}: {broken} of the flowcharts listed cannot be imported (above)"
            ));
        }
        return code;
    }
    match crate::import::import(&file, &markdown, diagram) {
        // As `check` shows an error: the line of the notes, a caret under the place.
        Err(e) => bad_input(&e.diagnostics(&markdown)),
        Ok(toml) => match out {
            None => print_out(&toml),
            Some(path) => write_file(path, toml.as_bytes(), notes),
        },
    }
}

pub(crate) fn print_out(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    written(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// The exit code once the output is written, or failed to be. A closed pipe (`| head`) is the
/// reader's choice, not an error; any other failure (a full disk) leaves the output cut short,
/// so it is said on stderr and the exit code is 3.
pub(crate) fn written(r: std::io::Result<()>) -> ExitCode {
    match r {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => cannot_write(&format!(
            "the output could not be written (it is incomplete): {e}"
        )),
        _ => ExitCode::SUCCESS,
    }
}

/// `bytes` into the file at `path` (`--out`): exit code 3 with the file named if that fails.
/// The file read (`input`) is never written over: exit code 2, and it stays as it was.
fn write_file(path: &Path, bytes: &[u8], input: &Path) -> ExitCode {
    let same = std::fs::canonicalize(path)
        .ok()
        .is_some_and(|p| std::fs::canonicalize(input).is_ok_and(|i| i == p));
    if same {
        return bad_input(&format!(
            "--out {}: that is the file read; give another file (it would be written over)",
            path.display()
        ));
    }
    match std::fs::write(path, bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cannot_write(&format!("{}: cannot write: {e}", path.display())),
    }
}

/// Exit code 3, saying why on stderr.
fn cannot_write(why: &str) -> ExitCode {
    say!("brokerlab: {why}");
    ExitCode::from(3)
}
