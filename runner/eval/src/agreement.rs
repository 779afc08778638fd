//! How well the judges agree with people: Kendall's tau-b between each human ranking of a
//! task sample's outputs and (a) each judge's ordering of the same generations, by that
//! judge's judge part, and (b) the judges' median ordering, by the item's one score
//! ([`crate::scoring::score`]). Ties count on both sides (tau-b).
//!
//! Like a model's score, a figure is the mean over tasks of the mean over that task's
//! rankings (raters × samples), so every task weighs the same; its 95% interval is the
//! two-level bootstrap of [`stats::bootstrap_ci`] (tasks, then rankings; fixed seed).
//! When two or more people ranked the same sample, inter-rater agreement is their mean
//! pairwise tau-b, on the generations both ranked, averaged the same way. The tasks where
//! the judges' median ordering agrees least with people are listed.
//!
//! A ranking counts while every generation it ranks is today's (same fingerprint) and
//! holds the exact text the rater read (same `view_sha`); of one rater's rankings of a
//! sample, the newest that counts is used.

use crate::fingerprint::Current;
use crate::prepared::PreparedTask;
use crate::records::{Index, Records};
use crate::scoring;
use crate::stats;
use fabula_core::judge;
use fabula_core::model::{EvaluationRecord, HumanRanking, Status};
use fabula_core::score::{self, kendall_tau_b};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Tasks listed as where judges and people disagree most.
pub const WORST: usize = 5;

/// How the figures are computed.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    pub seed: u64,
    /// Tasks listed in [`Agreement::disagreements`].
    pub worst: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            resamples: stats::RESAMPLES,
            seed: stats::SEED,
            worst: WORST,
        }
    }
}

/// Everything `fabula agreement` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// The judges compared, in the order given.
    pub judges: Vec<String>,
    /// Each judge against people, in `judges` order, then the judges' median.
    pub rows: Vec<Row>,
    /// People against each other, when two or more ranked the same sample.
    pub inter_rater: Option<Row>,
    /// Everyone whose rankings count, sorted.
    pub raters: Vec<String>,
    /// Rankings that count.
    pub counted: usize,
    /// Rankings not counted: a generation they rank changed or is no longer today's.
    pub stale: usize,
    /// The tasks where the judges' median ordering agrees least with people, worst first
    /// (at most [`Options::worst`]; none where every ranking matches it).
    pub disagreements: Vec<TaskAgreement>,
    /// Every ranking that counts, with the orders compared.
    pub rankings: Vec<RankingAgreement>,
}

/// One comparison's figure: the mean over tasks of Kendall's tau-b, with its interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The judge, `judges' median`, or `raters`.
    pub who: String,
    /// This row is the judges' median ordering.
    pub median: bool,
    /// Mean over tasks of the mean tau-b of the task's rankings; `None` when no ranking
    /// could be compared (fewer than two generations scored, or one side all tied).
    pub tau: Option<f64>,
    /// The 95% bootstrap interval of `tau`.
    pub ci: Option<(f64, f64)>,
    pub tasks: usize,
    /// Rankings (or, for raters, pairs of rankings) compared.
    pub compared: usize,
}

/// One task's agreement between the judges' median and people.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskAgreement {
    pub task: String,
    /// Mean tau-b of the task's rankings against the judges' median ordering.
    pub tau: f64,
    pub rankings: usize,
    /// The ranking that agrees least: who, and the two orders, best first.
    pub rater: String,
    pub sample: u32,
    pub human: Vec<Vec<String>>,
    pub judges: Vec<Vec<String>>,
}

/// One human ranking compared with the judges.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RankingAgreement {
    pub task: String,
    pub sample: u32,
    pub rater: String,
    pub created_at: String,
    /// The rater's order, best first, by model; models in one group are tied.
    pub human: Vec<Vec<String>>,
    /// The judges' median order by item score, best first (equal scores tied).
    pub median_order: Vec<Vec<String>>,
    pub median_tau: Option<f64>,
    /// Each judge's tau-b against this ranking, in the order of [`Agreement::judges`].
    pub judge_taus: Vec<Option<f64>>,
}

