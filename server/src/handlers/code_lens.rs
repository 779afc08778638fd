//! `textDocument/codeLens`: "▶ Run · model 0.82 … (3 judges)" on each task's `id`.

use crate::db;
use crate::ls::Ls;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    if !ls.state.session().inline_scores {
        return Ok(None);
    }
    let uri = params.text_document.uri;
    let Some(path) = super::path(ls, &uri) else {
        return Ok(None);
    };
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let doc = snap.document(file);
            let task = doc.task()?;
            let range = doc.spans()?.key_range(&fabula_core::path!["id"]);
            let scores = db::scores(&snap.db, snap.project, file).0.clone();
            let lens = CodeLens {
                range: snap.positions(file).range(range),
                command: Some(Command {
                    title: crate::ide::lens::title(&scores),
                    command: "fabula.runTask".into(),
                    arguments: Some(vec![serde_json::json!({
                        "uri": uri.as_str(),
                        "task": task.id,
                    })]),
                }),
                data: None,
            };
            Some(vec![lens])
        })
        .await
}
