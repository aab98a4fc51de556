//! RabbitMQ (AMQP 0-9-1, 3.10): exchanges route into queues, consumers compete on a queue.
//!
//! ```text
//!   P1 ──publish(key)──> [ exchange ] ──> queue(group a) ──round-robin──> A1, A2   (ack each)
//!                                    └──> queue(group b) ───────────────> B1
//!        fanout: every bound queue; direct: binding key == routing key;
//!        topic: `audit.events.#` matches `audit.events` and `audit.events.users.signup`
//! ```
//!
//! Models (reference, "RabbitMQ"; `shared/reference/broker-behaviour.md`):
//! - Routing: the topic is the routing key and a consumer's `subscribe` entries are its group
//!   queue's binding keys. `fanout` (default): a fanout exchange per topic, so every queue bound to
//!   it gets a copy (fan-out across groups). `direct`: one exchange, exact key match, which routes
//!   the same way when each topic is its own key. `topic`: one exchange, binding keys are patterns
//!   where `*` is one word and `#` zero or more ([`topic_matches`]). A message no queue is bound to
//!   is unroutable: dropped silently (`unroutable`), or with `mandatory = true` returned to the
//!   publisher, lost all the same (`returned`).
//! - A queue per consumer group; its members compete round-robin. Manual acks are at-least-once:
//!   deliveries stay unacked until the ack reaches the broker; `prefetch` caps unacked deliveries
//!   per consumer (0 = unlimited). When a consumer's connection goes (crash, close, cut link) its
//!   unacked deliveries are requeued at the head with `redelivered` set: the next consumer gets
//!   them first, and what the first had processed but not acked is processed again
//!   (duplicates). Auto-ack is at-most-once: a message leaves the queue when sent (prefetch does
//!   not apply), and what the consumer held when it went away is lost.
//! - `x-max-length` counts ready messages: at the limit `drop-head` (default) drops the oldest
//!   (`queue-overflow`), `reject-publish` refuses the new one (the publisher is nacked:
//!   `rejected`). The limit is applied when a message is published, not to requeues.
//! - A named queue keeps its backlog while its consumers are away; an `exclusive` queue is deleted
//!   with its consumer's connection, and later messages are unroutable. Broker restart: a durable
//!   classic queue keeps persistent messages and drops transient ones; a non-durable queue is
//!   deleted (declared again when its consumers come back); a quorum queue (`queue_type =
//!   "quorum"`, always durable, never exclusive) keeps every message, transient or not. While the
//!   broker is down publishes fail (`broker-down`).
//! - Each delivery carries the number of earlier deliveries of that message, which a quorum queue
//!   shows as `x-delivery-count` (1 on the first redelivery); a trace's
//!   [`crate::engine::Origin`] names the queue (`place`) and the delivery's `attempt` (that count
//!   plus one).
//! - Order is FIFO per queue; requeues with several consumers reorder.
//!
//! Leaves out: publisher confirms' timing (a nack is a loss at once), the memory alarm that
//! blocks publishers, quorum queue replication across nodes and its delivery-limit, dead-letter
//! exchanges, TTLs, priorities, `x-max-length-bytes`, alternate exchanges, headers exchanges,
//! exchange-to-exchange bindings, the channel and connection model (one consumer, one channel).

use super::RoundRobin;
use crate::engine::fifo::Blocked;
use crate::engine::reflog::{RefAndByte, RefByteBlock};
use crate::engine::state::{BrokerState, ExchangeState, ModelState, QueueState};
use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, GroupId, KeptWhole, MsgId, MsgRef, Note, Origin, Port,
    Release, Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::{
    AckMode, ExchangeKind, Overflow, QueueType, RabbitOptions, Scenario, TopicId,
};
use crate::topology::{all_consumers, NodeId, Topology};
use std::collections::VecDeque;

