//! Language-server benchmark: the release binary spoken to over stdio by a client that
//! times the protocol. `cargo bench -p fabula-lsp --bench lsp`.
//!
//! Measures: initialize round trip; a workspace of 1,000 task files diagnosed after
//! `initialized`; one-character edit → diagnostics published for that version, at the
//! top (the header comment, a top-level scalar), in the middle and at the end of
//! 1,000-line and 20,000-line sequence tasks, valid and with schema or semantic errors;
//! hover; peak RSS (VmHWM) of each. Medians; the machine is shared.
//!
//! `FABULA_BENCH_ONLY=1000` (or `20000`) runs only that size's rows;
//! `FABULA_BENCH_MEMORY=1` prints the server's RSS after opening, editing and hovering;
//! `FABULA_BENCH_SERVER=path` runs that executable instead of the release build (a
//! wrapper that starts the server under a heap profiler, say).

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Client, repo, uri};

fn release_binary() -> PathBuf {
    // `FABULA_BENCH_SERVER=path`: run that instead (a profiler's wrapper script, say).
    if let Some(server) = std::env::var_os("FABULA_BENCH_SERVER") {
        return PathBuf::from(server);
    }
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
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| repo().join("target"), |t| repo().join(t));
    // A copy: a shared target folder's binary can be rebuilt from another checkout while
    // the bench runs.
    let copy = std::env::temp_dir().join(format!("fabula-lsp-bench-{}", std::process::id()));
    std::fs::copy(target.join("release/fabula-lsp"), &copy).unwrap();
    copy
}

/// The server as the clients start it: with jemalloc's options (see main.rs).
fn spawn(bin: &Path) -> (tokio::process::Child, Client) {
    support::spawn(
        bin,
        &[(
            "_RJEM_MALLOC_CONF",
            "narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0,tcache:false",
        )],
        Stdio::null(),
    )
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

/// Where an edit goes: the header comment, a top-level scalar, the middle step's brief,
/// the last step's brief.
#[derive(Clone, Copy, Debug)]
enum Place {
    Comment,
    Scalar,
    Middle,
    End,
}

impl Place {
    const ALL: [Place; 4] = [Place::Comment, Place::Scalar, Place::Middle, Place::End];

    /// (line, column) of the edit in a generated sequence task.
    fn at(self, text: &str) -> (usize, usize) {
        let lines: Vec<&str> = text.lines().collect();
        let brief = |from: usize| {
            let l = (from..lines.len())
                .find(|&l| lines[l].starts_with("      Write entry"))
                .unwrap();
            (l, 12)
        };
        match self {
            Place::Comment => (0, 4),
            Place::Scalar => (
                lines.iter().position(|l| l.starts_with("title:")).unwrap(),
                10,
            ),
            Place::Middle => brief(lines.len() / 2),
            Place::End => brief(lines.len() - 4),
        }
    }
}

/// The files of the table: lines, and what they get wrong.
const FILES: [(usize, support::Findings, &str); 6] = [
    (1_000, support::Findings::None, "valid"),
    (
        1_000,
        support::Findings::Schema { every: 10 },
        "schema errors",
    ),
    (
        1_000,
        support::Findings::Semantic { every: 10 },
        "semantic errors",
    ),
    (20_000, support::Findings::None, "valid"),
    (
        20_000,
        support::Findings::Schema { every: 25 },
        "schema errors",
    ),
    (
        20_000,
        support::Findings::Semantic { every: 25 },
        "semantic errors",
    ),
];

struct Row {
    lines: usize,
    label: &'static str,
    findings: usize,
    /// Median edit → diagnostics per place.
    edits: Vec<Duration>,
    hover: Duration,
    peak_mb: f64,
}

async fn edits(
    bin: &Path,
    lines: usize,
    findings: support::Findings,
    runs: usize,
) -> (usize, Vec<Duration>, Duration, f64) {
    let (_dir, root) = support::project(&[]);
    let file = root.join("dataset/tasks/sequence/seq-big.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // Eight lines of head, four per step.
    let text = support::sequence_task_with("seq-big", (lines - 8).div_ceil(4), findings);
    std::fs::write(&file, &text).unwrap();
    let (child, client) = spawn(bin);
    client.initialize(&root, json!({})).await;
    client.open(&file, &text);
    let u = uri(&file);
    let first = client.diagnostics(&u, Some(1)).await;
    let found = first["diagnostics"].as_array().unwrap().len();
    let pid = child.id().unwrap();
    let mut memory = vec![("open", status_mb(pid, "VmRSS:"), peak_rss_mb(pid))];
    let mut version = 1;
    let mut medians = Vec::new();
    for place in Place::ALL {
        let (line, col) = place.at(&text);
        let mut times = Vec::new();
        // An even number of edits: a character typed, then deleted; the text ends as it began.
        for i in 0..(runs * 2) {
            version += 1;
            let change = if i % 2 == 0 {
                json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "x"})
            } else {
                json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": ""})
            };
            let started = Instant::now();
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": u, "version": version}, "contentChanges": [change]}),
            );
            client.diagnostics(&u, Some(version)).await;
            times.push(started.elapsed());
        }
        medians.push(median(times));
    }
    memory.push(("edits", status_mb(pid, "VmRSS:"), peak_rss_mb(pid)));
    let (line, _) = Place::Middle.at(&text);
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
    (found, medians, median(hovers), rss)
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
    // `FABULA_BENCH_ONLY=20000` (or `1000`) runs only the edit table of that size.
    let only: Option<usize> = std::env::var("FABULA_BENCH_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut report =
        String::from("fabula-lsp benchmark (release binary over stdio; medians; shared machine)\n");
    if only.is_none() {
        let init = initialize(&bin, 11).await;
        let (ws, files) = workspace(&bin).await;
        report.push_str(&format!(
            "initialize round trip (11 starts):            {}  (target ≤ 50 ms)\n\
             1,000 task files diagnosed after initialized:  {}  ({files} files; target ≤ 1 s)\n",
            ms(init),
            ms(ws),
        ));
    }
    let mut rows = Vec::new();
    for (lines, findings, label) in FILES {
        if only.is_some_and(|o| o != lines) {
            continue;
        }
        let runs = if lines > 5_000 { 11 } else { 21 };
        let (found, edits, hover, peak_mb) = edits(&bin, lines, findings, runs).await;
        rows.push(Row {
            lines,
            label,
            findings: found,
            edits,
            hover,
            peak_mb,
        });
    }
    report.push_str(
        "\nedit → diagnostics (one character typed or deleted; median)\n\
         | file | lines | findings | top: comment | top: scalar | middle | end | hover | peak RSS |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &rows {
        report.push_str(&format!(
            "| sequence task, {} | {} | {} | {} | {} | {} | {} | {} | {:.1} MB |\n",
            r.label,
            r.lines,
            r.findings,
            ms(r.edits[0]),
            ms(r.edits[1]),
            ms(r.edits[2]),
            ms(r.edits[3]),
            ms(r.hover),
            r.peak_mb,
        ));
    }
    report.push_str(
        "targets: ≤ 5 ms at 1,000 lines, ≤ 30 ms at 20,000 lines (any place, with findings); \
         peak RSS ≤ 40 MB with the 20,000-line file with findings\n",
    );
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
    if std::env::var_os("FABULA_BENCH_SERVER").is_none() {
        let _ = std::fs::remove_file(&bin);
    }
}
