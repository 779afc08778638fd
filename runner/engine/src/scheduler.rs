//! The scheduler: runs jobs (task × model × sample) end to end, generation then its
//! judges, interleaved across tasks and models, and hands every record to a [`Sink`] the
//! moment it exists.
//!
//! Throughput comes from the providers' own limits: every call waits for a slot of its
//! provider, so each provider runs at its configured concurrency. The scheduler only
//! bounds how many jobs are open at once (the window). A window of about twice the
//! writers' concurrency keeps every slot busy while letting the judges of finished
//! generations take slots as they free up, so evaluations stream out from the start
//! instead of all arriving at the end, and memory stays bounded on large runs.

use crate::exec::{self, Outcome, Roles, TaskInput};
use crate::fingerprint;
use crate::judge;
use crate::model::ModelHandle;
use fabula_core::metrics;
use fabula_core::model::{
    Actor, EvaluationRecord, GenerationRecord, ProgrammaticCache, RECORD_VERSION, Status, Task,
    Theory, TokenBudget, Usage,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A task ready to run: the parsed task, its JSON value (for the fingerprint), its
/// theories and its effective token budget.
#[derive(Clone, Debug)]
pub struct PreparedTask {
    pub task: Task,
    pub value: Value,
    pub theory: Theory,
    pub source_theory: Option<Theory>,
    pub budget: TokenBudget,
}

impl PreparedTask {
    pub fn input<'a>(&'a self, slop: &'a [String]) -> TaskInput<'a> {
        TaskInput {
            task: &self.task,
            theory: &self.theory,
            source_theory: self.source_theory.as_ref(),
            slop,
            budget: self.budget,
        }
    }
}

/// One unit of work: a generation of `task` by `model`, then its judging.
#[derive(Clone, Debug)]
pub struct Job {
    pub task: Arc<PreparedTask>,
    pub model: String,
    pub sample: u32,
    /// Judges to run on the generation (config names); empty to skip judging.
    pub judges: Vec<String>,
    /// A generation already in the store: only the judges run.
    pub existing: Option<Arc<GenerationRecord>>,
}

/// Where records go. Called from many tasks at once.
pub trait Sink: Send + Sync {
    fn generation(&self, record: &GenerationRecord);
    fn evaluation(&self, record: &EvaluationRecord);
    /// Asked before each job starts; `false` stops scheduling new jobs (a cost budget
    /// reached, an interrupt). Jobs already started finish and are recorded.
    fn keep_going(&self) -> bool {
        true
    }
}

/// A sink that keeps every record in memory (tests, the language server's single runs).
#[derive(Debug, Default)]
pub struct Collect {
    pub generations: std::sync::Mutex<Vec<GenerationRecord>>,
    pub evaluations: std::sync::Mutex<Vec<EvaluationRecord>>,
}

impl Sink for Collect {
    fn generation(&self, record: &GenerationRecord) {
        let mut g = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        g.push(record.clone());
    }
    fn evaluation(&self, record: &EvaluationRecord) {
        let mut e = self.evaluations.lock().unwrap_or_else(|e| e.into_inner());
        e.push(record.clone());
    }
}

/// The models of a run and the roles they play.
#[derive(Debug)]
pub struct Engine {
    pub models: BTreeMap<String, ModelHandle>,
    pub oracle: Option<String>,
    pub critic: Option<String>,
    pub slop: Vec<String>,
    /// Extra attempts for a judge answer that cannot be parsed.
    pub judge_retries: u32,
    /// Most jobs open at once.
    pub window: usize,
}

impl Engine {
    /// Runs every job; returns when all records have been handed to `sink`.
    pub async fn run(self: &Arc<Self>, jobs: Vec<Job>, sink: Arc<dyn Sink>) {
        let window = Arc::new(Semaphore::new(self.window.max(1)));
        let mut set = JoinSet::new();
        for job in jobs {
            let engine = Arc::clone(self);
            let sink = Arc::clone(&sink);
            let window = Arc::clone(&window);
            set.spawn(async move {
                let Ok(_open) = window.acquire_owned().await else {
                    return;
                };
                if sink.keep_going() {
                    engine.run_job(job, sink.as_ref()).await;
                }
            });
        }
        while let Some(done) = set.join_next().await {
            if let Err(e) = done
                && e.is_panic()
            {
                // A bug, not bad input: surface it rather than lose it silently.
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }

    async fn run_job(self: &Arc<Self>, job: Job, sink: &dyn Sink) {
        let record = match &job.existing {
            Some(existing) => Arc::clone(existing),
            None => {
                let record = self.generate(&job).await;
                sink.generation(&record);
                Arc::new(record)
            }
        };
        if record.status != Status::Ok || job.judges.is_empty() {
            return;
        }
        let mut set = JoinSet::new();
        for judge in &job.judges {
            let engine = Arc::clone(self);
            let job = job.clone();
            let record = Arc::clone(&record);
            let judge = judge.clone();
            set.spawn(async move { engine.evaluate(&job, &record, &judge).await });
        }
        while let Some(done) = set.join_next().await {
            match done {
                Ok(evaluation) => sink.evaluation(&evaluation),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
    }

    /// The oracle or critic a task talks to, if its type has one.
    fn helper(&self, task: &PreparedTask) -> Option<&ModelHandle> {
        fingerprint::helper_name(
            task.task.task_type(),
            self.oracle.as_deref(),
            self.critic.as_deref(),
        )
        .and_then(|n| self.models.get(n))
    }

    /// Runs one generation and builds its record (failed records included).
    pub async fn generate(&self, job: &Job) -> GenerationRecord {
        let prepared = &job.task;
        let input = prepared.input(&self.slop);
        let Some(writer) = self.models.get(&job.model) else {
            return failed_generation(job, format!("unknown model `{}`", job.model));
        };
        let oracle = self.oracle.as_ref().and_then(|n| self.models.get(n));
        let critic = self.critic.as_ref().and_then(|n| self.models.get(n));
        let fingerprint = fingerprint::generation(
            input,
            &prepared.value,
            &writer.config,
            self.helper(prepared).map(|h| &h.config),
        );
        let outcome = exec::execute(
            input,
            Roles {
                writer,
                oracle,
                critic,
            },
        )
        .await;
        generation_record(job, writer, fingerprint, outcome, &self.slop)
    }

    /// Judges one generation with one judge.
    pub async fn evaluate(
        &self,
        job: &Job,
        generation: &GenerationRecord,
        judge_name: &str,
    ) -> EvaluationRecord {
        let input = job.task.input(&self.slop);
        let rubric = judge::rubric(input);
        let mut record = EvaluationRecord {
            format_version: RECORD_VERSION,
            task: generation.task.clone(),
            task_type: generation.task_type,
            model: generation.model.clone(),
            sample: generation.sample,
            judge: judge_name.to_string(),
            simulated: false,
            generation_fingerprint: generation.fingerprint.clone(),
            fingerprint: String::new(),
            round: None,
            status: Status::Failed,
            error: None,
            criteria: Vec::new(),
            pass: None,
            raw: None,
            usage: Default::default(),
            cost_usd: None,
            latency_ms: 0,
            created_at: now(),
        };
        let Some(judge) = self.models.get(judge_name) else {
            record.error = Some(format!("unknown judge `{judge_name}`"));
            record.fingerprint = generation.fingerprint.clone();
            return record;
        };
        record.simulated = judge.simulated();
        record.fingerprint =
            fingerprint::evaluation(&generation.fingerprint, &rubric, &judge.config);
        let view = judge::generation_view(generation);
        let verdict = judge::run(judge, input, &view, &rubric, self.judge_retries).await;
        record.status = if verdict.error.is_none() {
            Status::Ok
        } else {
            Status::Failed
        };
        record.error = verdict.error;
        record.criteria = verdict.criteria;
        record.pass = verdict.pass;
        record.raw = verdict.raw;
        record.usage = verdict.usage;
        record.cost_usd = verdict.cost_usd;
        record.latency_ms = verdict.latency.as_millis() as u64;
        record.created_at = now();
        record
    }
}

fn generation_record(
    job: &Job,
    writer: &ModelHandle,
    fingerprint: String,
    o: Outcome,
    slop: &[String],
) -> GenerationRecord {
    let mut usage_by_role: BTreeMap<String, Usage> = BTreeMap::new();
    for t in &o.transcript {
        let role = match t.actor {
            Actor::Writer => "writer",
            Actor::Oracle => "oracle",
            Actor::Critic => "critic",
            _ => continue,
        };
        if let Some(u) = t.usage {
            usage_by_role.entry(role.to_string()).or_default().add(u);
        }
    }
    let programmatic = o.error.is_none().then(|| {
        let words = job.task.task.words;
        ProgrammaticCache {
            key: metrics::cache_key(words, slop),
            trajectory: o
                .drafts
                .iter()
                .chain(std::iter::once(&o.output))
                .map(|d| metrics::programmatic(d, words, slop).total)
                .collect(),
        }
    });
    GenerationRecord {
        format_version: RECORD_VERSION,
        task: job.task.task.id.clone(),
        task_type: job.task.task.task_type(),
        model: job.model.clone(),
        model_id: writer.config.model.clone(),
        provider: writer.config.provider.clone(),
        simulated: writer.simulated(),
        sample: job.sample,
        fingerprint,
        status: if o.error.is_none() {
            Status::Ok
        } else {
            Status::Failed
        },
        error: o.error,
        finish: o.finish,
        output: o.output,
        drafts: o.drafts,
        plan: o.plan,
        steps: o.steps,
        questions: o.questions,
        transcript: o.transcript,
        usage: o.usage,
        usage_by_role,
        programmatic,
        cost_usd: o.cost_usd,
        latency_ms: o.latency_ms,
        created_at: now(),
    }
}

fn failed_generation(job: &Job, error: String) -> GenerationRecord {
    GenerationRecord {
        format_version: RECORD_VERSION,
        task: job.task.task.id.clone(),
        task_type: job.task.task.task_type(),
        model: job.model.clone(),
        model_id: String::new(),
        provider: String::new(),
        simulated: false,
        sample: job.sample,
        fingerprint: "0".repeat(32),
        status: Status::Failed,
        error: Some(error),
        finish: None,
        output: String::new(),
        drafts: Vec::new(),
        plan: None,
        steps: Vec::new(),
        questions: Vec::new(),
        transcript: Vec::new(),
        usage: Default::default(),
        usage_by_role: BTreeMap::new(),
        programmatic: None,
        cost_usd: None,
        latency_ms: 0,
        created_at: now(),
    }
}

/// RFC 3339 UTC, milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}
