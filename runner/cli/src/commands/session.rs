//! What the run-side commands share: opening the project (config, tasks, slop list), the
//! store, and resolving `--model`, `--judge`, `--task`, `--task-type` into a selection.

use crate::args::{ProjectArgs, WorkArgs};
use crate::project;
use anyhow::{Context as _, bail};
use fabula_core::check;
use fabula_core::diagnostic::Severity;
use fabula_core::model::{Config, TaskType};
use fabula_core::workspace::Workspace;
use fabula_engine::fingerprint::Current;
use fabula_engine::plan::Selection;
use fabula_engine::scheduler::PreparedTask;
use fabula_engine::store::Store;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Session {
    pub root: PathBuf,
    pub ws: Workspace,
    pub slop: Vec<String>,
    pub store: Store,
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
        Ok(Session {
            store: Store::new(root.join("results")),
            root,
            ws,
            slop,
        })
    }

    pub fn config(&self) -> &Config {
        self.ws.config().map(|(_, c)| c).expect("checked in open")
    }

    pub fn current(&self) -> Current<'_> {
        Current {
            config: self.config(),
            slop: &self.slop,
        }
    }

    /// Tasks that load without errors (others are reported by `fabula check`).
    pub fn tasks(&self, work: &WorkArgs) -> anyhow::Result<(Vec<Arc<PreparedTask>>, usize)> {
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
        let broken: BTreeSet<&str> = self
            .ws
            .tasks()
            .filter(|(doc, _)| {
                check::diagnostics(&self.ws, doc)
                    .iter()
                    .any(|d| d.severity == Severity::Error)
            })
            .map(|(_, t)| t.id.as_str())
            .collect();
        let tasks: Vec<Arc<PreparedTask>> = fabula_engine::setup::tasks(&self.ws, self.config())
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
        Ok((tasks, broken.len()))
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

    pub fn selection(&self, work: &WorkArgs) -> anyhow::Result<(Selection, usize)> {
        let (tasks, broken) = self.tasks(work)?;
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
            },
            broken,
        ))
    }
}

fn names(config: &Config) -> String {
    let all: Vec<&str> = config.models.keys().map(String::as_str).collect();
    format!(" (models: {})", all.join(", "))
}
