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
//! A trace's [`crate::engine::Origin`] gives the entry id (`offset`) and its delivery counter
//! (`attempt`).
//!
//! Leaves out: entry ids as `<ms>-<seq>` (ids here are a counter that never goes back, not even
//! across restarts, as the time part guarantees in Redis), approximate trimming (`MAXLEN ~`) and
//! MINID, XREAD without groups, consumer deletion (XGROUP DELCONSUMER), blocking timeouts,
//! XPENDING's idle filters, the fork time of BGSAVE and AOF rewrites, replication, Redis Cluster.

use super::RoundRobin;
use crate::engine::state::{
    BrokerState, ModelState, PersistenceState, StreamConsumerState, StreamGroupState, StreamState,
};
use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, GroupId, KeptWhole, MsgId, MsgRef, Note, Origin, Port,
    Release, Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::{millis, secs, to_secs, GroupStart, Nanos, RedisOptions, Scenario, TopicId};
use crate::topology::{NodeId, Topology};
use std::collections::VecDeque;

/// XAUTOCLAIM's default COUNT.
pub const AUTOCLAIM_COUNT: usize = 100;
/// How often the save rules are checked (serverCron).
const CRON: Nanos = 1_000_000_000;

/// What Redis Streams puts on its deliveries, acks and timers.
#[derive(Clone, Copy, Debug)]
pub struct StreamTags;

/// A delivered entry: its id and its delivery counter (1 the first time).
#[derive(Clone, Copy, Debug, Default)]
pub struct Read {
    id: u64,
    count: u32,
}

/// An entry id does not fit a byte: kept whole.
impl KeptWhole for Read {}

