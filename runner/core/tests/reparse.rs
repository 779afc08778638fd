//! `Document::reparse` must load exactly what `Document::from_bytes` loads: the same
//! value, model, diagnostics and span tree, whatever the edit. Thousands of random edits
//! (structural characters included) on large documents of varied YAML, each checked
//! against a whole parse, and chains of edits so that errors could accumulate.

use fabula_core::document::Document;
use fabula_core::path::Path;
use fabula_core::syntax::SpanTree;
use fabula_core::syntax::splice;

/// A tiny deterministic generator (xorshift): no dependency, same edits every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A sequence task with `steps` steps, in the shape of the benchmark's.
fn sequence(steps: usize) -> String {
    let mut text = String::from(
        "id: seq-big\ntype: sequence\ntitle: A very long sequence\ntheory: three_act\n\
         words: {min: 300, max: 900}\npremise: A river town keeps a ledger of every flood.\nsteps:\n",
    );
    for i in 0..steps {
        text.push_str(&format!(
            "  - id: step_{i}\n    brief: >\n      Write entry {i} of the flood ledger, in the clerk's voice.\n    criteria: [coherence, imagery]\n"
        ));
    }
    text
}

/// Varied YAML: block scalars of every chomping, quoted and multi-line scalars, flow
/// collections, comments at odd columns, items at their key's column, nested compact
/// sequences, prose that looks like keys and items.
fn varied(blocks: usize) -> String {
    let mut text = String::from("# a test file\nname: varied\nitems:\n");
    for i in 0..blocks {
        text.push_str(&format!(
            "  - id: it_{i}\n    note: |\n      Line one: looks like a key\n      - looks like an item\n\n    keep: |+\n      kept\n\n    strip: >-\n      folded\n      text\n# a comment at column zero\n    quoted: \"a {i}\n      b\"\n    single: 'it''s'\n    flow: {{a: 1, b: [x, y]}}\n    nested:\n    - - a\n      - b\n    - c: d\n      e: f\n    plain: multi\n      line plain\n    empty:\n    num: {i}\n"
        ));
    }
    text.push_str("tail:\n  k: v\n");
    text
}

const PIECES: &[&str] = &[
    "x",
    " ",
    "  ",
    "\n",
    "- ",
    ":",
    ": ",
    "#",
    " #",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "|",
    ">",
    "&a ",
    "*a",
    "!t ",
    "\t",
    "key: v\n",
    "\n  - id: new\n",
    "é",
    "—",
    "---\n",
    "? ",
    "0",
    "null",
    "\r\n",
];

fn edit(rng: &mut Rng, text: &str) -> String {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + rng.below(6)).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let insert = if rng.below(3) == 0 {
        ""
    } else {
        PIECES[rng.below(PIECES.len())]
    };
    let end = if insert.is_empty() {
        end.max(at)
    } else if rng.below(2) == 0 {
        at
    } else {
        end
    };
    format!("{}{}{}", &text[..at], insert, &text[end..])
}

/// Every node of a span tree, in document order, as comparable text.
fn dump(tree: &SpanTree) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![Path::root()];
    while let Some(path) = stack.pop() {
        let (node, _) = tree.find(&path);
        out.push(format!(
            "{path}: {:?} {:?} {:?}",
            node.key, node.value, node.kind
        ));
        let children = tree.children(&path);
        for (i, (name, _)) in children.iter().enumerate().rev() {
            stack.push(match name {
                Some(k) => path.clone().key(k),
                None => path.clone().index(i),
            });
        }
    }
    out
}

/// Equal dumps, or a message naming the first node that differs.
fn same_spans(a: &SpanTree, b: &SpanTree, context: &str) {
    let (a, b) = (dump(a), dump(b));
    if let Some(i) = (0..a.len().max(b.len())).find(|i| a.get(*i) != b.get(*i)) {
        panic!(
            "spans differ after {context} at node {i}:\n spliced: {:?}\n   whole: {:?}",
            a.get(i),
            b.get(i)
        );
    }
}

fn same(reparsed: &Document, whole: &Document, context: &str) {
    assert_eq!(reparsed.value, whole.value, "value after {context}");
    assert_eq!(reparsed.kind, whole.kind, "kind after {context}");
    assert_eq!(
        format!("{:?}", reparsed.model),
        format!("{:?}", whole.model),
        "model after {context}"
    );
    assert_eq!(
        format!("{:?}", reparsed.diagnostics),
        format!("{:?}", whole.diagnostics),
        "diagnostics after {context}"
    );
}

