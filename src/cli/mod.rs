//! The command line (DESIGN.md): `run`, `check`, `list`, `open`. It parses arguments, loads
//! scenarios and prints; every rule of the simulation stays in the engine.
//!
//! Exit codes: 0 ok, 1 an expectation failed, 2 bad input.

use crate::lesson::load;
use crate::report::Report;
use crate::scenario::{parse_scenario, secs, Scenario, LIMITS};
use crate::sim::Simulation;
use clap::{Parser, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

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
    },
    /// Run a scenario headless and print every variant's metrics.
    Run {
        /// Scenario file or built-in name.
        file: String,
        /// Only this variant (repeat for several); default: all.
        #[arg(long = "variant", value_name = "NAME")]
        variants: Vec<String>,
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated seconds to run (default: the scenario's `duration_s`).
        #[arg(long, value_name = "S", allow_negative_numbers = true)]
        until: Option<f64>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Validate a scenario; for a lesson also run every step and check its expectations.
    Check {
        /// Scenario file or built-in name.
        file: String,
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
        #[arg(long, value_name = "FILE")]
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
    },
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
    eprintln!("{e}");
    ExitCode::from(2)
}

/// A scenario and the file it came from (None for a built-in one).
pub type Loaded = (Scenario, Option<std::path::PathBuf>);

/// Run the command line. `app` opens the desktop app (None when built without it).
#[must_use]
pub fn main_with(cli: Cli, app: Option<&dyn Fn(Option<Loaded>) -> ExitCode>) -> ExitCode {
    match cli.command {
        None => match app {
            Some(open) => open(None),
            None => {
                eprintln!(
                    "brokerlab was built without the desktop app (cargo feature `app`).\n\
                     Try: brokerlab run use-cases    or    brokerlab --help"
                );
                ExitCode::from(2)
            }
        },
        Some(Command::Open { file }) => match load(&file) {
            Err(e) => bad_input(&e),
            Ok(s) => match app {
                Some(open) => {
                    let path = Path::new(&file);
                    open(Some((s, path.exists().then(|| path.to_path_buf()))))
                }
                None => {
                    eprintln!("brokerlab was built without the desktop app (cargo feature `app`): use `brokerlab run {file}`");
                    ExitCode::from(2)
                }
            },
        },
        Some(Command::List) => {
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
        Some(Command::Notes { lesson, lang, out }) => match load(&lesson) {
            Err(e) => bad_input(&e),
            Ok(s) if s.steps.is_empty() => bad_input(&format!(
                "{}:1:1: not a lesson: it has no [[step]]",
                s.source
            )),
            Ok(s) => {
                let lang = match lang {
                    NotesLang::En => crate::scenario::Lang::En,
                    NotesLang::Ko => crate::scenario::Lang::Ko,
                };
                let md = crate::lesson::notes::notes(s, lang);
                match out {
                    None => print_out(&md),
                    Some(path) => match std::fs::write(&path, md) {
                        Ok(()) => ExitCode::SUCCESS,
                        Err(e) => bad_input(&format!("{}: cannot write: {e}", path.display())),
                    },
                }
            }
        },
        Some(Command::Import {
            notes,
            diagram,
            list,
            out,
        }) => import(&notes, diagram, list, out.as_deref()),
        Some(Command::Check { file }) => match load(&file) {
            Err(e) => bad_input(&e),
            Ok(s) => check(&s),
        },
        Some(Command::Run {
            file,
            variants,
            seed,
            until,
            format,
        }) => {
            let mut s = match load(&file) {
                Ok(s) => s,
                Err(e) => return bad_input(&e),
            };
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let until = match until {
                None => s.duration,
                Some(u) if u.is_finite() && (0.0..=LIMITS.duration_s).contains(&u) => secs(u),
                Some(u) => {
                    return bad_input(&format!(
                        "--until {u}: give simulated seconds from 0 to {}",
                        LIMITS.duration_s
                    ));
                }
            };
            let mut sim = match Simulation::select(s, &variants) {
                Ok(sim) => sim,
                Err(e) => return bad_input(&e),
            };
            sim.run_until(until);
            let report = Report::of(&sim);
            let text = match format {
                Format::Json => report.json(),
                Format::Csv => crate::report::csv(&report),
                Format::Table => crate::report::table(&report),
            };
            print_out(&text)
        }
    }
}

/// `brokerlab import`: list the flowcharts of a Markdown file, or turn one into a scenario.
fn import(notes: &Path, diagram: Option<usize>, list: bool, out: Option<&Path>) -> ExitCode {
    let file = notes.display().to_string();
    let markdown = match std::fs::read(notes) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return bad_input(&format!("{file}:1:1: cannot read the file: {e}")),
    };
    if list {
        return match crate::import::list(&file, &markdown) {
            Err(e) => bad_input(&e),
            Ok(found) => {
                let mut text = String::new();
                for d in found {
                    let _ = writeln!(
                        text,
                        "{:>2}  line {:<5} {:<14} {:>3} nodes {:>3} links  {}",
                        d.index,
                        d.line,
                        d.kind,
                        d.nodes,
                        d.edges,
                        d.title.unwrap_or_default()
                    );
                }
                print_out(&text)
            }
        };
    }
    match crate::import::import(&file, &markdown, diagram) {
        Err(e) => bad_input(&e),
        Ok(toml) => match out {
            None => print_out(&toml),
            Some(path) => match std::fs::write(path, toml) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => bad_input(&format!("{}: cannot write: {e}", path.display())),
            },
        },
    }
}

fn print_out(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    ExitCode::SUCCESS
}

fn check(s: &Scenario) -> ExitCode {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: valid: {} producers, {} consumers, {} topics, {} variants, {} faults, {} steps",
        s.source,
        s.producers.len(),
        s.consumers.len(),
        s.topics.len(),
        s.variants.len(),
        s.faults.len(),
        s.steps.len()
    );
    let outcomes = crate::lesson::check(s.clone());
    let mut failed = 0;
    for o in &outcomes {
        let e = &o.expect;
        let measured = o
            .measured
            .map_or_else(|| "not measured".to_owned(), |m| format!("{m}"));
        let _ = writeln!(
            out,
            "{} step {} ({}): {} {} {} {} (measured {measured})",
            if o.holds { "PASS" } else { "FAIL" },
            o.step + 1,
            s.steps[o.step].title.en,
            e.variant,
            e.metric,
            e.op.symbol(),
            e.value
        );
        if !o.holds {
            failed += 1;
            eprintln!(
                "{}:{}:{}: expectation failed: {} {} {} {} (measured {measured})",
                s.source,
                e.line,
                e.col,
                e.variant,
                e.metric,
                e.op.symbol(),
                e.value
            );
        }
    }
    if !outcomes.is_empty() {
        let _ = writeln!(
            out,
            "{} of {} expectations hold",
            outcomes.len() - failed,
            outcomes.len()
        );
    }
    let code = print_out(&out);
    if failed > 0 {
        ExitCode::from(1)
    } else {
        code
    }
}
