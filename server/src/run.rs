//! Running one task from the editor: through the same engine and store as `fabula run`,
//! with work-done progress, cancellation (the progress's cancel button, or cancelling the
//! request), and a clear answer when a key is missing or the workspace is not trusted.
//!
//! A run never replaces a result: when today's sample 0 exists, it adds the next sample.
//! A re-judge runs the judges again on the model's latest generation.

use crate::db;
use crate::ls::Ls;
use crate::protocol::{ActiveRun, RunArgs, RunResult, RunsParams};
use crate::state::lock;
use fabula_core::diagnostic::Severity;
use fabula_core::model::{Config, EvaluationRecord, GenerationRecord, Status};
use fabula_engine::env::Env;
use fabula_engine::fingerprint::Current;
use fabula_engine::provider::Tuning;
use fabula_engine::scheduler::{Job, PreparedTask, Sink};
use fabula_engine::store::Store;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::{MessageType, NumberOrString, ProgressToken};

#[derive(Clone, Debug)]
struct Active {
    task: String,
    model: String,
    token: Option<ProgressToken>,
    cancel: Arc<tokio::sync::Notify>,
    id: u64,
}

/// Runs in flight.
#[derive(Default)]
pub struct Runs {
    active: Mutex<Vec<Active>>,
    next: AtomicU64,
}

impl Runs {
    pub fn cancel(&self, token: &ProgressToken) {
        for a in lock(&self.active).iter() {
            if a.token.as_ref() == Some(token) {
                a.cancel.notify_one();
            }
        }
    }

    pub fn cancel_all(&self) {
        for a in lock(&self.active).iter() {
            a.cancel.notify_one();
        }
    }

    fn list(&self) -> RunsParams {
        let active = lock(&self.active)
            .iter()
            .map(|a| ActiveRun {
                task: a.task.clone(),
                model: a.model.clone(),
            })
            .collect();
        RunsParams { active }
    }
}

/// Removes a run from the list when dropped (finished, failed or cancelled).
struct Registered<'a> {
    runs: &'a Runs,
    id: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(&self.runs.active).retain(|a| a.id != self.id);
    }
}

/// What a run needs from the workspace, read on a snapshot.
struct Prepared {
    config: Config,
    task: Arc<PreparedTask>,
    slop: Vec<String>,
    sample: u32,
    latest: Option<PathBuf>,
}

