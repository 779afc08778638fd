//! The leaderboard: per model, its score with a 95% confidence interval and a rank that
//! treats overlapping intervals as ties, per task type, pass rate, coverage, cost and
//! tokens per role, process metrics of the agentic types, and how much the judges agree.
//!
//! An *item* is one task sample (task × sample index). The item set of a model is every
//! current task × sample `0..S`, where S is the configured sample count, or more when
//! the store holds more. Each item is scored by [`crate::scoring::score`] (stale records,
//! whose fingerprint is not today's, are counted and left out).
//!
//! Coverage is explicit: a model's row says how many of its items are complete (scored,
//! failed by the model, or unjudgeable) and why the others are incomplete. Models are
//! ranked on the *common items*, those complete for every model with any complete item,
//! so no model is ranked on an easier set; `allow_partial` ranks each model on its own
//! complete items instead, and the board says so.
//!
//! Scores are on 0..=100: a model's score is the mean over tasks of the mean over that
//! task's ranked samples ([`crate::stats`]), with a bootstrap interval.

use crate::fingerprint::Current;
use crate::prepared::PreparedTask;
use crate::records::{Index, Records};
use crate::scoring::{self, Gap, ItemScore, Standing};
use crate::stats;
use fabula_core::judge;
use fabula_core::kind;
use fabula_core::model::{EvaluationRecord, GenerationSummary, Status, TaskType, Usage};
use fabula_core::score;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

/// What to compute.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Rank each model on its own complete items instead of the common ones.
    pub allow_partial: bool,
    /// Bootstrap resamples (default [`stats::RESAMPLES`]).
    pub resamples: Option<usize>,
}

/// A score with its 95% interval, 0..=100.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub score: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Items the estimate is over.
    pub items: usize,
}

/// How much of a model's item set is complete.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Coverage {
    /// Items the model should have (tasks × samples).
    pub items: usize,
    /// Complete: scored, failed by the model, or unjudgeable.
    pub complete: usize,
    pub scored: usize,
    pub model_failures: usize,
    pub unjudgeable: usize,
    /// Incomplete items by why (`not generated`, `generation failed (provider)`, …).
    pub incomplete: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Row {
    pub model: String,
    /// The writer is the offline simulator.
    pub simulated: bool,
    /// Some counted evaluation comes from a simulated judge while the writer is real.
    pub judged_by_simulator: bool,
    /// 1-based; models whose intervals overlap share a rank. None when unranked.
    pub rank: Option<usize>,
    /// The ranked score, over the ranked items.
    pub score: Option<Estimate>,
    pub by_type: BTreeMap<String, Estimate>,
    /// Share of ranked items that pass (model failures and unjudgeable items fail).
    pub pass_rate: Option<f64>,
    pub coverage: Coverage,
    /// Generation records with today's fingerprint that failed, and evaluations.
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
    /// (mean, 0..=1), and the mean per-round gains.
    pub improvement: Option<f64>,
    pub gain_per_round: Vec<f64>,
    /// The first round whose mean gain is under a quarter of the first round's: where
    /// returns diminish (1-based; none while every round still pays).
    pub diminishing_from_round: Option<usize>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Agreement {
    pub judges: Vec<String>,
    /// Krippendorff's alpha (interval) over every (item, criterion item) the judges
    /// scored.
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
    /// Evaluations with today's fingerprint whose judged text is not the generation's
    /// (another run wrote the generation again): not counted, judged again by a run.
    pub mismatched_evaluations: usize,
    pub task_types: Vec<String>,
    /// Items per model (tasks × samples).
    pub items: usize,
    /// Items every ranked model completed (what ranks are over), unless partial.
    pub common_items: usize,
    pub allow_partial: bool,
    /// People's rankings against the judges (what `fabula agreement` prints), when any
    /// ranking counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub human: Option<crate::agreement::Agreement>,
}

/// One scored item of one model: what the board's numbers are made of.
pub struct Item<'a> {
    pub task: &'a PreparedTask,
    pub sample: u32,
    pub score: ItemScore,
    pub generation: Option<&'a GenerationSummary>,
    /// The file `generation` was read from (the whole record, transcript included).
    pub path: Option<&'a Path>,
    /// The evaluations that count.
    pub evaluations: Vec<&'a EvaluationRecord>,
}

