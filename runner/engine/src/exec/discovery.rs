//! Constraint discovery: the model asks yes/no questions (at most `max_questions`), the
//! oracle answers them from the hidden constraints, then the model writes.
//!
//! Protocol: a question is a line starting with `QUESTION:`; `READY` ends the questions.
//! An answer that is neither also ends them (the model chose to stop asking). The oracle
//! replies `{"answer": "YES"|"NO"|"INVALID", "reveals": [ids]}`; a bare YES or NO is
//! accepted too. Anything else fails the run: a confused oracle must not pass for a
//! "no" the model is then scored on.

use super::{Conversation, Stop, TaskInput};
use crate::model::ModelHandle;
use crate::prompt;
use crate::template::render;
use fabula_core::model::{Actor, ConstraintDiscovery, Question, Role};
use serde_json::Value;

pub(crate) async fn run(
    c: &mut Conversation<'_>,
    input: TaskInput<'_>,
    oracle: Option<&ModelHandle>,
    task: &ConstraintDiscovery,
) -> Result<(), Stop> {
    let Some(oracle) = oracle else {
        return Err(c.fail_with(
            "constraint discovery needs an oracle: name one under `oracle` in fabula.yaml".into(),
        ));
    };
    let hidden: String = task
        .hidden_constraints
        .iter()
        .map(|h| format!("- `{}`: {}\n", h.id, h.description.trim()))
        .collect();
    let intro = render(
        "discovery_intro",
        &[
            ("theory", &prompt::theory_name(input.theory)),
            ("beats", &prompt::beats(input.theory, &task.beats)),
            ("premise", &task.premise),
            ("max_questions", &task.max_questions.to_string()),
        ],
    );
    let mut reply = c.ask(intro, Actor::Harness).await?;
    let max = task.max_questions as usize;
    while c.out.questions.len() < max {
        let Some(question) = question_in(&reply) else {
            break;
        };
        let prompt = render("oracle", &[("hidden", &hidden), ("question", &question)]);
        let raw = c.side_call(oracle, Actor::Oracle, prompt, true).await?;
        let Some((answer, reveals)) = parse_oracle(&raw) else {
            return Err(c.fail_with(format!(
                "oracle `{}` gave an answer that is not YES, NO or INVALID: {}",
                oracle.name,
                crate::call::excerpt(&raw)
            )));
        };
        let known: Vec<String> = reveals
            .into_iter()
            .filter(|id| task.hidden_constraints.iter().any(|h| &h.id == id))
            .collect();
        c.out.questions.push(Question {
            question,
            answer: answer.clone(),
            reveals: known,
        });
        let remaining = max - c.out.questions.len();
        if remaining == 0 {
            c.note(
                Role::User,
                Actor::Oracle,
                format!("ANSWER: {answer} (no questions left)"),
            );
            break;
        }
        let next = render(
            "discovery_answer",
            &[("answer", &answer), ("remaining", &remaining.to_string())],
        );
        reply = c.ask(next, Actor::Oracle).await?;
    }
    let mut write = String::new();
    if c.out.questions.len() == max && max > 0 {
        let last = &c.out.questions[max - 1];
        write.push_str(&format!(
            "ANSWER: {}\nThat was your last question.\n\n",
            last.answer
        ));
    }
    write.push_str(&render(
        "discovery_write",
        &[
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    ));
    c.out.output = c.ask(write, Actor::Harness).await?;
    Ok(())
}

/// The question of a reply: the text after the first `QUESTION:` marker.
pub(crate) fn question_in(reply: &str) -> Option<String> {
    reply.lines().find_map(|l| {
        let l = l.trim().trim_start_matches(['*', '-', ' ']);
        let rest = l
            .strip_prefix("QUESTION:")
            .or_else(|| l.strip_prefix("Question:"))?;
        let q = rest.trim().trim_matches('*').trim();
        (!q.is_empty()).then(|| q.to_string())
    })
}

/// `(answer, reveals)` from the oracle's reply.
pub(crate) fn parse_oracle(raw: &str) -> Option<(String, Vec<String>)> {
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
        assert_eq!(question_in("READY"), None);
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
