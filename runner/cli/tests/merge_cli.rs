//! `fabula merge` with the real binary on real shard stores (issue 20): records from
//! several results folders are verified and copied; identical duplicates are skipped;
//! conflicts, invalid records, temporary files and links are reported, never copied.

pub mod support;

use fabula_engine::store::Store;
use std::path::{Path, PathBuf};
use support::{fabula, records, shipped_project, text};

/// The shipped project's two sim writers on one task type, split into two shards and
/// run as two processes: `(project, [shard 1 results, shard 2 results])`.
fn two_shards() -> (tempfile::TempDir, Vec<PathBuf>) {
    let shards = tempfile::tempdir().unwrap();
    let mut stores = Vec::new();
    for i in 1..=2 {
        let project = shipped_project();
        let shard = format!("{i}/2");
        let o = fabula(
            project.path(),
            &[
                "run",
                "--quiet",
                "--task-type",
                "beat_interpolation",
                "--shard",
                &shard,
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let to = shards.path().join(format!("shard-{i}"));
        std::fs::rename(project.path().join("results"), &to).unwrap();
        stores.push(to);
    }
    (shards, stores)
}

fn merge(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["merge"];
    all.extend_from_slice(args);
    fabula(dir, &all, &[])
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn shards_merge_into_the_whole_run_and_a_second_merge_copies_nothing() {
    let (_keep, shards) = two_shards();
    let (a, b) = (records(&shards[0]), records(&shards[1]));
    assert!(!a.is_empty() && !b.is_empty(), "each shard did some work");
    let project = shipped_project();
    let o = merge(project.path(), &[s(&shards[0]), s(&shards[1])]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let total = a.len() + b.len();
    assert!(
        text(&o).contains(&format!(
            "Merged 2 folders into {}: {total} records copied, 0 already there.",
            project.path().join("results").display()
        )),
        "{}",
        text(&o)
    );
    let merged = records(&project.path().join("results"));
    let mut union: Vec<PathBuf> = a.into_iter().chain(b).collect();
    union.sort();
    assert_eq!(merged, union);

    // Nothing left to do for the merged project: the shards covered the whole run.
    let plan = fabula(
        project.path(),
        &[
            "run",
            "--dry-run",
            "--json",
            "--task-type",
            "beat_interpolation",
        ],
        &[],
    );
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(plan["generations"], serde_json::json!({}), "{plan}");
    assert_eq!(plan["evaluations"], serde_json::json!({}), "{plan}");

    // Merging again: every record is an identical duplicate.
    let again = merge(project.path(), &[s(&shards[0]), s(&shards[1])]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains(&format!("0 records copied, {total} already there.")),
        "{}",
        text(&again)
    );
}

#[test]
fn conflicts_and_invalid_records_are_reported_and_never_copied() {
    let (_keep, shards) = two_shards();
    let source = &shards[1];
    let names = records(source);
    let gen_name = names
        .iter()
        .find(|n| n.file_name().unwrap().to_string_lossy().starts_with("gen-"))
        .unwrap()
        .clone();
    let project = shipped_project();
    let into = project.path().join("results");
    // The destination already holds one of the source's records with other content.
    let mut theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(source.join(&gen_name)).unwrap()).unwrap();
    theirs["output"] = serde_json::json!("A different text under the same name.");
    std::fs::create_dir_all(into.join(&gen_name).parent().unwrap()).unwrap();
    let kept = serde_json::to_vec_pretty(&theirs).unwrap();
    std::fs::write(into.join(&gen_name), &kept).unwrap();

    // Invalid files in the source: renamed, not JSON, not matching the schema, not a record.
    let good = std::fs::read(source.join(&gen_name)).unwrap();
    let folder = source.join(gen_name.parent().unwrap());
    std::fs::write(folder.join("gen-s7-0123456789abcdef.json"), &good).unwrap();
    std::fs::write(
        folder.join("gen-s0-broken.json"),
        b"{\"format_version\": 1,",
    )
    .unwrap();
    let mut no_task = theirs.clone();
    no_task.as_object_mut().unwrap().remove("task");
    std::fs::write(
        folder.join("gen-s0-aaaaaaaaaaaaaaaa.json"),
        serde_json::to_vec(&no_task).unwrap(),
    )
    .unwrap();
    std::fs::write(folder.join("notes.json"), b"{}").unwrap();

    let o = merge(project.path(), &[s(source)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("1 conflict (same name, different content"),
        "{out}"
    );
    assert!(out.contains(&gen_name.display().to_string()), "{out}");
    assert!(out.contains("4 invalid records not copied"), "{out}");
    assert!(
        out.contains(&format!(
            "gen-s7-0123456789abcdef.json: its content belongs at {}",
            gen_name.display()
        )),
        "{out}"
    );
    assert!(out.contains("gen-s0-broken.json: not JSON"), "{out}");
    assert!(
        out.contains("gen-s0-aaaaaaaaaaaaaaaa.json: does not match schema/result.schema.json (generation) at /: \"task\" is a required property"),
        "{out}"
    );
    assert!(
        out.contains("notes.json: not named gen-…, eval-…, pair-… or rank-…"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(into.join(&gen_name)).unwrap(),
        kept,
        "overwritten"
    );
    // Everything else was merged (the conflicting name holds the destination's record).
    assert_eq!(records(&into).len(), names.len());
    let loaded = Store::new(&into).load();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

#[test]
fn temporary_files_and_links_in_sources_are_reported_and_ignored() {
    let (_keep, shards) = two_shards();
    let source = &shards[0];
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("gen-s0-0123456789abcdef.json"), b"{}").unwrap();
    let first = records(source)[0].clone();
    let folder = source.join(first.parent().unwrap());
    let temporary = folder.join(".tmp-99-0-gen-s0-0123456789abcdef.json");
    std::fs::copy(source.join(&first), &temporary).unwrap();
    std::os::unix::fs::symlink(outside.path(), source.join("linked-model")).unwrap();
    let count = records(source).len();

    let project = shipped_project();
    let o = merge(project.path(), &[s(source)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(&format!("{count} records copied")), "{out}");
    assert!(
        out.contains("Ignored 1 temporary file of interrupted writes"),
        "{out}"
    );
    assert!(out.contains(&temporary.display().to_string()), "{out}");
    assert!(
        out.contains("Ignored 1 symbolic link (never followed)"),
        "{out}"
    );
    let into = project.path().join("results");
    assert_eq!(records(&into).len(), count);
    assert!(
        support::files(&into)
            .iter()
            .all(|f| !f.to_string_lossy().contains(".tmp-"))
    );
    assert!(!into.join("linked-model").exists());
}

#[test]
fn merge_takes_the_destination_lock_and_refuses_bad_sources() {
    let project = shipped_project();
    let source = tempfile::tempdir().unwrap();
    let into = project.path().join("results");
    let held = Store::new(&into).lock().unwrap();
    let o = merge(project.path(), &[s(source.path())]);
    support::assert_refused_by(&o, std::process::id());
    drop(held);

    let o = merge(project.path(), &[s(&project.path().join("no-such-folder"))]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("no-such-folder: not a folder"),
        "{}",
        text(&o)
    );

    // --into works outside a project; merging nothing into a new folder leaves none.
    let elsewhere = tempfile::tempdir().unwrap();
    let o = fabula(
        elsewhere.path(),
        &["merge", s(source.path()), "--into", "all"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("Merged 1 folder into all: 0 records copied"),
        "{}",
        text(&o)
    );
    assert!(!elsewhere.path().join("all").exists());
    let o = fabula(elsewhere.path(), &["merge", s(source.path())], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("pass --into DIR"), "{}", text(&o));
}

#[test]
fn a_shard_with_uncollected_batches_is_reported_and_its_batch_files_not_copied() {
    let (_keep, shards) = two_shards();
    let source = &shards[0];
    let batches = source.join(".batches");
    std::fs::create_dir_all(&batches).unwrap();
    let kept = batches.join("openai-batch_1.json");
    std::fs::write(&kept, b"{\"format_version\": 1}").unwrap();
    let count = records(source).len();

    let project = shipped_project();
    let o = merge(project.path(), &[s(source)]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "an unfinished shard: {out}");
    assert!(out.contains(&format!("{count} records copied")), "{out}");
    assert!(
        out.contains("Not copied: 1 batch file of provider batches not collected yet"),
        "{out}"
    );
    assert!(out.contains(&kept.display().to_string()), "{out}");
    assert!(
        !out.contains("invalid record"),
        "not mistaken for a record: {out}"
    );
    assert!(!project.path().join("results/.batches").exists());
}
