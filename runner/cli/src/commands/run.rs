//! `fabula run`: plan the missing work, run it on the engine, store every record the
//! moment it exists, show progress, print the leaderboard.

use super::leaderboard;
use super::session::Session;
use crate::Outcome;
use crate::args::{BoardFormat, RunArgs};
use anyhow::{Context as _, bail};
use fabula_core::model::{EvaluationRecord, GenerationRecord, Status};
use fabula_engine::env::Env;
use fabula_engine::plan::{self, Plan};
use fabula_engine::provider::Tuning;
use fabula_engine::scheduler::Sink;
use fabula_engine::setup;
use fabula_engine::store::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn run(args: &RunArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.work.project)?;
    let (selection, broken) = session.selection(&args.work)?;
    let mut err = std::io::stderr().lock();
    if broken > 0 && !args.quiet {
        writeln!(
            err,
            "warning: {broken} task(s) have errors and are skipped; run `fabula check`"
        )?;
    }
    // One writer per store; taking the lock clears a killed writer's temporary files.
    let _lock = (!args.dry_run).then(|| session.store.lock()).transpose()?;
    let loaded = session.store.load();
    if !loaded.problems.is_empty() && !args.quiet {
        writeln!(
            err,
            "warning: {} file(s) under results/ are not records and are ignored (first: {}: {})",
            loaded.problems.len(),
            loaded.problems[0].0.display(),
            loaded.problems[0].1
        )?;
    }
    let plan = plan::plan(session.current(), &selection, &loaded, &session.store);
    if let Some(first) = plan.unreadable.first() {
        writeln!(
            err,
            "warning: {} generation(s) could not be read in full and are not judged (first: {first})",
            plan.unreadable.len()
        )?;
    }
    let mut out = std::io::stdout().lock();
    if args.dry_run {
        print_plan(&mut out, &plan, &selection, args.json)?;
        return Ok(Outcome::Success);
    }
    if plan.jobs.is_empty() {
        if args.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"event": "done", "generations": 0, "evaluations": 0, "failures": 0})
            )?;
        } else if !args.quiet {
            writeln!(
                out,
                "Nothing to do: {} generations and {} evaluations are up to date.\n",
                plan.done_generations, plan.done_evaluations
            )?;
            drop(out);
            show_board(&session, &selection)?;
        }
        return Ok(Outcome::Success);
    }
    let env = Env::load(&session.root).map_err(anyhow::Error::msg)?;
    let engine = match setup::engine(
        session.config(),
        &env,
        &Tuning::default(),
        &selection.writers,
        &selection.judges,
        session.slop.clone(),
    ) {
        Ok(e) => Arc::new(e),
        Err(errors) => bail!("cannot start the run:\n  {}", errors.join("\n  ")),
    };
    std::fs::create_dir_all(session.store.root())
        .with_context(|| format!("cannot create {}", session.store.root().display()))?;
    let total = plan.total_generations() + plan.total_evaluations();
    let mode = if args.json {
        Mode::Json
    } else if args.quiet {
        Mode::Quiet
    } else if std::io::stderr().is_terminal() {
        Mode::Bar
    } else {
        Mode::Lines
    };
    if mode != Mode::Quiet && mode != Mode::Json {
        writeln!(
            err,
            "Running {} generations and {} evaluations ({} tasks × {} model(s) × {} sample(s), judges: {}).",
            plan.total_generations(),
            plan.total_evaluations(),
            selection.tasks.len(),
            selection.writers.len(),
            selection.samples,
            selection.judges.join(", ")
        )?;
    }
    drop(err);
    drop(out);
    let sink = Arc::new(RunSink::new(
        session.store.clone(),
        total,
        mode,
        args.max_cost,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let stop = Arc::clone(&sink);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.interrupted.store(true, Ordering::SeqCst);
            }
        });
        engine.run(plan.jobs, sink.clone()).await;
    });
    sink.finish();
    let failures = sink.failures.load(Ordering::SeqCst);
    let write_errors = sink.write_errors.load(Ordering::SeqCst);
    let mut out = std::io::stdout().lock();
    if mode == Mode::Json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "event": "done",
                "generations": sink.generations.load(Ordering::SeqCst),
                "evaluations": sink.evaluations.load(Ordering::SeqCst),
                "failures": failures,
                "write_errors": write_errors,
                "cost_usd": sink.spent(),
                "stopped": sink.stopped(),
            })
        )?;
    } else if mode != Mode::Quiet {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "Done in {:.1}s: {} generations, {} evaluations, {} failed, ${:.4} spent{}.",
            sink.started.elapsed().as_secs_f64(),
            sink.generations.load(Ordering::SeqCst),
            sink.evaluations.load(Ordering::SeqCst),
            failures,
            sink.spent(),
            if sink.stopped() {
                "; stopped early (budget or interrupt): run again to continue"
            } else {
                ""
            }
        )?;
        if failures > 0 {
            writeln!(
                err,
                "Failed records are kept under results/ with their reasons; `fabula clean-failed` lets the next run retry them."
            )?;
        }
        drop(err);
        writeln!(out)?;
        drop(out);
        show_board(&session, &selection)?;
    }
    if write_errors > 0 {
        bail!("{write_errors} record(s) could not be written to results/");
    }
    Ok(if failures > 0 {
        Outcome::Findings
    } else {
        Outcome::Success
    })
}

