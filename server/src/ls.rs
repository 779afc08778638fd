//! [`Ls`]: what every handler and background task of the server shares. The dispatcher
//! (`server.rs`) holds one and hands it to handlers; handlers import this module, never
//! the dispatcher, so dependencies run one way.

use crate::changes::Change;
use crate::publish::Publisher;
use crate::run::Runs;
use crate::state::{State, lock};
use std::sync::{Arc, Mutex, Weak};
use tower_lsp_server::Client;

pub struct Ls {
    pub client: Client,
    pub state: State,
    pub publisher: Publisher,
    pub runs: Runs,
    pub watcher: Mutex<Option<crate::watch::Watcher>>,
    changes: tokio::sync::mpsc::UnboundedSender<Change>,
    me: Weak<Ls>,
}

impl Ls {
    /// A server's shared state; `changes` feeds the change loop ([`crate::changes`]).
    pub fn new(client: Client, changes: tokio::sync::mpsc::UnboundedSender<Change>) -> Arc<Ls> {
        Arc::new_cyclic(|me| Ls {
            client,
            state: State::default(),
            publisher: Publisher::default(),
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
