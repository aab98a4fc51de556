//! The engine: one variant's discrete-event simulation, and the port broker models plug into.
//!
//! ```text
//!   Engine<M> ── World (clock, event queue + hop lane, messages, consumers, ledger)
//!       │          ▲ private fields; models act through a Port:
//!       │          │   send / hold / release / deliver / schedule
//!       └── M: BrokerModel (queues, buffers, logs, offsets of one real system)
//! ```
//!
//! Events are ordered by (time, sequence number), so equal times run first-in, first-out. The
//! workload draws from one ChaCha stream per publish entry, seeded from the scenario's seed, so
//! every variant sees exactly the same messages at the same instants; consumers' service times
//! draw from another stream. Same scenario and seed, same output, byte for byte.
//!
//! The copy-accounting rule that keeps the ledger honest is written once, in [`port`]'s docs.

mod command;
mod consumer;
pub mod fifo;
pub mod ids;
pub mod ledger;
pub mod message;
pub mod port;
mod queue;
pub mod reflog;
pub mod state;
mod view;
pub mod watch;
mod workload;
pub mod world;

pub use command::{Command, CommandError, Endpoint};
pub use consumer::{ConsumerRt, Delivery, KeptWhole, SmallTag, Status};
pub use fifo::Fifo;
pub use ids::{ConsumerId, GroupId, MsgId, ProducerId};
pub use ledger::{CellState, Processed, Release};
pub use message::{ClassInfo, MsgClass, MsgRef};
pub use port::{BrokerModel, Down, Port, Tags};
pub use reflog::{RefBlock, RefLog};
pub use view::{ConsumerView, GroupReport, InFlight, Snapshot, Tally};
pub use watch::{Note, Step, TraceEvent, Watched, MAX_WATCHED_EVENTS};
pub use world::{DuplicateSeen, Hop, HopKind, Leg, LossFlash, Origin, Processing, World};

use crate::metrics::Series;
use crate::scenario::{to_secs, FaultAction, Nanos, Scenario};
use crate::topology::{all_consumers, Topology};
use world::{Event, Next};

/// Bytes a collection's allocation holds (capacity x element size).
#[must_use]
pub fn bytes_of<T>(capacity: usize) -> usize {
    capacity.saturating_mul(std::mem::size_of::<T>())
}

/// Creation times no group waits for are let go every this many messages.
const FORGET_EVERY: u32 = 4096;

/// A scenario fault with its names resolved to ids.
#[derive(Clone, Copy, Debug)]
enum Planned {
    /// Offline or crash: the consumer goes down this way, and heals only from it.
    Down(ConsumerId, Status),
    Slow(ConsumerId, f64),
    Link(Endpoint),
    Broker(Option<crate::scenario::TopicId>),
    Join(ConsumerId),
    /// Names nothing in this variant (cannot happen for a validated scenario).
    Nothing,
}

/// One variant's run: its world and its broker model.
#[derive(Clone, Debug)]
pub struct Engine<M: BrokerModel> {
    world: World<M::Tags>,
    model: M,
    streams: Vec<workload::Stream>,
    faults: Vec<Planned>,
    /// Commands sent for later, in the order sent.
    commands: Vec<Command>,
    /// The group each consumer joins (its own name if it names none).
    group_names: Vec<String>,
    /// The broker system that carries each topic.
    system_of_topic: Vec<usize>,
    n_topics: usize,
    duration: Nanos,
    sample_step: Nanos,
    series: Series,
    last_sample: (Nanos, u64),
    events: u64,
    /// Reused for what a departing consumer held.
    scratch: Vec<Delivery<<M::Tags as Tags>::Delivery>>,
}

