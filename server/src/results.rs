//! The results store as the editor sees it: read in full (in parallel, summaries only)
//! when the server starts and whenever `results/` changes, split by task.

use crate::db::{Results, ResultsSnapshot};
use crate::server::Ls;
use fabula_engine::store::Store;
use std::sync::Arc;

pub async fn reload(ls: &Arc<Ls>) {
    let Some(root) = ls.state.root() else { return };
    let results_root = root.join("results");
    let started = std::time::Instant::now();
    let snapshot = tokio::task::spawn_blocking(move || {
        let loaded = Store::new(&results_root).load();
        let problems = loaded.problems.len();
        ResultsSnapshot {
            root: results_root,
            by_task: fabula_engine::scores::by_task(loaded),
            problems,
        }
    })
    .await;
    match snapshot {
        Ok(snapshot) => {
            crate::log::debug(format_args!(
                "results: {} tasks, {} unreadable files, {} ms",
                snapshot.by_task.len(),
                snapshot.problems,
                started.elapsed().as_millis()
            ));
            ls.state.set_results(Results(Arc::new(snapshot)));
        }
        Err(err) => crate::log::error(format_args!("cannot read results: {err}")),
    }
}

/// Asks the client to re-request code lenses (scores changed), when it can.
pub async fn refresh_lenses(ls: &Arc<Ls>) {
    if ls.state.session().code_lens_refresh {
        let _ = ls.client.code_lens_refresh().await;
    }
}
