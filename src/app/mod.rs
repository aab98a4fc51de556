//! The desktop app: the engine's variants side by side on one clock, animated, with counters,
//! plots, an inspector, fault injection and lessons' texts in English or Korean.
//!
//! ```text
//!  ┌ menu: file · scenarios · export · language · theme · help ───────────────────────┐
//!  │ transport: ⟲ ◀ ▶/⏸ ▷ +1s   speed   t = 12.3 s   ───────●────── timeline            │
//!  ├──────────────────────────────────────────────────────────────┬───────────────────┤
//!  │ faults under the timeline: drag a bar to move it                                   │
//!  │ pane: variant 1 │ pane: variant 2 │ ...  (egui_graphs, dots)  │ inspector | knobs  │
//!  ├──────────────────────────────────────────────────────────────┴───────────────────┤
//!  │ comparison table (every variant x every metric)  │  plots over time               │
//!  └────────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The app reads the engine's state each frame and sends it commands (step, play, inject); it
//! holds no simulation rule. State is split by panel, each a struct with a `ui` method.

mod counters;
mod editor;
pub mod explore;
mod files;
mod i18n;
mod import;
mod inspector;
mod knobs;
mod lesson;
pub mod panes;
mod plots;
pub mod session;
pub mod sweep;
mod trace;
mod transport;

use crate::scenario::{Lang, Scenario};
use eframe::egui;
use files::Pick;
use i18n::tr;
use serde::{Deserialize, Serialize};
use session::Session;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Keyboard shortcuts, as the help lists them.
pub(crate) const KEYS: &[(&str, &str)] = &[
    ("Space", "Play / pause"),
    ("→", "Step to the next event"),
    ("←", "Step back"),
    ("+ / −", "Faster / slower"),
    ("R", "Reset to 0 s"),
    ("F", "Fit the graphs to their panes"),
    (
        "N / Shift+N",
        "Step to the followed message's next / previous event",
    ),
    ("S", "Sweep: a parameter's values as curves"),
    ("Ctrl+O", "Open a scenario file"),
    ("Ctrl+Z", "Undo a knob change or an edit"),
    ("Ctrl+Shift+Z / Ctrl+Y", "Redo"),
    ("Ctrl+S", "Save the scenario (a built-in one as a new file)"),
    ("Ctrl+Shift+S", "Save the scenario as a new file"),
    (
        "Escape",
        "Close the import list or the file dialog; cancel a question",
    ),
    ("F1", "This help"),
];

/// The built-in lesson the app starts on.
pub const FIRST: &str = "lesson-1";

/// What the app remembers between runs (eframe persistence; window size is eframe's own).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub lang: Lang,
    pub speed: f64,
    pub dark: bool,
    pub last_file: Option<PathBuf>,
    pub show_plots: bool,
    /// The step reached in each lesson (by its source), to resume there.
    pub lesson_steps: std::collections::BTreeMap<String, usize>,
}

impl Prefs {
    /// Stored preferences, each read on its own: one that does not read (a value of another
    /// version, a speed stored as null) keeps its default, not every other one (the language,
    /// the theme, the last file and every lesson's step went back to their defaults).
    #[must_use]
    pub fn read(stored: &str) -> Prefs {
        fn take<T: serde::de::DeserializeOwned>(
            m: &serde_json::Map<String, serde_json::Value>,
            key: &str,
            into: &mut T,
        ) {
            if let Some(v) = m.get(key).and_then(|v| T::deserialize(v).ok()) {
                *into = v;
            }
        }
        let mut p = Prefs::default();
        let Ok(serde_json::Value::Object(m)) = serde_json::from_str(stored) else {
            return p;
        };
        take(&m, "lang", &mut p.lang);
        take(&m, "speed", &mut p.speed);
        take(&m, "dark", &mut p.dark);
        take(&m, "last_file", &mut p.last_file);
        take(&m, "show_plots", &mut p.show_plots);
        if let Some(serde_json::Value::Object(steps)) = m.get("lesson_steps") {
            p.lesson_steps = steps
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), usize::deserialize(v).ok()?)))
                .collect();
        }
        p
    }
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            lang: Lang::En,
            speed: 1.0,
            dark: true,
            last_file: None,
            show_plots: true,
            lesson_steps: std::collections::BTreeMap::new(),
        }
    }
}

/// What the right-hand panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Inspector,
    Knobs,
}

/// What waits for the learner's answer when the scenario has changes not saved.
enum Pending {
    /// Another scenario would replace this one (opened, picked, imported, reloaded).
    Replace(Replacement),
    /// The window would close.
    Close,
}

/// The least height the panes keep, and the least the counters and plots take.
const PANES_LEAST_H: f32 = 240.0;
const COUNTERS_LEAST_H: f32 = 60.0;

/// A scenario to load in place of the current one, and what follows.
struct Replacement {
    scenario: Box<Scenario>,
    path: Option<PathBuf>,
    /// Where to put the clock (a sweep's run opens where the sweep stopped it).
    at: crate::scenario::Nanos,
    /// What to say once it is loaded.
    said: Option<String>,
    /// It is a run of the sweep on show, which stays; any other scenario ends the sweep (its
    /// curves are another scenario's).
    from_sweep: bool,
}

impl Replacement {
    /// It reads again the file open now at `path` (it changed on disk, or Reload).
    fn rereads(&self, path: Option<&PathBuf>) -> bool {
        self.path.is_some() && self.path.as_ref() == path
    }
}

/// A message shown for a few seconds at the bottom of the window.
struct Toast {
    text: String,
    error: bool,
    until: f64,
}

pub struct BrokerLabApp {
    pub prefs: Prefs,
    pub session: Session,
    pub panes: panes::Panes,
    inspector: inspector::Inspector,
    /// The message followed (clicked or picked) and its trace.
    pub follow: trace::Follow,
    pub lesson: lesson::LessonPlayer,
    files: files::Files,
    importer: import::Importer,
    /// A file dropped on the window while a question waits for its answer.
    dropped: Option<PathBuf>,
    counters: counters::Counters,
    /// Knob changes, edits, their undo and the file's version beside them.
    pub explore: explore::Explore,
    knobs: knobs::Knobs,
    side: Side,
    pub sweep: sweep::SweepView,
    sweep_png: Option<sweep::PendingPng>,
    /// The last problem loading a file: shown until dismissed; the loaded scenario stays.
    pub load_error: Option<String>,
    toast: Option<Toast>,
    /// A consumer added from a context menu: the edit waiting for the one under way, and
    /// whether it runs now (its refusal is told in the status bar: the knobs may be hidden).
    joining: Option<crate::sim::params::Edit>,
    join_running: bool,
    show_help: bool,
    screenshot_to: Option<PathBuf>,
    /// Asked about unsaved changes: what happens once they are saved or let go.
    pending: Option<Pending>,
    /// The learner let the changes go: the next close request closes.
    closing: bool,
    /// A save wrote the scenario's file since the question about unsaved changes was asked.
    saved: bool,
    /// A save that waits for the change under way or for text typed and not applied (applied
    /// first), and the count of refused changes when it was asked for.
    save_after: Option<(knobs::Save, u64)>,
    /// The window's title as last set.
    title: String,
    ctx: egui::Context,
}

