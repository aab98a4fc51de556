//! Study notes: a lesson written out as Markdown the way the study notes it follows are written,
//! with the numbers of its own run.
//!
//! ```text
//!   # title, what the lesson is about, how to make these notes again
//!   ## 1. a step's title (0-10 s)
//!   its text
//!   ```mermaid  each variant once, the first time a step shows it: the producers, the broker
//!               system(s) and the consumers as subgraphs (a group of several in a subgraph of
//!               its own), edges labelled with their topics, what fails in the step marked
//!   ```mermaid  a later step in which something fails: the failed nodes and their neighbours
//!   > the question and its choices
//!   <details>   the answer; one sentence with the step's numbers; the step's table (what the
//!               step added, with its own p99); a sweep the step draws, as the table
//!               `brokerlab sweep` prints; the checks `brokerlab check` runs
//! ```

use super::{evaluate_with, run_sweeps, sweep, Swept};
use crate::metrics::LatencyHistogram;
use crate::report::sweep::SweepReport;
use crate::report::{accumulates, metric, path_label, Kind, Measured, Metrics, LATENCY_PARTS};
use crate::scenario::{
    to_secs, Broker, BrokerKind, Fault, FaultAction, Lang, Nanos, Scenario, Shape, Step, System,
    TopicId, Variant,
};
use crate::sim::{Simulation, VariantSim};
use crate::topology::{all_consumers, EdgeKind, NodeId, NodeKind, Topology};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// `en` or `ko`, as `lang` asks.
fn w(lang: Lang, en: &'static str, ko: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Ko => ko,
    }
}

/// Markdown study notes for `lesson` in `lang`, with numbers from its own run.
#[must_use]
pub fn notes(lesson: Scenario, lang: Lang) -> String {
    notes_set(lesson, lang, &[])
}

/// [`notes`] of a lesson changed by `--set` arguments `sets` (`PATH=VALUE`), which the notes'
/// command to make them again repeats.
#[must_use]
pub fn notes_set(lesson: Scenario, lang: Lang, sets: &[String]) -> String {
    let swept = run_sweeps(&lesson, sweep::jobs());
    let mut sim = Simulation::new(lesson);
    let s = Arc::clone(&sim.scenario);
    let mut out = String::new();
    header(&mut out, &s, lang, sets);
    let mut drawn = vec![false; s.variants.len()];
    // What the variants measured at the start of the step's stretch of time; a step that runs
    // no further than the one before it looks at that one's stretch again.
    let mut start: (Nanos, Vec<Mark>) = (0, sim.variants.iter().map(Mark::of).collect());
    let mut last = start.0;
    let mut prev_after: Option<Vec<Mark>> = None;
    for (i, step) in s.steps.iter().enumerate() {
        sim.run_until(step.run_to);
        let after: Vec<Mark> = sim.variants.iter().map(Mark::of).collect();
        if step.run_to > last {
            if let Some(prev) = prev_after.take() {
                start = (last, prev);
            }
        }
        let (from, before) = (&start.0, &start.1);
        let span = Span {
            from: *from,
            to: step.run_to,
        };
        let _ = writeln!(
            out,
            "## {}. {} ({})\n",
            i + 1,
            step.title.get(lang),
            span.words(lang)
        );
        if let Some(t) = &step.text {
            let _ = writeln!(out, "{}\n", t.get(lang));
        }
        // A step that sets knobs is a run of its own from 0 s, the file's run goes on beside it.
        let knobbed = knobbed(&s, i, span);
        if knobbed.is_some() {
            knob_lines(&mut out, step, lang);
        }
        let (view, before, seen): (&Simulation, &[Mark], &[Mark]) = match &knobbed {
            Some((k, b, a)) => (k, b, a),
            None => (&sim, before, &after),
        };
        let shown = shown(&s, step);
        pictures(&mut out, view, &shown, &mut drawn, span, lang);
        question(&mut out, step, lang);
        let numbers = Numbers {
            s: &view.scenario,
            step,
            span,
            before,
            after: seen,
            lang,
        };
        answer(&mut out, view, i, &numbers, &swept);
        last = step.run_to;
        prev_after = Some(after);
    }
    out
}

/// Step `i`'s own run when it sets knobs, with what it measured at `span`'s ends.
fn knobbed(s: &Scenario, i: usize, span: Span) -> Option<(Simulation, Vec<Mark>, Vec<Mark>)> {
    if s.steps[i].set.is_empty() {
        return None;
    }
    let mut k = Simulation::new(super::step_scenario(s, i).ok()?);
    k.run_until(span.from);
    let before = k.variants.iter().map(Mark::of).collect();
    k.run_until(span.to);
    let after = k.variants.iter().map(Mark::of).collect();
    Some((k, before, after))
}

/// The knobs a step sets, as `--set` takes them.
fn knob_lines(out: &mut String, step: &Step, lang: Lang) {
    let _ = writeln!(
        out,
        "{}\n",
        w(
            lang,
            "This step runs again from 0 s with these values (`--set`):",
            "이 단계는 다음 값으로 0초부터 다시 돌린다 (`--set`):"
        )
    );
    for (k, v) in &step.set {
        let _ = writeln!(out, "- `{} = {}`", k.value, v.value);
    }
    out.push('\n');
}

fn header(out: &mut String, s: &Scenario, lang: Lang, sets: &[String]) {
    let _ = writeln!(out, "# {}\n", s.title.get(lang));
    if let Some(d) = &s.description {
        let _ = writeln!(out, "{}\n", d.get(lang));
    }
    let name = s.source.strip_prefix("builtin:").unwrap_or(&s.source);
    let code = match lang {
        Lang::En => "en",
        Lang::Ko => "ko",
    };
    let mut again = format!("brokerlab notes {name} --lang {code}");
    for set in sets {
        // Quoted for a shell unless it is plain.
        let plain = set
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-=+:,/".contains(c));
        if plain {
            let _ = write!(again, " --set {set}");
        } else {
            let _ = write!(again, " --set '{}'", set.replace('\'', r"'\''"));
        }
    }
    // A code span: one that holds a backtick needs two around it.
    let again = if again.contains('`') {
        format!("`` {again} ``")
    } else {
        format!("`{again}`")
    };
    let _ = match lang {
        Lang::En => writeln!(
            out,
            "_Scenario `{}`, seed {}. Every number below was measured by running it; {again} \
             makes these notes again._\n",
            s.source, s.seed
        ),
        Lang::Ko => writeln!(
            out,
            "_시나리오 `{}`, 시드 {}. 아래 숫자는 모두 이 시나리오를 돌려서 잰 값이고, {again}로 \
             이 노트를 다시 만든다._\n",
            s.source, s.seed
        ),
    };
}

