//! The delivery ledger: for every message and every consumer group that expects it, whether the
//! group got it, never will, or may still, and how many places can still deliver it.
//!
//! A cell is `Pending` while at least one copy (in flight, in a queue or buffer, in a log ahead of
//! the group's offset, in a consumer's memory) can still reach the group. Models hold and release
//! copies as messages move (the rule is in [`crate::engine::port`]'s docs); when the last copy of
//! a pending cell is released as lost, the delivery is lost for that reason. So `pending` is not
//! derived from the other counters: it is what the models hold, and the audit checks both
//! against each other.
//!
//! Memory follows what is live: a group keeps a ring of one-byte cells from its oldest pending
//! message to the newest (a cell a message, so finding one is an index), and lets settled cells
//! go from the front. When an old delivery stays pending while the ring grows long and mostly
//! settled, the pending cells of its older half move aside (stragglers) and the half goes. A
//! message it no longer has a cell for was delivered or lost before (so a new processing is a
//! duplicate), or was published before the group existed (a replay), or was of a topic the group
//! did not subscribe to when it was published (stray): its topics' history says which. Counters
//! keep the totals.
//!
//! ```text
//!   group "a": stragglers [57 P1]   ring base 130: [P2][D][-][P1][P1][D] ... (- not expected)
//!              front settled -> dropped; long and mostly settled -> older half set aside
//! ```

use super::ids::{ConsumerId, GroupId, MsgId};
use crate::metrics::{Counters, LatencyHistogram, LatencyWindow, LossReason};
use crate::scenario::{Nanos, TopicId};
use std::collections::VecDeque;

/// Why a place lets go of its copy of a message for a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Its work is done: the message was processed or acknowledged, or it moved to a place that
    /// already took its own copy. Never the last copy of a pending delivery (the audit says so
    /// if a model gets it wrong).
    Settled,
    /// It is let go undelivered; if it was the last copy, the delivery is lost for this reason.
    Lost(LossReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellState {
    /// The group does not expect it (not subscribed when it was published, or joined later).
    NotExpected,
    Pending,
    Delivered,
    Lost,
}

/// One byte: state in the top two bits, copies below. A cell counting [`MANY`] copies or more
/// keeps its count in its group's `many` (few cells ever have that many: a message held by 63
/// places for one group at once).
#[derive(Clone, Copy, Debug, Default)]
struct Cell(u8);

/// The low bits of a cell whose copies are counted in the group's `many`.
const MANY: u8 = 0x3f;
/// Copies a cell counts at most (more are counted as this many).
const COPIES_MAX: u16 = 0x3fff;

impl Cell {
    #[inline]
    fn state(self) -> CellState {
        match self.0 >> 6 {
            0 => CellState::NotExpected,
            1 => CellState::Pending,
            2 => CellState::Delivered,
            _ => CellState::Lost,
        }
    }
    /// Whether its copies are counted in the group's `many`.
    #[inline]
    fn many(self) -> bool {
        self.0 & MANY == MANY
    }
    /// A cell in `state` with `copies` copies (at least [`MANY`]: counted aside).
    #[inline]
    fn set(state: CellState, copies: u16) -> Cell {
        let s: u8 = match state {
            CellState::NotExpected => 0,
            CellState::Pending => 1,
            CellState::Delivered => 2,
            CellState::Lost => 3,
        };
        // Below MANY it fits in the low bits.
        #[allow(clippy::cast_possible_truncation)]
        let low = copies.min(u16::from(MANY)) as u8;
        Cell((s << 6) | low)
    }
    #[inline]
    fn pending(self) -> bool {
        self.state() == CellState::Pending
    }
}

/// What processing one delivery meant for the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Processed {
    First,
    Duplicate,
    /// A message published before the group existed (history read by a new group).
    Replay,
    /// A message the group never subscribed to (an IPC channel hands out whatever it holds).
    Stray,
}

/// A ring longer than this that is mostly settled sets its older half aside.
const ESCAPE_AT: usize = 1 << 16;

