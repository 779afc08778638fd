//! One handler per protocol method. Requests convert positions, compute on a snapshot
//! ([`crate::state::State::compute`]) and convert back; the dispatcher puts each behind a
//! panic boundary. Notifications that change documents queue a change for the change
//! loop ([`crate::changes`]).

pub mod cancel_progress;
pub mod code_action;
pub mod code_lens;
pub mod compare;
pub mod completion;
pub mod definition;
pub mod did_change;
pub mod did_close;
pub mod did_open;
pub mod document_symbol;
pub mod execute_command;
pub mod hover;
pub mod initialize;
pub mod initialized;
pub mod leaderboard;
pub mod models;
pub mod ranking_items;
pub mod references;
pub mod report;
pub mod result_files;
pub mod save_ranking;
pub mod shutdown;
pub mod watched_files;

use crate::ls::Ls;
use crate::state::Snapshot;
use fabula_core::text::TextRange;
use std::sync::Arc;
use tower_lsp_server::ls_types::{Location, Uri};

/// The project-relative path of a document, or `None` (answered as "nothing here").
fn path(ls: &Arc<Ls>, uri: &Uri) -> Option<String> {
    ls.state.path_of(uri)
}

/// A location in another (or the same) file of the snapshot.
fn location(ls: &Ls, snap: &Snapshot, path: &str, range: TextRange) -> Option<Location> {
    let file = snap.file(path)?;
    Some(Location {
        uri: ls.state.uri_of(path)?,
        range: snap.positions(file).range(range),
    })
}
