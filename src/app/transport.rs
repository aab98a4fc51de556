//! Transport controls: reset, step back, play/pause, step one event, step one second, speed and
//! the timeline. Every control has a key and a tooltip.

use super::i18n::tr;
use super::session::Session;
use crate::scenario::{secs, to_secs, Lang};
use eframe::egui;

pub fn ui(ui: &mut egui::Ui, s: &mut Session, l: Lang) {
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
    });
}
