//! Follow one message: the learner clicks a dot (or picks a message in the inspector) and its
//! life in every variant shows at once, here as one lane per variant on a shared time axis,
//! in the panes as its path lit up. The trace comes from `sim` (the tape re-simulated from its
//! last checkpoint before the message, on a thread); nothing here decides what happened.
//!
//! ```text
//!  #5002 web-1 → metrics, key 5 · 200 B · made at 25.166 s    ◀ Shift+N   N ▶   Stop following
//!  redis-pubsub  │●●●✕──●─●                          │ metric-servers-a lost (subscriber-offline)
//!  kafka         │●●●●─●─●                ●─●─────● │ metric-servers-a delivered · ...
//!                +0    +1 ms   +10 ms   +100 ms   +1 s   +10 s      (log scale)     ▲ now
//! ```
//!
//! The axis is the time since the message was made, on a log scale: its first hops take
//! milliseconds, a consumer that was away takes seconds, and both stay readable.

use super::i18n::tr;
use super::session::Session;
use crate::engine::{MsgId, Note, Processed, Step};
use crate::metrics::LossReason;
use crate::scenario::{millis, to_secs, Lang, Nanos, Scenario};
use crate::sim::trace::{Fate, MessageTrace, TraceError, TraceRow, VariantTrace};
use eframe::egui::{self, Color32, Pos2, Rect, Stroke, Vec2};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;

/// The colour of a followed message's path, in the panes and here.
pub const TRACE_COLOR: Color32 = Color32::from_rgb(255, 90, 255);

/// What the trace was computed for: a new command on the tape changes the message's future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Made {
    msg: MsgId,
    commands: usize,
    scenario: *const Scenario,
}

/// The trace as a small state machine: computing on a thread, ready, or failed.
#[derive(Default)]
enum State {
    #[default]
    None,
    InProgress {
        made: Made,
        rx: Receiver<Result<MessageTrace, TraceError>>,
    },
    Finished {
        made: Made,
        trace: Arc<MessageTrace>,
    },
    Failed {
        made: Made,
        error: TraceError,
    },
}

/// The message followed and its trace.
#[derive(Default)]
pub struct Follow {
    state: State,
    /// Set to stop the computation under way (another message followed, or none).
    cancel: Arc<AtomicBool>,
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

const LANE_H: f32 = 24.0;
const NAME_W: f32 = 170.0;
const OUTCOME_W: f32 = 330.0;
const AXIS_H: f32 = 18.0;
/// Room the header's three buttons take (the longest labels, English).
const BUTTONS_W: f32 = 360.0;
/// The same buttons as their arrows and ■.
const BUTTONS_NARROW_W: f32 = 110.0;
/// Room above the lanes for the playhead's time.
const TOP_H: f32 = 12.0;

impl Follow {
    /// Follow message `m` of the session's run (computed on a thread; see [`Follow::poll`]).
    pub fn follow(&mut self, m: MsgId, s: &Session, ctx: &egui::Context) {
        let made = made(s, m);
        let job = s.tape.trace_job(m);
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        // The one under way is of no use now: it stops within 1/256 of the run.
        self.cancel.store(true, Ordering::Relaxed);
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Arc::clone(&cancel);
        std::thread::spawn(move || {
            if let Some(trace) = job.run(&*cancel) {
                // The receiver may be gone (the learner followed another one).
                let _ = tx.send(trace);
                ctx.request_repaint();
            }
        });
        self.state = State::InProgress { made, rx };
    }

    /// The height of the panel that shows it with `lanes` lanes: its header, and the lanes
    /// once the trace is in (0 when nothing is followed).
    #[must_use]
    pub fn height(&self, lanes: usize) -> f32 {
        /// The header's row and the panel's margins.
        const HEADER_H: f32 = 30.0;
        match &self.state {
            State::None => 0.0,
            State::InProgress { .. } | State::Failed { .. } => HEADER_H,
            #[allow(clippy::cast_precision_loss)]
            State::Finished { .. } => HEADER_H + TOP_H + lanes as f32 * LANE_H + AXIS_H,
        }
    }

    /// Stop following (and computing).
    pub fn stop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.state = State::None;
    }

    /// The message followed, if any.
    #[must_use]
    pub fn message(&self) -> Option<MsgId> {
        match &self.state {
            State::None => None,
            State::InProgress { made, .. }
            | State::Finished { made, .. }
            | State::Failed { made, .. } => Some(made.msg),
        }
    }