impl BrokerLabApp {
    /// A new app with `scenario` (or the built-in first one), preferences from storage.
    #[must_use]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        scenario: Option<(Scenario, Option<PathBuf>)>,
    ) -> Self {
        install_fonts(&cc.egui_ctx);
        let prefs = cc
            .storage
            .and_then(|s| s.get_string("prefs"))
            .map(|s| Prefs::read(&s))
            .unwrap_or_default();
        Self::with_prefs(&cc.egui_ctx, scenario, prefs)
    }

    /// The app without eframe storage (tests, benchmarks).
    #[must_use]
    pub fn with_prefs(
        ctx: &egui::Context,
        scenario: Option<(Scenario, Option<PathBuf>)>,
        prefs: Prefs,
    ) -> Self {
        install_fonts(ctx);
        ctx.set_theme(if prefs.dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        });
        let (scenario, path) = scenario.unwrap_or_else(builtin_first);
        let mut files = files::Files::default();
        files.watch(ctx, path.as_deref());
        let mut session = Session::new(scenario, path);
        // Stored preferences are input too: a speed that is no number plays at 1x.
        session.speed = if prefs.speed.is_finite() {
            prefs.speed.clamp(0.1, 1000.0)
        } else {
            1.0
        };
        let panes = panes::Panes::new(&session);
        let explore = explore::Explore::new(&session);
        BrokerLabApp {
            prefs,
            panes,
            session,
            inspector: inspector::Inspector::default(),
            follow: trace::Follow::default(),
            lesson: lesson::LessonPlayer::default(),
            files,
            importer: import::Importer::default(),
            dropped: None,
            counters: counters::Counters,
            explore,
            knobs: knobs::Knobs::default(),
            side: Side::Inspector,
            sweep: sweep::SweepView::default(),
            sweep_png: None,
            load_error: None,
            toast: None,
            joining: None,
            join_running: false,
            show_help: false,
            screenshot_to: None,
            pending: None,
            closing: false,
            save_after: None,
            saved: false,
            title: String::new(),
            ctx: ctx.clone(),
        }
    }

    /// Replace the scenario, keeping the old one if the new one is bad.
    pub fn load_path(&mut self, path: &Path) {
        match crate::lesson::load(&path.to_string_lossy()) {
            Ok(s) => self.set_scenario(s, Some(path.to_path_buf())),
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    /// List the Mermaid flowcharts of study notes in the import window (or show why not).
    pub fn open_notes(&mut self, path: &Path) {
        if let Err(e) = self.importer.open(path) {
            self.load_error = Some(e.to_string());
        }
    }

    /// The import window lists the flowcharts of study notes.
    #[must_use]
    pub fn importing(&self) -> bool {
        self.importer.is_open()
    }

    /// Diagram `k` (1-based) of the notes in the import window as the loaded scenario.
    pub fn import_diagram(&mut self, k: usize) {
        if let Some(made) = self.importer.import(k) {
            self.imported(made);
        }
    }

    fn imported(&mut self, made: Result<Scenario, crate::scenario::Diagnostics>) {
        match made {
            Ok(s) => self.set_scenario(s, None),
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    pub fn load_builtin(&mut self, name: &str) {
        match crate::lesson::load(name) {
            Ok(s) => self.set_scenario(s, None),
            Err(e) => self.load_error = Some(e.to_string()),
        }
    }

    /// Replace the scenario; with changes not saved, first ask whether to save them.
    fn set_scenario(&mut self, s: Scenario, path: Option<PathBuf>) {
        self.replace_asking(Replacement {
            scenario: Box::new(s),
            path,
            at: 0,
            said: None,
            from_sweep: false,
        });
    }

    /// `r` in place of the scenario now, or once the question about unsaved changes is answered.
    fn replace_asking(&mut self, r: Replacement) {
        if self.unsaved() {
            self.saved = false;
            self.pending = Some(Pending::Replace(r));
        } else {
            self.replace_with(r);
        }
    }

    fn replace_with(&mut self, r: Replacement) {
        let ctx = self.ctx.clone();
        if !r.from_sweep {
            // Dropping the job stops its runs.
            self.sweep.stop();
        }
        self.replace_scenario(*r.scenario, r.path, &ctx);
        // The import window's work is done (or another scenario took the place of its list).
        self.importer.close();
        if r.at > 0 {
            self.session.seek(r.at);
        }
        if r.from_sweep {
            // A lesson's run stays where the sweep stopped it, with its point's values.
            self.lesson.stand(&self.session, &self.prefs.lesson_steps);
        }
        if let Some(text) = r.said {
            self.toast(&ctx, text, false);
        }
    }

    fn replace_scenario(&mut self, s: Scenario, path: Option<PathBuf>, ctx: &egui::Context) {
        if let Some(p) = &path {
            self.prefs.last_file = Some(p.clone());
        }
        let speed = self.session.speed;
        self.session = Session::new(s, path.clone());
        self.session.speed = speed;
        self.panes = panes::Panes::new(&self.session);
        self.inspector = inspector::Inspector::default();
        self.explore = explore::Explore::new(&self.session);
        self.knobs = knobs::Knobs::default();
        // A save that waited for typed text was for the scenario replaced.
        self.save_after = None;
        // A lesson starts again on the new scenario (at the step it remembers, if it still has
        // it), with its knobs applied to it: the same file read again may have other steps.
        self.lesson = lesson::LessonPlayer::default();
        self.follow.stop();
        self.files.watch(ctx, path.as_deref());
        self.load_error = None;
    }

    /// The scenario has knob changes or edits that its file (or the built-in text) lacks, other
    /// than a lesson step's, or text typed into a knob or a rename is not applied yet (or is
    /// being applied for a save).
    #[must_use]
    pub fn unsaved(&self) -> bool {
        self.explore.unsaved(&self.session)
            || self.knobs.typed_not_applied()
            || self.save_after.is_some()
    }

    /// The window's title: the scenario's file (or built-in name), marked `●` while it has
    /// changes not saved.
    #[must_use]
    pub fn window_title(&self) -> String {
        let name = match &self.session.path {
            Some(p) => p.file_name().map_or_else(
                || p.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            ),
            None => source_name(&self.session.scenario().source).to_owned(),
        };
        let mark = if self.unsaved() { "● " } else { "" };
        format!("{mark}{name} — brokerlab")
    }

    /// The window is asked to close: true if it may, false if it first asks about unsaved
    /// changes (then it closes once they are saved or let go).
    pub fn may_close(&mut self) -> bool {
        if self.closing || !self.unsaved() {
            return true;
        }
        self.pending = Some(Pending::Close);
        false
    }

    /// Asking about unsaved changes (before another scenario or closing).
    #[must_use]
    pub fn asking(&self) -> bool {
        self.pending.is_some()
    }

    /// Go on with what waited for the answer about unsaved changes.
    fn go_on(&mut self, ctx: &egui::Context) {
        match self.pending.take() {
            // Saved over the file that was to be read again (it changed on disk, or Reload):
            // the window shows what the file now holds, and the version read before is stale.
            // Reading the file again would only forget the undo history. (Changes that went
            // away unsaved, by an undo that ran meanwhile, leave the file to be read.)
            Some(Pending::Replace(r))
                if r.rereads(self.session.path.as_ref())
                    && !self.unsaved()
                    && std::mem::take(&mut self.saved) => {}
            Some(Pending::Replace(r)) => self.replace_with(r),
            Some(Pending::Close) => {
                self.closing = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            None => {}
        }
    }

    /// "Save changes?" while something waits for the answer: Save, Don't save, Cancel
    /// (Escape). Once saved (here, or where the save dialog put it), what waited goes on.
    fn unsaved_ui(&mut self, ctx: &egui::Context) {
        // Nothing asked, or the question's Save waits for typed text to be applied first.
        if self.pending.is_none() || self.save_after.is_some() {
            return;
        }
        if !self.unsaved() {
            self.go_on(ctx);
            return;
        }
        // The save dialog is up, or has just given where to save (it saves next frame).
        if self.files.dialog_open() || self.files.pick_waiting() {
            return;
        }
        let l = self.prefs.lang;
        let name = match &self.session.path {
            Some(p) => p.display().to_string(),
            None => self.session.scenario().title.get(l).to_owned(),
        };
        let closing = matches!(self.pending, Some(Pending::Close));
        let reread = matches!(&self.pending, Some(Pending::Replace(r))
            if r.rereads(self.session.path.as_ref()));
        // A change on disk waits for the answer: Save would write over it unseen.
        let also_on_disk = !reread && self.files.disk_change_waiting();
        let (mut save, mut discard, mut cancel) = (false, false, false);
        let modal = egui::Modal::new(egui::Id::new("unsaved")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading(tr(l, "Save the changes?"));
            ui.label(name);
            ui.label(if closing {
                tr(l, "The knob changes and edits are lost if the window closes without saving them.")
            } else if reread {
                tr(l, "The file changed on disk. Save writes the knob changes and edits here over it; Don't save loads the file as it is now.")
            } else {
                tr(l, "The knob changes and edits are lost if another scenario replaces this one without saving them.")
            });
            if also_on_disk {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    tr(l, "The file also changed on disk since it was read: Save writes the changes here over that."),
                );
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                save = ui
                    .button(tr(l, "Save"))
                    .on_hover_text(tr(l, "Save the scenario to its file (Ctrl+S); a built-in one as a new file"))
                    .clicked();
                discard = ui.button(tr(l, "Don't save")).clicked();
                cancel = ui.button(tr(l, "Cancel")).clicked();
            });
        });
        if save {
            self.save_scenario(knobs::Save::Here);
        } else if discard {
            self.go_on(ctx);
        } else if cancel || modal.should_close() {
            self.pending = None;
        }
    }

    /// "Replace your changes?" when the learner moves to a lesson step whose knobs would replace
    /// their own knob changes and edits: go to the step (undo brings them back), or stay
    /// (Escape).
    fn step_question_ui(&mut self, ctx: &egui::Context) {
        let Some(i) = self.lesson.asks else {
            return;
        };
        let Some(step) = self.session.scenario().steps.get(i) else {
            self.lesson.asks = None;
            return;
        };
        let l = self.prefs.lang;
        let title = format!("{}. {}", i + 1, step.title.get(l));
        let (mut go, mut stay) = (false, false);
        let modal = egui::Modal::new(egui::Id::new("step-replaces")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading(tr(l, "Replace your changes?"));
            ui.label(title);
            ui.label(tr(l, "This step runs the lesson's scenario with its own knobs, in place of your knob changes and edits. Undo (Ctrl+Z) brings them back; save them first (Ctrl+S) to keep them in a file."));
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                go = ui
                    .button(format!("{} {} ▶", tr(l, "Go to step"), i + 1))
                    .clicked();
                stay = ui
                    .button(tr(l, "Stay on this step"))
                    .on_hover_text(tr(l, "Keep your changes and this step (Escape)"))
                    .clicked();
            });
        });
        if go {
            self.lesson.go(
                i,
                &mut self.session,
                &mut self.panes,
                &mut self.prefs.lesson_steps,
            );
        } else if stay || modal.should_close() {
            self.lesson.asks = None;
        }
    }

    /// Show the knobs panel (true) or the inspector.
    pub fn show_knobs(&mut self, on: bool) {
        self.side = if on { Side::Knobs } else { Side::Inspector };
    }

    /// Save the scenario: over its file, or (a built-in or imported one, or `As`) where the
    /// learner picks in the dialog. Text typed into a knob or a rename and not applied is
    /// applied first, and a change under way runs first: the save writes what the window
    /// shows. If that change is refused, nothing is written and the refusal is told.
    pub fn save_scenario(&mut self, how: knobs::Save) {
        self.save_after = Some((how, self.explore.refusals));
        self.save_when_applied();
    }

    /// The save asked for, once what it waits for has run (see `save_scenario`).
    fn save_when_applied(&mut self) {
        let Some((how, refusals)) = self.save_after else {
            return;
        };
        if self.explore.busy() {
            return;
        }
        // The text typed was refused now or before (it is still in its field): the save
        // would leave it out, and the question would come back.
        let refused = self.explore.refusals != refusals;
        if let Some(c) = self.knobs.take_typed().filter(|_| !refused) {
            self.explore.request(c);
            return;
        }
        self.save_after = None;
        if refused || self.knobs.typed_not_applied() {
            // Back to the window, where the refused text is.
            self.pending = None;
            let l = self.prefs.lang;
            let why = match &self.explore.error {
                Some(e) => e.clone(),
                None => tr(l, "a field holds text that was refused").to_owned(),
            };
            let ctx = self.ctx.clone();
            self.toast(&ctx, format!("{} {why}", tr(l, "Could not save")), true);
            return;
        }
        let file = self
            .session
            .path
            .clone()
            .filter(|_| !self.session.scenario().source.starts_with("builtin:"));
        match (how, file) {
            (knobs::Save::Here, Some(p)) => self.save_to(&p),
            _ => self.files.save_dialog(&suggested_name(&self.session)),
        }
    }

    /// Write the scenario to `path` (atomically); it becomes the loaded file.
    pub fn save_to(&mut self, path: &Path) {
        let ctx = self.ctx.clone();
        let l = self.prefs.lang;
        // The watch on the old file must not see this write as a change from outside.
        self.files.watch(&ctx, None);
        let was = self.session.scenario().source.clone();
        match self.explore.save(&mut self.session, path) {
            Ok(kept) => {
                self.saved = true;
                // The lesson goes on where it is, now as the saved file's.
                let now = &self.session.scenario().source;
                self.lesson.renamed(&was, now, &mut self.prefs.lesson_steps);
                self.prefs.last_file = Some(path.to_path_buf());
                let mut said = format!("{} {}", tr(l, "Saved"), path.display());
                if !kept.is_empty() {
                    // Nothing hidden: the step's knobs that could not be told from the file's.
                    said.push('\n');
                    said.push_str(tr(
                        l,
                        "With this step's knobs, which have no value of the file's to go back to:",
                    ));
                    said.push(' ');
                    said.push_str(&kept.join(", "));
                }
                self.toast(&ctx, said, !kept.is_empty());
            }
            Err(e) => self.toast(&ctx, format!("{} {e}", tr(l, "Could not save")), true),
        }
        self.files.watch(&ctx, self.session.path.as_deref());
    }

    /// Run the change the knobs panel or a key asked for; new graphs get new panes.
    fn explore_frame(&mut self, ctx: &egui::Context) {
        let frame_nr = ctx.cumulative_frame_nr();
        // A consumer added from a context menu; a lesson step's knobs: the file's version with
        // them, as a knob change.
        if !self.explore.busy() {
            if let Some(e) = self.joining.take() {
                self.explore.request(explore::Change::Edit(e));
                self.join_running = true;
            } else if let Some(knobs) = self.lesson.take_knobs() {
                self.explore.request(explore::Change::FileWith(knobs));
            }
        }
        let outcome = self.explore.frame(&mut self.session, frame_nr);
        if self.join_running && !self.explore.busy() {
            self.join_running = false;
            if let Some(e) = self.explore.error.clone() {
                self.toast(ctx, e, true);
            }
        }
        if outcome == explore::Outcome::Graphs {
            let shown = self.panes.shown.clone();
            let highlighted = self.panes.highlighted().to_vec();
            self.panes = panes::Panes::new(&self.session);
            self.panes.show(shown);
            // The lesson step's nodes stay lit (by their new names after a rename, which the
            // step follows); else what was lit.
            let steps = &self.session.scenario().steps;
            let step = steps.get(self.lesson.step);
            self.panes
                .highlight(step.map_or(highlighted, |st| st.highlight.clone()));
            self.inspector = inspector::Inspector::default();
        }
        if self.explore.busy() {
            ctx.request_repaint();
        }
    }

    fn toast(&mut self, ctx: &egui::Context, text: String, error: bool) {
        let until = ctx.input(|i| i.time) + 4.0;
        self.toast = Some(Toast { text, error, until });
    }

    fn keys(&mut self, ctx: &egui::Context) {
        // Ctrl+S saves from a text field too, with what is typed there, and answers a
        // question as its Save does.
        self.save_keys(ctx);
        // Nothing else under a question: an undo there took the changes it asks about away,
        // and what waited for the answer went on.
        // Nor behind the import window or the file dialog (Escape closes them).
        if ctx.egui_wants_keyboard_input()
            || self.asking()
            || self.lesson.asks.is_some()
            || self.importing()
            || self.files.dialog_open()
        {
            return;
        }
        use egui::Key;
        // A key alone (or with Shift): Ctrl+S is a save, not S's sweep.
        let pressed = |k: Key| chord(ctx, k).is_some_and(|m| !(m.ctrl || m.command || m.alt));
        let s = &mut self.session;
        if pressed(Key::Space) {
            s.playing = !s.playing && s.now() < s.duration();
        }
        if pressed(Key::ArrowRight) {
            s.playing = false;
            s.step_event();
        }
        if pressed(Key::ArrowLeft) {
            s.step_back();
        }
        if pressed(Key::Plus) || pressed(Key::Equals) {
            s.speed = (s.speed * 2.0).min(1000.0);
        }
        if pressed(Key::Minus) {
            s.speed = (s.speed / 2.0).max(0.1);
        }
        if pressed(Key::R) {
            s.reset();
        }
        if pressed(Key::F) {
            self.panes.fit_all();
        }
        // N steps the followed message forward, Shift+N back.
        if let Some(m) = chord(ctx, Key::N).filter(|m| !(m.ctrl || m.command || m.alt)) {
            self.follow
                .step(&mut self.session, &self.panes.shown, !m.shift);
        }
        if pressed(Key::F1) {
            self.show_help = !self.show_help;
        }
        if pressed(Key::S) {
            self.sweep.open = !self.sweep.open;
        }
        if chord(ctx, Key::O).is_some_and(|m| m.command) {
            self.files.open_dialog(Pick::Scenario);
        }
        // Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y.
        match chord(ctx, Key::Z) {
            Some(m) if m.command && !m.shift => self.explore.request(explore::Change::Undo),
            Some(m) if m.command => self.explore.request(explore::Change::Redo),
            _ => {}
        }
        if chord(ctx, Key::Y).is_some_and(|m| m.command) {
            self.explore.request(explore::Change::Redo);
        }
    }

    /// Ctrl+S and Ctrl+Shift+S, but not while a file dialog (open or save) is up.
    fn save_keys(&mut self, ctx: &egui::Context) {
        // Not from the file dialog: it would start again, without the name typed there.
        match chord(ctx, egui::Key::S) {
            Some(m) if m.command && !self.files.dialog_open() => {
                self.save_scenario(if m.shift {
                    knobs::Save::As
                } else {
                    knobs::Save::Here
                });
            }
            _ => {}
        }
    }

    /// File: open a scenario (or the last file), import study notes' Mermaid diagrams, save,
    /// reload.
    fn file_menu_ui(&mut self, ui: &mut egui::Ui) {
        let l = self.prefs.lang;
        if ui
            .button(tr(l, "Open… (Ctrl+O)"))
            .on_hover_text(tr(l, "Open a scenario file (.toml)"))
            .clicked()
        {
            self.files.open_dialog(Pick::Scenario);
            ui.close();
        }
        if ui
            .button(tr(l, "Import Mermaid…"))
            .on_hover_text(tr(
                l,
                "Turn a Mermaid flowchart of study notes (.md) into a scenario",
            ))
            .clicked()
        {
            self.files.open_dialog(Pick::Notes);
            ui.close();
        }
        let last = self.prefs.last_file.clone();
        if let Some(p) = last.filter(|p| p.is_file() && self.session.path.as_ref() != Some(p)) {
            if ui
                .button(format!("{} {}", tr(l, "Open the last file:"), p.display()))
                .clicked()
            {
                self.load_path(&p);
                ui.close();
            }
        }
        ui.separator();
        if ui
            .button(tr(l, "Save (Ctrl+S)"))
            .on_hover_text(tr(
                l,
                "Save the scenario to its file (Ctrl+S); a built-in one as a new file",
            ))
            .clicked()
        {
            self.save_scenario(knobs::Save::Here);
            ui.close();
        }
        if ui
            .button(tr(l, "Save as… (Ctrl+Shift+S)"))
            .on_hover_text(tr(l, "Save the scenario as a new file (Ctrl+Shift+S)"))
            .clicked()
        {
            self.save_scenario(knobs::Save::As);
            ui.close();
        }
        if let Some(p) = self.session.path.clone() {
            if ui
                .button(tr(l, "Reload"))
                .on_hover_text(tr(l, "Read the file again from disk"))
                .clicked()
            {
                self.load_path(&p);
                ui.close();
            }
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        let l = self.prefs.lang;
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(l, "File"), |ui| self.file_menu_ui(ui));
            ui.menu_button(tr(l, "Scenarios"), |ui| {
                for (name, text) in crate::builtin::SCENARIOS {
                    let title = crate::scenario::parse_scenario(name, text)
                        .map(|s| s.title.get(l).to_owned())
                        .unwrap_or_default();
                    if ui.button(format!("{name}: {title}")).clicked() {
                        self.load_builtin(name);
                        ui.close();
                    }
                }
            });
            ui.menu_button(tr(l, "Lessons"), |ui| {
                for (name, text) in crate::builtin::LESSONS {
                    let title = crate::scenario::parse_scenario(name, text)
                        .map(|s| s.title.get(l).to_owned())
                        .unwrap_or_default();
                    if ui.button(title).on_hover_text(*name).clicked() {
                        self.load_builtin(name);
                        ui.close();
                    }
                }
            });
            ui.menu_button(tr(l, "Export"), |ui| {
                if ui
                    .button(tr(l, "Comparison as CSV"))
                    .on_hover_text(tr(l, "Every variant's metrics, one row each"))
                    .clicked()
                {
                    let text = crate::report::csv(&crate::report::Report::of(self.session.sim()));
                    self.export("brokerlab-comparison.csv", &text, ui.ctx());
                    ui.close();
                }
                if ui
                    .button(tr(l, "Comparison as JSON"))
                    .on_hover_text(tr(l, "The same report as `brokerlab run --format json`"))
                    .clicked()
                {
                    let text = serde_json::to_string_pretty(&crate::report::Report::of(
                        self.session.sim(),
                    ))
                    .unwrap_or_default();
                    self.export("brokerlab-comparison.json", &text, ui.ctx());
                    ui.close();
                }
                if ui
                    .button(tr(l, "Window as PNG"))
                    .on_hover_text(tr(l, "A screenshot of this window"))
                    .clicked()
                {
                    self.screenshot_to = Some(files::export_path("brokerlab-window.png"));
                    ui.ctx()
                        .send_viewport_cmd(egui::ViewportCommand::Screenshot(
                            egui::UserData::default(),
                        ));
                    ui.close();
                }
            });
            ui.menu_button(tr(l, "View"), |ui| {
                ui.checkbox(&mut self.prefs.show_plots, tr(l, "Plots"));
                if ui.button(tr(l, "Fit graphs (F)")).clicked() {
                    self.panes.fit_all();
                    ui.close();
                }
                if ui
                    .button(tr(l, "Sweep… (S)"))
                    .on_hover_text(tr(
                        l,
                        "Run a parameter over its values and see each variant's curve",
                    ))
                    .clicked()
                {
                    self.sweep.open = true;
                    ui.close();
                }
            });
            ui.separator();
            let lang_label = match l {
                Lang::En => "한국어",
                Lang::Ko => "English",
            };
            if ui
                .button(lang_label)
                .on_hover_text(tr(l, "Switch the language of the app and the lesson texts"))
                .clicked()
            {
                self.prefs.lang = match l {
                    Lang::En => Lang::Ko,
                    Lang::Ko => Lang::En,
                };
            }
            let theme = if self.prefs.dark {
                tr(l, "Light")
            } else {
                tr(l, "Dark")
            };
            if ui
                .button(theme)
                .on_hover_text(tr(l, "Switch between light and dark theme"))
                .clicked()
            {
                self.prefs.dark = !self.prefs.dark;
                ui.ctx().set_theme(if self.prefs.dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            if ui.button(tr(l, "Help (F1)")).clicked() {
                self.show_help = !self.show_help;
            }
            ui.separator();
            ui.strong(self.session.scenario().title.get(l));
        });
    }

    fn export(&mut self, name: &str, text: &str, ctx: &egui::Context) {
        let l = self.prefs.lang;
        let path = files::export_path(name);
        match std::fs::write(&path, text) {
            Ok(()) => self.toast(ctx, format!("{} {}", tr(l, "Saved"), path.display()), false),
            Err(e) => self.toast(
                ctx,
                format!("{} {}: {e}", tr(l, "Could not save"), path.display()),
                true,
            ),
        }
    }

    fn screenshots(&mut self, ctx: &egui::Context) {
        let shot = ctx.input(|i| {
            i.raw.events.iter().find_map(|e| match e {
                egui::Event::Screenshot { image, .. } => Some(image.clone()),
                _ => None,
            })
        });
        // Only a screenshot that arrived lets go of the path it goes to.
        let Some(image) = shot else { return };
        if let Some(path) = self.screenshot_to.take() {
            let [w, h] = image.size;
            let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
            let l = self.prefs.lang;
            let res = image::RgbaImage::from_raw(
                u32::try_from(w).unwrap_or(0),
                u32::try_from(h).unwrap_or(0),
                bytes,
            )
            .ok_or_else(|| "bad image size".to_owned())
            .and_then(|img| img.save(&path).map_err(|e| e.to_string()));
            match res {
                Ok(()) => self.toast(ctx, format!("{} {}", tr(l, "Saved"), path.display()), false),
                Err(e) => self.toast(
                    ctx,
                    format!("{} {}: {e}", tr(l, "Could not save"), path.display()),
                    true,
                ),
            }
        }
    }

    /// Do what the sweep view asked: open a run, export its CSV or a PNG of it.
    fn sweep_action(&mut self, a: sweep::SweepAction, ctx: &egui::Context) {
        match a {
            sweep::SweepAction::Open(plan, i) => self.open_sweep_run(&plan, i),
            sweep::SweepAction::Export(name, text) => self.export(name, &text, ctx),
            sweep::SweepAction::Png(rect) => {
                let path = files::export_path("brokerlab-sweep.png");
                self.sweep_png = Some(sweep::PendingPng { path, rect });
                ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(egui::UserData::new(
                    sweep::SweepShot,
                )));
            }
        }
    }

    /// Run `i` of a sweep in the panes: the scenario with that point's values and that seed,
    /// run to where the sweep stopped it (so the counters show the numbers of the curve).
    pub fn open_sweep_run(&mut self, plan: &crate::sim::sweep::Plan, i: usize) {
        let l = self.prefs.lang;
        let ctx = self.ctx.clone();
        match plan.configuration(i) {
            Ok(s) => {
                let until = plan.until.unwrap_or(s.duration).min(s.duration);
                let seed = s.seed;
                let values = plan
                    .run_at(i)
                    .map(|(p, _)| {
                        p.values
                            .iter()
                            .map(|(k, v)| format!("{k} = {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let text = format!("{} {values}, {} {seed}", tr(l, "Opened"), tr(l, "seed"));
                self.replace_asking(Replacement {
                    scenario: Box::new(s),
                    path: None,
                    at: until,
                    said: Some(text),
                    from_sweep: true,
                });
            }
            Err(e) => self.toast(&ctx, e.to_string(), true),
        }
    }

    /// A PNG of the sweep view, once its screenshot came.
    fn sweep_png(&mut self, ctx: &egui::Context) {
        let Some(pending) = &self.sweep_png else {
            return;
        };
        let Some(res) = sweep::save_png(ctx, pending) else {
            return;
        };
        let l = self.prefs.lang;
        let path = pending.path.display().to_string();
        self.sweep_png = None;
        match res {
            Ok(()) => self.toast(ctx, format!("{} {path}", tr(l, "Saved")), false),
            Err(e) => self.toast(
                ctx,
                format!("{} {path}: {e}", tr(l, "Could not save")),
                true,
            ),
        }
    }

    fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        // A file dropped while the question about unsaved changes is up waits for the answer
        // (opened at once, it took the place of what the question was about).
        if let Some(p) = dropped.into_iter().next() {
            self.dropped = Some(p);
        }
        if !self.asking() {
            if let Some(p) = self.dropped.take() {
                self.open_path(&p);
            }
        }
    }

    /// A scenario file is loaded; study notes (`.md`) have their diagrams listed for import.
    fn open_path(&mut self, path: &Path) {
        if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("md"))
        {
            self.open_notes(path);
        } else {
            self.load_path(path);
        }
    }

    /// What came in since the last frame: keys, dropped files, files picked in the dialog, the
    /// watched file changed on disk, a screenshot.
    fn inputs(&mut self, ctx: &egui::Context) {
        self.keys(ctx);
        self.dropped_files(ctx);
        self.screenshots(ctx);
        self.sweep_png(ctx);
        match self.files.take_opened() {
            Some((p, Pick::Scenario)) => self.load_path(&p),
            Some((p, Pick::Notes)) => self.open_notes(&p),
            Some((p, Pick::SaveAs)) => self.save_to(&p),
            None => {}
        }
        // A change on disk waits for the question about unsaved changes (it would have
        // replaced what waits for the answer: a close, another scenario).
        let on_disk = if self.pending.is_none() {
            self.files.changed_on_disk()
        } else {
            None
        };
        if let Some(p) = on_disk {
            self.load_path(&p);
            let l = self.prefs.lang;
            if self.load_error.is_none() && self.pending.is_none() {
                self.toast(ctx, format!("{} {}", tr(l, "Reloaded"), p.display()), false);
            }
        }
    }

    /// The transport controls, and the faults under the timeline (a drag moves one).
    fn transport_ui(&mut self, ui: &mut egui::Ui) {
        let l = self.prefs.lang;
        let timeline = transport::ui(ui, &mut self.session, l);
        let faults = self.explore.faults(&self.session);
        let (dur, now) = (
            crate::scenario::to_secs(self.session.duration()),
            crate::scenario::to_secs(self.session.now()),
        );
        if let Some(e) = transport::faults_ui(ui, &faults, timeline, dur, now, l) {
            self.explore.request(explore::Change::Edit(e));
        }
    }

    /// The right-hand panel: the inspector or the knobs, as the tab says.
    fn side_ui(&mut self, ui: &mut egui::Ui) {
        let l = self.prefs.lang;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.side, Side::Inspector, tr(l, "Inspector"))
                .on_hover_text(tr(l, "The live state of the node you click"));
            ui.selectable_value(&mut self.side, Side::Knobs, tr(l, "Knobs"))
                .on_hover_text(tr(l, "Change the scenario and see the difference at once"));
        });
        ui.separator();
        match self.side {
            Side::Inspector => self.inspector.ui(ui, &mut self.session, &self.panes, l),
            Side::Knobs => {
                if let Some(how) = self.knobs.ui(ui, &self.session, &mut self.explore, l) {
                    self.save_scenario(how);
                }
            }
        }
    }

    /// The problems of a file that could not be loaded, as `brokerlab check` shows them.
    fn error_ui(&mut self, ui: &mut egui::Ui, err: &str) {
        let l = self.prefs.lang;
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().error_fg_color, "⚠");
            ui.label(tr(l, "The scenario that was loaded stays."));
            if ui.button(tr(l, "Dismiss")).clicked() {
                self.load_error = None;
            }
        });
        // A panel gives a scroll area little height of its own: ask for the text's, up to a
        // limit that leaves the panes most of a small window (a quarter of its height).
        #[allow(clippy::cast_precision_loss)]
        let rows = err.lines().count() as f32;
        let limit = (ui.ctx().content_rect().height() * 0.25).clamp(60.0, 280.0);
        let height = (rows * ui.text_style_height(&egui::TextStyle::Monospace)).min(limit);
        egui::ScrollArea::vertical()
            .min_scrolled_height(height)
            .max_height(limit)
            .show(ui, |ui| ui.label(snippet(err, ui)));
    }

    fn help_ui(&mut self, ctx: &egui::Context) {
        let l = self.prefs.lang;
        let mut open = self.show_help;
        egui::Window::new(tr(l, "Help")).open(&mut open).collapsible(false).show(ctx, |ui| {
            ui.label(tr(l, "brokerlab runs one workload through several messaging topologies side by side and counts what each costs."));
            ui.separator();
            egui::Grid::new("keys").striped(true).show(ui, |ui| {
                for &(k, what) in KEYS {
                    ui.monospace(k);
                    ui.label(tr(l, what));
                    ui.end_row();
                }
            });
            ui.separator();
            ui.label(tr(l, "Click a node to inspect it; right-click it to inject a fault. Drag nodes; drag the background to pan; Ctrl + scroll to zoom. Drop a .toml file on the window to open it."));
            ui.label(tr(l, "Drop study notes (.md) on the window, or use File > Import Mermaid…, to turn one of their Mermaid flowcharts into a scenario."));
            ui.label(tr(l, "Click a moving dot (or pick a message in the inspector) to follow it: its path lights up in every pane, its events line up below them, N and Shift+N step through them."));
            ui.label(tr(l, "View > Sweep… (S) runs one parameter over a list or range of values with several seeds and draws each variant's curve with its 95% confidence band; click a point to open that run."));
        });
        self.show_help = open;
    }
}

