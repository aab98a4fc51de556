//! RabbitMQ (AMQP 0-9-1, 3.10): exchanges route into queues, consumers compete on a queue.
//!
//! ```text
//!   P1 ──publish──> [ exchange ] ──> queue(group a) ──round-robin──> A1, A2   (ack each)
//!                               └──> queue(group b) ───────────────> B1
//! ```
//!
//! Models (reference, "RabbitMQ"): a queue per consumer group, bound to the group's topics, so
//! every group gets every message of its topics (fan-out) and members of a group share them
//! (round-robin). Manual acks are at-least-once: deliveries stay unacked until the ack reaches the
//! broker; `prefetch` caps unacked deliveries per consumer (0 = unlimited). When a consumer's
//! connection goes (crash, close, cut link) its unacked deliveries are requeued at the head with
//! `redelivered` set: what it had processed but not yet acked is delivered again (duplicates).
//! Auto-ack is at-most-once: a message leaves the queue when sent, and what the consumer held
//! when it went away is lost. A named queue keeps its backlog while its consumers are away; an
//! `exclusive` queue is deleted with its consumer's connection, and later messages are unroutable
//! and dropped (mandatory=false). Broker restart: a durable queue keeps persistent messages and
//! drops transient ones; a non-durable queue is deleted (redeclared when its consumers come back).
//! While the broker is down publishes fail. Order is FIFO per queue; requeues reorder.
//!
//! Leaves out (for now): exchange types (fanout, direct, topic wildcards), `x-max-length`,
//! quorum queues, publisher confirms and the memory alarm.

use super::{BrokerModel, BrokerState, Down, ModelState, QueueState};
use crate::metrics::LossReason;
use crate::scenario::{AckMode, RabbitOptions, Scenario, TopicId, Variant};
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, HopKind, World};
use crate::topology::{all_consumers, NodeId, Topology};
use std::collections::VecDeque;

#[derive(Clone, Debug)]
struct Queue {
    system: usize,
    group_name: String,
    group: Option<GroupId>,
    node: NodeId,
    exists: bool,
    ready: VecDeque<(MsgId, bool)>,
    bytes: u64,
    members: Vec<u32>,
    next: usize,
    topics: Vec<TopicId>,
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
    /// Per topic, the queues bound to it.
    bound: Vec<Vec<usize>>,
    /// Per consumer, its queues.
    queues_of: Vec<Vec<usize>>,
    /// Per consumer, deliveries not yet acknowledged: (queue, message).
    unacked: Vec<VecDeque<(usize, MsgId)>>,
}

