//! What a topology costs, per variant: the counters, latency histogram and time series named in
//! DESIGN.md. This module knows nothing of the simulation: the engine feeds it numbers.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

/// Metric names as they appear in JSON, CSV, lesson expectations and the app.
pub const METRIC_NAMES: &[&str] = &[
    "produced",
    "expected",
    "delivered",
    "duplicates",
    "lost",
    "lost_by_reason",
    "pending",
    "out_of_order",
    "replayed",
    "latency_ms",
    "throughput_per_s",
    "connections",
    "systems_to_operate",
    "max_producer_endpoints",
    "add_consumer_cost",
    "stored_bytes_peak",
];

/// A metric name, or a dotted path into one (`latency_ms.p99`, `lost_by_reason.retention`).
#[must_use]
pub fn is_metric_path(path: &str) -> bool {
    let mut parts = path.splitn(2, '.');
    let head = parts.next().unwrap_or("");
    match (head, parts.next()) {
        ("latency_ms", Some(sub)) => matches!(sub, "p50" | "p99" | "max" | "mean"),
        ("lost_by_reason", Some(sub)) => LossReason::ALL.iter().any(|r| r.name() == sub),
        ("latency_ms" | "lost_by_reason", None) => false,
        (h, None) => METRIC_NAMES.contains(&h),
        _ => false,
    }
}

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
    /// Skipped by `auto.offset.reset = latest`.
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
}

impl LossReason {
    pub const ALL: [LossReason; 17] = [
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
    ];

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

/// The metrics of one variant at one instant, in DESIGN.md's names.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub produced: u64,
    pub expected: u64,
    pub delivered: u64,
    pub duplicates: u64,
    pub lost: u64,
    pub lost_by_reason: BTreeMap<String, u64>,
    pub pending: u64,
    pub out_of_order: u64,
    /// Deliveries of messages published before the group existed (history read by a new group).
    pub replayed: u64,
    pub latency_ms: Latency,
    pub throughput_per_s: f64,
    pub connections: u64,
    pub systems_to_operate: u64,
    pub max_producer_endpoints: u64,
    pub add_consumer_cost: u64,
    pub stored_bytes_peak: u64,
}

impl Metrics {
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn new(
        produced: u64,
        c: &Counters,
        latency: Latency,
        cost: Cost,
        elapsed_s: f64,
        stored_bytes_peak: u64,
    ) -> Metrics {
        Metrics {
            produced,
            expected: c.expected,
            delivered: c.delivered,
            duplicates: c.duplicates,
            lost: c.lost,
            lost_by_reason: c.lost_by_reason(),
            pending: c.pending,
            out_of_order: c.out_of_order,
            replayed: c.replayed,
            latency_ms: latency,
            throughput_per_s: if elapsed_s > 0.0 {
                c.delivered as f64 / elapsed_s
            } else {
                0.0
            },
            connections: cost.connections,
            systems_to_operate: cost.systems_to_operate,
            max_producer_endpoints: cost.max_producer_endpoints,
            add_consumer_cost: cost.add_consumer_cost,
            stored_bytes_peak,
        }
    }

    /// The value at a metric path (see [`is_metric_path`]); a loss reason never seen is 0.
    #[must_use]
    pub fn value(&self, path: &str) -> Option<f64> {
        let v = serde_json::to_value(self).ok()?;
        let mut parts = path.splitn(2, '.');
        let head = parts.next()?;
        let node = v.get(head)?;
        match parts.next() {
            None => node.as_f64(),
            Some(sub) if head == "lost_by_reason" => Some(
                node.get(sub)
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(0.0),
            ),
            Some(sub) => node.get(sub)?.as_f64(),
        }
    }
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
    use super::*;

    #[test]
    fn metric_paths_accept_known_names_only() {
        assert!(is_metric_path("lost"));
        assert!(is_metric_path("latency_ms.p99"));
        assert!(is_metric_path("lost_by_reason.retention"));
        assert!(!is_metric_path("latency_ms"));
        assert!(!is_metric_path("lost_by_reason.nope"));
        assert!(!is_metric_path("losted"));
    }

    #[test]
    fn value_reads_nested_paths_and_unseen_reasons_as_zero() {
        let mut c = Counters::default();
        c.expect(3);
        c.deliver();
        c.lose(LossReason::Retention);
        let mut h = LatencyHistogram::default();
        h.record_ns(2_000_000);
        let m = Metrics::new(3, &c, h.summary(), Cost::default(), 1.0, 0);
        assert_eq!(m.value("lost_by_reason.retention"), Some(1.0));
        assert_eq!(m.value("lost_by_reason.link-down"), Some(0.0));
        assert_eq!(m.value("pending"), Some(1.0));
        assert!((m.value("latency_ms.p99").unwrap() - 2.0).abs() < 0.01);
        assert!(c.conserved());
    }
}
