//! The discrete-event engine: one workload through every variant, on one clock.
//!
//! ```text
//!   Simulation ── VariantSim (variant 1) ── World (clock, events, consumers, ledger) + Model
//!              ├─ VariantSim (variant 2)
//!              └─ ...
//! ```
//!
//! Each variant runs its own event queue; events are ordered by (time, sequence number). The
//! workload draws from one ChaCha stream per publish entry, seeded from the scenario's seed, so
//! every variant sees exactly the same messages at the same instants; consumers' service times
//! draw from another stream. Same scenario and seed, same output, byte for byte.

pub mod ledger;
mod queue;
pub mod world;

use crate::broker::{Down, Model, ModelState};
use crate::metrics::{Metrics, Series};
use crate::scenario::{
    secs, to_secs, Arrivals, Fault, FaultKind, Nanos, Scenario, ScenarioError, TopicId,
};
use crate::topology::{all_consumers, NodeId, Topology};
use ledger::{GroupId, MsgId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::sync::Arc;
use world::{ConsumerRt, HopKind, LossFlash, Message, Next, Processing, Status, World};

/// One thing that happens at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A publish entry creates its next message.
    Produce { stream: u32 },
    /// A consumer finished processing (void if its epoch moved on).
    ServiceDone { consumer: u32, epoch: u32 },
    /// A fault starts, or heals.
    Fault { index: u32, heal: bool },
    /// Time to sample the time series.
    Sample,
    /// A model's own timer.
    Timer { kind: u8, a: u32, b: u32 },
}

#[derive(Clone, Debug)]
struct Stream {
    producer: u16,
    topic: TopicId,
    rate: f64,
    keys: u32,
    key_base: u32,
    size: u32,
    arrivals: Arrivals,
    rng: ChaCha8Rng,
}

impl Stream {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn gap(&mut self) -> Nanos {
        let mean = 1e9 / self.rate;
        let g = match self.arrivals {
            Arrivals::Constant => mean,
            Arrivals::Poisson => {
                let u: f64 = self.rng.random();
                -(1.0 - u).ln() * mean
            }
        };
        (g.round() as Nanos).max(1)
    }
}

/// One variant's run: its graph, its world and its broker model.
#[derive(Clone, Debug)]
pub struct VariantSim {
    pub scenario: Arc<Scenario>,
    pub index: usize,
    pub topology: Arc<Topology>,
    world: World,
    model: Model,
    streams: Vec<Stream>,
    faults: Vec<Fault>,
    series: Series,
    last_sample: (Nanos, u64),
    events: u64,
}

/// A message on the wire, for a viewer to animate.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct InFlight {
    pub msg: MsgId,
    pub topic: TopicId,
    pub from: NodeId,
    pub to: NodeId,
    pub depart: Nanos,
    pub arrive: Nanos,
    pub kind: HopKind,
    /// False for a delivery whose consumer went away: it travels on, to be dropped.
    pub live: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsumerView {
    pub name: String,
    pub node: NodeId,
    pub group: String,
    pub status: Status,
    pub link_down: bool,
    pub slow_factor: f64,
    /// Messages in its memory (processing + waiting).
    pub held: u64,
    pub processed: u64,
}

/// A read-only picture of one variant at one instant.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub now: Nanos,
    pub in_flight: Vec<InFlight>,
    pub consumers: Vec<ConsumerView>,
    pub producers_link_down: Vec<bool>,
    pub model: ModelState,
    pub recent_losses: Vec<LossFlash>,
    /// The last hops sent (at most `world::RECENT_HOPS`), finished or not, oldest first.
    pub recent_hops: Vec<InFlight>,
}

/// Delivery counters of one consumer group (the `groups` of `run --format json`).
#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    pub name: String,
    pub topics: Vec<String>,
    pub delivered: u64,
    pub lost: u64,
    pub pending: u64,
    pub duplicates: u64,
    pub replayed: u64,
    pub lag: u64,
}

/// A fault that cannot be applied (a name that is not in the scenario).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultError(pub String);

