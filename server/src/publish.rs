//! Publishing diagnostics: the edited file first, then every other file whose
//! diagnostics changed (cross-file effects), each with the version it was computed for.
//!
//! A refresh computes on a snapshot. Before sending, it checks that the file has not
//! changed since (its version for open files) and that no newer refresh has already
//! published it: an older result never overwrites a newer one.

use crate::db;
use crate::server::Ls;
use crate::state::{Snapshot, lock};
use fabula_core::diagnostic::{Diagnostic, Severity};
use std::collections::HashMap;
use std::sync::Arc;
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, Location, NumberOrString, Uri,
};

/// The generation a file's diagnostics were computed at, and the diagnostics.
type Sent = HashMap<String, (u64, Arc<Vec<Diagnostic>>)>;

/// What was last sent for each file.
#[derive(Default)]
pub struct Published {
    sent: std::sync::Mutex<Sent>,
    order: tokio::sync::Mutex<()>,
}

struct Ready {
    path: String,
    uri: Uri,
    version: Option<i32>,
    diagnostics: Arc<Vec<Diagnostic>>,
    lsp: Vec<lsp::Diagnostic>,
}

/// Re-diagnoses after the change that made `generation`: `first` (the edited file) right
/// away, then the rest. Nothing happens when a newer change came since: its own refresh
/// does the work.
pub async fn refresh(ls: &Arc<Ls>, first: Option<String>, generation: u64) {
    if ls.state.generation() != generation {
        return;
    }
    if let Some(path) = first {
        // The edited file is published even when unchanged: the client learns that
        // this version was checked.
        publish(ls, vec![path], generation, true).await;
    }
    if ls.state.generation() != generation {
        return; // a newer change has its own refresh
    }
    publish(ls, ls.state.paths(), generation, false).await;
}

/// Computes and sends the diagnostics of `paths` that differ from what was sent (all of
/// them when `always`).
pub async fn publish(ls: &Arc<Ls>, paths: Vec<String>, generation: u64, always: bool) {
    // `State::compute` already runs again when a change that is not an edit cancelled
    // it; an error here means an edit overtook us, and the edit's refresh publishes.
    let Ok(ready) = compute(ls, paths, always).await else {
        return;
    };
    let _order = ls.published.order.lock().await;
    for r in ready {
        if ls.state.version(&r.path) != r.version {
            continue;
        }
        {
            let mut sent = lock(&ls.published.sent);
            if sent.get(&r.path).is_some_and(|(g, _)| *g > generation) {
                continue;
            }
            sent.insert(r.path.clone(), (generation, r.diagnostics));
        }
        ls.client.publish_diagnostics(r.uri, r.lsp, r.version).await;
    }
}

async fn compute(
    ls: &Arc<Ls>,
    paths: Vec<String>,
    always: bool,
) -> tower_lsp_server::jsonrpc::Result<Vec<Ready>> {
    let versions: Vec<Option<i32>> = paths.iter().map(|p| ls.state.version(p)).collect();
    let shared = ls.clone();
    ls.state
        .compute("diagnostics", move |snap| {
            let sent = lock(&shared.published.sent).clone();
            let mut out = Vec::new();
            for (path, version) in paths.iter().cloned().zip(versions.iter().copied()) {
                let Some(file) = snap.file(&path) else {
                    continue;
                };
                let diagnostics = db::diagnostics(&snap.db, snap.project, file).0.clone();
                if !always && sent.get(&path).is_some_and(|(_, d)| *d == diagnostics) {
                    continue;
                }
                let Some(uri) = shared.state.uri_of(&path) else {
                    continue;
                };
                let lsp = to_lsp(snap, file, &diagnostics, |p| shared.state.uri_of(p));
                out.push(Ready {
                    path,
                    uri,
                    version,
                    diagnostics,
                    lsp,
                });
            }
            out
        })
        .await
}

/// Forgets what was sent for a file that left the project, clearing it in the editor.
pub async fn clear(ls: &Arc<Ls>, path: &str) {
    let had = lock(&ls.published.sent).remove(path).is_some();
    if had && let Some(uri) = ls.state.uri_of(path) {
        let _order = ls.published.order.lock().await;
        ls.client.publish_diagnostics(uri, Vec::new(), None).await;
    }
}

pub fn to_lsp(
    snap: &Snapshot,
    file: db::SourceFile,
    diagnostics: &[Diagnostic],
    uri_of: impl Fn(&str) -> Option<Uri>,
) -> Vec<lsp::Diagnostic> {
    let here = snap.positions(file);
    diagnostics
        .iter()
        .map(|d| {
            let related: Vec<DiagnosticRelatedInformation> = d
                .related
                .iter()
                .filter_map(|r| {
                    let other = snap.file(&r.path)?;
                    Some(DiagnosticRelatedInformation {
                        location: Location {
                            uri: uri_of(&r.path)?,
                            range: snap.positions(other).range(r.range),
                        },
                        message: r.message.clone(),
                    })
                })
                .collect();
            lsp::Diagnostic {
                range: here.range(d.range),
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                    Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
                }),
                code: Some(NumberOrString::String(d.code.to_owned())),
                source: Some("fabula".into()),
                message: d.message.clone(),
                related_information: (!related.is_empty()).then_some(related),
                ..lsp::Diagnostic::default()
            }
        })
        .collect()
}
