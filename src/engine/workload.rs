//! The workload: one stream of messages per publish entry, each drawing from its own ChaCha
//! stream seeded from the scenario's seed, so that every variant sees exactly the same messages at
//! the same instants whatever its brokers and consumers do.

use super::ids::ProducerId;
use super::message::{Classes, MsgClass};
use crate::scenario::{Arrivals, Nanos, Scenario};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug)]
pub(super) struct Stream {
    rate: f64,
    keys: u32,
    /// The class of its first message (its other keys' classes follow).
    class: MsgClass,
    arrivals: Arrivals,
    rng: ChaCha8Rng,
}

impl Stream {
    /// Time to the next message.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    pub fn gap(&mut self) -> Nanos {
        let mean = 1e9 / self.rate;
        let g = match self.arrivals {
            Arrivals::Constant => mean,
            Arrivals::Poisson => {
                let u: f64 = self.rng.random();
                -(1.0 - u).ln() * mean
            }
        };
        crate::scenario::round_nanos(g).max(1)
    }

    /// The next message's class: its key's, drawn uniformly, for a keyed entry.
    pub fn class(&mut self) -> MsgClass {
        if self.keys == 0 {
            return self.class;
        }
        let k = self.rng.random_range(0..self.keys);
        MsgClass(self.class.0 + k)
    }
}

/// Every publish entry of the scenario as a stream, the classes of their messages, and the
/// number of key slots in all.
pub(super) fn streams(s: &Scenario) -> (Vec<Stream>, Classes, u32) {
    let key_slots: u32 = s
        .producers
        .iter()
        .flat_map(|p| &p.publish)
        .map(|pb| pb.keys)
        .fold(0, u32::saturating_add);
    let mut classes = Classes::new(key_slots);
    let mut key_base = 0u32;
    let mut streams = Vec::new();
    for (pi, p) in s.producers.iter().enumerate() {
        let producer = ProducerId::from_ix(pi).unwrap_or_default();
        for pb in &p.publish {
            let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
            rng.set_stream(100 + streams.len() as u64);
            let class = classes.add_entry(pb.topic, producer, pb.size_bytes, pb.keys, key_base);
            streams.push(Stream {
                rate: pb.rate_per_s,
                keys: pb.keys,
                class,
                arrivals: pb.arrivals,
                rng,
            });
            key_base = key_base.saturating_add(pb.keys);
        }
    }
    (streams, classes, key_slots)
}
