//! Hostile and broken input: loading and checking never panic or hang, always report a
//! position, and keep memory bounded.

use fabula_core::check;
use fabula_core::document::Document;
use fabula_core::syntax::MAX_FILE_BYTES;
use fabula_core::text::LineIndex;
use fabula_core::workspace::Workspace;

const TASK: &str = "dataset/tasks/beat_interpolation/t.yaml";

/// Loads `bytes` as a task in an otherwise empty workspace; returns (code, line) pairs.
fn check_bytes(bytes: &[u8]) -> Vec<(&'static str, u32)> {
    let doc = Document::from_bytes(TASK, bytes);
    let ws = Workspace::new(vec![doc]);
    let doc = &ws.documents()[0];
    let index = LineIndex::new(&doc.text);
    check::diagnostics(&ws, doc)
        .into_iter()
        .map(|d| {
            assert!(
                d.range.end as usize <= doc.text.len().max(1),
                "range past the end: {d:?}"
            );
            (d.code, index.line_col(d.range.start).line + 1)
        })
        .collect()
}

fn codes(found: &[(&'static str, u32)]) -> Vec<&'static str> {
    found.iter().map(|(c, _)| *c).collect()
}

#[test]
fn syntax_errors_name_the_line() {
    let found = check_bytes(b"id: x\ntitle: \"unclosed\ntheory: three_act\n");
    assert_eq!(codes(&found), ["yaml-syntax"]);
    let found = check_bytes(b"id: x\nsteps:\n\t- tab\n");
    assert_eq!(found, [("yaml-syntax", 3)]);
    let found = check_bytes(b"id: x\nid: y\n");
    assert_eq!(found, [("yaml-syntax", 2)]);
    let found = check_bytes(b"a: [1, 2\nb: 3\n");
    assert_eq!(codes(&found), ["yaml-syntax"]);
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    let found = check_bytes(text.as_bytes());
    assert_eq!(codes(&found), ["yaml-syntax"]);
    // Generous: a bound on work, not a benchmark. Expanding the bomb would take minutes.
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let flow = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_eq!(codes(&check_bytes(flow.as_bytes())), ["yaml-syntax"]);
    let mapping = "{a: ".repeat(10_000) + &"}".repeat(10_000);
    assert_eq!(codes(&check_bytes(mapping.as_bytes())), ["yaml-syntax"]);
    let block: String = (0..2_000)
        .map(|i| format!("{}- \n", " ".repeat(i * 2)))
        .collect();
    let _ = check_bytes(block.as_bytes());
}

#[test]
fn huge_file_is_refused_by_size() {
    let mut big = String::from("id: big\nnotes: |\n");
    while big.len() <= MAX_FILE_BYTES + 10 {
        big.push_str("  a line of notes that goes on and on for a while\n");
    }
    assert_eq!(check_bytes(big.as_bytes()), [("file-too-large", 1)]);
}

#[test]
fn ten_megabyte_file_keeps_only_a_head_in_memory() {
    let big = vec![b'a'; 10 * 1024 * 1024];
    let doc = Document::from_bytes(TASK, &big);
    assert!(doc.text.len() <= 4096);
    assert_eq!(doc.diagnostics[0].code, "file-too-large");
}

#[test]
fn binary_garbage_and_invalid_utf8_are_diagnostics() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let found = check_bytes(&garbage);
    assert!(
        matches!(codes(&found)[..], ["invalid-utf8"] | ["yaml-syntax"]),
        "{found:?}"
    );
    let found = check_bytes(b"id: x\ntitle: caf\xe9\n");
    assert_eq!(found, [("invalid-utf8", 2)]);
    let found = check_bytes(b"id: x\0\n");
    assert_eq!(found, [("yaml-syntax", 1)]);
}

#[test]
fn bom_and_crlf_are_ordinary() {
    let text = "\u{feff}id: t\r\ntype: beat_interpolation\r\ntitle: T\r\ntheory: nope\r\nwords: {min: 1, max: 2}\r\n";
    let found = check_bytes(text.as_bytes());
    // Schema errors (missing fields) are reported at real positions, after the BOM.
    assert!(
        found.iter().all(|(c, _)| *c == "missing-field"),
        "{found:?}"
    );
    let doc = Document::from_bytes(TASK, text.as_bytes());
    let spans = doc.spans().unwrap();
    let range = spans.value_range(&fabula_core::path!["theory"]);
    assert_eq!(&doc.text[range.as_usize()], "nope");
}

#[test]
fn empty_and_blank_files() {
    assert_eq!(check_bytes(b""), [("empty-file", 1)]);
    assert_eq!(check_bytes(b"\n\n   \n"), [("empty-file", 1)]);
    assert_eq!(check_bytes(b"# only a comment\n"), [("empty-file", 1)]);
    assert_eq!(check_bytes(b"---\n"), [("empty-file", 1)]);
}

#[test]
fn a_second_document_is_an_error_not_ignored() {
    let found = check_bytes(b"id: a\n---\nid: b\n");
    assert_eq!(codes(&found), ["yaml-syntax"]);
}

#[test]
fn random_mutations_of_a_valid_task_never_panic() {
    let base = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/checks/unknown-beat.yaml"
    ))
    .unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2_000 {
        let mut bytes = base.clone();
        for _ in 0..(next() % 6 + 1) {
            let at = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[at] = next() as u8,
                1 => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, b"\t\n:-[{&*!|>'\"#"[(next() % 14) as usize]),
                _ => bytes.truncate(at),
            }
            if bytes.is_empty() {
                break;
            }
        }
        let _ = check_bytes(&bytes);
    }
}

