//! Semantic checks: what the schema cannot see. One check per file, each with a stable
//! code and a doc comment saying what it finds and why it matters (hover shows it).
//!
//! Checks run on one document with the workspace in view, so a language server can
//! re-check a single file and a CLI can check them all with the same code. Each check
//! declares which documents it runs on ([`On`]) and what else it reads ([`Reads`]); its
//! [`Context`] answers only what it declared, in every front end, and a language server
//! derives from the same declarations which files a file's diagnostics depend on
//! ([`Inputs`]). A check that reads something new must say so, or it sees nothing (and
//! debug builds stop at the undeclared read).

use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::model::{Config, Task, TaskType, Theory};
use crate::path::Path;
use crate::schema::SchemaKind;
use crate::text::TextRange;
use crate::workspace::Workspace;

mod beat_order;
mod beats_not_adjacent;
mod budget_no_room;
mod concurrency_range;
mod constraint_count;
mod duplicate_local_id;
mod duplicate_task_id;
mod incomplete_source;
mod inputs;
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

pub use inputs::Inputs;

/// A semantic check.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    /// Stable code (`unknown-beat`); names the problem, not the fix.
    pub code: &'static str,
    /// What it finds and why it matters, in a sentence or two: shown on hover and by
    /// `fabula check --explain`.
    pub doc: &'static str,
    /// The documents it runs on.
    pub on: On,
    /// What it reads besides the document it runs on.
    pub reads: Reads,
    pub run: fn(&Context<'_>, &mut Vec<Diagnostic>),
}

/// A set of tasks, by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tasks {
    None,
    All,
    Of(&'static [TaskType]),
}

impl Tasks {
    pub fn contains(self, ty: TaskType) -> bool {
        match self {
            Tasks::None => false,
            Tasks::All => true,
            Tasks::Of(types) => types.contains(&ty),
        }
    }
}

/// The documents a check runs on.
#[derive(Clone, Copy, Debug)]
pub struct On {
    pub tasks: Tasks,
    pub theories: bool,
    pub config: bool,
}

impl On {
    pub const TASKS: On = On {
        tasks: Tasks::All,
        theories: false,
        config: false,
    };
    pub const THEORIES: On = On {
        tasks: Tasks::None,
        theories: false,
        config: false,
    }
    .with_theories();
    pub const CONFIG: On = On {
        tasks: Tasks::None,
        theories: false,
        config: true,
    };

    pub const fn with_theories(mut self) -> On {
        self.theories = true;
        self
    }

    pub const fn with_config(mut self) -> On {
        self.config = true;
        self
    }

    /// Whether a check declared so runs on `doc` (a document whose model loaded).
    pub fn matches(&self, doc: &Document) -> bool {
        match doc.kind {
            Some(SchemaKind::Task) => doc
                .task()
                .is_some_and(|t| self.tasks.contains(t.task_type())),
            Some(SchemaKind::Theory) => self.theories,
            Some(SchemaKind::Config) => self.config,
            _ => false,
        }
    }
}

/// What a check reads besides the document it runs on.
#[derive(Clone, Copy, Debug)]
pub struct Reads {
    /// Theory files: by id, their ids, and which theory files exist at all (loaded or
    /// not).
    pub theories: bool,
    /// The project configuration (`fabula.yaml`).
    pub config: bool,
    /// The other tasks with the same id as the task checked.
    pub same_id: bool,
    /// Every task of these types.
    pub tasks: Tasks,
}

impl Reads {
    /// Nothing but the document itself.
    pub const NOTHING: Reads = Reads {
        theories: false,
        config: false,
        same_id: false,
        tasks: Tasks::None,
    };
    pub const THEORIES: Reads = Reads {
        theories: true,
        ..Reads::NOTHING
    };
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
    concurrency_range::CHECK,
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
    let mut out = Vec::new();
    for check in CHECKS.iter().filter(|c| c.on.matches(doc)) {
        let cx = Context {
            ws,
            doc,
            reads: check.reads,
            code: check.code,
        };
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

/// What a check sees: its document, and of the workspace what it declared it reads.
pub struct Context<'a> {
    ws: &'a Workspace,
    pub doc: &'a Document,
    reads: Reads,
    code: &'static str,
}

impl<'a> Context<'a> {
    /// Whether the check declared `what`; debug builds stop at an undeclared read (the
    /// check's tests find it), release builds answer as if there were nothing to read.
    fn declared(&self, declared: bool, what: &str) -> bool {
        debug_assert!(
            declared,
            "check `{}` reads {what} without declaring it in `reads`",
            self.code
        );
        declared
    }

    /// A theory by id (the first by path, as [`Workspace::theory`]).
    pub fn theory_by_id(&self, id: &str) -> Option<(&'a Document, &'a Theory)> {
        self.declared(self.reads.theories, "theories")
            .then(|| self.ws.theory(id))
            .flatten()
    }

    /// Whether a theory file named `<id>.yaml` exists, loaded or not.
    pub fn has_theory_file(&self, id: &str) -> bool {
        self.declared(self.reads.theories, "theories") && self.ws.has_theory_file(id)
    }

    /// The ids of the loaded theories.
    pub fn theory_ids(&self) -> Vec<&'a str> {
        if !self.declared(self.reads.theories, "theories") {
            return Vec::new();
        }
        self.ws.theory_ids().collect()
    }

    /// The other documents holding a task with this id.
    pub fn others_with_id(&self, id: &str) -> Vec<&'a Document> {
        if !self.declared(self.reads.same_id, "tasks with the same id") {
            return Vec::new();
        }
        // A draft is also compared with the other drafts; a task never sees drafts.
        let drafts = self
            .doc
            .is_draft()
            .then(|| self.ws.drafts_with_id(id))
            .into_iter()
            .flatten();
        self.ws
            .tasks_with_id(id)
            .chain(drafts)
            .filter(|d| d.path != self.doc.path)
            .collect()
    }

    /// The tasks of the declared types, in path order.
    pub fn tasks(&self) -> Vec<(&'a Document, &'a Task)> {
        let wanted = self.reads.tasks;
        if !self.declared(wanted != Tasks::None, "tasks") {
            return Vec::new();
        }
        self.ws
            .tasks()
            .filter(|(_, t)| wanted.contains(t.task_type()))
            .collect()
    }

    /// The project configuration (`fabula.yaml`).
    pub fn project_config(&self) -> Option<&'a Config> {
        self.declared(self.reads.config, "the configuration")
            .then(|| self.ws.config().map(|(_, c)| c))
            .flatten()
    }

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
