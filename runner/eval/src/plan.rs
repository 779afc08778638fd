//! Planning a run: what is missing or stale in the store for the chosen models, judges,
//! tasks and samples, and only that.
//!
//! A generation is done when the store holds a record with today's fingerprint for its
//! model, task and sample. An evaluation is done when a record with today's evaluation
//! fingerprint exists for its judge *and* judged the generation's exact text (its
//! `generation_sha` is the generation's `view_sha`). Adding a judge therefore plans that
//! judge alone; changing a task, a prompt or a model's parameters changes the
//! fingerprints and re-plans exactly what they shaped. Records with other fingerprints
//! are stale: kept, counted, and ignored.
//!
//! Failed records are never "up to date": they are done for planning (a broken model is
//! not retried on every run) but counted by kind, and `retry_failed` plans them again.
//! A job that judges a stored generation carries only the record's path: the engine
//! reads it when the job starts, so planning over a large store holds summaries only.

use crate::fingerprint::Current;
use crate::prepared::PreparedTask;
use crate::records::{Index, Records};
use fabula_core::kind::{self, Party};
use fabula_core::model::{BATCH_PRICE_FACTOR, Config, FailureKind, Status};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What to run.
#[derive(Clone, Debug)]
pub struct Selection {
    pub writers: Vec<String>,
    pub judges: Vec<String>,
    pub samples: u32,
    pub tasks: Vec<Arc<PreparedTask>>,
    /// `(i, n)`: only the i-th of n shards (1-based).
    pub shard: Option<(u32, u32)>,
    /// Plan stored failures again.
    pub retry_failed: bool,
}

/// One unit of work: a generation of `task` by `model`, then its judging.
#[derive(Clone, Debug)]
pub struct Job {
    pub task: Arc<PreparedTask>,
    pub model: String,
    pub sample: u32,
    /// Judges to run on the generation (config names); empty to skip judging.
    pub judges: Vec<String>,
    /// A generation already in the store, to judge only: read when the job starts.
    pub existing: Option<PathBuf>,
    /// Today's fingerprint of the generation.
    pub fingerprint: String,
    /// Today's evaluation fingerprint of each judge (shared by the samples of a task and
    /// model: a plan of tens of thousands of jobs holds one map per task and model).
    pub judge_fingerprints: Arc<BTreeMap<String, String>>,
}

/// Stored failures with today's fingerprints, by kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failures {
    pub generations: BTreeMap<FailureKind, usize>,
    pub evaluations: BTreeMap<FailureKind, usize>,
    /// One reason per kind, as an example.
    pub examples: BTreeMap<FailureKind, String>,
}

impl Failures {
    pub fn total(&self) -> usize {
        self.generations.values().sum::<usize>() + self.evaluations.values().sum::<usize>()
    }

    fn add(&mut self, generation: bool, kind: FailureKind, error: Option<&str>) {
        let map = if generation {
            &mut self.generations
        } else {
            &mut self.evaluations
        };
        *map.entry(kind).or_default() += 1;
        if let Some(e) = error {
            self.examples.entry(kind).or_insert_with(|| e.to_string());
        }
    }
}

/// The work a run will do.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// New generations per model.
    pub generations: BTreeMap<String, usize>,
    /// New evaluations per judge (of generations not yet made, as if they succeed).
    pub evaluations: BTreeMap<String, usize>,
    /// Calls per role, at most: writer model, `oracle:<name>`, `critic:<name>`,
    /// `judge:<name>`.
    pub calls: BTreeMap<String, usize>,
    /// Rough cost in USD, where prices are known.
    pub estimated_cost: f64,
    /// The same estimate for `fabula run --batch`: single-request generations and judge
    /// calls of models whose provider has a batch API at the batch price
    /// ([`fabula_core::model::BATCH_PRICE_FACTOR`]), everything else as in
    /// `estimated_cost`.
    pub estimated_batch_cost: f64,
    /// Generations and evaluations already done (today's fingerprints), failed included.
    pub done_generations: usize,
    pub done_evaluations: usize,
    /// Stored failures left as they are (without `retry_failed`).
    pub failed: Failures,
    /// Stored failures planned again (with `retry_failed`).
    pub retried: usize,
    /// Distinct tasks and writers the jobs touch.
    pub tasks: usize,
    pub writers: usize,
}