impl<M: BrokerModel> Engine<M> {
    /// The variant `v` of scenario `s`, laid out as `topo`, with its broker model.
    #[must_use]
    pub fn new(s: &Scenario, topo: &Topology, model: M) -> Self {
        let (streams, classes, key_slots) = workload::streams(s);
        let mut world = World::new(
            s.seed,
            s.latency,
            classes,
            key_slots as usize,
            s.topics.len(),
        );
        world.set_producers(topo.producers.clone());
        let mut group_names = Vec::new();
        for (ci, (c, at)) in all_consumers(s).iter().enumerate() {
            let status = if at.is_some() {
                Status::NotJoined
            } else {
                Status::Online
            };
            world.consumers.push(ConsumerRt::new(
                c.name.clone(),
                topo.consumers[ci],
                model.subscriptions(&c.subscribe),
                c.service,
                c.service_dist,
                status,
            ));
            group_names.push(c.group.clone());
        }
        let mut engine = Engine {
            faults: s
                .faults
                .iter()
                .map(|f| plan(s, &world, &f.action))
                .collect(),
            world,
            model,
            streams,
            commands: Vec::new(),
            group_names,
            system_of_topic: topo.broker_of_topic.clone(),
            n_topics: s.topics.len(),
            duration: s.duration,
            sample_step: s.sample_step,
            series: Series::default(),
            last_sample: (0, 0),
            events: 0,
            scratch: Vec::new(),
        };
        engine.start(s);
        engine
    }

