//! From a parsed flowchart to a plan of the scenario: which drawn node is a messaging system, a
//! producer, a consumer or only a caller; which topic each link carries; which shape mirrors
//! the drawing.

use super::flowchart::{End, Flowchart, Pos};
use super::names::{self, Sys};
use crate::scenario::{BrokerKind, Shape};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What takes part in links: a node, or a subgraph drawn as the end of a link.
struct Unit {
    id: String,
    label: Option<String>,
    subgraph: Option<usize>,
    /// The subgraph this unit stands for.
    stands_for: Option<usize>,
    /// Drawn as a cylinder, as queues and logs are.
    cylinder: bool,
}

impl Unit {
    fn text(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id)
    }
    /// `S1 "Front server 1"`, or `S1` without a label.
    fn show(&self) -> String {
        match &self.label {
            Some(l) if *l != self.id => format!("{} {l:?}", self.id),
            _ => self.id.clone(),
        }
    }
}

/// A drawn link between two units.
struct Link {
    from: usize,
    to: usize,
    label: Option<String>,
    pos: Pos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Producer,
    Consumer,
    System(usize),
    /// Sends only to producers (or to nodes that are neither): its links are calls.
    Caller,
    Unlinked,
}

/// A messaging system of the drawing: one or more units.
struct System {
    kind: Sys,
    /// What the comments call it.
    show: String,
    /// The name its topic may come from.
    text: String,
}

/// A producer or consumer of the scenario.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub name: String,
    /// The node it comes from, as drawn: `S1 "Front server 1"`.
    pub drawn: String,
    /// Topics it publishes to or subscribes to, in the order links name them.
    pub topics: Vec<String>,
}

/// One `[[variant]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VariantPlan {
    pub name: String,
    pub shape: Shape,
    pub broker: Option<BrokerKind>,
}

/// Everything the scenario text says, decided.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub producers: Vec<Member>,
    pub consumers: Vec<Member>,
    pub systems: Vec<String>,
    /// Each topic and where its name comes from.
    pub topics: Vec<(String, String)>,
    pub calls: Vec<String>,
    pub unlinked: Vec<String>,
    pub notes: Vec<String>,
    /// Links of the drawing the mirror simulates (pairs of nodes, each counted once).
    pub drawn: u64,
    /// `connections` of the mirror, as brokerlab counts them.
    pub mirror_connections: u64,
    /// Why the mirror has its shape.
    pub mirror_why: String,
    pub variants: Vec<VariantPlan>,
}

/// Why the plan cannot be made.
pub(crate) enum Missing {
    Producer,
    Consumer,
}

/// Map `chart` to a plan.
pub(crate) fn plan(chart: &Flowchart) -> Result<Plan, Missing> {
    let mut m = Mapper::new(chart);
    m.find_systems();
    m.find_roles();
    m.assign_topics();
    let (mirror, why) = m.mirror();
    if mirror.shape == Shape::Direct {
        m.split_for_direct();
    }
    m.finish(mirror, why)
}

struct Mapper<'a> {
    chart: &'a Flowchart,
    units: Vec<Unit>,
    links: Vec<Link>,
    /// The system of each unit, if it is part of one.
    system_of: Vec<Option<usize>>,
    systems: Vec<System>,
    roles: Vec<Role>,
    /// (from unit, to unit, topic) of every simulated message link, in drawing order.
    flows: Vec<(usize, usize, String)>,
    topics: Vec<(String, String)>,
    notes: Vec<String>,
    calls: Vec<String>,
    /// The nodes of each subgraph a link names, once worked out.
    members: HashMap<usize, Vec<usize>>,
}

