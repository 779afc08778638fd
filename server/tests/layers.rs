//! The server's modules form layers (ARCHITECTURE.md, `server/`): each module names only
//! modules of lower layers, so there is no import circle — the dispatcher imports the
//! handlers, the handlers and services import `Ls`, and `Ls` is made of what lies below
//! it. This test fails when a `crate::…` path runs sideways or back up.

use std::path::Path;

/// Every module of `server/src`, by layer, from the bottom. A module may name modules of
/// lower layers only. A new module is added here; a new handler is a file in `handlers/`
/// and needs nothing.
const LAYERS: &[&[&str]] = &[
    // Know nothing of the server.
    &["position", "protocol", "transport", "panic", "logging"],
    // The IDE features in byte offsets (the task hover's links name protocol commands).
    &["ide"],
    &["store"],
    &["db"],
    &["state"],
    // What `Ls` is made of.
    &["changes", "runs"],
    &["ls"],
    // Services, given an `&Ls`.
    &["results"],
    &["publish", "watch", "run"],
    &["ranking", "author"],
    &["handlers"],
    &["server"],
    &["lib", "main"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

#[test]
fn modules_name_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    assert!(
        files.len() > 20,
        "too few files found under {}",
        src.display()
    );
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        let Some(mine) = layer_of(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is in no layer",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for named in named_modules(code) {
                if named == module {
                    continue;
                }
                match layer_of(&named) {
                    Some(theirs) if theirs < mine => {}
                    Some(_) => wrong.push(format!(
                        "{}:{}: `{module}` names `crate::{named}`, which is not below it",
                        rel.display(),
                        n + 1
                    )),
                    None => wrong.push(format!(
                        "{}:{}: `crate::{named}` is in no layer",
                        rel.display(),
                        n + 1
                    )),
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

/// The modules a line names as `crate::name` (grouped `crate::{a, b}` too).
fn named_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                out.push(ident(part.trim()));
            }
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
