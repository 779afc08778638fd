//! `fabula compare` end to end with the real binary: the regression gate's exit codes on
//! a local server whose writer B is plainly worse, usage errors, before/after a change
//! from stale records and from another store, both-order pairwise judging against a
//! server that always prefers the first output (cancelled) or one output whatever its
//! position (kept), and the README's worked example on the offline `sim` models.

mod support;

use fabula_fake_server::{FakeServer, Reply, chat, model_reply, pairwise_reply};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use support::*;

/// Six interpolation tasks (one request each); the word ranges all hold 600 words.
const TASKS: [&str; 6] = [
    "beat_interpolation/chasqui-road-back.yaml",
    "beat_interpolation/day-zero-confrontation.yaml",
    "beat_interpolation/edo-fire-falling.yaml",
    "beat_interpolation/flood-year-climax.yaml",
    "beat_interpolation/luchadora-dark-night.yaml",
    "beat_interpolation/night-market-break.yaml",
];

/// 600 distinct words: in range, no repetition, no stock phrase (programmatic 1).
fn long_text() -> String {
    (0..600)
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn prompt_of(v: &Value) -> &str {
    v["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
}

/// writer-a writes 600 words (only while its request has no temperature, when
/// `temperature_hurts`), writer-b one short sentence (word range 0); judges pass
/// everything; pairwise judges answer with `pairwise`.
fn server_reply(
    body: &str,
    temperature_hurts: bool,
    pairwise: &dyn Fn(&str, &Value, &str, &str) -> &'static str,
) -> Reply {
    let v: Value = serde_json::from_str(body).unwrap_or_default();
    let model = v["model"].as_str().unwrap_or_default().to_string();
    if let Some(r) = pairwise_reply(prompt_of(&v), |first, second| {
        pairwise(&model, &v, first, second)
    }) {
        return r;
    }
    let hurt = temperature_hurts && v.get("temperature").is_some_and(|t| !t.is_null());
    if model == "test/writer-a" && !hurt {
        return Reply::ok(chat(&long_text(), "stop"));
    }
    model_reply(body)
}

async fn start(
    pairwise: impl Fn(&str, &Value, &str, &str) -> &'static str + Send + Sync + 'static,
) -> FakeServer {
    FakeServer::start(Duration::ZERO, move |_, seen| {
        server_reply(&seen.body, true, &pairwise)
    })
    .await
}

fn json_out(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn with_writer_b(dir: &Path) {
    let config = std::fs::read_to_string(dir.join("fabula.yaml")).unwrap();
    std::fs::write(
        dir.join("fabula.yaml"),
        config.replace(
            "writer-b: {provider: local, model: test/writer-b, enabled: false}",
            "writer-b: {provider: local, model: test/writer-b}",
        ),
    )
    .unwrap();
}

/// B's outputs are one sentence where A's are 600 words, judged the same: B loses on
/// every task by the programmatic part, so p = 2/2⁶ (exact) and every resample is below
/// zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_fails_only_on_a_significant_regression_beyond_the_margin() {
    let server = start(|_, _, _, _| "tie").await;
    let dir = local_project(&TASKS);
    let p = dir.path();
    with_writer_b(p);
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = run_local(
        p,
        &server,
        &["compare", "writer-a", "writer-b", "--format", "json"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "no gate asked: {}", text(&o));
    let v = json_out(&o);
    let overall = &v["comparisons"][0]["overall"];
    assert_eq!(v["comparisons"][0]["pairs"], 6);
    assert_eq!(overall["p"]["p"], 0.03125);
    assert_eq!(overall["p"]["exact"], true);
    assert_eq!(overall["losses"], 6);
    let diff = overall["diff"].as_f64().unwrap();
    let high = overall["ci_high"].as_f64().unwrap();
    assert!(diff < -10.0 && high < -10.0, "{overall}");

    // Worse by more than 2 points: exit 1, said on stderr and in the JSON.
    let o = run_local(
        p,
        &server,
        &[
            "compare",
            "writer-a",
            "writer-b",
            "--fail-if-worse",
            "2",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("regression: writer-b is worse than writer-a by more than 2")
    );
    assert_eq!(json_out(&o)["gate"]["regressions"][0]["b"], "writer-b");
    // A margin past the whole interval passes; so does B better than A.
    let margin = format!("{}", (-high).ceil() + 1.0);
    let o = run_local(
        p,
        &server,
        &[
            "compare",
            "writer-a",
            "writer-b",
            "--fail-if-worse",
            &margin,
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("passed"),
        "{}",
        text(&o)
    );
    let o = run_local(
        p,
        &server,
        &["compare", "writer-b", "writer-a", "--fail-if-worse", "0"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Five tasks: p = 2/2⁵ = 0.0625, not significant, whatever the interval.
    let five: Vec<&str> = TASKS[..5]
        .iter()
        .flat_map(|t| {
            [
                "--task",
                t.rsplit('/').next().unwrap().trim_end_matches(".yaml"),
            ]
        })
        .collect();
    let mut args = vec!["compare", "writer-a", "writer-b", "--fail-if-worse", "0"];
    args.extend(five);
    let o = run_local(p, &server, &args).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let md = run_local(
        p,
        &server,
        &["compare", "writer-a", "writer-b", "--format", "markdown"],
    )
    .await;
    let md = String::from_utf8_lossy(&md.stdout).to_string();
    assert!(md.starts_with("# Fabula comparison"), "{md}");
    assert!(md.contains("| all | 6 |"), "{md}");
    assert_no_key(p, &md);
}

#[test]
fn usage_errors_exit_2() {
    let dir = shipped_project();
    let p = dir.path();
    for (args, says) in [
        (vec!["compare", "sim-writer-a"], "name two models"),
        (vec!["compare", "sim-writer-a", "nope"], "--model nope"),
        (
            vec!["compare", "sim-writer-a", "sim-writer-a"],
            "named twice",
        ),
        (
            vec!["compare", "sim-writer-a", "sim-writer-b", "--base-stale"],
            "name one MODEL",
        ),
        (
            vec!["compare", "sim-writer-a", "--base", "no/such/dir"],
            "no such folder",
        ),
        (
            vec![
                "compare",
                "sim-writer-a",
                "sim-writer-b",
                "--fail-if-worse",
                "-1",
            ],
            "margin",
        ),
        (
            vec![
                "compare",
                "sim-writer-a",
                "sim-writer-b",
                "--fail-if-worse",
                "x",
            ],
            "not a number",
        ),
        (
            vec!["compare", "sim-writer-a", "--base-stale", "--pairwise"],
            "cannot be used with",
        ),
        (
            vec![
                "compare",
                "sim-writer-a",
                "sim-writer-b",
                "--task-type",
                "poem",
            ],
            "not a task type",
        ),
    ] {
        let o = fabula(p, &args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    // No results yet: nothing to compare, said, and nothing to gate on.
    let o = fabula(
        p,
        &[
            "compare",
            "sim-writer-a",
            "sim-writer-b",
            "--fail-if-worse",
            "0",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("nothing to compare"), "{}", text(&o));
}

/// A changed model config makes its records stale; they are the "before". writer-a
/// loses its 600 words once it sends a temperature, so the "after" is worse on all six.
/// The same before, read from a copy of the store made before the change, gives the
/// same comparison.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_compared_with_what_it_replaced() {
    let server = start(|_, _, _, _| "tie").await;
    let dir = local_project(&TASKS);
    let p = dir.path();
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    copy_dir(&p.join("results"), &p.join("before"));
    let o = run_local(p, &server, &["compare", "writer-a", "--base-stale"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("6 A: no stale record"),
        "nothing changed yet: {}",
        text(&o)
    );

    let config = std::fs::read_to_string(p.join("fabula.yaml")).unwrap();
    std::fs::write(
        p.join("fabula.yaml"),
        config.replace(
            "writer-a: {provider: local, model: test/writer-a}",
            "writer-a: {provider: local, model: test/writer-a, temperature: 0.9}",
        ),
    )
    .unwrap();
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stale = run_local(
        p,
        &server,
        &[
            "compare",
            "writer-a",
            "--base-stale",
            "--fail-if-worse",
            "1",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    let s = json_out(&stale);
    let c = &s["comparisons"][0];
    assert_eq!(
        (c["a_pick"].as_str(), c["b_pick"].as_str()),
        (Some("replaced"), Some("today"))
    );
    assert_eq!(
        (c["pairs"].as_u64(), c["overall"]["losses"].as_u64()),
        (Some(6), Some(6))
    );
    let base = run_local(
        p,
        &server,
        &[
            "compare", "writer-a", "--base", "before", "--format", "json",
        ],
    )
    .await;
    assert_eq!(base.status.code(), Some(0), "{}", text(&base));
    let b = json_out(&base);
    assert_eq!(b["comparisons"][0]["a_pick"], "recorded");
    assert_eq!(b["comparisons"][0]["overall"], c["overall"]);
    let table = run_local(p, &server, &["compare", "writer-a", "--base-stale"]).await;
    assert!(
        text(&table).contains("B = writer-a (today) vs A = writer-a (stale records)"),
        "{}",
        text(&table)
    );
}

/// The server's judge-1 always prefers OUTPUT 1. Judged in both orders, each config is
/// preferred once per item: every item is a tie. judge-2 prefers writer-a's 600 words
/// wherever they are shown: writer-a wins every item, with no order disagreement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairwise_judging_cancels_a_judge_that_prefers_the_first_output() {
    let biased = Arc::new(AtomicBool::new(false));
    let seen_bias = Arc::clone(&biased);
    let server = start(move |model, _, first, second| {
        if model == "test/judge-1" {
            seen_bias.store(true, Ordering::SeqCst);
            return "1";
        }
        match (first.contains("word1 "), second.contains("word1 ")) {
            (true, false) => "1",
            (false, true) => "2",
            _ => "tie",
        }
    })
    .await;
    let dir = local_project(&TASKS);
    let p = dir.path();
    with_writer_b(p);
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let before = server.hits();

    let o = run_local(
        p,
        &server,
        &[
            "compare",
            "writer-a",
            "writer-b",
            "--pairwise",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(biased.load(Ordering::SeqCst));
    // 6 items × 2 orders, judge-1 only (the configured judge).
    assert_eq!(server.hits() - before, 12);
    let requests = server.requests();
    let pairwise: Vec<&str> = requests[before..]
        .iter()
        .map(|r| prompt_of(&r.json()).to_owned())
        .map(|p| {
            if p.contains("Do not prefer an output because it is longer") {
                "length note"
            } else {
                "none"
            }
        })
        .collect();
    assert!(
        pairwise.iter().all(|n| *n == "length note"),
        "every pairwise prompt carries the length note"
    );
    let v = json_out(&o);
    let m = &v["pairwise"]["matchups"][0];
    assert_eq!(
        (m["a"].as_str(), m["b"].as_str()),
        (Some("writer-a"), Some("writer-b"))
    );
    assert_eq!(
        m["record"],
        serde_json::json!({"wins": 0, "ties": 6, "losses": 0})
    );
    assert_eq!(m["win_rate"]["rate"], 0.5);
    let pos = &m["position"];
    assert_eq!(
        (pos["judgements"].as_u64(), pos["disagreements"].as_u64()),
        (Some(6), Some(6))
    );
    assert_eq!(
        (pos["decided"].as_u64(), pos["first_won"].as_u64()),
        (Some(12), Some(12))
    );
    // The length difference is recorded: 600 words against writer-b's sentence.
    assert_eq!(m["lengths"]["mean_words_a"], 600.0);
    assert!(m["lengths"]["mean_words_b"].as_f64().unwrap() < 20.0);
    assert_eq!(count_pairs(p), 12);

    // Again: nothing new to judge.
    let o = run_local(
        p,
        &server,
        &["compare", "writer-a", "writer-b", "--pairwise"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits() - before, 12, "incremental");

    // A judge that reads: the same preference in both orders, kept.
    let o = run_local(
        p,
        &server,
        &[
            "compare",
            "writer-a",
            "writer-b",
            "--pairwise",
            "--judge",
            "judge-2",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits() - before, 24);
    let m = json_out(&o)["pairwise"]["matchups"][0].clone();
    assert_eq!(
        m["record"],
        serde_json::json!({"wins": 0, "ties": 0, "losses": 6})
    );
    assert_eq!(m["position"]["disagreements"], 0);
    assert_eq!(
        m["position"]["first_won"], 6,
        "half of the 12 single-order answers"
    );
    assert_eq!(m["win_rate"]["rate"], 0.0);
    assert_eq!(m["win_rate"]["p"]["p"], 0.03125);
    assert_eq!(count_pairs(p), 24);
    assert_no_key(p, &text(&o));
}

fn count_pairs(project: &Path) -> usize {
    count_files(&project.join("results/pairwise"))
}

/// The README's worked example: the two sim writers, compared and judged pairwise.
#[test]
fn the_readme_example_runs_offline_on_the_sim_models() {
    let dir = shipped_project();
    let p = dir.path();
    let o = fabula(p, &["run", "--quiet"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = fabula(
        p,
        &["compare", "sim-writer-a", "sim-writer-b", "--pairwise"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for section in [
        "B = sim-writer-b vs A = sim-writer-a (0-100 points)",
        "Per criterion: B = sim-writer-b vs A = sim-writer-a",
        "Moved most: B = sim-writer-b vs A = sim-writer-a",
        "Pairwise, both orders (judges: sim-judge-1, sim-judge-2, sim-judge-3)",
        "Pairwise per criterion",
    ] {
        assert!(out.contains(section), "{section}:\n{out}");
    }
    let tasks = count_files(&p.join("dataset/tasks"));
    // Every task × 3 judges × 2 orders.
    assert_eq!(count_pairs(p), tasks * 6);
    // The sim judge's preferences do not depend on the order: no disagreement.
    let o = fabula(
        p,
        &[
            "compare",
            "sim-writer-a",
            "sim-writer-b",
            "--pairwise",
            "--format",
            "json",
        ],
        &[],
    );
    let v = json_out(&o);
    let m = &v["pairwise"]["matchups"][0];
    assert_eq!(m["position"]["disagreements"], 0);
    assert_eq!(m["compared"].as_u64(), Some(tasks as u64));
    assert_eq!(count_pairs(p), tasks * 6, "nothing judged twice");
    // Three configs: every pair, and a ranking.
    let config = std::fs::read_to_string(p.join("fabula.yaml")).unwrap();
    std::fs::write(
        p.join("fabula.yaml"),
        config.replace(
            "  sim-writer-b:\n",
            "  sim-writer-c:\n    provider: sim\n    model: sim/writer-c\n    temperature: 0.3\n  sim-writer-b:\n",
        ),
    )
    .unwrap();
    let o = fabula(p, &["run", "--quiet", "--model", "sim-writer-c"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = fabula(
        p,
        &[
            "compare",
            "sim-writer-a",
            "sim-writer-b",
            "sim-writer-c",
            "--pairwise",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = json_out(&o);
    assert_eq!(
        v["comparisons"].as_array().unwrap().len(),
        2,
        "B and C each against A"
    );
    assert_eq!(v["pairwise"]["matchups"].as_array().unwrap().len(), 3);
    assert_eq!(v["pairwise"]["ranking"].as_array().unwrap().len(), 3);
}

/// The README's worked example is real output: its table rows are the ones `fabula
/// compare` prints on a new project's `sim` models (update README.md when the simulator,
/// the prompts or the starter tasks change).
#[test]
fn the_readme_shows_what_compare_prints() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let command = "$ fabula compare sim-writer-a sim-writer-b --pairwise\n";
    let start = readme.find(command).expect("the example in README.md") + command.len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let o = fabula(dir.path(), &["init", "my-bench"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let p = dir.path().join("my-bench");
    let o = fabula(&p, &["run", "--quiet"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = fabula(
        &p,
        &["compare", "sim-writer-a", "sim-writer-b", "--pairwise"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let printed = text(&o);
    let rows: Vec<&str> = shown
        .lines()
        .filter(|l| l.starts_with('│') || l.starts_with("Judging"))
        .collect();
    assert!(rows.len() >= 8, "{shown}");
    for row in rows {
        assert!(
            printed.contains(row),
            "README.md shows a line compare does not print:\n{row}\n\n{printed}"
        );
    }
}
