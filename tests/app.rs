//! The desktop app driven like a learner drives it (egui_kittest): buttons, keys, the language
//! switch, a bad file, a fault from a node's context menu, and image snapshots of the window
//! (rendered headless with wgpu; on Linux without a GPU that is Mesa's lavapipe).

use brokerlab::app::{BrokerLabApp, Prefs};
use brokerlab::report::Measured;
use brokerlab::scenario::{parse_scenario, secs};
use brokerlab::topology::{label_lines, place, NodeKind, Topology};
use eframe::egui::{self, Key, Pos2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

#[path = "app/sweep.rs"]
mod sweep;

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

/// Thirty-five faults at once (every consumer offline from 0 s) take 35 lanes under the
/// timeline: past a few they scroll, and the panes keep their room.
#[test]
fn many_faults_at_once_scroll_under_the_timeline_and_leave_the_panes_room() {
    let mut text = String::from(
        "duration_s = 10.0\n[[producer]]\nname = \"p\"\npublish = [ { topic = \"t\", rate_per_s = 2.0 } ]\n",
    );
    for c in 0..35 {
        text += &format!("[[consumer]]\nname = \"c{c}\"\nsubscribe = [\"t\"]\n");
        text += &format!("[[fault]]\nkind = \"consumer-offline\"\ntarget = \"c{c}\"\nat_s = 0.0\n");
    }
    text += "[[variant]]\nname = \"d\"\nshape = \"direct\"\n";
    let mut h = harness_text("many-faults.toml", &text, Prefs::default());
    h.run_steps(3);
    let high = h.state().panes.graph_size(0).map_or(0.0, |s| s.y);
    assert!(high > 150.0, "the pane's graph is {high} high");
    // The last lane is there, scrolled to.
    h.get_by_label_contains("offline c34");
}

/// A file with many mistakes at 1000 x 600: the error scrolls within a quarter of the window
/// and the panes keep most of their height.
#[test]
fn a_long_error_leaves_the_panes_room_in_a_small_window() {
    let mut h = harness_sized("point-to-point", Prefs::default(), [1000.0, 600.0]);
    h.run_steps(2);
    let before = h.state().panes.graph_size(0).map_or(0.0, |s| s.y);
    let dir = std::env::temp_dir().join(format!("brokerlab-long-error-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("many-mistakes.toml");
    let mut text = String::from("duration_s = 10.0\n");
    for i in 0..30 {
        text += &format!(
            "[[producer]]\nname = \"p{i}\"\npublish = [ {{ topic = \"t\", rate_per_s = -1.0 }} ]\n"
        );
    }
    text += "[[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n[[variant]]\nname = \"d\"\nshape = \"direct\"\n";
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    h.state_mut().load_path(&path);
    h.run_steps(3);
    let err = h.state().load_error.clone().unwrap_or_default();
    assert!(err.lines().count() > 40, "{err}");
    let after = h.state().panes.graph_size(0).map_or(0.0, |s| s.y);
    assert!(
        after > 0.6 * before,
        "the panes are {after} high with the error, {before} without"
    );
    let _ = std::fs::remove_dir_all(&dir);
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
    open_context_menu(&mut h, 0, "metric-server-2");
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

/// Where the first node of variant `variant` that `pick` (its name, its kind) takes is drawn.
fn node_pos(
    h: &Harness<'_, BrokerLabApp>,
    variant: usize,
    pick: impl Fn(&str, NodeKind) -> bool,
) -> Pos2 {
    let g = &h.state().session.sim().variants[variant].topology.graph;
    let i = g
        .node_indices()
        .find(|&i| pick(&g[i].name, g[i].kind))
        .unwrap_or_else(|| panic!("no such node"));
    let node = u32::try_from(i.index()).unwrap_or(0);
    h.state()
        .panes
        .node_screen_pos(variant, node)
        .unwrap_or_else(|| panic!("the pane was drawn"))
}

/// Hover the point, then press and release `button` there.
fn press_node(h: &mut Harness<'_, BrokerLabApp>, pos: Pos2, button: egui::PointerButton) {
    h.hover_at(pos);
    h.run_steps(2);
    press_at(h, pos, button);
    h.run_steps(2);
}

/// Right-click the node named `name` in variant `variant`'s pane: its context menu opens.
fn open_context_menu(h: &mut Harness<'_, BrokerLabApp>, variant: usize, name: &str) {
    let pos = node_pos(h, variant, |n, _| n == name);
    press_node(h, pos, egui::PointerButton::Secondary);
}

#[test]
fn a_consumer_the_file_cannot_take_is_refused_in_the_status_bar() {
    // 150 M deliveries to one group: one group more passes the 250 M limit.
    let text = "duration_s = 10000.0\n[[producer]]\nname = \"p\"\n\
        publish = [ { topic = \"t\", rate_per_s = 15000.0 } ]\n\
        [[consumer]]\nname = \"c\"\nsubscribe = [\"t\"]\n\
        [[variant]]\nname = \"d\"\nshape = \"direct\"\n";
    let s = parse_scenario("busy.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let mut h = Harness::builder()
        .with_size(SIZE)
        .with_step_dt(0.05)
        .build_eframe(move |cc| {
            BrokerLabApp::with_prefs(&cc.egui_ctx, Some((s, None)), Prefs::default())
        });
    h.run_steps(3);
    open_context_menu(&mut h, 0, "c");
    h.get_by_label("Add a consumer of… ⏵").click();
    h.run_steps(2);
    h.get_by_label("t").click();
    settle(&mut h);
    assert!(!h.state().unsaved(), "nothing changed");
    let told = h.query_by_label_contains("deliveries");
    assert!(told.is_some(), "the refusal is told where it can be seen");
}

/// The nodes of every variant's graph.
fn node_counts(h: &Harness<'_, BrokerLabApp>) -> Vec<usize> {
    let sim = h.state().session.sim();
    sim.variants
        .iter()
        .map(|v| v.topology.graph.node_count())
        .collect()
}

#[test]
fn a_consumer_added_from_a_context_menu_is_an_edit_saved_and_undone() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(5.0));
    h.run_steps(3);
    let before = node_counts(&h);
    open_context_menu(&mut h, 0, "metric-server-2");
    h.get_by_label("Add a consumer of… ⏵").click();
    h.run_steps(2);
    h.get_by_label("logs").click();
    settle(&mut h);
    let added = node_counts(&h);
    assert!(
        added.iter().zip(&before).all(|(a, b)| a > b),
        "a node more in every graph: {before:?} -> {added:?}"
    );
    assert_eq!(h.state().session.now(), secs(5.0));
    assert!(
        h.state().unsaved(),
        "an edit: asked about before it is lost"
    );
    let text = h.state().session.scenario().text.clone();
    assert!(
        text.contains("kind = \"add-consumer\"\nat_s = 5.0\n"),
        "{text}"
    );
    // Saved and read back (this panicked when the consumer lived only in the simulation).
    let dir = std::env::temp_dir().join(format!("brokerlab-join-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("outage-joined.toml");
    h.state_mut().save_to(&path);
    h.run_steps(3);
    assert_eq!(node_counts(&h), added);
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(saved.contains("name = \"consumer-1\""), "{saved}");
    let _ = std::fs::remove_dir_all(&dir);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(node_counts(&h), before, "undone");
}

/// Press and release `button` at `pos`.
fn press_at(h: &mut Harness<'_, BrokerLabApp>, pos: Pos2, button: egui::PointerButton) {
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
}

/// Click the first node of `kind` of variant `variant` (shown in a pane first).
fn click_node(h: &mut Harness<'_, BrokerLabApp>, variant: usize, kind: NodeKind) {
    h.state_mut().panes.show(vec![variant]);
    h.run_steps(3);
    let pos = node_pos(h, variant, |_, k| k == kind);
    press_node(h, pos, egui::PointerButton::Primary);
    h.run_steps(1);
}

#[test]
fn the_inspector_shows_a_share_groups_offsets_and_a_streams_readers() {
    let mut h = harness("modern-queues", Prefs::default());
    h.state_mut().session.seek(secs(20.0));
    h.run_steps(3);
    let variant = |h: &Harness<'_, BrokerLabApp>, name: &str| {
        h.state()
            .session
            .sim()
            .variants
            .iter()
            .position(|v| v.name() == name)
            .unwrap_or_else(|| panic!("no variant {name}"))
    };
    let share = variant(&h, "kafka-share");
    click_node(&mut h, share, NodeKind::Log);
    h.get_by_label("SPSO");
    h.get_by_label("Simulated from KIP-932, not checked against a broker");
    let stream = variant(&h, "stream");
    click_node(&mut h, stream, NodeKind::Log);
    h.get_by_label("credit");
    h.get_by_label("next offset");
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

/// The channel's capacity in the scenario the session runs now.
fn capacity(h: &Harness<'_, BrokerLabApp>) -> Option<toml::Value> {
    brokerlab::sim::params::get(
        h.state().session.scenario(),
        "variant.ipc-channel.channel.capacity",
    )
    .ok()
    .flatten()
}

#[test]
fn a_steps_checks_are_measured_again_after_a_knob_changes_the_run() {
    let mut h = lesson_3_at(5);
    h.run_steps(2);
    settle(&mut h);
    h.get_by_label(
        "The senders stop blocking; the events wait in the channel instead, just as late",
    )
    .click();
    h.run_steps(1);
    h.get_by_label("Run to 50 s ▶").click();
    h.run_steps(3);
    h.get_by_label("✔ ipc-channel stored_bytes_peak > 100000");
    // The lesson's own capacity again: the channel holds a hundredth, the check turns false.
    let set = |h: &mut Harness<'_, BrokerLabApp>, v: i64| {
        request_knob(
            h,
            "variant.ipc-channel.channel.capacity",
            toml::Value::Integer(v),
        );
        settle(h);
        h.run_steps(2);
    };
    set(&mut h, 100);
    assert_eq!(h.state().session.now(), secs(50.0));
    assert!(h
        .query_by_label("✔ ipc-channel stored_bytes_peak > 100000")
        .is_none());
    h.get_by_label("✘ ipc-channel stored_bytes_peak > 100000");
    // Away from the step's time, a change takes the checks back: the step is run again.
    h.state_mut().session.seek(secs(40.0));
    set(&mut h, 10_000);
    assert!(h
        .query_by_label_contains("ipc-channel stored_bytes_peak > 100000")
        .is_none());
    h.get_by_label("Run to 50 s ▶").click();
    h.run_steps(3);
    h.get_by_label("✔ ipc-channel stored_bytes_peak > 100000");
}

#[test]
fn a_lesson_step_that_sets_knobs_runs_with_them_and_the_next_step_without() {
    let mut h = lesson_3_at(5);
    h.run_steps(2);
    h.get_by_label("6. A bigger channel?");
    h.get_by_label("This step runs the scenario with:");
    h.get_by_label("  variant.ipc-channel.channel.capacity = 10000");
    settle(&mut h);
    assert_eq!(capacity(&h), Some(toml::Value::Integer(10_000)));
    assert_eq!(h.state().session.now(), secs(50.0), "at the step's start");
    // Changed from the file: the knobs mark it (on the folded variant too), the plots draw the
    // file's run dashed beside.
    assert!(h.state().explore.changed(&h.state().session));
    assert!(h.state().explore.baseline().is_some());
    assert!(
        !h.state().unsaved(),
        "the step's knobs are the lesson's: nothing to save"
    );
    assert!(h.state_mut().may_close());
    knobs_tab(&mut h);
    // The variant's folded header and the "re-simulated" status each show a dot.
    let marks = h.query_all_by_label("●").count();
    assert_eq!(marks, 2);
    h.get_by_label(
        "The senders stop blocking; the events wait in the channel instead, just as late",
    )
    .click();
    h.run_steps(1);
    h.get_by_label("Run to 50 s ▶").click();
    h.run_steps(2);
    h.get_by_label("Right.");
    h.get_by_label("✔ ipc-channel stored_bytes_peak > 100000");
    // The next step runs the file again; undo is the knob change like any other.
    h.get_by_label("Continue ▶").click();
    h.run_steps(1);
    settle(&mut h);
    assert_eq!(capacity(&h), Some(toml::Value::Integer(100)));
    assert!(!h.state().explore.changed(&h.state().session));
    assert_eq!(h.query_all_by_label("●").count(), 0, "both gone");
    assert!(h.state().explore.can_undo());
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
    // Named by its notes' file, not their folders: in the title, and for Save As.
    assert_eq!(
        h.state().window_title(),
        "queue-vs-channel.md#2 — brokerlab"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run_steps(2);
    let typed: Vec<String> = h
        .query_all(egui_kittest::kittest::by().role(egui::accesskit::Role::TextInput))
        .filter_map(|n| n.value())
        .collect();
    assert!(
        typed
            .iter()
            .any(|t| t.ends_with("/queue-vs-channel-2.toml")),
        "{typed:?}"
    );
    h.key_press(Key::Escape);
    h.run_steps(2);
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
    // Importing anyway is an error at 1:1, and the loaded scenario stays, the list too.
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
    assert!(h.state().importing());
    // Escape closes the window.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().importing());
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

#[test]
fn a_step_whose_knobs_would_replace_the_learners_changes_asks_first() {
    let mut h = lesson_3_at(6);
    h.run_steps(2);
    h.get_by_label("7. What the queue bought");
    knobs_tab(&mut h);
    drag_knob(&mut h, "latency_ms", 0.8);
    h.run_steps(1);
    settle(&mut h);
    assert!(h.state().unsaved());
    let mine = h.state().session.scenario().text.clone();
    let question = "Replace your changes?";
    // Step 6 sets the channel's capacity on the file's version: the app asks first.
    h.get_by_label("◀ Back").click();
    h.run_steps(2);
    h.get_by_label(question);
    h.get_by_label("6. A bigger channel?");
    assert_eq!(h.state().lesson.step, 6, "not moved before the answer");
    h.get_by_label("Stay on this step").click();
    h.run_steps(2);
    settle(&mut h);
    assert!(h.query_by_label(question).is_none());
    assert_eq!(h.state().lesson.step, 6);
    assert_eq!(
        *h.state().session.scenario().text,
        *mine,
        "kept byte for byte"
    );
    // Escape stays too.
    h.get_by_label("◀ Back").click();
    h.run_steps(2);
    h.get_by_label(question);
    h.key_press(Key::Escape);
    h.run_steps(2);
    settle(&mut h);
    assert!(h.query_by_label(question).is_none());
    assert_eq!(h.state().lesson.step, 6);
    assert_eq!(*h.state().session.scenario().text, *mine);
    // Go: the step's knobs on the file's version; undo brings the learner's version back.
    h.get_by_label("◀ Back").click();
    h.run_steps(2);
    h.get_by_label("Go to step 6 ▶").click();
    h.run_steps(1);
    settle(&mut h);
    assert!(h.query_by_label(question).is_none());
    assert_eq!(h.state().lesson.step, 5);
    assert_eq!(
        h.state().prefs.lesson_steps.get("builtin:lesson-3"),
        Some(&5),
        "the step is remembered"
    );
    assert_eq!(capacity(&h), Some(toml::Value::Integer(10_000)));
    assert!(!h.state().unsaved(), "the step's knobs are the lesson's");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.run_steps(1);
    settle(&mut h);
    assert_eq!(
        *h.state().session.scenario().text,
        *mine,
        "undo brings them back"
    );
}

#[test]
fn a_lesson_file_read_again_resumes_at_a_step_it_still_has() {
    let dir = std::env::temp_dir().join(format!("brokerlab-app-steps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("lesson.toml");
    let text =
        std::fs::read_to_string("scenarios/lessons/03-queue-in-the-middle.toml").expect("lesson 3");
    std::fs::write(&path, &text).expect("write");
    let mut prefs = Prefs::default();
    prefs
        .lesson_steps
        .insert(path.to_string_lossy().into_owned(), 6);
    let mut h = harness("consumer-outage", prefs);
    h.state_mut().load_path(&path);
    h.run_steps(2);
    h.get_by_label("7. What the queue bought");
    // The file, changed on disk, keeps its first two steps only.
    let third = text
        .match_indices("[[step]]")
        .nth(2)
        .expect("a third step")
        .0;
    std::fs::write(&path, &text[..third]).expect("write");
    h.state_mut().load_path(&path);
    h.run_steps(2);
    h.get_by_label("2. Who gets each message?");
    assert_eq!(h.state().lesson.step, 1, "its last step");
    assert_eq!(h.state().session.now(), secs(5.0), "where step 2 starts");
    // Read again as it was: the step remembered, with its knobs on the scenario read.
    std::fs::write(&path, &text).expect("write");
    h.state_mut()
        .prefs
        .lesson_steps
        .insert(path.to_string_lossy().into_owned(), 5);
    h.state_mut().load_path(&path);
    h.run_steps(2);
    settle(&mut h);
    h.get_by_label("6. A bigger channel?");
    assert_eq!(capacity(&h), Some(toml::Value::Integer(10_000)));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_lesson_saved_as_a_file_goes_on_at_the_same_step() {
    let dir = std::env::temp_dir().join(format!("brokerlab-app-saved-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("my-lesson.toml");
    let mut h = lesson_3_at(5);
    h.run_steps(2);
    settle(&mut h);
    h.get_by_label("6. A bigger channel?");
    let at = h.state().session.now();
    h.state_mut().save_to(&path);
    h.run_steps(2);
    settle(&mut h);
    h.get_by_label("6. A bigger channel?");
    assert_eq!(h.state().lesson.step, 5);
    assert_eq!(h.state().session.now(), at, "the clock stays");
    assert_eq!(
        h.state()
            .prefs
            .lesson_steps
            .get(&path.to_string_lossy().into_owned()),
        Some(&5),
        "remembered for the saved file"
    );
    assert_eq!(capacity(&h), Some(toml::Value::Integer(10_000)));
    // The step's knob is the lesson's, not the file's: the file keeps the lesson's value, so the
    // next step (and the saved lesson opened again) runs without it.
    let saved_capacity = |path: &std::path::Path| {
        let text = std::fs::read_to_string(path).expect("saved");
        let s = parse_scenario("saved", &text).expect("a valid scenario");
        brokerlab::sim::params::get(&s, "variant.ipc-channel.channel.capacity")
            .ok()
            .flatten()
    };
    assert_eq!(saved_capacity(&path), Some(toml::Value::Integer(100)));
    assert!(
        !h.state().unsaved(),
        "what runs is the step's: nothing to save"
    );
    let go = |h: &mut Harness<'_, BrokerLabApp>, step: usize| {
        let app = h.state_mut();
        app.lesson.go(
            step,
            &mut app.session,
            &mut app.panes,
            &mut app.prefs.lesson_steps,
        );
        h.run_steps(2);
        settle(h);
    };
    go(&mut h, 6);
    assert_eq!(capacity(&h), Some(toml::Value::Integer(100)), "step 7");
    // A change of the learner's on top of a step's knobs is saved, the step's knobs are not.
    go(&mut h, 5);
    assert_eq!(capacity(&h), Some(toml::Value::Integer(10_000)));
    request_knob(&mut h, "latency_ms", toml::Value::Float(2.5));
    settle(&mut h);
    assert!(h.state().unsaved());
    h.state_mut().save_to(&path);
    h.run_steps(2);
    settle(&mut h);
    assert!(!h.state().unsaved());
    assert_eq!(saved_capacity(&path), Some(toml::Value::Integer(100)));
    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(text.contains("latency_ms = 2.5"), "{text}");
    assert_eq!(
        capacity(&h),
        Some(toml::Value::Integer(10_000)),
        "the step runs on"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Open the knobs panel (the tab beside the inspector).
/// Lesson 3 opened at step `step` (from 0), as the stored preferences remember it.
fn lesson_3_at(step: usize) -> Harness<'static, BrokerLabApp> {
    let mut prefs = Prefs::default();
    prefs.lesson_steps.insert("builtin:lesson-3".into(), step);
    harness("lesson-3", prefs)
}

fn knobs_tab(h: &mut Harness<'_, BrokerLabApp>) {
    h.get_by_label("Knobs").click();
    h.run_steps(2);
}

/// Drag the knob `path` from `at` (0 to 1 along its rail) a little to the right and let go; the change runs two
/// frames later (one shows "simulating…").
fn drag_knob(h: &mut Harness<'_, BrokerLabApp>, path: &str, at: f32) {
    let r = h
        .get_by_role_and_label(egui::accesskit::Role::Slider, path)
        .rect();
    // The node spans the rail (110 points, the panel's slider width) and the value after it.
    let from = egui::pos2(r.left() + 110.0 * at, r.center().y);
    let to = from + egui::vec2(12.0, 0.0);
    h.hover_at(from);
    h.run_steps(1);
    h.drag_at(from);
    h.run_steps(1);
    h.hover_at(to);
    h.run_steps(1);
    h.drop_at(to);
    h.run_steps(1);
}

/// Ask for the knob `path` set to `v`, as the knobs panel does (it runs two frames later).
fn request_knob(h: &mut Harness<'_, BrokerLabApp>, path: &str, v: toml::Value) {
    h.state_mut()
        .explore
        .request(brokerlab::app::explore::Change::Set(vec![(path.into(), v)]));
}

/// Frames enough for a change asked for to run and show.
fn settle(h: &mut Harness<'_, BrokerLabApp>) {
    h.run_steps(4);
    assert!(!h.state().explore.busy(), "the change has run");
}

#[test]
fn changes_not_saved_are_asked_about_before_another_scenario_or_closing() {
    let mut h = harness("consumer-outage", Prefs::default());
    knobs_tab(&mut h);
    assert!(
        h.state_mut().may_close(),
        "nothing changed: it closes at once"
    );
    drag_knob(&mut h, "latency_ms", 0.8);
    h.run_steps(1);
    settle(&mut h);
    assert!(h.state().unsaved());
    assert_eq!(
        h.state().window_title(),
        "● builtin:consumer-outage — brokerlab"
    );
    let changed = report(&h);
    // Another scenario: asked first; Cancel keeps the changed one as it was.
    h.state_mut().load_builtin("point-to-point");
    h.run_steps(2);
    assert!(h.state().asking());
    h.get_by_label("Save the changes?");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(!h.state().asking());
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:consumer-outage"
    );
    assert_eq!(report(&h), changed);
    // Don't save: the other one comes.
    h.state_mut().load_builtin("point-to-point");
    h.run_steps(2);
    h.get_by_label("Don't save").click();
    h.run_steps(2);
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:point-to-point"
    );
    assert!(!h.state().unsaved() && !h.state().asking());

    // A scenario from a file, changed, then the window asked to close: Save writes the change
    // to the file, then it closes.
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("unsaved.toml");
    let text = brokerlab::builtin::get("point-to-point").expect("built in");
    std::fs::write(&path, text).expect("the temporary folder is writable");
    h.state_mut().load_path(&path);
    h.run_steps(2);
    drag_knob(&mut h, "latency_ms", 0.8);
    h.run_steps(1);
    settle(&mut h);
    let latency = |t: &str| t.parse::<toml::Table>().expect("TOML")["latency_ms"].clone();
    let before = latency(text);
    // Enter answers nothing (a button has to be chosen): it must not save by itself.
    assert!(!h.state_mut().may_close(), "asked first");
    h.state_mut().show_knobs(false);
    h.run_steps(2);
    h.get_by_label("Save the changes?");
    h.key_press(Key::Enter);
    h.run_steps(2);
    assert!(h.state().asking() && h.state().unsaved());
    assert_eq!(std::fs::read_to_string(&path).expect("the file"), text);
    h.get_by_label("Save").click();
    h.run_steps(3);
    let saved = std::fs::read_to_string(&path).expect("saved");
    assert_ne!(latency(&saved), before, "the knob's value is in the file");
    assert!(!h.state().unsaved() && !h.state().asking());
    assert_eq!(h.state().window_title(), "unsaved.toml — brokerlab");
    assert!(h.state_mut().may_close(), "saved: it closes");

    // The file read again (it changed on disk, or Reload) while a change is not saved: Save
    // keeps the change, in the file and in the window (not the version read before it);
    // Don't save shows the file as it is.
    h.state_mut().show_knobs(true);
    h.run_steps(2);
    drag_knob(&mut h, "latency_ms", 0.5);
    h.run_steps(1);
    settle(&mut h);
    let mine = h.state().session.scenario().text.clone();
    h.state_mut().load_path(&path);
    h.state_mut().show_knobs(false);
    h.run_steps(2);
    h.get_by_label_contains("The file changed on disk.");
    h.get_by_label("Save").click();
    h.run_steps(3);
    assert_eq!(std::fs::read_to_string(&path).expect("saved"), *mine);
    assert_eq!(h.state().session.scenario().text, mine);
    assert!(!h.state().unsaved() && !h.state().asking());
    assert!(h.state().explore.can_undo(), "the undo history stays");
    std::fs::write(&path, text).expect("the temporary folder is writable");
    h.state_mut().show_knobs(true);
    h.run_steps(2);
    drag_knob(&mut h, "latency_ms", 0.5);
    h.run_steps(1);
    settle(&mut h);
    h.state_mut().load_path(&path);
    h.run_steps(2);
    h.get_by_label("Don't save").click();
    h.run_steps(2);
    assert_eq!(*h.state().session.scenario().text, *text);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_name_typed_and_not_applied_is_asked_about_before_closing() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.run_steps(2);
    knobs_tab(&mut h);
    assert!(!h.state().unsaved());
    h.get_by_label("rename web-1").click();
    h.run_steps(2);
    h.event(egui::Event::Text("-east".into()));
    h.run_steps(2);
    assert!(h.state().unsaved(), "typed, not applied: it would be lost");
    assert!(!h.state_mut().may_close(), "a close asks first");
    h.run_steps(6);
    assert!(h.state().asking(), "and waits for the answer");
    assert!(h.state().unsaved());
    // Escape answers Cancel: back to the name as typed.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().asking());
    assert!(h.state().unsaved(), "the name typed is still there");
}

#[test]
fn the_file_menu_opens_the_last_file() {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("last.toml");
    let text = brokerlab::builtin::get("consumer-outage").expect("built in");
    std::fs::write(&path, text).expect("the temporary folder is writable");
    let prefs = Prefs {
        last_file: Some(path.clone()),
        ..Prefs::default()
    };
    let mut h = harness("point-to-point", prefs);
    h.run_steps(2);
    h.get_by_label("File").click();
    h.run_steps(2);
    h.get_by_label_contains("Open the last file:").click();
    h.run_steps(2);
    assert_eq!(h.state().session.path.as_deref(), Some(path.as_path()));
    // It is the file open now: the menu no longer offers it.
    h.get_by_label("File").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Open the last file:").is_none());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_knob_changes_the_table_and_undo_restores_it_byte_for_byte() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(25.0));
    h.run_steps(2);
    knobs_tab(&mut h);
    let file = report(&h);
    drag_knob(&mut h, "latency_ms", 0.8);
    // Released: a frame shows "simulating…" (the release's own, when egui takes a second
    // pass over it, else the next), the one after runs the change.
    if h.query_by_label("simulating…").is_none() {
        h.run_steps(1);
    }
    assert!(h.state().explore.busy());
    h.get_by_label("simulating…");
    settle(&mut h);
    let changed = report(&h);
    assert_ne!(changed, file, "a longer hop changes the numbers");
    assert_eq!(h.state().session.now(), secs(25.0), "at the same time");
    h.get_by_label("● latency_ms");
    assert!(
        h.query_all_by_label_contains("(was ").next().is_some(),
        "the table shows the file's values beside"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    settle(&mut h);
    assert_eq!(report(&h), file, "undo: byte for byte");
    assert!(h.query_by_label("● latency_ms").is_none());
    assert!(h.query_all_by_label_contains("(was ").next().is_none());
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Y);
    settle(&mut h);
    assert_eq!(report(&h), changed, "redo: the change again");
    h.key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, Key::Z);
    settle(&mut h);
    assert_eq!(report(&h), changed, "nothing left to redo");
    h.get_by_label("Undo").click();
    settle(&mut h);
    assert_eq!(report(&h), file);
}

#[test]
fn an_edit_saved_reloads_to_the_same_results_with_the_files_comments() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(12.0));
    h.run_steps(2);
    knobs_tab(&mut h);
    let before = h.state().session.scenario().consumers.len();
    h.get_by_label("+ consumer").click();
    settle(&mut h);
    assert_eq!(h.state().session.scenario().consumers.len(), before + 1);
    h.get_by_label("remove web-2").click();
    settle(&mut h);
    assert_eq!(h.state().session.scenario().producers.len(), 1);
    // A built-in scenario is saved as a new file: Ctrl+S opens the dialog.
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run_steps(2);
    h.get_by_label("Save the scenario as");
    assert!(!h.state().sweep.open, "Ctrl+S is not S (the sweep)");
    // Ctrl+S again from the dialog's name field: the dialog keeps the name typed there (it
    // started again, with its suggestion).
    let name_field = || {
        egui_kittest::kittest::by()
            .role(egui::accesskit::Role::TextInput)
            .predicate(|n| n.value().is_some_and(|v| v.ends_with(".toml")))
    };
    h.get(name_field()).click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.event(egui::Event::Text("/nowhere/mine.toml".into()));
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run_steps(2);
    assert_eq!(
        h.get(name_field()).value().as_deref(),
        Some("/nowhere/mine.toml")
    );
    h.key_press(Key::Escape);
    let dir = std::env::temp_dir().join(format!("brokerlab-save-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("outage-edited.toml");
    h.state_mut().save_to(&path);
    h.run_steps(2);
    let edited = report(&h);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text.starts_with("#:schema ../assets/brokerlab.schema.json\n"),
        "{text}"
    );
    assert!(text.contains("name = \"consumer-1\""), "{text}");
    assert!(brokerlab::lesson::load(&path.to_string_lossy()).is_ok());
    assert_eq!(h.state().session.path.as_deref(), Some(path.as_path()));
    // Reloaded from disk and run to the same time: the same report.
    h.state_mut().load_path(&path);
    h.state_mut().session.seek(secs(12.0));
    h.run_steps(2);
    assert_eq!(report(&h), edited);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_edit_says_why_and_keeps_the_scenario() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(22.0));
    h.run_steps(2);
    knobs_tab(&mut h);
    let before = report(&h);
    // The fault of the file targets metric-server-1.
    h.get_by_label("remove metric-server-1").click();
    settle(&mut h);
    h.get_by_label("Not applied: the scenario stays as it was.");
    h.get_by_label_contains("metric-server-1 is the target of fault 0 (");
    h.get_by_label_contains("): remove it first");
    assert_eq!(report(&h), before, "nothing lost");
    assert!(h
        .state()
        .session
        .scenario()
        .consumers
        .iter()
        .any(|c| c.name == "metric-server-1"));
    // The fault goes first; then the consumer can.
    h.get_by_label("remove fault 0").click();
    settle(&mut h);
    h.get_by_label("remove metric-server-1").click();
    settle(&mut h);
    assert!(h
        .query_by_label("Not applied: the scenario stays as it was.")
        .is_none());
    assert_eq!(h.state().session.scenario().consumers.len(), 2);
}

/// A lesson step's lit nodes stay lit through an edit that builds the panes again, and follow
/// a rename of one of them.
#[test]
fn a_steps_highlight_stays_through_edits_and_follows_a_rename() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::{Edit, Named};
    let mut h = lesson_3_at(1);
    h.run_steps(3);
    settle(&mut h);
    let lit = |h: &Harness<'_, BrokerLabApp>| h.state().panes.highlighted().to_vec();
    assert_eq!(lit(&h), ["dashboard", "archiver"], "step 2 lights them");
    let rename = |what, from: &str, to: &str| {
        Change::Edit(Edit::Rename {
            what,
            from: from.into(),
            to: to.into(),
        })
    };
    h.state_mut()
        .explore
        .request(rename(Named::Producer, "web-3", "web-z"));
    settle(&mut h);
    assert_eq!(h.state().explore.error, None);
    assert_eq!(lit(&h), ["dashboard", "archiver"], "an edit elsewhere");
    h.state_mut()
        .explore
        .request(rename(Named::Consumer, "dashboard", "board"));
    settle(&mut h);
    assert_eq!(lit(&h), ["board", "archiver"], "the renamed node");
}

/// A knob the file's rules take but the lesson's sweep cannot (its runs would go over their
/// limit) is refused with check's message, as an edit is: taken, it could not be saved, nor
/// undone to, and the step's sweep never ran.
#[test]
fn a_knob_the_lessons_sweep_cannot_take_is_refused_with_checks_message() {
    use brokerlab::app::explore::Change;
    let mut h = harness("lesson-3", Prefs::default());
    h.run_steps(3);
    settle(&mut h);
    let before = h.state().session.scenario().text.clone();
    let long = vec![("duration_s".to_owned(), toml::Value::Float(900_000.0))];
    h.state_mut().explore.request(Change::Set(long));
    settle(&mut h);
    let err = h.state().explore.error.clone().unwrap_or_default();
    assert!(
        err.contains("sweep") && err.contains("the limit is"),
        "{err}"
    );
    assert_eq!(
        h.state().session.scenario().text,
        before,
        "the scenario stays"
    );
    assert!(!h.state().explore.can_undo(), "nothing to undo");
}

/// Two faults removed before the first removal has run: the second meant the fault it was
/// shown on, not the one that moved into its place.
#[test]
fn faults_removed_one_after_another_are_the_ones_clicked() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::{self, Edit};
    let mut h = harness("use-cases", Prefs::default());
    knobs_tab(&mut h);
    let kind = brokerlab::scenario::FaultKind::ConsumerOffline;
    let add = Edit::AddFault { kind, target: None };
    h.state_mut().explore.request(Change::Edit(add));
    settle(&mut h);
    let kinds = |h: &Harness<'_, BrokerLabApp>| {
        let faults = params::faults(h.state().session.scenario());
        faults.into_iter().map(|f| f.kind).collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&h),
        ["consumer-crash", "add-consumer", "consumer-offline"]
    );
    // Asked for on the faults as shown: the second waits while the first runs.
    for index in [0, 1] {
        let remove = Change::Edit(Edit::RemoveFault(index));
        h.state_mut().explore.request(remove);
    }
    settle(&mut h);
    assert_eq!(
        kinds(&h),
        ["consumer-offline"],
        "the crash and the added consumer went"
    );
}

#[test]
fn explore_snapshot_a_changed_knob_with_the_files_values_beside() {
    use brokerlab::app::explore::Change;
    let mut h = harness("use-cases", Prefs::default());
    h.state_mut().session.seek(secs(35.0));
    h.run_steps(2);
    knobs_tab(&mut h);
    let slower = vec![("latency_ms".to_owned(), toml::Value::Float(5.0))];
    h.state_mut().explore.request(Change::Set(slower));
    settle(&mut h);
    h.get_by_label("● latency_ms");
    // How long it took differs from run to run.
    let took = h.get_by_label_contains("re-simulated from 0 s in").rect();
    h.mask(egui::Rect::from_min_size(
        took.min,
        egui::vec2(300.0, took.height()),
    ));
    h.snapshot("explore-use-cases-35s-latency-5ms");
}

/// Frames until the followed message's trace is computed (it runs on a thread).
fn until_traced(h: &mut Harness<'_, BrokerLabApp>) {
    for _ in 0..1200 {
        h.run_steps(1);
        if h.state().follow.trace().is_some() {
            h.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the trace was not computed in time");
}

#[test]
fn clicking_a_dot_follows_its_message_in_every_variant() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(25.0));
    h.run_steps(3);
    // The first dot clear of every node: a node under the pointer takes the click.
    let first_dot = |h: &Harness<'_, BrokerLabApp>| {
        let panes = &h.state().panes;
        let nodes = h.state().session.sim().variants[0]
            .topology
            .graph
            .node_count();
        let clear = |p: egui::Pos2| {
            (0..nodes)
                .filter_map(|n| panes.node_screen_pos(0, u32::try_from(n).unwrap_or(0)))
                .map(|q| (q - p).length())
                .fold(f32::INFINITY, f32::min)
        };
        panes
            .dots_drawn(0)
            .iter()
            .copied()
            .find(|d| clear(d.0) > 16.0)
            .unwrap_or_else(|| panic!("the Pub/Sub pane draws messages at 25 s"))
    };
    // The pointer over a pane makes it interactive, which may place the graph anew: aim again.
    h.hover_at(first_dot(&h).0);
    h.run_steps(2);
    let (pos, m) = first_dot(&h);
    h.hover_at(pos);
    h.run_steps(1);
    assert_eq!(first_dot(&h), (pos, m), "the dots stand still while paused");
    let near: Vec<u32> = h
        .state()
        .panes
        .dots_drawn(0)
        .iter()
        .filter(|(p, _)| (*p - pos).length() < 6.0)
        .map(|(_, m)| m.0)
        .collect();
    h.get_by_label_contains("click to follow it");
    press_at(&mut h, pos, egui::PointerButton::Primary);
    until_traced(&mut h);
    let t = h
        .state()
        .follow
        .trace()
        .cloned()
        .unwrap_or_else(|| panic!("traced"));
    assert!(
        near.contains(&t.message.id),
        "a message under the pointer: {near:?}"
    );
    assert_eq!(t.variants.len(), 3);
    for v in &t.variants {
        assert!(v.events.len() >= 3, "{}: {:?}", v.name, v.events);
        assert_eq!(v.events[0].what, "produced");
    }
    h.get_by_label_contains(&format!("Message #{}: ", t.message.id));
    // N steps the playhead to the message's next event (from just before it was made: a dot
    // drawn at 25 s may be a message already processed, fading out).
    h.state_mut().session.seek(t.message.created - 1);
    h.run_steps(2);
    let before = h.state().session.now();
    h.key_press(Key::N);
    h.run_steps(2);
    let next = t.next_after(before, &[0, 1, 2]);
    assert_eq!(next, Some(t.message.created));
    assert_eq!(Some(h.state().session.now()), next);
    h.key_press(Key::N);
    h.run_steps(2);
    assert!(
        h.state().session.now() > t.message.created,
        "and on to the one after"
    );
}

/// At 25 s, pick a message Pub/Sub lost lately in the inspector, until its trace is in.
fn follow_a_pubsub_loss(h: &mut Harness<'_, BrokerLabApp>) {
    h.state_mut().session.seek(secs(25.0));
    h.run_steps(3);
    h.get_by_label("Lost lately");
    let lost = h.get_all_by_label_contains(" · redis-pubsub · ").next();
    lost.unwrap_or_else(|| panic!("Pub/Sub lost messages lately"))
        .click();
    until_traced(h);
}

#[test]
fn a_lost_message_followed_in_a_window_too_short_for_its_panes_draws_without_a_panic() {
    // 600 points high (the window's least): the trace panel leaves the panes no room.
    let mut h = harness_sized("consumer-outage", Prefs::default(), [1000.0, 600.0]);
    follow_a_pubsub_loss(&mut h);
    h.run_steps(3);
    assert!(h.state().follow.trace().is_some());
    // The counters give up room so that the panes still draw their graphs (the path lit).
    for v in 0..3 {
        let size = h.state().panes.graph_size(v).unwrap_or_default();
        assert!(size.y > 100.0, "pane {v}'s graph is {} points high", size.y);
    }
}

#[test]
fn picking_a_lost_message_in_the_inspector_follows_it_to_where_it_died() {
    let mut h = harness("consumer-outage", Prefs::default());
    follow_a_pubsub_loss(&mut h);
    let t = h
        .state()
        .follow
        .trace()
        .cloned()
        .unwrap_or_else(|| panic!("traced"));
    let pubsub = &t.variants[0];
    assert_eq!(pubsub.name, "redis-pubsub");
    let died = pubsub
        .losses()
        .next()
        .unwrap_or_else(|| panic!("{pubsub:?}"));
    assert_eq!(died.detail.as_deref(), Some("subscriber-offline"));
    assert!(t.variants.iter().all(|v| !v.events.is_empty()));
    // Shift+N steps back to its previous event.
    let now = h.state().session.now();
    h.key_press_modifiers(egui::Modifiers::SHIFT, Key::N);
    h.run_steps(2);
    assert_eq!(
        Some(h.state().session.now()),
        t.previous_before(now, &[0, 1, 2])
    );
    // With one pane on show, N stops only at that lane's events (it stopped where nothing on
    // the screen happened).
    let last = h.state().session.sim().variants.len() - 1;
    h.state_mut().panes.show(vec![last]);
    h.run_steps(2);
    let shown = h.state().session.sim().variants[last].index;
    let lane = t
        .variants
        .iter()
        .find(|v| v.variant == shown)
        .unwrap_or_else(|| panic!("{t:?}"));
    let times: Vec<_> = lane.events.iter().map(|e| e.time).collect();
    h.state_mut().session.seek(t.message.created);
    h.run_steps(2);
    for _ in 0..6 {
        h.key_press(Key::N);
        h.run_steps(2);
        let now = h.state().session.now();
        assert!(
            times.contains(&now),
            "{now} is no event of {}: {times:?}",
            lane.name
        );
    }
}

/// A message logs sent at 22.15 s of use-cases, while log-indexer is down (20 s to 25 s):
/// point to point, the channel and Pub/Sub lose it, RabbitMQ's queue and Kafka's log keep it.
#[test]
fn main_window_snapshot_use_cases_five_panes_following_a_message() {
    let mut h = harness_sized("use-cases", Prefs::default(), [1600.0, 900.0]);
    h.state_mut().session.seek(secs(24.0));
    h.run_steps(2);
    let ctx = h.ctx.clone();
    let app = h.state_mut();
    app.follow
        .follow(brokerlab::engine::MsgId(10100), &app.session, &ctx);
    until_traced(&mut h);
    // The trace comes from a worker thread, after as many frames as the machine takes; the
    // window settles over the frames after it (measured: settled by 30). Enough frames that
    // the picture does not depend on when it came.
    h.run_steps(40);
    let t = h
        .state()
        .follow
        .trace()
        .cloned()
        .unwrap_or_else(|| panic!("traced"));
    let lost: Vec<&str> = t
        .variants
        .iter()
        .filter(|v| v.losses().next().is_some())
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(lost, ["point-to-point", "ipc-channel", "redis-pubsub"]);
    h.snapshot("main-use-cases-24s-five-panes-following-message-10100");
}

/// Unfold a consumer's knobs in the knobs panel (the arrow before its name).
fn open_consumer(h: &mut Harness<'_, BrokerLabApp>, name: &str) {
    let row = h.get_by_label(&format!("rename {name}")).rect().center().y;
    let at = h
        .get_all_by_label(name)
        .map(|n| n.rect())
        .find(|r| (r.center().y - row).abs() < 4.0)
        .expect("the consumer's name in the knobs");
    press_node(
        h,
        egui::pos2(at.left() - 10.0, row),
        egui::PointerButton::Primary,
    );
}

/// A text field showing `value`.
fn text_field(value: &str) -> egui_kittest::kittest::By<'_> {
    egui_kittest::kittest::by()
        .role(egui::accesskit::Role::TextInput)
        .value(value)
}

