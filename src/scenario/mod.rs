//! Scenario files: the TOML contract of DESIGN.md, parsed, validated and turned into plain types.
//!
//! ```text
//!  file.toml --toml+serde--> raw (with spans) --validate--> Scenario (names checked, limits kept)
//!      |                             \--------------------> Diagnostics: up to 10 problems, each
//!      \--(serde stopped)--> schema walk: every misspelt       with its span, label and help
//!                            field and unknown name -------/   (first line: FILE:LINE:COL: msg)
//! ```
//!
//! `rules` states the ranges and defaults once, for the checks and for the JSON Schema that
//! `schema` derives from the serde types (`conform` walks a file against it).
//!
//! Everything the engine reads comes from [`Scenario`]; nothing downstream sees a raw value, so a
//! rule checked here holds everywhere.

pub mod budget;
pub mod conform;
pub mod diagnostic;
mod parse;
pub mod rules;
mod schema;
mod sweep;
mod text;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use parse::{parse_scenario, Limits, LIMITS, SHOWN_MAX};
pub use schema::{json_schema, json_schema_text, violations};
pub use sweep::{Placed, Sweep, SweepPoint};
pub use text::{Lang, Text};

use serde::Serialize;
use std::fmt;

/// Simulated time in nanoseconds: integers keep event order exact and platform independent.
pub type Nanos = u64;

pub const NANOS_PER_SEC: f64 = 1e9;

/// Seconds (validated, finite, non-negative) to simulated nanoseconds.
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn secs(s: f64) -> Nanos {
    (s * NANOS_PER_SEC).round().max(0.0) as Nanos
}

/// `x.round() as Nanos` (half away from zero, saturating, NaN to 0) without a call to libm's
/// `round`: the build's target has no SSE4.1 `roundsd`, and a signed conversion is one
/// instruction each way. Below 2^52, `x` minus its truncation is exact; from 2^52 on every
/// `f64` is a whole number already.
#[must_use]
#[inline(always)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
pub fn round_nanos(x: f64) -> Nanos {
    const WHOLE: f64 = 4_503_599_627_370_496.0; // 2^52
    if x.abs() < WHOLE {
        let t = x as i64;
        // (A negative `x` rounds to at most 0, which saturates to 0 either way.)
        (t + i64::from(x - t as f64 >= 0.5)).max(0) as Nanos
    } else {
        x as Nanos
    }
}

/// Milliseconds to simulated nanoseconds.
#[must_use]
pub fn millis(ms: f64) -> Nanos {
    secs(ms / 1e3)
}

/// Simulated nanoseconds to seconds, for display.
#[must_use]
#[allow(clippy::cast_precision_loss)]
pub fn to_secs(t: Nanos) -> f64 {
    t as f64 / NANOS_PER_SEC
}

/// A validated scenario: one workload, the variants that carry it, faults and lesson steps.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// Where it came from (a path, or `builtin:NAME`); error messages and output name it.
    pub source: String,
    /// The TOML text it was parsed from: parameter paths (`sim::params`) edit this text and parse
    /// it again, so a changed scenario keeps the file's comments and passes the file's rules.
    #[serde(skip)]
    pub text: std::sync::Arc<str>,
    pub title: Text,
    pub description: Option<Text>,
    pub seed: u64,
    pub duration: Nanos,
    /// One network hop.
    pub latency: Nanos,
    /// Step of the time series a viewer plots.
    pub sample_step: Nanos,
    /// Every topic named by a producer or consumer, sorted: a topic's id is its index here.
    pub topics: Vec<String>,
    pub producers: Vec<Producer>,
    pub consumers: Vec<Consumer>,
    pub faults: Vec<Fault>,
    pub variants: Vec<Variant>,
    pub steps: Vec<Step>,
    /// A lesson's sweeps, which its steps draw and check.
    pub sweeps: Vec<Sweep>,
}

pub type TopicId = u16;

