//! The results store as the editor sees it: a snapshot of its records, by record folder
//! (`<model>/<task>/`, as read) and by task (as scores read them), and how an [`Update`]
//! (the whole store read at start, or a few folders read again) turns one snapshot into
//! the next. Data only: reading the disk and queueing updates is `results.rs`'s.

use fabula_engine::store::Loaded;
use fabula_eval::scores::TaskRecords;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The results store, split by task. Compared by identity: a new snapshot is a change.
#[derive(Clone, Debug, Default)]
pub struct Results(pub Arc<ResultsSnapshot>);

/// The store's records, by record folder (as read) and by task (as scores read them).
/// Built and updated by [`Update`].
#[derive(Debug, Default)]
pub struct ResultsSnapshot {
    pub root: PathBuf,
    pub folders: HashMap<PathBuf, Arc<Folder>>,
    pub by_task: HashMap<String, Arc<TaskRecords>>,
    pub problems: usize,
}

impl PartialEq for Results {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// New records for the change loop to apply.
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

/// The folder holding `path`.
pub fn parent(path: &Path) -> PathBuf {
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
