//! Explore: the learner's own what-ifs. A knob change or an edit of the scenario's structure
//! makes a new version of the scenario's TOML text (`sim::params`), and the session's tape is
//! simulated again from 0 s to the current time with it. Beside it runs the baseline, the
//! file's version at the same time, which the plots draw as a dashed ghost and the table as
//! "(was ...)". Every version is kept for undo and redo; saving writes the text as it is.
//!
//! ```text
//!   knob / edit / undo ──> pending ──(next frame: "simulating…" is on screen)──> new text
//!        ──> session.tape.reload(new, now)        baseline: the file's text, seeked to now
//!   undo: [text 0, text 1, ...] <── current ──> redo: [...]
//! ```
//!
//! No simulation rule here: the tape re-simulates, `params` edits and validates, `lesson`
//! checks a file the way `brokerlab check` does.

use super::session::{Action, Session};
use crate::scenario::Scenario;
use crate::sim::params::{self, Edit, FaultEntry};
use crate::sim::Tape;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes the baseline's checkpoints may take (the session's take up to 256 MB).
const BASELINE_CHECKPOINTS: usize = 64 << 20;

/// What the learner asked for; it runs at the start of the frame after the one that showed
/// "simulating…".
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Knobs set to values: parameter paths, as `--set` takes them.
    Set(Vec<(String, toml::Value)>),
    Edit(Edit),
    Undo,
    Redo,
    /// Every knob back to the file's value (undoable).
    Revert,
    /// The file's version with these knobs (a lesson step's `set`; none: the file).
    FileWith(Vec<(String, toml::Value)>),
}

impl Change {
    /// This change, asked for beside `done` and made after it: [`Edit::after`]. None: what it
    /// changes is gone.
    #[must_use]
    pub fn after(self, done: &Edit) -> Option<Change> {
        match self {
            Change::Edit(e) => e.after(done).map(Change::Edit),
            Change::Set(changes) => {
                let kept: Vec<_> = changes
                    .into_iter()
                    .filter_map(|(path, v)| params::path_after(&path, done).map(|p| (p, v)))
                    .collect();
                (!kept.is_empty()).then_some(Change::Set(kept))
            }
            c => Some(c),
        }
    }
}

/// What a frame's change did to the panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing ran.
    Idle,
    /// Values changed; the graphs are the same.
    Values,
    /// Nodes or edges changed: the panes are built again.
    Graphs,
}

pub struct Explore {
    /// The file's version (as loaded, or last saved).
    file: Arc<Scenario>,
    /// The file's version simulated to the session's time, while the session's differs.
    baseline: Option<Tape>,
    /// Versions to go back (forward) to, each with the rename that leads there if the step
    /// is one (the commands of a node's context menu follow it).
    undo: Vec<(Arc<str>, Option<Renamed>)>,
    redo: Vec<(Arc<str>, Option<Renamed>)>,
    /// The changes asked for, in order (one runs a frame), and the frame that first showed
    /// "simulating…" for the first.
    pending: VecDeque<Change>,
    shown: Option<u64>,
    /// Why the last change was refused: `check`'s message. The scenario stayed.
    pub error: Option<String>,
    /// How many changes were refused: a save that applies typed text first tells by it
    /// whether that text was taken.
    pub refusals: u64,
    /// Wall time of the last re-simulation.
    pub last: Option<Duration>,
    /// The faults of the session's scenario as its text has them, by that text.
    faults: Option<(Arc<str>, Vec<FaultEntry>)>,
    /// The version a lesson step made (the file with the step's `set`) and those knobs: the
    /// lesson's, not the learner's, so nothing to save while the session runs it, and a save
    /// of the learner's changes on top of it leaves the step's knobs out.
    step: Option<(Arc<Scenario>, Knobs)>,
}

