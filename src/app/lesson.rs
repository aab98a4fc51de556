//! The lesson player: a lesson's steps beside the panes. Each step says what to look at (the
//! variants shown, the nodes highlighted), asks a question, lets the learner pick an answer,
//! then runs the simulation to the step's time and lights each expectation up true or false with
//! the measured number. Back and Continue move between steps; the app remembers the last step of
//! each lesson. A step that draws a sweep runs it in the background and draws its curves (as the
//! sweep view does); its expectations about the sweep's points light up once every run is in.

use super::i18n::tr;
use super::panes::Panes;
use super::session::Session;
use super::sweep::{curves_ui, SweepJob};
use crate::lesson::sweep::Swept;
use crate::lesson::{describe, evaluate_with, Outcome};
use crate::scenario::{to_secs, Lang, Scenario};
use eframe::egui::{self, Color32, RichText};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Default)]
pub struct LessonPlayer {
    /// Which lesson this state belongs to (the scenario's source).
    lesson: String,
    pub step: usize,
    /// The learner's pick for the current step.
    picked: Option<usize>,
    /// The current step has run to its time and shows its outcomes.
    revealed: bool,
    outcomes: Vec<Outcome>,
    /// The text of the scenario the outcomes were measured on: a knob or an edit since makes
    /// them stale.
    measured: Option<Arc<str>>,
    /// The sweep the current step draws (its name), running or run.
    pub sweep: Option<(String, SweepJob)>,
    /// The outcomes were measured with every run of the step's sweep in.
    swept: bool,
    /// The text on which the step's sweep could not be planned.
    unplanned: Option<Arc<str>>,
    /// The knobs the current step set (`[[step]] set`) on the file's version.
    knobs: Vec<(String, toml::Value)>,
    /// Knobs a step entered wants and the app has not applied yet (see [`Self::take_knobs`]).
    knobs_wanted: Option<Vec<(String, toml::Value)>>,
    /// A step the learner asked for whose knobs would replace their own changes: the app asks
    /// first, then goes there ([`Self::go`]) or stays.
    pub asks: Option<usize>,
}

impl LessonPlayer {
    /// Start (or resume) the lesson loaded in `s`, at the step remembered in `last`.
    pub fn open(&mut self, s: &mut Session, panes: &mut Panes, last: &BTreeMap<String, usize>) {
        let steps = s.scenario().steps.len();
        *self = LessonPlayer {
            lesson: s.scenario().source.clone(),
            ..LessonPlayer::default()
        };
        if steps > 0 {
            let at = last.get(&self.lesson).copied().unwrap_or(0).min(steps - 1);
            self.enter(at, s, panes);
        }
    }

    /// The lesson's scenario opened as a sweep's run (its point's values, where the sweep
    /// stopped it): the lesson shows its remembered step without moving the run or setting the
    /// step's knobs, which Back, Continue or a step's number then do.
    pub fn stand(&mut self, s: &Session, last: &BTreeMap<String, usize>) {
        let steps = s.scenario().steps.len();
        *self = LessonPlayer {
            lesson: s.scenario().source.clone(),
            ..LessonPlayer::default()
        };
        if steps > 0 {
            self.step = last.get(&self.lesson).copied().unwrap_or(0).min(steps - 1);
        }
    }

    /// Go to step `i`: the simulation stands where the step starts (the previous step's time),
    /// the panes show the step's variants and nodes.
    fn enter(&mut self, i: usize, s: &mut Session, panes: &mut Panes) {
        let want = crate::lesson::knobs(s.scenario(), i);
        if want != self.knobs {
            self.knobs_wanted = Some(want.clone());
            self.knobs = want;
        }
        self.step = i;
        self.picked = None;
        self.revealed = false;
        self.outcomes.clear();
        s.playing = false;
        let start = if i == 0 {
            0
        } else {
            s.scenario().steps[i - 1].run_to
        };
        s.seek(start);
        let step = &s.scenario().steps[i];
        if !step.show.is_empty() {
            let shown: Vec<usize> = s
                .sim()
                .variants
                .iter()
                .enumerate()
                .filter(|(_, v)| step.show.contains(&s.scenario().variants[v.index].name))
                .map(|(k, _)| k)
                .collect();
            if !shown.is_empty() {
                panes.show(shown);
            }
        }
        panes.highlight(step.highlight.clone());
    }