/// Does an AMQP topic binding `pattern` match `routing_key`? Words are separated by dots; `*`
/// matches exactly one word, `#` zero or more. Time O(pattern words x key words), whatever the
/// pattern (a row of `#`s included).
#[must_use]
pub fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    let key: Vec<&str> = routing_key.split('.').collect();
    // matched[j]: the pattern's words so far match the key's first j words.
    let mut matched = vec![false; key.len() + 1];
    matched[0] = true;
    let mut next = vec![false; key.len() + 1];
    for w in pattern.split('.') {
        if w == "#" {
            let mut any = false;
            for (n, &m) in next.iter_mut().zip(&matched) {
                any |= m;
                *n = any;
            }
        } else {
            next[0] = false;
            for j in 1..=key.len() {
                next[j] = matched[j - 1] && (w == "*" || w == key[j - 1]);
            }
        }
        std::mem::swap(&mut matched, &mut next);
    }
    matched[key.len()]
}

/// The topics (routing keys) whose messages a consumer's queue gets, given its `subscribe`
/// entries (its binding keys): the entries themselves, except behind a topic exchange, where
/// each entry is a pattern and stands for every topic it matches.
pub(super) fn bound_topics(
    topic_names: &[String],
    exchange: ExchangeKind,
    subscribe: &[TopicId],
) -> Vec<TopicId> {
    if exchange != ExchangeKind::Topic {
        return subscribe.to_vec();
    }
    (0..topic_names.len())
        .filter_map(|t| TopicId::try_from(t).ok())
        .filter(|&t| {
            subscribe
                .iter()
                .any(|&p| topic_matches(&topic_names[usize::from(p)], &topic_names[usize::from(t)]))
        })
        .collect()
}

/// What RabbitMQ puts on its deliveries and acks.
#[derive(Clone, Copy, Debug)]
pub struct RabbitTags;

/// A delivery from queue `queue`, delivered `deliveries` times before.
#[derive(Clone, Copy, Debug, Default)]
pub struct FromQueue {
    queue: u32,
    deliveries: u32,
}

/// An ack for queue `queue` on the broker's `generation` (acks to an earlier one are void).
#[derive(Clone, Copy, Debug)]
pub struct AckTag {
    queue: u32,
    generation: u32,
}

/// Kept whole (a consumer holds at most its prefetch of them).
impl KeptWhole for FromQueue {}

impl Tags for RabbitTags {
    type Publish = ();
    type Delivery = FromQueue;
    type Ack = AckTag;
    type Timer = ();
    fn origin(d: &FromQueue) -> Origin {
        Origin {
            place: Some(d.queue),
            offset: None,
            attempt: d.deliveries + 1,
        }
    }
}

/// A message in a queue, with how many times it was delivered before.
#[derive(Clone, Copy, Debug, Default)]
struct Ready {
    msg: MsgRef,
    deliveries: u32,
}

/// Messages mostly come in id order and are delivered few times, so a ready list keeps each in
/// 5 bytes, not 12: the reference packed and the earlier deliveries in a byte. A message
/// requeued at the head or delivered 256 times or more turns its block alone into full entries.
type ReadyBlock = RefByteBlock<Ready>;

impl RefAndByte for Ready {
    #[inline]
    fn msg(&self) -> MsgRef {
        self.msg
    }
    #[inline]
    fn byte(&self) -> Option<u8> {
        u8::try_from(self.deliveries).ok()
    }
    #[inline]
    fn from_parts(msg: MsgRef, byte: u8) -> Ready {
        Ready {
            msg,
            deliveries: u32::from(byte),
        }
    }
}

#[derive(Clone, Debug)]
struct Queue {
    system: usize,
    group_name: String,
    group: Option<GroupId>,
    node: NodeId,
    exists: bool,
    ready: Blocked<ReadyBlock>,
    bytes: u64,
    members: Vec<ConsumerId>,
    /// Per member (same index): its unacknowledged deliveries from this queue.
    unacked_of: Vec<u32>,
    /// Members with fewer than `prefetch` unacknowledged deliveries from this queue.
    with_credit: usize,
    next: RoundRobin,
    overflowed: u64,
}

/// An unacknowledged delivery: (queue, message, earlier deliveries).
type Unacked = (usize, MsgRef, u32);

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ExchangeCounters {
    pub(super) routed: u64,
    pub(super) unroutable: u64,
    pub(super) returned: u64,
    pub(super) nacked: u64,
}

