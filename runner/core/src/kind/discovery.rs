//! Constraint discovery: the model asks yes/no questions (at most `max_questions`), the
//! oracle answers them from the hidden constraints, then the model writes.
//!
//! Protocol: a question is a line starting with [`QUESTION`]; [`READY`] ends the
//! questions. An answer that is neither also ends them (the model chose to stop asking).
//! The oracle replies `{"answer": "YES"|"NO"|"INVALID", "reveals": [ids]}`; a bare YES or
//! NO is accepted too. Anything else fails the run as a helper failure: a confused oracle
//! must not pass for a "no" the model is then scored on.

use super::{Ask, Calls, Dialogue, Next, Parts, Party, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::{
    Actor, ConstraintDiscovery, FailureKind, GenerationRecord, GenerationSummary, Question, Task,
    TaskBody, TaskType,
};
use crate::prompt;
use crate::template::render;
use serde_json::Value;

/// The marker a question line starts with.
pub const QUESTION: &str = "QUESTION:";
/// What the model answers when it has no more questions.
pub const READY: &str = "READY";

pub(super) struct Kind;

struct Run<'a> {
    input: TaskInput<'a>,
    task: &'a ConstraintDiscovery,
    questions: Vec<Question>,
    /// The question sent to the oracle, waiting for its answer.
    pending: Option<String>,
    writing: bool,
    output: String,
}

impl Run<'_> {
    fn hidden(&self) -> String {
        self.task
            .hidden_constraints
            .iter()
            .map(|h| {
                render(
                    "hidden_line",
                    &[("id", &h.id), ("description", h.description.trim())],
                )
            })
            .collect()
    }

    fn write(&mut self, last_answer: Option<&str>) -> Next {
        self.writing = true;
        let mut text = last_answer
            .map(|a| render("last_answer", &[("answer", a)]))
            .unwrap_or_default();
        text.push_str(&render(
            "discovery_write",
            &[
                ("min", &prompt::min(self.input.task)),
                ("max", &prompt::max(self.input.task)),
            ],
        ));
        Ask::writer(Actor::Harness, text)
    }

    /// The writer's reply during the questions.
    fn on_reply(&mut self, reply: &str) -> Next {
        if self.questions.len() >= self.task.max_questions as usize {
            return self.write(None);
        }
        match question_in(reply) {
            Some(q) => {
                self.pending = Some(q.clone());
                Next::Ask(Ask {
                    party: Party::Oracle,
                    shown_as: Actor::Oracle,
                    prompt: render("oracle", &[("hidden", &self.hidden()), ("question", &q)]),
                    json: true,
                })
            }
            None => self.write(None),
        }
    }

    fn on_oracle(&mut self, question: String, raw: &str) -> Next {
        let Some((answer, reveals)) = parse_oracle(raw) else {
            return Next::Fail(
                FailureKind::Helper,
                format!(
                    "the oracle gave an answer that is not YES, NO or INVALID: {}",
                    crate::text::excerpt(raw, 200)
                ),
            );
        };
        let known: Vec<String> = reveals
            .into_iter()
            .filter(|id| self.task.hidden_constraints.iter().any(|h| &h.id == id))
            .collect();
        self.questions.push(Question {
            question,
            answer: answer.clone(),
            reveals: known,
        });
        let max = self.task.max_questions as usize;
        let remaining = max - self.questions.len().min(max);
        if remaining == 0 {
            return self.write(Some(&answer));
        }
        Ask::writer(
            Actor::Oracle,
            render(
                "discovery_answer",
                &[("answer", &answer), ("remaining", &remaining.to_string())],
            ),
        )
    }
}

impl Dialogue for Run<'_> {
    fn start(&mut self) -> Next {
        let intro = render(
            "discovery_intro",
            &[
                ("theory", &prompt::theory_name(self.input.theory)),
                ("beats", &prompt::beats(self.input.theory, &self.task.beats)),
                ("premise", &self.task.premise),
                ("max_questions", &self.task.max_questions.to_string()),
            ],
        );
        Ask::writer(Actor::Harness, intro)
    }

    fn answer(&mut self, text: &str) -> Next {
        if self.writing {
            self.output = text.to_string();
            return Next::Done;
        }
        match self.pending.take() {
            Some(question) => self.on_oracle(question, text),
            None => self.on_reply(text),
        }
    }

    fn into_parts(self: Box<Self>) -> Parts {
        Parts {
            output: self.output,
            questions: self.questions,
            ..Parts::default()
        }
    }

    fn rehearsal_answer(&self, ask: &Ask) -> String {
        match ask.party {
            // Always ask: the rehearsal then walks the answers and the last question.
            Party::Writer if !self.writing => format!("{QUESTION} [question]"),
            Party::Oracle => r#"{"answer": "YES", "reveals": []}"#.to_string(),
            _ => super::STAND_IN.to_string(),
        }
    }
}

