//! `fabula run --batch` end to end against the fake batch APIs of both providers: the
//! same records and leaderboard as an interactive run on the same answers (request bodies
//! byte for byte the interactive ones), a killed run that polls its batch again instead
//! of sending it twice, an interrupt that leaves the batch for the next run, expired and
//! errored lines that become failed records or are sent again (never lost, never a silent
//! zero), unreadable results, the discounted cost under a budget, and the dry run's
//! batch cost.

pub mod support;

use fabula_fake_server::{FakeBatches, FakeServer, Reply, Script, messages_reply, model_reply};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::*;

/// [`LOCAL_CONFIG`] on Anthropic's Messages API.
fn anthropic_config() -> String {
    LOCAL_CONFIG.replace("    kind: openai\n    dialect: openai\n", "    kind: anthropic\n")
}

/// A server that answers the batch routes with `batches` and any other request (one
/// call) the way the batches answer a line.
async fn server(batches: &FakeBatches, anthropic: bool) -> FakeServer {
    let batches = batches.clone();
    FakeServer::start(Duration::ZERO, move |_, seen| {
        batches.handle(seen).unwrap_or_else(|| {
            if anthropic {
                messages_reply(&seen.body)
            } else {
                model_reply(&seen.body)
            }
        })
    })
    .await
}

/// Requests that were single calls (not batch routes).
fn calls(server: &FakeServer) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions") || r.path == "/messages")
        .map(|r| r.json())
        .collect()
}

fn fast() -> Vec<&'static str> {
    vec!["--batch", "--batch-poll", "0.02", "--batch-poll-max", "0.05"]
}

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["run"];
    a.extend(fast());
    a.extend_from_slice(extra);
    a
}

/// Every record under `results/`, by path, without what differs between two runs of the
/// same work (times, latencies, and the judges' fenced prompts' raw text).
fn records_of(dir: &Path) -> Vec<(String, Value)> {
    records(&dir.join("results"))
        .into_iter()
        .map(|p| {
            let mut v: Value =
                serde_json::from_slice(&std::fs::read(dir.join("results").join(&p)).unwrap())
                    .unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("created_at");
            o.remove("latency_ms");
            if let Some(turns) = o.get_mut("transcript").and_then(Value::as_array_mut) {
                for t in turns {
                    t.as_object_mut().unwrap().remove("latency_ms");
                }
            }
            (p.display().to_string(), v)
        })
        .collect()
}

fn batch_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("results/.batches"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The leaderboard as CSV.
fn board(dir: &Path) -> String {
    let o = fabula(dir, &["leaderboard", "--format", "csv"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A batch run and an interactive run of `config` on the same answers: the same records,
/// the same leaderboard, generation requests byte for byte the same; the records of one
/// are up to date for the other.
async fn same_as_interactive(config: &str, anthropic: bool) {
    let batches = FakeBatches::cooperative(Script::default());
    let batch_server = server(&batches, anthropic).await;
    let plain = FakeBatches::cooperative(Script::default());
    let plain_server = server(&plain, anthropic).await;
    let (a, b) = (project(config, TASKS), project(config, TASKS));

    let o = run_local(a.path(), &plain_server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = run_local(b.path(), &batch_server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_no_key(b.path(), &out);

    // Every call went in a batch: one of the 3 generations, one of their 3 judges.
    assert!(calls(&batch_server).is_empty(), "{out}");
    assert_eq!(batches.submissions(), 2, "{out}");
    assert!(out.contains("batch: batch") || out.contains("batch: msgbatch"), "{out}");
    assert!(out.contains("sent 3 requests"), "{out}");
    assert!(batch_files(b.path()).is_empty(), "settled batches leave no file");

    // The generation requests are the interactive ones, byte for byte (the judges'
    // differ only by their random fence).
    let sent: Vec<Value> = batches.lines().into_iter().map(|(_, body)| body).collect();
    let interactive = calls(&plain_server);
    assert_eq!(sent.len(), interactive.len());
    let is_judge = |v: &Value| v.to_string().contains("CRITERIA: ");
    let mut batch_gens: Vec<String> = sent.iter().filter(|v| !is_judge(v)).map(Value::to_string).collect();
    let mut plain_gens: Vec<String> =
        interactive.iter().filter(|v| !is_judge(v)).map(Value::to_string).collect();
    batch_gens.sort();
    plain_gens.sort();
    assert_eq!(batch_gens.len(), 3);
    assert_eq!(batch_gens, plain_gens);

    // Same records under the same names (so the same fingerprints), same leaderboard.
    let (ra, rb) = (records_of(a.path()), records_of(b.path()));
    assert_eq!(ra.len(), 6);
    assert_eq!(
        ra.iter().map(|r| &r.0).collect::<Vec<_>>(),
        rb.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    for ((path, x), (_, y)) in ra.iter().zip(&rb) {
        assert_eq!(x, y, "{path}");
    }
    assert_eq!(board(a.path()), board(b.path()));

    // Records of either mode are up to date for the other.
    let o = run_local(b.path(), &plain_server, &["run"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Nothing to run"), "{}", text(&o));
    let o = run_local(a.path(), &batch_server, &args(&[])).await;
    assert!(text(&o).contains("Nothing to run"), "{}", text(&o));
    assert_eq!(batches.submissions(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_batch_run_makes_the_interactive_runs_records() {
    same_as_interactive(LOCAL_CONFIG, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anthropic_batch_run_makes_the_interactive_runs_records() {
    same_as_interactive(&anthropic_config(), true).await;
}
