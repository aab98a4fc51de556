//! The one metric catalogue: every metric a variant reports, once, with its unit, which way is
//! better, and what it means in English and Korean. The `Metrics` struct (the `metrics` of
//! `run --format json`), path lookup (`latency_ms.p99`), the CLI's table and CSV, the app's
//! comparison table and tooltips and the study notes all read it: adding a metric is one entry.

use crate::engine::Tally;
use crate::metrics::{Cost, Latency, LossReason};
use crate::scenario::Lang;
use serde::Serialize;
use std::collections::BTreeMap;

/// How a metric's value is shaped, which decides how it prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number.
    Count,
    /// Counts per loss reason (`lost_by_reason.<reason>`).
    Reasons,
    /// Latency percentiles in ms (`latency_ms.p50`, `.p99`, `.max`, `.mean`).
    Latency,
    /// A rate per simulated second.
    Rate,
}

/// Which way is better for a metric, when variants are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Not a contest: the workload itself, or a number that is neither good nor bad.
    Neither,
}

/// One metric of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    /// Its key in JSON, CSV, lesson expectations and `--metric`.
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub better: Better,
    /// A short name and what it means, in English and Korean.
    pub en: (&'static str, &'static str),
    pub ko: (&'static str, &'static str),
}

impl Metric {
    /// Its short name in `lang` (English: the key itself).
    #[must_use]
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.name,
            Lang::Ko => self.ko.0,
        }
    }
    /// What it means, in `lang`.
    #[must_use]
    pub fn meaning(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en.1,
            Lang::Ko => self.ko.1,
        }
    }
}

/// The catalogue: `name: type = value from (tally, cost); kind, unit, better, en, ko`.
macro_rules! catalogue {
    ($t:ident, $c:ident; $(
        $name:ident: $ty:ty = $value:expr;
        $kind:ident, $unit:literal, $better:ident, $en:expr, $ko:expr;
    )*) => {
        /// The metrics of one variant at one instant, in the catalogue's names.
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct Metrics {
            $(pub $name: $ty,)*
        }

        impl Metrics {
            /// The metrics of a variant's raw numbers and its topology's cost.
            #[must_use]
            #[allow(clippy::cast_precision_loss)]
            pub fn of($t: &Tally, $c: Cost) -> Metrics {
                Metrics { $($name: $value,)* }
            }
        }

        /// Every metric, in the order `run` prints them.
        pub const METRICS: &[Metric] = &[$(Metric {
            name: stringify!($name),
            kind: Kind::$kind,
            unit: $unit,
            better: Better::$better,
            en: $en,
            ko: $ko,
        },)*];
    };
}