/// The indexes of the variants a step shows (all when it names none), in scenario order.
fn shown(s: &Scenario, step: &Step) -> Vec<usize> {
    (0..s.variants.len())
        .filter(|&i| step.show.is_empty() || step.show.contains(&s.variants[i].name))
        .collect()
}

/// A stretch of simulated time: the step's, from the previous step's end to its own.
#[derive(Clone, Copy)]
struct Span {
    from: Nanos,
    to: Nanos,
}

impl Span {
    fn words(self, lang: Lang) -> String {
        let (a, b) = (secs(self.from), secs(self.to));
        match lang {
            Lang::En => format!("{a}–{b} s"),
            Lang::Ko => format!("{a}–{b}초"),
        }
    }
    fn seconds(self) -> f64 {
        to_secs(self.to.saturating_sub(self.from))
    }
    /// Whether `f` acts during the span: it is on for part of it, or (a consumer joining) it
    /// happens in it.
    fn sees(self, f: &Fault) -> bool {
        match f.action {
            FaultAction::AddConsumer { .. } => f.at > self.from && f.at <= self.to,
            _ => f.at <= self.to && f.until().is_none_or(|u| u > self.from),
        }
    }
}

/// Seconds as a person writes them: `20`, `2.5`.
fn secs(t: Nanos) -> String {
    let s = to_secs(t);
    if (s - s.round()).abs() < 1e-9 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

// ---- pictures ----

/// How a node is marked in a picture.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    /// Crashed, offline, cut off, down.
    Down,
    Slow,
    /// A consumer that joins later.
    Joins,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Down => "down",
            Style::Slow => "slow",
            Style::Joins => "joins",
        }
    }
    fn class_def(self) -> &'static str {
        match self {
            Style::Down => "fill:#ffcdd2,stroke:#c62828,stroke-width:2px",
            Style::Slow => "fill:#fff3c4,stroke:#f9a825,stroke-width:2px",
            Style::Joins => "fill:#e8f5e9,stroke:#2e7d32,stroke-dasharray:5 3",
        }
    }
}

/// A node marked in a picture, with a note under its name.
struct Marked {
    node: NodeId,
    style: Style,
    note: String,
}

/// The variants a step shows, drawn: each in full the first time, later only what fails in
/// the step (with its neighbours).
fn pictures(
    out: &mut String,
    sim: &Simulation,
    shown: &[usize],
    drawn: &mut [bool],
    span: Span,
    lang: Lang,
) {
    let mut failures = Vec::new();
    for &vi in shown {
        let v = &sim.variants[vi];
        let marks = failed(&sim.scenario, &v.topology, span, lang);
        if drawn[vi] {
            if !marks.is_empty() {
                failures.push((vi, marks));
            }
            continue;
        }
        drawn[vi] = true;
        let var = &sim.scenario.variants[v.index];
        let _ = writeln!(out, "**{}**: {}\n", var.name, setup(var, lang));
        out.push_str(&whole(&sim.scenario, v, marks, lang));
        out.push('\n');
    }
    if !failures.is_empty() {
        out.push_str(&failure_picture(sim, &failures, span));
        out.push('\n');
    }
}

/// What a variant is: its shape, its broker and the options it sets away from their defaults.
fn setup(v: &Variant, lang: Lang) -> String {
    let mut words = vec![v.shape().name().to_owned()];
    if let Some(k) = v.broker_kind() {
        words.push(k.name().to_owned());
    }
    let changed = options_changed(v);
    if changed.is_empty() {
        words.push(w(lang, "default options", "기본 설정").to_owned());
    } else {
        words.push(changed.join(", "));
    }
    words.join(" · ")
}

/// `name = value` for each option of the variant that is not the default.
fn options_changed(v: &Variant) -> Vec<String> {
    fn diff<T: serde::Serialize + Default>(o: &T) -> Vec<String> {
        let (Ok(a), Ok(d)) = (serde_json::to_value(o), serde_json::to_value(T::default())) else {
            return Vec::new();
        };
        let (Some(a), Some(d)) = (a.as_object(), d.as_object()) else {
            return Vec::new();
        };
        a.iter()
            .filter(|(k, x)| d.get(*k) != Some(x))
            .map(|(k, x)| match x {
                serde_json::Value::String(s) => format!("{k} = {s}"),
                x => format!("{k} = {x}"),
            })
            .collect()
    }
    match &v.system {
        System::Direct(o) => diff(o),
        System::Channel(o) => diff(o),
        System::Broker { broker, .. } => match broker {
            Broker::RedisPubsub(o) | Broker::RedisStream(o) => diff(o),
            Broker::Rabbitmq(o) => diff(o),
            Broker::Kafka(o) => diff(o),
        },
    }
}

/// What fails during `span` in a variant's graph, each failed node with what happened to it.
fn failed(s: &Scenario, topo: &Topology, span: Span, lang: Lang) -> Vec<Marked> {
    let mut marks = Vec::new();
    for f in s.faults.iter().filter(|f| span.sees(f)) {
        let when = match f.until() {
            Some(u) => format!("{}–{}", secs(f.at), secs(u)),
            None => secs(f.at),
        };
        let unit = w(lang, " s", "초");
        let (style, note) = match &f.action {
            FaultAction::ConsumerCrash { .. } => (
                Style::Down,
                format!("{} {when}{unit}", w(lang, "crashed", "장애")),
            ),
            FaultAction::ConsumerOffline { .. } => (
                Style::Down,
                format!("{} {when}{unit}", w(lang, "offline", "오프라인")),
            ),
            FaultAction::LinkDown { .. } => (
                Style::Down,
                format!("{} {when}{unit}", w(lang, "cut off", "연결 끊김")),
            ),
            FaultAction::BrokerCrash { .. } => (
                Style::Down,
                format!("{} {when}{unit}", w(lang, "down", "장애")),
            ),
            FaultAction::ConsumerSlow { factor, .. } => (
                Style::Slow,
                match lang {
                    Lang::En => format!("{factor}x slower {when} s"),
                    Lang::Ko => format!("{factor}배 느림 {when}초"),
                },
            ),
            FaultAction::AddConsumer { .. } => (
                Style::Joins,
                match lang {
                    Lang::En => format!("joins at {when} s"),
                    Lang::Ko => format!("{when}초에 합류"),
                },
            ),
        };
        for node in fault_nodes(s, topo, f) {
            marks.push(Marked {
                node,
                style,
                note: note.clone(),
            });
        }
    }
    marks
}

