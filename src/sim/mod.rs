//! Running a scenario: every selected variant on one shared clock, each its own engine with its
//! own broker model.
//!
//! ```text
//!   Simulation ── VariantSim (variant 1) ── Engine<Kafka>    (world + model)
//!              ├─ VariantSim (variant 2) ── Engine<RabbitMq>
//!              └─ ...
//! ```
//!
//! Variants are independent: each has its own event queue and draws the same workload from its
//! own copies of the seeded streams, so the same scenario and seed give the same output, byte for
//! byte. A [`Command`] sent to the simulation goes to every variant it makes sense for.

use crate::broker::{
    direct::Direct, ipc_channel::IpcChannel, kafka::Kafka, rabbitmq::RabbitMq,
    rabbitmq_stream::RabbitStream, redis_pubsub::RedisPubsub, redis_stream::RedisStream,
};
use crate::engine::state::ModelState;
use crate::engine::{
    ClassInfo, Command, CommandError, ConsumerId, DuplicateSeen, Engine, GroupId, GroupReport,
    InFlight, LossFlash, MsgId, MsgRef, Processing, ProducerId, Snapshot, Tally, Watched,
};
use crate::metrics::Series;
use crate::scenario::{secs, Broker, Nanos, QueueType, Scenario, ScenarioError, System, TopicId};
use crate::topology::{all_consumers, Topology};

pub mod params;
pub mod sweep;
mod tape;
pub mod trace;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
pub use tape::{Tape, TraceJob};

/// What a long run asks between its slices: stop now? An `AtomicBool` set from another thread
/// (Ctrl+C, the app following another message) is one.
pub trait Cancel: Sync {
    fn cancelled(&self) -> bool;
}

impl Cancel for AtomicBool {
    fn cancelled(&self) -> bool {
        self.load(Ordering::Relaxed)
    }
}

/// Cancels at its `n`-th question: a stop in the middle of a run, for tests, without timing.
#[cfg(test)]
pub(crate) struct CancelAt {
    n: usize,
    asked: std::sync::atomic::AtomicUsize,
}

