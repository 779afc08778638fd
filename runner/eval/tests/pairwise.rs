//! Pairwise judging on hand-built stores: what a compare must run, how the two orders
//! combine (a judge that always picks the first output is cancelled), the criterion and
//! overall answers with the rubric's weights, lengths, and the Bradley–Terry ranking.
//! Tasks t1..t3 (beat_revision); its rubric, in order: diagnosis 20, flaw_fixed 20,
//! beat_satisfied 20, preservation 10, required_kept 10, minimal_change 10, quality 10.

mod support;

use fabula_core::model::Preference::{self, First, Second, Tie};
use fabula_eval::pairwise::{self, Selection};
use fabula_eval::stats::{self, Meeting};
use support::*;

/// What `judges` comparing every pair of `models` on the store's tasks (one sample)
/// plan and report.
fn plan(s: &Store<'_>, models: &[&str], judges: &[&str]) -> pairwise::PairPlan {
    let (m, j) = (names(models), names(judges));
    pairwise::plan(&s.current, selection(s, &m, &j), &s.records)
}

fn report(s: &Store<'_>, models: &[&str], judges: &[&str]) -> pairwise::Report {
    let (m, j) = (names(models), names(judges));
    pairwise::report(
        &s.current,
        selection(s, &m, &j),
        &s.records,
        stats::RESAMPLES,
    )
}

