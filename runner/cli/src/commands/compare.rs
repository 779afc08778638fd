//! `fabula compare`: is B better than A? Reads the sides (two configs of this store, or
//! one config before and after a change), runs the pairwise comparisons the store lacks
//! when asked, prints the comparison, and gates on a regression.

use super::run::report::{self, Mode};
use super::session::Session;
use crate::Outcome;
use crate::args::{CompareArgs, CompareFormat, WorkArgs};
use crate::error::{self, CliError};
use crate::render::compare::{self as render, Shown};
use fabula_engine::provider::Tuning;
use fabula_engine::recorder;
use fabula_engine::scheduler::Control;
use fabula_engine::setup;
use fabula_engine::store::Store;
use fabula_eval::compare::{self, Options, Pick, Side};
use fabula_eval::fingerprint::Current;
use fabula_eval::pairwise::{self, Selection};
use fabula_eval::prepared::PreparedTask;
use fabula_eval::records::Records;
use fabula_eval::stats;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn run(args: &CompareArgs) -> anyhow::Result<Outcome> {
    let base = args.base.is_some() || args.base_stale;
    match (base, args.models.len()) {
        (true, 1) | (false, 2..) => {}
        (true, _) => {
            return Err(usage(
                "--base and --base-stale compare one model with its own earlier records: name one MODEL",
            ));
        }
        (false, _) => {
            return Err(usage(
                "name two models, A then B (or one with --base DIR or --base-stale)",
            ));
        }
    }
    for (i, m) in args.models.iter().enumerate() {
        if args.models[..i].contains(m) {
            return Err(usage(&format!("{m} is named twice")));
        }
    }
    let session = Session::open(&args.project)?;
    let work = WorkArgs {
        models: args.models.clone(),
        judges: args.judges.clone(),
        task_types: args.task_types.clone(),
        tasks: args.tasks.clone(),
        ..super::all_work()
    };
    let models = session.writers(&work)?;
    let judges = session.judges(&work)?;
    let selected = session.tasks(&work)?;
    // Not locked: the recorder's progress reporter writes to stderr from its own thread.
    let mut err = std::io::stderr();
    if !selected.invalid.is_empty() {
        writeln!(
            err,
            "warning: {} task file(s) with errors are left out (`fabula check` lists them)",
            selected.invalid.len()
        )?;
    }
    let tasks = selected.tasks;
    let base_store = args.base.as_deref().map(base_results).transpose()?;
    let mut loaded = session.store.load();
    warn_problems(&mut err, &session.store, &loaded)?;
    let current = session.current();
    let samples = pairwise::samples(&current, &tasks, &loaded, &models);
    let mut outcome = Outcome::Success;
    let mut pairwise_report = None;
    if args.pairwise {
        let selection = Selection {
            models: &models,
            judges: &judges,
            tasks: &tasks,
            samples,
        };
        let plan = pairwise::plan(&current, selection, &loaded);
        if !plan.jobs.is_empty() {
            let failed = judge_pairs(&session, &judges, plan.jobs, args.format)?;
            if failed > 0 {
                outcome = Outcome::Findings;
            }
            loaded = session.store.load();
        }
        if plan.failed > 0 {
            writeln!(
                err,
                "warning: {} stored pairwise comparison(s) failed and are not counted (`fabula clean-failed` removes them)",
                plan.failed
            )?;
        }
        pairwise_report = Some(pairwise::report(
            &current,
            selection,
            &loaded,
            stats::RESAMPLES,
        ));
    }
    let base_loaded = base_store.as_ref().map(|dir| Store::new(dir).load());
    let options = Options {
        moved: Some(args.moved),
        ..Options::default()
    };
    let comparisons = comparisons(
        &current,
        &tasks,
        &models,
        &judges,
        &loaded,
        base_loaded.as_ref(),
        args.base_stale,
        &options,
    );
    let shown = Shown {
        comparisons: &comparisons,
        pairwise: pairwise_report.as_ref(),
        base: base_store
            .as_ref()
            .map(|d| d.display().to_string())
            .or_else(|| args.base_stale.then(|| "stale records".to_string())),
        margin: args.fail_if_worse,
    };
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        CompareFormat::Table => render::table(&mut out, &shown),
        CompareFormat::Markdown => render::markdown(&mut out, &shown),
        CompareFormat::Json => render::json(&mut out, &shown),
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if comparisons.iter().all(|c| c.pairs == 0) {
        writeln!(
            err,
            "warning: no item is complete on both sides: nothing to compare (`fabula run --model …` makes them)"
        )?;
    }
    if let Some(margin) = args.fail_if_worse {
        for c in &comparisons {
            if let Some(r) = c.regression(margin) {
                writeln!(
                    err,
                    "regression: {} is worse than {} by more than {margin}: B - A = {:+.1}, 95% interval up to {:+.1}, p = {}",
                    render::label(c, false, shown.base.as_deref()),
                    render::label(c, true, shown.base.as_deref()),
                    r.diff,
                    r.ci_high,
                    render::p_value(r.p, true)
                )?;
                outcome = Outcome::Findings;
            }
        }
    }
    Ok(outcome)
}

