//! Authoring from the editor: `fabula.server.newTask` (a task skeleton from
//! `fabula_core::scaffold`, the same as `fabula new`) and `fabula.server.draft` (drafted
//! tasks through `fabula_engine::draft`, the same as `fabula draft`). The work is in the
//! core and the engine; this file only reads the snapshot, writes where they say, and
//! answers.

use crate::db;
use crate::ls::Ls;
use crate::run::{project_root, refuse};
use fabula_core::scaffold::{self, NewTask};
use fabula_core::workspace::Workspace;
use fabula_engine::draft::{self, DraftResult, Project, Request};
use fabula_engine::env::Env;
use fabula_engine::provider::Tuning;
use serde::Deserialize;
use std::sync::Arc;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::MessageType;

/// Drafts offered by the "Draft N similar tasks" code action.
pub const SIMILAR_DRAFTS: u32 = 3;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTaskArgs {
    #[serde(rename = "type")]
    pub task_type: String,
    pub theory: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub source_theory: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DraftArgs {
    #[serde(rename = "type")]
    pub task_type: String,
    #[serde(default)]
    pub theory: Option<String>,
    #[serde(default = "similar_drafts")]
    pub count: u32,
    pub model: String,
    #[serde(default)]
    pub validator: Option<String>,
    #[serde(default)]
    pub min_score: Option<u8>,
}

fn similar_drafts() -> u32 {
    SIMILAR_DRAFTS
}

/// The project's documents, shared (cheap: the documents are not copied).
async fn workspace(ls: &Arc<Ls>) -> jsonrpc::Result<Workspace> {
    ls.state
        .compute(|snap| {
            Workspace::shared(
                db::workspace(&snap.db, snap.project)
                    .ws
                    .documents()
                    .to_vec(),
            )
        })
        .await
}

/// Writes a skeleton; answers `{ "uri", "path" }` for the client to open.
pub async fn new_task(ls: &Arc<Ls>, args: NewTaskArgs) -> jsonrpc::Result<serde_json::Value> {
    let root = project_root(ls)?;
    let ws = workspace(ls).await?;
    let skeleton = fabula_engine::project::add_task(
        &root,
        &ws,
        &NewTask {
            task_type: &args.task_type,
            theory: &args.theory,
            id: args.id.as_deref(),
            source_theory: args.source_theory.as_deref(),
        },
    )
    .map_err(|e| refuse(e.to_string()))?;
    let disk = root.join(&skeleton.path);
    let uri = ls
        .state
        .uri_of(&skeleton.path)
        .map(|u| u.as_str().to_owned());
    Ok(serde_json::json!({
        "uri": uri,
        "path": disk,
        "placeholders": skeleton.placeholders,
    }))
}

/// Drafts tasks; answers `{ "kept": [paths], "rejected": [{ "draft", "reason" }], "cost",
/// "message" }`. Refused in an untrusted workspace, like runs.
pub async fn draft(ls: &Arc<Ls>, args: DraftArgs) -> jsonrpc::Result<serde_json::Value> {
    if !ls.state.session().trusted {
        return Err(refuse(
            "this workspace is not trusted, so model calls are off; trust it to draft tasks",
        ));
    }
    let root = project_root(ls)?;
    let ws = workspace(ls).await?;
    let config = ws
        .config()
        .map(|(_, c)| c.clone())
        .ok_or_else(|| refuse("fabula.yaml is missing or has errors; fix it first"))?;
    let task_type = scaffold::task_type(&args.task_type).map_err(|e| refuse(e.to_string()))?;
    let validator = args
        .validator
        .clone()
        .or_else(|| config.judges.first().cloned())
        .ok_or_else(|| refuse("no validator given and no `judges` in fabula.yaml"))?;
    let env = Env::load(&root).map_err(|e| refuse(e.to_string()))?;
    let models = draft::models(&config, &env, &Tuning::default(), &args.model, &validator)
        .map_err(|errors| {
            refuse(format!(
                "{} (keys come from the environment or {})",
                errors,
                root.join(".env").display()
            ))
        })?;
    let request = Request {
        task_type,
        theory: args.theory.clone(),
        count: args.count.clamp(1, 20),
        min_score: args.min_score.unwrap_or(draft::DEFAULT_MIN_SCORE),
        repair_rounds: draft::DEFAULT_REPAIR_ROUNDS,
    };
    let report = draft::run(
        &models,
        &Project {
            root: &root,
            ws: &ws,
        },
        &request,
        &|_| {},
    )
    .await
    .map_err(|e| refuse(e.to_string()))?;
    let kept: Vec<std::path::PathBuf> = report
        .drafts
        .iter()
        .filter_map(|d| match &d.result {
            DraftResult::Accepted { path } => Some(root.join(path)),
            DraftResult::Rejected(_) => None,
        })
        .collect();
    let rejected: Vec<serde_json::Value> = report
        .drafts
        .iter()
        .filter_map(|d| match &d.result {
            DraftResult::Rejected(why) => {
                Some(serde_json::json!({"draft": d.index, "reason": why.to_string()}))
            }
            DraftResult::Accepted { .. } => None,
        })
        .collect();
    let message = format!(
        "{} of {} draft(s) kept in dataset/drafts/{}/ ({} repaired, {} rejected); cost ${:.4}",
        report.accepted(),
        report.drafts.len(),
        task_type.as_str(),
        report.repaired(),
        report.rejected(),
        report.cost()
    );
    ls.client
        .show_message(MessageType::INFO, format!("Fabula: {message}"))
        .await;
    Ok(serde_json::json!({
        "kept": kept,
        "rejected": rejected,
        "cost": report.cost(),
        "message": message,
    }))
}