#[derive(Clone, Debug, Serialize)]
pub struct Producer {
    pub name: String,
    pub publish: Vec<Publish>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Publish {
    pub topic: TopicId,
    pub rate_per_s: f64,
    /// Number of distinct keys, drawn uniformly; 0 = records without a key.
    pub keys: u32,
    pub size_bytes: u32,
    pub arrivals: Arrivals,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Arrivals {
    Poisson,
    Constant,
}

#[derive(Clone, Debug, Serialize)]
pub struct Consumer {
    pub name: String,
    pub subscribe: Vec<TopicId>,
    /// Consumers with the same group share the work; a consumer without one is its own group.
    pub group: String,
    pub service: Nanos,
    pub service_dist: ServiceDist,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceDist {
    Fixed,
    Exponential,
}

/// The kinds of fault a scenario file names (`kind = "..."`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    ConsumerOffline,
    ConsumerSlow,
    ConsumerCrash,
    BrokerCrash,
    LinkDown,
    AddConsumer,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::ConsumerOffline,
        FaultKind::ConsumerSlow,
        FaultKind::ConsumerCrash,
        FaultKind::BrokerCrash,
        FaultKind::LinkDown,
        FaultKind::AddConsumer,
    ];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ConsumerOffline => "consumer-offline",
            FaultKind::ConsumerSlow => "consumer-slow",
            FaultKind::ConsumerCrash => "consumer-crash",
            FaultKind::BrokerCrash => "broker-crash",
            FaultKind::LinkDown => "link-down",
            FaultKind::AddConsumer => "add-consumer",
        }
    }
}

/// A fault of the scenario: what happens, from `at` (and, for those that heal, until when).
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub at: Nanos,
    pub action: FaultAction,
}

/// What a fault does. Each kind carries exactly what it needs: a target consumer, producer or
/// topic, a slow-down factor, the consumer that joins.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultAction {
    /// The consumer disconnects cleanly (closes its connection, leaves its group).
    ConsumerOffline {
        consumer: String,
        until: Option<Nanos>,
    },
    /// The consumer process dies: what it held in memory is gone, nobody is told at once.
    ConsumerCrash {
        consumer: String,
        until: Option<Nanos>,
    },
    /// The consumer processes `factor` times slower.
    ConsumerSlow {
        consumer: String,
        factor: f64,
        until: Option<Nanos>,
    },
    /// The network links of a producer or consumer are cut.
    LinkDown {
        target: String,
        until: Option<Nanos>,
    },
    /// A broker dies: the one carrying `topic`, or every broker of each variant; with `until`
    /// it restarts.
    BrokerCrash {
        topic: Option<TopicId>,
        until: Option<Nanos>,
    },
    /// A new consumer joins (and stays).
    AddConsumer { consumer: Consumer },
}

impl Fault {
    #[must_use]
    pub fn kind(&self) -> FaultKind {
        match self.action {
            FaultAction::ConsumerOffline { .. } => FaultKind::ConsumerOffline,
            FaultAction::ConsumerCrash { .. } => FaultKind::ConsumerCrash,
            FaultAction::ConsumerSlow { .. } => FaultKind::ConsumerSlow,
            FaultAction::LinkDown { .. } => FaultKind::LinkDown,
            FaultAction::BrokerCrash { .. } => FaultKind::BrokerCrash,
            FaultAction::AddConsumer { .. } => FaultKind::AddConsumer,
        }
    }
    /// When it heals, if it does.
    #[must_use]
    pub fn until(&self) -> Option<Nanos> {
        match self.action {
            FaultAction::ConsumerOffline { until, .. }
            | FaultAction::ConsumerCrash { until, .. }
            | FaultAction::ConsumerSlow { until, .. }
            | FaultAction::LinkDown { until, .. }
            | FaultAction::BrokerCrash { until, .. } => until,
            FaultAction::AddConsumer { .. } => None,
        }
    }
    /// What it acts on, by name: a consumer, a producer, a topic (whose broker crashes), the
    /// consumer it adds; None for a crash of every broker.
    #[must_use]
    pub fn target<'a>(&'a self, topics: &'a [String]) -> Option<&'a str> {
        match &self.action {
            FaultAction::ConsumerOffline { consumer, .. }
            | FaultAction::ConsumerCrash { consumer, .. }
            | FaultAction::ConsumerSlow { consumer, .. } => Some(consumer),
            FaultAction::LinkDown { target, .. } => Some(target),
            FaultAction::BrokerCrash { topic, .. } => topic
                .and_then(|t| topics.get(usize::from(t)))
                .map(String::as_str),
            FaultAction::AddConsumer { consumer } => Some(&consumer.name),
        }
    }
    /// The consumer an add-consumer fault brings in.
    #[must_use]
    pub fn added_consumer(&self) -> Option<&Consumer> {
        match &self.action {
            FaultAction::AddConsumer { consumer } => Some(consumer),
            _ => None,
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    Direct,
    Channel,
    SingleBroker,
    BrokerPerTopic,
    CentralLog,
}

impl Shape {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Shape::Direct => "direct",
            Shape::Channel => "channel",
            Shape::SingleBroker => "single-broker",
            Shape::BrokerPerTopic => "broker-per-topic",
            Shape::CentralLog => "central-log",
        }
    }
    #[must_use]
    pub fn needs_broker(self) -> bool {
        matches!(
            self,
            Shape::SingleBroker | Shape::BrokerPerTopic | Shape::CentralLog
        )
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum BrokerKind {
    RedisPubsub,
    RedisStream,
    Rabbitmq,
    Kafka,
}

impl BrokerKind {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            BrokerKind::RedisPubsub => "redis-pubsub",
            BrokerKind::RedisStream => "redis-stream",
            BrokerKind::Rabbitmq => "rabbitmq",
            BrokerKind::Kafka => "kafka",
        }
    }
}

