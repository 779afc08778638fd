//! The store on a real file system (issue 13.4, 13.3 and 12 "no litter"): symbolic links
//! inside `results/` are never followed (writes refuse them, loads report them, the
//! temporary-file sweep never enters them, loops cost nothing), temporary files of
//! interrupted writes are never counted and are removed only under the write lock.

use fabula_core::model::{EvaluationRecord, GenerationRecord};
use fabula_engine::lock::LockError;
use fabula_engine::store::{Detail, LINK_PROBLEM, Store};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

fn generation(model: &str, task: &str) -> GenerationRecord {
    serde_json::from_value(serde_json::json!({
        "format_version": 2, "task": task, "task_type": "beat_interpolation",
        "model": model, "model_id": "test/model", "provider": "local", "simulated": false,
        "sample": 0, "fingerprint": "0123456789abcdef", "status": "ok", "output": "Text.",
        "transcript": [], "latency_ms": 5, "created_at": "2025-01-01T00:00:00Z",
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "reasoning_tokens": 0}
    }))
    .unwrap()
}

fn evaluation(model: &str, task: &str, judge: &str) -> EvaluationRecord {
    serde_json::from_value(serde_json::json!({
        "format_version": 2, "task": task, "task_type": "beat_interpolation",
        "model": model, "judge": judge, "simulated": false,
        "sample": 0, "fingerprint": "fedcba9876543210",
        "generation_fingerprint": "0123456789abcdef",
        "generation_sha": "00112233445566778899aabbccddeeff", "status": "ok",
        "criteria": [], "raw": "{}",
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "reasoning_tokens": 0},
        "latency_ms": 5, "created_at": "2025-01-01T00:00:00Z"
    }))
    .unwrap()
}

/// A temporary file named exactly as an interrupted write of ours leaves it.
const OURS: &str = ".tmp-4242-7-gen-s0-0123456789abcdef.json";

fn age(path: &Path, by: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - by)
        .unwrap();
}

#[test]
fn a_write_through_a_linked_model_folder_is_refused_and_nothing_lands_outside() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    std::fs::create_dir_all(store.root()).unwrap();
    symlink(outside.path(), store.root().join("writer-a")).unwrap();
    let err = store
        .write_generation(&generation("writer-a", "orbit-find"))
        .unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(
        err.to_string()
            .contains(&store.root().join("writer-a").display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);

    // A linked task folder deeper down, and an evaluation: the same.
    std::fs::create_dir_all(store.root().join("writer-b")).unwrap();
    symlink(outside.path(), store.root().join("writer-b/orbit-find")).unwrap();
    let err = store
        .write_evaluation(&evaluation("writer-b", "orbit-find", "judge"))
        .unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);

    // Where no link is in the way, writes land inside the store.
    let path = store
        .write_generation(&generation("writer-c", "orbit-find"))
        .unwrap();
    assert!(path.starts_with(store.root()));
    assert_eq!(store.load().generations.len(), 1);
}

#[test]
fn loads_report_links_instead_of_skipping_them_silently() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = Store::new(outside.path());
    elsewhere
        .write_generation(&generation("writer-a", "orbit-find"))
        .unwrap();
    let store = Store::new(dir.path().join("results"));
    std::fs::create_dir_all(store.root()).unwrap();
    symlink(
        outside.path().join("writer-a"),
        store.root().join("writer-a"),
    )
    .unwrap();
    let file = elsewhere.generation_path(&generation("writer-a", "orbit-find"));
    symlink(&file, store.root().join("gen-s0-0123456789abcdef.json")).unwrap();

    let loaded = store.load();
    assert!(loaded.generations.is_empty(), "a link was followed");
    let mut problems: Vec<_> = loaded
        .problems
        .iter()
        .map(|(p, w)| (p.clone(), w.clone()))
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        vec![
            (
                store.root().join("gen-s0-0123456789abcdef.json"),
                LINK_PROBLEM.to_string()
            ),
            (store.root().join("writer-a"), LINK_PROBLEM.to_string()),
        ]
    );
}

#[test]
fn two_loop_links_cost_two_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    // Each link leads back to the folder holding both: 2^depth paths for a walker that
    // follows links.
    std::fs::create_dir_all(store.root().join("loops")).unwrap();
    symlink("..", store.root().join("loops/a")).unwrap();
    symlink("..", store.root().join("loops/b")).unwrap();
    store
        .write_generation(&generation("writer-a", "orbit-find"))
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let loader = store.clone();
    std::thread::spawn(move || tx.send(loader.load()).unwrap());
    let loaded = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the load walked loop links for a minute");
    assert_eq!(loaded.generations.len(), 1);
    assert_eq!(loaded.problems.len(), 2, "{:?}", loaded.problems);

    // Taking the lock walks the store too: it finishes, and names both links.
    match store.lock() {
        Err(LockError::Links { links, .. }) => assert_eq!(links.len(), 2),
        other => panic!("expected the links to be refused, got {other:?}"),
    }
}

