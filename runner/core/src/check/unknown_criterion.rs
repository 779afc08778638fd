//! `unknown-criterion`: a task's rubric override names a criterion its task type does not
//! have.
//!
//! Why: judges are asked only for the type's criteria; a weight on anything else is
//! never scored.

use super::{Check, Context, On, Reads};
use crate::criteria;
use crate::diagnostic::Diagnostic;
use crate::path;
use crate::suggest;

pub const CHECK: Check = Check {
    code: "unknown-criterion",
    doc: "A rubric override names a criterion the task type does not have; judges never score it.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let Some(rubric) = &task.rubric else { return };
    let ty = task.task_type();
    let known: Vec<&str> = criteria::default_weights(ty)
        .iter()
        .map(|(c, _)| *c)
        .collect();
    for name in rubric.keys() {
        if known.contains(&name.as_str()) {
            continue;
        }
        let mut d = Diagnostic::error(
            CHECK.code,
            cx.key(&path!["rubric", name.as_str()]),
            format!(
                "`{name}` is not a criterion of {ty}; criteria: {}",
                known.join(", ")
            ),
        );
        if let Some(near) = suggest::closest(name, known.iter().copied()) {
            d = d.with_replacement(format!("replace with `{near}`"), near);
        }
        out.push(d);
    }
}
