//! `fabula/compare`: two models paired on one task's items (the same samples), by
//! `fabula_eval::compare`, the statistics of `fabula compare`: B − A per item, the mean
//! difference with its paired bootstrap interval, the permutation p-value, wins, ties
//! and losses, and the same per judge criterion.

use crate::ls::Ls;
use crate::protocol::{
    CompareCriterion, CompareDiff, CompareMissing, CompareParams, CompareResult, ComparedItem,
};
use fabula_engine::store::Store;
use fabula_eval::compare::{self, Diff, Options, Pick, Side};
use fabula_eval::fingerprint::Current;
use std::sync::Arc;
use tower_lsp_server::jsonrpc::{Error, Result};

pub async fn handle(ls: &Ls, params: CompareParams) -> Result<CompareResult> {
    let Some(root) = ls.state.root() else {
        return Err(Error::invalid_params("no project folder is open"));
    };
    if params.a == params.b {
        return Err(Error::invalid_params(format!(
            "compare {} with another model, not with itself",
            params.a
        )));
    }
    ls.state
        .compute(move |snap| {
            let ws = &crate::db::workspace(&snap.db, snap.project).ws;
            let Some((_, config)) = ws.config() else {
                return Err(Error::invalid_params(
                    "fabula.yaml has errors: nothing to compare until they are fixed",
                ));
            };
            for m in [&params.a, &params.b] {
                if !config.models.contains_key(m) {
                    return Err(Error::invalid_params(format!(
                        "no model {m} in fabula.yaml"
                    )));
                }
            }
            let tasks: Vec<Arc<_>> = fabula_eval::prepared::tasks(ws, config)
                .into_iter()
                .filter(|t| t.id() == params.task)
                .map(Arc::new)
                .collect();
            if tasks.is_empty() {
                return Err(Error::invalid_params(format!(
                    "no task {} without errors in this project",
                    params.task
                )));
            }
            let slop = fabula_engine::project::slop(ws);
            let loaded = Store::new(root.join("results")).load();
            let dialects = fabula_engine::setup::dialects(config, &snap.project.env(&snap.db).0);
            let side = |model| Side {
                model,
                records: &loaded,
                pick: Pick::Today,
            };
            let c = compare::compare(
                &Current::new(config, &slop, &dialects),
                &tasks,
                side(&params.a),
                side(&params.b),
                &config.judges,
                &Options {
                    moved: Some(usize::MAX),
                    ..Options::default()
                },
            );
            Ok(CompareResult {
                task: params.task.clone(),
                a: c.a,
                b: c.b,
                items: count(c.items),
                pairs: count(c.pairs),
                missing: c
                    .missing
                    .into_iter()
                    .map(|(why, n)| CompareMissing {
                        why,
                        count: count(n),
                    })
                    .collect(),
                overall: c.overall.as_ref().map(diff),
                criteria: c
                    .by_criterion
                    .iter()
                    .map(|d| CompareCriterion {
                        criterion: d.criterion.clone(),
                        diff: diff(&d.diff),
                    })
                    .collect(),
                per_item: c
                    .moved
                    .into_iter()
                    .map(|m| ComparedItem {
                        sample: m.sample,
                        a: m.a,
                        b: m.b,
                        diff: m.diff,
                        reason: m.reason,
                    })
                    .collect(),
            })
        })
        .await?
}

fn diff(d: &Diff) -> CompareDiff {
    CompareDiff {
        pairs: count(d.pairs),
        a: d.a,
        b: d.b,
        diff: d.diff,
        ci_low: d.ci_low,
        ci_high: d.ci_high,
        p: d.p.p,
        exact: d.p.exact,
        p_holm: d.p_holm,
        wins: count(d.wins),
        ties: count(d.ties),
        losses: count(d.losses),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
