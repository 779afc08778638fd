//! The real providers against a local server on 127.0.0.1: success, every fault the
//! issue lists, both wire formats, the concurrency cap and the circuit breaker. Nothing
//! here talks to anything but the test's own server.

use fabula_core::model::{Dialect, FinishReason, ProviderConfig, ProviderKind};
use fabula_engine::call::{CallError, ChatRequest, Message, ReasoningRequest};
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::{self, Provider, Tuning};
use fabula_fake_server::{FakeServer, Reply, chat};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY: &str = "sk-test-abcdef0123456789";

fn config(kind: ProviderKind, url: &str, concurrency: u32) -> ProviderConfig {
    ProviderConfig {
        kind,
        base_url: Some(url.to_string()),
        dialect: Some(Dialect::Openrouter),
        base_url_env: None,
        api_key_env: Some("TEST_API_KEY".into()),
        concurrency: Some(concurrency),
        concurrency_min: None,
        concurrency_max: None,
        requests_per_minute: None,
        timeout_secs: None,
        max_retries: None,
        max_response_bytes: None,
        headers: BTreeMap::from([
            (
                "HTTP-Referer".to_string(),
                "https://example.invalid/fabula".to_string(),
            ),
            ("X-Title".to_string(), "Fabula".to_string()),
        ]),
    }
}

fn fast(max_retries: u32, timeout_ms: u64) -> Tuning {
    Tuning {
        retry: Some(RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
            timeout: Duration::from_millis(timeout_ms),
        }),
        breaker: Some(BreakerPolicy {
            threshold: 1000,
            cooldown: Duration::from_millis(200),
        }),
    }
}

fn openai(server: &FakeServer, tuning: &Tuning, concurrency: u32) -> Arc<dyn Provider> {
    let env = Env::from_pairs([("TEST_API_KEY", KEY)]);
    provider::build(
        "test",
        &config(ProviderKind::Openai, &server.url(), concurrency),
        &env,
        tuning,
    )
    .unwrap()
}

fn anthropic(server: &FakeServer, tuning: &Tuning) -> Arc<dyn Provider> {
    let env = Env::from_pairs([("TEST_API_KEY", KEY)]);
    provider::build(
        "claude",
        &config(ProviderKind::Anthropic, &server.url(), 2),
        &env,
        tuning,
    )
    .unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "vendor/model-x".into(),
        messages: vec![Message::system("You write."), Message::user("Write.")],
        max_tokens: 6000,
        temperature: Some(0.7),
        reasoning: Some(ReasoningRequest::Tokens(2048)),
        verbosity: None,
        json: false,
        response_schema: None,
    }
}

#[tokio::test]
async fn success_maps_request_and_response() {
    let server =
        FakeServer::start(Duration::ZERO, |_, _| Reply::ok(chat("Once upon.", "stop"))).await;
    let p = openai(&server, &fast(0, 2000), 4);
    let c = p.complete(&request()).await.unwrap();
    assert_eq!(c.text, "Once upon.");
    assert_eq!(c.finish, FinishReason::Stop);
    assert_eq!(c.usage.prompt_tokens, 12);
    assert_eq!(c.usage.completion_tokens, 34);
    assert_eq!(c.usage.reasoning_tokens, 20);
    assert_eq!(c.cost_usd, Some(0.00042));
    assert_eq!(c.attempts, 1);
    let seen = &server.requests()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(
        seen.header("http-referer"),
        Some("https://example.invalid/fabula")
    );
    assert_eq!(seen.header("x-title"), Some("Fabula"));
    let body = seen.json();
    assert_eq!(body["model"], "vendor/model-x");
    assert_eq!(body["reasoning"]["max_tokens"], 2048);
    assert_eq!(body["max_tokens"], 6000);
    assert_eq!(body["messages"][1]["content"], "Write.");
}

