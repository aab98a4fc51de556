//! Read-only pictures of a variant for viewers and reports: the messages on the wire, the
//! consumers, the delivery counters per group. Plain data, built on request.

use super::consumer::Status;
use super::message::MsgRef;
use super::state::ModelState;
use super::world::{DuplicateSeen, Leg, LossFlash};
use crate::metrics::{Counters, Latency};
use crate::scenario::{Nanos, TopicId};
use crate::topology::NodeId;
use serde::Serialize;

/// A message on the wire, for a viewer to animate.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct InFlight {
    pub msg: MsgRef,
    pub topic: TopicId,
    pub from: NodeId,
    pub to: NodeId,
    pub depart: Nanos,
    pub arrive: Nanos,
    pub kind: Leg,
    /// False for a delivery whose consumer went away: it travels on, to be dropped.
    pub live: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsumerView {
    pub name: String,
    pub node: NodeId,
    /// Its group (the one it will join, if it has not yet).
    pub group: String,
    pub status: Status,
    pub link_down: bool,
    pub slow_factor: f64,
    /// Messages in its memory (processing + waiting).
    pub held: u64,
    pub processed: u64,
}

/// A read-only picture of one variant at one instant.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub now: Nanos,
    pub in_flight: Vec<InFlight>,
    pub consumers: Vec<ConsumerView>,
    pub producers_link_down: Vec<bool>,
    pub model: ModelState,
    pub recent_losses: Vec<LossFlash>,
    /// The last duplicates processed, oldest first.
    pub recent_duplicates: Vec<DuplicateSeen>,
    /// The last hops sent (at most `world::RECENT_HOPS`), finished or not, oldest first.
    pub recent_hops: Vec<InFlight>,
}

/// Delivery counters of one consumer group (the `groups` of `run --format json`).
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    pub name: String,
    pub topics: Vec<String>,
    pub delivered: u64,
    pub lost: u64,
    pub pending: u64,
    pub duplicates: u64,
    pub replayed: u64,
    pub lag: u64,
}

/// The raw numbers one variant's metrics are made of.
#[derive(Clone, Debug)]
pub struct Tally {
    pub produced: u64,
    pub counters: Counters,
    pub latency: Latency,
    pub elapsed_s: f64,
    pub stored_bytes_peak: u64,
}
