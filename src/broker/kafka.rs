//! Kafka: a replicated, partitioned log that keeps records whether read or not.
//!
//! ```text
//!   P1 ──records──> [ kafka cluster: R brokers ]
//!                     topic "metrics": p0 [0 1 2 3][4 5 6|7 8]   <- segments; group a at 3, b at 5
//!                                     p1 [0 1 2|3 ...]            (the last one is active)
//!   group a: A1 owns p0, A2 owns p1  (one member per partition)   group b: B1 owns both
//! ```
//!
//! Models (reference, "Kafka"; `shared/reference/broker-behaviour.md`):
//! - Topics of `partitions` partitions; a keyed record goes to `toPositive(murmur2(key)) %
//!   partitions` like the Java client (the key's bytes are its decimal number), unkeyed records
//!   spread round-robin per producer. Order holds per partition only.
//! - Records stay, read or not, in segments: a partition's log rolls to a new segment when the
//!   next record would pass `segment_bytes` (1 GiB) or the active segment's first record is older
//!   than `segment_ms` (7 days). Retention deletes whole segments, oldest first, as
//!   `UnifiedLog.deleteOldSegments` does: a segment whose newest record is older than
//!   `retention_s`, or whose deletion keeps the partition at or above `retention_bytes`; never past
//!   the high watermark. Records in the active segment therefore outlive the retention while
//!   writes continue (if they stop for longer than retention.ms, Kafka rolls and deletes it too).
//! - Every consumer group reads every record; within a group each partition has one owner,
//!   assigned by the range assignor and rebalanced when members join, leave cleanly, miss the
//!   session timeout after a crash (`session_timeout_ms`, 45 s), or take longer than
//!   `max_poll_interval_ms` (300 s) to process the batch one poll returned (up to
//!   `max_poll_records`): such a member is evicted, the new owner reads again from the last
//!   commit (duplicates), and the slow one rejoins at its next poll. The broker never drops a
//!   slow consumer: it lags.
//! - Membership, as the classic group coordinator keeps it (apache/kafka `GroupMetadataManager`,
//!   `ClassicGroup.hasAllMembersJoined`) with the Java client's default eager assignor (range):
//!   a rebalance's join phase completes only when every member has rejoined, and a member that
//!   crashed is removed only when its session ends (`removeMemberAndUpdateClassicGroup` on the
//!   heartbeat's expiry). Meanwhile every member has revoked its partitions (committing first)
//!   and the whole group waits. A restarted consumer without `group.instance.id` joins as a new
//!   member, so its old self holds up that rebalance until `session_timeout_ms` after the crash.
//!   With `static_membership` (`group.instance.id`, KIP-345) a member that comes back within its
//!   session gets its old member id and assignment back without a rebalance
//!   (`updateStaticMemberThenRebalanceOrCompleteJoin` in the Stable state) and re-reads its
//!   partitions from the last commit; a static member that closes sends no LeaveGroup
//!   (`AbstractCoordinator.maybeLeaveGroup`), so it too stays until its session ends. A consumer
//!   whose link was cut keeps its member id: when the link heals within the session it resumes.
//! - Consumers fetch up to `max_poll_records` ahead and auto-commit what they processed every
//!   `auto_commit_ms` (5 s); a crashed consumer's partitions resume from the last commit, so what
//!   was processed since is processed again. A group joining later starts at `offset_reset`:
//!   `earliest` replays the retained history (`replayed`), `latest` (the Java default) sees only
//!   new records; a committed offset that retention deleted falls back to it too (with `latest`,
//!   skipping the backlog: `offset-reset` losses).
//! - Each partition has `replication` replicas on distinct brokers; consumers read up to the
//!   high watermark (records every in-sync replica has, one hop after the append;
//!   min.insync.replicas = 1). When a leader crashes, a live replica takes over with what it had
//!   copied: with acks=all the records it lacked were never acknowledged and the idempotent
//!   producer sends them again, in order, with the requests that were on their way to the dead
//!   leader (each request carries the leader epoch); with acks=0/1 the unreplicated records are
//!   lost (`leader-failover`). With no live replica the partition is offline until one returns
//!   (unclean.leader.election=false); producers retry for `delivery.timeout.ms` (120 s), then
//!   give up (`retries-exhausted`).
//!
//! A trace's [`crate::engine::Origin`] names the partition (across topics: `place`) and the
//! record's `offset`.
//!
//! Leaves out: idempotence sequence numbers as such (order is kept by resending in order),
//! transactions and exactly-once, commit-before-processing (at-most-once) consumers,
//! auto-commit happening inside `poll()` (here a timer commits for live owners, so a member
//! stuck in a long batch still commits), cooperative rebalancing and the consumer protocol of
//! KIP-848, the heartbeat interval (members learn of a rebalance at once), the rebalance timeout
//! (a join waits for a crashed member's session, never for `max.poll.interval.ms`), records
//! fetched but not yet returned by `poll()` being dropped at a revocation (here they are
//! processed, and read again by the next owner), the group coordinator's own failover, fetch sizes in bytes, the roll jitter and index limits of segments, log compaction,
//! tiered storage, follower fetch timing beyond one hop, ISR shrinking by lag.

mod share;

use crate::engine::state::{BrokerState, GroupOffset, ModelState, PartitionState};
use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, GroupId, KeptWhole, MsgId, MsgRef, Note, Origin, Port,
    ProducerId, RefLog, Release, Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::{millis, secs, Acks, KafkaOptions, Nanos, OffsetReset, Scenario, TopicId};
use crate::topology::{NodeId, Topology};
use std::collections::VecDeque;

/// Java producer `delivery.timeout.ms`.
pub const DELIVERY_TIMEOUT_S: f64 = 120.0;

/// What Kafka puts on its requests, records and timers.
#[derive(Clone, Copy, Debug)]
pub struct KafkaTags;

/// A produce request for a partition (global index), sent to the leader of `epoch`.
#[derive(Clone, Copy, Debug)]
pub struct Produce {
    partition: u32,
    epoch: u32,
}

/// A fetched record: its partition (global index) and offset, and which delivery of it this is
/// (a share group's delivery count; 1 for a consumer group's fetch).
#[derive(Clone, Copy, Debug, Default)]
pub struct Record {
    partition: u32,
    offset: u64,
    attempt: u32,
}

/// An offset does not fit a byte: a consumer keeps fetched records whole.
impl KeptWhole for Record {}

