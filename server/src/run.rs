//! Running one task from the editor: through the same engine, recorder and store as
//! `fabula run`, holding the store's write lock, with work-done progress, cancellation
//! (the progress's cancel button, or cancelling the request), and a clear answer when a
//! key is missing, the store is busy or the workspace is not trusted.
//!
//! A run re-runs the model's latest sample of the task (sample 0 the first time): the
//! records it replaces move to their folder's `history/`, kept and never counted, so a
//! task run once more from the editor does not weigh double. A re-judge runs the judges
//! again on that generation, superseding their old evaluations the same way.

use crate::db;
use crate::ls::Ls;
use crate::protocol::{RunArgs, RunResult};
use fabula_core::diagnostic::Severity;
use fabula_core::model::{Config, Status};
use fabula_engine::env::Env;
use fabula_engine::provider::Tuning;
use fabula_engine::recorder::{self, Collect, Reporter, Stored, Tally};
use fabula_engine::scheduler::{Control, Event};
use fabula_engine::store::Store;
use fabula_eval::fingerprint::Current;
use fabula_eval::plan;
use fabula_eval::prepared::{self, PreparedTask};
use std::path::PathBuf;
use std::sync::Arc;
use tower_lsp_server::jsonrpc;
use tower_lsp_server::ls_types::MessageType;

/// What a run needs from the workspace, read on a snapshot.
struct Prepared {
    config: Config,
    task: Arc<PreparedTask>,
    slop: Vec<String>,
    /// The sample to run: the model's latest with today's fingerprint, else 0.
    sample: u32,
    /// The model's latest generation's file, and its evaluations' files.
    latest: Option<PathBuf>,
    latest_evaluations: Vec<PathBuf>,
    /// Today's records of `sample` (generation and evaluations): what a run replaces.
    replaced: Vec<PathBuf>,
}

