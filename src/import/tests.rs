//! `brokerlab import` on notes written like the study notes (tests/import/*.md, each checked with
//! the real Mermaid parser by `/work/shared/tools/mermaid-check/run`), and every error path.

use super::{import, list_each, Diagram, ImportError};
use crate::scenario::{parse_scenario, Scenario, Shape};

const POINT_TO_POINT: &str = include_str!("../../tests/import/point-to-point.md");
const QUEUE_VS_CHANNEL: &str = include_str!("../../tests/import/queue-vs-channel.md");
const PER_USE_CASE: &str = include_str!("../../tests/import/queue-per-use-case.md");
const CENTRAL_LOG: &str = include_str!("../../tests/import/central-log.md");
const KOREAN: &str = include_str!("../../tests/import/korean.md");
const SHAPES: &str = include_str!("../../tests/import/shapes.md");

/// The flowcharts of a file, or the first one's error.
fn list(file: &str, md: &str) -> Result<Vec<Diagram>, ImportError> {
    list_each(file, md).into_iter().collect()
}

/// The one place these tests run the engine: `connections` of every variant after a short run.
fn simulated_connections(s: Scenario) -> Vec<u64> {
    use crate::report::Measured;
    let mut sim = crate::sim::Simulation::new(s);
    sim.run_until(crate::scenario::secs(0.2));
    sim.variants
        .iter()
        .map(|v| v.metrics().connections)
        .collect()
}