/// The leaderboard of the run's models and judges, as a table.
fn show_board(session: &Session, selection: &plan::Selection) -> anyhow::Result<()> {
    leaderboard::print(
        session,
        &selection.writers,
        &selection.judges,
        BoardFormat::Table,
        None,
    )?;
    Ok(())
}

fn print_plan(
    out: &mut impl Write,
    plan: &Plan,
    selection: &plan::Selection,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "generations": plan.generations,
                "evaluations": plan.evaluations,
                "calls": plan.calls,
                "estimated_cost_usd": plan.estimated_cost,
                "done_generations": plan.done_generations,
                "done_evaluations": plan.done_evaluations,
            })
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "Plan: {} generations, {} evaluations ({} tasks × {} model(s) × {} sample(s); {} generations and {} evaluations already done).",
        plan.total_generations(),
        plan.total_evaluations(),
        selection.tasks.len(),
        selection.writers.len(),
        selection.samples,
        plan.done_generations,
        plan.done_evaluations
    )?;
    if !plan.generations.is_empty() {
        writeln!(out, "\nGenerations per model:")?;
        for (m, n) in &plan.generations {
            writeln!(out, "  {m:<28} {n:>6}")?;
        }
    }
    if !plan.evaluations.is_empty() {
        writeln!(out, "\nEvaluations per judge:")?;
        for (j, n) in &plan.evaluations {
            writeln!(out, "  {j:<28} {n:>6}")?;
        }
    }
    if !plan.calls.is_empty() {
        writeln!(
            out,
            "\nModel calls per role (agentic tasks at their maximum):"
        )?;
        for (role, n) in &plan.calls {
            writeln!(out, "  {role:<28} {n:>6}")?;
        }
    }
    writeln!(
        out,
        "\nEstimated cost: ${:.2} (from config prices; unpriced models count as $0).",
        plan.estimated_cost
    )?;
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Bar,
    Lines,
    Json,
    Quiet,
}

