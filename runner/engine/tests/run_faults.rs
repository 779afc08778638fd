//! Faults seen from a whole run, against a local server: a generation cut off by the
//! token limit is recorded as failed (with the reason and token counts) and not judged; a
//! judge that answers nonsense is retried, then recorded as a failed evaluation with its
//! raw answer; an oracle that answers nonsense fails the generation instead of passing
//! for a "no".

use fabula_core::model::{
    Config, Dialect, ModelConfig, ProviderConfig, ProviderKind, Status, TaskBody,
};
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::Tuning;
use fabula_engine::recorder::{self, Collect};
use fabula_engine::setup;
use fabula_eval::fingerprint::Current;
use fabula_eval::plan;
use fabula_eval::prepared::{self, PreparedTask};
use fabula_fake_server::{FakeServer, Reply, chat};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn dataset() -> Workspace {
    fabula_engine::project::workspace(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).unwrap()
}

fn config(url: &str) -> Config {
    let provider = ProviderConfig {
        kind: ProviderKind::Openai,
        base_url: Some(url.to_string()),
        dialect: Some(Dialect::Openai),
        base_url_env: None,
        api_key_env: Some("K".into()),
        concurrency: Some(4),
        concurrency_min: None,
        concurrency_max: None,
        requests_per_minute: None,
        timeout_secs: Some(5),
        max_retries: Some(0),
        max_response_bytes: None,
        headers: BTreeMap::new(),
    };
    let model = |id: &str| ModelConfig {
        provider: "local".into(),
        model: id.into(),
        enabled: true,
        temperature: None,
        reasoning: None,
        verbosity: None,
        max_tokens: Some(1000),
        price: Some(fabula_core::model::Price {
            input: 1.0,
            output: 2.0,
        }),
    };
    Config {
        version: 1,
        providers: BTreeMap::from([("local".to_string(), provider)]),
        models: BTreeMap::from([
            ("writer".to_string(), model("t/writer")),
            ("judge".to_string(), model("t/judge")),
            ("oracle".to_string(), model("t/oracle")),
        ]),
        judges: vec!["judge".into()],
        oracle: Some("oracle".into()),
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

fn task_of(ws: &Workspace, config: &Config, pick: impl Fn(&TaskBody) -> bool) -> PreparedTask {
    prepared::tasks(ws, config)
        .into_iter()
        .find(|t| pick(&t.task.body))
        .unwrap()
}

async fn run(server: &FakeServer, task: PreparedTask) -> Collect {
    let config = config(&server.url());
    let dialects = setup::dialects(&config, &Env::default());
    let current = Current::new(&config, &[], &dialects);
    let job = plan::job(
        &current,
        &Arc::new(task),
        "writer",
        0,
        &["judge".to_string()],
    )
    .unwrap();
    let engine = Arc::new(
        setup::engine(
            &config,
            &Env::from_pairs([("K", "k")]),
            &tuning(),
            &["writer".into()],
            &["judge".into()],
            Vec::new(),
        )
        .unwrap(),
    );
    recorder::run_collecting(&engine, vec![job], None).await.1
}

#[tokio::test]
async fn a_truncated_generation_is_failed_and_not_judged() {
    let server = FakeServer::start(Duration::ZERO, |_, _| {
        Reply::ok(chat("It was a dark and", "length"))
    })
    .await;
    let ws = dataset();
    let task = task_of(&ws, &config(""), |b| {
        matches!(b, TaskBody::BeatInterpolation(_))
    });
    let sink = run(&server, task).await;
    let g = sink.generations()[0].clone();
    assert_eq!(g.status, Status::Failed);
    assert_eq!(g.failure, Some(fabula_core::model::FailureKind::Length));
    let error = g.error.clone().unwrap();
    assert!(
        error.contains("`length`") && error.contains("34 completion tokens"),
        "{error}"
    );
    assert_eq!(g.usage.completion_tokens, 34);
    assert_eq!(
        g.cost_usd,
        Some(0.00042),
        "provider-reported cost wins over prices"
    );
    assert!(sink.evaluations().is_empty(), "not judged");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_nonsense_judge_is_retried_then_recorded_as_failed() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if seen.body.contains("CRITERIA: ") {
            Reply::ok(chat("Lovely story, ten out of ten!", "stop"))
        } else {
            Reply::ok(chat("The salt road waited.", "stop"))
        }
    })
    .await;
    let ws = dataset();
    let task = task_of(&ws, &config(""), |b| {
        matches!(b, TaskBody::BeatInterpolation(_))
    });
    let sink = run(&server, task).await;
    let g = sink.generations()[0].clone();
    assert_eq!(g.status, Status::Ok);
    let e = sink.evaluations()[0].clone();
    assert_eq!(e.status, Status::Failed);
    assert!(e.criteria.is_empty(), "never turned into a score");
    assert_eq!(e.failure, Some(fabula_core::model::FailureKind::Unparsable));
    assert_eq!(e.raw.as_deref(), Some("Lovely story, ten out of ten!"));
    assert!(e.error.clone().unwrap().contains("no JSON object"));
    // 1 generation + 1 judge attempt + 2 retries (settings.judge_retries default).
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn a_nonsense_oracle_fails_the_generation() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if seen.body.contains("HIDDEN CONSTRAINTS") {
            Reply::ok(chat("Hmm, hard to say.", "stop"))
        } else {
            Reply::ok(chat("QUESTION: Is the narrator the captain?", "stop"))
        }
    })
    .await;
    let ws = dataset();
    let task = task_of(&ws, &config(""), |b| {
        matches!(b, TaskBody::AgenticConstraintDiscovery(_))
    });
    let sink = run(&server, task).await;
    let g = sink.generations()[0].clone();
    assert_eq!(g.status, Status::Failed);
    assert_eq!(
        g.failure,
        Some(fabula_core::model::FailureKind::Helper),
        "the harness's helper failed, not the model"
    );
    assert!(g.error.clone().unwrap().contains("not YES, NO or INVALID"));
    assert!(g.transcript.len() >= 3, "what happened before is kept");
    assert!(sink.evaluations().is_empty());
}

/// Regression (issue 13.5): `content: null` with finish `stop` was stored as a successful
/// empty generation scoring 30/100. Nothing is a model failure, and it is not judged.
#[tokio::test]
async fn an_empty_answer_is_a_model_failure_not_a_score() {
    for content in [serde_json::Value::Null, "".into(), "  \n\t ".into()] {
        let body = serde_json::json!({
            "id": "gen-1",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 12, "completion_tokens": 0 }
        })
        .to_string();
        let server = FakeServer::start(Duration::ZERO, move |_, _| Reply::ok(body.clone())).await;
        let ws = dataset();
        let task = task_of(&ws, &config(""), |b| {
            matches!(b, TaskBody::BeatInterpolation(_))
        });
        let sink = run(&server, task).await;
        let g = sink.generations()[0].clone();
        assert_eq!(g.status, Status::Failed, "{content:?}");
        assert_eq!(g.failure, Some(fabula_core::model::FailureKind::Empty));
        assert!(g.programmatic.is_none() && g.view_sha.is_none());
        assert!(sink.evaluations().is_empty(), "not judged");
        assert_eq!(server.hits(), 1);
    }
}
