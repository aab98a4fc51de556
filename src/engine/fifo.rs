//! A double-ended queue in fixed blocks, for the places that can hold millions of messages (a
//! consumer's memory, a queue's ready list, a channel's buffer, a log): it grows and shrinks a
//! block at a time, so it never holds twice what it needs, as a `VecDeque` does after doubling
//! (and while it copies, when it holds both), and a queue that drains gives its memory back.
//! A block keeps its elements as they are ([`Fifo`]) or packed ([`super::RefLog`]): [`Slots`].
//!
//! ```text
//!   blocks: [ . . a b ][ c d e f ][ g h . . ]     head = 2, len = 8, BLOCK = 4
//!             pop_front ^                ^ push_back
//! ```

use std::collections::VecDeque;

/// Elements per block: 4 to 16 KiB for the 8 to 16 byte things kept.
pub const BLOCK: usize = 512;

/// How a block keeps its [`BLOCK`] elements: as they are ([`Fifo`]), or packed
/// ([`super::RefLog`]).
pub trait Slots: Clone {
    type Item: Copy;
    /// A block whose first element written is `first`.
    fn new(first: Self::Item) -> Self;
    /// The only block kept by an emptied queue takes `first` next.
    fn restart(&mut self, _first: Self::Item) {}
    fn get(&self, i: usize) -> Self::Item;
    fn set(&mut self, i: usize, x: Self::Item);
    /// Bytes the block holds.
    fn bytes(&self) -> usize;
}

/// Every slot of packed block `b` as it is (unused ones too), with `x` at `i`: for a packed
/// block that meets an element it cannot pack.
#[cold]
#[inline(never)]
pub fn unpacked<S: Slots>(b: &S, i: usize, x: S::Item) -> Box<[S::Item; BLOCK]>
where
    S::Item: Default,
{
    let mut all = Box::new([S::Item::default(); BLOCK]);
    for (j, e) in all.iter_mut().enumerate() {
        *e = b.get(j);
    }
    all[i] = x;
    all
}

impl<T: Copy + Default> Slots for Box<[T; BLOCK]> {
    type Item = T;
    #[cold]
    #[inline(never)]
    fn new(_first: T) -> Self {
        Box::new([T::default(); BLOCK])
    }
    #[inline]
    fn get(&self, i: usize) -> T {
        self[i]
    }
    #[inline]
    fn set(&mut self, i: usize, x: T) {
        self[i] = x;
    }
    fn bytes(&self) -> usize {
        BLOCK * std::mem::size_of::<T>()
    }
}

/// A double-ended queue in blocks kept as `S` says.
#[derive(Clone, Debug)]
pub struct Blocked<S> {
    blocks: VecDeque<S>,
    /// Where the front element is in the first block.
    head: usize,
    len: usize,
}

/// Elements kept as they are.
pub type Fifo<T> = Blocked<Box<[T; BLOCK]>>;

impl<S> Default for Blocked<S> {
    fn default() -> Self {
        Blocked {
            blocks: VecDeque::new(),
            head: 0,
            len: 0,
        }
    }
}