    /// The trace, once computed.
    #[must_use]
    pub fn trace(&self) -> Option<&Arc<MessageTrace>> {
        match &self.state {
            State::Finished { trace, .. } => Some(trace),
            _ => None,
        }
    }

    /// Take a finished computation; start again if the tape got a new command since (the
    /// message's future changed). Repaints while computing.
    pub fn poll(&mut self, s: &Session, ctx: &egui::Context) {
        if let Some(m) = self.message() {
            let stale = match &self.state {
                State::InProgress { made, .. }
                | State::Finished { made, .. }
                | State::Failed { made, .. } => *made != self::made(s, m),
                State::None => false,
            };
            if stale {
                self.follow(m, s, ctx);
            }
        }
        let State::InProgress { made, rx } = &self.state else {
            return;
        };
        let made = *made;
        match rx.try_recv() {
            Ok(Ok(trace)) => {
                self.state = State::Finished {
                    made,
                    trace: Arc::new(trace),
                };
            }
            Ok(Err(e)) => {
                self.state = State::Failed { made, error: e };
            }
            Err(mpsc::TryRecvError::Empty) => ctx.request_repaint(),
            Err(mpsc::TryRecvError::Disconnected) => self.state = State::None,
        }
    }

    /// Move the playhead to the followed message's next event (`forward`) or previous one in
    /// the lanes `shown` (the panes on show, as [`Self::ui`] takes them): where nothing on
    /// the screen happens is no stop.
    pub fn step(&self, s: &mut Session, shown: &[usize], forward: bool) {
        let Some(t) = self.trace() else { return };
        let of: Vec<usize> = shown
            .iter()
            .filter_map(|&i| s.sim().variants.get(i).map(|v| v.index))
            .collect();
        let now = s.now();
        let to = if forward {
            t.next_after(now, &of)
        } else {
            t.previous_before(now, &of)
        };
        if let Some(to) = to {
            s.playing = false;
            s.seek(to);
        }
    }

    /// The panel: a header, a lane per variant shown, the axis.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &mut Session, shown: &[usize], l: Lang) {
        match &self.state {
            State::None => {}
            State::InProgress { made, .. } => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("{} #{}…", tr(l, "Following message"), made.msg));
                });
            }
            State::Failed { error, .. } => {
                let error = said(error, l);
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                    if ui.button(tr(l, "Close")).clicked() {
                        self.stop();
                    }
                });
            }
            State::Finished { trace, .. } => {
                let trace = Arc::clone(trace);
                if self.header_ui(ui, s, &trace, shown, l) {
                    self.stop();
                    return;
                }
                lanes_ui(ui, s, &trace, shown, l);
            }
        }
    }

    /// What the message is, the step buttons and the close button; true when closed.
    fn header_ui(
        &self,
        ui: &mut egui::Ui,
        s: &mut Session,
        t: &MessageTrace,
        shown: &[usize],
        l: Lang,
    ) -> bool {
        let m = &t.message;
        let mut closed = false;
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("●").color(TRACE_COLOR));
            let key = m.key.map(|k| format!(", key {k}")).unwrap_or_default();
            let text = format!(
                "{} #{}: {} → {}{key} · {} B · {} {:.3} s",
                tr(l, "Message"),
                m.id,
                m.producer,
                m.topic,
                m.size_bytes,
                tr(l, "made at"),
                m.created_s
            );
            // The buttons keep their room in a narrow window: the text gives way (…, whole on
            // hover), and where even the buttons' words do not fit (a lesson beside the panes
            // at 1000 points) they are their arrows and ■, their words on hover.
            let narrow = ui.available_width() < BUTTONS_W + 80.0;
            let buttons_w = if narrow { BUTTONS_NARROW_W } else { BUTTONS_W };
            let room = (ui.available_width() - buttons_w).max(40.0);
            ui.scope(|ui| {
                ui.set_max_width(room);
                ui.add(egui::Label::new(egui::RichText::new(&text).strong()).truncate())
                    .on_hover_text(&text);
            });
            // The words below say how many a trace keeps.
            const _: () = assert!(crate::engine::MAX_WATCHED_EVENTS == 100_000);
            let not_kept: u64 = t.variants.iter().map(|v| v.events_not_kept).sum();
            if not_kept > 0 {
                let why = format!(
                    "{not_kept} {}",
                    tr(l, "more events not kept: a trace keeps each variant's first 100,000 and then what decides each group's outcome")
                );
                ui.colored_label(ui.visuals().warn_fg_color, "⚠")
                    .on_hover_text(why);
            }
            ui.separator();
            let word = |full: String, short: &str| if narrow { short.to_owned() } else { full };
            if ui
                .button(word(format!("◀ {}", tr(l, "previous event")), "◀"))
                .on_hover_text(tr(l, "The followed message's previous event (Shift+N)"))
                .clicked()
            {
                self.step(s, shown, false);
            }
            if ui
                .button(word(format!("{} ▶", tr(l, "next event")), "▶"))
                .on_hover_text(tr(l, "The followed message's next event (N)"))
                .clicked()
            {
                self.step(s, shown, true);
            }
            closed = ui
                .button(word(tr(l, "Stop following").to_owned(), "■"))
                .on_hover_text(tr(l, "Stop following this message"))
                .clicked();
        });
        closed
    }
}

