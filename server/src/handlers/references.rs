//! `textDocument/references`: every task that names the beat (or theory) under the
//! cursor, from a task or from the theory file.

use crate::db;
use crate::ls::Ls;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
    let at = params.text_document_position;
    let Some(path) = super::path(ls, &at.text_document.uri) else {
        return Ok(None);
    };
    let include = params.context.include_declaration;
    let shared = ls.clone();
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let offset = snap.positions(file).offset(at.position);
            let (target, _) = crate::ide::target_at(snap.document(file), offset)?;
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let found = crate::ide::navigate::references(ws, &target, include);
            Some(
                found
                    .iter()
                    .filter_map(|(p, r)| super::location(&shared, snap, p, *r))
                    .collect(),
            )
        })
        .await
}
