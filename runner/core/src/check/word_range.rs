//! `word-range`: a task's word range is inverted or empty (`min` ≥ `max`).
//!
//! Why: no text can satisfy it, so every model loses the word-count part of the score.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path;

pub const CHECK: Check = Check {
    code: "word-range",
    doc: "The word range is inverted or empty (min >= max); no text can satisfy it.",
    on: On::TASKS,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(task) = cx.task() else { return };
    let w = task.words;
    if w.min >= w.max {
        let problem = if w.min == w.max { "empty" } else { "inverted" };
        out.push(Diagnostic::error(
            CHECK.code,
            cx.value(&path!["words", "min"]),
            format!(
                "word range is {problem}: min {} is not less than max {}",
                w.min, w.max
            ),
        ));
    }
}
