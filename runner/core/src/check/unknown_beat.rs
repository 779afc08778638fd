//! `unknown-beat`: a task names a beat that its theory does not have.
//!
//! Why: the model is asked to write that beat and the judge checks its definition; a
//! misspelt id silently drops both.

use super::{Check, Context, On, Reads};
use crate::diagnostic::{Diagnostic, Related};
use crate::path;
use crate::suggest;

pub const CHECK: Check = Check {
    code: "unknown-beat",
    doc: "A task names a beat its theory does not have; the prompt and the judges need the beat's definition.",
    on: On::TASKS,
    reads: Reads::THEORIES,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    for use_ in task.beat_uses() {
        let Some((theory_doc, theory)) = cx.theory_by_id(use_.theory) else {
            continue;
        };
        if theory.beat(use_.beat).is_some() {
            continue;
        }
        let mut d = Diagnostic::error(
            CHECK.code,
            cx.value(&use_.path),
            format!("`{}` is not a beat of {}", use_.beat, theory.name),
        );
        let ids = theory.beats.iter().map(|b| b.id.as_str());
        if let Some(near) = suggest::closest(use_.beat, ids) {
            d.message.push_str(&format!("; did you mean `{near}`?"));
            d = d.with_replacement(format!("replace with `{near}`"), near);
        }
        if let Some(spans) = theory_doc.spans() {
            d = d.with_related(Related {
                path: theory_doc.path.clone(),
                range: spans.key_range(&path!["beats"]),
                message: format!("beats of {}", theory.name),
            });
        }
        out.push(d);
    }
}
