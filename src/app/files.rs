//! Opening and saving scenario files (and study notes to import): a file dialog in plain egui
//! (no system dependency), a watch on the loaded file that reloads it when it changes on disk,
//! and atomic writes (a temporary file renamed over the old one).

use super::i18n::tr;
use crate::scenario::Lang;
use eframe::egui;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What the dialog picks: a scenario to load, or study notes whose Mermaid diagrams to import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    Scenario,
    Notes,
    /// Where to save the scenario (a new name, or a file to replace).
    SaveAs,
}

impl Pick {
    /// Files shown besides folders.
    fn extension(self) -> &'static str {
        match self {
            Pick::Scenario | Pick::SaveAs => ".toml",
            Pick::Notes => ".md",
        }
    }

    fn title(self, l: Lang) -> &'static str {
        match self {
            Pick::Scenario => tr(l, "Open a scenario"),
            Pick::Notes => tr(l, "Import a Mermaid diagram from study notes (.md)"),
            Pick::SaveAs => tr(l, "Save the scenario as"),
        }
    }

    fn hint(self, l: Lang) -> &'static str {
        match self {
            Pick::Scenario => tr(l, "A folder or a .toml file; Enter to go"),
            Pick::Notes => tr(l, "A folder or a .md file; Enter to go"),
            Pick::SaveAs => tr(l, "A .toml file to write; Enter or Save to write it"),
        }
    }

    fn nothing(self, l: Lang) -> &'static str {
        match self {
            Pick::Scenario | Pick::SaveAs => tr(l, "No folders or .toml files here"),
            Pick::Notes => tr(l, "No folders or .md files here"),
        }
    }
}

#[derive(Default)]
pub struct Files {
    dialog: Option<Dialog>,
    opened: Option<(PathBuf, Pick)>,
    watched: Option<PathBuf>,
    /// Set by the watcher thread when the file changed on disk.
    changed: Arc<AtomicBool>,
    /// Bumped at every new watch: an older watcher thread sees it and ends.
    generation: Arc<AtomicU64>,
}

struct Dialog {
    pick: Pick,
    dir: PathBuf,
    typed: String,
    entries: Vec<(String, bool)>,
    error: Option<String>,
}

impl Dialog {
    fn at(pick: Pick, dir: PathBuf) -> Dialog {
        let mut d = Dialog {
            pick,
            typed: dir.display().to_string(),
            dir,
            entries: Vec::new(),
            error: None,
        };
        d.list();
        d
    }

    /// To another folder; saving, the file name typed stays.
    fn go(&mut self, dir: PathBuf) {
        let name = Path::new(self.typed.trim()).file_name().map(PathBuf::from);
        *self = Dialog::at(self.pick, dir);
        if let Some(name) = name.filter(|_| self.pick == Pick::SaveAs) {
            self.typed = self.dir.join(name).display().to_string();
        }
    }

