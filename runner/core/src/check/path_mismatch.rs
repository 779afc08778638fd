//! `path-mismatch`: a task whose `id` differs from its file name, or whose `type` differs
//! from its folder; a theory whose `id` differs from its file name.
//!
//! Why: tools find tasks and theories by path (`dataset/tasks/<type>/<id>.yaml`); a file
//! that disagrees with its path is found under the wrong name or not at all.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path;

pub const CHECK: Check = Check {
    code: "path-mismatch",
    doc: "The id or type inside the file disagrees with its path (`dataset/tasks/<type>/<id>.yaml`, `dataset/theories/<id>.yaml`); tools find files by path.",
    on: On::TASKS.with_theories(),
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let stem = cx.doc.stem();
    let (id, what) = if let Some(task) = cx.task() {
        let folder = cx.doc.folder();
        let ty = task.task_type().as_str();
        if let Some(folder) = folder.filter(|f| *f != ty && *f != "tasks") {
            out.push(Diagnostic::error(
                CHECK.code,
                cx.value(&path!["type"]),
                format!("task type `{ty}` is in folder `{folder}`; move it to tasks/{ty}/ or fix the type"),
            ));
        }
        (task.id.as_str(), "task")
    } else if let Some(theory) = cx.theory() {
        (theory.id.as_str(), "theory")
    } else {
        return;
    };
    if id != stem {
        out.push(
            Diagnostic::error(
                CHECK.code,
                cx.value(&path!["id"]),
                format!("{what} id `{id}` differs from its file name `{stem}`"),
            )
            .with_replacement(format!("set the id to `{stem}`"), stem),
        );
    }
}
