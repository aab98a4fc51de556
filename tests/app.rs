//! The desktop app driven like a learner drives it (egui_kittest): buttons, keys, the language
//! switch, a bad file, a fault from a node's context menu, and image snapshots of the window
//! (rendered headless with wgpu; on Linux without a GPU that is Mesa's lavapipe).

use brokerlab::app::{BrokerLabApp, Prefs};
use brokerlab::report::Measured;
use brokerlab::scenario::{parse_scenario, secs};
use brokerlab::topology::{label_lines, place, Topology};
use eframe::egui::{self, Key, Pos2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

const SIZE: [f32; 2] = [1500.0, 950.0];

fn harness(builtin: &str, prefs: Prefs) -> Harness<'static, BrokerLabApp> {
    harness_sized(builtin, prefs, SIZE)
}

fn harness_sized(builtin: &str, prefs: Prefs, size: [f32; 2]) -> Harness<'static, BrokerLabApp> {
    let text = brokerlab::builtin::get(builtin).unwrap_or_else(|| panic!("no built-in {builtin}"));
    let s = parse_scenario(&format!("builtin:{builtin}"), text).unwrap_or_else(|e| panic!("{e}"));
    let theme = if prefs.dark {
        egui::Theme::Dark
    } else {
        egui::Theme::Light
    };
    // egui_graphs asks for a repaint every frame: drive it with run_steps, never run().
    Harness::builder()
        .with_size(size)
        .with_theme(theme)
        .with_step_dt(0.05)
        .build_eframe(move |cc| BrokerLabApp::with_prefs(&cc.egui_ctx, Some((s, None)), prefs))
}

fn report(h: &Harness<'_, BrokerLabApp>) -> String {
    brokerlab::report::Report::of(h.state().session.sim()).json()
}

#[test]
fn play_and_step_buttons_advance_simulated_time() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    assert_eq!(h.state().session.now(), 0);
    h.get_by_label("⏭").click();
    h.run_steps(2);
    let first = h.state().session.now();
    assert!(first > 0, "one event later");
    h.get_by_label("+1 s").click();
    h.run_steps(2);
    assert_eq!(h.state().session.now(), first + secs(1.0));
    h.get_by_label("▶").click();
    h.run_steps(10);
    let played = h.state().session.now();
    assert!(h.state().session.playing);
    assert!(
        played > first + secs(1.0),
        "playing at 1x for 10 frames of 50 ms moves the clock"
    );
    h.key_press(Key::Space);
    h.run_steps(3);
    assert!(!h.state().session.playing, "Space pauses");
    let paused = h.state().session.now();
    h.run_steps(5);
    assert_eq!(
        h.state().session.now(),
        paused,
        "paused: the clock stands still"
    );
    assert!(
        h.state().session.sim().variants[0].metrics().delivered > 0,
        "the counters moved too"
    );
}

#[test]
fn step_back_returns_to_exactly_the_same_state() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(21.0));
    h.run_steps(2);
    let before = report(&h);
    h.get_by_label("+1 s").click();
    h.run_steps(2);
    h.key_press(Key::ArrowRight);
    h.run_steps(2);
    assert_ne!(report(&h), before);
    h.key_press(Key::ArrowLeft);
    h.run_steps(2);
    h.get_by_label("⏮").click();
    h.run_steps(2);
    assert_eq!(h.state().session.now(), secs(21.0));
    assert_eq!(report(&h), before);
}

#[test]
fn switching_to_korean_shows_hangul_labels() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    assert!(h.query_by_label("File").is_some());
    h.get_by_label("한국어").click();
    h.run_steps(2);
    assert!(h.query_by_label("File").is_none());
    h.get_by_label("파일");
    h.get_by_label("내보내기");
    h.get_by_label("비교");
    h.get_by_label("포인트 투 포인트: 모든 서버가 모든 메트릭 서버에 직접 연결");
    h.get_by_label("English").click();
    h.run_steps(2);
    h.get_by_label("File");
}

