//! Beat interpolation: write the missing beat between two given ones.

use super::{Dialogue, Single, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::{TaskType, WrittenBeat};
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

fn prompt_text(input: TaskInput<'_>) -> String {
    let t = body!(input, BeatInterpolation);
    let theory = input.theory;
    let voice = t
        .voice
        .as_ref()
        .map(|v| render("voice_block", &[("voice", v)]))
        .unwrap_or_default();
    let beat = |w: &WrittenBeat| (w.beat.clone(), w.text.trim().to_string());
    let (before_beat, before_text) = beat(&t.before);
    let (after_beat, after_text) = beat(&t.after);
    render(
        "beat_interpolation",
        &[
            ("theory", &prompt::theory_name(theory)),
            ("premise", &t.premise),
            ("before_beat", &before_beat),
            ("before_text", &before_text),
            (
                "target",
                &prompt::beats(theory, std::slice::from_ref(&t.target)),
            ),
            ("after_beat", &after_beat),
            ("after_text", &after_text),
            ("voice", &voice),
            ("constraints", &prompt::constraints(&t.constraints)),
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    )
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::BeatInterpolation
    }
    fn label(&self) -> &'static str {
        "interp"
    }
    fn templates(&self) -> &'static [&'static str] {
        &["beat_interpolation", "voice_block"]
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Single::new(Ok(prompt_text(input)))
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        prompt_text(input)
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, BeatInterpolation);
        match per {
            Per::TargetElements => input
                .theory
                .beat(&t.target)
                .map(|b| b.elements.clone())
                .unwrap_or_default(),
            other => common_items(input, other, std::slice::from_ref(&t.target)),
        }
    }
}
