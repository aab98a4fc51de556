//! TOML to [`Scenario`]: serde reads the raw shape (unknown fields and wrong types are caught
//! there, with their span), then `validate` checks names, numbers and limits, section by
//! section (`faults`, `options` for the variants, `steps`), reporting every independent problem
//! to the [`Checker`].

mod checker;
mod faults;
mod options;
mod steps;
mod sweeps;

pub(super) use checker::{Checker, Reported, Res};

use super::diagnostic::Diagnostic;
use super::{
    rules, secs, Arrivals, BrokerKind, ChannelOptions, Consumer, DirectOptions, FaultKind,
    KafkaOptions, Op, Producer, Publish, RabbitOptions, RedisOptions, Scenario, ScenarioError,
    ServiceDist, Shape, Text, TopicId,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Limits that protect memory and time. Over one is an error that names it (and, for the
/// budgets that multiply out, the estimate). Under every limit a run's memory is bounded: what
/// grows with a run is held per message (a retained log record: 4 to 8 bytes), per expected
/// delivery (a cell while it is pending: 2 to 8 bytes), per group and partition (offsets) and
/// per group and key (ordering checks).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub nodes: usize,
    pub publish_streams: usize,
    pub topics: usize,
    pub variants: usize,
    pub faults: usize,
    pub steps: usize,
    pub sweeps: usize,
    /// Knobs in one step's `set` (each step with a set is a run of its own from 0 s).
    pub step_knobs: usize,
    pub rate_per_s: f64,
    /// Messages a run creates (within the 32-bit message ids).
    pub messages: f64,
    /// Deliveries a run expects: each message times the consumer groups of its topic.
    pub deliveries: f64,
    /// Kafka partitions (of every topic) times consumer groups: offsets kept per pair.
    pub partition_groups: f64,
    /// Key slots times consumer groups: the newest message of each key, kept per group.
    pub key_groups: f64,
    /// Timer firings and retries a variant makes that no message pays for: Kafka's auto-commits
    /// and retention checks, Redis streams' autoclaims and save checks, direct retries (at most
    /// `max_retries` a delivery).
    pub timer_work: f64,
    /// Kafka's retention checks times the partitions each looks at (a few nanoseconds each).
    pub partition_checks: f64,
    pub keys_total: u64,
    pub duration_s: f64,
    pub latency_ms: f64,
    pub service_ms: f64,
    pub size_bytes: i64,
    pub partitions: u32,
    pub replication: u32,
    pub samples: f64,
    /// Bytes of a scenario or notes file: it is read whole into memory.
    pub file_bytes: u64,
}

/// Variants a step shows at once: the app's panes side by side.
pub const SHOWN_MAX: usize = 5;

pub const LIMITS: Limits = Limits {
    nodes: 2000,
    publish_streams: 10_000,
    topics: 1000,
    variants: 8,
    faults: 1000,
    steps: 100,
    sweeps: 20,
    step_knobs: 64,
    rate_per_s: 1_000_000.0,
    messages: 200_000_000.0,
    deliveries: 250_000_000.0,
    partition_groups: 4_000_000.0,
    key_groups: 50_000_000.0,
    timer_work: 100_000_000.0,
    partition_checks: 1_000_000_000.0,
    keys_total: 1_000_000,
    duration_s: 10_000_000.0,
    latency_ms: 60_000.0,
    service_ms: 3_600_000.0,
    size_bytes: 16 * 1024 * 1024,
    partitions: 1024,
    replication: 7,
    samples: 10_000.0,
    file_bytes: 16 * 1024 * 1024,
};

/// A scenario file: one workload (producers, consumers), the topologies that carry it
/// (variants), faults, and for a lesson its narrated steps.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "brokerlab scenario", rename = "Scenario")]
#[schemars(transform = required_sections)]
pub(super) struct RawScenario {
    /// Shown in the app and in reports; default: the file's name.
    title: Option<Text>,
    /// A longer text shown under the title.
    description: Option<Text>,
    /// Seed of the random streams: the same seed gives the same run, byte for byte.
    #[schemars(with = "Option<i64>", transform = rules::SEED.in_schema())]
    #[schemars(extend("default" = rules::SEED_DEFAULT))]
    seed: Option<Spanned<i64>>,
    /// Simulated seconds a run lasts.
    #[schemars(with = "Option<f64>", transform = rules::DURATION_S.in_schema())]
    #[schemars(extend("default" = rules::DURATION_S_DEFAULT))]
    duration_s: Option<Spanned<f64>>,
    /// One network hop, in milliseconds.
    #[schemars(with = "Option<f64>", transform = rules::LATENCY_MS.in_schema())]
    #[schemars(extend("default" = rules::LATENCY_MS_DEFAULT))]
    latency_ms: Option<Spanned<f64>>,
    /// Step of the time series a viewer plots, at most `duration_s`; default: `duration_s` /
    /// 200, at most 1 s.
    #[schemars(with = "Option<f64>", transform = rules::SAMPLE_STEP_S.in_schema())]
    sample_step_s: Option<Spanned<f64>>,
    /// Who publishes what (at least one).
    #[serde(default)]
    #[schemars(with = "Vec<RawProducer>")]
    pub(super) producer: Vec<Spanned<RawProducer>>,
    /// Who reads what (at least one).
    #[serde(default)]
    #[schemars(with = "Vec<RawConsumer>")]
    consumer: Vec<Spanned<RawConsumer>>,
    /// What goes wrong, and when.
    #[serde(default)]
    #[schemars(with = "Vec<RawFault>", extend("maxItems" = LIMITS.faults))]
    fault: Vec<Spanned<RawFault>>,
    /// The topologies the workload runs through, side by side (at least one).
    #[serde(default)]
    #[schemars(with = "Vec<RawVariant>", extend("maxItems" = LIMITS.variants))]
    pub(super) variant: Vec<Spanned<RawVariant>>,
    /// A lesson's steps, in order.
    #[serde(default)]
    #[schemars(with = "Vec<RawStep>", extend("maxItems" = LIMITS.steps))]
    step: Vec<Spanned<RawStep>>,
    /// A lesson's sweeps: the scenario run over a grid of parameter values, which steps draw
    /// as curves and check at points.
    #[serde(default)]
    #[schemars(with = "Vec<sweeps::RawSweep>", extend("maxItems" = LIMITS.sweeps))]
    sweep: Vec<Spanned<sweeps::RawSweep>>,
}

/// A producer: a name and what it publishes.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Producer")]
pub(super) struct RawProducer {
    /// Unique among producers and consumers.
    #[schemars(with = "String", transform = rules::name_in_schema)]
    name: Spanned<String>,
    /// One entry per topic it publishes to.
    #[schemars(with = "Vec<RawPublish>")]
    pub(super) publish: Vec<Spanned<RawPublish>>,
}

/// What a producer publishes to one topic.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Publish")]
pub(super) struct RawPublish {
    /// The topic it publishes to; consumers subscribe to it by name.
    #[schemars(with = "String", transform = rules::name_in_schema)]
    topic: Spanned<String>,
    /// Messages per simulated second.
    #[schemars(with = "f64", transform = rules::RATE_PER_S.in_schema())]
    pub(super) rate_per_s: Spanned<f64>,
    /// Distinct keys, drawn uniformly; 0 = records without a key.
    #[schemars(with = "Option<i64>", transform = rules::KEYS.in_schema())]
    #[schemars(extend("default" = rules::KEYS_DEFAULT))]
    pub(super) keys: Option<Spanned<i64>>,
    /// Bytes per message: what brokers store and buffers hold.
    #[schemars(with = "Option<i64>", transform = rules::SIZE_BYTES.in_schema())]
    #[schemars(extend("default" = rules::SIZE_BYTES_DEFAULT))]
    size_bytes: Option<Spanned<i64>>,
    /// Poisson (random gaps, the default) or constant gaps.
    #[schemars(extend("default" = Arrivals::Poisson))]
    arrivals: Option<Arrivals>,
}

/// A consumer: what it subscribes to and how long it takes per message.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Consumer")]
struct RawConsumer {
    /// Unique among producers and consumers.
    #[schemars(with = "String", transform = rules::name_in_schema)]
    name: Spanned<String>,
    /// Topics (binding keys behind a RabbitMQ direct or topic exchange).
    #[schemars(with = "Vec<String>", extend("minItems" = 1), transform = rules::names_in_schema)]
    subscribe: Spanned<Vec<Spanned<String>>>,
    /// Consumers with the same group share the work; default: its own group.
    #[schemars(with = "Option<String>", transform = rules::name_in_schema)]
    group: Option<Spanned<String>>,
    /// Milliseconds to process one message.
    #[schemars(with = "Option<f64>", transform = rules::SERVICE_MS.in_schema())]
    #[schemars(extend("default" = rules::SERVICE_MS_DEFAULT))]
    service_ms: Option<Spanned<f64>>,
    /// Fixed (the default) or exponential with mean `service_ms`.
    #[schemars(extend("default" = ServiceDist::Fixed))]
    service_dist: Option<ServiceDist>,
}

/// A fault: what happens to whom, from `at_s` (until `until_s`, for those that heal).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fault")]
struct RawFault {
    /// What happens.
    #[schemars(with = "FaultKind")]
    kind: Spanned<FaultKind>,
    /// The consumer (producer or consumer for link-down; topic for broker-crash, none = every
    /// broker). add-consumer has none.
    #[schemars(with = "Option<String>")]
    target: Option<Spanned<String>>,
    /// Simulated seconds, at most `duration_s`.
    #[schemars(with = "f64", transform = rules::AT_S.in_schema())]
    at_s: Spanned<f64>,
    /// When it heals (after `at_s`); none: it lasts. Not for add-consumer.
    #[schemars(with = "Option<f64>", transform = rules::UNTIL_S.in_schema())]
    until_s: Option<Spanned<f64>>,
    /// consumer-slow: how many times slower.
    #[schemars(with = "Option<f64>", transform = rules::FACTOR.in_schema())]
    #[schemars(extend("default" = rules::FACTOR_DEFAULT))]
    factor: Option<Spanned<f64>>,
    /// add-consumer: the consumer that joins at `at_s`.
    #[schemars(with = "Option<RawConsumer>")]
    consumer: Option<Spanned<RawConsumer>>,
}

/// A topology the workload runs through. A broker shape names its `broker`; only the options
/// table of its own system applies.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Variant")]
pub(super) struct RawVariant {
    /// Unique among variants; steps and `--variant` name it.
    #[schemars(with = "String", transform = rules::name_in_schema)]
    pub(super) name: Spanned<String>,
    /// How messages move: direct links, an IPC channel, or brokers in one of three shapes.
    #[schemars(with = "Shape")]
    shape: Spanned<Shape>,
    /// Required by single-broker, broker-per-topic and central-log; refused by direct, channel.
    #[schemars(with = "Option<BrokerKind>")]
    broker: Option<Spanned<BrokerKind>>,
    /// Options of shape direct.
    #[schemars(with = "Option<DirectOptions>")]
    direct: Option<Spanned<DirectOptions>>,
    /// Options of shape channel.
    #[schemars(with = "Option<ChannelOptions>")]
    channel: Option<Spanned<ChannelOptions>>,
    /// redis-pubsub and redis-stream.
    #[schemars(with = "Option<RedisOptions>")]
    redis: Option<Spanned<RedisOptions>>,
    /// Options of broker rabbitmq.
    #[schemars(with = "Option<RabbitOptions>")]
    rabbitmq: Option<Spanned<RabbitOptions>>,
    /// Options of broker kafka.
    #[schemars(with = "Option<KafkaOptions>")]
    kafka: Option<Spanned<KafkaOptions>>,
}

/// A lesson step: what to read, which variants to show, a question, and the expectations
/// checked when the simulation reaches `run_to_s`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step")]
struct RawStep {
    /// The step's heading.
    title: Text,
    /// What the learner reads.
    text: Option<Text>,
    /// Variants shown (1 to 5); default: all.
    #[serde(default)]
    #[schemars(with = "Vec<String>", extend("maxItems" = SHOWN_MAX))]
    show: Vec<Spanned<String>>,
    /// Simulated seconds to run to, at most `duration_s`, never before the previous step's.
    #[schemars(with = "f64", transform = rules::RUN_TO_S.in_schema())]
    run_to_s: Spanned<f64>,
    /// A question asked before the reveal.
    ask: Option<Text>,
    /// Answers the learner picks from before the reveal; `answer` is the right one's index.
    #[serde(default)]
    choices: Vec<Text>,
    /// The index (from 0) of the right choice.
    #[schemars(with = "Option<i64>", transform = rules::ANSWER.in_schema())]
    answer: Option<Spanned<i64>>,
    /// Producers and consumers the step points at: a viewer highlights them.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    highlight: Vec<Spanned<String>>,
    /// Checked when the step's `run_to_s` is reached; `brokerlab check` runs them.
    #[serde(default)]
    #[schemars(with = "Vec<RawExpect>")]
    expect: Vec<Spanned<RawExpect>>,
    /// A `[[sweep]]` whose curves the step draws (default: the one its expectations name).
    #[schemars(with = "Option<String>")]
    sweep: Option<Spanned<String>>,
    /// Knobs for this step only, as `--set` takes them (`{ "consumer.archiver.service_ms" = 2.0 }`):
    /// the step runs the scenario with these values from 0 s, as if the file had them; a step
    /// without `set` runs the file as it is.
    #[schemars(with = "Option<std::collections::BTreeMap<String, sweeps::AtValue>>")]
    set: Option<Spanned<sweeps::RawAt>>,
}

/// `metric op value` about one variant when the step's time is reached.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expect")]
struct RawExpect {
    /// A variant of this scenario.
    #[schemars(with = "String")]
    variant: Spanned<String>,
    /// A metric of `brokerlab run` (nested ones dotted: `latency_ms.p99`).
    #[schemars(with = "String")]
    metric: Spanned<String>,
    /// How the measured value compares with `value`.
    op: Op,
    /// The number the metric is compared with.
    value: f64,
    /// A `[[sweep]]`: the expectation is about its point `at` (the mean over its seeds), not
    /// about the step's run.
    #[schemars(with = "Option<String>")]
    sweep: Option<Spanned<String>>,
    /// With `sweep`: the point, a value for each swept path (`{ "scale.producers" = 4 }`).
    #[schemars(with = "Option<std::collections::BTreeMap<String, sweeps::AtValue>>")]
    at: Option<Spanned<sweeps::RawAt>>,
}

/// Parse and validate scenario text. `file` is used in messages.
///
/// # Errors
/// The first problem found, with its line and column (see [`Scenario::parse`] for them all).
pub fn parse_scenario(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(file, text).map_err(|d| d.first())
}

/// Parse and validate scenario text: the scenario, or every problem found (unsorted).
pub(super) fn parse(file: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let raw: RawScenario = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return Err(serde_problems(text, &e)),
    };
    let wrong = super::schema::wrong_types(text);
    if !wrong.is_empty() {
        return Err(wrong);
    }
    let c = Checker::new(file, text);
    match validate(&c, raw) {
        Ok(s) if !c.failed() => Ok(s),
        _ => Err(c.into_found()),
    }
}

