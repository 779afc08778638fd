//! `textDocument/definition`: from a beat or theory reference to its theory file.

use crate::db;
use crate::ls::Ls;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(
    ls: &Arc<Ls>,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let at = params.text_document_position_params;
    let Some(path) = super::path(ls, &at.text_document.uri) else {
        return Ok(None);
    };
    let shared = ls.clone();
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let offset = snap.positions(file).offset(at.position);
            let (target, _) = crate::ide::target_at(snap.document(file), offset)?;
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let (def_path, range) = crate::ide::definition(ws, &target)?;
            let location = super::location(&shared, snap, &def_path, range)?;
            Some(GotoDefinitionResponse::Scalar(location))
        })
        .await
}
