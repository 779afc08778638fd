//! Fingerprints: a hash of every byte that shapes a request. A stored record whose
//! fingerprint differs from today's is stale.
//!
//! A generation's fingerprint hashes the requests themselves: every prompt its task's
//! dialogue renders when each model answer is a stand-in ([`kind::rehearse`]), the
//! system prompt, the versions of every template the kind may render (so a branch the
//! rehearsal does not take is covered too), the token budget, and the request parameters
//! and provider dialect of the writer and of the oracle or critic it talks to. Nothing a
//! prompt does not show counts: a task's title, tags, notes, or hidden flaw (which only
//! judges read) never make a generation stale.
//!
//! An evaluation's fingerprint hashes the generation's fingerprint, the judge prompt
//! rendered for a stand-in generation (its criteria, questions, items and weights, the
//! task brief and what only judges see, and the kind's judge view), the answer schema,
//! the judge templates' versions, and the judge's parameters and dialect.
//!
//! A pairwise comparison's fingerprint hashes both generations' fingerprints in the order
//! shown, the pairwise prompt rendered for stand-in outputs (the same task parts, the
//! criteria, the length note), the answer schema, the pairwise templates' versions, and
//! the judge's parameters and dialect. It is computed only for tasks that are compared.
//!
//! The hash is SHA-256 over canonical JSON (sorted keys), shown as 32 hex digits.

use crate::prepared::PreparedTask;
use fabula_core::judge;
use fabula_core::kind::{self, Party, SHARED_TEMPLATES, TaskInput};
use fabula_core::model::{Config, ModelConfig};
use fabula_core::pairwise::{self, Shown};
use fabula_core::template;
use fabula_core::text_rules::word_count;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// A model as a request sees it: its parameters and its provider's dialect.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    pub config: &'a ModelConfig,
    /// The wire dialect its requests are written in (`openai`, `openrouter`,
    /// `anthropic`, `sim`), after any base-URL override.
    pub dialect: &'a str,
}

/// What the fingerprints of one task's records share, whichever models take part: the
/// digest of the requests its dialogue sends and of the judge prompt it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPrints {
    requests: String,
    judging: String,
}

impl TaskPrints {
    pub fn new(input: TaskInput<'_>) -> TaskPrints {
        let k = kind::of(input.task.task_type());
        let asks = kind::rehearse(input);
        // The prompts are hashed as they are, each field length-prefixed: no JSON to
        // build and escape for texts this long.
        let mut requests = Stream::new("requests/v2");
        requests.field(input.task.task_type().as_str());
        requests.field(&template::render("system", &[]));
        for a in &asks {
            requests.field(match a.party {
                Party::Writer => "writer",
                Party::Oracle => "oracle",
                Party::Critic => "critic",
            });
            requests.field(&format!("{:?}/{}", a.shown_as, a.json));
            requests.field(&a.prompt);
        }
        for n in SHARED_TEMPLATES.iter().chain(k.templates()) {
            requests.field(n);
            requests.field(&template::version(n));
        }
        requests.field(&format!(
            "{:?}/{:?}",
            input.budget.max_tokens, input.budget.max_reasoning
        ));
        let rubric = judge::rubric(input);
        let view = k.judge_view(&kind::stand_in_generation(input.task.task_type(), &asks));
        let mut judging = Stream::new("judging/v2");
        judging.field(&judge::prompt(input, &rubric, &view, &judge::fence(0)));
        judging.field(&judge::response_schema(&rubric).to_string());
        for n in judge::TEMPLATES {
            judging.field(n);
            judging.field(&template::version(n));
        }
        TaskPrints {
            requests: requests.finish(),
            judging: judging.finish(),
        }
    }

    /// The fingerprint of a generation by `writer`, talking to `helper`.
    pub fn generation(&self, writer: Model<'_>, helper: Option<Model<'_>>) -> String {
        hash(&json!({
            "requests": self.requests,
            "writer": model(writer),
            "helper": helper.map(model),
        }))
    }

    /// The fingerprint of `judge` judging a generation with `generation_fingerprint`.
    pub fn evaluation(&self, generation_fingerprint: &str, judge: Model<'_>) -> String {
        hash(&json!({
            "generation": generation_fingerprint,
            "judging": self.judging,
            "judge": model(judge),
        }))
    }
}

/// The digest of the pairwise prompt a task's pairs get, whichever models and judge.
fn pairwise_digest(input: TaskInput<'_>) -> String {
    let k = kind::of(input.task.task_type());
    let asks = kind::rehearse(input);
    let view = k.judge_view(&kind::stand_in_generation(input.task.task_type(), &asks));
    let shown = Shown {
        view: &view,
        words: word_count(&view) as u64,
    };
    let rubric = judge::rubric(input);
    let mut s = Stream::new("pairwise/v1");
    s.field(&pairwise::prompt(
        input,
        &rubric,
        shown,
        shown,
        &judge::fence(0),
    ));
    s.field(&pairwise::response_schema(&rubric).to_string());
    for n in pairwise::TEMPLATES {
        s.field(n);
        s.field(&template::version(n));
    }
    s.finish()
}

/// SHA-256 over length-prefixed fields.
struct Stream(Sha256);

impl Stream {
    fn new(tag: &str) -> Stream {
        let mut s = Stream(Sha256::new());
        s.field(tag);
        s
    }

    fn field(&mut self, text: &str) {
        self.0.update((text.len() as u64).to_le_bytes());
        self.0.update(text.as_bytes());
    }