/// Computes the leaderboard of `models` judged by `judges`.
pub fn compute(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    models: &[String],
    judges: &[String],
    options: &Options,
) -> Board {
    compute_with_items(current, tasks, records, models, judges, options).0
}

/// The leaderboard and every model's scored items (in `models` order), for views that
/// show what is behind the numbers (the HTML report).
pub fn compute_with_items<'a>(
    current: &Current<'_>,
    tasks: &'a [Arc<PreparedTask>],
    records: &'a Records,
    models: &[String],
    judges: &[String],
    options: &Options,
) -> (Board, Vec<Vec<Item<'a>>>) {
    let index = Index::new(records);
    current.warm(tasks);
    let resamples = options.resamples.unwrap_or(stats::RESAMPLES);
    let samples = sample_count(current, tasks, records, models);
    // Every model's items, scored (in parallel over models).
    let per_model: Vec<Vec<Item<'_>>> = models
        .par_iter()
        .map(|m| items_of(current, tasks, &index, m, judges, samples))
        .collect();
    // The common items: complete for every model that completed any.
    let mut common: Option<BTreeSet<(&str, u32)>> = None;
    for items in &per_model {
        let complete: BTreeSet<(&str, u32)> = items
            .iter()
            .filter(|i| i.score.standing.complete())
            .map(|i| (i.task.id(), i.sample))
            .collect();
        if complete.is_empty() {
            continue;
        }
        common = Some(match common {
            None => complete,
            Some(c) => c.intersection(&complete).copied().collect(),
        });
    }
    let common = common.unwrap_or_default();
    let mut board = Board {
        items: tasks.len() * samples as usize,
        common_items: common.len(),
        allow_partial: options.allow_partial,
        ..Board::default()
    };
    let mut types = BTreeSet::new();
    let mut counted_generations = 0usize;
    let mut counted_evaluations = 0usize;
    let mut rows: Vec<Row> = Vec::new();
    // The estimates (a bootstrap each: most of the work), in parallel over models and types.
    fn ranked_of<'i, 'b>(
        items: &'i [Item<'b>],
        allow_partial: bool,
        common: &BTreeSet<(&str, u32)>,
    ) -> Vec<&'i Item<'b>> {
        items
            .iter()
            .filter(|i| i.score.standing.complete())
            .filter(|i| allow_partial || common.contains(&(i.task.id(), i.sample)))
            .collect()
    }
    type Estimates = (Option<Estimate>, BTreeMap<TaskType, Option<Estimate>>);
    let estimates: Vec<Estimates> = per_model
        .par_iter()
        .map(|items| {
            let ranked = ranked_of(items, options.allow_partial, &common);
            let mut by_type: BTreeMap<TaskType, Vec<&Item<'_>>> = BTreeMap::new();
            for i in &ranked {
                by_type.entry(i.task.task.task_type()).or_default().push(i);
            }
            let by_type: Vec<(TaskType, Vec<&Item<'_>>)> = by_type.into_iter().collect();
            let by_type = by_type
                .par_iter()
                .map(|(t, list)| (*t, estimate(list, resamples)))
                .collect();
            (estimate(&ranked, resamples), by_type)
        })
        .collect();
    for ((model, items), (score, by_type)) in models.iter().zip(&per_model).zip(estimates) {
        let mut row = Row {
            model: model.clone(),
            ..Row::default()
        };
        let ranked = ranked_of(items, options.allow_partial, &common);
        row.score = score;
        for (t, e) in by_type {
            types.insert(t);
            if let Some(e) = e {
                row.by_type.insert(t.as_str().to_string(), e);
            }
        }
        let passes: Vec<bool> = ranked.iter().filter_map(|i| i.score.pass).collect();
        row.pass_rate = (!passes.is_empty())
            .then(|| passes.iter().filter(|p| **p).count() as f64 / passes.len() as f64);
        row.coverage = coverage(items);
        let mut efficiency = Vec::new();
        let mut improvement = Vec::new();
        let mut gains: Vec<Vec<f64>> = Vec::new();
        for i in items {
            let Some(g) = i.generation else { continue };
            counted_generations += 1;
            counted_evaluations += i.evaluations.len();
            row.simulated |= g.simulated;
            row.cost_usd += g.cost_usd.unwrap_or(0.0);
            for (role, u) in &g.usage_by_role {
                *row.tokens.entry(role.clone()).or_default() += total(*u);
            }
            if g.status != Status::Ok {
                row.failed_generations += 1;
                continue;
            }
            for e in &i.evaluations {
                row.judge_cost_usd += e.cost_usd.unwrap_or(0.0);
                *row.tokens.entry("judges".into()).or_default() += total(e.usage);
                if e.status != Status::Ok {
                    row.failed_evaluations += 1;
                } else if e.simulated && !g.simulated {
                    row.judged_by_simulator = true;
                }
            }
            let k = kind::of(g.task_type);
            if let Some(eff) = k.discovery_efficiency(g) {
                efficiency.push(eff);
            }
            let t = &i.score.trajectory;
            if k.scores_drafts() && t.len() > 1 {
                improvement.push(t[t.len() - 1] - t[0]);
                gains.push(t.windows(2).map(|w| w[1] - w[0]).collect());
            }
        }
        row.discovery_efficiency = stats::mean(&efficiency);
        row.improvement = stats::mean(&improvement);
        let rounds = gains.iter().map(Vec::len).max().unwrap_or(0);
        row.gain_per_round = (0..rounds)
            .filter_map(|r| {
                stats::mean(
                    &gains
                        .iter()
                        .filter_map(|g| g.get(r).copied())
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        row.diminishing_from_round = diminishing_from(&row.gain_per_round);
        rows.push(row);
    }
    let intervals: Vec<Option<(f64, f64)>> = rows
        .iter()
        .map(|r| r.score.map(|e| (e.ci_low, e.ci_high)))
        .collect();
    for (row, rank) in rows.iter_mut().zip(stats::ranks(&intervals)) {
        row.rank = rank;
    }
    rows.sort_by(|a, b| {
        let s = |r: &Row| r.score.map_or(-1.0, |e| e.score);
        s(b).total_cmp(&s(a)).then(a.model.cmp(&b.model))
    });
    board.rows = rows;
    board.agreement = agreement(&per_model, judges);
    if !records.rankings.is_empty() {
        let human = crate::agreement::agreement(
            current,
            tasks,
            records,
            judges,
            &crate::agreement::Options::default(),
        );
        board.human = (human.counted > 0).then_some(human);
    }
    board.task_types = TaskType::ALL
        .iter()
        .filter(|t| types.contains(t))
        .map(|t| t.as_str().to_string())
        .collect();
    board.stale_generations = records
        .generations
        .iter()
        .filter(|(_, g)| models.contains(&g.model))
        .count()
        .saturating_sub(counted_generations);
    let (stale, mismatched) = uncounted_evaluations(current, tasks, records, models, judges);
    board.stale_evaluations = stale;
    board.mismatched_evaluations = mismatched;
    let _ = counted_evaluations;
    (board, per_model)
}

/// S: the configured samples, or more when the store holds more for these models.
pub(crate) fn sample_count(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    models: &[String],
) -> u32 {
    let ids: BTreeSet<&str> = tasks.iter().map(|t| t.id()).collect();
    let stored = records
        .generations
        .iter()
        .filter(|(_, g)| models.contains(&g.model) && ids.contains(g.task.as_str()))
        .map(|(_, g)| g.sample + 1)
        .max()
        .unwrap_or(0);
    current
        .config
        .settings
        .samples
        .unwrap_or(1)
        .max(1)
        .max(stored)
}

pub(crate) fn items_of<'a>(
    current: &Current<'_>,
    tasks: &'a [Arc<PreparedTask>],
    index: &Index<'a>,
    model: &str,
    judges: &[String],
    samples: u32,
) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    for task in tasks {
        let Some(gfp) = current.generation(task, model) else {
            continue;
        };
        let efps: HashMap<&str, String> = judges
            .iter()
            .filter_map(|j| Some((j.as_str(), current.evaluation(task, &gfp, j)?)))
            .collect();
        let rubric = judge::rubric(task.input(current.slop));
        for sample in 0..samples {
            let Some((path, g)) = index.generation(model, task.id(), sample, &gfp) else {
                out.push(Item {
                    task,
                    sample,
                    score: ItemScore::incomplete(Gap::NotGenerated),
                    generation: None,
                    path: None,
                    evaluations: Vec::new(),
                });
                continue;
            };
            let evaluations = index.evaluations(g, |j, fp| efps.get(j).is_some_and(|t| t == fp));
            let score = scoring::score(task, current.slop, &rubric, g, &evaluations, judges);
            out.push(Item {
                task,
                sample,
                score,
                generation: Some(g),
                path: Some(path),
                evaluations,
            });
        }
    }
    out
}

/// The score and interval of complete items, grouped by task.
fn estimate(items: &[&Item<'_>], resamples: usize) -> Option<Estimate> {
    let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in items {
        if let Some(s) = i.score.final_score {
            groups.entry(i.task.id()).or_default().push(s);
        }
    }
    let groups: Vec<Vec<f64>> = groups.into_values().collect();
    let score = stats::mean_of_groups(&groups)?;
    let (ci_low, ci_high) = stats::bootstrap_ci(&groups, resamples, stats::SEED)?;
    Some(Estimate {
        score,
        ci_low,
        ci_high,
        items: groups.iter().map(Vec::len).sum(),
    })
}

fn coverage(items: &[Item<'_>]) -> Coverage {
    let mut c = Coverage {
        items: items.len(),
        ..Coverage::default()
    };
    for i in items {
        match i.score.standing {
            Standing::Scored => c.scored += 1,
            Standing::ModelFailed(_) => c.model_failures += 1,
            Standing::Unjudgeable => c.unjudgeable += 1,
            Standing::Incomplete(gap) => *c.incomplete.entry(gap.describe()).or_default() += 1,
        }
    }
    c.complete = c.scored + c.model_failures + c.unjudgeable;
    c
}

/// Judge agreement over every item some judges scored usably.
fn agreement(per_model: &[Vec<Item<'_>>], judges: &[String]) -> Agreement {
    let mut judge_scores: BTreeMap<&str, Vec<Option<f64>>> =
        judges.iter().map(|j| (j.as_str(), Vec::new())).collect();
    let mut units: Vec<Vec<f64>> = Vec::new();
    // One rubric per task (rendering one is not free), not one per item.
    let mut rubrics: HashMap<&str, judge::Rubric> = HashMap::new();
    for item in per_model.iter().flatten() {
        if item.score.aggregate.is_none() {
            continue;
        }
        let rubric = rubrics
            .entry(item.task.id())
            .or_insert_with(|| judge::rubric(item.task.input(&[])));
        let ok: Vec<&EvaluationRecord> = item
            .evaluations
            .iter()
            .copied()
            .filter(|e| e.status == Status::Ok)
            .collect();
        for (j, list) in judge_scores.iter_mut() {
            let own: Vec<&EvaluationRecord> =
                ok.iter().copied().filter(|e| e.judge == *j).collect();
            list.push(score::aggregate(rubric, &own).judge);
        }
        for entry in &rubric.entries {
            let answers: Vec<_> = ok
                .iter()
                .filter_map(|e| e.criteria.iter().find(|c| c.criterion == entry.id()))
                .collect();
            if entry.items.is_empty() {
                let values: Vec<f64> = answers.iter().map(|c| c.score).collect();
                if values.len() >= 2 {
                    units.push(values);
                }
                continue;
            }
            for n in 1..=entry.items.len() as u32 {
                let values: Vec<f64> = answers
                    .iter()
                    .filter_map(|c| c.items.iter().find(|i| i.item == n))
                    .map(|i| i.score)
                    .collect();
                if values.len() >= 2 {
                    units.push(values);
                }
            }
        }
    }
    let names: Vec<&str> = judge_scores.keys().copied().collect();
    let mut pairs = Vec::new();
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let tau = score::kendall_tau_b(&judge_scores[names[i]], &judge_scores[names[j]]);
            pairs.push((names[i].to_string(), names[j].to_string(), tau));
        }
    }
    let taus: Vec<f64> = pairs.iter().filter_map(|p| p.2).collect();
    Agreement {
        judges: judges.to_vec(),
        alpha: score::krippendorff_alpha_interval(&units),
        kendall_tau: stats::mean(&taus),
        pairs,
    }
}

/// Evaluations of these models and judges that do not count: stale (not today's
/// fingerprint) and mismatched (today's fingerprint, another text).
fn uncounted_evaluations(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    models: &[String],
    judges: &[String],
) -> (usize, usize) {
    let by_id: HashMap<&str, &PreparedTask> = tasks.iter().map(|t| (t.id(), t.as_ref())).collect();
    let views: HashMap<(&str, &str, u32, &str), Option<&str>> = records
        .generations
        .iter()
        .map(|(_, g)| {
            (
                (
                    g.model.as_str(),
                    g.task.as_str(),
                    g.sample,
                    g.fingerprint.as_str(),
                ),
                g.view_sha.as_deref(),
            )
        })
        .collect();
    let mut today: HashMap<(&str, &str, &str), Option<String>> = HashMap::new();
    let (mut stale, mut mismatched) = (0, 0);
    for (_, e) in &records.evaluations {
        if !models.contains(&e.model) || !judges.contains(&e.judge) || e.round.is_some() {
            continue;
        }
        let Some(task) = by_id.get(e.task.as_str()) else {
            stale += 1;
            continue;
        };
        let gfp_today = today
            .entry((e.task.as_str(), e.model.as_str(), ""))
            .or_insert_with(|| current.generation(task, &e.model))
            .clone();
        if gfp_today.as_deref() != Some(e.generation_fingerprint.as_str()) {
            stale += 1;
            continue;
        }
        let efp = today
            .entry((e.task.as_str(), e.model.as_str(), e.judge.as_str()))
            .or_insert_with(|| current.evaluation(task, &e.generation_fingerprint, &e.judge))
            .clone();
        if efp.as_deref() != Some(e.fingerprint.as_str()) {
            stale += 1;
            continue;
        }
        let view = views
            .get(&(
                e.model.as_str(),
                e.task.as_str(),
                e.sample,
                e.generation_fingerprint.as_str(),
            ))
            .copied()
            .flatten();
        if view != Some(e.generation_sha.as_str()) {
            mismatched += 1;
        }
    }
    (stale, mismatched)
}

fn total(u: Usage) -> u64 {
    u.prompt_tokens + u.completion_tokens
}

/// The first round (1-based) whose gain is under a quarter of the first round's gain.
pub fn diminishing_from(gains: &[f64]) -> Option<usize> {
    let first = *gains.first()?;
    if first <= 0.0 {
        return Some(1);
    }
    gains.iter().position(|g| *g < first / 4.0).map(|i| i + 1)
}

/// A task type's short column label.
pub fn type_label(t: &str) -> &str {
    TaskType::parse(t).map_or(t, |ty| kind::of(ty).label())
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