/// Type `group` over metric-server-1's group (`consumer-outage`), without applying it.
fn type_group(h: &mut Harness<'_, BrokerLabApp>, group: &str) {
    open_consumer(h, "metric-server-1");
    h.get(text_field("metric-servers-a")).click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.event(egui::Event::Text(group.into()));
    h.run_steps(2);
    assert!(h.state().unsaved(), "typed, not applied");
}

/// Open the rename field of `name` and type `to` over the name.
fn type_rename(h: &mut Harness<'_, BrokerLabApp>, name: &str, to: &str) {
    h.get_by_label(&format!("rename {name}")).click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.event(egui::Event::Text(to.into()));
    h.run_steps(2);
}

/// `consumer-outage` read from `name` in the temporary folder, the knobs shown.
fn outage_from_file(name: &str) -> (Harness<'static, BrokerLabApp>, std::path::PathBuf) {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let text = brokerlab::builtin::get("consumer-outage").expect("built in");
    std::fs::write(&path, text).expect("the temporary folder is writable");
    let mut h = harness("point-to-point", Prefs::default());
    h.state_mut().load_path(&path);
    h.run_steps(2);
    knobs_tab(&mut h);
    (h, path)
}

#[test]
fn save_applies_text_typed_and_not_applied_first_and_writes_nothing_it_refuses() {
    let (mut h, path) = outage_from_file("typed-save.toml");
    let read = || std::fs::read_to_string(&path).expect("the file");
    // A name typed, the window asked to close: the question's Save writes the name (it was
    // written without it, and the question came back after every Save), then it closes.
    h.get_by_label("rename web-1").click();
    h.run_steps(2);
    h.event(egui::Event::Text("-east".into()));
    h.run_steps(2);
    assert!(!h.state_mut().may_close(), "asked first");
    h.run_steps(3);
    h.get_by_label("Save the changes?");
    // The knobs' toolbar has a Save too; the question's is drawn last.
    h.get_all_by_label("Save")
        .last()
        .expect("the question's Save")
        .click();
    // The close goes on (the question is answered) only once the name is written.
    for _ in 0..6 {
        h.run_steps(1);
        if !h.state().asking() {
            break;
        }
    }
    assert!(!h.state().asking(), "answered");
    assert!(read().contains("name = \"web-1-east\""), "{}", read());
    assert!(!h.state().unsaved());
    assert!(h.state_mut().may_close(), "saved: it closes");

    // A group typed into its knob and not applied, then Ctrl+S: saved with it.
    type_group(&mut h, "dashboards");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run_steps(6);
    assert!(read().contains("group = \"dashboards\""), "{}", read());
    assert!(!h.state().unsaved());

    // A name the file's rules refuse (another consumer's), then another scenario: its
    // question's Save writes nothing, the refusal is in the status bar, and the file stays.
    let before = read();
    type_rename(&mut h, "metric-server-1", "log-server");
    h.state_mut().load_builtin("point-to-point");
    h.run_steps(3);
    assert!(h.state().asking());

    h.get_all_by_label("Save")
        .last()
        .expect("the question's Save")
        .click();
    h.run_steps(6);
    assert_eq!(read(), before, "nothing refused is written");
    assert!(!h.state().asking(), "back to the window");
    h.get_by_label_contains("Could not save");
    assert_eq!(h.state().session.path.as_deref(), Some(path.as_path()));
    assert!(
        h.query(text_field("log-server")).is_some(),
        "the name refused stays in its field, to be put right"
    );
    assert!(h.state().unsaved());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn text_typed_into_a_knob_stays_while_its_field_is_hidden_and_is_saved() {
    let (mut h, path) = outage_from_file("typed-hidden.toml");
    type_group(&mut h, "dashboards");
    // The inspector and back: the field shows the text, and it still counts (it showed it,
    // not counted: a close lost it, and Ctrl+S wrote the file without it).
    h.get_by_label("Inspector").click();
    h.run_steps(3);
    assert!(h.state().unsaved(), "hidden, still typed");
    knobs_tab(&mut h);
    h.run_steps(3);
    assert!(h.query(text_field("dashboards")).is_some());
    assert!(h.state().unsaved());
    assert!(!h.state_mut().may_close(), "a close asks");
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    // Its section folded: the same.
    h.get_by_label("Consumers").click();
    h.run_steps(4);
    assert!(h.state().unsaved(), "folded, still typed");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run_steps(6);
    let saved = std::fs::read_to_string(&path).expect("saved");
    assert!(saved.contains("group = \"dashboards\""), "{saved}");
    assert!(!h.state().unsaved());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn keys_under_the_question_about_unsaved_changes_do_not_answer_it() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.run_steps(2);
    knobs_tab(&mut h);
    h.get_by_label("+ consumer").click();
    settle(&mut h);
    let consumers = h.state().session.scenario().consumers.len();
    // Another scenario asked for: Ctrl+Z under the question undid the change, and with
    // nothing left to save the other scenario came (the change only in a redo list it reset).
    h.state_mut().load_builtin("point-to-point");
    h.run_steps(3);
    h.get_by_label("Save the changes?");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    settle(&mut h);
    assert!(h.state().asking(), "still asking");
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:consumer-outage"
    );
    assert_eq!(h.state().session.scenario().consumers.len(), consumers);
    // The same for a close; Space (play) waits too.
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(!h.state_mut().may_close());
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.key_press(Key::Space);
    h.run_steps(2);
    settle(&mut h);
    assert!(h.state().asking() && h.state().unsaved());
    assert!(!h.state().session.playing);
}

