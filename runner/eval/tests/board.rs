//! The leaderboard's arithmetic on a hand-built store: 3 tasks × 3 models × 3 judges with
//! a failure of every kind. Every number the board prints is asserted against a value
//! worked out by hand below (the comments show the working).
//!
//! The store (three beat_revision tasks T1..T3 on Three-Act, one `must_preserve` item
//! each, so 7 rubric units per item: 6 criteria judged whole + 1 item; every judge gives
//! one verdict level to all 7 units of an item):
//!
//! | item | programmatic | j1 | j2 | j3 | judge part | final |
//! |---|---|---|---|---|---|---|
//! | A-T1 | 0.8 | pass (1) | partial (.5) | partial | median .5 | 50×.8 + 50×.5 = 65 |
//! | A-T2 | 0.6 | pass | pass | partial | 1 | 30 + 50 = 80 |
//! | A-T3 | model failure (length) | | | | | 0, complete |
//! | B-T1 | 1.0 | partial | fail | fail | 0 | 50 |
//! | B-T2 | 0.4 | pass | unparsable | provider failure | 1 (j1 alone) | 20 + 50 = 70 |
//! | B-T3 | infrastructure failure (provider) | | | | | incomplete |
//! | C-T1, C-T2 | 1.0 | pass | pass | pass | 1 | 100 |
//! | C-T3 | 1.0 | unparsable | unparsable | unparsable | unjudgeable: 0 | 50, complete |
//!
//! Common items (complete for every model): T1 and T2 (B-T3 is incomplete).

use fabula_core::document::Document;
use fabula_core::metrics;
use fabula_core::model::{
    Breakdown, CriterionVerdict, EvaluationRecord, FailureKind, GenerationSummary, ItemVerdict,
    ProgrammaticScores, RECORD_VERSION, Status, TaskType, Usage,
};
use fabula_core::workspace::Workspace;
use fabula_eval::fingerprint::Current;
use fabula_eval::leaderboard::{self, Options};
use fabula_eval::prepared::{self, PreparedTask};
use fabula_eval::records::Records;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const CONFIG: &str = "\
version: 1
providers:
  sim: { kind: sim }
models:
  A: { provider: sim, model: sim/writer-a }
  B: { provider: sim, model: sim/writer-b }
  C: { provider: sim, model: sim/writer-c }
  j1: { provider: sim, model: sim/judge-1, enabled: false }
  j2: { provider: sim, model: sim/judge-2, enabled: false }
  j3: { provider: sim, model: sim/judge-3, enabled: false }
judges: [j1, j2, j3]
settings: { samples: 1 }
";

fn task(id: &str) -> String {
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

struct Fixture {
    ws: Workspace,
    dialects: BTreeMap<String, String>,
}

impl Fixture {
    fn new() -> Fixture {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let theory = std::fs::read(root.join("dataset/theories/three_act.yaml")).unwrap();
        let mut docs = vec![
            Document::from_bytes("fabula.yaml", CONFIG.as_bytes()),
            Document::from_bytes("dataset/theories/three_act.yaml", &theory),
        ];
        for id in ["t1", "t2", "t3"] {
            docs.push(Document::from_bytes(
                &format!("dataset/tasks/beat_revision/{id}.yaml"),
                task(id).as_bytes(),
            ));
        }
        let ws = Workspace::new(docs);
        for d in ws.documents() {
            assert!(d.diagnostics.is_empty(), "{}: {:?}", d.path, d.diagnostics);
        }
        Fixture {
            ws,
            dialects: BTreeMap::from([("sim".to_string(), "sim".to_string())]),
        }
    }
}

/// The judges' verdict levels on one item.
#[derive(Clone, Copy)]
enum J {
    Level(f64),
    Unparsable,
    ProviderFailure,
}

fn verdict(level: f64) -> String {
    match level {
        1.0 => "pass",
        0.5 => "partial",
        _ => "fail",
    }
    .to_string()
}

struct Store<'a> {
    current: Current<'a>,
    tasks: Vec<Arc<PreparedTask>>,
    records: Records,
    next: usize,
}

