//! The workload: one stream of messages per publish entry, each drawing from its own ChaCha
//! stream seeded from the scenario's seed, so that every variant sees exactly the same messages at
//! the same instants whatever its brokers and consumers do.

use super::ids::ProducerId;
use crate::scenario::{Arrivals, Nanos, Scenario, TopicId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug)]
pub(super) struct Stream {
    pub producer: ProducerId,
    pub topic: TopicId,
    rate: f64,
    keys: u32,
    key_base: u32,
    pub size: u32,
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
        (g.round() as Nanos).max(1)
    }

    /// The next message's key and its global key slot (None: records without a key).
    pub fn key(&mut self) -> Option<(u32, u32)> {
        (self.keys > 0).then(|| {
            let k = self.rng.random_range(0..self.keys);
            (k, self.key_base + k)
        })
    }
}

/// Every publish entry of the scenario as a stream, and the number of key slots in all.
pub(super) fn streams(s: &Scenario) -> (Vec<Stream>, u32) {
    let mut key_slots = 0u32;
    let mut streams = Vec::new();
    for (pi, p) in s.producers.iter().enumerate() {
        let producer = ProducerId::from_ix(pi).unwrap_or_default();
        for pb in &p.publish {
            let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
            rng.set_stream(100 + streams.len() as u64);
            streams.push(Stream {
                producer,
                topic: pb.topic,
                rate: pb.rate_per_s,
                keys: pb.keys,
                key_base: key_slots,
                size: pb.size_bytes,
                arrivals: pb.arrivals,
                rng,
            });
            key_slots = key_slots.saturating_add(pb.keys);
        }
    }
    (streams, key_slots)
}
