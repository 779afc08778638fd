//! `workspace/executeCommand`: `fabula.server.run`, `fabula.server.rejudge`,
//! `fabula.server.checkWorkspace`, `fabula.server.newTask`, `fabula.server.draft`.

use crate::run::RunArgs;
use crate::server::Ls;
use fabula_core::diagnostic::Severity;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    let argument = params.arguments.into_iter().next();
    match params.command.as_str() {
        "fabula.server.run" | "fabula.server.rejudge" => {
            let args: RunArgs =
                serde_json::from_value(argument.unwrap_or_default()).map_err(|e| {
                    Error::invalid_params(format!(
                        "{}: expected {{\"task\", \"model\", \"judges\"?}}: {e}",
                        params.command
                    ))
                })?;
            let rejudge = params.command == "fabula.server.rejudge";
            let result = crate::run::run(ls, args, rejudge).await?;
            Ok(serde_json::to_value(result).ok())
        }
        "fabula.server.checkWorkspace" => {
            if let Some(root) = ls.state.root() {
                let state_ls = ls.clone();
                let _ = tokio::task::spawn_blocking(move || state_ls.state.load_disk(&root)).await;
            }
            crate::publish::refresh(ls, None, ls.state.generation()).await;
            let counts = ls
                .state
                .compute("checkWorkspace", |snap| {
                    let files = snap.project.files(&snap.db);
                    let mut counts = (files.len(), 0usize, 0usize);
                    for f in files {
                        for d in crate::db::diagnostics(&snap.db, snap.project, *f).0.iter() {
                            match d.severity {
                                Severity::Error => counts.1 += 1,
                                _ => counts.2 += 1,
                            }
                        }
                    }
                    counts
                })
                .await?;
            Ok(Some(serde_json::json!({
                "files": counts.0, "errors": counts.1, "warnings": counts.2
            })))
        }
        "fabula.server.newTask" => {
            let args = serde_json::from_value(argument.unwrap_or_default()).map_err(|e| {
                Error::invalid_params(format!(
                    "fabula.server.newTask: expected {{\"type\", \"theory\", \"id\"?, \"sourceTheory\"?}}: {e}"
                ))
            })?;
            crate::author::new_task(ls, args).await.map(Some)
        }
        "fabula.server.draft" => {
            let args = serde_json::from_value(argument.unwrap_or_default()).map_err(|e| {
                Error::invalid_params(format!(
                    "fabula.server.draft: expected {{\"type\", \"model\", \"theory\"?, \"count\"?, \"validator\"?, \"minScore\"?}}: {e}"
                ))
            })?;
            crate::author::draft(ls, args).await.map(Some)
        }
        other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
    }
}
