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

/// Messages of a narrow block that count from one sub-base.
const SUB: usize = 32;
/// A narrow block's offsets from their sub-base are below this: 2^24 ns, 16.7 ms.
const NARROW_SPAN: Nanos = 1 << 24;

/// The creation times of the 512 messages from a multiple of 512 on.
#[derive(Clone, Debug)]
enum TimeBlock {
    Narrow(Box<NarrowTimes>),
    Wide(Box<WideTimes>),
}

/// Three bytes a message: message `i` was created at `base + subs[i / 32]` plus the 24-bit
/// offset at `low[3 * i..]`. Fits while every 32 messages come within 16.7 ms of the first of
/// them (above about 2,000 messages a second) and the block within 4.29 s of its first.
#[derive(Clone, Debug)]
struct NarrowTimes {
    base: Nanos,
    subs: [u32; TIMES_BLOCK / SUB],
    low: [u8; 3 * TIMES_BLOCK],
}

/// Four bytes a message: each an offset from the time of the first message in the block or,
/// from the first one too far from that on, of the last rebase at or before it.
#[derive(Clone, Debug)]
struct WideTimes {
    base: Nanos,
    offsets: [u32; TIMES_BLOCK],
    /// (index in the block, time): from that message on, offsets count from this time. Empty
    /// while the block spans less than 4.29 simulated seconds.
    rebases: Vec<(u16, Nanos)>,
}

impl NarrowTimes {
    #[inline(always)]
    fn get(&self, i: usize) -> Nanos {
        let l = &self.low[3 * i..3 * i + 3];
        let off = u32::from_le_bytes([l[0], l[1], l[2], 0]);
        self.base + Nanos::from(self.subs[i / SUB]) + Nanos::from(off)
    }

    /// Message `i` was created at `t`, if that fits (else nothing changes).
    #[inline]
    fn put(&mut self, i: usize, t: Nanos) -> bool {
        let k = i / SUB;
        let off = if i % SUB == 0 {
            match t.checked_sub(self.base).and_then(|d| u32::try_from(d).ok()) {
                Some(sub) => self.subs[k] = sub,
                None => return false,
            }
            0
        } else {
            match t.checked_sub(self.base + Nanos::from(self.subs[k])) {
                Some(d) if d < NARROW_SPAN => d,
                _ => return false,
            }
        };
        let b = off.to_le_bytes();
        self.low[3 * i..3 * i + 3].copy_from_slice(&b[..3]);
        true
    }

    /// The block as a wide one, with messages before `i` as they were.
    #[cold]
    #[inline(never)]
    fn widen(&self, i: usize) -> Box<WideTimes> {
        let mut w = WideTimes::new(self.base);
        for j in 1..i {
            w.put(j, self.get(j));
        }
        w
    }
}

impl WideTimes {
    fn new(base: Nanos) -> Box<WideTimes> {
        Box::new(WideTimes {
            base,
            offsets: [0; TIMES_BLOCK],
            rebases: Vec::new(),
        })
    }

    #[inline(always)]
    fn get(&self, i: usize) -> Nanos {
        let from = if self.rebases.is_empty() {
            self.base
        } else {
            self.rebased(i)
        };
        from + Nanos::from(self.offsets[i])
    }

    /// Message `i` (not the first) was created at `t`.
    #[inline]
    fn put(&mut self, i: usize, t: Nanos) {
        let from = self.rebases.last().map_or(self.base, |&(_, b)| b);
        match t.checked_sub(from).and_then(|d| u32::try_from(d).ok()) {
            Some(off) => self.offsets[i] = off,
            None => self.rebase(i, t),
        }
    }

    /// Message `i` is too far from what the block counts from: it counts from `t`.
    #[cold]
    #[inline(never)]
    fn rebase(&mut self, i: usize, t: Nanos) {
        self.rebases.push((u16::try_from(i).unwrap_or(u16::MAX), t));
        self.offsets[i] = 0;
    }

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

impl TimeBlock {
    #[inline(always)]
    fn get(&self, i: usize) -> Nanos {
        match self {
            TimeBlock::Narrow(n) => n.get(i),
            TimeBlock::Wide(w) => w.get(i),
        }
    }

