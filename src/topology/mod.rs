//! The graph of one variant: who is wired to whom, laid out in layers as the study notes draw it.
//!
//! ```text
//!   producers      P1   P2   P3          y = 0
//!                    \   |   /
//!   brokers          [ broker ]           y = 1   (or an IPC channel)
//!                     /     \
//!   queues / logs   q:a     q:b           y = 2   (rabbitmq queues, kafka/stream topic logs)
//!                    |       |
//!   consumers        C1      C2           y = 3
//! ```
//!
//! The engine sends messages along these edges; a viewer draws the graph as it is.

use crate::metrics::Cost;
use crate::scenario::{BrokerKind, Nanos, Scenario, Shape, TopicId, Variant};
use petgraph::stable_graph::{NodeIndex, StableGraph};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Producer,
    Consumer,
    /// A broker system (a Redis server, a RabbitMQ node, a Kafka cluster).
    Broker,
    /// An IPC channel between senders and receivers.
    Channel,
    /// A RabbitMQ queue (one per consumer group).
    Queue,
    /// A topic's log (Kafka partitions, a Redis stream).
    Log,
}

#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub kind: NodeKind,
    pub name: String,
    /// Layout position: x across, y down, in layout units (about a node's width apart).
    pub pos: [f32; 2],
    /// The topic of a log node or a per-topic broker.
    pub topic: Option<TopicId>,
    /// The consumer group of a queue node or a consumer.
    pub group: Option<String>,
    /// A consumer that an add-consumer fault brings in at this time.
    pub joins_at: Option<Nanos>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// A network connection between two processes.
    Link,
    /// Inside one broker system (a broker and its queues or logs).
    Internal,
}

pub type NodeId = u32;

/// The graph of one variant plus the node ids the engine needs.
#[derive(Clone, Debug)]
pub struct Topology {
    pub graph: StableGraph<Node, EdgeKind>,
    pub producers: Vec<NodeId>,
    /// Static consumers first, then those added by add-consumer faults, in scenario order.
    pub consumers: Vec<NodeId>,
    /// Broker systems: one for single-broker and central-log, one per topic for broker-per-topic.
    pub brokers: Vec<NodeId>,
    /// The broker system that carries each topic (index into `brokers`).
    pub broker_of_topic: Vec<usize>,
    /// The IPC channel node of a channel variant.
    pub channel: Option<NodeId>,
    /// Queue nodes (rabbitmq) per (broker, group name); log nodes (kafka, stream) per topic.
    pub queues: Vec<(usize, String, NodeId)>,
    pub logs: Vec<(TopicId, NodeId)>,
    pub cost: Cost,
}

/// Consumers of a scenario in engine order: the static ones, then the added ones.
#[must_use]
pub fn all_consumers(s: &Scenario) -> Vec<(&crate::scenario::Consumer, Option<Nanos>)> {
    let mut v: Vec<_> = s.consumers.iter().map(|c| (c, None)).collect();
    for f in &s.faults {
        if let Some(c) = f.added_consumer() {
            v.push((c, Some(f.at)));
        }
    }
    v
}

const X_GAP: f32 = 140.0;
const Y_GAP: f32 = 150.0;

