//! The run itself: the engine, the recorder that persists every record off the async
//! workers, the reporters that follow it, the budget, and the signals that stop it.

use super::prepare::Prepared;
use super::report::{self, Done, Mode};
use crate::args::RunArgs;
use crate::error::{self, CliError};
use fabula_engine::batch::{self, Batches};
use fabula_engine::budget::{self, Budget};
use fabula_engine::provider;
use fabula_engine::provider::Tuning;
use fabula_engine::recorder::{self, Reporter};
use fabula_engine::scheduler::{Control, StopReason};
use fabula_engine::setup;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn execute(p: &Prepared, args: &RunArgs) -> anyhow::Result<Done> {
    let session = &p.session;
    if let Some(e) = &session.env_error {
        return Err(CliError::Usage(format!("cannot read the keys: {e}")).into());
    }
    let mut engine = setup::engine(
        session.config(),
        &session.env,
        &Tuning::default(),
        &p.selection.writers,
        &p.selection.judges,
        session.slop.clone(),
    )
    .map_err(|errors| {
        CliError::Usage(format!(
            "cannot start the run:\n  {}",
            errors.joined("\n  ")
        ))
    })?;
    // The models this plan calls: its writers and judges, and a helper only when a task
    // of the plan talks to it.
    let mut names: Vec<String> = p.selection.writers.clone();
    names.extend(p.selection.judges.iter().cloned());
    for job in &p.plan.jobs {
        let helper = match fabula_core::kind::of(job.task.task.task_type()).helper() {
            Some(fabula_core::kind::Party::Oracle) => session.config().oracle.clone(),
            Some(fabula_core::kind::Party::Critic) => session.config().critic.clone(),
            _ => None,
        };
        names.extend(helper);
    }
    names.sort();
    names.dedup();
    if !matches!(mode_of(args), Mode::Json | Mode::Quiet) {
        for warning in provider::review(session.config(), &session.env, &names).warnings {
            writeln!(std::io::stderr(), "warning: {warning}")?;
        }
    }
    let budget = match args.max_cost {
        None => None,
        Some(cap) => {
            let unpriced = budget::unpriced(session.config(), &names);
            if !unpriced.is_empty() && !args.allow_unpriced {
                return Err(CliError::Usage(format!(
                    "--max-cost needs a price for every model, and {} have none: add `price` to them in fabula.yaml, or pass --allow-unpriced (their cost then counts only after the fact)",
                    unpriced.join(", ")
                ))
                .into());
            }
            let mut b = Budget::new(cap).map_err(|e| CliError::Usage(e.to_string()))?;
            if args.allow_unpriced {
                b = b.allowing_unpriced();
            }
            let b = Arc::new(b);
            engine.models = std::mem::take(&mut engine.models)
                .into_iter()
                .map(|(n, m)| (n, m.with_budget(Arc::clone(&b))))
                .collect();
            Some(b)
        }
    };
    preflight(session.store.root())?;
    let mode = mode_of(args);
    if matches!(mode, Mode::Bar | Mode::Lines) {
        writeln!(std::io::stderr(), "{}", report::running(p))?;
    }
    let batches = if args.batch {
        let b = Arc::new(batches(p, args, &engine, &names, mode)?);
        engine.batches = Some(Arc::clone(&b));
        Some(b)
    } else {
        None
    };
    let engine = Arc::new(engine);
    let control = Arc::new(Control::default());
    let planned = p.plan.total_generations() + p.plan.total_evaluations();
    let mut reporters: Vec<Box<dyn Reporter>> = vec![report::progress(mode, planned)];
    if let Some(b) = &batches {
        reporters.push(Box::new(recorder::BatchFiles(Arc::clone(b))));
    }
    let (events, recorder) =
        recorder::start(Some(session.store.clone()), Arc::clone(&control), reporters);
    let runtime = crate::commands::runtime()?;
    let started = Instant::now();
    let jobs = p.plan.jobs.clone();
    runtime.block_on(async {
        let signals = tokio::spawn(watch_signals(Arc::clone(&control), args.grace, mode));
        engine
            .run(
                jobs,
                Some(session.store.clone()),
                events,
                Arc::clone(&control),
            )
            .await;
        signals.abort();
    });
    // Calls cancelled by an abort may still be winding down in the runtime: do not wait.
    runtime.shutdown_background();
    let (tally, _) = recorder.finish();
    Ok(Done {
        tally,
        stopped: control.reason(),
        elapsed: started.elapsed(),
        mode,
        budget,
        kept: batches.map(|b| b.kept()).unwrap_or_default(),
    })
}

