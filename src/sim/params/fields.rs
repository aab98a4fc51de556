//! The one table of parameter fields: for every field a path can end in, its kind with the
//! bounds the file's validation enforces, its unit, a one-line help (the doc comments of
//! `src/scenario/mod.rs`, shortened) and its default. `list`, the error suggestions and the
//! app's knobs all read this table; nothing else keeps a field list.

use crate::scenario::LIMITS;

/// What values a parameter takes. Bounds are the ones the scenario file's validation enforces
/// (the message of a value outside them is the file's own).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ParamKind {
    /// A number in `[min, max]`, or `(min, max]` when `above_min` (it must be greater than min).
    Float {
        min: f64,
        max: f64,
        above_min: bool,
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// One of these strings.
    Choice {
        choices: &'static [&'static str],
    },
    /// A name (a consumer group).
    Text,
    /// A TOML array (Redis `save` rules).
    List,
    /// A TOML inline table (Kafka `share` settings).
    Table,
}

/// Where a field lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// `latency_ms`, `duration_s`, `seed`.
    Top,
    /// `producer.NAME[.TOPIC].FIELD`: a publish entry.
    Publish,
    /// `consumer.NAME.FIELD`.
    Consumer,
    /// `fault.INDEX.FIELD`.
    Fault,
    /// `scale.FIELD`.
    Scale,
    /// `variant.NAME.TABLE.OPTION`: the options table `direct`, `channel`, `redis`, `rabbitmq`
    /// or `kafka`.
    Options(&'static str),
}

/// A default the file parser applies when the field is not written.
#[derive(Clone, Copy, Debug)]
pub(super) enum DefaultValue {
    /// Required, or "none" (a fault without `until_s` does not heal).
    None,
    Float(f64),
    Int(i64),
    Str(&'static str),
    /// A consumer without a group is its own group.
    OwnName,
    /// The options struct's `Default` (the real systems' defaults).
    Options,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    pub family: Family,
    pub name: &'static str,
    pub kind: ParamKind,
    pub unit: &'static str,
    pub help: &'static str,
    pub default: DefaultValue,
}

/// The option tables of a variant, in the file's order.
pub(super) const OPTION_TABLES: [&str; 5] = ["direct", "channel", "redis", "rabbitmq", "kafka"];

const fn float(min: f64, max: f64) -> ParamKind {
    ParamKind::Float {
        min,
        max,
        above_min: false,
    }
}

const fn positive(max: f64) -> ParamKind {
    ParamKind::Float {
        min: 0.0,
        max,
        above_min: true,
    }
}

const fn int(min: i64, max: i64) -> ParamKind {
    ParamKind::Int { min, max }
}

const fn choice(choices: &'static [&'static str]) -> ParamKind {
    ParamKind::Choice { choices }
}

const NODES: i64 = LIMITS.nodes as i64;

const fn f(
    family: Family,
    name: &'static str,
    kind: ParamKind,
    unit: &'static str,
    help: &'static str,
    default: DefaultValue,
) -> Field {
    Field {
        family,
        name,
        kind,
        unit,
        help,
        default,
    }
}

const fn opt(
    table: &'static str,
    name: &'static str,
    kind: ParamKind,
    unit: &'static str,
    help: &'static str,
) -> Field {
    f(
        Family::Options(table),
        name,
        kind,
        unit,
        help,
        DefaultValue::Options,
    )
}

use Family::{Consumer, Fault, Publish, Scale, Top};

