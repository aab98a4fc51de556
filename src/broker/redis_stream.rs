//! Redis Streams: an append-only log per key, read through consumer groups with a pending list.
//!
//! ```text
//!   P1 ──XADD──> [ redis ]  stream "orders": |1|2|3|4|5|6|7|     (MAXLEN trims the oldest)
//!                             group a: last-delivered 5, PEL {4 (A1, 1x), 5 (A2, 2x)}
//!                             group b: last-delivered 7, PEL {}
//!   XREADGROUP >  ──> A1, A2 (each entry to one member)   ──XACK──> removes it from the PEL
//!   XAUTOCLAIM    ──> a live member takes entries pending longer than min-idle-time
//! ```
//!
//! Models (reference, "Redis Streams"; `shared/reference/broker-behaviour.md`):
//! - One stream per topic. XADD appends an entry with a growing id; entries stay, read or not,
//!   until `XADD ... MAXLEN = maxlen` trims the oldest. A group that had not read a trimmed entry
//!   never will: it skips it (`trimmed`). A slow consumer is never disconnected; the stream grows.
//! - Consumer groups, created when their first member comes up, at `$` (new entries only) or `0`
//!   (every retained entry: history read by a new group counts as `replayed`). Every group sees
//!   every entry; within a group `XREADGROUP GROUP g c COUNT read_count ... >` gives each entry to
//!   one member (blocked readers are served in turn) and records it in the group's pending
//!   entries list (PEL) under that consumer, with a delivery counter of 1.
//! - XACK after processing (an ack hop back to the stream): at-least-once. With `noack` nothing
//!   is recorded: what a consumer held when it went away is lost (at-most-once). No exactly-once.
//! - No automatic redelivery: a consumer that crashes leaves its entries in the PEL. It reads
//!   them again itself when it comes back (`read_history`: `XREADGROUP ... 0`, the documented
//!   restart pattern), or another live member takes them over with XAUTOCLAIM: when `min_idle_ms`
//!   is set, a live member of each group calls it every `autoclaim_every_ms` (COUNT 100), moving
//!   entries idle longer than min-idle-time to itself; each claim or history read increments the
//!   delivery counter. What the first consumer had already processed is processed again: the
//!   ledger counts the duplicates. XAUTOCLAIM also drops PEL entries whose entry was trimmed.
//! - Persistence on a broker crash (the process is killed): with `appendonly` the append-only file
//!   brings back everything, whatever `appendfsync` says, because Redis writes each command to the
//!   file before it replies and a killed process loses nothing the kernel already has; `everysec`
//!   (the default) would lose up to a second only if the machine itself went down, which is not
//!   modelled (checked against a real redis-server 7.0.15: tests/fidelity, claim 7); without it, the
//!   last RDB snapshot, taken when a `save <seconds> <changes>` rule holds (redis.conf defaults
//!   3600 s/1, 300 s/100, 60 s/10000 changes; every XADD, delivery, XACK and claim is a change),
//!   or nothing at all. Streams, groups and PELs come back as they were at that instant; what was
//!   added since is lost (`broker-restart`), and what was read or acknowledged since is read
//!   again (duplicates). Groups the snapshot lacks are created again. While down, XADD fails
//!   (`broker-down`: the Redis client does not retry) and acks are lost.
//!
//! In [`crate::sim::world::Processing`], `tag` is the entry id and `aux` the delivery counter.
//!
//! Leaves out: entry ids as `<ms>-<seq>` (ids here are a counter that never goes back, not even
//! across restarts, as the time part guarantees in Redis), approximate trimming (`MAXLEN ~`) and
//! MINID, XREAD without groups, consumer deletion (XGROUP DELCONSUMER), blocking timeouts,
//! XPENDING's idle filters, the fork time of BGSAVE and AOF rewrites, replication, Redis Cluster.

use super::{
    BrokerModel, BrokerState, Down, ModelState, PersistenceState, StreamConsumerState,
    StreamGroupState, StreamState,
};
use crate::metrics::LossReason;
use crate::scenario::{
    millis, secs, to_secs, GroupStart, Nanos, RedisOptions, Scenario, TopicId, Variant,
};
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, HopKind, World};
use crate::topology::{NodeId, Topology};
use std::collections::VecDeque;

/// XAUTOCLAIM's default COUNT.
pub const AUTOCLAIM_COUNT: usize = 100;
/// How often the save rules are checked (serverCron).
const CRON: Nanos = 1_000_000_000;