pub(crate) fn refuse(message: impl Into<String>) -> jsonrpc::Error {
    jsonrpc::Error {
        code: jsonrpc::ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

/// The project folder, or a refusal saying none is open.
pub(crate) fn project_root(ls: &Ls) -> jsonrpc::Result<std::path::PathBuf> {
    ls.state
        .root()
        .ok_or_else(|| refuse("no project folder is open (a folder with fabula.yaml)"))
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
    let root = project_root(ls)?;
    let env = Env::load(&root).map_err(|e| refuse(e.to_string()))?;
    let task_id = args.task.clone();
    let model = args.model.clone();
    let judges = args.judges.clone();
    let dialect_env = env.clone();
    let (prepared, job) = ls
        .state
        .compute(move |snap| {
            let prepared = prepare(snap, &task_id, &model, &dialect_env)?;
            let judges = judges
                .clone()
                .unwrap_or_else(|| prepared.config.judges.clone());
            let dialects = fabula_engine::setup::dialects(&prepared.config, &dialect_env);
            let current = Current::new(&prepared.config, &prepared.slop, &dialects);
            let job = plan::job(&current, &prepared.task, &model, prepared.sample, &judges)
                .ok_or_else(|| refuse(format!("no model `{model}` in fabula.yaml")))?;
            Ok::<_, jsonrpc::Error>((prepared, job))
        })
        .await??;
    let engine = fabula_engine::setup::engine(
        &prepared.config,
        &env,
        &Tuning::default(),
        std::slice::from_ref(&args.model),
        &job.judges,
        prepared.slop.clone(),
    )
    .map_err(|errors| {
        refuse(format!(
            "{} (keys come from the environment or {})",
            errors.joined("; "),
            root.join(".env").display()
        ))
    })?;
    let store = Store::new(root.join("results"));
    // One writer per store: a `fabula run` on this project, or another editor run.
    let _lock = store.lock().map_err(|e| refuse(e.to_string()))?;
    let mut job = job;
    let replaced = if rejudge {
        let Some(path) = prepared.latest.clone() else {
            return Err(refuse(format!(
                "{} has no result for {} to re-judge; run it first",
                args.model, args.task
            )));
        };
        let g = store
            .read_generation(&path)
            .map_err(|e| refuse(format!("cannot read {}: {e}", path.display())))?;
        job.sample = g.sample;
        job.existing = Some(path);
        prepared.latest_evaluations.clone()
    } else {
        prepared.replaced.clone()
    };
    let sample = job.sample;

    let registered = ls
        .runs
        .register(&args.task, &args.model, session.work_done_progress);
    let (token, cancel) = (registered.token.clone(), registered.cancel.clone());
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
    // What this run replaces becomes history before the new records are written.
    let stamp = fabula_engine::scheduler::now();
    let superseded = store
        .supersede(&replaced, &stamp)
        .map_err(|e| refuse(format!("cannot move the old results aside: {e}")))?;
    let collect = Collect::default();
    let control = Arc::new(Control::default());
    let (events, recorder) = recorder::start(
        Some(store.clone()),
        Arc::clone(&control),
        vec![Box::new(collect.clone()), Box::new(PanicHook)],
    );
    let engine = Arc::new(engine);
    let cancelled = tokio::select! {
        () = engine.run(vec![job], Some(store), events, Arc::clone(&control)) => false,
        () = cancel.notified() => {
            control.abort();
            true
        }
    };
    let (tally, _) = tokio::task::spawn_blocking(move || recorder.finish())
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    drop(registered);
    if let Some(p) = progress {
        p.finish_with_message(if cancelled { "cancelled" } else { "done" })
            .await;
    }
    notify_runs(ls).await;
    // The watcher would see these records too, a moment later; the score below must
    // include them now.
    let mut paths: Vec<PathBuf> = collect.paths();
    paths.extend(superseded);
    paths.extend(replaced);
    crate::results::changed(ls, paths).await;
    let mut result = summarize(args, &collect, &tally, cancelled)?;
    let (task, model) = (result.task.clone(), result.model.clone());
    let score = ls
        .state
        .compute(move |snap| {
            let ws = &db::workspace(&snap.db, snap.project).ws;
            let doc = ws.tasks_with_id(&task).next()?;
            let file = snap.file(&doc.path)?;
            let scores = db::scores(&snap.db, snap.project, file).0.clone();
            let s = scores.iter().find(|s| s.model == model)?;
            Some((s.final_score, s.pass))
        })
        .await;
    if let Ok(Some((final_score, passed))) = score {
        result.final_score = final_score;
        result.passed = passed;
        if let Some(f) = final_score {
            result.message = format!("{} scored {f:.1} on {}", result.model, result.task);
        }
    }
    Ok(result)
}

/// The test-only hook that panics inside an editor run, on the recorder's thread
/// ([`crate::panic::test_panic`]): the panic must reach the request's boundary.
struct PanicHook;

impl Reporter for PanicHook {
    fn on(&mut self, event: &Event, _stored: &Stored, _tally: &Tally) {
        if matches!(event, Event::Generation(_)) {
            crate::panic::test_panic("engine");
        }
    }
}

fn prepare(
    snap: &crate::state::Snapshot,
    task_id: &str,
    model: &str,
    env: &Env,
) -> jsonrpc::Result<Prepared> {
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
    let task = prepared::prepare(ws, config, doc)
        .ok_or_else(|| refuse(format!("task `{task_id}` cannot be prepared (its theory?)")))?;
    let slop = fabula_engine::project::slop(ws);
    let dialects = fabula_engine::setup::dialects(config, env);
    let current = Current::new(config, &slop, &dialects);
    let today = current.generation(&task, model);
    let results = snap.project.results(&snap.db).0.clone();
    let records = results.by_task.get(task_id);
    let todays = || {
        records
            .into_iter()
            .flat_map(|r| &r.generations)
            .filter(|(_, g)| g.model == model && Some(&g.fingerprint) == today.as_ref())
    };
    let sample = todays().map(|(_, g)| g.sample).max().unwrap_or(0);
    let mut replaced: Vec<PathBuf> = todays()
        .filter(|(_, g)| g.sample == sample)
        .map(|(p, _)| p.clone())
        .collect();
    replaced.extend(
        records
            .into_iter()
            .flat_map(|r| &r.evaluations)
            .filter(|(_, e)| {
                e.model == model
                    && e.sample == sample
                    && Some(&e.generation_fingerprint) == today.as_ref()
            })
            .map(|(p, _)| p.clone()),
    );
    let latest_score = db::scores(&snap.db, snap.project, file)
        .0
        .iter()
        .find(|s| s.model == model)
        .cloned();
    let latest = latest_score.as_ref().and_then(|s| s.files.first().cloned());
    let latest_evaluations = latest_score
        .map(|s| s.files.into_iter().skip(1).collect())
        .unwrap_or_default();
    Ok(Prepared {
        config: config.clone(),
        task: Arc::new(task),
        slop,
        sample,
        latest,
        latest_evaluations,
        replaced,
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

fn summarize(
    args: RunArgs,
    collect: &Collect,
    tally: &Tally,
    cancelled: bool,
) -> jsonrpc::Result<RunResult> {
    if let Some(why) = &tally.first_write_error {
        return Err(refuse(why.clone()));
    }
    if let Some(why) = &tally.refused {
        return Err(refuse(why.clone()));
    }
    let files = collect.paths();
    let generation = collect.generations().into_iter().last();
    let judged = collect.evaluations();
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
