//! What is wrong with a scenario file, shown the way rustc shows a compile error: the first
//! line `FILE:LINE:COL: message` (tools and tests read it), then the line of the file with a
//! caret under the span and a label, then a `help:` (the nearest valid name for a misspelt one).
//!
//! ```text
//! scenarios/x.toml:5:34: unknown field `rate_per_sec`, expected one of `arrivals`, ...
//!   |
//! 5 | publish = [ { topic = "metrics", rate_per_sec = 20.0 } ]
//!   |                                  ^^^^^^^^^^^^ unknown field
//!   |
//!   = help: did you mean `rate_per_s`?
//! ```
//!
//! Pure text: the front ends pick colour (a terminal) or plain (a pipe, the app's panel).

use super::ScenarioError;
use serde::Serialize;
use std::fmt::{self, Write as _};
use std::sync::Arc;
use unicode_width::UnicodeWidthChar;

/// At most this many problems are reported at once.
pub const MAX_ERRORS: usize = 10;

/// One problem: where (1-based lines, columns in characters; the end is just after the span),
/// what, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
    pub message: String,
    /// Shown under the carets; none: the message.
    #[serde(skip)]
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem over the bytes `span` of `text`.
    #[must_use]
    pub fn at(text: &str, span: std::ops::Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = line_col(text, span.start);
        let (end_line, end_col) = line_col(text, span.end.max(span.start));
        Diagnostic::placed((line, col), (end_line, end_col), message)
    }

    /// [`Diagnostic::at`], placed with `lines`, the index of `text`.
    #[must_use]
    pub(crate) fn at_indexed(
        lines: &LineIndex,
        text: &str,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let start = lines.line_col(text, span.start);
        let end = lines.line_col(text, span.end.max(span.start));
        Diagnostic::placed(start, end, message)
    }

    fn placed(
        (line, col): (usize, usize),
        (end_line, end_col): (usize, usize),
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            line,
            col,
            end_line,
            end_col,
            message: message.into(),
            label: None,
            help: None,
        }
    }

    /// A problem at a line and column only (a span of nothing: one caret).
    #[must_use]
    pub fn point(line: usize, col: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            line,
            col,
            end_line: line,
            end_col: col,
            message: message.into(),
            label: None,
            help: None,
        }
    }

    /// A problem over the TOML token that starts at a line and column: a quoted string to its
    /// closing quote, or a bare key, word or number.
    #[must_use]
    pub fn token(text: &str, line: usize, col: usize, message: impl Into<String>) -> Diagnostic {
        let start = offset_of(text, line, col);
        let len = text.get(start..).map_or(0, token_len);
        Diagnostic::at(text, start..start + len, message)
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// A number as a message shows it: as Rust writes it for everyday sizes, in exponent form
/// past 10^15 or below 10^-4 (`1e300`, not three hundred digits).
#[must_use]
pub fn num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e15).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Where each line of a text starts: many diagnostics in one text are each placed by a binary
/// search, not by a pass over the text before them (a file of 50,000 bad lines took minutes).
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// [`line_col`] of `offset` in `text`, the text this index was made of.
    pub(crate) fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        match text.get(start..offset) {
            Some(before) => (line, before.chars().count() + 1),
            // Not at a character's start: as `line_col` answers it.
            None => line_col(text, offset),
        }
    }
}

/// The byte offset of a 1-based line and column (in characters); the text's end if past it.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(line_start..).unwrap_or_default();
    line_start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// The length in bytes of the TOML token `rest` starts with.
fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, quote @ ('"' | '\''))) => {
            let mut escaped = false;
            for (i, ch) in chars {
                if ch == quote && !escaped {
                    return i + 1;
                }
                if ch == '\n' {
                    return i;
                }
                escaped = quote == '"' && ch == '\\' && !escaped;
            }
            rest.len()
        }
        Some(_) => rest
            .find(|c: char| c.is_whitespace() || ",]}=#".contains(c))
            .unwrap_or(rest.len()),
        None => 0,
    }
}

