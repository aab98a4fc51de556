//! Parameter paths: one language for `--set`, `sweep --param` and the app's knobs (DESIGN.md,
//! "Command line").
//!
//! ```text
//!   latency_ms | duration_s | seed
//!   producer.NAME.FIELD          every publish entry of NAME: rate_per_s keys size_bytes arrivals
//!   producer.NAME.TOPIC.FIELD    NAME's entry for TOPIC
//!   consumer.NAME.FIELD          service_ms service_dist group
//!   variant.NAME.TABLE.OPTION    TABLE: direct channel redis rabbitmq kafka
//!                                (variant.kafka.kafka.partitions)
//!   fault.INDEX.FIELD            at_s until_s; INDEX: the [[fault]]'s place in the file, from 0
//!   scale.rate                   multiplies every rate_per_s
//!   scale.producers, scale.consumers   that many of every producer / consumer
//!   `*` for NAME, TOPIC or INDEX: every one
//! ```
//!
//! A change edits the scenario's TOML text, not the parsed scenario, and parses the result again
//! with the file's own rules, so a bad value gets exactly the message the file would get and a
//! changed scenario keeps its comments and order (the app can save it):
//!
//! ```text
//!   Scenario.text --toml_edit--> document --set PATH = VALUE--> text --parse_scenario--> Scenario
//! ```

mod doc;
mod edit;
mod fields;

pub use edit::{edit, faults, in_place, path_after, Edit, EditError, FaultEntry, Named};
pub use fields::ParamKind;

use crate::scenario::Broker;
use crate::scenario::{
    parse_scenario, ChannelOptions, DirectOptions, KafkaOptions, RabbitOptions, RedisOptions,
    Scenario, System, Variant,
};
use fields::{DefaultValue, Family, Field, OPTION_TABLES};
use serde::Serialize;
use std::fmt;
use toml_edit::{DocumentMut, TableLike};

/// A path or value that does not fit the scenario. Display: `PATH: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ParamError {
    pub path: String,
    pub message: String,
}

impl ParamError {
    #[must_use]
    pub fn new(path: &str, message: impl Into<String>) -> ParamError {
        ParamError {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// Where a knob belongs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "group", rename_all = "kebab-case")]
pub enum ParamGroup {
    /// The producers' publish entries, and `latency_ms`, `duration_s`, `seed`.
    Workload,
    Consumers,
    /// One variant's broker (or link, or channel) options.
    Variant {
        name: String,
        table: &'static str,
    },
    Faults,
    Scale,
}

impl fmt::Display for ParamGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamGroup::Workload => f.write_str("workload"),
            ParamGroup::Consumers => f.write_str("consumers"),
            ParamGroup::Variant { name, table } => write!(f, "variant {name} ({table} options)"),
            ParamGroup::Faults => f.write_str("faults"),
            ParamGroup::Scale => f.write_str("scale"),
        }
    }
}

/// One parameter of a scenario, as `list` gives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamInfo {
    pub path: String,
    pub group: ParamGroup,
    pub kind: ParamKind,
    /// The value the scenario has (written or by default); None for a field with no value (a
    /// fault without `until_s`).
    pub current: Option<toml::Value>,
    /// What the field is when the file does not write it; None when it must be written.
    pub default: Option<toml::Value>,
    pub unit: &'static str,
    pub help: &'static str,
}

/// A value as given on a command line: a TOML value (`5`, `2.5`, `true`, `"x"`, `[1, 2]`), or,
/// when it is not one, the text as a string, so `arrivals=constant` needs no quotes.
#[must_use]
pub fn value(text: &str) -> toml::Value {
    match text.trim().parse::<toml_edit::Value>() {
        Ok(v) => doc::from_edit(&v),
        Err(_) => toml::Value::String(text.trim().to_owned()),
    }
}

/// [`value`], but a number too large for TOML (`1e309`, 20 digits) is an error, not a string.
///
/// # Errors
/// `text` is written as a number that no TOML number can hold.
pub fn number_or_value(path: &str, text: &str) -> Result<toml::Value, ParamError> {
    let v = value(text);
    let t = text.trim();
    // Written as a number: digits, at most one point, at most one exponent.
    let whole = |d: &str| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || c == '_');
    let (mantissa, exponent) = t.split_once(['e', 'E']).unwrap_or((t, "0"));
    let mantissa = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let numeric = whole(int) && whole(frac) && whole(exponent);
    // Out of range, not refused for another reason (`007`: TOML has no leading zeros).
    let plain = t.replace('_', "");
    let too_large = if t.contains(['.', 'e', 'E']) {
        plain.parse::<f64>().is_ok_and(f64::is_infinite)
    } else {
        let digits = plain.trim_start_matches(['+', '-']).trim_start_matches('0');
        digits.len() > 19
            || plain
                .parse::<i128>()
                .is_ok_and(|n| i64::try_from(n).is_err())
    };
    if numeric && too_large && matches!(v, toml::Value::String(_)) {
        return Err(ParamError::new(
            path,
            format!(
                "{t} is too large a number: whole numbers go up to {}, others to about 1.8e308",
                i64::MAX
            ),
        ));
    }
    Ok(v)
}

/// `PATH=VALUE` (see [`value`]).
///
/// # Errors
/// There is no `=`, or nothing before it, or the value is a number too large to be one.
pub fn assignment(text: &str) -> Result<(String, toml::Value), ParamError> {
    match text.split_once('=') {
        Some((path, v)) if !path.trim().is_empty() => {
            let path = path.trim();
            Ok((path.to_owned(), number_or_value(path, v)?))
        }
        _ => Err(ParamError::new(
            text,
            "give PATH=VALUE, e.g. producer.*.rate_per_s=50",
        )),
    }
}

/// Which entries a name segment picks.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pick {
    All,
    One(String),
}

impl Pick {
    fn of(segment: &str) -> Pick {
        if segment == "*" {
            Pick::All
        } else {
            Pick::One(segment.to_owned())
        }
    }
    fn takes(&self, name: Option<&str>) -> bool {
        match self {
            Pick::All => true,
            Pick::One(n) => name == Some(n.as_str()),
        }
    }
}

/// What a path points at.
#[derive(Clone, Debug)]
enum What {
    Top,
    Publish {
        producer: Pick,
        topic: Option<Pick>,
    },
    Consumer(Pick),
    /// The fault at this place in the file; None: every fault.
    Fault(Option<usize>),
    Options {
        variant: Pick,
        table: &'static str,
    },
    Scale,
}

#[derive(Clone, Debug)]
struct Target {
    what: What,
    field: &'static Field,
}

/// The names a path can use, read from the document as it is now (a `scale.*` change adds
/// producers and consumers).
struct Names {
    /// Each producer with the topics it publishes.
    producers: Vec<(String, Vec<String>)>,
    consumers: Vec<String>,
    /// Each variant with the options table it takes.
    variants: Vec<(String, &'static str)>,
    /// Each `[[fault]]`'s kind.
    faults: Vec<String>,
}

/// The options table (`kafka = { .. }`) a variant takes.
fn options_table(v: &Variant) -> &'static str {
    match &v.system {
        System::Direct(_) => "direct",
        System::Channel(_) => "channel",
        System::Broker { broker, .. } => match broker {
            Broker::RedisPubsub(_) | Broker::RedisStream(_) => "redis",
            Broker::Rabbitmq(_) => "rabbitmq",
            Broker::Kafka(_) => "kafka",
        },
    }
}