impl Tags for KafkaTags {
    type Publish = Produce;
    type Delivery = Record;
    type Ack = ();
    type Timer = KafkaTimer;
    fn origin(r: &Record) -> Origin {
        Origin {
            place: Some(r.partition),
            offset: Some(r.offset),
            attempt: r.attempt.max(1),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub enum KafkaTimer {
    /// Live owners commit what they processed (`auto.commit.interval.ms`).
    AutoCommit,
    /// The broker deletes expired segments (`log.retention.check.interval.ms`).
    Retention,
    /// The followers have `offset`: the high watermark passes it. (Offsets fit 32 bits: a run
    /// makes fewer messages, see `scenario::Limits::messages`.)
    HighWatermark { partition: u32, offset: u32 },
    /// A crashed member's session ends unless it came back (`epoch` is its epoch then).
    Session { consumer: ConsumerId, epoch: u32 },
    /// A record held for retry times out (`delivery.timeout.ms`).
    Expire { msg: MsgRef },
    /// Has the member taken longer than `max.poll.interval.ms` over its batch?
    Poll { consumer: ConsumerId },
    /// A share group's acquisition lock `acq` on a partition expires.
    ShareLock {
        group: u32,
        partition: u32,
        acq: u32,
    },
}

/// Kafka's `Utils.murmur2` (the Java client's default partitioner hash).
#[must_use]
#[allow(clippy::cast_possible_wrap)]
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = 0x9747_b28c ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition the Java client picks for a key: `toPositive(murmur2(key)) % partitions`.
#[must_use]
#[allow(clippy::cast_sign_loss)]
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    ((murmur2(key) & 0x7fff_ffff) as u32) % partitions
}

/// The decimal digits of `n`, without allocating.
fn decimal(n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// A log segment: the unit retention deletes.
#[derive(Clone, Copy, Debug)]
struct Segment {
    base: u64,
    bytes: u64,
    /// Append time of its first record (`segment.ms` counts from it) and of its newest one
    /// (retention by time compares it: the segment goes once its newest record is too old).
    first_at: Nanos,
    last_at: Nanos,
}

#[derive(Clone, Debug)]
struct Partition {
    topic: TopicId,
    index: u32,
    system: usize,
    /// The topic's log node (deliveries start here) and its broker system's node (produce
    /// requests go there): the edges a viewer draws.
    node: NodeId,
    broker_node: NodeId,
    /// The records from `base` on: a reference each, mostly in four bytes (what a record is, the class table says).
    log: RefLog,
    /// Offset of `log[0]`.
    base: u64,
    /// High watermark: records below it are on every replica and readable.
    hw: u64,
    bytes: u64,
    /// Oldest first; the last is the active segment, the one appends go to.
    segments: VecDeque<Segment>,
    /// Brokers (within the system's cluster) holding a replica; the first is the preferred leader.
    replicas: Vec<u32>,
    leader: Option<u32>,
    /// Bumped at each leader change: a produce request sent to an earlier leader failed with it.
    leader_epoch: u32,
}

impl Partition {
    fn end(&self) -> u64 {
        self.base + self.log.len() as u64
    }
    fn entry(&self, offset: u64) -> Option<MsgRef> {
        offset
            .checked_sub(self.base)
            .and_then(|i| self.log.get(usize::try_from(i).ok()?))
    }
}

/// A consumer's poll loop: `poll()` returns a batch of up to `max.poll.records`, the application
/// processes it, then polls again.
#[derive(Clone, Copy, Debug, Default)]
struct PollLoop {
    /// Records left of the batch the last poll returned; 0 = waiting inside `poll()`.
    batch_left: u32,
    /// When the last poll returned its batch: max.poll.interval.ms counts from here.
    returned_at: Nanos,
    /// A max.poll.interval timer is queued.
    timer: bool,
    /// Removed from its group for missing max.poll.interval.ms; it rejoins at its next poll.
    evicted: bool,
}

#[derive(Clone, Debug)]
struct KGroup {
    gid: GroupId,
    /// Members in the group: connected ones and crashed ones whose session has not expired.
    members: Vec<ConsumerId>,
    /// Per partition (global index): committed offset, next fetch, next to process, owner.
    committed: Vec<Option<u64>>,
    fetch: Vec<u64>,
    processed: Vec<u64>,
    owner: Vec<Option<ConsumerId>>,
    /// Per partition: its position in its owner's `assigned` list.
    slot: Vec<u32>,
    /// Old memberships of consumers that crashed and came back as new (dynamic) members: the
    /// coordinator keeps each until its session ends (the consumer, its epoch then).
    ghosts: Vec<(ConsumerId, u32)>,
    /// A rebalance is waiting for members that cannot rejoin (crashed, or ghosts): every
    /// partition of the group is revoked meanwhile (the eager protocol).
    joining: bool,
    /// Per partition: in [`Kafka::to_commit`] (processed past its commit since the last
    /// auto-commit that could commit it).
    to_commit: Vec<bool>,
}

/// A set of small integers (positions in a consumer's `assigned` list), as bits.
#[derive(Clone, Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: usize, on: bool) {
        let (w, b) = (i / 64, i % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        if on {
            self.0[w] |= 1 << b;
        } else {
            self.0[w] &= !(1 << b);
        }
    }
    /// The first member at or after `from`, else the first from 0 (members are below `n`).
    fn next_from(&self, from: usize, n: usize) -> Option<usize> {
        let first_at = |start: usize| -> Option<usize> {
            let mut w = start / 64;
            let mut word = self.0.get(w)? & (!0u64 << (start % 64));
            loop {
                if word != 0 {
                    let i = w * 64 + word.trailing_zeros() as usize;
                    return (i < n).then_some(i);
                }
                w += 1;
                word = *self.0.get(w)?;
            }
        };
        first_at(from).or_else(|| first_at(0).filter(|&i| i < from))
    }
}

#[derive(Clone, Debug)]
pub struct Kafka {
    opts: KafkaOptions,
    system_names: Vec<String>,
    topic_names: Vec<String>,
    /// Per system (cluster), per broker: up?
    brokers_up: Vec<Vec<bool>>,
    parts: Vec<Partition>,
    /// First partition index of each topic.
    topic_base: Vec<usize>,
    groups: Vec<KGroup>,
    /// Per ledger group (at most one per consumer): its index in `groups`.
    group_of: Vec<Option<usize>>,
    /// Per consumer: the partitions it owns, records fetched and not yet processed.
    assigned: Vec<Vec<usize>>,
    /// Per consumer: the positions in `assigned` of the partitions it can fetch from now (a
    /// leader, a record past its group's position), so a fetch costs no scan of them all.
    ready: Vec<Bits>,
    inflight: Vec<u32>,
    next_part: Vec<usize>,
    polls: Vec<PollLoop>,
    /// Per consumer: how it last went away (a cut link leaves the process, and its member id,
    /// alive).
    gone: Vec<Option<Down>>,
    /// Per producer: records waiting to be (re)sent while their partition has no leader or the
    /// link is cut.
    /// The partition is kept once chosen, as the client keeps a batch's.
    retry: Vec<VecDeque<(MsgRef, Option<usize>)>>,
    next_unkeyed: Vec<u32>,
    hw_delay: Nanos,
    /// The (group, partition) pairs processed past their commit: what the next auto-commit
    /// looks at, so that its work follows what was processed, not groups x partitions.
    to_commit: Vec<(u32, u32)>,
    timers_started: bool,
    /// Share groups (`group_type = "share"`), see [`share`].
    share: share::Share,
}

impl Kafka {
    #[must_use]
    pub fn new(s: &Scenario, opts: &KafkaOptions, topo: &Topology) -> Kafka {
        let o = opts.clone();
        let r = o.replication;
        let mut parts = Vec::new();
        let mut topic_base = Vec::new();
        for t in 0..s.topics.len() {
            topic_base.push(parts.len());
            let tid = TopicId::try_from(t).unwrap_or(0);
            let node = topo
                .logs
                .iter()
                .find(|(x, _)| *x == tid)
                .map_or(0, |(_, n)| *n);
            for p in 0..o.partitions {
                // Replicas spread round-robin over the brokers, as Kafka's assignment does.
                let first = (p + u32::try_from(t).unwrap_or(0)) % r;
                let replicas: Vec<u32> = (0..r).map(|i| (first + i) % r).collect();
                parts.push(Partition {
                    topic: tid,
                    index: p,
                    system: topo.broker_of_topic[t],
                    node,
                    broker_node: topo
                        .brokers
                        .get(topo.broker_of_topic[t])
                        .copied()
                        .unwrap_or(node),
                    log: RefLog::new(),
                    base: 0,
                    hw: 0,
                    bytes: 0,
                    segments: VecDeque::new(),
                    leader: Some(replicas[0]),
                    leader_epoch: 0,
                    replicas,
                });
            }
        }
        let n_consumers = topo.consumers.len();
        Kafka {
            topic_names: s.topics.clone(),
            system_names: topo
                .brokers
                .iter()
                .map(|&b| topo.node(b).name.clone())
                .collect(),
            brokers_up: vec![vec![true; r as usize]; topo.brokers.len()],
            parts,
            topic_base,
            groups: Vec::new(),
            group_of: vec![None; n_consumers],
            assigned: vec![Vec::new(); n_consumers],
            ready: vec![Bits::default(); n_consumers],
            inflight: vec![0; n_consumers],
            next_part: vec![0; n_consumers],
            polls: vec![PollLoop::default(); n_consumers],
            gone: vec![None; n_consumers],
            retry: vec![VecDeque::new(); s.producers.len()],
            next_unkeyed: vec![0; s.producers.len()],
            hw_delay: if r > 1 { s.latency } else { 0 },
            to_commit: Vec::new(),
            timers_started: false,
            share: share::Share::new(n_consumers),
            opts: o,
        }
    }

    fn start_timers(&mut self, p: &mut Port<'_, KafkaTags>) {
        if !self.timers_started {
            self.timers_started = true;
            p.schedule(
                p.now() + millis(self.opts.auto_commit_ms),
                KafkaTimer::AutoCommit,
            );
            p.schedule(p.now() + self.retention_check(), KafkaTimer::Retention);
        }
    }

    fn retention_check(&self) -> Nanos {
        secs(self.opts.retention_check_s()).max(1)
    }

    fn partition_of(&mut self, w: &World<KafkaTags>, m: MsgRef) -> usize {
        let msg = w.info(m);
        let t = usize::from(msg.topic);
        let n = self.opts.partitions;
        let p = match msg.key {
            None => {
                let rr = &mut self.next_unkeyed[msg.producer.ix()];
                *rr = rr.wrapping_add(1);
                *rr % n
            }
            Some(k) => {
                let mut buf = [0u8; 10];
                partition_for_key(decimal(k, &mut buf), n)
            }
        };
        self.topic_base[t] + p as usize
    }

    fn send(&mut self, p: &mut Port<'_, KafkaTags>, m: MsgRef) {
        let pi = self.partition_of(p, m);
        self.send_to(p, m, pi);
    }

    /// A produce request to the current leader of partition `pi` (the hop carries its epoch).
    fn send_to(&mut self, p: &mut Port<'_, KafkaTags>, m: MsgRef, pi: usize) {
        let tag = Produce {
            partition: partition_tag(pi),
            epoch: self.parts[pi].leader_epoch,
        };
        p.publish(m, self.parts[pi].broker_node, tag);
    }

    /// The producer keeps `m` (its copy already counted) and retries until the timeout.
    fn hold_for_retry(&mut self, p: &mut Port<'_, KafkaTags>, m: MsgRef, partition: Option<usize>) {
        let producer = p.info(m).producer;
        self.retry[producer.ix()].push_back((m, partition));
        let node = p.producer_node(m);
        p.note(m, node, Note::Held, |w| {
            let why = if w.producer_connected(m) {
                "the partition has no leader"
            } else {
                "its link is cut"
            };
            format!("producer's buffer, retried until delivery.timeout.ms: {why}")
        });
        // A message no group waits for keeps no creation time: it waits the timeout from now.
        let created = p.created(m.id).unwrap_or(p.now());
        let deadline = created + secs(DELIVERY_TIMEOUT_S);
        p.schedule(deadline.max(p.now()), KafkaTimer::Expire { msg: m });
    }

    fn flush_retries(&mut self, p: &mut Port<'_, KafkaTags>) {
        for pr in 0..self.retry.len() {
            if ProducerId::from_ix(pr).is_none_or(|x| p.producer_link_down(x)) {
                continue;
            }
            let held: Vec<(MsgRef, Option<usize>)> = self.retry[pr].drain(..).collect();
            for (m, pi) in held {
                match pi {
                    None => self.send(p, m),
                    Some(pi) => self.send_to(p, m, pi),
                }
            }
        }
    }

    fn append(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize, m: MsgRef) {
        let size = p.info(m).size;
        let now = p.now();
        let (segment_bytes, segment_ms) = (self.opts.segment_bytes, millis(self.opts.segment_ms));
        let part = &mut self.parts[pi];
        let offset = part.end();
        // LogSegment.shouldRoll: the record would not fit, or the segment's first record is
        // older than segment.ms (checked when a record comes, as Kafka does).
        let roll = part.segments.back().is_none_or(|s| {
            s.bytes > 0
                && (s.bytes + u64::from(size) > segment_bytes
                    || now.saturating_sub(s.first_at) > segment_ms)
        });
        if roll {
            part.segments.push_back(Segment {
                base: offset,
                bytes: 0,
                first_at: now,
                last_at: now,
            });
        }
        if let Some(s) = part.segments.back_mut() {
            s.bytes += u64::from(size);
            s.last_at = now;
        }
        part.log.push_back(m);
        part.bytes += u64::from(size);
        let (topic, index, node) = (usize::from(part.topic), part.index, part.node);
        p.store(size);
        let names = &self.topic_names;
        p.note(m, node, Note::Stored, |_| {
            format!("partition {}-{index}, offset {offset}", names[topic])
        });
        // The log now holds the copy that travelled, for every group waiting for it: nothing to
        // hold or release.
        if self.hw_delay == 0 {
            self.parts[pi].hw = offset + 1;
            self.wake(p, pi);
        } else {
            let t = KafkaTimer::HighWatermark {
                partition: partition_tag(pi),
                offset: u32::try_from(offset).unwrap_or(u32::MAX),
            };
            if self.hw_delay == p.latency() {
                // One hop, like the followers' fetch: due in the order set (FIFO lane).
                p.schedule_after_latency(t);
            } else {
                p.schedule(now + self.hw_delay, t);
            }
        }
    }

    /// `UnifiedLog.deleteOldSegments`: whole segments go, oldest first, by time (the newest
    /// record of the segment is older than retention.ms) and by size (deleting it keeps at least
    /// retention.bytes), never past the high watermark, never a last segment that is empty. An
    /// active segment goes only when even its newest record expired (Kafka rolls a new one
    /// first): while records keep coming, the active segment stays.
    fn retain(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize) {
        let horizon = secs(self.opts.retention_s);
        let max_bytes = u64::try_from(self.opts.retention_bytes).ok();
        loop {
            let part = &self.parts[pi];
            let Some(seg) = part.segments.front().copied() else {
                break;
            };
            let next_base = part.segments.get(1).map(|s| s.base);
            let upper = next_base.unwrap_or(part.end());
            let last_and_empty = next_base.is_none() && seg.bytes == 0;
            let by_time = p.now().saturating_sub(seg.last_at) > horizon;
            let by_size = max_bytes.is_some_and(|mb| part.bytes.saturating_sub(mb) >= seg.bytes);
            if last_and_empty || part.hw < upper || !(by_time || by_size) {
                break;
            }
            let node = part.node;
            self.parts[pi].segments.pop_front();
            while self.parts[pi].base < upper {
                let part = &mut self.parts[pi];
                let Some(e) = part.log.pop_front() else {
                    break;
                };
                let offset = part.base;
                part.base += 1;
                part.hw = part.hw.max(part.base);
                let size = p.info(e).size;
                part.bytes -= u64::from(size);
                p.unstore(size);
                p.note(e, node, Note::Removed, |_| {
                    format!("offset {offset} deleted by retention")
                });
                for g in &self.groups {
                    if g.committed[pi].is_none_or(|c| c <= offset) {
                        p.release(e, g.gid, Release::Lost(LossReason::Retention), node);
                    }
                }
                self.share_deleted(p, pi, offset, e);
            }
        }
    }

    /// Let the owners of partition `pi` fetch.
    fn wake(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize) {
        self.share_wake_all(p, pi);
        for kg in 0..self.groups.len() {
            // A group that does not own it has no ready set to mark (most groups: one topic's
            // partition is owned by the groups that read the topic).
            if let Some(c) = self.groups[kg].owner[pi] {
                self.mark(kg, pi);
                self.pump(p, c);
            }
        }
    }

    /// Whether group `kg`'s owner of partition `pi` can fetch from it now.
    fn can_fetch(&self, kg: usize, pi: usize) -> bool {
        self.parts[pi].leader.is_some() && self.groups[kg].fetch[pi] < self.parts[pi].hw
    }

    /// Note in its owner's ready set whether group `kg` can fetch from partition `pi`.
    fn mark(&mut self, kg: usize, pi: usize) {
        let on = self.can_fetch(kg, pi);
        let g = &self.groups[kg];
        if let Some(c) = g.owner[pi] {
            let slot = g.slot[pi] as usize;
            self.ready[c.ix()].set(slot, on);
        }
    }

    /// [`Kafka::mark`] for every group (the partition's leader or high watermark changed).
    fn mark_all(&mut self, pi: usize) {
        for kg in 0..self.groups.len() {
            self.mark(kg, pi);
        }
    }

    /// Consumer `c` (of group `kg`) owns other partitions now: where each is in its list, and
    /// which it can fetch from.
    fn rebuild(&mut self, kg: usize, c: ConsumerId) {
        let mut bits = Bits::default();
        for (i, &pi) in self.assigned[c.ix()].iter().enumerate() {
            self.groups[kg].slot[pi] = u32::try_from(i).unwrap_or(u32::MAX);
            bits.set(i, self.can_fetch(kg, pi));
        }
        self.ready[c.ix()] = bits;
    }

    /// The index in `groups` of consumer `c`'s group, if it has one here.
    fn kgroup_of(&self, w: &World<KafkaTags>, c: ConsumerId) -> Option<usize> {
        self.group_of.get(w.group_of(c)?.ix()).copied().flatten()
    }

    fn pump(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let ci = c.ix();
        if !p.consumer(c).connected() {
            return;
        }
        let Some(kg) = self.kgroup_of(p, c) else {
            return;
        };
        let max = self.opts.max_poll_records;
        let n = self.assigned[ci].len();
        // Its partitions in turn from where it left off, skipping those with nothing to fetch.
        while self.inflight[ci] < max {
            let Some(i) = self.ready[ci].next_from(self.next_part[ci] % n.max(1), n) else {
                break;
            };
            let pi = self.assigned[ci][i];
            self.next_part[ci] = (i + 1) % n;
            if self.groups[kg].fetch[pi] < self.parts[pi].base {
                self.offset_out_of_range(p, kg, pi);
            }
            let pos = self.groups[kg].fetch[pi];
            if pos >= self.parts[pi].hw {
                self.mark(kg, pi);
                continue;
            }
            let Some(e) = self.parts[pi].entry(pos) else {
                break;
            };
            self.groups[kg].fetch[pi] = pos + 1;
            self.mark(kg, pi);
            self.inflight[ci] += 1;
            p.hold(e, self.groups[kg].gid);
            let tag = Record {
                partition: partition_tag(pi),
                offset: pos,
                attempt: 1,
            };
            p.deliver(c, e, self.parts[pi].node, tag, false);
        }
    }

    /// The group's position was deleted by retention: `auto.offset.reset` decides.
    fn offset_out_of_range(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize, pi: usize) {
        let part = &self.parts[pi];
        let (base, end) = (part.base, part.end());
        let g = self.groups[kg].gid;
        let to = match self.opts.offset_reset {
            OffsetReset::Earliest => base,
            OffsetReset::Latest => {
                // Skipping the backlog: the records between are never read by this group.
                let lost = Release::Lost(LossReason::OffsetReset);
                for e in part.log.iter() {
                    p.release(e, g, lost, part.node);
                }
                end
            }
        };
        let grp = &mut self.groups[kg];
        grp.fetch[pi] = to;
        grp.processed[pi] = to;
        grp.committed[pi] = Some(to);
    }

    fn commit(&mut self, kg: usize, pi: usize) {
        let grp = &mut self.groups[kg];
        let to = grp.processed[pi];
        if grp.committed[pi].is_none_or(|c| to > c) {
            grp.committed[pi] = Some(to);
        }
    }

    fn group_topics(w: &World<KafkaTags>, gid: GroupId) -> Vec<TopicId> {
        let g = w.ledger().group(gid);
        (0..g.topics.len())
            .filter(|&t| g.topics[t])
            .filter_map(|t| TopicId::try_from(t).ok())
            .collect()
    }

    /// Range assignor: per topic, members subscribed to it (by id) take contiguous partitions.
    /// The join completes only once every member has rejoined: while one cannot (it crashed and
    /// its session has not ended, or it is the old self of a restarted member), the group waits
    /// with every partition revoked, as the eager protocol does.
    fn rebalance(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize) {
        let gid = self.groups[kg].gid;
        let n = self.opts.partitions as usize;
        let mut members = self.groups[kg].members.clone();
        members.sort_unstable();
        let waiting = !self.groups[kg].ghosts.is_empty()
            || members.iter().any(|&c| !p.consumer(c).connected());
        self.groups[kg].joining = waiting;
        let mut new_owner: Vec<(usize, Option<ConsumerId>)> = Vec::new();
        for t in Self::group_topics(p, gid) {
            let subs: Vec<ConsumerId> = members
                .iter()
                .copied()
                .filter(|&c| p.consumer(c).subscribes(t))
                .collect();
            let base = self.topic_base[usize::from(t)];
            if subs.is_empty() || waiting {
                for i in 0..n {
                    new_owner.push((base + i, None));
                }
                continue;
            }
            let (each, extra) = (n / subs.len(), n % subs.len());
            let mut next = 0;
            for (k, &c) in subs.iter().enumerate() {
                let take = each + usize::from(k < extra);
                for i in next..next + take {
                    new_owner.push((base + i, Some(c)));
                }
                next += take;
            }
        }
        let mut touched = self.groups[kg].members.clone();
        for (pi, owner) in new_owner {
            touched.extend(self.hand_partition(p, kg, pi, owner));
        }
        touched.sort_unstable();
        touched.dedup();
        for &c in &touched {
            self.rebuild(kg, c);
        }
        for c in self.groups[kg].members.clone() {
            self.pump(p, c);
        }
    }

    /// Partition `pi` of group `kg` goes to `owner`, who reads from the committed offset.
    fn hand_partition(
        &mut self,
        p: &Port<'_, KafkaTags>,
        kg: usize,
        pi: usize,
        owner: Option<ConsumerId>,
    ) -> Option<ConsumerId> {
        let old = self.groups[kg].owner[pi];
        if self.groups[kg].committed[pi].is_none() {
            let start = match self.opts.offset_reset {
                OffsetReset::Earliest => self.parts[pi].base,
                OffsetReset::Latest => self.parts[pi].end(),
            };
            let grp = &mut self.groups[kg];
            grp.committed[pi] = Some(start);
            grp.fetch[pi] = start;
            grp.processed[pi] = start;
        }
        if old == owner {
            return None;
        }
        if let Some(o) = old {
            // The previous owner, if alive, commits what it processed before giving it up.
            if p.consumer(o).connected() {
                self.commit(kg, pi);
            }
            self.assigned[o.ix()].retain(|&x| x != pi);
        }
        let grp = &mut self.groups[kg];
        let from = grp.committed[pi].unwrap_or(0);
        grp.fetch[pi] = from;
        grp.processed[pi] = from;
        grp.owner[pi] = owner;
        if let Some(c) = owner {
            self.assigned[c.ix()].push(pi);
        }
        // Its list changed: its positions are found again.
        old
    }

    /// The index in `groups` of ledger group `gid`, made on first use.
    fn group_index(&mut self, gid: GroupId) -> usize {
        if let Some(i) = self.group_of.get(gid.ix()).copied().flatten() {
            return i;
        }
        let n = self.parts.len();
        self.groups.push(KGroup {
            gid,
            members: Vec::new(),
            committed: vec![None; n],
            fetch: vec![0; n],
            processed: vec![0; n],
            owner: vec![None; n],
            slot: vec![u32::MAX; n],
            ghosts: Vec::new(),
            joining: false,
            to_commit: vec![false; n],
        });
        let i = self.groups.len() - 1;
        if let Some(slot) = self.group_of.get_mut(gid.ix()) {
            *slot = Some(i);
        }
        i
    }

    /// `poll()` returns: the records in memory (up to max.poll.records) are the next batch.
    fn poll_returns(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let held = u32::try_from(p.consumer(c).held()).unwrap_or(u32::MAX);
        let poll = &mut self.polls[c.ix()];
        poll.batch_left = held.min(self.opts.max_poll_records);
        if poll.batch_left == 0 {
            return;
        }
        poll.returned_at = p.now();
        if !poll.timer {
            poll.timer = true;
            let at = p.now() + millis(self.opts.max_poll_interval_ms);
            p.schedule(at, KafkaTimer::Poll { consumer: c });
        }
    }

    /// The application finished its batch and calls `poll()` again; a member evicted meanwhile
    /// rejoins its group there (and gets partitions again from the committed offsets).
    fn poll_again(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        if self.polls[c.ix()].evicted {
            self.polls[c.ix()].evicted = false;
            if let Some(gid) = p.group_of(c) {
                let kg = self.group_index(gid);
                if !self.groups[kg].members.contains(&c) {
                    self.groups[kg].members.push(c);
                }
                self.rebalance(p, kg);
            }
        }
        self.poll_returns(p, c);
    }

    fn leave(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let Some(gid) = p.group_of(c) else { return };
        let kg = self.group_index(gid);
        self.groups[kg].members.retain(|&x| x != c);
        for pi in self.assigned[c.ix()].clone() {
            self.groups[kg].owner[pi] = None;
        }
        self.assigned[c.ix()].clear();
        self.rebuild(kg, c);
        self.rebalance(p, kg);
    }

    /// Brokers hit by a crash: the leader of the topic's first partition, or all of them.
    fn brokers_hit(&self, topic: Option<TopicId>) -> Vec<(usize, u32)> {
        match topic {
            Some(t) => {
                let p = &self.parts[self.topic_base[usize::from(t)]];
                let b = p.leader.unwrap_or(p.replicas[0]);
                vec![(p.system, b)]
            }
            None => (0..self.brokers_up.len())
                .flat_map(|s| {
                    (0..self.brokers_up[s].len()).map(move |b| (s, u32::try_from(b).unwrap_or(0)))
                })
                .collect(),
        }
    }

    /// The leader of partition `pi` died: a live replica takes over with what it had copied.
    fn fail_over(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize) {
        let s = self.parts[pi].system;
        let up = &self.brokers_up[s];
        let successor = self.parts[pi]
            .replicas
            .iter()
            .copied()
            .find(|&r| up[r as usize]);
        self.parts[pi].leader = successor;
        if successor.is_none() {
            // Offline: nobody can fetch from it.
            self.mark_all(pi);
            self.share_failover(p, pi);
            return;
        }
        // The new leader has only what was replicated: records at or past the high watermark
        // are gone from the log.
        let hw = self.parts[pi].hw;
        let node = self.parts[pi].node;
        let cut = self.truncate(p, pi, hw);
        // Requests on their way to the dead leader fail too. The idempotent producer resends
        // what was never acknowledged in sequence order: the unreplicated records first
        // (acks=all only: acks=0/1 had acknowledged them), then those.
        let old_epoch = self.parts[pi].leader_epoch;
        self.parts[pi].leader_epoch += 1;
        let mut resend: Vec<MsgRef> = Vec::new();
        if self.opts.acks != Acks::Zero {
            let tag = partition_tag(pi);
            resend.extend(
                p.publishes_in_flight()
                    .filter(|(_, r)| r.partition == tag && r.epoch == old_epoch)
                    .map(|(m, _)| m),
            );
            // The producer's buffer holds them again (the hops on the way are void now).
            for &m in &resend {
                p.hold_all(m);
            }
        }
        for &m in &cut {
            if self.opts.acks == Acks::All {
                resend.push(m);
            } else {
                p.release_all(m, Release::Lost(LossReason::LeaderFailover), node);
            }
        }
        // Message ids grow with each producer's sends: their order is the sequence.
        resend.sort_unstable();
        for m in resend {
            self.hold_for_retry(p, m, Some(pi));
        }
        // A group whose position was past the new end (it read records the new leader never
        // had) is out of range: auto.offset.reset decides where it goes on, as a fetch there
        // would be told. Offsets past the end will be given to new records.
        let base = self.parts[pi].base;
        let reset = self.opts.offset_reset;
        for g in &mut self.groups {
            g.fetch[pi] = g.fetch[pi].min(hw);
            g.processed[pi] = g.processed[pi].min(hw);
            if g.committed[pi].is_some_and(|c| c > hw) {
                let to = match reset {
                    OffsetReset::Earliest => base,
                    OffsetReset::Latest => hw,
                };
                g.committed[pi] = Some(to);
                g.fetch[pi] = to;
                g.processed[pi] = to;
            }
        }
        self.mark_all(pi);
        self.share_failover(p, pi);
    }

    /// Cut partition `pi`'s log back to `end`; returns the records cut, newest first.
    fn truncate(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize, end: u64) -> Vec<MsgRef> {
        let mut cut = Vec::new();
        let part = &mut self.parts[pi];
        while part.end() > end {
            let Some(e) = part.log.pop_back() else { break };
            let size = p.info(e).size;
            part.bytes -= u64::from(size);
            p.unstore(size);
            cut.push(e);
            // Truncation removes segments that start past the new end.
            let new_end = part.end();
            while part.segments.back().is_some_and(|s| s.base > new_end) {
                part.segments.pop_back();
            }
            if let Some(s) = part.segments.back_mut() {
                s.bytes = s.bytes.saturating_sub(u64::from(size));
            }
            if part.segments.back().is_some_and(|s| s.base == new_end) {
                part.segments.pop_back();
            }
        }
        cut
    }
}

/// A partition's global index as the tag of what is sent for it (at most 1024 per topic).
fn partition_tag(pi: usize) -> u32 {
    u32::try_from(pi).unwrap_or(u32::MAX)
}

/// A group's index in `groups`, as a timer or list keeps it (groups are at most one a consumer).
fn tag_of(kg: usize) -> u32 {
    u32::try_from(kg).unwrap_or(u32::MAX)
}

impl BrokerModel for Kafka {
    type Tags = KafkaTags;

    fn publish(&mut self, p: &mut Port<'_, KafkaTags>, m: MsgRef) {
        self.start_timers(p);
        p.hold_all(m);
        if p.producer_connected(m) {
            self.send(p, m);
        } else {
            // The Java producer buffers and retries (retries=MAX_INT) until delivery.timeout.ms.
            self.hold_for_retry(p, m, None);
        }
    }

    fn arrive(&mut self, p: &mut Port<'_, KafkaTags>, m: MsgRef, _at: NodeId, tag: Produce) {
        let pi = tag.partition as usize;
        if tag.epoch != self.parts[pi].leader_epoch {
            // Sent to a leader that died on the way: the producer resent it at the failover
            // (acks=1/all), in order; with acks=0 nobody resends it.
            let node = self.parts[pi].node;
            return p.release_all(m, Release::Lost(LossReason::LeaderFailover), node);
        }
        if self.parts[pi].leader.is_some() {
            self.append(p, pi, m);
        } else {
            // NOT_LEADER / no leader: the producer retries.
            self.hold_for_retry(p, m, Some(pi));
        }
    }

    fn delivered(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId, d: Delivery<Record>) {
        if self.is_share() {
            return self.share_delivered(p, c, d);
        }
        p.hand_over(c, d);
        if self.polls[c.ix()].batch_left == 0 {
            // It was waiting inside poll(): records came, poll returns.
            self.poll_returns(p, c);
        }
    }

    fn processed(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId, d: Delivery<Record>) {
        if self.is_share() {
            return self.share_processed(p, c, d);
        }
        let ci = c.ix();
        self.inflight[ci] = self.inflight[ci].saturating_sub(1);
        let pi = d.tag.partition as usize;
        if let Some(kg) = self.kgroup_of(p, c) {
            let grp = &mut self.groups[kg];
            if grp.owner[pi] == Some(c) {
                grp.processed[pi] = grp.processed[pi].max(d.tag.offset + 1);
                // The one place a position passes its commit (the others set both, or lower
                // it): the next auto-commit looks here.
                if !grp.to_commit[pi] {
                    grp.to_commit[pi] = true;
                    self.to_commit.push((tag_of(kg), partition_tag(pi)));
                }
            }
        }
        let poll = &mut self.polls[ci];
        poll.batch_left = poll.batch_left.saturating_sub(1);
        if poll.batch_left == 0 {
            self.poll_again(p, c);
        }
        self.pump(p, c);
    }

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<Record>],
    ) {
        if self.is_share() {
            return self.share_down(p, c, how, held);
        }
        let ci = c.ix();
        self.gone[ci] = Some(how);
        // The log still holds these records for the group, unless retention took them: then
        // the delivery goes with this copy.
        p.release_held(c, held, Release::Lost(how.loss(LossReason::Retention)));
        self.inflight[ci] = 0;
        self.polls[ci].batch_left = 0;
        self.polls[ci].evicted = false;
        let Some(gid) = p.group_of(c) else { return };
        let kg = self.group_index(gid);
        if how == Down::Offline {
            // close() commits what was processed; a dynamic member then leaves its group at
            // once, a static one sends no LeaveGroup and stays until its session ends.
            for pi in self.assigned[ci].clone() {
                self.commit(kg, pi);
            }
            if !self.opts.static_membership {
                return self.leave(p, c);
            }
        }
        // Nobody knows yet: the partitions stay assigned until the session times out.
        let at = p.now() + millis(self.opts.session_timeout_ms);
        let epoch = p.consumer(c).epoch();
        p.schedule(at, KafkaTimer::Session { consumer: c, epoch });
    }

