//! `window/workDoneProgress/cancel`: the user pressed cancel on a run's progress.

use crate::ls::Ls;
use tower_lsp_server::ls_types::WorkDoneProgressCancelParams;

pub fn handle(ls: &Ls, params: WorkDoneProgressCancelParams) {
    ls.runs.cancel(&params.token);
}
