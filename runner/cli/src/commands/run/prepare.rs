//! Before any call: the project, the tasks (a task with errors stops the run unless
//! `--skip-invalid`), the store, and the plan.

use super::super::session::{Invalid, Session};
use crate::args::RunArgs;
use crate::error::CliError;
use fabula_engine::lock::{LockError, WriteLock};
use fabula_engine::store::Detail;
use fabula_eval::plan::{self, Plan, Selection};
use std::io::Write;

/// Everything a run needs before it starts.
pub struct Prepared {
    pub session: Session,
    pub selection: Selection,
    /// Task files with errors, skipped (with `--skip-invalid`).
    pub skipped: Vec<Invalid>,
    pub plan: Plan,
    /// Held for the whole run.
    #[expect(
        dead_code,
        reason = "held for its drop: the lock is released when the run ends"
    )]
    pub lock: Option<WriteLock>,
}

pub fn prepare(args: &RunArgs) -> anyhow::Result<Prepared> {
    let session = Session::open(&args.work.project)?;
    let (mut selection, invalid) = session.selection(&args.work)?;
    selection.retry_failed = args.retry_failed;
    let mut err = std::io::stderr().lock();
    if !invalid.is_empty() {
        let verb = if args.skip_invalid {
            "skipped"
        } else {
            "stop the run"
        };
        writeln!(
            err,
            "{} task file(s) have errors and {verb}:",
            invalid.len()
        )?;
        for i in &invalid {
            writeln!(err, "  {}: {}", i.path, i.error)?;
        }
        if !args.skip_invalid {
            return Err(CliError::Usage(
                "fix them (`fabula check` shows every error) or pass --skip-invalid to run the others"
                    .into(),
            )
            .into());
        }
    }
    // One writer per store: taking the lock also clears a killed writer's temporary
    // files. A dry run writes nothing and takes no lock.
    let lock = (!args.dry_run)
        .then(|| session.store.lock())
        .transpose()
        .map_err(|e| match e {
            LockError::Io { .. } => crate::error::store(e.to_string()),
            _ => CliError::Usage(e.to_string()).into(),
        })?;
    let loaded = session.store.load_with(Detail::Plan);
    if !loaded.problems.is_empty() && !args.quiet {
        writeln!(
            err,
            "warning: {} file(s) under results/ are not records and are ignored (first: {}: {})",
            loaded.problems.len(),
            loaded.problems[0].0.display(),
            loaded.problems[0].1
        )?;
    }
    let plan = plan::plan(&session.current(), &selection, &loaded);
    Ok(Prepared {
        skipped: invalid,
        session,
        selection,
        plan,
        lock,
    })
}