/// One ranked generation with the scores the judges gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub model: String,
    /// The generation's record name: what matches two raters' rankings.
    pub record: String,
    /// Its rank group, 0 for the best.
    pub group: usize,
    /// The item's one score (0..=100), `None` while incomplete.
    pub median: Option<f64>,
    /// Each judge's judge part (0..=1), aligned with the judges; `None` where that judge
    /// has no usable verdict.
    pub judges: Vec<Option<f64>>,
}

/// A ranking that counts, with the judges' scores of what it ranks.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub task: String,
    pub sample: u32,
    pub rater: String,
    pub created_at: String,
    pub generations: Vec<Scored>,
}

/// Agreement between the judges (`judges`, the configured ones) and every ranking of
/// `tasks` in `records` that counts today.
pub fn agreement(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    judges: &[String],
    options: &Options,
) -> Agreement {
    let (counted, stale) = counting(current, tasks, records);
    let index = Index::new(records);
    let by_id: HashMap<&str, &PreparedTask> = tasks.iter().map(|t| (t.id(), &**t)).collect();
    let mut ranked = Vec::with_capacity(counted.len());
    for r in counted {
        let Some(task) = by_id.get(r.task.as_str()) else {
            continue;
        };
        let rubric = judge::rubric(task.input(current.slop));
        let mut generations = Vec::new();
        for (group, rank) in r.ranks.iter().enumerate() {
            for g in rank {
                let Some((_, summary)) =
                    index.generation(&g.model, &r.task, r.sample, &g.generation_fingerprint)
                else {
                    continue;
                };
                let evaluations: Vec<&EvaluationRecord> = index
                    .evaluations(summary, |judge, fingerprint| {
                        judges.iter().any(|j| j == judge)
                            && current
                                .evaluation(task, &summary.fingerprint, judge)
                                .as_deref()
                                == Some(fingerprint)
                    })
                    .into_iter()
                    .collect();
                let item =
                    scoring::score(task, current.slop, &rubric, summary, &evaluations, judges);
                let per_judge = judges
                    .iter()
                    .map(|j| {
                        let own: Vec<&EvaluationRecord> = evaluations
                            .iter()
                            .copied()
                            .filter(|e| &e.judge == j && e.status == Status::Ok)
                            .collect();
                        score::aggregate(&rubric, &own).judge
                    })
                    .collect();
                generations.push(Scored {
                    model: g.model.clone(),
                    record: g.record.clone(),
                    group,
                    median: item.final_score,
                    judges: per_judge,
                });
            }
        }
        ranked.push(Ranked {
            task: r.task.clone(),
            sample: r.sample,
            rater: r.rater.clone(),
            created_at: r.created_at.clone(),
            generations,
        });
    }
    summarise(judges, ranked, stale, options)
}

/// The rankings of `tasks` that count today (of one rater's rankings of a sample, the
/// newest that counts), and how many of the others are stale.
pub fn counting<'r>(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &'r Records,
) -> (Vec<&'r HumanRanking>, usize) {
    let index = Index::new(records);
    let by_id: HashMap<&str, &PreparedTask> = tasks.iter().map(|t| (t.id(), &**t)).collect();
    let mut latest: BTreeMap<(&str, u32, &str), &HumanRanking> = BTreeMap::new();
    let mut stale = 0;
    for (_, r) in &records.rankings {
        let Some(task) = by_id.get(r.task.as_str()) else {
            continue;
        };
        let today = r.generations().all(|g| {
            current.generation(task, &g.model).as_deref() == Some(&g.generation_fingerprint)
                && index
                    .generation(&g.model, &r.task, r.sample, &g.generation_fingerprint)
                    .is_some_and(|(_, s)| {
                        s.status == Status::Ok
                            && s.view_sha.as_deref() == Some(g.generation_sha.as_str())
                    })
        });
        if !today {
            stale += 1;
            continue;
        }
        let key = (r.task.as_str(), r.sample, r.rater.as_str());
        match latest.get(&key) {
            Some(old) if old.created_at >= r.created_at => stale += 1,
            Some(_) => {
                stale += 1;
                latest.insert(key, r);
            }
            None => {
                latest.insert(key, r);
            }
        }
    }
    (latest.into_values().collect(), stale)
}

