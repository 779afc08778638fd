//! What the run-side commands share: opening the project (config, tasks, slop list), the
//! store, and resolving `--model`, `--judge`, `--task`, `--task-type` into a selection.

use crate::args::{ProjectArgs, WorkArgs};
use crate::project;
use anyhow::{Context as _, bail};
use fabula_core::check;
use fabula_core::diagnostic::Severity;
use fabula_core::model::{Config, TaskType};
use fabula_core::workspace::Workspace;
use fabula_engine::env::Env;
use fabula_engine::store::Store;
use fabula_eval::fingerprint::Current;
use fabula_eval::plan::Selection;
use fabula_eval::prepared::{self, PreparedTask};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

pub struct Session {
    /// The project root: the folder holding `fabula.yaml`.
    pub root: PathBuf,
    pub ws: Workspace,
    pub slop: Vec<String>,
    pub store: Store,
    /// The environment (process, then `.env`): keys and base-URL overrides.
    pub env: Env,
    /// The wire dialect of each provider, after base-URL overrides.
    pub dialects: BTreeMap<String, String>,
    /// A `.env` that could not be read: runs stop on it, reports only warn.
    pub env_error: Option<fabula_engine::env::EnvError>,
}

/// A task file that cannot run: its path and its first error.
#[derive(Clone, Debug)]
pub struct Invalid {
    pub path: String,
    pub id: Option<String>,
    pub error: String,
}

/// The tasks a selection runs, and the task files that cannot run.
pub struct Tasks {
    pub tasks: Vec<Arc<PreparedTask>>,
    pub invalid: Vec<Invalid>,
}

