//! TOML to [`Scenario`]: serde reads the raw shape (unknown fields and wrong types are caught
//! there, with their span), then `validate` checks names, numbers and limits.

use super::{
    secs, Arrivals, BrokerKind, ChannelOptions, Consumer, DirectOptions, ExchangeKind, Expect,
    Fault, FaultKind, KafkaOptions, Op, Producer, Publish, QueueType, RabbitOptions, RedisOptions,
    Scenario, ScenarioError, ServiceDist, Shape, Step, Text, TopicId, Variant,
};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Limits that protect memory and time. Over one is an error that names it.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub nodes: usize,
    pub publish_streams: usize,
    pub topics: usize,
    pub variants: usize,
    pub faults: usize,
    pub steps: usize,
    pub rate_per_s: f64,
    pub messages: f64,
    pub keys_total: u64,
    pub duration_s: f64,
    pub latency_ms: f64,
    pub service_ms: f64,
    pub size_bytes: i64,
    pub partitions: u32,
    pub replication: u32,
    pub samples: f64,
}

pub const LIMITS: Limits = Limits {
    nodes: 2000,
    publish_streams: 10_000,
    topics: 1000,
    variants: 8,
    faults: 1000,
    steps: 100,
    rate_per_s: 1_000_000.0,
    messages: 10_000_000.0,
    keys_total: 1_000_000,
    duration_s: 10_000_000.0,
    latency_ms: 60_000.0,
    service_ms: 3_600_000.0,
    size_bytes: 16 * 1024 * 1024,
    partitions: 1024,
    replication: 7,
    samples: 10_000.0,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    title: Option<Text>,
    description: Option<Text>,
    seed: Option<Spanned<i64>>,
    duration_s: Option<Spanned<f64>>,
    latency_ms: Option<Spanned<f64>>,
    sample_step_s: Option<Spanned<f64>>,
    #[serde(default)]
    producer: Vec<Spanned<RawProducer>>,
    #[serde(default)]
    consumer: Vec<Spanned<RawConsumer>>,
    #[serde(default)]
    fault: Vec<Spanned<RawFault>>,
    #[serde(default)]
    variant: Vec<Spanned<RawVariant>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProducer {
    name: Spanned<String>,
    publish: Vec<Spanned<RawPublish>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    topic: Spanned<String>,
    rate_per_s: Spanned<f64>,
    keys: Option<Spanned<i64>>,
    size_bytes: Option<Spanned<i64>>,
    arrivals: Option<Arrivals>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsumer {
    name: Spanned<String>,
    subscribe: Spanned<Vec<Spanned<String>>>,
    group: Option<Spanned<String>>,
    service_ms: Option<Spanned<f64>>,
    service_dist: Option<ServiceDist>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    kind: Spanned<FaultKind>,
    target: Option<Spanned<String>>,
    at_s: Spanned<f64>,
    until_s: Option<Spanned<f64>>,
    factor: Option<Spanned<f64>>,
    consumer: Option<Spanned<RawConsumer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    name: Spanned<String>,
    shape: Spanned<Shape>,
    broker: Option<Spanned<BrokerKind>>,
    direct: Option<Spanned<DirectOptions>>,
    channel: Option<Spanned<ChannelOptions>>,
    redis: Option<Spanned<RedisOptions>>,
    rabbitmq: Option<Spanned<RabbitOptions>>,
    kafka: Option<Spanned<KafkaOptions>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    title: Text,
    text: Option<Text>,
    #[serde(default)]
    show: Vec<Spanned<String>>,
    run_to_s: Spanned<f64>,
    ask: Option<Text>,
    /// Answers the learner picks from before the reveal; `answer` is the right one's index.
    #[serde(default)]
    choices: Vec<Text>,
    answer: Option<Spanned<i64>>,
    /// Producers and consumers the step points at: a viewer highlights them.
    #[serde(default)]
    highlight: Vec<Spanned<String>>,
    #[serde(default)]
    expect: Vec<Spanned<RawExpect>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    variant: Spanned<String>,
    metric: Spanned<String>,
    op: Op,
    value: f64,
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

type Res<T> = Result<T, ScenarioError>;

impl Checker<'_> {
    fn at(&self, offset: usize, message: impl Into<String>) -> ScenarioError {
        let (line, col) = line_col(self.text, offset);
        ScenarioError {
            file: self.file.to_owned(),
            line,
            col,
            message: message.into(),
        }
    }

    fn err<T, U>(&self, spanned: &Spanned<U>, message: impl Into<String>) -> Res<T> {
        Err(self.at(spanned.span().start, message))
    }

    /// A finite number in `[min, max]`.
    fn number(&self, v: &Spanned<f64>, name: &str, min: f64, max: f64) -> Res<f64> {
        let x = *v.get_ref();
        if !x.is_finite() {
            return self.err(v, format!("{name} must be a finite number, got {x}"));
        }
        if x < min {
            return self.err(v, format!("{name} must be at least {min}, got {x}"));
        }
        if x > max {
            return self.err(v, format!("{name} is over the limit of {max} (got {x})"));
        }
        Ok(x)
    }

    /// A finite number in `(0, max]`. A negative one gets the same message as 0 ("greater than
    /// 0"), not "at least 0", which would suggest 0 is accepted.
    fn positive(&self, v: &Spanned<f64>, name: &str, max: f64) -> Res<f64> {
        let x = *v.get_ref();
        if x.is_finite() && x <= 0.0 {
            return self.err(v, format!("{name} must be greater than 0, got {x}"));
        }
        self.number(v, name, 0.0, max)
    }

    fn integer(&self, v: &Spanned<i64>, name: &str, min: i64, max: i64) -> Res<i64> {
        let x = *v.get_ref();
        if x < min {
            return self.err(v, format!("{name} must be at least {min}, got {x}"));
        }
        if x > max {
            return self.err(v, format!("{name} is over the limit of {max} (got {x})"));
        }
        Ok(x)
    }

    fn name(&self, v: &Spanned<String>, what: &str) -> Res<String> {
        let s = v.get_ref().trim();
        if s.is_empty() {
            return self.err(v, format!("{what} name must not be empty"));
        }
        if s.len() > 100 {
            return self.err(
                v,
                format!("{what} name is over the limit of 100 characters"),
            );
        }
        Ok(s.to_owned())
    }
}

/// Parse and validate scenario text. `file` is used in error messages.
///
/// # Errors
/// The first problem found, with its line and column.
pub fn parse_scenario(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let c = Checker { file, text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let mut message = e.message().trim().replace('\n', " ");
        // serde calls a value outside an enum an "unknown variant", which reads as a topology
        // [[variant]] here: name the key instead ("unknown shape `mesh`, expected one of ...").
        if let Some(rest) = message.strip_prefix("unknown variant ") {
            let key = key_before(text, offset).unwrap_or("value");
            message = format!("unknown {key} {rest}");
        } else if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
            if let Some(key) = key_before(text, offset) {
                message = format!("{key}: {message}");
            }
        }
        // An unclosed `[` or `{` followed by more lines reads to toml as a missing comma at the
        // next line: say what the likelier mistake is.
        if message.starts_with("missing comma between array elements") {
            message.push_str(" (or is the `]` closing an array above missing?)");
        } else if message.starts_with("missing comma between key-value pairs") {
            message.push_str(" (or is the `}` closing an inline table above missing?)");
        }
        c.at(offset, message)
    })?;
    validate(&c, raw)
}

