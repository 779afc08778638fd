//! A provider that refuses the key, the permission or the model is not asked again: the
//! first refusal makes every later call fail at once, without a request, with an error
//! that names the provider, the status and the variable the key came from (issue 12).

use fabula_core::model::{Dialect, ProviderKind};
use fabula_engine::call::CallError;
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::{self, Provider, Tuning};
use fabula_fake_server::{FakeServer, Reply, chat, messages};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-ant-api03-REFUSED-abcdefghijklmnop";

mod support;

fn build(kind: ProviderKind, server: &FakeServer, concurrency: u32) -> Arc<dyn Provider> {
    let mut config = support::provider(kind, &server.url(), Dialect::Openrouter, "FAIL_FAST_KEY");
    config.concurrency = Some(concurrency);
    let tuning = Tuning {
        retry: Some(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
        }),
        breaker: Some(BreakerPolicy::default()),
    };
    provider::build(
        "acme",
        &config,
        &Env::from_pairs([("FAIL_FAST_KEY", KEY)]),
        &tuning,
    )
    .unwrap()
}

fn ok_body(kind: ProviderKind) -> String {
    match kind {
        ProviderKind::Anthropic => messages("fine", "end_turn"),
        _ => chat("fine", "stop"),
    }
}

/// `status` after `n` successes; then `later` more calls, sequential and concurrent.
async fn refused_after(
    kind: ProviderKind,
    status: u16,
    n: usize,
    later: usize,
) -> (FakeServer, Vec<String>) {
    let body = ok_body(kind);
    let server = FakeServer::start(Duration::ZERO, move |i, seen| {
        if i < n {
            Reply::ok(body.clone())
        } else {
            let key = seen
                .header("x-api-key")
                .or(seen.header("authorization"))
                .unwrap_or("");
            Reply::status(
                status,
                format!("{{\"error\":{{\"message\":\"no: {key}\"}}}}"),
            )
        }
    })
    .await;
    let p = build(kind, &server, 1);
    for _ in 0..n {
        p.complete(&support::request("m/one")).await.unwrap();
    }
    let mut errors = Vec::new();
    for _ in 0..later {
        errors.push(
            p.complete(&support::request("m/one"))
                .await
                .unwrap_err()
                .to_string(),
        );
    }
    let calls: Vec<_> = (0..later)
        .map(|_| {
            let p = Arc::clone(&p);
            tokio::spawn(async move { p.complete(&support::request("m/one")).await })
        })
        .collect();
    for c in calls {
        errors.push(c.await.unwrap().unwrap_err().to_string());
    }
    (server, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_is_asked_once() {
    for kind in [ProviderKind::Openai, ProviderKind::Anthropic] {
        for status in [401, 403] {
            let (server, errors) = refused_after(kind, status, 3, 20).await;
            assert_eq!(
                server.hits(),
                4,
                "{kind:?} {status}: 3 successes, then one refusal"
            );
            for e in &errors {
                assert!(e.contains("acme"), "{e}");
                assert!(e.contains(&status.to_string()), "{e}");
                assert!(e.contains("FAIL_FAST_KEY"), "{e}");
                assert!(!e.contains(&KEY[..8]), "{e}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_account_is_asked_once_at_any_concurrency() {
    // Eight calls race for four slots when the refusal lands: those already sent are
    // answered, every later one is refused without a request.
    let server = FakeServer::start(Duration::from_millis(20), |i, _| {
        if i < 5 {
            Reply::ok(chat("fine", "stop"))
        } else {
            Reply::status(402, r#"{"error":{"message":"insufficient credits"}}"#)
        }
    })
    .await;
    let p = build(ProviderKind::Openai, &server, 4);
    for _ in 0..5 {
        p.complete(&support::request("m/one")).await.unwrap();
    }
    let calls: Vec<_> = (0..40)
        .map(|_| {
            let p = Arc::clone(&p);
            tokio::spawn(async move { p.complete(&support::request("m/one")).await })
        })
        .collect();
    for c in calls {
        let e = c.await.unwrap().unwrap_err();
        let r = e.refusal().unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!((r.status, r.model.as_deref()), (402, None));
        assert!(e.to_string().contains("credits"), "{e}");
    }
    assert!(
        (6..=5 + 4).contains(&server.hits()),
        "at most the calls already in flight: {}",
        server.hits()
    );
}

#[tokio::test]
async fn the_refusal_names_the_provider_status_and_key_variable() {
    let (_, errors) = refused_after(ProviderKind::Anthropic, 401, 0, 1).await;
    let e = &errors[0];
    assert!(
        e.starts_with("provider `acme` rejected the API key (HTTP 401); check that the key in FAIL_FAST_KEY (environment or .env) is current and belongs to this provider"),
        "{e}"
    );
}

#[tokio::test]
async fn an_unknown_model_stops_only_that_model() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if seen.json()["model"] == "m/missing" {
            Reply::status(
                404,
                r#"{"error":{"message":"model m/missing does not exist"}}"#,
            )
        } else {
            Reply::ok(chat("fine", "stop"))
        }
    })
    .await;
    let p = build(ProviderKind::Openai, &server, 2);
    for _ in 0..5 {
        let e = p
            .complete(&support::request("m/missing"))
            .await
            .unwrap_err();
        let r = e.refusal().unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!((r.status, r.model.as_deref()), (404, Some("m/missing")));
        assert!(
            e.to_string().starts_with(
                "provider `acme` does not know model `m/missing` (HTTP 404); check the model id in fabula.yaml and the provider's base URL; no more requests go to this model in this run"
            ),
            "{e}"
        );
        assert_eq!(
            p.complete(&support::request("m/one")).await.unwrap().text,
            "fine"
        );
    }
    assert_eq!(
        server.hits(),
        1 + 5,
        "one 404, then the other model's five calls"
    );
}

#[tokio::test]
async fn a_refusal_inside_a_200_counts_and_a_refusal_after_retries_is_not_hidden() {
    // OpenRouter reports some failures as an error object in a 200.
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::status(503, "{}"),
        _ => Reply::ok(r#"{"error":{"code":403,"message":"key disabled"}}"#),
    })
    .await;
    let p = build(ProviderKind::Openai, &server, 2);
    let e = p.complete(&support::request("m/one")).await.unwrap_err();
    assert!(
        matches!(&e, CallError::Refused(r) if r.status == 403),
        "a refusal on the second attempt is not wrapped in `Exhausted`: {e:?}"
    );
    assert!(p.complete(&support::request("m/one")).await.is_err());
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn other_client_errors_do_not_stop_the_provider() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::status(400, r#"{"error":{"message":"bad request"}}"#),
        1 => Reply::status(422, "{}"),
        _ => Reply::ok(chat("fine", "stop")),
    })
    .await;
    let p = build(ProviderKind::Openai, &server, 2);
    assert!(matches!(
        p.complete(&support::request("m/one")).await,
        Err(CallError::Status { code: 400, .. })
    ));
    assert!(matches!(
        p.complete(&support::request("m/one")).await,
        Err(CallError::Status { code: 422, .. })
    ));
    assert!(p.complete(&support::request("m/one")).await.is_ok());
}
