//! A lesson's sweeps (`[[sweep]]`): the scenario run over a grid of parameter values, drawn as
//! curves in a step and checked at points of the grid by expectations.
//!
//! ```text
//!   [[sweep]]  name = "links", params = ["scale.producers=1..3"], metric = "connections"
//!        ^                                   (as `brokerlab sweep --param` takes them)
//!   [[step]]   sweep = "links"                          the step draws its curves
//!              expect = [ { sweep = "links", at = { "scale.producers" = 3 },
//!                           variant = "point-to-point", metric = "connections", op = "==", value = 42 } ]
//! ```
//!
//! This layer reads the shape and checks what the file alone can tell (names, numbers); the
//! parameter paths, the values of the grid and the metric names are checked a layer up, where
//! the parameter language and the metric catalogue live (`lesson::validate`), at the spans kept
//! here.

use super::{Nanos, Text};
use serde::Serialize;
use std::ops::Range;

/// A text of the file and where it stands (bytes), for messages a layer up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Placed<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Range<usize>,
}

/// One `[[sweep]]` of a lesson.
#[derive(Clone, Debug, Serialize)]
pub struct Sweep {
    pub name: String,
    /// Shown above the curves; default: the metric.
    pub title: Option<Text>,
    /// `PATH=V1,V2,...` or `PATH=FROM..TO[:STEP]` each, as `brokerlab sweep --param` takes them;
    /// several make a grid, the first outermost (the curves' x axis).
    pub params: Vec<Placed<String>>,
    /// Runs per point, with seeds `seed` to `seed + seeds - 1`.
    pub seeds: u64,
    /// The metric the curves show (a path of the catalogue, checked a layer up).
    pub metric: Placed<String>,
    /// The variants run, in the file's order (default: all).
    pub variants: Vec<String>,
    /// How long each run lasts (default: the scenario's duration).
    pub until: Option<Nanos>,
    #[serde(skip)]
    pub span: Range<usize>,
}

impl Sweep {
    /// The path of each param (the text before its `=`), in order.
    #[must_use]
    pub fn paths(&self) -> Vec<&str> {
        self.params
            .iter()
            .map(|p| p.value.split_once('=').map_or(&*p.value, |(a, _)| a).trim())
            .collect()
    }
}

/// The point of a sweep an expectation is about: `sweep = "NAME", at = { PATH = VALUE, ... }`.
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    pub sweep: String,
    /// Each swept path with its value, in the path's order.
    pub at: Vec<(Placed<String>, Placed<toml::Value>)>,
    /// The `at` table, for a path it lacks.
    #[serde(skip)]
    pub span: Range<usize>,
}

impl SweepPoint {
    /// `scale.producers = 3, scale.consumers = 2`, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        self.at
            .iter()
            .map(|(p, v)| format!("{} = {}", p.value, v.value))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
