//! Commands: what a viewer, a test or the scenario's faults do to a running variant, each with
//! one meaning and an error when it makes no sense now.
//!
//! ```text
//!   Online ──TakeOffline──> Offline ──Heal──> Online      (a clean leave; it comes back)
//!   Online ──Crash────────> Crashed ──Heal──> Online      (the process dies; it is restarted)
//!   any joined ──Remove───> Removed                       (for good)
//!   NotJoined ──AddConsumer──> Online                     (a consumer the scenario declared)
//!   Slow(f) / RestoreSpeed, CutLink / RestoreLink (a producer's or consumer's network),
//!   CrashBroker / RestartBroker (the broker of a topic, or every broker)
//! ```

use super::consumer::Status;
use super::ids::{ConsumerId, ProducerId};
use crate::scenario::TopicId;

/// A producer or a consumer: what a network link connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Producer(ProducerId),
    Consumer(ConsumerId),
}

/// Something done to a running variant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// The consumer closes its connection cleanly.
    TakeOffline(ConsumerId),
    /// The consumer's process dies.
    Crash(ConsumerId),
    /// An offline consumer comes back, a crashed one is restarted.
    Heal(ConsumerId),
    /// The consumer takes `factor` times longer per message (at least 1).
    Slow(ConsumerId, f64),
    /// A slowed-down consumer works at its own speed again.
    RestoreSpeed(ConsumerId),
    CutLink(Endpoint),
    RestoreLink(Endpoint),
    /// The broker carrying a topic, or every broker, crashes.
    CrashBroker(Option<TopicId>),
    /// ... and starts again.
    RestartBroker(Option<TopicId>),
    /// A consumer the scenario declares with an add-consumer fault joins now.
    AddConsumer(ConsumerId),
    /// The consumer leaves for good, cleanly.
    RemoveConsumer(ConsumerId),
}

impl Command {
    /// The consumer it acts on, if any.
    #[must_use]
    pub fn consumer(&self) -> Option<ConsumerId> {
        match *self {
            Command::TakeOffline(c)
            | Command::Crash(c)
            | Command::Heal(c)
            | Command::Slow(c, _)
            | Command::RestoreSpeed(c)
            | Command::AddConsumer(c)
            | Command::RemoveConsumer(c)
            | Command::CutLink(Endpoint::Consumer(c))
            | Command::RestoreLink(Endpoint::Consumer(c)) => Some(c),
            _ => None,
        }
    }
}

/// A command that cannot be carried out now, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CommandError(pub String);

/// Why a consumer command does not apply to a consumer in `status` (None: it applies).
pub(super) fn consumer_refusal(
    cmd: &Command,
    status: Status,
    slow: f64,
    link_down: bool,
) -> Option<&'static str> {
    use Status::{Crashed, NotJoined, Offline, Online, Removed};
    match (cmd, status) {
        (Command::AddConsumer(_), NotJoined) => None,
        (Command::AddConsumer(_), _) => Some("has joined already"),
        (_, NotJoined) => Some("has not joined yet"),
        (_, Removed) => Some("was removed"),
        (Command::TakeOffline(_) | Command::Crash(_), Offline) => Some("is offline already"),
        (Command::TakeOffline(_) | Command::Crash(_), Crashed) => Some("has crashed already"),
        (Command::Heal(_), Online) => Some("is online already"),
        (Command::Slow(_, f), _) if !(f.is_finite() && (1.0..=10_000.0).contains(f)) => {
            Some("can only be slowed down by a factor from 1 to 10000")
        }
        (Command::RestoreSpeed(_), _) if (slow - 1.0).abs() < f64::EPSILON => {
            Some("works at its own speed already")
        }
        (Command::CutLink(_), _) if link_down => Some("has its link cut already"),
        (Command::RestoreLink(_), _) if !link_down => Some("has its link up already"),
        _ => None,
    }
}
