//! The change loop: the one owner of the server's inputs. Every change — an editor's
//! open, edit and close, a file changed on disk, the project read at start, new results —
//! is a [`Change`] on one channel, applied in the order it was sent, on a thread of its
//! own (rust-analyzer's and ruff's shape).
//!
//! Why a thread: setting a salsa input waits until every computation on an older snapshot
//! has noticed its cancellation and let go, and loading reads files; neither may hold up
//! the async runtime that answers requests. Why one channel: the transport sends the
//! editor's notifications into it in wire order (`transport.rs`), so the order of
//! edits never depends on how futures are polled.
//!
//! After each batch the loop tells the publisher which files the editor touched, through
//! an [`Outbox`]; the publisher sends their diagnostics first, then any other file's that
//! changed.
//!
//! The loop is given the state and the outbox, nothing else: it knows no client, no
//! handler and no dispatcher.

use crate::state::{State, is_project_file, lock};
use crate::store::Update;
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;

/// One change to the server's inputs.
#[derive(Debug)]
pub enum Change {
    Open {
        path: String,
        version: i32,
        text: String,
    },
    Edit {
        path: String,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    },
    Close {
        path: String,
    },
    /// Paths that changed on disk (the watcher's, or the client's).
    Disk(Vec<PathBuf>),
    /// Read every project file from disk again.
    Load,
    /// Records under `results/` changed.
    Results(Update),
    /// The server is exiting.
    Stop,
}

/// Starts the loop on its own thread: it applies changes to `state` and tells `outbox`.
pub fn start(
    state: Arc<State>,
    outbox: Arc<Outbox>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Change>,
) {
    let spawned = std::thread::Builder::new()
        .name("fabula-changes".into())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
                let mut batch = vec![first];
                while let Ok(next) = rx.try_recv() {
                    batch.push(next);
                }
                let mut touched = Touched::default();
                let mut applied = 0;
                for change in batch {
                    if matches!(change, Change::Stop) {
                        return;
                    }
                    applied += 1;
                    let what = describe(&change);
                    // A bug in applying one change must not stop every later one.
                    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        apply(&state, change, &mut touched)
                    }));
                    if let Err(payload) = outcome {
                        tracing::error!(
                            "internal error applying {what}: {}",
                            crate::panic::panic_message(payload.as_ref())
                        );
                    }
                }
                state.applied(applied);
                outbox.changed(touched);
            }
        });
    if let Err(err) = spawned {
        tracing::error!("cannot start the change loop: {err}");
    }
}

/// What a batch of changes touched, for the publisher.
#[derive(Debug, Default)]
pub struct Touched {
    /// Files the editor changed: published first, even when their diagnostics did not
    /// change (the client learns that the version was checked).
    pub edited: Vec<String>,
    /// Anything that can change diagnostics happened.
    pub files: bool,
    /// Scores may have changed, or the project was (re)loaded: the client is asked to
    /// refresh its lenses.
    pub results: bool,
}

/// What the change loop has told the publisher since the publisher's last round.
#[derive(Default)]
pub struct Outbox {
    pending: Mutex<Pending>,
    wake: tokio::sync::Notify,
}

/// The files and kinds of change not yet published.
#[derive(Default)]
pub struct Pending {
    pub edited: BTreeSet<String>,
    pub files: bool,
    pub results: bool,
}

impl Outbox {
    /// Called by the change loop after a batch.
    pub fn changed(&self, touched: Touched) {
        {
            let mut p = lock(&self.pending);
            p.edited.extend(touched.edited);
            p.files |= touched.files;
            p.results |= touched.results;
        }
        self.wake.notify_one();
    }

    /// What is pending, leaving nothing.
    pub fn take(&self) -> Pending {
        std::mem::take(&mut *lock(&self.pending))
    }

    /// Puts back what a cancelled round did not get to: the edited files it did not send,
    /// a whole pass over the files, and the lens refresh it owed (`results`) — dropped,
    /// a client's lenses could stay as they were before the store or the project loaded.
    pub fn restore(&self, edited: BTreeSet<String>, results: bool) {
        let mut p = lock(&self.pending);
        p.edited.extend(edited);
        p.files = true;
        p.results |= results;
    }

