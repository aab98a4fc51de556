//! The plan written out as a scenario: a comment block that says where it came from and every
//! mapping decision, then the TOML brokerlab reads.

use super::mapping::{unique, Member, Plan};
use std::fmt::Write as _;

/// Where the diagram was found.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    /// 1-based, among the file's flowcharts.
    pub index: usize,
    pub count: usize,
    pub fence_line: usize,
    pub kind: &'a str,
    pub title: String,
    /// Styling statements skipped.
    pub ignored: usize,
}

/// Messages per second each producer sends on each of its topics.
pub(crate) const RATE_PER_S: f64 = 10.0;
pub(crate) const SERVICE_MS: f64 = 1.0;
pub(crate) const DURATION_S: f64 = 60.0;

const WIDTH: usize = 99;

const LEGEND: &str = "\
#   drawing                              scenario
#   node --> messaging system            producer, publishing to the system's topics
#   messaging system --> node            consumer, subscribing to them
#   node --> node that only receives     producer --> consumer (a direct link)
#   node --> node that also sends        a call: listed here, not simulated
#   a link's text                        its topic (verbs such as Publish or 발행 dropped)
";

/// Deliveries a second the defaults make, as the scenario's budget counts them: every consumer
/// (each its own group) gets every message of its topics, from every producer of them.
#[allow(clippy::cast_precision_loss)]
fn deliveries_per_s(plan: &Plan) -> f64 {
    let topics: Vec<&String> = unique(plan.producers.iter().flat_map(|p| &p.topics));
    let messages: Vec<f64> = topics
        .iter()
        .map(|t| {
            plan.producers
                .iter()
                .filter(|p| p.topics.contains(t))
                .count() as f64
                * RATE_PER_S
        })
        .collect();
    let groups: Vec<Vec<bool>> = plan
        .consumers
        .iter()
        .map(|c| topics.iter().map(|t| c.topics.contains(t)).collect())
        .collect();
    crate::scenario::budget::deliveries(&messages, groups.iter().map(Vec::as_slice))
}

/// How long the run lasts: [`DURATION_S`], or shorter (whole seconds, at least one) where a
/// drawing of many producers and consumers would expect more deliveries than a scenario may
/// (a thousand producers into Kafka and a thousand consumers out: 600 million in 60 s). Then
/// the rate too, where one second is still over.
fn workload(plan: &Plan) -> (f64, f64) {
    let limit = crate::scenario::LIMITS.deliveries;
    let per_s = deliveries_per_s(plan);
    if per_s * DURATION_S <= limit {
        return (DURATION_S, RATE_PER_S);
    }
    let duration = (limit / per_s).floor().max(1.0);
    let rate = if per_s * duration <= limit {
        RATE_PER_S
    } else {
        (RATE_PER_S * limit / (per_s * duration) * 10.0).floor() / 10.0
    };
    (duration, rate)
}

/// The scenario text.
pub(crate) fn scenario(src: &Source, plan: &Plan) -> String {
    let mut out = String::new();
    let (duration, rate) = workload(plan);
    header(&mut out, src, plan, duration, rate);
    let _ = writeln!(out, "title = {}", toml_str(&src.title));
    let _ = writeln!(out, "duration_s = {duration:.1}");
    for p in &plan.producers {
        let publish: Vec<String> = p
            .topics
            .iter()
            .map(|t| format!("{{ topic = {}, rate_per_s = {rate:.1} }}", toml_str(t)))
            .collect();
        let _ = writeln!(out, "\n[[producer]]");
        member_name(&mut out, p);
        let _ = writeln!(out, "publish = [ {} ]", publish.join(", "));
    }
    for c in &plan.consumers {
        let topics: Vec<String> = c.topics.iter().map(|t| toml_str(t)).collect();
        let _ = writeln!(out, "\n[[consumer]]");
        member_name(&mut out, c);
        let _ = writeln!(out, "subscribe = [{}]", topics.join(", "));
        let _ = writeln!(out, "service_ms = {SERVICE_MS:.1}");
    }
    for (i, v) in plan.variants.iter().enumerate() {
        let _ = writeln!(out);
        if i == 0 {
            let _ = writeln!(out, "# The drawing as drawn.");
        } else if i == 1 {
            let _ = writeln!(out, "# The same workload on the other shapes.");
        }
        let _ = writeln!(out, "[[variant]]");
        let _ = writeln!(out, "name = {}", toml_str(&v.name));
        let _ = writeln!(out, "shape = {}", toml_str(v.shape.name()));
        if let Some(b) = v.broker {
            let _ = writeln!(out, "broker = {}", toml_str(b.name()));
        }
    }
    out
}

