//! The sweep view and a lesson's sweep, driven like a learner drives them: S opens the view, a
//! tiny sweep runs to its end in the background, the curves have a point per value and
//! variant, a click on a point opens that run in the panes; a lesson step draws its sweep and
//! checks its points. With snapshots of the view (English, and Korean in the light theme).

use super::{frames_until as until_done, harness, lesson_3_at};
use brokerlab::app::{BrokerLabApp, Prefs};
use brokerlab::report::Measured;
use brokerlab::scenario::{secs, Lang};
use eframe::egui::Key;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::time::Duration;

fn view_done(app: &BrokerLabApp) -> bool {
    app.sweep.job.as_ref().is_some_and(|j| !j.running())
}

/// The view open on point to point with `scale.consumers = 1, 2`, two seeds a point, 2 s runs.
fn tiny_sweep(prefs: Prefs, metric: &str) -> Harness<'static, BrokerLabApp> {
    let mut h = harness("point-to-point", prefs);
    h.run_steps(2);
    h.key_press(Key::S);
    h.run_steps(2);
    assert!(h.state().sweep.open, "S opens the sweep view");
    let v = &mut h.state_mut().sweep;
    v.param = "scale.consumers".into();
    v.values = "1,2".into();
    v.seeds = 2;
    v.run_for_s = 2.0;
    v.metric = metric.into();
    h.run_steps(2);
    h
}

#[test]
fn the_sweep_view_runs_a_tiny_sweep_and_draws_a_point_per_value_and_variant() {
    let mut h = tiny_sweep(Prefs::default(), "connections");
    h.get_by_label("▶ Run sweep").click();
    // The plan is made on a thread, then the job runs.
    until_done(&mut h, |a| a.sweep.error.is_some() || view_done(a));
    assert!(
        h.state().sweep.error.is_none(),
        "{:?}",
        h.state().sweep.error
    );
    let job = h.state().sweep.job.as_ref().expect("a job");
    assert_eq!(job.progress(), (4, 4), "2 values x 2 seeds");
    assert!(job.complete());
    h.get_by_label("4 / 4 runs");
    let report = job.report(&["connections".into()]);
    assert_eq!(report.points.len(), 2);
    let links: Vec<Vec<f64>> = report
        .points
        .iter()
        .map(|p| p.variants.iter().map(|v| v.metrics.0[0].1.mean).collect())
        .collect();
    // Five servers to 2 and to 4 metric servers; Kafka: 5 + consumers + the broker's links.
    assert_eq!(links[0][0], 10.0, "point to point, 5 x 2");
    assert_eq!(links[1][0], 20.0, "point to point, 5 x 4");
    assert!(links[1][2] < links[1][0], "the log needs fewer: {links:?}");
    // A marker per point and variant, and one per run (two seeds).
    assert_eq!(h.state().sweep.markers.len(), 2 * 3 + 4 * 3);
    h.get_by_label("Click a point to open that run in the panes");
}

