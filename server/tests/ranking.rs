//! The ranking view's requests: `fabula/rankingItems` shows a task's outputs blind (no
//! model name anywhere in the answer, ids per view), `fabula/saveRanking` stores the
//! ranking as a record under `results/rankings/` and answers its tau-b against the
//! judges' median order; an id that is not one of the outputs is refused.

mod support;

use serde_json::{Value, json};
use support::{Client, find_task, project, uri};

const TASK: &str = "chasqui-road-back";

async fn run(client: &Client, model: &str) {
    let done = client
        .request(
            "workspace/executeCommand",
            json!({"command": "fabula.server.run", "arguments": [{"task": TASK, "model": model}]}),
        )
        .await;
    assert!(done["final"].is_number(), "{done}");
}

fn rankings(root: &std::path::Path) -> Vec<fabula_core::model::HumanRanking> {
    let loaded = fabula_engine::store::Store::new(root.join("results")).load();
    loaded.rankings.into_iter().map(|(_, r)| r).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_are_ranked_blind_and_saved_as_records() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    // One output only: nothing to rank yet.
    run(&client, "sim-writer-a").await;
    let none = client
        .call("fabula/rankingItems", json!({"task": TASK, "rater": "ann"}))
        .await;
    let message = none["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("two or more models"), "{none}");
    run(&client, "sim-writer-b").await;

    let view = client
        .request(
            "fabula/rankingItems",
            json!({"task": TASK, "rater": "ann@example.org"}),
        )
        .await;
    let text = view.to_string();
    for leak in ["sim-writer", "sim/writer", "sim-judge"] {
        assert!(!text.contains(leak), "{leak} in the view: {text}");
    }
    assert_eq!(view["rater"], "ann@example.org");
    assert_eq!(view["samples"], json!([0]));
    assert!(!view["brief"].as_str().unwrap().is_empty());
    let items = view["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let ids: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    // Another view: another seed, other ids.
    let again = client
        .request(
            "fabula/rankingItems",
            json!({"task": TASK, "rater": "ann@example.org"}),
        )
        .await;
    assert_ne!(again["seed"], view["seed"]);

    let save = |ranks: Value| {
        client.call(
            "fabula/saveRanking",
            json!({"task": TASK, "sample": 0, "seed": view["seed"], "rater": "ann@example.org",
                   "ranks": ranks, "note": "first is livelier"}),
        )
    };
    let first = save(json!([[ids[0]], [ids[1]]])).await;
    let first = &first["result"];
    let file = first["file"].as_str().unwrap();
    assert!(
        file.contains("results/rankings/chasqui-road-back/rank-s0-ann_example.org-"),
        "{first}"
    );
    let tau = first["median_tau"].as_f64().unwrap();
    assert_eq!(tau.abs(), 1.0, "two outputs scored apart: {first}");
    // The reverse order has the opposite tau.
    let second = save(json!([[ids[1]], [ids[0]]])).await;
    assert_eq!(
        second["result"]["median_tau"].as_f64(),
        Some(-tau),
        "{second}"
    );
    let stored = rankings(&root);
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|r| r.rater == "ann@example.org" && r.note == "first is livelier")
    );
    // Ids of another view, twice the same id, one id: refused, nothing written.
    for (ranks, says) in [
        (
            json!([[again["items"][0]["id"]], [ids[1]]]),
            "is not one of",
        ),
        (json!([[ids[0]], [ids[0]]]), "twice"),
        (json!([[ids[0]]]), "two or more"),
    ] {
        let refused = save(ranks).await;
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{refused}");
    }
    assert_eq!(rankings(&root).len(), 2);

    // The task's hover compares the judges' order with the rankings that count (the
    // newer of ann's two).
    let path = find_task(&root.join("dataset/tasks"), TASK).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    client.open(&path, &text);
    let at = text.find(&format!("id: {TASK}")).unwrap() + 4;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&path)}, "position": {"line": line, "character": col}}),
        )
        .await;
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains("People's rankings against the judges"), "{md}");
    assert!(md.contains("ann@example\\.org (sample 0)"), "{md}");
    assert!(md.contains(&format!("tau-b **{:+.2}**", -tau)), "{md}");
    assert_eq!(md.matches("(sample 0)").count(), 1, "{md}");
    client.shutdown().await;
}
