//! The report's data model on a hand-built store: the Pareto frontiers, the
//! recommendation rule, the radar, agreement matrix and item rows, and a task's
//! drill-down with its quoted evidence. Every value is worked out by hand below.
//!
//! Two beat_revision tasks t1, t2 (one `must_preserve` item each). Every judge gives one
//! level to every criterion and item of an item, so the judge part is that level, and
//! the final score is 50 × programmatic + 50 × level:
//!
//! | model | t1 | t2 | score | 95% interval | cost / item | latency |
//! |---|---|---|---|---|---|---|
//! | A | .6, pass → 80 | .6, pass → 80 | 80 | 80–80 | $0.02 | 1 s |
//! | B | .4, pass → 70 | .8, pass → 90 | 80 | 70–90 | $0.01 | 3 s |
//! | C | .8, pass → 90 | .8, pass → 90 | 90 | 90–90 | $0.05 | 2 s |
//! | D | .7, partial → 60 | .9, partial → 70 | 65 | 60–70 | $0.005 | 4 s |
//! | E | .8, pass → 90 | .8, pass → 90 | 90 | 90–90 | unknown | 1.5 s |
//!
//! Two single-sample tasks: the bootstrap's resample means are the lower score (p = 1/4),
//! the mean (1/2) and the higher score (1/4), so the 95% interval is exactly from the
//! lower to the higher task score.

use fabula_core::document::Document;
use fabula_core::metrics;
use fabula_core::model::{
    Breakdown, CriterionVerdict, EvaluationRecord, GenerationRecord, GenerationSummary,
    ItemVerdict, ProgrammaticScores, RECORD_VERSION, Status, TaskType, Usage,
};
use fabula_core::workspace::Workspace;
use fabula_eval::fingerprint::Current;
use fabula_eval::leaderboard::{self, Options};
use fabula_eval::prepared::{self, PreparedTask};
use fabula_eval::records::Records;
use fabula_eval::report::{self, detail, tradeoff};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const CONFIG: &str = "\
version: 1
providers:
  sim: { kind: sim }
models:
  A: { provider: sim, model: sim/a }
  B: { provider: sim, model: sim/b }
  C: { provider: sim, model: sim/c }
  D: { provider: sim, model: sim/d }
  E: { provider: sim, model: sim/e }
  j1: { provider: sim, model: sim/j1, enabled: false }
  j2: { provider: sim, model: sim/j2, enabled: false }
  j3: { provider: sim, model: sim/j3, enabled: false }
judges: [j1, j2, j3]
";

const OUTPUT: &str = "The lamp was lit at dusk.\nNobody   came, and the keeper waited.";

/// (model, [(programmatic, level) for t1, t2], cost per generation, latency ms)
type Plan = (&'static str, [(f64, f64); 2], Option<f64>, u64);
const PLAN: [Plan; 5] = [
    ("A", [(0.6, 1.0), (0.6, 1.0)], Some(0.02), 1000),
    ("B", [(0.4, 1.0), (0.8, 1.0)], Some(0.01), 3000),
    ("C", [(0.8, 1.0), (0.8, 1.0)], Some(0.05), 2000),
    ("D", [(0.7, 0.5), (0.9, 0.5)], Some(0.005), 4000),
    ("E", [(0.8, 1.0), (0.8, 1.0)], None, 1500),
];

fn workspace() -> Workspace {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let theory = std::fs::read(root.join("dataset/theories/three_act.yaml")).unwrap();
    let mut docs = vec![
        Document::from_bytes("fabula.yaml", CONFIG.as_bytes()),
        Document::from_bytes("dataset/theories/three_act.yaml", &theory),
    ];
    for id in ["t1", "t2"] {
        let text = format!(
            "id: {id}\ntype: beat_revision\ntitle: Task {id}\ntheory: three_act\n\
             words: {{ min: 5, max: 50 }}\nbeat: setup\n\
             segment: The lamp was lit at dusk and nobody came.\nmust_preserve: [the lamp]\n\
             flaw: {{ category: passive_protagonist, description: Nobody acts. }}\n"
        );
        docs.push(Document::from_bytes(
            &format!("dataset/tasks/beat_revision/{id}.yaml"),
            text.as_bytes(),
        ));
    }
    let ws = Workspace::new(docs);
    for d in ws.documents() {
        assert!(d.diagnostics.is_empty(), "{}: {:?}", d.path, d.diagnostics);
    }
    ws
}

fn verdict(level: f64) -> &'static str {
    if level == 1.0 { "pass" } else { "partial" }
}

