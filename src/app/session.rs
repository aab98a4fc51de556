//! The loaded scenario and its simulation, driven like a tape: play, step, step back, scrub.
//!
//! Stepping back and scrubbing are exact: the engine is deterministic, so the session keeps
//! clones of the simulation (checkpoints) as it moves forward, and going back means restoring the
//! last checkpoint before the target and simulating forward to it. Faults the learner injects
//! are remembered and injected again into a restored checkpoint that predates them.

use crate::scenario::{secs, Fault, FaultKind, Nanos, Scenario};
use crate::sim::{FaultError, Simulation};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// At most this many checkpoints: memory stays bounded however long the run.
const MAX_CHECKPOINTS: usize = 64;
/// Wall-clock budget of simulation work per frame while playing.
pub const FRAME_BUDGET: Duration = Duration::from_millis(12);

#[derive(Clone)]
struct Checkpoint {
    at: Nanos,
    /// How many injected faults this checkpoint already carries.
    injected: usize,
    sim: Simulation,
}

pub struct Session {
    pub scenario: Arc<Scenario>,
    /// The file it came from (None for a built-in): reloaded when it changes on disk.
    pub path: Option<PathBuf>,
    pub sim: Simulation,
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: Nanos,
    injected: Vec<Fault>,
    /// Times before each step, so that Left returns exactly there.
    history: Vec<Nanos>,
    pub playing: bool,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Playing could not keep up with the speed in the last frame.
    pub behind: bool,
}

impl Session {
    #[must_use]
    pub fn new(scenario: Scenario, path: Option<PathBuf>) -> Session {
        let every = (scenario.duration / 48).max(secs(0.5));
        let sim = Simulation::new(scenario);
        let scenario = Arc::clone(&sim.scenario);
        let mut s = Session {
            scenario,
            path,
            sim,
            checkpoints: Vec::new(),
            checkpoint_every: every,
            injected: Vec::new(),
            history: Vec::new(),
            playing: false,
            speed: 1.0,
            behind: false,
        };
        s.checkpoint();
        s
    }

    #[must_use]
    pub fn now(&self) -> Nanos {
        self.sim.now()
    }

    #[must_use]
    pub fn duration(&self) -> Nanos {
        self.scenario.duration
    }

    fn checkpoint(&mut self) {
        let at = self.sim.now();
        if self.checkpoints.last().is_some_and(|c| c.at >= at) {
            return;
        }
        if self.checkpoints.len() == MAX_CHECKPOINTS {
            // Thin out: keep every other one, so they still cover the whole run.
            let mut i = 0;
            self.checkpoints.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.checkpoint_every *= 2;
        }
        self.checkpoints.push(Checkpoint {
            at,
            injected: self.injected.len(),
            sim: self.sim.clone(),
        });
    }

    /// Run forward to `t`, taking checkpoints on the way.
    fn forward_to(&mut self, t: Nanos) {
        let mut next = self.checkpoints.last().map_or(0, |c| c.at) + self.checkpoint_every;
        while next < t {
            self.sim.run_until(next);
            self.checkpoint();
            next += self.checkpoint_every;
        }
        self.sim.run_until(t);
    }

    /// Jump to simulated time `t` (clamped to the run), forwards or backwards, exactly.
    pub fn seek(&mut self, t: Nanos) {
        let t = t.min(self.duration());
        if t >= self.now() {
            self.forward_to(t);
            return;
        }
        let i = self
            .checkpoints
            .iter()
            .rposition(|c| c.at <= t)
            .unwrap_or(0);
        self.checkpoints.truncate(i + 1);
        let c = &self.checkpoints[i];
        self.sim = c.sim.clone();
        for f in &self.injected[c.injected..] {
            // Names were checked when the fault was first injected.
            let _ = self.sim.inject(f);
        }
        self.forward_to(t);
    }

    pub fn reset(&mut self) {
        self.history.clear();
        self.playing = false;
        self.seek(0);
    }

    /// Advance to the next instant at which anything happens.
    pub fn step_event(&mut self) {
        let from = self.now();
        if let Some(t) = self.sim.next_event_time().filter(|&t| t <= self.duration()) {
            self.history.push(from);
            self.forward_to(t);
        }
    }

    pub fn step_seconds(&mut self, s: f64) {
        let from = self.now();
        if from < self.duration() {
            self.history.push(from);
            self.forward_to(from + secs(s));
        }
    }

