//! The whole pipeline on the offline simulator, with the shipped project: every task of
//! the dataset generated and judged by three simulated judges. Every agentic type runs
//! end to end and leaves the transcript its protocol implies; every record matches the
//! published result schema.

use fabula_core::model::{Actor, RECORD_SCHEMA, Role, Status, TaskBody, TaskType};
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_engine::provider::Tuning;
use fabula_engine::{recorder, setup};
use fabula_eval::fingerprint::Current;
use fabula_eval::plan::{self, Job};
use fabula_eval::prepared;
use std::path::Path;
use std::sync::Arc;

fn project() -> Workspace {
    fabula_engine::project::workspace(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_runs_and_is_judged_on_sim() {
    let ws = project();
    let (_, config) = ws.config().expect("fabula.yaml loads");
    let writers = vec!["sim-writer-a".to_string()];
    let judges = config.judges.clone();
    assert_eq!(judges.len(), 3);
    let engine = Arc::new(
        setup::engine(
            config,
            &Env::default(),
            &Tuning::default(),
            &writers,
            &judges,
            fabula_engine::project::slop(&ws),
        )
        .expect("sim needs no key"),
    );
    let tasks = prepared::tasks(&ws, config);
    assert_eq!(tasks.len(), ws.tasks().count(), "every task prepares");
    let slop = fabula_engine::project::slop(&ws);
    let dialects = setup::dialects(config, &Env::default());
    let current = Current::new(config, &slop, &dialects);
    let jobs: Vec<Job> = tasks
        .into_iter()
        .map(|t| plan::job(&current, &Arc::new(t), "sim-writer-a", 0, &judges).unwrap())
        .collect();
    let n = jobs.len();
    let (tally, collect) = recorder::run_collecting(&engine, jobs.clone(), None).await;
    assert_eq!((tally.generations, tally.evaluations), (n, n * 3));

    let generations = collect.generations();
    let evaluations = collect.evaluations();
    assert_eq!(generations.len(), n);
    for g in &generations {
        assert_eq!(g.status, Status::Ok, "{}: {:?}", g.task, g.error);
        assert!(g.simulated);
        assert!(!g.output.trim().is_empty(), "{}", g.task);
        assert_eq!(g.transcript[0].role, Role::System);
        let job = jobs.iter().find(|j| j.task.id() == g.task).unwrap();
        assert_eq!(g.fingerprint, job.fingerprint, "the planned fingerprint");
        assert!(g.view_sha.is_some());
    }
    assert_eq!(evaluations.len(), n * 3);
    for e in &evaluations {
        assert_eq!(
            e.status,
            Status::Ok,
            "{} by {}: {:?}",
            e.task,
            e.judge,
            e.error
        );
        assert!(e.simulated);
        assert!(!e.criteria.is_empty());
        let g = generations.iter().find(|g| g.task == e.task).unwrap();
        assert_eq!(
            Some(&e.generation_sha),
            g.view_sha.as_ref(),
            "bound to its text"
        );
        let job = jobs.iter().find(|j| j.task.id() == e.task).unwrap();
        assert_eq!(Some(&e.fingerprint), job.judge_fingerprints.get(&e.judge));
    }

    // Each agentic protocol leaves its trace.
    for job in &jobs {
        let t = &job.task.task;
        let g = generations.iter().find(|g| g.task == t.id).unwrap();
        let writer_turns = g
            .transcript
            .iter()
            .filter(|x| x.actor == Actor::Writer)
            .count();
        match &t.body {
            TaskBody::AgenticConstraintDiscovery(d) => {
                assert!(!g.questions.is_empty(), "{}: asked nothing", t.id);
                assert!(g.questions.len() <= d.max_questions as usize);
                let oracle_turns = g
                    .transcript
                    .iter()
                    .filter(|x| x.actor == Actor::Oracle && x.role == Role::Assistant)
                    .count();
                assert_eq!(oracle_turns, g.questions.len(), "{}", t.id);
                assert!(
                    g.questions
                        .iter()
                        .any(|q| q.answer == "YES" || q.answer == "NO"),
                    "{}",
                    t.id
                );
            }
            TaskBody::AgenticPlanningExecution(_) => {
                assert!(
                    g.plan.as_deref().is_some_and(|p| p.contains("Plan")),
                    "{}",
                    t.id
                );
                assert_eq!(writer_turns, 2, "{}", t.id);
            }
            TaskBody::AgenticIterativeRevision(r) => {
                assert_eq!(g.drafts.len(), r.rounds as usize, "{}", t.id);
                let feedback = g
                    .transcript
                    .iter()
                    .filter(|x| x.actor == Actor::Feedback)
                    .count();
                assert_eq!(feedback, r.rounds as usize, "{}", t.id);
                assert!(g.output.contains("[beat: "), "{}: markers asked for", t.id);
            }
            TaskBody::CritiqueImprovement(r) => {
                assert_eq!(g.drafts.len(), r.rounds as usize, "{}", t.id);
                let critiques = g
                    .transcript
                    .iter()
                    .filter(|x| x.actor == Actor::Critic && x.role == Role::Assistant)
                    .count();
                assert_eq!(critiques, r.rounds as usize, "{}", t.id);
            }
            TaskBody::Sequence(s) => {
                assert_eq!(g.steps.len(), s.steps.len(), "{}", t.id);
                assert_eq!(writer_turns, s.steps.len(), "{}", t.id);
            }
            _ => assert_eq!(writer_turns, 1, "{}", t.id),
        }
    }
    for ty in TaskType::ALL {
        assert!(
            generations.iter().any(|g| g.task_type == ty),
            "no {ty} generation"
        );
    }

    // The records are what the schema publishes.
    let schema: serde_json::Value = serde_json::from_str(RECORD_SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for g in &generations {
        let v = serde_json::to_value(g.as_ref()).unwrap();
        assert!(validator.is_valid(&v), "{}", g.task);
    }
    for e in &evaluations {
        let v = serde_json::to_value(e.as_ref()).unwrap();
        assert!(validator.is_valid(&v), "{}", e.task);
    }

    // Deterministic: the same run gives the same texts and verdicts.
    let (_, again) = recorder::run_collecting(&engine, jobs, None).await;
    let mut a: Vec<_> = generations
        .iter()
        .map(|g| (g.task.clone(), g.output.clone(), g.fingerprint.clone()))
        .collect();
    let mut b: Vec<_> = again
        .generations()
        .iter()
        .map(|g| (g.task.clone(), g.output.clone(), g.fingerprint.clone()))
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_missing_key_is_reported_before_any_work() {
    let ws = project();
    let (_, config) = ws.config().unwrap();
    let err = setup::engine(
        config,
        &Env::default(),
        &Tuning::default(),
        &[
            "claude-sonnet".to_string(),
            "claude-sonnet-direct".to_string(),
        ],
        &["sim-judge-1".to_string()],
        Vec::new(),
    )
    .unwrap_err();
    // One problem per provider, each typed as a missing key naming its users.
    assert_eq!(err.0.len(), 2, "{err}");
    assert!(
        err.0
            .iter()
            .all(|p| matches!(p, setup::Problem::MissingKey { .. })),
        "{err:?}"
    );
    let text = err.joined("\n");
    assert!(text.contains("OPENROUTER_API_KEY"), "{text}");
    assert!(text.contains("ANTHROPIC_API_KEY"), "{text}");
    assert!(text.contains("claude-sonnet"), "{text}");
}
