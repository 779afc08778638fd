//! The per-verdict export: one row per task × model × sample × judge × criterion (and
//! item, for criteria judged per item), with the evidence, the programmatic parts,
//! tokens, latency, cost and failure reasons. What people load into pandas.
//!
//! Only records with today's fingerprints are exported (stale ones do not count
//! anywhere else either). A generation without a counted evaluation (failed, or not
//! judged yet) still gets one row, with the judge columns empty.

use crate::fingerprint::Current;
use crate::prepared::PreparedTask;
use crate::records::{Index, Records};
use crate::scoring::{self, Standing};
use fabula_core::judge;
use fabula_core::model::Status;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// One exported row.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ExportRow {
    pub task: String,
    pub task_type: String,
    pub theory: String,
    pub model: String,
    pub simulated: bool,
    pub sample: u32,
    /// `scored`, `model_failed`, `unjudgeable` or `incomplete`.
    pub standing: String,
    /// 0..=100, empty while incomplete.
    pub final_score: Option<f64>,
    pub pass: Option<bool>,
    /// 0..=1.
    pub programmatic: Option<f64>,
    pub words: Option<u64>,
    pub word_score: Option<f64>,
    pub repetition: Option<f64>,
    pub slop_density: Option<f64>,
    /// `phrase×count; …`
    pub slop_hits: String,
    pub generation_status: String,
    pub failure: String,
    pub error: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    pub latency_ms: u64,
    pub cost_usd: Option<f64>,
    pub judge: String,
    pub judge_simulated: Option<bool>,
    pub judge_status: String,
    pub judge_failure: String,
    pub judge_error: String,
    pub judge_prompt_tokens: Option<u64>,
    pub judge_completion_tokens: Option<u64>,
    pub judge_latency_ms: Option<u64>,
    pub judge_cost_usd: Option<f64>,
    pub criterion: String,
    pub weight: Option<u32>,
    /// 1-based item of a per-item criterion; empty for one judged whole.
    pub item: Option<u32>,
    pub item_label: String,
    pub verdict: String,
    /// 0..=1.
    pub verdict_score: Option<f64>,
    pub evidence: String,
    pub reason: String,
}

/// The CSV columns, in the order of [`ExportRow`]'s fields (a test keeps them in step).
pub const COLUMNS: &[&str] = &[
    "task",
    "task_type",
    "theory",
    "model",
    "simulated",
    "sample",
    "standing",
    "final_score",
    "pass",
    "programmatic",
    "words",
    "word_score",
    "repetition",
    "slop_density",
    "slop_hits",
    "generation_status",
    "failure",
    "error",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "latency_ms",
    "cost_usd",
    "judge",
    "judge_simulated",
    "judge_status",
    "judge_failure",
    "judge_error",
    "judge_prompt_tokens",
    "judge_completion_tokens",
    "judge_latency_ms",
    "judge_cost_usd",
    "criterion",
    "weight",
    "item",
    "item_label",
    "verdict",
    "verdict_score",
    "evidence",
    "reason",
];