#[test]
fn a_malformed_file_shows_its_error_and_keeps_the_loaded_scenario() {
    let mut h = harness("point-to-point", Prefs::default());
    h.state_mut().session.seek(secs(3.0));
    h.run_steps(2);
    let before = report(&h);
    let bad =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed/rate-negative.toml");
    h.state_mut().load_path(&bad);
    h.run_steps(2);
    let err = h.state().load_error.clone().unwrap_or_default();
    assert!(err.contains("rate-negative.toml:5:47:"), "{err}");
    // The snippet `brokerlab check` prints: the line of the file, a caret under the value.
    assert!(err.contains("5 | publish = [ { topic"), "{err}");
    assert!(err.contains("^^^^ must be greater than 0"), "{err}");
    h.get_by_label_contains("rate-negative.toml:5:47:");
    h.get_by_label("The scenario that was loaded stays.");
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:point-to-point"
    );
    assert_eq!(
        report(&h),
        before,
        "nothing lost: same scenario, same moment"
    );
    h.get_by_label("Dismiss").click();
    h.run_steps(2);
    assert!(h.state().load_error.is_none());
}

#[test]
fn a_fault_from_a_nodes_context_menu_changes_the_counters() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(5.0));
    h.run_steps(3);
    // metric-server-2 in the Redis Pub/Sub pane (variant 0).
    let (variant, node) = {
        let app = h.state();
        let v = &app.session.sim().variants[0];
        let c = v
            .topology
            .graph
            .node_indices()
            .find(|&i| v.topology.graph[i].name == "metric-server-2");
        (
            0usize,
            u32::try_from(c.map_or(0, |i| i.index())).unwrap_or(0),
        )
    };
    let pos: Pos2 = h
        .state()
        .panes
        .node_screen_pos(variant, node)
        .unwrap_or_else(|| panic!("the pane was drawn"));
    h.hover_at(pos);
    h.run_steps(2);
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Secondary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(2);
    h.get_by_label("Take offline").click();
    h.run_steps(2);
    let lost_before = h.state().session.sim().variants[0].metrics().lost;
    h.get_by_label("+1 s").click();
    h.run_steps(2);
    let redis = h.state().session.sim().variants[0].metrics();
    let kafka = h.state().session.sim().variants[2].metrics();
    assert_eq!(lost_before, 0);
    assert!(
        redis.lost >= 90,
        "Pub/Sub loses what is published while it is away: {}",
        redis.lost
    );
    assert_eq!(kafka.lost, 0, "the log keeps it");
}

#[test]
fn main_window_snapshot_point_to_point() {
    let mut h = harness("point-to-point", Prefs::default());
    h.state_mut().session.seek(secs(25.0));
    h.run_steps(4);
    h.snapshot("main-point-to-point-25s");
}

#[test]
fn main_window_snapshot_use_cases_in_korean_light() {
    let ko = Prefs {
        lang: brokerlab::scenario::Lang::Ko,
        dark: false,
        ..Prefs::default()
    };
    let mut h = harness("use-cases", ko);
    h.state_mut().session.seek(secs(35.0));
    h.run_steps(4);
    h.snapshot("main-use-cases-35s-ko-light");
}

/// Five panes side by side in a 1600 x 900 window, as a study group's laptop shows them: each
/// graph fills its pane, no label runs into another.
#[test]
fn main_window_snapshot_use_cases_five_panes() {
    let mut h = harness_sized("use-cases", Prefs::default(), [1600.0, 900.0]);
    h.state_mut().session.seek(secs(35.0));
    h.run_steps(4);
    assert_eq!(h.state().panes.shown.len(), 5);
    h.snapshot("main-use-cases-35s-five-panes-1600x900");
}