/// Every problem found in a scenario file (at most [`MAX_ERRORS`], in the file's order), with the
/// text they point into.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics {
    pub file: String,
    /// Empty when the file could not be read.
    pub text: Arc<str>,
    /// Never empty.
    pub errors: Vec<Diagnostic>,
    /// More problems were found than are shown.
    pub truncated: bool,
}

impl Diagnostics {
    /// The problems of `file`, sorted by place; only the first [`MAX_ERRORS`] are kept.
    #[must_use]
    pub fn new(file: &str, text: Arc<str>, mut errors: Vec<Diagnostic>) -> Diagnostics {
        errors.sort_by_key(|d| (d.line, d.col));
        errors.dedup_by(|a, b| (a.line, a.col) == (b.line, b.col));
        let truncated = errors.len() > MAX_ERRORS;
        errors.truncate(MAX_ERRORS);
        Diagnostics {
            file: file.to_owned(),
            text,
            errors,
            truncated,
        }
    }

    /// A problem known only by its first line (no span, no help).
    #[must_use]
    pub fn from_error(e: ScenarioError, text: Arc<str>) -> Diagnostics {
        let d = Diagnostic::point(e.line, e.col, e.message);
        Diagnostics::new(&e.file, text, vec![d])
    }

    /// The first problem, as its first line says it.
    #[must_use]
    pub fn first(&self) -> ScenarioError {
        let (line, col, message) = self.errors.first().map_or((1, 1, String::new()), |d| {
            (d.line, d.col, d.message.clone())
        });
        ScenarioError {
            file: self.file.clone(),
            line,
            col,
            message,
        }
    }

    /// `{ file, errors: [ { line, col, end_line, end_col, message, help } ] }` for tools.
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "file": self.file, "errors": self.errors })
    }

    /// Each problem as rustc shows one; `color`: with a terminal's ANSI colours.
    #[must_use]
    pub fn render(&self, color: bool) -> String {
        let style = if color { Style::COLOR } else { Style::PLAIN };
        let mut out = String::new();
        for (i, d) in self.errors.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            render_one(&mut out, &self.file, &self.text, d, style);
        }
        if self.truncated {
            let _ = writeln!(
                out,
                "\n{}: stopped after {MAX_ERRORS} problems; fix these and check again",
                self.file
            );
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    /// As [`Diagnostics::render`] plain, without the last newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render(false).trim_end_matches('\n'))
    }
}

/// ANSI escapes of each part, or none.
#[derive(Clone, Copy)]
struct Style {
    strong: &'static str,
    gutter: &'static str,
    caret: &'static str,
    help: &'static str,
    reset: &'static str,
}

impl Style {
    const PLAIN: Style = Style {
        strong: "",
        gutter: "",
        caret: "",
        help: "",
        reset: "",
    };
    const COLOR: Style = Style {
        strong: "\x1b[1m",
        gutter: "\x1b[1;34m",
        caret: "\x1b[1;31m",
        help: "\x1b[1;36m",
        reset: "\x1b[0m",
    };
}

/// One problem: its first line, the source line with carets, and its help.
fn render_one(out: &mut String, file: &str, text: &str, d: &Diagnostic, s: Style) {
    let Style {
        strong,
        gutter,
        caret,
        help,
        reset,
    } = s;
    let _ = writeln!(
        out,
        "{strong}{}:{}:{}: {}{reset}",
        visible(file),
        d.line,
        d.col,
        visible(&d.message)
    );
    let number = d.line.to_string();
    let pad = " ".repeat(number.len());
    if let Some(source) = text.lines().nth(d.line.saturating_sub(1)) {
        let end = if d.end_line == d.line {
            d.end_col
        } else {
            source.chars().count() + 1
        };
        let (shown, lead, width) = underline(source, d.col, end);
        let label = visible(d.label.as_deref().unwrap_or_else(|| short(&d.message)));
        let _ = writeln!(out, "{gutter}{pad} |{reset}");
        let _ = writeln!(out, "{gutter}{number} |{reset} {shown}");
        let _ = writeln!(
            out,
            "{gutter}{pad} |{reset} {}{caret}{} {label}{reset}",
            " ".repeat(lead),
            "^".repeat(width)
        );
    }
    if let Some(h) = &d.help {
        let _ = writeln!(out, "{gutter}{pad} |{reset}");
        let _ = writeln!(
            out,
            "{gutter}{pad} ={reset} {help}help{reset}: {}",
            visible(h)
        );
    }
}

