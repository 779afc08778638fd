//! `fabula init`, `fabula new` and `fabula draft` with the real binary: a new project
//! checks clean and runs offline at once; nothing is ever overwritten; a skeleton is
//! flagged until filled; drafts from a model (a local server) are repaired, judged, kept
//! apart from runs, and their cost is reported.

mod support;

use fabula_fake_server::{FakeServer, Reply, chat_usage};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

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
    // 3 starter files + slop list + 5 theories + 10 tasks + 6 schema files.
    assert!(
        text(&init).contains("created a Fabula project in bench: 25 files"),
        "{}",
        text(&init)
    );
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
    let records = support::records(&dir.join("results")).len();
    // 10 tasks × 2 sim writers: a generation and 3 evaluations each.
    assert_eq!(records, 10 * 2 * 4, "{out}");
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

const NEW_HARBOUR: &[&str] = &[
    "new",
    "multi_beat_synthesis",
    "--theory",
    "freytag",
    "--id",
    "harbour-three",
];

#[test]
fn new_writes_a_flagged_skeleton_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(fabula(tmp.path(), &["init"]).status.code(), Some(0));
    let dir = tmp.path();
    let new = fabula(dir, NEW_HARBOUR);
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));
    let path = "dataset/tasks/multi_beat_synthesis/harbour-three.yaml";
    // title, premise, a requirement per beat (3), the link's description, notes.
    assert!(
        text(&new).contains(&format!("wrote {path}: fill in its 7 `TODO:` placeholders")),
        "{}",
        text(&new)
    );
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
    let again = fabula(dir, NEW_HARBOUR);
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

const VALID: &str = include_str!("../../engine/tests/fixtures/lantern-ferry-plan.yaml");

/// Appends a provider on the local server and two priced models to a new project's
/// fabula.yaml.
fn local_models(dir: &Path, url: &str) {
    let path = dir.join("fabula.yaml");
    let config = std::fs::read_to_string(&path).unwrap().replace(
        "providers:\n",
        &format!("providers:\n  local:\n    kind: openai\n    dialect: openai\n    base_url: {url}\n    api_key_env: FABULA_TEST_KEY\n    max_retries: 0\n"),
    ).replace(
        "models:\n",
        "models:\n  writer:\n    provider: local\n    model: t/writer\n    enabled: false\n    price: { input: 2.0, output: 10.0 }\n  validator:\n    provider: local\n    model: t/validator\n    enabled: false\n    price: { input: 1.0, output: 4.0 }\n",
    );
    std::fs::write(path, config).unwrap();
    std::fs::write(dir.join(".env"), "FABULA_TEST_KEY=test-key\n").unwrap();
}

fn answer(text: &str, prompt_tokens: u64, completion_tokens: u64) -> Reply {
    Reply::ok(chat_usage(text, prompt_tokens, completion_tokens))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_repairs_judges_keeps_apart_and_reports_the_cost() {
    let broken = VALID.replace(
        "[setup, confrontation, resolution]",
        "[setup, resolution, confrontation]",
    );
    let server = FakeServer::start(Duration::ZERO, move |i, seen| {
        if seen.json()["model"] == "t/validator" {
            let s = |n: u8| serde_json::json!({"score": n, "reason": "fine"});
            let v = serde_json::json!({"clarity": s(5), "solvability": s(4), "originality": s(4), "fit": s(5)});
            answer(&v.to_string(), 800, 100)
        } else if i == 0 {
            answer(&broken, 1000, 500)
        } else {
            answer(VALID, 1000, 500)
        }
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    assert_eq!(fabula(&dir, &["init"]).status.code(), Some(0));
    local_models(&dir, &server.url());
    let out = tokio::task::spawn_blocking(move || {
        let o = fabula(
            &dir,
            &[
                "draft",
                "--type",
                "agentic_planning_execution",
                "--theory",
                "three_act",
                "--count",
                "1",
                "--model",
                "writer",
                "--validator",
                "validator",
            ],
        );
        (o, dir)
    })
    .await
    .unwrap();
    let (draft, dir) = out;
    let printed = text(&draft);
    assert_eq!(draft.status.code(), Some(0), "{printed}");
    assert!(printed.contains("draft 1/1 (three_act): kept → dataset/drafts/agentic_planning_execution/lantern-ferry-plan.yaml (clarity 5, solvability 4, originality 4, fit 5; 1 repair round)"), "{printed}");
    // Writer: 2 calls × (1000 × $2 + 500 × $10) / 1M = $0.014; validator: (800 × $1 +
    // 100 × $4) / 1M = $0.0012; total $0.0152.
    let row = printed
        .lines()
        .find(|l| l.contains("0.0152"))
        .unwrap_or_else(|| panic!("{printed}"));
    let cells: Vec<&str> = row
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells, ["1", "1", "1", "0", "2", "1", "0.0152"], "{printed}");
    let repair = &server.requests()[1];
    let repair_text = repair.json()["messages"][2]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(repair_text.contains("error[beat-order]"), "{repair_text}");

    // The draft is checked with the project, and clean; it is not part of a run.
    let check = fabula(&dir, &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(
        text(&check).contains("checked 18 files: no problems"),
        "{}",
        text(&check)
    );
    let missing = fabula(&dir, &["missing", "-v"]);
    assert!(
        !text(&missing).contains("lantern-ferry-plan"),
        "{}",
        text(&missing)
    );
    assert!(
        text(&missing).contains("apprentice-smith-journey"),
        "{}",
        text(&missing)
    );
}
