//! What `fabula run` says: the plan (dry run), what it is about to do, progress while it
//! runs (a bar, lines for logs, or JSON events), and the summary with the exit code.
//! Every count says what will really run and what really happened.

use super::prepare::Prepared;
use crate::Outcome;
use crate::args::{BoardFormat, RunArgs};
use crate::render::plural;
use fabula_core::model::FailureKind;
use fabula_engine::batch::Kept;
use fabula_engine::budget::Budget;
use fabula_engine::recorder::{Reporter, Stored, Tally};
use fabula_engine::scheduler::{Event, Skip, StopReason};
use fabula_eval::plan::Failures;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a finished (or stopped) run did.
pub struct Done {
    pub tally: Tally,
    pub stopped: Option<StopReason>,
    pub elapsed: Duration,
    pub mode: Mode,
    /// The run's spending cap, when it had one.
    pub budget: Option<Arc<Budget>>,
    /// Batch files left under `results/.batches/` (`--batch`).
    pub kept: Vec<Kept>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Bar,
    Lines,
    Json,
    Quiet,
}

/// "Running 3 generations and 9 evaluations (2 tasks × 1 model × 1 sample; judges: …)."
pub fn running(p: &Prepared) -> String {
    let plan = &p.plan;
    format!(
        "Running {} and {} ({} × {} × {}; judges: {}).",
        plural(plan.total_generations(), "generation"),
        plural(plan.total_evaluations(), "evaluation"),
        plural(plan.tasks, "task"),
        plural(plan.writers, "model"),
        plural(p.selection.samples as usize, "sample"),
        p.selection.judges.join(", ")
    )
}

/// The progress reporter of a mode.
pub fn progress(mode: Mode, planned: usize) -> Box<dyn Reporter> {
    Box::new(Progress::new(mode, planned))
}

struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
    planned: usize,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(mode: Mode, planned: usize) -> Progress {
        let bar = (mode == Mode::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(planned as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            mode,
            bar,
            planned,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }
}

impl Reporter for Progress {
    fn on(&mut self, event: &Event, stored: &Stored, tally: &Tally) {
        // Skipped work leaves the total: the bar ends at its end.
        let total = self
            .planned
            .saturating_sub(tally.skipped_generations + tally.skipped_evaluations);
        let done = tally.done();
        match self.mode {
            Mode::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                    bar.set_message(format!(
                        "${:.4} spent, {} failed",
                        tally.spent_usd,
                        tally.failed()
                    ));
                }
            }
            Mode::Lines => {
                if done >= total || self.last_line.elapsed() >= Duration::from_secs(2) {
                    self.last_line = Instant::now();
                    let elapsed = self.started.elapsed().as_secs_f64();
                    let rate = done as f64 / elapsed.max(1e-3);
                    let eta = total.saturating_sub(done) as f64 / rate.max(1e-9);
                    let _ = writeln!(
                        std::io::stderr(),
                        "[{done}/{total}] {rate:.1}/s, ETA {eta:.0}s, ${:.4} spent, {} failed",
                        tally.spent_usd,
                        tally.failed()
                    );
                }
            }
            Mode::Json => {
                let _ = writeln!(std::io::stdout(), "{}", json_event(event, stored));
            }
            Mode::Quiet => {}
        }
    }

    fn finish(&mut self, _tally: &Tally) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn json_event(event: &Event, stored: &Stored) -> serde_json::Value {
    let path = match stored {
        Stored::At(p) => serde_json::json!(p.display().to_string()),
        _ => serde_json::Value::Null,
    };
    let write_error = match stored {
        Stored::NotWritten(why) => serde_json::json!(why),
        _ => serde_json::Value::Null,
    };
    match event {
        Event::Generation(r) => serde_json::json!({
            "event": "generation", "task": r.task, "model": r.model, "sample": r.sample,
            "status": r.status, "failure": r.failure, "error": r.error, "path": path,
            "write_error": write_error, "cost_usd": r.cost_usd,
        }),
        Event::Evaluation(r) => serde_json::json!({
            "event": "evaluation", "task": r.task, "model": r.model, "sample": r.sample,
            "judge": r.judge, "status": r.status, "failure": r.failure, "error": r.error,
            "path": path, "write_error": write_error, "cost_usd": r.cost_usd,
        }),
        Event::Pairwise(r) => serde_json::json!({
            "event": "pairwise", "task": r.task, "sample": r.sample, "judge": r.judge,
            "first": r.first.model, "second": r.second.model, "status": r.status,
            "failure": r.failure, "error": r.error, "path": path, "write_error": write_error,
            "cost_usd": r.cost_usd,
        }),
        Event::Skipped {
            generations,
            evaluations,
            why,
        } => serde_json::json!({
            "event": "skipped", "generations": generations, "evaluations": evaluations,
            "why": match why {
                Skip::GenerationFailed => "generation failed".to_string(),
                Skip::Refused(w) => format!("refused: {w}"),
                Skip::Stopped => "stopped".to_string(),
                Skip::Unreadable(w) => format!("unreadable: {w}"),
                Skip::Deferred(w) => format!("deferred: {w}"),
            },
        }),
    }
}

