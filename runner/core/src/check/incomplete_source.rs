//! `incomplete-source`: a theory conversion whose source story skips beats of its source
//! theory.
//!
//! Why: the model must map a whole structure onto another; a partial source story lets
//! it skip the hard part of the mapping. A warning: a deliberate choice is possible.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;

pub const CHECK: Check = Check {
    code: "incomplete-source",
    doc: "A theory conversion's source story skips beats of its source theory, so the model can skip the hard part of the mapping.",
    on: On::TASKS,
    reads: Reads::THEORIES,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let TaskBody::TheoryConversion(t) = &task.body else {
        return;
    };
    let Some((_, theory)) = cx.theory_by_id(&t.source.theory) else {
        return;
    };
    let missing: Vec<&str> = theory
        .beats
        .iter()
        .filter(|b| !t.source.story.iter().any(|w| w.beat == b.id))
        .map(|b| b.id.as_str())
        .collect();
    if !missing.is_empty() {
        out.push(Diagnostic::warning(
            CHECK.code,
            cx.key(&path!["source", "story"]),
            format!(
                "source story skips beats of {}: {}",
                theory.name,
                missing.join(", ")
            ),
        ));
    }
}
