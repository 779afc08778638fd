//! What the CLI's store, merge and shard tests share: a project in a temp folder, the
//! real `fabula` binary, and a look at what a results folder holds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A configuration whose models all talk to a local server (`FABULA_TEST_BASE_URL`).
pub const LOCAL_CONFIG: &str = "\
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

/// A copy of the shipped project (sim models), without results.
pub fn shipped_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("dataset"), &dir.path().join("dataset"));
    std::fs::copy(repo().join("fabula.yaml"), dir.path().join("fabula.yaml")).unwrap();
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

/// Stdout then stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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

/// `o` is the refusal of a writer while process `pid` holds the store's lock: exit 2,
/// naming the holder.
pub fn assert_refused_by(o: &Output, pid: u32) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    assert!(text(o).contains(&format!("pid {pid}")), "{}", text(o));
}
