//! Structural edits of a scenario: add or remove a producer, a publish entry, a consumer, a
//! variant or a fault, move a fault in time, rename a producer, consumer or variant. Like a
//! parameter change, an edit changes the scenario's TOML document (comments and order stay) and
//! parses the result again with the file's rules, so a bad edit gets exactly the messages
//! `brokerlab check` prints and the scenario it started from is left as it was.
//!
//! ```text
//!   Scenario.text --toml_edit--> document --Edit--> text --Scenario::parse--> Scenario
//!                                                                       \--> Diagnostics (check's)
//! ```
//!
//! A new entry goes after the last one of its kind (a `[[producer]]` after the last producer, a
//! publish entry at the end of its array), written the way the file writes that array; a new
//! name is the first free `producer-1`, `consumer-2`, ...; a rename follows the name everywhere
//! the file uses it (fault targets, a lesson step's `show`, `highlight` and `expect`).

use super::doc;
use crate::scenario::{to_secs, BrokerKind, Diagnostics, FaultKind, Scenario, Shape};
use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, TableLike, Value};

/// What a renamed name belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    Producer,
    Consumer,
    Variant,
}

impl Named {
    fn key(self) -> &'static str {
        match self {
            Named::Producer => "producer",
            Named::Consumer => "consumer",
            Named::Variant => "variant",
        }
    }
}

/// One change to a scenario's structure.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// A producer `producer-N` publishing 10 msg/s to the scenario's first topic.
    AddProducer,
    RemoveProducer(String),
    /// `producer` also publishes 10 msg/s to `topic` (a new topic name makes a new topic).
    AddPublish {
        producer: String,
        topic: String,
    },
    RemovePublish {
        producer: String,
        topic: String,
    },
    /// A consumer `consumer-N` of the scenario's first topic.
    AddConsumer,
    RemoveConsumer(String),
    /// A variant of this shape (and broker, for a broker shape) with default options, named
    /// after its broker or shape.
    AddVariant {
        shape: Shape,
        broker: Option<BrokerKind>,
    },
    RemoveVariant(String),
    /// A fault from a third of the run to half of it; `target` None: the first consumer (a
    /// broker crash: every broker).
    AddFault {
        kind: FaultKind,
        target: Option<String>,
    },
    /// A consumer `consumer-N` of `topic`, in a group of its own, that joins at `at_s` (an
    /// add-consumer fault): what a learner adds to the running simulation.
    JoinAt {
        topic: String,
        at_s: f64,
    },
    /// The `[[fault]]` at this place in the file (from 0).
    RemoveFault(usize),
    MoveFault {
        index: usize,
        at_s: f64,
        until_s: Option<f64>,
    },
    Rename {
        what: Named,
        from: String,
        to: String,
    },
}

/// Why an edit was not made; the scenario it started from is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The edit names nothing in the scenario.
    #[error("{0}")]
    Refused(String),
    /// The edited scenario breaks the file's rules: `check`'s messages over the edited text.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// One `[[fault]]` as the file writes it, for a timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultEntry {
    /// Its place in the file: `fault.INDEX.*`, `Edit::MoveFault { index, .. }`.
    pub index: usize,
    pub kind: String,
    /// The consumer, producer or topic it hits, or the consumer it adds.
    pub target: Option<String>,
    pub at_s: f64,
    pub until_s: Option<f64>,
}

/// `s` with `e` made and validated again with the file's rules.
///
/// # Errors
/// The edit names nothing in `s` (`Refused`), or the result breaks a rule (`Invalid`, with the
/// messages `check` would print for the edited text).
pub fn edit(s: &Scenario, e: &Edit) -> Result<Scenario, EditError> {
    let text = edited(s, e)?;
    Scenario::parse(&s.source, &text).map_err(EditError::Invalid)
}

/// The scenario's text with `e` made (not validated).
fn edited(s: &Scenario, e: &Edit) -> Result<String, EditError> {
    let mut doc = s.text.parse::<DocumentMut>().map_err(|err| {
        EditError::Refused(format!("{}: the text does not parse: {err}", s.source))
    })?;
    change(doc.as_table_mut(), s, e)?;
    Ok(doc.to_string())
}

