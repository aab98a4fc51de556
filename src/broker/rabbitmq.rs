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
//!   shows as `x-delivery-count` (1 on the first redelivery); in
//!   [`crate::sim::world::Processing`], `tag` is the queue and `aux` that count.
//! - Order is FIFO per queue; requeues with several consumers reorder.
//!
//! Leaves out: publisher confirms' timing (a nack is a loss at once), the memory alarm that
//! blocks publishers, quorum queue replication across nodes and its delivery-limit, dead-letter
//! exchanges, TTLs, priorities, `x-max-length-bytes`, alternate exchanges, headers exchanges,
//! exchange-to-exchange bindings, the channel and connection model (one consumer, one channel).

use super::{BrokerModel, BrokerState, Down, ExchangeState, ModelState, QueueState};
use crate::metrics::LossReason;
use crate::scenario::{
    AckMode, ExchangeKind, Overflow, QueueType, RabbitOptions, Scenario, TopicId, Variant,
};
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, HopKind, World};
use crate::topology::{all_consumers, NodeId, Topology};
use std::collections::VecDeque;

/// Does an AMQP topic binding `pattern` match `routing_key`? Words are separated by dots; `*`
/// matches exactly one word, `#` zero or more.
#[must_use]
pub fn topic_matches(pattern: &str, routing_key: &str) -> bool {
    fn words_match<'a>(
        p: &mut (impl Iterator<Item = &'a str> + Clone),
        k: &mut (impl Iterator<Item = &'a str> + Clone),
    ) -> bool {
        match p.next() {
            None => k.next().is_none(),
            Some("#") => loop {
                if words_match(&mut p.clone(), &mut k.clone()) {
                    return true;
                }
                if k.next().is_none() {
                    return false;
                }
            },
            Some(w) => match k.next() {
                Some(kw) => (w == "*" || w == kw) && words_match(p, k),
                None => false,
            },
        }
    }
    words_match(&mut pattern.split('.'), &mut routing_key.split('.'))
}

/// A message in a queue, with how many times it was delivered before.
#[derive(Clone, Copy, Debug)]
struct Ready {
    msg: MsgId,
    deliveries: u32,
}

#[derive(Clone, Debug)]
struct Queue {
    system: usize,
    group_name: String,
    group: Option<GroupId>,
    node: NodeId,
    exists: bool,
    ready: VecDeque<Ready>,
    bytes: u64,
    members: Vec<u32>,
    /// Per member (same index): its unacknowledged deliveries from this queue.
    unacked_of: Vec<u32>,
    /// Members with fewer than `prefetch` unacknowledged deliveries from this queue.
    with_credit: usize,
    next: usize,
    overflowed: u64,
}

/// An unacknowledged delivery: (queue, message, earlier deliveries).
type Unacked = (usize, MsgId, u32);

#[derive(Clone, Copy, Debug, Default)]
struct ExchangeCounters {
    routed: u64,
    unroutable: u64,
    returned: u64,
    nacked: u64,
}

#[derive(Clone, Debug)]
pub struct RabbitMq {
    opts: RabbitOptions,
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
    pub fn new(s: &Scenario, v: &Variant, topo: &Topology) -> RabbitMq {
        let queues: Vec<Queue> = topo
            .queues
            .iter()
            .map(|(system, group, node)| Queue {
                system: *system,
                group_name: group.clone(),
                group: None,
                node: *node,
                exists: false,
                ready: VecDeque::new(),
                bytes: 0,
                members: Vec::new(),
                unacked_of: Vec::new(),
                with_credit: 0,
                next: 0,
                overflowed: 0,
            })
            .collect();
        let mut rabbit = RabbitMq {
            opts: v.rabbitmq.clone(),
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
            for t in super::subscriptions(s, v, &c.subscribe) {
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
                        .push(u32::try_from(ci).unwrap_or(0));
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
    fn member_index(&self, c: u32, q: usize) -> Option<usize> {
        let ci = c as usize;
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

    fn dispatch(&mut self, w: &mut World, q: usize) {
        let system = self.queues[q].system;
        if !self.up[system] || !self.queues[q].exists {
            return;
        }
        let manual = self.manual();
        let prefetch = self.opts.prefetch;
        let limited = manual && prefetch > 0;
        while !self.queues[q].ready.is_empty() {
            let queue = &self.queues[q];
            if limited && queue.with_credit == 0 {
                // Every member has `prefetch` unacknowledged deliveries: nobody can take one.
                break;
            }
            let n = queue.members.len();
            let start = queue.next;
            let pick = (0..n).map(|i| (start + i) % n).find(|&k| {
                (!limited || queue.unacked_of[k] < prefetch)
                    && w.consumers[queue.members[k] as usize].connected()
            });
            let Some(k) = pick else { break };
            let c = self.queues[q].members[k];
            self.queues[q].next = (k + 1) % n.max(1);
            let Some(r) = self.queues[q].ready.pop_front() else {
                break;
            };
            let size = w.msg(r.msg).size;
            self.queues[q].bytes -= u64::from(size);
            w.unstore(size);
            if manual {
                self.unacked[c as usize].push_back((q, r.msg, r.deliveries));
                self.count_unacked(q, k, true);
            }
            let node = self.queues[q].node;
            w.send_to_consumer(r.msg, node, c, u32::try_from(q).unwrap_or(0), r.deliveries);
        }
    }

    fn enqueue(&mut self, w: &mut World, q: usize, r: Ready, front: bool) {
        let size = w.msg(r.msg).size;
        let queue = &mut self.queues[q];
        if front {
            queue.ready.push_front(r);
        } else {
            queue.ready.push_back(r);
        }
        queue.bytes += u64::from(size);
        w.store(size);
    }

    /// A published message reaches queue `q` of group `g`; `x-max-length` applies. Returns false
    /// if the queue refused it (`reject-publish`).
    fn accept(&mut self, w: &mut World, q: usize, g: GroupId, m: MsgId) -> bool {
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
                        let size = w.msg(old.msg).size;
                        self.queues[q].bytes -= u64::from(size);
                        self.queues[q].overflowed += 1;
                        w.unstore(size);
                        let node = self.queues[q].node;
                        w.drop_copy(old.msg, g, LossReason::QueueOverflow, node);
                    }
                }
            }
        }
        w.ledger.add_copy(m, g);
        self.enqueue(
            w,
            q,
            Ready {
                msg: m,
                deliveries: 0,
            },
            false,
        );
        true
    }

    /// The connection of `c` is gone: its unacked deliveries go back to the head of their queues.
    fn requeue_unacked(&mut self, w: &mut World, c: u32, only_system: Option<usize>) {
        let mut keep = VecDeque::new();
        let mut back: Vec<Unacked> = Vec::new();
        for u in self.unacked[c as usize].drain(..) {
            if only_system.is_none_or(|s| self.queues[u.0].system == s) {
                back.push(u);
            } else {
                keep.push_back(u);
            }
        }
        self.unacked[c as usize] = keep;
        for &(q, _, _) in &back {
            if let Some(k) = self.member_index(c, q) {
                self.count_unacked(q, k, false);
            }
        }
        // Oldest first at the head: push to the front in reverse.
        for &(q, m, deliveries) in back.iter().rev() {
            if let Some(g) = self.queues[q].group {
                w.ledger.add_copy(m, g);
            }
            let r = Ready {
                msg: m,
                deliveries: deliveries + 1,
            };
            self.enqueue(w, q, r, true);
        }
    }

    fn drop_ready(&mut self, w: &mut World, q: usize, reason: LossReason) {
        let node = self.queues[q].node;
        let g = self.queues[q].group;
        let ready: Vec<Ready> = self.queues[q].ready.drain(..).collect();
        self.queues[q].bytes = 0;
        for r in ready {
            w.unstore(w.msg(r.msg).size);
            if let Some(g) = g {
                w.drop_copy(r.msg, g, reason, node);
            }
        }
    }

    fn systems_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        match topic {
            Some(t) => vec![self.system_of_topic[usize::from(t)]],
            None => (0..self.up.len()).collect(),
        }
    }

    fn exchange_kind(&self) -> &'static str {
        match self.opts.exchange {
            ExchangeKind::Fanout => "fanout",
            ExchangeKind::Direct => "direct",
            ExchangeKind::Topic => "topic",
        }
    }
}

