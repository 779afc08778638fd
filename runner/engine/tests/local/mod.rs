//! A writer and a judge behind one local OpenAI-compatible fake server, and single-request
//! jobs from the shipped dataset: what the scheduler's benchmarks (`benches/throughput.rs`,
//! `benches/adaptive.rs`, through `#[path]`) and the adaptive-concurrency test share.

use fabula_core::model::{Config, Dialect, ModelConfig, ProviderConfig, ProviderKind, TaskBody};
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::Tuning;
use fabula_engine::scheduler::Engine;
use fabula_engine::setup;
use fabula_eval::fingerprint::Current;
use fabula_eval::plan::{self, Job};
use fabula_eval::prepared;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The environment variable the local provider's key is read from.
const KEY_ENV: &str = "LOCAL_KEY";

/// How many requests the provider may have in flight: a fixed number, or an adaptive
/// limit between a floor and a ceiling.
#[derive(Clone, Copy, Debug)]
pub struct Slots {
    pub fixed: Option<u32>,
    pub floor: Option<u32>,
    pub ceiling: Option<u32>,
}

/// The shipped project (its dataset supplies the tasks).
pub fn workspace() -> Workspace {
    fabula_engine::project::workspace(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).unwrap()
}

/// Models `writer` and `judge` at `url`, with `slots` and `max_retries` retries.
pub fn config(url: &str, slots: Slots, max_retries: u32) -> Config {
    let provider = ProviderConfig {
        kind: ProviderKind::Openai,
        base_url: Some(url.to_string()),
        dialect: Some(Dialect::Openai),
        base_url_env: None,
        api_key_env: Some(KEY_ENV.into()),
        concurrency: slots.fixed,
        concurrency_min: slots.floor,
        concurrency_max: slots.ceiling,
        requests_per_minute: None,
        timeout_secs: Some(30),
        max_retries: Some(max_retries),
        max_response_bytes: None,
        headers: BTreeMap::new(),
    };
    let model = |id: &str| ModelConfig {
        provider: "local".into(),
        model: id.into(),
        enabled: true,
        temperature: None,
        reasoning: None,
        verbosity: None,
        max_tokens: Some(2000),
        price: None,
    };
    Config {
        version: 1,
        providers: BTreeMap::from([("local".to_string(), provider)]),
        models: BTreeMap::from([
            ("writer".to_string(), model("local/writer")),
            ("judge".to_string(), model("local/judge")),
        ]),
        judges: vec!["judge".into()],
        oracle: None,
        critic: None,
        settings: Default::default(),
    }
}

/// The key the local provider is given.
pub fn env() -> Env {
    Env::from_pairs([(KEY_ENV, "local")])
}

/// The engine for `config`: `max_retries` retries 10 ms apart at first, backing off to
/// at most a second.
pub fn engine(config: &Config, max_retries: u32) -> Arc<Engine> {
    let tuning = Tuning {
        retry: Some(RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
        }),
        breaker: Some(BreakerPolicy::default()),
    };
    Arc::new(
        setup::engine(
            config,
            &env(),
            &tuning,
            &["writer".into()],
            &["judge".into()],
            Vec::new(),
        )
        .unwrap(),
    )
}

/// `n` single-request tasks of the dataset (cloned under new ids): a generation by
/// `writer` and one call of `judge` each.
pub fn jobs(ws: &Workspace, config: &Config, n: usize) -> Vec<Job> {
    let base: Vec<_> = prepared::tasks(ws, config)
        .into_iter()
        .filter(|t| {
            matches!(
                t.task.body,
                TaskBody::BeatInterpolation(_)
                    | TaskBody::BeatRevision(_)
                    | TaskBody::ConstrainedContinuation(_)
                    | TaskBody::TheoryConversion(_)
                    | TaskBody::MultiBeatSynthesis(_)
            )
        })
        .collect();
    let dialects = setup::dialects(config, &env());
    let current = Current::new(config, &[], &dialects);
    let judges = vec!["judge".to_string()];
    (0..n)
        .map(|i| {
            let mut t = base[i % base.len()].clone();
            t.task.id = format!("{}-{i}", t.task.id);
            plan::job(&current, &Arc::new(t), "writer", 0, &judges).unwrap()
        })
        .collect()
}
