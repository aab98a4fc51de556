//! The world one variant's messages move through: the clock, the event queue, the hop lane,
//! messages, consumers and the ledger. Its fields are private: broker models act on it through
//! a [`super::Port`], the engine through the crate-internal methods below, viewers read it.
//!
//! ```text
//!   producer ──hop──> broker ──hop──> consumer: inbox ──service──> processed (ledger)
//!            latency          latency         one at a time, service time from its own stream
//! ```
//!
//! Models the network as a fixed latency per hop (the scenario's `latency_ms`): no bandwidth
//! limit, no loss and no reordering on the wire, so hops arrive in the order they were sent.
//! A consumer processes one message at a time (fixed or exponential service time, scaled by a
//! slow-down), in the order its messages reached it. Leaves out: TCP (windows, retransmits,
//! head-of-line blocking), clocks that drift, partitions of the network other than a cut link.

use super::consumer::{ConsumerRt, Delivery};
use super::ids::{ConsumerId, GroupId, MsgId, ProducerId};
use super::ledger::{Ledger, Processed};
use super::message::{ClassInfo, Classes, CreationTimes, MsgRef};
use super::queue::EventQueue;
use super::watch::{Step, TraceEvent, Watched};
use super::Tags;
use crate::scenario::{Nanos, ServiceDist, TopicId};
use crate::topology::NodeId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::VecDeque;

/// What a hop carries, typed by the model that sent it.
#[derive(Clone, Copy, Debug)]
pub enum HopKind<T: Tags> {
    /// Producer to broker or channel (or, for a direct link, see `Deliver`).
    Publish(T::Publish),
    /// To a consumer; void if the consumer went away (its epoch moved on) since it was sent.
    Deliver {
        consumer: ConsumerId,
        epoch: u32,
        tag: T::Delivery,
        redelivered: bool,
    },
    /// An acknowledgement from a consumer back to a broker; carries no copy.
    Ack { consumer: ConsumerId, tag: T::Ack },
}

/// Which way a hop goes, for viewers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Leg {
    Publish,
    Deliver,
    Ack,
}

/// A message on the wire between two nodes. It left one hop latency before it arrives.
#[derive(Clone, Copy, Debug)]
pub struct Hop<T: Tags> {
    pub msg: MsgRef,
    pub from: NodeId,
    pub to: NodeId,
    pub arrive: Nanos,
    pub kind: HopKind<T>,
}

impl<T: Tags> Hop<T> {
    /// The delivery a `Deliver` hop carries.
    #[must_use]
    pub fn delivery(&self) -> Option<Delivery<T::Delivery>> {
        match self.kind {
            HopKind::Deliver {
                tag, redelivered, ..
            } => Some(Delivery {
                msg: self.msg,
                tag,
                redelivered,
            }),
            _ => None,
        }
    }
    #[must_use]
    pub fn leg(&self) -> Leg {
        match self.kind {
            HopKind::Publish(_) => Leg::Publish,
            HopKind::Deliver { .. } => Leg::Deliver,
            HopKind::Ack { .. } => Leg::Ack,
        }
    }
}

/// A hop with its place in the order of events.
#[derive(Clone, Copy, Debug)]
struct Wire<T: Tags> {
    seq: u64,
    hop: Hop<T>,
}

/// One thing that happens at one instant.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event<Tm> {
    /// A publish entry creates its next message.
    Produce { stream: u32 },
    /// A consumer finished processing (void if its epoch moved on).
    ServiceDone { consumer: ConsumerId, epoch: u32 },
    /// A scenario fault starts, or heals.
    Fault { index: u32, heal: bool },
    /// A command sent at run time (see [`super::Command`]).
    Command { index: u32 },
    /// Time to sample the time series.
    Sample,
    /// A model's own timer.
    Timer(Tm),
}

/// What [`World::pop`] hands the engine: an event from the queue, or a hop that arrives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Next<T: Tags> {
    Event(Event<T::Timer>),
    Hop(Hop<T>),
}

