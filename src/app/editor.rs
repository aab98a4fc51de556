//! The scenario editor's widgets, inside the knobs panel's tree: an entry's header with rename
//! and remove, and the rows that add a publish entry, a variant or a fault. Each gives an
//! `Edit` (`sim::params::edit`); the edit is validated as `check` validates a file, and a bad
//! one is refused with its message while the scenario stays.

use super::i18n::tr;
use super::knobs::Labelled;
use crate::scenario::{BrokerKind, FaultKind, Lang, Scenario, Shape};
use crate::sim::params::{self, Edit, Named};
use eframe::egui;
use std::collections::BTreeMap;

const SHAPES: [Shape; 5] = [
    Shape::Direct,
    Shape::Channel,
    Shape::SingleBroker,
    Shape::BrokerPerTopic,
    Shape::CentralLog,
];
const BROKERS: [BrokerKind; 4] = [
    BrokerKind::RedisPubsub,
    BrokerKind::RedisStream,
    BrokerKind::Rabbitmq,
    BrokerKind::Kafka,
];

pub struct Editor {
    /// The entry being renamed, and the name typed so far.
    renaming: Option<Renaming>,
    /// The topic typed for each producer's new publish entry, by producer.
    topics: BTreeMap<String, String>,
    shape: Shape,
    broker: BrokerKind,
    fault: FaultKind,
    /// The fault's target; empty: the default (the first consumer, every broker).
    target: String,
    /// The consumers' and producers' names when the scenario was last seen: a rename in
    /// place is followed by what was picked or typed for one.
    seen: (Vec<String>, Vec<String>),
}

/// A rename under way: its field stays, with the name typed, until the scenario has the new
/// name, the learner cancels it (Escape), or the entry is gone.
struct Renaming {
    what: Named,
    from: String,
    typed: String,
    /// The field takes the keyboard when it opens (not after: a click elsewhere applies it).
    focus: bool,
    /// Asked for already (Enter, leaving the field, a save): not again until typed into.
    sent: bool,
}

impl Renaming {
    fn edit(&self) -> Edit {
        Edit::Rename {
            what: self.what,
            from: self.from.clone(),
            to: self.typed.trim().to_owned(),
        }
    }
}

impl Default for Editor {
    fn default() -> Self {
        Editor {
            renaming: None,
            topics: BTreeMap::new(),
            shape: Shape::CentralLog,
            broker: BrokerKind::Kafka,
            fault: FaultKind::ConsumerOffline,
            target: String::new(),
            seen: (Vec::new(), Vec::new()),
        }
    }
}

impl Editor {
    /// A name typed into a rename field and not applied.
    #[must_use]
    pub fn typed_not_applied(&self) -> bool {
        self.renaming
            .as_ref()
            .is_some_and(|r| r.typed.trim() != r.from)
    }

    /// The name typed into a rename field, as the edit Enter makes, once (None if it is the
    /// name it had or was asked for already).
    pub fn take_rename(&mut self) -> Option<Edit> {
        let r = self.renaming.as_mut()?;
        if r.sent || r.typed.trim() == r.from {
            return None;
        }
        r.sent = true;
        Some(r.edit())
    }

    /// The scenario changed: a rename whose entry no longer has its old name is over (done,
    /// or the entry removed); the fault's target and the topics typed follow a consumer or
    /// producer renamed in place, and are let go with one removed (the fault's target goes
    /// back to the default).
    pub fn forget_gone(&mut self, s: &Scenario) {
        let consumers: Vec<String> = s.consumers.iter().map(|c| c.name.clone()).collect();
        let producers: Vec<String> = s.producers.iter().map(|p| p.name.clone()).collect();
        let (was_consumers, was_producers) = std::mem::take(&mut self.seen);
        let follow = |name: &str| {
            [(&was_consumers, &consumers), (&was_producers, &producers)]
                .into_iter()
                .find_map(|(old, new)| {
                    let ix = old.iter().position(|n| n == name)?;
                    params::in_place(old, new, ix).map(|i| new[i].clone())
                })
        };
        if !self.target.is_empty() {
            if let Some(to) = follow(&self.target) {
                self.target = to;
            }
            if !targets(s, self.fault).contains(&self.target) {
                self.target.clear();
            }
        }
        self.topics = std::mem::take(&mut self.topics)
            .into_iter()
            .filter_map(|(producer, typed)| {
                let producer = follow(&producer).unwrap_or(producer);
                producers.contains(&producer).then_some((producer, typed))
            })
            .collect();
        self.seen = (consumers, producers);
        let Some(r) = &self.renaming else { return };
        let names: Vec<&str> = match r.what {
            Named::Producer => s.producers.iter().map(|p| p.name.as_str()).collect(),
            Named::Consumer => s.consumers.iter().map(|c| c.name.as_str()).collect(),
            Named::Variant => s.variants.iter().map(|v| v.name.as_str()).collect(),
        };
        if !names.contains(&r.from.as_str()) {
            self.renaming = None;
        }
    }

