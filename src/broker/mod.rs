//! Broker models: how each messaging system moves, keeps and loses messages. One file per real
//! system; each module's doc says what it models and what it leaves out, citing
//! `shared/reference/broker-behaviour.md` (the reference).
//!
//! A model owns the state of its system (queues, buffers, logs, offsets) and acts on the world
//! only through the engine's port ([`crate::engine::Port`]): it sends hops, holds and releases
//! copies by the rule written in [`crate::engine::port`], hands messages to consumers and sets
//! its own typed timers. `holdings` lists every copy it keeps (the audit compares).

pub mod direct;
pub mod ipc_channel;
pub mod kafka;
pub mod rabbitmq;
pub mod rabbitmq_stream;
pub mod redis_pubsub;
pub mod redis_stream;

use crate::scenario::TopicId;

/// A round-robin cursor: members are served in turn, skipping those that cannot take one now.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RoundRobin {
    next: usize,
}

impl RoundRobin {
    /// The first of `0..n`, from the cursor on, that `ok` accepts; the cursor moves past it.
    pub fn pick(&mut self, n: usize, mut ok: impl FnMut(usize) -> bool) -> Option<usize> {
        let start = self.next;
        let k = (0..n).map(|i| (start + i) % n).find(|&k| ok(k))?;
        self.next = (k + 1) % n;
        Some(k)
    }
}

/// The broker systems a crash or restart hits: the one carrying `topic`, or all `systems`.
pub(crate) fn systems_hit(
    system_of_topic: &[usize],
    systems: usize,
    topic: Option<TopicId>,
) -> Vec<usize> {
    match topic {
        Some(t) => system_of_topic
            .get(usize::from(t))
            .copied()
            .into_iter()
            .collect(),
        None => (0..systems).collect(),
    }
}
