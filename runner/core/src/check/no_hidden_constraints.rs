//! `no-hidden-constraints`: a constraint-discovery task with no hidden constraints.
//!
//! Why: the task measures how well a model discovers hidden constraints by asking; with
//! none there is nothing to discover and discovery efficiency is undefined.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;

pub const CHECK: Check = Check {
    code: "no-hidden-constraints",
    doc: "A constraint-discovery task has no hidden constraints: nothing to discover, and discovery efficiency is undefined.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let TaskBody::AgenticConstraintDiscovery(t) = &task.body else {
        return;
    };
    if t.hidden_constraints.is_empty() {
        out.push(Diagnostic::error(
            CHECK.code,
            cx.key(&path!["hidden_constraints"]),
            "constraint-discovery task has no hidden constraints to discover",
        ));
    }
}
