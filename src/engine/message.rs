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
use crate::scenario::TopicId;
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
