//! Result records and their published schema agree: fully populated records (every
//! optional field set) validate against `schema/result.schema.json`, so a field added to
//! the Rust types but not to the schema, or renamed in one of them, fails here. Minimal
//! records validate too, and records round-trip through JSON unchanged.

use fabula_core::model::{
    Actor, Breakdown, CriterionVerdict, EvaluationRecord, FailureKind, FinishReason,
    GenerationRecord, GenerationSummary, HumanRanking, ItemVerdict, PairSide, PairVerdict,
    PairwiseRecord, Preference, ProgrammaticScores, Question, RECORD_SCHEMA, RECORD_VERSION,
    RankedGeneration, Role, SlopHit, Status, TaskType, Turn, Usage,
};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(RECORD_SCHEMA).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn usage() -> Usage {
    Usage {
        prompt_tokens: 812,
        completion_tokens: 1450,
        reasoning_tokens: 300,
    }
}

fn full_generation() -> GenerationRecord {
    GenerationRecord {
        format_version: RECORD_VERSION,
        task: "ferry-questions".into(),
        task_type: TaskType::AgenticConstraintDiscovery,
        model: "gpt-5-low".into(),
        model_id: "openai/gpt-5".into(),
        provider: "openrouter".into(),
        simulated: false,
        sample: 0,
        fingerprint: "0123456789abcdef0123456789abcdef".into(),
        status: Status::Ok,
        error: Some("none, but every field is set".into()),
        failure: Some(FailureKind::Length),
        finish: Some(FinishReason::Stop),
        view_sha: Some("89abcdef0123456789abcdef01234567".into()),
        output: "The ferry left at dusk.".into(),
        drafts: vec!["First draft.".into()],
        plan: Some("1. setup".into()),
        steps: vec!["A concept.".into()],
        questions: vec![Question {
            question: "Is the captain related to the narrator?".into(),
            answer: "YES".into(),
            reveals: vec!["captain".into()],
        }],
        transcript: vec![
            Turn {
                role: Role::User,
                actor: Actor::Harness,
                content: "Write.".into(),
                usage: None,
                latency_ms: None,
                finish: None,
            },
            Turn {
                role: Role::Assistant,
                actor: Actor::Writer,
                content: "The ferry left at dusk.".into(),
                usage: Some(usage()),
                latency_ms: Some(2100),
                finish: Some(FinishReason::Stop),
            },
        ],
        usage: usage(),
        usage_by_role: std::collections::BTreeMap::from([("writer".to_string(), usage())]),
        programmatic: Some(ProgrammaticScores {
            key: "00ff00ff00ff00ff".into(),
            trajectory: vec![0.5, 0.75],
            breakdown: Breakdown {
                words: 412,
                word_score: 1.0,
                repetition: 0.02,
                repetition_score: 0.8667,
                slop_density: 2.427,
                slop_score: 0.5146,
                slop_hits: vec![SlopHit {
                    phrase: "a testament to".into(),
                    count: 1,
                }],
                total: 0.75,
            },
        }),
        cost_usd: Some(0.0123),
        latency_ms: 2100,
        created_at: "2026-11-23T10:00:00.000Z".into(),
        batch: Some("batch_abc123".into()),
    }
}

fn full_evaluation() -> EvaluationRecord {
    EvaluationRecord {
        format_version: RECORD_VERSION,
        task: "ferry-questions".into(),
        task_type: TaskType::AgenticConstraintDiscovery,
        model: "gpt-5-low".into(),
        sample: 0,
        judge: "claude-haiku".into(),
        simulated: false,
        generation_fingerprint: "0123456789abcdef0123456789abcdef".into(),
        generation_sha: "89abcdef0123456789abcdef01234567".into(),
        fingerprint: "fedcba9876543210fedcba9876543210".into(),
        round: Some(1),
        status: Status::Ok,
        error: Some("set for the test".into()),
        failure: Some(FailureKind::Unparsable),
        criteria: vec![
            CriterionVerdict {
                criterion: "question_quality".into(),
                score: 0.5,
                verdict: "partial".into(),
                evidence: "Is the captain related to the narrator?".into(),
                reason: "One question of three was well aimed.".into(),
                items: Vec::new(),
            },
            CriterionVerdict {
                criterion: "beat_execution".into(),
                score: 0.75,
                verdict: String::new(),
                evidence: String::new(),
                reason: String::new(),
                items: vec![
                    ItemVerdict {
                        item: 1,
                        score: 1.0,
                        verdict: "pass".into(),
                        evidence: "The ferry left at dusk.".into(),
                        reason: "The threshold is crossed.".into(),
                    },
                    ItemVerdict {
                        item: 2,
                        score: 0.5,
                        verdict: "partial".into(),
                        evidence: String::new(),
                        reason: "Off the page.".into(),
                    },
                ],
            },
        ],
        raw: Some("{}".into()),
        usage: usage(),
        cost_usd: Some(0.001),
        latency_ms: 900,
        created_at: "2026-11-23T10:00:01.000Z".into(),
        batch: Some("msgbatch_01abc".into()),
    }
}

