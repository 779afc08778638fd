//! Sequence: a chain of briefs in one conversation; each answer stays in the context of
//! the next step.

use super::{Conversation, Stop, TaskInput};
use crate::prompt;
use crate::template::render;
use fabula_core::model::{Actor, SequenceTask};

pub(crate) async fn run(
    c: &mut Conversation<'_>,
    input: TaskInput<'_>,
    task: &SequenceTask,
) -> Result<(), Stop> {
    let theory = input.theory;
    let last = task.steps.len().saturating_sub(1);
    for (i, step) in task.steps.iter().enumerate() {
        let words = if i == last {
            format!(
                "\nWrite between {} and {} words.",
                input.task.words.min, input.task.words.max
            )
        } else {
            String::new()
        };
        let text = if i == 0 {
            let premise = task
                .premise
                .as_ref()
                .map(|p| format!("\nPREMISE\n{p}\n"))
                .unwrap_or_default();
            let mut brief = step.brief.trim().to_string();
            if !step.beats.is_empty() {
                brief.push_str(&format!(
                    "\nThis step covers:\n{}",
                    prompt::beats(theory, &step.beats)
                ));
            }
            brief.push_str(&words);
            render(
                "sequence_first",
                &[
                    ("theory", &prompt::theory_name(theory)),
                    ("beats", &prompt::all_beats(theory)),
                    ("premise", &premise),
                    ("step", &step.id),
                    ("brief", &brief),
                ],
            )
        } else {
            let beats = if step.beats.is_empty() {
                String::new()
            } else {
                format!(
                    "\nThis step covers:\n{}",
                    prompt::beats(theory, &step.beats)
                )
            };
            render(
                "sequence_next",
                &[
                    ("number", &(i + 1).to_string()),
                    ("step", &step.id),
                    ("brief", step.brief.trim()),
                    ("beats", &beats),
                    ("words", &words),
                ],
            )
        };
        let answer = c.ask(text, Actor::Harness).await?;
        c.out.steps.push(answer.clone());
        c.out.output = answer;
    }
    Ok(())
}