#[test]
fn temporary_files_are_never_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let path = store
        .write_generation(&generation("writer-a", "orbit-find"))
        .unwrap();
    // A whole record under a temporary name (killed between fsync and rename).
    std::fs::copy(&path, path.with_file_name(OURS)).unwrap();
    let loaded = store.load();
    assert_eq!(loaded.generations.len(), 1);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

/// Issue 12 and 13.4: the sweep kept temporary files younger than a minute (litter after
/// a quick re-run) and followed links, deleting files outside `results/`. Under the lock
/// it removes ours of any age, inside the store only.
#[test]
fn the_lock_sweeps_our_temporaries_of_any_age_and_never_through_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let inside_fresh = store.root().join("writer-a/orbit-find").join(OURS);
    let inside_old = store
        .root()
        .join(".tmp-1-2-eval-s0-judge-0123456789abcdef.json");
    let not_ours = store.root().join("writer-a/.tmp-notes.json");
    let beyond_link = outside.path().join(OURS);
    for p in [&inside_fresh, &inside_old, &not_ours, &beyond_link] {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "{").unwrap();
    }
    age(&inside_old, Duration::from_secs(3600));
    age(&beyond_link, Duration::from_secs(3600));

    let lock = store.lock().unwrap();
    assert_eq!(lock.swept(), 2);
    assert!(!inside_fresh.exists() && !inside_old.exists());
    assert!(not_ours.exists());
    drop(lock);

    symlink(outside.path(), store.root().join("linked")).unwrap();
    assert!(matches!(store.lock(), Err(LockError::Links { .. })));
    assert!(beyond_link.exists(), "a file outside results/ was deleted");
}

/// A running writer's temporary files are safe: while it holds the lock, nobody sweeps.
#[test]
fn a_running_writers_temporaries_survive_a_refused_second_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let running = store.lock().unwrap();
    let in_flight = store.root().join("writer-a/orbit-find").join(OURS);
    std::fs::create_dir_all(in_flight.parent().unwrap()).unwrap();
    std::fs::write(&in_flight, "{").unwrap();
    let second = Store::new(dir.path().join("results"));
    assert!(
        matches!(second.lock(), Err(LockError::Held { pid: Some(pid), .. }) if pid == std::process::id())
    );
    assert!(in_flight.exists());
    drop(running);
}

#[test]
fn superseded_records_are_kept_in_history_and_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let g = store
        .write_generation(&generation("writer-a", "orbit-find"))
        .unwrap();
    let e = store
        .write_evaluation(&evaluation("writer-a", "orbit-find", "judge-1"))
        .unwrap();
    let before = store.load();
    assert_eq!((before.generations.len(), before.evaluations.len()), (1, 1));
    let moved = store
        .supersede(&[g.clone(), e], "2026-12-02T10:00:00.000Z")
        .unwrap();
    assert_eq!(moved.len(), 2);
    assert!(moved.iter().all(|p| p.exists()));
    assert!(moved[0].to_string_lossy().contains("/history/"));
    assert!(!g.exists());
    let after = store.load();
    assert!(after.generations.is_empty() && after.evaluations.is_empty());
    assert!(after.problems.is_empty(), "{:?}", after.problems);
}

#[test]
fn batch_files_are_never_loaded_as_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    store
        .write_generation(&generation("writer-a", "orbit-find"))
        .unwrap();
    let batches = dir
        .path()
        .join("results")
        .join(fabula_engine::batch::LEDGER_DIR);
    std::fs::create_dir_all(&batches).unwrap();
    std::fs::write(
        batches.join("local-batch_1.json"),
        b"{\"format_version\": 1}",
    )
    .unwrap();
    let loaded = store.load();
    assert_eq!(loaded.generations.len(), 1);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

