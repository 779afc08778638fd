//! The one writer of a run: a thread that receives the engine's [`Event`]s, persists
//! every record atomically in the store (off the async workers: the scheduler never
//! waits for an fsync), keeps the [`Tally`], and hands each event to the reporters that
//! subscribed (a progress bar, JSON lines, the language server's progress).
//!
//! A record that cannot be written stops the run at once ([`StopReason::StoreFailed`],
//! naming the path): nothing more is worth paying for. Records already written stay.

use crate::scheduler::{Control, Event, Skip, StopReason};
use crate::store::Store;
use fabula_core::model::{FailureKind, Status};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::mpsc;

/// Where an event's record went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Written at this path.
    At(PathBuf),
    /// Not written: why (a write error), or no store to write to.
    NotWritten(String),
    /// The event holds no record.
    Nothing,
}

/// What a run did so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Records received (written or not).
    pub generations: usize,
    pub evaluations: usize,
    pub pairwise: usize,
    pub failed_generations: usize,
    pub failed_evaluations: usize,
    pub failed_pairwise: usize,
    /// Failed records by kind.
    pub failures: BTreeMap<FailureKind, usize>,
    /// One reason per failure kind, as an example.
    pub examples: BTreeMap<FailureKind, String>,
    /// Planned work that did not happen.
    pub skipped_generations: usize,
    pub skipped_evaluations: usize,
    /// Of the skipped evaluations, those of failed generations (nothing to judge).
    pub skipped_after_failure: usize,
    /// Why work was refused, when it was.
    pub refused: Option<String>,
    /// Generations and evaluations left in provider batches for the next run, and why
    /// (the first reason).
    pub deferred: usize,
    pub deferred_why: Option<String>,
    pub write_errors: usize,
    pub first_write_error: Option<String>,
    /// Cost of every record received, USD.
    pub spent_usd: f64,
}

impl Tally {
    /// Records received: progress "done".
    pub fn done(&self) -> usize {
        self.generations + self.evaluations + self.pairwise
    }

    /// Planned work (out of `planned` calls) that neither happened nor was made
    /// unnecessary by a failed generation: what a stop, a refusal or an unreadable
    /// record left undone.
    pub fn undone(&self, planned: usize) -> usize {
        planned.saturating_sub(self.done() + self.skipped_after_failure)
    }

    pub fn failed(&self) -> usize {
        self.failed_generations + self.failed_evaluations + self.failed_pairwise
    }

    fn count(&mut self, event: &Event) {
        match event {
            Event::Generation(r) => {
                self.generations += 1;
                self.spent_usd += r.cost_usd.unwrap_or(0.0);
                if r.status != Status::Ok {
                    self.failed_generations += 1;
                    self.failure(r.failure, r.error.as_deref());
                }
            }
            Event::Evaluation(r) => {
                self.evaluations += 1;
                self.spent_usd += r.cost_usd.unwrap_or(0.0);
                if r.status != Status::Ok {
                    self.failed_evaluations += 1;
                    self.failure(r.failure, r.error.as_deref());
                }
            }
            Event::Pairwise(r) => {
                self.pairwise += 1;
                self.spent_usd += r.cost_usd.unwrap_or(0.0);
                if r.status != Status::Ok {
                    self.failed_pairwise += 1;
                    self.failure(r.failure, r.error.as_deref());
                }
            }
            Event::Skipped {
                generations,
                evaluations,
                why,
            } => {
                self.skipped_generations += generations;
                self.skipped_evaluations += evaluations;
                match why {
                    Skip::Refused(why) => {
                        self.refused.get_or_insert_with(|| why.clone());
                    }
                    Skip::Deferred(why) => {
                        self.deferred += generations + evaluations;
                        self.deferred_why.get_or_insert_with(|| why.clone());
                    }
                    Skip::GenerationFailed => self.skipped_after_failure += evaluations,
                    Skip::Stopped | Skip::Unreadable(_) => {}
                }
            }
        }
    }

    fn failure(&mut self, kind: Option<FailureKind>, error: Option<&str>) {
        let kind = kind.unwrap_or(FailureKind::Provider);
        *self.failures.entry(kind).or_default() += 1;
        if let Some(e) = error {
            self.examples.entry(kind).or_insert_with(|| e.to_string());
        }
    }
}

/// Something that follows a run: called on the recorder's thread, after the record was
/// persisted, in the order the events arrived.
pub trait Reporter: Send {
    fn on(&mut self, event: &Event, stored: &Stored, tally: &Tally);
    /// The run ended (all events delivered).
    fn finish(&mut self, _tally: &Tally) {}
}

