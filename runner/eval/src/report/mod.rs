//! The HTML report's data model (`fabula report`): everything the page shows, computed
//! from the leaderboard and its scored items, with no IO and no HTML. The CLI renders it.
//!
//! - [`Overview`]: one summary per model (the board's score, interval, rank, coverage,
//!   plus cost, tokens and latency per item), the model × task-type heatmap, a radar per
//!   model over the judge criteria, score against cost and against latency with the
//!   Pareto frontier and the recommended configuration ([`tradeoff`]), judge agreement
//!   as a matrix, per-round improvement curves of the revision types, and the index of
//!   every item for the drill-down table.
//! - [`detail::TaskDetail`]: one task drilled down, built from the whole generation
//!   records (transcripts included) that the caller reads.
//!
//! Every number here is one the leaderboard computes, or a plain mean or median of the
//! items' own numbers; nothing is scored a second way.

pub mod detail;
pub mod evidence;
pub mod tradeoff;

use crate::leaderboard::{Board, Coverage, Estimate, Item, type_label};
use crate::scoring::{ItemScore, Standing};
use crate::stats;
use fabula_core::kind;
use fabula_core::model::{Status, TaskType};
use serde::Serialize;
use std::collections::BTreeMap;
use tradeoff::{Candidate, Recommendation, Tradeoff};

/// The overview part of the page.
#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    /// In the board's order (best first).
    pub models: Vec<ModelSummary>,
    /// The task types with ranked items, in [`TaskType::ALL`] order.
    pub task_types: Vec<TypeInfo>,
    pub heatmap: Vec<HeatRow>,
    pub radar: Radar,
    /// Score against generation cost per item.
    pub cost: Tradeoff,
    /// Score against the median latency of a generation.
    pub latency: Tradeoff,
    pub recommendation: Option<Recommendation>,
    pub agreement: AgreementMatrix,
    /// People's rankings against the judges, when any ranking counts.
    pub human: Option<crate::agreement::Agreement>,
    /// One chart per revision type that has trajectories.
    pub improvement: Vec<ImprovementChart>,
    /// Every item of every model, for the drill-down table.
    pub items: Vec<ItemRow>,
    /// Items per model, and those every ranked model completed (what ranks are over).
    pub items_per_model: usize,
    pub common_items: usize,
    pub allow_partial: bool,
    pub stale_generations: usize,
    pub stale_evaluations: usize,
    /// Some model is the offline simulator (its numbers mean nothing about real models).
    pub simulated: bool,
}

