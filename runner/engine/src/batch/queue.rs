//! One provider's batches: requests gathered into a batch, the batch sent and its id kept
//! in a batch file, polled with backoff, and each answer handed to the call waiting for
//! it (or kept for the call that will ask, when the batch is an earlier run's).

use super::ledger::{Ledger, LedgerFile, LedgerRequest};
use super::{Halt, Kept, Policy, Progress, ProgressSink};
use crate::call::{CallError, ChatRequest, Completion};
use crate::provider::Provider;
use crate::provider::batch::{BatchApi, BatchLine, BatchStatus, Ending, Phase};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, oneshot};

type Answer = Result<Completion, CallError>;

fn not_sent() -> CallError {
    CallError::Deferred {
        why: NOT_SENT.into(),
        sent: false,
    }
}

/// Failed polls in a row after which a run stops waiting for a batch (it is left for the
/// next run, its id kept): a status that cannot be read for this long is not a blip.
const MAX_POLL_FAILURES: u32 = 10;

/// Tries to read an ended batch's results before it is left for the next run.
const RESULT_READS: u32 = 3;

/// Why a call that was never sent returns without an answer.
const NOT_SENT: &str =
    "the run stopped before this request was sent in a batch; the next run sends it";

pub(crate) struct Queue {
    name: String,
    provider: Arc<dyn Provider>,
    ledger: Ledger,
    policy: Policy,
    halt: Arc<Halt>,
    progress: ProgressSink,
    state: Mutex<State>,
    wake: Notify,
}

/// A request waiting to be sent.
struct Pending {
    record: String,
    model: String,
    body: Value,
    attempt: u32,
    tx: oneshot::Sender<Answer>,
}

/// A call waiting for a line of a sent batch.
struct Claim {
    body: Value,
    tx: oneshot::Sender<Answer>,
}

/// A request in a sent batch.
struct Line {
    record: String,
    model: String,
    attempt: u32,
    claim: Option<Claim>,
    /// Not settled yet (its record not written, nor the request sent again).
    open: bool,
}

/// A sent batch.
struct Sent {
    file: PathBuf,
    /// When it was sent (by this run or an earlier one).
    submitted: SystemTime,
    lines: BTreeMap<String, Line>,
    ended: bool,
}

#[derive(Default)]
struct State {
    pending: Vec<Pending>,
    batches: BTreeMap<String, Sent>,
    /// Requests of running batches no call has claimed yet, by record.
    unclaimed: HashMap<String, VecDeque<(String, String)>>,
    /// Answers that arrived before any call asked for them, by record.
    ready: HashMap<String, VecDeque<(String, String, Answer)>>,
    /// Answers handed out whose records are not written yet: (batch, custom id).
    delivered: HashMap<String, Vec<(String, String)>>,
}

impl Queue {
    pub(crate) fn new(
        name: String,
        provider: Arc<dyn Provider>,
        ledger: Ledger,
        policy: Policy,
        halt: Arc<Halt>,
        progress: ProgressSink,
        files: Vec<(PathBuf, LedgerFile)>,
    ) -> Result<Queue, super::BatchError> {
        let root = ledger.dir().parent().map(PathBuf::from).unwrap_or_default();
        let mut state = State::default();
        for (path, file) in files {
            let mut lines = BTreeMap::new();
            for r in file.requests {
                // A record already written settles its request (a run killed between
                // writing it and removing the file).
                let open = !root.join(&r.record).exists();
                lines.insert(
                    r.custom_id,
                    Line {
                        record: r.record,
                        model: r.model,
                        attempt: r.attempt,
                        claim: None,
                        open,
                    },
                );
            }
            if lines.values().all(|l| !l.open) {
                ledger.remove(&path)?;
                continue;
            }
            for (cid, line) in &lines {
                if line.open {
                    state
                        .unclaimed
                        .entry(line.record.clone())
                        .or_default()
                        .push_back((file.batch.clone(), cid.clone()));
                }
            }
            let submitted =
                humantime::parse_rfc3339(&file.submitted_at).unwrap_or_else(|_| SystemTime::now());
            state.batches.insert(
                file.batch.clone(),
                Sent {
                    file: path,
                    submitted,
                    lines,
                    ended: false,
                },
            );
        }
        Ok(Queue {
            name,
            provider,
            ledger,
            policy,
            halt,
            progress,
            state: Mutex::new(state),
            wake: Notify::new(),
        })
    }

