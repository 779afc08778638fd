//! One task drilled down: what the model was asked, each model's output side by side
//! per sample with the judges' quoted evidence marked in it, every judge's verdict per
//! criterion and item, the programmatic breakdown, failures with their reasons, and for
//! the kinds that talk in turns the whole transcript as a conversation.
//!
//! The caller reads the whole generation records (the leaderboard's items hold
//! summaries only) and hands them in; nothing here does IO.

use super::evidence::{self, Finder, Segment};
use crate::leaderboard::Item;
use crate::prepared::PreparedTask;
use crate::scoring::Standing;
use fabula_core::criteria::Scale;
use fabula_core::judge;
use fabula_core::kind;
use fabula_core::model::{
    Actor, Breakdown, CriterionVerdict, EvaluationRecord, GenerationRecord, Question, Role, Status,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Texts longer than this are cut for the page (the record keeps them whole).
pub const SHOWN_BYTES: usize = 200_000;
/// A failed judge's raw answer is shown up to this many bytes.
const RAW_BYTES: usize = 2_000;

/// One item of the task as the caller found it.
pub struct Input<'a, 'r> {
    pub model: &'a str,
    pub item: &'a Item<'r>,
    /// The whole generation record; `Err` says why it could not be read. `Ok(None)`
    /// when the item has no generation.
    pub record: Result<Option<GenerationRecord>, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TaskDetail {
    pub id: String,
    pub title: String,
    pub task_type: String,
    pub type_label: String,
    pub theory: String,
    /// The system prompt and the first prompt the writer got (the same for every
    /// model: transcripts refer to them instead of repeating them).
    pub system: Option<String>,
    pub prompt: Option<String>,
    /// What only the judges were told (a flaw, hidden constraints).
    pub hidden: String,
    /// Some generation of this task is a conversation of several turns.
    pub conversation: bool,
    pub pass_rule: String,
    pub criteria: Vec<CriterionInfo>,
    pub models: Vec<String>,
    pub samples: Vec<SampleView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CriterionInfo {
    pub id: String,
    pub weight: u32,
    pub question: String,
    pub scale: &'static str,
    /// The items it is judged over, one verdict each; empty when judged whole.
    pub items: Vec<String>,
}

/// One sample: an entry per model.
#[derive(Clone, Debug, Serialize)]
pub struct SampleView {
    pub sample: u32,
    pub entries: Vec<EntryView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    pub model: String,
    pub sample: u32,
    pub simulated: bool,
    /// `scored`, `model_failed`, `unjudgeable` or `incomplete`, and in words.
    pub standing: &'static str,
    pub status: String,
    pub final_score: Option<f64>,
    /// 0..=100.
    pub programmatic: Option<f64>,
    /// 0..=100.
    pub judge: Option<f64>,
    pub pass: Option<bool>,
    /// Why the generation failed (its failure kind and error).
    pub failure: Option<String>,
    /// Why the record could not be read.
    pub read_error: Option<String>,
    /// The record's file.
    pub file: Option<String>,
    /// What the judges read, cut at the quotes they cited.
    pub text: Vec<Segment>,
    /// Bytes of the text not shown.
    pub cut: usize,
    pub quotes: Vec<Quote>,
    pub criteria: Vec<CriterionView>,
    pub failed_judges: Vec<JudgeFailure>,
    /// Configured judges with no counted evaluation.
    pub missing_judges: Vec<String>,
    pub breakdown: Option<Breakdown>,
    /// Programmatic score of each version (first draft … final), 0..=100.
    pub trajectory: Vec<f64>,
    /// The whole conversation, for generations of several turns.
    pub transcript: Vec<TurnView>,
    pub questions: Vec<Question>,
    pub plan: Option<String>,
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub created_at: String,
}

/// A distinct piece of evidence the judges quoted, numbered from 1.
#[derive(Clone, Debug, Serialize)]
pub struct Quote {
    pub n: usize,
    pub text: String,
    /// Found in the text (and marked there).
    pub found: bool,
    /// Verdicts that cite it.
    pub cited: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct CriterionView {
    pub id: String,
    pub weight: u32,
    /// The judges' median, 0..=1 (per-item criteria: the mean of the items' medians).
    pub median: Option<f64>,
    /// For a criterion judged whole: one per judge.
    pub verdicts: Vec<VerdictView>,
    /// For a criterion judged per item.
    pub items: Vec<ItemView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ItemView {
    pub label: String,
    pub median: Option<f64>,
    pub verdicts: Vec<VerdictView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VerdictView {
    pub judge: String,
    pub verdict: String,
    /// 0..=1.
    pub score: f64,
    /// The number of the quote it cites.
    pub quote: Option<usize>,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct JudgeFailure {
    pub judge: String,
    pub failure: String,
    pub error: String,
    /// The judge's raw answer (cut), when it answered unusably.
    pub raw: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TurnView {
    /// `harness`, `writer`, `oracle`, `critic` or `feedback`.
    pub actor: &'static str,
    pub role: &'static str,
    /// Empty when the turn is shown elsewhere on the page: `same` says where.
    pub content: String,
    /// `system` or `prompt` (the task's, shown once), `text` (the final text, shown as
    /// what the judges read).
    pub same: Option<&'static str>,
    pub cut: usize,
    pub tokens: Option<u64>,
    pub latency_ms: Option<u64>,
    pub finish: Option<&'static str>,
}

/// The drill-down of `task` from its items (any order) and the configured `judges`.
pub fn task(
    task: &PreparedTask,
    slop: &[String],
    judges: &[String],
    inputs: Vec<Input<'_, '_>>,
) -> TaskDetail {
    let input = task.input(slop);
    let t = task.task.task_type();
    let k = kind::of(t);
    let rubric = judge::rubric(input);
    let mut models: Vec<String> = Vec::new();
    let first = inputs
        .iter()
        .find_map(|i| i.record.as_ref().ok()?.as_ref())
        .map(|r| r.transcript.as_slice())
        .unwrap_or_default();
    let opening = |role: Role| {
        first
            .iter()
            .find(|t| t.role == role)
            .map(|t| t.content.clone())
    };
    let shared = Shared {
        system: opening(Role::System),
        prompt: opening(Role::User),
    };
    let mut conversation = false;
    let mut samples: BTreeMap<u32, Vec<EntryView>> = BTreeMap::new();
    for i in inputs {
        if !models.iter().any(|m| m == i.model) {
            models.push(i.model.to_string());
        }
        let (record, read_error) = match i.record {
            Ok(r) => (r, None),
            Err(e) => (None, Some(e)),
        };
        conversation |= record.as_ref().is_some_and(|r| r.transcript.len() > 2);
        let entry = entry(
            i.model,
            i.item,
            record.as_ref(),
            read_error,
            &rubric,
            judges,
            &shared,
        );
        samples.entry(i.item.sample).or_default().push(entry);
    }
    let order = |m: &str| models.iter().position(|x| x == m);
    TaskDetail {
        id: task.id().to_string(),
        title: task.task.title.clone(),
        task_type: t.as_str().to_string(),
        type_label: k.label().to_string(),
        theory: task.task.theory.clone(),
        system: shared.system,
        prompt: shared.prompt,
        hidden: k.judge_hidden(input),
        conversation,
        pass_rule: rubric.pass.describe(),
        criteria: rubric
            .entries
            .iter()
            .map(|e| CriterionInfo {
                id: e.id().to_string(),
                weight: e.weight,
                question: e.criterion.question.clone(),
                scale: match e.criterion.scale {
                    Scale::Verdict => "pass / partial / fail",
                    Scale::Five => "1 to 5",
                },
                items: e.items.clone(),
            })
            .collect(),
        samples: samples
            .into_iter()
            .map(|(sample, mut entries)| {
                entries.sort_by_key(|e| order(&e.model));
                SampleView { sample, entries }
            })
            .collect(),
        models,
    }
}

/// What every entry's transcript shares with the task's head.
struct Shared {
    system: Option<String>,
    prompt: Option<String>,
}

fn entry(
    model: &str,
    item: &Item<'_>,
    record: Option<&GenerationRecord>,
    read_error: Option<String>,
    rubric: &judge::Rubric,
    judges: &[String],
    shared: &Shared,
) -> EntryView {
    let (standing, status) = super::standing(&item.score);
    let g = item.generation;
    let view = record
        .map(|r| kind::of(r.task_type).judge_view(r))
        .or_else(|| g.map(|g| g.output.clone()))
        .unwrap_or_default();
    let (shown, cut) = shorten(&view);
    let finder = Finder::new(shown);
    // Distinct quotes, numbered in the order verdicts cite them.
    let mut quotes: Vec<Quote> = Vec::new();
    let mut ranges = Vec::new();
    let mut quote_of = |evidence: &str| -> Option<usize> {
        let text = evidence.trim();
        if text.is_empty() {
            return None;
        }
        if let Some(q) = quotes.iter_mut().find(|q| q.text == text) {
            q.cited += 1;
            return Some(q.n);
        }
        let n = quotes.len() + 1;
        let found = finder.find(text);
        ranges.extend(found.iter().map(|r| (n, r.clone())));
        quotes.push(Quote {
            n,
            text: text.to_string(),
            found: !found.is_empty(),
            cited: 1,
        });
        Some(n)
    };
    let ok: Vec<&EvaluationRecord> = ordered(&item.evaluations, judges)
        .into_iter()
        .filter(|e| e.status == Status::Ok)
        .collect();
    let aggregate = item.score.aggregate.as_ref();
    let criteria: Vec<CriterionView> = rubric
        .entries
        .iter()
        .map(|entry| {
            let agg = aggregate.and_then(|a| a.criteria.iter().find(|c| c.id == entry.id()));
            let answers: Vec<(&str, &CriterionVerdict)> = ok
                .iter()
                .filter_map(|e| {
                    let v = e.criteria.iter().find(|c| c.criterion == entry.id())?;
                    Some((e.judge.as_str(), v))
                })
                .collect();
            let mut view = CriterionView {
                id: entry.id().to_string(),
                weight: entry.weight,
                median: agg.and_then(|a| a.score),
                verdicts: Vec::new(),
                items: Vec::new(),
            };
            if entry.items.is_empty() {
                view.verdicts = answers
                    .iter()
                    .map(|(judge, v)| VerdictView {
                        judge: judge.to_string(),
                        verdict: v.verdict.clone(),
                        score: v.score,
                        quote: quote_of(&v.evidence),
                        reason: v.reason.clone(),
                    })
                    .collect();
            } else {
                view.items = entry
                    .items
                    .iter()
                    .enumerate()
                    .map(|(n, label)| ItemView {
                        label: label.clone(),
                        median: agg.and_then(|a| a.items.get(n).copied().flatten()),
                        verdicts: answers
                            .iter()
                            .filter_map(|(judge, v)| {
                                let iv = v.items.iter().find(|i| i.item as usize == n + 1)?;
                                Some(VerdictView {
                                    judge: judge.to_string(),
                                    verdict: iv.verdict.clone(),
                                    score: iv.score,
                                    quote: quote_of(&iv.evidence),
                                    reason: iv.reason.clone(),
                                })
                            })
                            .collect(),
                    })
                    .collect();
            }
            view
        })
        .collect();
    let failed_judges = ordered(&item.evaluations, judges)
        .into_iter()
        .filter(|e| e.status != Status::Ok)
        .map(|e| JudgeFailure {
            judge: e.judge.clone(),
            failure: e.failure.map_or("failed", |f| f.as_str()).to_string(),
            error: e.error.clone().unwrap_or_default(),
            raw: e.raw.as_deref().map(|r| cut_at(r, RAW_BYTES).to_string()),
        })
        .collect();
    let missing_judges = if g.is_some_and(|g| g.status == Status::Ok) {
        judges
            .iter()
            .filter(|j| !item.evaluations.iter().any(|e| &e.judge == *j))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let transcript = record
        .filter(|r| r.transcript.len() > 2)
        .map(|r| {
            let last_writer = r.transcript.iter().rposition(|t| t.actor == Actor::Writer);
            r.transcript
                .iter()
                .enumerate()
                .map(|(n, t)| {
                    let is = |v: &Option<String>| v.as_deref() == Some(t.content.as_str());
                    let same = match t.role {
                        Role::System if is(&shared.system) => Some("system"),
                        Role::User if is(&shared.prompt) => Some("prompt"),
                        _ if Some(n) == last_writer && t.content == r.output => Some("text"),
                        _ => None,
                    };
                    let (content, cut) = match same {
                        Some(_) => ("", 0),
                        None => shorten(&t.content),
                    };
                    TurnView {
                        actor: actor(t.actor),
                        role: match t.role {
                            Role::System => "system",
                            Role::User => "user",
                            Role::Assistant => "assistant",
                        },
                        content: content.to_string(),
                        same,
                        cut,
                        tokens: t.usage.map(|u| u.prompt_tokens + u.completion_tokens),
                        latency_ms: t.latency_ms,
                        finish: t.finish.map(|f| f.as_str()),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let text = evidence::segments(shown, &ranges);
    EntryView {
        model: model.to_string(),
        sample: item.sample,
        simulated: g.is_some_and(|g| g.simulated),
        standing,
        status,
        final_score: item.score.final_score,
        programmatic: item.score.programmatic.map(|p| p * 100.0),
        judge: item.score.judge.map(|j| j * 100.0),
        pass: item.score.pass,
        failure: g.filter(|g| g.status != Status::Ok).map(|g| {
            format!(
                "{}: {}",
                g.failure.map_or("failed", |f| f.as_str()),
                g.error.as_deref().unwrap_or("no reason recorded")
            )
        }),
        read_error,
        file: item.path.map(|p| p.display().to_string()),
        text,
        cut,
        quotes,
        criteria,
        failed_judges,
        missing_judges,
        breakdown: item.score.breakdown.clone(),
        trajectory: if matches!(item.score.standing, Standing::Scored) {
            item.score.trajectory.iter().map(|v| v * 100.0).collect()
        } else {
            Vec::new()
        },
        transcript,
        questions: record.map(|r| r.questions.clone()).unwrap_or_default(),
        plan: record.and_then(|r| r.plan.clone()),
        cost_usd: g.and_then(|g| g.cost_usd),
        latency_ms: g.map_or(0, |g| g.latency_ms),
        prompt_tokens: g.map_or(0, |g| g.usage.prompt_tokens),
        completion_tokens: g.map_or(0, |g| g.usage.completion_tokens),
        created_at: g.map(|g| g.created_at.clone()).unwrap_or_default(),
    }
}

/// Evaluations in the configured judges' order.
fn ordered<'e>(
    evaluations: &[&'e EvaluationRecord],
    judges: &[String],
) -> Vec<&'e EvaluationRecord> {
    let mut v = evaluations.to_vec();
    v.sort_by_key(|e| judges.iter().position(|j| *j == e.judge));
    v
}

fn actor(a: Actor) -> &'static str {
    match a {
        Actor::Harness => "harness",
        Actor::Writer => "writer",
        Actor::Oracle => "oracle",
        Actor::Critic => "critic",
        Actor::Feedback => "feedback",
    }
}

/// `text` cut to [`SHOWN_BYTES`] (at a character boundary), and the bytes left out.
fn shorten(text: &str) -> (&str, usize) {
    let shown = cut_at(text, SHOWN_BYTES);
    (shown, text.len() - shown.len())
}

fn cut_at(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