impl Names {
    fn of(s: &Scenario, root: &dyn TableLike) -> Names {
        let name = |t: &dyn TableLike| doc::text(t, "name").unwrap_or_default().to_owned();
        Names {
            producers: doc::entries(root, "producer")
                .into_iter()
                .map(|p| {
                    let topics = doc::entries(p, "publish")
                        .into_iter()
                        .filter_map(|e| doc::text(e, "topic").map(str::to_owned))
                        .collect();
                    (name(p), topics)
                })
                .collect(),
            consumers: doc::entries(root, "consumer")
                .into_iter()
                .map(name)
                .collect(),
            variants: s
                .variants
                .iter()
                .map(|v| (v.name.clone(), options_table(v)))
                .collect(),
            faults: doc::entries(root, "fault")
                .into_iter()
                .map(|f| doc::text(f, "kind").unwrap_or_default().to_owned())
                .collect(),
        }
    }
}

/// The candidate most like `word` (Jaro-Winkler), if any is close enough to be a likely typo.
fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for &c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score >= 0.7 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// "no producer named "x"; did you mean "y"?", or the names to pick from.
fn unknown(path: &str, what: &str, word: &str, candidates: &[&str]) -> ParamError {
    let message = match nearest(word, candidates) {
        Some(n) => format!("no {what} named {word:?}; did you mean {n:?}?"),
        None if candidates.is_empty() => format!("no {what} named {word:?}: there is none"),
        None => {
            let shown: Vec<&str> = candidates.iter().copied().take(12).collect();
            let more = if candidates.len() > 12 { ", ..." } else { "" };
            format!(
                "no {what} named {word:?}; one of: {}{more}",
                shown.join(", ")
            )
        }
    };
    ParamError::new(path, message)
}

/// The field `name` of `family`, or an error that suggests one.
fn field(path: &str, family: Family, what: &str, name: &str) -> Result<&'static Field, ParamError> {
    fields::find(family, name).ok_or_else(|| {
        let names: Vec<&str> = fields::of(family).map(|f| f.name).collect();
        unknown(path, what, name, &names)
    })
}

const HEADS: [&str; 8] = [
    "latency_ms",
    "duration_s",
    "seed",
    "producer",
    "consumer",
    "variant",
    "fault",
    "scale",
];

/// What `path` points at in a scenario with these names.
fn resolve(path: &str, names: &Names) -> Result<Target, ParamError> {
    let (head, rest) = path.split_once('.').unwrap_or((path, ""));
    match head {
        "latency_ms" | "duration_s" | "seed" if !rest.is_empty() => Err(ParamError::new(
            path,
            format!("{head} is a number of the scenario: give just `{head}`"),
        )),
        "latency_ms" | "duration_s" | "seed" => Ok(Target {
            what: What::Top,
            field: field(path, Family::Top, "parameter", head)?,
        }),
        "producer" => resolve_publish(path, rest, names),
        "consumer" => {
            let (name, f) = split_last(path, rest, "consumer.NAME.FIELD")?;
            let consumers: Vec<&str> = names.consumers.iter().map(String::as_str).collect();
            if name != "*" && !consumers.contains(&name) {
                return Err(unknown(path, "consumer", name, &consumers));
            }
            Ok(Target {
                what: What::Consumer(Pick::of(name)),
                field: field(path, Family::Consumer, "consumer field", f)?,
            })
        }
        "variant" => resolve_options(path, rest, names),
        "fault" => resolve_fault(path, rest, names),
        "scale" => Ok(Target {
            what: What::Scale,
            field: field(path, Family::Scale, "scale parameter", rest)?,
        }),
        _ => Err(unknown(path, "parameter", head, &HEADS)),
    }
}

/// `rest` split at its last dot: (names, field).
fn split_last<'a>(path: &str, rest: &'a str, form: &str) -> Result<(&'a str, &'a str), ParamError> {
    rest.rsplit_once('.')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| ParamError::new(path, format!("give {form}")))
}

/// `producer.NAME.FIELD` or `producer.NAME.TOPIC.FIELD`. Names may hold dots, so NAME is
/// matched against the producers' names rather than split off.
fn resolve_publish(path: &str, rest: &str, names: &Names) -> Result<Target, ParamError> {
    let (middle, f) = split_last(
        path,
        rest,
        "producer.NAME.FIELD or producer.NAME.TOPIC.FIELD",
    )?;
    let field = field(path, Family::Publish, "producer field", f)?;
    let target = |producer: Pick, topic: Option<Pick>| Target {
        what: What::Publish { producer, topic },
        field,
    };
    if middle == "*" || names.producers.iter().any(|(p, _)| p == middle) {
        return Ok(target(Pick::of(middle), None));
    }
    let all = names.producers.iter().map(|(p, t)| (p.as_str(), t));
    let every_topic: Vec<String> = {
        let mut t: Vec<String> = names
            .producers
            .iter()
            .flat_map(|(_, t)| t.clone())
            .collect();
        t.sort();
        t.dedup();
        t
    };
    let wild = std::iter::once(("*", &every_topic));
    for (p, topics) in wild.chain(all) {
        let Some(topic) = middle.strip_prefix(p).and_then(|m| m.strip_prefix('.')) else {
            continue;
        };
        let known: Vec<&str> = topics.iter().map(String::as_str).collect();
        if topic != "*" && !known.contains(&topic) {
            let what = format!(
                "topic that {} publishes",
                if p == "*" { "a producer" } else { p }
            );
            return Err(unknown(path, &what, topic, &known));
        }
        return Ok(target(Pick::of(p), Some(Pick::of(topic))));
    }
    let word = middle.split('.').next().unwrap_or(middle);
    let producers: Vec<&str> = names.producers.iter().map(|(p, _)| p.as_str()).collect();
    Err(unknown(path, "producer", word, &producers))
}

/// `variant.NAME.TABLE.OPTION`.
fn resolve_options(path: &str, rest: &str, names: &Names) -> Result<Target, ParamError> {
    let form = "variant.NAME.TABLE.OPTION (e.g. variant.kafka.kafka.partitions)";
    let (front, option) = split_last(path, rest, form)?;
    let (name, table) = split_last(path, front, form)?;
    let Some(table) = OPTION_TABLES.iter().copied().find(|t| *t == table) else {
        return Err(unknown(path, "options table", table, &OPTION_TABLES));
    };
    let field = field(
        path,
        Family::Options(table),
        &format!("{table} option"),
        option,
    )?;
    if name == "*" {
        if !names.variants.iter().any(|(_, t)| *t == table) {
            let message = format!("no variant takes {table} options");
            return Err(ParamError::new(path, message));
        }
    } else {
        match names.variants.iter().find(|(v, _)| v == name) {
            None => {
                let variants: Vec<&str> = names.variants.iter().map(|(v, _)| v.as_str()).collect();
                return Err(unknown(path, "variant", name, &variants));
            }
            Some((_, t)) if *t != table => {
                let message = format!(
                    "variant {name:?} takes {t} options, not {table}: variant.{name}.{t}.OPTION"
                );
                return Err(ParamError::new(path, message));
            }
            Some(_) => {}
        }
    }
    Ok(Target {
        what: What::Options {
            variant: Pick::of(name),
            table,
        },
        field,
    })
}

/// `fault.INDEX.FIELD`.
fn resolve_fault(path: &str, rest: &str, names: &Names) -> Result<Target, ParamError> {
    let (index, f) = split_last(
        path,
        rest,
        "fault.INDEX.FIELD (INDEX from 0, in file order)",
    )?;
    let field = field(path, Family::Fault, "fault field", f)?;
    let n = names.faults.len();
    let index = match index {
        "*" if n == 0 => return Err(ParamError::new(path, "the scenario has no [[fault]]")),
        "*" => None,
        i => match i.parse::<usize>() {
            Ok(i) if i < n => Some(i),
            _ if n == 0 => return Err(ParamError::new(path, "the scenario has no [[fault]]")),
            _ => {
                let message = format!(
                    "no fault {i:?}: INDEX is a [[fault]]'s place in the file, 0 to {}",
                    n - 1
                );
                return Err(ParamError::new(path, message));
            }
        },
    };
    Ok(Target {
        what: What::Fault(index),
        field,
    })
}