    fn list(&mut self) {
        self.entries.clear();
        match std::fs::read_dir(&self.dir) {
            Ok(rd) => {
                for e in rd.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                    if name.starts_with('.') {
                        continue;
                    }
                    if is_dir || name.ends_with(self.pick.extension()) {
                        self.entries.push((name, is_dir));
                    }
                }
                // Folders first, then files, each by name: stable on every platform.
                self.entries
                    .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                self.error = None;
            }
            Err(e) => self.error = Some(format!("{}: {e}", self.dir.display())),
        }
    }
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl Files {
    /// The dialog, for a scenario (in the loaded file's folder, or `scenarios/` here) or for
    /// study notes (here).
    pub fn open_dialog(&mut self, pick: Pick) {
        let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let start = match pick {
            // A file opened as `brokerlab open x.toml` has the parent "": this folder.
            Pick::Scenario | Pick::SaveAs => self
                .watched
                .as_ref()
                .and_then(|p| p.parent())
                .filter(|p| !p.as_os_str().is_empty())
                .map_or(here, Path::to_path_buf),
            Pick::Notes => here,
        };
        let scenarios = start.join("scenarios");
        let dir = if pick != Pick::Notes && scenarios.is_dir() {
            scenarios
        } else {
            start
        };
        self.dialog = Some(Dialog::at(pick, dir));
    }

    /// The dialog to save the scenario: in the loaded file's folder (or `scenarios/` here), the
    /// name field holding `name` (a `.toml` file name) in it.
    pub fn save_dialog(&mut self, name: &str) {
        self.open_dialog(Pick::SaveAs);
        if let Some(d) = &mut self.dialog {
            d.typed = free_name(&d.dir, name).display().to_string();
        }
    }

    /// The file dialog is showing.
    #[must_use]
    pub fn dialog_open(&self) -> bool {
        self.dialog.is_some()
    }

    /// A file was picked and waits for [`Files::take_opened`].
    #[must_use]
    pub fn pick_waiting(&self) -> bool {
        self.opened.is_some()
    }

    /// A file the learner picked in the dialog, and what for.
    pub fn take_opened(&mut self) -> Option<(PathBuf, Pick)> {
        self.opened.take()
    }

    /// Watch `path` for changes (polled once a second by a thread of its own, so that an idle
    /// window never wakes up for it); `None` stops watching.
    pub fn watch(&mut self, ctx: &egui::Context, path: Option<&Path>) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.changed.store(false, Ordering::SeqCst);
        self.watched = path.map(Path::to_path_buf);
        let Some(path) = self.watched.clone() else {
            return;
        };
        let (changed, current, ctx) = (
            Arc::clone(&self.changed),
            Arc::clone(&self.generation),
            ctx.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("brokerlab-watch".into())
            .spawn(move || {
                let mut seen = modified(&path);
                while current.load(Ordering::SeqCst) == generation {
                    std::thread::sleep(Duration::from_secs(1));
                    let m = modified(&path);
                    // A watch replaced while this thread slept reports nothing (a save).
                    if current.load(Ordering::SeqCst) == generation && m.is_some() && m != seen {
                        seen = m;
                        changed.store(true, Ordering::SeqCst);
                        ctx.request_repaint();
                    }
                }
            });
        if spawned.is_err() {
            self.watched = None;
        }
    }

    /// The watched file, if it changed on disk since it was loaded (or last reported).
    /// The watched file changed on disk and [`Files::changed_on_disk`] has not said so yet.
    #[must_use]
    pub fn disk_change_waiting(&self) -> bool {
        self.watched.is_some() && self.changed.load(Ordering::SeqCst)
    }

    pub fn changed_on_disk(&mut self) -> Option<PathBuf> {
        if self.changed.swap(false, Ordering::SeqCst) {
            return self.watched.clone();
        }
        None
    }

    pub fn dialog_ui(&mut self, ctx: &egui::Context, l: Lang) {
        let Some(d) = &mut self.dialog else { return };
        let mut open = true;
        let mut chosen = None;
        let mut go = None;
        let pick = d.pick;
        egui::Window::new(pick.title(l))
            .open(&mut open)
            .default_size([520.0, 420.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui
                        .button("⬆")
                        .on_hover_text(tr(l, "Parent folder"))
                        .clicked()
                    {
                        go = d.dir.parent().map(Path::to_path_buf);
                    }
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut d.typed).desired_width(f32::INFINITY))
                        .on_hover_text(pick.hint(l));
                    if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        let p = PathBuf::from(d.typed.trim());
                        if p.is_dir() {
                            go = Some(p);
                        } else {
                            chosen = Some(p);
                        }
                    }
                });
                if pick == Pick::SaveAs
                    && ui
                        .button(tr(l, "Save"))
                        .on_hover_text(tr(l, "Write the scenario to this file"))
                        .clicked()
                {
                    chosen = Some(PathBuf::from(d.typed.trim()));
                }
                if let Some(e) = &d.error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.separator();
                egui::ScrollArea::vertical()
                    .max_height(320.0)
                    .show(ui, |ui| {
                        for (name, is_dir) in &d.entries {
                            let label = if *is_dir {
                                format!("📁 {name}")
                            } else {
                                format!("📄 {name}")
                            };
                            if ui.selectable_label(false, label).clicked() {
                                let p = d.dir.join(name);
                                if *is_dir {
                                    go = Some(p);
                                } else if pick == Pick::SaveAs {
                                    // Replacing a file takes a second step: Save.
                                    d.typed = p.display().to_string();
                                } else {
                                    chosen = Some(p);
                                }
                            }
                        }
                        if d.entries.is_empty() {
                            ui.weak(pick.nothing(l));
                        }
                    });
            });
        if let Some(dir) = go {
            d.go(dir);
        }
        // Escape closes it, as it does the import window.
        if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
            open = false;
        }
        if let Some(mut p) = chosen {
            if pick == Pick::SaveAs && p.extension().is_none() {
                p.set_extension("toml");
            }
            self.opened = Some((p, pick));
            open = false;
        }
        if !open {
            self.dialog = None;
        }
    }
}