/// A number of an entry, whole or not.
#[allow(clippy::cast_precision_loss)]
fn number(t: &dyn TableLike, key: &str) -> Option<f64> {
    doc::value(t, key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
}

/// Every `[[fault]]` of `s`, in file order.
#[must_use]
pub fn faults(s: &Scenario) -> Vec<FaultEntry> {
    let Ok(doc) = s.text.parse::<DocumentMut>() else {
        return Vec::new();
    };
    doc::entries(doc.as_table(), "fault")
        .into_iter()
        .enumerate()
        .map(|(index, f)| FaultEntry {
            index,
            kind: doc::text(f, "kind").unwrap_or_default().to_owned(),
            target: doc::text(f, "target")
                .or_else(|| {
                    f.get("consumer")
                        .and_then(Item::as_table_like)
                        .and_then(|c| doc::text(c, "name"))
                })
                .map(str::to_owned),
            at_s: number(f, "at_s").unwrap_or(0.0),
            until_s: number(f, "until_s"),
        })
        .collect()
}

fn change(root: &mut dyn TableLike, s: &Scenario, e: &Edit) -> Result<(), EditError> {
    let first_topic = s.topics.first().map_or("topic", String::as_str);
    match e {
        Edit::AddProducer => {
            let mut p = InlineTable::new();
            p.insert("name", fresh(root, "producer").into());
            p.insert("publish", publish_list(first_topic));
            push_entry(root, "producer", p, true);
        }
        Edit::AddConsumer => {
            let c = new_consumer(fresh(root, "consumer"), first_topic);
            push_entry(root, "consumer", c, true);
        }
        Edit::RemoveProducer(name) => remove_named(root, Named::Producer, name)?,
        Edit::RemoveConsumer(name) => remove_named(root, Named::Consumer, name)?,
        Edit::RemoveVariant(name) => remove_named(root, Named::Variant, name)?,
        Edit::AddPublish { producer, topic } => {
            let p = named_mut(root, Named::Producer, producer)?;
            let mut entry = InlineTable::new();
            entry.insert("topic", topic.trim().into());
            entry.insert("rate_per_s", 10.0.into());
            push_entry(p, "publish", entry, false);
        }
        Edit::RemovePublish { producer, topic } => {
            let p = named_mut(root, Named::Producer, producer)?;
            let gone = remove_entry(p, "publish", &mut |e| doc::text(e, "topic") == Some(topic));
            if !gone {
                let message = format!("{producer} does not publish to {topic:?}");
                return Err(EditError::Refused(message));
            }
        }
        Edit::AddVariant { shape, broker } => add_variant(root, *shape, *broker),
        Edit::AddFault { kind, target } => add_fault(root, s, *kind, target.as_deref()),
        Edit::JoinAt { topic, at_s } => {
            if !s.topics.contains(topic) {
                return Err(EditError::Refused(format!("no topic named {topic:?}")));
            }
            let mut f = InlineTable::new();
            f.insert("kind", FaultKind::AddConsumer.name().into());
            f.insert("at_s", (*at_s).into());
            let c = new_consumer(fresh(root, "consumer"), topic);
            f.insert("consumer", Value::InlineTable(c));
            push_entry(root, "fault", f, true);
        }
        Edit::RemoveFault(index) => {
            fault_mut(root, *index)?;
            let mut i = 0;
            remove_entry(root, "fault", &mut |_| {
                i += 1;
                i - 1 == *index
            });
        }
        Edit::MoveFault {
            index,
            at_s,
            until_s,
        } => {
            let f = fault_mut(root, *index)?;
            doc::set(f, "at_s", Value::from(*at_s));
            if let Some(u) = until_s {
                doc::set(f, "until_s", Value::from(*u));
            }
        }
        Edit::Rename { what, from, to } => rename(root, *what, from, to)?,
    }
    Ok(())
}

/// `publish = [ { topic = TOPIC, rate_per_s = 10.0 } ]`.
fn publish_list(topic: &str) -> Value {
    let mut entry = InlineTable::new();
    entry.insert("topic", topic.into());
    entry.insert("rate_per_s", 10.0.into());
    let mut list = toml_edit::Array::new();
    push_item(&mut list, entry);
    Value::Array(list)
}

fn new_consumer(name: String, topic: &str) -> InlineTable {
    let mut c = InlineTable::new();
    c.insert("name", name.into());
    let mut subscribe = toml_edit::Array::new();
    subscribe.push(topic);
    c.insert("subscribe", Value::Array(subscribe));
    c
}

fn add_variant(root: &mut dyn TableLike, shape: Shape, broker: Option<BrokerKind>) {
    let base = broker.map_or(shape.name(), BrokerKind::name);
    let taken = names_of(root, &["variant"]);
    let name = if taken.iter().any(|n| n == base) {
        first_free(base, &taken)
    } else {
        base.to_owned()
    };
    let mut v = InlineTable::new();
    v.insert("name", name.into());
    v.insert("shape", shape.name().into());
    if let Some(b) = broker {
        v.insert("broker", b.name().into());
    }
    push_entry(root, "variant", v, true);
}

/// A fault from a third of the run to half of it (rounded to a second).
fn add_fault(root: &mut dyn TableLike, s: &Scenario, kind: FaultKind, target: Option<&str>) {
    let duration = to_secs(s.duration);
    let at = (duration / 3.0).round().max(0.0);
    let until = (duration / 2.0).round().max(at + 1.0).min(duration);
    let first_consumer = s.consumers.first().map(|c| c.name.as_str());
    let mut f = InlineTable::new();
    f.insert("kind", kind.name().into());
    match kind {
        FaultKind::AddConsumer => {
            let topic = s.topics.first().map_or("topic", String::as_str);
            let c = new_consumer(fresh(root, "consumer"), topic);
            f.insert("at_s", at.into());
            f.insert("consumer", Value::InlineTable(c));
        }
        FaultKind::BrokerCrash => {
            if let Some(t) = target {
                f.insert("target", t.into());
            }
            f.insert("at_s", at.into());
            f.insert("until_s", until.into());
        }
        _ => {
            if let Some(t) = target.or(first_consumer) {
                f.insert("target", t.into());
            }
            f.insert("at_s", at.into());
            f.insert("until_s", until.into());
        }
    }
    push_entry(root, "fault", f, true);
}

/// Append `entry` to the array at `key`: a `[[key]]` section after the last one, or an entry
/// of an inline array `key = [ {..} ]`, whichever the file uses; with none yet, a section when
/// `sections` (the top level), else an inline array.
fn push_entry(t: &mut dyn TableLike, key: &str, entry: InlineTable, sections: bool) {
    match t.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => a.push(entry.into_table()),
        Some(Item::Value(Value::Array(a))) => push_item(a, entry),
        _ if sections => {
            let mut a = ArrayOfTables::new();
            a.push(entry.into_table());
            t.insert(key, Item::ArrayOfTables(a));
        }
        _ => {
            let mut a = toml_edit::Array::new();
            push_item(&mut a, entry);
            t.insert(key, Item::Value(Value::Array(a)));
        }
    }
}

