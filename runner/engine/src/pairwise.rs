//! Pairwise comparisons (`fabula compare --pairwise`): one judge compares two stored
//! generations of the same task sample, shown in the order the job says, and the record
//! of it is emitted as an [`Event::Pairwise`] for the recorder to persist. Planning which
//! comparisons to run, and reading them, belong to [`fabula_eval::pairwise`]; the prompt
//! and the parse to [`fabula_core::pairwise`].
//!
//! A job names the generations by path and by the hash of their judge view at planning:
//! a generation that changed since (another run rewrote it) is skipped, never compared
//! under the wrong hash.

use crate::judging;
use crate::scheduler::{Control, Engine, Event, Skip, StopReason, now};
use crate::store::Store;
use fabula_core::judge;
use fabula_core::kind;
use fabula_core::model::{
    FailureKind, GenerationRecord, PairSide, PairwiseRecord, RECORD_VERSION, Status,
};
use fabula_core::pairwise::{self, Shown};
use fabula_core::text_rules::word_count;
use fabula_eval::fingerprint::sha_hex;
use fabula_eval::pairwise::{Contender, PairJob};
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

impl Engine {
    /// Runs every comparison, emitting records into `events`; returns when every job has
    /// ended (or been cancelled by [`Control::abort`]). The jobs' generations are read
    /// from `store` when each job starts.
    pub async fn run_pairwise(
        self: &Arc<Self>,
        jobs: Vec<PairJob>,
        store: Store,
        events: mpsc::Sender<Event>,
        control: Arc<Control>,
    ) {
        let window = Arc::new(Semaphore::new(self.window.max(1)));
        let mut set = JoinSet::new();
        for job in jobs {
            let engine = Arc::clone(self);
            let (events, window, control, store) = (
                events.clone(),
                Arc::clone(&window),
                Arc::clone(&control),
                store.clone(),
            );
            set.spawn(async move {
                let Ok(_open) = window.acquire_owned().await else {
                    return;
                };
                let event = if control.is_stopped() {
                    skipped(Skip::Stopped)
                } else {
                    tokio::select! {
                        () = control.aborted() => return,
                        e = engine.pairwise_job(&job, store) => e,
                    }
                };
                if let Event::Skipped {
                    why: Skip::Refused(why),
                    ..
                } = &event
                {
                    control.stop(StopReason::Refused(why.clone()));
                }
                let _ = events.send(event).await;
            });
        }
        while let Some(done) = set.join_next().await {
            if let Err(e) = done
                && e.is_panic()
            {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }

    async fn pairwise_job(&self, job: &PairJob, store: Store) -> Event {
        let paths = (job.first.path.clone(), job.second.path.clone());
        let read = tokio::task::spawn_blocking(move || {
            Ok::<_, std::io::Error>((
                store.read_generation(&paths.0)?,
                store.read_generation(&paths.1)?,
            ))
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        let (first, second) = match read {
            Ok(pair) => pair,
            Err(e) => return skipped(Skip::Unreadable(e.to_string())),
        };
        match self.compare(job, &first, &second).await {
            Ok(record) => Event::Pairwise(Arc::new(record)),
            Err(why) => skipped(why),
        }
    }

    /// Has `job.judge` compare `first` (shown first) with `second`: the record, failed
    /// ones included; `Err` when there is nothing to keep (a refused call, a generation
    /// that is not the one planned).
    pub async fn compare(
        &self,
        job: &PairJob,
        first: &GenerationRecord,
        second: &GenerationRecord,
    ) -> Result<PairwiseRecord, Skip> {
        let input = job.task.input(&self.slop);
        let view = |g: &GenerationRecord| kind::of(g.task_type).judge_view(g);
        let (view_first, view_second) = (view(first), view(second));
        for (v, c) in [(&view_first, &job.first), (&view_second, &job.second)] {
            if sha_hex(v.as_bytes()) != c.view_sha {
                return Err(Skip::Unreadable(format!(
                    "the generation of `{}` changed since the comparison was planned",
                    c.model
                )));
            }
        }
        let side = |c: &Contender, v: &str| PairSide {
            model: c.model.clone(),
            generation_fingerprint: c.fingerprint.clone(),
            generation_sha: c.view_sha.clone(),
            words: word_count(v) as u64,
        };
        let (side_first, side_second) = (
            side(&job.first, &view_first),
            side(&job.second, &view_second),
        );
        let judge = self.models.get(&job.judge);
        let answer = match judge {
            Some(judge) => {
                let rubric = judge::rubric(input);
                let a = Shown {
                    view: &view_first,
                    words: side_first.words,
                };
                let b = Shown {
                    view: &view_second,
                    words: side_second.words,
                };
                judging::ask(
                    judge,
                    |fence| pairwise::prompt(input, &rubric, a, b, fence),
                    || pairwise::response_schema(&rubric),
                    |text| pairwise::parse(text, &rubric),
                    self.judge_retries,
                )
                .await
            }
            None => judging::Answer {
                error: Some(format!("unknown judge `{}`", job.judge)),
                failure: Some(FailureKind::Config),
                ..judging::Answer::default()
            },
        };
        if let Some(refused) = answer.refused {
            return Err(Skip::Refused(refused.to_string()));
        }
        Ok(PairwiseRecord {
            format_version: RECORD_VERSION,
            task: job.task.id().to_string(),
            task_type: job.task.task.task_type(),
            sample: job.sample,
            judge: job.judge.clone(),
            simulated: judge.is_some_and(|j| j.simulated()),
            first: side_first,
            second: side_second,
            fingerprint: job.fingerprint.clone(),
            status: if answer.error.is_none() {
                Status::Ok
            } else {
                Status::Failed
            },
            error: answer.error,
            failure: answer.failure,
            criteria: answer.criteria,
            raw: answer.raw,
            usage: answer.usage,
            cost_usd: answer.cost_usd,
            latency_ms: answer.latency.as_millis() as u64,
            created_at: now(),
        })
    }
}

/// One comparison that will not happen.
fn skipped(why: Skip) -> Event {
    Event::Skipped {
        generations: 0,
        evaluations: 1,
        why,
    }
}