/// serde stops at the first problem of a file. When the file is TOML, the schema finds the
/// other misspelt fields, unknown names and wrong types too (each with the nearest valid name);
/// a syntax error stops there.
fn serde_problems(text: &str, e: &toml::de::Error) -> Vec<Diagnostic> {
    let first = serde_problem(text, e);
    let mut found: Vec<Diagnostic> = super::schema::name_problems(text);
    // At the same place, the schema's account wins over serde's: it has the help, and it words
    // a wrong type as it does every other one ("expected number", where serde says "f64").
    if !found
        .iter()
        .any(|d| (d.line, d.col) == (first.line, first.col))
    {
        found.insert(0, first);
    }
    found
}

/// serde's error in the file's words.
fn serde_problem(text: &str, e: &toml::de::Error) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let offset = span.start;
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
    // Rust's names for numbers read as jargon in a scenario file.
    if let Some(at) = message.find(" as i128, expected ") {
        let head = message[..at].replacen("invalid type: integer", "integer", 1);
        message = format!("{head} is too large: the most is {}", i64::MAX);
    }
    // TOML's integers end at i64::MAX; toml says so in Rust's words.
    if message.contains("invalid value: integer `") {
        if let Some(head) = message.strip_suffix("expected i64") {
            message = format!("{head}the most is {}", i64::MAX);
        }
    }
    if message.ends_with("u64 value was too large") {
        message = format!("integer too large: the most is {}", i64::MAX);
    }
    let whole = |max: u64| format!("expected a whole number from 0 to {max}");
    for (rust, plain) in [
        ("expected f64", "expected number".to_owned()),
        ("expected f32", "expected number".to_owned()),
        ("expected i64", "expected integer".to_owned()),
        ("expected u64", whole(i64::MAX.unsigned_abs())),
        ("expected u32", whole(u32::MAX.into())),
        ("expected u16", whole(u16::MAX.into())),
        ("expected u8", whole(u8::MAX.into())),
        ("expected usize", whole(i64::MAX.unsigned_abs())),
    ] {
        if let Some(head) = message.strip_suffix(rust) {
            message = format!("{head}{plain}");
        }
    }
    // An unclosed `[` or `{` followed by more lines reads to toml as a missing comma at the
    // next line: say what the likelier mistake is.
    if message.starts_with("missing comma between array elements") {
        message.push_str(" (or is the `]` closing an array above missing?)");
    } else if message.starts_with("missing comma between key-value pairs") {
        message.push_str(" (or is the `}` closing an inline table above missing?)");
    }
    Diagnostic::at(text, span, message)
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
/// function of their own. A problem is recorded and the checks go on with the next entry; what
/// depends on the whole (the budgets) is checked only when everything else holds.
fn validate(c: &Checker, raw: RawScenario) -> Res<Scenario> {
    let top = top_level(c, &raw);
    require_sections(c, &raw);
    let topics = topics(c, &raw);
    let mut names = Names::default();
    let producers = producers(c, &raw, &top, &topics, &mut names);
    let consumers: Vec<Consumer> = raw
        .consumer
        .iter()
        .filter_map(|rc| consumer(c, rc, &topics, &mut names).ok())
        .collect();
    let faults = faults::faults(c, &raw, &top, &topics, &mut names);
    let people = names.taken.len();
    if people > LIMITS.nodes {
        let why = format!(
            "{people} producers and consumers is over the limit of {}",
            LIMITS.nodes
        );
        // At the name that went over.
        return Err(c.at(names.over.unwrap_or(0), why));
    }
    let variants = options::variants(c, &raw);
    let sweeps = sweeps::sweeps(c, &raw, &top, &variants);
    let steps = steps::steps(c, &raw, &top, &variants, &names, &sweeps);
    let variants = variants.valid;
    if c.failed() {
        return Err(Reported);
    }
    super::budget::check(
        c, &raw, &top, &topics, &producers, &consumers, &faults, &variants,
    )?;
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
        sweeps,
    })
}

