//! Keeping the editor's copy of the results store current: read in full (in parallel,
//! summaries only) when the server starts, then one record folder (`<model>/<task>/`) at
//! a time as files change, so a `fabula run` writing thousands of records into an open
//! workspace costs the server a few small reads per batch, not a reload of the store. What
//! is read goes to the change loop as a [`crate::store::Update`].
//!
//! Links are never followed: the store's reader skips them, and a folder reached through
//! one is not read.

use crate::changes::Change;
use crate::ls::Ls;
use crate::store::{Update, parent};
use fabula_engine::store::{HISTORY, Loaded, Store};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads the whole store (at start) and queues it for the change loop.
pub async fn load_all(ls: &Arc<Ls>) {
    let Some(root) = ls.state.root() else { return };
    let results_root = root.join("results");
    let started = std::time::Instant::now();
    let read = tokio::task::spawn_blocking(move || {
        if is_link(&results_root) {
            tracing::warn!(
                "{} is a symbolic link: not read (links inside a project are never followed)",
                results_root.display()
            );
            return (results_root, Loaded::default());
        }
        let loaded = Store::new(&results_root).load();
        (results_root, loaded)
    })
    .await;
    match read {
        Ok((root, loaded)) => {
            tracing::debug!(
                "results: {} generations, {} evaluations, {} unreadable files, {} ms",
                loaded.generations.len(),
                loaded.evaluations.len(),
                loaded.problems.len(),
                started.elapsed().as_millis()
            );
            ls.change(Change::Results(Update::All { root, loaded }));
        }
        Err(err) => tracing::error!("cannot read results: {err}"),
    }
}

/// `loaded` (read from a folder under `results/`) without what sits in a record folder's
/// `history/`: superseded records are never counted (the whole store's read skips them).
fn without_history(dir: &Path, mut loaded: Loaded) -> Loaded {
    let current = |p: &PathBuf| {
        !p.strip_prefix(dir)
            .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == HISTORY))
    };
    loaded.generations.retain(|(p, _)| current(p));
    loaded.evaluations.retain(|(p, _)| current(p));
    loaded.pairwise.retain(|(p, _)| current(p));
    loaded.rankings.retain(|(p, _)| current(p));
    loaded.problems.retain(|(p, _)| current(p));
    loaded
}

/// Re-reads the record folders that hold `paths` (changed files or folders under
/// `results/`) and queues them for the change loop.
pub async fn changed(ls: &Arc<Ls>, paths: Vec<PathBuf>) {
    let Some(root) = ls.state.root() else { return };
    let results_root = root.join("results");
    let read = tokio::task::spawn_blocking(move || {
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
        for path in paths {
            let dir = if path.extension().is_some_and(|e| e == "json") || path.is_file() {
                parent(&path)
            } else {
                path
            };
            // A record folder is `<model>/<task>`: a change deeper down (its `history/`)
            // is a change of that folder.
            if let Ok(rel) = dir.strip_prefix(&results_root) {
                // `fabula run --batch`'s batch files are no records.
                if rel.starts_with(fabula_engine::batch::LEDGER_DIR) {
                    continue;
                }
                let folder: PathBuf = rel.components().take(2).collect();
                dirs.insert(results_root.join(folder));
            }
        }
        // A folder under another that is read anyway adds nothing.
        let mut kept: Vec<PathBuf> = Vec::new();
        for dir in dirs {
            if !kept.iter().any(|k| dir.starts_with(k)) {
                kept.push(dir);
            }
        }
        kept.into_iter()
            .map(|dir| {
                let loaded = if through_link(&results_root, &dir) {
                    tracing::warn!(
                        "{} is reached through a symbolic link: not read",
                        dir.display()
                    );
                    Loaded::default()
                } else {
                    without_history(&dir, Store::new(&dir).load())
                };
                (dir, loaded)
            })
            .collect::<Vec<_>>()
    })
    .await;
    match read {
        Ok(folders) if !folders.is_empty() => {
            ls.change(Change::Results(Update::Folders(folders)));
        }
        Ok(_) => {}
        Err(err) => tracing::error!("cannot read results: {err}"),
    }
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Whether `dir`, or a folder between `root` and it, is a symbolic link.
fn through_link(root: &Path, dir: &Path) -> bool {
    let Ok(rel) = dir.strip_prefix(root) else {
        return true;
    };
    let mut at = root.to_path_buf();
    if is_link(&at) {
        return true;
    }
    for part in rel.components() {
        at.push(part);
        if is_link(&at) {
            return true;
        }
    }
    false
}

/// Asks the client to re-request code lenses (scores changed), when it can.
pub async fn refresh_lenses(ls: &Arc<Ls>) {
    if ls.state.session().code_lens_refresh {
        let _ = ls.client.code_lens_refresh().await;
    }
}