/// A running recorder: [`Recorder::finish`] waits for the last event.
pub struct Recorder {
    thread: JoinHandle<(Tally, Vec<Box<dyn Reporter>>)>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

/// How many events may wait for the disk before the engine waits too: bounded memory.
pub const QUEUE: usize = 1024;

/// Starts the recorder thread. Events sent on the returned sender are persisted in
/// `store` (none: kept in memory by the reporters only) and reported.
pub fn start(
    store: Option<Store>,
    control: Arc<Control>,
    mut reporters: Vec<Box<dyn Reporter>>,
) -> (mpsc::Sender<Event>, Recorder) {
    let (tx, mut rx) = mpsc::channel::<Event>(QUEUE);
    let thread = std::thread::spawn(move || {
        let mut tally = Tally::default();
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(first) = rx.blocking_recv() {
            // Whatever queued up meanwhile is written together, on several threads: an
            // fsync-bound disk then keeps up with many request slots.
            batch.push(first);
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(e) => batch.push(e),
                    Err(_) => break,
                }
            }
            let stored: Vec<Stored> = if batch.len() == 1 {
                vec![persist(store.as_ref(), &batch[0])]
            } else {
                batch
                    .par_iter()
                    .map(|e| persist(store.as_ref(), e))
                    .collect()
            };
            for (event, stored) in batch.drain(..).zip(stored) {
                report(
                    &mut tally,
                    &control,
                    &mut reporters,
                    store.is_some(),
                    &event,
                    &stored,
                );
            }
        }
        for r in &mut reporters {
            r.finish(&tally);
        }
        (tally, reporters)
    });
    (tx, Recorder { thread })
}

/// Most events written together.
const BATCH: usize = 64;

fn report(
    tally: &mut Tally,
    control: &Control,
    reporters: &mut [Box<dyn Reporter>],
    has_store: bool,
    event: &Event,
    stored: &Stored,
) {
    tally.count(event);
    if let Stored::NotWritten(why) = stored
        && has_store
    {
        tally.write_errors += 1;
        tally.first_write_error.get_or_insert_with(|| why.clone());
        control.stop(StopReason::StoreFailed(why.clone()));
    }
    for r in reporters.iter_mut() {
        r.on(event, stored, tally);
    }
}

impl Recorder {
    /// Waits until every sender is dropped and every event is handled; returns the
    /// tally and the reporters.
    pub fn finish(self) -> (Tally, Vec<Box<dyn Reporter>>) {
        self.thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

fn persist(store: Option<&Store>, event: &Event) -> Stored {
    let Some(store) = store else {
        return match event {
            Event::Skipped { .. } => Stored::Nothing,
            _ => Stored::NotWritten("no store".into()),
        };
    };
    let (written, path) = match event {
        Event::Generation(r) => (store.write_generation(r), store.generation_path(r)),
        Event::Evaluation(r) => (store.write_evaluation(r), store.evaluation_path(r)),
        Event::Pairwise(r) => (store.write_pairwise(r), store.pairwise_path(r)),
        Event::Skipped { .. } => return Stored::Nothing,
    };
    match written {
        Ok(p) => Stored::At(p),
        Err(e) => Stored::NotWritten(format!("cannot write {}: {e}", path.display())),
    }
}

/// A reporter that tells the run's batches which records are written, so that a batch
/// file is removed only once every record its requests stand for is on disk.
#[derive(Debug)]
pub struct BatchFiles(pub Arc<crate::batch::Batches>);

impl Reporter for BatchFiles {
    fn on(&mut self, _event: &Event, stored: &Stored, _tally: &Tally) {
        if let Stored::At(path) = stored {
            self.0.written(path);
        }
    }
}

/// A reporter that keeps every record in memory, and where each was written (tests,
/// the language server's runs).
#[derive(Clone, Debug, Default)]
pub struct Collect {
    generations: Arc<std::sync::Mutex<Vec<Arc<fabula_core::model::GenerationRecord>>>>,
    evaluations: Arc<std::sync::Mutex<Vec<Arc<fabula_core::model::EvaluationRecord>>>>,
    pairwise: Arc<std::sync::Mutex<Vec<Arc<fabula_core::model::PairwiseRecord>>>>,
    paths: Arc<std::sync::Mutex<Vec<PathBuf>>>,
}

fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Reporter for Collect {
    fn on(&mut self, event: &Event, stored: &Stored, _tally: &Tally) {
        match event {
            Event::Generation(r) => locked(&self.generations).push(Arc::clone(r)),
            Event::Evaluation(r) => locked(&self.evaluations).push(Arc::clone(r)),
            Event::Pairwise(r) => locked(&self.pairwise).push(Arc::clone(r)),
            Event::Skipped { .. } => {}
        }
        if let Stored::At(path) = stored {
            locked(&self.paths).push(path.clone());
        }
    }
}

impl Collect {
    pub fn generations(&self) -> Vec<Arc<fabula_core::model::GenerationRecord>> {
        locked(&self.generations).clone()
    }

    pub fn evaluations(&self) -> Vec<Arc<fabula_core::model::EvaluationRecord>> {
        locked(&self.evaluations).clone()
    }

    pub fn pairwise(&self) -> Vec<Arc<fabula_core::model::PairwiseRecord>> {
        locked(&self.pairwise).clone()
    }

    /// The files records were written to, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        locked(&self.paths).clone()
    }
}

/// Runs `jobs` on `engine` with `store` (if any) and returns the tally and what was
/// collected: for tests and one-off runs.
pub async fn run_collecting(
    engine: &Arc<crate::scheduler::Engine>,
    jobs: Vec<fabula_eval::plan::Job>,
    store: Option<Store>,
) -> (Tally, Collect) {
    let control = Arc::new(Control::default());
    let collect = Collect::default();
    let (tx, recorder) = start(
        store.clone(),
        Arc::clone(&control),
        vec![Box::new(collect.clone())],
    );
    engine.run(jobs, store, tx, control).await;
    let (tally, _) = tokio::task::spawn_blocking(move || recorder.finish())
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    (tally, collect)
}
