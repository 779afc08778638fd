//! What a `fabula run` writing thousands of records into an open workspace costs the
//! language server: `cargo bench -p fabula-lsp --bench results_cpu`.
//!
//! Starts the release server on a copy of the repository's project with a task open, then
//! runs the release `fabula run` on the offline simulator with 23 samples, which writes
//! about 10,000 records into `results/`, and reads the server's CPU time (user + system,
//! from `/proc/PID/stat`) before and after, and once its scores have caught up. Linux
//! only (it reads `/proc`).

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{repo, uri};

fn build() -> (PathBuf, PathBuf) {
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "fabula-lsp", "-p", "fabula-cli"])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(status.success());
    (
        repo().join("target/release/fabula-lsp"),
        repo().join("target/release/fabula"),
    )
}

/// CPU seconds (user + system) a process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}

fn count_records(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) if e.file_name().to_string_lossy().ends_with(".json") => n += 1,
                _ => {}
            }
        }
    }
    n
}

#[tokio::main]
async fn main() {
    let (lsp, cli) = build();
    let rel = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";
    let (_dir, root) = support::repository_copy();
    let (child, client) = support::spawn(&lsp, &[], Stdio::null());
    let pid = child.id().unwrap();
    client.initialize(&root, json!({})).await;
    let file = root.join(rel);
    let text = std::fs::read_to_string(&file).unwrap();
    client.open(&file, &text);
    client.diagnostics(&uri(&file), Some(1)).await;
    let idle = cpu_seconds(pid);
    // The dataset's tasks, two writers, a generation and three evaluations each (more for
    // the agentic types): about 10,000 records.
    let samples = 23;
    let started = Instant::now();
    let status = std::process::Command::new(&cli)
        .args(["run", "--samples", &samples.to_string(), "--quiet"])
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let run_wall = started.elapsed();
    assert!(status.success(), "fabula run failed");
    let during = cpu_seconds(pid) - idle;
    let records = count_records(&root.join("results"));
    // Wait until the server's lens shows the scores, then a quiet second.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let lens = client
            .request(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri(&file)}}),
            )
            .await;
        if lens.to_string().contains("sim-writer-a") || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let total = cpu_seconds(pid) - idle;
    client.shutdown().await;
    let report = format!(
        "fabula-lsp CPU while `fabula run` writes into the open workspace (release builds)\n\
         records written: {records} in {:.1} s of run\n\
         server CPU during the run: {during:.2} s; until its scores caught up: {total:.2} s\n\
         per 1,000 records: {:.3} s of server CPU\n",
        run_wall.as_secs_f64(),
        total / (records as f64 / 1000.0),
    );
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
}
