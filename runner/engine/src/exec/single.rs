//! The standard types: one prompt, one answer.

use super::{Conversation, Stop, TaskInput};
use crate::prompt;
use crate::template::render;
use fabula_core::model::{Actor, TaskBody};

pub(crate) async fn run(c: &mut Conversation<'_>, input: TaskInput<'_>) -> Result<(), Stop> {
    let Some(text) = prompt_for(input) else {
        return Err(c.fail_with(format!(
            "task type `{}` is not a single-request type",
            input.task.task_type()
        )));
    };
    let text = match text {
        Ok(t) => t,
        Err(reason) => return Err(c.fail_with(reason)),
    };
    let answer = c.ask(text, Actor::Harness).await?;
    c.out.output = answer;
    Ok(())
}

/// The prompt of a single-request task; `None` for the agentic types and sequences.
pub(crate) fn prompt_for(input: TaskInput<'_>) -> Option<Result<String, String>> {
    let task = input.task;
    let theory = input.theory;
    let name = prompt::theory_name(theory);
    let (min, max) = (prompt::min(task), prompt::max(task));
    let text = match &task.body {
        TaskBody::BeatInterpolation(t) => {
            let voice = t
                .voice
                .as_ref()
                .map(|v| format!("\nVOICE\n{v}\n"))
                .unwrap_or_default();
            render(
                "beat_interpolation",
                &[
                    ("theory", &name),
                    ("premise", &t.premise),
                    ("before_beat", &t.before.beat),
                    ("before_text", t.before.text.trim()),
                    (
                        "target",
                        &prompt::beats(theory, std::slice::from_ref(&t.target)),
                    ),
                    ("after_beat", &t.after.beat),
                    ("after_text", t.after.text.trim()),
                    ("voice", &voice),
                    ("constraints", &prompt::constraints(&t.constraints)),
                    ("min", &min),
                    ("max", &max),
                ],
            )
        }
        TaskBody::BeatRevision(t) => {
            let premise = t
                .premise
                .as_ref()
                .map(|p| format!("\nPREMISE\n{p}\n"))
                .unwrap_or_default();
            render(
                "beat_revision",
                &[
                    ("theory", &name),
                    (
                        "beat",
                        &prompt::beats(theory, std::slice::from_ref(&t.beat)),
                    ),
                    ("premise", &premise),
                    ("segment", t.segment.trim()),
                    ("must_preserve", &prompt::list(&t.must_preserve)),
                    ("min", &min),
                    ("max", &max),
                ],
            )
        }
        TaskBody::ConstrainedContinuation(t) => render(
            "constrained_continuation",
            &[
                ("theory", &name),
                ("beats", &prompt::beats(theory, &t.beats)),
                ("opening", t.opening.trim()),
                ("constraints", &prompt::constraints(&t.constraints)),
                ("min", &min),
                ("max", &max),
            ],
        ),
        TaskBody::TheoryConversion(t) => {
            let Some(source) = input.source_theory else {
                return Some(Err(format!(
                    "the source theory `{}` is not loaded",
                    t.source.theory
                )));
            };
            let story: String = t
                .source
                .story
                .iter()
                .map(|b| {
                    let beat_name = source
                        .beats
                        .iter()
                        .find(|x| x.id == b.beat)
                        .map_or(b.beat.as_str(), |x| x.name.as_str());
                    format!("{beat_name}\n{}\n\n", b.text.trim())
                })
                .collect();
            let tone = t
                .tone
                .as_ref()
                .map(|t| format!("\nKeep the tone: {t}\n"))
                .unwrap_or_default();
            render(
                "theory_conversion",
                &[
                    ("source_theory", &prompt::theory_name(source)),
                    ("source_story", story.trim_end()),
                    ("theory", &name),
                    ("beats", &prompt::all_beats(theory)),
                    ("preserve", &prompt::list(&t.preserve)),
                    ("tone", &tone),
                    ("min", &min),
                    ("max", &max),
                ],
            )
        }
        TaskBody::MultiBeatSynthesis(t) => {
            let mut reqs = String::new();
            for b in &t.beats {
                reqs.push_str(&prompt::beats(theory, std::slice::from_ref(&b.beat)));
                for r in &b.requirements {
                    reqs.push_str(&format!("    - {r}\n"));
                }
            }
            let links: String = t
                .links
                .iter()
                .map(|l| {
                    format!(
                        "- {} from `{}` to `{}`: {}\n",
                        l.kind.replace('_', " "),
                        l.from,
                        l.to,
                        l.description.trim()
                    )
                })
                .collect();
            render(
                "multi_beat_synthesis",
                &[
                    ("theory", &name),
                    ("premise", &t.premise),
                    ("beat_requirements", &reqs),
                    ("links", &links),
                    ("min", &min),
                    ("max", &max),
                ],
            )
        }
        _ => return None,
    };
    Some(Ok(text))
}