/// Options of a direct link (no broker).
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DirectOptions {
    /// Retry a failed send after `retry_ms` (at-least-once) instead of dropping it (at-most-once).
    pub retry: bool,
    /// Milliseconds between two tries of a send.
    #[schemars(transform = rules::RETRY_MS.in_schema())]
    pub retry_ms: f64,
    /// Give up after this many retries (the message is lost).
    #[schemars(transform = rules::MAX_RETRIES.in_schema())]
    pub max_retries: u32,
}

impl Default for DirectOptions {
    fn default() -> Self {
        DirectOptions {
            retry: false,
            retry_ms: 100.0,
            max_retries: 50,
        }
    }
}

/// Options of an IPC channel: bounded, receivers competing (crossbeam-channel's `bounded`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelOptions {
    /// Messages the buffer holds before senders block; 0 = rendezvous.
    #[schemars(transform = rules::CAPACITY.in_schema())]
    pub capacity: u32,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions { capacity: 1000 }
    }
}

/// Where a Redis Streams consumer group starts when it is created (`XGROUP CREATE key group <id>`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum GroupStart {
    /// `$`: the end of the stream; the group sees only entries added after it was created.
    #[serde(rename = "$")]
    Latest,
    /// `0`: the beginning; the group reads every retained entry.
    #[serde(rename = "0")]
    Earliest,
}

/// `appendfsync`: how often the append-only file reaches the disk.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AppendFsync {
    /// After every write: a crash loses nothing that was acknowledged.
    Always,
    /// Once a second (the default): a crash loses up to the last second.
    Everysec,
}