fn made(s: &Session, msg: MsgId) -> Made {
    Made {
        msg,
        commands: s.tape.commands().len(),
        scenario: Arc::as_ptr(s.scenario()),
    }
}

/// The time since the message was made, on a log scale from 0 to `span`, as a fraction.
#[derive(Clone, Copy)]
struct Axis {
    created: Nanos,
    span: Nanos,
}

impl Axis {
    fn of(t: &MessageTrace) -> Axis {
        let last = t
            .variants
            .iter()
            .flat_map(|v| v.events.iter().map(|e| e.time))
            .max()
            .unwrap_or(t.message.created);
        Axis {
            created: t.message.created,
            span: last.saturating_sub(t.message.created).max(millis(10.0)),
        }
    }
    /// 0..1 for a time from creation to the last event (clamped).
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    fn frac(self, t: Nanos) -> f32 {
        let ms = |n: Nanos| n as f64 / 1e6;
        let d = ms(t.saturating_sub(self.created));
        ((1.0 + d).ln() / (1.0 + ms(self.span)).ln()).clamp(0.0, 1.0) as f32
    }
}

/// Why a message cannot be followed, in the app's words (the command line's name `--message`).
fn said(e: &TraceError, l: Lang) -> String {
    match e {
        TraceError::OutOfRange { id, produced, .. } => tr(
            l,
            "Message #{id} is not in this run: it produces {n} messages, numbered from 0.",
        )
        .replace("{id}", &id.to_string())
        .replace("{n}", &produced.to_string()),
        TraceError::Scenario(e) => e.to_string(),
    }
}

/// The widths of the lane names (`names`: what the widest needs, at most 170 points and 2/5
/// of `width`) and of the outcomes beside a plot in `width`: the outcomes as wide as they like
/// (330) while the plot keeps 200 points, and half of what the names leave at least (the
/// lesson panel and the inspector left less than 500 points at 1000, and the plot's width went
/// below zero: names and outcomes were drawn over each other).
fn columns(width: f32, names: f32) -> (f32, f32) {
    let name_w = names.min(NAME_W).min(width * 0.4);
    let rest = width - name_w;
    let outcome_w = (rest - 200.0).min(OUTCOME_W).max(rest / 2.0);
    (name_w, outcome_w)
}

/// One lane per variant shown (in pane order), the axis under them, the playhead over them.
fn lanes_ui(ui: &mut egui::Ui, s: &mut Session, t: &MessageTrace, shown: &[usize], l: Lang) {
    let lanes: Vec<&VariantTrace> = shown
        .iter()
        .filter_map(|&i| s.sim().variants.get(i))
        .filter_map(|v| t.variants.iter().find(|x| x.variant == v.index))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let height = TOP_H + lanes.len() as f32 * LANE_H + AXIS_H;
    let (rect, resp) = ui.allocate_exact_size(
        Vec2::new(ui.available_width(), height),
        egui::Sense::click(),
    );
    let axis = Axis::of(t);
    let name_font = egui::FontId::proportional(13.0);
    let widest = lanes
        .iter()
        .map(|v| {
            ui.fonts_mut(|f| f.layout_no_wrap(v.name.clone(), name_font.clone(), Color32::WHITE))
                .size()
                .x
        })
        .fold(0.0, f32::max);
    let (name_w, outcome_w) = columns(rect.width(), widest + 16.0);
    let plot = Rect::from_min_max(
        Pos2::new(rect.min.x + name_w, rect.min.y + TOP_H),
        Pos2::new(rect.max.x - outcome_w, rect.max.y - AXIS_H),
    );
    let x = |time: Nanos| plot.min.x + plot.width() * axis.frac(time);
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals().clone();
    let mut hovered: Vec<(&str, &TraceRow)> = Vec::new();
    let pointer = resp.hover_pos();
    for (k, v) in lanes.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = plot.min.y + LANE_H * (k as f32 + 0.5);
        lane_paint(
            &painter,
            &visuals,
            v,
            y,
            (plot.min.x, plot.max.x),
            &x,
            name_w,
        );
        let outcome = Rect::from_min_max(
            Pos2::new(plot.max.x + 8.0, y - LANE_H / 2.0),
            Pos2::new(rect.max.x, y + LANE_H / 2.0),
        );
        outcome_paint(&painter.with_clip_rect(outcome), &visuals, v, outcome, l);
        for e in &v.events {
            let at = Pos2::new(x(e.time), y);
            if pointer.is_some_and(|p| (p - at).length() < 6.0) {
                hovered.push((&v.name, e));
            }
        }
    }
    axis_paint(&painter, &visuals, axis, plot, &x);
    playhead_paint(&painter, axis, plot, s.now(), &x);
    if let Some(p) = pointer.filter(|_| !hovered.is_empty()) {
        egui::Tooltip::always_open(ui.ctx().clone(), ui.layer_id(), resp.id, p).show(|ui| {
            for (name, e) in &hovered {
                ui.monospace(event_line(name, e));
            }
            ui.weak(tr(l, "Click to move the playhead there"));
        });
    }
    if resp.clicked() {
        if let Some((_, e)) = hovered.first() {
            s.playing = false;
            s.seek(e.time);
        }
    }
}

