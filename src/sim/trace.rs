//! Follow one message: its life in every variant as timed events, and its outcome per group.
//!
//! ```text
//!   message N (the N-th produced: the same one in every variant, same workload)
//!   re-simulate with a watch on N ──> per variant: produced, published, arrived, stored,
//!                                     delivered, received, processed, acked, lost ...
//!                                 ──> per group that expected it: delivered | lost (why) | pending
//! ```
//!
//! A trace is a run again from the start (or, for the app, from the tape's last checkpoint
//! before the message was created) with the engine's watch set on the message: the watch only
//! keeps what it sees, so the run is the same as without it. `brokerlab trace` prints it; the
//! app lights up its path and draws its timeline from it.

use super::{Simulation, VariantSim};
use crate::engine::{MsgId, Note, Processed, Step, TraceEvent, Watched};
use crate::metrics::LossReason;
use crate::scenario::{to_secs, Nanos, Scenario, ScenarioError, TopicId};
use crate::topology::NodeId;
use serde::Serialize;

/// The life of one message in every variant run (`trace --format json`).
#[derive(Clone, Debug, Serialize)]
pub struct MessageTrace {
    pub scenario: String,
    pub message: MessageInfo,
    pub variants: Vec<VariantTrace>,
}

/// What the message is.
#[derive(Clone, Debug, Serialize)]
pub struct MessageInfo {
    pub id: u32,
    pub producer: String,
    pub topic: String,
    pub key: Option<u32>,
    pub created_s: f64,
    pub size_bytes: u32,
    #[serde(skip)]
    pub created: Nanos,
    #[serde(skip)]
    pub topic_id: TopicId,
}

/// One variant's events of the message and its outcome per group.
#[derive(Clone, Debug, Serialize)]
pub struct VariantTrace {
    pub name: String,
    pub events: Vec<TraceRow>,
    pub outcome: Vec<Outcome>,
    /// Events after the first [`crate::engine::MAX_WATCHED_EVENTS`] that were not kept (only
    /// what decides an outcome is, after them); written only when some were not.
    #[serde(skip_serializing_if = "is_zero")]
    pub events_not_kept: u64,
    /// The variant's index in the scenario.
    #[serde(skip)]
    pub variant: usize,
}

/// One event, in words (`at` a node's name), with what a viewer needs to draw it.
#[derive(Clone, Debug, Serialize)]
pub struct TraceRow {
    pub t_s: f64,
    pub at: String,
    pub what: &'static str,
    pub group: Option<String>,
    pub consumer: Option<String>,
    pub detail: Option<String>,
    #[serde(skip)]
    pub time: Nanos,
    /// Where it happens, and the node a hop goes to (a send, a delivery, an ack).
    #[serde(skip)]
    pub node: NodeId,
    #[serde(skip)]
    pub to: Option<NodeId>,
    #[serde(skip)]
    pub step: Step,
}

/// What became of the delivery to one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    Delivered,
    Lost,
    Pending,
}

/// The outcome for one group that expected the message when it was created.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub group: String,
    pub state: Fate,
    /// Why it was lost (null otherwise).
    pub reason: Option<String>,
    /// When and where it was delivered or lost.
    #[serde(skip)]
    pub at: Option<(Nanos, NodeId)>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{file}: --message {id}: the run produces {produced} messages, numbered from 0")]
    OutOfRange {
        file: String,
        id: u32,
        produced: u64,
    },
}

/// Message `id` (the `id`-th produced, from 0) of `scenario` in the variants named (all when
/// `variants` is empty): simulated from the start to the end of the run with a watch on it.
///
/// # Errors
/// A name that is not a variant of the scenario; a message the run never produces.
pub fn trace(scenario: Scenario, id: u32, variants: &[String]) -> Result<MessageTrace, TraceError> {
    let mut sim = Simulation::select(scenario, variants)?;
    sim.watch(MsgId(id));
    sim.run();
    collect(&sim)
}

