//! `fabula/leaderboard`: the leaderboard as Markdown, the same table
//! `fabula leaderboard --format markdown` prints.

use crate::ls::Ls;
use crate::protocol::LeaderboardResult;
use fabula_engine::fingerprint::Current;
use fabula_engine::store::Store;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};

pub async fn handle(ls: &Ls) -> Result<LeaderboardResult> {
    let Some(root) = ls.state.root() else {
        return Err(Error::invalid_params("no project folder is open"));
    };
    ls.state
        .compute(move |snap| {
            let ws = &crate::db::workspace(&snap.db, snap.project).ws;
            let Some((_, config)) = ws.config() else {
                return LeaderboardResult {
                    markdown: "fabula.yaml has errors: no leaderboard.".to_owned(),
                };
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
            LeaderboardResult {
                markdown: String::from_utf8_lossy(&out).into_owned(),
            }
        })
        .await
}
