//! The breaks found by probing the server (issue 15, and issue 13's trust default), each
//! spoken to over the protocol as a client would.

mod support;

use serde_json::{Value, json};
use support::{Client, codes, project, uri};

const TASK: &str = "chasqui-road-back";
const TASK_PATH: &str = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";

/// A frame with `body` as its bytes, whatever they are.
fn raw(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_answered_and_the_server_goes_on() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    // An unpaired surrogate (JavaScript's JSON.stringify can write one), plain garbage,
    // and JSON that is no JSON-RPC message.
    let surrogate =
        br#"{"jsonrpc":"2.0","id":77,"method":"textDocument/hover","params":{"x":"\ud800"}}"#;
    client.send_raw(raw(surrogate));
    let e = client.unread_error().await;
    assert_eq!(e["error"]["code"], -32700, "{e}");
    assert_eq!(e["id"], Value::Null, "{e}");
    client.send_raw(raw(b"this is not json"));
    assert_eq!(client.unread_error().await["error"]["code"], -32700);
    client.send_raw(raw(br#"{"hello": "world"}"#));
    assert_eq!(client.unread_error().await["error"]["code"], -32600);
    // Still serving.
    let file = root.join(TASK_PATH);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&file)}, "position": {"line": 0, "character": 1}}),
        )
        .await;
    assert!(hover.is_object(), "{hover}");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialized_sent_before_the_initialize_answer_still_loads_the_project() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    // `initialize`, then `initialized` straight after, without waiting for the answer.
    let init = json!({"jsonrpc": "2.0", "id": 999, "method": "initialize",
        "params": support::initialize_params(&root, Value::Null)});
    client.send_raw(support::frame(&init));
    client.notify("initialized", json!({}));
    // The project loads: a task that needs its theory is clean, published quickly.
    let file = root.join(TASK_PATH);
    let started = std::time::Instant::now();
    let diags = client.diagnostics(&uri(&file), None).await;
    assert_eq!(codes(&diags), Vec::<String>::new(), "{diags}");
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&file)}, "position": {"line": 0, "character": 1}}),
        )
        .await;
    assert!(hover.is_object(), "{hover}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_budget_has_the_friendly_message_in_the_editor() {
    let (_dir, root) = project(&[]);
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    let deep = [
        "{a: ".repeat(60) + &"}".repeat(60),
        (0..60)
            .map(|i| format!("{}-\n", " ".repeat(i * 2)))
            .collect(),
        "[".repeat(60) + &"]".repeat(60),
    ];
    for (i, text) in deep.iter().enumerate() {
        let file = root.join(format!("dataset/tasks/sequence/deep-{i}.yaml"));
        client.open(&file, text);
        let d = client.diagnostics(&uri(&file), Some(1)).await;
        assert_eq!(
            d["diagnostics"][0]["message"], "nesting is too deep; Fabula reads at most 48 levels",
            "{d}"
        );
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_file_that_never_parsed_shows_field_docs() {
    let (_dir, root) = project(&[]);
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    let file = root.join("dataset/tasks/sequence/broken.yaml");
    let text = "id: broken\ntype: sequence\nwords: {min: 3\npremise: \"unclosed\n";
    client.open(&file, text);
    let d = client.diagnostics(&uri(&file), Some(1)).await;
    assert_eq!(codes(&d), ["yaml-syntax"], "{d}");
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&file)}, "position": {"line": 2, "character": 2}}),
        )
        .await;
    let md = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(md.contains("**words**"), "{hover}");
    // Hover on the error explains its code, from the one source `--explain` prints.
    let at = d["diagnostics"][0]["range"]["start"].clone();
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&file)}, "position": at}),
        )
        .await;
    let explained = fabula_core::check::explain("yaml-syntax").unwrap();
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .contains(explained),
        "{hover}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_task_file_gets_a_run_lens_that_says_why_it_would_be_refused() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    let file = root.join(TASK_PATH);
    let text = std::fs::read_to_string(&file).unwrap();
    let lens = async |text: &str, version: i64| {
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&file), "version": version}, "contentChanges": [{"text": text}]}),
        );
        let d = client.diagnostics(&uri(&file), Some(version)).await;
        let lenses = client
            .request(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri(&file)}}),
            )
            .await;
        assert_eq!(lenses.as_array().map(Vec::len), Some(1), "{lenses} {d}");
        lenses[0]["command"]["title"].as_str().unwrap().to_owned()
    };
    client.open(&file, &text);
    client.diagnostics(&uri(&file), Some(1)).await;
    assert_eq!(lens(&text, 2).await, "▶ Run");
    // A semantic error and a schema error: the same lens, saying why.
    let semantic = text.replacen("target: road_back", "target: road_bak", 1);
    assert_eq!(lens(&semantic, 3).await, "Run: fix 1 error first");
    let schema = text.replacen("premise:", "premis:", 1);
    assert_eq!(lens(&schema, 4).await, "Run: fix 2 errors first");
    let syntax = text.replacen("premise:", "premise: \"unclosed", 1);
    assert_eq!(lens(&syntax, 5).await, "Run: fix 1 error first");
    // And a run says the same.
    let message = client.refused_run(TASK, "sim-writer-a").await;
    assert!(message.contains("fix"), "{message}");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_no_options_gets_no_runs() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    // The README's Neovim setup before the fix: no initializationOptions at all.
    client.initialize(&root, Value::Null).await;
    let message = client.refused_run(TASK, "sim-writer-a").await;
    assert!(message.contains("not trusted"), "{message}");
    assert!(
        !root.join("results").exists(),
        "an untrusted run wrote results"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_too_large_says_the_same_open_in_the_editor_as_in_fabula_check() {
    let (_dir, root) = project(&[]);
    let file = root.join("dataset/tasks/sequence/huge.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mut text = String::from("id: huge\nnotes: |\n");
    while text.len() <= fabula_core::syntax::MAX_FILE_BYTES + 4096 {
        text.push_str("  a line of notes that goes on and on for a while\n");
    }
    std::fs::write(&file, &text).unwrap();
    // `fabula check`'s way: the project read from disk (size-capped).
    let ws = fabula_engine::project::workspace(&root).unwrap();
    let doc = ws.document("dataset/tasks/sequence/huge.yaml").unwrap();
    let cli = fabula_core::check::diagnostics(&ws, doc);
    // The editor's way: the whole text, sent on open.
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    client.open(&file, &text);
    let d = client.diagnostics(&uri(&file), Some(1)).await;
    assert_eq!(codes(&d), ["file-too-large"]);
    assert_eq!(d["diagnostics"][0]["message"], cli[0].message.as_str());
    client.shutdown().await;
}
