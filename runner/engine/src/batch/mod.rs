//! `fabula run --batch`: single requests (standard tasks' generations, judge calls) of
//! models whose provider has a batch API go out as provider batches at half the price.
//!
//! A model call under batch mode is an ordinary [`crate::model::ModelHandle::call`] whose
//! handle carries a [`BatchRoute`]: the driver of the task's dialogue, the judging loop
//! and the record they build are the interactive path's, unchanged. Only the transport
//! differs: the request's wire body (the provider's own builder, so the same bytes and
//! the same fingerprints) joins its provider's [`queue`], which gathers what arrives
//! together, sends it as one batch, keeps the batch's id in a batch file under
//! `results/.batches/` ([`ledger`]), polls with backoff, and hands each answer, read by
//! the provider's own parser, back to the call that waits for it.
//!
//! Each request stands for the record it will become (its path under `results/`): a run
//! that was killed finds the batch file, polls the batch again, and gives each answer to
//! the job of that record instead of sending it again. A batch file is removed once every
//! request in it is settled: its record written, or its request sent again in a later
//! batch. Answers no job of a run asked for stay in the file for a run that will.
//!
//! A line the batch did not run (expired, cancelled, missing) is sent again in a later
//! batch up to the provider's `max_retries`, then fails like a call that kept failing: a
//! failed record, never a lost or silent one. An interrupt stops sending and waiting: the
//! calls waiting for a batch return [`CallError::Deferred`] (not recorded) and the batch
//! files stay for the next run.

mod ledger;
mod queue;

pub use crate::provider::batch::Counts;
pub use ledger::{LEDGER_DIR, LEDGER_VERSION, Ledger, LedgerFile, LedgerRequest};

use crate::call::{CallError, ChatRequest, Completion};
use crate::provider::Provider;
use crate::store::Store;
use queue::Queue;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// How batches are gathered and polled.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The first wait between two polls of a batch; it doubles up to `poll_ceiling`.
    /// Requests are gathered into one batch until none arrived for this long (at most
    /// [`MAX_GATHER`]).
    pub poll_floor: Duration,
    pub poll_ceiling: Duration,
    /// Most requests in one batch.
    pub max_requests: usize,
    /// How long a run waits for one batch before it leaves it for a later run.
    pub max_wait: Duration,
}

/// The longest quiet time a batch is gathered for.
pub const MAX_GATHER: Duration = Duration::from_secs(2);

impl Default for Policy {
    fn default() -> Self {
        Policy {
            poll_floor: Duration::from_secs(10),
            poll_ceiling: Duration::from_secs(300),
            max_requests: 10_000,
            // Both providers end a batch within 24 hours.
            max_wait: Duration::from_secs(26 * 60 * 60),
        }
    }
}

impl Policy {
    fn gather(&self) -> Duration {
        self.poll_floor.min(MAX_GATHER)
    }
}

/// What can go wrong with the batch files.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a batch file fabula can read: {why}; it may stand for a paid batch, so it is not skipped (move it away to run without it)"
    )]
    Invalid { path: PathBuf, why: String },
}

/// What happens to batches, for a progress display.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// A batch file of an earlier run: its batch is polled again.
    Resumed {
        provider: String,
        batch: String,
        requests: usize,
    },
    Submitted {
        provider: String,
        batch: String,
        requests: usize,
    },
    /// Still running; polled again after `next`.
    Polled {
        provider: String,
        batch: String,
        counts: Counts,
        next: Duration,
    },
    /// Its results were read: `answered` requests answered, `failed` failed for good,
    /// `resent` sent again in a later batch.
    Ended {
        provider: String,
        batch: String,
        how: String,
        answered: usize,
        failed: usize,
        resent: usize,
    },
    /// Something to tell the user; the run goes on.
    Problem { provider: String, message: String },
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Resumed {
                provider,
                batch,
                requests,
            } => write!(
                f,
                "batch {batch} ({provider}, {}) from an earlier run: polling it again, not resending",
                requests_n(*requests)
            ),
            Progress::Submitted {
                provider,
                batch,
                requests,
            } => write!(
                f,
                "batch {batch} ({provider}): sent {}",
                requests_n(*requests)
            ),
            Progress::Polled {
                provider,
                batch,
                counts,
                next,
            } => write!(
                f,
                "batch {batch} ({provider}): {}/{} done, {} failed; next poll in {}",
                counts.done,
                counts.total,
                counts.failed,
                wait(*next)
            ),
            Progress::Ended {
                provider,
                batch,
                how,
                answered,
                failed,
                resent,
            } => write!(
                f,
                "batch {batch} ({provider}) {how}: {answered} answered, {failed} failed, {resent} sent again"
            ),
            Progress::Problem { provider, message } => {
                write!(f, "warning: batches of `{provider}`: {message}")
            }
        }
    }
}

fn requests_n(n: usize) -> String {
    if n == 1 {
        "1 request".to_string()
    } else {
        format!("{n} requests")
    }
}

/// A wait as people read it: `20ms`, `10s`, `5m`.
pub(crate) fn wait(d: Duration) -> String {
    let d = if d >= Duration::from_secs(1) {
        Duration::from_secs(d.as_secs())
    } else {
        Duration::from_millis(d.as_millis() as u64)
    };
    humantime::format_duration(d).to_string()
}

