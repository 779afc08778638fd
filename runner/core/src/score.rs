//! Aggregating judges: the median across judges per item and criterion, the pass rule,
//! the final score, and inter-judge agreement (Kendall's tau-b, Krippendorff's alpha).
//!
//! - Item score: the median of the judges that answered (failed evaluations are missing,
//!   never zero). With an even count the median is the mean of the middle two.
//! - Criterion score: for a criterion judged on the whole text, the median of the judges'
//!   verdicts; for one judged per item, the mean of its items' medians.
//! - Judge part: Σ weight × criterion score / Σ weight, over criteria some judge scored.
//! - Pass: the task type's rule from `criteria.yaml`, computed from the medians (never a
//!   vote): the judge part reaches a threshold, or a share of the items of some criteria
//!   are met. An item (or a criterion judged whole) is met when its median is above 0.5,
//!   that is, when a majority of the judges said `pass`.
//! - Final: 50% programmatic + 50% judge part, on 0..=100.

use crate::criteria::PassRule;
use crate::judge::Rubric;
use crate::model::{CriterionVerdict, EvaluationRecord, Status};

/// The median; `None` for no values. NaNs are ignored.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// A median above this meets an item.
pub const MET_ABOVE: f64 = 0.5;

/// One criterion, aggregated over the judges.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionAggregate {
    pub id: String,
    pub weight: u32,
    /// 0..=1; `None` when no judge scored it.
    pub score: Option<f64>,
    /// For a criterion judged per item: each item's median, in order.
    pub items: Vec<Option<f64>>,
}

/// The judges' verdict on one generation, aggregated.
#[derive(Clone, Debug, PartialEq)]
pub struct JudgeAggregate {
    pub criteria: Vec<CriterionAggregate>,
    /// Weighted judge part, 0..=1; None when no judge answered.
    pub judge: Option<f64>,
    /// By the type's pass rule; None when no judge answered.
    pub pass: Option<bool>,
    /// Items met and items counted, for an `items_met` pass rule.
    pub met: Option<(usize, usize)>,
    /// How many judges answered.
    pub judges: usize,
}

/// Aggregates the successful evaluations of one generation over `rubric`.
pub fn aggregate(rubric: &Rubric, evaluations: &[&EvaluationRecord]) -> JudgeAggregate {
    let ok: Vec<&&EvaluationRecord> = evaluations
        .iter()
        .filter(|e| e.status == Status::Ok)
        .collect();
    let criteria: Vec<CriterionAggregate> = rubric
        .entries
        .iter()
        .map(|entry| {
            let answers: Vec<&CriterionVerdict> = ok
                .iter()
                .filter_map(|e| find(&e.criteria, entry.id()))
                .collect();
            if entry.items.is_empty() {
                let scores: Vec<f64> = answers.iter().map(|c| c.score).collect();
                return CriterionAggregate {
                    id: entry.id().to_string(),
                    weight: entry.weight,
                    score: median(&scores),
                    items: Vec::new(),
                };
            }
            let items: Vec<Option<f64>> = (1..=entry.items.len() as u32)
                .map(|n| {
                    let scores: Vec<f64> = answers
                        .iter()
                        .filter_map(|c| c.items.iter().find(|i| i.item == n))
                        .map(|i| i.score)
                        .collect();
                    median(&scores)
                })
                .collect();
            let known: Vec<f64> = items.iter().flatten().copied().collect();
            CriterionAggregate {
                id: entry.id().to_string(),
                weight: entry.weight,
                score: (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64),
                items,
            }
        })
        .collect();
    let (sum, weights) = criteria
        .iter()
        .filter_map(|c| {
            c.score
                .map(|m| (m * f64::from(c.weight), f64::from(c.weight)))
        })
        .fold((0.0, 0.0), |(s, t), (a, b)| (s + a, t + b));
    let judge = (weights > 0.0).then(|| sum / weights);
    let (pass, met) = match rubric.pass {
        PassRule::JudgeScore(min) => (judge.map(|j| j >= *min), None),
        PassRule::ItemsMet { share, of } => {
            let medians: Vec<f64> = criteria
                .iter()
                .filter(|c| of.contains(&c.id))
                .flat_map(|c| {
                    if c.items.is_empty() {
                        vec![c.score]
                    } else {
                        c.items.clone()
                    }
                })
                .flatten()
                .collect();
            let met = medians.iter().filter(|m| **m > MET_ABOVE).count();
            if medians.is_empty() {
                (None, None)
            } else {
                (
                    Some(met as f64 >= share * medians.len() as f64 - 1e-9),
                    Some((met, medians.len())),
                )
            }
        }
    };
    JudgeAggregate {
        criteria,
        judge,
        pass,
        met,
        judges: ok.len(),
    }
}

