//! Iterative revision: a draft, then `rounds` rounds of deterministic rule-based feedback
//! ([`crate::feedback`]) and revision. Every draft is kept and scored: the trajectory.

use super::{Ask, Calls, Dialogue, Next, Parts, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::feedback::{self, Rules};
use crate::model::{Actor, GenerationRecord, IterativeRevision, Role, Task, TaskBody, TaskType};
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

struct Run<'a> {
    input: TaskInput<'a>,
    task: &'a IterativeRevision,
    drafts: Vec<String>,
}

impl Dialogue for Run<'_> {
    fn start(&mut self) -> Next {
        let t = self.task;
        Ask::writer(
            Actor::Harness,
            super::story_brief(
                self.input,
                &t.premise,
                &t.beats,
                &t.constraints,
                t.beat_markers,
            ),
        )
    }
    fn answer(&mut self, text: &str) -> Next {
        self.drafts.push(text.to_string());
        if self.drafts.len() > self.task.rounds as usize {
            return Next::Done;
        }
        let t = self.task;
        let rules = Rules {
            words: self.input.task.words,
            must_include: &t.constraints.must_include,
            must_not_include: &t.constraints.must_not_include,
            markers: t.beat_markers.then_some(t.beats.as_slice()),
            slop: self.input.slop,
        };
        let problems = feedback::check(text, &rules);
        Ask::writer(
            Actor::Feedback,
            render(
                "revise_feedback",
                &[
                    ("feedback", &feedback::render(&problems)),
                    ("min", &prompt::min(self.input.task)),
                    ("max", &prompt::max(self.input.task)),
                ],
            ),
        )
    }
    fn rehearsal_answer(&self, _ask: &Ask) -> String {
        // A draft that trips every rule that reads the task or the slop list, so the
        // rendered feedback (and with it the fingerprint) shows all of them.
        let mut draft = super::STAND_IN.to_string();
        for term in self
            .task
            .constraints
            .must_not_include
            .iter()
            .chain(self.input.slop)
        {
            draft.push(' ');
            draft.push_str(term);
        }
        draft
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

/// Templates the rule-based feedback renders.
pub(super) const FEEDBACK: [&str; 12] = [
    "feedback_line",
    "feedback_all_clear",
    "feedback_too_short",
    "feedback_too_long",
    "feedback_missing",
    "feedback_forbidden",
    "feedback_marker_missing",
    "feedback_marker_repeated",
    "feedback_marker_unknown",
    "feedback_markers_out_of_order",
    "feedback_slop_once",
    "feedback_slop_times",
];

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::AgenticIterativeRevision
    }
    fn label(&self) -> &'static str {
        "iterate"
    }
    fn templates(&self) -> &'static [&'static str] {
        const ALL: [&str; 18] = [
            "story_brief",
            "beat_markers",
            "revise_feedback",
            "view_first_draft",
            "view_feedback",
            "view_final",
            FEEDBACK[0],
            FEEDBACK[1],
            FEEDBACK[2],
            FEEDBACK[3],
            FEEDBACK[4],
            FEEDBACK[5],
            FEEDBACK[6],
            FEEDBACK[7],
            FEEDBACK[8],
            FEEDBACK[9],
            FEEDBACK[10],
            FEEDBACK[11],
        ];
        &ALL
    }
    fn calls(&self, task: &Task) -> Calls {
        let TaskBody::AgenticIterativeRevision(r) = &task.body else {
            return Calls::default();
        };
        Calls {
            writer: r.rounds as usize + 1,
            helper: 0,
        }
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Box::new(Run {
            input,
            task: body!(input, AgenticIterativeRevision),
            drafts: Vec::new(),
        })
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        let t = body!(input, AgenticIterativeRevision);
        super::story_brief(input, &t.premise, &t.beats, &t.constraints, t.beat_markers)
    }
    fn judge_view(&self, g: &GenerationRecord) -> String {
        revision_view(g, Actor::Feedback)
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, AgenticIterativeRevision);
        common_items(input, per, &t.beats)
    }
    fn scores_drafts(&self) -> bool {
        true
    }
}

/// What a judge reads of a revision run: the first draft, each round's feedback (from
/// `actor`), the final version.
pub(super) fn revision_view(g: &GenerationRecord, actor: Actor) -> String {
    let mut out = String::new();
    if let Some(first) = g.drafts.first() {
        out.push_str(&render("view_first_draft", &[("text", first.trim())]));
    }
    let notes = g
        .transcript
        .iter()
        .filter(|t| t.role == Role::User && t.actor == actor);
    for (i, n) in notes.enumerate() {
        out.push_str(&render(
            "view_feedback",
            &[("number", &(i + 1).to_string()), ("text", n.content.trim())],
        ));
    }
    out.push_str(&render("view_final", &[("text", g.output.trim())]));
    out
}
