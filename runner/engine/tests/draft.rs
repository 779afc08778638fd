//! `fabula draft` against a local server (never a real endpoint): a writer that repairs its
//! draft from the checker's own diagnostics, a validator that rejects or answers
//! nonsense, a near-duplicate stopped before any validator call, a writer that never
//! produces a valid task, and the cost of it all worked out by hand.

use fabula_core::model::{
    Config, Dialect, ModelConfig, Price, ProviderConfig, ProviderKind, TaskType,
};
use fabula_core::workspace::Workspace;
use fabula_engine::draft::{self, DraftResult, Project, Rejection, Report, Request};
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::Tuning;
use fabula_fake_server::{FakeServer, Reply, Seen, chat_usage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A clean task of a type whose checks are simple, on the shipped Three-Act theory.
const VALID: &str = include_str!("fixtures/lantern-ferry-plan.yaml");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped project's theories and tasks, with drafts written to a temp folder.
fn project() -> (Workspace, tempfile::TempDir) {
    let ws = fabula_engine::project::workspace(&repo()).unwrap();
    (ws, tempfile::tempdir().unwrap())
}

fn config(url: &str) -> Config {
    let provider = ProviderConfig {
        kind: ProviderKind::Openai,
        base_url: Some(url.to_string()),
        dialect: Some(Dialect::Openai),
        base_url_env: None,
        api_key_env: None,
        concurrency: Some(4),
        concurrency_min: None,
        concurrency_max: None,
        requests_per_minute: None,
        timeout_secs: Some(5),
        max_retries: Some(0),
        max_response_bytes: None,
        headers: BTreeMap::new(),
    };
    let model = |id: &str, input: f64, output: f64| ModelConfig {
        provider: "local".into(),
        model: id.into(),
        enabled: true,
        temperature: None,
        reasoning: None,
        verbosity: None,
        max_tokens: Some(4000),
        price: Some(Price { input, output }),
    };
    Config {
        version: 1,
        providers: BTreeMap::from([("local".to_string(), provider)]),
        models: BTreeMap::from([
            ("writer".to_string(), model("t/writer", 2.0, 10.0)),
            ("validator".to_string(), model("t/validator", 1.0, 4.0)),
        ]),
        judges: vec!["validator".into()],
        oracle: None,
        critic: None,
        settings: Default::default(),
    }
}

fn tuning() -> Tuning {
    Tuning {
        retry: Some(RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(5),
            timeout: Duration::from_secs(5),
        }),
        breaker: Some(BreakerPolicy::default()),
    }
}

/// A chat-completions answer with the given token counts (no provider-reported cost, so
/// the cost comes from the prices in the config).
fn answer(text: &str, prompt_tokens: u64, completion_tokens: u64) -> Reply {
    Reply::ok(chat_usage(text, prompt_tokens, completion_tokens))
}

fn is_validator(seen: &Seen) -> bool {
    seen.json()["model"] == "t/validator"
}

fn scores(clarity: u8, solvability: u8, originality: u8, fit: u8) -> String {
    let s = |n: u8| serde_json::json!({"score": n, "reason": format!("scored {n}")});
    serde_json::json!({
        "clarity": s(clarity), "solvability": s(solvability),
        "originality": s(originality), "fit": s(fit),
    })
    .to_string()
}

async fn draft(
    server: &FakeServer,
    root: &Path,
    ws: &Workspace,
    count: u32,
    repair_rounds: u32,
) -> Report {
    let config = config(&server.url());
    let models = draft::models(
        &config,
        &Env::from_pairs::<&str, &str>([]),
        &tuning(),
        "writer",
        "validator",
    )
    .unwrap();
    let request = Request {
        task_type: TaskType::AgenticPlanningExecution,
        theory: Some("three_act".into()),
        count,
        min_score: 4,
        repair_rounds,
    };
    draft::run(&models, &Project { root, ws }, &request, &|_| {})
        .await
        .unwrap()
}

fn drafts_written(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("dataset/drafts/agentic_planning_execution");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries.map(|e| e.unwrap().path()).collect()
}

