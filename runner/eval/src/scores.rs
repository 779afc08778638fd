//! One task's latest score per model, with everything behind it: the programmatic and
//! judge parts, the median per criterion with each judge's verdict, pass/fail, coverage
//! standing, cost, date and whether the task (or its configuration) changed since. What
//! an editor shows on hover and in a code lens; scored by [`crate::scoring::score`], the
//! same function the leaderboard uses.
//!
//! "Latest" is the newest generation with today's fingerprint; when there is none, the
//! newest stale one, marked stale and judged by whatever evaluations it has.

use crate::fingerprint::Current;
use crate::prepared::PreparedTask;
use crate::records::Records;
use crate::scoring::{self, Standing};
use fabula_core::judge;
use fabula_core::model::{EvaluationRecord, FailureKind, GenerationSummary, HumanRanking, Status};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// The records of one task: what [`latest`] reads. Splitting a store by task once makes
/// every later lookup proportional to one task's records.
#[derive(Debug, Default)]
pub struct TaskRecords {
    pub generations: Vec<(PathBuf, GenerationSummary)>,
    pub evaluations: Vec<(PathBuf, EvaluationRecord)>,
    /// People's rankings of the task's outputs (`fabula rank`, the editor's view).
    pub rankings: Vec<(PathBuf, HumanRanking)>,
}

/// A store's records by task id.
pub fn by_task(records: Records) -> HashMap<String, TaskRecords> {
    let mut out: HashMap<String, TaskRecords> = HashMap::new();
    for (path, g) in records.generations {
        out.entry(g.task.clone())
            .or_default()
            .generations
            .push((path, g));
    }
    for (path, e) in records.evaluations {
        out.entry(e.task.clone())
            .or_default()
            .evaluations
            .push((path, e));
    }
    for (path, r) in records.rankings {
        out.entry(r.task.clone())
            .or_default()
            .rankings
            .push((path, r));
    }
    out
}

/// One criterion of the judge part.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionScore {
    pub criterion: String,
    pub weight: u32,
    /// The judges' aggregate, 0..=1 (median; per-item criteria: mean of item medians).
    pub median: Option<f64>,
    /// Each judge's own answer (`pass`, `partial`, `fail`, `1`..`5`; for a per-item
    /// criterion its share of items passed, like `3/5`), by judge name.
    pub verdicts: Vec<(String, String)>,
}

/// A model's latest score on one task.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelScore {
    pub model: String,
    pub sample: u32,
    pub simulated: bool,
    /// The task or its configuration changed since this generation.
    pub stale: bool,
    pub status: Status,
    pub standing: Standing,
    /// Why the generation failed, when it did.
    pub error: Option<String>,
    pub failure: Option<FailureKind>,
    /// 0..=100; none while incomplete.
    pub final_score: Option<f64>,
    /// 0..=100.
    pub programmatic: Option<f64>,
    /// Weighted judge part, 0..=100.
    pub judge: Option<f64>,
    pub pass: Option<bool>,
    pub criteria: Vec<CriterionScore>,
    /// Judges whose evaluation is counted (failed ones included).
    pub judges: Vec<String>,
    pub failed_judges: usize,
    /// A simulated judge judged this real model's text.
    pub judged_by_simulator: bool,
    /// Generation plus judging, USD (reported or priced).
    pub cost_usd: f64,
    pub created_at: String,
    /// The generation file first, then its evaluations.
    pub files: Vec<PathBuf>,
}

/// The latest score of every model that has a generation of `task`, sorted by model.
/// `judges` are the configured judges; evaluations by others are not counted.
pub fn latest(
    current: &Current<'_>,
    task: &PreparedTask,
    records: &TaskRecords,
    judges: &[String],
) -> Vec<ModelScore> {
    let mut by_model: BTreeMap<&str, Vec<&(PathBuf, GenerationSummary)>> = BTreeMap::new();
    for entry in &records.generations {
        by_model.entry(&entry.1.model).or_default().push(entry);
    }
    let rubric = judge::rubric(task.input(current.slop));
    let mut out = Vec::new();
    for (model, generations) in by_model {
        let today = current.generation(task, model);
        let newest = |current_only: bool| {
            generations
                .iter()
                .filter(|(_, g)| !current_only || today.as_deref() == Some(&g.fingerprint))
                .max_by(|a, b| {
                    a.1.created_at
                        .cmp(&b.1.created_at)
                        .then(b.1.sample.cmp(&a.1.sample))
                })
                .copied()
        };
        let Some((path, g)) = newest(true).or_else(|| newest(false)) else {
            continue;
        };
        let stale = today.as_deref() != Some(g.fingerprint.as_str());
        let evaluations: Vec<&(PathBuf, EvaluationRecord)> = records
            .evaluations
            .iter()
            .filter(|(_, e)| {
                e.model == g.model
                    && e.sample == g.sample
                    && e.generation_fingerprint == g.fingerprint
                    && g.view_sha.as_deref() == Some(e.generation_sha.as_str())
                    && e.round.is_none()
                    && judges.contains(&e.judge)
            })
            .filter(|(_, e)| {
                // Today's judging for a current generation; any judging of a stale one.
                stale
                    || current
                        .evaluation(task, &g.fingerprint, &e.judge)
                        .as_deref()
                        == Some(e.fingerprint.as_str())
            })
            .collect();
        let counted: Vec<&EvaluationRecord> = evaluations.iter().map(|(_, e)| e).collect();
        let item = scoring::score(task, current.slop, &rubric, g, &counted, judges);
        let criteria = item
            .aggregate
            .as_ref()
            .map(|agg| {
                agg.criteria
                    .iter()
                    .map(|c| CriterionScore {
                        criterion: c.id.clone(),
                        weight: c.weight,
                        median: c.score,
                        verdicts: counted
                            .iter()
                            .filter(|e| e.status == Status::Ok)
                            .filter_map(|e| {
                                let v = e.criteria.iter().find(|v| v.criterion == c.id)?;
                                let shown = if v.items.is_empty() {
                                    v.verdict.clone()
                                } else {
                                    let passed = v.items.iter().filter(|i| i.score > 0.5).count();
                                    format!("{passed}/{}", v.items.len())
                                };
                                Some((e.judge.clone(), shown))
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut judge_names: Vec<String> = counted.iter().map(|e| e.judge.clone()).collect();
        judge_names.sort();
        judge_names.dedup();
        let mut files = vec![path.clone()];
        files.extend(evaluations.iter().map(|(p, _)| p.clone()));
        out.push(ModelScore {
            model: g.model.clone(),
            sample: g.sample,
            simulated: g.simulated,
            stale,
            status: g.status,
            standing: item.standing,
            error: g.error.clone(),
            failure: g.failure,
            final_score: item.final_score,
            programmatic: item.programmatic.map(|p| p * 100.0),
            judge: item.judge.map(|j| j * 100.0),
            pass: item.pass,
            criteria,
            judges: judge_names,
            failed_judges: counted.iter().filter(|e| e.status != Status::Ok).count(),
            judged_by_simulator: !g.simulated
                && counted
                    .iter()
                    .any(|e| e.simulated && e.status == Status::Ok),
            cost_usd: g.cost_usd.unwrap_or(0.0)
                + counted.iter().filter_map(|e| e.cost_usd).sum::<f64>(),
            created_at: g.created_at.clone(),
            files,
        });
    }
    out
}
