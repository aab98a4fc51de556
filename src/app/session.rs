//! The loaded scenario as the app plays it: the simulation's tape (in `sim`: checkpoints, exact
//! step back, commands) plus what only a viewer has, the wall-clock speed and whether it plays.

use crate::engine::{Command, CommandError};
use crate::scenario::{Nanos, Scenario};
use crate::sim::params::Edit;
use crate::sim::{Simulation, Tape};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Wall-clock budget of simulation work per frame while playing.
pub const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// What the learner asks of the running simulation (from a node's context menu).
#[derive(Clone, Debug)]
pub enum Action {
    /// A command, now.
    Now(Command),
    /// A command now, and another one a while later (crash, then restart in 5 s).
    NowThenLater(Command, Nanos, Command),
    /// A consumer of this topic joins now: an edit of the scenario (an add-consumer fault at
    /// the time shown), so that it is saved, undone and kept by a knob like any other.
    Join(String),
}

pub struct Session {
    /// The file it came from (None for a built-in): reloaded when it changes on disk.
    pub path: Option<PathBuf>,
    pub tape: Tape,
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Playing could not keep up with the speed in the last frame.
    pub behind: bool,
}

impl Session {
    #[must_use]
    pub fn new(scenario: Scenario, path: Option<PathBuf>) -> Session {
        let mut tape = Tape::new(scenario);
        // Hops shorter than a frame are drawn from the last ones sent.
        tape.keep_recent_hops();
        Session {
            path,
            tape,
            playing: false,
            speed: 1.0,
            behind: false,
        }
    }

    #[must_use]
    pub fn sim(&self) -> &Simulation {
        self.tape.sim()
    }

    #[must_use]
    pub fn scenario(&self) -> &Arc<Scenario> {
        self.tape.scenario()
    }

    #[must_use]
    pub fn now(&self) -> Nanos {
        self.tape.now()
    }

    #[must_use]
    pub fn duration(&self) -> Nanos {
        self.tape.duration()
    }

    pub fn seek(&mut self, t: Nanos) {
        self.tape.seek(t);
    }

    pub fn reset(&mut self) {
        self.playing = false;
        self.tape.reset();
    }

    pub fn step_event(&mut self) {
        self.tape.step_event();
    }

    pub fn step_seconds(&mut self, s: f64) {
        self.tape.step_seconds(s);
    }

    pub fn step_back(&mut self) {
        self.playing = false;
        self.tape.step_back();
    }

    #[must_use]
    pub fn can_step_back(&self) -> bool {
        self.tape.can_step_back()
    }

    /// Play for `wall` seconds of wall time at the current speed, within the frame budget.
    pub fn play_for(&mut self, wall: f64) {
        if !self.playing {
            return;
        }
        let target = self
            .now()
            .saturating_add(crate::scenario::secs(wall * self.speed));
        self.behind = !self.tape.play_to(target, FRAME_BUDGET);
        if self.now() >= self.duration() {
            self.playing = false;
        }
    }

    /// Do what the learner asked of the running simulation; a [`Action::Join`] is the edit
    /// this returns, for the caller to make.
    ///
    /// # Errors
    /// It makes no sense now (the message says why); nothing changed.
    pub fn act(&mut self, a: Action) -> Result<Option<Edit>, CommandError> {
        match a {
            Action::Now(c) => {
                self.tape.command(c)?;
                self.tape.cancel_moot(c);
                Ok(None)
            }
            Action::NowThenLater(c, after, later) => {
                self.tape.command(c)?;
                self.tape.cancel_moot(c);
                self.tape.command_after(after, later);
                Ok(None)
            }
            Action::Join(topic) => Ok(Some(Edit::JoinAt {
                topic,
                at_s: join_time(self.now(), self.duration()),
            })),
        }
    }
}

/// When a consumer added at `now` joins, as the file writes it: the next millisecond (never
/// before now, so the past stays as it was), at most the run's end.
#[must_use]
pub fn join_time(now: Nanos, duration: Nanos) -> f64 {
    let next_ms = now.div_ceil(1_000_000).saturating_mul(1_000_000);
    crate::scenario::to_secs(next_ms.min(duration))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{parse_scenario, secs};

    #[test]
    fn a_consumer_joins_at_the_next_millisecond_never_before_now_nor_after_the_end() {
        let d = secs(60.0);
        assert_eq!(join_time(0, d), 0.0);
        assert_eq!(join_time(secs(1.234_567_8), d), 1.235);
        assert_eq!(join_time(secs(12.0), d), 12.0);
        assert_eq!(join_time(d, d), 60.0);
        // A run that ends between two milliseconds: its end.
        let odd = secs(10.0005);
        assert_eq!(join_time(secs(10.0003), odd), 10.0005);
        assert_eq!(secs(join_time(secs(10.0003), odd)), odd);
        assert_eq!(join_time(secs(0.0002), secs(0.0005)), 0.0005);
    }

    #[test]
    fn play_advances_by_wall_time_times_speed() {
        let text = crate::builtin::get("consumer-outage").unwrap_or_default();
        let mut s = Session::new(
            parse_scenario("t", text).unwrap_or_else(|e| panic!("{e}")),
            None,
        );
        s.playing = true;
        s.speed = 10.0;
        s.play_for(0.1);
        assert!(s.now() <= secs(1.0));
        assert!(s.now() > 0);
    }
}
