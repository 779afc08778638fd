//! `fabula/resultFiles`: the record files behind a task's latest scores.

use crate::db;
use crate::ls::Ls;
use crate::protocol::{ResultFilesParams, ResultFilesResult};
use tower_lsp_server::jsonrpc::Result;

pub async fn handle(ls: &Ls, params: ResultFilesParams) -> Result<ResultFilesResult> {
    ls.state
        .compute(move |snap| {
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let files = ws
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
            ResultFilesResult { files }
        })
        .await
}
