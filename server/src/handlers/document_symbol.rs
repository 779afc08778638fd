//! `textDocument/documentSymbol`: the outline (a theory's beats, a task's fields).

use crate::ide::symbols::{Kind, Symbol};
use crate::ls::Ls;
use crate::position::Positions;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(
    ls: &Arc<Ls>,
    params: DocumentSymbolParams,
) -> Result<Option<DocumentSymbolResponse>> {
    let Some(path) = super::path(ls, &params.text_document.uri) else {
        return Ok(None);
    };
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let positions = snap.positions(file);
            let symbols = crate::ide::symbols::symbols(snap.document(file));
            Some(DocumentSymbolResponse::Nested(
                symbols.iter().map(|s| convert(&positions, s)).collect(),
            ))
        })
        .await
}

fn convert(p: &Positions<'_>, s: &Symbol) -> DocumentSymbol {
    #[expect(
        deprecated,
        reason = "the field must be present; its replacement is `tags`"
    )]
    DocumentSymbol {
        name: s.name.clone(),
        detail: s.detail.clone(),
        kind: match s.kind {
            Kind::Field => SymbolKind::FIELD,
            Kind::List => SymbolKind::ARRAY,
            Kind::Beat => SymbolKind::EVENT,
            Kind::Model => SymbolKind::OBJECT,
        },
        tags: None,
        deprecated: None,
        range: p.range(s.range),
        selection_range: p.range(s.selection),
        children: (!s.children.is_empty())
            .then(|| s.children.iter().map(|c| convert(p, c)).collect()),
    }
}
