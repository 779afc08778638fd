//! Sequence: a chain of briefs in one conversation; each answer stays in the context of
//! the next step. Judges score each step on the criteria the step lists, 1 to 5.

use super::{Ask, Dialogue, Next, Parts, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::{Actor, GenerationRecord, SequenceTask, Task, TaskBody, TaskType};
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

struct Run<'a> {
    input: TaskInput<'a>,
    task: &'a SequenceTask,
    steps: Vec<String>,
}

impl Run<'_> {
    fn prompt(&self, i: usize) -> String {
        let theory = self.input.theory;
        let step = &self.task.steps[i];
        let last = self.task.steps.len().saturating_sub(1);
        let words = if i == last {
            render(
                "step_words",
                &[
                    ("min", &prompt::min(self.input.task)),
                    ("max", &prompt::max(self.input.task)),
                ],
            )
        } else {
            String::new()
        };
        let covers = if step.beats.is_empty() {
            String::new()
        } else {
            render(
                "step_covers",
                &[("beats", &prompt::beats(theory, &step.beats))],
            )
        };
        if i == 0 {
            let brief = format!("{}{covers}{words}", step.brief.trim());
            render(
                "sequence_first",
                &[
                    ("theory", &prompt::theory_name(theory)),
                    ("beats", &prompt::all_beats(theory)),
                    (
                        "premise",
                        &prompt::premise_block(self.task.premise.as_deref()),
                    ),
                    ("step", &step.id),
                    ("brief", &brief),
                ],
            )
        } else {
            render(
                "sequence_next",
                &[
                    ("number", &(i + 1).to_string()),
                    ("step", &step.id),
                    ("brief", step.brief.trim()),
                    ("beats", &covers),
                    ("words", &words),
                ],
            )
        }
    }
}

impl Dialogue for Run<'_> {
    fn start(&mut self) -> Next {
        if self.task.steps.is_empty() {
            return Next::Done;
        }
        Ask::writer(Actor::Harness, self.prompt(0))
    }
    fn answer(&mut self, text: &str) -> Next {
        self.steps.push(text.to_string());
        if self.steps.len() < self.task.steps.len() {
            Ask::writer(Actor::Harness, self.prompt(self.steps.len()))
        } else {
            Next::Done
        }
    }
    fn into_parts(self: Box<Self>) -> Parts {
        Parts {
            output: self.steps.last().cloned().unwrap_or_default(),
            steps: self.steps,
            ..Parts::default()
        }
    }
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::Sequence
    }
    fn label(&self) -> &'static str {
        "seq"
    }
    fn templates(&self) -> &'static [&'static str] {
        &[
            "sequence_first",
            "sequence_next",
            "step_words",
            "step_covers",
            "judge_step_brief",
            "view_step",
            "item_step",
        ]
    }
    fn calls(&self, task: &Task) -> super::Calls {
        let TaskBody::Sequence(s) = &task.body else {
            return super::Calls::default();
        };
        super::Calls {
            writer: s.steps.len(),
            helper: 0,
        }
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Box::new(Run {
            input,
            task: body!(input, Sequence),
            steps: Vec::new(),
        })
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        body!(input, Sequence)
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| {
                render(
                    "judge_step_brief",
                    &[
                        ("number", &(i + 1).to_string()),
                        ("id", &st.id),
                        ("brief", st.brief.trim()),
                    ],
                )
            })
            .collect()
    }
    fn judge_view(&self, g: &GenerationRecord) -> String {
        let text: String = g
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                render(
                    "view_step",
                    &[("number", &(i + 1).to_string()), ("text", s.trim())],
                )
            })
            .collect();
        text.trim_end().to_string()
    }
    fn items(&self, input: TaskInput<'_>, per: Per, criterion: &str) -> Vec<String> {
        let t = body!(input, Sequence);
        match per {
            Per::Steps => t
                .steps
                .iter()
                .enumerate()
                .filter(|(_, s)| s.criteria.iter().any(|c| c == criterion))
                .map(|(i, s)| {
                    render(
                        "item_step",
                        &[("number", &(i + 1).to_string()), ("id", &s.id)],
                    )
                })
                .collect(),
            other => {
                let beats: Vec<String> = t
                    .steps
                    .iter()
                    .flat_map(|s| s.beats.iter().cloned())
                    .collect();
                common_items(input, other, &beats)
            }
        }
    }
}
