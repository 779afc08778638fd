//! The paired comparison on hand-built stores: every number checked against a value
//! worked out by hand in the comments. One judge (`j1`), so an item's judge part is that
//! judge's level (every criterion and item gets the same one) and its score is
//! 50 × programmatic + 50 × level.

use fabula_core::document::Document;
use fabula_core::metrics;
use fabula_core::model::{
    Breakdown, CriterionVerdict, EvaluationRecord, FailureKind, GenerationSummary, ItemVerdict,
    ProgrammaticScores, RECORD_VERSION, Status, Usage,
};
use fabula_core::workspace::Workspace;
use fabula_eval::compare::{self, Comparison, Options, Pick, Side};
use fabula_eval::fingerprint::Current;
use fabula_eval::prepared::{self, PreparedTask};
use fabula_eval::records::Records;
use fabula_eval::stats;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn config(samples: u32) -> String {
    format!(
        "version: 1
providers:
  sim: {{ kind: sim }}
models:
  A: {{ provider: sim, model: sim/writer-a }}
  B: {{ provider: sim, model: sim/writer-b }}
  j1: {{ provider: sim, model: sim/judge-1, enabled: false }}
judges: [j1]
settings: {{ samples: {samples} }}
"
    )
}

fn revision(id: &str) -> String {
    format!(
        "id: {id}
type: beat_revision
title: {id}
theory: three_act
words: {{ min: 100, max: 200 }}
beat: setup
segment: The lamp was lit at dusk and nobody came.
must_preserve: [the lamp]
flaw: {{ category: passive_protagonist, description: Nobody acts. }}
"
    )
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A workspace of `revisions` beat_revision tasks (t1, t2, …) and, with `interpolation`,
/// the shipped beat_interpolation task `chasqui-road-back`.
fn workspace(samples: u32, revisions: usize, interpolation: bool) -> Workspace {
    let read = |p: &str| std::fs::read(repo().join(p)).unwrap();
    let mut docs = vec![
        Document::from_bytes("fabula.yaml", config(samples).as_bytes()),
        Document::from_bytes(
            "dataset/theories/three_act.yaml",
            &read("dataset/theories/three_act.yaml"),
        ),
    ];
    for n in 1..=revisions {
        let id = format!("t{n}");
        docs.push(Document::from_bytes(
            &format!("dataset/tasks/beat_revision/{id}.yaml"),
            revision(&id).as_bytes(),
        ));
    }
    if interpolation {
        for p in [
            "dataset/theories/heros_journey.yaml",
            "dataset/tasks/beat_interpolation/chasqui-road-back.yaml",
        ] {
            docs.push(Document::from_bytes(p, &read(p)));
        }
    }
    let ws = Workspace::new(docs);
    for d in ws.documents() {
        assert!(d.diagnostics.is_empty(), "{}: {:?}", d.path, d.diagnostics);
    }
    ws
}

struct Store<'a> {
    current: Current<'a>,
    tasks: Vec<Arc<PreparedTask>>,
    records: Records,
    /// Seconds into the day of the next record: later records are newer.
    clock: u32,
}

