//! What every broker model shares: the clock and event queue, messages, consumers and their
//! processing, messages in flight, and the ledger. Models move messages through it; the rules of
//! consumers (one message at a time, service time, online/offline) live here once.

use super::ledger::{GroupId, Ledger, MsgId, Processed};
use super::queue::EventQueue;
use super::Event;
use crate::metrics::LossReason;
use crate::scenario::{Nanos, ServiceDist, TopicId};
use crate::topology::NodeId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::VecDeque;

/// One message as a producer created it.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub topic: TopicId,
    /// Key number + 1; 0 = no key.
    pub key: u32,
    /// Global key slot for ordering checks (`u32::MAX` = no key).
    pub key_slot: u32,
    pub size: u32,
    pub producer: u16,
    pub created: Nanos,
}

impl Message {
    #[must_use]
    pub fn key_slot(&self) -> Option<u32> {
        (self.key_slot != u32::MAX).then_some(self.key_slot)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// An add-consumer fault has not brought it in yet.
    NotJoined,
    Online,
    /// Disconnected cleanly (closed its connection, left its group).
    Offline,
    /// Its process died.
    Crashed,
}

/// A message handed to a consumer. `tag` and `aux` belong to the model that delivered it
/// (a queue id, a partition and offset, ...).
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub msg: MsgId,
    pub tag: u32,
    pub aux: u32,
    pub redelivered: bool,
}

#[derive(Clone, Debug)]
pub struct ConsumerRt {
    pub name: String,
    pub node: NodeId,
    pub group: GroupId,
    pub topics: Vec<TopicId>,
    pub service: Nanos,
    pub dist: ServiceDist,
    pub status: Status,
    pub link_down: bool,
    /// Service time multiplier (consumer-slow).
    pub slow: f64,
    pub inbox: VecDeque<Delivery>,
    pub busy: Option<Delivery>,
    /// Bumped when the consumer goes away: service and deliveries of an older epoch are void.
    pub epoch: u32,
    pub processed: u64,
}

impl ConsumerRt {
    /// Reachable and running: brokers may deliver to it.
    #[must_use]
    pub fn connected(&self) -> bool {
        self.status == Status::Online && !self.link_down
    }
    /// Messages it holds in memory (being processed or waiting).
    #[must_use]
    pub fn held(&self) -> usize {
        self.inbox.len() + usize::from(self.busy.is_some())
    }
    #[must_use]
    pub fn subscribes(&self, t: TopicId) -> bool {
        self.topics.contains(&t)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HopKind {
    /// Producer to broker, channel, or (direct) consumer-bound send.
    Publish,
    /// To a consumer.
    Deliver,
    /// An acknowledgement back to a broker; carries no copy.
    Ack,
}

/// A message on the wire between two nodes.
#[derive(Clone, Copy, Debug)]
pub struct Hop {
    pub msg: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub depart: Nanos,
    pub arrive: Nanos,
    pub kind: HopKind,
    /// Target consumer index for `Deliver`, else `u32::MAX`.
    pub consumer: u32,
    /// The target consumer's epoch when sent: a delivery to an older epoch is void.
    pub epoch: u32,
    pub tag: u32,
    pub aux: u32,
}

/// A hop with its place in the order of events.
#[derive(Clone, Copy, Debug)]
struct Wire {
    seq: u64,
    hop: Hop,
}

/// What [`World::pop`] hands the engine: an event from the queue, or a hop that arrives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Next {
    Event(Event),
    Hop(Hop),
}

/// One delivery processed by a consumer, as recorded by an opt-in trace
/// ([`crate::sim::VariantSim::record_trace`]). `tag` and `aux` are the model's: Kafka
/// (partition, offset); RabbitMQ (queue, earlier deliveries = `x-delivery-count`); Redis Streams
/// (entry id, delivery counter); Redis Pub/Sub (broker, 0).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Processing {
    pub at: Nanos,
    pub consumer: u32,
    pub msg: MsgId,
    pub tag: u32,
    pub aux: u32,
    pub redelivered: bool,
    pub outcome: Processed,
}

/// A delivery became lost somewhere: a viewer flashes the node red.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct LossFlash {
    pub at: Nanos,
    pub node: NodeId,
    pub msg: MsgId,
}

