//! The command line, end to end: the real binary, its exit codes, its JSON, CSV and table output,
//! and the study story as the shipped scenarios tell it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Every metric name of DESIGN.md's table: the contract of `run --format json`.
const DESIGN_METRICS: [&str; 15] = [
    "produced",
    "expected",
    "delivered",
    "duplicates",
    "lost",
    "lost_by_reason",
    "pending",
    "out_of_order",
    "latency_ms",
    "throughput_per_s",
    "connections",
    "systems_to_operate",
    "max_producer_endpoints",
    "add_consumer_cost",
    "stored_bytes_peak",
];

/// The counters every entry of a variant's `groups` carries.
const GROUP_FIELDS: [&str; 7] = [
    "name",
    "topics",
    "delivered",
    "lost",
    "pending",
    "duplicates",
    "lag",
];

/// Variant names of scenarios/use-cases.toml, in file order.
const USE_CASES_VARIANTS: [&str; 5] = [
    "point-to-point",
    "ipc-channel",
    "redis-pubsub",
    "rabbitmq-per-use-case",
    "kafka",
];

/// Run the binary from the crate root (where `scenarios/` lives).
fn brokerlab(args: &[&str]) -> Output {
    brokerlab_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn brokerlab_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot start brokerlab {args:?}: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Run, require exit 0, return stdout.
fn ok(args: &[&str]) -> String {
    let o = brokerlab(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "brokerlab {args:?} failed; stderr:\n{}",
        stderr(&o)
    );
    stdout(&o)
}

/// Run, require exit 2 (bad input) with nothing on stdout; return stderr.
fn bad_input(args: &[&str]) -> String {
    let o = brokerlab(args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "brokerlab {args:?} should exit 2; stdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        o.stdout.is_empty(),
        "brokerlab {args:?} printed to stdout on bad input:\n{}",
        stdout(&o)
    );
    stderr(&o)
}

fn json(args: &[&str]) -> Value {
    let out = ok(args);
    serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("brokerlab {args:?} printed no JSON ({e}):\n{out}"))
}

/// `run scenarios/use-cases.toml --format json`, run once and shared by the tests that read it.
fn use_cases() -> &'static (String, Value) {
    static RUN: OnceLock<(String, Value)> = OnceLock::new();
    RUN.get_or_init(|| {
        let out = ok(&["run", "scenarios/use-cases.toml", "--format", "json"]);
        let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("no JSON ({e}):\n{out}"));
        (out, v)
    })
}

fn variants(report: &Value) -> &Vec<Value> {
    report["variants"]
        .as_array()
        .expect("`variants` is an array")
}

fn variant<'a>(report: &'a Value, name: &str) -> &'a Value {
    variants(report)
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no variant {name} in the report"))
}

fn names(report: &Value) -> Vec<&str> {
    variants(report)
        .iter()
        .map(|v| v["name"].as_str().expect("variant name is a string"))
        .collect()
}

/// A counter of a variant's metrics (`lost`, `lost_by_reason.subscriber-offline`, ...).
fn metric(report: &Value, variant_name: &str, path: &str) -> u64 {
    let mut node = &variant(report, variant_name)["metrics"];
    for part in path.split('.') {
        node = &node[part];
    }
    node.as_u64()
        .unwrap_or_else(|| panic!("{variant_name}: {path} is not a count: {node}"))
}

fn count(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("`{field}` is not a count in {v}"))
}

fn float(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("`{field}` is not a number in {v}"))
}