    fn finish(self) -> String {
        self.0.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

fn model(m: Model<'_>) -> Value {
    let c = m.config;
    json!({
        "dialect": m.dialect,
        "provider": c.provider,
        "model": c.model,
        "temperature": c.temperature,
        "reasoning": c.reasoning.as_ref().map(|r| json!([r.effort, r.max_tokens])),
        "verbosity": c.verbosity,
        "max_tokens": c.max_tokens,
    })
}

/// Today's fingerprints from the configuration and the providers' dialects: planning,
/// status and leaderboards need no provider and no key. Each task's shared part is
/// computed once, on first use.
#[derive(Clone, Debug)]
pub struct Current<'a> {
    pub config: &'a Config,
    pub slop: &'a [String],
    /// The effective dialect of each provider, by provider name (see
    /// [`Model::dialect`]); a provider missing here counts as `unknown`.
    pub dialects: &'a BTreeMap<String, String>,
    prints: Arc<Mutex<HashMap<String, Arc<TaskPrints>>>>,
    /// Each compared task's [`pairwise_digest`], on first use.
    pair_prints: Arc<Mutex<HashMap<String, Arc<str>>>>,
}

impl<'a> Current<'a> {
    pub fn new(
        config: &'a Config,
        slop: &'a [String],
        dialects: &'a BTreeMap<String, String>,
    ) -> Current<'a> {
        Current {
            config,
            slop,
            dialects,
            prints: Arc::default(),
            pair_prints: Arc::default(),
        }
    }

    /// Whether model `name`'s provider speaks a dialect with a batch API
    /// ([`fabula_core::model::BATCH_DIALECTS`]).
    pub fn batchable(&self, name: &str) -> bool {
        self.model(name)
            .is_some_and(|m| fabula_core::model::BATCH_DIALECTS.contains(&m.dialect))
    }

    fn model(&self, name: &str) -> Option<Model<'a>> {
        let config = self.config.models.get(name)?;
        let dialect = self
            .dialects
            .get(&config.provider)
            .map_or("unknown", String::as_str);
        Some(Model { config, dialect })
    }

    fn prints(&self, task: &PreparedTask) -> Arc<TaskPrints> {
        let cached = self
            .prints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(task.id())
            .cloned();
        if let Some(p) = cached {
            return p;
        }
        // Computed outside the lock: two threads may both compute one, never wrongly.
        let p = Arc::new(TaskPrints::new(task.input(self.slop)));
        self.prints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task.id().to_string(), Arc::clone(&p));
        p
    }

    /// Computes the shared part of every task's fingerprints at once, on all cores
    /// (otherwise each is computed on first use).
    pub fn warm(&self, tasks: &[Arc<PreparedTask>]) {
        use rayon::prelude::*;
        let missing: Vec<&Arc<PreparedTask>> = {
            let known = self.prints.lock().unwrap_or_else(|e| e.into_inner());
            tasks
                .iter()
                .filter(|t| !known.contains_key(t.id()))
                .collect()
        };
        let computed: Vec<(String, Arc<TaskPrints>)> = missing
            .par_iter()
            .map(|t| {
                (
                    t.id().to_string(),
                    Arc::new(TaskPrints::new(t.input(self.slop))),
                )
            })
            .collect();
        self.prints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(computed);
    }

    /// The oracle or critic a task's kind talks to, of the ones configured.
    pub fn helper_name(&self, task: &PreparedTask) -> Option<&'a str> {
        match kind::of(task.task.task_type()).helper()? {
            Party::Oracle => self.config.oracle.as_deref(),
            Party::Critic => self.config.critic.as_deref(),
            Party::Writer => None,
        }
    }

    /// The fingerprint a generation of `task` by model config `model` has today.
    pub fn generation(&self, task: &PreparedTask, model: &str) -> Option<String> {
        let writer = self.model(model)?;
        let helper = self.helper_name(task).and_then(|h| self.model(h));
        Some(self.prints(task).generation(writer, helper))
    }

    /// The fingerprint of `judge` judging a generation whose fingerprint is `generation`.
    pub fn evaluation(
        &self,
        task: &PreparedTask,
        generation_fingerprint: &str,
        judge: &str,
    ) -> Option<String> {
        let judge = self.model(judge)?;
        Some(self.prints(task).evaluation(generation_fingerprint, judge))
    }
}

impl Current<'_> {
    /// The fingerprint of `judge` comparing the generations whose fingerprints are
    /// `first` (shown first) and `second`.
    pub fn pairwise(
        &self,
        task: &PreparedTask,
        first: &str,
        second: &str,
        judge: &str,
    ) -> Option<String> {
        let judge = self.model(judge)?;
        let cached = self
            .pair_prints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(task.id())
            .cloned();
        let digest = cached.unwrap_or_else(|| {
            let d: Arc<str> = pairwise_digest(task.input(self.slop)).into();
            self.pair_prints
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(task.id().to_string(), Arc::clone(&d));
            d
        });
        Some(hash(&json!({
            "first": first,
            "second": second,
            "pairwise": &*digest,
            "judge": model(judge),
        })))
    }
}

/// SHA-256 of `v` as canonical JSON (sorted keys), as 32 hex digits.
pub fn hash(v: &Value) -> String {
    let bytes = serde_json::to_vec(&canonical(v)).unwrap_or_default();
    sha_hex(&bytes)
}

/// SHA-256 of `bytes` as 32 hex digits: the hash of a judge view (`view_sha`).
pub fn sha_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
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
