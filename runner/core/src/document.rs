//! One file of a project, loaded: its kind, text, value tree, span tree, typed model and
//! the diagnostics that need no other file (syntax, then schema).
//!
//! Loading never fails: broken input is ordinary input and comes back as diagnostics.

use crate::diagnostic::Diagnostic;
use crate::model::{Config, SlopList, Task, Theory};
use crate::schema::{self, SchemaKind};
use crate::syntax::{MAX_FILE_BYTES, Parsed, SpanTree, parse_value, splice, too_large};
use crate::text::TextRange;
use serde_json::Value;
use std::sync::OnceLock;

/// The typed content of a file that passed its schema.
#[derive(Clone, Debug)]
pub enum Model {
    Task(Box<Task>),
    Theory(Theory),
    Config(Config),
    Slop(SlopList),
}

#[derive(Clone, Debug)]
pub struct Document {
    /// Path as given (relative to the project root, `/`-separated, when it is inside it).
    pub path: String,
    /// The text (lossily decoded if the bytes were not UTF-8).
    pub text: String,
    pub kind: Option<SchemaKind>,
    /// Present when the text parsed as YAML.
    pub value: Option<Value>,
    /// Built on first use ([`Document::spans`]): a file with nothing to report never
    /// needs positions, and building them costs more than parsing.
    spans: OnceLock<SpanTree>,
    /// Where the YAML starts in `text` (after a BOM).
    base: usize,
    pub model: Option<Model>,
    /// Syntax and schema diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Large, parsed, and free of anchors, aliases, tags, directives and extra documents:
    /// an edit may re-parse only the entry it touched ([`Document::reparse`]).
    splice_safe: bool,
}

const BOM: &str = "\u{feff}";

impl Document {
    /// Loads a file from raw bytes: invalid UTF-8 is a diagnostic, not an error.
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Document {
        if bytes.len() > MAX_FILE_BYTES {
            // Keep only a head for display: memory stays bounded whatever the size.
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
            let mut doc = Document::empty(path, head, kind_from_path(path));
            doc.diagnostics.push(too_large());
            return doc;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Document::load(path, text),
            Err(err) => {
                let at = err.valid_up_to();
                let text = String::from_utf8_lossy(bytes).into_owned();
                let mut doc = Document::empty(path, text, kind_from_path(path));
                doc.diagnostics.push(Diagnostic::error(
                    "invalid-utf8",
                    TextRange::new(at, at + 1),
                    format!("file is not valid UTF-8 (bad byte at offset {at}); is it binary?"),
                ));
                doc
            }
        }
    }

    /// Loads a file from text. The kind comes from the path, else from the content.
    pub fn load(path: &str, text: &str) -> Document {
        let mut doc = Document::empty(path, text.to_owned(), kind_from_path(path));
        let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
        let body = &text[base..];
        match parse_value(body) {
            Parsed::Value(value) => {
                doc.base = base;
                doc.splice_safe =
                    base == 0 && text.len() >= splice::MIN_BYTES && splice::is_safe(text);
                doc.finish(value);
            }
            Parsed::Invalid(mut d) => {
                d.range =
                    TextRange::new(d.range.start as usize + base, d.range.end as usize + base);
                doc.diagnostics.push(d);
            }
        }
        doc
    }

    /// This document's file with new content, the same as [`Document::from_bytes`] would
    /// load. For a large file where the edit stays inside one entry (a sequence item, a
    /// key), only that entry is parsed again and spliced into the value tree and, when it
    /// was built, the span tree.
    pub fn reparse(&self, bytes: &[u8]) -> Document {
        self.moved(bytes)
            .or_else(|| self.spliced(bytes))
            .unwrap_or_else(|| Document::from_bytes(&self.path, bytes))
    }

