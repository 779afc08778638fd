//! `workspace/executeCommand`: `fabula.server.run`, `fabula.server.rejudge`,
//! `fabula.server.checkWorkspace`, `fabula.server.newTask`, `fabula.server.draft`.

use crate::changes::Change;
use crate::ls::Ls;
use crate::protocol::{CheckSummary, RunArgs, command};
use fabula_core::diagnostic::Severity;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    let argument = params.arguments.into_iter().next();
    match params.command.as_str() {
        command::RUN | command::REJUDGE => {
            let args: RunArgs =
                serde_json::from_value(argument.unwrap_or_default()).map_err(|e| {
                    Error::invalid_params(format!(
                        "{}: expected {{\"task\", \"model\", \"judges\"?}}: {e}",
                        params.command
                    ))
                })?;
            let rejudge = params.command == command::REJUDGE;
            let result = crate::run::run(ls, args, rejudge).await?;
            Ok(serde_json::to_value(result).ok())
        }
        command::CHECK_WORKSPACE => {
            // The change loop reads the disk again; the count waits for it, and the
            // publisher sends whatever changed.
            ls.change(Change::Load);
            let summary = ls
                .state
                .compute(|snap| {
                    let files = snap.project.files(&snap.db);
                    let mut summary = CheckSummary {
                        files: u32::try_from(files.len()).unwrap_or(u32::MAX),
                        errors: 0,
                        warnings: 0,
                    };
                    for f in files {
                        for d in crate::db::diagnostics(&snap.db, snap.project, *f).0.iter() {
                            match d.severity {
                                Severity::Error => summary.errors += 1,
                                _ => summary.warnings += 1,
                            }
                        }
                    }
                    summary
                })
                .await?;
            Ok(serde_json::to_value(summary).ok())
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