impl VariantSim {
    /// # Panics
    /// Never for a validated scenario (the index names one of its variants).
    #[must_use]
    pub fn new(scenario: Arc<Scenario>, index: usize) -> VariantSim {
        let s = &*scenario;
        let v = &s.variants[index];
        let topology = Arc::new(Topology::build(s, v));
        let mut key_slots = 0u32;
        let mut streams = Vec::new();
        for (pi, p) in s.producers.iter().enumerate() {
            for pb in &p.publish {
                let i = streams.len() as u64;
                let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
                rng.set_stream(100 + i);
                streams.push(Stream {
                    producer: u16::try_from(pi).unwrap_or(0),
                    topic: pb.topic,
                    rate: pb.rate_per_s,
                    keys: pb.keys,
                    key_base: key_slots,
                    size: pb.size_bytes,
                    arrivals: pb.arrivals,
                    rng,
                });
                key_slots += pb.keys;
            }
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let expected_msgs = s
            .producers
            .iter()
            .flat_map(|p| &p.publish)
            .map(|pb| pb.rate_per_s * to_secs(s.duration))
            .sum::<f64>()
            .min(crate::scenario::LIMITS.messages) as usize;
        let mut world = World::new(s.seed, s.latency, expected_msgs + 16, key_slots as usize);
        world.producer_nodes.clone_from(&topology.producers);
        world.producer_link_down = vec![false; s.producers.len()];
        for (ci, (c, at)) in all_consumers(s).iter().enumerate() {
            world.consumers.push(ConsumerRt {
                name: c.name.clone(),
                node: topology.consumers[ci],
                group: 0,
                topics: crate::broker::subscriptions(s, v, &c.subscribe),
                service: c.service,
                dist: c.service_dist,
                status: if at.is_some() {
                    Status::NotJoined
                } else {
                    Status::Online
                },
                link_down: false,
                slow: 1.0,
                inbox: std::collections::VecDeque::new(),
                busy: None,
                epoch: 0,
                processed: 0,
            });
        }
        let model = Model::new(s, v, &topology);
        let mut sim = VariantSim {
            faults: s.faults.clone(),
            scenario: Arc::clone(&scenario),
            index,
            topology,
            world,
            model,
            streams,
            series: Series::default(),
            last_sample: (0, 0),
            events: 0,
        };
        sim.start();
        sim
    }

    fn start(&mut self) {
        let n_topics = self.scenario.topics.len();
        for c in 0..self.world.consumers.len() {
            if self.world.consumers[c].status == Status::Online {
                self.join(u32::try_from(c).unwrap_or(0), n_topics);
            }
        }
        for i in 0..self.streams.len() {
            let first = self.streams[i].gap();
            if first <= self.scenario.duration {
                self.world.schedule(
                    first,
                    Event::Produce {
                        stream: u32::try_from(i).unwrap_or(0),
                    },
                );
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            self.world.queue.push(
                f.at,
                Event::Fault {
                    index: u32::try_from(i).unwrap_or(0),
                    heal: false,
                },
            );
            if let Some(u) = f.until {
                self.world.queue.push(
                    u,
                    Event::Fault {
                        index: u32::try_from(i).unwrap_or(0),
                        heal: true,
                    },
                );
            }
        }
        self.world
            .schedule(self.scenario.sample_step, Event::Sample);
    }

    fn join(&mut self, c: u32, n_topics: usize) {
        let k = &self.world.consumers[c as usize];
        let (group, topics) = (
            all_consumers(&self.scenario)
                .get(c as usize)
                .map(|(x, _)| x.group.clone()),
            k.topics.clone(),
        );
        let group = group.unwrap_or_else(|| k.name.clone());
        let gid = self.world.ledger.join(&group, &topics, n_topics, c);
        let k = &mut self.world.consumers[c as usize];
        k.group = gid;
        k.status = Status::Online;
        self.model.get().consumer_up(&mut self.world, c);
    }

    #[must_use]
    pub fn now(&self) -> Nanos {
        self.world.now
    }

    #[must_use]
    pub fn next_event_time(&self) -> Option<Nanos> {
        self.world.next_time()
    }

    /// Events processed so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Process one event. Returns false when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        let Some((time, next)) = self.world.pop() else {
            return false;
        };
        self.world.now = time;
        self.events += 1;
        match next {
            Next::Event(e) => self.handle(e),
            Next::Hop(h) => {
                if self.world.hop_is_live(&h) {
                    self.model.get().arrive(&mut self.world, h);
                }
            }
        }
        true
    }