impl Explore {
    #[must_use]
    pub fn new(s: &Session) -> Explore {
        Explore {
            file: Arc::clone(s.scenario()),
            baseline: None,
            undo: Vec::new(),
            redo: Vec::new(),
            pending: VecDeque::new(),
            shown: None,
            error: None,
            refusals: 0,
            last: None,
            faults: None,
            step: None,
        }
    }

    /// The `[[fault]]`s of the session's scenario, in file order.
    pub fn faults(&mut self, s: &Session) -> Vec<FaultEntry> {
        let text = &s.scenario().text;
        match &self.faults {
            Some((t, f)) if Arc::ptr_eq(t, text) => f.clone(),
            _ => {
                let f = params::faults(s.scenario());
                self.faults = Some((Arc::clone(text), f.clone()));
                f
            }
        }
    }

    /// The file's version of the scenario.
    #[must_use]
    pub fn file(&self) -> &Scenario {
        &self.file
    }

    /// The file's version at the session's time, when the session runs another version.
    #[must_use]
    pub fn baseline(&self) -> Option<&crate::sim::Simulation> {
        self.baseline.as_ref().map(Tape::sim)
    }

    /// The session's scenario differs from the file's.
    #[must_use]
    pub fn changed(&self, s: &Session) -> bool {
        *s.scenario().text != *self.file.text
    }

    /// The learner changed the scenario and has not saved it: it differs from the file's
    /// version and from the one the lesson's step made.
    #[must_use]
    pub fn unsaved(&self, s: &Session) -> bool {
        self.changed(s)
            && self
                .step
                .as_ref()
                .is_none_or(|(t, _)| *t.text != *s.scenario().text)
    }

    #[must_use]
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    #[must_use]
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// A change waits for the next frame.
    #[must_use]
    pub fn busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Ask for a change; it runs once a frame has shown "simulating…", after the ones asked
    /// for before it (a fault dragged while a knob's change ran was dropped).
    pub fn request(&mut self, c: Change) {
        if self.pending.len() < MAX_PENDING {
            self.pending.push_back(c);
        }
    }

    /// Run the change asked for once a frame has shown "simulating…" (a frame may take several
    /// passes: `frame_nr` tells them apart), and keep the baseline at the session's time. Call
    /// at the start of every pass.
    pub fn frame(&mut self, s: &mut Session, frame_nr: u64) -> Outcome {
        let outcome = match self.shown {
            Some(shown) if frame_nr > shown => match self.pending.pop_front() {
                Some(c) => {
                    // "simulating…" stays on screen for the next one.
                    self.shown = (!self.pending.is_empty()).then_some(frame_nr);
                    self.run(s, c)
                }
                None => Outcome::Idle,
            },
            None if !self.pending.is_empty() => {
                self.shown = Some(frame_nr);
                Outcome::Idle
            }
            _ => Outcome::Idle,
        };
        self.follow(s);
        outcome
    }

    fn run(&mut self, s: &mut Session, c: Change) -> Outcome {
        let now = s.scenario();
        let edit = match &c {
            Change::Edit(e) => Some(e.clone()),
            _ => None,
        };
        let renamed = match &edit {
            Some(Edit::Rename { from, to, .. }) => Some((from.clone(), to.clone())),
            _ => None,
        };
        let made = match c {
            // The whole check, as an edit's: a lesson's sweeps are checked too (a knob the
            // file's rules took could not be saved, undone to or swept).
            Change::Set(changes) => params::apply(now, &changes)
                .map_err(|e| e.to_string())
                .and_then(|new| checked(&new.source, &new.text)),
            Change::Edit(e) => params::edit(now, &e)
                .map_err(|e| e.to_string())
                .and_then(|new| checked(&new.source, &new.text)),
            Change::Revert => Ok((*self.file).clone()),
            Change::FileWith(knobs) => {
                let made = params::apply(&self.file, &knobs).map_err(|e| e.to_string());
                self.step = made.as_ref().ok().map(|new| (Arc::new(new.clone()), knobs));
                made
            }
            Change::Undo => return self.step_history(s, true),
            Change::Redo => return self.step_history(s, false),
        };
        match made {
            Ok(new) if *new.text == *now.text => Outcome::Idle,
            Ok(new) => {
                self.undo
                    .push((Arc::clone(&now.text), reversed(renamed.as_ref())));
                self.redo.clear();
                if let Some(done) = &edit {
                    // The changes still waiting were asked for against the scenario before it.
                    let waiting = std::mem::take(&mut self.pending);
                    self.pending = waiting.into_iter().filter_map(|c| c.after(done)).collect();
                    if self.pending.is_empty() {
                        self.shown = None;
                    }
                }
                self.show(s, new, renamed.as_ref())
            }
            Err(e) => self.refuse(e),
        }
    }