/// The figures from rankings already scored: what [`agreement`] computes after its
/// lookups, kept apart so that it can be checked by hand.
pub fn summarise(
    judges: &[String],
    mut ranked: Vec<Ranked>,
    stale: usize,
    options: &Options,
) -> Agreement {
    ranked.sort_by(|a, b| {
        (&a.task, a.sample, &a.rater, &a.created_at).cmp(&(
            &b.task,
            b.sample,
            &b.rater,
            &b.created_at,
        ))
    });
    let mut rankings = Vec::with_capacity(ranked.len());
    // Per comparison (each judge, then the median): task → the tau of each ranking.
    let mut per_task: Vec<BTreeMap<&str, Vec<f64>>> = vec![BTreeMap::new(); judges.len() + 1];
    let mut compared = vec![0usize; judges.len() + 1];
    for r in &ranked {
        let human: Vec<Option<f64>> = r
            .generations
            .iter()
            .map(|g| Some(human_score(g.group)))
            .collect();
        let medians: Vec<Option<f64>> = r.generations.iter().map(|g| g.median).collect();
        let median_tau = kendall_tau_b(&human, &medians);
        let judge_taus: Vec<Option<f64>> = (0..judges.len())
            .map(|j| {
                let scores: Vec<Option<f64>> = r
                    .generations
                    .iter()
                    .map(|g| g.judges.get(j).copied().flatten())
                    .collect();
                kendall_tau_b(&human, &scores)
            })
            .collect();
        for (k, tau) in judge_taus.iter().chain([&median_tau]).enumerate() {
            if let Some(tau) = tau {
                per_task[k].entry(r.task.as_str()).or_default().push(*tau);
                compared[k] += 1;
            }
        }
        rankings.push(RankingAgreement {
            task: r.task.clone(),
            sample: r.sample,
            rater: r.rater.clone(),
            created_at: r.created_at.clone(),
            human: groups(
                r.generations
                    .iter()
                    .map(|g| (g.model.as_str(), human_score(g.group))),
            ),
            median_order: groups(
                r.generations
                    .iter()
                    .filter_map(|g| Some((g.model.as_str(), g.median?))),
            ),
            median_tau,
            judge_taus,
        });
    }
    let row = |k: usize, who: &str, median: bool| {
        let groups: Vec<Vec<f64>> = per_task[k].values().cloned().collect();
        Row {
            who: who.to_string(),
            median,
            tau: stats::mean_of_groups(&groups),
            ci: stats::bootstrap_ci(&groups, options.resamples, options.seed),
            tasks: groups.len(),
            compared: compared[k],
        }
    };
    let mut rows: Vec<Row> = judges
        .iter()
        .enumerate()
        .map(|(k, j)| row(k, j, false))
        .collect();
    rows.push(row(judges.len(), "judges' median", true));
    let inter_rater = inter_rater(&ranked, options);
    let mut disagreements: Vec<TaskAgreement> = per_task[judges.len()]
        .iter()
        .filter_map(|(task, taus)| {
            let worst = rankings
                .iter()
                .filter(|r| r.task == *task)
                .filter_map(|r| Some((r, r.median_tau?)))
                .min_by(|a, b| a.1.total_cmp(&b.1))?
                .0;
            Some(TaskAgreement {
                task: task.to_string(),
                tau: stats::mean(taus)?,
                rankings: taus.len(),
                rater: worst.rater.clone(),
                sample: worst.sample,
                human: worst.human.clone(),
                judges: worst.median_order.clone(),
            })
        })
        .collect();
    // A task whose every ranking matches the median order is no disagreement.
    disagreements.retain(|d| d.tau < 1.0);
    disagreements.sort_by(|a, b| a.tau.total_cmp(&b.tau).then(a.task.cmp(&b.task)));
    disagreements.truncate(options.worst);
    let mut raters: Vec<String> = ranked.iter().map(|r| r.rater.clone()).collect();
    raters.sort();
    raters.dedup();
    Agreement {
        judges: judges.to_vec(),
        rows,
        inter_rater,
        raters,
        counted: ranked.len(),
        stale,
        disagreements,
        rankings,
    }
}

