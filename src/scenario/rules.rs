//! The numbers each field of a scenario file accepts, and the defaults of the fields that have a
//! plain one: stated once, read by the checks in `parse` (which word the message) and by the
//! JSON Schema (`#[schemars(transform = rules::X.in_schema())]` writes `minimum`, `exclusiveMinimum`,
//! `maximum`; `extend("default" = ..)` the default), so an editor and `brokerlab check` agree.
//!
//! A bound that depends on the file (`at_s` up to the file's `duration_s`) is stated here at its
//! widest; the check narrows it.

use super::parse::LIMITS;
use schemars::Schema;
use serde_json::Value;

/// The finite numbers from `min` (or just above it) to `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    pub min: f64,
    /// `min` itself is refused: `(0, max]`, "greater than 0".
    pub above: bool,
    pub max: f64,
    /// `max` is the file's `duration_s` (narrower than the field's own limit).
    pub by_duration: bool,
}

impl Range {
    #[must_use]
    pub const fn closed(min: f64, max: f64) -> Range {
        Range {
            min,
            above: false,
            max,
            by_duration: false,
        }
    }

    /// `(min, max]`.
    #[must_use]
    pub const fn above(min: f64, max: f64) -> Range {
        Range {
            min,
            above: true,
            max,
            by_duration: false,
        }
    }

    /// The same lower bound up to the file's `duration_s`, where that is smaller.
    #[must_use]
    pub fn up_to(self, duration_s: f64) -> Range {
        Range {
            max: duration_s.min(self.max),
            by_duration: duration_s < self.max,
            ..self
        }
    }

    #[must_use]
    pub fn holds(self, x: f64) -> bool {
        let low = if self.above {
            x > self.min
        } else {
            x >= self.min
        };
        x.is_finite() && low && x <= self.max
    }
}

impl Range {
    /// What writes the range into a field's schema: `#[schemars(transform = X.in_schema())]`.
    pub fn in_schema(self) -> impl FnMut(&mut Schema) {
        move |schema| self.write(schema)
    }

    fn write(self, schema: &mut Schema) {
        let low = if self.above {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        schema.insert(low.into(), number(self.min));
        if self.max.is_finite() {
            schema.insert("maximum".into(), number(self.max));
        }
    }
}

/// A whole bound as a JSON integer (`60000`, not `60000.0`), others as they are.
#[allow(clippy::cast_possible_truncation)]
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The integers from `min` to `max` (`i64::MAX`: no upper bound but the type's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntRange {
    pub min: i64,
    pub max: i64,
}

impl IntRange {
    #[must_use]
    pub const fn new(min: i64, max: i64) -> IntRange {
        IntRange { min, max }
    }

    #[must_use]
    pub fn holds(self, x: i64) -> bool {
        (self.min..=self.max).contains(&x)
    }

    /// For the unsigned fields of the option tables.
    #[must_use]
    pub fn holds_u64(self, x: u64) -> bool {
        i64::try_from(x).is_ok_and(|x| self.holds(x))
    }
}

impl IntRange {
    /// What writes the range into a field's schema: `#[schemars(transform = X.in_schema())]`.
    pub fn in_schema(self) -> impl FnMut(&mut Schema) {
        move |schema| self.write(schema)
    }