/// Append `entry` spaced as the last item is (on a line of its own when the last one is), the
/// space before the closing bracket staying before it: `[ { a },\n  { b } ]`.
fn push_item(a: &mut toml_edit::Array, entry: InlineTable) {
    let mut v = Value::InlineTable(entry);
    let (mut prefix, mut suffix) = (" ".to_owned(), " ".to_owned());
    if let Some(last) = a.iter_mut().last() {
        let raw = |r: Option<&toml_edit::RawString>| r.and_then(|r| r.as_str()).map(str::to_owned);
        prefix = raw(last.decor().prefix()).unwrap_or(prefix);
        suffix = raw(last.decor().suffix()).unwrap_or_default();
        last.decor_mut().set_suffix("");
    }
    v.decor_mut().set_prefix(prefix);
    v.decor_mut().set_suffix(suffix);
    a.push_formatted(v);
}

/// Remove the first entry of the array at `key` that `pick` takes; whether there was one.
fn remove_entry(
    t: &mut dyn TableLike,
    key: &str,
    pick: &mut dyn FnMut(&dyn TableLike) -> bool,
) -> bool {
    match t.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => {
            let found = a.iter().position(|e| pick(e));
            found.map(|i| a.remove(i)).is_some()
        }
        Some(Item::Value(Value::Array(a))) => {
            let found = a
                .iter()
                .position(|v| v.as_inline_table().is_some_and(|e| pick(e)));
            found.map(|i| a.remove(i)).is_some()
        }
        _ => false,
    }
}

/// "no producer named "x"" (with the names there are).
fn no_such(what: Named, name: &str, root: &dyn TableLike) -> EditError {
    let known = names_of(root, &[what.key()]);
    EditError::Refused(format!(
        "no {} named {name:?} (known: {})",
        what.key(),
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    ))
}

fn remove_named(root: &mut dyn TableLike, what: Named, name: &str) -> Result<(), EditError> {
    // A fault's target goes first: the file's rules would refuse the fault that names nothing,
    // at a line the learner never touched.
    if what != Named::Variant {
        let aimed: Vec<String> = doc::entries(root, "fault")
            .into_iter()
            .enumerate()
            .filter(|(_, f)| doc::text(*f, "target") == Some(name))
            .map(|(i, f)| {
                let kind = doc::text(f, "kind").unwrap_or("fault");
                let at = number(f, "at_s").map_or_else(String::new, |t| format!(" at {t} s"));
                format!("fault {i} ({kind}{at})")
            })
            .collect();
        if !aimed.is_empty() {
            return Err(EditError::Refused(format!(
                "{name} is the target of {}: remove {} first",
                aimed.join(", "),
                if aimed.len() == 1 { "it" } else { "them" }
            )));
        }
    }
    if remove_entry(root, what.key(), &mut |e| {
        doc::text(e, "name") == Some(name)
    }) {
        Ok(())
    } else {
        Err(no_such(what, name, root))
    }
}

/// The entry called `name` of the array `what` names.
fn named_mut<'a>(
    root: &'a mut dyn TableLike,
    what: Named,
    name: &str,
) -> Result<&'a mut dyn TableLike, EditError> {
    if !doc::entries(root, what.key())
        .iter()
        .any(|e| doc::text(*e, "name") == Some(name))
    {
        return Err(no_such(what, name, root));
    }
    doc::entries_mut(root, what.key())
        .into_iter()
        .find(|e| doc::text(*e, "name") == Some(name))
        .ok_or_else(|| EditError::Refused(format!("no {} named {name:?}", what.key())))
}

fn fault_mut(root: &mut dyn TableLike, index: usize) -> Result<&mut dyn TableLike, EditError> {
    let n = doc::entries(root, "fault").len();
    doc::entries_mut(root, "fault")
        .into_iter()
        .nth(index)
        .ok_or_else(|| {
            EditError::Refused(match n {
                0 => "the scenario has no [[fault]]".to_owned(),
                n => format!("no fault {index}: the faults are 0 to {}", n - 1),
            })
        })
}

/// The names of the entries of these arrays, with the consumers add-consumer faults bring
/// when `consumer` is one of them (they share the name space).
fn names_of(root: &dyn TableLike, keys: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = keys
        .iter()
        .flat_map(|k| doc::entries(root, k))
        .filter_map(|e| doc::text(e, "name").map(str::to_owned))
        .collect();
    if keys.contains(&"consumer") {
        names.extend(added_names(root).into_iter().map(str::to_owned));
    }
    names
}

fn added_names(root: &dyn TableLike) -> Vec<&str> {
    doc::added_consumers(root)
        .into_iter()
        .filter_map(|c| doc::text(c, "name"))
        .collect()
}

/// `BASE-1`, `BASE-2`, ...: the first no producer or consumer has, nor a consumer group (a new
/// consumer without a `group` is a group of its own, named after it: it must not join another).
fn fresh(root: &dyn TableLike, base: &str) -> String {
    let mut taken = names_of(root, &["producer", "consumer"]);
    let groups = doc::entries(root, "consumer")
        .into_iter()
        .chain(doc::added_consumers(root))
        .filter_map(|c| doc::text(c, "group").map(str::to_owned));
    taken.extend(groups);
    first_free(base, &taken)
}

