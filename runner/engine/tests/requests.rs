//! Requests the model accepts: the answer-length field per dialect and model family, no
//! user setting dropped without a word, and every budget field doing what its schema
//! description says — the bodies are checked against the descriptions (issue 12).

use fabula_core::model::{
    Config, Dialect, ModelConfig, ProviderConfig, ProviderKind, Reasoning, TokenBudget,
};
use fabula_engine::call::{CallError, Message};
use fabula_engine::env::Env;
use fabula_engine::model::ModelHandle;
use fabula_engine::provider::{self, Tuning};
use fabula_fake_server::{FakeServer, Reply, chat, messages};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn provider_config(kind: ProviderKind, dialect: Option<Dialect>) -> ProviderConfig {
    ProviderConfig {
        kind,
        base_url: Some("http://127.0.0.1:9/unused".into()),
        dialect,
        base_url_env: Some("REQ_BASE_URL".into()),
        api_key_env: Some("REQ_KEY".into()),
        concurrency: Some(2),
        concurrency_min: None,
        concurrency_max: None,
        requests_per_minute: None,
        timeout_secs: Some(5),
        max_retries: Some(0),
        max_response_bytes: None,
        headers: BTreeMap::new(),
    }
}

fn openai(dialect: Dialect) -> ProviderConfig {
    provider_config(ProviderKind::Openai, Some(dialect))
}

fn model(id: &str) -> ModelConfig {
    ModelConfig {
        provider: "p".into(),
        model: id.into(),
        enabled: true,
        temperature: None,
        reasoning: None,
        verbosity: None,
        max_tokens: None,
        price: None,
    }
}

fn budget(max_tokens: Option<u32>, max_reasoning: Option<u32>) -> TokenBudget {
    TokenBudget {
        max_tokens,
        max_reasoning,
    }
}

/// The body `m` sends through a provider built from `config` (pointed at a local server
/// through `base_url_env`), or the error that stopped it before the wire.
async fn sent(config: &ProviderConfig, m: ModelConfig, b: TokenBudget) -> Result<Value, CallError> {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if seen.path.ends_with("/messages") {
            Reply::ok(messages("ok", "end_turn"))
        } else {
            Reply::ok(chat("ok", "stop"))
        }
    })
    .await;
    let env = Env::from_pairs([
        ("REQ_KEY".to_string(), "k".to_string()),
        ("REQ_BASE_URL".into(), server.url()),
    ]);
    let provider = provider::build("p", config, &env, &Tuning::default())?;
    let handle = ModelHandle::new("m", m, provider);
    let request = handle.request(vec![Message::user("hi")], b, false)?;
    handle.call(&request).await?;
    Ok(server.requests()[0].json())
}

/// The description of a field in `schema/fabula.schema.json`, by its path of properties.
fn described(path: &[&str]) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/fabula.schema.json"),
    )
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for p in path {
        v = v[p].take();
    }
    v["description"]
        .as_str()
        .unwrap_or_else(|| panic!("{path:?}"))
        .to_string()
}

#[tokio::test]
async fn a_models_max_tokens_does_what_the_schema_says() {
    let doc = described(&["$defs", "model", "properties", "max_tokens"]);
    assert!(
        doc.contains("a ceiling on the task's budget (the smaller of the two is sent)"),
        "{doc}"
    );
    assert!(
        doc.contains("the whole budget of calls that have none"),
        "{doc}"
    );
    assert!(
        doc.contains("Without it: the task's budget, else 4096"),
        "{doc}"
    );
    let per_type = described(&[
        "$defs",
        "settings",
        "properties",
        "budgets",
        "additionalProperties",
        "properties",
        "max_tokens",
    ]);
    assert!(
        per_type.contains("a model's `max_tokens` caps it (the smaller of the two is sent)"),
        "{per_type}"
    );

    let mut capped = model("vendor/model");
    capped.max_tokens = Some(8000);
    let cases = [
        (capped.clone(), Some(10000), 8000), // the model's ceiling over a larger budget
        (capped.clone(), Some(6000), 6000),  // a smaller budget stands
        (capped, None, 8000),                // no budget (judge, oracle, critic): the model's
        (model("vendor/model"), Some(6000), 6000), // no ceiling: the budget
        (model("vendor/model"), None, 4096), // neither: the default
    ];
    for dialect in [Dialect::Openai, Dialect::Openrouter] {
        for (m, b, expected) in &cases {
            let body = sent(&openai(dialect), m.clone(), budget(*b, None))
                .await
                .unwrap();
            assert_eq!(body["max_tokens"], *expected, "{dialect:?} {b:?}: {body}");
        }
    }
    for (m, b, expected) in &cases {
        let body = sent(
            &provider_config(ProviderKind::Anthropic, None),
            m.clone(),
            budget(*b, None),
        )
        .await
        .unwrap();
        assert_eq!(body["max_tokens"], *expected, "anthropic {b:?}: {body}");
    }
}

