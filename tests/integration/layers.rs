//! The layers of DESIGN.md, enforced: every `crate::` path in a layer's folder names a layer
//! below it (or itself). A new arrow that runs upwards fails here with the file and line.
//!
//! ```text
//!   app, cli            8   front ends (and app never imports cli)
//!   lesson, import      7
//!   report              6   the metric catalogue
//!   sim                 5
//!   broker              4   the models, through the engine's port
//!   engine              3
//!   topology            2
//!   metrics             1
//!   scenario, builtin   0
//! ```

use std::path::Path;

const LAYERS: &[(&str, u8)] = &[
    ("scenario", 0),
    ("builtin", 0),
    ("metrics", 1),
    ("topology", 2),
    ("engine", 3),
    ("broker", 4),
    ("sim", 5),
    ("report", 6),
    ("lesson", 7),
    ("import", 7),
    ("cli", 8),
    ("app", 8),
];

fn level(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|&(_, l)| l)
}

/// Every `crate::NAME` in `text`, with its line number; `crate::{a::X, b}` gives `a` and `b`,
/// also when the braces span lines. Comments are skipped.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let code: Vec<&str> = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect();
    let joined = code.join("\n");
    let line_of = |at: usize| joined[..at].matches('\n').count() + 1;
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in joined.match_indices("crate::") {
        let after = &joined[at + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            // The items at depth 0 of the braces.
            let (mut depth, mut start) = (0usize, 0usize);
            for (i, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push((line_of(at), ident(&group[start..i])));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push((line_of(at), ident(&group[start..i])));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push((line_of(at), ident(after)));
        }
    }
    found.retain(|(_, n)| !n.is_empty());
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_import_runs_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap_or(f);
        let layer = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .unwrap_or_default();
        let Some(mine) = level(&layer) else {
            // lib.rs and main.rs wire the layers together.
            assert!(
                ["lib", "main"].contains(&layer.as_str()),
                "{}: a folder that is no layer of DESIGN.md",
                rel.display()
            );
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (line, name) in crate_paths(&text) {
            checked += 1;
            let theirs = level(&name);
            let up = match theirs {
                Some(l) => name != layer && (l >= mine),
                // `crate::Scenario` and friends re-exported at the root are the scenario layer.
                None => !["Scenario", "ScenarioError", "Simulation"].contains(&name.as_str()),
            };
            if up {
                wrong.push(format!(
                    "src/{}:{line}: {layer} uses crate::{name}",
                    rel.display()
                ));
            }
        }
    }
    assert!(checked > 100, "the scan finds the imports: {checked}");
    assert!(
        wrong.is_empty(),
        "arrows that run upwards or sideways:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_sees_grouped_and_inline_paths() {
    let found = crate_paths(
        "use crate::{sim::X, report::{Y, Z}};\nuse crate::{\n    app::A,\n};\nlet a = crate::engine::f(); // crate::cli\n",
    );
    let names: Vec<(usize, &str)> = found.iter().map(|(l, n)| (*l, n.as_str())).collect();
    assert_eq!(
        names,
        [(1, "sim"), (1, "report"), (2, "app"), (5, "engine")]
    );
}
