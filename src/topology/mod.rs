//! The graph of one variant: who is wired to whom, laid out in layers as the study notes draw it.
//!
//! ```text
//!   producers      P1   P2   P3          layer 0
//!                    \   |   /
//!   brokers          [ broker ]           layer 1   (or an IPC channel)
//!                     /     \
//!   queues / logs   q:a     q:b           layer 2   (rabbitmq queues, kafka/stream topic logs)
//!                    |       |
//!   consumers        C1      C2           layer 3   (a layer without nodes is left out)
//! ```
//!
//! The engine sends messages along these edges; a viewer draws the graph as it is. [`layout`]
//! orders each layer for few edge crossings, [`place`] puts the nodes and their labels in a pane.

mod build;
pub mod layout;
pub mod place;

pub use layout::{crossings, layers_in_node_order, Layers};
pub use place::{label_lines, Placement};

use crate::metrics::Cost;
use crate::scenario::{Nanos, Scenario, Shape, TopicId, Variant};
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
    /// The name as the picture shows it: without what the shape and its neighbours already
    /// say (a per-topic broker's label is its topic; a queue's its group, or "queue" when the
    /// group is the one consumer below it). `name` is on hover.
    pub label: String,
    /// Layout position: x across, y down, in canvas units, one row per layer with whole labels
    /// ([`Topology::placement`]); a pane places the nodes again for its size.
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
    /// Nodes by layer, top to bottom, each layer left to right in the order that keeps edge
    /// crossings few ([`layout`]).
    pub layers: Layers,
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

impl Topology {
    /// The graph of variant `v`, its layers ordered for few crossings, its nodes placed one row
    /// per layer (a pane places them again for its own size: [`Topology::placement_for`]).
    #[must_use]
    pub fn build(s: &Scenario, v: &Variant) -> Topology {
        let mut topo = build::graph(s, v);
        topo.layers = layout::ordered_layers(&topo.graph);
        let p = topo.placement();
        let nodes: Vec<NodeIndex> = topo.graph.node_indices().collect();
        for ix in nodes {
            topo.graph[ix].pos = p.pos[ix.index()];
        }
        topo
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
