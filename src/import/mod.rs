//! `brokerlab import`: a Mermaid flowchart in study notes becomes a scenario.
//!
//! ```text
//!  ## A queue in the middle       -> title        [[producer]] s1, s2 --publish "metrics"--.
//!  graph TD                                                                              |
//!    S1 & S2 --> Q[(Message queue)]  -> Q is a messaging system: the mirror variant is   |
//!    Q --> M1[Metric server]            single-broker rabbitmq, "as-drawn-rabbitmq"      |
//!    C[Client] --> S1                -> [[consumer]] m1 <--subscribe "metrics"-----------'
//!                                       C --> S1 goes into a sender: a call, a comment only
//!
//!  a node (id, label or subgraph) naming a queue, broker, Pub/Sub, log, Kafka, Redis, RabbitMQ,
//!  channel, IPC, 큐, 브로커, 채널, 로그  ->  a messaging system
//!      none: direct | one channel/IPC: channel | one queue/broker/Redis: single-broker
//!      | one log/Kafka: central-log | several: broker-per-topic
//!  a node linked into a system, or into a node that only receives  ->  producer
//!  a node that only receives                                       ->  consumer, its own group
//!  a link into a node that also sends                              ->  a call, not simulated
//!  a link's text, verbs dropped; else the system's or consumer's name  ->  topic
//! ```
//!
//! The first variant mirrors the drawing: one connection per drawn link where brokerlab's count
//! for the shape allows it (`connections` in [`crate::topology::cost`]; for direct links a topic
//! drawn from different producers to different consumers is split so that each producer links
//! exactly the consumers drawn). The other shapes follow on the same workload. Each drawn
//! consumer is its own group: in the notes every link carries every message ("5 servers to 2
//! metric servers" sends each metric to both), and a shared `group` would halve what each gets. The text starts with comments that say where it came from and every
//! decision made; [`import`] checks it with [`crate::scenario::parse_scenario`] before handing
//! it back. Errors point into the Markdown file: `FILE:LINE:COL`, column in characters. Errors
//! about the file as a whole (no diagram, `--diagram` missing or out of range) are at 1:1.

mod emit;
mod flowchart;
mod mapping;
mod markdown;
mod names;
#[cfg(test)]
mod tests;

use flowchart::{Flowchart, Header, Pos};
use markdown::Block;
use serde::Serialize;
use std::fmt;

/// A flowchart found in a Markdown file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagram {
    /// 1-based, among the file's flowcharts (other Mermaid diagrams are not counted).
    pub index: usize,
    /// Line of the ```` ```mermaid ```` fence.
    pub line: usize,
    /// `graph TD`, `flowchart LR`, ...
    pub kind: String,
    pub nodes: usize,
    /// Links drawn, `A & B --> C` and chains counted link by link.
    pub edges: usize,
    /// The nearest Markdown heading above the block.
    pub title: Option<String>,
}

/// Why a file could not be imported: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// About the notes as a whole (no flowchart, which one to take), not a place in them: it
    /// is shown at 1:1 with no line to point at.
    pub whole_file: bool,
}

impl ImportError {
    /// The error as `check` shows one: its line of the notes (`markdown`) with a caret under
    /// the place, the lines counted as the import counts them (a carriage return alone ends
    /// one too). One about the notes as a whole has no line to show.
    #[must_use]
    pub fn diagnostics(self, markdown: &str) -> crate::scenario::Diagnostics {
        use crate::scenario::{Diagnostic, Diagnostics};
        if self.whole_file {
            let d = Diagnostic::point(1, 1, self.message);
            return Diagnostics::new(&self.file, "".into(), vec![d]);
        }
        let text = markdown.replace("\r\n", "\n").replace('\r', "\n");
        let d = Diagnostic::token(&text, self.line, self.col, self.message).with_label("here");
        Diagnostics::new(&self.file, text.into(), vec![d])
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// A `graph` / `flowchart` block and its header line.
struct Found<'a> {
    block: Block<'a>,
    header: Header<'a>,
}

/// The flowcharts of `markdown`, and the kinds of the other Mermaid blocks (skipped).
fn flowcharts(markdown: &str) -> (Vec<Found<'_>>, Vec<(usize, String)>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for block in markdown::mermaid_blocks(markdown) {
        match flowchart::header(&block) {
            Some(h) if flowchart::is_flowchart(h.word) => found.push(Found { block, header: h }),
            Some(h) => skipped.push((block.fence_line, h.word.to_owned())),
            None => skipped.push((block.fence_line, "an empty block".to_owned())),
        }
    }
    (found, skipped)
}

