//! Loading a project from disk for a run: `fabula.yaml` and every YAML file under
//! `dataset/`, as one workspace. Unreadable files become documents with an `unreadable`
//! diagnostic, as in `fabula check`; nothing here fails on bad content.

use fabula_core::document::{Document, Model};
use fabula_core::workspace::Workspace;
use std::path::Path;

/// Loads the project rooted at `root`.
pub fn load(root: &Path) -> Workspace {
    let mut files = vec![root.join("fabula.yaml")];
    let mut stack = vec![root.join("dataset")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let docs = files
        .iter()
        .map(|f| {
            let name = f
                .strip_prefix(root)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/");
            match std::fs::read(f) {
                Ok(bytes) => Document::from_bytes(&name, &bytes),
                Err(e) => Document::unreadable(&name, &format!("cannot read: {e}")),
            }
        })
        .collect();
    Workspace::new(docs)
}

/// The slop phrases of the project (`dataset/slop.yaml`), empty when it has none.
pub fn slop(ws: &Workspace) -> Vec<String> {
    ws.documents()
        .iter()
        .find_map(|d| match &d.model {
            Some(Model::Slop(s)) => Some(s.phrases.clone()),
            _ => None,
        })
        .unwrap_or_default()
}