    /// The lesson's scenario was saved as `to` (it was `from`): it goes on at the same step, and
    /// that step is remembered for `to`.
    pub fn renamed(&mut self, from: &str, to: &str, last: &mut BTreeMap<String, usize>) {
        if self.lesson == from && !self.lesson.is_empty() {
            self.lesson = to.to_owned();
            last.insert(self.lesson.clone(), self.step);
        }
    }

    /// Go to step `i` (remembered as the lesson's last), unless its knobs would replace the
    /// learner's own changes (`unsaved`): then the app asks first ([`Self::asks`]).
    fn ask_or_go(
        &mut self,
        i: usize,
        s: &mut Session,
        panes: &mut Panes,
        last: &mut BTreeMap<String, usize>,
        unsaved: bool,
    ) {
        if unsaved && crate::lesson::knobs(s.scenario(), i) != self.knobs {
            self.asks = Some(i);
        } else {
            self.go(i, s, panes, last);
        }
    }

    /// Go to step `i` and remember it as the lesson's last.
    pub fn go(
        &mut self,
        i: usize,
        s: &mut Session,
        panes: &mut Panes,
        last: &mut BTreeMap<String, usize>,
    ) {
        self.asks = None;
        if i < s.scenario().steps.len() {
            self.enter(i, s, panes);
            last.insert(self.lesson.clone(), i);
        }
    }

    /// The knobs the step just entered sets (none: the file as it is), for the app to apply
    /// as a knob change on the file's version (re-simulated to the step's start, undoable).
    pub fn take_knobs(&mut self) -> Option<Vec<(String, toml::Value)>> {
        self.knobs_wanted.take()
    }

    /// Whether the step's knobs are still to be applied.
    #[must_use]
    pub fn knobs_pending(&self) -> bool {
        self.knobs_wanted.is_some()
    }

    fn reveal(&mut self, s: &mut Session) {
        let run_to = s.scenario().steps[self.step].run_to;
        s.playing = false;
        s.seek(run_to);
        self.measure(s);
        self.revealed = true;
    }

    /// The step's outcomes: its sweep's points from the runs in (all of them, once it is done).
    fn measure(&mut self, s: &Session) {
        let mut swept = BTreeMap::new();
        self.swept = false;
        if let Some((name, job)) = &self.sweep {
            if job.complete() {
                let runs = job.runs();
                let plan = crate::sim::sweep::Plan::clone(&job.plan);
                swept.insert(name.clone(), Swept { plan, runs });
                self.swept = true;
            }
        }
        self.outcomes = evaluate_with(s.sim(), self.step, &swept);
        self.measured = Some(Arc::clone(&s.scenario().text));
    }

    /// Outcomes measured on another version of the scenario than the one running (a knob or
    /// an edit since): measured again where the step runs to, or, the clock elsewhere, taken
    /// back, so the step is run again. Never the old numbers beside the new run.
    fn remeasure(&mut self, s: &Session) {
        let now = &s.scenario().text;
        let stale = self
            .measured
            .as_ref()
            .is_some_and(|t| !Arc::ptr_eq(t, now) && **t != **now);
        if !(self.revealed && stale) {
            return;
        }
        if s.now() == s.scenario().steps[self.step].run_to {
            self.measure(s);
        } else {
            self.revealed = false;
            self.outcomes.clear();
            self.measured = None;
        }
    }

