//! Crash test: `fabula run` is killed with SIGKILL at pseudo-random moments while it
//! works against a local server (20 trials). Each time the store loads with no partial or
//! duplicate record, and the next run does exactly the missing work: as many requests as
//! its plan says, after which nothing is missing.

use fabula_engine::store::Store;
use fabula_fake_server::{FakeServer, model_reply};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CONFIG: &str = "\
version: 1
providers:
  local:
    kind: openai
    dialect: openai
    base_url: http://127.0.0.1:9/unused
    base_url_env: FABULA_TEST_BASE_URL
    api_key_env: FABULA_TEST_KEY
    concurrency: 4
    max_retries: 0
models:
  writer-a: {provider: local, model: test/writer-a}
  writer-b: {provider: local, model: test/writer-b}
  judge: {provider: local, model: test/judge, enabled: false}
judges: [judge]
";

/// Single-request tasks: one request per generation, one per evaluation.
const TASKS: &[&str] = &[
    "beat_interpolation/orbit-find.yaml",
    "beat_interpolation/salt-road-refusal.yaml",
    "beat_interpolation/flood-year-climax.yaml",
    "beat_revision/kiln-midpoint-control.yaml",
    "beat_revision/blue-door-control.yaml",
    "constrained_continuation/dumpling-house-circle.yaml",
    "theory_conversion/market-three-to-pyramid.yaml",
    "multi_beat_synthesis/rowing-club-circle.yaml",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fabula.yaml"), CONFIG).unwrap();
    let theories = dir.path().join("dataset/theories");
    std::fs::create_dir_all(&theories).unwrap();
    for e in std::fs::read_dir(repo().join("dataset/theories")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), theories.join(e.file_name())).unwrap();
    }
    for t in TASKS {
        let to = dir.path().join("dataset/tasks").join(t);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join("dataset/tasks").join(t), to).unwrap();
    }
    dir
}

fn command(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fabula"));
    cmd.args(args)
        .current_dir(dir)
        .env("FABULA_TEST_BASE_URL", url)
        .env("FABULA_TEST_KEY", "k")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// The planned (generations + evaluations) of the next run.
fn planned(dir: &Path, url: &str) -> u64 {
    let out = command(dir, url, &["run", "--dry-run", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sum = |k: &str| {
        v[k].as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum::<u64>()
    };
    sum("generations") + sum("evaluations")
}

fn assert_store_sound(results: &Path) {
    let loaded = Store::new(results).load();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let mut gens = HashSet::new();
    for (_, g) in &loaded.generations {
        assert!(
            gens.insert((
                g.model.clone(),
                g.task.clone(),
                g.sample,
                g.fingerprint.clone()
            )),
            "duplicate generation"
        );
    }
    let mut evals = HashSet::new();
    for (_, e) in &loaded.evaluations {
        assert!(
            evals.insert((
                e.model.clone(),
                e.task.clone(),
                e.sample,
                e.judge.clone(),
                e.fingerprint.clone()
            )),
            "duplicate evaluation"
        );
        assert!(
            gens.contains(&(
                e.model.clone(),
                e.task.clone(),
                e.sample,
                e.generation_fingerprint.clone()
            )),
            "an evaluation without its generation"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_at_random_moments_loses_nothing_finished() {
    let server =
        FakeServer::start(Duration::from_millis(25), |_, seen| model_reply(&seen.body)).await;
    let url = server.url();
    let dir = project();
    let p = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let full = (TASKS.len() * 2 * 2) as u64;
        // Kill moments spread over a whole run as this machine runs it (start-up
        // included): a fixed window misses the work on a slow or loaded machine.
        let started = std::time::Instant::now();
        let out = command(&p, &url, &["run", "--quiet"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let whole = started.elapsed().as_millis() as u64;
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut partial_trials = 0;
        for trial in 0..20 {
            let _ = std::fs::remove_dir_all(p.join("results"));
            assert_eq!(planned(&p, &url), full);
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let delay = whole / 10 + seed % (whole * 8 / 10).max(1);
            let mut child = command(&p, &url, &["run", "--quiet"]).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(delay));
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            assert_store_sound(&p.join("results"));
            let missing = planned(&p, &url);
            if missing > 0 && missing < full {
                partial_trials += 1;
            }
            let before = server.hits() as u64;
            let out = command(&p, &url, &["run", "--quiet"]).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "trial {trial}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                server.hits() as u64 - before,
                missing,
                "trial {trial} (killed after {delay} ms): the re-run does exactly the missing work"
            );
            assert_eq!(planned(&p, &url), 0, "trial {trial}: nothing left");
            assert_store_sound(&p.join("results"));
        }
        assert!(
            partial_trials >= 5,
            "only {partial_trials} of 20 kills landed mid-run; the test is not testing"
        );
    })
    .await
    .unwrap();
}
