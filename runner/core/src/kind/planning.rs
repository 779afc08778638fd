//! Planning → execution: the model writes a plan (an outline by beat), then the story
//! from it, in the same conversation.

use super::{Ask, Calls, Dialogue, Next, Parts, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::{Actor, GenerationRecord, PlanningExecution, Task, TaskType};
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

struct Run<'a> {
    input: TaskInput<'a>,
    task: &'a PlanningExecution,
    plan: Option<String>,
    output: String,
}

impl Dialogue for Run<'_> {
    fn start(&mut self) -> Next {
        let t = self.task;
        let brief = super::story_brief(self.input, &t.premise, &t.beats, &t.constraints, false);
        Ask::writer(
            Actor::Harness,
            render("planning_plan", &[("brief", &brief)]),
        )
    }
    fn answer(&mut self, text: &str) -> Next {
        if self.plan.is_none() {
            self.plan = Some(text.to_string());
            return Ask::writer(
                Actor::Harness,
                render(
                    "planning_write",
                    &[
                        ("min", &prompt::min(self.input.task)),
                        ("max", &prompt::max(self.input.task)),
                    ],
                ),
            );
        }
        self.output = text.to_string();
        Next::Done
    }
    fn into_parts(self: Box<Self>) -> Parts {
        Parts {
            output: self.output,
            plan: self.plan,
            ..Parts::default()
        }
    }
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::AgenticPlanningExecution
    }
    fn label(&self) -> &'static str {
        "plan"
    }
    fn templates(&self) -> &'static [&'static str] {
        &[
            "story_brief",
            "beat_markers",
            "planning_plan",
            "planning_write",
            "view_plan",
        ]
    }
    fn calls(&self, _task: &Task) -> Calls {
        Calls {
            writer: 2,
            helper: 0,
        }
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Box::new(Run {
            input,
            task: body!(input, AgenticPlanningExecution),
            plan: None,
            output: String::new(),
        })
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        let t = body!(input, AgenticPlanningExecution);
        super::story_brief(input, &t.premise, &t.beats, &t.constraints, false)
    }
    fn judge_view(&self, g: &GenerationRecord) -> String {
        render(
            "view_plan",
            &[
                ("plan", g.plan.as_deref().unwrap_or("").trim()),
                ("story", g.output.trim()),
            ],
        )
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, AgenticPlanningExecution);
        common_items(input, per, &t.beats)
    }
}