/// The store of the table above. Judges quote `evidence` (judge j3 quotes something
/// that is not in the text).
fn records(current: &Current<'_>, tasks: &[Arc<PreparedTask>]) -> Records {
    let mut records = Records::default();
    for (model, levels, cost, latency) in PLAN {
        for (task, (prog, level)) in tasks.iter().zip(levels) {
            let gfp = current.generation(task, model).unwrap();
            let sha =
                fabula_eval::fingerprint::sha_hex(format!("{model}/{}", task.id()).as_bytes());
            let dir = PathBuf::from(format!("results/{model}/{}", task.id()));
            records.generations.push((
                dir.join("gen.json"),
                GenerationSummary {
                    format_version: RECORD_VERSION,
                    task: task.id().into(),
                    task_type: TaskType::BeatRevision,
                    model: model.into(),
                    simulated: true,
                    sample: 0,
                    fingerprint: gfp.clone(),
                    status: Status::Ok,
                    error: None,
                    failure: None,
                    view_sha: Some(sha.clone()),
                    output: OUTPUT.into(),
                    questions: Vec::new(),
                    usage: Usage {
                        prompt_tokens: 100,
                        completion_tokens: 200,
                        reasoning_tokens: 0,
                    },
                    usage_by_role: BTreeMap::new(),
                    programmatic: Some(ProgrammaticScores {
                        key: metrics::cache_key(task.task.words, current.slop),
                        trajectory: vec![prog],
                        breakdown: Breakdown {
                            total: prog,
                            ..Breakdown::default()
                        },
                    }),
                    cost_usd: cost,
                    latency_ms: latency,
                    created_at: "2026-12-01T00:00:00.000Z".into(),
                },
            ));
            let rubric = fabula_core::judge::rubric(task.input(current.slop));
            for judge in ["j1", "j2", "j3"] {
                let evidence = match judge {
                    "j3" => "a quote the text does not hold",
                    _ => "“nobody came”",
                };
                records.evaluations.push((
                    dir.join(format!("eval-{judge}.json")),
                    EvaluationRecord {
                        format_version: RECORD_VERSION,
                        task: task.id().into(),
                        task_type: TaskType::BeatRevision,
                        model: model.into(),
                        sample: 0,
                        judge: judge.into(),
                        simulated: true,
                        generation_fingerprint: gfp.clone(),
                        generation_sha: sha.clone(),
                        fingerprint: current.evaluation(task, &gfp, judge).unwrap(),
                        round: None,
                        status: Status::Ok,
                        error: None,
                        failure: None,
                        criteria: rubric
                            .entries
                            .iter()
                            .map(|e| CriterionVerdict {
                                criterion: e.id().into(),
                                score: level,
                                verdict: if e.items.is_empty() {
                                    verdict(level).into()
                                } else {
                                    String::new()
                                },
                                evidence: evidence.into(),
                                reason: format!("{judge} on {}", e.id()),
                                items: (1..=e.items.len() as u32)
                                    .map(|n| ItemVerdict {
                                        item: n,
                                        score: level,
                                        verdict: verdict(level).into(),
                                        evidence: "the lamp was lit".into(),
                                        reason: String::new(),
                                    })
                                    .collect(),
                            })
                            .collect(),
                        raw: None,
                        usage: Usage::default(),
                        cost_usd: Some(0.001),
                        latency_ms: 10,
                        created_at: "2026-12-01T00:00:01.000Z".into(),
                        batch: None,
                    },
                ));
            }
        }
    }
    records
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

struct Fixture {
    ws: Workspace,
    dialects: BTreeMap<String, String>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            ws: workspace(),
            dialects: BTreeMap::from([("sim".to_string(), "sim".to_string())]),
        }
    }

    fn current(&self) -> Current<'_> {
        Current::new(self.ws.config().unwrap().1, &[], &self.dialects)
    }

    fn tasks(&self) -> Vec<Arc<PreparedTask>> {
        prepared::tasks(&self.ws, self.ws.config().unwrap().1)
            .into_iter()
            .map(Arc::new)
            .collect()
    }
}

