//! The knobs panel: every parameter of the loaded scenario (`sim::params::list`, the same
//! paths as `--set`), grouped as the file is (workload and each producer, each consumer, each
//! variant's broker options, each fault, the scales), each a slider, a drag value, a checkbox or
//! a combo box with its unit, and its help on hover. A knob that differs from the file is
//! marked, with the file's value in its tooltip; the structure is edited in the same tree
//! (`editor`). A change asks `Explore` to simulate again; a drag applies when it is released.
//!
//! ```text
//!   Undo  Redo  Revert  Save  Save as…         simulating… | re-simulated in 42 ms
//!   ▾ Workload     latency_ms ━━●━━ 1 ms ...   ▸ front-server-1 ✏ 🗑   + producer
//!   ▾ Consumers    ▸ metric-server ✏ 🗑 ...                            + consumer
//!   ▾ Variants     ▸ kafka (central-log · kafka) ✏ 🗑 ...              + variant
//!   ▾ Faults       ▸ 0: consumer-crash log-indexer 🗑 ...              + fault
//!   ▸ Scale
//! ```

use super::editor::Editor;
use super::explore::{Change, Explore};
use super::i18n::tr;
use super::session::Session;
use crate::scenario::{to_secs, Lang, Scenario};
use crate::sim::params::{self, Named, ParamGroup, ParamInfo, ParamKind};
use eframe::egui;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which save the learner asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Save {
    /// Over the loaded file (a built-in scenario: as a new file).
    Here,
    As,
}

#[derive(Default)]
pub struct Knobs {
    /// A number knob being dragged (or just released, until its change has run): its path and
    /// value, shown instead of the scenario's.
    held: Option<Held>,
    /// Text typed into a name or list knob, by path, until the scenario has it. It stays
    /// while its field is hidden (another side tab, a folded section) and counts as unsaved.
    typing: BTreeMap<String, Typed>,
    cache: Option<Cache>,
    editor: Editor,
}

/// A name or list knob's field: its text, the text it started from (the knob's value then),
/// and whether a save has asked for it already (then it waits for the learner's next key).
struct Typed {
    text: String,
    from: String,
    sent: bool,
}

struct Held {
    path: String,
    value: f64,
    released: bool,
}

/// `params::list` of the session's scenario, and the file's values by path.
struct Cache {
    text: Arc<str>,
    file: Arc<str>,
    knobs: Vec<ParamInfo>,
    was: BTreeMap<String, Option<toml::Value>>,
}

/// A knob as the panel shows it: the list's entry and the file's value (None: the file has no
/// such knob, it was added).
struct Knob<'a> {
    info: &'a ParamInfo,
    was: Option<&'a Option<toml::Value>>,
}

impl Knob<'_> {
    fn changed(&self) -> bool {
        self.was.is_none_or(|w| *w != self.info.current)
    }
}

