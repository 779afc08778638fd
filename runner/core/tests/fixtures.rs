//! The data-driven harness: every file under `tests/fixtures/` is a small project file
//! with its expected diagnostics written as comments under the lines they point at.
//!
//! ```yaml
//! # path: dataset/tasks/beat_interpolation/bi-typo.yaml
//! target: brake_into_two
//! #       ^^^^^^^^^^^^^^ error[unknown-beat]: `brake_into_two` is not a beat of …
//! ```
//!
//! Carets mark the first line of the range; `#<<` marks a range starting at column 0
//! (one `<` per character). A fixture may hold several files, each starting with a line
//! `# === path: <path>`. The shipped theories are loaded for context.
//!
//! Run with `FABULA_BLESS=1` to rewrite the annotations from what the checks report now;
//! review the diff before committing.

use fabula_core::check::{self, CHECKS, LOAD_CODES};
use fabula_core::diagnostic::Diagnostic;
use fabula_core::document::Document;
use fabula_core::schema::SchemaKind;
use fabula_core::text::LineIndex;
use fabula_core::workspace::Workspace;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![fixture_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// One file of a fixture: its virtual path and its text without annotation lines.
struct Part {
    path: String,
    /// Original lines, annotations included, for blessing.
    lines: Vec<String>,
}

fn is_annotation(line: &str) -> bool {
    let t = line.trim_start();
    let Some(rest) = t.strip_prefix('#') else {
        return false;
    };
    let rest = rest.trim_start();
    (rest.starts_with('^') || t.starts_with("#<")) && rest.contains('[')
}

fn split_parts(text: &str, fixture: &Path) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("# === path: ") {
            parts.push(Part {
                path: path.trim().to_owned(),
                lines: Vec::new(),
            });
            continue;
        }
        if parts.is_empty() {
            let path = line.strip_prefix("# path: ").unwrap_or_else(|| {
                panic!(
                    "{}: first line must be `# path: …` or `# === path: …`",
                    fixture.display()
                )
            });
            parts.push(Part {
                path: path.trim().to_owned(),
                lines: vec![line.to_owned()],
            });
            continue;
        }
        parts.last_mut().unwrap().lines.push(line.to_owned());
    }
    parts
}

