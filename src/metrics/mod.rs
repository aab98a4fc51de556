//! What a run counts, per variant: delivery counters with loss reasons, the latency histogram,
//! the integration cost of a topology, and time series. Plain numbers the engine feeds; the
//! metric catalogue that names them for people is `report`.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why an expected delivery can no longer happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LossReason {
    /// Pub/Sub: the subscriber was not connected when the message was published.
    SubscriberOffline,
    /// A direct send or channel send found no receiver.
    ReceiverOffline,
    /// Held in a consumer's memory (fetched, prefetched, auto-acked) when it crashed.
    ConsumerCrash,
    /// Sent while the broker was down.
    BrokerDown,
    /// Held by a broker that restarted without keeping it (not durable, not persistent).
    BrokerRestart,
    /// Sent over a cut link.
    LinkDown,
    /// Deleted by retention before the group read it.
    Retention,
    /// Skipped by a reader placed past it: Kafka's `auto.offset.reset = latest`, a RabbitMQ
    /// stream consumer attaching at `next` (or at an offset beyond it).
    OffsetReset,
    /// Redis dropped a slow subscriber whose output buffer went over its limit.
    OutputBufferLimit,
    /// An IPC channel gave the message to a receiver of another group (no fan-out).
    NoFanout,
    /// Acknowledged by a leader that died before a follower copied it (acks=0/1).
    LeaderFailover,
    /// Dropped by a queue length limit.
    QueueOverflow,
    /// No queue was bound for it when it reached the exchange.
    Unroutable,
    /// A sender gave up after its retries.
    RetriesExhausted,
    /// Trimmed from a Redis stream (MAXLEN) before the group read it: a lagging group skips it.
    Trimmed,
    /// Refused by a full queue with `overflow = reject-publish` (the publisher gets a nack).
    Rejected,
    /// Unroutable with `mandatory = true`: the broker returned it to the publisher.
    Returned,
    /// Archived by a Kafka share group after `delivery_limit` delivery attempts.
    DeliveryLimit,
    /// A share consumer acknowledged it REJECT: archived, never delivered to the group again.
    ConsumerRejected,
}

impl LossReason {
    pub const ALL: [LossReason; 19] = [
        LossReason::SubscriberOffline,
        LossReason::ReceiverOffline,
        LossReason::ConsumerCrash,
        LossReason::BrokerDown,
        LossReason::BrokerRestart,
        LossReason::LinkDown,
        LossReason::Retention,
        LossReason::OffsetReset,
        LossReason::OutputBufferLimit,
        LossReason::NoFanout,
        LossReason::LeaderFailover,
        LossReason::QueueOverflow,
        LossReason::Unroutable,
        LossReason::RetriesExhausted,
        LossReason::Trimmed,
        LossReason::Rejected,
        LossReason::Returned,
        LossReason::DeliveryLimit,
        LossReason::ConsumerRejected,
    ];

    /// The reason [`Self::name`] calls `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<LossReason> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LossReason::SubscriberOffline => "subscriber-offline",
            LossReason::ReceiverOffline => "receiver-offline",
            LossReason::ConsumerCrash => "consumer-crash",
            LossReason::BrokerDown => "broker-down",
            LossReason::BrokerRestart => "broker-restart",
            LossReason::LinkDown => "link-down",
            LossReason::Retention => "retention",
            LossReason::OffsetReset => "offset-reset",
            LossReason::OutputBufferLimit => "output-buffer-limit",
            LossReason::NoFanout => "no-fanout",
            LossReason::LeaderFailover => "leader-failover",
            LossReason::QueueOverflow => "queue-overflow",
            LossReason::Unroutable => "unroutable",
            LossReason::RetriesExhausted => "retries-exhausted",
            LossReason::Trimmed => "trimmed",
            LossReason::Rejected => "rejected",
            LossReason::Returned => "returned",
            LossReason::DeliveryLimit => "delivery-limit",
            LossReason::ConsumerRejected => "consumer-rejected",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Delivery counters of one variant or one consumer group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub pending: u64,
    pub duplicates: u64,
    pub replayed: u64,
    pub out_of_order: u64,
    pub lost_by_reason: [u64; LossReason::ALL.len()],
}

impl Counters {
    pub fn expect(&mut self, n: u64) {
        self.expected += n;
        self.pending += n;
    }
    pub fn deliver(&mut self) {
        self.delivered += 1;
        self.pending -= 1;
    }
    pub fn lose(&mut self, reason: LossReason) {
        self.lost += 1;
        self.pending -= 1;
        self.lost_by_reason[reason.index()] += 1;
    }
    #[must_use]
    pub fn lost_by_reason(&self) -> BTreeMap<String, u64> {
        LossReason::ALL
            .iter()
            .filter(|r| self.lost_by_reason[r.index()] > 0)
            .map(|r| (r.name().to_owned(), self.lost_by_reason[r.index()]))
            .collect()
    }
    /// `expected == delivered + lost + pending`.
    #[must_use]
    pub fn conserved(&self) -> bool {
        self.expected == self.delivered + self.lost + self.pending
    }
}

/// Latency from produce to processed, in microseconds, with 3 significant digits.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    h: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        // One microsecond to 100 days: every latency a scenario within limits can produce.
        let h = Histogram::new_with_bounds(1, 100 * 86_400 * 1_000_000, 3)
            .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable_histogram()));
        LatencyHistogram { h }
    }
}

fn unreachable_histogram() -> Histogram<u64> {
    // `Histogram::new(3)` only fails for sigfig > 5; kept total so library code has no unwrap.
    Histogram::new_with_max(2, 1).unwrap_or_else(|_| Histogram::new(1).expect("sigfig 1 is valid"))
}