#[test]
fn a_lighter_load_keeps_what_planning_and_scoring_read_and_drops_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    store.write_generation(&generation("m", "t")).unwrap();
    let mut e = evaluation("m", "t", "j");
    (e.round, e.error, e.cost_usd) = (Some(2), Some("late".into()), Some(0.25));
    e.failure = Some(fabula_core::model::FailureKind::Unparsable);
    e.criteria = serde_json::from_value(serde_json::json!([{
        "criterion": "beats", "score": 0.5, "verdict": "fail",
        "evidence": "a quote", "reason": "why",
        "items": [{"item": 1, "score": 1.0, "verdict": "pass", "evidence": "q", "reason": "r"}]
    }]))
    .unwrap();
    store.write_evaluation(&e).unwrap();

    let full = store.load_with(Detail::Full);
    assert_eq!(full.generations[0].1.output, "Text.");
    assert_eq!(full.evaluations[0].1, e);

    // Scores: every number and verdict, no evidence, reasons or raw answer; otherwise
    // the very record.
    let scores = store.load_with(Detail::Scores);
    let mut without_texts = e.clone();
    without_texts.raw = None;
    for c in &mut without_texts.criteria {
        (c.evidence, c.reason) = (String::new(), String::new());
        for i in &mut c.items {
            (i.evidence, i.reason) = (String::new(), String::new());
        }
    }
    assert_eq!(scores.evaluations[0].1, without_texts);
    assert_eq!(scores.generations[0].1.output, "Text.");
    let c = &scores.evaluations[0].1.criteria[0];
    assert_eq!((c.score, c.verdict.as_str()), (0.5, "fail"));
    assert_eq!((c.evidence.as_str(), c.reason.as_str()), ("", ""));
    assert_eq!((c.items[0].score, c.items[0].evidence.as_str()), (1.0, ""));
    assert_eq!(scores.evaluations[0].1.raw, None);

    // Plan: identities, fingerprints, status and the judged text's hash only.
    let plan = store.load_with(Detail::Plan);
    let (g, e2) = (&plan.generations[0].1, &plan.evaluations[0].1);
    assert_eq!(
        (g.output.as_str(), g.fingerprint.as_str()),
        ("", "0123456789abcdef")
    );
    assert!(e2.criteria.is_empty());
    // Everything else of the generation is read as a whole read gives it.
    let mut stripped = full.generations[0].1.clone();
    (stripped.output, stripped.questions, stripped.programmatic) =
        (String::new(), Vec::new(), None);
    assert_eq!(*g, stripped);
    assert_eq!(
        (
            e2.fingerprint.as_str(),
            e2.generation_sha.as_str(),
            e2.status
        ),
        (e.fingerprint.as_str(), e.generation_sha.as_str(), e.status)
    );
}

fn ranking(rater: &str, note: &str) -> fabula_core::model::HumanRanking {
    let ranked = |model: &str| {
        serde_json::json!({
            "model": model,
            "record": format!("{model}/t1/gen-s0-0123456789abcdef.json"),
            "generation_fingerprint": "0123456789abcdef",
            "generation_sha": "00112233445566778899aabbccddeeff"
        })
    };
    serde_json::from_value(serde_json::json!({
        "format_version": 2, "task": "t1", "task_type": "beat_interpolation", "sample": 0,
        "rater": rater, "ranks": [[ranked("m1")], [ranked("m2"), ranked("m3")]],
        "note": note, "seed": "00fab01a5eed0001", "created_at": "2026-12-03T00:00:00Z"
    }))
    .unwrap()
}

/// Human rankings are records like the others: written atomically under
/// `results/rankings/<task>/`, named by task, sample, rater and a content hash (so two
/// raters, or one rater's two rankings, never collide, and the same ranking merges as a
/// duplicate), loaded, and verified by `fabula merge` (a renamed file is refused).
#[test]
fn rankings_are_stored_loaded_and_merged_by_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("results"));
    let ann = ranking("ann@example.org", "");
    let bob = ranking("bob@example.org", "");
    let ann_again = ranking("ann@example.org", "changed my mind");
    let paths: Vec<_> = [&ann, &bob, &ann_again]
        .iter()
        .map(|r| store.write_ranking(r).unwrap())
        .collect();
    for p in &paths {
        assert!(
            p.starts_with(dir.path().join("results/rankings/t1")),
            "{p:?}"
        );
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(name.starts_with("rank-s0-"), "{name}");
    }
    assert!(paths[0].to_string_lossy().contains("ann_example.org"));
    assert_ne!(
        paths[0], paths[2],
        "a new ranking never overwrites an old one"
    );
    assert_eq!(
        store.ranking_path(&ann),
        paths[0],
        "a function of the content"
    );
    let loaded = store.load();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.rankings.len(), 3);
    assert!(loaded.rankings.iter().any(|(_, r)| *r == ann_again));

    // Merging: copied into an empty store, identical the second time.
    let other = tempfile::tempdir().unwrap();
    let into = Store::new(other.path().join("results"));
    let lock = into.lock().unwrap();
    let report = fabula_engine::merge::merge(&into, &lock, &[store.root().to_path_buf()]).unwrap();
    assert_eq!(report.copied.len(), 3, "{report:?}");
    let again = fabula_engine::merge::merge(&into, &lock, &[store.root().to_path_buf()]).unwrap();
    assert_eq!((again.copied.len(), again.identical), (0, 3));
    assert_eq!(into.load().rankings.len(), 3);
    // A ranking edited by hand no longer sits at its content's name: refused.
    let tampered = tempfile::tempdir().unwrap();
    let source = Store::new(tampered.path().join("results"));
    let path = source.write_ranking(&ann).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"m1\"", "\"m9\"")).unwrap();
    let report = fabula_engine::merge::merge(&into, &lock, &[source.root().to_path_buf()]).unwrap();
    assert!(report.copied.is_empty());
    assert_eq!(report.invalid.len(), 1, "{report:?}");
    assert!(report.invalid[0].1.contains("belongs at"), "{report:?}");
}
