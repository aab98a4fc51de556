//! File > Import Mermaid… (or a `.md` dropped on the window): the flowcharts of study notes,
//! listed with their lines and sizes; the one picked becomes the loaded scenario, named
//! `NOTES.md#K`, the same scenario `brokerlab import NOTES.md --diagram K` writes.

use super::i18n::tr;
use crate::import::{Diagram, ImportError};
use crate::scenario::{Diagnostic, Diagnostics, Lang, Scenario};
use eframe::egui;
use std::path::Path;

/// The notes whose diagrams are listed, while the window is open.
#[derive(Default)]
pub struct Importer {
    notes: Option<Notes>,
}

struct Notes {
    file: String,
    markdown: String,
    /// Each flowchart, or its syntax error.
    diagrams: Vec<Result<Diagram, ImportError>>,
}

impl Importer {
    /// Read `path` and list its flowcharts in the window.
    ///
    /// # Errors
    /// The file cannot be read, or its only flowchart has a syntax error (with several, the
    /// window lists the broken ones with their error beside the others).
    pub fn open(&mut self, path: &Path) -> Result<(), Diagnostics> {
        let file = path.display().to_string();
        let markdown = match crate::scenario::read_file(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                let d = Diagnostic::point(1, 1, e);
                return Err(Diagnostics::new(&file, "".into(), vec![d]));
            }
        };
        let diagrams = crate::import::list_each(&file, &markdown);
        if let [Err(e)] = &diagrams[..] {
            return Err(e.clone().diagnostics(&markdown));
        }
        self.notes = Some(Notes {
            file,
            markdown,
            diagrams,
        });
        Ok(())
    }

    #[must_use]
    pub fn is_open(&self) -> bool {
        self.notes.is_some()
    }

    /// The window closes (the scenario it made is loaded, another replaced it, or Escape).
    pub fn close(&mut self) {
        self.notes = None;
    }

    /// Diagram `k` (1-based) of the open notes as a scenario, checked whole. The window stays
    /// until the scenario is loaded ([`Self::close`]): a diagram that makes none, or a load
    /// the learner cancels, leaves the list to pick another.
    ///
    /// # Errors
    /// The diagram makes no valid scenario (no producer, no consumer, ...).
    pub fn import(&mut self, k: usize) -> Option<Result<Scenario, Diagnostics>> {
        let notes = self.notes.as_ref()?;
        let made = crate::import::import(&notes.file, &notes.markdown, Some(k))
            .map_err(|e| e.diagnostics(&notes.markdown))
            .and_then(|toml| crate::lesson::parse(&format!("{}#{k}", notes.file), &toml));
        Some(made)
    }

    /// The window: each flowchart with an Import button. What was imported, if one was picked.
    /// Escape closes it, unless a question above it (`asked`) takes the key.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        l: Lang,
        asked: bool,
    ) -> Option<Result<Scenario, Diagnostics>> {
        let notes = self.notes.as_ref()?;
        let mut open = true;
        let mut picked = None;
        egui::Window::new(tr(l, "Import a Mermaid diagram"))
            .open(&mut open)
            .collapsible(false)
            .default_width(560.0)
            // In the middle: a diagram that cannot be imported says why in the panel at the top.
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .show(ctx, |ui| {
                ui.label(&notes.file);
                ui.label(tr(
                    l,
                    "The diagram's topology becomes the first variant; the other shapes run the same workload beside it.",
                ));
                ui.separator();
                if notes.diagrams.is_empty() {
                    ui.weak(tr(l, "No Mermaid flowchart (graph or flowchart) in this file"));
                }
                // As many as the notes hold: the window stays on the screen and scrolls.
                egui::ScrollArea::vertical()
                    .max_height(ctx.content_rect().height() * 0.6)
                    .show(ui, |ui| picked = diagrams_ui(ui, &notes.diagrams, l));
            });
        if !open || (!asked && ctx.input(|i| i.key_pressed(egui::Key::Escape))) {
            self.notes = None;
        }
        picked.and_then(|k| self.import(k))
    }
}

/// The table of flowcharts (a broken one with its error, and no Import); the index of the one
/// whose Import was clicked.
fn diagrams_ui(
    ui: &mut egui::Ui,
    diagrams: &[Result<Diagram, ImportError>],
    l: Lang,
) -> Option<usize> {
    let mut picked = None;
    egui::Grid::new("diagrams").striped(true).show(ui, |ui| {
        for h in [
            "#",
            tr(l, "line"),
            tr(l, "diagram"),
            tr(l, "nodes"),
            tr(l, "links"),
            tr(l, "heading"),
        ] {
            ui.strong(h);
        }
        ui.end_row();
        for (i, d) in diagrams.iter().enumerate() {
            let d = match d {
                Ok(d) => d,
                Err(e) => {
                    ui.label((i + 1).to_string());
                    ui.label(e.line.to_string());
                    ui.colored_label(ui.visuals().error_fg_color, tr(l, "syntax error"));
                    ui.label("");
                    ui.label("");
                    ui.label(format!("{}:{}: {}", e.line, e.col, e.message));
                    ui.end_row();
                    continue;
                }
            };
            ui.label(d.index.to_string());
            ui.label(d.line.to_string());
            ui.monospace(&d.kind);
            ui.label(d.nodes.to_string());
            ui.label(d.edges.to_string());
            ui.label(d.title.as_deref().unwrap_or(""));
            if ui
                .button(tr(l, "Import"))
                .on_hover_text(tr(l, "Load this diagram as the scenario"))
                .clicked()
            {
                picked = Some(d.index);
            }
            ui.end_row();
        }
    });
    picked
}
