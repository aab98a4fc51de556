//! The desktop app's per-frame CPU time: egui's run of the whole window plus tessellation, on a
//! generated scenario of 500 nodes, about 1,000 edges and about 10,000 messages in flight (printed when it runs).
//!
//! `cargo bench --bench frame` (release). Target: 8 ms or less per frame. Reports medians over
//! many frames, for the pane under the pointer (egui_graphs drawing, interactive) and for the
//! idle picture (the same shapes painted directly), with the simulation paused so that only the
//! frame is measured; and one figure for frames while playing (simulation work included).

use brokerlab::app::{BrokerLabApp, Prefs};
use brokerlab::scenario::{parse_scenario, secs};
use eframe::egui;
use std::fmt::Write as _;
use std::time::Instant;

const W: f32 = 1500.0;
const H: f32 = 950.0;

fn scenario() -> String {
    let topics = 10;
    let mut t = String::from(
        "title = \"frame budget: 500 nodes\"\nseed = 1\nduration_s = 30.0\nlatency_ms = 200.0\n",
    );
    for p in 0..120 {
        let _ = writeln!(
            t,
            "[[producer]]\nname = \"producer-{p}\"\npublish = [ {{ topic = \"topic-{}\", rate_per_s = 45.0, keys = 8 }} ]",
            p % topics
        );
    }
    for c in 0..369 {
        let a = c % topics;
        let b = (c + 3) % topics;
        let third = if c < 132 {
            format!(", \"topic-{}\"", (c + 6) % topics)
        } else {
            String::new()
        };
        let _ = writeln!(
            t,
            "[[consumer]]\nname = \"consumer-{c}\"\nsubscribe = [\"topic-{a}\", \"topic-{b}\"{third}]\ngroup = \"group-{}\"\nservice_ms = 0.5",
            c % 30
        );
    }
    t.push_str("[[variant]]\nname = \"kafka\"\nshape = \"central-log\"\nbroker = \"kafka\"\nkafka = { partitions = 12, replication = 1 }\n");
    t
}

fn input(time: f64, pointer: Option<egui::Pos2>) -> egui::RawInput {
    let mut raw = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(W, H),
        )),
        time: Some(time),
        predicted_dt: 1.0 / 60.0,
        ..Default::default()
    };
    if let Some(p) = pointer {
        raw.events.push(egui::Event::PointerMoved(p));
    }
    raw
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let text = scenario();
    let s = parse_scenario("generated", &text).unwrap_or_else(|e| panic!("{e}"));
    let ctx = egui::Context::default();
    let mut app = BrokerLabApp::with_prefs(&ctx, Some((s, None)), Prefs::default());
    let mut frame = eframe::Frame::_new_kittest();
    app.session.seek(secs(3.0));
    let v = &app.session.sim().variants[0];
    let g = &v.topology.graph;
    let in_flight = v.snapshot().in_flight.len();
    println!(
        "scenario: {} nodes, {} edges, {} messages in flight at 3 s",
        g.node_count(),
        g.edge_count(),
        in_flight
    );

    let mut time = 0.0;
    let mut run = |app: &mut BrokerLabApp, pointer: Option<egui::Pos2>| -> f64 {
        time += 1.0 / 60.0;
        let t0 = Instant::now();
        let out = ctx.run_ui(input(time, pointer), |ui| {
            eframe::App::ui(app, ui, &mut frame)
        });
        let t1 = Instant::now();
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        std::hint::black_box(prims);
        if std::env::var_os("FRAME_SPLIT").is_some() {
            eprintln!(
                "run {:.2} ms, tessellate {:.2} ms",
                (t1 - t0).as_secs_f64() * 1e3,
                t1.elapsed().as_secs_f64() * 1e3
            );
        }
        t0.elapsed().as_secs_f64() * 1000.0
    };
    // Warm up: fonts, galleys, the first fit of the graph.
    for _ in 0..20 {
        run(&mut app, None);
    }
    let over_pane = Some(egui::pos2(400.0, 300.0));
    // For profiling: FRAME_PROFILE=N runs N frames over the pane and nothing else.
    if let Some(n) = std::env::var("FRAME_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let total: f64 = (0..n).map(|_| run(&mut app, over_pane)).sum();
        println!("{n} frames, mean {:.2} ms", total / n as f64);
        return;
    }
    let mut rows = Vec::new();
    for (name, pointer) in [
        ("pointer over the pane (egui_graphs)", over_pane),
        ("idle (pointer away)", None),
    ] {
        let mut ms: Vec<f64> = (0..120).map(|_| run(&mut app, pointer)).collect();
        let med = median(&mut ms);
        rows.push((name, med, ms[0], ms[ms.len() - 1]));
    }
    app.session.playing = true;
    app.session.speed = 1.0;
    let mut ms: Vec<f64> = (0..60).map(|_| run(&mut app, over_pane)).collect();
    let med = median(&mut ms);
    rows.push((
        "playing at 1x (simulation included)",
        med,
        ms[0],
        ms[ms.len() - 1],
    ));
    println!(
        "{:<40} {:>10} {:>10} {:>10} {:>12}",
        "frame (paused unless said)", "median ms", "min ms", "max ms", "vs 8 ms"
    );
    for (name, med, min, max) in rows {
        println!(
            "{name:<40} {med:>10.2} {min:>10.2} {max:>10.2} {:>11.2}x",
            med / 8.0
        );
    }
}
