//! The results store as the editor sees it: read in full (in parallel, summaries only)
//! when the server starts, then kept up to date one record folder (`<model>/<task>/`) at a
//! time as files change, so a `fabula run` writing thousands of records into an open
//! workspace costs the server a few small reads per batch, not a reload of the store.
//!
//! Links are never followed: the store's reader skips them, and a folder reached through
//! one is not read.

use crate::db::{Results, ResultsSnapshot};
use crate::ls::Ls;
use fabula_engine::store::{HISTORY, Loaded, Store};
use fabula_eval::scores::TaskRecords;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// New records for the change loop to apply ([`crate::changes::Change::Results`]).
#[derive(Debug)]
pub enum Update {
    /// The whole store, read at start.
    All { root: PathBuf, loaded: Loaded },
    /// These folders (and everything under them) as they are now; a folder with no
    /// records is gone.
    Folders(Vec<(PathBuf, Loaded)>),
}

/// One record folder's content.
#[derive(Debug, Default)]
pub struct Folder {
    generations: Vec<(PathBuf, fabula_core::model::GenerationSummary)>,
    evaluations: Vec<(PathBuf, fabula_core::model::EvaluationRecord)>,
    rankings: Vec<(PathBuf, fabula_core::model::HumanRanking)>,
    problems: usize,
}

impl Update {
    /// The snapshot after this update; `old` is the current one.
    pub fn apply(self, old: &Results) -> Results {
        let old = &old.0;
        let (root, mut folders, replaced, mut affected) = match self {
            Update::All { root, loaded } => (root, HashMap::new(), vec![loaded], None),
            Update::Folders(list) => {
                let mut folders = old.folders.clone();
                let mut affected = BTreeSet::new();
                let mut replaced = Vec::new();
                for (dir, loaded) in list {
                    // Everything at or under `dir` is replaced by what was read there.
                    folders.retain(|f, content: &mut Arc<Folder>| {
                        if f.starts_with(&dir) {
                            tasks_of(content, &mut affected);
                            false
                        } else {
                            true
                        }
                    });
                    replaced.push(loaded);
                }
                (old.root.clone(), folders, replaced, Some(affected))
            }
        };
        let mut fresh: HashMap<PathBuf, Folder> = HashMap::new();
        for loaded in replaced {
            for (path, g) in loaded.generations {
                fresh
                    .entry(parent(&path))
                    .or_default()
                    .generations
                    .push((path, g));
            }
            for (path, e) in loaded.evaluations {
                fresh
                    .entry(parent(&path))
                    .or_default()
                    .evaluations
                    .push((path, e));
            }
            for (path, r) in loaded.rankings {
                fresh
                    .entry(parent(&path))
                    .or_default()
                    .rankings
                    .push((path, r));
            }
            for (path, _) in loaded.problems {
                fresh.entry(parent(&path)).or_default().problems += 1;
            }
        }
        for (dir, folder) in fresh {
            if let Some(affected) = affected.as_mut() {
                tasks_of(&folder, affected);
            }
            folders.insert(dir, Arc::new(folder));
        }
        let by_task = match affected {
            None => group(folders.values(), None),
            Some(affected) => {
                let mut by_task = old.by_task.clone();
                for task in &affected {
                    by_task.remove(task);
                }
                by_task.extend(group(folders.values(), Some(&affected)));
                by_task
            }
        };
        let problems = folders.values().map(|f| f.problems).sum();
        Results(Arc::new(ResultsSnapshot {
            root,
            folders,
            by_task,
            problems,
        }))
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn tasks_of(folder: &Folder, out: &mut BTreeSet<String>) {
    out.extend(folder.generations.iter().map(|(_, g)| g.task.clone()));
    out.extend(folder.evaluations.iter().map(|(_, e)| e.task.clone()));
    out.extend(folder.rankings.iter().map(|(_, r)| r.task.clone()));
}

/// Records by task, of every task (`only: None`) or of these tasks.
fn group<'a>(
    folders: impl Iterator<Item = &'a Arc<Folder>>,
    only: Option<&BTreeSet<String>>,
) -> HashMap<String, Arc<TaskRecords>> {
    let wanted = |task: &String| only.is_none_or(|o| o.contains(task));
    let mut out: HashMap<String, TaskRecords> = HashMap::new();
    for folder in folders {
        for (path, g) in folder.generations.iter().filter(|(_, g)| wanted(&g.task)) {
            let records = out.entry(g.task.clone()).or_default();
            records.generations.push((path.clone(), g.clone()));
        }
        for (path, e) in folder.evaluations.iter().filter(|(_, e)| wanted(&e.task)) {
            let records = out.entry(e.task.clone()).or_default();
            records.evaluations.push((path.clone(), e.clone()));
        }
        for (path, r) in folder.rankings.iter().filter(|(_, r)| wanted(&r.task)) {
            let records = out.entry(r.task.clone()).or_default();
            records.rankings.push((path.clone(), r.clone()));
        }
    }
    // Path order, whatever order the folders came in: the same records give the same
    // scores.
    out.into_iter()
        .map(|(task, mut r)| {
            r.generations.sort_by(|a, b| a.0.cmp(&b.0));
            r.evaluations.sort_by(|a, b| a.0.cmp(&b.0));
            r.rankings.sort_by(|a, b| a.0.cmp(&b.0));
            (task, Arc::new(r))
        })
        .collect()
}

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
            ls.change(crate::changes::Change::Results(Update::All {
                root,
                loaded,
            }));
        }
        Err(err) => tracing::error!("cannot read results: {err}"),
    }
}

/// Re-reads the record folders that hold `paths` (changed files or folders under
/// `results/`) and queues them for the change loop.
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
            ls.change(crate::changes::Change::Results(Update::Folders(folders)));
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
