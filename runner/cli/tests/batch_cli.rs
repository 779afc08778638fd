//! `fabula run --batch` end to end against the fake batch APIs of both providers: the
//! same records and leaderboard as an interactive run on the same answers (request bodies
//! byte for byte the interactive ones), a killed run that polls its batch again instead
//! of sending it twice, an interrupt that leaves the batch for the next run, expired and
//! errored lines that become failed records or are sent again (never lost, never a silent
//! zero), unreadable results, the discounted cost under a budget, and the dry run's
//! batch cost.

pub mod support;

use fabula_fake_server::{FakeBatches, FakeServer, Script, messages_reply, model_reply};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::*;

/// [`LOCAL_CONFIG`] on Anthropic's Messages API.
fn anthropic_config() -> String {
    LOCAL_CONFIG.replace(
        "    kind: openai\n    dialect: openai\n",
        "    kind: anthropic\n",
    )
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

/// Requests sent in batches so far: (generations, judge calls). Batches are counted by
/// the requests in them: under load a batch's requests may come in two batches.
fn sent(batches: &FakeBatches) -> (usize, usize) {
    let lines = batches.lines();
    let judges = lines
        .iter()
        .filter(|(_, b)| b.to_string().contains("CRITERIA: "))
        .count();
    (lines.len() - judges, judges)
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

/// Short polls (a batch gathers what arrives within the poll floor: long enough that a
/// loaded machine's requests still come in one batch).
fn fast() -> Vec<&'static str> {
    vec!["--batch", "--batch-poll", "0.2", "--batch-poll-max", "0.3"]
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
    assert_eq!(sent(&batches), (3, 3), "each request sent once: {out}");
    assert!(
        out.contains("batch batch_") || out.contains("batch msgbatch_"),
        "{out}"
    );
    assert!(out.contains("sent 3 requests"), "{out}");
    assert!(
        batch_files(b.path()).is_empty(),
        "settled batches leave no file"
    );

    // The generation requests are the interactive ones, byte for byte (the judges'
    // differ only by their random fence).
    let bodies: Vec<Value> = batches.lines().into_iter().map(|(_, body)| body).collect();
    let interactive = calls(&plain_server);
    assert_eq!(bodies.len(), interactive.len());
    let is_judge = |v: &Value| v.to_string().contains("CRITERIA: ");
    let mut batch_gens: Vec<String> = bodies
        .iter()
        .filter(|v| !is_judge(v))
        .map(Value::to_string)
        .collect();
    let mut plain_gens: Vec<String> = interactive
        .iter()
        .filter(|v| !is_judge(v))
        .map(Value::to_string)
        .collect();
    batch_gens.sort();
    plain_gens.sort();
    assert_eq!(batch_gens.len(), 3);
    assert_eq!(batch_gens, plain_gens);

    // Same records under the same names (so the same fingerprints), same leaderboard; the
    // batch's say which batch answered them, and match the published schema.
    let (ra, mut rb) = (records_of(a.path()), records_of(b.path()));
    for (path, r) in &mut rb {
        let batch = r.as_object_mut().unwrap().remove("batch");
        let batch = batch.as_ref().and_then(Value::as_str).unwrap_or_default();
        assert!(
            batch.starts_with("batch_") || batch.starts_with("msgbatch_"),
            "{path}"
        );
        let bytes = std::fs::read(b.path().join("results").join(&*path)).unwrap();
        fabula_engine::merge::verify(Path::new(path), &bytes).unwrap();
    }
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
    assert_eq!(sent(&batches), (3, 3), "nothing sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openai_batch_run_makes_the_interactive_runs_records() {
    same_as_interactive(LOCAL_CONFIG, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anthropic_batch_run_makes_the_interactive_runs_records() {
    same_as_interactive(&anthropic_config(), true).await;
}

/// Whether a request body is a generation of the task whose prompt says `marker`.
fn generation_of(body: &Value, marker: &str) -> bool {
    let text = body.to_string();
    text.contains(marker) && !text.contains("CRITERIA: ")
}

/// `fabula run --batch` as a child process, output captured.
fn spawn_batch_run(dir: &Path, server: &FakeServer) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fabula"))
        .args(args(&[]))
        .current_dir(dir)
        .env("FABULA_TEST_BASE_URL", server.url())
        .env("FABULA_TEST_KEY", KEY)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the first batch's file is under `results/.batches/`.
async fn wait_for_batch_file(dir: &Path, batches: &FakeBatches) {
    let until = Instant::now() + Duration::from_secs(30);
    while (batch_files(dir).is_empty() || batches.polls() < 2) && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(batch_files(dir).len(), 1, "the generation batch's file");
    assert_eq!(batches.submissions(), 1);
}

/// Batches that stay in progress until the script changes.
fn endless() -> Script {
    Script {
        polls_before_end: usize::MAX,
        ..Script::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_polls_its_batch_again_instead_of_sending_it_twice() {
    let batches = FakeBatches::cooperative(endless());
    let server = server(&batches, false).await;
    let dir = local_project(TASKS);
    let mut child = spawn_batch_run(dir.path(), &server);
    wait_for_batch_file(dir.path(), &batches).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let file = batch_files(dir.path()).remove(0);
    assert!(file.starts_with("local-batch_"), "{file}");
    let kept: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("results/.batches").join(&file)).unwrap(),
    )
    .unwrap();
    assert_eq!(kept["requests"].as_array().unwrap().len(), 3, "{kept}");
    assert!(
        kept["requests"][0]["record"]
            .as_str()
            .unwrap()
            .starts_with("writer-a/"),
        "{kept}"
    );
    assert!(records(&dir.path().join("results")).is_empty());
    // The loaders do not mistake the batch file for a record.
    let o = fabula(dir.path(), &["status"], &[]);
    assert!(!text(&o).contains("not records"), "{}", text(&o));

    // The batch ends meanwhile; the next run collects it: no second submission of the
    // generations, one batch for their judges.
    batches.set_script(Script::default());
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("from an earlier run: polling it again, not resending"),
        "{out}"
    );
    assert_eq!(
        sent(&batches),
        (3, 3),
        "the generations were not sent again: {out}"
    );
    assert_eq!(records(&dir.path().join("results")).len(), 6);
    assert!(
        batch_files(dir.path()).is_empty(),
        "settled: the file is gone"
    );
    assert!(calls(&server).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_leaves_the_running_batch_for_the_next_run_and_exits_1() {
    let batches = FakeBatches::cooperative(endless());
    let server = server(&batches, false).await;
    let dir = local_project(TASKS);
    let child = spawn_batch_run(dir.path(), &server);
    wait_for_batch_file(dir.path(), &batches).await;
    let started = Instant::now();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "unfinished: {out}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no wait for a batch that may take a day: {out}"
    );
    assert!(
        out.contains("Left in provider batches: 6 of the planned"),
        "{out}"
    );
    assert!(
        out.contains("polls it instead of sending it again"),
        "{out}"
    );
    assert!(out.contains("still running at the provider"), "{out}");
    assert_eq!(batch_files(dir.path()).len(), 1);
    assert!(
        records(&dir.path().join("results")).is_empty(),
        "nothing recorded"
    );

    batches.set_script(Script::default());
    let o = run_local(dir.path(), &server, &args(&[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        sent(&batches),
        (3, 3),
        "the generations were not sent again: {}",
        text(&o)
    );
    assert_eq!(records(&dir.path().join("results")).len(), 6);
    assert!(batch_files(dir.path()).is_empty());
}

/// The generation records under `dir`, by task: (task, status, failure kind, error).
fn generations(dir: &Path) -> Vec<(String, String, Value, Value)> {
    let mut out: Vec<_> = records_of(dir)
        .into_iter()
        .filter(|(p, _)| p.contains("/gen-"))
        .map(|(_, v)| {
            (
                v["task"].as_str().unwrap().to_string(),
                v["status"].as_str().unwrap().to_string(),
                v["failure"].clone(),
                v["error"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_errored_lines_become_failed_records_never_lost_or_zero() {
    expired_and_errored(LOCAL_CONFIG, false, "the batch did not run this request: ").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_errored_anthropic_lines_become_failed_records() {
    expired_and_errored(
        &anthropic_config(),
        true,
        "the batch did not run this request (expired)",
    )
    .await;
}

async fn expired_and_errored(config: &str, anthropic: bool, expired_reason: &str) {
    // No retries (max_retries: 0): orbit-find's line expires, kiln's errors, market's is
    // answered.
    let batches = FakeBatches::cooperative(Script {
        expired: Arc::new(|b| generation_of(b, "relay station")),
        errored: Arc::new(|b| generation_of(b, "Iznik")),
        ..Script::default()
    });
    let server = server(&batches, anthropic).await;
    let dir = project(config, TASKS);
    let o = run_local(dir.path(), &server, &args(&["--json"])).await;
    let out = text(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "failures are unfinished work: {out}"
    );
    let g = generations(dir.path());
    assert_eq!(g.len(), 3, "{g:?}");
    assert_eq!(g[0].0, "kiln-midpoint-control");
    assert_eq!(
        (g[0].1.as_str(), &g[0].2),
        ("failed", &Value::from("provider"))
    );
    assert!(
        g[0].3
            .as_str()
            .unwrap()
            .contains("HTTP 400: the fake refused this request"),
        "{g:?}"
    );
    assert_eq!(g[1].0, "market-three-to-pyramid");
    assert_eq!(g[1].1, "ok");
    assert_eq!(g[2].0, "orbit-find");
    assert_eq!(
        (g[2].1.as_str(), &g[2].2),
        ("failed", &Value::from("provider"))
    );
    assert!(g[2].3.as_str().unwrap().contains(expired_reason), "{g:?}");
    // An infrastructure failure leaves the item incomplete: never a silent 0.
    let board = board(dir.path());
    assert!(!board.contains(",0.0,"), "{board}");
    let done: Value = serde_json::from_str(
        out.lines()
            .find(|l| l.contains("\"event\":\"done\""))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(done["generations"], 3);
    assert_eq!(done["evaluations"], 1, "only market's generation is judged");
    assert_eq!(done["failures"], 2);
    assert_eq!(done["batch_files"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_line_is_sent_again_in_a_later_batch() {
    // max_retries: 1; orbit-find's line expires the first time only.
    let once = Arc::new(AtomicBool::new(false));
    let batches = FakeBatches::cooperative(Script {
        expired: Arc::new(move |b| {
            generation_of(b, "relay station") && !once.swap(true, Ordering::SeqCst)
        }),
        ..Script::default()
    });
    let server = server(&batches, false).await;
    let config = LOCAL_CONFIG.replace("max_retries: 0", "max_retries: 1");
    let dir = project(&config, TASKS);
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("expired: 2 answered, 0 failed, 1 sent again"),
        "{out}"
    );
    let sent = batches
        .lines()
        .iter()
        .filter(|(_, b)| generation_of(b, "relay station"))
        .count();
    assert_eq!(sent, 2, "sent, expired, sent again");
    assert!(generations(dir.path()).iter().all(|g| g.1 == "ok"));
    assert_eq!(records(&dir.path().join("results")).len(), 6);
    assert!(batch_files(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_unknown_lines_and_failing_polls_are_told_and_survived() {
    let batches = FakeBatches::cooperative(Script {
        failing_polls: 2,
        garbage: true,
        ..Script::default()
    });
    let server = server(&batches, false).await;
    let dir = local_project(TASKS);
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("warning: batches of `local`: polling batch batch_2 failed (HTTP 500: ")
            && out.contains("polling again in 200ms"),
        "{out}"
    );
    assert!(
        out.contains("1 result line(s) could not be read (first: line 4: not JSON"),
        "{out}"
    );
    assert!(
        out.contains("requests it was not sent or answered twice (first custom id `never-sent`)"),
        "{out}"
    );
    assert_eq!(records(&dir.path().join("results")).len(), 6);
    assert_no_key(dir.path(), &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_results_fail_the_lines_with_the_reason() {
    let batches = FakeBatches::cooperative(Script {
        results_missing: true,
        ..Script::default()
    });
    let server = server(&batches, false).await;
    let dir = local_project(TASKS);
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("cannot read the results of batch batch_"),
        "{out}"
    );
    let g = generations(dir.path());
    assert_eq!(g.len(), 3);
    for (_, status, _, error) in &g {
        assert_eq!(status, "failed");
        assert!(
            error
                .as_str()
                .unwrap()
                .contains("could not be read: HTTP 404"),
            "{g:?}"
        );
    }
    assert!(batch_files(dir.path()).is_empty());
}

/// Answers without a provider-reported cost, 1,000 prompt and 500 completion tokens each,
/// so the cost comes from the config's prices.
fn priced_answers(script: Script) -> FakeBatches {
    FakeBatches::new(script, |body| {
        let fabula_fake_server::Reply::Json { body, .. } = model_reply(&body.to_string()) else {
            unreachable!("model_reply answers JSON")
        };
        let mut v: Value = serde_json::from_str(&body).unwrap();
        v["usage"] = serde_json::json!({ "prompt_tokens": 1000, "completion_tokens": 500 });
        v
    })
}

/// [`LOCAL_CONFIG`] with prices: $1 / $2 per million tokens, answers at most 1,000 tokens.
fn priced_config() -> String {
    LOCAL_CONFIG
        .replace(
            "writer-a: {provider: local, model: test/writer-a}",
            "writer-a: {provider: local, model: test/writer-a, max_tokens: 1000, price: {input: 1.0, output: 2.0}}",
        )
        .replace(
            "judge-1: {provider: local, model: test/judge-1}",
            "judge-1: {provider: local, model: test/judge-1, max_tokens: 1000, price: {input: 1.0, output: 2.0}}",
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_calls_cost_half_and_the_budget_settles_at_that_price() {
    // One call: 1,000 × $1/M + 500 × $2/M = $0.002 interactive; $0.001 in a batch.
    // Six calls (3 generations, 3 evaluations): $0.006.
    let batches = priced_answers(Script::default());
    let server = server(&batches, false).await;
    let dir = project(&priced_config(), TASKS);
    let o = run_local(dir.path(), &server, &args(&["--max-cost", "1"])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let costs: Vec<f64> = records_of(dir.path())
        .iter()
        .map(|(_, r)| r["cost_usd"].as_f64().unwrap())
        .collect();
    assert_eq!(costs.len(), 6);
    for c in &costs {
        assert!((c - 0.001).abs() < 1e-12, "{costs:?}");
    }
    assert!(out.contains("0 failed, $0.0060 spent."), "{out}");
    assert!(out.contains("Budget: $0.0060 of $1.0000 spent"), "{out}");

    // A cap the batch cannot fit is never passed, and stops the run as unfinished.
    let dir = project(&priced_config(), TASKS);
    let o = run_local(dir.path(), &server, &args(&["--max-cost", "0.005"])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("Stopped early: the cost budget is spent"),
        "{out}"
    );
    let spent: f64 = records_of(dir.path())
        .iter()
        .map(|(_, r)| r["cost_usd"].as_f64().unwrap())
        .sum();
    assert!(spent <= 0.005 + 1e-12, "spent {spent}");
}

/// OpenAI- and Anthropic-priced models, on a single-request task and a two-call
/// (planning) task.
const DRY_CONFIG: &str = "\
version: 1
providers:
  oai: {kind: openai, dialect: openai, base_url: 'http://127.0.0.1:9/v1', api_key_env: FABULA_TEST_KEY}
  ant: {kind: anthropic, base_url: 'http://127.0.0.1:9/v1', api_key_env: FABULA_TEST_KEY}
models:
  writer: {provider: oai, model: gpt-x, price: {input: 2.0, output: 8.0}}
  judge: {provider: ant, model: claude-x, price: {input: 3.0, output: 15.0}, enabled: false}
judges: [judge]
";

#[test]
fn the_dry_run_shows_the_batch_cost_next_to_the_interactive_one() {
    let dir = project(
        DRY_CONFIG,
        &[
            "beat_interpolation/orbit-find.yaml",
            "agentic_planning_execution/apprentice-smith-journey.yaml",
        ],
    );
    // A call's estimate: (1,500 + 1.4 w) input and 1.4 w output tokens at the prices,
    // w the answer's words (a judge: the task's most words + 500).
    //   writer, orbit-find (w 700, one request):         (2,480 × 2 + 980 × 8) / 1e6 = 0.0128
    //   writer, apprentice-smith (w 2,200, two calls): 2 × (4,580 × 2 + 3,080 × 8) / 1e6 = 0.0676
    //   judge of orbit-find (w 1,200):                  (3,180 × 3 + 1,680 × 15) / 1e6 = 0.03474
    //   judge of apprentice-smith (w 2,700):            (5,280 × 3 + 3,780 × 15) / 1e6 = 0.07254
    // Interactive: 0.18768. Batch: the planning task's two calls stay interactive, the
    // rest at half: 0.0064 + 0.0676 + 0.01737 + 0.03627 = 0.12764.
    let o = fabula(dir.path(), &["run", "--dry-run", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let close = |x: &Value, want: f64| (x.as_f64().unwrap() - want).abs() < 1e-9;
    assert!(close(&v["estimated_cost_usd"], 0.18768), "{v}");
    assert!(close(&v["estimated_batch_cost_usd"], 0.12764), "{v}");
    let o = fabula(dir.path(), &["run", "--dry-run"], &[]);
    let out = text(&o);
    assert!(
        out.contains("Estimated cost: $0.19 (from config prices"),
        "{out}"
    );
    assert!(
        out.contains("With --batch: $0.13 (single requests of OpenAI and Anthropic models in provider batches at 50% of the price; the rest interactively)."),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_without_a_batch_api_run_interactively_and_the_run_says_so() {
    // The judge is on OpenRouter (no batch API); the writer's single requests go in a
    // batch, the two-call planning task does not.
    let batches = FakeBatches::cooperative(Script::default());
    let server = server(&batches, false).await;
    let config = LOCAL_CONFIG.replace(
        "  judge-1: {provider: local, model: test/judge-1}",
        "  judge-1: {provider: router, model: test/judge-1}",
    ).replace(
        "models:\n",
        "  router:\n    kind: openai\n    dialect: openrouter\n    base_url: http://127.0.0.1:9/unused\n    base_url_env: FABULA_TEST_BASE_URL\n    api_key_env: FABULA_TEST_KEY\n    max_retries: 0\nmodels:\n",
    );
    let dir = project(
        &config,
        &[
            "beat_interpolation/orbit-find.yaml",
            "agentic_planning_execution/apprentice-smith-journey.yaml",
        ],
    );
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("note: --batch: this model has no batch API and runs interactively at the full price: judge-1 (provider `router`, openrouter)."),
        "{out}"
    );
    assert!(
        out.contains("note: --batch: generations of agentic and multi-turn tasks run interactively (a conversation cannot go in a batch): 1."),
        "{out}"
    );
    assert_eq!(batches.submissions(), 1, "orbit-find's generation");
    assert_eq!(batches.lines().len(), 1);
    // Two planning calls and two judge calls went on their own.
    assert_eq!(calls(&server).len(), 4, "{out}");
    assert_eq!(records(&dir.path().join("results")).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_state_or_results_cannot_be_read_is_left_for_the_next_run() {
    // Ten failed polls in a row: the run stops waiting, keeps the id, exits 1.
    let batches = FakeBatches::cooperative(Script {
        failing_polls: 1000,
        ..Script::default()
    });
    let server = server(&batches, false).await;
    let dir = local_project(TASKS);
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    // Ten tries; the provider's circuit breaker may spare the server the last ones.
    assert!((1..=10).contains(&batches.polls()), "{out}");
    assert!(out.contains("could not be read 10 times in a row"), "{out}");
    assert!(
        out.contains("Left in provider batches: 6 of the planned"),
        "{out}"
    );
    assert_eq!(batch_files(dir.path()).len(), 1);
    assert!(records(&dir.path().join("results")).is_empty());

    // Results that fail to read three times: left too, never sent (and paid) twice. The
    // next run reads them.
    batches.set_script(Script {
        failing_results: 3,
        ..Script::default()
    });
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the results of batch batch_2 of provider `local` could not be read"),
        "{out}"
    );
    assert_eq!(sent(&batches), (3, 0), "{out}");
    assert_eq!(batch_files(dir.path()).len(), 1);
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(sent(&batches), (3, 3), "the judges only: {out}");
    assert_eq!(records(&dir.path().join("results")).len(), 6);
    assert!(batch_files(dir.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_file_of_a_provider_the_run_does_not_use_is_left_alone() {
    let batches = FakeBatches::cooperative(Script::default());
    let server = server(&batches, false).await;
    let dir = local_project(TASKS);
    let folder = dir.path().join("results/.batches");
    std::fs::create_dir_all(&folder).unwrap();
    let other = serde_json::json!({
        "format_version": 1, "provider": "elsewhere", "api": "anthropic",
        "batch": "msgbatch_9", "submitted_at": "2026-12-01T00:00:00.000Z",
        "requests": [{ "custom_id": "r0", "record": "m/t/gen-s0-x.json", "model": "c", "attempt": 1 }],
    });
    std::fs::write(folder.join("elsewhere-msgbatch_9.json"), other.to_string()).unwrap();
    let o = run_local(dir.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the run's own work is complete: {out}"
    );
    assert!(
        out.contains("(batch msgbatch_9 of provider `elsewhere`) is for a provider this run does not use: left as it is."),
        "{out}"
    );
    assert!(
        out.contains("batch msgbatch_9 of `elsewhere`, 1 request: not polled: this run does not use its provider"),
        "{out}"
    );
    assert_eq!(
        batch_files(dir.path()),
        vec!["elsewhere-msgbatch_9.json".to_string()]
    );
    assert_eq!(records(&dir.path().join("results")).len(), 6);

    // A file that is not a batch file stops the run before anything is sent: it may
    // stand for a paid batch.
    let before = sent(&batches);
    let dir2 = local_project(TASKS);
    std::fs::create_dir_all(dir2.path().join("results/.batches")).unwrap();
    std::fs::write(dir2.path().join("results/.batches/notes.json"), "{}").unwrap();
    let o = run_local(dir2.path(), &server, &args(&[])).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("notes.json is not a batch file fabula can read"),
        "{out}"
    );
    assert_eq!(sent(&batches), before, "nothing more was sent");
}
