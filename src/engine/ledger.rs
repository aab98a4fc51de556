//! The delivery ledger: for every message and every consumer group, whether the group should get
//! it, got it, or never will, and how many places can still deliver it.
//!
//! A cell is `Pending` while at least one copy (in flight, in a queue or buffer, in a log ahead of
//! the group's offset, in a consumer's memory) can still reach the group. Models hold and release
//! copies as messages move (the rule is in [`crate::engine`]'s docs); when the last copy of a
//! pending cell is released as lost, the delivery is lost for that reason. So `pending` is not
//! derived from the other counters: it is what the models hold, and the audit checks both
//! against each other.

use super::ids::{ConsumerId, GroupId, MsgId};
use crate::metrics::{Counters, LatencyHistogram, LossReason};
use crate::scenario::{Nanos, TopicId};

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
    /// The group did not exist or did not subscribe to the topic when the message was published.
    NotExpected,
    Pending,
    Delivered,
    Lost,
}

/// Two bytes: state in the top two bits, copies below.
#[derive(Clone, Copy, Debug, Default)]
struct Cell(u16);

const COPIES_MASK: u16 = 0x3fff;

impl Cell {
    #[inline]
    fn state(self) -> CellState {
        match self.0 >> 14 {
            0 => CellState::NotExpected,
            1 => CellState::Pending,
            2 => CellState::Delivered,
            _ => CellState::Lost,
        }
    }
    #[inline]
    fn copies(self) -> u16 {
        self.0 & COPIES_MASK
    }
    fn set(state: CellState, copies: u16) -> Cell {
        let s: u16 = match state {
            CellState::NotExpected => 0,
            CellState::Pending => 1,
            CellState::Delivered => 2,
            CellState::Lost => 3,
        };
        Cell((s << 14) | copies.min(COPIES_MASK))
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

#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    /// Indexed by topic id.
    pub topics: Vec<bool>,
    /// The members, in join order.
    pub members: Vec<ConsumerId>,
    /// The first message published after the group joined: earlier ones are history.
    pub first_msg: MsgId,
    cells: Vec<Cell>,
    pub counters: Counters,
    /// Per key slot, the newest message processed, + 1 (0 = none yet).
    last_of_key: Vec<u64>,
}

impl Group {
    #[inline]
    fn cell(&self, m: MsgId) -> Option<Cell> {
        let i = m.0.checked_sub(self.first_msg.0)?;
        self.cells.get(usize::try_from(i).ok()?).copied()
    }
    #[inline]
    fn cell_mut(&mut self, m: MsgId) -> Option<&mut Cell> {
        let i = m.0.checked_sub(self.first_msg.0)?;
        self.cells.get_mut(usize::try_from(i).ok()?)
    }
    #[must_use]
    pub fn state(&self, m: MsgId) -> CellState {
        self.cell(m).map_or(CellState::NotExpected, Cell::state)
    }
    #[must_use]
    pub fn copies(&self, m: MsgId) -> u16 {
        self.cell(m).map_or(0, Cell::copies)
    }
    #[must_use]
    #[inline]
    pub fn subscribes(&self, t: TopicId) -> bool {
        self.topics.get(usize::from(t)).copied().unwrap_or(false)
    }
}

#[derive(Clone, Debug)]
pub struct Ledger {
    pub groups: Vec<Group>,
    pub total: Counters,
    pub latency: LatencyHistogram,
    /// Latency of the deliveries since the last time-series sample.
    pub window: LatencyHistogram,
    key_slots: usize,
    /// Messages published so far (the next one's id).
    messages: u64,
}

impl Ledger {
    pub fn new(key_slots: usize) -> Ledger {
        Ledger {
            groups: Vec::new(),
            total: Counters::default(),
            latency: LatencyHistogram::default(),
            window: LatencyHistogram::default(),
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
                cells: Vec::new(),
                counters: Counters::default(),
                last_of_key: vec![0; self.key_slots],
            });
            self.groups.len() - 1
        };
        let g = &mut self.groups[gid];
        for &t in topics {
            g.topics[usize::from(t)] = true;
        }
        if !g.members.contains(&member) {
            g.members.push(member);
        }
        // Groups are at most one per consumer, and consumers are counted in u32.
        GroupId::from_ix(gid).unwrap_or_default()
    }

    /// A new message: every group subscribed to its topic now expects one delivery, with no copy
    /// yet (the publishing model holds its copies at once).
    pub fn publish(&mut self, m: MsgId, topic: TopicId) -> u64 {
        debug_assert_eq!(m.0, self.messages);
        self.messages = m.0 + 1;
        let mut n = 0;
        for g in &mut self.groups {
            let c = if g.subscribes(topic) {
                g.counters.expect(1);
                n += 1;
                Cell::set(CellState::Pending, 0)
            } else {
                Cell::set(CellState::NotExpected, 0)
            };
            g.cells.push(c);
        }
        self.total.expect(n);
        n
    }

    #[must_use]
    #[inline]
    pub fn group(&self, g: GroupId) -> &Group {
        &self.groups[g.ix()]
    }

    /// Every group's id, in join order.
    #[inline]
    pub fn group_ids(&self) -> impl Iterator<Item = GroupId> + Clone {
        super::ids::ids(self.groups.len(), GroupId::from_ix)
    }

    #[must_use]
    pub fn state(&self, m: MsgId, g: GroupId) -> CellState {
        self.groups[g.ix()].state(m)
    }

    #[must_use]
    #[inline]
    pub fn is_pending(&self, m: MsgId, g: GroupId) -> bool {
        self.state(m, g) == CellState::Pending
    }

    /// Groups that still wait for `m`.
    pub fn pending_groups(&self, m: MsgId) -> impl Iterator<Item = GroupId> + '_ {
        self.group_ids().filter(move |&g| self.is_pending(m, g))
    }

    /// `n` more places hold `m` for `g` (no-op unless the cell is pending).
    #[inline]
    pub fn hold(&mut self, m: MsgId, g: GroupId, n: u16) {
        if n == 0 {
            return;
        }
        if let Some(c) = self.groups[g.ix()].cell_mut(m) {
            if c.state() == CellState::Pending {
                *c = Cell::set(CellState::Pending, c.copies().saturating_add(n));
            }
        }
    }

    /// One more place holds `m` for every group that waits for it.
    #[inline]
    pub fn hold_all(&mut self, m: MsgId) {
        for g in &mut self.groups {
            if let Some(c) = g.cell_mut(m) {
                if c.state() == CellState::Pending {
                    *c = Cell::set(CellState::Pending, c.copies().saturating_add(1));
                }
            }
        }
    }

    /// A place that held `m` for `g` lets it go. Returns whether that lost the delivery.
    #[inline]
    pub fn release(&mut self, m: MsgId, g: GroupId, how: Release) -> bool {
        let group = &mut self.groups[g.ix()];
        let Some(c) = group.cell_mut(m) else {
            return false;
        };
        if c.state() != CellState::Pending {
            return false;
        }
        let copies = c.copies().saturating_sub(1);
        match how {
            Release::Lost(reason) if copies == 0 => {
                *c = Cell::set(CellState::Lost, 0);
                group.counters.lose(reason);
                self.total.lose(reason);
                true
            }
            // A settled last copy stays pending with no copy: the audit reports the model bug.
            _ => {
                *c = Cell::set(CellState::Pending, copies);
                false
            }
        }
    }

    /// [`Ledger::release`] for every group that waits for `m`. Returns whether any delivery was lost.
    #[inline]
    pub fn release_all(&mut self, m: MsgId, how: Release) -> bool {
        let mut lost = false;
        for g in self.group_ids() {
            lost |= self.release(m, g, how);
        }
        lost
    }

    /// A consumer of `g` finished processing `m`, which used one copy.
    pub fn process(
        &mut self,
        m: MsgId,
        g: GroupId,
        created: Nanos,
        now: Nanos,
        key_slot: Option<u32>,
    ) -> Processed {
        let group = &mut self.groups[g.ix()];
        let Some(c) = group.cell_mut(m) else {
            if m < group.first_msg {
                group.counters.replayed += 1;
                self.total.replayed += 1;
                return Processed::Replay;
            }
            return Processed::Stray;
        };
        let outcome = match c.state() {
            CellState::Pending => {
                *c = Cell::set(CellState::Delivered, 0);
                group.counters.deliver();
                self.total.deliver();
                let lat = now.saturating_sub(created);
                self.latency.record_ns(lat);
                self.window.record_ns(lat);
                Processed::First
            }
            CellState::Delivered | CellState::Lost => {
                // A lost delivery that turns up later cannot be: a model dropped its last copy
                // while another place still held it. Count it as a duplicate so nothing vanishes;
                // the audit reports the model bug.
                group.counters.duplicates += 1;
                self.total.duplicates += 1;
                Processed::Duplicate
            }
            CellState::NotExpected => return Processed::Stray,
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
                g.cells
                    .iter()
                    .zip(g.first_msg.0..)
                    .filter(|(c, _)| c.state() == CellState::Pending)
                    .map(move |(c, m)| (MsgId(m), gid, c.copies()))
            })
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

    #[test]
    fn last_dropped_copy_loses_the_delivery_with_its_reason() {
        let mut l = Ledger::new(0);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        l.publish(MsgId(0), 0);
        l.hold(MsgId(0), g, 2);
        l.release(MsgId(0), g, Release::Lost(LossReason::ConsumerCrash));
        assert_eq!(l.state(MsgId(0), g), CellState::Pending);
        l.release(MsgId(0), g, Release::Lost(LossReason::Retention));
        assert_eq!(l.state(MsgId(0), g), CellState::Lost);
        assert_eq!(
            l.total.lost_by_reason(),
            [("retention".to_owned(), 1)].into_iter().collect()
        );
        assert!(l.total.conserved());
    }

    #[test]
    fn a_settled_copy_never_loses_a_delivery() {
        let mut l = Ledger::new(0);
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
    fn second_processing_is_a_duplicate_and_history_is_a_replay() {
        let mut l = Ledger::new(0);
        let a = l.join("a", &[0], 1, ConsumerId(0));
        l.publish(MsgId(0), 0);
        let b = l.join("b", &[0], 1, ConsumerId(1));
        l.hold_all(MsgId(0));
        assert_eq!(l.process(MsgId(0), a, 0, 10, None), Processed::First);
        assert_eq!(l.process(MsgId(0), a, 0, 10, None), Processed::Duplicate);
        assert_eq!(l.process(MsgId(0), b, 0, 10, None), Processed::Replay);
        assert_eq!(
            (
                l.total.delivered,
                l.total.duplicates,
                l.total.replayed,
                l.total.expected
            ),
            (1, 1, 1, 1)
        );
    }

    #[test]
    fn a_message_processed_after_a_newer_one_of_its_key_is_out_of_order() {
        let mut l = Ledger::new(1);
        let g = l.join("g", &[0], 1, ConsumerId(0));
        for m in 0..3 {
            l.publish(MsgId(m), 0);
            l.hold(MsgId(m), g, 1);
        }
        l.process(MsgId(0), g, 0, 1, Some(0));
        l.process(MsgId(2), g, 0, 1, Some(0));
        l.process(MsgId(1), g, 0, 1, Some(0));
        assert_eq!(l.total.out_of_order, 1);
    }
}
