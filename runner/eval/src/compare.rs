//! Is B better than A? A paired comparison of two sides' item scores: the same task and
//! sample index scored for A and for B, by [`crate::scoring::score`] like the
//! leaderboard.
//!
//! A side is a model config and the records it is read from, picked one of three ways
//! ([`Pick`]): today's records (what the leaderboard counts), the records a store holds
//! whatever their fingerprints (another store: the state before a change), or the
//! records today's fingerprints replaced in this store (stale ones: the natural
//! "before" after editing a prompt, a task or a config).
//!
//! - A *pair* is an item (task × sample) complete on both sides. An item incomplete on
//!   either side (not generated, judges failed, …) is no pair: it is counted by why.
//! - The difference of a pair is B − A on the 0..=100 score. The mean difference is
//!   [`stats::mean_of_groups`] of the differences (every task weighs the same, as in the
//!   leaderboard), its 95% interval [`stats::bootstrap_ci`] of the differences (the
//!   paired bootstrap: pairs are resampled together, tasks then samples), its p-value the
//!   paired sign-flip permutation test [`stats::sign_flip`]. Wins, ties and losses are
//!   counted from B's side (a tie: equal scores).
//! - The same per task type (p-values adjusted by [`stats::holm`] across the types) and
//!   per criterion of each type (on the judges' median criterion scores ×100; pairs where
//!   both sides have one; Holm across all criterion rows).
//! - The items that moved most, with a one-line reason: a model failure, or the part of
//!   the score that moved most (a criterion, with a judge's reason and evidence from the
//!   lower side, or the programmatic part).
//!
//! The regression gate ([`Comparison::regression`]): B is worse than A by more than a
//! margin when the permutation test is significant (p < [`ALPHA`]) *and* the whole 95%
//! interval of B − A lies below −margin.

use crate::fingerprint::Current;
use crate::leaderboard::{self, Item};
use crate::prepared::PreparedTask;
use crate::records::{Index, Records};
use crate::scoring::{self, Gap, Standing};
use crate::stats::{self, PValue};
use fabula_core::judge;
use fabula_core::metrics;
use fabula_core::model::{EvaluationRecord, GenerationSummary, Status, TaskType};
use fabula_core::text::excerpt;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The significance level of the gate and of the "significant" marks.
pub const ALPHA: f64 = 0.05;
/// Items listed as having moved most, by default.
pub const MOVED: usize = 5;

/// Which records of a store make a side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    /// Today's fingerprints only, as the leaderboard counts.
    Today,
    /// Whatever the store holds: per item the newest generation and, per judge, the
    /// newest evaluation of its exact text (another store, made before a change).
    Recorded,
    /// What today's records replaced: per item the newest stale generation with its
    /// newest evaluations; or, when the generation is today's but some judge's
    /// evaluations are stale (the judging changed), today's generation with each judge's
    /// newest stale evaluation (today's for judges whose judging did not change).
    Replaced,
}

/// One side of a comparison.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// The model config whose items are scored.
    pub model: &'a str,
    pub records: &'a Records,
    pub pick: Pick,
}

/// What to compute.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Bootstrap resamples (default [`stats::RESAMPLES`]).
    pub resamples: Option<usize>,
    /// Items listed as having moved most (default [`MOVED`]).
    pub moved: Option<usize>,
    /// Leave out the per-criterion rows (`by_criterion` empty): they hold most of the
    /// work (a bootstrap and a permutation test per criterion of every type), and the
    /// report's Compare section does not show them.
    pub skip_criteria: bool,
}

/// A paired difference B − A over some pairs, on 0..=100.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diff {
    pub pairs: usize,
    /// A's and B's scores over these pairs (mean over tasks of the mean over samples).
    pub a: f64,
    pub b: f64,
    /// B − A, with its paired-bootstrap 95% interval.
    pub diff: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided paired permutation test of no difference.
    pub p: PValue,
    /// Holm-adjusted across the rows of its family (types, or criteria); none for the
    /// overall row.
    pub p_holm: Option<f64>,
    /// Pairs where B scored higher, the same, lower.
    pub wins: usize,
    pub ties: usize,
    pub losses: usize,
}