    fn write(self, schema: &mut Schema) {
        schema.insert("minimum".into(), Value::from(self.min));
        if self.max < i64::MAX {
            schema.insert("maximum".into(), Value::from(self.max));
        }
    }
}

const NO_MAX: i64 = i64::MAX;

// The scenario's own numbers.
pub const SEED: IntRange = IntRange::new(0, NO_MAX);
pub const SEED_DEFAULT: i64 = 1;
pub const DURATION_S: Range = Range::above(0.0, LIMITS.duration_s);
pub const DURATION_S_DEFAULT: f64 = 60.0;
pub const LATENCY_MS: Range = Range::closed(0.0, LIMITS.latency_ms);
pub const LATENCY_MS_DEFAULT: f64 = 1.0;
/// At most the file's `duration_s`.
pub const SAMPLE_STEP_S: Range = Range::above(0.0, LIMITS.duration_s);

// A producer's publish entry.
pub const RATE_PER_S: Range = Range::above(0.0, LIMITS.rate_per_s);
pub const KEYS: IntRange = IntRange::new(0, 1_000_000);
pub const KEYS_DEFAULT: i64 = 0;
pub const SIZE_BYTES: IntRange = IntRange::new(1, LIMITS.size_bytes);
pub const SIZE_BYTES_DEFAULT: i64 = 100;

// A consumer.
pub const SERVICE_MS: Range = Range::closed(0.0, LIMITS.service_ms);
pub const SERVICE_MS_DEFAULT: f64 = 1.0;

// A fault. `at_s` is at most the file's `duration_s`.
pub const AT_S: Range = Range::closed(0.0, LIMITS.duration_s);
pub const UNTIL_S: Range = Range::closed(0.0, LIMITS.duration_s);
pub const FACTOR: Range = Range::closed(1.0, 10_000.0);
pub const FACTOR_DEFAULT: f64 = 10.0;

// A lesson step. `run_to_s` is at most the file's `duration_s`; `answer` below its choices.
pub const RUN_TO_S: Range = Range::closed(0.0, LIMITS.duration_s);
pub const ANSWER: IntRange = IntRange::new(0, NO_MAX);

// A lesson's sweep: it runs when the lesson is checked, so its seeds stay few. `duration_s` is
// at most the file's.
pub const SWEEP_SEEDS: IntRange = IntRange::new(1, 100);
pub const SWEEP_SEEDS_DEFAULT: i64 = 1;
pub const SWEEP_DURATION_S: Range = Range::above(0.0, LIMITS.duration_s);

// `direct` options.
pub const RETRY_MS: Range = Range::closed(0.001, 3_600_000.0);
pub const MAX_RETRIES: IntRange = IntRange::new(0, 65_535);

// `channel` options.
pub const CAPACITY: IntRange = IntRange::new(0, 10_000_000);

// `redis` options.
/// Output buffer limits, their time, the reconnect delay and the claim idle time.
pub const REDIS_NUMBER: Range = Range::closed(0.0, 1e9);
pub const AUTOCLAIM_EVERY_MS: Range = Range::closed(1.0, 1e9);
pub const READ_COUNT: IntRange = IntRange::new(1, 100_000);
pub const MAXLEN: IntRange = IntRange::new(0, 1_000_000_000);
/// `save` rules: at most this many `[seconds, changes]` pairs.
pub const SAVE_RULES: usize = 16;
pub const SAVE_SECONDS: IntRange = IntRange::new(1, 1_000_000_000);
pub const SAVE_CHANGES: IntRange = IntRange::new(1, NO_MAX);

// `rabbitmq` options.
pub const PREFETCH: IntRange = IntRange::new(0, 65_535);
/// Streams: `x-max-length-bytes` (0 = no limit).
pub const STREAM_BYTES: IntRange = IntRange::new(0, NO_MAX);
/// Streams: `x-max-age` in seconds (0 = no limit).
pub const MAX_AGE_S: Range = Range::closed(0.0, 1e12);
/// Streams: `x-stream-max-segment-size-bytes` (RabbitMQ's `MAX_STREAM_MAX_SEGMENT_SIZE`).
pub const MAX_SEGMENT_BYTES: IntRange = IntRange::new(1, 3_000_000_000);

// `kafka` options.
pub const PARTITIONS: IntRange = IntRange::new(1, LIMITS.partitions as i64);
pub const REPLICATION: IntRange = IntRange::new(1, LIMITS.replication as i64);
pub const RETENTION_S: Range = Range::closed(0.001, 1e12);
/// `retention.bytes`: this, or a size of at least 1.
pub const RETENTION_BYTES_UNLIMITED: i64 = -1;
pub const RETENTION_BYTES: IntRange = IntRange::new(1, NO_MAX);
/// `auto.commit.interval.ms`, `session.timeout.ms`, `max.poll.interval.ms`.
pub const KAFKA_MS: Range = Range::closed(1.0, 1e9);
pub const MAX_POLL_RECORDS: IntRange = IntRange::new(1, 100_000);
/// At least a record's overhead.
pub const SEGMENT_BYTES: IntRange = IntRange::new(14, 1 << 40);
pub const SEGMENT_MS: Range = Range::closed(1.0, 1e13);
/// Share groups: `group.share.record.lock.duration.ms` (the broker-wide bounds).
pub const LOCK_MS: Range = Range::closed(1000.0, 3_600_000.0);
/// `group.share.delivery.count.limit`.
pub const DELIVERY_LIMIT: IntRange = IntRange::new(2, 10);
/// `group.share.partition.max.record.locks`.
pub const MAX_RECORD_LOCKS: IntRange = IntRange::new(100, 10_000);
pub const FAIL_EVERY: IntRange = IntRange::new(0, 1_000_000);

/// The schema of `save`: each rule a pair within [`SAVE_SECONDS`] and [`SAVE_CHANGES`], at most
/// [`SAVE_RULES`] of them.
pub fn save_rules(schema: &mut Schema) {
    schema.insert("maxItems".into(), Value::from(SAVE_RULES));
    let pair = schema
        .get_mut("items")
        .and_then(|i| i.get_mut("prefixItems"))
        .and_then(Value::as_array_mut);
    if let Some([seconds, changes]) = pair.map(Vec::as_mut_slice) {
        for (value, range) in [(seconds, SAVE_SECONDS), (changes, SAVE_CHANGES)] {
            if let Ok(s) = <&mut Schema>::try_from(value) {
                range.write(s);
            }
        }
    }
}

/// The schema of `retention_bytes`: [`RETENTION_BYTES_UNLIMITED`] or within [`RETENTION_BYTES`].
pub fn retention_bytes(schema: &mut Schema) {
    let min = RETENTION_BYTES.min;
    schema.insert(
        "anyOf".into(),
        serde_json::json!([{ "const": RETENTION_BYTES_UNLIMITED }, { "minimum": min }]),
    );
}

/// A name as `check` takes it, for editors: after its surrounding whitespace, 1 to 100
/// characters, no `=`, no control character (C0, DEL or C1), and not `*` alone (the checker's
/// `name`).
pub const NAME_PATTERN: &str = concat!(
    r"^\s*([^\s=\u0000-\u001f\u007f-\u009f]|",
    r"[^\s=\u0000-\u001f\u007f-\u009f][^=\u0000-\u001f\u007f-\u009f]{0,98}",
    r"[^\s=\u0000-\u001f\u007f-\u009f])\s*$"
);

/// The schema of a name: [`NAME_PATTERN`], and not `*` alone.
pub fn name_in_schema(schema: &mut Schema) {
    schema.insert("pattern".into(), Value::from(NAME_PATTERN));
    let star = serde_json::json!({ "pattern": r"^\s*\*\s*$" });
    schema.insert("not".into(), star);
}

/// The schema of a list of names (a consumer's `subscribe`): each item a name.
pub fn names_in_schema(schema: &mut Schema) {
    if let Some(Value::Object(items)) = schema.get_mut("items") {
        let mut item = Schema::from(std::mem::take(items));
        name_in_schema(&mut item);
        *items = item.to_value().as_object().cloned().unwrap_or_default();
    }
}