impl Knobs {
    /// The panel; what to save, if the learner asked.
    pub fn ui(&mut self, ui: &mut egui::Ui, s: &Session, x: &mut Explore, l: Lang) -> Option<Save> {
        if self.held.as_ref().is_some_and(|h| h.released) && !x.busy() {
            self.held = None;
        }
        self.sync(s.scenario(), x.file());
        let save = toolbar_ui(ui, x, s, l);
        status_ui(ui, x, s, l);
        ui.separator();
        let Some(cache) = self.cache.take() else {
            return save;
        };
        let knobs: Vec<Knob> = cache
            .knobs
            .iter()
            .map(|info| Knob {
                info,
                was: cache.was.get(&info.path),
            })
            .collect();
        let scenario = Arc::clone(s.scenario());
        egui::ScrollArea::vertical()
            .id_salt("knobs")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let mut f = Pass {
                    s: &scenario,
                    l,
                    asked: None,
                };
                self.workload_ui(ui, &knobs, &mut f);
                self.consumers_ui(ui, &knobs, &mut f);
                self.variants_ui(ui, &knobs, &mut f);
                self.faults_ui(ui, &knobs, &mut f);
                self.scale_ui(ui, &knobs, &mut f);
                if let Some(c) = f.asked {
                    x.request(c);
                }
            });
        self.cache = Some(cache);
        save
    }

    /// Text typed into a knob or a rename and not applied yet (Enter or leaving the field
    /// applies it): a close or another scenario asks first, as for changes not saved.
    #[must_use]
    pub fn typed_not_applied(&self) -> bool {
        self.editor.typed_not_applied() || self.typed().next().is_some()
    }

    /// The knobs whose fields hold text the scenario does not have, and that text's value.
    fn typed(&self) -> impl Iterator<Item = (&String, &Typed, toml::Value)> {
        let knobs = self.cache.as_ref().map_or(&[][..], |c| &c.knobs[..]);
        self.typing.iter().filter_map(|(path, t)| {
            let k = knobs.iter().find(|k| k.path == *path)?;
            let v = typed_value(k, &t.text);
            (t.text != t.from && k.current.as_ref() != Some(&v)).then_some((path, t, v))
        })
    }

    /// What is typed and not applied, as the change Enter or leaving the field makes (a rename
    /// first), once: a save applies it before it writes.
    pub fn take_typed(&mut self) -> Option<Change> {
        if let Some(e) = self.editor.take_rename() {
            return Some(Change::Edit(e));
        }
        let (path, v) = self
            .typed()
            .find(|(_, t, _)| !t.sent)
            .map(|(path, _, v)| (path.clone(), v))?;
        if let Some(t) = self.typing.get_mut(&path) {
            t.sent = true;
        }
        Some(Change::Set(vec![(path, v)]))
    }

    /// The lists again when the scenario or the file changed; typed text the new scenario
    /// does not have stays, and what it now has is no longer typed. The app calls it every
    /// frame, whether or not the panel is shown.
    pub fn sync(&mut self, s: &Scenario, file: &Scenario) {
        let fresh = self
            .cache
            .as_ref()
            .is_some_and(|c| Arc::ptr_eq(&c.text, &s.text) && Arc::ptr_eq(&c.file, &file.text));
        if fresh {
            return;
        }
        self.cache = Some(Cache {
            text: Arc::clone(&s.text),
            file: Arc::clone(&file.text),
            knobs: params::list(s),
            was: params::list(file)
                .into_iter()
                .map(|k| (k.path, k.current))
                .collect(),
        });
        let keep: Vec<String> = self.typed().map(|(path, _, _)| path.clone()).collect();
        self.typing.retain(|path, _| keep.contains(path));
        self.editor.forget_gone(s);
    }

    fn workload_ui(&mut self, ui: &mut egui::Ui, knobs: &[Knob], f: &mut Pass) {
        let (s, l) = (f.s, f.l);
        section(ui, "workload", tr(l, "Workload"), true, |ui| {
            let top = knobs
                .iter()
                .filter(|k| k.info.group == ParamGroup::Workload && !k.info.path.contains('.'));
            self.grid_ui(ui, "top", top, f, |p| p);
            for p in &s.producers {
                self.producer_ui(ui, knobs, p, f);
            }
            if ui
                .button(tr(l, "+ producer"))
                .on_hover_text(tr(l, "A new producer of the first topic, 10 msg/s"))
                .clicked()
            {
                f.edit(Some(params::Edit::AddProducer));
            }
        });
    }

    /// A producer's knobs: of its one publish entry, or of each (under its topic, with a
    /// button that removes it); then the row that adds an entry.
    fn producer_ui(
        &mut self,
        ui: &mut egui::Ui,
        knobs: &[Knob],
        p: &crate::scenario::Producer,
        f: &mut Pass,
    ) {
        let (s, l) = (f.s, f.l);
        let topics: Vec<&str> = p.publish.iter().map(|e| s.topic_name(e.topic)).collect();
        let prefix = format!("producer.{}.", p.name);
        let changed = knobs
            .iter()
            .any(|k| k.info.path.starts_with(&prefix) && k.changed());
        self.entity_ui(
            ui,
            (Named::Producer, &p.name, &topics.join(", "), changed),
            f,
            |me, ui, f| {
                if let [_] = topics[..] {
                    let mine = knobs.iter().filter(|k| {
                        k.info
                            .path
                            .strip_prefix(&prefix)
                            .is_some_and(|rest| !rest.contains('.'))
                    });
                    me.grid_ui(ui, &prefix, mine, f, |path| {
                        path.strip_prefix(&prefix).unwrap_or(path)
                    });
                } else {
                    for t in &topics {
                        let entry = format!("{prefix}{t}.");
                        ui.horizontal(|ui| {
                            ui.label(egui::RichText::new(format!("→ {t}")).weak());
                            if ui
                                .small_button("🗑")
                                .on_hover_text(tr(l, "Remove this publish entry"))
                                .labelled(format!("remove {}.{t}", p.name))
                                .clicked()
                            {
                                f.edit(Some(params::Edit::RemovePublish {
                                    producer: p.name.clone(),
                                    topic: (*t).to_owned(),
                                }));
                            }
                        });
                        let mine = knobs.iter().filter(|k| {
                            k.info
                                .path
                                .strip_prefix(&entry)
                                .is_some_and(|rest| !rest.contains('.'))
                        });
                        me.grid_ui(ui, &entry, mine, f, |path| {
                            path.strip_prefix(&entry).unwrap_or(path)
                        });
                    }
                }
                f.edit(me.editor.add_publish_ui(ui, &p.name, &s.topics, l));
            },
        );
    }

    fn consumers_ui(&mut self, ui: &mut egui::Ui, knobs: &[Knob], f: &mut Pass) {
        let (s, l) = (f.s, f.l);
        section(ui, "consumers", tr(l, "Consumers"), true, |ui| {
            for c in &s.consumers {
                let prefix = format!("consumer.{}.", c.name);
                let mine = knobs.iter().filter(|k| k.info.path.starts_with(&prefix));
                let topics: Vec<&str> = c.subscribe.iter().map(|&t| s.topic_name(t)).collect();
                let note = topics.join(", ");
                let changed = knobs
                    .iter()
                    .any(|k| k.info.path.starts_with(&prefix) && k.changed());
                let header = (Named::Consumer, c.name.as_str(), note.as_str(), changed);
                self.entity_ui(ui, header, f, |me, ui, f| {
                    me.grid_ui(ui, &prefix, mine, f, |p| {
                        p.strip_prefix(&prefix).unwrap_or(p)
                    });
                });
            }
            if ui
                .button(tr(l, "+ consumer"))
                .on_hover_text(tr(l, "A new consumer of the first topic"))
                .clicked()
            {
                f.edit(Some(params::Edit::AddConsumer));
            }
        });
    }

    fn variants_ui(&mut self, ui: &mut egui::Ui, knobs: &[Knob], f: &mut Pass) {
        let (s, l) = (f.s, f.l);
        section(ui, "variants", tr(l, "Variants"), true, |ui| {
            for v in &s.variants {
                let mine = knobs.iter().filter(
                    |k| matches!(&k.info.group, ParamGroup::Variant { name, .. } if *name == v.name),
                );
                let note = match v.broker_kind() {
                    Some(b) => format!("{} · {}", v.shape().name(), b.name()),
                    None => v.shape().name().to_owned(),
                };
                let id = format!("variant.{}", v.name);
                let changed = mine.clone().any(Knob::changed);
                let header = (Named::Variant, v.name.as_str(), note.as_str(), changed);
                self.entity_ui(ui, header, f, |me, ui, f| {
                    me.grid_ui(ui, &id, mine, f, |p| p.rsplit('.').next().unwrap_or(p));
                });
            }
            f.edit(self.editor.add_variant_ui(ui, l));
        });
    }

    fn faults_ui(&mut self, ui: &mut egui::Ui, knobs: &[Knob], f: &mut Pass) {
        let (s, l) = (f.s, f.l);
        section(ui, "faults", tr(l, "Faults"), true, |ui| {
            for fault in params::faults(s) {
                let prefix = format!("fault.{}.", fault.index);
                let mine = knobs.iter().filter(|k| k.info.path.starts_with(&prefix));
                let id = ui.make_persistent_id(("fault", fault.index));
                egui::collapsing_header::CollapsingState::load_with_default_open(
                    ui.ctx(),
                    id,
                    false,
                )
                .show_header(ui, |ui| {
                    let target = fault
                        .target
                        .as_deref()
                        .unwrap_or_else(|| tr(l, "every broker"));
                    ui.label(format!("{}: {} {target}", fault.index, fault.kind));
                    if ui
                        .small_button("🗑")
                        .on_hover_text(tr(l, "Remove this fault"))
                        .labelled(format!("remove fault {}", fault.index))
                        .clicked()
                    {
                        f.edit(Some(params::Edit::RemoveFault(fault.index)));
                    }
                })
                .body(|ui| {
                    self.grid_ui(ui, &prefix, mine, f, |p| {
                        p.strip_prefix(&prefix).unwrap_or(p)
                    });
                });
            }
            f.edit(self.editor.add_fault_ui(ui, s, l));
        });
    }

    fn scale_ui(&mut self, ui: &mut egui::Ui, knobs: &[Knob], f: &mut Pass) {
        let l = f.l;
        section(ui, "scale", tr(l, "Scale"), false, |ui| {
            ui.weak(tr(
                l,
                "A scale is a change, not a value: it multiplies what the scenario has now.",
            ));
            let mine = knobs.iter().filter(|k| k.info.group == ParamGroup::Scale);
            self.grid_ui(ui, "scale", mine, f, |p| p);
        });
    }

    /// A producer's, consumer's or variant's collapsible entry: its name with rename and remove
    /// in the header, its knobs in the body.
    /// A producer, consumer or variant: its header (name, note, edit buttons; `●` when one of
    /// its knobs differs from the file, so a change stays visible while it is folded), then
    /// its knobs.
    fn entity_ui(
        &mut self,
        ui: &mut egui::Ui,
        (what, name, note, changed): (Named, &str, &str, bool),
        f: &mut Pass,
        body: impl FnOnce(&mut Knobs, &mut egui::Ui, &mut Pass),
    ) {
        let l = f.l;
        let id = ui.make_persistent_id((what_key(what), name));
        egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
            .show_header(ui, |ui| {
                f.edit(self.editor.header_ui(ui, what, name, note, l));
                if changed {
                    ui.colored_label(ui.visuals().warn_fg_color, "●")
                        .on_hover_text(tr(l, "A knob here differs from the file"));
                }
            })
            .body(|ui| body(self, ui, f));
    }

    /// Knobs in a grid: name (marked when changed), widget.
    fn grid_ui<'k, 'a: 'k>(
        &mut self,
        ui: &mut egui::Ui,
        id: &str,
        knobs: impl Iterator<Item = &'k Knob<'a>>,
        f: &mut Pass,
        label: impl Fn(&str) -> &str,
    ) {
        let (duration_s, l) = (to_secs(f.s.duration), f.l);
        egui::Grid::new(("knobs", id))
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for k in knobs {
                    label_ui(ui, k, label(&k.info.path), l);
                    if let Some(v) = self.widget_ui(ui, k.info, duration_s) {
                        f.set(k.info.path.clone(), v);
                    }
                    ui.end_row();
                }
            });
    }

    /// The knob's widget; a value when the learner set one (a drag: on release).
    fn widget_ui(
        &mut self,
        ui: &mut egui::Ui,
        k: &ParamInfo,
        duration_s: f64,
    ) -> Option<toml::Value> {
        match k.kind {
            ParamKind::Float { .. } | ParamKind::Int { .. } => self.number_ui(ui, k, duration_s),
            ParamKind::Bool => {
                let mut on = k
                    .current
                    .as_ref()
                    .and_then(toml::Value::as_bool)
                    .unwrap_or(false);
                ui.checkbox(&mut on, "")
                    .changed()
                    .then_some(toml::Value::Boolean(on))
            }
            ParamKind::Choice { choices } => {
                let now = k
                    .current
                    .as_ref()
                    .and_then(toml::Value::as_str)
                    .unwrap_or("");
                let mut picked = None;
                egui::ComboBox::from_id_salt(("knob", &k.path))
                    .selected_text(now)
                    .show_ui(ui, |ui| {
                        for &c in choices {
                            if ui.selectable_label(c == now, c).clicked() && c != now {
                                picked = Some(toml::Value::String(c.to_owned()));
                            }
                        }
                    });
                picked
            }
            ParamKind::Text | ParamKind::List | ParamKind::Table => self.text_ui(ui, k),
        }
    }

    /// A slider over a range that suits the value (typing goes past it; the file's rules judge),
    /// or a drag value for a number whose range has no useful end (a seed, byte limits).
    fn number_ui(
        &mut self,
        ui: &mut egui::Ui,
        k: &ParamInfo,
        duration_s: f64,
    ) -> Option<toml::Value> {
        let int = matches!(k.kind, ParamKind::Int { .. });
        let current = k.current.as_ref().and_then(number).unwrap_or(0.0);
        let mut v = match &self.held {
            Some(h) if h.path == k.path => h.value,
            _ => current,
        };
        let unit = if k.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", k.unit)
        };
        let (lo, hi, wide) = span(k, duration_s);
        let r = if wide {
            let speed = (v.abs() * 0.01).max(if int { 1.0 } else { 0.01 });
            ui.add(
                egui::DragValue::new(&mut v)
                    .speed(speed)
                    .range(lo..=hi)
                    .suffix(unit),
            )
        } else {
            ui.spacing_mut().slider_width = 110.0;
            let mut slider = egui::Slider::new(&mut v, lo..=hi)
                .clamping(egui::SliderClamping::Never)
                .suffix(unit)
                .max_decimals(3);
            if int {
                slider = slider.integer();
            }
            if hi > 100.0 * lo.max(0.001) {
                slider = slider.logarithmic(true);
            }
            ui.add(slider)
        };
        // Named by its path for assistive technology (and tests).
        r.widget_info(|| egui::WidgetInfo::slider(true, v, &k.path));
        if r.dragged() {
            self.held = Some(Held {
                path: k.path.clone(),
                value: v,
                released: false,
            });
            return None;
        }
        let released = r.drag_stopped() && self.held.as_ref().is_some_and(|h| h.path == k.path);
        if !(released || r.changed()) || v == current {
            return None;
        }
        self.held = Some(Held {
            path: k.path.clone(),
            value: v,
            released: true,
        });
        Some(if int {
            toml::Value::Integer(v.round() as i64)
        } else {
            toml::Value::Float(v)
        })
    }

    /// A name or a TOML list, applied on Enter or when the field loses focus.
    fn text_ui(&mut self, ui: &mut egui::Ui, k: &ParamInfo) -> Option<toml::Value> {
        let shown = match &k.current {
            Some(toml::Value::String(t)) => t.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let t = self.typing.entry(k.path.clone()).or_insert_with(|| Typed {
            text: shown.clone(),
            from: shown.clone(),
            sent: false,
        });
        let r = ui.add(egui::TextEdit::singleline(&mut t.text).desired_width(140.0));
        if r.changed() {
            t.sent = false;
        }
        if r.lost_focus() && t.text != shown {
            return Some(typed_value(k, &t.text));
        }
        None
    }
}

