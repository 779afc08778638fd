//! `same-theory`: a theory conversion whose source theory is its target theory.
//!
//! Why: converting a story into the structure it already has tests nothing.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;

pub const CHECK: Check = Check {
    code: "same-theory",
    doc: "A theory conversion whose source theory is also its target; converting a story into the structure it already has tests nothing.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let TaskBody::TheoryConversion(t) = &task.body else {
        return;
    };
    if t.source.theory == task.theory {
        out.push(Diagnostic::error(
            CHECK.code,
            cx.value(&path!["source", "theory"]),
            format!("source theory `{}` is also the target theory", task.theory),
        ));
    }
}
