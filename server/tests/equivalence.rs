//! The editor shows what `fabula check` prints: for every fixture of the core's harness,
//! for the whole dataset, and after random edits, the server's published diagnostics
//! equal those of the CLI's path (the project read from disk by the shared loader, every
//! file checked against the whole workspace) — same codes, same ranges, same messages.
//!
//! The server checks each file against only the documents its checks declare they read;
//! this is the test that the slice is enough.

mod support;

use fabula_core::text::LineIndex;
use fabula_lsp::position::{Encoding, Positions};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::{Client, repo, uri};

/// One diagnostic as compared: code, LSP range (UTF-16), message.
type Seen = (String, Value, String);

/// What `fabula check` reports for every file of the project at `root`, by URI.
fn cli(root: &Path, overrides: &[(&str, &str)]) -> BTreeMap<String, Vec<Seen>> {
    let mut docs =
        fabula_engine::project::load(&fabula_engine::project::project_files(root).unwrap());
    for (path, text) in overrides {
        docs.retain(|d| d.path != *path);
        docs.push(fabula_core::document::Document::from_bytes(
            path,
            text.as_bytes(),
        ));
    }
    let ws = fabula_core::workspace::Workspace::new(docs);
    let mut out = BTreeMap::new();
    for doc in ws.documents() {
        let lines = LineIndex::new(&doc.text);
        let positions = Positions {
            text: &doc.text,
            lines: &lines,
            encoding: Encoding::Utf16,
        };
        let seen = fabula_core::check::diagnostics(&ws, doc)
            .into_iter()
            .map(|d| {
                let range = serde_json::to_value(positions.range(d.range)).unwrap();
                (d.code.to_owned(), range, d.message)
            })
            .collect();
        out.insert(uri(&root.join(&doc.path)), seen);
    }
    out
}

/// The diagnostics of a `publishDiagnostics` notification.
fn seen(params: &Value) -> Vec<Seen> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["range"].clone(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Takes publications until the latest of each file equals `want` (or fails with the
/// difference after a while).
async fn settle(
    client: &Client,
    published: &mut BTreeMap<String, Vec<Seen>>,
    want: &BTreeMap<String, Vec<Seen>>,
    what: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let drained: Vec<Value> = client.notifications.lock().unwrap().drain(..).collect();
        for n in drained {
            if n["method"] == "textDocument/publishDiagnostics" {
                let u = n["params"]["uri"].as_str().unwrap().to_owned();
                published.insert(u, seen(&n["params"]));
            }
        }
        let got: BTreeMap<String, Vec<Seen>> = want
            .keys()
            .map(|k| (k.clone(), published.get(k).cloned().unwrap_or_default()))
            .collect();
        let all_in = want.keys().all(|k| published.contains_key(k));
        if all_in && &got == want {
            return;
        }
        if Instant::now() > deadline {
            for (k, w) in want {
                assert_eq!(got.get(k), Some(w), "{what}: {k}");
            }
            panic!("{what}: not every file was published");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The files of a fixture of the core's harness, annotations removed.
fn fixture_parts(text: &str) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("# === path: ").or_else(|| {
            parts
                .is_empty()
                .then(|| line.strip_prefix("# path: "))
                .flatten()
        }) {
            parts.push((path.trim().to_owned(), String::new()));
            continue;
        }
        let t = line.trim_start();
        let annotation = t.strip_prefix('#').is_some_and(|rest| {
            let rest = rest.trim_start();
            (rest.starts_with('^') || t.starts_with("#<")) && rest.contains('[')
        });
        if let Some((_, body)) = parts.last_mut()
            && !annotation
        {
            body.push_str(line);
            body.push('\n');
        }
    }
    parts
}

fn fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![repo().join("runner/core/tests/fixtures")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_gets_the_same_diagnostics_as_fabula_check() {
    let all = fixtures();
    assert!(all.len() > 40, "fixtures found: {}", all.len());
    for fixture in all {
        let dir = support::tempdir::Dir::new();
        let root = dir.path();
        let theories = root.join("dataset/theories");
        std::fs::create_dir_all(&theories).unwrap();
        for e in std::fs::read_dir(repo().join("dataset/theories")).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, theories.join(p.file_name().unwrap())).unwrap();
        }
        for (path, body) in fixture_parts(&std::fs::read_to_string(&fixture).unwrap()) {
            let at = root.join(&path);
            std::fs::create_dir_all(at.parent().unwrap()).unwrap();
            std::fs::write(at, body).unwrap();
        }
        let want = cli(root, &[]);
        let client = Client::in_process();
        client.initialize(root, json!({})).await;
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        settle(&client, &mut BTreeMap::new(), &want, &name).await;
        client.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dataset_gets_the_same_diagnostics_as_fabula_check() {
    let (_dir, root) = support::repository_copy();
    let want = cli(&root, &[]);
    assert!(want.len() > 40);
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    settle(&client, &mut BTreeMap::new(), &want, "dataset").await;
    client.shutdown().await;
}

/// A small deterministic generator (xorshift): the same edits on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A random edit of `text`: a typo, a deleted span, a pasted YAML fragment, a changed
/// indentation; it may break the file at any layer.
fn edit(text: &str, rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "x",
        " ",
        ":",
        "\n",
        "- ",
        "#",
        "  ",
        "'",
        "{",
        "]",
        "road_bak",
        "three_act",
        "\n  - id: extra\n",
        "beats: [a, b]\n",
        "0",
        "-1",
    ];
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + rng.below(12)).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..at]);
    match rng.below(3) {
        0 => {}
        _ => out.push_str(PIECES[rng.below(PIECES.len())]),
    }
    out.push_str(&text[end..]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_get_the_same_diagnostics_as_fabula_check() {
    let (_dir, root) = support::repository_copy();
    let client = Client::in_process();
    client.initialize(&root, json!({})).await;
    let mut published = BTreeMap::new();
    settle(
        &client,
        &mut published,
        &cli(&root, &[]),
        "before the edits",
    )
    .await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A task, a theory (its tasks are re-checked) and the configuration.
    for (rel, edits) in [
        (
            "dataset/tasks/beat_interpolation/chasqui-road-back.yaml",
            40,
        ),
        ("dataset/theories/three_act.yaml", 25),
        ("fabula.yaml", 15),
    ] {
        let file = root.join(rel);
        let original = std::fs::read_to_string(&file).unwrap();
        let mut text = original.clone();
        client.open(&file, &text);
        for version in 2..(edits + 2) {
            // Every few edits, start again from the file as it was, so that the edits
            // do not just pile up into noise.
            text = if version % 8 == 0 {
                original.clone()
            } else {
                edit(&text, &mut rng)
            };
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri(&file), "version": version},
                       "contentChanges": [{"text": text}]}),
            );
            let want = cli(&root, &[(rel, &text)]);
            settle(&client, &mut published, &want, &format!("{rel} v{version}")).await;
        }
        // Back to the disk's text before the next file.
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri(&file), "version": edits + 2},
                   "contentChanges": [{"text": original}]}),
        );
        settle(
            &client,
            &mut published,
            &cli(&root, &[]),
            &format!("{rel} restored"),
        )
        .await;
    }
    client.shutdown().await;
}
