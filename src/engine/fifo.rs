//! A double-ended queue in fixed blocks, for the places that can hold millions of messages (a
//! consumer's memory, a queue's ready list, a channel's buffer; logs of references have their
//! own, [`super::RefLog`]): it grows and shrinks a
//! block at a time, so it never holds twice what it needs, as a `VecDeque` does after doubling
//! (and while it copies, when it holds both), and a queue that drains gives its memory back.
//!
//! ```text
//!   blocks: [ . . a b ][ c d e f ][ g h . . ]     head = 2, len = 8, BLOCK = 4
//!             pop_front ^                ^ push_back
//! ```

use std::collections::VecDeque;

/// Elements per block: 4 to 16 KiB for the 8 to 16 byte things kept.
const BLOCK: usize = 512;

#[derive(Clone, Debug, Default)]
pub struct Fifo<T> {
    blocks: VecDeque<Box<[T; BLOCK]>>,
    /// Where the front element is in the first block.
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Fifo<T> {
    #[must_use]
    pub fn new() -> Fifo<T> {
        Fifo {
            blocks: VecDeque::new(),
            head: 0,
            len: 0,
        }
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
        self.blocks.len() * BLOCK * std::mem::size_of::<T>()
            + self.blocks.capacity() * std::mem::size_of::<Box<[T; BLOCK]>>()
    }

    #[cold]
    #[inline(never)]
    fn block() -> Box<[T; BLOCK]> {
        Box::new([T::default(); BLOCK])
    }

    #[inline]
    pub fn push_back(&mut self, x: T) {
        // While it holds anything, the last block holds the last element (and when empty, the
        // front is at 0), so the next goes in the last block or a new one.
        let at = self.head + self.len;
        if at % BLOCK == 0 && at == self.blocks.len() * BLOCK {
            self.blocks.push_back(Self::block());
        }
        if let Some(b) = self.blocks.back_mut() {
            b[at % BLOCK] = x;
            self.len += 1;
        }
    }

    #[inline]
    pub fn push_front(&mut self, x: T) {
        if self.len == 0 {
            // Empty: the front is at 0; fill the block it keeps from its end.
            if self.blocks.is_empty() {
                self.blocks.push_back(Self::block());
            }
            self.head = BLOCK;
        } else if self.head == 0 {
            self.blocks.push_front(Self::block());
            self.head = BLOCK;
        }
        self.head -= 1;
        self.len += 1;
        if let Some(b) = self.blocks.front_mut() {
            b[self.head] = x;
        }
    }

    #[inline]
    pub fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let x = self.blocks.front()?[self.head];
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
    pub fn pop_back(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let at = self.head + self.len;
        let x = self.blocks[at / BLOCK][at % BLOCK];
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
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        let at = self.head + i;
        Some(&self.blocks[at / BLOCK][at % BLOCK])
    }

    #[must_use]
    #[inline]
    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    #[must_use]
    #[inline]
    pub fn back(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        let (head, end) = (self.head, self.head + self.len);
        self.blocks.iter().enumerate().flat_map(move |(i, b)| {
            let hi = end.saturating_sub(i * BLOCK).min(BLOCK);
            let lo = if i == 0 { head.min(hi) } else { 0 };
            b[lo..hi].iter()
        })
    }

    /// Everything it holds, front first; it is left empty.
    pub fn take_all(&mut self) -> Vec<T> {
        let out: Vec<T> = self.iter().copied().collect();
        self.clear();
        out
    }

    pub fn clear(&mut self) {
        self.blocks.clear();
        self.head = 0;
        self.len = 0;
    }
}

impl<T: Copy + Default> Extend<T> for Fifo<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
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
                prop_assert_eq!(f.front(), v.front());
                prop_assert_eq!(f.back(), v.back());
                prop_assert!(f.blocks.len() <= v.len().div_ceil(BLOCK) + 1);
            }
            prop_assert!(f.iter().eq(v.iter()));
            prop_assert!(f.iter().rev().eq(v.iter().rev()));
            for i in 0..v.len() + 2 {
                prop_assert_eq!(f.get(i), v.get(i));
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
        assert_eq!(f.front(), Some(&(9 * BLOCK as u64)));
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
