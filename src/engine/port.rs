//! The port between the engine and the broker models: the [`BrokerModel`] trait a model
//! implements, and the [`Port`] handle it acts through. A model never sees the event queue or
//! the ledger's cells: it sends hops, holds and releases copies, hands messages to consumers and
//! sets its own timers, each typed by the model ([`Tags`]).
//!
//! # The copy-accounting rule
//!
//! Every place that can still deliver message `m` to group `g` holds one *copy*: a produce hop
//! holds one for every group waiting for `m`, a delivery hop one for its consumer's group, a
//! consumer's memory one per message it holds, and a model one for every entry of its queues,
//! buffers and logs that it lists in [`BrokerModel::holdings`]. The engine counts the copies of
//! hops and consumer memory itself; a model keeps the ledger in step with what *it* keeps:
//!
//! 1. When a place of the model takes a copy, [`Port::hold`] it (a produce hop's copies are held
//!    by [`Port::publish_to`]; [`Port::deliver`] turns one of the model's copies into the hop's,
//!    so a model that hands a message on from a queue releases nothing and holds nothing).
//! 2. When a place lets its copy go, [`Port::release`] it: `Settled` if the message was
//!    processed or acknowledged, or moved to a place that already holds its own copy;
//!    `Lost(reason)` if it is let go undelivered. The last copy of a pending delivery released
//!    as lost loses the delivery for that reason; released as settled, it is a model bug that
//!    the audit reports.
//! 3. Order: hold the new place's copy *before* releasing the old one. Released first, the old
//!    copy could be the last and lose a delivery that was only moving.
//!
//! The audit ([`super::Engine::audit`]) compares, for every pending delivery, the ledger's copy
//! count with the places that really hold one.
//!
//! # Following one message
//!
//! The methods that move or settle copies also feed a watch on one message ([`super::watch`]):
//! sends, the hand-over, acks, and a release that loses a delivery record an event when the
//! message is the watched one (a single compare otherwise). Where a model keeps it, only the
//! model can say: [`Port::note`] (`stored at this queue, position 4`), a no-op for any other
//! message. Notes change nothing in the run.

use super::consumer::{Delivery, SmallTag};
use super::ids::{ConsumerId, GroupId, MsgId, ProducerId};
use super::ledger::Release;
use super::message::MsgRef;
use super::state::ModelState;
use super::watch::{Note, Step, TraceEvent};
use super::world::{Event, HopKind, Origin, World};
use crate::metrics::LossReason;
use crate::scenario::{Nanos, TopicId};
use crate::topology::NodeId;
use std::fmt::Debug;
use std::ops::Deref;

/// The types a model puts on what it sends: a produce hop, a delivery (on the wire and in the
/// consumer's memory), an acknowledgement, a timer. `()` where the model needs nothing.
pub trait Tags: Copy + Debug + Send + Sync + 'static {
    type Publish: Copy + Debug + Send + Sync;
    type Delivery: SmallTag + Debug + Send + Sync;
    type Ack: Copy + Debug + Send + Sync;
    type Timer: Copy + Debug + Send + Sync;
    /// Where a delivery came from, for traces (the default: nowhere in particular, first try).
    fn origin(_tag: &Self::Delivery) -> Origin {
        Origin {
            attempt: 1,
            ..Origin::default()
        }
    }
}

/// How a consumer went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Down {
    /// Closed its connection cleanly.
    Offline,
    /// Its process died.
    Crash,
    /// Its network link was cut: the process lives, but nobody can reach it.
    LinkDown,
}

impl Down {
    /// Why a copy the consumer held is lost when it goes away this way; `offline` says it in
    /// the model's terms for a clean leave (a receiver, a subscriber).
    #[must_use]
    pub fn loss(self, offline: LossReason) -> LossReason {
        match self {
            Down::Crash => LossReason::ConsumerCrash,
            Down::Offline => offline,
            Down::LinkDown => LossReason::LinkDown,
        }
    }
}

