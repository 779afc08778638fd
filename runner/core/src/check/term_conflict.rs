//! `term-conflict`: the same term is both required (`must_include`) and forbidden
//! (`must_not_include`).
//!
//! Why: no text can satisfy both, so every model fails a constraint by construction.

use super::{Check, Context, On, Reads};
use crate::diagnostic::{Diagnostic, Related};
use crate::path;

pub const CHECK: Check = Check {
    code: "term-conflict",
    doc: "A term is both required and forbidden; no text can satisfy both.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let Some(c) = task.constraints() else { return };
    for (i, forbidden) in c.must_not_include.iter().enumerate() {
        let key = forbidden.trim().to_lowercase();
        if let Some(j) = c
            .must_include
            .iter()
            .position(|r| r.trim().to_lowercase() == key)
        {
            out.push(
                Diagnostic::error(
                    CHECK.code,
                    cx.value(&path!["constraints", "must_not_include", i]),
                    format!("`{forbidden}` is both required and forbidden"),
                )
                .with_related(Related {
                    path: cx.doc.path.clone(),
                    range: cx.value(&path!["constraints", "must_include", j]),
                    message: "required here".to_owned(),
                }),
            );
        }
    }
}
