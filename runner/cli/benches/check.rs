//! On-demand benchmark of `fabula check` (run: `cargo bench -p fabula-cli --bench check`).
//!
//! Builds two projects in a temp folder from the shipped theories and tasks: 1,000 task
//! files (the shipped tasks cloned under new ids), and one task of about 20,000 lines. It
//! times the real release binary, end to end, and prints the median of several runs.
//! Targets (issue "Foundation"): 1,000 files ≤ 0.5 s; one 20,000-line file ≤ 0.2 s.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_context(dir: &Path) {
    std::fs::create_dir_all(dir.join("dataset/theories")).unwrap();
    std::fs::copy(repo().join("fabula.yaml"), dir.join("fabula.yaml")).unwrap();
    for entry in std::fs::read_dir(repo().join("dataset/theories")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.join("dataset/theories").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
}

fn shipped_tasks() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for ty in std::fs::read_dir(repo().join("dataset/tasks")).unwrap() {
        let ty = ty.unwrap().path();
        for file in std::fs::read_dir(&ty).unwrap() {
            let file = file.unwrap().path();
            let id = file.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            out.push((
                ty.file_name().unwrap().to_string_lossy().into_owned(),
                id,
                text,
            ));
        }
    }
    out.sort();
    out
}

fn thousand_files(dir: &Path) {
    copy_context(dir);
    let tasks = shipped_tasks();
    for i in 0..1000 {
        let (ty, id, text) = &tasks[i % tasks.len()];
        let new_id = format!("{id}-{i:04}");
        let text = text.replacen(&format!("\nid: {id}\n"), &format!("\nid: {new_id}\n"), 1);
        let folder = dir.join("dataset/tasks").join(ty);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{new_id}.yaml")), text).unwrap();
    }
}

/// A sequence task with ~5,000 steps: about 20,000 lines.
fn huge_file(dir: &Path) -> PathBuf {
    copy_context(dir);
    let mut text = String::from(
        "id: seq-huge\ntype: sequence\ntitle: A very long sequence\ntheory: three_act\n\
         words: {min: 300, max: 900}\npremise: A river town keeps a ledger of every flood.\nsteps:\n",
    );
    let mut lines = 7;
    let mut i = 0;
    while lines < 20_000 {
        text.push_str(&format!(
            "  - id: step_{i}\n    brief: >\n      Write entry {i} of the flood ledger, in the clerk's voice.\n    criteria: [coherence, imagery]\n"
        ));
        lines += 4;
        i += 1;
    }
    let folder = dir.join("dataset/tasks/sequence");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("seq-huge.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn release_binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "fabula-cli", "--bin", "fabula"])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(status.success());
    repo().join("target/release/fabula")
}

fn median_run(bin: &Path, dir: &Path, args: &[&str], runs: usize) -> (Duration, i32) {
    let mut times = Vec::new();
    let mut code = 0;
    for _ in 0..runs + 1 {
        let started = Instant::now();
        let out = Command::new(bin)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        times.push(started.elapsed());
        code = out.status.code().unwrap_or(-1);
        if code != 0 {
            let tail = String::from_utf8_lossy(&out.stdout)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n");
            let _ = writeln!(std::io::stderr(), "{tail}");
        }
    }
    times.remove(0); // warm-up
    times.sort();
    (times[times.len() / 2], code)
}

fn main() {
    let bin = release_binary();
    let runs = 11;
    let a = tempfile::tempdir().unwrap();
    thousand_files(a.path());
    let (t1, c1) = median_run(&bin, a.path(), &["check"], runs);
    let b = tempfile::tempdir().unwrap();
    let huge = huge_file(b.path());
    let lines = std::fs::read_to_string(&huge).unwrap().lines().count();
    let (t2, c2) = median_run(
        &bin,
        b.path(),
        &["check", "dataset/tasks/sequence/seq-huge.yaml"],
        runs,
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "fabula check benchmark (median of {runs} runs, release build, wall clock)"
    );
    let _ = writeln!(out, "| workload | median | target | exit |");
    let _ = writeln!(out, "|---|---|---|---|");
    let _ = writeln!(
        out,
        "| 1,000 task files | {:.1} ms | ≤ 500 ms | {c1} |",
        t1.as_secs_f64() * 1e3
    );
    let _ = writeln!(
        out,
        "| one {lines}-line task file | {:.1} ms | ≤ 200 ms | {c2} |",
        t2.as_secs_f64() * 1e3
    );
}
