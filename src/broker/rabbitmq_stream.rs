//! RabbitMQ streams (3.10, `x-queue-type = stream`, read over AMQP 0-9-1): an append-only log
//! that every consumer reads from its own position, nothing taken away by reading.
//!
//! ```text
//!   P ──publish──> [ exchange ] ──> stream "t": seg 1 [0 1 2 | 3 4]  seg 2 [5 6 | 7]   <- chunks
//!                                      readers: A at 8 (next), B at 3 (first, acks 0..2)
//!   ack = one credit back (prefetch); a reader that reconnects starts again at stream_offset
//! ```
//!
//! Models (reference, "Modern answers": "RabbitMQ streams"; `shared/reference/broker-behaviour.md`):
//! - A stream per binding key some consumer reads (its `subscribe` entries), declared before
//!   anything is published; the exchange routes as for queues (fanout, direct, topic patterns),
//!   a message no stream is bound for is unroutable (or returned, `mandatory`).
//! - Reads are non-destructive: each consumer is a reader of its own (3.10 has no competing
//!   consumers on a stream, so two members of one group each read everything: duplicates), an
//!   ack only returns credit. Credit starts at `prefetch` and is checked per chunk: while it is
//!   at least 1 the reader is sent the rest of the next chunk whole, so a chunk can overshoot
//!   the prefetch. Each delivery carries its offset (`x-stream-offset`).
//! - Where a reader starts, `stream_offset`: `next` (the default) the log end, `first` the log
//!   start, `last` the first offset of the last chunk, N (below the start: the start; past the
//!   end: it waits for N, skipping what comes before), `timestamp:S` the first chunk written at
//!   or after S. No server-side offset: a consumer that comes back (reconnect, broker restart)
//!   attaches again at its `stream_offset`: `first` reads everything again (duplicates), `next`
//!   skips what was written while it was away (`offset-reset`).
//! - Chunks: what reaches the stream at one instant is written as one chunk (osiris writes
//!   what queued while it wrote the previous one), stamped with that instant; readers see it
//!   once it is whole.
//! - Retention (`max_length_bytes`, `max_age_s`) deletes whole segments, and only when a new
//!   segment opens (at `max_segment_bytes`, or 256,000 chunks), never the newest segment: over
//!   the limit by size, or whose newest chunk is older than the age. A reader left below the new
//!   log start jumps to it; what its group had not read is lost (`retention`).
//! - Always durable and persistent: a broker restart keeps every written message; consumers'
//!   connections die with it and attach again at restart. Publishes while it is down fail
//!   (`broker-down`).
//! - Ledger: a stream holds a copy of message `o` for group `g` while `g` waits for it and `o`
//!   is retained at or past the group's floor: the lowest offset any of its readers may still
//!   read (attached: its position; away: the lower of its position and what its consumer held).
//!
//! Leaves out: replication and the commit across replicas, publisher confirms' timing, the
//! stream protocol (server-side offset tracking, single active consumer and super streams came in
//! 3.11), interval offsets (`"1h"`), basic.get / nack / reject (refused by 3.10 anyway), the
//! AMQP 1.0 encoding's bytes in segment sizes, the osiris writer's batch time, a lagging reader
//! finishing the segment file it has open.

use super::rabbitmq::{bound_topics, exchange_states, index_tag, topic_matches, ExchangeCounters};
use crate::engine::state::{BrokerState, ModelState, RabbitStreamState, StreamReaderState};
use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, GroupId, KeptWhole, MsgId, MsgRef, Origin, Port,
    RefLog, Release, Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::{secs, ExchangeKind, Nanos, RabbitOptions, Scenario, StreamOffset, TopicId};
use crate::topology::{all_consumers, NodeId, Topology};
use std::collections::VecDeque;