/// Where a processed delivery came from, in its model's terms, for traces and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The model's place: a RabbitMQ queue, a Kafka partition (across topics), a Redis server.
    pub place: Option<u32>,
    /// The position there: a Kafka offset, a Redis stream entry id.
    pub offset: Option<u64>,
    /// Which delivery of the message to its group this is, from 1 (a redelivery is 2 or more).
    pub attempt: u32,
}

/// One delivery processed by a consumer, as recorded by an opt-in trace.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Processing {
    pub at: Nanos,
    pub consumer: ConsumerId,
    pub msg: MsgRef,
    pub origin: Origin,
    pub redelivered: bool,
    pub outcome: Processed,
}

/// A delivery became lost somewhere: a viewer flashes the node red.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct LossFlash {
    pub at: Nanos,
    pub node: NodeId,
    pub msg: MsgRef,
}

/// A group processed a message it had processed before (a redelivery): a viewer lists it, to
/// follow one.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct DuplicateSeen {
    pub at: Nanos,
    /// The consumer's node.
    pub node: NodeId,
    pub msg: MsgRef,
}

const FLASHES_KEPT: usize = 256;

/// How many recent hops a variant keeps for viewers.
pub const RECENT_HOPS: usize = 2048;

#[derive(Clone, Debug)]
pub struct World<T: Tags> {
    now: Nanos,
    latency: Nanos,
    queue: EventQueue<Event<T::Timer>>,
    /// What each class of message is.
    classes: Classes,
    /// When each message was created: kept while some group waits for it (a first delivery's
    /// latency needs it), let go once none does.
    created: CreationTimes,
    /// Messages created so far (the next one's id).
    next_msg: u32,
    pub(super) ledger: Ledger,
    pub(super) consumers: Vec<ConsumerRt<T::Delivery>>,
    /// Per producer: its node and whether its links are cut.
    producer_nodes: Vec<NodeId>,
    producer_link_down: Vec<bool>,
    /// Messages on the wire in arrival order, by (time, sequence): an event lane of their own
    /// (see [`World::pop`]). Every hop takes the same latency, so this is also send order.
    hops: VecDeque<Wire<T>>,
    rng: ChaCha8Rng,
    stored_bytes: u64,
    stored_bytes_peak: u64,
    flashes: VecDeque<LossFlash>,
    duplicates: VecDeque<DuplicateSeen>,
    /// Every processing, in order, when a test or viewer asked for it (None: not recorded).
    pub(super) trace: Option<Vec<Processing>>,
    /// The last hops sent, newest last (bounded): a viewer animates hops shorter than a frame
    /// from here, since they start and end between two snapshots. Kept only when asked.
    recent_hops: VecDeque<Hop<T>>,
    keep_recent: bool,
    /// The one message being followed (None: none, and nothing is kept), and what was seen of
    /// it: see [`super::watch`].
    watch: Option<MsgId>,
    watched: Watched,
}

impl<T: Tags> World<T> {
    pub(crate) fn new(
        seed: u64,
        latency: Nanos,
        classes: Classes,
        key_slots: usize,
        topics: usize,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Service times draw from their own stream so that the workload (other streams) is the
        // same in every variant whatever the consumers do.
        rng.set_stream(1);
        World {
            now: 0,
            latency,
            queue: EventQueue::with_capacity(1024),
            classes,
            created: CreationTimes::default(),
            next_msg: 0,
            ledger: Ledger::new(key_slots, topics),
            consumers: Vec::new(),
            producer_nodes: Vec::new(),
            producer_link_down: Vec::new(),
            hops: VecDeque::with_capacity(1024),
            rng,
            stored_bytes: 0,
            stored_bytes_peak: 0,
            flashes: VecDeque::new(),
            duplicates: VecDeque::new(),
            trace: None,
            recent_hops: VecDeque::new(),
            keep_recent: false,
            watch: None,
            watched: Watched::default(),
        }
    }