/// Writes records to the store and reports progress.
struct RunSink {
    store: Store,
    mode: Mode,
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    generations: AtomicUsize,
    evaluations: AtomicUsize,
    failures: AtomicUsize,
    write_errors: AtomicUsize,
    spent_micros: AtomicUsize,
    max_cost: Option<f64>,
    interrupted: AtomicBool,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl RunSink {
    fn new(store: Store, total: usize, mode: Mode, max_cost: Option<f64>) -> RunSink {
        let bar = (mode == Mode::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        RunSink {
            store,
            mode,
            bar,
            total,
            done: AtomicUsize::new(0),
            generations: AtomicUsize::new(0),
            evaluations: AtomicUsize::new(0),
            failures: AtomicUsize::new(0),
            write_errors: AtomicUsize::new(0),
            spent_micros: AtomicUsize::new(0),
            max_cost,
            interrupted: AtomicBool::new(false),
            started: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }

    fn spent(&self) -> f64 {
        self.spent_micros.load(Ordering::SeqCst) as f64 / 1e6
    }

    fn stopped(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst) || self.over_budget()
    }

    fn over_budget(&self) -> bool {
        self.max_cost.is_some_and(|max| self.spent() >= max)
    }

    fn add_cost(&self, cost: Option<f64>) {
        if let Some(c) = cost {
            self.spent_micros
                .fetch_add((c * 1e6).round().max(0.0) as usize, Ordering::SeqCst);
        }
    }

    fn progress(&self, event: serde_json::Value, ok: bool) {
        if !ok {
            self.failures.fetch_add(1, Ordering::SeqCst);
        }
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let failures = self.failures.load(Ordering::SeqCst);
        match self.mode {
            Mode::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done as u64);
                    bar.set_message(format!("${:.4} spent, {failures} failed", self.spent()));
                }
            }
            Mode::Lines => {
                let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
                if done == self.total || last.elapsed() >= Duration::from_secs(2) {
                    *last = Instant::now();
                    let elapsed = self.started.elapsed().as_secs_f64();
                    let rate = done as f64 / elapsed.max(1e-3);
                    let eta = (self.total - done.min(self.total)) as f64 / rate.max(1e-9);
                    let _ = writeln!(
                        std::io::stderr(),
                        "[{done}/{}] {rate:.1}/s, ETA {eta:.0}s, ${:.4} spent, {failures} failed",
                        self.total,
                        self.spent()
                    );
                }
            }
            Mode::Json => {
                let _ = writeln!(std::io::stdout(), "{event}");
            }
            Mode::Quiet => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn report_write_error(&self, what: &str, e: &std::io::Error) {
        self.write_errors.fetch_add(1, Ordering::SeqCst);
        let _ = writeln!(std::io::stderr(), "error: cannot write {what}: {e}");
    }
}

impl Sink for RunSink {
    fn generation(&self, r: &GenerationRecord) {
        self.generations.fetch_add(1, Ordering::SeqCst);
        self.add_cost(r.cost_usd);
        let path = match self.store.write_generation(r) {
            Ok(p) => p.display().to_string(),
            Err(e) => {
                self.report_write_error(
                    &format!("the generation of {} by {}", r.task, r.model),
                    &e,
                );
                String::new()
            }
        };
        self.progress(
            serde_json::json!({
                "event": "generation", "task": r.task, "model": r.model, "sample": r.sample,
                "status": r.status, "error": r.error, "path": path, "cost_usd": r.cost_usd,
            }),
            r.status == Status::Ok,
        );
    }

    fn evaluation(&self, r: &EvaluationRecord) {
        self.evaluations.fetch_add(1, Ordering::SeqCst);
        self.add_cost(r.cost_usd);
        let path = match self.store.write_evaluation(r) {
            Ok(p) => p.display().to_string(),
            Err(e) => {
                self.report_write_error(
                    &format!("{}'s evaluation of {} by {}", r.judge, r.task, r.model),
                    &e,
                );
                String::new()
            }
        };
        self.progress(
            serde_json::json!({
                "event": "evaluation", "task": r.task, "model": r.model, "sample": r.sample,
                "judge": r.judge, "status": r.status, "error": r.error, "path": path,
                "cost_usd": r.cost_usd,
            }),
            r.status == Status::Ok,
        );
    }

    fn keep_going(&self) -> bool {
        !self.stopped()
    }
}