/// A file in the temp dir with a name no other test (or test run) uses; removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "brokerlab-cli-{}-{nanos}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, text).expect("write temp file");
        TempFile(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn run_json_has_every_design_metric_and_conserves_deliveries_per_variant_and_group() {
    let (_, r) = use_cases();
    assert_eq!(r["scenario"], "scenarios/use-cases.toml");
    assert_eq!(r["seed"], 42, "the scenario's own seed");
    assert!((float(r, "until_s") - 60.0).abs() < 1e-9, "duration_s");
    assert_eq!(names(r), USE_CASES_VARIANTS);

    for v in variants(r) {
        let name = v["name"].as_str().unwrap_or("?");
        assert!(v["shape"].is_string(), "{name}: shape");
        assert!(
            v.get("broker").is_some(),
            "{name}: `broker` (null for shapes without one)"
        );
        let m = &v["metrics"];
        for k in DESIGN_METRICS {
            assert!(m.get(k).is_some(), "{name}: metrics lack `{k}`: {m}");
        }
        for q in ["p50", "p99", "max"] {
            assert!(
                m["latency_ms"][q].is_number(),
                "{name}: latency_ms.{q} in {m}"
            );
        }
        let lat = |q: &str| m["latency_ms"][q].as_f64().unwrap_or(f64::NAN);
        assert!(
            0.0 < lat("p50") && lat("p50") <= lat("p99") && lat("p99") <= lat("max"),
            "{name}: latency quantiles out of order: {}",
            m["latency_ms"]
        );
        assert!(float(m, "throughput_per_s") > 0.0, "{name}: throughput");

        let (expected, delivered, lost, pending) = (
            count(m, "expected"),
            count(m, "delivered"),
            count(m, "lost"),
            count(m, "pending"),
        );
        assert_eq!(
            expected,
            delivered + lost + pending,
            "{name}: expected == delivered + lost + pending"
        );
        assert!(count(m, "produced") > 0 && delivered > 0, "{name}: traffic");
        let by_reason: u64 = m["lost_by_reason"]
            .as_object()
            .expect("lost_by_reason is an object")
            .values()
            .map(|n| n.as_u64().expect("a loss count"))
            .sum();
        assert_eq!(by_reason, lost, "{name}: lost_by_reason adds up to lost");

        let groups = v["groups"].as_array().expect("groups is an array");
        assert!(!groups.is_empty(), "{name}: groups");
        for g in groups {
            for f in GROUP_FIELDS {
                assert!(g.get(f).is_some(), "{name}: group lacks `{f}`: {g}");
            }
            assert!(g["name"].is_string(), "{name}: group name in {g}");
            let topics = g["topics"].as_array().expect("topics is an array");
            assert!(
                !topics.is_empty() && topics.iter().all(Value::is_string),
                "{name}: group topics in {g}"
            );
            count(g, "lag");
        }
        for f in ["delivered", "lost", "pending", "duplicates"] {
            let sum: u64 = groups.iter().map(|g| count(g, f)).sum();
            assert_eq!(sum, count(m, f), "{name}: the groups' {f} add up");
        }
        let audit = groups
            .iter()
            .find(|g| g["name"] == "audit")
            .unwrap_or_else(|| panic!("{name}: the audit group added at 30 s"));
        assert_eq!(
            audit["topics"],
            serde_json::json!(["notifications", "supply-chain"])
        );
    }
}

#[test]
fn run_is_byte_identical_for_one_seed_and_differs_for_another() {
    let (first, _) = use_cases();
    let again = ok(&["run", "scenarios/use-cases.toml", "--format", "json"]);
    assert!(
        *first == again,
        "two runs with the same seed printed different JSON"
    );

    let other = ok(&[
        "run",
        "scenarios/use-cases.toml",
        "--format",
        "json",
        "--seed",
        "43",
    ]);
    assert_ne!(*first, other, "--seed 43 changed nothing");
    let r: Value = serde_json::from_str(&other).expect("JSON");
    assert_eq!(r["seed"], 43);
    assert_ne!(
        metric(&r, "kafka", "produced"),
        metric(&use_cases().1, "kafka", "produced"),
        "another seed draws another Poisson workload"
    );
}

#[test]
fn run_seed_takes_what_a_file_takes_and_refuses_more() {
    let top = i64::MAX.to_string();
    let r = json(&[
        "run",
        "point-to-point",
        "--format",
        "json",
        "--until",
        "1",
        "--seed",
        &top,
    ]);
    assert_eq!(
        r["seed"].to_string(),
        top,
        "the largest seed a file takes runs"
    );
    let over = (i64::MAX.unsigned_abs() + 1).to_string();
    let o = brokerlab(&["run", "point-to-point", "--until", "1", "--seed", &over]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{over} is not in 0..=9223372036854775807")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_variant_keeps_only_the_named_variants_in_scenario_order_and_rejects_unknown_names() {
    let r = json(&[
        "run",
        "scenarios/use-cases.toml",
        "--format",
        "json",
        "--variant",
        "kafka",
        "--variant",
        "redis-pubsub",
    ]);
    assert_eq!(names(&r), ["redis-pubsub", "kafka"], "scenario order");
    // Variants run independently: leaving some out changes nothing in the others.
    let full = &use_cases().1;
    for n in ["redis-pubsub", "kafka"] {
        assert_eq!(
            variant(&r, n),
            variant(full, n),
            "{n} alone vs in the full run"
        );
    }

    let err = bad_input(&["run", "scenarios/use-cases.toml", "--variant", "nope"]);
    assert!(err.contains("nope"), "names the bad variant: {err}");
    for known in USE_CASES_VARIANTS {
        assert!(err.contains(known), "names known variant {known}: {err}");
    }
}

#[test]
fn run_until_stops_the_clock_early_and_rejects_negative_or_nan_seconds() {
    let r = json(&[
        "run",
        "scenarios/use-cases.toml",
        "--format",
        "json",
        "--until",
        "10",
    ]);
    assert!((float(&r, "until_s") - 10.0).abs() < 1e-9, "until_s 10");
    for n in USE_CASES_VARIANTS {
        let (short, full) = (
            metric(&r, n, "produced"),
            metric(&use_cases().1, n, "produced"),
        );
        assert!(
            0 < short && short < full,
            "{n}: produced by 10 s ({short}) < by 60 s ({full})"
        );
        assert_eq!(
            metric(&r, n, "expected"),
            metric(&r, n, "delivered") + metric(&r, n, "lost") + metric(&r, n, "pending"),
            "{n}: conservation at 10 s"
        );
    }

    for until in ["-1", "nan", "inf"] {
        let err = bad_input(&["run", "use-cases", "--until", until]);
        assert!(!err.is_empty(), "--until {until}: says why");
    }
    let err = bad_input(&["run", "use-cases", "--until=-1"]);
    assert!(err.contains("--until"), "names the option: {err}");
    let err = bad_input(&["run", "use-cases", "--until", "nan"]);
    assert!(err.contains("--until"), "names the option: {err}");
    // Past the scenario's end the consumers drain what is left, if the limits (timer work among
    // them) still hold when reckoned to then.
    assert!(ok(&["run", "use-cases", "--until", "60.5"]).contains("produced"));
    let path = std::env::temp_dir().join(format!("brokerlab-until-{}.toml", std::process::id()));
    // One producer at 1 msg/s for 1 s, one consumer, the variant given.
    let write = |variant: &str| {
        let text = format!(
            "duration_s = 1.0\n[[producer]]\nname = \"p\"\npublish = [ {{ topic = \"t\", rate_per_s = 1.0 }} ]\n\
             [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n[[variant]]\n{variant}\n"
        );
        std::fs::write(&path, text).expect("write");
    };
    write("name = \"k\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = { auto_commit_ms = 1.0 }");
    let file = path.to_string_lossy().into_owned();
    assert!(ok(&["run", &file, "--until", "1000"]).contains("produced"));
    let err = bad_input(&["run", &file, "--until", "10000000"]);
    assert!(
        err.contains("--until 10000000: running on to then goes over a limit: variant \"k\": auto-commits every 1 ms"),
        "{err}"
    );
    // The documented range's end, 10,000,000 s, where nothing keeps a timer (a direct link
    // without retries); just over it is refused.
    write("name = \"d\"\nshape = \"direct\"");
    let r = json(&["run", &file, "--until", "10000000", "--format", "json"]);
    assert!(
        (float(&r, "until_s") - 1e7).abs() < 1e-9,
        "until_s 10,000,000"
    );
    let err = bad_input(&["run", &file, "--until", "10000000.5"]);
    assert!(err.contains("from 0 to 10000000"), "{err}");
    let _ = std::fs::remove_file(&path);
    let sweep = |until: &'static str| {
        [
            "sweep",
            "use-cases",
            "--param",
            "duration_s=35,40",
            "--until",
            until,
            "--variant",
            "kafka",
        ]
    };
    let err = bad_input(&sweep("36"));
    assert!(
        err.contains("past duration_s = 35"),
        "the shortest point's: {err}"
    );
    assert!(
        ok(&sweep("35")).contains("duration_s"),
        "the shortest point's end"
    );
}

#[test]
fn run_csv_has_a_column_per_metric_and_a_row_per_variant_matching_the_json() {
    let out = ok(&["run", "scenarios/use-cases.toml", "--format", "csv"]);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    for col in [
        "variant",
        "shape",
        "broker",
        "produced",
        "expected",
        "delivered",
        "duplicates",
        "lost",
        "lost_by_reason.subscriber-offline",
        "pending",
        "out_of_order",
        "latency_ms.p50",
        "latency_ms.p99",
        "latency_ms.max",
        "throughput_per_s",
        "connections",
        "systems_to_operate",
        "max_producer_endpoints",
        "add_consumer_cost",
        "stored_bytes_peak",
    ] {
        assert!(header.contains(&col), "CSV header lacks {col}: {header:?}");
    }
    assert_eq!(rows.len(), USE_CASES_VARIANTS.len(), "one row per variant");

    let r = &use_cases().1;
    let col = |name: &str| header.iter().position(|h| *h == name).expect("a column");
    for (row, name) in rows.iter().zip(USE_CASES_VARIANTS) {
        assert_eq!(row.len(), header.len(), "{name}: a cell per column");
        assert_eq!(row[0], name);
        for m in [
            "produced",
            "expected",
            "delivered",
            "lost",
            "pending",
            "connections",
            "systems_to_operate",
            "add_consumer_cost",
            "stored_bytes_peak",
        ] {
            assert_eq!(
                row[col(m)],
                metric(r, name, m).to_string(),
                "{name}: CSV {m} equals the JSON"
            );
        }
        let reason = "lost_by_reason.subscriber-offline";
        let in_json = variant(r, name)["metrics"]["lost_by_reason"]["subscriber-offline"]
            .as_u64()
            .unwrap_or(0);
        assert_eq!(row[col(reason)], in_json.to_string(), "{name}: {reason}");
    }
}

#[test]
fn run_table_prints_a_row_per_metric_and_a_column_per_variant() {
    let out = ok(&["run", "consumer-outage"]);
    let header = out.lines().nth(1).expect("a header line");
    for n in ["redis-pubsub", "rabbitmq-per-use-case", "kafka"] {
        assert!(header.contains(n), "table header lacks {n}: {header}");
    }
    for row in [
        "produced",
        "expected",
        "delivered",
        "duplicates",
        "lost",
        "lost: subscriber-offline",
        "pending",
        "out_of_order",
        "latency_ms p50",
        "latency_ms p99",
        "latency_ms max",
        "throughput_per_s",
        "connections",
        "systems_to_operate",
        "max_producer_endpoints",
        "add_consumer_cost",
        "stored_bytes_peak",
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{row} ")))
            .unwrap_or_else(|| panic!("no `{row}` row in the table:\n{out}"));
        assert_eq!(
            line.split_whitespace().count() - row.split_whitespace().count(),
            3,
            "`{row}`: a cell per variant: {line}"
        );
    }
}

#[test]
fn list_shows_the_four_builtins_and_a_builtin_name_runs_from_any_directory() {
    let out = ok(&["list"]);
    for n in [
        "point-to-point",
        "queue-vs-channel",
        "use-cases",
        "consumer-outage",
    ] {
        assert!(
            out.lines().any(|l| l.split_whitespace().next() == Some(n)),
            "list lacks {n}:\n{out}"
        );
    }
    assert!(!out.contains("broken"), "a built-in does not parse:\n{out}");

    // The temp dir has no scenarios/ folder: the name must resolve to the built-in text.
    let o = brokerlab_in(
        &std::env::temp_dir(),
        &["run", "use-cases", "--format", "json", "--until", "5"],
    );
    assert_eq!(o.status.code(), Some(0), "stderr:\n{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(r["scenario"], "builtin:use-cases");
    assert_eq!(names(&r), USE_CASES_VARIANTS);
}

#[test]
fn check_passes_a_valid_scenario_and_fails_a_lesson_expectation_at_its_line_and_column() {
    let out = ok(&["check", "scenarios/consumer-outage.toml"]);
    assert!(out.contains("valid"), "{out}");

    let lesson = |value: u64| {
        format!(
            r#"title = "a tiny lesson"
seed = 1
duration_s = 5.0

[[producer]]
name = "p"
publish = [ {{ topic = "t", rate_per_s = 10.0 }} ]

[[consumer]]
name = "c"
subscribe = ["t"]

[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"

[[step]]
title = "nothing is lost"
run_to_s = 5.0
expect = [ {{ variant = "kafka", metric = "lost", op = "==", value = {value} }} ]
"#
        )
    };
    // The expectation's inline table opens on line 21, column 12.
    let failing = TempFile::new("failing.toml", &lesson(12345));
    let o = brokerlab(&["check", failing.path()]);
    assert_eq!(o.status.code(), Some(1), "stderr:\n{}", stderr(&o));
    let err = stderr(&o);
    let at = format!("{}:21:12: expectation failed", failing.path());
    assert!(err.contains(&at), "stderr lacks `{at}`:\n{err}");
    assert!(stdout(&o).contains("FAIL"), "{}", stdout(&o));

    let holding = TempFile::new("holding.toml", &lesson(0));
    let out = ok(&["check", holding.path()]);
    assert!(out.contains("PASS") && out.contains("1 of 1"), "{out}");

    // A malformed file is bad input, reported at its position.
    let broken = TempFile::new("broken.toml", "title = \"x\"\nsede = 1\n");
    let err = bad_input(&["check", broken.path()]);
    assert!(
        err.starts_with(&format!("{}:2:", broken.path())),
        "error at FILE:LINE:COL: {err}"
    );
}

#[test]
fn help_of_every_subcommand_lists_its_options_and_no_command_without_the_app_exits_2() {
    let help = |args: &[&str], words: &[&str]| {
        let out = ok(args);
        for w in words {
            assert!(out.contains(w), "`{}` lacks {w}:\n{out}", args.join(" "));
        }
    };
    help(&["--help"], &["run", "check", "list", "open", "Exit codes"]);
    help(
        &["run", "--help"],
        &[
            "FILE",
            "--variant",
            "--seed",
            "--until",
            "--format",
            "table",
            "json",
            "csv",
        ],
    );
    help(&["check", "--help"], &["FILE", "expectations", "--set"]);
    help(&["list", "--help"], &["built-in"]);
    help(&["open", "--help"], &["FILE", "--set"]);
    help(&["notes", "--help"], &["--set"]);
    help(
        &["sweep", "--help"],
        &[
            "--param",
            "FROM..TO[:STEP]",
            "--seeds",
            "--metric",
            "--jobs",
            "--set",
        ],
    );

    if !cfg!(feature = "app") {
        let err = bad_input(&[]);
        assert!(
            err.contains("app") && err.contains("brokerlab run"),
            "hints at the CLI: {err}"
        );
    }
}

#[test]
fn shipped_scenarios_tell_the_study_story() {
    // A consumer offline for 10 s: pub/sub drops what it misses, queues and the log keep it.
    let r = json(&["run", "scenarios/consumer-outage.toml", "--format", "json"]);
    assert!(metric(&r, "redis-pubsub", "lost") > 0);
    assert!(metric(&r, "redis-pubsub", "lost_by_reason.subscriber-offline") > 0);
    assert_eq!(metric(&r, "rabbitmq-per-use-case", "lost"), 0);
    assert_eq!(metric(&r, "kafka", "lost"), 0);

    // Point to point: 5 x 2 links and every server touched to add a consumer; a log: 5 + 2.
    let r = json(&["run", "scenarios/point-to-point.toml", "--format", "json"]);
    assert_eq!(metric(&r, "point-to-point", "connections"), 10);
    assert_eq!(metric(&r, "point-to-point", "add_consumer_cost"), 5);
    assert_eq!(metric(&r, "kafka", "connections"), 7);
    assert_eq!(metric(&r, "kafka", "add_consumer_cost"), 0);

    // Five use cases: one system to run instead of five, and history for a late consumer.
    let r = &use_cases().1;
    assert_eq!(metric(r, "kafka", "systems_to_operate"), 1);
    assert_eq!(metric(r, "rabbitmq-per-use-case", "systems_to_operate"), 5);
    assert!(metric(r, "kafka", "replayed") > 0, "audit reads history");
    let audit = variant(r, "kafka")["groups"]
        .as_array()
        .and_then(|gs| gs.iter().find(|g| g["name"] == "audit"))
        .expect("kafka's audit group");
    assert!(count(audit, "replayed") > 0, "the replay is the audit's");
    for n in ["redis-pubsub", "rabbitmq-per-use-case"] {
        assert_eq!(metric(r, n, "replayed"), 0, "{n} keeps no history");
    }
}

#[test]
fn import_lists_flowcharts_writes_a_scenario_that_checks_and_mirrors_the_drawing() {
    let notes = "tests/import/queue-vs-channel.md";
    let listed = ok(&["import", notes, "--list"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].contains("line 7") && lines[0].contains("7 links"),
        "{listed}"
    );
    // Two flowcharts and none chosen: exit 2, both named, nothing written.
    let err = bad_input(&["import", notes]);
    assert!(
        err.starts_with(&format!("{notes}:1:1: 2 Mermaid flowcharts")),
        "{err}"
    );
    let dir = std::env::temp_dir().join(format!("brokerlab-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let out = dir.join("channel.toml");
    let out_s = out.to_str().expect("a UTF-8 path");
    ok(&["import", notes, "--diagram", "2", "--out", out_s]);
    assert!(ok(&["check", out_s]).contains("valid"));
    let report = json(&["run", out_s, "--format", "json", "--until", "1"]);
    let first = &variants(&report)[0];
    assert_eq!(first["shape"], "channel", "the drawing's IPC channel");
    assert_eq!(count(&first["metrics"], "connections"), 5, "5 drawn links");
    let err = bad_input(&["import", notes, "--diagram", "3"]);
    assert!(err.starts_with(&format!("{notes}:1:1:")), "{err}");
    let err = bad_input(&["import", "tests/import/nope.md"]);
    assert!(
        err.starts_with("tests/import/nope.md:1:1: cannot read"),
        "{err}"
    );
    // --list prints; with --out (where the scenario goes) it is refused, nothing written.
    let listing = dir.join("list.toml");
    let listing_s = listing.to_str().expect("a UTF-8 path");
    let err = bad_input(&["import", notes, "--list", "--out", listing_s]);
    assert!(err.contains("--out") && err.contains("--list"), "{err}");
    assert!(!listing.exists());
    // A broken drawing does not hide the others from --list: each listed, exit 2.
    let three = dir.join("three.md");
    let chart = |body: &str| format!("```mermaid\nflowchart LR\n{body}\n```\n");
    let text = [
        chart("  a --> k[(Kafka)] --> b"),
        chart("  a --> b\nend"),
        chart("  x --> q[(Queue)] --> y"),
    ]
    .concat();
    std::fs::write(&three, text).expect("written");
    let out = brokerlab(&["import", three.to_str().unwrap_or(""), "--list"]);
    assert_eq!(out.status.code(), Some(2));
    let listed = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(lines[0].starts_with(" 1  line 1 "), "{listed}");
    assert!(
        lines[1].starts_with(" 2  broken: ")
            && lines[1].ends_with(":8:1: `end` without an open `subgraph`"),
        "{listed}"
    );
    assert!(lines[2].starts_with(" 3  line 10 "), "{listed}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of the flowcharts listed"));
    // An error in a drawing shows its line of the notes with a caret, as `check` does.
    let broken = dir.join("broken.md");
    std::fs::write(&broken, chart("  a --> k[(Kafka) --> b")).expect("written");
    let err = bad_input(&["import", broken.to_str().unwrap_or("")]);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].ends_with(
            "broken.md:3:10: this bracket is not closed: expected `)]` on the same line"
        ),
        "{err}"
    );
    assert_eq!(lines.get(2), Some(&"3 |   a --> k[(Kafka) --> b"), "{err}");
    assert!(
        lines
            .get(3)
            .is_some_and(|l| l.starts_with("  |          ^")),
        "{err}"
    );
    // Old Mac line endings: the same line and caret (not line 1 holding the whole file).
    let text = std::fs::read_to_string(&broken)
        .expect("written")
        .replace('\n', "\r");
    std::fs::write(&broken, text).expect("written");
    let mac = bad_input(&["import", broken.to_str().unwrap_or("")]);
    assert_eq!(mac, err, "{mac}");
    // --out naming the file read: refused, the file as it was (it was written over).
    let own = dir.join("own.md");
    let own_notes = std::fs::read_to_string(notes).expect("the notes");
    std::fs::write(&own, &own_notes).expect("written");
    let lesson = dir.join("lesson.toml");
    let lesson_text =
        std::fs::read_to_string("scenarios/lessons/01-moving-data.toml").expect("a shipped lesson");
    std::fs::write(&lesson, &lesson_text).expect("written");
    let (own_s, lesson_s) = (own.to_str().unwrap_or(""), lesson.to_str().unwrap_or(""));
    let dotted = format!("{}/./own.md", dir.display());
    for (args, file, text) in [
        (
            vec!["import", own_s, "--diagram", "1", "--out", own_s],
            &own,
            &own_notes,
        ),
        (
            vec!["import", own_s, "--diagram", "1", "--out", &dotted],
            &own,
            &own_notes,
        ),
        (
            vec!["notes", lesson_s, "--out", lesson_s],
            &lesson,
            &lesson_text,
        ),
    ] {
        let err = bad_input(&args);
        assert!(err.contains("that is the file read"), "{args:?}: {err}");
        assert_eq!(&std::fs::read_to_string(file).expect("kept"), text);
    }
    // Many flowcharts and none chosen: the first ten, how many more, and where to see them.
    let many = dir.join("many.md");
    let chart = "```mermaid\nflowchart LR\n  a --> k[(Kafka)] --> b\n```\n";
    std::fs::write(&many, chart.repeat(2000)).expect("written");
    let many_s = many.to_str().expect("a UTF-8 path");
    for args in [
        vec!["import", many_s],
        vec!["import", many_s, "--diagram", "2001"],
    ] {
        let err = bad_input(&args);
        assert!(err.contains("10 (line 37, flowchart LR)"), "{err}");
        assert!(!err.contains("11 (line"), "{err}");
        assert!(
            err.contains("and 1990 more: --list shows them all"),
            "{err}"
        );
        assert!(err.len() < 1000, "{} bytes", err.len());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn set_changes_the_scenario_of_every_command_and_a_bad_path_or_value_exits_2() {
    // Two paths to the same scenario give the same run, byte for byte; both differ from none.
    let base = ok(&["run", "point-to-point", "--format", "json"]);
    let scaled = ok(&[
        "run",
        "point-to-point",
        "--set",
        "scale.rate=2",
        "--format",
        "json",
    ]);
    let each = ok(&[
        "run",
        "point-to-point",
        "--set",
        "producer.*.rate_per_s=40",
        "--format",
        "json",
    ]);
    assert_eq!(scaled, each);
    assert_ne!(scaled, base);
    let (b, s): (Value, Value) = (
        serde_json::from_str(&base).expect("JSON"),
        serde_json::from_str(&scaled).expect("JSON"),
    );
    let (pb, ps) = (
        metric(&b, "kafka", "produced"),
        metric(&s, "kafka", "produced"),
    );
    assert!(
        ps > pb * 17 / 10 && ps < pb * 23 / 10,
        "twice the rate: {pb} -> {ps}"
    );
    let more = json(&[
        "run",
        "scenarios/point-to-point.toml",
        "--set",
        "scale.consumers=3",
        "--set",
        "variant.kafka.kafka.partitions=6",
        "--format",
        "json",
    ]);
    assert_eq!(metric(&more, "point-to-point", "connections"), 30);
    assert!(ok(&["check", "point-to-point", "--set", "seed=4"]).contains("valid"));
    let md = ok(&[
        "notes",
        "lesson-1",
        "--set",
        "seed=2",
        "--set",
        "producer.*.rate_per_s=5",
    ]);
    assert!(md.starts_with('#'));
    assert!(
        md.contains(
            "`brokerlab notes lesson-1 --lang en --set seed=2 --set 'producer.*.rate_per_s=5'`"
        ),
        "the command that makes them again repeats the changes: {md}"
    );

    let err = bad_input(&[
        "run",
        "point-to-point",
        "--set",
        "producer.sever-1.rate_per_s=3",
    ]);
    assert_eq!(
        err,
        "builtin:point-to-point: --set producer.sever-1.rate_per_s: no producer named \"sever-1\"; did you mean \"server-1\"?\n"
    );
    // The value's problem in the file's own words.
    let err = bad_input(&[
        "check",
        "point-to-point",
        "--set",
        "producer.server-1.rate_per_s=-5",
    ]);
    assert_eq!(
        err,
        "builtin:point-to-point: --set producer.server-1.rate_per_s: rate_per_s must be greater than 0, got -5\n"
    );
    let err = bad_input(&["notes", "lesson-1", "--set", "seed"]);
    assert!(err.contains("--set seed: give PATH=VALUE"), "{err}");
    // `open` loads (and changes) the scenario before any window: a bad change never opens one.
    let err = bad_input(&[
        "open",
        "point-to-point",
        "--set",
        "variant.kafka.kafka.partitons=2",
    ]);
    assert!(err.contains("did you mean \"partitions\"?"), "{err}");
    // Study notes open in the import window (not read as a scenario); missing ones never open
    // one.
    let err = bad_input(&["open", "tests/import/nope.md"]);
    assert!(
        err.starts_with("tests/import/nope.md:1:1: cannot read the file"),
        "{err}"
    );
}

/// A sweep's `metrics.NAME.mean` at point `p` for a variant.
fn sweep_mean(r: &Value, p: usize, variant_name: &str, m: &str) -> f64 {
    let v = r["points"][p]["variants"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == variant_name))
        .unwrap_or_else(|| panic!("point {p} has no variant {variant_name}: {r}"));
    float(&v["metrics"][m], "mean")
}

#[test]
fn sweep_of_point_to_point_grows_direct_links_16_fold_and_a_log_4_fold() {
    // The issue's acceptance check: 4x the producers and 4x the consumers.
    let r = json(&[
        "sweep",
        "point-to-point",
        "--param",
        "scale.producers=1,4",
        "--param",
        "scale.consumers=1,4",
        "--metric",
        "connections",
        "--format",
        "json",
    ]);
    assert_eq!(
        r["params"],
        serde_json::json!(["scale.producers", "scale.consumers"])
    );
    let points = r["points"].as_array().expect("points");
    assert_eq!(points.len(), 4);
    assert_eq!(
        points[3]["values"],
        serde_json::json!({"scale.producers": 4, "scale.consumers": 4})
    );
    for direct in ["point-to-point", "point-to-point-retry"] {
        assert_eq!(sweep_mean(&r, 0, direct, "connections"), 10.0);
        assert_eq!(sweep_mean(&r, 3, direct, "connections"), 160.0, "x16");
    }
    assert_eq!(sweep_mean(&r, 0, "kafka", "connections"), 7.0);
    assert_eq!(sweep_mean(&r, 3, "kafka", "connections"), 28.0, "x4");
}

#[test]
fn sweep_seeds_give_mean_and_ci95_that_match_single_runs_whatever_the_jobs() {
    let args = |jobs: &'static str| {
        [
            "sweep",
            "point-to-point",
            "--param",
            "scale.rate=0.5,1",
            "--seeds",
            "3",
            "--variant",
            "kafka",
            "--metric",
            "delivered",
            "--until",
            "5",
            "--jobs",
            jobs,
            "--format",
            "json",
        ]
    };
    let one = ok(&args("1"));
    assert_eq!(ok(&args("2")), one, "the output does not depend on --jobs");
    let r: Value = serde_json::from_str(&one).expect("JSON");
    assert_eq!(r["seeds"], 3);
    assert_eq!(r["complete"], true);
    // By hand: the three runs of point 0 (seeds 7, 8, 9), then mean and t(2) * s / sqrt(3).
    let xs: Vec<f64> = ["7", "8", "9"]
        .iter()
        .map(|seed| {
            let run = json(&[
                "run",
                "point-to-point",
                "--set",
                "scale.rate=0.5",
                "--seed",
                seed,
                "--variant",
                "kafka",
                "--until",
                "5",
                "--format",
                "json",
            ]);
            metric(&run, "kafka", "delivered") as f64
        })
        .collect();
    let mean = xs.iter().sum::<f64>() / 3.0;
    let s = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    let stats = &r["points"][0]["variants"][0]["metrics"]["delivered"];
    assert!(
        (float(stats, "mean") - mean).abs() < 1e-9,
        "{stats} vs {xs:?}"
    );
    assert!(
        (float(stats, "ci95") - 4.303 * s / 3f64.sqrt()).abs() < 1e-9,
        "{stats}"
    );
    assert!(float(stats, "ci95") > 0.0, "three seeds differ: {xs:?}");
    assert_eq!(
        float(stats, "min"),
        xs.iter().copied().fold(f64::INFINITY, f64::min)
    );
    assert_eq!(float(stats, "max"), xs.iter().copied().fold(0.0, f64::max));

    let table = ok(&[
        "sweep",
        "point-to-point",
        "--param",
        "scale.rate=0.5,1",
        "--seeds",
        "3",
        "--variant",
        "kafka",
        "--until",
        "5",
    ]);
    assert!(
        table.contains("mean ± 95% confidence") && table.contains(" ± "),
        "{table}"
    );
    let csv = ok(&[
        "sweep",
        "point-to-point",
        "--param",
        "latency_ms=1..2:0.5",
        "--variant",
        "kafka",
        "--until",
        "2",
        "--format",
        "csv",
    ]);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[0].starts_with("latency_ms,variant,runs,delivered.mean,delivered.ci95"),
        "{csv}"
    );
    let firsts: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap_or(""))
        .collect();
    assert_eq!(firsts, ["1.0", "1.5", "2.0"], "an inclusive range");
}