/// The scenario's own numbers. A bad one is reported and its default stands in, so that the
/// sections can be checked; a bad duration makes the bounds that depend on it the widest.
pub(super) struct Top {
    seed: u64,
    pub(super) duration_s: f64,
    /// `duration_s` was written right (or left out): the totals over the run can be estimated.
    duration_known: bool,
    latency_ms: f64,
    sample_step_s: f64,
}

fn top_level(c: &Checker, raw: &RawScenario) -> Top {
    let seed = raw.seed.as_ref().map_or(Ok(rules::SEED_DEFAULT), |s| {
        c.integer(s, "seed", rules::SEED)
    });
    let duration = raw
        .duration_s
        .as_ref()
        .map_or(Ok(rules::DURATION_S_DEFAULT), |d| {
            c.number(d, "duration_s", rules::DURATION_S)
        });
    let latency_ms = raw
        .latency_ms
        .as_ref()
        .map_or(Ok(rules::LATENCY_MS_DEFAULT), |v| {
            c.number(v, "latency_ms", rules::LATENCY_MS)
        });
    let duration_known = duration.is_ok();
    let duration_s = duration.unwrap_or(LIMITS.duration_s);
    // At most `samples` samples over the run, however long it is: the lower bound wins over
    // the default's one second.
    let min_step = duration_s / LIMITS.samples;
    let sample_step_s = match &raw.sample_step_s {
        Some(v) => c
            .number(v, "sample_step_s", rules::SAMPLE_STEP_S.up_to(duration_s))
            .map_or(1.0, |s| s.max(min_step)),
        None => (duration_s / 200.0).min(1.0).max(min_step.max(0.001)),
    };
    Top {
        seed: seed.ok().and_then(|s| u64::try_from(s).ok()).unwrap_or(1),
        duration_s,
        duration_known,
        latency_ms: latency_ms.unwrap_or(rules::LATENCY_MS_DEFAULT),
        sample_step_s,
    }
}