fn first_free(base: &str, taken: &[String]) -> String {
    (1..)
        .map(|k| format!("{base}-{k}"))
        .find(|n| !taken.contains(n))
        .unwrap_or_else(|| base.to_owned())
}

/// Set `key` to `to` where it is `from`.
fn rename_value(t: &mut dyn TableLike, key: &str, from: &str, to: &str) {
    if doc::text(t, key) == Some(from) {
        doc::set(t, key, Value::from(to));
    }
}

/// Replace `from` by `to` in the list of names at `key`, each item keeping its spacing.
fn rename_in_list(t: &mut dyn TableLike, key: &str, from: &str, to: &str) {
    if let Some(Item::Value(Value::Array(a))) = t.get_mut(key) {
        for v in a.iter_mut() {
            if v.as_str().map(str::trim) == Some(from) {
                let decor = v.decor().clone();
                *v = Value::from(to);
                *v.decor_mut() = decor;
            }
        }
    }
}

/// Rename, and follow the name: fault targets and lesson steps for a producer or consumer (and
/// the group of a consumer that had none, so the consumers who joined it by name still do);
/// steps' `show` and `expect` and sweeps' `variants` for a variant; for any of them, the
/// parameter paths of steps' `set`, sweeps' `params` and expectations' `at`.
fn rename(root: &mut dyn TableLike, what: Named, from: &str, to: &str) -> Result<(), EditError> {
    let to = to.trim();
    if to.is_empty() {
        return Err(EditError::Refused("a name cannot be empty".to_owned()));
    }
    let in_faults = what == Named::Consumer && added_names(root).contains(&from);
    if !in_faults {
        let entry = named_mut(root, what, from)?;
        let own_group = what == Named::Consumer && entry.get("group").is_none();
        doc::set(entry, "name", Value::from(to));
        if own_group {
            for c in doc::entries_mut(root, "consumer") {
                rename_value(c, "group", from, to);
            }
        }
    }
    for f in doc::entries_mut(root, "fault") {
        let kind = doc::text(f, "kind").unwrap_or_default();
        // A broker crash's target is a topic, not a producer or consumer.
        if what != Named::Variant && kind != FaultKind::BrokerCrash.name() {
            rename_value(f, "target", from, to);
        }
        if what == Named::Consumer {
            if let Some(c) = f.get_mut("consumer").and_then(Item::as_table_like_mut) {
                rename_value(c, "name", from, to);
                rename_value(c, "group", from, to);
            }
        }
    }
    // Parameter paths that name it: a step's knobs (`set`), a sweep's `params`, the point an
    // expectation reads (`at`).
    let done = Edit::Rename {
        what,
        from: from.to_owned(),
        to: to.to_owned(),
    };
    let moved = |p: &str| path_after(p, &done).unwrap_or_else(|| p.to_owned());
    for step in doc::entries_mut(root, "step") {
        match what {
            Named::Variant => {
                rename_in_list(step, "show", from, to);
                for e in doc::entries_mut(step, "expect") {
                    rename_value(e, "variant", from, to);
                }
            }
            _ => rename_in_list(step, "highlight", from, to),
        }
        rename_keys(step, "set", &moved);
        for e in doc::entries_mut(step, "expect") {
            rename_keys(e, "at", &moved);
        }
    }
    for sweep in doc::entries_mut(root, "sweep") {
        if what == Named::Variant {
            rename_in_list(sweep, "variants", from, to);
        }
        if let Some(Item::Value(Value::Array(a))) = sweep.get_mut("params") {
            for v in a.iter_mut() {
                let Some((path, values)) = v.as_str().and_then(|p| p.split_once('=')) else {
                    continue;
                };
                let new = moved(path.trim());
                if new != path.trim() {
                    let decor = v.decor().clone();
                    *v = Value::from(format!("{new}={values}"));
                    *v.decor_mut() = decor;
                }
            }
        }
    }
    Ok(())
}

/// The keys of the table at `key` that are parameter paths, each as `moved` gives it, in order.
fn rename_keys(t: &mut dyn TableLike, key: &str, moved: &dyn Fn(&str) -> String) {
    let Some(table) = t.get_mut(key).and_then(Item::as_table_like_mut) else {
        return;
    };
    if table.iter().all(|(k, _)| moved(k) == k) {
        return;
    }
    let items: Vec<(String, Item)> = table.iter().map(|(k, v)| (moved(k), v.clone())).collect();
    table.clear();
    for (k, v) in items {
        table.insert(&k, v);
    }
}

/// What a queued change names, once an earlier change of the same queue is made. Changes asked
/// for while one runs wait their turn, each written against the scenario the learner saw; this
/// keeps them pointing at what they meant: a fault's place moves up when an earlier fault is
/// removed, a renamed producer, consumer or variant goes by its new name, and a change of
/// something removed meanwhile is dropped (None).
impl Edit {
    #[must_use]
    pub fn after(&self, done: &Edit) -> Option<Edit> {
        let name = |what: Named, n: &String| renamed(done, what, n);
        let mut e = self.clone();
        match &mut e {
            Edit::RemoveFault(i) => *i = fault_after(*i, done)?,
            Edit::MoveFault { index, .. } => *index = fault_after(*index, done)?,
            Edit::RemoveProducer(n) => *n = name(Named::Producer, n)?,
            Edit::RemoveConsumer(n) => *n = name(Named::Consumer, n)?,
            Edit::RemoveVariant(n) => *n = name(Named::Variant, n)?,
            Edit::AddPublish { producer, .. } | Edit::RemovePublish { producer, .. } => {
                *producer = name(Named::Producer, producer)?;
            }
            Edit::AddFault {
                kind,
                target: Some(t),
            } => {
                let kind = *kind;
                let of = |what| match (kind, what) {
                    (FaultKind::LinkDown, Named::Producer | Named::Consumer) => true,
                    (FaultKind::BrokerCrash | FaultKind::AddConsumer, _) => false,
                    (_, what) => what == Named::Consumer,
                };
                for what in [Named::Producer, Named::Consumer] {
                    if of(what) {
                        *t = name(what, t)?;
                    }
                }
            }
            Edit::Rename { what, from, .. } => *from = name(*what, from)?,
            Edit::AddProducer
            | Edit::AddConsumer
            | Edit::AddVariant { .. }
            | Edit::AddFault { target: None, .. }
            | Edit::JoinAt { .. } => {}
        }
        Some(e)
    }
}

