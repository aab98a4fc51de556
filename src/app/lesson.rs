//! The lesson player: a lesson's steps beside the panes. Each step says what to look at (the
//! variants shown, the nodes highlighted), asks a question, lets the learner pick an answer,
//! then runs the simulation to the step's time and lights each expectation up true or false with
//! the measured number. Back and Continue move between steps; the app remembers the last step of
//! each lesson.

use super::i18n::tr;
use super::panes::Panes;
use super::session::Session;
use crate::lesson::{evaluate, Outcome};
use crate::scenario::{to_secs, Lang};
use eframe::egui::{self, Color32, RichText};
use std::collections::BTreeMap;

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

    /// Go to step `i`: the simulation stands where the step starts (the previous step's time),
    /// the panes show the step's variants and nodes.
    fn enter(&mut self, i: usize, s: &mut Session, panes: &mut Panes) {
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

    fn reveal(&mut self, s: &mut Session) {
        let run_to = s.scenario().steps[self.step].run_to;
        s.playing = false;
        s.seek(run_to);
        self.outcomes = evaluate(s.sim(), self.step);
        self.revealed = true;
    }

    /// The side panel. `last` keeps the step reached in every lesson.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        s: &mut Session,
        panes: &mut Panes,
        last: &mut BTreeMap<String, usize>,
        l: Lang,
    ) {
        let steps = s.scenario().steps.len();
        if steps == 0 {
            return;
        }
        if self.lesson != s.scenario().source {
            self.open(s, panes, last);
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
                    self.enter(i, s, panes);
                    last.insert(self.lesson.clone(), i);
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
                        let measured = o
                            .measured
                            .map_or_else(|| "–".to_owned(), |m| format!("{m}"));
                        let (mark, color) = if o.holds {
                            ("✔", Color32::from_rgb(76, 175, 80))
                        } else {
                            ("✘", ui.visuals().error_fg_color)
                        };
                        ui.colored_label(
                            color,
                            format!(
                                "{mark} {} {} {} {}",
                                e.variant,
                                e.metric,
                                e.op.symbol(),
                                e.value
                            ),
                        )
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
                self.enter(self.step - 1, s, panes);
                last.insert(self.lesson.clone(), self.step);
            }
            if !self.revealed {
                let needs_pick = !step.choices.is_empty() && self.picked.is_none();
                let label = format!("{} {:.0} s ▶", tr(l, "Run to"), to_secs(step.run_to));
                let tip = if needs_pick {
                    tr(l, "Pick an answer first")
                } else {
                    tr(l, "Run the simulation to this step's time and check")
                };
                if ui
                    .add_enabled(!needs_pick, egui::Button::new(label))
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
                    self.enter(self.step + 1, s, panes);
                    last.insert(self.lesson.clone(), self.step);
                }
            } else {
                ui.label(tr(l, "End of the lesson."));
            }
        });
    }
}