impl BrokerLabApp {
    /// The followed message: the one picked in the inspector, its timeline panel under the
    /// panes, its path for the panes to light up.
    fn follow_ui(&mut self, ui: &mut egui::Ui, l: Lang) {
        if let Some(m) = self.inspector.take_chosen() {
            self.follow.follow(m, &self.session, ui.ctx());
        }
        if self.follow.message().is_some() {
            // As high as its lanes (the counters made room for it); it scrolls if that is short.
            let h = self.follow.height(self.panes.shown.len());
            egui::Panel::bottom("trace")
                .resizable(false)
                .exact_size(h)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        self.follow.ui(ui, &mut self.session, &self.panes.shown, l);
                    });
                });
        }
        self.panes.traced = self.follow.trace().cloned();
    }

    /// The panes, and what the learner did in them: a node to inspect, a message to follow,
    /// a fault to inject.
    fn panes_ui(&mut self, ui: &mut egui::Ui, l: Lang) {
        if let Some(event) = self.panes.ui(ui, &mut self.session, l) {
            self.inspector.select(event);
            self.side = Side::Inspector;
        }
        if let Some(m) = self.panes.take_clicked_message() {
            self.follow.follow(m, &self.session, ui.ctx());
        }
        if let Some(a) = self.panes.take_fault() {
            let acted = a.clone();
            match self.session.act(a) {
                // A consumer that joins: an edit, made (and its panes built again) as a knob's,
                // once the change under way, if any, is done.
                Ok(Some(edit)) => self.joining = Some(edit),
                Ok(None) => self.explore.acted(&self.session, &acted),
                Err(e) => self.toast(ui.ctx(), e.to_string(), true),
            }
        }
    }
}