#[derive(Clone, Debug)]
pub struct RabbitMq {
    opts: RabbitOptions,
    topic_names: Vec<String>,
    system_nodes: Vec<NodeId>,
    system_names: Vec<String>,
    up: Vec<bool>,
    /// Bumped at each crash: acks sent to an earlier incarnation are void.
    generation: Vec<u32>,
    system_of_topic: Vec<usize>,
    queues: Vec<Queue>,
    /// Per topic (routing key), the queues its exchange routes it to.
    routes: Vec<Vec<usize>>,
    /// Per consumer, its queues.
    queues_of: Vec<Vec<usize>>,
    /// Per consumer, its index among the members of each of its queues (as `queues_of`).
    member_at: Vec<Vec<usize>>,
    /// Per consumer, deliveries not yet acknowledged.
    unacked: Vec<VecDeque<Unacked>>,
    exchanges: Vec<ExchangeCounters>,
}

impl RabbitMq {
    #[must_use]
    pub fn new(s: &Scenario, opts: &RabbitOptions, topo: &Topology) -> RabbitMq {
        let queues: Vec<Queue> = topo
            .queues
            .iter()
            .map(|(system, group, node)| Queue {
                system: *system,
                group_name: group.clone(),
                group: None,
                node: *node,
                exists: false,
                ready: Blocked::new(),
                bytes: 0,
                members: Vec::new(),
                unacked_of: Vec::new(),
                with_credit: 0,
                next: RoundRobin::default(),
                overflowed: 0,
            })
            .collect();
        let mut rabbit = RabbitMq {
            opts: opts.clone(),
            topic_names: s.topics.clone(),
            system_nodes: topo.brokers.clone(),
            system_names: topo
                .brokers
                .iter()
                .map(|&b| topo.node(b).name.clone())
                .collect(),
            up: vec![true; topo.brokers.len()],
            generation: vec![0; topo.brokers.len()],
            system_of_topic: topo.broker_of_topic.clone(),
            queues,
            routes: vec![Vec::new(); s.topics.len()],
            queues_of: Vec::new(),
            member_at: Vec::new(),
            unacked: Vec::new(),
            exchanges: vec![ExchangeCounters::default(); topo.brokers.len()],
        };
        for (ci, (c, _)) in all_consumers(s).iter().enumerate() {
            let mut mine = Vec::new();
            let mut at = Vec::new();
            // The bindings of the group's queue: each routing key a `subscribe` entry matches.
            for t in bound_topics(&s.topics, opts.exchange, &c.subscribe) {
                let system = topo.broker_of_topic[usize::from(t)];
                let Some(q) = rabbit
                    .queues
                    .iter()
                    .position(|q| q.system == system && q.group_name == c.group)
                else {
                    continue;
                };
                if !rabbit.routes[usize::from(t)].contains(&q) {
                    rabbit.routes[usize::from(t)].push(q);
                }
                if !mine.contains(&q) {
                    mine.push(q);
                    at.push(rabbit.queues[q].members.len());
                    rabbit.queues[q]
                        .members
                        .push(ConsumerId::from_ix(ci).unwrap_or_default());
                }
            }
            rabbit.queues_of.push(mine);
            rabbit.member_at.push(at);
        }
        rabbit.unacked = vec![VecDeque::new(); rabbit.queues_of.len()];
        let credit = rabbit.opts.prefetch > 0;
        for q in &mut rabbit.queues {
            q.unacked_of = vec![0; q.members.len()];
            q.with_credit = if credit { q.members.len() } else { 0 };
        }
        rabbit
    }

    /// The index of consumer `c` among the members of queue `q`.
    fn member_index(&self, c: ConsumerId, q: usize) -> Option<usize> {
        let ci = c.ix();
        let i = self.queues_of.get(ci)?.iter().position(|&x| x == q)?;
        self.member_at[ci].get(i).copied()
    }

    /// One unacknowledged delivery more (`up`) or less for member `k` of queue `q`; keeps
    /// `with_credit` in step.
    fn count_unacked(&mut self, q: usize, k: usize, up: bool) {
        let prefetch = self.opts.prefetch;
        let queue = &mut self.queues[q];
        let Some(n) = queue.unacked_of.get_mut(k) else {
            return;
        };
        let had = *n < prefetch;
        *n = if up { *n + 1 } else { n.saturating_sub(1) };
        match (had, *n < prefetch) {
            (true, false) => queue.with_credit -= 1,
            (false, true) => queue.with_credit += 1,
            _ => {}
        }
    }