fn last_message(seen: &Seen) -> String {
    let v = seen.json();
    let messages = v["messages"].as_array().unwrap();
    messages.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_broken_draft_is_repaired_from_the_checkers_own_diagnostics() {
    let broken_yaml =
        "```yaml\nid: lantern-ferry-plan\ntitle: \"The lantern ferry\n  premise: [\n```";
    let unknown_beat = VALID.replace(
        "[setup, confrontation, resolution]",
        "[setup, confrontaton, resolution]",
    );
    let writer = [
        broken_yaml.to_owned(),
        format!("Here it is:\n```yaml\n{unknown_beat}```"),
        VALID.to_owned(),
    ];
    let server = FakeServer::start(Duration::ZERO, move |i, seen| {
        if is_validator(seen) {
            answer(&scores(5, 4, 5, 5), 800, 100)
        } else {
            answer(&writer[i.min(2)], 1000, 500)
        }
    })
    .await;
    let (ws, dir) = project();
    let report = draft(&server, dir.path(), &ws, 1, 2).await;

    let requests = server.requests();
    assert_eq!(
        requests.len(),
        4,
        "three writer calls and one validator call"
    );
    // The first prompt carries the schema's field docs, the theory, examples, stories to
    // avoid and a skeleton.
    let first = last_message(&requests[0]);
    assert!(first.starts_with("FABULA-DRAFT-TASK"), "{first}");
    assert!(
        first.contains("- premise (required): The situation, characters and world"),
        "{first}"
    );
    assert!(
        first.contains("- `confrontation` (Act Two — Confrontation)"),
        "{first}"
    );
    assert!(
        first.contains("id: archive-three-plan"),
        "an example of the type: {first}"
    );
    assert!(
        first.contains("- Plan and write the archivist's three acts: An archivist digitising"),
        "{first}"
    );
    assert!(
        first.contains("premise: \"TODO: the situation"),
        "the skeleton: {first}"
    );
    // Each repair request is fabula check's human output for the draft.
    let syntax = last_message(&requests[1]);
    assert!(syntax.starts_with("FABULA-DRAFT-REPAIR"), "{syntax}");
    assert!(syntax.contains("(repair round 1 of 2)"), "{syntax}");
    assert!(syntax.contains("error[yaml-syntax]:"), "{syntax}");
    assert!(
        syntax.contains("  --> dataset/drafts/agentic_planning_execution/draft-1.yaml:"),
        "{syntax}"
    );
    let beat = last_message(&requests[2]);
    assert!(beat.contains("(repair round 2 of 2)"), "{beat}");
    assert!(
        beat.contains("error[unknown-beat]: `confrontaton` is not a beat of Three-Act Structure; did you mean `confrontation`?\n  --> dataset/drafts/agentic_planning_execution/lantern-ferry-plan.yaml:9:16\n  |\n9 | beats: [setup, confrontaton, resolution]\n  |                ^^^^^^^^^^^^"),
        "{beat}"
    );
    // The conversation goes on: the writer sees its own broken answers.
    let messages = requests[2].json()["messages"].as_array().unwrap().len();
    assert_eq!(messages, 5);

    let d = &report.drafts[0];
    assert_eq!(d.repairs, 2);
    assert!(d.repaired);
    let DraftResult::Accepted { path } = &d.result else {
        panic!("{:?}", d.result)
    };
    assert_eq!(
        path,
        "dataset/drafts/agentic_planning_execution/lantern-ferry-plan.yaml"
    );
    let written = std::fs::read_to_string(dir.path().join(path)).unwrap();
    assert!(written.starts_with("# yaml-language-server: $schema=../../../schema/task.schema.json\n# Drafted by `fabula draft`.\n"), "{written}");
    assert!(
        written.contains("# model: writer (t/writer); validator: validator (t/validator)\n"),
        "{written}"
    );
    assert!(
        written.contains(
            "# scores: clarity 5, solvability 4, originality 5, fit 5 (accepted at 4 or more)\n"
        ),
        "{written}"
    );
    assert!(
        written.contains("# repair rounds: 2; date: 20"),
        "{written}"
    );
    assert!(written.ends_with(VALID), "{written}");
    assert_eq!(
        (report.accepted(), report.repaired(), report.rejected()),
        (1, 1, 0)
    );

    // Cost by hand: writer 3 × (1000 × $2 + 500 × $10) / 1M = 3 × $0.007 = $0.021;
    // validator 1 × (800 × $1 + 100 × $4) / 1M = $0.0012; total $0.0222.
    assert_eq!((report.writer.calls, report.validator.calls), (3, 1));
    assert_eq!(
        (report.writer.prompt_tokens, report.writer.completion_tokens),
        (3000, 1500)
    );
    assert!(
        (report.writer.usd - 0.021).abs() < 1e-12,
        "{}",
        report.writer.usd
    );
    assert!(
        (report.validator.usd - 0.0012).abs() < 1e-12,
        "{}",
        report.validator.usd
    );
    assert!((report.cost() - 0.0222).abs() < 1e-12, "{}", report.cost());
    assert_eq!(report.writer.unpriced + report.validator.unpriced, 0);
}

#[tokio::test]
async fn a_validator_that_rejects_or_answers_nonsense_keeps_nothing() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if !is_validator(seen) {
            return answer(VALID, 10, 10);
        }
        answer(&scores(5, 5, 2, 4), 10, 10)
    })
    .await;
    let (ws, dir) = project();
    let report = draft(&server, dir.path(), &ws, 1, 2).await;
    let DraftResult::Rejected(
        why @ Rejection::Scores {
            min_score,
            shortfalls,
        },
    ) = &report.drafts[0].result
    else {
        panic!("{:?}", report.drafts[0].result)
    };
    assert_eq!(*min_score, 4);
    assert_eq!(shortfalls, &["originality 2: scored 2"]);
    assert_eq!(
        why.to_string(),
        "validator scored below 4: originality 2: scored 2"
    );
    assert_eq!(
        report.drafts[0].verdict.as_ref().unwrap().to_string(),
        "clarity 5, solvability 5, originality 2, fit 4"
    );
    assert!(drafts_written(dir.path()).is_empty());

    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if is_validator(seen) {
            answer("This task looks great, 5/5!", 10, 10)
        } else {
            answer(VALID, 10, 10)
        }
    })
    .await;
    let report = draft(&server, dir.path(), &ws, 1, 2).await;
    let DraftResult::Rejected(why @ Rejection::Unparsable { .. }) = &report.drafts[0].result else {
        panic!("{:?}", report.drafts[0].result)
    };
    assert!(
        why.to_string()
            .starts_with("the validator's answer is not the JSON asked for: expected value"),
        "{why}"
    );
    assert_eq!(server.hits(), 2, "an unparsable verdict is not retried");
    assert!(drafts_written(dir.path()).is_empty());
}

