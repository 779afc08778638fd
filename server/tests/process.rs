//! The server as a process (the debug binary over stdio), for what an in-process server
//! cannot show: that it survives a panic, and what it costs the operating system.

mod support;

use serde_json::json;
use std::path::Path;
use std::process::Stdio;
use support::{Client, project, uri};

const TASK: &str = "chasqui-road-back";
const TASK_PATH: &str = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";

fn spawn(env: &[(&str, &str)]) -> (tokio::process::Child, Client) {
    let bin = Path::new(env!("CARGO_BIN_EXE_fabula-lsp"));
    support::spawn(bin, env, Stdio::piped())
}

async fn stderr_of(mut child: tokio::process::Child) -> String {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut err).await;
    }
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_an_error_and_the_server_stays_up() {
    let (_dir, root) = project(&[TASK]);
    let (child, client) = spawn(&[("FABULA_LSP_TEST_PANIC", "hover")]);
    client.initialize(&root, json!({})).await;
    let file = root.join(TASK_PATH);
    let at = json!({"textDocument": {"uri": uri(&file)}, "position": {"line": 0, "character": 1}});
    let r = client.call("textDocument/hover", at.clone()).await;
    assert_eq!(r["error"]["code"], -32603, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("internal error in hover"),
        "{r}"
    );
    // Still up: another request is answered.
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(&file)}}),
        )
        .await;
    assert!(symbols.is_array(), "{symbols}");
    client.shutdown().await;
    let err = stderr_of(child).await;
    assert!(err.contains("internal error in hover"), "logged: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_inside_an_editor_run_answers_an_error_and_the_server_stays_up() {
    let (_dir, root) = project(&[TASK]);
    let (child, client) = spawn(&[("FABULA_LSP_TEST_PANIC", "engine")]);
    client.initialize(&root, json!({"trusted": true})).await;
    let r = client
        .call(
            "workspace/executeCommand",
            json!({"command": "fabula.server.run", "arguments": [{"task": TASK, "model": "sim-writer-a"}]}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let models = client.request("fabula/models", json!({})).await;
    assert!(models["models"].is_array(), "{models}");
    // The run's progress was ended and the run list emptied by the unwinding.
    client
        .wait_for("the run list", |m| m["method"] == "fabula/runs")
        .await;
    client.shutdown().await;
    let err = stderr_of(child).await;
    assert!(
        err.contains("internal error in workspace/executeCommand"),
        "logged: {err}"
    );
}

/// inotify watches a process holds, from `/proc/PID/fdinfo`.
fn inotify_watches(pid: u32) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return 0;
    };
    fds.flatten()
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .map(|info| {
            info.lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_the_project_are_neither_followed_nor_watched() {
    if !Path::new("/proc/self/fdinfo").is_dir() || !Path::new("/usr/share").is_dir() {
        return; // not Linux: no inotify to count
    }
    let (_dir, root) = project(&[TASK]);
    std::fs::create_dir_all(root.join("results/some-model")).unwrap();
    std::os::unix::fs::symlink("/usr", root.join("results/usr")).unwrap();
    // A link out of the dataset, to a tree of folders (no YAML in it).
    let outside = support::tempdir::Dir::new();
    for i in 0..100 {
        std::fs::create_dir_all(outside.path().join(format!("d{i}/e"))).unwrap();
    }
    std::os::unix::fs::symlink(outside.path(), root.join("dataset/shared")).unwrap();
    let (child, client) = spawn(&[]);
    let pid = child.id().unwrap();
    client.initialize(&root, json!({})).await;
    let file = root.join(TASK_PATH);
    client.diagnostics(&uri(&file), None).await;
    // The watcher is set up after `initialized`; give it a moment, then count.
    let mut watches = 0;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        watches = inotify_watches(pid);
    }
    assert!(watches > 0, "the project is watched");
    assert!(
        watches < 50,
        "{watches} inotify watches: a link was followed"
    );
    client.shutdown().await;
    let err = stderr_of(child).await;
    assert!(
        err.contains("results/usr is a symbolic link") && err.contains("dataset/shared"),
        "links are reported: {err}"
    );
}