    /// Start the sweep the current step draws over `scenario` as it is, unless it is the one
    /// already there (the same sweep of the same text); a step without one stops the last
    /// step's. Called once the step's knobs are in (a sweep started before them ran with the
    /// knobs of the step the learner came from, and its checks said so).
    fn ensure_sweep(&mut self, scenario: &Scenario, ctx: &egui::Context) {
        let Some(name) = scenario
            .steps
            .get(self.step)
            .and_then(|st| st.sweep.as_ref())
        else {
            self.sweep = None;
            return;
        };
        let same = |job: &SweepJob| {
            let text = &job.plan.base.text;
            Arc::ptr_eq(text, &scenario.text) || **text == *scenario.text
        };
        if self
            .sweep
            .as_ref()
            .is_some_and(|(n, job)| n == name && same(job))
        {
            return;
        }
        // A sweep that cannot be planned on this text (a knob or an edit took what it
        // sweeps) is not planned again every frame.
        if self
            .unplanned
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(t, &scenario.text))
        {
            return;
        }
        let plan = crate::lesson::sweep::named(scenario, name)
            .and_then(|w| crate::lesson::sweep::plan(scenario, w).ok());
        self.unplanned = plan.is_none().then(|| Arc::clone(&scenario.text));
        self.sweep = plan.map(|p| (name.clone(), SweepJob::start(p, ctx)));
        self.swept = false;
    }

    /// The curves of the step's sweep, with its progress while runs arrive.
    fn sweep_ui(&self, ui: &mut egui::Ui, scenario: &Scenario, l: Lang) {
        let Some((name, job)) = &self.sweep else {
            return;
        };
        let Some(w) = crate::lesson::sweep::named(scenario, name) else {
            return;
        };
        let title = w.title.as_ref().map_or_else(
            || crate::report::path_label(&w.metric.value, l),
            |t| t.get(l).to_owned(),
        );
        ui.add_space(6.0);
        ui.label(RichText::new(format!("📈 {title}")).strong());
        let (done, total) = job.progress();
        if job.running() {
            #[allow(clippy::cast_precision_loss)]
            let fraction = done as f32 / total.max(1) as f32;
            let text = format!("{done} / {total} {}", tr(l, "runs"));
            ui.add(egui::ProgressBar::new(fraction).text(text));
        }
        curves_ui(ui, name, job, &w.metric.value, 220.0, l, false);
    }

    /// The side panel. `last` keeps the step reached in every lesson; `busy`: a change is
    /// being simulated; `unsaved`: the learner has changes a step's knobs would replace.
    #[allow(clippy::too_many_arguments)]
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        s: &mut Session,
        panes: &mut Panes,
        last: &mut BTreeMap<String, usize>,
        busy: bool,
        unsaved: bool,
        l: Lang,
    ) {
        let steps = s.scenario().steps.len();
        if steps == 0 {
            return;
        }
        if self.lesson != s.scenario().source {
            self.open(s, panes, last);
        }
        let scenario = Arc::clone(s.scenario());
        if !busy && !self.knobs_pending() {
            self.ensure_sweep(&scenario, ui.ctx());
        }
        self.remeasure(s);
        // Measured where the step runs to (a sweep started again by a knob change ends while
        // the learner may be further on).
        if self.revealed
            && !self.swept
            && s.now() == s.scenario().steps[self.step].run_to
            && self.sweep.as_ref().is_some_and(|(_, j)| j.complete())
        {
            self.measure(s);
        }
        ui.heading(s.scenario().title.get(l));
        ui.horizontal_wrapped(|ui| {
            for i in 0..steps {
                let label = format!("{}", i + 1);
                let text = if i == self.step {
                    RichText::new(label).strong().underline()
                } else {
                    RichText::new(label)
                };
                if ui
                    .selectable_label(i == self.step, text)
                    .on_hover_text(s.scenario().steps[i].title.get(l))
                    .clicked()
                    && i != self.step
                {
                    self.ask_or_go(i, s, panes, last, unsaved);
                }
            }
        });
        ui.separator();
        let step = s.scenario().steps[self.step].clone();
        ui.label(
            RichText::new(format!("{}. {}", self.step + 1, step.title.get(l)))
                .strong()
                .size(16.0),
        );
        egui::ScrollArea::vertical()
            .id_salt("lesson")
            .max_height(ui.available_height() - 60.0)
            .show(ui, |ui| {
                if let Some(t) = &step.text {
                    ui.label(t.get(l));
                }
                if !step.set.is_empty() {
                    ui.add_space(4.0);
                    ui.label(RichText::new(tr(l, "This step runs the scenario with:")).weak())
                        .on_hover_text(tr(
                            l,
                            "Knobs the step sets, as the Knobs tab shows them: the run starts again from 0 s with these values, the file's values are drawn dashed beside it",
                        ));
                    for (k, v) in &step.set {
                        ui.monospace(format!("  {} = {}", k.value, v.value));
                    }
                }
                self.sweep_ui(ui, &scenario, l);
                ui.add_space(6.0);
                if let Some(q) = &step.ask {
                    ui.label(RichText::new(format!("❓ {}", q.get(l))).strong());
                    for (k, c) in step.choices.iter().enumerate() {
                        let mut text = RichText::new(c.get(l));
                        if self.revealed && step.answer == Some(k) {
                            text = text.color(Color32::from_rgb(76, 175, 80)).strong();
                        }
                        ui.add_enabled_ui(!self.revealed, |ui| {
                            if ui.radio(self.picked == Some(k), text).clicked() {
                                self.picked = Some(k);
                            }
                        });
                    }
                    if self.revealed {
                        if let (Some(p), Some(a)) = (self.picked, step.answer) {
                            let (msg, color) = if p == a {
                                (tr(l, "Right."), Color32::from_rgb(76, 175, 80))
                            } else {
                                (
                                    tr(l, "Not quite: the simulation says otherwise."),
                                    ui.visuals().warn_fg_color,
                                )
                            };
                            ui.colored_label(color, msg);
                        }
                    }
                }
                ui.add_space(6.0);
                if self.revealed {
                    ui.label(
                        RichText::new(format!(
                            "{} {:.1} s",
                            tr(l, "Measured at"),
                            to_secs(step.run_to)
                        ))
                        .weak(),
                    );
                    for o in &self.outcomes {
                        let e = &o.expect;
                        let measured = o.measured.map_or_else(|| "–".to_owned(), short);
                        let waiting = e.sweep.is_some() && !self.swept;
                        let (mark, color) = if waiting {
                            ("…", ui.visuals().weak_text_color())
                        } else if o.holds {
                            ("✔", Color32::from_rgb(76, 175, 80))
                        } else {
                            ("✘", ui.visuals().error_fg_color)
                        };
                        ui.colored_label(color, format!("{mark} {}", describe(e)))
                            .on_hover_text(format!("{}: {measured}", tr(l, "measured")));
                        ui.label(
                            RichText::new(format!("   {}: {measured}", tr(l, "measured")))
                                .monospace()
                                .weak(),
                        );
                    }
                }
            });
        ui.separator();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    self.step > 0,
                    egui::Button::new(format!("◀ {}", tr(l, "Back"))),
                )
                .on_hover_text(tr(l, "The previous step"))
                .clicked()
            {
                self.ask_or_go(self.step - 1, s, panes, last, unsaved);
            }
            if !self.revealed {
                let needs_pick = !step.choices.is_empty() && self.picked.is_none();
                let label = format!("{} {:.0} s ▶", tr(l, "Run to"), to_secs(step.run_to));
                let waits = busy || self.knobs_pending();
                let tip = if needs_pick {
                    tr(l, "Pick an answer first")
                } else if waits {
                    tr(l, "simulating…")
                } else {
                    tr(l, "Run the simulation to this step's time and check")
                };
                if ui
                    .add_enabled(!needs_pick && !waits, egui::Button::new(label))
                    .on_hover_text(tip)
                    .on_disabled_hover_text(tip)
                    .clicked()
                {
                    self.reveal(s);
                }
            } else if self.step + 1 < steps {
                if ui
                    .button(format!("{} ▶", tr(l, "Continue")))
                    .on_hover_text(tr(l, "The next step"))
                    .clicked()
                {
                    self.ask_or_go(self.step + 1, s, panes, last, unsaved);
                }
            } else {
                ui.label(tr(l, "End of the lesson."));
            }
        });
    }
}

/// A measured number as a learner reads it: whole numbers as such, others (a mean over seeds)
/// to three decimals.
fn short(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