#[tokio::test]
async fn a_near_duplicate_is_rejected_before_any_validator_call() {
    // An existing task with a new id and a few words changed.
    let copy = std::fs::read_to_string(
        repo().join("dataset/tasks/agentic_planning_execution/archive-three-plan.yaml"),
    )
    .unwrap()
    .replace("id: archive-three-plan", "id: archive-copy")
    .replace("a city's birth records", "a town's birth records");
    let server = FakeServer::start(Duration::ZERO, move |_, seen| {
        if is_validator(seen) {
            answer(&scores(5, 5, 5, 5), 10, 10)
        } else {
            answer(&copy, 10, 10)
        }
    })
    .await;
    let (ws, dir) = project();
    let report = draft(&server, dir.path(), &ws, 1, 2).await;
    let DraftResult::Rejected(why @ Rejection::NearDuplicate { of, similarity }) =
        &report.drafts[0].result
    else {
        panic!("{:?}", report.drafts[0].result)
    };
    assert_eq!(
        of,
        "dataset/tasks/agentic_planning_execution/archive-three-plan.yaml"
    );
    assert!(*similarity >= 0.5 && *similarity < 1.0, "{similarity}");
    assert!(
        why.to_string().starts_with(
            "near-duplicate of dataset/tasks/agentic_planning_execution/archive-three-plan.yaml"
        ),
        "{why}"
    );
    assert!(
        !server.requests().iter().any(is_validator),
        "no judge request"
    );
    assert_eq!(report.validator.calls, 0);
    assert!(drafts_written(dir.path()).is_empty());
}