#[test]
fn a_change_on_disk_waits_for_the_question_about_a_close() {
    let (mut h, path) = outage_from_file("disk-close.toml");
    let text = brokerlab::builtin::get("consumer-outage").expect("built in");
    h.get_by_label("+ consumer").click();
    settle(&mut h);
    assert!(!h.state_mut().may_close());
    h.run_steps(2);
    h.get_by_label_contains("lost if the window closes");
    // The file changes on disk (a second later: the watch compares modification times).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(&path, format!("{text}\n# touched\n")).expect("write");
    for _ in 0..30 {
        h.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The question is still about the close (it became "the file changed on disk", and Don't
    // save read the file instead of closing).
    h.get_by_label_contains("lost if the window closes");
    assert!(h
        .query_by_label_contains("The file changed on disk.")
        .is_none());
    // It says the file changed too: Save would write over that unseen.
    h.get_by_label_contains("The file also changed on disk since it was read");
    // Answered (Cancel: the window stays), the change on disk is read: asked about, as the
    // changes are not saved.
    h.get_by_label("Cancel").click();
    for _ in 0..10 {
        h.run_steps(1);
    }
    h.get_by_label_contains("The file changed on disk.");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_rename_keeps_its_name_refused_and_gives_the_keyboard_up() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.run_steps(2);
    knobs_tab(&mut h);
    // A name taken: refused, and the field keeps it to be put right (it was thrown away).
    type_rename(&mut h, "metric-server-1", "metric-server-2");
    h.key_press(Key::Enter);
    h.run_steps(2);
    settle(&mut h);
    h.get_by_label("Not applied: the scenario stays as it was.");
    assert!(h.query(text_field("metric-server-2")).is_some());
    assert!(h.state().unsaved(), "the name typed is not in the scenario");
    // Escape meant for something else (the field has given the keyboard up) leaves it.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.query(text_field("metric-server-2")).is_some());
    // Put right: applied, and the field goes.
    h.get(text_field("metric-server-2")).click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.event(egui::Event::Text("metric-server-9".into()));
    h.key_press(Key::Enter);
    h.run_steps(2);
    settle(&mut h);
    assert!(h
        .state()
        .session
        .scenario()
        .consumers
        .iter()
        .any(|c| c.name == "metric-server-9"));
    assert!(h.query(text_field("metric-server-9")).is_none());
    // A rename open, then another field clicked: typing goes there (the rename took the
    // keyboard back every frame, and "7" went into the name).
    h.get_by_label("rename web-1").click();
    h.run_steps(2);
    h.state_mut().sweep.open = true;
    h.run_steps(3);
    let before = h.state().sweep.values.clone();
    h.get(text_field(&before)).click();
    h.run_steps(2);
    h.key_press(Key::End);
    h.event(egui::Event::Text("7".into()));
    h.run_steps(3);
    assert_eq!(h.state().sweep.values, format!("{before}7"));
    assert!(h.query(text_field("web-17")).is_none());
}

#[test]
fn a_shortcut_counts_the_modifiers_its_key_was_pressed_with() {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chord.toml");
    let text = brokerlab::builtin::get("point-to-point").expect("built in");
    std::fs::write(&path, text).expect("the temporary folder is writable");
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().load_path(&path);
    h.run_steps(2);
    knobs_tab(&mut h);
    drag_knob(&mut h, "latency_ms", 0.8);
    h.run_steps(1);
    settle(&mut h);
    // Ctrl held for S only (let go within the frame): the key's event says Ctrl, the state
    // at the frame's end does not. It saved nothing, and opened the sweep.
    for pressed in [true, false] {
        h.event(egui::Event::Key {
            key: Key::S,
            pressed,
            modifiers: egui::Modifiers::COMMAND,
            repeat: false,
            physical_key: None,
        });
    }
    h.run_steps(2);
    assert_ne!(std::fs::read_to_string(&path).expect("the file"), text);
    assert!(!h.state().unsaved());
    assert!(!h.state().sweep.open);
    let _ = std::fs::remove_file(&path);
}

/// Every text painted in the last frame, with its rect.
fn painted_texts(h: &Harness<'_, BrokerLabApp>) -> Vec<(String, egui::Rect)> {
    fn walk(s: &egui::Shape, out: &mut Vec<(String, egui::Rect)>) {
        match s {
            egui::Shape::Text(t) => out.push((
                t.galley.text().to_owned(),
                egui::Rect::from_min_size(t.pos, t.galley.size()),
            )),
            egui::Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for cs in &h.output().shapes {
        walk(&cs.shape, &mut out);
    }
    out
}

/// A good flowchart of study notes (a producer, a queue, a consumer).
const GOOD_CHART: &str =
    "```mermaid\nflowchart LR\n  A[Web server] --> Q[(Message queue)]\n  Q --> B[Metric server]\n```\n";

#[test]
fn notes_with_many_diagrams_scroll_and_a_broken_one_hides_none() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // 30 flowcharts at the least window size: every Import can be reached (the table ran
    // past the screen's bottom, from the 24th on).
    let many = dir.join("app-many-diagrams.md");
    let md: String = (0..30)
        .map(|i| format!("## Diagram {i}\n\n{GOOD_CHART}\n"))
        .collect();
    std::fs::write(&many, md).expect("writable");
    let mut h = harness_sized("point-to-point", Prefs::default(), [1000.0, 600.0]);
    h.run_steps(2);
    h.state_mut().open_notes(&many);
    h.run_steps(3);
    assert_eq!(h.get_all_by_label("Import").count(), 30);
    let last = h.get_by_label("Diagram 29");
    last.scroll_to_me();
    h.run_steps(3);
    let row = h.get_by_label("Diagram 29").rect();
    assert!(row.max.y <= 600.0, "{row:?}");
    let import = h
        .get_all_by_label("Import")
        .map(|n| n.rect())
        .find(|r| (r.center().y - row.center().y).abs() < 6.0)
        .expect("the last row's Import");
    assert!(import.max.y <= 600.0, "{import:?}");
    // One broken flowchart among good ones: listed with its error, the others importable
    // (the notes were refused whole at the first syntax error).
    let broken = dir.join("app-one-broken.md");
    let md = format!(
        "## Broken\n\n```mermaid\nflowchart LR\n  A[Web --> B\n```\n\n## Good\n\n{GOOD_CHART}"
    );
    std::fs::write(&broken, md).expect("writable");
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().importing(), "Escape closed the list");
    h.state_mut().open_notes(&broken);
    h.run_steps(3);
    assert!(h.state().importing(), "{:?}", h.state().load_error);
    h.get_by_label("syntax error");
    let buttons = h.get_all_by_label("Import").collect::<Vec<_>>();
    assert_eq!(buttons.len(), 1, "the good one");
    buttons[0].click();
    h.run_steps(2);
    assert_eq!(
        h.state().session.scenario().source,
        format!("{}#2", broken.display())
    );
    let _ = std::fs::remove_file(&many);
    let _ = std::fs::remove_file(&broken);
}

#[test]
fn a_followed_message_in_a_lesson_at_the_least_size_keeps_its_lanes_apart() {
    let mut h = harness_sized("lesson-3", Prefs::default(), [1000.0, 600.0]);
    h.run_steps(2);
    h.state_mut().session.seek(secs(4.0));
    h.run_steps(2);
    let ctx = h.ctx.clone();
    let app = h.state_mut();
    app.follow
        .follow(brokerlab::engine::MsgId(20), &app.session, &ctx);
    until_traced(&mut h);
    h.run_steps(2);
    let trace = h.state().follow.trace().cloned().expect("traced");
    let names: Vec<String> = trace.variants.iter().map(|v| v.name.clone()).collect();
    let texts = painted_texts(&h);
    let outcomes: Vec<&(String, egui::Rect)> = texts
        .iter()
        .filter(|(s, _)| s.contains("delivered") || s.contains("lost") || s.contains("pending"))
        .collect();
    assert!(!outcomes.is_empty());
    let mut lanes = 0;
    for (n, r) in texts.iter().filter(|(s, _)| names.contains(s)) {
        for (o, q) in &outcomes {
            if (r.center().y - q.center().y).abs() < 4.0 {
                lanes += 1;
                assert!(r.max.x <= q.min.x, "{n} {r:?} is drawn over {o} {q:?}");
            }
        }
    }
    assert!(lanes > 0, "a lane's name and outcome side by side");
    // The header's buttons are their arrows and ■ here, inside the middle (Stop following
    // was past its edge).
    let stop = h.get_by_label("■").rect();
    let side = h
        .get_all_by_label("Inspector")
        .map(|n| n.rect())
        .min_by(|a, b| a.min.x.total_cmp(&b.min.x))
        .expect("the side panel");
    assert!(
        stop.max.x < side.min.x,
        "{stop:?} left of the side panel at {side:?}"
    );
}

#[test]
fn a_followed_message_the_run_no_longer_makes_is_told_in_the_apps_words() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(25.0));
    h.run_steps(2);
    let ctx = h.ctx.clone();
    let app = h.state_mut();
    app.follow
        .follow(brokerlab::engine::MsgId(3000), &app.session, &ctx);
    until_traced(&mut h);
    knobs_tab(&mut h);
    request_knob(&mut h, "scale.rate", toml::Value::Float(0.01));
    settle(&mut h);
    for _ in 0..400 {
        h.run_steps(1);
        if h.query_by_label_contains("is not in this run").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    // It named the command line's --message.
    let said = painted_texts(&h)
        .into_iter()
        .map(|(t, _)| t)
        .find(|t| t.contains("is not in this run"))
        .expect("said");
    assert!(
        said.starts_with("Message #3000 is not in this run: it produces "),
        "{said}"
    );
    assert!(!said.contains("--message"), "{said}");
}

/// A harness on a scenario or lesson given as text, named `source`.
fn harness_text(source: &str, text: &str, prefs: Prefs) -> Harness<'static, BrokerLabApp> {
    let s = brokerlab::lesson::parse(source, text).unwrap_or_else(|e| panic!("{e}"));
    Harness::builder()
        .with_size(SIZE)
        .with_step_dt(0.05)
        .build_eframe(move |cc| BrokerLabApp::with_prefs(&cc.egui_ctx, Some((s, None)), prefs))
}

