//! What the provider tests share: a provider entry pointed at a local server, and a
//! short request.

use fabula_core::model::{Dialect, ProviderConfig, ProviderKind};
use fabula_engine::call::{ChatRequest, Message};
use std::collections::BTreeMap;

/// A provider of `kind` at `url` (OpenAI kinds in `dialect`) whose key is in `key_env`.
pub fn provider(kind: ProviderKind, url: &str, dialect: Dialect, key_env: &str) -> ProviderConfig {
    ProviderConfig {
        kind,
        base_url: Some(url.to_string()),
        dialect: Some(dialect),
        base_url_env: None,
        api_key_env: Some(key_env.into()),
        concurrency: Some(4),
        concurrency_min: None,
        concurrency_max: None,
        requests_per_minute: None,
        timeout_secs: None,
        max_retries: None,
        max_response_bytes: None,
        headers: BTreeMap::new(),
    }
}

/// "Write." to `model`, with no other setting.
pub fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        messages: vec![Message::user("Write.")],
        max_tokens: 100,
        temperature: None,
        reasoning: None,
        verbosity: None,
        json: false,
        response_schema: None,
    }
}
