//! Judging one generation: the rubric of a task (its type's criteria from
//! `criteria.yaml`, the task's weight overrides, the items each criterion is judged
//! over), the judge's prompt with the generation fenced off by a boundary it cannot
//! predict, the JSON shape the answer must have, and a strict parse of the answer.
//!
//! An answer that cannot be parsed, or that leaves out a criterion or an item, is an
//! error (the engine retries, then records a failed evaluation): never a score.

use crate::criteria::{self, Criterion, PassRule, Scale};
use crate::kind::{self, TaskInput};
use crate::model::{CriterionVerdict, ItemVerdict, TaskType};
use crate::prompt;
use crate::template::render;
use serde_json::{Value, json};

/// Templates a judge prompt renders (its fingerprint hashes their versions).
pub const TEMPLATES: &[&str] = &[
    "judge",
    "judge_criterion",
    "judge_criterion_items",
    "judge_item",
    "judge_scale_verdict",
    "judge_scale_five",
];

/// What the judges of one task are asked.
#[derive(Clone, Debug, PartialEq)]
pub struct Rubric {
    pub task_type: TaskType,
    pub pass: &'static PassRule,
    /// The criteria asked, in order.
    pub entries: Vec<Entry>,
}

/// One criterion as asked of one task.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub criterion: &'static Criterion,
    /// The task's weight (its override, else the type's).
    pub weight: u32,
    /// The items judged one by one; empty for a criterion judged on the whole text.
    pub items: Vec<String>,
}

impl Entry {
    pub fn id(&self) -> &str {
        &self.criterion.id
    }
}

impl Rubric {
    /// Criterion ids and weights, in order.
    pub fn weights(&self) -> Vec<(String, u32)> {
        self.entries
            .iter()
            .map(|e| (e.criterion.id.clone(), e.weight))
            .collect()
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.criterion.id == id)
    }
}

/// The rubric of a task. A criterion judged per item whose list is empty in this task is
/// not asked.
pub fn rubric(input: TaskInput<'_>) -> Rubric {
    let task_type = input.task.task_type();
    let kind = kind::of(task_type);
    let of_type = criteria::of(task_type);
    let entries = of_type
        .criteria
        .iter()
        .filter_map(|c| {
            let weight = input
                .task
                .rubric
                .as_ref()
                .and_then(|r| r.get(&c.id).copied())
                .unwrap_or(c.weight);
            let items = match c.per {
                Some(per) => {
                    let items = kind.items(input, per, &c.id);
                    if items.is_empty() {
                        return None;
                    }
                    items
                }
                None => Vec::new(),
            };
            Some(Entry {
                criterion: c,
                weight,
                items,
            })
        })
        .collect();
    Rubric {
        task_type,
        pass: &of_type.pass,
        entries,
    }
}

/// The fence boundary of one prompt: the engine draws `nonce` at random per prompt, so a
/// generation cannot write the line that closes its own fence.
pub fn fence(nonce: u64) -> String {
    format!("FENCE-{nonce:016x}")
}

/// The judge's prompt for a generation whose judge view is `view`, fenced by `fence`.
pub fn prompt(input: TaskInput<'_>, rubric: &Rubric, view: &str, fence: &str) -> String {
    let ids: Vec<&str> = rubric.entries.iter().map(Entry::id).collect();
    let criteria: String = rubric.entries.iter().map(criterion_text).collect();
    let mut vars = task_vars(input);
    vars.extend([
        ("fence", fence.to_string()),
        ("generation", neutralise(view)),
        ("criteria_ids", ids.join(", ")),
        ("criteria", criteria),
    ]);
    render("judge", &borrowed(&vars))
}

/// What every judge prompt says about the task: its type, theory, brief, beats and what
/// only judges see (the `judge` and `pairwise` templates' variables of those names).
pub(crate) fn task_vars(input: TaskInput<'_>) -> Vec<(&'static str, String)> {
    let kind = kind::of(input.task.task_type());
    let mut beat_ids: Vec<String> = Vec::new();
    for u in input.task.beat_uses() {
        if input.theory.position(u.beat).is_some() && !beat_ids.iter().any(|b| b == u.beat) {
            beat_ids.push(u.beat.to_string());
        }
    }
    vec![
        ("task_type", input.task.task_type().as_str().to_string()),
        ("theory", prompt::theory_name(input.theory)),
        ("task", kind.judge_brief(input).trim().to_string()),
        ("beats", prompt::beats(input.theory, &beat_ids)),
        ("hidden", kind.judge_hidden(input)),
    ]
}