/// `s` with its control characters (but tabs) as their visible symbols (`␛` for ESC): a file's
/// text or a name from it never reaches the terminal as an escape sequence.
pub(crate) fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.chars().map(picture).collect())
}

/// A control character's visible symbol (one column); any other character as it is.
fn picture(c: char) -> char {
    match u32::from(c) {
        0x09 => c,
        n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{fffd}'),
        0x7f => '\u{2421}',
        0x80..=0x9f => '\u{fffd}',
        _ => c,
    }
}

/// A message's first clause, as a label under the carets: the message says the rest.
fn short(message: &str) -> &str {
    let cut = ["; ", ", ", " ("]
        .iter()
        .filter_map(|sep| message.find(sep))
        .min()
        .unwrap_or(message.len());
    &message[..cut]
}

/// The source line as shown (tabs as four spaces), the screen columns before the span and the
/// span's width (at least one caret). Columns are 1-based characters; `end` is exclusive.
fn underline(source: &str, col: usize, end: usize) -> (String, usize, usize) {
    let mut shown = String::new();
    let (mut lead, mut width) = (0, 0);
    for (i, ch) in source.trim_end_matches('\r').chars().enumerate() {
        let (text, w) = if ch == '\t' {
            ("    ".to_owned(), 4)
        } else if ch.is_control() {
            (picture(ch).to_string(), 1)
        } else {
            (ch.to_string(), ch.width().unwrap_or(0))
        };
        shown.push_str(&text);
        let c = i + 1;
        if c < col {
            lead += w;
        } else if c < end {
            width += w;
        }
    }
    (shown, lead, width.max(1))
}