const TIMER_AUTOCLAIM: u8 = 1;
const TIMER_SAVE_CHECK: u8 = 2;

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    msg: MsgId,
    size: u32,
}

/// One entry of a group's pending entries list.
#[derive(Clone, Copy, Debug)]
struct Pending {
    id: u64,
    msg: MsgId,
    owner: u32,
    delivered_at: Nanos,
    count: u32,
}

#[derive(Clone, Debug)]
struct StreamGroup {
    gid: GroupId,
    /// The next id `>` may deliver: last-delivered-id + 1.
    cursor: u64,
    /// Sorted by id: `>` delivers in id order and claims keep the order.
    pel: VecDeque<Pending>,
    next_member: usize,
    next_claimer: usize,
}

#[derive(Clone, Debug, Default)]
struct Stream {
    entries: VecDeque<Entry>,
    /// The id the next XADD gets.
    next_id: u64,
    bytes: u64,
    trimmed: u64,
    groups: Vec<StreamGroup>,
}

impl Stream {
    /// An entry is still in the stream (not trimmed) if its id is at least the oldest one's.
    fn present(&self, id: u64) -> bool {
        self.entries.front().is_some_and(|e| id >= e.id)
    }

    /// Index of the first entry with an id at or after `id`.
    fn position(&self, id: u64) -> usize {
        self.entries.partition_point(|e| e.id < id)
    }

    /// Every copy this stream holds for a group: entries the group has not read yet, and
    /// pending entries whose entry is still there (something can deliver them again).
    fn holdings(&self, f: &mut dyn FnMut(MsgId, GroupId)) {
        for g in &self.groups {
            for e in self.entries.range(self.position(g.cursor)..) {
                f(e.msg, g.gid);
            }
            for p in &g.pel {
                if self.present(p.id) {
                    f(p.msg, g.gid);
                }
            }
        }
    }

    fn group(&self, gid: GroupId) -> Option<usize> {
        self.groups.iter().position(|g| g.gid == gid)
    }
}

#[derive(Clone, Debug)]
struct Server {
    name: String,
    node: NodeId,
    up: bool,
    /// The topics whose streams live here.
    topics: Vec<usize>,
    /// Writes since the last RDB snapshot, and when it was taken (the server's start counts).
    dirty: u64,
    last_save: Nanos,
    saved_once: bool,
    /// The last RDB snapshot, one stream per entry of `topics`.
    rdb: Option<Vec<Stream>>,
}

#[derive(Clone, Debug)]
pub struct RedisStream {
    opts: RedisOptions,
    topic_names: Vec<String>,
    /// Per topic: its stream, its log node and its server.
    streams: Vec<Stream>,
    log_node: Vec<NodeId>,
    server_of: Vec<usize>,
    servers: Vec<Server>,
    /// Per consumer: entries read and not yet processed (bounded by `read_count` for `>`).
    inflight: Vec<u32>,
    /// (topic, group) pairs whose XAUTOCLAIM timer runs.
    claimers: Vec<(usize, GroupId)>,
    timers_started: bool,
}

impl RedisStream {
    #[must_use]
    pub fn new(s: &Scenario, v: &Variant, topo: &Topology) -> RedisStream {
        let n_topics = s.topics.len();
        let log_node = (0..n_topics)
            .map(|t| {
                topo.logs
                    .iter()
                    .find(|(x, _)| usize::from(*x) == t)
                    .map_or(0, |(_, n)| *n)
            })
            .collect();
        let servers = topo
            .brokers
            .iter()
            .enumerate()
            .map(|(i, &b)| Server {
                name: topo.node(b).name.clone(),
                node: b,
                up: true,
                topics: (0..n_topics)
                    .filter(|&t| topo.broker_of_topic[t] == i)
                    .collect(),
                dirty: 0,
                last_save: 0,
                saved_once: false,
                rdb: None,
            })
            .collect();
        RedisStream {
            opts: v.redis.clone(),
            topic_names: s.topics.clone(),
            streams: vec![Stream::default(); n_topics],
            log_node,
            server_of: topo.broker_of_topic.clone(),
            servers,
            inflight: vec![0; topo.consumers.len()],
            claimers: Vec::new(),
            timers_started: false,
        }
    }

