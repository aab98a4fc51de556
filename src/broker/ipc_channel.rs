//! An IPC channel between senders and receivers: bounded, its receivers competing, like
//! crossbeam-channel's `bounded(cap)` (Rust's `std::sync::mpsc::sync_channel` is bounded too but
//! has a single receiver).
//!
//! ```text
//!   P1 ──┐                     ┌──> C1    each message goes to ONE receiver:
//!   P2 ──┼──> [ channel, cap ] ┼──> C2    receivers compete, nothing fans out
//!   P3 ──┘                     └──> C3
//! ```
//!
//! Models (reference, "IPC channel"; `shared/reference/broker-behaviour.md`): FIFO; a full channel
//! blocks the sender (its messages wait in order; capacity 0 is a rendezvous); when no receiver is
//! left, senders get an error (unlike Pub/Sub, they know) and what the channel buffered is dropped
//! with it; each message is received once, by whichever receiver asks first, so a second consumer
//! group never sees it (the group that misses it loses it as `no-fanout`); the buffer is memory
//! only.
//!
//! Leaves out: the channel has no topics, so a receiver also takes messages of topics it does not
//! subscribe to (processed, counted nowhere); a sender blocked on a full channel does not delay
//! the creation of its next messages, they queue behind it.

use super::RoundRobin;
use crate::engine::state::{ChannelState, ModelState};
use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, Fifo, GroupId, MsgId, MsgRef, Note, Port, Release,
    Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::ChannelOptions;
use crate::topology::NodeId;

const RECV_AHEAD: usize = 2;

/// The channel puts nothing on its messages.
#[derive(Clone, Copy, Debug)]
pub struct ChannelTags;

impl Tags for ChannelTags {
    type Publish = ();
    type Delivery = ();
    type Ack = ();
    type Timer = ();
}

#[derive(Clone, Debug)]
pub struct IpcChannel {
    node: NodeId,
    capacity: usize,
    buffer: Fifo<MsgRef>,
    /// Messages whose sender is blocked on the full channel, in send order.
    blocked: Fifo<MsgRef>,
    /// Sent towards the channel, not yet in it: their slots are taken.
    sending: usize,
    /// Messages on their way to each receiver. A receiver asks for the next one while it
    /// processes the current one (a pipeline of two), like a thread looping on `recv()`.
    awaiting: Vec<u8>,
    receivers: RoundRobin,
    /// The last look found no receiver with room, and none has had room since: room comes only
    /// when a receiver finishes a message, comes up or goes down (the callbacks that clear this).
    /// While the channel is full and every receiver busy, a send or an arrival then does not look
    /// at every receiver again (use-cases x10: 14% fewer instructions in this variant).
    all_busy: bool,
}

impl IpcChannel {
    /// The channel at `node`, for `consumers` receivers.
    #[must_use]
    pub fn new(opts: &ChannelOptions, node: NodeId, consumers: usize) -> IpcChannel {
        IpcChannel {
            node,
            capacity: opts.capacity as usize,
            buffer: Fifo::new(),
            blocked: Fifo::new(),
            sending: 0,
            awaiting: vec![0; consumers],
            receivers: RoundRobin::default(),
            all_busy: false,
        }
    }

    fn any_receiver(w: &World<ChannelTags>) -> bool {
        w.consumer_ids().any(|c| w.consumer(c).connected())
    }

    fn has_room(&self, w: &World<ChannelTags>, c: usize) -> bool {
        let k = w.consumer(ConsumerId::from_ix(c).unwrap_or_default());
        k.connected() && k.held() + usize::from(self.awaiting[c]) < RECV_AHEAD
    }

    /// The next receiver, in turn, that has room for one more message.
    fn idle_receiver(&mut self, w: &World<ChannelTags>) -> Option<ConsumerId> {
        if self.all_busy {
            debug_assert!(
                !(0..w.consumer_count()).any(|c| self.has_room(w, c)),
                "a receiver has room although no callback said so"
            );
            return None;
        }
        // The cursor is copied out and back: `has_room` borrows the whole model.
        let mut receivers = self.receivers;
        let k = receivers.pick(w.consumer_count(), |c| self.has_room(w, c));
        self.receivers = receivers;
        self.all_busy = k.is_none();
        ConsumerId::from_ix(k?)
    }

