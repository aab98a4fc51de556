//! The `[[variant]]` section: each variant's shape, its broker, and that system's options (in
//! the ranges of [`crate::scenario::rules`]).

use super::{Checker, RawScenario, RawVariant, Reported, Res, LIMITS};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::rules::{self, IntRange, Range};
use crate::scenario::{
    AckMode, Broker, BrokerKind, BrokerShape, ChannelOptions, DirectOptions, ExchangeKind,
    GroupType, KafkaOptions, Overflow, QueueType, RabbitOptions, RedisOptions, Shape, ShareAck,
    ShareOptions, System, Variant,
};
use toml::Spanned;

/// The variants that pass their checks, and the names of all with a usable name (what a
/// lesson's steps may refer to, even where a variant's options are wrong).
pub(super) struct Variants {
    pub(super) valid: Vec<Variant>,
    pub(super) names: Vec<String>,
}

pub(super) fn variants(c: &Checker, raw: &RawScenario) -> Variants {
    let mut out = Variants {
        valid: Vec::new(),
        names: Vec::new(),
    };
    if let Some(extra) = raw.variant.get(LIMITS.variants) {
        let _ = c.err::<(), _>(extra, format!("more than {} variants", LIMITS.variants));
        return out;
    }
    for rv in &raw.variant {
        let v = rv.get_ref();
        let Ok(name) = c.name(&v.name, "variant") else {
            continue;
        };
        if out.names.contains(&name) {
            let _ = c.err::<(), _>(&v.name, format!("a variant named {name:?} exists already"));
            continue;
        }
        out.names.push(name.clone());
        if let Ok(system) = system(c, v) {
            out.valid.push(Variant { name, system });
        }
    }
    out
}

/// The variant's shape with its broker and that broker's options: anything else is an error.
fn system(c: &Checker, v: &RawVariant) -> Res<System> {
    let shape = *v.shape.get_ref();
    let broker = v.broker.as_ref().map(|b| *b.get_ref());
    let needs_broker = || -> Res<System> {
        c.err(&v.shape, format!(
            "shape {} needs a broker: broker = \"redis-pubsub\" | \"redis-stream\" | \"rabbitmq\" | \"kafka\"",
            shape.name()
        ))
    };
    match (shape.needs_broker(), &v.broker) {
        (true, None) => return needs_broker(),
        (false, Some(b)) => {
            let why = format!("shape {} has no broker: remove `broker`", shape.name());
            return c.err(b, why);
        }
        _ => {}
    }
    foreign_options(c, v, shape, broker)?;
    let broker_shape = match shape {
        Shape::Direct => return Ok(System::Direct(check_direct(c, v, given(&v.direct))?)),
        Shape::Channel => return Ok(System::Channel(check_channel(c, v, given(&v.channel))?)),
        Shape::SingleBroker => BrokerShape::SingleBroker,
        Shape::BrokerPerTopic => BrokerShape::BrokerPerTopic,
        Shape::CentralLog => BrokerShape::CentralLog,
    };
    let Some(kind) = broker else {
        return needs_broker();
    };
    let broker = match kind {
        BrokerKind::RedisPubsub => Broker::RedisPubsub(check_redis(c, v, given(&v.redis))?),
        BrokerKind::RedisStream => Broker::RedisStream(check_redis(c, v, given(&v.redis))?),
        BrokerKind::Rabbitmq => Broker::Rabbitmq(check_rabbitmq(c, v, shape, given(&v.rabbitmq))?),
        BrokerKind::Kafka => Broker::Kafka(check_kafka(c, v, given(&v.kafka))?),
    };
    Ok(System::Broker {
        shape: broker_shape,
        broker,
    })
}

/// Only the options table of the variant's own system may be written.
fn foreign_options(
    c: &Checker,
    v: &RawVariant,
    shape: Shape,
    broker: Option<BrokerKind>,
) -> Res<()> {
    let owner = broker.map_or(shape.name(), BrokerKind::name);
    let mine = |key: &str| {
        matches!(
            (key, shape, broker),
            ("direct", Shape::Direct, _)
                | ("channel", Shape::Channel, _)
                | (
                    "redis",
                    _,
                    Some(BrokerKind::RedisPubsub | BrokerKind::RedisStream)
                )
                | ("rabbitmq", _, Some(BrokerKind::Rabbitmq))
                | ("kafka", _, Some(BrokerKind::Kafka))
        )
    };
    let written = [
        ("direct", v.direct.as_ref().map(Spanned::span)),
        ("channel", v.channel.as_ref().map(Spanned::span)),
        ("redis", v.redis.as_ref().map(Spanned::span)),
        ("rabbitmq", v.rabbitmq.as_ref().map(Spanned::span)),
        ("kafka", v.kafka.as_ref().map(Spanned::span)),
    ];
    let mut result = Ok(());
    for (key, span) in written {
        if let Some(span) = span.filter(|_| !mine(key)) {
            let why = format!("`{key}` options do not apply to a {owner} variant");
            result = Err(c.push(c.span(span, why)));
        }
    }
    result
}

