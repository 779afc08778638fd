//! `sim`: the offline simulator. SIMULATED, not a model: deterministic text and verdicts
//! derived from a hash of the request, so that the whole pipeline (generation, agentic
//! loops, judging) runs with no key and no network, for demos and tests. Every record it
//! produces is marked `simulated: true`.
//!
//! It reads the request the way a model would, from the prompt text only, and shares
//! nothing with the HTTP providers but the [`Provider`] trait. The role comes from the
//! model id: `sim/judge-*`, `sim/oracle`, `sim/critic`, anything else writes.
//!
//! - Writers respect the word range the prompt asks for ("between N and M words"), write
//!   one section per beat listed as `` - `beat_id` ``, put `[beat: id]` markers before
//!   sections when the prompt asks for them, usually work in the prompt's "Must include"
//!   terms, ask a few questions (the protocol's markers: [`kind::QUESTION`]) when offered
//!   the question protocol, and answer plan requests with an outline. `writer-b` is
//!   sloppier than `writer-a`.
//! - Judges answer valid judge JSON for the criteria and items of the answer schema the
//!   request carries (a judge request always does); the verdicts come from a hash of the
//!   fenced generation, so the judges agree with each other and differ a little.
//! - Asked to compare two outputs (a pairwise schema: its criteria have a `better`), a
//!   judge gives each output the level it would give it alone on a criterion judged
//!   whole, and prefers the higher (a tie when equal): its answers agree with those
//!   verdicts and do not depend on the order the outputs are shown in.
//! - The oracle answers YES when a question shares words with a hidden constraint.
//! - The critic names a beat and asks for something concrete.
//! - Drafting (`fabula draft`): asked for a task, any model fills the prompt's skeleton,
//!   replacing each `TODO:` with simulated prose; asked to validate one, it answers
//!   scores derived from a hash of the draft (mostly 4s and 5s). See [`draft_task`].

use super::{BoxFuture, Provider};
use crate::call::{CallError, ChatRequest, Completion, MessageRole};
use fabula_core::kind;
use fabula_core::model::{FinishReason, Usage};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Sim {}

impl Sim {
    pub fn new() -> Sim {
        Sim {}
    }
}

impl Provider for Sim {
    fn simulated(&self) -> bool {
        true
    }

    /// A simulated judge answers the schema it is sent.
    fn reads_answer_schema(&self) -> bool {
        true
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, CallError>> {
        Box::pin(async move {
            let started = Instant::now();
            let text = answer(request);
            let prompt_words: usize = request
                .messages
                .iter()
                .map(|m| m.content.split_whitespace().count())
                .sum();
            let words = text.split_whitespace().count();
            // Roughly 4/3 tokens per word; a sim answer never exceeds its budget.
            let completion = ((words as u64 * 4) / 3).min(u64::from(request.max_tokens));
            let finish = if (words as u64 * 4) / 3 > u64::from(request.max_tokens) {
                FinishReason::Length
            } else {
                FinishReason::Stop
            };
            Ok(Completion {
                text,
                finish,
                usage: Usage {
                    prompt_tokens: (prompt_words as u64 * 4) / 3,
                    completion_tokens: completion,
                    reasoning_tokens: 0,
                },
                cost_usd: Some(0.0),
                latency: started.elapsed().max(Duration::from_micros(1)),
                attempts: 1,
                batch: None,
            })
        })
    }
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// FNV-1a, stable across runs and platforms.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn answer(request: &ChatRequest) -> String {
    let all: Vec<&str> = request
        .messages
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    let mut parts = vec![request.model.as_str()];
    parts.extend(&all);
    let mut rng = Rng::new(hash(&parts));
    let last = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == MessageRole::User)
        .map_or("", |m| m.content.as_str());
    let model = request.model.as_str();
    if last.contains(DRAFT_VALIDATE) {
        return draft_verdict(last);
    }
    if let Some(first) = request
        .messages
        .iter()
        .find(|m| m.role == MessageRole::User)
        && first.content.contains(DRAFT_TASK)
    {
        return draft_task(&first.content, &mut rng);
    }
    if model.contains("judge") {
        judge(request, last, model)
    } else if model.contains("oracle") {
        oracle(last)
    } else if model.contains("critic") {
        critic(last, &mut rng)
    } else {
        writer(request, last, &mut rng)
    }
}