catalogue! { t, c;
    produced: u64 = t.produced;
        Count, "messages", Neither,
        ("produced", "Messages created by producers"),
        ("생산", "프로듀서가 만든 메시지 수");
    expected: u64 = t.counters.expected;
        Count, "deliveries", Neither,
        ("expected", "Deliveries that should happen: each message x each group subscribed to its topic"),
        ("기대 전달", "일어나야 할 전달 수: 메시지 × 그 토픽을 구독한 그룹 수");
    delivered: u64 = t.counters.delivered;
        Count, "deliveries", Higher,
        ("delivered", "Expected deliveries processed by a consumer (first time)"),
        ("전달", "컨슈머가 (처음으로) 처리한 전달 수");
    duplicates: u64 = t.counters.duplicates;
        Count, "deliveries", Lower,
        ("duplicates", "Deliveries of a message the group had already processed (redelivery)"),
        ("중복", "그룹이 이미 처리한 메시지를 다시 받은 수 (재전달)");
    lost: u64 = t.counters.lost;
        Count, "deliveries", Lower,
        ("lost", "Expected deliveries that can no longer happen"),
        ("유실", "더 이상 일어날 수 없는 전달 수");
    lost_by_reason: BTreeMap<String, u64> = t.counters.lost_by_reason();
        Reasons, "deliveries", Lower,
        ("lost by reason", "Lost deliveries by reason"),
        ("원인별 유실", "원인별 유실 전달 수");
    pending: u64 = t.counters.pending;
        // Not a contest: zero pending can mean "all delivered" or "all lost".
        Count, "deliveries", Neither,
        ("pending", "Expected deliveries still possible (in flight, queued, in the log ahead of an offset)"),
        ("대기", "아직 일어날 수 있는 전달 수 (전송 중, 큐 대기, 오프셋 앞의 로그)");
    out_of_order: u64 = t.counters.out_of_order;
        Count, "deliveries", Lower,
        ("out of order", "Deliveries that overtook an earlier message with the same key"),
        ("순서 어긋남", "같은 키의 앞선 메시지를 추월한 전달 수");
    replayed: u64 = t.counters.replayed;
        Count, "deliveries", Higher,
        ("replayed", "Deliveries of messages published before the group existed (history)"),
        ("리플레이", "그룹이 생기기 전에 발행된 메시지를 읽은 수 (지난 기록)");
    latency_ms: Latency = t.latency;
        Latency, "ms", Lower,
        ("latency", "Latency from produce to processed"),
        ("지연 시간", "생산부터 처리까지 걸린 시간");
    throughput_per_s: f64 = if t.elapsed_s > 0.0 {
            t.counters.delivered as f64 / t.elapsed_s
        } else {
            0.0
        };
        Rate, "per s", Higher,
        ("throughput", "Delivered per simulated second"),
        ("처리량", "시뮬레이션 1초당 전달 수");
    connections: u64 = c.connections;
        Count, "links", Lower,
        ("connections", "Network links the topology needs"),
        ("연결", "이 구조에 필요한 네트워크 연결 수");
    systems_to_operate: u64 = c.systems_to_operate;
        Count, "systems", Lower,
        ("systems to operate", "Separately operated broker systems"),
        ("운영할 시스템", "따로 운영해야 하는 브로커 시스템 수");
    max_producer_endpoints: u64 = c.max_producer_endpoints;
        Count, "endpoints", Lower,
        ("producer endpoints", "The most endpoints one producer must know"),
        ("프로듀서 엔드포인트", "프로듀서 하나가 알아야 하는 최대 엔드포인트 수");
    add_consumer_cost: u64 = c.add_consumer_cost;
        Count, "components", Lower,
        ("add-a-consumer cost", "Existing components that must change to add one consumer of a topic"),
        ("컨슈머 추가 비용", "토픽에 컨슈머 하나를 더할 때 고쳐야 하는 기존 구성 요소 수");
    stored_bytes_peak: u64 = t.stored_bytes_peak;
        Count, "bytes", Neither,
        ("stored bytes (peak)", "Peak bytes held by brokers"),
        ("최대 저장 바이트", "브로커가 보관한 최대 바이트 수");
}

/// A part of a latency metric (`latency_ms.p99`): its key, and a short name and meaning in
/// English and Korean.
pub type LatencyPart = (
    &'static str,
    (&'static str, &'static str),
    (&'static str, &'static str),
);

/// The parts of a latency metric, with what each means.
pub const LATENCY_PARTS: &[LatencyPart] = &[
    (
        "p50",
        ("p50", "Median latency from produce to processed"),
        ("중앙값", "생산부터 처리까지 지연 시간의 중앙값"),
    ),
    (
        "p99",
        ("p99", "99th percentile latency from produce to processed"),
        ("p99", "생산부터 처리까지 지연 시간의 99번째 백분위수"),
    ),
    (
        "max",
        ("max", "Worst latency from produce to processed"),
        ("최대", "생산부터 처리까지 가장 긴 지연 시간"),
    ),
    (
        "mean",
        ("mean", "Mean latency from produce to processed"),
        ("평균", "생산부터 처리까지 지연 시간의 평균"),
    ),
];