/// The trace of the message a simulation's watch followed (set before it was created).
///
/// # Errors
/// The watched message was never created in the run.
pub fn collect(sim: &Simulation) -> Result<MessageTrace, TraceError> {
    let s = &sim.scenario;
    let first = sim.variants.first();
    let found = first.and_then(|v| Some((v, v.watched().msg?)));
    let Some((v, m)) = found else {
        return Err(TraceError::OutOfRange {
            file: s.source.clone(),
            id: first.map_or(0, |v| v.watched().id.0),
            produced: first.map_or(0, |v| v.tally().produced),
        });
    };
    let info = v.info(m);
    let created = v.watched().created;
    let message = MessageInfo {
        id: m.id.0,
        producer: s.producers[info.producer.ix()].name.clone(),
        topic: s.topic_name(info.topic).to_owned(),
        key: info.key,
        created_s: to_secs(created),
        size_bytes: info.size,
        created,
        topic_id: info.topic,
    };
    Ok(MessageTrace {
        scenario: s.source.clone(),
        message,
        variants: sim.variants.iter().map(variant_trace).collect(),
    })
}

fn variant_trace(v: &VariantSim) -> VariantTrace {
    let w = v.watched();
    let expected: Vec<&str> = w.expected.iter().map(|&g| v.group_name(g)).collect();
    VariantTrace {
        name: v.name().to_owned(),
        events: w.events.iter().map(|e| row(v, e, &expected)).collect(),
        outcome: outcome(v, w),
        events_not_kept: w.not_kept,
        variant: v.index,
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Delivered if a member processed it first, lost if its last copy went, else still pending.
fn outcome(v: &VariantSim, w: &Watched) -> Vec<Outcome> {
    w.expected
        .iter()
        .map(|&g| {
            let decisive = w.events.iter().find(|e| {
                e.group == Some(g)
                    && matches!(e.step, Step::Lost(_) | Step::Processed(Processed::First))
            });
            let (state, reason) = match decisive.map(|e| e.step) {
                Some(Step::Lost(r)) => (Fate::Lost, Some(r.name().to_owned())),
                Some(_) => (Fate::Delivered, None),
                None => (Fate::Pending, None),
            };
            Outcome {
                group: v.group_name(g).to_owned(),
                state,
                reason,
                at: decisive.map(|e| (e.at, e.node)),
            }
        })
        .collect()
}

/// A loss a group suffers because it never got to read the message there: it skipped it.
fn skipped(r: LossReason) -> bool {
    matches!(
        r,
        LossReason::Retention | LossReason::Trimmed | LossReason::OffsetReset
    )
}

/// One event in words: what happened, where it went, and the detail a reader needs.
fn row(v: &VariantSim, e: &TraceEvent, expected: &[&str]) -> TraceRow {
    let name = |n: NodeId| v.topology.node(n).name.clone();
    let consumer_node = e
        .consumer
        .and_then(|c| v.topology.consumers.get(c.ix()).copied());
    let (what, to, detail) = match e.step {
        Step::Produced if expected.is_empty() => {
            ("produced", None, Some("no group subscribes".into()))
        }
        Step::Produced => (
            "produced",
            None,
            Some(format!("for {}", expected.join(", "))),
        ),
        Step::Published { to } => ("published", Some(to), Some(format!("to {}", name(to)))),
        Step::Arrived => ("arrived", None, None),
        Step::Noted(n) => (note_word(n), None, e.detail.clone()),
        Step::Delivered {
            redelivered,
            origin,
        } => {
            let mut d = Vec::new();
            if let Some(o) = origin.offset {
                d.push(format!("offset {o}"));
            }
            if origin.attempt > 1 {
                d.push(format!("delivery {}", origin.attempt));
            }
            let what = if redelivered {
                "redelivered"
            } else {
                "delivered"
            };
            (what, consumer_node, (!d.is_empty()).then(|| d.join(", ")))
        }
        Step::Received => ("received", None, None),
        Step::Processed(p) => ("processed", None, Some(processed_word(p).into())),
        Step::Acked { to } => ("acked", Some(to), Some(format!("to {}", name(to)))),
        Step::Lost(r) if skipped(r) => ("skipped", None, Some(r.name().into())),
        Step::Lost(r) => ("lost", None, Some(r.name().into())),
    };
    TraceRow {
        t_s: to_secs(e.at),
        at: name(e.node),
        what,
        group: e.group.map(|g| v.group_name(g).to_owned()),
        consumer: e.consumer.map(|c| v.consumer_name(c).to_owned()),
        detail,
        time: e.at,
        node: e.node,
        to,
        step: e.step,
    }
}

fn note_word(n: Note) -> &'static str {
    match n {
        Note::Stored => "stored",
        Note::Requeued => "requeued",
        Note::Held => "held",
        Note::Removed => "removed",
    }
}

fn processed_word(p: Processed) -> &'static str {
    match p {
        Processed::First => "first",
        Processed::Duplicate => "duplicate",
        Processed::Replay => "replay",
        Processed::Stray => "stray",
    }
}