/// Import, check the text is a valid scenario, and return both.
fn imported(file: &str, md: &str, diagram: Option<usize>) -> (String, Scenario) {
    let text = import(file, md, diagram).unwrap_or_else(|e| panic!("{e}"));
    let s = parse_scenario("imported.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (text, s)
}

fn error(file: &str, md: &str, diagram: Option<usize>) -> String {
    match import(file, md, diagram) {
        Ok(text) => panic!("expected an error, got\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn names(s: &Scenario) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
    (
        s.producers.iter().map(|p| p.name.as_str()).collect(),
        s.consumers.iter().map(|c| c.name.as_str()).collect(),
        s.variants.iter().map(|v| v.name.as_str()).collect(),
    )
}

/// The topics a consumer subscribes to, by name.
fn subscribed<'s>(s: &'s Scenario, consumer: &str) -> Vec<&'s str> {
    let c = s.consumers.iter().find(|c| c.name == consumer);
    c.map(|c| c.subscribe.iter().map(|&t| s.topic_name(t)).collect())
        .unwrap_or_default()
}

/// The text with wrapped comment lines joined, for matching sentences.
fn prose(text: &str) -> String {
    text.replace("\n#   ", " ")
}

/// A Markdown file with one flowchart.
fn md(body: &str) -> String {
    format!("# Notes\n\n```mermaid\n{body}\n```\n")
}

#[test]
fn five_servers_to_two_metric_servers_is_ten_direct_links() {
    let file = "tests/import/point-to-point.md";
    let (text, s) = imported(file, POINT_TO_POINT, None);
    let (producers, consumers, variants) = names(&s);
    assert_eq!(producers, ["s1", "s2", "s3", "s4", "s5"]);
    assert_eq!(consumers, ["m1", "m2"]);
    assert_eq!(
        variants,
        [
            "as-drawn-point-to-point",
            "ipc-channel",
            "rabbitmq",
            "kafka"
        ]
    );
    assert_eq!(s.topics, ["metrics"]);
    assert!(s.consumers.iter().all(|c| c.group == c.name), "own groups");
    assert_eq!(s.title.en, "Point to point: 5 servers to 2 metric servers");
    assert_eq!(s.variants[0].shape(), Shape::Direct);
    assert_eq!(simulated_connections(s)[0], 10);
    let text = prose(&text);
    assert!(text.starts_with(
        "# Imported by `brokerlab import` from tests/import/point-to-point.md, diagram 1 (the \
         ```mermaid block at line 8, graph TD).\n"
    ));
    for expected in [
        "s1 = S1 \"Front server 1\"",
        "The first variant mirrors the drawing: direct, as no messaging system is drawn.",
        "metrics (unlabelled links into subgraph \"MetricServers\": named after it)",
        "Calls, not simulated (into a node that also sends): C \"Client\" --> S1 \"Front server 1\" \
         (line 18), C \"Client\" --> S2 \"Front server 2\" (line 18).",
        "Links drawn: 10 (each pair of nodes once). The first variant, as-drawn-point-to-point, has \
         10 connections, one per drawn link.",
        "name = \"s5\"  # S5 \"DB server\"\npublish = [ { topic = \"metrics\", rate_per_s = 10.0 } ]",
        "name = \"m2\"  # M2 \"Metric server 2\"\nsubscribe = [\"metrics\"]\nservice_ms = 1.0",
    ] {
        assert!(text.contains(expected), "{expected}\n---\n{text}");
    }
}

#[test]
fn list_shows_each_flowchart_with_its_line() {
    let d =
        list("tests/import/point-to-point.md", POINT_TO_POINT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d,
        [Diagram {
            index: 1,
            line: 8,
            kind: "graph TD".into(),
            nodes: 8,
            edges: 12,
            title: Some("Point to point: 5 servers to 2 metric servers".into()),
        }]
    );
    let d = list("q.md", QUEUE_VS_CHANNEL).unwrap_or_else(|e| panic!("{e}"));
    let brief: Vec<(usize, usize, &str, usize, usize)> = d
        .iter()
        .map(|d| (d.index, d.line, d.kind.as_str(), d.nodes, d.edges))
        .collect();
    assert_eq!(
        brief,
        [(1, 7, "flowchart LR", 8, 7), (2, 17, "graph TD", 6, 5)]
    );
    assert_eq!(d[1].title.as_deref(), Some("With an IPC channel"));
}

#[test]
fn a_queue_in_the_middle_is_single_broker_rabbitmq() {
    let (text, s) = imported("q.md", QUEUE_VS_CHANNEL, Some(1));
    let (producers, consumers, variants) = names(&s);
    assert_eq!(producers.len(), 5);
    assert_eq!(consumers, ["m1", "m2"]);
    assert_eq!(
        variants,
        [
            "as-drawn-rabbitmq",
            "point-to-point",
            "ipc-channel",
            "kafka"
        ]
    );
    assert_eq!(
        s.topics,
        ["metrics"],
        "a queue with no name: its consumers'"
    );
    let text = prose(&text);
    assert!(text.contains("Messaging systems: Q \"Message queue\": a queue (as RabbitMQ)."));
    assert!(text.contains(
        "The first variant mirrors the drawing: single-broker rabbitmq, as one messaging system \
         is drawn, a queue (as RabbitMQ)."
    ));
    assert_eq!(simulated_connections(s), [7, 10, 7, 7]);
}

#[test]
fn an_ipc_channel_is_the_channel_shape() {
    let (text, s) = imported("q.md", QUEUE_VS_CHANNEL, Some(2));
    let text = prose(&text);
    let (producers, consumers, variants) = names(&s);
    assert_eq!(producers, ["s1", "s2", "s3"]);
    assert_eq!(consumers, ["m1", "m2"]);
    assert_eq!(
        variants,
        [
            "as-drawn-ipc-channel",
            "point-to-point",
            "rabbitmq",
            "kafka"
        ]
    );
    assert_eq!(s.topics, ["metrics"], "from the link text, verbs dropped");
    assert!(text.contains("diagram 2 of 2 (the ```mermaid block at line 17, graph TD)"));
    assert!(text.contains("metrics (the link text \"send metrics\" (line 24))"));
    assert_eq!(simulated_connections(s)[0], 5);
}

#[test]
fn a_queue_per_use_case_is_broker_per_topic() {
    let (text, s) = imported("u.md", PER_USE_CASE, None);
    let (producers, consumers, variants) = names(&s);
    assert_eq!(producers, ["f1", "f2", "db", "chat", "be"]);
    assert_eq!(consumers, ["ms", "li", "nt", "sc", "ae"]);
    assert_eq!(
        variants,
        [
            "as-drawn-rabbitmq-per-topic",
            "point-to-point",
            "ipc-channel",
            "rabbitmq",
            "kafka"
        ]
    );
    let mut topics = s.topics.clone();
    topics.sort();
    assert_eq!(
        topics,
        [
            "logs",
            "metrics",
            "notifications",
            "real-time-analytics",
            "supply-chain"
        ]
    );
    assert_eq!(subscribed(&s, "ae"), ["metrics", "real-time-analytics"]);
    let text = prose(&text);
    assert!(text.contains("MQ \"Metrics queue\": a queue (as RabbitMQ); LQ"));
    assert!(text.contains(
        "The first variant mirrors the drawing: broker-per-topic rabbitmq, as 5 messaging \
         systems are drawn, one per use case (rabbitmq is what most of them are)."
    ));
    // 13 links into the queues, 6 out of them.
    assert!(text.contains("Links drawn: 19"));
    assert_eq!(simulated_connections(s)[0], 19);
}

#[test]
fn a_central_log_is_kafka_and_link_texts_name_topics() {
    let (_, s) = imported("k.md", CENTRAL_LOG, None);
    let (producers, consumers, variants) = names(&s);
    assert_eq!(producers, ["w1", "w2", "db"]);
    assert_eq!(consumers, ["m", "l", "a"]);
    assert_eq!(
        variants,
        [
            "as-drawn-kafka",
            "point-to-point",
            "ipc-channel",
            "rabbitmq",
            "rabbitmq-per-topic"
        ]
    );
    assert_eq!(s.variants[0].shape(), Shape::CentralLog);
    assert_eq!(subscribed(&s, "a"), ["logs", "metrics"]);
    assert_eq!(subscribed(&s, "m"), ["metrics"]);
    assert_eq!(simulated_connections(s)[0], 6);
}

#[test]
fn korean_labels_keep_their_hangul_and_ids_are_romanized() {
    let (text, s) = imported("korean.md", KOREAN, None);
    let text = prose(&text);
    let (producers, consumers, variants) = names(&s);
    assert_eq!(s.title.en, "큐를 가운데 두기");
    assert_eq!(producers, ["w1", "w2"]);
    assert_eq!(consumers, ["moniteo", "sujipgi"]);
    assert_eq!(variants[0], "as-drawn-rabbitmq");
    let mut topics = s.topics.clone();
    topics.sort();
    assert_eq!(topics, ["로그", "메트릭"]);
    assert_eq!(subscribed(&s, "sujipgi"), ["로그"]);
    for expected in [
        "moniteo = 모니터 \"모니터링 서버\"",
        "Calls, not simulated (into a node that also sends): 사용자 --> W1 \"웹 서버 1\" (line 18).",
        "수집기 \"로그 수집기\" names a log but sends nothing on: read as a consumer",
    ] {
        assert!(text.contains(expected), "{expected}\n---\n{text}");
    }
    assert_eq!(simulated_connections(s)[0], 4);
}

#[test]
fn the_briefs_drawing_written_out_link_by_link() {
    let mut body = String::from(
        "graph TD\n  subgraph Servers\n    S1[Front server 1] & S2[Front server 2] & S3[Back server 1] & S4[Back server 2] & S5[DB server]\n  end\n  subgraph MetricServers\n    M1[Metric server 1]\n    M2[Metric server 2]\n  end\n",
    );
    for s in 1..=5 {
        for m in 1..=2 {
            body.push_str(&format!("  S{s} --> M{m}\n"));
        }
    }
    let (_, s) = imported("notes.md", &md(&body), None);
    assert_eq!(s.topics, ["metrics"]);
    assert_eq!(simulated_connections(s)[0], 10);
}

#[test]
fn a_link_between_subgraphs_links_every_node_of_each() {
    let body = "graph TD\n  subgraph Servers\n    S1 & S2 & S3\n  end\n  subgraph MetricServers\n    M1 & M2\n  end\n  Servers --> MetricServers";
    let (text, s) = imported("notes.md", &md(body), None);
    assert!(text.contains("stands for one link per node in it"));
    assert_eq!(simulated_connections(s)[0], 6);
}

#[test]
fn a_partial_drawing_gets_a_topic_per_set_of_consumers_so_links_match() {
    let body = "graph LR\n  S1 --> M1[Metric server 1]\n  S2 --> M1\n  S2 --> M2[Metric server 2]\n  S3 ---|metrics| M2";
    let (text, s) = imported("notes.md", &md(body), None);
    let text = prose(&text);
    assert_eq!(s.topics, ["metrics-m1", "metrics-m2"]);
    assert!(text.contains("split into metrics-m1, metrics-m2"));
    assert!(text.contains(
        "1 link(s) without an arrow head (---, -.-) or with two (<-->) are read from left to right"
    ));
    assert_eq!(simulated_connections(s)[0], 4);
}

#[test]
fn a_kafka_cluster_subgraph_is_one_system_and_pubsub_is_redis() {
    let body = "graph TD\n  subgraph Kafka cluster\n    B1[Broker 1]\n    B2[Broker 2]\n  end\n  P1 --> B1\n  P2 --> B2\n  B1 --> C1[Reader]\n  B2 --> C1\n  B1 --- B2";
    let (text, s) = imported("notes.md", &md(body), None);
    let text = prose(&text);
    assert_eq!(s.variants[0].name, "as-drawn-kafka");
    assert_eq!(
        s.topics,
        ["reader"],
        "the cluster names no topic: its consumer does"
    );
    assert!(text.contains("is inside one messaging system: not a connection"));
    // C1 is drawn linked to both brokers; brokerlab counts one link per consumer of a log.
    assert!(text.contains("the mirror has 3 connections where the drawing has 4 links"));
    assert_eq!(simulated_connections(s)[0], 3);
    let body = "graph LR\n  P1 & P2 -->|Publish chat| R[Redis Pub/Sub] -->|Subscribe chat| C1 & C2";
    let (_, s) = imported("notes.md", &md(body), None);
    assert_eq!(s.variants[0].name, "as-drawn-redis-pubsub");
    assert_eq!(s.topics, ["chat"]);
    assert_eq!(simulated_connections(s)[0], 4);
}

#[test]
fn styling_statements_and_semicolons_are_accepted() {
    let body = "flowchart TB;\n  A[Web] --> B[(Orders queue)]; B --> C[Order service]\n  style A fill:#f9f\n  classDef hot fill:#f00\n  class C hot\n  %%{init: {}}%%";
    let (text, s) = imported("notes.md", &md(body), None);
    let text = prose(&text);
    assert_eq!(s.topics, ["orders"]);
    assert!(text.contains("\n# Note: 3 styling or accessibility statements (style, classDef, class, linkStyle, click, direction, accTitle, accDescr) skipped: they draw nothing a scenario needs.\n"));
}

#[test]
fn several_flowcharts_need_a_choice() {
    assert_eq!(
        error("q.md", QUEUE_VS_CHANNEL, None),
        "q.md:1:1: 2 Mermaid flowcharts here: pick one with --diagram K (1 (line 7, flowchart LR, \
         \"With a message queue\"), 2 (line 17, graph TD, \"With an IPC channel\"))"
    );
}

#[test]
fn a_diagram_out_of_range_is_an_error() {
    let choices = "(1 (line 7, flowchart LR, \"With a message queue\"), 2 (line 17, graph TD, \
                   \"With an IPC channel\"))";
    for k in [0, 3] {
        assert_eq!(
            error("q.md", QUEUE_VS_CHANNEL, Some(k)),
            format!(
                "q.md:1:1: --diagram {k} is out of range: q.md has 2 Mermaid flowcharts {choices}"
            )
        );
    }
}

#[test]
fn no_flowchart_is_an_error_and_other_diagrams_are_skipped() {
    let text =
        "# Notes\n\n```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n\n```rust\nfn main() {}\n```\n";
    assert_eq!(
        error("n.md", text, None),
        "n.md:1:1: no Mermaid flowchart in n.md: looked for ```mermaid blocks starting with \
         `graph` or `flowchart` (skipped: sequenceDiagram at line 3)"
    );
    assert_eq!(
        error("empty.md", "", None),
        "empty.md:1:1: no Mermaid flowchart in empty.md: looked for ```mermaid blocks starting \
         with `graph` or `flowchart`"
    );
    assert_eq!(list("n.md", text), Ok(Vec::new()));
}

#[test]
fn unknown_syntax_is_an_error_at_its_line_and_column() {
    // The block starts at line 3, so the body's first line is line 4.
    let cases = [
        ("graph XY\n  A --> B", "4:7: unknown direction `XY`: one of TD, TB, LR, RL, BT"),
        (
            "graph TD\n  A@{ shape: rect } --> B",
            "5:4: unsupported node syntax `@{`: use ID[label] or another classic shape",
        ),
        (
            "graph TD\n  A{Decide --> B",
            "5:4: this bracket is not closed: expected `}` on the same line",
        ),
        (
            "graph TD\n  A -. text B",
            "5:5: link text after `-.` needs a dotted end: `-. text .->`",
        ),
        ("graph TD\n  A ~~ B", "5:5: unexpected `~`: expected a link (-->, ---, ==>), `&`, `;` or the end of the line"),
        (
            "graph TD\n  A -> B",
            "5:5: unexpected `-`: expected a link (-->, ---, ==>), `&`, `;` or the end of the line",
        ),
        (
            "graph TD\n  A[Label --> B",
            "5:4: this bracket is not closed: expected `]` on the same line",
        ),
        (
            "graph TD\n  A -- text B",
            "5:5: link text after `--` needs an arrow end: `-- text -->`",
        ),
        ("graph TD\n  A --> ", "5:9: a node id is missing at the end of the line"),
        ("graph TD\n  A --> B C", "5:11: unexpected `C`: expected a link (-->, ---, ==>), `&`, `;` or the end of the line"),
        ("graph TD\n  A -->|text B", "5:8: link text `|...` is not closed by `|`"),
        ("graph TD\n  A[\"quote] --> B", "5:5: this quote is not closed on its line"),
        ("graph TD\n  A[] --> B", "5:4: empty label"),
        ("graph TD\n  사용자 --> 서버{{x}", "5:13: this bracket is not closed: expected `}}` on the same line"),
        ("graph TD\n  end", "5:3: `end` without an open `subgraph`"),
        (
            "graph TD\n  accDescr {\n    a description\n  A --> B",
            "5:3: this `accDescr {` is not closed: add `}` after the description",
        ),
        ("graph TD\n  subgraph\n  end", "5:11: a subgraph needs a name: `subgraph Name` or `subgraph id [Label]`"),
    ];
    for (body, expected) in cases {
        let got = error("n.md", &md(body), None);
        assert_eq!(got, format!("n.md:{expected}"), "{body}");
        assert_eq!(list("n.md", &md(body)).map_err(|e| e.to_string()), Err(got));
    }
}

#[test]
fn an_unterminated_subgraph_is_an_error_at_its_start() {
    let body = "graph TD\n  subgraph Servers\n    S1\n  subgraph MetricServers\n    M1\n  end\n  S1 --> M1";
    assert_eq!(
        error("n.md", &md(body), None),
        "n.md:5:3: subgraph \"Servers\" is not closed: add `end` after its last line"
    );
}

#[test]
fn a_drawing_without_producer_or_consumer_is_an_error_at_its_header() {
    assert_eq!(
        error("n.md", &md("graph TD\n  A[Web]\n  B[Queue]"), None),
        "n.md:4:1: diagram 1 has no producer: no node sends to a messaging system or to a node that only receives"
    );
    assert_eq!(
        error("n.md", &md("graph TD\n  A --> B\n  B --> A"), None),
        "n.md:4:1: diagram 1 has no producer: no node sends to a messaging system or to a node that only receives"
    );
    assert_eq!(
        error("n.md", &md("graph TD\n  A --> Q[Queue]"), None),
        "n.md:4:1: diagram 1 has no consumer: no node only receives"
    );
}

#[test]
fn the_diagram_picked_by_index_skips_other_kinds() {
    let text = format!(
        "```mermaid\npie\n  \"a\": 1\n```\n{}{}",
        md("graph TD\n  A --> B"),
        md("graph LR\n  P --> Q[Queue] --> C")
    );
    let d = list("n.md", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.iter().map(|d| d.line).collect::<Vec<_>>(), [7, 13]);
    let (_, s) = imported("n.md", &text, Some(2));
    assert_eq!(s.variants[0].name, "as-drawn-rabbitmq");
    assert_eq!(s.title.en, "Notes");
    let (_, s) = imported("dir/n.md", "```mermaid\ngraph TD\nA-->B\n```", None);
    assert_eq!(s.title.en, "n.md", "no heading: the file name");
}

#[test]
fn front_matter_and_comments_before_the_header_are_skipped() {
    let body = "---\ntitle: Orders\n---\n%% the order flow\n\nflowchart LR\n  W[Web] -->|Send orders| Q[(Orders queue)] --> S[Order service]";
    let d = list("n.md", &md(body)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (d[0].line, d[0].kind.as_str(), d[0].edges),
        (3, "flowchart LR", 2)
    );
    let (text, s) = imported("n.md", &md(body), None);
    assert_eq!(s.topics, ["orders"]);
    assert!(prose(&text).contains("orders (the link text \"Send orders\" (line 10))"));
    assert_eq!(simulated_connections(s)[0], 2);
}

/// Pieces of flowchart text, good and bad, that random drawings are made of.
const PIECES: &[&str] = &[
    "A",
    "S1",
    "M1[Metric server]",
    "Q[(Queue)]",
    "-->",
    "---",
    "==>",
    "-- send metrics -->",
    "-->|발행|",
    "&",
    "subgraph Servers",
    "end",
    ";",
    "\n",
    " ",
    "%% note",
    "[",
    "(",
    "\"",
    "{x}",
    "|",
    "-.->",
];

/// Nodes and links of well-formed random drawings.
const NODES: &[&str] = &[
    "A",
    "B",
    "S1[Front server 1]",
    "S2",
    "M1[Metric server 1]",
    "M2((Metric server 2))",
    "Q[(Message queue)]",
    "K[(Kafka)]",
    "CH[IPC channel]",
    "R(Redis Pub/Sub)",
    "L[(Event log)]",
    "W[Log collector]",
    "큐",
    "서버1[웹 서버 1]",
    "Servers",
    "Queues",
    "Kafka",
];
const LINKS: &[&str] = &[
    "-->",
    "---",
    "==>",
    "-- send metrics -->",
    "-->|Publish logs|",
    "-->|구독|",
    "--->",
];
const OPENERS: &[&str] = &[
    "subgraph Servers",
    "subgraph Queues",
    "subgraph Kafka",
    "subgraph MetricServers",
];

/// A drawing from `(what, a, b, c)` picks: a chain `a link b [& c]`, a node, a subgraph opened
/// or closed (kept balanced).
fn drawing(picks: &[(u8, usize, usize, usize)]) -> String {
    let mut out = String::from("graph TD\n");
    let mut open = 0;
    for &(what, a, b, c) in picks {
        let node = |i: usize| NODES[i % NODES.len()];
        let line = match what % 6 {
            0 | 1 => format!("{} {} {}", node(a), LINKS[b % LINKS.len()], node(c)),
            2 => format!("{} & {} --> {}", node(a), node(b), node(c)),
            3 => node(a).to_owned(),
            4 if open < 2 => {
                open += 1;
                OPENERS[a % OPENERS.len()].to_owned()
            }
            _ if open > 0 => {
                open -= 1;
                "end".to_owned()
            }
            _ => format!("{} --> {} --> {}", node(a), node(b), node(c)),
        };
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&"  end\n".repeat(open));
    out
}

/// The links drawn and the mirror's connections, as the comments state them.
fn stated_counts(toml: &str) -> (Option<u64>, Option<u64>) {
    let text = prose(toml);
    let number = |after: &str| {
        let at = text.find(after)? + after.len();
        text[at..].split(' ').next()?.parse::<u64>().ok()
    };
    let drawn = number("# Links drawn: ");
    let mirror = text
        .find("The first variant, ")
        .and_then(|at| text[at..].find(", has ").map(|k| at + k))
        .and_then(|at| text[at + 6..].split(' ').next()?.parse::<u64>().ok());
    (drawn, mirror)
}

/// What every import must hold: a scenario brokerlab accepts, or an error inside the file that
/// is not about an invalid scenario of its own making.
fn holds(text: &str) -> Result<Option<Scenario>, String> {
    let lines = text.lines().count();
    match import("r.md", text, None) {
        Ok(scenario) => parse_scenario("r.toml", &scenario)
            .map(Some)
            .map_err(|e| format!("{e}\n{scenario}")),
        Err(e) if e.message.contains("is not valid") => Err(e.to_string()),
        Err(e) if e.line < 1 || e.line > lines || e.col < 1 => Err(e.to_string()),
        Err(_) => Ok(None),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 400,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x1a_c0de),
        ..proptest::test_runner::Config::default()
    })]

    #[test]
    fn random_text_gives_a_valid_scenario_or_a_located_error(
        picks in proptest::collection::vec(0..PIECES.len(), 0..40)
    ) {
        let body: Vec<&str> = picks.iter().map(|&i| PIECES[i]).collect();
        let text = md(&format!("graph TD\n{}", body.join(" ")));
        let r = holds(&text);
        proptest::prop_assert!(r.is_ok(), "{}\n{}", r.err().unwrap_or_default(), text);
    }

    /// Well-formed drawings: import succeeds unless no node sends or receives messages, the
    /// mirror's connections stated in the comments are the engine's, and a drawing without
    /// messaging systems is mirrored link for link.
    #[test]
    fn random_drawings_import_and_direct_ones_mirror_their_links(
        picks in proptest::collection::vec((0u8..6, 0usize..64, 0usize..64, 0usize..64), 1..14)
    ) {
        let text = md(&drawing(&picks));
        let r = holds(&text);
        proptest::prop_assert!(r.is_ok(), "{}\n{}", r.as_ref().err().cloned().unwrap_or_default(), text);
        match (import("r.md", &text, None), r) {
            (Ok(toml), Ok(Some(s))) => {
                let (drawn, stated) = stated_counts(&toml);
                let measured = simulated_connections(s.clone())[0];
                proptest::prop_assert_eq!(Some(measured), stated, "{}", toml);
                if s.variants[0].shape() == Shape::Direct {
                    proptest::prop_assert_eq!(Some(measured), drawn, "{}", toml);
                }
            }
            (Err(e), _) => proptest::prop_assert!(
                e.message.contains("has no producer") || e.message.contains("has no consumer"),
                "{e}\n{text}"
            ),
            _ => {}
        }
    }
}

