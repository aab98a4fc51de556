//! Consumers as the engine runs them: one message at a time, a service time per message, online
//! or not. The rules of consuming live here once; broker models decide only what reaches a
//! consumer and what happens to what it held when it goes away.

use super::fifo::Fifo;
use super::ids::GroupId;
use super::message::MsgRef;
use crate::scenario::{Nanos, ServiceDist, TopicId};
use crate::topology::NodeId;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// An add-consumer fault has not brought it in yet.
    NotJoined,
    Online,
    /// Disconnected cleanly (closed its connection, left its group); it may come back.
    Offline,
    /// Its process died; it may be restarted.
    Crashed,
    /// Removed for good (a remove-consumer command): it never comes back.
    Removed,
}

/// A message handed to a consumer, with what its model needs to know about where it came from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Delivery<D> {
    pub msg: MsgRef,
    pub tag: D,
    /// The broker marks it as delivered before (RabbitMQ's `redelivered`, a claimed entry).
    pub redelivered: bool,
}

#[derive(Clone, Debug)]
pub struct ConsumerRt<D> {
    pub(super) name: String,
    pub(super) node: NodeId,
    pub(super) group: Option<GroupId>,
    pub(super) topics: Vec<TopicId>,
    pub(super) service: Nanos,
    pub(super) dist: ServiceDist,
    pub(super) status: Status,
    pub(super) link_down: bool,
    /// Service time multiplier (consumer-slow).
    pub(super) slow: f64,
    inbox: Fifo<Delivery<D>>,
    pub(super) busy: Option<Delivery<D>>,
    /// Bumped when the consumer goes away: service and deliveries of an older epoch are void.
    epoch: u32,
    pub(super) processed: u64,
}

impl<D: Copy + Default> ConsumerRt<D> {
    pub(super) fn new(
        name: String,
        node: NodeId,
        topics: Vec<TopicId>,
        service: Nanos,
        dist: ServiceDist,
        status: Status,
    ) -> Self {
        ConsumerRt {
            name,
            node,
            group: None,
            topics,
            service,
            dist,
            status,
            link_down: false,
            slow: 1.0,
            inbox: Fifo::new(),
            busy: None,
            epoch: 0,
            processed: 0,
        }
    }

    #[must_use]
    #[inline]
    pub fn name(&self) -> &str {
        &self.name
    }
    #[must_use]
    #[inline]
    pub fn node(&self) -> NodeId {
        self.node
    }
    /// Its group, once it has joined.
    #[must_use]
    #[inline]
    pub fn group(&self) -> Option<GroupId> {
        self.group
    }
    /// The topics it gets messages of.
    #[must_use]
    #[inline]
    pub fn topics(&self) -> &[TopicId] {
        &self.topics
    }
    #[must_use]
    #[inline]
    pub fn status(&self) -> Status {
        self.status
    }
    #[must_use]
    #[inline]
    pub fn link_down(&self) -> bool {
        self.link_down
    }
    #[must_use]
    pub fn slow_factor(&self) -> f64 {
        self.slow
    }
    #[must_use]
    pub fn processed(&self) -> u64 {
        self.processed
    }
    /// Changes each time it goes away.
    #[must_use]
    #[inline]
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
    /// Reachable and running: brokers may deliver to it.
    #[must_use]
    #[inline]
    pub fn connected(&self) -> bool {
        self.status == Status::Online && !self.link_down
    }
    /// Messages it holds in memory (being processed or waiting).
    #[must_use]
    #[inline]
    pub fn held(&self) -> usize {
        self.inbox.len() + usize::from(self.busy.is_some())
    }
    /// What it holds, the one being processed first.
    pub fn memory(&self) -> impl Iterator<Item = Delivery<D>> + '_ {
        self.busy.into_iter().chain(self.inbox.iter())
    }
    #[must_use]
    #[inline]
    pub fn subscribes(&self, t: TopicId) -> bool {
        self.topics.contains(&t)
    }

    /// Bytes its memory takes.
    pub(super) fn bytes(&self) -> usize {
        self.inbox.bytes()
    }

    pub(super) fn receive(&mut self, d: Delivery<D>) {
        self.inbox.push_back(d);
    }

    /// Take the next message if idle and online: (mean service time, distribution, epoch).
    #[inline(always)]
    pub(super) fn begin_next(&mut self) -> Option<(f64, ServiceDist, u32)> {
        if self.busy.is_some() || self.status != Status::Online {
            return None;
        }
        let d = self.inbox.pop_front()?;
        self.busy = Some(d);
        #[allow(clippy::cast_precision_loss)]
        let mean = self.service as f64 * self.slow;
        Some((mean, self.dist, self.epoch))
    }

    /// Empty its memory into `out` and move to a new epoch; returns the epoch it had.
    pub(super) fn take_memory(&mut self, out: &mut Vec<Delivery<D>>) -> u32 {
        if let Some(d) = self.busy.take() {
            out.push(d);
        }
        out.extend(self.inbox.take_all());
        let epoch = self.epoch;
        self.epoch = self.epoch.wrapping_add(1);
        epoch
    }
}
