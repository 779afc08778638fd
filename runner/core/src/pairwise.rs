//! Pairwise judging of two generations of the same task: the prompt (both outputs fenced
//! by one boundary the outputs cannot predict, the word counts and a length-control note),
//! the JSON shape of the answer, and a strict parse of it.
//!
//! The judge answers per criterion of the task's rubric which output does better, by
//! position (`"1"`, `"2"` or `"tie"`). A criterion judged per item in the pointwise
//! rubric is asked once here, over all its items together. Every pair is asked in both
//! orders; combining the two answers, and what an order disagreement means, belongs to
//! the reader (`fabula_eval::pairwise`).
//!
//! An answer that cannot be parsed, or that leaves out a criterion, is an error (the
//! engine retries, then records a failed comparison): never a verdict.

use crate::judge::{self, Entry, Rubric, borrowed, neutralise, task_vars, text_of};
use crate::kind::TaskInput;
use crate::model::{PairVerdict, Preference};
use crate::prompt;
use crate::template::render;
use serde_json::{Value, json};

/// Templates a pairwise prompt renders besides the task's (its fingerprint hashes their
/// versions).
pub const TEMPLATES: &[&str] = &[
    "pairwise",
    "pairwise_criterion",
    "pairwise_criterion_items",
    "judge_item",
];

/// The answers a judge may give, in the order of [`Preference`]'s positions.
pub const ANSWERS: [&str; 3] = ["1", "2", "tie"];

/// One of the two outputs as the judge is shown it.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a> {
    /// The generation's judge view.
    pub view: &'a str,
    pub words: u64,
}

/// The pairwise prompt for `first` (OUTPUT 1) and `second` (OUTPUT 2), fenced by
/// `fence` ([`judge::fence`]).
pub fn prompt(
    input: TaskInput<'_>,
    rubric: &Rubric,
    first: Shown<'_>,
    second: Shown<'_>,
    fence: &str,
) -> String {
    let ids: Vec<&str> = rubric.entries.iter().map(Entry::id).collect();
    let criteria: String = rubric.entries.iter().map(criterion_text).collect();
    let mut vars = task_vars(input);
    vars.extend([
        ("fence", fence.to_string()),
        ("first", neutralise(first.view)),
        ("second", neutralise(second.view)),
        ("words_first", first.words.to_string()),
        ("words_second", second.words.to_string()),
        ("min", prompt::min(input.task)),
        ("max", prompt::max(input.task)),
        ("criteria_ids", ids.join(", ")),
        ("criteria", criteria),
    ]);
    render("pairwise", &borrowed(&vars))
}

fn criterion_text(e: &Entry) -> String {
    judge::criterion_line(e, ("pairwise_criterion", "pairwise_criterion_items"), &[])
}

/// The JSON Schema of a valid answer: one object per criterion in order, each with a
/// `better` of [`ANSWERS`]. Sent with the request where a provider takes one, and read
/// by the offline simulator (the `better` property marks a pairwise request).
pub fn response_schema(rubric: &Rubric) -> Value {
    let text = json!({"type": "string"});
    let criteria: Vec<Value> = rubric
        .entries
        .iter()
        .map(|e| {
            json!({
                "type": "object",
                "required": ["id", "better", "evidence", "reason"],
                "properties": {
                    "id": {"const": e.criterion.id},
                    "better": {"enum": ANSWERS},
                    "evidence": text,
                    "reason": text,
                },
            })
        })
        .collect();
    judge::criteria_schema(criteria)
}

/// Parses a pairwise answer: every criterion of the rubric with one of [`ANSWERS`]
/// (`"output 1"`, `1` and `"none"` are read too: judges write them).
pub fn parse(raw: &str, rubric: &Rubric) -> Result<Vec<PairVerdict>, String> {
    let answers = judge::answer_list(raw)?;
    rubric
        .entries
        .iter()
        .map(|e| {
            let id = e.id();
            let answer = judge::find_answer(&answers, id)
                .ok_or_else(|| format!("criterion `{id}` missing"))?;
            let said = match answer.get("better").or_else(|| answer.get("winner")) {
                Some(Value::String(s)) => s.trim().to_lowercase(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(format!("criterion `{id}`: no `better`")),
            };
            let preferred = match said.trim_start_matches("output").trim() {
                "1" => Preference::First,
                "2" => Preference::Second,
                "tie" | "none" | "neither" | "equal" => Preference::Tie,
                other => {
                    return Err(format!(
                        "criterion `{id}`: `{}` is not one of {}",
                        crate::text::excerpt(other, 40),
                        ANSWERS.join(", ")
                    ));
                }
            };
            Ok(PairVerdict {
                criterion: id.to_string(),
                preferred,
                evidence: text_of(answer, "evidence"),
                reason: text_of(answer, "reason"),
            })
        })
        .collect()
}
