//! What the comparison tests share: a small project (beat_revision tasks t1, t2, …, and
//! on request the shipped interpolation task; models A, B, C judged by j1, and j2 for
//! pairwise) and a store built record by record.

#![allow(dead_code, reason = "each test file uses a part")]

use fabula_core::document::Document;
use fabula_core::metrics;
use fabula_core::model::{
    Breakdown, CriterionVerdict, EvaluationRecord, FailureKind, GenerationSummary, ItemVerdict,
    PairSide, PairVerdict, PairwiseRecord, Preference, ProgrammaticScores, RECORD_VERSION, Status,
    Usage,
};
use fabula_core::workspace::Workspace;
use fabula_eval::compare::{self, Comparison, Options, Pick, Side};
use fabula_eval::fingerprint::Current;
use fabula_eval::prepared::{self, PreparedTask};
use fabula_eval::records::Records;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn config(samples: u32) -> String {
    format!(
        "version: 1
providers:
  sim: {{ kind: sim }}
models:
  A: {{ provider: sim, model: sim/writer-a }}
  B: {{ provider: sim, model: sim/writer-b }}
  C: {{ provider: sim, model: sim/writer-c }}
  j1: {{ provider: sim, model: sim/judge-1, enabled: false }}
  j2: {{ provider: sim, model: sim/judge-2, enabled: false }}
judges: [j1]
settings: {{ samples: {samples} }}
"
    )
}

pub fn revision(id: &str) -> String {
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

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A workspace of `revisions` beat_revision tasks (t1, t2, …) and, with `interpolation`,
/// the shipped beat_interpolation task `chasqui-road-back`.
pub fn workspace(samples: u32, revisions: usize, interpolation: bool) -> Workspace {
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

pub struct Store<'a> {
    pub current: Current<'a>,
    pub tasks: Vec<Arc<PreparedTask>>,
    pub records: Records,
    /// Seconds into the day of the next record: later records are newer.
    clock: u32,
}

impl<'a> Store<'a> {
    pub fn new(ws: &'a Workspace, dialects: &'a BTreeMap<String, String>) -> Store<'a> {
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

    pub fn task(&self, id: &str) -> PreparedTask {
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
    pub fn generation(
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
    pub fn evaluation(
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
            batch: None,
        };
        self.records.evaluations.push((path, e));
    }

    /// An ok generation judged by j1 at `level` (None: j1 failed), today's records.
    pub fn item(&mut self, model: &str, task: &str, sample: u32, prog: f64, level: Option<f64>) {
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

    /// The hash of the judge view of a generation this store made.
    pub fn view_sha(model: &str, task: &str, sample: u32, fingerprint: &str) -> String {
        fabula_eval::fingerprint::sha_hex(
            format!("{model}/{task}/{sample}/{fingerprint}").as_bytes(),
        )
    }

    /// `judge`'s comparison of today's generations of `order.0` (shown first) and
    /// `order.1`, with today's fingerprint: `said(i)` on the rubric's i-th criterion, or
    /// a failure when `said` is None. `words` of the first and second output.
    pub fn pairwise(
        &mut self,
        judge: &str,
        task: &str,
        sample: u32,
        order: (&str, &str),
        said: Option<&dyn Fn(usize) -> Preference>,
        words: (u64, u64),
    ) {
        let t = self.task(task);
        let side = |model: &str, words: u64| {
            let fingerprint = self.current.generation(&t, model).unwrap();
            PairSide {
                model: model.into(),
                generation_sha: Store::view_sha(model, task, sample, &fingerprint),
                generation_fingerprint: fingerprint,
                words,
            }
        };
        let (first, second) = (side(order.0, words.0), side(order.1, words.1));
        let fingerprint = self
            .current
            .pairwise(
                &t,
                &first.generation_fingerprint,
                &second.generation_fingerprint,
                judge,
            )
            .unwrap();
        let rubric = fabula_core::judge::rubric(t.input(&[]));
        let criteria = said
            .map(|said| {
                rubric
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| PairVerdict {
                        criterion: e.id().to_string(),
                        preferred: said(i),
                        evidence: "the lamp".into(),
                        reason: format!("{judge} on {}", e.id()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (path, created_at) = self.stamp();
        let r = PairwiseRecord {
            format_version: RECORD_VERSION,
            task: task.into(),
            task_type: t.task.task_type(),
            sample,
            judge: judge.into(),
            simulated: true,
            first,
            second,
            fingerprint,
            status: if said.is_some() {
                Status::Ok
            } else {
                Status::Failed
            },
            error: said.is_none().then(|| "HTTP 503".to_string()),
            failure: said.is_none().then_some(FailureKind::Provider),
            criteria,
            raw: None,
            usage: Usage::default(),
            cost_usd: None,
            latency_ms: 0,
            created_at,
        };
        self.records.pairwise.push((path, r));
    }

    pub fn compare(&self, a: Side<'_>, b: Side<'_>) -> Comparison {
        self.compare_with(a, b, &Options::default())
    }

    pub fn compare_with(&self, a: Side<'_>, b: Side<'_>, options: &Options) -> Comparison {
        compare::compare(
            &self.current,
            &self.tasks,
            a,
            b,
            &["j1".to_string()],
            options,
        )
    }

    pub fn today(&self, model: &'a str) -> Side<'_> {
        Side {
            model,
            records: &self.records,
            pick: Pick::Today,
        }
    }
}

pub fn dialects() -> BTreeMap<String, String> {
    BTreeMap::from([("sim".to_string(), "sim".to_string())])
}