/// Options of Redis (Pub/Sub and Streams). Defaults are redis.conf 7.0's. The `pubsub_*` options
/// apply to redis-pubsub; the others to redis-stream (`reconnect_ms` to both).
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RedisOptions {
    /// `client-output-buffer-limit pubsub <hard> <soft> <soft_s>`: disconnect at once over
    /// `hard_mb`, or after `soft_mb` was exceeded for `soft_s` seconds. 0 disables a limit.
    #[schemars(transform = rules::REDIS_NUMBER.in_schema())]
    pub pubsub_hard_mb: f64,
    /// The soft limit (see `pubsub_hard_mb`).
    #[schemars(transform = rules::REDIS_NUMBER.in_schema())]
    pub pubsub_soft_mb: f64,
    /// Seconds over the soft limit before the disconnect (see `pubsub_hard_mb`).
    #[schemars(transform = rules::REDIS_NUMBER.in_schema())]
    pub pubsub_soft_s: f64,
    /// How long a disconnected client takes to reconnect and resubscribe.
    #[schemars(transform = rules::REDIS_NUMBER.in_schema())]
    pub reconnect_ms: f64,
    /// Streams: where a consumer group starts, `$` (new entries only) or `0` (the whole stream).
    pub group_start: GroupStart,
    /// Streams: `XREADGROUP ... NOACK`: no pending entries list, at-most-once.
    pub noack: bool,
    /// Streams: `XREADGROUP COUNT`: entries a consumer holds read but not yet processed.
    #[schemars(transform = rules::READ_COUNT.in_schema())]
    pub read_count: u32,
    /// Streams: a returning consumer first reads its own pending entries (`XREADGROUP ... 0`),
    /// as the Redis docs recommend, before new ones (`>`).
    pub read_history: bool,
    /// Streams: `XAUTOCLAIM ... <min-idle-time>`: a live member of the group takes over entries
    /// pending longer than this. 0 = nobody claims (Redis never redelivers by itself).
    #[schemars(transform = rules::REDIS_NUMBER.in_schema())]
    pub min_idle_ms: f64,
    /// Streams: how often a live member of each group calls XAUTOCLAIM (when `min_idle_ms` > 0).
    #[schemars(transform = rules::AUTOCLAIM_EVERY_MS.in_schema())]
    pub autoclaim_every_ms: f64,
    /// Streams: `XADD key MAXLEN = n`: keep at most n entries per stream; 0 = no trimming.
    #[schemars(transform = rules::MAXLEN.in_schema())]
    pub maxlen: u64,
    /// Streams: `appendonly`: log every write to the append-only file.
    pub appendonly: bool,
    /// Streams: `appendfsync` when `appendonly` is on. Accepted for fidelity with redis.conf; it
    /// changes nothing here, since a crashed Redis process loses no write the kernel already had
    /// (only a machine crash loses the unsynced second, and brokerlab crashes processes).
    pub appendfsync: AppendFsync,
    /// Streams: `save <seconds> <changes>` rules for RDB snapshots; `[]` = no snapshots.
    #[schemars(transform = rules::save_rules)]
    pub save: Vec<(u64, u64)>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            pubsub_hard_mb: 32.0,
            pubsub_soft_mb: 8.0,
            pubsub_soft_s: 60.0,
            reconnect_ms: 1000.0,
            group_start: GroupStart::Latest,
            noack: false,
            read_count: 10,
            read_history: true,
            min_idle_ms: 0.0,
            autoclaim_every_ms: 1000.0,
            maxlen: 0,
            appendonly: false,
            appendfsync: AppendFsync::Everysec,
            save: vec![(3600, 1), (300, 100), (60, 10_000)],
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AckMode {
    Manual,
    Auto,
}

/// The exchange producers publish to; the topic is the routing key.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ExchangeKind {
    /// A fanout exchange per topic: every queue bound to it gets a copy.
    Fanout,
    /// One direct exchange: a queue gets the messages whose routing key equals a binding key.
    Direct,
    /// One topic exchange: binding keys are patterns, `*` one word, `#` zero or more.
    Topic,
}

/// `x-overflow`: what a queue at `x-max-length` does with one more message.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    /// Drop the oldest ready message (the default).
    DropHead,
    /// Refuse the new one (the publisher gets a nack with confirms on).
    RejectPublish,
}

/// `x-queue-type`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum QueueType {
    /// One copy on one node; durable or not as declared.
    Classic,
    /// Raft-replicated, always durable; every message survives a restart.
    Quorum,
    /// An append-only log (RabbitMQ 3.9+): reads do not remove messages, each consumer reads
    /// from its own position (`stream_offset`), always durable.
    Stream,
}

/// `x-stream-offset`: where a consumer of a RabbitMQ stream starts reading each time it
/// attaches (a 3.10 AMQP consumer has no server-side offset).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StreamOffset {
    /// Only what is written after it attaches (the server's default).
    Next,
    /// The first retained message.
    First,
    /// The first message of the last chunk written.
    Last,
    /// This offset (below the log start: the log start; past the end: it waits for it).
    Offset(u64),
    /// The first chunk written at or after this many simulated seconds.
    Timestamp(f64),
}

impl Serialize for StreamOffset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StreamOffset::Next => s.serialize_str("next"),
            StreamOffset::First => s.serialize_str("first"),
            StreamOffset::Last => s.serialize_str("last"),
            StreamOffset::Offset(n) => s.serialize_u64(*n),
            StreamOffset::Timestamp(t) => s.serialize_str(&format!("timestamp:{t}")),
        }
    }
}