    /// Message `i` (not the first) was created at `t`: a narrow block it does not fit turns
    /// wide.
    #[inline]
    fn put(&mut self, i: usize, t: Nanos) {
        match self {
            TimeBlock::Narrow(n) => {
                if !n.put(i, t) {
                    let mut w = n.widen(i);
                    w.put(i, t);
                    *self = TimeBlock::Wide(w);
                }
            }
            TimeBlock::Wide(w) => w.put(i, t),
        }
    }

    /// Rebases it keeps.
    #[cfg(test)]
    fn rebases(&self) -> usize {
        match self {
            TimeBlock::Narrow(_) => 0,
            TimeBlock::Wide(w) => w.rebases.len(),
        }
    }

    fn bytes(&self) -> usize {
        match self {
            TimeBlock::Narrow(_) => std::mem::size_of::<NarrowTimes>(),
            TimeBlock::Wide(w) => {
                std::mem::size_of::<WideTimes>()
                    + w.rebases.capacity() * std::mem::size_of::<(u16, Nanos)>()
            }
        }
    }
}

/// When each message from some id on was created, in three or four bytes a message: creation
/// times never decrease with the id, so a block of 512 messages keeps its first time in full
/// and each message's as an offset: 24 bits from the first of its 32 while they come close
/// together ([`NarrowTimes`]), else 32 bits from the block's first ([`WideTimes`]). A message
/// more than 4.29 s after what a wide block counts from (messages slower than 120 a second)
/// starts a rebase, 16 bytes. Finding a time is two indexes, however old the message.
#[derive(Clone, Debug, Default)]
pub struct CreationTimes {
    /// The first message kept; `end` the next one to come.
    from: u32,
    end: u32,
    /// The block of `blocks[0]` (message `first_block * 512` is its first).
    first_block: u32,
    blocks: std::collections::VecDeque<TimeBlock>,
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
            Some(block) if i != 0 => block.put(i, t),
            // Its first message counts from itself (offset 0).
            _ => self.new_block(id / TIMES_BLOCK as u32, t),
        }
    }

    /// Start block `b` with a message created at `t` (once every 512 messages): narrow unless
    /// the block before came too far apart to be (at half a narrow span each 32 messages).
    #[inline(never)]
    fn new_block(&mut self, b: u32, t: Nanos) {
        if self.blocks.is_empty() {
            self.first_block = b;
        }
        let narrow = self.blocks.back().is_none_or(|last| {
            let span = last.get(TIMES_BLOCK - 1).saturating_sub(last.get(0));
            span / (TIMES_BLOCK / SUB) as Nanos <= NARROW_SPAN / 2
        });
        self.blocks.push_back(if narrow {
            TimeBlock::Narrow(Box::new(NarrowTimes {
                base: t,
                subs: [0; TIMES_BLOCK / SUB],
                low: [0; 3 * TIMES_BLOCK],
            }))
        } else {
            TimeBlock::Wide(WideTimes::new(t))
        });
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
        Some(block.get(m.0 as usize % TIMES_BLOCK))
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
        self.blocks.iter().map(TimeBlock::bytes).sum::<usize>()
            + self.blocks.capacity() * std::mem::size_of::<TimeBlock>()
    }
}

#[cfg(test)]
mod tests {
    use super::{CreationTimes, MsgId, TimeBlock, NARROW_SPAN, TIMES_BLOCK};
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
        let rebases = |c: &CreationTimes| c.blocks.iter().map(TimeBlock::rebases).sum::<usize>();
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
        assert!(c.blocks.iter().all(|b| b.rebases() == 0));
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

    /// Pushes `gaps` apart (None: a forget, the next of `forgets`): every time reads back as a
    /// plain vector of the same times does.
    fn behaves_as_a_vector(ops: Vec<Option<u64>>, forgets: Vec<u32>) -> Result<(), TestCaseError> {
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
        Ok(())
    }

    fn forgets() -> impl Strategy<Value = Vec<u32>> {
        proptest::collection::vec(
            prop_oneof![
                0u32..3000,
                // At a block's edges.
                (0u32..6, 0u32..3)
                    .prop_map(|(k, d)| (k * TIMES_BLOCK as u32 + d).saturating_sub(1)),
            ],
            1..8,
        )
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
            forgets in forgets(),
        ) {
            behaves_as_a_vector(ops, forgets)?;
        }