/// The sections a scenario cannot do without, and what to write when one is missing.
pub(super) const REQUIRED_SECTIONS: [(&str, &str); 3] = [
    (
        "producer",
        "no [[producer]]: a scenario needs at least one producer",
    ),
    (
        "consumer",
        "no [[consumer]]: a scenario needs at least one consumer",
    ),
    (
        "variant",
        "no [[variant]]: name at least one topology (shape = \"direct\", ...)",
    ),
];

fn require_sections(c: &Checker, raw: &RawScenario) {
    for (section, why) in REQUIRED_SECTIONS {
        let empty = match section {
            "producer" => raw.producer.is_empty(),
            "consumer" => raw.consumer.is_empty(),
            _ => raw.variant.is_empty(),
        };
        if empty {
            c.at(0, why);
        }
    }
}

/// The JSON Schema's `required` of the file: [`REQUIRED_SECTIONS`].
pub(super) fn required_sections(schema: &mut schemars::Schema) {
    let names: Vec<&str> = REQUIRED_SECTIONS.iter().map(|(s, _)| *s).collect();
    schema.insert("required".into(), names.into());
}

/// Every name a producer publishes to or a consumer subscribes to, sorted: a topic's id is its
/// index.
fn topics(c: &Checker, raw: &RawScenario) -> Vec<String> {
    let mut topic_set = BTreeSet::new();
    let published = raw
        .producer
        .iter()
        .flat_map(|p| &p.get_ref().publish)
        .map(|pb| &pb.get_ref().topic);
    let added = raw
        .fault
        .iter()
        .filter_map(|f| f.get_ref().consumer.as_ref());
    let subscribed = raw
        .consumer
        .iter()
        .chain(added)
        .flat_map(|rc| rc.get_ref().subscribe.get_ref());
    let mut over = None;
    for t in published.chain(subscribed) {
        if let Ok(name) = c.name(t, "topic") {
            topic_set.insert(name);
            if topic_set.len() == LIMITS.topics + 1 && over.is_none() {
                over = Some(t.span().start);
            }
        }
    }
    if topic_set.len() > LIMITS.topics {
        let why = format!(
            "{} topics is over the limit of {}",
            topic_set.len(),
            LIMITS.topics
        );
        // At the first name past the limit (producers' in file order, then consumers').
        c.at(over.unwrap_or(0), why);
    }
    topic_set.into_iter().collect()
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
    /// Where the name that passed the node limit starts.
    over: Option<usize>,
}

