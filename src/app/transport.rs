//! Transport controls: reset, step back, play/pause, step one event, step one second, speed and
//! the timeline. Every control has a key and a tooltip. Under the timeline, the scenario's
//! faults as bars on the same time axis: drag a bar to move its fault, an end to change when
//! it strikes or heals; right-click to remove it.
//!
//! ```text
//!   ⟲ ⏮ ▶ ⏭ +1 s | speed | t = 12.000 s / 60 s  ───────●───────────────────────
//!                                               [crash log-indexer]  ◆ add audit
//! ```

use super::i18n::tr;
use super::session::Session;
use crate::scenario::{secs, to_secs, Lang};
use crate::sim::params::{Edit, FaultEntry};
use eframe::egui::{self, Color32, Rect, Sense};

/// The controls; returns where the timeline was drawn (the fault bars share its time axis).
pub fn ui(ui: &mut egui::Ui, s: &mut Session, l: Lang) -> Rect {
    let mut timeline = Rect::NOTHING;
    ui.horizontal(|ui| {
        if ui
            .button("⟲")
            .on_hover_text(tr(l, "Reset to 0 s (R)"))
            .clicked()
        {
            s.reset();
        }
        if ui
            .add_enabled(s.can_step_back(), egui::Button::new("⏮"))
            .on_hover_text(tr(
                l,
                "Step back (←): exactly to where the last step started",
            ))
            .clicked()
        {
            s.step_back();
        }
        let at_end = s.now() >= s.duration();
        let (icon, tip) = if s.playing {
            ("⏸", tr(l, "Pause (Space)"))
        } else {
            ("▶", tr(l, "Play (Space)"))
        };
        if ui
            .add_enabled(!at_end || s.playing, egui::Button::new(icon))
            .on_hover_text(tip)
            .clicked()
        {
            s.playing = !s.playing;
        }
        if ui
            .add_enabled(!at_end, egui::Button::new("⏭"))
            .on_hover_text(tr(l, "Step to the next event (→)"))
            .clicked()
        {
            s.playing = false;
            s.step_event();
        }
        if ui
            .add_enabled(!at_end, egui::Button::new("+1 s"))
            .on_hover_text(tr(l, "Run one simulated second"))
            .clicked()
        {
            s.playing = false;
            s.step_seconds(1.0);
        }
        ui.separator();
        ui.label(tr(l, "Speed"));
        ui.add(
            egui::Slider::new(&mut s.speed, 0.1..=1000.0)
                .logarithmic(true)
                .suffix("×")
                .max_decimals(1),
        )
        .on_hover_text(tr(l, "Simulated seconds per real second (+ / −)"));
        ui.separator();
        let now = to_secs(s.now());
        let dur = to_secs(s.duration());
        ui.monospace(format!("t = {now:8.3} s / {dur:.0} s"))
            .on_hover_text(tr(l, "Simulated time"));
        if s.behind {
            ui.colored_label(ui.visuals().warn_fg_color, "⏱")
                .on_hover_text(tr(
                    l,
                    "The simulation cannot keep up with this speed: it runs as fast as it can",
                ));
        }
        let mut t = now;
        let width = ui.available_width().max(100.0);
        ui.spacing_mut().slider_width = width - 20.0;
        let r = ui
            .add(egui::Slider::new(&mut t, 0.0..=dur).show_value(false))
            .on_hover_text(tr(l, "Timeline: drag to any instant (exact re-simulation)"));
        if r.changed() {
            s.playing = false;
            s.seek(secs(t));
        }
        timeline = r.rect;
    });
    timeline
}

/// Which part of a fault bar the pointer holds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Grab {
    Whole,
    Start,
    End,
}

/// A fault bar being dragged: where it is now, in seconds.
#[derive(Clone, Copy, Debug)]
struct Drag {
    index: usize,
    grab: Grab,
    at_s: f64,
    until_s: Option<f64>,
}