    fn start_timers(&mut self, w: &mut World) {
        if self.timers_started {
            return;
        }
        self.timers_started = true;
        for s in 0..self.servers.len() {
            let s32 = u32::try_from(s).unwrap_or(0);
            if !self.opts.appendonly && !self.opts.save.is_empty() {
                w.timer(w.now + CRON, TIMER_SAVE_CHECK, s32, 0);
            }
        }
    }

    fn write(&mut self, t: usize, n: u64) {
        let s = &mut self.servers[self.server_of[t]];
        s.dirty += n;
    }

    fn up(&self, t: usize) -> bool {
        self.servers[self.server_of[t]].up
    }

    /// `XGROUP CREATE stream group <$|0>` if the group has no state in this stream yet.
    fn ensure_group(&mut self, w: &mut World, t: usize, gid: GroupId) -> usize {
        if let Some(gi) = self.streams[t].group(gid) {
            return gi;
        }
        let cursor = match self.opts.group_start {
            GroupStart::Latest => self.streams[t].next_id,
            GroupStart::Earliest => 0,
        };
        self.streams[t].groups.push(StreamGroup {
            gid,
            cursor,
            pel: VecDeque::new(),
            next_member: 0,
            next_claimer: 0,
        });
        self.write(t, 1);
        if self.opts.min_idle_ms > 0.0 && !self.claimers.contains(&(t, gid)) {
            self.claimers.push((t, gid));
            w.timer(
                w.now + millis(self.opts.autoclaim_every_ms),
                TIMER_AUTOCLAIM,
                u32::try_from(t).unwrap_or(0),
                gid,
            );
        }
        self.streams[t].groups.len() - 1
    }

    fn send(&mut self, w: &mut World, t: usize, c: u32, p: Pending) {
        self.inflight[c as usize] += 1;
        w.send_to_consumer(
            p.msg,
            self.log_node[t],
            c,
            u32::try_from(p.id).unwrap_or(u32::MAX),
            p.count,
        );
    }

    /// Serve blocked `XREADGROUP ... >` calls of group `gi` from stream `t`, members in turn.
    fn pump_group(&mut self, w: &mut World, t: usize, gi: usize) {
        if !self.up(t) {
            return;
        }
        let count = self.opts.read_count;
        let noack = self.opts.noack;
        let topic = TopicId::try_from(t).unwrap_or(0);
        let gid = self.streams[t].groups[gi].gid;
        let n = w.ledger.groups[gid as usize].members.len();
        let mut pos = self.streams[t].position(self.streams[t].groups[gi].cursor);
        while let Some(e) = self.streams[t].entries.get(pos).copied() {
            let start = self.streams[t].groups[gi].next_member;
            let members = &w.ledger.groups[gid as usize].members;
            let Some(k) = (0..n).map(|i| (start + i) % n).find(|&k| {
                let c = members[k];
                let rt = &w.consumers[c as usize];
                rt.connected() && rt.subscribes(topic) && self.inflight[c as usize] < count
            }) else {
                break;
            };
            let c = members[k];
            let g = &mut self.streams[t].groups[gi];
            g.next_member = (k + 1) % n;
            g.cursor = e.id + 1;
            let p = Pending {
                id: e.id,
                msg: e.msg,
                owner: c,
                delivered_at: w.now,
                count: 1,
            };
            if !noack {
                // The stream's copy becomes the PEL's; the delivery is one more.
                g.pel.push_back(p);
                w.ledger.add_copy(e.msg, gid);
            }
            self.write(t, 1);
            self.send(w, t, c, p);
            pos += 1;
        }
    }

    fn pump_stream(&mut self, w: &mut World, t: usize) {
        for gi in 0..self.streams[t].groups.len() {
            self.pump_group(w, t, gi);
        }
    }

    /// `XREADGROUP ... 0`: consumer `c` reads its own pending entries again.
    fn read_history(&mut self, w: &mut World, t: usize, gi: usize, c: u32) {
        let gid = self.streams[t].groups[gi].gid;
        for i in 0..self.streams[t].groups[gi].pel.len() {
            let id = self.streams[t].groups[gi].pel[i].id;
            if self.streams[t].groups[gi].pel[i].owner != c || !self.streams[t].present(id) {
                continue;
            }
            let p = &mut self.streams[t].groups[gi].pel[i];
            p.count += 1;
            p.delivered_at = w.now;
            let p = *p;
            w.ledger.add_copy(p.msg, gid);
            self.write(t, 1);
            self.send(w, t, c, p);
        }
    }

