//! The outline of a file: a task's top-level fields, a theory's beats, the models and
//! providers of `fabula.yaml`.

use fabula_core::document::Document;
use fabula_core::path::Path;
use fabula_core::syntax::SpanKind;
use fabula_core::text::TextRange;

#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    /// The whole entry.
    pub range: TextRange,
    /// The part to select (the key).
    pub selection: TextRange,
    pub kind: Kind,
    pub children: Vec<Symbol>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Field,
    List,
    Beat,
    Model,
}

pub fn symbols(doc: &Document) -> Vec<Symbol> {
    let Some(spans) = doc.spans() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, node) in spans.children(&Path::root()) {
        let Some(name) = name else { continue };
        let key = node.key.unwrap_or(node.value);
        let range = TextRange::new(key.start as usize, node.value.end.max(key.end) as usize);
        let mut symbol = Symbol {
            name: name.to_owned(),
            detail: None,
            range,
            selection: key,
            kind: if node.kind == SpanKind::Sequence {
                Kind::List
            } else {
                Kind::Field
            },
            children: Vec::new(),
        };
        if let Some(theory) = doc.theory().filter(|_| name == "beats") {
            for (i, beat) in theory.beats.iter().enumerate() {
                let (item, found) = spans.find(&Path::root().key("beats").index(i));
                if !found {
                    continue;
                }
                symbol.children.push(Symbol {
                    name: beat.name.clone(),
                    detail: Some(beat.id.clone()),
                    range: item.value,
                    selection: spans.value_range(&Path::root().key("beats").index(i).key("id")),
                    kind: Kind::Beat,
                    children: Vec::new(),
                });
            }
        }
        if doc.config().is_some() && (name == "models" || name == "providers") {
            for (child, c) in spans.children(&Path::root().key(name)) {
                let Some(child) = child else { continue };
                let key = c.key.unwrap_or(c.value);
                symbol.children.push(Symbol {
                    name: child.to_owned(),
                    detail: None,
                    range: TextRange::new(key.start as usize, c.value.end.max(key.end) as usize),
                    selection: key,
                    kind: Kind::Model,
                    children: Vec::new(),
                });
            }
        }
        if name == "id"
            && let Some(id) = doc
                .value
                .as_ref()
                .and_then(|v| v.get("id"))
                .and_then(|v| v.as_str())
        {
            symbol.detail = Some(id.to_owned());
        }
        out.push(symbol);
    }
    out
}