impl<'de> serde::Deserialize<'de> for StreamOffset {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StreamOffset, D::Error> {
        use serde::de::{Error, Unexpected, Visitor};
        struct V;
        impl Visitor<'_> for V {
            type Value = StreamOffset;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#""next", "first", "last", an offset (0 or more) or "timestamp:SECONDS""#,
                )
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<StreamOffset, E> {
                Ok(StreamOffset::Offset(v))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<StreamOffset, E> {
                u64::try_from(v)
                    .map(StreamOffset::Offset)
                    .map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<StreamOffset, E> {
                let bad = || E::invalid_value(Unexpected::Str(v), &V);
                match v {
                    "next" => Ok(StreamOffset::Next),
                    "first" => Ok(StreamOffset::First),
                    "last" => Ok(StreamOffset::Last),
                    _ => {
                        if let Some(t) = v.strip_prefix("timestamp:") {
                            let t: f64 = t.trim().parse().map_err(|_| bad())?;
                            return if t.is_finite() && t >= 0.0 {
                                Ok(StreamOffset::Timestamp(t))
                            } else {
                                Err(bad())
                            };
                        }
                        // A parameter path's value may come as text: "7" is offset 7.
                        v.parse().map(StreamOffset::Offset).map_err(|_| bad())
                    }
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for StreamOffset {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StreamOffset".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "x-stream-offset: next (only what is written after the consumer attaches), first, last (the last chunk), an offset, or \"timestamp:SECONDS\"",
            "anyOf": [
                { "type": "string", "enum": ["next", "first", "last"] },
                { "type": "integer", "minimum": 0 },
                { "type": "string", "description": "timestamp:SECONDS" }
            ]
        })
    }
}

/// Options of RabbitMQ (AMQP 0-9-1) queues: one queue per consumer group.
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RabbitOptions {
    /// The queue survives a broker restart.
    pub durable: bool,
    /// Messages are published with delivery_mode=2 (written to disk).
    pub persistent: bool,
    /// manual: the consumer acknowledges after processing; auto: on delivery.
    pub ack: AckMode,
    /// Unacked deliveries per consumer; 0 = unlimited.
    #[schemars(transform = rules::PREFETCH.in_schema())]
    pub prefetch: u32,
    /// The queue is deleted when its consumer's connection closes (what a pub/sub client declares).
    pub exclusive: bool,
    /// The exchange type; consumers' `subscribe` entries are the binding keys.
    pub exchange: ExchangeKind,
    /// `x-max-length`: ready messages a queue holds; 0 = no limit.
    pub max_length: u32,
    /// `x-overflow` at `max_length`.
    pub overflow: Overflow,
    /// `x-queue-type`: classic or quorum.
    pub queue_type: QueueType,
    /// `mandatory` flag on publish: an unroutable message is returned to the publisher instead
    /// of being dropped silently.
    pub mandatory: bool,
    /// Streams: `x-stream-offset`, where a consumer starts each time it attaches.
    pub stream_offset: StreamOffset,
    /// Streams: `x-max-length-bytes`, bytes a stream keeps (whole segments go); 0 = no limit.
    #[schemars(transform = rules::STREAM_BYTES.in_schema())]
    pub max_length_bytes: u64,
    /// Streams: `x-max-age` in seconds: segments whose newest message is older go; 0 = no limit.
    #[schemars(transform = rules::MAX_AGE_S.in_schema())]
    pub max_age_s: f64,
    /// Streams: `x-stream-max-segment-size-bytes`: the stream opens a new segment at this size.
    #[schemars(transform = rules::MAX_SEGMENT_BYTES.in_schema())]
    pub max_segment_bytes: u64,
}

impl Default for RabbitOptions {
    fn default() -> Self {
        RabbitOptions {
            durable: true,
            persistent: true,
            ack: AckMode::Manual,
            prefetch: 10,
            exclusive: false,
            exchange: ExchangeKind::Fanout,
            max_length: 0,
            overflow: Overflow::DropHead,
            queue_type: QueueType::Classic,
            mandatory: false,
            stream_offset: StreamOffset::Next,
            max_length_bytes: 0,
            max_age_s: 0.0,
            max_segment_bytes: 500_000_000,
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum OffsetReset {
    Earliest,
    Latest,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum Acks {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "1")]
    One,
    #[serde(rename = "all")]
    All,
}

/// What the consumer groups of a Kafka variant are.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GroupType {
    /// Classic consumer groups: each partition has one member, offsets are committed.
    Consumer,
    /// Share groups (KIP-932): members acquire records under a lock, several per partition.
    Share,
}

/// `share.acknowledgement.mode`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ShareAck {
    /// The next poll accepts every record the previous one returned.
    Implicit,
    /// Each record is acknowledged on its own once processed.
    Explicit,
}

/// How a share consumer acknowledges a record it fails to process (`fail_every`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FailAck {
    /// RELEASE: available again, to be delivered again (up to `delivery_limit`).
    Release,
    /// REJECT: archived at once, never delivered to the group again.
    Reject,
}

/// Share group settings (KIP-932); defaults are Kafka 4.2's.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ShareOptions {
    /// `group.share.record.lock.duration.ms`: how long an acquired record stays locked.
    #[schemars(transform = rules::LOCK_MS.in_schema())]
    pub lock_ms: f64,
    /// `group.share.delivery.count.limit`: deliveries before a record is archived.
    #[schemars(transform = rules::DELIVERY_LIMIT.in_schema())]
    pub delivery_limit: u32,
    /// `group.share.partition.max.record.locks`: records in flight per share-partition.
    #[schemars(transform = rules::MAX_RECORD_LOCKS.in_schema())]
    pub max_record_locks: u32,
    /// `share.auto.offset.reset`: where a new share group starts.
    pub auto_offset_reset: OffsetReset,
    /// `share.acknowledgement.mode`: implicit or explicit.
    pub ack: ShareAck,
    /// A record released when its consumer's session ends counts as a delivery attempt (Kafka
    /// since late 2025); false: it does not (4.1).
    pub release_counts_attempt: bool,
    /// brokerlab's own: with `ack = "explicit"`, consumers fail every record whose message
    /// number plus one is a multiple of this (a poison record, every time) and acknowledge it
    /// `fail_ack`; 0 = none fails.
    #[schemars(transform = rules::FAIL_EVERY.in_schema())]
    pub fail_every: u32,
    /// How a failed record is acknowledged: release (again later) or reject (archived).
    pub fail_ack: FailAck,
}