/// The faults under the timeline, on its time axis; a move (on release, to a tenth of a
/// second) or a removal.
pub fn faults_ui(
    ui: &mut egui::Ui,
    faults: &[FaultEntry],
    timeline: Rect,
    duration_s: f64,
    now_s: f64,
    l: Lang,
) -> Option<Edit> {
    if faults.is_empty() || !timeline.is_positive() || duration_s <= 0.0 {
        return None;
    }
    let axis = Axis {
        // The slider's rail: its rect less the handle's radius at each end.
        rail: timeline.x_range().shrink(timeline.height() / 2.5),
        duration_s,
        right: ui.available_rect_before_wrap().right(),
    };
    let spans: Vec<(f32, f32)> = faults.iter().map(|f| extent(ui, &axis, f, l)).collect();
    let lanes = lanes(&spans);
    let n = lanes.iter().max().map_or(1, |m| m + 1);
    // Many faults at once (35 consumers offline from 0 s: 35 lanes) took the window's height
    // from the panes: past a few lanes they scroll.
    let most = (ui.ctx().content_rect().height() * 0.15 / LANE)
        .floor()
        .clamp(3.0, 8.0);
    if n as f32 > most {
        return egui::ScrollArea::vertical()
            .id_salt("fault-lanes")
            .max_height(most * LANE)
            .show(ui, |ui| bars_ui(ui, faults, &lanes, n, &axis, now_s, l))
            .inner;
    }
    bars_ui(ui, faults, &lanes, n, &axis, now_s, l)
}