/// Template variables as `render` takes them.
pub(crate) fn borrowed<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    vars.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn criterion_text(e: &Entry) -> String {
    let scale = match e.criterion.scale {
        Scale::Verdict => render("judge_scale_verdict", &[]),
        Scale::Five => render("judge_scale_five", &[]),
    };
    criterion_line(
        e,
        ("judge_criterion", "judge_criterion_items"),
        &[("scale", &scale)],
    )
}

/// A criterion as a judging prompt lists it: with template `templates.0` when judged on
/// the whole text, else `templates.1` with its numbered items (`judge_item`); the
/// variables `id`, `weight`, `question` (and `items`), and `extra`.
pub(crate) fn criterion_line(e: &Entry, templates: (&str, &str), extra: &[(&str, &str)]) -> String {
    let c = e.criterion;
    let weight = e.weight.to_string();
    let mut vars: Vec<(&str, &str)> = vec![
        ("id", &c.id),
        ("weight", &weight),
        ("question", &c.question),
    ];
    vars.extend_from_slice(extra);
    if e.items.is_empty() {
        return render(templates.0, &vars);
    }
    let items: String = e
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            render(
                "judge_item",
                &[("number", &(i + 1).to_string()), ("item", item)],
            )
        })
        .collect();
    vars.push(("items", items.trim_end_matches('\n')));
    render(templates.1, &vars)
}

/// The JSON Schema of a valid answer to `rubric`: one object per criterion in order,
/// with exactly its items. Sent with the request where a provider takes one, and read
/// by the offline simulator.
pub fn response_schema(rubric: &Rubric) -> Value {
    let verdicts = |scale: Scale| -> Value {
        match scale {
            Scale::Verdict => json!({"enum": scale.verdicts()}),
            Scale::Five => json!({"enum": [1, 2, 3, 4, 5, "1", "2", "3", "4", "5"]}),
        }
    };
    let text = json!({"type": "string"});
    let criteria: Vec<Value> = rubric
        .entries
        .iter()
        .map(|e| {
            let id = json!({"const": e.criterion.id});
            if e.items.is_empty() {
                json!({
                    "type": "object",
                    "required": ["id", "verdict", "evidence", "reason"],
                    "properties": {
                        "id": id,
                        "verdict": verdicts(e.criterion.scale),
                        "evidence": text,
                        "reason": text,
                    },
                })
            } else {
                let n = e.items.len();
                json!({
                    "type": "object",
                    "required": ["id", "items"],
                    "properties": {
                        "id": id,
                        "items": {
                            "type": "array",
                            "minItems": n,
                            "maxItems": n,
                            "items": {
                                "type": "object",
                                "required": ["item", "verdict", "evidence", "reason"],
                                "properties": {
                                    "item": {"type": "integer", "minimum": 1, "maximum": n},
                                    "verdict": verdicts(e.criterion.scale),
                                    "evidence": text,
                                    "reason": text,
                                },
                            },
                        },
                    },
                })
            }
        })
        .collect();
    criteria_schema(criteria)
}

/// An answer object whose `criteria` list holds exactly these answers, in order.
pub(crate) fn criteria_schema(criteria: Vec<Value>) -> Value {
    let n = criteria.len();
    json!({
        "type": "object",
        "required": ["criteria"],
        "properties": {
            "criteria": {
                "type": "array",
                "prefixItems": criteria,
                "minItems": n,
                "maxItems": n,
            }
        },
    })
}

/// Parses a judge's answer: every criterion of the rubric, every item of each, with a
/// verdict its scale knows.
pub fn parse(raw: &str, rubric: &Rubric) -> Result<Vec<CriterionVerdict>, String> {
    let answers = answer_list(raw)?;
    rubric
        .entries
        .iter()
        .map(|e| {
            let id = e.id();
            let answer =
                find_answer(&answers, id).ok_or_else(|| format!("criterion `{id}` missing"))?;
            if e.items.is_empty() {
                let (score, verdict) = verdict_of(answer, e.criterion.scale)
                    .map_err(|why| format!("criterion `{id}`: {why}"))?;
                return Ok(CriterionVerdict {
                    criterion: id.to_string(),
                    score,
                    verdict,
                    evidence: text_of(answer, "evidence"),
                    reason: text_of(answer, "reason"),
                    items: Vec::new(),
                });
            }
            let items = parse_items(answer, e).map_err(|why| format!("criterion `{id}`: {why}"))?;
            let score = items.iter().map(|i| i.score).sum::<f64>() / items.len() as f64;
            Ok(CriterionVerdict {
                criterion: id.to_string(),
                score,
                verdict: String::new(),
                evidence: String::new(),
                reason: String::new(),
                items,
            })
        })
        .collect()
}