/// Where a message's cell is.
#[derive(Clone, Copy, Debug)]
enum At {
    Ring(usize),
    Straggler(usize),
}

#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    /// Indexed by topic id: what it subscribes to now.
    pub topics: Vec<bool>,
    /// The members, in join order.
    pub members: Vec<ConsumerId>,
    /// The first message published after the group joined: earlier ones are history.
    pub first_msg: MsgId,
    /// When its topics grew: from which message on it subscribed to which topic.
    since: Vec<(TopicId, MsgId)>,
    /// The id of `ring[start]`.
    base: u32,
    /// From `start` on, a cell for each message from `base` on, up to the newest it expects
    /// (cells before `start` are let go, and dropped once they are half of the vector).
    ring: Vec<Cell>,
    start: usize,
    /// Pending cells in `ring`.
    pending_in_ring: usize,
    /// Cells of messages older than `base` that were pending when set aside, ids ascending
    /// (see the module docs); the front one is always still pending.
    stragglers: VecDeque<(MsgId, Cell)>,
    /// The copies of the cells that count [`MANY`] or more, by message id.
    many: std::collections::HashMap<MsgId, u16>,
    /// Stragglers settled but not yet let go (their cells are no longer pending; removed from
    /// the front at once, the rest when they are half of the list: no O(n) removal each).
    settled_stragglers: usize,
    pub counters: Counters,
    /// Per key slot, the newest message processed, + 1 (0 = none yet).
    last_of_key: Vec<u32>,
}

impl Group {
    /// Cells kept in the ring.
    #[inline]
    fn ring_len(&self) -> usize {
        self.ring.len() - self.start
    }

    #[inline]
    fn find(&self, m: MsgId) -> Option<At> {
        match m.0.checked_sub(self.base) {
            Some(i) => {
                let i = self.start + i as usize;
                (i < self.ring.len()).then_some(At::Ring(i))
            }
            None => self
                .stragglers
                .binary_search_by_key(&m, |s| s.0)
                .ok()
                .filter(|&i| self.stragglers[i].1.pending())
                .map(At::Straggler),
        }
    }

    #[inline]
    fn get(&self, at: At) -> Cell {
        match at {
            At::Ring(i) => self.ring[i],
            At::Straggler(i) => self.stragglers[i].1,
        }
    }

    /// The copies cell `c` of message `m` counts.
    #[inline]
    fn copies_of(&self, m: MsgId, c: Cell) -> u16 {
        if c.many() {
            self.many.get(&m).copied().unwrap_or(COPIES_MAX)
        } else {
            u16::from(c.0 & MANY)
        }
    }

    /// The cell of `m`, at `at` (`old` now), becomes `state` with `copies` copies.
    #[inline]
    fn write(&mut self, at: At, m: MsgId, old: Cell, state: CellState, copies: u16) {
        let c = Cell::set(state, copies);
        if c.many() || old.many() {
            self.count_aside(m, c, copies);
        }
        match at {
            At::Ring(i) => self.ring[i] = c,
            At::Straggler(i) => self.stragglers[i].1 = c,
        }
    }

    /// Cell `c` of `m` counts its `copies` aside, or no longer does.
    #[cold]
    #[inline(never)]
    fn count_aside(&mut self, m: MsgId, c: Cell, copies: u16) {
        if c.many() {
            self.many.insert(m, copies.min(COPIES_MAX));
        } else {
            self.many.remove(&m);
        }
    }

    #[inline]
    fn cell(&self, m: MsgId) -> Option<Cell> {
        self.find(m).map(|at| self.get(at))
    }

    /// A new message it expects: its cell goes at the end of the ring.
    #[inline]
    fn expect(&mut self, m: MsgId) {
        if self.ring_len() == 0 {
            self.ring.clear();
            self.start = 0;
            self.base = m.0;
        }
        let end = self.base + self.ring_len() as u32;
        for _ in end..m.0 {
            self.ring.push(Cell::set(CellState::NotExpected, 0));
        }
        self.ring.push(Cell::set(CellState::Pending, 0));
        self.pending_in_ring += 1;
    }