fn selection<'a>(s: &'a Store<'_>, models: &'a [String], judges: &'a [String]) -> Selection<'a> {
    Selection {
        models,
        judges,
        tasks: &s.tasks,
        samples: 1,
    }
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn generations(s: &mut Store<'_>, models: &[&str], tasks: usize) {
    for m in models {
        for t in 1..=tasks {
            s.generation(m, &format!("t{t}"), 0, 0.8, None, None);
        }
    }
}

/// Both orders of `judge` on one item of A and B, in the configs' terms: `a_first(i)` is
/// the answer on criterion i with A shown first, `b_first(i)` with B shown first.
fn both_orders(
    s: &mut Store<'_>,
    judge: &str,
    task: &str,
    a_first: &dyn Fn(usize) -> Preference,
    b_first: &dyn Fn(usize) -> Preference,
) {
    s.pairwise(judge, task, 0, ("A", "B"), Some(a_first), (100, 100));
    s.pairwise(judge, task, 0, ("B", "A"), Some(b_first), (100, 100));
}

#[test]
fn a_judge_that_always_picks_the_first_output_is_cancelled() {
    let ws = workspace(1, 3, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    generations(&mut s, &["A", "B"], 3);
    // 3 items × 2 judges × 2 orders.
    let both = ["j1", "j2"];
    let plan = self::plan(&s, &["A", "B"], &both);
    assert_eq!((plan.jobs.len(), plan.done, plan.unpaired), (12, 0, 0));
    let orders: Vec<(&str, &str)> = plan
        .jobs
        .iter()
        .map(|j| (j.first.model.as_str(), j.second.model.as_str()))
        .collect();
    assert_eq!(orders.iter().filter(|o| **o == ("A", "B")).count(), 6);
    assert_eq!(orders.iter().filter(|o| **o == ("B", "A")).count(), 6);
    for judge in ["j1", "j2"] {
        for t in ["t1", "t2", "t3"] {
            both_orders(&mut s, judge, t, &|_| First, &|_| First);
        }
    }
    let plan = self::plan(&s, &["A", "B"], &both);
    assert_eq!((plan.jobs.len(), plan.done), (0, 12), "nothing left to run");
    let report = report(&s, &["A", "B"], &both);
    let m = &report.matchups[0];
    assert_eq!(
        (m.a.as_str(), m.b.as_str(), m.items, m.compared),
        ("A", "B", 3, 3)
    );
    // Every judge's two orders disagree: every item is a tie, B's win rate exactly half.
    assert_eq!((m.record.wins, m.record.ties, m.record.losses), (0, 3, 0));
    let w = m.win_rate.as_ref().unwrap();
    assert_eq!((w.rate, w.ci_low, w.ci_high, w.p.p), (0.5, 0.5, 0.5, 1.0));
    // The bias is reported: every single-order answer picked the first output.
    let p = &m.position;
    assert_eq!(
        (p.judgements, p.disagreements, p.decided, p.first_won),
        (6, 6, 12, 12)
    );
    assert_eq!(m.by_criterion.len(), 7);
    for c in &m.by_criterion {
        assert_eq!((c.record.ties, c.order_disagreements), (3, 6), "{c:?}");
    }
    assert!(report.ranking.is_empty(), "two configs: no ranking");
}

/// j1 reads the texts and prefers B whatever the order; j2 always picks the first. Per
/// item the judges say +1 and 0: median ½, so B wins all three items. The exact p of
/// three wins in three tasks is 2/8; every resample of three wins is a win rate of 1.
#[test]
fn a_consistent_preference_wins_through_a_biased_judge() {
    let ws = workspace(1, 3, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    generations(&mut s, &["A", "B"], 3);
    for t in ["t1", "t2", "t3"] {
        both_orders(&mut s, "j1", t, &|_| Second, &|_| First);
        both_orders(&mut s, "j2", t, &|_| First, &|_| First);
    }
    let report = report(&s, &["A", "B"], &["j1", "j2"]);
    let m = &report.matchups[0];
    assert_eq!((m.record.wins, m.record.ties, m.record.losses), (3, 0, 0));
    let w = m.win_rate.as_ref().unwrap();
    assert_eq!((w.rate, w.ci_low, w.ci_high, w.p.p), (1.0, 1.0, 1.0, 0.25));
    // j2's 3 judgements disagree; of the 12 single-order answers, j1's A-first ones (3)
    // picked the second output, the other 9 the first.
    let p = &m.position;
    assert_eq!(
        (p.judgements, p.disagreements, p.decided, p.first_won),
        (6, 3, 12, 9)
    );
}

/// One judge, one item, criterion by criterion (B's terms: + B better, − A better):
///
/// | criterion (weight) | A first | B first | combined |
/// |---|---|---|---|
/// | diagnosis (20) | second: + | first: + | + |
/// | flaw_fixed (20) | first: − | tie: 0 | tie, disagreement |
/// | beat_satisfied (20) | tie: 0 | first: + | tie, disagreement |
/// | quality (10) | first: − | second: − | − |
/// | the other three | tie | tie | tie |
///
/// Overall, A first: 20 − 20 − 10 = −10, A better; B first: 20 + 20 − 10 = +30, B
/// better. The orders disagree: the item is a tie.
#[test]
fn criteria_and_the_weighted_overall_combine_across_orders() {
    let ws = workspace(1, 1, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    generations(&mut s, &["A", "B"], 1);
    let a_first = |i: usize| [Second, First, Tie, Tie, Tie, Tie, First][i];
    let b_first = |i: usize| [First, Tie, First, Tie, Tie, Tie, Second][i];
    both_orders(&mut s, "j1", "t1", &a_first, &b_first);
    let report = report(&s, &["A", "B"], &["j1"]);
    let m = &report.matchups[0];
    assert_eq!((m.record.ties, m.position.disagreements), (1, 1));
    let got: Vec<(&str, (usize, usize, usize), usize)> = m
        .by_criterion
        .iter()
        .map(|c| {
            (
                c.criterion.as_str(),
                (c.record.wins, c.record.ties, c.record.losses),
                c.order_disagreements,
            )
        })
        .collect();
    // In the order the type lists its criteria.
    let want = [
        ("diagnosis", (1, 0, 0), 0),
        ("flaw_fixed", (0, 1, 0), 1),
        ("beat_satisfied", (0, 1, 0), 1),
        ("preservation", (0, 1, 0), 0),
        ("required_kept", (0, 1, 0), 0),
        ("minimal_change", (0, 1, 0), 0),
        ("quality", (0, 0, 1), 0),
    ];
    assert_eq!(got, want);
}

#[test]
fn only_todays_comparisons_of_the_stored_texts_count() {
    let ws = workspace(1, 2, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    generations(&mut s, &["A", "B"], 2);
    both_orders(&mut s, "j1", "t1", &|_| Second, &|_| First);
    // t2: one order failed, the other read a text that is not the stored generation.
    s.pairwise("j1", "t2", 0, ("A", "B"), None, (100, 100));
    s.pairwise("j1", "t2", 0, ("B", "A"), Some(&|_| First), (100, 100));
    s.records
        .pairwise
        .last_mut()
        .unwrap()
        .1
        .first
        .generation_sha = "0".repeat(32);
    let plan = plan(&s, &["A", "B"], &["j1"]);
    // The failed one is done (not retried by every compare); the mismatched one runs.
    assert_eq!((plan.done, plan.failed, plan.jobs.len()), (3, 1, 1));
    assert_eq!(
        (plan.jobs[0].task.id(), plan.jobs[0].first.model.as_str()),
        ("t2", "B")
    );
    let report = report(&s, &["A", "B"], &["j1"]);
    let m = &report.matchups[0];
    assert_eq!((m.items, m.compared, m.record.wins), (2, 1, 1));
    // A judge that is not selected does not count.
    let none = self::report(&s, &["A", "B"], &["j2"]);
    assert_eq!(none.matchups[0].compared, 0);
    assert!(none.matchups[0].win_rate.is_none());
}

#[test]
fn lengths_are_reported_with_whether_the_longer_output_won() {
    let ws = workspace(1, 2, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    generations(&mut s, &["A", "B"], 2);
    // t1: B (300 words) beats A (100); t2: A (250) beats B (150).
    s.pairwise("j1", "t1", 0, ("A", "B"), Some(&|_| Second), (100, 300));
    s.pairwise("j1", "t1", 0, ("B", "A"), Some(&|_| First), (300, 100));
    s.pairwise("j1", "t2", 0, ("A", "B"), Some(&|_| First), (250, 150));
    s.pairwise("j1", "t2", 0, ("B", "A"), Some(&|_| Second), (150, 250));
    let report = report(&s, &["A", "B"], &["j1"]);
    let l = &report.matchups[0].lengths;
    // A: (100 + 250) / 2 = 175; B: (300 + 150) / 2 = 225. The longer output won both.
    assert_eq!((l.mean_words_a, l.mean_words_b), (175.0, 225.0));
    assert_eq!((l.decided, l.longer_won), (2, 2));
}

/// Three configs, every pair compared on three tasks by j1, who prefers C to B to A
/// whatever the order. The ratings are the Bradley–Terry strengths of those nine
/// outcomes on the Elo-like scale, best first.
#[test]
fn three_configs_are_ranked_by_bradley_terry() {
    let ws = workspace(1, 3, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    generations(&mut s, &["A", "B", "C"], 3);
    let rank = |m: &str| ["A", "B", "C"].iter().position(|x| *x == m).unwrap();
    for t in ["t1", "t2", "t3"] {
        for (x, y) in [("A", "B"), ("A", "C"), ("B", "C")] {
            let better = if rank(x) > rank(y) { First } else { Second };
            s.pairwise("j1", t, 0, (x, y), Some(&|_| better), (100, 100));
            let flipped = if better == First { Second } else { First };
            s.pairwise("j1", t, 0, (y, x), Some(&|_| flipped), (100, 100));
        }
    }
    let report = report(&s, &["A", "B", "C"], &["j1"]);
    assert_eq!(report.matchups.len(), 3);
    assert!(
        report.matchups.iter().all(|m| m.record.wins == 3),
        "the later config wins"
    );
    let order: Vec<&str> = report.ranking.iter().map(|r| r.model.as_str()).collect();
    assert_eq!(order, ["C", "B", "A"]);
    // The same strengths from the meetings directly: B beat A, C beat A, C beat B, 3 each.
    let mut meetings = Vec::new();
    for (winner, loser) in [(1, 0), (2, 0), (2, 1)] {
        meetings.extend((0..3).map(|_| Meeting {
            a: winner,
            b: loser,
            score_a: 1.0,
        }));
    }
    let theta = stats::bradley_terry(3, &meetings);
    for r in &report.ranking {
        let t = theta[rank(&r.model)].unwrap();
        assert!((r.rating - (1000.0 + 400.0 * t / std::f64::consts::LN_10)).abs() < 1e-9);
        assert!(r.ci_low <= r.rating && r.rating <= r.ci_high, "{r:?}");
    }
}

#[test]
fn pairwise_fingerprints_follow_what_shapes_the_comparison() {
    let ws = workspace(1, 1, false);
    let dialects = dialects();
    let (_, config) = ws.config().unwrap();
    let s = Store::new(&ws, &dialects);
    let task = s.task("t1");
    let print = |first: &str, second: &str, judge: &str| {
        // A fresh `Current` each time: it caches a task's pairwise digest.
        fabula_eval::fingerprint::Current::new(config, &[], &dialects)
            .pairwise(&task, first, second, judge)
            .unwrap()
    };
    let base = print("g-a", "g-b", "j1");
    assert_eq!(base, print("g-a", "g-b", "j1"));
    assert_ne!(
        base,
        print("g-b", "g-a", "j1"),
        "the order shown is part of it"
    );
    assert_ne!(
        base,
        print("g-a", "g-c", "j1"),
        "a new generation is a new comparison"
    );
    assert_ne!(base, print("g-a", "g-b", "j2"), "another judge");
    let edited = fabula_core::template::overriding(
        "pairwise",
        "Which is better? {{first}} {{second}} {{fence}} {{task_type}} {{theory}} {{task}} {{beats}} {{hidden}} {{words_first}} {{words_second}} {{min}} {{max}} {{criteria_ids}} {{criteria}}",
        || print("g-a", "g-b", "j1"),
    );
    assert_ne!(base, edited, "the pairwise wording");
    let judge_edit = fabula_core::template::overriding("judge", "Judge {{generation}}", || {
        print("g-a", "g-b", "j1")
    });
    assert_eq!(
        base, judge_edit,
        "the pointwise judge prompt is not shown to pairwise judges"
    );
    assert!(s.current.pairwise(&task, "g-a", "g-b", "nobody").is_none());
}