#[test]
fn a_diagram_over_the_node_or_link_limit_is_refused_where_it_goes_over() {
    // 2,001 nodes in a chain: refused at the 2,001st, before anything is built.
    let chain: Vec<String> = (0..2001).map(|i| format!("N{i}")).collect();
    let text = chain.join(" --> ");
    let col = text.rfind("N2000").unwrap_or_default() + 3;
    let e = error("chain.md", &md(&format!("graph LR\n  {text}")), None);
    assert!(
        e.starts_with(&format!(
            "chain.md:5:{col}: more than 2000 nodes in one diagram"
        )),
        "{e}"
    );
    // 2,000 is a scenario's limit and imports.
    let text = chain[..2000].join(" --> ");
    imported("chain.md", &md(&format!("graph LR\n  {text}")), None);
    // 101 x 100 links drawn at once: refused at that arrow; 100 x 100 is the limit.
    let group = |p: &str, n: usize| {
        (0..n)
            .map(|i| format!("{p}{i}"))
            .collect::<Vec<_>>()
            .join(" & ")
    };
    let over = format!("graph LR\n  {} --> {}", group("P", 101), group("C", 100));
    let e = error("dense.md", &md(&over), None);
    let col = over.find("-->").unwrap_or_default() - "graph LR\n".len() + 1;
    assert!(
        e.starts_with(&format!(
            "dense.md:5:{col}: more than 10000 links in one diagram (this one draws 10100 links more)"
        )),
        "{e}"
    );
    let at = format!("graph LR\n  {} --> {}", group("P", 100), group("C", 100));
    let (_, s) = imported("dense.md", &md(&at), None);
    assert_eq!(s.producers.len(), 100);
    // One link more, on a line of its own: refused there.
    let e = error("dense.md", &md(&format!("{at}\n  C0 --> X")), None);
    assert!(
        e.starts_with("dense.md:6:6: more than 10000 links in one diagram"),
        "{e}"
    );
}

