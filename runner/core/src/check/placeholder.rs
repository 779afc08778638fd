//! `placeholder`: a task still holds a placeholder (`"TODO: …"`) where an author must
//! write, as `fabula new` leaves them.
//!
//! Why: a skeleton is schema-valid on purpose, so that the editor helps while it is
//! filled in; without this check a half-written task would be run and judged, and its
//! "TODO" text would reach the models.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path::Path;
use crate::scaffold::is_placeholder;
use serde_json::Value;

pub const CHECK: Check = Check {
    code: "placeholder",
    doc: "A task still holds a placeholder (\"TODO: …\") from its skeleton; it would be run with that text until it is replaced.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if cx.task().is_none() {
        return;
    }
    let Some(value) = &cx.doc.value else { return };
    let mut found = Vec::new();
    collect(value, &mut Vec::new(), &mut found);
    for (path, text) in found {
        let shown: String = text.trim().chars().take(60).collect();
        let more = if text.trim().chars().count() > 60 {
            "…"
        } else {
            ""
        };
        out.push(Diagnostic::error(
            CHECK.code,
            cx.value(&path),
            format!("placeholder `{shown}{more}` still to be written"),
        ));
    }
}

/// A step from a node to one of its children, borrowed from the value tree.
#[derive(Clone, Copy)]
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// Every placeholder string under `value`, with its path (diagnostics are sorted later).
/// `at` is the way down to `value`; a path is built only for a placeholder found.
fn collect<'v>(value: &'v Value, at: &mut Vec<Step<'v>>, out: &mut Vec<(Path, &'v str)>) {
    match value {
        Value::String(s) if is_placeholder(s) => {
            let path = at.iter().fold(Path::root(), |path, step| match step {
                Step::Key(k) => path.key(k),
                Step::Index(i) => path.index(*i),
            });
            out.push((path, s));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(Step::Index(i));
                collect(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                at.push(Step::Key(k));
                collect(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}