    fn dispatch(&mut self, p: &mut Port<'_, ChannelTags>) {
        while !(self.buffer.is_empty() && self.blocked.is_empty()) {
            let Some(r) = self.idle_receiver(p) else {
                break;
            };
            // A rendezvous (or a drained buffer) hands a blocked sender's message straight over.
            let m = if let Some(m) = self.buffer.pop_front() {
                p.unstore(p.info(m).size);
                m
            } else if let Some(m) = self.blocked.pop_front() {
                m
            } else {
                break;
            };
            // Each message goes to one receiver: every other group waiting for it never gets it.
            // (Only the groups of its topic can be waiting: see `Ledger::groups_of`.)
            let (rg, topic) = (p.group_of(r), p.info(m).topic);
            for i in 0..p.ledger().groups_of(topic).len() {
                let g = p.ledger().groups_of(topic)[i];
                if Some(g) != rg && p.is_pending(m, g) {
                    p.release(m, g, Release::Lost(LossReason::NoFanout), self.node);
                }
            }
            self.awaiting[r.ix()] += 1;
            p.deliver(r, m, self.node, (), false);
        }
        while self.buffer.len() + self.sending < self.capacity {
            let Some(m) = self.blocked.pop_front() else {
                break;
            };
            self.sending += 1;
            p.publish(m, self.node, ());
        }
    }

    /// No receiver is left: the channel is disconnected, its buffer and blocked sends fail.
    fn disconnect(&mut self, p: &mut Port<'_, ChannelTags>) {
        let lost = Release::Lost(LossReason::ReceiverOffline);
        for m in self.buffer.take_all() {
            p.unstore(p.info(m).size);
            p.release_all(m, lost, self.node);
        }
        for m in self.blocked.take_all() {
            let node = p.producer_node(m);
            p.release_all(m, lost, node);
        }
    }
}

impl BrokerModel for IpcChannel {
    type Tags = ChannelTags;

    fn publish(&mut self, p: &mut Port<'_, ChannelTags>, m: MsgRef) {
        let node = p.producer_node(m);
        p.hold_all(m);
        if !p.producer_connected(m) {
            return p.release_all(m, Release::Lost(LossReason::LinkDown), node);
        }
        if !Self::any_receiver(p) {
            // send() returns Err: the receiver is gone.
            return p.release_all(m, Release::Lost(LossReason::ReceiverOffline), node);
        }
        if !self.blocked.is_empty() || self.buffer.len() + self.sending >= self.capacity {
            self.blocked.push_back(m);
            let (ahead, cap) = (self.blocked.len() - 1, self.capacity);
            p.note(m, node, Note::Held, |_| {
                format!("sender blocked: channel full ({cap}), {ahead} sends ahead")
            });
            self.dispatch(p);
        } else {
            self.sending += 1;
            p.publish(m, self.node, ());
        }
    }

    fn arrive(&mut self, p: &mut Port<'_, ChannelTags>, m: MsgRef, _at: NodeId, (): ()) {
        self.sending -= 1;
        if Self::any_receiver(p) {
            p.store(p.info(m).size);
            self.buffer.push_back(m);
            let n = self.buffer.len();
            p.note(m, self.node, Note::Stored, |_| {
                format!("channel buffer, position {n}")
            });
        } else {
            p.release_all(m, Release::Lost(LossReason::ReceiverOffline), self.node);
        }
        self.dispatch(p);
    }

    fn delivered(&mut self, p: &mut Port<'_, ChannelTags>, c: ConsumerId, d: Delivery<()>) {
        // Room stays as it was: one fewer on the way, one more in memory.
        self.awaiting[c.ix()] = self.awaiting[c.ix()].saturating_sub(1);
        p.hand_over(c, d);
        self.dispatch(p);
    }

    fn processed(&mut self, p: &mut Port<'_, ChannelTags>, _c: ConsumerId, _d: Delivery<()>) {
        self.all_busy = false;
        self.dispatch(p);
    }

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, ChannelTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<()>],
    ) {
        self.all_busy = false;
        self.awaiting[c.ix()] = 0;
        p.release_held(
            c,
            held,
            Release::Lost(how.loss(LossReason::ReceiverOffline)),
        );
        if !Self::any_receiver(p) {
            self.disconnect(p);
        }
    }

    fn consumer_up(&mut self, p: &mut Port<'_, ChannelTags>, _c: ConsumerId) {
        self.all_busy = false;
        self.dispatch(p);
    }

    fn approx_bytes(&self) -> usize {
        self.buffer.bytes() + self.blocked.bytes()
    }

    fn holdings(&self, w: &World<ChannelTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        for m in self.buffer.iter().chain(self.blocked.iter()) {
            for g in w.pending_groups(m) {
                f(m.id, g);
            }
        }
    }

    fn state(&self, _w: &World<ChannelTags>) -> ModelState {
        ModelState {
            channel: Some(ChannelState {
                depth: self.buffer.len() as u64,
                capacity: self.capacity as u64,
                blocked: self.blocked.len() as u64,
            }),
            ..ModelState::default()
        }
    }
}
