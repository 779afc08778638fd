//! `fabula/models`: the models of `fabula.yaml`, for a client's model picker.

use crate::server::Ls;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::Result;

pub async fn handle(ls: &Arc<Ls>, _: serde_json::Value) -> Result<serde_json::Value> {
    ls.state
        .compute("fabula/models", |snap| {
            let ws = &crate::db::workspace(&snap.db, snap.project).ws;
            let Some((_, config)) = ws.config() else {
                return serde_json::json!({ "models": [], "judges": [], "writers": [] });
            };
            let models: Vec<serde_json::Value> = config
                .models
                .iter()
                .map(|(name, m)| {
                    let kind = config.providers.get(&m.provider).map(|p| p.kind);
                    serde_json::json!({
                        "name": name,
                        "provider": m.provider,
                        "enabled": m.enabled,
                        "simulated": kind == Some(fabula_core::model::ProviderKind::Sim),
                    })
                })
                .collect();
            serde_json::json!({
                "models": models,
                "judges": config.judges,
                "writers": config.default_writers(),
            })
        })
        .await
}