/// `v` in the type the field takes, where the intent is plain: `50` for a float is `50.0`,
/// `2.0` for an integer is `2`, `1` for acks is `"1"`. Anything else is left to the file's rules.
fn coerce(kind: ParamKind, v: &toml::Value) -> toml::Value {
    match (kind, v) {
        (ParamKind::Float { .. }, toml::Value::Integer(i)) => toml::Value::Float(*i as f64),
        (ParamKind::Int { .. }, toml::Value::Float(x)) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
            toml::Value::Integer(*x as i64)
        }
        (ParamKind::Choice { .. } | ParamKind::Text, toml::Value::Integer(i)) => {
            toml::Value::String(i.to_string())
        }
        _ => v.clone(),
    }
}

/// The default of an option: the options struct's `Default`, which is the real system's.
fn option_default(table: &str, option: &str) -> Option<toml::Value> {
    let all = match table {
        "direct" => toml::Value::try_from(DirectOptions::default()),
        "channel" => toml::Value::try_from(ChannelOptions::default()),
        "redis" => toml::Value::try_from(RedisOptions::default()),
        "rabbitmq" => toml::Value::try_from(RabbitOptions::default()),
        _ => toml::Value::try_from(KafkaOptions::default()),
    };
    all.ok()?.get(option).cloned()
}

/// A field's default; `own_name` is the consumer's, for its group.
fn default_of(field: &Field, own_name: &str) -> Option<toml::Value> {
    match field.default {
        DefaultValue::None => None,
        DefaultValue::Float(x) => Some(toml::Value::Float(x)),
        DefaultValue::Int(i) => Some(toml::Value::Integer(i)),
        DefaultValue::Str(s) => Some(toml::Value::String(s.to_owned())),
        DefaultValue::OwnName => Some(toml::Value::String(own_name.to_owned())),
        DefaultValue::Options => match field.family {
            Family::Options(table) => option_default(table, field.name),
            _ => None,
        },
    }
}

/// The value a target reads (the first match, for a wildcard), written or by default.
fn read(root: &dyn TableLike, t: &Target) -> Option<toml::Value> {
    let f = t.field;
    let field_of = |e: &dyn TableLike, own_name: &str| {
        doc::value(e, f.name)
            .map(doc::from_edit)
            .or_else(|| default_of(f, own_name))
    };
    let found = match &t.what {
        What::Top => field_of(root, ""),
        What::Scale => default_of(f, ""),
        What::Publish { producer, topic } => doc::entries(root, "producer")
            .into_iter()
            .filter(|p| producer.takes(doc::text(*p, "name")))
            .flat_map(|p| doc::entries(p, "publish"))
            .find(|e| {
                topic
                    .as_ref()
                    .is_none_or(|t| t.takes(doc::text(*e, "topic")))
            })
            .and_then(|e| field_of(e, "")),
        What::Consumer(pick) => doc::entries(root, "consumer")
            .into_iter()
            .find(|c| pick.takes(doc::text(*c, "name")))
            .and_then(|c| field_of(c, doc::text(c, "name").unwrap_or_default())),
        What::Fault(index) => doc::entries(root, "fault")
            .into_iter()
            .nth(index.unwrap_or(0))
            .and_then(|e| field_of(e, "")),
        What::Options { variant, table } => doc::entries(root, "variant")
            .into_iter()
            .find(|v| variant.takes(doc::text(*v, "name")) && options_of(*v) == Some(*table))
            .and_then(
                |v| match v.get(table).and_then(toml_edit::Item::as_table_like) {
                    Some(o) => field_of(o, ""),
                    None => default_of(f, ""),
                },
            ),
    };
    found.map(|v| coerce(f.kind, &v))
}

/// The options table a `[[variant]]` of the document takes (its shape and broker as written).
fn options_of(v: &dyn TableLike) -> Option<&'static str> {
    match (doc::text(v, "shape")?, doc::text(v, "broker")) {
        ("direct", _) => Some("direct"),
        ("channel", _) => Some("channel"),
        (_, Some("redis-pubsub" | "redis-stream")) => Some("redis"),
        (_, Some("rabbitmq")) => Some("rabbitmq"),
        (_, Some("kafka")) => Some("kafka"),
        _ => None,
    }
}

/// Set what `t` points at to `v` in the document.
fn write(
    root: &mut dyn TableLike,
    path: &str,
    t: &Target,
    v: &toml::Value,
) -> Result<(), ParamError> {
    let f = t.field;
    if let What::Scale = t.what {
        return scale(root, path, f, v);
    }
    let v = coerce(f.kind, v);
    let Some(v) = doc::to_edit(&v) else {
        return Err(ParamError::new(
            path,
            "a date-time is no value of any field",
        ));
    };
    let set = |e: &mut dyn TableLike| doc::set(e, f.name, v.clone());
    match &t.what {
        What::Top => set(root),
        What::Scale => {}
        What::Publish { producer, topic } => {
            for p in doc::entries_mut(root, "producer") {
                if !producer.takes(doc::text(p, "name")) {
                    continue;
                }
                for e in doc::entries_mut(p, "publish") {
                    if topic
                        .as_ref()
                        .is_none_or(|t| t.takes(doc::text(e, "topic")))
                    {
                        set(e);
                    }
                }
            }
        }
        What::Consumer(pick) => doc::entries_mut(root, "consumer")
            .into_iter()
            .filter(|c| pick.takes(doc::text(*c, "name")))
            .for_each(set),
        // `fault.*.until_s`: every fault that heals (an added consumer stays).
        What::Fault(index) => doc::entries_mut(root, "fault")
            .into_iter()
            .enumerate()
            .filter(|(i, e)| match index {
                Some(x) => x == i,
                None => f.name != "until_s" || doc::text(*e, "kind") != Some("add-consumer"),
            })
            .for_each(|(_, e)| set(e)),
        What::Options { variant, table } => {
            for v in doc::entries_mut(root, "variant") {
                if variant.takes(doc::text(v, "name")) && options_of(v) == Some(*table) {
                    if let Some(o) = doc::table_mut(v, table) {
                        set(o);
                    }
                }
            }
        }
    }
    Ok(())
}

/// A `scale.*` value inside its field's bounds, as a float.
fn scale_factor(path: &str, f: &Field, v: &toml::Value) -> Result<f64, ParamError> {
    let x = match v {
        toml::Value::Float(x) => *x,
        toml::Value::Integer(i) => *i as f64,
        other => {
            let message = format!("{path} takes a number, got {other}");
            return Err(ParamError::new(path, message));
        }
    };
    let fits = match f.kind {
        ParamKind::Float {
            min,
            max,
            above_min,
        } => x.is_finite() && x <= max && (x > min || (!above_min && x >= min)),
        ParamKind::Int { min, max } => x.fract() == 0.0 && x >= min as f64 && x <= max as f64,
        _ => true,
    };
    if !fits {
        let range = match f.kind {
            ParamKind::Float { min, max, .. } => format!("greater than {min} and at most {max}"),
            ParamKind::Int { min, max } => format!("a whole number from {min} to {max}"),
            _ => String::new(),
        };
        return Err(ParamError::new(
            path,
            format!(
                "{path} must be {range}, got {}",
                crate::scenario::diagnostic::num(x)
            ),
        ));
    }
    Ok(x)
}