impl Names {
    fn unique(&mut self, c: &Checker, v: &Spanned<String>, what: &'static str) -> Res<String> {
        let n = c.name(v, what)?;
        if let Some(prev) = self.taken.insert(n.clone(), what) {
            return c.err(v, format!("the name {n:?} is already used by a {prev}"));
        }
        if self.taken.len() == LIMITS.nodes + 1 && self.over.is_none() {
            self.over = Some(v.span().start);
        }
        if what == "consumer" {
            self.consumers.insert(n.clone());
        }
        Ok(n)
    }

    fn is_producer(&self, n: &str) -> bool {
        self.taken.get(n) == Some(&"producer")
    }
}

/// What the whole workload adds up to, and the entry where each total went over its limit.
#[derive(Default)]
struct Workload {
    streams: usize,
    messages: f64,
    keys_total: u64,
    messages_over: Option<(std::ops::Range<usize>, f64)>,
    keys_over: Option<std::ops::Range<usize>>,
    streams_over: Option<std::ops::Range<usize>>,
}

impl Workload {
    fn add(&mut self, pb: &RawPublish, rate: f64, keys: i64, duration_s: f64) {
        self.messages += rate * duration_s;
        self.keys_total += u64::try_from(keys).unwrap_or(0);
        self.streams += 1;
        if self.messages > LIMITS.messages && self.messages_over.is_none() {
            self.messages_over = Some((pb.rate_per_s.span(), self.messages));
        }
        if self.keys_total > LIMITS.keys_total && self.keys_over.is_none() {
            self.keys_over = Some(pb.keys.as_ref().map_or(pb.rate_per_s.span(), Spanned::span));
        }
        if self.streams > LIMITS.publish_streams && self.streams_over.is_none() {
            self.streams_over = Some(pb.topic.span());
        }
    }

