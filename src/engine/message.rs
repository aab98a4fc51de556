//! Messages as the engine keeps them: a [`MsgRef`] of 8 bytes that every place holding a message
//! carries (hops, consumers' memory, queues, logs), and a [`Classes`] table that says what such a
//! message is. What varies per message and is not in the reference, the time it was created, is
//! kept only while some group still waits for the message (see `World::created`).
//!
//! ```text
//!   MsgRef { id, class } ──classes[class]──> topic, producer, size, key, key slot
//!   class: the key slot of a keyed message (one per key of each publish entry),
//!          or, after every key slot, one class per unkeyed publish entry
//! ```
//!
//! So a log that keeps a million records keeps a million references, not a million messages (and
//! packs them in 4 bytes each where it can: [`super::RefLog`]).

use super::ids::{MsgId, ProducerId};
use crate::scenario::{Nanos, TopicId};
use serde::Serialize;

/// What kind of message it is: a publish entry and, if it has keys, its key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MsgClass(pub u32);

/// A message as places hold it: its id (creation order, the same in every variant) and class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MsgRef {
    pub id: MsgId,
    pub class: MsgClass,
}

/// What every message of a class has in common.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClassInfo {
    pub topic: TopicId,
    pub producer: ProducerId,
    pub size: u32,
    /// The key number, from 0 (None: records without a key).
    pub key: Option<u32>,
    /// The key's slot among every key of the scenario (for ordering checks).
    pub key_slot: Option<u32>,
}

/// The classes of a scenario's messages, indexed by [`MsgClass`].
#[derive(Clone, Debug, Default)]
pub struct Classes {
    infos: Vec<ClassInfo>,
}

impl Classes {
    /// One publish entry: `keys` classes (one per key) for a keyed entry, else one class,
    /// placed after every key slot. `key_base` is the entry's first key slot, `unkeyed` how many
    /// unkeyed entries came before it, `key_slots` the scenario's key slots in all.
    pub(super) fn new(key_slots: u32) -> Classes {
        Classes {
            infos: vec![
                ClassInfo {
                    topic: 0,
                    producer: ProducerId(0),
                    size: 0,
                    key: None,
                    key_slot: None,
                };
                key_slots as usize
            ],
        }
    }

    /// Record the classes of one publish entry; returns the class of its first message (its
    /// keyed classes follow).
    pub(super) fn add_entry(
        &mut self,
        topic: TopicId,
        producer: ProducerId,
        size: u32,
        keys: u32,
        key_base: u32,
    ) -> MsgClass {
        if keys == 0 {
            self.infos.push(ClassInfo {
                topic,
                producer,
                size,
                key: None,
                key_slot: None,
            });
            return MsgClass(u32::try_from(self.infos.len() - 1).unwrap_or(u32::MAX));
        }
        for k in 0..keys {
            let slot = key_base + k;
            if let Some(info) = self.infos.get_mut(slot as usize) {
                *info = ClassInfo {
                    topic,
                    producer,
                    size,
                    key: Some(k),
                    key_slot: Some(slot),
                };
            }
        }
        MsgClass(key_base)
    }

    #[inline]
    #[must_use]
    pub fn info(&self, c: MsgClass) -> &ClassInfo {
        &self.infos[c.0 as usize]
    }

    /// How many classes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }
}

/// Messages a [`CreationTimes`] block holds: from a multiple of this id on.
const TIMES_BLOCK: usize = 512;

/// The creation times of the 512 messages from a multiple of 512 on: each as an offset from
/// the time of the first message in the block or, from the first one too far from that on, of
/// the last rebase at or before it.
#[derive(Clone, Debug)]
struct TimeBlock {
    base: Nanos,
    offsets: [u32; TIMES_BLOCK],
    /// (index in the block, time): from that message on, offsets count from this time. Empty
    /// while the block spans less than 4.29 simulated seconds.
    rebases: Vec<(u16, Nanos)>,
}

impl TimeBlock {
    /// What the offset of message `i` counts from, when the block has rebases.
    #[cold]
    #[inline(never)]
    fn rebased(&self, i: usize) -> Nanos {
        self.rebases
            .iter()
            .rev()
            .find(|&&(at, _)| usize::from(at) <= i)
            .map_or(self.base, |&(_, t)| t)
    }
}