/// A parameter path (as `--set` takes it) asked for beside `done`, once `done` is made: see
/// [`Edit::after`]. None: what it names is gone.
#[must_use]
pub fn path_after(path: &str, done: &Edit) -> Option<String> {
    if let Some(rest) = path.strip_prefix("fault.") {
        let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
        let Ok(i) = index.parse::<usize>() else {
            return Some(path.to_owned());
        };
        let i = fault_after(i, done)?;
        return Some(if field.is_empty() {
            format!("fault.{i}")
        } else {
            format!("fault.{i}.{field}")
        });
    }
    for what in [Named::Producer, Named::Consumer, Named::Variant] {
        let Some(rest) = path
            .strip_prefix(what.key())
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        let Some(own) = named_by(done, what) else {
            continue;
        };
        if let Some(field) = rest.strip_prefix(own).and_then(|r| r.strip_prefix('.')) {
            return renamed(done, what, own).map(|to| format!("{}.{to}.{field}", what.key()));
        }
    }
    Some(path.to_owned())
}

/// Fault `i`'s place once `done` is made; None if `done` removed it.
fn fault_after(i: usize, done: &Edit) -> Option<usize> {
    match done {
        Edit::RemoveFault(r) if *r == i => None,
        Edit::RemoveFault(r) if *r < i => Some(i - 1),
        _ => Some(i),
    }
}

/// `name` (of a `what`) once `done` is made: its new name if `done` renamed it, None if
/// `done` removed it.
fn renamed(done: &Edit, what: Named, name: &str) -> Option<String> {
    if named_by(done, what) != Some(name) {
        return Some(name.to_owned());
    }
    match done {
        Edit::Rename { to, .. } => Some(to.clone()),
        _ => None,
    }
}

/// The `what` that `done` renames or removes, by its name.
fn named_by(done: &Edit, what: Named) -> Option<&str> {
    match done {
        Edit::Rename { what: w, from, .. } if *w == what => Some(from),
        Edit::RemoveProducer(n) if what == Named::Producer => Some(n),
        Edit::RemoveConsumer(n) if what == Named::Consumer => Some(n),
        Edit::RemoveVariant(n) if what == Named::Variant => Some(n),
        _ => None,
    }
}

