//! `brokerlab check` shows a bad file as rustc shows a compile error: the first line
//! `FILE:LINE:COL: message`, the line of the file with a caret under the span and a label, a
//! `help:` with the nearest valid name; several independent problems at once; plain text when
//! piped; `--format json` for tools.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// A scenario file in the test's temporary folder, removed at the end.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("diag-{name}"));
        std::fs::write(&path, text).expect("the temporary folder is writable");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("check")
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("brokerlab runs")
}

/// `check FILE` must exit 2; its stderr.
fn refused(file: &TempFile) -> String {
    let out = check(&[file.path()]);
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    err
}

const SCENARIO: &str = r#"title = "a scenario"
duration_s = 30.0

[[producer]]
name = "web-1"
publish = [ { topic = "metrics", rate_per_s = 20.0 } ]

[[consumer]]
name = "metric-server-1"
subscribe = ["metrics"]

[[fault]]
kind = "consumer-offline"
target = "metric-server-1"
at_s = 10.0

[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"

[[step]]
title = "nothing is lost"
run_to_s = 20.0
expect = [ { variant = "kafka", metric = "lost", op = "==", value = 0 } ]
"#;

/// SCENARIO with `from` replaced by `to` (once).
fn with(name: &str, from: &str, to: &str) -> TempFile {
    assert!(SCENARIO.contains(from), "{from}");
    TempFile::new(name, &SCENARIO.replacen(from, to, 1))
}

#[test]
fn a_misspelt_field_gets_a_caret_under_it_and_the_nearest_name() {
    let f = with("field.toml", "rate_per_s", "rate_per_sec");
    let err = refused(&f);
    let want = format!(
        "{}:6:34: unknown field `rate_per_sec`, expected one of `arrivals`, `keys`, `rate_per_s`, `size_bytes`, `topic`\n\
         \x20 |\n\
         6 | publish = [ {{ topic = \"metrics\", rate_per_sec = 20.0 }} ]\n\
         \x20 |                                  ^^^^^^^^^^^^ unknown field\n\
         \x20 |\n\
         \x20 = help: did you mean `rate_per_s`?\n",
        f.path()
    );
    assert_eq!(err, want);
}

#[test]
fn an_unknown_shape_a_target_and_a_metric_get_the_nearest_valid_name() {
    for (name, from, to, at, help) in [
        (
            "shape.toml",
            "central-log",
            "centrallog",
            "19:9",
            "`central-log`",
        ),
        (
            "broker.toml",
            "\"kafka\"\n\n[[step]]",
            "\"kafak\"\n\n[[step]]",
            "20:10",
            "`kafka`",
        ),
        (
            "kind.toml",
            "consumer-offline",
            "consumer-ofline",
            "13:8",
            "`consumer-offline`",
        ),
        (
            "target.toml",
            "target = \"metric-server-1\"",
            "target = \"metric-server-2\"",
            "14:10",
            "`metric-server-1`",
        ),
        (
            "metric.toml",
            "metric = \"lost\"",
            "metric = \"deliverd\"",
            "25:42",
            "`delivered`",
        ),
        (
            "show.toml",
            "run_to_s = 20.0",
            "run_to_s = 20.0\nshow = [\"kafak\"]",
            "25:9",
            "`kafka`",
        ),
    ] {
        let f = with(name, from, to);
        let err = refused(&f);
        assert!(
            err.starts_with(&format!("{}:{at}: ", f.path())),
            "{name}: {err}"
        );
        let help = format!("  = help: did you mean {help}?\n");
        assert!(err.contains(&help), "{name}: no {help:?} in\n{err}");
        assert!(err.contains(" | ") && err.contains('^'), "{name}: {err}");
    }
}

#[test]
fn a_wrong_type_is_named_in_the_files_words_not_rusts() {
    for (name, from, to, first) in [
        (
            "float.toml",
            "rate_per_s = 20.0",
            "rate_per_s = \"fast\"",
            "6:47: rate_per_s: invalid type: string \"fast\", expected number",
        ),
        (
            "integer.toml",
            "duration_s = 30.0",
            "duration_s = 30.0\nseed = 1.5",
            "3:8: seed: invalid type: floating point `1.5`, expected integer",
        ),
        (
            "string.toml",
            "name = \"web-1\"",
            "name = 7",
            "5:8: name: invalid type: integer `7`, expected string",
        ),
        (
            "huge.toml",
            "duration_s = 30.0",
            "duration_s = 30.0\nseed = 99999999999999999999999",
            "3:8: seed: integer `99999999999999999999999` is too large: the most is 9223372036854775807",
        ),
    ] {
        let f = with(name, from, to);
        let err = refused(&f);
        let head = err.lines().next().unwrap_or_default();
        assert_eq!(head, format!("{}:{first}", f.path()), "{err}");
        for rust in ["f64", "i64", "i128", "a string"] {
            assert!(!err.contains(rust), "{rust} in {err}");
        }
    }
}

#[test]
fn control_characters_never_reach_the_terminal() {
    // Escaped in a string: a name or a text with one is refused where it is.
    for (name, from, to, first) in [
        (
            "esc-name.toml",
            "name = \"web-1\"",
            "name = \"web\\u001b[31m-1\"",
            "5:8: producer name has the control character U+001B",
        ),
        (
            "esc-title.toml",
            "title = \"a scenario\"",
            "title = \"\\u001b]0;title\\u0007\"",
            "1:9: a text has the control character U+001B: only tabs and line breaks are allowed",
        ),
    ] {
        let f = with(name, from, to);
        let err = refused(&f);
        assert_eq!(
            err.lines().next(),
            Some(format!("{}:{first}", f.path()).as_str()),
            "{err}"
        );
        assert!(!err.contains('\x1b'), "{err}");
    }
    // Raw in the file (not valid TOML): the line is shown with the control character's symbol.
    let f = with(
        "esc-raw.toml",
        "title = \"a scenario\"",
        "title = \"a\x1b[31m\"",
    );
    let err = refused(&f);
    assert!(err.contains("1 | title = \"a\u{241b}[31m\""), "{err}");
    assert!(!err.contains('\x1b'), "{err}");
}

#[test]
fn independent_problems_are_reported_together_in_file_order() {
    // Misspelt fields in three sections and an unknown broker: serde stops at the first, the
    // schema finds the others.
    let names = SCENARIO
        .replacen("duration_s", "duraton_s", 1)
        .replacen("subscribe", "subscibe", 1)
        .replacen("broker = \"kafka\"", "broker = \"kafak\"", 1);
    let f = TempFile::new("names.toml", &names);
    let err = refused(&f);
    let firsts: Vec<&str> = err.lines().filter(|l| l.starts_with(f.path())).collect();
    assert_eq!(firsts.len(), 3, "{err}");
    assert!(firsts[0].starts_with(&format!("{}:2:1: unknown field `duraton_s`", f.path())));
    assert!(
        firsts[1].contains(":10:1: unknown field `subscibe`"),
        "{err}"
    );
    assert!(
        firsts[2].contains(":20:10: unknown broker `kafak`"),
        "{err}"
    );
    // Bad values in four sections: every section is checked.
    let values = SCENARIO
        .replacen("rate_per_s = 20.0", "rate_per_s = -20.0", 1)
        .replacen("at_s = 10.0", "at_s = 99.0", 1)
        .replacen(
            "broker = \"kafka\"",
            "broker = \"kafka\"\nkafka = { partitions = 0 }",
            1,
        )
        .replacen(
            "run_to_s = 20.0",
            "run_to_s = 20.0\nhighlight = [\"web-2\"]",
            1,
        );
    let f = TempFile::new("values.toml", &values);
    let err = refused(&f);
    let firsts: Vec<&str> = err.lines().filter(|l| l.starts_with(f.path())).collect();
    let at: Vec<&str> = firsts
        .iter()
        .map(|l| {
            l[f.path().len() + 1..]
                .split(": ")
                .next()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(at, ["6:47", "15:8", "21:24", "26:14"], "{err}");
    assert!(firsts[0].ends_with("rate_per_s must be greater than 0, got -20"));
    assert!(firsts[1].ends_with("at_s must be at most the run's duration_s = 30, got 99"));
    assert!(firsts[2].ends_with("kafka.partitions must be 1 to 1024, got 0"));
    assert!(err.contains("= help: did you mean `web-1`?"), "{err}");
}

#[test]
fn piped_output_is_plain_and_a_good_file_still_checks() {
    let f = with("plain.toml", "rate_per_s = 20.0", "rate_per_s = 0");
    let err = refused(&f);
    assert!(
        !err.contains('\x1b'),
        "escape codes in piped output: {err:?}"
    );
    assert!(err.contains("^ must be greater than 0"), "{err}");
    let good = TempFile::new("good.toml", SCENARIO);
    let out = check(&[good.path()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
}

fn json(args: &[&str]) -> (Option<i32>, Value) {
    let out = check(args);
    let v = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    (out.status.code(), v)
}

#[test]
fn check_format_json_gives_errors_as_objects_and_a_good_file_its_summary() {
    let text =
        SCENARIO
            .replacen("rate_per_s", "rate_per_sec", 1)
            .replacen("central-log", "centrallog", 1);
    let f = TempFile::new("json.toml", &text);
    let (code, v) = json(&["--format", "json", f.path()]);
    assert_eq!(code, Some(2));
    assert_eq!(v["file"], f.path());
    assert_eq!(v["valid"], false);
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{v:#}");
    let e = &errors[0];
    assert_eq!(
        (&e["line"], &e["col"], &e["end_line"], &e["end_col"]),
        (
            &Value::from(6),
            &Value::from(34),
            &Value::from(6),
            &Value::from(46)
        )
    );
    assert!(e["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("unknown field `rate_per_sec`")));
    assert_eq!(e["help"], "did you mean `rate_per_s`?");
    assert_eq!(errors[1]["help"], "did you mean `central-log`?");

    let good = TempFile::new("json-good.toml", SCENARIO);
    let (code, v) = json(&["--format", "json", good.path()]);
    assert_eq!(code, Some(0));
    assert_eq!(v["valid"], true);
    assert_eq!(
        (&v["producers"], &v["variants"], &v["steps"]),
        (&1.into(), &1.into(), &1.into())
    );
    let x = &v["expectations"][0];
    assert_eq!(
        (&x["metric"], &x["holds"], &x["line"]),
        (&"lost".into(), &true.into(), &25.into())
    );
    assert_eq!((&v["passed"], &v["failed"]), (&1.into(), &0.into()));

    let failing = TempFile::new(
        "json-fail.toml",
        &SCENARIO.replacen("value = 0", "value = 1", 1),
    );
    let (code, v) = json(&["--format", "json", failing.path()]);
    assert_eq!(code, Some(1));
    assert_eq!(v["expectations"][0]["holds"], false);
    // A `--set` that does not apply has no place in the file: 1:1.
    let (code, v) = json(&[
        "--format",
        "json",
        good.path(),
        "--set",
        "producer.web-9.rate_per_s=1",
    ]);
    assert_eq!(code, Some(2));
    assert!(v["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("did you mean")));
    // The file is named as a file's own errors name it, a built-in as builtin:NAME.
    assert_eq!(v["file"], good.path());
    for set in ["latency_ms=-1", "latency_ms=1e9"] {
        let (code, v) = json(&["--format", "json", "point-to-point", "--set", set]);
        assert_eq!(code, Some(2), "{v}");
        assert_eq!(v["file"], "builtin:point-to-point", "{v}");
    }
}

/// On a terminal (here util-linux's `script`, which gives the command one) the problems come in
/// colour; `NO_COLOR` turns that off.
#[cfg(unix)]
#[test]
fn a_terminal_gets_colours_unless_no_color_is_set() {
    if !std::path::Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: no /usr/bin/script to give brokerlab a terminal");
        return;
    }
    let f = with("tty.toml", "rate_per_s", "rate_per_sec");
    let run = |no_color: bool| {
        let command = format!("'{}' check '{}'", env!("CARGO_BIN_EXE_brokerlab"), f.path());
        let mut c = Command::new("/usr/bin/script");
        c.args(["-qec", &command, "/dev/null"]);
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        let out = c.output().expect("script runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let coloured = run(false);
    assert!(
        coloured.contains("\x1b[1;31m^^^^^^^^^^^^ unknown field"),
        "{coloured:?}"
    );
    assert!(coloured.contains("\x1b[1;36mhelp\x1b[0m: did you mean `rate_per_s`?"));
    let plain = run(true);
    assert!(
        plain.contains("unknown field") && !plain.contains('\x1b'),
        "{plain:?}"
    );
}

#[test]
fn a_byte_order_mark_does_not_move_the_columns_nor_hide_the_notes() {
    let bom = format!(
        "\u{feff}{}",
        SCENARIO.replacen("title = \"a scenario\"", "title = 5", 1)
    );
    let err = refused(&TempFile::new("bom.toml", &bom));
    assert!(err.contains("bom.toml:1:9: title: invalid type"), "{err}");
    // A Markdown file saved with one: its flowchart on line 1 is found.
    let notes = TempFile::new("bom.md", "\u{feff}```mermaid\ngraph TD\n  A --> B\n```\n");
    let out = Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .args(["import", "--list", notes.path()])
        .output()
        .expect("brokerlab runs");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{listed}");
    assert!(listed.contains("line 1     graph TD"), "{listed}");
}
