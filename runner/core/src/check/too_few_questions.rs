//! `too-few-questions`: a constraint-discovery task allows fewer questions than it has
//! hidden constraints.
//!
//! Why: even a perfect questioner cannot find every constraint, so the task caps every
//! model's score below full marks. A warning: it may be deliberate.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;

pub const CHECK: Check = Check {
    code: "too-few-questions",
    doc: "max_questions is below the number of hidden constraints, so even a perfect questioner cannot find them all.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let TaskBody::AgenticConstraintDiscovery(t) = &task.body else {
        return;
    };
    let n = t.hidden_constraints.len();
    if n > 0 && (t.max_questions as usize) < n {
        out.push(Diagnostic::warning(
            CHECK.code,
            cx.value(&path!["max_questions"]),
            format!(
                "max_questions is {}, fewer than the {n} hidden constraints; even a perfect questioner cannot find them all",
                t.max_questions
            ),
        ));
    }
}