/// `scale.rate`: multiply every rate. `scale.producers` / `scale.consumers` = N: N of every
/// producer / consumer, the original and copies `NAME-2` to `NAME-N` with the same publish
/// entries or subscriptions.
///
/// Copies of a consumer share its work: they keep its group, and since a consumer without a
/// `group` is a group of its own named after it, its copies get `group = "<its name>"` and join
/// it (N consumers sharing a queue or a partition set, not N more groups each getting every
/// message). Consumers that `add-consumer` faults bring are not copied, and faults still
/// target the originals.
fn scale(
    root: &mut dyn TableLike,
    path: &str,
    f: &Field,
    v: &toml::Value,
) -> Result<(), ParamError> {
    let x = scale_factor(path, f, v)?;
    match f.name {
        "rate" => {
            for p in doc::entries_mut(root, "producer") {
                for e in doc::entries_mut(p, "publish") {
                    let rate = doc::value(e, "rate_per_s")
                        .and_then(|r| r.as_float().or_else(|| r.as_integer().map(|i| i as f64)));
                    if let Some(rate) = rate {
                        doc::set(e, "rate_per_s", toml_edit::Value::from(rate * x));
                    }
                }
            }
        }
        which => {
            let copies = x as usize - 1;
            within_limits(root, path, which, x as usize)?;
            let key = if which == "producers" {
                "producer"
            } else {
                "consumer"
            };
            let join = key == "consumer";
            doc::copy_entries(root, key, copies, &|c, k| {
                let name = doc::text(c, "name").unwrap_or_default().to_owned();
                if join && c.get("group").is_none() {
                    doc::set(c, "group", toml_edit::Value::from(name.as_str()));
                }
                doc::set(c, "name", toml_edit::Value::from(format!("{name}-{k}")));
            });
        }
    }
    Ok(())
}

/// Refuse `scale.producers` / `scale.consumers` = `n` before making the copies when the result
/// would pass the node or publish-entry limit (copied first, 1,999 producers x 2,000 grew past
/// 2.7 GB before the parse refused them).
fn within_limits(
    root: &dyn TableLike,
    path: &str,
    which: &str,
    n: usize,
) -> Result<(), ParamError> {
    let limits = &crate::scenario::LIMITS;
    let producers = doc::entries(root, "producer");
    let entries: usize = producers
        .iter()
        .map(|p| doc::entries(*p, "publish").len())
        .sum();
    let (p, c) = (producers.len(), doc::entries(root, "consumer").len());
    let added = doc::added_consumers(root).len();
    let (p, c, entries) = if which == "producers" {
        (p.saturating_mul(n), c, entries.saturating_mul(n))
    } else {
        (p, c.saturating_mul(n), entries)
    };
    let nodes = p.saturating_add(c).saturating_add(added);
    let over = if nodes > limits.nodes {
        Some(format!(
            "{nodes} producers and consumers, over the limit of {}",
            limits.nodes
        ))
    } else if entries > limits.publish_streams {
        Some(format!(
            "{entries} publish entries, over the limit of {}",
            limits.publish_streams
        ))
    } else {
        None
    };
    match over {
        Some(what) => Err(ParamError::new(
            path,
            format!("{path} = {n} would make {what}"),
        )),
        None => Ok(()),
    }
}

fn document(s: &Scenario) -> Result<DocumentMut, ParamError> {
    s.text.parse::<DocumentMut>().map_err(|e| {
        let message = format!("{}: the scenario's text does not parse: {e}", s.source);
        ParamError::new("", message)
    })
}

/// The value at `path`: as written, else the default; for a wildcard, the first match's (in
/// file order). `scale.*` read 1: a scale is a change, not a state.
///
/// # Errors
/// The path names nothing in `s`.
pub fn get(s: &Scenario, path: &str) -> Result<Option<toml::Value>, ParamError> {
    let doc = document(s)?;
    let target = resolve(path, &Names::of(s, doc.as_table()))?;
    Ok(read(doc.as_table(), &target))
}

/// `values` with a whole `2.0` as `2` where the field `path` names in `s` takes whole numbers:
/// what a sweep reports for the values it ran (`seed=1.0` runs seed 1). Otherwise as given
/// (`rate_per_s=50` stays `50`, as typed).
#[must_use]
pub fn as_field(s: &Scenario, path: &str, values: &[toml::Value]) -> Vec<toml::Value> {
    match document(s).and_then(|doc| resolve(path, &Names::of(s, doc.as_table()))) {
        Ok(t) if matches!(t.field.kind, ParamKind::Int { .. }) => {
            values.iter().map(|v| coerce(t.field.kind, v)).collect()
        }
        _ => values.to_vec(),
    }
}

/// Whether paths `a` and `b` change a value in common in `s` (one set, the other swept: a sweep
/// would override the one or multiply it twice): the same field of entries they both pick
/// (`producer.*` picks `producer.web-1`, `fault.00` is `fault.0`), or a scale of rates and a
/// rate. Paths that name nothing in `s` change nothing in common.
#[must_use]
pub fn overlap(s: &Scenario, a: &str, b: &str) -> bool {
    let Ok(doc) = document(s) else {
        return false;
    };
    let names = Names::of(s, doc.as_table());
    let (Ok(x), Ok(y)) = (resolve(a, &names), resolve(b, &names)) else {
        return false;
    };
    let picks = |p: &Pick, q: &Pick| p == q || *p == Pick::All || *q == Pick::All;
    let topics = |p: &Option<Pick>, q: &Option<Pick>| match (p, q) {
        (Some(p), Some(q)) => picks(p, q),
        _ => true,
    };
    let rate = |t: &Target| matches!(t.what, What::Publish { .. }) && t.field.name == "rate_per_s";
    let scales_rates = |t: &Target| matches!(t.what, What::Scale) && t.field.name == "rate";
    if (scales_rates(&x) && rate(&y)) || (scales_rates(&y) && rate(&x)) {
        return true;
    }
    if x.field.name != y.field.name {
        return false;
    }
    match (&x.what, &y.what) {
        (What::Top, What::Top) | (What::Scale, What::Scale) => true,
        (
            What::Publish {
                producer: p,
                topic: t,
            },
            What::Publish {
                producer: q,
                topic: u,
            },
        ) => picks(p, q) && topics(t, u),
        (What::Consumer(p), What::Consumer(q)) => picks(p, q),
        (What::Fault(i), What::Fault(j)) => i.is_none() || j.is_none() || i == j,
        (
            What::Options {
                variant: p,
                table: t,
            },
            What::Options {
                variant: q,
                table: u,
            },
        ) => t == u && picks(p, q),
        _ => false,
    }
}

/// The scenario's text with `changes` made, in order.
fn edited(s: &Scenario, changes: &[(String, toml::Value)]) -> Result<String, ParamError> {
    let mut doc = document(s)?;
    for (path, v) in changes {
        let target = resolve(path, &Names::of(s, doc.as_table()))?;
        write(doc.as_table_mut(), path, &target, v)?;
    }
    Ok(doc.to_string())
}

/// `s` with `changes` made, in order, and validated again with the file's rules (at the
/// scenario layer: a lesson's metric names are `lesson::validate`'s).
///
/// # Errors
/// A path that names nothing (with the nearest valid name), or a value the file would reject
/// (with the file's message and the change that made the scenario invalid).
pub fn apply(s: &Scenario, changes: &[(String, toml::Value)]) -> Result<Scenario, ParamError> {
    let Some((last, _)) = changes.last() else {
        return Ok(s.clone());
    };
    let text = edited(s, changes)?;
    parse_scenario(&s.source, &text).map_err(|e| {
        culprit(s, changes)
            .unwrap_or_else(|| ParamError::new(last, placed(last, &s.text, &text, &e)))
    })
}

