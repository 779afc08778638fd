//! `fabula run`, in three steps: [`prepare`] (open the project, check the tasks and the
//! store, plan the missing work), [`execute`] (the engine, the recorder and the
//! reporters, signals and budget), [`report`] (the summary, the leaderboard, the exit
//! code).

mod execute;
mod prepare;
pub(super) mod report;

use crate::Outcome;
use crate::args::RunArgs;

pub fn run(args: &RunArgs) -> anyhow::Result<Outcome> {
    let prepared = prepare::prepare(args)?;
    if args.dry_run {
        // A dry run did what was asked: it printed the plan.
        report::plan(&prepared, args.json)?;
        return Ok(Outcome::Success);
    }
    if prepared.plan.jobs.is_empty() {
        return report::nothing_to_do(&prepared, args);
    }
    let done = execute::execute(&prepared, args)?;
    report::finished(&prepared, &done)
}