/// Frames until `done` (a sweep's runs are on threads, and wake the window as they arrive),
/// within five minutes.
fn frames_until(h: &mut Harness<'_, BrokerLabApp>, done: impl Fn(&BrokerLabApp) -> bool) {
    let start = std::time::Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "in time"
        );
        h.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    h.run_steps(3);
}

#[test]
fn a_sweeps_run_opened_in_a_lesson_stands_where_the_sweep_stopped_it() {
    let mut h = lesson_3_at(3);
    h.run_steps(2);
    settle(&mut h);
    h.key_press(Key::S);
    h.run_steps(2);
    {
        let v = &mut h.state_mut().sweep;
        v.param = "scale.rate".into();
        v.values = "1,2".into();
        v.seeds = 1;
        v.run_for_s = 2.0;
        v.metric = "delivered".into();
    }
    h.run_steps(2);
    h.get_by_label("▶ Run sweep").click();
    frames_until(&mut h, |a| {
        a.sweep.job.as_ref().is_some_and(|j| !j.running())
    });
    let (pos, run) = *h
        .state()
        .sweep
        .markers
        .iter()
        .find(|(_, r)| *r == 1)
        .expect("the second point's marker");
    let swept = h.state().sweep.job.as_ref().expect("the job").runs()[run]
        .as_ref()
        .expect("its run")[0]
        .1
        .delivered;
    h.drag_at(pos);
    h.run_steps(1);
    h.drop_at(pos);
    h.run_steps(6);
    // It went back to the step's start (32 s) with the step's knobs: 14,271 delivered against
    // the curve's 971.
    assert_eq!(h.state().session.now(), secs(2.0));
    assert_eq!(
        h.state().session.sim().variants[0].metrics().delivered,
        swept
    );
    assert_eq!(h.state().lesson.step, 3, "the lesson stays at its step");
}