/// Every row for `models` judged by `judges`, ordered by task, model, sample, judge.
pub fn rows(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    models: &[String],
    judges: &[String],
) -> Vec<ExportRow> {
    let index = Index::new(records);
    current.warm(tasks);
    let mut by_task: Vec<&Arc<PreparedTask>> = tasks.iter().collect();
    by_task.sort_by(|a, b| a.id().cmp(b.id()));
    let mut generations: HashMap<(&str, &str), Vec<u32>> = HashMap::new();
    for (_, g) in &records.generations {
        generations
            .entry((g.model.as_str(), g.task.as_str()))
            .or_default()
            .push(g.sample);
    }
    let mut out = Vec::new();
    for task in by_task {
        let rubric = judge::rubric(task.input(current.slop));
        for model in models {
            let Some(gfp) = current.generation(task, model) else {
                continue;
            };
            let mut samples = generations
                .get(&(model.as_str(), task.id()))
                .cloned()
                .unwrap_or_default();
            samples.sort_unstable();
            samples.dedup();
            let efps: HashMap<&str, String> = judges
                .iter()
                .filter_map(|j| Some((j.as_str(), current.evaluation(task, &gfp, j)?)))
                .collect();
            for sample in samples {
                let Some((_, g)) = index.generation(model, task.id(), sample, &gfp) else {
                    continue;
                };
                let evaluations =
                    index.evaluations(g, |j, fp| efps.get(j).is_some_and(|t| t == fp));
                let item = scoring::score(task, current.slop, &rubric, g, &evaluations, judges);
                let b = item.breakdown.as_ref();
                let base = ExportRow {
                    task: task.id().to_string(),
                    task_type: task.task.task_type().as_str().to_string(),
                    theory: task.task.theory.clone(),
                    model: model.clone(),
                    simulated: g.simulated,
                    sample,
                    standing: match item.standing {
                        Standing::Scored => "scored",
                        Standing::ModelFailed(_) => "model_failed",
                        Standing::Unjudgeable => "unjudgeable",
                        Standing::Incomplete(_) => "incomplete",
                    }
                    .to_string(),
                    final_score: item.final_score,
                    pass: item.pass,
                    programmatic: item.programmatic,
                    words: b.map(|b| b.words),
                    word_score: b.map(|b| b.word_score),
                    repetition: b.map(|b| b.repetition),
                    slop_density: b.map(|b| b.slop_density),
                    slop_hits: b
                        .map(|b| {
                            b.slop_hits
                                .iter()
                                .map(|h| format!("{}×{}", h.phrase, h.count))
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                        .unwrap_or_default(),
                    generation_status: status(g.status),
                    failure: g
                        .failure
                        .map(|f| f.as_str().to_string())
                        .unwrap_or_default(),
                    error: g.error.clone().unwrap_or_default(),
                    prompt_tokens: g.usage.prompt_tokens,
                    completion_tokens: g.usage.completion_tokens,
                    reasoning_tokens: g.usage.reasoning_tokens,
                    latency_ms: g.latency_ms,
                    cost_usd: g.cost_usd,
                    ..ExportRow::default()
                };
                if evaluations.is_empty() {
                    out.push(base);
                    continue;
                }
                let mut sorted = evaluations.clone();
                sorted.sort_by(|a, b| a.judge.cmp(&b.judge));
                for e in sorted {
                    let judged = ExportRow {
                        judge: e.judge.clone(),
                        judge_simulated: Some(e.simulated),
                        judge_status: status(e.status),
                        judge_failure: e
                            .failure
                            .map(|f| f.as_str().to_string())
                            .unwrap_or_default(),
                        judge_error: e.error.clone().unwrap_or_default(),
                        judge_prompt_tokens: Some(e.usage.prompt_tokens),
                        judge_completion_tokens: Some(e.usage.completion_tokens),
                        judge_latency_ms: Some(e.latency_ms),
                        judge_cost_usd: e.cost_usd,
                        ..base.clone()
                    };
                    if e.status != Status::Ok {
                        out.push(judged);
                        continue;
                    }
                    for entry in &rubric.entries {
                        let Some(v) = e.criteria.iter().find(|c| c.criterion == entry.id()) else {
                            continue;
                        };
                        let criterion = ExportRow {
                            criterion: entry.id().to_string(),
                            weight: Some(entry.weight),
                            ..judged.clone()
                        };
                        if v.items.is_empty() {
                            out.push(ExportRow {
                                verdict: v.verdict.clone(),
                                verdict_score: Some(v.score),
                                evidence: v.evidence.clone(),
                                reason: v.reason.clone(),
                                ..criterion
                            });
                            continue;
                        }
                        for i in &v.items {
                            out.push(ExportRow {
                                item: Some(i.item),
                                item_label: entry
                                    .items
                                    .get(i.item as usize - 1)
                                    .cloned()
                                    .unwrap_or_default(),
                                verdict: i.verdict.clone(),
                                verdict_score: Some(i.score),
                                evidence: i.evidence.clone(),
                                reason: i.reason.clone(),
                                ..criterion.clone()
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

fn status(s: Status) -> String {
    match s {
        Status::Ok => "ok",
        Status::Failed => "failed",
    }
    .to_string()
}

/// The rows as JSON Lines.
pub fn jsonl(out: &mut impl std::io::Write, rows: &[ExportRow]) -> std::io::Result<()> {
    for r in rows {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
    }
    Ok(())
}

/// The rows as CSV with a header ([`COLUMNS`]), every field quoted where needed.
pub fn csv(out: &mut impl std::io::Write, rows: &[ExportRow]) -> std::io::Result<()> {
    writeln!(out, "{}", COLUMNS.join(","))?;
    for r in rows {
        let v = serde_json::to_value(r).map_err(std::io::Error::other)?;
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|n| match &v[*n] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => crate::text::csv_quote(s),
                other => other.to_string(),
            })
            .collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_the_fields() {
        let v = serde_json::to_value(ExportRow::default()).unwrap();
        let mut fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut columns = COLUMNS.to_vec();
        fields.sort_unstable();
        columns.sort_unstable();
        assert_eq!(fields, columns);
    }
}