const FLASHES_KEPT: usize = 256;

#[derive(Clone, Debug)]
pub struct World {
    pub now: Nanos,
    pub latency: Nanos,
    pub(crate) queue: EventQueue,
    pub msgs: Vec<Message>,
    pub ledger: Ledger,
    pub consumers: Vec<ConsumerRt>,
    /// Per producer: its node and whether its links are cut.
    pub producer_nodes: Vec<NodeId>,
    pub producer_link_down: Vec<bool>,
    /// Messages on the wire in arrival order, by (time, sequence): an event lane of their own
    /// (see [`World::pop`]). Every hop takes the same latency, so this is also send order.
    hops: VecDeque<Wire>,
    pub in_flight: usize,
    rng: ChaCha8Rng,
    pub stored_bytes: u64,
    pub stored_bytes_peak: u64,
    pub flashes: VecDeque<LossFlash>,
    /// Held messages of a consumer that went away, for the model to settle (reused buffer).
    pub scratch: Vec<Delivery>,
    /// Every processing, in order, when a test or viewer asked for it (None: not recorded).
    pub trace: Option<Vec<Processing>>,
    /// The last hops sent, newest last (bounded): a viewer animates hops shorter than a frame
    /// from here, since they start and end between two snapshots.
    pub recent_hops: VecDeque<Hop>,
}

/// How many recent hops a variant keeps for viewers.
pub const RECENT_HOPS: usize = 2048;