impl Diff {
    /// Significant at [`ALPHA`] (after Holm where adjusted).
    pub fn significant(&self) -> bool {
        self.p_holm.unwrap_or(self.p.p) < ALPHA
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeDiff {
    pub task_type: String,
    pub diff: Diff,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionDiff {
    pub task_type: String,
    pub criterion: String,
    pub diff: Diff,
}

/// One pair, as the "moved most" list shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Moved {
    pub task: String,
    pub task_type: String,
    pub sample: u32,
    pub a: f64,
    pub b: f64,
    pub diff: f64,
    /// One line: what moved, with a judge's reason and evidence where there is one.
    pub reason: String,
}

/// The comparison of B with A.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub a_pick: Pick,
    pub b_pick: Pick,
    pub judges: Vec<String>,
    /// Items of each side: tasks × samples.
    pub items: usize,
    pub pairs: usize,
    /// Items that are no pair, by why (`A: not generated`, `B: judges failed`, …).
    pub missing: BTreeMap<String, usize>,
    /// None without pairs.
    pub overall: Option<Diff>,
    pub by_type: Vec<TypeDiff>,
    pub by_criterion: Vec<CriterionDiff>,
    pub moved: Vec<Moved>,
}

/// What the gate found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Regression {
    pub margin: f64,
    pub diff: f64,
    pub ci_high: f64,
    pub p: f64,
}

impl Comparison {
    /// B is significantly worse than A by more than `margin` points: the permutation
    /// p-value is under [`ALPHA`] and the upper end of the 95% interval of B − A is
    /// under −`margin`. None otherwise (no pairs included).
    pub fn regression(&self, margin: f64) -> Option<Regression> {
        let d = self.overall.as_ref()?;
        // Scores are sums of floating-point parts: a difference of exactly the margin
        // must not trip the gate by a rounding error.
        (d.p.p < ALPHA && d.ci_high < -margin - 1e-9).then_some(Regression {
            margin,
            diff: d.diff,
            ci_high: d.ci_high,
            p: d.p.p,
        })
    }
}

/// Compares `b` with `a` on `tasks`, judged by `judges`.
pub fn compare(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    a: Side<'_>,
    b: Side<'_>,
    judges: &[String],
    options: &Options,
) -> Comparison {
    current.warm(tasks);
    let resamples = options.resamples.unwrap_or(stats::RESAMPLES);
    let samples = leaderboard::sample_count(current, tasks, a.records, &[a.model.to_string()]).max(
        leaderboard::sample_count(current, tasks, b.records, &[b.model.to_string()]),
    );
    let a_items = side_items(current, tasks, a, judges, samples);
    let b_items = side_items(current, tasks, b, judges, samples);
    let b_by_item: HashMap<(&str, u32), &Item<'_>> = b_items
        .iter()
        .map(|i| ((i.task.id(), i.sample), i))
        .collect();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    let mut pairs: Vec<Pair<'_, '_>> = Vec::new();
    for ia in &a_items {
        let Some(ib) = b_by_item.get(&(ia.task.id(), ia.sample)) else {
            continue;
        };
        match (ia.score.standing, ib.score.standing) {
            (Standing::Incomplete(ga), Standing::Incomplete(gb)) => {
                let why = format!("A: {}, B: {}", gap(ga, a.pick), gap(gb, b.pick));
                *missing.entry(why).or_default() += 1;
            }
            (Standing::Incomplete(g), _) => {
                *missing.entry(format!("A: {}", gap(g, a.pick))).or_default() += 1
            }
            (_, Standing::Incomplete(g)) => {
                *missing.entry(format!("B: {}", gap(g, b.pick))).or_default() += 1
            }
            _ => pairs.push(Pair { a: ia, b: ib }),
        }
    }
    let overall = diff(&pairs, Pair::scores, resamples);
    let mut by_type: Vec<TypeDiff> = group(&pairs, |p| p.a.task.task.task_type())
        .into_par_iter()
        .filter_map(|(t, list)| {
            Some(TypeDiff {
                task_type: t.as_str().to_string(),
                diff: diff(&list, Pair::scores, resamples)?,
            })
        })
        .collect();
    let adjusted = stats::holm(&by_type.iter().map(|t| t.diff.p.p).collect::<Vec<_>>());
    for (t, p) in by_type.iter_mut().zip(adjusted) {
        t.diff.p_holm = Some(p);
    }
    let mut by_criterion = if options.skip_criteria {
        Vec::new()
    } else {
        criteria(&pairs, resamples)
    };
    let adjusted = stats::holm(&by_criterion.iter().map(|c| c.diff.p.p).collect::<Vec<_>>());
    for (c, p) in by_criterion.iter_mut().zip(adjusted) {
        c.diff.p_holm = Some(p);
    }
    Comparison {
        a: a.model.to_string(),
        b: b.model.to_string(),
        a_pick: a.pick,
        b_pick: b.pick,
        judges: judges.to_vec(),
        items: tasks.len() * samples as usize,
        pairs: pairs.len(),
        missing,
        overall,
        by_type,
        by_criterion,
        moved: moved(&pairs, options.moved.unwrap_or(MOVED)),
    }
}

