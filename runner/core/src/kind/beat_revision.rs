//! Beat revision: find what is wrong with a segment meant to execute a beat (the flaw is
//! not disclosed; control tasks have none) and rewrite it.

use super::{Dialogue, Single, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::TaskType;
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

fn prompt_text(input: TaskInput<'_>) -> String {
    let t = body!(input, BeatRevision);
    render(
        "beat_revision",
        &[
            ("theory", &prompt::theory_name(input.theory)),
            (
                "beat",
                &prompt::beats(input.theory, std::slice::from_ref(&t.beat)),
            ),
            ("premise", &prompt::premise_block(t.premise.as_deref())),
            ("segment", t.segment.trim()),
            ("must_preserve", &prompt::list(&t.must_preserve)),
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    )
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::BeatRevision
    }
    fn label(&self) -> &'static str {
        "revise"
    }
    fn templates(&self) -> &'static [&'static str] {
        &["beat_revision", "judge_flaw", "judge_control"]
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Single::new(Ok(prompt_text(input)))
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        prompt_text(input)
    }
    fn judge_hidden(&self, input: TaskInput<'_>) -> String {
        let t = body!(input, BeatRevision);
        match &t.flaw {
            Some(f) => render(
                "judge_flaw",
                &[
                    ("category", &f.category),
                    ("description", f.description.trim()),
                ],
            ),
            None => render("judge_control", &[]),
        }
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, BeatRevision);
        match per {
            Per::Preserve => t.must_preserve.clone(),
            other => common_items(input, other, std::slice::from_ref(&t.beat)),
        }
    }
}