    fn consumer_up(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        self.start_timers(p);
        if self.is_share() {
            return self.share_join(p, c);
        }
        let ci = c.ix();
        let Some(gid) = p.group_of(c) else { return };
        let kg = self.group_index(gid);
        self.polls[ci].batch_left = 0;
        self.polls[ci].evicted = false;
        let member = self.groups[kg].members.contains(&c);
        let same_process = self.gone[ci].take() == Some(Down::LinkDown);
        if member && (self.opts.static_membership || same_process) {
            return self.resume(p, kg, c);
        }
        if member {
            // A dynamic member comes back with a new member id: the coordinator keeps the old
            // one until its session ends, and the rebalance the new one starts waits for it.
            let epoch = p.consumer(c).epoch();
            self.groups[kg].ghosts.push((c, epoch));
        } else {
            self.groups[kg].members.push(c);
        }
        for pi in self.assigned[ci].clone() {
            self.groups[kg].owner[pi] = None;
        }
        self.assigned[ci].clear();
        self.rebalance(p, kg);
    }

    fn broker_crash(&mut self, p: &mut Port<'_, KafkaTags>, topic: Option<TopicId>) {
        for (s, b) in self.brokers_hit(topic) {
            self.brokers_up[s][b as usize] = false;
            for pi in 0..self.parts.len() {
                if self.parts[pi].system == s && self.parts[pi].leader == Some(b) {
                    self.fail_over(p, pi);
                }
            }
        }
        self.flush_retries(p);
    }

