//! Kafka share groups (KIP-932): a topic read like a queue. Simulated from KIP-932 and Kafka's
//! sources, not checked against a broker (no Kafka with share groups runs offline here).
//!
//! ```text
//!   partition p0: [ 0 1 2 3 4 5 6 7 8 9 ... ]
//!                   ^SPSO   ^acquired by B   ^SPEO      (at most max_record_locks in between)
//!   state per record: AVAILABLE -> ACQUIRED (lock, delivery count + 1) -> ACKNOWLEDGED
//!                                     | release / lock timeout -> AVAILABLE (ARCHIVED at the limit)
//!                                     | reject -> ARCHIVED
//!   members A, B, C of one share group all acquire from p0, in batches under one lock
//! ```
//!
//! Models (reference, "Modern answers": "Kafka share groups"; `shared/reference/broker-behaviour.md`):
//! - With `group_type = "share"` every group of the variant is a share group. Members get
//!   partitions as Kafka's simple assignor gives them (every member at least one; with more
//!   members than partitions, `ceil(M/P)` members share each), and several members acquire
//!   from one partition.
//! - A poll settles the previous batch (`implicit`: every record it returned is ACCEPTed; with
//!   `explicit` each record is acknowledged on its own once processed), then acquires up to
//!   `max_poll_records`: released records first (lowest offset first), then new ones up to the
//!   high watermark while SPEO - SPSO < `max_record_locks`. One acquisition is one lock of
//!   `lock_ms`; each acquisition counts a delivery (the first is 1). A poll that finds nothing
//!   waits until something can be acquired.
//! - RELEASE or a lock timeout makes a record available again; at `delivery_limit` it is
//!   ARCHIVED instead (lost: `delivery-limit`); REJECT archives at once (`consumer-rejected`).
//!   With `explicit` and `fail_every`, consumers fail the poison records (every time) and
//!   acknowledge them `fail_ack` without processing them. An acknowledgement from a member whose
//!   lock has gone is refused: what it processed is processed again by another (duplicates).
//! - SPSO moves only over a contiguous run of acknowledged or archived records: one stuck
//!   record holds it, and with it the in-flight cap.
//! - A member whose connection drops (a crash, a clean close) has its acquired records released
//!   at once; `release_counts_attempt` says whether that counts as a delivery (true: Kafka since
//!   late 2025). A member behind a cut link keeps them until the lock expires. A crashed member
//!   leaves the group after `session_timeout_ms`, a closing one at once. Under `implicit`, what
//!   it processed but had not yet accepted is released too (duplicates).
//! - A new share group starts at `auto_offset_reset` (`latest`: the high watermark). Records
//!   go out of order: redeliveries fill gaps behind newer records, several members work one
//!   partition. At-least-once; no per-member offsets, no replay.
//! - A leader failover releases every acquired record (acquisitions live in the leader's
//!   memory); retention archives what the group had not finished (`retention`).
//!
//! Leaves out: RENEW (4.2), dead-letter topics (4.4), `by_duration` resets, the throttled
//! re-acquisition of records near the limit, per-group config overrides, share-state
//! persistence timing, the fetch and acknowledge requests' own latency (acknowledgements reach
//! the share-partition at once), `max.poll.interval.ms` (the lock bounds a slow member).

use super::{partition_tag, Kafka, KafkaTags, KafkaTimer, Record};
use crate::engine::state::SharePartitionState;
use crate::engine::{ConsumerId, Delivery, Down, GroupId, MsgId, MsgRef, Port, Release, World};
use crate::metrics::LossReason;
use crate::scenario::{millis, FailAck, OffsetReset, ShareAck};
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RecState {
    Available,
    Acquired,
    Acknowledged,
    Archived,
}

/// A record between SPSO and SPEO.
#[derive(Clone, Copy, Debug)]
struct Rec {
    state: RecState,
    deliveries: u32,
    owner: Option<ConsumerId>,
    /// The acquisition (lock) it is held under.
    acq: u32,
}