/// An event in one line: time, where, what, for whom, detail.
fn event_line(variant: &str, e: &TraceRow) -> String {
    let whom = match (&e.group, &e.consumer) {
        (Some(g), Some(c)) => format!(" {g}/{c}"),
        (Some(g), None) => format!(" {g}"),
        (None, Some(c)) => format!(" {c}"),
        (None, None) => String::new(),
    };
    let detail = e
        .detail
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    format!(
        "{variant} {:.6} s  {} {}{whom}{detail}",
        e.t_s, e.at, e.what
    )
}

/// The colour an event is drawn in: where it moves on, green when processed, red when lost.
fn event_color(step: Step, visuals: &egui::Visuals) -> Color32 {
    match step {
        Step::Processed(Processed::First) => Color32::from_rgb(102, 187, 106),
        Step::Processed(Processed::Duplicate) => Color32::from_rgb(255, 167, 38),
        Step::Processed(_) => Color32::from_rgb(38, 198, 218),
        Step::Lost(_) => Color32::from_rgb(230, 40, 40),
        Step::Noted(Note::Stored | Note::Requeued | Note::Held) => Color32::from_rgb(255, 193, 7),
        Step::Acked { .. } | Step::Noted(Note::Removed) => visuals.weak_text_color(),
        _ => TRACE_COLOR,
    }
}

/// A lane: the variant's name, a line from the first event to the last, a mark per event (a
/// cross for a loss).
fn lane_paint(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    v: &VariantTrace,
    y: f32,
    (left, right): (f32, f32),
    x: &dyn Fn(Nanos) -> f32,
    name_w: f32,
) {
    // Right-aligned before the lane, cut with … where its column ends.
    let mut job = egui::text::LayoutJob::simple_singleline(
        v.name.clone(),
        egui::FontId::proportional(13.0),
        visuals.text_color(),
    );
    job.wrap = egui::text::TextWrapping::truncate_at_width((name_w - 12.0).max(8.0));
    let name = painter.layout_job(job);
    let at = Pos2::new(left - 8.0 - name.size().x, y - name.size().y / 2.0);
    painter.galley(at, name, visuals.text_color());
    let faint = visuals.weak_text_color().gamma_multiply(0.5);
    painter.line_segment(
        [Pos2::new(left, y), Pos2::new(right, y)],
        Stroke::new(1.0, faint),
    );
    if let (Some(a), Some(b)) = (v.events.first(), v.events.last()) {
        painter.line_segment(
            [Pos2::new(x(a.time), y), Pos2::new(x(b.time), y)],
            Stroke::new(2.0, TRACE_COLOR.gamma_multiply(0.6)),
        );
    }
    for e in &v.events {
        let c = Pos2::new(x(e.time), y);
        let color = event_color(e.step, visuals);
        if matches!(e.step, Step::Lost(_)) {
            cross(painter, c, 5.0, color);
        } else {
            painter.circle_filled(c, 3.5, color);
        }
    }
}