fn refuse(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

pub async fn run(ls: &Arc<Ls>, args: RunArgs, rejudge: bool) -> jsonrpc::Result<RunResult> {
    match run_inner(ls, args, rejudge).await {
        Ok(r) => Ok(r),
        Err(err) => {
            // "Content modified" is retried by clients; everything else is worth showing.
            if err.code != jsonrpc::ErrorCode::ServerError(-32801) {
                ls.client
                    .show_message(MessageType::ERROR, format!("Fabula: {}", err.message))
                    .await;
            }
            Err(err)
        }
    }
}

async fn run_inner(ls: &Arc<Ls>, args: RunArgs, rejudge: bool) -> jsonrpc::Result<RunResult> {
    let session = ls.state.session();
    if !session.trusted {
        return Err(refuse(
            "this workspace is not trusted, so runs are off: trust it in VS Code, or start the server with initializationOptions.trusted = true",
        ));
    }
    let root = ls
        .state
        .root()
        .ok_or_else(|| refuse("no project folder is open (a folder with fabula.yaml)"))?;
    let task_id = args.task.clone();
    let model = args.model.clone();
    let prepared = ls
        .state
        .compute(move |snap| prepare(snap, &task_id, &model))
        .await??;
    let judges = args
        .judges
        .clone()
        .unwrap_or_else(|| prepared.config.judges.clone());
    let env = Env::load(&root).map_err(refuse)?;
    let engine = fabula_engine::setup::engine(
        &prepared.config,
        &env,
        &Tuning::default(),
        std::slice::from_ref(&args.model),
        &judges,
        prepared.slop.clone(),
    )
    .map_err(|errors| {
        refuse(format!(
            "{} (keys come from the environment or {})",
            errors.join("; "),
            root.join(".env").display()
        ))
    })?;
    let store = Store::new(root.join("results"));
    let existing = match (&prepared.latest, rejudge) {
        (Some(path), true) => {
            Some(Arc::new(store.read_generation(path).map_err(|e| {
                refuse(format!("cannot read {}: {e}", path.display()))
            })?))
        }
        (None, true) => {
            return Err(refuse(format!(
                "{} has no result for {} to re-judge; run it first",
                args.model, args.task
            )));
        }
        _ => None,
    };
    let sample = existing.as_ref().map_or(prepared.sample, |g| g.sample);
    let job = Job {
        task: prepared.task.clone(),
        model: args.model.clone(),
        sample,
        judges,
        existing,
    };

    let id = ls.runs.next.fetch_add(1, Ordering::SeqCst);
    let token = session
        .work_done_progress
        .then(|| NumberOrString::String(format!("fabula-run-{id}")));
    let cancel = Arc::new(tokio::sync::Notify::new());
    lock(&ls.runs.active).push(Active {
        task: args.task.clone(),
        model: args.model.clone(),
        token: token.clone(),
        cancel: cancel.clone(),
        id,
    });
    let registered = Registered { runs: &ls.runs, id };
    notify_runs(ls).await;
    let verb = if rejudge { "Re-judging" } else { "Running" };
    let title = format!("{verb} {} with {}", args.task, args.model);
    let progress = match &token {
        Some(token)
            if ls
                .client
                .create_work_done_progress(token.clone())
                .await
                .is_ok() =>
        {
            Some(
                ls.client
                    .progress(token.clone(), title.clone())
                    .with_cancel_button()
                    .with_message("generation and judges")
                    .begin()
                    .await,
            )
        }
        _ => None,
    };
    tracing::info!("{title} (sample {sample})");
    let sink = Arc::new(StoreSink {
        store,
        written: Mutex::default(),
    });
    let engine = Arc::new(engine);
    let cancelled = tokio::select! {
        () = engine.run(vec![job], sink.clone()) => false,
        () = cancel.notified() => true,
    };
    drop(registered);
    if let Some(p) = progress {
        p.finish_with_message(if cancelled { "cancelled" } else { "done" })
            .await;
    }
    notify_runs(ls).await;
    let written = std::mem::take(&mut *lock(&sink.written));
    // The watcher would see these records too, a moment later; the score below must
    // include them now.
    let paths = written.iter().filter_map(Written::path).collect();
    crate::results::changed(ls, paths).await;
    let mut result = summarize(args, written, cancelled)?;
    let (task, model) = (result.task.clone(), result.model.clone());
    let score = ls
        .state
        .compute(move |snap| {
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let doc = ws.tasks_with_id(&task).next()?;
            let file = snap.file(&doc.path)?;
            let scores = db::scores(&snap.db, snap.project, file).0.clone();
            let s = scores.iter().find(|s| s.model == model)?;
            Some((s.final_score.map(|f| f / 100.0), s.pass))
        })
        .await;
    if let Ok(Some((final_score, passed))) = score {
        result.final_score = final_score;
        result.passed = passed;
        if let Some(f) = final_score {
            result.message = format!("{} scored {f:.2} on {}", result.model, result.task);
        }
    }
    Ok(result)
}

fn prepare(snap: &crate::state::Snapshot, task_id: &str, model: &str) -> jsonrpc::Result<Prepared> {
    let ws = &db::workspace(&snap.db, snap.project).ws;
    let Some((config_doc, config)) = ws.config() else {
        return Err(refuse("fabula.yaml is missing or has errors; fix it first"));
    };
    let config_errors = snap
        .file(&config_doc.path)
        .map(|f| db::diagnostics(&snap.db, snap.project, f).0.clone())
        .unwrap_or_default();
    if config_errors.iter().any(|d| d.severity == Severity::Error) {
        return Err(refuse("fabula.yaml has errors; fix them first"));
    }
    if !config.models.contains_key(model) {
        let names: Vec<&str> = config.models.keys().map(String::as_str).collect();
        return Err(refuse(format!(
            "no model `{model}` in fabula.yaml (models: {})",
            names.join(", ")
        )));
    }
    let Some(doc) = ws.tasks_with_id(task_id).next() else {
        // A task file that did not load (the code lens names it by its `id` value, or its
        // file name) is refused for the same reason the lens gives.
        let broken = ws.documents().iter().find(|d| {
            d.kind == Some(fabula_core::schema::SchemaKind::Task)
                && d.value
                    .as_ref()
                    .and_then(|v| v["id"].as_str())
                    .unwrap_or(d.stem())
                    == task_id
        });
        if let Some(file) = broken.and_then(|d| snap.file(&d.path)) {
            let errors = errors_in(snap, file);
            return Err(refuse(format!(
                "task `{task_id}` has {errors} error(s); fix them before running it"
            )));
        }
        return Err(refuse(format!("no task with id `{task_id}`")));
    };
    let file = snap
        .file(&doc.path)
        .ok_or_else(|| refuse(format!("{} is not loaded", doc.path)))?;
    let errors = errors_in(snap, file);
    if errors > 0 {
        return Err(refuse(format!(
            "task `{task_id}` has {errors} error(s); fix them before running it"
        )));
    }
    let task = fabula_engine::setup::prepare(ws, config, doc)
        .ok_or_else(|| refuse(format!("task `{task_id}` cannot be prepared (its theory?)")))?;
    let slop = fabula_engine::project::slop(ws);
    let current = Current {
        config,
        slop: &slop,
    };
    let today = current.generation(&task, model);
    let results = snap.project.results(&snap.db).0.clone();
    let records = results.by_task.get(task_id);
    let samples: Vec<u32> = records
        .into_iter()
        .flat_map(|r| &r.generations)
        .filter(|(_, g)| g.model == model && Some(&g.fingerprint) == today.as_ref())
        .map(|(_, g)| g.sample)
        .collect();
    let sample = samples.iter().max().map_or(0, |m| m + 1);
    let latest = db::scores(&snap.db, snap.project, file)
        .0
        .iter()
        .find(|s| s.model == model)
        .and_then(|s| s.files.first().cloned());
    Ok(Prepared {
        config: config.clone(),
        task: Arc::new(task),
        slop,
        sample,
        latest,
    })
}

/// How many errors a file has: a run refuses a task with any.
pub fn errors_in(snap: &crate::state::Snapshot, file: db::SourceFile) -> usize {
    db::diagnostics(&snap.db, snap.project, file)
        .0
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

async fn notify_runs(ls: &Arc<Ls>) {
    let list = ls.runs.list();
    ls.client
        .send_notification::<crate::protocol::Runs>(list)
        .await;
}

/// Writes each record the moment it exists, and remembers where.
struct StoreSink {
    store: Store,
    written: Mutex<Vec<Written>>,
}

enum Written {
    Generation(PathBuf, Box<GenerationRecord>),
    Evaluation(PathBuf, Box<EvaluationRecord>),
    Failed(String),
}

impl Written {
    fn path(&self) -> Option<PathBuf> {
        match self {
            Written::Generation(p, _) | Written::Evaluation(p, _) => Some(p.clone()),
            Written::Failed(_) => None,
        }
    }
}

impl Sink for StoreSink {
    fn generation(&self, record: &GenerationRecord) {
        crate::server::test_panic("engine");
        let w = match self.store.write_generation(record) {
            Ok(path) => Written::Generation(path, Box::new(record.clone())),
            Err(e) => Written::Failed(format!("cannot write the generation: {e}")),
        };
        lock(&self.written).push(w);
    }

    fn evaluation(&self, record: &EvaluationRecord) {
        let w = match self.store.write_evaluation(record) {
            Ok(path) => Written::Evaluation(path, Box::new(record.clone())),
            Err(e) => Written::Failed(format!("cannot write an evaluation: {e}")),
        };
        lock(&self.written).push(w);
    }
}

fn summarize(args: RunArgs, written: Vec<Written>, cancelled: bool) -> jsonrpc::Result<RunResult> {
    let mut files = Vec::new();
    let mut generation = None;
    let mut evaluations = Vec::new();
    for w in written {
        match w {
            Written::Generation(p, g) => {
                files.push(p);
                generation = Some(g);
            }
            Written::Evaluation(p, e) => {
                files.push(p);
                evaluations.push(e);
            }
            Written::Failed(why) => return Err(refuse(why)),
        }
    }
    let judged: Vec<&EvaluationRecord> = evaluations.iter().map(|e| e.as_ref()).collect();
    let ok = judged.iter().filter(|e| e.status == Status::Ok).count();
    let message = match (&generation, cancelled) {
        (_, true) => format!(
            "cancelled; {} record(s) written before the cancel are kept",
            files.len()
        ),
        (Some(g), _) if g.status != Status::Ok => format!(
            "{} failed on {}: {}",
            args.model,
            args.task,
            g.error.as_deref().unwrap_or("no reason given")
        ),
        _ => format!(
            "{} on {}: {} of {} judge(s) answered; the score is in the code lens and on hover",
            args.model,
            args.task,
            ok,
            judged.len()
        ),
    };
    Ok(RunResult {
        task: args.task,
        model: args.model,
        final_score: None,
        passed: None,
        files,
        message,
    })
}
