//! The checker every rule of `validate` reports to. A rule that finds a problem records it here
//! and answers [`Reported`]; its caller skips what it was building and goes on with the next
//! entry, so one pass finds the independent problems of a file (up to [`MAX_ERRORS`]).

use crate::scenario::diagnostic::{num, Diagnostic, LineIndex, MAX_ERRORS};
use crate::scenario::rules::{IntRange, Range};
use std::cell::RefCell;
use toml::Spanned;

/// A problem was recorded in the [`Checker`]: skip what was being built.
#[derive(Clone, Copy, Debug)]
pub(in crate::scenario) struct Reported;

pub(in crate::scenario) type Res<T> = Result<T, Reported>;

pub(in crate::scenario) struct Checker<'a> {
    pub(in crate::scenario) file: &'a str,
    pub(in crate::scenario) text: &'a str,
    found: RefCell<Vec<Diagnostic>>,
    /// Made at the first problem.
    lines: std::cell::OnceCell<LineIndex>,
}

impl<'a> Checker<'a> {
    pub(in crate::scenario) fn new(file: &'a str, text: &'a str) -> Checker<'a> {
        Checker {
            file,
            text,
            found: RefCell::new(Vec::new()),
            lines: std::cell::OnceCell::new(),
        }
    }

    /// Record a problem; one more than [`MAX_ERRORS`] are kept, to tell that there are more.
    pub(in crate::scenario) fn push(&self, d: Diagnostic) -> Reported {
        let mut found = self.found.borrow_mut();
        if found.len() <= MAX_ERRORS {
            found.push(d);
        }
        Reported
    }

    /// A problem over the bytes `span`.
    pub(in crate::scenario) fn span(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let lines = self.lines.get_or_init(|| LineIndex::new(self.text));
        Diagnostic::at_indexed(lines, self.text, span, message)
    }

    /// A problem at one place (the file as a whole: 0).
    pub(in crate::scenario) fn at(&self, offset: usize, message: impl Into<String>) -> Reported {
        self.push(self.span(offset..offset, message))
    }

    /// A problem with a written value (its whole span).
    pub(in crate::scenario) fn err<T, U>(
        &self,
        v: &Spanned<U>,
        message: impl Into<String>,
    ) -> Res<T> {
        Err(self.push(self.span(v.span(), message)))
    }

    /// A problem with a written value, and how to fix it.
    pub(in crate::scenario) fn err_help<T, U>(
        &self,
        v: &Spanned<U>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Res<T> {
        Err(self.push(self.span(v.span(), message).with_help(help)))
    }

    pub(in crate::scenario) fn failed(&self) -> bool {
        !self.found.borrow().is_empty()
    }

    pub(in crate::scenario) fn into_found(self) -> Vec<Diagnostic> {
        self.found.into_inner()
    }

    /// `name need, got x`, labelled with what is needed.
    fn refuse<T, U>(&self, v: &Spanned<U>, name: &str, need: &str, got: String) -> Res<T> {
        let d = self.span(v.span(), format!("{name} {need}{got}"));
        Err(self.push(d.with_label(need)))
    }

    /// A finite number within `r`. Below a range that refuses its minimum the message is
    /// "greater than MIN" (not "at least MIN", which would suggest MIN is accepted).
    pub(in crate::scenario) fn number(&self, v: &Spanned<f64>, name: &str, r: Range) -> Res<f64> {
        let x = *v.get_ref();
        let got = format!(", got {}", num(x));
        if !x.is_finite() {
            return self.refuse(v, name, "must be a finite number", got);
        }
        if r.above && x <= r.min {
            return self.refuse(v, name, &format!("must be greater than {}", r.min), got);
        }
        if x < r.min {
            return self.refuse(v, name, &format!("must be at least {}", r.min), got);
        }
        if x > r.max && r.by_duration {
            let need = format!("must be at most the run's duration_s = {}", num(r.max));
            return self.refuse(v, name, &need, got);
        }
        if x > r.max {
            let need = format!("is over the limit of {}", r.max);
            return self.refuse(v, name, &need, format!(" (got {})", num(x)));
        }
        Ok(x)
    }

    pub(in crate::scenario) fn integer(
        &self,
        v: &Spanned<i64>,
        name: &str,
        r: IntRange,
    ) -> Res<i64> {
        let x = *v.get_ref();
        if x < r.min {
            let need = format!("must be at least {}", r.min);
            return self.refuse(v, name, &need, format!(", got {x}"));
        }
        if x > r.max {
            let need = format!("is over the limit of {}", r.max);
            return self.refuse(v, name, &need, format!(" (got {x})"));
        }
        Ok(x)
    }

    pub(in crate::scenario) fn name(&self, v: &Spanned<String>, what: &str) -> Res<String> {
        let s = v.get_ref().trim();
        if s.is_empty() {
            return self.err(v, format!("{what} name must not be empty"));
        }
        if s == "*" {
            // `consumer.*.service_ms` would change every consumer, not the one named `*`.
            return self.err(
                v,
                format!("{what} name must not be `*`: in parameter paths `*` means every one"),
            );
        }
        if s.contains('=') {
            // `--set producer.a=b.rate_per_s=7` reads as the path `producer.a`.
            return self.err(
                v,
                format!("{what} name must not contain `=`: a parameter path (PATH=VALUE) could not name it"),
            );
        }
        if s.chars().count() > 100 {
            return self.err(
                v,
                format!("{what} name is over the limit of 100 characters"),
            );
        }
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            let why = format!(
                "{what} name has the control character U+{:04X}",
                u32::from(c)
            );
            return self.err(v, why);
        }
        Ok(s.to_owned())
    }
}