/// The first of several changes after which the text no longer parses, with the file's message.
fn culprit(s: &Scenario, changes: &[(String, toml::Value)]) -> Option<ParamError> {
    (1..changes.len()).find_map(|k| {
        let text = edited(s, &changes[..k]).ok()?;
        let e = parse_scenario(&s.source, &text).err()?;
        let path = &changes[k - 1].0;
        Some(ParamError::new(path, placed(path, &s.text, &text, &e)))
    })
}

/// The file's message for a change, with the line it is about when that is not the changed
/// value's own ("at_s must be at most the run's duration_s = 10" after `duration_s=10` names
/// the fault's line). `text` is the changed text; the line number is the file's (`file`), where
/// the file has that line: a line the change wrote (a scaled copy) is shown without one.
fn placed(path: &str, file: &str, text: &str, e: &crate::scenario::ScenarioError) -> String {
    let key = path.rsplit('.').next().unwrap_or(path);
    match text.lines().nth(e.line.saturating_sub(1)).map(str::trim) {
        Some(line) if !line.is_empty() && !line.contains(key) => {
            let mut shown: String = line.chars().take(80).collect();
            if shown.len() < line.len() {
                shown.push('…');
            }
            let shown = crate::scenario::diagnostic::visible(&shown);
            match file.lines().position(|l| l.trim() == line) {
                Some(i) => format!("{} (line {}: {shown})", e.message, i + 1),
                None => format!("{} (in a line the change wrote: {shown})", e.message),
            }
        }
        _ => e.message.clone(),
    }
}

/// Every parameter of `s`: the top-level numbers, each producer's fields (and each entry's,
/// for a producer with several), each consumer's, each variant's options, each fault's times,
/// the scales. With the current value, default, kind, unit and help of each.
#[must_use]
pub fn list(s: &Scenario) -> Vec<ParamInfo> {
    let Ok(doc) = document(s) else {
        return Vec::new();
    };
    let root = doc.as_table();
    let names = Names::of(s, root);
    paths(&names)
        .into_iter()
        .filter_map(|(path, group)| {
            let t = resolve(&path, &names).ok()?;
            let own = match &t.what {
                What::Consumer(Pick::One(n)) => n.as_str(),
                _ => "",
            };
            Some(ParamInfo {
                current: read(root, &t),
                default: default_of(t.field, own),
                kind: t.field.kind,
                unit: t.field.unit,
                help: t.field.help,
                path,
                group,
            })
        })
        .collect()
}