/// Place `ix` of `old`'s names when `new` (as long) holds there a name `old` lacks and lacks
/// `old`'s: the one renamed in place. A revert, a lesson step's knobs or an undo of several
/// renames says none of them; the tape's commands and the sweep form's parameter follow it.
#[must_use]
pub fn in_place(old: &[String], new: &[String], ix: usize) -> Option<usize> {
    let (was, is) = (old.get(ix)?, new.get(ix)?);
    (old.len() == new.len() && !old.contains(is) && !new.contains(was)).then_some(ix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# An edit keeps this comment.
title = "edits"
duration_s = 30.0

# The web tier.
[[producer]]
name = "web-1"
publish = [ { topic = "metrics", rate_per_s = 20.0 } ]   # per second

[[consumer]]
name = "metric-server"
subscribe = ["metrics"]
[[consumer]]
name = "metric-copy"
subscribe = ["metrics"]
group = "metric-server"

[[fault]]
kind = "consumer-offline"
target = "metric-server"
at_s = 10.0
until_s = 15.0

[[variant]]
name = "kafka"
shape = "central-log"
broker = "kafka"
[[variant]]
name = "direct"
shape = "direct"

[[step]]
title = "one"
show = ["kafka", "direct"]
highlight = ["metric-server", "web-1"]
run_to_s = 20.0
expect = [ { variant = "kafka", metric = "lost", op = "==", value = 0 } ]
"#;

    fn base() -> Scenario {
        Scenario::parse("edits.toml", TEXT).unwrap_or_else(|e| panic!("{e}"))
    }

    fn made(s: &Scenario, e: &Edit) -> Scenario {
        edit(s, e).unwrap_or_else(|err| panic!("{e:?}: {err}"))
    }

    fn invalid(s: &Scenario, e: &Edit) -> Diagnostics {
        match edit(s, e) {
            Err(EditError::Invalid(d)) => d,
            other => panic!("{e:?} should break a rule: {other:?}"),
        }
    }

    fn refused(s: &Scenario, e: &Edit) -> String {
        match edit(s, e) {
            Err(EditError::Refused(m)) => m,
            other => panic!("{e:?} should be refused: {other:?}"),
        }
    }

    fn rename(what: Named, from: &str, to: &str) -> Edit {
        Edit::Rename {
            what,
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn an_added_producer_goes_after_the_last_producer_and_comments_stay() {
        let s = made(&base(), &Edit::AddProducer);
        let names: Vec<&str> = s.producers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["web-1", "producer-1"]);
        assert_eq!(s.producers[1].publish[0].rate_per_s, 10.0);
        let text = &*s.text;
        assert!(
            text.starts_with("# An edit keeps this comment.\n"),
            "{text}"
        );
        assert!(text.contains("# The web tier.\n[[producer]]\nname = \"web-1\""));
        assert!(
            text.contains("rate_per_s = 20.0 } ]   # per second\n"),
            "{text}"
        );
        let added = text.find("name = \"producer-1\"").unwrap_or(usize::MAX);
        let consumers = text.find("[[consumer]]").unwrap_or(0);
        assert!(added < consumers, "{text}");
        // A second one takes the next free name.
        let s = made(&s, &Edit::AddProducer);
        assert_eq!(s.producers[2].name, "producer-2");
    }

    #[test]
    fn a_consumer_a_fault_hits_is_removed_after_its_fault_not_before() {
        // Said of the fault, not as the file's rule broken at a line the learner never touched.
        let s = base();
        let gone = Edit::RemoveConsumer("metric-server".into());
        assert_eq!(
            refused(&s, &gone),
            "metric-server is the target of fault 0 (consumer-offline at 10 s): remove it first"
        );
        assert_eq!(&*s.text, TEXT, "the scenario it started from is untouched");
        let s = made(&base(), &Edit::RemoveFault(0));
        let s = made(&s, &Edit::RemoveConsumer("metric-copy".into()));
        assert_eq!(s.consumers.len(), 1);
    }

    #[test]
    fn consumers_and_publish_entries_come_and_go() {
        let s = made(&base(), &Edit::AddConsumer);
        assert_eq!(s.consumers.len(), 3);
        assert_eq!(s.consumers[2].name, "consumer-1");
        let s = made(&s, &Edit::RemoveConsumer("consumer-1".into()));
        assert_eq!(
            *s.text,
            *base().text,
            "adding then removing gives the text back"
        );
        let add = Edit::AddPublish {
            producer: "web-1".into(),
            topic: "logs".into(),
        };
        let s = made(&s, &add);
        assert_eq!(s.topics, ["logs", "metrics"]);
        let line = "publish = [ { topic = \"metrics\", rate_per_s = 20.0 }, { topic = \"logs\", rate_per_s = 10.0 } ]   # per second";
        assert!(s.text.contains(line), "{}", s.text);
        assert_eq!(s.producers[0].publish.len(), 2);
        let remove = Edit::RemovePublish {
            producer: "web-1".into(),
            topic: "metrics".into(),
        };
        let s = made(&s, &remove);
        assert_eq!(s.producers[0].publish.len(), 1);
        assert!(refused(&s, &remove).contains("does not publish to \"metrics\""));
        let nobody = Edit::RemoveProducer("web-9".into());
        assert_eq!(
            refused(&s, &nobody),
            "no producer named \"web-9\" (known: web-1)"
        );
    }

    #[test]
    fn variants_are_added_under_a_free_name_and_removed() {
        let add = Edit::AddVariant {
            shape: Shape::SingleBroker,
            broker: Some(BrokerKind::Kafka),
        };
        let s = made(&base(), &add);
        let names: Vec<&str> = s.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["kafka", "direct", "kafka-1"]);
        let s = made(
            &s,
            &Edit::AddVariant {
                shape: Shape::Channel,
                broker: None,
            },
        );
        assert_eq!(s.variants[3].name, "channel");
        let s = made(&s, &Edit::RemoveVariant("kafka-1".into()));
        assert_eq!(s.variants.len(), 3);
        // A variant a lesson step shows cannot go.
        let d = invalid(&s, &Edit::RemoveVariant("direct".into()));
        assert!(d.first().message.contains("direct"), "{d}");
        let bad = Edit::AddVariant {
            shape: Shape::CentralLog,
            broker: None,
        };
        assert!(invalid(&s, &bad).to_string().contains("broker"));
    }

    #[test]
    fn every_kind_of_fault_can_be_added_moved_and_removed() {
        for kind in FaultKind::ALL {
            let s = made(&base(), &Edit::AddFault { kind, target: None });
            assert_eq!(s.faults.len(), 2, "{kind:?}");
            let entries = faults(&s);
            assert_eq!(entries[1].kind, kind.name());
            assert_eq!(entries[1].at_s, 10.0);
            let heals = kind != FaultKind::AddConsumer;
            assert_eq!(entries[1].until_s, heals.then_some(15.0), "{kind:?}");
            let until_s = heals.then_some(22.5);
            let moved = Edit::MoveFault {
                index: 1,
                at_s: 20.0,
                until_s,
            };
            let s = made(&s, &moved);
            assert_eq!(faults(&s)[1].at_s, 20.0);
            assert_eq!(faults(&s)[1].until_s, until_s);
            let s = made(&s, &Edit::RemoveFault(1));
            assert_eq!(*s.text, *base().text, "{kind:?}");
        }
    }

    /// Changes queued against one scenario, made one after another, each `after` the ones
    /// made before it: what they named then.
    fn in_turn(s: &Scenario, queued: &[Edit]) -> Scenario {
        let mut s = s.clone();
        let mut done: Vec<Edit> = Vec::new();
        for e in queued {
            let Some(e) = done.iter().try_fold(e.clone(), |e, d| e.after(d)) else {
                continue;
            };
            s = made(&s, &e);
            done.push(e);
        }
        s
    }

    #[test]
    fn queued_edits_keep_to_the_fault_and_the_name_they_were_asked_for() {
        let three = [10.0, 12.0, 14.0].iter().fold(base(), |s, &at| {
            let s = made(
                &s,
                &Edit::AddFault {
                    kind: FaultKind::ConsumerCrash,
                    target: None,
                },
            );
            let index = s.faults.len() - 1;
            made(
                &s,
                &Edit::MoveFault {
                    index,
                    at_s: at,
                    until_s: Some(at + 1.0),
                },
            )
        });
        let at = |s: &Scenario| faults(s).iter().map(|f| f.at_s).collect::<Vec<_>>();
        assert_eq!(at(&three), [10.0, 10.0, 12.0, 14.0]);
        // Faults 1 and 2 removed with two clicks: the second click meant the fault at 12 s,
        // which is fault 1 once the first removal is made.
        let s = in_turn(&three, &[Edit::RemoveFault(1), Edit::RemoveFault(2)]);
        assert_eq!(at(&s), [10.0, 14.0]);
        // A fault moved after an earlier one was removed: the same fault moves.
        let moved = Edit::MoveFault {
            index: 3,
            at_s: 20.0,
            until_s: Some(21.0),
        };
        let s = in_turn(&three, &[Edit::RemoveFault(0), moved.clone()]);
        assert_eq!(at(&s), [10.0, 12.0, 20.0]);
        // The same fault removed twice (a double click): once. One moved after it was removed:
        // nothing to move.
        let s = in_turn(&three, &[Edit::RemoveFault(3), Edit::RemoveFault(3)]);
        assert_eq!(at(&s), [10.0, 10.0, 12.0]);
        let s = in_turn(&three, &[Edit::RemoveFault(3), moved]);
        assert_eq!(at(&s), [10.0, 10.0, 12.0]);
        // A rename, then changes that used the old name: they follow it.
        let queued = [
            rename(Named::Producer, "web-1", "web-a"),
            Edit::AddPublish {
                producer: "web-1".into(),
                topic: "logs".into(),
            },
            rename(Named::Consumer, "metric-server", "metrics-db"),
            Edit::AddFault {
                kind: FaultKind::ConsumerSlow,
                target: Some("metric-server".into()),
            },
            rename(Named::Consumer, "metric-server", "twice"),
            Edit::RemoveConsumer("metric-copy".into()),
        ];
        let s = in_turn(&three, &queued);
        assert_eq!(s.producers[0].name, "web-a");
        assert_eq!(s.producers[0].publish.len(), 2);
        let names: Vec<_> = s.consumers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["twice"]);
        assert_eq!(
            faults(&s).last().and_then(|f| f.target.as_deref()),
            Some("twice")
        );
        // Removed before: a change of it is dropped.
        let gone = [
            Edit::RemoveConsumer("metric-copy".into()),
            Edit::RemoveConsumer("metric-copy".into()),
        ];
        assert_eq!(in_turn(&base(), &gone).consumers.len(), 1);
    }

    #[test]
    fn a_queued_parameter_path_follows_a_removed_fault_and_a_rename() {
        let after = |p: &str, d: &Edit| path_after(p, d);
        let gone = Edit::RemoveFault(1);
        assert_eq!(
            after("fault.3.at_s", &gone).as_deref(),
            Some("fault.2.at_s")
        );
        assert_eq!(
            after("fault.0.at_s", &gone).as_deref(),
            Some("fault.0.at_s")
        );
        assert_eq!(after("fault.1.until_s", &gone), None);
        assert_eq!(
            after("fault.*.at_s", &gone).as_deref(),
            Some("fault.*.at_s")
        );
        let r = rename(Named::Consumer, "metric-server", "db");
        assert_eq!(
            after("consumer.metric-server.service_ms", &r).as_deref(),
            Some("consumer.db.service_ms")
        );
        // Another consumer whose name starts the same, another kind, a wildcard: unchanged.
        for p in [
            "consumer.metric-server-2.service_ms",
            "producer.metric-server.rate_per_s",
            "consumer.*.service_ms",
        ] {
            assert_eq!(after(p, &r).as_deref(), Some(p));
        }
        let removed = Edit::RemoveVariant("kafka".into());
        assert_eq!(after("variant.kafka.kafka.partitions", &removed), None);
        assert_eq!(
            after("variant.direct.direct.retry", &removed).as_deref(),
            Some("variant.direct.direct.retry")
        );
    }

    #[test]
    fn a_fault_moved_to_end_before_it_starts_is_refused_with_the_files_message() {
        let s = base();
        let back = Edit::MoveFault {
            index: 0,
            at_s: 16.0,
            until_s: None,
        };
        let d = invalid(&s, &back);
        assert!(
            d.first()
                .message
                .contains("until_s (15) must be after at_s (16)"),
            "{d}"
        );
        assert_eq!(
            refused(&s, &Edit::RemoveFault(3)),
            "no fault 3: the faults are 0 to 0"
        );
    }

    /// Lesson 3 names its variants in a sweep's `variants` and a step's knobs: each follows.
    #[test]
    fn a_rename_follows_the_name_into_sweeps_and_step_knobs() {
        let text = crate::builtin::get("lesson-3").unwrap_or_default();
        let s = Scenario::parse("builtin:lesson-3", text).unwrap_or_else(|e| panic!("{e}"));
        let check =
            |s: &Scenario| Scenario::parse(&s.source, &s.text).unwrap_or_else(|e| panic!("{e}"));
        let s = check(&made(&s, &rename(Named::Variant, "log", "kafka-log")));
        assert!(
            s.sweeps[0].variants.iter().any(|v| v == "kafka-log"),
            "{:?}",
            s.sweeps[0].variants
        );
        assert!(
            s.text.contains("variant = \"kafka-log\""),
            "the expectations on the sweep follow"
        );
        let s = check(&made(&s, &rename(Named::Variant, "ipc-channel", "chan")));
        assert!(s
            .text
            .contains("set = { \"variant.chan.channel.capacity\" = 10000 }"));
        // A producer's path in a sweep's params and an expectation's point.
        let mut swept = s.text.replace(
            "params = [\"scale.rate=0.5..2.0:0.25\"]",
            "params = [\"producer.web-1.rate_per_s=10,20\"]",
        );
        for (rate, per_s) in [("0.5", "10"), ("1.5", "20"), ("2.0", "20")] {
            let from = format!("at = {{ \"scale.rate\" = {rate} }}");
            let to = format!("at = {{ \"producer.web-1.rate_per_s\" = {per_s} }}");
            swept = swept.replace(&from, &to);
        }
        let s = Scenario::parse(&s.source, &swept).unwrap_or_else(|e| panic!("{e}"));
        let s = check(&made(&s, &rename(Named::Producer, "web-1", "front")));
        assert!(s
            .text
            .contains("params = [\"producer.front.rate_per_s=10,20\"]"));
        assert!(s
            .text
            .contains("at = { \"producer.front.rate_per_s\" = 10 }"));
    }

    #[test]
    fn a_rename_follows_the_name_into_faults_groups_and_steps() {
        let s = made(
            &base(),
            &rename(Named::Consumer, "metric-server", "metrics-db"),
        );
        assert_eq!(s.consumers[0].name, "metrics-db");
        assert_eq!(s.consumers[1].group, "metrics-db", "its group follows");
        assert_eq!(faults(&s)[0].target.as_deref(), Some("metrics-db"));
        assert_eq!(s.steps[0].highlight, ["metrics-db", "web-1"]);
        let s = made(&s, &rename(Named::Variant, "kafka", "log"));
        assert_eq!(s.steps[0].show, ["log", "direct"]);
        assert_eq!(s.steps[0].expect[0].variant, "log");
        let s = made(&s, &rename(Named::Producer, "web-1", "web"));
        assert_eq!(s.steps[0].highlight, ["metrics-db", "web"]);
        // A name taken already is the file's error; an empty one is refused.
        let d = invalid(&s, &rename(Named::Producer, "web", "metric-copy"));
        assert!(d.first().message.contains("metric-copy"), "{d}");
        assert_eq!(
            refused(&s, &rename(Named::Variant, "log", " ")),
            "a name cannot be empty"
        );
    }

    #[test]
    fn an_added_consumer_of_a_fault_is_renamed_where_it_is_declared() {
        let s = made(
            &base(),
            &Edit::AddFault {
                kind: FaultKind::AddConsumer,
                target: None,
            },
        );
        let s = made(&s, &rename(Named::Consumer, "consumer-1", "audit"));
        assert_eq!(faults(&s)[1].target.as_deref(), Some("audit"));
    }

    #[test]
    fn a_consumer_joins_at_a_time_as_an_add_consumer_fault_under_a_free_name() {
        let join = |s: &Scenario| {
            made(
                s,
                &Edit::JoinAt {
                    topic: "metrics".into(),
                    at_s: 12.5,
                },
            )
        };
        let s = join(&base());
        let s = join(&s);
        let entries = faults(&s);
        let added: Vec<(&str, f64)> = entries[1..]
            .iter()
            .map(|f| (f.target.as_deref().unwrap_or_default(), f.at_s))
            .collect();
        assert_eq!(added, [("consumer-1", 12.5), ("consumer-2", 12.5)]);
        // A name that is some consumers' group would join that group: the next one is taken.
        let grouped = TEXT.replace("group = \"metric-server\"", "group = \"consumer-1\"");
        let s = Scenario::parse("grouped.toml", &grouped).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.consumers[1].group, "consumer-1");
        let s = join(&s);
        assert_eq!(faults(&s)[1].target.as_deref(), Some("consumer-2"));
        let unknown = Edit::JoinAt {
            topic: "nope".into(),
            at_s: 1.0,
        };
        assert_eq!(refused(&s, &unknown), "no topic named \"nope\"");
        // Past the run: the file's own rule, at its place.
        let late = Edit::JoinAt {
            topic: "metrics".into(),
            at_s: 31.0,
        };
        assert!(invalid(&s, &late).to_string().contains("at_s"));
    }

    #[test]
    fn inline_arrays_get_inline_entries() {
        let text = "producer = [ { name = \"p\", publish = [ { topic = \"t\", rate_per_s = 1.0 } ] } ]\nconsumer = [ { name = \"c\", subscribe = [\"t\"] } ]\nvariant = [ { name = \"d\", shape = \"direct\" } ]\n";
        let s = Scenario::parse("inline.toml", text).unwrap_or_else(|e| panic!("{e}"));
        let s = made(&s, &Edit::AddConsumer);
        assert!(!s.text.contains("[[consumer]]"), "{}", s.text);
        assert_eq!(s.consumers.len(), 2);
        let s = made(
            &s,
            &Edit::AddFault {
                kind: FaultKind::ConsumerCrash,
                target: Some("c".into()),
            },
        );
        assert!(s.text.contains("[[fault]]"), "{}", s.text);
    }
}
