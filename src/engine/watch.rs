//! A watch on one message: every moment of its life in this variant, as timed events.
//!
//! ```text
//!   World.watch: Option<MsgId>  ── None (default): nothing is kept, one compare where it is asked
//!        │ Some(m)
//!        ▼
//!   produced ─ published ─ arrived ─ stored ─ delivered ─ received ─ processed ─ acked
//!       (at the engine)    (the port's send, hold, release, hand-over; a model's notes)
//!                                              └─ lost (reason, node) when its last copy goes
//! ```
//!
//! The engine records what it sees itself: creation, hops leaving and arriving, the hand-over
//! into a consumer's memory, processing (first, duplicate, replay, stray), acks, and a delivery
//! lost when a place releases the last copy. Where a model keeps the message (a queue, a
//! partition at an offset, a stream entry, an output buffer, a retry buffer) only the model
//! knows; it says so with [`super::Port::note`], a no-op unless the message is watched.

use super::ids::{ConsumerId, GroupId, MsgId};
use super::ledger::Processed;
use super::message::MsgRef;
use super::world::Origin;
use crate::metrics::LossReason;
use crate::scenario::Nanos;
use crate::topology::NodeId;

/// What a model says about a place that keeps the watched message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// A place took a copy: a queue, a partition, a stream, a buffer.
    Stored,
    /// Back at the head of its queue after its consumer went away unacknowledged.
    Requeued,
    /// Kept by its sender to try again later (a retry buffer, a blocked send).
    Held,
    /// The place let it go for its own reasons (retention, a trim), read or not.
    Removed,
}

/// One moment of the watched message's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Its producer created it; the groups then waiting for it are [`Watched::expected`].
    Produced,
    /// A hop left for node `to`.
    Published { to: NodeId },
    /// A produce hop reached the event's node.
    Arrived,
    /// A model's note about where it keeps it.
    Noted(Note),
    /// A hop left for a consumer (`redelivered`: the broker marks it as delivered before).
    Delivered { redelivered: bool, origin: Origin },
    /// The consumer took it into its memory.
    Received,
    /// The consumer finished processing it.
    Processed(Processed),
    /// The consumer acknowledged it to node `to`.
    Acked { to: NodeId },
    /// The delivery to the event's group can no longer happen: the last copy went here.
    Lost(LossReason),
}

/// One event of a trace: when, where, what, for which group and consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    pub at: Nanos,
    /// The node where it happens (a producer, a broker, a queue, a log, a consumer).
    pub node: NodeId,
    pub step: Step,
    pub group: Option<GroupId>,
    pub consumer: Option<ConsumerId>,
    /// The model's words for the place: `partition 2 offset 17`, `entry 1041`.
    pub detail: Option<String>,
}

/// What a watch saw of its message in one variant.
#[derive(Clone, Debug, Default)]
pub struct Watched {
    /// The message followed, by id.
    pub id: MsgId,
    /// The message, once created.
    pub msg: Option<MsgRef>,
    /// When it was created.
    pub created: Nanos,
    /// The groups waiting for it when it was created.
    pub expected: Vec<GroupId>,
    /// Its events, in the order they happened: the first [`MAX_WATCHED_EVENTS`], and after
    /// them only what decides a group's outcome.
    pub events: Vec<TraceEvent>,
    /// Events seen after the first [`MAX_WATCHED_EVENTS`] and not kept.
    pub not_kept: u64,
}

/// Events a watch keeps before it keeps only what decides an outcome: a message retried
/// for a thousand groups 65,535 times each makes tens of millions, and a trace held them all
/// (gigabytes). Its outcome per group is kept whatever the number.
pub const MAX_WATCHED_EVENTS: usize = 100_000;

impl Watched {
    /// Room for an event that decides nothing; if none, it is counted as not kept (so its
    /// words need not be made).
    pub(super) fn room(&mut self) -> bool {
        let room = self.events.len() < MAX_WATCHED_EVENTS;
        if !room {
            self.not_kept += 1;
        }
        room
    }
    /// Keep `e` if it decides a group's outcome, or if there is room.
    pub(super) fn keep(&mut self, e: TraceEvent) {
        let decides = matches!(e.step, Step::Lost(_) | Step::Processed(Processed::First));
        if decides || self.room() {
            self.events.push(e);
        }
    }
}

impl TraceEvent {
    /// An event at `node`, for nobody in particular yet.
    #[must_use]
    pub fn new(at: Nanos, node: NodeId, step: Step) -> TraceEvent {
        TraceEvent {
            at,
            node,
            step,
            group: None,
            consumer: None,
            detail: None,
        }
    }
    #[must_use]
    pub fn group(mut self, g: Option<GroupId>) -> TraceEvent {
        self.group = g;
        self
    }
    #[must_use]
    pub fn consumer(mut self, c: ConsumerId) -> TraceEvent {
        self.consumer = Some(c);
        self
    }
    #[must_use]
    pub fn detail(mut self, d: String) -> TraceEvent {
        self.detail = Some(d);
        self
    }
}
