//! Setting up a run from a loaded project: binding the model configs it needs to their
//! providers (one provider instance, and so one set of limits, per provider entry), and
//! the wire dialect each provider speaks. Every missing key is reported at once, before
//! any work starts.

use crate::call::CallError;
use crate::env::Env;
use crate::model::ModelHandle;
use crate::provider::{self, Provider, Tuning};
use crate::scheduler::Engine;
use fabula_core::model::{Config, ProviderKind};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Why a run cannot be set up: every problem found, so the user fixes them in one go.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.joined("; "))]
pub struct SetupError(pub Vec<Problem>);

impl SetupError {
    /// The problems, one per `sep`.
    pub fn joined(&self, sep: &str) -> String {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        lines.join(sep)
    }
}

/// One reason a run cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("unknown model `{0}`: it is not under `models` in fabula.yaml")]
    UnknownModel(String),
    #[error(
        "provider `{provider}` (used by {}) is not under `providers` in fabula.yaml",
        users.join(", ")
    )]
    UnknownProvider {
        provider: String,
        users: Vec<String>,
    },
    #[error("{source} (needed by {})", users.join(", "))]
    MissingKey {
        source: CallError,
        users: Vec<String>,
    },
    #[error("provider `{provider}`: {source}")]
    Provider { provider: String, source: CallError },
    /// A setting the provider's wire format cannot send ([`provider::review`]).
    #[error("{0}")]
    Unsendable(String),
    /// A model the engine was built with but could not hand out (a bug if it happens).
    #[error("model `{0}` could not be bound")]
    Unbound(String),
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Builds the engine for `writers` judged by `judges` (config names). The oracle and
/// critic of the config are included when set.
pub fn engine(
    config: &Config,
    env: &Env,
    tuning: &Tuning,
    writers: &[String],
    judges: &[String],
    slop: Vec<String>,
) -> Result<Engine, SetupError> {
    let mut needed: BTreeSet<&str> = BTreeSet::new();
    needed.extend(writers.iter().map(String::as_str));
    needed.extend(judges.iter().map(String::as_str));
    needed.extend(config.oracle.as_deref());
    needed.extend(config.critic.as_deref());
    let mut errors = Vec::new();
    let mut providers: BTreeMap<&str, Arc<dyn Provider>> = BTreeMap::new();
    let mut users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for name in &needed {
        match config.models.get(*name) {
            Some(m) => users.entry(m.provider.as_str()).or_default().push(name),
            None => errors.push(Problem::UnknownModel(name.to_string())),
        }
    }
    for (pname, models) in &users {
        let Some(pconfig) = config.providers.get(*pname) else {
            errors.push(Problem::UnknownProvider {
                provider: pname.to_string(),
                users: owned(models),
            });
            continue;
        };
        match provider::build(pname, pconfig, env, tuning) {
            Ok(p) => {
                providers.insert(pname, p);
            }
            Err(source @ CallError::MissingKey { .. }) => errors.push(Problem::MissingKey {
                source,
                users: owned(models),
            }),
            Err(source) => errors.push(Problem::Provider {
                provider: pname.to_string(),
                source,
            }),
        }
    }
    // Settings the wire formats cannot send stop the run here, before any call.
    let names: Vec<String> = needed.iter().map(|n| n.to_string()).collect();
    errors.extend(
        provider::review(config, env, &names)
            .errors
            .into_iter()
            .map(Problem::Unsendable),
    );
    if !errors.is_empty() {
        return Err(SetupError(errors));
    }
    let models: BTreeMap<String, ModelHandle> = needed
        .iter()
        .filter_map(|name| {
            let m = config.models.get(*name)?;
            let p = providers.get(m.provider.as_str())?;
            Some((
                name.to_string(),
                ModelHandle::new(name, m.clone(), Arc::clone(p)),
            ))
        })
        .collect();
    let writer_slots: u32 = writers
        .iter()
        .filter_map(|w| config.models.get(w))
        .map(|m| m.provider.as_str())
        .collect::<BTreeSet<_>>()
        .iter()
        .filter_map(|p| config.providers.get(*p))
        .map(|p| p.max_slots())
        .sum();
    Ok(Engine {
        models,
        oracle: config.oracle.clone(),
        critic: config.critic.clone(),
        slop,
        judge_retries: config.settings.judge_retries.unwrap_or(2),
        window: (writer_slots as usize * 2).max(4),
        batches: None,
    })
}

/// The wire dialect each provider of `config` speaks, after `base_url_env` overrides in
/// `env` ([`provider::effective_dialect`]): what fingerprints hash besides the request's
/// parameters.
pub fn dialects(config: &Config, env: &Env) -> BTreeMap<String, String> {
    config
        .providers
        .iter()
        .map(|(name, p)| {
            let dialect = match p.kind {
                ProviderKind::Sim => "sim",
                ProviderKind::Anthropic => "anthropic",
                ProviderKind::Openai => {
                    provider::effective_dialect(p, env).map_or("openai", |d| d.as_str())
                }
            };
            (name.clone(), dialect.to_string())
        })
        .collect()
}