/// `dir/name`, or when that exists `dir/STEM-2.EXT`, `-3`, ... (the extension kept): a new
/// file is not one that is there already (Save As of a built-in scenario never offers to
/// replace a shipped file; an export never writes over an earlier one).
pub(crate) fn free_name(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = name
        .rsplit_once('.')
        .map_or((name, String::new()), |(s, e)| (s, format!(".{e}")));
    (2..)
        .map(|k| dir.join(format!("{stem}-{k}{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Where an export named `name` goes: the working folder, under a name no file has yet (an
/// export never writes over an earlier one).
pub(crate) fn export_path(name: &str) -> PathBuf {
    let dir = std::env::current_dir().unwrap_or_default();
    free_name(&dir, name)
}

/// Write `text` to `path` whole or not at all: into a temporary file in the same folder, flushed
/// to disk, then renamed over `path` (a crash leaves the old file or the new one, never half).
///
/// # Errors
/// The folder is not writable, the disk is full, ...
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map_or_else(
        || "scenario.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export (or a save's suggestion) takes a name no file has: a second CSV export wrote
    /// over the first.
    #[test]
    fn a_free_name_keeps_the_extension_and_counts_up() {
        let dir = std::env::temp_dir().join(format!("brokerlab-free-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        for name in ["table.csv", "shot.png", "scenario.toml", "notes"] {
            assert_eq!(free_name(&dir, name), dir.join(name));
            std::fs::write(dir.join(name), "").expect("writable");
        }
        assert_eq!(free_name(&dir, "table.csv"), dir.join("table-2.csv"));
        assert_eq!(free_name(&dir, "shot.png"), dir.join("shot-2.png"));
        assert_eq!(
            free_name(&dir, "scenario.toml"),
            dir.join("scenario-2.toml")
        );
        assert_eq!(free_name(&dir, "notes"), dir.join("notes-2"));
        std::fs::write(dir.join("table-2.csv"), "").expect("writable");
        assert_eq!(free_name(&dir, "table.csv"), dir.join("table-3.csv"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `brokerlab open x.toml` watches a path whose parent is "": the dialog opens here.
    #[test]
    fn the_dialog_for_a_file_named_without_a_folder_opens_in_this_folder() {
        let mut files = Files {
            watched: Some(PathBuf::from("point-to-point.toml")),
            ..Files::default()
        };
        files.open_dialog(Pick::Scenario);
        let d = files
            .dialog
            .as_ref()
            .map(|d| (d.dir.clone(), d.error.clone()));
        let here = std::env::current_dir().unwrap_or_default();
        assert_eq!(d, Some((here.join("scenarios"), None)));
        files.open_dialog(Pick::Notes);
        assert_eq!(files.dialog.map(|d| d.dir), Some(here));
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("brokerlab-files-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("x.toml");
        for text in ["one = 1\n", "two = 2\n"] {
            write_atomically(&path, text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(std::fs::read_to_string(&path).ok().as_deref(), Some(text));
        }
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|r| r.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(left, [std::ffi::OsString::from("x.toml")]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