/// When each message from some id on was created, in about four bytes a message: creation
/// times never decrease with the id, so a block of 512 messages keeps its first time in full
/// and each message's as a 32-bit offset from it. A message more than 4.29 s after what its
/// block counts from (messages slower than 120 a second) starts a rebase, 16 bytes. Finding a
/// time is two indexes, however old the message.
#[derive(Clone, Debug, Default)]
pub struct CreationTimes {
    /// The first message kept; `end` the next one to come.
    from: u32,
    end: u32,
    /// The block of `blocks[0]` (message `first_block * 512` is its first).
    first_block: u32,
    blocks: std::collections::VecDeque<Box<TimeBlock>>,
}

impl CreationTimes {
    /// Message `end` was created at `t` (not before the one created last).
    #[inline(always)]
    pub fn push(&mut self, t: Nanos) {
        debug_assert!(self.end < u32::MAX, "validation keeps ids below u32::MAX");
        let id = self.end;
        self.end = id.saturating_add(1);
        let i = id as usize % TIMES_BLOCK;
        match self.blocks.back_mut() {
            Some(block) if i != 0 => {
                let from = block.rebases.last().map_or(block.base, |&(_, b)| b);
                match t.checked_sub(from).and_then(|d| u32::try_from(d).ok()) {
                    Some(off) => block.offsets[i] = off,
                    None => Self::rebase(block, i, t),
                }
            }
            // Its first message counts from itself (offset 0).
            _ => self.new_block(id / TIMES_BLOCK as u32, t),
        }
    }

    /// Start block `b` with a message created at `t` (once every 512 messages).
    #[inline(never)]
    fn new_block(&mut self, b: u32, t: Nanos) {
        if self.blocks.is_empty() {
            self.first_block = b;
        }
        self.blocks.push_back(Box::new(TimeBlock {
            base: t,
            offsets: [0; TIMES_BLOCK],
            rebases: Vec::new(),
        }));
    }

    /// Message `i` of `block` is too far from what the block counts from: it counts from `t`.
    #[cold]
    #[inline(never)]
    fn rebase(block: &mut TimeBlock, i: usize, t: Nanos) {
        block
            .rebases
            .push((u16::try_from(i).unwrap_or(u16::MAX), t));
        block.offsets[i] = 0;
    }

    /// When `m` was created, if it is kept.
    #[inline(always)]
    #[must_use]
    pub fn get(&self, m: MsgId) -> Option<Nanos> {
        if m.0 < self.from || m.0 >= self.end {
            return None;
        }
        let b = (m.0 / TIMES_BLOCK as u32).checked_sub(self.first_block)?;
        let block = self.blocks.get(b as usize)?;
        let i = m.0 as usize % TIMES_BLOCK;
        let from = if block.rebases.is_empty() {
            block.base
        } else {
            block.rebased(i)
        };
        Some(from + Nanos::from(block.offsets[i]))
    }

    /// Let go of every message before `m`.
    pub fn forget_before(&mut self, m: MsgId) {
        self.from = self.from.max(m.0.min(self.end));
        while !self.blocks.is_empty()
            && (self.first_block as usize + 1) * TIMES_BLOCK <= self.from as usize
        {
            self.blocks.pop_front();
            self.first_block += 1;
        }
    }

    /// Messages kept.
    #[must_use]
    pub fn len(&self) -> usize {
        (self.end - self.from) as usize
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end == self.from
    }

    /// Bytes it takes.
    #[must_use]
    pub fn bytes(&self) -> usize {
        let rebases: usize = self.blocks.iter().map(|b| b.rebases.capacity()).sum();
        self.blocks.len() * std::mem::size_of::<TimeBlock>()
            + self.blocks.capacity() * std::mem::size_of::<Box<TimeBlock>>()
            + rebases * std::mem::size_of::<(u16, Nanos)>()
    }
}

#[cfg(test)]
mod tests {
    use super::{CreationTimes, MsgId, TIMES_BLOCK};
    use crate::scenario::Nanos;
    use proptest::prelude::*;

