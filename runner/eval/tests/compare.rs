//! The paired comparison on hand-built stores: every number checked against a value
//! worked out by hand in the comments. One judge (`j1`), so an item's judge part is that
//! judge's level (every criterion and item gets the same one) and its score is
//! 50 × programmatic + 50 × level.

mod support;

use fabula_core::model::FailureKind;
use fabula_eval::compare::{Pick, Side};
use fabula_eval::stats;
use std::collections::BTreeMap;
use support::*;

fn close(x: f64, y: f64) -> bool {
    (x - y).abs() < 1e-9
}

/// | item | A | B | B − A |
/// |---|---|---|---|
/// | t1 s0 | 50×.8 + 50×.5 = 65 | 50×.8 + 50×1 = 90 | +25 |
/// | t1 s1 | 65 | 65 | 0 (tie) |
/// | t2 s0 | 65 | 50×1 + 50×.5 = 75 | +10 |
/// | t2 s1 | model failure (length): 0 | 65 | +65 |
/// | t3 s0 | 65 | not generated | no pair |
/// | t3 s1 | judge failed: incomplete | 65 | no pair |
///
/// Pairs: t1 [25, 0], t2 [10, 65]. Mean over tasks: (12.5 + 37.5) / 2 = 25; A: (65 +
/// 32.5) / 2 = 48.75; B: (77.5 + 70) / 2 = 73.75. Wins 3, ties 1, losses 0.
/// Permutation test: each pair weighs 1/(2 tasks × 2 pairs) = ¼, so the non-zero terms
/// are 6.25, 2.5, 16.25 (sum 25); of the 8 sign patterns only all-plus and all-minus
/// reach |25|: p = 2/8 = 0.25, exact.
#[test]
fn pairs_and_their_statistics_match_the_hand_worked_values() {
    let ws = workspace(2, 3, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    for (task, sample) in [("t1", 0), ("t1", 1), ("t2", 0), ("t3", 0)] {
        s.item("A", task, sample, 0.8, Some(0.5));
    }
    s.generation("A", "t2", 1, 0.0, Some(FailureKind::Length), None);
    s.item("A", "t3", 1, 0.8, None);
    s.item("B", "t1", 0, 0.8, Some(1.0));
    s.item("B", "t1", 1, 0.8, Some(0.5));
    s.item("B", "t2", 0, 1.0, Some(0.5));
    s.item("B", "t2", 1, 0.8, Some(0.5));
    s.item("B", "t3", 1, 0.8, Some(0.5));

    let c = s.compare(s.today("A"), s.today("B"));
    assert_eq!((c.items, c.pairs), (6, 4));
    assert_eq!(
        c.missing,
        BTreeMap::from([
            ("A: judges failed".to_string(), 1),
            ("B: not generated".to_string(), 1)
        ])
    );
    let d = c.overall.as_ref().unwrap();
    assert!(
        close(d.a, 48.75) && close(d.b, 73.75) && close(d.diff, 25.0),
        "{d:?}"
    );
    assert_eq!((d.wins, d.ties, d.losses, d.pairs), (3, 1, 0, 4));
    assert_eq!(d.p.p, 0.25);
    assert!(d.p.exact);
    // The paired bootstrap is the bootstrap of the differences, grouped by task.
    let ci = stats::bootstrap_ci(
        &[vec![25.0, 0.0], vec![10.0, 65.0]],
        stats::RESAMPLES,
        stats::SEED,
    )
    .unwrap();
    assert_eq!((d.ci_low, d.ci_high), ci);
    assert!(d.ci_low < 25.0 && 25.0 < d.ci_high);

    // One task type: its row is the overall one, and Holm over one row changes nothing.
    assert_eq!(c.by_type.len(), 1);
    assert_eq!(c.by_type[0].diff.p_holm, Some(0.25));
    // Per criterion: only pairs both sides judged (t2 s1 failed on A). Every criterion
    // moved like the judge part: t1 [+50, 0], t2 [0] → (25 + 0) / 2 = 12.5.
    assert_eq!(c.by_criterion.len(), 7, "beat_revision's seven criteria");
    for row in &c.by_criterion {
        assert!(close(row.diff.diff, 12.5), "{row:?}");
        assert_eq!(row.diff.pairs, 3);
        // One non-zero difference: p = 2/2 = 1, so Holm leaves 1.
        assert_eq!((row.diff.p.p, row.diff.p_holm), (1.0, Some(1.0)));
    }

    // Moved most: t2 s1 (+65, a model failure), t1 s0 (+25: every criterion 0.5 → 1;
    // the first of the heaviest, `diagnosis` (weight 20 of 100), moved 50 × 20 × 0.5 /
    // 100 = 5 points, more than the programmatic part's 0), t2 s0 (+10: programmatic
    // 0.8 → 1.0 moved 50 × 0.2 = 10 points, the criteria 0).
    let moved: Vec<(&str, u32, f64, &str)> = c
        .moved
        .iter()
        .map(|m| (m.task.as_str(), m.sample, m.diff, m.reason.as_str()))
        .collect();
    assert_eq!(
        moved,
        vec![
            ("t2", 1, 65.0, "A failed (length): scores 0"),
            (
                "t1",
                0,
                25.0,
                "`diagnosis` 0.50 → 1.00; j1 on A: j1 on A on diagnosis (\u{201c}the lamp\u{201d})"
            ),
            (
                "t2",
                0,
                10.0,
                "programmatic 0.80 → 1.00, mostly word range (160 → 200 words)"
            ),
        ]
    );
}

/// Two task types, one pair per task: four beat_revision tasks where B gains 20, 30, 10,
/// 40, and the interpolation task where it gains 10 (A: programmatic .6, B: .8, both
/// level .5).
///
/// - beat_revision: all four differences positive; only all-plus and all-minus reach the
///   observed sum: p = 2/16 = 0.125.
/// - beat_interpolation: one non-zero difference: p = 2/2 = 1.
/// - Holm: 0.125 × 2 = 0.25; 1 × 1 = 1 → 0.25 and 1.
/// - Overall: five positive differences in five tasks: p = 2/32 = 0.0625; mean (20 + 30
///   + 10 + 40 + 10) / 5 = 22.
#[test]
fn task_types_get_their_own_rows_with_holm_adjusted_p_values() {
    let ws = workspace(1, 4, true);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    for (task, gain) in [("t1", 0.4), ("t2", 0.6), ("t3", 0.2), ("t4", 0.8)] {
        s.item("A", task, 0, 0.0, Some(0.0));
        // 50 × gain in the programmatic part.
        s.item("B", task, 0, gain, Some(0.0));
    }
    s.item("A", "chasqui-road-back", 0, 0.6, Some(0.5));
    s.item("B", "chasqui-road-back", 0, 0.8, Some(0.5));
    let c = s.compare(s.today("A"), s.today("B"));
    let rows: Vec<(&str, f64, f64, Option<f64>)> = c
        .by_type
        .iter()
        .map(|t| (t.task_type.as_str(), t.diff.diff, t.diff.p.p, t.diff.p_holm))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "beat_interpolation");
    assert!(close(rows[0].1, 10.0));
    assert_eq!((rows[0].2, rows[0].3), (1.0, Some(1.0)));
    assert_eq!(rows[1].0, "beat_revision");
    assert!(close(rows[1].1, 25.0));
    assert_eq!((rows[1].2, rows[1].3), (0.125, Some(0.25)));
    let d = c.overall.unwrap();
    assert!(close(d.diff, 22.0));
    assert_eq!(d.p.p, 0.0625);
    assert!(!c.by_type[1].diff.significant(), "0.25 after Holm");
}

