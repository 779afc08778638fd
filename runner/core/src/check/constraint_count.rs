//! `constraint-count`: a constrained continuation without 8 to 10 constraints.
//!
//! Why: the task type measures juggling many simultaneous constraints; with fewer it is
//! easy, with more the 80% pass line stops meaning the same thing across tasks.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;

pub const CHECK: Check = Check {
    code: "constraint-count",
    doc: "A constrained continuation needs 8 to 10 constraints (must_include + must_not_include + tone + ending) for its pass line to mean the same across tasks.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let TaskBody::ConstrainedContinuation(t) = &task.body else {
        return;
    };
    let n = t.constraints.count();
    if !(8..=10).contains(&n) {
        out.push(Diagnostic::error(
            CHECK.code,
            cx.key(&path!["constraints"]),
            format!("{n} constraints; a constrained continuation needs 8 to 10 (must_include + must_not_include + tone + ending)"),
        ));
    }
}