impl eframe::App for BrokerLabApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if ctx.input(|i| i.viewport().close_requested()) && !self.may_close() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        self.inputs(&ctx);
        self.explore_frame(&ctx);
        self.knobs
            .sync(self.session.scenario(), self.explore.file());
        let dt = f64::from(ctx.input(|i| i.stable_dt)).min(0.1);
        self.session.play_for(dt);
        self.follow.poll(&self.session, &ctx);
        self.prefs.speed = self.session.speed;
        let l = self.prefs.lang;

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::top("transport").show(ui, |ui| self.transport_ui(ui));
        if let Some(err) = self.load_error.clone() {
            egui::Panel::top("error")
                .resizable(false)
                .show(ui, |ui| self.error_ui(ui, &err));
        }
        if let Some(t) = &self.toast {
            if ctx.input(|i| i.time) > t.until {
                self.toast = None;
            }
        }
        let behind = self.sweep.behind(&ctx);
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                if let Some(b) = behind {
                    // A sweep whose window is closed: how far it is, and the way back to it.
                    if ui
                        .small_button(tr(l, "Show"))
                        .on_hover_text(tr(l, "Open the sweep window (S)"))
                        .clicked()
                    {
                        self.sweep.open = true;
                    }
                    match b {
                        sweep::Behind::Preparing => {
                            ui.spinner();
                            ui.label(tr(l, "Sweep: preparing…"));
                        }
                        sweep::Behind::Running(done, total) => {
                            ui.spinner();
                            ui.label(format!("{}: {done} / {total}", tr(l, "Sweep running")));
                        }
                        sweep::Behind::Ended(done, total) => {
                            let what = if done == total {
                                "Sweep finished"
                            } else {
                                "Sweep stopped"
                            };
                            ui.label(format!("{}: {done} / {total}", tr(l, what)));
                        }
                    }
                    ui.separator();
                }
                match &self.toast {
                    Some(t) if t.error => {
                        ui.colored_label(ui.visuals().error_fg_color, &t.text);
                    }
                    Some(t) => {
                        ui.label(&t.text);
                    }
                    None => {
                        let src = self.session.scenario().source.clone();
                        ui.label(format!("{}: {src}", tr(l, "Scenario")));
                    }
                }
            });
        });
        if !self.session.scenario().steps.is_empty() {
            let unsaved = self.unsaved();
            egui::Panel::left("lesson")
                .resizable(true)
                .default_size(340.0)
                .show(ui, |ui| {
                    self.lesson.ui(
                        ui,
                        &mut self.session,
                        &mut self.panes,
                        &mut self.prefs.lesson_steps,
                        self.explore.busy(),
                        unsaved,
                        l,
                    );
                });
        }
        egui::Panel::right("inspector")
            .default_size(320.0)
            .show(ui, |ui| self.side_ui(ui));
        // The panes keep room for their graphs whatever the window's size (at its least,
        // 1000 x 600, the counters and a followed message's lanes left them none).
        let lanes = self.follow.height(self.panes.shown.len());
        let most = (ui.available_height() - lanes - PANES_LEAST_H).max(COUNTERS_LEAST_H);
        egui::Panel::bottom("counters")
            .resizable(true)
            .default_size(300.0_f32.min(most))
            .size_range(COUNTERS_LEAST_H..=most)
            .show(ui, |ui| {
                // Held to less than its content when the window is short: it scrolls then.
                egui::ScrollArea::vertical()
                    .id_salt("counters-scroll")
                    .show(ui, |ui| {
                        ui.columns(if self.prefs.show_plots { 2 } else { 1 }, |cols| {
                            let baseline = self.explore.baseline();
                            self.counters.ui(&mut cols[0], &self.session, baseline, l);
                            if self.prefs.show_plots {
                                plots::ui(&mut cols[1], &self.session, baseline, l);
                            }
                        });
                    });
            });
        self.follow_ui(ui, l);
        egui::CentralPanel::default().show(ui, |ui| self.panes_ui(ui, l));
        self.files.dialog_ui(&ctx, l);
        let asked = self.asking();
        if let Some(made) = self.importer.ui(&ctx, l, asked) {
            self.imported(made);
        }
        self.help_ui(&ctx);
        self.save_when_applied();
        self.unsaved_ui(&ctx);
        self.step_question_ui(&ctx);
        let scenario = std::sync::Arc::clone(self.session.scenario());
        if let Some(a) = self.sweep.ui(&ctx, &scenario, l) {
            self.sweep_action(a, &ctx);
        }
        // A screenshot arrives as an event in a later frame: keep frames coming until it does.
        if self.session.playing
            || self.toast.is_some()
            || self.screenshot_to.is_some()
            || self.sweep_png.is_some()
            || self.save_after.is_some()
        {
            ctx.request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(s) = serde_json::to_string(&self.prefs) {
            storage.set_string("prefs", s);
        }
    }
}

