//! `duplicate-task-id`: two task files share an id.
//!
//! Why: results are keyed by task id; two tasks with one id overwrite each other's
//! results and leaderboard rows. A draft (`dataset/drafts/`) is not a task yet, so it
//! never makes a task's id a duplicate; but a draft whose id a task or another draft
//! already has is reported on the draft, since moving it into `dataset/tasks/` would
//! collide.

use super::{Check, Context, On, Reads};
use crate::diagnostic::{Diagnostic, Related};
use crate::path;

pub const CHECK: Check = Check {
    code: "duplicate-task-id",
    doc: "Two task files share an id; results are keyed by id, so they would overwrite each other.",
    on: On::TASKS,
    reads: Reads {
        same_id: true,
        ..Reads::NOTHING
    },
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let others = cx.others_with_id(&task.id);
    if others.is_empty() {
        return;
    }
    let mut d = Diagnostic::error(
        CHECK.code,
        cx.value(&path!["id"]),
        format!(
            "task id `{}` is also used by {}",
            task.id,
            others
                .iter()
                .map(|d| d.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    for other in others {
        if let Some(spans) = other.spans() {
            d = d.with_related(Related {
                path: other.path.clone(),
                range: spans.value_range(&path!["id"]),
                message: "the same id here".to_owned(),
            });
        }
    }
    out.push(d);
}
