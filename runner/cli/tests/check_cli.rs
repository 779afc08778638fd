//! `fabula check` end to end: the real binary on a small project in a temp folder;
//! snapshots of the human, github and json renderings, and the exit codes.

use std::path::Path;
use std::process::Command;

const CONFIG: &str = "\
version: 1
providers:
  sim: {kind: sim}
models:
  judge: {provider: sim, model: sim/judge}
judges: [judge]
";

const THEORY: &str = "\
id: tiny
name: Tiny Theory
summary: A theory with three beats, for tests.
beats:
  - id: start
    name: Start
    definition: Where it starts.
    elements: [a person]
  - id: turn
    name: Turn
    definition: Where it turns.
    elements: [a change]
  - id: end
    name: End
    definition: Where it ends.
    elements: [a result]
";

const BROKEN_TASK: &str = "\
id: broken
type: beat_interpolation
title: A broken task
theory: tiny
words: {min: 200, max: 400}
premise: A lighthouse keeper, 1911.
before: {beat: start, text: The lamp fails.}
target: trun
after: {beat: end, text: The ship is safe.}
constraints:
  must_include: [the lamp]
  must_not_include: [The Lamp]
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("fabula.yaml", CONFIG);
    write("dataset/theories/tiny.yaml", THEORY);
    write("dataset/tasks/beat_interpolation/broken.yaml", BROKEN_TASK);
    dir
}

fn fabula(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fabula"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn human_output() {
    let dir = project();
    let (code, stdout, _) = fabula(dir.path(), &["check"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn github_output() {
    let dir = project();
    let (code, stdout, _) = fabula(dir.path(), &["check", "--format", "github"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout);
}

#[test]
fn json_output() {
    let dir = project();
    let (code, stdout, _) = fabula(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    insta::assert_json_snapshot!(value);
}

#[test]
fn clean_project_exits_zero() {
    let dir = project();
    std::fs::write(
        dir.path()
            .join("dataset/tasks/beat_interpolation/broken.yaml"),
        BROKEN_TASK
            .replace("trun", "turn")
            .replace("  must_not_include: [The Lamp]\n", ""),
    )
    .unwrap();
    let (code, stdout, _) = fabula(dir.path(), &["check"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(stdout, "checked 3 files: no problems\n");
}

#[test]
fn a_named_file_is_checked_against_the_whole_project() {
    let dir = project();
    let (code, stdout, _) = fabula(
        dir.path(),
        &["check", "dataset/tasks/beat_interpolation/broken.yaml"],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "error[unknown-beat]: `trun` is not a beat of Tiny Theory; did you mean `turn`?"
        ),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("checked 1 file: 2 errors, 0 warnings\n"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_two() {
    let dir = project();
    let (code, _, stderr) = fabula(dir.path(), &["check", "no/such/file.yaml"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no such file or folder: no/such/file.yaml"),
        "{stderr}"
    );
    let (code, _, _) = fabula(dir.path(), &["check", "--format", "xml"]);
    assert_eq!(code, 2);
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = fabula(empty.path(), &["check"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no fabula.yaml"), "{stderr}");
}

#[test]
fn help_teaches() {
    let dir = project();
    let (code, stdout, _) = fabula(dir.path(), &["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Exit codes:"));
    let (_, stdout, _) = fabula(dir.path(), &["check", "--help"]);
    assert!(stdout.contains("--format <FORMAT>"));
    assert!(stdout.contains("unknown-beat"));
}

#[test]
fn warnings_fail_only_with_strict() {
    let dir = project();
    std::fs::write(
        dir.path()
            .join("dataset/tasks/beat_interpolation/broken.yaml"),
        BROKEN_TASK
            .replace("trun", "turn")
            .replace("  must_not_include: [The Lamp]\n", ""),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("dataset/tasks/beat_revision")).unwrap();
    std::fs::write(
        dir.path().join("dataset/tasks/beat_revision/flawed.yaml"),
        "id: flawed\ntype: beat_revision\ntitle: T\ntheory: tiny\nwords: {min: 100, max: 200}\nbeat: turn\n\
         segment: Nothing changes.\nmust_preserve: [the lamp]\nflaw: {category: stakes_absent, description: No stakes.}\n",
    )
    .unwrap();
    let (code, stdout, _) = fabula(dir.path(), &["check"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("warning[no-control-task]"), "{stdout}");
    let (code, _, _) = fabula(dir.path(), &["check", "--strict"]);
    assert_eq!(code, 1);
}

#[test]
fn explain_prints_the_checks_own_doc() {
    let dir = project();
    let (code, stdout, _) = fabula(dir.path(), &["check", "--explain", "unknown-beat"]);
    assert_eq!(code, 0);
    let doc = fabula_core::check::explain("unknown-beat").unwrap();
    assert_eq!(stdout, format!("unknown-beat: {doc}\n"));
    let (code, stdout, _) = fabula(dir.path(), &["check", "--explain", "yaml-syntax"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("yaml-syntax: "), "{stdout}");
    let (code, _, stderr) = fabula(dir.path(), &["check", "--explain", "no-such-code"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("unknown-beat"),
        "the codes are listed: {stderr}"
    );
}