/// A rendered diagnostic in monospace: each problem's first line and its carets in the error
/// colour, its help in the warning colour, the source lines plain.
fn snippet(text: &str, ui: &egui::Ui) -> egui::text::LayoutJob {
    let v = ui.visuals();
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let mut job = egui::text::LayoutJob::default();
    for line in text.lines() {
        let gutter = line.trim_start().split_once('|');
        let first = !line.starts_with(' ')
            && gutter.is_none_or(|(n, _)| n.trim().parse::<usize>().is_err());
        let carets = gutter
            .is_some_and(|(n, rest)| n.trim().is_empty() && rest.trim_start().starts_with('^'));
        let color = if first || carets {
            v.error_fg_color
        } else if line.trim_start().starts_with("= help") {
            v.warn_fg_color
        } else {
            v.text_color()
        };
        let format = egui::TextFormat::simple(font.clone(), color);
        job.append(&format!("{line}\n"), 0.0, format);
    }
    job
}

/// The modifiers `key` was pressed with in this frame, as its key event has them: the held
/// state at the frame's end misses a Ctrl let go in the same frame as the key.
fn chord(ctx: &egui::Context, key: egui::Key) -> Option<egui::Modifiers> {
    ctx.input(|i| {
        i.events.iter().find_map(|e| match e {
            egui::Event::Key {
                key: k,
                pressed: true,
                modifiers,
                ..
            } if *k == key => Some(*modifiers),
            _ => None,
        })
    })
}

