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

use crate::engine::{
    BrokerModel, ConsumerId, Delivery, Down, GroupId, MsgId, MsgRef, Note, Origin, Port, Release,
    Tags, World,
};
use crate::metrics::LossReason;
use crate::scenario::{to_secs, DirectOptions};
use crate::topology::NodeId;

/// What the direct model puts on its hops and timers.
#[derive(Clone, Copy, Debug)]
pub struct DirectTags;

impl Tags for DirectTags {
    type Publish = ();
    /// Earlier failed attempts to send it (at most `max_retries`, which is at most 65,535:
    /// two bytes a message in a consumer's memory, not four).
    type Delivery = u16;
    type Ack = ();
    type Timer = Retry;
    fn origin(attempts: &u16) -> Origin {
        Origin {
            attempt: u32::from(*attempts) + 1,
            ..Origin::default()
        }
    }
}

// A delivery counts its attempts in two bytes: the retries allowed must fit.
const _: () = assert!(crate::scenario::rules::MAX_RETRIES.max <= u16::MAX as i64);

/// A producer sends `msg` to a member of `group` again (its `attempt`-th retry).
#[derive(Clone, Copy, Debug)]
struct Waiting {
    msg: MsgRef,
    group: GroupId,
    attempt: u16,
}

/// A retry is due: the one in this slot of the producers' retry buffers.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    slot: u32,
}

#[derive(Clone, Debug)]
pub struct Direct {
    opts: DirectOptions,
    /// Per group: how many sends the producers made to its members, to take turns. A producer
    /// knows its configured list, not who is up, so it does not skip a member that is down.
    turn: Vec<u32>,
    /// The producers' retry buffers: what waits for a retry, by slot (a free slot is None), and
    /// the free slots. A retry timer names its slot, so timers stay small.
    waiting: Vec<Option<Waiting>>,
    free: Vec<u32>,
}

impl Direct {
    /// `consumers`: how many the scenario has (there are never more groups).
    #[must_use]
    pub fn new(opts: &DirectOptions, consumers: usize) -> Direct {
        Direct {
            opts: opts.clone(),
            turn: vec![0; consumers],
            waiting: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Try to send `m` to one member of `g`; `attempt` counts earlier failures. Returns whether
    /// a copy went on (on the wire, or kept for a retry).
    fn send(&mut self, p: &mut Port<'_, DirectTags>, m: MsgRef, g: GroupId, attempt: u16) -> bool {
        let topic = p.info(m).topic;
        if !p.producer_connected(m) {
            return self.fail(p, m, g, attempt, LossReason::LinkDown);
        }
        // The producer's configured list: every member that subscribes to the topic, present or not.
        let members = &p.ledger().group(g).members;
        let pick = match members.as_slice() {
            // One member: it, if it subscribes (no second pass to count).
            &[only] => p.consumer(only).subscribes(topic).then_some((only, 1)),
            all => {
                let subscribed = || {
                    all.iter()
                        .copied()
                        .filter(|&c| p.consumer(c).subscribes(topic))
                };
                let n = subscribed().count();
                let turn = self.turn.get(g.ix()).copied().unwrap_or(0);
                subscribed().nth(turn as usize % n.max(1)).map(|c| (c, n))
            }
        };
        let Some((pick, _)) = pick else {
            return self.fail(p, m, g, attempt, LossReason::ReceiverOffline);
        };
        if let Some(turn) = self.turn.get_mut(g.ix()) {
            *turn = turn.wrapping_add(1);
        }
        if !p.consumer(pick).connected() {
            // Connection refused at once: the producer knows.
            return self.fail(p, m, g, attempt, LossReason::ReceiverOffline);
        }
        p.hold(m, g);
        let from = p.producer_node(m);
        p.deliver(pick, m, from, attempt, false);
        true
    }

    /// A send that failed: its copy waits for a retry, or is lost for `reason` (or because the
    /// retries ran out).
    fn fail(
        &mut self,
        p: &mut Port<'_, DirectTags>,
        m: MsgRef,
        g: GroupId,
        attempt: u16,
        reason: LossReason,
    ) -> bool {
        p.hold(m, g);
        if self.opts.retry && u32::from(attempt) < self.opts.max_retries {
            let at = p.now() + crate::scenario::millis(self.opts.retry_ms).max(1);
            let w = Waiting {
                msg: m,
                group: g,
                attempt: attempt + 1,
            };
            let slot = match self.free.pop() {
                Some(s) => {
                    self.waiting[s as usize] = Some(w);
                    s
                }
                None => {
                    self.waiting.push(Some(w));
                    u32::try_from(self.waiting.len() - 1).unwrap_or(u32::MAX)
                }
            };
            p.schedule(at, Retry { slot });
            let (node, max) = (p.producer_node(m), self.opts.max_retries);
            p.note_for(m, g, node, Note::Held, |_| {
                format!(
                    "retry buffer: try {} of {max} at {:.3} s",
                    attempt + 1,
                    to_secs(at)
                )
            });
            return true;
        }
        let reason = if self.opts.retry {
            LossReason::RetriesExhausted
        } else {
            reason
        };
        let node: NodeId = p.producer_node(m);
        p.release(m, g, Release::Lost(reason), node);
        false
    }
}

impl BrokerModel for Direct {
    type Tags = DirectTags;

    fn publish(&mut self, p: &mut Port<'_, DirectTags>, m: MsgRef) {
        // Every group subscribed to its topic waits for a message just created.
        let topic = p.info(m).topic;
        for i in 0..p.ledger().groups_of(topic).len() {
            let g = p.ledger().groups_of(topic)[i];
            self.send(p, m, g, 0);
        }
    }

    /// Producers send straight to consumers: no produce hop ever arrives anywhere.
    fn arrive(&mut self, _p: &mut Port<'_, DirectTags>, _m: MsgRef, _at: NodeId, _tag: ()) {}

    fn consumer_down(
        &mut self,
        p: &mut Port<'_, DirectTags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<u16>],
    ) {
        // Nothing resends what a receiver had taken.
        let reason = how.loss(LossReason::ReceiverOffline);
        p.release_held(c, held, Release::Lost(reason));
    }

    fn timer(&mut self, p: &mut Port<'_, DirectTags>, t: Retry) {
        let Some(r) = self.waiting.get_mut(t.slot as usize).and_then(Option::take) else {
            return;
        };
        self.free.push(t.slot);
        // Send again first: the retry buffer's copy then moved on (settled), or, if the send
        // failed for good, it was the last one and the retries are exhausted.
        let onward = self.send(p, r.msg, r.group, r.attempt);
        let how = if onward {
            Release::Settled
        } else {
            Release::Lost(LossReason::RetriesExhausted)
        };
        let node = p.producer_node(r.msg);
        p.release(r.msg, r.group, how, node);
    }

    fn holdings(&self, w: &World<DirectTags>, f: &mut dyn FnMut(MsgId, GroupId)) {
        let _ = w;
        // A message waiting for a retry is held by its producer's retry buffer.
        for r in self.waiting.iter().flatten() {
            f(r.msg.id, r.group);
        }
    }

    fn state(&self, _w: &World<DirectTags>) -> crate::engine::state::ModelState {
        crate::engine::state::ModelState::default()
    }
}
