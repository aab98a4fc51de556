//! The event queue: events ordered by (time, sequence number), so equal times run first-in,
//! first-out and a run never depends on heap internals.
//!
//! ```text
//!   push(t, e)        ──> heap (any time)                  ┐
//!   push_fifo(t, e)   ──> fifo lane (t never decreasing)   ├─ pop: the least (time, seq)
//!   next_seq() + a lane the caller keeps (hops on the wire)┘
//! ```
//!
//! Most events are due one fixed delay from now (a hop's latency): pushed in time order, they
//! are already sorted by (time, seq), so a FIFO lane keeps them in O(1) and `pop` takes the
//! earlier of its front and the heap's top. Every event has its own sequence number from one
//! counter, so the merged order is exactly the order of a single heap.

use crate::scenario::Nanos;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<E> {
    pub time: Nanos,
    pub seq: u64,
    pub event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> (Nanos, u64) {
        (self.time, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and the earliest event must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .cmp(&other.time)
            .then_with(|| self.seq.cmp(&other.seq))
            .reverse()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// Events pushed in non-decreasing time: already in (time, seq) order.
    fifo: VecDeque<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            fifo: VecDeque::new(),
            next_seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            fifo: VecDeque::with_capacity(n),
            next_seq: 0,
        }
    }
    /// The next sequence number, for an event kept in a lane outside this queue.
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }
    pub fn push(&mut self, time: Nanos, event: E) {
        let seq = self.next_seq();
        self.heap.push(Entry { time, seq, event });
    }
    /// Push an event due no earlier than every event pushed this way before (one fixed delay
    /// from a clock that never goes back). One that is earlier goes to the heap: the order
    /// stays exact either way.
    pub fn push_fifo(&mut self, time: Nanos, event: E) {
        let seq = self.next_seq();
        let e = Entry { time, seq, event };
        if self.fifo.back().is_some_and(|b| b.time > time) {
            self.heap.push(e);
        } else {
            self.fifo.push_back(e);
        }
    }
    /// (time, seq) of the next event.
    #[inline]
    pub fn peek_key(&self) -> Option<(Nanos, u64)> {
        match (self.heap.peek(), self.fifo.front()) {
            (Some(h), Some(f)) => Some(h.key().min(f.key())),
            (Some(h), None) => Some(h.key()),
            (None, Some(f)) => Some(f.key()),
            (None, None) => None,
        }
    }
    pub fn peek_time(&self) -> Option<Nanos> {
        self.peek_key().map(|k| k.0)
    }
    #[inline]
    pub fn pop(&mut self) -> Option<Entry<E>> {
        let from_fifo = match (self.heap.peek(), self.fifo.front()) {
            (Some(h), Some(f)) => f.key() < h.key(),
            (None, Some(_)) => true,
            _ => false,
        };
        if from_fifo {
            self.fifo.pop_front()
        } else {
            self.heap.pop()
        }
    }
    /// Events it has room for.
    pub fn capacity(&self) -> usize {
        self.heap.capacity() + self.fifo.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut EventQueue<u8>) -> Vec<(Nanos, u64)> {
        std::iter::from_fn(|| q.pop())
            .map(|e| (e.time, e.seq))
            .collect()
    }

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::<u8>::default();
        q.push(5, 0);
        q.push(3, 7);
        q.push(5, 1);
        q.push(5, 2);
        assert_eq!(drain(&mut q), vec![(3, 1), (5, 0), (5, 2), (5, 3)]);
    }

    #[test]
    fn the_fifo_lane_merges_with_the_heap_by_time_then_sequence() {
        let mut q = EventQueue::<u8>::default();
        q.push_fifo(5, 0);
        q.push(5, 0);
        q.push(4, 0);
        q.push_fifo(6, 0);
        q.push_fifo(6, 0);
        q.push(6, 0);
        // Earlier than the lane's back: it goes to the heap, still in order.
        q.push_fifo(1, 0);
        assert_eq!(q.peek_time(), Some(1));
        assert_eq!(
            drain(&mut q),
            vec![(1, 6), (4, 2), (5, 0), (5, 1), (6, 3), (6, 4), (6, 5)]
        );
    }
}
