//! Watching the disk: `fabula.yaml`, `dataset/` and `results/`. A `fabula run` in a
//! terminal writes result files; the editor's scores follow within a fraction of a
//! second. Events are gathered for a short moment, then applied together.

use crate::server::Ls;
use crate::state::{is_project_file, lock};
use notify::{RecursiveMode, Watcher as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub type Watcher = notify::RecommendedWatcher;

/// How long events are gathered before they are applied.
const SETTLE: Duration = Duration::from_millis(100);

pub fn start(ls: &Arc<Ls>) {
    let Some(root) = ls.state.root() else { return };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let handler = move |event: notify::Result<notify::Event>| {
        // Only changes: reading a file is an event too, and reloading results reads every
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
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(err) => {
            crate::log::warn(format_args!("cannot watch files: {err}"));
            return;
        }
    };
    watch_folders(&mut watcher, &root);
    *lock(&ls.watcher) = Some(watcher);
    let ls = ls.clone();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut paths = vec![first];
            tokio::time::sleep(SETTLE).await;
            while let Ok(p) = rx.try_recv() {
                paths.push(p);
            }
            apply(&ls, paths).await;
        }
    });
}

fn watch_folders(watcher: &mut Watcher, root: &std::path::Path) {
    let _ = watcher.watch(root, RecursiveMode::NonRecursive);
    for dir in ["dataset", "results"] {
        let dir = root.join(dir);
        if dir.is_dir() {
            let _ = watcher.watch(&dir, RecursiveMode::Recursive);
        }
    }
}

/// Applies changes to these paths: project files are re-read, a change under
/// `results/` reloads the scores.
pub async fn apply(ls: &Arc<Ls>, mut paths: Vec<PathBuf>) {
    let Some(root) = ls.state.root() else { return };
    paths.sort();
    paths.dedup();
    let mut results = false;
    let mut files = false;
    for path in paths {
        let Ok(rel) = path.strip_prefix(&root) else {
            continue;
        };
        let name = fabula_engine::project::named(Some(&root), &path).name;
        if rel.starts_with("results") {
            results = true;
            // A results/ folder created after start: watch it too.
            if rel == std::path::Path::new("results")
                && path.is_dir()
                && let Some(w) = lock(&ls.watcher).as_mut()
            {
                let _ = w.watch(&path, RecursiveMode::Recursive);
            }
            continue;
        }
        if rel == std::path::Path::new("dataset") && path.is_dir() {
            if let Some(w) = lock(&ls.watcher).as_mut() {
                let _ = w.watch(&path, RecursiveMode::Recursive);
            }
            let state_ls = ls.clone();
            let root = root.clone();
            let _ = tokio::task::spawn_blocking(move || state_ls.state.load_disk(&root)).await;
            files = true;
            continue;
        }
        if !is_project_file(&name) {
            continue;
        }
        let bytes = if path.is_file() {
            fabula_engine::project::read_capped(&path).ok()
        } else {
            None
        };
        ls.state.disk_changed(&name, bytes);
        if ls.state.version(&name).is_none() && !ls.state.paths().contains(&name) {
            crate::publish::clear(ls, &name).await;
        }
        files = true;
    }
    if files {
        crate::publish::refresh(ls, None, ls.state.generation()).await;
    }
    if results {
        crate::results::reload(ls).await;
    }
    if files || results {
        crate::results::refresh_lenses(ls).await;
    }
}