/// A file name for the scenario: its file's, or its built-in name's (`use-cases.toml`).
/// A scenario's source as a title shows it: a built-in's `builtin:NAME`, a file's name without
/// its folders (an imported diagram's `NOTES.md#K` too).
fn source_name(source: &str) -> &str {
    if source.starts_with("builtin:") {
        return source;
    }
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

fn suggested_name(s: &Session) -> String {
    if let Some(name) = s.path.as_deref().and_then(Path::file_name) {
        return name.to_string_lossy().into_owned();
    }
    // An imported diagram (`notes for study.md#1`): `notes-for-study-1.toml`.
    let source = source_name(&s.scenario().source).replace(".md#", "#");
    let base: String = source
        .strip_prefix("builtin:")
        .unwrap_or(&source)
        .trim_end_matches(".toml")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{base}.toml")
}

fn builtin_first() -> (Scenario, Option<PathBuf>) {
    let text = crate::builtin::get(FIRST).unwrap_or_default();
    let s = crate::scenario::parse_scenario(&format!("builtin:{FIRST}"), text)
        .unwrap_or_else(|_| fallback());
    (s, None)
}

/// Only reached if a built-in scenario were broken (a test guards against that).
fn fallback() -> Scenario {
    let text = "[[producer]]\nname = \"p\"\npublish = [ { topic = \"t\", rate_per_s = 1.0 } ]\n[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n[[variant]]\nname = \"direct\"\nshape = \"direct\"\n";
    crate::scenario::parse_scenario("builtin:fallback", text)
        .unwrap_or_else(|e| unreachable_scenario(&e))
}

fn unreachable_scenario(e: &crate::ScenarioError) -> Scenario {
    panic!("the fallback scenario is valid: {e}")
}

/// Hangul comes from the bundled NanumGothic, as a fallback after egui's own fonts.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "nanum-gothic".to_owned(),
        std::sync::Arc::new(egui::FontData::from_static(include_bytes!(
            "../../assets/fonts/NanumGothic.ttf"
        ))),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push("nanum-gothic".to_owned());
    }
    // Arrows (→ ←), which egui's proportional fonts lack: from its monospace font, whose
    // arrows sit on the line at the text's size, rather than NanumGothic's, which are small
    // and look like ›.
    let proportional = fonts
        .families
        .entry(egui::FontFamily::Proportional)
        .or_default();
    let at = proportional.len().saturating_sub(1);
    proportional.insert(at, "Hack".to_owned());
    ctx.set_fonts(fonts);
}

/// Open the window. `scenario` is what `brokerlab open FILE` loaded; None starts on the first
/// built-in scenario. `notes` (`brokerlab open NOTES.md`): study notes whose diagrams the
/// import window lists.
#[must_use]
pub fn run(scenario: Option<(Scenario, Option<PathBuf>)>, notes: Option<PathBuf>) -> ExitCode {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1500.0, 950.0])
            .with_min_inner_size([900.0, 600.0])
            .with_title("brokerlab"),
        ..Default::default()
    };
    let res = eframe::run_native(
        "brokerlab",
        options,
        Box::new(move |cc| {
            let mut app = BrokerLabApp::new(cc, scenario);
            if let Some(p) = notes {
                app.open_notes(&p);
            }
            Ok(Box::new(app))
        }),
    );
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brokerlab: cannot open the window: {e}");
            ExitCode::from(2)
        }
    }
}
