//! The tape: a simulation driven like a tape recorder. Play, step, step back, scrub, and send
//! commands along the way; going back is exact.
//!
//! ```text
//!   0 s ──[cp]────[cp]────[cp]──── now          cp: a checkpoint (a clone of the simulation)
//!            commands:  (12 s, Crash c1)  (17 s, Heal c1)  ...
//!   seek back to 20 s:  restore the checkpoint before 20 s, run forward, applying every
//!                       command whose time comes on the way, exactly where it was applied
//! ```
//!
//! The engine is deterministic, so a state is its scenario, its seed and the commands applied
//! at their times. A command applies after every event up to its time (the tape runs to it,
//! then applies it), the same whether the tape got there by playing or by replaying from a
//! checkpoint: stepping back and scrubbing give byte-identical results by construction.

use super::trace::{MessageTrace, TraceError};
use super::{Cancel, Simulation};
use crate::engine::{Command, CommandError, MsgId};
use crate::scenario::{secs, Nanos, Scenario};
use crate::topology::all_consumers;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// At most this many checkpoints: memory stays bounded however long the run.
const MAX_CHECKPOINTS: usize = 64;
/// Checkpoints together take at most this many bytes: the spacing widens to stay within it.
pub const CHECKPOINT_BUDGET: usize = 256 << 20;

#[derive(Clone, Debug)]
struct Checkpoint {
    at: Nanos,
    /// How many of the tape's commands it has applied.
    applied: usize,
    /// About how many bytes it takes.
    bytes: usize,
    sim: Simulation,
}

/// A simulation with its checkpoints and the commands sent to it.
#[derive(Clone, Debug)]
pub struct Tape {
    sim: Simulation,
    /// The variants it runs (indexes into the scenario's).
    selected: Vec<usize>,
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: Nanos,
    /// What the checkpoints may take together, in bytes.
    budget: usize,
    /// Commands with the time they apply at, in that order (ties: in the order sent; a parked
    /// command that comes back goes after those of its time).
    commands: Vec<(Nanos, Command)>,
    /// How many of `commands` the simulation has applied.
    applied: usize,
    /// Commands whose consumer, producer or topic an edit removed, with the scenario their ids
    /// are of: they come back in time order if an undo (or another edit) brings it back.
    parked: Vec<(Nanos, Command, Arc<Scenario>)>,
    /// Times before each step, so that a step back returns exactly there.
    history: Vec<Nanos>,
    /// The simulation keeps its last hops for a viewer.
    recent_hops: bool,
}

impl Tape {
    /// Every variant of `scenario`, at 0 s.
    #[must_use]
    pub fn new(scenario: Scenario) -> Tape {
        let all: Vec<usize> = (0..scenario.variants.len()).collect();
        Tape::with_variants(Arc::new(scenario), &all)
    }

    /// The variants `indexes` of `scenario`, at 0 s.
    #[must_use]
    pub fn with_variants(scenario: Arc<Scenario>, indexes: &[usize]) -> Tape {
        let every = (scenario.duration / 48).max(secs(0.5));
        let sim = Simulation::with_variants(scenario, indexes);
        let mut tape = Tape {
            sim,
            selected: indexes.to_vec(),
            checkpoints: Vec::new(),
            checkpoint_every: every,
            budget: CHECKPOINT_BUDGET,
            commands: Vec::new(),
            applied: 0,
            parked: Vec::new(),
            history: Vec::new(),
            recent_hops: false,
        };
        tape.checkpoint();
        tape
    }

    /// Keep the last hops sent in every variant (what a viewer animates), from the start.
    pub fn keep_recent_hops(&mut self) {
        self.recent_hops = true;
        for c in &mut self.checkpoints {
            c.sim.keep_recent_hops();
        }
        self.sim.keep_recent_hops();
    }