fn usage(message: &str) -> anyhow::Error {
    CliError::Usage(message.to_string()).into()
}

/// The results folder of `--base DIR`: DIR itself, or DIR/results when DIR is a project.
fn base_results(dir: &Path) -> anyhow::Result<PathBuf> {
    if dir.join("fabula.yaml").is_file() {
        return Ok(dir.join("results"));
    }
    if !dir.is_dir() {
        return Err(usage(&format!(
            "--base {}: no such folder (a results/ folder or a project holding one)",
            dir.display()
        )));
    }
    Ok(dir.to_path_buf())
}

fn warn_problems(err: &mut impl Write, store: &Store, loaded: &Records) -> anyhow::Result<()> {
    if let Some((path, why)) = loaded.problems.first() {
        writeln!(
            err,
            "warning: {} file(s) under {} are not records and are ignored (first: {}: {why})",
            loaded.problems.len(),
            store.root().display(),
            path.display()
        )?;
    }
    Ok(())
}

/// Each B against A: the configs after the first against the first, or the one config
/// against its earlier records.
#[expect(
    clippy::too_many_arguments,
    reason = "the sides as the command line named them"
)]
fn comparisons(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    models: &[String],
    judges: &[String],
    loaded: &Records,
    base: Option<&Records>,
    base_stale: bool,
    options: &Options,
) -> Vec<compare::Comparison> {
    fn today<'a>(model: &'a str, records: &'a Records) -> Side<'a> {
        Side {
            model,
            records,
            pick: Pick::Today,
        }
    }
    let before = match (base, base_stale) {
        (Some(records), _) => Some(Side {
            model: &models[0],
            records,
            pick: Pick::Recorded,
        }),
        (None, true) => Some(Side {
            model: &models[0],
            records: loaded,
            pick: Pick::Replaced,
        }),
        (None, false) => None,
    };
    match before {
        Some(a) => vec![compare::compare(
            current,
            tasks,
            a,
            today(&models[0], loaded),
            judges,
            options,
        )],
        None => models[1..]
            .iter()
            .map(|b| {
                compare::compare(
                    current,
                    tasks,
                    today(&models[0], loaded),
                    today(b, loaded),
                    judges,
                    options,
                )
            })
            .collect(),
    }
}

/// Runs the pairwise comparisons through the engine and the recorder; returns how many
/// failed. A store that cannot be written exits 3.
fn judge_pairs(
    session: &Session,
    judges: &[String],
    jobs: Vec<pairwise::PairJob>,
    format: CompareFormat,
) -> anyhow::Result<usize> {
    if let Some(e) = &session.env_error {
        return Err(usage(&format!("cannot read the keys: {e}")));
    }
    // The judges do the work here: they size the window as writers do in a run.
    let engine = setup::engine(
        session.config(),
        &session.env,
        &Tuning::default(),
        judges,
        judges,
        session.slop.clone(),
    )
    .map(Arc::new)
    .map_err(|errors| {
        usage(&format!(
            "cannot judge pairwise:\n  {}",
            errors.joined("\n  ")
        ))
    })?;
    let mode = if format == CompareFormat::Json {
        Mode::Quiet
    } else if std::io::stderr().is_terminal() {
        Mode::Bar
    } else {
        Mode::Lines
    };
    if mode != Mode::Quiet {
        writeln!(
            std::io::stderr(),
            "Judging {} pairwise comparison(s) (both orders; judges: {}).",
            jobs.len(),
            judges.join(", ")
        )?;
    }
    let control = Arc::new(Control::default());
    let (events, recorder) = recorder::start(
        Some(session.store.clone()),
        Arc::clone(&control),
        vec![report::progress(mode, jobs.len())],
    );
    let runtime = crate::commands::runtime()?;
    runtime.block_on(engine.run_pairwise(
        jobs,
        session.store.clone(),
        events,
        Arc::clone(&control),
    ));
    runtime.shutdown_background();
    let (tally, _) = recorder.finish();
    if let Some(why) = tally.first_write_error {
        return Err(error::store(why));
    }
    if let Some(why) = &tally.refused {
        writeln!(std::io::stderr(), "stopped: {why}")?;
    }
    for (kind, example) in &tally.examples {
        writeln!(std::io::stderr(), "failed ({}): {example}", kind.as_str())?;
    }
    Ok(tally.failed_pairwise + tally.skipped_evaluations)
}