    fn manual(&self) -> bool {
        self.opts.ack == AckMode::Manual
    }

    fn quorum(&self) -> bool {
        self.opts.queue_type == QueueType::Quorum
    }

    fn dispatch(&mut self, p: &mut Port<'_, RabbitTags>, q: usize) {
        let system = self.queues[q].system;
        if !self.up[system] || !self.queues[q].exists {
            return;
        }
        let manual = self.manual();
        let prefetch = self.opts.prefetch;
        let limited = manual && prefetch > 0;
        while !self.queues[q].ready.is_empty() {
            let queue = &mut self.queues[q];
            if limited && queue.with_credit == 0 {
                // Every member has `prefetch` unacknowledged deliveries: nobody can take one.
                break;
            }
            let (members, unacked_of) = (&queue.members, &queue.unacked_of);
            let pick = queue.next.pick(members.len(), |k| {
                (!limited || unacked_of[k] < prefetch) && p.consumer(members[k]).connected()
            });
            let Some(k) = pick else { break };
            let c = queue.members[k];
            let Some(r) = queue.ready.pop_front() else {
                break;
            };
            let size = p.info(r.msg).size;
            queue.bytes -= u64::from(size);
            p.unstore(size);
            if manual {
                self.unacked[c.ix()].push_back((q, r.msg, r.deliveries));
                self.count_unacked(q, k, true);
            }
            let node = self.queues[q].node;
            let tag = FromQueue {
                queue: index_tag(q),
                deliveries: r.deliveries,
            };
            p.deliver(c, r.msg, node, tag, r.deliveries > 0);
        }
    }

    fn enqueue(&mut self, p: &mut Port<'_, RabbitTags>, q: usize, r: Ready, front: bool) {
        let size = p.info(r.msg).size;
        let queue = &mut self.queues[q];
        if front {
            queue.ready.push_front(r);
        } else {
            queue.ready.push_back(r);
        }
        queue.bytes += u64::from(size);
        p.store(size);
        if p.watching(r.msg.id) {
            let (node, depth) = (queue.node, queue.ready.len());
            let (what, detail) = if front {
                let n = r.deliveries;
                (
                    Note::Requeued,
                    format!("at the head of the ready list, delivered {n}x before"),
                )
            } else {
                (Note::Stored, format!("ready list, position {depth}"))
            };
            match queue.group {
                Some(g) => p.note_for(r.msg, g, node, what, |_| detail),
                None => p.note(r.msg, node, what, |_| detail),
            }
        }
    }

    /// A published message reaches queue `q` of group `g`; `x-max-length` applies. Returns false
    /// if the queue refused it (`reject-publish`).
    fn accept(&mut self, p: &mut Port<'_, RabbitTags>, q: usize, g: GroupId, m: MsgRef) -> bool {
        let max = self.opts.max_length as usize;
        if max > 0 && self.queues[q].ready.len() >= max {
            match self.opts.overflow {
                Overflow::RejectPublish => {
                    self.queues[q].overflowed += 1;
                    return false;
                }
                Overflow::DropHead => {
                    while self.queues[q].ready.len() >= max {
                        let Some(old) = self.queues[q].ready.pop_front() else {
                            break;
                        };
                        let size = p.info(old.msg).size;
                        self.queues[q].bytes -= u64::from(size);
                        self.queues[q].overflowed += 1;
                        p.unstore(size);
                        let node = self.queues[q].node;
                        p.release(old.msg, g, Release::Lost(LossReason::QueueOverflow), node);
                    }
                }
            }
        }
        p.hold(m, g);
        let r = Ready {
            msg: m,
            deliveries: 0,
        };
        self.enqueue(p, q, r, false);
        true
    }