impl Store<'_> {
    fn task(&self, id: &str) -> &PreparedTask {
        self.tasks.iter().find(|t| t.id() == id).unwrap()
    }

    fn path(&mut self) -> PathBuf {
        self.next += 1;
        PathBuf::from(format!("results/{}.json", self.next))
    }

    fn generation(
        &mut self,
        model: &str,
        task: &str,
        programmatic: Option<f64>,
        failure: Option<FailureKind>,
        cost: Option<f64>,
    ) {
        let t = self.task(task).clone();
        let fingerprint = self.current.generation(&t, model).unwrap();
        let key = metrics::cache_key(t.task.words, self.current.slop);
        let g = GenerationSummary {
            format_version: RECORD_VERSION,
            task: task.into(),
            task_type: TaskType::BeatRevision,
            model: model.into(),
            simulated: true,
            sample: 0,
            fingerprint,
            status: if failure.is_none() {
                Status::Ok
            } else {
                Status::Failed
            },
            error: failure.map(|f| format!("{} happened", f.as_str())),
            failure,
            view_sha: failure.is_none().then(|| sha(model, task)),
            output: "The lamp burned.".into(),
            questions: Vec::new(),
            usage: Usage {
                prompt_tokens: 100,
                completion_tokens: 200,
                reasoning_tokens: 0,
            },
            usage_by_role: BTreeMap::from([(
                "writer".to_string(),
                Usage {
                    prompt_tokens: 100,
                    completion_tokens: 200,
                    reasoning_tokens: 0,
                },
            )]),
            programmatic: programmatic.map(|p| ProgrammaticScores {
                key,
                trajectory: vec![p],
                breakdown: Breakdown {
                    total: p,
                    ..Breakdown::default()
                },
            }),
            cost_usd: cost,
            latency_ms: 1000,
            created_at: "2026-12-01T00:00:00.000Z".into(),
        };
        let path = self.path();
        self.records.generations.push((path, g));
    }

    fn evaluations(&mut self, model: &str, task: &str, judges: [J; 3], cost: f64) {
        for (judge, j) in ["j1", "j2", "j3"].into_iter().zip(judges) {
            let sha = sha(model, task);
            self.evaluation(model, task, judge, j, cost, &sha);
        }
    }

    fn evaluation(&mut self, model: &str, task: &str, judge: &str, j: J, cost: f64, sha: &str) {
        let t = self.task(task).clone();
        let gfp = self.current.generation(&t, model).unwrap();
        let fingerprint = self.current.evaluation(&t, &gfp, judge).unwrap();
        let rubric = fabula_core::judge::rubric(t.input(&[]));
        let (status, failure, criteria, cost) = match j {
            J::Level(level) => (
                Status::Ok,
                None,
                rubric
                    .entries
                    .iter()
                    .map(|e| CriterionVerdict {
                        criterion: e.id().to_string(),
                        score: level,
                        verdict: if e.items.is_empty() {
                            verdict(level)
                        } else {
                            String::new()
                        },
                        evidence: String::new(),
                        reason: String::new(),
                        items: (1..=e.items.len() as u32)
                            .map(|n| ItemVerdict {
                                item: n,
                                score: level,
                                verdict: verdict(level),
                                evidence: String::new(),
                                reason: String::new(),
                            })
                            .collect(),
                    })
                    .collect(),
                Some(cost),
            ),
            J::Unparsable => (
                Status::Failed,
                Some(FailureKind::Unparsable),
                Vec::new(),
                Some(2.0 * cost),
            ),
            J::ProviderFailure => (
                Status::Failed,
                Some(FailureKind::Provider),
                Vec::new(),
                None,
            ),
        };
        let e = EvaluationRecord {
            format_version: RECORD_VERSION,
            task: task.into(),
            task_type: TaskType::BeatRevision,
            model: model.into(),
            sample: 0,
            judge: judge.into(),
            simulated: true,
            generation_fingerprint: gfp,
            generation_sha: sha.into(),
            fingerprint,
            round: None,
            status,
            error: failure.map(|f| f.as_str().to_string()),
            failure,
            criteria,
            raw: None,
            usage: Usage {
                prompt_tokens: 50,
                completion_tokens: 10,
                reasoning_tokens: 0,
            },
            cost_usd: cost,
            latency_ms: 10,
            created_at: "2026-12-01T00:00:01.000Z".into(),
            batch: None,
        };
        let path = self.path();
        self.records.evaluations.push((path, e));
    }
}