impl Part {
    fn source(&self) -> String {
        let mut s = String::new();
        for line in self.lines.iter().filter(|l| !is_annotation(l)) {
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

/// A diagnostic as an annotation sees it: line, start column, width on its first line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Mark {
    line: usize,
    col: usize,
    width: usize,
    text: String,
}

fn marks_of(source: &str, diagnostics: &[Diagnostic]) -> Vec<Mark> {
    let index = LineIndex::new(source);
    let mut marks: Vec<Mark> = diagnostics
        .iter()
        .map(|d| {
            let start = index.line_col(d.range.start);
            let end = index.line_col(d.range.end);
            let line_len = index.line_range(start.line, source).len();
            let end_col = if end.line == start.line {
                end.col
            } else {
                line_len
            };
            Mark {
                line: start.line as usize,
                col: start.col as usize,
                width: (end_col.saturating_sub(start.col) as usize).max(1),
                text: format!("{}[{}]: {}", d.severity.as_str(), d.code, d.message),
            }
        })
        .collect();
    marks.sort();
    marks
}

/// Expected marks from annotation comments.
fn expected_marks(part: &Part) -> Vec<Mark> {
    let mut marks = Vec::new();
    let mut source_line: Option<usize> = None;
    let mut count = 0usize;
    for line in &part.lines {
        if !is_annotation(line) {
            source_line = Some(count);
            count += 1;
            continue;
        }
        let target = source_line.expect("an annotation needs a line above it");
        let hash = line.find('#').unwrap();
        let after = &line[hash + 1..];
        let (col, width, rest) = if let Some(stripped) = after.strip_prefix('<') {
            let width = 1 + stripped.chars().take_while(|c| *c == '<').count();
            (0, width, &after[width..])
        } else {
            let col = line.find('^').unwrap();
            let width = line[col..].chars().take_while(|c| *c == '^').count();
            (col, width, &line[col + width..])
        };
        marks.push(Mark {
            line: target,
            col,
            width,
            text: rest.trim().to_owned(),
        });
    }
    marks.sort();
    marks
}

fn annotate(part: &Part, marks: &[Mark]) -> Vec<String> {
    let mut out = Vec::new();
    for (count, line) in part.lines.iter().filter(|l| !is_annotation(l)).enumerate() {
        out.push(line.clone());
        for m in marks.iter().filter(|m| m.line == count) {
            let mut s = String::new();
            if m.col == 0 {
                let _ = write!(s, "#{} {}", "<".repeat(m.width), m.text);
            } else {
                let _ = write!(
                    s,
                    "#{}{} {}",
                    " ".repeat(m.col - 1),
                    "^".repeat(m.width),
                    m.text
                );
            }
            out.push(s);
        }
    }
    out
}

fn theories() -> Vec<Document> {
    let dir = repo_root().join("dataset/theories");
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        let name = format!(
            "dataset/theories/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        docs.push(Document::from_bytes(&name, &std::fs::read(&path).unwrap()));
    }
    docs
}

/// Runs one fixture; returns (expected codes seen, failures).
fn run_fixture(file: &Path, bless: bool) -> (BTreeSet<String>, Vec<String>) {
    let text = std::fs::read_to_string(file).unwrap();
    let parts = split_parts(&text, file);
    let mut docs = theories();
    let fixture_paths: BTreeSet<&str> = parts.iter().map(|p| p.path.as_str()).collect();
    docs.retain(|d| !fixture_paths.contains(d.path.as_str()));
    for part in &parts {
        docs.push(Document::load(&part.path, &part.source()));
    }
    let ws = Workspace::new(docs);
    let mut failures = Vec::new();
    let mut codes = BTreeSet::new();
    let mut blessed = String::new();
    for (i, part) in parts.iter().enumerate() {
        let source = part.source();
        let doc = ws.document(&part.path).unwrap();
        let actual = marks_of(&source, &check::diagnostics(&ws, doc));
        let expected = expected_marks(part);
        for m in &expected {
            if let Some(code) = m.text.split('[').nth(1).and_then(|s| s.split(']').next()) {
                codes.insert(code.to_owned());
            }
        }
        if actual != expected {
            failures.push(format!(
                "{} ({}):\n  expected: {expected:#?}\n  actual:   {actual:#?}",
                file.display(),
                part.path
            ));
        }
        if parts.len() > 1 || i > 0 {
            let _ = writeln!(blessed, "# === path: {}", part.path);
        }
        for line in annotate(part, &actual) {
            blessed.push_str(&line);
            blessed.push('\n');
        }
    }
    if bless && !failures.is_empty() {
        std::fs::write(file, blessed).unwrap();
    }
    (codes, failures)
}

#[test]
fn fixtures_report_exactly_the_annotated_diagnostics() {
    let bless = std::env::var_os("FABULA_BLESS").is_some();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let files = fixture_files();
    assert!(files.len() > 20, "fixtures missing: {}", files.len());
    for file in &files {
        let (codes, f) = run_fixture(file, bless);
        seen.extend(codes);
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ (FABULA_BLESS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Every check and every load-time code is exercised by at least one fixture, except
    // the few that need bytes a text fixture cannot hold (tested in bad_input.rs) and
    // `schema`, the fallback for keywords our own schemas do not use.
    let elsewhere = ["unreadable", "invalid-utf8", "file-too-large", "schema"];
    for code in CHECKS
        .iter()
        .map(|c| c.code)
        .chain(LOAD_CODES.iter().map(|(c, _)| *c))
    {
        if elsewhere.contains(&code) {
            continue;
        }
        assert!(seen.contains(code), "no fixture expects `{code}`");
    }
}

/// Validation keywords: each needs a fixture `fixtures/schema/<keyword>.yaml`.
const VALIDATION_KEYWORDS: &[&str] = &[
    "type",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "if",
    "then",
    "else",
    "not",
    "$ref",
    "allOf",
    "items",
    "properties",
    "default",
];

#[test]
fn every_schema_keyword_used_has_a_fixture() {
    let mut used = BTreeSet::new();
    for kind in SchemaKind::ALL {
        let schema: serde_json::Value = serde_json::from_str(kind.source()).unwrap();
        collect_keywords(&schema, &mut used);
    }
    let annotations = ["$schema", "$id", "$defs", "title", "description"];
    for keyword in &used {
        if annotations.contains(&keyword.as_str()) {
            continue;
        }
        assert!(
            VALIDATION_KEYWORDS.contains(&keyword.as_str()),
            "schema keyword `{keyword}` is used but not listed in VALIDATION_KEYWORDS"
        );
        let fixture = fixture_dir()
            .join("schema")
            .join(format!("{}.yaml", keyword.trim_start_matches('$')));
        assert!(
            fixture.is_file(),
            "schema keyword `{keyword}` has no fixture {}",
            fixture.display()
        );
    }
}

fn collect_keywords(schema: &serde_json::Value, out: &mut BTreeSet<String>) {
    let serde_json::Value::Object(map) = schema else {
        return;
    };
    for (key, value) in map {
        out.insert(key.clone());
        match key.as_str() {
            // Maps from names to schemas.
            "properties" | "$defs" => {
                for sub in value.as_object().into_iter().flat_map(|m| m.values()) {
                    if let serde_json::Value::Object(inner) = sub
                        && key == "$defs"
                        && !inner.contains_key("type")
                        && inner.values().all(|v| v.is_object())
                        && !inner.contains_key("required")
                        && !inner.contains_key("properties")
                        && !inner.contains_key("description")
                    {
                        // A group of definitions (`$defs/is`).
                        for v in inner.values() {
                            collect_keywords(v, out);
                        }
                    } else {
                        collect_keywords(sub, out);
                    }
                }
            }
            "allOf" => {
                for sub in value.as_array().into_iter().flatten() {
                    collect_keywords(sub, out);
                }
            }
            "enum" | "const" | "required" | "default" => {}
            _ => collect_keywords(value, out),
        }
    }
}