impl<S: Slots> Blocked<S> {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes it holds (its blocks and their index).
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.blocks.iter().map(S::bytes).sum::<usize>()
            + self.blocks.capacity() * std::mem::size_of::<S>()
    }

    #[inline]
    pub fn push_back(&mut self, x: S::Item) {
        // While it holds anything, the last block holds the last element (and when empty, the
        // front is at 0), so the next goes in the last block or a new one.
        let at = self.head + self.len;
        if at % BLOCK == 0 && at == self.blocks.len() * BLOCK {
            self.blocks.push_back(S::new(x));
        } else if self.len == 0 {
            self.restart(x);
        }
        if let Some(b) = self.blocks.back_mut() {
            b.set(at % BLOCK, x);
            self.len += 1;
        }
    }

    #[inline]
    pub fn push_front(&mut self, x: S::Item) {
        if self.len == 0 {
            // Empty: the front is at 0; fill the block it keeps from its end.
            if self.blocks.is_empty() {
                self.blocks.push_back(S::new(x));
            } else {
                self.restart(x);
            }
            self.head = BLOCK;
        } else if self.head == 0 {
            self.blocks.push_front(S::new(x));
            self.head = BLOCK;
        }
        self.head -= 1;
        self.len += 1;
        if let Some(b) = self.blocks.front_mut() {
            b.set(self.head, x);
        }
    }

    #[cold]
    #[inline(never)]
    fn restart(&mut self, x: S::Item) {
        if let Some(b) = self.blocks.front_mut() {
            b.restart(x);
        }
    }

    #[inline]
    pub fn pop_front(&mut self) -> Option<S::Item> {
        let x = self.front()?;
        self.head += 1;
        self.len -= 1;
        if self.len == 0 {
            self.keep_one();
        } else if self.head == BLOCK {
            self.blocks.pop_front();
            self.head = 0;
        }
        Some(x)
    }

    #[inline]
    pub fn pop_back(&mut self) -> Option<S::Item> {
        let x = self.back()?;
        self.len -= 1;
        let at = self.head + self.len;
        if self.len == 0 {
            self.keep_one();
        } else if at % BLOCK == 0 {
            self.blocks.pop_back();
        }
        Some(x)
    }

    /// Empty: keep one block for what comes next (a queue that is often empty would otherwise
    /// make and fill a block for every element).
    #[inline]
    fn keep_one(&mut self) {
        if self.blocks.len() > 1 {
            self.free_all_but_one();
        }
        self.head = 0;
    }

    #[cold]
    #[inline(never)]
    fn free_all_but_one(&mut self) {
        self.blocks.truncate(1);
    }

    #[must_use]
    #[inline]
    pub fn get(&self, i: usize) -> Option<S::Item> {
        if i >= self.len {
            return None;
        }
        let at = self.head + i;
        Some(self.blocks[at / BLOCK].get(at % BLOCK))
    }

    #[must_use]
    #[inline]
    pub fn front(&self) -> Option<S::Item> {
        self.get(0)
    }

    #[must_use]
    #[inline]
    pub fn back(&self) -> Option<S::Item> {
        self.get(self.len.checked_sub(1)?)
    }

    /// Front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = S::Item> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }

    /// Everything it holds, front first; it is left empty.
    pub fn take_all(&mut self) -> Vec<S::Item> {
        let out: Vec<S::Item> = self.iter().collect();
        self.clear();
        out
    }

    pub fn clear(&mut self) {
        self.blocks.clear();
        self.head = 0;
        self.len = 0;
    }

    /// Its blocks, front first (for tests of how it keeps them).
    #[cfg(test)]
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &S> {
        self.blocks.iter()
    }
}

impl<S: Slots> Extend<S::Item> for Blocked<S> {
    fn extend<I: IntoIterator<Item = S::Item>>(&mut self, iter: I) {
        for x in iter {
            self.push_back(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Fifo, BLOCK};
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[derive(Clone, Debug)]
    enum Op {
        PushBack(u32),
        PushFront(u32),
        PopFront,
        PopBack,
        TakeAll,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => any::<u32>().prop_map(Op::PushBack),
            2 => any::<u32>().prop_map(Op::PushFront),
            6 => Just(Op::PopFront),
            2 => Just(Op::PopBack),
            1 => Just(Op::TakeAll),
        ]
    }

    proptest! {
        /// Whatever is pushed and popped, it holds what a VecDeque holds, in the same order,
        /// and never more blocks than its elements need plus one at each end.
        #[test]
        fn behaves_as_a_vecdeque(ops in proptest::collection::vec(op(), 0..4000)) {
            let mut f = Fifo::new();
            let mut v = VecDeque::new();
            for o in ops {
                match o {
                    Op::PushBack(x) => { f.push_back(x); v.push_back(x); }
                    Op::PushFront(x) => { f.push_front(x); v.push_front(x); }
                    Op::PopFront => prop_assert_eq!(f.pop_front(), v.pop_front()),
                    Op::PopBack => prop_assert_eq!(f.pop_back(), v.pop_back()),
                    Op::TakeAll => prop_assert_eq!(f.take_all(), v.drain(..).collect::<Vec<_>>()),
                }
                prop_assert_eq!(f.len(), v.len());
                prop_assert_eq!(f.front(), v.front().copied());
                prop_assert_eq!(f.back(), v.back().copied());
                prop_assert!(f.blocks.len() <= v.len().div_ceil(BLOCK) + 1);
            }
            prop_assert!(f.iter().eq(v.iter().copied()));
            prop_assert!(f.iter().rev().eq(v.iter().rev().copied()));
            for i in 0..v.len() + 2 {
                prop_assert_eq!(f.get(i), v.get(i).copied());
            }
        }
    }

    #[test]
    fn a_drained_fifo_gives_its_blocks_back() {
        let mut f = Fifo::new();
        f.extend(0..10 * BLOCK as u64);
        assert_eq!(f.blocks.len(), 10);
        for _ in 0..9 * BLOCK {
            f.pop_front();
        }
        assert_eq!(f.blocks.len(), 1);
        assert_eq!(f.front(), Some(9 * BLOCK as u64));
        while f.pop_back().is_some() {}
        assert_eq!(
            (f.blocks.len(), f.len()),
            (1, 0),
            "one block kept for what comes next"
        );
        f.push_back(7);
        assert_eq!((f.blocks.len(), f.pop_front()), (1, Some(7)));
        f.clear();
        assert_eq!(f.blocks.len(), 0);
    }
}