/// The nodes of a variant a fault hits (none where it does not apply: a broker crash where
/// there is no broker).
fn fault_nodes(s: &Scenario, topo: &Topology, f: &Fault) -> Vec<NodeId> {
    let by_name = |name: &str| {
        topo.graph
            .node_indices()
            .map(|ix| &topo.graph[ix])
            .zip(0u32..)
            .find(|(n, _)| {
                n.name == name && matches!(n.kind, NodeKind::Consumer | NodeKind::Producer)
            })
            .map(|(_, id)| id)
    };
    match &f.action {
        FaultAction::BrokerCrash { topic, .. } => match topic {
            Some(t) => topo
                .brokers
                .get(topo.broker_of_topic[usize::from(*t)])
                .copied()
                .into_iter()
                .collect(),
            None => topo.brokers.clone(),
        },
        _ => f.target(&s.topics).and_then(by_name).into_iter().collect(),
    }
}

/// Who is who in a variant's graph, for drawing it.
struct Roles<'a> {
    s: &'a Scenario,
    topo: &'a Topology,
    /// Per node: the producer or consumer (by index) it is.
    producer: Vec<Option<usize>>,
    consumer: Vec<Option<usize>>,
    /// Per consumer: its topics.
    subscribe: Vec<BTreeSet<TopicId>>,
    per_topic: bool,
}

impl<'a> Roles<'a> {
    fn new(s: &'a Scenario, v: &'a VariantSim) -> Roles<'a> {
        let topo = &*v.topology;
        let n = topo.graph.node_count();
        let mut producer = vec![None; n];
        let mut consumer = vec![None; n];
        for (i, &p) in topo.producers.iter().enumerate() {
            producer[p as usize] = Some(i);
        }
        for (i, &c) in topo.consumers.iter().enumerate() {
            consumer[c as usize] = Some(i);
        }
        Roles {
            s,
            topo,
            producer,
            consumer,
            subscribe: all_consumers(s)
                .iter()
                .map(|(c, _)| c.subscribe.iter().copied().collect())
                .collect(),
            per_topic: s.variants[v.index].shape() == Shape::BrokerPerTopic,
        }
    }

    fn publishes(&self, p: usize) -> BTreeSet<TopicId> {
        self.s.producers[p]
            .publish
            .iter()
            .map(|x| x.topic)
            .collect()
    }

    /// The topics broker system `b` carries.
    fn carries(&self, b: usize) -> BTreeSet<TopicId> {
        (0..self.s.topics.len())
            .filter(|&t| self.topo.broker_of_topic[t] == b)
            .filter_map(|t| TopicId::try_from(t).ok())
            .collect()
    }

    fn broker_index(&self, node: NodeId) -> Option<usize> {
        self.topo.brokers.iter().position(|&b| b == node)
    }

    fn queue_broker(&self, node: NodeId) -> Option<usize> {
        self.topo
            .queues
            .iter()
            .find(|(_, _, q)| *q == node)
            .map(|(b, _, _)| *b)
    }

    /// The topics that flow along the edge from `a` to `b`, where the picture does not already
    /// say them (a log is its topic; a broker of one topic is labelled with it).
    fn edge_topics(&self, a: NodeId, b: NodeId) -> BTreeSet<TopicId> {
        let (a_kind, b_kind) = (self.topo.node(a).kind, self.topo.node(b).kind);
        let consumer = self.consumer[b as usize].map(|c| &self.subscribe[c]);
        let from_producer = self.producer[a as usize].map(|p| self.publishes(p));
        match (from_producer, b_kind, consumer) {
            (Some(pt), NodeKind::Consumer, Some(sub)) => pt.intersection(sub).copied().collect(),
            (Some(pt), NodeKind::Broker, _) => self
                .broker_index(b)
                .map(|bi| pt.intersection(&self.carries(bi)).copied().collect())
                .unwrap_or_default(),
            (Some(pt), _, _) => pt,
            (None, _, Some(sub)) if !self.per_topic => {
                let bi = match a_kind {
                    NodeKind::Broker => self.broker_index(a),
                    NodeKind::Queue => self.queue_broker(a),
                    NodeKind::Channel => return sub.clone(),
                    _ => None,
                };
                bi.map(|bi| sub.intersection(&self.carries(bi)).copied().collect())
                    .unwrap_or_default()
            }
            _ => BTreeSet::new(),
        }
    }

    fn topic_words(&self, ts: &BTreeSet<TopicId>) -> String {
        ts.iter()
            .map(|&t| self.s.topic_name(t))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The topics a node has to do with: a consumer's, a producer's, a broker's, a log's.
    fn topics_of(&self, node: NodeId) -> BTreeSet<TopicId> {
        let n = self.topo.node(node);
        if let Some(c) = self.consumer[node as usize] {
            return self.subscribe[c].clone();
        }
        if let Some(p) = self.producer[node as usize] {
            return self.publishes(p);
        }
        match n.kind {
            NodeKind::Broker => self
                .broker_index(node)
                .map(|b| self.carries(b))
                .unwrap_or_default(),
            NodeKind::Log => n.topic.into_iter().collect(),
            _ => BTreeSet::new(),
        }
    }
}

/// `text` as a quoted Mermaid string: a `"` in it (a name may hold one) is Mermaid's entity
/// `#quot;`, which draws as `"` (a bare one ended the string and broke the diagram).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "#quot;"))
}

/// Mermaid's text for a node: its shape around its (quoted) label.
fn node_line(id: &str, kind: NodeKind, label: &str) -> String {
    let l = quoted(label);
    match kind {
        NodeKind::Producer => format!("{id}[{l}]"),
        NodeKind::Consumer => format!("{id}([{l}])"),
        NodeKind::Broker => format!("{id}{{{{{l}}}}}"),
        NodeKind::Channel => format!("{id}>{l}]"),
        NodeKind::Queue | NodeKind::Log => format!("{id}[({l})]"),
    }
}