/// `--dry-run`: the plan, with calls per role, the estimated cost and stored failures.
pub fn plan(p: &Prepared, json: bool) -> anyhow::Result<()> {
    let plan = &p.plan;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "generations": plan.generations,
                "evaluations": plan.evaluations,
                "calls": plan.calls,
                "estimated_cost_usd": plan.estimated_cost,
                "estimated_batch_cost_usd": plan.estimated_batch_cost,
                "done_generations": plan.done_generations,
                "done_evaluations": plan.done_evaluations,
                "failed": failures_json(&plan.failed),
                "retried": plan.retried,
                "skipped_task_files": p.skipped.iter().map(|i| &i.path).collect::<Vec<_>>(),
            })
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "Plan: {} and {} ({} × {} × {}); {} and {} already done.",
        plural(plan.total_generations(), "generation"),
        plural(plan.total_evaluations(), "evaluation"),
        plural(plan.tasks, "task"),
        plural(plan.writers, "model"),
        plural(p.selection.samples as usize, "sample"),
        plural(plan.done_generations, "generation"),
        plural(plan.done_evaluations, "evaluation"),
    )?;
    if plan.retried > 0 {
        writeln!(out, "Of these, {} retry stored failures.", plan.retried)?;
    }
    failures_text(&mut out, &plan.failed)?;
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
    writeln!(
        out,
        "With --batch: ${:.2} (single requests of OpenAI and Anthropic models in provider batches at {:.0}% of the price; the rest interactively).",
        plan.estimated_batch_cost,
        fabula_core::model::BATCH_PRICE_FACTOR * 100.0
    )?;
    Ok(())
}

fn failures_json(f: &Failures) -> serde_json::Value {
    let by = |m: &BTreeMap<FailureKind, usize>| -> BTreeMap<&str, usize> {
        m.iter().map(|(k, n)| (k.as_str(), *n)).collect()
    };
    serde_json::json!({
        "generations": by(&f.generations),
        "evaluations": by(&f.evaluations),
        "examples": f.examples.iter().map(|(k, e)| (k.as_str(), e)).collect::<BTreeMap<_, _>>(),
    })
}

/// Stored failures a plan leaves as they are, by kind, and how to retry them.
fn failures_text(out: &mut impl Write, f: &Failures) -> std::io::Result<()> {
    if f.total() == 0 {
        return Ok(());
    }
    let kinds = |m: &BTreeMap<FailureKind, usize>| -> String {
        m.iter()
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let g: usize = f.generations.values().sum();
    let e: usize = f.evaluations.values().sum();
    write!(out, "Stored failures, not retried:")?;
    if g > 0 {
        write!(
            out,
            " {} ({})",
            plural(g, "generation"),
            kinds(&f.generations)
        )?;
    }
    if e > 0 {
        write!(
            out,
            "{} {} ({})",
            if g > 0 { ";" } else { "" },
            plural(e, "evaluation"),
            kinds(&f.evaluations)
        )?;
    }
    writeln!(out, ".")?;
    if let Some((kind, example)) = f.examples.iter().next() {
        writeln!(
            out,
            "  e.g. {}: {}",
            kind.as_str(),
            fabula_core::text::excerpt(example, 200)
        )?;
    }
    writeln!(
        out,
        "  `fabula run --retry-failed` runs them again; `fabula clean-failed` deletes them."
    )
}

/// Nothing to run: say so, with the stored failures if there are any (then exit 1).
pub fn nothing_to_do(p: &Prepared, args: &RunArgs) -> anyhow::Result<Outcome> {
    let plan = &p.plan;
    let failed = plan.failed.total();
    let outcome = if failed > 0 || !p.skipped.is_empty() {
        Outcome::Findings
    } else {
        Outcome::Success
    };
    if args.json {
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::json!({
                "event": "done", "generations": 0, "evaluations": 0, "failures": 0,
                "stored_failures": failed, "exit_code": outcome.code(),
            })
        )?;
        return Ok(outcome);
    }
    if args.quiet {
        if failed > 0 {
            failures_text(&mut std::io::stderr().lock(), &plan.failed)?;
        }
        return Ok(outcome);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Nothing to run: {} and {} are done.",
        plural(plan.done_generations, "generation"),
        plural(plan.done_evaluations, "evaluation")
    )?;
    failures_text(&mut out, &plan.failed)?;
    writeln!(out)?;
    drop(out);
    board(p)?;
    Ok(outcome)
}

