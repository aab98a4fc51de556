//! The budgets that multiply out: what a run would hold or do, estimated from the file before
//! it runs, against the limits. A file over one is refused with the estimate; under all of them a
//! run's memory is bounded (see [`super::Limits`]).
//!
//! ```text
//!   deliveries        = sum over groups of the messages of the topics it subscribes to
//!   partition_groups  = Kafka partitions (all topics) x consumer groups
//!   key_groups        = key slots x consumer groups
//!   timer_work        = per variant: Kafka  duration / auto_commit + duration / retention check
//!                                    Redis streams  duration / autoclaim_every x stream groups
//!                                           + duration / 1 s x servers (save checks)
//!                                    direct with retry  deliveries x retries each (at most
//!                                           max_retries, at most duration / retry_ms)
//!   partition_checks  = Kafka: duration / retention check x partitions (all topics)
//! ```

use super::parse::{Checker, RawScenario, Res, Top};
use super::{
    Broker, BrokerShape, Consumer, ExchangeKind, Fault, Producer, System, Variant, LIMITS,
};
use std::collections::BTreeMap;

/// Messages each topic gets over the run.
fn per_topic(producers: &[Producer], topics: usize, duration_s: f64) -> Vec<f64> {
    let mut n = vec![0.0; topics];
    for pb in producers.iter().flat_map(|p| &p.publish) {
        n[usize::from(pb.topic)] += pb.rate_per_s * duration_s;
    }
    n
}

/// The deliveries a run expects: each consumer group gets every message of the topics it
/// subscribes to (`messages[t]` of topic `t`; `subscribes[t]` of a group). The `deliveries`
/// budget, and what `brokerlab import` keeps a drawing's run within.
pub fn deliveries<'a>(messages: &[f64], groups: impl Iterator<Item = &'a [bool]>) -> f64 {
    groups
        .flat_map(|subs| {
            subs.iter()
                .zip(messages)
                .filter(|(s, _)| **s)
                .map(|(_, n)| n)
        })
        .sum()
}

/// The topics of each consumer group, over every consumer that joins it. Behind a RabbitMQ
/// topic exchange a pattern may bind more topics than it names: an entry with `*` or `#` then
/// counts as every topic (an upper bound).
fn groups(
    topics: &[String],
    consumers: &[&Consumer],
    patterns: bool,
) -> BTreeMap<String, Vec<bool>> {
    let mut g: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for c in consumers {
        let subs = g
            .entry(c.group.clone())
            .or_insert_with(|| vec![false; topics.len()]);
        for &t in &c.subscribe {
            let name = &topics[usize::from(t)];
            if patterns && (name.contains('*') || name.contains('#')) {
                subs.iter_mut().for_each(|s| *s = true);
            }
            subs[usize::from(t)] = true;
        }
    }
    g
}

/// Where to point for a budget of the workload: its largest publish entry's rate.
fn biggest_entry(raw: &RawScenario) -> std::ops::Range<usize> {
    raw.producer
        .iter()
        .flat_map(|p| &p.get_ref().publish)
        .max_by(|a, b| {
            a.get_ref()
                .rate_per_s
                .get_ref()
                .total_cmp(b.get_ref().rate_per_s.get_ref())
        })
        .map_or(0..0, |pb| pb.get_ref().rate_per_s.span())
}

#[allow(clippy::too_many_arguments, clippy::cast_precision_loss)]
pub(super) fn check(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    topics: &[String],
    producers: &[Producer],
    consumers: &[Consumer],
    faults: &[Fault],
    variants: &[Variant],
) -> Res<()> {
    let everyone: Vec<&Consumer> = consumers
        .iter()
        .chain(faults.iter().filter_map(Fault::added_consumer))
        .collect();
    let patterns = variants.iter().any(|v| {
        matches!(&v.system, System::Broker { broker: Broker::Rabbitmq(o), .. } if o.exchange == ExchangeKind::Topic)
    });
    let groups = groups(topics, &everyone, patterns);
    let n_groups = groups.len() as f64;
    let messages = per_topic(producers, topics.len(), top.duration_s);
    let deliveries = deliveries(&messages, groups.values().map(Vec::as_slice));
    if deliveries > LIMITS.deliveries {
        return Err(c.push(c.span(
            biggest_entry(raw),
            format!(
                "the run would expect about {deliveries:.0} deliveries (each message times the {n_groups} \
                 consumer groups of its topic); the limit is {:.0}: lower rate_per_s or duration_s, or \
                 use fewer groups",
                LIMITS.deliveries
            ),
        )));
    }
    let keys: f64 = producers
        .iter()
        .flat_map(|p| &p.publish)
        .map(|pb| f64::from(pb.keys))
        .sum();
    if keys * n_groups > LIMITS.key_groups {
        return Err(c.push(c.span(
            biggest_entry(raw),
            format!(
                "{keys:.0} keys times {n_groups} consumer groups is {:.0}; the limit is {:.0} (each group \
                 keeps the newest message of every key): use fewer keys or groups",
                keys * n_groups,
                LIMITS.key_groups
            ),
        )));
    }
    partitions(c, raw, topics.len(), n_groups, variants)?;
    let stream_groups: usize = groups
        .values()
        .map(|subs| subs.iter().filter(|s| **s).count())
        .sum();
    timers(
        c,
        raw,
        top.duration_s,
        topics.len(),
        stream_groups,
        deliveries,
        variants,
    )
}

