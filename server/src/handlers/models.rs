//! `fabula/models`: the models of `fabula.yaml`, for a client's model picker.

use crate::ls::Ls;
use crate::protocol::{ModelInfo, ModelsResult};
use tower_lsp_server::jsonrpc::Result;

pub async fn handle(ls: &Ls) -> Result<ModelsResult> {
    ls.state
        .compute(|snap| {
            let ws = &crate::db::workspace(&snap.db, snap.project).ws;
            let Some((_, config)) = ws.config() else {
                return ModelsResult {
                    models: Vec::new(),
                    judges: Vec::new(),
                    writers: Vec::new(),
                };
            };
            let models = config
                .models
                .iter()
                .map(|(name, m)| {
                    let kind = config.providers.get(&m.provider).map(|p| p.kind);
                    ModelInfo {
                        name: name.clone(),
                        provider: m.provider.clone(),
                        enabled: m.enabled,
                        simulated: kind == Some(fabula_core::model::ProviderKind::Sim),
                    }
                })
                .collect();
            ModelsResult {
                models,
                judges: config.judges.clone(),
                writers: config.default_writers(),
            }
        })
        .await
}
