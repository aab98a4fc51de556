//! Broker models: how each messaging system moves, keeps and loses messages. One file per real
//! system; each module's doc says what it models and what it leaves out, citing
//! `shared/reference/broker-behaviour.md` (the reference).
//!
//! A model owns the state of its system (queues, buffers, logs, offsets) and moves messages through
//! the shared [`World`]. It keeps the ledger honest: a copy it creates it adds, a copy it lets go
//! it drops with the reason, and `holdings` lists every copy it keeps (the audit compares).

pub mod direct;
pub mod ipc_channel;
pub mod kafka;
pub mod rabbitmq;
pub mod redis_pubsub;
pub mod redis_stream;

use crate::metrics::LossReason;
use crate::scenario::{BrokerKind, Scenario, Shape, TopicId, Variant};
use crate::sim::ledger::{GroupId, MsgId};
use crate::sim::world::{Delivery, Hop, World};
use crate::topology::Topology;
use serde::Serialize;

/// How a consumer went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Down {
    /// Closed its connection cleanly.
    Offline,
    /// Its process died.
    Crash,
    /// Its network link was cut: the process lives, but nobody can reach it.
    LinkDown,
}

impl Down {
    /// Why a copy the consumer held is lost when it goes away this way; `offline` says it in
    /// the model's terms for a clean leave (a receiver, a subscriber).
    #[must_use]
    pub fn loss(self, offline: LossReason) -> LossReason {
        match self {
            Down::Crash => LossReason::ConsumerCrash,
            Down::Offline => offline,
            Down::LinkDown => LossReason::LinkDown,
        }
    }
}

/// Let go of every delivery consumer `c` held (in `w.scratch`), each copy dropped for `reason`.
pub(crate) fn drop_held_all(w: &mut World, c: u32, reason: LossReason) {
    let held = std::mem::take(&mut w.scratch);
    for d in &held {
        w.drop_held(c, d.msg, reason);
    }
    w.scratch = held;
}

/// What one model does at each moment of a message's life. `World::scratch` holds the
/// deliveries of a consumer that went away when `consumer_down` is called.
pub trait BrokerModel {
    /// A producer created message `m` (the ledger already expects it).
    fn publish(&mut self, w: &mut World, m: MsgId);
    /// A hop reached its destination.
    fn arrive(&mut self, w: &mut World, h: Hop);
    /// Consumer `c` finished processing `d`.
    fn processed(&mut self, _w: &mut World, _c: u32, _d: Delivery) {}
    /// Consumer `c` went away; `w.scratch` holds what it had.
    fn consumer_down(&mut self, w: &mut World, c: u32, how: Down);
    /// Consumer `c` came (back) online or joined.
    fn consumer_up(&mut self, _w: &mut World, _c: u32) {}
    /// A broker crashed: the one carrying `topic`, or every broker.
    fn broker_crash(&mut self, _w: &mut World, _topic: Option<TopicId>) {}
    fn broker_restart(&mut self, _w: &mut World, _topic: Option<TopicId>) {}
    /// A producer's link healed.
    fn producer_up(&mut self, _w: &mut World, _p: u32) {}
    fn timer(&mut self, _w: &mut World, _kind: u8, _a: u32, _b: u32) {}
    /// Every copy the model keeps itself (not hops, not consumer memory), as (message, group).
    fn holdings(&self, w: &World, f: &mut dyn FnMut(MsgId, GroupId));
    /// Check the model's own bookkeeping (counters kept for speed against what they count).
    ///
    /// # Errors
    /// A description of the first mismatch.
    fn check(&self, _w: &World) -> Result<(), String> {
        Ok(())
    }
    /// Internal state a learner can see.
    fn state(&self, w: &World) -> ModelState;
    /// Consumer lag of a group, where the system defines it (Kafka: log end minus committed).
    fn group_lag(&self, _w: &World, _g: GroupId) -> Option<u64> {
        None
    }
}

/// The broker model of one variant.
#[derive(Clone, Debug)]
pub enum Model {
    Direct(direct::Direct),
    Channel(ipc_channel::IpcChannel),
    RedisPubsub(redis_pubsub::RedisPubsub),
    Rabbitmq(rabbitmq::RabbitMq),
    Kafka(kafka::Kafka),
    RedisStream(redis_stream::RedisStream),
}

impl Model {
    #[must_use]
    pub fn new(s: &Scenario, v: &Variant, topo: &Topology) -> Model {
        match (v.shape, v.broker) {
            (Shape::Direct, _) => Model::Direct(direct::Direct::new(v, topo)),
            (Shape::Channel, _) => Model::Channel(ipc_channel::IpcChannel::new(v, topo)),
            (_, Some(BrokerKind::RedisPubsub)) => {
                Model::RedisPubsub(redis_pubsub::RedisPubsub::new(s, v, topo))
            }
            (_, Some(BrokerKind::Rabbitmq)) => Model::Rabbitmq(rabbitmq::RabbitMq::new(s, v, topo)),
            (_, Some(BrokerKind::RedisStream)) => {
                Model::RedisStream(redis_stream::RedisStream::new(s, v, topo))
            }
            (_, Some(BrokerKind::Kafka) | None) => Model::Kafka(kafka::Kafka::new(s, v, topo)),
        }
    }

    pub(crate) fn get(&mut self) -> &mut dyn BrokerModel {
        match self {
            Model::Direct(m) => m,
            Model::Channel(m) => m,
            Model::RedisPubsub(m) => m,
            Model::Rabbitmq(m) => m,
            Model::Kafka(m) => m,
            Model::RedisStream(m) => m,
        }
    }

