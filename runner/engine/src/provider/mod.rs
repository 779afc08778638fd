//! Providers behind one trait: OpenAI-compatible chat completions, Anthropic's Messages
//! API, and the offline simulator. [`build`] turns a `fabula.yaml` provider entry into one.

mod anthropic;
mod http;
mod openai;
mod sim;

pub use http::Endpoint;
pub use sim::Sim;

use crate::call::{CallError, ChatRequest, Completion};
use crate::env::Env;
use crate::limits::{BreakerPolicy, Limits, RetryPolicy};
use fabula_core::model::{Dialect, ProviderConfig, ProviderKind};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that answers chat requests.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// True for the offline simulator: its outputs are not a real model's work.
    fn simulated(&self) -> bool {
        false
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, CallError>>;
}

/// Tuning that `fabula.yaml` does not carry (tests and benchmarks shorten it).
#[derive(Clone, Debug, Default)]
pub struct Tuning {
    /// Overrides the policy derived from the provider entry, when set.
    pub retry: Option<RetryPolicy>,
    pub breaker: Option<BreakerPolicy>,
}

/// Builds the provider `name` from its config. Needs its key (if any) in `env`.
pub fn build(
    name: &str,
    config: &ProviderConfig,
    env: &Env,
    tuning: &Tuning,
) -> Result<Arc<dyn Provider>, CallError> {
    if config.kind == ProviderKind::Sim {
        return Ok(Arc::new(Sim::new()));
    }
    let base_url = config
        .base_url_env
        .as_deref()
        .and_then(|var| env.get(var))
        .or(config.base_url.as_deref())
        .ok_or_else(|| CallError::Config(format!("provider `{name}` has no base_url")))?
        .to_string();
    let key = match &config.api_key_env {
        Some(var) => Some(env.get(var).ok_or_else(|| CallError::MissingKey {
            provider: name.to_string(),
            env: var.clone(),
        })?),
        None => None,
    };
    let mut retry = RetryPolicy::default();
    if let Some(n) = config.max_retries {
        retry.max_retries = n;
    }
    if let Some(s) = config.timeout_secs {
        retry.timeout = Duration::from_secs(s);
    }
    let limits = Limits::new(
        config.concurrency.unwrap_or(8),
        config.requests_per_minute,
        tuning.retry.clone().unwrap_or(retry),
        tuning.breaker.clone().unwrap_or_default(),
    );
    let mut headers: Vec<(String, String)> = config
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match config.kind {
        ProviderKind::Openai => {
            if let Some(key) = key {
                headers.push(("authorization".into(), format!("Bearer {key}")));
            }
            let dialect = config
                .dialect
                .unwrap_or(if base_url.contains("openrouter.ai") {
                    Dialect::Openrouter
                } else {
                    Dialect::Openai
                });
            let endpoint = Endpoint::new(name, &base_url, &headers, limits)?;
            Ok(Arc::new(openai::OpenAi::new(endpoint, dialect)))
        }
        ProviderKind::Anthropic => {
            if let Some(key) = key {
                headers.push(("x-api-key".into(), key.to_string()));
            }
            headers.push(("anthropic-version".into(), "2023-06-01".into()));
            let endpoint = Endpoint::new(name, &base_url, &headers, limits)?;
            Ok(Arc::new(anthropic::Anthropic::new(endpoint)))
        }
        ProviderKind::Sim => unreachable!("handled above"),
    }
}

/// Cost in USD from per-million prices.
pub fn priced(
    usage: fabula_core::model::Usage,
    price: Option<fabula_core::model::Price>,
) -> Option<f64> {
    let p = price?;
    Some(
        (usage.prompt_tokens as f64 * p.input + usage.completion_tokens as f64 * p.output)
            / 1_000_000.0,
    )
}
