//! `textDocument/codeLens`: on every task file, at its `id` (the top when it has none a
//! tree can find): "▶ Run · model 0.82 … (3 judges)", or why a run would be refused.

use crate::db;
use crate::ls::Ls;
use crate::protocol::{TaskRef, command};
use fabula_core::schema::SchemaKind;
use fabula_core::text::TextRange;
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
            if doc.kind != Some(SchemaKind::Task) {
                return None;
            }
            let id_path = fabula_core::path!["id"];
            let range = doc
                .spans()
                .map_or(TextRange::empty(0), |s| s.key_range(&id_path));
            let task = match (doc.task(), doc.value.as_ref()) {
                (Some(task), _) => task.id.clone(),
                (None, Some(value)) => value["id"].as_str().unwrap_or(doc.stem()).to_owned(),
                (None, None) => doc.stem().to_owned(),
            };
            let errors = crate::run::errors_in(snap, file);
            let scores = db::scores(&snap.db, snap.project, file).0.clone();
            let argument = TaskRef {
                uri: uri.as_str().to_owned(),
                task,
            };
            let lens = CodeLens {
                range: snap.positions(file).range(range),
                command: Some(Command {
                    title: crate::ide::lens::title(&scores, errors),
                    command: command::RUN_TASK.into(),
                    arguments: serde_json::to_value(argument).ok().map(|a| vec![a]),
                }),
                data: None,
            };
            Some(vec![lens])
        })
        .await
}
