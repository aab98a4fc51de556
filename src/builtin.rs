//! Scenarios built into the binary, so that they work from any directory.

/// (name, TOML text), in the order `brokerlab list` shows them.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "point-to-point",
        include_str!("../scenarios/point-to-point.toml"),
    ),
    (
        "queue-vs-channel",
        include_str!("../scenarios/queue-vs-channel.toml"),
    ),
    ("use-cases", include_str!("../scenarios/use-cases.toml")),
    (
        "consumer-outage",
        include_str!("../scenarios/consumer-outage.toml"),
    ),
    (
        "redis-as-queue",
        include_str!("../scenarios/redis-as-queue.toml"),
    ),
    (
        "rabbitmq-durability",
        include_str!("../scenarios/rabbitmq-durability.toml"),
    ),
    (
        "kafka-replay",
        include_str!("../scenarios/kafka-replay.toml"),
    ),
];

/// The text of a built-in scenario.
#[must_use]
pub fn get(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("builtin:").unwrap_or(name);
    SCENARIOS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
