//! Fuzz target: any bytes, loaded as each kind of project file and checked against a
//! workspace with a real theory, must never panic, and every range must lie in the text.
#![no_main]

use fabula_core::check;
use fabula_core::document::Document;
use fabula_core::workspace::Workspace;
use libfuzzer_sys::fuzz_target;

const THEORY: &str = include_str!("../../dataset/theories/three_act.yaml");
const PATHS: [&str; 4] = [
    "dataset/tasks/beat_interpolation/f.yaml",
    "dataset/theories/f.yaml",
    "fabula.yaml",
    "dataset/slop.yaml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let path = PATHS[selector as usize % PATHS.len()];
    let docs = vec![
        Document::load("dataset/theories/three_act.yaml", THEORY),
        Document::from_bytes(path, bytes),
    ];
    let ws = Workspace::new(docs);
    for doc in ws.documents() {
        for d in check::diagnostics(&ws, doc) {
            assert!(d.range.end as usize <= doc.text.len(), "{d:?}");
            assert!(d.range.start <= d.range.end);
        }
    }
});
