//! The scheduler: runs jobs (task × model × sample) end to end, generation then its
//! judges, interleaved across tasks and models, and emits every record as an [`Event`]
//! the moment it exists. It never touches the disk for writing: one recorder thread
//! ([`crate::recorder`]) persists records and hands them to reporters, so a slow disk
//! never holds a request slot.
//!
//! Throughput comes from the providers' own limits: every call waits for a slot of its
//! provider, so each provider runs at its configured concurrency. The scheduler only
//! bounds how many jobs are open at once (the window). A window of about twice the
//! writers' concurrency keeps every slot busy while letting the judges of finished
//! generations take slots as they free up, so evaluations stream out from the start
//! instead of all arriving at the end, and memory stays bounded on large runs: a job that
//! judges a stored generation reads it only when it enters the window.
//!
//! [`Control`] stops a run: `stop` ends scheduling (jobs in flight finish), `abort`
//! cancels what is in flight. Either way every record already emitted is kept.

use crate::batch::Batches;
use crate::exec::{self, Outcome, Roles};
use crate::judging;
use crate::model::ModelHandle;
use crate::store::{self, Store};
use fabula_core::judge;
use fabula_core::kind;
use fabula_core::metrics;
use fabula_core::model::{
    EvaluationRecord, FailureKind, GenerationRecord, PairwiseRecord, ProgrammaticScores,
    RECORD_VERSION, Status,
};
use fabula_eval::fingerprint::sha_hex;
use fabula_eval::plan::Job;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

/// What a run tells its recorder and reporters.
#[derive(Clone, Debug)]
pub enum Event {
    /// A generation record, the moment it exists (failed ones included).
    Generation(Arc<GenerationRecord>),
    /// An evaluation record, the moment it exists (failed ones included).
    Evaluation(Arc<EvaluationRecord>),
    /// A pairwise comparison record (`fabula compare --pairwise`), failed ones included.
    Pairwise(Arc<PairwiseRecord>),
    /// Planned work that will not happen in this run: progress totals shrink by it.
    Skipped {
        generations: usize,
        evaluations: usize,
        why: Skip,
    },
}

/// Why planned work was skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The generation failed: its judges do not run.
    GenerationFailed,
    /// A call was refused (a spent budget, a rejected key): nothing is kept of it.
    Refused(String),
    /// The run was stopped before the job started.
    Stopped,
    /// The stored generation to judge could not be read.
    Unreadable(String),
    /// Left in a provider batch for the next run (`fabula run --batch` stopped before
    /// sending it, or before its batch ended: the batch id is kept).
    Deferred(String),
}

impl Skip {
    /// Why a call refused by `e` is skipped.
    fn refused(e: &crate::call::CallError) -> Skip {
        match e {
            crate::call::CallError::Deferred { why, .. } => Skip::Deferred(why.clone()),
            e => Skip::Refused(e.to_string()),
        }
    }
}

/// Why a run stopped before its planned work was done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The cost budget cannot pay for another call.
    Budget,
    /// A provider refused the run (a rejected key): every later call would fail too.
    Refused(String),
    /// The store could not be written: nothing more is worth paying for.
    StoreFailed(String),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Interrupted => write!(f, "interrupted"),
            StopReason::Budget => write!(f, "the cost budget is spent"),
            StopReason::Refused(why) => write!(f, "{why}"),
            StopReason::StoreFailed(why) => write!(f, "{why}"),
        }
    }
}

/// Stops a run from outside: a signal handler, the recorder, a budget.
#[derive(Debug, Default)]
pub struct Control {
    stopped: AtomicBool,
    reason: Mutex<Option<StopReason>>,
    stop: Notify,
    aborted: AtomicBool,
    abort: Notify,
}

impl Control {
    /// Stop scheduling new jobs; jobs in flight finish. The first reason is kept.
    pub fn stop(&self, reason: StopReason) {
        let mut r = self.reason.lock().unwrap_or_else(|e| e.into_inner());
        if r.is_none() {
            *r = Some(reason);
        }
        self.stopped.store(true, Ordering::SeqCst);
        self.stop.notify_waiters();
    }