impl Default for ShareOptions {
    fn default() -> Self {
        ShareOptions {
            lock_ms: 30_000.0,
            delivery_limit: 5,
            max_record_locks: 2000,
            auto_offset_reset: OffsetReset::Latest,
            ack: ShareAck::Implicit,
            release_counts_attempt: true,
            fail_every: 0,
            fail_ack: FailAck::Release,
        }
    }
}

/// Options of the Kafka model. Defaults follow the Java client and broker configs.
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaOptions {
    /// Partitions of each topic.
    #[schemars(transform = rules::PARTITIONS.in_schema())]
    pub partitions: u32,
    /// `retention.ms` in seconds (7 days).
    #[schemars(transform = rules::RETENTION_S.in_schema())]
    pub retention_s: f64,
    /// `retention.bytes` per partition; -1 = unlimited.
    #[schemars(transform = rules::retention_bytes)]
    pub retention_bytes: i64,
    /// Producer `acks`: 0 (no wait), 1 (the leader), all (every in-sync replica).
    pub acks: Acks,
    /// Replication factor = brokers in the cluster.
    #[schemars(transform = rules::REPLICATION.in_schema())]
    pub replication: u32,
    /// `auto.offset.reset` (Java default `latest`).
    pub offset_reset: OffsetReset,
    /// `auto.commit.interval.ms` in ms.
    #[schemars(transform = rules::KAFKA_MS.in_schema())]
    pub auto_commit_ms: f64,
    /// `session.timeout.ms` in ms.
    #[schemars(transform = rules::KAFKA_MS.in_schema())]
    pub session_timeout_ms: f64,
    /// `group.instance.id` set on every consumer (static membership, KIP-345). Off (the
    /// default): a consumer that crashed stays a member until `session_timeout_ms`, and when it
    /// restarts it joins as a new member, whose rebalance waits for the old member's session to
    /// end. On: one that comes back within the session timeout resumes its partitions without a
    /// rebalance, and one that closes does not leave its group.
    pub static_membership: bool,
    /// `max.poll.records`: records a consumer holds fetched but unprocessed.
    #[schemars(transform = rules::MAX_POLL_RECORDS.in_schema())]
    pub max_poll_records: u32,
    /// `max.poll.interval.ms`: a consumer that takes longer than this between two polls (to
    /// process one batch) is removed from its group.
    #[schemars(transform = rules::KAFKA_MS.in_schema())]
    pub max_poll_interval_ms: f64,
    /// `segment.bytes`: a partition's log rolls to a new segment at this size (1 GiB).
    #[schemars(transform = rules::SEGMENT_BYTES.in_schema())]
    pub segment_bytes: u64,
    /// `segment.ms`: ... or when its first record is this old (7 days).
    #[schemars(transform = rules::SEGMENT_MS.in_schema())]
    pub segment_ms: f64,
    /// `consumer` groups, or `share` groups (every group of the variant).
    pub group_type: GroupType,
    /// Share group settings (with `group_type = "share"`).
    pub share: ShareOptions,
}

