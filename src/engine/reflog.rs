//! A log of message references (Kafka's partitions, RabbitMQ's streams) in four bytes a record
//! where it can, eight where it must. Records come in nearly in id order and a scenario has few
//! classes, so a block of 512 keeps its first record's id and, per record, the id's distance
//! from it and the class, 16 bits each. A record that does not fit (an id before the block's
//! first or 65,536 after it, a class past 65,535) turns its block into one of full references.
//! The queue around the blocks is [`super::fifo::Blocked`], as for a [`super::Fifo`]. The same
//! packing with a byte beside each reference is [`RefByteBlock`] (ready lists, consumers'
//! memory).
//!
//! ```text
//!   blocks: [ narrow: base 1000 | (0,c) (3,c) (4,d) ... ][ wide: MsgRef MsgRef ... ][ narrow ... ]
//!              head ^                                                       push_back ^
//! ```

use super::fifo::{unpacked, Blocked, Slots, BLOCK};
use super::ids::MsgId;
use super::message::{MsgClass, MsgRef};

/// Message references, appended at the back and let go from the front (and the back, when a
/// log is truncated).
pub type RefLog = Blocked<RefBlock>;

/// `m` as its id's distance from `base` and its class, 16 bits each, if both fit.
#[inline]
#[must_use]
pub fn pack(base: u32, m: MsgRef) -> Option<u32> {
    let d = m.id.0.checked_sub(base).filter(|&d| d <= 0xffff)?;
    (m.class.0 <= 0xffff).then_some((d << 16) | m.class.0)
}

/// The reference [`pack`] made of `packed` from `base`.
#[inline]
#[must_use]
pub fn unpack(base: u32, packed: u32) -> MsgRef {
    MsgRef {
        id: MsgId(base + (packed >> 16)),
        class: MsgClass(packed & 0xffff),
    }
}

/// A block of a [`RefLog`]: 2 KiB narrow, 4 KiB wide.
#[derive(Clone, Debug)]
pub enum RefBlock {
    /// Record `i` is message `base + (packed[i] >> 16)` of class `packed[i] & 0xffff`.
    Narrow {
        base: u32,
        packed: Box<[u32; BLOCK]>,
    },
    Wide(Box<[MsgRef; BLOCK]>),
}

impl Slots for RefBlock {
    type Item = MsgRef;

    #[cold]
    #[inline(never)]
    fn new(first: MsgRef) -> RefBlock {
        if first.class.0 <= 0xffff {
            RefBlock::Narrow {
                base: first.id.0,
                packed: Box::new([0; BLOCK]),
            }
        } else {
            RefBlock::Wide(Box::new([MsgRef::default(); BLOCK]))
        }
    }

    /// Emptied: count from the next record's id (a wide block stays wide).
    fn restart(&mut self, first: MsgRef) {
        if let RefBlock::Narrow { base, .. } = self {
            *base = first.id.0;
        }
    }

    #[inline]
    fn get(&self, i: usize) -> MsgRef {
        match self {
            RefBlock::Narrow { base, packed } => unpack(*base, packed[i]),
            RefBlock::Wide(refs) => refs[i],
        }
    }

    #[inline]
    fn set(&mut self, i: usize, m: MsgRef) {
        match self {
            RefBlock::Narrow { base, packed } => match pack(*base, m) {
                Some(v) => packed[i] = v,
                None => *self = RefBlock::Wide(unpacked(self, i, m)),
            },
            RefBlock::Wide(refs) => refs[i] = m,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            RefBlock::Narrow { .. } => BLOCK * 4,
            RefBlock::Wide(_) => BLOCK * std::mem::size_of::<MsgRef>(),
        }
    }
}

/// What a [`RefByteBlock`] keeps: a message reference and one small number beside it.
pub trait RefAndByte: Copy + Default {
    fn msg(&self) -> MsgRef;
    /// Everything but the reference in one byte, if it fits.
    fn byte(&self) -> Option<u8>;
    /// The element that gave `msg` and `byte`.
    fn from_parts(msg: MsgRef, byte: u8) -> Self;
}

/// A block of a queue of references with a byte beside each (a ready list's earlier
/// deliveries, a consumer's memory): the reference packed as [`pack`] packs it and the byte,
/// 5 bytes an element instead of 12 or more. An element that does not fit turns its block
/// alone into one of full elements.
#[derive(Clone, Debug)]
pub enum RefByteBlock<T> {
    Narrow(u32, Box<NarrowRefs>),
    Wide(Box<[T; BLOCK]>),
}

#[derive(Clone, Debug)]
pub struct NarrowRefs {
    refs: [u32; BLOCK],
    bytes: [u8; BLOCK],
}

impl<T: RefAndByte> Slots for RefByteBlock<T> {
    type Item = T;

    #[cold]
    #[inline(never)]
    fn new(first: T) -> Self {
        if first.byte().is_some() && pack(first.msg().id.0, first.msg()).is_some() {
            RefByteBlock::Narrow(
                first.msg().id.0,
                Box::new(NarrowRefs {
                    refs: [0; BLOCK],
                    bytes: [0; BLOCK],
                }),
            )
        } else {
            RefByteBlock::Wide(Box::new([T::default(); BLOCK]))
        }
    }

