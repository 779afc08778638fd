//! `fabula/leaderboard`: the leaderboard as Markdown, the same table
//! `fabula leaderboard --format markdown` prints.

use crate::ls::Ls;
use crate::protocol::LeaderboardResult;
use fabula_engine::store::Store;
use fabula_eval::fingerprint::Current;
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
            let tasks: Vec<Arc<_>> = fabula_eval::prepared::tasks(ws, config)
                .into_iter()
                .map(Arc::new)
                .collect();
            let loaded = Store::new(root.join("results")).load();
            let models = config.default_writers();
            let dialects = fabula_engine::setup::dialects(config, &snap.project.env(&snap.db).0);
            let board = fabula_eval::leaderboard::compute(
                &Current::new(config, &slop, &dialects),
                &tasks,
                &loaded,
                &models,
                &config.judges,
                &Default::default(),
            );
            let mut out = Vec::new();
            let _ = fabula_eval::text::markdown(&mut out, &board);
            LeaderboardResult {
                markdown: String::from_utf8_lossy(&out).into_owned(),
            }
        })
        .await
}