fn find<'a>(criteria: &'a [CriterionVerdict], id: &str) -> Option<&'a CriterionVerdict> {
    criteria.iter().find(|c| c.criterion == id)
}

/// Final score on 0..=100: half programmatic, half judges. Without a judge part there is
/// no final score.
pub fn final_score(programmatic: f64, judge: Option<f64>) -> Option<f64> {
    judge.map(|j| 100.0 * (0.5 * programmatic + 0.5 * j))
}

/// Kendall's tau-b between two raters over the same items (pairs with a missing value
/// are skipped). `None` when fewer than two items remain or one rater is constant.
///
/// Knight's O(n log n) algorithm: sort by (x, y), count the pairs tied in x and tied in
/// both, count the discordant pairs as the inversions of y in that order (a merge sort),
/// then the pairs tied in y.
pub fn kendall_tau_b(x: &[Option<f64>], y: &[Option<f64>]) -> Option<f64> {
    let mut pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .collect();
    let n = pairs.len() as u64;
    if n < 2 {
        return None;
    }
    let n0 = n * (n - 1) / 2;
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let ties =
        |groups: &mut dyn Iterator<Item = u64>| -> u64 { groups.map(|t| t * (t - 1) / 2).sum() };
    let tied_x = ties(&mut runs(&pairs, |a, b| a.0 == b.0));
    let tied_xy = ties(&mut runs(&pairs, |a, b| a == b));
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let discordant = inversions(&mut ys);
    // `ys` is now sorted.
    let tied_y = ties(&mut runs_of(&ys));
    let numerator =
        n0 as f64 - tied_x as f64 - tied_y as f64 + tied_xy as f64 - 2.0 * discordant as f64;
    let denominator = ((n0 - tied_x) as f64 * (n0 - tied_y) as f64).sqrt();
    (denominator > 0.0).then(|| numerator / denominator)
}

/// Lengths of the runs of consecutive equal items.
fn runs<'a, T>(items: &'a [T], eq: impl Fn(&T, &T) -> bool + 'a) -> impl Iterator<Item = u64> + 'a {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= items.len() {
            return None;
        }
        let start = i;
        while i + 1 < items.len() && eq(&items[i], &items[i + 1]) {
            i += 1;
        }
        i += 1;
        Some((i - start) as u64)
    })
}

fn runs_of(sorted: &[f64]) -> impl Iterator<Item = u64> + '_ {
    runs(sorted, |a, b| a == b)
}