#[test]
fn subgraphs_do_not_raise_the_node_limit_and_a_subgraph_end_is_no_node() {
    let chain = |n: usize| {
        (0..n)
            .map(|i| format!("N{i}"))
            .collect::<Vec<_>>()
            .join(" --> ")
    };
    // Ten empty subgraphs, then 2,001 nodes: refused (they raised the limit by ten).
    let empty: String = (0..10)
        .map(|i| format!("  subgraph S{i}\n  end\n"))
        .collect();
    let over = format!("graph LR\n{empty}  {}", chain(2001));
    let e = error("sub.md", &md(&over), None);
    assert!(e.contains("more than 2000 nodes in one diagram"), "{e}");
    // 2,000 nodes and links to subgraphs (ends, not nodes), before and after they are
    // declared, one linked to past the 2,000th node before its declaration: imported.
    let at = format!(
        "graph LR\n  N0 --> S0\n{empty}  {}\n  N1 --> S1\n  N2 --> LATE\n  subgraph LATE\n  end",
        chain(2000)
    );
    imported("sub.md", &md(&at), None);
}

#[test]
fn links_between_subgraphs_count_one_per_pair_of_their_nodes_against_the_link_limit() {
    // Two groups of 100 nodes: one link between them stands for 10,000 (the limit) and
    // imports; a second line is refused at its arrow, before millions are built.
    let group = |name: &str, p: &str| {
        let nodes: String = (0..100).map(|i| format!("    {p}{i}\n")).collect();
        format!("  subgraph {name}\n{nodes}  end\n")
    };
    let at = format!(
        "graph LR\n{}{}  Front --> Back",
        group("Front", "P"),
        group("Back", "C")
    );
    let (_, s) = imported("groups.md", &md(&at), None);
    assert_eq!((s.producers.len(), s.consumers.len()), (100, 100));
    let over = format!("{at}\n  Front --> Back");
    let e = error("groups.md", &md(&over), None);
    let line = 4 + at.lines().count();
    assert!(
        e.starts_with(&format!(
            "groups.md:{line}:9: the links drawn stand for more than 10000 links"
        )),
        "{e}"
    );
    // A messaging system's subgraph is one end, however many nodes it holds: a thousand
    // links to a thousand nested Kafka subgraphs import (this took minutes).
    let nested: String = (0..1000)
        .map(|i| format!("  subgraph K{i} [Kafka {i}]\n"))
        .collect();
    let inside: String = (0..1000).map(|i| format!("    N{i}\n")).collect();
    let body = format!(
        "graph LR\n{nested}{inside}{}{}  K0 --> C[Indexer]",
        "  end\n".repeat(1000),
        "  P[Web] --> K0\n".repeat(1000)
    );
    let (_, s) = imported("nested.md", &md(&body), None);
    assert_eq!(s.consumers.len(), 1);
}