#[tokio::test]
async fn retries_429_honouring_retry_after() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::status(429, r#"{"error":"slow down"}"#).with_header("retry-after", "0.3"),
        _ => Reply::ok(chat("ok", "stop")),
    })
    .await;
    let p = openai(&server, &fast(3, 2000), 4);
    let started = Instant::now();
    let c = p.complete(&request()).await.unwrap();
    assert_eq!(c.attempts, 2);
    assert_eq!(server.hits(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_429_without_retry_after_by_backoff() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 | 1 => Reply::status(429, "{}"),
        _ => Reply::ok(chat("ok", "stop")),
    })
    .await;
    let p = openai(&server, &fast(3, 2000), 4);
    let c = p.complete(&request()).await.unwrap();
    assert_eq!(c.attempts, 3);
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn retries_500_and_503_then_gives_up() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::status(500, "{}"),
        1 => Reply::status(503, "{}"),
        _ => Reply::ok(chat("ok", "stop")),
    })
    .await;
    let c = openai(&server, &fast(3, 2000), 4)
        .complete(&request())
        .await
        .unwrap();
    assert_eq!(c.attempts, 3);

    let dead = FakeServer::start(Duration::ZERO, |_, _| {
        Reply::status(503, "{\"error\":\"down\"}")
    })
    .await;
    let err = openai(&dead, &fast(2, 2000), 4)
        .complete(&request())
        .await
        .unwrap_err();
    match &err {
        CallError::Exhausted { attempts, last } => {
            assert_eq!(*attempts, 3);
            assert!(matches!(**last, CallError::Status { code: 503, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dead.hits(), 3);
    assert!(
        err.to_string().contains("gave up after 3 attempts"),
        "{err}"
    );
}

#[tokio::test]
async fn other_4xx_are_not_retried() {
    let server = FakeServer::start(Duration::ZERO, |_, _| {
        Reply::status(400, r#"{"error":"bad model"}"#)
    })
    .await;
    let err = openai(&server, &fast(5, 2000), 4)
        .complete(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::Status { code: 400, .. }),
        "{err:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_hang_times_out_and_is_retried() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::Hang,
        _ => Reply::ok(chat("ok", "stop")),
    })
    .await;
    let started = Instant::now();
    let c = openai(&server, &fast(2, 300), 4)
        .complete(&request())
        .await
        .unwrap();
    assert_eq!(c.attempts, 2);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");

    let hung = FakeServer::start(Duration::ZERO, |_, _| Reply::Hang).await;
    let err = openai(&hung, &fast(1, 200), 4)
        .complete(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Exhausted { attempts: 2, last } if matches!(**last, CallError::Timeout(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_and_truncated_bodies_are_retried() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::ok("{\"choices\": [ {\"message\": "),
        1 => Reply::Truncated {
            body: chat("this body is cut", "stop")[..40].to_string(),
            claimed: 400,
        },
        2 => Reply::ok("<html>Bad gateway</html>"),
        _ => Reply::ok(chat("whole", "stop")),
    })
    .await;
    let c = openai(&server, &fast(5, 2000), 4)
        .complete(&request())
        .await
        .unwrap();
    assert_eq!(c.text, "whole");
    assert_eq!(c.attempts, 4);

    let always_bad = FakeServer::start(Duration::ZERO, |_, _| Reply::ok("not json")).await;
    let err = openai(&always_bad, &fast(1, 2000), 4)
        .complete(&request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Exhausted { last, .. } if matches!(**last, CallError::Malformed(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn finish_reasons_are_normalised() {
    for (wire, expected) in [
        ("length", FinishReason::Length),
        ("content_filter", FinishReason::ContentFilter),
        ("tool_calls", FinishReason::Other),
    ] {
        let server =
            FakeServer::start(Duration::ZERO, move |_, _| Reply::ok(chat("cut", wire))).await;
        let c = openai(&server, &fast(0, 2000), 4)
            .complete(&request())
            .await
            .unwrap();
        assert_eq!(c.finish, expected, "{wire}");
    }
}

#[tokio::test]
async fn anthropic_messages_format() {
    let server = FakeServer::start(Duration::ZERO, |_, _| {
        Reply::ok(
            r#"{"id":"msg_1","type":"message","role":"assistant",
                "content":[{"type":"thinking","thinking":"..."},{"type":"text","text":"Hello there."}],
                "stop_reason":"end_turn","usage":{"input_tokens":21,"output_tokens":55}}"#,
        )
    })
    .await;
    let p = anthropic(&server, &fast(0, 2000));
    let c = p.complete(&request()).await.unwrap();
    assert_eq!(c.text, "Hello there.");
    assert_eq!(c.finish, FinishReason::Stop);
    assert_eq!(c.usage.prompt_tokens, 21);
    assert_eq!(c.usage.completion_tokens, 55);
    let seen = &server.requests()[0];
    assert_eq!(seen.path, "/messages");
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
    assert!(seen.header("authorization").is_none());
    let body = seen.json();
    assert_eq!(body["system"], "You write.");
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["thinking"]["budget_tokens"], 2048);
}

#[tokio::test]
async fn never_more_in_flight_than_the_concurrency() {
    let server = FakeServer::start(Duration::from_millis(60), |_, _| {
        Reply::ok(chat("ok", "stop"))
    })
    .await;
    let p = openai(&server, &fast(0, 5000), 4);
    let request = request();
    let calls = (0..24).map(|_| p.complete(&request));
    let results = join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.hits(), 24);
    assert_eq!(
        server.max_in_flight(),
        4,
        "the cap is reached and never exceeded"
    );
}

#[tokio::test]
async fn the_circuit_opens_on_a_dead_endpoint_and_recovers() {
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&healthy);
    let server = FakeServer::start(Duration::ZERO, move |_, _| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            Reply::ok(chat("back", "stop"))
        } else {
            Reply::status(502, "{}")
        }
    })
    .await;
    let tuning = Tuning {
        retry: Some(RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            timeout: Duration::from_secs(2),
        }),
        breaker: Some(BreakerPolicy {
            threshold: 3,
            cooldown: Duration::from_millis(300),
        }),
    };
    let p = openai(&server, &tuning, 4);
    for _ in 0..20 {
        let _ = p.complete(&request()).await;
    }
    assert_eq!(
        server.hits(),
        3,
        "after 3 failures the endpoint is left alone"
    );
    let err = p.complete(&request()).await.unwrap_err();
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err:?}");
    healthy.store(true, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let c = p.complete(&request()).await.unwrap();
    assert_eq!(c.text, "back");
    assert!(p.complete(&request()).await.is_ok(), "closed again");
}