    // ---- what anyone may read ----

    #[must_use]
    #[inline]
    pub fn now(&self) -> Nanos {
        self.now
    }
    /// One network hop.
    #[must_use]
    #[inline]
    pub fn latency(&self) -> Nanos {
        self.latency
    }
    /// What message `m` is: its topic, producer, size and key.
    #[inline]
    #[must_use]
    pub fn info(&self, m: MsgRef) -> &ClassInfo {
        self.classes.info(m.class)
    }
    /// When message `m` was created, while some group still waits for it.
    #[inline]
    #[must_use]
    pub fn created(&self, m: MsgId) -> Option<Nanos> {
        self.created.get(m)
    }
    /// Group `g` still waits for `m`.
    #[inline]
    #[must_use]
    pub fn is_pending(&self, m: MsgRef, g: GroupId) -> bool {
        self.ledger.is_pending(m.id, g)
    }
    /// The groups that still wait for `m`.
    pub fn pending_groups(&self, m: MsgRef) -> impl Iterator<Item = GroupId> + '_ {
        self.ledger.pending_groups(m.id, self.info(m).topic)
    }
    /// Messages created so far.
    #[must_use]
    pub fn produced(&self) -> u64 {
        u64::from(self.next_msg)
    }
    /// Creation times kept (for memory accounting).
    #[must_use]
    pub fn created_kept(&self) -> usize {
        self.created.len()
    }
    #[must_use]
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    #[must_use]
    #[inline]
    pub fn consumer(&self, c: ConsumerId) -> &ConsumerRt<T::Delivery> {
        &self.consumers[c.ix()]
    }
    /// Every consumer's id, in engine order.
    pub fn consumer_ids(&self) -> impl Iterator<Item = ConsumerId> + Clone {
        super::ids::ids(self.consumers.len(), ConsumerId::from_ix)
    }
    #[must_use]
    pub fn consumer_count(&self) -> usize {
        self.consumers.len()
    }
    /// The group consumer `c` belongs to, once it has joined.
    #[must_use]
    #[inline]
    pub fn group_of(&self, c: ConsumerId) -> Option<GroupId> {
        self.consumers[c.ix()].group()
    }
    #[must_use]
    #[inline]
    pub fn producer_node(&self, m: MsgRef) -> NodeId {
        self.producer_nodes[self.info(m).producer.ix()]
    }
    #[must_use]
    #[inline]
    pub fn producer_link_down(&self, p: ProducerId) -> bool {
        self.producer_link_down[p.ix()]
    }
    #[must_use]
    pub fn producer_count(&self) -> usize {
        self.producer_nodes.len()
    }
    /// The producer of `m` can reach the network.
    #[must_use]
    #[inline]
    pub fn producer_connected(&self, m: MsgRef) -> bool {
        !self.producer_link_down(self.info(m).producer)
    }
    #[must_use]
    pub fn stored_bytes_peak(&self) -> u64 {
        self.stored_bytes_peak
    }
    /// Consumers that belong to group `g`, are connected and subscribe to `t`.
    pub fn connected_members(
        &self,
        g: GroupId,
        t: TopicId,
    ) -> impl Iterator<Item = ConsumerId> + '_ {
        self.ledger
            .group(g)
            .members
            .iter()
            .copied()
            .filter(move |&c| {
                let k = &self.consumers[c.ix()];
                k.connected() && k.subscribes(t)
            })
    }
    /// Messages on the wire (void deliveries included: they still travel until dropped).
    pub fn hops(&self) -> impl Iterator<Item = &Hop<T>> {
        self.hops.iter().map(|w| &w.hop)
    }
    /// Produce requests on the wire, with what their model put on them.
    pub fn publishes_in_flight(&self) -> impl Iterator<Item = (MsgRef, T::Publish)> + '_ {
        self.hops().filter_map(|h| match h.kind {
            HopKind::Publish(tag) => Some((h.msg, tag)),
            _ => None,
        })
    }
    /// A delivery hop still counts: its consumer has not gone away since it was sent.
    #[must_use]
    #[inline]
    pub fn hop_is_live(&self, h: &Hop<T>) -> bool {
        match h.kind {
            HopKind::Deliver {
                consumer, epoch, ..
            } => self.consumers[consumer.ix()].epoch() == epoch,
            _ => true,
        }
    }
    /// The last hops sent (at most [`RECENT_HOPS`]), oldest first.
    pub fn recent_hops(&self) -> impl Iterator<Item = &Hop<T>> {
        self.recent_hops.iter()
    }
    /// The last duplicates processed (at most a few hundred), oldest first.
    pub fn duplicates(&self) -> impl Iterator<Item = &DuplicateSeen> {
        self.duplicates.iter()
    }
    /// Whether message `m` is the one being followed: the single compare every place that
    /// could record an event makes first.
    #[must_use]
    #[inline]
    pub fn watching(&self, m: MsgId) -> bool {
        self.watch == Some(m)
    }
    /// What the watch saw of its message so far.
    #[must_use]
    pub fn watched(&self) -> &Watched {
        &self.watched
    }
    /// The last losses (at most a few hundred), oldest first.
    pub fn flashes(&self) -> impl Iterator<Item = &LossFlash> {
        self.flashes.iter()
    }
    /// When the next thing happens.
    #[must_use]
    #[inline]
    pub fn next_time(&self) -> Option<Nanos> {
        let h = self.hops.front().map(|w| w.hop.arrive);
        match (h, self.queue.peek_time()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// About how many bytes the world's growing parts take: events, hops, creation times,
    /// consumers' memory, the ledger's cells.
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        use super::bytes_of;
        let memory: usize = self.consumers.iter().map(ConsumerRt::bytes).sum();
        bytes_of::<super::queue::Entry<Event<T::Timer>>>(self.queue.capacity())
            + bytes_of::<Wire<T>>(self.hops.capacity())
            + bytes_of::<Hop<T>>(self.recent_hops.capacity())
            + self.created.bytes()
            + memory
            + self.ledger.approx_bytes()
            + self
                .trace
                .as_ref()
                .map_or(0, |t| bytes_of::<Processing>(t.capacity()))
    }

    // ---- what the engine does (crate-internal) ----

    /// Follow message `m` from now on (what was seen of another one goes).
    pub(super) fn set_watch(&mut self, m: MsgId) {
        self.watch = Some(m);
        self.watched = Watched {
            id: m,
            ..Watched::default()
        };
    }

    /// One more event of the watched message (called only once [`World::watching`] said so).
    #[cold]
    #[inline(never)]
    pub(super) fn record(&mut self, e: TraceEvent) {
        self.watched.keep(e);
    }
    /// The watch has room for a model's note (it counts one it has no room for).
    pub(super) fn room_for_note(&mut self) -> bool {
        self.watched.room()
    }

    /// The watched message was created now, at node `at`, for the groups waiting for it.
    #[cold]
    #[inline(never)]
    pub(super) fn record_created(&mut self, m: MsgRef, at: NodeId) {
        let topic = self.info(m).topic;
        self.watched.msg = Some(m);
        self.watched.created = self.now;
        self.watched.expected = self.ledger.groups_of(topic).to_vec();
        self.record(TraceEvent::new(self.now, at, Step::Produced));
    }

    #[inline]
    pub(super) fn keep_recent_hops(&mut self) {
        self.keep_recent = true;
    }

    pub(super) fn set_now(&mut self, t: Nanos) {
        self.now = t;
    }
    pub(super) fn set_producers(&mut self, nodes: Vec<NodeId>) {
        self.producer_link_down = vec![false; nodes.len()];
        self.producer_nodes = nodes;
    }
    pub(super) fn set_producer_link(&mut self, p: ProducerId, down: bool) {
        self.producer_link_down[p.ix()] = down;
    }
    #[inline]
    pub(super) fn consumer_mut(&mut self, c: ConsumerId) -> &mut ConsumerRt<T::Delivery> {
        &mut self.consumers[c.ix()]
    }
    /// A new message of `class`, created now.
    #[inline]
    pub(super) fn add_message(&mut self, class: super::message::MsgClass) -> MsgRef {
        let m = MsgRef {
            id: MsgId(self.next_msg),
            class,
        };
        // Validation keeps a run's messages within the ids.
        self.next_msg = self.next_msg.saturating_add(1);
        self.created.push(self.now);
        m
    }

    /// Let go of the creation times no group waits for any more.
    pub(super) fn forget_settled(&mut self) {
        let keep_from = self.ledger.oldest_pending().map_or(self.next_msg, |m| m.0);
        self.created.forget_before(MsgId(keep_from));
    }
    #[inline]
    pub(crate) fn schedule(&mut self, at: Nanos, e: Event<T::Timer>) {
        self.queue.push(at, e);
    }
    #[inline]
    pub(super) fn schedule_fifo(&mut self, at: Nanos, e: Event<T::Timer>) {
        self.queue.push_fifo(at, e);
    }

    /// Put a hop on the wire from `from` to `to`; it arrives one hop latency later.
    #[inline]
    pub(super) fn send(&mut self, msg: MsgRef, from: NodeId, to: NodeId, kind: HopKind<T>) {
        let hop = Hop {
            msg,
            from,
            to,
            arrive: self.now + self.latency,
            kind,
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
        if self.keep_recent {
            if self.recent_hops.len() == RECENT_HOPS {
                self.recent_hops.pop_front();
            }
            self.recent_hops.push_back(hop);
        }
    }

    /// The next thing to happen if it happens at `t` or before: the earlier, by (time,
    /// sequence), of the event queue's next event and the first hop on the wire (which arrives
    /// then). The same order as if every hop were an event in the queue. One look at the three
    /// lanes (heap, fifo, wire) both decides and takes.
    #[inline]
    pub(crate) fn pop_through(&mut self, t: Nanos) -> Option<(Nanos, Next<T>)> {
        let limit = super::queue::packed_key(t, u64::MAX);
        let hop = self
            .hops
            .front()
            .map(|w| super::queue::packed_key(w.hop.arrive, w.seq));
        let queued = self.queue.next();
        match (hop, queued) {
            (Some(h), Some((q, _))) if h < q => self.pop_hop(h, limit),
            (Some(h), None) => self.pop_hop(h, limit),
            (_, Some((q, from_fifo))) if q <= limit => {
                let e = self.queue.take(from_fifo)?;
                Some((e.time, Next::Event(e.event)))
            }
            _ => None,
        }
    }

    #[inline]
    fn pop_hop(&mut self, key: u128, limit: u128) -> Option<(Nanos, Next<T>)> {
        if key > limit {
            return None;
        }
        let w = self.hops.pop_front()?;
        Some((w.hop.arrive, Next::Hop(w.hop)))
    }

    /// Start processing consumer `c`'s next message if it is idle and online.
    #[inline]
    pub(super) fn start_service(&mut self, c: ConsumerId) {
        let k = &mut self.consumers[c.ix()];
        let Some((mean, dist, epoch)) = k.begin_next() else {
            return;
        };
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let t = {
            let s = match dist {
                ServiceDist::Fixed => mean,
                ServiceDist::Exponential => {
                    let u: f64 = self.rng.random();
                    -(1.0 - u).ln() * mean
                }
            };
            crate::scenario::round_nanos(s)
        };
        self.queue.push(
            self.now.saturating_add(t),
            Event::ServiceDone { consumer: c, epoch },
        );
    }

    /// Everything consumer `c` holds or has on the way to it, into `out`; its epoch moves on so
    /// that those deliveries are void where they are.
    pub(super) fn take_held(&mut self, c: ConsumerId, out: &mut Vec<Delivery<T::Delivery>>) {
        out.clear();
        let epoch = self.consumers[c.ix()].take_memory(out);
        for h in self.hops.iter().map(|w| &w.hop) {
            if let HopKind::Deliver {
                consumer, epoch: e, ..
            } = h.kind
            {
                if consumer == c && e == epoch {
                    out.extend(h.delivery());
                }
            }
        }
    }

    #[inline]
    pub(super) fn flash(&mut self, node: NodeId, msg: MsgRef) {
        if self.flashes.len() == FLASHES_KEPT {
            self.flashes.pop_front();
        }
        self.flashes.push_back(LossFlash {
            at: self.now,
            node,
            msg,
        });
    }

    /// A consumer at `node` processed `msg` again for its group.
    #[cold]
    pub(super) fn saw_duplicate(&mut self, node: NodeId, msg: MsgRef) {
        if self.duplicates.len() == FLASHES_KEPT {
            self.duplicates.pop_front();
        }
        self.duplicates.push_back(DuplicateSeen {
            at: self.now,
            node,
            msg,
        });
    }

    #[inline]
    pub(super) fn store(&mut self, bytes: u64) {
        self.stored_bytes = self.stored_bytes.saturating_add(bytes);
        self.stored_bytes_peak = self.stored_bytes_peak.max(self.stored_bytes);
    }

    #[inline]
    pub(super) fn unstore(&mut self, bytes: u64) {
        self.stored_bytes = self.stored_bytes.saturating_sub(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug)]
    struct T;
    impl Tags for T {
        type Publish = ();
        type Delivery = ();
        type Ack = ();
        type Timer = u8;
    }

    #[test]
    fn hops_and_events_pop_by_time_then_sequence_even_if_the_latency_changed() {
        let mut w = World::<T>::new(1, 10, Classes::new(0), 0, 0);
        let publish = HopKind::Publish(());
        let m = |id| MsgRef {
            id: MsgId(id),
            class: super::super::message::MsgClass(0),
        };
        w.send(m(0), 0, 1, publish); // arrives at 10
        w.latency = 3;
        w.send(m(1), 0, 1, publish); // at 3, before the hop sent first
        w.schedule(3, Event::Timer(9)); // at 3 too, queued after it
        w.latency = 10;
        w.send(m(2), 0, 1, publish); // at 10, after the first hop
        let order: Vec<(Nanos, u32)> = std::iter::from_fn(|| w.pop_through(Nanos::MAX))
            .map(|(t, n)| match n {
                Next::Hop(h) => (t, h.msg.id.0),
                Next::Event(_) => (t, 99),
            })
            .collect();
        assert_eq!(order, vec![(3, 1), (3, 99), (10, 0), (10, 2)]);
        assert_eq!(w.hops().count(), 0);
    }

    #[test]
    fn pop_through_takes_only_what_is_due_by_then_from_every_lane() {
        let mut w = World::<T>::new(1, 10, Classes::new(0), 0, 0);
        let m = MsgRef {
            id: MsgId(0),
            class: super::super::message::MsgClass(0),
        };
        w.send(m, 0, 1, HopKind::Publish(())); // the wire: arrives at 10
        w.schedule(5, Event::Timer(1)); // the heap
        w.schedule_fifo(7, Event::Timer(2)); // the fifo lane
        let mut took = |t| {
            std::iter::from_fn(|| w.pop_through(t))
                .map(|(at, n)| match n {
                    Next::Hop(_) => (at, 0),
                    Next::Event(Event::Timer(k)) => (at, k),
                    Next::Event(_) => (at, 99),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(took(4), vec![]);
        assert_eq!(took(5), vec![(5, 1)]);
        assert_eq!(took(9), vec![(7, 2)]);
        assert_eq!(took(10), vec![(10, 0)]);
        assert_eq!(took(Nanos::MAX), vec![]);
    }
}
