//! The app's own words in English and Korean. Scenario and lesson texts carry their own
//! translations (`Text`); this table covers the interface. A missing entry falls back to English,
//! and a test checks that every string the app asks for has its Korean.

use crate::scenario::Lang;

/// `en` in the language `l`.
#[must_use]
pub fn tr(l: Lang, en: &'static str) -> &'static str {
    match l {
        Lang::En => en,
        Lang::Ko => KO.iter().find(|(e, _)| *e == en).map_or(en, |(_, k)| k),
    }
}

/// (English, Korean).
pub const KO: &[(&str, &str)] = &[
    // menu and window
    ("File", "파일"),
    ("Open… (Ctrl+O)", "열기… (Ctrl+O)"),
    ("Open a scenario file (.toml)", "시나리오 파일(.toml)을 엽니다"),
    ("Reload", "다시 읽기"),
    ("Open the last file:", "마지막 파일 열기:"),
    ("Read the file again from disk", "디스크에서 파일을 다시 읽습니다"),
    ("Reloaded", "다시 읽었습니다:"),
    ("Scenarios", "시나리오"),
    ("Scenario", "시나리오"),
    ("Export", "내보내기"),
    ("Comparison as CSV", "비교표를 CSV로"),
    ("Comparison as JSON", "비교표를 JSON으로"),
    ("Window as PNG", "창을 PNG로"),
    ("Every variant's metrics, one row each", "변형마다 한 줄씩, 모든 지표"),
    ("The same report as `brokerlab run --format json`", "`brokerlab run --format json`과 같은 보고서"),
    ("A screenshot of this window", "이 창의 스크린샷"),
    ("Saved", "저장했습니다:"),
    ("Could not save", "저장하지 못했습니다:"),
    ("View", "보기"),
    ("Plots", "그래프"),
    ("Fit graphs (F)", "그래프를 창에 맞추기 (F)"),
    ("Switch the language of the app and the lesson texts", "앱과 레슨 텍스트의 언어를 바꿉니다"),
    ("Light", "밝은 테마"),
    ("Dark", "어두운 테마"),
    ("Switch between light and dark theme", "밝은 테마와 어두운 테마를 전환합니다"),
    ("Help (F1)", "도움말 (F1)"),
    ("Help", "도움말"),
    ("Dismiss", "닫기"),
    ("Close", "닫기"),
    ("The scenario that was loaded stays.", "이미 불러온 시나리오는 그대로 유지됩니다."),
    // help
    ("brokerlab runs one workload through several messaging topologies side by side and counts what each costs.",
     "brokerlab은 하나의 워크로드를 여러 메시징 구조에 나란히 흘려 보내고, 구조마다 무엇을 치르는지 셉니다."),
    ("Play / pause", "재생 / 일시정지"),
    ("Step to the next event", "다음 이벤트로 한 단계"),
    ("Step back", "한 단계 뒤로"),
    ("Faster / slower", "빠르게 / 느리게"),
    ("Reset to 0 s", "0초로 되돌리기"),
    ("Fit the graphs to their panes", "그래프를 창에 맞추기"),
    ("Open a scenario file", "시나리오 파일 열기"),
    ("This help", "이 도움말"),
    ("Click a node to inspect it; right-click it to inject a fault. Drag nodes; drag the background to pan; Ctrl + scroll to zoom. Drop a .toml file on the window to open it.",
     "노드를 클릭하면 상태를 보고, 오른쪽 클릭하면 장애를 넣을 수 있습니다. 노드는 끌어서 옮기고, 빈 곳을 끌면 화면이 이동하며, Ctrl + 스크롤로 확대합니다. .toml 파일을 창에 끌어다 놓으면 열립니다."),
    // transport
    ("Reset to 0 s (R)", "0초로 되돌리기 (R)"),
    ("Step back (←): exactly to where the last step started", "한 단계 뒤로 (←): 직전 단계를 시작한 시점으로 정확히 돌아갑니다"),
    ("Pause (Space)", "일시정지 (Space)"),
    ("Play (Space)", "재생 (Space)"),
    ("Step to the next event (→)", "다음 이벤트로 (→)"),
    ("Run one simulated second", "시뮬레이션 시간 1초 진행"),
    ("Speed", "속도"),
    ("Simulated seconds per real second (+ / −)", "실제 1초에 흐르는 시뮬레이션 시간 (+ / −)"),
    ("Simulated time", "시뮬레이션 시간"),
    ("The simulation cannot keep up with this speed: it runs as fast as it can", "이 속도를 따라가지 못해 가능한 한 빠르게 돌리고 있습니다"),
    ("Timeline: drag to any instant (exact re-simulation)", "타임라인: 원하는 시점으로 끌어 보세요 (정확히 다시 시뮬레이션합니다)"),
    // panes
    ("Show:", "표시:"),
    ("Show this variant (1 to 5 side by side)", "이 변형을 표시합니다 (나란히 1~5개)"),
    ("delivered", "전달됨"),
    ("lost", "유실"),
    ("links", "연결"),
    ("systems", "운영 시스템"),
    ("Expected deliveries processed by a consumer (first time)", "컨슈머가 (처음으로) 처리한 전달 수"),
    ("Expected deliveries that can no longer happen", "더 이상 일어날 수 없는 전달 수"),
    ("99th percentile latency from produce to processed", "생산부터 처리까지 지연 시간의 99번째 백분위수"),
    ("Network connections the topology needs", "이 구조에 필요한 네트워크 연결 수"),
    ("Separately operated broker systems", "따로 운영해야 하는 브로커 시스템 수"),
    ("Right-click a node for its faults", "노드를 오른쪽 클릭하면 장애 메뉴가 나옵니다"),
    ("Take offline", "오프라인으로 전환"),
    ("It closes its connection cleanly and stays away until you bring it back", "연결을 정상적으로 닫고, 다시 돌려놓을 때까지 빠져 있습니다"),
    ("Crash", "크래시"),
    ("Its process dies: what it held in memory is gone", "프로세스가 죽습니다: 메모리에 있던 것은 사라집니다"),
    ("Crash and restart in 5 s", "크래시 후 5초 뒤 재시작"),
    ("Restore its speed", "원래 속도로"),
    ("Slow down ×10", "10배 느리게"),
    ("It takes ten times longer per message", "메시지 하나 처리에 10배 오래 걸립니다"),
    ("Restore its link", "네트워크 연결 복구"),
    ("Cut its network link", "네트워크 연결 끊기"),
    ("Bring back", "다시 온라인으로"),
    ("Restart", "재시작"),
    ("Joins later (an add-consumer fault of the scenario)", "나중에 합류합니다 (시나리오의 add-consumer 장애)"),
    ("this topic's broker", "이 토픽의 브로커"),
    ("every broker", "모든 브로커"),
    ("Crash the broker", "브로커 크래시"),
    ("Restart the broker", "브로커 재시작"),
    ("An IPC channel lives in the processes: crash a receiver instead", "IPC 채널은 프로세스 안에 있습니다: 대신 수신자를 크래시해 보세요"),
    ("Add a consumer of…", "컨슈머 추가…"),
    ("A new group joins now in every variant: does it get the history?", "모든 변형에 새 그룹이 지금 합류합니다: 지난 기록을 받을 수 있을까요?"),
    // counters
    ("Comparison", "비교"),
    ("metric", "지표"),
    ("Best of the variants", "변형 중 가장 좋음"),
    // plots
    ("Deliveries processed per simulated second", "시뮬레이션 1초당 처리된 전달 수"),
    ("Expected deliveries still pending (queued, in flight, in the log)", "아직 처리되지 않은 전달 수 (큐, 전송 중, 로그)"),
    ("Deliveries that can no longer happen, cumulative", "더 이상 일어날 수 없는 전달 수 (누적)"),
    ("99th percentile latency of the deliveries of each sample step", "샘플 구간마다 처리된 전달의 99번째 백분위 지연 시간"),
    // inspector
    ("Inspector", "상세 보기"),
    ("Click a node to see its live state. Right-click it to inject a fault.", "노드를 클릭하면 현재 상태가 보입니다. 오른쪽 클릭하면 장애를 넣을 수 있습니다."),
    ("Topics", "토픽"),
    ("Seed", "시드"),
    ("Faults in the scenario", "시나리오의 장애"),
    ("status", "상태"),
    ("group", "그룹"),
    ("Group", "그룹"),
    ("network link", "네트워크 연결"),
    ("cut", "끊김"),
    ("up", "정상"),
    ("down", "중단"),
    ("slow-down", "감속"),
    ("held in memory", "메모리에 보유"),
    ("processed", "처리함"),
    ("Redis output buffer", "Redis 출력 버퍼"),
    ("subscribed", "구독 중"),
    ("buffer bytes", "버퍼 바이트"),
    ("buffer messages", "버퍼 메시지"),
    ("lag", "랙"),
    ("exists", "존재"),
    ("ready", "대기"),
    ("unacked", "미확인"),
    ("bytes", "바이트"),
    ("start", "시작"),
    ("end", "끝"),
    ("leader", "리더"),
    ("committed", "커밋"),
    ("owner", "담당"),
    ("offline", "오프라인"),
    ("buffered", "버퍼에 있음"),
    ("capacity", "용량"),
    ("blocked senders' messages", "막힌 송신자의 메시지"),
    // lessons
    ("Right.", "맞았습니다."),
    ("Not quite: the simulation says otherwise.", "아쉽네요: 시뮬레이션 결과는 다릅니다."),
    ("Measured at", "측정 시점"),
    ("measured", "측정값"),
    ("Back", "이전"),
    ("The previous step", "이전 단계로"),
    ("Run to", "실행:"),
    ("Pick an answer first", "먼저 답을 고르세요"),
    ("Run the simulation to this step's time and check", "이 단계의 시간까지 시뮬레이션을 돌려 확인합니다"),
    ("Continue", "계속"),
    ("The next step", "다음 단계로"),
    ("End of the lesson.", "레슨이 끝났습니다."),
    ("Lessons", "레슨"),
    // files
    ("Open a scenario", "시나리오 열기"),
    ("Parent folder", "상위 폴더"),
    ("A folder or a .toml file; Enter to go", "폴더나 .toml 파일; Enter로 이동"),
    ("No folders or .toml files here", "여기에는 폴더나 .toml 파일이 없습니다"),
    ("A folder or a .md file; Enter to go", "폴더나 .md 파일; Enter로 이동"),
    ("No folders or .md files here", "여기에는 폴더나 .md 파일이 없습니다"),
    // import
    ("Import Mermaid…", "Mermaid 가져오기…"),
    ("Turn a Mermaid flowchart of study notes (.md) into a scenario", "스터디 노트(.md)의 Mermaid 순서도를 시나리오로 바꿉니다"),
    ("Import a Mermaid diagram from study notes (.md)", "스터디 노트(.md)에서 Mermaid 다이어그램 가져오기"),
    ("Import a Mermaid diagram", "Mermaid 다이어그램 가져오기"),
    ("The diagram's topology becomes the first variant; the other shapes run the same workload beside it.",
     "다이어그램의 구조가 첫 번째 변형이 되고, 다른 구조들이 같은 워크로드를 나란히 실행합니다."),
    ("No Mermaid flowchart (graph or flowchart) in this file", "이 파일에는 Mermaid 순서도(graph 또는 flowchart)가 없습니다"),
    ("line", "줄"),
    ("diagram", "다이어그램"),
    ("nodes", "노드"),
    ("heading", "제목"),
    ("Import", "가져오기"),
    ("Load this diagram as the scenario", "이 다이어그램을 시나리오로 불러옵니다"),
    ("Drop study notes (.md) on the window, or use File > Import Mermaid…, to turn one of their Mermaid flowcharts into a scenario.",
     "스터디 노트(.md)를 창에 끌어다 놓거나 파일 > Mermaid 가져오기…를 쓰면, 그 안의 Mermaid 순서도 하나를 시나리오로 바꿉니다."),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literal `tr(l, "...")` asks for at each call in `src`, however it is wrapped.
    fn asked(src: &str) -> Vec<String> {
        src.split("tr(")
            .skip(1)
            .filter_map(|rest| {
                let rest = rest
                    .trim_start()
                    .strip_prefix('l')?
                    .trim_start()
                    .strip_prefix(',')?
                    .trim_start();
                let lit = rest.strip_prefix('"')?;
                Some(lit.split('"').next()?.to_owned())
            })
            .collect()
    }

    /// Every string the interface shows through `tr` has a Korean entry with Hangul in it.
    #[test]
    fn every_interface_string_has_korean() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("transport.rs"),
            include_str!("panes.rs"),
            include_str!("counters.rs"),
            include_str!("plots.rs"),
            include_str!("inspector.rs"),
            include_str!("files.rs"),
            include_str!("import.rs"),
            include_str!("lesson.rs"),
        ];
        let mut wanted: Vec<String> = sources.iter().flat_map(|s| asked(s)).collect();
        assert!(
            wanted.len() > 100,
            "the scan finds the calls: {}",
            wanted.len()
        );
        // Strings passed through a variable: the plots' tips and the keys (metrics, plot titles
        // included, have their Korean in the catalogue).
        wanted.extend(crate::app::plots::PLOTS.iter().map(|p| p.2.to_owned()));
        wanted.extend(crate::app::KEYS.iter().map(|k| k.1.to_owned()));
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|s| !KO.iter().any(|(e, _)| e == s))
            .collect();
        assert!(missing.is_empty(), "no Korean for: {missing:#?}");
        assert!(KO
            .iter()
            .all(|(_, k)| k.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))));
    }

    #[test]
    fn the_scan_sees_wrapped_calls() {
        assert_eq!(asked("tr(\n    l,\n    \"Hello\",\n)"), ["Hello"]);
    }
}