/// `--batch`: the run's batches (with the batch files earlier runs left), after saying
/// what will not go in a batch and why.
fn batches(
    p: &Prepared,
    args: &RunArgs,
    engine: &fabula_engine::scheduler::Engine,
    names: &[String],
    mode: Mode,
) -> anyhow::Result<Batches> {
    let session = &p.session;
    let mut providers: Vec<(String, Arc<dyn fabula_engine::provider::Provider>)> = Vec::new();
    let mut interactive: Vec<String> = Vec::new();
    for name in names {
        let Some(m) = engine.models.get(name) else {
            continue;
        };
        if m.provider.batch().is_none() {
            let dialect = setup::dialects(session.config(), &session.env)
                .get(&m.config.provider)
                .cloned()
                .unwrap_or_default();
            interactive.push(format!(
                "{name} (provider `{}`, {dialect})",
                m.config.provider
            ));
        }
        if !providers.iter().any(|(p, _)| *p == m.config.provider) {
            providers.push((m.config.provider.clone(), Arc::clone(&m.provider)));
        }
    }
    let conversations = p
        .plan
        .jobs
        .iter()
        .filter(|j| {
            j.existing.is_none() && {
                let task = &j.task.task;
                !fabula_core::kind::of(task.task_type()).calls(task).single()
            }
        })
        .count();
    if matches!(mode, Mode::Bar | Mode::Lines) {
        let mut err = std::io::stderr().lock();
        if !interactive.is_empty() {
            let (who, verb) = if interactive.len() == 1 {
                ("this model has", "runs")
            } else {
                ("these models have", "run")
            };
            writeln!(
                err,
                "note: --batch: {who} no batch API and {verb} interactively at the full price: {}.",
                interactive.join(", ")
            )?;
        }
        if conversations > 0 {
            writeln!(
                err,
                "note: --batch: generations of agentic and multi-turn tasks run interactively (a conversation cannot go in a batch): {conversations}."
            )?;
        }
    }
    let policy = batch::Policy {
        poll_floor: Duration::from_secs_f64(args.batch_poll),
        poll_ceiling: Duration::from_secs_f64(args.batch_poll_max.max(args.batch_poll)),
        ..batch::Policy::default()
    };
    let sink: batch::ProgressSink = match mode {
        Mode::Bar | Mode::Lines => Arc::new(|p: &batch::Progress| {
            let _ = writeln!(std::io::stderr(), "{p}");
        }),
        Mode::Json => Arc::new(|p: &batch::Progress| {
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({ "event": "batch", "message": p.to_string() })
            );
        }),
        Mode::Quiet => Arc::new(|p: &batch::Progress| {
            if let batch::Progress::Problem { .. } = p {
                let _ = writeln!(std::io::stderr(), "{p}");
            }
        }),
    };
    let batches = Batches::new(&session.store, &providers, policy, sink)
        .map_err(|e| error::store(e.to_string()))?;
    if matches!(mode, Mode::Bar | Mode::Lines) {
        for (path, f) in batches.foreign() {
            writeln!(
                std::io::stderr(),
                "note: {} (batch {} of provider `{}`) is for a provider this run does not use: left as it is.",
                path.display(),
                f.batch,
                f.provider
            )?;
        }
    }
    Ok(batches)
}

/// Proves `results/` can take a record before any call is paid for: create the folder,
/// write, fsync and remove a probe.
fn preflight(root: &std::path::Path) -> anyhow::Result<()> {
    let probe = root.join(format!(".tmp-probe-{}", std::process::id()));
    let attempt = || -> std::io::Result<()> {
        std::fs::create_dir_all(root)?;
        let mut f = std::fs::File::create(&probe)?;
        f.write_all(&[b' '; 4096])?;
        f.sync_all()?;
        drop(f);
        std::fs::remove_file(&probe)
    };
    attempt().map_err(|e| {
        let _ = std::fs::remove_file(&probe);
        error::store(format!(
            "cannot write to {}: {e}; nothing was run (fix the folder's permissions or free space, then run again)",
            root.display()
        ))
    })
}

fn mode_of(args: &RunArgs) -> Mode {
    if args.json {
        Mode::Json
    } else if args.quiet {
        Mode::Quiet
    } else if std::io::stderr().is_terminal() {
        Mode::Bar
    } else {
        Mode::Lines
    }
}

/// First Ctrl-C or SIGTERM: stop scheduling, let calls in flight finish for `grace`
/// seconds, then cancel them. A second one cancels at once.
async fn watch_signals(control: Arc<Control>, grace: u64, mode: Mode) {
    let mut signals = Signals::new();
    if !signals.next().await {
        return;
    }
    control.stop(StopReason::Interrupted);
    if mode != Mode::Json {
        let _ = writeln!(
            std::io::stderr(),
            "\nStopping: no new work; calls in flight may finish for up to {grace}s. Ctrl-C again cancels them."
        );
    }
    let timer = {
        let control = Arc::clone(&control);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(grace)).await;
            control.abort();
        })
    };
    if signals.next().await {
        if mode != Mode::Json {
            let _ = writeln!(std::io::stderr(), "Cancelling the calls in flight.");
        }
        control.abort();
    }
    timer.await.ok();
}

/// Ctrl-C and, on Unix, SIGTERM (what CI systems send), registered once.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// Waits for the next signal; false when none can be watched.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        if let Some(term) = &mut self.term {
            return tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                r = term.recv() => r.is_some(),
            };
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}
