//! What the CLI's end-to-end tests share: the real binary, copies of the shipped
//! project, projects wired to a local fake server, the key that must never leak, and a
//! look at what a results folder holds.

#![allow(dead_code, reason = "each test file uses a part")]

use fabula_fake_server::FakeServer;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn copy_dir(from: &Path, to: &Path) {
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
pub fn shipped_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("dataset"), &dir.path().join("dataset"));
    copy_dir(&repo().join("schema"), &dir.path().join("schema"));
    std::fs::copy(repo().join("fabula.yaml"), dir.path().join("fabula.yaml")).unwrap();
    dir
}

/// A project with `config` as fabula.yaml, the shipped theories and slop list, and
/// `tasks` (paths under dataset/tasks/).
pub fn project(config: &str, tasks: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fabula.yaml"), config).unwrap();
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
        let to = dir.path().join("dataset/tasks").join(t);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join("dataset/tasks").join(t), to).unwrap();
    }
    dir
}

/// `fabula ARGS` in `dir`, with `env`, output captured.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fabula"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("OPENROUTER_API_KEY")
        .env_remove("FABULA_SHARD_INDEX")
        .env_remove("FABULA_SHARD_COUNT")
        .env_remove("JOB_COMPLETION_INDEX")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub fn fabula(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn count_files(dir: &Path) -> usize {
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

/// Every file under `dir` (links not followed), as paths relative to it, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The record files under `dir`: `gen-*.json` and `eval-*.json`.
pub fn records(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            (name.starts_with("gen-") || name.starts_with("eval-")) && name.ends_with(".json")
        })
        .collect()
}

/// A configuration whose models talk to a local server (`FABULA_TEST_BASE_URL`), with
/// an oracle and a critic.
pub const LOCAL_CONFIG: &str = "\
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

/// A smaller local configuration: one writer, one judge, two slots.
pub const STORE_CONFIG: &str = "\
version: 1
providers:
  local:
    kind: openai
    dialect: openai
    base_url: http://127.0.0.1:9/unused
    base_url_env: FABULA_TEST_BASE_URL
    api_key_env: FABULA_TEST_KEY
    concurrency: 2
    max_retries: 0
    timeout_secs: 30
models:
  writer-a: {provider: local, model: test/writer-a}
  judge-1: {provider: local, model: test/judge-1, enabled: false}
judges: [judge-1]
";

/// Single-request tasks: one request per generation and per evaluation.
pub const TASKS: &[&str] = &[
    "beat_interpolation/orbit-find.yaml",
    "beat_revision/kiln-midpoint-control.yaml",
    "theory_conversion/market-three-to-pyramid.yaml",
];

/// A project on [`LOCAL_CONFIG`] with `tasks` (paths under dataset/tasks/).
pub fn local_project(tasks: &[&str]) -> tempfile::TempDir {
    project(LOCAL_CONFIG, tasks)
}

pub const KEY: &str = "sk-planted-0123456789abcdef";

pub async fn run_local(dir: &Path, server: &FakeServer, args: &[&str]) -> Output {
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

pub fn assert_no_key(dir: &Path, output: &str) {
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

/// `o` is the refusal of a writer while process `pid` holds the store's lock: exit 2,
/// naming the holder.
pub fn assert_refused_by(o: &Output, pid: u32) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    assert!(text(o).contains(&format!("pid {pid}")), "{}", text(o));
}