    /// Each total over its limit, once, at the entry that took it over.
    fn report(&self, c: &Checker, duration_s: f64) {
        let l = LIMITS;
        if let Some((span, messages)) = &self.messages_over {
            c.push(c.span(span.clone(), format!(
                "the workload would create {messages:.0} messages or more over duration_s = {duration_s}; \
                 the limit is {:.0}: lower rate_per_s or duration_s",
                l.messages
            )));
        }
        if let Some(span) = &self.keys_over {
            c.push(c.span(
                span.clone(),
                format!("more than {} keys in all", l.keys_total),
            ));
        }
        if let Some(span) = &self.streams_over {
            let why = format!("more than {} publish entries", l.publish_streams);
            c.push(c.span(span.clone(), why));
        }
    }
}

fn producers(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    topics: &[String],
    names: &mut Names,
) -> Vec<Producer> {
    let mut total = Workload::default();
    let mut producers = Vec::new();
    for rp in &raw.producer {
        let rp = rp.get_ref();
        let Ok(name) = names.unique(c, &rp.name, "producer") else {
            continue;
        };
        if rp.publish.is_empty() {
            let why = format!("producer {name:?} publishes nothing: give it a publish list");
            let _ = c.err::<(), _>(&rp.name, why);
            continue;
        }
        let publish: Vec<Option<Publish>> = rp
            .publish
            .iter()
            .map(|pb| publish(c, pb.get_ref(), top, topics, &mut total).ok())
            .collect();
        if let Some(publish) = publish.into_iter().collect::<Option<Vec<_>>>() {
            producers.push(Producer { name, publish });
        }
    }
    if top.duration_known {
        total.report(c, top.duration_s);
    }
    producers
}

