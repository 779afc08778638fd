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
    collect(value, Path::root(), &mut found);
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

/// Every placeholder string under `value`, with its path (diagnostics are sorted later).
fn collect<'v>(value: &'v Value, path: Path, out: &mut Vec<(Path, &'v str)>) {
    match value {
        Value::String(s) if is_placeholder(s) => out.push((path, s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(item, path.clone().index(i), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                collect(v, path.clone().key(k), out);
            }
        }
        _ => {}
    }
}
