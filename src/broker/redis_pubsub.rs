//! Redis Pub/Sub: fire and forget to whoever is subscribed right now.
//!
//! ```text
//!   P1 ──PUBLISH──> [ redis ] ──copy──> output buffer(C1) ──> C1
//!                            └─copy──> output buffer(C2) ──> C2   (every subscriber, even of
//!                                                                  the same group, gets a copy)
//! ```
//!
//! Models (reference, "Redis Pub/Sub"; `shared/reference/broker-behaviour.md`):
//! - At-most-once, no acks: a message is copied to every client subscribed to its channel (one
//!   channel per topic) at the instant it is published; PUBLISH returns how many that was
//!   (`pubsub_channels` in the state, with PUBSUB NUMSUB). A group with no subscriber connected
//!   loses it (`subscriber-offline`): an offline subscriber misses everything published
//!   meanwhile, and gets only what comes after it subscribes again.
//! - Each client has a broker-side output buffer that Redis writes to the socket as fast as the
//!   client reads, which here is as fast as the consumer processes (the socket itself holds
//!   `SOCKET_BYTES`). `client-output-buffer-limit pubsub 32mb 8mb 60` (scenario-settable): over
//!   the hard limit the client is disconnected at once, over the soft limit for `soft_s` seconds
//!   too; its buffer is dropped (`output-buffer-limit`) and it misses messages until it
//!   reconnects and resubscribes (`reconnect_ms`).
//! - A consumer that crashes loses what it had read (`consumer-crash`). A broker crash drops every
//!   buffer and subscription and persists nothing; while down, publishes fail (`broker-down`);
//!   after a restart clients resubscribe after `reconnect_ms`.
//! - Order is publish order per subscriber. No consumer groups: two members of one group each get
//!   a copy (the second is a duplicate).
//!
//! In [`crate::sim::world::Processing`], `tag` is the broker and `aux` is 0.
//!
//! Leaves out: pattern subscriptions (PSUBSCRIBE), sharded Pub/Sub (SSUBSCRIBE), RESP3 push
//! details, keyspace notifications, the client library's own reconnect policy (a fixed delay).

use super::{BrokerModel, BrokerState, Down, ModelState, PubsubChannelState, SubscriberState};
use crate::metrics::LossReason;
use crate::scenario::{millis, secs, Nanos, RedisOptions, Scenario, TopicId, Variant};
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, HopKind, World};
use crate::topology::{all_consumers, NodeId, Topology};
use std::collections::VecDeque;

/// Bytes on the wire and in the client's socket buffers before Redis has to buffer for it.
pub const SOCKET_BYTES: u64 = 128 * 1024;

const TIMER_SOFT_LIMIT: u8 = 1;
const TIMER_RECONNECT: u8 = 2;

#[derive(Clone, Debug)]
struct Sub {
    system: usize,
    subscribed: bool,
    buffer: VecDeque<MsgId>,
    bytes: u64,
    over_soft_since: Option<Nanos>,
    /// Bytes sent to the client and not yet processed by it.
    client_bytes: u64,
}

#[derive(Clone, Debug)]
pub struct RedisPubsub {
    opts: RedisOptions,
    system_nodes: Vec<NodeId>,
    system_names: Vec<String>,
    topic_names: Vec<String>,
    /// Per topic: PUBLISH calls that reached a running broker, what the last one returned, and
    /// how many returned 0.
    published: Vec<u64>,
    last_receivers: Vec<u64>,
    to_nobody: Vec<u64>,
    up: Vec<bool>,
    system_of_topic: Vec<usize>,
    /// Per topic, the consumers (static and added) that subscribe to it.
    topic_subs: Vec<Vec<u32>>,
    /// Per consumer, one entry per system it subscribes on.
    subs: Vec<Vec<Sub>>,
    /// Reused for the subscribers of one publish (no allocation per message).
    targets: Vec<u32>,
}

impl RedisPubsub {
    #[must_use]
    pub fn new(s: &Scenario, v: &Variant, topo: &Topology) -> RedisPubsub {
        let mut topic_subs = vec![Vec::new(); s.topics.len()];
        let mut subs = Vec::new();
        for (ci, (c, _)) in all_consumers(s).iter().enumerate() {
            let mut mine: Vec<Sub> = Vec::new();
            for &t in &c.subscribe {
                topic_subs[usize::from(t)].push(u32::try_from(ci).unwrap_or(0));
                let system = topo.broker_of_topic[usize::from(t)];
                if !mine.iter().any(|x| x.system == system) {
                    mine.push(Sub {
                        system,
                        subscribed: false,
                        buffer: VecDeque::new(),
                        bytes: 0,
                        over_soft_since: None,
                        client_bytes: 0,
                    });
                }
            }
            subs.push(mine);
        }
        RedisPubsub {
            opts: v.redis.clone(),
            system_nodes: topo.brokers.clone(),
            system_names: topo
                .brokers
                .iter()
                .map(|&b| topo.node(b).name.clone())
                .collect(),
            topic_names: s.topics.clone(),
            published: vec![0; s.topics.len()],
            last_receivers: vec![0; s.topics.len()],
            to_nobody: vec![0; s.topics.len()],
            up: vec![true; topo.brokers.len()],
            system_of_topic: topo.broker_of_topic.clone(),
            topic_subs,
            subs,
            targets: Vec::new(),
        }
    }