/// Every path `list` shows, in its order, with its group.
fn paths(names: &Names) -> Vec<(String, ParamGroup)> {
    fn push(to: &mut Vec<(String, ParamGroup)>, family: Family, prefix: &str, g: &ParamGroup) {
        for f in fields::of(family) {
            to.push((format!("{prefix}{}", f.name), g.clone()));
        }
    }
    let mut paths = Vec::new();
    let workload = &ParamGroup::Workload;
    push(&mut paths, Family::Top, "", workload);
    for (p, topics) in &names.producers {
        push(
            &mut paths,
            Family::Publish,
            &format!("producer.{p}."),
            workload,
        );
        for t in topics.iter().filter(|_| topics.len() > 1) {
            push(
                &mut paths,
                Family::Publish,
                &format!("producer.{p}.{t}."),
                workload,
            );
        }
    }
    for c in &names.consumers {
        let prefix = format!("consumer.{c}.");
        push(
            &mut paths,
            Family::Consumer,
            &prefix,
            &ParamGroup::Consumers,
        );
    }
    for (v, table) in &names.variants {
        let group = ParamGroup::Variant {
            name: v.clone(),
            table,
        };
        let prefix = format!("variant.{v}.{table}.");
        push(&mut paths, Family::Options(table), &prefix, &group);
    }
    for (i, kind) in names.faults.iter().enumerate() {
        // An added consumer stays: add-consumer takes no until_s.
        let heals = kind != "add-consumer";
        for f in fields::of(Family::Fault).filter(|f| heals || f.name != "until_s") {
            paths.push((format!("fault.{i}.{}", f.name), ParamGroup::Faults));
        }
    }
    push(&mut paths, Family::Scale, "scale.", &ParamGroup::Scale);
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{millis, secs, Acks, Arrivals, FaultAction, ServiceDist};

    const TEXT: &str = r#"# A test scenario: this comment survives every change.
title = "params"
seed = 3
duration_s = 30.0
latency_ms = 1.0                  # one hop

[[producer]]
name = "web-1"
publish = [ { topic = "metrics", rate_per_s = 20.0, keys = 4 },
            { topic = "logs", rate_per_s = 10.0, arrivals = "constant" } ]
[[producer]]
name = "web-2"
publish = [ { topic = "metrics", rate_per_s = 5.0 } ]

[[consumer]]
name = "metric-server"
subscribe = ["metrics"]
service_ms = 2.0                  # per message
[[consumer]]
name = "log-server"
subscribe = ["logs"]
group = "logs"

[[fault]]
kind = "consumer-offline"
target = "metric-server"
at_s = 10.0
until_s = 15.0
[[fault]]
kind = "add-consumer"
at_s = 5.0
consumer = { name = "audit", subscribe = ["metrics"] }

[[variant]]
name = "direct"
shape = "direct"
[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"
kafka = { partitions = 2 }
[[variant]]
name = "kafka-2"
shape = "single-broker"
broker = "kafka"
[[variant]]
name = "rabbit"
shape = "single-broker"
broker = "rabbitmq"
"#;

    fn base() -> Scenario {
        parse_scenario("test.toml", TEXT).unwrap_or_else(|e| panic!("{e}"))
    }

    fn changes(c: &[(&str, &str)]) -> Vec<(String, toml::Value)> {
        c.iter().map(|(p, v)| ((*p).to_owned(), value(v))).collect()
    }

    fn set(s: &Scenario, c: &[(&str, &str)]) -> Scenario {
        apply(s, &changes(c)).unwrap_or_else(|e| panic!("{c:?}: {e}"))
    }

    fn fails(s: &Scenario, c: &[(&str, &str)]) -> ParamError {
        match apply(s, &changes(c)) {
            Ok(_) => panic!("{c:?} should fail"),
            Err(e) => e,
        }
    }

    fn rates(s: &Scenario) -> Vec<(String, String, f64)> {
        s.producers
            .iter()
            .flat_map(|p| {
                p.publish.iter().map(|e| {
                    (
                        p.name.clone(),
                        s.topic_name(e.topic).to_owned(),
                        e.rate_per_s,
                    )
                })
            })
            .collect()
    }

    fn kafka_partitions(s: &Scenario, variant: &str) -> u32 {
        match s.variant(variant).and_then(Variant::broker) {
            Some(Broker::Kafka(o)) => o.partitions,
            other => panic!("{variant} is no kafka variant: {other:?}"),
        }
    }

    #[test]
    fn top_level_numbers_change_the_scenario() {
        let s = set(
            &base(),
            &[("latency_ms", "5"), ("duration_s", "40.5"), ("seed", "9")],
        );
        assert_eq!(s.latency, millis(5.0));
        assert_eq!(s.duration, secs(40.5));
        assert_eq!(s.seed, 9);
        assert_eq!(s.source, "test.toml");
    }

    #[test]
    fn producer_paths_set_every_entry_of_a_producer_or_one_topic_entry() {
        let s = set(&base(), &[("producer.web-1.rate_per_s", "50")]);
        assert_eq!(
            rates(&s),
            [
                ("web-1".into(), "metrics".into(), 50.0),
                ("web-1".into(), "logs".into(), 50.0),
                ("web-2".into(), "metrics".into(), 5.0)
            ]
        );
        let s = set(
            &base(),
            &[
                ("producer.web-1.logs.rate_per_s", "7.5"),
                ("producer.web-1.logs.arrivals", "poisson"),
                ("producer.web-1.metrics.keys", "9"),
                ("producer.web-2.size_bytes", "300"),
            ],
        );
        let web1 = &s.producers[0].publish;
        assert_eq!((web1[0].rate_per_s, web1[1].rate_per_s), (20.0, 7.5));
        assert_eq!(web1[1].arrivals, Arrivals::Poisson);
        assert_eq!((web1[0].keys, web1[1].keys), (9, 0));
        assert_eq!(s.producers[1].publish[0].size_bytes, 300);
    }

    #[test]
    fn consumer_paths_set_service_and_group() {
        let s = set(
            &base(),
            &[
                ("consumer.metric-server.service_ms", "3.5"),
                ("consumer.metric-server.service_dist", "exponential"),
                ("consumer.log-server.group", "\"shared\""),
            ],
        );
        assert_eq!(s.consumers[0].service, millis(3.5));
        assert_eq!(s.consumers[0].service_dist, ServiceDist::Exponential);
        assert_eq!(s.consumers[1].group, "shared");
    }

    #[test]
    fn variant_paths_set_options_written_or_not() {
        let s = set(
            &base(),
            &[
                ("variant.kafka.kafka.partitions", "4"),
                ("variant.kafka-2.kafka.acks", "1"),
                ("variant.rabbit.rabbitmq.prefetch", "0"),
                ("variant.direct.direct.retry", "true"),
            ],
        );
        assert_eq!(kafka_partitions(&s, "kafka"), 4);
        let Some(Broker::Kafka(k2)) = s.variant("kafka-2").and_then(Variant::broker) else {
            panic!("kafka-2 is a kafka variant");
        };
        assert_eq!((k2.acks, k2.partitions), (Acks::One, 3));
        let Some(Broker::Rabbitmq(r)) = s.variant("rabbit").and_then(Variant::broker) else {
            panic!("rabbit is a rabbitmq variant");
        };
        assert_eq!(r.prefetch, 0);
        assert!(matches!(&s.variants[0].system, System::Direct(o) if o.retry));
        assert!(s.text.contains("kafka = { partitions = 4 }"), "{}", s.text);
    }

    fn offline_until(s: &Scenario) -> Option<crate::scenario::Nanos> {
        let f = s
            .faults
            .iter()
            .find(|f| f.kind() == crate::scenario::FaultKind::ConsumerOffline);
        f.and_then(crate::scenario::Fault::until)
    }

    #[test]
    fn fault_paths_count_faults_in_file_order() {
        // The scenario sorts faults by time: the add-consumer (5 s) comes first there, but
        // fault.0 is the first [[fault]] of the file, the consumer-offline one.
        let s = set(
            &base(),
            &[("fault.0.at_s", "12"), ("fault.0.until_s", "20")],
        );
        let offline = s
            .faults
            .iter()
            .find(|f| matches!(f.action, FaultAction::ConsumerOffline { .. }))
            .unwrap_or_else(|| panic!("the offline fault is there"));
        assert_eq!(
            (offline.at, offline.until()),
            (secs(12.0), Some(secs(20.0)))
        );
        let s = set(&base(), &[("fault.*.at_s", "8"), ("fault.*.until_s", "9")]);
        assert!(s.faults.iter().all(|f| f.at == secs(8.0)));
        assert_eq!(
            offline_until(&s),
            Some(secs(9.0)),
            "the add-consumer fault takes none"
        );
    }

    #[test]
    fn wildcards_set_every_match() {
        let s = set(&base(), &[("producer.*.rate_per_s", "1")]);
        assert!(rates(&s).iter().all(|(_, _, r)| *r == 1.0));
        let s = set(&base(), &[("producer.*.metrics.rate_per_s", "3")]);
        let want: Vec<f64> = vec![3.0, 10.0, 3.0];
        assert_eq!(rates(&s).iter().map(|r| r.2).collect::<Vec<_>>(), want);
        let s = set(&base(), &[("consumer.*.service_ms", "4")]);
        assert!(s.consumers.iter().all(|c| c.service == millis(4.0)));
        let s = set(&base(), &[("variant.*.kafka.partitions", "6")]);
        assert_eq!(kafka_partitions(&s, "kafka"), 6);
        assert_eq!(kafka_partitions(&s, "kafka-2"), 6);
        let e = fails(&base(), &[("variant.*.redis.maxlen", "5")]);
        assert!(e.message.contains("no variant takes redis options"), "{e}");
        // A wildcard that matches nothing says so, as an index would.
        let s = set(&base(), &[("fault.*.at_s", "1")]);
        assert!(s.faults.iter().all(|f| f.at == secs(1.0)));
        let mut no_faults = s;
        while !no_faults.faults.is_empty() {
            no_faults = edit(&no_faults, &Edit::RemoveFault(0)).unwrap_or_else(|e| panic!("{e}"));
        }
        let e = fails(&no_faults, &[("fault.*.at_s", "1")]);
        assert!(e.message.contains("the scenario has no [[fault]]"), "{e}");
    }

    #[test]
    fn scale_multiplies_rates_and_copies_producers_and_consumers_into_their_groups() {
        let s = set(&base(), &[("scale.rate", "2")]);
        let r: Vec<f64> = rates(&s).iter().map(|r| r.2).collect();
        assert_eq!(r, [40.0, 20.0, 10.0]);
        let s = set(&base(), &[("scale.producers", "3")]);
        let names: Vec<&str> = s.producers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["web-1", "web-1-2", "web-1-3", "web-2", "web-2-2", "web-2-3"]
        );
        assert_eq!(rates(&s).len(), 9);
        assert_eq!(s.producers[2].publish[1].arrivals, Arrivals::Constant);
        let s = set(&base(), &[("scale.consumers", "2")]);
        let cs: Vec<(&str, &str)> = s
            .consumers
            .iter()
            .map(|c| (c.name.as_str(), c.group.as_str()))
            .collect();
        assert_eq!(
            cs,
            [
                ("metric-server", "metric-server"),
                ("metric-server-2", "metric-server"),
                ("log-server", "logs"),
                ("log-server-2", "logs")
            ]
        );
        // Changes apply in order: the copies exist for the change after the scale.
        let s = set(
            &base(),
            &[
                ("scale.producers", "2"),
                ("producer.web-2-2.rate_per_s", "1"),
            ],
        );
        assert_eq!(s.producers[3].publish[0].rate_per_s, 1.0);
        let e = fails(&base(), &[("scale.producers", "0")]);
        assert_eq!(
            e.to_string(),
            "scale.producers: scale.producers must be a whole number from 1 to 2000, got 0"
        );
        let e = fails(&base(), &[("scale.rate", "-1")]);
        assert!(e.message.contains("greater than 0"), "{e}");
        set(&base(), &[("scale.rate", "1000")]);
        let e = fails(&base(), &[("scale.rate", "1000.5")]);
        assert!(e.message.contains("at most 1000"), "{e}");
        let e = fails(&base(), &[("scale.producers", "2001")]);
        assert!(e.message.contains("from 1 to 2000, got 2001"), "{e}");
    }

    #[test]
    fn paths_overlap_where_they_change_a_value_in_common() {
        let s = base();
        let both = |a: &str, b: &str| (overlap(&s, a, b), overlap(&s, b, a));
        for (a, b) in [
            ("scale.rate", "scale.rate"),
            ("scale.rate", "producer.*.rate_per_s"),
            ("scale.rate", "producer.web-1.metrics.rate_per_s"),
            ("producer.*.rate_per_s", "producer.web-2.rate_per_s"),
            (
                "producer.web-1.rate_per_s",
                "producer.web-1.metrics.rate_per_s",
            ),
            ("consumer.*.service_ms", "consumer.log-server.service_ms"),
            ("fault.0.at_s", "fault.00.at_s"),
            ("fault.*.at_s", "fault.1.at_s"),
            ("latency_ms", "latency_ms"),
        ] {
            assert_eq!(both(a, b), (true, true), "{a} and {b}");
        }
        for (a, b) in [
            ("producer.web-1.rate_per_s", "producer.web-2.rate_per_s"),
            ("producer.*.rate_per_s", "producer.*.size_bytes"),
            ("scale.rate", "scale.producers"),
            ("scale.producers", "producer.*.rate_per_s"),
            ("fault.0.at_s", "fault.1.at_s"),
            ("fault.0.at_s", "fault.0.until_s"),
            ("latency_ms", "duration_s"),
            ("consumer.nope.service_ms", "consumer.*.service_ms"),
        ] {
            assert_eq!(both(a, b), (false, false), "{a} and {b}");
        }
    }

    /// `n` producers `p0..` of `t` with `entries` publish entries each, one consumer of it.
    fn crowd(n: usize, entries: usize) -> Scenario {
        let mut text = String::from("duration_s = 1.0\n");
        let entry = vec!["{ topic = \"t\", rate_per_s = 0.001 }"; entries].join(", ");
        for i in 0..n {
            text += &format!("[[producer]]\nname = \"p{i}\"\npublish = [ {entry} ]\n");
        }
        text += "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n";
        text += "[[variant]]\nname = \"d\"\nshape = \"direct\"\n";
        parse_scenario("crowd.toml", &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_scale_past_the_node_or_entry_limit_is_refused_before_its_copies_are_made() {
        // 1,999 producers and a consumer, each producer x 2,000: refused at once (the copies
        // were made first and took 2.7 GB).
        let e = fails(&crowd(1_999, 1), &[("scale.producers", "2000")]);
        assert_eq!(
            e.message,
            "scale.producers = 2000 would make 3998001 producers and consumers, over the limit of 2000"
        );
        // The edge: 999 x 2 + 1 = 1,999 nodes and 1,000 x 2 + 1 = 2,001.
        assert_eq!(
            set(&crowd(999, 1), &[("scale.producers", "2")])
                .producers
                .len(),
            1_998
        );
        let e = fails(&crowd(1_000, 1), &[("scale.producers", "2")]);
        assert!(e.message.contains("2001 producers and consumers"), "{e}");
        let e = fails(&crowd(1, 1), &[("scale.consumers", "2000")]);
        assert!(e.message.contains("2001 producers and consumers"), "{e}");
        set(&crowd(1, 1), &[("scale.consumers", "1999")]);
        // Publish entries: 2 producers of 2,500 entries x 2 is the limit, x 3 is over.
        set(&crowd(2, 2_500), &[("scale.producers", "2")]);
        let e = fails(&crowd(2, 2_500), &[("scale.producers", "3")]);
        assert!(
            e.message
                .contains("15000 publish entries, over the limit of 10000"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_path_names_itself_and_the_nearest_valid_name() {
        let cases = [
            (
                "producer.web1.rate_per_s",
                "no producer named \"web1\"; did you mean \"web-1\"?",
            ),
            (
                "producer.web-1.rate",
                "no producer field named \"rate\"; did you mean \"rate_per_s\"?",
            ),
            (
                "producer.web-1.metric.rate_per_s",
                "did you mean \"metrics\"?",
            ),
            (
                "consumer.metric-srv.service_ms",
                "did you mean \"metric-server\"?",
            ),
            (
                "latncy_ms",
                "no parameter named \"latncy_ms\"; did you mean \"latency_ms\"?",
            ),
            ("variant.kafka.kafak.partitions", "did you mean \"kafka\"?"),
            (
                "variant.kafka.kafka.partition",
                "did you mean \"partitions\"?",
            ),
            (
                "variant.kafka.redis.maxlen",
                "variant \"kafka\" takes kafka options, not redis",
            ),
            (
                "variant.kafk.kafka.partitions",
                "no variant named \"kafk\"; did you mean \"kafka\"?",
            ),
            ("fault.5.at_s", "no fault \"5\""),
            ("scale.rates", "did you mean \"rate\"?"),
            ("producer.web-1", "give producer.NAME.FIELD"),
        ];
        for (path, want) in cases {
            let e = fails(&base(), &[(path, "1")]);
            assert_eq!(e.path, path);
            assert!(e.to_string().starts_with(&format!("{path}: ")), "{e}");
            assert!(e.message.contains(want), "{path}: {e}");
        }
        let e = fails(&base(), &[("zzz", "1")]);
        assert!(
            e.message
                .contains("one of: latency_ms, duration_s, seed, producer"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_value_gets_the_files_own_message() {
        let file_says = |from: &str, to: &str| {
            parse_scenario("test.toml", &TEXT.replacen(from, to, 1))
                .err()
                .unwrap_or_else(|| panic!("{to} is invalid"))
                .message
        };
        let e = fails(&base(), &[("producer.web-1.metrics.rate_per_s", "-5")]);
        assert_eq!(
            e.message,
            file_says("rate_per_s = 20.0", "rate_per_s = -5.0")
        );
        assert_eq!(e.message, "rate_per_s must be greater than 0, got -5");
        let e = fails(&base(), &[("variant.kafka.kafka.partitions", "0")]);
        assert_eq!(e.message, file_says("partitions = 2", "partitions = 0"));
        let e = fails(&base(), &[("producer.web-1.logs.arrivals", "sometimes")]);
        assert_eq!(e.message, file_says("\"constant\"", "\"sometimes\""));
        // Of several changes, the one that broke the file is named.
        let e = fails(
            &base(),
            &[("seed", "4"), ("duration_s", "8"), ("latency_ms", "2")],
        );
        assert_eq!(e.path, "duration_s");
        assert!(e.message.contains("at_s"), "{e}");
    }

    #[test]
    fn values_round_trip_through_apply_and_get() {
        let s = base();
        for p in list(&s) {
            let Some(v) = p.current.clone() else { continue };
            let again = apply(&s, &[(p.path.clone(), v.clone())])
                .unwrap_or_else(|e| panic!("setting {} to its own value: {e}", p.path));
            assert_eq!(get(&again, &p.path), Ok(Some(v)), "{}", p.path);
        }
        for (path, v) in [
            ("latency_ms", "2.5"),
            ("producer.web-2.rate_per_s", "12.25"),
            ("producer.web-1.logs.arrivals", "\"poisson\""),
            ("consumer.log-server.service_dist", "\"exponential\""),
            ("variant.kafka-2.kafka.offset_reset", "\"earliest\""),
            ("variant.rabbit.rabbitmq.durable", "false"),
            ("fault.0.until_s", "25.0"),
        ] {
            let s = set(&base(), &[(path, v)]);
            assert_eq!(get(&s, path), Ok(Some(value(v))), "{path}");
        }
        assert_eq!(get(&base(), "fault.1.until_s"), Ok(None));
        assert_eq!(
            get(&base(), "scale.rate"),
            Ok(Some(toml::Value::Float(1.0)))
        );
        assert_eq!(
            get(&base(), "producer.*.rate_per_s"),
            Ok(Some(toml::Value::Float(20.0)))
        );
    }

    #[test]
    fn writing_a_default_out_changes_nothing() {
        let minimal = r#"
[[producer]]
name = "p"
publish = [ { topic = "t", rate_per_s = 2.0 } ]
[[consumer]]
name = "c"
subscribe = ["t"]
[[fault]]
kind = "consumer-crash"
target = "c"
at_s = 1.0
[[variant]]
name = "d"
shape = "direct"
[[variant]]
name = "ch"
shape = "channel"
[[variant]]
name = "ps"
shape = "single-broker"
broker = "redis-pubsub"
[[variant]]
name = "st"
shape = "single-broker"
broker = "redis-stream"
[[variant]]
name = "r"
shape = "broker-per-topic"
broker = "rabbitmq"
[[variant]]
name = "k"
shape = "central-log"
broker = "kafka"
"#;
        let s = parse_scenario("minimal.toml", minimal).unwrap_or_else(|e| panic!("{e}"));
        let json = |s: &Scenario| serde_json::to_value(s).unwrap_or_default();
        let params = list(&s);
        assert!(params.len() > 50, "{}", params.len());
        for p in params {
            let Some(d) = p.default.clone() else { continue };
            assert_eq!(
                p.current.as_ref(),
                Some(&d),
                "{}: the table's default is read",
                p.path
            );
            let written =
                apply(&s, &[(p.path.clone(), d)]).unwrap_or_else(|e| panic!("{}: {e}", p.path));
            assert_eq!(
                json(&written),
                json(&s),
                "{}: its default is the parser's",
                p.path
            );
        }
    }

    #[test]
    fn comments_and_order_survive_changes() {
        let s = set(
            &base(),
            &[
                ("consumer.metric-server.service_ms", "3.0"),
                ("latency_ms", "2.0"),
                ("scale.producers", "2"),
            ],
        );
        assert!(s
            .text
            .starts_with("# A test scenario: this comment survives every change.\n"));
        assert!(
            s.text
                .contains("latency_ms = 2.0                  # one hop\n"),
            "{}",
            s.text
        );
        assert!(
            s.text
                .contains("service_ms = 3.0                  # per message\n"),
            "{}",
            s.text
        );
        let title = s.text.find("title").unwrap_or(usize::MAX);
        let producer = s.text.find("[[producer]]").unwrap_or(0);
        assert!(title < producer);
        assert_eq!(s.text.matches("# A test scenario").count(), 1);
    }

    #[test]
    fn values_read_as_toml_with_bare_words_as_strings() {
        assert_eq!(value("5"), toml::Value::Integer(5));
        assert_eq!(value(" 2.5 "), toml::Value::Float(2.5));
        assert_eq!(value("true"), toml::Value::Boolean(true));
        assert_eq!(value("\"x y\""), toml::Value::String("x y".into()));
        assert_eq!(value("constant"), toml::Value::String("constant".into()));
        assert_eq!(
            value("[1, 2]"),
            toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Integer(2)])
        );
        assert_eq!(
            assignment("seed = 4"),
            Ok(("seed".to_owned(), toml::Value::Integer(4)))
        );
        assert!(assignment("seed").is_err());
        assert!(assignment("=4").is_err());
    }

    #[test]
    fn a_change_that_breaks_another_line_names_that_line() {
        let e = fails(&base(), &[("duration_s", "8")]);
        assert_eq!(e.path, "duration_s");
        let line = TEXT.lines().position(|l| l == "at_s = 10.0").map(|i| i + 1);
        assert!(
            e.message
                .ends_with(&format!("(line {}: at_s = 10.0)", line.unwrap_or(0))),
            "{e}"
        );
        // A message about the changed value itself is not followed by its own line.
        let e = fails(&base(), &[("latency_ms", "70000")]);
        assert!(!e.message.contains("(line"), "{e}");
        // The line is the file's, not the changed text's: a copy of producer a is a-2, a name
        // the file gives another producer on its line 6 (line 9 of the scaled text).
        let text = "duration_s = 1.0\n[[producer]]\nname = \"a\"\npublish = [ { topic = \"t\", rate_per_s = 1.0 } ]\n\
                    [[producer]]\nname = \"a-2\"\npublish = [ { topic = \"t\", rate_per_s = 1.0 } ]\n\
                    [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n[[variant]]\nname = \"d\"\nshape = \"direct\"\n";
        let s = parse_scenario("collide.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let e = fails(&s, &[("scale.producers", "2")]);
        assert!(e.message.ends_with("(line 6: name = \"a-2\")"), "{e}");
    }

    #[test]
    fn a_number_too_large_for_toml_is_an_error_not_a_string() {
        for big in [
            "1e309",
            "-1.5e400",
            "99999999999999999999999",
            "+9_223_372_036_854_775_808",
        ] {
            let e = assignment(&format!("latency_ms={big}")).expect_err(big);
            assert_eq!(e.path, "latency_ms");
            assert!(
                e.message
                    .starts_with(&format!("{big} is too large a number")),
                "{e}"
            );
        }
        // The largest of each still is a number; other words are still strings.
        assert_eq!(
            assignment("seed=9223372036854775807").map(|a| a.1),
            Ok(toml::Value::Integer(i64::MAX))
        );
        assert_eq!(
            assignment("latency_ms=1.7e308").map(|a| a.1),
            Ok(toml::Value::Float(1.7e308))
        );
        for word in [
            "1.2.3",
            "constant",
            "1e",
            "e5",
            "2024-13-45x",
            "007",
            "1__0",
        ] {
            assert_eq!(
                assignment(&format!("x={word}")).map(|a| a.1),
                Ok(toml::Value::String(word.to_owned())),
                "{word}"
            );
        }
    }

    #[test]
    fn list_groups_every_knob_with_kind_current_and_default() {
        let params = list(&base());
        let find = |path: &str| params.iter().find(|p| p.path == path);
        let p = find("variant.kafka.kafka.partitions").unwrap_or_else(|| panic!("listed"));
        assert_eq!(
            p.group,
            ParamGroup::Variant {
                name: "kafka".into(),
                table: "kafka"
            }
        );
        assert_eq!(p.current, Some(toml::Value::Integer(2)));
        assert_eq!(p.default, Some(toml::Value::Integer(3)));
        assert_eq!(p.kind, ParamKind::Int { min: 1, max: 1024 });
        let p = find("producer.web-1.arrivals").unwrap_or_else(|| panic!("listed"));
        assert_eq!(
            p.kind,
            ParamKind::Choice {
                choices: &["poisson", "constant"]
            }
        );
        assert_eq!(p.group, ParamGroup::Workload);
        assert!(find("producer.web-1.logs.rate_per_s").is_some());
        assert!(
            find("producer.web-2.metrics.rate_per_s").is_none(),
            "one entry: no topic paths"
        );
        assert!(find("fault.0.until_s").is_some());
        assert!(
            find("fault.1.until_s").is_none(),
            "add-consumer takes no until_s"
        );
        let c = find("consumer.metric-server.group").unwrap_or_else(|| panic!("listed"));
        assert_eq!(c.current, Some(toml::Value::String("metric-server".into())));
        assert!(params.iter().all(|p| !p.help.is_empty()));
        assert_eq!(
            params.last().map(|p| p.group.to_string()),
            Some("scale".into())
        );
    }

    #[test]
    fn the_table_has_every_option_of_every_options_struct() {
        for table in OPTION_TABLES {
            let Some(toml::Value::Table(defaults)) = (match table {
                "direct" => toml::Value::try_from(DirectOptions::default()).ok(),
                "channel" => toml::Value::try_from(ChannelOptions::default()).ok(),
                "redis" => toml::Value::try_from(RedisOptions::default()).ok(),
                "rabbitmq" => toml::Value::try_from(RabbitOptions::default()).ok(),
                _ => toml::Value::try_from(KafkaOptions::default()).ok(),
            }) else {
                panic!("{table} options serialize to a table");
            };
            let mut theirs: Vec<&str> = defaults.keys().map(String::as_str).collect();
            let mut ours: Vec<&str> = fields::of(Family::Options(table)).map(|f| f.name).collect();
            theirs.sort_unstable();
            ours.sort_unstable();
            assert_eq!(ours, theirs, "{table}");
        }
    }
}