    /// The connection of `c` is gone: its unacked deliveries go back to the head of their queues.
    /// Returns what went back.
    fn requeue_unacked(
        &mut self,
        p: &mut Port<'_, RabbitTags>,
        c: ConsumerId,
        only_system: Option<usize>,
    ) -> Vec<Unacked> {
        let mut keep = VecDeque::new();
        let mut back: Vec<Unacked> = Vec::new();
        for u in self.unacked[c.ix()].drain(..) {
            if only_system.is_none_or(|s| self.queues[u.0].system == s) {
                back.push(u);
            } else {
                keep.push_back(u);
            }
        }
        self.unacked[c.ix()] = keep;
        for &(q, _, _) in &back {
            if let Some(k) = self.member_index(c, q) {
                self.count_unacked(q, k, false);
            }
        }
        // Oldest first at the head: push to the front in reverse.
        for &(q, m, deliveries) in back.iter().rev() {
            if let Some(g) = self.queues[q].group {
                p.hold(m, g);
            }
            let r = Ready {
                msg: m,
                deliveries: deliveries + 1,
            };
            self.enqueue(p, q, r, true);
        }
        back
    }

    fn drop_ready(&mut self, p: &mut Port<'_, RabbitTags>, q: usize, reason: LossReason) {
        let node = self.queues[q].node;
        let g = self.queues[q].group;
        let ready: Vec<Ready> = self.queues[q].ready.take_all();
        self.queues[q].bytes = 0;
        for r in ready {
            p.unstore(p.info(r.msg).size);
            if let Some(g) = g {
                p.release(r.msg, g, Release::Lost(reason), node);
            }
        }
    }

    fn systems_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        super::systems_hit(&self.system_of_topic, self.up.len(), topic)
    }

    /// Whether any member of queue `q` is connected.
    fn anyone_on(&self, w: &World<RabbitTags>, q: usize) -> bool {
        self.queues[q]
            .members
            .iter()
            .any(|&x| w.consumer(x).connected())
    }
}

/// The exchange type's name, as the state shows it.
pub(super) fn exchange_kind(e: ExchangeKind) -> &'static str {
    match e {
        ExchangeKind::Fanout => "fanout",
        ExchangeKind::Direct => "direct",
        ExchangeKind::Topic => "topic",
    }
}

/// Each system's exchange: its kind and counters.
pub(super) fn exchange_states(
    names: &[String],
    kind: ExchangeKind,
    counters: &[ExchangeCounters],
) -> Vec<ExchangeState> {
    counters
        .iter()
        .zip(names)
        .map(|(e, name)| ExchangeState {
            broker: name.clone(),
            kind: exchange_kind(kind).to_owned(),
            routed: e.routed,
            unroutable: e.unroutable,
            returned: e.returned,
            nacked: e.nacked,
        })
        .collect()
}

/// A queue's (or a stream's) index as the tag of what it delivers: at most one per consumer
/// (per topic for streams), so it fits.
pub(super) fn index_tag(q: usize) -> u32 {
    u32::try_from(q).unwrap_or(u32::MAX)
}

impl BrokerModel for RabbitMq {
    type Tags = RabbitTags;

    fn subscriptions(&self, subscribe: &[TopicId]) -> Vec<TopicId> {
        bound_topics(&self.topic_names, self.opts.exchange, subscribe)
    }

    fn publish(&mut self, p: &mut Port<'_, RabbitTags>, m: MsgRef) {
        let to = self.system_nodes[self.system_of_topic[usize::from(p.info(m).topic)]];
        p.publish_to(m, to, ());
    }

