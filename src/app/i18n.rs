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
    ("pending", "대기 중"),
    ("A knob here differs from the file", "여기 있는 조절값 중 파일과 다른 것이 있습니다"),
    ("This step runs the scenario with:", "이 단계는 시나리오를 다음 값으로 돌립니다:"),
    ("Knobs the step sets, as the Knobs tab shows them: the run starts again from 0 s with these values, the file's values are drawn dashed beside it",
     "이 단계가 정하는 조절값입니다(조절 탭에 보이는 그대로): 이 값으로 0초부터 다시 돌리고, 파일의 값은 옆에 점선으로 그립니다"),
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
    // fault kinds: long (tips, the inspector), short (the timeline's bars)
    ("consumer-offline", "컨슈머 오프라인"),
    ("consumer-crash", "컨슈머 크래시"),
    ("consumer-slow", "컨슈머 감속"),
    ("broker-crash", "브로커 크래시"),
    ("link-down", "네트워크 연결 끊김"),
    ("add-consumer", "컨슈머 추가"),
    ("crash", "크래시"),
    ("slow", "감속"),
    ("broker crash", "브로커 크래시"),
    ("link down", "연결 끊김"),
    ("add", "추가"),
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
    ("Share groups", "공유 그룹"),
    ("Simulated from KIP-932, not checked against a broker", "KIP-932를 바탕으로 시뮬레이션했고, 실제 브로커로 확인하지 않았다"),
    ("acquired", "획득"),
    ("available", "가져갈 수 있음"),
    ("archived (limit / rejected)", "보관 처리 (한도 / 거부)"),
    ("max delivery count", "최대 전달 횟수"),
    ("members", "멤버"),
    ("Stream", "스트림"),
    ("first offset", "첫 오프셋"),
    ("next offset", "다음 오프셋"),
    ("last chunk", "마지막 청크"),
    ("segments", "세그먼트"),
    ("consumer", "컨슈머"),
    ("attached", "연결됨"),
    ("offset", "오프셋"),
    ("credit", "크레딧"),
    ("yes", "예"),
    ("no", "아니오"),
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
    // explore: knobs, editor, undo, save
    ("Knobs", "조절"),
    ("Change the scenario and see the difference at once", "시나리오를 바꾸고 차이를 바로 봅니다"),
    ("The live state of the node you click", "클릭한 노드의 실시간 상태"),
    ("Undo", "되돌리기"),
    ("Redo", "다시 하기"),
    ("Revert", "파일 값으로"),
    ("Save", "저장"),
    ("Save as…", "다른 이름으로 저장…"),
    ("Undo the last knob change or edit (Ctrl+Z)", "마지막 손잡이 변경이나 편집을 되돌립니다 (Ctrl+Z)"),
    ("Redo what was undone (Ctrl+Shift+Z or Ctrl+Y)", "되돌린 것을 다시 합니다 (Ctrl+Shift+Z 또는 Ctrl+Y)"),
    ("Every knob back to the file's value (undoable)", "모든 손잡이를 파일의 값으로 돌립니다 (되돌릴 수 있음)"),
    ("Save the scenario to its file (Ctrl+S); a built-in one as a new file", "시나리오를 그 파일에 저장합니다 (Ctrl+S). 내장 시나리오는 새 파일로 저장합니다"),
    ("Save the scenario as a new file (Ctrl+Shift+S)", "시나리오를 새 파일로 저장합니다 (Ctrl+Shift+S)"),
    ("simulating…", "시뮬레이션 중…"),
    ("re-simulated from 0 s in", "0초부터 다시 시뮬레이션한 시간:"),
    ("Changed from the file: plots draw the file's values dashed, the table shows them as (was …)", "파일과 달라졌습니다: 그래프는 파일의 값을 점선으로, 비교표는 (이전 …)으로 보여 줍니다"),
    ("Not applied: the scenario stays as it was.", "적용하지 않았습니다: 시나리오는 그대로입니다."),
    ("Workload", "워크로드"),
    ("Consumers", "컨슈머"),
    ("Variants", "변형"),
    ("Faults", "장애"),
    ("Scale", "배율"),
    ("A scale is a change, not a value: it multiplies what the scenario has now.", "배율은 값이 아니라 변경입니다: 지금 시나리오에 있는 것을 곱합니다."),
    ("+ producer", "+ 프로듀서"),
    ("+ consumer", "+ 컨슈머"),
    ("+ variant", "+ 변형"),
    ("+ fault", "+ 장애"),
    ("+ publish to", "+ 발행할 토픽"),
    ("A new producer of the first topic, 10 msg/s", "첫 토픽에 초당 10개를 보내는 새 프로듀서"),
    ("A new consumer of the first topic", "첫 토픽을 구독하는 새 컨슈머"),
    ("A new publish entry of this producer, 10 msg/s", "이 프로듀서의 새 발행 항목, 초당 10개"),
    ("A new variant of this shape (and broker), default options", "이 구조(와 브로커)의 새 변형, 기본 옵션"),
    ("A new fault from a third of the run to half of it: drag its bar under the timeline to move it", "실행의 1/3 지점부터 절반까지의 새 장애: 타임라인 아래의 막대를 끌어 옮깁니다"),
    ("Remove this fault", "이 장애 제거"),
    ("Remove this publish entry", "이 발행 항목 제거"),
    ("Remove", "제거"),
    ("Rename (references follow)", "이름 바꾸기 (참조도 함께 바뀜)"),
    ("default", "기본값"),
    ("in the file", "파일의 값"),
    ("not in the file: added", "파일에 없음: 추가됨"),
    ("none", "없음"),
    ("was", "이전"),
    ("The file's value at the same time", "같은 시각, 파일 그대로의 값"),
    ("dashed: the file's values", "점선: 파일의 값"),
    ("Dashed: each variant as the file has it, at the same time", "점선: 같은 시각, 파일 그대로의 각 변형"),
    ("faults", "장애"),
    ("Drag to move it, drag an end to change when it strikes or heals; right-click to remove it", "끌어서 옮기고, 끝을 끌어 시작·복구 시각을 바꿉니다. 오른쪽 클릭으로 제거합니다"),
    ("Save the scenario as", "시나리오를 다른 이름으로 저장"),
    ("A .toml file to write; Enter or Save to write it", "쓸 .toml 파일. Enter나 저장을 누르면 씁니다"),
    ("Write the scenario to this file", "시나리오를 이 파일에 씁니다"),
    ("Undo a knob change or an edit", "손잡이 변경이나 편집 되돌리기"),
    ("Save the scenario (a built-in one as a new file)", "시나리오 저장 (내장 시나리오는 새 파일로)"),
    ("Save the scenario as a new file", "시나리오를 새 파일로 저장"),
    // following one message (trace.rs, panes, inspector)
    ("Following message", "메시지 따라가는 중"),
    ("Message", "메시지"),
    ("made at", "생성 시각"),
    ("previous event", "이전 이벤트"),
    ("next event", "다음 이벤트"),
    ("The followed message's previous event (Shift+N)", "따라가는 메시지의 이전 이벤트로 (Shift+N)"),
    ("The followed message's next event (N)", "따라가는 메시지의 다음 이벤트로 (N)"),
    ("Stop following", "따라가기 멈춤"),
    ("Stop following this message", "이 메시지 따라가기를 멈춥니다"),
    ("Click to move the playhead there", "클릭하면 재생 위치를 그 시점으로 옮깁니다"),
    ("no group expected it", "기다리는 그룹이 없었음"),
    ("Lost for", "유실된 그룹:"),
    ("click to follow it", "클릭하면 따라갑니다"),
    ("Follow a message", "메시지 따라가기"),
    ("Follow", "따라가기"),
    ("Follow the message with this number: the N-th produced, from 0", "이 번호의 메시지를 따라갑니다: 0부터 세어 N번째로 생성된 메시지"),
    ("Or click a moving dot in a pane, or pick one:", "또는 창에서 움직이는 점을 클릭하거나, 아래에서 고르세요:"),
    ("Just sent", "방금 보낸 메시지"),
    ("Lost lately", "최근 유실된 메시지"),
    ("Duplicated lately", "최근 중복 처리된 메시지"),
    ("Step to the followed message's next / previous event", "따라가는 메시지의 다음 / 이전 이벤트로"),
    ("Click a moving dot (or pick a message in the inspector) to follow it: its path lights up in every pane, its events line up below them, N and Shift+N step through them.",
     "움직이는 점을 클릭하면(또는 인스펙터에서 메시지를 고르면) 그 메시지를 따라갑니다: 모든 창에서 지나간 경로가 빛나고, 창 아래에 이벤트가 시간순으로 늘어서며, N과 Shift+N으로 이벤트를 하나씩 오갑니다."),
    // sweeps
    ("Sweep", "스윕"),
    ("Sweep… (S)", "스윕… (S)"),
    ("Sweep: a parameter's values as curves", "스윕: 매개변수 값에 따른 곡선"),
    ("Run a parameter over its values and see each variant's curve", "매개변수를 여러 값으로 돌려 변형마다 곡선을 봅니다"),
    ("View > Sweep… (S) runs one parameter over a list or range of values with several seeds and draws each variant's curve with its 95% confidence band; click a point to open that run.",
     "보기 > 스윕… (S)은 매개변수 하나를 값 목록이나 범위로, 시드 여러 개로 돌려서 변형마다 곡선과 95% 신뢰 구간 띠를 그립니다. 점을 클릭하면 그 실행이 열립니다."),
    ("Parameter", "매개변수"),
    ("Values", "값"),
    ("a list 1,2,4 or a range 0.5..2.0:0.25", "목록 1,2,4 또는 범위 0.5..2.0:0.25"),
    ("A list 1,2,4 or a range FROM..TO:STEP (both ends included)", "목록 1,2,4 또는 범위 시작..끝:간격 (양 끝 포함)"),
    ("Seeds", "시드 수"),
    ("Runs per point, each with its own seed: the band is the 95% confidence interval of their mean", "점마다 시드를 달리해 돌리는 횟수: 띠는 그 평균의 95% 신뢰 구간입니다"),
    ("Run for", "실행 시간"),
    ("Simulated seconds each run lasts", "실행 한 번의 시뮬레이션 시간(초)"),
    ("Metric", "지표"),
    ("Run sweep", "스윕 실행"),
    ("Run every value with every seed, on every core", "모든 값을 모든 시드로, 모든 코어에서 실행합니다"),
    ("Cancel", "취소"),
    ("Stop after the runs under way; the points so far stay", "진행 중인 실행까지만 하고 멈춥니다. 지금까지의 점은 남습니다"),
    ("runs", "실행"),
    ("cancelled", "취소됨"),
    ("Pick a parameter, its values and a metric, then run the sweep.", "매개변수와 값, 지표를 고른 뒤 스윕을 실행하세요."),
    ("Click a point to open that run in the panes", "점을 클릭하면 그 실행을 창에서 엽니다"),
    ("Export PNG", "PNG로 내보내기"),
    ("A picture of this window", "이 창의 그림"),
    ("Export CSV", "CSV로 내보내기"),
    ("Mean, ci95, min and max of every point, as `brokerlab sweep --format csv`", "점마다 평균, ci95, 최솟값, 최댓값 (`brokerlab sweep --format csv`와 같음)"),
    ("Opened", "열었습니다:"),
    ("seed", "시드"),
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
            include_str!("knobs.rs"),
            include_str!("editor.rs"),
            include_str!("explore.rs"),
            include_str!("trace.rs"),
            include_str!("sweep.rs"),
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