/// Why an item of a side is incomplete: for the picks of older records, an item with no
/// generation is one the store (or today's records) never replaced.
fn gap(g: Gap, pick: Pick) -> String {
    match (g, pick) {
        (Gap::NotGenerated, Pick::Recorded) => "no record in that store".into(),
        (Gap::NotGenerated, Pick::Replaced) => "no stale record".into(),
        _ => g.describe(),
    }
}

/// An item complete on both sides.
#[derive(Clone, Copy)]
struct Pair<'i, 'a> {
    a: &'i Item<'a>,
    b: &'i Item<'a>,
}

impl Pair<'_, '_> {
    fn scores(&self) -> Option<(f64, f64)> {
        Some((self.a.score.final_score?, self.b.score.final_score?))
    }

    fn diff(&self) -> f64 {
        self.scores().map_or(0.0, |(a, b)| b - a)
    }
}

/// Pairs grouped by a key, in key order.
fn group<'p, 'i, 'a, K: Ord>(
    pairs: &'p [Pair<'i, 'a>],
    key: impl Fn(&Pair<'i, 'a>) -> K,
) -> BTreeMap<K, Vec<Pair<'i, 'a>>> {
    let mut out: BTreeMap<K, Vec<Pair<'i, 'a>>> = BTreeMap::new();
    for p in pairs {
        out.entry(key(p)).or_default().push(*p);
    }
    out
}

/// The paired difference of `value` (A's and B's) over the pairs that have one.
fn diff<'i, 'a>(
    pairs: &[Pair<'i, 'a>],
    value: impl Fn(&Pair<'i, 'a>) -> Option<(f64, f64)>,
    resamples: usize,
) -> Option<Diff> {
    let mut a: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut b: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut d: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let (mut wins, mut ties, mut losses) = (0, 0, 0);
    for p in pairs {
        let Some((va, vb)) = value(p) else { continue };
        let task = p.a.task.id();
        a.entry(task).or_default().push(va);
        b.entry(task).or_default().push(vb);
        d.entry(task).or_default().push(vb - va);
        match (vb - va).abs() < 1e-9 {
            true => ties += 1,
            false if vb > va => wins += 1,
            false => losses += 1,
        }
    }
    let [a, b, d] = [a, b, d].map(|m| m.into_values().collect::<Vec<Vec<f64>>>());
    let (ci_low, ci_high) = stats::bootstrap_ci(&d, resamples, stats::SEED)?;
    Some(Diff {
        pairs: wins + ties + losses,
        a: stats::mean_of_groups(&a)?,
        b: stats::mean_of_groups(&b)?,
        diff: stats::mean_of_groups(&d)?,
        ci_low,
        ci_high,
        p: stats::sign_flip(&d, stats::SEED)?,
        p_holm: None,
        wins,
        ties,
        losses,
    })
}