        /// Gaps mostly small enough for narrow blocks, some too far for a narrow block's 32
        /// (16.7 ms) or for its whole (4.29 s) at any point in a block: the same.
        #[test]
        fn narrow_creation_times_behave_as_a_vector(
            ops in proptest::collection::vec(
                prop_oneof![
                    200 => (0u64..400_000).prop_map(Some),
                    3 => (1u64 << 23..1 << 25).prop_map(Some),
                    1 => (1u64 << 31..1 << 33).prop_map(Some),
                    4 => Just(None),
                ],
                0..3000,
            ),
            forgets in forgets(),
        ) {
            behaves_as_a_vector(ops, forgets)?;
        }
    }

    /// A narrow block holds an offset of 2^24 - 1 ns from its sub-base and a sub-base of
    /// 2^32 - 1 from its base, and turns wide, exactly, one past either.
    #[test]
    fn a_narrow_block_holds_offsets_to_their_edges() {
        let narrow = |c: &CreationTimes| matches!(c.blocks.back(), Some(TimeBlock::Narrow(_)));
        for (gaps, widens) in [
            (vec![NARROW_SPAN - 1, 0], false),
            (vec![NARROW_SPAN - 1, 1], true),
            (vec![NARROW_SPAN], true),
        ] {
            let mut c = CreationTimes::default();
            let mut times = vec![5];
            c.push(5);
            for g in gaps {
                let t = times[times.len() - 1] + g;
                c.push(t);
                times.push(t);
            }
            assert_eq!(narrow(&c), !widens, "{times:?}");
            for (i, &t) in times.iter().enumerate() {
                assert_eq!(c.get(MsgId(i as u32)), Some(t));
            }
        }
        // Sub-bases: message 32 at 2^32 - 1 after the block's first fits, at 2^32 does not.
        for (last, widens) in [((1 << 32) - 1, false), (1 << 32, true)] {
            let mut c = CreationTimes::default();
            let times: Vec<Nanos> = (0..33u64)
                .map(|i| if i == 32 { 9 + last } else { 9 + i })
                .collect();
            for &t in &times {
                c.push(t);
            }
            assert_eq!(narrow(&c), !widens);
            for (i, &t) in times.iter().enumerate() {
                assert_eq!(c.get(MsgId(i as u32)), Some(t));
            }
        }
    }

    /// Fast messages take three bytes a message and a few a block; a slow stretch turns its
    /// blocks wide, and the blocks after it are narrow again.
    #[test]
    fn creation_times_take_three_bytes_a_message_while_messages_come_fast() {
        let mut c = CreationTimes::default();
        let n: u32 = 300 * TIMES_BLOCK as u32;
        let mut t: Nanos = 17;
        let mut times = Vec::new();
        for i in 0..n {
            // 5,000 a second, jittered; 100 a second for blocks 100 to 149.
            let slow = (100..150).contains(&(i as usize / TIMES_BLOCK));
            t += if slow {
                10_000_000
            } else {
                150_000 + u64::from(i) * 7919 % 100_000
            };
            c.push(t);
            times.push(t);
        }
        let narrow: Vec<bool> = c
            .blocks
            .iter()
            .map(|b| matches!(b, TimeBlock::Narrow(_)))
            .collect();
        assert!(narrow[..100].iter().all(|&x| x));
        assert!(narrow[100..150].iter().all(|&x| !x));
        // The first fast block after the slow ones starts wide (judged by the one before).
        assert!(narrow[151..].iter().all(|&x| x));
        let per = c.bytes() as f64 / f64::from(n);
        assert!(per < 3.5, "{per} bytes a message");
        for (i, &t) in times.iter().enumerate() {
            assert_eq!(c.get(MsgId(i as u32)), Some(t), "message {i}");
        }
        c.forget_before(MsgId(151 * TIMES_BLOCK as u32));
        let per = c.bytes() as f64 / c.len() as f64;
        assert!((3.1..3.3).contains(&per), "{per} bytes a message");
    }
}
