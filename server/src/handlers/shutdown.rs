//! `shutdown`: cancel the runs in flight (their finished records are kept) and stop
//! watching the disk; `exit` follows.

use crate::ls::Ls;
use crate::state::lock;

pub fn handle(ls: &Ls) {
    ls.runs.cancel_all();
    lock(&ls.watcher).take();
    tracing::info!("shutdown");
}
