//! Editing: rapid edits, cross-file effects, completion, quick fixes, hostile input,
//! refused runs, results written on disk by another process.

mod support;

use serde_json::{Value, json};
use support::{Client, codes, opened, project, uri};

const TASK: &str = "chasqui-road-back";
const TASK_PATH: &str = "dataset/tasks/beat_interpolation/chasqui-road-back.yaml";
const THEORY_PATH: &str = "dataset/theories/heros_journey.yaml";

fn line_of(text: &str, needle: &str) -> u64 {
    let at = text.find(needle).unwrap();
    text[..at].matches('\n').count() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_rapid_edits_end_in_the_last_state() {
    let support::Opened {
        dir: _dir,
        text,
        uri: u,
        client,
        ..
    } = opened(&[TASK], TASK_PATH).await;
    // Type "target: road_back" away and back, one character at a time, 200 edits; the
    // last leaves a misspelt beat.
    let line = line_of(&text, "target: road_back");
    let mut version = 1;
    for i in 0..200u32 {
        version += 1;
        let change = if i % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": 8}, "end": {"line": line, "character": 8}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": 8}, "end": {"line": line, "character": 9}}, "text": ""})
        };
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": version}, "contentChanges": [change]}),
        );
    }
    version += 1;
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": version},
               "contentChanges": [{"range": {"start": {"line": line, "character": 8}, "end": {"line": line, "character": 17}}, "text": "road_bak"}]}),
    );
    let last = client.diagnostics(&u, Some(version)).await;
    assert_eq!(codes(&last), ["unknown-beat"], "{last}");
    assert!(
        last["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`road_bak`")
    );
    // Hover sees the last text too: the misspelt beat is not a beat.
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": {"line": line, "character": 10}}),
        )
        .await;
    assert!(
        !hover.to_string().contains("Must contain"),
        "hover answered from an old text: {hover}"
    );
    // Nothing published after the last version carries an older one.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let late: Vec<Value> = client
        .notifications
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m["params"]["uri"] == u.as_str())
        .cloned()
        .collect();
    assert!(
        late.is_empty(),
        "published after the last version: {late:?}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn theory_edits_recheck_tasks_and_duplicates_mark_both() {
    let (_dir, root) = project(&[TASK, "day-zero-confrontation"]);
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    let theory = root.join(THEORY_PATH);
    let theory_text = std::fs::read_to_string(&theory).unwrap();
    client.open(&theory, &theory_text);
    client.diagnostics(&uri(&theory), Some(1)).await;
    // Rename the beat the task uses: the task (not open) gets an unknown-beat error.
    let renamed = theory_text.replacen("id: road_back", "id: road_bac", 1);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri(&theory), "version": 2}, "contentChanges": [{"text": renamed}]}),
    );
    let task_uri = uri(&root.join(TASK_PATH));
    let d = client
        .wait_for("unknown-beat on the task", |m| {
            m["params"]["uri"] == task_uri.as_str()
                && m["params"]["diagnostics"]
                    .to_string()
                    .contains("unknown-beat")
        })
        .await;
    let related = &d["params"]["diagnostics"][0]["relatedInformation"][0];
    assert!(
        related["location"]["uri"]
            .as_str()
            .unwrap()
            .ends_with(THEORY_PATH)
    );
    // Quick fix on it: the nearest beat.
    let file = root.join(TASK_PATH);
    let text = std::fs::read_to_string(&file).unwrap();
    client.open(&file, &text);
    let diags = client.diagnostics(&task_uri, Some(1)).await;
    let range = diags["diagnostics"][0]["range"].clone();
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": task_uri}, "range": range, "context": {"diagnostics": diags["diagnostics"]}}),
        )
        .await;
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["title"], "replace with `road_bac`");
    assert_eq!(
        fix["edit"]["changes"][task_uri.as_str()][0]["newText"],
        "road_bac"
    );

    // A second task with the same id: both files are marked, each pointing at the other.
    let other = root.join("dataset/tasks/beat_interpolation/day-zero-confrontation.yaml");
    let other_text = std::fs::read_to_string(&other).unwrap();
    let dup = other_text.replacen("id: day-zero-confrontation", &format!("id: {TASK}"), 1);
    client.open(&other, &dup);
    let mine = client
        .wait_for("duplicate on the first task", |m| {
            m["params"]["uri"] == task_uri.as_str()
                && m["params"]["diagnostics"]
                    .to_string()
                    .contains("duplicate-task-id")
        })
        .await;
    assert!(mine.to_string().contains("day-zero-confrontation.yaml"));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_offers_keys_values_theories_and_beats() {
    let support::Opened {
        dir: _dir,
        text,
        uri: u,
        client,
        ..
    } = opened(&[TASK], TASK_PATH).await;
    let labels = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_owned())
            .collect()
    };
    let at = |line: u64, character: u64| json!({"textDocument": {"uri": u}, "position": {"line": line, "character": character}});
    // The target beat: the theory's beat ids.
    let line = line_of(&text, "target: road_back");
    let items = client.request("textDocument/completion", at(line, 8)).await;
    let got = labels(&items);
    assert!(
        got.contains(&"road_back".to_owned()) && got.contains(&"ordinary_world".to_owned()),
        "{got:?}"
    );
    // The theory: theory ids.
    let line = line_of(&text, "theory: heros_journey");
    let got = labels(&client.request("textDocument/completion", at(line, 8)).await);
    assert_eq!(
        got,
        [
            "freytag",
            "heros_journey",
            "save_the_cat",
            "story_circle",
            "three_act"
        ]
    );
    // The type: the enum.
    let line = line_of(&text, "type: beat_interpolation");
    let got = labels(&client.request("textDocument/completion", at(line, 6)).await);
    assert!(got.contains(&"critique_improvement".to_owned()), "{got:?}");
    // A new top-level key: the fields not yet present.
    let typed = format!("{text}\nno");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": u, "version": 2}, "contentChanges": [{"text": typed}]}),
    );
    let last = typed.lines().count() as u64 - 1;
    let got = labels(&client.request("textDocument/completion", at(last, 2)).await);
    assert_eq!(got, ["budget", "rubric"], "the fields not yet present");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_and_refused_runs_get_clear_answers() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": false})).await;
    // An alias bomb and garbage: a diagnostic each, quickly, and the server goes on.
    let bomb = root.join("dataset/tasks/beat_interpolation/bomb.yaml");
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("a{}", i - 1)
        };
        text.push_str(&format!("a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    client.open(&bomb, &text);
    let d = client.diagnostics(&uri(&bomb), Some(1)).await;
    assert_eq!(codes(&d), ["yaml-syntax"], "{d}");
    let junk = root.join("dataset/tasks/beat_interpolation/junk.yaml");
    client.open(&junk, "\u{0}\u{1}: [}{\n\t- :");
    let d = client.diagnostics(&uri(&junk), Some(1)).await;
    assert_eq!(codes(&d), ["yaml-syntax"], "{d}");
    // Hover and completion on broken text answer (from the last good tree, or nothing).
    let r = client
        .call(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&junk)}, "position": {"line": 0, "character": 1}}),
        )
        .await;
    assert!(r.get("error").is_none(), "{r}");
    // Untrusted: runs are refused with a message saying why.
    let message = client.refused_run(TASK, "sim-writer-a").await;
    assert!(message.contains("not trusted"), "{message}");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_key_is_a_message_not_a_failed_run() {
    let (_dir, root) = project(&[TASK]);
    // Enable a real model whose key is not set.
    let config = std::fs::read_to_string(root.join("fabula.yaml")).unwrap();
    std::fs::write(root.join(".env"), "# no keys here\n").unwrap();
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    let model = config
        .lines()
        .find(|l| l.starts_with("  claude-haiku:"))
        .map(|_| "claude-haiku")
        .expect("the repository config names claude-haiku");
    // SAFETY of the test: the variable must be absent for this process.
    assert!(
        std::env::var("OPENROUTER_API_KEY").is_err(),
        "unset OPENROUTER_API_KEY to run this test"
    );
    let message = client.refused_run(TASK, model).await;
    assert!(message.contains("OPENROUTER_API_KEY"), "{message}");
    assert!(message.contains(".env"), "{message}");
    assert!(
        !root.join("results").exists(),
        "a refused run wrote results"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_written_on_disk_refresh_the_lenses() {
    let support::Opened {
        dir: _dir,
        root,
        uri: u,
        client,
        ..
    } = opened(&[TASK], TASK_PATH).await;
    // Another process (here: a second server) writes results.
    let writer = Client::in_process();
    writer.initialize(&root, json!({"trusted": true})).await;
    writer
        .request(
            "workspace/executeCommand",
            json!({"command": "fabula.server.run", "arguments": [{"task": TASK, "model": "sim-writer-b"}]}),
        )
        .await;
    let started = std::time::Instant::now();
    loop {
        let lens = client
            .request("textDocument/codeLens", json!({"textDocument": {"uri": u}}))
            .await;
        let title = lens[0]["command"]["title"].as_str().unwrap().to_owned();
        if title.contains("sim-writer-b") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the lens did not pick up results written on disk: {title}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let asked = client
        .server_requests
        .lock()
        .unwrap()
        .iter()
        .any(|r| r["method"] == "workspace/codeLens/refresh");
    assert!(asked, "the client was not asked to refresh its lenses");
    writer.shutdown().await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_inside_a_long_file_are_diagnosed_where_they_are() {
    let (_dir, root) = project(&[]);
    let file = root.join("dataset/tasks/sequence/seq-long.yaml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let text = support::sequence_task("seq-long", 2_000);
    assert!(text.len() > 100_000);
    std::fs::write(&file, &text).unwrap();
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    client.open(&file, &text);
    let u = uri(&file);
    assert_eq!(
        codes(&client.diagnostics(&u, Some(1)).await),
        Vec::<String>::new()
    );
    // Misspell a criterion in step 1500, then type into step 10's brief above it (the
    // finding moves down a line), then fix the criterion.
    let criteria = line_of(&text, "Write entry 1500 ") + 1;
    let at = |line: u64, from: u64, to: u64, new: &str| json!({"range": {"start": {"line": line, "character": from}, "end": {"line": line, "character": to}}, "text": new});
    let edits = [
        at(criteria, 26, 33, "imagry"),
        at(
            line_of(&text, "Write entry 10 "),
            6,
            6,
            "First, a line.\n      ",
        ),
        at(criteria + 1, 26, 32, "imagery"),
    ];
    let mut found = Vec::new();
    for (v, change) in edits.into_iter().enumerate() {
        let version = v as i64 + 2;
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": u, "version": version}, "contentChanges": [change]}),
        );
        found.push(client.diagnostics(&u, Some(version)).await);
    }
    for (step, line) in [(0, criteria), (1, criteria + 1)] {
        let d = &found[step]["diagnostics"];
        assert_eq!(codes(&found[step]), ["invalid-value"], "{d}");
        assert_eq!(d[0]["range"]["start"]["line"], line, "{d}");
        assert!(d[0]["message"].as_str().unwrap().contains("imagry"), "{d}");
    }
    assert_eq!(codes(&found[2]), Vec::<String>::new(), "{}", found[2]);
    client.shutdown().await;
}