/// A rank group as a score where higher is better: the best group scores 0.
fn human_score(group: usize) -> f64 {
    -(group as f64)
}

/// Models grouped by equal score, highest first.
fn groups<'a>(scored: impl Iterator<Item = (&'a str, f64)>) -> Vec<Vec<String>> {
    let mut all: Vec<(&str, f64)> = scored.collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut last = None;
    for (model, s) in all {
        if last == Some(s) {
            if let Some(g) = out.last_mut() {
                g.push(model.to_string());
            }
        } else {
            out.push(vec![model.to_string()]);
        }
        last = Some(s);
    }
    out
}

/// Mean pairwise tau-b between different raters' rankings of the same sample, on the
/// generations both ranked; averaged over tasks like the other rows.
fn inter_rater(ranked: &[Ranked], options: &Options) -> Option<Row> {
    let mut per_task: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut pairs = 0;
    for (i, a) in ranked.iter().enumerate() {
        for b in &ranked[i + 1..] {
            if a.task != b.task || a.sample != b.sample || a.rater == b.rater {
                continue;
            }
            let (x, y): (Vec<Option<f64>>, Vec<Option<f64>>) = a
                .generations
                .iter()
                .filter_map(|g| {
                    let other = b.generations.iter().find(|h| h.record == g.record)?;
                    Some((Some(human_score(g.group)), Some(human_score(other.group))))
                })
                .unzip();
            if let Some(tau) = kendall_tau_b(&x, &y) {
                per_task.entry(a.task.as_str()).or_default().push(tau);
                pairs += 1;
            }
        }
    }
    if pairs == 0 {
        return None;
    }
    let groups: Vec<Vec<f64>> = per_task.into_values().collect();
    Some(Row {
        who: "raters".to_string(),
        median: false,
        tau: stats::mean_of_groups(&groups),
        ci: stats::bootstrap_ci(&groups, options.resamples, options.seed),
        tasks: groups.len(),
        compared: pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    /// A generation of model `m` in rank group `group`, with the item score `median` and
    /// the judge parts `judges`.
    fn g(m: &str, group: usize, median: Option<f64>, judges: &[Option<f64>]) -> Scored {
        Scored {
            model: m.into(),
            record: format!("{m}/t/gen-s0-0123456789abcdef.json"),
            group,
            median,
            judges: judges.to_vec(),
        }
    }

    fn ranking(task: &str, rater: &str, generations: Vec<Scored>) -> Ranked {
        Ranked {
            task: task.into(),
            sample: 0,
            rater: rater.into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            generations,
        }
    }

    fn judges() -> Vec<String> {
        vec!["j1".into(), "j2".into()]
    }

    /// Tau-b with a tie on the human side only.
    ///
    /// Human [[a], [b, c]]; scores a 90, b 50, c 70. Pairs: (a,b) concordant, (a,c)
    /// concordant, (b,c) tied for the human only. n0 = 3, tied in x n1 = 1, in y n2 = 0,
    /// C = 2, D = 0: tau-b = (2 - 0) / sqrt((3 - 1)(3 - 0)) = 2 / sqrt(6) = 0.816497.
    ///
    /// Judge j1 ties b and c too (0.4, 0.4, a 0.8): every pair but (b,c) concordant, (b,c)
    /// tied on both sides: n1 = n2 = 1, C = 2: tau-b = 2 / sqrt(2 * 2) = 1.
    ///
    /// Judge j2 prefers c and b over a (a 0.2, b 0.6, c 0.6): (a,b) and (a,c) discordant,
    /// (b,c) tied on both: tau-b = (0 - 2) / sqrt(2 * 2) = -1.
    #[test]
    fn tau_b_with_a_tie_in_the_human_ranking() {
        let r = ranking(
            "t",
            "ann",
            vec![
                g("a", 0, Some(90.0), &[Some(0.8), Some(0.2)]),
                g("b", 1, Some(50.0), &[Some(0.4), Some(0.6)]),
                g("c", 1, Some(70.0), &[Some(0.4), Some(0.6)]),
            ],
        );
        let a = summarise(&judges(), vec![r], 0, &Options::default());
        let one = &a.rankings[0];
        assert!(close(one.median_tau, 2.0 / 6f64.sqrt()), "{one:?}");
        assert!(close(one.median_tau, 0.816_496_580_927_726));
        assert!(close(one.judge_taus[0], 1.0), "{one:?}");
        assert!(close(one.judge_taus[1], -1.0), "{one:?}");
        assert_eq!(
            one.human,
            vec![vec!["a".to_string()], vec!["b".into(), "c".into()]]
        );
        assert_eq!(
            one.median_order,
            vec![vec!["a".to_string()], vec!["c".into()], vec!["b".into()]]
        );
    }

    /// Ties on both sides, four generations.
    ///
    /// Human [[a, b], [c], [d]]; scores a 80, b 80, c 20, d 50. Pairs: (a,b) tied on both;
    /// (a,c), (a,d), (b,c), (b,d) concordant; (c,d): the human puts c above d, the score d
    /// above c: discordant. n0 = 6, n1 = 1, n2 = 1, C = 4, D = 1:
    /// tau-b = (4 - 1) / sqrt((6 - 1)(6 - 1)) = 3 / 5 = 0.6.
    #[test]
    fn tau_b_with_ties_on_both_sides() {
        let r = ranking(
            "t",
            "ann",
            vec![
                g("a", 0, Some(80.0), &[]),
                g("b", 0, Some(80.0), &[]),
                g("c", 1, Some(20.0), &[]),
                g("d", 2, Some(50.0), &[]),
            ],
        );
        let a = summarise(&[], vec![r], 0, &Options::default());
        assert!(close(a.rankings[0].median_tau, 0.6), "{a:?}");
        assert_eq!(
            a.rankings[0].median_order,
            vec![
                vec!["a".to_string(), "b".into()],
                vec!["d".into()],
                vec!["c".into()]
            ]
        );
    }

    /// A judge that ties everything, or scores fewer than two of the generations, has
    /// no tau; a generation a judge did not score is left out of that judge's pairs.
    #[test]
    fn undefined_tau_is_none_and_missing_scores_are_skipped() {
        let r = ranking(
            "t",
            "ann",
            vec![
                g("a", 0, None, &[Some(0.5), Some(0.9)]),
                g("b", 1, Some(10.0), &[Some(0.5), None]),
                g("c", 2, Some(30.0), &[Some(0.5), Some(0.1)]),
            ],
        );
        let a = summarise(&judges(), vec![r], 0, &Options::default());
        let one = &a.rankings[0];
        assert_eq!(one.judge_taus[0], None, "j1 ties all three");
        // j2 on a and c only: a above c on both sides.
        assert!(close(one.judge_taus[1], 1.0));
        // The median on b and c: the human puts b above c, the scores c above b.
        assert!(close(one.median_tau, -1.0));
        assert_eq!(a.rows[0].tau, None);
        assert_eq!(a.rows[0].compared, 0);
        assert_eq!(a.rows[0].tasks, 0);
    }

    /// The mean is over tasks, each the mean of its rankings; raters agree with each
    /// other by their mean pairwise tau-b.
    ///
    /// Task t1: ann [[a], [b, c]] against scores a 90, b 50, c 70: 2/sqrt(6) (as above);
    /// bob [[c], [b], [a]] against the same scores: (a,b) discordant, (a,c) discordant,
    /// (b,c): bob puts c above b, so do the scores: concordant. n0 = 3, no ties, C = 1,
    /// D = 2: tau-b = -1/3. t1's mean: (0.816497 - 0.333333) / 2 = 0.241582. Task t2: ann
    /// [[x], [y]], scores x 10, y 60: -1. Over tasks: (0.241582 - 1) / 2 = -0.379209.
    ///
    /// Ann against bob on t1: (a,b): ann a above b, bob b above a: discordant; (a,c):
    /// discordant; (b,c): ann ties them (n1 = 1), bob does not. n0 = 3, C = 0, D = 2:
    /// tau-b = -2 / sqrt(2 * 3) = -0.816497.
    #[test]
    fn means_over_tasks_inter_rater_and_the_worst_tasks() {
        let scores = |a: usize, b: usize, c: usize| {
            vec![
                g("a", a, Some(90.0), &[]),
                g("b", b, Some(50.0), &[]),
                g("c", c, Some(70.0), &[]),
            ]
        };
        let ranked = vec![
            ranking("t1", "ann", scores(0, 1, 1)),
            ranking("t1", "bob", scores(2, 1, 0)),
            ranking(
                "t2",
                "ann",
                vec![g("x", 0, Some(10.0), &[]), g("y", 1, Some(60.0), &[])],
            ),
        ];
        let a = summarise(&[], ranked, 2, &Options::default());
        assert_eq!(a.counted, 3);
        assert_eq!(a.stale, 2);
        assert_eq!(a.raters, vec!["ann".to_string(), "bob".into()]);
        let median = &a.rows[0];
        assert!(median.median);
        assert_eq!((median.tasks, median.compared), (2, 3));
        let t1 = (2.0 / 6f64.sqrt() - 1.0 / 3.0) / 2.0;
        assert!(close(median.tau, (t1 - 1.0) / 2.0), "{median:?}");
        assert!(close(median.tau, -0.379_209_188_1), "{median:?}");
        let (lo, hi) = median.ci.unwrap();
        assert!(
            lo <= median.tau.unwrap() && median.tau.unwrap() <= hi,
            "{median:?}"
        );
        assert!(lo >= -1.0 && hi <= 1.0);
        let raters = a.inter_rater.as_ref().unwrap();
        assert_eq!((raters.tasks, raters.compared), (1, 1));
        assert!(close(raters.tau, -2.0 / 6f64.sqrt()), "{raters:?}");
        // Worst first: t2 (-1), then t1, whose worst ranking is bob's.
        let worst: Vec<(&str, &str)> = a
            .disagreements
            .iter()
            .map(|d| (d.task.as_str(), d.rater.as_str()))
            .collect();
        assert_eq!(worst, vec![("t2", "ann"), ("t1", "bob")]);
        assert!(close(Some(a.disagreements[1].tau), t1));
    }

    #[test]
    fn the_interval_is_reproducible_and_one_rater_has_no_inter_rater_row() {
        let ranked = || {
            vec![
                ranking(
                    "t1",
                    "ann",
                    vec![g("a", 0, Some(9.0), &[]), g("b", 1, Some(1.0), &[])],
                ),
                ranking(
                    "t2",
                    "ann",
                    vec![g("a", 0, Some(1.0), &[]), g("b", 1, Some(9.0), &[])],
                ),
                ranking(
                    "t3",
                    "ann",
                    vec![g("a", 1, Some(1.0), &[]), g("b", 0, Some(9.0), &[])],
                ),
            ]
        };
        let one = summarise(&[], ranked(), 0, &Options::default());
        let two = summarise(&[], ranked(), 0, &Options::default());
        assert_eq!(one, two);
        // t1 and t3 agree perfectly: only t2 is listed.
        let worst: Vec<&str> = one.disagreements.iter().map(|d| d.task.as_str()).collect();
        assert_eq!(worst, vec!["t2"]);
        assert!(one.inter_rater.is_none());
        // +1, -1, +1 over three tasks.
        assert!(close(one.rows[0].tau, 1.0 / 3.0));
        let (lo, hi) = one.rows[0].ci.unwrap();
        assert!(lo < 0.0 && hi > 0.5, "{lo} {hi}");
    }
}
