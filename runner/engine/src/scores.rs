//! One task's latest score per model, with everything behind it: the programmatic and
//! judge parts, the median per criterion with each judge's verdict, pass/fail, cost, date
//! and whether the task (or its configuration) changed since. What an editor shows on
//! hover and in a code lens; the leaderboard aggregates the same records over all tasks.
//!
//! "Latest" is the newest generation with today's fingerprint; when there is none, the
//! newest stale one, marked stale and judged by whatever evaluations it has.

use crate::fingerprint::Current;
use crate::judge;
use crate::scheduler::PreparedTask;
use crate::store::Loaded;
use fabula_core::metrics;
use fabula_core::model::{EvaluationRecord, GenerationSummary, Status};
use fabula_core::score;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The records of one task: what [`latest`] reads. Splitting a store by task once makes
/// every later lookup proportional to one task's records.
#[derive(Debug, Default)]
pub struct TaskRecords {
    pub generations: Vec<(PathBuf, GenerationSummary)>,
    pub evaluations: Vec<(PathBuf, EvaluationRecord)>,
}

/// A store's records by task id.
pub fn by_task(loaded: Loaded) -> HashMap<String, TaskRecords> {
    let mut out: HashMap<String, TaskRecords> = HashMap::new();
    for (path, g) in loaded.generations {
        out.entry(g.task.clone())
            .or_default()
            .generations
            .push((path, g));
    }
    for (path, e) in loaded.evaluations {
        out.entry(e.task.clone())
            .or_default()
            .evaluations
            .push((path, e));
    }
    out
}

/// One criterion of the judge part.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionScore {
    pub criterion: String,
    pub weight: u32,
    /// Median over the judges, 0..=1.
    pub median: Option<f64>,
    /// Each judge's own answer (`pass`, `partial`, `fail`, `1`..`5`), by judge name.
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
    /// 0..=100; none when no judge scored it.
    pub final_score: Option<f64>,
    /// 0..=1.
    pub programmatic: Option<f64>,
    /// Weighted judge part, 0..=1.
    pub judge: Option<f64>,
    pub pass: Option<bool>,
    pub criteria: Vec<CriterionScore>,
    /// Judges whose evaluation is counted (failed ones included).
    pub judges: Vec<String>,
    pub failed_judges: usize,
    /// Generation plus judging, USD (reported or priced).
    pub cost_usd: f64,
    pub created_at: String,
    /// The generation file first, then its evaluations.
    pub files: Vec<PathBuf>,
}

/// The latest score of every model that has a generation of `task`, sorted by model.
/// `judges` are the configured judges; evaluations by others are not counted.
pub fn latest(
    current: Current<'_>,
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
        out.push(model_score(
            task,
            current.slop,
            &rubric,
            (path, g),
            &evaluations,
            stale,
        ));
    }
    out
}

fn model_score(
    task: &PreparedTask,
    slop: &[String],
    rubric: &[(String, u32)],
    (path, g): (&Path, &GenerationSummary),
    evaluations: &[&(PathBuf, EvaluationRecord)],
    stale: bool,
) -> ModelScore {
    let records: Vec<&EvaluationRecord> = evaluations.iter().map(|(_, e)| e).collect();
    let agg = score::aggregate(rubric, &records);
    let programmatic = (g.status == Status::Ok).then(|| {
        let key = metrics::cache_key(task.task.words, slop);
        match &g.programmatic {
            Some(c) if c.key == key && !c.trajectory.is_empty() => {
                c.trajectory[c.trajectory.len() - 1]
            }
            _ => metrics::programmatic(&g.output, task.task.words, slop).total,
        }
    });
    let criteria = agg
        .criteria
        .iter()
        .map(|(id, weight, median)| CriterionScore {
            criterion: id.clone(),
            weight: *weight,
            median: *median,
            verdicts: records
                .iter()
                .filter(|e| e.status == Status::Ok)
                .filter_map(|e| {
                    let c = e.criteria.iter().find(|c| &c.criterion == id)?;
                    Some((e.judge.clone(), c.verdict.clone()))
                })
                .collect(),
        })
        .collect();
    let mut judges: Vec<String> = records.iter().map(|e| e.judge.clone()).collect();
    judges.sort();
    judges.dedup();
    let mut files = vec![path.to_path_buf()];
    files.extend(evaluations.iter().map(|(p, _)| p.clone()));
    ModelScore {
        model: g.model.clone(),
        sample: g.sample,
        simulated: g.simulated,
        stale,
        status: g.status,
        final_score: programmatic.and_then(|p| score::final_score(p, agg.judge)),
        programmatic,
        judge: agg.judge,
        pass: agg.pass,
        criteria,
        judges,
        failed_judges: records.iter().filter(|e| e.status != Status::Ok).count(),
        cost_usd: g.cost_usd.unwrap_or(0.0)
            + records.iter().filter_map(|e| e.cost_usd).sum::<f64>(),
        created_at: g.created_at.clone(),
        files,
    }
}