/// osiris: a segment rolls after this many chunks too (`DEFAULT_MAX_SEGMENT_SIZE_C`).
const MAX_SEGMENT_CHUNKS: u32 = 256_000;
/// osiris: bytes of a segment file's header, of a chunk's header, of a record's header.
const LOG_HEADER: u64 = 8;
const CHUNK_HEADER: u64 = 48;
const RECORD_HEADER: u64 = 4;

/// What a RabbitMQ stream puts on its deliveries and acks.
#[derive(Clone, Copy, Debug)]
pub struct StreamTags;

/// A delivery: the stream and the message's offset there (`x-stream-offset`).
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamRecord {
    stream: u32,
    offset: u64,
}

/// An ack: one credit back to reader `reader` of its attachment `epoch` (acks to an earlier
/// attachment are void).
#[derive(Clone, Copy, Debug)]
pub struct StreamAck {
    reader: u32,
    epoch: u32,
}

/// The stream's readers look at what was written this instant, once all of it is written
/// (a chunk is read whole).
#[derive(Clone, Copy, Debug)]
pub struct ReadChunk {
    stream: u32,
}

/// An offset does not fit a byte: kept whole.
impl KeptWhole for StreamRecord {}

impl Tags for StreamTags {
    type Publish = ();
    type Delivery = StreamRecord;
    type Ack = StreamAck;
    type Timer = ReadChunk;
    fn origin(d: &StreamRecord) -> Origin {
        Origin {
            place: Some(d.stream),
            offset: Some(d.offset),
            attempt: 1,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Chunk {
    first: u64,
    at: Nanos,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    first: u64,
    bytes: u64,
    chunks: u32,
    /// When its newest chunk was written (`max_age_s` compares it).
    last_at: Nanos,
}

#[derive(Clone, Debug)]
struct Stream {
    /// Its binding key (a topic, or a topic exchange's pattern) and name.
    key: TopicId,
    system: usize,
    node: NodeId,
    log: RefLog,
    /// Offset of `log[0]`: the log start.
    base: u64,
    chunks: VecDeque<Chunk>,
    /// Oldest first; the last is the one being written.
    segments: VecDeque<Segment>,
    bytes: u64,
    deleted: u64,
    /// Per group reading it: the lowest offset its readers may still read (see the module docs).
    floors: Vec<(GroupId, u64)>,
    /// A [`ReadChunk`] is due this instant.
    read_due: bool,
}

impl Stream {
    fn end(&self) -> u64 {
        self.base + self.log.len() as u64
    }
    fn entry(&self, o: u64) -> Option<MsgRef> {
        let i = usize::try_from(o.checked_sub(self.base)?).ok()?;
        self.log.get(i)
    }
    /// The end of the chunk that holds offset `o`.
    fn chunk_end(&self, o: u64) -> u64 {
        let i = self.chunks.partition_point(|c| c.first <= o);
        self.chunks.get(i).map_or(self.end(), |c| c.first)
    }
    fn floor(&self, g: GroupId) -> Option<u64> {
        self.floors.iter().find(|(x, _)| *x == g).map(|&(_, f)| f)
    }
}

/// One consumer reading one stream.
#[derive(Clone, Debug)]
struct Reader {
    stream: usize,
    consumer: ConsumerId,
    group: Option<GroupId>,
    attached: bool,
    /// Offsets below are never sent to it (set at each attach).
    start: u64,
    /// The next offset to send.
    position: u64,
    /// The lowest offset it may still read again (None: never attached).
    hold_from: Option<u64>,
    unacked: u32,
    /// Bumped at each attach and detach: acks of an earlier attachment are void.
    epoch: u32,
}

#[derive(Clone, Debug)]
pub struct RabbitStream {
    opts: RabbitOptions,
    topic_names: Vec<String>,
    system_nodes: Vec<NodeId>,
    system_names: Vec<String>,
    up: Vec<bool>,
    system_of_topic: Vec<usize>,
    streams: Vec<Stream>,
    /// Per topic (routing key), the streams its exchange routes it to.
    routes: Vec<Vec<usize>>,
    readers: Vec<Reader>,
    /// Per consumer, its readers.
    readers_of: Vec<Vec<usize>>,
    exchanges: Vec<ExchangeCounters>,
}

impl RabbitStream {
    #[must_use]
    pub fn new(s: &Scenario, opts: &RabbitOptions, topo: &Topology) -> RabbitStream {
        let streams: Vec<Stream> = topo
            .logs
            .iter()
            .map(|&(key, node)| Stream {
                key,
                system: topo.broker_of_topic[usize::from(key)],
                node,
                log: RefLog::new(),
                base: 0,
                chunks: VecDeque::new(),
                segments: VecDeque::new(),
                bytes: 0,
                deleted: 0,
                floors: Vec::new(),
                read_due: false,
            })
            .collect();
        let routes = (0..s.topics.len())
            .map(|t| {
                (0..streams.len())
                    .filter(|&i| {
                        let k = usize::from(streams[i].key);
                        let same_system = streams[i].system == topo.broker_of_topic[t];
                        same_system
                            && match opts.exchange {
                                ExchangeKind::Topic => topic_matches(&s.topics[k], &s.topics[t]),
                                _ => k == t,
                            }
                    })
                    .collect()
            })
            .collect();
        let mut readers = Vec::new();
        let mut readers_of = Vec::new();
        for (ci, (c, _)) in all_consumers(s).iter().enumerate() {
            let mut mine = Vec::new();
            for k in &c.subscribe {
                if let Some(si) = streams.iter().position(|x| x.key == *k) {
                    mine.push(readers.len());
                    readers.push(Reader {
                        stream: si,
                        consumer: ConsumerId::from_ix(ci).unwrap_or_default(),
                        group: None,
                        attached: false,
                        start: 0,
                        position: 0,
                        hold_from: None,
                        unacked: 0,
                        epoch: 0,
                    });
                }
            }
            readers_of.push(mine);
        }
        RabbitStream {
            opts: opts.clone(),
            topic_names: s.topics.clone(),
            system_nodes: topo.brokers.clone(),
            system_names: topo
                .brokers
                .iter()
                .map(|&b| topo.node(b).name.clone())
                .collect(),
            up: vec![true; topo.brokers.len()],
            system_of_topic: topo.broker_of_topic.clone(),
            streams,
            routes,
            readers,
            readers_of,
            exchanges: vec![ExchangeCounters::default(); topo.brokers.len()],
        }
    }

    /// Append `m` to stream `si`: to the chunk of this instant, or a new chunk (which may open
    /// a new segment first, and then apply retention). The stream takes a copy for every group
    /// whose floor is at or before the new offset.
    fn write(&mut self, p: &mut Port<'_, StreamTags>, si: usize, m: MsgRef) {
        let size = p.info(m).size;
        let (now, max_seg) = (p.now(), self.opts.max_segment_bytes);
        let st = &mut self.streams[si];
        let offset = st.end();
        let same_chunk = st.chunks.back().is_some_and(|c| c.at == now);
        let mut rolled = false;
        if !same_chunk {
            let roll = st
                .segments
                .back()
                .is_none_or(|s| s.bytes >= max_seg || s.chunks >= MAX_SEGMENT_CHUNKS);
            rolled = roll && !st.segments.is_empty();
            if roll {
                st.segments.push_back(Segment {
                    first: offset,
                    bytes: LOG_HEADER,
                    chunks: 0,
                    last_at: now,
                });
            }
            st.chunks.push_back(Chunk {
                first: offset,
                at: now,
            });
        }
        if let Some(seg) = st.segments.back_mut() {
            seg.bytes += RECORD_HEADER + u64::from(size);
            if !same_chunk {
                seg.bytes += CHUNK_HEADER;
                seg.chunks += 1;
            }
            seg.last_at = now;
        }
        st.log.push_back(m);
        st.bytes += u64::from(size);
        p.store(size);
        for &(g, floor) in &st.floors {
            if offset >= floor {
                p.hold(m, g);
            }
        }
        if rolled {
            self.retain(p, si);
        }
    }

    /// Delete whole segments, never the newest: by size (`eval_max_bytes`: keep the newest, then
    /// older ones while the total fits), then by age (`eval_age`: oldest first, those whose
    /// newest chunk is older than the age, stopping at the first that is not).
    fn retain(&mut self, p: &mut Port<'_, StreamTags>, si: usize) {
        let st = &self.streams[si];
        let n = st.segments.len();
        let mut drop = 0;
        let max_bytes = self.opts.max_length_bytes;
        if max_bytes > 0 && n > 1 {
            let mut total = st.segments[n - 1].bytes;
            for i in (0..n - 1).rev() {
                total += st.segments[i].bytes;
                if total > max_bytes {
                    drop = i + 1;
                    break;
                }
            }
        }
        if self.opts.max_age_s > 0.0 {
            let horizon = p.now().saturating_sub(secs(self.opts.max_age_s));
            while drop < n - 1 && st.segments[drop].last_at < horizon {
                drop += 1;
            }
        }
        if drop > 0 {
            let upto = st.segments[drop].first;
            self.delete_before(p, si, drop, upto);
        }
    }

    /// The first `segments` segments go: every offset below `upto`.
    fn delete_before(
        &mut self,
        p: &mut Port<'_, StreamTags>,
        si: usize,
        segments: usize,
        upto: u64,
    ) {
        let st = &mut self.streams[si];
        st.segments.drain(..segments);
        while st.chunks.front().is_some_and(|c| c.first < upto) {
            st.chunks.pop_front();
        }
        let node = st.node;
        while st.base < upto {
            let Some(m) = st.log.pop_front() else { break };
            let o = st.base;
            st.base += 1;
            st.deleted += 1;
            let size = p.info(m).size;
            st.bytes -= u64::from(size);
            p.unstore(size);
            for &(g, floor) in &st.floors {
                if o >= floor {
                    p.release(m, g, Release::Lost(LossReason::Retention), node);
                }
            }
        }
        let base = st.base;
        for (_, f) in &mut st.floors {
            *f = (*f).max(base);
        }
        for r in self.readers.iter_mut().filter(|r| r.stream == si) {
            r.position = r.position.max(base);
            r.hold_from = r.hold_from.map(|h| h.max(base));
        }
    }

    /// Group `g`'s floor on stream `si` follows its readers: raised, the stream lets go of what
    /// no reader may read any more (lost unless a consumer holds it: `offset-reset`); lowered,
    /// it holds again what a reader may read again.
    fn refloor(&mut self, p: &mut Port<'_, StreamTags>, si: usize, g: GroupId) {
        let new = self
            .readers
            .iter()
            .filter(|r| r.stream == si && r.group == Some(g))
            .filter_map(|r| r.hold_from)
            .min();
        let st = &mut self.streams[si];
        let (base, end, node) = (st.base, st.end(), st.node);
        let old = st.floor(g);
        let Some(new) = new else { return };
        match st.floors.iter_mut().find(|(x, _)| *x == g) {
            Some(f) => f.1 = new,
            None => st.floors.push((g, new)),
        }
        let st = &self.streams[si];
        let (lo, hi, hold) = match old {
            None => (new, end, true),
            Some(o) if new > o => (o, new, false),
            Some(o) => (new, o, true),
        };
        for o in lo.max(base)..hi.min(end) {
            let Some(m) = st.entry(o) else { continue };
            if hold {
                p.hold(m, g);
            } else {
                p.release(m, g, Release::Lost(LossReason::OffsetReset), node);
            }
        }
    }

    /// Send reader `ri` what its credit allows, a whole chunk at a time.
    fn read(&mut self, p: &mut Port<'_, StreamTags>, ri: usize) {
        let r = &self.readers[ri];
        let si = r.stream;
        if !r.attached || !self.up[self.streams[si].system] {
            return;
        }
        let Some(g) = r.group else { return };
        let (c, node) = (r.consumer, self.streams[si].node);
        let mut sent = false;
        while self.readers[ri].unacked < self.opts.prefetch
            && self.readers[ri].position < self.streams[si].end()
        {
            let from = self.readers[ri].position;
            let to = self.streams[si].chunk_end(from);
            for o in from..to {
                let Some(m) = self.streams[si].entry(o) else {
                    break;
                };
                p.hold(m, g);
                let tag = StreamRecord {
                    stream: index_tag(si),
                    offset: o,
                };
                p.deliver(c, m, node, tag, false);
            }
            let r = &mut self.readers[ri];
            r.unacked += u32::try_from(to - from).unwrap_or(u32::MAX);
            r.position = to;
            sent = true;
        }
        if sent {
            self.readers[ri].hold_from = Some(self.readers[ri].position);
            self.refloor(p, si, g);
        }
    }

    /// Reader `ri` attaches (its consumer connected, or the broker came back): it starts at
    /// `stream_offset`, as if for the first time.
    fn attach(&mut self, p: &mut Port<'_, StreamTags>, ri: usize) {
        let si = self.readers[ri].stream;
        let Some(g) = p.group_of(self.readers[ri].consumer) else {
            return;
        };
        let st = &self.streams[si];
        let (base, end) = (st.base, st.end());
        let (position, start) = match self.opts.stream_offset {
            StreamOffset::Next => (end, end),
            StreamOffset::First => (base, base),
            StreamOffset::Last => {
                let o = st.chunks.back().map_or(end, |c| c.first);
                (o, o)
            }
            StreamOffset::Offset(n) => (n.max(base), n),
            StreamOffset::Timestamp(t) => {
                let at = secs(t);
                let o = st
                    .chunks
                    .iter()
                    .find(|c| c.at >= at)
                    .map_or(end, |c| c.first);
                (o, o)
            }
        };
        let r = &mut self.readers[ri];
        r.group = Some(g);
        r.attached = true;
        r.start = start;
        r.position = position;
        r.hold_from = Some(position);
        r.unacked = 0;
        r.epoch = r.epoch.wrapping_add(1);
        self.refloor(p, si, g);
        self.read(p, ri);
    }

    /// Reader `ri` is gone from the server; it keeps its hold from where it was.
    fn detach(&mut self, ri: usize) {
        let r = &mut self.readers[ri];
        r.attached = false;
        r.unacked = 0;
        r.epoch = r.epoch.wrapping_add(1);
    }

    fn systems_hit(&self, topic: Option<TopicId>) -> Vec<usize> {
        super::systems_hit(&self.system_of_topic, self.up.len(), topic)
    }

    fn stream_state(&self, w: &World<StreamTags>, si: usize) -> RabbitStreamState {
        let st = &self.streams[si];
        let prefetch = i64::from(self.opts.prefetch);
        RabbitStreamState {
            stream: self.topic_names[usize::from(st.key)].clone(),
            broker: self.system_names[st.system].clone(),
            node: st.node,
            first_offset: st.base,
            next_offset: st.end(),
            last_chunk_offset: st.chunks.back().map(|c| c.first),
            length: st.log.len() as u64,
            bytes: st.bytes,
            chunks: st.chunks.len() as u64,
            segments: st.segments.len() as u64,
            deleted: st.deleted,
            readers: self
                .readers
                .iter()
                .filter(|r| r.stream == si && r.group.is_some())
                .map(|r| StreamReaderState {
                    consumer: w.consumer(r.consumer).name().to_owned(),
                    group: r
                        .group
                        .map(|g| w.ledger().group(g).name.clone())
                        .unwrap_or_default(),
                    attached: r.attached,
                    start: r.start,
                    offset: r.attached.then_some(r.position),
                    unacked: u64::from(r.unacked),
                    credit: prefetch - i64::from(r.unacked),
                    lag: st.end().saturating_sub(r.position),
                })
                .collect(),
        }
    }
}

impl BrokerModel for RabbitStream {
    type Tags = StreamTags;

    fn subscriptions(&self, subscribe: &[TopicId]) -> Vec<TopicId> {
        bound_topics(&self.topic_names, self.opts.exchange, subscribe)
    }

    fn publish(&mut self, p: &mut Port<'_, StreamTags>, m: MsgRef) {
        let to = self.system_nodes[self.system_of_topic[usize::from(p.info(m).topic)]];
        p.publish_to(m, to, ());
    }

    fn arrive(&mut self, p: &mut Port<'_, StreamTags>, m: MsgRef, at: NodeId, (): ()) {
        let topic = usize::from(p.info(m).topic);
        let system = self.system_of_topic[topic];
        if !self.up[system] {
            return p.release_all(m, Release::Lost(LossReason::BrokerDown), at);
        }
        let routes = self.routes[topic].clone();
        let ex = &mut self.exchanges[system];
        // The copy that travelled goes: each stream that took it holds its own for every group
        // at or before its new offset; a group placed past it loses it.
        let reason = if !routes.is_empty() {
            ex.routed += 1;
            LossReason::OffsetReset
        } else if self.opts.mandatory {
            ex.returned += 1;
            LossReason::Returned
        } else {
            ex.unroutable += 1;
            LossReason::Unroutable
        };
        for &si in &routes {
            self.write(p, si, m);
        }
        p.release_all(m, Release::Lost(reason), at);
        // What else reaches the stream this instant joins the chunk before anyone reads it.
        for si in routes {
            if !self.streams[si].read_due {
                self.streams[si].read_due = true;
                let now = p.now();
                p.schedule(
                    now,
                    ReadChunk {
                        stream: index_tag(si),
                    },
                );
            }
        }
    }

    fn timer(&mut self, p: &mut Port<'_, StreamTags>, t: ReadChunk) {
        let si = t.stream as usize;
        self.streams[si].read_due = false;
        for ri in 0..self.readers.len() {
            if self.readers[ri].stream == si {
                self.read(p, ri);
            }
        }
    }

    fn acked(
        &mut self,
        p: &mut Port<'_, StreamTags>,
        _c: ConsumerId,
        _m: MsgRef,
        _at: NodeId,
        tag: StreamAck,
    ) {
        let ri = tag.reader as usize;
        let Some(r) = self.readers.get_mut(ri) else {
            return;
        };
        if !r.attached || r.epoch != tag.epoch || !self.up[self.streams[r.stream].system] {
            return;
        }
        r.unacked = r.unacked.saturating_sub(1);
        self.read(p, ri);
    }

    fn processed(
        &mut self,
        p: &mut Port<'_, StreamTags>,
        c: ConsumerId,
        d: Delivery<StreamRecord>,
    ) {
        let si = d.tag.stream as usize;
        let Some(&ri) = self.readers_of[c.ix()]
            .iter()
            .find(|&&ri| self.readers[ri].stream == si)
        else {
            return;
        };
        let tag = StreamAck {
            reader: u32::try_from(ri).unwrap_or(u32::MAX),
            epoch: self.readers[ri].epoch,
        };
        p.ack(c, d.msg, self.streams[si].node, tag);
    }

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, StreamTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<StreamRecord>],
    ) {
        // Its reader goes with its connection; the stream keeps what the consumer held (and may
        // read again when it comes back) before the consumer's copies go.
        for i in 0..self.readers_of[c.ix()].len() {
            let ri = self.readers_of[c.ix()][i];
            let si = self.readers[ri].stream;
            let lowest_held = held
                .iter()
                .filter(|d| d.tag.stream as usize == si)
                .map(|d| d.tag.offset)
                .min();
            let r = &mut self.readers[ri];
            if let (Some(h), Some(l)) = (r.hold_from, lowest_held) {
                r.hold_from = Some(h.min(l));
            }
            self.detach(ri);
            if let Some(g) = self.readers[ri].group {
                self.refloor(p, si, g);
            }
        }
        p.release_held(
            c,
            held,
            Release::Lost(how.loss(LossReason::ReceiverOffline)),
        );
    }

    fn consumer_up(&mut self, p: &mut Port<'_, StreamTags>, c: ConsumerId) {
        for i in 0..self.readers_of[c.ix()].len() {
            let ri = self.readers_of[c.ix()][i];
            if self.up[self.streams[self.readers[ri].stream].system] {
                self.attach(p, ri);
            }
        }
    }

    fn broker_crash(&mut self, _p: &mut Port<'_, StreamTags>, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            self.up[s] = false;
            for ri in 0..self.readers.len() {
                if self.streams[self.readers[ri].stream].system == s && self.readers[ri].attached {
                    // What it sent stays with the consumers (processed, its acks void).
                    self.detach(ri);
                }
            }
        }
    }

