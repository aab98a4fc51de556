//! What a learner can see inside a variant's systems: the models' state as plain data, for the
//! snapshot a viewer draws and the `state` of `run --format json`.

use serde::Serialize;

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
    /// RabbitMQ streams (`queue_type = "stream"`) with their readers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rabbit_streams: Vec<RabbitStreamState>,
    /// Kafka share groups: one entry per share group and partition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub share_partitions: Vec<SharePartitionState>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RabbitStreamState {
    /// The stream's name: its binding key (the topic, or a topic exchange's pattern).
    pub stream: String,
    pub broker: String,
    pub node: u32,
    /// The first retained offset (the log start).
    pub first_offset: u64,
    /// The offset the next message gets (the log end).
    pub next_offset: u64,
    /// The first offset of the last chunk, where `last` attaches (None: empty).
    pub last_chunk_offset: Option<u64>,
    pub length: u64,
    pub bytes: u64,
    pub chunks: u64,
    pub segments: u64,
    /// Messages deleted by retention (whole segments) so far.
    pub deleted: u64,
    /// One per consumer reading the stream (an AMQP consumer is a reader of its own).
    pub readers: Vec<StreamReaderState>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StreamReaderState {
    pub consumer: String,
    pub group: String,
    /// Attached now (a consumer that is away has no reader on the server).
    pub attached: bool,
    /// Where it started when it last attached: offsets below are never sent to it.
    pub start: u64,
    /// The next offset it will be sent (None: detached).
    pub offset: Option<u64>,
    /// Delivered, not yet acknowledged (acks only return credit).
    pub unacked: u64,
    /// `prefetch` minus unacked: checked per chunk, so it can go below 0.
    pub credit: i64,
    /// Messages in the stream it has not been sent yet.
    pub lag: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SharePartitionState {
    pub group: String,
    pub topic: String,
    pub partition: u32,
    pub node: u32,
    /// Share-partition start offset: records below are acknowledged or archived.
    pub spso: u64,
    /// Share-partition end offset: the last record ever acquired (None: none yet).
    pub speo: Option<u64>,
    /// Records between SPSO and SPEO (at most `max_record_locks`).
    pub in_flight: u64,
    pub acquired: u64,
    /// Released or timed out, waiting to be acquired again.
    pub available: u64,
    /// Acknowledged (accepted) between SPSO and SPEO.
    pub acknowledged: u64,
    /// Records archived so far: at the delivery limit, rejected, or deleted unread.
    pub archived: u64,
    pub archived_delivery_limit: u64,
    pub archived_rejected: u64,
    /// The highest delivery count between SPSO and SPEO.
    pub max_delivery_count: u32,
    /// Members assigned this partition.
    pub members: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BrokerState {
    pub name: String,
    pub up: bool,
    /// The broker system it belongs to (an index into the topology's brokers).
    #[serde(skip)]
    pub system: usize,
}

impl BrokerState {
    /// One state per broker system: its name and whether it is up, by system index.
    #[must_use]
    pub fn of_systems(names: &[String], up: &[bool]) -> Vec<BrokerState> {
        names
            .iter()
            .zip(up)
            .enumerate()
            .map(|(system, (n, &up))| BrokerState {
                name: n.clone(),
                up,
                system,
            })
            .collect()
    }
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
