//! An IPC channel between senders and receivers, like Rust's bounded `std::sync::mpsc`.
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

use super::{BrokerModel, ChannelState, Down, ModelState};
use crate::metrics::LossReason;
use crate::scenario::Variant;
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, HopKind, World};
use crate::topology::{NodeId, Topology};
use std::collections::VecDeque;

const RECV_AHEAD: usize = 2;

#[derive(Clone, Debug)]
pub struct IpcChannel {
    node: NodeId,
    capacity: usize,
    buffer: VecDeque<MsgId>,
    /// Messages whose sender is blocked on the full channel, in send order.
    blocked: VecDeque<MsgId>,
    /// Sent towards the channel, not yet in it: their slots are taken.
    sending: usize,
    /// Messages on their way to each receiver. A receiver asks for the next one while it
    /// processes the current one (a pipeline of two), like a thread looping on `recv()`.
    awaiting: Vec<u8>,
    next_receiver: usize,
}

impl IpcChannel {
    #[must_use]
    pub fn new(v: &Variant, topo: &Topology) -> IpcChannel {
        IpcChannel {
            node: topo.channel.unwrap_or(0),
            capacity: v.channel.capacity as usize,
            buffer: VecDeque::new(),
            blocked: VecDeque::new(),
            sending: 0,
            awaiting: vec![0; topo.consumers.len()],
            next_receiver: 0,
        }
    }

    fn any_receiver(w: &World) -> bool {
        w.consumers
            .iter()
            .any(crate::sim::world::ConsumerRt::connected)
    }

    fn idle_receiver(&mut self, w: &World) -> Option<u32> {
        let n = w.consumers.len();
        (0..n)
            .map(|i| (self.next_receiver + i) % n)
            .find(|&c| {
                let k = &w.consumers[c];
                k.connected() && k.held() + usize::from(self.awaiting[c]) < RECV_AHEAD
            })
            .map(|c| {
                self.next_receiver = (c + 1) % n;
                u32::try_from(c).unwrap_or(0)
            })
    }

    fn dispatch(&mut self, w: &mut World) {
        loop {
            if self.buffer.is_empty() && self.blocked.is_empty() {
                break;
            }
            let Some(r) = self.idle_receiver(w) else {
                break;
            };
            // A rendezvous (or a drained buffer) hands a blocked sender's message straight over.
            let m = if let Some(m) = self.buffer.pop_front() {
                w.unstore(w.msg(m).size);
                m
            } else if let Some(m) = self.blocked.pop_front() {
                m
            } else {
                break;
            };
            let rg = w.consumers[r as usize].group;
            for g in 0..w.ledger.groups.len() {
                let g = GroupId::try_from(g).unwrap_or(0);
                if g != rg && w.ledger.is_pending(m, g) {
                    w.drop_copy(m, g, LossReason::NoFanout, self.node);
                }
            }
            self.awaiting[r as usize] += 1;
            w.send_to_consumer(m, self.node, r, 0, 0);
        }
        while self.buffer.len() + self.sending < self.capacity {
            let Some(m) = self.blocked.pop_front() else {
                break;
            };
            self.sending += 1;
            let from = w.producer_node(m);
            w.send(m, from, self.node, HopKind::Publish, None, 0, 0);
        }
    }

    /// No receiver is left: the channel is disconnected, its buffer and blocked sends fail.
    fn disconnect(&mut self, w: &mut World) {
        for m in self.buffer.drain(..) {
            w.unstore(w.msg(m).size);
            w.drop_copy_all(m, LossReason::ReceiverOffline, self.node);
        }
        for m in self.blocked.drain(..) {
            let node = w.producer_node(m);
            w.drop_copy_all(m, LossReason::ReceiverOffline, node);
        }
    }
}

impl BrokerModel for IpcChannel {
    fn publish(&mut self, w: &mut World, m: MsgId) {
        let node = w.producer_node(m);
        w.ledger.add_copy_all(m);
        if !w.producer_connected(m) {
            return w.drop_copy_all(m, LossReason::LinkDown, node);
        }
        if !Self::any_receiver(w) {
            // send() returns Err: the receiver is gone.
            return w.drop_copy_all(m, LossReason::ReceiverOffline, node);
        }
        if !self.blocked.is_empty() || self.buffer.len() + self.sending >= self.capacity {
            self.blocked.push_back(m);
            self.dispatch(w);
        } else {
            self.sending += 1;
            w.send(m, node, self.node, HopKind::Publish, None, 0, 0);
        }
    }

    fn arrive(&mut self, w: &mut World, h: Hop) {
        match h.kind {
            HopKind::Publish => {
                self.sending -= 1;
                if Self::any_receiver(w) {
                    w.store(w.msg(h.msg).size);
                    self.buffer.push_back(h.msg);
                } else {
                    w.drop_copy_all(h.msg, LossReason::ReceiverOffline, self.node);
                }
            }
            HopKind::Deliver => {
                let c = h.consumer;
                self.awaiting[c as usize] = self.awaiting[c as usize].saturating_sub(1);
                w.deliver_local(
                    c,
                    Delivery {
                        msg: h.msg,
                        tag: 0,
                        aux: 0,
                        redelivered: false,
                    },
                );
            }
            HopKind::Ack => {}
        }
        self.dispatch(w);
    }

    fn processed(&mut self, w: &mut World, _c: u32, _d: Delivery) {
        self.dispatch(w);
    }

    fn consumer_down(&mut self, w: &mut World, c: u32, how: Down) {
        let reason = how.loss(LossReason::ReceiverOffline);
        self.awaiting[c as usize] = 0;
        super::drop_held_all(w, c, reason);
        if !Self::any_receiver(w) {
            self.disconnect(w);
        }
    }

    fn consumer_up(&mut self, w: &mut World, c: u32) {
        if self.awaiting.len() <= c as usize {
            self.awaiting.resize(c as usize + 1, 0);
        }
        self.dispatch(w);
    }

    fn holdings(&self, w: &World, f: &mut dyn FnMut(MsgId, GroupId)) {
        for &m in self.buffer.iter().chain(self.blocked.iter()) {
            for g in w.ledger.pending_groups(m) {
                f(m, g);
            }
        }
    }

    fn state(&self, _w: &World) -> ModelState {
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