/// Options as written, or their defaults.
fn given<T: Clone + Default>(o: &Option<Spanned<T>>) -> T {
    o.as_ref().map(|o| o.get_ref().clone()).unwrap_or_default()
}

/// Where `<table>.<field>` of the variant whose `name` value starts at `name_start` is written:
/// its value, from a spanned parse of the whole text (inline `kafka = { .. }`, dotted
/// `kafka.partitions = ..` and `[variant.kafka]` alike). `None` if it is not written out.
fn option_value_span(
    text: &str,
    name_start: usize,
    table: &str,
    field: &str,
) -> Option<std::ops::Range<usize>> {
    use toml::de::{DeTable, DeValue};
    fn entry<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        t.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }
    let root = DeTable::parse(text).ok()?;
    let DeValue::Array(variants) = entry(root.get_ref(), "variant")?.get_ref() else {
        return None;
    };
    variants.iter().find_map(|v| {
        let DeValue::Table(v) = v.get_ref() else {
            return None;
        };
        if entry(v, "name")?.span().start != name_start {
            return None;
        }
        let mut at = entry(v, table)?;
        // A nested option (`share.lock_ms`) walks its tables.
        for key in field.split('.') {
            let DeValue::Table(options) = at.get_ref() else {
                return None;
            };
            at = entry(options, key)?;
        }
        Some(at.span())
    })
}

/// An option's problem, pointed at the value itself when it is written out (the option structs
/// carry no spans), else at the options table, else at the variant's name.
fn option_error(c: &Checker, v: &RawVariant, key: &str, field: &str, why: &str) -> Diagnostic {
    let table = match key {
        "direct" => v.direct.as_ref().map(|o| o.span().start),
        "channel" => v.channel.as_ref().map(|o| o.span().start),
        "redis" => v.redis.as_ref().map(|o| o.span().start),
        "rabbitmq" => v.rabbitmq.as_ref().map(|o| o.span().start),
        _ => v.kafka.as_ref().map(|o| o.span().start),
    };
    let name = v.name.span().start;
    let span = option_value_span(c.text, name, key, field)
        .unwrap_or_else(|| table.map_or(name..name, |t| t..t));
    c.span(span, format!("{key}.{field} {why}"))
}