    fn arrive(&mut self, p: &mut Port<'_, RabbitTags>, m: MsgRef, at: NodeId, (): ()) {
        let topic = usize::from(p.info(m).topic);
        let system = self.system_of_topic[topic];
        if !self.up[system] {
            return p.release_all(m, Release::Lost(LossReason::BrokerDown), at);
        }
        let (mut routed, mut nacked) = (false, false);
        for i in 0..self.routes[topic].len() {
            let q = self.routes[topic][i];
            if !self.queues[q].exists {
                continue;
            }
            routed = true;
            let Some(g) = self.queues[q].group else {
                continue;
            };
            if p.is_pending(m, g) && !self.accept(p, q, g, m) {
                nacked = true;
                // The copy that travelled was this group's only one.
                let node = self.queues[q].node;
                p.release(m, g, Release::Lost(LossReason::Rejected), node);
            }
        }
        let ex = &mut self.exchanges[system];
        ex.nacked += u64::from(nacked);
        // The copy that travelled goes: a group whose queue took it has that one now; a group
        // whose queue does not exist (an exclusive queue whose consumer left) does not get it;
        // a message no queue took at all is unroutable, and with mandatory=true returned to
        // the publisher.
        let reason = if routed {
            ex.routed += 1;
            LossReason::Unroutable
        } else if self.opts.mandatory {
            ex.returned += 1;
            LossReason::Returned
        } else {
            ex.unroutable += 1;
            LossReason::Unroutable
        };
        p.release_all(m, Release::Lost(reason), at);
        for i in 0..self.routes[topic].len() {
            self.dispatch(p, self.routes[topic][i]);
        }
    }

    fn acked(
        &mut self,
        p: &mut Port<'_, RabbitTags>,
        c: ConsumerId,
        m: MsgRef,
        _at: NodeId,
        tag: AckTag,
    ) {
        let q = tag.queue as usize;
        let system = self.queues[q].system;
        if !self.up[system] || tag.generation != self.generation[system] {
            return;
        }
        if let Some(i) = self.unacked[c.ix()]
            .iter()
            .position(|&(x, msg, _)| x == q && msg == m)
        {
            self.unacked[c.ix()].remove(i);
            if let Some(k) = self.member_index(c, q) {
                self.count_unacked(q, k, false);
            }
        }
        self.dispatch(p, q);
    }

