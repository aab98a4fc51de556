//! A scenario file's TOML against the JSON Schema of [`super::schema`], with the place of each
//! violation. Only the keywords that schema uses are known (a test walks the schema to check
//! that no other appears), so this is no general validator.
//!
//! It serves two ends: tests prove the schema accepts every shipped file and refuses a misspelt
//! field; and when serde stops at a file's first error, the walk finds every misspelt field and
//! unknown value of the file, each with the nearest valid name, to report them together.

use super::diagnostic::{did_you_mean, Diagnostic};
use serde_json::Value;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// What kind of violation: unknown names come with a "did you mean".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    UnknownField,
    UnknownValue,
    WrongType,
    Missing,
    OutOfRange,
}

/// A value of the file that the schema refuses.
#[derive(Clone, Debug)]
pub struct Violation {
    pub span: Range<usize>,
    pub kind: Kind,
    pub message: String,
    pub label: String,
    pub help: Option<String>,
}

impl Violation {
    /// The violation as a diagnostic, placed with `lines`, the index of `text`.
    #[must_use]
    pub(crate) fn diagnostic_indexed(
        &self,
        lines: &super::diagnostic::LineIndex,
        text: &str,
    ) -> Diagnostic {
        Diagnostic::at_indexed(lines, text, self.span.clone(), self.message.clone())
            .with_label(self.label.clone())
            .with_help(self.help.clone())
    }
}

/// Every violation of `schema` in the TOML `text`, in the order of the walk.
///
/// # Errors
/// The text is not TOML.
pub fn violations(schema: &Value, text: &str) -> Result<Vec<Violation>, toml::de::Error> {
    let root = DeTable::parse(text)?;
    let mut w = Walker {
        root: schema,
        out: Vec::new(),
    };
    w.table(schema, root.get_ref(), root.span(), "file");
    Ok(w.out)
}

/// The keywords [`violations`] acts on, and those it reads past (annotations).
pub const KEYWORDS: &[&str] = &[
    "$ref",
    "anyOf",
    "oneOf",
    "enum",
    "const",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "minimum",
    "exclusiveMinimum",
    "maximum",
];
pub const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$defs",
    "title",
    "description",
    "default",
    "format",
];
/// Keywords for editors that the walker reads past because the checker tests the same with
/// its own message (a name's `pattern` and `not`: `checker::name`).
pub const CHECKED_ELSEWHERE: &[&str] = &["pattern", "not"];

struct Walker<'s> {
    root: &'s Value,
    out: Vec<Violation>,
}

/// The JSON type names a TOML value answers to.
fn types(v: &DeValue) -> &'static [&'static str] {
    match v {
        DeValue::String(_) => &["string"],
        DeValue::Integer(_) => &["integer", "number"],
        DeValue::Float(_) => &["number"],
        DeValue::Boolean(_) => &["boolean"],
        DeValue::Datetime(_) => &["datetime"],
        DeValue::Array(_) => &["array"],
        DeValue::Table(_) => &["object"],
    }
}