/// A node's label, with the note of its mark under its name.
fn label(topo: &Topology, node: NodeId, marks: &[Marked]) -> String {
    let n = topo.node(node);
    let mut l = if n.kind == NodeKind::Broker && topo.brokers.len() == 1 {
        n.name.clone()
    } else {
        n.label.clone()
    };
    for m in marks.iter().filter(|m| m.node == node) {
        let _ = write!(l, "<br/>{}", m.note);
    }
    l
}

fn edges(out: &mut String, r: &Roles<'_>, prefix: &str, keep: &dyn Fn(NodeId) -> bool) {
    let g = &r.topo.graph;
    for e in g.edge_indices() {
        let Some((a, b)) = g.edge_endpoints(e) else {
            continue;
        };
        let (a, b) = (
            u32::try_from(a.index()).unwrap_or(0),
            u32::try_from(b.index()).unwrap_or(0),
        );
        if !keep(a) || !keep(b) {
            continue;
        }
        let topics = r.edge_topics(a, b);
        let _ = if g[e] == EdgeKind::Internal {
            writeln!(out, "    {prefix}n{a} -.- {prefix}n{b}")
        } else if topics.is_empty() {
            writeln!(out, "    {prefix}n{a} --> {prefix}n{b}")
        } else {
            let t = r.topic_words(&topics);
            writeln!(out, "    {prefix}n{a} -->|{}| {prefix}n{b}", quoted(&t))
        };
    }
}

fn classes(out: &mut String, marks: &[(String, Style)]) {
    let styles: BTreeSet<Style> = marks.iter().map(|m| m.1).collect();
    for st in styles {
        let ids: Vec<&str> = marks
            .iter()
            .filter(|m| m.1 == st)
            .map(|m| m.0.as_str())
            .collect();
        let _ = writeln!(out, "    classDef {} {}", st.name(), st.class_def());
        let _ = writeln!(out, "    class {} {}", ids.join(","), st.name());
    }
}

/// The names of the two ends, in the words of the shape (the terms of the lessons).
fn end_names(v: &Variant, lang: Lang) -> (&'static str, &'static str) {
    match (v.shape(), v.broker_kind()) {
        (Shape::Direct, _) => (
            w(lang, "Senders", "보내는 쪽"),
            w(lang, "Receivers", "받는 쪽"),
        ),
        (Shape::Channel, _) => (w(lang, "Senders", "송신자"), w(lang, "Receivers", "수신자")),
        (_, Some(BrokerKind::RedisPubsub)) => (
            w(lang, "Publishers", "퍼블리셔"),
            w(lang, "Subscribers", "구독자"),
        ),
        _ => (
            w(lang, "Producers", "프로듀서"),
            w(lang, "Consumers", "컨슈머"),
        ),
    }
}

fn system_name(k: BrokerKind) -> &'static str {
    match k {
        BrokerKind::RedisPubsub => "Redis Pub/Sub",
        BrokerKind::RedisStream => "Redis Streams",
        BrokerKind::Rabbitmq => "RabbitMQ",
        BrokerKind::Kafka => "Kafka",
    }
}

/// A whole variant as the study notes draw a design: producers, the system in the middle and
/// the consumers as subgraphs, edges labelled with topics, `marks` styled.
fn whole(s: &Scenario, v: &VariantSim, mut marks: Vec<Marked>, lang: Lang) -> String {
    let r = Roles::new(s, v);
    let topo = &*v.topology;
    let var = &s.variants[v.index];
    for (&c, (_, at)) in topo.consumers.iter().zip(all_consumers(s)) {
        if let Some(at) = at.filter(|_| !marks.iter().any(|m| m.node == c)) {
            let note = match lang {
                Lang::En => format!("joins at {} s", secs(at)),
                Lang::Ko => format!("{}초에 합류", secs(at)),
            };
            marks.push(Marked {
                node: c,
                style: Style::Joins,
                note,
            });
        }
    }
    let node = |id: NodeId| {
        let n = topo.node(id);
        format!(
            "        {}\n",
            node_line(&format!("n{id}"), n.kind, &label(topo, id, &marks))
        )
    };
    let (left, right) = end_names(var, lang);
    let mut out = String::from("```mermaid\ngraph LR\n");
    let _ = writeln!(out, "    subgraph producers[{}]", quoted(left));
    for &p in &topo.producers {
        out.push_str(&node(p));
    }
    out.push_str("    end\n");
    middle(&mut out, &r, var, &node, lang);
    let _ = writeln!(out, "    subgraph consumers[{}]", quoted(right));
    consumers(&mut out, topo, &node);
    out.push_str("    end\n");
    edges(&mut out, &r, "", &|_| true);
    let styled: Vec<(String, Style)> = marks
        .iter()
        .map(|m| (format!("n{}", m.node), m.style))
        .collect();
    classes(&mut out, &styled);
    out.push_str("```\n");
    out
}

/// The system in the middle: a channel, one broker with its queues or logs, or one broker per
/// topic, each in a subgraph of its own.
fn middle(
    out: &mut String,
    r: &Roles<'_>,
    var: &Variant,
    node: &dyn Fn(NodeId) -> String,
    lang: Lang,
) {
    let topo = r.topo;
    if let Some(ch) = topo.channel {
        let _ = writeln!(
            out,
            "    subgraph middle[\"{}\"]",
            w(lang, "IPC channel", "IPC 채널")
        );
        out.push_str(&node(ch));
        out.push_str("    end\n");
        return;
    }
    let Some(kind) = var.broker_kind() else {
        return;
    };
    let inside = |b: usize| -> Vec<NodeId> {
        let queues = topo.queues.iter().filter(|q| q.0 == b).map(|q| q.2);
        let logs = topo
            .logs
            .iter()
            .filter(|(t, _)| topo.broker_of_topic[usize::from(*t)] == b)
            .map(|l| l.1);
        std::iter::once(topo.brokers[b])
            .chain(queues)
            .chain(logs)
            .collect()
    };
    let name = system_name(kind);
    if r.per_topic {
        let n = topo.brokers.len();
        let title = match lang {
            Lang::En => format!("{n} × {name}"),
            Lang::Ko => format!("{name} {n}개"),
        };
        let _ = writeln!(out, "    subgraph middle[\"{title}\"]");
        for b in 0..n {
            let topic = r.topic_words(&r.carries(b));
            let _ = writeln!(out, "        subgraph system{b}[{}]", quoted(&topic));
            for id in inside(b) {
                out.push_str("    ");
                out.push_str(&node(id));
            }
            out.push_str("        end\n");
        }
    } else {
        let _ = writeln!(out, "    subgraph middle[\"{name}\"]");
        for b in 0..topo.brokers.len() {
            for id in inside(b) {
                out.push_str(&node(id));
            }
        }
    }
    out.push_str("    end\n");
}