    /// Process every event up to and including `t`; the clock then reads `t`.
    pub fn run_until(&mut self, t: Nanos) {
        while self.world.next_time().is_some_and(|x| x <= t) {
            self.step();
        }
        self.world.now = self.world.now.max(t);
    }

    fn handle(&mut self, e: Event) {
        let w = &mut self.world;
        match e {
            Event::Produce { stream } => {
                let s = &mut self.streams[stream as usize];
                let (key, key_slot) = if s.keys > 0 {
                    let k = s.rng.random_range(0..s.keys);
                    (k + 1, s.key_base + k)
                } else {
                    (0, u32::MAX)
                };
                let m = MsgId::try_from(w.msgs.len()).unwrap_or(MsgId::MAX);
                w.msgs.push(Message {
                    topic: s.topic,
                    key,
                    key_slot,
                    size: s.size,
                    producer: s.producer,
                    created: w.now,
                });
                let next = w.now + s.gap();
                w.ledger.publish(m, s.topic);
                if next <= self.scenario.duration {
                    w.schedule(next, Event::Produce { stream });
                }
                self.model.get().publish(w, m);
            }
            Event::ServiceDone { consumer, epoch } => {
                let k = &mut w.consumers[consumer as usize];
                if k.epoch != epoch {
                    return;
                }
                let Some(d) = k.busy.take() else { return };
                k.processed += 1;
                let g = k.group;
                let msg = w.msgs[d.msg as usize];
                let outcome = w
                    .ledger
                    .process(d.msg, g, msg.created, w.now, msg.key_slot());
                if let Some(t) = &mut w.trace {
                    t.push(Processing {
                        at: w.now,
                        consumer,
                        msg: d.msg,
                        tag: d.tag,
                        aux: d.aux,
                        redelivered: d.redelivered,
                        outcome,
                    });
                }
                self.model.get().processed(w, consumer, d);
                w.start_service(consumer);
            }
            Event::Fault { index, heal } => {
                let f = self.faults[index as usize].clone();
                self.apply(&f, heal);
            }
            Event::Sample => {
                self.sample();
                if self.series.len() < 2 * crate::scenario::LIMITS.samples as usize {
                    let w = &mut self.world;
                    w.schedule(w.now + self.scenario.sample_step, Event::Sample);
                }
            }
            Event::Timer { kind, a, b } => self.model.get().timer(w, kind, a, b),
        }
    }

    #[allow(clippy::cast_precision_loss)]
    fn sample(&mut self) {
        let w = &mut self.world;
        let (t0, d0) = self.last_sample;
        let dt = to_secs(w.now - t0);
        let d = w.ledger.total.delivered;
        let rate = if dt > 0.0 { (d - d0) as f64 / dt } else { 0.0 };
        self.series.push(
            to_secs(w.now),
            rate,
            w.ledger.total.pending,
            w.ledger.total.lost,
            w.ledger.window.p99_ms(),
        );
        w.ledger.window.clear();
        self.last_sample = (w.now, d);
    }

    /// Record every processing from now on (see [`Processing`]); off by default, so that a run
    /// that does not ask for it keeps nothing per message.
    pub fn record_trace(&mut self) {
        if self.world.trace.is_none() {
            self.world.trace = Some(Vec::new());
        }
    }

    /// The processings recorded since [`VariantSim::record_trace`], in order.
    #[must_use]
    pub fn trace(&self) -> &[Processing] {
        self.world.trace.as_deref().unwrap_or(&[])
    }

    /// A message as its producer created it.
    #[must_use]
    pub fn message(&self, m: MsgId) -> Option<&Message> {
        self.world.msgs.get(m as usize)
    }

    /// The engine's index of the consumer called `name` (as in [`Processing::consumer`]).
    #[must_use]
    pub fn consumer_index(&self, name: &str) -> Option<u32> {
        self.world
            .consumers
            .iter()
            .position(|c| c.name == name)
            .and_then(|i| u32::try_from(i).ok())
    }

    fn take_down(&mut self, c: u32, how: Down) {
        self.world.take_held(c);
        self.model.get().consumer_down(&mut self.world, c, how);
    }