    fn broker_restart(&mut self, p: &mut Port<'_, KafkaTags>, topic: Option<TopicId>) {
        let hit: Vec<(usize, u32)> = match topic {
            // The broker that crashed for this topic: any down broker of its cluster.
            Some(t) => {
                let s = self.parts[self.topic_base[usize::from(t)]].system;
                (0..self.brokers_up[s].len())
                    .filter(|&b| !self.brokers_up[s][b])
                    .map(|b| (s, u32::try_from(b).unwrap_or(0)))
                    .collect()
            }
            None => self.brokers_hit(None),
        };
        for (s, b) in hit {
            self.brokers_up[s][b as usize] = true;
            for pi in 0..self.parts.len() {
                let part = &mut self.parts[pi];
                if part.system == s && part.leader.is_none() && part.replicas.contains(&b) {
                    part.leader = Some(b);
                    part.hw = part.end();
                }
            }
        }
        // Every partition is fetchable again before anyone fetches (a fetch goes through all
        // of a consumer's partitions).
        for pi in 0..self.parts.len() {
            self.mark_all(pi);
        }
        self.flush_retries(p);
        for pi in 0..self.parts.len() {
            self.wake(p, pi);
        }
    }

    fn producer_up(&mut self, p: &mut Port<'_, KafkaTags>, _producer: ProducerId) {
        self.flush_retries(p);
    }

