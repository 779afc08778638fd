//! Providers behind one trait: OpenAI-compatible chat completions, Anthropic's Messages
//! API, and the offline simulator. [`build`] turns a `fabula.yaml` provider entry into one;
//! [`review`] says, before any call, what a provider's wire format would refuse or change
//! in the models' settings; [`effective_dialect`] is the dialect a provider really speaks
//! once `base_url_env` is applied.

mod anthropic;
mod anthropic_batch;
pub mod batch;
mod http;
mod openai;
mod openai_batch;
mod rules;
mod sim;

pub use anthropic::parse as parse_messages;
pub use batch::BatchApi;
pub use http::{DEFAULT_MAX_RESPONSE_BYTES, Endpoint};
pub use openai::parse as parse_chat_completions;
pub use rules::{Findings, Wire};
pub use sim::Sim;

use crate::adaptive::AdaptivePolicy;
use crate::call::{CallError, ChatRequest, Completion};
use crate::env::Env;
use crate::limits::{BreakerPolicy, Concurrency, Limits, RetryPolicy};
use fabula_core::model::{
    Config, Dialect, FinishReason, ModelConfig, ProviderConfig, ProviderKind, Usage,
};
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

    /// True when the provider reads [`ChatRequest::response_schema`] (the simulator
    /// answers a judge from it). The others are sent none, so none is built for them.
    fn reads_answer_schema(&self) -> bool {
        false
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, CallError>>;

    /// The limits its calls run under (none for the simulator): what a test or a
    /// progress display reads, e.g. an adaptive limit's current value.
    fn limits(&self) -> Option<&Limits> {
        None
    }

    /// The provider's batch API, when it has one (OpenAI's dialect and Anthropic; not
    /// OpenRouter, not the simulator).
    fn batch(&self) -> Option<&dyn BatchApi> {
        None
    }
}

/// The messages of a request for which `keep` holds, as both wire formats take them
/// (`{"role": …, "content": …}`), written from the request as they go: no copy of a
/// prompt, no JSON tree.
pub(crate) struct Messages<'a> {
    pub messages: &'a [crate::call::Message],
    pub keep: fn(&crate::call::Message) -> bool,
}

impl serde::Serialize for Messages<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        #[derive(serde::Serialize)]
        struct Wired<'a> {
            role: &'a str,
            content: &'a str,
        }
        let mut seq = serializer.serialize_seq(None)?;
        for m in self.messages.iter().filter(|m| (self.keep)(m)) {
            seq.serialize_element(&Wired {
                role: m.role.as_str(),
                content: &m.content,
            })?;
        }
        seq.end()
    }
}

/// A response body, parsed: what every wire format reduces to.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub text: String,
    pub finish: FinishReason,
    pub usage: Usage,
    /// Cost in USD, where the provider reports it (finite and not negative).
    pub cost: Option<f64>,
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
    let base_url = base_url(config, env)
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
    let concurrency = if config.adaptive() {
        let (floor, ceiling, start) = config.adaptive_bounds();
        Concurrency::Adaptive(AdaptivePolicy::new(floor, ceiling, start))
    } else {
        Concurrency::Fixed(config.max_slots())
    };
    let limits = Limits::new(
        concurrency,
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
        }
        ProviderKind::Anthropic => {
            if let Some(key) = key {
                headers.push(("x-api-key".into(), key.to_string()));
            }
            headers.push(("anthropic-version".into(), "2023-06-01".into()));
        }
        ProviderKind::Sim => unreachable!("handled above"),
    }
    let endpoint = Endpoint::new(
        http::Settings {
            provider: name,
            base_url: &base_url,
            headers: &headers,
            key_env: config.api_key_env.as_deref(),
            key,
            max_response_bytes: config
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
        },
        limits,
    )?;
    Ok(match wire(config, env) {
        Some(Wire::Chat(dialect)) => Arc::new(openai::OpenAi::new(endpoint, dialect)?),
        _ => Arc::new(anthropic::Anthropic::new(endpoint)?),
    })
}

/// The base URL requests go to: `base_url_env`'s value when it is set, else `base_url`.
fn base_url<'a>(config: &'a ProviderConfig, env: &'a Env) -> Option<&'a str> {
    config
        .base_url_env
        .as_deref()
        .and_then(|var| env.get(var))
        .or(config.base_url.as_deref())
}

/// The dialect an OpenAI-compatible provider speaks: its `dialect`, else `openrouter`
/// when the base URL in effect (after `base_url_env`) is on openrouter.ai, else `openai`.
/// `None` for the other kinds, whose wire format the kind fixes.
pub fn effective_dialect(config: &ProviderConfig, env: &Env) -> Option<Dialect> {
    (config.kind == ProviderKind::Openai).then(|| {
        config
            .dialect
            .unwrap_or_else(|| default_dialect(base_url(config, env).unwrap_or("")))
    })
}

fn default_dialect(base_url: &str) -> Dialect {
    if base_url.contains("openrouter.ai") {
        Dialect::Openrouter
    } else {
        Dialect::Openai
    }
}

/// The wire format of a provider; `None` for the simulator.
pub fn wire(config: &ProviderConfig, env: &Env) -> Option<Wire> {
    match config.kind {
        ProviderKind::Openai => effective_dialect(config, env).map(Wire::Chat),
        ProviderKind::Anthropic => Some(Wire::Messages),
        ProviderKind::Sim => None,
    }
}

/// Reviews the settings of the models `names` (config names) against the wire format
/// each one's provider speaks in `env`. Errors name settings that cannot be sent: a run
/// must not start with them (the request builders refuse them too). Warnings name
/// settings that are changed or not sent, and a dialect switched by `base_url_env`: a
/// front end prints them. Unknown names are skipped (setup reports them).
pub fn review(config: &Config, env: &Env, names: &[String]) -> Findings {
    let mut out = Findings::default();
    let mut warned: Vec<&str> = Vec::new();
    for name in names {
        let Some(model) = config.models.get(name) else {
            continue;
        };
        let Some(provider) = config.providers.get(&model.provider) else {
            continue;
        };
        if let Some(w) = switched_dialect(&model.provider, provider, env)
            && !warned.contains(&model.provider.as_str())
        {
            warned.push(&model.provider);
            out.warnings.push(w);
        }
        let f = review_model(model, provider, env);
        let about = |m: String| format!("model `{name}` ({}): {m}", model.model);
        out.errors.extend(f.errors.into_iter().map(about));
        out.warnings.extend(f.warnings.into_iter().map(about));
    }
    out
}

/// [`review`] for one model on its provider, without naming the model.
pub fn review_model(model: &ModelConfig, provider: &ProviderConfig, env: &Env) -> Findings {
    match wire(provider, env) {
        Some(wire) => rules::review_model(model, wire),
        None => Findings::default(),
    }
}

/// A warning when `base_url_env` changes which dialect a provider without `dialect` speaks.
fn switched_dialect(name: &str, config: &ProviderConfig, env: &Env) -> Option<String> {
    let var = config.base_url_env.as_deref()?;
    env.get(var)?;
    let configured = default_dialect(config.base_url.as_deref().unwrap_or(""));
    let effective = effective_dialect(config, env)?;
    (config.dialect.is_none() && configured != effective).then(|| {
        format!(
            "provider `{name}`: {var} points it away from {}, so it speaks the `{}` dialect instead of `{}`; set `dialect:` on the provider to choose",
            config.base_url.as_deref().unwrap_or("its base_url"),
            effective.as_str(),
            configured.as_str()
        )
    })
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