/// Why an acquired record goes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    Released,
    Timeout,
    /// Its member's share session ended (a dropped connection).
    SessionEnd,
    /// The partition's leader changed: acquisitions were in the old leader's memory.
    Failover,
}

/// One share group's state of one partition.
#[derive(Clone, Debug, Default)]
struct SharePartition {
    started: bool,
    spso: u64,
    /// SPEO + 1: offsets from here on were never acquired.
    next_new: u64,
    /// Offsets `spso..next_new`.
    recs: VecDeque<Rec>,
    archived_limit: u64,
    archived_rejected: u64,
    archived_other: u64,
}

impl SharePartition {
    fn rec(&self, o: u64) -> Option<&Rec> {
        let i = usize::try_from(o.checked_sub(self.spso)?).ok()?;
        self.recs.get(i)
    }
    fn rec_mut(&mut self, o: u64) -> Option<&mut Rec> {
        let i = usize::try_from(o.checked_sub(self.spso)?).ok()?;
        self.recs.get_mut(i)
    }
    /// Whether the log holds a copy of offset `o` for the group (see [`Kafka::share_holds`]).
    fn holds(&self, o: u64) -> bool {
        self.started
            && o >= self.spso
            && self
                .rec(o)
                .is_none_or(|r| matches!(r.state, RecState::Available | RecState::Acquired))
    }
}

#[derive(Clone, Debug)]
pub(super) struct ShareGroup {
    gid: GroupId,
    /// Connected members and crashed ones whose session has not ended, in join order.
    members: Vec<ConsumerId>,
    /// Per partition (global index).
    parts: Vec<SharePartition>,
}

/// A member's poll loop.
#[derive(Clone, Debug, Default)]
pub(super) struct Member {
    /// Partitions it is assigned (global indexes).
    assigned: Vec<usize>,
    /// What its last poll returned: (partition, offset, acquisition).
    batch: Vec<(usize, u64, u32)>,
    /// Records of the batch not yet processed or failed.
    left: u32,
    /// Inside poll(), waiting for something to acquire.
    waiting: bool,
    next_part: usize,
}

/// Every share group of a variant and every consumer's poll loop.
#[derive(Clone, Debug, Default)]
pub(super) struct Share {
    groups: Vec<ShareGroup>,
    /// Per ledger group: its index in `groups`.
    group_of: Vec<Option<usize>>,
    members: Vec<Member>,
    next_acq: u32,
}

impl Share {
    pub(super) fn new(consumers: usize) -> Share {
        Share {
            groups: Vec::new(),
            group_of: vec![None; consumers],
            members: vec![Member::default(); consumers],
            next_acq: 0,
        }
    }
}

/// Member `i` of `m` takes this many of the `slots` (partitions repeated `ceil(m/p)` times):
/// Kafka's `SimpleHomogeneousAssignmentBuilder`, `ceil(x(i+1)) - ceil(x i)` with `x = slots/m`.
pub(super) fn share_count(i: usize, m: usize, slots: usize) -> usize {
    let ceil = |a: usize| a.div_ceil(m);
    ceil(slots * (i + 1)) - ceil(slots * i)
}

impl Kafka {
    pub(super) fn is_share(&self) -> bool {
        self.opts.group_type == crate::scenario::GroupType::Share
    }

    fn share_index(&mut self, gid: GroupId) -> usize {
        if let Some(i) = self.share.group_of.get(gid.ix()).copied().flatten() {
            return i;
        }
        self.share.groups.push(ShareGroup {
            gid,
            members: Vec::new(),
            parts: vec![SharePartition::default(); self.parts.len()],
        });
        let i = self.share.groups.len() - 1;
        if let Some(slot) = self.share.group_of.get_mut(gid.ix()) {
            *slot = Some(i);
        }
        i
    }

    fn share_group_of(&self, w: &World<KafkaTags>, c: ConsumerId) -> Option<usize> {
        self.share
            .group_of
            .get(w.group_of(c)?.ix())
            .copied()
            .flatten()
    }