/// A loss reason's meaning in English, and its short name and meaning in Korean (its short
/// name in English is its key).
fn reason_text(r: LossReason) -> (&'static str, (&'static str, &'static str)) {
    match r {
        LossReason::SubscriberOffline => (
            "The Pub/Sub subscriber was not connected when the message was published",
            (
                "구독자 없음",
                "메시지가 발행될 때 구독자가 연결되어 있지 않았다",
            ),
        ),
        LossReason::ReceiverOffline => (
            "A direct send or a channel found no receiver",
            (
                "받는 쪽 없음",
                "직접 보내거나 채널로 보낼 때 받는 쪽이 없었다",
            ),
        ),
        LossReason::ConsumerCrash => (
            "Held in a consumer's memory when it crashed",
            ("컨슈머 장애", "컨슈머가 죽을 때 메모리에 들고 있었다"),
        ),
        LossReason::BrokerDown => (
            "Sent while the broker was down",
            ("브로커 다운", "브로커가 내려가 있을 때 보냈다"),
        ),
        LossReason::BrokerRestart => (
            "Held by a broker that restarted without keeping it",
            ("브로커 재시작", "재시작한 브로커가 보관하지 않았다"),
        ),
        LossReason::LinkDown => ("Sent over a cut link", ("연결 끊김", "끊긴 연결로 보냈다")),
        LossReason::Retention => (
            "Deleted by retention before the group read it",
            (
                "보존 기간 만료",
                "그룹이 읽기 전에 보존 기간이 지나 지워졌다",
            ),
        ),
        LossReason::OffsetReset => (
            "Skipped by a reader placed past it (Kafka auto.offset.reset = latest, a RabbitMQ stream consumer attaching at next)",
            (
                "오프셋 리셋",
                "읽는 위치가 그 뒤로 정해져 건너뛰었다 (Kafka auto.offset.reset = latest, next로 붙은 RabbitMQ 스트림 컨슈머)",
            ),
        ),
        LossReason::OutputBufferLimit => (
            "Redis dropped a slow subscriber over its output buffer limit",
            (
                "출력 버퍼 한도",
                "Redis가 출력 버퍼 한도를 넘은 느린 구독자를 끊었다",
            ),
        ),
        LossReason::NoFanout => (
            "An IPC channel gave the message to a receiver of another group",
            (
                "팬아웃 없음",
                "IPC 채널이 다른 그룹의 수신자에게 메시지를 줬다",
            ),
        ),
        LossReason::LeaderFailover => (
            "Acknowledged by a leader that died before a follower copied it",
            ("리더 교체", "팔로워가 복제하기 전에 리더가 죽었다"),
        ),
        LossReason::QueueOverflow => (
            "Dropped by a queue length limit",
            ("큐 넘침", "큐 길이 한도로 버려졌다"),
        ),
        LossReason::Unroutable => (
            "No queue was bound for it",
            ("라우팅 불가", "바인딩된 큐가 없었다"),
        ),
        LossReason::RetriesExhausted => (
            "A sender gave up after its retries",
            ("재시도 소진", "보내는 쪽이 재시도 끝에 포기했다"),
        ),
        LossReason::Trimmed => (
            "Trimmed from a Redis stream (MAXLEN) before the group read it",
            (
                "트리밍",
                "그룹이 읽기 전에 Redis 스트림에서 잘려 나갔다 (MAXLEN)",
            ),
        ),
        LossReason::Rejected => (
            "Refused by a full queue (reject-publish)",
            ("발행 거절", "가득 찬 큐가 거절했다 (reject-publish)"),
        ),
        LossReason::Returned => (
            "Unroutable and returned to the publisher (mandatory)",
            ("반송", "라우팅되지 않아 발행자에게 돌려보냈다 (mandatory)"),
        ),
        LossReason::DeliveryLimit => (
            "Archived by a Kafka share group after delivery_limit delivery attempts",
            (
                "전달 한도 초과",
                "Kafka 공유 그룹이 delivery_limit번 전달을 시도한 뒤 아카이브했다",
            ),
        ),
        LossReason::ConsumerRejected => (
            "A share consumer acknowledged it REJECT: archived, never delivered again",
            (
                "컨슈머 거절",
                "공유 그룹 컨슈머가 REJECT로 확인해 아카이브했고 다시는 전달되지 않는다",
            ),
        ),
    }
}

/// A loss reason's meaning in `lang`.
#[must_use]
pub fn reason_meaning(r: LossReason, lang: Lang) -> &'static str {
    let (en, ko) = reason_text(r);
    match lang {
        Lang::En => en,
        Lang::Ko => ko.1,
    }
}