    fn sub(&mut self, c: u32, system: usize) -> Option<&mut Sub> {
        self.subs
            .get_mut(c as usize)?
            .iter_mut()
            .find(|x| x.system == system)
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn limit(mb: f64) -> u64 {
        (mb * 1024.0 * 1024.0) as u64
    }

    /// Write what the client's socket can take, then apply the output buffer limits.
    fn pump(&mut self, w: &mut World, c: u32, system: usize) {
        let node = self.system_nodes[system];
        let (hard, soft) = (
            Self::limit(self.opts.pubsub_hard_mb),
            Self::limit(self.opts.pubsub_soft_mb),
        );
        let soft_for = secs(self.opts.pubsub_soft_s);
        let Some(sub) = self
            .subs
            .get_mut(c as usize)
            .and_then(|v| v.iter_mut().find(|x| x.system == system))
        else {
            return;
        };
        while sub.client_bytes < SOCKET_BYTES {
            let Some(m) = sub.buffer.pop_front() else {
                break;
            };
            let size = u64::from(w.msg(m).size);
            sub.bytes -= size;
            w.unstore(w.msg(m).size);
            sub.client_bytes += size;
            w.send_to_consumer(m, node, c, u32::try_from(system).unwrap_or(0), 0);
        }
        if hard > 0 && sub.bytes > hard {
            return self.disconnect(w, c, system, LossReason::OutputBufferLimit, true);
        }
        if soft > 0 && sub.bytes > soft {
            if sub.over_soft_since.is_none() {
                sub.over_soft_since = Some(w.now);
                w.timer(
                    w.now + soft_for,
                    TIMER_SOFT_LIMIT,
                    c,
                    u32::try_from(system).unwrap_or(0),
                );
            }
        } else {
            sub.over_soft_since = None;
        }
    }

    /// The broker closes this client's connection: its buffer is gone. It comes back (if its
    /// process still runs) after `reconnect_ms`.
    fn disconnect(
        &mut self,
        w: &mut World,
        c: u32,
        system: usize,
        reason: LossReason,
        reconnect: bool,
    ) {
        let node = self.system_nodes[system];
        let g = w.consumers[c as usize].group;
        let reconnect_at = w.now + millis(self.opts.reconnect_ms);
        let Some(sub) = self.sub(c, system) else {
            return;
        };
        sub.subscribed = false;
        sub.over_soft_since = None;
        sub.bytes = 0;
        let dropped: Vec<MsgId> = sub.buffer.drain(..).collect();
        for m in dropped {
            w.unstore(w.msg(m).size);
            w.drop_copy(m, g, reason, node);
        }
        if reconnect {
            w.timer(
                reconnect_at,
                TIMER_RECONNECT,
                c,
                u32::try_from(system).unwrap_or(0),
            );
        }
    }

    fn systems_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        match topic {
            Some(t) => vec![self.system_of_topic[usize::from(t)]],
            None => (0..self.up.len()).collect(),
        }
    }
}