#[test]
fn sweep_rejects_bad_params_metrics_and_variants_with_exit_2() {
    for (args, want) in [
        (
            vec!["--param", "scale.rate"],
            "--param scale.rate: give PATH=V1,V2,... or PATH=FROM..TO[:STEP]",
        ),
        (vec!["--param", "scale.rate=2..1"], "below FROM"),
        (
            vec!["--param", "producr.*.rate_per_s=1"],
            "did you mean \"producer\"?",
        ),
        (
            vec!["--param", "producer.*.rate_per_s=5,-1"],
            "rate_per_s must be greater than 0, got -1",
        ),
        (
            vec!["--metric", "latency"],
            "--metric latency: no such metric; did you mean `latency_ms.p50`? one of: produced",
        ),
        (
            vec!["--variant", "kafak"],
            "builtin:point-to-point: --variant: no variant named \"kafak\"; the scenario has: \
             point-to-point, point-to-point-retry, kafka; did you mean `kafka`?",
        ),
        (
            vec!["--metric", "delivred"],
            "--metric delivred: no such metric; did you mean `delivered`? one of: produced",
        ),
        (vec!["--seeds", "0"], "--seeds"),
        (vec!["--seeds", "10001"], "10001 is not in 1..=10000"),
        // Seeds a file cannot hold, blamed on --seeds itself (not on a --param).
        (
            vec!["--set", "seed=9223372036854775806", "--seeds", "3"],
            "builtin:point-to-point: --seeds: 3 seeds from seed 9223372036854775806 go past \
             9223372036854775807, the largest seed a file can hold",
        ),
        (
            vec!["--param", "scale.rate=1..11", "--seeds", "10000"],
            "--param scale.rate: 11 points x 10000 seeds is over the limit of 100000 runs",
        ),
        (vec!["--jobs", "0"], "--jobs"),
        (vec!["--jobs", "257"], "257 is not in 1..=256"),
        // Set and swept: a scale would multiply twice (10 x 2), a value be overridden.
        (
            vec!["--set", "scale.rate=10", "--param", "scale.rate=1,2"],
            "--param scale.rate: changes what --set scale.rate=10 changes: a value is either \
             set or swept; drop one",
        ),
        (
            vec![
                "--set",
                "consumer.*.service_ms = 2",
                "--param",
                "consumer.*.service_ms=1,3",
            ],
            "changes what --set consumer.*.service_ms = 2 changes",
        ),
        (
            vec![
                "--set",
                "scale.rate=10",
                "--param",
                "producer.*.rate_per_s=1,2",
            ],
            "changes what --set scale.rate=10 changes",
        ),
        // Past a point's end: what to do to run longer, which is not to set a swept value.
        (
            vec!["--param", "duration_s=30,40", "--until", "35"],
            "--until 35: past duration_s = 30, where the run ends; to run longer, sweep no \
             duration_s below 35",
        ),
        (
            vec!["--param", "latency_ms=1,2", "--until", "1000"],
            "--until 1000: past duration_s = 60, where the run ends; to run longer, give --set \
             duration_s=1000",
        ),
    ] {
        let mut all = vec!["sweep", "point-to-point"];
        all.extend(args);
        let err = bad_input(&all);
        assert!(err.contains(want), "{all:?}: {err}");
    }
}