/// Where progress goes.
pub type ProgressSink = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A batch file left under `results/.batches/` when a run ends, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub path: PathBuf,
    pub provider: String,
    pub batch: String,
    /// Requests whose records are not written yet.
    pub unsettled: usize,
    /// Whether the provider still runs the batch (else its answers wait for a run that
    /// asks for them); `None` when this run did not poll it (its provider is not used).
    pub running: Option<bool>,
}

/// The run's batches: a queue per provider with a batch API.
pub struct Batches {
    queues: BTreeMap<String, Arc<Queue>>,
    /// Batch files of providers this run does not use: left alone.
    foreign: Vec<(PathBuf, LedgerFile)>,
    root: PathBuf,
    halt: Arc<Halt>,
    policy: Policy,
    started: AtomicBool,
}

impl fmt::Debug for Batches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batches")
            .field("providers", &self.queues.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A call's way into a batch: its provider's queue and the record it stands for.
#[derive(Clone)]
pub struct BatchRoute {
    queue: Arc<Queue>,
    record: String,
}

impl fmt::Debug for BatchRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRoute")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl BatchRoute {
    /// Sends `request` (to `model`) in a batch and waits for its answer.
    pub(crate) async fn call(
        &self,
        model: &str,
        request: &ChatRequest,
    ) -> Result<Completion, CallError> {
        self.queue.call(&self.record, model, request).await
    }
}

impl Batches {
    /// The batches of `providers` (by name; those without a batch API are left out) in
    /// `store`, with the batch files earlier runs left there. The caller holds the
    /// store's lock.
    pub fn new(
        store: &Store,
        providers: &[(String, Arc<dyn Provider>)],
        policy: Policy,
        progress: ProgressSink,
    ) -> Result<Batches, BatchError> {
        let ledger = Ledger::new(store.clone());
        let mut files = ledger.load()?;
        let halt = Arc::new(Halt::default());
        let mut queues = BTreeMap::new();
        for (name, provider) in providers {
            let Some(api) = provider.batch() else {
                continue;
            };
            let api_name = api.api();
            let (mine, rest): (Vec<_>, Vec<_>) = files
                .into_iter()
                .partition(|(_, f)| f.provider == *name && f.api == api_name);
            files = rest;
            let queue = Queue::new(
                name.clone(),
                Arc::clone(provider),
                ledger.clone(),
                policy.clone(),
                Arc::clone(&halt),
                Arc::clone(&progress),
                mine,
            )?;
            queues.insert(name.clone(), Arc::new(queue));
        }
        Ok(Batches {
            queues,
            foreign: files,
            root: store.root().to_path_buf(),
            halt,
            policy,
            started: AtomicBool::new(false),
        })
    }

    /// Whether provider `name`'s calls can go in batches.
    pub fn serves(&self, provider: &str) -> bool {
        self.queues.contains_key(provider)
    }

    /// The providers whose calls go in batches.
    pub fn providers(&self) -> Vec<String> {
        self.queues.keys().cloned().collect()
    }

    /// How many jobs the scheduler should keep open at once: enough to fill a batch.
    pub fn window(&self) -> usize {
        self.policy.max_requests
    }

    /// The route of a call of `provider` that becomes the record at `record` (relative to
    /// `results/`).
    pub fn route(&self, provider: &str, record: &Path) -> Option<BatchRoute> {
        let queue = self.queues.get(provider)?;
        Some(BatchRoute {
            queue: Arc::clone(queue),
            record: record_key(record),
        })
    }

    /// Starts gathering and polling (the batches of earlier runs first); once, inside
    /// the runtime.
    pub fn start(&self) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        for queue in self.queues.values() {
            Arc::clone(queue).start();
        }
    }

    /// Stops sending and waiting: calls waiting for a batch or to be sent get
    /// [`CallError::Deferred`]; the batch files stay for the next run.
    pub fn halt(&self) {
        self.halt.set();
    }

    /// The record at `path` (under `results/`) was written: the requests that stood for
    /// it are settled, and a batch whose requests all are loses its file.
    pub fn written(&self, path: &Path) {
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return;
        };
        let record = record_key(relative);
        for queue in self.queues.values() {
            queue.written(&record);
        }
    }

    /// The batch files still under `results/.batches/`, for the run's summary.
    pub fn kept(&self) -> Vec<Kept> {
        let mut out: Vec<Kept> = self.queues.values().flat_map(|q| q.kept()).collect();
        out.extend(self.foreign.iter().map(|(path, f)| Kept {
            path: path.clone(),
            provider: f.provider.clone(),
            batch: f.batch.clone(),
            unsettled: f.requests.len(),
            running: None,
        }));
        out
    }

    /// Batch files of providers this run does not use (left alone).
    pub fn foreign(&self) -> &[(PathBuf, LedgerFile)] {
        &self.foreign
    }
}

/// A record path as the batch files spell it: `/`-separated, relative to `results/`.
fn record_key(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The run's "stop sending and waiting", shared by every queue.
#[derive(Debug, Default)]
pub(crate) struct Halt {
    set: AtomicBool,
    notify: Notify,
}

impl Halt {
    fn set(&self) {
        self.set.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }
}