fn sha(model: &str, task: &str) -> String {
    fabula_eval::fingerprint::sha_hex(format!("{model}/{task}").as_bytes())
}

fn build(f: &Fixture) -> Store<'_> {
    let (_, config) = f.ws.config().unwrap();
    let current = Current::new(config, &[], &f.dialects);
    let tasks: Vec<Arc<PreparedTask>> = prepared::tasks(&f.ws, config)
        .into_iter()
        .map(Arc::new)
        .collect();
    let mut s = Store {
        current,
        tasks,
        records: Records::default(),
        next: 0,
    };
    use J::*;
    s.generation("A", "t1", Some(0.8), None, Some(0.010));
    s.evaluations("A", "t1", [Level(1.0), Level(0.5), Level(0.5)], 0.001);
    s.generation("A", "t2", Some(0.6), None, Some(0.020));
    s.evaluations("A", "t2", [Level(1.0), Level(1.0), Level(0.5)], 0.001);
    s.generation("A", "t3", None, Some(FailureKind::Length), Some(0.005));
    s.generation("B", "t1", Some(1.0), None, Some(0.010));
    s.evaluations("B", "t1", [Level(0.5), Level(0.0), Level(0.0)], 0.001);
    s.generation("B", "t2", Some(0.4), None, Some(0.020));
    s.evaluations("B", "t2", [Level(1.0), Unparsable, ProviderFailure], 0.001);
    s.generation("B", "t3", None, Some(FailureKind::Provider), None);
    for t in ["t1", "t2"] {
        s.generation("C", t, Some(1.0), None, Some(0.010));
        s.evaluations("C", t, [Level(1.0), Level(1.0), Level(1.0)], 0.001);
    }
    s.generation("C", "t3", Some(1.0), None, Some(0.010));
    s.evaluations("C", "t3", [Unparsable, Unparsable, Unparsable], 0.001);
    // A stale generation and evaluation (another fingerprint), and an evaluation with
    // today's fingerprint of a text the stored generation does not hold.
    let mut stale = s.records.generations[0].1.clone();
    stale.fingerprint = "0".repeat(32);
    s.records
        .generations
        .push((PathBuf::from("results/stale-gen.json"), stale));
    let mut stale = s.records.evaluations[0].1.clone();
    stale.fingerprint = "0".repeat(32);
    s.records
        .evaluations
        .push((PathBuf::from("results/stale-eval.json"), stale));
    s.evaluation("A", "t1", "j1", J::Level(0.0), 0.001, &"f".repeat(32));
    s
}

fn models() -> Vec<String> {
    ["A", "B", "C"].map(String::from).to_vec()
}