    /// An edit of the comments at the head of the file (a header, a licence) changes no
    /// value: the same document, with every range moved.
    fn moved(&self, bytes: &[u8]) -> Option<Document> {
        if !self.splice_safe || bytes.len() > MAX_FILE_BYTES {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let change = splice::head_comment_change(&self.text, text)?;
        let spans = OnceLock::new();
        if let Some(old) = self.spans.get() {
            let _ = spans.set(old.shifted(&change));
        }
        Some(Document {
            path: self.path.clone(),
            text: text.to_owned(),
            kind: self.kind,
            value: self.value.clone(),
            spans,
            base: self.base,
            model: self.model.clone(),
            diagnostics: self
                .diagnostics
                .iter()
                .map(|d| moved(d, &self.path, &change))
                .collect(),
            splice_safe: true,
        })
    }

    fn spliced(&self, bytes: &[u8]) -> Option<Document> {
        if !self.splice_safe || bytes.len() > MAX_FILE_BYTES {
            return None;
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let old_value = self.value.as_ref()?;
        let mut found = splice::find(&self.text, text, old_value)?;
        let mut value = old_value.clone();
        *found.path.lookup_mut(&mut value)? = std::mem::take(&mut found.value);
        let mut doc = Document::empty(&self.path, text.to_owned(), kind_from_path(&self.path));
        doc.splice_safe = true;
        if let Some(old) = self.spans.get() {
            let fragment = SpanTree::parse(&found.text, found.fragment.start);
            if let Some(spans) = old.splice(&found, &fragment) {
                let _ = doc.spans.set(spans);
            }
        }
        doc.finish(value);
        Some(doc)
    }

    /// The rest of loading, once the text parsed: the kind, the schema, the model.
    fn finish(&mut self, value: Value) {
        let base = self.base;
        self.value = Some(value);
        let Some(value) = self.value.as_ref() else {
            return;
        };
        if self.kind.is_none() {
            self.kind = kind_from_content(value);
        }
        match self.kind {
            None => self.diagnostics.push(Diagnostic::warning(
                "unknown-file",
                self.spans()
                    .map_or(TextRange::empty(base), |s| s.root().key_or_value()),
                "not a Fabula file: expected a task, a theory, fabula.yaml or a slop list",
            )),
            Some(kind) if value.is_null() => self.diagnostics.push(Diagnostic::error(
                "empty-file",
                TextRange::empty(base),
                format!("file is empty; expected {}", describe_kind(kind)),
            )),
            Some(kind) => {
                let found = if schema::is_valid(kind, value) {
                    Vec::new()
                } else {
                    self.spans()
                        .map(|spans| schema::validate(kind, value, spans))
                        .unwrap_or_default()
                };
                if found.is_empty() {
                    match read_model(kind, value) {
                        Ok(model) => self.model = Some(model),
                        Err(err) => {
                            let at = self
                                .spans()
                                .map_or(TextRange::empty(base), |s| s.root().key_or_value());
                            self.diagnostics.push(Diagnostic::error(
                                "schema",
                                at,
                                format!("could not read {}: {err}", describe_kind(kind)),
                            ));
                        }
                    }
                }
                self.diagnostics.extend(found);
            }
        }
    }

    /// A file that could not be read: one diagnostic says why.
    pub fn unreadable(path: &str, reason: &str) -> Document {
        let mut doc = Document::empty(path, String::new(), kind_from_path(path));
        doc.diagnostics
            .push(Diagnostic::error("unreadable", TextRange::empty(0), reason));
        doc
    }

    fn empty(path: &str, text: String, kind: Option<SchemaKind>) -> Document {
        Document {
            path: path.to_owned(),
            text,
            kind,
            value: None,
            spans: OnceLock::new(),
            base: 0,
            model: None,
            diagnostics: Vec::new(),
            splice_safe: false,
        }
    }

    /// The position tree, for a document whose text parsed as YAML.
    pub fn spans(&self) -> Option<&SpanTree> {
        self.value.as_ref()?;
        let body = self.text.get(self.base..)?;
        Some(self.spans.get_or_init(|| SpanTree::parse(body, self.base)))
    }

    pub fn task(&self) -> Option<&Task> {
        match &self.model {
            Some(Model::Task(t)) => Some(t),
            _ => None,
        }
    }

    pub fn theory(&self) -> Option<&Theory> {
        match &self.model {
            Some(Model::Theory(t)) => Some(t),
            _ => None,
        }
    }

    pub fn config(&self) -> Option<&Config> {
        match &self.model {
            Some(Model::Config(c)) => Some(c),
            _ => None,
        }
    }

    /// The file name without `.yaml` / `.yml`.
    pub fn stem(&self) -> &str {
        let name = self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path);
        name.strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
            .unwrap_or(name)
    }

    /// Whether the file is a draft (`dataset/drafts/<type>/<id>.yaml`): checked like a
    /// task, but never part of a run until its author moves it into `dataset/tasks/`.
    pub fn is_draft(&self) -> bool {
        is_draft_path(&self.path)
    }

    /// The name of the folder holding the file.
    pub fn folder(&self) -> Option<&str> {
        let mut parts = self.path.rsplit(['/', '\\']);
        parts.next();
        parts.next()
    }
}

/// A diagnostic of the file at `path` after `change`: its ranges, its fixes' and those
/// of its related places in the same file move with the text.
fn moved(d: &Diagnostic, path: &str, change: &splice::Change) -> Diagnostic {
    let mut d = d.clone();
    d.range = change.range(d.range);
    for r in d.related.iter_mut().filter(|r| r.path == path) {
        r.range = change.range(r.range);
    }
    for edit in d.fixes.iter_mut().flat_map(|f| f.edits.iter_mut()) {
        edit.range = change.range(edit.range);
    }
    d
}

/// The kind a path implies: `fabula.yaml`, `…/theories/*.yaml`, `…/tasks/**.yaml` and
/// `…/drafts/**.yaml` (tasks), `slop.yaml`. Other paths are classified by their content.
pub fn kind_from_path(path: &str) -> Option<SchemaKind> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let name = *parts.last()?;
    let dirs = &parts[..parts.len() - 1];
    if name == "fabula.yaml" || name == "fabula.yml" {
        Some(SchemaKind::Config)
    } else if dirs.last() == Some(&"theories") {
        Some(SchemaKind::Theory)
    } else if dirs.contains(&"tasks") || dirs.contains(&"drafts") {
        Some(SchemaKind::Task)
    } else if name == "slop.yaml" {
        Some(SchemaKind::Slop)
    } else {
        None
    }
}