impl BrokerModel for RabbitMq {
    fn publish(&mut self, w: &mut World, m: MsgId) {
        let to = self.system_nodes[self.system_of_topic[usize::from(w.msg(m).topic)]];
        w.publish_to(m, to);
    }

    fn arrive(&mut self, w: &mut World, h: Hop) {
        match h.kind {
            HopKind::Publish => {
                let m = h.msg;
                let topic = usize::from(w.msg(m).topic);
                let system = self.system_of_topic[topic];
                if !self.up[system] {
                    return w.drop_copy_all(m, LossReason::BrokerDown, h.to);
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
                    if w.ledger.is_pending(m, g) && !self.accept(w, q, g, m) {
                        nacked = true;
                        // The copy that travelled was this group's only one.
                        w.drop_copy(m, g, LossReason::Rejected, self.queues[q].node);
                    }
                }
                let ex = &mut self.exchanges[system];
                ex.nacked += u64::from(nacked);
                // A group whose queue does not exist (an exclusive queue whose consumer left)
                // does not get it; a message no queue took at all is unroutable, and with
                // mandatory=true returned to the publisher.
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
                w.drop_copy_all(m, reason, h.to);
                for i in 0..self.routes[topic].len() {
                    self.dispatch(w, self.routes[topic][i]);
                }
            }
            HopKind::Deliver => {
                let d = Delivery {
                    msg: h.msg,
                    tag: h.tag,
                    aux: h.aux,
                    redelivered: h.aux > 0,
                };
                w.deliver_local(h.consumer, d);
            }
            HopKind::Ack => {
                let q = h.tag as usize;
                let system = self.queues[q].system;
                if !self.up[system] || h.aux != self.generation[system] {
                    return;
                }
                let c = h.consumer as usize;
                if let Some(i) = self.unacked[c]
                    .iter()
                    .position(|&(x, m, _)| x == q && m == h.msg)
                {
                    self.unacked[c].remove(i);
                    if let Some(k) = self.member_index(h.consumer, q) {
                        self.count_unacked(q, k, false);
                    }
                }
                self.dispatch(w, q);
            }
        }
    }

