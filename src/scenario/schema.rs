//! The JSON Schema (2020-12) of scenario files, generated from the serde types that read them
//! (`parse::RawScenario` and the option tables), with the ranges and defaults of [`super::rules`].
//! `brokerlab schema` prints it; `assets/brokerlab.schema.json` is a copy that editors (Taplo,
//! Even Better TOML) find through the `#:schema` line at the top of each shipped file.

use super::conform::{self, Kind};
use super::diagnostic::Diagnostic;
use super::parse::RawScenario;
use schemars::generate::SchemaSettings;
use schemars::Schema;
use serde_json::Value;
use std::sync::OnceLock;

/// The schema as a JSON value.
#[must_use]
pub fn json_schema() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.transforms.push(Box::new(no_null));
    settings.transforms.push(Box::new(tidy));
    settings.transforms.push(Box::new(bounded));
    let schema = settings
        .into_generator()
        .into_root_schema_for::<RawScenario>();
    schema.to_value()
}

/// The schema, generated once.
fn cached() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(json_schema)
}

/// The misspelt fields, unknown names and wrong types of a file, each with its place (and the
/// nearest valid name): what serde, which stops at the first, would report one at a time.
/// Nothing for a file that is not TOML.
pub(super) fn name_problems(text: &str) -> Vec<Diagnostic> {
    problems(
        text,
        &[Kind::UnknownField, Kind::UnknownValue, Kind::WrongType],
    )
}

/// Values of the wrong type that serde lets through: a list where a table belongs is read as
/// the table's fields in order (`kafka = [7, 5.0]` as 7 partitions), so it is refused here.
pub(super) fn wrong_types(text: &str) -> Vec<Diagnostic> {
    problems(text, &[Kind::WrongType])
}

fn problems(text: &str, kinds: &[Kind]) -> Vec<Diagnostic> {
    let found = conform::violations(cached(), text).unwrap_or_default();
    let mut named: Vec<&conform::Violation> =
        found.iter().filter(|v| kinds.contains(&v.kind)).collect();
    // Only the first by place can be shown (one more tells there are more).
    named.sort_by_key(|v| v.span.start);
    named.truncate(super::diagnostic::MAX_ERRORS + 1);
    let lines = super::diagnostic::LineIndex::new(text);
    named
        .into_iter()
        .map(|v| v.diagnostic_indexed(&lines, text))
        .collect()
}

/// Every violation of the schema in a file's TOML (tests: the shipped files have none).
///
/// # Errors
/// The text is not TOML.
pub fn violations(text: &str) -> Result<Vec<conform::Violation>, toml::de::Error> {
    conform::violations(cached(), text)
}

/// The schema as the text of `assets/brokerlab.schema.json`: pretty, with a final newline.
#[must_use]
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// An unsigned field takes at most its type's largest value: the schema says so (`max_length
/// = 4294967296` passed it, and only the checker refused it).
fn bounded(schema: &mut Schema) {
    let max = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => Some(u64::from(u8::MAX)),
        Some("uint16") => Some(u64::from(u16::MAX)),
        Some("uint32") => Some(u64::from(u32::MAX)),
        _ => None,
    };
    if let Some(max) = max {
        if schema.get("maximum").is_none() {
            schema.insert("maximum".into(), Value::from(max));
        }
    }
    schemars::transform::transform_subschemas(&mut bounded, schema);
}

/// TOML has no null: an optional field is one that may be left out, never `null`.
fn no_null(schema: &mut Schema) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            schema.insert("type".into(), only);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alternatives)) = schema.get_mut(key) {
            alternatives.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
        }
    }
    schemars::transform::transform_subschemas(&mut no_null, schema);
}

/// What the derive leaves that reads badly in an editor: an `anyOf` of one schema (an optional
/// field, once its null is gone) becomes that schema, and a doc comment's line breaks within a
/// paragraph become spaces.
fn tidy(schema: &mut Schema) {
    let single = match schema.get("anyOf") {
        Some(Value::Array(one)) if one.len() == 1 => {
            one.first().and_then(Value::as_object).cloned()
        }
        _ => None,
    };
    if let Some(inner) = single {
        schema.remove("anyOf");
        for (k, v) in inner {
            if schema.get(&k).is_none() {
                schema.insert(k, v);
            }
        }
    }
    if let Some(Value::String(d)) = schema.get_mut("description") {
        *d = d
            .split("\n\n")
            .map(|p| p.replace('\n', " "))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    schemars::transform::transform_subschemas(&mut tidy, schema);
}
