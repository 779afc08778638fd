//! `textDocument/hover`: what the diagnostics under the cursor mean, then beat
//! definitions, theory outlines, a task's scores or field docs.

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
            let people = db::human_orders(&snap.db, snap.project, file).0.clone();
            let diagnostics = db::diagnostics(&snap.db, snap.project, file).0.clone();
            let here: Vec<_> = diagnostics
                .iter()
                .filter(|d| d.range.start <= offset && offset <= d.range.end)
                .collect();
            let explained = crate::ide::hover::explanations(here.iter().copied());
            let found = crate::ide::hover::hover(ws, &doc, offset, &scores, &people);
            let same_text = doc.text.len() == positions.text.len();
            let (text, range) = match found {
                Some((text, range)) => (
                    format!("{explained}{text}"),
                    same_text.then(|| positions.range(range)),
                ),
                None if !explained.is_empty() => {
                    (explained, here.first().map(|d| positions.range(d.range)))
                }
                None => return None,
            };
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
