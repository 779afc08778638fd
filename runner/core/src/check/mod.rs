//! Semantic checks: what the schema cannot see. One check per file, each with a stable
//! code and a doc comment saying what it finds and why it matters (hover shows it).
//!
//! Checks run on one document with the whole workspace in view, so a language server can
//! re-check a single file and a CLI can check them all with the same code.

use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::model::{Config, Task, Theory};
use crate::path::Path;
use crate::text::TextRange;
use crate::workspace::Workspace;

mod beat_order;
mod beats_not_adjacent;
mod budget_no_room;
mod constraint_count;
mod duplicate_local_id;
mod duplicate_task_id;
mod incomplete_source;
mod link_order;
mod missing_role;
mod no_control_task;
mod no_hidden_constraints;
mod path_mismatch;
mod placeholder;
mod reserved_name;
mod rubric_weights;
mod same_theory;
mod term_conflict;
mod too_few_questions;
mod unknown_beat;
mod unknown_criterion;
mod unknown_model;
mod unknown_provider;
mod unknown_theory;
mod word_range;

/// A semantic check.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// Stable code (`unknown-beat`); names the problem, not the fix.
    pub code: &'static str,
    /// What it finds and why it matters, in a sentence or two.
    pub doc: &'static str,
    pub run: fn(&Context<'_>, &mut Vec<Diagnostic>),
}

/// Every semantic check, in the order they run.
pub const CHECKS: &[Check] = &[
    path_mismatch::CHECK,
    unknown_theory::CHECK,
    unknown_beat::CHECK,
    beat_order::CHECK,
    beats_not_adjacent::CHECK,
    same_theory::CHECK,
    incomplete_source::CHECK,
    link_order::CHECK,
    duplicate_task_id::CHECK,
    duplicate_local_id::CHECK,
    word_range::CHECK,
    budget_no_room::CHECK,
    term_conflict::CHECK,
    constraint_count::CHECK,
    rubric_weights::CHECK,
    unknown_criterion::CHECK,
    no_hidden_constraints::CHECK,
    too_few_questions::CHECK,
    no_control_task::CHECK,
    unknown_provider::CHECK,
    unknown_model::CHECK,
    missing_role::CHECK,
    placeholder::CHECK,
    reserved_name::CHECK,
];

/// Codes of diagnostics that come from loading (syntax and schema), with what they mean.
pub const LOAD_CODES: &[(&str, &str)] = &[
    (
        "yaml-syntax",
        "The text is not valid YAML (or exceeds a safety budget: aliases, nesting, size).",
    ),
    ("unreadable", "The file could not be read."),
    ("invalid-utf8", "The file is not UTF-8 text."),
    ("file-too-large", "The file is larger than Fabula reads."),
    ("empty-file", "The file has no content."),
    (
        "unknown-file",
        "The file is not recognised as a task, theory, fabula.yaml or slop list.",
    ),
    (
        "unknown-field",
        "A key the schema does not define (often a typo).",
    ),
    ("missing-field", "A required key is missing."),
    (
        "forbidden-field",
        "A key that must not be present in this combination.",
    ),
    (
        "wrong-type",
        "A value of the wrong type (text where a number belongs…).",
    ),
    ("invalid-value", "A value outside the allowed set."),
    (
        "invalid-format",
        "A value that does not match the required pattern (ids: lowercase snake_case).",
    ),
    (
        "invalid-key",
        "A mapping key outside the allowed set or pattern.",
    ),
    (
        "duplicate-item",
        "A list that must not repeat an item repeats one.",
    ),
    (
        "out-of-range",
        "A number, text length or list length outside its bounds.",
    ),
    ("schema", "Another schema violation."),
];

/// What a code means: the check's doc, or the loading code's description.
pub fn explain(code: &str) -> Option<&'static str> {
    CHECKS
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.doc)
        .or_else(|| LOAD_CODES.iter().find(|(c, _)| *c == code).map(|(_, d)| *d))
}

/// The semantic diagnostics of one document.
pub fn check_document(ws: &Workspace, doc: &Document) -> Vec<Diagnostic> {
    if doc.model.is_none() {
        return Vec::new();
    }
    let cx = Context { ws, doc };
    let mut out = Vec::new();
    for check in CHECKS {
        (check.run)(&cx, &mut out);
    }
    out
}

/// All diagnostics of one document: loading (syntax, schema), then semantic.
pub fn diagnostics(ws: &Workspace, doc: &Document) -> Vec<Diagnostic> {
    let mut all = doc.diagnostics.clone();
    all.extend(check_document(ws, doc));
    all.sort_by(|a, b| a.range.cmp(&b.range).then(a.code.cmp(b.code)));
    all
}

/// What a check sees.
pub struct Context<'a> {
    pub ws: &'a Workspace,
    pub doc: &'a Document,
}

impl<'a> Context<'a> {
    pub fn task(&self) -> Option<&'a Task> {
        self.doc.task()
    }

    pub fn theory(&self) -> Option<&'a Theory> {
        self.doc.theory()
    }

    pub fn config(&self) -> Option<&'a Config> {
        self.doc.config()
    }

    /// Range of the value at `path`. Positions are computed on first use: a clean file
    /// never pays for them.
    pub fn value(&self, path: &Path) -> TextRange {
        self.doc
            .spans()
            .map_or(TextRange::empty(0), |s| s.value_range(path))
    }

    /// Range of the key at `path` (falls back to the value).
    pub fn key(&self, path: &Path) -> TextRange {
        self.doc
            .spans()
            .map_or(TextRange::empty(0), |s| s.key_range(path))
    }
}