/// The key of `key = value` when `offset` is where the value starts.
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?.trim_end().strip_suffix('=')?.trim_end();
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, ch)| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
        .map_or(0, |(i, ch)| i + ch.len_utf8());
    let key = &before[start..];
    (!key.is_empty()).then_some(key)
}

#[allow(clippy::too_many_lines)]
fn validate(c: &Checker, raw: RawScenario) -> Res<Scenario> {
    let l = LIMITS;
    let seed = match &raw.seed {
        Some(s) => u64::try_from(c.integer(s, "seed", 0, i64::MAX)?).unwrap_or(0),
        None => 1,
    };
    let duration_s = match &raw.duration_s {
        Some(d) => c.positive(d, "duration_s", l.duration_s)?,
        None => 60.0,
    };
    let latency_ms = match &raw.latency_ms {
        Some(v) => c.number(v, "latency_ms", 0.0, l.latency_ms)?,
        None => 1.0,
    };
    let min_step = duration_s / l.samples;
    let sample_step_s = match &raw.sample_step_s {
        Some(v) => c.positive(v, "sample_step_s", duration_s)?.max(min_step),
        None => (duration_s / 200.0).clamp(min_step.max(0.001), 1.0),
    };
    if raw.producer.is_empty() {
        return Err(c.at(0, "no [[producer]]: a scenario needs at least one producer"));
    }
    if raw.consumer.is_empty() {
        return Err(c.at(0, "no [[consumer]]: a scenario needs at least one consumer"));
    }
    if raw.variant.is_empty() {
        return Err(c.at(
            0,
            "no [[variant]]: name at least one topology (shape = \"direct\", ...)",
        ));
    }

    // Topics: every name a producer publishes to or a consumer subscribes to.
    let mut topic_set = BTreeSet::new();
    for p in &raw.producer {
        for pb in &p.get_ref().publish {
            topic_set.insert(c.name(&pb.get_ref().topic, "topic")?);
        }
    }
    let added = raw
        .fault
        .iter()
        .filter_map(|f| f.get_ref().consumer.as_ref());
    for rc in raw.consumer.iter().chain(added) {
        for t in rc.get_ref().subscribe.get_ref() {
            topic_set.insert(c.name(t, "topic")?);
        }
    }
    if topic_set.len() > l.topics {
        return Err(c.at(
            0,
            format!(
                "{} topics is over the limit of {}",
                topic_set.len(),
                l.topics
            ),
        ));
    }
    let topics: Vec<String> = topic_set.into_iter().collect();
    let topic_id = |name: &str| -> TopicId {
        let i = topics
            .binary_search_by(|t| t.as_str().cmp(name))
            .unwrap_or(0);
        TopicId::try_from(i).unwrap_or(0)
    };

    let mut names: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut unique = |v: &Spanned<String>, what: &'static str| -> Res<String> {
        let n = c.name(v, what)?;
        if let Some(prev) = names.insert(n.clone(), what) {
            return c.err(v, format!("the name {n:?} is already used by a {prev}"));
        }
        Ok(n)
    };

    let mut producers = Vec::new();
    let mut streams = 0usize;
    let mut messages = 0.0;
    let mut keys_total = 0u64;
    for rp in &raw.producer {
        let rp = rp.get_ref();
        let name = unique(&rp.name, "producer")?;
        if rp.publish.is_empty() {
            return c.err(
                &rp.name,
                format!("producer {name:?} publishes nothing: give it a publish list"),
            );
        }
        let mut publish = Vec::new();
        for pb in &rp.publish {
            let pb = pb.get_ref();
            let rate = c.positive(&pb.rate_per_s, "rate_per_s", l.rate_per_s)?;
            let keys = match &pb.keys {
                Some(k) => c.integer(k, "keys", 0, 1_000_000)?,
                None => 0,
            };
            let size = match &pb.size_bytes {
                Some(s) => c.integer(s, "size_bytes", 1, l.size_bytes)?,
                None => 100,
            };
            messages += rate * duration_s;
            keys_total += u64::try_from(keys).unwrap_or(0);
            if messages > l.messages {
                return c.err(
                    &pb.rate_per_s,
                    format!(
                        "the workload would create {messages:.0} messages or more over duration_s = {duration_s}; \
                         the limit is {:.0}: lower rate_per_s or duration_s",
                        l.messages
                    ),
                );
            }
            if keys_total > l.keys_total {
                return c.err(
                    &pb.rate_per_s,
                    format!("more than {} keys in all", l.keys_total),
                );
            }
            publish.push(Publish {
                topic: topic_id(pb.topic.get_ref().trim()),
                rate_per_s: rate,
                keys: u32::try_from(keys).unwrap_or(0),
                size_bytes: u32::try_from(size).unwrap_or(1),
                arrivals: pb.arrivals.unwrap_or(Arrivals::Poisson),
            });
            streams += 1;
            if streams > l.publish_streams {
                return c.err(
                    &pb.topic,
                    format!("more than {} publish entries", l.publish_streams),
                );
            }
        }
        producers.push(Producer { name, publish });
    }

    let consumer = |rc: &Spanned<RawConsumer>,
                    unique: &mut dyn FnMut(&Spanned<String>, &'static str) -> Res<String>|
     -> Res<Consumer> {
        let rc = rc.get_ref();
        let name = unique(&rc.name, "consumer")?;
        if rc.subscribe.get_ref().is_empty() {
            return c.err(
                &rc.subscribe,
                format!("consumer {name:?} subscribes to no topic"),
            );
        }
        let mut subscribe: Vec<TopicId> = rc
            .subscribe
            .get_ref()
            .iter()
            .map(|t| topic_id(t.get_ref().trim()))
            .collect();
        subscribe.sort_unstable();
        subscribe.dedup();
        let group = match &rc.group {
            Some(g) => c.name(g, "group")?,
            None => name.clone(),
        };
        let service_ms = match &rc.service_ms {
            Some(s) => c.number(s, "service_ms", 0.0, l.service_ms)?,
            None => 1.0,
        };
        Ok(Consumer {
            name,
            subscribe,
            group,
            service: super::millis(service_ms),
            service_dist: rc.service_dist.unwrap_or(ServiceDist::Fixed),
        })
    };
    let mut consumers = Vec::new();
    for rc in &raw.consumer {
        consumers.push(consumer(rc, &mut unique)?);
    }

    let mut faults = Vec::new();
    if raw.fault.len() > l.faults {
        return Err(c.at(
            raw.fault[l.faults].span().start,
            format!("more than {} faults", l.faults),
        ));
    }
    let mut known_consumers: BTreeSet<String> = consumers.iter().map(|x| x.name.clone()).collect();
    let producer_names: BTreeSet<String> = producers.iter().map(|x| x.name.clone()).collect();
    let mut sorted: Vec<&Spanned<RawFault>> = raw.fault.iter().collect();
    sorted.sort_by(|a, b| {
        a.get_ref()
            .at_s
            .get_ref()
            .total_cmp(b.get_ref().at_s.get_ref())
    });
    for rf in sorted {
        let f = rf.get_ref();
        let kind = *f.kind.get_ref();
        let at_s = c.number(&f.at_s, "at_s", 0.0, duration_s)?;
        let until = match &f.until_s {
            Some(u) => {
                let u_s = c.number(u, "until_s", 0.0, l.duration_s)?;
                if u_s <= at_s {
                    return c.err(u, format!("until_s ({u_s}) must be after at_s ({at_s})"));
                }
                if kind == FaultKind::AddConsumer {
                    return c.err(u, "add-consumer takes no until_s: the consumer stays");
                }
                Some(secs(u_s))
            }
            None => None,
        };
        let factor = match &f.factor {
            Some(v) => {
                if kind != FaultKind::ConsumerSlow {
                    return c.err(
                        v,
                        format!("factor belongs to consumer-slow, not {}", kind.name()),
                    );
                }
                c.number(v, "factor", 1.0, 10_000.0)?
            }
            None => 10.0,
        };
        let mut added = None;
        match kind {
            FaultKind::AddConsumer => {
                if let Some(t) = &f.target {
                    return c.err(t, "add-consumer has no target: describe the new consumer in `consumer = { ... }`");
                }
                let Some(rc) = &f.consumer else {
                    return c.err(
                        &f.kind,
                        "add-consumer needs `consumer = { name = ..., subscribe = [...] }`",
                    );
                };
                let new = consumer(rc, &mut unique)?;
                known_consumers.insert(new.name.clone());
                added = Some(new);
            }
            _ => {
                if let Some(rc) = &f.consumer {
                    return c.err(
                        rc,
                        format!("`consumer` belongs to add-consumer, not {}", kind.name()),
                    );
                }
            }
        }
        match (kind, &f.target) {
            (
                FaultKind::ConsumerOffline | FaultKind::ConsumerSlow | FaultKind::ConsumerCrash,
                None,
            ) => {
                return c.err(&f.kind, format!("{} needs a target consumer", kind.name()));
            }
            (
                FaultKind::ConsumerOffline | FaultKind::ConsumerSlow | FaultKind::ConsumerCrash,
                Some(t),
            ) => {
                if !known_consumers.contains(t.get_ref().trim()) {
                    return c.err(
                        t,
                        format!(
                            "target {:?} names no consumer (known: {})",
                            t.get_ref(),
                            list(&known_consumers)
                        ),
                    );
                }
            }
            (FaultKind::LinkDown, None) => {
                return c.err(&f.kind, "link-down needs a target producer or consumer");
            }
            (FaultKind::LinkDown, Some(t)) => {
                let n = t.get_ref().trim();
                if !known_consumers.contains(n) && !producer_names.contains(n) {
                    return c.err(t, format!("target {n:?} names no producer or consumer"));
                }
            }
            (FaultKind::BrokerCrash, Some(t)) => {
                if topics
                    .binary_search_by(|x| x.as_str().cmp(t.get_ref().trim()))
                    .is_err()
                {
                    return c.err(t, format!(
                        "broker-crash target {:?} names no topic: give the topic whose broker crashes, or no target for every broker",
                        t.get_ref()
                    ));
                }
            }
            (FaultKind::BrokerCrash | FaultKind::AddConsumer, None) => {}
            (FaultKind::AddConsumer, Some(_)) => {}
        }
        faults.push(Fault {
            kind,
            target: f.target.as_ref().map(|t| t.get_ref().trim().to_owned()),
            at: secs(at_s),
            until,
            factor,
            consumer: added,
        });
    }
    if producers.len() + known_consumers.len() > l.nodes {
        return Err(c.at(
            0,
            format!(
                "{} producers and consumers is over the limit of {}",
                producers.len() + known_consumers.len(),
                l.nodes
            ),
        ));
    }

    let mut variants = Vec::new();
    if raw.variant.len() > l.variants {
        return c.err(
            &raw.variant[l.variants],
            format!("more than {} variants", l.variants),
        );
    }
    for rv in &raw.variant {
        let v = rv.get_ref();
        let name = c.name(&v.name, "variant")?;
        if variants.iter().any(|x: &Variant| x.name == name) {
            return c.err(&v.name, format!("a variant named {name:?} exists already"));
        }
        let shape = *v.shape.get_ref();
        let broker = v.broker.as_ref().map(|b| *b.get_ref());
        match (shape.needs_broker(), &v.broker) {
            (true, None) => {
                return c.err(&v.shape, format!(
                    "shape {} needs a broker: broker = \"redis-pubsub\" | \"redis-stream\" | \"rabbitmq\" | \"kafka\"",
                    shape.name()
                ));
            }
            (false, Some(b)) => {
                return c.err(
                    b,
                    format!("shape {} has no broker: remove `broker`", shape.name()),
                );
            }
            _ => {}
        }
        let owner = |opt: &str| -> Option<&'static str> {
            match (opt, shape, broker) {
                ("direct", Shape::Direct, _)
                | ("channel", Shape::Channel, _)
                | ("redis", _, Some(BrokerKind::RedisPubsub | BrokerKind::RedisStream))
                | ("rabbitmq", _, Some(BrokerKind::Rabbitmq))
                | ("kafka", _, Some(BrokerKind::Kafka)) => None,
                _ => Some(broker.map_or(shape.name(), BrokerKind::name)),
            }
        };
        macro_rules! options {
            ($field:ident, $key:literal) => {
                match &v.$field {
                    Some(o) => {
                        if let Some(other) = owner($key) {
                            return c.err(
                                o,
                                format!("`{}` options do not apply to a {other} variant", $key),
                            );
                        }
                        o.get_ref().clone()
                    }
                    None => Default::default(),
                }
            };
        }
        let direct: DirectOptions = options!(direct, "direct");
        let channel: ChannelOptions = options!(channel, "channel");
        let redis: RedisOptions = options!(redis, "redis");
        let rabbitmq: RabbitOptions = options!(rabbitmq, "rabbitmq");
        let kafka: KafkaOptions = options!(kafka, "kafka");
        check_options(c, v, &direct, &channel, &redis, &rabbitmq, &kafka)?;
        if rabbitmq.exchange == ExchangeKind::Topic && shape == Shape::BrokerPerTopic {
            let at = option_value_offset(c.text, v.name.span().start, "rabbitmq", "exchange")
                .or(v.rabbitmq.as_ref().map(|o| o.span().start))
                .unwrap_or(v.name.span().start);
            return Err(c.at(
                at,
                "rabbitmq.exchange \"topic\" routes within one broker: use shape single-broker \
                 (broker-per-topic gives every topic its own broker and exchange)",
            ));
        }
        variants.push(Variant {
            name,
            shape,
            broker,
            direct,
            channel,
            redis,
            rabbitmq,
            kafka,
        });
    }

    let mut steps = Vec::new();
    if raw.step.len() > l.steps {
        return c.err(&raw.step[l.steps], format!("more than {} steps", l.steps));
    }
    let mut last_run_to = 0.0;
    for rs in &raw.step {
        let s = rs.get_ref();
        let run_to_s = c.number(&s.run_to_s, "run_to_s", 0.0, duration_s)?;
        if run_to_s < last_run_to {
            return c.err(&s.run_to_s, format!(
                "run_to_s ({run_to_s}) goes back before the previous step's ({last_run_to}): steps move forward"
            ));
        }
        last_run_to = run_to_s;
        let mut show = Vec::new();
        for n in &s.show {
            let n_s = n.get_ref().trim();
            if !variants.iter().any(|v| v.name == n_s) {
                return c.err(
                    n,
                    format!(
                        "show names no variant: {n_s:?} (variants: {})",
                        variant_list(&variants)
                    ),
                );
            }
            show.push(n_s.to_owned());
        }
        let mut expect = Vec::new();
        for re in &s.expect {
            let e = re.get_ref();
            let vn = e.variant.get_ref().trim();
            if !variants.iter().any(|v| v.name == vn) {
                return c.err(
                    &e.variant,
                    format!(
                        "expect names no variant: {vn:?} (variants: {})",
                        variant_list(&variants)
                    ),
                );
            }
            let metric = e.metric.get_ref().trim();
            if !crate::metrics::is_metric_path(metric) {
                return c.err(
                    &e.metric,
                    format!(
                        "unknown metric {metric:?}; one of: {}",
                        crate::metrics::METRIC_NAMES.join(", ")
                    ),
                );
            }
            if !e.value.is_finite() {
                return c.err(re, "expect value must be a finite number");
            }
            let (line, col) = line_col(c.text, re.span().start);
            expect.push(Expect {
                variant: vn.to_owned(),
                metric: metric.to_owned(),
                op: e.op,
                value: e.value,
                line,
                col,
            });
        }
        let answer = match (&s.answer, s.choices.len()) {
            (None, 0) => None,
            (None, _) => {
                return c.err(
                    rs,
                    "a step with `choices` needs `answer`: the index (from 0) of the right choice",
                );
            }
            (Some(a), 0) => return c.err(a, "`answer` needs `choices` to pick from"),
            (Some(a), n) => {
                let i = c.integer(a, "answer", 0, i64::try_from(n).unwrap_or(1) - 1)?;
                Some(usize::try_from(i).unwrap_or(0))
            }
        };
        if !s.choices.is_empty() && s.ask.is_none() {
            return c.err(
                rs,
                "a step with `choices` needs the question they answer: `ask`",
            );
        }
        let mut highlight = Vec::new();
        for h in &s.highlight {
            let n = h.get_ref().trim();
            let known = producers.iter().any(|p| p.name == n) || known_consumers.contains(n);
            if !known {
                return c.err(h, format!("highlight names no producer or consumer: {n:?}"));
            }
            highlight.push(n.to_owned());
        }
        steps.push(Step {
            title: s.title.clone(),
            text: s.text.clone(),
            show,
            run_to: secs(run_to_s),
            ask: s.ask.clone(),
            choices: s.choices.clone(),
            answer,
            highlight,
            expect,
        });
    }

    Ok(Scenario {
        source: c.file.to_owned(),
        title: raw.title.unwrap_or_else(|| Text::plain(c.file)),
        description: raw.description,
        seed,
        duration: secs(duration_s),
        latency: super::millis(latency_ms),
        sample_step: secs(sample_step_s).max(1),
        topics,
        producers,
        consumers,
        faults,
        variants,
        steps,
    })
}

