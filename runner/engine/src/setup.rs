//! Setting up a run from a loaded project: binding the model configs it needs to their
//! providers (one provider instance, and so one set of limits, per provider entry), and
//! preparing tasks. Every missing key is reported at once, before any work starts.

use crate::call::CallError;
use crate::env::Env;
use crate::model::ModelHandle;
use crate::provider::{self, Provider, Tuning};
use crate::scheduler::{Engine, PreparedTask};
use fabula_core::model::{Config, TokenBudget};
use fabula_core::workspace::Workspace;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Builds the engine for `writers` judged by `judges` (config names). The oracle and
/// critic of the config are included when set.
pub fn engine(
    config: &Config,
    env: &Env,
    tuning: &Tuning,
    writers: &[String],
    judges: &[String],
    slop: Vec<String>,
) -> Result<Engine, Vec<String>> {
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
            None => errors.push(format!(
                "unknown model `{name}`: it is not under `models` in fabula.yaml"
            )),
        }
    }
    for (pname, models) in &users {
        let Some(pconfig) = config.providers.get(*pname) else {
            errors.push(format!(
                "provider `{pname}` (used by {}) is not under `providers` in fabula.yaml",
                models.join(", ")
            ));
            continue;
        };
        match provider::build(pname, pconfig, env, tuning) {
            Ok(p) => {
                providers.insert(pname, p);
            }
            Err(e @ CallError::MissingKey { .. }) => {
                errors.push(format!("{e} (needed by {})", models.join(", ")));
            }
            Err(e) => errors.push(format!("provider `{pname}`: {e}")),
        }
    }
    // Settings the wire formats cannot send stop the run here, before any call.
    let names: Vec<String> = needed.iter().map(|n| n.to_string()).collect();
    errors.extend(provider::review(config, env, &names).errors);
    if !errors.is_empty() {
        return Err(errors);
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
        .map(|p| p.concurrency.unwrap_or(8))
        .sum();
    Ok(Engine {
        models,
        oracle: config.oracle.clone(),
        critic: config.critic.clone(),
        slop,
        judge_retries: config.settings.judge_retries.unwrap_or(2),
        window: (writer_slots as usize * 2).max(4),
    })
}

/// Prepares every task of the workspace whose theory (and source theory) is loaded.
pub fn tasks(ws: &Workspace, config: &Config) -> Vec<PreparedTask> {
    ws.tasks()
        .filter_map(|(doc, _)| prepare(ws, config, doc))
        .collect()
}

/// Prepares the task of one document, if it loaded and its theories are in `ws`.
/// The token budget is the task's own, field by field over its type's in `fabula.yaml`.
pub fn prepare(
    ws: &Workspace,
    config: &Config,
    doc: &fabula_core::document::Document,
) -> Option<PreparedTask> {
    let task = doc.task()?;
    let (_, theory) = ws.theory(&task.theory)?;
    let source_theory = match &task.body {
        fabula_core::model::TaskBody::TheoryConversion(t) => {
            Some(ws.theory(&t.source.theory)?.1.clone())
        }
        _ => None,
    };
    let by_type = config
        .settings
        .budgets
        .get(&task.task_type())
        .copied()
        .unwrap_or_default();
    let own = task.budget.unwrap_or_default();
    let budget = TokenBudget {
        max_tokens: own.max_tokens.or(by_type.max_tokens),
        max_reasoning: own.max_reasoning.or(by_type.max_reasoning),
    };
    Some(PreparedTask {
        task: task.clone(),
        value: doc.value.clone()?,
        theory: theory.clone(),
        source_theory,
        budget,
    })
}