/// The end of a run: summary, leaderboard, exit code.
pub fn finished(p: &Prepared, done: &Done) -> anyhow::Result<Outcome> {
    let t = &done.tally;
    let planned = p.plan.total_generations() + p.plan.total_evaluations();
    let skipped = t.skipped_generations + t.skipped_evaluations;
    let undone = t.undone(planned);
    let outcome = if t.write_errors > 0 {
        Outcome::StoreError
    } else if done.stopped.is_some()
        || t.failed() > 0
        || undone > 0
        || p.plan.failed.total() > 0
        || !p.skipped.is_empty()
    {
        Outcome::Findings
    } else {
        Outcome::Success
    };
    if done.mode == Mode::Json {
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::json!({
                "event": "done",
                "generations": t.generations,
                "evaluations": t.evaluations,
                "failures": t.failed(),
                "failures_by_kind": t.failures.iter().map(|(k, n)| (k.as_str(), n)).collect::<BTreeMap<_, _>>(),
                "skipped": skipped,
                "write_errors": t.write_errors,
                "cost_usd": t.spent_usd,
                "budget": done.budget.as_ref().map(|b| serde_json::json!({
                    "cap_usd": b.cap().as_f64(), "spent_usd": b.spent().as_f64(),
                    "refused_calls": b.refused(),
                })),
                "stopped": done.stopped.as_ref().map(ToString::to_string),
                "stored_failures": p.plan.failed.total(),
                "deferred": t.deferred,
                "batch_files": done.kept.iter().map(|k| k.path.display().to_string()).collect::<Vec<_>>(),
                "exit_code": outcome.code(),
            })
        )?;
        return Ok(outcome);
    }
    let mut err = std::io::stderr().lock();
    if done.mode != Mode::Quiet || outcome != Outcome::Success {
        writeln!(
            err,
            "Done in {:.1}s: {}, {}, {} failed, ${:.4} spent.",
            done.elapsed.as_secs_f64(),
            plural(t.generations, "generation"),
            plural(t.evaluations, "evaluation"),
            t.failed(),
            t.spent_usd,
        )?;
    }
    if let Some(b) = &done.budget {
        writeln!(
            err,
            "Budget: ${:.4} of ${:.4} spent; {} refused for lack of budget.",
            b.spent().as_f64(),
            b.cap().as_f64(),
            plural(b.refused() as usize, "call")
        )?;
    }
    if let Some(reason) = &done.stopped {
        writeln!(
            err,
            "Stopped early: {reason}. {undone} of the planned generations and evaluations were not made; run again to continue."
        )?;
    }
    if let Some(why) = &t.refused {
        writeln!(err, "Refused: {why}")?;
        if done.stopped.is_none() && undone > 0 {
            writeln!(
                err,
                "{undone} of the planned generations and evaluations were not made; run again once that is fixed."
            )?;
        }
    }
    if let Some(why) = &t.deferred_why {
        writeln!(
            err,
            "Left in provider batches: {} of the planned generations and evaluations ({why}). Run `fabula run --batch` again to collect them.",
            t.deferred
        )?;
    }
    if !done.kept.is_empty() {
        writeln!(
            err,
            "Batch files kept under results/.batches/ for the next `fabula run --batch`:"
        )?;
        for k in &done.kept {
            let state = match k.running {
                Some(true) => "still running at the provider",
                Some(false) => {
                    "answered, kept for a run that asks for them (delete the file to drop them)"
                }
                None => "not polled: this run does not use its provider",
            };
            writeln!(
                err,
                "  {}: batch {} of `{}`, {}: {state}",
                k.path.display(),
                k.batch,
                k.provider,
                plural(k.unsettled, "request")
            )?;
        }
    }
    if t.write_errors > 0 {
        writeln!(
            err,
            "{} could not be written ({}); the run stopped there and kept what was written.",
            plural(t.write_errors, "record"),
            t.first_write_error.as_deref().unwrap_or("unknown error")
        )?;
    }
    if t.failed() > 0 {
        let kinds: Vec<String> = t
            .failures
            .iter()
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect();
        writeln!(
            err,
            "Failures: {}. They are kept under results/ with their reasons (`fabula status -v`); `fabula run --retry-failed` retries them.",
            kinds.join(", ")
        )?;
        if let Some((kind, example)) = t.examples.iter().next() {
            writeln!(
                err,
                "  e.g. {}: {}",
                kind.as_str(),
                fabula_core::text::excerpt(example, 200)
            )?;
        }
    }
    failures_text(&mut err, &p.plan.failed)?;
    drop(err);
    if done.mode != Mode::Quiet {
        writeln!(std::io::stdout())?;
        board(p)?;
    }
    Ok(outcome)
}

/// The leaderboard of the run's models and judges, as a table.
fn board(p: &Prepared) -> anyhow::Result<()> {
    super::super::leaderboard::print(
        &p.session,
        &p.selection.writers,
        &p.selection.judges,
        BoardFormat::Table,
        None,
        false,
        None,
    )?;
    Ok(())
}
