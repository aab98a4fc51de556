//! The `[[fault]]` section: when, what kind, whom it hits.

use super::{consumer, list, topic_id, Checker, Names, RawFault, RawScenario, Res, Top, LIMITS};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::{rules, secs, Fault, FaultAction, FaultKind, Nanos};
use toml::Spanned;

/// The faults, in time order (a fault may name a consumer that an earlier add-consumer brings).
pub(super) fn faults(
    c: &Checker,
    raw: &RawScenario,
    top: &Top,
    topics: &[String],
    names: &mut Names,
) -> Vec<Fault> {
    if let Some(extra) = raw.fault.get(LIMITS.faults) {
        let _ = c.err::<(), _>(extra, format!("more than {} faults", LIMITS.faults));
        return Vec::new();
    }
    let mut sorted: Vec<&Spanned<RawFault>> = raw.fault.iter().collect();
    sorted.sort_by(|a, b| {
        a.get_ref()
            .at_s
            .get_ref()
            .total_cmp(b.get_ref().at_s.get_ref())
    });
    sorted
        .into_iter()
        .filter_map(|rf| fault(c, rf.get_ref(), top, topics, names).ok())
        .collect()
}

fn fault(c: &Checker, f: &RawFault, top: &Top, topics: &[String], names: &mut Names) -> Res<Fault> {
    let kind = *f.kind.get_ref();
    let at_s = c.number(&f.at_s, "at_s", rules::AT_S.up_to(top.duration_s))?;
    let until = fault_until(c, f, kind, at_s);
    let factor = fault_factor(c, f, kind);
    if kind != FaultKind::AddConsumer {
        if let Some(rc) = &f.consumer {
            let why = format!("`consumer` belongs to add-consumer, not {}", kind.name());
            return c.err(rc, why);
        }
    }
    let target = || fault_target(c, f, kind, topics, names);
    let action = match kind {
        FaultKind::AddConsumer => {
            if let Some(t) = &f.target {
                return c.err(
                    t,
                    "add-consumer has no target: describe the new consumer in `consumer = { ... }`",
                );
            }
            let Some(rc) = &f.consumer else {
                return c.err(
                    &f.kind,
                    "add-consumer needs `consumer = { name = ..., subscribe = [...] }`",
                );
            };
            until?;
            FaultAction::AddConsumer {
                consumer: consumer(c, rc, topics, names)?,
            }
        }
        FaultKind::ConsumerOffline => FaultAction::ConsumerOffline {
            consumer: target()?,
            until: until?,
        },
        FaultKind::ConsumerCrash => FaultAction::ConsumerCrash {
            consumer: target()?,
            until: until?,
        },
        FaultKind::ConsumerSlow => FaultAction::ConsumerSlow {
            consumer: target()?,
            factor: factor?,
            until: until?,
        },
        FaultKind::LinkDown => FaultAction::LinkDown {
            target: target()?,
            until: until?,
        },
        FaultKind::BrokerCrash => FaultAction::BrokerCrash {
            topic: match &f.target {
                Some(_) => Some(topic_id(topics, &target()?)),
                None => None,
            },
            until: until?,
        },
    };
    factor?;
    Ok(Fault {
        at: secs(at_s),
        action,
    })
}

fn fault_factor(c: &Checker, f: &RawFault, kind: FaultKind) -> Res<f64> {
    match &f.factor {
        Some(v) if kind != FaultKind::ConsumerSlow => c.err(
            v,
            format!("factor belongs to consumer-slow, not {}", kind.name()),
        ),
        Some(v) => c.number(v, "factor", rules::FACTOR),
        None => Ok(rules::FACTOR_DEFAULT),
    }
}

fn fault_until(c: &Checker, f: &RawFault, kind: FaultKind, at_s: f64) -> Res<Option<Nanos>> {
    let Some(u) = &f.until_s else {
        return Ok(None);
    };
    let u_s = c.number(u, "until_s", rules::UNTIL_S)?;
    if u_s <= at_s {
        return c.err(u, format!("until_s ({u_s}) must be after at_s ({at_s})"));
    }
    if kind == FaultKind::AddConsumer {
        return c.err(u, "add-consumer takes no until_s: the consumer stays");
    }
    Ok(Some(secs(u_s)))
}

/// The target a fault of `kind` needs, checked against what the scenario has.
fn fault_target(
    c: &Checker,
    f: &RawFault,
    kind: FaultKind,
    topics: &[String],
    names: &Names,
) -> Res<String> {
    let Some(t) = &f.target else {
        let what = match kind {
            FaultKind::LinkDown => "a target producer or consumer",
            _ => "a target consumer",
        };
        return c.err(&f.kind, format!("{} needs {what}", kind.name()));
    };
    let n = t.get_ref().trim();
    let consumers = names.consumers.iter().map(String::as_str);
    let (known, candidates): (bool, Vec<&str>) = match kind {
        FaultKind::LinkDown => (
            names.consumers.contains(n) || names.is_producer(n),
            names.taken.keys().map(String::as_str).collect(),
        ),
        FaultKind::BrokerCrash => (
            topics.binary_search_by(|x| x.as_str().cmp(n)).is_ok(),
            topics.iter().map(String::as_str).collect(),
        ),
        _ => (names.consumers.contains(n), consumers.clone().collect()),
    };
    if known {
        return Ok(n.to_owned());
    }
    let message = match kind {
        FaultKind::LinkDown => format!("target {n:?} names no producer or consumer"),
        FaultKind::BrokerCrash => format!(
            "broker-crash target {:?} names no topic: give the topic whose broker crashes, or no target for every broker",
            t.get_ref()
        ),
        _ => format!(
            "target {:?} names no consumer (known: {})",
            t.get_ref(),
            list(consumers)
        ),
    };
    c.err_help(t, message, did_you_mean(n, candidates))
}
