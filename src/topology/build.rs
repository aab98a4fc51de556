//! Building the graph of one variant from the scenario, in the engine's node order: producers,
//! consumers, then the middle (channel, brokers, queues, logs) as the shape asks.

use super::{all_consumers, cost, EdgeKind, Node, NodeId, NodeKind, Topology};
use crate::scenario::{
    Broker, BrokerKind, Consumer, Nanos, Producer, QueueType, Scenario, Shape, TopicId, Variant,
};
use petgraph::stable_graph::{NodeIndex, StableGraph};
use std::collections::BTreeSet;

/// The graph under construction and the node ids the engine will need.
struct Builder<'a> {
    s: &'a Scenario,
    cons: Vec<(&'a Consumer, Option<Nanos>)>,
    g: StableGraph<Node, EdgeKind>,
    producers: Vec<NodeId>,
    consumers: Vec<NodeId>,
    brokers: Vec<NodeId>,
    broker_of_topic: Vec<usize>,
    channel: Option<NodeId>,
    queues: Vec<(usize, String, NodeId)>,
    logs: Vec<(TopicId, NodeId)>,
}

/// What a new node is: its kind, full name, short label and the facts a viewer shows.
struct Spec {
    kind: NodeKind,
    name: String,
    label: String,
    topic: Option<TopicId>,
    group: Option<String>,
    joins_at: Option<Nanos>,
}

impl Spec {
    fn named(kind: NodeKind, name: &str) -> Spec {
        Spec {
            kind,
            name: name.to_owned(),
            label: name.to_owned(),
            topic: None,
            group: None,
            joins_at: None,
        }
    }
}

fn topics_of(p: &Producer) -> BTreeSet<TopicId> {
    p.publish.iter().map(|x| x.topic).collect()
}

fn topic_id(t: usize) -> TopicId {
    TopicId::try_from(t).unwrap_or(0)
}