#[cfg(test)]
impl CancelAt {
    pub(crate) fn new(n: usize) -> CancelAt {
        CancelAt {
            n,
            asked: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub(crate) fn asked(&self) -> usize {
        self.asked.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
impl Cancel for CancelAt {
    fn cancelled(&self) -> bool {
        self.asked.fetch_add(1, Ordering::Relaxed) + 1 >= self.n
    }
}

/// One variant's engine, whichever broker model it runs.
#[derive(Clone, Debug)]
enum AnyEngine {
    Direct(Engine<Direct>),
    Channel(Engine<IpcChannel>),
    RedisPubsub(Engine<RedisPubsub>),
    RedisStream(Engine<RedisStream>),
    Rabbitmq(Engine<RabbitMq>),
    RabbitStream(Engine<RabbitStream>),
    Kafka(Engine<Kafka>),
}

/// `$body` with `$e` bound to the engine inside, whatever its model.
macro_rules! each {
    ($any:expr, $e:ident => $body:expr) => {
        match $any {
            AnyEngine::Direct($e) => $body,
            AnyEngine::Channel($e) => $body,
            AnyEngine::RedisPubsub($e) => $body,
            AnyEngine::RedisStream($e) => $body,
            AnyEngine::Rabbitmq($e) => $body,
            AnyEngine::RabbitStream($e) => $body,
            AnyEngine::Kafka($e) => $body,
        }
    };
}

/// One variant's run: its graph and its engine.
#[derive(Clone, Debug)]
pub struct VariantSim {
    pub scenario: Arc<Scenario>,
    pub index: usize,
    pub topology: Arc<Topology>,
    engine: AnyEngine,
}

impl VariantSim {
    /// # Panics
    /// Never for a validated scenario (the index names one of its variants).
    #[must_use]
    pub fn new(scenario: Arc<Scenario>, index: usize) -> VariantSim {
        let s = &*scenario;
        let topo = Topology::build(s, &s.variants[index]);
        let consumers = all_consumers(s).len();
        let engine = match &s.variants[index].system {
            System::Direct(o) => {
                AnyEngine::Direct(Engine::new(s, &topo, Direct::new(o, consumers)))
            }
            System::Channel(o) => {
                // A channel variant's graph always has its channel node.
                let node = topo.channel.unwrap_or_default();
                AnyEngine::Channel(Engine::new(s, &topo, IpcChannel::new(o, node, consumers)))
            }
            System::Broker { broker, .. } => match broker {
                Broker::RedisPubsub(o) => {
                    AnyEngine::RedisPubsub(Engine::new(s, &topo, RedisPubsub::new(s, o, &topo)))
                }
                Broker::RedisStream(o) => {
                    AnyEngine::RedisStream(Engine::new(s, &topo, RedisStream::new(s, o, &topo)))
                }
                // A stream is a log with readers: a model of its own.
                Broker::Rabbitmq(o) if o.queue_type == QueueType::Stream => {
                    AnyEngine::RabbitStream(Engine::new(s, &topo, RabbitStream::new(s, o, &topo)))
                }
                Broker::Rabbitmq(o) => {
                    AnyEngine::Rabbitmq(Engine::new(s, &topo, RabbitMq::new(s, o, &topo)))
                }
                Broker::Kafka(o) => {
                    AnyEngine::Kafka(Engine::new(s, &topo, Kafka::new(s, o, &topo)))
                }
            },
        };
        VariantSim {
            topology: Arc::new(topo),
            scenario,
            index,
            engine,
        }
    }

    /// The variant's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.scenario.variants[self.index].name
    }

    #[must_use]
    pub fn now(&self) -> Nanos {
        each!(&self.engine, e => e.now())
    }

    #[must_use]
    pub fn next_event_time(&self) -> Option<Nanos> {
        each!(&self.engine, e => e.next_event_time())
    }

    /// Events processed so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        each!(&self.engine, e => e.events())
    }

    /// Messages created so far (the same in every variant at the same time).
    #[must_use]
    pub fn produced(&self) -> u64 {
        each!(&self.engine, e => e.world().produced())
    }

    /// Process one event. Returns false when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        each!(&mut self.engine, e => e.step())
    }

    /// Process every event up to and including `t`; the clock then reads `t`.
    pub fn run_until(&mut self, t: Nanos) {
        each!(&mut self.engine, e => e.run_until(t));
    }

    /// Keep the last hops sent, for [`VariantSim::recent_hops`] (off by default).
    pub fn keep_recent_hops(&mut self) {
        each!(&mut self.engine, e => e.keep_recent_hops());
    }

    /// Record every processing from now on (see [`Processing`]); off by default.
    pub fn record_trace(&mut self) {
        each!(&mut self.engine, e => e.record_trace());
    }

    /// The processings recorded since [`VariantSim::record_trace`], in order.
    #[must_use]
    pub fn trace(&self) -> &[Processing] {
        each!(&self.engine, e => e.trace())
    }

    /// Follow message `m` from now on (see [`trace`] for a whole message's life).
    pub fn watch(&mut self, m: MsgId) {
        each!(&mut self.engine, e => e.watch(m));
    }

    /// What the watch saw of its message so far.
    #[must_use]
    pub fn watched(&self) -> &Watched {
        each!(&self.engine, e => e.watched())
    }

    /// The last losses, oldest first (at most a few hundred).
    #[must_use]
    pub fn recent_losses(&self) -> Vec<LossFlash> {
        each!(&self.engine, e => e.world().flashes().copied().collect())
    }

    /// The last duplicates processed, oldest first (at most a few hundred).
    #[must_use]
    pub fn recent_duplicates(&self) -> Vec<DuplicateSeen> {
        each!(&self.engine, e => e.world().duplicates().copied().collect())
    }

    /// The name of consumer group `g`.
    #[must_use]
    pub fn group_name(&self, g: GroupId) -> &str {
        each!(&self.engine, e => &e.world().ledger().group(g).name)
    }

    /// The name of consumer `c`.
    #[must_use]
    pub fn consumer_name(&self, c: ConsumerId) -> &str {
        each!(&self.engine, e => e.world().consumer(c).name())
    }

    /// What message `m` is: topic, producer, size, key.
    #[must_use]
    pub fn info(&self, m: MsgRef) -> ClassInfo {
        each!(&self.engine, e => *e.world().info(m))
    }

    /// The consumer called `name`.
    #[must_use]
    pub fn consumer_index(&self, name: &str) -> Option<ConsumerId> {
        each!(&self.engine, e => {
            let w = e.world();
            w.consumer_ids().find(|&c| w.consumer(c).name() == name)
        })
    }

    /// Carry out `cmd` now.
    ///
    /// # Errors
    /// It makes no sense now; nothing changed.
    pub fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        each!(&mut self.engine, e => e.command(cmd))
    }