#[test]
fn a_steps_sweep_checks_the_same_reached_by_back_or_by_its_number() {
    // Lesson 3 with step 6 setting a latency that step 5's sweep checks would feel.
    let text = brokerlab::builtin::get("lesson-3")
        .expect("built in")
        .replace(
            "set = { \"variant.ipc-channel.channel.capacity\" = 10000 }",
            "set = { latency_ms = 40.0 }",
        );
    assert!(
        text.contains("latency_ms = 40.0"),
        "the step's knobs changed"
    );
    let checks = |back: bool| {
        let mut prefs = Prefs::default();
        prefs
            .lesson_steps
            .insert("mine.toml".into(), if back { 5 } else { 4 });
        let mut h = harness_text("mine.toml", &text, prefs);
        h.run_steps(2);
        settle(&mut h);
        if back {
            h.get_by_label("◀ Back").click();
            h.run_steps(1);
            settle(&mut h);
        }
        h.run_steps(2);
        frames_until(&mut h, |a| {
            a.lesson.sweep.as_ref().is_some_and(|(_, j)| j.complete())
        });
        let latency = |a: &BrokerLabApp| {
            a.lesson.sweep.as_ref().map(|(_, j)| {
                brokerlab::sim::params::get(&j.plan.base, "latency_ms")
                    .ok()
                    .flatten()
            })
        };
        assert_eq!(
            latency(h.state()),
            Some(
                brokerlab::sim::params::get(h.state().session.scenario(), "latency_ms")
                    .ok()
                    .flatten()
            ),
            "the sweep runs the step's own scenario"
        );
        h.get_by_label("It stays low, then shoots up near full load")
            .click();
        h.run_steps(1);
        h.get_by_label("Run to 50 s ▶").click();
        h.run_steps(3);
        painted_texts(&h)
            .into_iter()
            .map(|(t, _)| t)
            .filter(|t| t.starts_with('✔') || t.starts_with('✘'))
            .collect::<Vec<_>>()
    };
    let direct = checks(false);
    assert!(
        !direct.is_empty() && direct.iter().all(|t| t.starts_with('✔')),
        "{direct:?}"
    );
    assert_eq!(checks(true), direct);
    // Step 5's sweep stops when the learner goes on to a step without one (it ran on).
    let mut prefs = Prefs::default();
    prefs.lesson_steps.insert("mine.toml".into(), 4);
    let mut h = harness_text("mine.toml", &text, prefs);
    h.run_steps(2);
    settle(&mut h);
    h.run_steps(2);
    assert!(h.state().lesson.sweep.is_some());
    let app = h.state_mut();
    app.lesson.go(
        5,
        &mut app.session,
        &mut app.panes,
        &mut app.prefs.lesson_steps,
    );
    h.run_steps(2);
    settle(&mut h);
    h.run_steps(2);
    assert!(h.state().lesson.sweep.is_none(), "step 6 draws no sweep");
}

