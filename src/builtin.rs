//! Scenarios and lessons built into the binary, so that they work from any directory.

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
    (
        "modern-queues",
        include_str!("../scenarios/modern-queues.toml"),
    ),
];

/// The study lessons (issue 5), in the order a study group goes through them: the notes' story
/// from point-to-point wiring to a central log, the three questions the notes end on, then how
/// the lines blurred since (streams, share groups).
pub const LESSONS: &[(&str, &str)] = &[
    (
        "lesson-1",
        include_str!("../scenarios/lessons/01-moving-data.toml"),
    ),
    (
        "lesson-2",
        include_str!("../scenarios/lessons/02-point-to-point-grows.toml"),
    ),
    (
        "lesson-3",
        include_str!("../scenarios/lessons/03-queue-in-the-middle.toml"),
    ),
    (
        "lesson-4",
        include_str!("../scenarios/lessons/04-queue-per-use-case.toml"),
    ),
    (
        "lesson-5",
        include_str!("../scenarios/lessons/05-central-log.toml"),
    ),
    (
        "lesson-6",
        include_str!("../scenarios/lessons/06-redis-as-queue.toml"),
    ),
    (
        "lesson-7",
        include_str!("../scenarios/lessons/07-rabbitmq-durability.toml"),
    ),
    (
        "lesson-8",
        include_str!("../scenarios/lessons/08-what-kafka-has.toml"),
    ),
    (
        "lesson-9",
        include_str!("../scenarios/lessons/09-the-lines-blur.toml"),
    ),
];

/// The text of a built-in scenario or lesson.
#[must_use]
pub fn get(name: &str) -> Option<&'static str> {
    let name = name.strip_prefix("builtin:").unwrap_or(name);
    SCENARIOS
        .iter()
        .chain(LESSONS)
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
}