    /// Whether `cmd` can be carried out now.
    ///
    /// # Errors
    /// Why not.
    pub fn check_command(&self, cmd: &Command) -> Result<(), CommandError> {
        each!(&self.engine, e => e.check_command(cmd))
    }

    /// Carry out `cmd` at `at`, if it makes sense then.
    pub fn command_at(&mut self, at: Nanos, cmd: Command) {
        each!(&mut self.engine, e => e.command_at(at, cmd));
    }

    /// The raw numbers of the metrics.
    #[must_use]
    pub fn tally(&self) -> Tally {
        each!(&self.engine, e => e.tally())
    }

    /// A copy of the latencies of every delivery processed so far (see
    /// [`crate::metrics::LatencyHistogram::since`]).
    #[must_use]
    pub fn latency_histogram(&self) -> crate::metrics::LatencyHistogram {
        each!(&self.engine, e => e.latency_histogram().clone())
    }

    #[must_use]
    pub fn series(&self) -> &Series {
        each!(&self.engine, e => e.series())
    }

    #[must_use]
    pub fn groups(&self) -> Vec<GroupReport> {
        each!(&self.engine, e => e.groups(&self.scenario.topics))
    }

    #[must_use]
    pub fn state(&self) -> ModelState {
        each!(&self.engine, e => e.state())
    }

    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let mut s = self.overview();
        s.in_flight = self.in_flight().collect();
        s.recent_hops = self.recent_hops().collect();
        s
    }

    /// A snapshot without the messages (`in_flight` and `recent_hops` left empty): what a viewer
    /// reads every frame besides the messages, which it walks with [`VariantSim::in_flight`]
    /// and [`VariantSim::recent_hops`] without copying them.
    #[must_use]
    pub fn overview(&self) -> Snapshot {
        each!(&self.engine, e => e.overview())
    }

    /// Messages on the wire now.
    #[must_use]
    pub fn in_flight(&self) -> Box<dyn Iterator<Item = InFlight> + '_> {
        each!(&self.engine, e => Box::new(e.in_flight()))
    }

    /// The last hops sent (at most `engine::world::RECENT_HOPS`), finished or not, oldest first.
    #[must_use]
    pub fn recent_hops(&self) -> Box<dyn Iterator<Item = InFlight> + '_> {
        each!(&self.engine, e => Box::new(e.recent_hops()))
    }

    /// About how many bytes this variant's state takes (what a checkpoint of it costs).
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        each!(&self.engine, e => e.approx_bytes())
    }

    /// Check the ledger against what the variant really holds.
    ///
    /// # Errors
    /// A description of the first mismatch.
    pub fn audit(&self) -> Result<(), String> {
        each!(&self.engine, e => e.audit())
    }
}