/// Sorts `v` and returns the number of pairs i < j with v[i] > v[j] (strictly).
fn inversions(v: &mut [f64]) -> u64 {
    let mut buf = v.to_vec();
    let mut count = 0u64;
    let mut width = 1;
    while width < v.len() {
        let mut start = 0;
        while start < v.len() {
            let mid = (start + width).min(v.len());
            let end = (start + 2 * width).min(v.len());
            let (mut i, mut j, mut k) = (start, mid, start);
            while i < mid && j < end {
                if v[j] < v[i] {
                    buf[k] = v[j];
                    count += (mid - i) as u64;
                    j += 1;
                } else {
                    buf[k] = v[i];
                    i += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
            k += mid - i;
            buf[k..k + (end - j)].copy_from_slice(&v[j..end]);
            start = end;
        }
        v.copy_from_slice(&buf);
        width *= 2;
    }
    count
}

/// Krippendorff's alpha for interval data. `units[u]` holds the values the raters gave
/// unit `u` (missing ratings simply absent). Units with fewer than two values are not
/// pairable and are ignored. `None` when fewer than two pairable values exist or the
/// expected disagreement is zero (every value equal: agreement is undefined, not perfect).
pub fn krippendorff_alpha_interval(units: &[Vec<f64>]) -> Option<f64> {
    let pairable: Vec<&Vec<f64>> = units.iter().filter(|u| u.len() >= 2).collect();
    let all: Vec<f64> = pairable.iter().flat_map(|u| u.iter().copied()).collect();
    let n = all.len() as f64;
    if n < 2.0 {
        return None;
    }
    let mut observed = 0.0;
    for u in &pairable {
        let m = u.len() as f64;
        let mut s = 0.0;
        for (i, a) in u.iter().enumerate() {
            for (j, b) in u.iter().enumerate() {
                if i != j {
                    s += (a - b).powi(2);
                }
            }
        }
        observed += s / (m - 1.0);
    }
    observed /= n;
    // Σ over ordered pairs i ≠ j of (a_i - a_j)² = 2n·Σa² - 2(Σa)²: linear, not quadratic.
    let sum: f64 = all.iter().sum();
    let squares: f64 = all.iter().map(|a| a * a).sum();
    let expected = (2.0 * n * squares - 2.0 * sum * sum).max(0.0);
    let expected = expected / (n * (n - 1.0));
    (expected > 1e-12).then(|| 1.0 - observed / expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RECORD_VERSION, TaskType, Usage};

    #[test]
    fn median_odd_even_ties_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[1.0, 1.0, 0.0]), Some(1.0));
        assert_eq!(median(&[0.5, 0.5]), Some(0.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
    }

    fn eval(judge: &str, scores: &[(&str, &[f64])], ok: bool) -> EvaluationRecord {
        EvaluationRecord {
            format_version: RECORD_VERSION,
            task: "t".into(),
            task_type: TaskType::ConstrainedContinuation,
            model: "m".into(),
            sample: 0,
            judge: judge.into(),
            simulated: false,
            generation_fingerprint: "0".repeat(32),
            generation_sha: "2".repeat(32),
            fingerprint: "1".repeat(32),
            round: None,
            status: if ok { Status::Ok } else { Status::Failed },
            error: None,
            failure: None,
            criteria: scores
                .iter()
                .map(|(c, s)| CriterionVerdict {
                    criterion: c.to_string(),
                    score: s.iter().sum::<f64>() / s.len().max(1) as f64,
                    verdict: String::new(),
                    evidence: String::new(),
                    reason: String::new(),
                    items: if s.len() > 1 {
                        s.iter()
                            .enumerate()
                            .map(|(i, v)| crate::model::ItemVerdict {
                                item: i as u32 + 1,
                                score: *v,
                                verdict: String::new(),
                                evidence: String::new(),
                                reason: String::new(),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            raw: None,
            usage: Usage::default(),
            cost_usd: None,
            latency_ms: 0,
            created_at: String::new(),
            batch: None,
        }
    }

    static WHOLE: std::sync::LazyLock<crate::criteria::Criterion> =
        std::sync::LazyLock::new(|| crate::criteria::Criterion {
            id: "a".into(),
            weight: 75,
            scale: crate::criteria::Scale::Verdict,
            per: None,
            question: "?".into(),
        });
    static PER_ITEM: std::sync::LazyLock<crate::criteria::Criterion> =
        std::sync::LazyLock::new(|| crate::criteria::Criterion {
            id: "b".into(),
            weight: 25,
            scale: crate::criteria::Scale::Verdict,
            per: Some(crate::criteria::Per::MustInclude),
            question: "?".into(),
        });
    static JUDGE_60: PassRule = PassRule::JudgeScore(0.6);
    static ITEMS_80: std::sync::LazyLock<PassRule> =
        std::sync::LazyLock::new(|| PassRule::ItemsMet {
            share: 0.8,
            of: vec!["a".into(), "b".into()],
        });

    /// `a` (75) judged whole, `b` (25) judged over two items, under `pass`.
    fn rubric(pass: &'static PassRule) -> Rubric {
        Rubric {
            task_type: TaskType::ConstrainedContinuation,
            pass,
            entries: vec![
                crate::judge::Entry {
                    criterion: &WHOLE,
                    weight: 75,
                    items: Vec::new(),
                },
                crate::judge::Entry {
                    criterion: &PER_ITEM,
                    weight: 25,
                    items: vec!["x".into(), "y".into()],
                },
            ],
        }
    }

    #[test]
    fn aggregates_items_by_median_then_mean_and_skips_failed_judges() {
        let e1 = eval("j1", &[("a", &[1.0]), ("b", &[0.0, 1.0])], true);
        let e2 = eval("j2", &[("a", &[0.5]), ("b", &[0.5, 1.0])], true);
        let e3 = eval("j3", &[("a", &[0.0]), ("b", &[1.0, 0.0])], true);
        let failed = eval("j4", &[], false);
        let agg = aggregate(&rubric(&JUDGE_60), &[&e1, &e2, &e3, &failed]);
        assert_eq!(agg.judges, 3);
        // a: median(1, 0.5, 0) = 0.5. b: item 1 median(0, 0.5, 1) = 0.5, item 2
        // median(1, 1, 0) = 1, criterion = (0.5 + 1) / 2 = 0.75.
        assert_eq!(agg.criteria[0].score, Some(0.5));
        assert_eq!(agg.criteria[1].items, vec![Some(0.5), Some(1.0)]);
        assert_eq!(agg.criteria[1].score, Some(0.75));
        // Judge part: (75 × 0.5 + 25 × 0.75) / 100 = 0.5625, under 0.6: fails.
        assert!((agg.judge.unwrap() - 0.5625).abs() < 1e-12);
        assert_eq!(agg.pass, Some(false));
        assert_eq!(final_score(1.0, agg.judge), Some(78.125));
    }

    #[test]
    fn items_met_rule_counts_medians_above_one_half() {
        let e1 = eval("j1", &[("a", &[1.0]), ("b", &[1.0, 1.0])], true);
        let e2 = eval("j2", &[("a", &[1.0]), ("b", &[0.5, 1.0])], true);
        let e3 = eval("j3", &[("a", &[0.5]), ("b", &[0.0, 1.0])], true);
        // a: median 1 (met); b item 1: median 0.5 (not met), item 2: 1 (met): 2 of 3.
        let agg = aggregate(&rubric(&ITEMS_80), &[&e1, &e2, &e3]);
        assert_eq!(agg.met, Some((2, 3)));
        assert_eq!(agg.pass, Some(false), "2/3 < 80%");
        let e3 = eval("j3", &[("a", &[0.5]), ("b", &[1.0, 1.0])], true);
        let agg = aggregate(&rubric(&ITEMS_80), &[&e1, &e2, &e3]);
        assert_eq!(agg.met, Some((3, 3)));
        assert_eq!(agg.pass, Some(true));
    }

    #[test]
    fn no_judges_means_no_score_and_no_pass() {
        let failed = eval("j3", &[], false);
        let none = aggregate(&rubric(&JUDGE_60), &[&failed]);
        assert_eq!(none.judge, None);
        assert_eq!(none.pass, None);
        assert_eq!(final_score(0.8, none.judge), None, "never silently zero");
        let none = aggregate(&rubric(&ITEMS_80), &[]);
        assert_eq!((none.pass, none.met), (None, None));
    }

    #[test]
    fn a_criterion_no_judge_scored_is_left_out_of_the_weights() {
        let e1 = eval("j1", &[("a", &[0.8])], true);
        let agg = aggregate(&rubric(&JUDGE_60), &[&e1]);
        assert_eq!(agg.criteria[1].score, None);
        assert!((agg.judge.unwrap() - 0.8).abs() < 1e-12);
    }

    #[test]
    fn kendall_tau_b_known_values() {
        let s = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
        assert_eq!(
            kendall_tau_b(&s(&[1.0, 2.0, 3.0]), &s(&[1.0, 2.0, 3.0])),
            Some(1.0)
        );
        assert_eq!(
            kendall_tau_b(&s(&[1.0, 2.0, 3.0]), &s(&[3.0, 2.0, 1.0])),
            Some(-1.0)
        );
        // With ties: x = 1,2,2,3; y = 1,3,2,4 → C=5, D=0, ties_x=1 → 5/sqrt(6*5).
        let t = kendall_tau_b(&s(&[1.0, 2.0, 2.0, 3.0]), &s(&[1.0, 3.0, 2.0, 4.0])).unwrap();
        assert!((t - 5.0 / 30f64.sqrt()).abs() < 1e-12, "{t}");
        assert_eq!(
            kendall_tau_b(&s(&[1.0, 1.0]), &s(&[1.0, 2.0])),
            None,
            "constant rater"
        );
        assert_eq!(
            kendall_tau_b(&[Some(1.0), None], &[Some(1.0), Some(2.0)]),
            None
        );
    }

    #[test]
    fn kendall_fast_path_agrees_with_counting_pairs() {
        // The O(n²) definition, on data with many ties.
        fn slow(x: &[f64], y: &[f64]) -> Option<f64> {
            let (mut c, mut d, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
            for i in 0..x.len() {
                for j in i + 1..x.len() {
                    let (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                    match (dx == 0.0, dy == 0.0) {
                        (true, true) => {}
                        (true, false) => tx += 1,
                        (false, true) => ty += 1,
                        _ if (dx > 0.0) == (dy > 0.0) => c += 1,
                        _ => d += 1,
                    }
                }
            }
            let den = (((c + d + tx) * (c + d + ty)) as f64).sqrt();
            (den > 0.0).then(|| (c - d) as f64 / den)
        }
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % 5) as f64
        };
        for n in [2, 3, 10, 57] {
            let x: Vec<f64> = (0..n).map(|_| next()).collect();
            let y: Vec<f64> = (0..n).map(|_| next()).collect();
            let fast = kendall_tau_b(
                &x.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
                &y.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
            );
            match (fast, slow(&x, &y)) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "n={n}: {a} vs {b}"),
                (a, b) => assert_eq!(a, b, "n={n}"),
            }
        }
    }

    #[test]
    fn krippendorff_alpha_known_values() {
        // Perfect agreement with variance across units.
        let perfect = vec![vec![1.0, 1.0], vec![3.0, 3.0], vec![5.0, 5.0, 5.0]];
        assert_eq!(krippendorff_alpha_interval(&perfect), Some(1.0));
        // Two raters, values (1,2), (2,1): D_o = 1; D_e = 8/12 → alpha = 1 - 1.5 = -0.5.
        let a = krippendorff_alpha_interval(&[vec![1.0, 2.0], vec![2.0, 1.0]]).unwrap();
        assert!((a + 0.5).abs() < 1e-12, "{a}");
        // Missing ratings: a unit with one value is not pairable and changes nothing.
        let with_single = vec![vec![1.0, 1.0], vec![3.0, 3.0], vec![9.0]];
        assert_eq!(krippendorff_alpha_interval(&with_single), Some(1.0));
        assert_eq!(krippendorff_alpha_interval(&[vec![2.0, 2.0]]), None);
        assert_eq!(krippendorff_alpha_interval(&[]), None);
    }
}