fn writer(request: &ChatRequest, last: &str, rng: &mut Rng) -> String {
    let sloppy = request.model.contains("writer-b");
    if last.contains(kind::QUESTION) && last.contains(kind::READY) {
        let asked = request
            .messages
            .iter()
            .filter(|m| m.role == MessageRole::Assistant && m.content.starts_with(kind::QUESTION))
            .count();
        let wanted = 2 + (hash(&[&request.model]) % 3) as usize;
        if asked < wanted {
            let topics = [
                "the story told in the first person",
                "the ending happy",
                "a specific object required in the story",
                "the mentor older than the hero",
                "the weather important to the story",
                "a character who must not appear",
                "the story set in the past",
            ];
            let topic = topics[(asked + rng.below(2)) % topics.len()];
            return format!("{} Is {topic}?", kind::QUESTION);
        }
        return kind::READY.to_string();
    }
    let context = request
        .messages
        .iter()
        .filter(|m| m.role != MessageRole::Assistant)
        .map(|m| m.content.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let beats = listed_beats(&context);
    if last.contains("PLAN") && last.contains("outline") {
        let mut out = String::from("Plan (simulated):\n");
        for b in &beats {
            out.push_str(&format!(
                "- {b}: {} {} {}.\n",
                rng.pick(&SUBJECTS),
                rng.pick(&VERBS),
                rng.pick(&OBJECTS)
            ));
        }
        return out;
    }
    let (min, max) = word_range(last)
        .or_else(|| word_range(&context))
        .unwrap_or((150, 250));
    let spread = if sloppy { 1.3 } else { 0.6 };
    let offset = if sloppy { -0.15 } else { 0.2 };
    let fraction = offset + spread * rng.unit();
    let target = (f64::from(min) + f64::from(max - min) * fraction).max(10.0) as usize;
    let markers = context.contains("[beat: ");
    let must = listed_after(&context, "Must include:");
    let sections = beats.len().max(1);
    let mut out = String::new();
    let mut words = 0usize;
    let mut must_left: Vec<&str> = must
        .iter()
        .filter(|_| rng.unit() < if sloppy { 0.6 } else { 0.9 })
        .map(String::as_str)
        .collect();
    for s in 0..sections {
        if markers && let Some(b) = beats.get(s) {
            out.push_str(&format!("[beat: {b}]\n"));
        }
        let quota = target * (s + 1) / sections;
        while words < quota {
            let sentence = if let Some(term) = must_left.pop() {
                format!(
                    "{} {} {}, and {term} stayed in view.",
                    rng.pick(&SUBJECTS),
                    rng.pick(&VERBS),
                    rng.pick(&OBJECTS)
                )
            } else if sloppy && rng.below(40) == 0 {
                "A shiver ran down her spine as time seemed to stand still.".to_string()
            } else {
                sentence(rng)
            };
            words += sentence.split_whitespace().count();
            out.push_str(&sentence);
            out.push(' ');
        }
        out.push_str("\n\n");
    }
    out.trim_end().to_string()
}

fn sentence(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!(
            "{} {} {} {}.",
            rng.pick(&SUBJECTS),
            rng.pick(&VERBS),
            rng.pick(&OBJECTS),
            rng.pick(&PLACES)
        ),
        1 => format!(
            "\"{}\" {} said, and {} {} {}.",
            rng.pick(&LINES),
            rng.pick(&SPEAKERS),
            rng.pick(&SUBJECTS).to_lowercase(),
            rng.pick(&VERBS),
            rng.pick(&OBJECTS)
        ),
        _ => format!(
            "{} {} {}, because {} {} {}.",
            rng.pick(&SUBJECTS),
            rng.pick(&VERBS),
            rng.pick(&OBJECTS),
            rng.pick(&SUBJECTS).to_lowercase(),
            rng.pick(&VERBS),
            rng.pick(&OBJECTS)
        ),
    }
}

