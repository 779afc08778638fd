//! Planning → execution: the model writes a plan (an outline by beat), then the story
//! from it, in the same conversation.

use super::{Conversation, Stop, TaskInput, story_brief};
use crate::prompt;
use crate::template::render;
use fabula_core::model::{Actor, PlanningExecution};

pub(crate) async fn run(
    c: &mut Conversation<'_>,
    input: TaskInput<'_>,
    task: &PlanningExecution,
) -> Result<(), Stop> {
    let brief = story_brief(input, &task.premise, &task.beats, &task.constraints, false);
    let plan_request = format!("{brief}\n\n{}", render("planning_plan", &[]));
    let plan = c.ask(plan_request, Actor::Harness).await?;
    c.out.plan = Some(plan);
    let write = render(
        "planning_write",
        &[
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    );
    c.out.output = c.ask(write, Actor::Harness).await?;
    Ok(())
}