/// A loss reason's short name in `lang` (English: its key, as in `lost_by_reason`).
#[must_use]
pub fn reason_label(r: LossReason, lang: Lang) -> &'static str {
    match lang {
        Lang::En => r.name(),
        Lang::Ko => reason_text(r).1 .0,
    }
}

/// The catalogue entry called `name`.
#[must_use]
pub fn metric(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// A metric name, or a dotted path into one (`latency_ms.p99`, `lost_by_reason.retention`).
#[must_use]
pub fn is_metric_path(path: &str) -> bool {
    let (head, sub) = match path.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (path, None),
    };
    let Some(m) = metric(head) else {
        return false;
    };
    match (m.kind, sub) {
        (Kind::Latency, Some(sub)) => LATENCY_PARTS.iter().any(|(p, _, _)| *p == sub),
        (Kind::Reasons, Some(sub)) => LossReason::from_name(sub).is_some(),
        (Kind::Latency | Kind::Reasons, None) => false,
        (_, None) => true,
        (_, Some(_)) => false,
    }
}

/// A metric path's short name in `lang`: `lost` is "유실" in Korean, `latency_ms.p99` is
/// "지연 시간 p99", `lost_by_reason.trimmed` is "유실(트리밍)"; in English the path itself.
#[must_use]
pub fn path_label(path: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return path.to_owned();
    }
    let (head, sub) = match path.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (path, None),
    };
    let reason = LossReason::from_name;
    let part = |sub: &str| LATENCY_PARTS.iter().find(|(p, _, _)| *p == sub);
    match (metric(head), sub) {
        (Some(m), None) => m.label(lang).to_owned(),
        (Some(m), Some(sub)) => match (m.kind, reason(sub), part(sub)) {
            (Kind::Reasons, Some(r), _) => {
                let lost = metric("lost").map_or("", |l| l.label(lang));
                format!("{lost}({})", reason_label(r, lang))
            }
            (Kind::Latency, _, Some((_, _, (short, _)))) => format!("{} {short}", m.label(lang)),
            _ => format!("{} {sub}", m.label(lang)),
        },
        (None, _) => path.to_owned(),
    }
}

/// What a metric path means, in `lang`, with its key: the hover text of a metric's name.
#[must_use]
pub fn path_meaning(path: &str, lang: Lang) -> String {
    let (head, sub) = match path.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (path, None),
    };
    let meaning = match (metric(head), sub) {
        (Some(m), None) => m.meaning(lang),
        (Some(m), Some(sub)) => match m.kind {
            Kind::Reasons => LossReason::ALL
                .into_iter()
                .find(|r| r.name() == sub)
                .map_or("", |r| reason_meaning(r, lang)),
            Kind::Latency => LATENCY_PARTS.iter().find(|(p, _, _)| *p == sub).map_or(
                "",
                |(_, en, ko)| match lang {
                    Lang::En => en.1,
                    Lang::Ko => ko.1,
                },
            ),
            _ => "",
        },
        (None, _) => "",
    };
    format!("{meaning} ({path})")
}

/// Whether a metric path is a running total, which only grows: what a stretch of time added
/// is the difference of its values at the stretch's ends. Not a state (`pending`), a cost, a
/// peak, a latency or a rate.
#[must_use]
pub fn accumulates(path: &str) -> bool {
    let head = path.split('.').next().unwrap_or(path);
    metric(head).is_some_and(|m| {
        m.kind == Kind::Reasons
            || (m.kind == Kind::Count
                && matches!(m.unit, "messages" | "deliveries")
                && m.name != "pending")
    })
}

/// Every path a scalar value can be read at: the counts and rates, each latency part, each
/// loss reason. For messages and suggestions.
#[must_use]
pub fn metric_paths() -> Vec<String> {
    let mut v = Vec::new();
    for m in METRICS {
        match m.kind {
            Kind::Latency => v.extend(
                LATENCY_PARTS
                    .iter()
                    .map(|(p, _, _)| format!("{}.{p}", m.name)),
            ),
            Kind::Reasons => v.extend(
                LossReason::ALL
                    .iter()
                    .map(|r| format!("{}.{}", m.name, r.name())),
            ),
            Kind::Count | Kind::Rate => v.push(m.name.to_owned()),
        }
    }
    v
}