/// The consumers; the members of a group of several in a subgraph named after it.
fn consumers(out: &mut String, topo: &Topology, node: &dyn Fn(NodeId) -> String) {
    let group = |c: NodeId| topo.node(c).group.clone().unwrap_or_default();
    let mut groups: Vec<String> = Vec::new();
    for &c in &topo.consumers {
        let g = group(c);
        let members = topo.consumers.iter().filter(|&&x| group(x) == g).count();
        if members < 2 {
            out.push_str(&node(c));
        } else if !groups.contains(&g) {
            let _ = writeln!(
                out,
                "        subgraph group{}[{}]",
                groups.len(),
                quoted(&g)
            );
            for &m in topo.consumers.iter().filter(|&&x| group(x) == g) {
                out.push_str("    ");
                out.push_str(&node(m));
            }
            out.push_str("        end\n");
            groups.push(g);
        }
    }
}

/// What fails in a step, in each shown variant already drawn: the failed nodes and the
/// producers, systems and consumers (those already there by the step's end) of their topics,
/// one subgraph per variant.
fn failure_picture(sim: &Simulation, failures: &[(usize, Vec<Marked>)], span: Span) -> String {
    let s = &sim.scenario;
    let mut out = String::from("```mermaid\ngraph LR\n");
    let mut styled = Vec::new();
    for (vi, marks) in failures {
        let v = &sim.variants[*vi];
        let r = Roles::new(s, v);
        let topo = &*v.topology;
        let keep = near(&r, marks, span);
        let prefix = format!("v{vi}");
        let _ = writeln!(
            out,
            "    subgraph {prefix}[{}]",
            quoted(&s.variants[v.index].name)
        );
        for ix in topo.graph.node_indices() {
            let id = u32::try_from(ix.index()).unwrap_or(0);
            if keep[id as usize] {
                let l = label(topo, id, marks);
                let _ = writeln!(
                    out,
                    "        {}",
                    node_line(&format!("{prefix}n{id}"), topo.graph[ix].kind, &l)
                );
            }
        }
        out.push_str("    end\n");
        edges(&mut out, &r, &prefix, &|id| keep[id as usize]);
        styled.extend(
            marks
                .iter()
                .map(|m| (format!("{prefix}n{}", m.node), m.style)),
        );
    }
    classes(&mut out, &styled);
    out.push_str("```\n");
    out
}

/// Per node: whether a failure picture shows it (see [`failure_picture`]).
fn near(r: &Roles<'_>, marks: &[Marked], span: Span) -> Vec<bool> {
    let topo = r.topo;
    let topics: BTreeSet<TopicId> = marks.iter().flat_map(|m| r.topics_of(m.node)).collect();
    let touches = |id: NodeId| r.topics_of(id).intersection(&topics).next().is_some();
    let ids = || (0..topo.graph.node_count()).filter_map(|i| u32::try_from(i).ok());
    let mut keep: Vec<bool> = ids()
        .map(|id| {
            let n = topo.node(id);
            let here = n.joins_at.is_none_or(|at| at <= span.to);
            marks.iter().any(|m| m.node == id)
                || n.kind == NodeKind::Channel
                || (here && n.kind != NodeKind::Queue && touches(id))
        })
        .collect();
    // A queue of a system carrying those topics, feeding a consumer shown.
    for id in ids().filter(|&id| topo.node(id).kind == NodeKind::Queue) {
        let feeds_one = topo
            .graph
            .neighbors(petgraph::graph::NodeIndex::new(id as usize))
            .any(|c| keep[c.index()]);
        let carries = r
            .queue_broker(id)
            .is_some_and(|b| r.carries(b).intersection(&topics).next().is_some());
        keep[id as usize] = feeds_one && carries;
    }
    keep
}

// ---- the question and its answer ----

fn question(out: &mut String, step: &Step, lang: Lang) {
    let Some(q) = &step.ask else {
        return;
    };
    let _ = writeln!(out, "> **{}** {}", w(lang, "Question", "질문"), q.get(lang));
    if !step.choices.is_empty() {
        out.push_str(">\n");
    }
    for (k, c) in step.choices.iter().enumerate() {
        let _ = writeln!(out, "> {}. {}", k + 1, c.get(lang));
    }
    out.push('\n');
}

/// What a variant's metrics were at one instant, and the latencies so far.
struct Mark {
    metrics: Metrics,
    latency: LatencyHistogram,
}

impl Mark {
    fn of(v: &VariantSim) -> Mark {
        Mark {
            metrics: v.metrics(),
            latency: v.latency_histogram(),
        }
    }
}

/// What a step measured: its variants' metrics at its start and its end.
struct Numbers<'a> {
    s: &'a Scenario,
    step: &'a Step,
    span: Span,
    before: &'a [Mark],
    after: &'a [Mark],
    lang: Lang,
}