/// An ✕ of half size `r` at `c`.
pub fn cross(painter: &egui::Painter, c: Pos2, r: f32, color: Color32) {
    let s = Stroke::new(2.5, color);
    painter.line_segment([c + Vec2::new(-r, -r), c + Vec2::new(r, r)], s);
    painter.line_segment([c + Vec2::new(-r, r), c + Vec2::new(r, -r)], s);
}

/// Each group's outcome at the lane's right end: delivered in green, lost in red with why.
fn outcome_paint(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    v: &VariantTrace,
    room: Rect,
    l: Lang,
) {
    // One line, cut with … where the room ends (the lane's tooltip and the inspector say it
    // all).
    let mut job = egui::text::LayoutJob {
        wrap: egui::text::TextWrapping::truncate_at_width(room.width()),
        ..egui::text::LayoutJob::default()
    };
    let font = egui::FontId::proportional(12.0);
    for (i, o) in v.outcome.iter().enumerate() {
        let (word, color) = match o.state {
            Fate::Delivered => (tr(l, "delivered"), Color32::from_rgb(102, 187, 106)),
            Fate::Lost => (tr(l, "lost"), Color32::from_rgb(230, 60, 60)),
            Fate::Pending => (tr(l, "pending"), visuals.warn_fg_color),
        };
        let sep = if i == 0 { "" } else { " · " };
        let plain = egui::TextFormat::simple(font.clone(), visuals.text_color());
        job.append(&format!("{sep}{} ", o.group), 0.0, plain);
        // The reason in the learner's language, as the inspector beside it says it.
        let why = o
            .reason
            .as_deref()
            .map(|r| {
                let shown =
                    LossReason::from_name(r).map_or(r, |x| crate::report::reason_label(x, l));
                format!(" ({shown})")
            })
            .unwrap_or_default();
        job.append(
            &format!("{word}{why}"),
            0.0,
            egui::TextFormat::simple(font.clone(), color),
        );
    }
    if v.outcome.is_empty() {
        let weak = egui::TextFormat::simple(font, visuals.weak_text_color());
        job.append(tr(l, "no group expected it"), 0.0, weak);
    }
    let galley = painter.layout_job(job);
    painter.galley(
        Pos2::new(room.min.x, room.center().y - galley.size().y / 2.0),
        galley,
        visuals.text_color(),
    );
}

/// Ticks at +0, +1 ms, +10 ms, ... up to the span, under the lanes.
fn axis_paint(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    axis: Axis,
    plot: Rect,
    x: &dyn Fn(Nanos) -> f32,
) {
    let color = visuals.weak_text_color();
    painter.line_segment(
        [plot.left_bottom(), plot.right_bottom()],
        Stroke::new(1.0, color),
    );
    let ticks = [
        (0.0, "+0"),
        (1.0, "+1 ms"),
        (10.0, "+10 ms"),
        (100.0, "+100 ms"),
        (1_000.0, "+1 s"),
        (10_000.0, "+10 s"),
        (100_000.0, "+100 s"),
        (1_000_000.0, "+1000 s"),
    ];
    for (ms, label) in ticks {
        let t = axis.created.saturating_add(millis(ms));
        if t > axis.created.saturating_add(axis.span) {
            break;
        }
        let px = x(t);
        painter.line_segment(
            [Pos2::new(px, plot.max.y), Pos2::new(px, plot.max.y + 4.0)],
            Stroke::new(1.0, color),
        );
        painter.text(
            Pos2::new(px, plot.max.y + 4.0),
            egui::Align2::CENTER_TOP,
            label,
            egui::FontId::proportional(11.0),
            color,
        );
    }
}

/// Where the run is now, on the message's axis (at the left edge before it was made).
fn playhead_paint(
    painter: &egui::Painter,
    axis: Axis,
    plot: Rect,
    now: Nanos,
    x: &dyn Fn(Nanos) -> f32,
) {
    let px = x(now);
    let dashed = now < axis.created;
    let stroke = Stroke::new(1.5, Color32::from_rgb(255, 202, 40));
    let (top, bottom) = (Pos2::new(px, plot.min.y), Pos2::new(px, plot.max.y));
    if dashed {
        painter.extend(egui::Shape::dashed_line(&[top, bottom], stroke, 4.0, 3.0));
    } else {
        painter.line_segment([top, bottom], stroke);
    }
    painter.text(
        Pos2::new(px, plot.min.y),
        egui::Align2::CENTER_BOTTOM,
        format!("{:.3} s", to_secs(now)),
        egui::FontId::monospace(10.0),
        stroke.color,
    );
}