#[test]
fn clicking_a_point_opens_that_run_in_the_panes() {
    let mut h = tiny_sweep(Prefs::default(), "delivered");
    h.get_by_label("▶ Run sweep").click();
    until_done(&mut h, view_done);
    let (pos, run) = {
        let job = h.state().sweep.job.as_ref().expect("a job");
        // Run 3: consumers = 2, the second seed.
        let m = h.state().sweep.markers.iter().find(|(_, r)| *r == 3);
        let (pos, run) = *m.expect("run 3 has a marker");
        let values = job.runs();
        let swept = values[run].as_ref().expect("in")[0].1.delivered;
        (pos, (run, swept))
    };
    // A change not saved: the run opens once the question is answered, still where the sweep
    // stopped it.
    super::request_knob(&mut h, "latency_ms", toml::Value::Float(3.0));
    h.run_steps(4);
    assert!(h.state().unsaved());
    h.drag_at(pos);
    h.run_steps(1);
    h.drop_at(pos);
    h.run_steps(3);
    assert!(h.state().asking());
    assert_eq!(h.state().session.now(), 0, "the clock waits for the answer");
    h.get_by_label("Don't save").click();
    h.run_steps(3);
    let s = h.state().session.scenario().clone();
    assert_eq!(s.consumers.len(), 4, "scale.consumers = 2 doubles the two");
    assert_eq!(s.seed, 8, "the point's second seed");
    assert_eq!(
        h.state().session.now(),
        secs(2.0),
        "run to where the sweep stopped"
    );
    let delivered = h.state().session.sim().variants[0].metrics().delivered;
    assert_eq!(delivered, run.1, "the panes show the number of the curve");
    assert!(h
        .query_by_label_contains("scale.consumers = 2, seed 8")
        .is_some());
    assert!(
        h.state().sweep.job.is_some(),
        "its sweep stays for the next click"
    );
    // Another scenario: the curves were point to point's, they go (they drew on, and a click
    // opened a run of the old scenario).
    h.state_mut().load_builtin("consumer-outage");
    h.run_steps(3);
    assert_eq!(
        h.state().session.scenario().source,
        "builtin:consumer-outage"
    );
    assert!(h.state().sweep.job.is_none(), "the old sweep is gone");
    assert!(h.state().sweep.markers.is_empty());
}

#[test]
fn bad_values_show_their_error_in_the_form_and_nothing_runs() {
    let mut h = tiny_sweep(Prefs::default(), "lost");
    h.state_mut().sweep.values = "2..1".into();
    h.get_by_label("▶ Run sweep").click();
    h.run_steps(2);
    assert!(h.state().sweep.job.is_none());
    let e = h.state().sweep.error.clone().unwrap_or_default();
    assert!(e.starts_with("Values: ") && e.contains("below FROM"), "{e}");
    assert!(h.query_by_label_contains("below FROM").is_some());
    h.state_mut().sweep.values = "1,-3".into();
    h.get_by_label("▶ Run sweep").click();
    h.run_steps(2);
    let e = h.state().sweep.error.clone().unwrap_or_default();
    assert!(e.contains("scale.consumers"), "{e}");
    // Said of the form's Values, once (the command line's wording put the path first, then
    // again in the message), in the learner's language.
    h.state_mut().sweep.values = "abc".into();
    h.state_mut().prefs.lang = brokerlab::scenario::Lang::Ko;
    h.run_steps(2);
    h.get_by_label("▶ 스윕 실행").click();
    h.run_steps(2);
    let e = h.state().sweep.error.clone().unwrap_or_default();
    assert!(e.starts_with("값: "), "{e}");
    assert_eq!(e.matches("scale.consumers").count(), 1, "{e}");
}

#[test]
fn cancel_stops_a_sweep_and_keeps_the_points_so_far() {
    let mut h = tiny_sweep(Prefs::default(), "lost");
    {
        let v = &mut h.state_mut().sweep;
        v.param = "scale.rate".into();
        v.values = "0.5..4:0.5".into();
        v.seeds = 20;
        v.run_for_s = 60.0;
    }
    h.get_by_label("▶ Run sweep").click();
    h.run_steps(1);
    h.get_by_label("■ Cancel").click();
    until_done(&mut h, view_done);
    let (done, total) = h.state().sweep.job.as_ref().expect("a job").progress();
    assert_eq!(total, 160);
    assert!(done < total, "{done} of {total}");
    assert!(h.query_by_label_contains("(cancelled)").is_some());
}