impl<'a> Builder<'a> {
    fn new(s: &'a Scenario) -> Builder<'a> {
        Builder {
            s,
            cons: all_consumers(s),
            g: StableGraph::new(),
            producers: Vec::new(),
            consumers: Vec::new(),
            brokers: Vec::new(),
            broker_of_topic: vec![0; s.topics.len()],
            channel: None,
            queues: Vec::new(),
            logs: Vec::new(),
        }
    }

    fn add(&mut self, spec: Spec) -> NodeId {
        let ix = self.g.add_node(Node {
            kind: spec.kind,
            name: spec.name,
            label: spec.label,
            pos: [0.0, 0.0],
            topic: spec.topic,
            group: spec.group,
            joins_at: spec.joins_at,
        });
        u32::try_from(ix.index()).unwrap_or(u32::MAX)
    }

    fn link(&mut self, a: NodeId, b: NodeId, k: EdgeKind) {
        self.g
            .add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), k);
    }

    fn ends(&mut self) {
        for p in &self.s.producers {
            let id = self.add(Spec::named(NodeKind::Producer, &p.name));
            self.producers.push(id);
        }
        for ci in 0..self.cons.len() {
            let (c, at) = self.cons[ci];
            let id = self.add(Spec {
                group: Some(c.group.clone()),
                joins_at: at,
                ..Spec::named(NodeKind::Consumer, &c.name)
            });
            self.consumers.push(id);
        }
    }

    /// Every producer linked to every consumer of one of its topics.
    fn direct(&mut self) {
        let (s, cons) = (self.s, self.cons.clone());
        for (pi, p) in s.producers.iter().enumerate() {
            let ts = topics_of(p);
            for (ci, (c, _)) in cons.iter().enumerate() {
                if c.subscribe.iter().any(|t| ts.contains(t)) {
                    self.link(self.producers[pi], self.consumers[ci], EdgeKind::Link);
                }
            }
        }
    }

    fn channel(&mut self) {
        let ch = self.add(Spec::named(NodeKind::Channel, "ipc-channel"));
        self.channel = Some(ch);
        for p in self.producers.clone() {
            self.link(p, ch, EdgeKind::Link);
        }
        for c in self.consumers.clone() {
            self.link(ch, c, EdgeKind::Link);
        }
    }

    /// One broker, or one per topic; each producer linked to the brokers of its topics.
    fn brokers(&mut self, shape: Shape, kind: BrokerKind) {
        if shape == Shape::BrokerPerTopic {
            for (t, name) in self.s.topics.iter().enumerate() {
                // The pane says which broker it is: the node says which topic it carries.
                let id = self.add(Spec {
                    label: name.clone(),
                    topic: Some(topic_id(t)),
                    ..Spec::named(NodeKind::Broker, &format!("{}:{name}", kind.name()))
                });
                self.brokers.push(id);
                self.broker_of_topic[t] = t;
            }
        } else {
            let id = self.add(Spec::named(NodeKind::Broker, kind.name()));
            self.brokers.push(id);
        }
        for pi in 0..self.s.producers.len() {
            for b in self.brokers_of(topics_of(&self.s.producers[pi])) {
                self.link(self.producers[pi], self.brokers[b], EdgeKind::Link);
            }
        }
    }

    fn brokers_of(&self, topics: impl IntoIterator<Item = TopicId>) -> BTreeSet<usize> {
        topics
            .into_iter()
            .map(|t| self.broker_of_topic[usize::from(t)])
            .collect()
    }

    fn pubsub_links(&mut self) {
        for ci in 0..self.cons.len() {
            let bs = self.brokers_of(self.cons[ci].0.subscribe.iter().copied());
            for b in bs {
                self.link(self.brokers[b], self.consumers[ci], EdgeKind::Link);
            }
        }
    }

    /// A queue per consumer group on every broker that carries one of its topics.
    fn rabbit_queues(&mut self, shape: Shape) {
        for ci in 0..self.cons.len() {
            let c = self.cons[ci].0;
            for b in self.brokers_of(c.subscribe.iter().copied()) {
                let q = match self
                    .queues
                    .iter()
                    .find(|(qb, qg, _)| *qb == b && *qg == c.group)
                {
                    Some(&(_, _, q)) => q,
                    None => self.new_queue(shape, b, c),
                };
                self.link(q, self.consumers[ci], EdgeKind::Link);
            }
        }
        self.label_queues();
    }

    /// A queue's label is its group, unless the group is just the one consumer the queue
    /// feeds, whose name is drawn right below it: then it says what the shape is.
    fn label_queues(&mut self) {
        for &(_, _, q) in &self.queues {
            let q = NodeIndex::new(q as usize);
            let mut fed = self.g.neighbors_directed(q, petgraph::Direction::Outgoing);
            let only = match (fed.next(), fed.next()) {
                (Some(c), None) => Some(c),
                _ => None,
            };
            if only.is_some_and(|c| Some(&self.g[c].name) == self.g[q].group.as_ref()) {
                "queue".clone_into(&mut self.g[q].label);
            }
        }
    }

    fn new_queue(&mut self, shape: Shape, b: usize, c: &Consumer) -> NodeId {
        let name = if shape == Shape::BrokerPerTopic {
            format!("queue {}:{}", self.s.topics[b], c.group)
        } else {
            format!("queue {}", c.group)
        };
        // The shape says "queue" and the broker above says the topic: the label names the group.
        let q = self.add(Spec {
            label: c.group.clone(),
            group: Some(c.group.clone()),
            ..Spec::named(NodeKind::Queue, &name)
        });
        self.link(self.brokers[b], q, EdgeKind::Internal);
        self.queues.push((b, c.group.clone(), q));
        q
    }

    /// A log per topic in its broker; each consumer reads the logs of its topics.
    fn logs(&mut self) {
        for (t, name) in self.s.topics.iter().enumerate() {
            let tid = topic_id(t);
            let l = self.add(Spec {
                topic: Some(tid),
                ..Spec::named(NodeKind::Log, name)
            });
            self.link(self.brokers[self.broker_of_topic[t]], l, EdgeKind::Internal);
            self.logs.push((tid, l));
        }
        for ci in 0..self.cons.len() {
            for &t in &self.cons[ci].0.subscribe {
                self.link(
                    self.logs[usize::from(t)].1,
                    self.consumers[ci],
                    EdgeKind::Link,
                );
            }
        }
    }

    /// RabbitMQ streams: one per binding key some consumer reads (its `subscribe` entries: a
    /// topic, or a topic exchange's pattern), in the broker of that key; a consumer reads the
    /// streams of its entries. Streams are declared before anything is published, so a reader
    /// that comes later finds the history.
    fn rabbit_streams(&mut self) {
        let keys: BTreeSet<TopicId> = self
            .cons
            .iter()
            .flat_map(|(c, _)| c.subscribe.iter().copied())
            .collect();
        for k in keys {
            let name = &self.s.topics[usize::from(k)];
            let l = self.add(Spec {
                topic: Some(k),
                label: name.clone(),
                ..Spec::named(NodeKind::Log, &format!("stream {name}"))
            });
            self.link(
                self.brokers[self.broker_of_topic[usize::from(k)]],
                l,
                EdgeKind::Internal,
            );
            self.logs.push((k, l));
        }
        for ci in 0..self.cons.len() {
            for &k in &self.cons[ci].0.subscribe {
                if let Some(&(_, l)) = self.logs.iter().find(|(x, _)| *x == k) {
                    self.link(l, self.consumers[ci], EdgeKind::Link);
                }
            }
        }
    }

    fn middle(&mut self, v: &Variant) {
        let stream =
            matches!(v.broker(), Some(Broker::Rabbitmq(o)) if o.queue_type == QueueType::Stream);
        match (v.shape(), v.broker_kind()) {
            (Shape::Direct, _) => self.direct(),
            (Shape::Channel, _) => self.channel(),
            // A brokered shape always has its broker (the scenario's types say so).
            (_, None) => {}
            (shape, Some(kind)) => {
                self.brokers(shape, kind);
                match kind {
                    BrokerKind::RedisPubsub => self.pubsub_links(),
                    BrokerKind::Rabbitmq if stream => self.rabbit_streams(),
                    BrokerKind::Rabbitmq => self.rabbit_queues(shape),
                    BrokerKind::Kafka | BrokerKind::RedisStream => self.logs(),
                }
            }
        }
    }

    fn finish(self, v: &Variant) -> Topology {
        Topology {
            graph: self.g,
            producers: self.producers,
            consumers: self.consumers,
            brokers: self.brokers,
            broker_of_topic: self.broker_of_topic,
            channel: self.channel,
            queues: self.queues,
            logs: self.logs,
            cost: cost(self.s, v),
            layers: Vec::new(),
        }
    }
}

/// The graph of variant `v` of scenario `s`, without its layout.
pub(super) fn graph(s: &Scenario, v: &Variant) -> Topology {
    let mut b = Builder::new(s);
    b.ends();
    b.middle(v);
    b.finish(v)
}
