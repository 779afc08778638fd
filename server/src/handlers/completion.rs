//! `textDocument/completion`: keys, enum values, theory and beat ids, model names.

use crate::db;
use crate::ide::completion::ItemKind;
use crate::ls::Ls;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: CompletionParams) -> Result<Option<CompletionResponse>> {
    let at = params.text_document_position;
    let Some(path) = super::path(ls, &at.text_document.uri) else {
        return Ok(None);
    };
    let shared = ls.clone();
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let positions = snap.positions(file);
            let offset = positions.offset(at.position) as usize;
            let current = snap.document(file);
            let doc = shared.state.usable(current);
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let items = crate::ide::completion::complete(ws, &doc, &current.text, offset);
            Some(CompletionResponse::Array(
                items
                    .into_iter()
                    .map(|i| CompletionItem {
                        label: i.label,
                        kind: Some(match i.kind {
                            ItemKind::Key => CompletionItemKind::PROPERTY,
                            ItemKind::Value => CompletionItemKind::ENUM_MEMBER,
                            ItemKind::Reference => CompletionItemKind::REFERENCE,
                        }),
                        detail: i.detail,
                        documentation: i.documentation.map(|d| {
                            Documentation::MarkupContent(MarkupContent {
                                kind: MarkupKind::Markdown,
                                value: d,
                            })
                        }),
                        insert_text: Some(i.insert),
                        ..CompletionItem::default()
                    })
                    .collect(),
            ))
        })
        .await
}