/// p99 latency over load, three seeds a point: bands around the means.
fn latency_sweep(prefs: Prefs) -> Harness<'static, BrokerLabApp> {
    let mut h = tiny_sweep(prefs, "latency_ms.p99");
    {
        let v = &mut h.state_mut().sweep;
        v.param = "scale.rate".into();
        v.values = "0.5..1.5:0.25".into();
        v.seeds = 3;
        v.run_for_s = 5.0;
    }
    let scenario = h.state().session.scenario().clone();
    let ctx = h.ctx.clone();
    h.state_mut()
        .sweep
        .run(&scenario, &ctx, brokerlab::scenario::Lang::En);
    until_done(&mut h, view_done);
    h.run_steps(4);
    h
}

#[test]
fn sweep_view_snapshot() {
    let mut h = latency_sweep(Prefs::default());
    h.snapshot("sweep-point-to-point-latency");
}

#[test]
fn sweep_view_snapshot_in_korean_light() {
    let ko = Prefs {
        lang: Lang::Ko,
        dark: false,
        ..Prefs::default()
    };
    let mut h = latency_sweep(ko);
    h.get_by_label("▶ 스윕 실행");
    h.snapshot("sweep-point-to-point-latency-ko-light");
}

#[test]
fn a_lesson_step_draws_its_sweep_and_checks_its_points() {
    let mut h = lesson_3_at(4);
    h.run_steps(2);
    h.get_by_label("5. How late, as the load grows");
    h.get_by_label("📈 p99 latency as the load grows");
    // The runs arrive while the step is read; once they are in, the progress bar goes (and
    // the widgets after it get other ids: a click sent by id across that frame is lost).
    until_done(&mut h, |app| {
        app.lesson.sweep.as_ref().is_some_and(|(_, j)| !j.running())
    });
    h.get_by_label("It stays low, then shoots up near full load")
        .click();
    h.run_steps(1);
    h.get_by_label("Run to 50 s ▶").click();
    h.run_steps(3);
    h.get_by_label("Right.");
    h.get_by_label("✔ message-queue latency_ms.p99 > 60 at load (scale.rate = 2.0)");
    h.get_by_label("✔ ipc-channel latency_ms.p99 < 15 at load (scale.rate = 2.0)");
}

#[test]
fn a_big_grid_is_checked_off_the_window_and_cancel_lets_it_go() {
    let mut h = tiny_sweep(Prefs::default(), "delivered");
    let v = &mut h.state_mut().sweep;
    v.param = "scale.rate".into();
    v.values = "0.01..100:0.01".into();
    v.seeds = 10;
    h.run_steps(1);
    // 10,000 values are checked against the scenario on a thread: the window goes on (it
    // stood still for 25 s in a debug build, its Cancel out of reach).
    h.get_by_label("▶ Run sweep").click();
    h.run_steps(2);
    h.get_by_label("Checking every value against the scenario…");
    assert!(h.state().sweep.job.is_none());
    h.get_by_label("■ Cancel").click();
    h.run_steps(2);
    assert!(h
        .query_by_label("Checking every value against the scenario…")
        .is_none());
    h.get_by_label("▶ Run sweep");
    // What the thread makes is let go: no job starts.
    for _ in 0..20 {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(h.state().sweep.job.is_none());
    // A grid over the limit is still refused in the form.
    h.state_mut().sweep.values = "0.001..100:0.001".into();
    h.get_by_label("▶ Run sweep").click();
    until_done(&mut h, |a| a.sweep.error.is_some());
    let e = h.state().sweep.error.clone().unwrap_or_default();
    assert_eq!(e, "Values: 100000 values; the limit is 10000");
}

#[test]
fn the_forms_parameters_follow_knob_changes() {
    let mut h = harness("point-to-point", Prefs::default());
    h.run_steps(2);
    h.key_press(Key::S);
    h.run_steps(2);
    let listed = |h: &mut Harness<'_, BrokerLabApp>, entry: &str| {
        h.get(egui_kittest::kittest::by().value("scale.rate"))
            .click();
        h.run_steps(2);
        let there = h.query_by_label(entry).is_some();
        h.key_press(Key::Escape);
        h.run_steps(2);
        there
    };
    assert!(listed(&mut h, "latency_ms   = 1.0"));
    super::request_knob(&mut h, "latency_ms", toml::Value::Float(5.0));
    h.run_steps(4);
    // The list was made once per scenario file: it showed the value before the change.
    assert!(listed(&mut h, "latency_ms   = 5.0"));
    assert_eq!(
        h.state().sweep.param,
        "scale.rate",
        "the form keeps its parameter"
    );
    // And its run's length, under a second too (each change set it back to 1 s).
    h.state_mut().sweep.run_for_s = 0.5;
    super::request_knob(&mut h, "latency_ms", toml::Value::Float(2.0));
    h.run_steps(4);
    assert!(listed(&mut h, "latency_ms   = 2.0"));
    assert_eq!(h.state().sweep.run_for_s, 0.5);
}

