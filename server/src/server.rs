//! The `LanguageServer` implementation: each method hands its parameters to its handler
//! (one file each under `handlers/`). Everything handlers share lives in [`Ls`].

use crate::handlers;
use crate::publish::Published;
use crate::run::Runs;
use crate::state::State;
use std::sync::{Arc, Mutex};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService};

/// What every handler and background task sees.
pub struct Ls {
    pub client: Client,
    pub state: State,
    pub published: Published,
    pub runs: Runs,
    pub watcher: Mutex<Option<crate::watch::Watcher>>,
}

pub struct Server(pub Arc<Ls>);

/// The service, with Fabula's custom requests registered.
pub fn service() -> (LspService<Server>, tower_lsp_server::ClientSocket) {
    LspService::build(|client| {
        Server(Arc::new(Ls {
            client,
            state: State::default(),
            published: Published::default(),
            runs: Runs::default(),
            watcher: Mutex::new(None),
        }))
    })
    .custom_method("fabula/models", Server::models)
    .custom_method("fabula/resultFiles", Server::result_files)
    .custom_method("fabula/leaderboard", Server::leaderboard)
    .custom_method("window/workDoneProgress/cancel", Server::cancel_progress)
    .finish()
}

impl Server {
    async fn models(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        handlers::models::handle(&self.0, params).await
    }

    async fn result_files(
        &self,
        params: handlers::result_files::Params,
    ) -> Result<serde_json::Value> {
        handlers::result_files::handle(&self.0, params).await
    }

    async fn cancel_progress(&self, params: WorkDoneProgressCancelParams) {
        self.0.runs.cancel(&params.token);
    }

    async fn leaderboard(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        handlers::leaderboard::handle(&self.0, params).await
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        handlers::initialize::handle(&self.0, params)
    }

    async fn initialized(&self, params: InitializedParams) {
        handlers::initialized::handle(&self.0, params).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.0.runs.cancel_all();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        handlers::did_open::handle(&self.0, params).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        handlers::did_change::handle(&self.0, params).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        handlers::did_close::handle(&self.0, params).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        handlers::watched_files::handle(&self.0, params).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        handlers::hover::handle(&self.0, params).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        handlers::code_lens::handle(&self.0, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        handlers::code_action::handle(&self.0, params).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        handlers::completion::handle(&self.0, params).await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        handlers::definition::handle(&self.0, params).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        handlers::references::handle(&self.0, params).await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        handlers::document_symbol::handle(&self.0, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        handlers::execute_command::handle(&self.0, params).await
    }
}