#[tokio::test]
async fn a_writer_that_never_produces_a_valid_task_gets_bounded_rounds_and_nothing_is_written() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if is_validator(seen) {
            answer(&scores(5, 5, 5, 5), 10, 10)
        } else {
            answer("I'd rather write a poem about the sea.", 10, 10)
        }
    })
    .await;
    let (ws, dir) = project();
    let report = draft(&server, dir.path(), &ws, 2, 3).await;
    assert_eq!(
        server.hits(),
        2 * 4,
        "first answer + 3 repairs, for each of 2 drafts"
    );
    assert!(!server.requests().iter().any(is_validator));
    for d in &report.drafts {
        let DraftResult::Rejected(
            why @ Rejection::StillInvalid {
                rounds,
                findings,
                report: text,
            },
        ) = &d.result
        else {
            panic!("{:?}", d.result)
        };
        assert_eq!((*rounds, *findings), (3, 2), "{text}");
        // (The schema's type branches also report `flaw` on a document that is not a
        // mapping at all; a core quirk, seen and left to the schema's owner.)
        assert!(text.contains("error[wrong-type]: expected an object, found a string\n  --> dataset/drafts/agentic_planning_execution/draft-"), "{text}");
        assert_eq!(
            why.to_string(),
            "still 2 finding(s) from fabula check after 3 repair round(s)"
        );
        assert!(!d.repaired);
    }
    assert_eq!(
        (report.accepted(), report.rejected(), report.failed()),
        (0, 2, 0)
    );
    assert!(!dir.path().join("dataset/drafts").exists());
}

#[tokio::test]
async fn a_draft_whose_id_is_taken_goes_back_for_repair() {
    // The writer first reuses a shipped task's id, then picks a free one.
    let taken = VALID.replace("id: lantern-ferry-plan", "id: archive-three-plan");
    let server = FakeServer::start(Duration::ZERO, move |i, seen| {
        if is_validator(seen) {
            answer(&scores(5, 5, 5, 5), 10, 10)
        } else if i == 0 {
            answer(&taken, 10, 10)
        } else {
            answer(VALID, 10, 10)
        }
    })
    .await;
    let (ws, dir) = project();
    let report = draft(&server, dir.path(), &ws, 1, 1).await;
    let repair = last_message(&server.requests()[1]);
    assert!(repair.contains("error[duplicate-task-id]: task id `archive-three-plan` is also used by dataset/tasks/agentic_planning_execution/archive-three-plan.yaml"), "{repair}");
    assert!(matches!(
        report.drafts[0].result,
        DraftResult::Accepted { .. }
    ));
    // A second session drafting the same id again finds the first one's file.
    let ws = Workspace::new(fabula_engine::project::load(
        &[
            fabula_engine::project::project_files(&repo()).unwrap(),
            vec![fabula_engine::project::named(
                Some(dir.path()),
                &drafts_written(dir.path())[0],
            )],
        ]
        .concat(),
    ));
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if is_validator(seen) {
            answer(&scores(5, 5, 5, 5), 10, 10)
        } else {
            answer(&VALID.replace("Marisol", "Ana"), 10, 10)
        }
    })
    .await;
    let report = draft(&server, dir.path(), &ws, 1, 0).await;
    let DraftResult::Rejected(Rejection::StillInvalid { report: text, .. }) =
        &report.drafts[0].result
    else {
        panic!("{:?}", report.drafts[0].result)
    };
    assert!(text.contains("error[duplicate-task-id]: task id `lantern-ferry-plan` is also used by dataset/drafts/agentic_planning_execution/lantern-ferry-plan.yaml (an existing file)"), "{text}");
    assert_eq!(drafts_written(dir.path()).len(), 1);
}

