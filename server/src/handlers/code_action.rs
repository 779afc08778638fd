//! `textDocument/codeAction`: quick fixes of the diagnostics in range (nearest beat,
//! theory or field name; a missing required field; swapped budgets), and on a task:
//! "Run task with <model>" for each writer, "Re-judge <model>'s latest result", and
//! "Draft 3 similar tasks with <model>" (the first writer, validated by the first judge).

use crate::db;
use crate::ls::Ls;
use crate::position::Positions;
use fabula_core::diagnostic::Fix;
use std::collections::HashMap;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

pub async fn handle(ls: &Arc<Ls>, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri;
    let Some(path) = super::path(ls, &uri) else {
        return Ok(None);
    };
    let range = params.range;
    ls.state
        .compute(move |snap| {
            let file = snap.file(&path)?;
            let positions = snap.positions(file);
            let wanted = positions.text_range(range);
            let doc = snap.document(file);
            let diagnostics = db::diagnostics(&snap.db, snap.project, file).0.clone();
            let mut actions: Vec<CodeActionOrCommand> = Vec::new();
            for d in diagnostics.iter() {
                let touches = d.range.start <= wanted.end && wanted.start <= d.range.end;
                if !touches {
                    continue;
                }
                let extra = crate::ide::fixes::missing_field(&doc.text, d);
                let lsp_d = crate::publish::to_lsp(snap, file, std::slice::from_ref(d), |_| None);
                for fix in d.fixes.iter().chain(extra.as_ref()) {
                    actions.push(CodeActionOrCommand::CodeAction(quick_fix(
                        &uri,
                        &positions,
                        fix,
                        lsp_d.clone(),
                    )));
                }
            }
            if let Some(task) = doc.task() {
                let ws = &db::workspace(&snap.db, snap.project).ws;
                let scores = db::scores(&snap.db, snap.project, file).0.clone();
                if let Some((_, config)) = ws.config() {
                    for model in config.default_writers() {
                        actions.push(command(
                            format!("Run task with {model}"),
                            "fabula.server.run",
                            serde_json::json!({"uri": uri.as_str(), "task": task.id, "model": model}),
                        ));
                    }
                    if let (Some(model), Some(validator)) =
                        (config.default_writers().first(), config.judges.first())
                    {
                        let n = crate::author::SIMILAR_DRAFTS;
                        actions.push(command(
                            format!("Draft {n} similar tasks with {model}"),
                            "fabula.server.draft",
                            serde_json::json!({"type": task.task_type().as_str(), "theory": task.theory, "count": n, "model": model, "validator": validator}),
                        ));
                    }
                }
                for s in scores.iter() {
                    actions.push(command(
                        format!("Re-judge {}'s latest result", s.model),
                        "fabula.server.rejudge",
                        serde_json::json!({"uri": uri.as_str(), "task": task.id, "model": s.model}),
                    ));
                }
            }
            Some(actions)
        })
        .await
}

fn quick_fix(
    uri: &Uri,
    positions: &Positions<'_>,
    fix: &Fix,
    diagnostics: Vec<Diagnostic>,
) -> CodeAction {
    let edits = fix
        .edits
        .iter()
        .map(|e| TextEdit {
            range: positions.range(e.range),
            new_text: e.replacement.clone(),
        })
        .collect();
    CodeAction {
        title: fix.title.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(diagnostics),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(fix.edits.len() == 1),
        ..CodeAction::default()
    }
}

fn command(title: String, command: &str, argument: serde_json::Value) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(CodeAction {
        title: title.clone(),
        kind: Some(CodeActionKind::EMPTY),
        command: Some(Command {
            title,
            command: command.into(),
            arguments: Some(vec![argument]),
        }),
        ..CodeAction::default()
    })
}