#[tokio::test]
async fn a_missing_key_fails_before_any_request() {
    let server = FakeServer::start(Duration::ZERO, |_, _| Reply::ok(chat("ok", "stop"))).await;
    let err = provider::build(
        "test",
        &config(ProviderKind::Openai, &server.url(), 4),
        &Env::default(),
        &Tuning::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("TEST_API_KEY"), "{err}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn base_url_env_overrides_the_config() {
    let server = FakeServer::start(Duration::ZERO, |_, _| Reply::ok(chat("here", "stop"))).await;
    let mut cfg = config(ProviderKind::Openai, "http://127.0.0.1:9/never", 4);
    cfg.base_url_env = Some("TEST_BASE_URL".into());
    let env = Env::from_pairs([
        ("TEST_API_KEY", KEY.to_string()),
        ("TEST_BASE_URL", server.url()),
    ]);
    let p = provider::build("test", &cfg, &env, &fast(0, 2000)).unwrap();
    assert_eq!(p.complete(&request()).await.unwrap().text, "here");
}

#[tokio::test]
async fn keys_echoed_by_a_provider_never_reach_errors() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        let auth = seen.header("authorization").unwrap_or("").to_string();
        Reply::status(401, format!("{{\"error\":\"invalid key {auth}\"}}"))
    })
    .await;
    let err = openai(&server, &fast(0, 2000), 4)
        .complete(&request())
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    let debug = format!("{:?}", openai(&server, &fast(0, 2000), 4));
    assert!(!debug.contains(KEY), "{debug}");
}

#[tokio::test]
async fn a_redirect_is_an_error_and_the_key_never_follows_it() {
    // Another origin (another port): reqwest's own policy would follow there and strip
    // only `authorization`, so Anthropic's `x-api-key` would go along.
    let elsewhere =
        FakeServer::start(Duration::ZERO, |_, _| Reply::ok(chat("stolen", "stop"))).await;
    let to = format!("{}/messages", elsewhere.url());
    let server = FakeServer::start(Duration::ZERO, move |_, _| {
        Reply::status(307, "").with_header("location", &to)
    })
    .await;
    let p = anthropic(&server, &fast(3, 2000));
    let err = p.complete(&request()).await.unwrap_err();
    assert_eq!(elsewhere.hits(), 0, "the request followed the redirect");
    assert!(
        matches!(err, CallError::Status { code: 307, .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains("redirect") && shown.contains("base_url"),
        "{shown}"
    );
    // Not retried: where the provider answers is a setting to fix, not a fault to wait out.
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_base_url_that_is_not_a_url_fails_when_the_provider_is_built() {
    let env = Env::from_pairs([("TEST_API_KEY", KEY)]);
    for kind in [ProviderKind::Openai, ProviderKind::Anthropic] {
        let err = provider::build(
            "broken",
            &config(kind, "not a url", 2),
            &env,
            &fast(0, 2000),
        )
        .unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, CallError::Config(_)), "{err:?}");
        assert!(
            shown.contains("provider `broken`") && shown.contains("base_url `not a url`"),
            "{shown}"
        );
    }
}

/// Awaits all futures concurrently on the current task.
async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.unwrap()).collect()
}
