//! Language-server benchmark: the release binary spoken to over stdio by a client that
//! times the protocol. `cargo bench -p fabula-lsp --bench lsp`.
//!
//! Measures: initialize round trip; a workspace of 1,000 task files diagnosed after
//! `initialized`; one-character edit → diagnostics published for that version, on a
//! 1,000-line and a 20,000-line task file; hover; peak RSS (VmHWM) with the 20,000-line
//! file open. Medians; the machine is shared.
//!
//! `FABULA_BENCH_BIG_ONLY=1` runs only the 20,000-line part; `FABULA_BENCH_MEMORY=1`
//! prints the server's RSS after opening, editing and hovering.

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Client, uri};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn release_binary() -> PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "-p",
            "fabula-lsp",
            "--bin",
            "fabula-lsp",
        ])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(status.success());
    repo().join("target/release/fabula-lsp")
}

fn spawn(bin: &Path) -> (tokio::process::Child, Client) {
    let mut child = tokio::process::Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    (child, Client::over(stdout, stdin))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn peak_rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmHWM:")
}

/// A memory figure of the server's `/proc/PID/status` (`VmHWM:` peak, `VmRSS:` now), in MB.
fn status_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn edits(bin: &Path, lines: usize, runs: usize) -> (Duration, Duration, f64, usize) {
    let (_dir, root) = support::project(&[]);
    let file = root.join("dataset/tasks/sequence/seq-big.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // Seven lines of head, four per step.
    let text = support::sequence_task("seq-big", (lines - 7).div_ceil(4));
    std::fs::write(&file, &text).unwrap();
    let (child, client) = spawn(bin);
    client.initialize(&root, json!({})).await;
    client.open(&file, &text);
    let u = uri(&file);
    let first = client.diagnostics(&u, Some(1)).await;
    let findings = first["diagnostics"].as_array().unwrap().len();
    let pid = child.id().unwrap();
    let mut memory = vec![("open", status_mb(pid, "VmRSS:"), peak_rss_mb(pid))];
    // The brief of the middle step: insert a character, then delete it, alternately.
    let line = (text.lines().count() / 2 / 4) * 4 + 9;
    let mut times = Vec::new();
    for v in 2..(runs as i64 + 2) {
        let change = if v % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": 12}, "end": {"line": line, "character": 12}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": 12}, "end": {"line": line, "character": 13}}, "text": ""})
        };
        let started = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": v}, "contentChanges": [change]}),
        );
        client.diagnostics(&u, Some(v)).await;
        times.push(started.elapsed());
    }
    memory.push(("edits", status_mb(pid, "VmRSS:"), peak_rss_mb(pid)));
    let mut hovers = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        client
            .request(
                "textDocument/hover",
                json!({"textDocument": {"uri": u}, "position": {"line": line - 2, "character": 4}}),
            )
            .await;
        hovers.push(started.elapsed());
    }
    memory.push(("hovers", status_mb(pid, "VmRSS:"), peak_rss_mb(pid)));
    if std::env::var_os("FABULA_BENCH_MEMORY").is_some() {
        for (stage, now, peak) in &memory {
            let line =
                format!("{lines}-line task, after {stage}: RSS {now:.1} MB, peak {peak:.1} MB\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        }
    }
    let rss = peak_rss_mb(pid);
    client.shutdown().await;
    (median(times), median(hovers), rss, findings)
}

async fn initialize(bin: &Path, runs: usize) -> Duration {
    let (_dir, root) = support::project(&[]);
    let mut times = Vec::new();
    for _ in 0..runs {
        let (_child, client) = spawn(bin);
        let started = Instant::now();
        client.initialize(&root, json!({})).await;
        times.push(started.elapsed());
        client.shutdown().await;
    }
    median(times)
}

async fn workspace(bin: &Path) -> (Duration, usize) {
    let (_dir, root) = support::project(&[]);
    // 1,000 task files: the shipped tasks cloned under new ids.
    let mut shipped = Vec::new();
    let tasks = repo().join("dataset/tasks");
    for ty in std::fs::read_dir(&tasks).unwrap() {
        let ty = ty.unwrap().path();
        for f in std::fs::read_dir(&ty).unwrap() {
            let f = f.unwrap().path();
            let id = f.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&f).unwrap();
            shipped.push((
                ty.file_name().unwrap().to_string_lossy().into_owned(),
                id,
                text,
            ));
        }
    }
    shipped.sort();
    for i in 0..1000 {
        let (ty, id, text) = &shipped[i % shipped.len()];
        let new_id = format!("{id}-{i:04}");
        let text = text.replacen(&format!("\nid: {id}\n"), &format!("\nid: {new_id}\n"), 1);
        let folder = root.join("dataset/tasks").join(ty);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{new_id}.yaml")), text).unwrap();
    }
    let (_child, client) = spawn(bin);
    client.initialize(&root, json!({})).await;
    let started = Instant::now();
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 1000 {
        let n = client
            .wait_for("workspace diagnostics", |m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"]
                        .as_str()
                        .is_some_and(|u| u.contains("/tasks/"))
            })
            .await;
        seen.insert(n["params"]["uri"].as_str().unwrap().to_owned());
    }
    let took = started.elapsed();
    client.shutdown().await;
    (took, seen.len())
}

#[tokio::main]
async fn main() {
    let bin = release_binary();
    let runs = 21;
    if std::env::var_os("FABULA_BENCH_BIG_ONLY").is_some() {
        let (e20, h20, rss, f20) = edits(&bin, 20_000, runs).await;
        let line = format!(
            "edit → diagnostics, 20,000-line task ({f20} findings): {}; hover {}; peak RSS {rss:.1} MB\n",
            ms(e20),
            ms(h20)
        );
        let _ = std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes());
        return;
    }
    let init = initialize(&bin, 11).await;
    let (ws, files) = workspace(&bin).await;
    let (e1, h1, _, f1) = edits(&bin, 1_000, runs).await;
    let (e20, h20, rss, f20) = edits(&bin, 20_000, runs).await;
    let report = format!(
        "fabula-lsp benchmark (release binary over stdio; medians; shared machine)\n\
         initialize round trip (11 starts):              {}  (target ≤ 50 ms)\n\
         1,000 task files diagnosed after initialized:    {}  ({files} files; target ≤ 1 s)\n\
         edit → diagnostics, 1,000-line task ({f1} findings):  {}  (target ≤ 10 ms)\n\
         edit → diagnostics, 20,000-line task ({f20} findings): {}  (target ≤ 60 ms)\n\
         hover, 1,000-line task:                          {}  (target ≤ 5 ms)\n\
         hover, 20,000-line task:                         {}\n\
         peak RSS with the 20,000-line task open:         {rss:.1} MB  (target ≤ 60 MB)\n",
        ms(init),
        ms(ws),
        ms(e1),
        ms(e20),
        ms(h1),
        ms(h20),
    );
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
}