    /// Consumer `c` joins its share group (or comes back).
    pub(super) fn share_join(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let Some(gid) = p.group_of(c) else { return };
        let kg = self.share_index(gid);
        if !self.share.groups[kg].members.contains(&c) {
            self.share.groups[kg].members.push(c);
        }
        self.share.members[c.ix()] = Member::default();
        self.share_assign(p, kg);
    }

    /// The simple assignor, per topic over the members subscribed to it; a partition that gets
    /// its first member starts at `auto_offset_reset`.
    fn share_assign(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize) {
        let mut members = self.share.groups[kg].members.clone();
        members.sort_unstable();
        for &c in &members {
            self.share.members[c.ix()].assigned.clear();
        }
        let n = self.opts.partitions as usize;
        for t in Self::group_topics(p, self.share.groups[kg].gid) {
            let subs: Vec<ConsumerId> = members
                .iter()
                .copied()
                .filter(|&c| p.consumer(c).subscribes(t))
                .collect();
            if subs.is_empty() {
                continue;
            }
            let base = self.topic_base[usize::from(t)];
            let slots = subs.len().div_ceil(n) * n;
            let mut next = 0;
            for (i, &c) in subs.iter().enumerate() {
                for k in next..next + share_count(i, subs.len(), slots) {
                    self.share.members[c.ix()].assigned.push(base + k % n);
                }
                next += share_count(i, subs.len(), slots);
            }
            for pi in base..base + n {
                self.share_start(kg, pi);
            }
        }
        for c in members {
            let m = &self.share.members[c.ix()];
            if m.left == 0 {
                self.share_poll(p, c);
            }
        }
    }

    fn share_start(&mut self, kg: usize, pi: usize) {
        let part = &self.parts[pi];
        let from = match self.opts.share.auto_offset_reset {
            OffsetReset::Earliest => part.base,
            OffsetReset::Latest => part.hw,
        };
        let sp = &mut self.share.groups[kg].parts[pi];
        if !sp.started {
            *sp = SharePartition {
                started: true,
                spso: from,
                next_new: from,
                ..SharePartition::default()
            };
        }
    }

    /// `poll()`: settle the last batch (implicit mode), then acquire the next one.
    pub(super) fn share_poll(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let Some(kg) = self.share_group_of(p, c) else {
            return;
        };
        let batch = std::mem::take(&mut self.share.members[c.ix()].batch);
        if self.opts.share.ack == ShareAck::Implicit {
            for &(pi, o, acq) in &batch {
                self.share_accept(kg, pi, o, c, acq);
            }
        }
        let mut touched: Vec<usize> = batch.iter().map(|b| b.0).collect();
        touched.dedup();
        for pi in touched {
            self.share_advance(p, kg, pi);
        }
        if !p.consumer(c).connected() {
            return;
        }
        let n = self.share_acquire(p, kg, c);
        let m = &mut self.share.members[c.ix()];
        m.left = n;
        m.waiting = n == 0;
    }

    /// Acquire up to `max_poll_records` for `c` from its partitions in turn; returns how many.
    fn share_acquire(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize, c: ConsumerId) -> u32 {
        let max = self.opts.max_poll_records;
        let assigned = self.share.members[c.ix()].assigned.clone();
        let k = assigned.len();
        let first = self.share.members[c.ix()].next_part;
        let mut got = 0;
        for i in 0..k {
            if got >= max {
                break;
            }
            let pi = assigned[(first + i) % k];
            let acq = self.share.next_acq;
            let n = self.share_acquire_from(p, kg, pi, c, acq, max - got);
            if n > 0 {
                self.share.next_acq = acq.wrapping_add(1);
                let at = p.now() + millis(self.opts.share.lock_ms);
                let t = KafkaTimer::ShareLock {
                    group: u32::try_from(kg).unwrap_or(u32::MAX),
                    partition: partition_tag(pi),
                    acq,
                };
                p.schedule(at, t);
                self.share.members[c.ix()].next_part = (first + i + 1) % k;
            }
            got += n;
        }
        got
    }

