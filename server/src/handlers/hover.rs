//! `textDocument/hover`: beat definitions, theory outlines, a task's scores, field docs.

use crate::db;
use crate::ls::Ls;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: HoverParams) -> Result<Option<Hover>> {
    let at = params.text_document_position_params;
    let Some(path) = super::path(ls, &at.text_document.uri) else {
        return Ok(None);
    };
    let shared = ls.clone();
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let positions = snap.positions(file);
            let offset = positions.offset(at.position);
            let doc = shared.state.usable(snap.document(file));
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let scores = db::scores(&snap.db, snap.project, file).0.clone();
            let (text, range) = crate::ide::hover::hover(ws, &doc, offset, &scores)?;
            let range = (doc.text.len() == positions.text.len()).then(|| positions.range(range));
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: text,
                }),
                range,
            })
        })
        .await
}