/// The question of a reply: the text after the first [`QUESTION`] marker.
pub fn question_in(reply: &str) -> Option<String> {
    reply.lines().find_map(|l| {
        let l = l.trim().trim_start_matches(['*', '-', ' ']);
        let rest = l
            .strip_prefix(QUESTION)
            .or_else(|| l.strip_prefix("Question:"))?;
        let q = rest.trim().trim_matches('*').trim();
        (!q.is_empty()).then(|| q.to_string())
    })
}

/// `(answer, reveals)` from the oracle's reply.
pub fn parse_oracle(raw: &str) -> Option<(String, Vec<String>)> {
    let normal = |s: &str| -> Option<String> {
        let up = s
            .trim()
            .trim_matches(|c: char| !c.is_alphabetic())
            .to_uppercase();
        ["YES", "NO", "INVALID"]
            .contains(&up.as_str())
            .then_some(up)
    };
    let json = raw
        .find('{')
        .and_then(|start| raw.rfind('}').map(|end| (start, end)))
        .filter(|(s, e)| s < e)
        .and_then(|(s, e)| serde_json::from_str::<Value>(&raw[s..=e]).ok());
    if let Some(v) = json {
        let answer = normal(v.get("answer")?.as_str()?)?;
        let reveals = v
            .get("reveals")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.trim_matches('`').to_string())
                    .collect()
            })
            .unwrap_or_default();
        return Some((answer, reveals));
    }
    let first = raw.split_whitespace().next()?;
    Some((normal(first)?, Vec::new()))
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::AgenticConstraintDiscovery
    }
    fn label(&self) -> &'static str {
        "discover"
    }
    fn templates(&self) -> &'static [&'static str] {
        &[
            "discovery_intro",
            "discovery_answer",
            "discovery_write",
            "last_answer",
            "oracle",
            "hidden_line",
            "story_brief",
            "beat_markers",
            "judge_hidden_constraints",
            "item_hidden",
            "view_questions",
            "view_question",
        ]
    }
    fn helper(&self) -> Option<Party> {
        Some(Party::Oracle)
    }
    fn calls(&self, task: &Task) -> Calls {
        let TaskBody::AgenticConstraintDiscovery(d) = &task.body else {
            return Calls::default();
        };
        // Worst case: every question asked: the opening turn, a turn after each answer but
        // the last, and the story.
        Calls {
            writer: d.max_questions as usize + 1,
            helper: d.max_questions as usize,
        }
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Box::new(Run {
            input,
            task: body!(input, AgenticConstraintDiscovery),
            questions: Vec::new(),
            pending: None,
            writing: false,
            output: String::new(),
        })
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        let t = body!(input, AgenticConstraintDiscovery);
        super::story_brief(input, &t.premise, &t.beats, &Default::default(), false)
    }
    fn judge_hidden(&self, input: TaskInput<'_>) -> String {
        let t = body!(input, AgenticConstraintDiscovery);
        let list: String = t
            .hidden_constraints
            .iter()
            .map(|h| {
                render(
                    "hidden_line",
                    &[("id", &h.id), ("description", h.description.trim())],
                )
            })
            .collect();
        render("judge_hidden_constraints", &[("list", &list)])
    }
    fn judge_view(&self, g: &GenerationRecord) -> String {
        let questions: String = g
            .questions
            .iter()
            .map(|q| {
                render(
                    "view_question",
                    &[("question", &q.question), ("answer", &q.answer)],
                )
            })
            .collect();
        render(
            "view_questions",
            &[("questions", &questions), ("story", g.output.trim())],
        )
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, AgenticConstraintDiscovery);
        match per {
            Per::HiddenConstraints => t
                .hidden_constraints
                .iter()
                .map(|h| {
                    render(
                        "item_hidden",
                        &[("id", &h.id), ("description", h.description.trim())],
                    )
                })
                .collect(),
            other => common_items(input, other, &t.beats),
        }
    }
    fn discovery_efficiency(&self, g: &GenerationSummary) -> Option<f64> {
        if g.questions.is_empty() {
            return None;
        }
        let mut found: Vec<&String> = g.questions.iter().flat_map(|q| &q.reveals).collect();
        found.sort();
        found.dedup();
        Some(found.len() as f64 / g.questions.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_questions() {
        assert_eq!(
            question_in("Let me think.\nQUESTION: Is it raining?"),
            Some("Is it raining?".into())
        );
        assert_eq!(
            question_in("**QUESTION:** Is the narrator old?"),
            Some("Is the narrator old?".into())
        );
        assert_eq!(question_in(READY), None);
        assert_eq!(question_in("QUESTION:   "), None);
    }

    #[test]
    fn parses_oracle_answers_strictly() {
        assert_eq!(
            parse_oracle(r#"{"answer": "yes", "reveals": ["`dog`"]}"#),
            Some(("YES".into(), vec!["dog".into()]))
        );
        assert_eq!(parse_oracle("NO."), Some(("NO".into(), vec![])));
        assert_eq!(
            parse_oracle("```json\n{\"answer\":\"NO\"}\n```"),
            Some(("NO".into(), vec![]))
        );
        assert_eq!(parse_oracle("Perhaps, it depends"), None);
        assert_eq!(parse_oracle(r#"{"answer": "maybe"}"#), None);
        assert_eq!(parse_oracle(""), None);
    }
}
