//! Runs from the editor: they re-run a sample instead of adding one (the old records
//! become history, never counted), and they take the results store's write lock like
//! `fabula run` does.

mod support;

use serde_json::json;
use support::{Client, project};

const TASK: &str = "chasqui-road-back";

fn records(root: &std::path::Path) -> (usize, usize) {
    let loaded = fabula_engine::store::Store::new(root.join("results")).load();
    (loaded.generations.len(), loaded.evaluations.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_replaces_the_sample_and_keeps_the_first_as_history() {
    // Regression (issue 11.2): a task run once more from the editor added a sample, so
    // that task weighed double for one model in every average.
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    let run = || {
        client.request(
            "workspace/executeCommand",
            json!({"command": "fabula.server.run", "arguments": [{"task": TASK, "model": "sim-writer-a"}]}),
        )
    };
    let first = run().await;
    assert!(first["final"].is_number(), "{first}");
    assert_eq!(records(&root), (1, 3));
    let second = run().await;
    assert!(second["final"].is_number(), "{second}");
    assert_eq!(records(&root), (1, 3), "the same sample, not a second one");
    let history = root.join("results/sim-writer-a").join(TASK).join("history");
    let kept: usize = std::fs::read_dir(&history)
        .unwrap()
        .map(|stamp| std::fs::read_dir(stamp.unwrap().path()).unwrap().count())
        .sum();
    assert_eq!(
        kept, 4,
        "the first run's generation and 3 evaluations are kept"
    );
    let files = client
        .request("fabula/resultFiles", json!({"task": TASK}))
        .await;
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f.as_str().unwrap().contains("/history/")),
        "{files}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_refuses_while_another_process_writes_the_store() {
    // Regression (issue 13.3): a CLI run and an editor run on one project wrote the store
    // at once.
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    let store = fabula_engine::store::Store::new(root.join("results"));
    let held = store.lock().unwrap();
    let refused = client.refused_run(TASK, "sim-writer-a").await;
    assert!(
        refused.contains(&format!("pid {}", std::process::id())),
        "{refused}"
    );
    assert_eq!(records(&root), (0, 0));
    drop(held);
    client.shutdown().await;
}