    /// A live member of group `gid` calls `XAUTOCLAIM stream group me min-idle 0 COUNT 100`.
    fn autoclaim(&mut self, w: &mut World, t: usize, gid: GroupId) {
        let Some(gi) = self.streams[t].group(gid) else {
            return;
        };
        let topic = TopicId::try_from(t).unwrap_or(0);
        let members = &w.ledger.groups[gid as usize].members;
        let n = members.len();
        let start = self.streams[t].groups[gi].next_claimer;
        let Some(k) = (0..n).map(|i| (start + i) % n).find(|&k| {
            let rt = &w.consumers[members[k] as usize];
            rt.connected() && rt.subscribes(topic)
        }) else {
            return;
        };
        let claimer = members[k];
        self.streams[t].groups[gi].next_claimer = (k + 1) % n;
        let min_idle = millis(self.opts.min_idle_ms);
        let (mut i, mut claimed) = (0, 0);
        while i < self.streams[t].groups[gi].pel.len() && claimed < AUTOCLAIM_COUNT {
            let p = self.streams[t].groups[gi].pel[i];
            if !self.streams[t].present(p.id) {
                // Redis 7 drops pending entries whose entry is gone (its copy went at the trim).
                self.streams[t].groups[gi].pel.remove(i);
                self.write(t, 1);
                continue;
            }
            i += 1;
            if w.now.saturating_sub(p.delivered_at) < min_idle {
                continue;
            }
            let q = &mut self.streams[t].groups[gi].pel[i - 1];
            q.owner = claimer;
            q.count += 1;
            q.delivered_at = w.now;
            let q = *q;
            w.ledger.add_copy(q.msg, gid);
            self.write(t, 1);
            self.send(w, t, claimer, q);
            claimed += 1;
        }
    }

    /// XADD's `MAXLEN =`: the oldest entries go; groups that had not read them skip them.
    fn trim(&mut self, w: &mut World, t: usize) {
        let max = usize::try_from(self.opts.maxlen).unwrap_or(usize::MAX);
        if max == 0 {
            return;
        }
        let node = self.log_node[t];
        while self.streams[t].entries.len() > max {
            let Some(e) = self.streams[t].entries.pop_front() else {
                break;
            };
            let st = &mut self.streams[t];
            st.bytes -= u64::from(e.size);
            st.trimmed += 1;
            w.unstore(e.size);
            for g in &st.groups {
                let held = e.id >= g.cursor || g.pel.binary_search_by_key(&e.id, |p| p.id).is_ok();
                if held {
                    w.drop_copy(e.msg, g.gid, LossReason::Trimmed, node);
                }
            }
        }
    }

    fn snapshot(&self, s: usize) -> Vec<Stream> {
        self.servers[s]
            .topics
            .iter()
            .map(|&t| self.streams[t].clone())
            .collect()
    }

    /// The server restarts from what its persistence kept: the ledger gains the copies the
    /// restored streams hold and loses those the crashed state held.
    fn restore(&mut self, w: &mut World, s: usize) {
        if self.opts.appendonly {
            // The AOF has every write: the kernel had them when the process died.
            return;
        }
        let kept = self.servers[s].rdb.clone();
        let topics = self.servers[s].topics.clone();
        for (k, &t) in topics.iter().enumerate() {
            let mut new = kept
                .as_ref()
                .and_then(|v| v.get(k).cloned())
                .unwrap_or_default();
            let old = std::mem::take(&mut self.streams[t]);
            // Ids carry the time: after a restart they go on from where they were.
            new.next_id = new.next_id.max(old.next_id);
            // Clients whose group is gone get NOGROUP and create it again.
            for g in &old.groups {
                if new.group(g.gid).is_none() {
                    new.groups.push(StreamGroup {
                        gid: g.gid,
                        cursor: match self.opts.group_start {
                            GroupStart::Latest => new.next_id,
                            GroupStart::Earliest => 0,
                        },
                        pel: VecDeque::new(),
                        next_member: 0,
                        next_claimer: 0,
                    });
                }
            }
            new.holdings(&mut |m, g| w.ledger.add_copy(m, g));
            let node = self.log_node[t];
            old.holdings(&mut |m, g| w.drop_copy(m, g, LossReason::BrokerRestart, node));
            for e in &old.entries {
                w.unstore(e.size);
            }
            for e in &new.entries {
                w.store(e.size);
            }
            self.streams[t] = new;
        }
    }

