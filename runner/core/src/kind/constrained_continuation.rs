//! Constrained continuation: continue an opening through given beats under 8–10
//! simultaneous constraints.

use super::{Dialogue, Single, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::TaskType;
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

fn prompt_text(input: TaskInput<'_>) -> String {
    let t = body!(input, ConstrainedContinuation);
    render(
        "constrained_continuation",
        &[
            ("theory", &prompt::theory_name(input.theory)),
            ("beats", &prompt::beats(input.theory, &t.beats)),
            ("opening", t.opening.trim()),
            ("constraints", &prompt::constraints(&t.constraints)),
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    )
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::ConstrainedContinuation
    }
    fn label(&self) -> &'static str {
        "constr"
    }
    fn templates(&self) -> &'static [&'static str] {
        &["constrained_continuation"]
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Single::new(Ok(prompt_text(input)))
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        prompt_text(input)
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, ConstrainedContinuation);
        common_items(input, per, &t.beats)
    }
}