/// The message of the one diagnostic loading `text` gives.
fn message_of(text: &str) -> String {
    let doc = Document::load(TASK, text);
    assert_eq!(doc.diagnostics.len(), 1, "{:?}", doc.diagnostics);
    doc.diagnostics[0].message.clone()
}

#[test]
fn every_budget_has_one_friendly_message() {
    // Nesting past the limit, in each way YAML can nest: the same sentence for all.
    let depth = 60;
    let flow_seq = "[".repeat(depth) + &"]".repeat(depth);
    let flow_map = "{a: ".repeat(depth) + &"}".repeat(depth);
    let block_seq: String = (0..depth)
        .map(|i| format!("{}-\n", " ".repeat(i * 2)))
        .collect();
    let block_map: String = (0..depth)
        .map(|i| format!("{}k:\n", " ".repeat(i * 2)))
        .collect();
    let nested = "nesting is too deep; Fabula reads at most 48 levels";
    for text in [&flow_seq, &flow_map, &block_seq, &block_map] {
        assert_eq!(message_of(text), nested, "{}", &text[..40]);
    }
    // Other budgets: a plain sentence, never a Rust debug string.
    let many_aliases: String = std::iter::once("a: &a x\n".to_owned())
        .chain((0..1_100).map(|i| format!("k{i}: *a\n")))
        .collect();
    let many_nodes = format!("[{}]", vec!["x"; 1_000_001].join(","));
    for text in [many_aliases, many_nodes] {
        let message = message_of(&text);
        assert!(
            !message.contains('{') && !message.contains("budget breached"),
            "{message}"
        );
        assert!(message.contains("Fabula"), "{message}");
    }
}

#[test]
fn the_size_message_does_not_depend_on_how_much_was_read() {
    // The CLI reads a file up to one byte past the limit; an editor sends all of it. Both
    // must say the same thing.
    let capped = vec![b'a'; MAX_FILE_BYTES + 1];
    let whole = vec![b'a'; MAX_FILE_BYTES + 4096];
    let a = Document::from_bytes(TASK, &capped);
    let b = Document::from_bytes(TASK, &whole);
    assert_eq!(a.diagnostics[0].message, b.diagnostics[0].message);
    assert_eq!(
        a.diagnostics[0].message,
        "file is larger than 8 MiB; Fabula reads YAML files up to 8 MiB"
    );
}