fn parse(file: &str, f: &Found) -> Result<Flowchart, ImportError> {
    flowchart::parse(file, &f.block, &f.header)
}

/// The flowcharts of a Markdown file, each parsed to count its nodes and links, or its first
/// syntax error: one broken drawing does not hide the others.
#[must_use]
pub fn list_each(file: &str, markdown: &str) -> Vec<Result<Diagram, ImportError>> {
    let (found, _) = flowcharts(markdown);
    found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let chart = parse(file, f)?;
            Ok(Diagram {
                index: i + 1,
                line: f.block.fence_line,
                kind: chart.kind.clone(),
                nodes: chart.nodes.len(),
                edges: chart.edges.len(),
                title: f.block.heading.clone(),
            })
        })
        .collect()
}

/// The scenario (TOML text) made from flowchart `diagram` (1-based) of a Markdown file; without
/// `diagram` the file must hold exactly one flowchart.
///
/// # Errors
/// No flowchart, several and none chosen, `diagram` out of range, a syntax error, or a drawing
/// without a producer or a consumer.
pub fn import(file: &str, markdown: &str, diagram: Option<usize>) -> Result<String, ImportError> {
    let (found, skipped) = flowcharts(markdown);
    let at_start = |message: String| ImportError {
        whole_file: true,
        ..flowchart::error(file, Pos { line: 1, col: 1 }, message)
    };
    if found.is_empty() {
        return Err(at_start(no_flowchart(file, &skipped)));
    }
    let index = match diagram {
        None if found.len() == 1 => 1,
        None => {
            return Err(at_start(format!(
                "{} Mermaid flowcharts here: pick one with --diagram K ({})",
                found.len(),
                choices(&found)
            )))
        }
        Some(k) if (1..=found.len()).contains(&k) => k,
        Some(k) => {
            return Err(at_start(format!(
                "--diagram {k} is out of range: {} has {} Mermaid flowchart{} ({})",
                file,
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                choices(&found)
            )))
        }
    };
    let f = &found[index - 1];
    let chart = parse(file, f)?;
    let plan = mapping::plan(&chart).map_err(|missing| {
        let why = match missing {
            mapping::Missing::Producer => {
                "no producer: no node sends to a messaging system or to a node that only receives"
            }
            mapping::Missing::Consumer => "no consumer: no node only receives",
        };
        flowchart::error(file, chart.header, format!("diagram {index} has {why}"))
    })?;
    let src = emit::Source {
        file,
        index,
        count: found.len(),
        fence_line: f.block.fence_line,
        kind: &chart.kind,
        title: f.block.heading.clone().unwrap_or_else(|| file_name(file)),
        ignored: chart.ignored,
    };
    let text = emit::scenario(&src, &plan);
    crate::scenario::parse_scenario(file, &text).map_err(|e| {
        flowchart::error(
            file,
            chart.header,
            format!(
                "the scenario made from diagram {index} is not valid: {}",
                e.message
            ),
        )
    })?;
    Ok(text)
}

/// `1 (line 5, graph TD, "Links"), 2 (line 30, flowchart LR)`
fn choices(found: &[Found]) -> String {
    let listed = found
        .iter()
        .take(CHOICES_LISTED)
        .enumerate()
        .map(|(i, f)| {
            let kind: Vec<&str> = f
                .header
                .text
                .split(|c: char| c.is_whitespace() || c == ';')
                .filter(|w| !w.is_empty())
                .take(2)
                .collect();
            let kind = kind.join(" ");
            match &f.block.heading {
                Some(h) => format!("{} (line {}, {kind}, {h:?})", i + 1, f.block.fence_line),
                None => format!("{} (line {}, {kind})", i + 1, f.block.fence_line),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    match found.len().checked_sub(CHOICES_LISTED) {
        Some(more) if more > 0 => format!("{listed}, and {more} more: --list shows them all"),
        _ => listed,
    }
}

/// Flowcharts an error names before it says how many more there are (20,000 made a line of
/// 586 KB).
const CHOICES_LISTED: usize = 10;

fn no_flowchart(file: &str, skipped: &[(usize, String)]) -> String {
    let mut m = format!("no Mermaid flowchart in {file}: looked for ```mermaid blocks starting with `graph` or `flowchart`");
    if !skipped.is_empty() {
        let other: Vec<String> = skipped
            .iter()
            .map(|(line, kind)| format!("{kind} at line {line}"))
            .collect();
        m.push_str(&format!(" (skipped: {})", other.join(", ")));
    }
    m
}

fn file_name(file: &str) -> String {
    std::path::Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned())
}