fn assert_valid(value: &Value) {
    let v = validator();
    let errors: Vec<String> = v.iter_errors(value).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{value:#}\n{}", errors.join("\n"));
}

#[test]
fn full_records_match_the_schema() {
    assert_valid(&serde_json::to_value(full_generation()).unwrap());
    assert_valid(&serde_json::to_value(full_evaluation()).unwrap());
}

#[test]
fn minimal_records_match_the_schema() {
    let mut g = full_generation();
    g.error = None;
    g.failure = None;
    g.view_sha = None;
    g.finish = None;
    g.drafts.clear();
    g.plan = None;
    g.steps.clear();
    g.questions.clear();
    g.cost_usd = None;
    g.usage_by_role.clear();
    g.programmatic = None;
    assert_valid(&serde_json::to_value(&g).unwrap());
    let mut e = full_evaluation();
    e.round = None;
    e.error = None;
    e.failure = None;
    e.raw = None;
    e.cost_usd = None;
    e.criteria.clear();
    assert_valid(&serde_json::to_value(&e).unwrap());
}

#[test]
fn records_round_trip() {
    let g = full_generation();
    let text = serde_json::to_string_pretty(&g).unwrap();
    assert_eq!(serde_json::from_str::<GenerationRecord>(&text).unwrap(), g);
    let e = full_evaluation();
    let text = serde_json::to_string_pretty(&e).unwrap();
    assert_eq!(serde_json::from_str::<EvaluationRecord>(&text).unwrap(), e);
}

#[test]
fn a_summary_reads_a_full_record() {
    let g = full_generation();
    let text = serde_json::to_string(&g).unwrap();
    let s: GenerationSummary = serde_json::from_str(&text).unwrap();
    assert_eq!(s.output, g.output);
    assert_eq!(s.programmatic, g.programmatic);
    assert_eq!(s.usage_by_role, g.usage_by_role);
    assert_eq!(s.failure, g.failure);
    assert_eq!(s.view_sha, g.view_sha);
    assert_eq!(s.error, g.error);
}

#[test]
fn schema_rejects_what_the_types_cannot_read() {
    let v = validator();
    let mut g = serde_json::to_value(full_generation()).unwrap();
    g["finish"] = "truncated".into();
    assert!(!v.is_valid(&g));
    let mut g = serde_json::to_value(full_generation()).unwrap();
    g["surprise"] = 1.into();
    assert!(!v.is_valid(&g));
    let mut e = serde_json::to_value(full_evaluation()).unwrap();
    e["criteria"][0]["score"] = 1.5.into();
    assert!(!v.is_valid(&e));
    let mut e = serde_json::to_value(full_evaluation()).unwrap();
    e["criteria"][1]["items"][0]["item"] = 0.into();
    assert!(!v.is_valid(&e));
    let mut g = serde_json::to_value(full_generation()).unwrap();
    g["failure"] = "bad_luck".into();
    assert!(!v.is_valid(&g));
    let mut g = serde_json::to_value(full_generation()).unwrap();
    g["format_version"] = 1.into();
    assert!(!v.is_valid(&g), "version 1 records are a different format");
}

fn full_pairwise() -> PairwiseRecord {
    let side = |model: &str, words: u64| PairSide {
        model: model.into(),
        generation_fingerprint: "0123456789abcdef0123456789abcdef".into(),
        generation_sha: "89abcdef0123456789abcdef01234567".into(),
        words,
    };
    PairwiseRecord {
        format_version: RECORD_VERSION,
        task: "ferry-questions".into(),
        task_type: TaskType::BeatRevision,
        sample: 1,
        judge: "claude-haiku".into(),
        simulated: false,
        first: side("gpt-5-low", 412),
        second: side("gpt-5", 655),
        fingerprint: "fedcba9876543210fedcba9876543210".into(),
        status: Status::Ok,
        error: Some("set for the test".into()),
        failure: Some(FailureKind::Unparsable),
        criteria: vec![
            PairVerdict {
                criterion: "diagnosis".into(),
                preferred: Preference::Second,
                evidence: "The lamp was never lit.".into(),
                reason: "Output 2 names the real flaw.".into(),
            },
            PairVerdict {
                criterion: "quality".into(),
                preferred: Preference::Tie,
                evidence: String::new(),
                reason: String::new(),
            },
        ],
        raw: Some("{}".into()),
        usage: usage(),
        cost_usd: Some(0.002),
        latency_ms: 1200,
        created_at: "2026-11-23T10:00:02.000Z".into(),
    }
}

#[test]
fn pairwise_records_match_the_schema_and_round_trip() {
    let full = full_pairwise();
    assert_valid(&serde_json::to_value(&full).unwrap());
    let text = serde_json::to_string_pretty(&full).unwrap();
    assert_eq!(serde_json::from_str::<PairwiseRecord>(&text).unwrap(), full);
    let mut minimal = full_pairwise();
    minimal.error = None;
    minimal.failure = None;
    minimal.raw = None;
    minimal.cost_usd = None;
    minimal.criteria.clear();
    assert_valid(&serde_json::to_value(&minimal).unwrap());
    let text = serde_json::to_string(&minimal).unwrap();
    assert_eq!(
        serde_json::from_str::<PairwiseRecord>(&text).unwrap(),
        minimal
    );
    let v = validator();
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["criteria"][0]["preferred"] = "1".into();
    assert!(!v.is_valid(&bad), "positions are first/second/tie");
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["second"]["words"] = (-1).into();
    assert!(!v.is_valid(&bad));
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["first"]["surprise"] = 1.into();
    assert!(!v.is_valid(&bad));
    // A pairwise record is neither of the other kinds, nor they one.
    assert!(serde_json::from_str::<EvaluationRecord>(&text).is_err());
    assert!(
        serde_json::from_value::<PairwiseRecord>(serde_json::to_value(full_evaluation()).unwrap())
            .is_err()
    );
}

fn full_ranking() -> HumanRanking {
    let generation = |model: &str| RankedGeneration {
        model: model.into(),
        record: format!("{model}/ferry-questions/gen-s1-0123456789abcdef0123456789abcdef.json"),
        generation_fingerprint: "0123456789abcdef0123456789abcdef".into(),
        generation_sha: "89abcdef0123456789abcdef01234567".into(),
    };
    HumanRanking {
        format_version: RECORD_VERSION,
        task: "ferry-questions".into(),
        task_type: TaskType::BeatRevision,
        sample: 1,
        rater: "ann@example.org".into(),
        ranks: vec![
            vec![generation("gpt-5")],
            vec![generation("gpt-5-low"), generation("claude-haiku")],
        ],
        note: "The second and third read alike.".into(),
        seed: "00fab01a5eed0001".into(),
        created_at: "2026-11-23T10:00:03.000Z".into(),
    }
}

#[test]
fn rankings_match_the_schema_and_round_trip() {
    let full = full_ranking();
    assert_valid(&serde_json::to_value(&full).unwrap());
    let text = serde_json::to_string_pretty(&full).unwrap();
    assert_eq!(serde_json::from_str::<HumanRanking>(&text).unwrap(), full);
    let mut minimal = full_ranking();
    minimal.note.clear();
    minimal.seed.clear();
    assert_valid(&serde_json::to_value(&minimal).unwrap());
    let text = serde_json::to_string(&minimal).unwrap();
    assert_eq!(
        serde_json::from_str::<HumanRanking>(&text).unwrap(),
        minimal
    );
    assert_eq!(full.generations().count(), 3);
    let v = validator();
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["ranks"][1] = serde_json::json!([]);
    assert!(!v.is_valid(&bad), "an empty rank group");
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["ranks"][0][0]["record"] = "../gen-s1-x.json".into();
    assert!(
        !v.is_valid(&bad),
        "a record name outside a model's task folder"
    );
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["rater"] = "".into();
    assert!(!v.is_valid(&bad));
    let mut bad = serde_json::to_value(&full).unwrap();
    bad["ranks"][0][0]["surprise"] = 1.into();
    assert!(!v.is_valid(&bad));
    // A ranking is none of the other kinds, nor they one.
    assert!(serde_json::from_str::<PairwiseRecord>(&text).is_err());
    assert!(
        serde_json::from_value::<HumanRanking>(serde_json::to_value(full_pairwise()).unwrap())
            .is_err()
    );
}
