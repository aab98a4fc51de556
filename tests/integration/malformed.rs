//! Bad scenario files, end to end: every file in `tests/malformed/` holds one problem and says on
//! its first line where the error must point and what it must say:
//!
//! ```text
//! # expect: LINE:COL substring of the message
//! ```
//!
//! `brokerlab check FILE` must answer each with exit code 2 and `FILE:LINE:COL: message` on
//! stderr, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The corpus must not shrink unnoticed (a renamed folder would check nothing).
const MIN_FILES: usize = 18;

fn check(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brokerlab"))
        .arg("check")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot start brokerlab check {}: {e}", path.display()))
}

fn malformed_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// `(line, col, substring)` from the file's first line, `# expect: LINE:COL substring`.
/// The file is read as bytes: some are deliberately not UTF-8 further down.
fn expectation(path: &Path) -> Result<(usize, usize, String), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("# expect: ")
        .ok_or_else(|| format!("first line is not `# expect: LINE:COL substring`: {first:?}"))?;
    let (position, substring) = rest
        .split_once(' ')
        .ok_or_else(|| format!("no substring after the position: {first:?}"))?;
    let (line, col) = position
        .split_once(':')
        .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)))
        .ok_or_else(|| format!("position is not LINE:COL: {position:?}"))?;
    if substring.trim().is_empty() {
        return Err(format!("empty substring: {first:?}"));
    }
    Ok((line, col, substring.to_owned()))
}

/// What is wrong with brokerlab's answer to one file, if anything.
fn problems(path: &Path) -> Result<(), String> {
    let (line, col, substring) = expectation(path)?;
    let out = check(path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut wrong = Vec::new();
    if stderr.contains("panicked") {
        wrong.push("it panicked".to_owned());
    }
    if out.status.code() != Some(2) {
        wrong.push(format!("exit code {:?}, not 2", out.status.code()));
    }
    let prefix = format!("{}:{line}:{col}: ", path.display());
    if !stderr.starts_with(&prefix) {
        wrong.push(format!("stderr does not start with {prefix:?}"));
    }
    if !stderr.contains(&substring) {
        wrong.push(format!("stderr does not contain {substring:?}"));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; stderr was: {stderr}", wrong.join(", ")))
    }
}

#[test]
fn every_malformed_scenario_exits_2_with_its_position_and_message() {
    let files = malformed_files();
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            problems(path)
                .err()
                .map(|why| format!("{}: {why}", path.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} malformed scenarios were answered wrongly:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        files.len() >= MIN_FILES,
        "only {} files in tests/malformed/, expected at least {MIN_FILES}",
        files.len()
    );
}

#[test]
fn a_missing_scenario_file_exits_2_and_says_it_cannot_be_read() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-scenario.toml");
    assert!(!path.exists(), "{} should not exist", path.display());
    let out = check(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let prefix = format!("{}:1:1: cannot read the file", path.display());
    assert!(
        stderr.starts_with(&prefix),
        "stderr should start with {prefix:?}, was: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