/// The value of text typed into a name or list knob.
fn typed_value(k: &ParamInfo, typed: &str) -> toml::Value {
    match k.kind {
        ParamKind::List | ParamKind::Table => params::value(typed),
        _ => toml::Value::String(typed.trim().to_owned()),
    }
}

/// One pass over the tree: the scenario shown, the language, and the change asked for (the
/// first: one a frame is all a hand can do).
struct Pass<'s> {
    s: &'s Scenario,
    l: Lang,
    asked: Option<Change>,
}

impl Pass<'_> {
    fn set(&mut self, path: String, v: toml::Value) {
        self.asked.get_or_insert(Change::Set(vec![(path, v)]));
    }
    fn edit(&mut self, e: Option<params::Edit>) {
        if let Some(e) = e {
            self.asked.get_or_insert(Change::Edit(e));
        }
    }
}

fn what_key(w: Named) -> &'static str {
    match w {
        Named::Producer => "producer",
        Named::Consumer => "consumer",
        Named::Variant => "variant",
    }
}

fn number(v: &toml::Value) -> Option<f64> {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

/// The slider's range, and whether the knob is better a drag value (no useful upper end).
fn span(k: &ParamInfo, duration_s: f64) -> (f64, f64, bool) {
    let (min, max) = match k.kind {
        ParamKind::Float { min, max, .. } => (min, max),
        ParamKind::Int { min, max } => (min as f64, max as f64),
        _ => (0.0, 1.0),
    };
    let wide = matches!(k.kind, ParamKind::Int { max, .. } if max >= 1_000_000_000);
    let at = |v: &Option<toml::Value>| v.as_ref().and_then(number).map_or(0.0, f64::abs);
    let hi = if k.path.ends_with("at_s") || k.path.ends_with("until_s") {
        duration_s
    } else {
        (10.0 * at(&k.current).max(at(&k.default))).max(10.0)
    };
    (min, hi.clamp(min, max), wide)
}

/// The knob's name: marked when it differs from the file, the help, the unit and the file's
/// value (or the default) on hover.
fn label_ui(ui: &mut egui::Ui, k: &Knob, name: &str, l: Lang) {
    let show = |v: &Option<toml::Value>| match v {
        Some(toml::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => tr(l, "none").to_owned(),
    };
    let mut tip = k.info.help.to_owned();
    if !k.info.unit.is_empty() {
        tip.push_str(&format!(" ({})", k.info.unit));
    }
    tip.push_str(&format!("\n{}", k.info.path));
    if let Some(d) = &k.info.default {
        tip.push_str(&format!(
            "\n{}: {}",
            tr(l, "default"),
            show(&Some(d.clone()))
        ));
    }
    let text = if k.changed() {
        match k.was {
            Some(w) => tip.push_str(&format!("\n{}: {}", tr(l, "in the file"), show(w))),
            None => tip.push_str(&format!("\n{}", tr(l, "not in the file: added"))),
        }
        egui::RichText::new(format!("● {name}"))
            .color(ui.visuals().warn_fg_color)
            .strong()
    } else {
        egui::RichText::new(name)
    };
    ui.label(text).on_hover_text(tip);
}

/// A collapsible group of knobs; `key` keeps it open or closed whatever the language.
fn section(
    ui: &mut egui::Ui,
    key: &str,
    title: &str,
    open: bool,
    body: impl FnOnce(&mut egui::Ui),
) {
    egui::CollapsingHeader::new(egui::RichText::new(title).strong())
        .id_salt(("knobs-section", key))
        .default_open(open)
        .show(ui, body);
}

/// Undo, redo, revert to the file's values, save, save as.
fn toolbar_ui(ui: &mut egui::Ui, x: &mut Explore, s: &Session, l: Lang) -> Option<Save> {
    let mut save = None;
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(x.can_undo(), egui::Button::new(tr(l, "Undo")))
            .on_hover_text(tr(l, "Undo the last knob change or edit (Ctrl+Z)"))
            .clicked()
        {
            x.request(Change::Undo);
        }
        if ui
            .add_enabled(x.can_redo(), egui::Button::new(tr(l, "Redo")))
            .on_hover_text(tr(l, "Redo what was undone (Ctrl+Shift+Z or Ctrl+Y)"))
            .clicked()
        {
            x.request(Change::Redo);
        }
        if ui
            .add_enabled(x.changed(s), egui::Button::new(tr(l, "Revert")))
            .on_hover_text(tr(l, "Every knob back to the file's value (undoable)"))
            .clicked()
        {
            x.request(Change::Revert);
        }
        if ui
            .button(tr(l, "Save"))
            .on_hover_text(tr(
                l,
                "Save the scenario to its file (Ctrl+S); a built-in one as a new file",
            ))
            .clicked()
        {
            save = Some(Save::Here);
        }
        if ui
            .button(tr(l, "Save as…"))
            .on_hover_text(tr(l, "Save the scenario as a new file (Ctrl+Shift+S)"))
            .clicked()
        {
            save = Some(Save::As);
        }
    });
    save
}