impl Topology {
    #[must_use]
    #[allow(clippy::too_many_lines)]
    pub fn build(s: &Scenario, v: &Variant) -> Topology {
        let mut g = StableGraph::new();
        let add = |g: &mut StableGraph<Node, EdgeKind>,
                   kind,
                   name: String,
                   topic,
                   group,
                   joins_at|
         -> NodeId {
            let ix = g.add_node(Node {
                kind,
                name,
                pos: [0.0, 0.0],
                topic,
                group,
                joins_at,
            });
            u32::try_from(ix.index()).unwrap_or(u32::MAX)
        };
        let producers: Vec<NodeId> = s
            .producers
            .iter()
            .map(|p| add(&mut g, NodeKind::Producer, p.name.clone(), None, None, None))
            .collect();
        let cons = all_consumers(s);
        let consumers: Vec<NodeId> = cons
            .iter()
            .map(|(c, at)| {
                add(
                    &mut g,
                    NodeKind::Consumer,
                    c.name.clone(),
                    None,
                    Some(c.group.clone()),
                    *at,
                )
            })
            .collect();
        let link = |g: &mut StableGraph<Node, EdgeKind>, a: NodeId, b: NodeId, k: EdgeKind| {
            g.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), k);
        };
        let topics_of = |p: &crate::scenario::Producer| -> BTreeSet<TopicId> {
            p.publish.iter().map(|x| x.topic).collect()
        };

        let mut brokers = Vec::new();
        let mut broker_of_topic = vec![0; s.topics.len()];
        let mut channel = None;
        let mut queues = Vec::new();
        let mut logs = Vec::new();
        match (v.shape(), v.broker_kind()) {
            (Shape::Direct, _) => {
                for (pi, p) in s.producers.iter().enumerate() {
                    let ts = topics_of(p);
                    for (ci, (c, _)) in cons.iter().enumerate() {
                        if c.subscribe.iter().any(|t| ts.contains(t)) {
                            link(&mut g, producers[pi], consumers[ci], EdgeKind::Link);
                        }
                    }
                }
            }
            (Shape::Channel, _) => {
                let ch = add(
                    &mut g,
                    NodeKind::Channel,
                    "ipc-channel".into(),
                    None,
                    None,
                    None,
                );
                channel = Some(ch);
                for &p in &producers {
                    link(&mut g, p, ch, EdgeKind::Link);
                }
                for &c in &consumers {
                    link(&mut g, ch, c, EdgeKind::Link);
                }
            }
            // A brokered shape always has its broker (the scenario's types say so).
            (_, None) => {}
            (shape, Some(kind)) => {
                if shape == Shape::BrokerPerTopic {
                    for (t, name) in s.topics.iter().enumerate() {
                        let tid = TopicId::try_from(t).unwrap_or(0);
                        brokers.push(add(
                            &mut g,
                            NodeKind::Broker,
                            format!("{}:{name}", kind.name()),
                            Some(tid),
                            None,
                            None,
                        ));
                        broker_of_topic[t] = t;
                    }
                } else {
                    brokers.push(add(
                        &mut g,
                        NodeKind::Broker,
                        kind.name().into(),
                        None,
                        None,
                        None,
                    ));
                }
                for (pi, p) in s.producers.iter().enumerate() {
                    let bs: BTreeSet<usize> = topics_of(p)
                        .iter()
                        .map(|&t| broker_of_topic[usize::from(t)])
                        .collect();
                    for b in bs {
                        link(&mut g, producers[pi], brokers[b], EdgeKind::Link);
                    }
                }
                match kind {
                    BrokerKind::RedisPubsub => {
                        for (ci, (c, _)) in cons.iter().enumerate() {
                            let bs: BTreeSet<usize> = c
                                .subscribe
                                .iter()
                                .map(|&t| broker_of_topic[usize::from(t)])
                                .collect();
                            for b in bs {
                                link(&mut g, brokers[b], consumers[ci], EdgeKind::Link);
                            }
                        }
                    }
                    BrokerKind::Rabbitmq => {
                        // A queue per consumer group on every broker that carries one of its topics.
                        for (ci, (c, _)) in cons.iter().enumerate() {
                            let bs: BTreeSet<usize> = c
                                .subscribe
                                .iter()
                                .map(|&t| broker_of_topic[usize::from(t)])
                                .collect();
                            for b in bs {
                                let q = if let Some(&(_, _, q)) =
                                    queues.iter().find(|(qb, qg, _)| *qb == b && *qg == c.group)
                                {
                                    q
                                } else {
                                    let label = if shape == Shape::BrokerPerTopic {
                                        format!("{}:{}", s.topics[b], c.group)
                                    } else {
                                        c.group.clone()
                                    };
                                    let q = add(
                                        &mut g,
                                        NodeKind::Queue,
                                        format!("queue {label}"),
                                        None,
                                        Some(c.group.clone()),
                                        None,
                                    );
                                    link(&mut g, brokers[b], q, EdgeKind::Internal);
                                    queues.push((b, c.group.clone(), q));
                                    q
                                };
                                link(&mut g, q, consumers[ci], EdgeKind::Link);
                            }
                        }
                    }
                    BrokerKind::Kafka | BrokerKind::RedisStream => {
                        for (t, name) in s.topics.iter().enumerate() {
                            let tid = TopicId::try_from(t).unwrap_or(0);
                            let l = add(&mut g, NodeKind::Log, name.clone(), Some(tid), None, None);
                            link(&mut g, brokers[broker_of_topic[t]], l, EdgeKind::Internal);
                            logs.push((tid, l));
                        }
                        for (ci, (c, _)) in cons.iter().enumerate() {
                            for &t in &c.subscribe {
                                link(
                                    &mut g,
                                    logs[usize::from(t)].1,
                                    consumers[ci],
                                    EdgeKind::Link,
                                );
                            }
                        }
                    }
                }
            }
        }
        let cost = cost(s, v);
        let mut topo = Topology {
            graph: g,
            producers,
            consumers,
            brokers,
            broker_of_topic,
            channel,
            queues,
            logs,
            cost,
        };
        topo.layout();
        topo
    }

    /// Layered layout: producers on top, brokers in the middle, queues and logs below them,
    /// consumers at the bottom; each layer centred on x = 0. Deterministic: node order only.
    #[allow(clippy::cast_precision_loss)]
    fn layout(&mut self) {
        let layer = |k: NodeKind| match k {
            NodeKind::Producer => 0.0,
            NodeKind::Broker | NodeKind::Channel => 1.0,
            NodeKind::Queue | NodeKind::Log => 2.0,
            NodeKind::Consumer => 3.0,
        };
        let mut layers: [Vec<NodeIndex>; 4] = Default::default();
        for ix in self.graph.node_indices() {
            let y = layer(self.graph[ix].kind);
            layers[y as usize].push(ix);
        }
        let has_middle = !layers[2].is_empty();
        for (li, nodes) in layers.iter().enumerate() {
            let n = nodes.len() as f32;
            let y = if !has_middle && li == 3 {
                2.0
            } else {
                li as f32
            };
            for (i, &ix) in nodes.iter().enumerate() {
                self.graph[ix].pos = [(i as f32 - (n - 1.0) / 2.0) * X_GAP, y * Y_GAP];
            }
        }
    }

    #[must_use]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph[NodeIndex::new(id as usize)]
    }
}