/// Per task type and criterion: the judges' median criterion score ×100 on each side.
fn criteria(pairs: &[Pair<'_, '_>], resamples: usize) -> Vec<CriterionDiff> {
    let rows: Vec<(TaskType, String, Vec<Pair<'_, '_>>)> =
        group(pairs, |p| p.a.task.task.task_type())
            .into_iter()
            .flat_map(|(task_type, list)| {
                let rubric = judge::rubric(list[0].a.task.input(&[]));
                rubric
                    .entries
                    .iter()
                    .map(|e| (task_type, e.id().to_string(), list.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
    // Each row's bootstrap and permutation test is independent: on all cores.
    rows.par_iter()
        .filter_map(|(task_type, id, list)| {
            let value = |p: &Pair<'_, '_>| {
                let of = |i: &Item<'_>| {
                    i.score
                        .aggregate
                        .as_ref()?
                        .criteria
                        .iter()
                        .find(|c| &c.id == id)?
                        .score
                };
                Some((of(p.a)? * 100.0, of(p.b)? * 100.0))
            };
            Some(CriterionDiff {
                task_type: task_type.as_str().to_string(),
                criterion: id.clone(),
                diff: diff(list, value, resamples)?,
            })
        })
        .collect()
}

/// The `n` pairs with the largest difference in size, each with its reason.
fn moved(pairs: &[Pair<'_, '_>], n: usize) -> Vec<Moved> {
    let mut order: Vec<&Pair<'_, '_>> = pairs.iter().filter(|p| p.diff().abs() >= 1e-9).collect();
    order.sort_by(|x, y| {
        y.diff()
            .abs()
            .total_cmp(&x.diff().abs())
            .then(x.a.task.id().cmp(y.a.task.id()))
            .then(x.a.sample.cmp(&y.a.sample))
    });
    order
        .into_iter()
        .take(n)
        .map(|p| {
            let (a, b) = p.scores().unwrap_or_default();
            Moved {
                task: p.a.task.id().to_string(),
                task_type: p.a.task.task.task_type().as_str().to_string(),
                sample: p.a.sample,
                a,
                b,
                diff: b - a,
                reason: reason(p),
            }
        })
        .collect()
}

/// Why a pair moved, in one line.
fn reason(p: &Pair<'_, '_>) -> String {
    for (side, item) in [("A", p.a), ("B", p.b)] {
        match item.score.standing {
            Standing::ModelFailed(kind) => {
                return format!("{side} failed ({}): scores 0", kind.as_str());
            }
            Standing::Unjudgeable => {
                return format!("{side}: no judge answered usably: judge part 0");
            }
            _ => {}
        }
    }
    // What each part contributed to the 0..=100 difference: the programmatic part is half
    // the score, each criterion its weight's share of the other half.
    let programmatic = |i: &Item<'_>| i.score.programmatic.unwrap_or(0.0);
    let prog_move = 50.0 * (programmatic(p.b) - programmatic(p.a));
    let mut best: Option<(f64, String, f64, f64)> = None;
    if let (Some(ca), Some(cb)) = (&p.a.score.aggregate, &p.b.score.aggregate) {
        let total: f64 = ca
            .criteria
            .iter()
            .filter(|c| c.score.is_some())
            .map(|c| f64::from(c.weight))
            .sum();
        for c in &ca.criteria {
            let (Some(sa), Some(sb)) = (
                c.score,
                cb.criteria
                    .iter()
                    .find(|x| x.id == c.id)
                    .and_then(|x| x.score),
            ) else {
                continue;
            };
            let contribution = 50.0 * f64::from(c.weight) * (sb - sa) / total.max(1.0);
            if best.as_ref().is_none_or(|b| contribution.abs() > b.0.abs()) {
                best = Some((contribution, c.id.clone(), sa, sb));
            }
        }
    }
    match best {
        Some((contribution, id, sa, sb)) if contribution.abs() >= prog_move.abs() => {
            let (side, item) = if sb < sa { ("B", p.b) } else { ("A", p.a) };
            let said = evidence(&item.evaluations, &id, sa.min(sb))
                .map(|(judge, text)| format!("; {judge} on {side}: {text}"))
                .unwrap_or_default();
            format!("`{id}` {sa:.2} → {sb:.2}{said}")
        }
        _ => {
            let parts = |i: &Item<'_>| {
                i.score.breakdown.as_ref().map_or([0.0; 3], |b| {
                    [
                        metrics::WEIGHT_WORDS * b.word_score,
                        metrics::WEIGHT_REPETITION * b.repetition_score,
                        metrics::WEIGHT_SLOP * b.slop_score,
                    ]
                })
            };
            let (pa, pb) = (parts(p.a), parts(p.b));
            let names = ["word range", "repetition", "stock phrases"];
            let k = (0..3)
                .max_by(|x, y| (pb[*x] - pa[*x]).abs().total_cmp(&(pb[*y] - pa[*y]).abs()))
                .unwrap_or(0);
            let detail = match (&p.a.score.breakdown, &p.b.score.breakdown, k) {
                (Some(x), Some(y), 0) => format!(" ({} → {} words)", x.words, y.words),
                (Some(x), Some(y), 1) => {
                    format!(
                        " (repeated 4-grams {:.0}% → {:.0}%)",
                        x.repetition * 100.0,
                        y.repetition * 100.0
                    )
                }
                (Some(x), Some(y), _) => format!(
                    " ({:.1} → {:.1} stock phrases per 1,000 words)",
                    x.slop_density, y.slop_density
                ),
                _ => String::new(),
            };
            format!(
                "programmatic {:.2} → {:.2}, mostly {}{detail}",
                programmatic(p.a),
                programmatic(p.b),
                names[k]
            )
        }
    }
}

/// A judge's reason and evidence on criterion `id`, from the judge whose score is closest
/// to `score` (for a criterion judged per item: its lowest-scored item).
fn evidence(evaluations: &[&EvaluationRecord], id: &str, score: f64) -> Option<(String, String)> {
    let mut candidates: Vec<(f64, &str, String, &str, &str)> = Vec::new();
    for e in evaluations.iter().filter(|e| e.status == Status::Ok) {
        let Some(c) = e.criteria.iter().find(|c| c.criterion == id) else {
            continue;
        };
        match c.items.iter().min_by(|x, y| x.score.total_cmp(&y.score)) {
            Some(item) => candidates.push((
                (c.score - score).abs(),
                &e.judge,
                format!("item {}: ", item.item),
                &item.reason,
                &item.evidence,
            )),
            None => candidates.push((
                (c.score - score).abs(),
                &e.judge,
                String::new(),
                &c.reason,
                &c.evidence,
            )),
        }
    }
    candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(y.1)));
    let (_, judge, prefix, reason, quoted) = candidates.into_iter().next()?;
    let mut text = format!("{prefix}{}", excerpt(reason, 90));
    if !quoted.trim().is_empty() {
        text.push_str(&format!(" (\u{201c}{}\u{201d})", excerpt(quoted, 40)));
    }
    Some((judge.to_string(), text))
}