impl BrokerModel for RedisPubsub {
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
                let topic = w.msg(m).topic;
                let system = self.system_of_topic[usize::from(topic)];
                if !self.up[system] {
                    return w.drop_copy_all(m, LossReason::BrokerDown, h.to);
                }
                let size = w.msg(m).size;
                let mut targets = std::mem::take(&mut self.targets);
                targets.clear();
                targets.extend(
                    self.topic_subs[usize::from(topic)]
                        .iter()
                        .copied()
                        .filter(|&c| {
                            self.subs[c as usize]
                                .iter()
                                .any(|x| x.system == system && x.subscribed)
                        }),
                );
                let t = usize::from(topic);
                self.published[t] += 1;
                self.last_receivers[t] = targets.len() as u64;
                if targets.is_empty() {
                    self.to_nobody[t] += 1;
                }
                for &c in &targets {
                    let g = w.consumers[c as usize].group;
                    w.ledger.add_copy(m, g);
                    w.store(size);
                    if let Some(sub) = self.sub(c, system) {
                        sub.buffer.push_back(m);
                        sub.bytes += u64::from(size);
                    }
                }
                // The published copy is gone; a group none of whose members got one lost it.
                w.drop_copy_all(m, LossReason::SubscriberOffline, h.to);
                for &c in &targets {
                    self.pump(w, c, system);
                }
                self.targets = targets;
            }
            HopKind::Deliver => {
                w.deliver_local(
                    h.consumer,
                    Delivery {
                        msg: h.msg,
                        tag: h.tag,
                        aux: 0,
                        redelivered: false,
                    },
                );
            }
            HopKind::Ack => {}
        }
    }

    fn processed(&mut self, w: &mut World, c: u32, d: Delivery) {
        let size = u64::from(w.msg(d.msg).size);
        let system = d.tag as usize;
        if let Some(sub) = self.sub(c, system) {
            sub.client_bytes = sub.client_bytes.saturating_sub(size);
        }
        self.pump(w, c, system);
    }

    fn consumer_down(&mut self, w: &mut World, c: u32, how: Down) {
        let reason = match how {
            Down::Crash => LossReason::ConsumerCrash,
            Down::Offline => LossReason::SubscriberOffline,
            Down::LinkDown => LossReason::LinkDown,
        };
        let held = std::mem::take(&mut w.scratch);
        for d in &held {
            w.drop_held(c, d.msg, reason);
        }
        w.scratch = held;
        let systems: Vec<usize> = self.subs[c as usize].iter().map(|x| x.system).collect();
        for s in systems {
            self.disconnect(w, c, s, reason, false);
            if let Some(sub) = self.sub(c, s) {
                sub.client_bytes = 0;
            }
        }
    }

    fn consumer_up(&mut self, _w: &mut World, c: u32) {
        let up = self.up.clone();
        for sub in self.subs.get_mut(c as usize).into_iter().flatten() {
            sub.subscribed = up[sub.system];
        }
    }

    fn broker_crash(&mut self, w: &mut World, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            self.up[s] = false;
            for c in 0..self.subs.len() {
                let c = u32::try_from(c).unwrap_or(0);
                self.disconnect(w, c, s, LossReason::BrokerRestart, false);
            }
        }
    }

    fn broker_restart(&mut self, w: &mut World, topic: Option<TopicId>) {
        let at = w.now + millis(self.opts.reconnect_ms);
        for s in self.systems_hit(topic) {
            self.up[s] = true;
            for c in 0..self.subs.len() {
                if self.subs[c].iter().any(|x| x.system == s) {
                    w.timer(
                        at,
                        TIMER_RECONNECT,
                        u32::try_from(c).unwrap_or(0),
                        u32::try_from(s).unwrap_or(0),
                    );
                }
            }
        }
    }

    fn timer(&mut self, w: &mut World, kind: u8, c: u32, system: u32) {
        let system = system as usize;
        match kind {
            TIMER_SOFT_LIMIT => {
                let soft = Self::limit(self.opts.pubsub_soft_mb);
                let soft_for = secs(self.opts.pubsub_soft_s);
                let Some(sub) = self.sub(c, system) else {
                    return;
                };
                match sub.over_soft_since {
                    Some(since) if w.now >= since + soft_for && sub.bytes > soft => {
                        self.disconnect(w, c, system, LossReason::OutputBufferLimit, true);
                    }
                    Some(since) if since + soft_for > w.now => {
                        // It dipped under and crossed again later: check again then.
                        w.timer(
                            since + soft_for,
                            TIMER_SOFT_LIMIT,
                            c,
                            u32::try_from(system).unwrap_or(0),
                        );
                    }
                    _ => {}
                }
            }
            TIMER_RECONNECT => {
                let ok = w.consumers[c as usize].connected() && self.up[system];
                if let Some(sub) = self.sub(c, system) {
                    if ok {
                        sub.subscribed = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn holdings(&self, w: &World, f: &mut dyn FnMut(MsgId, GroupId)) {
        for (c, subs) in self.subs.iter().enumerate() {
            let g = w.consumers[c].group;
            for sub in subs {
                for &m in &sub.buffer {
                    f(m, g);
                }
            }
        }
    }

    fn state(&self, w: &World) -> ModelState {
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
            pubsub_channels: (0..self.topic_names.len())
                .map(|t| {
                    let system = self.system_of_topic[t];
                    PubsubChannelState {
                        channel: self.topic_names[t].clone(),
                        broker: self.system_names[system].clone(),
                        subscribers: self.topic_subs[t]
                            .iter()
                            .filter(|&&c| {
                                self.subs[c as usize]
                                    .iter()
                                    .any(|x| x.system == system && x.subscribed)
                            })
                            .count() as u64,
                        published: self.published[t],
                        last_receivers: self.last_receivers[t],
                        published_to_nobody: self.to_nobody[t],
                    }
                })
                .collect(),
            subscribers: self
                .subs
                .iter()
                .enumerate()
                .flat_map(|(c, subs)| {
                    subs.iter().map(move |s| SubscriberState {
                        consumer: w.consumers[c].name.clone(),
                        subscribed: s.subscribed,
                        buffer_bytes: s.bytes,
                        buffer_messages: s.buffer.len() as u64,
                    })
                })
                .collect(),
            ..ModelState::default()
        }
    }
}
