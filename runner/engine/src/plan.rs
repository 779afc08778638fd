//! Planning a run: what is missing or stale in the store for the chosen models, judges,
//! tasks and samples, and only that.
//!
//! A generation is done when the store holds a record (ok or failed) with today's
//! fingerprint for its model, task and sample; failed records count as done until
//! `fabula clean-failed` removes them, so a broken model is not retried on every run.
//! An evaluation is done when a record with today's evaluation fingerprint exists for its
//! judge. Adding a judge therefore plans that judge alone on the existing generations;
//! changing a task, a template or a model's parameters changes the fingerprints and
//! re-plans exactly what they shaped. Records with other fingerprints are stale: kept,
//! counted, and ignored.

use crate::fingerprint::Current;
use crate::scheduler::{Job, PreparedTask};
use crate::store::{Loaded, Store};
use fabula_core::model::{GenerationSummary, Status, TaskBody};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
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
}

/// The work a run will do.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// New generations per model.
    pub generations: BTreeMap<String, usize>,
    /// New evaluations per judge.
    pub evaluations: BTreeMap<String, usize>,
    /// Calls per role: writer model, `oracle:<name>`, `critic:<name>`, `judge:<name>`.
    pub calls: BTreeMap<String, usize>,
    /// Rough cost in USD, where prices are known.
    pub estimated_cost: f64,
    /// Generations and evaluations already done (today's fingerprints).
    pub done_generations: usize,
    pub done_evaluations: usize,
    /// Generations to judge whose record could not be read in full (left out).
    pub unreadable: Vec<String>,
}

impl Plan {
    pub fn total_generations(&self) -> usize {
        self.generations.values().sum()
    }
    pub fn total_evaluations(&self) -> usize {
        self.evaluations.values().sum()
    }
}

type GenKey = (String, String, u32, String);

/// Today's records, indexed.
pub struct Index<'a> {
    generations: HashMap<GenKey, (&'a Path, &'a GenerationSummary)>,
    evaluations: HashSet<(String, String, u32, String, String)>,
}