impl World {
    pub(crate) fn new(seed: u64, latency: Nanos, expected_msgs: usize, key_slots: usize) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Service times draw from their own stream so that the workload (other streams) is the
        // same in every variant whatever the consumers do.
        rng.set_stream(1);
        World {
            now: 0,
            latency,
            queue: EventQueue::with_capacity(1024),
            msgs: Vec::with_capacity(expected_msgs),
            ledger: Ledger::new(key_slots),
            consumers: Vec::new(),
            producer_nodes: Vec::new(),
            producer_link_down: Vec::new(),
            hops: VecDeque::with_capacity(1024),
            in_flight: 0,
            rng,
            stored_bytes: 0,
            stored_bytes_peak: 0,
            flashes: VecDeque::new(),
            scratch: Vec::new(),
            trace: None,
            recent_hops: VecDeque::with_capacity(RECENT_HOPS),
        }
    }

    pub(crate) fn schedule(&mut self, at: Nanos, e: Event) {
        self.queue.push(at, e);
    }

    /// Put a message on the wire from `from` to `to`; it arrives one hop latency later.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        kind: HopKind,
        consumer: Option<u32>,
        tag: u32,
        aux: u32,
    ) {
        let (consumer, epoch) = match consumer {
            Some(c) => (c, self.consumers[c as usize].epoch),
            None => (u32::MAX, 0),
        };
        let hop = Hop {
            msg,
            from,
            to,
            depart: self.now,
            arrive: self.now + self.latency,
            kind,
            consumer,
            epoch,
            tag,
            aux,
        };
        // The clock never goes back and every hop takes `latency`, so arrivals come in send
        // order and the hop goes at the back. Should a hop ever arrive before the last one sent
        // (a latency that changed), it goes in its place: the order stays exact either way.
        let seq = self.queue.next_seq();
        if self.hops.back().is_some_and(|b| b.hop.arrive > hop.arrive) {
            let at = self.hops.partition_point(|w| w.hop.arrive <= hop.arrive);
            self.hops.insert(at, Wire { seq, hop });
        } else {
            self.hops.push_back(Wire { seq, hop });
        }
        self.in_flight += 1;
        if self.recent_hops.len() == RECENT_HOPS {
            self.recent_hops.pop_front();
        }
        self.recent_hops.push_back(hop);
    }

    /// Send to consumer `c` from `from`.
    pub fn send_to_consumer(&mut self, msg: MsgId, from: NodeId, c: u32, tag: u32, aux: u32) {
        let to = self.consumers[c as usize].node;
        self.send(msg, from, to, HopKind::Deliver, Some(c), tag, aux);
    }

    /// The next thing to happen: the earlier, by (time, sequence), of the event queue's next
    /// event and the first hop on the wire (which arrives then). The same order as if every hop
    /// were an event in the queue.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(Nanos, Next)> {
        let hop_first = match (self.hops.front(), self.queue.peek_key()) {
            (Some(h), Some(q)) => (h.hop.arrive, h.seq) < q,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if hop_first {
            let w = self.hops.pop_front()?;
            self.in_flight -= 1;
            Some((w.hop.arrive, Next::Hop(w.hop)))
        } else {
            let e = self.queue.pop()?;
            Some((e.time, Next::Event(e.event)))
        }
    }

    /// When the next thing happens.
    #[must_use]
    pub fn next_time(&self) -> Option<Nanos> {
        let h = self.hops.front().map(|w| w.hop.arrive);
        match (h, self.queue.peek_time()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A delivery hop still counts: its consumer has not gone away since it was sent.
    #[must_use]
    pub fn hop_is_live(&self, h: &Hop) -> bool {
        h.kind != HopKind::Deliver || self.consumers[h.consumer as usize].epoch == h.epoch
    }

    /// Messages on the wire (void deliveries included: they still travel until dropped).
    pub fn hops(&self) -> impl Iterator<Item = &Hop> {
        self.hops.iter().map(|w| &w.hop)
    }

    /// Hand a delivery to consumer `c`'s memory; it starts processing if idle.
    pub fn deliver_local(&mut self, c: u32, d: Delivery) {
        self.consumers[c as usize].inbox.push_back(d);
        self.start_service(c);
    }

    pub(crate) fn start_service(&mut self, c: u32) {
        let k = &mut self.consumers[c as usize];
        if k.busy.is_some() || k.status != Status::Online {
            return;
        }
        let Some(d) = k.inbox.pop_front() else { return };
        k.busy = Some(d);
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let t = {
            let mean = k.service as f64 * k.slow;
            let s = match k.dist {
                ServiceDist::Fixed => mean,
                ServiceDist::Exponential => {
                    let u: f64 = self.rng.random();
                    -(1.0 - u).ln() * mean
                }
            };
            s.round() as Nanos
        };
        let epoch = k.epoch;
        self.queue
            .push(self.now + t, Event::ServiceDone { consumer: c, epoch });
    }

    /// Everything consumer `c` holds or has on the way to it, into `self.scratch`; its epoch moves
    /// on so that those deliveries are void where they are. The model settles `scratch`.
    pub(crate) fn take_held(&mut self, c: u32) {
        self.scratch.clear();
        let k = &mut self.consumers[c as usize];
        if let Some(d) = k.busy.take() {
            self.scratch.push(d);
        }
        self.scratch.extend(k.inbox.drain(..));
        let epoch = k.epoch;
        k.epoch = k.epoch.wrapping_add(1);
        for h in self.hops.iter().map(|w| &w.hop) {
            if h.kind == HopKind::Deliver && h.consumer == c && h.epoch == epoch {
                self.scratch.push(Delivery {
                    msg: h.msg,
                    tag: h.tag,
                    aux: h.aux,
                    redelivered: false,
                });
            }
        }
    }

    /// Drop one copy of `m` for `g`; a delivery lost by it flashes at `node`.
    #[inline]
    pub fn drop_copy(&mut self, m: MsgId, g: GroupId, reason: LossReason, node: NodeId) {
        let before = self.ledger.total.lost;
        self.ledger.drop_copy(m, g, reason);
        if self.ledger.total.lost != before {
            self.flash(node, m);
        }
    }

    /// Drop one copy of `m` for every group waiting for it.
    pub fn drop_copy_all(&mut self, m: MsgId, reason: LossReason, node: NodeId) {
        let before = self.ledger.total.lost;
        self.ledger.drop_copy_all(m, reason);
        if self.ledger.total.lost != before {
            self.flash(node, m);
        }
    }

    fn flash(&mut self, node: NodeId, msg: MsgId) {
        if self.flashes.len() == FLASHES_KEPT {
            self.flashes.pop_front();
        }
        self.flashes.push_back(LossFlash {
            at: self.now,
            node,
            msg,
        });
    }

    /// Drop one copy for the group of consumer `c` (a copy that was in its memory or on its way).
    pub fn drop_held(&mut self, c: u32, m: MsgId, reason: LossReason) {
        let k = &self.consumers[c as usize];
        let (g, node) = (k.group, k.node);
        self.drop_copy(m, g, reason, node);
    }

    pub fn store(&mut self, bytes: u32) {
        self.stored_bytes += u64::from(bytes);
        self.stored_bytes_peak = self.stored_bytes_peak.max(self.stored_bytes);
    }

    /// `store(bytes)` `n` times.
    pub fn store_many(&mut self, bytes: u32, n: u32) {
        self.stored_bytes += u64::from(bytes) * u64::from(n);
        self.stored_bytes_peak = self.stored_bytes_peak.max(self.stored_bytes);
    }

    pub fn unstore(&mut self, bytes: u32) {
        self.stored_bytes = self.stored_bytes.saturating_sub(u64::from(bytes));
    }

    #[must_use]
    pub fn msg(&self, m: MsgId) -> &Message {
        &self.msgs[m as usize]
    }

    #[must_use]
    pub fn producer_connected(&self, m: MsgId) -> bool {
        !self.producer_link_down[usize::from(self.msgs[m as usize].producer)]
    }

    /// Message `m` leaves its producer for broker node `to`: the hop carries one copy for every
    /// group waiting for it; over a cut link the send fails and those deliveries are lost.
    pub fn publish_to(&mut self, m: MsgId, to: NodeId) {
        let from = self.producer_node(m);
        self.ledger.add_copy_all(m);
        if !self.producer_connected(m) {
            return self.drop_copy_all(m, LossReason::LinkDown, from);
        }
        self.send(m, from, to, HopKind::Publish, None, 0, 0);
    }

    #[must_use]
    pub fn producer_node(&self, m: MsgId) -> NodeId {
        self.producer_nodes[usize::from(self.msgs[m as usize].producer)]
    }

    /// Consumers that belong to group `g`, are connected and subscribe to `t`.
    pub fn connected_members(&self, g: GroupId, t: TopicId) -> impl Iterator<Item = u32> + '_ {
        self.ledger.groups[g as usize]
            .members
            .iter()
            .copied()
            .filter(move |&c| {
                let k = &self.consumers[c as usize];
                k.connected() && k.subscribes(t)
            })
    }

    /// Timers queued for the model (for audits: retries held by a producer, ...).
    pub fn model_timers(&self) -> impl Iterator<Item = (u8, u32, u32)> + '_ {
        self.queue.iter().filter_map(|e| match e.event {
            Event::Timer { kind, a, b } => Some((kind, a, b)),
            _ => None,
        })
    }

    pub fn timer(&mut self, at: Nanos, kind: u8, a: u32, b: u32) {
        self.queue.push(at, Event::Timer { kind, a, b });
    }

    /// A model timer one hop latency from now. Such timers are due in the order they are set,
    /// so they wait in the queue's FIFO lane rather than its heap.
    pub fn timer_after_latency(&mut self, kind: u8, a: u32, b: u32) {
        self.queue
            .push_fifo(self.now + self.latency, Event::Timer { kind, a, b });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_and_events_pop_by_time_then_sequence_even_if_the_latency_changed() {
        let mut w = World::new(1, 10, 0, 0);
        w.send(0, 0, 1, HopKind::Publish, None, 0, 0); // arrives at 10
        w.latency = 3;
        w.send(1, 0, 1, HopKind::Publish, None, 0, 0); // at 3, before the hop sent first
        w.timer(3, 9, 0, 0); // at 3 too, queued after it
        w.latency = 10;
        w.send(2, 0, 1, HopKind::Publish, None, 0, 0); // at 10, after the first hop
        let order: Vec<(Nanos, u32)> = std::iter::from_fn(|| w.pop())
            .map(|(t, n)| match n {
                Next::Hop(h) => (t, h.msg),
                Next::Event(_) => (t, 99),
            })
            .collect();
        assert_eq!(order, vec![(3, 1), (3, 99), (10, 0), (10, 2)]);
        assert_eq!(w.in_flight, 0);
    }
}
