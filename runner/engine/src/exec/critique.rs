//! Critique improvement: a draft, then `rounds` rounds in which a critic model writes a
//! prose critique and the model revises. Every draft is kept for trajectory scoring.

use super::{Conversation, Stop, TaskInput, story_brief};
use crate::model::ModelHandle;
use crate::prompt;
use crate::template::render;
use fabula_core::model::{Actor, CritiqueImprovement};

pub(crate) async fn run(
    c: &mut Conversation<'_>,
    input: TaskInput<'_>,
    critic: Option<&ModelHandle>,
    task: &CritiqueImprovement,
) -> Result<(), Stop> {
    let Some(critic) = critic else {
        return Err(c.fail_with(
            "critique improvement needs a critic: name one under `critic` in fabula.yaml".into(),
        ));
    };
    let brief = story_brief(input, &task.premise, &task.beats, &task.constraints, false);
    let focus = if task.critic_focus.is_empty() {
        "- how well each beat is executed\n".to_string()
    } else {
        prompt::list(&task.critic_focus)
    };
    let mut draft = c.ask(brief.clone(), Actor::Harness).await?;
    for _ in 0..task.rounds {
        let critique = c
            .side_call(
                critic,
                Actor::Critic,
                render(
                    "critic",
                    &[("brief", &brief), ("draft", &draft), ("focus", &focus)],
                ),
                false,
            )
            .await?;
        let text = render(
            "revise_critique",
            &[
                ("critique", critique.trim()),
                ("min", &prompt::min(input.task)),
                ("max", &prompt::max(input.task)),
            ],
        );
        c.out.drafts.push(draft);
        draft = c.ask(text, Actor::Critic).await?;
    }
    c.out.output = draft;
    Ok(())
}
