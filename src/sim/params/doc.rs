//! The scenario's TOML document as `toml_edit` holds it: the tables of an array whichever way
//! the file writes it (`[[producer]]` sections or `producer = [ { .. } ]`), values replaced in
//! place (a comment after a value stays with it), and copies of whole entries.

use toml_edit::{Array, ArrayOfTables, InlineTable, Item, TableLike, Value};

/// The consumers that add-consumer faults bring (the `consumer` table of each `[[fault]]` that
/// has one), in file order.
pub(super) fn added_consumers(root: &dyn TableLike) -> Vec<&dyn TableLike> {
    entries(root, "fault")
        .into_iter()
        .filter_map(|f| f.get("consumer").and_then(Item::as_table_like))
        .collect()
}

/// The tables of the array at `key`, in file order.
pub(super) fn entries<'a>(t: &'a dyn TableLike, key: &str) -> Vec<&'a dyn TableLike> {
    match t.get(key) {
        Some(Item::ArrayOfTables(a)) => a.iter().map(|t| t as &dyn TableLike).collect(),
        Some(Item::Value(Value::Array(a))) => a
            .iter()
            .filter_map(|v| v.as_inline_table().map(|t| t as &dyn TableLike))
            .collect(),
        _ => Vec::new(),
    }
}

/// [`entries`], to change them.
pub(super) fn entries_mut<'a>(t: &'a mut dyn TableLike, key: &str) -> Vec<&'a mut dyn TableLike> {
    match t.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => a.iter_mut().map(|t| t as &mut dyn TableLike).collect(),
        Some(Item::Value(Value::Array(a))) => a
            .iter_mut()
            .filter_map(|v| v.as_inline_table_mut().map(|t| t as &mut dyn TableLike))
            .collect(),
        _ => Vec::new(),
    }
}

/// A string field, trimmed as the file parser trims names.
pub(super) fn text<'a>(t: &'a dyn TableLike, key: &str) -> Option<&'a str> {
    t.get(key).and_then(Item::as_str).map(str::trim)
}

/// The value at `key`, if it is a plain value.
pub(super) fn value<'a>(t: &'a dyn TableLike, key: &str) -> Option<&'a Value> {
    t.get(key).and_then(Item::as_value)
}

/// Set `key` to `v`. A value already there keeps its surroundings (spaces, a trailing comment);
/// a new key goes at the end of the table.
pub(super) fn set(t: &mut dyn TableLike, key: &str, mut v: Value) {
    match t.get_mut(key) {
        Some(Item::Value(old)) => {
            *v.decor_mut() = old.decor().clone();
            *old = v;
        }
        Some(item) => *item = Item::Value(v),
        None => {
            t.insert(key, Item::Value(v));
        }
    }
}

/// The table at `key` (an inline `kafka = { .. }`, dotted keys or a `[variant.kafka]` section),
/// created inline if there is none.
pub(super) fn table_mut<'a>(t: &'a mut dyn TableLike, key: &str) -> Option<&'a mut dyn TableLike> {
    if t.get(key).is_none() {
        t.insert(key, Item::Value(Value::InlineTable(InlineTable::new())));
    }
    t.get_mut(key).and_then(Item::as_table_like_mut)
}

/// Replace every entry of the array at `key` by itself and `copies` copies right after it;
/// `edit(copy, k)` renames copy number `k` (2, 3, ...). Copies of a `[[section]]` keep the
/// blank lines above the original's header but not its comment, which is not repeated.
pub(super) fn copy_entries(
    t: &mut dyn TableLike,
    key: &str,
    copies: usize,
    edit: &dyn Fn(&mut dyn TableLike, usize),
) {
    match t.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => {
            let mut out = ArrayOfTables::new();
            for original in a.iter() {
                out.push(original.clone());
                for k in 2..copies + 2 {
                    let mut c = original.clone();
                    // The blank lines above the header, not the comments.
                    let gap = original.decor().prefix().and_then(|p| p.as_str());
                    if let Some(gap) = gap.filter(|g| g.contains('#')) {
                        let blank = if gap.starts_with('\n') { "\n" } else { "" };
                        c.decor_mut().set_prefix(blank);
                    }
                    edit(&mut c, k);
                    out.push(c);
                }
            }
            *a = out;
        }
        Some(Item::Value(Value::Array(a))) => {
            let mut out = a.clone();
            out.clear();
            for original in a.iter() {
                out.push_formatted(original.clone());
                for k in 2..copies + 2 {
                    let mut c = original.clone();
                    if let Some(t) = c.as_inline_table_mut() {
                        edit(t, k);
                    }
                    out.push_formatted(c);
                }
            }
            *a = out;
        }
        _ => {}
    }
}

/// A TOML value as `toml_edit` writes it. None for a date-time, which no field takes.
pub(super) fn to_edit(v: &toml::Value) -> Option<Value> {
    Some(match v {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(x) => Value::from(*x),
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(_) => return None,
        toml::Value::Array(items) => {
            let mut a = Array::new();
            for x in items {
                a.push(to_edit(x)?);
            }
            Value::Array(a)
        }
        toml::Value::Table(entries) => {
            let mut t = InlineTable::new();
            for (k, x) in entries {
                t.insert(k, to_edit(x)?);
            }
            Value::InlineTable(t)
        }
    })
}

/// A value of the document as a plain TOML value.
pub(super) fn from_edit(v: &Value) -> toml::Value {
    match v {
        Value::String(s) => toml::Value::String(s.value().clone()),
        Value::Integer(i) => toml::Value::Integer(*i.value()),
        Value::Float(x) => toml::Value::Float(*x.value()),
        Value::Boolean(b) => toml::Value::Boolean(*b.value()),
        Value::Datetime(d) => toml::Value::String(d.value().to_string()),
        Value::Array(a) => toml::Value::Array(a.iter().map(from_edit).collect()),
        Value::InlineTable(t) => toml::Value::Table(
            t.iter()
                .map(|(k, x)| (k.to_owned(), from_edit(x)))
                .collect(),
        ),
    }
}