impl Metrics {
    /// The whole number at a metric path (a count, a loss reason's count).
    #[must_use]
    pub fn count(&self, path: &str) -> Option<u64> {
        let v = serde_json::to_value(self).ok()?;
        match path.split_once('.') {
            Some(("lost_by_reason", r)) => Some(self.lost_by_reason.get(r).copied().unwrap_or(0)),
            Some((head, sub)) => v.get(head)?.get(sub)?.as_u64(),
            None => v.get(path)?.as_u64(),
        }
    }

    /// The value at a metric path (see [`is_metric_path`]); a loss reason never seen is 0.
    #[must_use]
    pub fn value(&self, path: &str) -> Option<f64> {
        let v = serde_json::to_value(self).ok()?;
        let (head, sub) = match path.split_once('.') {
            Some((h, s)) => (h, Some(s)),
            None => (path, None),
        };
        let node = v.get(head)?;
        match sub {
            None => node.as_f64(),
            Some(sub) if head == "lost_by_reason" => Some(
                node.get(sub)
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(0.0),
            ),
            Some(sub) => node.get(sub)?.as_f64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counters, LatencyHistogram};

    #[test]
    fn metric_paths_accept_known_names_only() {
        assert!(is_metric_path("lost"));
        assert!(is_metric_path("latency_ms.p99"));
        assert!(is_metric_path("lost_by_reason.retention"));
        assert!(!is_metric_path("latency_ms"));
        assert!(!is_metric_path("lost_by_reason.nope"));
        assert!(!is_metric_path("losted"));
        assert!(!is_metric_path("lost.p99"));
        assert!(metric_paths().iter().all(|p| is_metric_path(p)));
    }

    #[test]
    fn every_metric_of_the_struct_is_in_the_catalogue_once_with_both_languages() {
        let json = serde_json::to_value(Metrics::default()).unwrap_or_default();
        let keys: Vec<&String> = json
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), METRICS.len());
        for m in METRICS {
            assert!(keys.iter().any(|k| *k == m.name), "{}", m.name);
            assert!(
                !m.en.1.is_empty() && !m.ko.0.is_empty() && !m.ko.1.is_empty(),
                "{}",
                m.name
            );
        }
    }

    #[test]
    fn every_metric_path_has_a_korean_name_and_its_key_on_hover() {
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        for p in metric_paths() {
            let ko = path_label(&p, Lang::Ko);
            assert!(hangul(&ko) && !ko.contains('_'), "{p}: {ko}");
            if let Some((_, reason)) = p.split_once("lost_by_reason.") {
                assert!(!ko.contains(reason), "{p}: {ko}");
            }
            assert_eq!(path_label(&p, Lang::En), p);
            assert!(
                path_meaning(&p, Lang::Ko).ends_with(&format!("({p})")),
                "{p}"
            );
        }
        assert_eq!(
            path_label("lost_by_reason.trimmed", Lang::Ko),
            "유실(트리밍)"
        );
        assert_eq!(path_label("latency_ms.p99", Lang::Ko), "지연 시간 p99");
        assert_eq!(path_label("latency_ms.max", Lang::Ko), "지연 시간 최대");
    }

    #[test]
    fn value_reads_nested_paths_and_unseen_reasons_as_zero() {
        let mut c = Counters::default();
        c.expect(3);
        c.deliver();
        c.lose(LossReason::Retention);
        let mut h = LatencyHistogram::default();
        h.record_ns(2_000_000);
        let t = Tally {
            produced: 3,
            counters: c,
            latency: h.summary(),
            elapsed_s: 1.0,
            stored_bytes_peak: 0,
        };
        let m = Metrics::of(&t, Cost::default());
        assert_eq!(m.value("lost_by_reason.retention"), Some(1.0));
        assert_eq!(m.value("lost_by_reason.link-down"), Some(0.0));
        assert_eq!(m.value("pending"), Some(1.0));
        assert!((m.value("latency_ms.p99").unwrap_or(0.0) - 2.0).abs() < 0.01);
        assert!((m.throughput_per_s - 1.0).abs() < 1e-9);
    }
}