fn member_name(out: &mut String, m: &Member) {
    let _ = writeln!(
        out,
        "name = {}{}",
        toml_str(&m.name),
        comment_text(&format!("  # {}", m.drawn))
    );
}

fn header(out: &mut String, src: &Source, plan: &Plan, duration: f64, rate: f64) {
    let of = if src.count > 1 {
        format!(" of {}", src.count)
    } else {
        String::new()
    };
    para(
        out,
        &format!(
            "Imported by `brokerlab import` from {}, diagram {}{of} (the ```mermaid block at line {}, {}).",
            src.file, src.index, src.fence_line, src.kind
        ),
    );
    out.push_str("#\n");
    out.push_str(LEGEND);
    out.push_str("#\n");
    let systems = if plan.systems.is_empty() {
        "none: the drawing links services point to point.".to_owned()
    } else {
        plan.systems.join("; ") + "."
    };
    para(out, &format!("Messaging systems: {systems}"));
    para(
        out,
        &format!(
            "The first variant mirrors the drawing: {}.",
            plan.mirror_why
        ),
    );
    para(out, &format!("Producers: {}.", drawn_list(&plan.producers)));
    para(
        out,
        &format!(
            "Consumers: {}. Each is its own consumer group, so each gets every message of its \
             topics, as every drawn link carries them all; give consumers one `group` to make \
             them share the work instead.",
            drawn_list(&plan.consumers)
        ),
    );
    let topics: Vec<String> = plan
        .topics
        .iter()
        .map(|(t, why)| format!("{t} ({why})"))
        .collect();
    para(out, &format!("Topics: {}.", topics.join("; ")));
    decisions(out, src, plan, duration, rate);
    out.push('\n');
}

fn decisions(out: &mut String, src: &Source, plan: &Plan, duration: f64, rate: f64) {
    if !plan.calls.is_empty() {
        para(
            out,
            &format!(
                "Calls, not simulated (into a node that also sends): {}.",
                plan.calls.join(", ")
            ),
        );
    }
    if !plan.unlinked.is_empty() {
        para(
            out,
            &format!(
                "Drawn without links, left out: {}.",
                plan.unlinked.join(", ")
            ),
        );
    }
    for n in &plan.notes {
        para(out, &format!("Note: {n}."));
    }
    if src.ignored > 0 {
        para(
            out,
            &format!(
                "Note: {} styling or accessibility statements (style, classDef, class, \
                 linkStyle, click, direction, accTitle, accDescr) skipped: they draw nothing a \
                 scenario needs.",
                src.ignored
            ),
        );
    }
    let mirror = plan.variants.first().map_or("", |v| v.name.as_str());
    let count = if plan.mirror_connections == plan.drawn {
        format!(
            "has {} connections, one per drawn link",
            plan.mirror_connections
        )
    } else {
        format!(
            "has {} connections (see the note above)",
            plan.mirror_connections
        )
    };
    para(
        out,
        &format!(
            "Links drawn: {} (each pair of nodes once). The first variant, {mirror}, {count}.",
            plan.drawn
        ),
    );
    let others: Vec<&str> = plan.variants[1..].iter().map(|v| v.name.as_str()).collect();
    para(
        out,
        &format!(
            "The other variants run the same workload on the other shapes: {}.",
            others.join(", ")
        ),
    );
    para(
        out,
        &format!(
            "Defaults: {rate} messages/s per producer and topic, service {SERVICE_MS} ms, \
             {duration} s; edit freely."
        ),
    );
    if (duration, rate) != (DURATION_S, RATE_PER_S) {
        para(
            out,
            &format!(
                "The run is shorter than the usual {DURATION_S} s at {RATE_PER_S} messages/s so \
                 that it stays within the {:.0} deliveries a scenario may expect: this drawing \
                 has {} consumers, each given every message of its topics.",
                crate::scenario::LIMITS.deliveries,
                plan.consumers.len()
            ),
        );
    }
}

/// `s1 = S1 "Front server 1", s2 = ...`
fn drawn_list(ms: &[Member]) -> String {
    ms.iter()
        .map(|m| format!("{} = {}", m.name, m.drawn))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` as `# ` comment lines of at most `WIDTH` characters, continued with `#   `.
fn para(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in comment_text(text).split(' ') {
        let len = line.chars().count() + 1 + word.chars().count();
        if len > WIDTH && line.chars().count() > 4 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#  ");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// Text safe inside a TOML comment: control characters become spaces.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A TOML basic string.
pub(crate) fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
