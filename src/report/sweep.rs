//! A sweep's results as statistics (`brokerlab sweep`): for every point of the grid, variant and
//! metric, the mean over the seeds with its 95% confidence interval, the min and the max;
//! printed as JSON, a table or CSV.
//!
//! ```text
//!   sim::sweep::run ──(variant, Metrics) per run──> SweepReport ──> json | table | csv
//!                                                   point: values, runs, variants: metric stats
//! ```

use super::render::csv_field;
use super::{Measured, Metrics};
use crate::sim::sweep::Plan;
use crate::sim::Simulation;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt::Write as _;

/// The metrics a sweep reports unless asked for others: what arrives, what is lost, how late,
/// and what the topology costs in links.
pub const DEFAULT_METRICS: [&str; 4] = ["delivered", "lost", "latency_ms.p99", "connections"];

/// What a sweep keeps of one run: each variant's name and metrics.
pub type RunMetrics = Vec<(String, Metrics)>;

/// The measure a sweep takes of a finished run.
#[must_use]
pub fn measure(sim: &Simulation) -> RunMetrics {
    sim.variants
        .iter()
        .map(|v| (v.name().to_owned(), v.metrics()))
        .collect()
}

/// Two-sided 95% critical values of Student's t for 1 to 30 degrees of freedom.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// The two-sided 95% critical value of Student's t with `dof` degrees of freedom. Between the
/// table's rows (30, 40, 60, 120) the value of the row below, so the interval errs wide.
#[must_use]
pub fn t95(dof: usize) -> f64 {
    match dof {
        0 => f64::INFINITY,
        1..=30 => T95[dof - 1],
        31..=39 => T95[29],
        40..=59 => 2.021,
        60..=119 => 2.000,
        _ => 1.980,
    }
}

/// A metric over the seeds of one point.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Stats {
    pub mean: f64,
    /// Half the width of the 95% confidence interval of the mean: t(n-1) * s / sqrt(n), with s
    /// the sample standard deviation; 0 for one run.
    pub ci95: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    /// None for no values.
    #[must_use]
    pub fn of(xs: &[f64]) -> Option<Stats> {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let ci95 = if xs.len() < 2 {
            0.0
        } else {
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            t95(xs.len() - 1) * var.sqrt() / n.sqrt()
        };
        let min = xs.iter().copied().reduce(f64::min)?;
        let max = xs.iter().copied().reduce(f64::max)?;
        Some(Stats {
            mean,
            ci95,
            min,
            max,
        })
    }
}

/// Named entries that serialize as a JSON object in their order (params as given, metrics as
/// asked for), not sorted by name.
#[derive(Clone, Debug, PartialEq)]
pub struct Fields<V>(pub Vec<(String, V)>);

