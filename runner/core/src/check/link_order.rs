//! `link-order`: a multi-beat synthesis link whose beats are not among the task's beats,
//! or whose payoff does not come after its setup.
//!
//! Why: a setup must be planted before it pays off, inside the beats the model writes.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::model::TaskBody;
use crate::path;

pub const CHECK: Check = Check {
    code: "link-order",
    doc: "A cross-beat link must go from an earlier to a later beat among the task's own beats: a setup is planted before it pays off.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let TaskBody::MultiBeatSynthesis(t) = &task.body else {
        return;
    };
    let position = |beat: &str| t.beats.iter().position(|b| b.beat == beat);
    for (i, link) in t.links.iter().enumerate() {
        let from = position(&link.from);
        let to = position(&link.to);
        for (end, pos, name) in [("from", from, &link.from), ("to", to, &link.to)] {
            if pos.is_none() {
                out.push(Diagnostic::error(
                    CHECK.code,
                    cx.value(&path!["links", i, end]),
                    format!("`{name}` is not one of this task's beats"),
                ));
            }
        }
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            out.push(Diagnostic::error(
                CHECK.code,
                cx.value(&path!["links", i, "to"]),
                format!(
                    "link pays off in `{}`, which is not after `{}`",
                    link.to, link.from
                ),
            ));
        }
    }
}