/// Random edits on `start`, each compared with a whole parse; returns how many took the
/// splice path (so the test knows it tested something).
fn check(path: &str, start: &str, seed: u64, edits: usize) -> usize {
    let mut rng = Rng(seed);
    let mut doc = Document::load(path, start);
    let (mut spliced, mut spans_spliced) = (0, 0);
    for n in 0..edits {
        // Chains of edits from the last reparsed document, restarting now and then.
        if n % 25 == 0 {
            doc = Document::load(path, start);
        }
        if rng.below(2) == 0 {
            let _ = doc.spans();
        }
        let text = edit(&mut rng, &doc.text);
        let context = format!("edit {n} (seed {seed})");
        let whole = Document::load(path, &text);
        if let (Some(old_spans), Some(value)) = (doc.spans(), doc.value.as_ref())
            && let Some(found) = splice::find(&doc.text, &text, value)
        {
            spliced += 1;
            let fragment = SpanTree::parse(&found.text, found.fragment.start);
            // `None` (the old tree lacks the path: tree-sitter recovered from an earlier
            // edit differently) means the document builds its spans whole: also right.
            if let Some(tree) = old_spans.splice(&found, &fragment) {
                spans_spliced += 1;
                let context = format!("{context}, entry {} = {:?}", found.path, found.text);
                same_spans(&tree, whole.spans().expect("whole spans"), &context);
            }
        }
        let next = doc.reparse(text.as_bytes());
        same(&next, &whole, &context);
        if let (Some(a), Some(b)) = (next.spans(), whole.spans()) {
            same_spans(a, b, &context);
        }
        doc = if whole.value.is_some() {
            next
        } else {
            Document::load(path, start)
        };
    }
    assert!(
        spans_spliced * 10 >= spliced * 9,
        "spans spliced for only {spans_spliced} of {spliced} edits"
    );
    spliced
}

#[test]
fn random_edits_on_a_long_sequence_task_match_a_whole_parse() {
    let text = sequence(400);
    assert!(text.len() >= splice::MIN_BYTES);
    let spliced = check(
        "dataset/tasks/sequence/seq-big.yaml",
        &text,
        0x9e37_79b9_7f4a_7c15,
        300,
    );
    assert!(spliced > 150, "only {spliced} edits took the splice path");
}

#[test]
fn random_edits_on_varied_yaml_match_a_whole_parse() {
    let text = varied(120);
    assert!(text.len() >= splice::MIN_BYTES);
    assert!(matches!(
        fabula_core::syntax::parse_value(&text),
        fabula_core::syntax::Parsed::Value(_)
    ));
    let spliced = check("notes/varied.yaml", &text, 0x2545_f491_4f6c_dd1d, 400);
    assert!(spliced > 150, "only {spliced} edits took the splice path");
}

#[test]
fn a_typing_session_stays_on_the_splice_path_and_exact() {
    // Type a sentence into the middle step's brief, one character at a time.
    let path = "dataset/tasks/sequence/seq-big.yaml";
    let mut text = sequence(400);
    let mut doc = Document::load(path, &text);
    let _ = doc.spans();
    let at = text.find("Write entry 200 ").unwrap() + "Write entry 200 ".len();
    for (i, c) in "of the #1 ledger: - it rains".chars().enumerate() {
        text.insert(at + i, c);
        let value = doc.value.as_ref().unwrap();
        assert!(splice::find(&doc.text, &text, value).is_some(), "char {i}");
        doc = doc.reparse(text.as_bytes());
        same(&doc, &Document::load(path, &text), &format!("char {i}"));
    }
}

#[test]
fn small_or_unsafe_documents_are_parsed_whole() {
    let small = "id: a\ntype: sequence\nsteps:\n  - id: s\n    brief: x\n";
    let value = Document::load("t.yaml", small).value.unwrap();
    assert!(splice::find(small, &small.replace("brief: x", "brief: y"), &value).is_some());
    // ...but Document::reparse does not bother below MIN_BYTES, and still agrees.
    let doc = Document::load("t.yaml", small).reparse(small.replace("x", "y").as_bytes());
    assert_eq!(
        doc.value,
        Document::load("t.yaml", &small.replace("x", "y")).value
    );
    // An alias anywhere turns the document's splice path off.
    let aliased = format!("base: &b {{k: 1}}\nuse: *b\n{}", sequence(400));
    let doc = Document::load("dataset/tasks/sequence/a.yaml", &aliased);
    let edited = aliased.replace("Write entry 7 ", "Write entry 77 ");
    same(
        &doc.reparse(edited.as_bytes()),
        &Document::load("dataset/tasks/sequence/a.yaml", &edited),
        "aliased",
    );
}

#[test]
fn edits_of_the_header_comment_move_ranges_and_match_a_whole_parse() {
    // A header of comments and blank lines over a long task with schema findings (so the
    // diagnostics and the span tree have ranges to move).
    let path = "dataset/tasks/sequence/seq-big.yaml";
    let body = sequence(150).replace("criteria: [coherence, imagery]", "criteria: [imagry]");
    let start = format!("# Licence: CC-BY\n#\n\n  # indented note\n{body}");
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let mut moved = 0;
    let mut doc = Document::load(path, &start);
    assert!(!doc.diagnostics.is_empty());
    for n in 0..160 {
        if n % 20 == 0 {
            doc = Document::load(path, &start);
            let _ = doc.spans();
        }
        // An edit inside the first 40 bytes: mostly comments, sometimes the first key.
        let cut = (0..=40)
            .rev()
            .find(|i| doc.text.is_char_boundary(*i))
            .unwrap();
        let text = format!("{}{}", edit(&mut rng, &doc.text[..cut]), &doc.text[cut..]);
        if splice::head_comment_change(&doc.text, &text).is_some() {
            moved += 1;
        }
        let whole = Document::load(path, &text);
        let next = doc.reparse(text.as_bytes());
        let context = format!(
            "header edit {n}: {:?}",
            text.lines().take(5).collect::<Vec<_>>()
        );
        same(&next, &whole, &context);
        if let (Some(a), Some(b)) = (next.spans(), whole.spans()) {
            same_spans(a, b, &context);
        }
        doc = if whole.value.is_some() {
            next
        } else {
            Document::load(path, &start)
        };
    }
    assert!(moved > 50, "only {moved} edits stayed in the comments");
}