fn list(names: &BTreeSet<String>) -> String {
    let v: Vec<&str> = names.iter().map(String::as_str).take(12).collect();
    v.join(", ")
}

fn variant_list(v: &[Variant]) -> String {
    v.iter()
        .map(|x| x.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where `<table>.<field>` of the variant whose `name` value starts at `name_start` is written:
/// the start of its value, from a spanned parse of the whole text (inline `kafka = { .. }`, dotted
/// `kafka.partitions = ..` and `[variant.kafka]` alike). `None` if it is not written out.
fn option_value_offset(text: &str, name_start: usize, table: &str, field: &str) -> Option<usize> {
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
        let DeValue::Table(options) = entry(v, table)?.get_ref() else {
            return None;
        };
        Some(entry(options, field)?.span().start)
    })
}

fn check_options(
    c: &Checker,
    v: &RawVariant,
    direct: &DirectOptions,
    channel: &ChannelOptions,
    redis: &RedisOptions,
    rabbitmq: &RabbitOptions,
    kafka: &KafkaOptions,
) -> Res<()> {
    let fail = |field: &str, key: &str, why: String| -> ScenarioError {
        let offset = match key {
            "direct" => v.direct.as_ref().map(|o| o.span().start),
            "channel" => v.channel.as_ref().map(|o| o.span().start),
            "redis" => v.redis.as_ref().map(|o| o.span().start),
            "rabbitmq" => v.rabbitmq.as_ref().map(|o| o.span().start),
            _ => v.kafka.as_ref().map(|o| o.span().start),
        };
        // Point at the offending value itself when it is written out (the option structs carry
        // no spans); else at the options table, else at the variant's name.
        let offset = option_value_offset(c.text, v.name.span().start, key, field).or(offset);
        c.at(
            offset.unwrap_or(v.name.span().start),
            format!("{key}.{field} {why}"),
        )
    };
    let finite_range = |x: f64, lo: f64, hi: f64| x.is_finite() && x >= lo && x <= hi;
    if !finite_range(direct.retry_ms, 0.001, 3_600_000.0) {
        return Err(fail(
            "retry_ms",
            "direct",
            format!("must be in (0, 3600000], got {}", direct.retry_ms),
        ));
    }
    if direct.max_retries > 65_535 {
        return Err(fail(
            "max_retries",
            "direct",
            "is over the limit of 65535".into(),
        ));
    }
    if channel.capacity > 10_000_000 {
        return Err(fail(
            "capacity",
            "channel",
            "is over the limit of 10000000".into(),
        ));
    }
    for (field, x) in [
        ("pubsub_hard_mb", redis.pubsub_hard_mb),
        ("pubsub_soft_mb", redis.pubsub_soft_mb),
        ("pubsub_soft_s", redis.pubsub_soft_s),
        ("reconnect_ms", redis.reconnect_ms),
    ] {
        if !finite_range(x, 0.0, 1e9) {
            return Err(fail(
                field,
                "redis",
                format!("must be between 0 and 1e9, got {x}"),
            ));
        }
    }
    if redis.read_count == 0 || redis.read_count > 100_000 {
        return Err(fail(
            "read_count",
            "redis",
            format!("must be 1 to 100000, got {}", redis.read_count),
        ));
    }
    for (field, x) in [
        ("min_idle_ms", redis.min_idle_ms),
        ("autoclaim_every_ms", redis.autoclaim_every_ms),
    ] {
        if !finite_range(x, 0.0, 1e9) {
            return Err(fail(
                field,
                "redis",
                format!("must be between 0 and 1e9, got {x}"),
            ));
        }
    }
    if redis.autoclaim_every_ms < 1.0 {
        return Err(fail(
            "autoclaim_every_ms",
            "redis",
            format!("must be at least 1, got {}", redis.autoclaim_every_ms),
        ));
    }
    if redis.maxlen > 1_000_000_000 {
        return Err(fail(
            "maxlen",
            "redis",
            "is over the limit of 1000000000".into(),
        ));
    }
    if redis.save.len() > 16 {
        return Err(fail("save", "redis", "has more than 16 rules".into()));
    }
    if let Some((secs, changes)) = redis
        .save
        .iter()
        .find(|(s, n)| *s == 0 || *n == 0 || *s > 1_000_000_000)
    {
        return Err(fail(
            "save",
            "redis",
            format!(
                "rules are [seconds, changes], both at least 1 (seconds at most 1e9), got [{secs}, {changes}]"
            ),
        ));
    }
    if rabbitmq.queue_type == QueueType::Quorum && !rabbitmq.durable {
        return Err(fail(
            "durable",
            "rabbitmq",
            "must be true for a quorum queue: quorum queues are always durable".into(),
        ));
    }
    if rabbitmq.queue_type == QueueType::Quorum && rabbitmq.exclusive {
        return Err(fail(
            "exclusive",
            "rabbitmq",
            "must be false for a quorum queue: quorum queues cannot be exclusive".into(),
        ));
    }
    if rabbitmq.prefetch > 65_535 {
        return Err(fail(
            "prefetch",
            "rabbitmq",
            "is over AMQP's limit of 65535".into(),
        ));
    }
    let l = LIMITS;
    if kafka.partitions == 0 || kafka.partitions > l.partitions {
        return Err(fail(
            "partitions",
            "kafka",
            format!("must be 1 to {}, got {}", l.partitions, kafka.partitions),
        ));
    }
    if kafka.replication == 0 || kafka.replication > l.replication {
        return Err(fail(
            "replication",
            "kafka",
            format!("must be 1 to {}, got {}", l.replication, kafka.replication),
        ));
    }
    if !finite_range(kafka.retention_s, 0.001, 1e12) {
        return Err(fail(
            "retention_s",
            "kafka",
            format!("must be greater than 0, got {}", kafka.retention_s),
        ));
    }
    if kafka.retention_bytes < -1 || kafka.retention_bytes == 0 {
        return Err(fail(
            "retention_bytes",
            "kafka",
            format!(
                "must be -1 (unlimited) or positive, got {}",
                kafka.retention_bytes
            ),
        ));
    }
    for (field, x) in [
        ("auto_commit_ms", kafka.auto_commit_ms),
        ("session_timeout_ms", kafka.session_timeout_ms),
        ("max_poll_interval_ms", kafka.max_poll_interval_ms),
    ] {
        if !finite_range(x, 1.0, 1e9) {
            return Err(fail(
                field,
                "kafka",
                format!("must be between 1 and 1e9, got {x}"),
            ));
        }
    }
    if kafka.segment_bytes < 14 || kafka.segment_bytes > 1 << 40 {
        return Err(fail(
            "segment_bytes",
            "kafka",
            format!(
                "must be 14 (a record's overhead) to 2^40, got {}",
                kafka.segment_bytes
            ),
        ));
    }
    if !finite_range(kafka.segment_ms, 1.0, 1e13) {
        return Err(fail(
            "segment_ms",
            "kafka",
            format!("must be between 1 and 1e13, got {}", kafka.segment_ms),
        ));
    }
    if kafka.max_poll_records == 0 || kafka.max_poll_records > 100_000 {
        return Err(fail(
            "max_poll_records",
            "kafka",
            format!("must be 1 to 100000, got {}", kafka.max_poll_records),
        ));
    }
    Ok(())
}
