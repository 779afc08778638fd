//! `fabula run` end to end with the real binary: the README's main command on the shipped
//! dataset with `sim`; incremental runs asserted by request counts against a local
//! server; no key ever written to results or printed.

use fabula_fake_server::{FakeServer, Reply, model_reply};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the shipped project (dataset and config) in a temp folder.
fn shipped_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("dataset"), &dir.path().join("dataset"));
    copy_dir(&repo().join("schema"), &dir.path().join("schema"));
    std::fs::copy(repo().join("fabula.yaml"), dir.path().join("fabula.yaml")).unwrap();
    dir
}

fn fabula(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fabula"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("OPENROUTER_API_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_main_command_runs_the_benchmark_offline_and_prints_a_leaderboard() {
    let dir = shipped_project();
    let first = fabula(dir.path(), &["run"], &[]);
    let out = text(&first);
    assert_eq!(first.status.code(), Some(0), "{out}");
    assert!(out.contains("sim-writer-a (sim)"), "{out}");
    assert!(out.contains("Krippendorff"), "{out}");
    let records = count_files(&dir.path().join("results"));
    let tasks = count_files(&dir.path().join("dataset/tasks"));
    // 2 sim writers × every task: a generation and 3 evaluations each.
    assert_eq!(records, tasks * 2 * 4, "{out}");

    let again = fabula(dir.path(), &["run"], &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again).contains("Nothing to do"), "{}", text(&again));
    assert_eq!(count_files(&dir.path().join("results")), records);

    for format in ["markdown", "json", "csv"] {
        let o = fabula(dir.path(), &["leaderboard", "--format", format], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("sim-writer-b"));
    }
    let gate = fabula(dir.path(), &["leaderboard", "--fail-under", "99.5"], &[]);
    assert_eq!(gate.status.code(), Some(1), "{}", text(&gate));
    let written = dir.path().join("LEADERBOARD.md");
    let o = fabula(
        dir.path(),
        &["leaderboard", "--write", written.to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&written)
            .unwrap()
            .starts_with("# Fabula leaderboard")
    );
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e
                .path()
                .extension()
                .is_some_and(|x| x == "yaml" || x == "json")
            {
                n += 1;
            }
        }
    }
    n
}

const LOCAL_CONFIG: &str = "\
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
    timeout_secs: 10
models:
  writer-a: {provider: local, model: test/writer-a}
  writer-b: {provider: local, model: test/writer-b, enabled: false}
  judge-1: {provider: local, model: test/judge-1}
  judge-2: {provider: local, model: test/judge-2, enabled: false}
  oracle: {provider: local, model: test/oracle}
  critic: {provider: local, model: test/critic}
judges: [judge-1]
oracle: oracle
critic: critic
";

fn local_project(tasks: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fabula.yaml"), LOCAL_CONFIG).unwrap();
    copy_dir(
        &repo().join("dataset/theories"),
        &dir.path().join("dataset/theories"),
    );
    std::fs::copy(
        repo().join("dataset/slop.yaml"),
        dir.path().join("dataset/slop.yaml"),
    )
    .unwrap();
    for t in tasks {
        let from = repo().join("dataset/tasks").join(t);
        let to = dir.path().join("dataset/tasks").join(t);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
    dir
}

const KEY: &str = "sk-planted-0123456789abcdef";

async fn run_local(dir: &Path, server: &FakeServer, args: &[&str]) -> Output {
    let url = server.url();
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fabula(
            &dir,
            &args,
            &[("FABULA_TEST_BASE_URL", &url), ("FABULA_TEST_KEY", KEY)],
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_do_exactly_the_new_work() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| model_reply(&seen.body)).await;
    let dir = local_project(&[
        "beat_interpolation/orbit-find.yaml",
        "beat_revision/kiln-midpoint-control.yaml",
        "sequence/radio-sequence.yaml",
    ]);
    let p = dir.path();

    // 3 tasks × writer-a: 1 + 1 + 3 writer calls, and 3 judge calls.
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 5 + 3);

    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 8, "a re-run does nothing");

    // A new judge: only that judge, on the 3 existing generations.
    let o = run_local(
        p,
        &server,
        &["run", "--quiet", "--judge", "judge-1", "--judge", "judge-2"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 8 + 3);

    // A new model: its generations and their judging (by the default judge).
    let o = run_local(
        p,
        &server,
        &[
            "run", "--quiet", "--model", "writer-a", "--model", "writer-b",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 11 + 5 + 3);

    // A new task: one generation and one judge call per model.
    let from = repo().join("dataset/tasks/beat_interpolation/salt-road-refusal.yaml");
    std::fs::copy(
        from,
        p.join("dataset/tasks/beat_interpolation/salt-road-refusal.yaml"),
    )
    .unwrap();
    let o = run_local(
        p,
        &server,
        &[
            "run", "--quiet", "--model", "writer-a", "--model", "writer-b",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 19 + 2 * 2);

    // Editing a task makes its records stale and re-runs exactly it.
    let task = p.join("dataset/tasks/beat_revision/kiln-midpoint-control.yaml");
    let edited = std::fs::read_to_string(&task)
        .unwrap()
        .replace("Nine days.", "Nine days, no more.");
    std::fs::write(&task, edited).unwrap();
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 23 + 2);
    let status = run_local(p, &server, &["status"]).await;
    assert!(text(&status).contains("writer-a"), "{}", text(&status));
    let board = run_local(p, &server, &["leaderboard"]).await;
    assert!(
        text(&board).contains("Left out as stale: 1 generations"),
        "{}",
        text(&board)
    );

    // Nothing anywhere holds the key: results, stdout, stderr.
    assert_no_key(p, &text(&o));
    assert_no_key(p, &text(&board));
}

fn assert_no_key(dir: &Path, output: &str) {
    assert!(!output.contains(KEY), "the key was printed");
    let mut stack = vec![dir.join("results")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(KEY),
                    "{} holds the key",
                    e.path().display()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_echoes_the_key_never_gets_it_into_results() {
    // Every writer call is refused with the key echoed back; the judge never runs.
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        let auth = seen.header("authorization").unwrap_or("").to_string();
        Reply::status(401, format!("{{\"error\": \"bad key: {auth}\"}}"))
    })
    .await;
    let dir = local_project(&["beat_interpolation/orbit-find.yaml"]);
    let o = run_local(dir.path(), &server, &["run"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let records = count_files(&dir.path().join("results"));
    assert_eq!(records, 1, "the failed generation is recorded");
    assert_no_key(dir.path(), &text(&o));
    let cleaned = run_local(dir.path(), &server, &["clean-failed"]).await;
    assert!(text(&cleaned).contains("Removed 1 failed generation"));
    assert_eq!(count_files(&dir.path().join("results")), 0);
}

#[test]
fn a_missing_key_stops_the_run_before_any_work() {
    let dir = local_project(&["beat_interpolation/orbit-find.yaml"]);
    let o = fabula(dir.path(), &["run"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("FABULA_TEST_KEY"), "{}", text(&o));
    assert!(!dir.path().join("results").exists());
    // The plan needs no key.
    let dry = fabula(dir.path(), &["run", "--dry-run"], &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(text(&dry).contains("Plan: 1 generations, 1 evaluations"));
}
