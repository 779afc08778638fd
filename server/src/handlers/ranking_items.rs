//! `fabula/rankingItems`: a task sample's outputs for a person to rank, blind: no model
//! name, in an order shuffled with a seed of this view's own, with the task as a judge
//! reads it and, for agentic tasks, each output's transcript.

use crate::ls::Ls;
use crate::protocol::{RankingItem, RankingItemsParams, RankingItemsResult, RankingTurn};
use crate::ranking::{self, TaskOutputs};
use crate::run::refuse;
use fabula_core::kind;
use fabula_core::model::Actor;
use fabula_eval::sheet;
use std::time::{SystemTime, UNIX_EPOCH};
use tower_lsp_server::jsonrpc::{Error, Result};

pub async fn handle(ls: &Ls, params: RankingItemsParams) -> Result<RankingItemsResult> {
    let Some(root) = ls.state.root() else {
        return Err(Error::invalid_params("no project folder is open"));
    };
    let rater = ranking::rater(params.rater.as_deref(), &root)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = sheet::new_seed(&format!("{rater}\n{nanos}\n{}", params.task));
    ls.state
        .compute(move |snap| {
            let outputs = TaskOutputs::open(snap, &root, &params.task)?;
            let samples = outputs.samples(&seed);
            let numbers: Vec<u32> = samples.iter().map(|s| s.sample).collect();
            let chosen = match params.sample {
                Some(n) => samples.iter().find(|s| s.sample == n),
                None => samples.first(),
            };
            let Some(sample) = chosen else {
                return Err(refuse(format!(
                    "task `{}` has no sample with today's outputs of two or more models to rank: run it with two or more models first",
                    params.task
                )));
            };
            let input = outputs.task.input(&outputs.slop);
            let brief = kind::of(outputs.task.task.task_type()).judge_brief(input);
            let items = sample
                .outputs
                .iter()
                .map(|o| RankingItem {
                    id: o.id.clone(),
                    text: o.text.clone(),
                    transcript: transcript(&outputs, &o.generation.record),
                })
                .collect();
            Ok(RankingItemsResult {
                task: sample.task.clone(),
                sample: sample.sample,
                samples: numbers,
                seed: seed.clone(),
                rater: rater.clone(),
                brief,
                items,
            })
        })
        .await?
}

/// The turns of a generation that took more than one request (an agentic task);
/// empty otherwise, or when the record cannot be read.
fn transcript(outputs: &TaskOutputs, record: &str) -> Vec<RankingTurn> {
    let Ok(g) = outputs.store.read_generation(&outputs.record_path(record)) else {
        return Vec::new();
    };
    let requests = g
        .transcript
        .iter()
        .filter(|t| t.actor == Actor::Writer)
        .count();
    if requests < 2 {
        return Vec::new();
    }
    g.transcript
        .into_iter()
        .map(|t| RankingTurn {
            actor: match t.actor {
                Actor::Harness => "harness",
                Actor::Writer => "writer",
                Actor::Oracle => "oracle",
                Actor::Critic => "critic",
                Actor::Feedback => "feedback",
            }
            .to_string(),
            content: t.content,
        })
        .collect()
}