    /// Emptied: count from the next element's id (a wide block stays wide).
    fn restart(&mut self, first: T) {
        if let RefByteBlock::Narrow(base, _) = self {
            *base = first.msg().id.0;
        }
    }

    #[inline]
    fn get(&self, i: usize) -> T {
        match self {
            RefByteBlock::Narrow(base, n) => T::from_parts(unpack(*base, n.refs[i]), n.bytes[i]),
            RefByteBlock::Wide(all) => all[i],
        }
    }

    #[inline]
    fn set(&mut self, i: usize, x: T) {
        match self {
            RefByteBlock::Narrow(base, n) => match (pack(*base, x.msg()), x.byte()) {
                (Some(r), Some(b)) => {
                    n.refs[i] = r;
                    n.bytes[i] = b;
                }
                _ => *self = RefByteBlock::Wide(unpacked(self, i, x)),
            },
            RefByteBlock::Wide(all) => all[i] = x,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            RefByteBlock::Narrow(..) => std::mem::size_of::<NarrowRefs>(),
            RefByteBlock::Wide(_) => BLOCK * std::mem::size_of::<T>(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RefBlock, RefLog, BLOCK};
    use crate::engine::{MsgClass, MsgId, MsgRef};
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[derive(Clone, Debug)]
    enum Op {
        /// The next id on, plus this much (a record that came late when negative).
        Push(i64, u32),
        PopFront,
        PopBack,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            10 => (0i64..40, 0u32..300).prop_map(|(d, c)| Op::Push(d, c)),
            1 => (-5000i64..70_000, 0u32..70_000).prop_map(|(d, c)| Op::Push(d, c)),
            6 => Just(Op::PopFront),
            2 => Just(Op::PopBack),
        ]
    }

    proptest! {
        /// Whatever is appended and let go, it holds what a VecDeque holds, in order, with
        /// never more blocks than its records need plus one.
        #[test]
        fn behaves_as_a_vecdeque(ops in proptest::collection::vec(op(), 0..5000)) {
            let mut log = RefLog::new();
            let mut v: VecDeque<MsgRef> = VecDeque::new();
            let mut next: i64 = 1 << 20;
            for o in ops {
                match o {
                    Op::Push(d, c) => {
                        next = (next + d).max(0);
                        let m = MsgRef { id: MsgId(next as u32), class: MsgClass(c) };
                        log.push_back(m);
                        v.push_back(m);
                        next += 1;
                    }
                    Op::PopFront => prop_assert_eq!(log.pop_front(), v.pop_front()),
                    Op::PopBack => prop_assert_eq!(log.pop_back(), v.pop_back()),
                }
                prop_assert_eq!(log.len(), v.len());
                prop_assert!(log.blocks().count() <= v.len().div_ceil(BLOCK) + 1);
            }
            prop_assert!(log.iter().eq(v.iter().copied()));
            prop_assert!(log.iter().rev().eq(v.iter().rev().copied()));
            for i in 0..v.len() + 2 {
                prop_assert_eq!(log.get(i), v.get(i).copied());
            }
        }
    }

    /// Records in id order with few classes take four bytes; one that does not fit widens only
    /// its own block.
    #[test]
    fn records_in_order_take_four_bytes_and_a_misfit_widens_one_block() {
        let mut log = RefLog::new();
        let n = 100 * BLOCK as u32;
        for i in 0..n {
            log.push_back(MsgRef {
                id: MsgId(3 * i),
                class: MsgClass(i % 40),
            });
        }
        let narrow = |log: &RefLog| {
            log.blocks()
                .filter(|b| matches!(b, RefBlock::Narrow { .. }))
                .count()
        };
        assert_eq!(narrow(&log), 100);
        let per = log.bytes() as f64 / f64::from(n);
        assert!((4.0..4.1).contains(&per), "{per} bytes a record");
        // A record after the next block's first but with an earlier id (a late one) widens
        // that block alone, keeping what it had.
        for (id, class) in [(3 * n, 1), (5, 2)] {
            log.push_back(MsgRef {
                id: MsgId(id),
                class: MsgClass(class),
            });
        }
        assert_eq!((narrow(&log), log.blocks().count()), (100, 101));
        let ids: Vec<u32> = log.iter().skip(n as usize).map(|m| m.id.0).collect();
        assert_eq!(ids, [3 * n, 5]);
        // A class past 16 bits starts a wide block.
        let mut wide = RefLog::new();
        let big = MsgRef {
            id: MsgId(9),
            class: MsgClass(1 << 20),
        };
        wide.push_back(big);
        assert_eq!((narrow(&wide), wide.get(0)), (0, Some(big)));
        assert_eq!(
            log.get(777),
            Some(MsgRef {
                id: MsgId(3 * 777),
                class: MsgClass(777 % 40)
            })
        );
    }
}