    /// Whether the group expected `m` (of `topic`) when it was published.
    fn expected(&self, m: MsgId, topic: TopicId) -> bool {
        m >= self.first_msg && self.since.iter().any(|&(t, from)| t == topic && m >= from)
    }

    #[must_use]
    pub fn state(&self, m: MsgId) -> CellState {
        self.cell(m).map_or(CellState::NotExpected, Cell::state)
    }
    #[must_use]
    pub fn copies(&self, m: MsgId) -> u16 {
        self.cell(m).map_or(0, |c| self.copies_of(m, c))
    }
    #[must_use]
    #[inline]
    pub fn subscribes(&self, t: TopicId) -> bool {
        self.topics.get(usize::from(t)).copied().unwrap_or(false)
    }
    /// The oldest message it still waits for.
    #[must_use]
    pub fn oldest_pending(&self) -> Option<MsgId> {
        let ring = (self.ring_len() > 0).then_some(MsgId(self.base));
        self.stragglers.front().map(|s| s.0).or(ring)
    }
    /// Cells it keeps (pending and settled not yet let go), for memory accounting.
    #[must_use]
    pub fn kept(&self) -> usize {
        self.ring_len() + self.stragglers.len() - self.settled_stragglers
    }

    /// Straggler `i` settled as `c`: it is let go with those before it, or with the others once
    /// half of them are settled (rare: not on the path of every message).
    #[cold]
    #[inline(never)]
    fn settle_straggler(&mut self) {
        self.settled_stragglers += 1;
        while self.stragglers.front().is_some_and(|s| !s.1.pending()) {
            self.stragglers.pop_front();
            self.settled_stragglers -= 1;
        }
        if 2 * self.settled_stragglers > self.stragglers.len() {
            self.stragglers.retain(|s| s.1.pending());
            self.settled_stragglers = 0;
        }
    }