impl<'a> Index<'a> {
    pub fn new(loaded: &'a Loaded) -> Index<'a> {
        let generations = loaded
            .generations
            .iter()
            .map(|(path, g)| {
                (
                    (
                        g.model.clone(),
                        g.task.clone(),
                        g.sample,
                        g.fingerprint.clone(),
                    ),
                    (path.as_path(), g),
                )
            })
            .collect();
        let evaluations = loaded
            .evaluations
            .iter()
            .map(|(_, e)| {
                (
                    e.model.clone(),
                    e.task.clone(),
                    e.sample,
                    e.judge.clone(),
                    e.fingerprint.clone(),
                )
            })
            .collect();
        Index {
            generations,
            evaluations,
        }
    }

    pub fn generation(
        &self,
        model: &str,
        task: &str,
        sample: u32,
        fingerprint: &str,
    ) -> Option<(&'a Path, &'a GenerationSummary)> {
        self.generations
            .get(&(
                model.to_string(),
                task.to_string(),
                sample,
                fingerprint.to_string(),
            ))
            .copied()
    }

    pub fn has_evaluation(
        &self,
        model: &str,
        task: &str,
        sample: u32,
        judge: &str,
        fingerprint: &str,
    ) -> bool {
        self.evaluations.contains(&(
            model.to_string(),
            task.to_string(),
            sample,
            judge.to_string(),
            fingerprint.to_string(),
        ))
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

/// Plans the missing work of `selection` against `loaded` (from `store`, which is read
/// again for the generations that only need judging).
pub fn plan(current: Current<'_>, selection: &Selection, loaded: &Loaded, store: &Store) -> Plan {
    let index = Index::new(loaded);
    let mut plan = Plan::default();
    for task in &selection.tasks {
        for writer in &selection.writers {
            for sample in 0..selection.samples {
                if !in_shard(selection.shard, &task.task.id, writer, sample) {
                    continue;
                }
                let Some(gfp) = current.generation(task, writer) else {
                    continue;
                };
                match index.generation(writer, &task.task.id, sample, &gfp) {
                    Some((path, existing)) => {
                        plan.done_generations += 1;
                        if existing.status != Status::Ok {
                            continue;
                        }
                        let missing: Vec<String> = selection
                            .judges
                            .iter()
                            .filter(|j| {
                                let efp = current.evaluation(task, &gfp, j).unwrap_or_default();
                                let done =
                                    index.has_evaluation(writer, &task.task.id, sample, j, &efp);
                                if done {
                                    plan.done_evaluations += 1;
                                }
                                !done
                            })
                            .cloned()
                            .collect();
                        if missing.is_empty() {
                            continue;
                        }
                        let full = match store.read_generation(path) {
                            Ok(full) => full,
                            Err(e) => {
                                plan.unreadable.push(format!("{}: {e}", path.display()));
                                continue;
                            }
                        };
                        count_judges(&mut plan, current, task, &missing);
                        plan.jobs.push(Job {
                            task: Arc::clone(task),
                            model: writer.clone(),
                            sample,
                            judges: missing,
                            existing: Some(Arc::new(full)),
                        });
                    }
                    None => {
                        *plan.generations.entry(writer.clone()).or_default() += 1;
                        count_generation(&mut plan, current, task, writer);
                        count_judges(&mut plan, current, task, &selection.judges);
                        plan.jobs.push(Job {
                            task: Arc::clone(task),
                            model: writer.clone(),
                            sample,
                            judges: selection.judges.clone(),
                            existing: None,
                        });
                    }
                }
            }
        }
    }
    plan
}

/// Writer calls a task type makes, and oracle/critic calls.
fn calls(task: &PreparedTask) -> (usize, usize) {
    match &task.task.body {
        TaskBody::Sequence(s) => (s.steps.len(), 0),
        TaskBody::AgenticConstraintDiscovery(d) => {
            // Worst case: every question asked, plus the opening turn and the story.
            (d.max_questions as usize + 2, d.max_questions as usize)
        }
        TaskBody::AgenticPlanningExecution(_) => (2, 0),
        TaskBody::AgenticIterativeRevision(r) => (r.rounds as usize + 1, 0),
        TaskBody::CritiqueImprovement(r) => (r.rounds as usize + 1, r.rounds as usize),
        _ => (1, 0),
    }
}

/// Rough tokens: a prompt of ~1,500 tokens plus the task's text, an answer of 1.4 tokens
/// per allowed word. An estimate for `--dry-run`, not a bill.
fn call_cost(config: &fabula_core::model::Config, model: &str, words_out: u32) -> f64 {
    let Some(price) = config.models.get(model).and_then(|m| m.price) else {
        return 0.0;
    };
    let input = 1500.0 + f64::from(words_out) * 1.4;
    let output = f64::from(words_out) * 1.4;
    (input * price.input + output * price.output) / 1_000_000.0
}

fn count_generation(plan: &mut Plan, current: Current<'_>, task: &PreparedTask, writer: &str) {
    let (writer_calls, helper_calls) = calls(task);
    *plan.calls.entry(writer.to_string()).or_default() += writer_calls;
    plan.estimated_cost +=
        writer_calls as f64 * call_cost(current.config, writer, task.task.words.max);
    if helper_calls > 0
        && let Some(helper) = crate::fingerprint::helper_name(
            task.task.task_type(),
            current.config.oracle.as_deref(),
            current.config.critic.as_deref(),
        )
    {
        let role = match task.task.task_type() {
            fabula_core::model::TaskType::CritiqueImprovement => "critic",
            _ => "oracle",
        };
        *plan.calls.entry(format!("{role}:{helper}")).or_default() += helper_calls;
        plan.estimated_cost += helper_calls as f64 * call_cost(current.config, helper, 300);
    }
}

fn count_judges(plan: &mut Plan, current: Current<'_>, task: &PreparedTask, judges: &[String]) {
    for j in judges {
        *plan.evaluations.entry(j.clone()).or_default() += 1;
        *plan.calls.entry(format!("judge:{j}")).or_default() += 1;
        plan.estimated_cost += call_cost(current.config, j, task.task.words.max + 500);
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
