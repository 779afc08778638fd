//! Theory conversion: re-tell a story given in theory A in the beats of theory B.

use super::{Dialogue, Single, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::TaskType;
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

fn prompt_text(input: TaskInput<'_>) -> Result<String, String> {
    let t = body!(input, TheoryConversion);
    let Some(source) = input.source_theory else {
        return Err(format!(
            "the source theory `{}` is not loaded",
            t.source.theory
        ));
    };
    let story: String = t
        .source
        .story
        .iter()
        .map(|b| {
            let name = source.beat(&b.beat).map_or(b.beat.as_str(), |x| &x.name);
            render("source_beat", &[("name", name), ("text", b.text.trim())])
        })
        .collect();
    let tone = t
        .tone
        .as_ref()
        .map(|tone| render("keep_tone", &[("tone", tone)]))
        .unwrap_or_default();
    Ok(render(
        "theory_conversion",
        &[
            ("source_theory", &prompt::theory_name(source)),
            ("source_story", story.trim_end()),
            ("theory", &prompt::theory_name(input.theory)),
            ("beats", &prompt::all_beats(input.theory)),
            ("preserve", &prompt::list(&t.preserve)),
            ("tone", &tone),
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    ))
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::TheoryConversion
    }
    fn label(&self) -> &'static str {
        "convert"
    }
    fn templates(&self) -> &'static [&'static str] {
        &["theory_conversion", "source_beat", "keep_tone"]
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Single::new(prompt_text(input))
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        prompt_text(input).unwrap_or_else(|e| e)
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, TheoryConversion);
        match per {
            Per::Preserve => t.preserve.clone(),
            other => common_items(input, other, &[]),
        }
    }
}
