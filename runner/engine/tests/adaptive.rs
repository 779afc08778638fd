//! Adaptive concurrency (issue 20) against a local server that admits at most K requests
//! at once and answers the rest 429 with a short `Retry-After`: a whole run (generation
//! and judge of every task) with a floor of 2 and a ceiling of 64 finds K, keeps its
//! limit near it, and has under 5% of its requests answered 429.

use fabula_core::model::{Config, Dialect, ModelConfig, ProviderConfig, ProviderKind, TaskBody};
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::Tuning;
use fabula_engine::{recorder, setup};
use fabula_eval::fingerprint::Current;
use fabula_eval::plan::{self, Job};
use fabula_eval::prepared;
use fabula_fake_server::{FakeServer, model_reply};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the server admits at once.
const K: usize = 16;
const TASKS: usize = 300;

fn config(url: &str) -> Config {
    let provider = ProviderConfig {
        kind: ProviderKind::Openai,
        base_url: Some(url.to_string()),
        dialect: Some(Dialect::Openai),
        base_url_env: None,
        api_key_env: Some("TEST_KEY".into()),
        concurrency: None,
        concurrency_min: Some(2),
        concurrency_max: Some(64),
        requests_per_minute: None,
        timeout_secs: Some(30),
        max_retries: Some(10),
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
            ("writer".to_string(), model("test/writer")),
            ("judge".to_string(), model("test/judge")),
        ]),
        judges: vec!["judge".into()],
        oracle: None,
        critic: None,
        settings: Default::default(),
    }
}

/// `TASKS` single-request tasks from the dataset under new ids: a generation and a judge
/// call each.
fn jobs(config: &Config, env: &Env) -> Vec<Job> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ws = fabula_engine::project::workspace(&root).unwrap();
    let base: Vec<_> = prepared::tasks(&ws, config)
        .into_iter()
        .filter(|t| {
            matches!(
                t.task.body,
                TaskBody::BeatInterpolation(_)
                    | TaskBody::BeatRevision(_)
                    | TaskBody::TheoryConversion(_)
            )
        })
        .collect();
    let dialects = setup::dialects(config, env);
    let current = Current::new(config, &[], &dialects);
    let judges = vec!["judge".to_string()];
    (0..TASKS)
        .map(|i| {
            let mut t = base[i % base.len()].clone();
            t.task.id = format!("{}-{i}", t.task.id);
            plan::job(&current, &Arc::new(t), "writer", 0, &judges).unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_converges_near_what_the_server_admits_with_few_429s() {
    let server = Arc::new(
        FakeServer::start_limited(Duration::from_millis(30), K, 0.05, |_, seen| {
            model_reply(&seen.body)
        })
        .await,
    );
    let config = config(&server.url());
    let env = Env::from_pairs([("TEST_KEY", "local")]);
    let tuning = Tuning {
        retry: Some(RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(30),
        }),
        breaker: Some(BreakerPolicy::default()),
    };
    let engine = Arc::new(
        setup::engine(
            &config,
            &env,
            &tuning,
            &["writer".into()],
            &["judge".into()],
            Vec::new(),
        )
        .unwrap(),
    );
    let jobs = jobs(&config, &env);

    // The provider's adaptive limit, sampled every 2 ms while the run lasts.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (engine, done) = (Arc::clone(&engine), Arc::clone(&done));
        tokio::spawn(async move {
            let adaptive = || {
                engine.models["writer"]
                    .provider
                    .limits()
                    .and_then(|l| l.adaptive())
                    .expect("an adaptive limit")
                    .limit() as usize
            };
            let mut samples = Vec::new();
            while !done.load(Ordering::SeqCst) {
                samples.push(adaptive());
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            samples
        })
    };
    let started = Instant::now();
    let (tally, _) = recorder::run_collecting(&engine, jobs, None).await;
    let wall = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let samples = sampler.await.unwrap();

    assert_eq!(tally.generations, TASKS);
    assert_eq!(tally.evaluations, TASKS);
    assert_eq!(
        tally.failed(),
        0,
        "every 429 was retried: {:?}",
        tally.examples
    );
    let requests = server.hits();
    let rejected = server.rejected();
    assert_eq!(requests - rejected, 2 * TASKS, "one success per call");
    let share = rejected as f64 / requests as f64;
    assert!(
        share < 0.05,
        "{rejected} of {requests} requests answered 429 ({:.1}%)",
        share * 100.0
    );
    assert_eq!(server.max_admitted(), K, "the limit reached K");
    // Over the middle half of the run the limit sits near K: its median sample is at
    // least three quarters of K (a limit that halved and stayed down, or stayed at the
    // floor of 2, would not be) and at most K + 1 (one probe above).
    let middle = &samples[samples.len() / 4..samples.len() * 3 / 4];
    let mut sorted = middle.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    assert!(
        (K * 3 / 4..=K + 1).contains(&median),
        "median limit {median} of {} samples in {wall:?} ({rejected} of {requests} answered 429): {middle:?}",
        middle.len()
    );
}
