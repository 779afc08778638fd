//! Watching the disk: `fabula.yaml`, `dataset/` and `results/`. A `fabula run` in a
//! terminal writes result files; the editor's scores follow within a fraction of a
//! second. Events are gathered for a short moment, then applied together: project files
//! through the change loop, record folders through [`crate::results::changed`].
//!
//! Symbolic links are never followed: a link inside `results/` or `dataset/` (git and
//! `cp -a` keep them) could point anywhere, and a link to `/usr` would cost thousands of
//! inotify watches. Each link found at start is logged once; a linked `dataset/` or
//! `results/` itself is not watched.

use crate::changes::Change;
use crate::ls::Ls;
use crate::state::lock;
use notify::{RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long events are gathered before they are applied.
const SETTLE: Duration = Duration::from_millis(100);

/// Links reported at start, at most (a copied store could hold thousands).
const MAX_REPORTED_LINKS: usize = 20;

pub fn start(ls: &Arc<Ls>) {
    let Some(root) = ls.state.root() else { return };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let handler = move |event: notify::Result<notify::Event>| {
        // Only changes: reading a file is an event too, and reading results reads every
        // result file; reacting to reads would reload forever.
        if let Ok(event) = event
            && !matches!(
                event.kind,
                notify::EventKind::Access(_) | notify::EventKind::Other
            )
        {
            for path in event.paths {
                let _ = tx.send(path);
            }
        }
    };
    let config = notify::Config::default().with_follow_symlinks(false);
    let mut watcher = match notify::RecommendedWatcher::new(handler, config) {
        Ok(w) => w,
        Err(err) => {
            tracing::warn!("cannot watch files: {err}");
            return;
        }
    };
    let _ = watcher.watch(&root, RecursiveMode::NonRecursive);
    for dir in ["dataset", "results"] {
        watch_folder(&mut watcher, &root.join(dir));
    }
    *lock(&ls.watcher) = Some(watcher);
    let report_root = root.clone();
    tokio::task::spawn_blocking(move || report_links(&report_root));
    let ls = ls.clone();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut paths = vec![first];
            tokio::time::sleep(SETTLE).await;
            while let Ok(p) = rx.try_recv() {
                paths.push(p);
            }
            changed(&ls, paths);
        }
    });
}

/// Watches a folder and everything under it, unless it is itself a link.
fn watch_folder(watcher: &mut notify::RecommendedWatcher, dir: &Path) {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => tracing::warn!(
            "{} is a symbolic link: not watched (links inside a project are never followed)",
            dir.display()
        ),
        Ok(m) if m.is_dir() => {
            if let Err(err) = watcher.watch(dir, RecursiveMode::Recursive) {
                tracing::warn!("cannot watch {}: {err}", dir.display());
            }
        }
        _ => {}
    }
}

/// Applies changes to these paths: project files are re-read by the change loop, record
/// folders under `results/` by [`crate::results::changed`]. A `dataset/` or `results/`
/// folder created after start is watched from then on.
pub fn changed(ls: &Ls, mut paths: Vec<PathBuf>) {
    let Some(root) = ls.state.root() else { return };
    paths.sort();
    paths.dedup();
    let results_root = root.join("results");
    let mut records = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if path == results_root || path == root.join("dataset") {
            if let Some(w) = lock(&ls.watcher).as_mut() {
                watch_folder(w, &path);
            }
            if path != results_root {
                ls.change(Change::Load);
                continue;
            }
        }
        if path.starts_with(&results_root) {
            records.push(path);
        } else if path.starts_with(&root) {
            files.push(path);
        }
    }
    if !files.is_empty() {
        ls.change(Change::Disk(files));
    }
    if !records.is_empty()
        && let Ok(handle) = tokio::runtime::Handle::try_current()
        && let Some(ls) = ls.shared()
    {
        handle.spawn(async move { crate::results::changed(&ls, records).await });
    }
}

/// Logs the symbolic links under `dataset/` and `results/` (without following them).
fn report_links(root: &Path) {
    let mut found = Vec::new();
    for top in ["dataset", "results"] {
        let mut stack = vec![root.join(top)];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                match entry.file_type() {
                    Ok(t) if t.is_symlink() => found.push(entry.path()),
                    Ok(t) if t.is_dir() => stack.push(entry.path()),
                    _ => {}
                }
            }
        }
    }
    for link in found.iter().take(MAX_REPORTED_LINKS) {
        let rel = link.strip_prefix(root).unwrap_or(link);
        tracing::warn!(
            "{} is a symbolic link: not followed (neither read nor watched)",
            rel.display()
        );
    }
    if found.len() > MAX_REPORTED_LINKS {
        tracing::warn!(
            "{} more symbolic links under dataset/ and results/ are not followed either",
            found.len() - MAX_REPORTED_LINKS
        );
    }
}