fn judges() -> Vec<String> {
    ["j1", "j2", "j3"].map(String::from).to_vec()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn every_number_matches_the_hand_worked_values() {
    let f = Fixture::new();
    let s = build(&f);
    let board = leaderboard::compute(
        &s.current,
        &s.tasks,
        &s.records,
        &models(),
        &judges(),
        &Options::default(),
    );
    assert_eq!((board.items, board.common_items), (3, 2));
    let row = |m: &str| board.rows.iter().find(|r| r.model == m).unwrap();
    let (a, b, c) = (row("A"), row("B"), row("C"));
    // Sorted by score: C 100, A 72.5, B 60.
    let order: Vec<&str> = board.rows.iter().map(|r| r.model.as_str()).collect();
    assert_eq!(order, ["C", "A", "B"]);

    // Scores over the common items T1, T2: A (65 + 80) / 2, B (50 + 70) / 2, C 100.
    let est = |r: &leaderboard::Row| r.score.unwrap();
    assert!(close(est(a).score, 72.5), "{:?}", est(a));
    assert!(close(est(b).score, 60.0));
    assert!(close(est(c).score, 100.0));
    assert_eq!((est(a).items, est(b).items, est(c).items), (2, 2, 2));
    // Bootstrap over two single-sample tasks: resample means 65 (p = 1/4), 72.5 (1/2),
    // 80 (1/4); the 2.5% and 97.5% percentiles fall inside the outer quarters.
    assert_eq!((est(a).ci_low, est(a).ci_high), (65.0, 80.0));
    assert_eq!((est(b).ci_low, est(b).ci_high), (50.0, 70.0));
    assert_eq!((est(c).ci_low, est(c).ci_high), (100.0, 100.0));
    // Ranks: C's interval lies above both; A's and B's overlap (65 < 70): tied second.
    assert_eq!((c.rank, a.rank, b.rank), (Some(1), Some(2), Some(2)));
    assert!(close(a.by_type["beat_revision"].score, 72.5));

    // Pass (judge part ≥ 60%) on the ranked items: A fails T1 (.5), passes T2 (1).
    assert_eq!(a.pass_rate, Some(0.5));
    assert_eq!(b.pass_rate, Some(0.5), "B: T1 judge part 0, T2 1");
    assert_eq!(c.pass_rate, Some(1.0));

    // Coverage.
    assert_eq!(
        (
            a.coverage.items,
            a.coverage.complete,
            a.coverage.scored,
            a.coverage.model_failures
        ),
        (3, 3, 2, 1)
    );
    assert_eq!((b.coverage.complete, b.coverage.scored), (2, 2));
    assert_eq!(
        b.coverage.incomplete,
        BTreeMap::from([("generation failed (provider)".to_string(), 1)])
    );
    assert_eq!(
        (
            c.coverage.complete,
            c.coverage.scored,
            c.coverage.unjudgeable
        ),
        (3, 2, 1)
    );

    // Failed records with today's fingerprints.
    assert_eq!((a.failed_generations, a.failed_evaluations), (1, 0));
    assert_eq!((b.failed_generations, b.failed_evaluations), (1, 2));
    assert_eq!((c.failed_generations, c.failed_evaluations), (0, 3));

    // Costs: A generations .010 + .020 + .005; judging 6 × .001.
    assert!(close(a.cost_usd, 0.035) && close(a.judge_cost_usd, 0.006));
    // B: .010 + .020 (+ nothing for the provider failure); judging 3 × .001 on T1, on T2
    // .001 (j1) + .002 (the unparsable answer was paid for) + nothing (provider failure).
    assert!(close(b.cost_usd, 0.030) && close(b.judge_cost_usd, 0.006));
    // C: 3 × .010; 6 × .001 + 3 × .002 for T3's three unparsable answers.
    assert!(close(c.cost_usd, 0.030) && close(c.judge_cost_usd, 0.012));
    // Tokens: 300 per generation (writer role), 60 per counted evaluation.
    assert_eq!(a.tokens["writer"], 900);
    assert_eq!(a.tokens["judges"], 360);
    assert_eq!(b.tokens["judges"], 6 * 60, "failed evaluations count too");

    // Stale and mismatched records are left out and counted.
    assert_eq!((board.stale_generations, board.stale_evaluations), (1, 1));
    assert_eq!(board.mismatched_evaluations, 1);

    // Agreement over the items some judge scored usably (A-T1, A-T2, B-T1, B-T2, C-T1,
    // C-T2), each contributing 7 units with the usable judges' levels.
    // Krippendorff's alpha (interval): units with 2+ values: A-T1 [1,.5,.5], A-T2
    // [1,1,.5], B-T1 [.5,0,0] (each Σ_{i≠j}(a_i-a_j)² / (m-1) = 1/2), C-T1 and C-T2
    // [1,1,1] (0), 7 copies each; B-T2 has one usable value and does not pair.
    //   n = 15 values × 7 = 105; D_o = 3 × 7 × 0.5 / 105 = 0.1
    //   Σa = 7 × (2 + 2.5 + 0.5 + 3 + 3) = 77; Σa² = 7 × (1.5 + 2.25 + 0.25 + 3 + 3) = 70
    //   D_e = (2 × 105 × 70 − 2 × 77²) / (105 × 104) = 2842 / 10920
    //   alpha = 1 − 0.1 × 10920 / 2842 = 1750 / 2842
    assert!(close(board.agreement.alpha.unwrap(), 1750.0 / 2842.0));
    // Kendall's tau-b between each pair of judges' judge parts per item (B-T2 only
    // where both answered):
    //   j1 = [1, 1, .5, 1, 1, 1]; j2 = [.5, 1, 0, -, 1, 1]; j3 = [.5, .5, 0, -, 1, 1]
    //   j1/j2: 5 pairs of items, 10 pairs, 6 tied in j1, 3 tied in j2, C = 4, D = 0:
    //          4 / √((10 − 6)(10 − 3)) = 4/√28
    //   j1/j3: ties 6 and 2, C = 4: 4/√32
    //   j2/j3: ties 3 and 2, C = 6: 6/√56
    let pairs: BTreeMap<(String, String), f64> = board
        .agreement
        .pairs
        .iter()
        .map(|(x, y, t)| ((x.clone(), y.clone()), t.unwrap()))
        .collect();
    assert!(close(
        pairs[&("j1".into(), "j2".into())],
        4.0 / 28f64.sqrt()
    ));
    assert!(close(
        pairs[&("j1".into(), "j3".into())],
        4.0 / 32f64.sqrt()
    ));
    assert!(close(
        pairs[&("j2".into(), "j3".into())],
        6.0 / 56f64.sqrt()
    ));
    let mean = (4.0 / 28f64.sqrt() + 4.0 / 32f64.sqrt() + 6.0 / 56f64.sqrt()) / 3.0;
    assert!(close(board.agreement.kendall_tau.unwrap(), mean));
}

#[test]
fn allow_partial_ranks_each_model_on_its_own_complete_items() {
    let f = Fixture::new();
    let s = build(&f);
    let board = leaderboard::compute(
        &s.current,
        &s.tasks,
        &s.records,
        &models(),
        &judges(),
        &Options {
            allow_partial: true,
            ..Options::default()
        },
    );
    let score = |m: &str| {
        board
            .rows
            .iter()
            .find(|r| r.model == m)
            .unwrap()
            .score
            .unwrap()
    };
    // A: (65 + 80 + 0) / 3: the model failure counts as 0. B: T3 is incomplete, (50 + 70)
    // / 2. C: (100 + 100 + 50) / 3: the unjudgeable item counts with a judge part of 0.
    assert!(close(score("A").score, 145.0 / 3.0));
    assert_eq!(score("A").items, 3);
    assert!(close(score("B").score, 60.0));
    assert!(close(score("C").score, 250.0 / 3.0));
}

#[test]
fn a_failure_never_leaves_the_average_to_raise_a_score() {
    // Regression (issue 11.2): a model whose hard item failed was scored on its easy ones
    // only. Ranked on the common items, A's model failure on T3 is 0 on A's own item set
    // and T3 leaves every model's ranked set (B could not complete it).
    let f = Fixture::new();
    let s = build(&f);
    let partial = leaderboard::compute(
        &s.current,
        &s.tasks,
        &s.records,
        &["A".to_string()],
        &judges(),
        &Options::default(),
    );
    let a = partial.rows[0].score.unwrap();
    assert_eq!(a.items, 3, "alone, A is ranked on all three items");
    assert!(
        close(a.score, 145.0 / 3.0),
        "the failure counts as 0: {a:?}"
    );
}
