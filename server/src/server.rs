//! The dispatcher, the top of the server's modules: each protocol method goes to its
//! handler (one file each under `handlers/`), behind a panic boundary. What handlers share
//! is [`crate::ls::Ls`], a layer below them: handlers never import this module, and
//! nothing under `Ls` imports a handler.
//!
//! The panic boundary: a request whose handler panics (a bug in a feature, in the engine
//! during a run) is answered with an internal error and logged; the server goes on.

use crate::handlers;
use crate::ls::Ls;
use crate::panic::{panic_message, test_panic};
use crate::protocol;
use futures_util::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    Notification,
};
use tower_lsp_server::ls_types::request::Request;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{LanguageServer, LspService};

pub struct Server(pub Arc<Ls>);

/// The service, with Fabula's custom requests registered; and the shared state, for the
/// transport and the change loop.
pub fn service(
    changes: tokio::sync::mpsc::UnboundedSender<crate::changes::Change>,
) -> (LspService<Server>, tower_lsp_server::ClientSocket, Arc<Ls>) {
    let mut shared = None;
    let (service, socket) = LspService::build(|client| {
        let ls = Ls::new(client, changes);
        shared = Some(ls.clone());
        Server(ls)
    })
    .custom_method(<protocol::Models as Request>::METHOD, Server::models)
    .custom_method(
        <protocol::ResultFiles as Request>::METHOD,
        Server::result_files,
    )
    .custom_method(
        <protocol::Leaderboard as Request>::METHOD,
        Server::leaderboard,
    )
    .custom_method(
        <protocol::RankingItems as Request>::METHOD,
        Server::ranking_items,
    )
    .custom_method(
        <protocol::SaveRanking as Request>::METHOD,
        Server::save_ranking,
    )
    .custom_method(<protocol::Report as Request>::METHOD, Server::report)
    .custom_method(<protocol::Compare as Request>::METHOD, Server::compare)
    .custom_method("window/workDoneProgress/cancel", Server::cancel_progress)
    .finish();
    let Some(ls) = shared else {
        unreachable!("LspService::build calls its closure before it returns")
    };
    (service, socket, ls)
}

/// Runs one request's handler; a panic becomes an internal-error answer and a log line.
pub async fn guard<T>(what: &str, handler: impl Future<Output = Result<T>>) -> Result<T> {
    let handler = async {
        test_panic(what);
        handler.await
    };
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(answer) => answer,
        Err(payload) => {
            let why = panic_message(payload.as_ref());
            tracing::error!("internal error in {what}: {why}");
            Err(Error {
                code: ErrorCode::InternalError,
                message: format!("internal error in {what}: {why}").into(),
                data: None,
            })
        }
    }
}

impl crate::transport::Handler for Ls {
    /// The notifications that change documents, applied in wire order.
    fn in_order(&self, method: &str, params: serde_json::Value) -> bool {
        fn parse<N: Notification>(params: serde_json::Value) -> Option<N::Params> {
            serde_json::from_value(params)
                .inspect_err(|e| tracing::warn!("bad {} parameters: {e}", N::METHOD))
                .ok()
        }
        match method {
            DidOpenTextDocument::METHOD => {
                if let Some(p) = parse::<DidOpenTextDocument>(params) {
                    handlers::did_open::handle(self, p);
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Some(p) = parse::<DidChangeTextDocument>(params) {
                    handlers::did_change::handle(self, p);
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(p) = parse::<DidCloseTextDocument>(params) {
                    handlers::did_close::handle(self, p);
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Some(p) = parse::<DidChangeWatchedFiles>(params) {
                    handlers::watched_files::handle(self, p);
                }
            }
            _ => return false,
        }
        true
    }
}

impl Server {
    async fn models(&self, _: protocol::Empty) -> Result<protocol::ModelsResult> {
        guard("fabula/models", handlers::models::handle(&self.0)).await
    }

    async fn result_files(
        &self,
        params: protocol::ResultFilesParams,
    ) -> Result<protocol::ResultFilesResult> {
        guard(
            "fabula/resultFiles",
            handlers::result_files::handle(&self.0, params),
        )
        .await
    }

    async fn leaderboard(&self, _: protocol::Empty) -> Result<protocol::LeaderboardResult> {
        guard("fabula/leaderboard", handlers::leaderboard::handle(&self.0)).await
    }

    async fn ranking_items(
        &self,
        params: protocol::RankingItemsParams,
    ) -> Result<protocol::RankingItemsResult> {
        guard(
            "fabula/rankingItems",
            handlers::ranking_items::handle(&self.0, params),
        )
        .await
    }

    async fn save_ranking(
        &self,
        params: protocol::SaveRankingParams,
    ) -> Result<protocol::SaveRankingResult> {
        guard(
            "fabula/saveRanking",
            handlers::save_ranking::handle(&self.0, params),
        )
        .await
    }

    async fn report(&self, params: protocol::ReportParams) -> Result<protocol::ReportResult> {
        guard("fabula/report", handlers::report::handle(&self.0, params)).await
    }

    async fn compare(&self, params: protocol::CompareParams) -> Result<protocol::CompareResult> {
        guard("fabula/compare", handlers::compare::handle(&self.0, params)).await
    }

    async fn cancel_progress(&self, params: WorkDoneProgressCancelParams) {
        handlers::cancel_progress::handle(&self.0, params);
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guard("initialize", async {
            handlers::initialize::handle(&self.0, params)
        })
        .await
    }

    async fn initialized(&self, params: InitializedParams) {
        handlers::initialized::handle(&self.0, params).await;
    }

    async fn shutdown(&self) -> Result<()> {
        guard("shutdown", async {
            handlers::shutdown::handle(&self.0);
            Ok(())
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        guard("hover", handlers::hover::handle(&self.0, params)).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        guard("codeLens", handlers::code_lens::handle(&self.0, params)).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        guard("codeAction", handlers::code_action::handle(&self.0, params)).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        guard("completion", handlers::completion::handle(&self.0, params)).await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        guard("definition", handlers::definition::handle(&self.0, params)).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        guard("references", handlers::references::handle(&self.0, params)).await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        guard(
            "documentSymbol",
            handlers::document_symbol::handle(&self.0, params),
        )
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let what = format!("workspace/executeCommand {}", params.command);
        guard(&what, handlers::execute_command::handle(&self.0, params)).await
    }
}