    /// A producer's, consumer's or variant's name with a note (its topics, its shape), and
    /// rename and remove buttons; while renamed, a text field (Enter or leaving it applies,
    /// Escape cancels; a name refused stays in it).
    pub fn header_ui(
        &mut self,
        ui: &mut egui::Ui,
        what: Named,
        name: &str,
        note: &str,
        l: Lang,
    ) -> Option<Edit> {
        if let Some(r) = &mut self.renaming {
            if r.what == what && r.from == name {
                let field = ui.add(egui::TextEdit::singleline(&mut r.typed).desired_width(140.0));
                if std::mem::take(&mut r.focus) {
                    field.request_focus();
                }
                if field.changed() {
                    r.sent = false;
                }
                // Under a question (a modal), Enter and Escape are its keys, and in another
                // field theirs (a refused name stays in its field, which gave the keyboard up).
                let here = ui.ctx().memory(|m| m.allows_interaction(ui.layer_id()))
                    && (field.has_focus() || field.lost_focus());
                let (enter, escape) = ui.input(|i| {
                    (
                        here && i.key_pressed(egui::Key::Enter),
                        here && i.key_pressed(egui::Key::Escape),
                    )
                });
                if escape {
                    self.renaming = None;
                } else if enter || field.lost_focus() {
                    if r.typed.trim() == r.from {
                        self.renaming = None;
                    } else if !r.sent {
                        r.sent = true;
                        return Some(r.edit());
                    }
                }
                return None;
            }
        }
        ui.label(egui::RichText::new(name).strong())
            .on_hover_text(note);
        ui.label(egui::RichText::new(short(note, 18)).weak());
        let mut edit = None;
        if ui
            .small_button("✏")
            .on_hover_text(tr(l, "Rename (references follow)"))
            .labelled(format!("rename {name}"))
            .clicked()
        {
            self.renaming = Some(Renaming {
                what,
                from: name.to_owned(),
                typed: name.to_owned(),
                focus: true,
                sent: false,
            });
        }
        if ui
            .small_button("🗑")
            .on_hover_text(tr(l, "Remove"))
            .labelled(format!("remove {name}"))
            .clicked()
        {
            edit = Some(match what {
                Named::Producer => Edit::RemoveProducer(name.to_owned()),
                Named::Consumer => Edit::RemoveConsumer(name.to_owned()),
                Named::Variant => Edit::RemoveVariant(name.to_owned()),
            });
        }
        edit
    }