/// What one model does at each moment of a message's life.
pub trait BrokerModel: Clone + Debug + Send + Sync + 'static {
    type Tags: Tags;
    /// The topics a consumer gets messages of, given its `subscribe` entries (default: those).
    fn subscriptions(&self, subscribe: &[TopicId]) -> Vec<TopicId> {
        subscribe.to_vec()
    }
    /// A producer created message `m` (the ledger already expects it).
    fn publish(&mut self, p: &mut Port<'_, Self::Tags>, m: MsgRef);
    /// A produce hop reached node `at`.
    fn arrive(
        &mut self,
        p: &mut Port<'_, Self::Tags>,
        m: MsgRef,
        at: NodeId,
        tag: <Self::Tags as Tags>::Publish,
    );
    /// A delivery hop reached consumer `c` (still there: a void one never arrives). By default
    /// the consumer takes it.
    fn delivered(
        &mut self,
        p: &mut Port<'_, Self::Tags>,
        c: ConsumerId,
        d: Delivery<<Self::Tags as Tags>::Delivery>,
    ) {
        p.hand_over(c, d);
    }
    /// An acknowledgement from consumer `c` reached node `at`.
    fn acked(
        &mut self,
        _p: &mut Port<'_, Self::Tags>,
        _c: ConsumerId,
        _m: MsgRef,
        _at: NodeId,
        _tag: <Self::Tags as Tags>::Ack,
    ) {
    }
    /// Consumer `c` finished processing `d` (the ledger already counted it).
    fn processed(
        &mut self,
        _p: &mut Port<'_, Self::Tags>,
        _c: ConsumerId,
        _d: Delivery<<Self::Tags as Tags>::Delivery>,
    ) {
    }
    /// Consumer `c` went away; `held` is what it had in memory or on its way to it (void now:
    /// the model releases each copy).
    fn consumer_down(
        &mut self,
        p: &mut Port<'_, Self::Tags>,
        c: ConsumerId,
        how: Down,
        held: &[Delivery<<Self::Tags as Tags>::Delivery>],
    );
    /// Consumer `c` came (back) online or joined.
    fn consumer_up(&mut self, _p: &mut Port<'_, Self::Tags>, _c: ConsumerId) {}
    /// A broker crashed: the one carrying `topic`, or every broker.
    fn broker_crash(&mut self, _p: &mut Port<'_, Self::Tags>, _topic: Option<TopicId>) {}
    fn broker_restart(&mut self, _p: &mut Port<'_, Self::Tags>, _topic: Option<TopicId>) {}
    /// A producer's link healed.
    fn producer_up(&mut self, _p: &mut Port<'_, Self::Tags>, _producer: ProducerId) {}
    /// One of the model's timers is due.
    fn timer(&mut self, _p: &mut Port<'_, Self::Tags>, _t: <Self::Tags as Tags>::Timer) {}
    /// Every copy the model keeps itself (not hops, not consumer memory), as (message, group).
    fn holdings(&self, w: &World<Self::Tags>, f: &mut dyn FnMut(MsgId, GroupId));
    /// Check the model's own bookkeeping (counters kept for speed against what they count).
    ///
    /// # Errors
    /// A description of the first mismatch.
    fn check(&self, _w: &World<Self::Tags>) -> Result<(), String> {
        Ok(())
    }
    /// Internal state a learner can see.
    fn state(&self, w: &World<Self::Tags>) -> ModelState;
    /// About how many bytes its state takes beyond its fixed size (queues, buffers, logs): what
    /// a clone of it costs, for the tape's checkpoint budget.
    fn approx_bytes(&self) -> usize {
        0
    }
    /// Consumer lag of a group, where the system defines it (Kafka: log end minus committed).
    fn group_lag(&self, _w: &World<Self::Tags>, _g: GroupId) -> Option<u64> {
        None
    }
}

/// A model's handle on the world during one event: read anything (it derefs to [`World`]),
/// change it only through these methods.
pub struct Port<'a, T: Tags> {
    w: &'a mut World<T>,
}

impl<T: Tags> Deref for Port<'_, T> {
    type Target = World<T>;
    #[inline]
    fn deref(&self) -> &World<T> {
        self.w
    }
}

impl<'a, T: Tags> Port<'a, T> {
    pub(super) fn new(w: &'a mut World<T>) -> Self {
        Port { w }
    }

    // ---- copies (see the module docs for the rule) ----

    /// One more place of the model holds `m` for `g`.
    #[inline]
    pub fn hold(&mut self, m: MsgRef, g: GroupId) {
        self.w.ledger.hold(m.id, g, 1);
    }
    /// `n` more places hold `m` for `g`.
    #[inline]
    pub fn hold_n(&mut self, m: MsgRef, g: GroupId, n: u16) {
        self.w.ledger.hold(m.id, g, n);
    }
    /// One more place holds `m` for every group waiting for it.
    #[inline]
    pub fn hold_all(&mut self, m: MsgRef) {
        let topic = self.w.info(m).topic;
        self.w.ledger.hold_all(m.id, topic);
    }
    /// A place at node `at` lets its copy of `m` for `g` go; a delivery lost by it flashes there.
    #[inline]
    pub fn release(&mut self, m: MsgRef, g: GroupId, how: Release, at: NodeId) {
        if self.w.ledger.release(m.id, g, how) {
            self.w.flash(at, m);
            if self.w.watching(m.id) {
                self.record_lost(g, how, at);
            }
        }
    }
    /// [`Port::release`] for every group waiting for `m`.
    #[inline]
    pub fn release_all(&mut self, m: MsgRef, how: Release, at: NodeId) {
        if self.w.watching(m.id) {
            return self.release_all_watched(m, how, at);
        }
        let topic = self.w.info(m).topic;
        if self.w.ledger.release_all(m.id, topic, how) {
            self.w.flash(at, m);
        }
    }
    /// Release what consumer `c` held when it went away (its group's copies, at its node).
    #[inline]
    pub fn release_held(&mut self, c: ConsumerId, held: &[Delivery<T::Delivery>], how: Release) {
        let k = self.w.consumer(c);
        let (g, node) = (k.group(), k.node());
        let Some(g) = g else { return };
        for d in held {
            self.release(d.msg, g, how, node);
        }
    }

    /// [`Port::release_all`] group by group, to say which lost it: the same ledger changes in
    /// the same order (what `Ledger::release_all` does), one flash.
    #[cold]
    fn release_all_watched(&mut self, m: MsgRef, how: Release, at: NodeId) {
        let topic = self.w.info(m).topic;
        let mut lost = false;
        for i in 0..self.w.ledger.groups_of(topic).len() {
            let g = self.w.ledger.groups_of(topic)[i];
            if self.w.ledger.release(m.id, g, how) {
                lost = true;
                self.record_lost(g, how, at);
            }
        }
        if lost {
            self.w.flash(at, m);
        }
    }

    /// The last copy of the watched message for `g` went at `at`: that delivery is lost.
    #[cold]
    fn record_lost(&mut self, g: GroupId, how: Release, at: NodeId) {
        if let Release::Lost(reason) = how {
            let e = TraceEvent::new(self.w.now(), at, Step::Lost(reason));
            self.w.record(e.group(Some(g)));
        }
    }

    // ---- what a model says about where it keeps a message (for a watch) ----

    /// A place at node `at` keeps (or lets go of) `m` in the model's own terms: `detail` says
    /// where (`partition 2 offset 17`), reading the world if it needs a name. Only made, and
    /// kept, when `m` is the watched message.
    #[inline]
    pub fn note(
        &mut self,
        m: MsgRef,
        at: NodeId,
        what: Note,
        detail: impl FnOnce(&World<T>) -> String,
    ) {
        if self.w.watching(m.id) && self.w.room_for_note() {
            let d = detail(self.w);
            let e = TraceEvent::new(self.w.now(), at, Step::Noted(what));
            self.w.record(e.detail(d));
        }
    }
    /// [`Port::note`] about a place that keeps `m` for group `g`.
    #[inline]
    pub fn note_for(
        &mut self,
        m: MsgRef,
        g: GroupId,
        at: NodeId,
        what: Note,
        detail: impl FnOnce(&World<T>) -> String,
    ) {
        if self.w.watching(m.id) && self.w.room_for_note() {
            let d = detail(self.w);
            let e = TraceEvent::new(self.w.now(), at, Step::Noted(what)).group(Some(g));
            self.w.record(e.detail(d));
        }
    }

    // ---- the wire ----

    /// Message `m` leaves its producer for node `to` (the model held its copies).
    pub fn publish(&mut self, m: MsgRef, to: NodeId, tag: T::Publish) {
        let from = self.w.producer_node(m);
        if self.w.watching(m.id) {
            self.w
                .record(TraceEvent::new(self.w.now(), from, Step::Published { to }));
        }
        self.w.send(m, from, to, HopKind::Publish(tag));
    }
    /// Message `m` leaves its producer for broker node `to`: the hop holds one copy for every
    /// group waiting for it; over a cut link the send fails and those deliveries are lost.
    #[inline]
    pub fn publish_to(&mut self, m: MsgRef, to: NodeId, tag: T::Publish) {
        self.hold_all(m);
        if !self.w.producer_connected(m) {
            let from = self.w.producer_node(m);
            return self.release_all(m, Release::Lost(LossReason::LinkDown), from);
        }
        self.publish(m, to, tag);
    }
    /// Send `m` from node `from` to consumer `c`: one of the model's copies goes on the wire.
    #[inline]
    pub fn deliver(
        &mut self,
        c: ConsumerId,
        m: MsgRef,
        from: NodeId,
        tag: T::Delivery,
        redelivered: bool,
    ) {
        let k = self.w.consumer(c);
        let (to, epoch) = (k.node(), k.epoch());
        if self.w.watching(m.id) {
            let step = Step::Delivered {
                redelivered,
                origin: T::origin(&tag),
            };
            let g = k.group();
            let e = TraceEvent::new(self.w.now(), from, step).group(g);
            self.w.record(e.consumer(c));
        }
        let kind = HopKind::Deliver {
            consumer: c,
            epoch,
            tag,
            redelivered,
        };
        self.w.send(m, from, to, kind);
    }
    /// Consumer `c` acknowledges `m` to node `to` (the ack carries no copy).
    #[inline]
    pub fn ack(&mut self, c: ConsumerId, m: MsgRef, to: NodeId, tag: T::Ack) {
        let from = self.w.consumer(c).node();
        if self.w.watching(m.id) {
            let g = self.w.group_of(c);
            let e = TraceEvent::new(self.w.now(), from, Step::Acked { to }).group(g);
            self.w.record(e.consumer(c));
        }
        self.w.send(m, from, to, HopKind::Ack { consumer: c, tag });
    }
    /// Consumer `c` takes `d` into its memory; it starts processing if idle.
    #[inline]
    pub fn hand_over(&mut self, c: ConsumerId, d: Delivery<T::Delivery>) {
        if self.w.watching(d.msg.id) {
            let k = self.w.consumer(c);
            let e = TraceEvent::new(self.w.now(), k.node(), Step::Received).group(k.group());
            self.w.record(e.consumer(c));
        }
        self.w.consumer_mut(c).receive(d);
        self.w.start_service(c);
    }

    // ---- time and bytes ----

    /// The model's timer `t` fires at `at`.
    #[inline]
    pub fn schedule(&mut self, at: Nanos, t: T::Timer) {
        self.w.schedule(at, Event::Timer(t));
    }
    /// The model's timer `t` fires one hop latency from now. Such timers are due in the order
    /// they are set, so they wait in the queue's FIFO lane rather than its heap.
    #[inline]
    pub fn schedule_after_latency(&mut self, t: T::Timer) {
        let at = self.w.now() + self.w.latency();
        self.w.schedule_fifo(at, Event::Timer(t));
    }
    /// A broker keeps `bytes` more (for `stored_bytes_peak`).
    #[inline]
    pub fn store(&mut self, bytes: u32) {
        self.w.store(u64::from(bytes));
    }
    /// [`Port::store`] `n` times.
    #[inline]
    pub fn store_n(&mut self, bytes: u32, n: u32) {
        self.w.store(u64::from(bytes) * u64::from(n));
    }
    #[inline]
    pub fn unstore(&mut self, bytes: u32) {
        self.w.unstore(u64::from(bytes));
    }
}