    /// Times that cross many 2^32 ns boundaries, some equal, some far apart: every kept one
    /// reads back exactly, forgotten ones read None, and what is kept shrinks with them.
    #[test]
    fn creation_times_read_back_exactly_across_far_gaps() {
        let mut times: Vec<Nanos> = Vec::new();
        let mut t: Nanos = 0;
        for i in 0u64..20_000 {
            t += match i % 7 {
                0 => 0,
                1 => 1,
                2 => 1 << 32,
                3 => (1 << 32) - 1,
                4 => 977_000_123,
                5 => 5 << 33,
                _ => 12_345,
            };
            times.push(t);
        }
        let mut c = CreationTimes::default();
        for &t in &times {
            c.push(t);
        }
        for (i, &t) in times.iter().enumerate() {
            assert_eq!(c.get(MsgId(i as u32)), Some(t), "message {i}");
        }
        assert_eq!(c.get(MsgId(times.len() as u32)), None);
        let rebases = |c: &CreationTimes| c.blocks.iter().map(|b| b.rebases.len()).sum::<usize>();
        let (blocks, rebased) = (c.blocks.len(), rebases(&c));
        assert!(
            rebased > 5_000,
            "many are far from their block's first: {rebased}"
        );
        c.forget_before(MsgId(15_000));
        assert!(
            c.blocks.len() < blocks / 3,
            "{} of {blocks}",
            c.blocks.len()
        );
        assert!(rebases(&c) < rebased / 3, "{} of {rebased}", rebases(&c));
        assert_eq!(c.get(MsgId(14_999)), None);
        for (i, &t) in times.iter().enumerate().skip(15_000) {
            assert_eq!(
                c.get(MsgId(i as u32)),
                Some(t),
                "message {i} after forgetting"
            );
        }
        assert_eq!(c.len(), 5_000);
    }

    /// At a steady rate above 120 messages a second nothing is kept aside: four bytes a
    /// message and a few a block.
    #[test]
    fn creation_times_take_four_bytes_a_message_at_a_steady_rate() {
        let mut c = CreationTimes::default();
        let n: u32 = 1_000_000;
        for i in 0..n {
            // 1,000 a second, jittered, over 16 simulated minutes.
            c.push(Nanos::from(i) * 1_000_000 + Nanos::from(i) * 7919 % 1000);
        }
        assert!(c.blocks.iter().all(|b| b.rebases.is_empty()));
        let per = c.bytes() as f64 / f64::from(n);
        assert!((4.0..4.1).contains(&per), "{per} bytes a message");
        assert_eq!(
            c.get(MsgId(777_777)),
            Some(777_777_000_000 + 777_777 * 7919 % 1000)
        );
    }

    /// One message a second: a rebase every 4.29 s, so about eight bytes a message, not the
    /// 16 of a full time.
    #[test]
    fn creation_times_stay_small_at_a_slow_rate() {
        let mut c = CreationTimes::default();
        let n: u32 = 100_000;
        for i in 0..n {
            c.push(Nanos::from(i) * 1_000_000_000 + 17);
        }
        let per = c.bytes() as f64 / f64::from(n);
        assert!(per < 9.0, "{per} bytes a message");
        for i in (0..n).step_by(997) {
            assert_eq!(c.get(MsgId(i)), Some(Nanos::from(i) * 1_000_000_000 + 17));
        }
    }

    proptest! {
        /// Pushes with any gaps and forgets at any point read back as a plain vector of the
        /// same times does.
        #[test]
        fn creation_times_behave_as_a_vector(
            ops in proptest::collection::vec(
                prop_oneof![
                    4 => (0u64..3).prop_flat_map(|k| match k {
                        0 => (0u64..2_000_000).boxed(),
                        1 => (0u64..(1 << 33)).boxed(),
                        _ => Just(0u64).boxed(),
                    }).prop_map(Some),
                    1 => Just(None),
                ],
                0..3000,
            ),
            forgets in proptest::collection::vec(
                prop_oneof![
                    0u32..3000,
                    // At a block's edges.
                    (0u32..6, 0u32..3).prop_map(|(k, d)| (k * TIMES_BLOCK as u32 + d).saturating_sub(1)),
                ],
                1..8,
            ),
        ) {
            let mut c = CreationTimes::default();
            let mut all: Vec<Nanos> = Vec::new();
            let mut from = 0u32;
            let mut t: Nanos = 0;
            let mut forgets = forgets.into_iter().cycle();
            for op in ops {
                match op {
                    Some(gap) => {
                        t += gap;
                        c.push(t);
                        all.push(t);
                    }
                    None => {
                        let m = forgets.next().unwrap_or(0);
                        c.forget_before(MsgId(m));
                        from = from.max(m.min(all.len() as u32));
                    }
                }
            }
            prop_assert_eq!(c.len(), all.len() - from as usize);
            for i in 0..all.len() as u32 + 2 {
                let want = (i >= from).then(|| all.get(i as usize).copied()).flatten();
                prop_assert_eq!(c.get(MsgId(i)), want, "message {}", i);
            }
            // Exactly the blocks from the one of the first kept message to the one of the last.
            prop_assert_eq!(
                c.blocks.len(),
                all.len().div_ceil(TIMES_BLOCK) - from as usize / TIMES_BLOCK
            );
        }
    }
}
