//! Words in names and labels: which name a messaging system, which are verbs or roles, and how
//! a Mermaid id or label becomes a TOML name or a topic.

/// The messaging system a name points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Sys {
    Kafka,
    RedisStream,
    PubSub,
    Rabbitmq,
    Channel,
    Queue,
    Broker,
    Log,
}

impl Sys {
    /// How the comments call it.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Sys::Kafka => "Kafka (a central log)",
            Sys::RedisStream => "a Redis stream",
            Sys::PubSub => "Redis Pub/Sub",
            Sys::Rabbitmq => "RabbitMQ",
            Sys::Channel => "an IPC channel",
            Sys::Queue => "a queue (as RabbitMQ)",
            Sys::Broker => "a broker (as RabbitMQ)",
            Sys::Log => "a log (as Kafka)",
        }
    }
}

/// Words that make a name a service even if it also names a system ("Kafka consumer").
const SERVICE: &[&str] = &[
    "consumer",
    "consumers",
    "producer",
    "producers",
    "publisher",
    "publishers",
    "subscriber",
    "subscribers",
    "worker",
    "workers",
    "client",
    "clients",
    "app",
    "apps",
    "indexer",
    "reader",
    "writer",
    "handler",
    "컨슈머",
    "프로듀서",
    "워커",
    "클라이언트",
];

/// Role words dropped when a name becomes a topic ("Metric server" receives "metrics"); they
/// also keep the weak word "log" from naming a system ("Log server").
const ROLE: &[&str] = &[
    "server",
    "servers",
    "service",
    "services",
    "consumer",
    "consumers",
    "worker",
    "workers",
    "node",
    "nodes",
    "client",
    "clients",
    "app",
    "apps",
    "instance",
    "instances",
    "host",
    "hosts",
    "서버",
    "서비스",
];

/// Words of a link label that say how, not what: dropped from topics.
const VERBS: &[&str] = &[
    "publish",
    "publishes",
    "published",
    "publishing",
    "pub",
    "send",
    "sends",
    "sent",
    "sending",
    "subscribe",
    "subscribes",
    "subscribed",
    "subscribing",
    "sub",
    "receive",
    "receives",
    "received",
    "receiving",
    "push",
    "pushes",
    "emit",
    "emits",
    "produce",
    "produces",
    "consume",
    "consumes",
    "to",
    "from",
    "via",
    "the",
    "a",
    "an",
];

/// Korean verb stems: a word that starts with one is dropped (발행한다, 구독함, 전송).
const KO_VERBS: &[&str] = &["발행", "구독", "전송", "송신", "수신", "보내", "보냄", "받"];