    fn processed(&mut self, p: &mut Port<'_, RabbitTags>, c: ConsumerId, d: Delivery<FromQueue>) {
        if self.manual() {
            let q = d.tag.queue as usize;
            let generation = self.generation[self.queues[q].system];
            let tag = AckTag {
                queue: d.tag.queue,
                generation,
            };
            p.ack(c, d.msg, self.queues[q].node, tag);
        }
    }

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, RabbitTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<FromQueue>],
    ) {
        if self.manual() {
            // Its unacked deliveries go back to their queues first; the copy it held of each
            // then moved back there. One the broker no longer counts as unacked (it crashed
            // after delivering it) goes with the consumer.
            let back = self.requeue_unacked(p, c, None);
            // Looked up, not searched: a consumer can hold tens of thousands (prefetch 0).
            let requeued: std::collections::HashSet<(u32, MsgId)> =
                back.iter().map(|&(q, m, _)| (index_tag(q), m.id)).collect();
            let lost = Release::Lost(how.loss(LossReason::ReceiverOffline));
            for d in held {
                let requeued = requeued.contains(&(d.tag.queue, d.msg.id));
                let how = if requeued { Release::Settled } else { lost };
                p.release_held(c, std::slice::from_ref(d), how);
            }
        } else {
            let reason = how.loss(LossReason::ReceiverOffline);
            p.release_held(c, held, Release::Lost(reason));
        }
        for i in 0..self.queues_of[c.ix()].len() {
            let q = self.queues_of[c.ix()][i];
            if self.opts.exclusive && !self.anyone_on(p, q) && self.queues[q].exists {
                self.drop_ready(p, q, LossReason::SubscriberOffline);
                self.queues[q].exists = false;
            }
            self.dispatch(p, q);
        }
    }

    fn consumer_up(&mut self, p: &mut Port<'_, RabbitTags>, c: ConsumerId) {
        let g = p.group_of(c);
        for i in 0..self.queues_of[c.ix()].len() {
            let q = self.queues_of[c.ix()][i];
            self.queues[q].group = g;
            if self.up[self.queues[q].system] {
                // Consumers declare their queue on connect (idempotent).
                self.queues[q].exists = true;
            }
            self.dispatch(p, q);
        }
    }

    fn broker_crash(&mut self, p: &mut Port<'_, RabbitTags>, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            if !self.up[s] {
                continue;
            }
            self.up[s] = false;
            self.generation[s] += 1;
            for c in p.consumer_ids().collect::<Vec<_>>() {
                self.requeue_unacked(p, c, Some(s));
            }
            if self.quorum() {
                // Raft log on disk: every message of a quorum queue survives.
                continue;
            }
            for q in 0..self.queues.len() {
                if self.queues[q].system != s || !self.queues[q].exists {
                    continue;
                }
                if !self.opts.durable {
                    self.drop_ready(p, q, LossReason::BrokerRestart);
                    self.queues[q].exists = false;
                } else if !self.opts.persistent {
                    self.drop_ready(p, q, LossReason::BrokerRestart);
                }
            }
        }
    }

    fn broker_restart(&mut self, p: &mut Port<'_, RabbitTags>, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            self.up[s] = true;
            for q in 0..self.queues.len() {
                if self.queues[q].system != s {
                    continue;
                }
                if self.anyone_on(p, q) {
                    self.queues[q].exists = true;
                }
                self.dispatch(p, q);
            }
        }
    }

    fn check(&self, _w: &World<RabbitTags>) -> Result<(), String> {
        for (qi, q) in self.queues.iter().enumerate() {
            let mut with_credit = 0;
            for (k, &c) in q.members.iter().enumerate() {
                let n = self.unacked[c.ix()]
                    .iter()
                    .filter(|(x, _, _)| *x == qi)
                    .count();
                if q.unacked_of[k] as usize != n {
                    return Err(format!(
                        "queue {}: member {c} has {n} unacked deliveries, its counter says {}",
                        q.group_name, q.unacked_of[k]
                    ));
                }
                with_credit += usize::from(q.unacked_of[k] < self.opts.prefetch);
            }
            if with_credit != q.with_credit {
                return Err(format!(
                    "queue {}: {with_credit} members with credit, the counter says {}",
                    q.group_name, q.with_credit
                ));
            }
        }
        Ok(())
    }

    fn approx_bytes(&self) -> usize {
        use crate::engine::bytes_of;
        let queues: usize = self.queues.iter().map(|q| q.ready.bytes()).sum();
        let unacked: usize = self
            .unacked
            .iter()
            .map(|u| bytes_of::<Unacked>(u.capacity()))
            .sum();
        queues + unacked
    }

    fn holdings(&self, _w: &World<RabbitTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for q in &self.queues {
            if let Some(g) = q.group {
                for r in q.ready.iter() {
                    f(r.msg.id, g);
                }
            }
        }
    }

    fn state(&self, w: &World<RabbitTags>) -> ModelState {
        let quorum = self.quorum();
        ModelState {
            brokers: BrokerState::of_systems(&self.system_names, &self.up),
            queues: self
                .queues
                .iter()
                .enumerate()
                .map(|(qi, q)| QueueState {
                    name: q.group_name.clone(),
                    group: q.group_name.clone(),
                    node: q.node,
                    exists: q.exists,
                    depth: q.ready.len() as u64,
                    unacked: self
                        .unacked
                        .iter()
                        .map(|u| u.iter().filter(|(x, _, _)| *x == qi).count() as u64)
                        .sum(),
                    bytes: q.bytes,
                    queue_type: if quorum { "quorum" } else { "classic" }.to_owned(),
                    durable: quorum || self.opts.durable,
                    max_length: (self.opts.max_length > 0)
                        .then_some(u64::from(self.opts.max_length)),
                    overflowed: q.overflowed,
                    redelivered_ready: q.ready.iter().filter(|r| r.deliveries > 0).count() as u64,
                    max_delivery_count: q.ready.iter().map(|r| r.deliveries).max().unwrap_or(0),
                    consumers: q
                        .members
                        .iter()
                        .filter(|&&c| w.consumer(c).connected())
                        .count() as u64,
                })
                .collect(),
            exchanges: exchange_states(&self.system_names, self.opts.exchange, &self.exchanges),
            ..ModelState::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{topic_matches, Ready, ReadyBlock, RefByteBlock};
    use crate::engine::fifo::{Blocked, BLOCK};
    use crate::engine::{MsgClass, MsgId, MsgRef};
    use proptest::prelude::*;
    use std::collections::VecDeque;

    proptest! {
        /// A ready list holds what a VecDeque holds whatever comes and goes: in id order or
        /// requeued at the head, delivered any number of times, of any class.
        #[test]
        fn a_ready_list_behaves_as_a_vecdeque(
            ops in proptest::collection::vec((0u8..10, 0u32..40, 0u32..300, 0u32..70_000), 0..4000)
        ) {
            let mut list: Blocked<ReadyBlock> = Blocked::new();
            let mut v: VecDeque<Ready> = VecDeque::new();
            let mut next = 1u32 << 20;
            for (op, gap, deliveries, class) in ops {
                let r = |id: u32, deliveries: u32, class: u32| Ready {
                    msg: MsgRef { id: MsgId(id), class: MsgClass(class) },
                    deliveries,
                };
                match op {
                    // Published: in id order, few classes, first delivery.
                    0..=4 => {
                        next += gap;
                        let x = r(next, 0, class % 64);
                        list.push_back(x);
                        v.push_back(x);
                    }
                    // Requeued at the head: an older id, delivered before, any class.
                    5 => {
                        let x = r(next.saturating_sub(gap * 1000), deliveries, class);
                        list.push_front(x);
                        v.push_front(x);
                    }
                    6..=8 => {
                        let (a, b) = (list.pop_front(), v.pop_front());
                        prop_assert_eq!(a.map(|x| (x.msg, x.deliveries)), b.map(|x| (x.msg, x.deliveries)));
                    }
                    _ => {
                        list.take_all();
                        v.clear();
                    }
                }
                prop_assert_eq!(list.len(), v.len());
                prop_assert!(list.blocks().count() <= v.len().div_ceil(BLOCK) + 2);
            }
            let got: Vec<_> = list.iter().map(|x| (x.msg, x.deliveries)).collect();
            let want: Vec<_> = v.iter().map(|x| (x.msg, x.deliveries)).collect();
            prop_assert_eq!(got, want);
        }
    }

    /// Published in order, a ready list takes five bytes a message.
    #[test]
    fn a_ready_list_in_id_order_takes_five_bytes_a_message() {
        let mut list: Blocked<ReadyBlock> = Blocked::new();
        let n = 200 * BLOCK as u32;
        for i in 0..n {
            list.push_back(Ready {
                msg: MsgRef {
                    id: MsgId(7 * i),
                    class: MsgClass(i % 9),
                },
                deliveries: 0,
            });
        }
        let per = list.bytes() as f64 / f64::from(n);
        assert!((5.0..5.1).contains(&per), "{per} bytes a message");
        assert!(list.blocks().all(|b| matches!(b, RefByteBlock::Narrow(..))));
    }

    #[test]
    fn a_row_of_hashes_matches_in_polynomial_time() {
        // Backtracking took over 40 s for 14 `#`s against 25 words; this is 40 against 61.
        let pattern = ["#"; 40].join(".") + ".b";
        let key = ["a"; 60].join(".");
        assert!(!topic_matches(&pattern, &key));
        assert!(topic_matches(&pattern, &(key.clone() + ".b")));
    }

    #[test]
    fn topic_patterns_match_words_as_amqp_says() {
        assert!(topic_matches("audit.events.#", "audit.events"));
        assert!(topic_matches("audit.events.#", "audit.events.users.signup"));
        assert!(!topic_matches("audit.events.#", "audit.users"));
        assert!(topic_matches("audit.*.signup", "audit.users.signup"));
        assert!(!topic_matches("audit.*", "audit.users.signup"));
        assert!(!topic_matches("audit.*", "audit"));
        assert!(topic_matches("#", "anything.at.all"));
        assert!(topic_matches("#.signup", "signup"));
        assert!(topic_matches("a.#.z", "a.b.c.z"));
        assert!(!topic_matches("a.#.z", "a.b.c"));
        assert!(topic_matches("metrics", "metrics"));
        assert!(!topic_matches("metrics", "metrics.cpu"));
        assert!(topic_matches("#", ""));
        assert!(topic_matches("#.#", "a"));
        // An empty routing key is one empty word, as RabbitMQ splits it.
        assert!(topic_matches("*", ""));
        assert!(topic_matches("*.#.*", "a.b"));
        assert!(!topic_matches("*.#.*", "a"));
    }
}
