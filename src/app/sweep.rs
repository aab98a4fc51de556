//! The sweep view: one parameter of the loaded scenario over a list or range of values, several
//! seeds a point, one metric; the curves of every variant with their 95% confidence bands, drawn
//! as the runs come in. A click on a point opens that run (its parameter value and seed) in the
//! panes. The lesson player draws a lesson's `[[sweep]]` with the same curves.
//!
//! ```text
//!   form: param ▾  values [0.5..2.0:0.25]  seeds [3]  run for [10 s]  metric ▾   ▶ Run  ■ Cancel
//!         └─ sim::sweep::axis ─> Plan::new ─> SweepJob: a thread runs sim::sweep::each,
//!                                             each run's metrics land in its slot
//!   each frame: SweepReport::new(plan, slots) ──> a line (mean) + a band (± ci95) per variant
//! ```
//!
//! Long-running work is an explicit state: a job is running until its thread says it is done,
//! and the view asks for repaints only then (the thread wakes the window as runs arrive).

use super::i18n::tr;
use super::plots::variant_color;
use crate::report::sweep::{measure, RunMetrics, SweepReport, DEFAULT_METRICS};
use crate::report::{metric, metric_paths, path_label};
use crate::scenario::{secs, to_secs, Lang, Scenario};
use crate::sim::params::{self, ParamInfo, ParamKind};
use crate::sim::sweep::{self as sim_sweep, Plan};
use eframe::egui::{self, Pos2};
use egui_plot::{
    ColorConflictHandling, FilledArea, Legend, Line, LineStyle, MarkerShape, Plot, PlotPoint,
    Points,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};

/// A sweep running on threads of its own, its runs' metrics arriving in their slots.
pub struct SweepJob {
    pub plan: Arc<Plan>,
    runs: Arc<Mutex<Vec<Option<RunMetrics>>>>,
    done: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    finished: Arc<AtomicBool>,
}

