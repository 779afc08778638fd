//! The providers' batch APIs at the provider boundary, against local servers: a results
//! URL on another host never gets the key, an answer over `max_response_bytes` is
//! `TooLarge` for its line only, a key echoed in an answer or an error is scrubbed, the
//! request lines are what one call sends, and the states of both APIs map as documented.

pub mod support;

use fabula_core::model::{Dialect, ProviderKind};
use fabula_engine::call::CallError;
use fabula_engine::env::Env;
use fabula_engine::provider::batch::{BatchLine, Ending, Phase};
use fabula_engine::provider::{self, Provider, Tuning};
use fabula_fake_server::{FakeBatches, FakeServer, Reply, Script, chat};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-batch-secret-0123456789";

fn build(kind: ProviderKind, url: &str, max_response_bytes: Option<u64>) -> Arc<dyn Provider> {
    let mut config = support::provider(kind, url, Dialect::Openai, "TEST_API_KEY");
    config.max_retries = Some(0);
    config.max_response_bytes = max_response_bytes;
    provider::build(
        "local",
        &config,
        &Env::from_pairs([("TEST_API_KEY", KEY)]),
        &Tuning::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_results_url_on_another_host_never_gets_the_key() {
    let elsewhere = FakeServer::start(Duration::ZERO, |_, _| Reply::ok("")).await;
    let to = format!("{}/steal", elsewhere.url());
    let server = FakeServer::start(Duration::ZERO, move |_, _| {
        Reply::ok(
            json!({ "id": "msgbatch_1", "processing_status": "ended", "results_url": to,
                    "request_counts": { "processing": 0, "succeeded": 1 } })
            .to_string(),
        )
    })
    .await;
    let p = build(ProviderKind::Anthropic, &server.url(), None);
    let api = p.batch().unwrap();
    let status = api.status("msgbatch_1").await.unwrap();
    assert_eq!(status.phase, Phase::Ended(Ending::Completed));
    let e = api.results(&status, 1, Duration::ZERO).await.unwrap_err();
    assert!(
        matches!(&e, CallError::Malformed(m) if m.contains("on another host")),
        "{e}"
    );
    assert_eq!(elsewhere.hits(), 0, "the key went nowhere else");
}

#[tokio::test]
async fn answers_are_capped_per_line_and_scrubbed_of_the_key() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        let out = |lines: Vec<serde_json::Value>| {
            Reply::ok(
                lines
                    .iter()
                    .map(|l| l.to_string() + "\n")
                    .collect::<String>(),
            )
        };
        match seen.path.as_str() {
            "/batches/batch_1" => Reply::ok(
                json!({ "id": "batch_1", "status": "completed", "output_file_id": "file-out",
                        "error_file_id": null, "request_counts": { "total": 3, "completed": 2, "failed": 1 } })
                .to_string(),
            ),
            "/files/file-out/content" => out(vec![
                json!({ "custom_id": "r0", "response": { "status_code": 200,
                    "body": serde_json::from_str::<serde_json::Value>(&chat(&format!("my key is {KEY}"), "stop")).unwrap() } }),
                json!({ "custom_id": "r1", "response": { "status_code": 200,
                    "body": serde_json::from_str::<serde_json::Value>(&chat(&"x".repeat(5000), "stop")).unwrap() } }),
                json!({ "custom_id": "r2", "response": { "status_code": 429,
                    "body": { "error": { "message": format!("slow down, {KEY}") } } } }),
            ]),
            _ => Reply::status(404, "{}"),
        }
    })
    .await;
    let p = build(ProviderKind::Openai, &server.url(), Some(2000));
    let api = p.batch().unwrap();
    let status = api.status("batch_1").await.unwrap();
    let lines = api
        .results(&status, 3, Duration::from_secs(7))
        .await
        .unwrap();
    assert!(lines.unreadable.is_empty());
    let answers: std::collections::BTreeMap<_, _> = lines.answers.into_iter().collect();
    let first = answers["r0"].as_ref().unwrap();
    assert!(!first.text.contains(KEY), "{}", first.text);
    assert_eq!(
        first.latency,
        Duration::from_secs(7),
        "the batch's wall time"
    );
    assert_eq!(
        answers["r1"].as_ref().unwrap_err(),
        &CallError::TooLarge { limit: 2000 }
    );
    let e = answers["r2"].as_ref().unwrap_err();
    assert!(e.retryable(), "a 429 line is sent again: {e}");
    assert!(!e.to_string().contains(KEY), "{e}");
}

#[tokio::test]
async fn lines_are_the_bodies_of_one_call_and_states_map_for_both_apis() {
    for kind in [ProviderKind::Openai, ProviderKind::Anthropic] {
        let batches = FakeBatches::cooperative(Script {
            polls_before_end: 1,
            errored: Arc::new(|b| b.to_string().contains("refuse me")),
            ..Script::default()
        });
        let b = batches.clone();
        let server = FakeServer::start(Duration::ZERO, move |_, seen| {
            b.handle(seen).unwrap_or_else(|| Reply::status(404, "{}"))
        })
        .await;
        let p = build(kind, &server.url(), None);
        let api = p.batch().unwrap();
        let mut write = support::request("m-1");
        write.temperature = Some(0.5);
        let mut refuse = support::request("m-1");
        refuse.messages[0].content = "refuse me".into();
        let lines = vec![
            BatchLine {
                custom_id: "r0".into(),
                body: api.body(&write).unwrap(),
            },
            BatchLine {
                custom_id: "r1".into(),
                body: api.body(&refuse).unwrap(),
            },
        ];
        let id = api.submit(&lines).await.unwrap();
        assert_eq!(batches.submissions(), 1);
        let sent: Vec<_> = batches.lines().into_iter().map(|(_, b)| b).collect();
        assert_eq!(sent, vec![lines[0].body.clone(), lines[1].body.clone()]);
        let running = api.status(&id).await.unwrap();
        assert_eq!(running.phase, Phase::Running, "{kind:?}");
        assert_eq!(running.counts.total, 2, "{kind:?}");
        let ended = api.status(&id).await.unwrap();
        assert_eq!(ended.phase, Phase::Ended(Ending::Completed), "{kind:?}");
        assert_eq!((ended.counts.done, ended.counts.failed), (2, 1), "{kind:?}");
        let read = api.results(&ended, 2, Duration::ZERO).await.unwrap();
        let answers: std::collections::BTreeMap<_, _> = read.answers.into_iter().collect();
        assert!(
            answers["r0"].as_ref().unwrap().text.contains("ferry"),
            "{kind:?}"
        );
        let e = answers["r1"].as_ref().unwrap_err();
        assert!(
            matches!(e, CallError::Status { code: 400, .. }) && !e.retryable(),
            "{kind:?}: {e}"
        );
    }
}
