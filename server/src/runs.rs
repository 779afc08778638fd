//! The runs in flight: what `fabula/runs` lists, and what a progress's cancel button or
//! `shutdown` cancels. A run (`run.rs`) registers itself here for as long as it lasts.

use crate::protocol::{ActiveRun, RunsParams};
use crate::state::lock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tower_lsp_server::ls_types::{NumberOrString, ProgressToken};

/// Runs in flight.
#[derive(Default)]
pub struct Runs {
    active: Mutex<Vec<Active>>,
    next: AtomicU64,
}

#[derive(Clone, Debug)]
struct Active {
    task: String,
    model: String,
    token: Option<ProgressToken>,
    cancel: Arc<tokio::sync::Notify>,
    id: u64,
}

impl Runs {
    /// Adds a run of `task` with `model` to the list, with a progress token when the client
    /// shows work-done progress; it leaves the list when the returned guard is dropped.
    pub fn register(&self, task: &str, model: &str, progress: bool) -> Registered<'_> {
        let id = self.next.fetch_add(1, Ordering::SeqCst);
        let token = progress.then(|| NumberOrString::String(format!("fabula-run-{id}")));
        let cancel = Arc::new(tokio::sync::Notify::new());
        lock(&self.active).push(Active {
            task: task.to_owned(),
            model: model.to_owned(),
            token: token.clone(),
            cancel: cancel.clone(),
            id,
        });
        Registered {
            runs: self,
            id,
            token,
            cancel,
        }
    }

    pub fn cancel(&self, token: &ProgressToken) {
        for a in lock(&self.active).iter() {
            if a.token.as_ref() == Some(token) {
                a.cancel.notify_one();
            }
        }
    }

    pub fn cancel_all(&self) {
        for a in lock(&self.active).iter() {
            a.cancel.notify_one();
        }
    }

    /// The runs in flight, as `fabula/runs` sends them.
    pub fn list(&self) -> RunsParams {
        let active = lock(&self.active)
            .iter()
            .map(|a| ActiveRun {
                task: a.task.clone(),
                model: a.model.clone(),
            })
            .collect();
        RunsParams { active }
    }
}

/// A run in the list; removed from it when dropped (finished, failed or cancelled).
pub struct Registered<'a> {
    runs: &'a Runs,
    id: u64,
    /// The run's work-done progress token, when the client shows progress.
    pub token: Option<ProgressToken>,
    /// Notified when the run is to stop.
    pub cancel: Arc<tokio::sync::Notify>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(&self.runs.active).retain(|a| a.id != self.id);
    }
}