/// The placement measures labels with an estimate of the font's widths: it must not be
/// narrower than what egui draws, or labels it keeps apart would touch on screen.
#[test]
fn label_width_estimates_are_never_narrower_than_the_apps_font() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(1);
    let font = egui::FontId::proportional(place::LABEL_FONT);
    let mut checked = 0;
    for (name, text) in brokerlab::builtin::SCENARIOS
        .iter()
        .chain(brokerlab::builtin::LESSONS)
    {
        let s = parse_scenario(name, text).unwrap_or_else(|e| panic!("{e}"));
        for v in &s.variants {
            let t = Topology::build(&s, v);
            for n in t.graph.node_weights() {
                let mut lines = label_lines(&n.label);
                lines.push(&n.label);
                for line in lines {
                    let size = h.ctx.fonts_mut(|f| {
                        f.layout_no_wrap(line.to_owned(), font.clone(), egui::Color32::WHITE)
                            .size()
                    });
                    let estimate = place::text_width(line, place::LABEL_FONT);
                    assert!(size.x <= estimate, "{line}: {} > {estimate}", size.x);
                    assert!(size.y <= place::LINE_HEIGHT, "{line}: {}", size.y);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn the_lesson_player_reveals_expectations_and_moves_between_steps() {
    let mut h = harness("kafka-replay", Prefs::default());
    h.run_steps(2);
    h.get_by_label("1. One consumer, five systems");
    assert_eq!(h.state().session.now(), 0);
    h.get_by_label("Run to 29 s ▶").click();
    h.run_steps(2);
    assert_eq!(
        h.state().session.now(),
        secs(29.0),
        "the reveal runs to the step's time"
    );
    h.get_by_label("✔ kafka-acks-all lost == 0");
    h.get_by_label("Continue ▶").click();
    h.run_steps(2);
    h.get_by_label("2. A new team wants the history");
    assert_eq!(h.state().lesson.step, 1);
    assert_eq!(
        h.state().prefs.lesson_steps.get("builtin:kafka-replay"),
        Some(&1),
        "the step is remembered"
    );
    h.get_by_label("◀ Back").click();
    h.run_steps(2);
    assert_eq!(h.state().lesson.step, 0);
    assert_eq!(h.state().session.now(), 0, "back to where step 1 starts");
    h.get_by_label("한국어").click();
    h.run_steps(2);
    h.get_by_label("1. 컨슈머 하나, 시스템 다섯");
}

#[test]
fn the_app_starts_on_lesson_one_and_lists_the_lessons() {
    let mut h = Harness::builder()
        .with_size(SIZE)
        .with_step_dt(0.05)
        .build_eframe(|cc| BrokerLabApp::with_prefs(&cc.egui_ctx, None, Prefs::default()));
    h.run_steps(2);
    assert_eq!(h.state().session.scenario().source, "builtin:lesson-1");
    assert!(!h.state().session.scenario().steps.is_empty());
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    let titles: Vec<String> = brokerlab::builtin::LESSONS
        .iter()
        .map(|(n, t)| parse_scenario(n, t).map(|s| s.title.en).unwrap_or_default())
        .collect();
    assert_eq!(titles.len(), 9);
    h.get_by_label(&titles[3]).click();
    h.run_steps(2);
    assert_eq!(h.state().session.scenario().source, "builtin:lesson-4");
}

/// A file dropped on the window, as the windowing system hands it to egui.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn dropped_study_notes_list_their_diagrams_and_the_chosen_one_becomes_the_scenario() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    let notes =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import/queue-vs-channel.md");
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(notes.clone())));
    h.run_steps(2);
    assert!(h.state().importing(), "{:?}", h.state().load_error);
    h.get_by_label("Import a Mermaid diagram");
    h.get_by_label("With an IPC channel");
    let buttons = h.get_all_by_label("Import").collect::<Vec<_>>();
    assert_eq!(buttons.len(), 2, "one Import per flowchart");
    buttons[1].click();
    h.run_steps(2);
    assert!(!h.state().importing(), "the window closes");
    assert!(h.state().load_error.is_none(), "{:?}", h.state().load_error);
    let s = h.state().session.scenario().clone();
    assert_eq!(s.source, format!("{}#2", notes.display()));
    assert_eq!(
        s.variants[0].shape().name(),
        "channel",
        "the drawing's own topology first"
    );
    assert!(s.variants.len() > 1, "the other shapes beside it");
    // Played like any scenario.
    h.get_by_label("+1 s").click();
    h.run_steps(2);
    assert_eq!(h.state().session.now(), secs(1.0));
}

#[test]
fn notes_without_a_flowchart_show_the_error_like_a_bad_file() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let notes = dir.join("app-no-diagram.md");
    std::fs::write(
        &notes,
        "# Notes\n\n```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n",
    )
    .expect("writable");
    h.state_mut().open_notes(&notes);
    h.run_steps(2);
    assert!(
        h.state().importing(),
        "the window says there is nothing to import"
    );
    h.get_by_label("No Mermaid flowchart (graph or flowchart) in this file");
    h.key_press(Key::Escape);
    // Importing anyway is an error at 1:1, and the loaded scenario stays.
    h.state_mut().import_diagram(1);
    h.run_steps(2);
    let err = h.state().load_error.clone().unwrap_or_default();
    assert!(
        err.starts_with(&format!("{}:1:1: ", notes.display())),
        "{err}"
    );
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:point-to-point"
    );
    let _ = std::fs::remove_file(&notes);
}

#[test]
fn file_menu_offers_to_import_mermaid_notes() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label("Import Mermaid…").click();
    h.run_steps(2);
    h.get_by_label("Import a Mermaid diagram from study notes (.md)");
}
