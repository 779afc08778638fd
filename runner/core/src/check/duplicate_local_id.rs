//! `duplicate-local-id`: an id repeated within one file: a theory's beat ids, a
//! sequence's step ids, a constraint-discovery task's hidden constraint ids.
//!
//! Why: these ids are how tasks, transcripts and judges refer to the items; a repeat
//! makes the reference ambiguous.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;
use crate::path::Path;
use std::collections::HashSet;

pub const CHECK: Check = Check {
    code: "duplicate-local-id",
    doc: "An id repeated within one file (beat ids of a theory, step ids of a sequence, hidden constraint ids); references to it become ambiguous.",
    on: On::TASKS.with_theories(),
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut ids: Vec<(&str, Path)> = Vec::new();
    let what;
    if let Some(theory) = cx.theory() {
        what = "beat";
        ids.extend(
            theory
                .beats
                .iter()
                .enumerate()
                .map(|(i, b)| (b.id.as_str(), path!["beats", i, "id"])),
        );
    } else if let Some(task) = cx.task() {
        match &task.body {
            TaskBody::Sequence(t) => {
                what = "step";
                ids.extend(
                    t.steps
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (s.id.as_str(), path!["steps", i, "id"])),
                );
            }
            TaskBody::AgenticConstraintDiscovery(t) => {
                what = "constraint";
                ids.extend(
                    t.hidden_constraints
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.id.as_str(), path!["hidden_constraints", i, "id"])),
                );
            }
            _ => return,
        }
    } else {
        return;
    }
    let mut seen = HashSet::new();
    for (id, at) in ids {
        if !seen.insert(id) {
            out.push(Diagnostic::error(
                CHECK.code,
                cx.value(&at),
                format!("{what} id `{id}` is used more than once in this file"),
            ));
        }
    }
}