/// Every field, grouped by family, in the order `list` shows them.
#[rustfmt::skip]
pub(super) const FIELDS: &[Field] = &[
    f(Top, "latency_ms", float(0.0, LIMITS.latency_ms), "ms", "One network hop", DefaultValue::Float(1.0)),
    f(Top, "duration_s", positive(LIMITS.duration_s), "s", "Simulated time a run lasts", DefaultValue::Float(60.0)),
    f(Top, "seed", int(0, i64::MAX), "", "Seed of the random streams: same seed, same run", DefaultValue::Int(1)),
    f(Publish, "rate_per_s", positive(LIMITS.rate_per_s), "msg/s", "Messages per second the entry publishes", DefaultValue::None),
    f(Publish, "keys", int(0, 1_000_000), "", "Distinct keys, drawn uniformly; 0 = records without a key", DefaultValue::Int(0)),
    f(Publish, "size_bytes", int(1, LIMITS.size_bytes), "B", "Size of one message", DefaultValue::Int(100)),
    f(Publish, "arrivals", choice(&["poisson", "constant"]), "", "Gaps between messages: random (poisson) or even (constant)", DefaultValue::Str("poisson")),
    f(Consumer, "service_ms", float(0.0, LIMITS.service_ms), "ms", "Time to process one message", DefaultValue::Float(1.0)),
    f(Consumer, "service_dist", choice(&["fixed", "exponential"]), "", "Service time: always service_ms, or exponential with that mean", DefaultValue::Str("fixed")),
    f(Consumer, "group", ParamKind::Text, "", "Consumers with the same group share the work; none = its own group", DefaultValue::OwnName),
    f(Fault, "at_s", float(0.0, LIMITS.duration_s), "s", "When the fault strikes (at most duration_s)", DefaultValue::None),
    f(Fault, "until_s", float(0.0, LIMITS.duration_s), "s", "When it heals (after at_s); none = it does not", DefaultValue::None),
    f(Scale, "rate", positive(1000.0), "x", "Multiplies every rate_per_s", DefaultValue::Float(1.0)),
    f(Scale, "producers", int(1, NODES), "", "Copies of every producer (NAME-2 ...), same publish entries", DefaultValue::Int(1)),
    f(Scale, "consumers", int(1, NODES), "", "Copies of every consumer (NAME-2 ...), in the original's group", DefaultValue::Int(1)),
    opt("direct", "retry", ParamKind::Bool, "", "Retry a failed send after retry_ms (at-least-once) instead of dropping it (at-most-once)"),
    opt("direct", "retry_ms", float(0.001, 3_600_000.0), "ms", "Wait before retrying a failed send"),
    opt("direct", "max_retries", int(0, 65_535), "", "Give up after this many retries (the message is lost)"),
    opt("channel", "capacity", int(0, 10_000_000), "msgs", "Messages the buffer holds before senders block; 0 = rendezvous"),
    opt("redis", "pubsub_hard_mb", float(0.0, 1e9), "MB", "Pub/Sub output buffer: disconnect a subscriber at once over this; 0 = no limit"),
    opt("redis", "pubsub_soft_mb", float(0.0, 1e9), "MB", "Pub/Sub output buffer: disconnect after over this for pubsub_soft_s; 0 = no limit"),
    opt("redis", "pubsub_soft_s", float(0.0, 1e9), "s", "Pub/Sub: how long the soft limit may be exceeded"),
    opt("redis", "reconnect_ms", float(0.0, 1e9), "ms", "How long a disconnected client takes to reconnect and resubscribe"),
    opt("redis", "group_start", choice(&["$", "0"]), "", "Streams: a new group starts at the end ($, new entries only) or the start (0)"),
    opt("redis", "noack", ParamKind::Bool, "", "Streams: XREADGROUP NOACK: no pending entries list, at-most-once"),
    opt("redis", "read_count", int(1, 100_000), "", "Streams: XREADGROUP COUNT: entries a consumer holds read but unprocessed"),
    opt("redis", "read_history", ParamKind::Bool, "", "Streams: a returning consumer first reads its own pending entries"),
    opt("redis", "min_idle_ms", float(0.0, 1e9), "ms", "Streams: XAUTOCLAIM takes over entries pending longer than this; 0 = nobody claims"),
    opt("redis", "autoclaim_every_ms", float(1.0, 1e9), "ms", "Streams: how often a live member of each group calls XAUTOCLAIM"),
    opt("redis", "maxlen", int(0, 1_000_000_000), "", "Streams: XADD MAXLEN: entries kept per stream; 0 = no trimming"),
    opt("redis", "appendonly", ParamKind::Bool, "", "Streams: log every write to the append-only file"),
    opt("redis", "appendfsync", choice(&["always", "everysec"]), "", "Streams: appendfsync (no effect here: brokerlab crashes processes, not machines)"),
    opt("redis", "save", ParamKind::List, "", "Streams: RDB snapshot rules [[seconds, changes], ...]; [] = no snapshots"),
    opt("rabbitmq", "durable", ParamKind::Bool, "", "The queue survives a broker restart"),
    opt("rabbitmq", "persistent", ParamKind::Bool, "", "Messages are published with delivery_mode=2 (written to disk)"),
    opt("rabbitmq", "ack", choice(&["manual", "auto"]), "", "Consumers acknowledge after processing (manual) or on delivery (auto)"),
    opt("rabbitmq", "prefetch", int(0, 65_535), "", "Unacked deliveries per consumer; 0 = unlimited"),
    opt("rabbitmq", "exclusive", ParamKind::Bool, "", "The queue is deleted when its consumer's connection closes"),
    opt("rabbitmq", "exchange", choice(&["fanout", "direct", "topic"]), "", "The exchange type; consumers' subscribe entries are the binding keys"),
    opt("rabbitmq", "max_length", int(0, 4_294_967_295), "msgs", "x-max-length: ready messages a queue holds; 0 = no limit"),
    opt("rabbitmq", "overflow", choice(&["drop-head", "reject-publish"]), "", "x-overflow: at max_length drop the oldest or refuse the new one"),
    opt("rabbitmq", "queue_type", choice(&["classic", "quorum", "stream"]), "", "x-queue-type; a quorum queue is replicated and always durable; a stream is a log read from offsets"),
    opt("rabbitmq", "mandatory", ParamKind::Bool, "", "An unroutable message is returned to the publisher instead of dropped"),
    opt("rabbitmq", "stream_offset", ParamKind::Text, "", "Streams: x-stream-offset: next, first, last, an offset or timestamp:SECONDS"),
    opt("rabbitmq", "max_length_bytes", int(0, i64::MAX), "B", "Streams: x-max-length-bytes: bytes kept (whole segments go); 0 = no limit"),
    opt("rabbitmq", "max_age_s", float(0.0, 1e12), "s", "Streams: x-max-age: segments whose newest message is older go; 0 = no limit"),
    opt("rabbitmq", "max_segment_bytes", int(1, 3_000_000_000), "B", "Streams: x-stream-max-segment-size-bytes: a new segment opens at this size"),
    opt("kafka", "partitions", int(1, LIMITS.partitions as i64), "", "Partitions per topic"),
    opt("kafka", "retention_s", float(0.001, 1e12), "s", "retention.ms in seconds: how long the log keeps records"),
    opt("kafka", "retention_bytes", int(-1, i64::MAX), "B", "retention.bytes per partition; -1 = unlimited"),
    opt("kafka", "acks", choice(&["0", "1", "all"]), "", "Producer acks: none (0), the leader (1) or every in-sync replica (all)"),
    opt("kafka", "replication", int(1, LIMITS.replication as i64), "", "Replication factor = brokers in the cluster"),
    opt("kafka", "offset_reset", choice(&["earliest", "latest"]), "", "auto.offset.reset: where a group without a committed offset starts"),
    opt("kafka", "auto_commit_ms", float(1.0, 1e9), "ms", "auto.commit.interval.ms"),
    opt("kafka", "session_timeout_ms", float(1.0, 1e9), "ms", "session.timeout.ms: a silent consumer leaves its group after this"),
    opt("kafka", "static_membership", ParamKind::Bool, "", "group.instance.id: a restarted consumer resumes its partitions within the session timeout, no rebalance"),
    opt("kafka", "max_poll_records", int(1, 100_000), "", "max.poll.records: records a consumer holds fetched but unprocessed"),
    opt("kafka", "max_poll_interval_ms", float(1.0, 1e9), "ms", "max.poll.interval.ms: slower than this between polls leaves the group"),
    opt("kafka", "segment_bytes", int(14, 1 << 40), "B", "segment.bytes: a partition's log rolls to a new segment at this size"),
    opt("kafka", "segment_ms", float(1.0, 1e13), "ms", "segment.ms: ... or when its first record is this old"),
    opt("kafka", "group_type", choice(&["consumer", "share"]), "", "Classic consumer groups, or share groups (KIP-932) for every group"),
    opt("kafka", "share", ParamKind::Table, "", "Share group settings { lock_ms, delivery_limit, max_record_locks, auto_offset_reset, ack, ... }"),
];

/// The fields of one family, in table order.
pub(super) fn of(family: Family) -> impl Iterator<Item = &'static Field> {
    FIELDS.iter().filter(move |f| f.family == family)
}

/// The field `name` of `family`.
pub(super) fn find(family: Family, name: &str) -> Option<&'static Field> {
    of(family).find(|f| f.name == name)
}