    fn servers_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        match topic {
            Some(t) => vec![self.server_of[usize::from(t)]],
            None => (0..self.servers.len()).collect(),
        }
    }
}

impl BrokerModel for RedisStream {
    fn publish(&mut self, w: &mut World, m: MsgId) {
        self.start_timers(w);
        let to = self.servers[self.server_of[usize::from(w.msg(m).topic)]].node;
        w.publish_to(m, to);
    }

    fn arrive(&mut self, w: &mut World, h: Hop) {
        match h.kind {
            HopKind::Publish => {
                let m = h.msg;
                let t = usize::from(w.msg(m).topic);
                if !self.up(t) {
                    return w.drop_copy_all(m, LossReason::BrokerDown, h.to);
                }
                let size = w.msg(m).size;
                let st = &mut self.streams[t];
                let id = st.next_id;
                st.next_id += 1;
                st.entries.push_back(Entry { id, msg: m, size });
                st.bytes += u64::from(size);
                w.store(size);
                for g in &st.groups {
                    w.ledger.add_copy(m, g.gid);
                }
                // The copy that travelled goes: every group waiting for it has one in the stream.
                w.drop_copy_all(m, LossReason::BrokerDown, self.log_node[t]);
                self.write(t, 1);
                self.trim(w, t);
                self.pump_stream(w, t);
            }
            HopKind::Deliver => {
                w.deliver_local(
                    h.consumer,
                    Delivery {
                        msg: h.msg,
                        tag: h.tag,
                        aux: h.aux,
                        redelivered: h.aux > 1,
                    },
                );
            }
            HopKind::Ack => {
                let t = usize::from(w.msg(h.msg).topic);
                if !self.up(t) {
                    return;
                }
                let gid = w.consumers[h.consumer as usize].group;
                let Some(gi) = self.streams[t].group(gid) else {
                    return;
                };
                let pel = &mut self.streams[t].groups[gi].pel;
                if let Ok(i) = pel.binary_search_by_key(&u64::from(h.tag), |p| p.id) {
                    if pel[i].msg == h.msg {
                        pel.remove(i);
                        // Acked after processing: the delivery is done, this drop changes
                        // nothing unless the ledger disagrees (the audit would say).
                        w.drop_copy(h.msg, gid, LossReason::ConsumerCrash, h.to);
                        self.write(t, 1);
                    }
                }
            }
        }
    }

    fn processed(&mut self, w: &mut World, c: u32, d: Delivery) {
        let ci = c as usize;
        self.inflight[ci] = self.inflight[ci].saturating_sub(1);
        let t = usize::from(w.msg(d.msg).topic);
        if !self.opts.noack {
            let from = w.consumers[ci].node;
            w.send(
                d.msg,
                from,
                self.log_node[t],
                HopKind::Ack,
                Some(c),
                d.tag,
                0,
            );
        }
        let gid = w.consumers[ci].group;
        for i in 0..w.consumers[ci].topics.len() {
            let t = usize::from(w.consumers[ci].topics[i]);
            if let Some(gi) = self.streams[t].group(gid) {
                self.pump_group(w, t, gi);
            }
        }
    }

    fn consumer_down(&mut self, w: &mut World, c: u32, how: Down) {
        let reason = how.loss(LossReason::ReceiverOffline);
        // Without NOACK the PEL still holds each of these: nothing is lost.
        super::drop_held_all(w, c, reason);
        self.inflight[c as usize] = 0;
    }

    fn consumer_up(&mut self, w: &mut World, c: u32) {
        self.start_timers(w);
        let ci = c as usize;
        if self.inflight.len() <= ci {
            self.inflight.resize(ci + 1, 0);
        }
        let gid = w.consumers[ci].group;
        for i in 0..w.consumers[ci].topics.len() {
            let t = usize::from(w.consumers[ci].topics[i]);
            let gi = self.ensure_group(w, t, gid);
            if self.opts.read_history && !self.opts.noack && self.up(t) {
                self.read_history(w, t, gi, c);
            }
            self.pump_group(w, t, gi);
        }
    }

    fn broker_crash(&mut self, w: &mut World, topic: Option<TopicId>) {
        for s in self.servers_hit(topic) {
            if !self.servers[s].up {
                continue;
            }
            self.servers[s].up = false;
            self.restore(w, s);
        }
    }

