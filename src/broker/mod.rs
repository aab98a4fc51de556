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
        if n == 0 {
            return None;
        }
        // From the cursor to the end, then from the start: no division a step.
        let start = if self.next < n {
            self.next
        } else {
            self.next % n
        };
        let k = (start..n).chain(0..start).find(|&k| ok(k))?;
        self.next = if k + 1 == n { 0 } else { k + 1 };
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

#[cfg(test)]
mod tests {
    use super::RoundRobin;

    /// The first `(cursor + i) % n` that `ok` accepts: the cursor as it was first written.
    fn model(next: &mut usize, n: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
        let start = *next;
        let k = (0..n).map(|i| (start + i) % n).find(|&k| ok(k))?;
        *next = (k + 1) % n;
        Some(k)
    }

    #[test]
    fn round_robin_picks_as_the_modulo_model_does_whatever_the_cursor_and_size() {
        // Members come and go (n shrinks below the cursor, or is 0); some refuse.
        let mut x: u64 = 7;
        let (mut rr, mut next) = (RoundRobin::default(), 0usize);
        let mut picked = 0;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let n = ((x >> 33) % 9) as usize;
            let refuse = (x >> 45) as usize;
            let ok = |k: usize| (refuse >> (k % 16)) & 1 == 0;
            let got = rr.pick(n, ok);
            assert_eq!(got, model(&mut next, n, ok), "n {n}");
            picked += usize::from(got.is_some());
            assert_eq!(rr.next, next, "the cursor moves as the model's does");
        }
        assert!(picked > 10_000, "most draws pick someone: {picked}");
    }
}