/// The `criteria` list of the JSON object in a judge's answer (text around the object,
/// such as a code fence, is ignored).
pub(crate) fn answer_list(raw: &str) -> Result<Vec<Value>, String> {
    let start = raw.find('{').ok_or("no JSON object in the answer")?;
    let end = raw.rfind('}').ok_or("no JSON object in the answer")?;
    if end < start {
        return Err("no JSON object in the answer".into());
    }
    let mut v: Value = serde_json::from_str(&raw[start..=end])
        .map_err(|e| format!("the answer's JSON does not parse: {e}"))?;
    match v.get_mut("criteria").map(Value::take) {
        Some(Value::Array(list)) => Ok(list),
        _ => Err("no `criteria` list".into()),
    }
}

/// The answer about criterion `id` (its `id`, or `criterion`, with or without backticks).
pub(crate) fn find_answer<'a>(answers: &'a [Value], id: &str) -> Option<&'a Value> {
    answers.iter().find(|a| {
        a.get("id")
            .or_else(|| a.get("criterion"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.trim().trim_matches('`') == id)
    })
}

fn parse_items(answer: &Value, e: &Entry) -> Result<Vec<ItemVerdict>, String> {
    let list = answer
        .get("items")
        .and_then(Value::as_array)
        .ok_or("no `items` list")?;
    let n = e.items.len();
    let mut out: Vec<Option<ItemVerdict>> = vec![None; n];
    for (position, a) in list.iter().enumerate() {
        // The item number when given, else the position in the list.
        let number = match a.get("item") {
            Some(Value::Number(x)) => x.as_u64().ok_or("an item number that is not whole")?,
            Some(Value::String(s)) => s
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("item `{s}` is not a number"))?,
            None => position as u64 + 1,
            Some(_) => return Err("an item number that is not a number".into()),
        };
        if number == 0 || number > n as u64 {
            return Err(format!("item {number} is not one of the {n} items"));
        }
        let slot = &mut out[number as usize - 1];
        if slot.is_some() {
            return Err(format!("item {number} answered twice"));
        }
        let (score, verdict) =
            verdict_of(a, e.criterion.scale).map_err(|why| format!("item {number}: {why}"))?;
        *slot = Some(ItemVerdict {
            item: number as u32,
            score,
            verdict,
            evidence: text_of(a, "evidence"),
            reason: text_of(a, "reason"),
        });
    }
    out.into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| format!("item {} missing", i + 1)))
        .collect()
}

fn verdict_of(answer: &Value, scale: Scale) -> Result<(f64, String), String> {
    let verdict = match answer.get("verdict").or_else(|| answer.get("score")) {
        Some(Value::String(s)) => s.trim().to_lowercase(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err("no verdict".into()),
    };
    match scale.score(&verdict) {
        Some(score) => Ok((score, verdict)),
        None => Err(format!(
            "unknown verdict `{}` (expected one of {})",
            crate::text::excerpt(&verdict, 40),
            scale.verdicts().join(", ")
        )),
    }
}

pub(crate) fn text_of(answer: &Value, key: &str) -> String {
    answer
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The generation as a judge may read it: invisible characters removed and every run of
/// three or more angle brackets (or their look-alikes: fullwidth, guillemets, CJK and
/// mathematical angles) spaced out, so nothing inside can pass for a fence line.
pub fn neutralise(text: &str) -> String {
    let visible: Vec<char> = text.chars().filter(|c| !invisible(*c)).collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < visible.len() {
        let c = visible[i];
        let Some(ascii) = angle(c) else {
            out.push(c);
            i += 1;
            continue;
        };
        let mut j = i;
        while j < visible.len() && angle(visible[j]).is_some() {
            j += 1;
        }
        if j - i >= 3 {
            let spaced: Vec<String> = visible[i..j]
                .iter()
                .map(|c| angle(*c).unwrap_or(ascii).to_string())
                .collect();
            out.push_str(&spaced.join(" "));
        } else {
            out.extend(&visible[i..j]);
        }
        i = j;
    }
    out
}

/// Zero-width, joiner, bidi-control and soft-hyphen characters: invisible in a prompt.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}')
}

/// `<` or `>` for an angle bracket or a look-alike of one.
fn angle(c: char) -> Option<char> {
    match c {
        '<' | '\u{FF1C}' | '\u{2039}' | '\u{00AB}' | '\u{3008}' | '\u{300A}' | '\u{276E}'
        | '\u{276C}' | '\u{27E8}' | '\u{27EA}' | '\u{02C2}' | '\u{FE64}' | '\u{2329}'
        | '\u{1438}' => Some('<'),
        '>' | '\u{FF1E}' | '\u{203A}' | '\u{00BB}' | '\u{3009}' | '\u{300B}' | '\u{276F}'
        | '\u{276D}' | '\u{27E9}' | '\u{27EB}' | '\u{02C3}' | '\u{FE65}' | '\u{232A}'
        | '\u{1433}' => Some('>'),
        _ => None,
    }
}