    /// Back to where the last step started, or one second back if there was none.
    pub fn step_back(&mut self) {
        self.playing = false;
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

    /// Play for `wall` seconds of wall time at the current speed, within the frame budget.
    pub fn play_for(&mut self, wall: f64) {
        if !self.playing {
            return;
        }
        let target = (self.now() + secs(wall * self.speed)).min(self.duration());
        let started = Instant::now();
        let mut n = 0u32;
        self.behind = false;
        while let Some(t) = self.sim.next_event_time().filter(|&t| t <= target) {
            self.sim.run_until(t);
            n += 1;
            if n % 64 == 0 {
                if self.now() >= self.checkpoints.last().map_or(0, |c| c.at) + self.checkpoint_every
                {
                    self.checkpoint();
                }
                if started.elapsed() > FRAME_BUDGET {
                    self.behind = true;
                    return;
                }
            }
        }
        self.sim.run_until(target);
        if self.now() >= self.checkpoints.last().map_or(0, |c| c.at) + self.checkpoint_every {
            self.checkpoint();
        }
        if self.now() >= self.duration() {
            self.playing = false;
        }
    }

    /// Inject a fault at the current time into every variant; remembered for re-simulation.
    ///
    /// # Errors
    /// The fault names something the scenario does not have.
    pub fn inject(&mut self, mut f: Fault) -> Result<(), FaultError> {
        f.at = f.at.max(self.now());
        if f.kind == FaultKind::AddConsumer {
            return self.add_consumer(f);
        }
        self.sim.inject(&f)?;
        self.injected.push(f);
        Ok(())
    }

    /// A consumer the scenario did not declare needs a node in every graph: rebuild the scenario
    /// with it as an add-consumer fault at the current time and simulate again to now (exact:
    /// a fault in the future does not change the past).
    fn add_consumer(&mut self, f: Fault) -> Result<(), FaultError> {
        let Some(c) = &f.consumer else {
            return Err(FaultError("add-consumer needs a consumer".into()));
        };
        if self
            .scenario
            .consumers
            .iter()
            .chain(
                self.scenario
                    .faults
                    .iter()
                    .filter_map(|x| x.consumer.as_ref()),
            )
            .any(|x| x.name == c.name)
        {
            return Err(FaultError(format!(
                "a consumer named {:?} exists already",
                c.name
            )));
        }
        if c.subscribe
            .iter()
            .any(|&t| usize::from(t) >= self.scenario.topics.len())
        {
            return Err(FaultError(
                "the new consumer subscribes to an unknown topic".into(),
            ));
        }
        let now = self.now();
        let mut s = (*self.scenario).clone();
        s.faults.push(f);
        s.faults.sort_by_key(|x| x.at);
        let injected = std::mem::take(&mut self.injected);
        let (path, speed, playing) = (self.path.clone(), self.speed, self.playing);
        *self = Session::new(s, path);
        self.speed = speed;
        for f in injected {
            let _ = self.sim.inject(&f);
            self.injected.push(f);
        }
        self.seek(now);
        self.playing = playing;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    fn session() -> Session {
        let text = crate::builtin::get("consumer-outage").unwrap_or_default();
        Session::new(
            parse_scenario("t", text).unwrap_or_else(|e| panic!("{e}")),
            None,
        )
    }

    fn json(s: &Session) -> String {
        serde_json::to_string(&s.sim.report()).unwrap_or_default()
    }

    #[test]
    fn step_back_returns_to_the_exact_same_state() {
        let mut s = session();
        s.seek(secs(12.0));
        let before = json(&s);
        s.step_seconds(1.0);
        s.step_event();
        assert_ne!(json(&s), before);
        s.step_back();
        s.step_back();
        assert_eq!(s.now(), secs(12.0));
        assert_eq!(json(&s), before);
    }

    #[test]
    fn scrubbing_back_and_forth_matches_a_straight_run() {
        let mut s = session();
        s.seek(secs(40.0));
        s.seek(secs(7.5));
        s.seek(secs(33.0));
        let mut straight = session();
        straight.seek(secs(33.0));
        assert_eq!(json(&s), json(&straight));
    }

    #[test]
    fn injected_faults_survive_going_back_before_them() {
        let mut s = session();
        s.seek(secs(5.0));
        let f = Fault {
            kind: FaultKind::ConsumerOffline,
            target: Some("metric-server-2".into()),
            at: 0,
            until: Some(secs(9.0)),
            factor: 1.0,
            consumer: None,
        };
        s.inject(f).unwrap_or_else(|e| panic!("{e}"));
        s.seek(secs(15.0));
        let after = json(&s);
        s.seek(secs(2.0));
        s.seek(secs(15.0));
        assert_eq!(json(&s), after);
        assert!(s.sim.variants[0].metrics().lost > 0);
    }

    #[test]
    fn adding_a_consumer_at_run_time_keeps_the_past_and_shows_who_replays() {
        let mut s = session();
        s.seek(secs(30.0));
        let metrics = |s: &Session| -> Vec<crate::metrics::Metrics> {
            s.sim
                .variants
                .iter()
                .map(crate::sim::VariantSim::metrics)
                .collect()
        };
        let before = metrics(&s);
        let c = crate::scenario::Consumer {
            name: "auditor".into(),
            subscribe: vec![1],
            group: "auditor".into(),
            service: secs(0.0005),
            service_dist: crate::scenario::ServiceDist::Fixed,
        };
        let f = Fault {
            kind: FaultKind::AddConsumer,
            target: None,
            at: 0,
            until: None,
            factor: 1.0,
            consumer: Some(c),
        };
        s.inject(f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.now(), secs(30.0));
        assert_eq!(
            metrics(&s),
            before,
            "a consumer joining now changes nothing before now"
        );
        s.seek(secs(45.0));
        let replayed: Vec<u64> = s
            .sim
            .variants
            .iter()
            .map(|v| v.metrics().replayed)
            .collect();
        // redis-pubsub and rabbitmq have no history for a new group; kafka (earliest) replays it.
        assert_eq!(&replayed[..2], &[0, 0]);
        assert!(replayed[2] > 1000, "{replayed:?}");
    }

    #[test]
    fn play_advances_by_wall_time_times_speed() {
        let mut s = session();
        s.playing = true;
        s.speed = 10.0;
        s.play_for(0.1);
        assert!(s.now() <= secs(1.0));
        assert!(s.now() > 0);
    }
}