#[cfg(unix)]
#[test]
fn sweep_stopped_by_ctrl_c_prints_the_points_it_finished() {
    let child = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .args([
            "sweep",
            "point-to-point",
            "--param",
            "seed=1..200",
            "--jobs",
            "1",
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start brokerlab sweep");
    // Wait until it has spent half a second of CPU (the handler is installed before the first
    // run), however loaded the machine: a fixed sleep raced a slow start.
    let cpu_ticks = || {
        std::fs::read_to_string(format!("/proc/{}/stat", child.id()))
            .ok()
            .and_then(|st| {
                let after = st.rsplit_once(')')?.1.to_owned();
                let f: Vec<&str> = after.split_whitespace().collect();
                Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
            })
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while cpu_ticks() < 50 && start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("brokerlab ends");
    assert_eq!(out.status.code(), Some(130), "stderr: {}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).expect("what is done, as JSON");
    assert_eq!(r["complete"], false);
    let points = r["points"].as_array().expect("points");
    assert!(points.len() < 200, "stopped early: {} points", points.len());
    assert!(
        points.iter().all(|p| p["runs"] == 1),
        "only finished points"
    );
    assert!(stderr(&out).contains("sweep stopped"), "{}", stderr(&out));
}

/// A file every write to fails with "No space left on device".
#[cfg(target_os = "linux")]
fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux")
}

/// Output that cannot be written (a full disk: `/dev/full`) is an error with exit code 3, for
/// the streamed JSON report, for text and for `--out` files alike, and stays one (no panic)
/// when stderr is full too; a reader that closes the pipe early is not an error.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_exit_code_3_and_a_closed_pipe_is_not_an_error() {
    use std::process::Stdio;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run_json = &["run", "scenarios/use-cases.toml", "--format", "json"][..];
    let run_table = &["run", "scenarios/use-cases.toml"][..];
    for args in [run_json, run_table, &["list"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
            .args(args)
            .current_dir(root)
            .stdout(dev_full())
            .output()
            .expect("brokerlab starts");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains("could not be written") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
    let full_out = brokerlab(&[
        "notes",
        "scenarios/lessons/01-moving-data.toml",
        "--out",
        "/dev/full",
    ]);
    let err = String::from_utf8_lossy(&full_out.stderr);
    assert_eq!(full_out.status.code(), Some(3), "{err}");
    assert!(err.contains("/dev/full: cannot write"), "{err}");
    let both_full = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("list")
        .stdout(dev_full())
        .stderr(dev_full())
        .status()
        .expect("brokerlab starts");
    assert_eq!(
        both_full.code(),
        Some(3),
        "no panic (101) when stderr is full too"
    );
    for args in [run_json, run_table] {
        // The reader goes away before the run ends: its first write meets a closed pipe.
        let mut child = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
            .args(args)
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("brokerlab starts");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("brokerlab ends");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    }
}

/// The binary allocates with jemalloc, built to give pages back to the system about a second
/// after they are free (`.cargo/config.toml`): what keeps a run's memory to that of the variants
/// under way, whichever thread ran the ones that finished, without a system call a freed block
/// (README "Performance"). jemalloc prints the settings it runs with when asked to; without the
/// built-in one it would print its default (10,000 ms).
#[cfg(target_os = "linux")]
#[test]
fn the_binary_runs_on_jemalloc_built_to_give_free_pages_back_within_a_second() {
    let out = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("list")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .expect("brokerlab starts");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for setting in [
        "config.malloc_conf: \"dirty_decay_ms:1000\"",
        "opt.dirty_decay_ms: 1000 (",
    ] {
        assert!(
            err.contains(setting),
            "{setting:?} not in jemalloc's statistics:\n{err}"
        );
    }
}

/// A folder named like a built-in does not hide it (a file of that name does: it is read).
#[test]
fn a_folder_named_like_a_builtin_does_not_hide_it() {
    let dir = std::env::temp_dir().join(format!("brokerlab-shadow-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("point-to-point")).expect("a folder");
    let check = |name: &str| {
        Command::new(env!("CARGO_BIN_EXE_brokerlab"))
            .args(["check", name])
            .current_dir(&dir)
            .output()
            .expect("brokerlab runs")
    };
    let o = check("point-to-point");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("builtin:point-to-point"),
        "{}",
        stdout(&o)
    );
    std::fs::write(dir.join("consumer-outage"), "not = [a scenario").expect("a file");
    let o = check("consumer-outage");
    assert_eq!(o.status.code(), Some(2), "the file is read: {}", stdout(&o));
    assert!(
        stderr(&o).starts_with("consumer-outage:1:"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