    fn apply(&mut self, f: &Fault, heal: bool) {
        let target = f.target.as_deref().unwrap_or("");
        let topic = || {
            self.scenario
                .topics
                .binary_search_by(|t| t.as_str().cmp(target))
                .ok()
                .and_then(|i| TopicId::try_from(i).ok())
        };
        match f.kind {
            FaultKind::ConsumerOffline | FaultKind::ConsumerCrash => {
                let Some(c) = self.consumer_index(target) else {
                    return;
                };
                let (down, how) = if f.kind == FaultKind::ConsumerOffline {
                    (Status::Offline, Down::Offline)
                } else {
                    (Status::Crashed, Down::Crash)
                };
                let status = self.world.consumers[c as usize].status;
                if !heal && status == Status::Online {
                    let was_connected = self.world.consumers[c as usize].connected();
                    self.world.consumers[c as usize].status = down;
                    if was_connected {
                        self.take_down(c, how);
                    }
                } else if heal && status == down {
                    self.world.consumers[c as usize].status = Status::Online;
                    if self.world.consumers[c as usize].connected() {
                        self.model.get().consumer_up(&mut self.world, c);
                    }
                }
            }
            FaultKind::ConsumerSlow => {
                if let Some(c) = self.consumer_index(target) {
                    self.world.consumers[c as usize].slow = if heal { 1.0 } else { f.factor };
                }
            }
            FaultKind::LinkDown => {
                if let Some(c) = self.consumer_index(target) {
                    let k = &mut self.world.consumers[c as usize];
                    let was = k.connected();
                    k.link_down = !heal;
                    let now = k.connected();
                    if was && !now {
                        self.take_down(c, Down::LinkDown);
                    } else if !was && now {
                        self.model.get().consumer_up(&mut self.world, c);
                    }
                } else if let Some(p) = self
                    .scenario
                    .producers
                    .iter()
                    .position(|p| p.name == target)
                {
                    self.world.producer_link_down[p] = !heal;
                    if heal {
                        self.model
                            .get()
                            .producer_up(&mut self.world, u32::try_from(p).unwrap_or(0));
                    }
                }
            }
            FaultKind::BrokerCrash => {
                let t = if target.is_empty() { None } else { topic() };
                if heal {
                    self.model.get().broker_restart(&mut self.world, t);
                } else {
                    self.model.get().broker_crash(&mut self.world, t);
                }
            }
            FaultKind::AddConsumer => {
                let Some(spec) = &f.consumer else { return };
                let Some(c) = self.consumer_index(&spec.name) else {
                    return;
                };
                if self.world.consumers[c as usize].status == Status::NotJoined {
                    self.join(c, self.scenario.topics.len());
                }
            }
        }
    }

    /// Apply a fault at the current time (or at `f.at` if later): what a viewer's context menu does.
    ///
    /// # Errors
    /// The fault names a consumer, producer or topic the scenario does not have, or adds a
    /// consumer that was not declared (a viewer can only add consumers the scenario knows).
    pub fn inject(&mut self, f: Fault) -> Result<(), FaultError> {
        let target = f.target.clone().unwrap_or_default();
        let known = match f.kind {
            FaultKind::ConsumerOffline | FaultKind::ConsumerCrash | FaultKind::ConsumerSlow => {
                self.consumer_index(&target).is_some()
            }
            FaultKind::LinkDown => {
                self.consumer_index(&target).is_some()
                    || self.scenario.producers.iter().any(|p| p.name == target)
            }
            FaultKind::BrokerCrash => target.is_empty() || self.scenario.topics.contains(&target),
            FaultKind::AddConsumer => f
                .consumer
                .as_ref()
                .is_some_and(|c| self.consumer_index(&c.name).is_some()),
        };
        if !known {
            return Err(FaultError(format!(
                "{} has nothing called {target:?} to act on",
                f.kind.name()
            )));
        }
        let at = f.at.max(self.world.now);
        let index = u32::try_from(self.faults.len()).unwrap_or(u32::MAX);
        if let Some(u) = f.until {
            self.world
                .queue
                .push(u.max(at + 1), Event::Fault { index, heal: true });
        }
        self.world
            .queue
            .push(at, Event::Fault { index, heal: false });
        self.faults.push(f);
        Ok(())
    }

