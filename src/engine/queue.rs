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
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<E> {
    pub time: Nanos,
    pub seq: u64,
    pub event: E,
}

impl<E> Entry<E> {
    /// (time, seq) as one number, ordered as the pair is.
    #[inline(always)]
    fn packed(&self) -> u128 {
        packed_key(self.time, self.seq)
    }
}

/// (time, seq) as one number, ordered as the pair is.
#[inline(always)]
pub(crate) fn packed_key(time: Nanos, seq: u64) -> u128 {
    (u128::from(time) << 64) | u128::from(seq)
}

/// A min-heap on (time, seq) with four children a node: half the levels of a binary heap, and
/// the four children of a node sit side by side in memory, so a pop touches fewer cache lines.
/// Keys are unique (every event has its own seq), so the order it pops in is the one total
/// order of (time, seq), whatever the heap's shape: the same as any other priority queue.
///
/// A pop finds the least of four children by a tournament of three comparisons, not a loop
/// whose branches the processor guesses wrong half the time: that is what made it faster
/// (README "Performance"). Keys are compared packed into one `u128`, which costs the same as
/// comparing the pair.
#[derive(Clone, Debug)]
struct QuadHeap<E> {
    v: Vec<Entry<E>>,
}

impl<E: Copy> QuadHeap<E> {
    fn with_capacity(n: usize) -> Self {
        QuadHeap {
            v: Vec::with_capacity(n),
        }
    }
    #[inline]
    fn peek_key(&self) -> Option<u128> {
        self.v.first().map(Entry::packed)
    }
    /// Sift up with a hole: parents move down one copy each, the new entry is written once.
    #[inline]
    fn push(&mut self, e: Entry<E>) {
        let key = e.packed();
        let mut i = self.v.len();
        self.v.push(e);
        while i > 0 {
            let parent = (i - 1) / 4;
            if key < self.v[parent].packed() {
                self.v[i] = self.v[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.v[i] = e;
    }
    /// The index of the least of the children from `first` (at least one, at most four).
    /// Four children (nearly every node) are a tournament of three comparisons.
    #[inline(always)]
    fn least_child(&self, first: usize) -> usize {
        let v = &self.v;
        if let Some(four) = v.get(first..first + 4) {
            let (a, b) = (four[0].packed(), four[1].packed());
            let (c, d) = (four[2].packed(), four[3].packed());
            let (i, x) = if b < a { (1, b) } else { (0, a) };
            let (j, y) = if d < c { (3, d) } else { (2, c) };
            return first + if y < x { j } else { i };
        }
        // Fewer than four: this node's children are the last entries of the heap.
        let mut least = first;
        let mut least_key = v[first].packed();
        for (c, e) in v.iter().enumerate().skip(first + 1) {
            let k = e.packed();
            if k < least_key {
                least = c;
                least_key = k;
            }
        }
        least
    }
    /// Take the root. The last entry sinks from the root through a hole: the hole first goes
    /// down along the least children to a leaf (no comparison with the last entry on the way,
    /// which nearly always belongs near the bottom), then the last entry rises from there to
    /// its place.
    #[inline]
    fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.v.pop()?;
        let Some(&top) = self.v.first() else {
            return Some(last);
        };
        let n = self.v.len();
        let key = last.packed();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            if first >= n {
                break;
            }
            let least = self.least_child(first);
            self.v[i] = self.v[least];
            i = least;
        }
        while i > 0 {
            let parent = (i - 1) / 4;
            if key < self.v[parent].packed() {
                self.v[i] = self.v[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.v[i] = last;
        Some(top)
    }
    fn capacity(&self) -> usize {
        self.v.capacity()
    }
}

#[derive(Clone, Debug)]
pub(crate) struct EventQueue<E> {
    heap: QuadHeap<E>,
    /// Events pushed in non-decreasing time: already in (time, seq) order.
    fifo: VecDeque<Entry<E>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: QuadHeap::with_capacity(0),
            fifo: VecDeque::new(),
            next_seq: 0,
        }
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: QuadHeap::with_capacity(n),
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
    #[inline]
    pub fn push(&mut self, time: Nanos, event: E) {
        let seq = self.next_seq();
        self.heap.push(Entry { time, seq, event });
    }
    /// Push an event due no earlier than every event pushed this way before (one fixed delay
    /// from a clock that never goes back). One that is earlier goes to the heap: the order
    /// stays exact either way.
    #[inline]
    pub fn push_fifo(&mut self, time: Nanos, event: E) {
        let seq = self.next_seq();
        let e = Entry { time, seq, event };
        if self.fifo.back().is_some_and(|b| b.time > time) {
            self.heap.push(e);
        } else {
            self.fifo.push_back(e);
        }
    }
    /// (time, seq) of the next event, packed as [`packed_key`] packs it, and whether it is the
    /// fifo lane's (else the heap's).
    #[inline]
    pub fn next(&self) -> Option<(u128, bool)> {
        let fifo = self.fifo.front().map(Entry::packed);
        match (self.heap.peek_key(), fifo) {
            (Some(h), Some(f)) if f < h => Some((f, true)),
            (Some(h), _) => Some((h, false)),
            (None, f) => f.map(|f| (f, true)),
        }
    }
    /// (time, seq) of the next event, packed as [`packed_key`] packs it.
    #[inline]
    pub fn peek_key(&self) -> Option<u128> {
        self.next().map(|(k, _)| k)
    }
    #[allow(clippy::cast_possible_truncation)]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.peek_key().map(|k| (k >> 64) as Nanos)
    }
    #[cfg(test)]
    pub fn pop(&mut self) -> Option<Entry<E>> {
        let (_, from_fifo) = self.next()?;
        self.take(from_fifo)
    }
    /// Take the next event from where [`EventQueue::next`] said it is.
    #[inline]
    pub fn take(&mut self, from_fifo: bool) -> Option<Entry<E>> {
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

    fn drain<E: Copy>(q: &mut EventQueue<E>) -> Vec<(Nanos, u64)> {
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

    #[test]
    fn the_heap_pops_in_time_then_sequence_order_under_any_interleaving() {
        // Pushes and pops mixed by a small LCG, checked against a sorted model.
        let mut q = EventQueue::<u32>::default();
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 12345;
        let mut seq = 0u64;
        for step in 0..20_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if (x >> 60) < 9 || model.is_empty() {
                let t = (x >> 20) % 50;
                q.push(t, step);
                model.insert((t, seq));
                seq += 1;
            } else {
                let e = q.pop().expect("not empty");
                let want = model.pop_first().expect("not empty");
                assert_eq!((e.time, e.seq), want);
            }
        }
        let rest: Vec<_> = drain(&mut q);
        assert_eq!(rest, model.into_iter().collect::<Vec<_>>());
    }
}