impl<'a> Mapper<'a> {
    fn new(chart: &'a Flowchart) -> Mapper<'a> {
        let units = chart
            .nodes
            .iter()
            .map(|n| Unit {
                id: n.id.clone(),
                label: n.label.clone(),
                subgraph: n.subgraph,
                stands_for: None,
                cylinder: n.cylinder,
            })
            .collect();
        let mut m = Mapper {
            chart,
            units,
            links: Vec::new(),
            system_of: Vec::new(),
            systems: Vec::new(),
            roles: Vec::new(),
            flows: Vec::new(),
            topics: Vec::new(),
            notes: Vec::new(),
            calls: Vec::new(),
            members: HashMap::new(),
        };
        let open = chart.edges.iter().filter(|e| e.open).count();
        if open > 0 {
            m.notes.push(format!(
                "{open} link(s) without an arrow head (---, -.-) or with two (<-->) are read from left \
                 to right"
            ));
        }
        for e in &chart.edges {
            let from = m.ends(e.from, e.pos);
            let to = m.ends(e.to, e.pos);
            for &a in &from {
                for &b in &to {
                    m.links.push(Link {
                        from: a,
                        to: b,
                        label: e.label.clone(),
                        pos: e.pos,
                    });
                }
            }
        }
        m
    }

    /// The units a link end stands for: a node; a messaging subgraph as one unit; any other
    /// subgraph as each of its nodes.
    fn ends(&mut self, end: End, pos: Pos) -> Vec<usize> {
        let s = match end {
            End::Node(n) => return vec![n],
            End::Subgraph(s) => s,
        };
        let sg = &self.chart.subgraphs[s];
        let members = if sg.is_system() {
            Vec::new()
        } else {
            self.members(s)
        };
        if !members.is_empty() {
            let note = format!(
                "the link at line {} to or from subgraph {:?} stands for one link per node in it ({})",
                pos.line,
                sg.label,
                members.len()
            );
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
            return members;
        }
        if let Some(u) = self.units.iter().position(|u| u.stands_for == Some(s)) {
            return vec![u];
        }
        self.units.push(Unit {
            id: sg.id.clone(),
            label: Some(sg.label.clone()),
            subgraph: sg.parent,
            stands_for: Some(s),
            cylinder: false,
        });
        vec![self.units.len() - 1]
    }

    /// Nodes inside subgraph `s`, nested ones included (worked out once a subgraph: a
    /// thousand links to one took seconds each).
    fn members(&mut self, s: usize) -> Vec<usize> {
        if let Some(m) = self.members.get(&s) {
            return m.clone();
        }
        let chart = self.chart;
        let m: Vec<usize> = (0..chart.nodes.len())
            .filter(|&n| chart.enclosing(chart.nodes[n].subgraph).any(|i| i == s))
            .collect();
        self.members.insert(s, m.clone());
        m
    }

    /// `s` and the subgraphs around it, innermost first.
    fn ancestors(&self, s: Option<usize>) -> Vec<usize> {
        self.chart.enclosing(s).collect()
    }

    /// Which units are messaging systems, and which units form one system together.
    fn find_systems(&mut self) {
        let mut keys: Vec<(Option<usize>, usize)> = Vec::new();
        let mut parent: Vec<usize> = Vec::new();
        self.system_of = vec![None; self.units.len()];
        let mut kinds = Vec::new();
        for u in 0..self.units.len() {
            let Some((key, kind)) = self.system_key(u) else {
                continue;
            };
            let ix = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                keys.push(key);
                parent.push(parent.len());
                kinds.push(kind);
                keys.len() - 1
            });
            kinds[ix] = kinds[ix].min(kind);
            self.system_of[u] = Some(ix);
        }
        // Systems drawn linked to each other are one system (a broker and its queues).
        for l in &self.links {
            if let (Some(a), Some(b)) = (self.system_of[l.from], self.system_of[l.to]) {
                let (ra, rb) = (root(&parent, a), root(&parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
        self.collect_systems(&keys, &parent, &kinds);
    }

    /// The system a unit belongs to: (subgraph, unit) key and kind. A messaging subgraph is one
    /// system unless its name is plural ("Queues"): then each node in it is one, or, when it
    /// counts them ("5 × RabbitMQ"), each subgraph in it.
    fn system_key(&mut self, u: usize) -> Option<((Option<usize>, usize), Sys)> {
        let (key, kind) = self.system_key_by_name(u)?;
        // "log" is a weak word: a "log" that sends nothing on is a sink, a consumer ("Log
        // collector"), not a log consumers read.
        let sends = self.links.iter().any(|l| l.from == u);
        let receives = self.links.iter().any(|l| l.to == u);
        if kind == Sys::Log && receives && !sends {
            let unit = &self.units[u];
            self.notes.push(format!(
                "{} names a log but sends nothing on: read as a consumer",
                unit.show()
            ));
            return None;
        }
        Some((key, kind))
    }

    fn system_key_by_name(&self, u: usize) -> Option<((Option<usize>, usize), Sys)> {
        let unit = &self.units[u];
        // The innermost subgraph around it that names a system, its place in the chain, kind.
        let start = unit.stands_for.or(unit.subgraph);
        let chain = self.ancestors(start);
        let found = chain.iter().enumerate().find_map(|(k, &s)| {
            names::system_in(&self.chart.subgraphs[s].label).map(|kind| (k, s, kind))
        });
        // A service's words make a service, except for a cylinder inside a system's subgraph:
        // a queue named after its workers ("invoice-workers", as `brokerlab notes` draws it).
        if names::is_service(unit.text()) && !(unit.cylinder && found.is_some()) {
            return None;
        }
        let own = names::system_in(unit.text()).or_else(|| names::system_in(&unit.id));
        let Some((k, s, kind)) = found else {
            return own.map(|k| ((None, u), k));
        };
        let label = &self.chart.subgraphs[s].label;
        if !names::names_several(label) {
            return Some(((Some(s), 0), kind));
        }
        // The subgraph just inside one that counts its systems: one of them.
        let key = match k.checked_sub(1).map(|j| chain[j]) {
            Some(inner) if names::counts_systems(label) => (Some(inner), 0),
            _ => (None, u),
        };
        Some((key, own.unwrap_or(kind)))
    }

    fn collect_systems(
        &mut self,
        keys: &[(Option<usize>, usize)],
        parent: &[usize],
        kinds: &[Sys],
    ) {
        let mut final_ix: BTreeMap<usize, usize> = BTreeMap::new();
        let mut shows: Vec<Vec<String>> = Vec::new();
        for u in 0..self.units.len() {
            let Some(k) = self.system_of[u] else { continue };
            let r = root(parent, k);
            let next = final_ix.len();
            let ix = *final_ix.entry(r).or_insert(next);
            if ix == self.systems.len() {
                self.systems.push(System {
                    kind: kinds[k],
                    show: String::new(),
                    text: String::new(),
                });
                shows.push(Vec::new());
            }
            let sys = &mut self.systems[ix];
            sys.kind = sys.kind.min(kinds[k]);
            let (show, text) = match keys[k].0 {
                Some(s) => {
                    let sg = &self.chart.subgraphs[s];
                    (format!("subgraph {:?}", sg.label), sg.label.clone())
                }
                None => (self.units[u].show(), self.units[u].text().to_owned()),
            };
            if !shows[ix].contains(&show) {
                shows[ix].push(show);
                if sys.text.is_empty() {
                    sys.text = text;
                }
            }
            self.system_of[u] = Some(ix);
        }
        for (sys, show) in self.systems.iter_mut().zip(shows) {
            sys.show = show.join(" + ");
        }
    }

    /// Producers, consumers, callers; calls and links the scenario cannot carry go to the notes.
    fn find_roles(&mut self) {
        let n = self.units.len();
        let mut sends = vec![false; n];
        let mut receives = vec![false; n];
        for l in &self.links {
            sends[l.from] = true;
            receives[l.to] = true;
        }
        let service = |u: usize| self.system_of[u].is_none();
        let consumer = |u: usize| service(u) && receives[u] && !sends[u];
        let roles: Vec<Role> = (0..n)
            .map(|u| match self.system_of[u] {
                Some(s) => Role::System(s),
                None if consumer(u) => Role::Consumer,
                None if self
                    .links
                    .iter()
                    .any(|l| l.from == u && (!service(l.to) || consumer(l.to))) =>
                {
                    Role::Producer
                }
                None if sends[u] => Role::Caller,
                None => Role::Unlinked,
            })
            .collect();
        self.roles = roles;
    }

    /// The topic of every simulated link, and the links that are calls or cannot be simulated.
    fn assign_topics(&mut self) {
        let mut carried: Vec<BTreeSet<String>> = vec![BTreeSet::new(); self.systems.len()];
        let mut flows = Vec::new();
        let mut unlabelled_into: HashMap<usize, Vec<String>> = HashMap::new();
        for i in 0..self.links.len() {
            let (from, to) = (self.links[i].from, self.links[i].to);
            match (self.roles[from], self.roles[to]) {
                (Role::Producer, Role::Consumer) => {
                    let t = match self.label_topic(i) {
                        Some(t) => t,
                        None => self.consumer_topic(to),
                    };
                    flows.push((from, to, t));
                }
                (Role::Producer, Role::System(s)) => {
                    let topics = match self.label_topic(i) {
                        Some(t) => vec![t],
                        // Once a system: a thousand producers drawn into it took seconds.
                        None => match unlabelled_into.get(&s) {
                            Some(t) => t.clone(),
                            None => {
                                let t = self.system_topics(s);
                                unlabelled_into.insert(s, t.clone());
                                t
                            }
                        },
                    };
                    for t in topics {
                        carried[s].insert(t.clone());
                        flows.push((from, to, t));
                    }
                }
                _ => {}
            }
        }
        for (s, c) in carried.iter_mut().enumerate() {
            if c.is_empty() {
                c.insert(self.system_topic(s));
            }
        }
        for i in 0..self.links.len() {
            let (from, to) = (self.links[i].from, self.links[i].to);
            match (self.roles[from], self.roles[to]) {
                (Role::System(s), Role::Consumer) => match self.label_topic(i) {
                    Some(t) => flows.push((from, to, t)),
                    None => flows.extend(carried[s].iter().map(|t| (from, to, t.clone()))),
                },
                (Role::Producer, Role::Consumer | Role::System(_)) => {}
                (a, b) => self.note_unsimulated(i, a, b),
            }
        }
        self.flows = flows;
    }

    /// The topic link `i`'s text names, if it has text that is more than verbs.
    fn label_topic(&mut self, i: usize) -> Option<String> {
        let l = &self.links[i];
        let text = l.label.clone()?;
        let line = l.pos.line;
        let t = names::topic_from_label(&text)?;
        self.topic_origin(&t, format!("the link text {text:?} (line {line})"));
        Some(t)
    }

    fn note_unsimulated(&mut self, i: usize, from: Role, to: Role) {
        let l = &self.links[i];
        let (a, b) = (self.units[l.from].show(), self.units[l.to].show());
        let line = l.pos.line;
        match (from, to) {
            (Role::System(x), Role::System(y)) if x == y => self.notes.push(format!(
                "{a} --> {b} (line {line}) is inside one messaging system: not a connection"
            )),
            (Role::System(_), _) => self.notes.push(format!(
                "{a} --> {b} (line {line}) feeds a node that itself sends: brokerlab does not \
                 chain a consumer into a producer, so this link is not simulated"
            )),
            _ => self.calls.push(format!("{a} --> {b} (line {line})")),
        }
    }

    /// Record where a topic's name comes from (the first reason given wins).
    fn topic_origin(&mut self, topic: &str, why: String) {
        if !self.topics.iter().any(|(t, _)| t == topic) {
            self.topics.push((topic.to_owned(), why));
        }
    }

    /// The topic an unlabelled link into a consumer carries: named after the consumer's
    /// subgraph, its label or its id.
    fn consumer_topic(&mut self, u: usize) -> String {
        let (topic, why) = match self.consumer_topic_name(u) {
            Some((t, name)) => (t, format!("unlabelled links into {name}: named after it")),
            None => (
                "messages".to_owned(),
                format!(
                    "unlabelled links into {}, whose name says nothing",
                    self.units[u].show()
                ),
            ),
        };
        self.topic_origin(&topic, why);
        topic
    }

    /// The topic a consumer's subgraph, label or id names, and which of them named it.
    fn consumer_topic_name(&self, u: usize) -> Option<(String, String)> {
        let unit = &self.units[u];
        let from_subgraph = self.ancestors(unit.subgraph).into_iter().find_map(|s| {
            let sg = &self.chart.subgraphs[s];
            names::topic_from_name(&sg.label, false)
                .map(|t| (t, format!("subgraph {:?}", sg.label)))
        });
        from_subgraph
            .or_else(|| names::topic_from_name(unit.text(), false).map(|t| (t, unit.show())))
            .or_else(|| names::topic_from_name(&unit.id, false).map(|t| (t, unit.id.clone())))
    }

    /// The topics an unlabelled link into system `s` carries: those its links out name (what
    /// its consumers read), and, if it also feeds a consumer by a link without a topic, the one
    /// [`Self::system_topic`] names. A producer drawn into a Kafka that hands out `logs`
    /// publishes `logs` (it published "messages", which nobody read).
    fn system_topics(&mut self, s: usize) -> Vec<String> {
        let out: Vec<usize> = (0..self.links.len())
            .filter(|&i| {
                let l = &self.links[i];
                self.roles[l.from] == Role::System(s) && self.roles[l.to] == Role::Consumer
            })
            .collect();
        let mut topics = Vec::new();
        let mut unnamed = false;
        for i in out {
            match self.label_topic(i) {
                Some(t) if !topics.contains(&t) => topics.push(t),
                Some(_) => {}
                None => unnamed = true,
            }
        }
        if topics.is_empty() || unnamed {
            let t = self.system_topic(s);
            if !topics.contains(&t) {
                topics.push(t);
            }
        }
        topics
    }

    /// The topic an unlabelled link into system `s` carries: named after the system, else after
    /// the consumers its unlabelled links feed if they agree, else "messages".
    fn system_topic(&mut self, s: usize) -> String {
        let sys = &self.systems[s];
        let show = sys.show.clone();
        if let Some(t) = names::topic_from_name(&sys.text, true) {
            self.topic_origin(&t, format!("unlabelled links into {show}: named after it"));
            return t;
        }
        let fed: Vec<usize> = self
            .links
            .iter()
            .filter(|l| {
                self.roles[l.from] == Role::System(s)
                    && self.roles[l.to] == Role::Consumer
                    && l.label
                        .as_deref()
                        .and_then(names::topic_from_label)
                        .is_none()
            })
            .map(|l| l.to)
            .collect();
        let found: Vec<Option<(String, String)>> =
            fed.iter().map(|&c| self.consumer_topic_name(c)).collect();
        let topics: BTreeSet<&str> = found.iter().flatten().map(|(t, _)| t.as_str()).collect();
        if let (1, Some(Some((t, _)))) = (topics.len(), found.first()) {
            if found.iter().all(Option::is_some) {
                let t = t.clone();
                let from = unique(found.iter().flatten().map(|(_, n)| n.clone()));
                let why = format!(
                    "unlabelled links into {show}, which names no topic: named after what it \
                     feeds, {}",
                    from.join(", ")
                );
                self.topic_origin(&t, why);
                return t;
            }
        }
        let why = format!("unlabelled links into {show}; neither it nor what it feeds names one");
        self.topic_origin("messages", why);
        "messages".to_owned()
    }
}

impl Mapper<'_> {
    /// The shape and broker that mirror the drawing's messaging systems, and why.
    fn mirror(&mut self) -> (VariantPlan, String) {
        let used = self.used_systems();
        let kinds: Vec<Sys> = used.iter().map(|&s| self.systems[s].kind).collect();
        let brokers: Vec<Sys> = kinds
            .iter()
            .copied()
            .filter(|k| *k != Sys::Channel)
            .collect();
        let (shape, broker) = match brokers.len() {
            0 if kinds.is_empty() => (Shape::Direct, None),
            0 => (Shape::Channel, None),
            1 => match broker_of(brokers[0]) {
                BrokerKind::Kafka => (Shape::CentralLog, Some(BrokerKind::Kafka)),
                b => (Shape::SingleBroker, Some(b)),
            },
            _ => (Shape::BrokerPerTopic, Some(majority(&brokers))),
        };
        if brokers.is_empty() && kinds.len() > 1 {
            self.notes.push(format!(
                "{} IPC channels are drawn; brokerlab's channel shape has one, which the mirror uses",
                kinds.len()
            ));
        } else if !brokers.is_empty() && brokers.len() < kinds.len() {
            self.notes.push(
                "the drawing mixes IPC channels and brokers: the mirror carries it all on brokers"
                    .to_owned(),
            );
        }
        let direct = self.flows.iter().filter(|(a, b, _)| {
            self.roles[*a] == Role::Producer && self.roles[*b] == Role::Consumer
        });
        let direct = pairs(direct).len();
        if shape != Shape::Direct && direct > 0 {
            self.notes.push(format!(
                "{direct} producer-to-consumer links are drawn beside the messaging systems: the \
                 mirror sends them through its {} too",
                if shape == Shape::Channel {
                    "channel"
                } else {
                    "broker"
                }
            ));
        }
        let how = format!("{} {}", shape.name(), broker.map_or("", BrokerKind::name));
        let how = how.trim_end();
        let why = match (shape, brokers.first()) {
            (Shape::Direct, _) => format!("{how}, as no messaging system is drawn"),
            (Shape::Channel, _) => {
                format!("{how}, as the messaging system drawn is an IPC channel")
            }
            (Shape::BrokerPerTopic, _) => format!(
                "{how}, as {} messaging systems are drawn, one per use case ({} is what most \
                 of them are)",
                brokers.len(),
                broker.map_or("", BrokerKind::name)
            ),
            (_, Some(k)) => format!("{how}, as one messaging system is drawn, {}", k.describe()),
            (_, None) => how.to_owned(),
        };
        let plan = VariantPlan {
            name: format!("as-drawn-{}", short_name(shape, broker)),
            shape,
            broker,
        };
        (plan, why)
    }

    /// Systems that carry at least one simulated link.
    fn used_systems(&self) -> BTreeSet<usize> {
        self.flows
            .iter()
            .flat_map(|(a, b, _)| [*a, *b])
            .filter_map(|u| match self.roles[u] {
                Role::System(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    /// Direct links connect a producer to every consumer of a topic it publishes. When a topic
    /// goes from different producers to different consumers, give each set of consumers with the
    /// same senders a topic of its own, so that the links are exactly the drawn ones.
    fn split_for_direct(&mut self) {
        let names = self.member_names();
        let topics: Vec<String> = unique(self.flows.iter().map(|(_, _, t)| t.clone()));
        for t in topics {
            let sent: Vec<(usize, usize)> = pairs(self.flows.iter().filter(|(_, _, x)| *x == t))
                .into_iter()
                .collect();
            let mut classes: Vec<(BTreeSet<usize>, Vec<usize>)> = Vec::new();
            for c in unique(sent.iter().map(|(_, c)| *c)) {
                let senders: BTreeSet<usize> = sent
                    .iter()
                    .filter(|(_, x)| *x == c)
                    .map(|(p, _)| *p)
                    .collect();
                match classes.iter_mut().find(|(s, _)| *s == senders) {
                    Some((_, cs)) => cs.push(c),
                    None => classes.push((senders, vec![c])),
                }
            }
            if classes.len() < 2 {
                continue;
            }
            let mut new_names = Vec::new();
            for (_, cs) in &classes {
                let name = names::fit(&format!("{t}-{}", names[cs[0]]), names::NAME_BYTES);
                for f in self.flows.iter_mut() {
                    if f.2 == t && cs.contains(&f.1) {
                        f.2.clone_from(&name);
                    }
                }
                let why = format!("the consumers of {t:?} that the same producers send to");
                self.topic_origin(&name, why);
                new_names.push(name);
            }
            self.notes.push(format!(
                "{t:?} goes from different producers to different consumers: split into {} so \
                 that each producer has exactly the links drawn",
                new_names.join(", ")
            ));
        }
    }

    /// A TOML name for every unit: its label where that is a name already, else from its
    /// Mermaid id; made unique.
    fn member_names(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (i, u) in self.units.iter().enumerate() {
            let base = u
                .label
                .as_deref()
                .and_then(names::name_in_label)
                .or_else(|| names::name_from_id(&u.id))
                .unwrap_or_else(|| format!("node-{}", i + 1));
            let mut name = base.clone();
            let mut k = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}-{k}");
                k += 1;
            }
            out.push(name);
        }
        out
    }

    fn finish(mut self, mirror: VariantPlan, mirror_why: String) -> Result<Plan, Missing> {
        let names = self.member_names();
        let members = |role: Role, side: fn(&(usize, usize, String)) -> usize| -> Vec<Member> {
            (0..self.units.len())
                .filter(|&u| self.roles[u] == role)
                .map(|u| Member {
                    name: names[u].clone(),
                    drawn: self.units[u].show(),
                    topics: unique(
                        self.flows
                            .iter()
                            .filter(|f| side(f) == u)
                            .map(|f| f.2.clone()),
                    ),
                })
                .filter(|m| !m.topics.is_empty())
                .collect()
        };
        let producers = members(Role::Producer, |f| f.0);
        let consumers = members(Role::Consumer, |f| f.1);
        if producers.is_empty() {
            return Err(Missing::Producer);
        }
        if consumers.is_empty() {
            return Err(Missing::Consumer);
        }
        let drawn = pairs(self.flows.iter()).len() as u64;
        let mirror_connections = connections(&mirror, &producers, &consumers);
        if mirror_connections != drawn {
            self.notes.push(format!(
                "the mirror has {mirror_connections} connections where the drawing has {drawn} \
                 links: {}",
                counting_rule(mirror.shape)
            ));
        }
        let used_topics = unique(self.flows.iter().map(|f| f.2.clone()));
        let topics = used_topics
            .iter()
            .map(|t| {
                let why = self
                    .topics
                    .iter()
                    .find(|(x, _)| x == t)
                    .map(|(_, w)| w.clone());
                (t.clone(), why.unwrap_or_default())
            })
            .collect::<Vec<_>>();
        let used = self.used_systems();
        let systems = used
            .iter()
            .map(|&s| {
                format!(
                    "{}: {}",
                    self.systems[s].show,
                    self.systems[s].kind.describe()
                )
            })
            .collect();
        let mut unlinked: Vec<String> = (0..self.units.len())
            .filter(|&u| self.roles[u] == Role::Unlinked)
            .map(|u| self.units[u].show())
            .collect();
        unlinked.extend(
            (0..self.systems.len())
                .filter(|s| !used.contains(s))
                .map(|s| self.systems[s].show.clone()),
        );
        let variants = variants(mirror, topics.len());
        Ok(Plan {
            producers,
            consumers,
            systems,
            topics,
            calls: std::mem::take(&mut self.calls),
            unlinked,
            notes: std::mem::take(&mut self.notes),
            drawn,
            mirror_connections,
            mirror_why,
            variants,
        })
    }
}

/// Distinct (from, to) pairs of flows.
fn pairs<'f>(flows: impl Iterator<Item = &'f (usize, usize, String)>) -> BTreeSet<(usize, usize)> {
    flows.map(|(a, b, _)| (*a, *b)).collect()
}

/// Items in first-seen order, each once.
pub(crate) fn unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for x in items {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

fn broker_of(k: Sys) -> BrokerKind {
    match k {
        Sys::Kafka | Sys::Log => BrokerKind::Kafka,
        Sys::RedisStream => BrokerKind::RedisStream,
        Sys::PubSub => BrokerKind::RedisPubsub,
        Sys::Rabbitmq | Sys::Channel | Sys::Queue | Sys::Broker => BrokerKind::Rabbitmq,
    }
}

/// The broker most of `kinds` map to (ties: RabbitMQ, Kafka, Redis Pub/Sub, Redis Streams).
fn majority(kinds: &[Sys]) -> BrokerKind {
    let order = [
        BrokerKind::Rabbitmq,
        BrokerKind::Kafka,
        BrokerKind::RedisPubsub,
        BrokerKind::RedisStream,
    ];
    let count = |b: BrokerKind| kinds.iter().filter(|k| broker_of(**k) == b).count();
    let mut best = order[0];
    for b in order {
        if count(b) > count(best) {
            best = b;
        }
    }
    best
}

fn short_name(shape: Shape, broker: Option<BrokerKind>) -> String {
    let b = broker.map_or("", BrokerKind::name);
    match shape {
        Shape::Direct => "point-to-point".to_owned(),
        Shape::Channel => "ipc-channel".to_owned(),
        Shape::SingleBroker => b.to_owned(),
        Shape::CentralLog if broker == Some(BrokerKind::Kafka) => "kafka".to_owned(),
        Shape::CentralLog => format!("central-log-{b}"),
        Shape::BrokerPerTopic => format!("{b}-per-topic"),
    }
}

/// The mirror first, then the usual shapes on the same workload, skipping the mirror's own.
fn variants(mirror: VariantPlan, topics: usize) -> Vec<VariantPlan> {
    let mut all = vec![
        (Shape::Direct, None),
        (Shape::Channel, None),
        (Shape::SingleBroker, Some(BrokerKind::Rabbitmq)),
        (Shape::BrokerPerTopic, Some(BrokerKind::Rabbitmq)),
        (Shape::CentralLog, Some(BrokerKind::Kafka)),
    ];
    if topics < 2 {
        all.retain(|(s, _)| *s != Shape::BrokerPerTopic);
    }
    let own = (mirror.shape, mirror.broker);
    let others = all
        .into_iter()
        .filter(|&(s, b)| (s, b) != own)
        .map(|(shape, broker)| VariantPlan {
            name: short_name(shape, broker),
            shape,
            broker,
        });
    std::iter::once(mirror).chain(others).collect()
}

/// How brokerlab counts `connections` for a shape, in words.
fn counting_rule(shape: Shape) -> &'static str {
    match shape {
        Shape::Direct => "brokerlab counts one per producer and consumer sharing a topic",
        Shape::BrokerPerTopic => {
            "brokerlab counts one per producer and topic it publishes, and one per consumer and \
             topic it subscribes to"
        }
        Shape::Channel | Shape::SingleBroker | Shape::CentralLog => {
            "brokerlab counts one per producer and one per consumer, each linked once to the one \
             system, however the drawing links them"
        }
    }
}

/// brokerlab's `connections` of a variant (src/topology/mod.rs `cost`), counted on the plan.
fn connections(v: &VariantPlan, producers: &[Member], consumers: &[Member]) -> u64 {
    let p = producers.len() as u64;
    let c = consumers.len() as u64;
    let feeds = |pr: &Member, co: &Member| co.topics.iter().any(|t| pr.topics.contains(t));
    match v.shape {
        Shape::Direct => producers
            .iter()
            .map(|pr| consumers.iter().filter(|co| feeds(pr, co)).count() as u64)
            .sum(),
        Shape::Channel | Shape::SingleBroker | Shape::CentralLog => p + c,
        Shape::BrokerPerTopic => producers
            .iter()
            .chain(consumers)
            .map(|m| m.topics.len() as u64)
            .sum(),
    }
}

fn root(parent: &[usize], mut i: usize) -> usize {
    while parent[i] != i {
        i = parent[i];
    }
    i
}