    #[must_use]
    pub fn metrics(&self) -> Metrics {
        let w = &self.world;
        Metrics::new(
            w.msgs.len() as u64,
            &w.ledger.total,
            &w.ledger.latency,
            self.topology.cost,
            to_secs(w.now),
            w.stored_bytes_peak,
        )
    }

    #[must_use]
    pub fn series(&self) -> &Series {
        &self.series
    }

    #[must_use]
    pub fn groups(&self) -> Vec<GroupReport> {
        let w = &self.world;
        (0..w.ledger.groups.len())
            .map(|gi| {
                let g = &w.ledger.groups[gi];
                let gid = GroupId::try_from(gi).unwrap_or(0);
                GroupReport {
                    name: g.name.clone(),
                    topics: (0..g.topics.len())
                        .filter(|&t| g.topics[t])
                        .map(|t| self.scenario.topics[t].clone())
                        .collect(),
                    delivered: g.counters.delivered,
                    lost: g.counters.lost,
                    pending: g.counters.pending,
                    duplicates: g.counters.duplicates,
                    replayed: g.counters.replayed,
                    lag: self
                        .model
                        .view()
                        .group_lag(w, gid)
                        .unwrap_or(g.counters.pending),
                }
            })
            .collect()
    }

    #[must_use]
    pub fn state(&self) -> ModelState {
        self.model.view().state(&self.world)
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
        let w = &self.world;
        Snapshot {
            now: w.now,
            in_flight: Vec::new(),
            consumers: w
                .consumers
                .iter()
                .map(|k| ConsumerView {
                    name: k.name.clone(),
                    node: k.node,
                    group: w
                        .ledger
                        .groups
                        .get(k.group as usize)
                        .map(|g| g.name.clone())
                        .unwrap_or_default(),
                    status: k.status,
                    link_down: k.link_down,
                    slow_factor: k.slow,
                    held: k.held() as u64,
                    processed: k.processed,
                })
                .collect(),
            producers_link_down: w.producer_link_down.clone(),
            model: self.state(),
            recent_losses: w.flashes.iter().copied().collect(),
            recent_hops: Vec::new(),
        }
    }

    fn in_flight_view(&self, h: &world::Hop) -> InFlight {
        let w = &self.world;
        InFlight {
            msg: h.msg,
            topic: w.msgs[h.msg as usize].topic,
            from: h.from,
            to: h.to,
            depart: h.depart,
            arrive: h.arrive,
            kind: h.kind,
            live: w.hop_is_live(h),
        }
    }

    /// Messages on the wire now.
    pub fn in_flight(&self) -> impl Iterator<Item = InFlight> + '_ {
        self.world.hops().map(|h| self.in_flight_view(h))
    }

    /// The last hops sent (at most `world::RECENT_HOPS`), finished or not, oldest first.
    pub fn recent_hops(&self) -> impl Iterator<Item = InFlight> + '_ {
        self.world
            .recent_hops
            .iter()
            .map(|h| self.in_flight_view(h))
    }

    /// Check the ledger against what the variant really holds. For every pending delivery, the
    /// number of copies the ledger counts must equal the places that hold one (hops, consumer
    /// memory, the model's queues, buffers and logs), and the counters must add up.
    ///
    /// # Errors
    /// A description of the first mismatch.
    pub fn audit(&self) -> Result<(), String> {
        let w = &self.world;
        let t = &w.ledger.total;
        if !t.conserved() {
            return Err(format!(
                "expected {} != delivered {} + lost {} + pending {}",
                t.expected, t.delivered, t.lost, t.pending
            ));
        }
        let mut held: std::collections::HashMap<(MsgId, GroupId), u32> =
            std::collections::HashMap::new();
        let mut count = |m: MsgId, g: GroupId| {
            if w.ledger.is_pending(m, g) {
                *held.entry((m, g)).or_default() += 1;
            }
        };
        for h in w.hops() {
            match h.kind {
                HopKind::Publish => {
                    for g in w.ledger.pending_groups(h.msg) {
                        count(h.msg, g);
                    }
                }
                HopKind::Deliver if w.hop_is_live(h) => {
                    count(h.msg, w.consumers[h.consumer as usize].group)
                }
                _ => {}
            }
        }
        for k in &w.consumers {
            for d in k.busy.iter().chain(k.inbox.iter()) {
                count(d.msg, k.group);
            }
        }
        self.model.view().check(w)?;
        self.model.view().holdings(w, &mut count);
        let mut pending = 0u64;
        for (m, g, copies) in w.ledger.pending_cells() {
            pending += 1;
            let places = held.get(&(m, g)).copied().unwrap_or(0);
            if u32::from(copies) != places {
                return Err(format!(
                    "message {m} for group {:?}: ledger counts {copies} copies, {places} places hold it",
                    w.ledger.groups[g as usize].name
                ));
            }
        }
        if pending != t.pending {
            return Err(format!(
                "pending counter {} but {pending} pending cells",
                t.pending
            ));
        }
        let per_group: u64 = w.ledger.groups.iter().map(|g| g.counters.pending).sum();
        if per_group != t.pending {
            return Err(format!(
                "groups' pending add up to {per_group}, total says {}",
                t.pending
            ));
        }
        Ok(())
    }
}

