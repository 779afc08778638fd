//! Where the time goes when loading one large task file: `cargo run --release -p
//! fabula-core --example phase_timing`. Prints the median of 9 runs per phase.

use fabula_core::schema::{self, SchemaKind};
use fabula_core::syntax::SpanTree;
use fabula_core::syntax::{Parsed, parse_value};
use std::time::{Duration, Instant};

fn big() -> String {
    let mut text = String::from(
        "id: seq-huge\ntype: sequence\ntitle: A very long sequence\ntheory: three_act\nwords: {min: 300, max: 900}\npremise: A river town.\nsteps:\n",
    );
    for i in 0..5000 {
        text.push_str(&format!(
            "  - id: step_{i}\n    brief: >\n      Write entry {i} of the flood ledger, in the clerk's voice.\n    criteria: [coherence, imagery]\n"
        ));
    }
    text
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let text = big();
    let mut parse = Vec::new();
    let mut spans = Vec::new();
    let mut ts = Vec::new();
    let mut validate = Vec::new();
    let mut load = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        let Parsed::Value(value) = parse_value(&text) else {
            panic!("parse failed")
        };
        parse.push(t.elapsed());
        let t = Instant::now();
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_yaml::LANGUAGE.into())
            .unwrap();
        let raw = parser.parse(&text, None).unwrap();
        ts.push(t.elapsed());
        drop(raw);
        let t = Instant::now();
        let tree = SpanTree::parse(&text, 0);
        spans.push(t.elapsed());
        let t = Instant::now();
        let found = schema::validate(SchemaKind::Task, &value, &tree);
        validate.push(t.elapsed());
        assert!(found.is_empty());
        let t = Instant::now();
        let doc =
            fabula_core::document::Document::load("dataset/tasks/sequence/seq-huge.yaml", &text);
        load.push(t.elapsed());
        assert!(doc.model.is_some());
    }
    let out = format!(
        "{} lines: parse {:?}, tree-sitter alone {:?}, spans {:?}, validate {:?}, whole load {:?}\n",
        text.lines().count(),
        median(parse),
        median(ts),
        median(spans),
        median(validate),
        median(load)
    );
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).unwrap();
}