/// A side's items over `tasks` × `samples`.
fn side_items<'a>(
    current: &Current<'_>,
    tasks: &'a [Arc<PreparedTask>],
    side: Side<'a>,
    judges: &[String],
    samples: u32,
) -> Vec<Item<'a>> {
    let index = Index::new(side.records);
    if side.pick == Pick::Today {
        return leaderboard::items_of(current, tasks, &index, side.model, judges, samples);
    }
    let mut history: HashMap<(&str, u32), Vec<&GenerationSummary>> = HashMap::new();
    for (_, g) in &side.records.generations {
        if g.model == side.model {
            history
                .entry((g.task.as_str(), g.sample))
                .or_default()
                .push(g);
        }
    }
    let mut out = Vec::new();
    for task in tasks {
        let today = current.generation(task, side.model);
        let rubric = judge::rubric(task.input(current.slop));
        for sample in 0..samples {
            let found = history.get(&(task.id(), sample)).and_then(|list| {
                pick(
                    current,
                    task,
                    &index,
                    list,
                    today.as_deref(),
                    side.pick,
                    judges,
                )
            });
            let Some((g, evaluations)) = found else {
                out.push(Item {
                    task,
                    sample,
                    score: crate::scoring::ItemScore::incomplete(Gap::NotGenerated),
                    generation: None,
                    path: None,
                    evaluations: Vec::new(),
                });
                continue;
            };
            let score = scoring::score(task, current.slop, &rubric, g, &evaluations, judges);
            out.push(Item {
                task,
                sample,
                score,
                generation: Some(g),
                path: None,
                evaluations,
            });
        }
    }
    out
}

/// The generation and evaluations of one item under `pick` (not [`Pick::Today`]).
fn pick<'a>(
    current: &Current<'_>,
    task: &PreparedTask,
    index: &Index<'a>,
    generations: &[&'a GenerationSummary],
    today: Option<&str>,
    pick: Pick,
    judges: &[String],
) -> Option<(&'a GenerationSummary, Vec<&'a EvaluationRecord>)> {
    let newest = |keep: &dyn Fn(&GenerationSummary) -> bool| {
        generations
            .iter()
            .copied()
            .filter(|g| keep(g))
            .max_by(|x, y| x.created_at.cmp(&y.created_at))
    };
    let newest_per_judge = |all: Vec<&'a EvaluationRecord>,
                            prefer: &dyn Fn(&EvaluationRecord) -> bool| {
        judges
            .iter()
            .filter_map(|j| {
                let own = all.iter().copied().filter(|e| &e.judge == j);
                let preferred = own
                    .clone()
                    .filter(|e| prefer(e))
                    .max_by(|x, y| x.created_at.cmp(&y.created_at));
                preferred.or_else(|| own.max_by(|x, y| x.created_at.cmp(&y.created_at)))
            })
            .collect::<Vec<_>>()
    };
    let judged = |g: &GenerationSummary| index.evaluations(g, |j, _| judges.iter().any(|x| x == j));
    match pick {
        Pick::Today => None,
        Pick::Recorded => {
            let g = newest(&|_| true)?;
            Some((g, newest_per_judge(judged(g), &|_| true)))
        }
        Pick::Replaced => {
            if let Some(g) = newest(&|g| Some(g.fingerprint.as_str()) != today) {
                return Some((g, newest_per_judge(judged(g), &|_| true)));
            }
            let g = newest(&|g| g.status == Status::Ok)?;
            let stale = |e: &EvaluationRecord| {
                current
                    .evaluation(task, &g.fingerprint, &e.judge)
                    .as_deref()
                    != Some(e.fingerprint.as_str())
            };
            let all = judged(g);
            if !all.iter().any(|e| stale(e)) {
                return None;
            }
            Some((g, newest_per_judge(all, &stale)))
        }
    }
}