/// A value's type as messages name it (serde's words for scalars, TOML's for containers).
fn found(v: &DeValue) -> String {
    match v {
        DeValue::String(s) => format!("string {s:?}"),
        DeValue::Integer(i) => format!("integer `{i}`"),
        DeValue::Float(f) => format!("floating point `{}`", f.as_str()),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("datetime `{d}`"),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

fn number(v: &DeValue) -> Option<f64> {
    match v {
        DeValue::Integer(i) => {
            let x = i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()?;
            #[allow(clippy::cast_precision_loss)]
            Some(x as f64)
        }
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        _ => None,
    }
}

/// The TOML value as JSON, for `enum` and `const` (strings and numbers are all they hold).
fn json(v: &DeValue) -> Option<Value> {
    match v {
        DeValue::String(s) => Some(Value::from(s.as_ref())),
        DeValue::Boolean(b) => Some(Value::from(*b)),
        _ => number(v).map(Value::from),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The strings an enum-like schema allows: `enum`, or alternatives that are each a `const`.
fn allowed_strings(schema: &Value) -> Option<Vec<&str>> {
    if let Some(Value::Array(values)) = schema.get("enum") {
        return values.iter().map(Value::as_str).collect();
    }
    let alternatives = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?;
    let mut out = Vec::new();
    for a in alternatives {
        out.extend(allowed_strings(a).or_else(|| Some(vec![a.get("const")?.as_str()?]))?);
    }
    Some(out)
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'s> Walker<'s> {
    fn push(&mut self, span: Range<usize>, kind: Kind, message: String, label: &str) {
        self.out.push(Violation {
            span,
            kind,
            message,
            label: label.to_owned(),
            help: None,
        });
    }

    /// `schema` with its `$ref` followed (a reference into `$defs`).
    fn resolve(&self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix('#')
                .and_then(|pointer| self.root.pointer(pointer))
                .map_or(schema, |s| self.resolve(s)),
            None => schema,
        }
    }

    /// `v` (under `key`) against `schema`.
    fn value(&mut self, schema: &'s Value, v: &Spanned<DeValue>, key: &str) {
        let schema = self.resolve(schema);
        if let Some(allowed) = allowed_strings(schema) {
            self.one_of_names(&allowed, v, key);
            return;
        }
        if let Some(Value::Array(alternatives)) =
            schema.get("anyOf").or_else(|| schema.get("oneOf"))
        {
            self.alternatives(alternatives, v, key);
        }
        if let Some(c) = schema.get("const") {
            if !json(v.get_ref()).is_some_and(|x| same(&x, c)) {
                let message = format!("{key}: invalid value: {}, expected {c}", found(v.get_ref()));
                self.push(v.span(), Kind::OutOfRange, message, "not allowed");
            }
        }
        if !self.type_fits(schema, v, key) {
            return;
        }
        match v.get_ref() {
            DeValue::Table(t) => self.table(schema, t, v.span(), key),
            DeValue::Array(items) => self.array(schema, items, v.span(), key),
            other => {
                if let Some(x) = number(other) {
                    self.range(schema, x, v.span(), key);
                }
            }
        }
    }

    /// A string value among names (an enum), with the nearest one if it is not.
    fn one_of_names(&mut self, allowed: &[&str], v: &Spanned<DeValue>, key: &str) {
        let DeValue::String(s) = v.get_ref() else {
            let message = format!(
                "{key}: invalid type: {}, expected one of {}",
                found(v.get_ref()),
                quoted(allowed)
            );
            self.push(v.span(), Kind::WrongType, message, "not a name");
            return;
        };
        if allowed.contains(&s.as_ref()) {
            return;
        }
        let message = format!("unknown {key} `{s}`, expected one of {}", quoted(allowed));
        self.push(
            v.span(),
            Kind::UnknownValue,
            message,
            &format!("unknown {key}"),
        );
        if let Some(last) = self.out.last_mut() {
            last.help = did_you_mean(s, allowed.iter().copied());
        }
    }

    /// Fits one of `alternatives`; if none, the violations of the one of the value's type.
    fn alternatives(&mut self, alternatives: &'s [Value], v: &Spanned<DeValue>, key: &str) {
        let mut fitting_type = None;
        for a in alternatives {
            let mut trial = Walker {
                root: self.root,
                out: Vec::new(),
            };
            trial.value(a, v, key);
            if trial.out.is_empty() {
                return;
            }
            let wrong_type = trial.out.iter().any(|x| x.kind == Kind::WrongType);
            if !wrong_type && fitting_type.is_none() {
                fitting_type = Some(trial.out);
            }
        }
        match fitting_type {
            Some(out) => self.out.extend(out),
            None => {
                let message = format!("{key}: invalid value: {}", found(v.get_ref()));
                self.push(v.span(), Kind::OutOfRange, message, "not allowed here");
            }
        }
    }

    /// The `type` keyword; false (after reporting) when it does not fit.
    fn type_fits(&mut self, schema: &'s Value, v: &Spanned<DeValue>, key: &str) -> bool {
        let wanted: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return true,
        };
        if types(v.get_ref()).iter().any(|t| wanted.contains(t)) {
            return true;
        }
        // TOML's words for JSON Schema's containers.
        let expected = wanted
            .iter()
            .map(|&t| match t {
                "object" => "a table",
                "array" => "an array",
                other => other,
            })
            .collect::<Vec<_>>()
            .join(" or ");
        let message = format!(
            "{key}: invalid type: {}, expected {expected}",
            found(v.get_ref())
        );
        self.push(v.span(), Kind::WrongType, message, "wrong type");
        false
    }

    fn table(&mut self, schema: &'s Value, t: &DeTable, span: Range<usize>, key: &str) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (k, v) in t {
            let name: &str = k.get_ref();
            match properties.and_then(|p| p.get(name)) {
                Some(s) => self.value(s, v, name),
                None if closed => {
                    let names: Vec<&str> = properties
                        .into_iter()
                        .flat_map(|p| p.keys().map(String::as_str))
                        .collect();
                    let message =
                        format!("unknown field `{name}`, expected one of {}", quoted(&names));
                    self.push(k.span(), Kind::UnknownField, message, "unknown field");
                    if let Some(last) = self.out.last_mut() {
                        last.help = did_you_mean(name, names);
                    }
                }
                None => {}
            }
        }
        let required = schema.get("required").and_then(Value::as_array);
        for r in required.into_iter().flatten().filter_map(Value::as_str) {
            if !t.keys().any(|k| k.get_ref() == r) {
                let message = format!("{key}: missing field `{r}`");
                self.push(span.clone(), Kind::Missing, message, "missing a field");
            }
        }
    }

    fn array(
        &mut self,
        schema: &'s Value,
        items: &[Spanned<DeValue>],
        span: Range<usize>,
        key: &str,
    ) {
        let count = |k: &str| schema.get(k).and_then(Value::as_u64);
        let n = items.len() as u64;
        if count("minItems").is_some_and(|m| n < m) || count("maxItems").is_some_and(|m| n > m) {
            let message = format!("{key}: {n} entries is not allowed here");
            self.push(span, Kind::OutOfRange, message, "too few or too many");
        }
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        let prefix = prefix.map_or(&[][..], Vec::as_slice);
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = prefix.get(i).or_else(|| schema.get("items")) {
                self.value(s, item, key);
            }
        }
    }

    fn range(&mut self, schema: &'s Value, x: f64, span: Range<usize>, key: &str) {
        let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
        let message = if !x.is_finite() {
            format!("{key} must be a finite number, got {x}")
        } else if let Some(m) = bound("exclusiveMinimum").filter(|&m| x <= m) {
            format!("{key} must be greater than {m}, got {x}")
        } else if let Some(m) = bound("minimum").filter(|&m| x < m) {
            format!("{key} must be at least {m}, got {x}")
        } else if let Some(m) = bound("maximum").filter(|&m| x > m) {
            format!("{key} is over the limit of {m} (got {x})")
        } else {
            return;
        };
        self.push(span, Kind::OutOfRange, message, "out of range");
    }
}