    /// Cancel the jobs in flight too (their calls are dropped, nothing of them is kept).
    pub fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        self.abort.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    pub fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) async fn stopped(&self) {
        loop {
            let notified = self.stop.notified();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }

    pub(crate) async fn aborted(&self) {
        loop {
            let notified = self.abort.notified();
            if self.is_aborted() {
                return;
            }
            notified.await;
        }
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
    /// Provider batches (`fabula run --batch`): single requests of the providers they
    /// serve go through them; `None` sends every call on its own.
    pub batches: Option<Arc<Batches>>,
}

impl Engine {
    /// Runs every job, emitting records into `events`; returns when every job has ended
    /// (or been cancelled by [`Control::abort`]). `store` reads the generations of
    /// judge-only jobs.
    pub async fn run(
        self: &Arc<Self>,
        jobs: Vec<Job>,
        store: Option<Store>,
        events: mpsc::Sender<Event>,
        control: Arc<Control>,
    ) {
        // A job becomes a task only once it has a place in the window: memory holds the
        // window's jobs in flight, not every job of a large plan. With batches, the
        // window is a batch's worth: a batch gathers the requests of open jobs only.
        let mut window = self.window;
        let mut halter = None;
        if let Some(batches) = &self.batches {
            window = window.max(batches.window());
            batches.start();
            // An interrupt (or a store that cannot be written) stops sending and waiting
            // for batches: what waits is left for the next run, its batch ids kept.
            let (batches, control) = (Arc::clone(batches), Arc::clone(&control));
            halter = Some(tokio::spawn(async move {
                control.stopped().await;
                // A budget stop lets what was sent finish; an interrupt that comes after
                // it still reaches the batches, as the abort that ends its grace.
                if !matches!(
                    control.reason(),
                    Some(StopReason::Interrupted | StopReason::StoreFailed(_))
                ) {
                    control.aborted().await;
                }
                batches.halt();
            }));
        }
        let window = Arc::new(Semaphore::new(window.max(1)));
        let mut set = JoinSet::new();
        let mut jobs = jobs.into_iter();
        while let Some(job) = jobs.next() {
            while let Some(done) = set.try_join_next() {
                surface_panic(done);
            }
            let Ok(open) = Arc::clone(&window).acquire_owned().await else {
                break;
            };
            if control.is_stopped() {
                // Everything not started is skipped, in one event.
                let (mut generations, mut evaluations) = (0, 0);
                for job in std::iter::once(job).chain(jobs.by_ref()) {
                    generations += usize::from(job.existing.is_none());
                    evaluations += job.judges.len();
                }
                let _ = events
                    .send(Event::Skipped {
                        generations,
                        evaluations,
                        why: Skip::Stopped,
                    })
                    .await;
                break;
            }
            let engine = Arc::clone(self);
            let events = events.clone();
            let control = Arc::clone(&control);
            let store = store.clone();
            set.spawn(async move {
                let _open = open;
                tokio::select! {
                    () = control.aborted() => {}
                    () = engine.run_job(job, &store, &events, &control) => {}
                }
            });
        }
        while let Some(done) = set.join_next().await {
            surface_panic(done);
        }
        if let Some(h) = halter {
            h.abort();
        }
    }

    async fn run_job(
        self: &Arc<Self>,
        job: Job,
        store: &Option<Store>,
        events: &mpsc::Sender<Event>,
        control: &Control,
    ) {
        let record = match &job.existing {
            Some(path) => {
                let (store, path) = (store.clone(), path.clone());
                let read = tokio::task::spawn_blocking(move || match store {
                    Some(store) => store.read_generation(&path),
                    None => Err(std::io::Error::other("no store to read it from")),
                })
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
                match read {
                    Ok(r) => Arc::new(r),
                    Err(e) => {
                        let _ = events
                            .send(Event::Skipped {
                                generations: 0,
                                evaluations: job.judges.len(),
                                why: Skip::Unreadable(e.to_string()),
                            })
                            .await;
                        return;
                    }
                }
            }
            None => {
                let outcome = self.generate_outcome(&job).await;
                if let Some(refused) = &outcome.refused {
                    stop_on(control, refused);
                    let _ = events
                        .send(Event::Skipped {
                            generations: 1,
                            evaluations: job.judges.len(),
                            why: Skip::refused(refused),
                        })
                        .await;
                    return;
                }
                let record = Arc::new(self.generation_record(&job, outcome));
                let _ = events.send(Event::Generation(Arc::clone(&record))).await;
                record
            }
        };
        if record.status != Status::Ok {
            if !job.judges.is_empty() {
                let _ = events
                    .send(Event::Skipped {
                        generations: 0,
                        evaluations: job.judges.len(),
                        why: Skip::GenerationFailed,
                    })
                    .await;
            }
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
                Ok(Ok(evaluation)) => {
                    let _ = events.send(Event::Evaluation(Arc::new(evaluation))).await;
                }
                Ok(Err(refused)) => {
                    stop_on(control, &refused);
                    let _ = events
                        .send(Event::Skipped {
                            generations: 0,
                            evaluations: 1,
                            why: Skip::refused(&refused),
                        })
                        .await;
                }
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => {}
            }
        }
    }

    async fn generate_outcome(&self, job: &Job) -> Outcome {
        let input = job.task.input(&self.slop);
        let Some(writer) = self.models.get(&job.model) else {
            return Outcome {
                failure: Some((
                    FailureKind::Config,
                    format!("unknown model `{}`", job.model),
                )),
                ..Outcome::default()
            };
        };
        let helper = |name: &Option<String>| name.as_ref().and_then(|n| self.models.get(n));
        // A task of one request goes in a batch when its writer's provider has one; a
        // conversation never does (each turn needs the last answer).
        let batched = self.batches.as_ref().and_then(|b| {
            let task = &job.task.task;
            kind::of(task.task_type()).calls(task).single().then(|| {
                let record =
                    store::generation_name(&job.model, job.task.id(), job.sample, &job.fingerprint);
                b.route(&writer.config.provider, &record)
                    .map(|route| writer.batched(route))
            })?
        });
        exec::execute(
            input,
            Roles {
                writer: batched.as_ref().unwrap_or(writer),
                oracle: helper(&self.oracle),
                critic: helper(&self.critic),
            },
        )
        .await
    }

    /// Runs one generation and builds its record (failed records included); `None` when
    /// a call was refused (nothing of it is kept).
    pub async fn generate(&self, job: &Job) -> Option<GenerationRecord> {
        let outcome = self.generate_outcome(job).await;
        outcome
            .refused
            .is_none()
            .then(|| self.generation_record(job, outcome))
    }

    fn generation_record(&self, job: &Job, o: Outcome) -> GenerationRecord {
        let writer = self.models.get(&job.model);
        let words = job.task.task.words;
        let ok = o.failure.is_none();
        let programmatic = ok.then(|| {
            let fin = metrics::programmatic(&o.parts.output, words, &self.slop);
            ProgrammaticScores {
                key: metrics::cache_key(words, &self.slop),
                trajectory: o
                    .parts
                    .drafts
                    .iter()
                    .map(|d| metrics::programmatic(d, words, &self.slop).total)
                    .chain(std::iter::once(fin.total))
                    .collect(),
                breakdown: fin.breakdown(),
            }
        });
        let (failure, error) = match o.failure {
            Some((kind, why)) => (Some(kind), Some(why)),
            None => (None, None),
        };
        let mut record = GenerationRecord {
            format_version: RECORD_VERSION,
            task: job.task.id().to_string(),
            task_type: job.task.task.task_type(),
            model: job.model.clone(),
            model_id: writer.map(|w| w.config.model.clone()).unwrap_or_default(),
            provider: writer
                .map(|w| w.config.provider.clone())
                .unwrap_or_default(),
            simulated: writer.is_some_and(ModelHandle::simulated),
            sample: job.sample,
            fingerprint: job.fingerprint.clone(),
            status: if ok { Status::Ok } else { Status::Failed },
            error,
            failure,
            finish: o.finish,
            view_sha: None,
            output: o.parts.output,
            drafts: o.parts.drafts,
            plan: o.parts.plan,
            steps: o.parts.steps,
            questions: o.parts.questions,
            transcript: o.transcript,
            usage: o.usage,
            usage_by_role: o.usage_by_role,
            programmatic,
            cost_usd: o.cost_usd,
            latency_ms: o.latency_ms,
            created_at: now(),
            batch: o.batch,
        };
        if ok {
            let view = kind::of(record.task_type).judge_view(&record);
            record.view_sha = Some(sha_hex(view.as_bytes()));
        }
        record
    }

    /// Judges one generation with one judge; `Err` when the call was refused (nothing
    /// is kept).
    pub async fn evaluate(
        &self,
        job: &Job,
        generation: &GenerationRecord,
        judge_name: &str,
    ) -> Result<EvaluationRecord, crate::call::CallError> {
        let input = job.task.input(&self.slop);
        let view = kind::of(generation.task_type).judge_view(generation);
        let mut record = EvaluationRecord {
            format_version: RECORD_VERSION,
            task: generation.task.clone(),
            task_type: generation.task_type,
            model: generation.model.clone(),
            sample: generation.sample,
            judge: judge_name.to_string(),
            simulated: false,
            generation_fingerprint: generation.fingerprint.clone(),
            generation_sha: sha_hex(view.as_bytes()),
            fingerprint: generation.fingerprint.clone(),
            round: None,
            status: Status::Failed,
            error: None,
            failure: None,
            criteria: Vec::new(),
            raw: None,
            usage: Default::default(),
            cost_usd: None,
            latency_ms: 0,
            created_at: now(),
            batch: None,
        };
        let (Some(judge), Some(fingerprint)) = (
            self.models.get(judge_name),
            job.judge_fingerprints.get(judge_name),
        ) else {
            record.error = Some(format!("unknown judge `{judge_name}`"));
            record.failure = Some(FailureKind::Config);
            return Ok(record);
        };
        record.simulated = judge.simulated();
        record.fingerprint = fingerprint.clone();
        let batched = self.batches.as_ref().and_then(|b| {
            b.route(&judge.config.provider, &self.evaluation_record(&record))
                .map(|route| judge.batched(route))
        });
        let judge = batched.as_ref().unwrap_or(judge);
        let rubric = judge::rubric(input);
        let verdict = judging::run(judge, input, &view, &rubric, self.judge_retries).await;
        if let Some(refused) = verdict.refused {
            return Err(refused);
        }
        record.status = if verdict.error.is_none() {
            Status::Ok
        } else {
            Status::Failed
        };
        record.error = verdict.error;
        record.failure = verdict.failure;
        record.criteria = verdict.criteria;
        record.raw = verdict.raw;
        record.usage = verdict.usage;
        record.cost_usd = verdict.cost_usd;
        record.latency_ms = verdict.latency.as_millis() as u64;
        record.batch = verdict.batch;
        record.created_at = now();
        Ok(record)
    }
}

impl Engine {
    /// Where an evaluation record goes, relative to the store's root.
    fn evaluation_record(&self, r: &EvaluationRecord) -> std::path::PathBuf {
        store::evaluation_name(&r.model, &r.task, r.sample, &r.judge, &r.fingerprint)
    }
}

/// What a refused call means for the rest of the run: a spent budget stops scheduling;
/// a provider's refusal (a rejected key or model) does not stop the other providers'
/// work: the provider answers its later calls at once, without a request, and each is
/// skipped in turn.
fn stop_on(control: &Control, refused: &crate::call::CallError) {
    if crate::call::is_over_budget(refused) {
        control.stop(StopReason::Budget);
    }
}

/// RFC 3339 UTC, milliseconds.
/// A job that panicked is a bug, not bad input: surface it rather than lose it silently.
fn surface_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        std::panic::resume_unwind(e.into_panic());
    }
}

pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}
