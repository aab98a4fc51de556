//! Point to point: every producer holds a connection to every consumer it feeds.
//!
//! ```text
//!   P1 ──┬──> C1        N producers x M consumers links;
//!        └──> C2        adding a consumer changes every producer
//!   P2 ──┬──> C1
//!        └──> C2
//! ```
//!
//! Models (reference, "Direct link"; `shared/reference/broker-behaviour.md`): a send to a receiver
//! that is offline fails at once; without retry the message is dropped (at-most-once), with `retry`
//! the producer sends again every `retry_ms` until it gets through or gives up after `max_retries`
//! (at-least-once while it lasts). FIFO per link, nothing stored anywhere but the producer's retry
//! buffer. Within a consumer group the producer spreads messages round-robin over the members it
//! knows.
//!
//! Leaves out: TCP backpressure and reconnect timing; a receiver that crashes after taking a
//! message loses it (no ack, no resend).

use super::{BrokerModel, Down, ModelState};
use crate::metrics::LossReason;
use crate::scenario::{DirectOptions, Variant};
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, World};
use crate::topology::Topology;

const TIMER_RETRY: u8 = 1;

#[derive(Clone, Debug)]
pub struct Direct {
    opts: DirectOptions,
    /// Round-robin position per group.
    next_member: Vec<u32>,
}

impl Direct {
    #[must_use]
    pub fn new(v: &Variant, _topo: &Topology) -> Direct {
        Direct {
            opts: v.direct.clone(),
            next_member: Vec::new(),
        }
    }

    /// Try to send `m` to one member of `g`; `attempt` counts earlier failures.
    fn send(&mut self, w: &mut World, m: MsgId, g: GroupId, attempt: u32) {
        let topic = w.msg(m).topic;
        let from = w.producer_node(m);
        if !w.producer_connected(m) {
            return self.fail(w, m, g, attempt, LossReason::LinkDown);
        }
        // The producer's configured list: every member that subscribes to the topic, present or not.
        let members = || {
            w.ledger.groups[g as usize]
                .members
                .iter()
                .copied()
                .filter(|&c| w.consumers[c as usize].subscribes(topic))
        };
        let n = members().count();
        if n == 0 {
            return self.fail(w, m, g, attempt, LossReason::ReceiverOffline);
        }
        if self.next_member.len() <= g as usize {
            self.next_member.resize(g as usize + 1, 0);
        }
        let pick = members()
            .nth(self.next_member[g as usize] as usize % n)
            .unwrap_or(0);
        self.next_member[g as usize] = self.next_member[g as usize].wrapping_add(1);
        if !w.consumers[pick as usize].connected() {
            // Connection refused at once: the producer knows.
            return self.fail(w, m, g, attempt, LossReason::ReceiverOffline);
        }
        w.ledger.add_copy(m, g);
        w.send_to_consumer(m, from, pick, g, attempt);
    }

    fn fail(&mut self, w: &mut World, m: MsgId, g: GroupId, attempt: u32, reason: LossReason) {
        // The failed send adds a copy and drops it, so that a delivery with no other copy is lost
        // for this reason, while one held elsewhere (a retry buffer) stays pending.
        w.ledger.add_copy(m, g);
        if self.opts.retry && attempt < self.opts.max_retries {
            // The producer keeps the message for the retry: that copy stays.
            let at = w.now + crate::scenario::millis(self.opts.retry_ms).max(1);
            w.timer(at, TIMER_RETRY, m, ((attempt + 1) << 16) | (g & 0xffff));
        } else {
            let r = if self.opts.retry {
                LossReason::RetriesExhausted
            } else {
                reason
            };
            let node = w.producer_node(m);
            w.drop_copy(m, g, r, node);
        }
    }
}

impl BrokerModel for Direct {
    fn publish(&mut self, w: &mut World, m: MsgId) {
        for g in 0..w.ledger.groups.len() {
            let g = GroupId::try_from(g).unwrap_or(0);
            if w.ledger.is_pending(m, g) {
                self.send(w, m, g, 0);
            }
        }
    }

    fn arrive(&mut self, w: &mut World, h: Hop) {
        let c = h.consumer;
        if w.consumers[c as usize].connected() {
            w.deliver_local(
                c,
                Delivery {
                    msg: h.msg,
                    tag: h.tag,
                    aux: h.aux,
                    redelivered: false,
                },
            );
        } else {
            // The receiver went away while the message was on the wire.
            w.drop_held(c, h.msg, LossReason::ReceiverOffline);
        }
    }

    fn consumer_down(&mut self, w: &mut World, c: u32, how: Down) {
        let reason = how.loss(LossReason::ReceiverOffline);
        super::drop_held_all(w, c, reason);
    }

    fn timer(&mut self, w: &mut World, kind: u8, m: u32, b: u32) {
        if kind == TIMER_RETRY {
            let (g, attempt) = (b & 0xffff, b >> 16);
            // Send again first, then let the retry buffer's copy go: if the send failed for good,
            // that last drop is what loses the delivery.
            self.send(w, m, g, attempt);
            let node = w.producer_node(m);
            w.drop_copy(m, g, LossReason::RetriesExhausted, node);
        }
    }

    fn holdings(&self, w: &World, f: &mut dyn FnMut(MsgId, GroupId)) {
        for (kind, m, b) in w.model_timers() {
            if kind == TIMER_RETRY {
                f(m, b & 0xffff);
            }
        }
    }

    fn state(&self, _w: &World) -> ModelState {
        ModelState::default()
    }
}