const SUBJECTS: [&str; 10] = [
    "The ferryman",
    "Her brother",
    "The old clerk",
    "Nobody in the village",
    "The girl with the ledger",
    "The night nurse",
    "A stranger from the coast",
    "The baker's apprentice",
    "The surveyor",
    "His mother",
];
const VERBS: [&str; 10] = [
    "carried",
    "refused",
    "counted",
    "hid",
    "mended",
    "burned",
    "returned",
    "weighed",
    "traded away",
    "found",
];
const OBJECTS: [&str; 10] = [
    "the brass key",
    "a letter nobody had opened",
    "the last sack of flour",
    "the map with the torn corner",
    "a jar of river stones",
    "the lamp from the chapel",
    "the unpaid debt",
    "a borrowed coat",
    "the cracked violin",
    "the deed to the orchard",
];
const PLACES: [&str; 8] = [
    "before the tide turned",
    "under the station clock",
    "behind the salt warehouse",
    "at the edge of the orchard",
    "in the empty schoolroom",
    "on the last ferry out",
    "beside the dry well",
    "while the market closed",
];
const LINES: [&str; 8] = [
    "You can keep it if you can carry it",
    "Not tonight",
    "We owe them nothing",
    "Count it again",
    "I was never going to leave",
    "Tell me what it cost",
    "The road is shorter than it looks",
    "Ask the river",
];
const SPEAKERS: [&str; 5] = ["she", "he", "the clerk", "her father", "the stranger"];

/// Beat ids listed as lines `` - `beat_id` ``.
fn listed_beats(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("- `")
            && let Some(end) = rest.find('`')
        {
            let id = &rest[..end];
            if !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
                && !out.iter().any(|b| b == id)
            {
                out.push(id.to_string());
            }
        }
    }
    out
}

/// Items of the `- item` list that follows a line starting with `heading`.
fn listed_after(text: &str, heading: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with(heading) {
            inside = true;
            continue;
        }
        if inside {
            match t.strip_prefix("- ") {
                Some(item) => out.push(item.trim().to_string()),
                None => inside = false,
            }
        }
    }
    out
}

/// "between N and M words".
fn word_range(text: &str) -> Option<(u32, u32)> {
    let at = text.find("between ")?;
    let rest = &text[at + 8..];
    let mut nums = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let min: u32 = nums.next()?.parse().ok()?;
    let max: u32 = nums.next()?.parse().ok()?;
    rest.contains("words").then_some((min, max.max(min + 1)))
}

