//! `fabula doctor` against a local server: one request per model at most, a line per
//! model, and the right verdict for a good model, a refused key (401), an unknown model
//! (404), a request the server rejects for its dialect (400), a setting the dialect
//! cannot send, a missing key and a simulated model.

use fabula_fake_server::{FakeServer, Reply, chat};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const CONFIG: &str = "\
version: 1
providers:
  good:
    kind: openai
    dialect: openai
    base_url: http://127.0.0.1:9/unused
    base_url_env: DOCTOR_URL
    api_key_env: DOCTOR_KEY
  strict:
    kind: openai
    dialect: openrouter
    base_url: http://127.0.0.1:9/unused
    base_url_env: DOCTOR_URL
    api_key_env: DOCTOR_KEY
  badkey:
    kind: anthropic
    base_url: http://127.0.0.1:9/unused
    base_url_env: DOCTOR_URL
    api_key_env: DOCTOR_BAD_KEY
  nokey:
    kind: openai
    base_url: http://127.0.0.1:9/unused
    api_key_env: DOCTOR_ABSENT_KEY
  sim:
    kind: sim
models:
  fine: {provider: good, model: test/fine}
  reasoner: {provider: good, model: o3, reasoning: {effort: low}}
  missing: {provider: good, model: test/missing}
  budgeted: {provider: good, model: test/thinker, reasoning: {max_tokens: 2048}}
  extended: {provider: strict, model: test/strict}
  refused-1: {provider: badkey, model: claude-a}
  refused-2: {provider: badkey, model: claude-b}
  keyless: {provider: nokey, model: test/x}
  simulated: {provider: sim, model: sim/writer-a}
  idle: {provider: good, model: test/idle, enabled: false}
judges: [fine]
";

fn reply(seen: &fabula_fake_server::Seen) -> Reply {
    if seen.header("x-api-key").is_some() {
        return Reply::status(
            401,
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        );
    }
    let body = seen.json();
    let model = body["model"].as_str().unwrap_or("");
    match model {
        "test/missing" => Reply::status(
            404,
            r#"{"error":{"message":"The model `test/missing` does not exist"}}"#,
        ),
        // A server of the plain OpenAI kind: OpenRouter's extensions are unknown to it.
        "test/strict" if body.get("usage").is_some() => Reply::status(
            400,
            r#"{"error":{"message":"Unrecognized request argument supplied: usage"}}"#,
        ),
        // OpenAI's reasoning models take max_completion_tokens only.
        "o3" if body.get("max_tokens").is_some() => Reply::status(
            400,
            r#"{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."}}"#,
        ),
        _ => Reply::ok(chat("ready", "stop")),
    }
}

fn doctor(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fabula"))
        .arg("doctor")
        .args(args)
        .current_dir(dir)
        .env("DOCTOR_URL", url)
        .env("DOCTOR_KEY", "sk-doctor-good-0123456789")
        .env("DOCTOR_BAD_KEY", "sk-ant-doctor-bad-0123456789")
        .env_remove("DOCTOR_ABSENT_KEY")
        .output()
        .unwrap()
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fabula.yaml"), CONFIG).unwrap();
    dir
}

/// The report's line for `model` and the reason line under it, if any.
fn verdict<'a>(stdout: &'a str, model: &str) -> (&'a str, &'a str) {
    let lines: Vec<&str> = stdout.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.split_whitespace().nth(1) == Some(model))
        .unwrap_or_else(|| panic!("no line for {model}:\n{stdout}"));
    let next = lines
        .get(i + 1)
        .copied()
        .filter(|l| l.starts_with("        "))
        .unwrap_or("");
    (lines[i], next.trim())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_per_model_and_a_verdict_for_each() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| reply(seen)).await;
    let dir = project();
    let url = server.url();
    let path = dir.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || doctor(&path, &url, &[]))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");

    let ok = |m: &str| {
        let (line, why) = verdict(&stdout, m);
        assert!(line.trim_start().starts_with("ok "), "{m}: {line}\n{why}");
        line
    };
    let failed = |m: &str| {
        let (line, why) = verdict(&stdout, m);
        assert!(line.trim_start().starts_with("FAIL"), "{m}: {line}");
        why
    };
    assert!(ok("fine").contains("good · test/fine · openai dialect"));
    ok("reasoner");
    assert!(ok("simulated").ends_with("sim · sim/writer-a · simulated · no request needed"));
    let why = failed("missing");
    assert!(
        why.contains("does not know model `test/missing` (HTTP 404)"),
        "{why}"
    );
    let why = failed("extended");
    assert!(
        why.contains("HTTP 400")
            && why.contains("Unrecognized request argument supplied: usage")
            && why.contains("check the provider's `dialect` (here `openrouter`)"),
        "{why}"
    );
    for m in ["refused-1", "refused-2"] {
        let why = failed(m);
        assert!(
            why.contains("provider `badkey` rejected the API key (HTTP 401)")
                && why.contains("DOCTOR_BAD_KEY"),
            "{m}: {why}"
        );
        assert!(!why.contains("sk-ant-doctor"), "{why}");
    }
    let why = failed("budgeted");
    assert!(
        why.starts_with("not sent: `reasoning.max_tokens` cannot be sent in the openai dialect"),
        "{why}"
    );
    let why = failed("keyless");
    assert!(why.contains("DOCTOR_ABSENT_KEY"), "{why}");
    assert!(
        !stdout.contains("idle"),
        "a disabled model plays no role: {stdout}"
    );
    assert!(stdout.contains("3 of 9 ready, 6 failed"), "{stdout}");

    // fine, reasoner, missing, extended, and one of the two refused: the second is
    // refused without a request; the rest need none.
    assert_eq!(
        server.hits(),
        5,
        "{:#?}",
        server
            .requests()
            .iter()
            .map(|r| r.body.clone())
            .collect::<Vec<_>>()
    );
    let reasoner = server
        .requests()
        .into_iter()
        .find(|r| r.json()["model"] == "o3")
        .unwrap();
    assert_eq!(reasoner.json()["max_completion_tokens"], 4096);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_ready_exits_zero_and_unknown_names_are_usage_errors() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| reply(seen)).await;
    let dir = project();
    let (url, path) = (server.url(), dir.path().to_path_buf());
    let o = tokio::task::spawn_blocking(move || {
        (
            doctor(&path, &url, &["--model", "fine", "--model", "simulated"]),
            doctor(&path, &url, &["--model", "nope"]),
        )
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&o.0.stdout);
    assert_eq!(o.0.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("All 2 ready."), "{stdout}");
    assert_eq!(server.hits(), 1);
    let stderr = String::from_utf8_lossy(&o.1.stderr);
    assert_eq!(o.1.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--model nope: not under `models`"),
        "{stderr}"
    );
}