    fn broker_restart(&mut self, w: &mut World, topic: Option<TopicId>) {
        for s in self.servers_hit(topic) {
            if self.servers[s].up {
                continue;
            }
            let srv = &mut self.servers[s];
            srv.up = true;
            srv.dirty = 0;
            srv.last_save = w.now;
            for k in 0..self.servers[s].topics.len() {
                let t = self.servers[s].topics[k];
                self.pump_stream(w, t);
            }
        }
    }

    fn timer(&mut self, w: &mut World, kind: u8, a: u32, b: u32) {
        match kind {
            TIMER_AUTOCLAIM => {
                let t = a as usize;
                w.timer(
                    w.now + millis(self.opts.autoclaim_every_ms),
                    TIMER_AUTOCLAIM,
                    a,
                    b,
                );
                if self.up(t) {
                    self.autoclaim(w, t, b);
                }
            }
            TIMER_SAVE_CHECK => {
                let s = a as usize;
                w.timer(w.now + CRON, TIMER_SAVE_CHECK, a, 0);
                let srv = &self.servers[s];
                let elapsed = w.now.saturating_sub(srv.last_save);
                // serverCron: `dirty >= changes && now - lastsave > seconds`.
                let due = srv
                    .up
                    .then_some(())
                    .and_then(|()| {
                        self.opts
                            .save
                            .iter()
                            .find(|&&(sec, n)| srv.dirty >= n && elapsed > secs(sec as f64))
                    })
                    .is_some();
                if due {
                    let snap = self.snapshot(s);
                    let srv = &mut self.servers[s];
                    srv.rdb = Some(snap);
                    srv.dirty = 0;
                    srv.last_save = w.now;
                    srv.saved_once = true;
                }
            }
            _ => {}
        }
    }

    fn holdings(&self, _w: &World, f: &mut dyn FnMut(MsgId, GroupId)) {
        for st in &self.streams {
            st.holdings(f);
        }
    }

    fn state(&self, w: &World) -> ModelState {
        let streams = self
            .streams
            .iter()
            .enumerate()
            .map(|(t, st)| {
                let topic = TopicId::try_from(t).unwrap_or(0);
                StreamState {
                    stream: self.topic_names[t].clone(),
                    broker: self.servers[self.server_of[t]].name.clone(),
                    node: self.log_node[t],
                    length: st.entries.len() as u64,
                    bytes: st.bytes,
                    first_id: st.entries.front().map(|e| e.id),
                    last_id: st.next_id.checked_sub(1),
                    trimmed: st.trimmed,
                    groups: st
                        .groups
                        .iter()
                        .map(|g| StreamGroupState {
                            group: w.ledger.groups[g.gid as usize].name.clone(),
                            last_delivered_id: g.cursor.checked_sub(1),
                            lag: (st.entries.len() - st.position(g.cursor)) as u64,
                            pending: g.pel.len() as u64,
                            consumers: w.ledger.groups[g.gid as usize]
                                .members
                                .iter()
                                .filter(|&&c| w.consumers[c as usize].subscribes(topic))
                                .map(|&c| {
                                    let mine = g.pel.iter().filter(|p| p.owner == c);
                                    StreamConsumerState {
                                        consumer: w.consumers[c as usize].name.clone(),
                                        pending: mine.clone().count() as u64,
                                        max_delivery_count: mine
                                            .map(|p| p.count)
                                            .max()
                                            .unwrap_or(0),
                                    }
                                })
                                .collect(),
                        })
                        .collect(),
                }
            })
            .collect();
        ModelState {
            brokers: self
                .servers
                .iter()
                .map(|s| BrokerState {
                    name: s.name.clone(),
                    up: s.up,
                })
                .collect(),
            streams,
            persistence: self
                .servers
                .iter()
                .map(|s| PersistenceState {
                    broker: s.name.clone(),
                    appendonly: self.opts.appendonly,
                    last_save_s: s.saved_once.then(|| to_secs(s.last_save)),
                    changes_since_save: s.dirty,
                })
                .collect(),
            ..ModelState::default()
        }
    }

    fn group_lag(&self, w: &World, gid: GroupId) -> Option<u64> {
        let subs = &w.ledger.groups[gid as usize];
        Some(
            self.streams
                .iter()
                .enumerate()
                .filter(|(t, _)| subs.subscribes(TopicId::try_from(*t).unwrap_or(0)))
                .filter_map(|(_, st)| {
                    let g = &st.groups[st.group(gid)?];
                    Some((st.entries.len() - st.position(g.cursor)) as u64)
                })
                .sum(),
        )
    }
}