/// The report's Compare section leaves the per-criterion rows out (it does not show
/// them, and they are most of the work): everything else is the same comparison.
#[test]
fn skipping_the_criteria_leaves_the_rest_unchanged() {
    let ws = workspace(1, 4, true);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    for (task, gain) in [("t1", 0.4), ("t2", 0.6), ("t3", 0.2), ("t4", 0.8)] {
        s.item("A", task, 0, 0.0, Some(0.0));
        s.item("B", task, 0, gain, Some(0.5));
    }
    let full = s.compare(s.today("A"), s.today("B"));
    assert!(!full.by_criterion.is_empty());
    let lean = s.compare_with(
        s.today("A"),
        s.today("B"),
        &fabula_eval::compare::Options {
            skip_criteria: true,
            ..Default::default()
        },
    );
    assert!(lean.by_criterion.is_empty());
    assert_eq!(
        fabula_eval::compare::Comparison {
            by_criterion: Vec::new(),
            ..full
        },
        lean
    );
}

/// The gate: B significantly worse (p < 0.05) with the whole interval under −margin.
/// Six tasks where B loses 10 each: the exact p is 2/64 = 0.03125 and every bootstrap
/// resample has mean −10, so the interval is [−10, −10].
#[test]
fn the_gate_needs_significance_and_the_interval_past_the_margin() {
    let ws = workspace(1, 6, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    for n in 1..=6 {
        let t = format!("t{n}");
        s.item("A", &t, 0, 0.6, Some(0.5));
        s.item("B", &t, 0, 0.4, Some(0.5));
    }
    let c = s.compare(s.today("A"), s.today("B"));
    let d = c.overall.as_ref().unwrap();
    assert_eq!(d.p.p, 0.03125);
    assert!(close(d.ci_high, -10.0) && close(d.ci_low, -10.0));
    assert!(c.regression(9.5).is_some());
    assert!(c.regression(10.0).is_none(), "−10 is not worse than −10");
    // The other way round B is better: never a regression.
    let reverse = s.compare(s.today("B"), s.today("A"));
    assert!(reverse.regression(0.0).is_none());
    // Five tasks: p = 2/32 = 0.0625, not significant, whatever the interval.
    let ws5 = workspace(1, 5, false);
    let mut s5 = Store::new(&ws5, &dialects);
    for n in 1..=5 {
        let t = format!("t{n}");
        s5.item("A", &t, 0, 0.6, Some(0.5));
        s5.item("B", &t, 0, 0.4, Some(0.5));
    }
    let c5 = s5.compare(s5.today("A"), s5.today("B"));
    assert_eq!(c5.overall.as_ref().unwrap().p.p, 0.0625);
    assert!(c5.regression(0.0).is_none());
    // No pairs: nothing to gate on.
    let empty = Store::new(&ws5, &dialects);
    let none = empty.compare(empty.today("A"), empty.today("B"));
    assert_eq!((none.pairs, none.overall.is_none()), (0, true));
    assert!(none.regression(0.0).is_none());
}

/// Before and after a change in one store: the stale records are the "before".
///
/// - t1: the generation changed (a prompt edit): stale generation scored 50 × .5 + 50 ×
///   .5 = 50, today's 50 × .9 + 50 × .5 = 70: +20.
/// - t2: only the judging changed: today's generation (programmatic .6) judged 0 by the
///   stale evaluation and 1 by today's: 30 → 80: +50.
/// - t3: nothing changed: no stale record, no pair.
#[test]
fn stale_records_are_the_before_of_a_change() {
    let ws = workspace(1, 3, false);
    let dialects = dialects();
    let mut s = Store::new(&ws, &dialects);
    let old = s.generation(
        "A",
        "t1",
        0,
        0.5,
        None,
        Some("0ld0000000000000000000000000000a"),
    );
    s.evaluation(
        "A",
        "t1",
        0,
        &old,
        Some(0.5),
        Some("0ld0000000000000000000000000000b"),
        "old",
    );
    s.item("A", "t1", 0, 0.9, Some(0.5));
    let g = s.generation("A", "t2", 0, 0.6, None, None);
    s.evaluation(
        "A",
        "t2",
        0,
        &g,
        Some(0.0),
        Some("0ld0000000000000000000000000000c"),
        "old",
    );
    s.evaluation("A", "t2", 0, &g, Some(1.0), None, "new");
    s.item("A", "t3", 0, 0.7, Some(0.5));
    let before = Side {
        model: "A",
        records: &s.records,
        pick: Pick::Replaced,
    };
    let c = s.compare(before, s.today("A"));
    assert_eq!(c.pairs, 2);
    assert_eq!(
        c.missing,
        BTreeMap::from([("A: no stale record".to_string(), 1)])
    );
    let mut moved: Vec<(&str, f64)> = c.moved.iter().map(|m| (m.task.as_str(), m.diff)).collect();
    moved.sort_by(|x, y| x.0.cmp(y.0));
    assert!(
        close(moved[0].1, 20.0) && close(moved[1].1, 50.0),
        "{moved:?}"
    );
    assert!(close(c.overall.unwrap().diff, 35.0));
}

/// Another store, made before a change: whatever it holds counts (its fingerprints are
/// not today's), newest generation per item and newest evaluation per judge.
#[test]
fn another_store_counts_what_it_recorded() {
    let ws = workspace(1, 2, false);
    let dialects = dialects();
    let mut base = Store::new(&ws, &dialects);
    let older = base.generation(
        "A",
        "t1",
        0,
        0.1,
        None,
        Some("0ld0000000000000000000000000000d"),
    );
    base.evaluation(
        "A",
        "t1",
        0,
        &older,
        Some(0.0),
        Some("0ld0000000000000000000000000000e"),
        "x",
    );
    let newer = base.generation(
        "A",
        "t1",
        0,
        0.5,
        None,
        Some("0ld0000000000000000000000000000f"),
    );
    base.evaluation(
        "A",
        "t1",
        0,
        &newer,
        Some(0.0),
        Some("0ld00000000000000000000000000010"),
        "x",
    );
    base.evaluation(
        "A",
        "t1",
        0,
        &newer,
        Some(0.5),
        Some("0ld00000000000000000000000000011"),
        "x",
    );
    let mut now = Store::new(&ws, &dialects);
    now.item("A", "t1", 0, 0.5, Some(1.0));
    now.item("A", "t2", 0, 0.5, Some(1.0));
    let c = now.compare(
        Side {
            model: "A",
            records: &base.records,
            pick: Pick::Recorded,
        },
        now.today("A"),
    );
    // t1: before 50 × .5 + 50 × .5 (the newer evaluation) = 50, now 75: +25.
    assert_eq!(c.pairs, 1);
    assert!(close(c.overall.as_ref().unwrap().diff, 25.0));
    assert_eq!(
        c.missing,
        BTreeMap::from([("A: no record in that store".to_string(), 1)])
    );
}
