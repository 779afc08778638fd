//! `rubric-weights`: a task's rubric override whose weights do not sum to 100.
//!
//! Why: the judge part of the score is the weighted sum of criteria; weights that do not
//! sum to 100 make the task's scores incomparable with every other task's.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path;

pub const CHECK: Check = Check {
    code: "rubric-weights",
    doc: "Rubric weights must sum to 100, or the task's judge scores are not comparable with other tasks'.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let Some(rubric) = &task.rubric else { return };
    let sum: u32 = rubric.values().sum();
    if sum != 100 {
        out.push(Diagnostic::error(
            CHECK.code,
            cx.key(&path!["rubric"]),
            format!("rubric weights sum to {sum}, not 100"),
        ));
    }
}