/// A publish entry; its fields are checked independently.
fn publish(
    c: &Checker,
    pb: &RawPublish,
    top: &Top,
    topics: &[String],
    total: &mut Workload,
) -> Res<Publish> {
    let rate = c.number(&pb.rate_per_s, "rate_per_s", rules::RATE_PER_S);
    let keys = pb.keys.as_ref().map_or(Ok(rules::KEYS_DEFAULT), |k| {
        c.integer(k, "keys", rules::KEYS)
    });
    let size = pb
        .size_bytes
        .as_ref()
        .map_or(Ok(rules::SIZE_BYTES_DEFAULT), |s| {
            c.integer(s, "size_bytes", rules::SIZE_BYTES)
        });
    let (rate, keys, size) = (rate?, keys?, size?);
    total.add(pb, rate, keys, top.duration_s);
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
    let group = rc.group.as_ref().map(|g| c.name(g, "group")).transpose();
    let service_ms = rc
        .service_ms
        .as_ref()
        .map_or(Ok(rules::SERVICE_MS_DEFAULT), |s| {
            c.number(s, "service_ms", rules::SERVICE_MS)
        });
    let (group, service_ms) = (group?, service_ms?);
    Ok(Consumer {
        group: group.unwrap_or_else(|| name.clone()),
        name,
        subscribe,
        service: super::millis(service_ms),
        service_dist: rc.service_dist.unwrap_or(ServiceDist::Fixed),
    })
}

/// The names a value could have meant, listed: at most 12.
fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<&str> = names.into_iter().take(12).collect();
    v.join(", ")
}