#[test]
fn changes_asked_for_while_one_runs_wait_their_turn() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.run_steps(2);
    let consumers = h.state().session.scenario().consumers.len();
    // A knob's change, then an edit before it has run (a fault dragged, a consumer added):
    // the edit was dropped.
    let x = &mut h.state_mut().explore;
    x.request(brokerlab::app::explore::Change::Set(vec![(
        "latency_ms".into(),
        toml::Value::Float(5.0),
    )]));
    x.request(brokerlab::app::explore::Change::Edit(
        brokerlab::sim::params::Edit::AddConsumer,
    ));
    assert!(h.state().explore.busy());
    h.run_steps(6);
    assert!(!h.state().explore.busy());
    let s = h.state().session.scenario();
    assert_eq!(
        brokerlab::sim::params::get(s, "latency_ms").ok().flatten(),
        Some(toml::Value::Float(5.0))
    );
    assert_eq!(s.consumers.len(), consumers + 1);
    // Each is a step of its own: undo takes the edit back, then the knob.
    h.state_mut()
        .explore
        .request(brokerlab::app::explore::Change::Undo);
    h.run_steps(3);
    assert_eq!(h.state().session.scenario().consumers.len(), consumers);
    assert_eq!(
        brokerlab::sim::params::get(h.state().session.scenario(), "latency_ms")
            .ok()
            .flatten(),
        Some(toml::Value::Float(5.0))
    );
}