impl LatencyHistogram {
    pub fn record_ns(&mut self, ns: u64) {
        let us = (ns / 1000).max(1);
        self.h.saturating_record(us);
    }
    pub fn clear(&mut self) {
        self.h.reset();
    }
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn summary(&self) -> Latency {
        if self.h.is_empty() {
            return Latency::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            p50: ms(self.h.value_at_quantile(0.5)),
            p99: ms(self.h.value_at_quantile(0.99)),
            max: ms(self.h.max()),
            mean: self.h.mean() / 1000.0,
        }
    }
    /// The latencies recorded since `earlier`, a copy of this histogram taken then: those of
    /// the deliveries of one stretch of time. None when there were none.
    #[must_use]
    pub fn since(&self, earlier: &LatencyHistogram) -> Option<Latency> {
        let mut d = self.h.clone();
        d.subtract(&earlier.h).ok()?;
        (!d.is_empty()).then(|| LatencyHistogram { h: d }.summary())
    }
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn p99_ms(&self) -> f64 {
        if self.h.is_empty() {
            0.0
        } else {
            self.h.value_at_quantile(0.99) as f64 / 1000.0
        }
    }
}

/// The latencies of the deliveries since the last sample of a time series, for its p99: kept
/// as they come (a push each, cheaper than a histogram), the percentile taken at the sample.
#[derive(Clone, Debug, Default)]
pub struct LatencyWindow {
    us: Vec<u32>,
}

impl LatencyWindow {
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        let us = u32::try_from((ns / 1000).max(1)).unwrap_or(u32::MAX);
        self.us.push(us);
    }
    /// The 99th percentile in ms (0 when none), then forget them.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    pub fn take_p99_ms(&mut self) -> f64 {
        if self.us.is_empty() {
            return 0.0;
        }
        // Nearest rank: the smallest value with at least 99% of the values at or below it.
        let n = self.us.len();
        let rank = ((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1;
        let (_, p99, _) = self.us.select_nth_unstable(rank);
        let p99 = f64::from(*p99) / 1000.0;
        self.us.clear();
        p99
    }
    /// Values it has room for.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.us.capacity()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// The cost of integration: what the topology asks of the people who run it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub connections: u64,
    pub systems_to_operate: u64,
    pub max_producer_endpoints: u64,
    pub add_consumer_cost: u64,
}

/// Time series sampled at a fixed step, so memory is bounded by duration / step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Series {
    pub t_s: Vec<f64>,
    /// Deliveries processed per second over the last step.
    pub delivered_per_s: Vec<f64>,
    /// Expected deliveries still pending (queued, in flight, in the log ahead of an offset).
    pub backlog: Vec<u64>,
    /// Lost so far.
    pub lost: Vec<u64>,
    /// p99 latency of the deliveries processed during the last step (0 when none).
    pub p99_ms: Vec<f64>,
}

impl Series {
    pub fn push(&mut self, t_s: f64, delivered_per_s: f64, backlog: u64, lost: u64, p99_ms: f64) {
        self.t_s.push(t_s);
        self.delivered_per_s.push(delivered_per_s);
        self.backlog.push(backlog);
        self.lost.push(lost);
        self.p99_ms.push(p99_ms);
    }
    #[must_use]
    pub fn len(&self) -> usize {
        self.t_s.len()
    }
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.t_s.is_empty()
    }
    /// Keep the first `n` samples (used when a viewer steps back).
    pub fn truncate(&mut self, n: usize) {
        self.t_s.truncate(n);
        self.delivered_per_s.truncate(n);
        self.backlog.truncate(n);
        self.lost.truncate(n);
        self.p99_ms.truncate(n);
    }
}

#[cfg(test)]
mod tests {
    use super::LossReason;

    #[test]
    fn every_loss_reason_is_found_by_its_name() {
        for r in LossReason::ALL {
            assert_eq!(LossReason::from_name(r.name()), Some(r));
        }
        assert_eq!(LossReason::from_name("no-such-reason"), None);
    }

    use super::*;

    #[test]
    fn the_latency_window_gives_the_nearest_rank_p99_then_forgets() {
        let mut w = LatencyWindow::default();
        assert!(w.take_p99_ms().abs() < f64::EPSILON, "no deliveries: 0");
        // 1..=200 ms, pushed backwards: p99 is the 198th smallest.
        for ms in (1..=200u64).rev() {
            w.record_ns(ms * 1_000_000);
        }
        assert!((w.take_p99_ms() - 198.0).abs() < 1e-9);
        w.record_ns(3_000_000);
        assert!(
            (w.take_p99_ms() - 3.0).abs() < 1e-9,
            "the last sample's values are gone"
        );
        w.record_ns(10);
        assert!(
            (w.take_p99_ms() - 0.001).abs() < 1e-12,
            "under a microsecond counts as one"
        );
    }

    #[test]
    fn latency_since_an_earlier_copy_is_that_stretch_alone() {
        let mut h = LatencyHistogram::default();
        for _ in 0..100 {
            h.record_ns(1_000_000);
        }
        let earlier = h.clone();
        assert_eq!(h.since(&earlier), None, "nothing since");
        for _ in 0..10 {
            h.record_ns(5_000_000_000);
        }
        let l = h.since(&earlier).unwrap_or_default();
        assert!((l.p50 - 5000.0).abs() < 5.0, "{l:?}");
        assert!(h.summary().p50 < 1.01, "the whole run is mostly 1 ms");
    }

    #[test]
    fn counters_conserve_and_count_losses_by_reason() {
        let mut c = Counters::default();
        c.expect(3);
        c.deliver();
        c.lose(LossReason::Retention);
        assert!(c.conserved());
        assert_eq!(
            c.lost_by_reason(),
            [("retention".to_owned(), 1)].into_iter().collect()
        );
        assert_eq!(c.pending, 1);
    }
}