/// `work` on every item, on `threads` threads (each takes the next item not yet done, in
/// `order`, so a slow one does not hold up the others' share), and `then` on each result on
/// the calling thread as it comes; what `then` makes comes back in the items' order.
///
/// Every item is worked on once whatever `order` holds: an index it repeats or that is out of
/// range is passed over, and the items it leaves out follow in their own order.
fn on_threads<I: Send, W: Send, R>(
    threads: usize,
    items: Vec<I>,
    order: &[usize],
    work: impl Fn(I) -> W + Sync,
    mut then: impl FnMut(W) -> R,
) -> Vec<R> {
    let mut items: Vec<Option<I>> = items.into_iter().map(Some).collect();
    let mut queue: Vec<(usize, I)> = order
        .iter()
        .filter_map(|&i| Some((i, items.get_mut(i)?.take()?)))
        .collect();
    queue.extend(
        items
            .into_iter()
            .enumerate()
            .filter_map(|(i, it)| Some((i, it?))),
    );
    let mut done = Vec::new();
    if threads <= 1 {
        done = queue
            .into_iter()
            .map(|(i, it)| (i, then(work(it))))
            .collect();
    } else {
        let next = std::sync::Mutex::new(queue.into_iter());
        let (finished, arrived) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let (finished, next, work) = (finished.clone(), &next, &work);
                scope.spawn(move || loop {
                    let item = next.lock().ok().and_then(|mut it| it.next());
                    let Some((i, item)) = item else { break };
                    if finished.send((i, work(item))).is_err() {
                        break;
                    }
                });
            }
            // Only the workers' senders are left: the loop ends when the last one is done.
            drop(finished);
            for (i, w) in arrived {
                done.push((i, then(w)));
            }
        });
    }
    done.sort_by_key(|&(i, _)| i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Up to this many jobs, [`schedule`] tries every order: 8! = 40,320 of them, once a run
/// (`finish_each`). It is the most variants a scenario may
/// have (`scenario::LIMITS.variants`; the build fails if that grows past it, since 12! orders
/// would take minutes); more are handed out longest first.
const TRY_EVERY_ORDER: usize = 8;
const _: () = assert!(crate::scenario::LIMITS.variants <= TRY_EVERY_ORDER);

/// The order to hand jobs of the given costs to `threads` workers, each taking the next one
/// when it is free, so that the last ends soonest. With few jobs every order is tried, the
/// first in lexicographic order that ends soonest wins (the jobs' own order when it is as
/// good as any); with more, longest first (ties in the jobs' order).
///
/// Longest first is not always best: the first 1/64 of use-cases' hour at x10 costs 0.74,
/// 0.84, 0.90, 1.09 and 1.06 M events (variants in file order); longest first starts the two
/// largest together and ends at 2.68 M on two workers, while the best order keeps them on one
/// and the three others on the other: 2.49 M (README "Performance").
fn schedule(costs: &[u64], threads: usize) -> Vec<usize> {
    let n = costs.len();
    let mut order: Vec<usize> = (0..n).collect();
    if threads <= 1 || n <= threads || costs.windows(2).all(|w| w[0] == w[1]) {
        return order;
    }
    if n > TRY_EVERY_ORDER {
        return longest_first(costs);
    }
    let mut best = (makespan(&order, costs, threads), order.clone());
    while next_permutation(&mut order) {
        let m = makespan(&order, costs, threads);
        if m < best.0 {
            best = (m, order.clone());
        }
    }
    best.1
}

/// The jobs by cost, largest first (ties in the jobs' order).
fn longest_first(costs: &[u64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(costs[i]));
    order
}

/// When the last of `threads` workers is done, each taking the next job in `order` when free.
/// Only asked with fewer workers than jobs (at most [`TRY_EVERY_ORDER`]): no allocation.
fn makespan(order: &[usize], costs: &[u64], threads: usize) -> u64 {
    let mut free = [0u64; TRY_EVERY_ORDER];
    let free = &mut free[..threads.clamp(1, TRY_EVERY_ORDER)];
    for &i in order {
        if let Some(w) = free.iter_mut().min_by_key(|f| **f) {
            *w = w.saturating_add(costs[i]);
        }
    }
    free.iter().copied().max().unwrap_or(0)
}

/// The next permutation of `v` in lexicographic order; false (and `v` unchanged) at the last.
fn next_permutation(v: &mut [usize]) -> bool {
    let Some(i) = (1..v.len()).rev().find(|&i| v[i - 1] < v[i]) else {
        return false;
    };
    let pivot = i - 1;
    let Some(j) = (i..v.len()).rev().find(|&j| v[j] > v[pivot]) else {
        return false;
    };
    v.swap(pivot, j);
    v[i..].reverse();
    true
}

/// Every selected variant of a scenario on one shared clock.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub scenario: Arc<Scenario>,
    pub variants: Vec<VariantSim>,
    now: Nanos,
    /// Threads the variants run on (at most one per variant).
    threads: usize,
}

/// Below this many events expected before the target time, variants run one after the other:
/// starting threads would cost more than it saves.
const PARALLEL_EVENTS: u64 = 50_000;

/// A run from the start on several threads first runs this fraction of it (1/64) to learn what
/// each variant costs: its events then, all variants at the same time, so the counts compare
/// and are the same on every run. Long enough that a variant's start (empty queues, first
/// faults) does not dominate; short enough that the stretch, which is handed out in file order,
/// costs little: 1/64 of use-cases' x10 hour gives the order its first 600 s give.
const PILOT_PARTS: Nanos = 64;

impl Simulation {
    /// All variants of the scenario.
    #[must_use]
    pub fn new(scenario: Scenario) -> Simulation {
        let all: Vec<usize> = (0..scenario.variants.len()).collect();
        Self::with_variants(Arc::new(scenario), &all)
    }