    /// The simulation as it is now (read it; change it through the tape).
    #[must_use]
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    #[must_use]
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.sim.scenario
    }

    #[must_use]
    pub fn now(&self) -> Nanos {
        self.sim.now()
    }

    #[must_use]
    pub fn duration(&self) -> Nanos {
        self.sim.scenario.duration
    }

    /// The commands sent, with the time each applies at.
    #[must_use]
    pub fn commands(&self) -> &[(Nanos, Command)] {
        &self.commands
    }

    /// Message `m` (the `m`-th produced) from its creation to the end of the run, in every
    /// variant of the tape, with every command sent: the last checkpoint before it was created
    /// runs on with a watch on it (a copy: the tape stays where it is).
    ///
    /// # Errors
    /// The run never produces message `m`.
    pub fn trace(&self, m: MsgId) -> Result<MessageTrace, TraceError> {
        let never = AtomicBool::new(false);
        self.trace_job(m)
            .run(&never)
            .unwrap_or_else(|| unreachable!("nothing cancels it"))
    }

    /// What [`Tape::trace`] does, to be run later or on another thread: it owns its copies.
    #[must_use]
    pub fn trace_job(&self, m: MsgId) -> TraceJob {
        let before = |c: &&Checkpoint| {
            c.sim
                .variants
                .first()
                .is_none_or(|v| v.produced() <= u64::from(m.0))
        };
        let start = self.checkpoints.iter().rfind(before);
        let (sim, applied) = match start {
            Some(c) => (c.sim.clone(), c.applied),
            None => (
                Simulation::with_variants(Arc::clone(self.scenario()), &self.selected),
                0,
            ),
        };
        TraceJob {
            msg: m,
            sim,
            commands: self.commands[applied..].to_vec(),
        }
    }

    /// Keep the simulation as it is now, within the count and the byte budget: when either is
    /// reached, every other checkpoint goes (the first, at the start, stays) and the spacing
    /// doubles, so they still cover the whole run. One that alone would pass the budget is not
    /// taken: going back re-simulates from an earlier one, as exactly, only slower.
    fn checkpoint(&mut self) {
        let at = self.sim.now();
        if self.checkpoints.last().is_some_and(|c| c.at >= at) {
            return;
        }
        let bytes: usize = self
            .sim
            .variants
            .iter()
            .map(super::VariantSim::approx_bytes)
            .sum();
        while self.checkpoints.len() >= MAX_CHECKPOINTS
            || self.checkpoint_bytes().saturating_add(bytes) > self.budget
        {
            if !self.thin() {
                break;
            }
        }
        if self.checkpoints.len() < MAX_CHECKPOINTS
            && self.checkpoint_bytes().saturating_add(bytes) <= self.budget
        {
            self.checkpoints.push(Checkpoint {
                at,
                applied: self.applied,
                bytes,
                sim: self.sim.clone(),
            });
        } else {
            // Nothing left to thin: wait longer before trying again.
            self.checkpoint_every = self.checkpoint_every.saturating_mul(2);
        }
    }

    /// Drop every other checkpoint after the first and double the spacing; false if there was
    /// nothing to drop.
    fn thin(&mut self) -> bool {
        if self.checkpoints.len() <= 1 {
            return false;
        }
        let mut i = 0;
        self.checkpoints.retain(|_| {
            i += 1;
            i % 2 == 1
        });
        self.checkpoint_every = self.checkpoint_every.saturating_mul(2);
        true
    }

    /// Bytes the checkpoints take together.
    #[must_use]
    pub fn checkpoint_bytes(&self) -> usize {
        self.checkpoints.iter().map(|c| c.bytes).sum()
    }

    /// Keep the checkpoints within `bytes` from now on.
    pub fn set_budget(&mut self, bytes: usize) {
        self.budget = bytes;
        while self.checkpoint_bytes() > bytes && self.thin() {}
    }

    fn checkpoint_due(&self) -> bool {
        let last = self.checkpoints.last().map_or(0, |c| c.at);
        self.sim.now() >= last.saturating_add(self.checkpoint_every)
    }

    /// The time of the next command not applied yet, if it is at or before `t`.
    fn next_command(&self, t: Nanos) -> Option<Nanos> {
        self.commands
            .get(self.applied)
            .map(|&(at, _)| at)
            .filter(|&at| at <= t)
    }

    /// Apply every command due now (they were validated, or are skipped if they make no sense
    /// now: the same either way on every replay).
    fn apply_due(&mut self) {
        while let Some(&(at, cmd)) = self.commands.get(self.applied) {
            if at > self.sim.now() {
                break;
            }
            let _ = self.sim.command(cmd);
            self.applied += 1;
        }
    }

    /// Run forward to `t`, taking checkpoints and applying commands on the way. With a
    /// `deadline`, go one instant at a time and stop early when it passes; returns whether `t`
    /// was reached.
    fn forward_to(&mut self, t: Nanos, deadline: Option<Instant>) -> bool {
        let mut n = 0u32;
        loop {
            let stop = self.next_command(t).unwrap_or(t);
            let last = self.checkpoints.last().map_or(0, |c| c.at);
            let next_checkpoint = last.saturating_add(self.checkpoint_every);
            let mut to = stop.min(next_checkpoint.max(self.now()));
            if deadline.is_some() {
                if let Some(e) = self.sim.next_event_time() {
                    to = to.min(e.max(self.now()));
                }
            }
            self.sim.run_until(to);
            if self.checkpoint_due() {
                self.checkpoint();
            }
            if to == stop {
                self.apply_due();
                if stop == t {
                    return true;
                }
            }
            n += 1;
            if n % 64 == 0 && deadline.is_some_and(|d| Instant::now() > d) {
                return false;
            }
        }
    }

    /// Jump to simulated time `t` (clamped to the run), forwards or backwards, exactly.
    pub fn seek(&mut self, t: Nanos) {
        let t = t.min(self.duration());
        if t >= self.now() {
            self.forward_to(t, None);
            return;
        }
        let i = self
            .checkpoints
            .iter()
            .rposition(|c| c.at <= t)
            .unwrap_or(0);
        self.checkpoints.truncate(i + 1);
        let Some(c) = self.checkpoints.get(i) else {
            return;
        };
        self.sim = c.sim.clone();
        self.applied = c.applied;
        self.forward_to(t, None);
    }

    /// Back to 0 s (commands stay on the tape).
    pub fn reset(&mut self) {
        self.history.clear();
        self.seek(0);
    }

    /// Advance to the next instant at which anything happens (an event or a command).
    pub fn step_event(&mut self) {
        let from = self.now();
        let next_event = self.sim.next_event_time();
        let next_cmd = self.commands.get(self.applied).map(|&(at, _)| at);
        let next = match (next_event, next_cmd) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(t) = next.filter(|&t| t <= self.duration()) {
            self.history.push(from);
            self.forward_to(t, None);
        }
    }

    /// `s` seconds on, to the end of the run at most (+1 s at 59.5 of 60 s ran to 60.5).
    pub fn step_seconds(&mut self, s: f64) {
        let from = self.now();
        if from < self.duration() {
            self.history.push(from);
            self.forward_to(from.saturating_add(secs(s)).min(self.duration()), None);
        }
    }

    /// Back to where the last step started, or one second back if there was none.
    pub fn step_back(&mut self) {
        let to = self
            .history
            .pop()
            .unwrap_or_else(|| self.now().saturating_sub(secs(1.0)));
        self.seek(to);
    }

    #[must_use]
    pub fn can_step_back(&self) -> bool {
        self.now() > 0
    }

    /// Play towards `t` for at most `budget` of wall time; returns whether it got there.
    pub fn play_to(&mut self, t: Nanos, budget: Duration) -> bool {
        let t = t.min(self.duration());
        self.forward_to(t, Some(Instant::now() + budget))
    }

    /// Carry out `cmd` now in every variant where it makes sense, and keep it on the tape.
    ///
    /// # Errors
    /// It makes sense in no variant now; nothing changed.
    pub fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.sim.command(cmd)?;
        // Applied now: after every command already due, before any later one.
        self.commands.insert(self.applied, (self.now(), cmd));
        self.applied += 1;
        Ok(())
    }

    /// Carry out `cmd` `after` from now (where it makes sense then), and keep it on the tape.
    pub fn command_after(&mut self, after: Nanos, cmd: Command) {
        let at = self.now().saturating_add(after);
        let i = self.commands[self.applied..].partition_point(|&(x, _)| x <= at) + self.applied;
        self.commands.insert(i, (at, cmd));
    }

    /// Drop the restarts still to come that command `now`, just sent, makes moot: a restart
    /// set for later (crash and restart in 5 s) of the consumer or broker it acts on (taken
    /// offline meanwhile, it came back at the old restart), up to the next command that takes
    /// that one down again (its restart is its own, kept on the tape from before a step back).
    pub fn cancel_moot(&mut self, now: Command) {
        let consumer = now.consumer();
        let moot = |later: Command| match (now, later) {
            (
                Command::TakeOffline(a)
                | Command::Crash(a)
                | Command::Heal(a)
                | Command::RemoveConsumer(a),
                Command::Heal(b),
            ) => a == b,
            (Command::CrashBroker(a) | Command::RestartBroker(a), Command::RestartBroker(b)) => {
                a == b
            }
            _ => false,
        };
        let downs_again = |later: Command| match (now, later) {
            (Command::CrashBroker(a) | Command::RestartBroker(a), Command::CrashBroker(b)) => {
                a == b
            }
            (_, Command::Crash(b) | Command::TakeOffline(b) | Command::RemoveConsumer(b)) => {
                consumer == Some(b)
            }
            _ => false,
        };
        let applied = self.applied;
        let mut stopped = false;
        let mut i = 0;
        self.commands.retain(|&(_, c)| {
            i += 1;
            if i <= applied || stopped {
                return true;
            }
            stopped = downs_again(c);
            stopped || !moot(c)
        });
    }

    /// The same tape (variants, commands) on another scenario, simulated again to `t`.
    pub fn restart(&mut self, scenario: Scenario, t: Nanos) {
        let commands = std::mem::take(&mut self.commands);
        let parked = std::mem::take(&mut self.parked);
        let history = std::mem::take(&mut self.history);
        let (recent, budget) = (self.recent_hops, self.budget);
        *self = Tape::with_variants(Arc::new(scenario), &self.selected);
        self.budget = budget;
        if recent {
            self.keep_recent_hops();
        }
        self.commands = commands;
        self.parked = parked;
        self.history = history;
        self.seek(t);
    }

    /// Another version of the scenario (an edit, or its undo) on this tape, every variant of it,
    /// simulated again to `t`. Commands follow what they act on by name, since an edit may add
    /// or remove consumers, producers and topics before it. A command whose consumer, producer
    /// or topic the new scenario lacks is parked, and comes back in its place in time if a
    /// later version has it again (removing a consumer, then undo).
    pub fn reload(&mut self, scenario: Scenario, t: Nanos) {
        self.reload_renamed(scenario, t, None);
    }

    /// [`Tape::reload`] for a version in which the consumer or producer `renamed.0` is named
    /// `renamed.1` (a rename, or its undo): its commands follow it.
    pub fn reload_renamed(&mut self, scenario: Scenario, t: Nanos, renamed: Option<(&str, &str)>) {
        let old = Arc::clone(self.scenario());
        let mut parked = Vec::new();
        let mut commands = Vec::new();
        for (at, c) in std::mem::take(&mut self.commands) {
            match follow(&old, &scenario, c, renamed, true) {
                Some(c) => commands.push((at, c)),
                None => parked.push((at, c, Arc::clone(&old))),
            }
        }
        for (at, c, home) in std::mem::take(&mut self.parked) {
            match follow(&home, &scenario, c, None, false) {
                Some(c) => {
                    let i = commands.partition_point(|&(x, _)| x <= at);
                    commands.insert(i, (at, c));
                }
                None => parked.push((at, c, home)),
            }
        }
        let history = std::mem::take(&mut self.history);
        let (recent, budget) = (self.recent_hops, self.budget);
        let all: Vec<usize> = (0..scenario.variants.len()).collect();
        *self = Tape::with_variants(Arc::new(scenario), &all);
        self.set_budget(budget);
        if recent {
            self.keep_recent_hops();
        }
        self.commands = commands;
        self.parked = parked;
        self.history = history;
        self.seek(t);
    }

    /// The commands of `other` in place of this tape's (followed by name into this tape's
    /// scenario, see [`Tape::reload`]), simulated again to now: two versions of a scenario
    /// that the learner acts on alike.
    pub fn take_commands(&mut self, other: &Tape) {
        let (from, to) = (Arc::clone(other.scenario()), Arc::clone(self.scenario()));
        self.commands = other
            .commands
            .iter()
            .filter_map(|&(at, c)| Some((at, follow(&from, &to, c, None, true)?)))
            .collect();
        let t = self.now();
        self.restart((*to).clone(), t);
    }
}

