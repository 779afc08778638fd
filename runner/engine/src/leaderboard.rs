//! The leaderboard: scores per model from today's records (stale ones are counted and
//! left out), per task type, pass rate, cost and tokens per role, process metrics of the
//! agentic types, and how much the judges agree.
//!
//! An item is one generation (model × task × sample) with today's fingerprint. Its score
//! is [`fabula_core::score::final_score`]: half programmatic
//! ([`fabula_core::metrics::programmatic`] on the final output), half the judges' median
//! ([`fabula_core::score::aggregate`] over the evaluations with today's fingerprint). A
//! model's score is the mean over its scored items; an item no judge could score is
//! counted as unscored, never as zero.

use crate::fingerprint::Current;
use crate::judge;
use crate::plan::Index;
use crate::scheduler::PreparedTask;
use crate::store::Loaded;
use fabula_core::metrics;
use fabula_core::model::{EvaluationRecord, GenerationSummary, Status, TaskBody, TaskType, Usage};
use fabula_core::score;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Row {
    pub model: String,
    pub simulated: bool,
    /// Mean final score, 0..=100.
    pub score: Option<f64>,
    pub by_type: BTreeMap<String, f64>,
    /// Share of judged items that passed by median vote.
    pub pass_rate: Option<f64>,
    pub items: usize,
    pub scored: usize,
    pub failed_generations: usize,
    pub failed_evaluations: usize,
    /// Generation cost (writer, oracle, critic), USD.
    pub cost_usd: f64,
    /// Judging cost of this model's generations, USD.
    pub judge_cost_usd: f64,
    /// Tokens by role: writer, oracle, critic, judges.
    pub tokens: BTreeMap<String, u64>,
    /// Constraint discovery: hidden constraints revealed per question asked (mean).
    pub discovery_efficiency: Option<f64>,
    /// Revision types: programmatic score of the final version minus the first draft
    /// (mean), and the mean per-round gains.
    pub improvement: Option<f64>,
    pub gain_per_round: Vec<f64>,
    /// The first round whose mean gain is under a quarter of the first round's: where
    /// returns diminish (1-based; none while every round still pays).
    pub diminishing_from_round: Option<usize>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Agreement {
    pub judges: Vec<String>,
    /// Krippendorff's alpha (interval) over every (item, criterion) the judges scored.
    pub alpha: Option<f64>,
    /// Mean Kendall's tau-b over judge pairs, on each judge's weighted score per item.
    pub kendall_tau: Option<f64>,
    pub pairs: Vec<(String, String, Option<f64>)>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Board {
    pub rows: Vec<Row>,
    pub agreement: Agreement,
    pub stale_generations: usize,
    pub stale_evaluations: usize,
    pub task_types: Vec<String>,
}

/// Computes the leaderboard of `models` judged by `judges`.
pub fn compute(
    current: Current<'_>,
    tasks: &[Arc<PreparedTask>],
    loaded: &Loaded,
    models: &[String],
    judges: &[String],
) -> Board {
    let index = Index::new(loaded);
    let mut evals_by_gen: HashMap<(&str, &str, u32, &str), Vec<&EvaluationRecord>> = HashMap::new();
    for (_, e) in &loaded.evaluations {
        evals_by_gen
            .entry((&e.model, &e.task, e.sample, &e.generation_fingerprint))
            .or_default()
            .push(e);
    }
    let programmatic = programmatic_scores(tasks, loaded, models, current.slop);
    let mut board = Board::default();
    let mut current_gen_keys = 0usize;
    let mut current_eval_count = 0usize;
    let mut judge_scores: BTreeMap<String, Vec<Option<f64>>> =
        judges.iter().map(|j| (j.clone(), Vec::new())).collect();
    let mut units: Vec<Vec<f64>> = Vec::new();
    let mut types = std::collections::BTreeSet::new();
    for model in models {
        let mut row = Row {
            model: model.clone(),
            ..Row::default()
        };
        let mut scores = Vec::new();
        let mut by_type: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut passes = (0usize, 0usize);
        let mut efficiency = Vec::new();
        let mut improvement = Vec::new();
        let mut gains: Vec<Vec<f64>> = Vec::new();
        for task in tasks {
            let Some(gfp) = current.generation(task, model) else {
                continue;
            };
            // Today's evaluation fingerprint per judge, computed once per task and model.
            let efps: HashMap<&str, String> = judges
                .iter()
                .filter_map(|j| Some((j.as_str(), current.evaluation(task, &gfp, j)?)))
                .collect();
            let rubric = judge::rubric(task.input(current.slop));
            let samples = loaded
                .generations
                .iter()
                .filter(|(_, g)| g.model == *model && g.task == task.task.id)
                .map(|(_, g)| g.sample)
                .collect::<std::collections::BTreeSet<_>>();
            for sample in samples {
                let Some((path, g)) = index.generation(model, &task.task.id, sample, &gfp) else {
                    continue;
                };
                current_gen_keys += 1;
                row.items += 1;
                row.simulated |= g.simulated;
                row.cost_usd += g.cost_usd.unwrap_or(0.0);
                add_role_tokens(&mut row.tokens, g);
                if g.status != Status::Ok {
                    row.failed_generations += 1;
                    continue;
                }
                let evaluations: Vec<&EvaluationRecord> = evals_by_gen
                    .get(&(model.as_str(), task.task.id.as_str(), sample, gfp.as_str()))
                    .map(|v| {
                        v.iter()
                            .copied()
                            .filter(|e| efps.get(e.judge.as_str()) == Some(&e.fingerprint))
                            .collect()
                    })
                    .unwrap_or_default();
                current_eval_count += evaluations.len();
                for e in &evaluations {
                    row.judge_cost_usd += e.cost_usd.unwrap_or(0.0);
                    *row.tokens.entry("judges".into()).or_default() +=
                        e.usage.prompt_tokens + e.usage.completion_tokens;
                    if e.status != Status::Ok {
                        row.failed_evaluations += 1;
                    }
                }
                let agg = score::aggregate(&rubric, &evaluations);
                let Some(trajectory) = programmatic.get(path) else {
                    continue;
                };
                let prog_total = trajectory[trajectory.len() - 1];
                let ty = task.task.task_type().as_str().to_string();
                types.insert(ty.clone());
                if let Some(s) = score::final_score(prog_total, agg.judge) {
                    scores.push(s);
                    by_type.entry(ty).or_default().push(s);
                    row.scored += 1;
                }
                if let Some(p) = agg.pass {
                    passes.1 += 1;
                    if p {
                        passes.0 += 1;
                    }
                }
                // Agreement data: each judge's weighted score, each criterion a unit.
                for (j, list) in judge_scores.iter_mut() {
                    let own: Vec<&EvaluationRecord> = evaluations
                        .iter()
                        .copied()
                        .filter(|e| &e.judge == j)
                        .collect();
                    list.push(score::aggregate(&rubric, &own).judge);
                }
                for (id, _) in &rubric {
                    let values: Vec<f64> = evaluations
                        .iter()
                        .filter(|e| e.status == Status::Ok)
                        .filter_map(|e| e.criteria.iter().find(|c| &c.criterion == id))
                        .map(|c| c.score)
                        .collect();
                    if values.len() >= 2 {
                        units.push(values);
                    }
                }
                process_metrics(
                    task,
                    g,
                    trajectory,
                    &mut efficiency,
                    &mut improvement,
                    &mut gains,
                );
            }
        }
        row.score = mean(&scores);
        row.by_type = by_type
            .into_iter()
            .filter_map(|(k, v)| mean(&v).map(|m| (k, m)))
            .collect();
        row.pass_rate = (passes.1 > 0).then(|| passes.0 as f64 / passes.1 as f64);
        row.discovery_efficiency = mean(&efficiency);
        row.improvement = mean(&improvement);
        let rounds = gains.iter().map(Vec::len).max().unwrap_or(0);
        row.gain_per_round = (0..rounds)
            .filter_map(|r| {
                mean(
                    &gains
                        .iter()
                        .filter_map(|g| g.get(r).copied())
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        row.diminishing_from_round = diminishing_from(&row.gain_per_round);
        board.rows.push(row);
    }
    board.rows.sort_by(|a, b| {
        b.score
            .unwrap_or(-1.0)
            .total_cmp(&a.score.unwrap_or(-1.0))
            .then(a.model.cmp(&b.model))
    });
    let mut pairs = Vec::new();
    let names: Vec<&String> = judge_scores.keys().collect();
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let tau = score::kendall_tau_b(&judge_scores[names[i]], &judge_scores[names[j]]);
            pairs.push((names[i].clone(), names[j].clone(), tau));
        }
    }
    let taus: Vec<f64> = pairs.iter().filter_map(|p| p.2).collect();
    board.agreement = Agreement {
        judges: judges.to_vec(),
        alpha: score::krippendorff_alpha_interval(&units),
        kendall_tau: mean(&taus),
        pairs,
    };
    board.stale_generations = loaded
        .generations
        .iter()
        .filter(|(_, g)| models.contains(&g.model))
        .count()
        .saturating_sub(current_gen_keys);
    board.stale_evaluations = loaded
        .evaluations
        .iter()
        .filter(|(_, e)| models.contains(&e.model) && judges.contains(&e.judge))
        .count()
        .saturating_sub(current_eval_count);
    board.task_types = TaskType::ALL
        .iter()
        .map(|t| t.as_str().to_string())
        .filter(|t| types.contains(t))
        .collect();
    board
}

fn add_role_tokens(tokens: &mut BTreeMap<String, u64>, g: &GenerationSummary) {
    for (role, u) in &g.usage_by_role {
        *tokens.entry(role.clone()).or_default() += total(*u);
    }
}

fn total(u: Usage) -> u64 {
    u.prompt_tokens + u.completion_tokens
}

/// Discovery efficiency, and the programmatic trajectory of revision types.
fn process_metrics(
    task: &PreparedTask,
    g: &GenerationSummary,
    trajectory: &[f64],
    efficiency: &mut Vec<f64>,
    improvement: &mut Vec<f64>,
    gains: &mut Vec<Vec<f64>>,
) {
    match &task.task.body {
        TaskBody::AgenticConstraintDiscovery(_) if !g.questions.is_empty() => {
            let mut found: Vec<&String> = g.questions.iter().flat_map(|q| &q.reveals).collect();
            found.sort();
            found.dedup();
            efficiency.push(found.len() as f64 / g.questions.len() as f64);
        }
        TaskBody::AgenticIterativeRevision(_) | TaskBody::CritiqueImprovement(_)
            if trajectory.len() > 1 =>
        {
            improvement.push(trajectory[trajectory.len() - 1] - trajectory[0]);
            gains.push(trajectory.windows(2).map(|w| w[1] - w[0]).collect());
        }
        _ => {}
    }
}

/// The programmatic trajectory of every ok generation of `models` (each draft, then the
/// final output), keyed by the record's path in `loaded`: stored with the record when
/// still valid, else recomputed for the final output on all cores.
fn programmatic_scores<'a>(
    tasks: &[Arc<PreparedTask>],
    loaded: &'a Loaded,
    models: &[String],
    slop: &[String],
) -> HashMap<&'a std::path::Path, Vec<f64>> {
    let by_id: HashMap<&str, &PreparedTask> = tasks
        .iter()
        .map(|t| (t.task.id.as_str(), t.as_ref()))
        .collect();
    let work: Vec<(&std::path::Path, &GenerationSummary, &PreparedTask)> = loaded
        .generations
        .iter()
        .filter(|(_, g)| g.status == Status::Ok && models.contains(&g.model))
        .filter_map(|(path, g)| Some((path.as_path(), g, *by_id.get(g.task.as_str())?)))
        .collect();
    crate::parallel::map(&work, crate::parallel::cores(), |(path, g, task)| {
        let key = metrics::cache_key(task.task.words, slop);
        let scores = match &g.programmatic {
            Some(c) if c.key == key && !c.trajectory.is_empty() => c.trajectory.clone(),
            // Computed under other constants: score the final output again (the drafts
            // are not loaded).
            _ => vec![metrics::programmatic(&g.output, task.task.words, slop).total],
        };
        (*path, scores)
    })
    .into_iter()
    .collect()
}

/// The first round (1-based) whose gain is under a quarter of the first round's gain.
fn diminishing_from(gains: &[f64]) -> Option<usize> {
    let first = *gains.first()?;
    if first <= 0.0 {
        return Some(1);
    }
    gains.iter().position(|g| *g < first / 4.0).map(|i| i + 1)
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Task types in leaderboard order.
pub fn type_label(t: &str) -> &str {
    TaskType::parse(t).map_or(t, |ty| match ty {
        TaskType::BeatInterpolation => "interp",
        TaskType::BeatRevision => "revise",
        TaskType::ConstrainedContinuation => "constr",
        TaskType::TheoryConversion => "convert",
        TaskType::MultiBeatSynthesis => "multi",
        TaskType::Sequence => "seq",
        TaskType::AgenticConstraintDiscovery => "discover",
        TaskType::AgenticPlanningExecution => "plan",
        TaskType::AgenticIterativeRevision => "iterate",
        TaskType::CritiqueImprovement => "critique",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_diminish_when_gains_fall_under_a_quarter() {
        assert_eq!(diminishing_from(&[0.2, 0.1, 0.04]), Some(3));
        assert_eq!(diminishing_from(&[0.2, 0.1, 0.06]), None);
        assert_eq!(diminishing_from(&[-0.1, 0.3]), Some(1));
        assert_eq!(diminishing_from(&[]), None);
    }
}