    #[must_use]
    pub fn with_variants(scenario: Arc<Scenario>, indexes: &[usize]) -> Simulation {
        let variants = indexes
            .iter()
            .map(|&i| VariantSim::new(Arc::clone(&scenario), i))
            .collect();
        Simulation {
            scenario,
            variants,
            now: 0,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }

    /// The variants named (all when `names` is empty), in scenario order.
    ///
    /// # Errors
    /// A name that is not a variant of the scenario.
    pub fn select(scenario: Scenario, names: &[String]) -> Result<Simulation, ScenarioError> {
        for n in names {
            if scenario.variant(n).is_none() {
                let all = scenario.variants.iter().map(|v| v.name.as_str());
                let near = crate::scenario::diagnostic::did_you_mean(n, all.clone())
                    .map_or_else(String::new, |d| format!("; {d}"));
                return Err(ScenarioError {
                    file: scenario.source.clone(),
                    line: 1,
                    col: 1,
                    message: format!(
                        "no variant named {n:?}; the scenario has: {}{near}",
                        all.collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        let idx: Vec<usize> = (0..scenario.variants.len())
            .filter(|&i| names.is_empty() || names.contains(&scenario.variants[i].name))
            .collect();
        Ok(Self::with_variants(Arc::new(scenario), &idx))
    }

    #[must_use]
    pub fn now(&self) -> Nanos {
        self.now
    }

    #[must_use]
    pub fn next_event_time(&self) -> Option<Nanos> {
        self.variants
            .iter()
            .filter_map(VariantSim::next_event_time)
            .min()
    }

    /// Advance the shared clock to the next instant at which anything happens, and process
    /// everything that happens then, in every variant. Returns false when nothing is left.
    pub fn step(&mut self) -> bool {
        match self.next_event_time() {
            Some(t) => {
                self.run_until(t);
                true
            }
            None => false,
        }
    }

    /// Process every event up to and including `t` in every variant. Variants are independent,
    /// so a long stretch runs them on several threads; the result is the same either way.
    ///
    /// On several threads the variants that have cost the most so far go first (a stretch is
    /// short next to a whole run: the search [`Simulation::finish_each`] makes would cost more
    /// than it saves when the app calls this every frame).
    pub fn run_until(&mut self, t: Nanos) {
        let threads = self.threads_for(t);
        if threads <= 1 {
            for v in &mut self.variants {
                v.run_until(t);
            }
        } else {
            let order = longest_first(&self.costs());
            on_threads(
                threads,
                self.variants.iter_mut().collect(),
                &order,
                |v| v.run_until(t),
                |()| (),
            );
        }
        self.now = self.now.max(t);
    }

    /// Run every variant to `t` and hand each to `f` as it finishes, then drop it: only the
    /// variants under way (one a thread) take memory, not all of them. What `f` makes comes
    /// back in the variants' order; the clock is then at `t`.
    ///
    /// `f` runs on the calling thread, the workers only simulate, so none of `f`'s output is
    /// allocated among a variant's memory and keeps it from going back. Under glibc's allocator,
    /// with its arena a thread, use-cases 1 h x10 peaked at 226-254 MB when the workers made the
    /// reports and 170-207 MB since; the binary's jemalloc gives freed pages back to the system
    /// whichever thread freed them (README "Performance").
    ///
    /// Variants are handed out in the order that ends soonest ([`schedule`]), by what each
    /// cost in a first stretch of the run when it starts from 0.
    pub fn finish_each<R>(
        mut self,
        t: Nanos,
        mut f: impl FnMut(&Scenario, VariantSim) -> R,
    ) -> Vec<R> {
        let threads = self.threads_for(t);
        if threads > 1 && self.variants.len() > threads && self.now == 0 {
            self.run_until(t / PILOT_PARTS);
        }
        let order = schedule(&self.costs(), threads);
        let scenario = Arc::clone(&self.scenario);
        let run = |mut v: VariantSim| {
            v.run_until(t);
            v
        };
        let variants = std::mem::take(&mut self.variants);
        on_threads(threads, variants, &order, run, |v| f(&scenario, v))
    }

    /// What each variant has cost so far: its events (all are at the same time, so they compare).
    fn costs(&self) -> Vec<u64> {
        self.variants.iter().map(VariantSim::events).collect()
    }

    /// Threads worth starting to run to `t`: one if the stretch is short.
    fn threads_for(&self, t: Nanos) -> usize {
        let threads = self.threads.min(self.variants.len());
        if threads > 1 && self.expected_events(t) >= PARALLEL_EVENTS {
            threads
        } else {
            1
        }
    }

    /// Follow message `m` in every variant from now on.
    pub fn watch(&mut self, m: MsgId) {
        for v in &mut self.variants {
            v.watch(m);
        }
    }

    /// Keep every variant's last hops (what a viewer animates).
    pub fn keep_recent_hops(&mut self) {
        for v in &mut self.variants {
            v.keep_recent_hops();
        }
    }

    /// Run variants on at most `n` threads (1: one after the other).
    pub fn set_threads(&mut self, n: usize) {
        self.threads = n.max(1);
    }

    /// Events the variants would process up to `t`, guessed from their pace so far (or taken
    /// to be many at the start, when there is no pace yet and a stretch of a second or more).
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    fn expected_events(&self, t: Nanos) -> u64 {
        let ahead = t.saturating_sub(self.now);
        if self.now == 0 {
            return if ahead >= secs(1.0) { u64::MAX } else { 0 };
        }
        let per_ns = self.events() as f64 / self.now as f64;
        (per_ns * ahead as f64) as u64
    }

    /// Run to the end of the scenario's duration.
    pub fn run(&mut self) {
        self.run_until(self.scenario.duration);
    }

    /// Carry out `cmd` now in every variant where it makes sense (a broker crash in a variant
    /// without a broker does not).
    ///
    /// # Errors
    /// It makes sense in no variant: the first variant's reason. Nothing changed then.
    pub fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        let mut first_error = None;
        let mut done = false;
        for v in &mut self.variants {
            match v.command(cmd) {
                Ok(()) => done = true,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match (done, first_error) {
            (false, Some(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Carry out `cmd` at `at` in every variant, where it makes sense then.
    pub fn command_at(&mut self, at: Nanos, cmd: Command) {
        for v in &mut self.variants {
            v.command_at(at, cmd);
        }
    }

    /// The consumer called `name` (the same id in every variant).
    #[must_use]
    pub fn consumer(&self, name: &str) -> Option<ConsumerId> {
        all_consumers(&self.scenario)
            .iter()
            .position(|(c, _)| c.name == name)
            .and_then(ConsumerId::from_ix)
    }

    /// The producer called `name`.
    #[must_use]
    pub fn producer(&self, name: &str) -> Option<ProducerId> {
        self.scenario
            .producers
            .iter()
            .position(|p| p.name == name)
            .and_then(ProducerId::from_ix)
    }

    /// The topic called `name`.
    #[must_use]
    pub fn topic(&self, name: &str) -> Option<TopicId> {
        self.scenario
            .topics
            .binary_search_by(|t| t.as_str().cmp(name))
            .ok()
            .and_then(|i| TopicId::try_from(i).ok())
    }

    #[must_use]
    pub fn events(&self) -> u64 {
        self.variants.iter().map(VariantSim::events).sum()
    }

    /// [`VariantSim::audit`] for every variant.
    ///
    /// # Errors
    /// The first variant whose ledger does not match what it holds.
    pub fn audit(&self) -> Result<(), String> {
        for v in &self.variants {
            v.audit().map_err(|e| format!("{}: {e}", v.name()))?;
        }
        Ok(())
    }
}

/// Seconds as given on a command line to simulated time.
#[must_use]
pub fn at_secs(s: f64) -> Nanos {
    secs(s)
}

#[cfg(test)]
mod tests {
    use super::{longest_first, makespan, next_permutation, on_threads, schedule, TRY_EVERY_ORDER};

    /// Longest first (the textbook rule) starts the two largest together; the best order keeps
    /// them on one thread: the order found ends no later than longest first, and here sooner.
    #[test]
    fn the_order_found_ends_soonest_where_longest_first_does_not() {
        // use-cases at x10: the events of each variant in the first 1/64 of the hour (what
        // `finish_each` counts) and in its first 600 s: the same order either way.
        let pilot = [742_511, 843_680, 904_090, 1_093_203, 1_055_350];
        let longer = [8_329_132, 10_052_657, 9_954_585, 12_185_875, 12_632_199];
        let order = schedule(&pilot, 2);
        assert_eq!(order, schedule(&longer, 2));
        assert_eq!(order, vec![0, 3, 1, 4, 2]);
        let costs = pilot;
        let (found, lpt) = (
            makespan(&order, &costs, 2),
            makespan(&longest_first(&costs), &costs, 2),
        );
        // The three smallest on one thread, the two largest on the other.
        assert_eq!(found, costs[0] + costs[1] + costs[2]);
        assert_eq!((found, lpt), (2_490_281, 2_679_394));
        // Every order: none ends sooner.
        let mut p: Vec<usize> = (0..costs.len()).collect();
        loop {
            assert!(makespan(&p, &costs, 2) >= found, "{p:?}");
            if !next_permutation(&mut p) {
                break;
            }
        }
    }

    #[test]
    fn equal_costs_few_jobs_or_one_thread_keep_the_jobs_order() {
        assert_eq!(schedule(&[5, 5, 5, 5], 2), vec![0, 1, 2, 3]);
        assert_eq!(schedule(&[1, 9, 3], 1), vec![0, 1, 2]);
        assert_eq!(schedule(&[1, 9], 2), vec![0, 1]);
        assert_eq!(schedule(&[], 4), Vec::<usize>::new());
    }

    #[test]
    fn many_jobs_go_longest_first_and_every_job_once() {
        let costs: Vec<u64> = (0..=TRY_EVERY_ORDER as u64).map(|i| (i * 7) % 10).collect();
        let order = schedule(&costs, 3);
        assert!(
            order.windows(2).all(|w| costs[w[0]] >= costs[w[1]]),
            "{order:?}"
        );
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..costs.len()).collect::<Vec<_>>());
    }

    #[test]
    fn costs_that_overflow_when_added_saturate() {
        assert_eq!(makespan(&[0, 1], &[u64::MAX, u64::MAX], 1), u64::MAX);
        assert_eq!(schedule(&[u64::MAX, 1, u64::MAX], 2).len(), 3);
    }

    /// The most variants a scenario may have, on every thread count below: each variant once,
    /// an order no worse than longest first, and the best there is on two threads.
    #[test]
    fn eight_variants_on_any_thread_count_get_an_order_no_worse_than_longest_first() {
        let costs = [7, 3, 9, 1, 4, 8, 2, 6];
        for threads in 2..costs.len() {
            let order = schedule(&costs, threads);
            let mut seen = order.clone();
            seen.sort_unstable();
            assert_eq!(seen, (0..costs.len()).collect::<Vec<_>>());
            let found = makespan(&order, &costs, threads);
            let total: u64 = costs.iter().sum();
            // At least the largest job, and at least an even share of all.
            assert!(
                found >= 9 && found * threads as u64 >= total,
                "{threads}: {found}"
            );
            assert!(found <= makespan(&longest_first(&costs), &costs, threads));
        }
        // Two threads: 40 in all, 20 each is possible (9+7+4 / 8+6+3+2+1).
        assert_eq!(makespan(&schedule(&costs, 2), &costs, 2), 20);
    }

    #[test]
    fn permutations_come_in_lexicographic_order_every_one_once() {
        let mut p = vec![0, 1, 2, 3];
        let mut all = vec![p.clone()];
        while next_permutation(&mut p) {
            all.push(p.clone());
        }
        assert_eq!(all.len(), 24);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(p, vec![3, 2, 1, 0], "the last one stays");
    }

    /// Jobs are handed out in the order given and what they make comes back in theirs.
    #[test]
    fn on_threads_hands_out_in_order_and_returns_in_the_items_order() {
        for threads in [1, 2, 3] {
            let started = std::sync::Mutex::new(Vec::new());
            let made = on_threads(
                threads,
                vec!['a', 'b', 'c', 'd'],
                &[2, 0, 3, 1],
                |c| {
                    started.lock().expect("not poisoned").push(c);
                    c.to_ascii_uppercase()
                },
                |c| c,
            );
            assert_eq!(made, vec!['A', 'B', 'C', 'D'], "{threads} threads");
            if threads == 1 {
                let started = started.into_inner().expect("not poisoned");
                assert_eq!(started, vec!['c', 'a', 'd', 'b']);
            }
        }
        // An order that repeats, leaves out or overshoots: every item still once.
        let made = on_threads(2, vec![1, 2, 3, 4], &[3, 3, 9, 0], |x| x * 10, |x| x);
        assert_eq!(made, vec![10, 20, 30, 40]);
    }
}
