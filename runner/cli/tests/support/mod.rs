//! What the CLI's end-to-end tests share: the real binary, copies of the shipped
//! project, a project wired to a local fake server, and the key that must never leak.

#![allow(dead_code, reason = "each test file uses a part")]

use fabula_fake_server::FakeServer;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

pub fn fabula(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fabula"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("OPENROUTER_API_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
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

pub fn local_project(tasks: &[&str]) -> tempfile::TempDir {
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