/// One model's line of the page.
#[derive(Clone, Debug, Serialize)]
pub struct ModelSummary {
    pub model: String,
    pub simulated: bool,
    pub judged_by_simulator: bool,
    pub rank: Option<usize>,
    /// Another model shares the rank (their intervals overlap).
    pub tied: bool,
    pub score: Option<Estimate>,
    pub pass_rate: Option<f64>,
    pub coverage: Coverage,
    /// Generations with today's fingerprint (ok or failed): what costs are averaged over.
    pub generations: usize,
    /// Generation cost per generation, USD (writer, and oracle or critic where the task
    /// has one); `None` when no generation reported or priced a cost.
    pub cost_per_item: Option<f64>,
    /// Total generation and judging cost, USD.
    pub cost_usd: f64,
    pub judge_cost_usd: f64,
    /// Prompt + completion tokens per generation (all roles but the judges).
    pub tokens_per_item: Option<f64>,
    /// Median latency of a successful generation, seconds.
    pub latency_s: Option<f64>,
    pub discovery_efficiency: Option<f64>,
    /// Revision types: programmatic gain from first draft to final, 0..=100.
    pub improvement: Option<f64>,
    pub diminishing_from_round: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TypeInfo {
    pub id: String,
    pub label: String,
}

/// One model's row of the heatmap: a cell per [`Overview::task_types`] entry.
#[derive(Clone, Debug, Serialize)]
pub struct HeatRow {
    pub model: String,
    pub cells: Vec<Option<Estimate>>,
}

/// The judge criteria as radar axes, and each model's value on each.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Radar {
    pub axes: Vec<String>,
    pub models: Vec<RadarSeries>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RadarSeries {
    pub model: String,
    /// Per axis, 0..=1: the mean over the model's scored items of the judges' median on
    /// that criterion. `None` where no scored item has the criterion.
    pub values: Vec<Option<f64>>,
}

/// Judge agreement: Krippendorff's alpha, the mean Kendall's tau-b, and tau-b for each
/// pair of judges as a symmetric matrix (the diagonal is empty).
#[derive(Clone, Debug, Default, Serialize)]
pub struct AgreementMatrix {
    pub judges: Vec<String>,
    pub alpha: Option<f64>,
    pub kendall_tau: Option<f64>,
    pub tau: Vec<Vec<Option<f64>>>,
}

/// Per-round improvement of one revision type: the mean programmatic score of each
/// version (first draft … final) per model. Judges score only the final version, so the
/// curve is the programmatic part.
#[derive(Clone, Debug, Serialize)]
pub struct ImprovementChart {
    pub task_type: String,
    pub label: String,
    pub series: Vec<Curve>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    pub model: String,
    /// Per version (index 0 = first draft), 0..=100, with the items it is over.
    pub points: Vec<(f64, usize)>,
}

/// One item (task × model × sample) in the drill-down table.
#[derive(Clone, Debug, Serialize)]
pub struct ItemRow {
    pub task: String,
    pub task_type: String,
    pub type_label: String,
    pub theory: String,
    pub model: String,
    pub sample: u32,
    /// `scored`, `model_failed`, `unjudgeable` or `incomplete`.
    pub standing: &'static str,
    /// The standing in words (`model failed (length)`, `incomplete: not judged`).
    pub status: String,
    /// 0..=100; none while incomplete.
    pub final_score: Option<f64>,
    pub pass: Option<bool>,
}

/// The overview of `board`, whose items are `items` (per model, in the board's model
/// order as passed to [`crate::leaderboard::compute_with_items`]).
pub fn overview(board: &Board, models: &[String], items: &[Vec<Item<'_>>]) -> Overview {
    let by_model: BTreeMap<&str, &[Item<'_>]> = models
        .iter()
        .map(String::as_str)
        .zip(items.iter().map(Vec::as_slice))
        .collect();
    let of = |m: &str| by_model.get(m).copied().unwrap_or_default();
    let summaries: Vec<ModelSummary> = board
        .rows
        .iter()
        .map(|r| {
            let mine = of(&r.model);
            let generated: Vec<_> = mine.iter().filter_map(|i| i.generation).collect();
            let costs: Vec<f64> = generated.iter().filter_map(|g| g.cost_usd).collect();
            let tokens: Vec<f64> = generated
                .iter()
                .map(|g| (g.usage.prompt_tokens + g.usage.completion_tokens) as f64)
                .collect();
            let latencies: Vec<f64> = generated
                .iter()
                .filter(|g| g.status == Status::Ok)
                .map(|g| g.latency_ms as f64 / 1000.0)
                .collect();
            ModelSummary {
                model: r.model.clone(),
                simulated: r.simulated,
                judged_by_simulator: r.judged_by_simulator,
                rank: r.rank,
                tied: r.rank.is_some()
                    && board.rows.iter().filter(|o| o.rank == r.rank).count() > 1,
                score: r.score,
                pass_rate: r.pass_rate,
                coverage: r.coverage.clone(),
                generations: generated.len(),
                cost_per_item: (!costs.is_empty())
                    .then(|| costs.iter().sum::<f64>() / generated.len() as f64),
                cost_usd: r.cost_usd,
                judge_cost_usd: r.judge_cost_usd,
                tokens_per_item: stats::mean(&tokens),
                latency_s: fabula_core::score::median(&latencies),
                discovery_efficiency: r.discovery_efficiency,
                improvement: r.improvement.map(|v| v * 100.0),
                diminishing_from_round: r.diminishing_from_round,
            }
        })
        .collect();
    let task_types: Vec<TypeInfo> = board
        .task_types
        .iter()
        .map(|t| TypeInfo {
            id: t.clone(),
            label: type_label(t).to_string(),
        })
        .collect();
    let heatmap = board
        .rows
        .iter()
        .map(|r| HeatRow {
            model: r.model.clone(),
            cells: task_types
                .iter()
                .map(|t| r.by_type.get(&t.id).copied())
                .collect(),
        })
        .collect();
    let candidates: Vec<Candidate> = summaries
        .iter()
        .filter_map(|s| {
            Some(Candidate {
                model: s.model.clone(),
                score: s.score?,
                cost: s.cost_per_item,
                latency: s.latency_s,
            })
        })
        .collect();
    let order: Vec<&str> = board.rows.iter().map(|r| r.model.as_str()).collect();
    Overview {
        radar: radar(&order, &of),
        cost: tradeoff::tradeoff(&candidates, |c| c.cost),
        latency: tradeoff::tradeoff(&candidates, |c| c.latency),
        recommendation: tradeoff::recommend(&candidates),
        agreement: agreement(board),
        human: board.human.clone(),
        improvement: improvement(&order, &of),
        items: order
            .iter()
            .flat_map(|m| of(m).iter().map(move |i| item_row(m, i)))
            .collect(),
        simulated: summaries.iter().any(|s| s.simulated),
        models: summaries,
        task_types,
        heatmap,
        items_per_model: board.items,
        common_items: board.common_items,
        allow_partial: board.allow_partial,
        stale_generations: board.stale_generations,
        stale_evaluations: board.stale_evaluations,
    }
}

/// `scored`, `model_failed`, `unjudgeable` or `incomplete`, and the standing in words.
pub fn standing(score: &ItemScore) -> (&'static str, String) {
    match score.standing {
        Standing::Scored => ("scored", "scored".into()),
        Standing::ModelFailed(k) => ("model_failed", format!("model failed ({})", k.as_str())),
        Standing::Unjudgeable => ("unjudgeable", "unjudgeable (no judge answer parsed)".into()),
        Standing::Incomplete(gap) => ("incomplete", format!("incomplete: {}", gap.describe())),
    }
}

fn item_row(model: &str, i: &Item<'_>) -> ItemRow {
    let t = i.task.task.task_type();
    let (standing, status) = standing(&i.score);
    ItemRow {
        task: i.task.id().to_string(),
        task_type: t.as_str().to_string(),
        type_label: kind::of(t).label().to_string(),
        theory: i.task.task.theory.clone(),
        model: model.to_string(),
        sample: i.sample,
        standing,
        status,
        final_score: i.score.final_score,
        pass: i.score.pass,
    }
}

/// Axes: every criterion some scored item has, in task-type order then rubric order (a
/// criterion id means the same thing in every type that asks it).
fn radar<'a>(order: &[&str], of: &impl Fn(&str) -> &'a [Item<'a>]) -> Radar {
    let mut by_type: BTreeMap<TaskType, Vec<String>> = BTreeMap::new();
    let mut sums: BTreeMap<(&str, String), Vec<f64>> = BTreeMap::new();
    for m in order {
        for i in of(m) {
            let Some(agg) = &i.score.aggregate else {
                continue;
            };
            let ids = by_type.entry(i.task.task.task_type()).or_default();
            for c in &agg.criteria {
                if !ids.contains(&c.id) {
                    ids.push(c.id.clone());
                }
                if let Some(v) = c.score {
                    sums.entry((m, c.id.clone())).or_default().push(v);
                }
            }
        }
    }
    let mut axes: Vec<String> = Vec::new();
    for t in TaskType::ALL {
        for id in by_type.get(&t).into_iter().flatten() {
            if !axes.contains(id) {
                axes.push(id.clone());
            }
        }
    }
    let models = order
        .iter()
        .map(|m| RadarSeries {
            model: m.to_string(),
            values: axes
                .iter()
                .map(|a| sums.get(&(*m, a.clone())).and_then(|v| stats::mean(v)))
                .collect(),
        })
        .collect();
    Radar { axes, models }
}

fn agreement(board: &Board) -> AgreementMatrix {
    let a = &board.agreement;
    let at = |j: &str| a.judges.iter().position(|x| x == j);
    let n = a.judges.len();
    let mut tau = vec![vec![None; n]; n];
    for (x, y, t) in &a.pairs {
        if let (Some(i), Some(j)) = (at(x), at(y)) {
            tau[i][j] = *t;
            tau[j][i] = *t;
        }
    }
    AgreementMatrix {
        judges: a.judges.clone(),
        alpha: a.alpha,
        kendall_tau: a.kendall_tau,
        tau,
    }
}

fn improvement<'a>(order: &[&str], of: &impl Fn(&str) -> &'a [Item<'a>]) -> Vec<ImprovementChart> {
    TaskType::ALL
        .iter()
        .filter(|t| kind::of(**t).scores_drafts())
        .filter_map(|t| {
            let series: Vec<Curve> = order
                .iter()
                .filter_map(|m| {
                    let trajectories: Vec<&[f64]> = of(m)
                        .iter()
                        .filter(|i| i.task.task.task_type() == *t)
                        .filter(|i| i.score.standing == Standing::Scored)
                        .map(|i| i.score.trajectory.as_slice())
                        .filter(|tr| tr.len() > 1)
                        .collect();
                    let versions = trajectories.iter().map(|tr| tr.len()).max()?;
                    let points = (0..versions)
                        .filter_map(|v| {
                            let at: Vec<f64> = trajectories
                                .iter()
                                .filter_map(|tr| tr.get(v))
                                .copied()
                                .collect();
                            Some((stats::mean(&at)? * 100.0, at.len()))
                        })
                        .collect();
                    Some(Curve {
                        model: m.to_string(),
                        points,
                    })
                })
                .collect();
            (!series.is_empty()).then(|| ImprovementChart {
                task_type: t.as_str().to_string(),
                label: kind::of(*t).label().to_string(),
                series,
            })
        })
        .collect()
}