/// The `n` lanes of bars, each fault in its lane, and the playhead across them.
fn bars_ui(
    ui: &mut egui::Ui,
    faults: &[FaultEntry],
    lanes: &[usize],
    n: usize,
    axis: &Axis,
    now_s: f64,
    l: Lang,
) -> Option<Edit> {
    let size = egui::vec2(ui.available_width(), LANE * n as f32);
    let (row, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(row.expand2(egui::vec2(0.0, 1.0)));
    painter.text(
        egui::pos2(axis.rail.min - 8.0, row.center().y),
        egui::Align2::RIGHT_CENTER,
        tr(l, "faults"),
        egui::FontId::proportional(11.0),
        ui.visuals().weak_text_color(),
    );
    let id = ui.id().with("fault-drag");
    let mut drag: Option<Drag> = ui.data(|d| d.get_temp(id));
    let mut out = None;
    for (f, &lane) in faults.iter().zip(lanes) {
        let top = row.top() + LANE * lane as f32;
        if let Some(e) = bar_ui(ui, &painter, axis, top, f, &mut drag, l) {
            out = Some(e);
        }
    }
    let now = (1.0, ui.visuals().text_color().gamma_multiply(0.5));
    painter.vline(axis.x(now_s), row.y_range(), now);
    ui.data_mut(|d| match drag {
        Some(v) => {
            d.insert_temp(id, v);
        }
        None => d.remove::<Drag>(id),
    });
    out
}

/// Height of a lane of fault bars.
const LANE: f32 = 16.0;
/// Half the height of a bar, 2 points from each edge of its lane: a diamond's radius.
const HALF_BAR: f32 = (LANE - 4.0) / 2.0;

/// The timeline's time axis on screen.
struct Axis {
    rail: egui::Rangef,
    duration_s: f64,
    /// The right end of the row of bars: no name is written past it.
    right: f32,
}

impl Axis {
    fn x(&self, t: f64) -> f32 {
        self.rail.min + self.rail.span() * (t / self.duration_s).clamp(0.0, 1.0) as f32
    }
    fn seconds_per_point(&self) -> f64 {
        self.duration_s / f64::from(self.rail.span().max(1.0))
    }
}

/// One fault's bar in its lane: drawn where it is (or is being dragged to), dragged by its
/// body or an end, removed from its context menu.
fn bar_ui(
    ui: &mut egui::Ui,
    painter: &egui::Painter,
    axis: &Axis,
    top: f32,
    f: &FaultEntry,
    drag: &mut Option<Drag>,
    l: Lang,
) -> Option<Edit> {
    let (at, until) = match drag.filter(|d| d.index == f.index) {
        Some(d) => (d.at_s, d.until_s),
        None => (f.at_s, f.until_s),
    };
    let x0 = axis.x(at);
    let x1 = until.map_or(x0 + 10.0, |u| axis.x(u).max(x0 + 6.0));
    let bar = Rect::from_min_max(egui::pos2(x0, top + 2.0), egui::pos2(x1, top + LANE - 2.0));
    let r = ui
        .interact(
            bar,
            ui.id().with(("fault-bar", f.index)),
            Sense::click_and_drag(),
        )
        .on_hover_text(fault_tip(f, l));
    let hot = r.hovered() || r.dragged();
    paint_bar(painter, bar, f, until.is_some(), axis.right, hot, l);
    let near = |x: f32| {
        r.interact_pointer_pos()
            .or(r.hover_pos())
            .is_some_and(|p| (p.x - x).abs() < 5.0)
    };
    if hot {
        let ends = until.is_some() && (near(x0) || near(x1));
        ui.ctx().set_cursor_icon(if ends {
            egui::CursorIcon::ResizeHorizontal
        } else {
            egui::CursorIcon::Grab
        });
    }
    if r.drag_started() {
        let grab = match until {
            Some(_) if near(x0) => Grab::Start,
            Some(_) if near(x1) => Grab::End,
            _ => Grab::Whole,
        };
        *drag = Some(Drag {
            index: f.index,
            grab,
            at_s: f.at_s,
            until_s: f.until_s,
        });
    }
    if let Some(d) = drag.as_mut().filter(|d| d.index == f.index && r.dragged()) {
        let dt = f64::from(r.drag_delta().x) * axis.seconds_per_point();
        moved(d, dt, axis.duration_s);
    }
    let mut out = None;
    if r.drag_stopped() {
        if let Some(d) = drag.take().filter(|d| d.index == f.index) {
            out = release(f, &d);
        }
    }
    r.context_menu(|ui| {
        if ui.button(tr(l, "Remove this fault")).clicked() {
            out = Some(Edit::RemoveFault(f.index));
            ui.close();
        }
    });
    out
}

/// Move the held part of a dragged bar by `dt` seconds, within the run and keeping it whole.
/// A file may hold a fault that ends after the run or lasts longer than it: the lower bound
/// wins then (`f64::clamp` would panic).
fn moved(d: &mut Drag, dt: f64, duration_s: f64) {
    let within = |x: f64, lo: f64, hi: f64| x.min(hi).max(lo);
    match d.grab {
        Grab::Whole => {
            let len = d.until_s.map_or(0.0, |u| u - d.at_s);
            d.at_s = within(d.at_s + dt, 0.0, duration_s - len);
            d.until_s = d.until_s.map(|_| d.at_s + len);
        }
        Grab::Start => {
            let limit = d.until_s.unwrap_or(duration_s) - 0.1;
            d.at_s = within(d.at_s + dt, 0.0, limit);
        }
        Grab::End => {
            d.until_s = d.until_s.map(|u| within(u + dt, d.at_s + 0.1, duration_s));
        }
    }
}

/// The move a released drag makes, to a tenth of a second; None if it stayed put.
fn release(f: &FaultEntry, d: &Drag) -> Option<Edit> {
    let tenth = |x: f64| (x * 10.0).round() / 10.0;
    let at_s = tenth(d.at_s);
    let until_s = d.until_s.map(tenth);
    (at_s != f.at_s || until_s != f.until_s).then_some(Edit::MoveFault {
        index: f.index,
        at_s,
        until_s,
    })
}

/// A lane per fault: the first where it overlaps no fault before it.
/// Each fault's lane: the first whose last bar and label end (with a gap) before this one's
/// bar starts, so that no label runs into the next bar.
fn lanes(spans: &[(f32, f32)]) -> Vec<usize> {
    const GAP: f32 = 4.0;
    let mut ends: Vec<f32> = Vec::new();
    spans
        .iter()
        .map(|&(start, end)| {
            let lane = ends
                .iter()
                .position(|&e| e + GAP <= start)
                .unwrap_or(ends.len());
            if lane == ends.len() {
                ends.push(end);
            } else {
                ends[lane] = end;
            }
            lane
        })
        .collect()
}

/// Where a fault's bar starts and where its bar or its label ends on screen (as `bar_ui` and
/// `paint_bar` place them).
fn extent(ui: &egui::Ui, axis: &Axis, f: &FaultEntry, l: Lang) -> (f32, f32) {
    let x0 = axis.x(f.at_s);
    let x1 = f.until_s.map_or(x0 + 10.0, |u| axis.x(u).max(x0 + 6.0));
    let width = ui.fonts_mut(|fonts| {
        fonts
            .layout_no_wrap(
                bar_name(f, l),
                egui::FontId::proportional(10.0),
                Color32::BLACK,
            )
            .size()
            .x
    });
    let heals = f.until_s.is_some();
    let (left, _) = name_at(x0, x1, heals, width, axis.right);
    let end = if heals { x1 } else { x0 + HALF_BAR };
    ((x0 - HALF_BAR).min(left), end.max(left + width))
}

/// Where a bar's name starts, and whether inside the bar: inside when it fits, else after the
/// bar (or the diamond of a fault that does not heal), else, where that would run past `right`
/// (a fault near the end of the run), before it.
fn name_at(x0: f32, x1: f32, heals: bool, width: f32, right: f32) -> (f32, bool) {
    if heals && width + 6.0 <= x1 - x0 {
        return (x0 + 3.0, true);
    }
    let gap = if heals { 3.0 } else { HALF_BAR + 2.0 };
    let after = if heals { x1 + gap } else { x0 + gap };
    if after + width <= right {
        (after, false)
    } else {
        (x0 - gap - width, false)
    }
}

/// The name written on or after a fault's bar.
fn bar_name(f: &FaultEntry, l: Lang) -> String {
    format!(
        "{} {}",
        fault_kind(&f.kind, true, l),
        f.target.as_deref().unwrap_or("")
    )
}

fn fault_tip(f: &FaultEntry, l: Lang) -> String {
    let target = f.target.as_deref().unwrap_or_else(|| tr(l, "every broker"));
    let when = match f.until_s {
        Some(u) => format!("{:.1} s → {u:.1} s", f.at_s),
        None => format!("{:.1} s", f.at_s),
    };
    format!(
        "{} {target}: {when}\n{}",
        fault_kind(&f.kind, false, l),
        tr(l, "Drag to move it, drag an end to change when it strikes or heals; right-click to remove it")
    )
}

/// A bar (or, for a fault that does not heal, a diamond) coloured by kind, named where
/// [`name_at`] says; `right` is the row's end.
fn paint_bar(
    p: &egui::Painter,
    bar: Rect,
    f: &FaultEntry,
    heals: bool,
    right: f32,
    hot: bool,
    l: Lang,
) {
    let color = match f.kind.as_str() {
        "consumer-offline" => Color32::from_rgb(255, 167, 38),
        "consumer-crash" => Color32::from_rgb(239, 83, 80),
        "consumer-slow" => Color32::from_rgb(255, 213, 79),
        "broker-crash" => Color32::from_rgb(171, 71, 188),
        "link-down" => Color32::from_rgb(66, 165, 245),
        _ => Color32::from_rgb(102, 187, 106),
    };
    let fill = if hot {
        color
    } else {
        color.gamma_multiply(0.75)
    };
    if heals {
        p.rect_filled(bar, 3.0, fill);
    } else {
        let c = egui::pos2(bar.left(), bar.center().y);
        let r = bar.height() / 2.0;
        let diamond = vec![
            c + egui::vec2(0.0, -r),
            c + egui::vec2(r, 0.0),
            c + egui::vec2(0.0, r),
            c + egui::vec2(-r, 0.0),
        ];
        p.add(egui::Shape::convex_polygon(
            diamond,
            fill,
            egui::Stroke::NONE,
        ));
    }
    let galley = p.layout_no_wrap(
        bar_name(f, l),
        egui::FontId::proportional(10.0),
        Color32::BLACK,
    );
    // Inside the bar in black, else beside it in the bar's colour.
    let (left, inside) = name_at(bar.left(), bar.right(), heals, galley.size().x, right);
    let color = if inside { Color32::BLACK } else { fill };
    let pos = egui::pos2(left, bar.center().y - galley.size().y / 2.0);
    p.galley_with_override_text_color(pos, galley, color);
}

/// A fault's kind in the language `l`, long (tips, the inspector) or short (the timeline's
/// bars). In English the long name is the file's own word (`consumer-crash`).
pub(super) fn fault_kind(kind: &str, short: bool, l: Lang) -> &str {
    match (kind, short) {
        ("consumer-offline", false) => tr(l, "consumer-offline"),
        ("consumer-offline", true) => tr(l, "offline"),
        ("consumer-crash", false) => tr(l, "consumer-crash"),
        ("consumer-crash", true) => tr(l, "crash"),
        ("consumer-slow", false) => tr(l, "consumer-slow"),
        ("consumer-slow", true) => tr(l, "slow"),
        ("broker-crash", false) => tr(l, "broker-crash"),
        ("broker-crash", true) => tr(l, "broker crash"),
        ("link-down", false) => tr(l, "link-down"),
        ("link-down", true) => tr(l, "link down"),
        ("add-consumer", false) => tr(l, "add-consumer"),
        ("add-consumer", true) => tr(l, "add"),
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{fault_kind, lanes, moved, name_at, Drag, Grab};
    use crate::scenario::{FaultKind, Lang};

    #[test]
    fn a_bar_longer_than_the_run_or_past_its_end_moves_without_a_panic() {
        let drag = |grab, at_s, until_s| Drag {
            index: 0,
            grab,
            at_s,
            until_s,
        };
        // 0 to 100 s in a 60 s run: held whole, it stays at 0 and keeps its length.
        let mut d = drag(Grab::Whole, 0.0, Some(100.0));
        moved(&mut d, 5.0, 60.0);
        assert_eq!((d.at_s, d.until_s), (0.0, Some(100.0)));
        // A fault of 0.05 s: its start cannot go before 0.
        let mut d = drag(Grab::Start, 0.0, Some(0.05));
        moved(&mut d, 1.0, 60.0);
        assert_eq!(d.at_s, 0.0);
        // Starting 0.05 s before the end: its end stays 0.1 s after its start.
        let mut d = drag(Grab::End, 59.95, Some(59.99));
        moved(&mut d, -1.0, 60.0);
        assert_eq!(d.until_s, Some(59.95 + 0.1));
        // Inside the run, a move is a move.
        let mut d = drag(Grab::Whole, 10.0, Some(20.0));
        moved(&mut d, 5.0, 60.0);
        assert_eq!((d.at_s, d.until_s), (15.0, Some(25.0)));
    }

    #[test]
    fn a_name_goes_inside_its_bar_after_it_or_before_it_at_the_end_of_the_row() {
        // A bar from 100 to 200: a 40-point name fits inside.
        assert_eq!(name_at(100.0, 200.0, true, 40.0, 1000.0), (103.0, true));
        // A short bar: after it.
        assert_eq!(name_at(100.0, 110.0, true, 40.0, 1000.0), (113.0, false));
        // After it would pass the row's end at 140: before it, ending 3 points from its start.
        assert_eq!(name_at(100.0, 110.0, true, 40.0, 140.0), (57.0, false));
        // A diamond (a fault that does not heal) at 100: after its point, or before it.
        assert_eq!(name_at(100.0, 110.0, false, 40.0, 1000.0), (108.0, false));
        assert_eq!(name_at(100.0, 110.0, false, 40.0, 120.0), (52.0, false));
    }

    #[test]
    fn every_fault_kind_has_a_long_and_a_short_name_in_each_language() {
        for k in FaultKind::ALL {
            let kind = k.name();
            // English: the file's own word, and a shorter one for the bars.
            assert_eq!(fault_kind(kind, false, Lang::En), kind);
            let short = fault_kind(kind, true, Lang::En);
            assert!(
                short.len() <= kind.len() && short != kind,
                "{kind}: {short}"
            );
            // Korean: Hangul, long and short, never the English word.
            for brief in [false, true] {
                let ko = fault_kind(kind, brief, Lang::Ko);
                assert!(
                    ko.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
                    "{kind} ({brief}): {ko}"
                );
            }
        }
        // A kind the app does not know is shown as it is.
        assert_eq!(fault_kind("meteor", true, Lang::Ko), "meteor");
    }

    #[test]
    fn a_label_that_would_run_into_the_next_bar_moves_that_bar_to_a_lane_below() {
        // A crash bar whose label ends at 160 and a diamond at 150: they would overlap.
        assert_eq!(lanes(&[(100.0, 160.0), (150.0, 200.0)]), [0, 1]);
        // With room between them (and the 4-point gap), one lane.
        assert_eq!(lanes(&[(100.0, 140.0), (150.0, 200.0)]), [0, 0]);
        // A third fits back in the first lane once it is free.
        assert_eq!(
            lanes(&[(100.0, 160.0), (150.0, 200.0), (170.0, 180.0)]),
            [0, 1, 0]
        );
    }
}