/// What the topology asks of the people who run it (DESIGN.md's integration cost metrics),
/// counted over the consumers present at the start.
#[must_use]
pub fn cost(s: &Scenario, v: &Variant) -> Cost {
    let producer_topics: Vec<BTreeSet<TopicId>> = s
        .producers
        .iter()
        .map(|p| p.publish.iter().map(|x| x.topic).collect())
        .collect();
    let feeds = |pt: &BTreeSet<TopicId>, c: &crate::scenario::Consumer| {
        c.subscribe.iter().any(|t| pt.contains(t))
    };
    let producers_of_topic =
        |t: TopicId| producer_topics.iter().filter(|pt| pt.contains(&t)).count() as u64;
    let max_producers_per_topic = (0..s.topics.len())
        .map(|t| producers_of_topic(TopicId::try_from(t).unwrap_or(0)))
        .max()
        .unwrap_or(0);
    let p = s.producers.len() as u64;
    let c = s.consumers.len() as u64;
    match v.shape() {
        Shape::Direct => {
            let per_producer: Vec<u64> = producer_topics
                .iter()
                .map(|pt| s.consumers.iter().filter(|c| feeds(pt, c)).count() as u64)
                .collect();
            Cost {
                connections: per_producer.iter().sum(),
                systems_to_operate: 0,
                max_producer_endpoints: per_producer.iter().copied().max().unwrap_or(0),
                // Every producer of the topic must learn the new consumer's address.
                add_consumer_cost: max_producers_per_topic,
            }
        }
        // A channel gives each message to one receiver: an independent new consumer needs its own
        // channel, and every sender of the topic must send to it too.
        Shape::Channel => Cost {
            connections: p + c,
            systems_to_operate: 0,
            max_producer_endpoints: 1,
            add_consumer_cost: max_producers_per_topic,
        },
        Shape::SingleBroker | Shape::CentralLog => Cost {
            connections: p + c,
            systems_to_operate: 1,
            max_producer_endpoints: 1,
            add_consumer_cost: 0,
        },
        Shape::BrokerPerTopic => {
            let consumer_links: u64 = s.consumers.iter().map(|c| c.subscribe.len() as u64).sum();
            let producer_links: u64 = producer_topics.iter().map(|pt| pt.len() as u64).sum();
            Cost {
                connections: producer_links + consumer_links,
                systems_to_operate: s.topics.len() as u64,
                max_producer_endpoints: producer_topics
                    .iter()
                    .map(|pt| pt.len() as u64)
                    .max()
                    .unwrap_or(0),
                add_consumer_cost: 0,
            }
        }
    }
}