/// Each variant's timer work (see the module docs) against [`super::Limits::timer_work`].
#[allow(clippy::cast_precision_loss)]
fn timers(
    c: &Checker,
    raw: &RawScenario,
    duration_s: f64,
    topics: usize,
    stream_groups: usize,
    deliveries: f64,
    variants: &[Variant],
) -> Res<()> {
    let limit = LIMITS.timer_work;
    let ms = duration_s * 1000.0;
    for (v, rv) in variants.iter().zip(&raw.variant) {
        let (work, what, fix) = match &v.system {
            System::Direct(o) if o.retry => {
                let each = f64::from(o.max_retries).min((ms / o.retry_ms).floor());
                (
                    deliveries * each,
                    format!(
                        "retries every {} ms, up to {each:.0} for each of about {deliveries:.0} deliveries,",
                        o.retry_ms
                    ),
                    "lower max_retries, raise retry_ms, or lower rate_per_s or duration_s",
                )
            }
            System::Broker {
                broker: Broker::Kafka(o),
                ..
            } => {
                let check_s = o.retention_check_s();
                let partitions = f64::from(o.partitions) * topics as f64;
                let commits = ms / o.auto_commit_ms;
                let checks = duration_s / check_s;
                let looked_at = checks * partitions;
                if looked_at > LIMITS.partition_checks {
                    return Err(c.push(c.span(
                        rv.get_ref().name.span(),
                        format!(
                            "variant {:?}: retention checks of {partitions:.0} partitions every \
                             {check_s} s over {duration_s} s come to about {looked_at:.0} partition \
                             checks; the limit is {:.0}: raise retention_s, use fewer partitions, \
                             or shorten duration_s",
                            v.name, LIMITS.partition_checks
                        ),
                    )));
                }
                (
                    commits + checks,
                    format!(
                        "auto-commits every {} ms and retention checks every {check_s} s over \
                         {duration_s} s",
                        o.auto_commit_ms
                    ),
                    "raise auto_commit_ms or retention_s, or shorten duration_s",
                )
            }
            System::Broker {
                broker: Broker::RedisStream(o),
                shape,
            } => {
                let claims = if o.min_idle_ms > 0.0 {
                    ms / o.autoclaim_every_ms * stream_groups as f64
                } else {
                    0.0
                };
                // Each server checks its save points once a second (serverCron).
                let servers = match shape {
                    BrokerShape::BrokerPerTopic => topics as f64,
                    _ => 1.0,
                };
                let saves = if o.appendonly || o.save.is_empty() {
                    0.0
                } else {
                    duration_s * servers
                };
                (
                    claims + saves,
                    format!(
                        "autoclaims every {} ms for {stream_groups} stream groups and save checks \
                         of {servers} servers every second over {duration_s} s",
                        o.autoclaim_every_ms
                    ),
                    "raise autoclaim_every_ms, use fewer servers, or shorten duration_s",
                )
            }
            _ => continue,
        };
        if work > limit {
            return Err(c.push(c.span(
                rv.get_ref().name.span(),
                format!(
                    "variant {:?}: {what} come to about {work:.0} timer events; the limit is \
                     {limit:.0}: {fix}",
                    v.name
                ),
            )));
        }
    }
    Ok(())
}

fn partitions(
    c: &Checker,
    raw: &RawScenario,
    topics: usize,
    n_groups: f64,
    variants: &[Variant],
) -> Res<()> {
    for (v, rv) in variants.iter().zip(&raw.variant) {
        let System::Broker {
            broker: Broker::Kafka(o),
            ..
        } = &v.system
        else {
            continue;
        };
        let pairs = f64::from(o.partitions) * topics as f64 * n_groups;
        if pairs > LIMITS.partition_groups {
            return Err(c.push(c.span(
                rv.get_ref().name.span(),
                format!(
                    "{} partitions x {topics} topics x {n_groups} consumer groups is {pairs:.0} offsets to \
                     keep; the limit is {:.0}: use fewer partitions or groups",
                    o.partitions, LIMITS.partition_groups
                ),
            )));
        }
    }
    Ok(())
}