/// Where the message is at one instant of one variant: on the wire (a hop from, to, and the
/// part of it done), and the node of its last event so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Whereabouts {
    pub on_wire: Vec<(NodeId, NodeId, f32)>,
    pub last: Option<NodeId>,
}

impl VariantTrace {
    /// The edges the message crossed, as (from, to, when it first set out on it), in that
    /// order, each once: its hops (sends, deliveries, acks) and each move inside a system, from
    /// the node it arrived at to the place that stored it (a broker into a queue or a log).
    #[must_use]
    pub fn crossed(&self) -> Vec<(NodeId, NodeId, Nanos)> {
        let mut out: Vec<(NodeId, NodeId, Nanos)> = Vec::new();
        let mut arrived = None;
        for e in &self.events {
            let edge = match e.step {
                Step::Arrived => {
                    arrived = Some(e.node);
                    None
                }
                Step::Noted(Note::Stored) => arrived.filter(|&a| a != e.node).map(|a| (a, e.node)),
                _ => e.to.map(|to| (e.node, to)),
            };
            if let Some((a, b)) = edge {
                if !out.iter().any(|&(x, y, _)| (x, y) == (a, b)) {
                    out.push((a, b, e.time));
                }
            }
        }
        out
    }

    /// Every node where something happened to the message, or a hop of it went, with when
    /// that first happened (a hop's end: when it set out).
    #[must_use]
    pub fn nodes(&self) -> Vec<(NodeId, Nanos)> {
        let mut out: Vec<(NodeId, Nanos)> = Vec::new();
        for e in &self.events {
            for n in std::iter::once(e.node).chain(e.to) {
                if !out.iter().any(|&(x, _)| x == n) {
                    out.push((n, e.time));
                }
            }
        }
        out
    }

    /// The time of its last event here (None: it has none).
    #[must_use]
    pub fn last_time(&self) -> Option<Nanos> {
        self.events.last().map(|e| e.time)
    }

    /// Where the message is at `t`, every hop taking `latency`.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn at_time(&self, t: Nanos, latency: Nanos) -> Whereabouts {
        let past = self.events.iter().take_while(|e| e.time <= t);
        let mut w = Whereabouts::default();
        for e in past {
            w.last = Some(e.node);
            if let Some(to) = e.to.filter(|_| t < e.time.saturating_add(latency)) {
                let done = (t - e.time) as f32 / latency.max(1) as f32;
                w.on_wire.push((e.node, to, done));
            }
        }
        w
    }

    /// The events where a delivery was lost (or skipped).
    pub fn losses(&self) -> impl Iterator<Item = &TraceRow> {
        self.events
            .iter()
            .filter(|e| matches!(e.step, Step::Lost(_)))
    }
}

impl MessageTrace {
    /// The trace of the scenario's variant `index`, if it was traced.
    #[must_use]
    pub fn of_variant(&self, index: usize) -> Option<&VariantTrace> {
        self.variants.iter().find(|v| v.variant == index)
    }

    /// The time of the first event after `t` of the variants `of` (scenario indexes: those on
    /// show).
    #[must_use]
    pub fn next_after(&self, t: Nanos, of: &[usize]) -> Option<Nanos> {
        self.times(of).filter(|&x| x > t).min()
    }

    /// The time of the last event before `t` of the variants `of`.
    #[must_use]
    pub fn previous_before(&self, t: Nanos, of: &[usize]) -> Option<Nanos> {
        self.times(of).filter(|&x| x < t).max()
    }

    fn times<'a>(&'a self, of: &'a [usize]) -> impl Iterator<Item = Nanos> + 'a {
        self.variants
            .iter()
            .filter(|v| of.contains(&v.variant))
            .flat_map(|v| v.events.iter().map(|e| e.time))
    }
}