/// The candidate nearest to `word` (Jaro-Winkler at least 0.7), for a "did you mean".
#[must_use]
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score >= 0.7 && best.is_none_or(|(_, b)| score > b) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// "did you mean `x`?" for the nearest candidate, if one is near.
#[must_use]
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(word, candidates).map(|n| format!("did you mean `{n}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_messages_are_short_at_any_size() {
        for (x, shown) in [
            (5.0, "5"),
            (-20.0, "-20"),
            (0.5, "0.5"),
            (1000.0, "1000"),
            (0.0, "0"),
            (1e300, "1e300"),
            (-1.5e20, "-1.5e20"),
            (1e-300, "1e-300"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(num(x), shown);
        }
    }

    #[test]
    fn the_line_index_places_every_offset_as_line_col_does() {
        let text = "a = 1\n\nb = \"가나다\"\r\n  c = [\n1]\n끝";
        let lines = LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            assert_eq!(
                lines.line_col(text, offset),
                line_col(text, offset),
                "offset {offset}"
            );
        }
        assert_eq!(LineIndex::new("").line_col("", 0), (1, 1));
    }

    fn one(text: &str, span: std::ops::Range<usize>, help: Option<&str>) -> String {
        let d = Diagnostic::at(text, span, "bad").with_help(help.map(str::to_owned));
        Diagnostics::new("f.toml", text.into(), vec![d]).render(false)
    }

    #[test]
    fn a_caret_sits_under_the_span_with_its_label_and_help_below() {
        let text = "a = 1\nrate_per_sec = 20.0\n";
        let out = one(text, 6..18, Some("did you mean `rate_per_s`?"));
        assert_eq!(
            out,
            "f.toml:2:1: bad\n  |\n2 | rate_per_sec = 20.0\n  | ^^^^^^^^^^^^ bad\n  |\n  = help: did you mean `rate_per_s`?\n"
        );
    }

    #[test]
    fn wide_characters_and_tabs_move_the_caret_by_their_screen_width() {
        let text = "t = { ko = \"한국\", x = 1 }";
        let at = text.find('x').unwrap_or(0);
        let out = one(text, at..at + 1, None);
        let lines: Vec<&str> = out.lines().collect();
        // `t = { ko = "` is 12 columns, 한국 4 more, `", ` 3 more.
        assert_eq!(lines[3], format!("  | {}^ bad", " ".repeat(19)));
        let out = one("\tx = 1", 1..2, None);
        assert!(out.contains("1 |     x = 1\n  |     ^ bad"), "{out}");
    }

    #[test]
    fn a_span_of_nothing_gets_one_caret_and_a_span_over_lines_runs_to_the_line_end() {
        let out = one("abc\ndef\n", 1..1, None);
        assert!(out.contains("  |  ^ bad"), "{out}");
        let out = one("abc\ndef\n", 1..6, None);
        assert!(out.contains("  |  ^^ bad"), "{out}");
    }

    #[test]
    fn colour_wraps_the_parts_and_plain_has_no_escapes() {
        let text = "x = 1\n";
        let d = Diagnostic::at(text, 0..1, "bad");
        let ds = Diagnostics::new("f.toml", text.into(), vec![d]);
        assert!(!ds.render(false).contains('\x1b'));
        let c = ds.render(true);
        assert!(c.starts_with("\x1b[1mf.toml:1:1: bad\x1b[0m\n"), "{c:?}");
        assert!(c.contains("\x1b[1;31m^"), "{c:?}");
    }

    #[test]
    fn problems_come_in_file_order_and_stop_at_ten() {
        let text = "a\n".repeat(20);
        let ds: Vec<Diagnostic> = (0..15)
            .rev()
            .map(|i| Diagnostic::at(&text, 2 * i..2 * i + 1, format!("p{i}")))
            .collect();
        let ds = Diagnostics::new("f", text.into(), ds);
        assert_eq!(ds.errors.len(), MAX_ERRORS);
        assert!(ds.truncated);
        assert_eq!(ds.errors[0].message, "p0");
        assert_eq!(ds.first().to_string(), "f:1:1: p0");
        assert!(ds.render(false).contains("stopped after 10 problems"));
        // The edge: ten are all shown, eleven stop after ten.
        let of = |n: usize| {
            let text = "a\n".repeat(20);
            let ds = (0..n)
                .map(|i| Diagnostic::at(&text, 2 * i..2 * i + 1, format!("p{i}")))
                .collect();
            Diagnostics::new("f", text.into(), ds)
        };
        let ten = of(MAX_ERRORS);
        assert_eq!((ten.errors.len(), ten.truncated), (10, false));
        assert!(!ten.render(false).contains("stopped after"));
        let eleven = of(MAX_ERRORS + 1);
        assert_eq!((eleven.errors.len(), eleven.truncated), (10, true));
        assert!(eleven.render(false).contains("stopped after 10 problems"));
    }

    #[test]
    fn a_token_spans_its_quoted_string_or_its_word() {
        let text = "a = 1\nx = { m = \"lo\\\"st\", v = 12 }\n";
        let d = Diagnostic::token(text, 2, 11, "bad");
        assert_eq!((d.line, d.col, d.end_line, d.end_col), (2, 11, 2, 19));
        let d = Diagnostic::token(text, 2, 25, "bad");
        assert_eq!((d.col, d.end_col), (25, 27));
    }

    #[test]
    fn the_nearest_name_is_suggested_only_when_it_is_near() {
        let names = ["rate_per_s", "keys", "size_bytes", "arrivals", "topic"];
        assert_eq!(nearest("rate_per_sec", names), Some("rate_per_s"));
        assert_eq!(
            nearest("centrallog", ["direct", "central-log"]),
            Some("central-log")
        );
        assert_eq!(nearest("zzz", names), None);
    }
}