    /// The pending cell of `m`, at `at`, settled as `state` (delivered or lost): let settled
    /// cells go from the front; set the older half of a long, mostly settled ring aside.
    fn settle(&mut self, at: At, m: MsgId, old: Cell, state: CellState) {
        self.write(at, m, old, state, 0);
        if let At::Straggler(_) = at {
            self.settle_straggler();
            return;
        }
        self.pending_in_ring -= 1;
        while self.ring.get(self.start).is_some_and(|c| !c.pending()) {
            self.start += 1;
            self.base += 1;
        }
        let n = self.ring_len();
        if n >= ESCAPE_AT && 8 * self.pending_in_ring < n {
            let half = n / 2;
            let (start, base) = (self.start, self.base);
            for (i, &c) in self.ring[start..start + half].iter().enumerate() {
                if c.pending() {
                    self.stragglers.push_back((MsgId(base + i as u32), c));
                    self.pending_in_ring -= 1;
                }
            }
            self.start += half;
            self.base += half as u32;
        }
        // Cells let go are dropped once they are a quarter of the vector (amortised O(1): a
        // cell moves at most three times), and the vector gives back what it no longer needs.
        if self.start >= 1024 && 4 * self.start >= self.ring.len() {
            self.ring.drain(..self.start);
            self.start = 0;
            if self.ring.capacity() > 4 * self.ring.len().max(1024) {
                self.ring.shrink_to(2 * self.ring.len());
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct Ledger {
    pub groups: Vec<Group>,
    /// Per topic, the groups subscribed to it now.
    of_topic: Vec<Vec<GroupId>>,
    pub total: Counters,
    pub latency: LatencyHistogram,
    /// Latency of the deliveries since the last time-series sample.
    pub window: LatencyWindow,
    key_slots: usize,
    /// Messages published so far (the next one's id).
    messages: u32,
}

impl Ledger {
    pub fn new(key_slots: usize, topics: usize) -> Ledger {
        Ledger {
            groups: Vec::new(),
            of_topic: vec![Vec::new(); topics],
            total: Counters::default(),
            latency: LatencyHistogram::default(),
            window: LatencyWindow::default(),
            key_slots,
            messages: 0,
        }
    }

    /// Add a group, or return the existing one of that name with the new topics added.
    pub fn join(
        &mut self,
        name: &str,
        topics: &[TopicId],
        n_topics: usize,
        member: ConsumerId,
    ) -> GroupId {
        let gid = if let Some(i) = self.groups.iter().position(|g| g.name == name) {
            i
        } else {
            self.groups.push(Group {
                name: name.to_owned(),
                topics: vec![false; n_topics],
                members: Vec::new(),
                first_msg: MsgId(self.messages),
                since: Vec::new(),
                base: self.messages,
                ring: Vec::new(),
                start: 0,
                pending_in_ring: 0,
                stragglers: VecDeque::new(),
                many: std::collections::HashMap::new(),
                settled_stragglers: 0,
                counters: Counters::default(),
                last_of_key: vec![0; self.key_slots],
            });
            self.groups.len() - 1
        };
        // Groups are at most one per consumer, and consumers are counted in u32.
        let id = GroupId::from_ix(gid).unwrap_or_default();
        let now = MsgId(self.messages);
        let g = &mut self.groups[gid];
        for &t in topics {
            if !g.topics[usize::from(t)] {
                g.topics[usize::from(t)] = true;
                g.since.push((t, now));
                // In group order, as a model walking a topic's groups expects.
                let of = &mut self.of_topic[usize::from(t)];
                let at = of.partition_point(|&x| x < id);
                of.insert(at, id);
            }
        }
        if !g.members.contains(&member) {
            g.members.push(member);
        }
        id
    }

    /// A new message: every group subscribed to its topic now expects one delivery, with no copy
    /// yet (the publishing model holds its copies at once).
    pub fn publish(&mut self, m: MsgId, topic: TopicId) -> u64 {
        debug_assert_eq!(m.0, self.messages);
        self.messages = m.0 + 1;
        let subscribers = &self.of_topic[usize::from(topic)];
        for &g in subscribers {
            let g = &mut self.groups[g.ix()];
            g.counters.expect(1);
            g.expect(m);
        }
        let n = subscribers.len() as u64;
        self.total.expect(n);
        n
    }

    #[inline]
    #[must_use]
    pub fn group(&self, g: GroupId) -> &Group {
        &self.groups[g.ix()]
    }

    /// Every group's id, in join order.
    #[inline]
    pub fn group_ids(&self) -> impl Iterator<Item = GroupId> + Clone {
        super::ids::ids(self.groups.len(), GroupId::from_ix)
    }

    /// The groups subscribed to `topic` now, in group order. A group only ever gains topics
    /// (`join`), so every group waiting for a message of `topic` is among them.
    #[inline]
    #[must_use]
    pub fn groups_of(&self, topic: TopicId) -> &[GroupId] {
        &self.of_topic[usize::from(topic)]
    }

    #[inline]
    #[must_use]
    pub fn state(&self, m: MsgId, g: GroupId) -> CellState {
        self.groups[g.ix()].state(m)
    }

    #[inline]
    #[must_use]
    pub fn is_pending(&self, m: MsgId, g: GroupId) -> bool {
        self.state(m, g) == CellState::Pending
    }

    /// Groups that still wait for `m` (of `topic`): looked for among [`Ledger::groups_of`].
    pub fn pending_groups(&self, m: MsgId, topic: TopicId) -> impl Iterator<Item = GroupId> + '_ {
        self.groups_of(topic)
            .iter()
            .copied()
            .filter(move |&g| self.is_pending(m, g))
    }

    /// The oldest message some group still waits for.
    #[must_use]
    pub fn oldest_pending(&self) -> Option<MsgId> {
        self.groups.iter().filter_map(Group::oldest_pending).min()
    }

    /// `n` more places hold `m` for `g` (no-op unless the cell is pending).
    #[inline]
    pub fn hold(&mut self, m: MsgId, g: GroupId, n: u16) {
        let group = &mut self.groups[g.ix()];
        if let Some(at) = group.find(m) {
            let c = group.get(at);
            if c.pending() {
                let copies = group.copies_of(m, c).saturating_add(n);
                group.write(at, m, c, CellState::Pending, copies);
            }
        }
    }

    /// One more place holds `m` (of `topic`) for every group that waits for it.
    #[inline]
    pub fn hold_all(&mut self, m: MsgId, topic: TopicId) {
        for i in 0..self.of_topic[usize::from(topic)].len() {
            let g = self.of_topic[usize::from(topic)][i];
            self.hold(m, g, 1);
        }
    }

    /// A place that held `m` for `g` lets it go. Returns whether that lost the delivery.
    #[inline]
    pub fn release(&mut self, m: MsgId, g: GroupId, how: Release) -> bool {
        let group = &mut self.groups[g.ix()];
        let Some(at) = group.find(m) else {
            return false;
        };
        let c = group.get(at);
        if !c.pending() {
            return false;
        }
        let copies = group.copies_of(m, c).saturating_sub(1);
        match how {
            Release::Lost(reason) if copies == 0 => {
                group.settle(at, m, c, CellState::Lost);
                group.counters.lose(reason);
                self.total.lose(reason);
                true
            }
            // A settled last copy stays pending with no copy: the audit reports the model bug.
            _ => {
                group.write(at, m, c, CellState::Pending, copies);
                false
            }
        }
    }

    /// [`Ledger::release`] for every group that waits for `m` (of `topic`). Returns whether any
    /// delivery was lost.
    #[inline]
    pub fn release_all(&mut self, m: MsgId, topic: TopicId, how: Release) -> bool {
        let mut lost = false;
        for i in 0..self.of_topic[usize::from(topic)].len() {
            let g = self.of_topic[usize::from(topic)][i];
            lost |= self.release(m, g, how);
        }
        lost
    }

    /// A consumer of `g` finished processing `m` (of `topic`), which used one copy. `created`
    /// is asked for only for a first delivery (whose message is then still kept).
    pub fn process(
        &mut self,
        m: MsgId,
        topic: TopicId,
        g: GroupId,
        created: impl FnOnce() -> Option<Nanos>,
        now: Nanos,
        key_slot: Option<u32>,
    ) -> Processed {
        let group = &mut self.groups[g.ix()];
        let at = group
            .find(m)
            .map(|at| (at, group.get(at)))
            .filter(|(_, c)| c.pending());
        let outcome = match at {
            Some((at, c)) => {
                group.settle(at, m, c, CellState::Delivered);
                group.counters.deliver();
                self.total.deliver();
                let lat = created().map_or(0, |c| now.saturating_sub(c));
                self.latency.record_ns(lat);
                self.window.record_ns(lat);
                Processed::First
            }
            _ if m < group.first_msg => {
                group.counters.replayed += 1;
                self.total.replayed += 1;
                return Processed::Replay;
            }
            _ if !group.expected(m, topic) => return Processed::Stray,
            // Delivered or lost before. A lost delivery that turns up later cannot be: a model
            // dropped its last copy while another place still held it. Count it as a duplicate
            // so nothing vanishes; the audit reports the model bug.
            _ => {
                group.counters.duplicates += 1;
                self.total.duplicates += 1;
                Processed::Duplicate
            }
        };
        if let Some(slot) = key_slot {
            let last = &mut group.last_of_key[slot as usize];
            if *last > m.0 + 1 {
                group.counters.out_of_order += 1;
                self.total.out_of_order += 1;
            } else {
                *last = m.0 + 1;
            }
        }
        outcome
    }

    /// Every (message, group) cell that is pending, with its copy count.
    pub fn pending_cells(&self) -> impl Iterator<Item = (MsgId, GroupId, u16)> + '_ {
        self.groups
            .iter()
            .zip(self.group_ids())
            .flat_map(|(g, gid)| {
                let ring = g.ring[g.start..]
                    .iter()
                    .zip(g.base..)
                    .map(|(&c, m)| (MsgId(m), c));
                g.stragglers
                    .iter()
                    .copied()
                    .chain(ring)
                    .filter(|(_, c)| c.pending())
                    .map(move |(m, c)| (m, gid, g.copies_of(m, c)))
            })
    }

    /// Cells kept over every group (pending, and settled ones not yet let go).
    #[must_use]
    pub fn kept(&self) -> usize {
        self.groups.iter().map(Group::kept).sum()
    }

    /// About how many bytes the cells take.
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        self.groups
            .iter()
            .map(|g| {
                super::bytes_of::<Cell>(g.ring.capacity())
                    + super::bytes_of::<(MsgId, Cell)>(g.stragglers.capacity())
                    + super::bytes_of::<(MsgId, u16)>(g.many.capacity())
                    + super::bytes_of::<u32>(g.last_of_key.capacity())
            })
            .sum::<usize>()
            + super::bytes_of::<u32>(self.window.capacity())
    }

    #[must_use]
    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.groups
            .iter()
            .position(|g| g.name == name)
            .and_then(GroupId::from_ix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: fn() -> Option<Nanos> = || Some(0);

    #[test]
    fn last_dropped_copy_loses_the_delivery_with_its_reason() {
        let mut l = Ledger::new(0, 1);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        l.publish(MsgId(0), 0);
        l.hold(MsgId(0), g, 2);
        l.release(MsgId(0), g, Release::Lost(LossReason::ConsumerCrash));
        assert_eq!(l.state(MsgId(0), g), CellState::Pending);
        l.release(MsgId(0), g, Release::Lost(LossReason::Retention));
        assert_eq!(
            l.total.lost_by_reason(),
            [("retention".to_owned(), 1)].into_iter().collect()
        );
        assert!(l.total.conserved());
    }

    #[test]
    fn a_settled_copy_never_loses_a_delivery() {
        let mut l = Ledger::new(0, 1);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        l.publish(MsgId(0), 0);
        l.hold(MsgId(0), g, 1);
        assert!(!l.release(MsgId(0), g, Release::Settled));
        assert_eq!(l.state(MsgId(0), g), CellState::Pending);
        assert_eq!(l.total.lost, 0);
        assert_eq!(
            l.pending_cells().collect::<Vec<_>>(),
            vec![(MsgId(0), g, 0)]
        );
    }

    #[test]
    fn second_processing_is_a_duplicate_history_a_replay_and_an_unsubscribed_topic_stray() {
        let mut l = Ledger::new(0, 2);
        let a = l.join("a", &[0], 2, ConsumerId(0));
        l.publish(MsgId(0), 0);
        l.publish(MsgId(1), 1);
        let b = l.join("b", &[0], 2, ConsumerId(1));
        l.hold_all(MsgId(0), 0);
        assert_eq!(l.process(MsgId(0), 0, a, NONE, 10, None), Processed::First);
        assert_eq!(
            l.process(MsgId(0), 0, a, NONE, 10, None),
            Processed::Duplicate
        );
        assert_eq!(l.process(MsgId(0), 0, b, NONE, 10, None), Processed::Replay);
        assert_eq!(l.process(MsgId(1), 1, a, NONE, 10, None), Processed::Stray);
        // a subscribes to topic 1 from message 2 on: message 1 stays stray, 2 is expected.
        l.join("a", &[1], 2, ConsumerId(2));
        l.publish(MsgId(2), 1);
        assert_eq!(l.process(MsgId(1), 1, a, NONE, 10, None), Processed::Stray);
        assert_eq!(l.process(MsgId(2), 1, a, NONE, 10, None), Processed::First);
        assert_eq!(
            (
                l.total.delivered,
                l.total.duplicates,
                l.total.replayed,
                l.total.expected
            ),
            (2, 1, 1, 2)
        );
    }

    #[test]
    fn a_message_processed_after_a_newer_one_of_its_key_is_out_of_order() {
        let mut l = Ledger::new(1, 1);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        for m in 0..3 {
            l.publish(MsgId(m), 0);
            l.hold(MsgId(m), g, 1);
        }
        l.process(MsgId(0), 0, g, NONE, 1, Some(0));
        l.process(MsgId(2), 0, g, NONE, 1, Some(0));
        l.process(MsgId(1), 0, g, NONE, 1, Some(0));
        assert_eq!(l.total.out_of_order, 1);
    }

    /// Copies beyond what a cell's byte holds are counted aside, exactly, up to the same
    /// saturation as before (16,383), in the ring and among stragglers; a settled cell leaves
    /// nothing aside.
    #[test]
    fn a_cell_counts_many_copies_exactly_and_lets_them_go_when_settled() {
        let mut l = Ledger::new(0, 1);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        let n = ESCAPE_AT as u32 * 2;
        for m in 0..n {
            l.publish(MsgId(m), 0);
            l.hold(MsgId(m), g, 1);
        }
        // Message 3 (soon a straggler) and the newest one hold many copies.
        let last = MsgId(n - 1);
        for m in [MsgId(3), last] {
            for _ in 0..70 {
                l.hold(m, g, 1);
            }
            assert_eq!(l.group(g).copies(m), 71);
        }
        for m in (0..n - 1).filter(|&m| m != 3) {
            l.process(MsgId(m), 0, g, NONE, 1, None);
        }
        assert!(
            l.group(g).stragglers.iter().any(|s| s.0 == MsgId(3)),
            "message 3 was set aside"
        );
        assert_eq!(l.group(g).copies(MsgId(3)), 71);
        // Down through the byte's limit and up again, a copy at a time.
        for want in (60..71).rev() {
            assert!(!l.release(MsgId(3), g, Release::Settled));
            assert_eq!(l.group(g).copies(MsgId(3)), want);
        }
        l.hold(MsgId(3), g, 5);
        assert_eq!(l.group(g).copies(MsgId(3)), 65);
        for _ in 0..64 {
            assert!(!l.release(MsgId(3), g, Release::Lost(LossReason::Retention)));
        }
        assert_eq!(l.group(g).copies(MsgId(3)), 1);
        assert!(l.release(MsgId(3), g, Release::Lost(LossReason::Retention)));
        // Lost, and let go with the settled stragglers.
        assert_eq!(l.total.lost, 1);
        assert!(l.group(g).stragglers.is_empty());
        // Saturation, as with two-byte cells.
        l.hold(last, g, u16::MAX);
        assert_eq!(l.group(g).copies(last), COPIES_MAX);
        assert_eq!(
            l.pending_cells().collect::<Vec<_>>(),
            vec![(last, g, COPIES_MAX)]
        );
        assert!(!l.group(g).many.is_empty());
        assert_eq!(l.process(last, 0, g, NONE, 1, None), Processed::First);
        assert!(l.group(g).many.is_empty(), "{:?}", l.group(g).many);
        assert_eq!(l.kept(), 0);
        assert!(l.total.conserved());
    }

    #[test]
    fn settled_cells_are_let_go_so_memory_follows_what_is_pending() {
        let mut l = Ledger::new(0, 1);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        let n = 100_000;
        for m in 0..n {
            l.publish(MsgId(m), 0);
            l.hold(MsgId(m), g, 1);
        }
        // Message 0 stays pending; every other one is delivered.
        for m in 1..n {
            l.process(MsgId(m), 0, g, NONE, 1, None);
        }
        assert!(l.kept() < ESCAPE_AT, "kept {}", l.kept());
        assert_eq!(l.oldest_pending(), Some(MsgId(0)));
        assert_eq!(
            l.process(MsgId(7), 0, g, NONE, 1, None),
            Processed::Duplicate
        );
        assert_eq!(l.process(MsgId(0), 0, g, NONE, 1, None), Processed::First);
        assert_eq!(l.kept(), 0);
        assert!(l.total.conserved());
    }
}