    /// Acquire up to `max` records of partition `pi` for `c` under lock `acq`: available ones
    /// first, lowest offset first, then new ones within the in-flight cap.
    fn share_acquire_from(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        kg: usize,
        pi: usize,
        c: ConsumerId,
        acq: u32,
        max: u32,
    ) -> u32 {
        let part = &self.parts[pi];
        if part.leader.is_none() {
            return 0;
        }
        let (hw, node) = (part.hw, part.node);
        let cap = u64::from(self.opts.share.max_record_locks);
        let g = &mut self.share.groups[kg];
        let gid = g.gid;
        let sp = &mut g.parts[pi];
        if !sp.started {
            return 0;
        }
        let mut offsets = Vec::new();
        for (i, r) in sp.recs.iter().enumerate() {
            if offsets.len() as u32 >= max {
                break;
            }
            if r.state == RecState::Available {
                offsets.push(sp.spso + i as u64);
            }
        }
        while (offsets.len() as u32) < max && sp.next_new < hw && sp.next_new - sp.spso < cap {
            sp.recs.push_back(Rec {
                state: RecState::Available,
                deliveries: 0,
                owner: None,
                acq,
            });
            offsets.push(sp.next_new);
            sp.next_new += 1;
        }
        let mut batch = Vec::with_capacity(offsets.len());
        for &o in &offsets {
            let Some(r) = sp.rec_mut(o) else { continue };
            r.state = RecState::Acquired;
            r.deliveries += 1;
            r.owner = Some(c);
            r.acq = acq;
            let Some(m) = self.parts[pi].entry(o) else {
                continue;
            };
            p.hold(m, gid);
            let tag = Record {
                partition: partition_tag(pi),
                offset: o,
                attempt: r.deliveries,
            };
            p.deliver(c, m, node, tag, r.deliveries > 1);
            batch.push((pi, o, acq));
        }
        let n = u32::try_from(batch.len()).unwrap_or(u32::MAX);
        self.share.members[c.ix()].batch.extend(batch);
        n
    }

    /// ACCEPT from `c`: refused unless it still holds the record under that lock.
    fn share_accept(&mut self, kg: usize, pi: usize, o: u64, c: ConsumerId, acq: u32) {
        let sp = &mut self.share.groups[kg].parts[pi];
        if let Some(r) = sp.rec_mut(o) {
            if r.state == RecState::Acquired && r.owner == Some(c) && r.acq == acq {
                r.state = RecState::Acknowledged;
                r.owner = None;
            }
        }
    }

    /// An acquired record goes back: available again, or archived at the delivery limit.
    fn share_release(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        kg: usize,
        pi: usize,
        o: u64,
        why: Why,
    ) {
        let limit = self.opts.share.delivery_limit;
        let counts = self.opts.share.release_counts_attempt;
        let Some(r) = self.share.groups[kg].parts[pi].rec_mut(o) else {
            return;
        };
        if r.state != RecState::Acquired {
            return;
        }
        r.owner = None;
        if why == Why::SessionEnd && !counts {
            r.deliveries = r.deliveries.saturating_sub(1);
        } else if r.deliveries >= limit && why != Why::Failover {
            return self.share_archive(p, kg, pi, o, LossReason::DeliveryLimit);
        }
        r.state = RecState::Available;
    }

    /// Record `o` is archived: never delivered to the group again.
    fn share_archive(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        kg: usize,
        pi: usize,
        o: u64,
        reason: LossReason,
    ) {
        let g = &mut self.share.groups[kg];
        let gid = g.gid;
        let sp = &mut g.parts[pi];
        let Some(r) = sp.rec_mut(o) else { return };
        r.state = RecState::Archived;
        r.owner = None;
        match reason {
            LossReason::DeliveryLimit => sp.archived_limit += 1,
            LossReason::ConsumerRejected => sp.archived_rejected += 1,
            _ => sp.archived_other += 1,
        }
        let part = &self.parts[pi];
        if let Some(m) = part.entry(o) {
            p.release(m, gid, Release::Lost(reason), part.node);
        }
    }

