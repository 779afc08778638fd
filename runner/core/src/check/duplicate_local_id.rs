//! `duplicate-local-id`: an id repeated within one file: a theory's beat ids, a
//! sequence's step ids, a constraint-discovery task's hidden constraint ids.
//!
//! Why: these ids are how tasks, transcripts and judges refer to the items; a repeat
//! makes the reference ambiguous.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;
use std::collections::HashSet;

pub const CHECK: Check = Check {
    code: "duplicate-local-id",
    doc: "An id repeated within one file (beat ids of a theory, step ids of a sequence, hidden constraint ids); references to it become ambiguous.",
    on: On::TASKS.with_theories(),
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    // The ids, and the list they are in (paths are built only for the repeated ones:
    // a sequence can have thousands of steps).
    let (what, list, ids): (&str, &str, Vec<&str>) = if let Some(theory) = cx.theory() {
        (
            "beat",
            "beats",
            theory.beats.iter().map(|b| b.id.as_str()).collect(),
        )
    } else if let Some(task) = cx.task() {
        match &task.body {
            TaskBody::Sequence(t) => (
                "step",
                "steps",
                t.steps.iter().map(|s| s.id.as_str()).collect(),
            ),
            TaskBody::AgenticConstraintDiscovery(t) => (
                "constraint",
                "hidden_constraints",
                t.hidden_constraints.iter().map(|c| c.id.as_str()).collect(),
            ),
            _ => return,
        }
    } else {
        return;
    };
    let mut seen = HashSet::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        if !seen.insert(id) {
            out.push(Diagnostic::error(
                CHECK.code,
                cx.value(&path![list, i, "id"]),
                format!("{what} id `{id}` is used more than once in this file"),
            ));
        }
    }
}
