//! `fabula run` end to end with the real binary: the README's main command on the shipped
//! dataset with `sim`; incremental runs asserted by request counts against a local
//! server; no key ever written to results or printed.

mod support;

use fabula_fake_server::{FakeServer, Reply, model_reply};
use std::time::Duration;
use support::*;

#[test]
fn the_main_command_runs_the_benchmark_offline_and_prints_a_leaderboard() {
    let dir = shipped_project();
    let first = fabula(dir.path(), &["run"], &[]);
    let out = text(&first);
    assert_eq!(first.status.code(), Some(0), "{out}");
    assert!(out.contains("sim-writer-a (sim)"), "{out}");
    assert!(out.contains("Krippendorff"), "{out}");
    let records = count_files(&dir.path().join("results"));
    let tasks = count_files(&dir.path().join("dataset/tasks"));
    // 2 sim writers × every task: a generation and 3 evaluations each.
    assert_eq!(records, tasks * 2 * 4, "{out}");

    let again = fabula(dir.path(), &["run"], &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again).contains("Nothing to run"), "{}", text(&again));
    assert_eq!(count_files(&dir.path().join("results")), records);

    for format in ["markdown", "json", "csv"] {
        let o = fabula(dir.path(), &["leaderboard", "--format", format], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("sim-writer-b"));
    }
    let gate = fabula(dir.path(), &["leaderboard", "--fail-under", "99.5"], &[]);
    assert_eq!(gate.status.code(), Some(1), "{}", text(&gate));
    let written = dir.path().join("LEADERBOARD.md");
    let o = fabula(
        dir.path(),
        &["leaderboard", "--write", written.to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&written)
            .unwrap()
            .starts_with("# Fabula leaderboard")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_do_exactly_the_new_work() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| model_reply(&seen.body)).await;
    let dir = local_project(&[
        "beat_interpolation/orbit-find.yaml",
        "beat_revision/kiln-midpoint-control.yaml",
        "sequence/radio-sequence.yaml",
    ]);
    let p = dir.path();

    // 3 tasks × writer-a: 1 + 1 + 3 writer calls, and 3 judge calls.
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 5 + 3);

    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 8, "a re-run does nothing");

    // A new judge: only that judge, on the 3 existing generations.
    let o = run_local(
        p,
        &server,
        &["run", "--quiet", "--judge", "judge-1", "--judge", "judge-2"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 8 + 3);

    // A new model: its generations and their judging (by the default judge).
    let o = run_local(
        p,
        &server,
        &[
            "run", "--quiet", "--model", "writer-a", "--model", "writer-b",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 11 + 5 + 3);

    // A new task: one generation and one judge call per model.
    let from = repo().join("dataset/tasks/beat_interpolation/salt-road-refusal.yaml");
    std::fs::copy(
        from,
        p.join("dataset/tasks/beat_interpolation/salt-road-refusal.yaml"),
    )
    .unwrap();
    let o = run_local(
        p,
        &server,
        &[
            "run", "--quiet", "--model", "writer-a", "--model", "writer-b",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 19 + 2 * 2);

    // Editing a task makes its records stale and re-runs exactly it.
    let task = p.join("dataset/tasks/beat_revision/kiln-midpoint-control.yaml");
    let edited = std::fs::read_to_string(&task)
        .unwrap()
        .replace("Nine days.", "Nine days, no more.");
    std::fs::write(&task, edited).unwrap();
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(server.hits(), 23 + 2);
    let status = run_local(p, &server, &["status"]).await;
    assert!(text(&status).contains("writer-a"), "{}", text(&status));
    let board = run_local(p, &server, &["leaderboard"]).await;
    assert!(
        text(&board).contains("Left out as stale: 1 generations"),
        "{}",
        text(&board)
    );

    // Nothing anywhere holds the key: results, stdout, stderr.
    assert_no_key(p, &text(&o));
    assert_no_key(p, &text(&board));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_key_is_asked_once_named_and_never_stored() {
    // Regression (issue 12): a provider answering 401 got every generation request, the
    // screen said "N failed" without the status or a hint, and each refusal was stored as
    // a failed item to clean up. Now the first 401 ends that provider's work: one request,
    // nothing stored, the status, the key's variable and what to check on screen; the key
    // the server echoes back is never printed or written.
    let server = FakeServer::start(Duration::ZERO, |_, seen| {
        let auth = seen.header("authorization").unwrap_or("").to_string();
        Reply::status(401, format!("{{\"error\": \"bad key: {auth}\"}}"))
    })
    .await;
    // One slot: the calls after the first wait for its answer, then go nowhere.
    let dir = project(
        &LOCAL_CONFIG.replace("concurrency: 4", "concurrency: 1"),
        &[
            "beat_interpolation/orbit-find.yaml",
            "beat_revision/kiln-midpoint-control.yaml",
            "theory_conversion/market-three-to-pyramid.yaml",
        ],
    );
    let o = run_local(dir.path(), &server, &["run"]).await;
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert_eq!(server.hits(), 1, "asked once: {out}");
    assert!(
        out.contains("6 of the planned generations and evaluations were not made"),
        "{out}"
    );
    assert!(out.contains("401"), "{out}");
    assert!(out.contains("FABULA_TEST_KEY"), "{out}");
    assert!(
        records(&dir.path().join("results")).is_empty(),
        "nothing to clean up"
    );
    assert!(!out.contains(KEY), "the key was printed");
    if dir.path().join("results").exists() {
        assert_no_key(dir.path(), &out);
    }
}

#[test]
fn a_missing_key_stops_the_run_before_any_work() {
    let dir = local_project(&["beat_interpolation/orbit-find.yaml"]);
    let o = fabula(dir.path(), &["run"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("FABULA_TEST_KEY"), "{}", text(&o));
    assert!(!dir.path().join("results").exists());
    // The plan needs no key.
    let dry = fabula(dir.path(), &["run", "--dry-run"], &[]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        text(&dry).contains("Plan: 1 generation and 1 evaluation (1 task × 1 model × 1 sample)"),
        "{}",
        text(&dry)
    );
}