#[test]
fn zooming_far_into_a_pane_draws_without_its_labels_and_does_not_panic() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(3);
    let pos = node_pos(&h, 0, |_, k| k == NodeKind::Consumer);
    h.hover_at(pos);
    h.run_steps(2);
    // egui_graphs zooms x1.1 a frame: 120 frames is past where a label's glyphs outgrew the
    // font atlas and epaint panicked (about 45).
    for _ in 0..120 {
        h.event(egui::Event::Zoom(1.5));
        h.run_steps(1);
    }
    let biggest = painted_texts(&h)
        .iter()
        .map(|(_, r)| r.height())
        .fold(0.0, f32::max);
    assert!(biggest < 400.0, "{biggest}");
}

#[test]
fn one_bad_stored_preference_keeps_the_others() {
    let mut steps = std::collections::BTreeMap::new();
    steps.insert("builtin:lesson-1".to_owned(), 3);
    steps.insert("builtin:lesson-2".to_owned(), 1);
    let good = Prefs {
        lang: brokerlab::scenario::Lang::Ko,
        speed: 4.0,
        dark: false,
        last_file: Some("/notes/mine.toml".into()),
        show_plots: false,
        lesson_steps: steps,
    };
    let text = serde_json::to_string(&good).expect("JSON");
    let same = |p: &Prefs| format!("{p:?}");
    assert_eq!(same(&Prefs::read(&text)), same(&good));
    // A speed of another version (or a NaN stored as null): it alone is the default (every
    // preference and every lesson's step went).
    for speed in ["\"fast\"", "null"] {
        let p = Prefs::read(&text.replace("\"speed\":4.0", &format!("\"speed\":{speed}")));
        assert_eq!(p.speed, 1.0);
        assert_eq!(p.lang, brokerlab::scenario::Lang::Ko);
        assert_eq!(p.lesson_steps, good.lesson_steps);
        assert_eq!(p.last_file, good.last_file);
    }
    let p = Prefs::read(&text.replace("\"ko\"", "\"fr\""));
    assert_eq!(p.lang, brokerlab::scenario::Lang::En);
    assert!(!p.dark && (p.speed - 4.0).abs() < f64::EPSILON);
    // One lesson's step unreadable: the other lesson keeps its own.
    let p = Prefs::read(&text.replace("\"builtin:lesson-1\":3", "\"builtin:lesson-1\":-3"));
    assert_eq!(p.lesson_steps.get("builtin:lesson-2"), Some(&1));
    assert_eq!(p.lesson_steps.get("builtin:lesson-1"), None);
    // No JSON at all: the defaults.
    assert_eq!(same(&Prefs::read("{not json")), same(&Prefs::default()));
}

/// The status of consumer `name` in variant 0.
fn consumer_status(h: &Harness<'_, BrokerLabApp>, name: &str) -> String {
    let v = &h.state().session.sim().variants[0];
    let g = &v.topology.graph;
    let c = v
        .overview()
        .consumers
        .into_iter()
        .find(|c| g[petgraph::graph::NodeIndex::new(c.node as usize)].name == name)
        .expect("the consumer");
    format!("{:?}", c.status)
}

#[test]
fn a_consumer_taken_offline_stays_away_past_a_restart_set_before() {
    let mut h = harness("consumer-outage", Prefs::default());
    h.state_mut().session.seek(secs(5.0));
    h.run_steps(3);
    open_context_menu(&mut h, 0, "metric-server-2");
    h.get_by_label("Crash and restart in 5 s").click();
    h.run_steps(2);
    h.get_by_label("+1 s").click();
    h.run_steps(2);
    open_context_menu(&mut h, 0, "metric-server-2");
    h.get_by_label("Restart").click();
    h.run_steps(2);
    h.get_by_label("+1 s").click();
    h.run_steps(2);
    open_context_menu(&mut h, 0, "metric-server-2");
    h.get_by_label("Take offline").click();
    h.run_steps(2);
    for _ in 0..4 {
        h.get_by_label("+1 s").click();
        h.run_steps(2);
    }
    // At 11 s: the restart set at 5 s for 10 s brought it back.
    assert_eq!(h.state().session.now(), secs(11.0));
    assert_eq!(consumer_status(&h, "metric-server-2"), "Offline");
}

/// `name` taken offline from its context menu at 5 s, the run then at 10 s.
fn offline_at_5_s_then_10(h: &mut Harness<'_, BrokerLabApp>, name: &str) {
    h.state_mut().session.seek(secs(5.0));
    h.run_steps(3);
    open_context_menu(h, 0, name);
    h.get_by_label("Take offline").click();
    h.run_steps(2);
    h.state_mut().session.seek(secs(10.0));
    h.run_steps(2);
}

#[test]
fn faults_from_the_context_menu_follow_a_rename_and_come_back_with_an_undo() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::{Edit, Named};
    let lost = |h: &Harness<'_, BrokerLabApp>| h.state().session.sim().variants[0].metrics().lost;
    let mut h = harness("consumer-outage", Prefs::default());
    offline_at_5_s_then_10(&mut h, "metric-server-2");
    let before = lost(&h);
    assert!(before > 0, "offline under pub/sub: lost");
    // Renamed: the same numbers (the fault was dropped: 0 lost).
    h.state_mut().explore.request(Change::Edit(Edit::Rename {
        what: Named::Consumer,
        from: "metric-server-2".into(),
        to: "ms2".into(),
    }));
    settle(&mut h);
    assert_eq!(lost(&h), before);
    assert_eq!(consumer_status(&h, "ms2"), "Offline");
    // Undone: the same again.
    h.state_mut().explore.request(Change::Undo);
    settle(&mut h);
    assert_eq!(lost(&h), before);
    // Removed, then undone: the fault comes back with its consumer.
    h.state_mut()
        .explore
        .request(Change::Edit(Edit::RemoveConsumer("metric-server-2".into())));
    settle(&mut h);
    h.state_mut().explore.request(Change::Undo);
    settle(&mut h);
    assert_eq!(lost(&h), before);
    assert_eq!(consumer_status(&h, "metric-server-2"), "Offline");
}

/// Revert after renames (it says none of them, as a lesson step's knobs or an undo of several
/// do not): the faults from the context menu stay with their consumers.
#[test]
fn faults_from_the_context_menu_stay_through_a_revert_of_renames() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::{Edit, Named};
    let lost = |h: &Harness<'_, BrokerLabApp>| h.state().session.sim().variants[0].metrics().lost;
    let mut h = harness("consumer-outage", Prefs::default());
    offline_at_5_s_then_10(&mut h, "metric-server-2");
    let before = lost(&h);
    assert!(before > 0, "offline under pub/sub: lost");
    for (what, from, to) in [
        (Named::Consumer, "metric-server-2", "ms2"),
        (Named::Producer, "web-1", "front"),
        (Named::Consumer, "ms2", "ms-two"),
    ] {
        let rename = Edit::Rename {
            what,
            from: from.into(),
            to: to.into(),
        };
        h.state_mut().explore.request(Change::Edit(rename));
        settle(&mut h);
    }
    assert_eq!(consumer_status(&h, "ms-two"), "Offline");
    h.state_mut().explore.request(Change::Revert);
    settle(&mut h);
    assert_eq!(consumer_status(&h, "metric-server-2"), "Offline");
    assert_eq!(lost(&h), before);
}

