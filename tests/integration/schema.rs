//! The JSON Schema of scenario files: the committed copy is the generated one, every shipped
//! file names it and conforms to it, it refuses what the parser refuses by name (a misspelt
//! field, an unknown shape), and its ranges and defaults are those the checks use.
//!
//! `UPDATE_SCHEMA=1 cargo test --test integration schema` rewrites `assets/brokerlab.schema.json`.

use brokerlab::scenario::conform::{self, Kind};
use brokerlab::scenario::{json_schema, json_schema_text, rules, violations, LIMITS};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every shipped scenario and lesson.
fn shipped() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/lessons"] {
        let entries = std::fs::read_dir(root().join(dir)).expect("the folder is there");
        files.extend(
            entries
                .map(|e| e.expect("an entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml")),
        );
    }
    files.sort();
    assert!(files.len() >= 15, "{} files", files.len());
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = root().join("assets/brokerlab.schema.json");
    let generated = json_schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("assets/ is writable");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_SCHEMA=1 cargo test --test integration schema` \
         (or `brokerlab schema > assets/brokerlab.schema.json`) and commit it",
        path.display()
    );
    let v: Value = serde_json::from_str(&committed).expect("JSON");
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

#[test]
fn every_shipped_file_names_the_schema_on_its_first_line_and_conforms_to_it() {
    for path in shipped() {
        let text = std::fs::read_to_string(&path).expect("UTF-8");
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("#:schema ")
            .unwrap_or_else(|| panic!("{}: first line is {first:?}", path.display()));
        let schema = path.parent().expect("a folder").join(target);
        let same = std::fs::canonicalize(&schema).ok()
            == std::fs::canonicalize(root().join("assets/brokerlab.schema.json")).ok();
        assert!(same, "{}: {target} is not the schema", path.display());
        let found = violations(&text).expect("TOML");
        let said: Vec<String> = found.iter().map(|v| v.message.clone()).collect();
        assert!(said.is_empty(), "{}: {said:#?}", path.display());
    }
}

/// The first violation of `text`, which must have one.
fn refused(text: &str) -> conform::Violation {
    let found = violations(text).expect("TOML");
    found.into_iter().next().expect("a violation")
}

const MINIMAL: &str = r#"
[[producer]]
name = "web-1"
publish = [ { topic = "metrics", rate_per_s = 20.0 } ]
[[consumer]]
name = "metric-server-1"
subscribe = ["metrics"]
[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"
"#;

#[test]
fn the_schema_refuses_a_misspelt_field_and_an_unknown_shape_with_the_nearest_name() {
    assert!(violations(MINIMAL).expect("TOML").is_empty());
    let v = refused(&MINIMAL.replace("rate_per_s", "rate_per_sec"));
    assert_eq!(v.kind, Kind::UnknownField);
    assert!(
        v.message.starts_with("unknown field `rate_per_sec`"),
        "{}",
        v.message
    );
    assert_eq!(v.help.as_deref(), Some("did you mean `rate_per_s`?"));
    let v = refused(&MINIMAL.replace("central-log", "centrallog"));
    assert_eq!(v.kind, Kind::UnknownValue);
    assert_eq!(v.help.as_deref(), Some("did you mean `central-log`?"));
    // `additionalProperties: false` in every table, from `deny_unknown_fields`.
    let v = refused(&format!("{MINIMAL}kafka = {{ partitons = 3 }}\n"));
    assert_eq!(v.help.as_deref(), Some("did you mean `partitions`?"));
    let v = refused(&format!("sead = 1\n{MINIMAL}"));
    assert_eq!(v.help.as_deref(), Some("did you mean `seed`?"));
    // Texts are a string or { en, ko }.
    assert!(
        violations(&format!("title = {{ en = \"a\", ko = \"가\" }}\n{MINIMAL}"))
            .expect("TOML")
            .is_empty()
    );
    let v = refused(&format!(
        "title = {{ en = \"a\", kor = \"가\" }}\n{MINIMAL}"
    ));
    assert_eq!(v.help.as_deref(), Some("did you mean `ko`?"));
    // A range, as the check states it.
    let v = refused(&MINIMAL.replace("20.0", "-5.0"));
    assert_eq!(v.kind, Kind::OutOfRange);
    assert_eq!(v.message, "rate_per_s must be greater than 0, got -5");
}

/// The schema of `$defs/NAME`, property `field`.
fn field<'a>(schema: &'a Value, def: &str, field: &str) -> &'a Value {
    &schema["$defs"][def]["properties"][field]
}

#[test]
fn ranges_defaults_and_enums_come_from_the_rules_the_checks_use() {
    let s = json_schema();
    let rate = field(&s, "Publish", "rate_per_s");
    assert_eq!(rate["exclusiveMinimum"], 0);
    assert_eq!(rate["maximum"].as_f64(), Some(LIMITS.rate_per_s));
    let partitions = field(&s, "KafkaOptions", "partitions");
    assert_eq!(partitions["minimum"], rules::PARTITIONS.min);
    assert_eq!(partitions["maximum"], rules::PARTITIONS.max);
    assert_eq!(partitions["default"], 3);
    assert_eq!(
        field(&s, "RedisOptions", "save")["maxItems"],
        rules::SAVE_RULES
    );
    assert_eq!(
        s["properties"]["duration_s"]["default"],
        rules::DURATION_S_DEFAULT
    );
    assert_eq!(s["properties"]["variant"]["maxItems"], LIMITS.variants);
    assert_eq!(
        s["required"],
        serde_json::json!(["producer", "consumer", "variant"])
    );
    let shapes: Vec<&str> = s["$defs"]["Shape"]["enum"]
        .as_array()
        .expect("an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        shapes,
        [
            "direct",
            "channel",
            "single-broker",
            "broker-per-topic",
            "central-log"
        ]
    );
    assert_eq!(s["$defs"]["Text"]["anyOf"][0]["type"], "string");
    assert_eq!(s["$defs"]["Consumer"]["additionalProperties"], false);
    assert!(field(&s, "Consumer", "service_ms")["description"].is_string());
}

/// Every keyword of the schema is one the walker acts on or reads past: none is ignored unseen.
#[test]
fn the_schema_uses_only_keywords_the_walker_knows() {
    fn walk(v: &Value, unknown: &mut Vec<String>, under_properties: bool) {
        match v {
            Value::Object(map) => {
                for (k, sub) in map {
                    let known = under_properties
                        || conform::KEYWORDS.contains(&k.as_str())
                        || conform::ANNOTATIONS.contains(&k.as_str())
                        || conform::CHECKED_ELSEWHERE.contains(&k.as_str());
                    if !known {
                        unknown.push(k.clone());
                    }
                    let holds_names = !under_properties && (k == "properties" || k == "$defs");
                    // `default` and `const` hold data, not schemas.
                    if k != "default" && k != "const" && k != "enum" {
                        walk(sub, unknown, holds_names);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, unknown, false)),
            _ => {}
        }
    }
    let mut unknown = Vec::new();
    walk(&json_schema(), &mut unknown, false);
    unknown.sort();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "keywords the walker does not know: {unknown:?}"
    );
}

/// What `check` refuses of a name or a count, an editor refuses too: every name the checker's
/// `name` tests carries its pattern (1 to 100 characters, no `=`, not `*` alone), and an
/// unsigned field its type's largest value. (The pattern's cases were run with Python's
/// jsonschema: `web-1`, a 100-character name and 50 Hangul pairs pass; 101 characters, blank,
/// `*`, `a=b` and a control character, C0 or C1, do not.)
#[test]
fn names_and_unsigned_fields_carry_the_checkers_limits() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    for (def, field) in [
        ("Producer", "name"),
        ("Consumer", "name"),
        ("Consumer", "group"),
        ("Variant", "name"),
        ("Publish", "topic"),
    ] {
        let f = &defs[def]["properties"][field];
        assert_eq!(
            f["pattern"].as_str(),
            Some(rules::NAME_PATTERN),
            "{def}.{field}: {f}"
        );
        assert_eq!(f["not"]["pattern"], r"^\s*\*\s*$", "{def}.{field}");
    }
    for f in [
        &defs["Consumer"]["properties"]["subscribe"]["items"],
        &defs["Sweep"]["properties"]["name"],
    ] {
        assert_eq!(f["pattern"].as_str(), Some(rules::NAME_PATTERN), "{f}");
    }
    let max_length = &defs["RabbitOptions"]["properties"]["max_length"];
    assert_eq!(max_length["maximum"], u64::from(u32::MAX), "{max_length}");
}