impl SweepJob {
    /// Start `plan` on every core; `ctx` is woken as each run arrives and when it ends.
    #[must_use]
    pub fn start(plan: Plan, ctx: &egui::Context) -> SweepJob {
        let total = plan.runs();
        let job = SweepJob {
            plan: Arc::new(plan),
            runs: Arc::new(Mutex::new(vec![None; total])),
            done: Arc::new(AtomicUsize::new(0)),
            cancel: Arc::new(AtomicBool::new(false)),
            finished: Arc::new(AtomicBool::new(false)),
        };
        let (plan, runs, done, cancel, finished) = (
            Arc::clone(&job.plan),
            Arc::clone(&job.runs),
            Arc::clone(&job.done),
            Arc::clone(&job.cancel),
            Arc::clone(&job.finished),
        );
        let ctx = ctx.clone();
        let jobs = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let spawned = std::thread::Builder::new()
            .name("brokerlab-sweep".into())
            .spawn(move || {
                sim_sweep::each(&plan, jobs, &*cancel, &measure, &|i, r| {
                    if let Some(slot) = runs
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_mut(i)
                    {
                        *slot = Some(r);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    ctx.request_repaint();
                });
                finished.store(true, Ordering::Release);
                ctx.request_repaint();
            });
        if spawned.is_err() {
            job.finished.store(true, Ordering::Release);
        }
        job
    }

    /// Runs finished, and runs in all.
    #[must_use]
    pub fn progress(&self) -> (usize, usize) {
        (self.done.load(Ordering::Relaxed), self.plan.runs())
    }

    /// The thread is still at work.
    #[must_use]
    pub fn running(&self) -> bool {
        !self.finished.load(Ordering::Acquire)
    }

    /// Every run is in.
    #[must_use]
    pub fn complete(&self) -> bool {
        let (done, total) = self.progress();
        !self.running() && done == total
    }

    /// Stop after the runs under way (their current slice).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Each run's metrics so far (None: not in yet).
    #[must_use]
    pub fn runs(&self) -> Vec<Option<RunMetrics>> {
        self.runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The statistics of the runs in so far, for `metrics`.
    #[must_use]
    pub fn report(&self, metrics: &[String]) -> SweepReport {
        SweepReport::new(&self.plan, &self.runs(), metrics)
    }
}

impl Drop for SweepJob {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// What the curves showed and what was clicked.
#[derive(Default)]
pub struct CurvesResponse {
    /// A run whose marker was clicked.
    pub clicked: Option<usize>,
    /// Each marker drawn: where on screen, and which run it opens.
    pub markers: Vec<(Pos2, usize)>,
}

/// One curve: a variant (and the values of the params after the first, if any).
struct Curve {
    label: String,
    variant: usize,
    style: usize,
    /// x, mean, ci95, the first run of the point.
    points: Vec<(f64, f64, f64, usize)>,
    /// x, value, run: every seed's own value (drawn when there are several).
    runs: Vec<(f64, f64, usize)>,
}

/// Each value of the first param, in order, with its x: the value itself when all are numbers,
/// else its place (and then the values' names label the axis).
fn x_of(plan: &Plan) -> (Vec<(&toml::Value, f64)>, Option<Vec<String>>) {
    let mut seen: Vec<&toml::Value> = Vec::new();
    for p in &plan.points {
        if let Some((_, v)) = p.values.first() {
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let numbers: Option<Vec<f64>> = seen
        .iter()
        .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        .collect();
    match numbers {
        Some(xs) => (seen.into_iter().zip(xs).collect(), None),
        None => {
            let names = seen.iter().map(|v| plain(v)).collect();
            #[allow(clippy::cast_precision_loss)]
            let xs = seen
                .into_iter()
                .enumerate()
                .map(|(i, v)| (v, i as f64))
                .collect();
            (xs, Some(names))
        }
    }
}

fn plain(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The curves of `metric` from the runs in so far.
fn curves(
    plan: &Plan,
    runs: &[Option<RunMetrics>],
    metric: &str,
) -> (Vec<Curve>, Option<Vec<String>>) {
    let report = SweepReport::new(plan, runs, &[metric.to_owned()]);
    let (xs, categories) = x_of(plan);
    let seeds = usize::try_from(plan.seeds).unwrap_or(1).max(1);
    let mut out: Vec<Curve> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    for p in &report.points {
        let Some(index) = plan.points.iter().position(|q| q.values == p.values.0) else {
            continue;
        };
        let first = p.values.0.first().map(|(_, v)| v);
        let Some(x) = xs.iter().find(|(v, _)| Some(*v) == first).map(|(_, x)| *x) else {
            continue;
        };
        let rest: Vec<String> = p
            .values
            .0
            .iter()
            .skip(1)
            .map(|(k, v)| format!("{k} = {}", plain(v)))
            .collect();
        let group = rest.join(", ");
        let style = match groups.iter().position(|g| *g == group) {
            Some(i) => i,
            None => {
                groups.push(group.clone());
                groups.len() - 1
            }
        };
        for (vi, v) in p.variants.iter().enumerate() {
            let Some((_, stats)) = v.metrics.0.first() else {
                continue;
            };
            let label = if group.is_empty() {
                v.name.clone()
            } else {
                format!("{} ({group})", v.name)
            };
            let at = match out.iter().position(|c| c.label == label) {
                Some(i) => i,
                None => {
                    out.push(Curve {
                        label,
                        variant: vi,
                        style,
                        points: Vec::new(),
                        runs: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let first = index * seeds;
            out[at].points.push((x, stats.mean, stats.ci95, first));
            for r in first..first + seeds {
                let value = runs
                    .get(r)
                    .and_then(Option::as_ref)
                    .and_then(|m| m.get(vi))
                    .and_then(|(_, m)| m.value(metric));
                if let Some(y) = value {
                    out[at].runs.push((x, y, r));
                }
            }
        }
    }
    for c in &mut out {
        c.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    (out, categories)
}

const STYLES: [LineStyle; 3] = [
    LineStyle::Solid,
    LineStyle::Dashed { length: 8.0 },
    LineStyle::Dotted { spacing: 6.0 },
];
const SHAPES: [MarkerShape; 4] = [
    MarkerShape::Circle,
    MarkerShape::Square,
    MarkerShape::Diamond,
    MarkerShape::Up,
];

/// The curves of a sweep's `metric`: per variant a line through the means, a band of the 95%
/// confidence interval around it, a marker per point and, with several seeds, a dot per run.
/// `clickable`: a click on a marker reports its run.
pub fn curves_ui(
    ui: &mut egui::Ui,
    id: &str,
    job: &SweepJob,
    metric_path: &str,
    height: f32,
    l: Lang,
    clickable: bool,
) -> CurvesResponse {
    let plan = &job.plan;
    let runs = job.runs();
    let (curves, categories) = curves(plan, &runs, metric_path);
    let x_label = plan.params.first().cloned().unwrap_or_default();
    let unit = metric_path
        .split('.')
        .next()
        .and_then(metric)
        .map_or("", |m| m.unit);
    let y_label = format!("{} ({unit})", path_label(metric_path, l));
    let several = plan.seeds > 1;
    let mut plot = Plot::new(("sweep", id))
        .height(height)
        .legend(
            Legend::default()
                .position(egui_plot::Corner::LeftTop)
                .follow_insertion_order(true)
                // The band and the run dots are paler: the entry takes the line's colour.
                .color_conflict_handling(ColorConflictHandling::PickLast),
        )
        .x_axis_label(x_label)
        .y_axis_label(y_label)
        .include_y(0.0)
        .allow_scroll(false)
        .allow_double_click_reset(true);
    if let Some(cats) = categories.clone() {
        plot = plot.x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            cats.get(i as usize).cloned().unwrap_or_default()
        });
    }
    let resp = plot.show(ui, |p| {
        for c in &curves {
            let color = variant_color(c.variant);
            if several && c.points.len() > 1 {
                let xs: Vec<f64> = c.points.iter().map(|q| q.0).collect();
                let lo: Vec<f64> = c.points.iter().map(|q| q.1 - q.2).collect();
                let hi: Vec<f64> = c.points.iter().map(|q| q.1 + q.2).collect();
                p.add(
                    FilledArea::new(&c.label, &xs, &lo, &hi)
                        .fill_color(color.gamma_multiply(0.22))
                        .allow_hover(false),
                );
            }
            if several {
                // One point alone has no band: its interval is an error bar.
                for &(x, mean, ci, _) in c.points.iter().filter(|_| c.points.len() == 1) {
                    p.line(
                        Line::new(&c.label, vec![[x, mean - ci], [x, mean + ci]])
                            .color(color)
                            .width(1.5),
                    );
                }
                let dots: Vec<[f64; 2]> = c.runs.iter().map(|r| [r.0, r.1]).collect();
                p.points(
                    Points::new(&c.label, dots)
                        .color(color.gamma_multiply(0.6))
                        .radius(1.8),
                );
            }
            let means: Vec<[f64; 2]> = c.points.iter().map(|q| [q.0, q.1]).collect();
            p.line(
                Line::new(&c.label, means.clone())
                    .color(color)
                    .style(STYLES[c.style % STYLES.len()])
                    .width(2.0),
            );
            p.points(
                Points::new(&c.label, means)
                    .color(color)
                    .shape(SHAPES[c.style % SHAPES.len()])
                    .filled(true)
                    .radius(3.5),
            );
        }
    });
    let mut out = CurvesResponse::default();
    let t = &resp.transform;
    for c in &curves {
        for &(x, y, _, first) in &c.points {
            out.markers
                .push((t.position_from_point(&PlotPoint::new(x, y)), first));
        }
        if several {
            for &(x, y, r) in &c.runs {
                out.markers
                    .push((t.position_from_point(&PlotPoint::new(x, y)), r));
            }
        }
    }
    if clickable && resp.response.clicked() {
        if let Some(at) = resp.response.interact_pointer_pos() {
            out.clicked = out
                .markers
                .iter()
                .map(|(p, r)| (p.distance(at), *r))
                .filter(|(d, _)| *d <= 10.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, r)| r);
        }
    }
    if clickable && resp.response.hovered() && !out.markers.is_empty() {
        resp.response
            .on_hover_text(tr(l, "Click a point to open that run in the panes"));
    }
    out
}

/// The plan of `param` (`PATH=VALUES`) over `seeds` seeds, each run `run_for_s` long: at
/// least 1 ms, at most the shortest point's run (which may be shorter than 1 ms; a swept
/// duration_s makes some shorter than the scenario's), as `sweep --until` is.
/// An error is said of the form's Values (in the learner's language), without the path the
/// command line puts first: the form shows the parameter beside it.
fn plan(s: &Scenario, param: &str, seeds: u64, run_for_s: f64, l: Lang) -> Result<Plan, String> {
    let said = |e: crate::sim::params::ParamError| format!("{}: {}", tr(l, "Values"), e.message);
    let axis = sim_sweep::axis(param).map_err(said)?;
    let mut plan = Plan::new(s, &[axis], seeds).map_err(said)?;
    let run_for_s = run_for_s.max(0.001).min(to_secs(plan.shortest()));
    plan.until = Some(secs(run_for_s));
    Ok(plan)
}

/// What the view asks of the app.
pub enum SweepAction {
    /// Open run `i` of the plan in the panes.
    Open(Arc<Plan>, usize),
    /// Save text to a file in this folder.
    Export(&'static str, String),
    /// A PNG of the view: this part of the window.
    Png(egui::Rect),
}

/// The sweep window: its form, the job it started and the curves.
pub struct SweepView {
    pub open: bool,
    /// The text of the scenario the parameters were listed for: another one (a knob change,
    /// an edit, another file) lists them again, with their values; the form keeps its
    /// parameter while the scenario has it.
    for_text: Option<Arc<str>>,
    /// Its source: another one fits the run's length to it.
    for_source: String,
    params: Vec<ParamInfo>,
    pub param: String,
    pub values: String,
    pub seeds: u64,
    /// Simulated seconds each run lasts.
    pub run_for_s: f64,
    pub metric: String,
    /// A problem with the form, shown under it.
    pub error: Option<String>,
    pub job: Option<SweepJob>,
    /// The plan being made on a thread of its own (each point's values are checked against
    /// the scenario: 10,000 of them held the window still for seconds); None: none.
    preparing: Option<(mpsc::Receiver<Result<Plan, String>>, String)>,
    /// The metric the job's curves show (the form's when it started).
    shown_metric: String,
    /// The markers drawn in the last frame (where a click opens a run).
    pub markers: Vec<(Pos2, usize)>,
    /// The window was open since the job ended: its results were seen.
    seen: bool,
}

/// What a sweep does while its window is closed (the status bar says it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behind {
    Preparing,
    /// Runs done, runs in all.
    Running(usize, usize),
    /// Ended (finished or stopped) and not seen since.
    Ended(usize, usize),
}

impl Default for SweepView {
    fn default() -> Self {
        SweepView {
            open: false,
            for_text: None,
            for_source: String::new(),
            params: Vec::new(),
            param: String::new(),
            values: String::new(),
            seeds: 1,
            run_for_s: 10.0,
            metric: DEFAULT_METRICS[0].to_owned(),
            error: None,
            job: None,
            preparing: None,
            shown_metric: String::new(),
            markers: Vec::new(),
            seen: true,
        }
    }
}

/// Values to start from for a parameter, around its current value.
fn suggest(info: &ParamInfo) -> String {
    let current = info.current.as_ref().or(info.default.as_ref());
    match info.kind {
        ParamKind::Int { min, max } => {
            let n = current
                .and_then(toml::Value::as_integer)
                .unwrap_or(min.max(1));
            let lo = (n / 2).max(min).max(if min <= 1 { 1.min(n) } else { min });
            let hi = (n.max(1) * 4).min(max);
            if hi > lo {
                format!("{lo}..{hi}")
            } else {
                format!("{lo}")
            }
        }
        ParamKind::Float { min, max, .. } => {
            let x = current
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .filter(|x| *x > 0.0)
                .unwrap_or(1.0);
            let round = |v: f64| {
                let s = format!("{v:.3}");
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            };
            let lo = (x / 2.0).max(min);
            let hi = (x * 2.0).min(max);
            format!("{}..{}:{}", round(lo), round(hi), round(x / 4.0))
        }
        ParamKind::Bool => "false, true".to_owned(),
        ParamKind::Choice { choices } => choices.join(", "),
        ParamKind::Text | ParamKind::List | ParamKind::Table => {
            current.map(plain).unwrap_or_default()
        }
    }
}

impl SweepView {
    /// Fill the form for `s` when it is not the scenario it was filled for.
    fn refresh(&mut self, s: &Scenario) {
        if self
            .for_text
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(t, &s.text))
        {
            return;
        }
        self.for_text = Some(Arc::clone(&s.text));
        // The run's length is the learner's while the scenario is the same file (a knob
        // change moved it; the plan keeps it within the shortest point's run).
        let another = self.for_source != s.source;
        self.for_source.clone_from(&s.source);
        let before: Vec<String> = self.params.iter().map(|p| p.path.clone()).collect();
        self.params = params::list(s)
            .into_iter()
            .filter(|p| !matches!(p.kind, ParamKind::List | ParamKind::Text | ParamKind::Table))
            .collect();
        // Its producer, consumer or variant renamed: the form keeps it by its new path, with
        // the values typed.
        let now: Vec<String> = self.params.iter().map(|p| p.path.clone()).collect();
        let at = before.iter().position(|p| *p == self.param);
        if let Some(i) = at.and_then(|i| params::in_place(&before, &now, i)) {
            self.param.clone_from(&now[i]);
        }
        if !self.params.iter().any(|p| p.path == self.param) {
            let first = self
                .params
                .iter()
                .find(|p| p.path == "scale.rate")
                .or_else(|| self.params.first());
            if let Some(p) = first {
                self.param.clone_from(&p.path);
                self.values = suggest(p);
            }
        }
        if another {
            self.run_for_s = to_secs(s.duration).min(self.run_for_s.max(1.0));
        }
    }

    /// The plan the form describes, or what is wrong with it.
    ///
    /// # Errors
    /// The values are no list or range, or the scenario refuses a value.
    pub fn plan(&self, s: &Scenario, l: Lang) -> Result<Plan, String> {
        plan(
            s,
            &format!("{}={}", self.param, self.values),
            self.seeds,
            self.run_for_s,
            l,
        )
    }

    /// Start the sweep the form describes: its plan is made on a thread, then the job starts
    /// (the error shows in the form if it cannot).
    pub fn run(&mut self, s: &Scenario, ctx: &egui::Context, l: Lang) {
        self.error = None;
        let (tx, rx) = mpsc::channel();
        let (s, param, seeds, run_for_s) = (
            s.clone(),
            format!("{}={}", self.param, self.values),
            self.seeds,
            self.run_for_s,
        );
        let woken = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("brokerlab-sweep-plan".into())
            .spawn(move || {
                let _ = tx.send(plan(&s, &param, seeds, run_for_s, l));
                woken.request_repaint();
            });
        match spawned {
            Ok(_) => self.preparing = Some((rx, self.metric.clone())),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The plan made, once it is: the job starts (the last one's curves stay until then), or
    /// the form says what is wrong.
    fn prepared(&mut self, ctx: &egui::Context) {
        let Some((rx, metric)) = &self.preparing else {
            return;
        };
        match rx.try_recv() {
            Ok(Ok(plan)) => {
                self.shown_metric.clone_from(metric);
                self.job = Some(SweepJob::start(plan, ctx));
                self.seen = false;
            }
            Ok(Err(e)) => self.error = Some(e),
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => {}
        }
        self.preparing = None;
    }

    /// Stop the sweep: the plan being made is let go, the job's runs stop, its curves go.
    pub fn stop(&mut self) {
        self.preparing = None;
        self.job = None;
        self.markers.clear();
    }

    /// The window, when open.
    pub fn ui(&mut self, ctx: &egui::Context, s: &Scenario, l: Lang) -> Option<SweepAction> {
        if !self.open {
            return None;
        }
        self.refresh(s);
        self.prepared(ctx);
        let mut open = self.open;
        let mut action = None;
        let inner = egui::Window::new(tr(l, "Sweep"))
            .id(egui::Id::new("sweep-window"))
            .open(&mut open)
            .default_size([820.0, 600.0])
            .min_width(560.0)
            .show(ctx, |ui| {
                self.form_ui(ui, s, l);
                ui.separator();
                action = self.results_ui(ui, l);
            });
        if let (Some(inner), Some(SweepAction::Png(_))) = (&inner, &action) {
            action = Some(SweepAction::Png(inner.response.rect));
        }
        self.open = open;
        match &self.job {
            Some(j) if j.running() => {
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
            }
            _ => self.seen = true,
        }
        action
    }

    /// What the sweep does while its window is closed: runs go on (the results are there when
    /// it opens again). None: the window is open, or nothing to tell.
    pub fn behind(&mut self, ctx: &egui::Context) -> Option<Behind> {
        if self.open {
            return None;
        }
        self.prepared(ctx);
        if self.preparing.is_some() {
            return Some(Behind::Preparing);
        }
        let j = self.job.as_ref()?;
        let (done, total) = j.progress();
        if j.running() {
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
            Some(Behind::Running(done, total))
        } else {
            (!self.seen).then_some(Behind::Ended(done, total))
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, s: &Scenario, l: Lang) {
        ui.label(format!("{}: {}", tr(l, "Scenario"), s.source));
        egui::Grid::new("sweep-form").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            ui.label(tr(l, "Parameter"));
            let before = self.param.clone();
            egui::ComboBox::from_id_salt("sweep-param")
                .selected_text(self.param.clone())
                .width(320.0)
                .height(360.0)
                .show_ui(ui, |ui| {
                    for p in &self.params {
                        let now = p.current.as_ref().map(plain).unwrap_or_default();
                        let text = format!("{}   = {now}", p.path);
                        ui.selectable_value(&mut self.param, p.path.clone(), text);
                    }
                });
            if self.param != before {
                if let Some(p) = self.params.iter().find(|p| p.path == self.param) {
                    self.values = suggest(p);
                }
            }
            ui.end_row();
            ui.label(tr(l, "Values"));
            ui.add(
                egui::TextEdit::singleline(&mut self.values)
                    .desired_width(320.0)
                    .hint_text(tr(l, "a list 1,2,4 or a range 0.5..2.0:0.25")),
            )
            .on_hover_text(tr(l, "A list 1,2,4 or a range FROM..TO:STEP (both ends included)"));
            ui.end_row();
            ui.label(tr(l, "Seeds"));
            ui.horizontal(|ui| {
                ui.add(egui::DragValue::new(&mut self.seeds).range(1..=100))
                    .on_hover_text(tr(l, "Runs per point, each with its own seed: the band is the 95% confidence interval of their mean"));
                ui.add_space(16.0);
                ui.label(tr(l, "Run for"));
                ui.add(
                    egui::DragValue::new(&mut self.run_for_s)
                        .range(0.001..=to_secs(s.duration))
                        .speed(0.5)
                        .suffix(" s"),
                )
                .on_hover_text(tr(l, "Simulated seconds each run lasts"));
            });
            ui.end_row();
            ui.label(tr(l, "Metric"));
            egui::ComboBox::from_id_salt("sweep-metric")
                .selected_text(path_label(&self.metric, l))
                .width(320.0)
                .height(360.0)
                .show_ui(ui, |ui| {
                    for m in metric_paths() {
                        let label = path_label(&m, l);
                        ui.selectable_value(&mut self.metric, m, label);
                    }
                });
            ui.end_row();
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {e}"));
        }
        ui.horizontal(|ui| {
            let preparing = self.preparing.is_some();
            let running = preparing || self.job.as_ref().is_some_and(SweepJob::running);
            if ui
                .add_enabled(
                    !running,
                    egui::Button::new(format!("▶ {}", tr(l, "Run sweep"))),
                )
                .on_hover_text(tr(l, "Run every value with every seed, on every core"))
                .clicked()
            {
                if self.values.trim().is_empty() {
                    // The form's words, not the command line's (PATH=V1,V2,...).
                    let why = "Values: give a list such as 1,2,4 or a range such as 0.5..2.0:0.25";
                    self.error = Some(tr(l, why).to_owned());
                } else {
                    self.run(s, ui.ctx(), l);
                }
            }
            if ui
                .add_enabled(running, egui::Button::new(format!("■ {}", tr(l, "Cancel"))))
                .on_hover_text(tr(
                    l,
                    "Stop after the runs under way; the points so far stay",
                ))
                .clicked()
            {
                self.preparing = None;
                if let Some(j) = &self.job {
                    j.cancel();
                }
            }
            if preparing {
                ui.spinner();
                ui.label(tr(l, "Checking every value against the scenario…"));
            }
            if let Some(j) = &self.job {
                let (done, total) = j.progress();
                #[allow(clippy::cast_precision_loss)]
                let fraction = done as f32 / total.max(1) as f32;
                let mut text = format!("{done} / {total} {}", tr(l, "runs"));
                if !j.running() && done < total {
                    text = format!("{text} ({})", tr(l, "cancelled"));
                }
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(260.0)
                        .text(text),
                );
            }
        });
    }

    fn results_ui(&mut self, ui: &mut egui::Ui, l: Lang) -> Option<SweepAction> {
        let Some(job) = &self.job else {
            ui.weak(tr(
                l,
                "Pick a parameter, its values and a metric, then run the sweep.",
            ));
            self.markers.clear();
            return None;
        };
        let mut action = None;
        let height = (ui.available_height() - 48.0).max(160.0);
        let resp = curves_ui(ui, "view", job, &self.shown_metric, height, l, true);
        self.markers = resp.markers;
        if let Some(r) = resp.clicked {
            action = Some(SweepAction::Open(Arc::clone(&job.plan), r));
        }
        ui.horizontal(|ui| {
            ui.weak(tr(l, "Click a point to open that run in the panes"));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button(tr(l, "Export PNG"))
                    .on_hover_text(tr(l, "A picture of this window"))
                    .clicked()
                {
                    action = Some(SweepAction::Png(egui::Rect::NOTHING));
                }
                if ui
                    .button(tr(l, "Export CSV"))
                    .on_hover_text(tr(
                        l,
                        "Mean, ci95, min and max of every point, as `brokerlab sweep --format csv`",
                    ))
                    .clicked()
                {
                    let csv = job.report(std::slice::from_ref(&self.shown_metric)).csv();
                    action = Some(SweepAction::Export("brokerlab-sweep.csv", csv));
                }
            });
        });
        action
    }
}

/// Where a PNG of the sweep view goes, with the part of the window it shows.
pub struct PendingPng {
    pub path: PathBuf,
    pub rect: egui::Rect,
}

/// Tags the screenshot a PNG of the sweep view asked for.
#[derive(Clone, Copy, Debug)]
pub struct SweepShot;

/// The screenshot `pending` waits for, cropped and saved: None while it has not come.
pub fn save_png(ctx: &egui::Context, pending: &PendingPng) -> Option<Result<(), String>> {
    let image = ctx.input(|i| {
        i.raw.events.iter().find_map(|e| match e {
            egui::Event::Screenshot {
                image, user_data, ..
            } if user_data
                .data
                .as_ref()
                .is_some_and(|d| d.downcast_ref::<SweepShot>().is_some()) =>
            {
                Some(Arc::clone(image))
            }
            _ => None,
        })
    })?;
    let cropped = image.region(&pending.rect, Some(ctx.pixels_per_point()));
    let [w, h] = cropped.size;
    let bytes: Vec<u8> = cropped.pixels.iter().flat_map(|c| c.to_array()).collect();
    Some(
        image::RgbaImage::from_raw(
            u32::try_from(w).unwrap_or(0),
            u32::try_from(h).unwrap_or(0),
            bytes,
        )
        .ok_or_else(|| "bad image size".to_owned())
        .and_then(|img| img.save(&pending.path).map_err(|e| e.to_string())),
    )
}

#[cfg(test)]
mod tests {
    use super::SweepView;
    use crate::scenario::{parse_scenario, secs, Lang};

    #[test]
    fn a_run_shorter_than_a_millisecond_is_swept_to_its_end() {
        let text = "duration_s = 0.0005\n\
            [[producer]]\nname = \"p\"\npublish = [ { topic = \"t\", rate_per_s = 10.0 } ]\n\
            [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n\
            [[variant]]\nname = \"d\"\nshape = \"direct\"\n";
        let s = parse_scenario("short.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let mut view = SweepView::default();
        view.refresh(&s);
        let plan = view.plan(&s, Lang::En).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.until, Some(secs(0.0005)));
    }

    #[test]
    fn a_swept_duration_runs_each_point_to_the_shortest() {
        let text = crate::builtin::get("point-to-point").unwrap_or_default();
        let s = parse_scenario("p.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let mut view = SweepView::default();
        view.refresh(&s);
        view.param = "duration_s".into();
        view.values = "20,40".into();
        view.run_for_s = 40.0;
        let plan = view.plan(&s, Lang::En).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.until, Some(secs(20.0)));
    }
}
