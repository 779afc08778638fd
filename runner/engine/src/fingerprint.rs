//! Fingerprints: a hash of everything that shaped a request. A stored result whose
//! fingerprint differs from today's is stale.
//!
//! A generation's fingerprint covers the task's content (not its title, tags or notes,
//! which no prompt shows), the definitions of the beats it uses (every beat, for a theory
//! conversion), the versions of the templates its type uses, the token budget, and the
//! parameters of the writer and of the oracle or critic it talks to. The hash is SHA-256
//! over canonical JSON (sorted keys), shown as 32 hex digits.

use crate::exec::{self, TaskInput};
use crate::template;
use fabula_core::model::{ModelConfig, TaskBody, Theory};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Fields of a task file that never reach a prompt.
const PRESENTATION_ONLY: &[&str] = &["title", "tags", "notes"];

pub fn generation(
    input: TaskInput<'_>,
    task_value: &Value,
    writer: &ModelConfig,
    helper: Option<&ModelConfig>,
) -> String {
    let mut task = task_value.clone();
    if let Value::Object(map) = &mut task {
        for k in PRESENTATION_ONLY {
            map.remove(*k);
        }
    }
    let used: Vec<&str> = input.task.beat_uses().iter().map(|u| u.beat).collect();
    let theory = match &input.task.body {
        TaskBody::TheoryConversion(_) => beats(input.theory, None),
        _ => beats(input.theory, Some(&used)),
    };
    let source = input.source_theory.map(|t| beats(t, None));
    let templates: Vec<Value> = exec::templates(input.task.task_type())
        .iter()
        .map(|n| json!([n, template::version(n)]))
        .collect();
    hash(&json!({
        "task": task,
        "theory": theory,
        "source_theory": source,
        "templates": templates,
        "budget": [input.budget.max_tokens, input.budget.max_reasoning],
        "writer": model(writer),
        "helper": helper.map(model),
    }))
}

/// The fingerprint of judging a generation: the generation's fingerprint, the rubric,
/// the judge template and the judge's parameters.
pub fn evaluation(
    generation_fingerprint: &str,
    rubric: &[(String, u32)],
    judge: &ModelConfig,
) -> String {
    hash(&json!({
        "generation": generation_fingerprint,
        "rubric": rubric,
        "template": template::version("judge"),
        "judge": model(judge),
    }))
}

fn beats(theory: &Theory, only: Option<&[&str]>) -> Value {
    let beats: Vec<Value> = theory
        .beats
        .iter()
        .filter(|b| only.is_none_or(|ids| ids.contains(&b.id.as_str())))
        .map(|b| json!([b.id, b.name, b.definition, b.elements]))
        .collect();
    json!({ "id": theory.id, "name": theory.name, "beats": beats })
}

fn model(c: &ModelConfig) -> Value {
    json!({
        "provider": c.provider,
        "model": c.model,
        "temperature": c.temperature,
        "reasoning": c.reasoning.as_ref().map(|r| json!([r.effort, r.max_tokens])),
        "verbosity": c.verbosity,
        "max_tokens": c.max_tokens,
    })
}

/// Today's fingerprints from the configuration alone: planning, status and leaderboards
/// need no provider and no key.
#[derive(Clone, Copy, Debug)]
pub struct Current<'a> {
    pub config: &'a fabula_core::model::Config,
    pub slop: &'a [String],
}

impl Current<'_> {
    /// The fingerprint a generation of `task` by model config `model` has today.
    pub fn generation(&self, task: &crate::scheduler::PreparedTask, model: &str) -> Option<String> {
        let writer = self.config.models.get(model)?;
        let helper = helper_name(
            task.task.task_type(),
            self.config.oracle.as_deref(),
            self.config.critic.as_deref(),
        )
        .and_then(|n| self.config.models.get(n));
        Some(generation(
            task.input(self.slop),
            &task.value,
            writer,
            helper,
        ))
    }

    /// The fingerprint of `judge` judging a generation whose fingerprint is `generation`.
    pub fn evaluation(
        &self,
        task: &crate::scheduler::PreparedTask,
        generation_fingerprint: &str,
        judge: &str,
    ) -> Option<String> {
        let judge = self.config.models.get(judge)?;
        let rubric = crate::judge::rubric(task.input(self.slop));
        Some(evaluation(generation_fingerprint, &rubric, judge))
    }
}

/// The oracle or critic a task type talks to, of the ones configured.
pub fn helper_name<'a>(
    task_type: fabula_core::model::TaskType,
    oracle: Option<&'a str>,
    critic: Option<&'a str>,
) -> Option<&'a str> {
    match task_type {
        fabula_core::model::TaskType::AgenticConstraintDiscovery => oracle,
        fabula_core::model::TaskType::CritiqueImprovement => critic,
        _ => None,
    }
}

fn hash(v: &Value) -> String {
    let bytes = serde_json::to_vec(&canonical(v)).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `v` with every object's keys sorted: serde_json may be built with `preserve_order`
/// (a feature another crate turns on), and key order in a YAML file is not content.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_is_not_content() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": 2, "x": [3, {"q": 1, "p": 2}]}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a": {"x": [3, {"p": 2, "q": 1}], "y": 2}, "b": 1}"#).unwrap();
        assert_eq!(hash(&a), hash(&b));
        let c: Value =
            serde_json::from_str(r#"{"a": {"x": [3, {"p": 2, "q": 9}], "y": 2}, "b": 1}"#).unwrap();
        assert_ne!(hash(&a), hash(&c));
        assert_eq!(hash(&a).len(), 32);
    }
}
