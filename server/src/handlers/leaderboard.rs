//! `fabula/leaderboard`: the leaderboard as Markdown, the same table
//! `fabula leaderboard --format markdown` prints.

use crate::server::Ls;
use fabula_engine::fingerprint::Current;
use fabula_engine::store::Store;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};

pub async fn handle(ls: &Arc<Ls>, _: serde_json::Value) -> Result<serde_json::Value> {
    let Some(root) = ls.state.root() else {
        return Err(Error::invalid_params("no project folder is open"));
    };
    ls.state
        .compute("fabula/leaderboard", move |snap| {
            let ws = &crate::db::workspace(&snap.db, snap.project).ws;
            let Some((_, config)) = ws.config() else {
                return serde_json::json!({ "markdown": "fabula.yaml has errors: no leaderboard." });
            };
            let slop = fabula_engine::project::slop(ws);
            let tasks: Vec<Arc<_>> = fabula_engine::setup::tasks(ws, config)
                .into_iter()
                .map(Arc::new)
                .collect();
            let loaded = Store::new(root.join("results")).load();
            let models = config.default_writers();
            let board = fabula_engine::leaderboard::compute(
                Current {
                    config,
                    slop: &slop,
                },
                &tasks,
                &loaded,
                &models,
                &config.judges,
            );
            let mut out = Vec::new();
            let _ = fabula_engine::board_text::markdown(&mut out, &board);
            serde_json::json!({ "markdown": String::from_utf8_lossy(&out) })
        })
        .await
}
