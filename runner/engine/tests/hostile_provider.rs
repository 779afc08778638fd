//! A provider's bytes are hostile input: absurd headers, keys echoed back, bodies of any
//! size. None of them may panic, leak a key or exhaust memory (issue 13, items 1, 2, 7).

use fabula_core::model::{Dialect, ProviderConfig, ProviderKind};
use fabula_engine::call::{CallError, ChatRequest};
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::{self, Provider, Tuning};
use fabula_fake_server::{FakeServer, Reply, chat, messages};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "sk-or-PLANTED1-0123456789abcdefghijklmnopqrstuv";

mod support;

fn config(kind: ProviderKind, url: &str) -> ProviderConfig {
    support::provider(kind, url, Dialect::Openai, "TEST_API_KEY")
}

fn tuning(max_retries: u32) -> Tuning {
    Tuning {
        retry: Some(RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            timeout: Duration::from_secs(20),
        }),
        breaker: Some(BreakerPolicy {
            threshold: 1000,
            cooldown: Duration::from_millis(100),
        }),
    }
}

fn build(kind: ProviderKind, server: &FakeServer, retries: u32) -> Arc<dyn Provider> {
    provider::build(
        "hostile",
        &config(kind, &server.url()),
        &Env::from_pairs([("TEST_API_KEY", KEY)]),
        &tuning(retries),
    )
    .unwrap()
}

fn request() -> ChatRequest {
    support::request("vendor/model")
}

/// Every part of `KEY` that the scrubber must remove: its first 8 characters are in any
/// longer prefix, so their absence proves every prefix of 8+ characters is gone.
fn leaks(shown: &str) -> bool {
    shown.contains(&KEY[..8])
}

const ABSURD_RETRY_AFTER: [&str; 9] = [
    "1e20",
    "1e400",
    "-5",
    "NaN",
    "inf",
    "-inf",
    "18446744073709551616",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "0x10",
];

#[tokio::test]
async fn absurd_retry_after_on_a_success_is_ignored() {
    for value in ABSURD_RETRY_AFTER {
        let server = FakeServer::start(Duration::ZERO, move |_, _| {
            Reply::ok(chat("fine", "stop")).with_header("retry-after", value)
        })
        .await;
        let c = build(ProviderKind::Openai, &server, 0)
            .complete(&request())
            .await
            .unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!(c.text, "fine", "{value}");
    }
}

#[tokio::test]
async fn absurd_retry_after_on_a_429_waits_at_most_the_cap() {
    for value in ABSURD_RETRY_AFTER {
        let server = FakeServer::start(Duration::ZERO, move |i, _| match i {
            0 => Reply::status(429, "{}").with_header("retry-after", value),
            _ => Reply::ok(chat("after", "stop")),
        })
        .await;
        let started = std::time::Instant::now();
        let c = build(ProviderKind::Openai, &server, 2)
            .complete(&request())
            .await
            .unwrap_or_else(|e| panic!("{value}: {e}"));
        assert_eq!((c.text.as_str(), c.attempts), ("after", 2), "{value}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{value}: waited {:?} (the policy's max_delay is 50 ms)",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_key_straddling_the_error_cut_never_survives() {
    for kind in [ProviderKind::Openai, ProviderKind::Anthropic] {
        // The error excerpt is 300 characters: plant the key so that it starts before,
        // at and after the cut, and so that the cut falls at every place inside it.
        let offsets: Vec<usize> = (300 - KEY.len() - 2..=302).collect();
        let server = {
            let offsets = offsets.clone();
            FakeServer::start(Duration::ZERO, move |i, seen| {
                let echoed = seen
                    .header("authorization")
                    .map(|v| v.trim_start_matches("Bearer ").to_string())
                    .or_else(|| seen.header("x-api-key").map(str::to_string))
                    .unwrap_or_default();
                let filler = "e".repeat(offsets[i % offsets.len()] - 12);
                Reply::status(
                    400,
                    format!("{{\"error\":\"{filler} bad key: {echoed} is not valid\"}}"),
                )
            })
            .await
        };
        let p = build(kind, &server, 0);
        for offset in &offsets {
            let err = p.complete(&request()).await.unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!leaks(&shown), "{kind:?} offset {offset}: {shown}");
        }
    }
}

#[tokio::test]
async fn a_key_echoed_inside_a_success_never_reaches_the_output() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        let key = seen
            .header("authorization")
            .map(|v| v.trim_start_matches("Bearer ").to_string())
            .or_else(|| seen.header("x-api-key").map(str::to_string))
            .unwrap_or_default();
        let text = format!("Your key is {key}; its start is {}.", &key[..12]);
        if seen.path.ends_with("/messages") {
            Reply::ok(messages(&text, "end_turn"))
        } else {
            Reply::ok(chat(&text, "stop"))
        }
    })
    .await;
    for kind in [ProviderKind::Openai, ProviderKind::Anthropic] {
        let c = build(kind, &server, 0).complete(&request()).await.unwrap();
        assert!(!leaks(&c.text), "{kind:?}: {}", c.text);
        assert!(c.text.starts_with("Your key is "), "{kind:?}: {}", c.text);
    }
}