#[test]
fn frontiers_and_the_recommendation_follow_the_hand_worked_store() {
    let f = Fixture::new();
    let (current, tasks) = (f.current(), f.tasks());
    let records = records(&current, &tasks);
    let models = names(&["A", "B", "C", "D", "E"]);
    let (board, items) = leaderboard::compute_with_items(
        &current,
        &tasks,
        &records,
        &models,
        &names(&["j1", "j2", "j3"]),
        &Options::default(),
    );
    let o = report::overview(&board, &models, &items);

    // Board order: by score, then name: C 90, E 90, A 80, B 80, D 65.
    let order: Vec<&str> = o.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(order, ["C", "E", "A", "B", "D"]);
    let m = |name: &str| o.models.iter().find(|s| s.model == name).unwrap();
    let est = |name: &str| {
        let e = m(name).score.unwrap();
        (e.score, e.ci_low, e.ci_high)
    };
    assert_eq!(est("A"), (80.0, 80.0, 80.0));
    assert_eq!(est("B"), (80.0, 70.0, 90.0));
    assert_eq!(est("C"), (90.0, 90.0, 90.0));
    assert_eq!(est("D"), (65.0, 60.0, 70.0));
    // Ranks: nothing lies above C, E or B (B reaches 90); C and E lie above A (80);
    // C, E and A lie above D (70), B does not (its low end is 70).
    let ranks: Vec<(Option<usize>, bool)> = order.iter().map(|n| (m(n).rank, m(n).tied)).collect();
    assert_eq!(
        ranks,
        [
            (Some(1), true),
            (Some(1), true),
            (Some(3), false),
            (Some(1), true),
            (Some(4), false)
        ]
    );

    // Per item: two generations each; E reported no cost.
    assert!(close(m("A").cost_per_item.unwrap(), 0.02));
    assert!(close(m("D").cost_per_item.unwrap(), 0.005));
    assert_eq!(m("E").cost_per_item, None);
    assert_eq!(m("A").tokens_per_item, Some(300.0));
    assert_eq!(m("B").latency_s, Some(3.0));
    assert_eq!(m("A").generations, 2);

    // Cost frontier over (cost, score), cheapest first: D (.005, 65) nothing is cheaper;
    // B (.01, 80) nothing cheaper scores 80; A (.02, 80) B is cheaper at the same score;
    // C (.05, 90) nothing cheaper scores 90. E has no cost and is not drawn.
    let cost: Vec<(&str, bool)> = o
        .cost
        .points
        .iter()
        .map(|p| (p.model.as_str(), p.on_frontier))
        .collect();
    assert_eq!(cost, [("D", true), ("B", true), ("A", false), ("C", true)]);
    assert_eq!(o.cost.missing, ["E"]);
    // Latency frontier over (seconds, score): A (1, 80), E (1.5, 90) are on it; C (2, 90)
    // is as good as E and slower; B (3, 80) and D (4, 65) are beaten by A.
    let latency: Vec<(&str, f64, bool)> = o
        .latency
        .points
        .iter()
        .map(|p| (p.model.as_str(), p.x, p.on_frontier))
        .collect();
    assert_eq!(
        latency,
        [
            ("A", 1.0, true),
            ("E", 1.5, true),
            ("C", 2.0, false),
            ("B", 3.0, false),
            ("D", 4.0, false)
        ]
    );

    // The best score is C's 90 (ties with E go to the name); intervals overlapping
    // 90–90: C, E and B (70–90 touches it); A (80–80) and D (60–70) do not. By the rule:
    // B ($.01) before C ($.05) before E (unknown cost counts as the highest).
    let r = o.recommendation.unwrap();
    assert_eq!(r.model, "B");
    assert_eq!(r.best, "C");
    assert_eq!(r.contenders, ["B", "C", "E"]);
    assert_eq!(r.rule, tradeoff::RULE);
    assert_eq!(
        r.reason,
        "B scores 80.0 (95% interval 70.0–90.0), within the interval of the best, C \
         (90.0 (95% interval 90.0–90.0)), at $0.0100 per item against $0.0500."
    );

    // Heatmap: one type, the same estimates.
    assert_eq!(o.task_types.len(), 1);
    assert_eq!(o.task_types[0].id, "beat_revision");
    assert_eq!(o.heatmap[4].model, "D");
    assert_eq!(o.heatmap[4].cells[0].unwrap().score, 65.0);

    // Radar: the beat_revision criteria in rubric order; every criterion of D at the
    // judges' 0.5, of the others at 1.
    assert_eq!(
        o.radar.axes,
        [
            "diagnosis",
            "flaw_fixed",
            "beat_satisfied",
            "preservation",
            "required_kept",
            "minimal_change",
            "quality"
        ]
    );
    let d = o.radar.models.iter().find(|s| s.model == "D").unwrap();
    assert!(d.values.iter().all(|v| *v == Some(0.5)));
    let a = o.radar.models.iter().find(|s| s.model == "A").unwrap();
    assert!(a.values.iter().all(|v| *v == Some(1.0)));

    // Agreement: the judges always agree, and their judge parts per item (1 for A, B, C,
    // E; .5 for D) order the items identically: alpha 1, tau-b 1 for every pair.
    assert_eq!(o.agreement.judges, ["j1", "j2", "j3"]);
    assert!(close(o.agreement.alpha.unwrap(), 1.0));
    for (i, row) in o.agreement.tau.iter().enumerate() {
        for (j, t) in row.iter().enumerate() {
            assert_eq!(t.is_none(), i == j, "{i},{j}");
            assert!(t.is_none_or(|t| close(t, 1.0)));
        }
    }

    // Items: 2 per model in board order; beat_revision has no revision rounds.
    assert_eq!(o.items.len(), 10);
    assert_eq!(
        (o.items[0].model.as_str(), o.items[0].task.as_str()),
        ("C", "t1")
    );
    assert_eq!(o.items[9].final_score, Some(70.0));
    assert_eq!(
        o.items[9].pass,
        Some(false),
        "D's judge part .5 is under 60%"
    );
    assert_eq!(o.items[9].standing, "scored");
    assert!(o.improvement.is_empty());
    assert!(o.simulated);
}