/// The options of one table that are wrong, each with why: `(field, why)`.
#[derive(Default)]
struct Bad(Vec<(&'static str, String)>);

impl Bad {
    fn float(&mut self, field: &'static str, x: f64, r: Range) {
        if !r.holds(x) {
            self.0
                .push((field, format!("must be {} to {}, got {x}", r.min, r.max)));
        }
    }

    fn int(&mut self, field: &'static str, x: impl Into<u64>, r: IntRange) {
        let x: u64 = x.into();
        if !r.holds_u64(x) {
            let need = if r.max == i64::MAX {
                format!("at least {}", r.min)
            } else {
                format!("{} to {}", r.min, r.max)
            };
            self.0.push((field, format!("must be {need}, got {x}")));
        }
    }

    fn other(&mut self, field: &'static str, why: impl Into<String>) {
        self.0.push((field, why.into()));
    }

    /// The options, or each problem recorded.
    fn result<T>(self, c: &Checker, v: &RawVariant, key: &str, o: T) -> Res<T> {
        if self.0.is_empty() {
            return Ok(o);
        }
        for (field, why) in self.0 {
            c.push(option_error(c, v, key, field, &why));
        }
        Err(Reported)
    }
}

fn check_direct(c: &Checker, v: &RawVariant, o: DirectOptions) -> Res<DirectOptions> {
    let mut bad = Bad::default();
    bad.float("retry_ms", o.retry_ms, rules::RETRY_MS);
    bad.int("max_retries", o.max_retries, rules::MAX_RETRIES);
    bad.result(c, v, "direct", o)
}

fn check_channel(c: &Checker, v: &RawVariant, o: ChannelOptions) -> Res<ChannelOptions> {
    let mut bad = Bad::default();
    bad.int("capacity", o.capacity, rules::CAPACITY);
    bad.result(c, v, "channel", o)
}

fn check_redis(c: &Checker, v: &RawVariant, o: RedisOptions) -> Res<RedisOptions> {
    let mut bad = Bad::default();
    for (field, x) in [
        ("pubsub_hard_mb", o.pubsub_hard_mb),
        ("pubsub_soft_mb", o.pubsub_soft_mb),
        ("pubsub_soft_s", o.pubsub_soft_s),
        ("reconnect_ms", o.reconnect_ms),
        ("min_idle_ms", o.min_idle_ms),
    ] {
        bad.float(field, x, rules::REDIS_NUMBER);
    }
    bad.int("read_count", o.read_count, rules::READ_COUNT);
    bad.float(
        "autoclaim_every_ms",
        o.autoclaim_every_ms,
        rules::AUTOCLAIM_EVERY_MS,
    );
    bad.int("maxlen", o.maxlen, rules::MAXLEN);
    if o.save.len() > rules::SAVE_RULES {
        bad.other("save", format!("has more than {} rules", rules::SAVE_RULES));
    }
    let (seconds, changes) = (rules::SAVE_SECONDS, rules::SAVE_CHANGES);
    let wrong = |&&(s, n): &&(u64, u64)| !seconds.holds_u64(s) || !changes.holds_u64(n);
    if let Some((s, n)) = o.save.iter().find(wrong) {
        bad.other(
            "save",
            format!(
            "rules are [seconds, changes], both at least 1 (seconds at most {}), got [{s}, {n}]",
            seconds.max
        ),
        );
    }
    bad.result(c, v, "redis", o)
}

fn check_rabbitmq(
    c: &Checker,
    v: &RawVariant,
    shape: Shape,
    o: RabbitOptions,
) -> Res<RabbitOptions> {
    let mut bad = Bad::default();
    if o.queue_type == QueueType::Quorum && !o.durable {
        bad.other(
            "durable",
            "must be true for a quorum queue: quorum queues are always durable",
        );
    }
    if o.queue_type == QueueType::Quorum && o.exclusive {
        bad.other(
            "exclusive",
            "must be false for a quorum queue: quorum queues cannot be exclusive",
        );
    }
    if !rules::PREFETCH.holds_u64(o.prefetch.into()) {
        let why = format!("is over AMQP's limit of {}", rules::PREFETCH.max);
        bad.other("prefetch", why);
    }
    if o.queue_type == QueueType::Stream {
        check_stream(&mut bad, &o);
    } else {
        // A stream's options set to anything but their defaults (writing a default out changes
        // nothing, as everywhere).
        let d = RabbitOptions::default();
        for (field, set) in [
            ("stream_offset", o.stream_offset != d.stream_offset),
            ("max_length_bytes", o.max_length_bytes != d.max_length_bytes),
            ("max_age_s", o.max_age_s.to_bits() != d.max_age_s.to_bits()),
            (
                "max_segment_bytes",
                o.max_segment_bytes != d.max_segment_bytes,
            ),
        ] {
            if set {
                bad.other(field, "applies only to queue_type = \"stream\"");
            }
        }
    }
    if o.exchange == ExchangeKind::Topic && shape == Shape::BrokerPerTopic {
        let name = v.name.span().start;
        let span = option_value_span(c.text, name, "rabbitmq", "exchange")
            .or(v.rabbitmq.as_ref().map(|o| o.span().start..o.span().start))
            .unwrap_or(name..name);
        c.push(c.span(
            span,
            "rabbitmq.exchange \"topic\" routes within one broker: use shape single-broker \
             (broker-per-topic gives every topic its own broker and exchange)",
        ));
        let _ = bad.result(c, v, "rabbitmq", ());
        return Err(Reported);
    }
    bad.result(c, v, "rabbitmq", o)
}

/// What RabbitMQ 3.10.8 refuses for a stream, in the order the server checks (declare, then
/// consume), each with the server's reply; and the stream's own ranges.
fn check_stream(bad: &mut Bad, o: &RabbitOptions) {
    const Q: &str = "for queue '<stream>' in vhost '/'";
    let channel = "RabbitMQ 3.10.8 closes the channel with 406 PRECONDITION_FAILED";
    // The arguments a queue would be declared with: a length limit, an overflow other than the
    // default.
    for (field, arg, set) in [
        ("max_length", "x-max-length", o.max_length > 0),
        ("overflow", "x-overflow", o.overflow != Overflow::DropHead),
    ] {
        if set {
            bad.other(
                field,
                format!(
                    "is not supported by streams (use max_length_bytes or max_age_s): {channel} - \
                     invalid arg '{arg}' {Q} of queue type rabbit_stream_queue"
                ),
            );
        }
    }
    if o.exclusive {
        bad.other(
            "exclusive",
            format!(
                "must be false for queue_type = \"stream\": {channel} - invalid property \
                 'exclusive-owner' {Q}"
            ),
        );
    }
    if !o.durable {
        bad.other(
            "durable",
            format!(
                "must be true for queue_type = \"stream\" (streams are always durable): {channel} \
                 - invalid property 'non-durable' {Q}"
            ),
        );
    }
    if !rules::MAX_SEGMENT_BYTES.holds_u64(o.max_segment_bytes) {
        bad.other(
            "max_segment_bytes",
            format!(
                "must be 1 to {}: {channel} - Exceeded max value for \
                 x-stream-max-segment-size-bytes",
                rules::MAX_SEGMENT_BYTES.max
            ),
        );
    }
    if o.prefetch == 0 {
        bad.other(
            "prefetch",
            format!(
                "must be at least 1 for queue_type = \"stream\": {channel} - consumer prefetch \
                 count is not set for 'queue '<stream>' in vhost '/''"
            ),
        );
    }
    if o.ack == AckMode::Auto {
        bad.other(
            "ack",
            "must be \"manual\" for queue_type = \"stream\": RabbitMQ 3.10.8 closes the \
             connection with 540 NOT_IMPLEMENTED - automatic acknowledgement not supported by \
             stream queues queue '<stream>' in vhost '/'",
        );
    }
    bad.float("max_age_s", o.max_age_s, rules::MAX_AGE_S);
}

/// Share group options: their ranges, and what does not go with a share group.
fn check_share(bad: &mut Bad, o: &KafkaOptions) {
    if o.group_type == GroupType::Consumer {
        if o.share != ShareOptions::default() {
            bad.other("share", "applies only to group_type = \"share\"");
        }
        return;
    }
    if o.offset_reset != KafkaOptions::default().offset_reset {
        bad.other(
            "offset_reset",
            "does not apply to share groups: use kafka.share.auto_offset_reset",
        );
    }
    if o.static_membership {
        bad.other(
            "static_membership",
            "does not apply to share groups: a share consumer has no group.instance.id (KIP-932)",
        );
    }
    let s = &o.share;
    bad.float("share.lock_ms", s.lock_ms, rules::LOCK_MS);
    bad.int(
        "share.delivery_limit",
        s.delivery_limit,
        rules::DELIVERY_LIMIT,
    );
    bad.int(
        "share.max_record_locks",
        s.max_record_locks,
        rules::MAX_RECORD_LOCKS,
    );
    bad.int("share.fail_every", s.fail_every, rules::FAIL_EVERY);
    if s.fail_every > 0 && s.ack == ShareAck::Implicit {
        bad.other(
            "share.fail_every",
            "needs share.ack = \"explicit\": implicit acknowledgement can only ACCEPT",
        );
    }
}

fn check_kafka(c: &Checker, v: &RawVariant, o: KafkaOptions) -> Res<KafkaOptions> {
    let mut bad = Bad::default();
    bad.int("partitions", o.partitions, rules::PARTITIONS);
    bad.int("replication", o.replication, rules::REPLICATION);
    bad.float("retention_s", o.retention_s, rules::RETENTION_S);
    let bytes = o.retention_bytes;
    if bytes != rules::RETENTION_BYTES_UNLIMITED && !rules::RETENTION_BYTES.holds(bytes) {
        let why = format!(
            "must be {} (unlimited) or at least {}, got {bytes}",
            rules::RETENTION_BYTES_UNLIMITED,
            rules::RETENTION_BYTES.min
        );
        bad.other("retention_bytes", why);
    }
    for (field, x) in [
        ("auto_commit_ms", o.auto_commit_ms),
        ("session_timeout_ms", o.session_timeout_ms),
        ("max_poll_interval_ms", o.max_poll_interval_ms),
    ] {
        bad.float(field, x, rules::KAFKA_MS);
    }
    bad.int("segment_bytes", o.segment_bytes, rules::SEGMENT_BYTES);
    bad.float("segment_ms", o.segment_ms, rules::SEGMENT_MS);
    bad.int(
        "max_poll_records",
        o.max_poll_records,
        rules::MAX_POLL_RECORDS,
    );
    check_share(&mut bad, &o);
    bad.result(c, v, "kafka", o)
}