/// `c` with its consumer, producer or topic found by name in `new` (None: it has none such);
/// `renamed`: the consumer or producer of that name is called this in `new`; `in_place_too`:
/// else one renamed in place (not for a parked command: its consumer was removed, and one
/// added since in its place is another).
fn follow(
    old: &Scenario,
    new: &Scenario,
    c: Command,
    renamed: Option<(&str, &str)>,
    in_place_too: bool,
) -> Option<Command> {
    use crate::engine::{ConsumerId, Endpoint, ProducerId};
    let name_in_new = |name: &str| -> String {
        match renamed {
            Some((from, to)) if from == name => to.to_owned(),
            _ => name.to_owned(),
        }
    };
    // Place `ix` of `old`'s names in `new`'s: by its name (as renamed), else renamed in place.
    let found = |old: &[String], new: &[String], ix: usize| {
        let name = name_in_new(old.get(ix)?);
        let moved = || super::params::in_place(old, new, ix).filter(|_| in_place_too);
        new.iter().position(|x| *x == name).or_else(moved)
    };
    let consumer = |id: ConsumerId| {
        let names = |s| -> Vec<String> {
            all_consumers(s)
                .iter()
                .map(|(c, _)| c.name.clone())
                .collect()
        };
        ConsumerId::from_ix(found(&names(old), &names(new), id.ix())?)
    };
    let producer = |id: ProducerId| {
        let names =
            |s: &Scenario| -> Vec<String> { s.producers.iter().map(|p| p.name.clone()).collect() };
        ProducerId::from_ix(found(&names(old), &names(new), id.ix())?)
    };
    let topic = |t: Option<u16>| -> Option<Option<u16>> {
        let Some(t) = t else { return Some(None) };
        let name = old.topics.get(usize::from(t))?;
        let at = new.topics.iter().position(|x| x == name)?;
        Some(Some(u16::try_from(at).ok()?))
    };
    let endpoint = |e: Endpoint| match e {
        Endpoint::Producer(p) => producer(p).map(Endpoint::Producer),
        Endpoint::Consumer(c) => consumer(c).map(Endpoint::Consumer),
    };
    Some(match c {
        Command::TakeOffline(x) => Command::TakeOffline(consumer(x)?),
        Command::Crash(x) => Command::Crash(consumer(x)?),
        Command::Heal(x) => Command::Heal(consumer(x)?),
        Command::Slow(x, f) => Command::Slow(consumer(x)?, f),
        Command::RestoreSpeed(x) => Command::RestoreSpeed(consumer(x)?),
        Command::AddConsumer(x) => Command::AddConsumer(consumer(x)?),
        Command::RemoveConsumer(x) => Command::RemoveConsumer(consumer(x)?),
        Command::CutLink(e) => Command::CutLink(endpoint(e)?),
        Command::RestoreLink(e) => Command::RestoreLink(endpoint(e)?),
        Command::CrashBroker(t) => Command::CrashBroker(topic(t)?),
        Command::RestartBroker(t) => Command::RestartBroker(topic(t)?),
    })
}

