//! `unknown-theory`: a task names a theory that has no file in `dataset/theories/`.
//!
//! Why: the task's beats, the prompt and the judges' rubric all come from the theory;
//! without it the task cannot run.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::suggest;

pub const CHECK: Check = Check {
    code: "unknown-theory",
    doc: "A task names a theory that has no file in dataset/theories/; the task's beats, prompt and rubric come from it.",
    on: On::TASKS,
    reads: Reads::THEORIES,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    for (name, at) in task.theory_uses() {
        // A theory file that failed to load reports its own errors.
        if cx.theory_by_id(name).is_some() || cx.has_theory_file(name) {
            continue;
        }
        let mut d = Diagnostic::error(
            CHECK.code,
            cx.value(&at),
            format!("unknown theory `{name}`"),
        );
        match suggest::closest(name, cx.theory_ids()) {
            Some(near) => {
                d.message.push_str(&format!("; did you mean `{near}`?"));
                d = d.with_replacement(format!("replace with `{near}`"), near);
            }
            None => {
                let mut ids: Vec<&str> = cx.theory_ids();
                ids.sort_unstable();
                if !ids.is_empty() {
                    d.message
                        .push_str(&format!("; known theories: {}", ids.join(", ")));
                }
            }
        }
        out.push(d);
    }
}
