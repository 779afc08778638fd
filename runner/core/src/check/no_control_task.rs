//! `no-control-task`: the workspace's beat-revision tasks all have a flaw; none is a
//! flawless control (`control: true`).
//!
//! Why: without a control, a model that always "finds" a flaw scores perfectly on
//! diagnosis; the control measures whether it can tell sound writing from flawed.
//! Reported once, on the first beat-revision task by path.

use super::{Check, Context, On, Reads, Tasks};
use crate::diagnostic::Diagnostic;
use crate::model::{TaskBody, TaskType};
use crate::path;

pub const CHECK: Check = Check {
    code: "no-control-task",
    doc: "No beat-revision task is a flawless control (control: true), so a model that always reports a flaw is never caught.",
    on: On {
        tasks: Tasks::Of(&[TaskType::BeatRevision]),
        ..On::TASKS
    },
    reads: Reads {
        tasks: Tasks::Of(&[TaskType::BeatRevision]),
        ..Reads::NOTHING
    },
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    if !matches!(task.body, TaskBody::BeatRevision(_)) {
        return;
    }
    let revisions = cx.tasks();
    let Some((first, _)) = revisions.first() else {
        return;
    };
    if first.path != cx.doc.path {
        return;
    }
    let has_control = revisions
        .iter()
        .any(|(_, t)| matches!(&t.body, TaskBody::BeatRevision(r) if r.control));
    if !has_control {
        out.push(Diagnostic::warning(
            CHECK.code,
            cx.value(&path!["type"]),
            "no beat_revision task is a flawless control; add one with `control: true`",
        ));
    }
}