    /// SPSO moves over the acknowledged and archived records at the front; waiters may acquire.
    fn share_advance(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize, pi: usize) {
        let sp = &mut self.share.groups[kg].parts[pi];
        while sp
            .recs
            .front()
            .is_some_and(|r| matches!(r.state, RecState::Acknowledged | RecState::Archived))
        {
            sp.recs.pop_front();
            sp.spso += 1;
        }
        self.share_wake(p, kg, pi);
    }

    /// Members of group `kg` waiting inside poll() with partition `pi` assigned poll again.
    fn share_wake(&mut self, p: &mut Port<'_, KafkaTags>, kg: usize, pi: usize) {
        let members = self.share.groups[kg].members.clone();
        for c in members {
            let m = &self.share.members[c.ix()];
            if m.waiting && m.assigned.contains(&pi) && p.consumer(c).connected() {
                self.share_poll(p, c);
            }
        }
    }

    /// New records in `pi` (or it is fetchable again): every group's waiters look.
    pub(super) fn share_wake_all(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize) {
        for kg in 0..self.share.groups.len() {
            self.share_wake(p, kg, pi);
        }
    }

    /// A record reached consumer `c`: it takes it, or (explicit mode, a poison record) fails it
    /// and acknowledges it `fail_ack` without processing it.
    pub(super) fn share_delivered(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        c: ConsumerId,
        d: Delivery<Record>,
    ) {
        let s = &self.opts.share;
        let poison =
            s.ack == ShareAck::Explicit && s.fail_every > 0 && (d.msg.id.0 + 1) % s.fail_every == 0;
        if !poison {
            return p.hand_over(c, d);
        }
        let Some(kg) = self.share_group_of(p, c) else {
            return;
        };
        let (pi, o) = (d.tag.partition as usize, d.tag.offset);
        let reason = match self.opts.share.fail_ack {
            FailAck::Release => LossReason::DeliveryLimit,
            FailAck::Reject => LossReason::ConsumerRejected,
        };
        // Its copy goes; the log keeps its own while the record is not archived.
        p.release_held(c, std::slice::from_ref(&d), Release::Lost(reason));
        if let Some(acq) = self.share_lock_of(c, pi, o) {
            let sp = &self.share.groups[kg].parts[pi];
            if sp
                .rec(o)
                .is_some_and(|r| r.owner == Some(c) && r.acq == acq)
            {
                match self.opts.share.fail_ack {
                    FailAck::Release => self.share_release(p, kg, pi, o, Why::Released),
                    FailAck::Reject => {
                        self.share_archive(p, kg, pi, o, LossReason::ConsumerRejected);
                    }
                }
            }
        }
        self.share_advance(p, kg, pi);
        self.share_done_one(p, c);
    }

    /// The lock under which `c`'s batch holds offset `o` of `pi`.
    fn share_lock_of(&self, c: ConsumerId, pi: usize, o: u64) -> Option<u32> {
        self.share.members[c.ix()]
            .batch
            .iter()
            .find(|&&(x, y, _)| x == pi && y == o)
            .map(|b| b.2)
    }

    /// One record of `c`'s batch is done; the last one makes it poll.
    fn share_done_one(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let m = &mut self.share.members[c.ix()];
        m.left = m.left.saturating_sub(1);
        if m.left == 0 {
            self.share_poll(p, c);
        }
    }

    /// `c` processed a record: explicit mode accepts it now, implicit at the next poll.
    pub(super) fn share_processed(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        c: ConsumerId,
        d: Delivery<Record>,
    ) {
        let (pi, o) = (d.tag.partition as usize, d.tag.offset);
        if self.opts.share.ack == ShareAck::Explicit {
            if let (Some(kg), Some(acq)) = (self.share_group_of(p, c), self.share_lock_of(c, pi, o))
            {
                self.share_accept(kg, pi, o, c, acq);
                self.share_advance(p, kg, pi);
            }
        }
        self.share_done_one(p, c);
    }

