//! Scheduler throughput against a local fake OpenAI-compatible server with fixed latency.
//!
//! Workload (issue 3): 102 tasks × (1 generation + 1 judge call), concurrency 32, at
//! 200 ms and 50 ms latency. The ideal is ceil(102/32) × 2 × latency. Reports wall time,
//! its ratio to the ideal, peak RSS and CPU per request. The server runs in the same
//! process (on its own threads), so RSS and CPU include it: they are upper bounds.
//!
//! Run: `cargo bench -p fabula-engine --bench throughput`

use fabula_core::model::{Config, Dialect, ModelConfig, ProviderConfig, ProviderKind, TaskBody};
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_engine::limits::{BreakerPolicy, RetryPolicy};
use fabula_engine::provider::Tuning;
use fabula_engine::scheduler::{Job, Sink};
use fabula_engine::setup;
use fabula_fake_server::{FakeServer, model_reply};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TASKS: usize = 102;
const CONCURRENCY: u32 = 32;

#[derive(Default)]
struct Count {
    generations: AtomicUsize,
    evaluations: AtomicUsize,
    failures: AtomicUsize,
}

impl Sink for Count {
    fn generation(&self, r: &fabula_core::model::GenerationRecord) {
        self.generations.fetch_add(1, Ordering::Relaxed);
        if r.error.is_some() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn evaluation(&self, r: &fabula_core::model::EvaluationRecord) {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        if r.error.is_some() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn project() -> Workspace {
    fabula_engine::project::workspace(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).unwrap()
}

fn config(url: &str) -> Config {
    let provider = ProviderConfig {
        kind: ProviderKind::Openai,
        base_url: Some(url.to_string()),
        dialect: Some(Dialect::Openai),
        base_url_env: None,
        api_key_env: Some("BENCH_KEY".into()),
        concurrency: Some(CONCURRENCY),
        requests_per_minute: None,
        timeout_secs: Some(30),
        max_retries: Some(0),
        max_response_bytes: None,
        headers: BTreeMap::new(),
    };
    let model = |id: &str| ModelConfig {
        provider: "local".into(),
        model: id.into(),
        enabled: true,
        temperature: Some(0.7),
        reasoning: None,
        verbosity: None,
        max_tokens: Some(2000),
        price: None,
    };
    Config {
        version: 1,
        providers: BTreeMap::from([("local".to_string(), provider)]),
        models: BTreeMap::from([
            ("writer".to_string(), model("bench/writer")),
            ("judge".to_string(), model("bench/judge")),
        ]),
        judges: vec!["judge".into()],
        oracle: None,
        critic: None,
        settings: Default::default(),
    }
}

fn rss_peak_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ws = project();
    let mut rows = Vec::new();
    for latency_ms in [200u64, 50] {
        let (wall, failures, cpu, requests) = runtime.block_on(async {
            let server = FakeServer::start(Duration::from_millis(latency_ms), |_, seen| {
                model_reply(&seen.body)
            })
            .await;
            let config = config(&server.url());
            let env = Env::from_pairs([("BENCH_KEY", "local")]);
            let tuning = Tuning {
                retry: Some(RetryPolicy {
                    max_retries: 0,
                    base_delay: Duration::from_millis(10),
                    max_delay: Duration::from_millis(10),
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
            // Single-request tasks from the dataset, cloned under new ids up to 102.
            let base: Vec<_> = setup::tasks(&ws, &config)
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
            let jobs: Vec<Job> = (0..TASKS)
                .map(|i| {
                    let mut t = base[i % base.len()].clone();
                    t.task.id = format!("{}-{i}", t.task.id);
                    Job {
                        task: Arc::new(t),
                        model: "writer".into(),
                        sample: 0,
                        judges: vec!["judge".into()],
                        existing: None,
                    }
                })
                .collect();
            let sink = Arc::new(Count::default());
            let cpu0 = cpu_secs();
            let started = Instant::now();
            engine.run(jobs, sink.clone()).await;
            let wall = started.elapsed();
            let cpu = cpu_secs() - cpu0;
            assert_eq!(sink.generations.load(Ordering::Relaxed), TASKS);
            assert_eq!(sink.evaluations.load(Ordering::Relaxed), TASKS);
            assert!(server.max_in_flight() <= CONCURRENCY as usize);
            (
                wall,
                sink.failures.load(Ordering::Relaxed),
                cpu,
                server.hits(),
            )
        });
        let ideal = TASKS.div_ceil(CONCURRENCY as usize) as f64 * 2.0 * latency_ms as f64 / 1000.0;
        rows.push((
            latency_ms,
            wall.as_secs_f64(),
            ideal,
            failures,
            cpu,
            requests,
        ));
    }
    let rss = rss_peak_kb();
    let mut out = String::new();
    out.push_str(&format!(
        "fabula-engine scheduler: {TASKS} tasks x (1 generation + 1 judge), concurrency {CONCURRENCY}\n"
    ));
    out.push_str("| latency | wall | ideal | ratio | target | failures | CPU/request |\n|---|---|---|---|---|---|---|\n");
    for (lat, wall, ideal, failures, cpu, requests) in rows {
        let target = if lat >= 200 { 1.05 } else { 1.2 };
        out.push_str(&format!(
            "| {lat} ms | {wall:.3} s | {ideal:.3} s | {:.3}x | <= {target}x | {failures} | {:.3} ms |\n",
            wall / ideal,
            cpu * 1000.0 / requests as f64
        ));
    }
    out.push_str(&format!(
        "peak RSS (bench process, server included): {:.1} MB\n",
        rss as f64 / 1024.0
    ));
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).unwrap();
}