    fn timer(&mut self, p: &mut Port<'_, KafkaTags>, t: KafkaTimer) {
        match t {
            KafkaTimer::AutoCommit => {
                // Live owners commit what they processed. Only pairs processed past their
                // commit can change; one whose owner is away (or gone) waits for a later one.
                let pairs = std::mem::take(&mut self.to_commit);
                for &(kg, pi) in &pairs {
                    let (kg, pi) = (kg as usize, pi as usize);
                    if let Some(o) = self.groups[kg].owner[pi] {
                        if p.consumer(o).connected() {
                            self.commit(kg, pi);
                        }
                    }
                    let g = &mut self.groups[kg];
                    if g.committed[pi].is_some_and(|c| g.processed[pi] <= c) {
                        g.to_commit[pi] = false;
                    } else {
                        self.to_commit.push((tag_of(kg), partition_tag(pi)));
                    }
                }
                p.schedule(
                    p.now() + millis(self.opts.auto_commit_ms),
                    KafkaTimer::AutoCommit,
                );
            }
            KafkaTimer::Retention => {
                for pi in 0..self.parts.len() {
                    self.retain(p, pi);
                }
                p.schedule(p.now() + self.retention_check(), KafkaTimer::Retention);
            }
            KafkaTimer::HighWatermark { partition, offset } => {
                let pi = partition as usize;
                let part = &mut self.parts[pi];
                // A crash may have cut the log below this offset since.
                let offset = u64::from(offset);
                if part.leader.is_some() && offset < part.end() {
                    part.hw = part.hw.max(offset + 1);
                    self.wake(p, pi);
                }
            }
            KafkaTimer::Session { consumer, epoch } => self.session_ends(p, consumer, epoch),
            KafkaTimer::Poll { consumer: c } => self.poll_timer(p, c),
            KafkaTimer::ShareLock {
                group,
                partition,
                acq,
            } => self.share_lock_expired(p, group as usize, partition as usize, acq),
            KafkaTimer::Expire { msg: m } => {
                let pr = p.info(m).producer.ix();
                if let Some(i) = self.retry[pr].iter().position(|&(x, _)| x == m) {
                    self.retry[pr].remove(i);
                    let node = p.producer_node(m);
                    p.release_all(m, Release::Lost(LossReason::RetriesExhausted), node);
                }
            }
        }
    }