impl Tags for StreamTags {
    type Publish = ();
    type Delivery = Read;
    /// XACK of the entry with this id.
    type Ack = u64;
    type Timer = StreamTimer;
    fn origin(r: &Read) -> Origin {
        Origin {
            place: None,
            offset: Some(r.id),
            attempt: r.count,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum StreamTimer {
    /// A live member of `group` calls XAUTOCLAIM on the stream of `topic`.
    Autoclaim { topic: TopicId, group: GroupId },
    /// serverCron checks the save rules of a server.
    SaveCheck { server: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    id: u64,
    msg: MsgRef,
    size: u32,
}

/// One entry of a group's pending entries list.
#[derive(Clone, Copy, Debug)]
struct Pending {
    id: u64,
    msg: MsgRef,
    owner: ConsumerId,
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
    next_member: RoundRobin,
    next_claimer: RoundRobin,
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
    fn holdings(&self, f: &mut dyn FnMut(MsgRef, GroupId)) {
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
    claimers: Vec<(TopicId, GroupId)>,
    timers_started: bool,
}

impl RedisStream {
    #[must_use]
    pub fn new(s: &Scenario, opts: &RedisOptions, topo: &Topology) -> RedisStream {
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
            opts: opts.clone(),
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

    fn start_timers(&mut self, p: &mut Port<'_, StreamTags>) {
        if self.timers_started {
            return;
        }
        self.timers_started = true;
        if self.opts.appendonly || self.opts.save.is_empty() {
            return;
        }
        for s in 0..self.servers.len() {
            let server = u32::try_from(s).unwrap_or(u32::MAX);
            p.schedule(p.now() + CRON, StreamTimer::SaveCheck { server });
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
    fn ensure_group(&mut self, p: &mut Port<'_, StreamTags>, t: usize, gid: GroupId) -> usize {
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
            next_member: RoundRobin::default(),
            next_claimer: RoundRobin::default(),
        });
        self.write(t, 1);
        let topic = TopicId::try_from(t).unwrap_or_default();
        if self.opts.min_idle_ms > 0.0 && !self.claimers.contains(&(topic, gid)) {
            self.claimers.push((topic, gid));
            let at = p.now() + millis(self.opts.autoclaim_every_ms);
            p.schedule(at, StreamTimer::Autoclaim { topic, group: gid });
        }
        self.streams[t].groups.len() - 1
    }

    fn send(&mut self, p: &mut Port<'_, StreamTags>, t: usize, c: ConsumerId, e: Pending) {
        self.inflight[c.ix()] += 1;
        let read = Read {
            id: e.id,
            count: e.count,
        };
        p.deliver(c, e.msg, self.log_node[t], read, e.count > 1);
    }

    /// Serve blocked `XREADGROUP ... >` calls of group `gi` from stream `t`, members in turn.
    fn pump_group(&mut self, p: &mut Port<'_, StreamTags>, t: usize, gi: usize) {
        if !self.up(t) {
            return;
        }
        let count = self.opts.read_count;
        let noack = self.opts.noack;
        let topic = TopicId::try_from(t).unwrap_or_default();
        let gid = self.streams[t].groups[gi].gid;
        let mut pos = self.streams[t].position(self.streams[t].groups[gi].cursor);
        while let Some(e) = self.streams[t].entries.get(pos).copied() {
            let inflight = &self.inflight;
            let g = &mut self.streams[t].groups[gi];
            let members = &p.ledger().group(gid).members;
            let Some(k) = g.next_member.pick(members.len(), |k| {
                let rt = p.consumer(members[k]);
                rt.connected() && rt.subscribes(topic) && inflight[members[k].ix()] < count
            }) else {
                break;
            };
            let c = members[k];
            g.cursor = e.id + 1;
            let pending = Pending {
                id: e.id,
                msg: e.msg,
                owner: c,
                delivered_at: p.now(),
                count: 1,
            };
            if !noack {
                // The stream's copy becomes the PEL's; the delivery is one more.
                g.pel.push_back(pending);
                p.hold(e.msg, gid);
            }
            self.write(t, 1);
            self.send(p, t, c, pending);
            pos += 1;
        }
    }

    fn pump_stream(&mut self, p: &mut Port<'_, StreamTags>, t: usize) {
        for gi in 0..self.streams[t].groups.len() {
            self.pump_group(p, t, gi);
        }
    }

    /// `XREADGROUP ... 0`: consumer `c` reads its own pending entries again.
    fn read_history(&mut self, p: &mut Port<'_, StreamTags>, t: usize, gi: usize, c: ConsumerId) {
        let gid = self.streams[t].groups[gi].gid;
        for i in 0..self.streams[t].groups[gi].pel.len() {
            let id = self.streams[t].groups[gi].pel[i].id;
            if self.streams[t].groups[gi].pel[i].owner != c || !self.streams[t].present(id) {
                continue;
            }
            let e = &mut self.streams[t].groups[gi].pel[i];
            e.count += 1;
            e.delivered_at = p.now();
            let e = *e;
            p.hold(e.msg, gid);
            self.write(t, 1);
            self.send(p, t, c, e);
        }
    }

    /// A live member of group `gid` calls `XAUTOCLAIM stream group me min-idle 0 COUNT 100`.
    fn autoclaim(&mut self, p: &mut Port<'_, StreamTags>, t: usize, gid: GroupId) {
        let Some(gi) = self.streams[t].group(gid) else {
            return;
        };
        let topic = TopicId::try_from(t).unwrap_or_default();
        let members = &p.ledger().group(gid).members;
        let Some(k) = self.streams[t].groups[gi]
            .next_claimer
            .pick(members.len(), |k| {
                let rt = p.consumer(members[k]);
                rt.connected() && rt.subscribes(topic)
            })
        else {
            return;
        };
        let claimer = members[k];
        let min_idle = millis(self.opts.min_idle_ms);
        let (mut i, mut claimed) = (0, 0);
        while i < self.streams[t].groups[gi].pel.len() && claimed < AUTOCLAIM_COUNT {
            let e = self.streams[t].groups[gi].pel[i];
            if !self.streams[t].present(e.id) {
                // Redis 7 drops pending entries whose entry is gone (its copy went at the trim).
                self.streams[t].groups[gi].pel.remove(i);
                self.write(t, 1);
                continue;
            }
            i += 1;
            if p.now().saturating_sub(e.delivered_at) < min_idle {
                continue;
            }
            let q = &mut self.streams[t].groups[gi].pel[i - 1];
            q.owner = claimer;
            q.count += 1;
            q.delivered_at = p.now();
            let q = *q;
            p.hold(q.msg, gid);
            self.write(t, 1);
            self.send(p, t, claimer, q);
            claimed += 1;
        }
    }

    /// XADD's `MAXLEN =`: the oldest entries go; groups that had not read them skip them.
    fn trim(&mut self, p: &mut Port<'_, StreamTags>, t: usize) {
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
            p.unstore(e.size);
            p.note(e.msg, node, Note::Removed, |_| {
                format!("entry {} trimmed (MAXLEN {max})", e.id)
            });
            for g in &st.groups {
                let held = e.id >= g.cursor || g.pel.binary_search_by_key(&e.id, |p| p.id).is_ok();
                if held {
                    p.release(e.msg, g.gid, Release::Lost(LossReason::Trimmed), node);
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
    fn restore(&mut self, p: &mut Port<'_, StreamTags>, s: usize) {
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
                        next_member: RoundRobin::default(),
                        next_claimer: RoundRobin::default(),
                    });
                }
            }
            // What the restarted server has holds its copies; what the crashed one held and the
            // restart did not keep is lost.
            new.holdings(&mut |m, g| p.hold(m, g));
            let node = self.log_node[t];
            let lost = Release::Lost(LossReason::BrokerRestart);
            old.holdings(&mut |m, g| p.release(m, g, lost, node));
            for e in &old.entries {
                p.unstore(e.size);
            }
            for e in &new.entries {
                p.store(e.size);
            }
            self.streams[t] = new;
        }
    }

    fn servers_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        super::systems_hit(&self.server_of, self.servers.len(), topic)
    }
}

impl RedisStream {
    /// serverCron: `dirty >= changes && now - lastsave > seconds` for any save rule takes an RDB
    /// snapshot of server `s`.
    fn save_check(&mut self, now: Nanos, s: usize) {
        let srv = &self.servers[s];
        let elapsed = now.saturating_sub(srv.last_save);
        #[allow(clippy::cast_precision_loss)]
        let due = srv.up
            && self
                .opts
                .save
                .iter()
                .any(|&(sec, n)| srv.dirty >= n && elapsed > secs(sec as f64));
        if due {
            let snap = self.snapshot(s);
            let srv = &mut self.servers[s];
            srv.rdb = Some(snap);
            srv.dirty = 0;
            srv.last_save = now;
            srv.saved_once = true;
        }
    }
}

impl BrokerModel for RedisStream {
    type Tags = StreamTags;

    fn publish(&mut self, p: &mut Port<'_, StreamTags>, m: MsgRef) {
        self.start_timers(p);
        let to = self.servers[self.server_of[usize::from(p.info(m).topic)]].node;
        p.publish_to(m, to, ());
    }

    fn arrive(&mut self, p: &mut Port<'_, StreamTags>, m: MsgRef, at: NodeId, (): ()) {
        let t = usize::from(p.info(m).topic);
        if !self.up(t) {
            return p.release_all(m, Release::Lost(LossReason::BrokerDown), at);
        }
        let size = p.info(m).size;
        let st = &mut self.streams[t];
        let id = st.next_id;
        st.next_id += 1;
        st.entries.push_back(Entry { id, msg: m, size });
        st.bytes += u64::from(size);
        p.store(size);
        p.note(m, self.log_node[t], Note::Stored, |_| {
            format!("stream entry {id}")
        });
        for g in &st.groups {
            p.hold(m, g.gid);
        }
        // The copy that travelled moved into the stream: every group waiting for it has one there.
        p.release_all(m, Release::Settled, self.log_node[t]);
        self.write(t, 1);
        self.trim(p, t);
        self.pump_stream(p, t);
    }

    fn acked(
        &mut self,
        p: &mut Port<'_, StreamTags>,
        c: ConsumerId,
        m: MsgRef,
        at: NodeId,
        id: u64,
    ) {
        let t = usize::from(p.info(m).topic);
        if !self.up(t) {
            return;
        }
        let Some(gid) = p.group_of(c) else { return };
        let Some(gi) = self.streams[t].group(gid) else {
            return;
        };
        let pel = &mut self.streams[t].groups[gi].pel;
        if let Ok(i) = pel.binary_search_by_key(&id, |e| e.id) {
            if pel[i].msg == m {
                pel.remove(i);
                // Acked after processing: the PEL's copy has done its work.
                p.release(m, gid, Release::Settled, at);
                self.write(t, 1);
            }
        }
    }

    fn processed(&mut self, p: &mut Port<'_, StreamTags>, c: ConsumerId, d: Delivery<Read>) {
        self.inflight[c.ix()] = self.inflight[c.ix()].saturating_sub(1);
        let t = usize::from(p.info(d.msg).topic);
        if !self.opts.noack {
            p.ack(c, d.msg, self.log_node[t], d.tag.id);
        }
        let Some(gid) = p.group_of(c) else { return };
        for i in 0..p.consumer(c).topics().len() {
            let t = usize::from(p.consumer(c).topics()[i]);
            if let Some(gi) = self.streams[t].group(gid) {
                self.pump_group(p, t, gi);
            }
        }
    }

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, StreamTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<Read>],
    ) {
        // Without NOACK the PEL still holds each of these: nothing is lost.
        p.release_held(
            c,
            held,
            Release::Lost(how.loss(LossReason::ReceiverOffline)),
        );
        self.inflight[c.ix()] = 0;
    }

    fn consumer_up(&mut self, p: &mut Port<'_, StreamTags>, c: ConsumerId) {
        self.start_timers(p);
        let Some(gid) = p.group_of(c) else { return };
        for t in p.consumer(c).topics().to_vec() {
            let t = usize::from(t);
            let gi = self.ensure_group(p, t, gid);
            if self.opts.read_history && !self.opts.noack && self.up(t) {
                self.read_history(p, t, gi, c);
            }
            self.pump_group(p, t, gi);
        }
    }

    fn broker_crash(&mut self, p: &mut Port<'_, StreamTags>, topic: Option<TopicId>) {
        for s in self.servers_hit(topic) {
            if !self.servers[s].up {
                continue;
            }
            self.servers[s].up = false;
            self.restore(p, s);
        }
    }

    fn broker_restart(&mut self, p: &mut Port<'_, StreamTags>, topic: Option<TopicId>) {
        for s in self.servers_hit(topic) {
            if self.servers[s].up {
                continue;
            }
            let srv = &mut self.servers[s];
            srv.up = true;
            srv.dirty = 0;
            srv.last_save = p.now();
            for k in 0..self.servers[s].topics.len() {
                let t = self.servers[s].topics[k];
                self.pump_stream(p, t);
            }
        }
    }

    fn timer(&mut self, p: &mut Port<'_, StreamTags>, timer: StreamTimer) {
        match timer {
            StreamTimer::Autoclaim { topic, group } => {
                p.schedule(p.now() + millis(self.opts.autoclaim_every_ms), timer);
                let t = usize::from(topic);
                if self.up(t) {
                    self.autoclaim(p, t, group);
                }
            }
            StreamTimer::SaveCheck { server } => {
                p.schedule(p.now() + CRON, timer);
                self.save_check(p.now(), server as usize);
            }
        }
    }

    fn approx_bytes(&self) -> usize {
        use crate::engine::bytes_of;
        let stream = |st: &Stream| {
            bytes_of::<Entry>(st.entries.capacity())
                + st.groups
                    .iter()
                    .map(|g| bytes_of::<Pending>(g.pel.capacity()))
                    .sum::<usize>()
        };
        let live: usize = self.streams.iter().map(stream).sum();
        let saved: usize = self
            .servers
            .iter()
            .filter_map(|s| s.rdb.as_ref())
            .flatten()
            .map(stream)
            .sum();
        live + saved
    }

    fn holdings(&self, _w: &World<StreamTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for st in &self.streams {
            st.holdings(&mut |m, g| f(m.id, g));
        }
    }

    fn state(&self, w: &World<StreamTags>) -> ModelState {
        let streams = self
            .streams
            .iter()
            .enumerate()
            .map(|(t, st)| {
                let topic = TopicId::try_from(t).unwrap_or_default();
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
                            group: w.ledger().group(g.gid).name.clone(),
                            last_delivered_id: g.cursor.checked_sub(1),
                            lag: (st.entries.len() - st.position(g.cursor)) as u64,
                            pending: g.pel.len() as u64,
                            consumers: w
                                .ledger()
                                .group(g.gid)
                                .members
                                .iter()
                                .filter(|&&c| w.consumer(c).subscribes(topic))
                                .map(|&c| {
                                    let mine = g.pel.iter().filter(|p| p.owner == c);
                                    StreamConsumerState {
                                        consumer: w.consumer(c).name().to_owned(),
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
                .enumerate()
                .map(|(system, s)| BrokerState {
                    name: s.name.clone(),
                    up: s.up,
                    system,
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

    fn group_lag(&self, w: &World<StreamTags>, gid: GroupId) -> Option<u64> {
        let subs = w.ledger().group(gid);
        Some(
            self.streams
                .iter()
                .enumerate()
                .filter(|(t, _)| TopicId::try_from(*t).is_ok_and(|t| subs.subscribes(t)))
                .filter_map(|(_, st)| {
                    let g = &st.groups[st.group(gid)?];
                    Some((st.entries.len() - st.position(g.cursor)) as u64)
                })
                .sum(),
        )
    }
}