    pub(crate) fn view(&self) -> &dyn BrokerModel {
        match self {
            Model::Direct(m) => m,
            Model::Channel(m) => m,
            Model::RedisPubsub(m) => m,
            Model::Rabbitmq(m) => m,
            Model::Kafka(m) => m,
            Model::RedisStream(m) => m,
        }
    }
}

/// The topics a consumer of variant `v` gets messages of, given its `subscribe` entries: the
/// entries themselves, except behind a RabbitMQ topic exchange, where each entry is a binding
/// pattern (`*` one word, `#` zero or more) and stands for every topic it matches.
#[must_use]
pub fn subscriptions(s: &Scenario, v: &Variant, subscribe: &[TopicId]) -> Vec<TopicId> {
    let topic_exchange = v.broker == Some(BrokerKind::Rabbitmq)
        && v.rabbitmq.exchange == crate::scenario::ExchangeKind::Topic;
    if !topic_exchange {
        return subscribe.to_vec();
    }
    (0..s.topics.len())
        .filter_map(|t| TopicId::try_from(t).ok())
        .filter(|&t| {
            subscribe
                .iter()
                .any(|&p| rabbitmq::topic_matches(s.topic_name(p), s.topic_name(t)))
        })
        .collect()
}

/// What a learner can see inside a variant's systems. Sections a model lacks stay empty.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ModelState {
    pub brokers: Vec<BrokerState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscribers: Vec<SubscriberState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionState>,
    /// Redis Pub/Sub channels (one per topic).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pubsub_channels: Vec<PubsubChannelState>,
    /// Redis streams (one per topic) with their consumer groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamState>,
    /// Redis persistence per server (RDB snapshots, AOF).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub persistence: Vec<PersistenceState>,
    /// RabbitMQ exchanges, one per broker.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<ExchangeState>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BrokerState {
    pub name: String,
    pub up: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChannelState {
    pub depth: u64,
    pub capacity: u64,
    /// Messages whose senders are blocked because the channel is full.
    pub blocked: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueueState {
    pub name: String,
    pub group: String,
    pub node: u32,
    pub exists: bool,
    /// Ready messages.
    pub depth: u64,
    /// Delivered, not yet acknowledged.
    pub unacked: u64,
    pub bytes: u64,
    /// `classic` or `quorum`.
    pub queue_type: String,
    pub durable: bool,
    /// `x-max-length` (None: no limit).
    pub max_length: Option<u64>,
    /// Messages dropped or refused at `x-max-length` so far.
    pub overflowed: u64,
    /// Ready messages that were delivered before (requeued, `redelivered` set).
    pub redelivered_ready: u64,
    /// The most earlier deliveries of any ready message (a quorum queue's `x-delivery-count`).
    pub max_delivery_count: u32,
    /// Consumers connected to the queue.
    pub consumers: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExchangeState {
    pub broker: String,
    /// `fanout`, `direct` or `topic`.
    pub kind: String,
    /// Messages routed to at least one queue.
    pub routed: u64,
    /// Unroutable messages dropped silently (`mandatory = false`).
    pub unroutable: u64,
    /// Unroutable messages returned to the publisher (`mandatory = true`).
    pub returned: u64,
    /// Publishes nacked by a queue at `x-max-length` with `reject-publish`.
    pub nacked: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PubsubChannelState {
    pub channel: String,
    pub broker: String,
    /// `PUBSUB NUMSUB`: clients subscribed right now.
    pub subscribers: u64,
    pub published: u64,
    /// What the last PUBLISH returned: the clients that received it.
    pub last_receivers: u64,
    /// Publishes that reached no subscriber (PUBLISH returned 0).
    pub published_to_nobody: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StreamState {
    pub stream: String,
    pub broker: String,
    pub node: u32,
    /// `XLEN`.
    pub length: u64,
    pub bytes: u64,
    /// Id of the oldest retained entry (None: empty).
    pub first_id: Option<u64>,
    /// Id of the newest entry ever added (None: none yet).
    pub last_id: Option<u64>,
    /// Entries trimmed by MAXLEN so far.
    pub trimmed: u64,
    pub groups: Vec<StreamGroupState>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StreamGroupState {
    pub group: String,
    /// The group's last-delivered-id (None: nothing delivered yet).
    pub last_delivered_id: Option<u64>,
    /// Retained entries not yet delivered to the group (`XINFO GROUPS` lag).
    pub lag: u64,
    /// Entries delivered and not acknowledged (`XPENDING` count).
    pub pending: u64,
    /// Pending entries per consumer, in join order.
    pub consumers: Vec<StreamConsumerState>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StreamConsumerState {
    pub consumer: String,
    /// Its pending entries list.
    pub pending: u64,
    /// The highest delivery counter among them.
    pub max_delivery_count: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct PersistenceState {
    pub broker: String,
    pub appendonly: bool,
    /// When the last RDB snapshot was taken, in simulated seconds (None: never).
    pub last_save_s: Option<f64>,
    /// Writes since the last snapshot (`rdb_changes_since_last_save`).
    pub changes_since_save: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SubscriberState {
    pub consumer: String,
    pub subscribed: bool,
    /// The broker-side output buffer of this client.
    pub buffer_bytes: u64,
    pub buffer_messages: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartitionState {
    pub topic: String,
    pub partition: u32,
    pub node: u32,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub leader: Option<u32>,
    pub groups: Vec<GroupOffset>,
    /// High watermark: records below it are on every in-sync replica and readable.
    pub high_watermark: u64,
    /// Log segments, the active one included.
    pub segments: u64,
    /// Base offset of the active segment (the one being written).
    pub active_segment_base: u64,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupOffset {
    pub group: String,
    pub committed: u64,
    pub lag: u64,
    /// The consumer the partition is assigned to.
    pub owner: Option<String>,
}