#[test]
fn a_crash_before_a_later_crash_and_restart_keeps_that_restart() {
    let mut h = harness("consumer-outage", Prefs::default());
    // At 30 s: crash, restart at 35 s. Back to 10 s: crash (no restart).
    h.state_mut().session.seek(secs(30.0));
    h.run_steps(3);
    open_context_menu(&mut h, 0, "metric-server-2");
    h.get_by_label("Crash and restart in 5 s").click();
    h.run_steps(2);
    h.state_mut().session.seek(secs(10.0));
    h.run_steps(3);
    open_context_menu(&mut h, 0, "metric-server-2");
    h.get_by_label("Crash").click();
    h.run_steps(2);
    // The restart at 35 s was the later crash's: it stays (it was dropped, and the consumer
    // stayed down to the end).
    h.state_mut().session.seek(secs(36.0));
    h.run_steps(3);
    assert_eq!(consumer_status(&h, "metric-server-2"), "Online");
}

#[test]
fn a_fault_of_a_removed_consumer_does_not_pass_to_the_next_one_added() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::Edit;
    let mut h = harness("consumer-outage", Prefs::default());
    offline_at_5_s_then_10(&mut h, "log-server");
    // The last consumer removed, another added in its place in the list: not a rename.
    h.state_mut()
        .explore
        .request(Change::Edit(Edit::RemoveConsumer("log-server".into())));
    h.state_mut()
        .explore
        .request(Change::Edit(Edit::AddConsumer));
    settle(&mut h);
    h.run_steps(2);
    let added = h
        .state()
        .session
        .scenario()
        .consumers
        .last()
        .expect("a consumer")
        .name
        .clone();
    assert_ne!(added, "log-server");
    assert_eq!(consumer_status(&h, &added), "Online");
    // Reverted to the file: log-server is back, and so is its fault.
    h.state_mut().explore.request(Change::Revert);
    settle(&mut h);
    assert_eq!(consumer_status(&h, "log-server"), "Offline");
}

#[test]
fn each_producer_has_its_own_topic_to_publish_to() {
    let mut h = harness("consumer-outage", Prefs::default());
    knobs_tab(&mut h);
    open_consumer(&mut h, "web-1");
    open_consumer(&mut h, "web-2");
    let empty = h.query_all(text_field("")).count();
    h.query_all(text_field(""))
        .next()
        .expect("web-1's topic field")
        .click();
    h.run_steps(2);
    h.event(egui::Event::Text("audit".into()));
    h.run_steps(3);
    assert_eq!(h.query_all(text_field("audit")).count(), 1, "web-1's only");
    assert_eq!(h.query_all(text_field("")).count(), empty - 1);
    // web-2's button adds its own choice (none typed: the first topic), not web-1's text.
    let buttons: Vec<_> = h.get_all_by_label("+ publish to").collect();
    assert_eq!(buttons.len(), 2);
    buttons[1].click();
    h.run_steps(1);
    settle(&mut h);
    let topics = |h: &Harness<'_, BrokerLabApp>, p: usize| -> Vec<String> {
        let s = h.state().session.scenario();
        s.producers[p]
            .publish
            .iter()
            .map(|e| s.topics[usize::from(e.topic)].clone())
            .collect()
    };
    assert!(
        !topics(&h, 1).contains(&"audit".to_owned()),
        "{:?}",
        topics(&h, 1)
    );
    h.get_all_by_label("+ publish to")
        .next()
        .expect("web-1's")
        .click();
    h.run_steps(1);
    settle(&mut h);
    assert!(
        topics(&h, 0).contains(&"audit".to_owned()),
        "{:?}",
        topics(&h, 0)
    );
}

#[test]
fn the_new_faults_target_follows_a_rename_and_falls_back_when_removed() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::{Edit, Named};
    let mut h = harness("consumer-outage", Prefs::default());
    knobs_tab(&mut h);
    h.query_all(egui_kittest::kittest::by().role(egui::accesskit::Role::ComboBox))
        .last()
        .expect("the fault's target")
        .click();
    h.run_steps(2);
    h.query_all_by_label("metric-server-2")
        .last()
        .expect("a target to pick")
        .click();
    h.run_steps(2);
    let rename = Edit::Rename {
        what: Named::Consumer,
        from: "metric-server-2".into(),
        to: "ms2".into(),
    };
    h.state_mut().explore.request(Change::Edit(rename));
    settle(&mut h);
    let entries = |h: &Harness<'_, BrokerLabApp>| {
        brokerlab::sim::params::faults(h.state().session.scenario())
    };
    // "+ fault" adds one fault, refused by nothing: its target.
    let add_fault = |h: &mut Harness<'_, BrokerLabApp>| {
        let before = entries(h).len();
        h.get_by_label("+ fault").click();
        h.run_steps(1);
        settle(h);
        assert_eq!(h.state().explore.error, None);
        assert_eq!(entries(h).len(), before + 1);
        entries(h).last().cloned().and_then(|f| f.target)
    };
    let before = entries(&h).len();
    assert_eq!(add_fault(&mut h), Some("ms2".to_owned()));
    // Removed (its fault first): the default target (the first consumer) again, not a refusal.
    let refused = Edit::RemoveConsumer("ms2".into());
    h.state_mut().explore.request(Change::Edit(refused));
    settle(&mut h);
    let error = h.state().explore.error.clone().unwrap_or_default();
    assert!(error.contains("ms2 is the target of fault"), "{error}");
    for e in [
        Edit::RemoveFault(before),
        Edit::RemoveConsumer("ms2".into()),
    ] {
        h.state_mut().explore.request(Change::Edit(e));
        settle(&mut h);
    }
    assert_eq!(h.state().explore.error, None);
    let first = h.state().session.scenario().consumers[0].name.clone();
    assert_eq!(add_fault(&mut h), Some(first));
}

/// A step's `*` knob goes back entry by entry (each producer to its own rate), and a knob the
/// file has no value for (a fault's `until_s` it leaves out) stays in the saved file, said so.
#[test]
fn a_steps_knobs_go_back_entry_by_entry_and_one_without_a_value_is_named() {
    let text = r#"
title = "knobs"
duration_s = 30.0
[[producer]]
name = "a"
publish = [ { topic = "t", rate_per_s = 10.0 } ]
[[producer]]
name = "b"
publish = [ { topic = "t", rate_per_s = 50.0 } ]
[[consumer]]
name = "c"
subscribe = ["t"]
[[fault]]
kind = "consumer-offline"
target = "c"
at_s = 5.0
[[variant]]
name = "direct"
shape = "direct"
[[step]]
title = "plain"
text = "t"
run_to_s = 5.0
[[step]]
title = "knobbed"
text = "t"
run_to_s = 10.0
set = { "producer.*.rate_per_s" = 100.0, "fault.0.until_s" = 20.0 }
"#;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("knobbed-lesson.toml");
    let mut prefs = Prefs::default();
    prefs.lesson_steps.insert("mine.toml".into(), 1);
    let mut h = harness_text("mine.toml", text, prefs);
    h.run_steps(2);
    settle(&mut h);
    let get = |s: &brokerlab::scenario::Scenario, p: &str| {
        brokerlab::sim::params::get(s, p).ok().flatten()
    };
    assert_eq!(
        get(h.state().session.scenario(), "producer.b.rate_per_s"),
        Some(toml::Value::Float(100.0))
    );
    request_knob(&mut h, "latency_ms", toml::Value::Float(2.5));
    settle(&mut h);
    h.state_mut().save_to(&path);
    h.run_steps(2);
    let saved = std::fs::read_to_string(&path).expect("saved");
    let s = parse_scenario("saved", &saved).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        get(&s, "producer.a.rate_per_s"),
        Some(toml::Value::Float(10.0))
    );
    assert_eq!(
        get(&s, "producer.b.rate_per_s"),
        Some(toml::Value::Float(50.0))
    );
    assert_eq!(get(&s, "latency_ms"), Some(toml::Value::Float(2.5)));
    assert_eq!(get(&s, "fault.0.until_s"), Some(toml::Value::Float(20.0)));
    h.get_by_label_contains("no value of the file's to go back to: fault.0.until_s = 20");
    std::fs::remove_file(&path).ok();
}

/// The import list stays while nothing was loaded from it: a diagram that makes no scenario,
/// or a load the learner cancels at the question about unsaved changes; keys do not act
/// behind it; a file dropped while the question is up waits for the answer.
#[test]
fn the_import_list_stays_until_a_scenario_is_loaded_and_keys_wait_behind_it() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let notes = dir.join("app-stays.md");
    let no_consumer = "```mermaid\nflowchart LR\n  A[Web] --> B[Api] --> A\n```\n";
    std::fs::write(
        &notes,
        format!("## One\n\n{no_consumer}\n## Two\n\n{GOOD_CHART}"),
    )
    .expect("writable");
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    h.state_mut().open_notes(&notes);
    h.run_steps(2);
    h.get_all_by_label("Import")
        .next()
        .expect("diagram 1")
        .click();
    h.run_steps(2);
    assert!(h.state().load_error.is_some(), "diagram 1 has no consumer");
    assert!(h.state().importing(), "the list stays to pick another");
    // Space does not play behind the window.
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(!h.state().session.playing);
    // With a change not saved: the question; Cancel keeps the change and the list.
    request_knob(&mut h, "latency_ms", toml::Value::Float(3.0));
    settle(&mut h);
    h.state_mut().import_diagram(2);
    h.run_steps(2);
    assert!(h.state().asking());
    // A file dropped now waits for the answer (it replaced what the question was about).
    let other = dir.join("app-stays-dropped.toml");
    std::fs::write(
        &other,
        brokerlab::builtin::get("kafka-replay").expect("built in"),
    )
    .expect("writable");
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(other.clone())));
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.state().importing(), "cancelled: the list stays");
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:point-to-point"
    );
    // The dropped file asks in its turn; Don't save loads it (not the import's diagram).
    assert!(h.state().asking());
    h.get_by_label("Don't save").click();
    h.run_steps(2);
    assert_eq!(
        h.state().session.scenario().source,
        other.display().to_string()
    );
    assert!(
        !h.state().importing(),
        "another scenario took the list's place"
    );
    let _ = std::fs::remove_file(&notes);
    let _ = std::fs::remove_file(&other);
}