    /// "+ publish to [topic]": a topic of the scenario picked, or a new one typed.
    pub fn add_publish_ui(
        &mut self,
        ui: &mut egui::Ui,
        producer: &str,
        topics: &[String],
        l: Lang,
    ) -> Option<Edit> {
        let mut edit = None;
        let typed = self.topics.entry(producer.to_owned()).or_default();
        ui.horizontal(|ui| {
            let add = ui
                .button(tr(l, "+ publish to"))
                .on_hover_text(tr(l, "A new publish entry of this producer, 10 msg/s"));
            ui.add(
                egui::TextEdit::singleline(typed)
                    .desired_width(90.0)
                    .hint_text(topics.first().map_or("topic", String::as_str)),
            );
            egui::ComboBox::from_id_salt(("publish-topic", producer))
                .width(20.0)
                .selected_text("")
                .show_ui(ui, |ui| {
                    for t in topics {
                        ui.selectable_value(typed, t.clone(), t);
                    }
                });
            if add.clicked() {
                let topic = match typed.trim() {
                    "" => topics
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "topic".to_owned()),
                    t => t.to_owned(),
                };
                edit = Some(Edit::AddPublish {
                    producer: producer.to_owned(),
                    topic,
                });
            }
        });
        edit
    }

    /// "+ variant [shape] [broker]".
    pub fn add_variant_ui(&mut self, ui: &mut egui::Ui, l: Lang) -> Option<Edit> {
        let mut edit = None;
        ui.horizontal_wrapped(|ui| {
            let add = ui.button(tr(l, "+ variant")).on_hover_text(tr(
                l,
                "A new variant of this shape (and broker), default options",
            ));
            egui::ComboBox::from_id_salt("new-variant-shape")
                .selected_text(self.shape.name())
                .show_ui(ui, |ui| {
                    for s in SHAPES {
                        ui.selectable_value(&mut self.shape, s, s.name());
                    }
                });
            if self.shape.needs_broker() {
                egui::ComboBox::from_id_salt("new-variant-broker")
                    .selected_text(self.broker.name())
                    .show_ui(ui, |ui| {
                        for b in BROKERS {
                            ui.selectable_value(&mut self.broker, b, b.name());
                        }
                    });
            }
            if add.clicked() {
                edit = Some(Edit::AddVariant {
                    shape: self.shape,
                    broker: self.shape.needs_broker().then_some(self.broker),
                });
            }
        });
        edit
    }

    /// "+ fault [kind] [target]": the targets the kind takes (consumers; producers too for a
    /// cut link; topics for a broker crash; none for an added consumer).
    pub fn add_fault_ui(&mut self, ui: &mut egui::Ui, s: &Scenario, l: Lang) -> Option<Edit> {
        let mut edit = None;
        ui.horizontal_wrapped(|ui| {
            let add = ui.button(tr(l, "+ fault")).on_hover_text(tr(
                l,
                "A new fault from a third of the run to half of it: drag its bar under the timeline to move it",
            ));
            egui::ComboBox::from_id_salt("new-fault-kind")
                .selected_text(self.fault.name())
                .show_ui(ui, |ui| {
                    for k in FaultKind::ALL {
                        if ui.selectable_value(&mut self.fault, k, k.name()).changed() {
                            self.target.clear();
                        }
                    }
                });
            let targets = targets(s, self.fault);
            if !targets.is_empty() || self.fault == FaultKind::BrokerCrash {
                let default = if self.fault == FaultKind::BrokerCrash {
                    tr(l, "every broker")
                } else {
                    targets.first().map_or("", String::as_str)
                };
                let shown = if self.target.is_empty() {
                    default.to_owned()
                } else {
                    self.target.clone()
                };
                egui::ComboBox::from_id_salt("new-fault-target")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        if self.fault == FaultKind::BrokerCrash {
                            ui.selectable_value(&mut self.target, String::new(), default);
                        }
                        for t in &targets {
                            ui.selectable_value(&mut self.target, t.clone(), t);
                        }
                    });
            }
            if add.clicked() {
                edit = Some(Edit::AddFault {
                    kind: self.fault,
                    target: Some(self.target.clone()).filter(|t| !t.is_empty()),
                });
            }
        });
        edit
    }
}

/// `text` cut to `n` characters, with "…" when cut.
fn short(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// What a fault of `kind` can hit.
fn targets(s: &Scenario, kind: FaultKind) -> Vec<String> {
    let consumers = s.consumers.iter().map(|c| c.name.clone());
    match kind {
        FaultKind::AddConsumer => Vec::new(),
        FaultKind::BrokerCrash => s.topics.clone(),
        FaultKind::LinkDown => consumers
            .chain(s.producers.iter().map(|p| p.name.clone()))
            .collect(),
        _ => consumers.collect(),
    }
}