    /// Undo (or redo): the previous (next) version of the text, at the same time.
    fn step_history(&mut self, s: &mut Session, back: bool) -> Outcome {
        let (from, to) = if back {
            (&mut self.undo, &mut self.redo)
        } else {
            (&mut self.redo, &mut self.undo)
        };
        let Some((text, renamed)) = from.pop() else {
            return Outcome::Idle;
        };
        match checked(&s.scenario().source, &text) {
            Ok(new) => {
                to.push((Arc::clone(&s.scenario().text), reversed(renamed.as_ref())));
                self.show(s, new, renamed.as_ref())
            }
            Err(e) => {
                // The version stays in the history: nothing is lost.
                from.push((text, renamed));
                self.refuse(e)
            }
        }
    }

    /// A change refused: its message, shown until a change runs.
    fn refuse(&mut self, e: String) -> Outcome {
        self.error = Some(e);
        self.refusals += 1;
        Outcome::Idle
    }

    /// Simulate `new` (in which `renamed.0` is called `renamed.1`) to the session's time; keep
    /// the file's version beside it.
    fn show(&mut self, s: &mut Session, new: Scenario, renamed: Option<&Renamed>) -> Outcome {
        let started = Instant::now();
        let before = graphs(s.sim());
        let differs = *new.text != *self.file.text;
        if differs && self.baseline.is_none() {
            let mut b = s.tape.clone();
            // It only follows the session: a quarter of the checkpoints' bytes will do.
            b.set_budget(BASELINE_CHECKPOINTS);
            self.baseline = Some(b);
        }
        if !differs {
            self.baseline = None;
        }
        let t = s.now();
        let renamed = renamed.map(|(a, b)| (a.as_str(), b.as_str()));
        s.tape.reload_renamed(new, t, renamed);
        self.error = None;
        self.last = Some(started.elapsed());
        if graphs(s.sim()) == before {
            Outcome::Values
        } else {
            Outcome::Graphs
        }
    }

    /// The baseline at the session's time (forward within a frame's budget, back exactly).
    fn follow(&mut self, s: &Session) {
        if let Some(b) = &mut self.baseline {
            let t = s.now();
            if b.now() > t {
                b.seek(t);
            } else if b.now() < t {
                b.play_to(t, super::session::FRAME_BUDGET);
            }
        }
    }

    /// The learner acted on the running simulation (a node's context menu): the baseline gets
    /// the same, so that the two stay comparable.
    pub fn acted(&mut self, s: &Session, a: &Action) {
        let Some(b) = &mut self.baseline else { return };
        match a {
            // An edit: the baseline is the file's version, without it.
            Action::Join(_) => {}
            Action::Now(_) | Action::NowThenLater(..) => b.take_commands(&s.tape),
        }
    }