    fn check(&self, _w: &World<KafkaTags>) -> Result<(), String> {
        // Every position past its commit is where the next auto-commit looks.
        let listed: std::collections::HashSet<&(u32, u32)> = self.to_commit.iter().collect();
        for (kg, g) in self.groups.iter().enumerate() {
            for pi in 0..self.parts.len() {
                let ahead = g.committed[pi].map_or(g.processed[pi] > 0, |c| g.processed[pi] > c);
                let listed = listed.contains(&(tag_of(kg), partition_tag(pi)));
                if ahead && !(g.to_commit[pi] && listed) {
                    return Err(format!(
                        "group {kg}, partition {pi}: processed to {} past its commit {:?}, not \
                         listed for the next auto-commit",
                        g.processed[pi], g.committed[pi]
                    ));
                }
            }
        }
        self.share_check()
    }

    fn approx_bytes(&self) -> usize {
        use crate::engine::bytes_of;
        let logs: usize = self
            .parts
            .iter()
            .map(|p| p.log.bytes() + bytes_of::<Segment>(p.segments.capacity()))
            .sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|g| g.owner.len() * 45)
            .sum::<usize>()
            + bytes_of::<(u32, u32)>(self.to_commit.capacity());
        let retry: usize = self
            .retry
            .iter()
            .map(|r| bytes_of::<(MsgRef, Option<usize>)>(r.capacity()))
            .sum();
        logs + groups + retry
    }

    fn holdings(&self, w: &World<KafkaTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for (pi, part) in self.parts.iter().enumerate() {
            for (i, e) in part.log.iter().enumerate() {
                let offset = part.base + i as u64;
                for g in &self.groups {
                    if g.committed[pi].is_none_or(|c| c <= offset) && w.is_pending(e, g.gid) {
                        f(e.id, g.gid);
                    }
                }
            }
        }
        for q in &self.retry {
            for &(m, _) in q {
                for g in w.pending_groups(m) {
                    f(m.id, g);
                }
            }
        }
        self.share_holdings(w, f);
    }

    fn state(&self, w: &World<KafkaTags>) -> ModelState {
        let mut brokers = Vec::new();
        for (s, up) in self.brokers_up.iter().enumerate() {
            for (b, &u) in up.iter().enumerate() {
                brokers.push(BrokerState {
                    name: format!("{}/{}", self.system_names[s], b + 1),
                    up: u,
                    system: s,
                });
            }
        }
        let partitions = self
            .parts
            .iter()
            .enumerate()
            .map(|(pi, p)| PartitionState {
                topic: self.topic_names[usize::from(p.topic)].clone(),
                high_watermark: p.hw,
                segments: p.segments.len() as u64,
                active_segment_base: p.segments.back().map_or(p.end(), |s| s.base),
                bytes: p.bytes,
                partition: p.index,
                node: p.node,
                log_start_offset: p.base,
                log_end_offset: p.end(),
                leader: p.leader.map(|b| b + 1),
                groups: self
                    .groups
                    .iter()
                    .filter(|g| w.ledger().group(g.gid).subscribes(p.topic))
                    .map(|g| {
                        let committed = g.committed[pi].unwrap_or(0);
                        GroupOffset {
                            group: w.ledger().group(g.gid).name.clone(),
                            committed,
                            lag: p.end().saturating_sub(committed),
                            owner: g.owner[pi].map(|c| w.consumer(c).name().to_owned()),
                        }
                    })
                    .collect(),
            })
            .collect();
        ModelState {
            brokers,
            partitions,
            share_partitions: self.share_state(w),
            ..ModelState::default()
        }
    }

    fn group_lag(&self, w: &World<KafkaTags>, gid: GroupId) -> Option<u64> {
        if self.is_share() {
            return self.share_lag(w, gid);
        }
        let kg = self.group_of.get(gid.ix()).copied().flatten()?;
        let g = &self.groups[kg];
        Some(self.lag(w, gid, |pi, p| g.committed[pi].unwrap_or(p.end())))
    }
}