/// Broker `log.retention.check.interval.ms`, in seconds (5 minutes).
pub const RETENTION_CHECK_S: f64 = 300.0;

impl KafkaOptions {
    /// Seconds between two retention checks: `log.retention.check.interval.ms`, shortened to
    /// a tenth of a short retention so that records do not outlive it by much more.
    #[must_use]
    pub fn retention_check_s(&self) -> f64 {
        RETENTION_CHECK_S.min(self.retention_s / 10.0)
    }
}

impl Default for KafkaOptions {
    fn default() -> Self {
        KafkaOptions {
            partitions: 3,
            retention_s: 604_800.0,
            retention_bytes: -1,
            acks: Acks::All,
            replication: 3,
            offset_reset: OffsetReset::Latest,
            auto_commit_ms: 5000.0,
            session_timeout_ms: 45_000.0,
            static_membership: false,
            max_poll_records: 500,
            max_poll_interval_ms: 300_000.0,
            segment_bytes: 1 << 30,
            segment_ms: 604_800_000.0,
            group_type: GroupType::Consumer,
            share: ShareOptions::default(),
        }
    }
}

/// One topology the workload runs through.
#[derive(Clone, Debug, Serialize)]
pub struct Variant {
    pub name: String,
    pub system: System,
}

/// How a variant moves messages: no broker, an IPC channel, or a broker in one of three shapes.
/// A broker shape always carries its broker and that broker's options, and nothing else.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    Direct(DirectOptions),
    Channel(ChannelOptions),
    Broker { shape: BrokerShape, broker: Broker },
}

/// Where the brokers stand in a brokered variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrokerShape {
    /// One broker system for every topic.
    SingleBroker,
    /// A broker system per topic (a queue system per use case).
    BrokerPerTopic,
    /// One central log system, a topic each.
    CentralLog,
}

/// A broker with its options.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Broker {
    RedisPubsub(RedisOptions),
    RedisStream(RedisOptions),
    Rabbitmq(RabbitOptions),
    Kafka(KafkaOptions),
}

impl Broker {
    #[must_use]
    pub fn kind(&self) -> BrokerKind {
        match self {
            Broker::RedisPubsub(_) => BrokerKind::RedisPubsub,
            Broker::RedisStream(_) => BrokerKind::RedisStream,
            Broker::Rabbitmq(_) => BrokerKind::Rabbitmq,
            Broker::Kafka(_) => BrokerKind::Kafka,
        }
    }
}

