//! Where the time goes when an editor changes one character of a large task file:
//! `cargo run --release -p fabula-core --example edit_timing`. For a 20,000-line sequence
//! task, valid and with ~200 schema or semantic findings, an edit at the top (header
//! comment, a top-level scalar), in the middle and at the end: the median of 11 runs of
//! `Document::reparse` and of the checks that follow.

use fabula_core::check;
use fabula_core::document::Document;
use fabula_core::workspace::Workspace;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PATH: &str = "dataset/tasks/sequence/seq-huge.yaml";

fn big(bad: Option<&str>, steps: usize) -> String {
    let mut text = String::from(
        "# A generated task.\nid: seq-huge\ntype: sequence\ntitle: A very long sequence\ntheory: three_act\nwords: {min: 300, max: 900}\npremise: A river town.\nsteps:\n",
    );
    let every = if steps > 1000 { 25 } else { 10 };
    for i in 0..steps {
        let hit = i > 0 && i % every == 0;
        let id = if hit && bad == Some("semantic") {
            i - 1
        } else {
            i
        };
        let criterion = if hit && bad == Some("schema") {
            "imagry"
        } else {
            "imagery"
        };
        text.push_str(&format!(
            "  - id: step_{id}\n    brief: >\n      Write entry {i} of the flood ledger, in the clerk's voice.\n    criteria: [coherence, {criterion}]\n"
        ));
    }
    text
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `edit_timing 1000` for a 1,000-line file; default 20,000 lines.
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let steps = (lines - 8) / 4;
    let mut out = String::new();
    for bad in [None, Some("schema"), Some("semantic")] {
        let text = big(bad, steps);
        let first = Arc::new(Document::load(PATH, &text));
        let ws = Workspace::shared(vec![first.clone()]);
        let findings = check::diagnostics(&ws, &first).len();
        let places = [
            ("comment", text.find("generated").unwrap()),
            ("scalar", text.find("very long").unwrap()),
            (
                "middle",
                text.find(&format!("entry {} ", steps / 2)).unwrap(),
            ),
            ("end", text.find(&format!("entry {} ", steps - 1)).unwrap()),
        ];
        for (name, at) in places {
            let mut doc = first.clone();
            let (mut reparse, mut checks) = (Vec::new(), Vec::new());
            for i in 0..11 {
                let mut new = doc.text.clone();
                if i % 2 == 0 {
                    new.insert(at, 'x');
                } else {
                    new.remove(at);
                }
                let t = Instant::now();
                let next = Arc::new(doc.reparse(new.as_bytes()));
                reparse.push(t.elapsed());
                let t = Instant::now();
                let ws = Workspace::shared(vec![next.clone()]);
                let found = check::diagnostics(&ws, &next);
                checks.push(t.elapsed());
                assert_eq!(found.len(), findings);
                doc = next;
            }
            out.push_str(&format!(
                "{:<8} {name:<8} findings {findings:>3}: reparse {:>10.2?}, checks {:>10.2?}\n",
                bad.unwrap_or("valid"),
                median(reparse),
                median(checks)
            ));
        }
    }
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).unwrap();
}
