//! TOML to [`Scenario`]: serde reads the raw shape (unknown fields and wrong types are caught
//! there, with their span), then `validate` checks names, numbers and limits.

use super::{
    secs, Arrivals, Broker, BrokerKind, BrokerShape, ChannelOptions, Consumer, DirectOptions,
    ExchangeKind, Expect, Fault, FaultAction, FaultKind, KafkaOptions, Nanos, Op, Producer,
    Publish, QueueType, RabbitOptions, RedisOptions, Scenario, ScenarioError, ServiceDist, Shape,
    Step, System, Text, TopicId, Variant,
};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Limits that protect memory and time. Over one is an error that names it (and, for the
/// budgets that multiply out, the estimate). Under every limit a run's memory is bounded: what
/// grows with a run is held per message (a retained log record: 8 bytes), per expected delivery
/// (a cell while it is pending: 2 to 8 bytes), per group and partition (offsets) and per group
/// and key (ordering checks).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub nodes: usize,
    pub publish_streams: usize,
    pub topics: usize,
    pub variants: usize,
    pub faults: usize,
    pub steps: usize,
    pub rate_per_s: f64,
    /// Messages a run creates (within the 32-bit message ids).
    pub messages: f64,
    /// Deliveries a run expects: each message times the consumer groups of its topic.
    pub deliveries: f64,
    /// Kafka partitions (of every topic) times consumer groups: offsets kept per pair.
    pub partition_groups: f64,
    /// Key slots times consumer groups: the newest message of each key, kept per group.
    pub key_groups: f64,
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
    messages: 200_000_000.0,
    deliveries: 250_000_000.0,
    partition_groups: 4_000_000.0,
    key_groups: 50_000_000.0,
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
pub(super) struct RawScenario {
    title: Option<Text>,
    description: Option<Text>,
    seed: Option<Spanned<i64>>,
    duration_s: Option<Spanned<f64>>,
    latency_ms: Option<Spanned<f64>>,
    sample_step_s: Option<Spanned<f64>>,
    #[serde(default)]
    pub(super) producer: Vec<Spanned<RawProducer>>,
    #[serde(default)]
    consumer: Vec<Spanned<RawConsumer>>,
    #[serde(default)]
    fault: Vec<Spanned<RawFault>>,
    #[serde(default)]
    pub(super) variant: Vec<Spanned<RawVariant>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProducer {
    name: Spanned<String>,
    pub(super) publish: Vec<Spanned<RawPublish>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPublish {
    topic: Spanned<String>,
    pub(super) rate_per_s: Spanned<f64>,
    pub(super) keys: Option<Spanned<i64>>,
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
pub(super) struct RawVariant {
    pub(super) name: Spanned<String>,
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

pub(super) struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

pub(super) type Res<T> = Result<T, ScenarioError>;

impl Checker<'_> {
    pub(super) fn at(&self, offset: usize, message: impl Into<String>) -> ScenarioError {
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

/// Check a parsed file section by section and build the [`Scenario`]. Each section's rules are a
/// function of their own; the first problem found is the error.
fn validate(c: &Checker, raw: RawScenario) -> Res<Scenario> {
    let top = top_level(c, &raw)?;
    require_sections(c, &raw)?;
    let topics = topics(c, &raw)?;
    let mut names = Names::default();
    let producers = producers(c, &raw, &top, &topics, &mut names)?;
    let consumers = raw
        .consumer
        .iter()
        .map(|rc| consumer(c, rc, &topics, &mut names))
        .collect::<Res<Vec<_>>>()?;
    let faults = faults(c, &raw, &top, &topics, &producers, &mut names)?;
    let people = producers.len() + names.consumers.len();
    if people > LIMITS.nodes {
        return Err(c.at(
            0,
            format!(
                "{people} producers and consumers is over the limit of {}",
                LIMITS.nodes
            ),
        ));
    }
    let variants = variants(c, &raw)?;
    super::budget::check(
        c, &raw, &top, &topics, &producers, &consumers, &faults, &variants,
    )?;
    let steps = steps(c, &raw, &top, &variants, &producers, &names)?;
    Ok(Scenario {
        source: c.file.to_owned(),
        text: c.text.into(),
        title: raw.title.unwrap_or_else(|| Text::plain(c.file)),
        description: raw.description,
        seed: top.seed,
        duration: secs(top.duration_s),
        latency: super::millis(top.latency_ms),
        sample_step: secs(top.sample_step_s).max(1),
        topics,
        producers,
        consumers,
        faults,
        variants,
        steps,
    })
}

/// The scenario's own numbers.
pub(super) struct Top {
    seed: u64,
    pub(super) duration_s: f64,
    latency_ms: f64,
    sample_step_s: f64,
}

fn top_level(c: &Checker, raw: &RawScenario) -> Res<Top> {
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
    // At most `samples` samples over the run, however long it is: the lower bound wins over
    // the default's one second.
    let min_step = duration_s / l.samples;
    let sample_step_s = match &raw.sample_step_s {
        Some(v) => c.positive(v, "sample_step_s", duration_s)?.max(min_step),
        None => (duration_s / 200.0).min(1.0).max(min_step.max(0.001)),
    };
    Ok(Top {
        seed,
        duration_s,
        latency_ms,
        sample_step_s,
    })
}

fn require_sections(c: &Checker, raw: &RawScenario) -> Res<()> {
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
    Ok(())
}

/// Every name a producer publishes to or a consumer subscribes to, sorted: a topic's id is its
/// index.
fn topics(c: &Checker, raw: &RawScenario) -> Res<Vec<String>> {
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
    if topic_set.len() > LIMITS.topics {
        return Err(c.at(
            0,
            format!(
                "{} topics is over the limit of {}",
                topic_set.len(),
                LIMITS.topics
            ),
        ));
    }
    Ok(topic_set.into_iter().collect())
}

/// The id of a topic that [`topics`] collected.
fn topic_id(topics: &[String], name: &str) -> TopicId {
    let i = topics
        .binary_search_by(|t| t.as_str().cmp(name))
        .unwrap_or(0);
    TopicId::try_from(i).unwrap_or(0)
}

/// Producer and consumer names taken so far (they share one namespace), and the consumers'.
#[derive(Default)]
struct Names {
    taken: BTreeMap<String, &'static str>,
    consumers: BTreeSet<String>,
}

impl Names {
    fn unique(&mut self, c: &Checker, v: &Spanned<String>, what: &'static str) -> Res<String> {
        let n = c.name(v, what)?;
        if let Some(prev) = self.taken.insert(n.clone(), what) {
            return c.err(v, format!("the name {n:?} is already used by a {prev}"));
        }
        if what == "consumer" {
            self.consumers.insert(n.clone());
        }
        Ok(n)
    }
}

/// What the whole workload adds up to, checked against the limits as entries come.
#[derive(Default)]
struct Workload {
    streams: usize,
    messages: f64,
    keys_total: u64,
}

fn producers(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    topics: &[String],
    names: &mut Names,
) -> Res<Vec<Producer>> {
    let mut total = Workload::default();
    let mut producers = Vec::new();
    for rp in &raw.producer {
        let rp = rp.get_ref();
        let name = names.unique(c, &rp.name, "producer")?;
        if rp.publish.is_empty() {
            return c.err(
                &rp.name,
                format!("producer {name:?} publishes nothing: give it a publish list"),
            );
        }
        let publish = rp
            .publish
            .iter()
            .map(|pb| publish(c, pb.get_ref(), top, topics, &mut total))
            .collect::<Res<Vec<_>>>()?;
        producers.push(Producer { name, publish });
    }
    Ok(producers)
}

fn publish(
    c: &Checker,
    pb: &RawPublish,
    top: &Top,
    topics: &[String],
    total: &mut Workload,
) -> Res<Publish> {
    let l = LIMITS;
    let rate = c.positive(&pb.rate_per_s, "rate_per_s", l.rate_per_s)?;
    let keys = match &pb.keys {
        Some(k) => c.integer(k, "keys", 0, 1_000_000)?,
        None => 0,
    };
    let size = match &pb.size_bytes {
        Some(s) => c.integer(s, "size_bytes", 1, l.size_bytes)?,
        None => 100,
    };
    let duration_s = top.duration_s;
    total.messages += rate * duration_s;
    total.keys_total += u64::try_from(keys).unwrap_or(0);
    if total.messages > l.messages {
        return c.err(
            &pb.rate_per_s,
            format!(
                "the workload would create {:.0} messages or more over duration_s = {duration_s}; \
                 the limit is {:.0}: lower rate_per_s or duration_s",
                total.messages, l.messages
            ),
        );
    }
    if total.keys_total > l.keys_total {
        return c.err(
            &pb.rate_per_s,
            format!("more than {} keys in all", l.keys_total),
        );
    }
    total.streams += 1;
    if total.streams > l.publish_streams {
        return c.err(
            &pb.topic,
            format!("more than {} publish entries", l.publish_streams),
        );
    }
    Ok(Publish {
        topic: topic_id(topics, pb.topic.get_ref().trim()),
        rate_per_s: rate,
        keys: u32::try_from(keys).unwrap_or(0),
        size_bytes: u32::try_from(size).unwrap_or(1),
        arrivals: pb.arrivals.unwrap_or(Arrivals::Poisson),
    })
}

fn consumer(
    c: &Checker,
    rc: &Spanned<RawConsumer>,
    topics: &[String],
    names: &mut Names,
) -> Res<Consumer> {
    let rc = rc.get_ref();
    let name = names.unique(c, &rc.name, "consumer")?;
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
        .map(|t| topic_id(topics, t.get_ref().trim()))
        .collect();
    subscribe.sort_unstable();
    subscribe.dedup();
    let group = match &rc.group {
        Some(g) => c.name(g, "group")?,
        None => name.clone(),
    };
    let service_ms = match &rc.service_ms {
        Some(s) => c.number(s, "service_ms", 0.0, LIMITS.service_ms)?,
        None => 1.0,
    };
    Ok(Consumer {
        name,
        subscribe,
        group,
        service: super::millis(service_ms),
        service_dist: rc.service_dist.unwrap_or(ServiceDist::Fixed),
    })
}

/// The faults, in time order (a fault may name a consumer that an earlier add-consumer brings).
fn faults(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    topics: &[String],
    producers: &[Producer],
    names: &mut Names,
) -> Res<Vec<Fault>> {
    if raw.fault.len() > LIMITS.faults {
        return Err(c.at(
            raw.fault[LIMITS.faults].span().start,
            format!("more than {} faults", LIMITS.faults),
        ));
    }
    let mut sorted: Vec<&Spanned<RawFault>> = raw.fault.iter().collect();
    sorted.sort_by(|a, b| {
        a.get_ref()
            .at_s
            .get_ref()
            .total_cmp(b.get_ref().at_s.get_ref())
    });
    sorted
        .into_iter()
        .map(|rf| fault(c, rf.get_ref(), top, topics, producers, names))
        .collect()
}

fn fault(
    c: &Checker,
    f: &RawFault,
    top: &Top,
    topics: &[String],
    producers: &[Producer],
    names: &mut Names,
) -> Res<Fault> {
    let kind = *f.kind.get_ref();
    let at_s = c.number(&f.at_s, "at_s", 0.0, top.duration_s)?;
    let until = fault_until(c, f, kind, at_s)?;
    let factor = match &f.factor {
        Some(v) if kind != FaultKind::ConsumerSlow => {
            return c.err(
                v,
                format!("factor belongs to consumer-slow, not {}", kind.name()),
            );
        }
        Some(v) => c.number(v, "factor", 1.0, 10_000.0)?,
        None => 10.0,
    };
    if kind != FaultKind::AddConsumer {
        if let Some(rc) = &f.consumer {
            return c.err(
                rc,
                format!("`consumer` belongs to add-consumer, not {}", kind.name()),
            );
        }
    }
    let target = || fault_target(c, f, kind, topics, producers, names);
    let action = match kind {
        FaultKind::AddConsumer => {
            if let Some(t) = &f.target {
                return c.err(
                    t,
                    "add-consumer has no target: describe the new consumer in `consumer = { ... }`",
                );
            }
            let Some(rc) = &f.consumer else {
                return c.err(
                    &f.kind,
                    "add-consumer needs `consumer = { name = ..., subscribe = [...] }`",
                );
            };
            FaultAction::AddConsumer {
                consumer: consumer(c, rc, topics, names)?,
            }
        }
        FaultKind::ConsumerOffline => FaultAction::ConsumerOffline {
            consumer: target()?,
            until,
        },
        FaultKind::ConsumerCrash => FaultAction::ConsumerCrash {
            consumer: target()?,
            until,
        },
        FaultKind::ConsumerSlow => FaultAction::ConsumerSlow {
            consumer: target()?,
            factor,
            until,
        },
        FaultKind::LinkDown => FaultAction::LinkDown {
            target: target()?,
            until,
        },
        FaultKind::BrokerCrash => FaultAction::BrokerCrash {
            topic: match &f.target {
                Some(_) => Some(topic_id(topics, &target()?)),
                None => None,
            },
            until,
        },
    };
    Ok(Fault {
        at: secs(at_s),
        action,
    })
}

fn fault_until(c: &Checker, f: &RawFault, kind: FaultKind, at_s: f64) -> Res<Option<Nanos>> {
    let Some(u) = &f.until_s else {
        return Ok(None);
    };
    let u_s = c.number(u, "until_s", 0.0, LIMITS.duration_s)?;
    if u_s <= at_s {
        return c.err(u, format!("until_s ({u_s}) must be after at_s ({at_s})"));
    }
    if kind == FaultKind::AddConsumer {
        return c.err(u, "add-consumer takes no until_s: the consumer stays");
    }
    Ok(Some(secs(u_s)))
}

/// The target a fault of `kind` needs, checked against what the scenario has.
fn fault_target(
    c: &Checker,
    f: &RawFault,
    kind: FaultKind,
    topics: &[String],
    producers: &[Producer],
    names: &Names,
) -> Res<String> {
    let Some(t) = &f.target else {
        let what = match kind {
            FaultKind::LinkDown => "a target producer or consumer",
            _ => "a target consumer",
        };
        return c.err(&f.kind, format!("{} needs {what}", kind.name()));
    };
    let n = t.get_ref().trim();
    let known = match kind {
        FaultKind::LinkDown => names.consumers.contains(n) || producers.iter().any(|p| p.name == n),
        FaultKind::BrokerCrash => topics.binary_search_by(|x| x.as_str().cmp(n)).is_ok(),
        _ => names.consumers.contains(n),
    };
    if known {
        return Ok(n.to_owned());
    }
    let message = match kind {
        FaultKind::LinkDown => format!("target {n:?} names no producer or consumer"),
        FaultKind::BrokerCrash => format!(
            "broker-crash target {:?} names no topic: give the topic whose broker crashes, or no target for every broker",
            t.get_ref()
        ),
        _ => format!(
            "target {:?} names no consumer (known: {})",
            t.get_ref(),
            list(&names.consumers)
        ),
    };
    c.err(t, message)
}

fn variants(c: &Checker, raw: &RawScenario) -> Res<Vec<Variant>> {
    if raw.variant.len() > LIMITS.variants {
        return c.err(
            &raw.variant[LIMITS.variants],
            format!("more than {} variants", LIMITS.variants),
        );
    }
    let mut variants: Vec<Variant> = Vec::new();
    for rv in &raw.variant {
        let v = rv.get_ref();
        let name = c.name(&v.name, "variant")?;
        if variants.iter().any(|x| x.name == name) {
            return c.err(&v.name, format!("a variant named {name:?} exists already"));
        }
        let system = system(c, v)?;
        variants.push(Variant { name, system });
    }
    Ok(variants)
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
            return c.err(
                b,
                format!("shape {} has no broker: remove `broker`", shape.name()),
            );
        }
        _ => {}
    }
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
    for (key, span) in written {
        if let Some(span) = span.filter(|_| !mine(key)) {
            return Err(c.at(
                span.start,
                format!("`{key}` options do not apply to a {owner} variant"),
            ));
        }
    }
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

/// Options as written, or their defaults.
fn given<T: Clone + Default>(o: &Option<Spanned<T>>) -> T {
    o.as_ref().map(|o| o.get_ref().clone()).unwrap_or_default()
}

fn steps(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    variants: &[Variant],
    producers: &[Producer],
    names: &Names,
) -> Res<Vec<Step>> {
    if raw.step.len() > LIMITS.steps {
        return c.err(
            &raw.step[LIMITS.steps],
            format!("more than {} steps", LIMITS.steps),
        );
    }
    let mut steps = Vec::new();
    let mut last_run_to = 0.0;
    for rs in &raw.step {
        let s = rs.get_ref();
        let run_to_s = c.number(&s.run_to_s, "run_to_s", 0.0, top.duration_s)?;
        if run_to_s < last_run_to {
            return c.err(&s.run_to_s, format!(
                "run_to_s ({run_to_s}) goes back before the previous step's ({last_run_to}): steps move forward"
            ));
        }
        last_run_to = run_to_s;
        let show = s
            .show
            .iter()
            .map(|n| variant_named(c, n, variants, "show"))
            .collect::<Res<Vec<_>>>()?;
        let expect = s
            .expect
            .iter()
            .map(|re| expectation(c, re, variants))
            .collect::<Res<Vec<_>>>()?;
        let answer = answer(c, rs, s)?;
        let highlight = s
            .highlight
            .iter()
            .map(|h| {
                let n = h.get_ref().trim();
                let known = producers.iter().any(|p| p.name == n) || names.consumers.contains(n);
                if known {
                    Ok(n.to_owned())
                } else {
                    c.err(h, format!("highlight names no producer or consumer: {n:?}"))
                }
            })
            .collect::<Res<Vec<_>>>()?;
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
    Ok(steps)
}

/// A variant name a step refers to (`what`: the field).
fn variant_named(
    c: &Checker,
    n: &Spanned<String>,
    variants: &[Variant],
    what: &str,
) -> Res<String> {
    let name = n.get_ref().trim();
    if variants.iter().any(|v| v.name == name) {
        return Ok(name.to_owned());
    }
    c.err(
        n,
        format!(
            "{what} names no variant: {name:?} (variants: {})",
            variant_list(variants)
        ),
    )
}

fn expectation(c: &Checker, re: &Spanned<RawExpect>, variants: &[Variant]) -> Res<Expect> {
    let e = re.get_ref();
    let variant = variant_named(c, &e.variant, variants, "expect")?;
    // Its name is checked against the metric catalogue a layer up (`lesson::validate`).
    let metric = e.metric.get_ref().trim();
    if metric.is_empty() {
        return c.err(&e.metric, "expect needs a metric name");
    }
    if !e.value.is_finite() {
        return c.err(re, "expect value must be a finite number");
    }
    let (line, col) = line_col(c.text, re.span().start);
    let (metric_line, metric_col) = line_col(c.text, e.metric.span().start);
    Ok(Expect {
        variant,
        metric: metric.to_owned(),
        op: e.op,
        value: e.value,
        line,
        col,
        metric_line,
        metric_col,
    })
}

/// The index of the right choice, which a step with choices needs (and one without may not have).
fn answer(c: &Checker, rs: &Spanned<RawStep>, s: &RawStep) -> Res<Option<usize>> {
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
    Ok(answer)
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

/// An option's problem, pointed at the value itself when it is written out (the option structs
/// carry no spans), else at the options table, else at the variant's name.
fn option_error(c: &Checker, v: &RawVariant, key: &str, field: &str, why: String) -> ScenarioError {
    let table = match key {
        "direct" => v.direct.as_ref().map(|o| o.span().start),
        "channel" => v.channel.as_ref().map(|o| o.span().start),
        "redis" => v.redis.as_ref().map(|o| o.span().start),
        "rabbitmq" => v.rabbitmq.as_ref().map(|o| o.span().start),
        _ => v.kafka.as_ref().map(|o| o.span().start),
    };
    let offset = option_value_offset(c.text, v.name.span().start, key, field).or(table);
    c.at(
        offset.unwrap_or(v.name.span().start),
        format!("{key}.{field} {why}"),
    )
}

fn finite_range(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x >= lo && x <= hi
}

fn check_direct(c: &Checker, v: &RawVariant, o: DirectOptions) -> Res<DirectOptions> {
    let fail = |field: &str, why: String| option_error(c, v, "direct", field, why);
    if !finite_range(o.retry_ms, 0.001, 3_600_000.0) {
        return Err(fail(
            "retry_ms",
            format!("must be in (0, 3600000], got {}", o.retry_ms),
        ));
    }
    if o.max_retries > 65_535 {
        return Err(fail("max_retries", "is over the limit of 65535".into()));
    }
    Ok(o)
}

fn check_channel(c: &Checker, v: &RawVariant, o: ChannelOptions) -> Res<ChannelOptions> {
    if o.capacity > 10_000_000 {
        let why = "is over the limit of 10000000".into();
        return Err(option_error(c, v, "channel", "capacity", why));
    }
    Ok(o)
}

fn check_redis(c: &Checker, v: &RawVariant, o: RedisOptions) -> Res<RedisOptions> {
    let fail = |field: &str, why: String| option_error(c, v, "redis", field, why);
    let in_range = |fields: &[(&str, f64)]| -> Res<()> {
        match fields.iter().find(|(_, x)| !finite_range(*x, 0.0, 1e9)) {
            Some((field, x)) => Err(fail(field, format!("must be between 0 and 1e9, got {x}"))),
            None => Ok(()),
        }
    };
    in_range(&[
        ("pubsub_hard_mb", o.pubsub_hard_mb),
        ("pubsub_soft_mb", o.pubsub_soft_mb),
        ("pubsub_soft_s", o.pubsub_soft_s),
        ("reconnect_ms", o.reconnect_ms),
    ])?;
    if o.read_count == 0 || o.read_count > 100_000 {
        return Err(fail(
            "read_count",
            format!("must be 1 to 100000, got {}", o.read_count),
        ));
    }
    in_range(&[
        ("min_idle_ms", o.min_idle_ms),
        ("autoclaim_every_ms", o.autoclaim_every_ms),
    ])?;
    if o.autoclaim_every_ms < 1.0 {
        let why = format!("must be at least 1, got {}", o.autoclaim_every_ms);
        return Err(fail("autoclaim_every_ms", why));
    }
    if o.maxlen > 1_000_000_000 {
        return Err(fail("maxlen", "is over the limit of 1000000000".into()));
    }
    if o.save.len() > 16 {
        return Err(fail("save", "has more than 16 rules".into()));
    }
    if let Some((secs, changes)) = o
        .save
        .iter()
        .find(|(s, n)| *s == 0 || *n == 0 || *s > 1_000_000_000)
    {
        return Err(fail("save", format!(
            "rules are [seconds, changes], both at least 1 (seconds at most 1e9), got [{secs}, {changes}]"
        )));
    }
    Ok(o)
}

fn check_rabbitmq(
    c: &Checker,
    v: &RawVariant,
    shape: Shape,
    o: RabbitOptions,
) -> Res<RabbitOptions> {
    let fail = |field: &str, why: &str| option_error(c, v, "rabbitmq", field, why.to_owned());
    if o.queue_type == QueueType::Quorum && !o.durable {
        return Err(fail(
            "durable",
            "must be true for a quorum queue: quorum queues are always durable",
        ));
    }
    if o.queue_type == QueueType::Quorum && o.exclusive {
        return Err(fail(
            "exclusive",
            "must be false for a quorum queue: quorum queues cannot be exclusive",
        ));
    }
    if o.prefetch > 65_535 {
        return Err(fail("prefetch", "is over AMQP's limit of 65535"));
    }
    if o.exchange == ExchangeKind::Topic && shape == Shape::BrokerPerTopic {
        let at = option_value_offset(c.text, v.name.span().start, "rabbitmq", "exchange")
            .or(v.rabbitmq.as_ref().map(|o| o.span().start))
            .unwrap_or(v.name.span().start);
        return Err(c.at(
            at,
            "rabbitmq.exchange \"topic\" routes within one broker: use shape single-broker \
             (broker-per-topic gives every topic its own broker and exchange)",
        ));
    }
    Ok(o)
}

fn check_kafka(c: &Checker, v: &RawVariant, o: KafkaOptions) -> Res<KafkaOptions> {
    let fail = |field: &str, why: String| option_error(c, v, "kafka", field, why);
    let l = LIMITS;
    if o.partitions == 0 || o.partitions > l.partitions {
        let why = format!("must be 1 to {}, got {}", l.partitions, o.partitions);
        return Err(fail("partitions", why));
    }
    if o.replication == 0 || o.replication > l.replication {
        let why = format!("must be 1 to {}, got {}", l.replication, o.replication);
        return Err(fail("replication", why));
    }
    if !finite_range(o.retention_s, 0.001, 1e12) {
        return Err(fail(
            "retention_s",
            format!("must be greater than 0, got {}", o.retention_s),
        ));
    }
    if o.retention_bytes < -1 || o.retention_bytes == 0 {
        let why = format!(
            "must be -1 (unlimited) or positive, got {}",
            o.retention_bytes
        );
        return Err(fail("retention_bytes", why));
    }
    for (field, x) in [
        ("auto_commit_ms", o.auto_commit_ms),
        ("session_timeout_ms", o.session_timeout_ms),
        ("max_poll_interval_ms", o.max_poll_interval_ms),
    ] {
        if !finite_range(x, 1.0, 1e9) {
            return Err(fail(field, format!("must be between 1 and 1e9, got {x}")));
        }
    }
    if o.segment_bytes < 14 || o.segment_bytes > 1 << 40 {
        let why = format!(
            "must be 14 (a record's overhead) to 2^40, got {}",
            o.segment_bytes
        );
        return Err(fail("segment_bytes", why));
    }
    if !finite_range(o.segment_ms, 1.0, 1e13) {
        return Err(fail(
            "segment_ms",
            format!("must be between 1 and 1e13, got {}", o.segment_ms),
        ));
    }
    if o.max_poll_records == 0 || o.max_poll_records > 100_000 {
        let why = format!("must be 1 to 100000, got {}", o.max_poll_records);
        return Err(fail("max_poll_records", why));
    }
    Ok(o)
}