    fn start(&mut self, s: &Scenario) {
        for c in self.world.consumer_ids().collect::<Vec<_>>() {
            if self.world.consumer(c).status() == Status::Online {
                self.join(c);
            }
        }
        for i in 0..self.streams.len() {
            let first = self.streams[i].gap();
            if first <= self.duration {
                let stream = u32::try_from(i).unwrap_or(u32::MAX);
                self.world.schedule(first, Event::Produce { stream });
            }
        }
        for (i, f) in s.faults.iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            self.world
                .schedule(f.at, Event::Fault { index, heal: false });
            if let Some(u) = f.until() {
                self.world.schedule(u, Event::Fault { index, heal: true });
            }
        }
        self.world.schedule(self.sample_step, Event::Sample);
    }

    fn join(&mut self, c: ConsumerId) {
        let topics = self.world.consumer(c).topics().to_vec();
        let name = &self.group_names[c.ix()];
        let g = self.world.ledger.join(name, &topics, self.n_topics, c);
        let k = self.world.consumer_mut(c);
        k.group = Some(g);
        k.status = Status::Online;
        let mut p = Port::new(&mut self.world);
        self.model.consumer_up(&mut p, c);
    }

    // ---- running ----

    #[must_use]
    pub fn now(&self) -> Nanos {
        self.world.now()
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

    #[must_use]
    pub fn world(&self) -> &World<M::Tags> {
        &self.world
    }

    #[must_use]
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Process one event. Returns false when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.step_through(Nanos::MAX)
    }

    /// Process the next event if it happens at `t` or before; false if none does.
    #[inline]
    fn step_through(&mut self, t: Nanos) -> bool {
        let Some((time, next)) = self.world.pop_through(t) else {
            return false;
        };
        self.world.set_now(time);
        self.events += 1;
        match next {
            Next::Event(e) => self.handle(e),
            Next::Hop(h) => self.arrive(h),
        }
        true
    }

    /// Process every event up to and including `t`; the clock then reads `t`.
    pub fn run_until(&mut self, t: Nanos) {
        while self.step_through(t) {}
        self.world.set_now(self.world.now().max(t));
    }

    fn arrive(&mut self, h: Hop<M::Tags>) {
        if !self.world.hop_is_live(&h) {
            return;
        }
        if self.world.watching(h.msg.id) && h.leg() == Leg::Publish {
            let e = TraceEvent::new(self.world.now(), h.to, Step::Arrived);
            self.world.record(e);
        }
        let mut p = Port::new(&mut self.world);
        match h.kind {
            HopKind::Publish(tag) => self.model.arrive(&mut p, h.msg, h.to, tag),
            HopKind::Deliver {
                consumer,
                tag,
                redelivered,
                ..
            } => {
                let d = Delivery {
                    msg: h.msg,
                    tag,
                    redelivered,
                };
                self.model.delivered(&mut p, consumer, d);
            }
            HopKind::Ack { consumer, tag } => self.model.acked(&mut p, consumer, h.msg, h.to, tag),
        }
    }

    fn handle(&mut self, e: Event<<M::Tags as Tags>::Timer>) {
        match e {
            Event::Produce { stream } => self.produce(stream),
            Event::ServiceDone { consumer, epoch } => self.service_done(consumer, epoch),
            Event::Fault { index, heal } => self.fault(index as usize, heal),
            Event::Command { index } => {
                if let Some(&cmd) = self.commands.get(index as usize) {
                    // Sent for later: carried out if it still makes sense then.
                    let _ = self.command(cmd);
                }
            }
            Event::Sample => {
                self.sample();
                if self.series.len() < 2 * crate::scenario::LIMITS.samples as usize {
                    let at = self.world.now() + self.sample_step;
                    self.world.schedule(at, Event::Sample);
                }
            }
            Event::Timer(t) => {
                let mut p = Port::new(&mut self.world);
                self.model.timer(&mut p, t);
            }
        }
    }

    fn produce(&mut self, stream: u32) {
        let now = self.world.now();
        let s = &mut self.streams[stream as usize];
        let class = s.class();
        let next = now.saturating_add(s.gap());
        let m = self.world.add_message(class);
        let topic = self.world.info(m).topic;
        self.world.ledger.publish(m.id, topic);
        if next <= self.duration {
            self.world.schedule(next, Event::Produce { stream });
        }
        if m.id.0 % FORGET_EVERY == 0 {
            self.world.forget_settled();
        }
        if self.world.watching(m.id) {
            let at = self.world.producer_node(m);
            self.world.record_created(m, at);
        }
        let mut p = Port::new(&mut self.world);
        self.model.publish(&mut p, m);
    }

    fn service_done(&mut self, c: ConsumerId, epoch: u32) {
        let now = self.world.now();
        let k = self.world.consumer_mut(c);
        if k.epoch() != epoch {
            return;
        }
        let Some(d) = k.busy.take() else { return };
        k.processed += 1;
        let Some(g) = k.group() else { return };
        let info = *self.world.info(d.msg);
        let created = self.world.created(d.msg.id);
        let outcome =
            self.world
                .ledger
                .process(d.msg.id, info.topic, g, || created, now, info.key_slot);
        if outcome == Processed::Duplicate {
            let node = self.world.consumer(c).node();
            self.world.saw_duplicate(node, d.msg);
        }
        if self.world.watching(d.msg.id) {
            let k = self.world.consumer(c);
            let e = TraceEvent::new(now, k.node(), Step::Processed(outcome)).group(Some(g));
            self.world.record(e.consumer(c));
        }
        if let Some(t) = &mut self.world.trace {
            t.push(Processing {
                at: now,
                consumer: c,
                msg: d.msg,
                origin: <M::Tags as Tags>::origin(&d.tag),
                redelivered: d.redelivered,
                outcome,
            });
        }
        let mut p = Port::new(&mut self.world);
        self.model.processed(&mut p, c, d);
        self.world.start_service(c);
    }

    #[allow(clippy::cast_precision_loss)]
    fn sample(&mut self) {
        let w = &mut self.world;
        let (t0, d0) = self.last_sample;
        let dt = to_secs(w.now() - t0);
        let d = w.ledger.total.delivered;
        let rate = if dt > 0.0 { (d - d0) as f64 / dt } else { 0.0 };
        self.series.push(
            to_secs(w.now()),
            rate,
            w.ledger.total.pending,
            w.ledger.total.lost,
            w.ledger.window.take_p99_ms(),
        );
        self.last_sample = (w.now(), d);
    }

    // ---- faults and commands ----

    /// A scenario fault starts or heals. Lenient, as a file's faults may overlap: each does what
    /// still applies (a consumer already down is not taken down again; a heal brings back only
    /// a consumer that is down the way this fault took it).
    fn fault(&mut self, index: usize, heal: bool) {
        let Some(&planned) = self.faults.get(index) else {
            return;
        };
        match (planned, heal) {
            (Planned::Down(c, how), false) => {
                if self.world.consumer(c).status() == Status::Online {
                    self.go_down(c, how);
                }
            }
            (Planned::Down(c, how), true) => {
                if self.world.consumer(c).status() == how {
                    self.come_back(c);
                }
            }
            (Planned::Slow(c, f), heal) => {
                self.world.consumer_mut(c).slow = if heal { 1.0 } else { f };
            }
            (Planned::Link(e), heal) => self.set_link(e, !heal),
            (Planned::Broker(t), false) => {
                let mut p = Port::new(&mut self.world);
                self.model.broker_crash(&mut p, t);
            }
            (Planned::Broker(t), true) => {
                let mut p = Port::new(&mut self.world);
                self.model.broker_restart(&mut p, t);
            }
            (Planned::Join(c), _) => {
                if self.world.consumer(c).status() == Status::NotJoined {
                    self.join(c);
                }
            }
            (Planned::Nothing, _) => {}
        }
    }

    /// Carry out `cmd` now.
    ///
    /// # Errors
    /// The command makes no sense now (heal a consumer that is online, restore a link that is
    /// up, ...) or names a consumer that does not exist; nothing changes then.
    pub fn command(&mut self, cmd: Command) -> Result<(), CommandError> {
        self.check_command(&cmd)?;
        match cmd {
            Command::TakeOffline(c) => self.go_down(c, Status::Offline),
            Command::Crash(c) => self.go_down(c, Status::Crashed),
            Command::RemoveConsumer(c) => self.go_down(c, Status::Removed),
            Command::Heal(c) => self.come_back(c),
            Command::Slow(c, f) => self.world.consumer_mut(c).slow = f,
            Command::RestoreSpeed(c) => self.world.consumer_mut(c).slow = 1.0,
            Command::CutLink(e) => self.set_link(e, true),
            Command::RestoreLink(e) => self.set_link(e, false),
            Command::CrashBroker(t) => {
                let mut p = Port::new(&mut self.world);
                self.model.broker_crash(&mut p, t);
            }
            Command::RestartBroker(t) => {
                let mut p = Port::new(&mut self.world);
                self.model.broker_restart(&mut p, t);
            }
            Command::AddConsumer(c) => self.join(c),
        }
        Ok(())
    }

    /// Carry out `cmd` at `at` (now if earlier), if it makes sense then.
    pub fn command_at(&mut self, at: Nanos, cmd: Command) {
        let index = u32::try_from(self.commands.len()).unwrap_or(u32::MAX);
        self.commands.push(cmd);
        self.world
            .schedule(at.max(self.world.now()), Event::Command { index });
    }

    /// Whether `cmd` can be carried out now.
    ///
    /// # Errors
    /// Why not.
    pub fn check_command(&self, cmd: &Command) -> Result<(), CommandError> {
        let w = &self.world;
        if let Some(c) = cmd.consumer() {
            let Some(k) = w.consumers.get(c.ix()) else {
                return Err(CommandError(format!("there is no consumer {c}")));
            };
            if let Some(why) =
                command::consumer_refusal(cmd, k.status(), k.slow_factor(), k.link_down())
            {
                return Err(CommandError(format!("{} {why}", k.name())));
            }
        }
        match *cmd {
            Command::CutLink(Endpoint::Producer(p))
            | Command::RestoreLink(Endpoint::Producer(p)) => {
                if p.ix() >= w.producer_count() {
                    return Err(CommandError(format!("there is no producer {p}")));
                }
                let cut = matches!(cmd, Command::CutLink(_));
                if w.producer_link_down(p) == cut {
                    let state = if cut { "cut" } else { "up" };
                    return Err(CommandError(format!(
                        "that producer's link is {state} already"
                    )));
                }
            }
            Command::CrashBroker(t) | Command::RestartBroker(t) => {
                let want_up = matches!(cmd, Command::CrashBroker(_));
                let state = self.model.state(w);
                if state.brokers.is_empty() {
                    return Err(CommandError("this variant has no broker".into()));
                }
                let system = t.and_then(|t| self.system_of_topic.get(usize::from(t)).copied());
                let hit = |b: &&state::BrokerState| system.is_none_or(|s| b.system == s);
                if !state.brokers.iter().filter(hit).any(|b| b.up == want_up) {
                    let what = if want_up { "down" } else { "up" };
                    return Err(CommandError(format!("the broker is {what} already")));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn go_down(&mut self, c: ConsumerId, status: Status) {
        let was = self.world.consumer(c).connected();
        self.world.consumer_mut(c).status = status;
        if was {
            let how = match status {
                Status::Crashed => Down::Crash,
                _ => Down::Offline,
            };
            self.take_down(c, how);
        }
    }

    fn come_back(&mut self, c: ConsumerId) {
        self.world.consumer_mut(c).status = Status::Online;
        if self.world.consumer(c).connected() {
            let mut p = Port::new(&mut self.world);
            self.model.consumer_up(&mut p, c);
        }
    }

    fn set_link(&mut self, e: Endpoint, down: bool) {
        match e {
            Endpoint::Consumer(c) => {
                let was = self.world.consumer(c).connected();
                self.world.consumer_mut(c).link_down = down;
                let now = self.world.consumer(c).connected();
                if was && !now {
                    self.take_down(c, Down::LinkDown);
                } else if !was && now {
                    let mut p = Port::new(&mut self.world);
                    self.model.consumer_up(&mut p, c);
                }
            }
            Endpoint::Producer(pr) => {
                self.world.set_producer_link(pr, down);
                if !down {
                    let mut p = Port::new(&mut self.world);
                    self.model.producer_up(&mut p, pr);
                }
            }
        }
    }

    fn take_down(&mut self, c: ConsumerId, how: Down) {
        let mut held = std::mem::take(&mut self.scratch);
        self.world.take_held(c, &mut held);
        let mut p = Port::new(&mut self.world);
        self.model.consumer_down(&mut p, c, how, &held);
        self.scratch = held;
    }

    // ---- what it reports ----

    /// Keep the last hops sent (for a viewer to animate hops shorter than a frame); off by
    /// default, as a headless run has no use for them.
    pub fn keep_recent_hops(&mut self) {
        self.world.keep_recent_hops();
    }

    /// Record every processing from now on; off by default, so that a run that does not ask
    /// for it keeps nothing per message.
    pub fn record_trace(&mut self) {
        if self.world.trace.is_none() {
            self.world.trace = Some(Vec::new());
        }
    }

    /// Follow message `m` (by id: the same message in every variant) from now on: its events
    /// are kept in [`Engine::watched`]. Set it before the message is created to see all of
    /// its life. Off by default; what it changes is only what is kept of `m`.
    pub fn watch(&mut self, m: MsgId) {
        self.world.set_watch(m);
    }

    /// What the watch saw of its message so far.
    #[must_use]
    pub fn watched(&self) -> &Watched {
        self.world.watched()
    }

    /// The processings recorded since [`Engine::record_trace`], in order.
    #[must_use]
    pub fn trace(&self) -> &[Processing] {
        self.world.trace.as_deref().unwrap_or(&[])
    }

    /// About how many bytes this variant's state takes (what a checkpoint of it costs).
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        self.world.approx_bytes() + self.model.approx_bytes() + self.series.len() * 40
    }

    #[must_use]
    pub fn series(&self) -> &Series {
        &self.series
    }

    #[must_use]
    pub fn tally(&self) -> Tally {
        let w = &self.world;
        Tally {
            produced: w.produced(),
            counters: w.ledger.total.clone(),
            latency: w.ledger.latency.summary(),
            elapsed_s: to_secs(w.now()),
            stored_bytes_peak: w.stored_bytes_peak(),
        }
    }

    /// The latency of every delivery processed so far; what one stretch of time added is
    /// [`crate::metrics::LatencyHistogram::since`] an earlier copy.
    #[must_use]
    pub fn latency_histogram(&self) -> &crate::metrics::LatencyHistogram {
        &self.world.ledger.latency
    }

    #[must_use]
    pub fn groups(&self, topic_names: &[String]) -> Vec<GroupReport> {
        let w = &self.world;
        w.ledger
            .group_ids()
            .map(|gid| {
                let g = w.ledger.group(gid);
                GroupReport {
                    name: g.name.clone(),
                    topics: (0..g.topics.len())
                        .filter(|&t| g.topics[t])
                        .map(|t| topic_names[t].clone())
                        .collect(),
                    delivered: g.counters.delivered,
                    lost: g.counters.lost,
                    pending: g.counters.pending,
                    duplicates: g.counters.duplicates,
                    replayed: g.counters.replayed,
                    lag: self.model.group_lag(w, gid).unwrap_or(g.counters.pending),
                }
            })
            .collect()
    }

    #[must_use]
    pub fn state(&self) -> state::ModelState {
        self.model.state(&self.world)
    }

    /// A snapshot without the messages (`in_flight` and `recent_hops` left empty).
    #[must_use]
    pub fn overview(&self) -> Snapshot {
        let w = &self.world;
        Snapshot {
            now: w.now(),
            in_flight: Vec::new(),
            consumers: w
                .consumer_ids()
                .map(|c| {
                    let k = w.consumer(c);
                    ConsumerView {
                        name: k.name().to_owned(),
                        node: k.node(),
                        group: self.group_names[c.ix()].clone(),
                        status: k.status(),
                        link_down: k.link_down(),
                        slow_factor: k.slow_factor(),
                        held: k.held() as u64,
                        processed: k.processed(),
                    }
                })
                .collect(),
            producers_link_down: (0..w.producer_count())
                .filter_map(ProducerId::from_ix)
                .map(|p| w.producer_link_down(p))
                .collect(),
            model: self.state(),
            recent_losses: w.flashes().copied().collect(),
            recent_duplicates: w.duplicates().copied().collect(),
            recent_hops: Vec::new(),
        }
    }

    fn in_flight_view(&self, h: &Hop<M::Tags>) -> InFlight {
        let w = &self.world;
        InFlight {
            msg: h.msg,
            topic: w.info(h.msg).topic,
            from: h.from,
            to: h.to,
            depart: h.arrive.saturating_sub(w.latency()),
            arrive: h.arrive,
            kind: h.leg(),
            live: w.hop_is_live(h),
        }
    }

    /// Messages on the wire now.
    pub fn in_flight(&self) -> impl Iterator<Item = InFlight> + '_ {
        self.world.hops().map(|h| self.in_flight_view(h))
    }

    /// The last hops sent (at most `world::RECENT_HOPS`), finished or not, oldest first.
    pub fn recent_hops(&self) -> impl Iterator<Item = InFlight> + '_ {
        self.world.recent_hops().map(|h| self.in_flight_view(h))
    }

    /// Check the ledger against what the variant really holds. For every pending delivery, the
    /// number of copies the ledger counts must equal the places that hold one (hops, consumer
    /// memory, the model's queues, buffers and logs), be at least one, and the counters must
    /// add up.
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
                HopKind::Publish(_) => {
                    for g in w.ledger.pending_groups(h.msg.id, w.info(h.msg).topic) {
                        count(h.msg.id, g);
                    }
                }
                HopKind::Deliver { consumer, .. } if w.hop_is_live(h) => {
                    if let Some(g) = w.group_of(consumer) {
                        count(h.msg.id, g);
                    }
                }
                _ => {}
            }
        }
        for c in w.consumer_ids() {
            let k = w.consumer(c);
            if let Some(g) = k.group() {
                for d in k.memory() {
                    count(d.msg.id, g);
                }
            }
        }
        self.model.check(w)?;
        self.model.holdings(w, &mut count);
        let mut pending = 0u64;
        for (m, g, copies) in w.ledger.pending_cells() {
            pending += 1;
            let places = held.get(&(m, g)).copied().unwrap_or(0);
            let name = &w.ledger.group(g).name;
            if u32::from(copies) != places {
                return Err(format!(
                    "message {m} for group {name:?}: ledger counts {copies} copies, {places} places hold it"
                ));
            }
            if copies == 0 {
                return Err(format!(
                    "message {m} for group {name:?} is pending but nothing holds it (a copy was settled that was the last)"
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

/// Resolve a scenario fault's names against the consumers and producers of the world.
fn plan<T: Tags>(s: &Scenario, w: &World<T>, a: &FaultAction) -> Planned {
    let consumer = |name: &str| w.consumer_ids().find(|&c| w.consumer(c).name() == name);
    let producer = |name: &str| {
        s.producers
            .iter()
            .position(|p| p.name == name)
            .and_then(ProducerId::from_ix)
    };
    let planned = match a {
        FaultAction::ConsumerOffline { consumer: n, .. } => {
            consumer(n).map(|c| Planned::Down(c, Status::Offline))
        }
        FaultAction::ConsumerCrash { consumer: n, .. } => {
            consumer(n).map(|c| Planned::Down(c, Status::Crashed))
        }
        FaultAction::ConsumerSlow {
            consumer: n,
            factor,
            ..
        } => consumer(n).map(|c| Planned::Slow(c, *factor)),
        FaultAction::LinkDown { target, .. } => consumer(target)
            .map(|c| Planned::Link(Endpoint::Consumer(c)))
            .or_else(|| producer(target).map(|p| Planned::Link(Endpoint::Producer(p)))),
        FaultAction::BrokerCrash { topic, .. } => Some(Planned::Broker(*topic)),
        FaultAction::AddConsumer { consumer: spec } => consumer(&spec.name).map(Planned::Join),
    };
    planned.unwrap_or(Planned::Nothing)
}
