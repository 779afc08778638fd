//! `fabula/report`: the HTML page `fabula report` writes (built by `fabula_report`, the
//! same code), for the editor's report webview; optionally opened at one task's
//! drill-down, with the webview's Content-Security-Policy (a nonce) instead of the
//! file's (hashes).

use crate::ls::Ls;
use crate::protocol::{ReportParams, ReportResult};
use fabula_engine::store::Store;
use fabula_eval::fingerprint::Current;
use fabula_report::{Host, Input};
use std::path::Path;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};

pub async fn handle(ls: &Ls, params: ReportParams) -> Result<ReportResult> {
    let Some(root) = ls.state.root() else {
        return Err(Error::invalid_params("no project folder is open"));
    };
    ls.state
        .compute(move |snap| {
            let ws = &crate::db::workspace(&snap.db, snap.project).ws;
            let Some((_, config)) = ws.config() else {
                return Err(Error::invalid_params(
                    "fabula.yaml has errors: no report until they are fixed",
                ));
            };
            let slop = fabula_engine::project::slop(ws);
            let tasks: Vec<Arc<_>> = fabula_eval::prepared::tasks(ws, config)
                .into_iter()
                .map(Arc::new)
                .collect();
            let store = Store::new(root.join("results"));
            let loaded = store.load();
            let models = config.default_writers();
            let dialects = fabula_engine::setup::dialects(config, &snap.project.env(&snap.db).0);
            let current = Current::new(config, &slop, &dialects);
            let read = |p: &Path| store.read_generation(p).map_err(|e| e.to_string());
            let project = root.file_name().map_or_else(
                || "project".to_owned(),
                |n| n.to_string_lossy().into_owned(),
            );
            let host = match &params.webview {
                None => Host::File,
                Some(w) => Host::Webview {
                    nonce: &w.nonce,
                    csp_source: &w.csp_source,
                },
            };
            let built = fabula_report::build(&Input {
                current: &current,
                tasks: &tasks,
                records: &loaded,
                models: &models,
                judges: &config.judges,
                read: &read,
                root: &root,
                project: &project,
                generated_at: &fabula_engine::scheduler::now(),
                scope: None,
                host,
                focus: params.task.as_deref(),
            })
            .map_err(|e| match e {
                fabula_report::Error::Host(_) => Error::invalid_params(e.to_string()),
                fabula_report::Error::Template(_) => {
                    tracing::error!("fabula/report: {e}");
                    Error::internal_error()
                }
            })?;
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            Ok(ReportResult {
                html: built.html,
                items: count(built.items),
                models: count(built.models),
                tasks: count(built.tasks),
            })
        })
        .await?
}