/// Words of a name: split at anything not a letter or digit, at camelCase humps, between an
/// acronym and the next word (`DBServer`), between letters and digits and between scripts.
pub(crate) fn words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&p) = cur.chars().last().as_ref() {
            let next = chars.get(i + 1).copied();
            let hump = p.is_lowercase() && c.is_uppercase();
            let acronym_end =
                p.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase);
            let kind_change =
                p.is_alphabetic() != c.is_alphabetic() || p.is_ascii() != c.is_ascii();
            if hump || acronym_end || kind_change {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn lower_words(s: &str) -> Vec<String> {
    words(s).iter().map(|w| w.to_lowercase()).collect()
}

/// `text` says the thing is a service ("Kafka consumer", "Queue worker").
pub(crate) fn is_service(text: &str) -> bool {
    lower_words(text)
        .iter()
        .any(|x| SERVICE.contains(&x.as_str()))
}

/// The system `text` names, if it names one and no service word says otherwise.
pub(crate) fn system_in(text: &str) -> Option<Sys> {
    let lower = text.to_lowercase();
    let w = lower_words(text);
    let has = |x: &str| w.iter().any(|y| y == x);
    let has_ko = |x: &str| w.iter().any(|y| y.contains(x));
    if is_service(text) {
        return None;
    }
    let pubsub = ["pub/sub", "pub-sub", "pubsub", "pub sub", "pub_sub"]
        .iter()
        .any(|p| lower.contains(p));
    let log = (has("log")
        || w.iter()
            .any(|y| y.contains("로그") && !y.contains("로그인")))
        && !w.iter().any(|x| ROLE.contains(&x.as_str()));
    let found = [
        (has("kafka"), Sys::Kafka),
        (
            has("redis") && (has("stream") || has("streams")),
            Sys::RedisStream,
        ),
        (pubsub || has("redis"), Sys::PubSub),
        (has("rabbitmq") || has("rabbit"), Sys::Rabbitmq),
        (
            has("ipc") || has("channel") || has("channels") || has_ko("채널"),
            Sys::Channel,
        ),
        (
            has("queue") || has("queues") || has("mq") || has_ko("큐"),
            Sys::Queue,
        ),
        (
            has("broker") || has("brokers") || has_ko("브로커"),
            Sys::Broker,
        ),
        (log, Sys::Log),
    ];
    found.iter().find(|(yes, _)| *yes).map(|(_, s)| *s)
}

/// A subgraph that names several systems ("Queues", "Message brokers") holds systems; one that
/// names one ("Kafka cluster", "Message queue") is one.
/// So does one that counts them ([`counts_systems`]).
pub(crate) fn names_several(text: &str) -> bool {
    const PLURAL: [&str; 4] = ["queues", "brokers", "channels", "logs"];
    counts_systems(text)
        || lower_words(text)
            .iter()
            .any(|w| PLURAL.contains(&w.as_str()))
}

/// A subgraph that counts the systems it holds, "5 × RabbitMQ", "3 x Kafka", "RabbitMQ 5개"
/// (as `brokerlab notes` titles a system per use case): each subgraph inside it is one.
pub(crate) fn counts_systems(text: &str) -> bool {
    let several = |n: &str| n.parse::<u32>().is_ok_and(|n| n >= 2);
    let t = text.to_lowercase();
    let tokens: Vec<&str> = t.split_whitespace().collect();
    tokens
        .windows(2)
        .any(|w| several(w[0]) && matches!(w[1], "×" | "x"))
        || tokens
            .iter()
            .any(|w| w.strip_suffix('개').is_some_and(several))
}

/// Hangul syllables in the Revised Romanization (letter by letter, no sound changes).
fn romanize(word: &str) -> String {
    const INITIAL: [&str; 19] = [
        "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t",
        "p", "h",
    ];
    const MEDIAL: [&str; 21] = [
        "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo",
        "we", "wi", "yu", "eu", "ui", "i",
    ];
    const FINAL: [&str; 28] = [
        "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p",
        "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
    ];
    let mut out = String::new();
    for c in word.chars() {
        let code = u32::from(c);
        if (0xAC00..=0xD7A3).contains(&code) {
            let s = (code - 0xAC00) as usize;
            out.push_str(INITIAL[s / 588]);
            out.push_str(MEDIAL[(s % 588) / 28]);
            out.push_str(FINAL[s % 28]);
        } else if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A TOML name from a Mermaid id: lower-kebab-case ASCII, Hangul romanized (`FrontServer1` ->
/// `front-server-1`, `S1` -> `s1`, `서버1` -> `seobeo-1`). `None` if nothing is left.
pub(crate) fn name_from_id(id: &str) -> Option<String> {
    let w: Vec<String> = words(id).iter().map(|w| romanize(w)).collect();
    let mut parts: Vec<String> = Vec::new();
    for x in w.into_iter().filter(|x| !x.is_empty()) {
        let glue = parts.last().is_some_and(|p| {
            p.chars().count() == 1
                && p.chars().all(|c| c.is_ascii_alphabetic())
                && x.chars().all(|c| c.is_ascii_digit())
        });
        match parts.last_mut() {
            Some(p) if glue => p.push_str(&x),
            _ => parts.push(x),
        }
    }
    let name = fit(&parts.join("-"), NAME_BYTES - 10);
    (!name.is_empty()).then(|| name.trim_end_matches('-').to_owned())
}

/// A label that is itself a TOML name (`front-server-1`, `log_indexer`: lower-case ASCII,
/// digits, `-` and `_`, one word), as notes that name their nodes write them (`brokerlab notes`
/// does): the name it gives. `None` for words meant to be read (`Web 1`, `Front`).
pub(crate) fn name_in_label(label: &str) -> Option<String> {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    let first = label.chars().next()?;
    (first.is_ascii_alphanumeric() && label.chars().all(ok) && label.len() <= NAME_BYTES - 10)
        .then(|| label.to_owned())
}

/// The topic a link label names: verbs dropped, the rest lower-kebab-case (`Publish metrics` ->
/// `metrics`, `메트릭 발행` -> `메트릭`). `None` if only verbs were left.
pub(crate) fn topic_from_label(label: &str) -> Option<String> {
    let kept: Vec<String> = lower_words(label)
        .into_iter()
        .filter(|w| !VERBS.contains(&w.as_str()))
        .filter(|w| !KO_VERBS.iter().any(|v| w.starts_with(v)))
        .map(|w| strip_object_particle(&w))
        .collect();
    join_topic(&kept)
}

/// `메트릭을` -> `메트릭`: the object particle before a verb.
fn strip_object_particle(w: &str) -> String {
    let n = w.chars().count();
    match w.chars().last() {
        Some('을' | '를') if n > 1 => w.chars().take(n - 1).collect(),
        _ => w.to_owned(),
    }
}

/// The topic a consumer's or a system's name stands for: role words, system words and numbers
/// dropped (`Metric server 1` -> `metrics`, `MetricServers` -> `metrics`, `Logs queue` -> `logs`).
/// A single English word left after a role or system word is made plural: a "metric server"
/// receives metrics. `of_system`: the name is a messaging system's, whose generic words ("log",
/// "message", "topic") go too. `None` if fewer than two letters are left.
pub(crate) fn topic_from_name(name: &str, of_system: bool) -> Option<String> {
    const GENERIC: [&str; 8] = [
        "pub",
        "sub",
        "message",
        "messages",
        "cluster",
        "topic",
        "topics",
        "메시지",
    ];
    let all = lower_words(name);
    // "Log server" receives logs; "Event log" carries events.
    let is_system = |w: &str| match system_in(w) {
        Some(Sys::Log) => of_system,
        Some(_) => true,
        None => of_system && GENERIC.contains(&w),
    };
    let kept: Vec<String> = all
        .iter()
        .filter(|w| !ROLE.contains(&w.as_str()) && !is_system(w))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .cloned()
        .collect();
    let dropped = kept.len() < all.len();
    let mut topic = join_topic(&kept)?;
    if topic.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return None;
    }
    let plural = dropped
        && kept.len() == 1
        && topic.chars().all(|c| c.is_ascii_lowercase())
        && !topic.ends_with('s');
    if plural {
        topic.push('s');
    }
    Some(topic)
}

fn join_topic(words: &[String]) -> Option<String> {
    let t = words
        .iter()
        .filter(|w| !w.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("-");
    let t = fit(&t, NAME_BYTES - 10);
    (!t.is_empty()).then_some(t.trim_end_matches('-').to_owned())
}

/// brokerlab's limit on a name, in bytes (`scenario/parse.rs`).
pub(crate) const NAME_BYTES: usize = 100;

/// `s` cut to at most `max` bytes, at a character boundary.
pub(crate) fn fit(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_people_read_them() {
        assert_eq!(words("MetricServers"), ["Metric", "Servers"]);
        assert_eq!(words("DBServer2"), ["DB", "Server", "2"]);
        assert_eq!(words("Pub/Sub queue"), ["Pub", "Sub", "queue"]);
        assert_eq!(words("Redis큐"), ["Redis", "큐"]);
    }

    #[test]
    fn systems_and_services() {
        assert_eq!(system_in("Message queue"), Some(Sys::Queue));
        assert_eq!(system_in("MetricsQueue"), Some(Sys::Queue));
        assert_eq!(system_in("Redis Pub/Sub"), Some(Sys::PubSub));
        assert_eq!(system_in("Kafka broker"), Some(Sys::Kafka));
        assert_eq!(system_in("IPC"), Some(Sys::Channel));
        assert_eq!(system_in("Event log"), Some(Sys::Log));
        assert_eq!(system_in("메시지 큐"), Some(Sys::Queue));
        assert_eq!(system_in("로그"), Some(Sys::Log));
        assert_eq!(system_in("Log server"), None);
        assert_eq!(system_in("로그인 서버"), None);
        assert_eq!(system_in("Kafka consumer"), None);
        assert_eq!(system_in("Catalog"), None);
        assert_eq!(system_in("Metric server 1"), None);
        assert!(names_several("Queues") && !names_several("Kafka cluster"));
    }

    #[test]
    fn names_and_topics() {
        assert_eq!(
            name_from_id("FrontServer1").as_deref(),
            Some("front-server-1")
        );
        assert_eq!(name_from_id("S1").as_deref(), Some("s1"));
        assert_eq!(name_from_id("서버1").as_deref(), Some("seobeo-1"));
        assert_eq!(name_from_id("큐").as_deref(), Some("kyu"));
        assert_eq!(name_from_id("é"), None);
        assert_eq!(
            topic_from_label("Publish metrics").as_deref(),
            Some("metrics")
        );
        assert_eq!(
            topic_from_label("send to Supply chain").as_deref(),
            Some("supply-chain")
        );
        assert_eq!(topic_from_label("메트릭을 발행").as_deref(), Some("메트릭"));
        assert_eq!(topic_from_label("subscribe"), None);
        assert_eq!(
            topic_from_name("MetricServers", false).as_deref(),
            Some("metrics")
        );
        assert_eq!(
            topic_from_name("Metric server 2", false).as_deref(),
            Some("metrics")
        );
        assert_eq!(topic_from_name("Logs queue", true).as_deref(), Some("logs"));
        assert_eq!(
            topic_from_name("Notification queue", true).as_deref(),
            Some("notifications")
        );
        assert_eq!(
            topic_from_name("Real-time analytics queue", true).as_deref(),
            Some("real-time-analytics")
        );
        assert_eq!(topic_from_name("Queue", true), None);
        assert_eq!(topic_from_name("M1", false), None);
        assert_eq!(
            topic_from_name("Grafana", false).as_deref(),
            Some("grafana")
        );
        assert_eq!(
            topic_from_name("Log server", false).as_deref(),
            Some("logs")
        );
        assert_eq!(
            topic_from_name("Event log", true).as_deref(),
            Some("events")
        );
        assert_eq!(topic_from_name("Redis Pub/Sub", true), None);
        let long = "메트릭 ".repeat(40);
        let t = topic_from_label(&long).unwrap_or_default();
        assert!(
            t.len() <= 90 && t.starts_with("메트릭-메트릭") && !t.ends_with('-'),
            "{t}"
        );
        assert_eq!(name_from_id(&"A".repeat(200)).map(|n| n.len()), Some(90));
    }
}
