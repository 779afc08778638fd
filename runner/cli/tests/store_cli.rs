//! The results store under real `fabula` processes (issue 13.3, 13.4 and 12 "no
//! litter"): one writer at a time, symbolic links never followed, temporary files of a
//! killed writer cleared by the next writer and never counted.

pub mod support;

use fabula_engine::store::Store;
use fabula_fake_server::{FakeServer, model_reply};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use support::{STORE_CONFIG, TASKS, command, fabula, project, records, text};

const KEY: &str = "sk-test-store";

fn env(url: &str) -> [(&'static str, String); 2] {
    [
        ("FABULA_TEST_BASE_URL", url.to_string()),
        ("FABULA_TEST_KEY", KEY.to_string()),
    ]
}

fn run(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    let e = env(url);
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fabula(dir, args, &e)
}

/// A temporary file named exactly as an interrupted write of ours leaves it.
const OUR_TEMPORARY: &str = ".tmp-4242-7-gen-s0-0123456789abcdef.json";

/// Issue 13.3: two `fabula run` on one project made every request twice. The second now
/// refuses, naming the first one's PID, and nothing is requested twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_store_is_refused_with_the_holders_pid() {
    let server = FakeServer::start(Duration::from_millis(600), |_, seen| {
        model_reply(&seen.body)
    })
    .await;
    let url = server.url();
    let dir = project(STORE_CONFIG, TASKS);
    let p = dir.path().to_path_buf();
    let seen = server.seen.clone();
    let (first_pid, second, first) = tokio::task::spawn_blocking(move || {
        let e = env(&url);
        let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let first = command(&p, &["run", "--quiet"], &e).spawn().unwrap();
        let first_pid = first.id();
        // The first run is past its plan once it has sent a request.
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.lock().unwrap().is_empty() {
            assert!(Instant::now() < deadline, "the first run sent nothing");
            std::thread::sleep(Duration::from_millis(10));
        }
        let second = command(&p, &["run", "--quiet"], &e).output().unwrap();
        (first_pid, second, first.wait_with_output().unwrap())
    })
    .await
    .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    support::assert_refused_by(&second, first_pid);
    let message = text(&second);
    assert!(message.contains("results"), "{message}");
    // 3 generations and 3 evaluations, each requested once.
    assert_eq!(server.hits(), 6, "{message}");
    assert_eq!(records(&dir.path().join("results")).len(), 6);
    let again = run(dir.path(), &server.url(), &["run", "--quiet"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(server.hits(), 6, "nothing left to do");
}

/// `clean-failed` deletes records: it is a writer and waits its turn too.
#[test]
fn clean_failed_is_refused_while_the_store_is_locked() {
    let dir = project(STORE_CONFIG, TASKS);
    let store = Store::new(dir.path().join("results"));
    let held = store.lock().unwrap();
    let o = fabula(dir.path(), &["clean-failed"], &[]);
    support::assert_refused_by(&o, std::process::id());
    drop(held);
    let o = fabula(dir.path(), &["clean-failed"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Issue 12 "no litter": the temporary files a `kill -9` leaves were kept for a minute
/// (so a re-run right after the kill kept them forever in CI). The next writer removes
/// exactly ours, of any age; a user's look-alike file stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_run_removes_a_killed_writers_temporary_files() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| model_reply(&seen.body)).await;
    let dir = project(STORE_CONFIG, &TASKS[..1]);
    let results = dir.path().join("results");
    let folder = results.join("writer-a/orbit-find");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(OUR_TEMPORARY), "{\"format_version\": 1, \"tru").unwrap();
    std::fs::write(results.join(".tmp-1-1-eval-s0-x-y.json"), "{").unwrap();
    std::fs::write(folder.join(".tmp-notes.json"), "{}").unwrap();

    let dry = run(dir.path(), &server.url(), &["run", "--dry-run", "--json"]);
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(plan["generations"]["writer-a"], 1, "never counted: {plan}");

    let o = run(dir.path(), &server.url(), &["run", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!folder.join(OUR_TEMPORARY).exists(), "ours is removed");
    assert!(!results.join(".tmp-1-1-eval-s0-x-y.json").exists());
    assert!(folder.join(".tmp-notes.json").exists(), "not ours: kept");
    assert_eq!(records(&results).len(), 2);
}

/// Issue 13.4: the sweep followed a link out of `results/` and deleted an old temporary-
/// looking file there, and the run wrote through the link while its loads skipped it (so
/// the work was paid for again on every run). Now the run refuses before any request,
/// naming the link, and nothing outside the store is touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_out_of_the_store_is_refused_before_any_request_and_nothing_outside_is_touched() {
    let server = FakeServer::start(Duration::ZERO, |_, seen| model_reply(&seen.body)).await;
    let dir = project(STORE_CONFIG, &TASKS[..1]);
    let outside = tempfile::tempdir().unwrap();
    let stale = outside.path().join("orbit-find").join(OUR_TEMPORARY);
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, "someone else's file").unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir_all(&results).unwrap();
    std::os::unix::fs::symlink(outside.path(), results.join("writer-a")).unwrap();

    let o = run(dir.path(), &server.url(), &["run", "--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    assert!(
        text(&o).contains(&results.join("writer-a").display().to_string()),
        "{}",
        text(&o)
    );
    assert_eq!(server.hits(), 0, "nothing is paid for");
    assert!(stale.exists(), "a file outside results/ was deleted");
    assert_eq!(
        support::files(outside.path()).len(),
        1,
        "nothing written outside"
    );
}

/// Issue 13.4: two loop links made `run --dry-run` walk exponentially (a hang). They are
/// reported as links, never entered.
#[test]
fn loop_links_do_not_make_a_dry_run_walk_forever() {
    let dir = project(STORE_CONFIG, &TASKS[..1]);
    let results = dir.path().join("results");
    // Each link leads back to the folder holding both: 2^depth paths for a walker that
    // follows links.
    std::fs::create_dir_all(results.join("loops")).unwrap();
    std::os::unix::fs::symlink("..", results.join("loops/a")).unwrap();
    std::os::unix::fs::symlink("..", results.join("loops/b")).unwrap();
    let mut child = command(dir.path(), &["run", "--dry-run"], &[])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`fabula run --dry-run` walked loop links for a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("2 file(s) under results/ are not records"),
        "{}",
        text(&o)
    );
}