/// Whether `path` lies in a `drafts` folder: model-drafted tasks waiting for their
/// author's review (`fabula draft`), never part of a run.
pub fn is_draft_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    parts[..parts.len().saturating_sub(1)].contains(&"drafts")
}

fn kind_from_content(value: &Value) -> Option<SchemaKind> {
    let map = value.as_object()?;
    if map.contains_key("providers") || map.contains_key("models") {
        Some(SchemaKind::Config)
    } else if map.contains_key("phrases") {
        Some(SchemaKind::Slop)
    } else if map.contains_key("type") {
        Some(SchemaKind::Task)
    } else if map.contains_key("beats") && map.contains_key("summary") {
        Some(SchemaKind::Theory)
    } else {
        None
    }
}

fn describe_kind(kind: SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Task => "a task",
        SchemaKind::Theory => "a theory",
        SchemaKind::Config => "a project configuration",
        SchemaKind::Slop => "a slop list",
    }
}

fn read_model(kind: SchemaKind, value: &Value) -> Result<Model, serde_json::Error> {
    use serde::Deserialize;
    Ok(match kind {
        SchemaKind::Task => Model::Task(Box::new(Task::from_value(value)?)),
        SchemaKind::Theory => Model::Theory(Theory::deserialize(value)?),
        SchemaKind::Config => Model::Config(Config::deserialize(value)?),
        SchemaKind::Slop => Model::Slop(SlopList::deserialize(value)?),
    })
}