/// What the answer schema of a judge request asks for: each criterion with its item
/// count (0: judged whole) and whether it is on the 1-5 scale.
fn asked_criteria(schema: &Value) -> Vec<(String, usize, bool)> {
    schema
        .pointer("/properties/criteria/prefixItems")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| {
                    let id = c.pointer("/properties/id/const")?.as_str()?.to_string();
                    let items = c
                        .pointer("/properties/items/minItems")
                        .and_then(Value::as_u64)
                        .unwrap_or(0) as usize;
                    let verdicts = if items > 0 {
                        c.pointer("/properties/items/items/properties/verdict/enum")
                    } else {
                        c.pointer("/properties/verdict/enum")
                    };
                    let five = verdicts
                        .and_then(Value::as_array)
                        .is_some_and(|v| v.iter().any(Value::is_number));
                    Some((id, items, five))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The fenced texts of a judge prompt, in order: each between a `<<<FENCE-…` line and
/// its closing line.
fn fenced_all(prompt: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = prompt;
    while let Some(open) = rest.find("\n<<<FENCE-") {
        let after = &rest[open + 4..];
        let Some(end_of_line) = after.find('\n') else {
            break;
        };
        let fence = &after[..end_of_line];
        let body = &after[end_of_line + 1..];
        let close = format!("\n{fence}>>>");
        match body.find(&close) {
            Some(at) => {
                out.push(&body[..at]);
                rest = &body[at + close.len()..];
            }
            None => {
                out.push(body);
                break;
            }
        }
    }
    out
}

/// The fenced generation of a judge prompt (the last fenced text), or the whole prompt.
fn fenced(prompt: &str) -> &str {
    fenced_all(prompt).last().copied().unwrap_or(prompt)
}

/// A judge's level for `text` on criterion (or item) `key`: 0 fail, 1 partial, 2 pass.
/// Judges agree on a base quality drawn from the text judged, and differ a little.
fn level(model: &str, key: &str, text: &str) -> u64 {
    let base = hash(&[text]) % 3;
    match hash(&[model, key, text]) % 5 {
        0 => (base + 1) % 3,
        _ => base,
    }
}

fn judge(request: &ChatRequest, prompt: &str, model: &str) -> String {
    let Some(schema) = &request.response_schema else {
        return "(simulated judge) no answer schema in the request: nothing to answer".into();
    };
    if schema
        .pointer("/properties/criteria/prefixItems/0/properties/better")
        .is_some()
    {
        return compare(schema, prompt, model);
    }
    let text = fenced(prompt);
    let evidence: String = text
        .split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ");
    let reason = "simulated judge: verdict derived from a hash of the text, not a reading of it";
    let verdict = |key: &str, five: bool| -> Value {
        let level = level(model, key, text);
        if five {
            json!(1 + level * 2)
        } else {
            json!(["fail", "partial", "pass"][level as usize])
        }
    };
    let criteria: Vec<Value> = asked_criteria(schema)
        .into_iter()
        .map(|(id, items, five)| {
            if items == 0 {
                json!({"id": id, "verdict": verdict(&id, five), "evidence": evidence, "reason": reason})
            } else {
                let list: Vec<Value> = (1..=items)
                    .map(|n| {
                        json!({
                            "item": n,
                            "verdict": verdict(&format!("{id}/{n}"), five),
                            "evidence": evidence,
                            "reason": reason,
                        })
                    })
                    .collect();
                json!({"id": id, "items": list})
            }
        })
        .collect();
    json!({ "criteria": criteria }).to_string()
}

/// A pairwise answer: per criterion, the output with the higher [`level`] (a tie when
/// equal), whatever order they are shown in.
fn compare(schema: &Value, prompt: &str, model: &str) -> String {
    let texts = fenced_all(prompt);
    let (Some(first), Some(second)) = (texts.first(), texts.get(1)) else {
        return "(simulated judge) the comparison does not show two fenced outputs".into();
    };
    let criteria: Vec<Value> = asked_criteria(schema)
        .into_iter()
        .map(|(id, _, _)| {
            let (l1, l2) = (level(model, &id, first), level(model, &id, second));
            let (better, evidence) = match l1.cmp(&l2) {
                std::cmp::Ordering::Greater => ("1", *first),
                std::cmp::Ordering::Less => ("2", *second),
                std::cmp::Ordering::Equal => ("tie", ""),
            };
            let evidence: String = evidence.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
            json!({
                "id": id,
                "better": better,
                "evidence": evidence,
                "reason": "simulated judge: the output whose hash-derived level is higher, not a reading of either",
            })
        })
        .collect();
    json!({ "criteria": criteria }).to_string()
}

fn oracle(prompt: &str) -> String {
    let question = prompt
        .lines()
        .find_map(|l| l.trim().strip_prefix(kind::QUESTION))
        .unwrap_or("")
        .to_lowercase();
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 4)
            .map(str::to_lowercase)
            .collect()
    };
    let asked = words(&question);
    let mut reveals = Vec::new();
    for line in prompt.lines() {
        let Some(rest) = line.trim().strip_prefix("- ") else {
            continue;
        };
        let Some((id, description)) = rest.split_once(": ") else {
            continue;
        };
        if words(description).iter().any(|w| asked.contains(w)) {
            reveals.push(id.trim_matches('`').to_string());
        }
    }
    let answer = if question.trim().is_empty() {
        "INVALID"
    } else if reveals.is_empty() {
        "NO"
    } else {
        "YES"
    };
    json!({ "answer": answer, "reveals": reveals }).to_string()
}

fn critic(prompt: &str, rng: &mut Rng) -> String {
    let beats = listed_beats(prompt);
    let beat = beats
        .get(rng.below(beats.len().max(1)))
        .cloned()
        .unwrap_or_else(|| "the middle".to_string());
    let asks = [
        "the protagonist reacts instead of choosing; give them a decision with a cost",
        "the stakes are stated rather than felt; show what is lost if this fails",
        "the section summarises; dramatise one moment in scene, with dialogue",
        "an object introduced earlier is forgotten here; pay it off",
    ];
    format!(
        "(simulated critic) The weakest part is `{beat}`: {}. Keep the opening; cut repetition in the closing paragraphs.",
        asks[rng.below(asks.len())]
    )
}