#[test]
fn equal_costs_go_to_the_higher_score() {
    let e = |score, lo, hi| leaderboard::Estimate {
        score,
        ci_low: lo,
        ci_high: hi,
        items: 2,
    };
    let c = |model: &str, score, cost| tradeoff::Candidate {
        model: model.into(),
        score,
        cost,
        latency: None,
    };
    // Free simulated models: the higher score, whatever the tokens.
    let r = tradeoff::recommend(&[
        c("big", e(70.0, 60.0, 80.0), Some(0.0)),
        c("small", e(65.0, 55.0, 75.0), Some(0.0)),
    ])
    .unwrap();
    assert_eq!((r.model.as_str(), r.best.as_str()), ("big", "big"));
    // Unknown costs tie too.
    let r = tradeoff::recommend(&[
        c("x", e(60.0, 50.0, 70.0), None),
        c("y", e(66.0, 55.0, 75.0), None),
    ])
    .unwrap();
    assert_eq!(r.model, "y");
    assert_eq!(
        r.reason,
        "y has the best score, 66.0 (95% interval 55.0–75.0), and the one other \
         configuration within its interval does not cost less per item."
    );
    assert_eq!(tradeoff::recommend(&[]), None);
}

#[test]
fn the_drill_down_marks_the_quoted_evidence() {
    let f = Fixture::new();
    let (current, tasks) = (f.current(), f.tasks());
    let records = records(&current, &tasks);
    let models = names(&["A", "D"]);
    let judges = names(&["j1", "j2", "j3"]);
    let (_, items) = leaderboard::compute_with_items(
        &current,
        &tasks,
        &records,
        &models,
        &judges,
        &Options::default(),
    );
    let t1 = tasks.iter().find(|t| t.id() == "t1").unwrap();
    let inputs: Vec<detail::Input<'_, '_>> = models
        .iter()
        .zip(&items)
        .flat_map(|(m, list)| {
            list.iter()
                .filter(|i| i.task.id() == "t1")
                .map(|i| detail::Input {
                    model: m,
                    item: i,
                    record: Ok(Some(record(i.generation.unwrap()))),
                })
        })
        .collect();
    let d = detail::task(t1, &[], &judges, inputs);
    assert_eq!((d.id.as_str(), d.title.as_str()), ("t1", "Task t1"));
    assert_eq!(d.models, ["A", "D"]);
    assert_eq!(d.criteria.len(), 7);
    assert_eq!(d.criteria[4].id, "required_kept");
    assert_eq!(d.criteria[4].items.len(), 1);
    assert!(
        d.hidden.contains("Nobody acts."),
        "the flaw only judges see"
    );
    assert_eq!(d.pass_rule, "judge part at least 60%");
    assert!(!d.conversation);

    let e = &d.samples[0].entries[1];
    assert_eq!((e.model.as_str(), e.final_score), ("D", Some(60.0)));
    assert_eq!((e.programmatic, e.judge), (Some(70.0), Some(50.0)));
    // Three distinct quotes, numbered as verdicts cite them: j1 and j2 quote "nobody
    // came" on each of the 6 criteria judged whole (12 citations), j3 its own quote
    // (6), and every judge "the lamp was lit" on the one item (3).
    let quotes: Vec<(usize, &str, bool, usize)> = e
        .quotes
        .iter()
        .map(|q| (q.n, q.text.as_str(), q.found, q.cited))
        .collect();
    assert_eq!(
        quotes,
        [
            (1, "“nobody came”", true, 12),
            (2, "a quote the text does not hold", false, 6),
            (3, "the lamp was lit", true, 3),
        ]
    );
    // The text, cut at the quotes: case and the run of spaces do not stop a match.
    let text: Vec<(&str, Vec<usize>)> = e
        .text
        .iter()
        .map(|s| (s.text.as_str(), s.quotes.clone()))
        .collect();
    assert_eq!(
        text,
        [
            ("The lamp was lit", vec![3]),
            (" at dusk.\n", vec![]),
            ("Nobody   came", vec![1]),
            (", and the keeper waited.", vec![]),
        ]
    );
    let quality = e.criteria.iter().find(|c| c.id == "quality").unwrap();
    assert_eq!(quality.median, Some(0.5));
    let by: Vec<(&str, &str, Option<usize>)> = quality
        .verdicts
        .iter()
        .map(|v| (v.judge.as_str(), v.verdict.as_str(), v.quote))
        .collect();
    assert_eq!(
        by,
        [
            ("j1", "partial", Some(1)),
            ("j2", "partial", Some(1)),
            ("j3", "partial", Some(2))
        ]
    );
    let kept = &e.criteria[4];
    assert_eq!(kept.items[0].verdicts.len(), 3);
    assert_eq!(kept.items[0].median, Some(0.5));
    assert!(e.failed_judges.is_empty() && e.missing_judges.is_empty());
    assert_eq!(e.file.as_deref(), Some("results/D/t1/gen.json"));
}

/// The whole record of a summary (a one-turn transcript, as a standard task has).
fn record(g: &GenerationSummary) -> GenerationRecord {
    GenerationRecord {
        format_version: RECORD_VERSION,
        task: g.task.clone(),
        task_type: g.task_type,
        model: g.model.clone(),
        model_id: format!("sim/{}", g.model),
        provider: "sim".into(),
        simulated: true,
        sample: g.sample,
        fingerprint: g.fingerprint.clone(),
        status: g.status,
        error: None,
        failure: None,
        finish: None,
        view_sha: g.view_sha.clone(),
        output: g.output.clone(),
        drafts: Vec::new(),
        plan: None,
        steps: Vec::new(),
        questions: Vec::new(),
        transcript: Vec::new(),
        usage: g.usage,
        usage_by_role: BTreeMap::new(),
        programmatic: g.programmatic.clone(),
        cost_usd: g.cost_usd,
        latency_ms: g.latency_ms,
        created_at: g.created_at.clone(),
        batch: None,
    }
}
