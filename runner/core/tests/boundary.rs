//! The pure layers know no protocol and do no IO (ARCHITECTURE.md, "Invariants"): the
//! core, the evaluation layer built on it (`runner/eval`), and the report's renderer
//! (`runner/report`, which the CLI and the language server share). These tests fail the
//! build when a dependency or a call sneaks across that line in any of them.

use std::path::Path;
use std::process::Command;

/// Crates that belong to the edges: LSP, CLI, terminal, HTTP, async runtime, file watching.
const FORBIDDEN: &[&str] = &[
    "tower-lsp-server",
    "tower-lsp",
    "lsp-types",
    "ls-types",
    "clap",
    "reqwest",
    "hyper",
    "tokio",
    "indicatif",
    "comfy-table",
    "crossterm",
    "notify",
    "salsa",
    "fabula-engine",
];

/// The pure crates and their source folders (relative to this crate).
const PURE: &[(&str, &str)] = &[
    ("fabula-core", "src"),
    ("fabula-eval", "../eval/src"),
    ("fabula-report", "../report/src"),
];

#[test]
fn pure_crates_depend_on_no_protocol_or_io_crate() {
    for (krate, _) in PURE {
        depends_on_nothing_forbidden(krate);
    }
}

fn depends_on_nothing_forbidden(krate: &str) {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            krate,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.contains("serde-saphyr"),
        "unexpected cargo tree output:\n{tree}"
    );
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        assert!(
            !FORBIDDEN.contains(&name),
            "{krate} depends on `{name}`:\n{tree}"
        );
    }
}

#[test]
fn pure_sources_do_no_io() {
    let forbidden = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "File::open",
        "println!",
        "eprintln!",
    ];
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack: Vec<_> = PURE.iter().map(|(_, dir)| here.join(dir)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests inside a module may read fixtures; the shipped code may not.
            let shipped = text.split("#[cfg(test)]").next().unwrap_or("");
            for word in forbidden {
                assert!(!shipped.contains(word), "{} uses `{word}`", path.display());
            }
        }
    }
}