impl RabbitMq {
    #[must_use]
    pub fn new(s: &Scenario, v: &Variant, topo: &Topology) -> RabbitMq {
        let mut queues: Vec<Queue> = topo
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
                next: 0,
                topics: Vec::new(),
            })
            .collect();
        let mut bound = vec![Vec::new(); s.topics.len()];
        let mut queues_of = Vec::new();
        for (ci, (c, _)) in all_consumers(s).iter().enumerate() {
            let mut mine = Vec::new();
            for &t in &c.subscribe {
                let system = topo.broker_of_topic[usize::from(t)];
                if let Some(q) = queues
                    .iter()
                    .position(|q| q.system == system && q.group_name == c.group)
                {
                    if !queues[q].topics.contains(&t) {
                        queues[q].topics.push(t);
                        bound[usize::from(t)].push(q);
                    }
                    if !mine.contains(&q) {
                        mine.push(q);
                        queues[q].members.push(u32::try_from(ci).unwrap_or(0));
                    }
                }
            }
            queues_of.push(mine);
        }
        let n = queues_of.len();
        RabbitMq {
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
            bound,
            queues_of,
            unacked: vec![VecDeque::new(); n],
        }
    }

    fn manual(&self) -> bool {
        self.opts.ack == AckMode::Manual
    }

    fn unacked_in(&self, c: u32, q: usize) -> usize {
        self.unacked[c as usize]
            .iter()
            .filter(|(x, _)| *x == q)
            .count()
    }

    fn dispatch(&mut self, w: &mut World, q: usize) {
        let system = self.queues[q].system;
        if !self.up[system] || !self.queues[q].exists {
            return;
        }
        let manual = self.manual();
        let prefetch = self.opts.prefetch as usize;
        while !self.queues[q].ready.is_empty() {
            let n = self.queues[q].members.len();
            let start = self.queues[q].next;
            let pick = (0..n)
                .map(|i| self.queues[q].members[(start + i) % n])
                .find(|&c| {
                    w.consumers[c as usize].connected()
                        && (!manual || prefetch == 0 || self.unacked_in(c, q) < prefetch)
                });
            let Some(c) = pick else { break };
            let pos = self.queues[q]
                .members
                .iter()
                .position(|&x| x == c)
                .unwrap_or(0);
            self.queues[q].next = (pos + 1) % n.max(1);
            let Some((m, redelivered)) = self.queues[q].ready.pop_front() else {
                break;
            };
            let size = w.msg(m).size;
            self.queues[q].bytes -= u64::from(size);
            w.unstore(size);
            if manual {
                self.unacked[c as usize].push_back((q, m));
            }
            let node = self.queues[q].node;
            w.send_to_consumer(
                m,
                node,
                c,
                u32::try_from(q).unwrap_or(0),
                u32::from(redelivered),
            );
        }
    }

    fn enqueue(&mut self, w: &mut World, q: usize, m: MsgId, redelivered: bool, front: bool) {
        let size = w.msg(m).size;
        let queue = &mut self.queues[q];
        if front {
            queue.ready.push_front((m, redelivered));
        } else {
            queue.ready.push_back((m, redelivered));
        }
        queue.bytes += u64::from(size);
        w.store(size);
    }

    /// The connection of `c` is gone: its unacked deliveries go back to the head of their queues.
    fn requeue_unacked(&mut self, w: &mut World, c: u32, only_system: Option<usize>) {
        let mut keep = VecDeque::new();
        let mut back: Vec<(usize, MsgId)> = Vec::new();
        for (q, m) in self.unacked[c as usize].drain(..) {
            if only_system.is_none_or(|s| self.queues[q].system == s) {
                back.push((q, m));
            } else {
                keep.push_back((q, m));
            }
        }
        self.unacked[c as usize] = keep;
        // Oldest first at the head: push to the front in reverse.
        for &(q, m) in back.iter().rev() {
            if let Some(g) = self.queues[q].group {
                w.ledger.add_copy(m, g);
            }
            self.enqueue(w, q, m, true, true);
        }
    }

    fn drop_ready(&mut self, w: &mut World, q: usize, reason: LossReason) {
        let node = self.queues[q].node;
        let g = self.queues[q].group;
        let ready: Vec<(MsgId, bool)> = self.queues[q].ready.drain(..).collect();
        self.queues[q].bytes = 0;
        for (m, _) in ready {
            w.unstore(w.msg(m).size);
            if let Some(g) = g {
                w.drop_copy(m, g, reason, node);
            }
        }
    }

    fn systems_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        match topic {
            Some(t) => vec![self.system_of_topic[usize::from(t)]],
            None => (0..self.up.len()).collect(),
        }
    }
}

impl BrokerModel for RabbitMq {
    fn publish(&mut self, w: &mut World, m: MsgId) {
        let from = w.producer_node(m);
        w.ledger.add_copy_all(m);
        if !w.producer_connected(m) {
            return w.drop_copy_all(m, LossReason::LinkDown, from);
        }
        let to = self.system_nodes[self.system_of_topic[usize::from(w.msg(m).topic)]];
        w.send(m, from, to, HopKind::Publish, None, 0, 0);
    }

    fn arrive(&mut self, w: &mut World, h: Hop) {
        match h.kind {
            HopKind::Publish => {
                let m = h.msg;
                let topic = usize::from(w.msg(m).topic);
                if !self.up[self.system_of_topic[topic]] {
                    return w.drop_copy_all(m, LossReason::BrokerDown, h.to);
                }
                for i in 0..self.bound[topic].len() {
                    let q = self.bound[topic][i];
                    let Some(g) = self.queues[q].group else {
                        continue;
                    };
                    if self.queues[q].exists && w.ledger.is_pending(m, g) {
                        w.ledger.add_copy(m, g);
                        self.enqueue(w, q, m, false, false);
                    }
                }
                // A group whose queue does not exist (an exclusive queue whose consumer left)
                // loses the message: unroutable, dropped.
                w.drop_copy_all(m, LossReason::Unroutable, h.to);
                for i in 0..self.bound[topic].len() {
                    self.dispatch(w, self.bound[topic][i]);
                }
            }
            HopKind::Deliver => {
                let d = Delivery {
                    msg: h.msg,
                    tag: h.tag,
                    aux: h.aux,
                    redelivered: h.aux == 1,
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
                    .position(|&(x, m)| x == q && m == h.msg)
                {
                    self.unacked[c].remove(i);
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
        let mine = self.queues_of[c as usize].clone();
        for q in mine {
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
        let mine = self.queues_of[c as usize].clone();
        for q in mine {
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

    fn holdings(&self, _w: &World, f: &mut dyn FnMut(MsgId, GroupId)) {
        for q in &self.queues {
            if let Some(g) = q.group {
                for &(m, _) in &q.ready {
                    f(m, g);
                }
            }
        }
    }

    fn state(&self, _w: &World) -> ModelState {
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
                        .map(|u| u.iter().filter(|(x, _)| *x == qi).count() as u64)
                        .sum(),
                    bytes: q.bytes,
                })
                .collect(),
            ..ModelState::default()
        }
    }
}
