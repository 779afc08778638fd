//! `fabula/resultFiles`: the record files behind a task's latest scores.

use crate::db;
use crate::server::Ls;
use serde::Deserialize;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;

#[derive(Debug, Deserialize)]
pub struct Params {
    pub task: String,
    #[serde(default)]
    pub model: Option<String>,
}

pub async fn handle(ls: &Arc<Ls>, params: Params) -> Result<serde_json::Value> {
    ls.state
        .compute("fabula/resultFiles", move |snap| {
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let files: Vec<String> = ws
                .tasks_with_id(&params.task)
                .next()
                .and_then(|doc| snap.file(&doc.path))
                .map(|file| db::scores(&snap.db, snap.project, file).0.clone())
                .into_iter()
                .flat_map(|scores| scores.iter().cloned().collect::<Vec<_>>())
                .filter(|s| params.model.as_ref().is_none_or(|m| &s.model == m))
                .flat_map(|s| s.files)
                .map(|p| p.display().to_string())
                .collect();
            serde_json::json!({ "files": files })
        })
        .await
}