    /// Write the session's scenario to `path` (atomically) as `check` accepts it, and make it
    /// the file's version: the session's source becomes `path`. Run on a lesson step's
    /// version, the step's knobs are left out where they can be; those that cannot are
    /// returned (they are in the file written), so the learner is told.
    ///
    /// # Errors
    /// The text is not a valid scenario, or the file could not be written: the message.
    pub fn save(&mut self, s: &mut Session, path: &Path) -> Result<Vec<String>, String> {
        let file = path.display().to_string();
        let (text, kept) = self.to_save(s);
        let saved = checked(&file, &text)?;
        super::files::write_atomically(path, &saved.text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let t = s.now();
        let saved = Arc::new(saved);
        if *saved.text == *s.scenario().text {
            s.tape.reload((*saved).clone(), t);
            self.baseline = None;
        } else {
            // A lesson step's version goes on running, now as the saved file's; what it runs
            // is the step's, so nothing is left to save.
            let running = checked(&file, &s.scenario().text)?;
            // The ghost beside it: the saved file's version at the same time.
            let mut b = self.baseline.take().unwrap_or_else(|| {
                let mut b = s.tape.clone();
                b.set_budget(BASELINE_CHECKPOINTS);
                b
            });
            b.reload((*saved).clone(), t);
            self.baseline = Some(b);
            s.tape.reload(running, t);
            if let Some((step, _)) = &mut self.step {
                *step = Arc::clone(s.scenario());
            }
        }
        s.path = Some(path.to_path_buf());
        self.file = saved;
        self.error = None;
        Ok(kept)
    }

    /// The session's text without the knobs of the lesson step it runs: each value a step's
    /// knob set (a `*` path one entry at a time) that still has the step's value goes back to
    /// the file's; one the learner changed since is the learner's and stays. A knob with no
    /// value to go back to (a scale, a field the file leaves out) stays, and is named.
    fn to_save(&self, s: &Session) -> (Arc<str>, Vec<String>) {
        let now = s.scenario();
        let Some((step, knobs)) = &self.step else {
            return (Arc::clone(&now.text), Vec::new());
        };
        let value = |sc: &Scenario, path: &str| params::get(sc, path).ok().flatten();
        let paths: Vec<String> = params::list(step).into_iter().map(|p| p.path).collect();
        let mut back = Vec::new();
        let mut kept = Vec::new();
        for (knob, v) in knobs {
            let untouched: Vec<&String> = paths
                .iter()
                .filter(|p| params::overlap(step, knob, p))
                .filter(|p| value(step, p).is_some() && value(now, p) == value(step, p))
                .collect();
            let was: Option<Vec<(String, toml::Value)>> = untouched
                .iter()
                .map(|p| value(&self.file, p).map(|v| ((*p).clone(), v)))
                .collect();
            match was {
                Some(was) if !knob.starts_with("scale.") => back.extend(was),
                _ => kept.push(format!("{knob} = {v}")),
            }
        }
        match params::apply(now, &back) {
            Ok(sc) => (sc.text, kept),
            Err(_) => {
                let all = knobs.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                (Arc::clone(&now.text), all)
            }
        }
    }
}

/// Knobs set to values: parameter paths, as `--set` takes them.
type Knobs = Vec<(String, toml::Value)>;

/// A consumer or producer's name, and what a rename calls it.
type Renamed = (String, String);

/// The rename that goes back.
fn reversed(r: Option<&Renamed>) -> Option<Renamed> {
    r.map(|(from, to)| (to.clone(), from.clone()))
}

/// Changes waiting at most: more in a row than a hand makes are dropped.
const MAX_PENDING: usize = 64;

/// The text as `brokerlab check` takes it: the file's rules and the lesson's metric names.
fn checked(source: &str, text: &str) -> Result<Scenario, String> {
    crate::lesson::parse(source, text).map_err(|d| d.to_string())
}

/// What the panes draw of each variant: its name, its nodes' names and its edge count.
fn graphs(sim: &crate::sim::Simulation) -> Vec<(String, Vec<String>, usize)> {
    sim.variants
        .iter()
        .map(|v| {
            let g = &v.topology.graph;
            let nodes = g.node_indices().map(|i| g[i].name.clone()).collect();
            (v.name().to_owned(), nodes, g.edge_count())
        })
        .collect()
}