impl<V: Serialize> Serialize for Fields<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// What `sweep --format json` prints.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SweepReport {
    pub scenario: String,
    pub params: Vec<String>,
    pub seeds: u64,
    /// False when the sweep was stopped (Ctrl+C): a point whose runs all finished shows
    /// `runs == seeds`, one with some finished shows them (`runs < seeds`), one with none is
    /// left out.
    pub complete: bool,
    pub points: Vec<PointStats>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct PointStats {
    pub values: Fields<toml::Value>,
    /// Runs (seeds) the statistics are over.
    pub runs: u64,
    pub variants: Vec<VariantStats>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct VariantStats {
    pub name: String,
    pub metrics: Fields<Stats>,
}

impl SweepReport {
    /// `results[i]` is run `i` of `plan` (None: it did not finish); `metrics` are metric paths
    /// of the catalogue.
    #[must_use]
    pub fn new(plan: &Plan, results: &[Option<RunMetrics>], metrics: &[String]) -> SweepReport {
        let seeds = usize::try_from(plan.seeds).unwrap_or(1).max(1);
        let points: Vec<PointStats> = results
            .chunks(seeds)
            .zip(&plan.points)
            .filter_map(|(runs, point)| {
                let runs: Vec<&RunMetrics> = runs.iter().flatten().collect();
                let first = runs.first()?;
                let variants = first
                    .iter()
                    .enumerate()
                    .map(|(v, (name, _))| VariantStats {
                        name: name.clone(),
                        metrics: Fields(
                            metrics
                                .iter()
                                .filter_map(|m| {
                                    let xs: Vec<f64> =
                                        runs.iter().filter_map(|r| r.get(v)?.1.value(m)).collect();
                                    Some((m.clone(), Stats::of(&xs)?))
                                })
                                .collect(),
                        ),
                    })
                    .collect();
                Some(PointStats {
                    values: Fields(point.values.clone()),
                    runs: runs.len() as u64,
                    variants,
                })
            })
            .collect();
        SweepReport {
            scenario: plan.base.source.clone(),
            params: plan.params.clone(),
            seeds: plan.seeds,
            complete: results.iter().all(Option::is_some),
            points,
        }
    }

    /// As `sweep --format json` prints it.
    #[must_use]
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .map(|j| j + "\n")
            .unwrap_or_default()
    }

    /// The metric paths the report has, in order.
    fn metric_names(&self) -> Vec<&str> {
        let first = self.points.first().and_then(|p| p.variants.first());
        first.map_or_else(Vec::new, |v| {
            v.metrics.0.iter().map(|(m, _)| m.as_str()).collect()
        })
    }

    /// One row per point and variant: the values, then each metric's mean (± ci95 with
    /// several seeds).
    #[must_use]
    pub fn table(&self) -> String {
        let metrics = self.metric_names();
        let mut head: Vec<String> = self.params.clone();
        head.push("variant".into());
        if !self.complete {
            head.push("runs".into());
        }
        head.extend(metrics.iter().map(|m| (*m).to_owned()));
        let mut rows = vec![head];
        for p in &self.points {
            for v in &p.variants {
                let mut row: Vec<String> = p.values.0.iter().map(|(_, x)| plain(x)).collect();
                row.push(v.name.clone());
                if !self.complete {
                    row.push(format!("{}/{}", p.runs, self.seeds));
                }
                row.extend(v.metrics.0.iter().map(|(_, s)| match self.seeds {
                    1 => num(s.mean),
                    _ => format!("{} ± {}", num(s.mean), num(s.ci95)),
                }));
                rows.push(row);
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {} points x {} seed{}{}",
            self.scenario,
            self.points.len(),
            self.seeds,
            if self.seeds == 1 {
                ""
            } else {
                "s, mean ± 95% confidence"
            },
            if self.complete {
                ""
            } else {
                " (stopped: incomplete)"
            }
        );
        let params = self.params.len() + 1 + usize::from(!self.complete);
        out.push_str(&columns(&rows, params));
        out
    }

    /// One row per point and variant: the values, the runs, then mean, ci95, min and max of
    /// each metric.
    #[must_use]
    pub fn csv(&self) -> String {
        let mut head: Vec<String> = self.params.iter().map(|p| csv_field(p)).collect();
        head.extend(["variant".to_owned(), "runs".to_owned()]);
        for m in self.metric_names() {
            head.extend(["mean", "ci95", "min", "max"].map(|s| format!("{m}.{s}")));
        }
        let mut out = head.join(",") + "\n";
        for p in &self.points {
            for v in &p.variants {
                let mut row: Vec<String> = p
                    .values
                    .0
                    .iter()
                    .map(|(_, x)| csv_field(&plain(x)))
                    .collect();
                row.extend([csv_field(&v.name), p.runs.to_string()]);
                for (_, s) in &v.metrics.0 {
                    row.extend([s.mean, s.ci95, s.min, s.max].map(|x| x.to_string()));
                }
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        out
    }
}

/// A value as a person writes it: strings without quotes.
fn plain(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A number for the table: whole numbers as such, others to 3 decimals without trailing zeros.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Rows as aligned columns: the first `left` columns to the left, the rest to the right.
fn columns(rows: &[Vec<String>], left: usize) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            let w = rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count());
            w.max().unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, (cell, w)) in row.iter().zip(&widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            if c > 0 {
                line.push_str("  ");
            }
            if c < left {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci95_is_t_times_the_standard_error() {
        // 2, 4, 6: mean 4, s = 2, n = 3, t(2) = 4.303: ci95 = 4.303 * 2 / sqrt(3) = 4.9687.
        let s = Stats::of(&[2.0, 4.0, 6.0]).unwrap_or_else(|| panic!("three values"));
        assert_eq!((s.mean, s.min, s.max), (4.0, 2.0, 6.0));
        assert!((s.ci95 - 4.968_676).abs() < 1e-5, "{}", s.ci95);
        let one = Stats::of(&[7.0]).unwrap_or_else(|| panic!("one value"));
        assert_eq!((one.mean, one.ci95, one.min, one.max), (7.0, 0.0, 7.0, 7.0));
        let same = Stats::of(&[5.0; 4]).unwrap_or_else(|| panic!("four values"));
        assert_eq!(same.ci95, 0.0);
        assert_eq!(Stats::of(&[]), None);
    }

    #[test]
    fn t_values_fall_towards_the_normal_and_err_wide_between_rows() {
        assert_eq!(t95(1), 12.706);
        assert_eq!(t95(9), 2.262);
        assert_eq!(t95(35), 2.042);
        assert_eq!(t95(45), 2.021);
        assert_eq!(t95(1000), 1.980);
        assert!((1..200).all(|d| t95(d) >= t95(d + 1)));
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(1.25), "1.25");
        assert_eq!(num(2.0 / 3.0), "0.667");
        assert_eq!(plain(&toml::Value::String("x".into())), "x");
        assert_eq!(plain(&toml::Value::Float(0.5)), "0.5");
    }
}