    fn processed(&mut self, w: &mut World, c: u32, d: Delivery) {
        if self.manual() {
            let q = d.tag as usize;
            let from = w.consumers[c as usize].node;
            let generation = self.generation[self.queues[q].system];
            w.send(
                d.msg,
                from,
                self.queues[q].node,
                HopKind::Ack,
                Some(c),
                d.tag,
                generation,
            );
        }
    }

    fn consumer_down(&mut self, w: &mut World, c: u32, how: Down) {
        let held = std::mem::take(&mut w.scratch);
        if self.manual() {
            // Requeue first so that no pending delivery is ever without a copy.
            self.requeue_unacked(w, c, None);
            for d in &held {
                w.drop_held(c, d.msg, LossReason::ConsumerCrash);
            }
        } else {
            let reason = match how {
                Down::Crash => LossReason::ConsumerCrash,
                Down::Offline => LossReason::ReceiverOffline,
                Down::LinkDown => LossReason::LinkDown,
            };
            for d in &held {
                w.drop_held(c, d.msg, reason);
            }
        }
        w.scratch = held;
        for i in 0..self.queues_of[c as usize].len() {
            let q = self.queues_of[c as usize][i];
            let anyone = self.queues[q]
                .members
                .iter()
                .any(|&x| w.consumers[x as usize].connected());
            if self.opts.exclusive && !anyone && self.queues[q].exists {
                self.drop_ready(w, q, LossReason::SubscriberOffline);
                self.queues[q].exists = false;
            }
            self.dispatch(w, q);
        }
    }

    fn consumer_up(&mut self, w: &mut World, c: u32) {
        let g = w.consumers[c as usize].group;
        for i in 0..self.queues_of[c as usize].len() {
            let q = self.queues_of[c as usize][i];
            self.queues[q].group = Some(g);
            if self.up[self.queues[q].system] {
                // Consumers declare their queue on connect (idempotent).
                self.queues[q].exists = true;
            }
            self.dispatch(w, q);
        }
    }

    fn broker_crash(&mut self, w: &mut World, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            if !self.up[s] {
                continue;
            }
            self.up[s] = false;
            self.generation[s] += 1;
            for c in 0..self.unacked.len() {
                self.requeue_unacked(w, u32::try_from(c).unwrap_or(0), Some(s));
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
                    self.drop_ready(w, q, LossReason::BrokerRestart);
                    self.queues[q].exists = false;
                } else if !self.opts.persistent {
                    self.drop_ready(w, q, LossReason::BrokerRestart);
                }
            }
        }
    }

    fn broker_restart(&mut self, w: &mut World, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            self.up[s] = true;
            for q in 0..self.queues.len() {
                if self.queues[q].system != s {
                    continue;
                }
                let anyone = self.queues[q]
                    .members
                    .iter()
                    .any(|&x| w.consumers[x as usize].connected());
                if anyone {
                    self.queues[q].exists = true;
                }
                self.dispatch(w, q);
            }
        }
    }

    fn check(&self, _w: &World) -> Result<(), String> {
        for (qi, q) in self.queues.iter().enumerate() {
            let mut with_credit = 0;
            for (k, &c) in q.members.iter().enumerate() {
                let n = self.unacked[c as usize]
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

    fn holdings(&self, _w: &World, f: &mut dyn FnMut(MsgId, GroupId)) {
        for q in &self.queues {
            if let Some(g) = q.group {
                for r in &q.ready {
                    f(r.msg, g);
                }
            }
        }
    }

    fn state(&self, w: &World) -> ModelState {
        let quorum = self.quorum();
        ModelState {
            brokers: self
                .system_names
                .iter()
                .zip(&self.up)
                .map(|(n, &up)| BrokerState {
                    name: n.clone(),
                    up,
                })
                .collect(),
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
                        .filter(|&&c| w.consumers[c as usize].connected())
                        .count() as u64,
                })
                .collect(),
            exchanges: self
                .exchanges
                .iter()
                .enumerate()
                .map(|(s, e)| ExchangeState {
                    broker: self.system_names[s].clone(),
                    kind: self.exchange_kind().to_owned(),
                    routed: e.routed,
                    unroutable: e.unroutable,
                    returned: e.returned,
                    nacked: e.nacked,
                })
                .collect(),
            ..ModelState::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::topic_matches;

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
    }
}