#[tokio::test]
async fn reasoning_families_get_max_completion_tokens_in_the_openai_dialect() {
    let doc = described(&["$defs", "provider", "properties", "dialect"]);
    assert!(doc.contains("`max_completion_tokens` instead of `max_tokens` to OpenAI's reasoning models (o1, o3, o4, gpt-5)"), "{doc}");
    assert!(doc.contains("`max_tokens` for every model"), "{doc}");
    let b = budget(Some(900), None);
    for id in [
        "o3",
        "o4-mini",
        "openai/o1",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5.1",
        "gpt-5-chat-latest",
    ] {
        let body = sent(&openai(Dialect::Openai), model(id), b).await.unwrap();
        assert_eq!(body["max_completion_tokens"], 900, "{id}: {body}");
        assert!(body.get("max_tokens").is_none(), "{id}: {body}");
    }
    for id in ["gpt-4o", "llama-3.1-8b", "gpt-50", "o10"] {
        let body = sent(&openai(Dialect::Openai), model(id), b).await.unwrap();
        assert_eq!(body["max_tokens"], 900, "{id}: {body}");
        assert!(body.get("max_completion_tokens").is_none(), "{id}: {body}");
    }
    let body = sent(&openai(Dialect::Openrouter), model("openai/o3"), b)
        .await
        .unwrap();
    assert_eq!(
        body["max_tokens"], 900,
        "OpenRouter translates it itself: {body}"
    );
}

#[tokio::test]
async fn reasoning_settings_per_dialect() {
    let effort = |e: &str| {
        Some(Reasoning {
            effort: Some(e.into()),
            max_tokens: None,
        })
    };
    let tokens = |n| {
        Some(Reasoning {
            effort: None,
            max_tokens: Some(n),
        })
    };
    let with = |r: Option<Reasoning>| ModelConfig {
        reasoning: r,
        ..model("vendor/model")
    };
    let b = budget(Some(8000), Some(3000));

    let body = sent(&openai(Dialect::Openrouter), with(tokens(4000)), b)
        .await
        .unwrap();
    assert_eq!(
        body["reasoning"],
        json!({"max_tokens": 3000}),
        "capped by max_reasoning: {body}"
    );
    assert_eq!(body["usage"], json!({"include": true}));
    let body = sent(&openai(Dialect::Openrouter), with(effort("high")), b)
        .await
        .unwrap();
    assert_eq!(body["reasoning"], json!({"effort": "high"}));

    let body = sent(&openai(Dialect::Openai), with(effort("low")), b)
        .await
        .unwrap();
    assert_eq!(body["reasoning_effort"], "low");
    assert!(
        body.get("reasoning").is_none() && body.get("usage").is_none(),
        "{body}"
    );
    let err = sent(&openai(Dialect::Openai), with(tokens(2048)), b)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`reasoning.max_tokens` cannot be sent in the openai dialect"),
        "{err}"
    );

    let doc = described(&[
        "$defs",
        "model",
        "properties",
        "reasoning",
        "properties",
        "effort",
    ]);
    assert!(doc.contains("none for `minimal`, 1,024 tokens for `low`, half of the answer's max tokens for `medium`, three quarters for `high`"), "{doc}");
    let anthropic = provider_config(ProviderKind::Anthropic, None);
    for (e, thinking) in [
        ("minimal", None),
        ("low", Some(1024)),
        ("medium", Some(4000)),
        ("high", Some(6000)),
    ] {
        let body = sent(&anthropic, with(effort(e)), b).await.unwrap();
        assert_eq!(
            body["thinking"]["budget_tokens"].as_u64(),
            thinking,
            "{e}: {body}"
        );
    }
    let body = sent(&anthropic, with(tokens(2048)), b).await.unwrap();
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
}