#[test]
fn no_two_shipped_tasks_are_near_duplicates() {
    let ws = fabula_engine::project::workspace(&repo()).unwrap();
    let stories: Vec<(&str, fabula_core::draft::similar::Shingles)> = ws
        .tasks()
        .map(|(doc, t)| {
            (
                doc.path.as_str(),
                fabula_core::draft::similar::Shingles::of(
                    &fabula_core::draft::similar::story_text(t),
                ),
            )
        })
        .collect();
    assert!(stories.len() >= 40);
    let mut worst = (0.0, "", "");
    for (i, (a, sa)) in stories.iter().enumerate() {
        for (b, sb) in &stories[i + 1..] {
            let sim = sa.similarity(sb);
            if sim > worst.0 {
                worst = (sim, a, b);
            }
        }
    }
    assert!(
        worst.0 < fabula_core::draft::similar::THRESHOLD / 2.0,
        "{worst:?}"
    );
}

/// The simulator drafts offline: its drafts pass the checks, and most pass its validator.
#[tokio::test]
async fn the_simulator_drafts_every_type_offline() {
    let mut config = config("http://127.0.0.1:9");
    config.providers.insert(
        "sim".into(),
        ProviderConfig {
            kind: ProviderKind::Sim,
            base_url: None,
            dialect: None,
            base_url_env: None,
            api_key_env: None,
            concurrency: None,
            concurrency_min: None,
            concurrency_max: None,
            requests_per_minute: None,
            timeout_secs: None,
            max_retries: None,
            max_response_bytes: None,
            headers: BTreeMap::new(),
        },
    );
    for (name, id) in [("writer", "sim/writer-a"), ("validator", "sim/judge-1")] {
        let m = config.models.get_mut(name).unwrap();
        m.provider = "sim".into();
        m.model = id.into();
    }
    let models = draft::models(
        &config,
        &Env::from_pairs::<&str, &str>([]),
        &tuning(),
        "writer",
        "validator",
    )
    .unwrap();
    let (ws, dir) = project();
    for ty in TaskType::ALL {
        let request = Request {
            task_type: ty,
            theory: None,
            count: 3,
            min_score: 1,
            repair_rounds: 0,
        };
        let report = draft::run(
            &models,
            &Project {
                root: dir.path(),
                ws: &ws,
            },
            &request,
            &|_| {},
        )
        .await
        .unwrap();
        for d in &report.drafts {
            let DraftResult::Accepted { path } = &d.result else {
                panic!("{ty}: {:?}", d.result)
            };
            let text = std::fs::read_to_string(dir.path().join(path)).unwrap();
            assert!(
                text.contains("# SIMULATED by the offline `sim` provider"),
                "{text}"
            );
        }
    }
}

/// Drafts of one session are told about, and screened against, the earlier ones, kept or
/// not: a writer that proposes the same story again is stopped before the validator.
#[tokio::test]
async fn a_session_screens_each_draft_against_its_earlier_drafts() {
    let server = FakeServer::start(Duration::ZERO, |i, seen| {
        if is_validator(seen) {
            answer(&scores(5, 5, 2, 5), 10, 10)
        } else {
            let again = VALID.replace("id: lantern-ferry-plan", &format!("id: lantern-ferry-{i}"));
            answer(&again, 10, 10)
        }
    })
    .await;
    let (ws, dir) = project();
    let report = draft(&server, dir.path(), &ws, 2, 0).await;
    assert!(matches!(
        report.drafts[0].result,
        DraftResult::Rejected(Rejection::Scores { .. })
    ));
    let DraftResult::Rejected(Rejection::NearDuplicate { of, similarity }) =
        &report.drafts[1].result
    else {
        panic!("{:?}", report.drafts[1].result)
    };
    assert_eq!(of, "an earlier draft of this session (lantern-ferry-0)");
    assert_eq!(*similarity, 1.0);
    assert_eq!(report.validator.calls, 1);
    let second = last_message(&server.requests()[2]);
    assert!(
        second.starts_with("FABULA-DRAFT-TASK (draft 2 of 2)"),
        "{second}"
    );
    assert!(
        second.contains("- The lantern ferry: Marisol runs the last night ferry"),
        "{second}"
    );
}