    /// Waits for the next batch (returns at once if one came since the last wait).
    pub async fn wait(&self) {
        self.wake.notified().await;
    }
}

fn describe(change: &Change) -> String {
    match change {
        Change::Open { path, .. } => format!("the opening of {path}"),
        Change::Edit { path, version, .. } => format!("version {version} of {path}"),
        Change::Close { path } => format!("the closing of {path}"),
        Change::Disk(paths) => format!("{} change(s) on disk", paths.len()),
        Change::Load => "the project load".to_owned(),
        Change::Results(_) => "new results".to_owned(),
        Change::Stop => "stop".to_owned(),
    }
}

fn apply(state: &State, change: Change, touched: &mut Touched) {
    match change {
        Change::Open {
            path,
            version,
            text,
        } => {
            state.open(&path, version, text);
            touched.edited.push(path);
            touched.files = true;
        }
        Change::Edit {
            path,
            version,
            changes,
        } => {
            if state.change(&path, version, changes) {
                touched.edited.push(path);
                touched.files = true;
            } else {
                tracing::warn!("change to {path}, which is not open: ignored");
            }
        }
        Change::Close { path } => {
            let disk = state
                .root()
                .map(|r| r.join(&path))
                .filter(|d| is_project_file(&path) && d.is_file())
                .and_then(|d| fabula_engine::project::read_capped(&d).ok());
            state.close(&path, disk);
            touched.files = true;
        }
        Change::Disk(paths) => {
            let Some(root) = state.root() else { return };
            for path in paths {
                let name = fabula_engine::project::named(Some(&root), &path).name;
                if name == ".env" {
                    state.reload_env(&root);
                    touched.files = true;
                    continue;
                }
                if !is_project_file(&name) {
                    continue;
                }
                let bytes = if path.is_file() {
                    fabula_engine::project::read_capped(&path).ok()
                } else {
                    None
                };
                state.disk_changed(&name, bytes);
                touched.files = true;
            }
        }
        Change::Load => {
            let Some(root) = state.root() else { return };
            let started = std::time::Instant::now();
            state.reload_env(&root);
            match read_project(&root) {
                Ok(listed) => {
                    let n = state.load(listed);
                    tracing::info!("loaded {n} files in {} ms", started.elapsed().as_millis());
                }
                Err(err) => tracing::error!("cannot read the project: {err}"),
            }
            touched.files = true;
            // A lens asked for before the project was read found no task: ask again.
            touched.results = true;
        }
        Change::Results(update) => {
            let results = update.apply(&state.results());
            state.set_results(results);
            touched.results = true;
        }
        Change::Stop => {}
    }
}

/// Every project file's name and bytes (size-capped; unreadable files are logged and
/// left out).
fn read_project(root: &std::path::Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let listed = fabula_engine::project::project_files(root)?;
    let contents = fabula_engine::project::read_all(&listed);
    let mut out = Vec::with_capacity(listed.len());
    for (file, bytes) in listed.into_iter().zip(contents) {
        match bytes {
            Ok(b) => out.push((file.name, b)),
            Err(err) => tracing::warn!("cannot read {}: {err}", file.disk.display()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round cancelled by a newer change owed the client a lens refresh (the store had
    /// just loaded): it is put back with the files, not lost. Found by the code-server
    /// e2e, whose lens never came when the file's opening cancelled the first round.
    #[test]
    fn a_cancelled_round_keeps_its_lens_refresh() {
        let outbox = Outbox::default();
        outbox.changed(Touched {
            edited: vec!["a.yaml".into()],
            files: true,
            results: true,
        });
        let pending = outbox.take();
        assert!(pending.results && pending.files);
        outbox.restore(pending.edited, pending.results);
        let again = outbox.take();
        assert!(again.results, "the lens refresh was dropped");
        assert!(again.files);
        assert_eq!(again.edited.into_iter().collect::<Vec<_>>(), ["a.yaml"]);
    }
}