    /// `c` went away. Its share session ends with a dropped connection (crash, close): its
    /// records are released at once; behind a cut link they wait for their locks.
    pub(super) fn share_down(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<Record>],
    ) {
        p.release_held(c, held, Release::Lost(how.loss(LossReason::Retention)));
        self.share.members[c.ix()].batch.clear();
        self.share.members[c.ix()].left = 0;
        self.share.members[c.ix()].waiting = false;
        let Some(kg) = self.share_group_of(p, c) else {
            return;
        };
        if how != Down::LinkDown {
            for pi in 0..self.parts.len() {
                let owned: Vec<u64> = {
                    let sp = &self.share.groups[kg].parts[pi];
                    (0..sp.recs.len())
                        .filter(|&i| {
                            sp.recs[i].owner == Some(c) && sp.recs[i].state == RecState::Acquired
                        })
                        .map(|i| sp.spso + i as u64)
                        .collect()
                };
                for o in owned {
                    self.share_release(p, kg, pi, o, Why::SessionEnd);
                }
                self.share_advance(p, kg, pi);
            }
        }
        match how {
            Down::Offline => self.share_leave(p, c),
            Down::Crash | Down::LinkDown => {
                let at = p.now() + millis(self.opts.session_timeout_ms);
                let epoch = p.consumer(c).epoch();
                p.schedule(at, KafkaTimer::Session { consumer: c, epoch });
            }
        }
    }

    /// `c` leaves its share group: the others get its partitions.
    pub(super) fn share_leave(&mut self, p: &mut Port<'_, KafkaTags>, c: ConsumerId) {
        let Some(kg) = self.share_group_of(p, c) else {
            return;
        };
        self.share.groups[kg].members.retain(|&x| x != c);
        self.share.members[c.ix()].assigned.clear();
        self.share_assign(p, kg);
    }

    /// Lock `acq` on partition `pi` expired: what it still holds goes back.
    pub(super) fn share_lock_expired(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        kg: usize,
        pi: usize,
        acq: u32,
    ) {
        let Some(g) = self.share.groups.get(kg) else {
            return;
        };
        let sp = &g.parts[pi];
        let expired: Vec<u64> = (0..sp.recs.len())
            .filter(|&i| sp.recs[i].state == RecState::Acquired && sp.recs[i].acq == acq)
            .map(|i| sp.spso + i as u64)
            .collect();
        for o in expired {
            self.share_release(p, kg, pi, o, Why::Timeout);
        }
        self.share_advance(p, kg, pi);
    }

    /// Partition `pi` has a new leader: acquisitions were in the old one's memory.
    pub(super) fn share_failover(&mut self, p: &mut Port<'_, KafkaTags>, pi: usize) {
        for kg in 0..self.share.groups.len() {
            let sp = &self.share.groups[kg].parts[pi];
            let acquired: Vec<u64> = (0..sp.recs.len())
                .filter(|&i| sp.recs[i].state == RecState::Acquired)
                .map(|i| sp.spso + i as u64)
                .collect();
            for o in acquired {
                self.share_release(p, kg, pi, o, Why::Failover);
            }
            self.share_advance(p, kg, pi);
        }
    }

    /// Retention deleted offset `o` (message `m`) of `pi`: a share group that had not finished
    /// it loses it; SPSO follows the log start.
    pub(super) fn share_deleted(
        &mut self,
        p: &mut Port<'_, KafkaTags>,
        pi: usize,
        o: u64,
        m: MsgRef,
    ) {
        let node = self.parts[pi].node;
        for g in &mut self.share.groups {
            let sp = &mut g.parts[pi];
            if !sp.started || o < sp.spso {
                continue;
            }
            if sp.holds(o) {
                p.release(m, g.gid, Release::Lost(LossReason::Retention), node);
                sp.archived_other += 1;
            }
            if o < sp.next_new {
                sp.recs.pop_front();
            } else {
                sp.next_new = o + 1;
            }
            sp.spso = o + 1;
            // Finished records right behind it: SPSO passes them too.
            while sp
                .recs
                .front()
                .is_some_and(|r| matches!(r.state, RecState::Acknowledged | RecState::Archived))
            {
                sp.recs.pop_front();
                sp.spso += 1;
            }
        }
    }

    /// Whether the log holds a copy of offset `o` of `pi` for share group `gid`: it waits for it
    /// (the caller asks the ledger), and the record is at or past SPSO and not finished.
    pub(super) fn share_holdings(&self, w: &World<KafkaTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for g in &self.share.groups {
            for (pi, part) in self.parts.iter().enumerate() {
                let sp = &g.parts[pi];
                for (i, e) in part.log.iter().enumerate() {
                    let o = part.base + i as u64;
                    if sp.holds(o) && w.is_pending(e, g.gid) {
                        f(e.id, g.gid);
                    }
                }
            }
        }
    }

    pub(super) fn share_check(&self) -> Result<(), String> {
        for g in &self.share.groups {
            for (pi, sp) in g.parts.iter().enumerate() {
                if sp.recs.len() as u64 != sp.next_new - sp.spso {
                    return Err(format!(
                        "share-partition {pi}: {} records between SPSO {} and SPEO + 1 {}",
                        sp.recs.len(),
                        sp.spso,
                        sp.next_new
                    ));
                }
                let front = sp.recs.front().map(|r| r.state);
                if matches!(front, Some(RecState::Acknowledged | RecState::Archived)) {
                    return Err(format!(
                        "share-partition {pi}: SPSO {} did not move",
                        sp.spso
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn share_state(&self, w: &World<KafkaTags>) -> Vec<SharePartitionState> {
        let mut out = Vec::new();
        for g in &self.share.groups {
            let subs = w.ledger().group(g.gid);
            for (pi, part) in self.parts.iter().enumerate() {
                let sp = &g.parts[pi];
                if !subs.subscribes(part.topic) {
                    continue;
                }
                let count = |s: RecState| sp.recs.iter().filter(|r| r.state == s).count() as u64;
                let members = g
                    .members
                    .iter()
                    .filter(|c| self.share.members[c.ix()].assigned.contains(&pi))
                    .map(|&c| w.consumer(c).name().to_owned())
                    .collect();
                out.push(SharePartitionState {
                    group: subs.name.clone(),
                    topic: self.topic_names[usize::from(part.topic)].clone(),
                    partition: part.index,
                    node: part.node,
                    spso: sp.spso,
                    speo: sp.next_new.checked_sub(1).filter(|&e| e >= sp.spso),
                    in_flight: sp.next_new - sp.spso,
                    acquired: count(RecState::Acquired),
                    available: count(RecState::Available),
                    acknowledged: count(RecState::Acknowledged),
                    archived: sp.archived_limit + sp.archived_rejected + sp.archived_other,
                    archived_delivery_limit: sp.archived_limit,
                    archived_rejected: sp.archived_rejected,
                    max_delivery_count: sp.recs.iter().map(|r| r.deliveries).max().unwrap_or(0),
                    members,
                });
            }
        }
        out
    }

    /// Records of the share group's partitions not yet acknowledged or archived.
    pub(super) fn share_lag(&self, w: &World<KafkaTags>, gid: GroupId) -> Option<u64> {
        let kg = self.share.group_of.get(gid.ix()).copied().flatten()?;
        let g = &self.share.groups[kg];
        Some(self.lag(w, gid, |pi, _| g.parts[pi].spso))
    }
}

#[cfg(test)]
mod tests {
    use super::share_count;

    #[test]
    fn more_members_than_partitions_share_partitions() {
        // P = 2, M = 3: ceil(3/2) = 2 members a partition, 4 slots: 2, 1, 1.
        let counts: Vec<usize> = (0..3).map(|i| share_count(i, 3, 4)).collect();
        assert_eq!(counts, [2, 1, 1]);
        // P = 3, M = 2: one member a partition, 3 slots: 2, 1.
        let counts: Vec<usize> = (0..2).map(|i| share_count(i, 2, 3)).collect();
        assert_eq!(counts, [2, 1]);
        // P = 1, M = 3: all three on the one partition.
        let counts: Vec<usize> = (0..3).map(|i| share_count(i, 3, 3)).collect();
        assert_eq!(counts, [1, 1, 1]);
    }
}
