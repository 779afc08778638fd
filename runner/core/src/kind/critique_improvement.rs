//! Critique improvement: a draft, then `rounds` rounds in which a critic model writes a
//! prose critique and the model revises. Every draft is kept and scored: the trajectory.

use super::iterative_revision::revision_view;
use super::{Ask, Calls, Dialogue, Next, Parts, Party, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::{Actor, CritiqueImprovement, GenerationRecord, Task, TaskBody, TaskType};
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

struct Run<'a> {
    input: TaskInput<'a>,
    task: &'a CritiqueImprovement,
    brief: String,
    drafts: Vec<String>,
    /// Waiting for the critic's critique of the last draft.
    critiquing: bool,
}

impl Dialogue for Run<'_> {
    fn start(&mut self) -> Next {
        Ask::writer(Actor::Harness, self.brief.clone())
    }
    fn answer(&mut self, text: &str) -> Next {
        if self.critiquing {
            self.critiquing = false;
            return Ask::writer(
                Actor::Critic,
                render(
                    "revise_critique",
                    &[
                        ("critique", text.trim()),
                        ("min", &prompt::min(self.input.task)),
                        ("max", &prompt::max(self.input.task)),
                    ],
                ),
            );
        }
        self.drafts.push(text.to_string());
        if self.drafts.len() > self.task.rounds as usize {
            return Next::Done;
        }
        let focus = if self.task.critic_focus.is_empty() {
            render("critic_focus_default", &[])
        } else {
            prompt::list(&self.task.critic_focus)
        };
        self.critiquing = true;
        Next::Ask(Ask {
            party: Party::Critic,
            shown_as: Actor::Critic,
            prompt: render(
                "critic",
                &[("brief", &self.brief), ("draft", text), ("focus", &focus)],
            ),
            json: false,
        })
    }
    fn into_parts(mut self: Box<Self>) -> Parts {
        let output = self.drafts.pop().unwrap_or_default();
        Parts {
            output,
            drafts: self.drafts,
            ..Parts::default()
        }
    }
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::CritiqueImprovement
    }
    fn label(&self) -> &'static str {
        "critique"
    }
    fn templates(&self) -> &'static [&'static str] {
        &[
            "story_brief",
            "beat_markers",
            "critic",
            "critic_focus_default",
            "revise_critique",
            "view_first_draft",
            "view_feedback",
            "view_final",
        ]
    }
    fn helper(&self) -> Option<Party> {
        Some(Party::Critic)
    }
    fn calls(&self, task: &Task) -> Calls {
        let TaskBody::CritiqueImprovement(r) = &task.body else {
            return Calls::default();
        };
        Calls {
            writer: r.rounds as usize + 1,
            helper: r.rounds as usize,
        }
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        let task = body!(input, CritiqueImprovement);
        Box::new(Run {
            input,
            task,
            brief: super::story_brief(input, &task.premise, &task.beats, &task.constraints, false),
            drafts: Vec::new(),
            critiquing: false,
        })
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        let t = body!(input, CritiqueImprovement);
        super::story_brief(input, &t.premise, &t.beats, &t.constraints, false)
    }
    fn judge_view(&self, g: &GenerationRecord) -> String {
        revision_view(g, Actor::Critic)
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, CritiqueImprovement);
        common_items(input, per, &t.beats)
    }
    fn scores_drafts(&self) -> bool {
        true
    }
}