impl Plan {
    pub fn total_generations(&self) -> usize {
        self.generations.values().sum()
    }
    pub fn total_evaluations(&self) -> usize {
        self.evaluations.values().sum()
    }
}

/// Whether `(task, model, sample)` belongs to shard `i` of `n` (stable across machines).
pub fn in_shard(shard: Option<(u32, u32)>, task: &str, model: &str, sample: u32) -> bool {
    let Some((i, n)) = shard else {
        return true;
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in task
        .bytes()
        .chain([0])
        .chain(model.bytes())
        .chain([0])
        .chain(sample.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % u64::from(n.max(1)) == u64::from(i.saturating_sub(1))
}

/// Plans the missing work of `selection` against `records`.
pub fn plan(current: &Current<'_>, selection: &Selection, records: &Records) -> Plan {
    let index = Index::new(records);
    current.warm(&selection.tasks);
    let mut plan = Plan::default();
    let mut tasks = std::collections::BTreeSet::new();
    let mut writers = std::collections::BTreeSet::new();
    for task in &selection.tasks {
        for writer in &selection.writers {
            let Some(gfp) = current.generation(task, writer) else {
                continue;
            };
            let efps: BTreeMap<&str, String> = selection
                .judges
                .iter()
                .filter_map(|j| Some((j.as_str(), current.evaluation(task, &gfp, j)?)))
                .collect();
            let shared = Arc::new(owned(&efps));
            for sample in 0..selection.samples {
                if !in_shard(selection.shard, task.id(), writer, sample) {
                    continue;
                }
                let existing = index.generation(writer, task.id(), sample, &gfp);
                let job = match existing {
                    Some((path, g)) if g.status == Status::Ok => {
                        plan.done_generations += 1;
                        let counted =
                            index.evaluations(g, |j, fp| efps.get(j).is_some_and(|t| t == fp));
                        let mut missing = Vec::new();
                        for j in &selection.judges {
                            match counted.iter().find(|e| &e.judge == j) {
                                None => missing.push(j.clone()),
                                Some(e) if e.status == Status::Ok => plan.done_evaluations += 1,
                                Some(_) if selection.retry_failed => {
                                    plan.retried += 1;
                                    missing.push(j.clone());
                                }
                                Some(e) => {
                                    plan.done_evaluations += 1;
                                    let kind = e.failure.unwrap_or(FailureKind::Provider);
                                    plan.failed.add(false, kind, e.error.as_deref());
                                }
                            }
                        }
                        if missing.is_empty() {
                            continue;
                        }
                        count_judges(&mut plan, current, task, &missing);
                        Job {
                            task: Arc::clone(task),
                            model: writer.clone(),
                            sample,
                            judges: missing,
                            existing: Some(path.to_path_buf()),
                            fingerprint: gfp.clone(),
                            judge_fingerprints: Arc::clone(&shared),
                        }
                    }
                    Some((_, g)) if !selection.retry_failed => {
                        plan.done_generations += 1;
                        let kind = g.failure.unwrap_or(FailureKind::Provider);
                        plan.failed.add(true, kind, g.error.as_deref());
                        continue;
                    }
                    other => {
                        if other.is_some() {
                            plan.retried += 1;
                        }
                        *plan.generations.entry(writer.clone()).or_default() += 1;
                        count_generation(&mut plan, current, task, writer);
                        count_judges(&mut plan, current, task, &selection.judges);
                        Job {
                            task: Arc::clone(task),
                            model: writer.clone(),
                            sample,
                            judges: selection.judges.clone(),
                            existing: None,
                            fingerprint: gfp.clone(),
                            judge_fingerprints: Arc::clone(&shared),
                        }
                    }
                };
                tasks.insert(task.id().to_string());
                writers.insert(writer.clone());
                plan.jobs.push(job);
            }
        }
    }
    plan.tasks = tasks.len();
    plan.writers = writers.len();
    plan
}

fn owned(efps: &BTreeMap<&str, String>) -> BTreeMap<String, String> {
    efps.iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The job that runs `task` by `model` for `sample` now, judged by `judges`, whatever the
/// store holds (a run from the editor); `None` for a model the config lacks.
pub fn job(
    current: &Current<'_>,
    task: &Arc<PreparedTask>,
    model: &str,
    sample: u32,
    judges: &[String],
) -> Option<Job> {
    let fingerprint = current.generation(task, model)?;
    let judge_fingerprints = judges
        .iter()
        .filter_map(|j| Some((j.clone(), current.evaluation(task, &fingerprint, j)?)))
        .collect();
    Some(Job {
        task: Arc::clone(task),
        model: model.to_string(),
        sample,
        judges: judges.to_vec(),
        existing: None,
        fingerprint,
        judge_fingerprints: Arc::new(judge_fingerprints),
    })
}

/// Rough tokens: a prompt of ~1,500 tokens plus the task's text, an answer of 1.4 tokens
/// per allowed word. An estimate for `--dry-run`, not a bill.
fn call_cost(config: &Config, model: &str, words_out: u32) -> f64 {
    let Some(price) = config.models.get(model).and_then(|m| m.price) else {
        return 0.0;
    };
    let input = 1500.0 + f64::from(words_out) * 1.4;
    let output = f64::from(words_out) * 1.4;
    (input * price.input + output * price.output) / 1_000_000.0
}

/// Adds `calls` calls of `model` at `cost` each to both estimates; `batched` says whether
/// `fabula run --batch` would send them in a provider batch.
fn add_cost(plan: &mut Plan, calls: usize, cost: f64, batched: bool) {
    let total = calls as f64 * cost;
    plan.estimated_cost += total;
    plan.estimated_batch_cost += if batched {
        total * BATCH_PRICE_FACTOR
    } else {
        total
    };
}

fn count_generation(plan: &mut Plan, current: &Current<'_>, task: &PreparedTask, writer: &str) {
    let k = kind::of(task.task.task_type());
    let calls = k.calls(&task.task);
    *plan.calls.entry(writer.to_string()).or_default() += calls.writer;
    let batched = calls.single() && current.batchable(writer);
    let cost = call_cost(current.config, writer, task.task.words.max);
    add_cost(plan, calls.writer, cost, batched);
    if calls.helper > 0
        && let Some(helper) = current.helper_name(task)
    {
        let role = match k.helper() {
            Some(Party::Critic) => "critic",
            _ => "oracle",
        };
        *plan.calls.entry(format!("{role}:{helper}")).or_default() += calls.helper;
        // A helper only talks in conversations, which never go in a batch.
        add_cost(
            plan,
            calls.helper,
            call_cost(current.config, helper, 300),
            false,
        );
    }
}

fn count_judges(plan: &mut Plan, current: &Current<'_>, task: &PreparedTask, judges: &[String]) {
    for j in judges {
        *plan.evaluations.entry(j.clone()).or_default() += 1;
        *plan.calls.entry(format!("judge:{j}")).or_default() += 1;
        let cost = call_cost(current.config, j, task.task.words.max + 500);
        add_cost(plan, 1, cost, current.batchable(j));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_work() {
        let mut counts = [0usize; 3];
        for t in 0..300 {
            let task = format!("task-{t}");
            let owners: Vec<u32> = (1..=3)
                .filter(|i| in_shard(Some((*i, 3)), &task, "m", 0))
                .collect();
            assert_eq!(owners.len(), 1, "exactly one shard owns {task}");
            counts[owners[0] as usize - 1] += 1;
        }
        assert!(counts.iter().all(|c| *c > 50), "{counts:?}");
        assert!(in_shard(None, "x", "m", 0));
    }
}
