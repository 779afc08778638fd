//! `fabula init` and `fabula new` with the real binary: a new project checks clean and
//! runs offline at once; nothing is ever overwritten; a skeleton is flagged until filled.

use std::path::Path;
use std::process::{Command, Output};

fn fabula(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fabula"))
        .args(args)
        .current_dir(dir)
        .env_remove("OPENROUTER_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn init_then_check_then_run_works_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let init = fabula(tmp.path(), &["init", "bench"]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init));
    let dir = tmp.path().join("bench");
    for file in [
        ".gitignore",
        "README.md",
        "schema/task.schema.json",
        "dataset/slop.yaml",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let gitignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == "results/") && gitignore.lines().any(|l| l == ".env"));

    let check = fabula(&dir, &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("no problems"), "{}", text(&check));

    let run = fabula(&dir, &["run"]);
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("sim-writer-a (sim)") && out.contains("sim-writer-b"),
        "{out}"
    );
    let tasks = std::fs::read_dir(dir.join("dataset/tasks"))
        .unwrap()
        .count();
    assert_eq!(tasks, 10);
    let records = walk(&dir.join("results"));
    // 10 tasks × 2 sim writers: a generation and 3 evaluations each.
    assert_eq!(records, 10 * 2 * 4, "{out}");
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { walk(&p) } else { 1 }
        })
        .sum()
}

#[test]
fn init_lists_every_existing_file_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("fabula.yaml"), "mine").unwrap();
    std::fs::create_dir_all(tmp.path().join("schema")).unwrap();
    std::fs::write(tmp.path().join("schema/task.schema.json"), "{}").unwrap();
    let init = fabula(tmp.path(), &["init"]);
    assert_eq!(init.status.code(), Some(2), "{}", text(&init));
    let err = String::from_utf8_lossy(&init.stderr);
    assert!(err.contains("already has 2 of the files"), "{err}");
    assert!(
        err.contains("\n  fabula.yaml\n") && err.contains("\n  schema/task.schema.json"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("fabula.yaml")).unwrap(),
        "mine"
    );
    assert!(!tmp.path().join("dataset").exists());
    assert!(!tmp.path().join("README.md").exists());
}

#[test]
fn new_writes_a_flagged_skeleton_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(fabula(tmp.path(), &["init"]).status.code(), Some(0));
    let dir = tmp.path();
    let new = fabula(
        dir,
        &[
            "new",
            "multi_beat_synthesis",
            "--theory",
            "freytag",
            "--id",
            "harbour-three",
        ],
    );
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));
    let path = "dataset/tasks/multi_beat_synthesis/harbour-three.yaml";
    assert!(text(&new).contains(path), "{}", text(&new));
    let check = fabula(dir, &["check", "--format", "json", path]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let codes: Vec<&str> = report["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == "placeholder"),
        "{codes:?}"
    );
    // A skeleton is never run while it has placeholders.
    let missing = fabula(dir, &["missing", "-v"]);
    assert!(
        !text(&missing).contains("harbour-three"),
        "{}",
        text(&missing)
    );

    let before = std::fs::read_to_string(dir.join(path)).unwrap();
    std::fs::write(dir.join(path), "edited").unwrap();
    let again = fabula(
        dir,
        &[
            "new",
            "multi_beat_synthesis",
            "--theory",
            "freytag",
            "--id",
            "harbour-three",
        ],
    );
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(dir.join(path)).unwrap(), "edited");
    assert!(before.starts_with("# yaml-language-server: $schema=../../../schema/task.schema.json"));

    let typo = fabula(dir, &["new", "multi_beat_synthesys", "--theory", "freytag"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo).contains("did you mean `multi_beat_synthesis`?"),
        "{}",
        text(&typo)
    );
    let typo = fabula(dir, &["new", "sequence", "--theory", "frytag"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        text(&typo).contains("unknown theory `frytag` (did you mean `freytag`?)"),
        "{}",
        text(&typo)
    );
    let outside = fabula(
        &dir.join("schema"),
        &[
            "new",
            "sequence",
            "--theory",
            "freytag",
            "--root",
            "/nonexistent",
        ],
    );
    assert_eq!(outside.status.code(), Some(2));
}