#[tokio::test]
async fn an_oversize_body_is_refused_without_reading_it() {
    const HUNDRED_MB: usize = 100 * 1024 * 1024;
    for declared in [true, false] {
        let server = FakeServer::start(Duration::ZERO, move |_, _| Reply::Stream {
            headers: Vec::new(),
            total: HUNDRED_MB,
            declared,
        })
        .await;
        let err = build(ProviderKind::Openai, &server, 0)
            .complete(&request())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            CallError::TooLarge {
                limit: provider::DEFAULT_MAX_RESPONSE_BYTES
            },
            "declared {declared}: not retried, not wrapped"
        );
        assert_eq!(server.hits(), 1, "declared {declared}");
        // The client read no more than the cap (4 MiB by default); socket buffers on both
        // sides hold a few MB more at most. Reading the whole body would take 100 MB.
        assert!(
            server.streamed() < 24 * 1024 * 1024,
            "declared {declared}: the server wrote {} bytes",
            server.streamed()
        );
    }
}

#[tokio::test]
async fn the_size_cap_is_a_provider_setting() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::ok(chat(&"w".repeat(3000), "stop")),
        _ => Reply::ok(chat("short", "stop")),
    })
    .await;
    let mut cfg = config(ProviderKind::Openai, &server.url());
    cfg.max_response_bytes = Some(2048);
    let p = provider::build(
        "small",
        &cfg,
        &Env::from_pairs([("TEST_API_KEY", KEY)]),
        &tuning(3),
    )
    .unwrap();
    let err = p.complete(&request()).await.unwrap_err();
    assert_eq!(err, CallError::TooLarge { limit: 2048 });
    assert!(err.to_string().contains("max_response_bytes"), "{err}");
    assert_eq!(p.complete(&request()).await.unwrap().text, "short");
}

#[tokio::test]
async fn huge_error_bodies_are_read_only_in_part() {
    let server = FakeServer::start(Duration::ZERO, |_, _| {
        Reply::status(
            500,
            format!("{{\"error\":\"{}\"}}", "z".repeat(10 * 1024 * 1024)),
        )
    })
    .await;
    let err = build(ProviderKind::Openai, &server, 0)
        .complete(&request())
        .await
        .unwrap_err();
    match err {
        CallError::Status {
            code: 500, body, ..
        } => {
            assert!(
                body.chars().count() <= 301,
                "an excerpt: {} chars",
                body.len()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_oversize_answer_after_a_retry_is_not_hidden_in_exhausted() {
    let server = FakeServer::start(Duration::ZERO, |i, _| match i {
        0 => Reply::status(503, "{}"),
        _ => Reply::Stream {
            headers: Vec::new(),
            total: 8 * 1024 * 1024,
            declared: true,
        },
    })
    .await;
    let err = build(ProviderKind::Openai, &server, 3)
        .complete(&request())
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::TooLarge { .. }), "{err:?}");
    assert_eq!(
        server.hits(),
        2,
        "an over-size answer is not asked for again"
    );
}