    fn api(&self) -> &dyn BatchApi {
        self.provider
            .batch()
            .expect("a queue is made only for a provider with a batch API")
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tell(&self, p: Progress) {
        (self.progress)(&p);
    }

    fn problem(&self, message: String) {
        self.tell(Progress::Problem {
            provider: self.name.clone(),
            message,
        });
    }

    /// Starts the gatherer and the pollers of earlier runs' batches.
    pub(crate) fn start(self: Arc<Self>) {
        let resumed: Vec<(String, usize)> = self
            .lock()
            .batches
            .iter()
            .map(|(id, b)| (id.clone(), b.lines.len()))
            .collect();
        for (id, requests) in resumed {
            self.tell(Progress::Resumed {
                provider: self.name.clone(),
                batch: id.clone(),
                requests,
            });
            tokio::spawn(Arc::clone(&self).poll(id));
        }
        tokio::spawn(self.gather());
    }

    /// The answer to `request` (to `model`), which becomes the record `record`: from a
    /// batch an earlier run sent for it, else from a new one.
    pub(crate) async fn call(&self, record: &str, model: &str, request: &ChatRequest) -> Answer {
        let body = self.api().body(request)?;
        if self.halt.is_set() {
            return Err(not_sent());
        }
        let rx = {
            let mut s = self.lock();
            if let Some(queue) = s.ready.get_mut(record)
                && let Some((batch, cid, answer)) = queue.pop_front()
            {
                if queue.is_empty() {
                    s.ready.remove(record);
                }
                s.delivered
                    .entry(record.to_string())
                    .or_default()
                    .push((batch, cid));
                return answer;
            }
            let (tx, rx) = oneshot::channel();
            let line = s.unclaimed.get_mut(record).and_then(VecDeque::pop_front);
            match line {
                Some((batch, cid)) => {
                    if s.unclaimed.get(record).is_some_and(VecDeque::is_empty) {
                        s.unclaimed.remove(record);
                    }
                    let line = s
                        .batches
                        .get_mut(&batch)
                        .and_then(|b| b.lines.get_mut(&cid))
                        .expect("an unclaimed line is in its batch");
                    line.claim = Some(Claim { body, tx });
                }
                None => {
                    s.pending.push(Pending {
                        record: record.to_string(),
                        model: model.to_string(),
                        body,
                        attempt: 1,
                        tx,
                    });
                    self.wake.notify_one();
                }
            }
            rx
        };
        rx.await.unwrap_or_else(|_| Err(not_sent()))
    }

    /// Gathers pending requests until none arrived for the gathering time (or a batch is
    /// full), then sends them.
    async fn gather(self: Arc<Self>) {
        let max = self.policy.max_requests.max(1);
        loop {
            self.wake.notified().await;
            loop {
                loop {
                    let before = self.lock().pending.len();
                    if before >= max || self.halt.is_set() {
                        break;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(self.policy.gather()) => {}
                        () = self.halt.wait() => {}
                    }
                    if self.lock().pending.len() == before {
                        break;
                    }
                }
                let taken: Vec<Pending> = {
                    let mut s = self.lock();
                    let n = s.pending.len().min(max);
                    s.pending.drain(..n).collect()
                };
                if taken.is_empty() {
                    break;
                }
                if self.halt.is_set() {
                    for p in taken {
                        let _ = p.tx.send(Err(not_sent()));
                    }
                    continue;
                }
                tokio::spawn(Arc::clone(&self).send(taken));
            }
        }
    }

    /// Sends `taken` as one batch, keeps its id, and polls it.
    async fn send(self: Arc<Self>, taken: Vec<Pending>) {
        let lines: Vec<BatchLine> = taken
            .iter()
            .enumerate()
            .map(|(i, p)| BatchLine {
                custom_id: format!("r{i}"),
                body: p.body.clone(),
            })
            .collect();
        let id = match self.api().submit(&lines).await {
            Ok(id) => id,
            Err(e) => {
                self.problem(format!(
                    "could not send a batch of {} requests: {e}",
                    taken.len()
                ));
                for p in taken {
                    let _ = p.tx.send(Err(e.clone()));
                }
                return;
            }
        };
        let submitted = SystemTime::now();
        let file = LedgerFile {
            format_version: super::LEDGER_VERSION,
            provider: self.name.clone(),
            api: self.api().api().to_string(),
            batch: id.clone(),
            submitted_at: humantime::format_rfc3339_millis(submitted).to_string(),
            requests: lines
                .iter()
                .zip(&taken)
                .map(|(l, p)| LedgerRequest {
                    custom_id: l.custom_id.clone(),
                    record: p.record.clone(),
                    model: p.model.clone(),
                    attempt: p.attempt,
                })
                .collect(),
        };
        let path = match self.ledger.write(&file) {
            Ok(p) => p,
            Err(e) => {
                self.problem(format!(
                    "batch {id} was sent but its id could not be kept ({e}): a run killed before it ends would send its requests again"
                ));
                self.ledger.path(&self.name, &id)
            }
        };
        {
            let mut s = self.lock();
            let lines = lines
                .into_iter()
                .zip(taken)
                .map(|(l, p)| {
                    (
                        l.custom_id,
                        Line {
                            record: p.record,
                            model: p.model,
                            attempt: p.attempt,
                            claim: Some(Claim {
                                body: p.body,
                                tx: p.tx,
                            }),
                            open: true,
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>();
            let requests = lines.len();
            s.batches.insert(
                id.clone(),
                Sent {
                    file: path,
                    submitted,
                    lines,
                    ended: false,
                },
            );
            drop(s);
            self.tell(Progress::Submitted {
                provider: self.name.clone(),
                batch: id.clone(),
                requests,
            });
        }
        self.poll(id).await;
    }

    /// Polls batch `id` with backoff until it ends, then hands out its answers.
    async fn poll(self: Arc<Self>, id: String) {
        let started = Instant::now();
        let mut delay = self.policy.poll_floor;
        let mut failures = 0;
        loop {
            if self.halt.is_set() {
                self.defer(
                    &id,
                    format!(
                        "the run stopped while batch {id} of provider `{}` was running; its id is kept under results/.batches/, and the next `fabula run --batch` polls it instead of sending it again",
                        self.name
                    ),
                );
                return;
            }
            match self.api().status(&id).await {
                Ok(status) => match &status.phase {
                    Phase::Ended(ending) => {
                        let ending = ending.clone();
                        self.collect(&id, &status, &ending, delay).await;
                        return;
                    }
                    Phase::Running => {
                        failures = 0;
                        self.tell(Progress::Polled {
                            provider: self.name.clone(),
                            batch: id.clone(),
                            counts: status.counts,
                            next: delay,
                        });
                    }
                },
                Err(e) if e.refusal().is_some() => {
                    self.problem(format!("polling batch {id}: {e}"));
                    self.fail_claims(&id, &e);
                    return;
                }
                Err(e) => {
                    failures += 1;
                    if failures >= MAX_POLL_FAILURES {
                        self.problem(format!("polling batch {id} failed ({e})"));
                        self.defer(
                            &id,
                            format!(
                                "the state of batch {id} of provider `{}` could not be read {failures} times in a row (last: {e}); its id is kept under results/.batches/ for the next `fabula run --batch`",
                                self.name
                            ),
                        );
                        return;
                    }
                    self.problem(format!(
                        "polling batch {id} failed ({e}); polling again in {}",
                        super::wait(delay)
                    ));
                }
            }
            if started.elapsed() >= self.policy.max_wait {
                self.defer(
                    &id,
                    format!(
                        "batch {id} of provider `{}` did not end within {}; its id is kept under results/.batches/ for the next `fabula run --batch`",
                        self.name,
                        super::wait(self.policy.max_wait)
                    ),
                );
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.halt.wait() => {}
            }
            delay = (delay * 2).min(self.policy.poll_ceiling.max(self.policy.poll_floor));
        }
    }

    /// The calls waiting for batch `id` return without an answer; the batch stays.
    fn defer(&self, id: &str, why: String) {
        let mut s = self.lock();
        let Some(batch) = s.batches.get_mut(id) else {
            return;
        };
        let mut freed = Vec::new();
        for (cid, line) in batch.lines.iter_mut() {
            if let Some(claim) = line.claim.take() {
                let _ = claim.tx.send(Err(CallError::Deferred {
                    why: why.clone(),
                    sent: true,
                }));
                freed.push((line.record.clone(), cid.clone()));
            }
        }
        for (record, cid) in freed {
            s.unclaimed
                .entry(record)
                .or_default()
                .push_back((id.to_string(), cid));
        }
    }

    /// The calls waiting for batch `id` fail with `e` (a refusal); the batch stays.
    fn fail_claims(&self, id: &str, e: &CallError) {
        let mut s = self.lock();
        if let Some(batch) = s.batches.get_mut(id) {
            for line in batch.lines.values_mut() {
                if let Some(claim) = line.claim.take() {
                    let _ = claim.tx.send(Err(e.clone()));
                }
            }
        }
    }

    /// Reads an ended batch's results and hands each answer out: to the call waiting for
    /// it, to a later batch (a line it did not run, while retries are left), or kept for
    /// the call that will ask.
    async fn collect(&self, id: &str, status: &BatchStatus, ending: &Ending, backoff: Duration) {
        let (expected, submitted) = {
            let s = self.lock();
            match s.batches.get(id) {
                Some(b) => (b.lines.len(), b.submitted),
                None => return,
            }
        };
        let latency = submitted.elapsed().unwrap_or_default();
        let how = match ending {
            Ending::Completed => "ended".to_string(),
            Ending::Expired => "expired".to_string(),
            Ending::Cancelled => "was cancelled".to_string(),
            Ending::Failed(why) => format!("failed ({why})"),
        };
        let mut answers: HashMap<String, Answer> = HashMap::new();
        let mut unknown = Vec::new();
        let mut read = self.api().results(status, expected, latency).await;
        let mut tries = 1;
        while let Err(e) = &read
            && e.retryable()
            && e.refusal().is_none()
        {
            if tries >= RESULT_READS {
                // Readable later, perhaps: sending the requests again would pay twice.
                self.problem(format!("cannot read the results of batch {id}: {e}"));
                self.defer(
                    id,
                    format!(
                        "the results of batch {id} of provider `{}` could not be read ({e}); its id is kept under results/.batches/ for the next `fabula run --batch`",
                        self.name
                    ),
                );
                return;
            }
            tries += 1;
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = self.halt.wait() => {}
            }
            read = self.api().results(status, expected, latency).await;
        }
        let unreadable_reason = match read {
            Ok(read) => {
                let known = {
                    let s = self.lock();
                    s.batches
                        .get(id)
                        .map(|b| b.lines.keys().cloned().collect::<Vec<_>>())
                        .unwrap_or_default()
                };
                for (cid, answer) in read.answers {
                    if !known.contains(&cid) || answers.contains_key(&cid) {
                        unknown.push(cid);
                    } else {
                        answers.insert(cid, answer);
                    }
                }
                if !read.unreadable.is_empty() {
                    self.problem(format!(
                        "batch {id}: {} result line(s) could not be read (first: {}); a request without a readable result counts as unanswered",
                        read.unreadable.len(),
                        read.unreadable[0]
                    ));
                }
                None
            }
            Err(e) if e.refusal().is_some() => {
                self.problem(format!("reading the results of batch {id}: {e}"));
                self.fail_claims(id, &e);
                return;
            }
            Err(e) => {
                self.problem(format!("cannot read the results of batch {id}: {e}"));
                Some(e)
            }
        };
        if !unknown.is_empty() {
            self.problem(format!(
                "batch {id}: {} result(s) for requests it was not sent or answered twice (first custom id `{}`); ignored",
                unknown.len(),
                self.api().scrub(&unknown[0])
            ));
        }
        let retries = self.api().retries();
        let (mut answered, mut failed, mut resent) = (0, 0, 0);
        let mut s = self.lock();
        let State {
            batches,
            pending,
            ready,
            delivered,
            unclaimed,
        } = &mut *s;
        let Some(batch) = batches.get_mut(id) else {
            return;
        };
        let root = self
            .ledger
            .dir()
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        for (cid, line) in batch.lines.iter_mut() {
            if !line.open {
                continue;
            }
            let answer = match (answers.remove(cid), &unreadable_reason) {
                (Some(a), _) => Ok(a),
                // A missing results file: the requests are worth sending again.
                (None, Some(e @ CallError::Status { code: 404, .. })) => Err(CallError::Status {
                    code: 503,
                    body: format!("the results of batch {id} could not be read: {e}"),
                    retry_after: None,
                }),
                // Anything else about the file (too large, not what was expected) would
                // happen again: the requests fail with it.
                (None, Some(e)) => Err(CallError::Status {
                    code: 422,
                    body: format!("the results of batch {id} could not be read: {e}"),
                    retry_after: None,
                }),
                (None, None) => Err(CallError::Status {
                    code: 503,
                    body: format!("batch {id} {how} without a result for this request"),
                    retry_after: None,
                }),
            }
            .and_then(|a| a);
            let answer = answer
                .map(|mut c| {
                    c.batch = Some(id.to_string());
                    c
                })
                .map_err(|e| self.api().refused(&line.model, e));
            let again = matches!(&answer, Err(e) if e.retryable()) && line.attempt <= retries;
            match line.claim.take() {
                Some(claim) if again => {
                    resent += 1;
                    line.open = false;
                    pending.push(Pending {
                        record: line.record.clone(),
                        model: line.model.clone(),
                        body: claim.body,
                        attempt: line.attempt + 1,
                        tx: claim.tx,
                    });
                }
                Some(claim) => {
                    if answer.is_ok() {
                        answered += 1;
                    } else {
                        failed += 1;
                    }
                    match claim.tx.send(answer) {
                        Ok(()) => delivered
                            .entry(line.record.clone())
                            .or_default()
                            .push((id.to_string(), cid.clone())),
                        // The call is gone (aborted): keep the answer for the next one.
                        Err(answer) => ready.entry(line.record.clone()).or_default().push_back((
                            id.to_string(),
                            cid.clone(),
                            answer,
                        )),
                    }
                }
                // Nobody asked, and nothing came back: a later run sends it again.
                None if matches!(&answer, Err(e) if e.retryable()) => line.open = false,
                None if root.join(&line.record).exists() => line.open = false,
                None => {
                    if answer.is_ok() {
                        answered += 1;
                    } else {
                        failed += 1;
                    }
                    ready.entry(line.record.clone()).or_default().push_back((
                        id.to_string(),
                        cid.clone(),
                        answer,
                    ));
                }
            }
        }
        batch.ended = true;
        for queue in unclaimed.values_mut() {
            queue.retain(|(b, _)| b != id);
        }
        unclaimed.retain(|_, q| !q.is_empty());
        let more = !pending.is_empty();
        let settled = self.settle(&mut s, id);
        drop(s);
        if more {
            self.wake.notify_one();
        }
        self.tell(Progress::Ended {
            provider: self.name.clone(),
            batch: id.to_string(),
            how,
            answered,
            failed,
            resent,
        });
        if let Err(e) = settled {
            self.problem(e.to_string());
        }
    }

    /// Removes batch `id`'s file when it ended and every request in it is settled.
    fn settle(&self, s: &mut State, id: &str) -> Result<(), super::BatchError> {
        let done = s
            .batches
            .get(id)
            .is_some_and(|b| b.ended && b.lines.values().all(|l| !l.open));
        if done && let Some(batch) = s.batches.remove(id) {
            self.ledger.remove(&batch.file)?;
        }
        Ok(())
    }

    /// The record `record` was written: the requests handed out for it are settled.
    pub(crate) fn written(&self, record: &str) {
        let mut s = self.lock();
        let Some(lines) = s.delivered.remove(record) else {
            return;
        };
        let mut touched = Vec::new();
        for (id, cid) in lines {
            if let Some(line) = s.batches.get_mut(&id).and_then(|b| b.lines.get_mut(&cid)) {
                line.open = false;
            }
            touched.push(id);
        }
        touched.dedup();
        for id in touched {
            if let Err(e) = self.settle(&mut s, &id) {
                drop(s);
                self.problem(e.to_string());
                s = self.lock();
            }
        }
    }

    /// The batch files this queue leaves behind.
    pub(crate) fn kept(&self) -> Vec<Kept> {
        let s = self.lock();
        s.batches
            .iter()
            .filter(|(_, b)| b.file.exists())
            .map(|(id, b)| Kept {
                path: b.file.clone(),
                provider: self.name.clone(),
                batch: id.clone(),
                unsettled: b.lines.values().filter(|l| l.open).count(),
                running: Some(!b.ended),
            })
            .collect()
    }
}
