//! Consumers as the engine runs them: one message at a time, a service time per message, online
//! or not. The rules of consuming live here once; broker models decide only what reaches a
//! consumer and what happens to what it held when it goes away.

use super::fifo::Blocked;
use super::ids::GroupId;
use super::message::MsgRef;
use super::reflog::{RefAndByte, RefByteBlock};
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

/// A delivery tag that is often small: a consumer's memory then keeps the delivery in five
/// bytes (its reference packed, the tag and `redelivered` in one byte; see [`RefByteBlock`]).
/// Both methods are required, so a tag cannot say it fits and then lose itself on the way back;
/// a tag that never fits implements [`KeptWhole`] instead.
pub trait SmallTag: Copy + Default {
    /// The tag in seven bits, if it fits.
    fn small(&self) -> Option<u8>;
    /// The tag whose [`SmallTag::small`] is `b`.
    fn from_small(b: u8) -> Self;
}

/// A delivery tag that never fits seven bits (it carries an offset): a consumer keeps its
/// deliveries whole, and no tag is ever made from a byte.
pub trait KeptWhole: Copy + Default {}

impl<T: KeptWhole> SmallTag for T {
    #[inline]
    fn small(&self) -> Option<u8> {
        None
    }
    #[inline]
    fn from_small(_b: u8) -> T {
        T::default()
    }
}

/// `x` in seven bits, if it fits.
#[inline]
fn seven_bits(x: impl TryInto<u8>) -> Option<u8> {
    x.try_into().ok().filter(|&b| b < 0x80)
}

impl SmallTag for () {
    #[inline]
    fn small(&self) -> Option<u8> {
        Some(0)
    }
    #[inline]
    fn from_small(_b: u8) {}
}

impl SmallTag for u16 {
    #[inline]
    fn small(&self) -> Option<u8> {
        seven_bits(*self)
    }
    #[inline]
    fn from_small(b: u8) -> u16 {
        u16::from(b)
    }
}

impl SmallTag for u32 {
    #[inline]
    fn small(&self) -> Option<u8> {
        seven_bits(*self)
    }
    #[inline]
    fn from_small(b: u8) -> u32 {
        u32::from(b)
    }
}

impl<D: SmallTag> RefAndByte for Delivery<D> {
    #[inline]
    fn msg(&self) -> MsgRef {
        self.msg
    }
    #[inline]
    fn byte(&self) -> Option<u8> {
        self.tag
            .small()
            .map(|b| b | (u8::from(self.redelivered) << 7))
    }
    #[inline]
    fn from_parts(msg: MsgRef, byte: u8) -> Self {
        Delivery {
            msg,
            tag: D::from_small(byte & 0x7f),
            redelivered: byte & 0x80 != 0,
        }
    }
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
    inbox: Blocked<RefByteBlock<Delivery<D>>>,
    pub(super) busy: Option<Delivery<D>>,
    /// Bumped when the consumer goes away: service and deliveries of an older epoch are void.
    epoch: u32,
    pub(super) processed: u64,
}

impl<D: SmallTag> ConsumerRt<D> {
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
            inbox: Blocked::new(),
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

#[cfg(test)]
mod tests {
    use super::{ConsumerRt, Delivery, RefByteBlock, Status};
    use crate::engine::fifo::BLOCK;
    use crate::engine::{MsgClass, MsgId, MsgRef};
    use crate::scenario::ServiceDist;
    use proptest::prelude::*;

    fn consumer() -> ConsumerRt<u16> {
        ConsumerRt::new(
            "c".to_owned(),
            0,
            vec![0],
            1_000,
            ServiceDist::Fixed,
            Status::Online,
        )
    }

    fn parts(d: Delivery<u16>) -> (MsgRef, u16, bool) {
        (d.msg, d.tag, d.redelivered)
    }

    /// A tag that says it fits comes back as itself; one that does not fit says so.
    #[test]
    fn small_tags_come_back_as_themselves() {
        use super::SmallTag;
        for t in (0..=300u16).chain([u16::MAX]) {
            match t.small() {
                Some(b) => assert_eq!((b < 0x80, u16::from_small(b)), (true, t)),
                None => assert!(t >= 0x80, "{t} fits"),
            }
            let w = u32::from(t) | if t == u16::MAX { 1 << 20 } else { 0 };
            match w.small() {
                Some(b) => assert_eq!((b < 0x80, u32::from_small(b)), (true, w)),
                None => assert!(w >= 0x80, "{w} fits"),
            }
        }
        assert_eq!(().small(), Some(0));
    }

    proptest! {
        /// Whatever its tags, ids and classes, a consumer's memory gives back every delivery as
        /// it came, in order, the one taken for processing first.
        #[test]
        fn a_consumers_memory_gives_back_every_delivery_as_it_came(
            ds in proptest::collection::vec(
                (0u32..50, prop_oneof![0u16..130, any::<u16>()], any::<bool>(), 0u32..70_000, 0u8..8),
                0..3000,
            )
        ) {
            let mut c = consumer();
            let mut want = std::collections::VecDeque::new();
            let mut next = 1u32 << 20;
            for (gap, tag, redelivered, class, op) in ds {
                next += gap;
                // A retried message comes later than newer ones: an older id.
                let id = if op == 0 { next.saturating_sub(100_000) } else { next };
                let d = Delivery {
                    msg: MsgRef { id: MsgId(id), class: MsgClass(class % if op == 1 { 70_000 } else { 300 }) },
                    tag,
                    redelivered,
                };
                c.receive(d);
                want.push_back(parts(d));
                if op == 2 {
                    c.begin_next();
                    c.busy = None;
                    want.pop_front();
                }
            }
            prop_assert_eq!(c.held(), want.len());
            let got: Vec<_> = c.memory().map(parts).collect();
            prop_assert_eq!(got, want.iter().copied().collect::<Vec<_>>());
            let mut out = Vec::new();
            c.take_memory(&mut out);
            prop_assert_eq!(out.into_iter().map(parts).collect::<Vec<_>>(), Vec::from(want));
            prop_assert_eq!(c.held(), 0);
        }
    }

    /// Deliveries in id order with small tags take five bytes each; a tag that does not fit
    /// in seven bits widens its block alone.
    #[test]
    fn a_consumers_memory_keeps_small_deliveries_in_five_bytes() {
        let mut c = consumer();
        let n = 100 * BLOCK as u32;
        for i in 0..n {
            c.receive(Delivery {
                msg: MsgRef {
                    id: MsgId(3 * i),
                    class: MsgClass(i % 11),
                },
                tag: (i % 128) as u16,
                redelivered: i % 3 == 0,
            });
        }
        let per = c.bytes() as f64 / f64::from(n);
        assert!((5.0..5.1).contains(&per), "{per} bytes a delivery");
        c.receive(Delivery {
            msg: MsgRef {
                id: MsgId(3 * n),
                class: MsgClass(0),
            },
            tag: 128,
            redelivered: false,
        });
        let narrow = c
            .inbox
            .blocks()
            .filter(|b| matches!(b, RefByteBlock::Narrow(..)))
            .count();
        assert_eq!((narrow, c.inbox.blocks().count()), (100, 101));
        let last = c.memory().last().map(parts);
        assert_eq!(last.map(|p| p.1), Some(128));
    }
}