#[tokio::test]
async fn temperature_and_verbosity_per_dialect() {
    let with = |id: &str, t: f64| ModelConfig {
        temperature: Some(t),
        verbosity: Some("low".into()),
        ..model(id)
    };
    let b = budget(Some(2000), None);
    let body = sent(&openai(Dialect::Openai), with("gpt-4o", 0.7), b)
        .await
        .unwrap();
    assert_eq!(
        (body["temperature"].as_f64(), body["verbosity"].as_str()),
        (Some(0.7), Some("low"))
    );
    let err = sent(&openai(Dialect::Openai), with("o3-mini", 0.7), b)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`temperature: 0.7` is not accepted by `o3-mini`"),
        "{err}"
    );
    let body = sent(&openai(Dialect::Openai), with("o3-mini", 1.0), b)
        .await
        .unwrap();
    assert_eq!(body["temperature"], 1.0);
    let body = sent(&openai(Dialect::Openrouter), with("openai/o3", 0.7), b)
        .await
        .unwrap();
    assert_eq!(
        body["temperature"], 0.7,
        "OpenRouter drops what a model cannot take itself"
    );
    let body = sent(
        &provider_config(ProviderKind::Anthropic, None),
        with("claude", 1.5),
        b,
    )
    .await
    .unwrap();
    assert_eq!(body["temperature"], 1.0, "{body}");
    assert!(body.get("verbosity").is_none());
}

fn project(providers: Value, models: Value) -> Config {
    serde_json::from_value(
        json!({"version": 1, "providers": providers, "models": models, "judges": ["a"]}),
    )
    .unwrap()
}

#[test]
fn the_review_names_every_setting_that_is_refused_or_changed() {
    let config = project(
        json!({
            "openrouter": {"kind": "openai", "base_url": "https://openrouter.ai/api/v1", "base_url_env": "OR_URL", "api_key_env": "K"},
            "openai": {"kind": "openai", "base_url": "https://api.openai.com/v1", "api_key_env": "K"},
            "claude": {"kind": "anthropic", "base_url": "https://api.anthropic.com/v1", "api_key_env": "K"},
            "sim": {"kind": "sim"}
        }),
        json!({
            "a": {"provider": "openrouter", "model": "google/gemini-2.5-flash", "reasoning": {"max_tokens": 2048}},
            "b": {"provider": "openai", "model": "o3", "temperature": 0.3},
            "c": {"provider": "claude", "model": "claude-x", "temperature": 0.7, "verbosity": "low", "reasoning": {"effort": "low"}},
            "d": {"provider": "claude", "model": "claude-y", "temperature": 1.5},
            "e": {"provider": "sim", "model": "sim/x", "verbosity": "low"},
            "f": {"provider": "openrouter", "model": "x/y", "temperature": 0.5}
        }),
    );
    let names: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec();

    // On OpenRouter itself, only the direct providers have findings.
    let plain = provider::review(&config, &Env::default(), &names);
    assert_eq!(
        plain.errors,
        [
            "model `b` (o3): `temperature: 0.3` is not accepted by `o3` in the openai dialect (OpenAI's reasoning models take only the default, 1): remove it from the model",
        ]
    );
    assert_eq!(
        plain.warnings,
        [
            "model `c` (claude-x): `verbosity` is not part of Anthropic's Messages API and is not sent",
            "model `c` (claude-x): `temperature` is not sent while extended thinking is on (the Messages API requires the default then)",
            "model `d` (claude-y): `temperature: 1.5` is sent as 1, the Messages API's maximum",
        ]
    );

    // Pointed elsewhere, the OpenRouter provider speaks the openai dialect: said once,
    // and the reasoning budget it can no longer send is an error.
    let env = Env::from_pairs([("OR_URL", "http://127.0.0.1:8000/v1")]);
    let moved = provider::review(&config, &env, &names);
    assert_eq!(
        moved.errors[0],
        "model `a` (google/gemini-2.5-flash): `reasoning.max_tokens` cannot be sent in the openai dialect (it has only `reasoning_effort`): use `reasoning.effort`, or set `dialect: openrouter` on the provider if its server takes OpenRouter's `reasoning` object"
    );
    assert_eq!(moved.errors.len(), 2);
    assert_eq!(
        moved.warnings[0],
        "provider `openrouter`: OR_URL points it away from https://openrouter.ai/api/v1, so it speaks the `openai` dialect instead of `openrouter`; set `dialect:` on the provider to choose"
    );
    assert_eq!(moved.warnings.len(), 4);
    assert_eq!(
        provider::effective_dialect(&config.providers["openrouter"], &env),
        Some(Dialect::Openai)
    );
    assert_eq!(
        provider::effective_dialect(&config.providers["openrouter"], &Env::default()),
        Some(Dialect::Openrouter)
    );
    assert_eq!(
        provider::effective_dialect(&config.providers["claude"], &env),
        None
    );
}
