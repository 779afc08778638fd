//! Pairwise comparisons through the engine against a local server: records stored under
//! `results/pairwise/` and read back by the store; a judge answering nonsense is retried,
//! then recorded as failed with its raw answer (never a verdict); a generation rewritten
//! after planning is skipped, not compared under a hash it no longer has.

use fabula_core::document::Document;
use fabula_core::model::{Config, FailureKind, Preference, Status};
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_engine::limits::RetryPolicy;
use fabula_engine::provider::Tuning;
use fabula_engine::recorder::{self, Collect};
use fabula_engine::scheduler::{Control, Engine};
use fabula_engine::setup;
use fabula_engine::store::Store;
use fabula_eval::fingerprint::Current;
use fabula_eval::pairwise::{self, PairJob, Selection};
use fabula_eval::plan;
use fabula_eval::prepared::{self, PreparedTask};
use fabula_fake_server::{FakeServer, Reply, chat, pairwise_reply};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Two writers and a judge on a local server, with no retries of failed calls.
fn config(url: &str) -> Config {
    let yaml = format!(
        "version: 1
providers:
  local: {{ kind: openai, dialect: openai, base_url: \"{url}\", api_key_env: K, concurrency: 4, max_retries: 0, timeout_secs: 5 }}
models:
  writer-a: {{ provider: local, model: t/writer-a, max_tokens: 1000 }}
  writer-b: {{ provider: local, model: t/writer-b, max_tokens: 1000 }}
  judge: {{ provider: local, model: t/judge, max_tokens: 1000 }}
judges: [judge]
"
    );
    let doc = Document::from_bytes("fabula.yaml", yaml.as_bytes());
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    doc.config().unwrap().clone()
}

fn task() -> Arc<PreparedTask> {
    let ws: Workspace =
        fabula_engine::project::workspace(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .unwrap();
    let config = config("http://127.0.0.1:9");
    Arc::new(
        prepared::tasks(&ws, &config)
            .into_iter()
            .find(|t| t.id() == "chasqui-road-back")
            .unwrap(),
    )
}

fn engine(config: &Config) -> Arc<Engine> {
    let models = ["writer-a".to_string(), "writer-b".to_string()];
    let tuning = Tuning {
        retry: Some(RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(5),
            timeout: Duration::from_secs(5),
        }),
        breaker: None,
    };
    Arc::new(
        setup::engine(
            config,
            &Env::from_pairs([("K", "k")]),
            &tuning,
            &models,
            &["judge".to_string()],
            Vec::new(),
        )
        .unwrap(),
    )
}

/// Both writers' generations of the task in `store` (no judging), then the comparison
/// jobs a compare would plan.
async fn prepared(server: &FakeServer, store: &Store) -> (Arc<Engine>, Vec<PairJob>) {
    let config = config(&server.url());
    let engine = engine(&config);
    let dialects = setup::dialects(&config, &Env::default());
    let current = Current::new(&config, &[], &dialects);
    let task = task();
    let jobs = ["writer-a", "writer-b"]
        .iter()
        .map(|m| plan::job(&current, &task, m, 0, &[]).unwrap())
        .collect();
    recorder::run_collecting(&engine, jobs, Some(store.clone())).await;
    let loaded = store.load();
    let models = ["writer-a".to_string(), "writer-b".to_string()];
    let judges = ["judge".to_string()];
    let plan = pairwise::plan(
        &current,
        Selection {
            models: &models,
            judges: &judges,
            tasks: &[task],
            samples: 1,
        },
        &loaded,
    );
    (engine, plan.jobs)
}

async fn compare(engine: &Arc<Engine>, jobs: Vec<PairJob>, store: &Store) -> Collect {
    let control = Arc::new(Control::default());
    let collect = Collect::default();
    let (tx, recorder) = recorder::start(
        Some(store.clone()),
        Arc::clone(&control),
        vec![Box::new(collect.clone())],
    );
    engine.run_pairwise(jobs, store.clone(), tx, control).await;
    tokio::task::spawn_blocking(move || recorder.finish())
        .await
        .unwrap();
    collect
}

fn last_prompt(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["messages"][0]["content"].as_str().unwrap().to_string()
}

fn writer(body: &str) -> Reply {
    let text = if body.contains("t/writer-a") {
        "Wayra ran the high road with the cords."
    } else {
        "The bridge swayed over the gorge."
    };
    Reply::ok(chat(text, "stop"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comparisons_are_stored_and_read_back() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        pairwise_reply(&last_prompt(&seen.body), |first, _| {
            if first.contains("Wayra") { "1" } else { "2" }
        })
        .unwrap_or_else(|| writer(&seen.body))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let (engine, jobs) = prepared(&server, &store).await;
    assert_eq!(jobs.len(), 2, "one judge, both orders");
    let collect = compare(&engine, jobs, &store).await;
    let made = collect.pairwise();
    assert_eq!(made.len(), 2);
    for r in &made {
        assert_eq!(r.status, Status::Ok);
        // Whatever the order, writer-a's text is preferred.
        let winner = match r.criteria[0].preferred {
            Preference::First => &r.first.model,
            Preference::Second => &r.second.model,
            Preference::Tie => panic!("no tie here"),
        };
        assert_eq!(winner, "writer-a");
        // The length difference is recorded: 8 words against 6.
        let words = if r.first.model == "writer-a" {
            (r.first.words, r.second.words)
        } else {
            (r.second.words, r.first.words)
        };
        assert_eq!(words, (8, 6));
        let path = store.pairwise_path(r);
        assert!(path.starts_with(dir.path().join("results/pairwise/chasqui-road-back")));
        assert!(path.is_file(), "{}", path.display());
    }
    let loaded = store.load();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let mut read: Vec<_> = loaded.pairwise.iter().map(|(_, r)| r.clone()).collect();
    let mut written: Vec<_> = made.iter().map(|r| (**r).clone()).collect();
    read.sort_by(|x, y| x.first.model.cmp(&y.first.model));
    written.sort_by(|x, y| x.first.model.cmp(&y.first.model));
    assert_eq!(read, written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonsense_pairwise_answer_is_retried_then_recorded_as_failed() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        if last_prompt(&seen.body).contains("\nOUTPUT 2 (") {
            Reply::ok(chat("Both are lovely!", "stop"))
        } else {
            writer(&seen.body)
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let (engine, jobs) = prepared(&server, &store).await;
    let before = server.hits();
    let collect = compare(&engine, jobs, &store).await;
    // 2 comparisons × (1 attempt + 2 retries).
    assert_eq!(server.hits() - before, 6);
    for r in collect.pairwise() {
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.failure, Some(FailureKind::Unparsable));
        assert!(r.criteria.is_empty(), "never a verdict");
        assert_eq!(r.raw.as_deref(), Some("Both are lovely!"));
        assert!(r.error.as_deref().unwrap().contains("no JSON object"));
    }
    assert_eq!(store.load().pairwise.len(), 2, "failed ones are kept too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_rewritten_after_planning_is_not_compared() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        pairwise_reply(&last_prompt(&seen.body), |_, _| "tie").unwrap_or_else(|| writer(&seen.body))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let (engine, jobs) = prepared(&server, &store).await;
    // Another run writes writer-b's generation again, with another text.
    let path = jobs[0].second.path.clone();
    let mut g = store.read_generation(&path).unwrap();
    g.output = "A different text altogether.".into();
    store.write_generation(&g).unwrap();
    let before = server.hits();
    let collect = compare(&engine, jobs, &store).await;
    assert!(collect.pairwise().is_empty());
    assert_eq!(server.hits(), before, "no judge was paid");
    assert!(store.load().pairwise.is_empty());
}
