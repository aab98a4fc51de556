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
//! A trace's [`crate::engine::Origin`] names the broker (`place`).
//!
//! Leaves out: pattern subscriptions (PSUBSCRIBE), sharded Pub/Sub (SSUBSCRIBE), RESP3 push
//! details, keyspace notifications, the client library's own reconnect policy (a fixed delay).

use crate::engine::state::{BrokerState, ModelState, PubsubChannelState, SubscriberState};
use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, GroupId, MsgId, MsgRef, Note, Origin, Port, Release,
    Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::{millis, secs, Nanos, RedisOptions, Scenario, TopicId};
use crate::topology::{all_consumers, NodeId, Topology};
use std::collections::VecDeque;

/// Bytes on the wire and in the client's socket buffers before Redis has to buffer for it.
pub const SOCKET_BYTES: u64 = 128 * 1024;

/// What Redis Pub/Sub puts on its messages and timers.
#[derive(Clone, Copy, Debug)]
pub struct PubsubTags;

impl Tags for PubsubTags {
    type Publish = ();
    /// The broker system the message came from.
    type Delivery = u32;
    type Ack = ();
    type Timer = PubsubTimer;
    fn origin(system: &u32) -> Origin {
        Origin {
            place: Some(*system),
            offset: None,
            attempt: 1,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum PubsubTimer {
    /// Is the client's output buffer still over the soft limit, as long as it was allowed to be?
    SoftLimit { consumer: ConsumerId, system: u32 },
    /// A disconnected client has reconnected and subscribes again.
    Reconnect { consumer: ConsumerId, system: u32 },
}

/// A PUBLISH that reached at least one subscriber, in its system's [`FanoutLog`].
#[derive(Clone, Copy, Debug)]
struct Published {
    msg: MsgRef,
    topic: TopicId,
    size: u32,
}

/// What one system published, oldest first, from the oldest message some output buffer still
/// holds. Every client's output buffer is a view of it (see [`Sub`]): a message that goes to 40
/// subscribers is written once, not 40 times.
#[derive(Clone, Debug, Default)]
struct FanoutLog {
    entries: VecDeque<Published>,
    /// Position of `entries[0]` (positions count every entry ever appended).
    base: u64,
    /// Trim when `entries` reaches this length.
    trim_at: usize,
}

/// Entries a fan-out log keeps at least before it trims.
const TRIM_MIN: usize = 4096;

impl FanoutLog {
    fn end(&self) -> u64 {
        self.base + self.entries.len() as u64
    }
    fn get(&self, pos: u64) -> Option<&Published> {
        pos.checked_sub(self.base)
            .and_then(|i| self.entries.get(usize::try_from(i).ok()?))
    }
}

/// A client subscribed on one system.
///
/// Its output buffer holds `len` messages: the entries of the system's fan-out log from
/// `cursor` on whose topic it subscribes to, each `want[topic]` times (once, unless a
/// `subscribe` list names a topic twice), less the `taken` copies of the entry at `cursor`
/// already written to the socket. While it is not subscribed its buffer is empty (a disconnect
/// drops it), so every entry of one of its topics appended while it has messages is one of them.
#[derive(Clone, Debug)]
struct Sub {
    system: usize,
    subscribed: bool,
    cursor: u64,
    taken: u32,
    len: u64,
    /// Per topic id: how many times it subscribes to it on this system.
    want: Vec<u32>,
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
    /// Per topic, the consumers (static and added) that subscribe to it, each with the index of
    /// its entry in `subs` for the topic's system.
    topic_subs: Vec<Vec<(ConsumerId, u32)>>,
    /// One entry per consumer and system it subscribes on, consumer by consumer: those of
    /// consumer `c` are `subs[first[c]..first[c + 1]]`.
    subs: Vec<Sub>,
    first: Vec<usize>,
    /// Per system, what its subscribers' output buffers hold.
    logs: Vec<FanoutLog>,
    /// Reused for the subscribers of one publish (no allocation per message).
    targets: Vec<(ConsumerId, u32)>,
    /// `client-output-buffer-limit pubsub` in bytes (0 = none) and the soft limit's time.
    hard: u64,
    soft: u64,
    soft_for: Nanos,
}

impl RedisPubsub {
    #[must_use]
    pub fn new(s: &Scenario, opts: &RedisOptions, topo: &Topology) -> RedisPubsub {
        let mut topic_subs = vec![Vec::new(); s.topics.len()];
        let mut subs = Vec::new();
        let mut first = vec![0];
        for (ci, (c, _)) in all_consumers(s).iter().enumerate() {
            let base = first.last().copied().unwrap_or(0);
            let mut mine: Vec<Sub> = Vec::new();
            for &t in &c.subscribe {
                let system = topo.broker_of_topic[usize::from(t)];
                let i = mine
                    .iter()
                    .position(|x| x.system == system)
                    .unwrap_or(mine.len());
                topic_subs[usize::from(t)].push((
                    ConsumerId::from_ix(ci).unwrap_or_default(),
                    u32::try_from(base + i).unwrap_or(u32::MAX),
                ));
                if i == mine.len() {
                    mine.push(Sub {
                        system,
                        subscribed: false,
                        cursor: 0,
                        taken: 0,
                        len: 0,
                        want: vec![0; s.topics.len()],
                        bytes: 0,
                        over_soft_since: None,
                        client_bytes: 0,
                    });
                }
                if let Some(n) = mine[i].want.get_mut(usize::from(t)) {
                    *n += 1;
                }
            }
            subs.extend(mine);
            first.push(subs.len());
        }
        RedisPubsub {
            opts: opts.clone(),
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
            first,
            logs: vec![
                FanoutLog {
                    trim_at: TRIM_MIN,
                    ..FanoutLog::default()
                };
                topo.brokers.len()
            ],
            targets: Vec::new(),
            hard: Self::limit(opts.pubsub_hard_mb),
            soft: Self::limit(opts.pubsub_soft_mb),
            soft_for: secs(opts.pubsub_soft_s),
        }
    }

    /// The next message of `sub`'s output buffer, taken out of it.
    fn pop(log: &FanoutLog, sub: &mut Sub) -> Option<Published> {
        if sub.len == 0 {
            return None;
        }
        loop {
            let e = *log.get(sub.cursor)?;
            let want = sub.want.get(usize::from(e.topic)).copied().unwrap_or(0);
            if sub.taken < want {
                sub.taken += 1;
                if sub.taken == want {
                    sub.cursor += 1;
                    sub.taken = 0;
                }
                sub.len -= 1;
                return Some(e);
            }
            sub.cursor += 1;
            sub.taken = 0;
        }
    }

    /// Every message of `sub`'s output buffer, oldest first.
    fn for_each_held(log: &FanoutLog, sub: &Sub, mut f: impl FnMut(Published)) {
        if sub.len == 0 {
            return;
        }
        let Some(start) = sub
            .cursor
            .checked_sub(log.base)
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i <= log.entries.len())
        else {
            return;
        };
        let (mut left, mut skip) = (sub.len, sub.taken);
        for &e in log.entries.range(start..) {
            let want = sub.want.get(usize::from(e.topic)).copied().unwrap_or(0);
            for _ in skip..want {
                f(e);
                left -= 1;
                if left == 0 {
                    return;
                }
            }
            skip = 0;
        }
    }

    /// Drop the entries of `system`'s log that no output buffer holds any more, once it has
    /// doubled since the last time (amortised: a pass over the subscribers now and then).
    fn trim(&mut self, system: usize) {
        let Some(log) = self.logs.get_mut(system) else {
            return;
        };
        if log.entries.len() < log.trim_at {
            return;
        }
        let keep_from = self
            .subs
            .iter()
            .filter(|x| x.system == system && x.len > 0)
            .map(|x| x.cursor)
            .min()
            .unwrap_or(log.end());
        let n = usize::try_from(keep_from.saturating_sub(log.base))
            .unwrap_or(usize::MAX)
            .min(log.entries.len());
        log.entries.drain(..n);
        log.base += n as u64;
        log.trim_at = (2 * log.entries.len()).max(TRIM_MIN);
    }

    /// Consumers known to the model.
    fn consumers(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    /// The indexes in `subs` of consumer `c`'s entries.
    fn subs_of(&self, c: usize) -> std::ops::Range<usize> {
        match (self.first.get(c), self.first.get(c + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// The index in `subs` of consumer `c`'s entry for `system`.
    fn sub_index(&self, c: ConsumerId, system: usize) -> Option<usize> {
        self.subs_of(c.ix())
            .find(|&i| self.subs[i].system == system)
    }

    fn sub(&mut self, c: ConsumerId, system: usize) -> Option<&mut Sub> {
        let i = self.sub_index(c, system)?;
        self.subs.get_mut(i)
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn limit(mb: f64) -> u64 {
        (mb * 1024.0 * 1024.0) as u64
    }

    /// `pump` would change nothing: the socket is full and neither limit has news.
    #[inline]
    fn pump_would_idle(&self, sub: &Sub) -> bool {
        let over_soft = self.soft > 0 && sub.bytes > self.soft;
        sub.client_bytes >= SOCKET_BYTES
            && !(self.hard > 0 && sub.bytes > self.hard)
            && over_soft == sub.over_soft_since.is_some()
    }

    /// Write what the client's socket can take, then apply the output buffer limits. `i` is
    /// the index of consumer `c`'s entry in `subs`.
    fn pump(&mut self, p: &mut Port<'_, PubsubTags>, c: ConsumerId, i: usize) {
        let (hard, soft, soft_for) = (self.hard, self.soft, self.soft_for);
        let Some(sub) = self.subs.get_mut(i) else {
            return;
        };
        let system = sub.system;
        let node = self.system_nodes[system];
        let log = &self.logs[system];
        while sub.client_bytes < SOCKET_BYTES {
            let Some(e) = Self::pop(log, sub) else {
                break;
            };
            let size = u64::from(e.size);
            sub.bytes -= size;
            p.unstore(e.size);
            sub.client_bytes += size;
            p.deliver(c, e.msg, node, system_tag(system), false);
        }
        if hard > 0 && sub.bytes > hard {
            return self.disconnect(p, c, system, LossReason::OutputBufferLimit, true);
        }
        if soft > 0 && sub.bytes > soft {
            if sub.over_soft_since.is_none() {
                sub.over_soft_since = Some(p.now());
                let t = PubsubTimer::SoftLimit {
                    consumer: c,
                    system: system_tag(system),
                };
                p.schedule(p.now() + soft_for, t);
            }
        } else {
            sub.over_soft_since = None;
        }
    }

    /// The broker closes this client's connection: its buffer is gone. It comes back (if its
    /// process still runs) after `reconnect_ms`.
    fn disconnect(
        &mut self,
        p: &mut Port<'_, PubsubTags>,
        c: ConsumerId,
        system: usize,
        reason: LossReason,
        reconnect: bool,
    ) {
        let node = self.system_nodes[system];
        let reconnect_at = p.now() + millis(self.opts.reconnect_ms);
        let (Some(g), Some(i)) = (p.group_of(c), self.sub_index(c, system)) else {
            return;
        };
        let log = &self.logs[system];
        let sub = &mut self.subs[i];
        sub.subscribed = false;
        sub.over_soft_since = None;
        sub.bytes = 0;
        Self::for_each_held(log, sub, |e| {
            p.unstore(e.size);
            p.release(e.msg, g, Release::Lost(reason), node);
        });
        sub.len = 0;
        sub.taken = 0;
        sub.cursor = log.end();
        if reconnect {
            let t = PubsubTimer::Reconnect {
                consumer: c,
                system: system_tag(system),
            };
            p.schedule(reconnect_at, t);
        }
    }

    fn systems_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        super::systems_hit(&self.system_of_topic, self.up.len(), topic)
    }

    /// Every consumer the model knows.
    fn consumer_ids(&self) -> impl Iterator<Item = ConsumerId> {
        (0..self.consumers()).filter_map(ConsumerId::from_ix)
    }
}

/// A broker system's index as the tag of what it delivers (systems are at most one per topic).
fn system_tag(system: usize) -> u32 {
    u32::try_from(system).unwrap_or(u32::MAX)
}

impl BrokerModel for RedisPubsub {
    type Tags = PubsubTags;

    fn publish(&mut self, p: &mut Port<'_, PubsubTags>, m: MsgRef) {
        let to = self.system_nodes[self.system_of_topic[usize::from(p.info(m).topic)]];
        p.publish_to(m, to, ());
    }

    fn arrive(&mut self, p: &mut Port<'_, PubsubTags>, m: MsgRef, at: NodeId, (): ()) {
        let topic = p.info(m).topic;
        let system = self.system_of_topic[usize::from(topic)];
        if !self.up[system] {
            return p.release_all(m, Release::Lost(LossReason::BrokerDown), at);
        }
        let size = p.info(m).size;
        let t = usize::from(topic);
        let pos = self.logs[system].end();
        // Every client subscribed right now gets a copy in its output buffer.
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        // Copies are held per run of subscribers of one group.
        let mut run: Option<(GroupId, u16)> = None;
        for &(c, i) in &self.topic_subs[t] {
            let sub = &mut self.subs[i as usize];
            let Some(g) = p.group_of(c).filter(|_| sub.subscribed) else {
                continue;
            };
            if sub.len == 0 {
                // Nothing of its own before `pos`.
                sub.cursor = pos;
                sub.taken = 0;
            }
            sub.len += 1;
            sub.bytes += u64::from(size);
            run = match run {
                Some((rg, n)) if rg == g && n < u16::MAX => Some((g, n + 1)),
                Some((rg, n)) => {
                    p.hold_n(m, rg, n);
                    Some((g, 1))
                }
                None => Some((g, 1)),
            };
            targets.push((c, i));
        }
        if let Some((rg, n)) = run {
            p.hold_n(m, rg, n);
        }
        if p.watching(m.id) {
            for &(c, _) in &targets {
                if let Some(g) = p.group_of(c) {
                    p.note_for(m, g, at, Note::Stored, |w| {
                        format!("output buffer of {}", w.consumer(c).name())
                    });
                }
            }
        }
        p.store_n(size, u32::try_from(targets.len()).unwrap_or(u32::MAX));
        if !targets.is_empty() {
            self.logs[system].entries.push_back(Published {
                msg: m,
                topic,
                size,
            });
        }
        self.published[t] += 1;
        self.last_receivers[t] = targets.len() as u64;
        if targets.is_empty() {
            self.to_nobody[t] += 1;
        }
        // The published copy is gone; a group none of whose members got one lost it.
        p.release_all(m, Release::Lost(LossReason::SubscriberOffline), at);
        for &(c, i) in &targets {
            if !self.pump_would_idle(&self.subs[i as usize]) {
                self.pump(p, c, i as usize);
            }
        }
        self.targets = targets;
        self.trim(system);
    }

    fn processed(&mut self, p: &mut Port<'_, PubsubTags>, c: ConsumerId, d: Delivery<u32>) {
        let size = u64::from(p.info(d.msg).size);
        let Some(i) = self.sub_index(c, d.tag as usize) else {
            return;
        };
        let sub = &mut self.subs[i];
        sub.client_bytes = sub.client_bytes.saturating_sub(size);
        self.pump(p, c, i);
    }

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, PubsubTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<u32>],
    ) {
        let reason = how.loss(LossReason::SubscriberOffline);
        p.release_held(c, held, Release::Lost(reason));
        let systems: Vec<usize> = self.subs[self.subs_of(c.ix())]
            .iter()
            .map(|x| x.system)
            .collect();
        for s in systems {
            self.disconnect(p, c, s, reason, false);
            if let Some(sub) = self.sub(c, s) {
                sub.client_bytes = 0;
            }
        }
    }

    fn consumer_up(&mut self, _p: &mut Port<'_, PubsubTags>, c: ConsumerId) {
        let mine = self.subs_of(c.ix());
        for sub in &mut self.subs[mine] {
            sub.subscribed = self.up[sub.system];
        }
    }

    fn broker_crash(&mut self, p: &mut Port<'_, PubsubTags>, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            self.up[s] = false;
            for c in self.consumer_ids() {
                self.disconnect(p, c, s, LossReason::BrokerRestart, false);
            }
        }
    }

    fn broker_restart(&mut self, p: &mut Port<'_, PubsubTags>, topic: Option<TopicId>) {
        let at = p.now() + millis(self.opts.reconnect_ms);
        for s in self.systems_hit(topic) {
            self.up[s] = true;
            for c in self.consumer_ids() {
                if self.subs[self.subs_of(c.ix())]
                    .iter()
                    .any(|x| x.system == s)
                {
                    let t = PubsubTimer::Reconnect {
                        consumer: c,
                        system: system_tag(s),
                    };
                    p.schedule(at, t);
                }
            }
        }
    }

    fn timer(&mut self, p: &mut Port<'_, PubsubTags>, t: PubsubTimer) {
        match t {
            PubsubTimer::SoftLimit {
                consumer: c,
                system,
            } => {
                let (soft, soft_for, now) = (self.soft, self.soft_for, p.now());
                let Some(sub) = self.sub(c, system as usize) else {
                    return;
                };
                match sub.over_soft_since {
                    Some(since) if now >= since + soft_for && sub.bytes > soft => {
                        self.disconnect(p, c, system as usize, LossReason::OutputBufferLimit, true);
                    }
                    Some(since) if since + soft_for > now => {
                        // It dipped under and crossed again later: check again then.
                        p.schedule(since + soft_for, t);
                    }
                    _ => {}
                }
            }
            PubsubTimer::Reconnect {
                consumer: c,
                system,
            } => {
                let ok = p.consumer(c).connected() && self.up[system as usize];
                if let Some(sub) = self.sub(c, system as usize) {
                    if ok {
                        sub.subscribed = true;
                    }
                }
            }
        }
    }

    fn approx_bytes(&self) -> usize {
        let logs: usize = self
            .logs
            .iter()
            .map(|l| crate::engine::bytes_of::<Published>(l.entries.capacity()))
            .sum();
        logs + self.subs.len() * (std::mem::size_of::<Sub>() + 4 * self.topic_names.len())
    }

    fn holdings(&self, w: &World<PubsubTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for c in self.consumer_ids() {
            let Some(g) = w.group_of(c) else { continue };
            for sub in &self.subs[self.subs_of(c.ix())] {
                Self::for_each_held(&self.logs[sub.system], sub, |e| f(e.msg.id, g));
            }
        }
    }

    fn check(&self, w: &World<PubsubTags>) -> Result<(), String> {
        for c in self.consumer_ids() {
            for sub in &self.subs[self.subs_of(c.ix())] {
                let (mut n, mut bytes) = (0u64, 0u64);
                Self::for_each_held(&self.logs[sub.system], sub, |e| {
                    n += 1;
                    bytes += u64::from(e.size);
                });
                let name = w.consumer(c).name();
                if n != sub.len || bytes != sub.bytes {
                    return Err(format!(
                        "output buffer of {name}: {} messages, {} bytes counted; the log has {n}, {bytes}",
                        sub.len, sub.bytes
                    ));
                }
                if !sub.subscribed && sub.len > 0 {
                    return Err(format!("{name} is not subscribed but has a buffer"));
                }
            }
        }
        Ok(())
    }

    fn state(&self, w: &World<PubsubTags>) -> ModelState {
        ModelState {
            brokers: BrokerState::of_systems(&self.system_names, &self.up),
            pubsub_channels: (0..self.topic_names.len())
                .map(|t| {
                    let system = self.system_of_topic[t];
                    PubsubChannelState {
                        channel: self.topic_names[t].clone(),
                        broker: self.system_names[system].clone(),
                        subscribers: self.topic_subs[t]
                            .iter()
                            .filter(|&&(_, i)| self.subs[i as usize].subscribed)
                            .count() as u64,
                        published: self.published[t],
                        last_receivers: self.last_receivers[t],
                        published_to_nobody: self.to_nobody[t],
                    }
                })
                .collect(),
            subscribers: self
                .consumer_ids()
                .flat_map(|c| {
                    self.subs[self.subs_of(c.ix())]
                        .iter()
                        .map(move |s| SubscriberState {
                            consumer: w.consumer(c).name().to_owned(),
                            subscribed: s.subscribed,
                            buffer_bytes: s.bytes,
                            buffer_messages: s.len,
                        })
                })
                .collect(),
            ..ModelState::default()
        }
    }
}