#[test]
fn every_classic_shape_and_link_is_read_and_what_draws_nothing_is_skipped() {
    let (text, s) = imported("shapes.md", SHAPES, None);
    let text = prose(&text);
    let (producers, consumers, _) = names(&s);
    // Stadium, subroutine, hexagon, asymmetric and trapezoid senders; parallelogram, rhombus
    // and double-circle receivers, each named by its label's words.
    assert_eq!(producers, ["w1", "w2", "w3", "w4", "t"]);
    assert_eq!(consumers, ["b", "s", "a", "r"]);
    for (id, label) in [
        ("W2", "Web 2"),
        ("T", "Tax"),
        ("B", "Billing"),
        ("S", "Shipping"),
        ("R", "Reports"),
    ] {
        assert!(
            text.contains(&format!("{} \"{label}\"", id)),
            "{id}: {text}"
        );
    }
    // A quoted link text keeps its `|`; a dotted link with text names its topic.
    assert_eq!(s.topics, ["orders", "orders-priority"]);
    assert!(
        text.contains("the link text \"orders|priority\" (line 13)"),
        "{text}"
    );
    // The invisible link draws nothing; the both-ways link is read from left to right.
    assert!(text.contains("Links drawn: 9 "), "{text}");
    assert!(
        text.contains("1 link(s) without an arrow head (---, -.-) or with two (<-->)"),
        "{text}"
    );
    // accTitle, accDescr (over four lines), classDef and click (a `;` inside its quotes).
    assert!(
        text.contains("Note: 4 styling or accessibility statements"),
        "{text}"
    );
}

