//! Iterative revision: a draft, then `rounds` rounds of deterministic rule-based
//! feedback ([`fabula_core::feedback`]) and revision. Every draft is kept.

use super::{Conversation, Stop, TaskInput, story_brief};
use crate::prompt;
use crate::template::render;
use fabula_core::feedback::{self, Rules};
use fabula_core::model::{Actor, IterativeRevision};

pub(crate) async fn run(
    c: &mut Conversation<'_>,
    input: TaskInput<'_>,
    task: &IterativeRevision,
) -> Result<(), Stop> {
    let brief = story_brief(
        input,
        &task.premise,
        &task.beats,
        &task.constraints,
        task.beat_markers,
    );
    let rules = Rules {
        words: input.task.words,
        must_include: &task.constraints.must_include,
        must_not_include: &task.constraints.must_not_include,
        markers: task.beat_markers.then_some(task.beats.as_slice()),
        slop: input.slop,
    };
    let mut draft = c.ask(brief, Actor::Harness).await?;
    for _ in 0..task.rounds {
        let problems = feedback::check(&draft, &rules);
        let text = render(
            "revise_feedback",
            &[
                ("feedback", &feedback::render(&problems)),
                ("min", &prompt::min(input.task)),
                ("max", &prompt::max(input.task)),
            ],
        );
        c.out.drafts.push(draft);
        draft = c.ask(text, Actor::Feedback).await?;
    }
    c.out.output = draft;
    Ok(())
}