/// The first line of the drafting prompts (`templates/draft_write.md`, `draft_validate.md`).
const DRAFT_TASK: &str = "FABULA-DRAFT-TASK";
const DRAFT_VALIDATE: &str = "FABULA-DRAFT-VALIDATE";

/// A simulated draft: the prompt's skeleton (the ```yaml block after `FORM:`) with a new
/// id, and each `"TODO: …"` string replaced by a simulated sentence. Its beats are the
/// skeleton's, so it passes the checks; its prose is the simulator's, so it means nothing.
fn draft_task(prompt: &str, rng: &mut Rng) -> String {
    let skeleton = prompt
        .split_once("FORM:")
        .and_then(|(_, rest)| rest.split_once("```yaml\n"))
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map_or("", |(body, _)| body);
    let tag = format!("{:08x}", rng.next() as u32);
    let mut out = String::from("```yaml\n");
    for line in skeleton
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
    {
        let line = if line.starts_with("id: ") {
            format!("id: sim-draft-{tag}")
        } else if line.starts_with("title: ") {
            format!("title: \"Simulated draft {tag}\"")
        } else if let Some(at) = line.find("\"TODO:") {
            let sentence = format!("(simulated) {}", sentence(rng));
            format!("{}{}", &line[..at], serde_json::Value::String(sentence))
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("```");
    out
}

/// A simulated validator's verdict: each criterion 3 to 5 from a hash of the draft.
fn draft_verdict(prompt: &str) -> String {
    let fenced = prompt.rsplit("<<<").next().unwrap_or(prompt);
    let fenced = fenced.split(">>>").next().unwrap_or(fenced);
    let mut scores = serde_json::Map::new();
    for criterion in ["clarity", "solvability", "originality", "fit"] {
        let h = hash(&[criterion, fenced]) % 10;
        let score = 3 + u64::from(h >= 1) + u64::from(h >= 4);
        scores.insert(
            criterion.to_string(),
            json!({
                "score": score,
                "reason": "simulated validator: score derived from a hash of the draft, not a reading of it",
            }),
        );
    }
    serde_json::Value::Object(scores).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Message;

    fn request(model: &str, prompt: &str) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            messages: vec![Message::user(prompt)],
            max_tokens: 8000,
            temperature: None,
            reasoning: None,
            verbosity: None,
            json: false,
            response_schema: None,
        }
    }

    #[test]
    fn writers_respect_the_word_range_and_markers() {
        let prompt = "Beats:\n- `setup` (Setup)\n- `confrontation` (Confrontation)\nStart each section with its marker line, e.g. [beat: setup].\nMust include:\n- a red kite\n\nWrite between 300 and 400 words.";
        for seed_text in ["one", "two", "three", "four"] {
            let r = request("sim/writer-a", &format!("{prompt}\n{seed_text}"));
            let text = answer(&r);
            let n = text.split_whitespace().count();
            assert!((300..=420).contains(&n), "{n} words");
            assert!(text.starts_with("[beat: setup]"), "{text}");
            assert!(text.contains("[beat: confrontation]"));
        }
        let a = answer(&request("sim/writer-a", prompt));
        assert_eq!(a, answer(&request("sim/writer-a", prompt)), "deterministic");
        assert_ne!(
            a,
            answer(&request("sim/writer-b", prompt)),
            "varies by model"
        );
    }

    #[test]
    fn judges_answer_the_schema_they_are_sent_about_the_fenced_text() {
        let schema = json!({"properties": {"criteria": {"prefixItems": [
            {"properties": {"id": {"const": "elements"}, "items": {"minItems": 2, "items": {"properties": {"verdict": {"enum": ["pass", "partial", "fail"]}}}}}},
            {"properties": {"id": {"const": "coherence"}, "verdict": {"enum": [1, 2, 3, 4, 5, "1"]}}},
        ]}}});
        let prompt = |text: &str| {
            format!(
                "Fenced between <<<FENCE-00 and FENCE-00>>>.\nGENERATION\n<<<FENCE-00\n{text}\nFENCE-00>>>\nCRITERIA: elements"
            )
        };
        let ask = |text: &str| {
            let mut r = request("sim/judge-1", &prompt(text));
            r.response_schema = Some(schema.clone());
            serde_json::from_str::<serde_json::Value>(&answer(&r)).unwrap()
        };
        let v = ask("The text.");
        assert_eq!(v["criteria"][0]["id"], "elements");
        assert_eq!(v["criteria"][0]["items"].as_array().unwrap().len(), 2);
        assert!(v["criteria"][1]["verdict"].is_number(), "{v}");
        assert_eq!(fenced(&prompt("The text.")), "The text.");
        // Without a schema a sim judge has nothing to answer: a failure, not a score.
        assert!(
            serde_json::from_str::<serde_json::Value>(&answer(&request(
                "sim/judge-1",
                &prompt("x")
            )))
            .is_err()
        );
    }

    #[test]
    fn pairwise_answers_follow_the_levels_whatever_the_order() {
        let schema = json!({"properties": {"criteria": {"prefixItems": [
            {"properties": {"id": {"const": "quality"}, "better": {"enum": ["1", "2", "tie"]}}},
            {"properties": {"id": {"const": "tone"}, "better": {"enum": ["1", "2", "tie"]}}},
        ]}}});
        let prompt = |x: &str, y: &str| {
            format!(
                "Fenced between <<<FENCE-01 and FENCE-01>>>.\nOUTPUT 1\n<<<FENCE-01\n{x}\nFENCE-01>>>\n\nOUTPUT 2\n<<<FENCE-01\n{y}\nFENCE-01>>>\nCRITERIA: quality, tone"
            )
        };
        assert_eq!(fenced_all(&prompt("one", "two")), vec!["one", "two"]);
        let ask = |x: &str, y: &str| -> Vec<String> {
            let mut r = request("sim/judge-1", &prompt(x, y));
            r.response_schema = Some(schema.clone());
            let v: Value = serde_json::from_str(&answer(&r)).unwrap();
            v["criteria"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["better"].as_str().unwrap().to_string())
                .collect()
        };
        let swap = |s: &str| match s {
            "1" => "2".to_string(),
            "2" => "1".to_string(),
            other => other.to_string(),
        };
        let mut decided = 0;
        for (x, y) in [
            ("The lamp.", "The river."),
            ("A", "B"),
            ("x y z", "z y x"),
            ("north", "south"),
        ] {
            let (forward, backward) = (ask(x, y), ask(y, x));
            assert_eq!(
                forward,
                backward.iter().map(|s| swap(s)).collect::<Vec<_>>(),
                "{x} / {y}"
            );
            for (i, id) in ["quality", "tone"].iter().enumerate() {
                let want = match level("sim/judge-1", id, x).cmp(&level("sim/judge-1", id, y)) {
                    std::cmp::Ordering::Greater => "1",
                    std::cmp::Ordering::Less => "2",
                    std::cmp::Ordering::Equal => "tie",
                };
                assert_eq!(forward[i], want);
                decided += usize::from(want != "tie");
            }
        }
        assert!(decided > 0, "some pair is decided");
    }

    #[test]
    fn oracle_answers_from_the_hidden_constraints() {
        let prompt = "HIDDEN CONSTRAINTS:\n- `narrator`: The story is told by the ferryman's daughter.\n- `weather`: It never rains.\nQUESTION: Is the narrator the ferryman's child?";
        let v: serde_json::Value =
            serde_json::from_str(&answer(&request("sim/oracle", prompt))).unwrap();
        assert_eq!(v["answer"], "YES");
        assert_eq!(v["reveals"], json!(["narrator"]));
        let v: serde_json::Value = serde_json::from_str(&answer(&request(
            "sim/oracle",
            "HIDDEN CONSTRAINTS:\n- `weather`: It never rains.\nQUESTION: Is there a dog?",
        )))
        .unwrap();
        assert_eq!(v["answer"], "NO");
    }
}
