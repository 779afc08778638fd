//! Completion from the text around the cursor (it is usually mid-edit and not valid
//! YAML) and the schema: keys of the mapping the cursor is in, values the schema allows,
//! theory ids, beat ids of the task's theory, model and provider names.
//!
//! The path is read off the indentation of the lines above the cursor; the rest comes
//! from the last document of the file that parsed.

use fabula_core::document::Document;
use fabula_core::path::Path;
use fabula_core::schema;
use fabula_core::workspace::Workspace;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub kind: ItemKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    pub insert: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Key,
    Value,
    Reference,
}

/// Where the cursor is, read from the text.
#[derive(Debug, PartialEq, Eq)]
pub struct Context {
    /// Path of the mapping (or list) the cursor is in.
    pub parent: Path,
    /// The key whose value is being written, if the cursor is after `key:`.
    pub key: Option<String>,
    /// A list item (`- …`) of `parent`.
    pub item: bool,
}

pub fn context(text: &str, offset: usize) -> Context {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let indent = before.len() - before.trim_start().len();
    let mut rest = before.trim_start();
    let mut item = false;
    let mut content_indent = indent;
    if let Some(r) = rest
        .strip_prefix("- ")
        .or_else(|| (rest == "-").then_some(""))
    {
        item = true;
        rest = r;
        content_indent = indent + 2;
    }
    let key = rest
        .split_once(':')
        .map(|(k, _)| k.trim().trim_matches(['"', '\'']).to_owned());
    // Walk up: each line indented less than the current level opens a parent.
    let mut parents: Vec<(String, bool)> = Vec::new();
    let mut level = if item && key.is_none() {
        indent
    } else {
        content_indent
    };
    let mut in_item_of_parent = false;
    for line in text[..line_start].lines().rev() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = line.len() - trimmed.len();
        if ind >= level {
            continue;
        }
        if let Some(after) = trimmed.strip_prefix("- ") {
            // The list item we are inside of.
            in_item_of_parent = true;
            if ind + 2 < level
                && let Some((k, v)) = after.split_once(':')
                && v.trim().is_empty()
            {
                parents.push((k.trim().to_owned(), true));
            }
            level = ind;
            continue;
        }
        if let Some((k, _)) = trimmed.split_once(':') {
            parents.push((k.trim().to_owned(), in_item_of_parent));
            in_item_of_parent = false;
            level = ind;
        }
        if level == 0 {
            break;
        }
    }
    let mut parent = Path::root();
    for (k, listed) in parents.into_iter().rev() {
        parent = parent.key(&k);
        if listed {
            parent = parent.index(0);
        }
    }
    if item {
        // `- …`: a new item of the parent list (its value, or a key of it).
        parent = parent.index(0);
    }
    Context { parent, key, item }
}

pub fn complete(ws: &Workspace, doc: &Document, text: &str, offset: usize) -> Vec<Item> {
    let Some(kind) = doc.kind else {
        return Vec::new();
    };
    let empty = Value::Object(serde_json::Map::new());
    let value = doc.value.as_ref().unwrap_or(&empty);
    let cx = context(text, offset);
    match &cx.key {
        // `- ` starts a list item: a value (a beat id…), or the first key of a mapping.
        None if cx.item => {
            let found = values(ws, kind, value, &cx.parent);
            if found.is_empty() {
                keys(kind, value, &cx.parent)
            } else {
                found
            }
        }
        None => keys(kind, value, &cx.parent),
        Some(key) => {
            let path = cx.parent.clone().key(key);
            values(ws, kind, value, &path)
        }
    }
}

fn keys(kind: schema::SchemaKind, value: &Value, parent: &Path) -> Vec<Item> {
    let Some(slot) = schema::slot(kind, value, parent) else {
        return Vec::new();
    };
    let present = parent.lookup(value);
    slot.properties
        .iter()
        .filter(|(name, _)| present.and_then(|p| p.get(*name)).is_none())
        .map(|(name, doc)| Item {
            label: (*name).to_owned(),
            kind: ItemKind::Key,
            detail: None,
            documentation: doc.map(str::to_owned),
            insert: format!("{name}: "),
        })
        .collect()
}

fn values(ws: &Workspace, kind: schema::SchemaKind, value: &Value, path: &Path) -> Vec<Item> {
    let Some(slot) = schema::slot(kind, value, path) else {
        return Vec::new();
    };
    let reference = |label: String, detail: Option<String>| Item {
        insert: label.clone(),
        label,
        kind: ItemKind::Reference,
        detail,
        documentation: None,
    };
    match slot.reference {
        Some("theory_id") => {
            let mut ids: Vec<&str> = ws.theory_ids().collect();
            ids.sort_unstable();
            return ids
                .into_iter()
                .map(|id| {
                    let name = ws.theory(id).map(|(_, t)| t.name.clone());
                    reference(id.to_owned(), name)
                })
                .collect();
        }
        Some("beat_id") => {
            let in_source = matches!(
                path.segments().first(),
                Some(fabula_core::path::Segment::Key(k)) if k == "source"
            );
            let theory = if in_source {
                value.pointer("/source/theory")
            } else {
                value.get("theory")
            }
            .and_then(Value::as_str);
            let Some((_, theory)) = theory.and_then(|t| ws.theory(t)) else {
                return Vec::new();
            };
            return theory
                .beats
                .iter()
                .map(|b| reference(b.id.clone(), Some(b.name.clone())))
                .collect();
        }
        Some("name") => {
            let last = path.segments().last();
            let is_provider =
                matches!(last, Some(fabula_core::path::Segment::Key(k)) if k == "provider");
            let table = if is_provider { "providers" } else { "models" };
            return value
                .get(table)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(name, _)| reference(name.clone(), None))
                .collect();
        }
        _ => {}
    }
    slot.values
        .iter()
        .map(|v| {
            let label = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Item {
                insert: label.clone(),
                label,
                kind: ItemKind::Value,
                detail: None,
                documentation: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Context {
        let offset = text.find('|').unwrap();
        let text = text.replace('|', "");
        context(&text, offset)
    }

    #[test]
    fn reads_the_path_off_the_indentation() {
        assert_eq!(at("id: x\nthe|").parent, Path::root());
        assert_eq!(at("id: x\ntheory: |").key.as_deref(), Some("theory"));
        let cx = at("before:\n  beat: x\n  te|");
        assert_eq!(cx.parent, Path::root().key("before"));
        let cx = at("before:\n  beat: |");
        assert_eq!(cx.parent, Path::root().key("before"));
        assert_eq!(cx.key.as_deref(), Some("beat"));
        let cx = at("beats:\n  - |");
        assert_eq!(cx.parent, Path::root().key("beats").index(0));
        assert!(cx.item && cx.key.is_none());
        let cx = at("links:\n  - from: a\n    to: |");
        assert_eq!(cx.parent, Path::root().key("links").index(0));
        assert_eq!(cx.key.as_deref(), Some("to"));
        let cx = at("models:\n  a:\n    provider: |");
        assert_eq!(cx.parent, Path::root().key("models").key("a"));
    }
}