/// Every selected variant of a scenario on one shared clock.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub scenario: Arc<Scenario>,
    pub variants: Vec<VariantSim>,
    now: Nanos,
}

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
        }
    }

    /// The variants named (all when `names` is empty), in scenario order.
    ///
    /// # Errors
    /// A name that is not a variant of the scenario.
    pub fn select(scenario: Scenario, names: &[String]) -> Result<Simulation, ScenarioError> {
        for n in names {
            if scenario.variant(n).is_none() {
                return Err(ScenarioError {
                    file: scenario.source.clone(),
                    line: 1,
                    col: 1,
                    message: format!(
                        "no variant named {n:?}; the scenario has: {}",
                        scenario
                            .variants
                            .iter()
                            .map(|v| v.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
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

    pub fn run_until(&mut self, t: Nanos) {
        for v in &mut self.variants {
            v.run_until(t);
        }
        self.now = self.now.max(t);
    }

    /// Run to the end of the scenario's duration.
    pub fn run(&mut self) {
        self.run_until(self.scenario.duration);
    }

    /// Apply a fault to every variant.
    ///
    /// # Errors
    /// See [`VariantSim::inject`].
    pub fn inject(&mut self, f: &Fault) -> Result<(), FaultError> {
        for v in &mut self.variants {
            v.inject(f.clone())?;
        }
        Ok(())
    }

    #[must_use]
    pub fn events(&self) -> u64 {
        self.variants.iter().map(VariantSim::events).sum()
    }

    /// The report `run --format json` prints.
    #[must_use]
    pub fn report(&self) -> Report {
        Report {
            scenario: self.scenario.source.clone(),
            title: self.scenario.title.en.clone(),
            seed: self.scenario.seed,
            until_s: to_secs(self.now),
            variants: self
                .variants
                .iter()
                .map(|v| {
                    let var = &self.scenario.variants[v.index];
                    VariantReport {
                        name: var.name.clone(),
                        shape: var.shape.name().to_owned(),
                        broker: var.broker.map(|b| b.name().to_owned()),
                        metrics: v.metrics(),
                        groups: v.groups(),
                        state: v.state(),
                    }
                })
                .collect(),
        }
    }

    /// [`VariantSim::audit`] for every variant.
    ///
    /// # Errors
    /// The first variant whose ledger does not match what it holds.
    pub fn audit(&self) -> Result<(), String> {
        for v in &self.variants {
            v.audit()
                .map_err(|e| format!("{}: {e}", self.scenario.variants[v.index].name))?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub title: String,
    pub seed: u64,
    pub until_s: f64,
    pub variants: Vec<VariantReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VariantReport {
    pub name: String,
    pub shape: String,
    pub broker: Option<String>,
    pub metrics: Metrics,
    pub groups: Vec<GroupReport>,
    /// What a learner can see inside the systems (queues, buffers, partitions, brokers).
    pub state: ModelState,
}

/// Seconds as given on a command line to simulated time.
#[must_use]
pub fn at_secs(s: f64) -> Nanos {
    secs(s)
}
