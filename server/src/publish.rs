//! Publishing diagnostics: one task, woken by the change loop after each batch of changes
//! (through its outbox, [`crate::changes::Outbox`]). It computes on a snapshot (on a
//! blocking thread), sends the files the editor touched first, then every other file whose diagnostics changed (cross-file effects), each with
//! the version of that snapshot.
//!
//! One publisher and snapshots that only move forward are what keep an older result from
//! overwriting a newer one: no generation counters, no lock across a send. When a change
//! arrives mid-computation, salsa cancels it and the next round starts from the newer
//! snapshot, with the touched files carried over.

use crate::db;
use crate::ls::Ls;
use crate::state::Snapshot;
use fabula_core::diagnostic::{Diagnostic, Severity};
use std::collections::{BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, Location, NumberOrString, Uri,
};

/// What was last published for each file: its version and its diagnostics.
type Sent = HashMap<String, (Option<i32>, Arc<Vec<Diagnostic>>)>;

/// The publishing task; started once the client said `initialized`.
pub fn start(ls: &Arc<Ls>) {
    let ls = ls.clone();
    tokio::spawn(async move {
        // What was last sent for each file.
        let mut sent: Sent = HashMap::new();
        loop {
            let pending = ls.outbox.take();
            if !pending.files && !pending.results && pending.edited.is_empty() {
                ls.outbox.wait().await;
                continue;
            }
            if (pending.files || !pending.edited.is_empty())
                && let Err(unsent) = round(&ls, &mut sent, pending.edited).await
            {
                // A newer change cancelled this round; its own wake-up follows.
                ls.outbox.restore(unsent, pending.results);
                continue;
            }
            if pending.results {
                crate::results::refresh_lenses(&ls).await;
            }
        }
    });
}

/// One file's diagnostics, ready to send.
struct Ready {
    path: String,
    uri: Uri,
    version: Option<i32>,
    diagnostics: Arc<Vec<Diagnostic>>,
    lsp: Vec<lsp::Diagnostic>,
}

/// Publishes the edited files, then every file whose diagnostics differ from `sent`, then
/// clears files that left the project. When a change cancels the computation: the edited
/// files not yet sent.
async fn round(
    ls: &Arc<Ls>,
    sent: &mut Sent,
    edited: BTreeSet<String>,
) -> Result<(), BTreeSet<String>> {
    let first: Vec<String> = edited.iter().cloned().collect();
    let Some((ready, _)) = compute(ls, Some(first), sent.clone()).await else {
        return Err(edited);
    };
    send(ls, sent, ready).await;
    let Some((ready, present)) = compute(ls, None, sent.clone()).await else {
        return Err(BTreeSet::new());
    };
    send(ls, sent, ready).await;
    let gone: Vec<String> = sent
        .keys()
        .filter(|p| !present.contains(*p))
        .cloned()
        .collect();
    for path in gone {
        sent.remove(&path);
        if let Some(uri) = ls.state.uri_of(&path) {
            ls.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }
    Ok(())
}

async fn send(ls: &Ls, sent: &mut Sent, ready: Vec<Ready>) {
    for r in ready {
        sent.insert(r.path, (r.version, r.diagnostics));
        ls.client.publish_diagnostics(r.uri, r.lsp, r.version).await;
    }
}

/// The diagnostics of `only` (always), or of every file whose diagnostics differ from
/// `sent`; with the set of files the snapshot has. `None` when cancelled.
async fn compute(
    ls: &Arc<Ls>,
    only: Option<Vec<String>>,
    sent: Sent,
) -> Option<(Vec<Ready>, BTreeSet<String>)> {
    let snap = ls.state.snapshot();
    let shared = ls.clone();
    let joined = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut out = Vec::new();
            let paths: Vec<String> = match &only {
                Some(paths) => paths.clone(),
                None => snap
                    .project
                    .files(&snap.db)
                    .iter()
                    .map(|f| f.path(&snap.db).clone())
                    .collect(),
            };
            let present: BTreeSet<String> = match only {
                Some(_) => BTreeSet::new(),
                None => paths.iter().cloned().collect(),
            };
            let always = present.is_empty();
            for path in paths {
                let Some(file) = snap.file(&path) else {
                    continue;
                };
                let diagnostics = db::diagnostics(&snap.db, snap.project, file).0.clone();
                let version = snap.version(&path);
                let last = sent.get(&path);
                let unchanged =
                    last.is_some_and(|(_, d)| Arc::ptr_eq(d, &diagnostics) || *d == diagnostics);
                // An edited file is published even when its diagnostics did not change (the
                // client waits for its version), but never twice for one version: a batch
                // of edits can be published by the round of an earlier batch already.
                let sent_as_is = unchanged && last.is_some_and(|(v, _)| *v == version);
                if (!always && unchanged) || sent_as_is {
                    continue;
                }
                let Some(uri) = shared.state.uri_of(&path) else {
                    continue;
                };
                let lsp = to_lsp(&snap, file, &diagnostics, |p| shared.state.uri_of(p));
                out.push(Ready {
                    version,
                    path,
                    uri,
                    diagnostics,
                    lsp,
                });
            }
            (out, present)
        }))
    })
    .await;
    match joined {
        Ok(Ok(found)) => Some(found),
        Ok(Err(payload)) if payload.is::<salsa::Cancelled>() => None,
        Ok(Err(payload)) => {
            tracing::error!(
                "internal error computing diagnostics: {}",
                crate::panic::panic_message(payload.as_ref())
            );
            Some((Vec::new(), BTreeSet::new()))
        }
        Err(err) => {
            tracing::error!("internal error computing diagnostics: {err}");
            Some((Vec::new(), BTreeSet::new()))
        }
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
