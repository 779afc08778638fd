//! Results benchmarks (issue "Judging, scoring, durable results…"), with the release
//! binary on a copy of the shipped project:
//!
//! - `fabula run` on the whole dataset with `sim` (no latency), fresh store: target ≤ 2 s.
//! - `fabula leaderboard` over ≥ 10,000 result records: target ≤ 300 ms.
//! - `fabula report` over the same records: target ≤ 1 s; the page's weight, and (when
//!   chromium and `runner/cli/e2e/node_modules` are there) how long chromium takes to
//!   open it (target < 2 s) and to open a task's drill-down.
//! - `fabula compare` of the two sim writers on the same store (no target: measured).
//! - Adding one judge over 10,080 stored generations (3 sim writers × 84 tasks × 40
//!   samples, judged once): `fabula run --quiet` with a second judge, its peak RSS
//!   (target ≤ 60 MB) and time.
//!
//! Run: `cargo bench -p fabula-cli --bench results`. Medians of several runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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

fn binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "fabula-cli", "--bin", "fabula"])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(status.success());
    repo().join("target/release/fabula")
}

fn timed(bin: &Path, dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// Chromium opening the page (runner/cli/e2e/open.mjs), when it and playwright-core are
/// installed (`bash runner/cli/e2e/run.sh` installs both).
fn browser_open(page: &Path) -> String {
    let e2e = repo().join("runner/cli/e2e");
    if !e2e.join("node_modules/playwright-core").is_dir()
        || !Path::new("/usr/bin/chromium").exists()
    {
        return "| chromium opening the page | not measured: run `bash runner/cli/e2e/run.sh` once to install chromium and playwright-core | < 2000 ms |\n".into();
    }
    let out = Command::new("node")
        .arg(e2e.join("open.mjs"))
        .arg(page)
        .arg("5")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ms = |k: &str| {
        let mut v: Vec<u64> = v[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        v.sort_unstable();
        v[v.len() / 2]
    };
    format!(
        "| chromium opening the page (load, script ready) | {} ms | < 2000 ms |\n\
         | chromium opening a task's drill-down | {} ms | |\n",
        ms("open_ms"),
        ms("task_ms")
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn count_records(dir: &Path) -> usize {
    walk(dir).len()
}

/// Every `.json` file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "json") {
                files.push(e.path());
            }
        }
    }
    files
}

/// Runs `fabula ARGS` in `dir`, reading its peak RSS (`VmHWM`, monotonic) every 5 ms
/// until it exits: (wall time, peak MB).
fn peak(bin: &Path, dir: &Path, args: &[&str]) -> (Duration, f64) {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut kb = 0u64;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(v) = text.lines().find_map(|l| l.strip_prefix("VmHWM:"))
        {
            kb = kb.max(v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success());
    (started.elapsed(), kb as f64 / 1024.0)
}

/// A store of 10,080 generations judged by one judge, then a second judge added.
fn add_a_judge(bin: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    copy_dir(&repo().join("dataset"), &p.join("dataset"));
    let config = std::fs::read_to_string(repo().join("fabula.yaml")).unwrap();
    let third = "  sim-writer-c:\n    provider: sim\n    model: sim/writer-c\n";
    let config = config.replacen("  sim-writer-b:\n", &format!("{third}  sim-writer-b:\n"), 1);
    std::fs::write(p.join("fabula.yaml"), config).unwrap();
    let samples = ["--samples", "40"];
    let one = ["--judge", "sim-judge-1"];
    timed(bin, p, &[&["run", "--quiet"][..], &samples, &one].concat());
    let generations = walk(&p.join("results"))
        .iter()
        .filter(|f| {
            f.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("gen-"))
        })
        .count();
    let (took, mb) = peak(
        bin,
        p,
        &[
            &["run", "--quiet"][..],
            &samples,
            &one,
            &["--judge", "sim-judge-2"],
        ]
        .concat(),
    );
    format!(
        "| add a second judge over {generations} stored generations (`fabula run --quiet`) | {:.0} ms, peak RSS {mb:.1} MB | ≤ 60 MB |\n",
        took.as_secs_f64() * 1000.0
    )
}

fn main() {
    let bin = binary();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    copy_dir(&repo().join("dataset"), &p.join("dataset"));
    std::fs::copy(repo().join("fabula.yaml"), p.join("fabula.yaml")).unwrap();

    let mut runs = Vec::new();
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(p.join("results"));
        runs.push(timed(&bin, p, &["run", "--quiet"]));
    }
    let one_run_records = count_records(&p.join("results"));
    let run = median(runs);

    // Grow the store past 10,000 records with more samples.
    let samples = 10_000usize.div_ceil(one_run_records) + 1;
    timed(
        &bin,
        p,
        &["run", "--quiet", "--samples", &samples.to_string()],
    );
    let records = count_records(&p.join("results"));
    let board = median(
        (0..7)
            .map(|_| timed(&bin, p, &["leaderboard", "--format", "json"]))
            .collect(),
    );
    let page = p.join("report.html");
    let page_arg = page.to_string_lossy().into_owned();
    let report = median(
        (0..7)
            .map(|_| timed(&bin, p, &["report", "--out", &page_arg]))
            .collect(),
    );
    let weight = std::fs::metadata(&page).unwrap().len() as f64 / f64::from(1 << 20);
    let compare = median(
        (0..7)
            .map(|_| {
                timed(
                    &bin,
                    p,
                    &[
                        "compare",
                        "sim-writer-a",
                        "sim-writer-b",
                        "--format",
                        "json",
                    ],
                )
            })
            .collect(),
    );
    let mut out = format!(
        "fabula results benchmarks (release build, wall clock, medians)\n\
         | workload | median | target |\n|---|---|---|\n\
         | `fabula run`, whole dataset on sim ({one_run_records} records), fresh store | {:.0} ms | ≤ 2000 ms |\n\
         | `fabula leaderboard` over {records} records | {:.0} ms | ≤ 300 ms |\n\
         | `fabula report` over {records} records ({weight:.1} MB page) | {:.0} ms | ≤ 1000 ms |\n\
         | `fabula compare sim-writer-a sim-writer-b` over {records} records | {:.0} ms | - |\n",
        run.as_secs_f64() * 1000.0,
        board.as_secs_f64() * 1000.0,
        report.as_secs_f64() * 1000.0,
        compare.as_secs_f64() * 1000.0
    );
    out.push_str(&add_a_judge(&bin));
    out.push_str(&browser_open(&page));
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).unwrap();
}