#[test]
fn a_producer_drawn_into_a_system_publishes_what_the_systems_links_out_name() {
    // Only the link out names a topic: the producer publishes it (it published "messages",
    // which nobody read: every message lost, none delivered).
    let body = "flowchart LR\n  A[Web server] --> Q[(Kafka)]\n  Q -->|logs| B[Log indexer]";
    let (_, s) = imported("logs.md", &md(body), None);
    let published: Vec<&str> = s.producers[0]
        .publish
        .iter()
        .map(|p| s.topic_name(p.topic))
        .collect();
    assert_eq!(published, ["logs"]);
    assert_eq!(subscribed(&s, "b"), ["logs"]);
    // A second consumer fed without a topic gets all the system carries: the producer
    // publishes a topic for it too, and it reads both.
    let body = format!("{body}\n  Q --> C[Audit]");
    let (_, s) = imported("logs.md", &md(&body), None);
    let mut published: Vec<&str> = s.producers[0]
        .publish
        .iter()
        .map(|p| s.topic_name(p.topic))
        .collect();
    published.sort_unstable();
    assert_eq!(published.len(), 2);
    let mut c = subscribed(&s, "c");
    c.sort_unstable();
    assert_eq!(c, published);
    assert_eq!(subscribed(&s, "b"), ["logs"]);
}