impl Kafka {
    /// Records past `start` (of each partition, by index) in the partitions group `gid`
    /// subscribes to.
    fn lag(
        &self,
        w: &World<KafkaTags>,
        gid: GroupId,
        start: impl Fn(usize, &Partition) -> u64,
    ) -> u64 {
        let subs = w.ledger().group(gid);
        self.parts
            .iter()
            .enumerate()
            .filter(|(_, p)| subs.subscribes(p.topic))
            .map(|(pi, p)| p.end().saturating_sub(start(pi, p)))
            .sum()
    }

    /// A static member back within its session timeout: the coordinator gives the new
    /// instance the old one's member id and assignment (`updateStaticMemberThenRebalanceOr
    /// CompleteJoin`): no rebalance, its partitions resume from their committed offsets. If a
    /// rebalance was waiting for it, its return completes that instead.
    fn resume(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize, c: ConsumerId) {
        if self.groups[kg].joining {
            return self.rebalance(p, kg);
        }
        for pi in self.assigned[c.ix()].clone() {
            let grp = &mut self.groups[kg];
            let from = grp.committed[pi].unwrap_or(0);
            grp.fetch[pi] = from;
            grp.processed[pi] = from;
        }
        self.rebuild(kg, c);
        self.pump(p, c);
    }