    fn broker_restart(&mut self, p: &mut Port<'_, StreamTags>, topic: Option<TopicId>) {
        for s in self.systems_hit(topic) {
            if self.up[s] {
                continue;
            }
            self.up[s] = true;
            for ri in 0..self.readers.len() {
                let r = &self.readers[ri];
                if self.streams[r.stream].system == s && p.consumer(r.consumer).connected() {
                    self.attach(p, ri);
                }
            }
        }
    }

    fn holdings(&self, w: &World<StreamTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for st in &self.streams {
            for &(g, floor) in &st.floors {
                for o in floor.max(st.base)..st.end() {
                    if let Some(m) = st.entry(o) {
                        if w.is_pending(m, g) {
                            f(m.id, g);
                        }
                    }
                }
            }
        }
    }

    fn check(&self, _w: &World<StreamTags>) -> Result<(), String> {
        for (si, st) in self.streams.iter().enumerate() {
            for &(g, floor) in &st.floors {
                let min = self
                    .readers
                    .iter()
                    .filter(|r| r.stream == si && r.group == Some(g))
                    .filter_map(|r| r.hold_from)
                    .min();
                if min != Some(floor) {
                    return Err(format!(
                        "stream {si}: group {g}'s floor is {floor}, its readers hold from {min:?}"
                    ));
                }
            }
            let seg_first = st.segments.front().map_or(st.base, |s| s.first);
            if seg_first != st.base && !st.log.is_empty() {
                return Err(format!(
                    "stream {si}: log starts at {}, its first segment at {seg_first}",
                    st.base
                ));
            }
        }
        Ok(())
    }

    fn approx_bytes(&self) -> usize {
        use crate::engine::bytes_of;
        self.streams
            .iter()
            .map(|s| {
                s.log.bytes()
                    + bytes_of::<Chunk>(s.chunks.capacity())
                    + bytes_of::<Segment>(s.segments.capacity())
            })
            .sum()
    }

    fn group_lag(&self, _w: &World<StreamTags>, g: GroupId) -> Option<u64> {
        let lag = self
            .streams
            .iter()
            .filter_map(|s| s.floor(g).map(|f| s.end().saturating_sub(f)))
            .sum();
        Some(lag)
    }

    fn state(&self, w: &World<StreamTags>) -> ModelState {
        ModelState {
            brokers: BrokerState::of_systems(&self.system_names, &self.up),
            exchanges: exchange_states(&self.system_names, self.opts.exchange, &self.exchanges),
            rabbit_streams: (0..self.streams.len())
                .map(|si| self.stream_state(w, si))
                .collect(),
            ..ModelState::default()
        }
    }
}