/// "simulating…", how long the last change took, the refused change's message.
fn status_ui(ui: &mut egui::Ui, x: &mut Explore, s: &Session, l: Lang) {
    ui.horizontal_wrapped(|ui| {
        if x.changed(s) {
            ui.colored_label(ui.visuals().warn_fg_color, "●")
                .on_hover_text(tr(l, "Changed from the file: plots draw the file's values dashed, the table shows them as (was …)"));
        }
        if x.busy() {
            ui.spinner();
            ui.label(tr(l, "simulating…"));
        } else if let Some(d) = x.last {
            ui.weak(format!(
                "{} {:.0} ms",
                tr(l, "re-simulated from 0 s in"),
                d.as_secs_f64() * 1000.0
            ));
        }
    });
    if let Some(e) = x.error.clone() {
        ui.horizontal(|ui| {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr(l, "Not applied: the scenario stays as it was."),
            );
            if ui
                .small_button("✖")
                .on_hover_text(tr(l, "Dismiss"))
                .clicked()
            {
                x.error = None;
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("knob-error")
            .max_height(200.0)
            .show(ui, |ui| ui.label(super::snippet(&e, ui)));
    }
}

/// An icon button's name for assistive technology (and tests): "remove web-1".
pub(super) trait Labelled {
    #[must_use]
    fn labelled(self, label: String) -> Self;
}

impl Labelled for egui::Response {
    fn labelled(self, label: String) -> Self {
        self.widget_info(|| egui::WidgetInfo::labeled(egui::WidgetType::Button, true, &label));
        self
    }
}