impl Session {
    pub fn open(args: &ProjectArgs) -> anyhow::Result<Session> {
        let root = match &args.root {
            Some(root) if !root.join("fabula.yaml").is_file() => {
                bail!("--root {}: no fabula.yaml there", root.display())
            }
            Some(root) => std::path::absolute(root)?,
            None => project::find_root(&std::env::current_dir()?).context(
                "no fabula.yaml in this folder or above; run inside a project or pass --root DIR",
            )?,
        };
        let files = project::project_files(&root)?;
        let ws = Workspace::new(project::load(&files));
        let Some((config_doc, _)) = ws.config() else {
            let doc = ws.document("fabula.yaml");
            let why = doc
                .and_then(|d| d.diagnostics.first())
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "it does not load".into());
            bail!("fabula.yaml has errors ({why}); run `fabula check fabula.yaml`");
        };
        let config_errors = check::diagnostics(&ws, config_doc)
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        if config_errors > 0 {
            bail!("fabula.yaml has {config_errors} error(s); run `fabula check fabula.yaml`");
        }
        let slop = fabula_engine::project::slop(&ws);
        let (env, env_error) = match Env::load(&root) {
            Ok(env) => (env, None),
            Err(e) => (Env::default(), Some(e)),
        };
        let dialects = fabula_engine::setup::dialects(
            ws.config().map(|(_, c)| c).expect("checked above"),
            &env,
        );
        Ok(Session {
            store: Store::new(root.join("results")),
            root,
            ws,
            slop,
            env,
            dialects,
            env_error,
        })
    }

    pub fn config(&self) -> &Config {
        self.ws.config().map(|(_, c)| c).expect("checked in open")
    }

    pub fn current(&self) -> Current<'_> {
        Current::new(self.config(), &self.slop, &self.dialects)
    }

    /// Every task that loads without errors, whatever the selection: what reports count.
    pub fn all_tasks(&self) -> Vec<Arc<PreparedTask>> {
        self.tasks(&super::all_work())
            .map(|t| t.tasks)
            .unwrap_or_default()
    }

    /// The selected tasks that load without errors, and every task file that does not
    /// (a schema error leaves a task without an id: it is listed by path).
    pub fn tasks(&self, work: &WorkArgs) -> anyhow::Result<Tasks> {
        for t in &work.task_types {
            if TaskType::parse(t).is_none() {
                let all: Vec<&str> = TaskType::ALL.iter().map(|t| t.as_str()).collect();
                bail!(
                    "--task-type {t}: not a task type; one of {}",
                    all.join(", ")
                );
            }
        }
        let known: BTreeSet<&str> = self.ws.tasks().map(|(_, t)| t.id.as_str()).collect();
        for id in &work.tasks {
            if !known.contains(id.as_str()) {
                bail!("--task {id}: no task with this id under dataset/tasks/");
            }
        }
        let mut invalid = Vec::new();
        for doc in self.ws.documents() {
            if !doc.path.starts_with("dataset/tasks/") {
                continue;
            }
            let first = check::diagnostics(&self.ws, doc)
                .into_iter()
                .find(|d| d.severity == Severity::Error);
            // A task file the selection does not name is none of this run's business;
            // one that did not load is matched by its folder (type) and file name (id).
            let stem = doc
                .path
                .rsplit('/')
                .next()
                .and_then(|n| n.split('.').next())
                .unwrap_or_default();
            let id = doc.task().map_or(stem, |t| t.id.as_str());
            let selected = (work.tasks.is_empty() || work.tasks.iter().any(|t| t == id))
                && (work.task_types.is_empty()
                    || work
                        .task_types
                        .iter()
                        .any(|t| doc.path.starts_with(&format!("dataset/tasks/{t}/"))));
            if let Some(d) = first.filter(|_| selected) {
                invalid.push(Invalid {
                    path: doc.path.clone(),
                    id: doc.task().map(|t| t.id.clone()),
                    error: format!("{}[{}]", d.message, d.code),
                });
            }
        }
        let broken: BTreeSet<&str> = invalid.iter().filter_map(|i| i.id.as_deref()).collect();
        let tasks: Vec<Arc<PreparedTask>> = prepared::tasks(&self.ws, self.config())
            .into_iter()
            .filter(|t| !broken.contains(t.task.id.as_str()))
            .filter(|t| work.tasks.is_empty() || work.tasks.contains(&t.task.id))
            .filter(|t| {
                work.task_types.is_empty()
                    || work
                        .task_types
                        .iter()
                        .any(|ty| ty == t.task.task_type().as_str())
            })
            .map(Arc::new)
            .collect();
        Ok(Tasks { tasks, invalid })
    }

    /// The writers: `--model`, else every enabled model that plays no other role.
    pub fn writers(&self, work: &WorkArgs) -> anyhow::Result<Vec<String>> {
        let config = self.config();
        if !work.models.is_empty() {
            for m in &work.models {
                if !config.models.contains_key(m) {
                    bail!(
                        "--model {m}: not under `models` in fabula.yaml{}",
                        names(config)
                    );
                }
            }
            return Ok(work.models.clone());
        }
        let writers = config.default_writers();
        if writers.is_empty() {
            bail!("no enabled model to run: enable one in fabula.yaml or pass --model NAME");
        }
        Ok(writers)
    }

    pub fn judges(&self, work: &WorkArgs) -> anyhow::Result<Vec<String>> {
        let config = self.config();
        let judges = if work.judges.is_empty() {
            config.judges.clone()
        } else {
            work.judges.clone()
        };
        for j in &judges {
            if !config.models.contains_key(j) {
                bail!(
                    "judge {j}: not under `models` in fabula.yaml{}",
                    names(config)
                );
            }
        }
        Ok(judges)
    }

    pub fn selection(&self, work: &WorkArgs) -> anyhow::Result<(Selection, Vec<Invalid>)> {
        let Tasks { tasks, invalid } = self.tasks(work)?;
        let samples = work
            .samples
            .or(self.config().settings.samples)
            .unwrap_or(1)
            .max(1);
        Ok((
            Selection {
                writers: self.writers(work)?,
                judges: self.judges(work)?,
                samples,
                tasks,
                shard: work.shard,
                retry_failed: false,
            },
            invalid,
        ))
    }
}

fn names(config: &Config) -> String {
    let all: Vec<&str> = config.models.keys().map(String::as_str).collect();
    format!(" (models: {})", all.join(", "))
}
