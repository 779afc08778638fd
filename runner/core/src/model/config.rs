//! `fabula.yaml`: providers, model configs, judges, oracle, critic and run settings.

use super::task::TaskType;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub version: u32,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub models: BTreeMap<String, ModelConfig>,
    pub judges: Vec<String>,
    #[serde(default)]
    pub oracle: Option<String>,
    #[serde(default)]
    pub critic: Option<String>,
    #[serde(default)]
    pub settings: Settings,
}

impl Config {
    /// The models that write when none is named: enabled, and not a judge, the oracle or
    /// the critic.
    pub fn default_writers(&self) -> Vec<String> {
        let roles: Vec<&str> = self
            .judges
            .iter()
            .map(String::as_str)
            .chain(self.oracle.as_deref())
            .chain(self.critic.as_deref())
            .collect();
        self.models
            .iter()
            .filter(|(name, m)| m.enabled && !roles.contains(&name.as_str()))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Openai,
    Anthropic,
    Sim,
}

/// Which extensions of OpenAI-compatible chat completions a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Openrouter,
    Openai,
}

impl Dialect {
    /// The name used in `fabula.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Openrouter => "openrouter",
            Dialect::Openai => "openai",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub dialect: Option<Dialect>,
    #[serde(default)]
    pub base_url_env: Option<String>,
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Requests in flight at once: fixed slots, or where an adaptive limit starts.
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// With either bound set, the limit adapts (AIMD) between them.
    #[serde(default)]
    pub concurrency_min: Option<u32>,
    #[serde(default)]
    pub concurrency_max: Option<u32>,
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Largest response body accepted, in bytes (default: the engine's, 4 MiB).
    #[serde(default)]
    pub max_response_bytes: Option<u64>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// Slots of a provider without `concurrency`.
pub const DEFAULT_CONCURRENCY: u32 = 8;
/// An adaptive limit's floor and ceiling when only the other is set.
pub const DEFAULT_CONCURRENCY_MIN: u32 = 1;
pub const DEFAULT_CONCURRENCY_MAX: u32 = 64;

impl ProviderConfig {
    /// Whether the provider's concurrency adapts (`concurrency_min` or `_max` set).
    pub fn adaptive(&self) -> bool {
        self.concurrency_min.is_some() || self.concurrency_max.is_some()
    }

    /// `(floor, ceiling, start)` of an adaptive limit, made consistent: the floor at least
    /// 1, the ceiling at least the floor, the start (`concurrency`, else the floor) between
    /// them.
    pub fn adaptive_bounds(&self) -> (u32, u32, u32) {
        let floor = self
            .concurrency_min
            .unwrap_or(DEFAULT_CONCURRENCY_MIN)
            .max(1);
        let ceiling = self
            .concurrency_max
            .unwrap_or(DEFAULT_CONCURRENCY_MAX.max(floor))
            .max(floor);
        let start = self.concurrency.unwrap_or(floor).clamp(floor, ceiling);
        (floor, ceiling, start)
    }

    /// The most requests it may ever have in flight: its slots, or the adaptive ceiling.
    pub fn max_slots(&self) -> u32 {
        if self.adaptive() {
            self.adaptive_bounds().1
        } else {
            self.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1)
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct ModelConfig {
    pub provider: String,
    pub model: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub reasoning: Option<Reasoning>,
    #[serde(default)]
    pub verbosity: Option<String>,
    /// Most tokens per answer for this model, reasoning included: a ceiling on the task's
    /// budget (the smaller applies), and the whole budget of calls without one (judge,
    /// oracle, critic).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub price: Option<Price>,
}

fn yes() -> bool {
    true
}

/// Reasoning control: an effort level or a token budget (the schema allows one of them).
#[derive(Clone, Debug, Deserialize)]
pub struct Reasoning {
    #[serde(default)]
    pub effort: Option<String>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// USD per million tokens.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// What a provider batch costs against the same requests sent one by one: OpenAI's
/// Batch API and Anthropic's Message Batches both charge half of the listed price. The
/// one place the discount is written: `fabula run --batch` accounts with it, the budget
/// reserves with it, and the dry run estimates with it.
pub const BATCH_PRICE_FACTOR: f64 = 0.5;

/// The provider dialects (as fingerprints name them) whose providers offer a batch API:
/// OpenAI's (`POST /files` + `/batches`) and Anthropic's (`/messages/batches`).
/// OpenRouter and the simulator have none.
pub const BATCH_DIALECTS: &[&str] = &["openai", "anthropic"];

impl Price {
    /// The price of a request sent in a provider batch ([`BATCH_PRICE_FACTOR`]).
    pub fn batched(self) -> Price {
        Price {
            input: self.input * BATCH_PRICE_FACTOR,
            output: self.output * BATCH_PRICE_FACTOR,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub samples: Option<u32>,
    #[serde(default)]
    pub judge_retries: Option<u32>,
    #[serde(default)]
    pub budgets: BTreeMap<TaskType, TokenBudget>,
}

/// Token budget: `max_reasoning` must leave room for the answer inside `max_tokens`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenBudget {
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_reasoning: Option<u32>,
}