impl<'a> Store<'a> {
    fn new(ws: &'a Workspace, dialects: &'a BTreeMap<String, String>) -> Store<'a> {
        let (_, config) = ws.config().unwrap();
        Store {
            current: Current::new(config, &[], dialects),
            tasks: prepared::tasks(ws, config)
                .into_iter()
                .map(Arc::new)
                .collect(),
            records: Records::default(),
            clock: 0,
        }
    }

    fn task(&self, id: &str) -> PreparedTask {
        self.tasks
            .iter()
            .find(|t| t.id() == id)
            .unwrap()
            .as_ref()
            .clone()
    }

    fn stamp(&mut self) -> (PathBuf, String) {
        self.clock += 1;
        (
            PathBuf::from(format!("results/{}.json", self.clock)),
            format!(
                "2026-12-01T00:{:02}:{:02}.000Z",
                self.clock / 60,
                self.clock % 60
            ),
        )
    }

    /// A generation: ok with programmatic `prog` (word score `prog` too, `words` words),
    /// or failed with `failure`. `fingerprint` overrides today's (a stale record).
    fn generation(
        &mut self,
        model: &str,
        task: &str,
        sample: u32,
        prog: f64,
        failure: Option<FailureKind>,
        fingerprint: Option<&str>,
    ) -> String {
        let t = self.task(task);
        let fingerprint = fingerprint
            .map(str::to_string)
            .unwrap_or_else(|| self.current.generation(&t, model).unwrap());
        let (path, created_at) = self.stamp();
        let view_sha = fabula_eval::fingerprint::sha_hex(
            format!("{model}/{task}/{sample}/{fingerprint}").as_bytes(),
        );
        let g = GenerationSummary {
            format_version: RECORD_VERSION,
            task: task.into(),
            task_type: t.task.task_type(),
            model: model.into(),
            simulated: true,
            sample,
            fingerprint: fingerprint.clone(),
            status: if failure.is_none() {
                Status::Ok
            } else {
                Status::Failed
            },
            error: failure.map(|f| f.as_str().to_string()),
            failure,
            view_sha: failure.is_none().then(|| view_sha.clone()),
            output: "The lamp burned.".into(),
            questions: Vec::new(),
            usage: Usage::default(),
            usage_by_role: BTreeMap::new(),
            programmatic: failure.is_none().then(|| ProgrammaticScores {
                key: metrics::cache_key(t.task.words, &[]),
                trajectory: vec![prog],
                breakdown: Breakdown {
                    words: (prog * 200.0) as u64,
                    word_score: prog,
                    total: prog,
                    ..Breakdown::default()
                },
            }),
            cost_usd: None,
            latency_ms: 0,
            created_at,
        };
        self.records.generations.push((path, g));
        fingerprint
    }

    /// j1's evaluation of a generation: every criterion and item at `level`, or a
    /// provider failure. `fingerprint` overrides today's evaluation fingerprint.
    #[expect(
        clippy::too_many_arguments,
        reason = "a test builder: every field named at the call"
    )]
    fn evaluation(
        &mut self,
        model: &str,
        task: &str,
        sample: u32,
        generation: &str,
        level: Option<f64>,
        fingerprint: Option<&str>,
        reason: &str,
    ) {
        let t = self.task(task);
        let fingerprint = fingerprint
            .map(str::to_string)
            .unwrap_or_else(|| self.current.evaluation(&t, generation, "j1").unwrap());
        let rubric = fabula_core::judge::rubric(t.input(&[]));
        let verdict = |l: f64| ["fail", "partial", "pass"][(l * 2.0) as usize].to_string();
        let criteria = match level {
            None => Vec::new(),
            Some(l) => rubric
                .entries
                .iter()
                .map(|e| CriterionVerdict {
                    criterion: e.id().to_string(),
                    score: l,
                    verdict: if e.items.is_empty() {
                        verdict(l)
                    } else {
                        String::new()
                    },
                    evidence: "the lamp".into(),
                    reason: format!("{reason} on {}", e.id()),
                    items: (1..=e.items.len() as u32)
                        .map(|n| ItemVerdict {
                            item: n,
                            score: l,
                            verdict: verdict(l),
                            evidence: "the lamp".into(),
                            reason: format!("{reason} on {} item {n}", e.id()),
                        })
                        .collect(),
                })
                .collect(),
        };
        let (path, created_at) = self.stamp();
        let e = EvaluationRecord {
            format_version: RECORD_VERSION,
            task: task.into(),
            task_type: t.task.task_type(),
            model: model.into(),
            sample,
            judge: "j1".into(),
            simulated: true,
            generation_fingerprint: generation.into(),
            generation_sha: fabula_eval::fingerprint::sha_hex(
                format!("{model}/{task}/{sample}/{generation}").as_bytes(),
            ),
            fingerprint,
            round: None,
            status: if level.is_some() {
                Status::Ok
            } else {
                Status::Failed
            },
            error: level.is_none().then(|| "HTTP 503".to_string()),
            failure: level.is_none().then_some(FailureKind::Provider),
            criteria,
            raw: None,
            usage: Usage::default(),
            cost_usd: None,
            latency_ms: 0,
            created_at,
        };
        self.records.evaluations.push((path, e));
    }

    /// An ok generation judged by j1 at `level` (None: j1 failed), today's records.
    fn item(&mut self, model: &str, task: &str, sample: u32, prog: f64, level: Option<f64>) {
        let g = self.generation(model, task, sample, prog, None, None);
        self.evaluation(
            model,
            task,
            sample,
            &g,
            level,
            None,
            &format!("j1 on {model}"),
        );
    }

    fn compare(&self, a: Side<'_>, b: Side<'_>) -> Comparison {
        compare::compare(
            &self.current,
            &self.tasks,
            a,
            b,
            &["j1".to_string()],
            &Options::default(),
        )
    }

    fn today(&self, model: &'a str) -> Side<'_> {
        Side {
            model,
            records: &self.records,
            pick: Pick::Today,
        }
    }
}

fn dialects() -> BTreeMap<String, String> {
    BTreeMap::from([("sim".to_string(), "sim".to_string())])
}

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