/// A trace to compute: a copy of the checkpoint it starts from and the commands after it.
#[derive(Clone, Debug)]
pub struct TraceJob {
    msg: MsgId,
    sim: Simulation,
    commands: Vec<(Nanos, Command)>,
}

impl TraceJob {
    /// Run to the end of the scenario with a watch on the message; None once `cancel` is set
    /// (checked every 1/256 of the run: the app sets it when the learner follows another).
    ///
    /// # Errors
    /// The run never produces the message.
    pub fn run(mut self, cancel: &dyn Cancel) -> Option<Result<MessageTrace, TraceError>> {
        self.sim.watch(self.msg);
        let end = self.sim.scenario.duration;
        replay(&mut self.sim, &self.commands, end, cancel)?;
        Some(super::trace::collect(&self.sim))
    }
}

/// Run `sim` to `t`, applying `commands` at their times: what [`Tape::forward_to`] does,
/// without checkpoints. In slices (the same events as one call), so that `cancel` stops it:
/// None then.
fn replay(
    sim: &mut Simulation,
    commands: &[(Nanos, Command)],
    t: Nanos,
    cancel: &dyn Cancel,
) -> Option<()> {
    let slice = (t / 256).max(1);
    let mut applied = 0;
    loop {
        if cancel.cancelled() {
            return None;
        }
        let next = commands.get(applied).map(|&(at, _)| at);
        let stop = next
            .filter(|&at| at <= t)
            .unwrap_or(t)
            .min(sim.now().saturating_add(slice));
        sim.run_until(stop);
        while let Some(&(at, cmd)) = commands.get(applied) {
            if at > sim.now() {
                break;
            }
            let _ = sim.command(cmd);
            applied += 1;
        }
        if stop == t {
            return Some(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ConsumerId;
    use crate::scenario::parse_scenario;
    use crate::sim::CancelAt;

    fn tape() -> Tape {
        let text = crate::builtin::get("consumer-outage").unwrap_or_default();
        Tape::new(parse_scenario("t", text).unwrap_or_else(|e| panic!("{e}")))
    }

    fn fingerprint(t: &Tape) -> String {
        // Every variant's counters, groups and visible state.
        t.sim()
            .variants
            .iter()
            .map(|v| format!("{:?} {:?} {:?}", v.tally(), v.groups(), v.state()))
            .collect()
    }

    fn consumer(t: &Tape, name: &str) -> ConsumerId {
        t.sim()
            .consumer(name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn step_back_returns_to_the_exact_same_state() {
        let mut t = tape();
        t.seek(secs(12.0));
        let before = fingerprint(&t);
        t.step_seconds(1.0);
        t.step_event();
        assert_ne!(fingerprint(&t), before);
        t.step_back();
        t.step_back();
        assert_eq!(t.now(), secs(12.0));
        assert_eq!(fingerprint(&t), before);
    }

    #[test]
    fn scrubbing_back_and_forth_matches_a_straight_run() {
        let mut t = tape();
        t.seek(secs(40.0));
        t.seek(secs(7.5));
        t.seek(secs(33.0));
        let mut straight = tape();
        straight.seek(secs(33.0));
        assert_eq!(fingerprint(&t), fingerprint(&straight));
    }

    #[test]
    fn commands_replay_exactly_after_going_back_before_them() {
        let mut t = tape();
        t.seek(secs(5.0));
        let c = consumer(&t, "metric-server-2");
        t.command(Command::TakeOffline(c))
            .unwrap_or_else(|e| panic!("{e}"));
        t.command_after(secs(4.0), Command::Heal(c));
        t.seek(secs(15.0));
        let after = fingerprint(&t);
        t.seek(secs(2.0));
        t.seek(secs(15.0));
        assert_eq!(fingerprint(&t), after);
        // Played in small wall-clock slices, it is the same again.
        t.seek(secs(1.0));
        while !t.play_to(secs(15.0), Duration::from_micros(50)) {}
        assert_eq!(fingerprint(&t), after);
        assert!(t.sim().variants[0].tally().counters.lost > 0);
    }

    #[test]
    fn a_command_that_makes_no_sense_now_is_refused_and_not_kept() {
        let mut t = tape();
        t.seek(secs(3.0));
        let c = consumer(&t, "metric-server-1");
        let err = t.command(Command::Heal(c)).expect_err("it is online");
        assert_eq!(err.to_string(), "metric-server-1 is online already");
        assert!(t.commands().is_empty());
    }

    #[test]
    fn a_second_more_near_the_end_stops_at_the_end() {
        let mut t = tape();
        let end = t.duration();
        t.seek(end - secs(0.5));
        t.step_seconds(1.0);
        assert_eq!(t.now(), end);
        t.step_seconds(1.0);
        assert_eq!(t.now(), end, "at the end: nothing more");
    }

    #[test]
    fn a_trace_job_cancelled_stops_and_one_left_alone_finishes() {
        let t = tape();
        let cancel = AtomicBool::new(true);
        assert!(t.trace_job(MsgId(100)).run(&cancel).is_none());
        let go = CancelAt::new(usize::MAX);
        let done = t.trace_job(MsgId(100)).run(&go);
        assert!(done.is_some_and(|r| r.is_ok()));
        // Asked before each 1/256 of the run, and once more per fault command between them.
        assert!(go.asked() >= 256, "asked {} times", go.asked());
        let mid = CancelAt::new(100);
        assert!(t.trace_job(MsgId(100)).run(&mid).is_none(), "stopped");
        assert_eq!(mid.asked(), 100);
    }

    #[test]
    fn a_consumer_that_joins_now_keeps_the_past_and_shows_who_replays() {
        let mut t = tape();
        t.seek(secs(30.0));
        let metrics = |t: &Tape| -> Vec<String> {
            t.sim()
                .variants
                .iter()
                .map(|v| format!("{:?}", v.tally()))
                .collect()
        };
        let before = metrics(&t);
        // What the app's "Add a consumer of…" makes: an add-consumer fault at the time shown.
        let join = crate::sim::params::Edit::JoinAt {
            topic: t.scenario().topics[1].clone(),
            at_s: 30.0,
        };
        let joined =
            crate::sim::params::edit(t.scenario(), &join).unwrap_or_else(|e| panic!("{e}"));
        t.reload(joined, secs(30.0));
        assert_eq!(t.now(), secs(30.0));
        assert_eq!(
            metrics(&t),
            before,
            "a consumer joining now changes nothing before now"
        );
        t.seek(secs(45.0));
        let replayed: Vec<u64> = t
            .sim()
            .variants
            .iter()
            .map(|v| v.tally().counters.replayed)
            .collect();
        // redis-pubsub and rabbitmq have no history for a new group; kafka (earliest) replays it.
        assert_eq!(&replayed[..2], &[0, 0]);
        assert!(replayed[2] > 1000, "{replayed:?}");
    }

    #[test]
    fn checkpoints_stay_within_their_byte_budget_and_going_back_stays_exact() {
        let text = crate::builtin::get("use-cases").unwrap_or_default();
        let mut t = Tape::new(parse_scenario("t", text).unwrap_or_else(|e| panic!("{e}")));
        let budget = 3 << 20;
        t.set_budget(budget);
        let mut straight = t.clone();
        for s in 1..=60 {
            t.seek(secs(f64::from(s)));
            assert!(
                t.checkpoint_bytes() <= budget,
                "{} at {s} s",
                t.checkpoint_bytes()
            );
        }
        assert!(
            t.checkpoints.len() >= 2,
            "some checkpoints fit: {}",
            t.checkpoints.len()
        );
        t.seek(secs(33.3));
        straight.seek(secs(33.3));
        assert_eq!(fingerprint(&t), fingerprint(&straight));
    }

    #[test]
    fn a_reload_keeps_the_commands_on_their_consumers_by_name() {
        use crate::sim::params::{edit, Edit};
        let mut t = tape();
        t.seek(secs(5.0));
        let c = consumer(&t, "metric-server-2");
        t.command(Command::TakeOffline(c))
            .unwrap_or_else(|e| panic!("{e}"));
        // Without metric-server-1 (and its fault), metric-server-2 is the first consumer.
        let mut s = (**t.scenario()).clone();
        for e in [
            Edit::RemoveFault(0),
            Edit::RemoveConsumer("metric-server-1".into()),
        ] {
            s = edit(&s, &e).unwrap_or_else(|err| panic!("{err}"));
        }
        t.reload(s.clone(), secs(15.0));
        assert_eq!(t.now(), secs(15.0));
        let mut fresh = Tape::new(s);
        fresh.seek(secs(5.0));
        let c = consumer(&fresh, "metric-server-2");
        assert_eq!(c.ix(), 0);
        fresh
            .command(Command::TakeOffline(c))
            .unwrap_or_else(|e| panic!("{e}"));
        fresh.seek(secs(15.0));
        assert_eq!(fingerprint(&t), fingerprint(&fresh));
        assert_eq!(t.commands(), fresh.commands());
    }

    #[test]
    fn play_advances_no_further_than_asked() {
        let mut t = tape();
        assert!(t.play_to(secs(1.0), Duration::from_secs(60)));
        assert_eq!(t.now(), secs(1.0));
    }
}