    /// `session.timeout.ms` after consumer `consumer` went away (at `epoch`): a member still
    /// gone, or its old self left behind by a restart, is removed from its group.
    fn session_ends(&mut self, p: &mut Port<'_, KafkaTags>, consumer: ConsumerId, epoch: u32) {
        if self.is_share() {
            let k = p.consumer(consumer);
            if k.epoch() == epoch && !k.connected() {
                self.share_leave(p, consumer);
            }
            return;
        }
        let Some(gid) = p.group_of(consumer) else {
            return;
        };
        let kg = self.group_index(gid);
        let ghosts = &mut self.groups[kg].ghosts;
        if let Some(i) = ghosts.iter().position(|&g| g == (consumer, epoch)) {
            ghosts.remove(i);
            return self.rebalance(p, kg);
        }
        let k = p.consumer(consumer);
        if k.epoch() == epoch && !k.connected() {
            self.leave(p, consumer);
        }
    }

    /// max.poll.interval.ms: a member still on its batch that long is evicted from its group.
    fn poll_timer(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let ci = c.ix();
        self.polls[ci].timer = false;
        let poll = self.polls[ci];
        if poll.batch_left == 0 || poll.evicted || !p.consumer(c).connected() {
            return;
        }
        let due = poll.returned_at + millis(self.opts.max_poll_interval_ms);
        if p.now() >= due {
            // The heartbeat thread leaves the group: its partitions go to the others, who read
            // from the last commit what this one is still processing.
            self.polls[ci].evicted = true;
            self.leave(p, c);
        } else {
            self.polls[ci].timer = true;
            p.schedule(due, KafkaTimer::Poll { consumer: c });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from Kafka's `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_the_java_client() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (data, want) in cases {
            assert_eq!(murmur2(data), want, "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn decimal_keys_are_their_digits() {
        let mut b = [0u8; 10];
        assert_eq!(decimal(0, &mut b), b"0");
        assert_eq!(decimal(4_294_967_295, &mut b), b"4294967295");
    }
}
