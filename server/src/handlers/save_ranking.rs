//! `fabula/saveRanking`: a person's ranking from the ranking view, stored under
//! `results/rankings/` (under the store's write lock, atomically), answered with its
//! tau-b against the judges' median order.

use crate::ls::Ls;
use crate::protocol::{SaveRankingParams, SaveRankingResult};
use crate::ranking::{self, TaskOutputs};
use crate::run::refuse;
use fabula_eval::agreement::{self, Options};
use fabula_eval::sheet;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};

pub async fn handle(ls: &Arc<Ls>, params: SaveRankingParams) -> Result<SaveRankingResult> {
    let Some(root) = ls.state.root() else {
        return Err(Error::invalid_params("no project folder is open"));
    };
    if !sheet::is_seed(&params.seed) {
        return Err(refuse("`seed` is not one `fabula/rankingItems` answered"));
    }
    let rater = ranking::rater(params.rater.as_deref(), &root)?;
    // Fixed before computing: a computation retried on a newer snapshot writes the same
    // record to the same name.
    let created_at = fabula_engine::scheduler::now();
    let saved = ls
        .state
        .compute(move |snap| {
            let mut outputs = TaskOutputs::open(snap, &root, &params.task)?;
            let samples = outputs.samples(&params.seed);
            let Some(sample) = samples.iter().find(|s| s.sample == params.sample) else {
                return Err(refuse(format!(
                    "task `{}` sample {} has no outputs to rank today (re-run since the view opened: open it again)",
                    params.task, params.sample
                )));
            };
            let record = sheet::ranking(
                sample,
                &params.ranks,
                &rater,
                &params.note,
                &params.seed,
                &created_at,
            )
            .map_err(refuse)?;
            let file = {
                let _lock = outputs
                    .store
                    .lock()
                    .map_err(|e| refuse(e.to_string()))?;
                outputs
                    .store
                    .write_ranking(&record)
                    .map_err(|e| refuse(format!("cannot write the ranking: {e}")))?
            };
            let current_judges = outputs.config.judges.clone();
            outputs.loaded.rankings = vec![(file.clone(), record.clone())];
            let figures = agreement::agreement(
                &outputs.current(),
                std::slice::from_ref(&outputs.task),
                &outputs.loaded,
                &current_judges,
                &Options {
                    resamples: 0,
                    ..Options::default()
                },
            );
            Ok(SaveRankingResult {
                file: file.display().to_string(),
                median_tau: figures.rankings.first().and_then(|r| r.median_tau),
            })
        })
        .await??;
    // The task's hover shows the new ranking without waiting for the file watcher.
    crate::results::changed(ls, vec![std::path::PathBuf::from(&saved.file)]).await;
    Ok(saved)
}