impl Variant {
    #[must_use]
    pub fn shape(&self) -> Shape {
        match &self.system {
            System::Direct(_) => Shape::Direct,
            System::Channel(_) => Shape::Channel,
            System::Broker { shape, .. } => match shape {
                BrokerShape::SingleBroker => Shape::SingleBroker,
                BrokerShape::BrokerPerTopic => Shape::BrokerPerTopic,
                BrokerShape::CentralLog => Shape::CentralLog,
            },
        }
    }
    /// The broker of a brokered variant.
    #[must_use]
    pub fn broker(&self) -> Option<&Broker> {
        match &self.system {
            System::Broker { broker, .. } => Some(broker),
            _ => None,
        }
    }
    #[must_use]
    pub fn broker_kind(&self) -> Option<BrokerKind> {
        self.broker().map(Broker::kind)
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum Op {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    #[must_use]
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Eq => (left - right).abs() <= 1e-9,
            Op::Ne => (left - right).abs() > 1e-9,
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Gt => left > right,
            Op::Ge => left >= right,
        }
    }
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// `metric op value` about one variant at the end of a step.
#[derive(Clone, Debug, Serialize)]
pub struct Expect {
    pub variant: String,
    /// A metric name from DESIGN.md, or a dotted path such as `latency_ms.p99`,
    /// `lost_by_reason.subscriber-offline`.
    pub metric: String,
    pub op: Op,
    pub value: f64,
    /// Where the expectation stands in its file, for messages.
    pub line: usize,
    pub col: usize,
    /// Where its metric name stands (for an unknown metric, which `lesson` checks).
    pub metric_line: usize,
    pub metric_col: usize,
    /// About a point of a sweep instead of the step's run: the mean over the sweep's seeds.
    pub sweep: Option<SweepPoint>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub title: Text,
    pub text: Option<Text>,
    pub show: Vec<String>,
    pub run_to: Nanos,
    pub ask: Option<Text>,
    /// Answers to pick from before the reveal, and the index of the right one.
    pub choices: Vec<Text>,
    pub answer: Option<usize>,
    /// Producers and consumers the step points at.
    pub highlight: Vec<String>,
    pub expect: Vec<Expect>,
    /// The sweep whose curves the step draws (written, or the one its expectations name).
    pub sweep: Option<String>,
    /// Knobs for this step only (parameter paths and values, in the file's order): the step
    /// runs the scenario with them from 0 s. `lesson` checks the paths and values.
    pub set: Vec<(Placed<String>, Placed<toml::Value>)>,
}

/// A bad scenario: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// The bytes of a scenario or notes file, at most [`Limits::file_bytes`] of them: a longer
/// file, or one that never ends (`/dev/zero`), is refused without being read into memory. A
/// leading UTF-8 byte order mark is dropped: editors do not show it, so columns count without
/// it, and a Markdown file that starts with one still starts with its first line.
///
/// # Errors
/// Why it cannot be read, or that it is over the limit, as a message for `FILE:1:1`.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let limit = LIMITS.file_bytes;
    let cannot = |e: std::io::Error| format!("cannot read the file: {e}");
    let f = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "the file is over the limit of {limit} bytes ({} MiB)",
            limit >> 20
        ));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(bytes)
}

impl Scenario {
    /// Read and validate a scenario file. A file that cannot be read is reported at 1:1.
    ///
    /// # Errors
    /// Every problem found (up to [`diagnostic::MAX_ERRORS`]), with the text they point into.
    pub fn load(path: &std::path::Path) -> Result<Scenario, Diagnostics> {
        let file = path.display().to_string();
        let bytes = read_file(path).map_err(|e| {
            let d = Diagnostic::point(1, 1, e);
            Diagnostics::new(&file, "".into(), vec![d])
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Where the first bad byte was, the lossy text has U+FFFD: three bytes.
            let at = e.utf8_error().valid_up_to();
            let d = Diagnostic::at(&lossy, at..at + 3, "the file is not valid UTF-8");
            Diagnostics::new(&file, lossy.into(), vec![d])
        })?;
        Scenario::parse(&file, &text)
    }

    /// Parse and validate scenario text; `file` names it in messages.
    ///
    /// # Errors
    /// Every problem found (up to [`diagnostic::MAX_ERRORS`]), in the file's order.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, Diagnostics> {
        parse::parse(file, text).map_err(|found| Diagnostics::new(file, text.into(), found))
    }

    #[must_use]
    pub fn topic_name(&self, id: TopicId) -> &str {
        &self.topics[usize::from(id)]
    }

    #[must_use]
    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::{round_nanos, Nanos};
    use proptest::prelude::*;

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn libm(x: f64) -> Nanos {
        x.round() as Nanos
    }

    /// Halves, the neighbours of halves, both sides of 2^52 and 2^63, huge, negative and not
    /// numbers: the same as `round` and a saturating cast.
    #[test]
    fn round_nanos_is_round_at_the_edges() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            -1.5,
            -7.9,
            0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            4_503_599_627_370_497.0,
            9.223_372_036_854_775e18,
            1.9e19,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for k in 0..60 {
            let half = f64::from(k) * 977.0 + 0.5;
            xs.extend([half, half.next_up(), half.next_down()]);
        }
        for x in xs {
            assert_eq!(round_nanos(x), libm(x), "{x:e}");
        }
    }

    proptest! {
        #[test]
        fn round_nanos_is_round(bits in any::<u64>(), small in -1e7f64..1e12) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(round_nanos(x), libm(x), "{:e}", x);
            prop_assert_eq!(round_nanos(small), libm(small), "{:e}", small);
        }
    }
}