impl Numbers<'_> {
    /// The variants of the step's table: those it shows and those its checks name.
    fn rows(&self) -> Vec<usize> {
        (0..self.s.variants.len())
            .filter(|&i| {
                let name = &self.s.variants[i].name;
                (self.step.show.is_empty() || self.step.show.contains(name))
                    || self.step.expect.iter().any(|e| &e.variant == name)
            })
            .collect()
    }

    /// The metrics of the table: those the step checks, then deliveries, losses and the p99.
    fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = Vec::new();
        let more = ["delivered", "lost", "latency_ms.p99"];
        for p in self
            .step
            .expect
            .iter()
            .map(|e| e.metric.as_str())
            .chain(more)
        {
            if !c.iter().any(|x| x == p) {
                c.push(p.to_owned());
            }
        }
        c
    }

    /// A metric over the step: what a running total added during it, the latency of the
    /// deliveries processed in it, the rate over it, or (a state, a cost) its value at the end.
    #[allow(clippy::cast_precision_loss)]
    fn value(&self, vi: usize, path: &str) -> Option<f64> {
        let (a, b) = (&self.before[vi], &self.after[vi]);
        let (head, sub) = path.split_once('.').unwrap_or((path, ""));
        match metric(head)?.kind {
            Kind::Latency => {
                let l = b.latency.since(&a.latency)?;
                Some(match sub {
                    "p50" => l.p50,
                    "max" => l.max,
                    "mean" => l.mean,
                    _ => l.p99,
                })
            }
            Kind::Rate => {
                let d = b.metrics.delivered.saturating_sub(a.metrics.delivered);
                Some(d as f64 / self.span.seconds().max(1e-9))
            }
            Kind::Count | Kind::Reasons if accumulates(path) => {
                Some(b.metrics.value(path)? - a.metrics.value(path)?)
            }
            Kind::Count | Kind::Reasons => b.metrics.value(path),
        }
    }

    /// A value as the notes write it: counts with separators, times in ms or s, bytes in MB.
    fn show(&self, path: &str, x: Option<f64>) -> String {
        let Some(x) = x else {
            return "–".to_owned();
        };
        let head = path.split('.').next().unwrap_or(path);
        match metric(head).map(|m| m.unit) {
            Some("ms") => ms(x, self.lang),
            Some("bytes") => bytes(x),
            Some("per s") => format!("{x:.0}"),
            _ => thousands(x),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn thousands(x: f64) -> String {
    let n = x.round().abs() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < -0.5 {
        out.insert(0, '-');
    }
    out
}

fn ms(x: f64, lang: Lang) -> String {
    if x >= 1000.0 {
        match lang {
            Lang::En => format!("{:.1} s", x / 1000.0),
            Lang::Ko => format!("{:.1}초", x / 1000.0),
        }
    } else if x >= 10.0 {
        format!("{x:.0} ms")
    } else {
        format!("{x:.1} ms")
    }
}

fn bytes(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.1} MB", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.0} kB", x / 1e3)
    } else {
        format!("{x:.0} B")
    }
}

/// A metric's name in a sentence: in Korean the catalogue's, in English its short name.
fn spoken(path: &str, lang: Lang) -> String {
    if lang == Lang::Ko {
        return path_label(path, lang);
    }
    let (head, sub) = path.split_once('.').unwrap_or((path, ""));
    let Some(m) = metric(head) else {
        return path.to_owned();
    };
    match m.kind {
        Kind::Reasons => format!("lost ({sub})"),
        Kind::Latency => {
            let part = LATENCY_PARTS
                .iter()
                .find(|p| p.0 == sub)
                .map_or(sub, |p| p.1 .0);
            format!("{part} latency")
        }
        _ => m.en.0.to_owned(),
    }
}

/// A count's unit word in Korean (deliveries are 건, things are 개).
fn counted(path: &str, x: String, lang: Lang) -> String {
    let head = path.split('.').next().unwrap_or(path);
    match (lang, metric(head).map(|m| m.unit)) {
        (Lang::Ko, Some("deliveries" | "messages")) => format!("{x}건"),
        (Lang::Ko, Some("links" | "systems" | "endpoints" | "components")) => format!("{x}개"),
        (Lang::Ko, Some("per s")) => format!("초당 {x}"),
        (Lang::En, Some("per s")) => format!("{x}/s"),
        _ => x,
    }
}

/// One sentence with the step's point in numbers: what happened in it, then per variant what
/// the step checks, measured over the step; with a fault in it, each variant's p99 too (what
/// not losing cost).
fn sentence(n: &Numbers<'_>) -> String {
    let lang = n.lang;
    let mut what: Vec<String> =
        n.s.faults
            .iter()
            .filter(|f| n.span.sees(f))
            .map(|f| fault_words(n.s, f, lang))
            .collect();
    if what.is_empty() {
        what.push(n.span.words(lang));
    }
    let faulty =
        n.s.faults
            .iter()
            .any(|f| n.span.sees(f) && !matches!(f.action, FaultAction::AddConsumer { .. }));
    let mut facts = Vec::new();
    for vi in n.rows() {
        let name = &n.s.variants[vi].name;
        let mut paths: Vec<&str> = Vec::new();
        for e in n.step.expect.iter().filter(|e| &e.variant == name) {
            if !paths.contains(&e.metric.as_str()) {
                paths.push(&e.metric);
            }
        }
        if faulty && !paths.iter().any(|p| p.starts_with("latency_ms")) {
            paths.push("latency_ms.p99");
        }
        if paths.is_empty() {
            continue;
        }
        let said: Vec<String> = paths
            .iter()
            .map(|p| {
                let v = counted(p, n.show(p, n.value(vi, p)), lang);
                format!("{} {v}", spoken(p, lang))
            })
            .collect();
        facts.push(format!("{name} {}", said.join(", ")));
    }
    let mut out = what.join(", ");
    if !facts.is_empty() {
        let _ = write!(out, ": {}", facts.join("; "));
    }
    out.push('.');
    out
}

/// A fault in a few words: `notifier 장애 10초`, `logs broker down for 5 s`.
fn fault_words(s: &Scenario, f: &Fault, lang: Lang) -> String {
    let target = f.target(&s.topics).unwrap_or("");
    let len = f.until().map(|u| secs(u.saturating_sub(f.at)));
    let at = secs(f.at);
    let for_len = |en: &str, ko: &str| match (lang, &len) {
        (Lang::En, Some(d)) => format!("{en} for {d} s"),
        (Lang::En, None) => format!("{en} from {at} s"),
        (Lang::Ko, Some(d)) => format!("{ko} {d}초"),
        (Lang::Ko, None) => format!("{ko}({at}초부터)"),
    };
    match &f.action {
        FaultAction::ConsumerCrash { .. } => {
            format!("{target} {}", for_len("crashed", "장애"))
        }
        FaultAction::ConsumerOffline { .. } => {
            format!("{target} {}", for_len("offline", "오프라인"))
        }
        FaultAction::LinkDown { .. } => format!("{target} {}", for_len("cut off", "연결 끊김")),
        FaultAction::ConsumerSlow { factor, .. } => match lang {
            Lang::En => format!("{target} {}", for_len(&format!("{factor}x slower"), "")),
            Lang::Ko => format!("{target} {}", for_len("", &format!("{factor}배 느려짐"))),
        },
        FaultAction::BrokerCrash { topic, .. } => match (topic, lang) {
            (Some(_), Lang::En) => format!("the {target} broker {}", for_len("down", "")),
            (Some(_), Lang::Ko) => format!("{target} 브로커 {}", for_len("", "장애")),
            (None, _) => for_len("brokers down", "브로커 장애"),
        },
        FaultAction::AddConsumer { .. } => match lang {
            Lang::En => format!("{target} joins at {at} s"),
            Lang::Ko => format!("{at}초에 {target} 합류"),
        },
    }
}