#[test]
fn a_drawing_in_a_blockquote_imports_and_its_errors_are_placed_in_the_file() {
    let quoted = "# Notes\n\n> Our design:\n>\n> ```mermaid\n> flowchart LR\n>   A[Web] --> Q[(Kafka)] --> B[Indexer]\n> ```\n";
    let (_, s) = imported("quoted.md", quoted, None);
    assert_eq!(names(&s).1, ["b"]);
    // The column counts the `> ` before the line.
    let broken = quoted.replace("--> B[Indexer]", "--> B[Indexer");
    let e = error("quoted.md", &broken, None);
    assert!(
        e.starts_with("quoted.md:7:32: this bracket is not closed"),
        "{e}"
    );
}

#[test]
fn a_drawing_of_many_producers_and_consumers_runs_shorter_within_the_delivery_limit() {
    // 1,000 producers into Kafka, 999 consumers out (2,000 nodes, the limit): at the defaults
    // 599 million deliveries, over the 250 million a scenario may expect; the run is made
    // shorter (25 s) and says so, instead of a refusal no file could be edited after.
    let producers: String = (0..1000)
        .map(|i| format!("  P{i}[Web {i}] --> Q[(Kafka)]\n"))
        .collect();
    let consumers: String = (0..999)
        .map(|i| format!("  Q --> C{i}[Indexer {i}]\n"))
        .collect();
    let body = format!("flowchart LR\n{producers}{consumers}");
    let (text, s) = imported("big.md", &md(&body), None);
    assert_eq!((s.producers.len(), s.consumers.len()), (1000, 999));
    assert_eq!(s.duration, crate::scenario::secs(25.0));
    assert!(
        prose(&text).contains("The run is shorter than the usual 60 s"),
        "{text}"
    );
    // A drawing within the limit keeps the defaults.
    let (_, s) = imported(
        "small.md",
        &md("flowchart LR\n  A --> Q[(Kafka)] --> B"),
        None,
    );
    assert_eq!(s.duration, crate::scenario::secs(60.0));
}