/// Closed while it runs, the sweep goes on: the status bar says how far it is, then that it
/// finished, and Show opens the window again on its curves; seen, the word goes.
#[test]
fn a_sweep_whose_window_is_closed_goes_on_and_the_status_bar_says_so() {
    let mut h = tiny_sweep(Prefs::default(), "delivered");
    h.get_by_label("▶ Run sweep").click();
    h.run_steps(1);
    h.state_mut().sweep.open = false;
    h.run_steps(1);
    let said =
        |h: &Harness<'_, BrokerLabApp>, prefix: &str| h.query_by_label_contains(prefix).is_some();
    assert!(
        said(&h, "Sweep: preparing…")
            || said(&h, "Sweep running: ")
            || said(&h, "Sweep finished: 4 / 4"),
        "the status bar tells the sweep"
    );
    until_done(&mut h, view_done);
    h.run_steps(2);
    h.get_by_label("Sweep finished: 4 / 4");
    assert!(!h.state().sweep.open);
    h.get_by_label("Show").click();
    h.run_steps(2);
    assert!(h.state().sweep.open);
    h.get_by_label("4 / 4 runs");
    h.state_mut().sweep.open = false;
    h.run_steps(2);
    assert!(!said(&h, "Sweep finished"), "seen: nothing more to say");
}

/// No values: the form says what to give in its own words (it said `give PATH=V1,V2,...`, the
/// command line's), and nothing runs.
#[test]
fn a_sweep_with_no_values_says_what_to_give() {
    let mut h = tiny_sweep(Prefs::default(), "delivered");
    h.state_mut().sweep.values = "  ".into();
    h.run_steps(1);
    h.get_by_label("▶ Run sweep").click();
    h.run_steps(3);
    let err = h.state().sweep.error.clone().unwrap_or_default();
    assert_eq!(
        err,
        "Values: give a list such as 1,2,4 or a range such as 0.5..2.0:0.25"
    );
    assert!(h.state().sweep.job.is_none(), "nothing ran");
}

/// The swept parameter's consumer renamed: the form keeps the parameter by its new path, and
/// the values typed (it went back to scale.rate and its suggested values).
#[test]
fn the_sweep_form_follows_a_rename_of_its_parameters_consumer() {
    use brokerlab::app::explore::Change;
    use brokerlab::sim::params::{Edit, Named};
    let mut h = tiny_sweep(Prefs::default(), "delivered");
    let v = &mut h.state_mut().sweep;
    v.param = "consumer.metric-server-1.service_ms".into();
    v.values = "1,2,3".into();
    h.run_steps(2);
    assert_eq!(h.state().sweep.param, "consumer.metric-server-1.service_ms");
    h.state_mut().explore.request(Change::Edit(Edit::Rename {
        what: Named::Consumer,
        from: "metric-server-1".into(),
        to: "ms1".into(),
    }));
    h.run_steps(6);
    assert_eq!(h.state().explore.error, None);
    assert_eq!(h.state().sweep.param, "consumer.ms1.service_ms");
    assert_eq!(h.state().sweep.values, "1,2,3");
}
