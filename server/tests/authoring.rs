//! Authoring from the editor: `fabula.server.newTask` writes the same skeleton as
//! `fabula new`, whose only diagnostics are its placeholders and in which completion
//! already offers the theory's beats; "Draft 3 similar tasks" drafts through the engine
//! (offline, on the `sim` provider) into `dataset/drafts/`.

mod support;

use serde_json::{Value, json};
use support::{Client, codes, opened, project, uri};

const TASK: &str = "chasqui-road-back";
const TASK_PATH: &str = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";

fn execute(command: &str, argument: Value) -> Value {
    json!({"command": command, "arguments": [argument]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_task_writes_a_skeleton_that_completes_and_is_flagged_until_filled() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    let made = client
        .request(
            "workspace/executeCommand",
            execute(
                "fabula.server.newTask",
                json!({"type": "beat_interpolation", "theory": "save_the_cat", "id": "ferry-night"}),
            ),
        )
        .await;
    let path = root.join("dataset/tasks/beat_interpolation/ferry-night.yaml");
    assert_eq!(made["path"], path.display().to_string(), "{made}");
    assert_eq!(made["uri"], uri(&path), "{made}");
    assert_eq!(made["placeholders"], 8, "{made}");
    let text = std::fs::read_to_string(&path).unwrap();

    client.open(&path, &text);
    let diagnostics = client.diagnostics(&uri(&path), Some(1)).await;
    let found = codes(&diagnostics);
    assert_eq!(found.len(), 8, "{found:?}");
    assert!(found.iter().all(|c| c == "placeholder"), "{found:?}");

    // Completion in the skeleton: the target's value offers Save the Cat's beats.
    let line = text
        .lines()
        .position(|l| l.starts_with("target: "))
        .unwrap();
    let items = client
        .request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri(&path)}, "position": {"line": line, "character": 8}}),
        )
        .await;
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"fun_and_games") && labels.contains(&"break_into_two"),
        "{labels:?}"
    );

    // Never over a file; a clear error for a typo.
    let again = client
        .call(
            "workspace/executeCommand",
            execute(
                "fabula.server.newTask",
                json!({"type": "beat_interpolation", "theory": "save_the_cat", "id": "ferry-night"}),
            ),
        )
        .await;
    let message = again["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("task id `ferry-night` is already used by")
            || message.contains("already exists"),
        "{again}"
    );
    let typo = client
        .call(
            "workspace/executeCommand",
            execute(
                "fabula.server.newTask",
                json!({"type": "sequence", "theory": "save_teh_cat"}),
            ),
        )
        .await;
    let message = typo["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("unknown theory `save_teh_cat` (did you mean `save_the_cat`?)"),
        "{typo}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draft_similar_tasks_is_a_code_action_that_drafts_offline() {
    let support::Opened {
        dir: _dir,
        root,
        uri: u,
        client,
        ..
    } = opened(&[TASK], TASK_PATH).await;
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "context": {"diagnostics": []}}),
        )
        .await;
    let draft = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Draft 3 similar tasks with sim-writer-a")
        .unwrap_or_else(|| panic!("{actions}"));
    let command = &draft["command"];
    assert_eq!(command["command"], "fabula.server.draft");
    let argument = &command["arguments"][0];
    assert_eq!(
        *argument,
        json!({"type": "beat_interpolation", "theory": "heros_journey", "count": 3, "model": "sim-writer-a", "validator": "sim-judge-1"})
    );
    let result = client
        .request(
            "workspace/executeCommand",
            json!({"command": "fabula.server.draft", "arguments": [argument]}),
        )
        .await;
    let kept = result["kept"].as_array().unwrap();
    let rejected = result["rejected"].as_array().unwrap();
    assert_eq!(kept.len() + rejected.len(), 3, "{result}");
    assert!(
        !kept.is_empty(),
        "the simulated validator keeps most: {result}"
    );
    assert_eq!(result["cost"], 0.0);
    for path in kept {
        let path = std::path::Path::new(path.as_str().unwrap());
        assert!(
            path.starts_with(root.join("dataset/drafts/beat_interpolation")),
            "{path:?}"
        );
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("theory: heros_journey"), "{text}");
    }
    client.shutdown().await;
}