fn table(out: &mut String, n: &Numbers<'_>) {
    let lang = n.lang;
    let cols = n.columns();
    let state: Vec<String> = cols
        .iter()
        .filter(|c| !accumulates(c) && !c.starts_with("latency") && !c.starts_with("throughput"))
        .map(|c| spoken(c, lang))
        .collect();
    let to = secs(n.span.to);
    let _ = match (lang, state.is_empty()) {
        (Lang::En, true) => writeln!(out, "During {}:\n", n.span.words(lang)),
        (Lang::En, false) => writeln!(
            out,
            "During {} ({} as at {to} s):\n",
            n.span.words(lang),
            state.join(", ")
        ),
        (Lang::Ko, true) => writeln!(out, "{} 동안:\n", n.span.words(lang)),
        (Lang::Ko, false) => writeln!(
            out,
            "{} 동안 ({}: {to}초 시점 값):\n",
            n.span.words(lang),
            state.join(", ")
        ),
    };
    let _ = write!(out, "| {} |", w(lang, "variant", "변형"));
    for c in &cols {
        let unit = if c.starts_with("latency") && lang == Lang::Ko {
            " (ms)"
        } else {
            ""
        };
        let _ = write!(out, " {}{unit} |", path_label(c, lang));
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(cols.len()));
    out.push('\n');
    for vi in n.rows() {
        // A `|` in a name would end its cell.
        let _ = write!(out, "| {} |", n.s.variants[vi].name.replace('|', "\\|"));
        for c in &cols {
            let x = n.value(vi, c);
            let cell = match (c.starts_with("latency"), x) {
                (true, Some(x)) if x < 10.0 => format!("{x:.1}"),
                (true, Some(x)) => thousands(x),
                _ => n.show(c, x),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
}

fn answer(
    out: &mut String,
    sim: &Simulation,
    i: usize,
    n: &Numbers<'_>,
    swept: &BTreeMap<String, Swept>,
) {
    let lang = n.lang;
    let step = n.step;
    let hidden = step.ask.is_some();
    if hidden {
        let _ = writeln!(
            out,
            "<details>\n<summary>{}</summary>\n",
            w(lang, "Answer and measurements", "답과 측정값")
        );
    }
    if let Some(a) = step
        .answer
        .and_then(|a| step.choices.get(a).map(|c| (a, c)))
    {
        let _ = writeln!(
            out,
            "**{}** {}. {}\n",
            w(lang, "Answer:", "답:"),
            a.0 + 1,
            a.1.get(lang)
        );
    }
    let _ = writeln!(out, "{}\n", sentence(n));
    table(out, n);
    let drawn = step
        .sweep
        .as_ref()
        .and_then(|name| swept.get(name).zip(sweep::named(n.s, name)));
    if let Some((w, decl)) = drawn {
        let report = SweepReport::new(&w.plan, &w.runs, std::slice::from_ref(&decl.metric.value));
        let _ = writeln!(out, "```text\n{}```\n", report.table());
    }
    let outcomes = evaluate_with(sim, i, swept);
    if !outcomes.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            w(
                lang,
                "Checks (totals since 0 s, as `brokerlab check` runs them):",
                "확인 (0초부터의 누적, `brokerlab check`가 돌리는 그대로):"
            )
        );
        for o in outcomes {
            let e = &o.expect;
            // A sweep's point is a mean over seeds: two decimals say enough.
            let measured = o.measured.map_or_else(
                || "–".to_owned(),
                |m| {
                    if m.fract() == 0.0 {
                        format!("{m}")
                    } else {
                        format!("{m:.2}")
                    }
                },
            );
            let at = e.sweep.as_ref().map_or_else(String::new, |at| {
                format!(
                    " ({} {}, {})",
                    w(lang, "sweep", "스윕"),
                    at.sweep,
                    at.describe()
                )
            });
            let _ = writeln!(
                out,
                "- {} `{}` {} {} {}{at}: {measured}",
                if o.holds { "✅" } else { "❌" },
                e.variant,
                path_label(&e.metric, lang),
                e.op.symbol(),
                e.value,
            );
        }
        out.push('\n');
    }
    if hidden {
        out.push_str("</details>\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    fn lesson() -> Scenario {
        let text = r#"
title = { en = "Links grow", ko = "연결이 늘어난다" }
[[producer]]
name = "s1"
publish = [ { topic = "m", rate_per_s = 10.0 } ]
[[producer]]
name = "s2"
publish = [ { topic = "m", rate_per_s = 10.0 }, { topic = "logs", rate_per_s = 10.0 } ]
[[consumer]]
name = "c1"
subscribe = ["m"]
[[consumer]]
name = "c2"
subscribe = ["m"]
group = "pair"
[[consumer]]
name = "c3"
subscribe = ["m"]
group = "pair"
[[fault]]
kind = "consumer-crash"
target = "c1"
at_s = 6.0
until_s = 8.0
[[variant]]
name = "direct"
shape = "direct"
[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"
kafka = { partitions = 2 }
[[step]]
title = { en = "Count the links", ko = "연결을 세 보자" }
text = { en = "Every server to every consumer.", ko = "모든 서버가 모든 컨슈머로." }
ask = { en = "How many links?", ko = "연결은 몇 개?" }
choices = [ { en = "2", ko = "2개" }, { en = "6", ko = "6개" } ]
answer = 1
run_to_s = 5.0
show = ["direct"]
expect = [ { variant = "direct", metric = "connections", op = "==", value = 6 } ]
[[step]]
title = { en = "c1 crashes", ko = "c1이 죽는다" }
text = { en = "It is gone for 2 s.", ko = "2초 동안 없다." }
run_to_s = 10.0
show = ["direct", "kafka"]
expect = [ { variant = "direct", metric = "lost_by_reason.receiver-offline", op = ">", value = 0 },
           { variant = "kafka", metric = "lost", op = "==", value = 0 } ]
"#;
        parse_scenario("lesson.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn mermaid_blocks(md: &str) -> Vec<&str> {
        md.split("```mermaid\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .collect()
    }

    #[test]
    fn names_with_quotes_and_bars_keep_the_diagrams_and_tables_whole() {
        // A topic, a group and a variant with a `"` (and a variant with a `|`): each drawn as
        // Mermaid's #quot; inside its quoted label, each table row with its cells.
        let text = lesson()
            .text
            .replace("\"m\"", "'12\" pizza'")
            .replace("\"pair\"", "'grp \"x\"'")
            .replace("name = \"direct\"", "name = 'direct|\"fast\"'")
            .replace("show = [\"direct\"]", "show = ['direct|\"fast\"']")
            .replace("show = [\"direct\", ", "show = ['direct|\"fast\"', ")
            .replace("variant = \"direct\"", "variant = 'direct|\"fast\"'");
        let s = parse_scenario("quoted.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let md = notes(s, Lang::En);
        let blocks = mermaid_blocks(&md);
        assert_eq!(blocks.len(), 3, "{md}");
        for line in blocks.iter().flat_map(|b| b.lines()) {
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        }
        let all = blocks.concat();
        assert!(all.contains("-->|\"12#quot; pizza\"|"), "{all}");
        assert!(
            all.contains("subgraph group0[\"grp #quot;x#quot;\"]"),
            "{all}"
        );
        assert!(all.contains("[\"direct|#quot;fast#quot;\"]"), "{all}");
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| direct")).collect();
        assert!(!rows.is_empty(), "{md}");
        for row in rows {
            let cells = row.replace("\\|", "").matches('|').count();
            let head = md
                .lines()
                .find(|l| l.starts_with("| variant |"))
                .unwrap_or("");
            assert_eq!(cells, head.matches('|').count(), "{row}");
        }
    }

    #[test]
    fn each_variant_is_drawn_once_with_subgraphs_and_topic_labels() {
        let md = notes(lesson(), Lang::En);
        assert!(md.starts_with("# Links grow\n"));
        assert!(md.contains("## 1. Count the links (0–5 s)"));
        let blocks = mermaid_blocks(&md);
        // direct in step 1; kafka whole and direct's failure in step 2.
        assert_eq!(blocks.len(), 3, "{md}");
        assert_eq!(md.matches("**direct**:").count(), 1);
        assert_eq!(md.matches("**kafka**:").count(), 1);
        assert!(
            md.contains("**kafka**: central-log · kafka · partitions = 2"),
            "{md}"
        );
        let direct = blocks[0];
        assert!(
            direct.contains("subgraph producers[\"Senders\"]"),
            "{direct}"
        );
        assert!(direct.contains("subgraph consumers[\"Receivers\"]"));
        assert!(
            direct.contains("subgraph group0[\"pair\"]"),
            "a group of two: {direct}"
        );
        assert!(direct.contains("n0 -->|\"m\"| n2"), "{direct}");
        let kafka = blocks[1];
        assert!(kafka.contains("subgraph middle[\"Kafka\"]"), "{kafka}");
        assert!(
            kafka.contains("-->|\"logs, m\"|"),
            "the edge names both topics: {kafka}"
        );
        assert!(kafka.contains("class n2 down") && kafka.contains("crashed 6–8 s"));
    }

    #[test]
    fn a_later_failure_is_drawn_with_its_neighbours_only() {
        let md = notes(lesson(), Lang::En);
        let failure = mermaid_blocks(&md)[2];
        assert!(failure.contains("subgraph v0[\"direct\"]"), "{failure}");
        assert!(failure.contains("classDef down") && failure.contains("class v0n2 down"));
        assert!(
            !failure.contains("subgraph producers"),
            "not the whole variant again"
        );
    }

    #[test]
    fn the_answer_hides_in_details_with_the_steps_own_numbers() {
        let md = notes(lesson(), Lang::En);
        let step1 = md.split("## 2.").next().unwrap_or("");
        assert!(step1.contains("> 2. 6"), "choices unmarked: {step1}");
        assert!(!step1.contains("[x]"));
        let open = step1.find("<details>").unwrap_or(usize::MAX);
        let answer = step1.find("**Answer:** 2. 6").unwrap_or(0);
        assert!(open < answer, "the answer is inside <details>: {step1}");
        assert!(step1.contains("✅ `direct` connections == 6: 6"));
        let step2 = md.split("## 2.").nth(1).unwrap_or("");
        assert!(
            step2.contains("c1 crashed for 2 s: direct lost (receiver-offline) "),
            "{step2}"
        );
        // The table counts what the step added: deliveries of 5 s (40 a second), not 10.
        let cells = |start: &str| -> Vec<String> {
            let line = step2.lines().find(|l| l.starts_with(start)).unwrap_or("");
            line.split('|').map(|x| x.trim().replace(',', "")).collect()
        };
        let (head, row) = (cells("| variant |"), cells("| direct |"));
        let at = head.iter().position(|h| h == "delivered").unwrap_or(0);
        let delivered: f64 = row.get(at).and_then(|x| x.parse().ok()).unwrap_or(0.0);
        assert!((100.0..200.0).contains(&delivered), "{head:?} {row:?}");
    }

    #[test]
    fn korean_notes_use_korean_names() {
        let ko = notes(lesson(), Lang::Ko);
        assert!(ko.contains("# 연결이 늘어난다") && ko.contains("## 1. 연결을 세 보자 (0–5초)"));
        assert!(ko.contains("subgraph producers[\"보내는 쪽\"]"));
        assert!(ko.contains("<summary>답과 측정값</summary>"));
        assert!(
            ko.contains("c1 장애 2초: direct 유실(받는 쪽 없음) "),
            "{ko}"
        );
        assert!(
            ko.contains("| 변형 | 연결 | 전달 | 유실 | 지연 시간 p99 (ms) |"),
            "{ko}"
        );
        assert!(!ko.contains("receiver-offline"), "{ko}");
    }
}
