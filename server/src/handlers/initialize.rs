//! `initialize`: find the project root, negotiate the position encoding, read the
//! options, start reading the project and the results (requests wait for both), announce
//! what the server offers.

use crate::changes::Change;
use crate::ls::Ls;
use crate::position::Encoding;
use crate::protocol::{InitializationOptions, command};
use crate::state::Session;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub fn handle(ls: &Arc<Ls>, params: InitializeParams) -> Result<InitializeResult> {
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| f.uri.to_file_path().map(|p| p.into_owned()));
    #[expect(
        deprecated,
        reason = "rootUri is the fallback for clients without folders"
    )]
    let folder = folder.or_else(|| {
        params
            .root_uri
            .as_ref()
            .and_then(|u| u.to_file_path().map(|p| p.into_owned()))
    });
    let root = folder.map(|f| fabula_engine::project::find_root(&f).unwrap_or(f));
    let caps = &params.capabilities;
    let offered = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    let encoding = if offered.is_some_and(|o| o.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let options: InitializationOptions = match params.initialization_options {
        None | Some(serde_json::Value::Null) => InitializationOptions::default(),
        Some(value) => serde_json::from_value(value).unwrap_or_else(|err| {
            tracing::warn!("initializationOptions not understood ({err}); using the defaults");
            InitializationOptions::default()
        }),
    };
    let workspace = caps.workspace.as_ref();
    let session = Session {
        root: root.clone(),
        encoding,
        inline_scores: options.inline_scores.unwrap_or(true),
        // A run spends money: only a client that says the workspace is trusted gets them.
        trusted: options.trusted.unwrap_or(false),
        code_lens_refresh: workspace
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false),
        work_done_progress: caps
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        watched_files_dynamic: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
    };
    tracing::info!(
        "initialize: root {}, positions {encoding:?}, runs {}",
        root.as_deref()
            .map_or("(none)".into(), |r| r.display().to_string()),
        if session.trusted {
            "allowed"
        } else {
            "off (initializationOptions.trusted is not true)"
        }
    );
    ls.state.set_session(session);
    // Reading starts now, not at `initialized`: requests wait for it either way, and a
    // client that never sends `initialized` still gets answers.
    if root.is_some() {
        ls.change(Change::Load);
        let ls = ls.clone();
        tokio::spawn(async move {
            crate::results::load_all(&ls).await;
            ls.state.set_ready();
        });
    } else {
        ls.state.set_ready();
    }
    Ok(InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(match encoding {
                Encoding::Utf8 => PositionEncodingKind::UTF8,
                Encoding::Utf16 => PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![":".into(), " ".into(), "-".into()]),
                ..CompletionOptions::default()
            }),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::EMPTY]),
                ..CodeActionOptions::default()
            })),
            code_lens_provider: Some(CodeLensOptions {
                resolve_provider: Some(false),
            }),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: command::ALL.iter().map(|c| (*c).to_owned()).collect(),
                ..ExecuteCommandOptions::default()
            }),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "fabula-lsp".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        offset_encoding: None,
    })
}