#[test]
fn a_plural_subgraph_holds_a_system_per_node_and_a_counting_one_per_subgraph() {
    // "Brokers" with two brokers in one inner subgraph: two systems, as before.
    let plural = "flowchart LR\n  subgraph Brokers\n    subgraph dc1 [DC 1]\n      K[(Kafka)]\n      R[(RabbitMQ)]\n    end\n  end\n  A --> K --> B\n  C --> R --> D";
    let (text, _) = imported("plural.md", &md(plural), None);
    assert!(
        prose(&text).contains(
            "Messaging systems: K \"Kafka\": Kafka (a central log); R \"RabbitMQ\": RabbitMQ."
        ),
        "{text}"
    );
    // "2 × RabbitMQ" counts them: each inner subgraph (a broker and its queue) is one.
    let counted = "flowchart LR\n  subgraph middle [2 × RabbitMQ]\n    subgraph s0 [orders]\n      b0{{orders}}\n      q0[(queue)]\n    end\n    subgraph s1 [logs]\n      b1{{logs}}\n      q1[(queue)]\n    end\n  end\n  A -->|orders| b0\n  b0 -.- q0\n  q0 --> B\n  C -->|logs| b1\n  b1 -.- q1\n  q1 --> D";
    let (_, s) = imported("counted.md", &md(counted), None);
    assert_eq!(s.variants[0].shape(), Shape::BrokerPerTopic);
}
