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
//! So a log that keeps a million records keeps a million references, not a million messages.

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

/// When each message from some id on was created, in four bytes a message: creation times
/// never decrease with the id, so a message keeps the low 32 bits of its time and the high bits
/// are kept once for each run of messages that share them (one run per 4.3 simulated seconds).
#[derive(Clone, Debug, Default)]
pub struct CreationTimes {
    /// The id of `low[0]`.
    base: u32,
    low: super::fifo::Fifo<u32>,
    /// (first message, high bits), ascending; the first covers `base`.
    high: std::collections::VecDeque<(u32, u32)>,
}

impl CreationTimes {
    /// Message `base + len()` was created at `t` (not before the one created last).
    #[inline(always)]
    pub fn push(&mut self, t: Nanos) {
        let id = self
            .base
            .saturating_add(u32::try_from(self.low.len()).unwrap_or(u32::MAX));
        let high = u32::try_from(t >> 32).unwrap_or(u32::MAX);
        if self.high.back().is_none_or(|&(_, h)| h != high) {
            self.high.push_back((id, high));
        }
        #[allow(clippy::cast_possible_truncation)]
        self.low.push_back(t as u32);
    }

    /// When `m` was created, if it is kept.
    #[inline(always)]
    #[must_use]
    pub fn get(&self, m: MsgId) -> Option<Nanos> {
        let low = *self.low.get(m.0.checked_sub(self.base)? as usize)?;
        let high = match self.high.back() {
            Some(&(first, h)) if first <= m.0 => h,
            _ => self.older_high(m)?,
        };
        Some((Nanos::from(high) << 32) | Nanos::from(low))
    }

    /// The high bits of a message before the last run (a search: off the common path).
    #[inline(never)]
    fn older_high(&self, m: MsgId) -> Option<u32> {
        let i = self.high.partition_point(|&(first, _)| first <= m.0);
        Some(self.high.get(i.checked_sub(1)?)?.1)
    }

    /// Let go of every message before `m`.
    pub fn forget_before(&mut self, m: MsgId) {
        while self.base < m.0 && self.low.pop_front().is_some() {
            self.base += 1;
        }
        while self
            .high
            .get(1)
            .is_some_and(|&(first, _)| first <= self.base)
        {
            self.high.pop_front();
        }
    }

    /// Messages kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.low.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.low.is_empty()
    }

    /// Bytes it takes.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.low.bytes() + self.high.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::{CreationTimes, MsgId};
    use crate::scenario::Nanos;

    /// Times that cross many 2^32 ns boundaries, some equal, some far apart: every kept one
    /// reads back exactly, forgotten ones read None, and the high runs shrink with them.
    #[test]
    fn creation_times_read_back_exactly_across_high_bits() {
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
        let runs = c.high.len();
        c.forget_before(MsgId(15_000));
        assert!(c.high.len() < runs / 3, "{} of {runs}", c.high.len());
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
}
