//! [`Ls`]: the context every handler and service of the server is given — the client, the
//! state (read on snapshots), the change loop's sender (the one way to edit), the
//! publisher's outbox, the runs in flight and the watcher.
//!
//! A layer of its own: it is built from the modules below it (state, the change loop's
//! types, the runs registry) and imports nothing that takes an `&Ls`, so what takes one
//! (handlers, the publisher, runs, the watcher, results) sits above it, and the dispatcher
//! (`server.rs`) sits above them all. Dependencies run one way.

use crate::changes::{Change, Outbox};
use crate::runs::Runs;
use crate::state::{State, lock};
use std::sync::{Arc, Mutex, Weak};
use tower_lsp_server::Client;

pub struct Ls {
    pub client: Client,
    /// Shared with the change loop, the only writer of its inputs.
    pub state: Arc<State>,
    /// Shared with the change loop, which fills it.
    pub outbox: Arc<Outbox>,
    pub runs: Runs,
    pub watcher: Mutex<Option<notify::RecommendedWatcher>>,
    changes: tokio::sync::mpsc::UnboundedSender<Change>,
    me: Weak<Ls>,
}

impl Ls {
    /// A server's shared state; `changes` feeds the change loop ([`crate::changes`]).
    pub fn new(client: Client, changes: tokio::sync::mpsc::UnboundedSender<Change>) -> Arc<Ls> {
        Arc::new_cyclic(|me| Ls {
            client,
            state: Arc::default(),
            outbox: Arc::default(),
            runs: Runs::default(),
            watcher: Mutex::new(None),
            changes,
            me: me.clone(),
        })
    }

    /// A shared handle, for work that outlives the caller's borrow.
    pub fn shared(&self) -> Option<Arc<Ls>> {
        self.me.upgrade()
    }

    /// Queues a change for the change loop. Requests handled after this call see it
    /// applied ([`State::compute`] waits for it).
    pub fn change(&self, change: Change) {
        self.state.sent();
        if self.changes.send(change).is_err() {
            tracing::debug!("change loop stopped; change dropped");
        }
    }

    /// Stops watching and the change loop (the server is exiting).
    pub fn stop(&self) {
        lock(&self.watcher).take();
        let _ = self.changes.send(Change::Stop);
    }
}
