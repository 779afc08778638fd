//! What the ranking view's requests (`fabula/rankingItems`, `fabula/saveRanking`) share:
//! who ranks, and a task's outputs as the blind sheet shows them
//! ([`fabula_eval::sheet`]), read from the store on disk.

use crate::run::refuse;
use crate::state::Snapshot;
use fabula_core::model::Config;
use fabula_engine::store::{Loaded, Store};
use fabula_eval::fingerprint::Current;
use fabula_eval::prepared::PreparedTask;
use fabula_eval::sheet::{self, Sample};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::jsonrpc;

/// `given` (the `fabula.rater` setting), else `git config user.email` in the project.
pub fn rater(given: Option<&str>, root: &Path) -> jsonrpc::Result<String> {
    if let Some(r) = given.map(str::trim).filter(|r| !r.is_empty()) {
        return Ok(r.to_string());
    }
    fabula_engine::rater::from_git(root).ok_or_else(|| {
        refuse("who is ranking? set `fabula.rater` in the settings, or `git config user.email`")
    })
}

/// A task of the open project with what its outputs need: the configuration, the slop
/// list and dialects (today's fingerprints), the store.
pub struct TaskOutputs {
    pub config: Config,
    pub slop: Vec<String>,
    pub dialects: BTreeMap<String, String>,
    pub task: Arc<PreparedTask>,
    pub store: Store,
    pub loaded: Loaded,
}

impl TaskOutputs {
    pub fn open(snap: &Snapshot, root: &Path, task: &str) -> jsonrpc::Result<TaskOutputs> {
        let ws = &crate::db::workspace(&snap.db, snap.project).ws;
        let Some((_, config)) = ws.config() else {
            return Err(refuse("fabula.yaml has errors: nothing to rank"));
        };
        let slop = fabula_engine::project::slop(ws);
        let Some(prepared) = fabula_eval::prepared::tasks(ws, config)
            .into_iter()
            .find(|t| t.id() == task)
        else {
            return Err(refuse(format!(
                "no task `{task}` that loads in this project"
            )));
        };
        let dialects = fabula_engine::setup::dialects(config, &snap.project.env(&snap.db).0);
        let store = Store::new(root.join("results"));
        let loaded = store.load();
        Ok(TaskOutputs {
            config: config.clone(),
            slop,
            dialects,
            task: Arc::new(prepared),
            store,
            loaded,
        })
    }

    pub fn current(&self) -> Current<'_> {
        Current::new(&self.config, &self.slop, &self.dialects)
    }

    /// The task's samples a person can rank, shuffled for `seed`.
    pub fn samples(&self, seed: &str) -> Vec<Sample> {
        sheet::samples(
            &self.current(),
            std::slice::from_ref(&self.task),
            &self.loaded,
            self.store.root(),
            seed,
        )
    }

    /// The generation record behind a record name of [`Sample`].
    pub fn record_path(&self, record: &str) -> PathBuf {
        record
            .split('/')
            .fold(self.store.root().to_path_buf(), |p, c| p.join(c))
    }
}
