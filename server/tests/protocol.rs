//! The server in process, spoken to over an in-memory pipe: every feature, with JSON
//! snapshots of what a client receives.

mod support;

use serde_json::{Value, json};
use support::{Client, codes, project, uri};

const TASK: &str = "chasqui-road-back";
const TASK_PATH: &str = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";

/// Position (line, UTF-16 column) of the first occurrence of `needle` in `text`.
fn pos(text: &str, needle: &str) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in text"));
    let line = text[..at].matches('\n').count();
    let col = text[..at].rfind('\n').map_or(at, |i| at - i - 1);
    json!({"line": line, "character": col})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_hover_lens_run_and_navigation() {
    let (_dir, root) = project(&[TASK]);
    let task_file = root.join(TASK_PATH);
    let text = std::fs::read_to_string(&task_file).unwrap();
    let client = Client::in_process();
    let init = client.initialize(&root, json!({"trusted": true})).await;
    insta::assert_json_snapshot!("capabilities", init["capabilities"]);

    // Files not open are diagnosed too: a clean project publishes nothing wrong.
    let task_uri = uri(&task_file);
    let broken = text.replacen("theory: heros_journey", "theory: heroes_journey", 1);
    client.open(&task_file, &broken);
    let diags = client.diagnostics(&task_uri, Some(1)).await;
    let shown = serde_json::to_string_pretty(&diags)
        .unwrap()
        .replace(&root.display().to_string(), "<root>");
    insta::assert_snapshot!("unknown_theory", shown);

    // Fix it with an incremental edit: the diagnostics clear, at version 2.
    let at = pos(&broken, "heroes_journey");
    let end = json!({"line": at["line"], "character": at["character"].as_u64().unwrap() + 14});
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": task_uri, "version": 2},
            "contentChanges": [{"range": {"start": at, "end": end}, "text": "heros_journey"}]
        }),
    );
    let diags = client.diagnostics(&task_uri, Some(2)).await;
    assert_eq!(codes(&diags), Vec::<String>::new());

    // Hover on the task id: no results yet.
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": task_uri}, "position": pos(&text, TASK)}),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("No results yet")
    );

    // Code actions on the task offer a run per writer.
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": task_uri},
                "range": {"start": pos(&text, TASK), "end": pos(&text, TASK)},
                "context": {"diagnostics": []}
            }),
        )
        .await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Run task with sim-writer-a",
            "Run task with sim-writer-b",
            "Draft 3 similar tasks with sim-writer-a"
        ]
    );

    // Run it with the simulator: progress, records on disk, a score back.
    let result = client
        .request(
            "workspace/executeCommand",
            json!({"command": "fabula.server.run", "arguments": [{"uri": task_uri, "task": TASK, "model": "sim-writer-a"}]}),
        )
        .await;
    assert_eq!(result["task"], TASK);
    let score = result["final"].as_f64().expect("a final score");
    assert!((0.0..=100.0).contains(&score), "one scale, 0-100: {result}");
    assert_eq!(result["files"].as_array().unwrap().len(), 4, "{result}");
    let progress: Vec<Value> = client
        .server_requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "window/workDoneProgress/create")
        .cloned()
        .collect();
    assert_eq!(progress.len(), 1);
    client
        .wait_for("run list notification", |m| m["method"] == "fabula/runs")
        .await;

    // The lens and the hover now show the score with the judges' breakdown.
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": task_uri}}),
        )
        .await;
    let title = lenses[0]["command"]["title"].as_str().unwrap().to_owned();
    assert_eq!(title, format!("▶ Run · sim-writer-a {score:.1} (3 judges)"));
    assert_eq!(lenses[0]["command"]["command"], "fabula.runTask");
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": task_uri}, "position": pos(&text, TASK)}),
        )
        .await;
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.contains(&format!("final **{score:.1}**")), "{md}");
    assert!(
        md.contains("| criterion | weight | median | sim-judge-1 | sim-judge-2 | sim-judge-3 |"),
        "{md}"
    );
    assert!(!md.contains("stale"), "{md}");

    // Editing the task makes the score stale (the fingerprint changed).
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": task_uri, "version": 3},
            "contentChanges": [{"text": text.replacen("seventeen-year-old", "eighteen-year-old", 1)}]
        }),
    );
    client.diagnostics(&task_uri, Some(3)).await;
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": task_uri}}),
        )
        .await;
    assert!(
        lenses[0]["command"]["title"]
            .as_str()
            .unwrap()
            .contains(&format!("{score:.1}*"))
    );

    // Result files behind the score; the leaderboard; models for a picker.
    let files = client
        .request("fabula/resultFiles", json!({"task": TASK}))
        .await;
    assert_eq!(files["files"].as_array().unwrap().len(), 4);
    let models = client.request("fabula/models", json!({})).await;
    insta::assert_json_snapshot!("models", models);
    let board = client.request("fabula/leaderboard", json!({})).await;
    assert!(
        board["markdown"]
            .as_str()
            .unwrap()
            .contains("# Fabula leaderboard")
    );

    // Beats: hover shows the definition, definition jumps to the theory, references
    // find the task.
    let beat_pos = pos(&text, "beat: ");
    let beat_pos =
        json!({"line": beat_pos["line"], "character": beat_pos["character"].as_u64().unwrap() + 7});
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": task_uri}, "position": beat_pos}),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("**Must contain:**")
    );
    let def = client
        .request(
            "textDocument/definition",
            json!({"textDocument": {"uri": task_uri}, "position": beat_pos}),
        )
        .await;
    assert!(
        def["uri"]
            .as_str()
            .unwrap()
            .ends_with("dataset/theories/heros_journey.yaml")
    );
    let refs = client
        .request(
            "textDocument/references",
            json!({"textDocument": {"uri": def["uri"]}, "position": def["range"]["start"], "context": {"includeDeclaration": false}}),
        )
        .await;
    assert_eq!(refs.as_array().unwrap().len(), 1, "{refs}");
    assert_eq!(refs[0]["uri"], task_uri);

    // Outline of the theory: its beats.
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": def["uri"]}}),
        )
        .await;
    let beats = symbols
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "beats")
        .unwrap();
    assert_eq!(beats["children"].as_array().unwrap().len(), 12);

    // Field docs from the schema on a key.
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": task_uri}, "position": pos(&text, "words:")}),
        )
        .await;
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("**words**")
    );
    client.shutdown().await;
}
